/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-daemon"

#include <glib-unix.h>
#include <gio/gio.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#include "ood-authority.h"
#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-config.h"
#include "ood-manager.h"
#include "ood-supervisor.h"
#include "ood-usb-watcher.h"

/* Longer than a supervisor's SIGTERM-to-SIGKILL wait (3 s). */
#define OPENOCD_STOP_WAIT_S 10

#define BUS_NAME "org.openocd"

/* An integer option not given on the command line. */
#define UNSET G_MININT

typedef struct {
  GMainLoop       *loop;
  GDBusConnection *bus;
  OodManager     *manager;
  OodCallers     *callers;
  OodDoor        *door;
  OodSettings     settings;
  guint            owner_id;
  int              exit_status;

  gboolean         use_session;
  gboolean         use_system;
  char            *bus_address;
  char            *openocd;
  char            *config_path;
  gboolean         config_explicit;   /* then it must exist */
  gboolean         verbose;
  gboolean         version;
  int              timeout_ms;
  int              max_queue;
  int              probe_ms;
  int              job_linger_ms;
  int              start_timeout_ms;
  int              fd_stall_ms;
  int              polkit_timeout_ms;
} Daemon;

static void
quit (Daemon *daemon, int status)
{
  if (status != EXIT_SUCCESS)
    daemon->exit_status = status;
  g_main_loop_quit (daemon->loop);
}

