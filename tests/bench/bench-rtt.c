/* SPDX-License-Identifier: MIT */
/* Figure 14: RTT through the service's socket against two references
 * reading up-channel 1 of the board's RTT firmware (tests/sim/firmware): a
 * client of OpenOCD's own rtt server (on a board of its own, whose
 * OpenOCD gets its rtt commands from a dormant Cortex-M target,
 * tests/sim/riscv-sim.cfg), and a raw Tcl client polling the control
 * block with the service's own script. Throughput, latency (the firmware's timestamps against the
 * reader's clock, both CLOCK_MONOTONIC), 8 readers of one channel, and
 * the daemon's memory with a reader that never reads. See README.md. */
#define G_LOG_DOMAIN "ood-bench"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ood-service-fixture.h"
#include "ood-tcl-parse.h"
#include "ood-tcl-rtt.h"
#include "ood-test-proc.h"
#include "ood-testbed.h"
#include "rtt-firmware.h"

#include "bench.h"

/* Polling intervals: as fast as each can for throughput; a common one,
 * as a user would set it, for latency. */
#define FLOOD_POLL_MS  1u
#define POLL_MS        10u
#define N_READERS      8u
/* What arrives in a phase's first 0.5 s is not counted: the backlog. */
#define WARM_UP_NS     (G_GINT64_CONSTANT (500) * 1000 * 1000)
/* How long a phase's readers read on after it, for what was written in it. */
#define DRAIN_S        0.5
#define RECORD_SIZE    ((gsize) sizeof (RttFwRecord))

/* What one reader got: the bytes of the records the firmware wrote in the
 * window [from_ns, to_ns) (by their timestamps, so that a reader's own
 * backlog at the end of a phase does not count against the service), and
 * each record's age on arrival. */
typedef struct {
  GByteArray *carry;     /* the start of a record cut by a read */
  Samples     latency;   /* µs from the firmware writing a record to its arrival */
  guint64     bytes;
  guint64     bad;       /* records without the magic: a reader out of step */
  gint64      from_ns;   /* records written before this are not counted */
  gint64      to_ns;     /* nor those written from this on */
} Sink;

static void
sink_init (Sink *sink, gint64 from_ns)
{
  sink->carry = g_byte_array_new ();
  sink->latency = samples_new ();
  sink->bytes = 0;
  sink->bad = 0;
  sink->from_ns = from_ns;
  sink->to_ns = G_MAXINT64;
}

static void
sink_clear (Sink *sink)
{
  g_byte_array_unref (sink->carry);
  samples_free (&sink->latency);
}

/* Takes @size bytes that arrived at @now_ns. */
static void
sink_take (Sink *sink, const guint8 *data, gsize size, gint64 now_ns)
{
  gsize at = 0;

  g_byte_array_append (sink->carry, data, (guint) size);
  for (; at + RECORD_SIZE <= sink->carry->len; at += RECORD_SIZE)
    {
      RttFwRecord record;
      gint64 written_ns;

      memcpy (&record, sink->carry->data + at, sizeof record);
      written_ns = (gint64) record.time_us * 1000;
      if (record.magic != RTT_FW_RECORD_MAGIC)
        sink->bad++;
      else if (written_ns >= sink->from_ns && written_ns < sink->to_ns)
        {
          sink->bytes += RECORD_SIZE;
          samples_add (&sink->latency, (double) (now_ns / 1000 - (gint64) record.time_us));
        }
    }
  g_byte_array_remove_range (sink->carry, 0, (guint) at);
}

static double
kib_per_s (guint64 bytes, gint64 from_ns, gint64 to_ns)
{
  return (double) bytes / 1024.0 / ((double) (to_ns - from_ns) / 1e9);
}

/* ---- the board ---------------------------------------------------------- */

