/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-endpoint"

#include "ood-endpoint.h"

#include "ood-breakpoints.h"
#include "ood-error.h"
#include "ood-generated.h"
#include "ood-session.h"
#include "ood-state.h"
#include "ood-target.h"
#include "ood-tcl-script.h"

/*
 * The targets of one OpenOCD, exported below the endpoint's object. Each
 * notification triggers one refresh of all targets (a notification does
 * not name its target), coalesced with any refresh not yet sent. When the
 * session loses OpenOCD, the targets go "unknown" until it is back.
 *
 * Ownership: the endpoint holds its session and, in @targets, the object
 * skeleton of each target; each skeleton owns its interfaces, which hold
 * the session they were handed and nothing above them.
 */

struct _OodEndpoint {
  GObject                   parent_instance;

  char                     *name;
  char                     *path;
  GDBusObjectManagerServer *manager;
  OodDbusObjectSkeleton    *object;
  OodDbusEndpoint          *iface;
  OodSession               *session;

  GHashTable               *targets;     /* name → OodDbusObjectSkeleton */
  GPtrArray                *events;      /* event names awaiting a refresh */
  GSource                  *refresh_idle;
  GSource                  *poll;        /* only while OpenOCD refuses notifications */
  gboolean                  stopped;
};

G_DEFINE_FINAL_TYPE (OodEndpoint, ood_endpoint, G_TYPE_OBJECT)

const char *
ood_endpoint_get_name (OodEndpoint *self)
{
  return self->name;
}

const char *
ood_endpoint_get_address (OodEndpoint *self)
{
  return ood_session_get_address (self->session);
}

static OodTarget *
target_of (OodDbusObjectSkeleton *object)
{
  return OOD_TARGET (ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object)));
}

static OodBreakpoints *
breakpoints_of (OodDbusObjectSkeleton *object)
{
  return OOD_BREAKPOINTS (ood_dbus_object_peek_breakpoints (OOD_DBUS_OBJECT (object)));
}

/* The targets' objects, as a list that stays valid while targets go. */
static GPtrArray *
dup_objects (OodEndpoint *self)
{
  GPtrArray *objects = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (objects, g_object_ref (value));
  return objects;
}

/* The targets' names, as a list that stays valid while targets go. */
static GPtrArray *
dup_names (OodEndpoint *self)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  return names;
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
    g_ptr_array_add (paths, (gpointer) g_dbus_object_get_object_path (G_DBUS_OBJECT (value)));
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (paths, NULL);
  ood_dbus_endpoint_set_targets (self->iface, (const char *const *) paths->pdata);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
}

static void
remove_target (OodEndpoint *self, const char *name)
{
  OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, name);

  g_info ("%s: target %s is gone", self->name, name);
  g_dbus_object_manager_server_unexport (self->manager,
                                         g_dbus_object_get_object_path (G_DBUS_OBJECT (object)));
  g_hash_table_remove (self->targets, name);
}

/* The object of a new target, with every interface a target has, each
 * handed the session. */
static OodDbusObjectSkeleton *
target_object_new (OodEndpoint *self, const OodTclTargetRecord *record)
{
  g_autofree char *escaped = g_dbus_escape_object_path (record->name);
  g_autofree char *path = g_strdup_printf ("%s/%s", self->path, escaped);
  g_autoptr(OodBreakpoints) breakpoints = ood_breakpoints_new (self->session, record->name);
  g_autoptr(OodTarget) target = ood_target_new (self->session, self->name, record, breakpoints);
  OodDbusObjectSkeleton *object = ood_dbus_object_skeleton_new (path);

  ood_dbus_object_skeleton_set_target (object, OOD_DBUS_TARGET (target));
  ood_dbus_object_skeleton_set_breakpoints (object, OOD_DBUS_BREAKPOINTS (breakpoints));
  return object;
}

