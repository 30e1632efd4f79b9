/* SPDX-License-Identifier: MIT */
/* openocd-dbus-bench: what openocd-dbusd costs on top of OpenOCD's Tcl RPC
 * port and on top of the least a GDBus service can do. Starts everything
 * itself (private bus, simulated board, real OpenOCD, the daemon, and the
 * floor service openocd-dbus-bench-floor). See tests/bench/README.md. */
#define G_LOG_DOMAIN "ood-bench"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ood-flash-work.h"
#include "ood-service-fixture.h"
#include "ood-sums-routine.h"
#include "ood-test-proc.h"
#include "ood-tcl-flash.h"
#include "ood-tcl-memory.h"
#include "ood-tcl-script.h"
#include "ood-testbed.h"

#include "bench.h"

#define FLOOR_NAME   "org.openocd.BenchFloor"
#define FLOOR_PATH   "/org/openocd/BenchFloor"
#define FLOOR_IFACE  "org.openocd.BenchFloor"
#define WAIT_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define N_SCALE_ENDPOINTS 32

/* ---- options ---- */

gboolean opt_json;
gboolean opt_quick;
static char **opt_figures;   /* only these figures, or all */
static gboolean opt_in_umockdev;  /* figure 8 only, within umockdev-wrapper */

Plan plan;

/* ---- results ---- */

static GPtrArray *rows;

static void
row_free (gpointer data)
{
  Row *row = data;

  g_free (row->figure);
  g_free (row->name);
  g_free (row->unit);
  g_free (row);
}

Row *
add_row (const char *figure, const char *name, const char *unit, double median, double p99,
         int n, Cmp cmp, double target)
{
  Row *row = g_new0 (Row, 1);

  row->figure = g_strdup (figure);
  row->name = g_strdup (name);
  row->unit = g_strdup (unit);
  row->median = median;
  row->p99 = p99;
  row->n = n;
  row->cmp = cmp;
  row->target = target;
  g_ptr_array_add (rows, row);
  if (!opt_json)
    g_printerr ("  %-52s %12.1f %s\n", name, median, unit);
  return row;
}

static const char *
row_status (const Row *row)
{
  switch (row->cmp)
    {
    case CMP_LE: return row->median <= row->target ? "pass" : "miss";
    case CMP_GE: return row->median >= row->target ? "pass" : "miss";
    case CMP_NONE: default: return "";
    }
}

/* ---- samples ---- */

Samples
samples_new (void)
{
  return (Samples) { g_array_new (FALSE, FALSE, sizeof (double)) };
}

void
samples_add (Samples *s, double us)
{
  g_array_append_val (s->v, us);
}

void
samples_add_since (Samples *s, gint64 t_ns, gint64 t0_ns)
{
  if (t_ns > t0_ns)
    samples_add (s, (double) (t_ns - t0_ns) / 1000.0);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
samples_pct (Samples *s, double pct)
{
  gsize idx;

  if (s->v->len == 0)
    return NAN;
  g_array_sort (s->v, cmp_double);
  idx = (gsize) (pct / 100.0 * (s->v->len - 1) + 0.5);
  return g_array_index (s->v, double, MIN (idx, s->v->len - 1));
}

void
samples_free (Samples *s)
{
  g_array_unref (s->v);
}

Row *
add_samples_row (const char *figure, const char *name, Samples *s, Cmp cmp, double target,
                 double *median_out)
{
  double median = samples_pct (s, 50);
  double p99 = samples_pct (s, 99);

  if (median_out != NULL)
    *median_out = median;
  return add_row (figure, name, "us", median, p99, (int) s->v->len, cmp, target);
}

Row *
add_ms_row (const char *figure, const char *name, Samples *s)
{
  return add_row (figure, name, "ms", samples_pct (s, 50) / 1000.0, samples_pct (s, 99) / 1000.0,
                  (int) s->v->len, CMP_NONE, 0);
}

/* ---- errors ---- */

G_NORETURN void
die (const char *what, const GError *error)
{
  g_printerr ("openocd-dbus-bench: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (EXIT_FAILURE);
}

/* ---- /proc ---- */

typedef struct {
  double  cpu_s;       /* utime + stime, all threads */
  gint64  hwm_kib;     /* VmHWM */
  gint64  rss_kib;     /* VmRSS */
  GHashTable *threads; /* ood_test_thread_switches() */
} ProcSample;

static void
proc_sample_clear (ProcSample *s)
{
  g_clear_pointer (&s->threads, g_hash_table_unref);
}

static double
proc_cpu_s (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return NAN;
  /* after ") ": state(3) ppid(4) ... utime(14) stime(15) */
  fields = g_strsplit (p + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return NAN;
  return (double) (g_ascii_strtoull (fields[11], NULL, 10) +
                   g_ascii_strtoull (fields[12], NULL, 10)) / (double) sysconf (_SC_CLK_TCK);
}

static ProcSample
proc_sample (GPid pid)
{
  ProcSample s = { proc_cpu_s (pid), 0, 0, ood_test_thread_switches (pid) };
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;

  if (g_file_get_contents (status_path, &status, NULL, NULL))
    {
      s.hwm_kib = (gint64) ood_test_status_field (status, "VmHWM");
      s.rss_kib = (gint64) ood_test_status_field (status, "VmRSS");
    }
  return s;
}

/* ---- D-Bus helpers ---- */

GDBusConnection *
new_client (const char *address)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *c = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  if (c == NULL)
    die ("connecting to the bus", error);
  return c;
}

GVariant *
call (GDBusConnection *c, const char *dest, const char *path, const char *iface,
      const char *method, GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (c, dest, path, iface, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                      error);
}

char *
get_string_property (GDBusConnection *c, const char *dest, const char *path, const char *iface,
                     const char *prop, GError **error)
{
  g_autoptr(GVariant) reply = call (c, dest, path, PROPS_IFACE, "Get",
                                    g_variant_new ("(ss)", iface, prop), error);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
           ? g_variant_dup_string (value, NULL)
           : g_variant_print (value, FALSE);
}

/* ---- the bench state ---- */

typedef struct {
  OodServiceFixture *fixture;
  const char        *bus_address;
  guint16            tcl_port;
  char              *tcl_address;   /* host:port for the daemon's config */
  char              *target_path;
  char              *state_script;  /* ood_tcl_script_state ("riscv.cpu") */
  const char        *target_name;
  GSubprocess       *floor;
  GPid               daemon_pid;
} Bench;

static void
start_floor (Bench *b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GDBusConnection) c = new_client (b->bus_address);
  const char *floor = ood_test_env_or ("OOD_BENCH_FLOOR", OOD_BENCH_FLOOR_DEFAULT);
  g_autofree char *port = g_strdup_printf ("%u", b->tcl_port);
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  b->floor = g_subprocess_launcher_spawn (launcher, &error, floor, b->bus_address, port,
                                          b->state_script, NULL);
  if (b->floor == NULL)
    die ("starting the floor service", error);
  for (;;)
    {
      g_autoptr(GVariant) reply = call (c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameHasOwner",
                                        g_variant_new ("(s)", FLOOR_NAME), &error);
      gboolean has = FALSE;

      if (reply == NULL)
        die ("NameHasOwner", error);
      g_variant_get (reply, "(b)", &has);
      if (has)
        return;
      if (g_get_monotonic_time () > deadline)
        die ("the floor service did not appear", NULL);
      g_usleep (10000);
    }
}

/* Waits until the service publishes @state for the target. */
static void
wait_service_state (Bench *b, GDBusConnection *c, const char *state)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *now = get_string_property (c, "org.openocd", b->target_path,
                                                  TARGET_IFACE, "State", &error);
      if (now == NULL)
        die ("reading State", error);
      if (g_str_equal (now, state))
        return;
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("openocd-dbus-bench: State is %s, expected %s\n", now, state);
          die ("the target did not reach the expected state", NULL);
        }
      g_usleep (2000);
    }
}

