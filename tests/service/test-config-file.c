/* SPDX-License-Identifier: MIT */
/*
 * The configuration file as the real daemon reads it, on a private bus in
 * front of a real OpenOCD and the simulated board (endpoint "board0"):
 *
 *   nul-byte            a NUL mid-file costs its line; the endpoint after it serves
 *   invalid-utf8        an invalid UTF-8 line is FILE:LINE, the rest serves
 *   large-junk          1 MiB of junk: 20 warnings and a count; board0 serves
 *   too-large           10 MB: refused at start-up (exit 1), not read
 *   fifo-at-start       a FIFO: refused at start-up (exit 1), not waited on
 *   not-regular         /dev/null and a directory: refused at start-up
 *   bad-addresses       "a b:80", "http://…", "::1:6666": FILE:LINE, not exported
 *   openocd-strict      --openocd with a bad address: usage error (exit 2)
 *   sighup-fifo         a FIFO swapped in before SIGHUP: State() still answers,
 *                       the endpoints are kept, the log says why
 *   sighup-too-large    the same with a 10 MB file
 *   sighup-no-endpoint  the same with a file of no valid endpoint (no "default")
 *   unreachable         an unresolvable host and a closed port: LastError says
 *                       so, logged once; board0 serves
 *   last-error-announced  OpenOCD killed and restarted: Connected and
 *                       LastError change in one PropertiesChanged
 *   not-on-this-host    OpenOCD reached at a non-loopback address: Program and
 *                       Load are NotSupported, unless the endpoint names a
 *                       SharedDirectory, where the image then goes (and is
 *                       removed)
 */
#include "ood-service-fixture.h"
#include "ood-test-dbus.h"
#include "ood-test-proc.h"
#include "ood-error.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define CALL_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 20000
#define TARGET0 "/org/openocd/board0/riscv_2ecpu"
#define ENDPOINT0 "/org/openocd/board0"
#define BIG_BYTES (10 * 1024 * 1024)

typedef struct {
  OodServiceFixture *fixture;
  GDBusConnection   *bus;
  GSubprocess       *daemon;
  char              *config;   /* the file the daemon is given */
  char              *log;      /* its stderr */
} Bed;

/* The board's OpenOCD listening on @bind_address (NULL: loopback only). */
static Bed *
bed_new_bound (const char *bind_address)
{
  const OodServiceOptions options = { .n_boards = 1, .no_service = TRUE,
                                      .bind_address = bind_address };
  g_autoptr(GError) error = NULL;
  Bed *bed = g_new0 (Bed, 1);

  bed->fixture = ood_service_fixture_new (&options, &error);
  g_assert_no_error (error);
  bed->bus = ood_service_fixture_get_bus (bed->fixture);
  bed->config = g_build_filename (ood_service_fixture_get_tmpdir (bed->fixture), "test.conf", NULL);
  bed->log = g_build_filename (ood_service_fixture_get_tmpdir (bed->fixture), "openocd-dbusd.log",
                               NULL);
  return bed;
}

static gboolean
process_gone (gpointer user_data)
{
  return g_subprocess_get_identifier (user_data) == NULL;
}

static void
bed_free (Bed *bed)
{
  if (bed->daemon != NULL)
    {
      g_subprocess_send_signal (bed->daemon, SIGTERM);
      if (!ood_test_wait_for (process_gone, bed->daemon, 10000))
        g_subprocess_force_exit (bed->daemon);
      g_clear_object (&bed->daemon);
    }
  g_unlink (bed->config);
  g_free (bed->config);
  g_free (bed->log);
  ood_service_fixture_free (bed->fixture);
  g_free (bed);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Bed, bed_free)

static Bed *
bed_new (void)
{
  return bed_new_bound (NULL);
}

static char *
board_address (Bed *bed)
{
  return ood_testbed_get_address (ood_service_fixture_get_testbed (bed->fixture, 0));
}

