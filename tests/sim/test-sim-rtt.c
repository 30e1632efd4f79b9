/* OpenOCD 0.12's own RTT (rtt setup, start, channels, channellist,
 * polling_interval and its rtt server) against the simulated board running
 * its RTT firmware (firmware/rtt-firmware.h): over the Tcl RPC port and
 * plain sockets on OpenOCD's rtt server ports, while the hart runs. */
#define G_LOG_DOMAIN "ood-test-sim-rtt"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/rtt-firmware.h"
#include "hart.h"
#include "ood-testbed.h"

G_STATIC_ASSERT (RTT_FW_CLOCK_ADDR == SIM_CLOCK_ADDR);

#define SETUP_EXACT  "rtt setup 0x80010000 64 {SEGGER RTT}"
#define SETUP_WIDE   "rtt setup 0x80000000 0x20000 {SEGGER RTT}"
#define FOUND_TEXT   "rtt: Control block found at 0x80010000"
#define WAIT_US      (20 * G_USEC_PER_SEC)  /* give up waiting for the stream */
#define STATUS_WORD(field) (RTT_FW_STATUS_ADDR + G_STRUCT_OFFSET (RttFwStatus, field))

typedef struct {
  OodTestbed *tb;
  OodTestTcl *tcl;
} Fixture;

/* One of OpenOCD's rtt server ports, as a client sees it. */
typedef struct {
  GSocketConnection *conn;
  GSocket *socket;
  GByteArray *pending;  /* received, not yet taken */
} Stream;

/* What a reader of up-channel 1 has seen so far. */
typedef struct {
  guint64 seen;
  gint64 last_seq;      /* -1 before the first record */
  guint64 last_time_us;
} Records;

static void
start_board (Fixture *f, const char *image)
{
  g_autoptr(GError) error = NULL;
  OodTestbedOptions opts = { .image_path = image, .rtt_commands = TRUE };

  f->tb = ood_testbed_new (&opts, &error);
  g_assert_no_error (error);
  f->tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (f->tb), &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  (void) data;
  start_board (f, ood_test_rtt_firmware_path ());
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  g_clear_pointer (&f->tcl, ood_test_tcl_free);
  g_clear_pointer (&f->tb, ood_testbed_free);
}

static char *tcl (Fixture *f, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The reply to a command that must reach OpenOCD (it may still fail). */
static char *
tcl (Fixture *f, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  va_list args;
  char *reply;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  reply = ood_test_tcl_eval (f->tcl, command, &error);
  g_assert_no_error (error);
  g_test_message ("%s -> '%.500s'", command, reply);
  return reply;
}

/* Runs @command under catch and capture: returns Tcl's return code, and in
 * *output what OpenOCD logged and printed (or the error message). */
static int
tcl_capture (Fixture *f, const char *command, char **output)
{
  g_autofree char *rc = tcl (f, "catch {capture {%s}} ood_out", command);

  *output = tcl (f, "set ood_out");
  return atoi (rc);
}

static void
assert_capture_ok (Fixture *f, const char *command, const char *expect)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (tcl_capture (f, command, &out), ==, 0);
  if (expect)
    g_assert_nonnull (strstr (out, expect));
}

static guint32
read_word (Fixture *f, guint32 addr)
{
  g_autofree char *reply = tcl (f, "read_memory 0x%08x 32 1", addr);
  char *end = NULL;
  guint64 v = g_ascii_strtoull (reply, &end, 0);

  g_assert_true (end != reply && *end == '\0');
  return (guint32) v;
}

static void
write_word (Fixture *f, guint32 addr, guint32 value)
{
  g_autofree char *reply = tcl (f, "write_memory 0x%08x 32 {0x%x}", addr, value);

  g_assert_cmpstr (reply, ==, "");
}

static void
read_status (Fixture *f, RttFwStatus *st)
{
  g_autofree char *reply = tcl (f, "read_memory 0x%08x 32 %u", RTT_FW_STATUS_ADDR,
                                (unsigned) (sizeof *st / 4));
  g_auto(GStrv) words = g_strsplit (reply, " ", -1);
  guint32 *w = (guint32 *) st;

  g_assert_cmpuint (g_strv_length (words), ==, sizeof *st / 4);
  for (gsize i = 0; i < sizeof *st / 4; i++)
    w[i] = (guint32) g_ascii_strtoull (words[i], NULL, 0);
}

