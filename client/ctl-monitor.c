/* SPDX-License-Identifier: MIT */
/*
 * openocdctl monitor: one record per announced change, until SIGINT or
 * SIGTERM. It does not activate the service; it waits for it instead.
 */
#include "openocdctl.h"

#include <glib-unix.h>
#include <signal.h>

static const char *const watched_properties[] = { "State", "CurrentPc", "CurrentPcValid", NULL };

/* Whether the service was running at the last "service" line. */
static gboolean service_running;

/* The text of a change: "default/riscv.cpu: halted pc=0x80000010", or
 * ": event halted", or ": added"; "service: running". */
static const CtlField state_fields[] = {
  { .member = "endpoint" },
  { .member = "name", .prefix = "/" },
  { .member = "state", .prefix = ": " },
  { .member = "current_pc", .format = CTL_FORMAT_HEX, .prefix = " pc=" },
  { NULL }
};

static const CtlField event_fields[] = {
  { .member = "endpoint" },
  { .member = "name", .prefix = "/" },
  { .member = "event", .prefix = ": event " },
  { NULL }
};

static const CtlField other_fields[] = {
  { .member = "endpoint" },
  { .member = "name", .prefix = "/" },
  { .member = "change", .prefix = ": " },
  { NULL }
};

static const CtlField service_fields[] = {
  { .member = "change" },
  { .member = "running", .format = CTL_FORMAT_BOOL, .prefix = ": ", .yes = "running", .no = "stopped" },
  { NULL }
};

static const CtlLayout state_line = { CTL_LAYOUT_LINE, state_fields };
static const CtlLayout event_line = { CTL_LAYOUT_LINE, event_fields };
static const CtlLayout other_line = { CTL_LAYOUT_LINE, other_fields };
static const CtlLayout service_line = { CTL_LAYOUT_LINE, service_fields };

/*
 * Prints one record about @target. @change is "state", "event", "added" or
 * "removed"; @event is the TargetEvent's argument, else NULL.
 */
static void
print_change (CtlContext *ctx, OodDbusTarget *target, const char *change, const char *event)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(CtlRecord) record = NULL;
  const CtlLayout *layout;

  if (ctx->target != NULL && !ctl_target_matches (target, ctx->target))
    return;
  if (event != NULL)
    layout = &event_line;
  else if (g_str_equal (change, "state"))
    layout = &state_line;
  else
    layout = &other_line;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "change");
  json_builder_add_string_value (builder, change);
  ctl_build_target (builder, target);
  if (event != NULL)
    {
      json_builder_set_member_name (builder, "event");
      json_builder_add_string_value (builder, event);
    }
  json_builder_end_object (builder);
  record = ctl_record_new_from_builder (layout, builder);
  ctl_render (ctx, record);
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
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(CtlRecord) record = NULL;

  /* GLib notifies a NULL owner before every new one. */
  if ((owner != NULL) == service_running)
    return;
  service_running = owner != NULL;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "change");
  json_builder_add_string_value (builder, "service");
  json_builder_set_member_name (builder, "running");
  json_builder_add_boolean_value (builder, owner != NULL);
  json_builder_end_object (builder);
  record = ctl_record_new_from_builder (&service_line, builder);
  ctl_render (ctx, record);
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
  g_autoptr(GPtrArray) objects = ctl_list_objects (ctx, CTL_IFACE_TARGET);

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

/* Renders each change as its own record (with --json, JSON lines) until a
 * signal; its own record is empty. */
CtlRecord *
ctl_cmd_monitor (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *owner = NULL;
  guint sigint, sigterm;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error) ||
      !ctl_connect (ctx, TRUE, error))
    return NULL;
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctx->manager));
  service_running = owner != NULL;
  if (owner == NULL)
    ctl_notice (ctx, "the service is not running; waiting for it");

  watch_all (ctx);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (ctx->manager, ctx);
  return ctl_record_new_empty ();
}
