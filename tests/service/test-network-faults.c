/* SPDX-License-Identifier: MIT */
/*
 * Network faults between openocd-dbusd and OpenOCD: the real daemon on a
 * private bus, a real OpenOCD 0.12 and the simulated board, measured from
 * outside (D-Bus and OpenOCD's own Tcl port only).
 *
 * FAULT INJECTION: in the fault-injection cases the daemon is pointed at
 * tests/fault/fault-proxy, a TCP proxy of the tests' own between it and
 * OpenOCD's Tcl port, which on command drops, delays, trickles or swallows
 * the traffic. The proxy is used ONLY because a real network cannot be made
 * to fail on cue.
 *
 *   fault-injection/drop-mid-reply  every connection closed half-way
 *                                   through a reply: Disconnected, then
 *                                   connected again, breakpoints kept
 *   fault-injection/delay           +200 ms per byte of OpenOCD's output
 *   fault-injection/trickle         one byte every 50 ms, both directions
 *   fault-injection/blackhole       accepted, read, never answered
 *                                   (in the three stalls every call fails
 *                                   with NoReply, of the command timeout,
 *                                   or Disconnected; none hangs, and the
 *                                   service answers again once healed)
 *   timeout-took-effect             OpenOCD SIGSTOPped under a Halt(): the
 *                                   Halt gets NoReply yet happens once
 *                                   OpenOCD runs again, and the properties
 *                                   show it without any client call
 */
#include "ood-service-fixture.h"
#include "ood-test-dbus.h"
#include "ood-error.h"
#include "ood-state.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

/* The daemon's --timeout here: short, to keep each case short. */
#define COMMAND_TIMEOUT_MS 1000
/* Far above the command timeout: a call not answered by then hangs. */
#define CLIENT_TIMEOUT_MS 15000
#define CALL_TIMEOUT_MS 30000
/* Give up waiting for the service to be back after this long. */
#define BACK_WAIT_MS 30000u
/* "inc:" in tests/sim/default-program.c, run once per loop iteration */
#define LOOP_ADDRESS G_GUINT64_CONSTANT (0x80000020)
/* timeout-took-effect: how often OpenOCD is stopped under a Halt, at most */
#define MAX_STOP_ATTEMPTS 5
#define DRAIN_STATES 4
/* timeout-took-effect: how long OpenOCD stays stopped after the NoReply */
#define STOPPED_MORE_MS 3000

#define TARGET_IFACE "org.openocd.Target"
#define BREAKPOINTS_IFACE "org.openocd.Breakpoints"
#define ENDPOINT_IFACE "org.openocd.Endpoint"
#define ENDPOINT_PATH "/org/openocd/default"

static const char *const daemon_args[] = {
  "--timeout", G_STRINGIFY (COMMAND_TIMEOUT_MS),
  /* no reachability probe: no traffic but the test's own and the
   * connect's, so the drop hits the reply the test asked for */
  "--probe-interval", "0",
  NULL,
};

/* ---- helpers -------------------------------------------------------------- */

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

static GVariant *
call_sync (GDBusConnection *bus, const char *path, const char *iface, const char *method,
           GVariant *params, GError **error)
{
  return g_dbus_connection_call_sync (bus, "org.openocd", path, iface, method, params, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                      error);
}

static void
call_async (GDBusConnection *bus, const char *path, const char *iface, const char *method,
            GVariant *params, OodTestPending *pending)
{
  g_dbus_connection_call (bus, "org.openocd", path, iface, method, params, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, CLIENT_TIMEOUT_MS, NULL,
                          ood_test_pending_done, pending);
}

/* Endpoint.Connected, read from the service (no proxy cache). */
static gboolean
endpoint_connected (GDBusConnection *bus)
{
  g_autoptr(GVariant) value = ood_test_get_property (bus, ENDPOINT_PATH, ENDPOINT_IFACE,
                                                     "Connected", CALL_TIMEOUT_MS, NULL);

  return value != NULL && g_variant_get_boolean (value);
}

/* The state name of a "(a{sv})" reply. */
static const char *
reply_state (GVariant *reply)
{
  g_autoptr(GVariant) dict = g_variant_get_child_value (reply, 0);
  const char *state = NULL;

  g_assert_true (g_variant_lookup (dict, "state", "&s", &state));
  return g_intern_string (state);
}

static const char *
state_call (GDBusConnection *bus, const char *path, const char *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_sync (bus, path, TARGET_IFACE, method, NULL, &error);

  g_assert_no_error (error);
  return reply_state (reply);
}

/* Whether @listing (OpenOCD's `bp` or the Breakpoints property, printed)
 * mentions @address. */
