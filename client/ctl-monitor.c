/* SPDX-License-Identifier: MIT */
/*
 * openocdctl monitor: one record per announced change, until SIGINT or
 * SIGTERM. It does not activate the service; it waits for it instead.
 */
#include "openocdctl.h"

#include <glib-unix.h>
#include <signal.h>

static const char *const target_properties[] = { "State", "CurrentPc", "CurrentPcValid", NULL };
/* A supervised OpenOCD's process; they change together. */
static const char *const process_properties[] = { "Pid", "Restarts", "LastExit", NULL };

/* Whether the service was running at the last "service" line. */
static gboolean service_running;

/* The text of a change: "default/riscv.cpu: halted pc=0x80000010", or
 * ": event halted", or ": added"; "service: running"; and the lines of
 * endpoints and probes below. */
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

/* "endpoint-added lab", "endpoint-removed lab" */
static const CtlField endpoint_fields[] = {
  { .member = "change" },
  { .member = "name", .prefix = " " },
  { NULL }
};

/* "lab: pid 4242, restarts 1, last exit: killed by signal 9 (Killed)"; pid
 * "-" while none runs, no last exit before the first */
static const CtlField process_fields[] = {
  { .member = "name" },
  { .member = "pid", .format = CTL_FORMAT_DECIMAL, .prefix = ": pid ", .absent = "-",
    .when = "pid" },
  { .member = "restarts", .format = CTL_FORMAT_DECIMAL, .prefix = ", restarts " },
  { .member = "last_exit", .prefix = ", last exit: ", .when = "last_exit" },
  { NULL }
};

/* "probe-added usb1_1_4 0483:374b ST-LINK/V2-1 serial 0668FF" */
static const CtlField probe_fields[] = {
  { .member = "change" },
  { .member = "id", .prefix = " " },
  { .member = "usb_id", .prefix = " " },
  { .member = "model", .prefix = " " },
  { .member = "serial", .prefix = " serial ", .when = "serial" },
  { NULL }
};

static const CtlLayout state_line = { CTL_LAYOUT_LINE, state_fields };
static const CtlLayout event_line = { CTL_LAYOUT_LINE, event_fields };
static const CtlLayout other_line = { CTL_LAYOUT_LINE, other_fields };
static const CtlLayout service_line = { CTL_LAYOUT_LINE, service_fields };
static const CtlLayout endpoint_line = { CTL_LAYOUT_LINE, endpoint_fields };
static const CtlLayout process_line = { CTL_LAYOUT_LINE, process_fields };
static const CtlLayout probe_line = { CTL_LAYOUT_LINE, probe_fields };

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

/*
 * Prints one record about @endpoint or @probe (the other is NULL): @change
 * is "endpoint-added", "endpoint-removed", "openocd" (its process changed),
 * "probe-added" or "probe-removed". -t does not filter these.
 */
static void
print_other_change (CtlContext *ctx, OodDbusEndpoint *endpoint, OodDbusProbe *probe,
                    const char *change)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(CtlRecord) record = NULL;
  const CtlLayout *layout;

  json_builder_begin_object (builder);
  ctl_build_string (builder, "change", change);
  if (endpoint != NULL)
    ctl_build_endpoint (builder, endpoint);
  else
    ctl_build_probe (builder, probe, ctx->manager);
  json_builder_end_object (builder);
  if (probe != NULL)
    layout = &probe_line;
  else if (g_str_equal (change, "openocd"))
    layout = &process_line;
  else
    layout = &endpoint_line;
  record = ctl_record_new_from_builder (layout, builder);
  ctl_render (ctx, record);
}

/* Whether a PropertiesChanged touches one of @names. */
static gboolean
touches (GVariant *changed, const char *const *invalidated, const char *const *names)
{
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_variant_lookup_value (changed, names[i], NULL);

      if (value != NULL || g_strv_contains (invalidated, names[i]))
        return TRUE;
    }
  return FALSE;
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, const char *const *invalidated,
                       gpointer user_data)
{
  if (touches (changed, invalidated, target_properties))
    print_change (user_data, OOD_DBUS_TARGET (proxy), "state", NULL);
}

static void
on_endpoint_properties_changed (GDBusProxy *proxy, GVariant *changed,
                                const char *const *invalidated, gpointer user_data)
{
  if (touches (changed, invalidated, process_properties))
    print_other_change (user_data, OOD_DBUS_ENDPOINT (proxy), NULL, "openocd");
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
watch_endpoint (CtlContext *ctx, OodDbusEndpoint *endpoint)
{
  g_signal_connect (endpoint, "g-properties-changed", G_CALLBACK (on_endpoint_properties_changed),
                    ctx);
}

static void
on_object_added (G_GNUC_UNUSED GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
  OodDbusTarget *target = ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object));
  OodDbusEndpoint *endpoint = ood_dbus_object_peek_endpoint (OOD_DBUS_OBJECT (object));
  OodDbusProbe *probe = ood_dbus_object_peek_probe (OOD_DBUS_OBJECT (object));

  if (target != NULL)
    target_appeared (user_data, target);
  if (endpoint != NULL)
    {
      watch_endpoint (user_data, endpoint);
      print_other_change (user_data, endpoint, NULL, "endpoint-added");
    }
  if (probe != NULL)
    print_other_change (user_data, NULL, probe, "probe-added");
}

static void
on_object_removed (G_GNUC_UNUSED GDBusObjectManager *manager, GDBusObject *object, gpointer user_data)
{
  OodDbusTarget *target = ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object));
  OodDbusEndpoint *endpoint = ood_dbus_object_peek_endpoint (OOD_DBUS_OBJECT (object));
  OodDbusProbe *probe = ood_dbus_object_peek_probe (OOD_DBUS_OBJECT (object));

  if (target != NULL)
    target_vanished (user_data, target);
  if (endpoint != NULL)
    {
      g_signal_handlers_disconnect_by_data (endpoint, user_data);
      print_other_change (user_data, endpoint, NULL, "endpoint-removed");
    }
  if (probe != NULL)
    print_other_change (user_data, NULL, probe, "probe-removed");
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

/* Prints the current state of every target, then watches them, and the
 * endpoints' supervised OpenOCDs. */
static void
watch_all (CtlContext *ctx)
{
  g_autoptr(GPtrArray) objects = ctl_list_objects (ctx, CTL_IFACE_TARGET);
  g_autoptr(GPtrArray) endpoints = ctl_list_objects (ctx, CTL_IFACE_ENDPOINT);

  for (guint i = 0; i < objects->len; i++)
    {
      OodDbusTarget *target = ood_dbus_object_peek_target (objects->pdata[i]);

      watch_target (ctx, target);
      print_change (ctx, target, "state", NULL);
    }
  for (guint i = 0; i < endpoints->len; i++)
    watch_endpoint (ctx, ood_dbus_object_peek_endpoint (endpoints->pdata[i]));
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
