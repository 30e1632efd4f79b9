/* SPDX-License-Identifier: MIT */
/* Figures 7, 9, 10 and 11: the daemon runs its boards' OpenOCDs itself
 * (Exec=): an OpenOCD killed until its target is back, many starting at
 * once, idle, and the heap across restarts. Each figure starts simulated
 * boards, a private bus and daemons of its own, and times what the
 * service publishes through its signals (bench-watch.c). See README.md. */
#define G_LOG_DOMAIN "ood-bench"

#include <gio/gio.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "ood-service-fixture.h"
#include "ood-supervisor.h"
#include "ood-test-proc.h"
#include "ood-testbed.h"

#include "bench.h"

/* A target published again after a restart, or an OpenOCD gone. */
#define PUBLISH_TIMEOUT_MS 60000
/* Every target published after a start: 32 OpenOCDs starting at once on
 * two cores. */
#define START_TIMEOUT_MS 180000
#define N_MANY 32
#define N_IDLE 8
#define KIB_PER_MIB 1024.0

/* ---- supervised boards ---- */

OodServiceFixture *
supervised_boards (guint n)
{
  const OodServiceOptions options = { .n_boards = n, .supervised = TRUE, .no_service = TRUE };
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (&options, &error);

  if (fixture == NULL)
    die ("starting the simulated boards", error);
  return fixture;
}

/* An [Endpoint NAME] group with Exec= for each of @fixture's @n boards. */
static char *
exec_config (OodServiceFixture *fixture, guint n)
{
  g_autoptr(GString) text = g_string_new ("# openocd-dbus-bench\n");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *group = ood_service_fixture_dup_exec_group (fixture, i);

      g_string_append (text, group);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
endpoint_path (OodServiceFixture *fixture, guint board)
{
  g_autofree char *name = ood_service_fixture_dup_endpoint_name (fixture, board);

  return g_strdup_printf ("/org/openocd/%s", name);
}

/* The daemon on @fixture's bus (files named after @name), running the
 * OpenOCDs of @config. */
static GSubprocess *
start_daemon (OodServiceFixture *fixture, const char *name, const char *config,
              const char *const *args, const char *const *env)
{
  return spawn_daemon (ood_service_fixture_get_bus_address (fixture),
                       ood_service_fixture_get_tmpdir (fixture), name, config, args, env);
}

/* The target paths of @fixture's @n boards. */
static GPtrArray *
target_paths (OodServiceFixture *fixture, guint n)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (paths, ood_service_fixture_dup_target_path (fixture, i));
  return paths;
}

typedef struct {
  GPtrArray *paths;
  gint64     ns;
} AllSince;

static gboolean
all_published_since (Watch *w, gpointer data)
{
  AllSince *all = data;

  for (guint i = 0; i < all->paths->len; i++)
    {
      WatchSince one = { all->paths->pdata[i], all->ns };

      if (!watch_published_since (w, &one))
        return FALSE;
    }
  return TRUE;
}

/* Starts the daemon (see start_daemon()) and waits until every target of
 * @paths is published; its start time in @started_ns. */
static GSubprocess *
start_until_published (OodServiceFixture *fixture, Watch *w, GPtrArray *paths, const char *name,
                       const char *config, const char *const *args, const char *const *env,
                       gint64 *started_ns)
{
  AllSince all = { paths, now_ns () };
  GSubprocess *daemon = start_daemon (fixture, name, config, args, env);

  watch_until (w, all_published_since, &all, START_TIMEOUT_MS,
               "every target published after the daemon's start");
  if (started_ns != NULL)
    *started_ns = all.ns;
  return daemon;
}

/* ---- figure 7: an OpenOCD killed, until its target is back ---- */

