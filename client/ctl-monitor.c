/* SPDX-License-Identifier: MIT */
/*
 * openocdctl monitor: one line per announced change, until SIGINT or
 * SIGTERM. It does not activate the service; it waits for it instead.
 */
#include "openocdctl.h"

#include <glib-unix.h>
#include <signal.h>

static const char *const watched_properties[] = { "State", "CurrentPc", "CurrentPcValid", NULL };

/* Whether the service was running at the last "service" line. */
static gboolean service_running;

/*
 * Prints one line about @target. @change is "state", "event", "added" or
 * "removed"; @event is the TargetEvent's argument, else NULL.
 */
static void
print_change (CtlContext *ctx, OodDbusTarget *target, const char *change, const char *event)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *label = ctl_target_label (target);

  if (ctx->target != NULL && !ctl_target_matches (target, ctx->target))
    return;
  if (ctx->json)
    {
      ctl_json_begin (line, '{');
      ctl_json_string (line, "change", change);
      ctl_append_target_json (line, target);
      if (event != NULL)
        ctl_json_string (line, "event", event);
      ctl_json_end (line, '{');
    }
  else if (event != NULL)
    g_string_append_printf (line, "%s: event %s", label, event);
  else if (g_str_equal (change, "state") && ood_dbus_target_get_current_pc_valid (target))
    g_string_append_printf (line, "%s: %s pc=0x%" G_GINT64_MODIFIER "x", label,
                            ood_dbus_target_get_state (target), ood_dbus_target_get_current_pc (target));
  else if (g_str_equal (change, "state"))
    g_string_append_printf (line, "%s: %s", label, ood_dbus_target_get_state (target));
  else
    g_string_append_printf (line, "%s: %s", label, change);
  ctl_emit (line);
}

static gboolean
touches_state (GVariant *changed, const char *const *invalidated)
{
  for (gsize i = 0; watched_properties[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_variant_lookup_value (changed, watched_properties[i], NULL);

      if (value != NULL || g_strv_contains (invalidated, watched_properties[i]))
        return TRUE;
    }
  return FALSE;
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, const char *const *invalidated,
                       gpointer user_data)
{
  if (touches_state (changed, invalidated))
    print_change (user_data, OOD_DBUS_TARGET (proxy), "state", NULL);
}

static void
on_target_event (OodDbusTarget *target, const char *event, gpointer user_data)
{
  print_change (user_data, target, "event", event);
}

static void
watch_target (CtlContext *ctx, OodDbusTarget *target)
{
  g_signal_connect (target, "g-properties-changed", G_CALLBACK (on_properties_changed), ctx);
  g_signal_connect (target, "target-event", G_CALLBACK (on_target_event), ctx);
}

static void
target_appeared (CtlContext *ctx, OodDbusTarget *target)
{
  watch_target (ctx, target);
  print_change (ctx, target, "added", NULL);
}

static void
target_vanished (CtlContext *ctx, OodDbusTarget *target)
{
  g_signal_handlers_disconnect_by_data (target, ctx);
  print_change (ctx, target, "removed", NULL);
}

static void
on_object_added (G_GNUC_UNUSED GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
  OodDbusTarget *target = ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object));

  if (target != NULL)
    target_appeared (user_data, target);
}

static void
on_object_removed (G_GNUC_UNUSED GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
  OodDbusTarget *target = ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object));

  if (target != NULL)
    target_vanished (user_data, target);
}

/* An existing object may gain or lose the Target interface, too. */
static void
on_interface_added (G_GNUC_UNUSED GDBusObjectManager *manager, G_GNUC_UNUSED GDBusObject *object,
                    GDBusInterface *iface, gpointer user_data)
{
  if (OOD_DBUS_IS_TARGET (iface))
    target_appeared (user_data, OOD_DBUS_TARGET (iface));
}

static void
on_interface_removed (G_GNUC_UNUSED GDBusObjectManager *manager, G_GNUC_UNUSED GDBusObject *object,
                      GDBusInterface *iface, gpointer user_data)
{
  if (OOD_DBUS_IS_TARGET (iface))
    target_vanished (user_data, OOD_DBUS_TARGET (iface));
}

static void
on_name_owner (GObject *manager, G_GNUC_UNUSED GParamSpec *pspec, gpointer user_data)
{
  CtlContext *ctx = user_data;
  g_autofree char *owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));
  g_autoptr(GString) line = g_string_new (NULL);

  /* GLib notifies a NULL owner before every new one. */
  if ((owner != NULL) == service_running)
    return;
  service_running = owner != NULL;
  if (ctx->json)
    {
      ctl_json_begin (line, '{');
      ctl_json_string (line, "change", "service");
      ctl_json_bool (line, "running", owner != NULL);
      ctl_json_end (line, '{');
    }
  else
    g_string_append (line, owner ? "service: running" : "service: stopped");
  ctl_emit (line);
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* Prints the current state of every target, then watches them. */
static void
watch_all (CtlContext *ctx)
{
  g_autoptr(GPtrArray) objects = ctl_list_objects (ctx, TRUE);

  for (guint i = 0; i < objects->len; i++)
    {
      OodDbusTarget *target = ood_dbus_object_peek_target (objects->pdata[i]);

      watch_target (ctx, target);
      print_change (ctx, target, "state", NULL);
    }
  g_signal_connect (ctx->manager, "object-added", G_CALLBACK (on_object_added), ctx);
  g_signal_connect (ctx->manager, "object-removed", G_CALLBACK (on_object_removed), ctx);
  g_signal_connect (ctx->manager, "interface-added", G_CALLBACK (on_interface_added), ctx);
  g_signal_connect (ctx->manager, "interface-removed", G_CALLBACK (on_interface_removed), ctx);
  g_signal_connect (ctx->manager, "notify::name-owner", G_CALLBACK (on_name_owner), ctx);
}

int
ctl_cmd_monitor (CtlContext *ctx, int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;
  guint sigint, sigterm;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL))
    return CTL_EXIT_USAGE;
  if (!ctl_connect (ctx, TRUE, &error))
    return ctl_failure (error);
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctx->manager));
  service_running = owner != NULL;
  if (owner == NULL && !ctx->json)
    g_printerr ("%s: the service is not running; waiting for it\n", g_get_prgname ());

  watch_all (ctx);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (ctx->manager, ctx);
  return CTL_EXIT_OK;
}
