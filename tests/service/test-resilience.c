/* SPDX-License-Identifier: MIT */
/*
 * Resilience of openocd-dbusd: the real daemon on a private bus in front of
 * real OpenOCD 0.12 instances and simulated boards, except for one case:
 *
 *   idle                   a breakpoint halt is published from OpenOCD's
 *                          notification, and an idle target costs nothing
 *   kill-during-wait-halt  OpenOCD killed under a pending WaitHalt
 *   kill-during-step       OpenOCD killed in the middle of a run of Steps
 *   two-endpoints          one OpenOCD dying does not disturb another
 *   many-clients           50 clients × 100 concurrent calls
 *   stalled-openocd        FAULT INJECTION: a fake Tcl server
 *                          (tests/fault/stall-server.c) is used there ONLY
 *                          because a real OpenOCD cannot be made to stall
 *                          or to answer garbage
 *   sighup-reload          a configuration reload with a bad line
 */
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-proc.h"
#include "ood-error.h"
#include "ood-state.h"

#include <glib/gstdio.h>
#include <signal.h>

#define CALL_TIMEOUT_MS 30000
/* Give up waiting for the service to serve again after this long. */
#define SERVING_WAIT_MS 30000u
#define RAM_START G_GUINT64_CONSTANT (0x80000000)
#define RAM_END   G_GUINT64_CONSTANT (0x80010000)
/* "inc:" in tests/sim/default-program.c, run once per loop iteration */
#define LOOP_ADDRESS G_GUINT64_CONSTANT (0x80000020)

#define TARGET_IFACE "org.openocd.Target"
#define ENDPOINT_IFACE "org.openocd.Endpoint"
#define PROPERTIES_IFACE "org.freedesktop.DBus.Properties"

/* ---- calls ---------------------------------------------------------------- */

static void
call_async (GDBusConnection *bus, const char *path, const char *iface, const char *method,
            GVariant *params, OodTestPending *pending)
{
  g_dbus_connection_call (bus, "org.openocd", path, iface, method, params, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                          ood_test_pending_done, pending);
}

static GVariant *
call_sync (GDBusConnection *bus, const char *path, const char *iface, const char *method,
           GVariant *params, GError **error)
{
  return g_dbus_connection_call_sync (bus, "org.openocd", path, iface, method, params, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                      error);
}

/* Unpacks a "(a{sv})" state reply, checking it names riscv.cpu. */
static void
parse_state_reply (GVariant *reply, const char **state, gboolean *pc_valid, guint64 *pc)
{
  g_autoptr(GVariant) dict = NULL;
  const char *name;

  g_assert_nonnull (reply);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(a{sv})");
  dict = g_variant_get_child_value (reply, 0);
  g_assert_true (ood_state_dict_parse (dict, &name, state, pc_valid, pc));
  g_assert_cmpstr (name, ==, "riscv.cpu");
}

static GVariant *
target_call (GDBusConnection *bus, const char *path, const char *method, GVariant *params,
             GError **error)
{
  return call_sync (bus, path, TARGET_IFACE, method, params, error);
}

static void
target_call_ok (GDBusConnection *bus, const char *path, const char *method, GVariant *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = target_call (bus, path, method, params, &error);

  g_assert_no_error (error);
}

/* Calls a method returning a state and checks it; returns the state name. */
static const char *
target_state_call (GDBusConnection *bus, const char *path, const char *method, guint64 *pc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = target_call (bus, path, method, NULL, &error);
  const char *state;
  gboolean pc_valid = FALSE;
  guint64 value = 0;

  g_assert_no_error (error);
  parse_state_reply (reply, &state, &pc_valid, &value);
  if (g_str_equal (state, OOD_STATE_HALTED))
    {
      g_assert_true (pc_valid);
      g_assert_cmpuint (value, >=, RAM_START);
      g_assert_cmpuint (value, <, RAM_END);
    }
  if (pc != NULL)
    *pc = value;
  return g_intern_string (state);
}

/* Endpoint.Connected, read from the service (no proxy cache); FALSE also
 * when the endpoint does not exist. */
static gboolean
endpoint_connected (GDBusConnection *bus, const char *endpoint_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = ood_test_get_property (bus, endpoint_path, ENDPOINT_IFACE,
                                                     "Connected", CALL_TIMEOUT_MS, &error);

  return value != NULL && g_variant_get_boolean (value);
}

static gboolean
object_exists (GDBusConnection *bus, const char *path, const char *iface)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_sync (bus, path, PROPERTIES_IFACE, "GetAll",
                                         g_variant_new ("(s)", iface), &error);

  return reply != NULL;
}

static gboolean
service_on_bus (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", "org.openocd"), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
assert_service_alive (OodServiceFixture *fixture)
{
  GPid pid = ood_service_fixture_get_service_pid (fixture);

  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, 0), ==, 0);
  g_assert_true (service_on_bus (ood_service_fixture_get_bus (fixture)));
}

/* Iterates the default main context for @ms, whatever happens. */
static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

static double
ms_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

/* ---- signals -------------------------------------------------------------- */

/* Every signal the service sends under /org/openocd. */
typedef struct {
  GDBusConnection *bus;
  guint            subscription;
  GPtrArray       *paths;     /* (element-type utf8) */
  GPtrArray       *members;   /* (element-type utf8) "iface.member" */
  GPtrArray       *params;    /* (element-type GVariant) */
  gint64           last_at;
} SignalLog;

static void
on_service_signal (GDBusConnection *bus, const char *sender, const char *path,
                   const char *iface, const char *signal, GVariant *params, gpointer user_data)
{
  SignalLog *log = user_data;

  (void) bus;
  (void) sender;
  if (!g_str_has_prefix (path, "/org/openocd"))
    return;
  g_ptr_array_add (log->paths, g_strdup (path));
  g_ptr_array_add (log->members, g_strdup_printf ("%s.%s", iface, signal));
  g_ptr_array_add (log->params, g_variant_ref (params));
  log->last_at = g_get_monotonic_time ();
}

