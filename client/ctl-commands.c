/* SPDX-License-Identifier: MIT */
/* The commands acting on one target, and the listings. */
#include "openocdctl.h"

typedef gboolean (*CtlStateCall) (OodDbusTarget  *target,
                                  GVariant      **out_state,
                                  GCancellable   *cancellable,
                                  GError        **error);

/* ENDPOINT NAME TYPE STATE PC GDB, as "%-12s %-20s %-12s %-14s %-10s %s": GDB is
 * OpenOCD's GDB port for the target, "-" for none, and "*" after it while a
 * GDB is attached. */
static const CtlField target_fields[] = {
  { .member = "endpoint", .width = 12, .heading = "ENDPOINT" },
  { .member = "name", .prefix = " ", .width = 20, .heading = "NAME" },
  { .member = "type", .prefix = " ", .width = 12, .heading = "TYPE" },
  { .member = "state", .prefix = " ", .width = 14, .heading = "STATE" },
  { .member = "current_pc", .format = CTL_FORMAT_HEX, .prefix = " ", .width = 10, .absent = "-",
    .heading = "PC" },
  { .member = "gdb_port", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .absent = "-",
    .when = "gdb_port", .heading = "GDB" },
  { .member = "gdb_attached", .format = CTL_FORMAT_BOOL, .yes = "*", .no = "" },
  { NULL }
};

static const CtlLayout target_table = { CTL_LAYOUT_TABLE, target_fields };

/* NAME ADDRESS CONNECTED ORIGIN PID RESTARTS VERSION, as
 * "%-12s %-22s %-10s %-12s %-8s %-8s %s": PID "-" while no OpenOCD of the
 * service's runs, RESTARTS "-" for an endpoint the service does not supervise. */
static const CtlField endpoint_fields[] = {
  { .member = "name", .width = 12, .heading = "NAME" },
  { .member = "address", .prefix = " ", .width = 22, .absent = "-", .heading = "ADDRESS" },
  { .member = "connected", .format = CTL_FORMAT_BOOL, .prefix = " ", .width = 10,
    .heading = "CONNECTED", .yes = "yes", .no = "no" },
  { .member = "origin", .prefix = " ", .width = 12, .heading = "ORIGIN" },
  { .member = "pid", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .width = 8, .absent = "-",
    .when = "pid", .heading = "PID" },
  { .member = "restarts", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .width = 8, .absent = "-",
    .when = "supervised", .heading = "RESTARTS" },
  { .member = "version", .prefix = " ", .heading = "VERSION" },
  { NULL }
};

static const CtlLayout endpoint_table = { CTL_LAYOUT_TABLE, endpoint_fields };

/* ID VID:PID SERIAL USB-PATH MODEL ACCESSIBLE ENDPOINT, as
 * "%-12s %-9s %-20s %-10s %-16s %-10s %s" */
static const CtlField probe_fields[] = {
  { .member = "id", .width = 12, .heading = "ID" },
  { .member = "usb_id", .prefix = " ", .width = 9, .heading = "VID:PID" },
  { .member = "serial", .prefix = " ", .width = 20, .absent = "-", .heading = "SERIAL" },
  { .member = "usb_path", .prefix = " ", .width = 10, .heading = "USB-PATH" },
  { .member = "model", .prefix = " ", .width = 16, .heading = "MODEL" },
  { .member = "accessible", .format = CTL_FORMAT_BOOL, .prefix = " ", .width = 10,
    .heading = "ACCESSIBLE", .yes = "yes", .no = "no" },
  { .member = "endpoint", .prefix = " ", .absent = "-", .heading = "ENDPOINT" },
  { NULL }
};

static const CtlLayout probe_table = { CTL_LAYOUT_TABLE, probe_fields };

/* Adds the members of one listed object. */
static void
build_listed (CtlContext *ctx, JsonBuilder *builder, const char *iface, OodDbusObject *object)
{
  if (g_str_equal (iface, CTL_IFACE_TARGET))
    ctl_build_target (builder, ood_dbus_object_peek_target (object));
  else if (g_str_equal (iface, CTL_IFACE_ENDPOINT))
    ctl_build_endpoint (builder, ood_dbus_object_peek_endpoint (object));
  else
    ctl_build_probe (builder, ood_dbus_object_peek_probe (object), ctx->manager);
}