char *
tcl_eval_or_die (OodTestTcl *tcl, const char *script)
{
  g_autoptr(GError) error = NULL;
  char *reply = ood_test_tcl_eval (tcl, script, &error);

  if (reply == NULL)
    die (script, error);
  return reply;
}

/* ---- figure 1: call cost ---- */

typedef gboolean (*Op) (gpointer data, GError **error);

typedef struct {
  GDBusConnection *c;
  OodTestTcl      *tcl;
  const char      *script;
  const char *then; /* op_tcl_two(): the second script */
  const char      *dest;
  const char      *path;
  const char      *iface;
  const char      *method;
  const char      *prop_iface;
  const char      *prop;
} OpData;

static gboolean
op_tcl (gpointer data, GError **error)
{
  OpData *d = data;
  g_autofree char *reply = ood_test_tcl_eval (d->tcl, d->script, error);

  return reply != NULL;
}

/* d->script, then d->then: two round trips */
static gboolean
op_tcl_two (gpointer data, GError **error)
{
  OpData *d = data;
  g_autofree char *first = ood_test_tcl_eval (d->tcl, d->script, error);
  g_autofree char *second = first != NULL ? ood_test_tcl_eval (d->tcl, d->then, error) : NULL;

  return second != NULL;
}

static gboolean
op_method (gpointer data, GError **error)
{
  OpData *d = data;
  g_autoptr(GVariant) reply = call (d->c, d->dest, d->path, d->iface, d->method, NULL, error);

  return reply != NULL;
}

static gboolean
op_get (gpointer data, GError **error)
{
  OpData *d = data;
  g_autoptr(GVariant) reply = call (d->c, d->dest, d->path, PROPS_IFACE, "Get",
                                    g_variant_new ("(ss)", d->prop_iface, d->prop), error);

  return reply != NULL;
}

/* One of the calls figure 1 compares. */
typedef struct {
  const char *name;
  Op          op;
  OpData      data;
  Samples     samples;
  double      median;
} Case;

/* One call of @c, timed into its samples if @record. */
static void
run_case (Case *c, gboolean record)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = now_ns ();

  if (!c->op (&c->data, &error))
    die (c->name, error);
  if (record)
    samples_add (&c->samples, (double) (now_ns () - t0) / 1000.0);
}

/* The cases run interleaved, one call of each per round, so that a
 * change in the machine's load (other processes on the two cores) hits
 * them all alike and the ratios stay meaningful; in a new random order
 * each round (fixed seed), since what OpenOCD does after answering (it
 * polls the target) would otherwise always land on the same next case. */
static void
measure_interleaved (Case *cases, gsize n_cases, int iterations)
{
  int warmup = MAX (iterations / 10, 20);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261124);
  g_autofree gsize *order = g_new (gsize, n_cases);

  for (gsize k = 0; k < n_cases; k++)
    {
      cases[k].samples = samples_new ();
      order[k] = k;
    }
  for (int i = 0; i < warmup + iterations; i++)
    {
      for (gsize k = n_cases; k > 1; k--)
        {
          gsize j = (gsize) g_rand_int_range (rand, 0, (gint32) k);
          gsize t = order[k - 1];
          order[k - 1] = order[j];
          order[j] = t;
        }
      for (gsize k = 0; k < n_cases; k++)
        run_case (&cases[order[k]], i >= warmup);
    }
}

static double cpu_per_1000_state_ms = NAN;
static double cpu_per_1000_ping_ms = NAN;
static int cpu_calls;

/* The CPU time of process @pid per 1000 calls of @op alone. */
static double
measure_cpu (GPid pid, const char *what, Op op, const OpData *data, int n)
{
  ProcSample before, after;

  before = proc_sample (pid);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!op ((gpointer) data, &error))
        die (what, error);
    }
  after = proc_sample (pid);
  proc_sample_clear (&before);
  proc_sample_clear (&after);
  return (after.cpu_s - before.cpu_s) * 1000.0 * 1000.0 / (double) n;
}

static void
figure_1 (Bench *b)
{
  g_autoptr(GDBusConnection) c = new_client (b->bus_address);
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (b->tcl_port, &error);
  g_autofree char *halted = NULL;
  enum {
    RAW_CURSTATE,
    RAW_STATE,
    RAW_NAIVE,
    RAW_NAIVE_TWO,
    FLOOR_PING,
    FLOOR_GET,
    FLOOR_RELAY,
    SVC_GET,
    SVC_STATE,
    SVC_HALT,
    N_CASES
  };
  Case cases[N_CASES];
  int n = plan.iterations;

  if (tcl == NULL)
    die ("connecting to OpenOCD", error);
  if (!opt_json)
    g_printerr ("figure 1: call cost, sequential, one connection (%d calls each, interleaved)\n",
                n);
  halted = tcl_eval_or_die (tcl, "halt");
  wait_service_state (b, c, "halted");

  cases[RAW_CURSTATE] = (Case) { "raw Tcl `riscv.cpu curstate`", op_tcl,
                                 { .tcl = tcl, .script = "riscv.cpu curstate" }, { 0 }, 0 };
  cases[RAW_STATE] = (Case) { "raw State() equivalent (same script)", op_tcl,
                              { .tcl = tcl, .script = b->state_script }, { 0 }, 0 };
  /* what a client of OpenOCD's own asks for the same answer (the state,
   * then the PC), in one round trip: the "raw equivalent" */
  cases[RAW_NAIVE] = (Case) { "raw `targets` + `get_reg -force {pc}`", op_tcl,
                              { .tcl = tcl, .script = "targets; riscv.cpu get_reg -force {pc}" },
                              { 0 }, 0 };
  /* the same as two commands of their own, for scale: a client that
   * sends each command as it goes */
  cases[RAW_NAIVE_TWO] = (Case){
    "raw `targets`, then `get_reg -force {pc}`",
    op_tcl_two,
    { .tcl = tcl, .script = "targets", .then = "riscv.cpu get_reg -force {pc}" },
    { 0 },
    0
  };
  cases[FLOOR_PING] = (Case) { "floor Ping()", op_method,
                               { .c = c, .dest = FLOOR_NAME, .path = FLOOR_PATH,
                                 .iface = FLOOR_IFACE, .method = "Ping" }, { 0 }, 0 };
  cases[FLOOR_GET] = (Case) { "floor Properties.Get(State)", op_get,
                              { .c = c, .dest = FLOOR_NAME, .path = FLOOR_PATH,
                                .prop_iface = FLOOR_IFACE, .prop = "State" }, { 0 }, 0 };
  /* the least any GDBus service can do to answer State() from OpenOCD:
   * the same script, its reply split at spaces into the same a{sv} */
  cases[FLOOR_RELAY] = (Case){
    "floor Relay() of the State() script",
    op_method,
    { .c = c, .dest = FLOOR_NAME, .path = FLOOR_PATH, .iface = FLOOR_IFACE, .method = "Relay" },
    { 0 },
    0
  };
  cases[SVC_GET] = (Case) { "service Properties.Get(Target, State)", op_get,
                            { .c = c, .dest = "org.openocd", .path = b->target_path,
                              .prop_iface = TARGET_IFACE, .prop = "State" }, { 0 }, 0 };
  cases[SVC_STATE] = (Case) { "service State()", op_method,
                              { .c = c, .dest = "org.openocd", .path = b->target_path,
                                .iface = TARGET_IFACE, .method = "State" }, { 0 }, 0 };
  cases[SVC_HALT] = (Case) { "service Halt() on a halted target", op_method,
                             { .c = c, .dest = "org.openocd", .path = b->target_path,
                               .iface = TARGET_IFACE, .method = "Halt" }, { 0 }, 0 };
  /* Halt() runs alone afterwards: whatever OpenOCD does after a halt
   * would otherwise land on the next case's call */
  measure_interleaved (cases, SVC_HALT, n);
  measure_interleaved (cases + SVC_HALT, 1, n);
  for (gsize k = 0; k < N_CASES; k++)
    {
      add_samples_row ("1", cases[k].name, &cases[k].samples, CMP_NONE, 0, &cases[k].median);
      samples_free (&cases[k].samples);
    }
  add_row ("1", "ratio service Get / floor Get", "x",
           cases[SVC_GET].median / cases[FLOOR_GET].median, NAN, n, CMP_LE, 1.10);
  add_row ("1", "ratio (State() - floor Ping) / raw State() equiv.", "x",
           (cases[SVC_STATE].median - cases[FLOOR_PING].median) / cases[RAW_STATE].median, NAN,
           n, CMP_LE, 1.10);
  add_row ("1", "ratio (State() - floor Ping) / raw targets + get_reg", "x",
           (cases[SVC_STATE].median - cases[FLOOR_PING].median) / cases[RAW_NAIVE].median, NAN,
           n, CMP_LE, 0.75);
  add_row ("1", "ratio (State() - floor Ping) / raw targets, then get_reg", "x",
           (cases[SVC_STATE].median - cases[FLOOR_PING].median) / cases[RAW_NAIVE_TWO].median, NAN,
           n, CMP_NONE, 0);
  add_row ("1", "ratio (floor Relay() - floor Ping) / raw targets + get_reg", "x",
           (cases[FLOOR_RELAY].median - cases[FLOOR_PING].median) / cases[RAW_NAIVE].median, NAN, n,
           CMP_NONE, 0);
  cpu_calls = MAX (plan.iterations, 1000);
  cpu_per_1000_state_ms = measure_cpu (b->daemon_pid, "State()", op_method,
                                       &cases[SVC_STATE].data, cpu_calls);
  cpu_per_1000_ping_ms = measure_cpu ((GPid) g_ascii_strtoll (g_subprocess_get_identifier (b->floor),
                                                              NULL, 10),
                                      "Ping()", op_method, &cases[FLOOR_PING].data, cpu_calls);
}

