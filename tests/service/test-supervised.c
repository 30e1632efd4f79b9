/* SPDX-License-Identifier: MIT */
/*
 * Supervised endpoints (Exec=): the service starts each board's real
 * OpenOCD 0.12 against the simulated board, publishes its process, brings
 * it back when it dies, says how bad command lines end, and takes its
 * OpenOCDs with it when it goes, also when it is killed. And
 * org.openocd.Manager: endpoints added and removed over the bus, and
 * FindTarget. A private bus per case.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-proc.h"

#define WAIT_MS 20000
/* The restarts the backoff allows in any 10 s of a crash loop: starts
 * 0.1, 0.2, 0.4, 0.8, 1.6, 3.2 and 6.4 s apart (ood-supervisor.h), so at
 * most 7 starts fit in 10 s. */
#define MAX_STARTS_IN_10_S 7

/* What each case starts: one or two supervised boards, one board whose
 * OpenOCD the test runs, or the bus alone (the case starts the service). */
static const OodServiceOptions one = { .n_boards = 1, .supervised = TRUE };
static const OodServiceOptions two = { .n_boards = 2, .supervised = TRUE };
static const OodServiceOptions unsupervised = { .n_boards = 1 };
static const OodServiceOptions later = { .supervised = TRUE, .no_service = TRUE };
static const char *const bad_exec_args[] = { "--start-timeout", "500", NULL };
static const OodServiceOptions later_bad_exec = { .supervised = TRUE,
                                                  .no_service = TRUE,
                                                  .extra_args = bad_exec_args };

/* A path meson's test environment gives. */
static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  g_assert_nonnull (value);
  return value;
}

static gboolean
pid_gone (gpointer pid)
{
  return !ood_test_pid_alive (GPOINTER_TO_INT (pid));
}

static GVariant *
endpoint_property (OodTestFixture *fx, const char *endpoint, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/org/openocd/%s", endpoint);
  g_autoptr(GError) error = NULL;
  GVariant *value = ood_test_get_property (fx->bus, path, "org.openocd.Endpoint", name, 5000,
                                           &error);

  g_assert_no_error (error);
  return value;
}

static guint
endpoint_uint (OodTestFixture *fx, const char *endpoint, const char *name)
{
  g_autoptr(GVariant) value = endpoint_property (fx, endpoint, name);

  return g_variant_get_uint32 (value);
}

static char *
endpoint_string (OodTestFixture *fx, const char *endpoint, const char *name)
{
  g_autoptr(GVariant) value = endpoint_property (fx, endpoint, name);

  return g_variant_dup_string (value, NULL);
}

static GVariant *
call (OodTestFixture *fx, const char *path, const char *iface, const char *method, GVariant *args,
      GError **error)
{
  return g_dbus_connection_call_sync (fx->bus, "org.openocd", path, iface, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, error);
}

static GStrv
get_log (OodTestFixture *fx, const char *endpoint, guint lines)
{
  g_autofree char *path = g_strdup_printf ("/org/openocd/%s", endpoint);

  return ood_test_endpoint_log (fx->bus, path, lines);
}

