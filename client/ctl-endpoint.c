/* SPDX-License-Identifier: MIT */
/*
 * openocdctl endpoint add|remove|restart|log: endpoints added and removed
 * at run time (org.openocd.Manager), and the supervised OpenOCD behind one
 * (org.openocd.Endpoint's Restart and GetLog).
 */
#include "openocdctl.h"

typedef struct {
  char *address;      /* add: Address= */
  char *exec;         /* add: Exec=, one command line */
  char *shared_dir;   /* add: SharedDirectory= */
  char *lines;        /* log: -n, as given */
  guint n_lines;      /* log: -n, parsed by check_usage(); 0: all */
} EndpointOptions;

static void
endpoint_options_clear (EndpointOptions *options)
{
  g_clear_pointer (&options->address, g_free);
  g_clear_pointer (&options->exec, g_free);
  g_clear_pointer (&options->shared_dir, g_free);
  g_clear_pointer (&options->lines, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EndpointOptions, endpoint_options_clear)

/* What a subcommand does with endpoint @name; returns the record or NULL. */
typedef CtlRecord *(*EndpointFunc) (CtlContext      *ctx,
                                    const char      *name,
                                    EndpointOptions *options,
                                    GError         **error);

/* "/org/openocd/lab": the new endpoint's path */
static const CtlField path_fields[] = {
  { .member = "path" },
  { NULL }
};

static const CtlLayout path_line = { CTL_LAYOUT_LINE, path_fields };

/* OpenOCD's lines as they are, oldest first */
static const CtlField log_fields[] = {
  { .member = "lines" },
  { NULL }
};

static const CtlLayout log_lines = { CTL_LAYOUT_LINES, log_fields };

/* Adds the members of a subcommand that succeeded: what, and on which endpoint. */
static void
build_done (JsonBuilder *builder, const char *name, const char *action)
{
  ctl_build_string (builder, "action", action);
  ctl_build_string (builder, "endpoint", name);
}

/* {"action":"endpoint-ACTION","endpoint":NAME}, nothing in text */
static CtlRecord *
done_record (const char *name, const char *action)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  build_done (builder, name, action);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}

static GVariant *
add_settings (EndpointOptions *options)
{
  GVariantBuilder settings;

  g_variant_builder_init (&settings, G_VARIANT_TYPE_VARDICT);
  if (options->address != NULL)
    g_variant_builder_add (&settings, "{sv}", "Address", g_variant_new_string (options->address));
  else
    g_variant_builder_add (&settings, "{sv}", "Exec", g_variant_new_string (options->exec));
  if (options->shared_dir != NULL)
    g_variant_builder_add (&settings, "{sv}", "SharedDirectory",
                           g_variant_new_string (options->shared_dir));
  return g_variant_builder_end (&settings);
}

/* Text: the new endpoint's path. JSON: {"action":"endpoint-add","endpoint":NAME,"path":…} */
static CtlRecord *
endpoint_add (CtlContext *ctx, const char *name, EndpointOptions *options, GError **error)
{
  g_autoptr(OodDbusManager) manager = ctl_open_manager (ctx, CTL_CALL_TIMEOUT_MS, error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *path = NULL;

  if (manager == NULL ||
      !ood_dbus_manager_call_add_endpoint_sync (manager, name, add_settings (options), &path, NULL,
                                                error))
    return NULL;
  json_builder_begin_object (builder);
  build_done (builder, name, "endpoint-add");
  ctl_build_string (builder, "path", path);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&path_line, builder);
}

static CtlRecord *
endpoint_remove (CtlContext *ctx, const char *name, G_GNUC_UNUSED EndpointOptions *options,
                 GError **error)
{
  g_autoptr(OodDbusManager) manager = ctl_open_manager (ctx, CTL_CALL_TIMEOUT_MS, error);

  if (manager == NULL || !ood_dbus_manager_call_remove_endpoint_sync (manager, name, NULL, error))
    return NULL;
  return done_record (name, "endpoint-remove");
}

static CtlRecord *
endpoint_restart (CtlContext *ctx, const char *name, G_GNUC_UNUSED EndpointOptions *options,
                  GError **error)
{
  g_autoptr(OodDbusEndpoint) endpoint = ctl_open_endpoint (ctx, name, CTL_CALL_TIMEOUT_MS, error);

  if (endpoint == NULL || !ood_dbus_endpoint_call_restart_sync (endpoint, NULL, error))
    return NULL;
  return done_record (name, "endpoint-restart");
}

/* Text: the lines. JSON: {"endpoint":NAME,"lines":[…]} */
static CtlRecord *
endpoint_log (CtlContext *ctx, const char *name, EndpointOptions *options, GError **error)
{
  g_autoptr(OodDbusEndpoint) endpoint = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) log = NULL;

  endpoint = ctl_open_endpoint (ctx, name, CTL_CALL_TIMEOUT_MS, error);
  if (endpoint == NULL ||
      !ood_dbus_endpoint_call_get_log_sync (endpoint, options->n_lines, &log, NULL, error))
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_string (builder, "endpoint", name);
  ctl_build_strv (builder, "lines", (const char *const *) log);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&log_lines, builder);
}

static const struct {
  const char   *name;
  EndpointFunc  func;
} subcommands[] = {
  { "add", endpoint_add },
  { "remove", endpoint_remove },
  { "restart", endpoint_restart },
  { "log", endpoint_log },
};

/* Checks "endpoint SUBCOMMAND NAME" and its options before anything is sent. */
static gboolean
check_usage (const char *sub, EndpointOptions *options, EndpointFunc *func, GError **error)
{
  gboolean add = g_str_equal (sub, "add");
  guint64 lines = 0;
  g_autoptr(GError) local = NULL;

  *func = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (subcommands); i++)
    if (g_str_equal (subcommands[i].name, sub))
      *func = subcommands[i].func;
  if (*func == NULL)
    return ctl_usage_error (error, "unknown endpoint command '%s': expected add, remove, restart "
                            "or log", sub);
  if (!add && (options->address || options->exec || options->shared_dir))
    return ctl_usage_error (error, "--address, --exec and --shared-dir only go with 'endpoint add'");
  if (add && (options->address == NULL) == (options->exec == NULL))
    return ctl_usage_error (error, "endpoint add takes one of --address HOST:PORT and --exec "
                            "'COMMAND LINE'");
  if (options->lines != NULL && !g_str_equal (sub, "log"))
    return ctl_usage_error (error, "-n only goes with 'endpoint log'");
  if (options->lines != NULL && !ctl_parse_number (options->lines, G_MAXUINT32, &lines, &local))
    return ctl_usage_error (error, "%s", local->message);
  options->n_lines = (guint) lines;
  return TRUE;
}

CtlRecord *
ctl_cmd_endpoint (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_auto(EndpointOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &options.address,
      "add: OpenOCD's Tcl RPC server, which someone else runs", "HOST:PORT" },
    { "exec", 0, 0, G_OPTION_ARG_STRING, &options.exec,
      "add: an OpenOCD command line the service runs and supervises (split as a shell would)",
      "'COMMAND LINE'" },
    { "shared-dir", 0, 0, G_OPTION_ARG_FILENAME, &options.shared_dir,
      "add: where the service puts images for OpenOCD to read (an absolute path)", "DIR" },
    { "lines", 'n', 0, G_OPTION_ARG_STRING, &options.lines,
      "log: the newest N lines only (default: all the service keeps)", "N" },
    G_OPTION_ENTRY_NULL
  };
  EndpointFunc func;

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error) ||
      !check_usage (argv[1], &options, &func, error))
    return NULL;
  return func (ctx, argv[2], &options, error);
}
