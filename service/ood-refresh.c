/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-refresh"

#include "ood-refresh.h"

#include "ood-error.h"
#include "ood-idle.h"
#include "ood-state.h"
#include "ood-tcl-halts.h"
#include "ood-tcl-script.h"

/* See ood-refresh.h. The refresh holds its session (below it) and nothing
 * above: the endpoint hears the results through "refreshed". */

struct _OodRefresh {
  GObject      parent_instance;

  OodSession  *session;
  char        *log_name;
  GPtrArray   *events;       /* event names awaiting a refresh */
  const char  *notified;     /* the last state notified since (interned), or NULL */
  char        *only_target;  /* the one target of the last full refresh, or NULL */
  GSource     *idle;
  GSource     *poll;         /* only while OpenOCD refuses notifications */
  GSource     *retry;        /* of a first refresh that failed */
  OodTclHalts  halts;        /* the halts in the events so far */
  GHashTable  *seen;         /* target name -> "STATE PC" as last read */
  GPtrArray   *syncs;        /* (element-type GTask) for the next refresh sent */
  GPtrArray *unanswered;     /* (element-type GTask) every sync caller not yet answered */
  gboolean     polling;      /* OpenOCD refused notifications */
  gboolean     stopped;
};

G_DEFINE_FINAL_TYPE (OodRefresh, ood_refresh, G_TYPE_OBJECT)

enum { SIGNAL_REFRESHED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  OodRefresh *self;
  GPtrArray  *events;
  GPtrArray  *syncs;   /* (element-type GTask) answered by this refresh, or NULL */
  guint       flags;
} Pending;

/* Answers the sync callers in @syncs (taken), with @error or success. */
static void
finish_syncs (OodRefresh *self, GPtrArray *syncs, const GError *error)
{
  for (guint i = 0; syncs != NULL && i < syncs->len; i++)
    {
      g_ptr_array_remove_fast (self->unanswered, syncs->pdata[i]);
      if (error != NULL)
        g_task_return_error (syncs->pdata[i], g_error_copy (error));
      else
        g_task_return_boolean (syncs->pdata[i], TRUE);
    }
  g_clear_pointer (&syncs, g_ptr_array_unref);
}

static void
pending_free (Pending *pending)
{
  g_clear_pointer (&pending->events, g_ptr_array_unref);
  g_clear_pointer (&pending->syncs, g_ptr_array_unref);
  g_object_unref (pending->self);
  g_free (pending);
}

/* Whether the service acted on @name before now: a sync caller not yet
 * answered named it. Its command answered before it asked, and OpenOCD
 * wrote that command's notifications before its answer: they are among
 * the events read by now (of the refresh being read, unless one before
 * it took them), also where the refresh that answers it is still in
 * flight behind this one. */
static gboolean
synced_target (OodRefresh *self, const char *name)
{
  for (guint i = 0; i < self->unanswered->len; i++)
    if (g_strcmp0 (g_task_get_task_data (self->unanswered->pdata[i]), name) == 0)
      return TRUE;
  return FALSE;
}

/* Whether @events hold OpenOCD's reset notification ("reset-MODE"). */
static gboolean
has_reset (GPtrArray *events)
{
  for (guint i = 0; events != NULL && i < events->len; i++)
    if (g_str_has_prefix (events->pdata[i], "reset-"))
      return TRUE;
  return FALSE;
}

/* Marks the records of the targets the service itself just acted on
 * (synced_target()): the events read with them concern those also where
 * nothing changed. */
static void
mark_acted (OodRefresh *self, GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];

      record->acted = synced_target (self, record->name);
    }
}

/* Whether the last record read of @record's target said otherwise: its
 * state, or its PC. */
static gboolean
is_news (OodRefresh *self, const OodTclTargetRecord *record)
{
  g_autofree char *now = g_strdup_printf ("%s %" G_GINT64_MODIFIER "x", record->state,
                                          record->pc_valid ? record->pc : 0);
  const char *before = g_hash_table_lookup (self->seen, record->name);
  gboolean news = g_strcmp0 (before, now) != 0;

  g_hash_table_replace (self->seen, g_strdup (record->name), g_steal_pointer (&now));
  return news;
}

/* Polled, a target counts one halt where it was seen running before. */
static void
count_polled (OodRefresh *self, GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      const char *before = g_hash_table_lookup (self->seen, record->name);

      record->halts = before != NULL && !g_str_has_prefix (before, OOD_STATE_HALTED " ") &&
                      g_strcmp0 (record->state, OOD_STATE_HALTED) == 0;
      (void) is_news (self, record);
    }
}