/* Whether @run stands in @log as consecutive lines. */
static gboolean
run_in (GStrv log, GStrv run)
{
  guint n = g_strv_length (run);

  for (guint i = 0; i + n <= g_strv_length (log); i++)
    {
      guint j = 0;

      while (j < n && g_str_equal (log[i + j], run[j]))
        j++;
      if (j == n)
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  OodTestFixture *fx;
  const char *endpoint;
  const char *property;
  guint at_least;       /* for a uint property */
  GPid not_pid;         /* for Pid: a live one other than this */
  const char *contains; /* for a string property */
} Until;

static gboolean
until_holds (gpointer user_data)
{
  Until *until = user_data;
  g_autofree char *path = g_strdup_printf ("/org/openocd/%s", until->endpoint);
  /* the endpoint may be away for a moment (a reload restarts it) */
  g_autoptr(GVariant) value = ood_test_get_property (until->fx->bus, path, "org.openocd.Endpoint",
                                                      until->property, 5000, NULL);

  if (value == NULL)
    return FALSE;

  if (until->contains != NULL)
    return strstr (g_variant_get_string (value, NULL), until->contains) != NULL;
  if (until->not_pid != 0)
    return g_variant_get_uint32 (value) != 0 &&
           (GPid) g_variant_get_uint32 (value) != until->not_pid;
  return g_variant_get_uint32 (value) >= until->at_least;
}

static gboolean
target_published (gpointer user_data)
{
  OodTestFixture *fx = user_data;
  OodDbusEndpoint *endpoint = fx->endpoint;
  const char *const *targets = ood_dbus_endpoint_get_targets (endpoint);
  OodDbusTarget *target = fx->target;

  return ood_dbus_endpoint_get_connected (endpoint) && targets != NULL && targets[0] != NULL &&
         g_strcmp0 (ood_dbus_target_get_state (target), "unknown") != 0;
}

/* ---- cases -------------------------------------------------------------- */

/* The service starts OpenOCD with ports of its own choosing, publishes
 * its process, connects, and keeps what OpenOCD printed. */
static void
test_starts (OodTestFixture *fx, gconstpointer options)
{
  OodDbusEndpoint *endpoint = fx->endpoint;
  GPid pid = (GPid) endpoint_uint (fx, "default", "Pid");
  g_autofree char *cmdline = NULL;
  g_autofree char *address = endpoint_string (fx, "default", "Address");
  g_autofree char *tcl_port = NULL;
  g_autofree char *origin = endpoint_string (fx, "default", "Origin");
  g_auto(GStrv) log = get_log (fx, "default", 0);
  g_autofree char *service_log = NULL;

  (void) options;
  g_assert_true (ood_dbus_endpoint_get_supervised (endpoint));
  g_assert_cmpstr (origin, ==, "config");
  g_assert_true (ood_test_pid_alive (pid));
  cmdline = ood_test_proc_cmdline (pid);
  g_test_message ("OpenOCD %d: %s", (int) pid, cmdline);
  g_assert_true (g_str_has_prefix (address, "127.0.0.1:"));
  /* the port it connected to is the one OpenOCD was told to open */
  tcl_port = g_strdup_printf ("tcl_port %s", strrchr (address, ':') + 1);
  g_assert_nonnull (strstr (cmdline, tcl_port));
  g_assert_nonnull (strstr (cmdline, "bindto 127.0.0.1"));
  g_assert_nonnull (strstr (cmdline, "telnet_port disabled"));
  g_assert_cmpuint (endpoint_uint (fx, "default", "Restarts"), ==, 0);
  /* OpenOCD's banner and its listening line, in the ring and in the
   * service's log with the endpoint's name */
  g_assert_true (ood_test_lines_have (log, "Open On-Chip Debugger"));
  g_assert_true (ood_test_lines_have (log, "for tcl connections"));
  g_assert_true (g_file_get_contents (ood_service_fixture_get_log_path (fx->service), &service_log,
                                      NULL, NULL));
  g_assert_nonnull (strstr (service_log, "default: Open On-Chip Debugger"));
}

/* kill -9 the OpenOCD: a new one comes up on the same port, its target is
 * published again, Restarts counts it, LastExit says how the old one
 * ended, and the log still has the old one's lines. */
static void
test_kill_restarts (OodTestFixture *fx, gconstpointer options)
{
  GPid pid = (GPid) endpoint_uint (fx, "default", "Pid");
  g_autofree char *address = endpoint_string (fx, "default", "Address");
  g_autofree char *after = NULL;
  g_autofree char *last_exit = NULL;
  Until new_pid = { fx, "default", "Pid", .not_pid = pid };
  g_auto(GStrv) log = NULL;

  (void) options;
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_true (ood_test_wait_for (until_holds, &new_pid, WAIT_MS));
  g_assert_true (ood_test_wait_for (target_published, fx, WAIT_MS));
  g_assert_true (pid_gone (GINT_TO_POINTER (pid)));
  g_assert_cmpuint (endpoint_uint (fx, "default", "Restarts"), ==, 1);
  last_exit = endpoint_string (fx, "default", "LastExit");
  g_test_message ("LastExit: %s", last_exit);
  g_assert_nonnull (strstr (last_exit, "killed by signal 9"));
  after = endpoint_string (fx, "default", "Address");
  g_assert_cmpstr (after, ==, address);
  log = get_log (fx, "default", 0);
  g_assert_true (ood_test_lines_have (log, "for tcl connections"));
  g_assert_true (ood_test_pid_alive ((GPid) endpoint_uint (fx, "default", "Pid")));
}

/* kill -9 the service: its OpenOCDs die with it. */
static void
test_service_killed (OodTestFixture *fx, gconstpointer options)
{
  GPid first = (GPid) endpoint_uint (fx, "board0", "Pid");
  GPid second = (GPid) endpoint_uint (fx, "board1", "Pid");
  GPid service = ood_service_fixture_get_service_pid (fx->service);

  (void) options;
  g_assert_true (ood_test_pid_alive (first));
  g_assert_true (ood_test_pid_alive (second));
  g_assert_cmpint (kill (service, SIGKILL), ==, 0);
  g_assert_true (ood_test_wait_for (pid_gone, GINT_TO_POINTER (first), WAIT_MS));
  g_assert_true (ood_test_wait_for (pid_gone, GINT_TO_POINTER (second), WAIT_MS));
  /* the fixture reaps the service */
  ood_service_fixture_stop_service (fx->service);
}

/* SIGTERM: the service stops its OpenOCDs before it exits. */
static void
test_service_stopped (OodTestFixture *fx, gconstpointer options)
{
  GPid pid = (GPid) endpoint_uint (fx, "default", "Pid");

  (void) options;
  g_assert_true (ood_test_pid_alive (pid));
  g_assert_cmpint (ood_service_fixture_stop_service (fx->service), ==, 0);
  g_assert_true (ood_test_wait_for (pid_gone, GINT_TO_POINTER (pid), WAIT_MS));
}

static gboolean
says_sleeping (gpointer user_data)
{
  g_auto(GStrv) log = get_log (user_data, "slow", 0);

  for (guint i = 0; log[i] != NULL; i++)
    if (strstr (log[i], "now sleeping") != NULL)
      return TRUE;
  return FALSE;
}

/* An OpenOCD still reading its configuration ignores SIGTERM: the service
 * does not exit before it is gone (SIGKILL, after the supervisor's wait),
 * so none outlives it. */
static void
test_stop_stubborn (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  g_autofree char *text = g_strdup_printf ("[Endpoint slow]\n"
                                           "Exec=%s -c 'echo {now sleeping}' -c 'sleep 600000'\n",
                                           env ("OOD_OPENOCD"));
  Until started = { fx, "slow", "Pid", .at_least = 1 };
  g_autofree char *cmdline = NULL;
  GPid pid;

  (void) options;
  g_assert_true (ood_service_fixture_use_config (fixture, text, &error));
  g_assert_true (ood_service_fixture_start_service (fixture, &error));
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (until_holds, &started, WAIT_MS));
  pid = (GPid) endpoint_uint (fx, "slow", "Pid");
  cmdline = ood_test_proc_cmdline (pid);
  g_assert_nonnull (strstr (cmdline, "sleep 600000"));
  /* it is in its sleep (its signal handlers are set by then) */
  g_assert_true (ood_test_wait_for (says_sleeping, fx, WAIT_MS));
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
  /* gone when the service is: not a moment later */
  g_assert_true (pid_gone (GINT_TO_POINTER (pid)));
}

