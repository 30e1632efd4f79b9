/* SPDX-License-Identifier: MIT */
/*
 * openocdctl: command line client of the openocd-dbus service.
 * This file holds main(), the global options and the command table.
 * Every command returns a record (or an error), which main() renders.
 */
#include "openocdctl.h"
#include "ood-error.h"

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const CtlCommand commands[] = {
  { "list", "", "List all targets: endpoint, name, type, state, pc, GDB port", 0, 0, ctl_cmd_list },
  { "endpoints", "",
    "List the OpenOCD endpoints: name, address, connected, origin, pid, restarts, version", 0, 0,
    ctl_cmd_endpoints },
  { "endpoint",
    "add NAME (--address HOST:PORT | --exec 'COMMAND LINE') [--shared-dir DIR] | remove NAME | restart NAME | log NAME [-n N]",
    "Add an endpoint, remove one so added; restart a supervised endpoint's OpenOCD, print its output",
    2, 2, ctl_cmd_endpoint },
  { "probes", "",
    "List the USB debug probes: id, vid:pid, serial, USB path, model, accessible, endpoint", 0, 0,
    ctl_cmd_probes },
  { "state", "", "Query the target's state from OpenOCD", 0, 0, ctl_cmd_state, TRUE },
  { "halt", "", "Halt the target and print its state", 0, 0, ctl_cmd_halt, TRUE },
  { "resume", "[ADDR]", "Resume the target, at ADDR if given", 0, 1, ctl_cmd_resume, TRUE },
  { "step", "[ADDR]", "Execute one instruction, at ADDR if given", 0, 1, ctl_cmd_step, TRUE },
  { "reset", "[halt|run|init]", "Reset the target (the service's default mode is halt)", 0, 1,
    ctl_cmd_reset, TRUE },
  { "wait-halt", "", "Wait until the target is halted", 0, 0, ctl_cmd_wait_halt, TRUE },
  { "monitor", "",
    "Print every state change, target event, target, endpoint and probe (dis)appearance, and supervised OpenOCD exit and start",
    0, 0, ctl_cmd_monitor, TRUE },
  { "bp", "add ADDR | remove ADDR | list", "Manage breakpoints", 1, 2, ctl_cmd_bp, TRUE },
  { "wp", "add ADDR LEN r|w|a | remove ADDR | list", "Manage watchpoints (data triggers)", 1, 4,
    ctl_cmd_wp, TRUE },
  { "reg", "[NAME…] | set NAME VALUE", "Read registers (all of them without NAME), or write one", 0,
    G_MAXUINT, ctl_cmd_reg, TRUE },
  { "mem",
    "read ADDR [LEN] [--width W] | write ADDR VALUE… [--width W] | dump ADDR LEN FILE | load FILE ADDR | search ADDR SIZE HEXPATTERN [--max N]",
    "Read memory as a hexdump (LEN default 64) or as words of W bits, write bytes or words, copy memory to or from a file, find bytes",
    2, G_MAXUINT, ctl_cmd_mem, TRUE },
  { "program", "FILE [--format F] [--address A] [--no-verify] [--reset run|halt|none]",
    "Program flash with an image: erase, write, verify, reset", 1, 1, ctl_cmd_program, TRUE },
  { "load", "FILE ADDR [--format F] [--no-verify]", "Load an image into RAM and verify it", 2, 2,
    ctl_cmd_load, TRUE },
  { "flash",
    "banks | sectors [BANK] | erase BANK [FIRST [LAST]] | verify FILE | protect BANK FIRST LAST on|off",
    "List flash banks or a bank's sectors (BANK default 0); erase sectors (all without FIRST); verify an image; write-protect sectors or lift it (resets the target)",
    1, 5, ctl_cmd_flash, TRUE },
  { "lease", "[--wait SECONDS] [--reason TEXT] ENDPOINT -- COMMAND [ARG…]",
    "Run COMMAND holding the endpoint's lease (exclusive use); exit with its status", 1, 1,
    ctl_cmd_lease },
  { "leases", "", "List the leases held: endpoint, holder's uid and bus name, since, queue, reason",
    0, 0, ctl_cmd_leases },
  { "rtt", "[CHANNEL] [--address ADDR --size SIZE [--id ID]] [--read-only]",
    "Print RTT channel CHANNEL (0) live and send stdin to it; starts RTT first if needed", 0, 1,
    ctl_cmd_rtt, TRUE },
  { "raw", "[-e ENDPOINT] [--] COMMAND [ARG…]",
    "Run an OpenOCD command (administrators, where the endpoint allows raw commands) and print what it printed",
    1, G_MAXUINT, ctl_cmd_raw },
  { "adapter", "[-e ENDPOINT] [speed KHZ]",
    "Show OpenOCD's adapter, transport and speed, or set the speed", 0, 2, ctl_cmd_adapter },
  { "periph", "--svd FILE [PERIPHERAL[.REGISTER]]",
    "Read a peripheral's registers (or one) and decode their bit fields by the SVD file; without PERIPHERAL, list the peripherals",
    0, 1, ctl_cmd_periph, TRUE },
  { "taps", "[-e ENDPOINT]",
    "List the JTAG scan chain: name, enabled, IDCODE, expected IDCODE, IR length", 0, 0,
    ctl_cmd_taps },
};

