/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-test"

#include "ood-service-fixture.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "ood-error.h"

#define READY_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 10000

struct _OodServiceFixture {
  GTestDBus       *bus_daemon;
  GDBusConnection *bus;
  GPtrArray       *boards;      /* (element-type OodTestbed) */
  GPtrArray       *targets;     /* (element-type OodDbusTarget) per board, lazily */
  GPtrArray       *breakpoints; /* (element-type OodDbusBreakpoints) per board, lazily */
  GPtrArray       *endpoints;   /* (element-type OodDbusEndpoint) per board, lazily */
  GSubprocess     *service;
  GStrv            service_argv;
  GStrv            extra_args;   /* of the options, kept to rebuild service_argv */
  GPtrArray       *addresses;    /* (element-type utf8) per board: what the daemon is told, or NULL */
  char            *tmpdir;
  char            *log_path;
  gboolean         supervised;   /* Exec= groups, not Address= */
  char            *config_text;  /* (nullable): the test's own configuration */
  gboolean         keep_tmpdir;  /* the daemon ended badly: keep its log */
};

gboolean
ood_test_wait_for (OodTestCondition condition, gpointer user_data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return TRUE;
}

char *
ood_service_fixture_dup_endpoint_name (OodServiceFixture *fixture, guint board)
{
  return fixture->boards->len <= 1 ? g_strdup ("default") : g_strdup_printf ("board%u", board);
}

char *
ood_service_fixture_dup_target_path (OodServiceFixture *fixture, guint board)
{
  g_autofree char *endpoint = ood_service_fixture_dup_endpoint_name (fixture, board);
  g_autofree char *escaped = g_dbus_escape_object_path (
      ood_testbed_get_target_name (fixture->boards->pdata[board]));

  return g_strdup_printf ("/org/openocd/%s/%s", endpoint, escaped);
}

/* The OpenOCD address the daemon is given for @board: the testbed's,
 * unless ood_service_fixture_set_openocd_address() named another. */
static char *
board_address (OodServiceFixture *fixture, guint board)
{
  const char *address = fixture->addresses->pdata[board];

  return address != NULL ? g_strdup (address) : ood_testbed_get_address (fixture->boards->pdata[board]);
}

char *
ood_service_fixture_dup_exec_group (OodServiceFixture *fixture, guint board)
{
  g_autofree char *name = ood_service_fixture_dup_endpoint_name (fixture, board);
  g_auto(GStrv) argv = ood_testbed_dup_openocd_argv (fixture->boards->pdata[board]);
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, "[Endpoint %s]\nExec=", name);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      g_string_append_printf (text, "%s%s", i > 0 ? " " : "", quoted);
    }
  g_string_append_c (text, '\n');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
write_config (OodServiceFixture *fixture, GError **error)
{
  g_autoptr(GString) text = g_string_new ("# written by the test fixture\n");
  char *path = g_build_filename (fixture->tmpdir, "openocd-dbus.conf", NULL);

  for (guint i = 0; i < fixture->boards->len; i++)
    {
      g_autofree char *address = board_address (fixture, i);
      g_autofree char *group = fixture->supervised ? ood_service_fixture_dup_exec_group (fixture, i)
                                                   : NULL;
      if (group != NULL)
        g_string_append (text, group);
      else
        g_string_append_printf (text, "[Endpoint board%u]\nAddress=%s\n", i, address);
    }
  if (!g_file_set_contents (path, text->str, -1, error))
    g_clear_pointer (&path, g_free);
  return path;
}

static GStrv
service_argv (OodServiceFixture *fixture, GError **error)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();

  g_strv_builder_add_many (argv, ood_test_env_or ("OOD_DAEMON", OOD_DAEMON_DEFAULT), "--address",
                           g_test_dbus_get_bus_address (fixture->bus_daemon), NULL);
  if (fixture->config_text != NULL)
    {
      g_autofree char *config = g_build_filename (fixture->tmpdir, "openocd-dbus.conf", NULL);
      if (!g_file_set_contents (config, fixture->config_text, -1, error))
        return NULL;
      g_strv_builder_add_many (argv, "--config", config, NULL);
    }
  else if (fixture->boards->len == 1 && !fixture->supervised)
    {
      g_autofree char *address = board_address (fixture, 0);
      /* an empty configuration, so no system-wide file is read (a regular
       * file: the daemon refuses devices such as /dev/null) */
      g_autofree char *empty = g_build_filename (fixture->tmpdir, "empty.conf", NULL);
      if (!g_file_set_contents (empty, "", 0, error))
        return NULL;
      g_strv_builder_add_many (argv, "--openocd", address, "--config", empty, NULL);
    }
  else
    {
      g_autofree char *config = write_config (fixture, error);
      if (config == NULL)
        return NULL;
      g_strv_builder_add_many (argv, "--config", config, NULL);
    }
  for (guint i = 0; fixture->extra_args != NULL && fixture->extra_args[i] != NULL; i++)
    g_strv_builder_add (argv, fixture->extra_args[i]);
  if (g_getenv ("OOD_TEST_VERBOSE") != NULL)
    g_strv_builder_add (argv, "--verbose");
  return g_strv_builder_end (argv);
}

