/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-callers"

#include "ood-callers.h"

#include "ood-error.h"
#include "ood-reply.h"

/* What a caller has a share of. */
typedef enum {
  SHARE_CALL,     /* calls waiting for OpenOCD */
  SHARE_WAITER,   /* WaitHalt, waiting for a halt */
  SHARE_FD,       /* transfers and jobs holding an fd it handed over */
  N_SHARES,
} Share;

typedef struct {
  GDBusConnection *bus;
  guint            count[N_SHARES];
  guint            subscription;  /* its NameOwnerChanged, while it has waiters or fds held */
} Outstanding;

/* "SENDER already has N …" */
static const char *const share_text[] = {
  [SHARE_CALL] = "calls waiting",
  [SHARE_WAITER] = "WaitHalt calls waiting",
  [SHARE_FD] = "transfers or jobs holding its fds",
};

struct _OodCallers {
  GObject          parent_instance;

  GDBusConnection *bus;
  guint            max[N_SHARES];
  GHashTable      *senders;   /* unique name → Outstanding */
};

enum { SIGNAL_VANISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodCallers, ood_callers, G_TYPE_OBJECT)

static void
outstanding_free (Outstanding *outstanding)
{
  if (outstanding->subscription != 0)
    g_dbus_connection_signal_unsubscribe (outstanding->bus, outstanding->subscription);
  g_free (outstanding);
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
  if (new_owner[0] != '\0' || !g_hash_table_contains (self->senders, name))
    return;
  g_debug ("%s left the bus: dropping what it left waiting", name);
  g_signal_emit (self, signals[SIGNAL_VANISHED], 0, name);
  g_hash_table_remove (self->senders, name);
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
      outstanding = g_new0 (Outstanding, 1);
      outstanding->bus = self->bus;
      g_hash_table_insert (self->senders, g_strdup (sender), outstanding);
    }
  return outstanding;
}

/* Only waiters and held fds outlive OpenOCD's answer: their caller is
 * watched while it has any (one match rule per such caller, so unrelated
 * callers coming and going on the bus never wake the service). Forgets
 * @sender once it has nothing outstanding. */
static void
update (OodCallers *self, const char *sender, Outstanding *outstanding)
{
  gboolean watched = outstanding->count[SHARE_WAITER] + outstanding->count[SHARE_FD] > 0;

  if (watched && outstanding->subscription == 0 && self->bus != NULL)
    outstanding->subscription = g_dbus_connection_signal_subscribe (
        self->bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
        "/org/freedesktop/DBus", sender, G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed,
        self, NULL);
  else if (!watched && outstanding->subscription != 0)
    {
      g_dbus_connection_signal_unsubscribe (outstanding->bus, outstanding->subscription);
      outstanding->subscription = 0;
    }
  if (total_of (outstanding) == 0)
    g_hash_table_remove (self->senders, sender);
}

/* Counts @invocation against its sender's @share, or answers Busy. */
static gboolean
admit (OodCallers *self, GDBusMethodInvocation *invocation, Share share)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GError) busy = NULL;
  Outstanding *outstanding;

  if (self == NULL || sender == NULL)
    return TRUE;   /* a peer-to-peer connection: nobody else shares it */
  outstanding = lookup (self, sender);
  if (outstanding->count[share] < self->max[share])
    {
      outstanding->count[share]++;
      update (self, sender, outstanding);
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
  update (self, sender, outstanding);
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
  g_clear_object (&self->bus);
  G_OBJECT_CLASS (ood_callers_parent_class)->dispose (object);
}

static void
ood_callers_finalize (GObject *object)
{
  OodCallers *self = OOD_CALLERS (object);

  g_hash_table_unref (self->senders);
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
  self->senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) outstanding_free);
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