/* "rtt start" after @setup (unless NULL) finds the block at its address. */
static void
rtt_start (Fixture *f, const char *setup)
{
  if (setup)
    g_free (tcl (f, "%s", setup));
  assert_capture_ok (f, "rtt start", FOUND_TEXT);
}

/* Starts OpenOCD's rtt server for @channel on a port the system picks and
 * returns that port, from OpenOCD's "Listening on port N" line. */
static guint16
rtt_server (Fixture *f, guint channel)
{
  g_autofree char *cmd = g_strdup_printf ("rtt server start 0 %u", channel);
  g_autofree char *out = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) re = g_regex_new ("Listening on port (\\d+) for rtt connections",
                                      0, 0, NULL);
  g_autofree char *port = NULL;

  g_assert_cmpint (tcl_capture (f, cmd, &out), ==, 0);
  g_assert_true (g_regex_match (re, out, 0, &match));
  port = g_match_info_fetch (match, 1);
  return (guint16) atoi (port);
}

static Stream *
stream_open (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  Stream *s = g_new0 (Stream, 1);

  s->conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  s->socket = g_socket_connection_get_socket (s->conn);
  s->pending = g_byte_array_new ();
  return s;
}

static void
stream_free (Stream *s)
{
  g_object_unref (s->conn);
  g_byte_array_unref (s->pending);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stream, stream_free)

/* Appends what arrives before @deadline (monotonic µs) to s->pending;
 * FALSE if nothing did. */
static gboolean
stream_receive (Stream *s, gint64 deadline)
{
  g_autoptr(GError) error = NULL;
  gint64 left = deadline - g_get_monotonic_time ();
  guint8 buf[16384];
  gssize n;

  if (left <= 0 || !g_socket_condition_timed_wait (s->socket, G_IO_IN, left, NULL, NULL))
    return FALSE;
  n = g_socket_receive (s->socket, (char *) buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);  /* OpenOCD does not close the port */
  g_byte_array_append (s->pending, buf, (guint) n);
  return TRUE;
}

static void
stream_send (Stream *s, const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send (s->socket, text, strlen (text), NULL, &error), ==,
                   (gssize) strlen (text));
  g_assert_no_error (error);
}

/* The next whole line (without its newline), waiting for it; asserts it
 * came before the deadline. */
static char *
stream_line (Stream *s, gint64 deadline)
{
  for (;;)
    {
      const guint8 *nl = s->pending->len > 0 ? memchr (s->pending->data, '\n', s->pending->len)
                                             : NULL;

      if (nl)
        {
          gsize len = (gsize) (nl - s->pending->data);
          char *line = g_strndup ((const char *) s->pending->data, len);

          g_byte_array_remove_range (s->pending, 0, (guint) len + 1);
          return line;
        }
      g_assert_true (stream_receive (s, deadline));
    }
}

/* The number in "tick N", or -1 for any other line. */
static gint64
tick_number (const char *line)
{
  guint64 n = 0;

  if (!g_str_has_prefix (line, "tick ") ||
      !g_ascii_string_to_unsigned (line + 5, 10, 0, G_MAXUINT32, &n, NULL))
    return -1;
  return (gint64) n;
}

/* Checks one record: its magic, a later seq than the last one, a time not
 * before the last one's and not after @now, the host's clock when it
 * arrived (the board's clock is the host's CLOCK_MONOTONIC). */
static void
records_check (Records *r, const RttFwRecord *rec, gint64 now)
{
  g_assert_cmphex (rec->magic, ==, RTT_FW_RECORD_MAGIC);
  g_assert_cmpint ((gint64) rec->seq, >, r->last_seq);
  g_assert_cmpuint (rec->time_us, >=, r->last_time_us);
  g_assert_cmpuint (rec->time_us, <=, (guint64) now);
  r->last_seq = rec->seq;
  r->last_time_us = rec->time_us;
  r->seen++;
}

