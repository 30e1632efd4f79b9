/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-endpoint"

#include "ood-endpoint.h"

#include <string.h>

#include "ood-breakpoints.h"
#include "ood-config.h"
#include "ood-error.h"
#include "ood-flash.h"
#include "ood-generated.h"
#include "ood-memory.h"
#include "ood-registers.h"
#include "ood-session.h"
#include "ood-state.h"
#include "ood-target.h"
#include "ood-tcl-flash.h"
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
  const char               *notified;    /* the last state notified since (interned), or NULL */
  GPtrArray                *banks;       /* (element-type OodTclFlashBank) learnt at connect */
  char                     *shared_dir;  /* SharedDirectory=, or NULL */
  GSource                  *refresh_idle;
  GSource                  *poll;        /* only while OpenOCD refuses notifications */
  GSource                  *retry;       /* of a first refresh that failed */
  GSource                  *probe;       /* checks targets OpenOCD does not watch */
  gboolean                  stopped;
};

G_DEFINE_FINAL_TYPE (OodEndpoint, ood_endpoint, G_TYPE_OBJECT)

#define FIRST_REFRESH_RETRY_MS 1000

static void drop_source (GSource **slot);
static void start_probing (OodEndpoint *self);

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

/**
 * ood_endpoint_set_shared_dir:
 * @shared_dir: (nullable): a directory OpenOCD reads as this service
 *   writes it (SharedDirectory=); for targets exported from now on
 */
void
ood_endpoint_set_shared_dir (OodEndpoint *self, const char *shared_dir)
{
  g_free (self->shared_dir);
  self->shared_dir = g_strdup (shared_dir);
}

const char *
ood_endpoint_get_shared_dir (OodEndpoint *self)
{
  return self->shared_dir;
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

/* Where images for OpenOCD go: the SharedDirectory, else, if OpenOCD is
 * on this host, $RUNTIME_DIRECTORY (systemd's) or the temporary
 * directory; NULL if OpenOCD could not read any file of ours. */
static char *
flash_work_dir (OodEndpoint *self)
{
  const char *runtime = g_getenv ("RUNTIME_DIRECTORY");

  if (self->shared_dir != NULL)
    return g_strdup (self->shared_dir);
  if (!ood_config_address_is_local (ood_endpoint_get_address (self)))
    return NULL;
  if (runtime != NULL && runtime[0] != '\0')
    return g_strndup (runtime, strcspn (runtime, ":"));
  return g_strdup (g_get_tmp_dir ());
}

/* org.openocd.Flash, for a target OpenOCD listed flash banks of. */
static void
add_flash (OodEndpoint *self, OodDbusObjectSkeleton *object, const char *name, const char *path)
{
  g_autoptr(GPtrArray) banks = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_tcl_flash_bank_free);
  g_autoptr(OodFlash) flash = NULL;
  g_autofree char *work_dir = NULL;

  for (guint i = 0; self->banks != NULL && i < self->banks->len; i++)
    if (g_str_equal (((OodTclFlashBank *) self->banks->pdata[i])->target, name))
      g_ptr_array_add (banks, ood_tcl_flash_bank_copy (self->banks->pdata[i]));
  if (banks->len == 0)
    return;
  work_dir = flash_work_dir (self);
  flash = ood_flash_new (self->session, self->manager, name, path, banks, work_dir,
                         self->shared_dir != NULL);
  ood_dbus_object_skeleton_set_flash (object, OOD_DBUS_FLASH (flash));
}

/* The object of a new target, with every interface a target has, each
 * handed the session. */