static const char description[] =
    "Addresses and numbers are decimal or 0x-prefixed hexadecimal.\n"
    "The target is chosen with -t NAME (or -t ENDPOINT/NAME); without -t the\n"
    "only target is used. -t and --json may also follow the command; only\n"
    "commands that act on a target take -t. The bus options go before it.\n"
    "Run \"openocdctl COMMAND --help\" for a command's options.\n"
    "\n"
    "With --json every command prints one JSON document on stdout: an object\n"
    "for state, halt, step, wait-halt (the state), and for resume, reset,\n"
    "bp and wp add|remove and endpoint add|remove|restart (what was done, e.g.\n"
    "{\"action\":\"resume\",…}); an array for list, endpoints, probes, bp list and wp list.\n"
    "monitor --json prints one object per line (JSON lines). An error prints\n"
    "{\"error\":{\"name\":…,\"message\":…}} on stderr instead: name is the\n"
    "service's D-Bus error name (e.g. org.openocd.Error.NotHalted) or openocdctl's\n"
    "own org.openocd.ctl.Error.Usage, .NotRunning, .NoSuchTarget,\n"
    ".AmbiguousTarget, .NoSuchEndpoint or .Failed.\n"
    "\n"
    "list's GDB column is OpenOCD's GDB port for the target, \"-\" for none, with\n"
    "\"*\" after it while a GDB is attached (JSON: gdb_port, 0 for none, and\n"
    "gdb_attached). endpoints' PID is the process of the OpenOCD the service\n"
    "runs for the endpoint, \"-\" while none runs; RESTARTS is \"-\" for an\n"
    "endpoint whose OpenOCD someone else runs (JSON: every property of each\n"
    "endpoint and probe). endpoint add prints the new endpoint's object path\n"
    "(JSON: also \"path\"); only root may add or remove endpoints, and only those\n"
    "added so can be removed. endpoint restart and log act on a supervised\n"
    "endpoint (an Exec= command line); log prints its OpenOCD's last lines, the\n"
    "newest N with -n (JSON: {\"endpoint\",\"lines\"}). monitor also prints\n"
    "probes plugged in and out, endpoints added and removed, and each start\n"
    "and end of a supervised endpoint's OpenOCD.\n"
    "\n"
    "State objects (state, halt, step, wait-halt) name the target's \"endpoint\"\n"
    "and \"name\". reg prints NAME VALUE lines (JSON: an array of\n"
    "{\"name\",\"value\"}, with \"number\", \"bits\" and \"dirty\" for all\n"
    "registers); mem read prints xxd's hexdump (JSON: {\"endpoint\",\"name\",\n"
    "\"address\",\"length\",\"data\"} with data in hex digits), with --width W\n"
    "words of W bits, 16 bytes' worth a line (JSON: {…,\"width\",\"count\",\n"
    "\"values\"});\n"
    "reg set and mem write|dump|load print nothing (JSON: what was done).\n"
    "\n"
    "Progress: program, load, flash erase and flash verify start a job in the\n"
    "service and follow it until it ends: a bar on stderr on a terminal, else\n"
    "one line per phase on stderr, and with --json one\n"
    "{\"progress\":{\"operation\",\"phase\",\"fraction\",\"done\",\"total\"}} per\n"
    "phase and percent on stdout (JSON lines; fraction from 0 to 1, at most 4\n"
    "digits after the point), before the final record. The operation is named\n"
    "as the service's job names it: program, load, erase, verify.\n"
    "Ctrl-C cancels the job (its Cancel()), which then fails with\n"
    "org.openocd.Error.Cancelled. A job's failure is an error like any other.\n"
    "The service reports no progress for mem dump and mem load: openocdctl\n"
    "splits them into calls of about 1 % each (16 KiB to 1 MiB) and shows a bar\n"
    "on a terminal, nothing otherwise.\n"
    "\n"
    "Leases: lease acquires the endpoint's lease, waiting up to --wait seconds\n"
    "(default 0: fail at once with org.openocd.Error.Leased, which names the\n"
    "holder, while someone else holds it), runs COMMAND with\n"
    "OPENOCDCTL_LEASE=\"LEASE-PATH TOKEN\" in its environment, releases the lease\n"
    "when COMMAND ends and exits with COMMAND's status (128+N if signal N ended\n"
    "it). While it is held, other callers' control, program and manage calls\n"
    "on the endpoint fail with org.openocd.Error.Leased; every openocdctl run\n"
    "with OPENOCDCTL_LEASE set joins the lease first and acts as its holder.\n"
    "SIGTERM and SIGHUP go on to COMMAND; if openocdctl itself is killed the\n"
    "lease ends with its connection. The targets are left as they are. lease\n"
    "--json prints {\"action\":\"lease\",\"endpoint\",\"lease\",\"status\",\n"
    "\"released\"} after COMMAND's output; leases --json an array of every\n"
    "lease's properties with \"endpoint\" (the name), \"queue\" (the callers\n"
    "waiting) and \"since\" in microseconds since the epoch.\n"
    "\n"
    "rtt prints what the target writes to RTT channel CHANNEL as it comes, and\n"
    "sends stdin to the channel's down-buffer when the target has one (unless\n"
    "--read-only, which needs only the right to inspect). If RTT is not running\n"
    "it is started, after --address and --size (and --id) set where the service\n"
    "looks for the control block. With --json it prints JSON lines, one per line\n"
    "of the channel: {\"channel\":0,\"text\":\"tick 5\\n\"}, or {\"channel\":1,\"hex\":…}\n"
    "for bytes that are not UTF-8. Ctrl-C ends it (status 0); status 1 when the\n"
    "service ends the channel: RTT stopped, or this reader fell more than\n"
    "64 KiB behind and was cut off.\n"
    "\n"
    "Exit status: 0 on success, 1 when the operation failed, 2 on bad usage;\n"
    "lease: COMMAND's.\n";

