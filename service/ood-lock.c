/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-lock"

#include "ood-lock.h"

#include "ood-error.h"
#include "ood-idle.h"

/* One acquire waiting in the queue. */
typedef struct {
  OodLock *lock;       /* (unowned): the queue holds the pending acquire */
  GTask   *task;       /* (owned): completed once taken off the queue */
  char    *sender;
  guint    uid;
  char    *reason;
  GSource *deadline;   /* (nullable) */
  GSource *cancelled;  /* (nullable): with a cancellable */
} Pending;

/* An acquire that an operation ended: completed once the lock is in its
 * new state and "changed" went out. */
typedef struct {
  GTask  *task;
  GError *error;       /* NULL: granted */
} Ending;

struct _OodLock {
  GObject     parent_instance;

  char       *endpoint_name;
  char       *holder;       /* (nullable): NULL while free */
  guint       holder_uid;
  char       *reason;
  gint64      since;        /* g_get_real_time() of the grant */
  guint64     serial;       /* grants so far: which grant is the current one */
  GHashTable *members;      /* sender names the holder let in */
  GQueue      queue;        /* (element-type Pending), oldest first */
  GError     *closed;       /* (nullable): why no acquire can succeed any more */
};

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodLock, ood_lock, G_TYPE_OBJECT)

/* ---- getters ------------------------------------------------------------ */

gboolean
ood_lock_is_held (OodLock *self)
{
  return self->holder != NULL;
}

/* Which grant holds the lock now: it changes with every grant, so that a
 * lease object can tell whether it is still the current one. */
guint64
ood_lock_get_serial (OodLock *self)
{
  return self->serial;
}

/* Returns: (nullable): the holder's name, %NULL while free */
const char *
ood_lock_get_holder (OodLock *self)
{
  return self->holder;
}

guint
ood_lock_get_holder_uid (OodLock *self)
{
  return self->holder_uid;
}

/* Returns: the holder's reason; "" while free */
const char *
ood_lock_get_reason (OodLock *self)
{
  return self->reason != NULL ? self->reason : "";
}

/* Returns: when the holder got it (CLOCK_REALTIME, µs); 0 while free */
gint64
ood_lock_get_since (OodLock *self)
{
  return self->since;
}

guint
ood_lock_get_queue_length (OodLock *self)
{
  return self->queue.length;
}

const char *
ood_lock_get_endpoint_name (OodLock *self)
{
  return self->endpoint_name;
}

static Pending *
find_pending (OodLock *self, const char *sender)
{
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    if (g_str_equal (((Pending *) l->data)->sender, sender))
      return l->data;
  return NULL;
}

/* Whether @sender holds the lock, is a member or waits for it. */
gboolean
ood_lock_involves (OodLock *self, const char *sender)
{
  return g_strcmp0 (self->holder, sender) == 0 ||
         g_hash_table_contains (self->members, sender) ||
         find_pending (self, sender) != NULL;
}

/* ---- endings ------------------------------------------------------------ */

static void
ending_free (Ending *ending)
{
  g_clear_object (&ending->task);
  g_clear_error (&ending->error);
  g_free (ending);
}

static GPtrArray *
endings_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ending_free);
}

/* @task: (transfer full); @error: (transfer full) (nullable) */
static void
endings_add (GPtrArray *endings, GTask *task, GError *error)
{
  Ending *ending = g_new0 (Ending, 1);

  ending->task = task;
  ending->error = error;
  g_ptr_array_add (endings, ending);
}

/* Emits "changed" if @changed, then completes the acquires @endings
 * holds: their callbacks see the lock as it is now. */
static void
finish (OodLock *self, GPtrArray *endings, gboolean changed)
{
  g_autoptr(GPtrArray) owned = endings;

  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  for (guint i = 0; i < owned->len; i++)
    {
      Ending *ending = owned->pdata[i];

      if (ending->error != NULL)
        g_task_return_error (ending->task, g_steal_pointer (&ending->error));
      else
        g_task_return_boolean (ending->task, TRUE);
    }
}

/* ---- the holder --------------------------------------------------------- */

static GError *
leased_error (OodLock *self)
{
  if (self->reason[0] != '\0')
    return g_error_new (OOD_ERROR, OOD_ERROR_LEASED, "endpoint %s is leased by uid %u (%s): %s",
                        self->endpoint_name, self->holder_uid, self->holder, self->reason);
  return g_error_new (OOD_ERROR, OOD_ERROR_LEASED, "endpoint %s is leased by uid %u (%s)",
                      self->endpoint_name, self->holder_uid, self->holder);
}

static void
grant (OodLock *self, const char *sender, guint uid, const char *reason)
{
  g_free (self->holder);
  self->holder = g_strdup (sender);
  self->holder_uid = uid;
  g_free (self->reason);
  self->reason = g_strdup (reason);
  self->since = g_get_real_time ();
  self->serial++;
  g_hash_table_remove_all (self->members);
  g_debug ("endpoint %s: leased by uid %u (%s)", self->endpoint_name, uid, sender);
}