/* ---- figure 3: throughput ---- */

typedef struct {
  Bench           *bench;
  GDBusConnection *c;
  gboolean         property;  /* Get(State) instead of State() */
  volatile gint   *go;        /* 0 wait, 1 run, 2 stop */
  guint64          calls;
  guint64          errors;
  GThread         *thread;
} Client;

static gpointer
client_thread (gpointer data)
{
  Client *cl = data;

  while (g_atomic_int_get (cl->go) == 0)
    g_usleep (100);
  while (g_atomic_int_get (cl->go) == 1)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;

      if (cl->property)
        reply = call (cl->c, "org.openocd", cl->bench->target_path, PROPS_IFACE, "Get",
                      g_variant_new ("(ss)", TARGET_IFACE, "State"), &error);
      else
        reply = call (cl->c, "org.openocd", cl->bench->target_path, TARGET_IFACE, "State", NULL,
                      &error);
      if (reply != NULL)
        cl->calls++;
      else
        cl->errors++;
    }
  return NULL;
}

static double
throughput (Bench *b, guint n_clients, gboolean property, guint64 *errors)
{
  g_autofree Client *clients = g_new0 (Client, n_clients);
  volatile gint go = 0;
  guint64 total = 0;
  gint64 t0, t1;

  for (guint i = 0; i < n_clients; i++)
    {
      clients[i] = (Client) { b, new_client (b->bus_address), property, &go, 0, 0, NULL };
      clients[i].thread = g_thread_new ("client", client_thread, &clients[i]);
    }
  t0 = now_ns ();
  g_atomic_int_set (&go, 1);
  g_usleep ((gulong) (plan.run_s * G_USEC_PER_SEC));
  g_atomic_int_set (&go, 2);
  t1 = now_ns ();
  *errors = 0;
  for (guint i = 0; i < n_clients; i++)
    {
      g_thread_join (clients[i].thread);
      total += clients[i].calls;
      *errors += clients[i].errors;
      g_dbus_connection_close_sync (clients[i].c, NULL, NULL);
      g_object_unref (clients[i].c);
    }
  return (double) total / ((double) (t1 - t0) / 1e9);
}

static void
figure_3 (Bench *b)
{
  static const guint counts[] = { 1, 8, 64 };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (b->tcl_port, &error);
  double raw, state64 = NAN;
  guint64 raw_calls = 0;
  gint64 t0, t1;

  if (tcl == NULL)
    die ("connecting to OpenOCD", error);
  if (!opt_json)
    g_printerr ("figure 3: throughput (%.1f s each)\n", plan.run_s);
  t0 = now_ns ();
  while ((t1 = now_ns ()) - t0 < (gint64) (plan.run_s * 1e9))
    {
      g_free (tcl_eval_or_die (tcl, b->state_script));
      raw_calls++;
    }
  raw = (double) raw_calls / ((double) (t1 - t0) / 1e9);
  add_row ("3", "raw State() equivalent, 1 connection", "calls/s", raw, NAN, (int) raw_calls,
           CMP_NONE, 0);
  for (gsize k = 0; k < 2; k++)
    for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
      {
        guint64 errors = 0;
        double rate = throughput (b, counts[i], k == 1, &errors);
        g_autofree char *name = g_strdup_printf ("%s, %u client%s", k == 1 ? "Get(State)" : "State()",
                                                 counts[i], counts[i] == 1 ? "" : "s");

        add_row ("3", name, "calls/s", rate, NAN, (int) errors, CMP_NONE, 0);
        if (errors > 0)
          g_printerr ("openocd-dbus-bench: %s: %" G_GUINT64_FORMAT " calls failed\n", name,
                      errors);
        if (k == 0 && counts[i] == 64)
          state64 = rate;
      }
  add_row ("3", "ratio State() at 64 clients / raw", "x", state64 / raw, NAN, 0, CMP_GE, 2.0);
}

/* ---- figure 4: cost and scale ---- */

char *
daemon_file (const char *dir, const char *name, const char *extension)
{
  /* kept there, for a look at what the daemon did */
  return g_strdup_printf ("%s/bench-%s.%s", ood_test_env_or ("OOD_BENCH_LOG_DIR", dir), name,
                          extension);
}

GSubprocess *
spawn_daemon (const char *bus_address, const char *dir, const char *name,
              const char *config_text, const char *const *args, const char *const *env)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_auto(GStrv) words = NULL;
  g_autofree char *config = daemon_file (dir, name, "conf");
  g_autofree char *log = daemon_file (dir, name, "log");
  GSubprocess *p;

  if (!g_file_set_contents (config, config_text, -1, &error))
    die ("writing the configuration", error);
  g_strv_builder_add_many (argv, ood_test_env_or ("OOD_DAEMON", OOD_BENCH_DAEMON_DEFAULT),
                           "--address", bus_address, "--config", config, NULL);
  if (args != NULL)
    g_strv_builder_addv (argv, (const char **) args);
  /* as the service fixture has it */
  if (g_getenv ("OOD_TEST_VERBOSE") != NULL)
    g_strv_builder_add (argv, "--verbose");
  words = g_strv_builder_end (argv);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1] != NULL ? pair[1] : "", TRUE);
    }
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  p = g_subprocess_launcher_spawnv (launcher, (const char *const *) words, &error);
  if (p == NULL)
    die ("starting openocd-dbusd", error);
  return p;
}

GPid
subprocess_pid (GSubprocess *p)
{
  const char *id = g_subprocess_get_identifier (p);

  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

static gboolean
endpoint_ready (GDBusConnection *c, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/org/openocd/%s", name);
  g_autoptr(GVariant) reply = call (c, "org.openocd", path, PROPS_IFACE, "GetAll",
                                    g_variant_new ("(s)", "org.openocd.Endpoint"), NULL);
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) targets = NULL;
  gboolean connected = FALSE;

  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(@a{sv})", &props);
  targets = g_variant_lookup_value (props, "Targets", G_VARIANT_TYPE ("ao"));
  return g_variant_lookup (props, "Connected", "b", &connected) && connected &&
         targets != NULL && g_variant_n_children (targets) > 0;
}