/* The config with @before, then board0's endpoint, then @after. */
static void
write_config_around (Bed *bed, const char *before, gsize before_length, const char *after)
{
  g_autofree char *address = board_address (bed);
  g_autoptr(GString) text = g_string_new_len (before, (gssize) before_length);
  g_autoptr(GError) error = NULL;

  g_string_append_printf (text, "[Endpoint board0]\nAddress=%s\n%s", address, after);
  g_assert_true (g_file_set_contents (bed->config, text->str, (gssize) text->len, &error));
  g_assert_no_error (error);
}

static void
write_big_file (const char *path)
{
  g_autofree char *junk = g_malloc (BIG_BYTES);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < BIG_BYTES; i += 5)
    memcpy (junk + i, "junk\n", MIN (5, BIG_BYTES - i));
  g_assert_true (g_file_set_contents (path, junk, BIG_BYTES, &error));
  g_assert_no_error (error);
}

static void
spawn (Bed *bed, const char *config, const char *openocd)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;

  g_subprocess_launcher_set_stderr_file_path (launcher, bed->log);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  g_strv_builder_add_many (builder, ood_test_env_or ("OOD_DAEMON", OOD_DAEMON_DEFAULT),
                           "--address", ood_service_fixture_get_bus_address (bed->fixture),
                           "--config", config, "--verbose", NULL);
  if (openocd != NULL)
    g_strv_builder_add_many (builder, "--openocd", openocd, NULL);
  argv = g_strv_builder_end (builder);
  bed->daemon = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, &error);
  g_assert_no_error (error);
}

static char *
endpoint_string (Bed *bed, const char *path, const char *name)
{
  g_autoptr(GVariant) value = ood_test_get_property (bed->bus, path, "org.openocd.Endpoint", name,
                                                     CALL_TIMEOUT_MS, NULL);

  return value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
           ? g_variant_dup_string (value, NULL) : NULL;
}

static gboolean
endpoint_exists (Bed *bed, const char *path)
{
  g_autofree char *name = endpoint_string (bed, path, "Name");

  return name != NULL;
}

typedef struct {
  Bed        *bed;
  const char *path;
} Probe;

static gboolean
probe_exists (gpointer user_data)
{
  Probe *probe = user_data;

  return endpoint_exists (probe->bed, probe->path);
}

/* Waits until the daemon exports board0 (a file it waited on would hold
 * it up for good). */
static void
assert_started (Bed *bed)
{
  Probe probe = { bed, ENDPOINT0 };

  if (!ood_test_wait_for (probe_exists, &probe, 10000))
    g_error ("the daemon did not export %s; see %s", ENDPOINT0, bed->log);
}

static gboolean
target_answers (gpointer user_data)
{
  Bed *bed = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      bed->bus, "org.openocd", TARGET0, "org.openocd.Target", "State", NULL, NULL,
      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, NULL);

  return reply != NULL;
}

static void
assert_serving (Bed *bed)
{
  if (!ood_test_wait_for (target_answers, bed, CONNECT_TIMEOUT_MS))
    g_error ("%s did not answer State(); see %s", TARGET0, bed->log);
}

static char *
read_log (Bed *bed)
{
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (bed->log, &contents, NULL, NULL));
  return g_steal_pointer (&contents);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
assert_log_mentions (Bed *bed, const char *needle)
{
  g_autofree char *log = read_log (bed);

  if (strstr (log, needle) == NULL)
    g_error ("the daemon's log does not mention '%s':\n%s", needle, log);
}

/* Asserts the daemon exits with @status (a file it waited on would hold
 * it up for good), saying @needle. */
