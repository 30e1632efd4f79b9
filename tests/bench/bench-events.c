/* SPDX-License-Identifier: MIT */
/* Figure 2 of openocd-dbus-bench, event latency: a halt as subscribers in C
 * and in Python (Gio) see it, against the raw replica of what the service
 * does on a halt and the floor service's own signal path, in one run, the
 * four kinds of round interleaved. See README.md, "Figures". */
#define G_LOG_DOMAIN "ood-bench"

#include <gio/gio.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ood-tcl-script.h"
#include "ood-testbed.h"

#include "bench.h"

#define FLOOR_NAME      "org.openocd.BenchFloor"
#define FLOOR_PATH      "/org/openocd/BenchFloor"
#define FLOOR_IFACE     "org.openocd.BenchFloor"
#define WAIT_TIMEOUT_US (10 * G_USEC_PER_SEC)

/* What each listener saw of the round that began at t0 (ns; 0: not yet),
 * and counts of the target's published states over the whole run. */
typedef struct {
  gint64 halted;      /* the target's State=halted */
  gint64 floor;       /* the floor's signal */
  gint64 floor_stamp; /* its time of emission */
  guint halts;        /* State=halted seen */
  guint runs;         /* State=running seen */
} Heard;

typedef struct {
  GMutex lock;
  GCond cond;
  gint64 t0; /* the round's start */
  gboolean stop;

  Heard c;  /* the C subscriber */
  Heard py; /* the Python subscriber */
  gboolean py_ready;
  gboolean py_gone; /* its output ended */

  /* the raw notification connection */
  GSocket *notify_socket;
  gboolean notify_ready;
  gint64 notified;         /* the halted state notification */
  const char *replica;     /* the notifier sends this at once, or NULL */
  OodTestTcl *replica_tcl; /* on which */
  gint64 replica_done;     /* its reply came */

  const char *bus_address;
  const char *target_path;
  GMainContext *context;
  GMainLoop *loop;
  gboolean subscribed;
} Events;

/* ---- listeners ---- */

/* Notes the signal (or state) at @t into @seen, if it belongs to the
 * round; under the lock. */
static void
note_state (Events *ev, Heard *seen, const char *state, gint64 t)
{
  if (g_str_equal (state, "halted"))
    {
      seen->halts++;
      if (seen->halted == 0 && t > ev->t0)
        seen->halted = t;
    }
  else if (g_str_equal (state, "running"))
    seen->runs++;
  g_cond_broadcast (&ev->cond);
}

static void
note_floor (Events *ev, Heard *seen, gint64 stamp, gint64 t)
{
  if (seen->floor == 0 && stamp > ev->t0)
    {
      seen->floor = t;
      seen->floor_stamp = stamp;
    }
  g_cond_broadcast (&ev->cond);
}

static void
on_properties_changed (GDBusConnection *c, const char *sender, const char *path, const char *iface,
                       const char *signal, GVariant *params, gpointer user_data)
{
  Events *ev = user_data;
  gint64 t = now_ns (), stamp;
  g_autoptr(GVariant) changed = NULL;
  const char *state = NULL;

  (void) c;
  (void) sender;
  (void) iface;
  (void) signal;
  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (params, "(&s@a{sv}^a&s)", NULL, &changed, NULL);
  g_mutex_lock (&ev->lock);
  if (g_str_equal (path, FLOOR_PATH) && g_variant_lookup (changed, "Stamp", "x", &stamp))
    note_floor (ev, &ev->c, stamp, t);
  else if (g_str_equal (path, ev->target_path) && g_variant_lookup (changed, "State", "&s", &state))
    note_state (ev, &ev->c, state, t);
  g_mutex_unlock (&ev->lock);
}

