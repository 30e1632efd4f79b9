/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-session"

#include "ood-session.h"

#include <string.h>

#include "ood-error.h"
#include "ood-idle.h"
#include "ood-tcl-script.h"

/* The notify connection carries one command, tcl_notifications on. */
#define NOTIFY_MAX_WAITING 4

/* The longest error text a caller gets from OpenOCD's log. */
#define MAX_ERROR_BYTES 1024

struct _OodSession {
  GObject           parent_instance;

  char             *name;        /* for logs: the endpoint's name */
  char             *address;
  OodSettings       settings;

  OodTclConnection *command;
  OodTclConnection *notify;
  GCancellable     *attempt;     /* the connect in progress */
  GSource          *retry;       /* next connect attempt */
  GSource          *deadline;    /* of the connect attempt */
  char             *failure;     /* why the attempt in progress failed, or NULL */
  char             *last_error;  /* why the last attempt failed or the last connection
                                  * was lost; NULL once connected */
  guint             backoff_ms;
  gboolean          started;
  gboolean          stopped;
  GHashTable       *claims;      /* target names a job holds */
};

enum {
  SIGNAL_OPENED,
  SIGNAL_CLOSED,
  SIGNAL_NOTIFICATION,
  SIGNAL_NOTIFICATIONS_REFUSED,
  SIGNAL_RELEASED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodSession, ood_session, G_TYPE_OBJECT)

static void connect_now (OodSession *self);

const char *
ood_session_get_name (OodSession *self)
{
  return self->name;
}

const char *
ood_session_get_address (OodSession *self)
{
  return self->address;
}

const OodSettings *
ood_session_get_settings (OodSession *self)
{
  return &self->settings;
}

/**
 * ood_session_get_last_error:
 *
 * Returns: (nullable): why the last connect attempt failed ("connection
 *   refused", "cannot resolve HOST: …", "timed out after N ms") or the
 *   last connection was lost; %NULL once both connections are up. Set
 *   before "closed" is emitted.
 */
const char *
ood_session_get_last_error (OodSession *self)
{
  return self->last_error;
}

/* Whether commands can be queued now (they go out once connected). */
gboolean
ood_session_is_open (OodSession *self)
{
  return self->command != NULL;
}

/* ---- calls -------------------------------------------------------------- */

/* Turns a wrapped reply into its result text, or an error. */
/* The marks of a script's refusal of its caller's arguments, and what
 * the caller is told. */
static const struct {
  const char *mark;
  OodError    code;
  const char *message;
} refusals[] = {
  { OOD_TCL_DUPLICATE_MARK, OOD_ERROR_BREAKPOINT_EXISTS,
    "OpenOCD already has a breakpoint at that address" },
  { OOD_TCL_NO_BREAKPOINT_MARK, OOD_ERROR_NO_SUCH_BREAKPOINT,
    "OpenOCD has no breakpoint at that address" },
  { OOD_TCL_DUPLICATE_WP_MARK, OOD_ERROR_BREAKPOINT_EXISTS,
    "OpenOCD already has a watchpoint at that address" },
  { OOD_TCL_NO_WATCHPOINT_MARK, OOD_ERROR_NO_SUCH_BREAKPOINT,
    "OpenOCD has no watchpoint at that address" },
};

static gboolean
is_refusal (const char *text, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
    if (g_str_equal (text, refusals[i].mark))
      {
        g_set_error_literal (error, OOD_ERROR, refusals[i].code, refusals[i].message);
        return TRUE;
      }
  return FALSE;
}