static void
add_target (OodEndpoint *self, const OodTclTargetRecord *record)
{
  OodDbusObjectSkeleton *object = target_object_new (self, record);

  g_info ("%s: target %s (%s) is %s", self->name, record->name,
          record->type != NULL ? record->type : "type unknown", record->state);
  g_hash_table_insert (self->targets, g_strdup (record->name), object);
  g_dbus_object_manager_server_export (self->manager, G_DBUS_OBJECT_SKELETON (object));
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
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) names = dup_names (self);
  gboolean membership_changed = FALSE;

  for (guint i = 0; i < names->len; i++)
    if (!record_listed (records, names->pdata[i]))
      {
        remove_target (self, names->pdata[i]);
        membership_changed = TRUE;
      }

  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, record->name);
      if (object == NULL)
        {
          add_target (self, record);
          membership_changed = TRUE;
        }
      else if (ood_target_apply (target_of (object), record))
        g_ptr_array_add (changed, g_object_ref (target_of (object)));
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
  g_autoptr(GPtrArray) all = NULL;

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      const char *event = events->pdata[i];

      if (changed->len > 0)
        {
          for (guint j = 0; j < changed->len; j++)
            ood_target_emit_event (changed->pdata[j], event);
          continue;
        }
      if (all == NULL)
        all = dup_objects (self);
      for (guint j = 0; j < all->len; j++)
        ood_target_emit_event (target_of (all->pdata[j]), event);
    }
}

/* ---- refresh ------------------------------------------------------------ */

typedef struct {
  OodEndpoint *self;
  GPtrArray   *events;
  gboolean     first;   /* the refresh that completes a connect */
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
  ood_dbus_endpoint_set_connected (self->iface, TRUE);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_message ("%s: connected to OpenOCD at %s, %u targets", self->name,
             ood_endpoint_get_address (self), g_hash_table_size (self->targets));
}

/* OpenOCD, not the service, knows which breakpoints are set: after a
 * connect each target's list is read from it (empty after a restart,
 * kept after a mere lost connection, and including any set by others). */
static void
learn_breakpoints (OodEndpoint *self)
{
  g_autoptr(GPtrArray) objects = dup_objects (self);

  for (guint i = 0; i < objects->len; i++)
    ood_breakpoints_learn (breakpoints_of (objects->pdata[i]));
}

static void
on_refresh_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refresh *done = user_data;
  OodEndpoint *self = done->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GPtrArray) records = text != NULL ? ood_tcl_parse_records (text, &error) : NULL;

  if (self->stopped)
    ;
  else if (records == NULL)
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
  ood_session_call_async (self->session, script,
                          OOD_SESSION_CALL_SHAREABLE | OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_refresh_reply, data);
}

