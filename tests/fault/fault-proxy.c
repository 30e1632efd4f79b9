/* SPDX-License-Identifier: MIT */
/*
 * FAULT INJECTION ONLY. A TCP proxy for the network-fault tests: it sits
 * between openocd-dbusd and a real OpenOCD's Tcl RPC port and, on the
 * test's command, misbehaves the way a bad network does.
 *
 *   fault-proxy --upstream PORT
 *
 * Listens on 127.0.0.1 on a free port and prints "listening on port N".
 * Every accepted connection gets one of its own to 127.0.0.1:PORT. Loopback
 * only. It is driven by lines on stdin, each answered on stdout with
 * "ok LINE" once in effect (or "error ..."):
 *
 *   pass         forward everything at once (the start mode)
 *   drop         on the next bytes OpenOCD sends on any connection, forward
 *                half of them, then close every connection on both sides
 *                (a network drop in the middle of a reply); prints
 *                "dropped at T" (T: g_get_monotonic_time(), CLOCK_MONOTONIC
 *                in µs, comparable across processes) and goes back to pass
 *   delay N      OpenOCD's bytes (replies, notifications) reach the client
 *                one every N ms, each N ms after the one before: +N ms per
 *                byte. Requests pass.
 *   trickle N    one byte every N ms in both directions, requests too
 *   blackhole    accept, read and discard in both directions, never forward
 *                nor answer; new connections get no upstream connection
 *   heal         back to pass for new and existing connections: bytes held
 *                back by delay or trickle go out at once, connections
 *                accepted in blackhole get their upstream connection
 *
 * It exits when stdin ends (the test closed it or died). Memory is
 * bounded: a connection holding more than MAX_PENDING bytes is closed.
 */
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PENDING (8u * 1024 * 1024)
#define READ_CHUNK 16384

typedef enum { MODE_PASS, MODE_DROP, MODE_DELAY, MODE_TRICKLE, MODE_BLACKHOLE } Mode;

static Mode    mode = MODE_PASS;
static guint   pace_ms = 0;
static guint16 upstream_port;
static GList  *connections;   /* (element-type Conn) */
static GMainLoop *loop;

typedef struct _Conn Conn;

/* One direction of a connection. */
typedef struct {
  Conn       *conn;
  gboolean    downstream;  /* OpenOCD → client */
  GSocket    *from;
  GSocket    *to;
  GByteArray *pending;     /* read from @from, not yet sent to @to */
  GSource    *read_source;
  GSource    *write_source;
  GSource    *pace_source;
} Pipe;

struct _Conn {
  guint    id;
  GSocket *client;
  GSocket *upstream;       /* NULL while accepted in blackhole */
  Pipe     up;             /* client → OpenOCD */
  Pipe     down;           /* OpenOCD → client */
  gboolean closed;
};

static void pump (Pipe *pipe);
static void start_pipe (Pipe *pipe, gboolean downstream);

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
pipe_clear (Pipe *pipe)
{
  drop_source (&pipe->read_source);
  drop_source (&pipe->write_source);
  drop_source (&pipe->pace_source);
  g_clear_pointer (&pipe->pending, g_byte_array_unref);
}

static void
conn_close (Conn *conn, const char *why)
{
  if (conn->closed)
    return;
  conn->closed = TRUE;
  g_printerr ("fault-proxy: connection %u closed: %s\n", conn->id, why);
  pipe_clear (&conn->up);
  pipe_clear (&conn->down);
  if (conn->client != NULL)
    g_socket_close (conn->client, NULL);
  if (conn->upstream != NULL)
    g_socket_close (conn->upstream, NULL);
  g_clear_object (&conn->client);
  g_clear_object (&conn->upstream);
  connections = g_list_remove (connections, conn);
  g_free (conn);
}

/* Whether @pipe's bytes go out one at a time, every pace_ms. */
static gboolean
paced (Pipe *pipe)
{
  return (mode == MODE_DELAY && pipe->downstream) || mode == MODE_TRICKLE;
}

/* Sends up to @limit pending bytes without blocking; FALSE if the
 * connection was closed. */
static gboolean
send_pending (Pipe *pipe, gsize limit)
{
  g_autoptr(GError) error = NULL;
  gssize n;

  if (pipe->pending->len == 0)
    return TRUE;
  n = g_socket_send (pipe->to, (const char *) pipe->pending->data, MIN (limit, pipe->pending->len),
                     NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return TRUE;
  if (n < 0)
    {
      conn_close (pipe->conn, error->message);
      return FALSE;
    }
  g_byte_array_remove_range (pipe->pending, 0, (guint) n);
  return TRUE;
}

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Pipe *pipe = user_data;

  (void) socket;
  (void) condition;
  g_clear_pointer (&pipe->write_source, g_source_unref);
  pump (pipe);
  return G_SOURCE_REMOVE;
}

