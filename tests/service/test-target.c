/* SPDX-License-Identifier: MIT */
/* Integration tests of org.openocd.Target, org.openocd.Breakpoints and
 * org.openocd.Endpoint: the real daemon on a private bus in front of a real
 * OpenOCD and the simulated RISC-V board. Every case runs on its own
 * shared fixture (ood-test-fixture.h), whose teardown checks that the
 * daemon exits cleanly. */
#include <signal.h>
#include <string.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"

#define RAM_START 0x80000000u
#define RAM_END   0x80010000u
#define IN_RAM(pc) ((pc) >= RAM_START && (pc) < RAM_END)

/* The built-in program (tests/sim/default-program.c). */
#define PC_RESET    0x80000000u   /* lui  sp, 0x80008 */
#define PC_LOOP     0x80000008u   /* loop: addi a0, s0, 0 */
#define PC_CALL     0x8000000cu   /* jal  ra, inc */
#define PC_AFTER    0x80000010u   /* addi s0, a0, 0 */
#define PC_INC      0x80000020u   /* inc: addi a0, a0, 1 */
#define PC_RET      0x80000024u   /* jalr zero, 0(ra) */
#define COUNTER     0x80008000u   /* the loop counter in RAM */

/* The target's name in OpenOCD, as the state dictionaries must say. */
static const char *expected_name = "riscv.cpu";

/* Generous: a loaded two-core machine, maybe under sanitizers. */
#define PROPERTY_WAIT_MS 5000
/* A WaitHalt deadline no step of a test comes near: only a halt answers */
#define LONG_WAIT_MS 600000

typedef struct {
  const char *state;
  gboolean    pc_valid;
  guint64     pc;
} St;

static St
parse_state (GVariant *dict)
{
  const char *name = NULL;
  St st = { NULL, FALSE, 0 };

  g_assert_nonnull (dict);
  g_assert_true (g_variant_is_of_type (dict, G_VARIANT_TYPE ("a{sv}")));
  g_assert_true (ood_state_dict_parse (dict, &name, &st.state, &st.pc_valid, &st.pc));
  g_assert_cmpstr (name, ==, expected_name);
  /* interned, so it outlives the dictionary */
  st.state = ood_state_canonical (st.state);
  g_assert_nonnull (st.state);
  /* current_pc only when halted */
  if (st.pc_valid)
    g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  return st;
}

static St
call_state (OodTestFixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  g_assert_true (ood_dbus_target_call_state_sync (fx->target, &dict, NULL, &error));
  g_assert_no_error (error);
  return parse_state (dict);
}

/* The state a successful Halt, Step or WaitHalt answered: halted in RAM. */
static St
halted_state (gboolean ok, GVariant *dict, const GError *error)
{
  St st;

  g_assert_no_error (error);
  g_assert_true (ok);
  st = parse_state (dict);
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_true (st.pc_valid);
  g_assert_true (IN_RAM (st.pc));
  return st;
}

static St
call_halt (OodTestFixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  gboolean ok = ood_dbus_target_call_halt_sync (fx->target, &dict, NULL, &error);

  return halted_state (ok, dict, error);
}

static St
call_step (OodTestFixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  gboolean ok = ood_dbus_target_call_step_sync (fx->target, &dict, NULL, &error);

  return halted_state (ok, dict, error);
}

static void
call_reset (OodTestFixture *fx, const char *mode)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_dbus_target_call_reset_sync (fx->target, mode, NULL, &error));
  g_assert_no_error (error);
}

static St
call_wait_halt (OodTestFixture *fx, guint timeout_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  gboolean ok = ood_dbus_target_call_wait_halt_sync (fx->target, timeout_ms, &dict, NULL, &error);

  return halted_state (ok, dict, error);
}

/* @error is the D-Bus error NAME, mapped to OOD_ERROR/@code. */
/* Makes sure the target is running. */
static void
ensure_running (OodTestFixture *fx)
{
  St st = call_state (fx);

  if (g_strcmp0 (st.state, OOD_STATE_RUNNING) != 0)
    ood_test_resume (fx->target);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_RUNNING);
}

/* ---- properties ---------------------------------------------------------- */