static SignalLog *
signal_log_new (GDBusConnection *bus)
{
  SignalLog *log = g_new0 (SignalLog, 1);

  log->bus = g_object_ref (bus);
  log->paths = g_ptr_array_new_with_free_func (g_free);
  log->members = g_ptr_array_new_with_free_func (g_free);
  log->params = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  /* arg0 NULL, path NULL, any interface and member: the whole tree */
  log->subscription = g_dbus_connection_signal_subscribe (bus, "org.openocd", NULL, NULL, NULL,
                                                          NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          on_service_signal, log, NULL);
  return log;
}

static void
signal_log_free (SignalLog *log)
{
  g_dbus_connection_signal_unsubscribe (log->bus, log->subscription);
  g_object_unref (log->bus);
  g_ptr_array_unref (log->paths);
  g_ptr_array_unref (log->members);
  g_ptr_array_unref (log->params);
  g_free (log);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignalLog, signal_log_free)

static void
signal_log_reset (SignalLog *log)
{
  ood_test_drain ();
  g_ptr_array_set_size (log->paths, 0);
  g_ptr_array_set_size (log->members, 0);
  g_ptr_array_set_size (log->params, 0);
}

static guint
signal_log_count (SignalLog *log, const char *member)
{
  guint n = 0;

  for (guint i = 0; i < log->members->len; i++)
    n += g_str_equal (log->members->pdata[i], member);
  return n;
}

static void
signal_log_print (SignalLog *log, const char *why)
{
  for (guint i = 0; i < log->paths->len; i++)
    {
      g_autofree char *text = g_variant_print (log->params->pdata[i], FALSE);
      g_test_message ("  %s: %s on %s: %s", why, (char *) log->members->pdata[i],
                      (char *) log->paths->pdata[i], text);
    }
}

#define PROPERTIES_CHANGED PROPERTIES_IFACE ".PropertiesChanged"

/* The changed properties of entry @i if it is a PropertiesChanged about
 * @iface at @path. */
static GVariant *
signal_log_changed (SignalLog *log, guint i, const char *path, const char *iface)
{
  const char *changed_iface;
  GVariant *changed;

  if (!g_str_equal (log->paths->pdata[i], path) ||
      !g_str_equal (log->members->pdata[i], PROPERTIES_CHANGED))
    return NULL;
  g_variant_get (log->params->pdata[i], "(&s@a{sv}@as)", &changed_iface, &changed, NULL);
  if (!g_str_equal (changed_iface, iface))
    g_clear_pointer (&changed, g_variant_unref);
  return changed;
}

/* Whether Endpoint.Connected at @path was ever published as FALSE. */
static gboolean
signal_log_saw_disconnect (SignalLog *log, const char *path)
{
  ood_test_drain ();
  for (guint i = 0; i < log->paths->len; i++)
    {
      g_autoptr(GVariant) changed = signal_log_changed (log, i, path, ENDPOINT_IFACE);
      gboolean connected = TRUE;

      if (changed != NULL && g_variant_lookup (changed, "Connected", "b", &connected) &&
          !connected)
        return TRUE;
    }
  return FALSE;
}

/* ---- idle -------------------------------------------------------------------- */

typedef struct {
  SignalLog  *log;
  const char *path;
  guint64     pc;
  gboolean    found;
  gboolean    saw_running;
  gboolean    saw_halted;      /* State "halted" in the same signal */
  gboolean    saw_event;       /* TargetEvent "halted" */
} HaltWatch;

/* Whether a PropertiesChanged of the target published CurrentPc = @pc
 * with CurrentPcValid true (in the same signal, or already true). */
static gboolean
halt_published (gpointer user_data)
{
  HaltWatch *watch = user_data;

  for (guint i = 0; i < watch->log->paths->len; i++)
    {
      g_autoptr(GVariant) changed = signal_log_changed (watch->log, i, watch->path, TARGET_IFACE);
      const char *state = NULL, *event = NULL;
      guint64 pc = 0;
      gboolean valid = TRUE;

      if (g_str_equal (watch->log->members->pdata[i], TARGET_IFACE ".TargetEvent") &&
          g_str_equal (watch->log->paths->pdata[i], watch->path))
        {
          g_variant_get (watch->log->params->pdata[i], "(&s)", &event);
          watch->saw_event |= g_str_equal (event, "halted");
        }
      if (changed == NULL)
        continue;
      if (g_variant_lookup (changed, "State", "&s", &state) &&
          g_str_equal (state, OOD_STATE_RUNNING))
        watch->saw_running = TRUE;
      if (!watch->found && g_variant_lookup (changed, "CurrentPc", "t", &pc) && pc == watch->pc)
        {
          g_variant_lookup (changed, "CurrentPcValid", "b", &valid);
          g_assert_true (valid);
          watch->found = TRUE;
          watch->saw_halted = state != NULL && g_str_equal (state, OOD_STATE_HALTED);
        }
    }
  return watch->found && watch->saw_event;
}

static const char *
cached_state (GDBusConnection *bus, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = ood_test_get_property (bus, path, TARGET_IFACE, "State",
                                                     CALL_TIMEOUT_MS, &error);

  g_assert_no_error (error);
  return g_intern_string (g_variant_get_string (value, NULL));
}

static void
add_breakpoint (GDBusConnection *bus, const char *path, guint64 address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_sync (bus, path, "org.openocd.Breakpoints", "Add",
                                         g_variant_new ("(tus)", address, 4, "hw"), &error);

  g_assert_no_error (error);
}

/* Waits for the breakpoint halt at @pc to be published, without asking
 * the service (no WaitHalt, no State). */
static void
wait_halt_published (GDBusConnection *bus, SignalLog *log, const char *path, guint64 pc,
                     const char *how)
{
  HaltWatch watch = { .log = log, .path = path, .pc = pc };
  gint64 start = g_get_monotonic_time ();

  if (!ood_test_wait_for (halt_published, &watch, 10000))
    {
      signal_log_print (log, "seen");
      g_error ("%s: no PropertiesChanged with CurrentPc 0x%" G_GINT64_MODIFIER "x and TargetEvent "
               "'halted' within 10 s (found pc: %d, event: %d)", how, pc, watch.found,
               watch.saw_event);
    }
  g_test_message ("%s: halt at 0x%" G_GINT64_MODIFIER "x published %.1f ms later "
                  "(State running seen: %s; State halted in the same signal: %s)", how, pc,
                  ms_since (start), watch.saw_running ? "yes" : "no",
                  watch.saw_halted ? "yes" : "no");
  g_assert_cmpstr (cached_state (bus, path), ==, OOD_STATE_HALTED);
}

