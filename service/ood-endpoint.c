/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-endpoint"

#include "ood-endpoint.h"

#include <string.h>

#include "ood-breakpoints.h"
#include "ood-call.h"
#include "ood-config.h"
#include "ood-endpoint-admin.h"
#include "ood-error.h"
#include "ood-flash.h"
#include "ood-lease.h"
#include "ood-lock.h"
#include "ood-memory.h"
#include "ood-reachability.h"
#include "ood-refresh.h"
#include "ood-registers.h"
#include "ood-reply.h"
#include "ood-rtt.h"
#include "ood-session.h"
#include "ood-state.h"
#include "ood-supervisor.h"
#include "ood-target.h"
#include "ood-tcl-flash.h"
#include "ood-tcl-script.h"

/*
 * The targets of one OpenOCD, exported below the endpoint's object. What
 * a refresh read (ood-refresh.h) is applied here: targets come and go,
 * their state and breakpoints follow, and the events of the burst go to
 * the targets they concern. When the session loses OpenOCD, the targets
 * go "unknown" until it is back.
 *
 * Ownership: the exported object skeleton owns this interface; the
 * manager holds the endpoint as well. The endpoint holds its session, its
 * refresh and reachability units and, in @targets, the object skeleton of
 * each target; each skeleton owns its interfaces, which hold the session
 * they were handed and nothing above them. A supervised endpoint holds its
 * supervisor too, which knows nothing of D-Bus, and every endpoint its
 * lock (ood-lock.h), the lease object of the lock's current grant, and a
 * watch on each bus name the lock knows. The object manager server is
 * not held: it outlives every endpoint (the manager stops them all before
 * it lets the server go), and a weak pointer says when it is gone.
 */

struct _OodEndpoint {
  OodDbusEndpointSkeleton   parent_instance;

  OodEndpointConfig        *config;      /* what it was made from: name, Address or Exec, … */
  char                     *path;
  GDBusObjectManagerServer *server;      /* (unowned) (nullable): weak pointer */
  OodSession               *session;
  OodRefresh               *refresh;
  OodReachability          *reachability;
  OodSupervisor            *supervisor;  /* (nullable): with Exec= */
  OodLock                  *lock;
  OodLease                 *lease;       /* (nullable): of the lock's current grant */
  GHashTable               *watches;     /* bus name → its watcher id, while the lock knows it */

  GHashTable               *targets;     /* name → OodDbusObjectSkeleton */
  GPtrArray                *banks;       /* (element-type OodTclFlashBank) learnt at connect */
  gboolean                  stopped;
};

static void ood_endpoint_iface_init (OodDbusEndpointIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OodEndpoint, ood_endpoint, OOD_DBUS_TYPE_ENDPOINT_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_ENDPOINT, ood_endpoint_iface_init))

static OodDbusEndpoint *
iface_of (OodEndpoint *self)
{
  return OOD_DBUS_ENDPOINT (self);
}