static void
test_properties (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = ood_testbed_get_address (fx->testbed);
  g_autoptr(GDBusObjectManager) manager = NULL;
  g_autoptr(GDBusObject) endpoint_object = NULL;
  g_autoptr(GDBusObject) target_object = NULL;
  g_autoptr(OodDbusTarget) target_iface = NULL;
  g_autoptr(OodDbusEndpoint) endpoint_iface = NULL;
  g_autofree char *gdb_port = NULL;
  const char *const *targets;
  GList *objects;
  St st;

  (void) options;
  g_assert_cmpstr (ood_dbus_target_get_name (fx->target), ==, "riscv.cpu");
  g_assert_cmpstr (ood_dbus_target_get_target_type (fx->target), ==, "riscv");
  g_assert_cmpstr (ood_dbus_target_get_endpoint (fx->target), ==, "default");
  g_assert_nonnull (ood_state_canonical (ood_dbus_target_get_state (fx->target)));
  /* this OpenOCD serves no GDB ("gdb_port disabled"), so none is attached */
  gdb_port = ood_test_tcl_eval_on (fx->testbed, "riscv.cpu cget -gdb-port");
  g_assert_cmpstr (gdb_port, ==, "undefined");
  g_assert_cmpuint (ood_dbus_target_get_gdb_port (fx->target), ==, 0);
  g_assert_false (ood_dbus_target_get_gdb_attached (fx->target));

  st = call_halt (fx);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_HALTED);
  g_assert_true (ood_dbus_target_get_current_pc_valid (fx->target));
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, st.pc);
  g_assert_true (IN_RAM (ood_dbus_target_get_current_pc (fx->target)));

  ood_test_resume (fx->target);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_RUNNING);
  g_assert_false (ood_dbus_target_get_current_pc_valid (fx->target));

  /* the endpoint */
  g_assert_cmpstr (ood_dbus_endpoint_get_name (fx->endpoint), ==, "default");
  g_assert_cmpstr (ood_dbus_endpoint_get_address (fx->endpoint), ==, address);
  g_assert_true (ood_dbus_endpoint_get_connected (fx->endpoint));
  g_assert_nonnull (ood_dbus_endpoint_get_version (fx->endpoint));
  if (!g_str_has_prefix (ood_dbus_endpoint_get_version (fx->endpoint), "Open On-Chip Debugger 0.12"))
    g_error ("Version is '%s'", ood_dbus_endpoint_get_version (fx->endpoint));
  targets = ood_dbus_endpoint_get_targets (fx->endpoint);
  g_assert_nonnull (targets);
  g_assert_cmpuint (g_strv_length ((GStrv) targets), ==, 1);
  g_assert_cmpstr (targets[0], ==, fx->target_path);
  g_assert_cmpstr (fx->target_path, ==, "/org/openocd/default/riscv_2ecpu");

  /* the object manager */
  manager = ood_dbus_object_manager_client_new_sync (fx->bus,
                                                     G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                     "org.openocd", "/org/openocd", NULL, &error);
  g_assert_no_error (error);
  objects = g_dbus_object_manager_get_objects (manager);
  g_assert_cmpuint (g_list_length (objects), ==, 2);
  g_list_free_full (objects, g_object_unref);

  endpoint_object = g_dbus_object_manager_get_object (manager, "/org/openocd/default");
  g_assert_nonnull (endpoint_object);
  endpoint_iface = ood_dbus_object_get_endpoint (OOD_DBUS_OBJECT (endpoint_object));
  g_assert_nonnull (endpoint_iface);
  g_assert_cmpstr (ood_dbus_endpoint_get_name (endpoint_iface), ==, "default");
  g_assert_null (ood_dbus_object_peek_target (OOD_DBUS_OBJECT (endpoint_object)));

  target_object = g_dbus_object_manager_get_object (manager, fx->target_path);
  g_assert_nonnull (target_object);
  target_iface = ood_dbus_object_get_target (OOD_DBUS_OBJECT (target_object));
  g_assert_nonnull (target_iface);
  g_assert_cmpstr (ood_dbus_target_get_name (target_iface), ==, "riscv.cpu");
  g_assert_nonnull (ood_dbus_object_peek_breakpoints (OOD_DBUS_OBJECT (target_object)));
  g_assert_nonnull (g_dbus_object_get_interface (target_object, "org.openocd.Target"));
  g_object_unref (g_dbus_object_get_interface (target_object, "org.openocd.Target"));
  g_assert_nonnull (g_dbus_object_get_interface (target_object, "org.openocd.Breakpoints"));
  g_object_unref (g_dbus_object_get_interface (target_object, "org.openocd.Breakpoints"));

  g_clear_object (&target_iface);
  g_clear_object (&endpoint_iface);
  g_clear_object (&target_object);
  g_clear_object (&endpoint_object);
  g_clear_object (&manager);
}

/* ---- state / halt -------------------------------------------------------- */

static void
test_state (OodTestFixture *fx, gconstpointer options)
{
  St st, halted;

  (void) options;
  ensure_running (fx);
  st = call_state (fx);
  g_assert_cmpstr (st.state, ==, OOD_STATE_RUNNING);
  g_assert_false (st.pc_valid);

  halted = call_halt (fx);
  st = call_state (fx);
  ood_test_drain ();
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_true (st.pc_valid);
  g_assert_cmpuint (st.pc, ==, halted.pc);
  g_assert_cmpuint (st.pc, ==, ood_dbus_target_get_current_pc (fx->target));
  g_assert_true (ood_dbus_target_get_current_pc_valid (fx->target));
}

/* The simulator traces its DMI accesses; the service does not probe. */
static const char *const no_probe_args[] = { "--probe-interval=0", NULL };
static const OodServiceOptions traced = { .sim_trace = TRUE, .extra_args = no_probe_args };

/* State() of a target that stays halted costs OpenOCD's poll alone: no
 * register is read from the hart (OpenOCD read the PC and dcsr at the
 * halt, and holds them while the hart is halted); a PC that another
 * client writes through OpenOCD is what State() answers next. */
static void
test_state_reads_no_register (OodTestFixture *fx, gconstpointer options)
{
  OodTestbed *tb = fx->testbed;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *written = NULL;
  St halted, st;

  (void) options;
  ensure_running (fx);
  halted = call_halt (fx);
  before = ood_testbed_read_sim_log (tb);
  /* the halt's refresh read the PC from the hart: the trace sees it */
  g_assert_cmpuint (ood_testbed_register_reads (before, OOD_SIM_REG_DPC), >, 0);
  for (guint i = 0; i < 5; i++)
    {
      st = call_state (fx);
      g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
      g_assert_cmpuint (st.pc, ==, halted.pc);
    }
  after = ood_testbed_read_sim_log (tb);
  g_assert_cmpuint (strlen (after), >=, strlen (before));
  g_assert_cmpuint (ood_testbed_register_reads (after + strlen (before), OOD_SIM_REG_DPC), ==, 0);
  g_assert_cmpuint (ood_testbed_register_reads (after + strlen (before), OOD_SIM_REG_DCSR), ==, 0);

  /* another client moves the PC through OpenOCD */
  written = ood_test_tcl_eval_on (tb, "riscv.cpu set_reg {pc 0x80000020}; "
                                      "lindex [riscv.cpu get_reg -force {pc}] 1");
  g_assert_cmpstr (written, ==, "0x80000020");
  st = call_state (fx);
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_cmpuint (st.pc, ==, 0x80000020);
}

static void
test_halt (OodTestFixture *fx, gconstpointer options)
{
  St first, again;

  (void) options;
  ensure_running (fx);
  first = call_halt (fx);
  again = call_halt (fx);
  g_assert_cmpuint (again.pc, ==, first.pc);
  ood_test_drain ();
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, first.pc);
}

/* ---- step ---------------------------------------------------------------- */

