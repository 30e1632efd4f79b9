/* SPDX-License-Identifier: MIT */
/* The fan-out of one RTT channel (ood-rtt-channel.h) on its own: the test
 * is the source, pushing bytes and taking input as the service's poller
 * does, and holds the clients' ends of the readers' sockets. The same unit
 * with the real poller, OpenOCD and the firmware: tests/service/test-rtt.c. */
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ood-rtt-channel.h"

static void
iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* All a client's socket holds now (without waiting). */
static GByteArray *
read_available (gint fd, gboolean *eof)
{
  GByteArray *got = g_byte_array_new ();
  guint8 buffer[8192];
  gssize n;

  *eof = FALSE;
  while ((n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0)
    g_byte_array_append (got, buffer, (guint) n);
  if (n == 0)
    *eof = TRUE;
  else
    g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
  return got;
}

static void
assert_reads (gint fd, const char *expected)
{
  gboolean eof;
  g_autoptr(GByteArray) got = read_available (fd, &eof);

  g_assert_false (eof);
  g_assert_cmpmem (got->data, got->len, expected, strlen (expected));
}

static void
push_text (OodRttChannel *channel, const char *text)
{
  ood_rtt_channel_push (channel, (const guint8 *) text, strlen (text));
}

static void
count_gone (gpointer data)
{
  (*(guint *) data)++;
}

static void
on_changed (OodRttChannel *channel, gpointer user_data)
{
  (void) channel;
  (*(guint *) user_data)++;
}

static void
test_fan_out (void)
{
  g_autoptr(OodRttChannel) channel = ood_rtt_channel_new (OOD_RTT_CHANNEL_READER_BUFFER);
  gint a = ood_rtt_channel_add_reader (channel, FALSE, NULL, NULL, NULL);
  gint b = ood_rtt_channel_add_reader (channel, FALSE, NULL, NULL, NULL);
  gint late;

  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (b, >=, 0);
  g_assert_cmpuint (ood_rtt_channel_get_n_readers (channel), ==, 2);
  push_text (channel, "tick 1\n");
  push_text (channel, "tick 2\n");
  late = ood_rtt_channel_add_reader (channel, FALSE, NULL, NULL, NULL);
  push_text (channel, "tick 3\n");
  iterate ();
  assert_reads (a, "tick 1\ntick 2\ntick 3\n");
  assert_reads (b, "tick 1\ntick 2\ntick 3\n");
  /* every byte pushed after it came, and none before */
  assert_reads (late, "tick 3\n");
  g_assert_cmpuint (ood_rtt_channel_get_cut_off (channel), ==, 0);
  close (a);
  close (b);
  close (late);
}

/* One reader reads, one never does: the one that reads gets the whole
 * stream; the other is cut off once its buffer is full, reads a run of
 * the stream from its start without a gap, then EOF; the service never
 * holds more than the reader's buffer for it. */
static void
test_slow_reader (void)
{
  g_autoptr(OodRttChannel) channel = ood_rtt_channel_new (OOD_RTT_CHANNEL_READER_BUFFER);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GByteArray) fast_got = g_byte_array_new ();
  g_autoptr(GByteArray) slow_got = NULL;
  guint gone = 0;
  gint fast = ood_rtt_channel_add_reader (channel, FALSE, NULL, NULL, NULL);
  gint slow = ood_rtt_channel_add_reader (channel, FALSE, count_gone, &gone, NULL);
  guint changes = 0;
  gsize most_held = 0;
  gboolean eof;

  g_signal_connect (channel, "readers-changed", G_CALLBACK (on_changed), &changes);
  for (guint i = 0; i < 4096; i++)
    {
      guint8 chunk[1024];
      g_autoptr(GByteArray) got = NULL;

      for (guint j = 0; j < sizeof chunk; j++)
        chunk[j] = (guint8) g_random_int ();
      g_byte_array_append (stream, chunk, sizeof chunk);
      ood_rtt_channel_push (channel, chunk, sizeof chunk);
      most_held = MAX (most_held, ood_rtt_channel_get_held (channel));
      iterate ();
      got = read_available (fast, &eof);
      g_assert_false (eof);
      g_byte_array_append (fast_got, got->data, got->len);
    }
  iterate ();
  {
    g_autoptr(GByteArray) rest = read_available (fast, &eof);
    g_byte_array_append (fast_got, rest->data, rest->len);
  }
  g_assert_cmpmem (fast_got->data, fast_got->len, stream->data, stream->len);
  g_assert_cmpuint (ood_rtt_channel_get_cut_off (channel), ==, 1);
  g_assert_cmpuint (ood_rtt_channel_get_n_readers (channel), ==, 1);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (gone, ==, 1);
  g_assert_cmpuint (most_held, <=, OOD_RTT_CHANNEL_READER_BUFFER);

  slow_got = read_available (slow, &eof);
  g_assert_true (eof);
  g_assert_cmpuint (slow_got->len, >, 0);
  g_assert_cmpuint (slow_got->len, <, stream->len);
  g_assert_cmpmem (slow_got->data, slow_got->len, stream->data, slow_got->len);
  close (fast);
  close (slow);
}

static void
on_input (OodRttChannel *channel, gpointer user_data)
{
  (void) channel;
  (*(guint *) user_data)++;
}

/* A writer's bytes are queued for the down-channel; a reader that is not
 * a writer cannot send. */
