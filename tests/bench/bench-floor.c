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
 * which figure 2 of the bench subtracts from the service's event latency.
 *
 * Given OpenOCD's Tcl port and a script as argv[2] and argv[3], Relay()
 * is the least a GDBus service can do to answer State() from OpenOCD: it
 * sends the script (the service's own State() script), and from the
 * reply ("0 NAME TYPE STATE PC ...") answers the same a{sv} as the
 * service's State(), with no other work: no caller identity, no policy,
 * no queue but the one call in flight, a parse that only splits at
 * spaces. Figure 1 times it beside State(). */
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#define FLOOR_NAME  "org.openocd.BenchFloor"
#define FLOOR_PATH  "/org/openocd/BenchFloor"

static const char floor_xml[] = "<node>"
                                "  <interface name='org.openocd.BenchFloor'>"
                                "    <method name='Ping'/>"
                                "    <method name='Emit'/>"
                                "    <method name='Relay'>"
                                "      <arg name='state' type='a{sv}' direction='out'/>"
                                "    </method>"
                                "    <property name='State' type='s' access='read'/>"
                                "  </interface>"
                                "</node>";

/* Relay(): OpenOCD's Tcl connection, the script, and the calls that
 * wait, the first of them in flight. */
static GSocketConnection *tcl_connection;
static GSocket *tcl; /* tcl_connection's */
static char *relay_script;
static GQueue relay_calls = G_QUEUE_INIT;
static GString *relay_reply;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
relay_send (void)
{
  g_autoptr(GError) error = NULL;
  gsize length = strlen (relay_script);

  /* a script of a few hundred bytes fits the socket's buffer */
  if (g_socket_send (tcl, relay_script, length, NULL, &error) != (gssize) length)
    {
      g_printerr ("openocd-dbus-bench-floor: sending to OpenOCD: %s\n",
                  error != NULL ? error->message : "short write");
      exit (EXIT_FAILURE);
    }
}

/* "0 NAME TYPE STATE PC ..." (ood_tcl_script_state()), split at spaces:
 * the bench's target has no space in its name and an empty type, "{}". */
static void
relay_answer (GDBusMethodInvocation *invocation, const char *reply)
{
  g_auto(GStrv) fields = g_strsplit (reply, " ", 6);
  GVariantBuilder state;

  if (g_strv_length (fields) < 5 || !g_str_equal (fields[0], "0"))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                             "OpenOCD answered %s", reply);
      return;
    }
  g_variant_builder_init (&state, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&state, "{sv}", "name", g_variant_new_string (fields[1]));
  g_variant_builder_add (&state, "{sv}", "state", g_variant_new_string (fields[3]));
  if (g_str_has_prefix (fields[4], "0x"))
    g_variant_builder_add (&state, "{sv}", "current_pc",
                           g_variant_new_uint64 (g_ascii_strtoull (fields[4] + 2, NULL, 16)));
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a{sv})", &state));
}

static gboolean
on_tcl_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  char buffer[4096];
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  const char *end;

  (void) condition;
  (void) user_data;
  if (n <= 0)
    {
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      g_printerr ("openocd-dbus-bench-floor: OpenOCD's connection closed\n");
      exit (EXIT_FAILURE);
    }
  g_string_append_len (relay_reply, buffer, n);
  while ((end = memchr (relay_reply->str, 0x1a, relay_reply->len)) != NULL)
    {
      gsize length = (gsize) (end - relay_reply->str);
      g_autofree char *reply = g_strndup (relay_reply->str, length);
      GDBusMethodInvocation *invocation = g_queue_pop_head (&relay_calls);

      g_string_erase (relay_reply, 0, (gssize) length + 1);
      if (invocation != NULL)
        relay_answer (invocation, reply);
      if (!g_queue_is_empty (&relay_calls))
        relay_send ();
    }
  return G_SOURCE_CONTINUE;
}

static void
relay_connect (const char *port, const char *script)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSource) source = NULL;
  guint64 number = 0;

  if (!g_ascii_string_to_unsigned (port, 10, 1, G_MAXUINT16, &number, &error))
    {
      g_printerr ("openocd-dbus-bench-floor: %s\n", error->message);
      exit (EXIT_FAILURE);
    }
  tcl_connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) number, NULL,
                                                    &error);
  if (tcl_connection == NULL)
    {
      g_printerr ("openocd-dbus-bench-floor: %s\n", error->message);
      exit (EXIT_FAILURE);
    }
  tcl = g_socket_connection_get_socket (tcl_connection);
  g_socket_set_blocking (tcl, FALSE);
  g_socket_set_option (tcl, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  relay_script = g_strconcat (script, "\x1a", NULL);
  relay_reply = g_string_new (NULL);
  source = g_socket_create_source (tcl, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_tcl_readable), NULL, NULL);
  g_source_attach (source, NULL);
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
  else if (g_str_equal (method_name, "Relay") && tcl != NULL)
    {
      g_queue_push_tail (&relay_calls, invocation);
      if (relay_calls.length == 1)
        relay_send ();
    }
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

  if (argc != 2 && argc != 4)
    {
      g_printerr ("usage: %s BUS-ADDRESS [TCL-PORT STATE-SCRIPT]\n", argv[0]);
      return EXIT_FAILURE;
    }
  if (argc == 4)
    relay_connect (argv[2], argv[3]);
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
