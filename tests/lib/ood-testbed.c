/* Starts the simulated board and OpenOCD for tests; see ood-testbed.h. */
#include "ood-testbed.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define STARTUP_TIMEOUT_US  (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_MS     5000

struct _OodTestbed {
  GSubprocess *sim;
  GSubprocess *openocd;
  guint16 sim_port;
  guint16 tcl_port;
  guint16 gdb_port;
  gboolean gdb;
  gboolean rtt_commands;
  guint harts;
  gboolean smp;
  guint flash_banks;
  char *target_name;
  char *bind_address;
  char *tmpdir;
  char *sim_log;
  guint openocd_starts;
  gboolean verbose;
  gboolean sim_trace;
  gboolean keep_logs;
};

/* The value of environment variable @name, or @fallback if unset or empty. */
const char *
ood_test_env_or (const char *name, const char *fallback)
{
  const char *v = g_getenv (name);

  return (v && *v) ? v : fallback;
}

const char *
ood_test_rtt_firmware_path (void)
{
  return ood_test_env_or ("OOD_RTT_FIRMWARE", OOD_RTT_FIRMWARE_DEFAULT);
}

char *
ood_test_save_bytes (const char *dir, const char *name, GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  return path;
}

GBytes *
ood_test_load_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &data, &size, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

GBytes *
ood_test_random_flash_image (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_test_rand_int_range (0, 256);
  for (gsize i = 0; i + 1 < size; i += 2)
    if (data[i] == 0xff && data[i + 1] == 0xff)
      data[i] = 0x5a;
  return g_bytes_new_take (data, size);
}

/* A GSpawnChildSetupFunc: the child dies with the test. */
void
ood_test_die_with_parent (gpointer user_data)
{
  (void) user_data;
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (l, ood_test_die_with_parent, NULL, NULL);
  return l;
}

static gboolean
pick_free_port (guint16 *port, GError **error)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
       getsockname (fd, (struct sockaddr *) &addr, &len) == 0;
  if (fd >= 0)
    close (fd);
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot pick a free port");
      return FALSE;
    }
  *port = ntohs (addr.sin_port);
  return TRUE;
}

/* Waits for a child to exit, at most timeout_ms; TRUE if it did. */
static gboolean
wait_with_timeout (GSubprocess *proc, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      /* GSubprocess reaps in the GLib worker thread; poll its status. */
      if (g_subprocess_get_identifier (proc) == NULL)
        return TRUE;
      g_usleep (10 * 1000);
    }
  return g_subprocess_get_identifier (proc) == NULL;
}

static void
stop_process (GSubprocess **procp, int signum)
{
  GSubprocess *proc = *procp;

  if (!proc)
    return;
  g_subprocess_send_signal (proc, signum);
  if (!wait_with_timeout (proc, STOP_TIMEOUT_MS))
    {
      g_printerr ("# ood-testbed: child did not stop on signal %d, killing it\n", signum);
      g_subprocess_force_exit (proc);
    }
  g_subprocess_wait (proc, NULL, NULL);
  g_clear_object (procp);
}

static gboolean
read_sim_port (OodTestbed *tb, GError **error)
{
  GInputStream *out = g_subprocess_get_stdout_pipe (tb->sim);
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (out);
  g_autofree char *line = g_data_input_stream_read_line (data, NULL, NULL, error);
  guint64 port = 0;

  if (!line || !g_str_has_prefix (line, "listening on port ") ||
      !g_ascii_string_to_unsigned (line + 18, 10, 1, 65535, &port, NULL))
    {
      if (error && !*error)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "simulator did not report its port (log: %s)", tb->sim_log);
      return FALSE;
    }
  tb->sim_port = (guint16) port;
  return TRUE;
}

static gboolean
start_sim (OodTestbed *tb, const char *image, GError **error)
{
  g_autoptr(GSubprocessLauncher) l = new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *harts = g_strdup_printf ("%u", tb->harts);

  g_ptr_array_add (argv, (gpointer) ood_test_env_or ("OOD_SIM", OOD_SIM_DEFAULT));
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  if (image)
    {
      g_ptr_array_add (argv, (gpointer) "--image");
      g_ptr_array_add (argv, (gpointer) image);
    }
  if (tb->harts > 1)
    {
      g_ptr_array_add (argv, (gpointer) "--harts");
      g_ptr_array_add (argv, harts);
    }
  if (tb->sim_trace)
    g_ptr_array_add (argv, (gpointer) "--verbose");
  if (tb->flash_banks > 1)
    {
      g_ptr_array_add (argv, (gpointer) "--flash-banks");
      g_ptr_array_add (argv, (gpointer) "2");
    }
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_stderr_file_path (l, tb->sim_log);
  tb->sim = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, error);
  return tb->sim && read_sim_port (tb, error);
}

/* OpenOCD's command line for this board, up to and with the board's
 * file: the ports and addresses are for whoever runs it to add. */