/*
 * Gives the halts OpenOCD announced since the last refresh to the targets
 * of @records. A notification names no target: a reset's halt goes to
 * every halted target (OpenOCD's reset resets them all); with one target
 * it gets every halt; with several, each halted target whose state or PC
 * changed since the last read gets one, and halts that changed nothing
 * (a resume onto the breakpoint it started from) go to the halted targets
 * the service itself just ran (their records are marked acted).
 */
static void
attribute_halts (OodRefresh *self, GPtrArray *records)
{
  gboolean reset = FALSE;
  guint halts, given = 0;

  if (self->polling)
    return count_polled (self, records);
  halts = ood_tcl_halts_take (&self->halts, &reset);
  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      gboolean halted = g_strcmp0 (record->state, OOD_STATE_HALTED) == 0;
      gboolean news = is_news (self, record);

      if (halts == 0 || !halted)
        continue;
      record->reset_halt = reset;
      record->halts = reset ? 1 : records->len == 1 ? halts : (guint) news;
      given += record->halts;
    }
  for (guint i = 0; i < records->len && given == 0 && halts > 0; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];

      if (g_strcmp0 (record->state, OOD_STATE_HALTED) == 0 && record->acted)
        record->halts = 1;
    }
}

/* Remembers the target of a full refresh that found exactly one. */
static void
note_membership (OodRefresh *self, GPtrArray *records)
{
  g_clear_pointer (&self->only_target, g_free);
  if (records->len == 1)
    self->only_target = g_strdup (((OodTclTargetRecord *) records->pdata[0])->name);
}

static void refresh_all (OodRefresh *self, guint flags);

static gboolean
on_retry (gpointer user_data)
{
  OodRefresh *self = user_data;

  ood_timer_replace (&self->retry, 0, NULL, NULL);
  if (ood_session_is_open (self->session))
    refresh_all (self, OOD_REFRESH_FIRST);
  return G_SOURCE_REMOVE;
}

static void
failed (OodRefresh *self, const Pending *pending, const GError *error)
{
  if (g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    return;
  if (pending->flags & OOD_REFRESH_FIRST)
    {
      g_warning ("%s: cannot list OpenOCD's targets: %s; trying again in %u ms", self->log_name,
                 error->message, OOD_REFRESH_FIRST_RETRY_MS);
      ood_timer_replace (&self->retry, OOD_REFRESH_FIRST_RETRY_MS, on_retry, self);
    }
  else
    g_warning ("%s: cannot refresh targets: %s", self->log_name, error->message);
}

/* The events a refresh answers are those read when its reply is: OpenOCD
 * wrote them before that reply (on the other connection, read first), so
 * a burst (a step's step-start to step-end) goes out whole with the
 * refresh that shows its effect, also when a refresh was sent while the
 * burst came in. While a job holds a target they wait for the refresh
 * after it. */
static void
take_events (OodRefresh *self, Pending *pending)
{
  if (!ood_session_has_claims (self->session))
    pending->events = g_steal_pointer (&self->events);
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  OodRefresh *self = pending->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GPtrArray) records = text != NULL ? ood_tcl_parse_records (text, &error) : NULL;

  if (self->stopped)
    ;
  else if (records == NULL)
    failed (self, pending, error);
  else
    {
      if (!(pending->flags & OOD_REFRESH_KNOWN))
        note_membership (self, records);
      take_events (self, pending);
      mark_acted (self, records);
      attribute_halts (self, records);
      if (has_reset (pending->events))
        pending->flags |= OOD_REFRESH_RESET;
      g_signal_emit (self, signals[SIGNAL_REFRESHED], 0, records, pending->events, pending->flags);
    }
  finish_syncs (self, g_steal_pointer (&pending->syncs), records != NULL ? NULL : error);
  pending_free (pending);
}

static void
send (OodRefresh *self, const char *script, guint flags)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = g_object_ref (self);
  pending->syncs = g_steal_pointer (&self->syncs);
  pending->flags = flags;
  /* a read like any other: it must not go ahead of one still queued, or
   * the events of a burst would come out of order */
  ood_session_call_async (self->session, script,
                          OOD_SESSION_CALL_SHAREABLE | OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_reply, pending);
}

/* Refreshes every target. Types (one OpenOCD command more per target) and
 * breakpoint listings of running targets are asked for only by the
 * refresh that completes a connect: OpenOCD 0.12 cannot create targets
 * once initialised, so no target appears later without its type. */