void
stop_daemon (GSubprocess *p)
{
  g_subprocess_send_signal (p, SIGTERM);
  if (!g_subprocess_wait (p, NULL, NULL))
    g_subprocess_force_exit (p);
}

static void
idle_and_rss (Bench *b, guint n_endpoints)
{
  g_autoptr(GDBusConnection) c = new_client (b->bus_address);
  const char *dir = ood_service_fixture_get_tmpdir (b->fixture);
  g_autofree char *base = g_strdup_printf ("scale-%u", n_endpoints);
  g_autofree char *log = daemon_file (dir, base, "log");
  /* one endpoint: none of the file's, just --openocd's */
  const char *const single[] = { "--openocd", b->tcl_address, NULL };
  g_autoptr(GString) text = g_string_new ("# openocd-dbus-bench\n");
  g_autoptr(GSubprocess) p = NULL;
  g_autofree char *figure = NULL;
  g_autofree char *name = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autoptr(GString) detail = g_string_new (NULL);
  ProcSample before, after;
  guint64 switches;
  GPid pid;

  for (guint i = 0; n_endpoints > 1 && i < n_endpoints; i++)
    g_string_append_printf (text, "[Endpoint b%u]\nAddress=%s\n", i, b->tcl_address);
  p = spawn_daemon (b->bus_address, dir, base, text->str, n_endpoints == 1 ? single : NULL,
                    NULL);
  pid = subprocess_pid (p);
  for (guint i = 0; i < n_endpoints;)
    {
      g_autofree char *ep = n_endpoints == 1 ? g_strdup ("default") : g_strdup_printf ("b%u", i);

      if (endpoint_ready (c, ep))
        i++;
      else if (g_get_monotonic_time () > deadline)
        die ("the endpoints did not all connect (see the daemon log)", NULL);
      else
        g_usleep (20000);
    }
  /* Let the start-up settle: "connected, with targets" shows before the
   * last replies of the start-up are in (with 32 endpoints the main
   * thread still wakes for up to about a second after). */
  g_usleep (2 * G_USEC_PER_SEC);
  before = proc_sample (pid);
  g_usleep ((gulong) (plan.idle_s * G_USEC_PER_SEC));
  after = proc_sample (pid);

  figure = g_strdup ("4");
  name = g_strdup_printf ("idle CPU over %.0f s, %u endpoint%s", plan.idle_s, n_endpoints,
                          n_endpoints == 1 ? "" : "s");
  add_row (figure, name, "ms", (after.cpu_s - before.cpu_s) * 1000.0, NAN, 1, CMP_NONE, 0);
  g_free (name);
  name = g_strdup_printf ("idle context switches over %.0f s, %u endpoint%s", plan.idle_s,
                          n_endpoints, n_endpoints == 1 ? "" : "s");
  switches = ood_test_switches_between (before.threads, after.threads, detail);
  /* the only wake-ups: each endpoint's reachability probe of its RISC-V
   * target (every 2 s by default), a timer and a reply each, at most 3 */
  add_row (figure, name, "switches", (double) switches, NAN, 1, CMP_LE,
           3.0 * n_endpoints * (plan.idle_s / (PROBE_INTERVAL_MS / 1000.0) + 1));
  if (switches != 0)
    g_printerr ("openocd-dbus-bench: the idle daemon was switched to by thread:%s (log: %s)\n",
                detail->str, log);
  proc_sample_clear (&before);
  proc_sample_clear (&after);
  g_free (name);
  name = g_strdup_printf ("peak RSS (VmHWM), %u endpoint%s", n_endpoints,
                          n_endpoints == 1 ? "" : "s");
  add_row (figure, name, "MiB", (double) after.hwm_kib / 1024.0, NAN, 1,
           n_endpoints == N_SCALE_ENDPOINTS ? CMP_LE : CMP_NONE, 8.0);
  stop_daemon (p);
}

static void
figure_4 (Bench *b)
{
  if (!opt_json)
    g_printerr ("figure 4: cost and scale\n");
  add_row ("4", "daemon CPU per 1000 State() calls", "ms", cpu_per_1000_state_ms, NAN,
           cpu_calls, CMP_NONE, 0);
  add_row ("4", "(for scale: floor CPU per 1000 Ping() calls)", "ms", cpu_per_1000_ping_ms, NAN,
           cpu_calls, CMP_NONE, 0);
  /* fresh daemons, so the peak RSS is not the one of the load above */
  if (ood_service_fixture_stop_service (b->fixture) != 0)
    die ("stopping the service", NULL);
  idle_and_rss (b, 1);
  idle_and_rss (b, N_SCALE_ENDPOINTS);
}

/* ---- figure 5: registers and memory ---- */

#define MEM_IFACE   "org.openocd.Memory"
#define REGS_IFACE  "org.openocd.Registers"
#define MEM_CHUNK   4096u
#define MEM_BASE    G_GUINT64_CONSTANT (0x80000000)
#define MIB         (1024u * 1024u)
#define DUMP_TIMEOUT_MS 120000

/* Raw Tcl: @size bytes at @address as the service reads them, one
 * `read_memory ADDR 32 1024` per 4 KiB chunk, on a direct socket. */
static void
raw_read (OodTestTcl *tcl, guint64 address, gsize size)
{
  for (gsize done = 0; done < size; done += MEM_CHUNK)
    {
      g_autofree char *script = g_strdup_printf ("riscv.cpu read_memory 0x%" G_GINT64_MODIFIER
                                                 "x 32 %u", address + done,
                                                 (guint) MIN (size - done, MEM_CHUNK) / 4);
      g_autofree char *reply = tcl_eval_or_die (tcl, script);

      if (!g_str_has_prefix (reply, "0x"))
        die ("raw read_memory", NULL);
    }
}

static void
svc_read_bytes (GDBusConnection *c, const char *path, guint64 address, guint size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      c, "org.openocd", path, MEM_IFACE, "ReadBytes", g_variant_new ("(tu)", address, size),
      G_VARIANT_TYPE ("(ay)"), G_DBUS_CALL_FLAGS_NONE, DUMP_TIMEOUT_MS, NULL, &error);

  if (reply == NULL)
    die ("ReadBytes", error);
}

static int
open_scratch_file (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int fd = g_file_open_tmp ("ood-bench-XXXXXX", &path, &error);

  if (fd < 0)
    die ("a temporary file", error);
  g_unlink (path);
  return fd;
}

static void
svc_read_to_fd (GDBusConnection *c, const char *path, guint64 address, guint64 size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  int fd = open_scratch_file ();
  gint index = g_unix_fd_list_append (list, fd, &error);
  g_autoptr(GVariant) reply = NULL;

  close (fd);
  if (index < 0)
    die ("passing an fd", error);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      c, "org.openocd", path, MEM_IFACE, "ReadToFd",
      g_variant_new ("(tth)", address, size, index), NULL, G_DBUS_CALL_FLAGS_NONE,
      DUMP_TIMEOUT_MS, list, NULL, NULL, &error);
  if (reply == NULL)
    die ("ReadToFd", error);
}

/* Seconds per transfer of raw and service, interleaved, @n times each. */
static void
measure_transfer (Bench *b, GDBusConnection *c, OodTestTcl *tcl, gboolean to_fd, gsize size,
                  int n, Samples *raw, Samples *svc)
{
  for (int i = 0; i < n; i++)
    {
      gint64 t0 = now_ns ();

      raw_read (tcl, MEM_BASE, size);
      samples_add (raw, (double) (now_ns () - t0) / 1000.0);
      t0 = now_ns ();
      if (to_fd)
        svc_read_to_fd (c, b->target_path, MEM_BASE, size);
      else
        svc_read_bytes (c, b->target_path, MEM_BASE, (guint) size);
      samples_add (svc, (double) (now_ns () - t0) / 1000.0);
    }
}