static void
flush (OodEndpoint *self)
{
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

const char *
ood_endpoint_get_name (OodEndpoint *self)
{
  return self->config->name;
}

const char *
ood_endpoint_get_path (OodEndpoint *self)
{
  return self->path;
}

const char *
ood_endpoint_get_origin (OodEndpoint *self)
{
  return ood_dbus_endpoint_get_origin (OOD_DBUS_ENDPOINT (self));
}

static gboolean
strv_equal0 (char **a, char **b)
{
  return (a == NULL || b == NULL) ? a == b : g_strv_equal ((const char *const *) a,
                                                           (const char *const *) b);
}

/* Whether @config would make this very endpoint (a reload leaves it be). */
gboolean
ood_endpoint_is_configured_as (OodEndpoint *self, const OodEndpointConfig *config)
{
  return g_str_equal (config->name, self->config->name) &&
         g_strcmp0 (config->address, self->config->address) == 0 &&
         strv_equal0 (config->exec_argv, self->config->exec_argv) &&
         g_strcmp0 (config->shared_dir, self->config->shared_dir) == 0 &&
         config->allow_raw == self->config->allow_raw;
}

/* The object path of target @target, or NULL if there is none now. */
const char *
ood_endpoint_lookup_target (OodEndpoint *self, const char *target)
{
  GDBusObject *object = g_hash_table_lookup (self->targets, target);

  return object != NULL ? g_dbus_object_get_object_path (object) : NULL;
}

static const char *
address_of (OodEndpoint *self)
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

/* The sorted object paths of the targets @keep selects (all for NULL). */
static GPtrArray *
target_paths (OodEndpoint *self, gboolean (*keep) (OodTarget *target))
{
  GPtrArray *paths = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->targets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (keep == NULL || keep (target_of (value)))
      g_ptr_array_add (paths, (gpointer) g_dbus_object_get_object_path (G_DBUS_OBJECT (value)));
  g_ptr_array_sort (paths, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (paths, NULL);
  return paths;
}

/* ---- targets ------------------------------------------------------------ */

static void
publish_target_list (OodEndpoint *self)
{
  g_autoptr(GPtrArray) paths = target_paths (self, NULL);

  ood_dbus_endpoint_set_targets (iface_of (self), (const char *const *) paths->pdata);
  flush (self);
}

static void
remove_target (OodEndpoint *self, const char *name)
{
  OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, name);

  g_info ("%s: target %s is gone", self->config->name, name);
  if (self->server != NULL)
    g_dbus_object_manager_server_unexport (self->server,
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

  if (self->config->shared_dir != NULL)
    return g_strdup (self->config->shared_dir);
  if (!ood_config_address_is_local (address_of (self)))
    return NULL;
  if (runtime != NULL && runtime[0] != '\0')
    return g_strndup (runtime, strcspn (runtime, ":"));
  return g_strdup (g_get_tmp_dir ());
}

/* Every call of @skeleton's methods passes the daemon's door, under this
 * endpoint's lease. */
static void
through_door (OodEndpoint *self, gpointer skeleton)
{
  ood_call_attach (G_DBUS_INTERFACE_SKELETON (skeleton),
                   ood_session_get_settings (self->session)->door, self->lock);
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
  flash = ood_flash_new (self->session, self->server, name, path, banks, work_dir,
                         self->config->shared_dir != NULL);
  through_door (self, flash);
  ood_dbus_object_skeleton_set_flash (object, OOD_DBUS_FLASH (flash));
}

/* The breakpoint and watchpoint listings @record carries, if any. */
static void
update_lists (OodBreakpoints *breakpoints, const OodTclTargetRecord *record)
{
  if (record->breakpoints != NULL)
    ood_breakpoints_update (breakpoints, record->breakpoints);
  if (record->watchpoints != NULL)
    ood_breakpoints_update_watchpoints (breakpoints, record->watchpoints);
}

/* The object of a new target, with every interface a target has, each
 * handed the session. */
static OodDbusObjectSkeleton *
target_object_new (OodEndpoint *self, const OodTclTargetRecord *record)
{
  g_autofree char *escaped = g_dbus_escape_object_path (record->name);
  g_autofree char *path = g_strdup_printf ("%s/%s", self->path, escaped);
  g_autoptr(OodBreakpoints) breakpoints = ood_breakpoints_new (self->session, record->name);
  g_autoptr(OodTarget) target = ood_target_new (self->session, self->refresh, breakpoints,
                                                self->config->name, record);
  g_autoptr(OodRegisters) registers = ood_registers_new (self->session, record->name, target);
  g_autoptr(OodMemory) memory = ood_memory_new (self->session, record->name);
  g_autoptr(OodRtt) rtt = ood_rtt_new (self->session, record->name);
  OodDbusObjectSkeleton *object = ood_dbus_object_skeleton_new (path);

  through_door (self, target);
  through_door (self, breakpoints);
  through_door (self, registers);
  through_door (self, memory);
  through_door (self, rtt);
  update_lists (breakpoints, record);
  ood_dbus_object_skeleton_set_target (object, OOD_DBUS_TARGET (target));
  ood_dbus_object_skeleton_set_breakpoints (object, OOD_DBUS_BREAKPOINTS (breakpoints));
  ood_dbus_object_skeleton_set_registers (object, OOD_DBUS_REGISTERS (registers));
  ood_dbus_object_skeleton_set_memory (object, OOD_DBUS_MEMORY (memory));
  ood_dbus_object_skeleton_set_rtt (object, OOD_DBUS_RTT (rtt));
  add_flash (self, object, record->name, path);
  return object;
}

static void
add_target (OodEndpoint *self, const OodTclTargetRecord *record)
{
  OodDbusObjectSkeleton *object = target_object_new (self, record);

  g_info ("%s: target %s (%s) is %s", self->config->name, record->name,
          record->type != NULL ? record->type : "type unknown", record->state);
  g_hash_table_insert (self->targets, g_strdup (record->name), object);
  if (self->server != NULL)
    g_dbus_object_manager_server_export (self->server, G_DBUS_OBJECT_SKELETON (object));
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

/* A Halt through the service halts an SMP group: the halts of the other
 * members that the same refresh reads count as the service's request.
 * (With independent targets, a halt another client made in the same
 * burst would count so too.) */
static void
share_halt_request (OodEndpoint *self, GPtrArray *records)
{
  gboolean asked = FALSE;

  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < records->len; i++)
      {
        OodTclTargetRecord *record = records->pdata[i];
        OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, record->name);

        if (object == NULL)
          continue;
        if (pass == 0)
          asked |= ood_target_get_halt_asked (target_of (object));
        else if (asked && record->halts > 0)
          ood_target_share_halt_asked (target_of (object));
      }
}

/* Applies @records to their targets (all exported by now); returns the
 * targets whose state or PC changed, or that halted. */
static GPtrArray *
apply_records (OodEndpoint *self, GPtrArray *records)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);

  if (records->len > 1)
    share_halt_request (self, records);

  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, record->name);

      if (object == NULL)
        continue;
      if (ood_target_apply (target_of (object), record))
        g_ptr_array_add (changed, g_object_ref (target_of (object)));
      update_lists (breakpoints_of (object), record);
    }
  return g_steal_pointer (&changed);
}