static gboolean
quiet_for_500ms (gpointer user_data)
{
  SignalLog *log = user_data;

  return g_get_monotonic_time () - log->last_at > 500 * 1000;
}

#define OTHER_LOOP_ADDRESS G_GUINT64_CONSTANT (0x80000010)

/* the reachability probe, a deliberate wake-up, is measured apart */
static const char *const no_probe[] = { "--probe-interval", "0", NULL };
static const OodServiceOptions no_probing = { .extra_args = no_probe };

static void
test_idle (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  OodTestbed *testbed;
  GDBusConnection *bus;
  g_autofree char *path = NULL;
  g_autoptr(SignalLog) log = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GString) detail = g_string_new (NULL);
  guint64 pc = 0, switches;
  guint signals, changes;

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  testbed = ood_service_fixture_get_testbed (fixture, 0);
  path = ood_service_fixture_dup_target_path (fixture, 0);
  log = signal_log_new (bus);

  /* 1. Resume through the service onto a hardware breakpoint. The board
   * is fast enough that Resume's own reply may already say "halted"; the
   * TargetEvent "halted" can only come from OpenOCD's notification. */
  g_assert_cmpstr (target_state_call (bus, path, "Halt", &pc), ==, OOD_STATE_HALTED);
  g_assert_cmphex (pc, !=, LOOP_ADDRESS);
  add_breakpoint (bus, path, LOOP_ADDRESS);
  signal_log_reset (log);
  target_call_ok (bus, path, "Resume", NULL);
  wait_halt_published (bus, log, path, LOOP_ADDRESS, "Resume through the service");

  /* 2. Resume behind the service's back, straight on OpenOCD's Tcl port,
   * onto another breakpoint: only OpenOCD's notification can tell the
   * service about the run and the halt. */
  {
    g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (testbed), &error);
    g_autofree char *output = NULL;
    g_autoptr(GVariant) reply = NULL;

    g_assert_no_error (error);
    reply = call_sync (bus, path, "org.openocd.Breakpoints", "Remove",
                       g_variant_new ("(t)", LOOP_ADDRESS), &error);
    g_assert_no_error (error);
    add_breakpoint (bus, path, OTHER_LOOP_ADDRESS);
    signal_log_reset (log);
    output = ood_test_tcl_eval (tcl, "resume", &error);
    g_assert_no_error (error);
    wait_halt_published (bus, log, path, OTHER_LOOP_ADDRESS, "resume on OpenOCD's own Tcl port");
  }

  /* 3. Idle: halted, nothing happens, nothing may be sent or run. */
  g_assert_true (ood_test_wait_for (quiet_for_500ms, log, 10000));
  signal_log_reset (log);
  before = ood_test_thread_switches (ood_service_fixture_get_service_pid (fixture));
  run_for (5000);
  after = ood_test_thread_switches (ood_service_fixture_get_service_pid (fixture));
  ood_test_drain ();
  signals = log->paths->len;
  changes = signal_log_count (log, PROPERTIES_CHANGED);
  switches = ood_test_switches_between (before, after, detail);
  g_test_message ("idle 5 s: %u PropertiesChanged, %u signals in all, %" G_GUINT64_FORMAT
                  " context switches of the daemon:%s", changes, signals, switches, detail->str);
  signal_log_print (log, "unexpected while idle");
  g_assert_cmpuint (changes, ==, 0);
  g_assert_cmpuint (signals, ==, 0);
  if (switches != 0)
    g_error ("the idle daemon was switched to %" G_GUINT64_FORMAT " times in 5 s:%s", switches,
             detail->str);

  /* still where the breakpoint stopped it */
  g_assert_cmpstr (target_state_call (bus, path, "State", &pc), ==, OOD_STATE_HALTED);
  g_assert_cmphex (pc, ==, OTHER_LOOP_ADDRESS);
}

static gboolean
halted_event_seen (gpointer user_data)
{
  return signal_log_count (user_data, "org.openocd.Target.TargetEvent") > 0;
}

static const char *const fast_probe[] = { "--probe-interval", "500", NULL };
static const OodServiceOptions fast_probing = { .extra_args = fast_probe };

/* With the reachability probe on (every 500 ms here), an idle daemon
 * wakes for each probe and for nothing else: a bounded cost, and still no
 * signal on the bus. */
static void
test_idle_probing (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  g_autoptr(SignalLog) log = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GString) detail = g_string_new (NULL);
  g_autofree char *path = NULL;
  GDBusConnection *bus;
  guint64 pc = 0, switches;

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  path = ood_service_fixture_dup_target_path (fixture, 0);
  log = signal_log_new (bus);
  g_assert_cmpstr (target_state_call (bus, path, "Halt", &pc), ==, OOD_STATE_HALTED);
  /* the halt's events first (they follow the reply), then quiet */
  g_assert_true (ood_test_wait_for (halted_event_seen, log, 10000));
  g_assert_true (ood_test_wait_for (quiet_for_500ms, log, 10000));
  signal_log_reset (log);
  before = ood_test_thread_switches (ood_service_fixture_get_service_pid (fixture));
  run_for (5000);
  after = ood_test_thread_switches (ood_service_fixture_get_service_pid (fixture));
  ood_test_drain ();
  switches = ood_test_switches_between (before, after, detail);
  g_test_message ("idle 5 s, probing every 500 ms: %" G_GUINT64_FORMAT
                  " context switches of the daemon:%s", switches, detail->str);
  signal_log_print (log, "unexpected while idle");
  g_assert_cmpuint (log->paths->len, ==, 0);
  /* 10 or 11 probes: a timer wake-up, the reply, and at most one more
   * (the socket source) each */
  g_assert_cmpuint (switches, >=, 5);
  if (switches > 3 * 11)
    g_error ("the probing daemon was switched to %" G_GUINT64_FORMAT " times in 5 s:%s",
             switches, detail->str);
  g_assert_cmpstr (target_state_call (bus, path, "State", &pc), ==, OOD_STATE_HALTED);
}