typedef struct {
  OodServiceFixture *fixture;
  OodTestbed        *testbed;
  OodTestTcl        *tcl;       /* the raw client's own connection */
  OodDbusRtt        *rtt;
  guint16            rtt_port;  /* OpenOCD's rtt server of up-channel 1 */
  guint              poll_ms;   /* the interval of every reader now */
  double             run_s;     /* each phase */
  guint              rounds;
} Board;

static void
tcl_or_die (Board *board, const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = ood_test_tcl_eval (board->tcl, command, &error);

  if (reply == NULL)
    die (command, error);
}

/* The firmware sends a record every @period_us (0: as fast as it runs). */
static void
set_record_period (Board *board, guint period_us)
{
  g_autofree char *command = g_strdup_printf (
      "write_memory 0x%x 32 {%u}",
      RTT_FW_STATUS_ADDR + (guint) G_STRUCT_OFFSET (RttFwStatus, record_period_us), period_us);
  tcl_or_die (board, command);
}

/* What @command (run under capture) logged; dies if it failed. */
static char *
capture_or_die (Board *board, const char *command)
{
  g_autofree char *script = g_strdup_printf ("capture {%s}", command);
  g_autoptr(GError) error = NULL;
  char *reply = ood_test_tcl_eval (board->tcl, script, &error);

  if (reply == NULL)
    die (command, error);
  return reply;
}

/* ---- OpenOCD's own RTT -------------------------------------------------- */

/* Starts OpenOCD's RTT and its rtt server of up-channel 1 on a port the
 * system picks (OpenOCD prints it). Its poll reads a channel only while a
 * client of the channel's server is connected. */
static void
start_openocd_rtt (Board *board)
{
  g_autofree char *setup = NULL;
  g_autofree char *start = NULL;
  g_autofree char *server = NULL;
  const char *at;

  setup = capture_or_die (board, "rtt setup 0x80010000 64 {SEGGER RTT}");
  start = capture_or_die (board, "rtt start");
  server = capture_or_die (board, "rtt server start 0 1");
  at = strstr (server, "Listening on port ");
  if (at == NULL)
    die ("OpenOCD's rtt server did not say its port", NULL);
  board->rtt_port = (guint16) g_ascii_strtoull (at + strlen ("Listening on port "), NULL, 10);
}

static gint
connect_openocd_rtt (Board *board)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_to_host (client, "127.0.0.1", board->rtt_port, NULL, &error);

  if (connection == NULL)
    die ("connecting to OpenOCD's rtt server", error);
  return dup (g_socket_get_fd (g_socket_connection_get_socket (connection)));
}

/* ---- the raw client ----------------------------------------------------- */

/* Up-buffer @index of the firmware's block, as its descriptor says. */
static OodTclRttBuffer
raw_buffer (Board *board, guint index)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *command = g_strdup_printf (
      "%s read_memory 0x%x 32 3", ood_testbed_get_target_name (board->testbed),
      RTT_FW_CB_ADDR + (OOD_TCL_RTT_HEADER_WORDS + index * OOD_TCL_RTT_BUFFER_WORDS) * 4);
  g_autofree char *reply = ood_test_tcl_eval (board->tcl, command, &error);
  g_auto(GStrv) words = reply != NULL ? g_strsplit (g_strstrip (reply), " ", 0) : NULL;

  if (words == NULL || g_strv_length (words) != 3)
    die ("reading the firmware's RTT buffer descriptor", error);
  return (OodTclRttBuffer) { index, TRUE, (guint32) g_ascii_strtoull (words[0], NULL, 16),
                             (guint32) g_ascii_strtoull (words[1], NULL, 16),
                             (guint32) g_ascii_strtoull (words[2], NULL, 16) };
}

/* Polls up-channel 1 as the service does (same script, one poll every
 * interval from start to start, at once again after a full read) for
 * @seconds, into @sink. */