/* Sets a usage error (exit status 2); returns FALSE. */
gboolean
ctl_usage_error (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, CTL_ERROR, CTL_ERROR_USAGE, message);
  return FALSE;
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

/* The options that choose the bus: before the command only. */
typedef struct {
  const char *name;
  const char *arg; /* NULL: takes no value */
  const char *description;
} BusOption;

static const BusOption bus_options[] = {
  { "system", NULL, "Use the system bus (the default)" },
  { "session", NULL, "Use the session bus" },
  { "address", "ADDR", "Use the bus at ADDR" },
};

/* A command's --help ends with the bus options, as the main --help lists them. */
static char *
bus_options_help (void)
{
  GString *text = g_string_new ("Bus options (before the command):\n");

  for (gsize i = 0; i < G_N_ELEMENTS (bus_options); i++)
    {
      g_autofree char *spec = g_strdup_printf ("--%s%s%s", bus_options[i].name,
                                               bus_options[i].arg ? "=" : "",
                                               bus_options[i].arg ? bus_options[i].arg : "");
      g_string_append_printf (text, "  %-24s %s\n", spec, bus_options[i].description);
    }
  return g_string_free (text, FALSE);
}

/* -t (if @with_target) and --json, which go before or after the command. */
static void
add_common_entries (GOptionContext *octx, CtlContext *ctx, gboolean with_target)
{
  const GOptionEntry target[] = { { "target", 't', 0, G_OPTION_ARG_STRING, &ctx->target,
                                    "The target to act on", "[ENDPOINT/]NAME" },
                                  G_OPTION_ENTRY_NULL };
  const GOptionEntry json[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json, "Print JSON", NULL },
                                G_OPTION_ENTRY_NULL };

  if (with_target)
    g_option_context_add_main_entries (octx, target, NULL);
  g_option_context_add_main_entries (octx, json, NULL);
}

/*
 * Parses a command's options: @entries, --json and, for a command that acts
 * on a target, -t. Its --help lists those and the bus options. A -t given
 * to a command that acts on none is a usage error.
 */
gboolean
ctl_parse_command (CtlContext *ctx, int *argc, char ***argv, const GOptionEntry *entries,
                   GError **error)
{
  const CtlCommand *cmd = ctx->command;
  g_autofree char *params = g_strdup_printf ("%s %s", cmd->name, cmd->params);
  g_autoptr(GOptionContext) octx = g_option_context_new (params);
  g_autoptr(GError) local = NULL;
  g_autofree char *bus_help = bus_options_help ();
  guint positional;

  g_option_context_set_summary (octx, cmd->summary);
  g_option_context_set_description (octx, bus_help);
  if (entries != NULL)
    g_option_context_add_main_entries (octx, entries, NULL);
  add_common_entries (octx, ctx, cmd->target);
  if (!g_option_context_parse (octx, argc, argv, &local))
    return ctl_usage_error (error, "%s", local->message);
  if (!cmd->target && ctx->target != NULL)
    return ctl_usage_error (error, "-t does not go with '%s', which acts on no target", cmd->name);
  positional = (guint) *argc - 1;
  if (positional >= cmd->min_args && positional <= cmd->max_args)
    return TRUE;
  return ctl_usage_error (error, "usage: %s %s %s", g_get_prgname (), cmd->name, cmd->params);
}