/* Every target's OodTarget, as a list that stays valid while targets go. */
static GPtrArray *
dup_targets (OodEndpoint *self)
{
  g_autoptr(GPtrArray) objects = dup_objects (self);
  GPtrArray *targets = g_ptr_array_new_full (objects->len, g_object_unref);

  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (targets, g_object_ref (target_of (objects->pdata[i])));
  return targets;
}

/* The targets of @records that the service itself just acted on. */
static GPtrArray *
acted_targets (OodEndpoint *self, GPtrArray *records)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, record->name);

      if (record->acted && object != NULL)
        g_ptr_array_add (targets, g_object_ref (target_of (object)));
    }
  return targets;
}

/* The targets the events of a refresh go to. OpenOCD's notification does
 * not name its target: after a reset (@flags) they are all (OpenOCD's
 * reset resets every target); else those whose state, PC or halt count
 * changed in the refresh the events caused (@changed); else those the
 * service itself just acted on (the records say); else every target, as
 * which one it was cannot be known then (another client's command that
 * changed nothing a refresh reads, a GDB attaching to a target that was
 * halted already). */
static GPtrArray *
event_targets (OodEndpoint *self, GPtrArray *records, GPtrArray *changed, guint flags)
{
  g_autoptr(GPtrArray) acted = NULL;

  if (flags & OOD_REFRESH_RESET)
    return dup_targets (self);
  if (changed->len > 0)
    return g_ptr_array_ref (changed);
  acted = acted_targets (self, records);
  return acted->len > 0 ? g_steal_pointer (&acted) : dup_targets (self);
}

/* Emits each of @events on the targets it concerns (event_targets()). */
static void
deliver_events (OodEndpoint *self, GPtrArray *events, GPtrArray *records, GPtrArray *changed,
                guint flags)
{
  g_autoptr(GPtrArray) targets = NULL;

  if (events == NULL || events->len == 0)
    return;
  targets = event_targets (self, records, changed, flags);
  for (guint i = 0; i < events->len; i++)
    for (guint j = 0; j < targets->len; j++)
      ood_target_emit_event (targets->pdata[j], events->pdata[i]);
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

/* ---- reachability ------------------------------------------------------- */

static gboolean
is_unreachable (OodTarget *target)
{
  return !ood_target_get_reachable (target);
}

static void
publish_unreachable (OodEndpoint *self)
{
  g_autoptr(GPtrArray) paths = target_paths (self, is_unreachable);

  ood_dbus_endpoint_set_unreachable (iface_of (self), (const char *const *) paths->pdata);
  flush (self);
}

/* Marks the target of @object (un)reachable; returns whether that changed. */
static gboolean
set_reachable (OodEndpoint *self, OodDbusObjectSkeleton *object, gboolean reachable)
{
  OodTarget *target = target_of (object);

  if (ood_target_get_reachable (target) == reachable)
    return FALSE;
  if (reachable)
    g_message ("%s: OpenOCD reaches %s again", self->config->name, ood_target_get_name (target));
  else
    g_warning ("%s: OpenOCD cannot reach %s", self->config->name, ood_target_get_name (target));
  ood_target_set_reachable (target, reachable);
  return TRUE;
}

/* What the reachability unit saw of @name (of every target when NULL).
 * A target that came back is read afresh. */
static void
on_reachability (OodReachability *reachability, const char *name, gboolean reachable,
                 gpointer user_data)
{
  OodEndpoint *self = user_data;
  g_autoptr(GPtrArray) objects = dup_objects (self);
  gboolean changed = FALSE;

  (void) reachability;
  for (guint i = 0; i < objects->len; i++)
    if (name == NULL || g_str_equal (ood_target_get_name (target_of (objects->pdata[i])), name))
      changed |= set_reachable (self, objects->pdata[i], reachable);
  if (!changed)
    return;
  publish_unreachable (self);
  /* an event's recovery comes with its own refresh */
  if (reachable && name != NULL)
    ood_refresh_request (self->refresh);
}

/* The targets whose reachability OpenOCD 0.12 does not report. */
static void
check_reachability (OodEndpoint *self)
{
  g_autoptr(GPtrArray) objects = dup_objects (self);
  g_autoptr(GPtrArray) riscv = g_ptr_array_new ();

  for (guint i = 0; i < objects->len; i++)
    {
      OodDbusTarget *target = OOD_DBUS_TARGET (target_of (objects->pdata[i]));
      if (g_strcmp0 (ood_dbus_target_get_target_type (target), "riscv") == 0)
        g_ptr_array_add (riscv, (gpointer) ood_dbus_target_get_name (target));
    }
  g_ptr_array_add (riscv, NULL);
  ood_reachability_check (self->reachability, (const char *const *) riscv->pdata);
}

/* ---- what a refresh read ------------------------------------------------ */

/* The first refresh of a connection: Connected and Targets go out in one
 * PropertiesChanged, before any target reports. */
static void
mark_connected (OodEndpoint *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  ood_dbus_endpoint_set_connected (iface_of (self), TRUE);
  ood_dbus_endpoint_set_last_error (iface_of (self), "");
  publish_target_list (self);
  g_object_thaw_notify (G_OBJECT (self));
  flush (self);
  g_message ("%s: connected to OpenOCD at %s, %u targets", self->config->name,
             address_of (self), g_hash_table_size (self->targets));
  check_reachability (self);
}

static void
on_listing (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodDbusObjectSkeleton) object = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_auto(GStrv) lists = listing != NULL ? ood_tcl_parse_list (listing, &error) : NULL;

  if (lists != NULL && g_strv_length (lists) == 2)
    {
      ood_breakpoints_update (breakpoints_of (object), lists[0]);
      ood_breakpoints_update_watchpoints (breakpoints_of (object), lists[1]);
    }
  else if (lists != NULL)
    g_debug ("cannot list breakpoints: malformed listing");
  else if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    g_debug ("cannot list breakpoints: %s", error->message);
}