static void
refresh_all (OodRefresh *self, guint flags)
{
  g_autofree char *script = ood_tcl_script_refresh_all (flags & OOD_REFRESH_FIRST);

  send (self, script, flags);
}

/* With one target, a burst whose last notified state is "halted" needs
 * only the PC. Other states are read afresh (a "running" may be older
 * than a halt a method's reply already published). */
static gboolean
refresh_known (OodRefresh *self, const char *state)
{
  g_autofree char *script = NULL;

  if (g_strcmp0 (state, OOD_STATE_HALTED) != 0 || self->only_target == NULL)
    return FALSE;
  script = ood_tcl_script_refresh_halted (self->only_target);
  send (self, script, OOD_REFRESH_KNOWN);
  return TRUE;
}

static gboolean
on_idle (gpointer user_data)
{
  OodRefresh *self = user_data;
  const char *state;

  g_clear_pointer (&self->idle, g_source_unref);
  /* held back until the job ends (on_released); a sync caller gets its
   * refresh, and the events stay for the one after the job */
  if (ood_session_has_claims (self->session))
    {
      if (self->syncs != NULL && ood_session_is_open (self->session))
        refresh_all (self, 0);
      return G_SOURCE_REMOVE;
    }
  state = g_steal_pointer (&self->notified);
  if (!ood_session_is_open (self->session))
    g_clear_pointer (&self->events, g_ptr_array_unref);
  else if (!refresh_known (self, state))
    refresh_all (self, 0);
  return G_SOURCE_REMOVE;
}

/**
 * ood_refresh_request:
 *
 * Schedules one refresh after the current burst of notifications, ahead
 * of other work; does nothing if one is scheduled already.
 */
void
ood_refresh_request (OodRefresh *self)
{
  if (self->idle != NULL || self->stopped)
    return;
  self->idle = g_idle_source_new ();
  g_source_set_priority (self->idle, G_PRIORITY_HIGH);
  g_source_set_callback (self->idle, on_idle, self, NULL);
  g_source_attach (self->idle, g_main_context_get_thread_default ());
}

/**
 * ood_refresh_first:
 *
 * The refresh that completes a connect; retried until it works.
 */
void
ood_refresh_first (OodRefresh *self)
{
  refresh_all (self, OOD_REFRESH_FIRST);
}

/* The events OpenOCD announces for every run of a flash loader (as for any
 * resume and halt): while a job holds a target they are the job's own. */
static gboolean
is_run_event (const char *event)
{
  static const char *const runs[] = { "resumed", "halted", "gdb-halt", "debug-resumed",
                                      "debug-halted", NULL };

  return g_strv_contains (runs, event);
}

/* Takes @event, to deliver with the next refresh. While a job holds a
 * target, its runs are not announced: clients would see the target flip
 * between running and halted for every chunk the loader writes. */
static void
queue_event (OodRefresh *self, char *event)
{
  if (ood_session_has_claims (self->session) && is_run_event (event))
    {
      g_free (event);
      return;
    }
  if (self->events == NULL)
    self->events = g_ptr_array_new_with_free_func (g_free);
  ood_tcl_halts_event (&self->halts, event);
  g_ptr_array_add (self->events, event);
}

static void
on_notification (OodSession *session, gint kind, const char *value, gpointer user_data)
{
  OodRefresh *self = user_data;

  (void) session;
  if (kind == OOD_TCL_NOTIFY_EVENT)
    queue_event (self, g_strdup (value));
  else if (kind == OOD_TCL_NOTIFY_RESET)
    queue_event (self, g_strdup_printf ("reset-%s", value));
  else if (kind == OOD_TCL_NOTIFY_STATE)
    self->notified = ood_state_canonical (value);
  ood_refresh_request (self);
}

static void
on_released (OodSession *session, const char *target, gpointer user_data)
{
  OodRefresh *self = user_data;

  (void) target;
  if (!ood_session_has_claims (session) && ood_session_is_open (session))
    ood_refresh_request (self);
}

static gboolean
on_poll (gpointer user_data)
{
  OodRefresh *self = user_data;

  if (ood_session_is_open (self->session))
    refresh_all (self, 0);
  return G_SOURCE_CONTINUE;
}

static void
on_notifications_refused (OodSession *session, const GError *reason, gpointer user_data)
{
  OodRefresh *self = user_data;
  guint interval = ood_session_get_settings (session)->poll_interval_ms;

  g_warning ("%s: OpenOCD refused notifications (%s); polling every %u ms instead",
             self->log_name, reason->message, interval);
  self->polling = TRUE;
  ood_timer_replace (&self->poll, interval, on_poll, self);
}