static char *
unwrap (const char *reply, GError **error)
{
  const char *text;
  gint code;
  g_autofree char *valid = NULL;

  if (!ood_tcl_parse_wrapped (reply, &code, &text))
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed reply from OpenOCD");
      return NULL;
    }
  if (code == 0)
    return g_strdup (text);
  valid = g_strstrip (g_utf8_make_valid (text, -1));
  if (g_str_equal (valid, OOD_TCL_NOT_HALTED_MARK))
    g_set_error_literal (error, OOD_ERROR, OOD_ERROR_NOT_HALTED, "target is not halted");
  else if (is_refusal (valid, error))
    ;
  else if (g_str_equal (valid, OOD_TCL_GDB_HALTED_MARK))
    g_set_error_literal (error, OOD_ERROR, OOD_ERROR_DEBUGGER_ATTACHED,
                         "a debugger (GDB) holds the target halted");
  else if (valid[0] == '\0')
    g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "OpenOCD command failed (code %d)", code);
  else
    {
      /* OpenOCD logs the same lines again on every retry of a dead link */
      g_autofree char *folded = ood_tcl_fold_message (valid, MAX_ERROR_BYTES);
      g_set_error_literal (error, OOD_ERROR, OOD_ERROR_TARGET, folded);
    }
  return NULL;
}

static OodTclCallFlags
connection_flags (OodSessionCallFlags flags)
{
  return ((flags & OOD_SESSION_CALL_SHAREABLE) ? OOD_TCL_CALL_SHAREABLE : 0) |
         ((flags & OOD_SESSION_CALL_HOUSEKEEPING) ? OOD_TCL_CALL_UNCOUNTED : 0) |
         ((flags & OOD_SESSION_CALL_CHUNK) ? OOD_TCL_CALL_IN_TURN : 0);
}

static void
on_call_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = ood_tcl_connection_call_finish (OOD_TCL_CONNECTION (source), result,
                                                           &error);
  char *text = reply != NULL ? unwrap (reply, &error) : NULL;

  if (text != NULL)
    g_task_return_pointer (task, text, g_free);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, ood_error_normalize (error));
}

/**
 * ood_session_call_async:
 * @script: a wrapped script (ood-tcl-script.h) answering any text
 * @cancellable: (nullable): the caller's: calls that pass the same
 *   cancellable are one caller's, and callers are served in turn (NULL:
 *   the service's own work, a caller of its own). Cancelling it fails the
 *   caller's queued calls at once with %G_IO_ERROR_CANCELLED, unsent; a
 *   script already sent still runs in OpenOCD
 *
 * Runs @script on the command connection; the result is its text. Fails
 * with %OOD_ERROR_DISCONNECTED while OpenOCD is not connected.
 */
void
ood_session_call_async (OodSession *self, const char *script, OodSessionCallFlags flags,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, ood_session_call_async);
  if (self->command == NULL)
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_DISCONNECTED,
                               "not connected to OpenOCD at %s", self->address);
      return;
    }
  ood_tcl_connection_call_async (self->command, script, connection_flags (flags),
                                 self->settings.command_timeout_ms, cancellable, on_call_reply,
                                 g_steal_pointer (&task));
}

char *
ood_session_call_finish (OodSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ood_session_call_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_run_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  OodTclTargetRecord *record = text != NULL ? ood_tcl_parse_record (text, &error) : NULL;

  if (record == NULL)
    g_task_return_error (task, ood_error_normalize (error));
  else
    g_task_return_pointer (task, record, (GDestroyNotify) ood_tcl_target_record_free);
}

/**
 * ood_session_run_async:
 * @script: a script answering one target record (ood-tcl-script.h)
 *
 * As ood_session_call_async(), the result parsed as a target record.
 */
void
ood_session_run_async (OodSession *self, const char *script, OodSessionCallFlags flags,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, ood_session_run_async);
  ood_session_call_async (self, script, flags, cancellable, on_run_reply, task);
}