/* Throughput rows (KiB/s, from the median time) and their ratio. */
static void
add_throughput_rows (const char *what, gsize size, Samples *raw, Samples *svc)
{
  double raw_us = samples_pct (raw, 50), svc_us = samples_pct (svc, 50);
  g_autofree char *raw_name = g_strdup_printf ("raw read_memory, %s in 4 KiB chunks", what);
  g_autofree char *svc_name = g_strdup_printf ("service %s", what);
  g_autofree char *ratio_name = g_strdup_printf ("ratio %s / raw throughput", what);

  add_row ("5", raw_name, "KiB/s", (double) size / 1024.0 / (raw_us / 1e6), NAN,
           (int) raw->v->len, CMP_NONE, 0);
  add_row ("5", svc_name, "KiB/s", (double) size / 1024.0 / (svc_us / 1e6), NAN,
           (int) svc->v->len, CMP_NONE, 0);
  add_row ("5", ratio_name, "x", raw_us / svc_us, NAN, (int) svc->v->len, CMP_GE, 0.9);
}

static void
figure_5_throughput (Bench *b, GDBusConnection *c, OodTestTcl *tcl)
{
  Samples raw = samples_new (), svc = samples_new ();
  int n = opt_quick ? 2 : 6;

  /* warm-up */
  raw_read (tcl, MEM_BASE, MEM_CHUNK);
  svc_read_bytes (c, b->target_path, MEM_BASE, MEM_CHUNK);
  measure_transfer (b, c, tcl, FALSE, 64 * 1024, n, &raw, &svc);
  add_throughput_rows ("ReadBytes 64 KiB", 64 * 1024, &raw, &svc);
  samples_free (&raw);
  samples_free (&svc);

  raw = samples_new ();
  svc = samples_new ();
  measure_transfer (b, c, tcl, TRUE, MIB, opt_quick ? 1 : 2, &raw, &svc);
  add_throughput_rows ("ReadToFd 1 MiB", MIB, &raw, &svc);
  samples_free (&raw);
  samples_free (&svc);
}

/* The names of the registers ReadAll answers, as one Tcl-ready array. */
static GPtrArray *
read_all_names (GDBusConnection *c, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (c, "org.openocd", path, REGS_IFACE, "ReadAll", NULL, &error);
  g_autoptr(GVariant) regs = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GVariantIter iter;
  const char *name;

  if (reply == NULL)
    die ("ReadAll", error);
  regs = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, regs);
  while (g_variant_iter_next (&iter, "(&sutub)", &name, NULL, NULL, NULL, NULL))
    g_ptr_array_add (names, g_strdup (name));
  return names;
}

static void
figure_5_read_all (Bench *b, GDBusConnection *c, OodTestTcl *tcl)
{
  /* the first ReadAll learns which listed registers cannot be read */
  g_autoptr(GPtrArray) names = read_all_names (c, b->target_path);
  g_autofree char *script = ood_tcl_script_reg_read_all ("riscv.cpu",
                                                         (const char *const *) names->pdata,
                                                         names->len);
  enum { RAW_READ_ALL, FLOOR_PING, SVC_READ_ALL, N_CASES };
  Case cases[N_CASES];
  g_autofree char *name = g_strdup_printf ("raw ReadAll() equivalent (same script, %u registers)",
                                           names->len);
  int n = opt_quick ? 30 : 200;

  cases[RAW_READ_ALL] = (Case) { name, op_tcl, { .tcl = tcl, .script = script }, { 0 }, 0 };
  cases[FLOOR_PING] = (Case) { "floor Ping()", op_method,
                               { .c = c, .dest = FLOOR_NAME, .path = FLOOR_PATH,
                                 .iface = FLOOR_IFACE, .method = "Ping" }, { 0 }, 0 };
  cases[SVC_READ_ALL] = (Case) { "service ReadAll()", op_method,
                                 { .c = c, .dest = "org.openocd", .path = b->target_path,
                                   .iface = REGS_IFACE, .method = "ReadAll" }, { 0 }, 0 };
  measure_interleaved (cases, N_CASES, n);
  for (gsize k = 0; k < N_CASES; k++)
    {
      add_samples_row ("5", cases[k].name, &cases[k].samples, CMP_NONE, 0, &cases[k].median);
      samples_free (&cases[k].samples);
    }
  add_row ("5", "ratio (ReadAll() - floor Ping) / raw ReadAll() equiv.", "x",
           (cases[SVC_READ_ALL].median - cases[FLOOR_PING].median) / cases[RAW_READ_ALL].median,
           NAN, n, CMP_LE, 1.10);
}

typedef struct {
  const char *bus_address;
  const char *path;
  gint        done;
} Dump;

static gpointer
dump_thread (gpointer data)
{
  Dump *dump = data;
  g_autoptr(GDBusConnection) c = new_client (dump->bus_address);

  svc_read_to_fd (c, dump->path, MEM_BASE, MIB);
  g_atomic_int_set (&dump->done, TRUE);
  return NULL;
}

/* State() from one client while another one's 1 MiB ReadToFd runs: each
 * should wait for one 4 KiB chunk at most. */
static void
figure_5_state_during_dump (Bench *b, GDBusConnection *c, OodTestTcl *tcl)
{
  Dump dump = { b->bus_address, b->target_path, FALSE };
  Samples chunk = samples_new (), state = samples_new ();
  OpData data = { .c = c, .dest = "org.openocd", .path = b->target_path, .iface = TARGET_IFACE,
                  .method = "State" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261201);
  GThread *thread;

  for (int i = 0; i < 20; i++)
    {
      gint64 t0 = now_ns ();
      raw_read (tcl, MEM_BASE, MEM_CHUNK);
      samples_add (&chunk, (double) (now_ns () - t0) / 1000.0);
    }
  add_samples_row ("5", "(for scale: one raw 4 KiB read_memory chunk)", &chunk, CMP_NONE, 0,
                   NULL);
  thread = g_thread_new ("dump", dump_thread, &dump);
  g_usleep (100000);
  while (!g_atomic_int_get (&dump.done))
    {
      g_autoptr(GError) error = NULL;
      gint64 t0 = now_ns ();

      if (!op_method (&data, &error))
        die ("State()", error);
      if (!g_atomic_int_get (&dump.done))
        samples_add (&state, (double) (now_ns () - t0) / 1000.0);
      g_usleep ((gulong) g_rand_int_range (rand, 1000, 20000));
    }
  g_thread_join (thread);
  add_samples_row ("5", "State() latency while a 1 MiB ReadToFd runs", &state, CMP_NONE, 0, NULL);
  samples_free (&chunk);
  samples_free (&state);
}

static void
figure_5 (Bench *b)
{
  g_autoptr(GDBusConnection) c = new_client (b->bus_address);
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (b->tcl_port, &error);
  g_autofree char *halted = NULL;

  if (tcl == NULL)
    die ("connecting to OpenOCD", error);
  if (!opt_json)
    g_printerr ("figure 5: registers and memory (target halted)\n");
  halted = tcl_eval_or_die (tcl, "halt");
  wait_service_state (b, c, "halted");
  figure_5_throughput (b, c, tcl);
  figure_5_read_all (b, c, tcl);
  figure_5_state_during_dump (b, c, tcl);
}

/* ---- figure 6: programming flash ---- */

#define FLASH_IFACE     "org.openocd.Flash"
#define JOB_IFACE       "org.openocd.Job"
#define FLASH_BASE      G_GUINT64_CONSTANT (0x08000000)
#define PROGRAM_SIZE    (32u * 1024u)
#define FLASH_BANK_SIZE (64u * 1024u)   /* the simulated board's bank 0 */
#define PROGRAM_WAIT_S  120

/* The Completed signals seen on one connection, by job path. */
typedef struct {
  GMainContext *context;
  GHashTable   *ended;    /* job path → Ended */
  gboolean      timed_out;
} JobWatch;

typedef struct {
  gint64    at_ns;
  gboolean  success;
  char     *message;
} Ended;

static void
ended_free (gpointer data)
{
  Ended *ended = data;

  g_free (ended->message);
  g_free (ended);
}