static void
test_writer (void)
{
  g_autoptr(OodRttChannel) channel = ood_rtt_channel_new (OOD_RTT_CHANNEL_READER_BUFFER);
  gint writer = ood_rtt_channel_add_reader (channel, TRUE, NULL, NULL, NULL);
  gint reader = ood_rtt_channel_add_reader (channel, FALSE, NULL, NULL, NULL);
  g_autoptr(GBytes) input = NULL;
  guint inputs = 0;

  g_signal_connect (channel, "input", G_CALLBACK (on_input), &inputs);
  g_assert_cmpuint (ood_rtt_channel_get_n_writers (channel), ==, 1);
  g_assert_cmpint (write (writer, "hello\n", 6), ==, 6);
  errno = 0;
  g_assert_cmpint (send (reader, "no\n", 3, MSG_NOSIGNAL), ==, -1);
  g_assert_cmpint (errno, ==, EPIPE);
  while (inputs == 0)
    g_main_context_iteration (NULL, TRUE);
  input = ood_rtt_channel_peek_input (channel);
  g_assert_cmpmem (g_bytes_get_data (input, NULL), g_bytes_get_size (input), "hello\n", 6);
  ood_rtt_channel_consume_input (channel, 6);
  g_clear_pointer (&input, g_bytes_unref);

  /* shutting its sending side, a writer stays a reader */
  g_assert_cmpint (shutdown (writer, SHUT_WR), ==, 0);
  while (ood_rtt_channel_get_n_writers (channel) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (ood_rtt_channel_get_n_readers (channel), ==, 2);
  push_text (channel, "echo\n");
  assert_reads (writer, "echo\n");
  input = ood_rtt_channel_peek_input (channel);
  g_assert_cmpuint (g_bytes_get_size (input), ==, 0);
  close (writer);
  close (reader);
}

/* While the input queue is full, writers are not read: they are held
 * back, never dropped, and every byte arrives once, in order. */
static void
test_back_pressure (void)
{
  g_autoptr(OodRttChannel) channel = ood_rtt_channel_new (OOD_RTT_CHANNEL_READER_BUFFER);
  gint writer = ood_rtt_channel_add_reader (channel, TRUE, NULL, NULL, NULL);
  g_autoptr(GByteArray) sent = g_byte_array_new ();
  g_autoptr(GByteArray) taken = g_byte_array_new ();
  guint full = 0;

  for (guint i = 0; i < 8 * OOD_RTT_CHANNEL_INPUT_MAX; i++)
    {
      guint8 byte = (guint8) g_random_int ();
      g_byte_array_append (sent, &byte, 1);
    }
  g_assert_cmpint (send (writer, sent->data, sent->len, MSG_DONTWAIT), ==, (gssize) sent->len);
  while (taken->len < sent->len)
    {
      g_autoptr(GBytes) input = NULL;
      gsize size, part;
      const guint8 *data;

      iterate ();
      input = ood_rtt_channel_peek_input (channel);
      data = g_bytes_get_data (input, &size);
      if (size == 0)
        {
          g_main_context_iteration (NULL, TRUE);
          continue;
        }
      g_assert_cmpuint (size, <=, OOD_RTT_CHANNEL_INPUT_MAX);
      full += size == OOD_RTT_CHANNEL_INPUT_MAX;
      /* a slow down-channel: a few bytes at a time */
      part = MIN (size, 1000);
      g_byte_array_append (taken, data, (guint) part);
      ood_rtt_channel_consume_input (channel, part);
    }
  g_assert_cmpuint (full, >, 0);
  g_assert_cmpmem (taken->data, taken->len, sent->data, sent->len);
  close (writer);
}

/* A client that closes its end leaves; close() ends the others with EOF;
 * each reader's gone is called once it left. */
static void
test_leave_and_close (void)
{
  g_autoptr(OodRttChannel) channel = ood_rtt_channel_new (OOD_RTT_CHANNEL_READER_BUFFER);
  guint gone_leaving = 0, gone_staying = 0;
  gint leaving = ood_rtt_channel_add_reader (channel, FALSE, count_gone, &gone_leaving, NULL);
  gint staying = ood_rtt_channel_add_reader (channel, TRUE, count_gone, &gone_staying, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) got = NULL;
  guint changes = 0;
  gboolean eof;

  g_signal_connect (channel, "readers-changed", G_CALLBACK (on_changed), &changes);
  close (leaving);
  while (changes == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (ood_rtt_channel_get_n_readers (channel), ==, 1);
  g_assert_cmpuint (gone_leaving, ==, 1);
  g_assert_cmpuint (gone_staying, ==, 0);

  push_text (channel, "last\n");
  ood_rtt_channel_close (channel);
  g_assert_cmpuint (changes, ==, 2);
  g_assert_cmpuint (gone_staying, ==, 1);
  g_assert_cmpuint (ood_rtt_channel_get_n_readers (channel), ==, 0);
  got = read_available (staying, &eof);
  g_assert_true (eof);
  g_assert_cmpmem (got->data, got->len, "last\n", 5);
  g_assert_cmpint (ood_rtt_channel_add_reader (channel, FALSE, NULL, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  close (staying);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtt-channel/fan-out", test_fan_out);
  g_test_add_func ("/rtt-channel/slow-reader", test_slow_reader);
  g_test_add_func ("/rtt-channel/writer", test_writer);
  g_test_add_func ("/rtt-channel/back-pressure", test_back_pressure);
  g_test_add_func ("/rtt-channel/leave-and-close", test_leave_and_close);
  return g_test_run ();
}