static void
raw_poll (Board *board, double seconds, Sink *sink)
{
  const guint64 id[] = { 0x47474553, 0x52205245, 0x00005454, 0 };
  const char *target = ood_testbed_get_target_name (board->testbed);
  OodTclRttBuffer up = raw_buffer (board, RTT_FW_UP_BINARY);
  OodTclRttPoll poll = { .address = RTT_FW_CB_ADDR, .n_up = RTT_FW_NUM_UP,
                         .n_down = RTT_FW_NUM_DOWN, .up = &up, .n_up_read = 1 };
  g_autofree char *offsets = NULL;
  g_autofree char *check = NULL;
  gint64 end = now_ns () + (gint64) (seconds * 1e9);
  gint64 checked = now_ns ();

  for (guint i = 0; i < 4; i++)
    poll.id_words[i] = (guint32) id[i];
  offsets = ood_tcl_script_rtt_poll (target, &poll);
  poll.check = TRUE;
  check = ood_tcl_script_rtt_poll (target, &poll);
  while (now_ns () < end)
    {
      g_autoptr(GError) error = NULL;
      gint64 started = now_ns ();
      gboolean checking = started - checked >= 1000000000;
      g_autofree char *reply = ood_test_tcl_eval (board->tcl, checking ? check : offsets, &error);
      gint64 left;
      GBytes *data[1] = { NULL };
      const char *text;
      gint code;
      gsize size;

      if (reply == NULL)
        die ("the raw RTT poll", error);
      if (!ood_tcl_parse_wrapped (reply, &code, &text) || code != 0 ||
          !ood_tcl_parse_rtt_poll (text, 1, 0, FALSE, data, NULL, &error))
        die ("the raw RTT poll's answer", error);
      if (checking)
        checked = started;
      size = g_bytes_get_size (data[0]);
      sink_take (sink, g_bytes_get_data (data[0], NULL), size, now_ns ());
      g_bytes_unref (data[0]);
      left = started + (gint64) board->poll_ms * 1000000 - now_ns ();
      if (size < OOD_TCL_RTT_POLL_MAX && left > 0)
        g_usleep ((gulong) (left / 1000));
    }
}

/* ---- the service -------------------------------------------------------- */

static gint
open_channel (Board *board, guint index)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  gint fd;

  if (!ood_dbus_rtt_call_open_channel_sync (board->rtt, index, FALSE, NULL, &handle, &fds, NULL,
                                            &error) ||
      (fd = g_unix_fd_list_get (fds, 0, &error)) < 0)
    die ("OpenChannel", error);
  return fd;
}

/* Reads @n fds for @seconds, each into its sink. */
static void
read_fds (const gint *fds, Sink *sinks, guint n, double seconds)
{
  gint64 end = now_ns () + (gint64) (seconds * 1e9);
  struct pollfd pfds[N_READERS];

  for (guint i = 0; i < n; i++)
    pfds[i] = (struct pollfd) { .fd = fds[i], .events = POLLIN };
  while (now_ns () < end)
    {
      if (poll (pfds, n, 100) <= 0)
        continue;
      for (guint i = 0; i < n; i++)
        {
          guint8 buffer[16384];
          gssize got;

          if (!(pfds[i].revents & (POLLIN | POLLHUP)))
            continue;
          got = recv (fds[i], buffer, sizeof buffer, MSG_DONTWAIT);
          if (got == 0)
            die ("an RTT channel ended", NULL);
          if (got > 0)
            sink_take (&sinks[i], buffer, (gsize) got, now_ns ());
        }
    }
}

static void
start_service_rtt (Board *board)
{
  g_autoptr(GError) error = NULL;

  if (!ood_dbus_rtt_call_setup_sync (board->rtt, RTT_FW_CB_ADDR, 64, "", NULL, &error) ||
      !ood_dbus_rtt_call_start_sync (board->rtt, NULL, &error))
    die ("starting RTT in the service", error);
}

/* ---- the figure --------------------------------------------------------- */

