/* SPDX-License-Identifier: MIT */
/* Every halt, once, with its reason: org.openocd.Target's HaltCount and
 * HaltReason against the real daemon, a real OpenOCD and the simulated
 * RISC-V board, counted from the PropertiesChanged signals a client sees. */
#include <string.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"

/* The built-in program (tests/sim/default-program.c). */
#define PC_RESET 0x80000000u   /* lui  sp, 0x80010 */
#define PC_AFTER 0x80000010u   /* addi s0, a0, 0 */
#define PC_INC   0x80000020u   /* inc: addi a0, a0, 1 */
#define PC_STORE 0x80000018u   /* sw   s0, 0(t0): the counter's store */
#define COUNTER  0x80008000u   /* the loop counter in RAM */

#define WAIT_MS 5000

/* The shared fixture, and the Target's PropertiesChanged it saw. */
typedef struct {
  OodTestFixture base;
  GPtrArray *changes; /* (element-type GVariant) Target's changed a{sv}, in order */
  guint seen;         /* changes already checked */
  guint64 count;      /* HaltCount as the test counted */
  guint id;
} HaltsFixture;

static void
on_properties_changed (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *member, GVariant *parameters,
                       gpointer user_data)
{
  HaltsFixture *fx = user_data;
  const char *iface = NULL;
  GVariant *changed = NULL;

  (void) connection;
  (void) sender;
  (void) path;
  (void) interface;
  (void) member;
  g_variant_get (parameters, "(&s@a{sv}@as)", &iface, &changed, NULL);
  if (g_str_equal (iface, "org.openocd.Target"))
    g_ptr_array_add (fx->changes, g_variant_ref (changed));
  g_variant_unref (changed);
}

static void
halts_set_up (HaltsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  ood_test_fixture_set_up (&fx->base, options);
  fx->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  fx->id = g_dbus_connection_signal_subscribe (fx->base.bus, NULL,
                                               "org.freedesktop.DBus.Properties",
                                               "PropertiesChanged", fx->base.target_path, NULL,
                                               G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, fx,
                                               NULL);
  /* the match rule is in place once a round trip through the bus is done */
  g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, NULL, NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
  fx->count = ood_dbus_target_get_halt_count (fx->base.target);
  fx->seen = fx->changes->len;
}

static void
halts_tear_down (HaltsFixture *fx, gconstpointer options)
{
  g_dbus_connection_signal_unsubscribe (fx->base.bus, fx->id);
  ood_test_fixture_tear_down (&fx->base, options);
  g_ptr_array_unref (fx->changes);
}

static char *
raw_tcl (HaltsFixture *fx, const char *script)
{
  return ood_test_tcl_eval_on (ood_service_fixture_get_testbed (fx->base.service, 0), script);
}

/* The PC as OpenOCD reads it from the hart, on a connection of the test's. */
static guint64
raw_pc (HaltsFixture *fx)
{
  g_autofree char *reply = raw_tcl (fx, "lindex [riscv.cpu get_reg -force {pc}] 1");

  return g_ascii_strtoull (reply, NULL, 16);
}

static void
dump (HaltsFixture *fx)
{
  for (guint i = 0; i < fx->changes->len; i++)
    {
      g_autofree char *text = g_variant_print (fx->changes->pdata[i], FALSE);
      g_printerr ("# change %u%s: %s\n", i, i < fx->seen ? " (checked)" : "", text);
    }
}

/* The changes since the last check that carry HaltCount. */
static guint
halt_changes (HaltsFixture *fx, GVariant **last)
{
  guint n = 0;

  for (guint i = fx->seen; i < fx->changes->len; i++)
    {
      guint64 count;

      if (g_variant_lookup (fx->changes->pdata[i], "HaltCount", "t", &count))
        {
          n++;
          *last = fx->changes->pdata[i];
        }
    }
  return n;
}

typedef struct {
  HaltsFixture *fx;
  guint64 count;
} CountWait;

static gboolean
count_is (gpointer user_data)
{
  CountWait *w = user_data;

  return ood_dbus_target_get_halt_count (w->fx->base.target) >= w->count;
}