typedef struct {
  OodServiceFixture *fixture;
  OodDbusEndpoint      **endpoints;
} Ready;

static gboolean
all_connected (gpointer user_data)
{
  Ready *ready = user_data;

  for (guint i = 0; i < ready->fixture->boards->len; i++)
    {
      const char *const *targets = ood_dbus_endpoint_get_targets (ready->endpoints[i]);
      if (!ood_dbus_endpoint_get_connected (ready->endpoints[i]) || targets == NULL ||
          targets[0] == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Waits until every endpoint is connected and has its target. */
static gboolean
wait_ready (OodServiceFixture *fixture, GError **error)
{
  g_autofree OodDbusEndpoint **endpoints = g_new0 (OodDbusEndpoint *, fixture->boards->len);
  Ready ready = { fixture, endpoints };
  gboolean ok;

  for (guint i = 0; i < fixture->boards->len; i++)
    endpoints[i] = ood_service_fixture_get_endpoint (fixture, i);
  ok = ood_test_wait_for (all_connected, &ready, READY_TIMEOUT_MS);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "the service did not connect to every OpenOCD in time; see %s",
                 fixture->log_path);
  return ok;
}

/**
 * ood_service_fixture_start_service:
 *
 * Starts the daemon (again) and waits until its endpoints are connected.
 */
static gboolean
proxies_ownerless (gpointer user_data)
{
  OodServiceFixture *fixture = user_data;

  for (guint i = 0; i < fixture->endpoints->len; i++)
    {
      g_autofree char *owner = NULL;

      if (fixture->endpoints->pdata[i] == NULL)
        continue;
      owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (fixture->endpoints->pdata[i]));
      if (owner != NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
name_owned (gpointer user_data)
{
  OodServiceFixture *fixture = user_data;
  g_autoptr(GVariant) owner = g_dbus_connection_call_sync (
      fixture->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetNameOwner", g_variant_new ("(s)", "org.openocd"), NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
      NULL, NULL);

  return owner != NULL;
}

gboolean
ood_service_fixture_use_config (OodServiceFixture *fixture, const char *text, GError **error)
{
  GStrv argv;

  g_free (fixture->config_text);
  fixture->config_text = g_strdup (text);
  argv = service_argv (fixture, error);
  if (argv == NULL)
    return FALSE;
  g_strfreev (fixture->service_argv);
  fixture->service_argv = argv;
  return TRUE;
}

gboolean
ood_service_fixture_start_service (OodServiceFixture *fixture, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  g_return_val_if_fail (fixture->service == NULL, FALSE);
  if (g_getenv ("OOD_TEST_VERBOSE") != NULL)
    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  else
    {
      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
      g_subprocess_launcher_set_stderr_file_path (launcher, fixture->log_path);
    }
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  fixture->service = g_subprocess_launcher_spawnv (launcher,
                                                   (const char *const *) fixture->service_argv,
                                                   error);
  if (fixture->service == NULL)
    return FALSE;
  if (fixture->config_text == NULL)
    return wait_ready (fixture, error);
  if (ood_test_wait_for (name_owned, fixture, READY_TIMEOUT_MS))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the service did not own its name in "
               "time; see %s", fixture->log_path);
  return FALSE;
}

static gboolean
exited (gpointer user_data)
{
  return g_subprocess_get_if_exited (user_data) || g_subprocess_get_if_signaled (user_data);
}

static gboolean
subprocess_done (gpointer user_data)
{
  GSubprocess *process = user_data;

  /* get_if_* may only be asked once the process is reaped */
  return g_subprocess_get_identifier (process) == NULL && exited (process);
}

/**
 * ood_service_fixture_stop_service:
 *
 * Sends SIGTERM and waits for the daemon to exit.
 *
 * Returns: its exit status, 128 + signal if it died of a signal, or -1 if
 *   it did not stop in time (it is then killed)
 */
int
ood_service_fixture_stop_service (OodServiceFixture *fixture)
{
  g_autoptr(GSubprocess) service = g_steal_pointer (&fixture->service);
  int status = -1;

  if (service == NULL)
    return 0;
  g_subprocess_send_signal (service, SIGTERM);
  if (ood_test_wait_for (subprocess_done, service, STOP_TIMEOUT_MS))
    status = g_subprocess_get_if_exited (service) ? g_subprocess_get_exit_status (service)
                                                  : 128 + g_subprocess_get_term_sig (service);
  else
    g_subprocess_force_exit (service);
  if (status != 0)
    {
      fixture->keep_tmpdir = TRUE;
      g_printerr ("# openocd-dbusd ended with status %d; log: %s\n", status, fixture->log_path);
    }
  /* the proxies must have seen the name go, or a restart would find the
   * old daemon's cached values (Connected, Targets) and not wait */
  ood_test_wait_for (proxies_ownerless, fixture, STOP_TIMEOUT_MS);
  return status;
}

static void
unref_if_set (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static gboolean
start_boards (OodServiceFixture *fixture, const OodServiceOptions *options, GError **error)
{
  OodTestbedOptions testbed_options = { .target_name = options->target_name,
                                        .bind_address = options->bind_address,
                                        .gdb = options->gdb,
                                        .no_openocd = options->supervised,
                                        .image_path = options->image_path,
                                        .rtt_commands = options->rtt_commands,
                                        .harts = options->harts,
                                        .smp = options->smp,
                                        .sim_trace = options->sim_trace,
                                        .flash_banks = options->flash_banks };
  guint n = MAX (options->n_boards, 1);

  for (guint i = 0; i < n; i++)
    {
      OodTestbed *testbed = ood_testbed_new (&testbed_options, error);
      if (testbed == NULL)
        return FALSE;
      g_ptr_array_add (fixture->boards, testbed);
      g_ptr_array_add (fixture->targets, NULL);
      g_ptr_array_add (fixture->breakpoints, NULL);
      g_ptr_array_add (fixture->endpoints, NULL);
      g_ptr_array_add (fixture->addresses, NULL);
    }
  return TRUE;
}

OodServiceFixture *
ood_service_fixture_new (const OodServiceOptions *options, GError **error)
{
  const OodServiceOptions no_options = { 0 };
  g_autoptr(OodServiceFixture) fixture = g_new0 (OodServiceFixture, 1);

  options = options != NULL ? options : &no_options;
  (void) ood_error_quark ();
  fixture->boards = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_testbed_free);
  fixture->targets = g_ptr_array_new_with_free_func (unref_if_set);
  fixture->breakpoints = g_ptr_array_new_with_free_func (unref_if_set);
  fixture->endpoints = g_ptr_array_new_with_free_func (unref_if_set);
  fixture->addresses = g_ptr_array_new_with_free_func (g_free);
  fixture->extra_args = g_strdupv ((GStrv) options->extra_args);
  fixture->supervised = options->supervised;
  fixture->tmpdir = g_dir_make_tmp ("ood-service-XXXXXX", error);
  if (fixture->tmpdir == NULL || !start_boards (fixture, options, error))
    return NULL;
  fixture->log_path = g_build_filename (fixture->tmpdir, "openocd-dbusd.log", NULL);
  fixture->bus_daemon = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus_daemon);
  fixture->bus = g_dbus_connection_new_for_address_sync (
      g_test_dbus_get_bus_address (fixture->bus_daemon),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, error);
  if (fixture->bus == NULL)
    return NULL;
  fixture->service_argv = service_argv (fixture, error);
  if (fixture->service_argv == NULL)
    return NULL;
  if (!options->no_service && !ood_service_fixture_start_service (fixture, error))
    return NULL;
  return g_steal_pointer (&fixture);
}

static void
remove_tmpdir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_unlink (file);
    }
  g_rmdir (path);
}