static void
test_step (OodTestFixture *fx, gconstpointer options)
{
  static const guint64 expected[] = { 0x80000004, PC_LOOP, PC_CALL, PC_INC, PC_RET };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  guint64 previous = PC_RESET;

  (void) options;
  call_reset (fx, "halt");
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_HALTED);
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, PC_RESET);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      St st = call_step (fx);
      g_assert_cmpuint (st.pc, !=, previous);
      g_assert_cmpuint (st.pc, ==, expected[i]);
      ood_test_drain ();
      g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, st.pc);
      previous = st.pc;
    }
  /* and back from the call */
  g_assert_cmpuint (call_step (fx).pc, ==, PC_AFTER);

  ensure_running (fx);
  g_assert_false (ood_dbus_target_call_step_sync (fx->target, &dict, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.Step", OOD_ERROR_NOT_HALTED, "NotHalted");
  g_assert_null (dict);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_step_at_sync (fx->target, PC_RESET, &dict, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.StepAt", OOD_ERROR_NOT_HALTED, "NotHalted");
  /* still running */
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
}

static void
test_step_at (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  St st;

  (void) options;
  call_halt (fx);
  /* from the reset vector, one straight-line instruction */
  g_assert_true (ood_dbus_target_call_step_at_sync (fx->target, PC_RESET, &dict, NULL, &error));
  g_assert_no_error (error);
  st = parse_state (dict);
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_true (st.pc_valid);
  g_assert_cmpuint (st.pc, ==, PC_RESET + 4);
  g_clear_pointer (&dict, g_variant_unref);

  /* from the call: into the function */
  g_assert_true (ood_dbus_target_call_step_at_sync (fx->target, PC_CALL, &dict, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (parse_state (dict).pc, ==, PC_INC);
  ood_test_drain ();
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, PC_INC);
}

static void
test_resume_at (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  (void) options;
  call_halt (fx);
  g_assert_true (ood_dbus_target_call_resume_at_sync (fx->target, PC_LOOP, NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_RUNNING);
  g_assert_false (ood_dbus_target_get_current_pc_valid (fx->target));
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  call_halt (fx);

  /* from the reset vector too */
  g_assert_true (ood_dbus_target_call_resume_at_sync (fx->target, PC_RESET, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  call_halt (fx);
}

static void
test_resume (OodTestFixture *fx, gconstpointer options)
{
  St first;

  (void) options;
  first = call_halt (fx);
  (void) first;
  ood_test_resume (fx->target);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_RUNNING);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  g_usleep (50 * 1000);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  call_halt (fx);
}

/* ---- reset --------------------------------------------------------------- */

static void
assert_halted_at_reset (OodTestFixture *fx)
{
  St st;

  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_HALTED);
  g_assert_true (ood_dbus_target_get_current_pc_valid (fx->target));
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, PC_RESET);
  st = call_state (fx);
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_cmpuint (st.pc, ==, PC_RESET);
}

static void
test_reset (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  (void) options;
  call_reset (fx, "halt");
  assert_halted_at_reset (fx);
  call_step (fx);

  call_reset (fx, "");
  assert_halted_at_reset (fx);

  call_reset (fx, "run");
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_RUNNING);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);

  /* the simulated board's configuration has no reset-init handler, so
   * OpenOCD 0.12 does a plain "reset halt" and succeeds */
  call_reset (fx, "init");
  assert_halted_at_reset (fx);

  g_assert_false (ood_dbus_target_call_reset_sync (fx->target, "bogus", NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_reset_sync (fx->target, "HALT", NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_reset_sync (fx->target, "halt; shutdown", NULL, &error));
  ASSERT_INVALID_ARGS (error);
  /* nothing happened */
  assert_halted_at_reset (fx);
}

/* ---- wait-halt ----------------------------------------------------------- */

/* The state a WaitHalt answered into @p. */
static St
parse_pending_state (const OodTestPending *p)
{
  g_autoptr(GVariant) dict = NULL;

  g_assert_no_error (p->error);
  g_assert_nonnull (p->reply);
  g_assert_cmpstr (g_variant_get_type_string (p->reply), ==, "(a{sv})");
  dict = g_variant_get_child_value (p->reply, 0);
  return parse_state (dict);
}

/* No clock: what WaitHalt answers, and in what order. */
static void
test_wait_halt (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending p = { 0 }, shorter = { 0 };
  St halted, st;

  (void) options;
  /* running: a deadline passes, and only that waiter's; the other one is
   * answered by the halt */
  ensure_running (fx);
  ood_dbus_target_call_wait_halt (fx->target, 200, NULL, ood_test_pending_done, &shorter);
  ood_dbus_target_call_wait_halt (fx->target, LONG_WAIT_MS, NULL, ood_test_pending_done, &p);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &shorter, PROPERTY_WAIT_MS));
  ASSERT_OOD_ERROR (shorter.error, OOD_ERROR_TIMEOUT, "Timeout");
  g_assert_nonnull (strstr (shorter.error->message, "within 200 ms"));
  g_assert_false (p.done);
  halted = call_halt (fx);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &p, PROPERTY_WAIT_MS));
  st = parse_pending_state (&p);
  g_assert_cmpuint (st.pc, ==, halted.pc);
  ood_test_pending_clear (&p);
  ood_test_pending_clear (&shorter);

  /* halted: answered at once, as no halt will come to answer it (its
   * deadline would be a Timeout) */
  st = call_wait_halt (fx, LONG_WAIT_MS);
  g_assert_cmpuint (st.pc, ==, halted.pc);
  st = call_wait_halt (fx, 0);
  g_assert_cmpuint (st.pc, ==, halted.pc);

  /* 0 means the default of 5 s, not "do not wait": a State() and a Halt()
   * later, the halt answers it */
  ood_test_resume (fx->target);
  ood_dbus_target_call_wait_halt (fx->target, 0, NULL, ood_test_pending_done, &p);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  g_assert_false (p.done);
  halted = call_halt (fx);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &p, PROPERTY_WAIT_MS));
  g_assert_no_error (p.error);
  st = parse_pending_state (&p);
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_cmpuint (st.pc, ==, halted.pc);
  ood_test_pending_clear (&p);

  /* waiting does not hold up other callers: a State() sent after the
   * WaitHalt is answered while the WaitHalt waits, which the halt answers */
  ood_test_resume (fx->target);
  ood_dbus_target_call_wait_halt (fx->target, LONG_WAIT_MS, NULL, ood_test_pending_done, &p);
  st = call_state (fx);
  g_assert_cmpstr (st.state, ==, OOD_STATE_RUNNING);
  g_assert_false (p.done);
  halted = call_halt (fx);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &p, PROPERTY_WAIT_MS));
  g_assert_no_error (p.error);
  st = parse_pending_state (&p);
  g_assert_cmpstr (st.state, ==, OOD_STATE_HALTED);
  g_assert_true (st.pc_valid);
  g_assert_cmpuint (st.pc, ==, halted.pc);
  ood_test_pending_clear (&p);

  /* several waiters at once all hear of one halt */
  {
    OodTestPending q[3] = { { 0 } };

    ood_test_resume (fx->target);
    for (guint i = 0; i < G_N_ELEMENTS (q); i++)
      ood_dbus_target_call_wait_halt (fx->target, LONG_WAIT_MS, NULL, ood_test_pending_done,
                                      &q[i]);
    g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
    for (guint i = 0; i < G_N_ELEMENTS (q); i++)
      g_assert_false (q[i].done);
    halted = call_halt (fx);
    for (guint i = 0; i < G_N_ELEMENTS (q); i++)
      {
        g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &q[i], PROPERTY_WAIT_MS));
        g_assert_no_error (q[i].error);
        g_assert_cmpuint (parse_pending_state (&q[i]).pc, ==, halted.pc);
        ood_test_pending_clear (&q[i]);
      }
  }
}

