/* SPDX-License-Identifier: MIT */
/*
 * Access control for real: a private dbus-daemon configured like a system
 * bus (deny by default, EXTERNAL auth) that includes the built
 * org.openocd.conf, python-dbusmock's polkitd template on it as polkit,
 * the real openocd-dbusd serving it as its system bus (--system, with
 * DBUS_SYSTEM_BUS_ADDRESS pointing there) in front of the simulated board,
 * and clients running as uid 65534 via setpriv:
 *   - the bus policy: anybody reads properties, introspects, and reaches
 *     every method; nobody sets properties; nobody but the service's user
 *     owns org.openocd;
 *   - polkit: each method needs its action (the org.openocd.Action of its
 *     XML): allowed when polkit allows exactly that action, and
 *     org.openocd.Error.NotAuthorized naming the action when not;
 *     State, WaitHalt, Flash.Sectors and FindTarget need none;
 *   - "admin asked": a challenge answers NotAuthorized saying that
 *     authentication is needed, and a caller allowing interactive
 *     authorization has polkit told so;
 *   - a polkit that hangs: Timeout after --polkit-timeout, while trusted
 *     callers are served; identical questions in flight share one call;
 *   - no polkit on the system bus: every untrusted call is refused;
 *   - cancelling another user's job needs org.openocd.manage;
 *   - Endpoint.Command() needs org.openocd.raw, which no other action
 *     stands in for.
 * Must run as root (it does in CI); anything missing is a failure.
 */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ood-call.h"
#include "ood-testbed.h"

#define UNPRIVILEGED "65534"
#define POLKIT_TIMEOUT_MS 1500
#define AUTHORITY_PATH "/org/freedesktop/PolicyKit1/Authority"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"
/* RAM the built-in program leaves alone (0x80008400) */
#define SCRATCH "@t 2147517440"

typedef struct {
  char            *tmpdir;
  GSubprocess     *bus_daemon;
  char            *address;
  OodTestbed      *testbed;
  GSubprocess     *service;
  GDBusConnection *root;
  char            *path;
  char            *probe;      /* a copy of policy-probe "nobody" may run */
  char            *client;     /* a copy of polkit-client "nobody" may run */
  GSubprocess     *polkitd;    /* python-dbusmock's polkitd template */
} AccessFixture;

