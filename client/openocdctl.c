/* SPDX-License-Identifier: MIT */
/*
 * openocdctl: command line client of the openocd-dbus service.
 * This file holds main(), the global options and the command table.
 */
#include "openocdctl.h"
#include "ood-error.h"

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const CtlCommand commands[] = {
  { "list", "", "List all targets: endpoint, name, type, state, pc", 0, 0, ctl_cmd_list },
  { "endpoints", "", "List the OpenOCD endpoints: name, address, connected, version", 0, 0, ctl_cmd_endpoints },
  { "state", "", "Query the target's state from OpenOCD", 0, 0, ctl_cmd_state },
  { "halt", "", "Halt the target and print its state", 0, 0, ctl_cmd_halt },
  { "resume", "[ADDR]", "Resume the target, at ADDR if given", 0, 1, ctl_cmd_resume },
  { "step", "[ADDR]", "Execute one instruction, at ADDR if given", 0, 1, ctl_cmd_step },
  { "reset", "[halt|run|init]", "Reset the target (the service's default mode is halt)", 0, 1, ctl_cmd_reset },
  { "wait-halt", "", "Wait until the target is halted", 0, 0, ctl_cmd_wait_halt },
  { "monitor", "", "Print every state change, target event and target (dis)appearance", 0, 0, ctl_cmd_monitor },
  { "bp", "add ADDR | remove ADDR | list", "Manage breakpoints", 1, 2, ctl_cmd_bp },
};

static const char description[] =
  "Addresses and numbers are decimal or 0x-prefixed hexadecimal.\n"
  "The target is chosen with -t NAME (or -t ENDPOINT/NAME); without -t the\n"
  "only target is used. -t and --json may also follow the command.\n"
  "Run \"openocdctl COMMAND --help\" for a command's options.\n"
  "\n"
  "Exit status: 0 on success, 1 when the operation failed, 2 on bad usage.\n";

int
ctl_usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\nTry \"%s --help\" for more information.\n",
              g_get_prgname (), message, g_get_prgname ());
  return CTL_EXIT_USAGE;
}

int
ctl_failure (const GError *error)
{
  g_autoptr(GError) stripped = g_error_copy (error);
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  const char *dot = remote ? strrchr (remote, '.') : NULL;

  g_dbus_error_strip_remote_error (stripped);
  if (dot != NULL)
    g_printerr ("%s: %s: %s\n", g_get_prgname (), dot + 1, stripped->message);
  else
    g_printerr ("%s: %s\n", g_get_prgname (), stripped->message);
  return CTL_EXIT_FAILED;
}

gboolean
ctl_parse_number (const char *text, guint64 max, guint64 *out, GError **error)
{
  const char *digits = text;
  guint base = 10;

  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    {
      digits = text + 2;
      base = 16;
    }
  /* g_ascii_string_to_unsigned() is strict but tolerates a sign. */
  if (g_ascii_isxdigit (digits[0]) &&
      g_ascii_string_to_unsigned (digits, base, 0, max, out, NULL))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "invalid number '%s': expected decimal or 0x-prefixed hexadecimal "
               "no greater than 0x%" G_GINT64_MODIFIER "x", text, max);
  return FALSE;
}

static void
add_common_entries (GOptionContext *octx, CtlContext *ctx)
{
  const GOptionEntry entries[] = {
    { "target", 't', 0, G_OPTION_ARG_STRING, &ctx->target,
      "The target to act on", "[ENDPOINT/]NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json, "Print JSON", NULL },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (octx, entries, NULL);
}

gboolean
ctl_parse_command (CtlContext *ctx, int *argc, char ***argv, const GOptionEntry *entries)
{
  const CtlCommand *cmd = ctx->command;
  g_autofree char *params = g_strdup_printf ("%s %s", cmd->name, cmd->params);
  g_autoptr(GOptionContext) octx = g_option_context_new (params);
  g_autoptr(GError) error = NULL;
  guint positional;

  g_option_context_set_summary (octx, cmd->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (octx, entries, NULL);
  add_common_entries (octx, ctx);
  if (!g_option_context_parse (octx, argc, argv, &error))
    {
      ctl_usage_error ("%s", error->message);
      return FALSE;
    }
  positional = (guint) *argc - 1;
  if (positional >= cmd->min_args && positional <= cmd->max_args)
    return TRUE;
  ctl_usage_error ("usage: %s %s %s", g_get_prgname (), cmd->name, cmd->params);
  return FALSE;
}

static char *
commands_help (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strdup_printf ("%s %s", commands[i].name, commands[i].params);
      g_string_append_printf (text, "  %-36s %s\n", usage, commands[i].summary);
    }
  return g_string_free (text, FALSE);
}

static gboolean
pick_bus (CtlContext *ctx, gboolean system, gboolean session)
{
  guint chosen = !!system + !!session + (ctx->address != NULL);

  if (chosen > 1)
    return FALSE;
  if (ctx->address != NULL)
    ctx->bus = CTL_BUS_ADDRESS;
  else
    ctx->bus = session ? CTL_BUS_SESSION : CTL_BUS_SYSTEM;
  return TRUE;
}

static int
parse_globals (CtlContext *ctx, int *argc, char ***argv)
{
  gboolean system = FALSE, session = FALSE;
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, "Use the system bus (the default)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &session, "Use the session bus", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &ctx->address, "Use the bus at ADDR", "ADDR" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("COMMAND [ARGS…]");
  g_autoptr(GError) error = NULL;
  g_autofree char *help = commands_help ();
  g_autofree char *full = g_strconcat (help, "\n", description, NULL);

  g_option_context_set_summary (octx, "Control OpenOCD debug targets through the openocd-dbus service.");
  g_option_context_set_description (octx, full);
  g_option_context_set_strict_posix (octx, TRUE);
  g_option_context_add_main_entries (octx, entries, NULL);
  add_common_entries (octx, ctx);
  if (!g_option_context_parse (octx, argc, argv, &error))
    return ctl_usage_error ("%s", error->message);
  if (!pick_bus (ctx, system, session))
    return ctl_usage_error ("--system, --session and --address exclude each other");
  return CTL_EXIT_OK;
}

static const CtlCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static void
ctl_context_clear (CtlContext *ctx)
{
  g_clear_object (&ctx->manager);
  g_clear_pointer (&ctx->address, g_free);
  g_clear_pointer (&ctx->target, g_free);
}

int
main (int argc, char **argv)
{
  CtlContext ctx = { 0 };
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname ("openocdctl");
  /* Registers the org.openocd.Error.* names, so remote errors map to OOD_ERROR. */
  (void) ood_error_quark ();

  status = parse_globals (&ctx, &argc, &argv);
  if (status == CTL_EXIT_OK && argc < 2)
    status = ctl_usage_error ("no command given");
  else if (status == CTL_EXIT_OK && (ctx.command = find_command (argv[1])) == NULL)
    status = ctl_usage_error ("unknown command '%s'", argv[1]);
  else if (status == CTL_EXIT_OK)
    status = ctx.command->func (&ctx, argc - 1, argv + 1);

  ctl_context_clear (&ctx);
  return status;
}
