/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-rtt"

#include "ood-rtt-block.h"

#include "ood-error.h"
#include "ood-tcl-memory.h"

/* The data of a find's GTask: the steps run one session call at a time. */
typedef struct {
  OodSession  *session;
  char        *target;
  char        *id;
  guint64      first;     /* the range asked for */
  guint64      last;
  guint64      next;      /* the next chunk's address (word aligned) */
  guint64      end;       /* the range's end, word aligned */
  GByteArray  *window;    /* bytes from window_base not searched out yet */
  guint64      window_base;
  gboolean     big_endian; /* the target's byte order */
  OodRttBlock *block;
  guint        named;     /* buffers whose name was read */
} Find;

static void
find_free (Find *find)
{
  g_object_unref (find->session);
  g_free (find->target);
  g_free (find->id);
  g_byte_array_unref (find->window);
  g_clear_pointer (&find->block, ood_rtt_block_free);
  g_free (find);
}

static void
buffer_clear (gpointer data)
{
  g_free (((OodRttBuffer *) data)->name);
}

void
ood_rtt_block_free (OodRttBlock *block)
{
  g_clear_pointer (&block->buffers, g_array_unref);
  g_free (block);
}

/* The buffer @index of that direction, or NULL if it is not in use. */
const OodRttBuffer *
ood_rtt_block_lookup (const OodRttBlock *block, guint index, gboolean up)
{
  for (guint i = 0; i < block->buffers->len; i++)
    {
      const OodRttBuffer *b = &g_array_index (block->buffers, OodRttBuffer, i);
      if (b->buffer.index == index && b->buffer.up == up)
        return b;
    }
  return NULL;
}

static void read_words (GTask *task, guint64 address, guint count, GAsyncReadyCallback then);

/* What a step's read answered, as @count words, or NULL (the task has
 * returned the error). */
static guint64 *
finish_words (GTask *task, GAsyncResult *result, guint count)
{
  Find *find = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (find->session, result, &error);
  g_autofree guint64 *words = g_new (guint64, count);

  if (text == NULL || !ood_tcl_parse_mem_words (text, 32, count, words, &error))
    {
      g_task_return_error (task, ood_error_normalize (error));
      return NULL;
    }
  return g_steal_pointer (&words);
}

/* ---- names -------------------------------------------------------------- */

static void read_next_name (GTask *task);

static void
on_name (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Find *find = g_task_get_task_data (task);
  OodRttBuffer *b = &g_array_index (find->block->buffers, OodRttBuffer, find->named);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  guint64 bytes[OOD_RTT_BLOCK_NAME_MAX];

  if (text == NULL && g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* a name OpenOCD cannot read is no reason to fail */
  if (text != NULL && ood_tcl_parse_mem_words (text, 8, OOD_RTT_BLOCK_NAME_MAX, bytes, &error))
    b->name = ood_tcl_rtt_parse_name (bytes, OOD_RTT_BLOCK_NAME_MAX);
  else
    g_debug ("%s: cannot read the name of an RTT buffer: %s", find->target, error->message);
  find->named++;
  read_next_name (g_steal_pointer (&task));
}

static void
read_next_name (GTask *task)
{
  Find *find = g_task_get_task_data (task);
  GArray *buffers = find->block->buffers;
  g_autofree char *script = NULL;

  while (find->named < buffers->len &&
         g_array_index (buffers, OodRttBuffer, find->named).buffer.name == 0)
    find->named++;
  if (find->named == buffers->len)
    {
      for (guint i = 0; i < buffers->len; i++)
        if (g_array_index (buffers, OodRttBuffer, i).name == NULL)
          g_array_index (buffers, OodRttBuffer, i).name = g_strdup ("");
      g_task_return_pointer (task, g_steal_pointer (&find->block),
                             (GDestroyNotify) ood_rtt_block_free);
      g_object_unref (task);
      return;
    }
  script = ood_tcl_script_mem_read (find->target,
                                    g_array_index (buffers, OodRttBuffer, find->named).buffer.name,
                                    8, OOD_RTT_BLOCK_NAME_MAX);
  ood_session_call_async (find->session, script, OOD_SESSION_CALL_NONE,
                          g_task_get_cancellable (task), on_name, task);
}

/* ---- the block's header and descriptors --------------------------------- */

static void
on_descriptors (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Find *find = g_task_get_task_data (task);
  guint count = (find->block->n_up + find->block->n_down) * OOD_TCL_RTT_BUFFER_WORDS;
  g_autofree guint64 *words = finish_words (task, result, count);
  g_autoptr(GArray) found = NULL;

  (void) source;
  if (words == NULL)
    return;
  found = ood_tcl_rtt_parse_buffers (words, find->block->n_up, find->block->n_down);
  for (guint i = 0; i < found->len; i++)
    {
      OodRttBuffer b = { g_array_index (found, OodTclRttBuffer, i), NULL };
      g_array_append_val (find->block->buffers, b);
    }
  read_next_name (g_steal_pointer (&task));
}

static void
on_header (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Find *find = g_task_get_task_data (task);
  g_autofree guint64 *words = finish_words (task, result, OOD_TCL_RTT_HEADER_WORDS);
  OodRttBlock *block = find->block;
  g_autoptr(GError) error = NULL;

  (void) source;
  if (words == NULL)
    return;
  if (!ood_tcl_rtt_parse_header (words, &block->n_up, &block->n_down, &error))
    {
      g_task_return_error (task, ood_error_normalize (error));
      return;
    }
  for (guint i = 0; i < 4; i++)
    block->id_words[i] = (guint32) words[i];
  read_words (g_steal_pointer (&task), block->address + OOD_TCL_RTT_HEADER_WORDS * 4,
              (block->n_up + block->n_down) * OOD_TCL_RTT_BUFFER_WORDS, on_descriptors);
}

/* ---- the search --------------------------------------------------------- */

static void read_next_chunk (GTask *task);

static void
found (GTask *task, guint64 address)
{
  Find *find = g_task_get_task_data (task);

  g_debug ("%s: RTT control block \"%s\" at 0x%" G_GINT64_MODIFIER "x", find->target, find->id,
           address);
  find->block = g_new0 (OodRttBlock, 1);
  find->block->address = address;
  find->block->buffers = g_array_new (FALSE, TRUE, sizeof (OodRttBuffer));
  g_array_set_clear_func (find->block->buffers, buffer_clear);
  find->block->big_endian = find->big_endian;
  read_words (task, address, OOD_TCL_RTT_HEADER_WORDS, on_header);
}

static void
on_chunk (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Find *find = g_task_get_task_data (task);
  guint count = (guint) (MIN (find->end - find->next, OOD_TCL_MEM_CHUNK) / 4);
  g_autofree guint64 *words = finish_words (task, result, count);
  g_autofree guint8 *bytes = NULL;
  gsize offset;

  (void) source;
  if (words == NULL)
    return;
  bytes = g_malloc (count * 4);
  ood_tcl_rtt_words_to_bytes (words, count, find->big_endian, bytes);
  g_byte_array_append (find->window, bytes, count * 4);
  find->next += count * 4;
  if (ood_tcl_rtt_find_id (find->window->data, find->window->len, find->id, &offset) &&
      find->window_base + offset >= find->first && find->window_base + offset <= find->last)
    {
      found (g_steal_pointer (&task), find->window_base + offset);
      return;
    }
  /* an id cut by the chunk's end is found with the next chunk */
  if (find->window->len > 16)
    {
      guint drop = find->window->len - 16;
      g_byte_array_remove_range (find->window, 0, drop);
      find->window_base += drop;
    }
  read_next_chunk (g_steal_pointer (&task));
}

static void
read_next_chunk (GTask *task)
{
  Find *find = g_task_get_task_data (task);

  if (find->next >= find->end)
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_NOT_FOUND,
                               "no RTT control block \"%s\" in 0x%" G_GINT64_MODIFIER "x-0x%"
                               G_GINT64_MODIFIER "x (has the firmware run yet?)",
                               find->id, find->first, find->last);
      g_object_unref (task);
      return;
    }
  read_words (task, find->next, (guint) (MIN (find->end - find->next, OOD_TCL_MEM_CHUNK) / 4),
              on_chunk);
}