/* After a refresh, the breakpoints and watchpoints of each target in
 * @changed that is halted (it halted, or moved) are listed: OpenOCD
 * announces no changes of them, and those others make, they mostly make
 * while the target is halted. The listing is a round trip of its own so
 * that the state and PC go out first. */
static void
list_breakpoints (OodEndpoint *self, GPtrArray *changed)
{
  for (guint i = 0; i < changed->len; i++)
    {
      OodTarget *target = changed->pdata[i];
      const char *name = ood_target_get_name (target);
      OodDbusObjectSkeleton *object = g_hash_table_lookup (self->targets, name);
      g_autofree char *script = NULL;

      if (object == NULL ||
          g_strcmp0 (ood_dbus_target_get_state (OOD_DBUS_TARGET (target)), OOD_STATE_HALTED) != 0)
        continue;
      script = ood_tcl_script_bp_list (name);
      ood_session_call_async (self->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                              on_listing, g_object_ref (object));
    }
}

static void
on_refreshed (OodRefresh *refresh, GPtrArray *records, GPtrArray *events, guint flags,
              gpointer user_data)
{
  OodEndpoint *self = user_data;
  gboolean membership_changed = FALSE;
  g_autoptr(GPtrArray) changed = NULL;

  (void) refresh;
  if (!(flags & OOD_REFRESH_KNOWN))
    membership_changed = reconcile_membership (self, records);
  if (flags & OOD_REFRESH_FIRST)
    mark_connected (self);
  else if (membership_changed)
    publish_target_list (self);
  changed = apply_records (self, records);
  deliver_events (self, events, records, changed, flags);
  if (flags & OOD_REFRESH_FIRST)
    learn_targets (self);
  if (!(flags & OOD_REFRESH_FIRST))
    list_breakpoints (self, changed);
}

/* ---- the session's signals ---------------------------------------------- */

static void
on_version (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (text == NULL || self->stopped)
    return;
  ood_dbus_endpoint_set_version (iface_of (self), g_strstrip (text));
}

static void
on_banks (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodEndpoint) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  GPtrArray *banks = text != NULL ? ood_tcl_parse_flash_banks (text, &error) : NULL;

  if (banks == NULL && !g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    g_warning ("%s: cannot list flash banks: %s", self->config->name, error->message);
  g_clear_pointer (&self->banks, g_ptr_array_unref);
  self->banks = banks;
}

/* A new connection: learn the version, the flash banks and the adapter,
 * then export the targets (the replies come in this order). */
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
  ood_endpoint_admin_learn (iface_of (self), session);
  ood_refresh_first (self->refresh);
}

/* The connection is lost: until it is back (and the lists are read
 * again) the targets' state and breakpoints are unknown. */
static void
on_closed (OodSession *session, const GError *reason, gpointer user_data)
{
  OodEndpoint *self = user_data;
  OodDbusEndpoint *iface = iface_of (self);
  g_autoptr(GPtrArray) objects = dup_objects (self);
  const char *why = ood_session_get_last_error (session);

  why = why != NULL ? why : reason->message;
  /* once per reason: attempts retried with backoff repeat theirs */
  if (ood_dbus_endpoint_get_connected (iface) ||
      g_strcmp0 (why, ood_dbus_endpoint_get_last_error (iface)) != 0)
    g_warning ("%s: %s", self->config->name, reason->message);
  else
    g_debug ("%s: %s", self->config->name, reason->message);
  ood_reachability_pause (self->reachability);
  /* Connected and LastError in one PropertiesChanged */
  g_object_freeze_notify (G_OBJECT (self));
  ood_dbus_endpoint_set_connected (iface, FALSE);
  ood_dbus_endpoint_set_last_error (iface, why);
  g_object_thaw_notify (G_OBJECT (self));
  flush (self);
  for (guint i = 0; i < objects->len; i++)
    {
      /* a new connection finds out afresh what OpenOCD reaches; the
       * breakpoints go before the waiters hear of it, so a client that
       * heard sees them gone */
      ood_target_set_reachable (target_of (objects->pdata[i]), TRUE);
      ood_breakpoints_forget (breakpoints_of (objects->pdata[i]));
      ood_target_disconnected (target_of (objects->pdata[i]), reason);
    }
  publish_unreachable (self);
}