/* The C subscriber: a connection of its own, dispatched in this thread. */
static gpointer
subscriber_thread (gpointer data)
{
  Events *ev = data;
  g_autoptr(GDBusConnection) c = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint id;

  g_main_context_push_thread_default (ev->context);
  c = new_client (ev->bus_address);
  id = g_dbus_connection_signal_subscribe (c, NULL, PROPS_IFACE, "PropertiesChanged", NULL, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, ev,
                                           NULL);
  /* the bus handles AddMatch before answering this */
  reply = call (c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
                NULL, NULL);
  g_mutex_lock (&ev->lock);
  ev->subscribed = TRUE;
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);
  g_main_loop_run (ev->loop);
  g_dbus_connection_signal_unsubscribe (c, id);
  g_dbus_connection_close_sync (c, NULL, NULL);
  g_main_context_pop_thread_default (ev->context);
  return NULL;
}

/* One line of bench-subscriber.py's; under the lock. */
static void
note_python_line (Events *ev, const char *line)
{
  g_auto(GStrv) words = g_strsplit (line, " ", 0);
  guint n = g_strv_length (words);

  if (n == 1 && g_str_equal (words[0], "ready"))
    ev->py_ready = TRUE;
  else if (n == 3 && g_str_equal (words[0], "state"))
    note_state (ev, &ev->py, words[1], g_ascii_strtoll (words[2], NULL, 10));
  else if (n == 3 && g_str_equal (words[0], "floor"))
    note_floor (ev, &ev->py, g_ascii_strtoll (words[2], NULL, 10),
                g_ascii_strtoll (words[1], NULL, 10));
  g_cond_broadcast (&ev->cond);
}

static gpointer
python_reader_thread (gpointer data)
{
  GSubprocess *python = data;
  Events *ev = g_object_get_data (G_OBJECT (python), "events");
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (python));
  char *line;

  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL)
    {
      g_mutex_lock (&ev->lock);
      note_python_line (ev, line);
      g_mutex_unlock (&ev->lock);
      g_free (line);
    }
  g_mutex_lock (&ev->lock);
  ev->py_gone = TRUE;
  g_cond_broadcast (&ev->cond);
  g_mutex_unlock (&ev->lock);
  return NULL;
}

static gboolean
is_halted_state (const char *msg)
{
  return strstr (msg, "type target_state state halted") != NULL;
}

/* A notification of the round; in a replica's round, sends the replica's
 * command at once, as the service does (on its other connection), and
 * waits for its reply. Under the lock: no one else has anything to note
 * while the daemon is stopped. */
static void
note_notification (Events *ev, const char *msg, gint64 t)
{
  if (!is_halted_state (msg) || ev->notified != 0 || t <= ev->t0)
    return;
  ev->notified = t;
  if (ev->replica != NULL)
    {
      g_free (tcl_eval_or_die (ev->replica_tcl, ev->replica));
      ev->replica_done = now_ns ();
    }
  g_cond_broadcast (&ev->cond);
}

static gpointer
notifier_thread (gpointer data)
{
  Events *ev = data;
  g_autoptr(GString) pending = g_string_new (NULL);
  static const char on[] = "tcl_notifications on\x1a";
  gboolean first = TRUE;

  if (g_socket_send (ev->notify_socket, on, sizeof on - 1, NULL, NULL) != sizeof on - 1)
    return NULL;
  for (;;)
    {
      char buf[4096];
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (ev->notify_socket, buf, sizeof buf, NULL, &error);
      gint64 t = now_ns ();
      char *end;

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          if (g_atomic_int_get (&ev->stop))
            return NULL;
          continue;
        }
      if (n <= 0)
        return NULL;
      g_string_append_len (pending, buf, n);
      while ((end = memchr (pending->str, '\x1a', pending->len)) != NULL)
        {
          *end = '\0';
          g_mutex_lock (&ev->lock);
          if (first)
            ev->notify_ready = TRUE; /* the reply to tcl_notifications on */
          else
            note_notification (ev, pending->str, t);
          first = FALSE;
          g_cond_broadcast (&ev->cond);
          g_mutex_unlock (&ev->lock);
          g_string_erase (pending, 0, end - pending->str + 1);
        }
    }
}