static void
add_kib_row (const char *name, double kib_s, Cmp cmp, double target)
{
  add_row ("14", name, "KiB/s", kib_s, NAN, 1, cmp, target);
}

typedef enum {
  BY_RAW_TCL,
  BY_OPENOCD,
  BY_SERVICE,
} Source;

/* Every reader of @board polls every @ms from now on. */
static void
set_polling_interval (Board *board, guint ms)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *command = g_strdup_printf ("rtt polling_interval %u", ms);

  if (board->rtt == NULL)
    tcl_or_die (board, command);
  else if (!ood_dbus_rtt_call_set_polling_interval_sync (board->rtt, ms, NULL, &error))
    die ("SetPollingInterval", error);
  board->poll_ms = ms;
}

/* One phase of @seconds: @n readers (1 but for the service) of @source;
 * each reader's KiB/s go to @rates, its latencies to @latency, and the
 * slowest reader's rate over the fastest's lowers @spread. */
static void
phase (Board *board, Source source, guint n, Samples *rates, Samples *latency, double *spread)
{
  Sink sinks[N_READERS];
  gint fds[N_READERS] = { 0 };
  gint64 from = now_ns () + WARM_UP_NS, to;
  double slowest = G_MAXDOUBLE, fastest = 0;

  for (guint i = 0; i < n; i++)
    sink_init (&sinks[i], from);
  /* after the phase, what was written in it is read for DRAIN_S more */
  if (source == BY_RAW_TCL)
    {
      raw_poll (board, board->run_s, &sinks[0]);
      sinks[0].to_ns = to = now_ns ();
      raw_poll (board, DRAIN_S, &sinks[0]);
    }
  else
    {
      for (guint i = 0; i < n; i++)
        fds[i] = source == BY_OPENOCD ? connect_openocd_rtt (board)
                                      : open_channel (board, RTT_FW_UP_BINARY);
      read_fds (fds, sinks, n, board->run_s);
      to = now_ns ();
      for (guint i = 0; i < n; i++)
        sinks[i].to_ns = to;
      read_fds (fds, sinks, n, DRAIN_S);
    }
  for (guint i = 0; i < n; i++)
    {
      if (sinks[i].bad > 0)
        die ("a reader got records out of step", NULL);
      double kib_s = kib_per_s (sinks[i].bytes, from, to);

      samples_add (rates, kib_s);
      slowest = MIN (slowest, kib_s);
      fastest = MAX (fastest, kib_s);
      for (guint j = 0; latency != NULL && j < sinks[i].latency.v->len; j++)
        samples_add (latency, g_array_index (sinks[i].latency.v, double, j));
      if (source != BY_RAW_TCL)
        close (fds[i]);
      sink_clear (&sinks[i]);
    }
  if (fastest > 0)
    *spread = MIN (*spread, slowest / fastest);
}

/* What each way of reading gave: flood throughput (KiB/s of each reader,
 * a sample per phase) and record latencies (µs). */
typedef struct {
  Samples flood;
  Samples latency;
  double  spread;   /* the least, over phases, of slowest / fastest reader */
} Figures;

static void
figures_init (Figures *f)
{
  f->flood = samples_new ();
  f->latency = samples_new ();
  f->spread = 1.0;
}

static void
figures_clear (Figures *f)
{
  samples_free (&f->flood);
  samples_free (&f->latency);
}

/* Each of the @n sources (with its readers) in turn, board->rounds times:
 * first flooding, each polling as fast as it can, then a record every
 * RTT_FW_DEFAULT_RECORD_US, each polling every POLL_MS. */
