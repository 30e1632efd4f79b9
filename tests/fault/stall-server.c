/* SPDX-License-Identifier: MIT */
/*
 * FAULT INJECTION ONLY. A fake OpenOCD Tcl RPC server for the tests that
 * need an OpenOCD misbehaving in ways a real one cannot be made to: it
 * answers the service's connect sequence (version, tcl_notifications on,
 * the refresh of all targets) and state queries as OpenOCD 0.12 would,
 * with one halted target "riscv.cpu", but a halt command ("capture {halt}")
 * gets no answer at all (default, the connection stalls for good) or,
 * with --garbage, a reply that is not in the service's wrapped format.
 * New connections are always accepted and served normally.
 *
 * Prints "listening on port N" on stdout once it listens on 127.0.0.1.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#define TERMINATOR '\x1a'
#define RECORD "riscv.cpu riscv halted 0x80000000 {}"
#define HALT_MARKER "capture {halt}"

static gboolean garbage_mode;

typedef struct {
  GSocketConnection *connection;
  GByteArray        *pending;
  guint8             buffer[4096];
  gboolean           stalled;
  guint              id;
} Client;

static void
client_free (Client *client)
{
  g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  g_object_unref (client->connection);
  g_byte_array_unref (client->pending);
  g_free (client);
}

static void
send_bytes (Client *client, const void *data, gsize length)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (out, data, length, NULL, NULL, &error))
    g_printerr ("stall-server: connection %u: cannot write: %s\n", client->id, error->message);
}

static void
send_reply (Client *client, const char *text)
{
  g_autoptr(GString) reply = g_string_new (text);

  g_string_append_c (reply, TERMINATOR);
  send_bytes (client, reply->str, reply->len);
}

/* Bytes that are no "<code> <text>" reply: not starting with a digit, not
 * valid UTF-8, no notification, ended by the terminator. */
static void
send_garbage (Client *client)
{
  guint8 bytes[65];

  bytes[0] = 0xfe;
  for (gsize i = 1; i < sizeof bytes - 1; i++)
    {
      bytes[i] = (guint8) g_random_int_range (1, 256);
      if (bytes[i] == TERMINATOR)
        bytes[i] = 0xff;
    }
  bytes[sizeof bytes - 1] = TERMINATOR;
  send_bytes (client, bytes, sizeof bytes);
}

static void
handle_command (Client *client, const char *command)
{
  if (strstr (command, HALT_MARKER) != NULL)
    {
      if (garbage_mode)
        {
          g_printerr ("stall-server: connection %u: halt, answering garbage\n", client->id);
          send_garbage (client);
          return;
        }
      g_printerr ("stall-server: connection %u: halt, stalling for good\n", client->id);
      client->stalled = TRUE;
    }
  else if (strstr (command, "tcl_notifications on") != NULL)
    send_reply (client, "0 ");
  else if (strstr (command, "catch {version}") != NULL)
    send_reply (client, "0 Open On-Chip Debugger 0.12.0 (fake stall-server)");
  else if (strstr (command, "[target names]") != NULL)
    send_reply (client, "0 {" RECORD "}");
  else if (strstr (command, "curstate") != NULL)
    send_reply (client, "0 " RECORD);
  else
    send_reply (client, "1 stall-server: unknown command");
}

static void start_read (Client *client);

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  guint8 *end;

  if (n <= 0)
    {
      g_printerr ("stall-server: connection %u closed\n", client->id);
      client_free (client);
      return;
    }
  if (!client->stalled)
    g_byte_array_append (client->pending, client->buffer, (guint) n);
  while (!client->stalled &&
         (end = memchr (client->pending->data, TERMINATOR, client->pending->len)) != NULL)
    {
      gsize length = (gsize) (end - client->pending->data);
      g_autofree char *command = g_strndup ((const char *) client->pending->data, length);

      g_byte_array_remove_range (client->pending, 0, (guint) length + 1);
      handle_command (client, command);
    }
  start_read (client);
}

static void
start_read (Client *client)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (client->connection));

  g_input_stream_read_async (in, client->buffer, sizeof client->buffer, G_PRIORITY_DEFAULT, NULL,
                             on_read, client);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer user_data)
{
  static guint next_id = 1;
  Client *client = g_new0 (Client, 1);

  (void) service;
  (void) source;
  (void) user_data;
  client->connection = g_object_ref (connection);
  client->pending = g_byte_array_new ();
  client->id = next_id++;
  g_printerr ("stall-server: connection %u accepted\n", client->id);
  start_read (client);
  return TRUE;
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "garbage", 0, 0, G_OPTION_ARG_NONE, &garbage_mode,
      "Answer a halt with bytes that are no wrapped reply instead of stalling", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- fake, stalling OpenOCD Tcl server");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("stall-server: %s\n", error->message);
      return 2;
    }
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error))
    {
      g_printerr ("stall-server: cannot listen: %s\n", error->message);
      return 1;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), NULL);
  g_socket_service_start (service);
  printf ("listening on port %u\n",
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
