/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-lease"

#include "ood-lease.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "ood-call.h"
#include "ood-error.h"
#include "ood-reply.h"

#define LEASES_PATH "/org/openocd/leases"
#define TOKEN_BYTES 16

/*
 * Ownership: the ObjectManager holds the lease's object skeleton, which
 * holds the lease; the endpoint holds it too, until the grant ends and it
 * calls ood_lease_end(). The lease holds the lock (to check and release
 * it) and the server only as a weak pointer: the server outlives every
 * endpoint.
 */
struct _OodLease {
  OodDbusLeaseSkeleton      parent_instance;

  GDBusObjectManagerServer *server;   /* (unowned) (nullable): weak pointer */
  OodLock                  *lock;
  guint64                   serial;   /* the lock's grant this lease is */
  char                     *path;
  char                     *token;    /* (nullable): made by the first Share() */
};

enum { SIGNAL_JOINED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void ood_lease_iface_init (OodDbusLeaseIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OodLease, ood_lease, OOD_DBUS_TYPE_LEASE_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_LEASE, ood_lease_iface_init))

const char *
ood_lease_get_path (OodLease *self)
{
  return self->path;
}

/* Whether the lock's holder is still the one this lease was made for. */
gboolean
ood_lease_is_current (OodLease *self)
{
  return ood_lock_is_held (self->lock) && ood_lock_get_serial (self->lock) == self->serial;
}

/**
 * ood_lease_end:
 *
 * Unexports the lease; its methods are gone with it. Call it once the
 * grant it stands for has ended.
 */
void
ood_lease_end (OodLease *self)
{
  g_debug ("%s: ended", self->path);
  if (self->server != NULL)
    g_dbus_object_manager_server_unexport (self->server, self->path);
  g_clear_weak_pointer (&self->server);
}

/* Answers AccessDenied unless @invocation comes from the holder. */
static gboolean
check_holder (OodLease *self, GDBusMethodInvocation *invocation, const char *what)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GError) error = NULL;

  if (ood_lease_is_current (self) && g_strcmp0 (sender, ood_lock_get_holder (self->lock)) == 0)
    return TRUE;
  error = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED, "only the holder (%s) may %s "
                       "the lease", ood_dbus_lease_get_holder_name (OOD_DBUS_LEASE (self)), what);
  ood_reply_error (invocation, error);
  return FALSE;
}

static gboolean
handle_release (OodDbusLease *iface, GDBusMethodInvocation *invocation)
{
  g_autoptr(OodLease) self = g_object_ref (OOD_LEASE (iface));

  if (!check_holder (self, invocation, "release"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  g_message ("endpoint %s: lease released by %s", ood_lock_get_endpoint_name (self->lock),
             ood_lock_get_holder (self->lock));
  /* the endpoint ends this lease and grants the next before the reply */
  ood_lock_release (self->lock, g_dbus_method_invocation_get_sender (invocation), NULL);
  ood_dbus_lease_complete_release (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* 128 random bits from the kernel, in hex, or NULL with @error. */
static char *
make_token (GError **error)
{
  guint8 bytes[TOKEN_BYTES];
  GString *hex;
  gssize got;

  do
    got = getrandom (bytes, sizeof bytes, 0);
  while (got < 0 && errno == EINTR);
  if (got != (gssize) sizeof bytes)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot get random bytes: %s",
                   got < 0 ? g_strerror (errno) : "short read");
      return NULL;
    }
  hex = g_string_sized_new (2 * TOKEN_BYTES);
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
handle_share (OodDbusLease *iface, GDBusMethodInvocation *invocation)
{
  OodLease *self = OOD_LEASE (iface);
  g_autoptr(GError) error = NULL;

  if (!check_holder (self, invocation, "share"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (self->token == NULL && (self->token = make_token (&error)) == NULL)
    ood_reply_error (invocation, error);
  else
    ood_dbus_lease_complete_share (iface, invocation, self->token);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Compares in time that does not depend on where @given differs. */
static gboolean
token_matches (const char *token, const char *given)
{
  gsize length = strlen (token);
  guint8 differ = strlen (given) != length;

  for (gsize i = 0; i < length && given[i] != '\0'; i++)
    differ |= (guint8) (token[i] ^ given[i]);
  return differ == 0;
}

static gboolean
handle_join (OodDbusLease *iface, GDBusMethodInvocation *invocation, const char *token)
{
  OodLease *self = OOD_LEASE (iface);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GError) error = NULL;

  if (sender == NULL || !ood_lease_is_current (self) || self->token == NULL ||
      !token_matches (self->token, token))
    {
      error = g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                   self->token == NULL ? "the holder has not shared the lease"
                                                       : "wrong token for the lease");
      ood_reply_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!g_str_equal (sender, ood_lock_get_holder (self->lock)))
    {
      g_debug ("%s: %s joined", self->path, sender);
      ood_lock_join (self->lock, sender);
      g_signal_emit (self, signals[SIGNAL_JOINED], 0, sender);
    }
  ood_dbus_lease_complete_join (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
ood_lease_dispose (GObject *object)
{
  OodLease *self = OOD_LEASE (object);

  g_clear_weak_pointer (&self->server);
  g_clear_object (&self->lock);
  G_OBJECT_CLASS (ood_lease_parent_class)->dispose (object);
}

static void
ood_lease_finalize (GObject *object)
{
  OodLease *self = OOD_LEASE (object);

  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->path);
  G_OBJECT_CLASS (ood_lease_parent_class)->finalize (object);
}

static void
ood_lease_iface_init (OodDbusLeaseIface *iface)
{
  iface->handle_release = handle_release;
  iface->handle_share = handle_share;
  iface->handle_join = handle_join;
}

static void
ood_lease_class_init (OodLeaseClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->dispose = ood_lease_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_lease_finalize;

  /* (const char *sender): a connection joined the lease with its token */
  signals[SIGNAL_JOINED] =
    g_signal_new ("joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ood_lease_init (OodLease *self)
{
  (void) self;
}

/**
 * ood_lease_new:
 * @server: where to export the lease
 * @lock: a held lock: the lease is of its current grant
 * @endpoint_path: what the Endpoint property says
 *
 * Returns: (transfer full): the lease, exported
 */
OodLease *
ood_lease_new (GDBusObjectManagerServer *server, OodLock *lock, const char *endpoint_path)
{
  static guint64 last_id = 0;
  OodLease *self = g_object_new (OOD_TYPE_LEASE, NULL);
  OodDbusLease *iface = OOD_DBUS_LEASE (self);
  g_autoptr(OodDbusObjectSkeleton) object = NULL;

  g_return_val_if_fail (ood_lock_is_held (lock), NULL);
  g_set_weak_pointer (&self->server, server);
  self->lock = g_object_ref (lock);
  self->serial = ood_lock_get_serial (lock);
  self->path = g_strdup_printf (LEASES_PATH "/%" G_GUINT64_FORMAT, ++last_id);
  ood_dbus_lease_set_endpoint (iface, endpoint_path);
  ood_dbus_lease_set_holder_uid (iface, ood_lock_get_holder_uid (lock));
  ood_dbus_lease_set_holder_name (iface, ood_lock_get_holder (lock));
  ood_dbus_lease_set_reason (iface, ood_lock_get_reason (lock));
  ood_dbus_lease_set_since (iface, (guint64) ood_lock_get_since (lock));
  object = ood_dbus_object_skeleton_new (self->path);
  ood_dbus_object_skeleton_set_lease (object, iface);
  g_dbus_object_manager_server_export (server, G_DBUS_OBJECT_SKELETON (object));
  return self;
}
