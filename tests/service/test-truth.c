/* SPDX-License-Identifier: MIT */
/*
 * The service tells the truth when others act on the target and when
 * OpenOCD fails: the real daemon on a private bus, real OpenOCD, the
 * simulated board, and raw Tcl on OpenOCD's own port standing in for GDB
 * or telnet beside the service. One case per defect; each failed before
 * its fix.
 */
#include <signal.h>
#include <string.h>

#include <gio/gunixfdlist.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-gdb.h"

#define PC_RESET 0x80000000u
#define PC_LOOP  0x80000008u
#define PC_INC   0x80000020u

static char *
raw_tcl (OodTestFixture *fx, const char *script)
{
  return ood_test_tcl_eval_on (fx->testbed, script);
}

/* Reset(@mode), which must succeed. */
static void
reset (OodTestFixture *fx, const char *mode)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_dbus_target_call_reset_sync (fx->target, mode, NULL, &error));
  g_assert_no_error (error);
}

static void
add_bp (OodTestFixture *fx, guint64 address, const char *kind)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, address, 4, kind, NULL,
                                                     &error));
  g_assert_no_error (error);
}

static guint64
wait_halt (OodTestFixture *fx, guint timeout_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  g_assert_true (ood_dbus_target_call_wait_halt_sync (fx->target, timeout_ms, &dict, NULL, &error));
  g_assert_no_error (error);
  return ood_test_halted_pc (dict);
}

/* The Breakpoints property, printed. */
static char *
listed (OodTestFixture *fx)
{
  GVariant *list;

  ood_test_drain ();
  list = ood_dbus_breakpoints_get_breakpoints (fx->breakpoints);
  return list != NULL ? g_variant_print (list, FALSE) : g_strdup ("NULL");
}

/* Halted on a hardware breakpoint at PC_LOOP, set through the service. */
static void
halt_on_loop_breakpoint (OodTestFixture *fx)
{
  reset (fx, "halt");
  add_bp (fx, PC_LOOP, "hw");
  ood_test_resume (fx->target);
  g_assert_cmphex (wait_halt (fx, 2000), ==, PC_LOOP);
}

/* Remove(A) and Step() sent back to back while halted on A: the step
 * must not put A back (it did: the step-over was decided when the call
 * arrived, from a list the queued Remove was about to change). */
static void
test_remove_then_step_pipelined (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending removed = { 0 }, stepped = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *left = NULL;
  g_autofree char *property = NULL;

  (void) options;
  halt_on_loop_breakpoint (fx);
  ood_dbus_breakpoints_call_remove (fx->breakpoints, PC_LOOP, NULL, ood_test_pending_done, &removed);
  ood_dbus_target_call_step (fx->target, NULL, ood_test_pending_done, &stepped);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &removed, 5000));
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &stepped, 5000));
  g_assert_no_error (removed.error);
  g_assert_no_error (stepped.error);

  left = raw_tcl (fx, "bp");
  g_assert_cmpstr (left, ==, "");
  property = listed (fx);
  g_assert_cmpstr (property, ==, "[]");
  /* and nothing stops the program at A any more */
  ood_test_resume (fx->target);
  g_assert_false (ood_dbus_target_call_wait_halt_sync (fx->target, 500, NULL, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TIMEOUT, "Timeout");
  ood_test_pending_clear (&removed);
  ood_test_pending_clear (&stepped);
}

/* Two Resume() back to back while halted on a breakpoint: both work, and
 * OpenOCD keeps the breakpoint the service lists. */
static void
test_resume_twice_on_breakpoint (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending first = { 0 }, second = { 0 };
  g_autofree char *left = NULL;
  g_autofree char *property = NULL;

  (void) options;
  halt_on_loop_breakpoint (fx);
  ood_dbus_target_call_resume (fx->target, NULL, ood_test_pending_done, &first);
  ood_dbus_target_call_resume (fx->target, NULL, ood_test_pending_done, &second);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &first, 5000));
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &second, 5000));
  g_assert_no_error (first.error);
  g_assert_no_error (second.error);

  left = raw_tcl (fx, "bp");
  g_assert_nonnull (strstr (left, "0x80000008, 0x4"));
  g_assert_cmphex (wait_halt (fx, 2000), ==, PC_LOOP);
  property = listed (fx);
  g_assert_cmpstr (property, ==, "[(2147483656, 4, 'hw')]");
  ood_test_pending_clear (&first);
  ood_test_pending_clear (&second);
}

static gboolean
no_breakpoints_listed (gpointer user_data)
{
  g_autofree char *property = listed (user_data);

  return g_str_equal (property, "[]");
}

/* Breakpoints removed by another client (GDB, telnet) are not put back
 * by the service's step-over, and the property follows OpenOCD's list at
 * the next halt. */