static void
on_job_completed (GDBusConnection *c, const char *sender, const char *path,
                  const char *iface, const char *member, GVariant *parameters, gpointer data)
{
  JobWatch *watch = data;
  Ended *ended = g_new0 (Ended, 1);
  const char *error_name, *message;

  (void) c, (void) sender, (void) iface, (void) member;
  ended->at_ns = now_ns ();
  g_variant_get (parameters, "(b&s&s)", &ended->success, &error_name, &message);
  ended->message = g_strdup_printf ("%s: %s", error_name, message);
  g_hash_table_replace (watch->ended, g_strdup (path), ended);
}

static gboolean
on_program_timeout (gpointer data)
{
  JobWatch *watch = data;

  watch->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* @size bytes in a file of their own (its path). */
static char *
save_flash_image (const guint8 *bytes, gsize size)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("ood-bench-image-XXXXXX.bin", &path, &error);

  if (fd < 0)
    die ("a temporary file", error);
  close (fd);
  if (!g_file_set_contents (path, (const char *) bytes, (gssize) size, &error))
    die ("writing the image", error);
  return path;
}

/* @size random bytes (a multiple of 4). */
static guint8 *
random_image (GRand *rand, gsize size)
{
  guint32 *words = g_new (guint32, size / 4);

  for (gsize i = 0; i < size / 4; i++)
    words[i] = g_rand_int (rand);
  return (guint8 *) words;
}

/* A 32 KiB image of random bytes in a file of its own (its path). */
static char *
write_flash_image (GRand *rand)
{
  g_autofree guint8 *bytes = random_image (rand, PROGRAM_SIZE);

  return save_flash_image (bytes, PROGRAM_SIZE);
}

/* Raw: OpenOCD's own `program FILE ADDR verify reset` on a direct
 * socket; µs. */
static double
raw_program (OodTestTcl *tcl, const char *file)
{
  g_autofree char *script = g_strdup_printf (
      "if {[catch {program %s 0x%08" G_GINT64_MODIFIER "x verify reset} ood_e]} "
      "{set ood_e \"failed: $ood_e\"} else {set ood_e ok}", file, FLASH_BASE);
  gint64 t0 = now_ns ();
  g_autofree char *reply = tcl_eval_or_die (tcl, script);
  double us = (double) (now_ns () - t0) / 1000.0;

  if (!g_str_equal (g_strstrip (reply), "ok"))
    {
      g_printerr ("openocd-dbus-bench: raw program: %s\n", reply);
      die ("raw program", NULL);
    }
  return us;
}

#define SECTOR_SIZE     1024u   /* the simulated GD32VF103's flash pages */

/* One of the service's wrapped scripts on a direct socket; dies unless
 * it answers success ("0 ..."). @longest_us: raised to the step's time. */
static void
replica_step (OodTestTcl *tcl, const char *script, double *longest_us)
{
  gint64 t0 = now_ns ();
  g_autofree char *reply = tcl_eval_or_die (tcl, script);

  *longest_us = MAX (*longest_us, (double) (now_ns () - t0) / 1000.0);
  if (!g_str_has_prefix (reply, "0 ") && !g_str_equal (reply, "0"))
    {
      g_printerr ("openocd-dbus-bench: replica: %s: %s\n", script, reply);
      die ("the replica of Program", NULL);
    }
}

#define WORK_AREA       16384u  /* riscv-sim.cfg's -work-area-size */

/* Raw: the very commands the service sends OpenOCD for Program(bin,
 * verify, reset run) of @file onto flash that does not hold it (erased,
 * or another image): built by the same script functions, in the same
 * steps (the halt, the sums step that finds every sector's first word
 * other than the image's and so runs no checksum, one erase, writes of
 * one loader run each, one verify, the reset), on a
 * direct socket with no service. The sector listing is learnt once per
 * connection, so it is not here. µs; @longest_us: the longest step. */
static double
raw_replica (Bench *b, OodTestTcl *tcl, const char *file, double *longest_us)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *chunk = NULL;
  gsize size = 0, n, step;
  guint last_sector;
  gint64 t0;
  double us;

  if (!g_file_get_contents (file, &data, &size, &error))
    die ("reading the image", error);
  chunk = g_strconcat (file, ".chunk", NULL);
  last_sector = (guint) ((size - 1) / SECTOR_SIZE);
  n = ood_flash_write_steps (WORK_AREA, size, &step); /* as the plan cuts them */
  *longest_us = 0;
  t0 = now_ns ();
  {
    g_autofree char *halt = ood_tcl_script_flash_halt (b->target_name);

    replica_step (tcl, halt, longest_us);
  }
  {
    /* one piece a sector, as the plan cuts them (ood-flash-plan.h) */
    g_autofree guint64 *runs = g_new (guint64, 2 * (last_sector + 1));
    g_autofree guint32 *firsts = g_new0 (guint32, last_sector + 1);
    g_autofree char *sums = NULL;

    for (guint i = 0; i <= last_sector; i++)
      {
        gsize at = (gsize) i * SECTOR_SIZE;

        runs[2 * i] = FLASH_BASE + at;
        runs[2 * i + 1] = MIN (SECTOR_SIZE, size - at);
        for (gsize k = 0; k < 4 && at + k < size; k++)
          firsts[i] |= (guint32) (guint8) data[at + k] << (8 * k);
      }
    sums = ood_tcl_script_flash_sums (b->target_name, ood_sums_routine, OOD_SUMS_ROUTINE_SIZE, runs,
                                      firsts, last_sector + 1);
    replica_step (tcl, sums, longest_us);
  }
  {
    g_autofree char *erase = ood_tcl_script_flash_erase (b->target_name, 0, 0, last_sector);

    replica_step (tcl, erase, longest_us);
  }
  for (gsize i = 0, off = 0; i < n; i++, off += step)
    {
      g_autofree char *write = ood_tcl_script_flash_write (b->target_name, 0, chunk, off);
      gsize length = i + 1 < n ? MIN (step, size - off) : size - off;

      if (!g_file_set_contents (chunk, data + off, (gssize) length, &error))
        die ("writing a chunk", error);
      replica_step (tcl, write, longest_us);
    }
  {
    g_autofree char *verify = ood_tcl_script_verify_image (b->target_name, file, FLASH_BASE);
    g_autofree char *reset = ood_tcl_script_reset (b->target_name, OOD_RESET_RUN);

    replica_step (tcl, verify, longest_us);
    replica_step (tcl, reset, longest_us);
  }
  us = (double) (now_ns () - t0) / 1000.0;
  g_unlink (chunk);
  return us;
}

/* D-Bus: Program(fd of @file, "bin", 0x08000000, {verify, reset "run"}),
 * timed from the call to the job's Completed; µs. @c's signals are
 * dispatched in @watch's context, the thread-default one. */
static double
svc_program (Bench *b, GDBusConnection *c, JobWatch *watch, const char *file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  const char *job;
  Ended *ended;
  int fd = open (file, O_RDONLY | O_CLOEXEC);
  gint64 t0;

  if (fd < 0 || g_unix_fd_list_append (list, fd, &error) < 0)
    die ("opening the image", error);
  close (fd);
  g_variant_builder_add (options, "{sv}", "verify", g_variant_new_boolean (TRUE));
  g_variant_builder_add (options, "{sv}", "reset", g_variant_new_string ("run"));
  t0 = now_ns ();
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      c, "org.openocd", b->target_path, FLASH_IFACE, "Program",
      g_variant_new ("(hst@a{sv})", 0, "bin", FLASH_BASE, g_variant_builder_end (options)),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, list, NULL,
      NULL, &error);
  if (reply == NULL)
    die ("Program", error);
  g_variant_get (reply, "(&o)", &job);
  timeout = g_timeout_source_new_seconds (PROGRAM_WAIT_S);
  g_source_set_callback (timeout, on_program_timeout, watch, NULL);
  g_source_attach (timeout, watch->context);
  while ((ended = g_hash_table_lookup (watch->ended, job)) == NULL && !watch->timed_out)
    g_main_context_iteration (watch->context, TRUE);
  g_source_destroy (timeout);
  if (ended == NULL)
    die ("the Program job did not complete", NULL);
  if (!ended->success)
    {
      g_printerr ("openocd-dbus-bench: %s: %s\n", job, ended->message);
      die ("the Program job failed", NULL);
    }
  return (double) (ended->at_ns - t0) / 1000.0;
}