OodTclTargetRecord *
ood_session_run_finish (OodSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ood_session_run_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- claims ------------------------------------------------------------- */

/**
 * ood_session_check_unclaimed:
 *
 * Returns: %TRUE if no job holds @target, else %FALSE with %OOD_ERROR_BUSY
 */
gboolean
ood_session_check_unclaimed (OodSession *self, const char *target, GError **error)
{
  if (!g_hash_table_contains (self->claims, target))
    return TRUE;
  g_set_error (error, OOD_ERROR, OOD_ERROR_BUSY, "a job is in progress on target %s", target);
  return FALSE;
}

/**
 * ood_session_claim:
 *
 * Returns: %TRUE if @target was free and is now claimed by the caller,
 *   else %FALSE with %OOD_ERROR_BUSY
 */
gboolean
ood_session_claim (OodSession *self, const char *target, GError **error)
{
  if (!ood_session_check_unclaimed (self, target, error))
    return FALSE;
  g_hash_table_add (self->claims, g_strdup (target));
  return TRUE;
}

void
ood_session_release (OodSession *self, const char *target)
{
  g_warn_if_fail (g_hash_table_remove (self->claims, target));
  g_signal_emit (self, signals[SIGNAL_RELEASED], 0, target);
}

/* Whether a job holds any of this OpenOCD's targets. */
gboolean
ood_session_has_claims (OodSession *self)
{
  return g_hash_table_size (self->claims) > 0;
}

/* ---- connection life cycle ---------------------------------------------- */

static gboolean
on_reconnect_timer (gpointer user_data)
{
  OodSession *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
close_quietly (OodSession *self, OodTclConnection *connection, const GError *reason)
{
  if (connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (connection, self);
  ood_tcl_connection_close (connection, reason);
}

static void
drop_connections (OodSession *self, const GError *reason)
{
  g_autoptr(OodTclConnection) command = g_steal_pointer (&self->command);
  g_autoptr(OodTclConnection) notify = g_steal_pointer (&self->notify);

  if (self->attempt != NULL)
    g_cancellable_cancel (self->attempt);
  g_clear_object (&self->attempt);
  close_quietly (self, command, reason);
  close_quietly (self, notify, reason);
  ood_timer_replace (&self->deadline, 0, NULL, NULL);
}

static void
on_closed (OodTclConnection *connection, const GError *reason, gpointer user_data)
{
  OodSession *self = user_data;
  g_autoptr(GError) disconnected = NULL;

  (void) connection;
  g_free (self->last_error);
  if (self->failure != NULL)
    {
      self->last_error = g_steal_pointer (&self->failure);
      disconnected = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                  "cannot connect to OpenOCD at %s: %s", self->address,
                                  self->last_error);
    }
  else
    {
      self->last_error = g_strdup (reason->message);
      disconnected = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED, "lost OpenOCD at %s: %s",
                                  self->address, reason->message);
    }
  g_object_ref (self);
  drop_connections (self, disconnected);
  if (!self->stopped)
    {
      ood_timer_replace (&self->retry, self->backoff_ms, on_reconnect_timer, self);
      g_debug ("%s: next attempt in %u ms", self->name, self->backoff_ms);
      self->backoff_ms = MIN (self->backoff_ms * 2, self->settings.backoff_max_ms);
    }
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, disconnected);
  g_object_unref (self);
}

static void
on_notification (OodTclConnection *connection, const char *message, gpointer user_data)
{
  OodSession *self = user_data;
  OodTclNotification notification = { 0 };

  (void) connection;
  if (!ood_tcl_parse_notification (message, &notification))
    {
      g_debug ("%s: ignoring malformed notification", self->name);
      return;
    }
  g_debug ("%s: notification %d %s", self->name, notification.kind, notification.value);
  g_signal_emit (self, signals[SIGNAL_NOTIFICATION], 0, (gint) notification.kind,
                 notification.value);
  ood_tcl_notification_clear (&notification);
}