static gboolean
mentions_address (const char *listing, guint64 address)
{
  g_autofree char *hex = g_strdup_printf ("0x%08" G_GINT64_MODIFIER "x", address);
  g_autofree char *dec = g_strdup_printf ("%" G_GUINT64_FORMAT, address);

  return strstr (listing, hex) != NULL || strstr (listing, dec) != NULL;
}

static gboolean
breakpoint_listed (GDBusConnection *bus, const char *path, guint64 address)
{
  g_autoptr(GVariant) value = ood_test_get_property (bus, path, BREAKPOINTS_IFACE,
                                                     "Breakpoints", CALL_TIMEOUT_MS, NULL);
  GVariantIter iter;
  guint64 listed;

  if (value == NULL)
    return FALSE;
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(tu&s)", &listed, NULL, NULL))
    if (listed == address)
      return TRUE;
  return FALSE;
}

/* ---- the proxy (FAULT INJECTION) ------------------------------------------ */

typedef struct {
  GSubprocess      *process;
  GOutputStream    *in;
  GDataInputStream *out;
  guint16           port;
  char             *address;
} Proxy;

static char *
proxy_read_line (Proxy *proxy)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (proxy->out, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static Proxy *
proxy_new (OodServiceFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *log = g_build_filename (ood_service_fixture_get_tmpdir (fixture),
                                           "fault-proxy.log", NULL);
  g_autofree char *upstream = g_strdup_printf (
      "%u", ood_testbed_get_tcl_port (ood_service_fixture_get_testbed (fixture, 0)));
  g_autofree char *line = NULL;
  Proxy *proxy = g_new0 (Proxy, 1);
  guint64 port = 0;

  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  proxy->process = g_subprocess_launcher_spawn (launcher, &error,
                                                ood_test_env_or ("OOD_FAULT_PROXY",
                                                                 OOD_FAULT_PROXY_DEFAULT),
                                                "--upstream", upstream, NULL);
  g_assert_no_error (error);
  proxy->in = g_subprocess_get_stdin_pipe (proxy->process);
  proxy->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proxy->process));
  line = proxy_read_line (proxy);
  g_assert_true (g_str_has_prefix (line, "listening on port "));
  g_assert_true (g_ascii_string_to_unsigned (line + 18, 10, 1, 65535, &port, NULL));
  proxy->port = (guint16) port;
  proxy->address = g_strdup_printf ("127.0.0.1:%u", proxy->port);
  return proxy;
}

/* Sends @command and waits for the proxy's "ok". */
static void
proxy_command (Proxy *proxy, const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("%s\n", command);
  g_autofree char *expected = g_strdup_printf ("ok %s", command);
  g_autofree char *line = NULL;

  g_assert_true (g_output_stream_write_all (proxy->in, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (proxy->in, NULL, &error));
  line = proxy_read_line (proxy);
  g_assert_cmpstr (line, ==, expected);
  g_test_message ("FAULT INJECTION: proxy now '%s'", command);
}

/* Closes the proxy's stdin, which ends it. */
static void
proxy_free (Proxy *proxy)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (proxy->in, NULL, NULL);
  if (!g_subprocess_wait_check (proxy->process, NULL, &error))
    g_error ("fault-proxy did not end well: %s", error->message);
  g_object_unref (proxy->out);
  g_object_unref (proxy->process);
  g_free (proxy->address);
  g_free (proxy);
}

/* The fixture with the daemon behind a fresh proxy, connected and with
 * its target halted. */
static OodServiceFixture *
fixture_behind_proxy (Proxy **proxy_out)
{
  const OodServiceOptions options = { .extra_args = daemon_args, .no_service = TRUE };
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (&options, &error);
  Proxy *proxy;

  g_assert_no_error (error);
  proxy = proxy_new (fixture);
  g_assert_true (ood_service_fixture_set_openocd_address (fixture, 0, proxy->address, &error));
  g_assert_no_error (error);
  g_assert_true (ood_service_fixture_start_service (fixture, &error));
  g_assert_no_error (error);
  *proxy_out = proxy;
  return fixture;
}

static void
finish (OodServiceFixture *fixture, Proxy *proxy)
{
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
  if (proxy != NULL)
    proxy_free (proxy);
  ood_service_fixture_free (fixture);
}

/* ---- drop mid-reply ------------------------------------------------------- */

typedef struct {
  gboolean down;   /* Connected went FALSE */
  gboolean up;     /* then TRUE again */
} ConnectedWatch;