/* ---- the supervised OpenOCD -------------------------------------------- */

/* Pid, Restarts and LastExit, with @address (nullable) where it listens,
 * in one PropertiesChanged. */
static void
publish_process (OodEndpoint *self, const char *address)
{
  OodDbusEndpoint *iface = iface_of (self);

  g_object_freeze_notify (G_OBJECT (self));
  ood_dbus_endpoint_set_pid (iface, (guint) ood_supervisor_get_pid (self->supervisor));
  ood_dbus_endpoint_set_restarts (iface, ood_supervisor_get_restarts (self->supervisor));
  ood_dbus_endpoint_set_last_exit (iface, ood_supervisor_get_last_exit (self->supervisor));
  if (address != NULL)
    ood_dbus_endpoint_set_address (iface, address);
  g_object_thaw_notify (G_OBJECT (self));
  flush (self);
}

/* An OpenOCD of ours listens at @address: connect there now. */
static void
on_supervisor_ready (OodSupervisor *supervisor, const char *address, gpointer user_data)
{
  OodEndpoint *self = user_data;

  (void) supervisor;
  publish_process (self, address);
  ood_session_reconnect (self->session, address);
}

static void
on_supervisor_changed (OodSupervisor *supervisor, gpointer user_data)
{
  (void) supervisor;
  publish_process (user_data, NULL);
}

static gboolean
check_supervised (OodEndpoint *self, GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;

  if (self->supervisor != NULL)
    return TRUE;
  error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_SUPPORTED,
                       "endpoint %s is not supervised: the service did not start its OpenOCD "
                       "(it has Address=, not Exec=)", self->config->name);
  ood_reply_error (invocation, error);
  return FALSE;
}

static gboolean
handle_restart (OodDbusEndpoint *iface, GDBusMethodInvocation *invocation)
{
  OodEndpoint *self = OOD_ENDPOINT (iface);

  if (!check_supervised (self, invocation))
    return TRUE;
  g_message ("%s: restarting OpenOCD, as %s asked", self->config->name,
             g_dbus_method_invocation_get_sender (invocation));
  ood_supervisor_restart (self->supervisor);
  ood_dbus_endpoint_complete_restart (iface, invocation);
  return TRUE;
}

static gboolean
handle_get_log (OodDbusEndpoint *iface, GDBusMethodInvocation *invocation, guint lines)
{
  OodEndpoint *self = OOD_ENDPOINT (iface);
  g_auto(GStrv) log = NULL;

  if (!check_supervised (self, invocation))
    return TRUE;
  /* 0: all that are kept */
  log = ood_supervisor_dup_log (self->supervisor, lines != 0 ? lines : G_MAXUINT);
  ood_dbus_endpoint_complete_get_log (iface, invocation, (const char *const *) log);
  return TRUE;
}

/* ---- the lease ---------------------------------------------------------- */

/* The longest reason Acquire() takes, in bytes, and its longest wait. */
#define MAX_REASON_BYTES  256
#define MAX_ACQUIRE_WAIT_MS 3600000

/**
 * ood_endpoint_get_lock:
 *
 * Returns: (transfer none): the lock of the endpoint's lease, which the
 *   door asks before control, program, manage and raw calls (ood_lock_check())
 */
OodLock *
ood_endpoint_get_lock (OodEndpoint *self)
{
  return self->lock;
}

static void
unwatch (gpointer id)
{
  g_bus_unwatch_name (GPOINTER_TO_UINT (id));
}

static void watch_update (OodEndpoint *self, GDBusConnection *bus, const char *name);

/* A name the lock knows left the bus (or had left before it was watched). */
static void
on_name_vanished (GDBusConnection *bus, const char *name, gpointer user_data)
{
  OodEndpoint *self = user_data;

  g_debug ("%s: %s left the bus: forgetting it in the lease", self->config->name, name);
  ood_lock_forget (self->lock, name);
  watch_update (self, bus, name);
}

/* Watches @name while the lock knows it (holder, waiting or member), so
 * that the lease follows its connection's life; stops watching it after.
 * @bus: (nullable): where to watch; NULL only stops a watch. */