/* Whether no process's command line is @cmdline. */
static gboolean
no_process_runs (gpointer cmdline)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", name);
      g_autofree char *text = NULL;
      gsize length = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &text, &length, NULL))
        continue;
      for (gsize i = 0; i + 1 < length; i++)
        if (text[i] == '\0')
          text[i] = ' ';
      if (length > 0 && g_str_equal (text, cmdline) &&
          ood_test_pid_alive ((GPid) g_ascii_strtoll (name, NULL, 10)))
        return FALSE;
    }
  return TRUE;
}

/* Command lines that cannot work: each says why in LastExit, and the
 * backoff bounds how often it is tried (counted over 10 s). */
static void
test_bad_exec (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = fx->service;
  const char *openocd = env ("OOD_OPENOCD");
  g_autofree char *sleep_arg = g_strdup_printf ("3600.%u", (guint) getpid ());
  g_autofree char *sleep_line = g_strdup_printf ("sleep %s", sleep_arg);
  g_autofree char *text = g_strdup_printf (
      "[Endpoint missing]\nExec=/nonexistent/openocd -f x.cfg\n"
      "[Endpoint rejected]\nExec=%s -c no_such_command\n"
      "[Endpoint quits]\nExec=%s -c shutdown\n"
      /* arguments after the script are its $0, $1, …: the ports are ignored;
       * the sleep is the shell's child, with a length this run alone uses */
      "[Endpoint silent]\nExec=sh -c \"sleep %s\"\n", openocd, openocd, sleep_arg);
  static const struct { const char *name; const char *says; } cases[] = {
    { "missing", "could not start" },
    { "rejected", "exited with status 1" },
    { "quits", "exited with status 0" },
    { "silent", "did not open its Tcl port within 500 ms" },
  };
  guint before[G_N_ELEMENTS (cases)];
  g_autofree char *rejected = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  (void) options;
  g_assert_true (ood_service_fixture_use_config (fixture, text, &error));
  g_assert_true (ood_service_fixture_start_service (fixture, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Until said = { fx, cases[i].name, "LastExit", .contains = cases[i].says };
      g_autofree char *last_exit = NULL;

      g_assert_true (ood_test_wait_for (until_holds, &said, WAIT_MS));
      last_exit = endpoint_string (fx, cases[i].name, "LastExit");
      g_test_message ("%s: %s", cases[i].name, last_exit);
    }
  /* the line of OpenOCD's output that says why */
  rejected = endpoint_string (fx, "rejected", "LastExit");
  g_assert_nonnull (strstr (rejected, "no_such_command"));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    before[i] = endpoint_uint (fx, cases[i].name, "Restarts");
  /* ten seconds of the crash loop: not a bound on time, a count of what
   * the backoff let through in that time */
  g_timeout_add_once (10000, (GSourceOnceFunc) g_main_loop_quit, loop);
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint starts = endpoint_uint (fx, cases[i].name, "Restarts") - before[i];

      g_test_message ("%s: %u starts in 10 s", cases[i].name, starts);
      g_assert_cmpuint (starts, <=, MAX_STARTS_IN_10_S);
      /* and it does keep trying */
      g_assert_cmpuint (endpoint_uint (fx, cases[i].name, "Restarts"), >=, 2);
    }
  /* what a command started goes with it: each shell's sleep was stopped
   * with its shell, and none is left once the service is gone */
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
  g_assert_true (ood_test_wait_for (no_process_runs, sleep_line, WAIT_MS));
}