static void
pending_free (Pending *pending)
{
  ood_timer_replace (&pending->deadline, 0, NULL, NULL);
  if (pending->cancelled != NULL)
    g_source_destroy (pending->cancelled);
  g_clear_pointer (&pending->cancelled, g_source_unref);
  g_clear_object (&pending->task);
  g_free (pending->sender);
  g_free (pending->reason);
  g_free (pending);
}

/* Takes @pending off the queue; returns its task (transfer full). */
static GTask *
take (OodLock *self, Pending *pending)
{
  GTask *task = g_steal_pointer (&pending->task);

  g_queue_remove (&self->queue, pending);
  pending_free (pending);
  return task;
}

/* The holder is gone: the lock is free, or the first waiting gets it. */
static void
vacate (OodLock *self, GPtrArray *endings)
{
  Pending *next = g_queue_peek_head (&self->queue);

  g_debug ("endpoint %s: lease by %s ended", self->endpoint_name, self->holder);
  g_clear_pointer (&self->holder, g_free);
  g_clear_pointer (&self->reason, g_free);
  self->holder_uid = 0;
  self->since = 0;
  g_hash_table_remove_all (self->members);
  if (next == NULL || self->closed != NULL)
    return;
  grant (self, next->sender, next->uid, next->reason);
  endings_add (endings, take (self, next), NULL);
}

/* ---- acquire ------------------------------------------------------------ */