static void
watch_update (OodEndpoint *self, GDBusConnection *bus, const char *name)
{
  gboolean involved = ood_lock_involves (self->lock, name);
  gboolean watched = g_hash_table_contains (self->watches, name);
  guint id;

  if (involved && !watched && bus != NULL)
    {
      id = g_bus_watch_name_on_connection (bus, name, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                           on_name_vanished, self, NULL);
      g_hash_table_insert (self->watches, g_strdup (name), GUINT_TO_POINTER (id));
    }
  else if (!involved && watched)
    g_hash_table_remove (self->watches, name);
}

/* Stops watching the names the lock no longer knows. */
static void
watches_prune (OodEndpoint *self)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!ood_lock_involves (self->lock, key))
      g_hash_table_iter_remove (&iter);
}

static void
on_joined (OodLease *lease, const char *sender, gpointer user_data)
{
  OodEndpoint *self = user_data;
  GDBusConnection *bus = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (lease));

  watch_update (self, bus, sender);
}

static void
end_lease (OodEndpoint *self)
{
  g_signal_handlers_disconnect_by_data (self->lease, self);
  ood_lease_end (self->lease);
  g_clear_object (&self->lease);
}

/* The holder or the queue changed: the lease object follows the grant,
 * and Lease and LeaseQueue go out in one PropertiesChanged. */
static void
on_lock_changed (OodLock *lock, gpointer user_data)
{
  OodEndpoint *self = user_data;
  OodDbusEndpoint *iface = iface_of (self);

  if (self->lease != NULL && !ood_lease_is_current (self->lease))
    end_lease (self);
  if (ood_lock_is_held (lock) && self->lease == NULL && self->server != NULL && !self->stopped)
    {
      self->lease = ood_lease_new (self->server, lock, self->path);
      through_door (self, self->lease);
      g_signal_connect (self->lease, "joined", G_CALLBACK (on_joined), self);
      g_message ("%s: leased by uid %u (%s)%s%s", self->config->name,
                 ood_lock_get_holder_uid (lock), ood_lock_get_holder (lock),
                 *ood_lock_get_reason (lock) != '\0' ? ": " : "", ood_lock_get_reason (lock));
    }
  g_object_freeze_notify (G_OBJECT (self));
  ood_dbus_endpoint_set_lease (iface, self->lease != NULL ? ood_lease_get_path (self->lease) : "/");
  ood_dbus_endpoint_set_lease_queue (iface, ood_lock_get_queue_length (lock));
  g_object_thaw_notify (G_OBJECT (self));
  flush (self);
  watches_prune (self);
}

/* A reason others can read: short, and no control characters. */
static gboolean
check_reason (const char *reason, GError **error)
{
  if (strlen (reason) > MAX_REASON_BYTES)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "the reason is %zu bytes; at most %u are allowed", strlen (reason),
                   MAX_REASON_BYTES);
      return FALSE;
    }
  for (const char *p = reason; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                             "the reason must not hold control characters");
        return FALSE;
      }
  return TRUE;
}

/* One Acquire() call, from the caller's uid to the reply. */
typedef struct {
  OodEndpoint           *endpoint;
  GDBusMethodInvocation *invocation;  /* to answer: the answer takes it */
  char                  *reason;
  guint                  timeout_ms;
} Acquiring;

static void
acquiring_free (Acquiring *acquiring)
{
  g_object_unref (acquiring->endpoint);
  g_free (acquiring->reason);
  g_free (acquiring);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Acquiring, acquiring_free)

static void
on_acquired (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Acquiring) acquiring = user_data;
  OodEndpoint *self = acquiring->endpoint;
  GDBusMethodInvocation *invocation = acquiring->invocation;
  g_autofree char *sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  g_autoptr(GError) error = NULL;

  if (ood_lock_acquire_finish (OOD_LOCK (source), result, &error) &&
      (self->lease == NULL || !g_str_equal (sender, ood_lock_get_holder (self->lock))))
    error = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED, "the lease of endpoint %s ended "
                         "before it could be handed over", self->config->name);
  if (error != NULL)
    ood_reply_error (invocation, error);
  else
    ood_dbus_endpoint_complete_acquire (iface_of (self), invocation,
                                        ood_lease_get_path (self->lease));
  watch_update (self, NULL, sender);
}

static void
acquire (Acquiring *acquiring, guint uid)
{
  OodEndpoint *self = acquiring->endpoint;
  GDBusMethodInvocation *invocation = acquiring->invocation;
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GError) error = NULL;

  if (self->stopped)
    {
      error = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED, "endpoint %s was removed",
                           self->config->name);
      ood_reply_error (invocation, error);
      acquiring_free (acquiring);
      return;
    }
  ood_lock_acquire_async (self->lock, sender, uid, acquiring->reason, acquiring->timeout_ms,
                          NULL, on_acquired, acquiring);
  watch_update (self, g_dbus_method_invocation_get_connection (invocation), sender);
}