static void
on_connected_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  ConnectedWatch *watch = user_data;

  (void) pspec;
  if (!ood_dbus_endpoint_get_connected (OOD_DBUS_ENDPOINT (object)))
    watch->down = TRUE;
  else if (watch->down)
    watch->up = TRUE;
}

static gboolean
reconnected (gpointer user_data)
{
  ConnectedWatch *watch = user_data;

  return watch->up;
}

static void
test_drop_mid_reply (void)
{
  Proxy *proxy = NULL;
  OodServiceFixture *fixture = fixture_behind_proxy (&proxy);
  GDBusConnection *bus = ood_service_fixture_get_bus (fixture);
  OodTestbed *testbed = ood_service_fixture_get_testbed (fixture, 0);
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  OodDbusEndpoint *endpoint = ood_service_fixture_get_endpoint (fixture, 0);
  ConnectedWatch watch = { 0 };
  OodTestPending state = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *line = NULL;
  g_autofree char *bp_before = NULL;
  g_autofree char *bp_after = NULL;
  gint64 dropped_at = 0;
  gulong handler;

  g_assert_cmpstr (state_call (bus, path, "Halt"), ==, OOD_STATE_HALTED);
  reply = call_sync (bus, path, BREAKPOINTS_IFACE, "Add",
                     g_variant_new ("(tus)", LOOP_ADDRESS, 4, "hw"), &error);
  g_assert_no_error (error);
  g_assert_true (breakpoint_listed (bus, path, LOOP_ADDRESS));
  bp_before = ood_test_tcl_eval_on (testbed, "bp");
  g_test_message ("OpenOCD's bp before the drop: %s", bp_before);
  g_assert_true (mentions_address (bp_before, LOOP_ADDRESS));

  handler = g_signal_connect (endpoint, "notify::connected", G_CALLBACK (on_connected_changed),
                              &watch);
  proxy_command (proxy, "drop");
  call_async (bus, path, TARGET_IFACE, "State", NULL, &state);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &state, CLIENT_TIMEOUT_MS));
  line = proxy_read_line (proxy);
  g_test_message ("proxy: %s", line);
  g_assert_true (g_str_has_prefix (line, "dropped at "));
  dropped_at = g_ascii_strtoll (line + 11, NULL, 10);
  g_assert_cmpint (dropped_at, >, 0);
  g_test_message ("State() under the drop: %s, %.1f ms after the drop",
                  state.error != NULL ? state.error->message : "answered",
                  (double) (state.done_at - dropped_at) / 1000.0);
  /* the reply was cut: the call fails, and says OpenOCD went away */
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (state.error, "org.openocd.Error.Disconnected");
  ood_test_pending_clear (&state);

  /* Connected went false and then true again */
  g_assert_true (ood_test_wait_for (reconnected, &watch, BACK_WAIT_MS));
  g_signal_handler_disconnect (endpoint, handler);

  /* the breakpoint survived in OpenOCD, and the service learnt it again */
  g_assert_true (endpoint_connected (bus));
  g_assert_true (breakpoint_listed (bus, path, LOOP_ADDRESS));
  bp_after = ood_test_tcl_eval_on (testbed, "bp");
  g_test_message ("OpenOCD's bp after the drop: %s", bp_after);
  g_assert_true (mentions_address (bp_after, LOOP_ADDRESS));
  g_assert_cmpstr (state_call (bus, path, "State"), ==, OOD_STATE_HALTED);

  finish (fixture, proxy);
}

/* ---- stalls ---------------------------------------------------------------- */

#define N_ROUNDS 3
static const char *const stall_methods[] = { "State", "Halt", "Step" };
#define N_METHODS G_N_ELEMENTS (stall_methods)

typedef struct {
  OodTestPending pending[N_ROUNDS][N_METHODS];
} Stall;

static gboolean
all_done (gpointer user_data)
{
  Stall *stall = user_data;

  for (guint r = 0; r < N_ROUNDS; r++)
    for (guint m = 0; m < N_METHODS; m++)
      if (!stall->pending[r][m].done)
        return FALSE;
  return TRUE;
}

/* Whether State() answers now. */
static gboolean
serving (gpointer user_data)
{
  GDBusConnection *bus = user_data;
  g_autoptr(GVariant) reply = call_sync (bus, "/org/openocd/default/riscv_2ecpu", TARGET_IFACE,
                                         "State", NULL, NULL);

  if (reply == NULL)
    run_for (20);
  return reply != NULL;
}

/* Under @fault, rounds of State, Halt and Step at once, some while the
 * service is connected (through the proxy) and some while it reconnects:
 * every call fails with NoReply (of the daemon's command timeout, as it
 * says) or Disconnected, and none hangs. Then heals the proxy and waits
 * for State() to answer. */
