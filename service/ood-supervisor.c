/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-supervisor"

#include "ood-supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ood-idle.h"

/* Bytes of output read at a time. */
#define READ_CHUNK 4096

/* After a process exited, how long the rest of its output may take to
 * arrive: something it started may hold the pipe open for ever. */
#define DRAIN_MS 1000

#define CUT_MARK "…"

typedef enum {
  PORT_TCL = 1 << 0,
  PORT_GDB = 1 << 1,
} Ports;

/*
 * One process and its output. Its pending wait and read hold references,
 * so it lives until the process was reaped and its output read, also when
 * the supervisor is gone (owner NULL). Its timers need no reference: each
 * is armed only while the wait or the read is pending, and destroyed when
 * the run finishes.
 */
typedef struct {
  guint          ref_count;
  OodSupervisor *owner;       /* NULL once the supervisor let go of it */
  GSubprocess   *process;
  GPid           pid;
  GCancellable  *reading;
  GSource       *start_timer; /* until its Tcl port opens */
  GSource       *kill_timer;  /* SIGKILL, after SIGTERM */
  GSource       *drain_timer; /* after the exit, until the output ends */
  gint64         ready_at;    /* monotonic time its Tcl port opened, or 0 */
  char          *reason;      /* why the supervisor ended it (its last exit), or NULL */
  gboolean       asked;       /* ended by stop() or restart() */
  Ports          taken;       /* ports OpenOCD could not bind */
  gboolean       exited;
  gboolean       eof;
  gboolean       finished;
  char          *last_error;  /* this run's last "Error:" line */
  char          *last_line;   /* and its last non-empty one */
  gsize          line_len;
  gboolean       line_cut;    /* the line was cut and taken: skip to its end */
  char           line[OOD_SUPERVISOR_LINE_MAX];
  guint8         chunk[READ_CHUNK];
} Run;

struct _OodSupervisor {
  GObject                parent_instance;

  char                  *name;         /* for logs: the endpoint's name */
  GStrv                  argv;
  OodSupervisorSettings  settings;
  Run                   *run;          /* the process, or NULL */
  GSource               *timer;        /* the next start, or a failed spawn's report */
  char                  *spawn_error;  /* that report */
  guint                  backoff_ms;   /* the delay of the next start after a failure */
  guint                  port_retries; /* immediate starts for taken ports since healthy */
  guint16                tcl_port;     /* given to OpenOCD; 0: to be chosen */
  guint16                gdb_port;
  guint                  starts;
  char                  *last_exit;
  char                 **ring;         /* log_lines slots, the oldest at ring_head */
  guint                  ring_head;
  guint                  ring_count;
  gboolean               started;
  gboolean               stopped;
  gboolean               restart_asked;
};

enum {
  SIGNAL_READY,
  SIGNAL_EXITED,
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodSupervisor, ood_supervisor, G_TYPE_OBJECT)

static void owner_run_ended (OodSupervisor *self, Run *run);
static void owner_after_end (OodSupervisor *self, const char *how, gboolean asked, Ports taken,
                             gboolean healthy);
static void owner_take_line (OodSupervisor *self, Run *run, const char *line);

void
ood_supervisor_settings_init_defaults (OodSupervisorSettings *settings)
{
  *settings = (OodSupervisorSettings) {
    .backoff_min_ms = 100,
    .backoff_max_ms = 30000,
    .healthy_after_ms = 10000,
    .start_timeout_ms = 30000,
    .stop_timeout_ms = 3000,
    .log_lines = 200,
  };
}

/* ---- a run: one process ------------------------------------------------- */

static Run *
run_ref (Run *run)
{
  run->ref_count++;
  return run;
}

static void
run_unref (Run *run)
{
  if (--run->ref_count > 0)
    return;
  ood_timer_replace (&run->start_timer, 0, NULL, NULL);
  ood_timer_replace (&run->kill_timer, 0, NULL, NULL);
  ood_timer_replace (&run->drain_timer, 0, NULL, NULL);
  g_clear_object (&run->process);
  g_clear_object (&run->reading);
  g_free (run->reason);
  g_free (run->last_error);
  g_free (run->last_line);
  g_free (run);
}