/* ---- waiting ---- */

typedef gboolean (*Ready) (Events *ev, gconstpointer data);

static void
wait_for (Events *ev, Ready ready, gconstpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  g_mutex_lock (&ev->lock);
  while (!ready (ev, data))
    if (!g_cond_wait_until (&ev->cond, &ev->lock, deadline) && !ready (ev, data))
      {
        g_mutex_unlock (&ev->lock);
        die (what, NULL);
      }
  g_mutex_unlock (&ev->lock);
}

static gboolean
python_on (Events *ev)
{
  return ev->py_ready && !ev->py_gone;
}

static gboolean
ready_started (Events *ev, gconstpointer data)
{
  (void) data;
  return ev->subscribed && ev->notify_ready && (ev->py_ready || ev->py_gone);
}

static gboolean
ready_halted (Events *ev, gconstpointer data)
{
  (void) data;
  return ev->c.halted != 0 && ev->notified != 0 && (!python_on (ev) || ev->py.halted != 0);
}

static gboolean
ready_floor (Events *ev, gconstpointer data)
{
  (void) data;
  return ev->c.floor != 0 && (!python_on (ev) || ev->py.floor != 0);
}

static gboolean
ready_replica (Events *ev, gconstpointer data)
{
  (void) data;
  return ev->replica_done != 0;
}

/* Both subscribers saw more halts (or runs) than @before says. */
static gboolean
ready_more_halts (Events *ev, gconstpointer before)
{
  const Heard *b = before;

  return ev->c.halts > b[0].halts && (!python_on (ev) || ev->py.halts > b[1].halts);
}

static gboolean
ready_more_runs (Events *ev, gconstpointer before)
{
  const Heard *b = before;

  return ev->c.runs > b[0].runs && (!python_on (ev) || ev->py.runs > b[1].runs);
}

/* A new round from now: what the listeners see before it is not its;
 * @replica: what the notifier sends on a halted notification, or NULL. */
static void
begin_round (Events *ev, const char *replica)
{
  g_mutex_lock (&ev->lock);
  ev->t0 = now_ns ();
  ev->c.halted = ev->c.floor = ev->py.halted = ev->py.floor = 0;
  ev->notified = ev->replica_done = 0;
  ev->replica = replica;
  g_mutex_unlock (&ev->lock);
}

static void
snapshot (Events *ev, Heard before[2])
{
  g_mutex_lock (&ev->lock);
  before[0] = ev->c;
  before[1] = ev->py;
  g_mutex_unlock (&ev->lock);
}

/* ---- the daemon paused ---- */

/* Whether every thread of @pid is stopped (or, traced, in a tracing stop). */
static gboolean
all_stopped (GPid pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *tid;

  if (dir == NULL)
    return FALSE;
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/stat", dir_path, tid);
      g_autofree char *text = NULL;
      const char *p;

      if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL ||
          (p[2] != 'T' && p[2] != 't'))
        return FALSE;
    }
  return TRUE;
}

static void
pause_daemon (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  if (kill (pid, SIGSTOP) != 0)
    die ("stopping the daemon", NULL);
  while (!all_stopped (pid))
    {
      if (g_get_monotonic_time () > deadline)
        die ("the daemon did not stop", NULL);
      g_usleep (100);
    }
}

/* ---- the rounds ---- */

typedef struct {
  Events *ev;
  OodTestTcl *tcl;    /* halt and resume */
  GDBusConnection *c; /* the floor's Emit() */
  GPid daemon;
  const char *pc_read; /* the PC read alone */
  const char *refresh; /* the service's own command after a halt notification */
  gboolean record;
  Samples dbus_c, dbus_py, notify, notify_paused, replica, replica_own, floor_c, floor_py;
} Rounds;