/* A free loopback port, as the supervisor picks its ports. */
static guint16
free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    die ("picking a free port", error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* @board's OpenOCD command line with what the supervisor appends to it
 * (ood-supervisor.h). */
static GStrv
supervised_argv (OodTestbed *board, guint16 tcl_port)
{
  g_auto(GStrv) words = ood_testbed_dup_openocd_argv (board);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_autofree char *tcl = g_strdup_printf ("tcl_port %u", tcl_port);
  g_autofree char *gdb = g_strdup_printf ("gdb_port %u", free_port ());

  g_strv_builder_addv (argv, (const char **) words);
  g_strv_builder_add_many (argv, "-c", "bindto 127.0.0.1", "-c", tcl, "-c", gdb,
                           "-c", "telnet_port disabled", NULL);
  return g_strv_builder_end (argv);
}

/* Reads @p's output until OpenOCD says it listens for Tcl, as the
 * supervisor waits for it. */
static void
read_until_listening (GSubprocess *p)
{
  g_autoptr(GDataInputStream) out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));

  /* OpenOCD goes on writing to it (a few KiB, within the pipe's room) */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (out), FALSE);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

      if (line == NULL)
        die ("OpenOCD ended before it listened for Tcl", error);
      if (strstr (line, "for tcl connections") != NULL)
        return;
    }
}

/* OpenOCD for @board as the supervisor would run it, but started by the
 * bench with no service: from the spawn to its Tcl port open (its line
 * saying so) into @listen, and to its first answer there (`TARGET
 * curstate`, which waits for its init and examination) into @answer; µs.
 * Then kill -9. */
static void
raw_openocd_start (OodTestbed *board, Samples *listen, Samples *answer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  guint16 port = free_port ();
  g_auto(GStrv) argv = supervised_argv (board, port);
  g_autofree char *quoted = ood_test_tcl_quote (ood_testbed_get_target_name (board));
  g_autofree char *curstate = g_strdup_printf ("%s curstate", quoted);
  g_autofree char *state = NULL;
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(OodTestTcl) tcl = NULL;
  gint64 t0;

  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  t0 = now_ns ();
  p = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, &error);
  if (p == NULL)
    die ("starting OpenOCD", error);
  read_until_listening (p);
  samples_add (listen, (double) (now_ns () - t0) / 1000.0);
  if ((tcl = ood_test_tcl_connect (port, &error)) == NULL ||
      (state = ood_test_tcl_eval (tcl, curstate, &error)) == NULL)
    die ("asking the raw OpenOCD", error);
  samples_add (answer, (double) (now_ns () - t0) / 1000.0);
  g_subprocess_send_signal (p, SIGKILL);
  g_subprocess_wait (p, NULL, NULL);
}

typedef struct {
  Samples lost;       /* State "unknown" */
  Samples spawned;    /* the new OpenOCD's Pid */
  Samples connected;  /* Connected again */
  Samples back;       /* State real again */
} Restarts;

/* One kill -9 of the OpenOCD of @endpoint, until @target is back. */
static void
kill_until_back (Watch *w, const char *endpoint, const char *target, Restarts *r)
{
  const Seen *ep = watch_seen (w, endpoint);
  const Seen *tg = watch_seen (w, target);
  WatchSince since = { target, now_ns () };

  if (ep->pid == 0 || kill ((pid_t) ep->pid, SIGKILL) != 0)
    die ("killing the supervised OpenOCD", NULL);
  watch_until (w, watch_back_since, &since, PUBLISH_TIMEOUT_MS,
               "the target published again after a kill -9");
  samples_add_since (&r->lost, tg->unknown_ns, since.ns);
  samples_add_since (&r->spawned, ep->pid_ns, since.ns);
  samples_add_since (&r->connected, ep->connected_ns, since.ns);
  samples_add_since (&r->back, tg->real_ns, since.ns);
}