static gboolean
on_pace (gpointer user_data)
{
  Pipe *pipe = user_data;

  if (!paced (pipe) || pipe->pending->len == 0)
    {
      g_clear_pointer (&pipe->pace_source, g_source_unref);
      pump (pipe);
      return G_SOURCE_REMOVE;
    }
  if (!send_pending (pipe, 1))
    return G_SOURCE_REMOVE;   /* the pipe and its sources are gone */
  if (pipe->pending->len > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&pipe->pace_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Moves what @pipe holds on as the mode allows. */
static void
pump (Pipe *pipe)
{
  if (pipe->to == NULL || pipe->pending->len == 0 || mode == MODE_BLACKHOLE)
    return;
  if (paced (pipe))
    {
      if (pipe->pace_source == NULL)
        {
          pipe->pace_source = g_timeout_source_new (MAX (pace_ms, 1));
          g_source_set_callback (pipe->pace_source, on_pace, pipe, NULL);
          g_source_attach (pipe->pace_source, NULL);
        }
      return;
    }
  drop_source (&pipe->pace_source);
  if (!send_pending (pipe, G_MAXSIZE))
    return;
  if (pipe->pending->len > 0 && pipe->write_source == NULL)
    {
      pipe->write_source = g_socket_create_source (pipe->to, G_IO_OUT, NULL);
      g_source_set_callback (pipe->write_source, G_SOURCE_FUNC (on_writable), pipe, NULL);
      g_source_attach (pipe->write_source, NULL);
    }
}

/* Closes every connection, after forwarding half of @data on @pipe. */
static void
drop_all (Pipe *pipe, const guint8 *data, gsize length)
{
  gsize half = length / 2;
  gint64 now;
  guint n = 0;

  if (half > 0)
    g_socket_send (pipe->to, (const char *) data, half, NULL, NULL);
  now = g_get_monotonic_time ();
  while (connections != NULL)
    {
      conn_close (connections->data, "dropped (fault injection)");
      n++;
    }
  mode = MODE_PASS;
  printf ("dropped at %" G_GINT64_FORMAT " (%u connections, %" G_GSIZE_FORMAT " of %"
          G_GSIZE_FORMAT " bytes forwarded)\n", now, n, half, length);
  fflush (stdout);
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Pipe *pipe = user_data;
  guint8 buffer[READ_CHUNK];
  g_autoptr(GError) error = NULL;
  gssize n;

  (void) condition;
  n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* the pipe's sources are destroyed with the connection */
      conn_close (pipe->conn, n == 0 ? (pipe->downstream ? "OpenOCD closed" : "client closed")
                                     : error->message);
      return G_SOURCE_REMOVE;
    }
  if (mode == MODE_BLACKHOLE)
    return G_SOURCE_CONTINUE;
  if (mode == MODE_DROP && pipe->downstream)
    {
      drop_all (pipe, buffer, (gsize) n);
      return G_SOURCE_REMOVE;
    }
  g_byte_array_append (pipe->pending, buffer, (guint) n);
  if (pipe->pending->len > MAX_PENDING)
    {
      conn_close (pipe->conn, "too much pending data");
      return G_SOURCE_REMOVE;
    }
  pump (pipe);
  return G_SOURCE_CONTINUE;
}

static void
start_pipe (Pipe *pipe, gboolean downstream)
{
  Conn *conn = pipe->conn;

  pipe->downstream = downstream;
  pipe->from = downstream ? conn->upstream : conn->client;
  pipe->to = downstream ? conn->client : conn->upstream;
  if (pipe->pending == NULL)
    pipe->pending = g_byte_array_new ();
  if (pipe->from == NULL || pipe->read_source != NULL)
    return;
  pipe->read_source = g_socket_create_source (pipe->from, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (pipe->read_source, G_SOURCE_FUNC (on_readable), pipe, NULL);
  g_source_attach (pipe->read_source, NULL);
}

/* Connects @conn to OpenOCD (loopback, so at once); FALSE if that failed
 * and @conn is closed. */
static gboolean
connect_upstream (Conn *conn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, upstream_port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  if (socket == NULL || !g_socket_connect (socket, address, NULL, &error))
    {
      g_clear_object (&socket);
      conn_close (conn, error->message);
      return FALSE;
    }
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  conn->upstream = socket;
  start_pipe (&conn->up, FALSE);
  start_pipe (&conn->down, TRUE);
  pump (&conn->up);
  return TRUE;
}

static gboolean
on_incoming (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  static guint next_id = 1;
  g_autoptr(GError) error = NULL;
  GSocket *client = g_socket_accept (listener, NULL, &error);
  Conn *conn;

  (void) condition;
  (void) user_data;
  if (client == NULL)
    return G_SOURCE_CONTINUE;
  g_socket_set_blocking (client, FALSE);
  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  conn = g_new0 (Conn, 1);
  conn->id = next_id++;
  conn->client = client;
  conn->up.conn = conn;
  conn->down.conn = conn;
  connections = g_list_append (connections, conn);
  g_printerr ("fault-proxy: connection %u accepted\n", conn->id);
  start_pipe (&conn->up, FALSE);
  start_pipe (&conn->down, TRUE);
  if (mode != MODE_BLACKHOLE)
    connect_upstream (conn);
  return G_SOURCE_CONTINUE;
}

/* Applies the mode to every connection. */
static void
heal_all (void)
{
  GList *copy = g_list_copy (connections);

  for (GList *l = copy; l != NULL; l = l->next)
    {
      Conn *conn = l->data;

      if (g_list_find (connections, conn) == NULL)
        continue;
      if (conn->upstream == NULL && !connect_upstream (conn))
        continue;
      pump (&conn->up);
      if (g_list_find (connections, conn) != NULL)
        pump (&conn->down);
    }
  g_list_free (copy);
}

static gboolean
parse_ms (const char *text, guint *ms)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 60000, &value, NULL))
    return FALSE;
  *ms = (guint) value;
  return TRUE;
}

