/* SPDX-License-Identifier: MIT */
/* openocdctl bp add|remove|list: the org.openocd.Breakpoints interface. */
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

static void
print_breakpoint (CtlContext *ctx, GString *out, guint64 address, guint32 length, const char *kind)
{
  if (!ctx->json)
    {
      g_string_append_printf (out, "0x%" G_GINT64_MODIFIER "x length=%u %s\n",
                              address, length, *kind ? kind : "default");
      return;
    }
  ctl_json_begin (out, '{');
  ctl_json_number (out, "address", address);
  ctl_json_number (out, "length", length);
  ctl_json_string (out, "kind", kind);
  ctl_json_end (out, '{');
}

/* Prints the cached Breakpoints property: no round trip to OpenOCD. */
static int
bp_list (CtlContext *ctx, OodDbusBreakpoints *bps)
{
  g_autoptr(GString) out = g_string_new (NULL);
  GVariant *list = ood_dbus_breakpoints_get_breakpoints (bps);
  GVariantIter iter;
  guint64 address;
  guint32 length;
  const char *kind;

  if (ctx->json)
    ctl_json_begin (out, '[');
  if (list != NULL)
    {
      g_variant_iter_init (&iter, list);
      while (g_variant_iter_next (&iter, "(tu&s)", &address, &length, &kind))
        print_breakpoint (ctx, out, address, length, kind);
    }
  if (ctx->json)
    ctl_json_end (out, '[');
  else if (out->len > 0)
    g_string_truncate (out, out->len - 1);
  if (out->len > 0)
    ctl_emit (out);
  return CTL_EXIT_OK;
}

/* Checks the arguments of "bp SUBCOMMAND [ADDR]" before anything is sent. */
static int
bp_check_usage (int argc, char **argv, BpOptions *options, guint64 *address, guint64 *length)
{
  const char *sub = argv[1];
  gboolean wants_address = g_str_equal (sub, "add") || g_str_equal (sub, "remove");
  g_autoptr(GError) error = NULL;

  if (!wants_address && !g_str_equal (sub, "list"))
    return ctl_usage_error ("unknown bp command '%s': expected add, remove or list", sub);
  if (wants_address != (argc == 3))
    return ctl_usage_error ("usage: %s bp add ADDR | remove ADDR | list", g_get_prgname ());
  if (!g_str_equal (sub, "add") && (options->length || options->hw || options->sw))
    return ctl_usage_error ("--length, --hw and --sw only go with 'bp add'");
  if (options->hw && options->sw)
    return ctl_usage_error ("--hw and --sw exclude each other");
  if ((wants_address && !ctl_parse_number (argv[2], G_MAXUINT64, address, &error)) ||
      (options->length && !ctl_parse_number (options->length, G_MAXUINT32, length, &error)))
    return ctl_usage_error ("%s", error->message);
  return CTL_EXIT_OK;
}

int
ctl_cmd_bp (CtlContext *ctx, int argc, char **argv)
{
  g_auto(BpOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "length", 0, 0, G_OPTION_ARG_STRING, &options.length, "Breakpoint length in bytes (default 4)", "N" },
    { "hw", 0, 0, G_OPTION_ARG_NONE, &options.hw, "Hardware breakpoint", NULL },
    { "sw", 0, 0, G_OPTION_ARG_NONE, &options.sw, "Software breakpoint", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(OodDbusObject) object = NULL;
  g_autoptr(GError) error = NULL;
  OodDbusBreakpoints *bps;
  guint64 address = 0, length = 4;
  gboolean ok;

  if (!ctl_parse_command (ctx, &argc, &argv, entries) ||
      bp_check_usage (argc, argv, &options, &address, &length) != CTL_EXIT_OK)
    return CTL_EXIT_USAGE;
  object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS);
  if (object == NULL)
    return CTL_EXIT_FAILED;
  bps = ood_dbus_object_peek_breakpoints (object);
  if (bps == NULL)
    {
      g_printerr ("%s: the target has no org.openocd.Breakpoints interface\n", g_get_prgname ());
      return CTL_EXIT_FAILED;
    }
  if (g_str_equal (argv[1], "list"))
    return bp_list (ctx, bps);
  if (g_str_equal (argv[1], "add"))
    ok = ood_dbus_breakpoints_call_add_sync (bps, address, (guint) length,
                                        options.hw ? "hw" : options.sw ? "sw" : "", NULL, &error);
  else
    ok = ood_dbus_breakpoints_call_remove_sync (bps, address, NULL, &error);
  return ok ? CTL_EXIT_OK : ctl_failure (error);
}