/* Restart() starts a new OpenOCD at once; GetLog() gives at most the lines
 * asked for, the newest. */
static void
test_restart_and_log (OodTestFixture *fx, gconstpointer options)
{
  GPid pid = (GPid) endpoint_uint (fx, "default", "Pid");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (fx, "/org/openocd/default", "org.openocd.Endpoint", "Restart",
                                    NULL, &error);
  Until new_pid = { fx, "default", "Pid", .not_pid = pid };
  g_auto(GStrv) all = NULL;
  g_auto(GStrv) last = NULL;

  (void) options;
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (until_holds, &new_pid, WAIT_MS));
  g_assert_true (ood_test_wait_for (target_published, fx, WAIT_MS));
  g_assert_true (pid_gone (GINT_TO_POINTER (pid)));
  g_assert_cmpuint (endpoint_uint (fx, "default", "Restarts"), ==, 1);
  /* the newest three, which OpenOCD may follow with more meanwhile: they
   * stand together in the whole log read next */
  last = get_log (fx, "default", 3);
  all = get_log (fx, "default", 0);
  g_assert_cmpuint (g_strv_length (last), ==, 3);
  g_assert_cmpuint (g_strv_length (all), >, 3);
  g_assert_true (run_in (all, last));
}

/* An endpoint with Address= is not the service's to restart or read. */
static void
test_not_supervised (OodTestFixture *fx, gconstpointer options)
{
  OodDbusEndpoint *endpoint = fx->endpoint;
  static const char *const methods[] = { "Restart", "GetLog" };
  g_autofree char *origin = endpoint_string (fx, "default", "Origin");

  (void) options;
  g_assert_false (ood_dbus_endpoint_get_supervised (endpoint));
  g_assert_cmpuint (endpoint_uint (fx, "default", "Pid"), ==, 0);
  g_assert_cmpstr (origin, ==, "command-line");
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = call (fx, "/org/openocd/default", "org.openocd.Endpoint",
                                        methods[i], i == 1 ? g_variant_new ("(u)", 10) : NULL,
                                        &error);

      g_assert_null (reply);
      OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.NotSupported");
    }
}