static void
run_stall (const char *fault, const char *label)
{
  Proxy *proxy = NULL;
  OodServiceFixture *fixture = fixture_behind_proxy (&proxy);
  GDBusConnection *bus = ood_service_fixture_get_bus (fixture);
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  g_autofree Stall *stall = g_new0 (Stall, 1);
  g_autofree char *of_timeout = g_strdup_printf ("did not answer within %u ms",
                                                 COMMAND_TIMEOUT_MS);
  guint timeouts = 0, disconnects = 0;

  g_assert_cmpstr (state_call (bus, path, "Halt"), ==, OOD_STATE_HALTED);
  /* the refresh and breakpoint listing the halt's notification causes
   * are done, so round 0's State() goes out at once and meets the fault
   * itself (NoReply); calls queued behind it fail with Disconnected */
  run_for (500);
  proxy_command (proxy, fault);
  for (guint r = 0; r < N_ROUNDS; r++)
    {
      for (guint m = 0; m < N_METHODS; m++)
        call_async (bus, path, TARGET_IFACE, stall_methods[m], NULL, &stall->pending[r][m]);
      /* the next round lands elsewhere in the timeout/reconnect cycle */
      run_for (COMMAND_TIMEOUT_MS * 2 / 3);
    }
  if (!ood_test_wait_for (all_done, stall, CLIENT_TIMEOUT_MS + 1000))
    g_error ("%s: a call hangs", label);

  for (guint r = 0; r < N_ROUNDS; r++)
    for (guint m = 0; m < N_METHODS; m++)
      {
        OodTestPending *p = &stall->pending[r][m];
        g_autofree char *name = p->error != NULL ? ood_test_dbus_error_name (p->error) : NULL;

        g_test_message ("%s: round %u %s() %s: %s", label, r, stall_methods[m],
                        p->error != NULL ? "failed" : "ANSWERED",
                        p->error != NULL ? p->error->message : "");
        g_assert_nonnull (p->error);
        g_assert_true (g_strcmp0 (name, "org.openocd.Error.NoReply") == 0 ||
                       g_strcmp0 (name, "org.openocd.Error.Disconnected") == 0);
        if (g_str_equal (name, "org.openocd.Error.NoReply"))
          g_assert_nonnull (strstr (p->error->message, of_timeout));
        timeouts += g_str_equal (name, "org.openocd.Error.NoReply");
        disconnects += g_str_equal (name, "org.openocd.Error.Disconnected");
        ood_test_pending_clear (p);
      }
  /* the call that was sent into the stalled link timed out; those queued
   * behind a stalled command, never sent, failed with Disconnected */
  g_assert_cmpuint (timeouts, >, 0);
  g_test_message ("%s: %u calls failed (%u NoReply, %u Disconnected)", label,
                  timeouts + disconnects, timeouts, disconnects);

  /* heal half-way through the service's next timeout/reconnect cycle,
   * not just after a reconnect */
  run_for (COMMAND_TIMEOUT_MS / 2);
  proxy_command (proxy, "heal");
  if (!ood_test_wait_for (serving, bus, BACK_WAIT_MS))
    g_error ("%s: State() does not answer %u ms after the proxy healed", label, BACK_WAIT_MS);
  g_assert_true (ood_test_wait_for ((OodTestCondition) endpoint_connected, bus, BACK_WAIT_MS));
  g_assert_cmpstr (state_call (bus, path, "Halt"), ==, OOD_STATE_HALTED);

  finish (fixture, proxy);
}

static void
test_delay (void)
{
  run_stall ("delay 200", "delay (+200 ms per byte)");
}

static void
test_trickle (void)
{
  run_stall ("trickle 50", "trickle (a byte every 50 ms)");
}

static void
test_blackhole (void)
{
  run_stall ("blackhole", "blackhole");
}

/* ---- a NoReply that took effect -------------------------------------------- */

typedef struct {
  OodDbusTarget   *target;
  OodDbusEndpoint *endpoint;
} Truth;

static gboolean
shows_halted (gpointer user_data)
{
  Truth *truth = user_data;

  return ood_dbus_endpoint_get_connected (truth->endpoint) &&
         g_strcmp0 (ood_dbus_target_get_state (truth->target), OOD_STATE_HALTED) == 0 &&
         ood_dbus_target_get_current_pc_valid (truth->target);
}

/* The service answers State() again (it reconnected). */
static gboolean
answers_state (gpointer user_data)
{
  OodDbusTarget *target = user_data;
  g_autoptr(GVariant) record = NULL;

  return ood_dbus_target_call_state_sync (target, &record, NULL, NULL);
}