static void
assert_refused (Bed *bed, int status, const char *needle)
{
  if (!ood_test_wait_for (process_gone, bed->daemon, 10000))
    g_error ("the daemon did not exit; see %s", bed->log);
  g_assert_true (g_subprocess_get_if_exited (bed->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (bed->daemon), ==, status);
  assert_log_mentions (bed, needle);
  g_clear_object (&bed->daemon);
}

/* ---- start-up -------------------------------------------------------------- */

static void
test_nul_byte (void)
{
  static const char before[] = "# a NUL follows\nJunk\0here\n";
  g_autoptr(Bed) bed = bed_new ();
  g_autofree char *where = NULL;

  write_config_around (bed, before, sizeof before - 1, "");
  where = g_strdup_printf ("%s:2: contains a NUL byte", bed->config);
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  assert_serving (bed);
  assert_log_mentions (bed, where);
}

static void
test_invalid_utf8 (void)
{
  static const char before[] = "[Endpoint \xff\xfe]\nAddress=127.0.0.1:1\n";
  g_autoptr(Bed) bed = bed_new ();
  g_autofree char *where = NULL;

  write_config_around (bed, before, sizeof before - 1, "SharedDirectory=/tmp/\xc3\x28\n");
  where = g_strdup_printf ("%s:1: not valid UTF-8", bed->config);
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  assert_serving (bed);
  assert_log_mentions (bed, where);
  where[strlen (where) - strlen ("1: not valid UTF-8")] = '\0';
  {
    g_autofree char *line5 = g_strdup_printf ("%s5: not valid UTF-8", where);
    assert_log_mentions (bed, line5);
  }
}

/* Just under the 1 MiB limit: read, but at most 20 warnings and a count. */
static void
test_large_junk (void)
{
  g_autoptr(Bed) bed = bed_new ();
  g_autoptr(GString) junk = g_string_new (NULL);
  g_autofree char *log = NULL;
  g_autofree char *prefix = NULL;

  while (junk->len < 1024 * 1024 - 200)
    g_string_append (junk, "junk\n");
  write_config_around (bed, junk->str, junk->len, "");
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  assert_serving (bed);
  log = read_log (bed);
  prefix = g_strdup_printf ("%s:", bed->config);
  g_assert_cmpuint (count (log, "expected Key=Value"), ==, 20);
  g_assert_nonnull (strstr (log, "more problems not shown"));
  g_assert_cmpuint (count (log, prefix), <=, 21);
}

static void
test_too_large (void)
{
  g_autoptr(Bed) bed = bed_new ();

  write_big_file (bed->config);
  spawn (bed, bed->config, NULL);
  assert_refused (bed, 1, "more than the limit of 1048576");
  assert_log_mentions (bed, bed->config);
}

static void
test_fifo_at_start (void)
{
  g_autoptr(Bed) bed = bed_new ();

  g_assert_cmpint (mkfifo (bed->config, 0600), ==, 0);
  spawn (bed, bed->config, NULL);
  assert_refused (bed, 1, "it is a FIFO, not a regular file");
  assert_log_mentions (bed, bed->config);
}

static void
test_not_regular (void)
{
  g_autoptr(Bed) bed = bed_new ();

  spawn (bed, "/dev/null", NULL);
  assert_refused (bed, 1, "cannot read /dev/null: it is a character device, not a regular file");
  spawn (bed, ood_service_fixture_get_tmpdir (bed->fixture), NULL);
  assert_refused (bed, 1, "it is a directory, not a regular file");
}

static void
test_bad_addresses (void)
{
  static const char before[] =
    "[Endpoint space]\n"            /* 1 */
    "Address=a b:80\n"              /* 2 */
    "[Endpoint url]\n"              /* 3 */
    "Address=http://localhost:80\n" /* 4 */
    "[Endpoint v6]\n"               /* 5 */
    "Address=::1:6666\n";           /* 6 */
  g_autoptr(Bed) bed = bed_new ();

  write_config_around (bed, before, sizeof before - 1, "");
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  assert_serving (bed);
  for (guint line = 2; line <= 6; line += 2)
    {
      g_autofree char *where = g_strdup_printf ("%s:%u: '", bed->config, line);
      assert_log_mentions (bed, where);
    }
  g_assert_false (endpoint_exists (bed, "/org/openocd/space"));
  g_assert_false (endpoint_exists (bed, "/org/openocd/url"));
  g_assert_false (endpoint_exists (bed, "/org/openocd/v6"));
}

static void
test_openocd_strict (void)
{
  g_autoptr(Bed) bed = bed_new ();

  write_config_around (bed, "", 0, "");
  spawn (bed, bed->config, "a b:80");
  assert_refused (bed, 2, "'a b:80' is not HOST:PORT");
  spawn (bed, bed->config, "http://localhost:6666");
  assert_refused (bed, 2, "is not HOST:PORT");
}

/* Every option outside the range its --help states is a usage error
 * (exit 2) that names the option; the bounds themselves are accepted. */
static void
test_option_ranges (void)
{
  static const char *const bad[][2] = {
    { "--timeout", "0" }, { "--timeout", "3600001" }, { "--timeout", "-5" },
    { "--max-queue", "0" }, { "--max-queue", "1000001" },
    { "--probe-interval", "50" }, { "--probe-interval", "3600001" },
    { "--job-linger", "0" }, { "--job-linger", "86400001" },
    { "--start-timeout", "99" }, { "--start-timeout", "3600001" },
    { "--fd-stall-timeout", "99" }, { "--fd-stall-timeout", "3600001" },
    { "--fd-stall-timeout", "-1" },
  };
  const char *daemon = ood_test_env_or ("OOD_DAEMON", OOD_DAEMON_DEFAULT);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *argv[] = { daemon, "--session", bad[i][0], bad[i][1], NULL };
      g_autofree char *err = NULL;
      g_autoptr(GError) error = NULL;
      int status = 0;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &err, &status, &error));
      g_assert_no_error (error);
      g_test_message ("%s %s: %s", bad[i][0], bad[i][1], g_strstrip (err));
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 2);
      g_assert_nonnull (strstr (err, bad[i][0]));
    }
}

