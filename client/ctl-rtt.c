/* SPDX-License-Identifier: MIT */
/*
 * openocdctl rtt: one RTT channel of a target (org.openocd.Rtt), live.
 * What the target writes to the up-channel goes to stdout as it comes
 * (with --json, one {"channel":N,"text":…} or {"channel":N,"hex":…} line
 * per line of it); what comes on stdin goes to the down-channel. Ends on
 * SIGINT or SIGTERM (status 0), or when the service ends the channel
 * (status 1, saying why).
 */
#include "openocdctl.h"
#include "ood-error.h"

#include <errno.h>
#include <glib-unix.h>
#include <gio/gunixfdlist.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IO_CHUNK 4096

typedef struct {
  char     *address;     /* --address, as given */
  char     *size;        /* --size */
  char     *id;          /* --id */
  gboolean  read_only;   /* --read-only */
} RttOptions;

/* The live channel: the socket, stdin, and what waits for the socket. */
typedef struct {
  CtlContext *ctx;
  GMainLoop  *loop;
  guint       channel;
  gint        fd;
  guint       fd_watch;
  guint       stdin_watch;  /* 0 once stdin ended, or while output waits */
  GByteArray *to_send;      /* read from stdin, not yet taken by the socket */
  GByteArray *partial;      /* --json: the start of a UTF-8 character cut by a read */
  gboolean    ended;        /* the service ended the channel */
  GError     *error;        /* reading or writing failed */
} Live;

static void
rtt_options_clear (RttOptions *options)
{
  g_clear_pointer (&options->address, g_free);
  g_clear_pointer (&options->size, g_free);
  g_clear_pointer (&options->id, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RttOptions, rtt_options_clear)

/* ---- --json ------------------------------------------------------------- */

/* One JSON line: the piece as text if it is UTF-8 (no NUL), else as hex. */
static void
print_piece (Live *live, const guint8 *data, gsize size)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(CtlRecord) record = NULL;

  json_builder_begin_object (builder);
  ctl_build_uint (builder, "channel", live->channel);
  if (g_utf8_validate_len ((const char *) data, size, NULL))
    {
      g_autofree char *text = g_strndup ((const char *) data, size);
      ctl_build_string (builder, "text", text);
    }
  else
    {
      g_autofree char *hex = g_malloc (size * 2 + 1);
      for (gsize i = 0; i < size; i++)
        g_snprintf (hex + 2 * i, 3, "%02x", data[i]);
      ctl_build_string (builder, "hex", hex);
    }
  json_builder_end_object (builder);
  record = ctl_record_new_from_builder (&ctl_layout_quiet, builder);
  ctl_render (live->ctx, record);
}

/* How many bytes at the end of @data start a UTF-8 character that the
 * next read completes (0 to 3). */
static gsize
cut_character (const guint8 *data, gsize size)
{
  for (gsize back = 1; back <= MIN (size, 3); back++)
    {
      const char *start = (const char *) data + size - back;
      if ((*start & 0xc0) != 0x80)
        return g_utf8_get_char_validated (start, (gssize) back) == (gunichar) -2 ? back : 0;
    }
  return 0;
}

/* Prints @data a line at a time (each piece ends with its newline). */
static void
print_json (Live *live, const guint8 *data, gsize size)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();
  gsize start = 0, keep;

  g_byte_array_append (all, live->partial->data, live->partial->len);
  g_byte_array_append (all, data, (guint) size);
  g_byte_array_set_size (live->partial, 0);
  keep = cut_character (all->data, all->len);
  for (gsize i = 0; i < all->len - keep; i++)
    if (all->data[i] == '\n')
      {
        print_piece (live, all->data + start, i + 1 - start);
        start = i + 1;
      }
  if (start < all->len - keep)
    print_piece (live, all->data + start, all->len - keep - start);
  g_byte_array_append (live->partial, all->data + all->len - keep, (guint) keep);
}

/* ---- the loop ----------------------------------------------------------- */

static void
output (Live *live, const guint8 *data, gsize size)
{
  if (live->ctx->json)
    print_json (live, data, size);
  else
    {
      fwrite (data, 1, size, stdout);
      fflush (stdout);
    }
}

static void
fail (Live *live, const char *what, int saved)
{
  if (live->error == NULL)
    g_set_error (&live->error, CTL_ERROR, CTL_ERROR_FAILED, "%s: %s", what, g_strerror (saved));
  g_main_loop_quit (live->loop);
}