static OodDbusObjectSkeleton *
target_object_new (OodEndpoint *self, const OodTclTargetRecord *record)
{
  g_autofree char *escaped = g_dbus_escape_object_path (record->name);
  g_autofree char *path = g_strdup_printf ("%s/%s", self->path, escaped);
  g_autoptr(OodBreakpoints) breakpoints = ood_breakpoints_new (self->session, record->name);
  g_autoptr(OodTarget) target = ood_target_new (self->session, self->name, record);
  g_autoptr(OodRegisters) registers = ood_registers_new (self->session, record->name, target);
  g_autoptr(OodMemory) memory = ood_memory_new (self->session, record->name);
  OodDbusObjectSkeleton *object = ood_dbus_object_skeleton_new (path);

  if (record->breakpoints != NULL)
    ood_breakpoints_update (breakpoints, record->breakpoints);
  ood_dbus_object_skeleton_set_target (object, OOD_DBUS_TARGET (target));
  ood_dbus_object_skeleton_set_breakpoints (object, OOD_DBUS_BREAKPOINTS (breakpoints));
  ood_dbus_object_skeleton_set_registers (object, OOD_DBUS_REGISTERS (registers));
  ood_dbus_object_skeleton_set_memory (object, OOD_DBUS_MEMORY (memory));
  add_flash (self, object, record->name, path);
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

/* Makes the exported targets those of @records: removes the stale,
 * exports the new. Returns whether the set changed. */
static gboolean
reconcile_membership (OodEndpoint *self, GPtrArray *records)
{
  g_autoptr(GPtrArray) names = dup_names (self);
  gboolean changed = FALSE;

  for (guint i = 0; i < names->len; i++)
    if (!record_listed (records, names->pdata[i]))
      {
        remove_target (self, names->pdata[i]);
        changed = TRUE;
      }
  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      if (!g_hash_table_contains (self->targets, record->name))
        {
          add_target (self, record);
          changed = TRUE;
        }
    }
  return changed;
}

/* Applies @records to the targets (all exported by now); returns the
 * targets whose state or PC changed. */
static GPtrArray *
apply_records (OodEndpoint *self, GPtrArray *records)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, record->name);

      if (ood_target_apply (target_of (object), record))
        g_ptr_array_add (changed, g_object_ref (target_of (object)));
      if (record->breakpoints != NULL)
        ood_breakpoints_update (breakpoints_of (object), record->breakpoints);
    }
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

/* The first refresh of a connection: Connected and Targets go out in one
 * PropertiesChanged, before any target reports. */
static void
mark_connected (OodEndpoint *self)
{
  g_object_freeze_notify (G_OBJECT (self->iface));
  ood_dbus_endpoint_set_connected (self->iface, TRUE);
  ood_dbus_endpoint_set_last_error (self->iface, "");
  publish_target_list (self);
  g_object_thaw_notify (G_OBJECT (self->iface));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
  g_message ("%s: connected to OpenOCD at %s, %u targets", self->name,
             ood_endpoint_get_address (self), g_hash_table_size (self->targets));
  start_probing (self);
}

static void refresh (OodEndpoint *self, GPtrArray *events, gboolean first);

static gboolean
on_retry_first_refresh (gpointer user_data)
{
  OodEndpoint *self = user_data;

  drop_source (&self->retry);
  if (ood_session_is_open (self->session))
    refresh (self, NULL, TRUE);
  return G_SOURCE_REMOVE;
}

/* A connection whose first refresh failed (not by disconnecting) has no
 * targets yet: the refresh is tried again until it works. */
static void
retry_first_refresh (OodEndpoint *self)
{
  drop_source (&self->retry);
  self->retry = g_timeout_source_new (FIRST_REFRESH_RETRY_MS);
  g_source_set_callback (self->retry, on_retry_first_refresh, self, NULL);
  g_source_attach (self->retry, g_main_context_get_thread_default ());
}

/* What the interfaces of each target learn once per connection. */
static void
learn_targets (OodEndpoint *self)
{
  g_autoptr(GPtrArray) objects = dup_objects (self);

  for (guint i = 0; i < objects->len; i++)
    {
      OodDbusObject *object = OOD_DBUS_OBJECT (objects->pdata[i]);

      /* the register names, address width and byte order */
      ood_registers_learn (OOD_REGISTERS (ood_dbus_object_peek_registers (object)));
      ood_memory_learn (OOD_MEMORY (ood_dbus_object_peek_memory (object)));
    }
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
      if (g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
        ;
      else if (done->first)
        {
          g_warning ("%s: cannot list OpenOCD's targets: %s; trying again in %u ms", self->name,
                     error->message, FIRST_REFRESH_RETRY_MS);
          retry_first_refresh (self);
        }
      else
        g_warning ("%s: cannot refresh targets: %s", self->name, error->message);
    }
  else
    {
      gboolean membership_changed = reconcile_membership (self, records);
      g_autoptr(GPtrArray) changed = NULL;

      if (done->first)
        mark_connected (self);
      else if (membership_changed)
        publish_target_list (self);
      changed = apply_records (self, records);
      deliver_events (self, done->events, changed);
      if (done->first)
        learn_targets (self);
    }
  refresh_free (done);
}