/* Sends @signum to the process's group, its own since the child setup
 * (setpgid): the command and whatever it started (a wrapper's OpenOCD,
 * a shell's children), which would otherwise outlive it. Only while the
 * process is not reaped, so the group's id cannot be anybody else's. */
static void
run_signal (Run *run, int signum)
{
  if (run->exited || run->pid <= 0)
    return;
  if (kill (-run->pid, signum) != 0)
    g_subprocess_send_signal (run->process, signum);
}

static gboolean
on_kill_timer (gpointer user_data)
{
  Run *run = user_data;

  g_clear_pointer (&run->kill_timer, g_source_unref);
  g_debug ("process %d did not stop on SIGTERM, killing its group", run->pid);
  run_signal (run, SIGKILL);
  return G_SOURCE_REMOVE;
}

/* Ends the process (SIGTERM, SIGKILL after @stop_timeout_ms) for @reason,
 * its last exit; a later reason replaces an earlier one. */
static void
run_end (Run *run, char *reason, guint stop_timeout_ms)
{
  g_free (run->reason);
  run->reason = reason;
  ood_timer_replace (&run->start_timer, 0, NULL, NULL);
  if (run->exited || run->kill_timer != NULL)
    return;
  run_signal (run, SIGTERM);
  ood_timer_replace (&run->kill_timer, stop_timeout_ms, on_kill_timer, run);
}

/* The words of ood_supervisor_get_last_exit() for a reaped process. */
static char *
run_describe (Run *run)
{
  const char *line = run->last_error != NULL ? run->last_error : run->last_line;
  g_autofree char *how = NULL;

  if (run->reason != NULL)
    return g_strdup (run->reason);
  if (g_subprocess_get_if_exited (run->process))
    how = g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (run->process));
  else
    {
      int sig = g_subprocess_get_term_sig (run->process);

      how = g_strdup_printf ("killed by signal %d (%s)", sig, g_strsignal (sig));
      if (sig == SIGKILL || sig == SIGTERM)
        line = NULL;
    }
  if (line == NULL)
    return g_steal_pointer (&how);
  return g_strdup_printf ("%s: %s", how, line);
}

/* Once the process was reaped and its output read to the end (or for
 * DRAIN_MS after), the run is over. */
static void
run_maybe_finish (Run *run)
{
  if (run->finished || !run->exited || (!run->eof && run->drain_timer != NULL))
    return;
  run->finished = TRUE;
  ood_timer_replace (&run->drain_timer, 0, NULL, NULL);
  g_cancellable_cancel (run->reading);
  if (run->owner != NULL)
    owner_run_ended (run->owner, run);
}

static void
replace_str (char **slot, const char *text)
{
  g_free (*slot);
  *slot = g_strdup (text);
}

/* One line of output, @length bytes (no newline) of any kind. */
static void
run_take_line (Run *run, const char *bytes, gsize length, gboolean cut)
{
  g_autofree char *line = g_utf8_make_valid (bytes, (gssize) length);
  gsize end = strlen (line);

  /* replacement characters can make it longer */
  while (end > OOD_SUPERVISOR_LINE_MAX)
    end = (gsize) (g_utf8_find_prev_char (line, line + end) - line);
  while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n'))
    end--;
  line[end] = '\0';
  if (cut)
    {
      char *whole = g_strconcat (line, CUT_MARK, NULL);

      g_free (line);
      line = whole;
    }
  if (line[0] != '\0')
    replace_str (&run->last_line, line);
  if (g_str_has_prefix (line, "Error:"))
    replace_str (&run->last_error, line);
  if (run->owner != NULL)
    owner_take_line (run->owner, run, line);
}

static void
run_take_bytes (Run *run, const guint8 *bytes, gsize length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (bytes[i] == '\n')
        {
          if (!run->line_cut)
            run_take_line (run, run->line, run->line_len, FALSE);
          run->line_len = 0;
          run->line_cut = FALSE;
        }
      else if (run->line_cut)
        continue;
      else if (run->line_len == sizeof run->line)
        {
          run_take_line (run, run->line, run->line_len, TRUE);
          run->line_cut = TRUE;
        }
      else
        run->line[run->line_len++] = (char) bytes[i];
    }
}

/* Takes the unfinished last line, if any. */
static void
run_flush_line (Run *run)
{
  if (!run->line_cut && run->line_len > 0)
    run_take_line (run, run->line, run->line_len, FALSE);
  run->line_len = 0;
}

