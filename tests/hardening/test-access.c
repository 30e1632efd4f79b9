/* SPDX-License-Identifier: MIT */
/*
 * Access control for real: a private dbus-daemon configured like a system
 * bus (deny by default, EXTERNAL auth) that includes the built
 * org.openocd.conf, the real openocd-dbusd running as root in front of the
 * simulated board, and clients running as uid 65534 — once outside every
 * group, once in the policy's control group — via setpriv:
 *   - anybody reads properties, introspects and calls State();
 *   - outside the group, Halt, Resume, Step, Reset, Breakpoints.Add and
 *     Properties.Set are AccessDenied;
 *   - outside the group, every method of Registers and Memory is
 *     AccessDenied too, reads included; their properties stay readable;
 *   - in the group, Halt and Step succeed, and so do register and
 *     memory reads and writes, and Flash.Erase;
 *   - Flash.Sectors and the Banks property are open to all; Flash.Erase
 *     and Job.Cancel are AccessDenied outside the group;
 *   - nobody but the service's user may own org.openocd.
 * Must run as root (it does in CI); anything missing is a failure.
 */
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ood-testbed.h"

#define UNPRIVILEGED "65534"
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
  char            *group_id;   /* of the control group */
} Fx;

static GSubprocess *
spawn (GSubprocessFlags flags, const char *stderr_path, const char *const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (stderr_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, stderr_path);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

static void
write_bus_config (Fx *fx, const char *path)
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
      "  <include>%s</include>\n"
      "</busconfig>\n",
      fx->tmpdir, path);
  g_autofree char *file = g_build_filename (fx->tmpdir, "bus.conf", NULL);

  g_assert_true (g_file_set_contents (file, config, -1, &error));
  g_assert_no_error (error);
}

static void
start_bus (Fx *fx)
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
start_service (Fx *fx)
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
                           "--address", fx->address, "--openocd", openocd,
                           "--config", empty, NULL);
  argv = g_strv_builder_end (builder);
  fx->service = spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, log, (const char *const *) argv);
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