/* Refreshes every target. Types (one OpenOCD command more per target)
 * and breakpoint listings of running targets are asked for only by the
 * refresh that completes a connect: OpenOCD 0.12 cannot create targets
 * once initialised (`target create` then does nothing), so no target
 * appears later without its type. */
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

static void
on_listing (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodDbusObjectSkeleton) object = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (listing != NULL)
    ood_breakpoints_update (breakpoints_of (object), listing);
  else if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    g_debug ("cannot list breakpoints: %s", error->message);
}

typedef struct {
  Refresh                refresh;
  OodDbusObjectSkeleton *object;   /* the one target */
} KnownRefresh;

static void on_refresh_reply (GObject *source, GAsyncResult *result, gpointer user_data);

/* The fast refresh is done: publish it, then list the breakpoints of a
 * halted target (OpenOCD announces no breakpoint changes; those others
 * make, they mostly make while the target is halted). The listing is a
 * round trip of its own so that the state and PC go out one OpenOCD
 * command after the notification. */
static void
on_known_refresh_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  KnownRefresh *known = user_data;
  OodDbusObjectSkeleton *object = known->object;
  OodEndpoint *self = g_object_ref (known->refresh.self);
  OodTarget *target = target_of (object);

  on_refresh_reply (source, result, g_memdup2 (&known->refresh, sizeof known->refresh));
  g_free (known);
  if (!self->stopped &&
      g_strcmp0 (ood_dbus_target_get_state (OOD_DBUS_TARGET (target)), OOD_STATE_HALTED) == 0)
    {
      g_autofree char *script = ood_tcl_script_bp_list (ood_target_get_name (target));
      ood_session_call_async (self->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                              on_listing, g_object_ref (object));
    }
  g_object_unref (object);
  g_object_unref (self);
}

/* With one target, a burst whose last notified state is "halted" needs
 * only the PC: one OpenOCD command where a full refresh costs three or
 * four. Other states are read afresh (a "running" may be older than a
 * halt a method's reply already published). */
static gboolean
refresh_known (OodEndpoint *self, GPtrArray *events, const char *state)
{
  KnownRefresh *known;
  GHashTableIter iter;
  gpointer value;
  g_autofree char *script = NULL;

  if (g_strcmp0 (state, OOD_STATE_HALTED) != 0 || g_hash_table_size (self->targets) != 1)
    return FALSE;
  g_hash_table_iter_init (&iter, self->targets);
  g_hash_table_iter_next (&iter, NULL, &value);
  known = g_new0 (KnownRefresh, 1);
  known->refresh.self = g_object_ref (self);
  known->refresh.events = events;
  known->object = g_object_ref (value);
  script = ood_tcl_script_refresh_halted (ood_target_get_name (target_of (value)));
  /* a read like any refresh: it must not go ahead of one still queued,
   * or the events of a burst would come out of order */
  ood_session_call_async (self->session, script,
                          OOD_SESSION_CALL_SHAREABLE | OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_known_refresh_reply, known);
  return TRUE;
}

static gboolean
on_refresh_idle (gpointer user_data)
{
  OodEndpoint *self = user_data;
  GPtrArray *events;
  const char *state;

  g_clear_pointer (&self->refresh_idle, g_source_unref);
  /* held back until the job ends (on_released) */
  if (ood_session_has_claims (self->session))
    return G_SOURCE_REMOVE;
  events = g_steal_pointer (&self->events);
  state = g_steal_pointer (&self->notified);
  if (!ood_session_is_open (self->session))
    g_clear_pointer (&events, g_ptr_array_unref);
  else if (!refresh_known (self, events, state))
    refresh (self, events, FALSE);
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

/* ---- reachability ------------------------------------------------------- */

static void
publish_unreachable (OodEndpoint *self)
{
  g_autoptr(GPtrArray) objects = dup_objects (self);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < objects->len; i++)
    if (!ood_target_get_reachable (target_of (objects->pdata[i])))
      g_ptr_array_add (paths, (gpointer) g_dbus_object_get_object_path (objects->pdata[i]));
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (paths, NULL);
  ood_dbus_endpoint_set_unreachable (self->iface, (const char *const *) paths->pdata);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
}