/* SIGHUP restarts only the endpoint whose group changed. */
static void
test_sighup_changed_only (OodTestFixture *fx, gconstpointer options)
{
  GPid kept = (GPid) endpoint_uint (fx, "board0", "Pid");
  GPid changed = (GPid) endpoint_uint (fx, "board1", "Pid");
  g_autofree char *path = g_build_filename (ood_service_fixture_get_tmpdir (fx->service),
                                            "openocd-dbus.conf", NULL);
  g_autofree char *group0 = ood_service_fixture_dup_exec_group (fx->service, 0);
  g_autofree char *group1 = ood_service_fixture_dup_exec_group (fx->service, 1);
  g_autofree char *text = NULL;
  g_autofree char *cmdline = NULL;
  Until new_pid = { fx, "board1", "Pid", .not_pid = changed };

  (void) options;
  g_strchomp (group1);
  text = g_strdup_printf ("%s%s -c 'echo changed'\n", group0, group1);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_cmpint (kill (ood_service_fixture_get_service_pid (fx->service), SIGHUP), ==, 0);
  g_assert_true (ood_test_wait_for (until_holds, &new_pid, WAIT_MS));
  g_assert_true (ood_test_wait_for (pid_gone, GINT_TO_POINTER (changed), WAIT_MS));
  g_assert_cmpint ((GPid) endpoint_uint (fx, "board0", "Pid"), ==, kept);
  g_assert_true (ood_test_pid_alive (kept));
  cmdline = ood_test_proc_cmdline ((GPid) endpoint_uint (fx, "board1", "Pid"));
  g_assert_nonnull (strstr (cmdline, "echo changed"));
}

/* ---- org.openocd.Manager ------------------------------------------------- */

static GVariant *
exec_settings (OodTestbed *board)
{
  g_auto(GStrv) argv = ood_testbed_dup_openocd_argv (board);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "Exec", g_variant_new_strv ((const char *const *) argv, -1));
  return g_variant_builder_end (&builder);
}

typedef struct {
  OodTestFixture *fx;
  const char *path;
} Exported;

static gboolean
target_connected (gpointer user_data)
{
  Exported *exported = user_data;
  g_autoptr(GVariant) targets = NULL;
  g_autoptr(GVariant) connected = NULL;

  connected = ood_test_get_property (exported->fx->bus, exported->path, "org.openocd.Endpoint",
                                     "Connected", 5000, NULL);
  targets = ood_test_get_property (exported->fx->bus, exported->path, "org.openocd.Endpoint",
                                   "Targets", 5000, NULL);
  return connected != NULL && g_variant_get_boolean (connected) && targets != NULL &&
         g_variant_n_children (targets) == 1;
}

static gboolean
object_gone (gpointer user_data)
{
  Exported *exported = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) name = ood_test_get_property (exported->fx->bus, exported->path,
                                                     "org.openocd.Endpoint", "Name", 5000, &error);

  return name == NULL;
}

/* AddEndpoint runs an OpenOCD for a new board, FindTarget finds its
 * target, RemoveEndpoint takes it all away again, OpenOCD included. */
static void
test_manager_add_remove (OodTestFixture *fx, gconstpointer options)
{
  const OodTestbedOptions sim_only = { .no_openocd = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) board = ood_testbed_new (&sim_only, &error);
  g_autoptr(GVariant) added = NULL;
  g_autoptr(GVariant) found = NULL;
  g_autoptr(GVariant) removed = NULL;
  g_autofree char *origin = NULL;
  const char *path = NULL;
  const char *target = NULL;
  Exported exported;
  GPid pid;

  (void) options;
  g_assert_no_error (error);
  added = call (fx, "/org/openocd", "org.openocd.Manager", "AddEndpoint",
                g_variant_new ("(s@a{sv})", "lab-1", exec_settings (board)), &error);
  g_assert_no_error (error);
  g_variant_get (added, "(&o)", &path);
  g_assert_cmpstr (path, ==, "/org/openocd/lab_2d1");
  exported = (Exported) { fx, path };
  g_assert_true (ood_test_wait_for (target_connected, &exported, WAIT_MS));
  origin = endpoint_string (fx, "lab_2d1", "Origin");
  g_assert_cmpstr (origin, ==, "bus");
  pid = (GPid) endpoint_uint (fx, "lab_2d1", "Pid");
  g_assert_true (ood_test_pid_alive (pid));

  found = call (fx, "/org/openocd", "org.openocd.Manager", "FindTarget",
                g_variant_new ("(ss)", "lab-1", "riscv.cpu"), &error);
  g_assert_no_error (error);
  g_variant_get (found, "(&o)", &target);
  g_assert_cmpstr (target, ==, "/org/openocd/lab_2d1/riscv_2ecpu");

  removed = call (fx, "/org/openocd", "org.openocd.Manager", "RemoveEndpoint",
                  g_variant_new ("(s)", "lab-1"), &error);
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (object_gone, &exported, WAIT_MS));
  g_assert_true (ood_test_wait_for (pid_gone, GINT_TO_POINTER (pid), WAIT_MS));
}

