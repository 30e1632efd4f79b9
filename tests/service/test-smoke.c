/* SPDX-License-Identifier: MIT */
/* Smoke test of the service fixture: the real daemon on a private bus in
 * front of a real OpenOCD and the simulated board. */
#include "ood-service-fixture.h"
#include "ood-state.h"

static void
test_smoke (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodServiceFixture) fixture = ood_service_fixture_new (NULL, &error);
  g_autoptr(GVariant) state = NULL;
  OodDbusTarget *target;
  const char *name, *state_name;
  gboolean pc_valid;
  guint64 pc;

  g_assert_no_error (error);
  target = ood_service_fixture_get_target (fixture, 0);
  g_assert_cmpstr (ood_dbus_target_get_name (target), ==, "riscv.cpu");
  g_assert_true (ood_dbus_target_call_halt_sync (target, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_state_dict_parse (state, &name, &state_name, &pc_valid, &pc));
  g_assert_cmpstr (state_name, ==, "halted");
  g_assert_true (pc_valid);
  g_assert_cmpuint (pc, >=, 0x80000000);
  g_assert_cmpuint (pc, <, 0x80010000);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/service/smoke", test_smoke);
  return g_test_run ();
}