GStrv
ood_testbed_dup_openocd_argv (OodTestbed *tb)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_autofree char *rbb = g_strdup_printf ("remote_bitbang port %u", tb->sim_port);
  g_autofree char *quoted = ood_test_tcl_quote (tb->target_name);
  g_autofree char *name = g_strdup_printf ("set _TARGETNAME %s", quoted);

  g_strv_builder_add_many (argv, ood_test_env_or ("OOD_OPENOCD", OOD_OPENOCD_DEFAULT),
                           "-c", "adapter driver remote_bitbang", "-c", rbb, "-c", name, NULL);
  if (tb->rtt_commands)
    g_strv_builder_add_many (argv, "-c", "set _SIM_RTT 1", NULL);
  if (tb->harts > 1)
    {
      g_autofree char *harts = g_strdup_printf ("set _SIM_HARTS %u", tb->harts);
      g_strv_builder_add_many (argv, "-c", harts, NULL);
    }
  if (tb->harts > 1 && tb->smp)
    g_strv_builder_add_many (argv, "-c", "set _SIM_SMP 1", NULL);
  if (tb->flash_banks > 1)
    g_strv_builder_add_many (argv, "-c", "set _SIM_FLASH_BANKS 2", NULL);
  g_strv_builder_add_many (argv, "-f", ood_test_env_or ("OOD_SIM_CFG", OOD_SIM_CFG_DEFAULT),
                           NULL);
  return g_strv_builder_end (argv);
}

static GSubprocess *
spawn_openocd (OodTestbed *tb, const char *log_path, GError **error)
{
  GSubprocessFlags flags = tb->verbose ? G_SUBPROCESS_FLAGS_NONE
                                       : G_SUBPROCESS_FLAGS_STDERR_MERGE;
  g_autoptr(GSubprocessLauncher) l = new_launcher (flags);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_auto(GStrv) board = ood_testbed_dup_openocd_argv (tb);
  g_auto(GStrv) words = NULL;
  g_autofree char *tcl = g_strdup_printf ("tcl_port %u", tb->tcl_port);
  /* after the board's file, which binds to 127.0.0.1 */
  g_autofree char *bindto = g_strdup_printf ("bindto %s", tb->bind_address != NULL
                                                              ? tb->bind_address : "127.0.0.1");
  g_autofree char *gdb = tb->gdb_port != 0 ? g_strdup_printf ("gdb_port %u", tb->gdb_port)
                                           : g_strdup ("gdb_port disabled");

  g_strv_builder_addv (argv, (const char **) board);
  g_strv_builder_add_many (argv, "-c", tcl, "-c", bindto, "-c", gdb, NULL);
  words = g_strv_builder_end (argv);
  if (!tb->verbose)
    g_subprocess_launcher_set_stdout_file_path (l, log_path);
  return g_subprocess_launcher_spawnv (l, (const char *const *) words, error);
}

/* TRUE once the Tcl port answers and says the target was examined. */
static gboolean
openocd_ready (OodTestbed *tb, GError **error)
{
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (tb->tcl_port, NULL);
  g_autofree char *quoted = ood_test_tcl_quote (tb->target_name);
  g_autofree char *cmd = g_strdup_printf ("%s was_examined", quoted);
  g_autofree char *reply = NULL;

  if (!tcl)
    return FALSE;
  reply = ood_test_tcl_eval (tcl, cmd, error);
  if (reply && g_strcmp0 (reply, "1") != 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "OpenOCD did not examine the target (%s)", reply);
  return reply && g_strcmp0 (reply, "1") == 0;
}

static gboolean
wait_openocd_ready (OodTestbed *tb, const char *log_path, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + STARTUP_TIMEOUT_US;

  while (g_get_monotonic_time () < deadline)
    {
      if (g_subprocess_get_identifier (tb->openocd) == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "OpenOCD exited during startup (log: %s)", log_path);
          return FALSE;
        }
      if (openocd_ready (tb, error))
        return TRUE;
      if (error && *error)
        return FALSE;
      g_usleep (50 * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "OpenOCD's Tcl port %u did not answer in time (log: %s)",
               tb->tcl_port, log_path);
  return FALSE;
}

gboolean
ood_testbed_start_openocd (OodTestbed *tb, GError **error)
{
  g_autofree char *log_path = NULL;

  g_return_val_if_fail (tb->openocd == NULL, FALSE);
  if (tb->tcl_port == 0 && !pick_free_port (&tb->tcl_port, error))
    return FALSE;
  if (tb->gdb && tb->gdb_port == 0 && !pick_free_port (&tb->gdb_port, error))
    return FALSE;
  log_path = g_strdup_printf ("%s/openocd-%u.log", tb->tmpdir, ++tb->openocd_starts);
  tb->openocd = spawn_openocd (tb, log_path, error);
  if (tb->openocd && wait_openocd_ready (tb, log_path, error))
    return TRUE;
  tb->keep_logs = TRUE;
  if (tb->openocd)
    stop_process (&tb->openocd, SIGKILL);
  return FALSE;
}