/* ---- OpenOCD killed --------------------------------------------------------- */

typedef struct {
  GDBusConnection *bus;
  const char      *endpoint_path;
  const char      *path;
} Serving;

/* Connected, and State() answers. */
static gboolean
serving_again (gpointer user_data)
{
  Serving *serving = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (endpoint_connected (serving->bus, serving->endpoint_path))
    reply = target_call (serving->bus, serving->path, "State", NULL, &error);
  if (reply == NULL)
    run_for (20);
  return reply != NULL;
}

/* Restarts board @board's OpenOCD on its port and checks that the service
 * connects again and answers State(). */
static void
restart_and_check (OodServiceFixture *fixture, guint board)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = ood_service_fixture_dup_endpoint_name (fixture, board);
  g_autofree char *endpoint_path = g_strdup_printf ("/org/openocd/%s", name);
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, board);
  Serving serving = { ood_service_fixture_get_bus (fixture), endpoint_path, path };

  g_assert_true (ood_testbed_start_openocd (ood_service_fixture_get_testbed (fixture, board),
                                            &error));
  g_assert_no_error (error);
  if (!ood_test_wait_for (serving_again, &serving, SERVING_WAIT_MS))
    g_error ("%s: not connected and answering State() %u ms after OpenOCD restarted", name,
             SERVING_WAIT_MS);
  g_assert_true (endpoint_connected (serving.bus, endpoint_path));
}

typedef struct {
  GDBusConnection *bus;
  const char      *path;
} EndpointRef;

static gboolean
disconnected (gpointer user_data)
{
  EndpointRef *ref = user_data;

  return !endpoint_connected (ref->bus, ref->path);
}

static void
test_kill_during_wait_halt (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  GDBusConnection *bus;
  g_autofree char *path = NULL;
  EndpointRef endpoint;
  OodTestPending wait = { 0 };

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  path = ood_service_fixture_dup_target_path (fixture, 0);
  endpoint = (EndpointRef) { bus, "/org/openocd/default" };

  g_assert_cmpstr (target_state_call (bus, path, "Halt", NULL), ==, OOD_STATE_HALTED);
  target_call_ok (bus, path, "Resume", NULL);
  /* a deadline far off: only OpenOCD's death can end it in this test */
  call_async (bus, path, TARGET_IFACE, "WaitHalt", g_variant_new ("(u)", 600000), &wait);
  /* Commands are answered in order: once this State() is answered, the
   * WaitHalt has had its state and waits for the halt. */
  g_assert_cmpstr (target_state_call (bus, path, "State", NULL), ==, OOD_STATE_RUNNING);
  ood_test_drain ();
  g_assert_false (wait.done);

  ood_testbed_kill_openocd (ood_service_fixture_get_testbed (fixture, 0), SIGKILL);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &wait, SERVING_WAIT_MS));
  g_test_message ("WaitHalt after kill -9 of OpenOCD: %s",
                  wait.error != NULL ? wait.error->message : "(no error)");
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (wait.error, "org.openocd.Error.Disconnected");
  assert_service_alive (fixture);
  g_assert_true (ood_test_wait_for (disconnected, &endpoint, 5000));
  ood_test_pending_clear (&wait);

  restart_and_check (fixture, 0);
}

typedef enum { KIND_STATE, KIND_GET, KIND_HALT, KIND_STEP, N_KINDS } CallKind;

static const char *const kind_names[N_KINDS] = { "State", "Get(State)", "Halt", "Step" };

/* Whether @reply is a right answer to a call of @kind. */
static gboolean
many_reply_ok (CallKind kind, GVariant *reply)
{
  g_autoptr(GVariant) inner = NULL;
  const char *name, *state;
  gboolean pc_valid = FALSE;
  guint64 pc = 0;

  if (kind == KIND_GET)
    {
      if (!g_variant_is_of_type (reply, G_VARIANT_TYPE ("(v)")))
        return FALSE;
      g_variant_get (reply, "(v)", &inner);
      return g_variant_is_of_type (inner, G_VARIANT_TYPE_STRING) &&
             g_str_equal (g_variant_get_string (inner, NULL), OOD_STATE_HALTED);
    }
  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE ("(a{sv})")))
    return FALSE;
  inner = g_variant_get_child_value (reply, 0);
  if (!ood_state_dict_parse (inner, &name, &state, &pc_valid, &pc) ||
      !g_str_equal (name, "riscv.cpu") || !g_str_equal (state, OOD_STATE_HALTED))
    return FALSE;
  return !pc_valid ? kind != KIND_STEP : pc >= RAM_START && pc < RAM_END;
}

typedef enum { OUTCOME_OK, OUTCOME_ALLOWED_ERROR, OUTCOME_OTHER } Outcome;

/* Sorts one reply of a call of @kind: a right answer, the error
 * @allowed_error, or anything else, which is described into @problems. */
static Outcome
sort_reply (CallKind kind, GVariant *reply, const GError *error, const char *allowed_error,
            GString *problems, const char *what)
{
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  if (reply != NULL && many_reply_ok (kind, reply))
    return OUTCOME_OK;
  if (reply != NULL)
    {
      text = g_variant_print (reply, FALSE);
      g_string_append_printf (problems, "%s: wrong reply %s\n", what, text);
      return OUTCOME_OTHER;
    }
  name = ood_test_dbus_error_name (error);
  if (g_str_equal (name, allowed_error))
    return OUTCOME_ALLOWED_ERROR;
  g_string_append_printf (problems, "%s: %s: %s\n", what, name, error->message);
  return OUTCOME_OTHER;
}

/* below the test bus's limit of 128 pending replies per connection */
#define N_STEPS 100
#define KILL_AFTER 10

typedef struct {
  guint   replies;
  guint   ok;
  guint   disconnected;
  guint   other;
  GString *problems;
} StepRun;