static void
test_removed_behind_back (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *removed = NULL;
  g_autofree char *left = NULL;

  (void) options;
  halt_on_loop_breakpoint (fx);
  removed = raw_tcl (fx, "rbp all");
  ood_test_resume (fx->target);
  /* not re-created: the program runs on past A */
  g_assert_false (ood_dbus_target_call_wait_halt_sync (fx->target, 500, NULL, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TIMEOUT, "Timeout");
  left = raw_tcl (fx, "bp");
  g_assert_cmpstr (left, ==, "");
  /* the halt refreshes the list */
  ood_test_halt (fx->target);
  g_assert_true (ood_test_wait_for (no_breakpoints_listed, fx, 5000));
}

/* A breakpoint another client set is a duplicate to the service too. */
static void
test_duplicate_breakpoint (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *set = NULL;

  (void) options;
  reset (fx, "halt");
  set = raw_tcl (fx, "bp 0x80000020 4");
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_INC, 4, "hw", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_BREAKPOINT_EXISTS, "BreakpointExists");
  g_clear_error (&error);
  add_bp (fx, PC_LOOP, "hw");
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "sw", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_BREAKPOINT_EXISTS, "BreakpointExists");
  g_clear_error (&error);
  /* and one nobody set cannot be removed */
  g_assert_false (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_RESET, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NO_SUCH_BREAKPOINT, "NoSuchBreakpoint");
  g_clear_error (&error);
  /* RemoveAll removes the others' and its own: OpenOCD lists none */
  g_assert_true (ood_dbus_breakpoints_call_remove_all_sync (fx->breakpoints, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *left = raw_tcl (fx, "bp");

    g_assert_null (strstr (left, "0x80000020"));
    g_assert_null (strstr (left, "breakpoint"));
  }
  g_assert_cmpuint (g_variant_n_children (ood_dbus_breakpoints_get_breakpoints (fx->breakpoints)),
                    ==, 0);
}

/* Errors OpenOCD only logs are failures: a PC that cannot be written,
 * and addresses the PC cannot hold. */