static void
test_timeout_took_effect (void)
{
  const OodServiceOptions options = { .extra_args = daemon_args };
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (&options, &error);
  GDBusConnection *bus;
  OodTestbed *testbed;
  g_autofree char *path = NULL;
  g_autofree char *truth_text = NULL;
  g_autoptr(GVariant) reply = NULL;
  Truth truth;
  int openocd;

  g_assert_no_error (error);
  bus = ood_service_fixture_get_bus (fixture);
  testbed = ood_service_fixture_get_testbed (fixture, 0);
  path = ood_service_fixture_dup_target_path (fixture, 0);
  truth = (Truth) { ood_service_fixture_get_target (fixture, 0),
                    ood_service_fixture_get_endpoint (fixture, 0) };
  openocd = ood_testbed_get_openocd_pid (testbed);
  g_assert_cmpint (openocd, >, 0);

  state_call (bus, path, "Halt");
  reply = call_sync (bus, path, TARGET_IFACE, "Resume", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  g_assert_cmpstr (state_call (bus, path, "State"), ==, OOD_STATE_RUNNING);

  /* OpenOCD stopped: the Halt reaches its socket, and nobody answers.
   * Callers are served in turn, so one of the service's own refreshes may
   * still be in flight when State() returned: then the Halt queued behind
   * it, was never sent, and fails Disconnected when the refresh times
   * out; OpenOCD runs again and the step is repeated. */
  for (guint attempt = 1;; attempt++)
    {
      g_autofree char *name = NULL;

      /* each State() waits for at most one command of the service's own
       * between it and the one before: a few drain what it queued */
      for (guint i = 0; i < DRAIN_STATES; i++)
        g_assert_cmpstr (state_call (bus, path, "State"), ==, OOD_STATE_RUNNING);
      g_assert_cmpint (kill (openocd, SIGSTOP), ==, 0);
      reply = call_sync (bus, path, TARGET_IFACE, "Halt", NULL, &error);
      g_test_message ("Halt() with OpenOCD stopped (attempt %u): %s", attempt,
                      error != NULL ? error->message : "answered");
      name = error != NULL ? g_dbus_error_get_remote_error (error) : NULL;
      if (attempt == MAX_STOP_ATTEMPTS || g_strcmp0 (name, "org.openocd.Error.Disconnected") != 0)
        break;
      g_clear_error (&error);
      g_assert_cmpint (kill (openocd, SIGCONT), ==, 0);
      g_assert_true (ood_test_wait_for (answers_state, truth.target, BACK_WAIT_MS));
      g_assert_cmpstr (state_call (bus, path, "State"), ==, OOD_STATE_RUNNING);
    }
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.NoReply");
  g_assert_nonnull (strstr (error->message, "did not answer within "
                                            G_STRINGIFY (COMMAND_TIMEOUT_MS) " ms"));
  g_clear_error (&error);
  /* stopped for a while more: the service reconnects to the stopped
   * OpenOCD (the kernel completes the connects), its first refresh times
   * out, it tries again */
  run_for (STOPPED_MORE_MS);
  g_test_message ("while stopped: Connected %d, State '%s'",
                  ood_dbus_endpoint_get_connected (truth.endpoint),
                  ood_dbus_target_get_state (truth.target));
  g_assert_cmpstr (ood_dbus_target_get_state (truth.target), !=, OOD_STATE_HALTED);

  /* OpenOCD runs again and executes the halt it had received: the
   * properties must come to say so, with no client call */
  g_assert_cmpint (kill (openocd, SIGCONT), ==, 0);
  if (!ood_test_wait_for (shows_halted, &truth, BACK_WAIT_MS))
    g_error ("%u ms after SIGCONT the properties still say Connected %d, State '%s' "
             "(OpenOCD says '%s')", BACK_WAIT_MS, ood_dbus_endpoint_get_connected (truth.endpoint),
             ood_dbus_target_get_state (truth.target),
             ood_test_tcl_eval_on (testbed, "riscv.cpu curstate"));
  truth_text = ood_test_tcl_eval_on (testbed, "riscv.cpu curstate");
  g_assert_cmpstr (truth_text, ==, "halted");

  finish (fixture, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
  g_test_add_func ("/network-faults/fault-injection/drop-mid-reply", test_drop_mid_reply);
  g_test_add_func ("/network-faults/fault-injection/delay", test_delay);
  g_test_add_func ("/network-faults/fault-injection/trickle", test_trickle);
  g_test_add_func ("/network-faults/fault-injection/blackhole", test_blackhole);
  g_test_add_func ("/network-faults/timeout-took-effect", test_timeout_took_effect);
  return g_test_run ();
}