static char *
copy_probe (Fx *fx)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *copy = g_build_filename (fx->tmpdir, "policy-probe", NULL);

  g_assert_true (g_file_get_contents (ood_test_env_or ("OOD_POLICY_PROBE", OOD_POLICY_PROBE_DEFAULT),
                                      &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (copy, contents, (gssize) length, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (copy, 0755), ==, 0);
  return copy;
}

static Fx *
fx_new (void)
{
  const char *group = ood_test_env_or ("OOD_CONTROL_GROUP", OOD_CONTROL_GROUP_DEFAULT);
  g_autoptr(GError) error = NULL;
  g_autofree char *setpriv = NULL, *gdbus = NULL;
  struct group *entry;
  Fx *fx = g_new0 (Fx, 1);

  if (geteuid () != 0)
    g_error ("test-access must run as root: it runs the bus and clients as other users");
  if ((setpriv = g_find_program_in_path ("setpriv")) == NULL)
    g_error ("setpriv (util-linux) is missing; .ci/install-deps installs it");
  if ((gdbus = g_find_program_in_path ("gdbus")) == NULL)
    g_error ("gdbus (libglib2.0-bin) is missing");
  entry = getgrnam (group);
  if (entry == NULL)
    g_error ("the policy's control group '%s' does not exist on this machine", group);
  fx->group_id = g_strdup_printf ("%u", (unsigned) entry->gr_gid);

  fx->tmpdir = g_dir_make_tmp ("ood-access-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (fx->tmpdir, 0755), ==, 0);  /* the socket is here */
  fx->probe = copy_probe (fx);
  fx->testbed = ood_testbed_new (NULL, &error);
  g_assert_no_error (error);
  start_bus (fx);
  start_service (fx);
  return fx;
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
fx_free (Fx *fx)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_assert_cmpint (stop (fx->service), ==, 0);
  g_clear_object (&fx->service);
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
  g_free (fx->group_id);
  g_free (fx);
}

typedef enum { ALLOW, DENY } Expect;

/* Runs @command as uid 65534, in the control group if @in_group, and
 * checks it was let through or refused with AccessDenied. */
static void
expect_as (Fx *fx, gboolean in_group, Expect expect, const char *what,
           const char *const *command)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;
  gboolean allowed, denied;

  g_strv_builder_add_many (builder, "setpriv", "--reuid=" UNPRIVILEGED,
                           "--regid=" UNPRIVILEGED, NULL);
  if (in_group)
    {
      g_autofree char *groups = g_strdup_printf ("--groups=%s", fx->group_id);
      g_strv_builder_add (builder, groups);
    }
  else
    g_strv_builder_add (builder, "--clear-groups");
  g_strv_builder_addv (builder, (const char **) command);
  argv = g_strv_builder_end (builder);
  g_assert_true (g_spawn_sync (fx->tmpdir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  allowed = g_spawn_check_wait_status (status, NULL);
  denied = !allowed && strstr (err, "org.freedesktop.DBus.Error.AccessDenied") != NULL;
  g_test_message ("uid %s%s: %s: %s", UNPRIVILEGED, in_group ? " in the control group" : "",
                  what, allowed ? "allowed" : denied ? "AccessDenied" : err);
  if (expect == ALLOW && !allowed)
    g_error ("uid %s%s: %s should be allowed, but: %s", UNPRIVILEGED,
             in_group ? " in the control group" : "", what, err);
  if (expect == DENY && !denied)
    g_error ("uid %s%s: %s should be AccessDenied, but: %s", UNPRIVILEGED,
             in_group ? " in the control group" : "", what, allowed ? out : err);
}

/* gdbus call on the target object: METHOD [ARGS…] */
static void
expect_call (Fx *fx, gboolean in_group, Expect expect, const char *method, ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  const char *arg;
  va_list args;

  g_strv_builder_add_many (builder, "gdbus", "call", "--address", fx->address,
                           "--dest", "org.openocd", "--object-path", fx->path,
                           "--timeout", "10", "--method", method, NULL);
  va_start (args, method);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (args);
  argv = g_strv_builder_end (builder);
  expect_as (fx, in_group, expect, method, (const char *const *) argv);
}

static void
expect_cannot_own (Fx *fx, gboolean in_group)
{
  /* should the bus let it own the name, the probe would serve forever */
  const char *const argv[] = { "timeout", "10", fx->probe, fx->address, NULL };

  expect_as (fx, in_group, DENY, "RequestName org.openocd", argv);
}

static void
test_access (void)
{
  Fx *fx = fx_new ();
  const char *const readers[] = {
    "org.freedesktop.DBus.Introspectable.Introspect",
    "org.freedesktop.DBus.Peer.Ping",
    "org.openocd.Target.State",
  };
  const char *const no_args[] = {
    "org.openocd.Target.Halt", "org.openocd.Target.Resume", "org.openocd.Target.Step",
  };

  for (gsize g = 0; g < 2; g++)
    {
      gboolean in_group = g == 1;

      for (gsize i = 0; i < G_N_ELEMENTS (readers); i++)
        expect_call (fx, in_group, ALLOW, readers[i], NULL);
      expect_call (fx, in_group, ALLOW, "org.freedesktop.DBus.Properties.GetAll",
                   "org.openocd.Target", NULL);
      expect_call (fx, in_group, ALLOW, "org.freedesktop.DBus.Properties.Get",
                   "org.openocd.Target", "State", NULL);
      expect_call (fx, in_group, DENY, "org.freedesktop.DBus.Properties.Set",
                   "org.openocd.Target", "Name", "<'x'>", NULL);
      /* a flash's banks and sectors are open */
      expect_call (fx, in_group, ALLOW, "org.freedesktop.DBus.Properties.Get",
                   "org.openocd.Flash", "Banks", NULL);
      expect_call (fx, in_group, ALLOW, "org.openocd.Flash.Sectors", "0", NULL);
      expect_cannot_own (fx, in_group);
    }

  /* outside the group: every control method is refused by the bus */
  for (gsize i = 0; i < G_N_ELEMENTS (no_args); i++)
    expect_call (fx, FALSE, DENY, no_args[i], NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Target.StepAt", "2147483648", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Target.ResumeAt", "2147483648", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Target.Reset", "'halt'", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Breakpoints.Add",
               "2147483664", "4", "'hw'", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Breakpoints.Remove", "2147483664", NULL);
  /* registers and memory, reads included: they can hold secrets */
  expect_call (fx, FALSE, DENY, "org.openocd.Registers.Read", "'pc'", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Registers.ReadWide", "'pc'", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Registers.ReadMany", "@as ['pc']", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Registers.ReadAll", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Registers.Write", "'a0'", "1", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Memory.ReadBytes", SCRATCH, "4", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Memory.WriteBytes", SCRATCH, "@ay [1, 2]", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Memory.ReadWords", SCRATCH, "1", "@y 32", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Memory.WriteWords", SCRATCH, "@y 32", "@at [1]",
               NULL);
  /* flash jobs (Program, Load and Verify, which take a descriptor, are
   * checked by dbus-policy/check-policy.sh) */
  expect_call (fx, FALSE, DENY, "org.openocd.Flash.Erase", "0", "0", "0", NULL);
  expect_call (fx, FALSE, DENY, "org.openocd.Job.Cancel", NULL);
  /* but their properties are as open as the target's */
  expect_call (fx, FALSE, ALLOW, "org.freedesktop.DBus.Properties.Get", "org.openocd.Registers",
               "Names", NULL);
  expect_call (fx, FALSE, ALLOW, "org.freedesktop.DBus.Properties.GetAll", "org.openocd.Memory",
               NULL);

  /* in the group: allowed */
  expect_call (fx, TRUE, ALLOW, "org.openocd.Target.Halt", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Target.Step", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Registers.Read", "'pc'", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Registers.ReadAll", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Memory.WriteBytes", SCRATCH, "@ay [1, 2, 3]", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Memory.ReadBytes", SCRATCH, "3", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Memory.ReadWords", SCRATCH, "1", "@y 32", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Breakpoints.Add", "2147483664", "4", "'hw'", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Breakpoints.Remove", "2147483664", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Target.Resume", NULL);
  expect_call (fx, TRUE, ALLOW, "org.openocd.Flash.Erase", "0", "0", "0", NULL);

  fx_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hardening/access", test_access);
  return g_test_run ();
}
