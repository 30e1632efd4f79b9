/* SPDX-License-Identifier: MIT */
/* The State() script (ood_tcl_script_state()) run by a real OpenOCD 0.12
 * on the simulated board, its record parsed and checked against raw
 * commands: halted, running, and, with OpenOCD's `get_reg` of the target
 * replaced by a Tcl proc for the test's length (fault injection inside
 * the real OpenOCD), a PC read that fails and one that answers no number;
 * and a target OpenOCD does not have. */
#include <string.h>

#include "ood-state.h"
#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"
#include "ood-testbed.h"

/* The record the State() script of @target reads on @tb's OpenOCD; the
 * script's catch code must be @expected_code. */
static OodTclTargetRecord *
state_of (OodTestbed *tb, const char *target, gint expected_code)
{
  g_autofree char *script = ood_tcl_script_state (target);
  g_autofree char *reply = ood_test_tcl_eval_on (tb, script);
  g_autoptr(GError) error = NULL;
  OodTclTargetRecord *record;
  const char *text = NULL;
  gint code = -1;

  g_assert_true (ood_tcl_parse_wrapped (reply, &code, &text));
  g_assert_cmpint (code, ==, expected_code);
  if (code != 0)
    return NULL;
  record = ood_tcl_parse_record (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (record);
  g_assert_cmpstr (record->name, ==, target);
  /* State() asks for none of these */
  g_assert_null (record->type);
  g_assert_null (record->breakpoints);
  g_assert_null (record->watchpoints);
  g_assert_false (record->gdb_port_known);
  g_assert_cmpint (record->cause, ==, -1);
  return record;
}

static OodTestbed *
testbed (void)
{
  g_autoptr(GError) error = NULL;
  OodTestbed *tb = ood_testbed_new (NULL, &error);

  g_assert_no_error (error);
  return tb;
}

static void
test_openocd_halted (void)
{
  g_autoptr(OodTestbed) tb = testbed ();
  const char *name = ood_testbed_get_target_name (tb);
  g_autoptr(OodTclTargetRecord) record = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *expected = NULL;

  /* run a while first, so that the PC is not where reset left it */
  g_free (ood_test_tcl_eval_on (tb, "resume; sleep 50; halt"));
  raw = ood_test_tcl_eval_on (tb, "riscv.cpu get_reg -force {pc}");
  record = state_of (tb, name, 0);
  g_assert_cmpstr (record->state, ==, OOD_STATE_HALTED);
  g_assert_true (record->pc_valid);
  g_assert_null (record->pc_error);
  expected = g_strdup_printf ("pc 0x%08" G_GINT64_MODIFIER "x", record->pc);
  g_assert_cmpstr (raw, ==, expected);
}

static void
test_openocd_running (void)
{
  g_autoptr(OodTestbed) tb = testbed ();
  g_autoptr(OodTclTargetRecord) record = NULL;

  g_free (ood_test_tcl_eval_on (tb, "resume"));
  record = state_of (tb, ood_testbed_get_target_name (tb), 0);
  g_assert_cmpstr (record->state, ==, OOD_STATE_RUNNING);
  g_assert_false (record->pc_valid);
  g_assert_null (record->pc_error);
}

/* The record of the halted target while its `get_reg` is @body. */
static OodTclTargetRecord *
state_with_get_reg (OodTestbed *tb, const char *body)
{
  g_autofree char *replace = g_strdup_printf ("halt; rename {riscv.cpu get_reg} ood_test_get_reg; "
                                              "proc {riscv.cpu get_reg} args {%s}; set ood_x 1",
                                              body);
  g_autofree char *replaced = ood_test_tcl_eval_on (tb, replace);
  OodTclTargetRecord *record;

  g_assert_cmpstr (replaced, ==, "1");
  record = state_of (tb, ood_testbed_get_target_name (tb), 0);
  g_free (ood_test_tcl_eval_on (tb, "rename {riscv.cpu get_reg} {}; "
                                    "rename ood_test_get_reg {riscv.cpu get_reg}"));
  return record;
}

static void
test_openocd_pc_fails (void)
{
  g_autoptr(OodTestbed) tb = testbed ();
  g_autoptr(OodTclTargetRecord) record = state_with_get_reg (tb, "error {no PC here}");
  g_autoptr(OodTclTargetRecord) after = NULL;

  g_assert_cmpstr (record->state, ==, OOD_STATE_HALTED);
  g_assert_false (record->pc_valid);
  g_assert_cmpstr (record->pc_error, ==, "no PC here");
  /* and the real get_reg is back */
  after = state_of (tb, ood_testbed_get_target_name (tb), 0);
  g_assert_true (after->pc_valid);
  g_assert_null (after->pc_error);
}

static void
test_openocd_pc_not_a_number (void)
{
  g_autoptr(OodTestbed) tb = testbed ();
  g_autoptr(OodTclTargetRecord) record = state_with_get_reg (tb, "return {pc zzz}");
  g_autoptr(OodTclTargetRecord) empty = state_with_get_reg (tb, "return {pc}");

  g_assert_cmpstr (record->state, ==, OOD_STATE_HALTED);
  g_assert_false (record->pc_valid);
  g_assert_cmpstr (record->pc_error, ==, "unexpected PC value 'zzz'");
  g_assert_false (empty->pc_valid);
  g_assert_cmpstr (empty->pc_error, ==, "unexpected PC value ''");
}

static void
test_openocd_no_such_target (void)
{
  g_autoptr(OodTestbed) tb = testbed ();

  g_assert_null (state_of (tb, "no.such.cpu", 1));
  g_assert_null (state_of (tb, "a b", 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tcl-state/openocd/halted", test_openocd_halted);
  g_test_add_func ("/tcl-state/openocd/running", test_openocd_running);
  g_test_add_func ("/tcl-state/openocd/pc-fails", test_openocd_pc_fails);
  g_test_add_func ("/tcl-state/openocd/pc-not-a-number", test_openocd_pc_not_a_number);
  g_test_add_func ("/tcl-state/openocd/no-such-target", test_openocd_no_such_target);
  return g_test_run ();
}