/* A client calling State() back to back on its own connection, timing
 * the calls made while @active (from Program's call to its Completed). */
typedef struct {
  const char *bus_address;
  const char *target_path;
  gint        active;
  gint        stop;
  Samples     samples;
} StateLoop;

static gpointer
state_loop_thread (gpointer data)
{
  StateLoop *loop = data;
  g_autoptr(GDBusConnection) c = new_client (loop->bus_address);
  OpData op = { .c = c, .dest = "org.openocd", .path = loop->target_path,
                .iface = TARGET_IFACE, .method = "State" };

  while (!g_atomic_int_get (&loop->stop))
    {
      g_autoptr(GError) error = NULL;
      gboolean was_active = g_atomic_int_get (&loop->active);
      gint64 t0 = now_ns ();

      if (!op_method (&op, &error))
        die ("State()", error);
      if (was_active)
        samples_add (&loop->samples, (double) (now_ns () - t0) / 1000.0);
    }
  return NULL;
}

/* What the flash holds when a Program is timed. */
typedef enum {
  ONTO_ERASED,      /* erased, untimed, before each */
  ONTO_SAME,        /* the image itself */
  ONTO_ONE_SECTOR,  /* the image but one sector, restored before each */
} Onto;

static const char *const onto_names[] = { "onto erased flash", "onto the same image",
                                          "onto it with one sector changed" };
static const double onto_goals[] = { 1.03, 0.25, 0.35 };

/* The whole bank erased, untimed. */
static void
erase_flash (Bench *b, OodTestTcl *tcl)
{
  double ignored = 0;
  g_autofree char *halt = ood_tcl_script_flash_halt (b->target_name);
  g_autofree char *erase = ood_tcl_script_flash_erase (b->target_name, 0, 0,
                                                       FLASH_BANK_SIZE / SECTOR_SIZE - 1);

  replica_step (tcl, halt, &ignored);
  replica_step (tcl, erase, &ignored);
}

/* Figure 6's rows for @size bytes @onto: raw `program`, Program() and
 * (onto erased flash) the replica, each the same file in a round, the
 * order rotating; @longest_us: raised to the replica's longest step. */
static void
measure_program (Bench *b, GDBusConnection *c, JobWatch *watch, OodTestTcl *tcl, GRand *rand,
                 gsize size, Onto onto, int rounds, double *longest_us)
{
  Samples raw = samples_new (), svc = samples_new (), replica = samples_new ();
  int ways = onto == ONTO_ERASED ? 3 : 2;
  double raw_us, svc_us, replica_us;
  g_autofree char *label = g_strdup_printf ("%zu KiB %s", size / 1024, onto_names[onto]);

  for (int i = 0; i < rounds; i++)
    {
      g_autofree guint8 *bytes = random_image (rand, size);
      g_autofree char *file = save_flash_image (bytes, size);
      g_autofree char *before = NULL;

      if (onto == ONTO_ONE_SECTOR)
        {
          guint sector = (guint) g_rand_int_range (rand, 0, (gint32) (size / SECTOR_SIZE));
          g_autofree guint8 *other = g_memdup2 (bytes, size);

          other[sector * SECTOR_SIZE + g_rand_int_range (rand, 0, SECTOR_SIZE)] ^= 0xff;
          before = save_flash_image (other, size);
        }
      if (onto == ONTO_SAME)
        svc_program (b, c, watch, file);
      for (int k = 0; k < ways; k++)
        {
          double step_us = 0;

          if (onto == ONTO_ERASED)
            erase_flash (b, tcl);
          else if (onto == ONTO_ONE_SECTOR)
            svc_program (b, c, watch, before);   /* one sector to restore: quick */
          switch ((i + k) % ways)
            {
            case 0: samples_add (&raw, raw_program (tcl, file)); break;
            case 1: samples_add (&svc, svc_program (b, c, watch, file)); break;
            default:
              samples_add (&replica, raw_replica (b, tcl, file, &step_us));
              *longest_us = MAX (*longest_us, step_us);
              break;
            }
        }
      g_unlink (file);
      if (before != NULL)
        g_unlink (before);
    }
  {
    g_autofree char *raw_name = g_strdup_printf ("raw `program FILE ADDR verify reset`, %s", label);
    g_autofree char *svc_name = g_strdup_printf ("Program(bin, verify, reset run), %s", label);
    g_autofree char *ratio_name = g_strdup_printf ("ratio Program() / raw program, %s", label);

    add_samples_row ("6", raw_name, &raw, CMP_NONE, 0, &raw_us);
    add_samples_row ("6", svc_name, &svc, CMP_NONE, 0, &svc_us);
    add_row ("6", ratio_name, "x", svc_us / raw_us, NAN, rounds, CMP_LE, onto_goals[onto]);
  }
  if (onto == ONTO_ERASED)
    {
      g_autofree char *name = g_strdup_printf ("raw replica of the service's commands, %s", label);
      g_autofree char *ratio = g_strdup_printf ("ratio replica / raw program, %s", label);
      g_autofree char *own = g_strdup_printf ("ratio Program() / replica, %s", label);

      add_samples_row ("6", name, &replica, CMP_NONE, 0, &replica_us);
      add_row ("6", ratio, "x", replica_us / raw_us, NAN, rounds, CMP_NONE, 0);
      add_row ("6", own, "x", svc_us / replica_us, NAN, rounds, CMP_NONE, 0);
    }
  samples_free (&raw);
  samples_free (&svc);
  samples_free (&replica);
}

static void
figure_6 (Bench *b)
{
  g_autoptr(GDBusConnection) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (b->tcl_port, &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261208);
  g_autofree char *halted = NULL;
  JobWatch watch = { g_main_context_new (),
                     g_hash_table_new_full (g_str_hash, g_str_equal, g_free, ended_free),
                     FALSE };
  StateLoop loop = { b->bus_address, b->target_path, FALSE, FALSE, samples_new () };
  Samples loaded = samples_new ();
  int rounds = opt_quick ? 2 : 5, loaded_rounds = opt_quick ? 1 : 2;
  const gsize sizes[] = { PROGRAM_SIZE, FLASH_BANK_SIZE };
  double longest_us = 0;
  GThread *thread;
  guint id;

  if (tcl == NULL)
    die ("connecting to OpenOCD", error);
  if (!opt_json)
    g_printerr ("figure 6: Program of 32 and 64 KiB bins against raw `program FILE 0x08000000 "
                "verify reset`, onto erased flash, the same image, one sector changed "
                "(%d rounds)\n", rounds);
  g_main_context_push_thread_default (watch.context);
  c = new_client (b->bus_address);
  /* subscribed before any Program is called */
  id = g_dbus_connection_signal_subscribe (c, "org.openocd", JOB_IFACE, "Completed", NULL, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_job_completed, &watch,
                                           NULL);
  /* warm-up: one of each */
  {
    g_autofree char *file = write_flash_image (rand);
    double ignored;

    raw_program (tcl, file);
    svc_program (b, c, &watch, file);
    raw_replica (b, tcl, file, &ignored);
    g_unlink (file);
  }
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (Onto onto = ONTO_ERASED; onto <= ONTO_ONE_SECTOR; onto++)
      measure_program (b, c, &watch, tcl, rand, sizes[s], onto, rounds, &longest_us);

  /* State() in a closed loop from another client while a 64 KiB
   * Program runs onto erased flash */
  thread = g_thread_new ("state-loop", state_loop_thread, &loop);
  for (int i = 0; i < loaded_rounds; i++)
    {
      g_autofree guint8 *bytes = random_image (rand, FLASH_BANK_SIZE);
      g_autofree char *file = save_flash_image (bytes, FLASH_BANK_SIZE);

      erase_flash (b, tcl);
      g_usleep (50000);
      g_atomic_int_set (&loop.active, TRUE);
      samples_add (&loaded, svc_program (b, c, &watch, file));
      g_atomic_int_set (&loop.active, FALSE);
      g_unlink (file);
    }
  g_atomic_int_set (&loop.stop, TRUE);
  g_thread_join (thread);
  add_samples_row ("6", "State() back to back while a 64 KiB Program runs", &loop.samples,
                   CMP_NONE, 0, NULL);
  add_row ("6", "longest step of the replica (64 KiB onto erased flash)", "us", longest_us, NAN,
           rounds, CMP_NONE, 0);
  add_row ("6", "ratio State() p99 during Program / longest step", "x",
           samples_pct (&loop.samples, 99) / longest_us, NAN, (int) loop.samples.v->len, CMP_LE,
           1.0);
  add_samples_row ("6", "(Program() to Completed meanwhile)", &loaded, CMP_NONE, 0, NULL);

  g_dbus_connection_signal_unsubscribe (c, id);
  g_main_context_pop_thread_default (watch.context);
  /* as figure 5 left it, for figure 4 */
  halted = tcl_eval_or_die (tcl, "halt");
  wait_service_state (b, c, "halted");
  samples_free (&loaded);
  samples_free (&loop.samples);
  g_hash_table_unref (watch.ended);
  g_main_context_unref (watch.context);
}

