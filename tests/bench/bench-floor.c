/* SPDX-License-Identifier: MIT */
/* The floor of the benchmark: the least a GDBus service can do. It owns
 * org.openocd.BenchFloor on the bus given as argv[1] and exports
 * /org/openocd/BenchFloor with one empty method Ping() and one string
 * property State = "halted", both answered at once from the main loop,
 * exactly as openocd-dbusd answers its cached properties. Emit() makes it
 * emit a PropertiesChanged of State like the service's on a halt, with one
 * more property, Stamp (x), the CLOCK_MONOTONIC ns just before the
 * emission: a subscriber's receipt minus Stamp is what the signal path
 * costs (the emitter's GDBus, the bus daemon, the subscriber's wake-up),
 * which figure 2 of the bench subtracts from the service's event latency. */
#include <gio/gio.h>
#include <stdlib.h>
#include <time.h>

#define FLOOR_NAME  "org.openocd.BenchFloor"
#define FLOOR_PATH  "/org/openocd/BenchFloor"

static const char floor_xml[] = "<node>"
                                "  <interface name='org.openocd.BenchFloor'>"
                                "    <method name='Ping'/>"
                                "    <method name='Emit'/>"
                                "    <property name='State' type='s' access='read'/>"
                                "  </interface>"
                                "</node>";

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* PropertiesChanged of State, stamped; the reply to Emit() follows it. */
static void
emit_state (GDBusConnection *connection)
{
  GVariantBuilder changed;

  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&changed, "{sv}", "State", g_variant_new_string ("halted"));
  g_variant_builder_add (&changed, "{sv}", "Stamp", g_variant_new_int64 (now_ns ()));
  g_dbus_connection_emit_signal (connection, NULL, FLOOR_PATH, "org.freedesktop.DBus.Properties",
                                 "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", FLOOR_NAME, &changed, NULL), NULL);
}

static void
on_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                const char *interface_name, const char *method_name, GVariant *parameters,
                GDBusMethodInvocation *invocation, gpointer user_data)
{
  (void) sender;
  (void) object_path;
  (void) interface_name;
  (void) parameters;
  (void) user_data;
  if (g_str_equal (method_name, "Ping"))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else if (g_str_equal (method_name, "Emit"))
    {
      emit_state (connection);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "no method %s", method_name);
}

static GVariant *
on_get_property (GDBusConnection *connection, const char *sender, const char *object_path,
                 const char *interface_name, const char *property_name, GError **error,
                 gpointer user_data)
{
  (void) connection;
  (void) sender;
  (void) object_path;
  (void) interface_name;
  (void) user_data;
  if (g_str_equal (property_name, "State"))
    return g_variant_new_string ("halted");
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "no property %s", property_name);
  return NULL;
}

static const GDBusInterfaceVTable vtable = { on_method_call, on_get_property, NULL, { 0 } };

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  (void) connection;
  g_printerr ("openocd-dbus-bench-floor: could not own %s\n", name);
  g_main_loop_quit (user_data);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint owner;

  if (argc != 2)
    {
      g_printerr ("usage: %s BUS-ADDRESS\n", argv[0]);
      return EXIT_FAILURE;
    }
  bus = g_dbus_connection_new_for_address_sync (argv[1],
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("openocd-dbus-bench-floor: %s\n", error->message);
      return EXIT_FAILURE;
    }
  /* ends with the bus */
  g_dbus_connection_set_exit_on_close (bus, TRUE);
  info = g_dbus_node_info_new_for_xml (floor_xml, &error);
  g_assert_no_error (error);
  if (g_dbus_connection_register_object (bus, FLOOR_PATH, info->interfaces[0], &vtable, NULL,
                                         NULL, &error) == 0)
    {
      g_printerr ("openocd-dbus-bench-floor: %s\n", error->message);
      return EXIT_FAILURE;
    }
  owner = g_bus_own_name_on_connection (bus, FLOOR_NAME, G_BUS_NAME_OWNER_FLAGS_NONE, NULL,
                                        on_name_lost, loop, NULL);
  g_main_loop_run (loop);
  g_bus_unown_name (owner);
  return EXIT_FAILURE;
}