/* Resumes the target and waits until both subscribers saw it published. */
static void
resume_published (Rounds *r)
{
  Heard before[2];

  snapshot (r->ev, before);
  g_free (tcl_eval_or_die (r->tcl, "resume"));
  wait_for (r->ev, ready_more_runs, before, "waiting for the service to publish running");
}

/* A halt as the subscribers see it. */
static void
round_dbus (Rounds *r)
{
  Events *ev = r->ev;

  begin_round (ev, NULL);
  g_free (tcl_eval_or_die (r->tcl, "halt"));
  wait_for (ev, ready_halted, NULL, "waiting for the halted event");
  if (r->record)
    {
      samples_add_since (&r->dbus_c, ev->c.halted, ev->t0);
      samples_add_since (&r->notify, ev->notified, ev->t0);
      if (python_on (ev))
        samples_add_since (&r->dbus_py, ev->py.halted, ev->t0);
    }
  resume_published (r);
}

/* A replica, with the daemon stopped: halt, the notification, @script at
 * once. Then the daemon goes on, publishes the halt (the state the next
 * round starts from is the service's, published) and the resume. */
static void
replica_round (Rounds *r, const char *script, Samples *samples)
{
  Events *ev = r->ev;
  Heard before[2];

  snapshot (ev, before);
  pause_daemon (r->daemon);
  begin_round (ev, script);
  g_free (tcl_eval_or_die (r->tcl, "halt"));
  wait_for (ev, ready_replica, NULL, "waiting for the replica's read");
  if (r->record)
    {
      samples_add_since (samples, ev->replica_done, ev->t0);
      samples_add_since (&r->notify_paused, ev->notified, ev->t0);
    }
  kill (r->daemon, SIGCONT);
  wait_for (ev, ready_more_halts, before, "waiting for the service to publish halted");
  resume_published (r);
}

/* The replica the figure grades against: the PC read alone. */
static void
round_replica (Rounds *r)
{
  replica_round (r, r->pc_read, &r->replica);
}

/* The replica of the service's own command: the very bytes it sends after
 * a halted notification (ood_tcl_script_refresh_halted()), which also
 * read the dcsr for the halt's cause. */
static void
round_replica_own (Rounds *r)
{
  replica_round (r, r->refresh, &r->replica_own);
}

/* The floor's signal, from its emission. */
static void
round_floor (Rounds *r)
{
  Events *ev = r->ev;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  begin_round (ev, NULL);
  reply = call (r->c, FLOOR_NAME, FLOOR_PATH, FLOOR_IFACE, "Emit", NULL, &error);
  if (reply == NULL)
    die ("the floor's Emit()", error);
  wait_for (ev, ready_floor, NULL, "waiting for the floor's signal");
  if (r->record)
    {
      samples_add_since (&r->floor_c, ev->c.floor, ev->c.floor_stamp);
      if (python_on (ev))
        samples_add_since (&r->floor_py, ev->py.floor, ev->py.floor_stamp);
    }
}

typedef void (*Round) (Rounds *r);

/* Every kind of round once per cycle, in a new random order each cycle
 * (fixed seed), so that the machine's load hits them alike. */
static void
run_rounds (Rounds *r, int warmup, int n)
{
  Round kinds[] = { round_dbus, round_replica, round_replica_own, round_floor };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261207);

  for (int i = 0; i < warmup + n; i++)
    {
      r->record = i >= warmup;
      for (guint k = G_N_ELEMENTS (kinds); k > 1; k--)
        {
          guint j = (guint) g_rand_int_range (rand, 0, (gint32) k);
          Round t = kinds[k - 1];

          kinds[k - 1] = kinds[j];
          kinds[j] = t;
        }
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        kinds[k](r);
    }
}

/* ---- the Python subscriber ---- */