/* An array of the cached properties of the objects implementing @iface. */
static CtlRecord *
listing (CtlContext *ctx, int argc, char **argv, const char *iface, const CtlLayout *layout,
         GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) objects = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error) ||
      !ctl_connect (ctx, FALSE, error))
    return NULL;
  objects = ctl_list_objects (ctx, iface);
  json_builder_begin_array (builder);
  for (guint i = 0; i < objects->len; i++)
    {
      json_builder_begin_object (builder);
      build_listed (ctx, builder, iface, objects->pdata[i]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (layout, builder);
}

CtlRecord *
ctl_cmd_list (CtlContext *ctx, int argc, char **argv, GError **error)
{
  return listing (ctx, argc, argv, CTL_IFACE_TARGET, &target_table, error);
}

CtlRecord *
ctl_cmd_endpoints (CtlContext *ctx, int argc, char **argv, GError **error)
{
  return listing (ctx, argc, argv, CTL_IFACE_ENDPOINT, &endpoint_table, error);
}

CtlRecord *
ctl_cmd_probes (CtlContext *ctx, int argc, char **argv, GError **error)
{
  return listing (ctx, argc, argv, CTL_IFACE_PROBE, &probe_table, error);
}

/* Runs a method that takes no argument and returns a state dictionary. */
static CtlRecord *
state_call (CtlContext *ctx, int argc, char **argv, CtlStateCall call, GError **error)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GVariant) state = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error))
    return NULL;
  target = ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS, error);
  if (target == NULL || !call (target, &state, NULL, error))
    return NULL;
  return ctl_record_from_state_dict (target, state, error);
}

CtlRecord *
ctl_cmd_state (CtlContext *ctx, int argc, char **argv, GError **error)
{
  return state_call (ctx, argc, argv, ood_dbus_target_call_state_sync, error);
}

CtlRecord *
ctl_cmd_halt (CtlContext *ctx, int argc, char **argv, GError **error)
{
  return state_call (ctx, argc, argv, ood_dbus_target_call_halt_sync, error);
}

/* Parses resume's and step's arguments (the optional ADDR) and opens the
 * target, or fails. */
static OodDbusTarget *
open_with_address (CtlContext *ctx, int argc, char **argv, gboolean *given, guint64 *address,
                   GError **error)
{
  g_autoptr(GError) local = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error))
    return NULL;
  *given = argc > 1;
  if (*given && !ctl_parse_number (argv[1], G_MAXUINT64, address, &local))
    {
      ctl_usage_error (error, "%s", local->message);
      return NULL;
    }
  return ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS, error);
}

/* Text: nothing. JSON: {"action":"resume","endpoint":…,"name":…[,"address":N]} */
CtlRecord *
ctl_cmd_resume (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean at = FALSE;
  guint64 address = 0;
  gboolean ok;

  target = open_with_address (ctx, argc, argv, &at, &address, error);
  if (target == NULL)
    return NULL;
  if (at)
    ok = ood_dbus_target_call_resume_at_sync (target, address, NULL, error);
  else
    ok = ood_dbus_target_call_resume_sync (target, NULL, error);
  if (!ok)
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_done (builder, target, "resume");
  if (at)
    ctl_build_uint (builder, "address", address);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}

CtlRecord *
ctl_cmd_step (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GVariant) state = NULL;
  gboolean at = FALSE;
  guint64 address = 0;
  gboolean ok;

  target = open_with_address (ctx, argc, argv, &at, &address, error);
  if (target == NULL)
    return NULL;
  if (at)
    ok = ood_dbus_target_call_step_at_sync (target, address, &state, NULL, error);
  else
    ok = ood_dbus_target_call_step_sync (target, &state, NULL, error);
  return ok ? ctl_record_from_state_dict (target, state, error) : NULL;
}

/* Text: nothing. JSON: {"action":"reset","endpoint":…,"name":…[,"mode":…]} */
CtlRecord *
ctl_cmd_reset (CtlContext *ctx, int argc, char **argv, GError **error)
{
  static const char *const modes[] = { "halt", "run", "init", NULL };
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *mode = "";

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error))
    return NULL;
  if (argc > 1)
    mode = argv[1];
  if (argc > 1 && !g_strv_contains (modes, mode))
    {
      ctl_usage_error (error, "unknown reset mode '%s': expected halt, run or init", mode);
      return NULL;
    }
  target = ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS, error);
  if (target == NULL || !ood_dbus_target_call_reset_sync (target, mode, NULL, error))
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_done (builder, target, "reset");
  if (*mode != '\0')
    {
      json_builder_set_member_name (builder, "mode");
      json_builder_add_string_value (builder, mode);
    }
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}

CtlRecord *
ctl_cmd_wait_halt (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GVariant) state = NULL;
  gint timeout_ms = 5000;
  const GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "How long to wait (default 5000)", "MS" },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error))
    return NULL;
  if (timeout_ms < 0)
    {
      ctl_usage_error (error, "--timeout must not be negative");
      return NULL;
    }
  /* The service takes 0 to mean its default of 5000 ms. */
  target = ctl_open_target (ctx, MIN (timeout_ms ? timeout_ms : 5000, G_MAXINT - 5000) + 5000, error);
  if (target == NULL ||
      !ood_dbus_target_call_wait_halt_sync (target, (guint) timeout_ms, &state, NULL, error))
    return NULL;
  return ctl_record_from_state_dict (target, state, error);
}