/* Marks the target of @object (un)reachable; returns whether that changed. */
static gboolean
set_reachable (OodEndpoint *self, OodDbusObjectSkeleton *object, gboolean reachable)
{
  OodTarget *target = target_of (object);

  if (ood_target_get_reachable (target) == reachable)
    return FALSE;
  if (reachable)
    g_message ("%s: OpenOCD reaches %s again", self->name, ood_target_get_name (target));
  else
    g_warning ("%s: OpenOCD cannot reach %s", self->name, ood_target_get_name (target));
  ood_target_set_reachable (target, reachable);
  return TRUE;
}

/* OpenOCD announces a target it cannot poll with examine-fail (after
 * re-examining it), and its recovery with examine-end; like every event,
 * without naming the target: all of the endpoint's targets share it. */
static void
on_reachability_event (OodEndpoint *self, gboolean reachable)
{
  g_autoptr(GPtrArray) objects = dup_objects (self);
  gboolean changed = FALSE;

  for (guint i = 0; i < objects->len; i++)
    changed |= set_reachable (self, objects->pdata[i], reachable);
  if (changed)
    publish_unreachable (self);
}

typedef struct {
  OodEndpoint *self;
  GPtrArray   *names;   /* the targets probed, in the script's order */
} Probe;

static void
on_probe_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Probe *probe = user_data;
  OodEndpoint *self = probe->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_auto(GStrv) failed = text != NULL ? ood_tcl_parse_list (text, &error) : NULL;
  gboolean changed = FALSE, recovered = FALSE;

  if (failed != NULL && !self->stopped && g_strv_length (failed) == probe->names->len)
    for (guint i = 0; i < probe->names->len; i++)
      {
        OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, probe->names->pdata[i]);
        gboolean reachable = g_str_equal (failed[i], "0");

        if (object != NULL && set_reachable (self, object, reachable))
          {
            changed = TRUE;
            recovered |= reachable;
          }
      }
  if (changed)
    publish_unreachable (self);
  if (recovered)
    request_refresh (self);
  g_ptr_array_unref (probe->names);
  g_object_unref (probe->self);
  g_free (probe);
}

/* OpenOCD 0.12 polls a RISC-V target it cannot reach without saying so:
 * riscv-013 takes a failed dmstatus read for a running hart, and emits
 * no event. So such targets are checked here, by reading dmstatus. */
static gboolean
on_probe (gpointer user_data)
{
  OodEndpoint *self = user_data;
  g_autoptr(GPtrArray) objects = dup_objects (self);
  Probe *probe;
  g_autofree char *script = NULL;

  /* a job's own commands find a broken link out soon enough */
  if (!ood_session_is_open (self->session) || !ood_dbus_endpoint_get_connected (self->iface) ||
      ood_session_has_claims (self->session))
    return G_SOURCE_CONTINUE;
  probe = g_new0 (Probe, 1);
  probe->self = g_object_ref (self);
  probe->names = g_ptr_array_new_null_terminated (objects->len, g_free, TRUE);
  for (guint i = 0; i < objects->len; i++)
    {
      OodDbusTarget *target = OOD_DBUS_TARGET (target_of (objects->pdata[i]));
      if (g_strcmp0 (ood_dbus_target_get_target_type (target), "riscv") == 0)
        g_ptr_array_add (probe->names, g_strdup (ood_dbus_target_get_name (target)));
    }
  if (probe->names->len == 0)
    {
      g_ptr_array_unref (probe->names);
      g_object_unref (probe->self);
      g_free (probe);
      return G_SOURCE_CONTINUE;
    }
  script = ood_tcl_script_probe_riscv ((const char *const *) probe->names->pdata);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_probe_reply, probe);
  return G_SOURCE_CONTINUE;
}

static void
start_probing (OodEndpoint *self)
{
  guint interval = ood_session_get_settings (self->session)->probe_interval_ms;

  drop_source (&self->probe);
  if (interval == 0)
    return;
  self->probe = g_timeout_source_new (interval);
  g_source_set_callback (self->probe, on_probe, self, NULL);
  g_source_attach (self->probe, g_main_context_get_thread_default ());
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
queue_event (OodEndpoint *self, char *event)
{
  if (ood_session_has_claims (self->session) && is_run_event (event))
    {
      g_free (event);
      return;
    }
  if (self->events == NULL)
    self->events = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->events, event);
}