static GSubprocess *
start_python (Events *ev, GThread **reader)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher)
                 launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  const char *script = ood_test_env_or ("OOD_BENCH_SUBSCRIBER", OOD_BENCH_SUBSCRIBER_DEFAULT);
  /* the distribution's, which python3-gi is for (not one of a PATH's
   * virtual environments) */
  const char *interpreter = ood_test_env_or ("OOD_BENCH_PYTHON", "/usr/bin/python3");
  GSubprocess *python;

  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  python = g_subprocess_launcher_spawn (launcher, &error, interpreter, script, ev->bus_address,
                                        ev->target_path, FLOOR_PATH, NULL);
  if (python == NULL)
    {
      g_printerr ("openocd-dbus-bench: no Python subscriber: %s\n", error->message);
      ev->py_gone = TRUE;
      return NULL;
    }
  g_object_set_data (G_OBJECT (python), "events", ev);
  *reader = g_thread_new ("python-reader", python_reader_thread, python);
  return python;
}

static void
stop_python (GSubprocess *python, GThread *reader)
{
  if (python == NULL)
    return;
  g_subprocess_send_signal (python, SIGTERM);
  g_subprocess_wait (python, NULL, NULL);
  g_thread_join (reader);
  g_object_unref (python);
}

/* ---- the figure ---- */

/* Waits until the service's State property is "running". */
static void
wait_published_running (GDBusConnection *c, const char *target_path)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *state = get_string_property (c, "org.openocd", target_path, TARGET_IFACE,
                                                    "State", &error);

      if (state == NULL)
        die ("reading State", error);
      if (g_str_equal (state, "running"))
        return;
      if (g_get_monotonic_time () > deadline)
        die ("the target did not run", NULL);
      g_usleep (2000);
    }
}

static void
add_rows (Rounds *r, int n)
{
  double dbus_c, dbus_py, replica, replica_own, floor_c, floor_py;

  add_samples_row ("2", "halt -> PropertiesChanged(halted), C subscriber", &r->dbus_c, CMP_NONE, 0,
                   &dbus_c);
  add_samples_row ("2", "halt -> PropertiesChanged(halted), Python subscriber", &r->dbus_py,
                   CMP_NONE, 0, &dbus_py);
  add_samples_row ("2", "halt -> raw halted notification (service on)", &r->notify, CMP_NONE, 0,
                   NULL);
  add_samples_row ("2", "halt -> raw halted notification (service paused)", &r->notify_paused,
                   CMP_NONE, 0, NULL);
  add_samples_row ("2", "raw replica: halt, notification, PC read at once", &r->replica, CMP_NONE,
                   0, &replica);
  add_samples_row ("2", "raw replica with the service's command (PC and dcsr)", &r->replica_own,
                   CMP_NONE, 0, &replica_own);
  add_samples_row ("2", "floor signal, emission -> C subscriber", &r->floor_c, CMP_NONE, 0,
                   &floor_c);
  add_samples_row ("2", "floor signal, emission -> Python subscriber", &r->floor_py, CMP_NONE, 0,
                   &floor_py);
  /* Graded: what the service adds beyond the OpenOCD command it must
   * send (the PC, and the dcsr whose cause is HaltReason, published with
   * State and CurrentPc in one PropertiesChanged) and a D-Bus signal. */
  add_row ("2", "beyond own-command replica + floor signal, C", "us",
           dbus_c - (replica_own + floor_c), NAN, n, CMP_LE, 300);
  add_row ("2", "beyond own-command replica + floor signal, Python", "us",
           dbus_py - (replica_own + floor_py), NAN, n, CMP_LE, 300);
  /* for scale: beyond a client that reads the PC alone, which cannot
   * tell HaltReason (the difference is the dcsr read) */
  add_row ("2", "beyond PC-only replica + floor signal, C", "us", dbus_c - (replica + floor_c), NAN,
           n, CMP_NONE, 0);
  add_row ("2", "beyond PC-only replica + floor signal, Python", "us",
           dbus_py - (replica + floor_py), NAN, n, CMP_NONE, 0);
}