typedef struct {
  StepRun *run;
  guint    index;
} StepCall;

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StepCall *call = user_data;
  StepRun *run = call->run;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  g_autofree char *what = g_strdup_printf ("step %u", call->index);

  run->replies++;
  switch (sort_reply (KIND_STEP, reply, error, "org.openocd.Error.Disconnected", run->problems,
                      what))
    {
    case OUTCOME_OK: run->ok++; break;
    case OUTCOME_ALLOWED_ERROR: run->disconnected++; break;
    case OUTCOME_OTHER: default: run->other++; break;
    }
  g_free (call);
}

static gboolean
steps_started (gpointer user_data)
{
  return ((StepRun *) user_data)->ok >= KILL_AFTER;
}

static gboolean
steps_done (gpointer user_data)
{
  return ((StepRun *) user_data)->replies >= N_STEPS;
}

static void
test_kill_during_step (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  g_autoptr(GString) problems = g_string_new (NULL);
  GDBusConnection *bus;
  g_autofree char *path = NULL;
  StepRun run = { .problems = problems };
  guint replies_at_kill;
  gint64 killed_at;

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  path = ood_service_fixture_dup_target_path (fixture, 0);

  g_assert_cmpstr (target_state_call (bus, path, "Halt", NULL), ==, OOD_STATE_HALTED);
  /* A step takes microseconds on the board: to kill OpenOCD with steps
   * in flight, queue many and kill once some have been answered. */
  for (guint i = 0; i < N_STEPS; i++)
    {
      StepCall *call = g_new0 (StepCall, 1);
      call->run = &run;
      call->index = i;
      g_dbus_connection_call (bus, "org.openocd", path, TARGET_IFACE, "Step", NULL,
                              G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                              CALL_TIMEOUT_MS, NULL, on_step_done, call);
    }
  g_assert_true (ood_test_wait_for (steps_started, &run, 30000));
  replies_at_kill = run.replies;
  g_assert_cmpuint (run.other, ==, 0);
  killed_at = g_get_monotonic_time ();
  ood_testbed_kill_openocd (ood_service_fixture_get_testbed (fixture, 0), SIGKILL);
  g_assert_true (ood_test_wait_for (steps_done, &run, 10000));
  g_test_message ("%u steps: %u answered before kill -9, %u succeeded, %u Disconnected, "
                  "%u other; the last answered %.1f ms after the kill",
                  N_STEPS, replies_at_kill, run.ok, run.disconnected, run.other,
                  ms_since (killed_at));
  if (run.other != 0)
    g_error ("steps ended neither in success nor Disconnected:\n%s", problems->str);
  g_assert_cmpuint (replies_at_kill, <, N_STEPS);
  g_assert_cmpuint (run.ok + run.disconnected, ==, N_STEPS);
  g_assert_cmpuint (run.disconnected, >=, 1);
  g_assert_cmpuint (run.ok, >=, KILL_AFTER);
  assert_service_alive (fixture);

  restart_and_check (fixture, 0);
}

/* ---- two endpoints ------------------------------------------------------------ */

static const OodServiceOptions two_boards = { .n_boards = 2 };

static void
test_two_endpoints (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  g_autoptr(SignalLog) log = NULL;
  GDBusConnection *bus;
  EndpointRef board0;
  guint64 pc_before = 0, pc_after = 0;

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  log = signal_log_new (bus);
  board0 = (EndpointRef) { bus, "/org/openocd/board0" };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = ood_service_fixture_dup_target_path (fixture, i);
      g_autofree char *expected = g_strdup_printf ("/org/openocd/board%u/riscv_2ecpu", i);

      g_assert_cmpstr (path, ==, expected);
      g_assert_cmpstr (target_state_call (bus, path, "Halt", NULL), ==, OOD_STATE_HALTED);
      g_assert_cmpstr (target_state_call (bus, path, "Step", NULL), ==, OOD_STATE_HALTED);
      g_assert_cmpstr (target_state_call (bus, path, "State", NULL), ==, OOD_STATE_HALTED);
    }

  ood_testbed_kill_openocd (ood_service_fixture_get_testbed (fixture, 0), SIGKILL);
  g_assert_true (ood_test_wait_for (disconnected, &board0, 5000));
  g_assert_true (signal_log_saw_disconnect (log, "/org/openocd/board0"));
  {
    g_autoptr(GError) local = NULL;
    g_autoptr(GVariant) reply = target_call (bus, "/org/openocd/board0/riscv_2ecpu", "State",
                                             NULL, &local);
    OOD_TEST_ASSERT_DBUS_ERROR_NAME (local, "org.openocd.Error.Disconnected");
  }

  /* board1 carries on */
  g_assert_cmpstr (target_state_call (bus, "/org/openocd/board1/riscv_2ecpu", "Halt", NULL), ==,
                   OOD_STATE_HALTED);
  g_assert_cmpstr (target_state_call (bus, "/org/openocd/board1/riscv_2ecpu", "State",
                                      &pc_before), ==, OOD_STATE_HALTED);
  g_assert_cmpstr (target_state_call (bus, "/org/openocd/board1/riscv_2ecpu", "Step",
                                      &pc_after), ==, OOD_STATE_HALTED);
  g_assert_cmphex (pc_after, !=, pc_before);
  g_assert_cmpstr (target_state_call (bus, "/org/openocd/board1/riscv_2ecpu", "State",
                                      &pc_before), ==, OOD_STATE_HALTED);
  g_assert_cmphex (pc_before, ==, pc_after);
  g_assert_true (endpoint_connected (bus, "/org/openocd/board1"));
  g_assert_false (endpoint_connected (bus, "/org/openocd/board0"));
  run_for (100);
  g_assert_false (signal_log_saw_disconnect (log, "/org/openocd/board1"));
  assert_service_alive (fixture);
}

/* ---- many clients ---------------------------------------------------------------- */

#define N_CLIENTS 50
#define CALLS_PER_CLIENT 100

typedef struct {
  guint    replies;
  guint    ok[N_KINDS];
  guint    busy[N_KINDS];
  guint    other;
  GString *problems;
} ManyRun;

typedef struct {
  ManyRun *run;
  CallKind kind;
  guint    client;
} ManyCall;

