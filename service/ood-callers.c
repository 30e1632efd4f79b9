/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-callers"

#include "ood-callers.h"

#include <unistd.h>

#include "ood-error.h"
#include "ood-reply.h"
#include "ood-tasks.h"

/* What a caller has a share of. */
typedef enum {
  SHARE_CALL,     /* calls waiting for OpenOCD */
  SHARE_WAITER,   /* WaitHalt, waiting for a halt */
  SHARE_FD,       /* transfers, jobs and RTT channels holding its fds */
  N_SHARES,
} Share;

/* What the service knows of one caller, from its first call until its
 * name leaves the bus. */
typedef struct {
  char         *sender;
  guint         count[N_SHARES];
  guint         uid;
  guint         pid;
  gboolean      known;        /* the bus daemon said who it is */
  GPtrArray    *identifying;  /* (element-type GTask): waiting for the bus daemon's answer */
  GCancellable *cancellable;  /* cancelled when it leaves the bus */
} Outstanding;

/* "SENDER already has N …" */
static const char *const share_text[] = {
  [SHARE_CALL] = "calls waiting",
  [SHARE_WAITER] = "WaitHalt calls waiting",
  [SHARE_FD] = "transfers, jobs or RTT channels holding its fds",
};

struct _OodCallers {
  GObject          parent_instance;

  GDBusConnection *bus;
  guint            max[N_SHARES];
  GHashTable      *senders;       /* unique name → Outstanding */
  guint            subscription;  /* NameOwnerChanged, while any caller is known */
  GCancellable    *peer;          /* the one caller of a peer-to-peer connection */
};

enum { SIGNAL_VANISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodCallers, ood_callers, G_TYPE_OBJECT)

static void
outstanding_free (Outstanding *outstanding)
{
  g_cancellable_cancel (outstanding->cancellable);
  g_object_unref (outstanding->cancellable);
  if (outstanding->identifying != NULL)
    g_ptr_array_unref (outstanding->identifying);
  g_free (outstanding->sender);
  g_free (outstanding);
}

static void unwatch_if_idle (OodCallers *self);
static void identified (OodCallers *self, Outstanding *outstanding, const GError *error);

/* @name left the bus: everything it left is dropped, its calls' shared
 * cancellable fires, and what the service knew of it is forgotten. */
static void
forget (OodCallers *self, const char *name)
{
  Outstanding *outstanding = g_hash_table_lookup (self->senders, name);

  if (outstanding == NULL)
    return;
  g_debug ("%s left the bus: dropping what it left waiting", name);
  g_cancellable_cancel (outstanding->cancellable);
  g_signal_emit (self, signals[SIGNAL_VANISHED], 0, name);
  if (outstanding->identifying != NULL)
    {
      g_autoptr(GError) gone = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                                            "%s left the bus", name);
      identified (self, outstanding, gone);   /* forgets it */
    }
  else
    g_hash_table_remove (self->senders, name);
  unwatch_if_idle (self);
}

/* The bus says a unique name has gone: whatever it left is dropped. */
static void
on_name_owner_changed (GDBusConnection *bus, const char *sender_name, const char *path,
                       const char *iface, const char *member, GVariant *params,
                       gpointer user_data)
{
  OodCallers *self = user_data;
  const char *name, *old_owner, *new_owner;

  (void) bus; (void) sender_name; (void) path; (void) iface; (void) member;
  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sss)")))
    return;
  g_variant_get (params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (new_owner[0] == '\0')
    forget (self, name);
}

/* One subscription for all callers, while any is known: a match rule per
 * caller would run into the bus's limit of match rules per connection. */
static void
watch (OodCallers *self)
{
  if (self->subscription == 0 && self->bus != NULL)
    self->subscription = g_dbus_connection_signal_subscribe (
        self->bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
        "/org/freedesktop/DBus", NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed,
        self, NULL);
}

static void
unwatch_if_idle (OodCallers *self)
{
  if (self->subscription != 0 && g_hash_table_size (self->senders) == 0)
    {
      g_dbus_connection_signal_unsubscribe (self->bus, self->subscription);
      self->subscription = 0;
    }
}

static guint
total_of (const Outstanding *outstanding)
{
  guint total = 0;

  for (guint i = 0; i < N_SHARES; i++)
    total += outstanding->count[i];
  return total;
}

static Outstanding *
lookup (OodCallers *self, const char *sender)
{
  Outstanding *outstanding = g_hash_table_lookup (self->senders, sender);

  if (outstanding == NULL)
    {
      watch (self);
      outstanding = g_new0 (Outstanding, 1);
      outstanding->sender = g_strdup (sender);
      outstanding->cancellable = g_cancellable_new ();
      g_hash_table_insert (self->senders, outstanding->sender, outstanding);
    }
  return outstanding;
}