/* What was waiting belongs to the lost connection. */
static void
on_closed (OodSession *session, const GError *reason, gpointer user_data)
{
  OodRefresh *self = user_data;

  (void) session;
  (void) reason;
  ood_timer_replace (&self->poll, 0, NULL, NULL);
  ood_timer_replace (&self->retry, 0, NULL, NULL);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->only_target, g_free);
  self->notified = NULL;
  self->polling = FALSE;
  ood_tcl_halts_clear (&self->halts);
  g_hash_table_remove_all (self->seen);
  finish_syncs (self, g_steal_pointer (&self->syncs), reason);
}

static const GError *
stopped_error (void)
{
  static GError stopped = { 0, OOD_ERROR_DISCONNECTED, (char *) "the endpoint is stopping" };

  stopped.domain = OOD_ERROR;
  return &stopped;
}

/**
 * ood_refresh_sync_async:
 * @target: (nullable): the target the caller just acted on
 *
 * Completes once a refresh sent after this call has been read and
 * "refreshed" emitted for it: what OpenOCD announced of the caller's
 * action is then published. Fails with %OOD_ERROR_DISCONNECTED if the
 * connection is lost first, or with the refresh's error.
 */
void
ood_refresh_sync_async (OodRefresh *self, const char *target, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, ood_refresh_sync_async);
  g_task_set_task_data (task, g_strdup (target), g_free);
  if (self->stopped || !ood_session_is_open (self->session))
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_DISCONNECTED,
                               "not connected to OpenOCD");
      g_object_unref (task);
      return;
    }
  if (self->syncs == NULL)
    self->syncs = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->syncs, task);
  g_ptr_array_add (self->unanswered, task);
  ood_refresh_request (self);
}

gboolean
ood_refresh_sync_finish (OodRefresh *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * ood_refresh_stop:
 *
 * For good: no refresh is sent and no "refreshed" emitted from now on.
 */
void
ood_refresh_stop (OodRefresh *self)
{
  if (self->stopped)
    return;
  self->stopped = TRUE;
  g_signal_handlers_disconnect_by_data (self->session, self);
  ood_timer_replace (&self->idle, 0, NULL, NULL);
  ood_timer_replace (&self->poll, 0, NULL, NULL);
  ood_timer_replace (&self->retry, 0, NULL, NULL);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  finish_syncs (self, g_steal_pointer (&self->syncs), stopped_error ());
}

static void
ood_refresh_dispose (GObject *object)
{
  OodRefresh *self = OOD_REFRESH (object);

  if (self->session != NULL)
    ood_refresh_stop (self);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ood_refresh_parent_class)->dispose (object);
}

static void
ood_refresh_finalize (GObject *object)
{
  OodRefresh *self = OOD_REFRESH (object);

  g_free (self->only_target);
  g_free (self->log_name);
  g_hash_table_unref (self->seen);
  g_ptr_array_unref (self->unanswered);
  G_OBJECT_CLASS (ood_refresh_parent_class)->finalize (object);
}

static void
ood_refresh_class_init (OodRefreshClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_refresh_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_refresh_finalize;
  signals[SIGNAL_REFRESHED] =
    g_signal_new ("refreshed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_PTR_ARRAY, G_TYPE_PTR_ARRAY, G_TYPE_UINT);
}

static void
ood_refresh_init (OodRefresh *self)
{
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->unanswered = g_ptr_array_new ();
}

/**
 * ood_refresh_new:
 * @session: the OpenOCD whose targets are refreshed
 * @log_name: prefixes the log lines (the endpoint's name)
 *
 * Returns: (transfer full): the refresh, listening to @session's
 *   notifications from now on
 */
OodRefresh *
ood_refresh_new (OodSession *session, const char *log_name)
{
  OodRefresh *self = g_object_new (OOD_TYPE_REFRESH, NULL);

  self->session = g_object_ref (session);
  self->log_name = g_strdup (log_name);
  g_signal_connect (session, "notification", G_CALLBACK (on_notification), self);
  g_signal_connect (session, "released", G_CALLBACK (on_released), self);
  g_signal_connect (session, "notifications-refused", G_CALLBACK (on_notifications_refused), self);
  g_signal_connect (session, "closed", G_CALLBACK (on_closed), self);
  return self;
}