static void read_more (Run *run);

static void
on_output (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (run->finished)
    ;
  else if (n > 0)
    {
      run_take_bytes (run, run->chunk, (gsize) n);
      read_more (run);
    }
  else
    {
      run_flush_line (run);
      run->eof = TRUE;
      run_maybe_finish (run);
    }
  run_unref (run);
}

static void
read_more (Run *run)
{
  if (run->finished)
    return;
  g_input_stream_read_async (g_subprocess_get_stdout_pipe (run->process), run->chunk,
                             sizeof run->chunk, G_PRIORITY_DEFAULT, run->reading, on_output,
                             run_ref (run));
}

static gboolean
on_drain_timer (gpointer user_data)
{
  Run *run = user_data;

  g_clear_pointer (&run->drain_timer, g_source_unref);
  run_flush_line (run);
  run_maybe_finish (run);
  return G_SOURCE_REMOVE;
}

/* OpenOCDs started and not yet reaped, of every supervisor: the service
 * waits for them before it exits. Main thread only, as every start. */
static guint live_processes;

/**
 * ood_supervisor_count_live:
 *
 * Returns: how many OpenOCDs that supervisors started are not reaped yet,
 *   stopped or not, including those of supervisors already finalized
 */
guint
ood_supervisor_count_live (void)
{
  return live_processes;
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  live_processes--;
  run->exited = TRUE;
  ood_timer_replace (&run->start_timer, 0, NULL, NULL);
  ood_timer_replace (&run->kill_timer, 0, NULL, NULL);
  if (!run->eof)
    ood_timer_replace (&run->drain_timer, DRAIN_MS, on_drain_timer, run);
  run_maybe_finish (run);
  run_unref (run);
}

static gboolean
on_start_timer (gpointer user_data)
{
  Run *run = user_data;
  guint ms = run->owner->settings.start_timeout_ms;

  g_clear_pointer (&run->start_timer, g_source_unref);
  run_end (run, g_strdup_printf ("did not open its Tcl port within %u ms", ms),
           run->owner->settings.stop_timeout_ms);
  return G_SOURCE_REMOVE;
}

static Run *
run_new (OodSupervisor *self, GSubprocess *process)
{
  Run *run = g_new0 (Run, 1);
  /* NULL if it was reaped already */
  const char *id = g_subprocess_get_identifier (process);

  run->ref_count = 1;
  run->owner = self;
  run->process = process;
  run->pid = id != NULL ? atoi (id) : 0;
  run->reading = g_cancellable_new ();
  live_processes++;
  g_subprocess_wait_async (process, NULL, on_exited, run_ref (run));
  read_more (run);
  ood_timer_replace (&run->start_timer, self->settings.start_timeout_ms, on_start_timer, run);
  return run;
}

/* ---- starting ----------------------------------------------------------- */

/* Binds a loopback socket to a port the system picks: the port, or 0. */
static guint16
bind_any_port (int *fd)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t length = sizeof addr;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  *fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*fd < 0 || bind (*fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      getsockname (*fd, (struct sockaddr *) &addr, &length) != 0)
    return 0;
  return ntohs (addr.sin_port);
}

/* A free loopback port other than @other, or 0 if none could be had. */
static guint16
free_port (guint16 other)
{
  int fds[2] = { -1, -1 };
  guint16 port = bind_any_port (&fds[0]);

  /* with the first still bound, the second differs from it */
  if (port == other && port != 0)
    port = bind_any_port (&fds[1]);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return port == other ? 0 : port;
}

/* A GSpawnChildSetupFunc, between fork and exec: async-signal-safe calls only. */
static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  setpgid (0, 0);
  /* the parent may have died before the prctl: then nobody would signal us */
  if (prctl (PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid () != parent)
    _exit (127);
}

static GSubprocess *
spawn_openocd (OodSupervisor *self, GError **error)
{
  g_autofree char *tcl = g_strdup_printf ("tcl_port %u", self->tcl_port);
  g_autofree char *gdb = g_strdup_printf ("gdb_port %u", self->gdb_port);
  const char *tail[] = { "-c", "bindto 127.0.0.1", "-c", tcl, "-c", gdb,
                         "-c", "telnet_port disabled", NULL };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  for (guint i = 0; self->argv[i] != NULL; i++)
    g_ptr_array_add (argv, self->argv[i]);
  for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
    g_ptr_array_add (argv, (gpointer) tail[i]);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()),
                                         NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
}