static gboolean
testbed_start (OodTestbed *tb, const OodTestbedOptions *opts, GError **error)
{
  tb->tmpdir = g_dir_make_tmp ("ood-testbed-XXXXXX", error);
  if (!tb->tmpdir)
    return FALSE;
  tb->sim_log = g_build_filename (tb->tmpdir, "sim.log", NULL);
  if (!start_sim (tb, opts ? opts->image_path : NULL, error))
    return FALSE;
  if (opts && opts->no_openocd)
    return TRUE;
  return ood_testbed_start_openocd (tb, error);
}

OodTestbed *
ood_testbed_new (const OodTestbedOptions *opts, GError **error)
{
  OodTestbed *tb = g_new0 (OodTestbed, 1);
  const char *name = opts && opts->target_name ? opts->target_name : "riscv.cpu";

  tb->target_name = g_strdup (name);
  tb->bind_address = g_strdup (opts != NULL ? opts->bind_address : NULL);
  tb->gdb = opts != NULL && opts->gdb;
  tb->rtt_commands = opts != NULL && opts->rtt_commands;
  tb->harts = opts != NULL ? opts->harts : 0;
  tb->smp = opts != NULL && opts->smp;
  tb->sim_trace = opts != NULL && opts->sim_trace;
  tb->flash_banks = opts != NULL ? opts->flash_banks : 0;
  tb->verbose = g_getenv ("OOD_TEST_VERBOSE") != NULL;
  tb->keep_logs = g_getenv ("OOD_TEST_KEEP_LOGS") != NULL;
  if (!testbed_start (tb, opts, error))
    {
      g_prefix_error (error, "test bed (logs in %s): ", tb->tmpdir ? tb->tmpdir : "-");
      tb->keep_logs = TRUE;
      ood_testbed_free (tb);
      return NULL;
    }
  return tb;
}

guint16
ood_testbed_get_tcl_port (OodTestbed *tb)
{
  return tb->tcl_port;
}

guint16
ood_testbed_get_gdb_port (OodTestbed *tb)
{
  return tb->gdb_port;
}

/* For a testbed made with options.gdb: the next OpenOCD started serves GDB
 * on a free port other than the last one. */
void
ood_testbed_move_gdb_port (OodTestbed *tb)
{
  guint16 old = tb->gdb_port;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (tb->gdb);
  while (tb->gdb_port == old)
    g_assert_true (pick_free_port (&tb->gdb_port, &error));
}

guint16
ood_testbed_get_sim_port (OodTestbed *tb)
{
  return tb->sim_port;
}

char *
ood_testbed_get_address (OodTestbed *tb)
{
  return g_strdup_printf ("127.0.0.1:%u", tb->tcl_port);
}

const char *
ood_testbed_get_target_name (OodTestbed *tb)
{
  return tb->target_name;
}

/* The name the target gets from the next ood_testbed_start_openocd() on:
 * an OpenOCD restarted on the same port with another target list. */
void
ood_testbed_set_target_name (OodTestbed *tb, const char *name)
{
  g_free (tb->target_name);
  tb->target_name = g_strdup (name);
}

int
ood_testbed_get_sim_pid (OodTestbed *tb)
{
  const char *id = tb->sim ? g_subprocess_get_identifier (tb->sim) : NULL;

  return id ? atoi (id) : 0;
}

int
ood_testbed_get_openocd_pid (OodTestbed *tb)
{
  const char *id = tb->openocd ? g_subprocess_get_identifier (tb->openocd) : NULL;

  return id ? atoi (id) : 0;
}

char *
ood_testbed_read_sim_log (OodTestbed *tb)
{
  char *text = NULL;

  if (!g_file_get_contents (tb->sim_log, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* The abstract commands in @log that read register @regno (RISC-V Debug
 * Specification 0.13, 3.6.1.1: cmdtype 0, transfer, not write), as the
 * simulator traces them ("command 0x... -> cmderr N"). */
guint
ood_testbed_register_reads (const char *log, guint regno)
{
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = strstr (lines[i], "command 0x");
      char *end = NULL;
      guint64 cmd;

      if (at == NULL)
        continue;
      cmd = g_ascii_strtoull (at + strlen ("command 0x"), &end, 16);
      if (end == at + strlen ("command 0x") || *end != ' ')
        continue;
      if (cmd >> 24 == 0 && (cmd & (1u << 17)) != 0 && (cmd & (1u << 16)) == 0 &&
          (cmd & 0xffff) == regno)
        n++;
    }
  return n;
}

void
ood_testbed_kill_openocd (OodTestbed *tb, int signum)
{
  stop_process (&tb->openocd, signum);
}

static void
remove_tmpdir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

void
ood_testbed_free (OodTestbed *tb)
{
  if (!tb)
    return;
  stop_process (&tb->openocd, SIGTERM);
  stop_process (&tb->sim, SIGTERM);
  if (tb->tmpdir && tb->keep_logs)
    g_printerr ("# ood-testbed: logs kept in %s\n", tb->tmpdir);
  else if (tb->tmpdir)
    remove_tmpdir (tb->tmpdir);
  g_free (tb->tmpdir);
  g_free (tb->sim_log);
  g_free (tb->target_name);
  g_free (tb->bind_address);
  g_free (tb);
}