static void
measure (Board *board, const Source *sources, const guint *readers, Figures *figures, guint n)
{
  Samples rates = samples_new ();

  set_record_period (board, 0);
  set_polling_interval (board, FLOOD_POLL_MS);
  for (guint round = 0; round < board->rounds; round++)
    for (guint i = 0; i < n; i++)
      phase (board, sources[i], readers[i], &figures[i].flood, NULL, &figures[i].spread);
  set_record_period (board, RTT_FW_DEFAULT_RECORD_US);
  set_polling_interval (board, POLL_MS);
  for (guint round = 0; round < board->rounds; round++)
    for (guint i = 0; i < n; i++)
      if (readers[i] == 1)
        phase (board, sources[i], 1, &rates, &figures[i].latency, &figures[i].spread);
  samples_free (&rates);
}

/* The daemon's memory while the firmware floods channel 1 to a reader
 * that reads and one that never does (cut off after 64 KiB), for
 * RSS_FLOOD_S seconds (the 60; 5 with --quick): the largest growth
 * seen in a reading each second, and the growth at the end. */
#define RSS_FLOOD_S 60u

static void
memory (Board *board)
{
  GPid pid = ood_service_fixture_get_service_pid (board->fixture);
  guint seconds = opt_quick ? 5 : RSS_FLOOD_S;
  gint fds[2];
  Sink sink;
  guint64 before, now = 0, most = 0;
  g_autofree char *most_name = NULL;
  g_autofree char *end_name = NULL;

  set_record_period (board, 0);
  fds[0] = open_channel (board, RTT_FW_UP_BINARY);
  fds[1] = open_channel (board, RTT_FW_UP_BINARY);   /* never read */
  sink_init (&sink, 0);
  read_fds (fds, &sink, 1, 2);
  before = ood_test_proc_status_field (pid, "VmRSS");
  for (guint i = 0; i < seconds; i++)
    {
      read_fds (fds, &sink, 1, 1);
      now = ood_test_proc_status_field (pid, "VmRSS");
      most = MAX (most, now);
    }
  most_name = g_strdup_printf ("daemon VmRSS growth, most in %u s of flood, 1 reader + 1 never "
                               "reading", seconds);
  end_name = g_strdup_printf ("daemon VmRSS growth, after %u s of the same", seconds);
  add_row ("14", most_name, "KiB", (double) most - (double) before, NAN, 1, CMP_NONE, 0);
  add_row ("14", end_name, "KiB", (double) now - (double) before, NAN, 1, CMP_NONE, 0);
  close (fds[0]);
  close (fds[1]);
  sink_clear (&sink);
}

/* A board running the RTT firmware: with the service (RTT started in
 * it), or (@reference) with OpenOCD's own RTT and rtt server instead. */
static void
board_start (Board *board, gboolean reference)
{
  const OodServiceOptions options = {
    .image_path = ood_test_rtt_firmware_path (),
    .rtt_commands = reference,
    .no_service = reference,
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  board->fixture = ood_service_fixture_new (&options, &error);
  if (board->fixture == NULL)
    die ("starting the board with the RTT firmware", error);
  board->testbed = ood_service_fixture_get_testbed (board->fixture, 0);
  board->tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (board->testbed), &error);
  if (board->tcl == NULL)
    die ("connecting to OpenOCD", error);
  if (reference)
    {
      start_openocd_rtt (board);
      return;
    }
  path = ood_service_fixture_dup_target_path (board->fixture, 0);
  board->rtt = ood_dbus_rtt_proxy_new_sync (ood_service_fixture_get_bus (board->fixture),
                                            G_DBUS_PROXY_FLAGS_NONE, "org.openocd", path, NULL,
                                            &error);
  if (board->rtt == NULL)
    die ("the Rtt proxy", error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (board->rtt), CALL_TIMEOUT_MS);
  start_service_rtt (board);
}

static void
board_stop (Board *board)
{
  g_clear_object (&board->rtt);
  ood_test_tcl_free (board->tcl);
  ood_service_fixture_free (board->fixture);
}

