/* SPDX-License-Identifier: MIT */
/*
 * The door (service/ood-call.c) reads each method's polkit action from
 * its introspection data: every method of every interface in
 * introspection/ must name one, one of the actions the polkit policy
 * defines, or "none" for the few methods that only tell what properties
 * already publish. Checked on the XML files themselves (so a new file is
 * covered without being listed here) and on the introspection data the
 * daemon is built with.
 */
#include <gio/gio.h>

#include "ood-call.h"
#include "ood-generated.h"

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

static void
check_method (const char *iface, const GDBusMethodInfo *method)
{
  g_autofree char *full = g_strdup_printf ("%s.%s", iface, method->name);
  const char *action = ood_call_action_of (method);

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/actions/xml", test_xml);
  g_test_add_func ("/actions/generated", test_generated);
  return g_test_run ();
}
