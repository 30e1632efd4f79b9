/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-probe-set"

#include "ood-probe-set.h"

#include "ood-generated.h"
#include "ood-probe.h"

/* See ood-probe-set.h. Holds the watcher (below it) and, per probe, the
 * exported object skeleton, which owns the probe's interface. The object
 * manager server is not held: it outlives the set (the manager stops the
 * set before it lets the server go). */

struct _OodProbeSet {
  GObject                   parent_instance;

  GDBusObjectManagerServer *server;    /* (unowned) (nullable): weak pointer */
  OodUsbWatcher            *watcher;
  GPtrArray                *rules;     /* (element-type OodProbeRule) (nullable) */
  GHashTable               *entries;   /* probe id → Entry */
  gboolean                  started;
  gboolean                  stopped;
};

G_DEFINE_FINAL_TYPE (OodProbeSet, ood_probe_set, G_TYPE_OBJECT)

enum { SIGNAL_WANTED, SIGNAL_UNWANTED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  OodProbeSet           *set;
  OodDbusObjectSkeleton *object;   /* exported at /org/openocd/probes/ID */
  OodUsbProbe           *record;   /* the last the watcher gave */
  OodEndpointConfig     *wanted;   /* (nullable) the endpoint it wants */
} Entry;

static OodProbe *
probe_of (Entry *entry)
{
  return OOD_PROBE (ood_dbus_object_peek_probe (OOD_DBUS_OBJECT (entry->object)));
}

static void
entry_free (Entry *entry)
{
  if (entry->set->server != NULL)
    g_dbus_object_manager_server_unexport (entry->set->server,
                                           g_dbus_object_get_object_path (G_DBUS_OBJECT (entry->object)));
  g_object_unref (entry->object);
  ood_usb_probe_unref (entry->record);
  ood_endpoint_config_free (entry->wanted);
  g_free (entry);
}

static gboolean
same_endpoint (const OodEndpointConfig *a, const OodEndpointConfig *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_str_equal (a->name, b->name) &&
         g_strv_equal ((const char *const *) a->exec_argv, (const char *const *) b->exec_argv);
}

/* The endpoint the rules give @record now, or NULL (with a warning when
 * a rule wants one that cannot be made). */
static OodEndpointConfig *
wanted_for (OodProbeSet *self, const OodUsbProbe *record)
{
  const OodProbeRule *rule = self->rules != NULL ? ood_probe_rules_find (self->rules, record) : NULL;
  g_autoptr(GError) error = NULL;
  OodEndpointConfig *config;

  if (rule == NULL || rule->exec_argv == NULL)
    return NULL;
  config = ood_probe_rule_endpoint (rule, record, &error);
  if (config == NULL)
    g_warning ("probe %s (%04x:%04x) matches [Probe %s] but gets no endpoint: %s", record->id,
               record->vendor_id, record->product_id, rule->name, error->message);
  return config;
}

/* Makes what @entry wants what the rules give it now. */
static void
evaluate (OodProbeSet *self, Entry *entry)
{
  g_autoptr(OodEndpointConfig) wanted = wanted_for (self, entry->record);
  g_autofree char *id = g_strdup (entry->record->id);

  if (same_endpoint (wanted, entry->wanted))
    return;
  if (entry->wanted != NULL)
    {
      g_autoptr(OodEndpointConfig) old = g_steal_pointer (&entry->wanted);
      g_signal_emit (self, signals[SIGNAL_UNWANTED], 0, id, old->name);
    }
  /* a handler may have changed the set: look the entry up again */
  entry = g_hash_table_lookup (self->entries, id);
  if (entry == NULL || wanted == NULL)
    return;
  entry->wanted = g_steal_pointer (&wanted);
  g_signal_emit (self, signals[SIGNAL_WANTED], 0, id, entry->wanted);
}

static void
on_added (OodUsbWatcher *watcher, OodUsbProbe *record, gpointer user_data)
{
  OodProbeSet *self = user_data;
  g_autoptr(OodProbe) probe = ood_probe_new (record);
  Entry *entry = g_new0 (Entry, 1);

  (void) watcher;
  g_message ("probe %s: %s %04x:%04x serial \"%s\" at USB %s%s", record->id, record->model,
             record->vendor_id, record->product_id, record->serial, record->usb_path,
             record->accessible ? "" : " (its device node is not ours to open)");
  entry->set = self;
  entry->record = ood_usb_probe_ref (record);
  entry->object = ood_dbus_object_skeleton_new (ood_probe_get_path (probe));
  ood_dbus_object_skeleton_set_probe (entry->object, OOD_DBUS_PROBE (probe));
  g_hash_table_replace (self->entries, g_strdup (record->id), entry);
  if (self->server != NULL)
    g_dbus_object_manager_server_export (self->server, G_DBUS_OBJECT_SKELETON (entry->object));
  evaluate (self, entry);
}