static void
on_many_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ManyCall *call = user_data;
  ManyRun *run = call->run;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  g_autofree char *what = g_strdup_printf ("client %u %s", call->client, kind_names[call->kind]);

  run->replies++;
  switch (sort_reply (call->kind, reply, error, "org.openocd.Error.Busy", run->problems, what))
    {
    case OUTCOME_OK: run->ok[call->kind]++; break;
    case OUTCOME_ALLOWED_ERROR: run->busy[call->kind]++; break;
    case OUTCOME_OTHER: default: run->other++; break;
    }
  g_free (call);
}

static gboolean
many_done (gpointer user_data)
{
  return ((ManyRun *) user_data)->replies >= N_CLIENTS * CALLS_PER_CLIENT;
}

static void
test_many_clients (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  GDBusConnection *bus;
  g_autofree char *path = NULL;
  ManyRun run = { .problems = problems };
  guint busy = 0;
  gint64 start;

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  path = ood_service_fixture_dup_target_path (fixture, 0);
  g_assert_cmpstr (target_state_call (bus, path, "Halt", NULL), ==, OOD_STATE_HALTED);

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      GDBusConnection *client = g_dbus_connection_new_for_address_sync (
          ood_service_fixture_get_bus_address (fixture),
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (clients, client);
    }

  /* Every call is issued before any reply is looked at: all 5000 are in
   * flight at once. No Resume, so the target stays halted and every
   * answer can be checked. */
  start = g_get_monotonic_time ();
  for (guint n = 0; n < CALLS_PER_CLIENT; n++)
    for (guint i = 0; i < N_CLIENTS; i++)
      {
        ManyCall *call = g_new0 (ManyCall, 1);
        const char *iface = TARGET_IFACE, *method;
        GVariant *params = NULL;

        call->run = &run;
        call->client = i;
        call->kind = (CallKind) ((n + i) % N_KINDS);
        switch (call->kind)
          {
          case KIND_STATE: method = "State"; break;
          case KIND_GET:
            iface = PROPERTIES_IFACE;
            method = "Get";
            params = g_variant_new ("(ss)", TARGET_IFACE, "State");
            break;
          case KIND_HALT: method = "Halt"; break;
          case KIND_STEP: default: method = "Step"; break;
          }
        g_dbus_connection_call (clients->pdata[i], "org.openocd", path, iface, method, params,
                                NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 100000, NULL,
                                on_many_done, call);
      }
  g_assert_true (ood_test_wait_for (many_done, &run, 110000));
  for (guint k = 0; k < N_KINDS; k++)
    busy += run.busy[k];
  g_test_message ("%u calls answered in %.0f ms: ok State %u, Get %u, Halt %u, Step %u; "
                  "Busy State %u, Get %u, Halt %u, Step %u (total %u); other %u",
                  run.replies, ms_since (start), run.ok[KIND_STATE], run.ok[KIND_GET],
                  run.ok[KIND_HALT], run.ok[KIND_STEP], run.busy[KIND_STATE],
                  run.busy[KIND_GET], run.busy[KIND_HALT], run.busy[KIND_STEP], busy, run.other);
  if (run.other != 0)
    g_error ("%u calls ended neither in a right answer nor in Busy:\n%s", run.other,
             problems->str);
  g_assert_cmpuint (run.replies, ==, N_CLIENTS * CALLS_PER_CLIENT);
  /* property reads never queue for OpenOCD */
  g_assert_cmpuint (run.busy[KIND_GET], ==, 0);
  g_assert_cmpuint (run.ok[KIND_GET], ==, N_CLIENTS * CALLS_PER_CLIENT / N_KINDS);
  g_assert_cmpstr (target_state_call (bus, path, "State", NULL), ==, OOD_STATE_HALTED);
  for (guint i = 0; i < clients->len; i++)
    g_dbus_connection_close_sync (clients->pdata[i], NULL, NULL);
}

/* ---- stalled OpenOCD (FAULT INJECTION) ------------------------------------------------ */

/* The daemon in front of tests/fault/stall-server, a fake Tcl server, on
 * its own private bus: the fixture only runs real OpenOCDs. */
typedef struct {
  GSubprocess     *server;
  guint16          port;
  GTestDBus       *bus_daemon;
  GDBusConnection *bus;
  GSubprocess     *daemon;
  char            *tmpdir;
  char            *log_path;
} Fake;

static gboolean
fake_ready (gpointer user_data)
{
  Fake *fake = user_data;
  g_autoptr(GVariant) targets = NULL;

  if (!endpoint_connected (fake->bus, "/org/openocd/default"))
    return FALSE;
  targets = ood_test_get_property (fake->bus, "/org/openocd/default", ENDPOINT_IFACE, "Targets",
                                   CALL_TIMEOUT_MS, NULL);
  return targets != NULL && g_variant_n_children (targets) == 1;
}

static Fake *
fake_new (gboolean garbage)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *openocd = NULL;
  g_autofree char *server_log = NULL;
  g_autofree char *empty = NULL;
  Fake *fake = g_new0 (Fake, 1);
  guint64 port = 0;

  fake->tmpdir = g_dir_make_tmp ("ood-fault-XXXXXX", &error);
  g_assert_no_error (error);
  fake->log_path = g_build_filename (fake->tmpdir, "openocd-dbusd.log", NULL);
  server_log = g_build_filename (fake->tmpdir, "stall-server.log", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, server_log);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  fake->server = g_subprocess_launcher_spawn (launcher, &error,
                                              ood_test_env_or ("OOD_STALL_SERVER", OOD_STALL_SERVER_DEFAULT),
                                              garbage ? "--garbage" : NULL, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fake->server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "listening on port "));
  g_assert_true (g_ascii_string_to_unsigned (line + 18, 10, 1, 65535, &port, NULL));
  fake->port = (guint16) port;
  g_clear_object (&launcher);

  fake->bus_daemon = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fake->bus_daemon);
  fake->bus = g_dbus_connection_new_for_address_sync (
      g_test_dbus_get_bus_address (fake->bus_daemon),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);

  openocd = g_strdup_printf ("127.0.0.1:%u", fake->port);
  /* an empty configuration: the daemon refuses /dev/null, which is no regular file */
  empty = g_build_filename (fake->tmpdir, "empty.conf", NULL);
  g_assert_true (g_file_set_contents (empty, "", 0, &error));
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, fake->log_path);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  fake->daemon = g_subprocess_launcher_spawn (launcher, &error,
                                              ood_test_env_or ("OOD_DAEMON", OOD_DAEMON_DEFAULT),
                                              "--address",
                                              g_test_dbus_get_bus_address (fake->bus_daemon),
                                              "--openocd", openocd, "--config", empty,
                                              "--timeout", "500", "--verbose", NULL);
  g_assert_no_error (error);
  if (!ood_test_wait_for (fake_ready, fake, 20000))
    g_error ("the daemon did not connect to the stall server; see %s", fake->log_path);
  return fake;
}