/* @system_bus: (nullable): the child's system bus */
static GSubprocess *
spawn_on (const char *system_bus, GSubprocessFlags flags, const char *stderr_path,
          const char *const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (system_bus != NULL)
    g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", system_bus, TRUE);
  if (stderr_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, stderr_path);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

static GSubprocess *
spawn (GSubprocessFlags flags, const char *stderr_path, const char *const *argv)
{
  return spawn_on (NULL, flags, stderr_path, argv);
}

static void
write_bus_config (AccessFixture *fx, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config = g_strdup_printf (
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig>\n"
      "  <type>system</type>\n"
      "  <listen>unix:dir=%s</listen>\n"
      "  <auth>EXTERNAL</auth>\n"
      "  <policy context=\"default\">\n"
      "    <allow user=\"*\"/>\n"
      "    <deny own=\"*\"/>\n"
      "    <deny send_type=\"method_call\"/>\n"
      "    <allow send_type=\"signal\"/>\n"
      "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
      "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
      "    <allow receive_type=\"method_call\"/>\n"
      "    <allow receive_type=\"method_return\"/>\n"
      "    <allow receive_type=\"error\"/>\n"
      "    <allow receive_type=\"signal\"/>\n"
      "    <allow send_destination=\"org.freedesktop.DBus\"\n"
      "           send_interface=\"org.freedesktop.DBus\"/>\n"
      "    <allow send_destination=\"org.freedesktop.DBus\"\n"
      "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
      "  </policy>\n"
      "  <policy user=\"root\">\n"
      "    <allow own=\"org.freedesktop.PolicyKit1\"/>\n"
      "    <allow send_destination=\"org.freedesktop.PolicyKit1\"/>\n"
      "  </policy>\n"
      "  <policy context=\"default\">\n"
      "    <allow send_destination=\"org.freedesktop.PolicyKit1\"\n"
      "           send_interface=\"org.freedesktop.PolicyKit1.Authority\"/>\n"
      "  </policy>\n"
      "  <include>%s</include>\n"
      "</busconfig>\n",
      fx->tmpdir, path);
  g_autofree char *file = g_build_filename (fx->tmpdir, "bus.conf", NULL);

  g_assert_true (g_file_set_contents (file, config, -1, &error));
  g_assert_no_error (error);
}

static void
start_bus (AccessFixture *fx)
{
  g_autofree char *config = g_build_filename (fx->tmpdir, "bus.conf", NULL);
  g_autofree char *config_arg = g_strdup_printf ("--config-file=%s", config);
  g_autofree char *log = g_build_filename (fx->tmpdir, "dbus-daemon.log", NULL);
  const char *argv[] = { ood_test_env_or ("OOD_DBUS_DAEMON", "dbus-daemon"), config_arg, "--nofork",
                         "--print-address=1", NULL };
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;

  write_bus_config (fx, ood_test_env_or ("OOD_POLICY_CONF", OOD_POLICY_CONF_DEFAULT));
  fx->bus_daemon = spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, log, argv);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fx->bus_daemon));
  fx->address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (fx->address == NULL)
    {
      g_autofree char *text = NULL;
      g_file_get_contents (log, &text, NULL, NULL);
      g_error ("dbus-daemon did not start with the policy: %s", text);
    }
  fx->root = g_dbus_connection_new_for_address_sync (
      fx->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Starts openocd-dbusd as the policy's user and waits until its target
 * answers State(). */
static void
start_service (AccessFixture *fx)
{
  g_autofree char *openocd = ood_testbed_get_address (fx->testbed);
  g_autofree char *log = g_build_filename (fx->tmpdir, "openocd-dbusd.log", NULL);
  const char *dbus_user = ood_test_env_or ("OOD_DBUS_USER", OOD_DBUS_USER_DEFAULT);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autofree char *escaped = g_dbus_escape_object_path ("riscv.cpu");
  /* an empty configuration: the daemon refuses /dev/null, which is no regular file */
  g_autofree char *empty = g_build_filename (fx->tmpdir, "empty.conf", NULL);

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  /* the daemon may run as another user: it must reach the file */
  g_assert_cmpint (g_chmod (empty, 0644), ==, 0);
  g_assert_cmpint (g_chmod (fx->tmpdir, 0711), ==, 0);
  if (!g_str_equal (dbus_user, "root"))
    g_strv_builder_add_many (builder, "setpriv", "--init-groups", "--reuid", dbus_user,
                             "--regid", dbus_user, NULL);
  g_strv_builder_add_many (builder, ood_test_env_or ("OOD_DAEMON", OOD_DAEMON_DEFAULT),
                           "--system", "--polkit-timeout", G_STRINGIFY (POLKIT_TIMEOUT_MS),
                           "--openocd", openocd, "--config", empty,
                           /* Command() on: polkit alone decides */
                           "--allow-raw-commands", NULL);
  argv = g_strv_builder_end (builder);
  fx->service = spawn_on (fx->address, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, log,
                          (const char *const *) argv);
  fx->path = g_strdup_printf ("/org/openocd/default/%s", escaped);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
          fx->root, "org.openocd", fx->path, "org.openocd.Target", "State", NULL, NULL,
          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);

      if (reply != NULL)
        break;
      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (fx->service) == NULL)
        {
          g_autofree char *text = NULL;
          g_file_get_contents (log, &text, NULL, NULL);
          g_error ("openocd-dbusd did not serve %s on the system-like bus (%s); its log:\n%s",
                   fx->path, error->message, text);
        }
      g_usleep (100000);
    }
}

/* A copy of @program that uid 65534 may run (the build tree may not be
 * reachable for it). */