static gboolean on_stdin (gint fd, GIOCondition condition, gpointer user_data);

static void
watch_stdin (Live *live)
{
  if (live->stdin_watch == 0)
    live->stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, live);
}

/* Sends what stdin gave; TRUE once all of it went. */
static gboolean
send_pending (Live *live)
{
  gssize sent = send (live->fd, live->to_send->data, live->to_send->len,
                      MSG_DONTWAIT | MSG_NOSIGNAL);

  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    {
      fail (live, "sending to the channel", errno);
      return FALSE;
    }
  if (sent > 0)
    g_byte_array_remove_range (live->to_send, 0, (guint) sent);
  return live->to_send->len == 0;
}

static gboolean
on_socket (gint fd, GIOCondition condition, gpointer user_data)
{
  Live *live = user_data;
  guint8 buffer[IO_CHUNK];
  gssize got;

  if ((condition & G_IO_OUT) && send_pending (live))
    {
      /* all sent: back to reading stdin, and the socket only for input */
      g_source_remove (live->fd_watch);
      live->fd_watch = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket, live);
      watch_stdin (live);
      return G_SOURCE_REMOVE;
    }
  if (!(condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
    return G_SOURCE_CONTINUE;
  got = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
  if (got > 0)
    output (live, buffer, (gsize) got);
  else if (got == 0 || errno == ECONNRESET)
    {
      live->ended = TRUE;
      g_main_loop_quit (live->loop);
    }
  else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    fail (live, "reading the channel", errno);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stdin (gint fd, GIOCondition condition, gpointer user_data)
{
  Live *live = user_data;
  guint8 buffer[IO_CHUNK];
  gssize got = read (fd, buffer, sizeof buffer);

  (void) condition;
  if (got < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  live->stdin_watch = 0;
  if (got <= 0)
    {
      /* stdin ended: the channel's reading goes on */
      shutdown (live->fd, SHUT_WR);
      return G_SOURCE_REMOVE;
    }
  g_byte_array_append (live->to_send, buffer, (guint) got);
  if (send_pending (live))
    {
      watch_stdin (live);
      return G_SOURCE_REMOVE;
    }
  /* the socket is full: stdin waits until it took these */
  g_source_remove (live->fd_watch);
  live->fd_watch = g_unix_fd_add (live->fd, G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR, on_socket,
                                  live);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (((Live *) user_data)->loop);
  return G_SOURCE_CONTINUE;
}

/* Why the service ended the channel, in words. */
static void
explain_end (Live *live, OodDbusRtt *rtt, GError **error)
{
  /* the stop, if there was one, is announced before the socket closes
   * reaches us; let the property catch up */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (ood_dbus_rtt_get_running (rtt))
    g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                 "the service ended channel %u for this reader: it fell more than 64 KiB "
                 "behind the target", live->channel);
  else
    g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                 "channel %u ended: RTT stopped on the target (Stop, a failed poll, or "
                 "OpenOCD was lost)", live->channel);
}

/* Streams @fd until a signal or its end. */
static gboolean
run_live (CtlContext *ctx, OodDbusRtt *rtt, guint channel, gint fd, gboolean write,
          GError **error)
{
  Live live = { .ctx = ctx, .channel = channel, .fd = fd };
  guint sigint, sigterm;

  live.loop = g_main_loop_new (NULL, FALSE);
  live.to_send = g_byte_array_new ();
  live.partial = g_byte_array_new ();
  live.fd_watch = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket, &live);
  if (write)
    watch_stdin (&live);
  sigint = g_unix_signal_add (SIGINT, on_signal, &live);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &live);
  g_main_loop_run (live.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_source_remove (live.fd_watch);
  if (live.stdin_watch != 0)
    g_source_remove (live.stdin_watch);
  if (live.partial->len > 0)
    print_piece (&live, live.partial->data, live.partial->len);
  if (live.error != NULL)
    g_propagate_error (error, g_steal_pointer (&live.error));
  else if (live.ended)
    explain_end (&live, rtt, error);
  g_main_loop_unref (live.loop);
  g_byte_array_unref (live.to_send);
  g_byte_array_unref (live.partial);
  return !live.ended && (error == NULL || *error == NULL);
}