static void
handle_command (char *line)
{
  g_strstrip (line);
  if (g_str_equal (line, "pass") || g_str_equal (line, "heal"))
    mode = MODE_PASS;
  else if (g_str_equal (line, "drop"))
    mode = MODE_DROP;
  else if (g_str_equal (line, "blackhole"))
    mode = MODE_BLACKHOLE;
  else if (g_str_has_prefix (line, "delay ") && parse_ms (line + 6, &pace_ms))
    mode = MODE_DELAY;
  else if (g_str_has_prefix (line, "trickle ") && parse_ms (line + 8, &pace_ms))
    mode = MODE_TRICKLE;
  else
    {
      printf ("error unknown command: %s\n", line);
      fflush (stdout);
      return;
    }
  heal_all ();
  printf ("ok %s\n", line);
  fflush (stdout);
}

static gboolean
on_stdin (GIOChannel *channel, GIOCondition condition, gpointer user_data)
{
  g_autofree char *line = NULL;
  GIOStatus status;

  (void) condition;
  (void) user_data;
  status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);
  if (status == G_IO_STATUS_NORMAL)
    {
      handle_command (line);
      return G_SOURCE_CONTINUE;
    }
  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (loop);   /* end of stdin, or an error: the test is gone */
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  guint port = 0;
  GOptionEntry entries[] = {
    { "upstream", 0, 0, G_OPTION_ARG_INT, &port, "OpenOCD's Tcl port on 127.0.0.1", "PORT" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- FAULT INJECTION TCP proxy");
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GIOChannel) in = NULL;
  GSource *accept_source;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || port < 1 || port > 65535)
    {
      g_printerr ("fault-proxy: %s\n", error != NULL ? error->message : "--upstream PORT needed");
      return EXIT_FAILURE;
    }
  upstream_port = (guint16) port;
  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  if (listener == NULL || !g_socket_bind (listener, any_port, TRUE, &error) ||
      !g_socket_listen (listener, &error) ||
      (bound = g_socket_get_local_address (listener, &error)) == NULL)
    {
      g_printerr ("fault-proxy: cannot listen: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_socket_set_blocking (listener, FALSE);
  loop = g_main_loop_new (NULL, FALSE);
  accept_source = g_socket_create_source (listener, G_IO_IN, NULL);
  g_source_set_callback (accept_source, G_SOURCE_FUNC (on_incoming), NULL, NULL);
  g_source_attach (accept_source, NULL);
  g_source_unref (accept_source);

  in = g_io_channel_unix_new (0);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);

  printf ("listening on port %u\n",
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  fflush (stdout);
  g_main_loop_run (loop);

  while (connections != NULL)
    conn_close (connections->data, "exiting");
  g_main_loop_unref (loop);
  return EXIT_SUCCESS;
}