static char *
commands_help (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strdup_printf ("%s %s", commands[i].name, commands[i].params);
      /* padded by characters, not bytes ("…") */
      glong length = g_utf8_strlen (usage, -1);

      if (length > 36)
        g_string_append_printf (text, "  %s\n  %-36s %s\n", usage, "", commands[i].summary);
      else
        g_string_append_printf (text, "  %s%*s %s\n", usage, (int) (36 - length), "",
                                commands[i].summary);
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

static gboolean
parse_globals (CtlContext *ctx, int *argc, char ***argv, GError **error)
{
  gboolean system = FALSE, session = FALSE;
  gpointer data[] = { &system, &session, &ctx->address };
  GOptionEntry entries[G_N_ELEMENTS (bus_options) + 1] = { 0 };
  g_autoptr(GOptionContext) octx = g_option_context_new ("COMMAND [ARGS…]");
  g_autoptr(GError) local = NULL;
  g_autofree char *help = commands_help ();
  g_autofree char *full = g_strconcat (help, "\n", description, NULL);

  g_option_context_set_summary (octx, "Control OpenOCD debug targets through the openocd-dbus service.");
  g_option_context_set_description (octx, full);
  g_option_context_set_strict_posix (octx, TRUE);
  G_STATIC_ASSERT (G_N_ELEMENTS (data) == G_N_ELEMENTS (bus_options));
  for (gsize i = 0; i < G_N_ELEMENTS (bus_options); i++)
    entries[i] = (GOptionEntry){ bus_options[i].name,
                                 0,
                                 0,
                                 bus_options[i].arg ? G_OPTION_ARG_STRING : G_OPTION_ARG_NONE,
                                 data[i],
                                 bus_options[i].description,
                                 bus_options[i].arg };
  g_option_context_add_main_entries (octx, entries, NULL);
  add_common_entries (octx, ctx, TRUE);
  if (!g_option_context_parse (octx, argc, argv, &local))
    return ctl_usage_error (error, "%s", local->message);
  if (!pick_bus (ctx, system, session))
    return ctl_usage_error (error, "--system, --session and --address exclude each other");
  return TRUE;
}

/* Whether --json is among the arguments, so that even an error in parsing
 * them is printed as JSON. */
static gboolean
wants_json (int argc, char **argv)
{
  for (int i = 1; i < argc && !g_str_equal (argv[i], "--"); i++)
    if (g_str_equal (argv[i], "--json"))
      return TRUE;
  return FALSE;
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
  GDBusConnection *bus = NULL;

  /* Close the connection before leaving, and let what it had dispatched
   * to this thread (signals that came after a command's last wait) run:
   * each holds memory until it does. */
  if (ctx->manager != NULL)
    bus = g_object_ref (g_dbus_object_manager_client_get_connection (
        G_DBUS_OBJECT_MANAGER_CLIENT (ctx->manager)));
  g_clear_object (&ctx->manager);
  if (bus != NULL)
    {
      g_dbus_connection_close_sync (bus, NULL, NULL);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_object_unref (bus);
    }
  g_clear_pointer (&ctx->address, g_free);
  g_clear_pointer (&ctx->target, g_free);
}

/* argv[1] is the command. */
static CtlRecord *
run_command (CtlContext *ctx, int argc, char **argv, GError **error)
{
  if (argc < 2)
    ctl_usage_error (error, "no command given");
  else if ((ctx->command = find_command (argv[1])) == NULL)
    ctl_usage_error (error, "unknown command '%s'", argv[1]);
  else
    return ctx->command->func (ctx, argc - 1, argv + 1, error);
  return NULL;
}

int
main (int argc, char **argv)
{
  CtlContext ctx = { 0 };
  g_autoptr(CtlRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  int status = CTL_EXIT_OK;

  setlocale (LC_ALL, "");
  g_set_prgname ("openocdctl");
  /* Registers the org.openocd.Error.* names, so remote errors map to OOD_ERROR,
   * and openocdctl's own org.openocd.ctl.Error.* names. */
  (void) ood_error_quark ();
  (void) ctl_error_quark ();
  ctx.json_hint = wants_json (argc, argv);

  if (parse_globals (&ctx, &argc, &argv, &error))
    record = run_command (&ctx, argc, argv, &error);
  if (record != NULL)
    {
      ctl_render (&ctx, record);
      status = ctx.exit_status;
    }
  else
    status = ctl_render_error (&ctx, error);
  ctl_context_clear (&ctx);
  return status;
}