static gboolean
on_spawn_failed (gpointer user_data)
{
  OodSupervisor *self = user_data;
  g_autofree char *how = g_steal_pointer (&self->spawn_error);

  g_clear_pointer (&self->timer, g_source_unref);
  owner_after_end (self, how, FALSE, 0, FALSE);
  return G_SOURCE_REMOVE;
}

/* Starts OpenOCD; a failure is reported from the main loop, as an exit. */
static void
spawn (OodSupervisor *self)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *process = NULL;

  self->starts++;
  if (self->tcl_port == 0)
    self->tcl_port = free_port (self->gdb_port);
  if (self->gdb_port == 0)
    self->gdb_port = free_port (self->tcl_port);
  if (self->tcl_port == 0 || self->gdb_port == 0)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "no free loopback port");
  else
    process = spawn_openocd (self, &error);
  if (process != NULL)
    {
      self->run = run_new (self, process);
      return;
    }
  self->spawn_error = g_strdup_printf ("could not start: %s", error->message);
  ood_timer_replace (&self->timer, 0, on_spawn_failed, self);
}

/* ---- the supervisor ----------------------------------------------------- */

static void
emit_changed (OodSupervisor *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
ring_push (OodSupervisor *self, const char *line)
{
  guint size = self->settings.log_lines;

  if (size == 0)
    return;
  if (self->ring_count == size)
    {
      g_free (self->ring[self->ring_head]);
      self->ring[self->ring_head] = g_strdup (line);
      self->ring_head = (self->ring_head + 1) % size;
      return;
    }
  self->ring[(self->ring_head + self->ring_count) % size] = g_strdup (line);
  self->ring_count++;
}

/* N of "... Listening on port N for tcl connections" (also with -d's
 * longer prefix), or 0. */
static guint16
tcl_listening_port (const char *line)
{
  static const char prefix[] = "Listening on port ";
  const char *at = strstr (line, prefix);
  char *end = NULL;
  guint64 port;

  if (at == NULL)
    return 0;
  at += strlen (prefix);
  port = g_ascii_strtoull (at, &end, 10);
  if (end == at || port > G_MAXUINT16 || !g_str_equal (end, " for tcl connections"))
    return 0;
  return (guint16) port;
}

/* Whether @line is OpenOCD's error for a port of @service it could not
 * bind (src/server/server.c: "couldn't bind %s to socket on port %d: %s"). */
static gboolean
bind_failed (const char *line, const char *service)
{
  g_autofree char *needle = g_strdup_printf ("couldn't bind %s to socket on port ", service);

  return g_str_has_prefix (line, "Error:") && strstr (line, needle) != NULL;
}

static void
owner_ready (OodSupervisor *self, Run *run, guint16 port)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);

  run->ready_at = g_get_monotonic_time ();
  ood_timer_replace (&run->start_timer, 0, NULL, NULL);
  g_debug ("%s: OpenOCD %d listens for Tcl on %s", self->name, run->pid, address);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_READY], 0, address);
  g_object_unref (self);
}

static void
owner_take_line (OodSupervisor *self, Run *run, const char *line)
{
  guint16 port = tcl_listening_port (line);

  /* what it says while it starts up, and its errors and warnings, are for
   * the journal; the rest (chiefly OpenOCD 0.12's echo of every Tcl RPC
   * reply, the service's own) only with --verbose */
  if (run->ready_at == 0 || g_str_has_prefix (line, "Error:") || g_str_has_prefix (line, "Warn :"))
    g_message ("%s: %s", self->name, line);
  else
    g_info ("%s: %s", self->name, line);
  ring_push (self, line);
  if (bind_failed (line, "tcl"))
    run->taken |= PORT_TCL;
  else if (bind_failed (line, "gdb"))
    {
      /* OpenOCD 0.12 goes on without a GDB server */
      run->taken |= PORT_GDB;
      if (run->reason == NULL)
        run_end (run, g_strdup_printf ("stopped, its GDB port was taken: %s", line),
                 self->settings.stop_timeout_ms);
    }
  else if (port != 0 && run->ready_at == 0)
    owner_ready (self, run, port);
}

