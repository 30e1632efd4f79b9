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

/* ADDRESS LENGTH KIND, as "%-10s %-6s %s": KIND "default" for "" */
static const CtlField breakpoint_fields[] = {
  { .member = "address", .format = CTL_FORMAT_HEX, .width = 10, .heading = "ADDRESS" },
  { .member = "length",
    .format = CTL_FORMAT_DECIMAL,
    .prefix = " ",
    .width = 6,
    .heading = "LENGTH" },
  { .member = "kind", .prefix = " ", .absent = "default", .heading = "KIND" },
  { NULL }
};

static const CtlLayout breakpoint_table = { CTL_LAYOUT_TABLE, breakpoint_fields };

/* ADDRESS LENGTH ACCESS CONDITION, as "%-10s %-6s %-6s %s" */
static const CtlField watchpoint_fields[] = {
  { .member = "address", .format = CTL_FORMAT_HEX, .width = 10, .heading = "ADDRESS" },
  { .member = "length",
    .format = CTL_FORMAT_DECIMAL,
    .prefix = " ",
    .width = 6,
    .heading = "LENGTH" },
  { .member = "access", .prefix = " ", .width = 6, .heading = "ACCESS" },
  { .member = "condition", .prefix = " ", .heading = "CONDITION" },
  { NULL }
};

static const CtlLayout watchpoint_table = { CTL_LAYOUT_TABLE, watchpoint_fields };

/*
 * The cached Breakpoints or Watchpoints property @list (no round trip to
 * OpenOCD), tuples of an address (t), a length (u) and strings, as a
 * table of @layout: [{"address":N,"length":N,…},…], the strings named by
 * the layout's fields after the first two.
 */
static CtlRecord *
point_list (GVariant *list, const CtlLayout *layout)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (gsize i = 0; list != NULL && i < g_variant_n_children (list); i++)
    {
      g_autoptr(GVariant) point = g_variant_get_child_value (list, i);

      json_builder_begin_object (builder);
      for (gsize j = 0; j < g_variant_n_children (point); j++)
        {
          g_autoptr(GVariant) value = g_variant_get_child_value (point, j);
          const char *member = layout->fields[j].member;

          if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
            ctl_build_uint (builder, member, g_variant_get_uint64 (value));
          else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
            ctl_build_uint (builder, member, g_variant_get_uint32 (value));
          else
            ctl_build_string (builder, member, g_variant_get_string (value, NULL));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (layout, builder);
}

/*
 * What bp|wp add|remove did. Text: nothing. JSON: {"action":@action,
 * "endpoint":…,"name":…,"address":N}, and for an add (@key non-NULL)
 * "length":N and @key: @value.
 */
static CtlRecord *
point_done (OodDbusTarget *target, const char *action, guint64 address, guint64 length,
            const char *key, const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ctl_build_done (builder, target, action);
  ctl_build_uint (builder, "address", address);
  if (key != NULL)
    {
      ctl_build_uint (builder, "length", length);
      ctl_build_string (builder, key, value);
    }
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
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
  g_autoptr(OodDbusBreakpoints) bps = NULL;
  OodDbusTarget *target = NULL;
  guint64 address = 0, length = 4;
  const char *kind = "";
  gboolean add;

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error) ||
      !bp_check_usage (argc, argv, &options, &address, &length, error) ||
      (bps = ctl_open_interface (ctx, CTL_IFACE_BREAKPOINTS, &target, error)) == NULL)
    return NULL;
  if (g_str_equal (argv[1], "list"))
    return point_list (ood_dbus_breakpoints_get_breakpoints (bps), &breakpoint_table);
  add = g_str_equal (argv[1], "add");
  if (add)
    kind = options.hw ? "hw" : options.sw ? "sw" : "";
  if (add ? !ood_dbus_breakpoints_call_add_sync (bps, address, (guint) length, kind, NULL, error)
          : !ood_dbus_breakpoints_call_remove_sync (bps, address, NULL, error))
    return NULL;
  return point_done (target, add ? "bp-add" : "bp-remove", address, length, add ? "kind" : NULL,
                     kind);
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
  g_autoptr(OodDbusBreakpoints) bps = NULL;
  OodDbusTarget *target = NULL;
  guint64 address = 0, length = 0;
  gboolean add;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error) ||
      !wp_check_usage (argc, argv, &address, &length, error) ||
      (bps = ctl_open_interface (ctx, CTL_IFACE_BREAKPOINTS, &target, error)) == NULL)
    return NULL;
  if (g_str_equal (argv[1], "list"))
    return point_list (ood_dbus_breakpoints_get_watchpoints (bps), &watchpoint_table);
  add = g_str_equal (argv[1], "add");
  if (add ? !ood_dbus_breakpoints_call_add_watchpoint_sync (bps, address, (guint) length, argv[4],
                                                            NULL, error)
          : !ood_dbus_breakpoints_call_remove_watchpoint_sync (bps, address, NULL, error))
    return NULL;
  return point_done (target, add ? "wp-add" : "wp-remove", address, length, add ? "access" : NULL,
                     add ? argv[4] : NULL);
}
