/* SPDX-License-Identifier: MIT */
/* openocdctl bp add|remove|list and wp add|remove|list: the
 * org.openocd.Breakpoints interface. */
#include "openocdctl.h"

typedef struct {
  char     *length;   /* as given, parsed later */
  gboolean  hw;
  gboolean  sw;
} BpOptions;

static void
bp_options_clear (BpOptions *options)
{
  g_clear_pointer (&options->length, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BpOptions, bp_options_clear)

/* "0x80000020 length=4 hw", no header */
static const CtlField breakpoint_fields[] = {
  { .member = "address", .format = CTL_FORMAT_HEX },
  { .member = "length", .format = CTL_FORMAT_DECIMAL, .prefix = " length=" },
  { .member = "kind", .prefix = " ", .absent = "default" },
  { NULL }
};

static const CtlLayout breakpoint_table = { CTL_LAYOUT_TABLE, breakpoint_fields };

/* The cached Breakpoints property: no round trip to OpenOCD. */
static CtlRecord *
bp_list (OodDbusBreakpoints *bps)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GVariant *list = ood_dbus_breakpoints_get_breakpoints (bps);
  GVariantIter iter;
  guint64 address;
  guint32 length;
  const char *kind;

  json_builder_begin_array (builder);
  if (list != NULL)
    {
      g_variant_iter_init (&iter, list);
      while (g_variant_iter_next (&iter, "(tu&s)", &address, &length, &kind))
        {
          json_builder_begin_object (builder);
          ctl_build_uint (builder, "address", address);
          ctl_build_uint (builder, "length", length);
          json_builder_set_member_name (builder, "kind");
          json_builder_add_string_value (builder, kind);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&breakpoint_table, builder);
}

/* The target's org.openocd.Breakpoints, or NULL with @error. */
static OodDbusBreakpoints *
breakpoints_of (OodDbusObject *object, GError **error)
{
  OodDbusBreakpoints *bps = ood_dbus_object_peek_breakpoints (object);

  if (bps == NULL)
    g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                 "the target has no org.openocd.Breakpoints interface");
  return bps;
}

/* Checks the arguments of "bp SUBCOMMAND [ADDR]" before anything is sent. */
static gboolean
bp_check_usage (int argc, char **argv, BpOptions *options, guint64 *address, guint64 *length,
                GError **error)
{
  const char *sub = argv[1];
  gboolean wants_address = g_str_equal (sub, "add") || g_str_equal (sub, "remove");
  g_autoptr(GError) local = NULL;

  if (!wants_address && !g_str_equal (sub, "list"))
    return ctl_usage_error (error, "unknown bp command '%s': expected add, remove or list", sub);
  if (wants_address != (argc == 3))
    return ctl_usage_error (error, "usage: %s bp add ADDR | remove ADDR | list", g_get_prgname ());
  if (!g_str_equal (sub, "add") && (options->length || options->hw || options->sw))
    return ctl_usage_error (error, "--length, --hw and --sw only go with 'bp add'");
  if (options->hw && options->sw)
    return ctl_usage_error (error, "--hw and --sw exclude each other");
  if ((wants_address && !ctl_parse_number (argv[2], G_MAXUINT64, address, &local)) ||
      (options->length && !ctl_parse_number (options->length, G_MAXUINT32, length, &local)))
    return ctl_usage_error (error, "%s", local->message);
  return TRUE;
}

/*
 * Text: nothing for add and remove. JSON: {"action":"bp-add","endpoint":…,
 * "name":…,"address":N,"length":N,"kind":"hw"|"sw"|""}, or "bp-remove"
 * with the address.
 */
CtlRecord *
ctl_cmd_bp (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_auto(BpOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "length", 0, 0, G_OPTION_ARG_STRING, &options.length, "Breakpoint length in bytes (default 4)", "N" },
    { "hw", 0, 0, G_OPTION_ARG_NONE, &options.hw, "Hardware breakpoint", NULL },
    { "sw", 0, 0, G_OPTION_ARG_NONE, &options.sw, "Software breakpoint", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(OodDbusObject) object = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  OodDbusBreakpoints *bps;
  guint64 address = 0, length = 4;
  const char *kind = "";
  gboolean add;

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error) ||
      !bp_check_usage (argc, argv, &options, &address, &length, error))
    return NULL;
  object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS, error);
  bps = object != NULL ? breakpoints_of (object, error) : NULL;
  if (bps == NULL)
    return NULL;
  if (g_str_equal (argv[1], "list"))
    return bp_list (bps);
  add = g_str_equal (argv[1], "add");
  if (add)
    kind = options.hw ? "hw" : options.sw ? "sw" : "";
  if (add ? !ood_dbus_breakpoints_call_add_sync (bps, address, (guint) length, kind, NULL, error)
          : !ood_dbus_breakpoints_call_remove_sync (bps, address, NULL, error))
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_done (builder, ood_dbus_object_peek_target (object), add ? "bp-add" : "bp-remove");
  ctl_build_uint (builder, "address", address);
  if (add)
    {
      ctl_build_uint (builder, "length", length);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, kind);
    }
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}

