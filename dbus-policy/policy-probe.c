/* SPDX-License-Identifier: MIT */
/*
 * policy-probe ADDRESS: owns org.openocd on the bus at ADDRESS and answers
 * every method call with an empty reply, so that check-policy.sh can tell
 * calls the bus policy lets through from calls it rejects.
 * Prints "ready" once it owns the name.
 */
#include <gio/gio.h>
#include <stdio.h>

static GDBusMessage *
reply_to_calls (GDBusConnection *bus, GDBusMessage *message, gboolean incoming,
                G_GNUC_UNUSED gpointer user_data)
{
  g_autoptr(GDBusMessage) reply = NULL;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  reply = g_dbus_message_new_method_reply (message);
  g_dbus_connection_send_message (bus, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
  g_object_unref (message);
  return NULL;
}

static gboolean
own_name (GDBusConnection *bus, GError **error)
{
  g_autoptr(GVariant) result = NULL;
  guint32 code = 0;

  result = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "RequestName",
                                        g_variant_new ("(su)", "org.openocd", 4 /* DO_NOT_QUEUE */),
                                        G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                        NULL, error);
  if (result == NULL)
    return FALSE;
  g_variant_get (result, "(u)", &code);
  if (code == 1 /* PRIMARY_OWNER */)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "RequestName answered %u", code);
  return FALSE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: %s ADDRESS\n", argv[0]);
      return 2;
    }
  bus = g_dbus_connection_new_for_address_sync (argv[1],
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  if (bus != NULL)
    g_dbus_connection_add_filter (bus, reply_to_calls, NULL, NULL);
  if (bus == NULL || !own_name (bus, &error))
    {
      g_printerr ("policy-probe: %s\n", error->message);
      return 1;
    }
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
