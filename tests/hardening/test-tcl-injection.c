/* SPDX-License-Identifier: MIT */
/*
 * Tcl injection through target names, proven with markers: each case
 * names the target so that, were any part of the name ever evaluated by
 * OpenOCD's Jim Tcl, a global variable ::ood_pwned would be set and a
 * directory would be created ([file mkdir] exists in OpenOCD's Jim). The
 * daemon's every method is driven on that target; then OpenOCD is asked
 * over its own Tcl port whether ::ood_pwned exists, and the directory
 * must not exist. (tests/service's hostile-name case checks the name
 * round-trips; this one checks nothing in it ran.)
 */
#include <string.h>

#include <glib/gstdio.h>

#include "ood-error.h"
#include "ood-service-fixture.h"
#include "ood-state.h"

#define PC_RESET 0x80000000u
#define PC_BREAK 0x80000010u

typedef struct {
  const char *label;
  const char *before;   /* the name: before, the marker directory, after */
  const char *after;
} Case;

static const Case cases[] = {
  { "bracket", "pwn[set ::ood_pwned 1][file mkdir ", "]" },
  { "quote", "pwn\"; set ::ood_pwned 1; file mkdir ", "; \"" },
  { "brace", "pwn}; set ::ood_pwned 1; file mkdir ", "; {" },
  { "dollar", "pwn$::env(HOME)[set ::ood_pwned 1][file mkdir ", "]" },
};

static void
assert_nothing_ran (OodServiceFixture *fixture, const char *marker, const char *when)
{
  g_autofree char *exists = ood_test_tcl_eval_on (ood_service_fixture_get_testbed (fixture, 0),
                                                  "info exists ::ood_pwned");

  if (!g_str_equal (exists, "0") || g_file_test (marker, G_FILE_TEST_EXISTS))
    g_error ("part of the target name was evaluated by OpenOCD (%s): info exists ::ood_pwned "
             "= %s, %s %s", when, exists, marker,
             g_file_test (marker, G_FILE_TEST_EXISTS) ? "exists" : "does not exist");
}

static gboolean
something_ran (OodServiceFixture *fixture, const char *marker)
{
  g_autofree char *exists = ood_test_tcl_eval_on (ood_service_fixture_get_testbed (fixture, 0),
                                                  "info exists ::ood_pwned");

  return !g_str_equal (exists, "0") || g_file_test (marker, G_FILE_TEST_EXISTS);
}

/*
 * OpenOCD 0.12's own reset (ocd_process_reset_inner in its startup.tcl)
 * evaluates target names as scripts, so a name with [brackets] runs on
 * every reset however the caller quotes it. After Reset, then, the marker
 * is the daemon's doing only if OpenOCD's reset, issued directly on its
 * Tcl port, leaves it alone; otherwise it is noted and cleared.
 */
static void
assert_reset_ran_nothing (OodServiceFixture *fixture, const char *marker, const char *mode)
{
  OodTestbed *testbed = ood_service_fixture_get_testbed (fixture, 0);
  g_autofree char *when = g_strdup_printf ("after Reset(\"%s\")", mode);
  g_autofree char *direct = g_strdup_printf ("reset %s", mode);
  g_autofree char *ignored = NULL;

  if (!something_ran (fixture, marker))
    return;
  g_free (ood_test_tcl_eval_on (testbed, "unset ::ood_pwned"));
  g_rmdir (marker);
  ignored = ood_test_tcl_eval_on (testbed, direct);
  if (!something_ran (fixture, marker))
    assert_nothing_ran (fixture, marker, when);   /* fails: the daemon did it */
  g_test_message ("%s: the name was evaluated, but OpenOCD's own '%s' on its Tcl port "
                  "evaluates it too; not the daemon's doing", when, direct);
  g_free (ood_test_tcl_eval_on (testbed, "unset ::ood_pwned"));
  g_rmdir (marker);
}

static const char *
state_of (GVariant *dict, guint64 *pc)
{
  const char *name, *state;
  gboolean pc_valid;

  g_assert_true (ood_state_dict_parse (dict, &name, &state, &pc_valid, pc));
  return state;
}

