/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-endpoint"

#include "ood-endpoint.h"

#include "ood-error.h"
#include "ood-generated.h"
#include "ood-state.h"
#include "ood-tcl-script.h"
#include "ood-target.h"

/*
 * One OpenOCD. Two connections: "command" carries every command, one at a
 * time; "notify" only switches tcl_notifications on and then streams
 * OpenOCD's notifications, so they never interleave with replies. Each
 * notification triggers one refresh of all targets (a notification does
 * not name its target), coalesced with any refresh not yet sent. When
 * either connection drops, both are closed, the targets go "unknown" and
 * a reconnect is scheduled with capped exponential backoff.
 */

#define NOTIFY_MAX_WAITING 4

struct _OodEndpoint {
  GObject                   parent_instance;

  char                     *name;
  char                     *address;
  char                     *path;
  OodSettings              settings;
  GDBusObjectManagerServer *manager;
  OodDbusObjectSkeleton        *object;
  OodDbusEndpoint              *iface;

  OodTclConnection         *command;
  OodTclConnection         *notify;
  GCancellable             *attempt;     /* the connect in progress */
  GSource                  *retry;       /* next connect attempt */
  GSource                  *deadline;    /* of the connect attempt */
  GSource                  *poll;        /* only while polling */
  guint                     backoff_ms;
  gboolean                  polling;     /* OpenOCD refused notifications */
  gboolean                  stopped;

  GHashTable               *targets;     /* name → OodTarget */
  GPtrArray                *events;      /* event names awaiting a refresh */
  GSource                  *refresh_idle;
};

G_DEFINE_FINAL_TYPE (OodEndpoint, ood_endpoint, G_TYPE_OBJECT)

static void connect_now (OodEndpoint *self);
static void request_refresh (OodEndpoint *self);

void
ood_settings_init_defaults (OodSettings *settings)
{
  *settings = (OodSettings) {
    .command_timeout_ms = 10000,
    .connect_timeout_ms = 5000,
    .max_waiting = 4096,
    .poll_interval_ms = 1000,
    .backoff_min_ms = 100,
    .backoff_max_ms = 5000,
  };
}

const char *
ood_endpoint_get_name (OodEndpoint *self)
{
  return self->name;
}

const char *
ood_endpoint_get_address (OodEndpoint *self)
{
  return self->address;
}

const char *
ood_endpoint_get_path (OodEndpoint *self)
{
  return self->path;
}

guint
ood_endpoint_get_timeout (OodEndpoint *self)
{
  return self->settings.command_timeout_ms;
}

/* Replaces the timer in @slot by one calling @func in @ms, or by none. */
static void
set_timer (OodEndpoint *self, GSource **slot, guint ms, GSourceFunc func)
{
  if (*slot != NULL)
    g_source_destroy (*slot);
  g_clear_pointer (slot, g_source_unref);
  if (func == NULL)
    return;
  *slot = g_timeout_source_new (ms);
  g_source_set_callback (*slot, func, self, NULL);
  g_source_attach (*slot, g_main_context_get_thread_default ());
}

/* ---- targets ------------------------------------------------------------ */

static void
publish_target_list (OodEndpoint *self)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (paths, (gpointer) g_dbus_object_get_object_path (
                                G_DBUS_OBJECT (ood_target_get_object (value))));
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (paths, NULL);
  ood_dbus_endpoint_set_targets (self->iface, (const char *const *) paths->pdata);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
}

static void
remove_target (OodEndpoint *self, OodTarget *target)
{
  const char *path = g_dbus_object_get_object_path (G_DBUS_OBJECT (ood_target_get_object (target)));

  g_info ("%s: target %s is gone", self->name, ood_target_get_name (target));
  g_dbus_object_manager_server_unexport (self->manager, path);
  g_hash_table_remove (self->targets, ood_target_get_name (target));
}

static void
add_target (OodEndpoint *self, const OodTclTargetRecord *record)
{
  OodTarget *target = ood_target_new (self, record);

  g_info ("%s: target %s (%s) is %s", self->name, record->name,
          record->type != NULL ? record->type : "type unknown", record->state);
  g_hash_table_insert (self->targets, g_strdup (record->name), target);
  g_dbus_object_manager_server_export (self->manager,
                                       G_DBUS_OBJECT_SKELETON (ood_target_get_object (target)));
}