static char *
copy_program (AccessFixture *fx, const char *program, const char *name)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *copy = g_build_filename (fx->tmpdir, name, NULL);

  g_assert_true (g_file_get_contents (program, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (copy, contents, (gssize) length, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (copy, 0755), ==, 0);
  return copy;
}

static gboolean
name_has_owner (AccessFixture *fx, const char *name)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      fx->root, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* python-dbusmock's polkitd template, on the system-like bus. */
static void
start_polkitd (AccessFixture *fx)
{
  g_autofree char *log = g_build_filename (fx->tmpdir, "polkitd.log", NULL);
  const char *argv[] = { ood_test_env_or ("OOD_PYTHON3", "/usr/bin/python3"), "-m", "dbusmock",
                         "--template", "polkitd", NULL };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  fx->polkitd = spawn_on (fx->address, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, log, argv);
  while (!name_has_owner (fx, "org.freedesktop.PolicyKit1"))
    {
      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (fx->polkitd) == NULL)
        {
          g_autofree char *text = NULL;
          g_file_get_contents (log, &text, NULL, NULL);
          g_error ("python-dbusmock's polkitd did not start (python3-dbusmock is in "
                   ".ci/install-deps): %s", text);
        }
      g_usleep (50000);
    }
}

/* Calls the mock's control method @method on the polkit authority. */
static GVariant *
polkit_mock (AccessFixture *fx, const char *method, GVariant *args)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (fx->root, "org.freedesktop.PolicyKit1",
                                                 AUTHORITY_PATH, MOCK_IFACE, method, args, NULL,
                                                 G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

static void
polkit_allow (AccessFixture *fx, const char *const *actions)
{
  g_autoptr(GVariant) reply = polkit_mock (fx, "SetAllowed",
                                           g_variant_new ("(^as)", (char **) actions));
}

/* The CheckAuthorization calls polkit received since the last ClearCalls,
 * each as its flags (1: the user may be asked). */
static GArray *
polkit_checks (AccessFixture *fx)
{
  g_autoptr(GVariant) reply = polkit_mock (fx, "GetMethodCalls",
                                           g_variant_new ("(s)", "CheckAuthorization"));
  g_autoptr(GVariant) calls = g_variant_get_child_value (reply, 0);
  GArray *flags = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (gsize i = 0; i < g_variant_n_children (calls); i++)
    {
      g_autoptr(GVariant) call = g_variant_get_child_value (calls, i);
      g_autoptr(GVariant) args = g_variant_get_child_value (call, 1);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (args, 3);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);
      guint32 f = g_variant_get_uint32 (value);

      g_array_append_val (flags, f);
    }
  return flags;
}

/* Not the shared fixture of the service's tests (ood-test-fixture.h): a
 * system bus of its own with its policy, polkitd and the daemon on it. */
static void
access_set_up (AccessFixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *setpriv = NULL, *gdbus = NULL;

  (void) data;
  if (geteuid () != 0)
    g_error ("test-access must run as root: it runs the bus and clients as other users");
  if ((setpriv = g_find_program_in_path ("setpriv")) == NULL)
    g_error ("setpriv (util-linux) is missing; .ci/install-deps installs it");
  if ((gdbus = g_find_program_in_path ("gdbus")) == NULL)
    g_error ("gdbus (libglib2.0-bin) is missing");

  fx->tmpdir = g_dir_make_tmp ("ood-access-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (fx->tmpdir, 0755), ==, 0);  /* the socket is here */
  fx->probe = copy_program (fx, ood_test_env_or ("OOD_POLICY_PROBE", OOD_POLICY_PROBE_DEFAULT),
                            "policy-probe");
  fx->client = copy_program (fx, ood_test_env_or ("OOD_POLKIT_CLIENT", OOD_POLKIT_CLIENT_DEFAULT),
                             "polkit-client");
  fx->testbed = ood_testbed_new (NULL, &error);
  g_assert_no_error (error);
  start_bus (fx);
  start_polkitd (fx);
  start_service (fx);
}

static gboolean
subprocess_done (gpointer user_data)
{
  return g_subprocess_get_identifier (user_data) == NULL;
}

static int
stop (GSubprocess *process)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_subprocess_send_signal (process, SIGTERM);
  while (!subprocess_done (process))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (process);
          return -1;
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                              : 128 + g_subprocess_get_term_sig (process);
}