static gboolean
subprocess_done (gpointer user_data)
{
  GSubprocess *process = user_data;

  return g_subprocess_get_identifier (process) == NULL;
}

/* Stops the daemon like the fixture does; returns its exit status. */
static int
fake_stop_daemon (Fake *fake)
{
  g_autoptr(GSubprocess) daemon = g_steal_pointer (&fake->daemon);

  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait_async (daemon, NULL, NULL, NULL);
  if (!ood_test_wait_for (subprocess_done, daemon, 10000))
    {
      g_subprocess_force_exit (daemon);
      return -1;
    }
  return g_subprocess_get_if_exited (daemon) ? g_subprocess_get_exit_status (daemon)
                                             : 128 + g_subprocess_get_term_sig (daemon);
}

static void
fake_free (Fake *fake, gboolean keep_logs)
{
  g_subprocess_force_exit (fake->server);
  g_subprocess_wait (fake->server, NULL, NULL);
  g_object_unref (fake->server);
  g_dbus_connection_close_sync (fake->bus, NULL, NULL);
  g_object_unref (fake->bus);
  g_test_dbus_down (fake->bus_daemon);
  g_object_unref (fake->bus_daemon);
  if (keep_logs)
    g_printerr ("# logs kept in %s\n", fake->tmpdir);
  else
    {
      g_autofree char *server_log = g_build_filename (fake->tmpdir, "stall-server.log", NULL);
      g_unlink (fake->log_path);
      g_unlink (server_log);
      g_rmdir (fake->tmpdir);
    }
  g_free (fake->tmpdir);
  g_free (fake->log_path);
  g_free (fake);
}

typedef struct {
  Fake       *fake;
  const char *path;
} FakeServing;

/* State() answers the fake's record. */
static gboolean
fake_serving (gpointer user_data)
{
  FakeServing *serving = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = target_call (serving->fake->bus, serving->path, "State", NULL,
                                           &error);
  const char *state;
  gboolean pc_valid = FALSE;
  guint64 pc = 0;

  if (reply == NULL)
    {
      run_for (20);
      return FALSE;
    }
  parse_state_reply (reply, &state, &pc_valid, &pc);
  g_assert_cmpstr (state, ==, OOD_STATE_HALTED);
  g_assert_true (pc_valid);
  g_assert_cmphex (pc, ==, RAM_START);
  return TRUE;
}

/* Retries State() until it answers the fake's record. */
static void
assert_serving_again (Fake *fake, const char *path)
{
  FakeServing serving = { fake, path };

  if (!ood_test_wait_for (fake_serving, &serving, SERVING_WAIT_MS))
    g_error ("State() did not answer again within %u ms of the failure", SERVING_WAIT_MS);
}

static void
test_stalled_openocd (void)
{
  Fake *fake = fake_new (FALSE);
  const char *path = "/org/openocd/default/riscv_2ecpu";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_test_message ("FAULT INJECTION: the service talks to tests/fault/stall-server, "
                  "which never answers a halt");
  reply = target_call (fake->bus, path, "Halt", NULL, &error);
  g_test_message ("Halt failed: %s", error != NULL ? error->message : "(no error)");
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.NoReply");
  /* the daemon's own command timeout (--timeout 500) ended it */
  g_assert_nonnull (strstr (error->message, "did not answer within 500 ms"));
  assert_serving_again (fake, path);
  g_assert_true (endpoint_connected (fake->bus, "/org/openocd/default"));
  g_assert_cmpint (fake_stop_daemon (fake), ==, 0);
  fake_free (fake, FALSE);
}

static void
test_garbage_reply (void)
{
  Fake *fake = fake_new (TRUE);
  const char *path = "/org/openocd/default/riscv_2ecpu";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_test_message ("FAULT INJECTION: the service talks to tests/fault/stall-server --garbage, "
                  "which answers a halt with bytes that are no reply");
  reply = target_call (fake->bus, path, "Halt", NULL, &error);
  g_test_message ("Halt failed: %s", error != NULL ? error->message : "(no error)");
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.Target");
  g_assert_nonnull (strstr (error->message, "malformed reply"));
  assert_serving_again (fake, path);
  g_assert_true (endpoint_connected (fake->bus, "/org/openocd/default"));
  g_assert_cmpint (fake_stop_daemon (fake), ==, 0);
  fake_free (fake, FALSE);
}

/* ---- SIGHUP ------------------------------------------------------------------------ */

typedef struct {
  GPtrArray *removed;   /* object paths from InterfacesRemoved */
  GPtrArray *added;     /* object paths from InterfacesAdded */
} ObjectLog;

static void
on_object_signal (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                  const char *signal, GVariant *params, gpointer user_data)
{
  ObjectLog *log = user_data;
  const char *object;

  (void) bus;
  (void) sender;
  (void) path;
  (void) iface;
  g_variant_get_child (params, 0, "&o", &object);
  g_ptr_array_add (g_str_equal (signal, "InterfacesRemoved") ? log->removed : log->added,
                   g_strdup (object));
}

typedef struct {
  GPtrArray  *paths;
  const char *path;
} PathWatch;

static gboolean
path_listed (gpointer user_data)
{
  PathWatch *watch = user_data;

  return g_ptr_array_find_with_equal_func (watch->paths, watch->path, g_str_equal, NULL);
}

static gboolean
log_mentions (const char *log_path, const char *text)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (log_path, &contents, NULL, NULL) && strstr (contents, text) != NULL;
}

typedef struct {
  GDBusConnection *bus;
  const char      *endpoint;
  const char      *target;
} Board;