static void
on_changed (OodUsbWatcher *watcher, OodUsbProbe *record, gpointer user_data)
{
  OodProbeSet *self = user_data;
  Entry *entry = g_hash_table_lookup (self->entries, record->id);

  (void) watcher;
  if (entry == NULL)
    return;
  ood_usb_probe_unref (entry->record);
  entry->record = ood_usb_probe_ref (record);
  ood_probe_update (probe_of (entry), record);
}

static void
on_removed (OodUsbWatcher *watcher, OodUsbProbe *record, gpointer user_data)
{
  OodProbeSet *self = user_data;
  Entry *entry = g_hash_table_lookup (self->entries, record->id);
  g_autoptr(OodEndpointConfig) wanted = NULL;

  (void) watcher;
  if (entry == NULL)
    return;
  g_message ("probe %s (%s) is gone", record->id, record->model);
  wanted = g_steal_pointer (&entry->wanted);
  if (wanted != NULL)
    g_signal_emit (self, signals[SIGNAL_UNWANTED], 0, record->id, wanted->name);
  g_hash_table_remove (self->entries, record->id);
}

/**
 * ood_probe_set_bind:
 * @endpoint_path: (nullable): the object path of the endpoint started for
 *   the probe, or %NULL for none
 *
 * Publishes which endpoint serves probe @probe_id (its Endpoint property).
 */
void
ood_probe_set_bind (OodProbeSet *self, const char *probe_id, const char *endpoint_path)
{
  Entry *entry = g_hash_table_lookup (self->entries, probe_id);

  if (entry != NULL)
    ood_probe_set_endpoint (probe_of (entry), endpoint_path);
}

/**
 * ood_probe_set_set_rules:
 * @rules: (element-type OodProbeRule): the configuration's [Probe] groups
 *
 * Takes new rules: which devices are probes, and which endpoints they
 * want, may change; the signals say what to do.
 */
void
ood_probe_set_set_rules (OodProbeSet *self, GPtrArray *rules)
{
  g_autofree gpointer *keys = NULL;
  g_auto(GStrv) ids = NULL;

  g_clear_pointer (&self->rules, g_ptr_array_unref);
  self->rules = rules != NULL ? g_ptr_array_ref (rules) : NULL;
  if (self->stopped)
    return;
  /* devices that become or stop being probes come and go here */
  ood_usb_watcher_set_rules (self->watcher, rules);
  /* the ids, as a list that stays valid while entries go */
  keys = g_hash_table_get_keys_as_array (self->entries, NULL);
  ids = g_strdupv ((GStrv) keys);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      Entry *entry = g_hash_table_lookup (self->entries, ids[i]);
      if (entry != NULL)
        evaluate (self, entry);
    }
}

/**
 * ood_probe_set_start:
 *
 * Starts watching: every probe present is "added" now.
 */
void
ood_probe_set_start (OodProbeSet *self)
{
  if (self->started || self->stopped)
    return;
  self->started = TRUE;
  ood_usb_watcher_start (self->watcher);
}

/**
 * ood_probe_set_stop:
 *
 * Stops listening and unexports every probe, without a signal: for
 * shutdown, when the endpoints are stopped anyway.
 */
void
ood_probe_set_stop (OodProbeSet *self)
{
  if (self->stopped)
    return;
  self->stopped = TRUE;
  g_signal_handlers_disconnect_by_data (self->watcher, self);
  g_hash_table_remove_all (self->entries);
}

static void
ood_probe_set_dispose (GObject *object)
{
  OodProbeSet *self = OOD_PROBE_SET (object);

  if (self->watcher != NULL)
    ood_probe_set_stop (self);
  g_clear_object (&self->watcher);
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_clear_weak_pointer (&self->server);
  G_OBJECT_CLASS (ood_probe_set_parent_class)->dispose (object);
}

static void
ood_probe_set_finalize (GObject *object)
{
  g_hash_table_unref (OOD_PROBE_SET (object)->entries);
  G_OBJECT_CLASS (ood_probe_set_parent_class)->finalize (object);
}

static void
ood_probe_set_class_init (OodProbeSetClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_probe_set_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_probe_set_finalize;
  signals[SIGNAL_WANTED] =
    g_signal_new ("endpoint-wanted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);
  signals[SIGNAL_UNWANTED] =
    g_signal_new ("endpoint-unwanted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
ood_probe_set_init (OodProbeSet *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) entry_free);
}

/**
 * ood_probe_set_new:
 * @server: where the probes are exported; not held
 * @watcher: (transfer none): where the probes come from
 *
 * Returns: (transfer full): listening to @watcher; call
 *   ood_probe_set_start() once the rules are set
 */
OodProbeSet *
ood_probe_set_new (GDBusObjectManagerServer *server, OodUsbWatcher *watcher)
{
  OodProbeSet *self = g_object_new (OOD_TYPE_PROBE_SET, NULL);

  g_set_weak_pointer (&self->server, server);
  self->watcher = g_object_ref (watcher);
  g_signal_connect (watcher, "added", G_CALLBACK (on_added), self);
  g_signal_connect (watcher, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (watcher, "removed", G_CALLBACK (on_removed), self);
  return self;
}