/* Since the last check: exactly one halt, told in one PropertiesChanged
 * with HaltCount one up, HaltReason @reason and, if the state or PC
 * changed, the state "halted" and the PC @pc; and no PropertiesChanged
 * said "halted" without counting a halt (no transient halt of OpenOCD's
 * step around a resume). */
static void
expect_one_halt (HaltsFixture *fx, const char *reason, guint64 pc, const char *what)
{
  CountWait w = { fx, fx->count + 1 };
  GVariant *last = NULL;
  const char *state = NULL, *why = NULL;
  guint64 count = 0, at;

  if (!ood_test_wait_for (count_is, &w, WAIT_MS))
    {
      dump (fx);
      g_error ("%s: HaltCount stayed %" G_GUINT64_FORMAT, what,
               ood_dbus_target_get_halt_count (fx->base.target));
    }
  ood_test_drain ();
  if (halt_changes (fx, &last) != 1)
    {
      dump (fx);
      g_error ("%s: not one PropertiesChanged with HaltCount", what);
    }
  for (guint i = fx->seen; i < fx->changes->len; i++)
    if (g_variant_lookup (fx->changes->pdata[i], "State", "&s", &state) &&
        g_str_equal (state, OOD_STATE_HALTED) && fx->changes->pdata[i] != last)
      {
        dump (fx);
        g_error ("%s: a PropertiesChanged said halted without a halt", what);
      }
  g_assert_true (g_variant_lookup (last, "HaltCount", "t", &count));
  g_assert_cmpuint (count, ==, fx->count + 1);
  /* a reason like the last one's is no change, and not sent */
  if (!g_variant_lookup (last, "HaltReason", "&s", &why))
    why = ood_dbus_target_get_halt_reason (fx->base.target);
  g_test_message ("%s: halt %" G_GUINT64_FORMAT ", %s", what, count, why);
  g_assert_cmpstr (why, ==, reason);
  if (g_variant_lookup (last, "State", "&s", &state))
    g_assert_cmpstr (state, ==, OOD_STATE_HALTED);
  if (g_variant_lookup (last, "CurrentPc", "t", &at))
    g_assert_cmpuint (at, ==, pc);
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, OOD_STATE_HALTED);
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->base.target), ==, pc);
  g_assert_cmpuint (raw_pc (fx), ==, pc);
  fx->count = count;
  fx->seen = fx->changes->len;
}

/* Since the last check: no halt counted. */
static void
expect_no_halt (HaltsFixture *fx, const char *what)
{
  GVariant *last = NULL;

  ood_test_drain ();
  if (halt_changes (fx, &last) != 0 ||
      ood_dbus_target_get_halt_count (fx->base.target) != fx->count)
    {
      dump (fx);
      g_error ("%s: a halt was counted", what);
    }
  fx->seen = fx->changes->len;
}

static void
wait_halt (HaltsFixture *fx)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (
      ood_dbus_target_call_wait_halt_sync (fx->base.target, WAIT_MS, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
add_breakpoint (HaltsFixture *fx, guint64 address, const char *kind)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (
      ood_dbus_breakpoints_call_add_sync (fx->base.breakpoints, address, 4, kind, NULL, &error));
  g_assert_no_error (error);
}

static void
remove_breakpoint (HaltsFixture *fx, guint64 address)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (
      ood_dbus_breakpoints_call_remove_sync (fx->base.breakpoints, address, NULL, &error));
  g_assert_no_error (error);
}

/* Halt, Step, breakpoint hits and resumes onto the same breakpoint: each
 * halt counted once, with its reason, in the PropertiesChanged that moves
 * State and CurrentPc; a plain resume counts none. */