static gboolean
record_listed (GPtrArray *records, const char *name)
{
  for (guint i = 0; i < records->len; i++)
    if (g_str_equal (((OodTclTargetRecord *) records->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

/* Makes the exported targets those of @records; returns the targets
 * whose state or PC changed. */
static GPtrArray *
reconcile (OodEndpoint *self, GPtrArray *records)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new ();
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean membership_changed = FALSE;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!record_listed (records, ood_target_get_name (value)))
      g_ptr_array_add (stale, g_object_ref (value));
  for (guint i = 0; i < stale->len; i++, membership_changed = TRUE)
    remove_target (self, stale->pdata[i]);

  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      OodTarget *target = g_hash_table_lookup (self->targets, record->name);
      if (target == NULL)
        {
          add_target (self, record);
          membership_changed = TRUE;
        }
      else if (ood_target_apply (target, record))
        g_ptr_array_add (changed, target);
    }
  if (membership_changed)
    publish_target_list (self);
  return g_steal_pointer (&changed);
}

/* OpenOCD's notification does not name its target: an event goes to the
 * targets whose state changed in the refresh it caused, or else to all. */
static void
deliver_events (OodEndpoint *self, GPtrArray *events, GPtrArray *changed)
{
  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      const char *event = events->pdata[i];
      GHashTableIter iter;
      gpointer value;

      if (changed->len > 0)
        {
          for (guint j = 0; j < changed->len; j++)
            ood_target_emit_event (changed->pdata[j], event);
          continue;
        }
      g_hash_table_iter_init (&iter, self->targets);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ood_target_emit_event (value, event);
    }
}

/* ---- commands ----------------------------------------------------------- */

/* Turns a wrapped reply into its result text, or an error. */
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
  else if (valid[0] == '\0')
    g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "OpenOCD command failed (code %d)", code);
  else
    g_set_error_literal (error, OOD_ERROR, OOD_ERROR_TARGET, valid);
  return NULL;
}

/* The result text of a wrapped script's reply, or an error. */
static char *
finish_unwrapped (GObject *source, GAsyncResult *result, GError **error)
{
  g_autofree char *reply = ood_tcl_connection_call_finish (OOD_TCL_CONNECTION (source), result,
                                                           error);

  return reply != NULL ? unwrap (reply, error) : NULL;
}

static void
on_run_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  OodEndpoint *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = finish_unwrapped (source, result, &error);
  OodTclTargetRecord *record = text != NULL ? ood_tcl_parse_record (text, &error) : NULL;
  OodTarget *target;

  if (record == NULL)
    {
      g_task_return_error (task, ood_error_normalize (error));
      return;
    }
  target = g_hash_table_lookup (self->targets, record->name);
  if (target != NULL)
    ood_target_apply (target, record);
  g_task_return_pointer (task, record, (GDestroyNotify) ood_tcl_target_record_free);
}

/* Sends @script on the command connection, @on_reply getting @task; or
 * fails @task at once when there is no connection. */
static void
send_script (OodEndpoint *self, GTask *task, const char *script, OodTclCallFlags flags,
             GAsyncReadyCallback on_reply)
{
  if (self->command == NULL)
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_DISCONNECTED,
                               "not connected to OpenOCD at %s", self->address);
      g_object_unref (task);
      return;
    }
  ood_tcl_connection_call_async (self->command, script, flags, self->settings.command_timeout_ms,
                                 on_reply, task);
}

/**
 * ood_endpoint_run_async:
 * @script: a script answering one target record (ood-tcl-script.h)
 *
 * Runs @script on the command connection. On success the record is
 * applied to its target before the caller hears of it.
 */
void
ood_endpoint_run_async (OodEndpoint *self, const char *script, OodTclCallFlags flags,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, ood_endpoint_run_async);
  send_script (self, task, script, flags, on_run_reply);
}

OodTclTargetRecord *
ood_endpoint_run_finish (OodEndpoint *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_call_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *text = finish_unwrapped (source, result, &error);

  if (text == NULL)
    g_task_return_error (task, ood_error_normalize (error));
  else
    g_task_return_pointer (task, text, g_free);
}

/**
 * ood_endpoint_call_async:
 * @script: a wrapped script (ood-tcl-script.h) answering any text
 *
 * Runs @script on the command connection; the result is its text.
 */
void
ood_endpoint_call_async (OodEndpoint *self, const char *script, OodTclCallFlags flags,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, ood_endpoint_call_async);
  send_script (self, task, script, flags, on_call_reply);
}