/* ---- SIGHUP ---------------------------------------------------------------- */

/* Starts the daemon on a good file, swaps in what @make_bad writes, sends
 * SIGHUP, and checks State() answers within 1 s throughout, board0 stays,
 * no "default" appears, and the log says why. */
static void
sighup_with (void (*make_bad) (Bed *bed), const char *why)
{
  g_autoptr(Bed) bed = bed_new ();
  GPid pid;

  write_config_around (bed, "", 0, "");
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  assert_serving (bed);
  pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (bed->daemon), NULL, 10);

  g_unlink (bed->config);
  make_bad (bed);
  g_assert_cmpint (kill (pid, SIGHUP), ==, 0);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
          bed->bus, "org.openocd", TARGET0, "org.openocd.Target", "State", NULL, NULL,
          G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, &error);

      g_assert_no_error (error);
      g_usleep (50 * 1000);
    }
  assert_log_mentions (bed, why);
  assert_log_mentions (bed, "keeping the running endpoints as they are");
  g_assert_true (endpoint_exists (bed, ENDPOINT0));
  g_assert_false (endpoint_exists (bed, "/org/openocd/default"));

  /* a good file again is applied: the reload machinery is not stuck */
  g_unlink (bed->config);
  write_config_around (bed, "", 0, "[Endpoint extra]\nAddress=127.0.0.1:1\n");
  g_assert_cmpint (kill (pid, SIGHUP), ==, 0);
  {
    Probe probe = { bed, "/org/openocd/extra" };
    g_assert_true (ood_test_wait_for (probe_exists, &probe, 5000));
  }
  assert_serving (bed);
}

static void
make_fifo (Bed *bed)
{
  g_assert_cmpint (mkfifo (bed->config, 0600), ==, 0);
}

static void
make_big (Bed *bed)
{
  write_big_file (bed->config);
}

static void
make_no_endpoint (Bed *bed)
{
  g_assert_true (g_file_set_contents (bed->config,
                                      "[Endpoint x]\nAddress=a b:80\n# nothing else\n", -1, NULL));
}

static void
test_sighup_fifo (void)
{
  sighup_with (make_fifo, "it is a FIFO, not a regular file");
}

static void
test_sighup_too_large (void)
{
  sighup_with (make_big, "more than the limit of 1048576");
}

static void
test_sighup_no_endpoint (void)
{
  sighup_with (make_no_endpoint, "holds no valid endpoint");
}

/* ---- LastError ------------------------------------------------------------- */

static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

typedef struct {
  Bed        *bed;
  const char *path;
  const char *needle;
} ErrorWatch;

static gboolean
last_error_says (gpointer user_data)
{
  ErrorWatch *watch = user_data;
  g_autofree char *text = endpoint_string (watch->bed, watch->path, "LastError");

  return text != NULL && strstr (text, watch->needle) != NULL;
}