/* "0x80008000 length=4 w 0x00000000/0xffffffff", no header */
static const CtlField watchpoint_fields[] = {
  { .member = "address", .format = CTL_FORMAT_HEX },
  { .member = "length", .format = CTL_FORMAT_DECIMAL, .prefix = " length=" },
  { .member = "access", .prefix = " " },
  { .member = "condition", .prefix = " " },
  { NULL }
};

static const CtlLayout watchpoint_table = { CTL_LAYOUT_TABLE, watchpoint_fields };

/* The cached Watchpoints property: no round trip to OpenOCD. */
static CtlRecord *
wp_list (OodDbusBreakpoints *bps)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GVariant *list = ood_dbus_breakpoints_get_watchpoints (bps);
  GVariantIter iter;
  guint64 address;
  guint32 length;
  const char *access, *condition;

  json_builder_begin_array (builder);
  if (list != NULL)
    {
      g_variant_iter_init (&iter, list);
      while (g_variant_iter_next (&iter, "(tu&s&s)", &address, &length, &access, &condition))
        {
          json_builder_begin_object (builder);
          ctl_build_uint (builder, "address", address);
          ctl_build_uint (builder, "length", length);
          json_builder_set_member_name (builder, "access");
          json_builder_add_string_value (builder, access);
          json_builder_set_member_name (builder, "condition");
          json_builder_add_string_value (builder, condition);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&watchpoint_table, builder);
}

/* Checks the arguments of "wp SUBCOMMAND …" before anything is sent. */
static gboolean
wp_check_usage (int argc, char **argv, guint64 *address, guint64 *length, GError **error)
{
  const char *sub = argv[1];
  int wanted = g_str_equal (sub, "add") ? 5 : g_str_equal (sub, "remove") ? 3 : 2;
  g_autoptr(GError) local = NULL;

  if (wanted == 2 && !g_str_equal (sub, "list"))
    return ctl_usage_error (error, "unknown wp command '%s': expected add, remove or list", sub);
  if (argc != wanted)
    return ctl_usage_error (error, "usage: %s wp add ADDR LEN r|w|a | remove ADDR | list",
                            g_get_prgname ());
  if ((wanted >= 3 && !ctl_parse_number (argv[2], G_MAXUINT64, address, &local)) ||
      (wanted == 5 && !ctl_parse_number (argv[3], G_MAXUINT32, length, &local)))
    return ctl_usage_error (error, "%s", local->message);
  if (wanted == 5 && !g_str_equal (argv[4], "r") && !g_str_equal (argv[4], "w") &&
      !g_str_equal (argv[4], "a"))
    return ctl_usage_error (error, "watchpoint access must be r, w or a, not '%s'", argv[4]);
  return TRUE;
}

/*
 * Text: nothing for add and remove. JSON: {"action":"wp-add","endpoint":…,
 * "name":…,"address":N,"length":N,"access":"r"|"w"|"a"}, or "wp-remove"
 * with the address.
 */
CtlRecord *
ctl_cmd_wp (CtlContext *ctx, int argc, char **argv, GError **error)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autoptr(OodDbusObject) object = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  OodDbusBreakpoints *bps;
  guint64 address = 0, length = 0;
  gboolean add;

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error) ||
      !wp_check_usage (argc, argv, &address, &length, error))
    return NULL;
  object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS, error);
  bps = object != NULL ? breakpoints_of (object, error) : NULL;
  if (bps == NULL)
    return NULL;
  if (g_str_equal (argv[1], "list"))
    return wp_list (bps);
  add = g_str_equal (argv[1], "add");
  if (add ? !ood_dbus_breakpoints_call_add_watchpoint_sync (bps, address, (guint) length, argv[4],
                                                            NULL, error)
          : !ood_dbus_breakpoints_call_remove_watchpoint_sync (bps, address, NULL, error))
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_done (builder, ood_dbus_object_peek_target (object), add ? "wp-add" : "wp-remove");
  ctl_build_uint (builder, "address", address);
  if (add)
    {
      ctl_build_uint (builder, "length", length);
      json_builder_set_member_name (builder, "access");
      json_builder_add_string_value (builder, argv[4]);
    }
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}