static void
set_last_exit (OodSupervisor *self, const char *how, gboolean asked)
{
  if (g_str_equal (how, self->last_exit))
    return;
  g_free (self->last_exit);
  self->last_exit = g_strdup (how);
  if (asked)
    g_info ("%s: OpenOCD %s", self->name, how);
  else
    g_message ("%s: OpenOCD %s", self->name, how);
}

static gboolean
on_backoff_timer (gpointer user_data)
{
  OodSupervisor *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  spawn (self);
  emit_changed (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_start (OodSupervisor *self)
{
  guint delay = self->backoff_ms;

  self->backoff_ms = delay > self->settings.backoff_max_ms / 2 ? self->settings.backoff_max_ms
                                                               : delay * 2;
  g_debug ("%s: starting OpenOCD again in %u ms", self->name, delay);
  ood_timer_replace (&self->timer, delay, on_backoff_timer, self);
}

/* A process ended or could not be started (@how): the next one starts at
 * once (asked for, or a taken port) or after the backoff. */
static void
owner_after_end (OodSupervisor *self, const char *how, gboolean asked, Ports taken,
                 gboolean healthy)
{
  set_last_exit (self, how, asked);
  if (healthy)
    {
      self->backoff_ms = self->settings.backoff_min_ms;
      self->port_retries = 0;
    }
  /* a port that cannot be had now is chosen again at the start */
  if (taken & PORT_TCL)
    self->tcl_port = free_port (self->gdb_port);
  if (taken & PORT_GDB)
    self->gdb_port = free_port (self->tcl_port);
  if (self->stopped)
    ;
  else if (self->restart_asked)
    {
      self->restart_asked = FALSE;
      spawn (self);
    }
  else if (taken != 0 && self->port_retries < OOD_SUPERVISOR_MAX_PORT_RETRIES)
    {
      self->port_retries++;
      spawn (self);
    }
  else
    schedule_start (self);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_EXITED], 0, how);
  emit_changed (self);
  g_object_unref (self);
}

static void
owner_run_ended (OodSupervisor *self, Run *run)
{
  g_autofree char *how = run_describe (run);
  gint64 up = run->ready_at != 0 ? g_get_monotonic_time () - run->ready_at : 0;
  gboolean healthy = up >= (gint64) self->settings.healthy_after_ms * G_TIME_SPAN_MILLISECOND;
  gboolean asked = run->asked;
  Ports taken = run->taken;

  /* the caller holds a reference of its own */
  run->owner = NULL;
  g_clear_pointer (&self->run, run_unref);
  owner_after_end (self, how, asked, taken, run->ready_at != 0 && healthy);
}

/**
 * ood_supervisor_start:
 *
 * Starts OpenOCD, and again whenever it ends until ood_supervisor_stop().
 * Call it on the main thread (see the header).
 */
void
ood_supervisor_start (OodSupervisor *self)
{
  g_return_if_fail (!self->started && !self->stopped);
  self->started = TRUE;
  spawn (self);
  emit_changed (self);
}

/**
 * ood_supervisor_restart:
 *
 * Stops the running OpenOCD, if any, and starts it again as soon as it
 * ended, with no delay; the backoff starts over. Starts it if not started.
 */
void
ood_supervisor_restart (OodSupervisor *self)
{
  g_return_if_fail (!self->stopped);
  self->started = TRUE;
  self->backoff_ms = self->settings.backoff_min_ms;
  self->port_retries = 0;
  if (self->run != NULL)
    {
      self->restart_asked = TRUE;
      self->run->asked = TRUE;
      run_end (self->run, g_strdup ("stopped for a restart"), self->settings.stop_timeout_ms);
      return;
    }
  ood_timer_replace (&self->timer, 0, NULL, NULL);
  g_clear_pointer (&self->spawn_error, g_free);
  spawn (self);
  emit_changed (self);
}

/**
 * ood_supervisor_stop:
 *
 * Stops OpenOCD for good: SIGTERM, then SIGKILL after stop_timeout_ms,
 * asynchronously. "exited" follows while the supervisor is alive.
 */