static gboolean
handle_acquire (OodDbusEndpoint *iface, GDBusMethodInvocation *invocation, const char *reason,
                guint timeout_ms)
{
  OodEndpoint *self = OOD_ENDPOINT (iface);
  g_autoptr(GError) error = NULL;
  Acquiring *acquiring;

  if (timeout_ms > MAX_ACQUIRE_WAIT_MS)
    g_set_error (&error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                 "timeout_ms is %u; at most %u (an hour) is allowed", timeout_ms,
                 MAX_ACQUIRE_WAIT_MS);
  else if (check_reason (reason, &error) &&
           g_dbus_method_invocation_get_sender (invocation) == NULL)
    g_set_error_literal (&error, OOD_ERROR, OOD_ERROR_NOT_SUPPORTED,
                         "a lease is held by a bus connection; this is none");
  if (error != NULL)
    {
      ood_reply_error (invocation, error);
      return TRUE;
    }
  acquiring = g_new0 (Acquiring, 1);
  acquiring->endpoint = g_object_ref (self);
  acquiring->invocation = invocation;
  acquiring->reason = g_strdup (reason);
  acquiring->timeout_ms = timeout_ms;
  acquire (acquiring, ood_call_get_caller (ood_call_get (invocation))->uid);
  return TRUE;
}

/* The endpoint goes: its lease ends and every waiting Acquire() fails. */
static void
lease_stop (OodEndpoint *self)
{
  g_autoptr(GError) gone = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                        "endpoint %s was removed", self->config->name);

  ood_lock_close (self->lock, gone);
  g_signal_handlers_disconnect_by_data (self->lock, self);
  if (self->lease != NULL)
    end_lease (self);
  g_hash_table_remove_all (self->watches);
}

/* ---- OpenOCD itself ----------------------------------------------------- */

static gboolean
handle_command (OodDbusEndpoint *iface, GDBusMethodInvocation *invocation, const char *command)
{
  OodEndpoint *self = OOD_ENDPOINT (iface);

  return ood_endpoint_admin_command (iface, self->session, self->refresh, invocation, command);
}

static gboolean
handle_set_adapter_speed (OodDbusEndpoint *iface, GDBusMethodInvocation *invocation, guint khz)
{
  return ood_endpoint_admin_set_speed (iface, OOD_ENDPOINT (iface)->session, invocation, khz);
}

static void
ood_endpoint_iface_init (OodDbusEndpointIface *iface)
{
  iface->handle_command = handle_command;
  iface->handle_set_adapter_speed = handle_set_adapter_speed;
  iface->handle_restart = handle_restart;
  iface->handle_get_log = handle_get_log;
  iface->handle_acquire = handle_acquire;
}

/* ---- life cycle --------------------------------------------------------- */

/**
 * ood_endpoint_start:
 *
 * Exports the endpoint object and starts connecting to OpenOCD, or, if
 * supervised, starting it.
 */
void
ood_endpoint_start (OodEndpoint *self)
{
  g_autoptr(OodDbusObjectSkeleton) object = ood_dbus_object_skeleton_new (self->path);

  /* the server owns the object, and the object this interface */
  ood_dbus_object_skeleton_set_endpoint (object, iface_of (self));
  if (self->server != NULL)
    g_dbus_object_manager_server_export (self->server, G_DBUS_OBJECT_SKELETON (object));
  if (self->supervisor != NULL)
    ood_supervisor_start (self->supervisor);
  else
    ood_session_start (self->session);
}

/**
 * ood_endpoint_stop:
 *
 * Disconnects for good, stops a supervised OpenOCD, and unexports the
 * endpoint and its targets; calls in progress fail with
 * %OOD_ERROR_DISCONNECTED.
 */
void
ood_endpoint_stop (OodEndpoint *self)
{
  g_autoptr(GPtrArray) names = NULL;

  if (self->stopped)
    return;
  ood_session_stop (self->session);
  self->stopped = TRUE;
  lease_stop (self);
  g_signal_handlers_disconnect_by_data (self->session, self);
  ood_refresh_stop (self->refresh);
  ood_reachability_stop (self->reachability);
  if (self->supervisor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->supervisor, self);
      ood_supervisor_stop (self->supervisor);
    }
  names = dup_names (self);
  for (guint i = 0; i < names->len; i++)
    remove_target (self, names->pdata[i]);
  if (self->server != NULL)
    g_dbus_object_manager_server_unexport (self->server, self->path);
}

static void
ood_endpoint_dispose (GObject *object)
{
  OodEndpoint *self = OOD_ENDPOINT (object);

  if (self->session != NULL)
    ood_endpoint_stop (self);
  g_clear_pointer (&self->banks, g_ptr_array_unref);
  g_clear_object (&self->refresh);
  g_clear_object (&self->reachability);
  g_clear_object (&self->supervisor);
  g_clear_object (&self->session);
  g_clear_object (&self->lock);
  g_clear_weak_pointer (&self->server);
  G_OBJECT_CLASS (ood_endpoint_parent_class)->dispose (object);
}

