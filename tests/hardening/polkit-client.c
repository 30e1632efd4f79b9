/* SPDX-License-Identifier: MIT */
/*
 * polkit-client ADDRESS PATH N: sends N Target.Halt() calls to org.openocd
 * at PATH on the bus at ADDRESS, all at once on one connection, and
 * prints one line per reply ("ok" or the D-Bus error name), so that
 * test-access can check that identical polkit questions of one caller in
 * flight share one polkit call. Run as another user through setpriv.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  guint      left;
  GMainLoop *loop;
} Run;

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  g_autofree char *name = error != NULL ? g_dbus_error_get_remote_error (error) : NULL;

  printf ("%s\n", reply != NULL ? "ok" : name != NULL ? name : error->message);
  if (--run->left == 0)
    g_main_loop_quit (run->loop);
}

int
main (int argc, char **argv)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  if (argc != 4 || (run.left = (guint) strtoul (argv[3], NULL, 10)) == 0)
    {
      g_printerr ("usage: %s ADDRESS PATH N\n", argv[0]);
      return 2;
    }
  bus = g_dbus_connection_new_for_address_sync (argv[1],
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  run.loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0, n = run.left; i < n; i++)
    g_dbus_connection_call (bus, "org.openocd", argv[2], "org.openocd.Target", "Halt", NULL,
                            NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL, on_reply, &run);
  g_main_loop_run (run.loop);
  g_main_loop_unref (run.loop);
  return 0;
}