void
ood_supervisor_stop (OodSupervisor *self)
{
  if (self->stopped)
    return;
  self->stopped = TRUE;
  self->restart_asked = FALSE;
  ood_timer_replace (&self->timer, 0, NULL, NULL);
  g_clear_pointer (&self->spawn_error, g_free);
  if (self->run == NULL)
    return;
  self->run->asked = TRUE;
  run_end (self->run, g_strdup ("stopped"), self->settings.stop_timeout_ms);
}

/* OpenOCD's process id; 0 while none runs. */
GPid
ood_supervisor_get_pid (OodSupervisor *self)
{
  return self->run != NULL && !self->run->exited ? self->run->pid : 0;
}

/* Whether the running OpenOCD listens for Tcl ("ready" was emitted). */
gboolean
ood_supervisor_is_ready (OodSupervisor *self)
{
  return self->run != NULL && !self->run->exited && self->run->ready_at != 0;
}

/* How many starts followed the first. */
guint
ood_supervisor_get_restarts (OodSupervisor *self)
{
  return self->starts > 0 ? self->starts - 1 : 0;
}

/* How the last process ended, in words (see the header); "" before any. */
const char *
ood_supervisor_get_last_exit (OodSupervisor *self)
{
  return self->last_exit;
}

/* The Tcl port given to OpenOCD (0 before the first start). */
guint16
ood_supervisor_get_tcl_port (OodSupervisor *self)
{
  return self->tcl_port;
}

/* The GDB port given to OpenOCD: its first target's (0 before the first start). */
guint16
ood_supervisor_get_gdb_port (OodSupervisor *self)
{
  return self->gdb_port;
}

/* The command line as given to ood_supervisor_new(). */
const char *const *
ood_supervisor_get_argv (OodSupervisor *self)
{
  return (const char *const *) self->argv;
}

/**
 * ood_supervisor_dup_log:
 * @lines: at most this many
 *
 * Returns: (transfer full): the last lines of output, the oldest first,
 *   across restarts
 */
GStrv
ood_supervisor_dup_log (OodSupervisor *self, guint lines)
{
  guint n = MIN (lines, self->ring_count);
  guint first = self->ring_head + (self->ring_count - n);
  GStrv log = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    log[i] = g_strdup (self->ring[(first + i) % self->settings.log_lines]);
  return log;
}

static void
ood_supervisor_dispose (GObject *object)
{
  OodSupervisor *self = OOD_SUPERVISOR (object);

  ood_supervisor_stop (self);
  if (self->run != NULL)
    {
      self->run->owner = NULL;
      g_clear_pointer (&self->run, run_unref);
    }
  G_OBJECT_CLASS (ood_supervisor_parent_class)->dispose (object);
}

static void
ood_supervisor_finalize (GObject *object)
{
  OodSupervisor *self = OOD_SUPERVISOR (object);

  for (guint i = 0; i < self->ring_count; i++)
    g_free (self->ring[(self->ring_head + i) % self->settings.log_lines]);
  g_free (self->ring);
  g_free (self->name);
  g_strfreev (self->argv);
  g_free (self->last_exit);
  G_OBJECT_CLASS (ood_supervisor_parent_class)->finalize (object);
}

static void
ood_supervisor_class_init (OodSupervisorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ood_supervisor_dispose;
  object_class->finalize = ood_supervisor_finalize;

  signals[SIGNAL_READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_EXITED] =
    g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ood_supervisor_init (OodSupervisor *self)
{
  self->last_exit = g_strdup ("");
}

/**
 * ood_supervisor_new:
 * @name: what the logs call this OpenOCD (the endpoint's name)
 * @argv: OpenOCD's command line, as the user gave it (see the header)
 *
 * Returns: (transfer full): a supervisor; ood_supervisor_start() starts it
 */
OodSupervisor *
ood_supervisor_new (const char *name, const char *const *argv,
                    const OodSupervisorSettings *settings)
{
  OodSupervisor *self;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);
  self = g_object_new (OOD_TYPE_SUPERVISOR, NULL);
  self->name = g_strdup (name);
  self->argv = g_strdupv ((char **) argv);
  self->settings = *settings;
  self->backoff_ms = settings->backoff_min_ms;
  self->tcl_port = settings->tcl_port;
  self->gdb_port = settings->gdb_port;
  self->ring = g_new0 (char *, MAX (settings->log_lines, 1));
  return self;
}