static gboolean
on_deadline (gpointer user_data)
{
  Pending *pending = user_data;
  OodLock *self = pending->lock;
  GPtrArray *endings = endings_new ();

  endings_add (endings, take (self, pending), leased_error (self));
  finish (self, endings, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  Pending *pending = user_data;
  OodLock *self = pending->lock;
  GPtrArray *endings = endings_new ();
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  endings_add (endings, take (self, pending), error);
  finish (self, endings, TRUE);
  return G_SOURCE_REMOVE;
}

static void
enqueue (OodLock *self, GTask *task, const char *sender, guint uid, const char *reason,
         guint timeout_ms)
{
  Pending *pending = g_new0 (Pending, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  pending->lock = self;
  pending->task = task;
  pending->sender = g_strdup (sender);
  pending->uid = uid;
  pending->reason = g_strdup (reason);
  ood_timer_replace (&pending->deadline, timeout_ms, on_deadline, pending);
  if (cancellable != NULL)
    {
      pending->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancelled, G_SOURCE_FUNC (on_cancelled), pending, NULL);
      g_source_attach (pending->cancelled, g_main_context_get_thread_default ());
    }
  g_queue_push_tail (&self->queue, pending);
}

/* Why @sender cannot wait for the lock now, or NULL if it can. */
static GError *
refusal (OodLock *self, const char *sender, guint timeout_ms)
{
  if (self->closed != NULL)
    return g_error_copy (self->closed);
  if (g_strcmp0 (self->holder, sender) == 0)
    return g_error_new (OOD_ERROR, OOD_ERROR_EXISTS, "%s holds the lease of endpoint %s already",
                        sender, self->endpoint_name);
  if (find_pending (self, sender) != NULL)
    return g_error_new (OOD_ERROR, OOD_ERROR_EXISTS,
                        "%s is waiting for the lease of endpoint %s already", sender,
                        self->endpoint_name);
  if (self->holder != NULL && timeout_ms == 0)
    return leased_error (self);
  if (self->holder != NULL && self->queue.length >= OOD_LOCK_MAX_QUEUE)
    return g_error_new (OOD_ERROR, OOD_ERROR_BUSY,
                        "%u callers are waiting for the lease of endpoint %s (the most that may)",
                        self->queue.length, self->endpoint_name);
  return NULL;
}

/**
 * ood_lock_acquire_async:
 * @sender: who asks
 * @uid: @sender's user, for the holder's description
 * @reason: why, for others to read; "" for none
 * @timeout_ms: how long to wait while someone else holds it; 0 not at all
 * @cancellable: (nullable): ends the wait (%G_IO_ERROR_CANCELLED)
 *
 * Grants the lock to @sender at once when it is free; otherwise queues
 * the acquire behind those already waiting, until the lock is granted or
 * @timeout_ms passes (%OOD_ERROR_LEASED, naming the holder). Fails at
 * once with %OOD_ERROR_LEASED when held and @timeout_ms is 0,
 * %OOD_ERROR_EXISTS when @sender holds it or waits for it already,
 * %OOD_ERROR_BUSY when %OOD_LOCK_MAX_QUEUE wait, and the error of
 * ood_lock_close() after that. When it completes successfully @sender
 * holds the lock (unless the holder changed again meanwhile: compare
 * ood_lock_get_holder()).
 */
void
ood_lock_acquire_async (OodLock *self, const char *sender, guint uid, const char *reason,
                        guint timeout_ms, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error;

  g_return_if_fail (sender != NULL && reason != NULL);
  g_task_set_source_tag (task, ood_lock_acquire_async);
  if (g_task_return_error_if_cancelled (task))
    return;
  if ((error = refusal (self, sender, timeout_ms)) != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->holder == NULL)
    {
      g_warn_if_fail (self->queue.length == 0);
      grant (self, sender, uid, reason);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
      g_task_return_boolean (task, TRUE);
      return;
    }
  enqueue (self, g_steal_pointer (&task), sender, uid, reason, timeout_ms);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

gboolean
ood_lock_acquire_finish (OodLock *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- release, forget, join, check --------------------------------------- */

/**
 * ood_lock_release:
 *
 * Ends @sender's hold; the first waiting gets the lock at once.
 *
 * Returns: %FALSE with %OOD_ERROR_NOT_FOUND if @sender does not hold it
 */
gboolean
ood_lock_release (OodLock *self, const char *sender, GError **error)
{
  GPtrArray *endings;

  if (g_strcmp0 (self->holder, sender) != 0)
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_NOT_FOUND,
                   "%s does not hold the lease of endpoint %s", sender, self->endpoint_name);
      return FALSE;
    }
  endings = endings_new ();
  vacate (self, endings);
  finish (self, endings, TRUE);
  return TRUE;
}

/**
 * ood_lock_forget:
 *
 * @sender is gone (it left the bus): if it holds the lock, the first
 * waiting gets it now; its waiting acquire fails with
 * %G_IO_ERROR_CANCELLED; it is no member any more.
 */
void
ood_lock_forget (OodLock *self, const char *sender)
{
  Pending *pending = find_pending (self, sender);
  GPtrArray *endings = endings_new ();
  gboolean changed = FALSE;

  g_hash_table_remove (self->members, sender);
  if (pending != NULL)
    {
      endings_add (endings, take (self, pending),
                   g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s is gone", sender));
      changed = TRUE;
    }
  if (g_strcmp0 (self->holder, sender) == 0)
    {
      vacate (self, endings);
      changed = TRUE;
    }
  finish (self, endings, changed);
}

/**
 * ood_lock_join:
 *
 * Lets @sender pass ood_lock_check() as the holder does, until it is
 * forgotten or the holder changes. No effect while the lock is free, or
 * for the holder itself.
 */
void
ood_lock_join (OodLock *self, const char *sender)
{
  if (self->holder == NULL || g_str_equal (self->holder, sender))
    return;
  g_hash_table_add (self->members, g_strdup (sender));
}

/**
 * ood_lock_check:
 *
 * Returns: %TRUE if the lock is free, or @sender holds it or is a member;
 *   else %FALSE with %OOD_ERROR_LEASED, whose message names the holder's
 *   uid, name and reason
 */
gboolean
ood_lock_check (OodLock *self, const char *sender, GError **error)
{
  if (self->holder == NULL || g_strcmp0 (self->holder, sender) == 0 ||
      (sender != NULL && g_hash_table_contains (self->members, sender)))
    return TRUE;
  g_propagate_error (error, leased_error (self));
  return FALSE;
}

/**
 * ood_lock_close:
 * @error: why: what every waiting and later acquire fails with
 *
 * For an endpoint that goes: ends the hold, and fails every waiting
 * acquire. The lock lets everyone pass from now on.
 */
void
ood_lock_close (OodLock *self, const GError *error)
{
  GPtrArray *endings = endings_new ();
  gboolean changed = self->holder != NULL || self->queue.length > 0;
  Pending *pending;

  if (self->closed != NULL)
    {
      g_ptr_array_unref (endings);
      return;
    }
  self->closed = g_error_copy (error);
  while ((pending = g_queue_peek_head (&self->queue)) != NULL)
    endings_add (endings, take (self, pending), g_error_copy (error));
  if (self->holder != NULL)
    vacate (self, endings);
  finish (self, endings, changed);
}

/* ---- life cycle --------------------------------------------------------- */

static void
ood_lock_finalize (GObject *object)
{
  OodLock *self = OOD_LOCK (object);

  /* each waiting acquire's task holds the lock */
  g_warn_if_fail (self->queue.length == 0);
  g_hash_table_unref (self->members);
  g_clear_error (&self->closed);
  g_free (self->holder);
  g_free (self->reason);
  g_free (self->endpoint_name);
  G_OBJECT_CLASS (ood_lock_parent_class)->finalize (object);
}

static void
ood_lock_class_init (OodLockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ood_lock_finalize;

  /* the holder, the queue's length or both changed */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ood_lock_init (OodLock *self)
{
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->queue);
}

/**
 * ood_lock_new:
 * @endpoint_name: for messages ("endpoint NAME is leased by …")
 *
 * Returns: (transfer full): a free lock
 */
OodLock *
ood_lock_new (const char *endpoint_name)
{
  OodLock *self = g_object_new (OOD_TYPE_LOCK, NULL);

  self->endpoint_name = g_strdup (endpoint_name);
  return self;
}