void
ood_service_fixture_free (OodServiceFixture *fixture)
{
  if (fixture == NULL)
    return;
  if (fixture->service != NULL)
    ood_service_fixture_stop_service (fixture);
  g_clear_pointer (&fixture->targets, g_ptr_array_unref);
  g_clear_pointer (&fixture->breakpoints, g_ptr_array_unref);
  g_clear_pointer (&fixture->endpoints, g_ptr_array_unref);
  if (fixture->bus != NULL)
    g_dbus_connection_close_sync (fixture->bus, NULL, NULL);
  g_clear_object (&fixture->bus);
  if (fixture->bus_daemon != NULL)
    g_test_dbus_down (fixture->bus_daemon);
  g_clear_object (&fixture->bus_daemon);
  g_clear_pointer (&fixture->boards, g_ptr_array_unref);
  g_strfreev (fixture->service_argv);
  g_strfreev (fixture->extra_args);
  g_clear_pointer (&fixture->addresses, g_ptr_array_unref);
  if (fixture->tmpdir != NULL && !fixture->keep_tmpdir)
    remove_tmpdir (fixture->tmpdir);
  g_free (fixture->tmpdir);
  g_free (fixture->log_path);
  g_free (fixture->config_text);
  g_free (fixture);
}

/**
 * ood_service_fixture_set_openocd_address:
 * @address: "host:port" the daemon is to use for @board's OpenOCD instead
 *   of the testbed's (e.g. a fault-injection proxy in front of it)
 *
 * Takes effect at the next ood_service_fixture_start_service(); create the
 * fixture with no_service to have it from the start.
 */