static void
on_notifications_on (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = ood_tcl_connection_call_finish (OOD_TCL_CONNECTION (source), result,
                                                           &error);
  g_autofree char *text = reply != NULL ? unwrap (reply, &error) : NULL;

  if (text != NULL || self->notify != OOD_TCL_CONNECTION (source) ||
      g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    return;
  g_signal_emit (self, signals[SIGNAL_NOTIFICATIONS_REFUSED], 0, error);
}

/* The host of "host:port" or "[v6]:port". */
static char *
address_host (const char *address)
{
  const char *colon = strrchr (address, ':');
  gsize length = colon != NULL ? (gsize) (colon - address) : strlen (address);

  if (length >= 2 && address[0] == '[' && address[length - 1] == ']')
    return g_strndup (address + 1, length - 2);
  return g_strndup (address, length);
}

/* Why a connect failed, in the words of the Endpoint's LastError. */
static char *
describe_connect_error (OodSession *self, const GError *error)
{
  g_autofree char *host = NULL;

  if (error->domain == G_RESOLVER_ERROR)
    {
      host = address_host (self->address);
      if (error->code == G_RESOLVER_ERROR_NOT_FOUND)
        return g_strdup_printf ("cannot resolve %s: no such host", host);
      return g_strdup_printf ("cannot resolve %s: %s", host, error->message);
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_strdup ("connection refused");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup ("timed out");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE))
    return g_strdup ("host unreachable");
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    return g_strdup ("network unreachable");
  return g_strdup (error->message);
}

/* A connection is up; once both are, the connect deadline is lifted and
 * the backoff starts over. */
static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodSession) self = user_data;
  OodTclConnection *connection = OOD_TCL_CONNECTION (source);
  g_autoptr(GError) error = NULL;

  if (!ood_tcl_connection_connect_finish (connection, result, &error))
    {
      /* the first failure of this attempt says why (the deadline's, if it fired) */
      if (self->failure == NULL && (connection == self->command || connection == self->notify))
        self->failure = describe_connect_error (self, error);
      ood_tcl_connection_close (connection, error);
    }
  else if (self->command != NULL && ood_tcl_connection_is_open (self->command) &&
           self->notify != NULL && ood_tcl_connection_is_open (self->notify))
    {
      ood_timer_replace (&self->deadline, 0, NULL, NULL);
      self->backoff_ms = self->settings.backoff_min_ms;
      g_clear_pointer (&self->last_error, g_free);
    }
}

static gboolean
on_connect_deadline (gpointer user_data)
{
  OodSession *self = user_data;

  g_clear_pointer (&self->deadline, g_source_unref);
  g_debug ("%s: connecting to %s timed out", self->name, self->address);
  g_free (self->failure);
  self->failure = g_strdup_printf ("timed out after %u ms", self->settings.connect_timeout_ms);
  g_cancellable_cancel (self->attempt);
  return G_SOURCE_REMOVE;
}

static OodTclConnection *
open_connection (OodSession *self, guint max_waiting, gint read_priority)
{
  OodTclConnection *connection = ood_tcl_connection_new (max_waiting);

  ood_tcl_connection_set_read_priority (connection, read_priority);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  ood_tcl_connection_connect_async (connection, self->address, self->attempt, on_connected,
                                    g_object_ref (self));
  return connection;
}

/* Opens both connections, switches notifications on, and lets the
 * owner queue what a new connection needs ("opened"). */
static void
connect_now (OodSession *self)
{
  g_autofree char *notifications = ood_tcl_script_notifications_on ();

  g_debug ("%s: connecting to %s", self->name, self->address);
  g_clear_pointer (&self->failure, g_free);
  self->attempt = g_cancellable_new ();
  self->command = open_connection (self, self->settings.max_waiting, G_PRIORITY_DEFAULT);
  /* OpenOCD writes a command's notifications before its reply: read first
   * when both are in, they are taken in that order (ood-tcl-halts.h) */
  self->notify = open_connection (self, NOTIFY_MAX_WAITING, G_PRIORITY_HIGH);
  g_signal_connect (self->notify, "notification", G_CALLBACK (on_notification), self);
  ood_timer_replace (&self->deadline, self->settings.connect_timeout_ms, on_connect_deadline, self);
  ood_tcl_connection_call_async (self->notify, notifications, OOD_TCL_CALL_NONE,
                                 self->settings.command_timeout_ms, NULL, on_notifications_on,
                                 g_object_ref (self));
  g_signal_emit (self, signals[SIGNAL_OPENED], 0);
}

/**
 * ood_session_start:
 *
 * Starts connecting, and reconnecting whenever the connection drops.
 */
void
ood_session_start (OodSession *self)
{
  g_return_if_fail (!self->started);
  self->started = TRUE;
  connect_now (self);
}