static void
test_pc_write_checked (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  (void) options;
  /* on a running target OpenOCD cannot write the PC: NotHalted */
  reset (fx, "halt");
  ood_test_resume (fx->target);
  g_assert_false (ood_dbus_target_call_resume_at_sync (fx->target, PC_RESET, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.ResumeAt", OOD_ERROR_NOT_HALTED, "NotHalted");
  g_clear_error (&error);

  g_assert_cmphex (ood_test_halt (fx->target), !=, 0);
  /* wider than the 32-bit PC: refused before OpenOCD sees it */
  g_assert_false (ood_dbus_target_call_step_at_sync (fx->target, G_GUINT64_CONSTANT (0x100000020),
                                                     NULL, NULL, &error));
  ASSERT_METHOD_INVALID_ARGS (error, "Target.StepAt");
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_resume_at_sync (fx->target, G_GUINT64_CONSTANT (0x100000020),
                                                       NULL, &error));
  ASSERT_METHOD_INVALID_ARGS (error, "Target.ResumeAt");
  g_clear_error (&error);
  /* a PC the hart cannot hold (dpc drops the low bits): OpenOCD's
   * read-back shows it, and the call fails with its text */
  g_assert_false (ood_dbus_target_call_step_at_sync (fx->target, 0xffffffffu, NULL, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.StepAt", OOD_ERROR_TARGET, "Target");
  g_assert_nonnull (strstr (error->message, "0xffffffff"));
  /* what the PC reads now, as raw Tcl reads it, is said and published */
  {
    g_autofree char *raw = raw_tcl (fx, "lindex [get_reg -force {pc}] 1");
    g_autofree char *told = g_strdup_printf ("the PC now reads 0x%" G_GINT64_MODIFIER "x",
                                             g_ascii_strtoull (raw, NULL, 16));

    g_assert_nonnull (strstr (error->message, told));
    ood_test_drain ();
    g_assert_cmphex (ood_dbus_target_get_current_pc (fx->target), ==,
                     g_ascii_strtoull (raw, NULL, 16));
  }
  g_test_message ("StepAt(0xffffffff): %s", error->message);
  g_clear_error (&error);
  /* and a good address still works */
  g_assert_true (ood_dbus_target_call_step_at_sync (fx->target, PC_RESET, &dict, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (ood_test_halted_pc (dict), ==, PC_RESET + 4);
}

static gboolean
is_unreachable (gpointer user_data)
{
  OodTestFixture *fx = user_data;
  const char *const *paths = ood_dbus_endpoint_get_unreachable (fx->endpoint);

  return paths != NULL && g_strv_contains (paths, fx->target_path) &&
         g_strcmp0 (ood_dbus_target_get_state (fx->target), OOD_STATE_UNKNOWN) == 0;
}

static gboolean
is_reachable_halted (gpointer user_data)
{
  OodTestFixture *fx = user_data;
  const char *const *paths = ood_dbus_endpoint_get_unreachable (fx->endpoint);

  return (paths == NULL || !g_strv_contains (paths, fx->target_path)) &&
         g_strcmp0 (ood_dbus_target_get_state (fx->target), OOD_STATE_HALTED) == 0 &&
         ood_dbus_target_get_current_pc_valid (fx->target);
}

static gboolean
pc_published (gpointer user_data)
{
  OodTestFixture *fx = user_data;

  return ood_dbus_target_get_current_pc_valid (fx->target);
}

/* For adapter-lost: a long command timeout: with the link broken,
 * OpenOCD's poll before each command fails and logs, and a slow machine
 * must not turn that into a reconnect. */
static const char *const probe_args[] = { "--probe-interval", "300", "--timeout", "60000", NULL };
static const OodServiceOptions probing = { .extra_args = probe_args };

/* The board's debug link breaks under a live OpenOCD (the simulator's
 * SIGUSR1: every DMI access fails, as when the Debug Module loses power,
 * while the TAP and the adapter connection stay up): OpenOCD keeps
 * answering, but cannot reach the target, calls it running and announces
 * nothing (RISC-V, 0.12). The service's probe finds
 * out; the target is then unknown with no PC, the endpoint lists it as
 * unreachable, and a failed call's text, OpenOCD's log lines repeated,
 * comes folded and capped. (Killing the simulator instead can crash
 * OpenOCD 0.12 itself: remote_bitbang_read_sample asserts when the socket
 * reaches its end in the middle of a scan, as seen in CI.) */
static void
test_adapter_lost (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodTestbed *testbed = fx->testbed;
  gint64 killed_at;

  (void) options;
  g_assert_cmphex (ood_test_halt (fx->target), !=, 0);
  g_assert_true (ood_test_wait_for (pc_published, fx, 5000));
  g_assert_cmpuint (g_strv_length ((char **) ood_dbus_endpoint_get_unreachable (fx->endpoint)), ==, 0);
  g_assert_cmpint (ood_testbed_get_sim_pid (testbed), >, 0);
  kill (ood_testbed_get_sim_pid (testbed), SIGUSR1);
  killed_at = g_get_monotonic_time ();
  /* each OpenOCD command on a broken link may take seconds to fail */
  if (!ood_test_wait_for (is_unreachable, fx, 30000))
    {
      const char *const *paths = ood_dbus_endpoint_get_unreachable (fx->endpoint);
      g_error ("not published as unreachable: Connected %d, Unreachable %u paths, State %s, "
               "OpenOCD %s", ood_dbus_endpoint_get_connected (fx->endpoint),
               paths != NULL ? g_strv_length ((char **) paths) : 0,
               ood_dbus_target_get_state (fx->target),
               kill (ood_testbed_get_openocd_pid (testbed), 0) == 0 ? "alive" : "gone");
    }
  g_test_message ("unreachable published %" G_GINT64_FORMAT " ms after the link broke",
                  (g_get_monotonic_time () - killed_at) / 1000);
  g_assert_false (ood_dbus_target_get_current_pc_valid (fx->target));
  g_assert_true (ood_dbus_endpoint_get_connected (fx->endpoint));

  g_assert_false (ood_dbus_target_call_step_sync (fx->target, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("Step() with the target unreachable: %s", error->message);
  g_assert_cmpuint (strlen (error->message), <=, 1024 + 64);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_halt_sync (fx->target, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (strlen (error->message), <=, 1024 + 64);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_resume_sync (fx->target, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* the state stays unknown: what OpenOCD says of it is stale; State()
   * answers what the property says */
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_UNKNOWN);
  {
    g_autoptr(GVariant) state = NULL;
    const char *name = NULL;

    g_assert_true (ood_dbus_target_call_state_sync (fx->target, &state, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_variant_lookup (state, "state", "&s", &name));
    g_assert_cmpstr (name, ==, OOD_STATE_UNKNOWN);
  }

  /* the link mended: the true state and PC are back, as raw Tcl says */
  kill (ood_testbed_get_sim_pid (testbed), SIGUSR2);
  killed_at = g_get_monotonic_time ();
  g_assert_true (ood_test_wait_for (is_reachable_halted, fx, 30000));
  g_test_message ("halted again %" G_GINT64_FORMAT " ms after the mend",
                  (g_get_monotonic_time () - killed_at) / 1000);
  {
    g_autofree char *raw = raw_tcl (fx, "lindex [get_reg -force {pc}] 1");

    g_assert_cmphex (ood_dbus_target_get_current_pc (fx->target), ==,
                     g_ascii_strtoull (raw, NULL, 16));
  }
}

/* A reset is announced, even one that changes no state (halted at the
 * reset vector, reset halt again). */
static void
test_reset_announced (OodTestFixture *fx, gconstpointer options)
{
  (void) options;
  reset (fx, "halt");
  ood_test_drain ();
  g_ptr_array_set_size (fx->events, 0);
  reset (fx, "halt");
  g_assert_true (ood_test_wait_event (fx->events, "reset-halt", 5000));
}

static gint
index_of (GPtrArray *events, const char *event)
{
  for (guint i = 0; i < events->len; i++)
    if (g_str_equal (events->pdata[i], event))
      return (gint) i;
  return -1;
}

/* A step's events come in OpenOCD's order, though its notifications
 * arrive in more than one burst (and so feed more than one refresh). */
static void
test_events_in_order (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  (void) options;
  reset (fx, "halt");
  ood_test_drain ();
  for (guint round = 0; round < 5; round++)
    {
      g_ptr_array_set_size (fx->events, 0);
      g_assert_true (ood_dbus_target_call_step_sync (fx->target, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (ood_test_wait_event (fx->events, "step-end", 5000));
      g_assert_cmpint (index_of (fx->events, "step-start"), >=, 0);
      g_assert_cmpint (index_of (fx->events, "step-start"), <, index_of (fx->events, "step-end"));
      g_assert_cmpint (index_of (fx->events, "halted"), <, index_of (fx->events, "step-end"));
    }
}

static const char *const max_queue_one_args[] = { "--max-queue", "1", NULL };
static const OodServiceOptions max_queue_one = { .extra_args = max_queue_one_args };

/* The callers' limit does not starve the service's own work: with
 * --max-queue 1 the target is exported and answers. */
static void
test_max_queue_one (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  (void) options;
  g_assert_true (ood_dbus_target_call_state_sync (fx->target, &dict, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ood_dbus_target_get_target_type (fx->target), ==, "riscv");
}

static const char *const verbose_args[] = { "--verbose", NULL };
static const OodServiceOptions verbose = { .extra_args = verbose_args };

/* OpenOCD's get_reg fails on a halted target (fault injected inside the
 * real OpenOCD: the target's get_reg command is replaced by a Tcl proc
 * that fails): the record carries why, and the daemon logs it. */
static void
test_pc_unreadable_logged (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  g_autofree char *wrapped = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  const char *name, *state;
  gboolean valid = TRUE;
  guint64 pc;

  (void) options;
  ood_test_halt (fx->target);
  /* FAULT INJECTION: riscv.cpu's get_reg (a Jim command of its own,
   * "riscv.cpu get_reg") fails from now on; this OpenOCD is not used
   * after the test */
  wrapped = raw_tcl (fx, "rename {riscv.cpu get_reg} ood_test_get_reg; "
                         "proc {riscv.cpu get_reg} {args} {error {injected get_reg failure}}");
  g_assert_true (ood_dbus_target_call_state_sync (fx->target, &dict, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_state_dict_parse (dict, &name, &state, &valid, &pc));
  g_assert_cmpstr (state, ==, OOD_STATE_HALTED);
  g_assert_false (valid);
  log_path = g_build_filename (ood_service_fixture_get_tmpdir (fx->service), "openocd-dbusd.log",
                               NULL);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "halted, but its PC could not be read: injected get_reg failure"));
}

typedef struct {
  GPtrArray *what;   /* "endpoint:PROPS" or "target:PROPS", in arrival order */
} Changes;

static void
on_properties_changed (GDBusConnection *connection, const char *sender, const char *path,
                       const char *iface, const char *member, GVariant *params,
                       gpointer user_data)
{
  Changes *changes = user_data;
  const char *changed_iface;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  GVariantIter iter;
  const char *key;

  (void) connection; (void) sender; (void) path; (void) iface; (void) member;
  g_variant_get (params, "(&s@a{sv}@as)", &changed_iface, &props, NULL);
  if (g_str_equal (changed_iface, "org.openocd.Endpoint"))
    g_string_append (line, "endpoint:");
  else if (g_str_equal (changed_iface, "org.openocd.Target"))
    g_string_append (line, "target:");
  else
    return;
  g_variant_iter_init (&iter, props);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    g_string_append_printf (line, "%s,", key);
  g_ptr_array_add (changes->what, g_string_free (g_steal_pointer (&line), FALSE));
}

static gboolean
connected_again (gpointer user_data)
{
  OodTestFixture *fx = user_data;

  return ood_dbus_endpoint_get_connected (fx->endpoint) &&
         g_strcmp0 (ood_dbus_target_get_state (fx->target), OOD_STATE_UNKNOWN) != 0;
}

static gboolean
disconnected (gpointer user_data)
{
  return !ood_dbus_endpoint_get_connected (((OodTestFixture *) user_data)->endpoint);
}

/* On reconnecting, the endpoint says Connected (with its Targets) in one
 * PropertiesChanged, before any target reports its state. */
static void
test_connected_before_targets (OodTestFixture *fx, gconstpointer options)
{
  GDBusConnection *bus = fx->bus;
  OodTestbed *testbed = fx->testbed;
  Changes changes = { g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GError) error = NULL;
  gint connected_at = -1, target_at = -1;
  guint id;

  (void) options;
  ood_test_halt (fx->target);
  ood_testbed_kill_openocd (testbed, SIGKILL);
  g_assert_true (ood_test_wait_for (disconnected, fx, 5000));
  id = g_dbus_connection_signal_subscribe (bus, NULL, "org.freedesktop.DBus.Properties",
                                           "PropertiesChanged", NULL, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed,
                                           &changes, NULL);
  g_assert_true (ood_testbed_start_openocd (testbed, &error));
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (connected_again, fx, 10000));
  ood_test_drain ();
  g_dbus_connection_signal_unsubscribe (bus, id);
  for (guint i = 0; i < changes.what->len; i++)
    {
      const char *what = changes.what->pdata[i];
      g_test_message ("PropertiesChanged %u: %s", i, what);
      if (connected_at < 0 && g_str_has_prefix (what, "endpoint:") && strstr (what, "Connected,"))
        connected_at = (gint) i;
      /* Targets, if it changes at all, comes with Connected, not after */
      else if (g_str_has_prefix (what, "endpoint:") && strstr (what, "Targets,"))
        g_error ("Targets changed in a PropertiesChanged of its own: %s", what);
      if (target_at < 0 && g_str_has_prefix (what, "target:"))
        target_at = (gint) i;
    }
  g_assert_cmpint (connected_at, >=, 0);
  g_assert_cmpint (target_at, >, connected_at);
  g_ptr_array_unref (changes.what);
}

/* ---- a real GDB beside the service -------------------------------------- */

/* How long GDB may take to report a stop it was told of (give up waiting). */
#define GDB_STOP_WAIT_MS 10000

/* OpenOCD serves GDB too */
static const OodServiceOptions with_gdb = { .gdb = TRUE };

typedef struct {
  OodTestFixture *fx;
  guint64 pc;
} PcWait;

static gboolean
published_halted_at (gpointer user_data)
{
  PcWait *wait = user_data;
  OodDbusTarget *target = wait->fx->target;

  return g_strcmp0 (ood_dbus_target_get_state (target), OOD_STATE_HALTED) == 0 &&
         ood_dbus_target_get_current_pc_valid (target) &&
         ood_dbus_target_get_current_pc (target) == wait->pc;
}

static void
assert_published_halted_at (OodTestFixture *fx, guint64 pc)
{
  PcWait wait = { fx, pc };

  if (!ood_test_wait_for (published_halted_at, &wait, 5000))
    g_error ("the service shows %s at 0x%" G_GINT64_MODIFIER "x, not halted at 0x%"
             G_GINT64_MODIFIER "x as GDB says", ood_dbus_target_get_state (fx->target),
             ood_dbus_target_get_current_pc (fx->target), pc);
}

static gboolean
published_running (gpointer user_data)
{
  OodTestFixture *fx = user_data;

  return g_strcmp0 (ood_dbus_target_get_state (fx->target), OOD_STATE_RUNNING) == 0;
}

static gboolean
shows_gdb (gpointer user_data)
{
  return ood_dbus_target_get_gdb_attached (((OodTestFixture *) user_data)->target);
}

static gboolean
shows_no_gdb (gpointer user_data)
{
  return !shows_gdb (user_data);
}

/* A GDB attached to the board's OpenOCD, which halted the target, as the
 * service shows: GdbAttached and the PC GDB reports. */
static OodTestGdb *
gdb_attached (OodTestFixture *fx)
{
  OodTestGdb *gdb = ood_test_gdb_new ();
  OodTestbed *testbed = fx->testbed;

  g_free (ood_test_gdb_attach (gdb, ood_testbed_get_gdb_port (testbed)));
  g_assert_true (ood_test_wait_for (shows_gdb, fx, 5000));
  assert_published_halted_at (fx, ood_test_gdb_pc (gdb));
  return gdb;
}

/* GDB in `continue`, the target running as the service shows. */
static void
gdb_continue (OodTestFixture *fx, OodTestGdb *gdb)
{
  ood_test_gdb_start (gdb, "continue");
  g_assert_true (ood_test_wait_for (published_running, fx, 5000));
}

/* GDB, in `continue`, was told the target stopped: its prompt is back, and
 * the PC it reports is the one the service publishes. Returns the PC. */
static guint64
assert_gdb_stopped (OodTestFixture *fx, OodTestGdb *gdb)
{
  g_autofree char *said = ood_test_gdb_wait (gdb, GDB_STOP_WAIT_MS);
  guint64 pc;

  if (said == NULL)
    g_error ("GDB still waits in continue: nobody told it that the target stopped");
  pc = ood_test_gdb_pc (gdb);
  assert_published_halted_at (fx, pc);
  return pc;
}

/* A real GDB (gdb-multiarch) on OpenOCD's GDB port drives the target
 * behind the service's back: attaching halts it, a hardware breakpoint
 * stops it, stepi moves the PC. After each, the service's published state
 * and PC are what GDB reports, with no call from any client, and its
 * State() agrees; the breakpoint GDB took away again is not listed.
 * Then the service acts on the target it describes. */
static void
test_gdb_beside (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(OodTestGdb) gdb = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  g_autofree char *raw = NULL;
  guint64 pc;

  (void) options;
  g_assert_true (ood_test_wait_for (published_running, fx, 5000));
  gdb = gdb_attached (fx);
  {
    g_autofree char *said = ood_test_gdb_run (gdb, "hbreak *0x80000010\ncontinue\np/x $pc");
    pc = ood_test_gdb_value (said);
    g_assert_cmphex (pc, ==, 0x80000010);
    assert_published_halted_at (fx, pc);
  }
  {
    g_autofree char *said = ood_test_gdb_run (gdb, "delete\nstepi\np/x $pc");
    pc = ood_test_gdb_value (said);
    g_assert_cmphex (pc, !=, 0x80000010);
    assert_published_halted_at (fx, pc);
  }
  /* the service's own read agrees, and its breakpoints are OpenOCD's */
  g_assert_true (ood_dbus_target_call_state_sync (fx->target, &dict, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (ood_test_halted_pc (dict), ==, pc);
  g_free (ood_test_gdb_run (gdb, "detach"));
  ood_test_gdb_quit (gdb);
  raw = raw_tcl (fx, "bp");
  g_assert_cmpstr (g_strstrip (raw), ==, "");
  {
    g_autofree char *list = listed (fx);
    g_assert_cmpstr (list, ==, "[]");
  }
  /* and it acts on the target as it is */
  ood_test_resume (fx->target);
  g_assert_true (ood_test_wait_for (published_running, fx, 5000));
  g_clear_pointer (&gdb, ood_test_gdb_free);
}

/* What PropertiesChanged said of GdbAttached and GdbPort, in order. */
static void
on_gdb_properties (GDBusConnection *connection, const char *sender, const char *path,
                   const char *iface, const char *member, GVariant *params, gpointer user_data)
{
  GPtrArray *said = user_data;
  g_autoptr(GVariant) props = NULL;
  gboolean attached;
  guint16 port;

  (void) connection; (void) sender; (void) path; (void) iface; (void) member;
  g_variant_get (params, "(&s@a{sv}@as)", NULL, &props, NULL);
  if (g_variant_lookup (props, "GdbAttached", "b", &attached))
    g_ptr_array_add (said, g_strdup (attached ? "attached" : "detached"));
  if (g_variant_lookup (props, "GdbPort", "q", &port))
    g_ptr_array_add (said, g_strdup_printf ("port %u", port));
}

static char *
joined (GPtrArray *said)
{
  g_ptr_array_add (said, NULL);
  g_ptr_array_remove_index (said, said->len - 1);
  return g_strjoinv (", ", (char **) said->pdata);
}

/* GdbPort is the port OpenOCD serves GDB on for the target, learnt again
 * from a new OpenOCD (on another port). GdbAttached goes true when a real
 * GDB connects and false when it leaves, and when OpenOCD is lost, each
 * time in a PropertiesChanged. GDB leaves OpenOCD on `disconnect` after
 * `target extended-remote` (where `detach` keeps the connection: OpenOCD
 * says nothing), and on `detach` after `target remote`. */
static void
test_gdb_attached (OodTestFixture *fx, gconstpointer options)
{
  OodTestbed *testbed = fx->testbed;
  GDBusConnection *bus = fx->bus;
  g_autoptr(GPtrArray) said = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodTestGdb) gdb = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *first = NULL;
  g_autofree char *all = NULL;
  g_autofree char *expected = NULL;
  guint id;

  (void) options;
  g_assert_cmpuint (ood_testbed_get_gdb_port (testbed), !=, 0);
  g_assert_cmpuint (ood_dbus_target_get_gdb_port (fx->target), ==,
                    ood_testbed_get_gdb_port (testbed));
  g_assert_false (ood_dbus_target_get_gdb_attached (fx->target));
  id = g_dbus_connection_signal_subscribe (bus, NULL, "org.freedesktop.DBus.Properties",
                                           "PropertiesChanged", fx->target_path,
                                           "org.openocd.Target", G_DBUS_SIGNAL_FLAGS_NONE,
                                           on_gdb_properties, said, NULL);
  gdb = gdb_attached (fx);
  g_free (ood_test_gdb_run (gdb, "detach\ndisconnect"));
  g_assert_true (ood_test_wait_for (shows_no_gdb, fx, 5000));
  remote = g_strdup_printf ("target remote 127.0.0.1:%u", ood_testbed_get_gdb_port (testbed));
  g_free (ood_test_gdb_run (gdb, remote));
  g_assert_true (ood_test_wait_for (shows_gdb, fx, 5000));
  g_free (ood_test_gdb_run (gdb, "detach"));
  g_assert_true (ood_test_wait_for (shows_no_gdb, fx, 5000));
  ood_test_drain ();
  first = joined (said);
  g_assert_cmpstr (first, ==, "attached, detached, attached, detached");

  /* attached again, then OpenOCD goes; a new one serves GDB elsewhere */
  g_free (ood_test_gdb_run (gdb, remote));
  g_assert_true (ood_test_wait_for (shows_gdb, fx, 5000));
  ood_testbed_kill_openocd (testbed, SIGKILL);
  g_assert_true (ood_test_wait_for (disconnected, fx, 5000));
  g_assert_true (ood_test_wait_for (shows_no_gdb, fx, 5000));
  ood_testbed_move_gdb_port (testbed);
  g_assert_true (ood_testbed_start_openocd (testbed, &error));
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (connected_again, fx, 10000));
  ood_test_drain ();
  g_dbus_connection_signal_unsubscribe (bus, id);
  g_assert_cmpuint (ood_dbus_target_get_gdb_port (fx->target), ==,
                    ood_testbed_get_gdb_port (testbed));
  all = joined (said);
  expected = g_strdup_printf ("attached, detached, attached, detached, attached, detached, "
                              "port %u",
                              ood_testbed_get_gdb_port (testbed));
  g_assert_cmpstr (all, ==, expected);
  g_clear_pointer (&gdb, ood_test_gdb_free);
}

/* While GDB waits in `continue`, the service's Halt() gives GDB its
 * prompt back, at the PC the service publishes: OpenOCD tells GDB of the
 * halt. Also after a reset behind everyone's back, which OpenOCD tells no
 * GDB of (GDB waited until Ctrl-C): the halted target's Halt() tells it. */
static void
test_gdb_halt_told (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(OodTestGdb) gdb = gdb_attached (fx);
  g_autofree char *reset = NULL;
  guint64 pc;

  (void) options;
  gdb_continue (fx, gdb);
  pc = ood_test_halt (fx->target);
  g_assert_cmphex (assert_gdb_stopped (fx, gdb), ==, pc);

  gdb_continue (fx, gdb);
  reset = raw_tcl (fx, "reset halt");
  assert_published_halted_at (fx, PC_RESET);
  g_assert_cmphex (ood_test_halt (fx->target), ==, PC_RESET);
  g_assert_cmphex (assert_gdb_stopped (fx, gdb), ==, PC_RESET);
  g_clear_pointer (&gdb, ood_test_gdb_free);
}

/* While GDB waits in `continue`, the service's Reset("halt") and
 * Reset("init") give GDB its prompt back at the reset vector (OpenOCD
 * tells GDB of no reset: it waited until Ctrl-C), and GDB goes on: its
 * next breakpoint stops the target. */
static void
test_gdb_reset_told (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(OodTestGdb) gdb = gdb_attached (fx);

  (void) options;
  gdb_continue (fx, gdb);
  reset (fx, "halt");
  g_assert_cmphex (assert_gdb_stopped (fx, gdb), ==, PC_RESET);
  g_free (ood_test_gdb_run (gdb, "hbreak *0x80000010\ncontinue\ndelete"));
  g_assert_cmphex (ood_test_gdb_pc (gdb), ==, 0x80000010);
  assert_published_halted_at (fx, 0x80000010);

  gdb_continue (fx, gdb);
  reset (fx, "init");
  g_assert_cmphex (assert_gdb_stopped (fx, gdb), ==, PC_RESET);
  g_clear_pointer (&gdb, ood_test_gdb_free);
}

/* org.openocd.Flash of the board's target. */
static OodDbusFlash *
flash_of (OodTestFixture *fx)
{
  g_autoptr(GError) error = NULL;
  OodDbusFlash *flash = ood_dbus_flash_proxy_new_sync (fx->bus, G_DBUS_PROXY_FLAGS_NONE,
                                                       "org.openocd", fx->target_path, NULL,
                                                       &error);

  g_assert_no_error (error);
  return flash;
}

#define ASSERT_DEBUGGER_ATTACHED(error) \
  ASSERT_OOD_ERROR ((error), OOD_ERROR_DEBUGGER_ATTACHED, "DebuggerAttached")

/* The target as raw Tcl reads it: state, PC and a0. */
static char *
raw_target (OodTestFixture *fx)
{
  return raw_tcl (fx, "list [riscv.cpu curstate] "
                      "[riscv.cpu get_reg -force {pc a0}]");
}

/* With GDB attached and at its prompt, the actions GDB could not be told
 * of are refused with DebuggerAttached, and leave the target as it was:
 * Resume, ResumeAt, Step, StepAt (GDB would show the old PC, or a halted
 * target that runs), Reset in any mode (a new PC), a register write (GDB
 * shows the value it read) and a Program that resets. With GDB waiting in
 * `continue`, Reset("run") is refused too (it clears the breakpoints GDB
 * inserted), and the target keeps running. */
static void
test_gdb_refused (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(OodTestGdb) gdb = gdb_attached (fx);
  GDBusConnection *bus = fx->bus;
  OodTestbed *testbed = fx->testbed;
  g_autoptr(OodDbusRegisters) registers = NULL;
  g_autoptr(OodDbusFlash) flash = flash_of (fx);
  const char *tmpdir = ood_service_fixture_get_tmpdir (fx->service);
  g_autoptr(GBytes) image = ood_test_random_flash_image (1024);
  g_autoptr(GBytes) flash_before = ood_test_tcl_read_memory (testbed, 32, 0x08000000, 1024);
  g_autoptr(GBytes) flash_after = NULL;
  g_autoptr(GUnixFDList) fds = ood_test_fd_list_of (tmpdir, image);
  g_autofree char *before = raw_target (fx);
  g_autofree char *after = NULL;
  g_autofree char *state = NULL;
  guint64 pc = ood_test_gdb_pc (gdb);
  const char *const modes[] = { "run", "halt", "init" };
  g_autoptr(GError) error = NULL;

  (void) options;
  registers = ood_dbus_registers_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                                 fx->target_path, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (ood_dbus_target_call_resume_sync (fx->target, NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_resume_at_sync (fx->target, pc, NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_step_sync (fx->target, NULL, NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_step_at_sync (fx->target, pc, NULL, NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  g_clear_error (&error);
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_assert_false (ood_dbus_target_call_reset_sync (fx->target, modes[i], NULL, &error));
      ASSERT_DEBUGGER_ATTACHED (error);
      g_assert_nonnull (strstr (error->message, "riscv.cpu"));
      g_clear_error (&error);
    }
  g_assert_false (ood_dbus_registers_call_write_sync (registers, "a0", 0x1234, NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_flash_call_program_sync (flash, g_variant_new_handle (0), "bin",
                                                    0x08000000, g_variant_new ("a{sv}", NULL),
                                                    fds, NULL, NULL, NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  g_clear_error (&error);

  after = raw_target (fx);
  g_assert_cmpstr (after, ==, before);
  g_assert_true (g_str_has_prefix (after, "halted "));
  flash_after = ood_test_tcl_read_memory (testbed, 32, 0x08000000, 1024);
  g_assert_true (g_bytes_equal (flash_after, flash_before));
  g_assert_cmphex (ood_test_gdb_pc (gdb), ==, pc);

  gdb_continue (fx, gdb);
  g_assert_false (ood_dbus_target_call_reset_sync (fx->target, "run", NULL, &error));
  ASSERT_DEBUGGER_ATTACHED (error);
  state = raw_tcl (fx, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "running");
  /* GDB still waits in `continue`, and a Halt() stops it */
  ood_test_halt (fx->target);
  assert_gdb_stopped (fx, gdb);
  g_clear_pointer (&gdb, ood_test_gdb_free);
}

static gboolean
job_ended (gpointer user_data)
{
  const char *state = ood_dbus_job_get_state (user_data);

  return state != NULL && !g_str_equal (state, "running");
}

/* With GDB attached, what GDB learns of by itself goes ahead: a
 * breakpoint the service adds stops GDB's `continue` (GDB reports the
 * trap there), memory the service writes is what GDB reads, and a Program
 * that does not reset, started while GDB waits in `continue`, halts the
 * target first, which OpenOCD tells GDB of: GDB's prompt comes back at the
 * PC the service publishes, and GDB reads the new flash. */
static void
test_gdb_allowed (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(OodTestGdb) gdb = gdb_attached (fx);
  GDBusConnection *bus = fx->bus;
  const guint32 words[] = { 0x12345678, 0x9abcdef0 };
  const char *tmpdir = ood_service_fixture_get_tmpdir (fx->service);
  g_autoptr(GBytes) image = ood_test_random_flash_image (1024);
  g_autoptr(GUnixFDList) fds = ood_test_fd_list_of (tmpdir, image);
  const guint32 *flashed = g_bytes_get_data (image, NULL);
  g_autoptr(OodDbusMemory) memory = NULL;
  g_autoptr(OodDbusFlash) flash = flash_of (fx);
  g_autoptr(OodDbusJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *said = NULL;
  g_autofree char *read = NULL;
  g_autofree char *expected = NULL;
  GVariantBuilder program_options;

  (void) options;
  memory = ood_dbus_memory_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                           fx->target_path, NULL, &error);
  g_assert_no_error (error);

  add_bp (fx, PC_INC, "hw");
  said = ood_test_gdb_run (gdb, "continue");
  g_assert_nonnull (strstr (said, "SIGTRAP"));
  g_assert_cmphex (ood_test_gdb_pc (gdb), ==, PC_INC);
  assert_published_halted_at (fx, PC_INC);
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_INC, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (ood_dbus_memory_call_write_bytes_sync (
      memory, 0x80020000, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, words, sizeof words, 1),
      NULL, &error));
  g_assert_no_error (error);
  read = ood_test_gdb_run (gdb, "x/2xw 0x80020000");
  g_assert_nonnull (strstr (read, "0x12345678\t0x9abcdef0"));

  gdb_continue (fx, gdb);
  g_variant_builder_init (&program_options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&program_options, "{sv}", "reset", g_variant_new_string ("none"));
  g_assert_true (ood_dbus_flash_call_program_sync (flash, g_variant_new_handle (0), "bin",
                                                   0x08000000,
                                                   g_variant_builder_end (&program_options), fds,
                                                   &job_path, NULL, NULL, &error));
  g_assert_no_error (error);
  job = ood_dbus_job_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd", job_path, NULL,
                                     &error);
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (job_ended, job, 30000));
  g_assert_cmpstr (ood_dbus_job_get_state (job), ==, "succeeded");
  assert_gdb_stopped (fx, gdb);
  g_clear_pointer (&read, g_free);
  read = ood_test_gdb_run (gdb, "x/2xw 0x08000000");
  expected = g_strdup_printf ("0x%08x\t0x%08x", GUINT32_FROM_LE (flashed[0]),
                              GUINT32_FROM_LE (flashed[1]));
  g_assert_nonnull (strstr (read, expected));
  g_clear_pointer (&gdb, ood_test_gdb_free);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  OOD_TEST_ADD ("/truth/remove-then-step-pipelined", NULL, test_remove_then_step_pipelined);
  OOD_TEST_ADD ("/truth/resume-twice-on-breakpoint", NULL, test_resume_twice_on_breakpoint);
  OOD_TEST_ADD ("/truth/removed-behind-back", NULL, test_removed_behind_back);
  OOD_TEST_ADD ("/truth/duplicate-breakpoint", NULL, test_duplicate_breakpoint);
  OOD_TEST_ADD ("/truth/pc-write-checked", NULL, test_pc_write_checked);
  OOD_TEST_ADD ("/truth/adapter-lost", &probing, test_adapter_lost);
  OOD_TEST_ADD ("/truth/reset-announced", NULL, test_reset_announced);
  OOD_TEST_ADD ("/truth/max-queue-one", &max_queue_one, test_max_queue_one);
  OOD_TEST_ADD ("/truth/pc-unreadable-logged", &verbose, test_pc_unreadable_logged);
  OOD_TEST_ADD ("/truth/connected-before-targets", NULL, test_connected_before_targets);
  OOD_TEST_ADD ("/truth/events-in-order", NULL, test_events_in_order);
  OOD_TEST_ADD ("/truth/gdb-beside", &with_gdb, test_gdb_beside);
  OOD_TEST_ADD ("/truth/gdb-attached", &with_gdb, test_gdb_attached);
  OOD_TEST_ADD ("/truth/gdb-halt-told", &with_gdb, test_gdb_halt_told);
  OOD_TEST_ADD ("/truth/gdb-reset-told", &with_gdb, test_gdb_reset_told);
  OOD_TEST_ADD ("/truth/gdb-refused", &with_gdb, test_gdb_refused);
  OOD_TEST_ADD ("/truth/gdb-allowed", &with_gdb, test_gdb_allowed);
  return g_test_run ();
}