void
figure_7 (void)
{
  g_autoptr(OodServiceFixture) fixture = supervised_boards (1);
  const OodTestbedOptions sim_only = { .no_openocd = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) spare = ood_testbed_new (&sim_only, &error);
  g_autofree char *config = exec_config (fixture, 1);
  g_autofree char *endpoint = endpoint_path (fixture, 0);
  g_autoptr(GPtrArray) targets = target_paths (fixture, 1);
  g_autoptr(Watch) w = watch_new (ood_service_fixture_get_bus_address (fixture));
  g_autoptr(GSubprocess) daemon = NULL;
  Restarts r = { samples_new (), samples_new (), samples_new (), samples_new () };
  Samples listen = samples_new (), answer = samples_new ();
  OodSupervisorSettings defaults;
  int kills = opt_quick ? 2 : 10;
  double back_ms, answer_ms;

  if (spare == NULL)
    die ("starting a spare simulated board", error);
  ood_supervisor_settings_init_defaults (&defaults);
  if (!opt_json)
    g_printerr ("figure 7: a supervised OpenOCD killed (-9) until its target is published "
                "again (%d kills, each after %u ms up)\n", kills, defaults.healthy_after_ms);
  daemon = start_until_published (fixture, w, targets, "restart", config, NULL, NULL, NULL);
  for (int i = 0; i < kills; i++)
    {
      /* on the spare board, while this OpenOCD runs long enough to count
       * as healthy: its restart then waits the first backoff only */
      raw_openocd_start (spare, &listen, &answer);
      watch_for (w, defaults.healthy_after_ms + 1000);
      kill_until_back (w, endpoint, targets->pdata[0], &r);
    }
  add_ms_row ("7", "kill -9 to State unknown (the loss seen)", &r.lost);
  add_ms_row ("7", "kill -9 to the new OpenOCD's Pid published", &r.spawned);
  add_ms_row ("7", "kill -9 to Connected to the new OpenOCD", &r.connected);
  add_ms_row ("7", "kill -9 to State published again", &r.back);
  back_ms = samples_pct (&r.back, 50) / 1000.0;
  add_row ("7", "kill -9 to State published again, the longest", "ms",
           samples_pct (&r.back, 100) / 1000.0, NAN, (int) r.back.v->len, CMP_NONE, 0);
  add_row ("7", "of it: the supervisor's first backoff", "ms", defaults.backoff_min_ms, NAN, 0,
           CMP_NONE, 0);
  add_ms_row ("7", "raw `openocd ...` spawned to its Tcl port open", &listen);
  add_ms_row ("7", "raw `openocd ...` spawned to its first answer", &answer);
  answer_ms = samples_pct (&answer, 50) / 1000.0;
  add_row ("7", "the rest: published - backoff - raw answer", "ms",
           back_ms - defaults.backoff_min_ms - answer_ms, NAN, kills, CMP_NONE, 0);
  stop_daemon (daemon);
  samples_free (&r.lost);
  samples_free (&r.spawned);
  samples_free (&r.connected);
  samples_free (&r.back);
  samples_free (&listen);
  samples_free (&answer);
}

/* ---- figure 9: many supervised endpoints starting at once ---- */

/* The resident memory of the OpenOCDs of @endpoints, KiB. */
static double
openocds_rss_kib (Watch *w, GPtrArray *endpoints)
{
  double kib = 0;

  for (guint i = 0; i < endpoints->len; i++)
    kib += (double) ood_test_proc_status_field ((GPid) watch_seen (w, endpoints->pdata[i])->pid,
                                                "VmRSS");
  return kib;
}

/* When the first and the last of @paths were published, after @t0; µs. */
static void
published_spread (Watch *w, GPtrArray *paths, gint64 t0, Samples *first, Samples *last)
{
  gint64 min = G_MAXINT64, max = 0;

  for (guint i = 0; i < paths->len; i++)
    {
      gint64 t = watch_seen (w, paths->pdata[i])->real_ns;

      min = MIN (min, t);
      max = MAX (max, t);
    }
  samples_add_since (first, min, t0);
  samples_add_since (last, max, t0);
}