static gboolean
board_serving (gpointer user_data)
{
  Board *board = user_data;
  g_autoptr(GVariant) reply = NULL;

  if (!endpoint_connected (board->bus, board->endpoint))
    return FALSE;
  reply = target_call (board->bus, board->target, "State", NULL, NULL);
  return reply != NULL;
}

static void
test_sighup_reload (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  g_autoptr(SignalLog) log = NULL;
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_free);
  ObjectLog objects = { removed, added };
  GDBusConnection *bus;
  g_autofree char *config = NULL;
  g_autofree char *original = NULL;
  g_autofree char *reduced = NULL;
  g_autofree char *address0 = NULL;
  g_autofree char *daemon_log = NULL;
  const char *target0 = "/org/openocd/board0/riscv_2ecpu";
  const char *target1 = "/org/openocd/board1/riscv_2ecpu";
  Board board1;
  PathWatch watch;
  OodTestPending wait = { 0 };
  guint subscription;
  GPid pid;

  (void) options;
  bus = ood_service_fixture_get_bus (fixture);
  pid = ood_service_fixture_get_service_pid (fixture);
  board1 = (Board) { bus, "/org/openocd/board1", target1 };
  config = g_build_filename (ood_service_fixture_get_tmpdir (fixture), "openocd-dbus.conf", NULL);
  daemon_log = g_build_filename (ood_service_fixture_get_tmpdir (fixture), "openocd-dbusd.log",
                                 NULL);
  g_assert_true (g_file_get_contents (config, &original, NULL, &error));
  address0 = ood_testbed_get_address (ood_service_fixture_get_testbed (fixture, 0));
  log = signal_log_new (bus);
  subscription = g_dbus_connection_signal_subscribe (bus, "org.openocd",
                                                     "org.freedesktop.DBus.ObjectManager", NULL,
                                                     "/org/openocd", NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_object_signal,
                                                     &objects, NULL);

  g_assert_cmpstr (target_state_call (bus, target1, "Halt", NULL), ==, OOD_STATE_HALTED);
  /* A WaitHalt pending on board0 across the reload shows its connection
   * is not re-opened. */
  g_assert_cmpstr (target_state_call (bus, target0, "Halt", NULL), ==, OOD_STATE_HALTED);
  target_call_ok (bus, target0, "Resume", NULL);
  call_async (bus, target0, TARGET_IFACE, "WaitHalt", g_variant_new ("(u)", 60000), &wait);
  g_assert_cmpstr (target_state_call (bus, target0, "State", NULL), ==, OOD_STATE_RUNNING);

  /* board0 only, and a bad line 3 */
  reduced = g_strdup_printf ("# rewritten by test-resilience\n"
                             "[Endpoint board0]\n"
                             "Nonsense here\n"
                             "Address=%s\n", address0);
  g_assert_true (g_file_set_contents (config, reduced, -1, &error));
  g_assert_cmpint (kill (pid, SIGHUP), ==, 0);

  watch = (PathWatch) { removed, "/org/openocd/board1" };
  g_assert_true (ood_test_wait_for (path_listed, &watch, 5000));
  watch.path = target1;
  g_assert_true (ood_test_wait_for (path_listed, &watch, 5000));
  g_assert_false (object_exists (bus, "/org/openocd/board1", ENDPOINT_IFACE));
  g_assert_false (object_exists (bus, target1, TARGET_IFACE));
  g_assert_true (log_mentions (daemon_log, "openocd-dbus.conf:3:"));

  /* board0 undisturbed */
  g_assert_false (g_ptr_array_find_with_equal_func (removed, target0, g_str_equal, NULL));
  g_assert_true (endpoint_connected (bus, "/org/openocd/board0"));
  g_assert_cmpstr (target_state_call (bus, target0, "State", NULL), ==, OOD_STATE_RUNNING);
  run_for (50);
  g_assert_false (wait.done);
  g_assert_cmpstr (target_state_call (bus, target0, "Halt", NULL), ==, OOD_STATE_HALTED);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &wait, 5000));
  g_assert_no_error (wait.error);
  {
    const char *state;
    gboolean pc_valid;
    guint64 pc;

    parse_state_reply (wait.reply, &state, &pc_valid, &pc);
    g_assert_cmpstr (state, ==, OOD_STATE_HALTED);
  }
  ood_test_pending_clear (&wait);
  g_assert_false (signal_log_saw_disconnect (log, "/org/openocd/board0"));

  /* board1 back */
  g_ptr_array_set_size (added, 0);
  g_assert_true (g_file_set_contents (config, original, -1, &error));
  g_assert_cmpint (kill (pid, SIGHUP), ==, 0);
  watch = (PathWatch) { added, target1 };
  g_assert_true (ood_test_wait_for (path_listed, &watch, 10000));
  g_assert_true (ood_test_wait_for (board_serving, &board1, 10000));
  g_assert_cmpstr (target_state_call (bus, target1, "Halt", NULL), ==, OOD_STATE_HALTED);
  g_assert_true (endpoint_connected (bus, "/org/openocd/board0"));
  g_assert_false (signal_log_saw_disconnect (log, "/org/openocd/board0"));
  g_assert_cmpstr (target_state_call (bus, target0, "State", NULL), ==, OOD_STATE_HALTED);

  g_dbus_connection_signal_unsubscribe (bus, subscription);
  assert_service_alive (fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
  OOD_TEST_ADD ("/resilience/idle", &no_probing, test_idle);
  OOD_TEST_ADD ("/resilience/idle-probing", &fast_probing, test_idle_probing);
  OOD_TEST_ADD ("/resilience/kill-during-wait-halt", NULL, test_kill_during_wait_halt);
  OOD_TEST_ADD ("/resilience/kill-during-step", NULL, test_kill_during_step);
  OOD_TEST_ADD ("/resilience/two-endpoints", &two_boards, test_two_endpoints);
  OOD_TEST_ADD ("/resilience/many-clients", NULL, test_many_clients);
  g_test_add_func ("/resilience/fault-injection/stalled-openocd", test_stalled_openocd);
  g_test_add_func ("/resilience/fault-injection/garbage-reply", test_garbage_reply);
  OOD_TEST_ADD ("/resilience/sighup-reload", &two_boards, test_sighup_reload);
  return g_test_run ();
}