/* ---- signals ------------------------------------------------------------- */

typedef struct {
  char     *interface;   /* for PropertiesChanged: the interface changed */
  char     *member;
  GVariant *args;        /* for PropertiesChanged: the changed a{sv} */
} Sig;

static void
sig_free (Sig *s)
{
  g_free (s->interface);
  g_free (s->member);
  g_clear_pointer (&s->args, g_variant_unref);
  g_free (s);
}

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path,
           const char *interface, const char *member, GVariant *parameters, gpointer user_data)
{
  GPtrArray *log = user_data;
  Sig *s = g_new0 (Sig, 1);

  (void) connection;
  (void) sender;
  (void) path;
  if (g_str_equal (member, "PropertiesChanged") &&
      g_str_equal (interface, "org.freedesktop.DBus.Properties"))
    {
      g_variant_get (parameters, "(s@a{sv}@as)", &s->interface, &s->args, NULL);
      s->member = g_strdup (member);
    }
  else
    {
      s->interface = g_strdup (interface);
      s->member = g_strdup (member);
      s->args = g_variant_ref (parameters);
    }
  g_ptr_array_add (log, s);
}

typedef struct {
  GPtrArray  *log;
  const char *state;       /* NULL: any */
  gboolean    want_pc;
  guint64     pc;
  gboolean    want_pc_valid;
  gboolean    pc_valid;
  const char *event;       /* look for a TargetEvent instead */
} Match;

static gboolean
sig_matches (Sig *s, const Match *m)
{
  const char *state = NULL;
  guint64 pc;
  gboolean valid;

  if (m->event != NULL)
    {
      const char *event = NULL;
      if (!g_str_equal (s->member, "TargetEvent") || g_strcmp0 (s->interface, "org.openocd.Target") != 0)
        return FALSE;
      g_variant_get (s->args, "(&s)", &event);
      return g_str_equal (event, m->event);
    }
  if (!g_str_equal (s->member, "PropertiesChanged") || !g_str_equal (s->interface, "org.openocd.Target"))
    return FALSE;
  if (m->state != NULL &&
      (!g_variant_lookup (s->args, "State", "&s", &state) || !g_str_equal (state, m->state)))
    return FALSE;
  if (m->want_pc && (!g_variant_lookup (s->args, "CurrentPc", "t", &pc) || pc != m->pc))
    return FALSE;
  if (m->want_pc_valid &&
      (!g_variant_lookup (s->args, "CurrentPcValid", "b", &valid) || valid != m->pc_valid))
    return FALSE;
  return TRUE;
}

static gboolean
log_has (gpointer user_data)
{
  const Match *m = user_data;

  for (guint i = 0; i < m->log->len; i++)
    if (sig_matches (m->log->pdata[i], m))
      return TRUE;
  return FALSE;
}

static void
dump_log (GPtrArray *log)
{
  for (guint i = 0; i < log->len; i++)
    {
      Sig *s = log->pdata[i];
      g_autofree char *args = g_variant_print (s->args, FALSE);
      g_printerr ("# signal %u: %s %s %s\n", i, s->interface, s->member, args);
    }
}

static void
expect_signal (Match *m, const char *what)
{
  if (!ood_test_wait_for (log_has, m, PROPERTY_WAIT_MS))
    {
      dump_log (m->log);
      g_error ("no signal for %s", what);
    }
}

static void
test_properties_changed (OodTestFixture *fx, gconstpointer options)
{
  GDBusConnection *bus = fx->bus;
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func ((GDestroyNotify) sig_free);
  guint id;
  St st;

  (void) options;
  ensure_running (fx);
  id = g_dbus_connection_signal_subscribe (bus, NULL, NULL, NULL, fx->target_path, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_signal, log, NULL);
  /* the match rule is in place once a round trip through the bus is done */
  call_state (fx);
  ood_test_drain ();
  g_ptr_array_set_size (log, 0);

  /* halt: State, CurrentPc and CurrentPcValid in one signal */
  st = call_halt (fx);
  {
    Match m = { .log = log, .state = OOD_STATE_HALTED, .want_pc = TRUE, .pc = st.pc,
                .want_pc_valid = TRUE, .pc_valid = TRUE };
    Match e = { .log = log, .event = "halted" };
    expect_signal (&m, "Halt");
    expect_signal (&e, "TargetEvent halted");
  }

  g_ptr_array_set_size (log, 0);
  ood_test_resume (fx->target);
  {
    Match m = { .log = log, .state = OOD_STATE_RUNNING, .want_pc_valid = TRUE, .pc_valid = FALSE };
    Match e = { .log = log, .event = "resumed" };
    expect_signal (&m, "Resume");
    expect_signal (&e, "TargetEvent resumed");
  }

  call_halt (fx);
  g_ptr_array_set_size (log, 0);
  st = call_step (fx);
  {
    Match m = { .log = log, .want_pc = TRUE, .pc = st.pc };
    expect_signal (&m, "Step");
  }

  g_ptr_array_set_size (log, 0);
  call_reset (fx, "halt");
  {
    Match m = { .log = log, .want_pc = TRUE, .pc = PC_RESET };
    expect_signal (&m, "Reset(halt)");
  }
  if (g_getenv ("OOD_TEST_DUMP_SIGNALS") != NULL)
    dump_log (log);
  /* a step from the reset vector moves the PC on by one instruction */
  g_ptr_array_set_size (log, 0);
  st = call_step (fx);
  g_assert_cmpuint (st.pc, ==, PC_RESET + 4);
  {
    Match m = { .log = log, .want_pc = TRUE, .pc = PC_RESET + 4 };
    expect_signal (&m, "Step after reset");
  }

  g_dbus_connection_signal_unsubscribe (bus, id);
}