static void
test_service_halts (HaltsFixture *fx, gconstpointer options)
{
  guint64 pc;

  (void) options;
  if (g_strcmp0 (ood_dbus_target_get_state (fx->base.target), OOD_STATE_RUNNING) != 0)
    {
      ood_test_resume (fx->base.target);
      expect_no_halt (fx, "first Resume");
    }
  pc = ood_test_halt (fx->base.target);
  expect_one_halt (fx, "request", pc, "Halt");
  g_assert_true (ood_test_has_event (fx->base.events, "halted"));

  /* halting a halted target is no halt */
  ood_test_halt (fx->base.target);
  expect_no_halt (fx, "Halt while halted");

  pc = ood_test_step (fx->base.target);
  expect_one_halt (fx, "step", pc, "Step");

  /* OpenOCD steps first inside the resume: not a halt */
  ood_test_resume (fx->base.target);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, OOD_STATE_RUNNING);
  expect_no_halt (fx, "Resume");

  pc = ood_test_halt (fx->base.target);
  expect_one_halt (fx, "request", pc, "Halt again");

  /* a hardware breakpoint is a trigger (dcsr.cause 2) at a listed breakpoint */
  add_breakpoint (fx, PC_AFTER, "hw");
  ood_test_resume (fx->base.target);
  wait_halt (fx);
  expect_one_halt (fx, "breakpoint", PC_AFTER, "hw breakpoint hit");
  /* one loop later, back on the same breakpoint: one halt more, although
   * State and CurrentPc end where they started */
  for (guint round = 0; round < 3; round++)
    {
      ood_test_resume (fx->base.target);
      wait_halt (fx);
      expect_one_halt (fx, "breakpoint", PC_AFTER, "resume onto the same hw breakpoint");
    }
  remove_breakpoint (fx, PC_AFTER);

  /* a software breakpoint is an ebreak (dcsr.cause 1) */
  add_breakpoint (fx, PC_INC, "sw");
  ood_test_resume (fx->base.target);
  wait_halt (fx);
  expect_one_halt (fx, "breakpoint", PC_INC, "sw breakpoint hit");
  ood_test_resume (fx->base.target);
  wait_halt (fx);
  expect_one_halt (fx, "breakpoint", PC_INC, "resume onto the same sw breakpoint");
  remove_breakpoint (fx, PC_INC);
}

/* A reset that halts, and halts others asked for (a raw Tcl connection):
 * "reset" and "external", each once; a reset that runs is no halt. */
static void
test_other_halts (HaltsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  (void) options;
  g_assert_true (ood_dbus_target_call_reset_sync (fx->base.target, "halt", NULL, &error));
  g_assert_no_error (error);
  expect_one_halt (fx, "reset", PC_RESET, "Reset(halt)");
  g_assert_true (ood_test_has_event (fx->base.events, "reset-halt"));

  g_assert_true (ood_dbus_target_call_reset_sync (fx->base.target, "run", NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, OOD_STATE_RUNNING);
  expect_no_halt (fx, "Reset(run)");

  /* another client halts: the hart says a halt request (dcsr.cause 3) the
   * service did not make */
  g_free (raw_tcl (fx, "halt"));
  expect_one_halt (fx, "external", raw_pc (fx), "raw Tcl halt");

  /* another client steps */
  g_free (raw_tcl (fx, "step"));
  expect_one_halt (fx, "step", raw_pc (fx), "raw Tcl step");

  /* another client resumes: no halt */
  g_free (raw_tcl (fx, "resume"));
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, &dict, NULL, &error));
    g_assert_no_error (error);
  }
  ood_test_drain ();
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, OOD_STATE_RUNNING);
  expect_no_halt (fx, "raw Tcl resume");

  /* another client's reset halt */
  g_free (raw_tcl (fx, "reset halt"));
  expect_one_halt (fx, "reset", PC_RESET, "raw Tcl reset halt");
  reply = raw_tcl (fx, "riscv.cpu curstate");
  g_assert_cmpstr (reply, ==, "halted");
}