void
figure_2 (const EventBench *b)
{
  Events ev = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestTcl) tcl = ood_test_tcl_connect (b->tcl_port, &error);
  g_autoptr(OodTestTcl) replica_tcl = ood_test_tcl_connect (b->tcl_port, &error);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) notify_conn = NULL;
  g_autofree char *pc_read = g_strdup_printf ("%s get_reg -force {pc}", b->target_name);
  g_autofree char *refresh = ood_tcl_script_refresh_halted (b->target_name);
  g_autoptr(GSubprocess) python = NULL;
  GThread *subscriber, *notifier, *reader = NULL;
  int n = plan.event_iterations, warmup = MAX (n / 20, 3);
  Rounds r = { .ev = &ev,
               .tcl = tcl,
               .c = new_client (b->bus_address),
               .daemon = b->daemon_pid,
               .pc_read = pc_read,
               .refresh = refresh,
               .dbus_c = samples_new (),
               .dbus_py = samples_new (),
               .notify = samples_new (),
               .notify_paused = samples_new (),
               .replica = samples_new (),
               .replica_own = samples_new (),
               .floor_c = samples_new (),
               .floor_py = samples_new () };
  Heard before[2];

  if (!opt_json)
    g_printerr ("figure 2: event latency (%d rounds of halt, replica and floor signal)\n", n);
  if (tcl == NULL || replica_tcl == NULL)
    die ("connecting to OpenOCD", error);
  g_mutex_init (&ev.lock);
  g_cond_init (&ev.cond);
  ev.bus_address = b->bus_address;
  ev.target_path = b->target_path;
  ev.replica_tcl = replica_tcl;
  ev.context = g_main_context_new ();
  ev.loop = g_main_loop_new (ev.context, FALSE);
  g_socket_client_set_enable_proxy (client, FALSE);
  notify_conn = g_socket_client_connect_to_host (client, "127.0.0.1", b->tcl_port, NULL, &error);
  if (notify_conn == NULL)
    die ("connecting to OpenOCD", error);
  ev.notify_socket = g_socket_connection_get_socket (notify_conn);
  g_socket_set_timeout (ev.notify_socket, 1);
  subscriber = g_thread_new ("subscriber", subscriber_thread, &ev);
  notifier = g_thread_new ("notifier", notifier_thread, &ev);
  python = start_python (&ev, &reader);
  wait_for (&ev, ready_started, NULL, "starting the event listeners");
  if (!python_on (&ev))
    g_printerr ("openocd-dbus-bench: the Python subscriber did not start (python3-gi?)\n");

  g_free (tcl_eval_or_die (tcl, "resume"));
  wait_published_running (r.c, b->target_path);
  run_rounds (&r, warmup, n);
  add_rows (&r, n);

  /* the rest of the bench runs on a halted target */
  snapshot (&ev, before);
  g_free (tcl_eval_or_die (tcl, "halt"));
  wait_for (&ev, ready_more_halts, before, "waiting for the service to publish halted");

  g_atomic_int_set (&ev.stop, TRUE);
  g_main_loop_quit (ev.loop);
  g_thread_join (subscriber);
  g_thread_join (notifier);
  stop_python (g_steal_pointer (&python), reader);
  g_io_stream_close (G_IO_STREAM (notify_conn), NULL, NULL);
  g_main_loop_unref (ev.loop);
  g_main_context_unref (ev.context);
  g_mutex_clear (&ev.lock);
  g_cond_clear (&ev.cond);
  g_object_unref (r.c);
  samples_free (&r.dbus_c);
  samples_free (&r.dbus_py);
  samples_free (&r.notify);
  samples_free (&r.notify_paused);
  samples_free (&r.replica);
  samples_free (&r.replica_own);
  samples_free (&r.floor_c);
  samples_free (&r.floor_py);
}