/* ---- output ---- */

static char *
fmt_num (double v)
{
  if (isnan (v))
    return g_strdup ("-");
  return g_strdup_printf (fabs (v) < 10 ? "%.3f" : "%.1f", v);
}

static char *
target_text (const Row *row)
{
  g_autofree char *t = fmt_num (row->target);

  switch (row->cmp)
    {
    case CMP_LE: return g_strdup_printf ("<= %s", t);
    case CMP_GE: return g_strdup_printf (">= %s", t);
    case CMP_NONE: default: return g_strdup ("");
    }
}

static void
print_table (void)
{
  g_print ("\n%-3s %-52s %12s %12s %-8s %10s %s\n", "fig", "measure", "median", "p99", "unit",
           "target", "");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_autofree char *m = fmt_num (row->median);
      g_autofree char *p = fmt_num (row->p99);
      g_autofree char *t = target_text (row);

      g_print ("%-3s %-52s %12s %12s %-8s %10s %s\n", row->figure, row->name, m, p, row->unit,
               t, row_status (row));
    }
}

/* A figure to three decimals, as the table prints it; null when there is none. */
static void
json_add_number (JsonBuilder *builder, const char *member, double v)
{
  json_builder_set_member_name (builder, member);
  if (isnan (v) || isinf (v))
    json_builder_add_null_value (builder);
  else
    json_builder_add_double_value (builder, round (v * 1000.0) / 1000.0);
}

/* @text, or null where the row has no target. */
static void
json_add_target_string (JsonBuilder *builder, const char *member, const Row *row,
                        const char *text)
{
  json_builder_set_member_name (builder, member);
  if (row->cmp == CMP_NONE)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, text);
}

static void
print_json (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "quick");
  json_builder_add_boolean_value (builder, opt_quick);
  json_builder_set_member_name (builder, "cpus");
  json_builder_add_int_value (builder, g_get_num_processors ());
  json_builder_set_member_name (builder, "results");
  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_autofree char *t = target_text (row);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "figure");
      json_builder_add_string_value (builder, row->figure);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, row->name);
      json_builder_set_member_name (builder, "unit");
      json_builder_add_string_value (builder, row->unit);
      json_add_number (builder, "median", row->median);
      json_add_number (builder, "p99", row->p99);
      json_builder_set_member_name (builder, "n");
      json_builder_add_int_value (builder, row->n);
      json_add_target_string (builder, "target", row, t);
      json_add_target_string (builder, "status", row, row_status (row));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* ---- main ---- */

static gboolean
wanted (const char *figure)
{
  return opt_figures == NULL || g_strv_contains ((const char *const *) opt_figures, figure);
}

static gboolean
wanted_any (int first, int last)
{
  for (int n = first; n <= last; n++)
    {
      char figure[8];

      g_snprintf (figure, sizeof figure, "%d", n);
      if (wanted (figure))
        return TRUE;
    }
  return FALSE;
}

/* Figures 1 to 6: one daemon in front of an OpenOCD the bench runs and
 * the floor service, on one private bus; all of it is gone afterwards. */
static void
run_attached_figures (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodServiceFixture) fixture = NULL;
  const OodServiceOptions options = { .n_boards = 1 };
  Bench b = { 0 };

  if (!opt_json)
    g_printerr ("starting the private bus, the simulated board, OpenOCD and openocd-dbusd…\n");
  fixture = ood_service_fixture_new (&options, &error);
  if (fixture == NULL)
    die ("starting the test bed", error);
  b.fixture = fixture;
  b.bus_address = ood_service_fixture_get_bus_address (fixture);
  b.tcl_port = ood_testbed_get_tcl_port (ood_service_fixture_get_testbed (fixture, 0));
  b.tcl_address = ood_testbed_get_address (ood_service_fixture_get_testbed (fixture, 0));
  b.target_path = ood_service_fixture_dup_target_path (fixture, 0);
  b.target_name = ood_testbed_get_target_name (ood_service_fixture_get_testbed (fixture, 0));
  b.state_script = ood_tcl_script_state (b.target_name);
  b.daemon_pid = ood_service_fixture_get_service_pid (fixture);
  start_floor (&b);

  if (wanted ("1"))
    figure_1 (&b);
  if (wanted ("2"))
    {
      const EventBench eb = { b.bus_address, b.tcl_port, b.target_path, b.target_name,
                              b.daemon_pid };

      figure_2 (&eb);
    }
  if (wanted ("3"))
    figure_3 (&b);
  if (wanted ("5"))
    figure_5 (&b);   /* before figure 4, which stops the service */
  if (wanted ("6"))
    figure_6 (&b);   /* likewise */
  if (wanted ("4"))
    figure_4 (&b);

  g_subprocess_send_signal (b.floor, SIGTERM);
  g_subprocess_wait (b.floor, NULL, NULL);
  g_object_unref (b.floor);
  g_free (b.tcl_address);
  g_free (b.target_path);
  g_free (b.state_script);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the results as JSON", NULL },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &opt_quick, "A short run, to check that it works", NULL },
    { "figure", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_figures,
      "Run only this figure (1–15; repeatable)", "N" },
    /* how figure 8 re-execs the bench under umockdev-wrapper */
    { "in-umockdev", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_in_umockdev, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);
  context = g_option_context_new ("- measure openocd-dbusd against OpenOCD and a floor service");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  plan = opt_quick ? (Plan) { 200, 20, 0.5, 2.0 } : (Plan) { 2000, 200, 2.0, 10.0 };
  rows = g_ptr_array_new_with_free_func (row_free);

  if (opt_in_umockdev)
    {
      /* the rows go to the bench that started this one, as JSON */
      opt_json = TRUE;
      figure_8_in_umockdev ();
    }
  else
    {
      if (wanted_any (1, 6))
        run_attached_figures ();
      /* each with a bus, boards and daemons of its own */
      if (wanted ("7"))
        figure_7 ();
      if (wanted ("8"))
        figure_8 ();
      if (wanted ("9"))
        figure_9 ();
      if (wanted ("10"))
        figure_10 ();
      if (wanted ("11"))
        figure_11 ();
      if (wanted ("12") || wanted ("13"))
        run_door_figures (wanted ("12"), wanted ("13"));
      if (wanted ("14"))
        figure_14 ();
      if (wanted ("15"))
        figure_15 ();
    }

  if (opt_json)
    print_json ();
  else
    print_table ();
  g_ptr_array_unref (rows);
  return EXIT_SUCCESS;
}