/* The daemon logged three attempts to connect to endpoint "closed". */
static gboolean
tried_thrice (gpointer user_data)
{
  g_autofree char *log = read_log (user_data);

  return count (log, "closed: cannot connect to OpenOCD at 127.0.0.1") >= 3;
}

static void
test_unreachable (void)
{
  g_autoptr(Bed) bed = bed_new ();
  g_autofree char *after = g_strdup_printf ("[Endpoint ghost]\nAddress=nosuch.invalid:6666\n"
                                            "[Endpoint closed]\nAddress=127.0.0.1:%u\n",
                                            closed_port ());
  ErrorWatch ghost = { bed, "/org/openocd/ghost", "cannot resolve nosuch.invalid" };
  ErrorWatch refused = { bed, "/org/openocd/closed", "connection refused" };
  g_autofree char *board_error = NULL;
  g_autofree char *log = NULL;

  write_config_around (bed, "", 0, after);
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  if (!ood_test_wait_for (last_error_says, &ghost, 10000))
    g_error ("ghost's LastError is not about resolving; see %s", bed->log);
  if (!ood_test_wait_for (last_error_says, &refused, 10000))
    g_error ("closed's LastError is not 'connection refused'; see %s", bed->log);
  assert_serving (bed);
  board_error = endpoint_string (bed, ENDPOINT0, "LastError");
  g_assert_cmpstr (board_error, ==, "");

  /* three attempts later (backoff from 100 ms), each reason was logged once */
  if (!ood_test_wait_for (tried_thrice, bed, 30000))
    g_error ("'closed' was not tried three times; see %s", bed->log);
  log = read_log (bed);
  {
    g_auto(GStrv) split = g_strsplit (log, "\n", -1);
    guint warned_closed = 0, warned_ghost = 0;

    for (guint i = 0; split[i] != NULL; i++)
      if (strstr (split[i], "WARNING") != NULL)
        {
          warned_closed += strstr (split[i], "closed: cannot connect") != NULL;
          warned_ghost += strstr (split[i], "ghost: cannot connect") != NULL;
        }
    g_assert_cmpuint (warned_closed, ==, 1);
    g_assert_cmpuint (warned_ghost, ==, 1);
  }
  g_assert_true (target_answers (bed));
}

typedef struct {
  GPtrArray *changes;   /* (element-type GVariant) a{sv} of each PropertiesChanged */
} Changes;

static void
on_properties_changed (GDBusConnection *bus, const char *sender, const char *path,
                       const char *iface, const char *signal, GVariant *params,
                       gpointer user_data)
{
  Changes *changes = user_data;
  const char *changed_iface;
  GVariant *dict;

  (void) bus;
  (void) sender;
  (void) path;
  (void) iface;
  (void) signal;
  g_variant_get (params, "(&s@a{sv}@as)", &changed_iface, &dict, NULL);
  if (g_str_equal (changed_iface, "org.openocd.Endpoint"))
    g_ptr_array_add (changes->changes, dict);
  else
    g_variant_unref (dict);
}

typedef struct {
  Changes  *changes;
  gboolean  connected;
} ChangeWatch;

/* A PropertiesChanged that holds Connected=@connected, and LastError
 * (empty or not, to match) in the same signal. */
static gboolean
saw_change (gpointer user_data)
{
  ChangeWatch *watch = user_data;

  for (guint i = 0; i < watch->changes->changes->len; i++)
    {
      GVariant *dict = watch->changes->changes->pdata[i];
      gboolean connected;
      const char *last_error;

      if (g_variant_lookup (dict, "Connected", "b", &connected) && connected == watch->connected)
        {
          g_assert_true (g_variant_lookup (dict, "LastError", "&s", &last_error));
          g_test_message ("Connected=%d LastError='%s'", connected, last_error);
          g_assert_cmpint (last_error[0] == '\0', ==, connected);
          return TRUE;
        }
    }
  return FALSE;
}