static void
on_notification (OodSession *session, gint kind, const char *value, gpointer user_data)
{
  OodEndpoint *self = user_data;

  (void) session;
  if (kind == OOD_TCL_NOTIFY_EVENT)
    {
      if (g_str_equal (value, "examine-fail"))
        on_reachability_event (self, FALSE);
      else if (g_str_equal (value, "examine-end"))
        on_reachability_event (self, TRUE);
      queue_event (self, g_strdup (value));
    }
  else if (kind == OOD_TCL_NOTIFY_RESET)
    queue_event (self, g_strdup_printf ("reset-%s", value));
  else if (kind == OOD_TCL_NOTIFY_STATE)
    self->notified = ood_state_canonical (value);
  request_refresh (self);
}

/* While a job holds a target, the notifications are collected and no
 * refresh is made (the job's steps would wait for it, and it would only
 * see the loader's runs); when the last job ends, one refresh publishes
 * what the jobs left, with the events kept (a reset, say). State() reads
 * OpenOCD all along. */
static void
on_released (OodSession *session, const char *target, gpointer user_data)
{
  OodEndpoint *self = user_data;

  (void) target;
  if (!ood_session_has_claims (session) && ood_session_is_open (session))
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

static void
on_banks (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  GPtrArray *banks = text != NULL ? ood_tcl_parse_flash_banks (text, &error) : NULL;

  if (banks == NULL && !g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    g_warning ("%s: cannot list flash banks: %s", self->name, error->message);
  g_clear_pointer (&self->banks, g_ptr_array_unref);
  self->banks = banks;
}

/* A new connection: learn the version and the flash banks, then export
 * the targets (the replies come in this order). */
static void
on_opened (OodSession *session, gpointer user_data)
{
  OodEndpoint *self = user_data;
  g_autofree char *version = ood_tcl_script_version ();
  g_autofree char *banks = ood_tcl_script_flash_banks ();

  ood_session_call_async (session, version, OOD_SESSION_CALL_HOUSEKEEPING, NULL, on_version,
                          g_object_ref (self));
  ood_session_call_async (session, banks, OOD_SESSION_CALL_HOUSEKEEPING, NULL, on_banks,
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
  const char *why = ood_session_get_last_error (session);

  why = why != NULL ? why : reason->message;
  /* once per reason: attempts retried with backoff repeat theirs */
  if (ood_dbus_endpoint_get_connected (self->iface) ||
      g_strcmp0 (why, ood_dbus_endpoint_get_last_error (self->iface)) != 0)
    g_warning ("%s: %s", self->name, reason->message);
  else
    g_debug ("%s: %s", self->name, reason->message);
  drop_source (&self->poll);
  drop_source (&self->probe);
  drop_source (&self->retry);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  self->notified = NULL;
  /* Connected and LastError in one PropertiesChanged */
  g_object_freeze_notify (G_OBJECT (self->iface));
  ood_dbus_endpoint_set_connected (self->iface, FALSE);
  ood_dbus_endpoint_set_last_error (self->iface, why);
  g_object_thaw_notify (G_OBJECT (self->iface));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->iface));
  for (guint i = 0; i < objects->len; i++)
    {
      /* a new connection finds out afresh what OpenOCD reaches */
      ood_target_set_reachable (target_of (objects->pdata[i]), TRUE);
      ood_target_disconnected (target_of (objects->pdata[i]), reason);
      ood_breakpoints_forget (breakpoints_of (objects->pdata[i]));
    }
  publish_unreachable (self);
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
  drop_source (&self->probe);
  drop_source (&self->retry);
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
  g_clear_pointer (&self->banks, g_ptr_array_unref);
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
  g_free (self->shared_dir);
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
  g_signal_connect (self->session, "released", G_CALLBACK (on_released), self);
  g_signal_connect (self->session, "notifications-refused",
                    G_CALLBACK (on_notifications_refused), self);

  self->iface = ood_dbus_endpoint_skeleton_new ();
  ood_dbus_endpoint_set_name (self->iface, name);
  ood_dbus_endpoint_set_address (self->iface, address);
  ood_dbus_endpoint_set_version (self->iface, "");
  ood_dbus_endpoint_set_last_error (self->iface, "");
  ood_dbus_endpoint_set_targets (self->iface, no_targets);
  ood_dbus_endpoint_set_unreachable (self->iface, no_targets);
  self->object = ood_dbus_object_skeleton_new (self->path);
  ood_dbus_object_skeleton_set_endpoint (self->object, self->iface);
  return self;
}