char *
ood_endpoint_call_finish (OodEndpoint *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- refresh ------------------------------------------------------------ */

typedef struct {
  OodEndpoint *self;
  GPtrArray    *events;
  gboolean      first;   /* the refresh that completes a connect */
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  g_clear_pointer (&refresh->events, g_ptr_array_unref);
  g_object_unref (refresh->self);
  g_free (refresh);
}

static void
mark_connected (OodEndpoint *self)
{
  self->backoff_ms = self->settings.backoff_min_ms;
  ood_dbus_endpoint_set_connected (self->iface, TRUE);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_message ("%s: connected to OpenOCD at %s, %u targets", self->name, self->address,
             g_hash_table_size (self->targets));
}

/* OpenOCD, not the service, knows which breakpoints are set: after a
 * connect each target's list is read from it (empty after a restart,
 * kept after a mere lost connection, and including any set by others). */
static void
learn_breakpoints (OodEndpoint *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ood_target_learn_breakpoints (value);
}

static void
on_refresh_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refresh *done = user_data;
  OodEndpoint *self = done->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = finish_unwrapped (source, result, &error);
  g_autoptr(GPtrArray) records = text != NULL ? ood_tcl_parse_records (text, &error) : NULL;

  if (records == NULL)
    {
      if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
        g_warning ("%s: cannot refresh targets: %s", self->name, error->message);
    }
  else
    {
      g_autoptr(GPtrArray) changed = reconcile (self, records);
      deliver_events (self, done->events, changed);
      if (done->first)
        {
          mark_connected (self);
          learn_breakpoints (self);
        }
    }
  refresh_free (done);
}

/* Refreshes every target. Types are asked for (one OpenOCD command more
 * per target) only by the refresh that completes a connect: OpenOCD 0.12
 * cannot create targets once initialised (`target create` then does
 * nothing), so no target appears later without its type. */
static void
refresh (OodEndpoint *self, GPtrArray *events, gboolean first)
{
  g_autofree char *script = ood_tcl_script_refresh_all (first);
  Refresh *data = g_new0 (Refresh, 1);

  data->self = g_object_ref (self);
  data->events = events;
  data->first = first;
  ood_tcl_connection_call_async (self->command, script, OOD_TCL_CALL_SHAREABLE,
                                 self->settings.command_timeout_ms, on_refresh_reply, data);
}

static gboolean
on_refresh_idle (gpointer user_data)
{
  OodEndpoint *self = user_data;
  GPtrArray *events = g_steal_pointer (&self->events);

  g_clear_pointer (&self->refresh_idle, g_source_unref);
  if (self->command != NULL)
    refresh (self, events, FALSE);
  else
    g_clear_pointer (&events, g_ptr_array_unref);
  return G_SOURCE_REMOVE;
}

/* Notifications come in bursts (event, then state); one refresh after the
 * burst, scheduled ahead of any other work, serves them all. */
static void
request_refresh (OodEndpoint *self)
{
  if (self->refresh_idle != NULL)
    return;
  self->refresh_idle = g_idle_source_new ();
  g_source_set_priority (self->refresh_idle, G_PRIORITY_HIGH);
  g_source_set_callback (self->refresh_idle, on_refresh_idle, self, NULL);
  g_source_attach (self->refresh_idle, g_main_context_get_thread_default ());
}

static void
on_notification (OodTclConnection *connection, const char *message, gpointer user_data)
{
  OodEndpoint *self = user_data;
  OodTclNotification notification = { 0 };

  (void) connection;
  if (!ood_tcl_parse_notification (message, &notification))
    {
      g_debug ("%s: ignoring malformed notification", self->name);
      return;
    }
  g_debug ("%s: notification %d %s", self->name, notification.kind, notification.value);
  if (notification.kind == OOD_TCL_NOTIFY_EVENT)
    {
      if (self->events == NULL)
        self->events = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (self->events, g_steal_pointer (&notification.value));
    }
  ood_tcl_notification_clear (&notification);
  request_refresh (self);
}

static gboolean
on_poll (gpointer user_data)
{
  OodEndpoint *self = user_data;

  if (self->command != NULL)
    refresh (self, NULL, FALSE);
  return G_SOURCE_CONTINUE;
}

/* ---- connection life cycle ----------------------------------------------- */