static void
test_last_error_announced (void)
{
  g_autoptr(Bed) bed = bed_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  Changes changes = { list };
  ChangeWatch watch = { &changes, FALSE };
  OodTestbed *testbed = ood_service_fixture_get_testbed (bed->fixture, 0);
  guint subscription;

  write_config_around (bed, "", 0, "");
  spawn (bed, bed->config, NULL);
  assert_started (bed);
  assert_serving (bed);
  subscription = g_dbus_connection_signal_subscribe (bed->bus, "org.openocd",
                                                     "org.freedesktop.DBus.Properties",
                                                     "PropertiesChanged", ENDPOINT0, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_properties_changed, &changes, NULL);
  ood_testbed_kill_openocd (testbed, SIGKILL);
  if (!ood_test_wait_for (saw_change, &watch, 10000))
    g_error ("no PropertiesChanged with Connected=false and LastError; see %s", bed->log);
  g_ptr_array_set_size (list, 0);
  g_assert_true (ood_testbed_start_openocd (testbed, &error));
  g_assert_no_error (error);
  watch.connected = TRUE;
  if (!ood_test_wait_for (saw_change, &watch, CONNECT_TIMEOUT_MS))
    g_error ("no PropertiesChanged with Connected=true and LastError ''; see %s", bed->log);
  g_dbus_connection_signal_unsubscribe (bed->bus, subscription);
  assert_serving (bed);
}

/* ---- OpenOCD on another host ----------------------------------------------- */

/* An IPv4 address of this machine's that is not loopback, or NULL. */
static char *
non_loopback_ipv4 (void)
{
  struct ifaddrs *list = NULL;
  char *found = NULL;

  if (getifaddrs (&list) != 0)
    return NULL;
  for (struct ifaddrs *i = list; i != NULL && found == NULL; i = i->ifa_next)
    if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
        (i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK))
      {
        char text[INET_ADDRSTRLEN];
        const struct sockaddr_in *in = (const struct sockaddr_in *) i->ifa_addr;
        if (inet_ntop (AF_INET, &in->sin_addr, text, sizeof text) != NULL)
          found = g_strdup (text);
      }
  freeifaddrs (list);
  return found;
}

static gboolean
flash_exported (gpointer user_data)
{
  Probe *wait = user_data;
  g_autoptr(GVariant) banks = ood_test_get_property (wait->bed->bus, wait->path,
                                                     "org.openocd.Flash", "Banks",
                                                     CALL_TIMEOUT_MS, NULL);

  return banks != NULL;
}

/* @method ("Program" or "Load") of 4 KiB at @address on @path's Flash:
 * the job's path, or NULL with @error. */
static char *
call_image (Bed *bed, const char *path, const char *method, guint64 address, GError **error)
{
  g_autofree char *file = g_build_filename (ood_service_fixture_get_tmpdir (bed->fixture),
                                            "image.bin", NULL);
  g_autofree guint8 *bytes = g_malloc (4096);
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  g_autoptr(GVariant) reply = NULL;
  char *job = NULL;
  int fd;

  for (guint i = 0; i < 4096; i++)
    bytes[i] = (guint8) (i * 7 + 1);
  g_assert_true (g_file_set_contents (file, (const char *) bytes, 4096, NULL));
  fd = open (file, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (g_unix_fd_list_append (list, fd, NULL), ==, 0);
  close (fd);
  g_unlink (file);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bed->bus, "org.openocd", path, "org.openocd.Flash", method,
      g_variant_new ("(hst@a{sv})", 0, "bin", address, g_variant_new ("a{sv}", NULL)),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, list, NULL,
      NULL, error);
  if (reply != NULL)
    g_variant_get (reply, "(o)", &job);
  return job;
}

typedef struct {
  Bed        *bed;
  const char *job;
  char       *state;
} JobState;

static gboolean
job_ended (gpointer user_data)
{
  JobState *js = user_data;
  g_autoptr(GVariant) state = ood_test_get_property (js->bed->bus, js->job, "org.openocd.Job",
                                                     "State", CALL_TIMEOUT_MS, NULL);

  if (state == NULL || g_str_equal (g_variant_get_string (state, NULL), "running"))
    return FALSE;
  js->state = g_variant_dup_string (state, NULL);
  return TRUE;
}