/* ---- breakpoints --------------------------------------------------------- */

/* What OpenOCD answers @script, on a Tcl connection of the test's own. */
static char *
raw_tcl (OodTestFixture *fx, const char *script)
{
  return ood_test_tcl_eval_on (fx->testbed, script);
}

/* The loop counter the program keeps in RAM, read through OpenOCD. */
static guint64
read_counter (OodTestFixture *fx)
{
  g_autofree char *script = g_strdup_printf ("read_memory 0x%x 32 1", COUNTER);
  g_autofree char *reply = raw_tcl (fx, script);
  char *end = NULL;
  guint64 value;

  value = g_ascii_strtoull (reply, &end, 0);
  if (end == reply || *end != '\0')
    g_error ("read_memory said '%s'", reply);
  return value;
}

typedef struct {
  OodTestFixture *fx;
  guint n;
  guint64 address;
  guint length;
  const char *kind;
} BpWait;

static gboolean
breakpoints_are (gpointer user_data)
{
  BpWait *w = user_data;
  GVariant *list = ood_dbus_breakpoints_get_breakpoints (w->fx->breakpoints);
  guint64 address;
  guint length;
  const char *kind;

  if (list == NULL || g_variant_n_children (list) != w->n)
    return FALSE;
  if (w->n == 0)
    return TRUE;
  g_variant_get_child (list, 0, "(tu&s)", &address, &length, &kind);
  return address == w->address && length == w->length && g_str_equal (kind, w->kind);
}

static void
assert_breakpoints (OodTestFixture *fx, guint n, guint64 address, guint length, const char *kind)
{
  BpWait w = { fx, n, address, length, kind };

  /* set before the reply: no waiting needed beyond what is due */
  ood_test_drain ();
  if (!breakpoints_are (&w))
    {
      GVariant *list = ood_dbus_breakpoints_get_breakpoints (fx->breakpoints);
      g_autofree char *text = list != NULL ? g_variant_print (list, TRUE) : g_strdup ("NULL");
      g_error ("Breakpoints is %s", text);
    }
}

static void
run_breakpoint (OodTestFixture *fx, guint64 address, const char *kind)
{
  g_autoptr(GError) error = NULL;
  guint64 counter, counter2;
  St st;

  call_halt (fx);
  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, address, 4, kind, NULL, &error));
  g_assert_no_error (error);
  assert_breakpoints (fx, 1, address, 4, kind);

  ood_test_resume (fx->target);
  st = call_wait_halt (fx, 2000);
  g_assert_cmpuint (st.pc, ==, address);
  ood_test_drain ();
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->target), ==, address);
  counter = read_counter (fx);

  /* resuming from the breakpoint goes on: the next halt there is one loop
   * round later, with the counter moved on by one */
  for (guint round = 0; round < 3; round++)
    {
      ood_test_resume (fx->target);
      st = call_wait_halt (fx, 2000);
      g_assert_cmpuint (st.pc, ==, address);
      counter2 = read_counter (fx);
      g_assert_cmpuint (counter2, ==, counter + 1);
      counter = counter2;
    }

  /* stepping off the breakpoint works too */
  st = call_step (fx);
  g_assert_cmpuint (st.pc, !=, address);
  g_assert_cmpuint (st.pc, ==, address + 4);

  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, address, NULL, &error));
  g_assert_no_error (error);
  assert_breakpoints (fx, 0, 0, 0, NULL);

  /* gone: the target runs on */
  ood_test_resume (fx->target);
  g_assert_false (ood_dbus_target_call_wait_halt_sync (fx->target, 300, NULL, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TIMEOUT, "Timeout");
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
}

static void
test_breakpoints (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  (void) options;
  assert_breakpoints (fx, 0, 0, 0, NULL);
  run_breakpoint (fx, PC_AFTER, "hw");
  run_breakpoint (fx, PC_INC, "sw");

  /* OpenOCD 0.12 cannot set a RISC-V breakpoint while the target runs:
   * the service says so (NotHalted) rather than passing on OpenOCD's
   * "unknown reason", and nothing is claimed */
  ensure_running (fx);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_AFTER, 4, "hw", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NOT_HALTED, "NotHalted");
  g_test_message ("Add on a running target: %s", error->message);
  g_clear_error (&error);
  assert_breakpoints (fx, 0, 0, 0, NULL);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);

  /* bad arguments */
  call_halt (fx);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "bogus", NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 0, "hw", NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  assert_breakpoints (fx, 0, 0, 0, NULL);

  /* the kind in any case */
  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "HW", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "hw", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_BREAKPOINT_EXISTS, "BreakpointExists");
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "sw", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_BREAKPOINT_EXISTS, "BreakpointExists");
  g_clear_error (&error);
  assert_breakpoints (fx, 1, PC_LOOP, 4, "hw");
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_LOOP, NULL, &error));
  g_assert_no_error (error);
  assert_breakpoints (fx, 0, 0, 0, NULL);
}

/* StepAt and ResumeAt starting on a breakpoint of ours leave it first. */
static void
test_breakpoints_step_over (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  guint64 counter;
  St st;

  (void) options;
  call_reset (fx, "halt");
  /* run the loop a few rounds so the counter is in RAM */
  ood_test_resume (fx->target);
  call_halt (fx);

  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "hw", NULL, &error));
  g_assert_no_error (error);
  ood_test_resume (fx->target);
  st = call_wait_halt (fx, 2000);
  g_assert_cmpuint (st.pc, ==, PC_LOOP);
  counter = read_counter (fx);

  /* StepAt the breakpoint's own address executes that instruction */
  g_assert_true (ood_dbus_target_call_step_at_sync (fx->target, PC_LOOP, &dict, NULL, &error));
  st = halted_state (TRUE, dict, error);
  g_assert_cmpuint (st.pc, ==, PC_CALL);
  g_clear_pointer (&dict, g_variant_unref);
  /* the breakpoint is still there: one round later it hits again */
  ood_test_resume (fx->target);
  st = call_wait_halt (fx, 2000);
  g_assert_cmpuint (st.pc, ==, PC_LOOP);
  g_assert_cmpuint (read_counter (fx), ==, counter + 1);

  /* ResumeAt the breakpoint's address runs a whole round */
  g_assert_true (ood_dbus_target_call_resume_at_sync (fx->target, PC_LOOP, NULL, &error));
  g_assert_no_error (error);
  st = call_wait_halt (fx, 2000);
  g_assert_cmpuint (st.pc, ==, PC_LOOP);
  g_assert_cmpuint (read_counter (fx), ==, counter + 2);

  /* ResumeAt elsewhere, with the breakpoint ahead, stops on it */
  g_assert_true (ood_dbus_target_call_resume_at_sync (fx->target, PC_RESET, NULL, &error));
  g_assert_no_error (error);
  st = call_wait_halt (fx, 2000);
  g_assert_cmpuint (st.pc, ==, PC_LOOP);

  /* a plain Step from the breakpoint */
  g_assert_cmpuint (call_step (fx).pc, ==, PC_CALL);
  assert_breakpoints (fx, 1, PC_LOOP, 4, "hw");
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_LOOP, NULL, &error));
  g_assert_no_error (error);
  assert_breakpoints (fx, 0, 0, 0, NULL);
}