/* ---- setting up --------------------------------------------------------- */

/* Starts RTT if it is not running, set up by --address and --size first
 * if they are given. */
static gboolean
ensure_running (OodDbusRtt *rtt, const RttOptions *options, GError **error)
{
  guint64 address = 0, size = 0;
  g_autoptr(GError) local = NULL;

  if (ood_dbus_rtt_get_running (rtt))
    return TRUE;
  if ((options->address == NULL) != (options->size == NULL))
    return ctl_usage_error (error, "--address and --size go together");
  if (options->address != NULL)
    {
      if (!ctl_parse_number (options->address, G_MAXUINT64, &address, &local) ||
          !ctl_parse_number (options->size, G_MAXUINT64, &size, &local))
        return ctl_usage_error (error, "%s", local->message);
      if (!ood_dbus_rtt_call_setup_sync (rtt, address, size, options->id ? options->id : "",
                                         NULL, error))
        return FALSE;
    }
  if (ood_dbus_rtt_call_start_sync (rtt, NULL, &local))
    {
      /* Channels changed before the reply: let the proxy see it */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      return TRUE;
    }
  if (options->address == NULL && g_error_matches (local, OOD_ERROR, OOD_ERROR_NOT_FOUND))
    g_prefix_error (&local, "give --address and --size of the RAM to search: ");
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* Whether the target has down-buffer @channel (Channels, read at Start). */
static gboolean
has_down_buffer (OodDbusRtt *rtt, guint channel)
{
  GVariant *channels = ood_dbus_rtt_get_channels (rtt);
  GVariantIter iter;
  const char *direction;
  guint index;

  if (channels == NULL)
    return FALSE;
  g_variant_iter_init (&iter, channels);
  while (g_variant_iter_next (&iter, "(u&s&su)", &index, NULL, &direction, NULL))
    if (index == channel && g_str_equal (direction, "down"))
      return TRUE;
  return FALSE;
}

static gint
open_channel (OodDbusRtt *rtt, guint channel, gboolean write, GError **error)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;

  if (!ood_dbus_rtt_call_open_channel_sync (rtt, channel, write, NULL, &handle, &fds, NULL, error))
    return -1;
  if (fds == NULL || g_variant_get_handle (handle) != 0 || g_unix_fd_list_get_length (fds) != 1)
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED, "the service sent no channel socket");
      return -1;
    }
  return g_unix_fd_list_get (fds, 0, error);
}

static OodDbusRtt *
open_rtt (CtlContext *ctx, GError **error)
{
  g_autoptr(OodDbusObject) object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS, error);
  OodDbusRtt *rtt;

  if (object == NULL)
    return NULL;
  rtt = ood_dbus_object_get_rtt (object);
  if (rtt == NULL)
    g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED, "the target has no org.openocd.Rtt interface");
  return rtt;
}

/* Text and JSON: only the channel's bytes, as they come. */
CtlRecord *
ctl_cmd_rtt (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_auto(RttOptions) options = { 0 };
  g_autoptr(OodDbusRtt) rtt = NULL;
  g_autoptr(GError) local = NULL;
  guint64 channel = 0;
  gboolean write;
  gint fd;
  const GOptionEntry entries[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &options.address,
      "Start RTT if it is not running, searching RAM from ADDR", "ADDR" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &options.size, "… for SIZE bytes", "SIZE" },
    { "id", 0, 0, G_OPTION_ARG_STRING, &options.id, "The control block's id (\"SEGGER RTT\")", "ID" },
    { "read-only", 0, 0, G_OPTION_ARG_NONE, &options.read_only,
      "Do not send stdin to the down-channel", NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error))
    return NULL;
  if (argc > 1 && !ctl_parse_number (argv[1], G_MAXUINT32, &channel, &local))
    {
      ctl_usage_error (error, "%s", local->message);
      return NULL;
    }
  rtt = open_rtt (ctx, error);
  if (rtt == NULL || !ensure_running (rtt, &options, error))
    return NULL;
  write = !options.read_only && has_down_buffer (rtt, (guint) channel);
  fd = open_channel (rtt, (guint) channel, write, error);
  if (fd < 0)
    return NULL;
  if (!run_live (ctx, rtt, (guint) channel, fd, write, error))
    {
      close (fd);
      return NULL;
    }
  close (fd);
  return ctl_record_new_empty ();
}
