/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-memory-search"

#include "ood-memory-search.h"

#include <string.h>

#include "ood-error.h"
#include "ood-idle.h"
#include "ood-tcl-memory.h"

/* One search: the data of its GTask. */
typedef struct {
  OodSession   *session;
  char         *target;
  gboolean      big_endian;
  guint64       address;    /* of the next chunk */
  guint64       remaining;  /* bytes still to read */
  guint64       size;       /* of the whole range */
  GBytes       *pattern;
  guint         max_hits;
  GCancellable *left;       /* the caller's: cancelled when it leaves the bus */
  guint         chunk;      /* bytes in the chunk in flight */
  GByteArray   *window;     /* the tail of the chunk before, then this chunk */
  guint64       window_at;  /* the address of window's first byte */
  GArray       *hits;       /* (element-type guint64) */
} Search;

static void
search_free (Search *s)
{
  g_object_unref (s->session);
  g_free (s->target);
  g_bytes_unref (s->pattern);
  g_clear_object (&s->left);
  g_byte_array_unref (s->window);
  g_array_unref (s->hits);
  g_free (s);
}

static gboolean next_chunk (gpointer user_data);

/* Finds the pattern's starts in the window that end in it; keeps the
 * window's last pattern-length - 1 bytes for the next chunk. */
static void
scan_window (Search *s)
{
  gsize n = 0;
  const guint8 *pattern = g_bytes_get_data (s->pattern, &n);
  guint keep;

  for (guint i = 0; i + n <= s->window->len && s->hits->len < s->max_hits; i++)
    if (s->window->data[i] == pattern[0] && memcmp (s->window->data + i, pattern, n) == 0)
      {
        guint64 hit = s->window_at + i;
        g_array_append_val (s->hits, hit);
      }
  keep = (guint) MIN (n - 1, s->window->len);
  g_byte_array_remove_range (s->window, 0, s->window->len - keep);
}

/* Appends the chunk's bytes, held by @words, the aligned 32-bit words
 * read, to the window, behind what is left of the chunk before. */
static void
take_words (Search *s, const guint64 *words, guint n_words)
{
  guint skip = (guint) (s->address & 3);
  guint8 bytes[OOD_TCL_MEM_CHUNK + 4];

  for (guint i = 0; i < n_words; i++)
    for (guint b = 0; b < 4; b++)
      bytes[4 * i + (s->big_endian ? 3 - b : b)] = (guint8) (words[i] >> (8 * b));
  s->window_at = s->address - s->window->len;
  g_byte_array_append (s->window, bytes + skip, s->chunk);
  s->address += s->chunk;
  s->remaining -= s->chunk;
}

static void
on_chunk (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Search *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  guint count = ((guint) (s->address & 3) + s->chunk + 3) / 4;
  guint64 words[OOD_TCL_MEM_CHUNK / 4 + 1];

  if (text == NULL || !ood_tcl_parse_mem_words (text, 32, count, words, &error))
    {
      if (g_cancellable_is_cancelled (s->left))
        g_debug ("%s: Search stopped after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 " bytes: its caller left", s->target, s->size - s->remaining, s->size);
      g_task_return_error (task, ood_error_normalize (error));
      g_object_unref (task);
      return;
    }
  take_words (s, words, count);
  scan_window (s);
  ood_idle_after_pending (g_task_get_context (task), next_chunk, task);
}

/* Queues the next chunk, or completes the search. Takes the GTask
 * @user_data; a GSourceFunc that runs once. */
static gboolean
next_chunk (gpointer user_data)
{
  GTask *task = user_data;
  Search *s = g_task_get_task_data (task);
  g_autofree char *script = NULL;
  guint skip = (guint) (s->address & 3);

  if (s->remaining == 0 || s->hits->len >= s->max_hits)
    {
      g_task_return_pointer (task, g_array_ref (s->hits), (GDestroyNotify) g_array_unref);
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  if (g_cancellable_is_cancelled (s->left))
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_DISCONNECTED, "the caller left the bus");
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  s->chunk = (guint) MIN (s->remaining, OOD_TCL_MEM_CHUNK - skip);
  script = ood_tcl_script_mem_read (s->target, s->address - skip, 32, (skip + s->chunk + 3) / 4);
  ood_session_call_async (s->session, script, OOD_SESSION_CALL_CHUNK, s->left, on_chunk, task);
  return G_SOURCE_REMOVE;
}

/**
 * ood_memory_search_async:
 * @target: the target's name in OpenOCD
 * @big_endian: the target's byte order
 * @pattern: 1 to %OOD_MEMORY_SEARCH_MAX_PATTERN bytes
 * @max_hits: 1 to %OOD_MEMORY_SEARCH_MAX_HITS
 * @left: the caller's cancellable (ood-call.h): its queued chunk fails at
 *   once, and no further one is read, when it fires
 *
 * Searches [@address, @address + @size) for @pattern; the caller checked
 * the range against the target's address space.
 */
void
ood_memory_search_async (OodSession *session, const char *target, gboolean big_endian,
                         guint64 address, guint64 size, GBytes *pattern, guint max_hits,
                         GCancellable *left, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  Search *s = g_new0 (Search, 1);

  g_return_if_fail (g_bytes_get_size (pattern) >= 1 &&
                    g_bytes_get_size (pattern) <= OOD_MEMORY_SEARCH_MAX_PATTERN);
  g_task_set_source_tag (task, ood_memory_search_async);
  s->session = g_object_ref (session);
  s->target = g_strdup (target);
  s->big_endian = big_endian;
  s->address = address;
  s->remaining = size;
  s->size = size;
  s->pattern = g_bytes_ref (pattern);
  s->max_hits = max_hits;
  s->left = left != NULL ? g_object_ref (left) : g_cancellable_new ();
  s->window = g_byte_array_new ();
  s->hits = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_task_set_task_data (task, s, (GDestroyNotify) search_free);
  next_chunk (task);
}

/**
 * ood_memory_search_finish:
 *
 * Returns: (transfer full) (element-type guint64): the addresses where
 *   the pattern starts, ascending, at most max_hits; %NULL with @error
 *   in the public domain (the chunks before the failing one were searched)
 */
GArray *
ood_memory_search_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