/* Checks and takes the whole records pending; calls @each on each one. */
static void
records_take (Records *r, Stream *s, void (*each) (const RttFwRecord *, gpointer),
              gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  guint n = s->pending->len / sizeof (RttFwRecord) * sizeof (RttFwRecord);

  for (guint off = 0; off < n; off += sizeof (RttFwRecord))
    {
      RttFwRecord rec;

      memcpy (&rec, s->pending->data + off, sizeof rec);
      records_check (r, &rec, now);
      if (each)
        each (&rec, user_data);
    }
  g_byte_array_remove_range (s->pending, 0, n);
}

/* Reads records until @seen of them were seen in all; asserts that
 * happened before the deadline. */
static void
records_read_until (Records *r, Stream *s, guint64 seen,
                    void (*each) (const RttFwRecord *, gpointer), gpointer user_data)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (r->seen < seen)
    {
      g_assert_true (stream_receive (s, deadline));
      records_take (r, s, each, user_data);
    }
}

/* The records the firmware wrote (tried, less those it dropped), as its
 * counters say at this moment. */
static guint64
records_written (Fixture *f)
{
  RttFwStatus st;

  read_status (f, &st);
  return (guint64) st.records - st.records_dropped;
}

/* Stops the records and returns the firmware's final counters. */
static void
stop_records (Fixture *f, RttFwStatus *st)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  RttFwStatus before;

  write_word (f, STATUS_WORD (record_period_us), G_MAXUINT32);
  /* The loop that read the old period may still send one: wait for the
   * next loop, then read the counters again (a read_memory is not atomic). */
  read_status (f, &before);
  do
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      read_status (f, st);
    }
  while (st->loops == before.loops);
  read_status (f, st);
}

/* Stops the records and reads until every one the firmware tried is either
 * seen or counted as dropped by it; asserts that is exactly so: OpenOCD
 * neither lost nor repeated a byte, and the last record was read. */
static void
assert_all_accounted (Fixture *f, Records *r, Stream *s)
{
  RttFwStatus st;

  stop_records (f, &st);
  g_test_message ("records: %u tried, %u dropped by the firmware, %" G_GUINT64_FORMAT
                  " read so far", st.records, st.records_dropped, r->seen);
  records_read_until (r, s, (guint64) st.records - st.records_dropped, NULL, NULL);
  g_assert_cmpuint (r->seen + st.records_dropped, ==, st.records);
  /* the last record read is the last one, unless the firmware dropped
   * the last few (its buffer full): then one of the few before them */
  g_assert_cmpint (r->last_seq, <=, (gint64) st.records - 1);
  g_assert_cmpint (r->last_seq, >=, (gint64) st.records - 1 - st.records_dropped);
  g_assert_cmpuint (s->pending->len, ==, 0);
}

/* The control block at its fixed address; its channels as OpenOCD lists
 * them; the firmware's status with its defaults. */
static void
test_channels (Fixture *f, gconstpointer data)
{
  g_autofree char *list = NULL, *expected = NULL, *channels = NULL;
  RttFwStatus st;

  (void) data;
  rtt_start (f, SETUP_EXACT);
  list = tcl (f, "rtt channellist");
  expected = g_strdup_printf ("{{name %s size %u flags 0} {name %s size %u flags 0}} "
                              "{{name %s size %u flags 0}}",
                              RTT_FW_TERMINAL_NAME, RTT_FW_TERMINAL_UP_SIZE,
                              RTT_FW_BINARY_NAME, RTT_FW_BINARY_UP_SIZE,
                              RTT_FW_TERMINAL_NAME, RTT_FW_TERMINAL_DOWN_SIZE);
  g_assert_cmpstr (list, ==, expected);
  g_assert_cmpint (tcl_capture (f, "rtt channels", &channels), ==, 0);
  g_assert_nonnull (strstr (channels, "Channels: up=2, down=1"));
  read_status (f, &st);
  g_assert_cmphex (st.magic, ==, RTT_FW_STATUS_MAGIC);
  g_assert_cmpuint (st.tick_period_us, ==, RTT_FW_DEFAULT_TICK_US);
  g_assert_cmpuint (st.record_period_us, ==, RTT_FW_DEFAULT_RECORD_US);
  g_assert_cmpuint (st.loops, >, 0);
  g_autofree char *state = tcl (f, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "running");
}

