/* SPDX-License-Identifier: MIT */
/*
 * openocdctl lease and leases: run a command while holding an endpoint's
 * lease (org.openocd.Endpoint.Acquire, org.openocd.Lease), as a lab uses
 * flock, and list the leases held. The command gets the lease in
 * $OPENOCDCTL_LEASE; every openocdctl it runs joins it (ctl_connect()).
 */
#include "openocdctl.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#define MAX_WAIT_S 3600

/* ENDPOINT UID NAME SINCE QUEUE REASON, as "%-12s %-6s %-10s %-19s %-5s %s" */
static const CtlField lease_fields[] = {
  { .member = "endpoint", .width = 12, .heading = "ENDPOINT" },
  { .member = "holder_uid", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .width = 6,
    .heading = "UID" },
  { .member = "holder_name", .prefix = " ", .width = 10, .heading = "NAME" },
  { .member = "since", .format = CTL_FORMAT_REALTIME_US, .prefix = " ", .width = 19,
    .heading = "SINCE" },
  { .member = "queue", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .width = 5,
    .heading = "QUEUE" },
  { .member = "reason", .prefix = " ", .absent = "-", .heading = "REASON" },
  { NULL }
};

static const CtlLayout lease_table = { CTL_LAYOUT_TABLE, lease_fields };

/* ---- leases ------------------------------------------------------------- */

/* Adds the members of one lease: its properties, and the name and queue
 * of its endpoint (its path if @manager does not know it). */
static void
build_lease (JsonBuilder *builder, OodDbusLease *lease, GDBusObjectManager *manager)
{
  const char *endpoint_path = ood_dbus_lease_get_endpoint (lease);
  g_autoptr(GDBusInterface) iface = endpoint_path != NULL
    ? g_dbus_object_manager_get_interface (manager, endpoint_path, CTL_IFACE_ENDPOINT) : NULL;
  OodDbusEndpoint *endpoint = iface != NULL ? OOD_DBUS_ENDPOINT (iface) : NULL;

  ctl_build_string (builder, "endpoint",
                    endpoint != NULL ? ood_dbus_endpoint_get_name (endpoint) : endpoint_path);
  ctl_build_string (builder, "endpoint_path", endpoint_path);
  ctl_build_uint (builder, "holder_uid", ood_dbus_lease_get_holder_uid (lease));
  ctl_build_string (builder, "holder_name", ood_dbus_lease_get_holder_name (lease));
  ctl_build_string (builder, "reason", ood_dbus_lease_get_reason (lease));
  ctl_build_uint (builder, "since", ood_dbus_lease_get_since (lease));
  ctl_build_uint (builder, "queue", endpoint != NULL ? ood_dbus_endpoint_get_lease_queue (endpoint) : 0);
  ctl_build_string (builder, "path", g_dbus_proxy_get_object_path (G_DBUS_PROXY (lease)));
}

/* Text: a table. JSON: an array of every lease's properties, with
 * "endpoint" (the name) and "queue" (how many wait for it). */
CtlRecord *
ctl_cmd_leases (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) objects = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error) || !ctl_connect (ctx, FALSE, error))
    return NULL;
  objects = ctl_list_objects (ctx, CTL_IFACE_LEASE);
  json_builder_begin_array (builder);
  for (guint i = 0; i < objects->len; i++)
    {
      json_builder_begin_object (builder);
      build_lease (builder, ood_dbus_object_peek_lease (objects->pdata[i]), ctx->manager);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&lease_table, builder);
}

/* ---- lease -------------------------------------------------------------- */

typedef struct {
  GSubprocess *child;
  gboolean     done;
} Child;

static void
on_child_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Child *child = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  child->done = TRUE;
}

typedef struct {
  Child *child;
  int    signum;
} Forward;

/* SIGTERM and SIGHUP sent to openocdctl go on to the command, which
 * decides; SIGINT (Ctrl-C) reaches the command from the terminal itself.
 * openocdctl stays until the command ends, to release the lease and exit
 * with the command's status. */
static gboolean
on_forward (gpointer user_data)
{
  Forward *forward = user_data;

  if (forward->signum != SIGINT)
    g_subprocess_send_signal (forward->child->child, forward->signum);
  return G_SOURCE_CONTINUE;
}

/* Runs @argv with $OPENOCDCTL_LEASE set to @lease until it ends; returns its status as a
 * shell gives it (128 + N for signal N), or -1 with @error. */
static int
run_command (char **argv, const char *lease, GError **error)
{
  static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  Forward forwards[G_N_ELEMENTS (forwarded)];
  guint sources[G_N_ELEMENTS (forwarded)];
  Child child = { 0 };
  int status;

  g_subprocess_launcher_setenv (launcher, "OPENOCDCTL_LEASE", lease, TRUE);
  child.child = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, error);
  if (child.child == NULL)
    {
      g_prefix_error (error, "cannot run %s: ", argv[0]);
      return -1;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (forwarded); i++)
    {
      forwards[i] = (Forward) { &child, forwarded[i] };
      sources[i] = g_unix_signal_add (forwarded[i], on_forward, &forwards[i]);
    }
  g_subprocess_wait_async (child.child, NULL, on_child_done, &child);
  while (!child.done)
    g_main_context_iteration (NULL, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (forwarded); i++)
    g_source_remove (sources[i]);
  status = g_subprocess_get_if_exited (child.child) ? g_subprocess_get_exit_status (child.child)
                                                     : 128 + g_subprocess_get_term_sig (child.child);
  g_object_unref (child.child);
  return status;
}