void
figure_9 (void)
{
  guint n = opt_quick ? N_IDLE : N_MANY;
  int rounds = opt_quick ? 1 : 3;
  g_autoptr(OodServiceFixture) fixture = supervised_boards (n);
  g_autofree char *config = exec_config (fixture, n);
  g_autoptr(GPtrArray) targets = target_paths (fixture, n);
  g_autoptr(GPtrArray) endpoints = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(Watch) w = watch_new (ood_service_fixture_get_bus_address (fixture));
  Samples first = samples_new (), last = samples_new ();
  Samples rss = samples_new (), hwm = samples_new (), openocds = samples_new ();
  g_autofree char *name = NULL;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (endpoints, endpoint_path (fixture, i));
  if (!opt_json)
    g_printerr ("figure 9: %u supervised endpoints from the daemon's start (%d starts)\n", n,
                rounds);
  for (int i = 0; i < rounds; i++)
    {
      gint64 t0;
      g_autoptr(GSubprocess) daemon = start_until_published (fixture, w, targets, "many", config,
                                                             NULL, NULL, &t0);
      GPid pid = subprocess_pid (daemon);

      published_spread (w, targets, t0, &first, &last);
      /* the start-up's last replies */
      watch_for (w, 2000);
      samples_add (&rss, (double) ood_test_proc_status_field (pid, "VmRSS") / KIB_PER_MIB);
      samples_add (&hwm, (double) ood_test_proc_status_field (pid, "VmHWM") / KIB_PER_MIB);
      samples_add (&openocds, openocds_rss_kib (w, endpoints) / KIB_PER_MIB);
      stop_daemon (daemon);
    }
  name = g_strdup_printf ("daemon start to all %u targets published", n);
  add_ms_row ("9", name, &last);
  add_ms_row ("9", "daemon start to the first target published", &first);
  g_free (name);
  name = g_strdup_printf ("daemon RSS (VmRSS) after, %u endpoints", n);
  add_row ("9", name, "MiB", samples_pct (&rss, 50), NAN, rounds, CMP_NONE, 0);
  add_row ("9", "daemon peak RSS (VmHWM)", "MiB", samples_pct (&hwm, 50), NAN, rounds, CMP_NONE,
           0);
  g_free (name);
  name = g_strdup_printf ("(for scale: the %u OpenOCDs' RSS, total)", n);
  add_row ("9", name, "MiB", samples_pct (&openocds, 50), NAN, rounds, CMP_NONE, 0);
  samples_free (&first);
  samples_free (&last);
  samples_free (&rss);
  samples_free (&hwm);
  samples_free (&openocds);
}

/* ---- figure 10: idle with supervised endpoints ---- */

/* The daemon's context switches over plan.idle_s once every target of
 * @targets is published and every OpenOCD counts as healthy (its timer
 * has fired); which threads woke in @detail. */
static guint64
idle_switches (OodServiceFixture *fixture, Watch *w, GPtrArray *targets, const char *name,
               const char *config, const char *const *args, GString *detail)
{
  g_autoptr(GSubprocess) daemon = start_until_published (fixture, w, targets, name, config, args,
                                                         NULL, NULL);
  GPid pid = subprocess_pid (daemon);
  OodSupervisorSettings defaults;
  GHashTable *before, *after;
  guint64 switches;

  ood_supervisor_settings_init_defaults (&defaults);
  watch_for (w, defaults.healthy_after_ms + 2000);
  before = ood_test_thread_switches (pid);
  g_usleep ((gulong) (plan.idle_s * G_USEC_PER_SEC));
  after = ood_test_thread_switches (pid);
  switches = ood_test_switches_between (before, after, detail);
  g_hash_table_unref (before);
  g_hash_table_unref (after);
  stop_daemon (daemon);
  return switches;
}

void
figure_10 (void)
{
  g_autoptr(OodServiceFixture) fixture = supervised_boards (N_IDLE);
  g_autofree char *config = exec_config (fixture, N_IDLE);
  g_autoptr(GPtrArray) targets = target_paths (fixture, N_IDLE);
  g_autoptr(Watch) w = watch_new (ood_service_fixture_get_bus_address (fixture));
  g_autoptr(GString) probing = g_string_new (NULL);
  g_autoptr(GString) quiet = g_string_new (NULL);
  const char *const no_probe[] = { "--probe-interval", "0", NULL };
  double checks = N_IDLE * plan.idle_s / (PROBE_INTERVAL_MS / 1000.0);
  guint64 with, without;
  g_autofree char *name = NULL;

  if (!opt_json)
    g_printerr ("figure 10: idle, %d supervised endpoints, %.0f s\n", N_IDLE, plan.idle_s);
  with = idle_switches (fixture, w, targets, "idle", config, NULL, probing);
  without = idle_switches (fixture, w, targets, "idle-no-probe", config, no_probe, quiet);
  name = g_strdup_printf ("idle context switches over %.0f s, %d supervised", plan.idle_s,
                          N_IDLE);
  add_row ("10", name, "switches", (double) with, NAN, (int) checks, CMP_NONE, 0);
  g_free (name);
  name = g_strdup_printf ("  per reachability check (%.0f of them)", checks);
  add_row ("10", name, "switches", (double) with / checks, NAN, (int) checks, CMP_NONE, 0);
  g_free (name);
  name = g_strdup_printf ("idle context switches over %.0f s, --probe-interval 0", plan.idle_s);
  add_row ("10", name, "switches", (double) without, NAN, 0, CMP_LE, 0);
  if (!opt_json)
    g_printerr ("  threads woken, probing:%s\n  threads woken, --probe-interval 0:%s\n",
                probing->len > 0 ? probing->str : " none", quiet->len > 0 ? quiet->str : " none");
}

