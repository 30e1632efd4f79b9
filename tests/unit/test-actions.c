/* SPDX-License-Identifier: MIT */
/*
 * The door (service/ood-call.c) reads each method's polkit action from
 * its introspection data: every method of every interface in
 * introspection/ must name one, one of the actions the polkit policy
 * defines, or "none" for the few methods that only tell what properties
 * already publish. Every method also lists the errors it can return, in
 * the annotation org.openocd.Errors: full D-Bus error names, each a name
 * of the registered error domain (introspection/ood-error.c) or a
 * standard org.freedesktop.DBus.Error one (the tests' ASSERT_METHOD_ERROR
 * checks that an error a test sees is listed for its method). Checked on
 * the XML files themselves (so a new file is covered without being listed
 * here) and on the introspection data the daemon is built with.
 */
#include <gio/gio.h>

#include "ood-call.h"
#include "ood-error.h"
#include "ood-generated.h"

#define ERRORS_ANNOTATION "org.openocd.Errors"

/* Methods that need no action: they answer what everyone may read as
 * properties already (State, a lookup, a bank's layout), and WaitHalt,
 * which waits for a property to change. */
static const char *const public_methods[] = {
  "org.openocd.Target.State", "org.openocd.Target.WaitHalt", "org.openocd.Flash.Sectors",
  "org.openocd.Manager.FindTarget", NULL,
};

static const char *const actions[] = {
  OOD_ACTION_INSPECT, OOD_ACTION_CONTROL, OOD_ACTION_PROGRAM, OOD_ACTION_MANAGE,
  OOD_ACTION_LEASE, OOD_ACTION_RAW, NULL,
};

/* @name is a D-Bus error name a client can map: one of the registered
 * domain's, or a standard one GDBus knows. */
static gboolean
is_known_error (const char *name)
{
  GQuark ours = OOD_ERROR;   /* registered before the name is looked up */
  g_autoptr(GError) error = g_dbus_error_new_for_dbus_error (name, "");

  if (g_str_has_prefix (name, "org.openocd.Error."))
    return error->domain == ours;
  return g_str_has_prefix (name, "org.freedesktop.DBus.Error.") && error->domain == G_DBUS_ERROR;
}

static void
check_errors (const char *full, const GDBusMethodInfo *method)
{
  const char *value = g_dbus_annotation_info_lookup (method->annotations, ERRORS_ANNOTATION);
  g_auto(GStrv) names = NULL;

  if (value == NULL || *value == '\0')
    g_error ("%s lists no errors (annotation " ERRORS_ANNOTATION ")", full);
  names = g_strsplit (value, " ", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (!is_known_error (names[i]))
        g_error ("%s lists '%s', no registered or standard D-Bus error name", full, names[i]);
      for (guint j = 0; j < i; j++)
        if (g_str_equal (names[i], names[j]))
          g_error ("%s lists %s twice", full, names[i]);
    }
}

static void
check_method (const char *iface, const GDBusMethodInfo *method)
{
  g_autofree char *full = g_strdup_printf ("%s.%s", iface, method->name);
  const char *action = ood_call_action_of (method);

  check_errors (full, method);

  if (action == NULL)
    g_error ("%s names no polkit action (annotation org.openocd.Action)", full);
  if (g_str_equal (action, OOD_ACTION_NONE))
    {
      if (!g_strv_contains (public_methods, full))
        g_error ("%s needs no action, but is not one of the public methods", full);
    }
  else if (!g_strv_contains (actions, action))
    g_error ("%s names an unknown action '%s'", full, action);
}

static guint
check_interface (const GDBusInterfaceInfo *info)
{
  guint n = 0;

  for (guint i = 0; info->methods != NULL && info->methods[i] != NULL; i++, n++)
    check_method (info->name, info->methods[i]);
  return n;
}

/* Every XML file in introspection/, as written. */
static void
test_xml (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (OOD_INTROSPECTION_DIR, 0, &error);
  const char *name;
  guint files = 0, methods = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL, *text = NULL;
      g_autoptr(GDBusNodeInfo) node = NULL;

      if (!g_str_has_suffix (name, ".xml"))
        continue;
      path = g_build_filename (OOD_INTROSPECTION_DIR, name, NULL);
      g_assert_true (g_file_get_contents (path, &text, NULL, &error));
      node = g_dbus_node_info_new_for_xml (text, &error);
      g_assert_no_error (error);
      for (guint i = 0; node->interfaces[i] != NULL; i++)
        methods += check_interface (node->interfaces[i]);
      files++;
    }
  g_test_message ("%u methods in %u files", methods, files);
  g_assert_cmpuint (files, >=, 9);
  g_assert_cmpuint (methods, >=, 32);
}

/* The data gdbus-codegen compiled in, which the door reads at run time. */
static void
test_generated (void)
{
  GDBusInterfaceInfo *infos[] = {
    ood_dbus_target_interface_info (), ood_dbus_breakpoints_interface_info (),
    ood_dbus_registers_interface_info (), ood_dbus_memory_interface_info (),
    ood_dbus_flash_interface_info (), ood_dbus_job_interface_info (),
    ood_dbus_endpoint_interface_info (), ood_dbus_manager_interface_info (),
    ood_dbus_probe_interface_info (), ood_dbus_lease_interface_info (),
    ood_dbus_rtt_interface_info (),
  };
  guint methods = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (infos); i++)
    methods += check_interface (infos[i]);
  g_assert_cmpuint (methods, >=, 32);
  g_assert_cmpstr (ood_call_action_of (g_dbus_interface_info_lookup_method (
                     ood_dbus_target_interface_info (), "Halt")), ==, OOD_ACTION_CONTROL);
}

/* The check itself tells a listed name from one that is not an error. */
static void
test_error_names (void)
{
  g_assert_true (is_known_error ("org.openocd.Error.NotHalted"));
  g_assert_true (is_known_error ("org.openocd.Error.NoSuchBreakpoint"));
  g_assert_true (is_known_error ("org.freedesktop.DBus.Error.InvalidArgs"));
  g_assert_false (is_known_error ("org.openocd.Error.NoSuchThing"));
  g_assert_false (is_known_error ("org.freedesktop.DBus.Error.NoSuchThing"));
  g_assert_false (is_known_error ("InvalidArgs"));
  g_assert_false (is_known_error (""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/actions/xml", test_xml);
  g_test_add_func ("/actions/generated", test_generated);
  g_test_add_func ("/actions/error-names", test_error_names);
  return g_test_run ();
}