/**
 * ood_session_reconnect:
 * @address: where OpenOCD's Tcl RPC server is now, "host:port"
 *
 * Connects to @address at once, forgetting any backoff: an OpenOCD was
 * (re)started there. A connection to @address that is up is kept (it
 * reached the new OpenOCD on its own); any other connection, open or
 * being made, is dropped
 * first ("closed" is emitted, calls in flight fail with
 * %OOD_ERROR_DISCONNECTED). Starts the session if it was not.
 */
/* Both connections are up (the connect deadline is lifted then). */
static gboolean
is_connected (OodSession *self)
{
  return self->command != NULL && ood_tcl_connection_is_open (self->command) &&
         self->notify != NULL && ood_tcl_connection_is_open (self->notify) &&
         self->deadline == NULL;
}

void
ood_session_reconnect (OodSession *self, const char *address)
{
  if (self->stopped)
    return;
  /* already found it on its own (the old one's end was seen first) */
  if (self->started && g_strcmp0 (address, self->address) == 0 && is_connected (self))
    return;
  g_free (self->address);
  self->address = g_strdup (address);
  self->backoff_ms = self->settings.backoff_min_ms;
  ood_timer_replace (&self->retry, 0, NULL, NULL);
  self->started = TRUE;
  if (self->command != NULL)
    {
      g_autoptr(GError) restarted = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                                 "OpenOCD was restarted, now at %s", address);
      g_autoptr(OodSession) hold = g_object_ref (self);

      drop_connections (self, restarted);
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0, restarted);
      /* "closed" may have stopped it, or scheduled nothing: both fine */
      ood_timer_replace (&self->retry, 0, NULL, NULL);
      if (self->stopped)
        return;
    }
  connect_now (self);
}

/**
 * ood_session_stop:
 *
 * Disconnects for good: calls in flight fail with
 * %OOD_ERROR_DISCONNECTED, and "closed" is emitted if it was connected.
 */
void
ood_session_stop (OodSession *self)
{
  g_autoptr(GError) stopped = NULL;

  if (self->stopped)
    return;
  self->stopped = TRUE;
  ood_timer_replace (&self->retry, 0, NULL, NULL);
  if (self->command == NULL)
    return;
  stopped = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED, "endpoint %s was removed",
                         self->name);
  g_object_ref (self);
  drop_connections (self, stopped);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, stopped);
  g_object_unref (self);
}

static void
ood_session_dispose (GObject *object)
{
  OodSession *self = OOD_SESSION (object);

  ood_session_stop (self);
  G_OBJECT_CLASS (ood_session_parent_class)->dispose (object);
}

static void
ood_session_finalize (GObject *object)
{
  OodSession *self = OOD_SESSION (object);

  g_free (self->name);
  g_free (self->address);
  g_free (self->failure);
  g_free (self->last_error);
  g_hash_table_unref (self->claims);
  G_OBJECT_CLASS (ood_session_parent_class)->finalize (object);
}

static void
ood_session_class_init (OodSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ood_session_dispose;
  object_class->finalize = ood_session_finalize;

  signals[SIGNAL_OPENED] =
    g_signal_new ("opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_NOTIFICATION] =
    g_signal_new ("notification", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_NOTIFICATIONS_REFUSED] =
    g_signal_new ("notifications-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_RELEASED] =
    g_signal_new ("released", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ood_session_init (OodSession *self)
{
  self->claims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * ood_session_new:
 * @name: what the logs call this OpenOCD (the endpoint's name)
 * @address: OpenOCD's Tcl RPC server, "host:port"
 *
 * Returns: (transfer full): a session; ood_session_start() connects it
 */
OodSession *
ood_session_new (const char *name, const char *address, const OodSettings *settings)
{
  OodSession *self = g_object_new (OOD_TYPE_SESSION, NULL);

  self->name = g_strdup (name);
  self->address = g_strdup (address);
  self->settings = *settings;
  self->backoff_ms = settings->backoff_min_ms;
  return self;
}