/* Counts @invocation against its sender's @share, or answers Busy. */
static gboolean
admit (OodCallers *self, GDBusMethodInvocation *invocation, Share share)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GError) busy = NULL;
  Outstanding *outstanding;

  if (self == NULL || sender == NULL || self->bus == NULL)
    return TRUE;   /* a peer-to-peer connection: nobody else shares it */
  outstanding = lookup (self, sender);
  if (outstanding->count[share] < self->max[share])
    {
      outstanding->count[share]++;
      return TRUE;
    }
  busy = g_error_new (OOD_ERROR, OOD_ERROR_BUSY, "%s already has %u %s (the most one caller "
                      "may have)", sender, self->max[share], share_text[share]);
  ood_reply_error (invocation, busy);
  return FALSE;
}

static void
release (OodCallers *self, const char *sender, Share share)
{
  Outstanding *outstanding;

  if (self == NULL || sender == NULL ||
      (outstanding = g_hash_table_lookup (self->senders, sender)) == NULL)
    return;   /* it left the bus meanwhile */
  if (outstanding->count[share] > 0)
    outstanding->count[share]--;
}

/**
 * ood_callers_admit:
 * @invocation: a call that will wait (for OpenOCD, or with @waiter for a
 *   halt)
 *
 * Counts the call against its sender's share, or answers it with
 * org.openocd.Error.Busy when the sender already has its maximum waiting.
 *
 * Returns: %TRUE if admitted (then ood_callers_release() when answered);
 *   %FALSE if the call has been answered already
 */
gboolean
ood_callers_admit (OodCallers *self, GDBusMethodInvocation *invocation, gboolean waiter)
{
  return admit (self, invocation, waiter ? SHARE_WAITER : SHARE_CALL);
}

/**
 * ood_callers_release:
 * @sender: (nullable): the sender of an admitted call, now answered
 */
void
ood_callers_release (OodCallers *self, const char *sender, gboolean waiter)
{
  release (self, sender, waiter ? SHARE_WAITER : SHARE_CALL);
}

/**
 * ood_callers_admit_fd:
 * @invocation: a call handing over an fd that a transfer or job will hold
 *
 * Counts the fd against its sender's share, or answers the call with
 * org.openocd.Error.Busy when the sender's transfers and jobs already
 * hold their maximum of fds. While it holds any, the sender is watched,
 * and "vanished" is emitted if it leaves the bus.
 *
 * Returns: %TRUE if admitted (then ood_callers_release_fd() once the fd
 *   is closed); %FALSE if the call has been answered already
 */
gboolean
ood_callers_admit_fd (OodCallers *self, GDBusMethodInvocation *invocation)
{
  return admit (self, invocation, SHARE_FD);
}

/**
 * ood_callers_release_fd:
 * @sender: (nullable): the sender of an admitted fd, now closed
 */
void
ood_callers_release_fd (OodCallers *self, const char *sender)
{
  release (self, sender, SHARE_FD);
}

/* ---- who a caller is -------------------------------------------------- */

static void
identified (OodCallers *self, Outstanding *outstanding, const GError *error)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&outstanding->identifying);
  g_autofree char *sender = g_strdup (outstanding->sender);

  if (error != NULL)
    {
      /* it left before the bus daemon could say who it was */
      g_hash_table_remove (self->senders, sender);
      unwatch_if_idle (self);
    }
  ood_tasks_return_all (tasks, error);
}

static void
on_credentials (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) first = user_data;
  OodCallers *self = g_task_get_source_object (first);
  const char *sender = g_task_get_task_data (first);
  Outstanding *outstanding = g_hash_table_lookup (self->senders, sender);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  g_autoptr(GVariant) credentials = NULL;
  guint32 uid = 0, pid = 0;

  if (outstanding == NULL || outstanding->identifying == NULL)
    return;   /* it left the bus meanwhile: its tasks were answered then */
  if (reply != NULL)
    {
      credentials = g_variant_get_child_value (reply, 0);
      if (!g_variant_lookup (credentials, "UnixUserID", "u", &uid))
        error = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                             "the bus did not say which user %s is", sender);
    }
  if (error == NULL)
    {
      g_variant_lookup (credentials, "ProcessID", "u", &pid);
      outstanding->uid = uid;
      outstanding->pid = pid;
      outstanding->known = TRUE;
    }
  else
    g_dbus_error_strip_remote_error (error);
  identified (self, outstanding, error);
}

/**
 * ood_callers_identify_async:
 * @sender: (nullable): a unique bus name; %NULL for the peer of a
 *   peer-to-peer connection, which is this process's own user
 *
 * Learns who @sender is (its uid and pid, from the bus daemon's
 * GetConnectionCredentials), once per name: the answer is kept until the
 * name leaves the bus, and calls that come while the bus daemon is asked
 * wait for the same answer. Fails if the name left meanwhile.
 */