static gboolean
on_terminate (gpointer user_data)
{
  g_message ("terminating");
  quit (user_data, EXIT_SUCCESS);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup (gpointer user_data)
{
  Daemon *daemon = user_data;

  /* read in a worker thread: the main loop keeps answering meanwhile */
  g_message ("reloading %s", daemon->config_path);
  if (daemon->manager != NULL)
    ood_manager_reload (daemon->manager);
  return G_SOURCE_CONTINUE;
}

static void
on_name_acquired (GDBusConnection *bus, const char *name, gpointer user_data)
{
  (void) bus;
  (void) user_data;
  g_message ("serving %s", name);
}

static void
on_name_lost (GDBusConnection *bus, const char *name, gpointer user_data)
{
  (void) bus;
  g_critical ("could not own %s on the bus (another instance, or the bus policy refuses)", name);
  quit (user_data, EXIT_FAILURE);
}

static void
on_bus_closed (GDBusConnection *bus, gboolean remote_peer_vanished, GError *error,
               gpointer user_data)
{
  (void) bus;
  (void) remote_peer_vanished;
  g_warning ("lost the bus: %s", error != NULL ? error->message : "closed");
  quit (user_data, EXIT_FAILURE);
}

/* Who may do what: polkit, but on a bus other than the system bus the
 * user running it (and the service) is trusted; said once at start. */
static OodDoor *
door_new (Daemon *daemon)
{
  gboolean system = daemon->bus_address == NULL && !daemon->use_session;
  guint timeout_ms = daemon->polkit_timeout_ms != UNSET ? (guint) daemon->polkit_timeout_ms
                                                        : OOD_AUTHORITY_DEFAULT_TIMEOUT_MS;
  g_autoptr(OodAuthority) authority = ood_authority_new (system, timeout_ms);

  if (system)
    g_message ("every method is authorized by polkit; root and uid %u (this service) are trusted",
               (guint) getuid ());
  else
    g_message ("not on the system bus: calls from root and uid %u (the bus's and this service's "
               "user) are trusted without polkit; other users are asked of polkit on the "
               "system bus, and refused if it does not answer", (guint) getuid ());
  return ood_door_new (daemon->callers, authority);
}

/* Objects are exported before the name is requested, so a client that
 * sees the name sees the endpoints too. */
static gboolean
start_serving (Daemon *daemon, GError **error)
{
  g_autoptr(OodUsbWatcher) watcher = NULL;

  g_dbus_connection_set_exit_on_close (daemon->bus, FALSE);
  g_signal_connect (daemon->bus, "closed", G_CALLBACK (on_bus_closed), daemon);
  daemon->callers = ood_callers_new (daemon->bus, OOD_CALLERS_MAX_CALLS, OOD_CALLERS_MAX_WAITERS,
                                     OOD_CALLERS_MAX_FDS);
  daemon->settings.callers = daemon->callers;
  daemon->door = door_new (daemon);
  daemon->settings.door = daemon->door;
  watcher = ood_usb_watcher_new ();
  daemon->manager = ood_manager_new (daemon->bus, &daemon->settings, daemon->config_path,
                                      daemon->config_explicit,
                                      daemon->openocd, watcher);
  if (!ood_manager_load (daemon->manager, error))
    return FALSE;
  daemon->owner_id = g_bus_own_name_on_connection (daemon->bus, BUS_NAME,
                                                   G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                   on_name_acquired, on_name_lost,
                                                   daemon, NULL);
  return TRUE;
}

/* The bus is connected to before the main loop runs, when there is
 * nothing else to do: synchronously, so that no worker thread is left
 * behind (an asynchronous connect runs in a pool thread that lingers
 * and wakes once more, 15 s later, to exit). */
static gboolean
connect_bus (Daemon *daemon, GError **error)
{
  if (daemon->bus_address != NULL)
    daemon->bus = g_dbus_connection_new_for_address_sync (
        daemon->bus_address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, error);
  else
    daemon->bus = g_bus_get_sync (daemon->use_session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                                  NULL, error);
  return daemon->bus != NULL;
}

static gboolean
on_wait_over (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The supervised OpenOCDs were told to stop (SIGTERM, SIGKILL after a
 * while): the service exits once they are gone, so that none outlives
 * it, also one that ignores SIGTERM (OpenOCD does while it reads its
 * configuration). A bound in case the kernel never reports one. */
static void
wait_for_openocds (void)
{
  gboolean over = FALSE;
  guint timer;

  if (ood_supervisor_count_live () == 0)
    return;
  g_message ("waiting for %u OpenOCDs to stop", ood_supervisor_count_live ());
  timer = g_timeout_add_seconds (OPENOCD_STOP_WAIT_S, on_wait_over, &over);
  while (ood_supervisor_count_live () > 0 && !over)
    g_main_context_iteration (NULL, TRUE);
  if (!over)
    g_source_remove (timer);
  if (ood_supervisor_count_live () > 0)
    g_warning ("%u OpenOCDs did not stop within %u s", ood_supervisor_count_live (),
               OPENOCD_STOP_WAIT_S);
}

/* Connects, exports, runs until told to stop, and tears down; the exit
 * status is left in daemon->exit_status. */
static void
serve (Daemon *daemon)
{
  g_autoptr(GError) error = NULL;

  daemon->loop = g_main_loop_new (NULL, FALSE);
  if (!connect_bus (daemon, &error))
    {
      g_printerr ("openocd-dbusd: cannot connect to the bus: %s\n", error->message);
      daemon->exit_status = EXIT_FAILURE;
    }
  else if (!start_serving (daemon, &error))
    {
      g_printerr ("openocd-dbusd: %s\n", error->message);
      daemon->exit_status = EXIT_FAILURE;
    }
  else
    {
      g_unix_signal_add (SIGTERM, on_terminate, daemon);
      g_unix_signal_add (SIGINT, on_terminate, daemon);
      g_unix_signal_add (SIGHUP, on_hangup, daemon);
      g_main_loop_run (daemon->loop);
    }

  if (daemon->owner_id != 0)
    g_bus_unown_name (daemon->owner_id);
  g_clear_object (&daemon->manager);
  wait_for_openocds ();
  g_clear_object (&daemon->door);
  g_clear_object (&daemon->callers);
  if (daemon->bus != NULL)
    g_dbus_connection_flush_sync (daemon->bus, NULL, NULL);
  g_clear_object (&daemon->bus);
  g_main_loop_unref (daemon->loop);
}

static gboolean
parse_options (Daemon *daemon, int *argc, char ***argv, GError **error)
{
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &daemon->use_system, "Serve on the system bus (default)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &daemon->use_session, "Serve on the session bus", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &daemon->bus_address, "Serve on the bus at ADDRESS", "ADDRESS" },
    { "openocd", 0, 0, G_OPTION_ARG_STRING, &daemon->openocd, "OpenOCD's Tcl RPC server of the \"default\" endpoint", "HOST:PORT" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &daemon->config_path, "Endpoint configuration (default " OOD_DEFAULT_CONFIG ")", "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &daemon->timeout_ms, "How long OpenOCD may take to answer a command, 1 to 3600000 (default 10000)", "MS" },
    { "max-queue", 0, 0, G_OPTION_ARG_INT, &daemon->max_queue, "How many callers' calls may wait for one OpenOCD before Busy, 1 to 1000000 (default 4096; the service's own refreshes do not count)", "N" },
    { "probe-interval", 0, 0, G_OPTION_ARG_INT, &daemon->probe_ms, "How often to check that OpenOCD still reaches RISC-V targets, which OpenOCD 0.12 does not report, 0 (never) or 100 to 3600000 (default 2000)", "MS" },
    { "job-linger", 0, 0, G_OPTION_ARG_INT, &daemon->job_linger_ms, "How long an ended job stays on the bus (default 60000)", "MS" },
    { "start-timeout", 0, 0, G_OPTION_ARG_INT, &daemon->start_timeout_ms, "How long a supervised OpenOCD (Exec=) may take to open its Tcl port before it is killed and started again, 100 to 3600000 (default 30000)", "MS" },
    { "fd-stall-timeout", 0, 0, G_OPTION_ARG_INT, &daemon->fd_stall_ms, "How long an fd a client handed over (ReadToFd, WriteFromFd, a flash image) may move no byte before its call or job fails with Stalled, 100 to 3600000 (default 5000)", "MS" },
    { "polkit-timeout", 0, 0, G_OPTION_ARG_INT, &daemon->polkit_timeout_ms, "How long polkit may take to answer whether a call is authorized before the call fails with Timeout, 100 to 3600000 (default 25000; 300000 where the caller allows interactive authorization)", "MS" },
    { "allow-raw-commands", 0, 0, G_OPTION_ARG_NONE, &daemon->settings.allow_raw_commands, "Let administrators run any OpenOCD command (Endpoint.Command, polkit action org.openocd.raw) on every endpoint, not only those with AllowRawCommands=true", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &daemon->verbose, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &daemon->version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- publish OpenOCD targets on D-Bus");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (daemon->use_system + daemon->use_session + (daemon->bus_address != NULL) > 1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--system, --session and --address exclude each other");
      return FALSE;
    }
  if (daemon->openocd != NULL && !ood_config_check_address (daemon->openocd, error))
    return FALSE;
  if (daemon->timeout_ms != UNSET && (daemon->timeout_ms < 1 || daemon->timeout_ms > 3600 * 1000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--timeout must be 1 to 3600000 ms");
      return FALSE;
    }
  if (daemon->max_queue != UNSET && (daemon->max_queue < 1 || daemon->max_queue > 1000000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--max-queue must be 1 to 1000000");
      return FALSE;
    }
  if (daemon->job_linger_ms != UNSET &&
      (daemon->job_linger_ms < 1 || daemon->job_linger_ms > 24 * 3600 * 1000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--job-linger must be 1 to 86400000 ms");
      return FALSE;
    }
  if (daemon->start_timeout_ms != UNSET &&
      (daemon->start_timeout_ms < 100 || daemon->start_timeout_ms > 3600 * 1000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--start-timeout must be 100 to 3600000 ms");
      return FALSE;
    }
  if (daemon->fd_stall_ms != UNSET &&
      (daemon->fd_stall_ms < 100 || daemon->fd_stall_ms > 3600 * 1000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--fd-stall-timeout must be 100 to 3600000 ms");
      return FALSE;
    }
  if (daemon->polkit_timeout_ms != UNSET &&
      (daemon->polkit_timeout_ms < 100 || daemon->polkit_timeout_ms > 3600 * 1000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--polkit-timeout must be 100 to 3600000 ms");
      return FALSE;
    }
  if (daemon->probe_ms != UNSET && daemon->probe_ms != 0 &&
      (daemon->probe_ms < 100 || daemon->probe_ms > 3600 * 1000))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--probe-interval must be 0 or 100 to 3600000 ms");
      return FALSE;
    }
  return TRUE;
}

/* What option parsing allocated, on every way out. */
static void
daemon_free_options (Daemon *daemon)
{
  g_clear_pointer (&daemon->bus_address, g_free);
  g_clear_pointer (&daemon->openocd, g_free);
  g_clear_pointer (&daemon->config_path, g_free);
}

int
main (int argc, char **argv)
{
  Daemon daemon = { .exit_status = EXIT_SUCCESS, .timeout_ms = UNSET, .max_queue = UNSET,
                    .probe_ms = UNSET, .job_linger_ms = UNSET, .start_timeout_ms = UNSET,
                    .fd_stall_ms = UNSET, .polkit_timeout_ms = UNSET };
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  /* a client that closes its end of a ReadToFd fd must cost an EPIPE, not the daemon */
  signal (SIGPIPE, SIG_IGN);
  ood_settings_init_defaults (&daemon.settings);
  if (!parse_options (&daemon, &argc, &argv, &error))
    {
      g_printerr ("openocd-dbusd: %s\n", error->message);
      daemon_free_options (&daemon);
      return 2;
    }
  if (daemon.version)
    {
      g_print ("openocd-dbusd %s\n", OOD_VERSION);
      daemon_free_options (&daemon);
      return EXIT_SUCCESS;
    }
  /* every message, debug ones included, goes to stderr (the journal);
   * GLib would write debug and info lines to stdout */
  g_log_writer_default_set_use_stderr (TRUE);
  if (daemon.verbose)
    g_log_set_debug_enabled (TRUE);
  if (daemon.timeout_ms != UNSET)
    daemon.settings.command_timeout_ms = (guint) daemon.timeout_ms;
  if (daemon.probe_ms != UNSET)
    daemon.settings.probe_interval_ms = (guint) daemon.probe_ms;
  daemon.config_explicit = daemon.config_path != NULL;
  if (daemon.max_queue != UNSET)
    daemon.settings.max_waiting = (guint) daemon.max_queue;
  if (daemon.job_linger_ms != UNSET)
    daemon.settings.job_linger_ms = (guint) daemon.job_linger_ms;
  if (daemon.start_timeout_ms != UNSET)
    daemon.settings.start_timeout_ms = (guint) daemon.start_timeout_ms;
  if (daemon.fd_stall_ms != UNSET)
    daemon.settings.fd_stall_timeout_ms = (guint) daemon.fd_stall_ms;
  if (daemon.config_path == NULL)
    daemon.config_path = g_strdup (OOD_DEFAULT_CONFIG);
  (void) ood_error_quark ();

  serve (&daemon);
  daemon_free_options (&daemon);
  return daemon.exit_status;
}