/* A scan of the whole image and beyond finds the block at its address,
 * not an earlier copy of the id. */
static void
test_wide_scan (Fixture *f, gconstpointer data)
{
  (void) data;
  rtt_start (f, SETUP_WIDE);
}

/* Up 0 carries "tick N" lines with N going up by one; what goes down
 * channel 0 comes back on up 0. */
static void
test_terminal (Fixture *f, gconstpointer data)
{
  g_autoptr(Stream) s = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  gint64 last = -1;
  guint run = 0;
  gboolean echoed = FALSE;
  RttFwStatus st;

  (void) data;
  rtt_start (f, SETUP_EXACT);
  g_free (tcl (f, "rtt polling_interval 1"));
  s = stream_open (rtt_server (f, RTT_FW_UP_TERMINAL));
  while (run < 3)
    {
      g_autofree char *line = stream_line (s, deadline);
      gint64 n = tick_number (line);

      g_assert_cmpint (n, >, last);
      run = n == last + 1 ? run + 1 : 1;
      last = n;
    }
  stream_send (s, "hello\n");
  while (!echoed)
    {
      g_autofree char *line = stream_line (s, deadline);
      gint64 n = tick_number (line);

      echoed = g_str_equal (line, "hello");
      g_assert_true (echoed || n > last);
      last = echoed ? last : n;
    }
  read_status (f, &st);
  g_assert_cmpuint (st.echoed, ==, strlen ("hello\n"));
}

typedef struct {
  gint64 halted_us, resumed_us;  /* the hart did not run in between */
  guint after_resume;            /* records stamped after resumed_us */
} HaltWindow;

/* No record is stamped while the hart is halted. */
static void
check_halt_window (const RttFwRecord *rec, gpointer user_data)
{
  HaltWindow *w = user_data;

  g_assert_false (rec->time_us > (guint64) w->halted_us &&
                  rec->time_us < (guint64) w->resumed_us);
  if (rec->time_us >= (guint64) w->resumed_us)
    w->after_resume++;
}

/* Up 1's records arrive in order with their seq going up and their times
 * in the past; a halt stops them (none is stamped while the hart is
 * halted) and after a resume they go on; in the end every record the
 * firmware tried was read or counted as dropped. */
static void
test_binary (Fixture *f, gconstpointer data)
{
  g_autoptr(Stream) s = NULL;
  Records r = { .last_seq = -1 };
  HaltWindow w = { .resumed_us = G_MAXINT64 };

  (void) data;
  rtt_start (f, SETUP_EXACT);
  g_free (tcl (f, "rtt polling_interval 1"));
  s = stream_open (rtt_server (f, RTT_FW_UP_BINARY));
  records_read_until (&r, s, 50, NULL, NULL);

  g_free (tcl (f, "halt"));
  g_autofree char *state = tcl (f, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "halted");
  w.halted_us = g_get_monotonic_time ();
  records_read_until (&r, s, records_written (f), check_halt_window, &w);
  g_assert_cmpuint (w.after_resume, ==, 0);
  w.resumed_us = g_get_monotonic_time ();
  g_free (tcl (f, "resume"));
  /* all read so far was written before the halt: the next ones after */
  records_read_until (&r, s, r.seen + 21, check_halt_window, &w);
  g_assert_cmpuint (w.after_resume, >=, 20);
  assert_all_accounted (f, &r, s);
}

/* "rtt start" before the firmware has run: the default program runs, the
 * firmware is loaded into the halted board, which is reset and stays
 * halted.  OpenOCD scans the image, finds no block and says so in its log
 * only: "rtt start" succeeds, the channel commands fail.  Once the
 * firmware has run, "rtt start" scans again and finds the block. */