static void
access_tear_down (AccessFixture *fx, gconstpointer data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  (void) data;
  g_assert_cmpint (stop (fx->service), ==, 0);
  g_clear_object (&fx->service);
  if (fx->polkitd != NULL)
    stop (fx->polkitd);
  g_clear_object (&fx->polkitd);
  g_dbus_connection_close_sync (fx->root, NULL, NULL);
  g_clear_object (&fx->root);
  stop (fx->bus_daemon);
  g_clear_object (&fx->bus_daemon);
  ood_testbed_free (fx->testbed);
  dir = g_dir_open (fx->tmpdir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (fx->tmpdir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (fx->tmpdir);
  g_free (fx->tmpdir);
  g_free (fx->address);
  g_free (fx->path);
  g_free (fx->probe);
  g_free (fx->client);
}

/* Runs @command as uid 65534 outside every group; its output. */
static gboolean
run_as_nobody (AccessFixture *fx, const char *const *command, char **out, char **err)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_strv_builder_add_many (builder, "setpriv", "--reuid=" UNPRIVILEGED,
                           "--regid=" UNPRIVILEGED, "--clear-groups", NULL);
  g_strv_builder_addv (builder, (const char **) command);
  argv = g_strv_builder_end (builder);
  g_assert_true (g_spawn_sync (fx->tmpdir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL);
}

/* What a call as uid 65534 should give: through, or refused with
 * @error_name (whose message then names @action, if given). */
typedef struct {
  const char *error_name;   /* NULL: allowed */
  const char *action;
} Expect;

static const Expect ALLOW = { NULL, NULL };
static const Expect ACCESS_DENIED = { "org.freedesktop.DBus.Error.AccessDenied", NULL };

static void
expect_as_nobody (AccessFixture *fx, Expect expect, const char *what, const char *const *command)
{
  g_autofree char *out = NULL, *err = NULL;
  gboolean allowed = run_as_nobody (fx, command, &out, &err);

  g_test_message ("uid %s: %s: %s", UNPRIVILEGED, what, allowed ? "allowed" : err);
  if (expect.error_name == NULL && !allowed)
    g_error ("uid %s: %s should be allowed, but: %s", UNPRIVILEGED, what, err);
  if (expect.error_name != NULL &&
      (allowed || strstr (err, expect.error_name) == NULL ||
       (expect.action != NULL && strstr (err, expect.action) == NULL)))
    g_error ("uid %s: %s should be %s%s%s, but: %s", UNPRIVILEGED, what, expect.error_name,
             expect.action != NULL ? " naming " : "", expect.action != NULL ? expect.action : "",
             allowed ? out : err);
}

/* gdbus call on @path: METHOD [ARGS…], as uid 65534. */
static void
expect_call_at (AccessFixture *fx, const char *path, gboolean interactive, Expect expect,
                const char *method, va_list args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  const char *arg;

  g_strv_builder_add_many (builder, "gdbus", "call", "--address", fx->address,
                           "--dest", "org.openocd", "--object-path", path,
                           "--timeout", "10", NULL);
  if (interactive)
    g_strv_builder_add (builder, "--interactive");
  g_strv_builder_add_many (builder, "--method", method, NULL);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  argv = g_strv_builder_end (builder);
  expect_as_nobody (fx, expect, method, (const char *const *) argv);
}

static void
expect_call_at_path (AccessFixture *fx, const char *path, Expect expect, const char *method, ...)
{
  va_list args;

  va_start (args, method);
  expect_call_at (fx, path, FALSE, expect, method, args);
  va_end (args);
}

static void
expect_call (AccessFixture *fx, Expect expect, const char *method, ...)
{
  va_list args;

  va_start (args, method);
  expect_call_at (fx, fx->path, FALSE, expect, method, args);
  va_end (args);
}

static void
expect_call_interactive (AccessFixture *fx, Expect expect, const char *method, ...)
{
  va_list args;

  va_start (args, method);
  expect_call_at (fx, fx->path, TRUE, expect, method, args);
  va_end (args);
}

/* As root, who is trusted: a call that must go through. */
static GVariant *
root_call (AccessFixture *fx, const char *path, const char *iface, const char *method,
           GVariant *args)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (fx->root, "org.openocd", path, iface, method,
                                                 args, NULL, G_DBUS_CALL_FLAGS_NONE, 10000,
                                                 NULL, &error);

  g_assert_no_error (error);
  return reply;
}

/* The bus policy: reads for all, every method reachable, no Set, no
 * name but for the service's user. */
static void
test_bus_policy (AccessFixture *fx, gconstpointer data)
{
  const char *const readers[] = {
    "org.freedesktop.DBus.Introspectable.Introspect",
    "org.freedesktop.DBus.Peer.Ping",
    "org.openocd.Target.State",
    "org.openocd.Registers.ReadAll",   /* reaches the service: polkit decides */
  };
  const char *const own[] = { "timeout", "10", fx->probe, fx->address, NULL };
  const char *const all[] = { OOD_ACTION_INSPECT, NULL };
  g_autoptr(GVariant) halted = root_call (fx, fx->path, "org.openocd.Target", "Halt", NULL);

  (void) data;
  polkit_allow (fx, all);
  for (gsize i = 0; i < G_N_ELEMENTS (readers); i++)
    expect_call (fx, ALLOW, readers[i], NULL);
  expect_call (fx, ALLOW, "org.freedesktop.DBus.Properties.GetAll", "org.openocd.Target", NULL);
  expect_call (fx, ALLOW, "org.freedesktop.DBus.Properties.Get", "org.openocd.Target", "State",
               NULL);
  expect_call (fx, ACCESS_DENIED, "org.freedesktop.DBus.Properties.Set", "org.openocd.Target",
               "Name", "<'x'>", NULL);
  expect_call (fx, ALLOW, "org.freedesktop.DBus.Properties.Get", "org.openocd.Flash", "Banks",
               NULL);
  expect_call (fx, ALLOW, "org.openocd.Flash.Sectors", "0", NULL);
  /* should the bus let it own the name, the probe would serve forever */
  expect_as_nobody (fx, ACCESS_DENIED, "RequestName org.openocd", own);
}

/* One method of each action, with arguments that succeed. */
typedef struct {
  const char *action;
  const char *method;
  const char *args[5];
} Probe;

static const Probe probes[] = {
  { OOD_ACTION_INSPECT, "org.openocd.Registers.Read", { "'pc'" } },
  { OOD_ACTION_INSPECT, "org.openocd.Registers.ReadAll", { NULL } },
  { OOD_ACTION_INSPECT, "org.openocd.Memory.ReadBytes", { SCRATCH, "4" } },
  { OOD_ACTION_INSPECT, "org.openocd.Memory.ReadWords", { SCRATCH, "1", "@y 32" } },
  { OOD_ACTION_CONTROL, "org.openocd.Target.Halt", { NULL } },
  { OOD_ACTION_CONTROL, "org.openocd.Memory.WriteBytes", { SCRATCH, "@ay [1, 2]" } },
  { OOD_ACTION_CONTROL, "org.openocd.Breakpoints.Add", { "2147483664", "4", "'hw'" } },
  { OOD_ACTION_CONTROL, "org.openocd.Breakpoints.Remove", { "2147483664" } },
  { OOD_ACTION_CONTROL, "org.openocd.Registers.Write", { "'a0'", "1" } },
  { OOD_ACTION_PROGRAM, "org.openocd.Flash.Erase", { "0", "0", "0" } },
};

static void
expect_probe (AccessFixture *fx, const Probe *probe, Expect expect)
{
  const char *a[5] = { 0 };

  memcpy (a, probe->args, sizeof a);
  expect_call (fx, expect, probe->method, a[0], a[1], a[2], a[3], NULL);
}

/* Each action alone allowed: its methods go through, every other
 * action's are refused naming that action. */
static void
test_each_action (AccessFixture *fx, gconstpointer data)
{
  /* control first: it halts the target, which register reads need */
  const char *const each[] = { OOD_ACTION_CONTROL, OOD_ACTION_INSPECT, OOD_ACTION_PROGRAM };
  const char *const none[] = { NULL };

  (void) data;
  polkit_allow (fx, none);
  for (gsize p = 0; p < G_N_ELEMENTS (probes); p++)
    expect_probe (fx, &probes[p], (Expect) { "org.openocd.Error.NotAuthorized",
                                             probes[p].action });
  for (gsize a = 0; a < G_N_ELEMENTS (each); a++)
    {
      const char *const allowed[] = { each[a], NULL };

      polkit_allow (fx, allowed);
      for (gsize p = 0; p < G_N_ELEMENTS (probes); p++)
        expect_probe (fx, &probes[p], g_str_equal (probes[p].action, each[a])
                      ? ALLOW
                      : (Expect) { "org.openocd.Error.NotAuthorized", probes[p].action });
    }
  /* the endpoint's and the manager's */
  polkit_allow (fx, none);
  expect_call_at_path (fx, "/org/openocd/default", (Expect) { "org.openocd.Error.NotAuthorized",
                       OOD_ACTION_INSPECT }, "org.openocd.Endpoint.GetLog", "10", NULL);
  expect_call_at_path (fx, "/org/openocd/default", (Expect) { "org.openocd.Error.NotAuthorized",
                       OOD_ACTION_MANAGE }, "org.openocd.Endpoint.Restart", NULL);
  expect_call_at_path (fx, "/org/openocd", (Expect) { "org.openocd.Error.NotAuthorized",
                       OOD_ACTION_MANAGE }, "org.openocd.Manager.RemoveEndpoint", "'default'",
                       NULL);
  expect_call_at_path (fx, "/org/openocd", ALLOW, "org.openocd.Manager.FindTarget",
                       "'default'", "'riscv.cpu'", NULL);
  /* a raw command needs org.openocd.raw, whatever else is allowed */
  {
    const char *const all_but_raw[] = { OOD_ACTION_INSPECT, OOD_ACTION_CONTROL,
                                        OOD_ACTION_PROGRAM, OOD_ACTION_MANAGE, OOD_ACTION_LEASE,
                                        NULL };
    const char *const raw[] = { OOD_ACTION_RAW, NULL };

    polkit_allow (fx, all_but_raw);
    expect_call_at_path (fx, "/org/openocd/default", (Expect) { "org.openocd.Error.NotAuthorized",
                         OOD_ACTION_RAW }, "org.openocd.Endpoint.Command", "'version'", NULL);
    polkit_allow (fx, raw);
    expect_call_at_path (fx, "/org/openocd/default", ALLOW, "org.openocd.Endpoint.Command",
                         "'version'", NULL);
  }
}

/* polkit asks for a password ("auth_admin"): without interactive
 * authorization the caller hears it needs it; with it, polkit is told
 * it may ask. */
static void
test_admin_asked (AccessFixture *fx, gconstpointer data)
{
  g_autoptr(GVariant) added = polkit_mock (
      fx, "AddMethod", g_variant_new ("(sssss)", "org.freedesktop.PolicyKit1.Authority",
                                      "CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})",
                                      "ret = (False, True, {})"));
  g_autoptr(GVariant) cleared = polkit_mock (fx, "ClearCalls", NULL);
  g_autoptr(GArray) flags = NULL;

  (void) data;
  expect_call (fx, (Expect) { "org.openocd.Error.NotAuthorized", "needs authentication" },
               "org.openocd.Target.Halt", NULL);
  expect_call_interactive (fx, (Expect) { "org.openocd.Error.NotAuthorized", OOD_ACTION_CONTROL },
                           "org.openocd.Target.Halt", NULL);
  flags = polkit_checks (fx);
  g_assert_cmpuint (flags->len, ==, 2);
  g_assert_cmpuint (g_array_index (flags, guint32, 0), ==, 0);
  g_assert_cmpuint (g_array_index (flags, guint32, 1), ==, 1); /* AllowUserInteraction */
}

/* A polkit that never answers: the call fails with Timeout after
 * --polkit-timeout, three identical calls in flight share one question,
 * and root is served meanwhile. */
static void
test_polkit_hangs (AccessFixture *fx, gconstpointer data)
{
  g_autoptr(GVariant) hang = polkit_mock (fx, "SimulateHang", g_variant_new ("(b)", TRUE));
  g_autoptr(GVariant) cleared = polkit_mock (fx, "ClearCalls", NULL);
  const char *const three[] = { fx->client, fx->address, fx->path, "3", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) flags = NULL;
  g_autoptr(GVariant) state = NULL;

  (void) data;
  g_assert_true (run_as_nobody (fx, three, &out, &err));
  lines = g_strsplit (g_strchomp (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (lines[i], ==, "org.openocd.Error.Timeout");
  flags = polkit_checks (fx);
  g_assert_cmpuint (flags->len, ==, 1);
  state = root_call (fx, fx->path, "org.openocd.Target", "Halt", NULL);
}

/* No polkit on the system bus: untrusted callers are refused, saying
 * why; root still goes through. */
static void
test_no_polkit (AccessFixture *fx, gconstpointer data)
{
  g_autoptr(GVariant) state = NULL;

  (void) data;
  stop (fx->polkitd);
  g_clear_object (&fx->polkitd);
  expect_call (fx, (Expect) { "org.openocd.Error.NotAuthorized", OOD_ACTION_INSPECT },
               "org.openocd.Registers.ReadAll", NULL);
  expect_call (fx, (Expect) { "org.openocd.Error.NotAuthorized", "polkit" },
               "org.openocd.Target.Halt", NULL);
  expect_call (fx, ALLOW, "org.openocd.Target.State", NULL);
  state = root_call (fx, fx->path, "org.openocd.Target", "Halt", NULL);
}

/* root's job: uid 65534 may cancel it with org.openocd.manage only. */
static void
test_cancel_others_job (AccessFixture *fx, gconstpointer data)
{
  g_autoptr(GVariant) reply = root_call (fx, fx->path, "org.openocd.Flash", "Erase",
                                         g_variant_new ("(uuu)", 0, 0, 0));
  const char *job;
  const char *const program[] = { OOD_ACTION_PROGRAM, NULL };
  const char *const manage[] = { OOD_ACTION_PROGRAM, OOD_ACTION_MANAGE, NULL };
  g_autoptr(GVariant) uid = NULL, inner = NULL;

  (void) data;
  g_variant_get (reply, "(&o)", &job);
  uid = g_dbus_connection_call_sync (fx->root, "org.openocd", job,
                                     "org.freedesktop.DBus.Properties", "Get",
                                     g_variant_new ("(ss)", "org.openocd.Job", "StartedByUid"),
                                     NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  g_assert_nonnull (uid);
  g_variant_get (uid, "(v)", &inner);
  g_assert_cmpuint (g_variant_get_uint32 (inner), ==, 0);
  polkit_allow (fx, program);
  expect_call_at_path (fx, job, (Expect) { "org.openocd.Error.NotAuthorized", OOD_ACTION_MANAGE },
                       "org.openocd.Job.Cancel", NULL);
  polkit_allow (fx, manage);
  expect_call_at_path (fx, job, ALLOW, "org.openocd.Job.Cancel", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, test)                                                                            \
  g_test_add (path, AccessFixture, NULL, access_set_up, test, access_tear_down)
  ADD ("/hardening/access/bus-policy", test_bus_policy);
  ADD ("/hardening/access/each-action", test_each_action);
  ADD ("/hardening/access/admin-asked", test_admin_asked);
  ADD ("/hardening/access/polkit-hangs", test_polkit_hangs);
  ADD ("/hardening/access/no-polkit", test_no_polkit);
  ADD ("/hardening/access/cancel-others-job", test_cancel_others_job);
#undef ADD
  return g_test_run ();
}