static gboolean
on_refresh_idle (gpointer user_data)
{
  OodEndpoint *self = user_data;
  GPtrArray *events = g_steal_pointer (&self->events);

  g_clear_pointer (&self->refresh_idle, g_source_unref);
  if (ood_session_is_open (self->session))
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
drop_source (GSource **slot)
{
  if (*slot != NULL)
    g_source_destroy (*slot);
  g_clear_pointer (slot, g_source_unref);
}

/* ---- the session's signals ---------------------------------------------- */

static void
on_notification (OodSession *session, gint kind, const char *value, gpointer user_data)
{
  OodEndpoint *self = user_data;

  (void) session;
  if (kind == OOD_TCL_NOTIFY_EVENT)
    {
      if (self->events == NULL)
        self->events = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (self->events, g_strdup (value));
    }
  request_refresh (self);
}

static gboolean
on_poll (gpointer user_data)
{
  OodEndpoint *self = user_data;

  if (ood_session_is_open (self->session))
    refresh (self, NULL, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
on_notifications_refused (OodSession *session, const GError *reason, gpointer user_data)
{
  OodEndpoint *self = user_data;
  guint interval = ood_session_get_settings (session)->poll_interval_ms;

  g_warning ("%s: OpenOCD refused notifications (%s); polling every %u ms instead",
             self->name, reason->message, interval);
  drop_source (&self->poll);
  self->poll = g_timeout_source_new (interval);
  g_source_set_callback (self->poll, on_poll, self, NULL);
  g_source_attach (self->poll, g_main_context_get_thread_default ());
}

static void
on_version (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (text == NULL || self->stopped)
    return;
  ood_dbus_endpoint_set_version (self->iface, g_strstrip (text));
}

/* A new connection: learn the version, then export the targets. */
static void
on_opened (OodSession *session, gpointer user_data)
{
  OodEndpoint *self = user_data;
  g_autofree char *version = ood_tcl_script_version ();

  ood_session_call_async (session, version, OOD_SESSION_CALL_HOUSEKEEPING, NULL, on_version,
                          g_object_ref (self));
  refresh (self, NULL, TRUE);
}

/* The connection is lost: until it is back (and the lists are read
 * again) the targets' state and breakpoints are unknown. */
static void
on_closed (OodSession *session, const GError *reason, gpointer user_data)
{
  OodEndpoint *self = user_data;
  g_autoptr(GPtrArray) objects = dup_objects (self);

  (void) session;
  if (ood_dbus_endpoint_get_connected (self->iface))
    g_warning ("%s: %s", self->name, reason->message);
  else
    g_debug ("%s: %s", self->name, reason->message);
  drop_source (&self->poll);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  ood_dbus_endpoint_set_connected (self->iface, FALSE);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
  for (guint i = 0; i < objects->len; i++)
    {
      ood_target_disconnected (target_of (objects->pdata[i]), reason);
      ood_breakpoints_forget (breakpoints_of (objects->pdata[i]));
    }
}

/* ---- life cycle --------------------------------------------------------- */

/**
 * ood_endpoint_start:
 *
 * Exports the endpoint object and starts connecting to OpenOCD.
 */
void
ood_endpoint_start (OodEndpoint *self)
{
  g_dbus_object_manager_server_export (self->manager, G_DBUS_OBJECT_SKELETON (self->object));
  ood_session_start (self->session);
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
  g_autoptr(GPtrArray) names = NULL;

  if (self->stopped)
    return;
  ood_session_stop (self->session);
  self->stopped = TRUE;
  g_signal_handlers_disconnect_by_data (self->session, self);
  drop_source (&self->refresh_idle);
  drop_source (&self->poll);
  names = dup_names (self);
  for (guint i = 0; i < names->len; i++)
    remove_target (self, names->pdata[i]);
  g_dbus_object_manager_server_unexport (self->manager, self->path);
}

static void
ood_endpoint_dispose (GObject *object)
{
  OodEndpoint *self = OOD_ENDPOINT (object);

  if (self->session != NULL)
    ood_endpoint_stop (self);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_object (&self->session);
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
  self->manager = g_object_ref (manager);
  self->path = g_strdup_printf ("%s/%s",
                                g_dbus_object_manager_get_object_path (G_DBUS_OBJECT_MANAGER (manager)),
                                escaped);
  self->session = ood_session_new (name, address, settings);
  g_signal_connect (self->session, "opened", G_CALLBACK (on_opened), self);
  g_signal_connect (self->session, "closed", G_CALLBACK (on_closed), self);
  g_signal_connect (self->session, "notification", G_CALLBACK (on_notification), self);
  g_signal_connect (self->session, "notifications-refused",
                    G_CALLBACK (on_notifications_refused), self);

  self->iface = ood_dbus_endpoint_skeleton_new ();
  ood_dbus_endpoint_set_name (self->iface, name);
  ood_dbus_endpoint_set_address (self->iface, address);
  ood_dbus_endpoint_set_version (self->iface, "");
  ood_dbus_endpoint_set_targets (self->iface, no_targets);
  self->object = ood_dbus_object_skeleton_new (self->path);
  ood_dbus_object_skeleton_set_endpoint (self->object, self->iface);
  return self;
}