static void
test_start_before_firmware (Fixture *f, gconstpointer data)
{
  g_autofree char *quoted = ood_test_tcl_quote (ood_test_rtt_firmware_path ());
  g_autofree char *load = NULL, *out = NULL, *channels = NULL, *list = NULL;
  guint32 id_word;
  gint64 deadline;

  (void) data;
  start_board (f, NULL);
  g_free (tcl (f, "halt"));
  load = tcl (f, "load_image %s 0x%08x bin", quoted, RTT_FW_IMAGE_BASE);
  g_free (tcl (f, "reset halt"));
  g_autofree char *state = tcl (f, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "halted");

  g_free (tcl (f, "%s", SETUP_EXACT));
  g_assert_cmpint (tcl_capture (f, "rtt start", &out), ==, 0);
  g_assert_nonnull (strstr (out, "rtt: Searching for control block 'SEGGER RTT'"));
  g_assert_nonnull (strstr (out, "rtt: No control block found"));
  g_assert_cmpint (tcl_capture (f, "rtt channels", &channels), !=, 0);
  g_assert_nonnull (strstr (channels, "rtt: Control block not available"));
  g_assert_cmpint (tcl_capture (f, "rtt channellist", &list), !=, 0);
  g_assert_nonnull (strstr (list, "rtt: Control block not available"));

  g_free (tcl (f, "resume"));
  /* the id's second word is whole once the firmware wrote the space */
  memcpy (&id_word, RTT_FW_CB_ID + 4, sizeof id_word);
  deadline = g_get_monotonic_time () + WAIT_US;
  while (read_word (f, RTT_FW_CB_ADDR + 4) != GUINT32_FROM_LE (id_word))
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
  rtt_start (f, NULL);
  g_free (list);
  list = tcl (f, "rtt channellist");
  g_assert_true (g_str_has_prefix (list, "{{name " RTT_FW_TERMINAL_NAME " size "));
}

/* Records as fast as the hart runs, more than OpenOCD reads: the firmware
 * drops what does not fit, and every record is still read or counted as
 * dropped.  Logs the throughput through OpenOCD's rtt server; with -m perf
 * for each of several polling intervals. */
static void
test_throughput (Fixture *f, gconstpointer data)
{
  static const guint quick[] = { 1 }, perf[] = { 1, 2, 5, 10, 20, 50, 100 };
  const guint *intervals = g_test_perf () ? perf : quick;
  guint n = g_test_perf () ? G_N_ELEMENTS (perf) : G_N_ELEMENTS (quick);
  g_autoptr(Stream) s = NULL;
  Records r = { .last_seq = -1 };

  (void) data;
  rtt_start (f, SETUP_EXACT);
  s = stream_open (rtt_server (f, RTT_FW_UP_BINARY));
  write_word (f, STATUS_WORD (record_period_us), 0);
  for (guint i = 0; i < n; i++)
    {
      guint64 seen0;
      gint64 t0, end;

      g_free (tcl (f, "rtt polling_interval %u", intervals[i]));
      t0 = g_get_monotonic_time ();
      seen0 = r.seen;
      end = t0 + 2 * G_USEC_PER_SEC;  /* a measuring window, not a bound */
      while (g_get_monotonic_time () < end)
        if (stream_receive (s, end))
          records_take (&r, s, NULL, NULL);
      g_test_message ("polling interval %u ms: %.0f bytes/s through OpenOCD's rtt server",
                      intervals[i], (double) ((r.seen - seen0) * sizeof (RttFwRecord)) /
                      ((double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC));
    }
  assert_all_accounted (f, &r, s);
}

static const struct {
  const char *name;
  void (*fn) (Fixture *, gconstpointer);
  gboolean own_setup;  /* the test starts its own board */
} tests[] = {
  { "channels", test_channels, FALSE },
  { "wide-scan", test_wide_scan, FALSE },
  { "terminal", test_terminal, FALSE },
  { "binary", test_binary, FALSE },
  { "start-before-firmware", test_start_before_firmware, TRUE },
  { "throughput", test_throughput, FALSE },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sim/rtt/%s", tests[i].name);

      g_test_add (path, Fixture, NULL, tests[i].own_setup ? NULL : fixture_setup,
                  tests[i].fn, fixture_teardown);
    }
  return g_test_run ();
}