/* Watchpoints() as a list of "ADDRESS/LENGTH/ACCESS/CONDITION". */
static char *
watchpoints_text (HaltsFixture *fx)
{
  GVariant *list = ood_dbus_breakpoints_get_watchpoints (fx->base.breakpoints);
  g_autoptr(GString) text = g_string_new (NULL);
  GVariantIter iter;
  guint64 address;
  guint length;
  const char *access, *condition;

  g_assert_nonnull (list);
  g_variant_iter_init (&iter, list);
  while (g_variant_iter_next (&iter, "(tu&s&s)", &address, &length, &access, &condition))
    g_string_append_printf (text, "%s0x%" G_GINT64_MODIFIER "x/%u/%s/%s", text->len ? " " : "",
                            address, length, access, condition);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
assert_watchpoints (HaltsFixture *fx, const char *expected)
{
  g_autofree char *text = NULL;

  ood_test_drain ();
  text = watchpoints_text (fx);
  g_assert_cmpstr (text, ==, expected);
}

#define COUNTER_WATCH "0x80008000/4/w/0x00000000/0xffffffff"

/* A watchpoint on the counter the program stores every loop: the hart
 * halts before the store (the simulator's triggers fire with timing 0,
 * as the RISC-V Debug Specification's and OpenOCD's step-over expect),
 * so the PC is the storing instruction, as OpenOCD reads it too; each
 * hit is one halt, "watchpoint"; the list is OpenOCD's, also for one set
 * by another client. */
static void
test_watchpoint (HaltsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = NULL;
  guint64 pc;

  (void) options;
  pc = ood_test_halt (fx->base.target);
  expect_one_halt (fx, "request", pc, "Halt");
  assert_watchpoints (fx, "");
  g_assert_true (ood_dbus_breakpoints_call_add_watchpoint_sync (fx->base.breakpoints, COUNTER, 4,
                                                                "w", NULL, &error));
  g_assert_no_error (error);
  assert_watchpoints (fx, COUNTER_WATCH);
  listing = raw_tcl (fx, "wp");
  g_assert_true (g_str_has_prefix (listing, "address: 0x80008000, len: 0x00000004, r/w/a: 1"));

  /* refused: a duplicate (in the same script as the add), bad arguments */
  g_assert_false (ood_dbus_breakpoints_call_add_watchpoint_sync (fx->base.breakpoints, COUNTER, 4,
                                                                 "w", NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_BREAKPOINT_EXISTS, "BreakpointExists");
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_watchpoint_sync (fx->base.breakpoints, COUNTER + 8,
                                                                 4, "x", NULL, &error));
  ood_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs", G_DBUS_ERROR,
                              G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_add_watchpoint_sync (fx->base.breakpoints, COUNTER + 8,
                                                                 0, "r", NULL, &error));
  ood_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs", G_DBUS_ERROR,
                              G_DBUS_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_false (ood_dbus_breakpoints_call_remove_watchpoint_sync (fx->base.breakpoints,
                                                                    COUNTER + 8, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NO_SUCH_BREAKPOINT, "NoSuchBreakpoint");
  g_clear_error (&error);
  assert_watchpoints (fx, COUNTER_WATCH);

  /* the store halts the hart, each loop once */
  for (guint round = 0; round < 3; round++)
    {
      g_ptr_array_set_size (fx->base.events, 0);
      ood_test_resume (fx->base.target);
      wait_halt (fx);
      expect_one_halt (fx, "watchpoint", PC_STORE, "watchpoint hit");
      g_assert_true (ood_test_has_event (fx->base.events, "halted"));
    }

  /* another client's watchpoint shows at the next halt, and its removal */
  g_free (raw_tcl (fx, "wp 0x80008010 4 r"));
  pc = ood_test_step (fx->base.target);
  expect_one_halt (fx, "step", pc, "step off the store");
  assert_watchpoints (fx, COUNTER_WATCH " 0x80008010/4/r/0x00000000/0xffffffff");
  g_assert_true (ood_dbus_breakpoints_call_remove_watchpoint_sync (fx->base.breakpoints,
                                                                   COUNTER + 16, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_dbus_breakpoints_call_remove_watchpoint_sync (fx->base.breakpoints, COUNTER,
                                                                   NULL, &error));
  g_assert_no_error (error);
  assert_watchpoints (fx, "");
  g_free (listing);
  listing = raw_tcl (fx, "wp");
  g_assert_cmpstr (listing, ==, "");

  /* gone: the target runs on */
  ood_test_resume (fx->base.target);
  g_assert_false (ood_dbus_target_call_wait_halt_sync (fx->base.target, 300, NULL, NULL, &error));
  ood_test_assert_dbus_error (error, "org.openocd.Error.Timeout", OOD_ERROR, OOD_ERROR_TIMEOUT);
  expect_no_halt (fx, "resume without watchpoints");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, test) g_test_add (path, HaltsFixture, NULL, halts_set_up, test, halts_tear_down)
  ADD ("/halts/service", test_service_halts);
  ADD ("/halts/others", test_other_halts);
  ADD ("/halts/watchpoint", test_watchpoint);
#undef ADD
  return g_test_run ();
}