/* "LEASE-PATH TOKEN": what the command gets in $OPENOCDCTL_LEASE */
static char *
share (GDBusConnection *bus, const char *path, GError **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, CTL_BUS_NAME, path,
                                                           CTL_IFACE_LEASE, "Share", NULL,
                                                           G_VARIANT_TYPE ("(s)"),
                                                           G_DBUS_CALL_FLAGS_NONE,
                                                           CTL_CALL_TIMEOUT_MS, NULL, error);
  const char *token;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&s)", &token);
  return g_strdup_printf ("%s %s", path, token);
}

static gboolean
release (CtlContext *ctx, GDBusConnection *bus, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, CTL_BUS_NAME, path,
                                                           CTL_IFACE_LEASE, "Release", NULL, NULL,
                                                           G_DBUS_CALL_FLAGS_NONE,
                                                           CTL_CALL_TIMEOUT_MS, NULL, &error);

  if (reply != NULL)
    return TRUE;
  g_dbus_error_strip_remote_error (error);
  ctl_notice (ctx, "the lease had ended before the command did (%s)", error->message);
  return FALSE;
}

/* Parses --wait: whole seconds, at most an hour. */
static gboolean
parse_wait (const char *text, guint *wait_ms, GError **error)
{
  g_autoptr(GError) local = NULL;
  guint64 seconds = 0;

  if (text != NULL && !ctl_parse_number (text, MAX_WAIT_S, &seconds, &local))
    return ctl_usage_error (error, "--wait: %s", local->message);
  *wait_ms = (guint) seconds * 1000;
  return TRUE;
}

/* @argv up to the first "--" (a new array of argv's strings, for
 * GOption to parse: it would drop a "--" followed by no option), and
 * returns what follows, the command; NULL if there is no command. */
static char **
split_command (int argc, char **argv, char ***options)
{
  int separator = 1;

  while (separator < argc && !g_str_equal (argv[separator], "--"))
    separator++;
  if (separator + 1 >= argc)
    return NULL;
  *options = g_new0 (char *, separator + 1);
  memcpy (*options, argv, sizeof (char *) * (gsize) separator);
  return argv + separator + 1;
}

/*
 * Text: nothing (the command's own output). JSON:
 * {"action":"lease","endpoint":NAME,"lease":PATH,"status":N,"released":B}
 * after the command's output. Exits with the command's status.
 */
CtlRecord *
ctl_cmd_lease (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autofree char *wait = NULL;
  g_autofree char *reason = NULL;
  const GOptionEntry entries[] = {
    { "wait", 0, 0, G_OPTION_ARG_STRING, &wait,
      "How long to wait while someone else holds the lease (default 0: not at all)", "SECONDS" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason,
      "Why, for others to read (at most 256 bytes)", "TEXT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(OodDbusEndpoint) endpoint = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char **options = NULL;   /* the strings are argv's */
  char **parsed, **command;
  const char *name;
  int n_options;
  g_autofree char *path = NULL;
  g_autofree char *lease = NULL;
  GDBusConnection *bus;
  guint wait_ms = 0;
  gboolean released;
  int status;

  command = split_command (argc, argv, &options);
  if (command == NULL)
    {
      /* still parsed, so that --help prints the options */
      if (ctl_parse_command (ctx, &argc, &argv, entries, error))
        ctl_usage_error (error,
                         "usage: %s lease [--wait SECONDS] [--reason TEXT] ENDPOINT -- "
                         "COMMAND [ARG…]",
                         g_get_prgname ());
      return NULL;
    }
  n_options = (int) g_strv_length (options);
  parsed = options;
  if (!ctl_parse_command (ctx, &n_options, &parsed, entries, error) ||
      !parse_wait (wait, &wait_ms, error))
    return NULL;
  name = parsed[1];
  endpoint = ctl_open_endpoint (ctx, name, wait_ms + CTL_CALL_TIMEOUT_MS, error);
  if (endpoint == NULL ||
      !ood_dbus_endpoint_call_acquire_sync (endpoint, reason != NULL ? reason : "", wait_ms,
                                            &path, NULL, error))
    return NULL;
  bus = g_dbus_proxy_get_connection (G_DBUS_PROXY (endpoint));
  lease = share (bus, path, error);
  status = lease != NULL ? run_command (command, lease, error) : -1;
  released = release (ctx, bus, path);
  if (status < 0)
    return NULL;
  ctx->exit_status = status;
  json_builder_begin_object (builder);
  ctl_build_string (builder, "action", "lease");
  ctl_build_string (builder, "endpoint", name);
  ctl_build_string (builder, "lease", path);
  ctl_build_uint (builder, "status", (guint64) status);
  ctl_build_bool (builder, "released", released);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}