static void
on_learnt (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Find *find = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  guint bits = 0;

  if (text == NULL || !ood_tcl_parse_mem_learn (text, &find->big_endian, &bits, &error))
    {
      g_task_return_error (task, ood_error_normalize (error));
      return;
    }
  read_next_chunk (g_steal_pointer (&task));
}

/* One read_memory of @count 32-bit words at @address; @then gets @task. */
static void
read_words (GTask *task, guint64 address, guint count, GAsyncReadyCallback then)
{
  Find *find = g_task_get_task_data (task);
  g_autofree char *script = ood_tcl_script_mem_read (find->target, address, 32, count);

  ood_session_call_async (find->session, script, OOD_SESSION_CALL_NONE,
                          g_task_get_cancellable (task), then, task);
}

/**
 * ood_rtt_block_find_async:
 * @address: where the search starts
 * @size: how many bytes to search, 1 to OOD_RTT_BLOCK_SEARCH_MAX (the
 *   caller checks), the words holding them read
 * @id: 1 to OOD_TCL_RTT_ID_MAX bytes
 * @cancellable: (nullable): the caller's (its calls stop once it fires)
 *
 * Finds the block whose id starts in [@address, @address + @size) at a
 * word boundary. Fails with %OOD_ERROR_NOT_FOUND if there is none, or as
 * the session's calls fail.
 */
void
ood_rtt_block_find_async (OodSession *session, const char *target, guint64 address,
                          guint64 size, const char *id, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (session, cancellable, callback, user_data);
  Find *find = g_new0 (Find, 1);
  g_autofree char *script = ood_tcl_script_mem_learn (target);

  g_task_set_source_tag (task, ood_rtt_block_find_async);
  find->session = g_object_ref (session);
  find->target = g_strdup (target);
  find->id = g_strdup (id);
  find->first = address;
  find->last = address + size - 1;
  find->next = address & ~G_GUINT64_CONSTANT (3);
  find->end = (find->last | 3) + 1;
  find->window = g_byte_array_new ();
  find->window_base = find->next;
  g_task_set_task_data (task, find, (GDestroyNotify) find_free);
  ood_session_call_async (session, script, OOD_SESSION_CALL_NONE, cancellable, on_learnt, task);
}

/**
 * ood_rtt_block_find_finish:
 *
 * Returns: (transfer full): the block, or %NULL with @error set
 */
OodRttBlock *
ood_rtt_block_find_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ood_rtt_block_find_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