/* Every method of org.openocd.Target and org.openocd.Breakpoints. */
static void
drive_every_method (OodServiceFixture *fixture, const char *name, const char *marker)
{
  OodDbusTarget *target = ood_service_fixture_get_target (fixture, 0);
  OodDbusBreakpoints *breakpoints = ood_service_fixture_get_breakpoints (fixture, 0);
  g_autoptr(GError) error = NULL;
  guint64 pc = 0;

  g_assert_cmpstr (ood_dbus_target_get_name (target), ==, name);
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_state_sync (target, &dict, NULL, &error));
    g_assert_no_error (error);
  }
  assert_nothing_ran (fixture, marker, "after state");
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_halt_sync (target, &dict, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (state_of (dict, &pc), ==, OOD_STATE_HALTED);
  }
  assert_nothing_ran (fixture, marker, "after halt");
  g_assert_true (ood_dbus_target_call_reset_sync (target, "halt", NULL, &error));
  g_assert_no_error (error);
  assert_reset_ran_nothing (fixture, marker, "halt");
  g_assert_true (ood_dbus_target_call_reset_sync (target, "init", NULL, &error));
  g_assert_no_error (error);
  assert_reset_ran_nothing (fixture, marker, "init");
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_step_sync (target, &dict, NULL, &error));
    g_assert_no_error (error);
  }
  assert_nothing_ran (fixture, marker, "after step");
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_step_at_sync (target, PC_RESET, &dict, NULL, &error));
    g_assert_no_error (error);
  }
  assert_nothing_ran (fixture, marker, "after step_at");
  g_assert_true (ood_dbus_breakpoints_call_add_sync (breakpoints, PC_BREAK, 4, "hw", NULL, &error));
  g_assert_no_error (error);
  assert_nothing_ran (fixture, marker, "after add");
  g_assert_true (ood_dbus_target_call_resume_sync (target, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_ran (fixture, marker, "after resume");
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_wait_halt_sync (target, 5000, &dict, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint ((state_of (dict, &pc), pc), ==, PC_BREAK);
  }
  assert_nothing_ran (fixture, marker, "after wait_halt");
  g_assert_true (ood_dbus_target_call_resume_at_sync (target, PC_RESET, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_ran (fixture, marker, "after resume_at");
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_true (ood_dbus_target_call_wait_halt_sync (target, 5000, &dict, NULL, &error));
    g_assert_no_error (error);
  }
  assert_nothing_ran (fixture, marker, "after wait_halt");
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (breakpoints, PC_BREAK, NULL, &error));
  g_assert_no_error (error);
  assert_nothing_ran (fixture, marker, "after remove");
  /* a refused call too: the error path quotes the name as well */
  g_assert_false (ood_dbus_breakpoints_call_remove_sync (breakpoints, PC_BREAK, NULL, &error));
  g_clear_error (&error);
  assert_nothing_ran (fixture, marker, "after remove");
  g_assert_true (ood_dbus_target_call_reset_sync (target, "run", NULL, &error));
  g_assert_no_error (error);
  assert_reset_ran_nothing (fixture, marker, "run");
  {
    g_autoptr(GVariant) dict = NULL;
    g_assert_false (ood_dbus_target_call_step_sync (target, &dict, NULL, &error));
    g_assert_error (error, OOD_ERROR, OOD_ERROR_NOT_HALTED);
  }
  assert_nothing_ran (fixture, marker, "after step");
}

static void
test_injection (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ood-injection-XXXXXX", &error);
  g_autofree char *marker = NULL;
  g_autofree char *name = NULL;
  OodServiceOptions options = { .no_service = TRUE };
  g_autoptr(OodServiceFixture) fixture = NULL;

  g_assert_no_error (error);
  marker = g_build_filename (dir, c->label, NULL);
  name = g_strconcat (c->before, marker, c->after, NULL);
  options.target_name = name;
  fixture = ood_service_fixture_new (&options, &error);
  g_assert_no_error (error);
  /* OpenOCD and its configuration alone evaluate nothing of the name */
  assert_nothing_ran (fixture, marker, "before the daemon started");

  g_assert_true (ood_service_fixture_start_service (fixture, &error));
  g_assert_no_error (error);
  drive_every_method (fixture, name, marker);
  assert_nothing_ran (fixture, marker, "after every method");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
  g_rmdir (marker);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hardening/tcl-injection/%s", cases[i].label);
      g_test_add_data_func (path, &cases[i], test_injection);
    }
  return g_test_run ();
}