/* What AddEndpoint, RemoveEndpoint and FindTarget refuse, by error name. */
static void
test_manager_errors (OodTestFixture *fx, gconstpointer options)
{
  GVariantBuilder empty;
  static const struct { const char *name; const char *key; const char *value; const char *error; } adds[] = {
    { "", "Address", "127.0.0.1:1", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "a/b", "Address", "127.0.0.1:1", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "probes", "Address", "127.0.0.1:1", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "ok", "Address", "no port", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "ok", "Colour", "blue", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "ok", "Exec", "", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "ok", "Exec", "openocd 'unbalanced", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "ok", "SharedDirectory", "relative", "org.freedesktop.DBus.Error.InvalidArgs" },
    { "default", "Address", "127.0.0.1:1", "org.openocd.Error.Exists" },
  };
  static const struct { const char *method; const char *a; const char *b; const char *error; } others[] = {
    { "RemoveEndpoint", "nope", NULL, "org.openocd.Error.NotFound" },
    { "RemoveEndpoint", "default", NULL, "org.openocd.Error.NotSupported" },
    { "FindTarget", "nope", "riscv.cpu", "org.openocd.Error.NotFound" },
    { "FindTarget", "default", "nope", "org.openocd.Error.NotFound" },
  };

  (void) options;
  for (guint i = 0; i < G_N_ELEMENTS (adds); i++)
    {
      g_autoptr(GError) error = NULL;
      GVariantBuilder settings;
      g_autoptr(GVariant) reply = NULL;

      g_variant_builder_init (&settings, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&settings, "{sv}", adds[i].key, g_variant_new_string (adds[i].value));
      reply = call (fx, "/org/openocd", "org.openocd.Manager", "AddEndpoint",
                    g_variant_new ("(sa{sv})", adds[i].name, &settings), &error);
      g_test_message ("AddEndpoint %s %s=%s: %s", adds[i].name, adds[i].key, adds[i].value,
                      error != NULL ? error->message : "added");
      OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, adds[i].error);
    }
  {
    /* neither Address nor Exec */
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;

    g_variant_builder_init (&empty, G_VARIANT_TYPE_VARDICT);
    reply = call (fx, "/org/openocd", "org.openocd.Manager", "AddEndpoint",
                  g_variant_new ("(sa{sv})", "ok", &empty), &error);
    OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
  }
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = call (fx, "/org/openocd", "org.openocd.Manager", others[i].method,
                                        others[i].b != NULL
                                          ? g_variant_new ("(ss)", others[i].a, others[i].b)
                                          : g_variant_new ("(s)", others[i].a), &error);

      g_test_message ("%s %s: %s", others[i].method, others[i].a,
                      error != NULL ? error->message : "done");
      OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, others[i].error);
    }
  /* nothing was added, and the configured endpoint is still there */
  g_assert_true (ood_dbus_endpoint_get_connected (fx->endpoint));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  OOD_TEST_ADD ("/supervised/starts", &one, test_starts);
  OOD_TEST_ADD ("/supervised/kill-restarts", &one, test_kill_restarts);
  OOD_TEST_ADD ("/supervised/service-killed", &two, test_service_killed);
  OOD_TEST_ADD ("/supervised/service-stopped", &one, test_service_stopped);
  OOD_TEST_ADD ("/supervised/stop-stubborn", &later, test_stop_stubborn);
  OOD_TEST_ADD ("/supervised/bad-exec", &later_bad_exec, test_bad_exec);
  OOD_TEST_ADD ("/supervised/restart-and-log", &one, test_restart_and_log);
  OOD_TEST_ADD ("/supervised/not-supervised", &unsupervised, test_not_supervised);
  OOD_TEST_ADD ("/supervised/sighup-changed-only", &two, test_sighup_changed_only);
  OOD_TEST_ADD ("/supervised/manager-add-remove", &unsupervised, test_manager_add_remove);
  OOD_TEST_ADD ("/supervised/manager-errors", &unsupervised, test_manager_errors);
  return g_test_run ();
}