gboolean
ood_service_fixture_set_openocd_address (OodServiceFixture *fixture, guint board,
                                         const char *address, GError **error)
{
  GStrv argv;

  g_return_val_if_fail (board < fixture->boards->len, FALSE);
  g_free (fixture->addresses->pdata[board]);
  fixture->addresses->pdata[board] = g_strdup (address);
  argv = service_argv (fixture, error);
  if (argv == NULL)
    return FALSE;
  g_strfreev (fixture->service_argv);
  fixture->service_argv = argv;
  return TRUE;
}

GDBusConnection *
ood_service_fixture_get_bus (OodServiceFixture *fixture)
{
  return fixture->bus;
}

const char *
ood_service_fixture_get_bus_address (OodServiceFixture *fixture)
{
  return g_test_dbus_get_bus_address (fixture->bus_daemon);
}

OodTestbed *
ood_service_fixture_get_testbed (OodServiceFixture *fixture, guint board)
{
  return fixture->boards->pdata[board];
}

GPid
ood_service_fixture_get_service_pid (OodServiceFixture *fixture)
{
  const char *id = fixture->service != NULL ? g_subprocess_get_identifier (fixture->service) : NULL;

  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

const char *
ood_service_fixture_get_tmpdir (OodServiceFixture *fixture)
{
  return fixture->tmpdir;
}

const char *
ood_service_fixture_get_log_path (OodServiceFixture *fixture)
{
  return fixture->log_path;
}

/* Proxies are made on first use and kept, so their property caches follow
 * PropertiesChanged for the rest of the test. */
static gpointer
proxy_for (OodServiceFixture *fixture, GPtrArray *cache, guint board, GType type,
           const char *interface, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (cache->pdata[board] == NULL)
    cache->pdata[board] = g_initable_new (type, NULL, &error,
                                          "g-connection", fixture->bus,
                                          "g-name", "org.openocd",
                                          "g-object-path", path,
                                          "g-interface-name", interface,
                                          NULL);
  g_assert_no_error (error);
  return cache->pdata[board];
}

OodDbusTarget *
ood_service_fixture_get_target (OodServiceFixture *fixture, guint board)
{
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, board);

  return proxy_for (fixture, fixture->targets, board, OOD_DBUS_TYPE_TARGET_PROXY,
                    "org.openocd.Target", path);
}

OodDbusBreakpoints *
ood_service_fixture_get_breakpoints (OodServiceFixture *fixture, guint board)
{
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, board);

  return proxy_for (fixture, fixture->breakpoints, board, OOD_DBUS_TYPE_BREAKPOINTS_PROXY,
                    "org.openocd.Breakpoints", path);
}

OodDbusEndpoint *
ood_service_fixture_get_endpoint (OodServiceFixture *fixture, guint board)
{
  g_autofree char *name = ood_service_fixture_dup_endpoint_name (fixture, board);
  g_autofree char *path = g_strdup_printf ("/org/openocd/%s", name);

  return proxy_for (fixture, fixture->endpoints, board, OOD_DBUS_TYPE_ENDPOINT_PROXY,
                    "org.openocd.Endpoint", path);
}