void
ood_callers_identify_async (OodCallers *self, const char *sender, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Outstanding *outstanding;

  g_task_set_source_tag (task, ood_callers_identify_async);
  if (sender == NULL || self->bus == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  outstanding = lookup (self, sender);
  if (outstanding->known)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (outstanding->identifying != NULL)
    {
      g_ptr_array_add (outstanding->identifying, g_steal_pointer (&task));
      return;
    }
  outstanding->identifying = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (outstanding->identifying, g_object_ref (task));
  g_task_set_task_data (task, g_strdup (sender), g_free);
  g_dbus_connection_call (self->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionCredentials",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_credentials,
                          g_steal_pointer (&task));
}

/**
 * ood_callers_identify_known:
 * @id: (out caller-allocates): as ood_callers_identify_finish() fills it
 * @cancellable: (out) (transfer full): likewise
 *
 * As ood_callers_identify_async() and _finish() together, for a caller
 * the service already knows (always the peer of a peer-to-peer
 * connection): answers at once, without a main-loop iteration in
 * between, or %FALSE (filling nothing) if @sender must be asked for.
 */
gboolean
ood_callers_identify_known (OodCallers *self, const char *sender, OodCallerId *id,
                            GCancellable **cancellable)
{
  Outstanding *outstanding;

  if (sender == NULL || self->bus == NULL)
    {
      id->sender = NULL;
      id->uid = getuid ();
      id->pid = getpid ();
      *cancellable = g_object_ref (self->peer);
      return TRUE;
    }
  outstanding = g_hash_table_lookup (self->senders, sender);
  if (outstanding == NULL || !outstanding->known)
    return FALSE;
  id->sender = outstanding->sender;
  id->uid = outstanding->uid;
  id->pid = outstanding->pid;
  *cancellable = g_object_ref (outstanding->cancellable);
  return TRUE;
}

/**
 * ood_callers_identify_finish:
 * @id: (out caller-allocates): who the caller is; its sender string
 *   belongs to @self and stays valid until the caller leaves the bus
 * @cancellable: (out) (transfer full): cancelled when the caller leaves
 *   the bus; the same for all its calls
 */
gboolean
ood_callers_identify_finish (OodCallers *self, GAsyncResult *result, const char *sender,
                             OodCallerId *id, GCancellable **cancellable, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (!ood_callers_identify_known (self, sender, id, cancellable))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER, "%s left the bus", sender);
      return FALSE;
    }
  return TRUE;
}

/* How many calls, waiters and fds @sender has outstanding (for tests). */
guint
ood_callers_count (OodCallers *self, const char *sender)
{
  Outstanding *outstanding = g_hash_table_lookup (self->senders, sender);

  return outstanding != NULL ? total_of (outstanding) : 0;
}

static void
ood_callers_dispose (GObject *object)
{
  OodCallers *self = OOD_CALLERS (object);

  g_hash_table_remove_all (self->senders);
  unwatch_if_idle (self);
  g_clear_object (&self->bus);
  G_OBJECT_CLASS (ood_callers_parent_class)->dispose (object);
}

static void
ood_callers_finalize (GObject *object)
{
  OodCallers *self = OOD_CALLERS (object);

  g_hash_table_unref (self->senders);
  g_object_unref (self->peer);
  G_OBJECT_CLASS (ood_callers_parent_class)->finalize (object);
}

static void
ood_callers_class_init (OodCallersClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_callers_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_callers_finalize;

  /* (const char *sender): a caller with waiters or fds held left the bus */
  signals[SIGNAL_VANISHED] =
    g_signal_new ("vanished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ood_callers_init (OodCallers *self)
{
  self->senders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) outstanding_free);
  self->peer = g_cancellable_new ();
}

/**
 * ood_callers_new:
 * @bus: (nullable): the message bus the calls come from, watched for
 *   callers leaving it
 * @max_calls: how many calls one caller may have waiting for OpenOCD
 * @max_waiters: how many WaitHalt calls one caller may have waiting
 * @max_fds: how many transfers and jobs may hold fds of one caller at once
 */
OodCallers *
ood_callers_new (GDBusConnection *bus, guint max_calls, guint max_waiters, guint max_fds)
{
  OodCallers *self = g_object_new (OOD_TYPE_CALLERS, NULL);

  self->max[SHARE_CALL] = MAX (max_calls, 1);
  self->max[SHARE_WAITER] = MAX (max_waiters, 1);
  self->max[SHARE_FD] = MAX (max_fds, 1);
  if (bus != NULL && g_dbus_connection_get_unique_name (bus) != NULL)
    self->bus = g_object_ref (bus);
  return self;
}