/* Breakpoints PC_LOOP (hw, 4) and PC_INC (sw, 4), in that order */
static gboolean
breakpoints_are_loop_and_inc (gpointer user_data)
{
  GVariant *list = ood_dbus_breakpoints_get_breakpoints (OOD_DBUS_BREAKPOINTS (user_data));
  g_autofree char *text = list != NULL ? g_variant_print (list, FALSE) : NULL;

  /* 0x80000008 and 0x80000020 */
  return g_strcmp0 (text, "[(2147483656, 4, 'hw'), (2147483680, 4, 'sw')]") == 0;
}

/* Breakpoints are OpenOCD's: a daemon that connects reads those already
 * set (here by another client), with their kinds, and steps over them as
 * over its own. */
static void
test_breakpoints_learned (OodTestFixture *fx, gconstpointer options)
{
  OodDbusBreakpoints *learned;
  g_autoptr(GError) error = NULL;
  g_autofree char *set = NULL;
  g_autofree char *left = NULL;

  (void) options;
  call_reset (fx, "halt");
  set = raw_tcl (fx, "bp 0x80000008 4 hw; bp 0x80000020 4");
  g_test_message ("set over raw Tcl: %s", set);
  g_assert_cmpint (ood_service_fixture_stop_service (fx->service), ==, 0);
  g_assert_true (ood_service_fixture_start_service (fx->service, &error));
  g_assert_no_error (error);
  /* the new daemon exports the target with the list it read: a proxy made
   * before the object existed never saw it, so look with a new one */
  learned = OOD_DBUS_BREAKPOINTS (
      g_initable_new (OOD_DBUS_TYPE_BREAKPOINTS_PROXY, NULL, &error, "g-connection", fx->bus,
                      "g-name", "org.openocd", "g-object-path",
                      g_dbus_proxy_get_object_path (G_DBUS_PROXY (fx->breakpoints)),
                      "g-interface-name", "org.openocd.Breakpoints", NULL));
  g_assert_no_error (error);
  if (!ood_test_wait_for (breakpoints_are_loop_and_inc, learned, PROPERTY_WAIT_MS))
    {
      GVariant *list = ood_dbus_breakpoints_get_breakpoints (learned);
      g_autofree char *text = list != NULL ? g_variant_print (list, TRUE) : g_strdup ("NULL");
      g_error ("Breakpoints is %s", text);
    }
  g_clear_object (&learned);

  /* from the reset vector to the loop's breakpoint; resuming from it
   * steps over it to the function's, then round to the loop's again */
  ood_test_resume (fx->target);
  g_assert_cmpuint (call_wait_halt (fx, 2000).pc, ==, PC_LOOP);
  ood_test_resume (fx->target);
  g_assert_cmpuint (call_wait_halt (fx, 2000).pc, ==, PC_INC);
  ood_test_resume (fx->target);
  g_assert_cmpuint (call_wait_halt (fx, 2000).pc, ==, PC_LOOP);

  /* and they are removed from OpenOCD through the service */
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_LOOP, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_INC, NULL, &error));
  g_assert_no_error (error);
  assert_breakpoints (fx, 0, 0, 0, NULL);
  left = raw_tcl (fx, "bp");
  g_assert_cmpstr (left, ==, "");
}

/* ---- the reference workflow ---------------------------------------------- */

static void
test_workflow (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  guint64 previous = PC_RESET;
  St st;

  (void) options;
  call_reset (fx, "halt");
  assert_halted_at_reset (fx);
  for (guint i = 0; i < 5; i++)
    {
      st = call_step (fx);
      g_assert_cmpuint (st.pc, !=, previous);
      previous = st.pc;
    }

  /* run to an address */
  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_AFTER, 4, "", NULL, &error));
  g_assert_no_error (error);
  ood_test_resume (fx->target);
  st = call_wait_halt (fx, 2000);
  g_assert_cmpuint (st.pc, ==, PC_AFTER);
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_AFTER, NULL, &error));
  g_assert_no_error (error);

  st = call_halt (fx);
  g_assert_cmpuint (st.pc, ==, PC_AFTER);
  ood_test_resume (fx->target);
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->target), ==, OOD_STATE_RUNNING);
}

/* ---- losing OpenOCD ------------------------------------------------------ */

static gboolean
endpoint_disconnected (gpointer user_data)
{
  OodTestFixture *fx = user_data;

  return !ood_dbus_endpoint_get_connected (fx->endpoint) &&
         g_strcmp0 (ood_dbus_target_get_state (fx->target), OOD_STATE_UNKNOWN) == 0 &&
         !ood_dbus_target_get_current_pc_valid (fx->target);
}

static gboolean
endpoint_connected (gpointer user_data)
{
  OodTestFixture *fx = user_data;

  return ood_dbus_endpoint_get_connected (fx->endpoint);
}

static gboolean
state_known (gpointer user_data)
{
  OodTestFixture *fx = user_data;

  return g_strcmp0 (ood_dbus_target_get_state (fx->target), OOD_STATE_UNKNOWN) != 0;
}