static void
ood_endpoint_finalize (GObject *object)
{
  OodEndpoint *self = OOD_ENDPOINT (object);

  g_hash_table_unref (self->targets);
  g_hash_table_unref (self->watches);
  ood_endpoint_config_free (self->config);
  g_free (self->path);
  G_OBJECT_CLASS (ood_endpoint_parent_class)->finalize (object);
}

static void
ood_endpoint_class_init (OodEndpointClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->dispose = ood_endpoint_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_endpoint_finalize;
}

static void
ood_endpoint_init (OodEndpoint *self)
{
  self->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->watches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unwatch);
}

static OodEndpointConfig *
config_copy (const OodEndpointConfig *config)
{
  OodEndpointConfig *copy = g_new0 (OodEndpointConfig, 1);

  copy->name = g_strdup (config->name);
  copy->address = g_strdup (config->address);
  copy->exec_argv = g_strdupv (config->exec_argv);
  copy->shared_dir = g_strdup (config->shared_dir);
  copy->allow_raw = config->allow_raw;
  return copy;
}

static void
supervise (OodEndpoint *self, const OodSettings *settings)
{
  OodSupervisorSettings supervisor_settings;

  ood_supervisor_settings_init_defaults (&supervisor_settings);
  supervisor_settings.start_timeout_ms = settings->start_timeout_ms;
  self->supervisor = ood_supervisor_new (self->config->name,
                                         (const char *const *) self->config->exec_argv,
                                         &supervisor_settings);
  g_signal_connect (self->supervisor, "ready", G_CALLBACK (on_supervisor_ready), self);
  g_signal_connect (self->supervisor, "changed", G_CALLBACK (on_supervisor_changed), self);
}

/**
 * ood_endpoint_new:
 * @manager: where the endpoint and its targets are exported; not held,
 *   it must outlive the endpoint's ood_endpoint_stop()
 * @config: the endpoint's name (its object is /org/openocd/ESCAPED_NAME),
 *   and either OpenOCD's Tcl RPC server (Address=) or the OpenOCD command
 *   line to supervise (Exec=)
 * @origin: one of the OOD_ORIGIN_* strings
 *
 * Returns: (transfer full): a new endpoint; call ood_endpoint_start()
 */
OodEndpoint *
ood_endpoint_new (GDBusObjectManagerServer *manager, const OodEndpointConfig *config,
                  const char *origin, const OodSettings *settings)
{
  OodEndpoint *self = g_object_new (OOD_TYPE_ENDPOINT, NULL);
  OodDbusEndpoint *iface = iface_of (self);
  g_autofree char *escaped = g_dbus_escape_object_path (config->name);
  const char *name = config->name;
  const char *no_targets[] = { NULL };

  g_return_val_if_fail ((config->address == NULL) != (config->exec_argv == NULL), NULL);
  self->config = config_copy (config);
  g_set_weak_pointer (&self->server, manager);
  self->path = g_strdup_printf ("%s/%s",
                                g_dbus_object_manager_get_object_path (G_DBUS_OBJECT_MANAGER (manager)),
                                escaped);
  /* a supervised one's address is known once its OpenOCD listens */
  self->session = ood_session_new (name, config->address != NULL ? config->address : "",
                                   settings);
  self->refresh = ood_refresh_new (self->session, name);
  self->reachability = ood_reachability_new (self->session);
  g_signal_connect (self->session, "opened", G_CALLBACK (on_opened), self);
  g_signal_connect (self->session, "closed", G_CALLBACK (on_closed), self);
  g_signal_connect (self->refresh, "refreshed", G_CALLBACK (on_refreshed), self);
  g_signal_connect (self->reachability, "changed", G_CALLBACK (on_reachability), self);
  self->lock = ood_lock_new (name);
  g_signal_connect (self->lock, "changed", G_CALLBACK (on_lock_changed), self);
  if (config->exec_argv != NULL)
    supervise (self, settings);
  through_door (self, self);

  ood_dbus_endpoint_set_name (iface, name);
  ood_dbus_endpoint_set_address (iface, config->address != NULL ? config->address : "");
  ood_dbus_endpoint_set_origin (iface, origin);
  ood_dbus_endpoint_set_supervised (iface, self->supervisor != NULL);
  ood_dbus_endpoint_set_last_exit (iface, "");
  ood_dbus_endpoint_set_version (iface, "");
  ood_dbus_endpoint_set_last_error (iface, "");
  ood_dbus_endpoint_set_targets (iface, no_targets);
  ood_dbus_endpoint_set_unreachable (iface, no_targets);
  ood_dbus_endpoint_set_lease (iface, "/");
  ood_dbus_endpoint_set_adapter (iface, "");
  ood_dbus_endpoint_set_transport (iface, "");
  ood_dbus_endpoint_set_taps (iface, g_variant_new_array (G_VARIANT_TYPE ("(sbuuu)"), NULL, 0));
  ood_dbus_endpoint_set_raw_commands (iface, config->allow_raw || settings->allow_raw_commands);
  return self;
}