static gboolean
on_reconnect_timer (gpointer user_data)
{
  OodEndpoint *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
close_quietly (OodEndpoint *self, OodTclConnection *connection, const GError *reason)
{
  if (connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (connection, self);
  ood_tcl_connection_close (connection, reason);
}

static void
drop_connections (OodEndpoint *self, const GError *reason)
{
  g_autoptr(OodTclConnection) command = g_steal_pointer (&self->command);
  g_autoptr(OodTclConnection) notify = g_steal_pointer (&self->notify);

  if (self->attempt != NULL)
    g_cancellable_cancel (self->attempt);
  g_clear_object (&self->attempt);
  close_quietly (self, command, reason);
  close_quietly (self, notify, reason);
  set_timer (self, &self->deadline, 0, NULL);
  set_timer (self, &self->poll, 0, NULL);
  self->polling = FALSE;
  g_clear_pointer (&self->events, g_ptr_array_unref);
}

static void
mark_disconnected (OodEndpoint *self, const GError *reason)
{
  GHashTableIter iter;
  gpointer value;

  ood_dbus_endpoint_set_connected (self->iface, FALSE);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ood_target_disconnected (value, reason);
}

static void
on_closed (OodTclConnection *connection, const GError *reason, gpointer user_data)
{
  OodEndpoint *self = user_data;
  g_autoptr(GError) disconnected = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                                "lost OpenOCD at %s: %s", self->address,
                                                reason->message);

  (void) connection;
  if (ood_dbus_endpoint_get_connected (self->iface))
    g_warning ("%s: %s", self->name, disconnected->message);
  else
    g_debug ("%s: %s", self->name, disconnected->message);
  drop_connections (self, disconnected);
  mark_disconnected (self, disconnected);
  if (self->stopped)
    return;
  set_timer (self, &self->retry, self->backoff_ms, on_reconnect_timer);
  g_debug ("%s: next attempt in %u ms", self->name, self->backoff_ms);
  self->backoff_ms = MIN (self->backoff_ms * 2, self->settings.backoff_max_ms);
}

static void
on_version (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = finish_unwrapped (source, result, &error);

  if (text == NULL)
    return;
  ood_dbus_endpoint_set_version (self->iface, g_strstrip (text));
}

static void
on_notifications_on (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = finish_unwrapped (source, result, &error);

  if (text != NULL || self->notify == NULL ||
      g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    return;
  g_warning ("%s: OpenOCD refused notifications (%s); polling every %u ms instead",
             self->name, error->message, self->settings.poll_interval_ms);
  self->polling = TRUE;
  set_timer (self, &self->poll, self->settings.poll_interval_ms, on_poll);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  OodTclConnection *connection = OOD_TCL_CONNECTION (source);
  g_autoptr(GError) error = NULL;

  if (!ood_tcl_connection_connect_finish (connection, result, &error))
    ood_tcl_connection_close (connection, error);
  else if (self->command != NULL && ood_tcl_connection_is_open (self->command) &&
           self->notify != NULL && ood_tcl_connection_is_open (self->notify))
    set_timer (self, &self->deadline, 0, NULL);
}

static gboolean
on_connect_deadline (gpointer user_data)
{
  OodEndpoint *self = user_data;

  g_clear_pointer (&self->deadline, g_source_unref);
  g_debug ("%s: connecting to %s timed out", self->name, self->address);
  g_cancellable_cancel (self->attempt);
  return G_SOURCE_REMOVE;
}

static OodTclConnection *
open_connection (OodEndpoint *self, guint max_waiting)
{
  OodTclConnection *connection = ood_tcl_connection_new (max_waiting);

  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  ood_tcl_connection_connect_async (connection, self->address, self->attempt, on_connected,
                                    g_object_ref (self));
  return connection;
}

/* Opens both connections and queues what a new connection needs: the
 * version, notifications, and the first refresh that exports targets. */
static void
connect_now (OodEndpoint *self)
{
  g_autofree char *version = ood_tcl_script_version ();
  g_autofree char *notifications = ood_tcl_script_notifications_on ();

  g_debug ("%s: connecting to %s", self->name, self->address);
  self->attempt = g_cancellable_new ();
  self->command = open_connection (self, self->settings.max_waiting);
  self->notify = open_connection (self, NOTIFY_MAX_WAITING);
  g_signal_connect (self->notify, "notification", G_CALLBACK (on_notification), self);
  set_timer (self, &self->deadline, self->settings.connect_timeout_ms, on_connect_deadline);

  ood_tcl_connection_call_async (self->notify, notifications, OOD_TCL_CALL_NONE,
                                 self->settings.command_timeout_ms, on_notifications_on,
                                 g_object_ref (self));
  ood_tcl_connection_call_async (self->command, version, OOD_TCL_CALL_NONE,
                                 self->settings.command_timeout_ms, on_version,
                                 g_object_ref (self));
  refresh (self, NULL, TRUE);
}

/**
 * ood_endpoint_start:
 *
 * Exports the endpoint object and starts connecting to OpenOCD.
 */
void
ood_endpoint_start (OodEndpoint *self)
{
  g_dbus_object_manager_server_export (self->manager, G_DBUS_OBJECT_SKELETON (self->object));
  connect_now (self);
}

/**
 * ood_endpoint_stop:
 *
 * Disconnects for good and unexports the endpoint and its targets; calls
 * in progress fail with %OOD_ERROR_DISCONNECTED.
 */
void
ood_endpoint_stop (OodEndpoint *self)
{
  g_autoptr(GError) stopped = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                           "endpoint %s was removed", self->name);
  g_autoptr(GPtrArray) targets = NULL;
  GHashTableIter iter;
  gpointer value;

  if (self->stopped)
    return;
  self->stopped = TRUE;
  drop_connections (self, stopped);
  set_timer (self, &self->retry, 0, NULL);
  mark_disconnected (self, stopped);
  if (self->refresh_idle != NULL)
    g_source_destroy (self->refresh_idle);
  g_clear_pointer (&self->refresh_idle, g_source_unref);
  targets = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (targets, g_object_ref (value));
  for (guint i = 0; i < targets->len; i++)
    remove_target (self, targets->pdata[i]);
  g_dbus_object_manager_server_unexport (self->manager, self->path);
}

static void
ood_endpoint_dispose (GObject *object)
{
  OodEndpoint *self = OOD_ENDPOINT (object);

  ood_endpoint_stop (self);
  g_clear_object (&self->iface);
  g_clear_object (&self->object);
  g_clear_object (&self->manager);
  G_OBJECT_CLASS (ood_endpoint_parent_class)->dispose (object);
}

static void
ood_endpoint_finalize (GObject *object)
{
  OodEndpoint *self = OOD_ENDPOINT (object);

  g_hash_table_unref (self->targets);
  g_free (self->name);
  g_free (self->address);
  g_free (self->path);
  G_OBJECT_CLASS (ood_endpoint_parent_class)->finalize (object);
}

static void
ood_endpoint_class_init (OodEndpointClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_endpoint_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_endpoint_finalize;
}

static void
ood_endpoint_init (OodEndpoint *self)
{
  self->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * ood_endpoint_new:
 * @manager: where the endpoint and its targets are exported
 * @name: the endpoint's name; its object is /org/openocd/ESCAPED_NAME
 * @address: OpenOCD's Tcl RPC server, "host:port"
 *
 * Returns: (transfer full): a new endpoint; call ood_endpoint_start()
 */
OodEndpoint *
ood_endpoint_new (GDBusObjectManagerServer *manager, const char *name, const char *address,
                   const OodSettings *settings)
{
  OodEndpoint *self = g_object_new (OOD_TYPE_ENDPOINT, NULL);
  g_autofree char *escaped = g_dbus_escape_object_path (name);
  const char *no_targets[] = { NULL };

  self->name = g_strdup (name);
  self->address = g_strdup (address);
  self->settings = *settings;
  self->backoff_ms = settings->backoff_min_ms;
  self->manager = g_object_ref (manager);
  self->path = g_strdup_printf ("%s/%s",
                                g_dbus_object_manager_get_object_path (G_DBUS_OBJECT_MANAGER (manager)),
                                escaped);
  self->iface = ood_dbus_endpoint_skeleton_new ();
  ood_dbus_endpoint_set_name (self->iface, name);
  ood_dbus_endpoint_set_address (self->iface, address);
  ood_dbus_endpoint_set_version (self->iface, "");
  ood_dbus_endpoint_set_targets (self->iface, no_targets);
  self->object = ood_dbus_object_skeleton_new (self->path);
  ood_dbus_object_skeleton_set_endpoint (self->object, self->iface);
  return self;
}