static guint
files_in (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* The service decides where OpenOCD runs by the address it reaches it
 * at; at a non-loopback one, OpenOCD might be on another host and could
 * not read the service's private file. */
static void
test_not_on_this_host (void)
{
  g_autofree char *ip = non_loopback_ipv4 ();
  g_autoptr(Bed) bed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *shared = NULL;
  g_autofree char *config = NULL;
  g_autofree char *job = NULL;
  guint16 port;
  Probe far = { NULL, "/org/openocd/far/riscv_2ecpu" };
  Probe near = { NULL, "/org/openocd/shared/riscv_2ecpu" };
  JobState js = { NULL, NULL, NULL };
  const char *const methods[] = { "Program", "Load" };
  const guint64 addresses[] = { 0x08000000, 0x80010000 };

  if (ip == NULL)
    {
      g_test_skip ("this machine has no non-loopback IPv4 address to reach OpenOCD at");
      return;
    }
  bed = bed_new_bound ("0.0.0.0");
  port = ood_testbed_get_tcl_port (ood_service_fixture_get_testbed (bed->fixture, 0));
  shared = g_build_filename (ood_service_fixture_get_tmpdir (bed->fixture), "shared", NULL);
  g_assert_cmpint (g_mkdir (shared, 0755), ==, 0);
  config = g_strdup_printf ("[Endpoint far]\nAddress=%s:%u\n\n"
                            "[Endpoint shared]\nAddress=%s:%u\nSharedDirectory=%s\n",
                            ip, port, ip, port, shared);
  g_assert_true (g_file_set_contents (bed->config, config, -1, &error));
  g_assert_no_error (error);
  spawn (bed, bed->config, NULL);
  far.bed = near.bed = js.bed = bed;
  if (!ood_test_wait_for (flash_exported, &far, CONNECT_TIMEOUT_MS) ||
      !ood_test_wait_for (flash_exported, &near, CONNECT_TIMEOUT_MS))
    g_error ("no Flash on both endpoints at %s:%u; see %s", ip, port, bed->log);

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *refused = call_image (bed, far.path, methods[i], addresses[i], &error);

      g_assert_null (refused);
      ood_test_assert_dbus_error (error, "org.openocd.Error.NotSupported", OOD_ERROR,
                                  OOD_ERROR_NOT_SUPPORTED);
      g_test_message ("%s at %s: %s", methods[i], ip, error->message);
      g_assert_nonnull (strstr (error->message, "SharedDirectory"));
      g_clear_error (&error);
    }
  /* with a directory both share, the image goes there, and is removed */
  job = call_image (bed, near.path, "Program", addresses[0], &error);
  g_assert_no_error (error);
  js.job = job;
  g_assert_true (ood_test_wait_for (job_ended, &js, CONNECT_TIMEOUT_MS));
  g_assert_cmpstr (js.state, ==, "succeeded");
  g_assert_cmpuint (files_in (shared), ==, 0);
  g_free (js.state);
  g_rmdir (shared);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
  g_test_add_func ("/config-file/nul-byte", test_nul_byte);
  g_test_add_func ("/config-file/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/config-file/large-junk", test_large_junk);
  g_test_add_func ("/config-file/too-large", test_too_large);
  g_test_add_func ("/config-file/fifo-at-start", test_fifo_at_start);
  g_test_add_func ("/config-file/not-regular", test_not_regular);
  g_test_add_func ("/config-file/bad-addresses", test_bad_addresses);
  g_test_add_func ("/config-file/openocd-strict", test_openocd_strict);
  g_test_add_func ("/config-file/sighup-fifo", test_sighup_fifo);
  g_test_add_func ("/config-file/sighup-too-large", test_sighup_too_large);
  g_test_add_func ("/config-file/sighup-no-endpoint", test_sighup_no_endpoint);
  g_test_add_func ("/config-file/unreachable", test_unreachable);
  g_test_add_func ("/config-file/last-error-announced", test_last_error_announced);
  g_test_add_func ("/config-file/option-ranges", test_option_ranges);
  g_test_add_func ("/config-file/not-on-this-host", test_not_on_this_host);
  return g_test_run ();
}
