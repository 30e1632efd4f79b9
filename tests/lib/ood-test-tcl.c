/* A tiny synchronous client for OpenOCD's Tcl RPC port (tests only). */
#include "ood-testbed.h"

#include <string.h>

#define TCL_TERMINATOR '\x1a'
#define TCL_TIMEOUT_S  30

struct _OodTestTcl {
  GSocketConnection *conn;
  GSocket *socket;
  GString *pending;  /* bytes received after the last terminator */
};

OodTestTcl *
ood_test_tcl_connect (guint16 port, GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  OodTestTcl *tcl;

  g_socket_client_set_timeout (client, TCL_TIMEOUT_S);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, error);
  if (!conn)
    return NULL;
  tcl = g_new0 (OodTestTcl, 1);
  tcl->conn = g_steal_pointer (&conn);
  tcl->socket = g_socket_connection_get_socket (tcl->conn);
  g_socket_set_timeout (tcl->socket, TCL_TIMEOUT_S);
  tcl->pending = g_string_new (NULL);
  return tcl;
}

static gboolean
send_all (GSocket *socket, const char *buf, gsize len, GError **error)
{
  while (len > 0)
    {
      gssize n = g_socket_send (socket, buf, len, NULL, error);
      if (n < 0)
        return FALSE;
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Receives until pending holds a terminator; returns its offset or -1. */
static gssize
receive_reply (OodTestTcl *tcl, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + TCL_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      const char *end = memchr (tcl->pending->str, TCL_TERMINATOR, tcl->pending->len);
      char buf[4096];
      gssize n;

      if (end)
        return end - tcl->pending->str;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no Tcl reply in %d s",
                       TCL_TIMEOUT_S);
          return -1;
        }
      n = g_socket_receive (tcl->socket, buf, sizeof buf, NULL, error);
      if (n < 0)
        return -1;
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "OpenOCD closed the Tcl connection");
          return -1;
        }
      g_string_append_len (tcl->pending, buf, n);
    }
}

char *
ood_test_tcl_eval (OodTestTcl *tcl, const char *command, GError **error)
{
  g_autofree char *msg = g_strdup_printf ("%s%c", command, TCL_TERMINATOR);
  gssize end;
  char *reply;

  if (!send_all (tcl->socket, msg, strlen (msg), error))
    return NULL;
  end = receive_reply (tcl, error);
  if (end < 0)
    return NULL;
  reply = g_strndup (tcl->pending->str, (gsize) end);
  g_string_erase (tcl->pending, 0, end + 1);
  return reply;
}

char *
ood_test_tcl_eval_on (OodTestbed *tb, const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (tb), &error);
  char *reply;

  g_assert_no_error (error);
  reply = ood_test_tcl_eval (tcl, command, &error);
  g_assert_no_error (error);
  return g_strstrip (reply);
}

GBytes *
ood_test_tcl_read_memory (OodTestbed *tb, guint width, guint64 address, gsize size)
{
  GByteArray *bytes = g_byte_array_new ();
  guint unit = width / 8;

  g_assert_true (width == 8 || width == 32);
  g_assert_cmpuint (size % unit, ==, 0);
  for (gsize done = 0; done < size;)
    {
      gsize n = MIN (size - done, 4096);
      g_autofree char *command = g_strdup_printf ("read_memory 0x%" G_GINT64_MODIFIER "x %u %"
                                                  G_GSIZE_FORMAT, address + done, width,
                                                  n / unit);
      g_autofree char *reply = ood_test_tcl_eval_on (tb, command);
      g_auto(GStrv) values = g_strsplit (reply, " ", -1);

      g_assert_cmpuint (g_strv_length (values), ==, n / unit);
      for (gsize i = 0; i < n / unit; i++)
        {
          guint32 value = (guint32) g_ascii_strtoull (values[i], NULL, 16);
          g_byte_array_append (bytes, (const guint8 *) &value, unit);   /* little-endian */
        }
      done += n;
    }
  return g_byte_array_free_to_bytes (bytes);
}

void
ood_test_tcl_free (OodTestTcl *tcl)
{
  if (!tcl)
    return;
  g_io_stream_close (G_IO_STREAM (tcl->conn), NULL, NULL);
  g_object_unref (tcl->conn);
  g_string_free (tcl->pending, TRUE);
  g_free (tcl);
}

char *
ood_test_tcl_quote (const char *s)
{
  GString *out;

  if (*s == '\0')
    return g_strdup ("{}");
  out = g_string_new (NULL);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '\n')
        g_string_append (out, "\\n");
      else
        {
          if (c < 0x80 && !g_ascii_isalnum (c))
            g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
    }
  return g_string_free (out, FALSE);
}