/* ---- figure 11: the heap across restarts ---- */

/* glibc's heap in use in process @pid, read there by gdb: the bytes of
 * the chunks in use in every arena (mallinfo2's uordblks) and of those
 * mmapped on their own (hblkhd). glibc's debug symbols give gdb
 * mallinfo2's type. */
static double
heap_in_use (GPid pid)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("%d", (int) pid);
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) gdb = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
      ood_test_env_or ("OOD_GDB", "gdb"), "-nx", "-batch", "-p", id, "-ex",
      "print (size_t) mallinfo2 ().uordblks + (size_t) mallinfo2 ().hblkhd", NULL);
  const char *value;

  if (gdb == NULL || !g_subprocess_communicate_utf8 (gdb, NULL, NULL, &out, NULL, &error))
    die ("running gdb", error);
  if ((value = strstr (out, "$1 = ")) == NULL)
    {
      g_printerr ("openocd-dbus-bench: gdb said:\n%s", out);
      die ("reading the daemon's heap with gdb", NULL);
    }
  return g_ascii_strtod (value + 5, NULL);
}

/* Restart() many times, reading the daemon's heap at the 10th, every
 * 100th and the last. */
static void
heap_across_restarts (void)
{
  /* every GSlice a malloc; no per-thread cache holding freed chunks */
  const char *const env[] = { "G_SLICE=always-malloc",
                              "GLIBC_TUNABLES=glibc.malloc.tcache_count=0", NULL };
  int total = opt_quick ? 30 : 500, first = 10;
  g_autoptr(OodServiceFixture) fixture = supervised_boards (1);
  g_autofree char *config = exec_config (fixture, 1);
  g_autofree char *endpoint = endpoint_path (fixture, 0);
  g_autoptr(GPtrArray) targets = target_paths (fixture, 1);
  g_autoptr(Watch) w = watch_new (ood_service_fixture_get_bus_address (fixture));
  g_autoptr(GSubprocess) daemon = NULL;
  Samples cycle = samples_new ();
  double at_first = NAN, at_last = NAN;
  GPid pid;

  if (!opt_json)
    g_printerr ("figure 11: the daemon's heap across %d restarts of its OpenOCD\n", total);
  daemon = start_until_published (fixture, w, targets, "restarts", config, NULL, env, NULL);
  pid = subprocess_pid (daemon);
  for (int i = 1; i <= total; i++)
    {
      g_autoptr(GError) error = NULL;
      WatchSince since = { targets->pdata[0], now_ns () };
      g_autoptr(GVariant) reply = call (watch_get_connection (w), "org.openocd", endpoint,
                                        ENDPOINT_IFACE, "Restart", NULL, &error);

      if (reply == NULL)
        die ("Restart()", error);
      watch_until (w, watch_back_since, &since, PUBLISH_TIMEOUT_MS,
                   "the target published again after Restart()");
      samples_add_since (&cycle, watch_seen (w, targets->pdata[0])->real_ns, since.ns);
      if (i == first || i % 100 == 0 || i == total)
        {
          g_autofree char *name = g_strdup_printf ("daemon's heap in use after %d restarts", i);
          double heap;

          /* the refresh's last replies */
          watch_for (w, 500);
          heap = heap_in_use (pid);
          add_row ("11", name, "bytes", heap, NAN, i, CMP_NONE, 0);
          at_first = i == first ? heap : at_first;
          at_last = heap;
        }
    }
  add_ms_row ("11", "Restart() to State published again", &cycle);
  add_row ("11", "heap growth per restart, after the 10th", "bytes",
           (at_last - at_first) / (double) (total - first), NAN, total - first, CMP_LE, 64);
  stop_daemon (daemon);
  samples_free (&cycle);
}

void
figure_11 (void)
{
#ifdef __SANITIZE_ADDRESS__
  const gboolean sanitized = TRUE;
#else
  const gboolean sanitized = FALSE;
#endif

  if (sanitized)
    g_printerr ("figure 11: skipped, mallinfo2() does not see AddressSanitizer's heap\n");
  else
    heap_across_restarts ();
}