static void
add_rows (Figures *openocd, Figures *raw, Figures *one, Figures *eight)
{
  double openocd_kib = samples_pct (&openocd->flood, 50);
  double one_kib = samples_pct (&one->flood, 50);
  double each_kib = samples_pct (&eight->flood, 50);
  double openocd_median = 0, raw_median = 0, one_median = 0;

  add_kib_row ("flood, OpenOCD's rtt server", openocd_kib, CMP_NONE, 0);
  add_kib_row ("flood, raw Tcl poll of the block", samples_pct (&raw->flood, 50), CMP_NONE, 0);
  add_kib_row ("flood, one reader of the service's fd", one_kib, CMP_NONE, 0);
  add_row ("14", "one reader / OpenOCD's rtt server", "ratio", one_kib / openocd_kib, NAN,
           (int) one->flood.v->len, CMP_GE, 0.95);
  add_row ("14", "one reader / raw Tcl", "ratio", one_kib / samples_pct (&raw->flood, 50), NAN,
           (int) one->flood.v->len, CMP_NONE, 0);
  add_kib_row ("flood, each of 8 readers of one channel", each_kib, CMP_NONE, 0);
  add_row ("14", "each of 8 readers / one reader (phases apart)", "ratio", each_kib / one_kib, NAN,
           (int) eight->flood.v->len, CMP_NONE, 0);
  add_row ("14", "slowest / fastest of 8 readers in one phase (worst phase)", "ratio",
           eight->spread, NAN, (int) eight->flood.v->len, CMP_GE, 0.95);
  add_samples_row ("14", "record latency, OpenOCD's rtt server", &openocd->latency, CMP_NONE, 0,
                   &openocd_median);
  add_samples_row ("14", "record latency, raw Tcl poll", &raw->latency, CMP_NONE, 0, &raw_median);
  add_samples_row ("14", "record latency, through the fd", &one->latency, CMP_NONE, 0,
                   &one_median);
  add_row ("14", "the fd's median - OpenOCD's rtt server's", "µs", one_median - openocd_median,
           NAN, (int) one->latency.v->len, CMP_LE, 1000);
  add_row ("14", "the fd's median - raw Tcl's", "µs", one_median - raw_median, NAN,
           (int) one->latency.v->len, CMP_NONE, 0);
}

void
figure_14 (void)
{
  static const Source reference[] = { BY_OPENOCD };
  static const guint one_reader[] = { 1 };
  static const Source ours[] = { BY_RAW_TCL, BY_SERVICE, BY_SERVICE };
  static const guint ours_readers[] = { 1, 1, N_READERS };
  guint rounds = opt_quick ? 2 : 5;
  Board board = { .run_s = plan.run_s + (double) WARM_UP_NS / 1e9, .rounds = 1 };
  Figures openocd, mine[3];

  if (!opt_json)
    g_printerr ("figure 14: RTT (%u rounds of %.1f s phases)\n", rounds, board.run_s);
  figures_init (&openocd);
  for (guint i = 0; i < G_N_ELEMENTS (mine); i++)
    figures_init (&mine[i]);

  /* OpenOCD with its rtt commands (a dormant Cortex-M target) is one the
   * service cannot list the targets of (a target on a disabled TAP): the
   * reference runs on a board of its own.  The two boards take turns, a
   * round each, so that both see the machine's load alike (one board at a
   * time: each simulator keeps a core busy) */
  for (guint round = 0; round < rounds; round++)
    {
      board_start (&board, TRUE);
      measure (&board, reference, one_reader, &openocd, 1);
      board_stop (&board);
      board_start (&board, FALSE);
      measure (&board, ours, ours_readers, mine, G_N_ELEMENTS (ours));
      if (round + 1 == rounds)
        memory (&board);
      board_stop (&board);
    }

  add_rows (&openocd, &mine[0], &mine[1], &mine[2]);
  figures_clear (&openocd);
  for (guint i = 0; i < G_N_ELEMENTS (mine); i++)
    figures_clear (&mine[i]);
}
