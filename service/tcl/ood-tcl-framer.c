/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-framer.h"

#include <gio/gio.h>
#include <string.h>

#define KEEP_BYTES 1024

void
ood_tcl_framer_init (OodTclFramer *framer, gsize max_message)
{
  framer->partial = g_byte_array_new ();
  framer->max_message = max_message;
}

void
ood_tcl_framer_clear (OodTclFramer *framer)
{
  g_clear_pointer (&framer->partial, g_byte_array_unref);
}

static gboolean
check_size (OodTclFramer *framer, gsize extra, GError **error)
{
  if (framer->partial->len + extra <= framer->max_message)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "reply longer than %" G_GSIZE_FORMAT " bytes", framer->max_message);
  return FALSE;
}

/* Hands one complete message, which must hold no NUL byte, to @func. */
static gboolean
deliver (OodTclFramer *framer, OodTclFrameFunc func, gpointer user_data,
         gboolean *keep_going, GError **error)
{
  gsize length = framer->partial->len;

  /* an empty first message leaves data NULL, which memchr must not see */
  if (length > 0 && memchr (framer->partial->data, '\0', length) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "reply holds a NUL byte");
      return FALSE;
    }
  g_byte_array_append (framer->partial, (const guint8 *) "", 1);
  *keep_going = func ((const char *) framer->partial->data, length, user_data);
  /* a connection idles most of its life: it does not keep the room its
   * largest reply took (a register listing is 16 KB, a memory chunk 11) */
  if (length >= KEEP_BYTES)
    {
      g_byte_array_unref (framer->partial);
      framer->partial = g_byte_array_new ();
    }
  else
    g_byte_array_set_size (framer->partial, 0);
  return TRUE;
}

/**
 * ood_tcl_framer_feed:
 *
 * Appends @data and calls @func for every message it completes. A message
 * over the size limit or holding a NUL byte is a protocol error: the
 * stream can no longer be trusted and the caller should drop it.
 *
 * Returns: %FALSE with @error set on a protocol error
 */
gboolean
ood_tcl_framer_feed (OodTclFramer *framer, const guint8 *data, gsize length,
                     OodTclFrameFunc func, gpointer user_data, GError **error)
{
  gboolean keep_going = TRUE;

  while (length > 0 && keep_going)
    {
      const guint8 *end = memchr (data, OOD_TCL_TERMINATOR, length);
      gsize chunk = end != NULL ? (gsize) (end - data) : length;

      if (!check_size (framer, chunk, error))
        return FALSE;
      g_byte_array_append (framer->partial, data, chunk);
      if (end == NULL)
        break;
      if (!deliver (framer, func, user_data, &keep_going, error))
        return FALSE;
      data += chunk + 1;
      length -= chunk + 1;
    }
  return TRUE;
}