static void
test_disconnected (OodTestFixture *fx, gconstpointer options)
{
  OodTestbed *testbed = fx->testbed;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  OodTestPending p = { 0 };
  St st;

  (void) options;
  call_halt (fx);
  /* a breakpoint the program never reaches */
  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, 0x80000100, 4, "hw", NULL, &error));
  g_assert_no_error (error);
  assert_breakpoints (fx, 1, 0x80000100, 4, "hw");
  ood_test_resume (fx->target);
  /* a waiter that OpenOCD's death must answer */
  ood_dbus_target_call_wait_halt (fx->target, LONG_WAIT_MS, NULL, ood_test_pending_done, &p);
  /* answered in order: the WaitHalt has had its state, and waits */
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  g_assert_false (p.done);

  ood_testbed_kill_openocd (testbed, SIGKILL);
  if (!ood_test_wait_for (endpoint_disconnected, fx, 2000))
    g_error ("after killing OpenOCD: Connected %d, State %s, CurrentPcValid %d",
             ood_dbus_endpoint_get_connected (fx->endpoint), ood_dbus_target_get_state (fx->target),
             ood_dbus_target_get_current_pc_valid (fx->target));
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &p, 2000));
  ASSERT_OOD_ERROR (p.error, OOD_ERROR_DISCONNECTED, "Disconnected");
  ood_test_pending_clear (&p);
  /* a restarted OpenOCD has no breakpoints, so the service claims none */
  assert_breakpoints (fx, 0, 0, 0, NULL);

  g_assert_false (ood_dbus_target_call_halt_sync (fx->target, &dict, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_DISCONNECTED, "Disconnected");
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_state_sync (fx->target, &dict, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_DISCONNECTED, "Disconnected");
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_wait_halt_sync (fx->target, 100, &dict, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_DISCONNECTED, "Disconnected");
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "hw", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_DISCONNECTED, "Disconnected");
  g_clear_error (&error);
  /* the object stays */
  g_assert_cmpstr (ood_dbus_target_get_name (fx->target), ==, "riscv.cpu");

  g_assert_true (ood_testbed_start_openocd (testbed, &error));
  g_assert_no_error (error);
  if (!ood_test_wait_for (endpoint_connected, fx, 5000))
    g_error ("the service did not reconnect within 5 s");
  /* the properties are fresh again without anyone asking */
  if (!ood_test_wait_for (state_known, fx, 5000))
    g_error ("State stayed '%s' after reconnecting", ood_dbus_target_get_state (fx->target));
  st = call_state (fx);
  g_assert_true (g_strcmp0 (st.state, OOD_STATE_HALTED) == 0 ||
                 g_strcmp0 (st.state, OOD_STATE_RUNNING) == 0);
  call_halt (fx);
  call_step (fx);
  ood_test_drain ();
  g_assert_true (ood_dbus_target_get_current_pc_valid (fx->target));
}

/* ---- a target name full of Tcl syntax ------------------------------------ */

#define HOSTILE_NAME "cpu [0]; $x {y} \"z\" \\"

static const OodServiceOptions hostile = { .target_name = HOSTILE_NAME };

static void
test_hostile_name (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = g_dbus_escape_object_path (HOSTILE_NAME);
  g_autofree char *path = g_strdup_printf ("/org/openocd/default/%s", escaped);
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func ((GDestroyNotify) sig_free);
  GDBusConnection *bus = fx->bus;
  const char *const *targets;
  guint id;
  St st;

  (void) options;
  expected_name = HOSTILE_NAME;
  g_assert_cmpstr (fx->target_path, ==, path);
  g_assert_true (g_variant_is_object_path (path));
  g_assert_cmpstr (ood_dbus_target_get_name (fx->target), ==, HOSTILE_NAME);
  g_assert_cmpstr (ood_dbus_target_get_target_type (fx->target), ==, "riscv");
  targets = ood_dbus_endpoint_get_targets (fx->endpoint);
  g_assert_nonnull (targets);
  g_assert_cmpstr (targets[0], ==, path);
  g_assert_null (targets[1]);

  id = g_dbus_connection_signal_subscribe (bus, NULL, NULL, NULL, fx->target_path, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_signal, log, NULL);
  call_state (fx);
  ood_test_drain ();
  ensure_running (fx);
  g_ptr_array_set_size (log, 0);
  st = call_halt (fx);
  {
    Match m = { .log = log, .state = OOD_STATE_HALTED, .want_pc = TRUE, .pc = st.pc };
    Match e = { .log = log, .event = "halted" };
    expect_signal (&m, "Halt");
    expect_signal (&e, "TargetEvent halted");
  }
  g_dbus_connection_signal_unsubscribe (bus, id);

  call_reset (fx, "halt");
  assert_halted_at_reset (fx);
  g_assert_cmpuint (call_step (fx).pc, ==, PC_RESET + 4);
  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_AFTER, 4, "hw", NULL, &error));
  g_assert_no_error (error);
  ood_test_resume (fx->target);
  g_assert_cmpuint (call_wait_halt (fx, 2000).pc, ==, PC_AFTER);
  ood_test_resume (fx->target);
  g_assert_cmpuint (call_wait_halt (fx, 2000).pc, ==, PC_AFTER);
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, PC_AFTER, NULL, &error));
  g_assert_no_error (error);
  call_reset (fx, "run");
  g_assert_cmpstr (call_state (fx).state, ==, OOD_STATE_RUNNING);
  expected_name = "riscv.cpu";
}

/* ---- a flood of callers --------------------------------------------------- */

typedef struct {
  guint  pending;
  guint  ok;
  guint  busy;
  guint  other;
  GError *first_busy;
} Flood;

static void
on_flood_halt_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Flood *f = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  if (ood_dbus_target_call_halt_finish (OOD_DBUS_TARGET (source), &dict, result, &error))
    f->ok++;
  else if (g_error_matches (error, OOD_ERROR, OOD_ERROR_BUSY))
    {
      f->busy++;
      if (f->first_busy == NULL)
        f->first_busy = g_steal_pointer (&error);
    }
  else
    {
      g_printerr ("# flood: %s\n", error->message);
      f->other++;
    }
  f->pending--;
}

static gboolean
flood_done (gpointer user_data)
{
  return ((Flood *) user_data)->pending == 0;
}

/* More callers than the service queues per endpoint (--max-queue 64): the
 * excess is refused with Busy at once, everyone else is served, and the
 * service still works afterwards. The bus allows a connection only so many
 * pending calls, so the flood comes from several connections. */
#define FLOOD_CONNECTIONS 8
#define FLOOD_PER_CONNECTION 100

static const char *const max_queue_args[] = { "--max-queue", "64", NULL };
static const OodServiceOptions max_queue = { .extra_args = max_queue_args };

static void
test_busy (OodTestFixture *fx, gconstpointer options)
{
  Flood f = { 0 };
  GDBusConnection *connections[FLOOD_CONNECTIONS];
  OodDbusTarget *proxies[FLOOD_CONNECTIONS];
  const guint n = FLOOD_CONNECTIONS * FLOOD_PER_CONNECTION;

  (void) options;
  for (guint c = 0; c < FLOOD_CONNECTIONS; c++)
    {
      g_autoptr(GError) error = NULL;

      connections[c] = g_dbus_connection_new_for_address_sync (
          ood_service_fixture_get_bus_address (fx->service),
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
          NULL, NULL, &error);
      g_assert_no_error (error);
      proxies[c] = ood_dbus_target_proxy_new_sync (connections[c], G_DBUS_PROXY_FLAGS_NONE,
                                                   "org.openocd", fx->target_path, NULL, &error);
      g_assert_no_error (error);
    }

  call_halt (fx);
  for (guint i = 0; i < FLOOD_PER_CONNECTION; i++)
    for (guint c = 0; c < FLOOD_CONNECTIONS; c++)
      {
        f.pending++;
        ood_dbus_target_call_halt (proxies[c], NULL, on_flood_halt_done, &f);
      }
  g_assert_true (ood_test_wait_for (flood_done, &f, 60000));
  g_test_message ("%u calls: %u served, %u busy, %u other", n, f.ok, f.busy, f.other);
  g_assert_cmpuint (f.other, ==, 0);
  g_assert_cmpuint (f.ok + f.busy, ==, n);
  /* the service's own refreshes share the queue, so a few less than 64 */
  g_assert_cmpuint (f.ok, >=, 32);
  g_assert_cmpuint (f.busy, >, 0);
  ASSERT_OOD_ERROR (f.first_busy, OOD_ERROR_BUSY, "Busy");
  g_clear_error (&f.first_busy);
  call_halt (fx);
  call_step (fx);

  for (guint c = 0; c < FLOOD_CONNECTIONS; c++)
    {
      g_object_unref (proxies[c]);
      g_dbus_connection_close_sync (connections[c], NULL, NULL);
      g_object_unref (connections[c]);
    }
}

/* ---- every error by its D-Bus name --------------------------------------- */

static void
test_errors_typed (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  (void) options;
  /* NotHalted */
  ensure_running (fx);
  g_assert_false (ood_dbus_target_call_step_sync (fx->target, &dict, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.Step", OOD_ERROR_NOT_HALTED, "NotHalted");
  g_assert_true (g_dbus_error_is_remote_error (error));
  g_clear_error (&error);

  /* Timeout */
  g_assert_false (ood_dbus_target_call_wait_halt_sync (fx->target, 50, &dict, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.WaitHalt", OOD_ERROR_TIMEOUT, "Timeout");
  g_clear_error (&error);

  /* InvalidArgs */
  g_assert_false (ood_dbus_target_call_reset_sync (fx->target, "bogus", NULL, &error));
  ASSERT_METHOD_INVALID_ARGS (error, "Target.Reset");
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 4, "bogus", NULL, &error));
  ASSERT_METHOD_INVALID_ARGS (error, "Breakpoints.Add");
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, PC_LOOP, 1000, "hw", NULL, &error));
  ASSERT_METHOD_INVALID_ARGS (error, "Breakpoints.Add");
  g_clear_error (&error);

  /* Target: OpenOCD refuses, and its own text comes back */
  call_halt (fx);
  /* Remove of an address without a breakpoint is NoSuchBreakpoint (OpenOCD's
   * rbp would say nothing), as Add of one that has one is BreakpointExists */
  g_assert_false (ood_dbus_breakpoints_call_remove_sync (fx->breakpoints, 0x80001234, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Breakpoints.Remove", OOD_ERROR_NO_SUCH_BREAKPOINT,
                       "NoSuchBreakpoint");
  g_clear_error (&error);
  /* a breakpoint outside any memory: OpenOCD cannot set it */
  g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->breakpoints, 0x10, 4, "sw", NULL, &error));
  ASSERT_METHOD_ERROR (error, "Breakpoints.Add", OOD_ERROR_TARGET, "Target");
  g_assert_cmpstr (error->message, !=, "");
  g_clear_error (&error);
  assert_breakpoints (fx, 0, 0, 0, NULL);

  /* Disconnected */
  ood_testbed_kill_openocd (fx->testbed, SIGKILL);
  g_assert_true (ood_test_wait_for (endpoint_disconnected, fx, 2000));
  g_assert_false (ood_dbus_target_call_resume_sync (fx->target, NULL, &error));
  ASSERT_METHOD_ERROR (error, "Target.Resume", OOD_ERROR_DISCONNECTED, "Disconnected");
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  OOD_TEST_ADD ("/target/properties", NULL, test_properties);
  OOD_TEST_ADD ("/target/state", NULL, test_state);
  OOD_TEST_ADD ("/target/state-reads-no-register", &traced, test_state_reads_no_register);
  OOD_TEST_ADD ("/target/halt", NULL, test_halt);
  OOD_TEST_ADD ("/target/step", NULL, test_step);
  OOD_TEST_ADD ("/target/step-at", NULL, test_step_at);
  OOD_TEST_ADD ("/target/resume-at", NULL, test_resume_at);
  OOD_TEST_ADD ("/target/resume", NULL, test_resume);
  OOD_TEST_ADD ("/target/reset", NULL, test_reset);
  OOD_TEST_ADD ("/target/wait-halt", NULL, test_wait_halt);
  OOD_TEST_ADD ("/target/properties-changed", NULL, test_properties_changed);
  OOD_TEST_ADD ("/target/breakpoints", NULL, test_breakpoints);
  OOD_TEST_ADD ("/target/breakpoints-step-over", NULL, test_breakpoints_step_over);
  OOD_TEST_ADD ("/target/breakpoints-learned", NULL, test_breakpoints_learned);
  OOD_TEST_ADD ("/target/workflow", NULL, test_workflow);
  OOD_TEST_ADD ("/target/disconnected", NULL, test_disconnected);
  OOD_TEST_ADD ("/target/hostile-name", &hostile, test_hostile_name);
  OOD_TEST_ADD ("/target/busy", &max_queue, test_busy);
  OOD_TEST_ADD ("/target/errors-typed", NULL, test_errors_typed);
  return g_test_run ();
}
