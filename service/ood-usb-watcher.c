/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-usb-watcher"

#include "ood-usb-watcher.h"

#include <gudev/gudev.h>
#include <string.h>
#include <unistd.h>

#include "ood-config.h"
#include "ood-probe-table.h"

#define DEVTYPE_DEVICE    "usb_device"
#define DEVTYPE_INTERFACE "usb_interface"
/* bus numbers are 1 to 255 */
#define MAX_BUSNUM_DIGITS 3

struct _OodUsbWatcher {
  GObject      parent_instance;

  GUdevClient *client;   /* from ood_usb_watcher_start() on */
  GPtrArray   *rules;    /* (element-type OodProbeRule) (nullable) */
  GHashTable  *probes;   /* sysfs path → OodUsbProbe, the probes plugged in */
};

enum {
  SIGNAL_ADDED,
  SIGNAL_CHANGED,
  SIGNAL_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodUsbWatcher, ood_usb_watcher, G_TYPE_OBJECT)

static gboolean
is_decimal (const char *text, gsize max_length)
{
  gsize length = text != NULL ? strlen (text) : 0;

  return length > 0 && length <= max_length && strspn (text, "0123456789") == length;
}

/* A sysfs "devpath": port numbers joined by dots ("1.4"); "0" is a root
 * hub, no probe. */
static gboolean
is_port_path (const char *devpath)
{
  gsize length = devpath != NULL ? strlen (devpath) : 0;

  if (length == 0 || g_str_equal (devpath, "0") || devpath[0] == '.' ||
      devpath[length - 1] == '.' || strstr (devpath, "..") != NULL)
    return FALSE;
  return strspn (devpath, "0123456789.") == length;
}

/* Sets the record's UsbPath and Id from sysfs busnum and devpath. */
static gboolean
set_location (OodUsbProbe *probe, GUdevDevice *device)
{
  const char *busnum = g_udev_device_get_sysfs_attr (device, "busnum");
  const char *devpath = g_udev_device_get_sysfs_attr (device, "devpath");
  g_autofree char *ports = NULL;

  if (!is_decimal (busnum, MAX_BUSNUM_DIGITS) || !is_port_path (devpath))
    return FALSE;
  ports = g_strdup (devpath);
  g_strdelimit (ports, ".", '_');
  probe->usb_path = g_strdup_printf ("%s-%s", busnum, devpath);
  probe->id = g_strdup_printf ("usb%s_%s", busnum, ports);
  return TRUE;
}

static gboolean
read_id (GUdevDevice *device, const char *attribute, guint16 *id)
{
  const char *text = g_udev_device_get_sysfs_attr (device, attribute);
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 16, 0, G_MAXUINT16, &value, NULL))
    return FALSE;
  *id = (guint16) value;
  return TRUE;
}

static void
copy_properties (OodUsbProbe *probe, GUdevDevice *device)
{
  const char *const *keys = g_udev_device_get_property_keys (device);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    g_hash_table_insert (probe->properties, g_utf8_make_valid (keys[i], -1),
                         g_utf8_make_valid (g_udev_device_get_property (device, keys[i]), -1));
}

/* Whether one of @device's interfaces says "CMSIS-DAP" in its string. */
static gboolean
has_cmsis_dap_interface (OodUsbWatcher *self, GUdevDevice *device)
{
  g_autoptr(GUdevEnumerator) enumerator = g_udev_enumerator_new (self->client);
  g_autofree char *prefix = g_strconcat (g_udev_device_get_sysfs_path (device), "/", NULL);
  GList *interfaces;
  gboolean found = FALSE;

  g_udev_enumerator_add_match_subsystem (enumerator, "usb");
  g_udev_enumerator_add_match_property (enumerator, "DEVTYPE", DEVTYPE_INTERFACE);
  interfaces = g_udev_enumerator_execute (enumerator);
  for (GList *l = interfaces; l != NULL && !found; l = l->next)
    {
      const char *path = g_udev_device_get_sysfs_path (l->data);

      found = g_str_has_prefix (path, prefix) && strchr (path + strlen (prefix), '/') == NULL &&
              ood_probe_table_names_cmsis_dap (g_udev_device_get_sysfs_attr (l->data, "interface"));
    }
  g_list_free_full (interfaces, g_object_unref);
  return found;
}

/* The model of @probe, a record of @device, or %NULL if it is no probe. */
static char *
model_of (OodUsbWatcher *self, GUdevDevice *device, const OodUsbProbe *probe)
{
  const OodProbeRule *rule = ood_probe_rules_find (self->rules, probe);
  const char *model = ood_probe_table_model_by_ids (probe->vendor_id, probe->product_id);

  if (rule != NULL && rule->model != NULL)
    return g_strdup (rule->model);
  if (model != NULL)
    return g_strdup (model);
  if (ood_probe_table_names_cmsis_dap (g_udev_device_get_sysfs_attr (device, "product")) ||
      has_cmsis_dap_interface (self, device))
    return g_strdup (OOD_PROBE_TABLE_CMSIS_DAP);
  return rule != NULL ? g_strdup (rule->name) : NULL;
}

static char *
serial_of (GUdevDevice *device)
{
  const char *serial = g_udev_device_get_property (device, "ID_SERIAL_SHORT");

  if (serial == NULL)
    serial = g_udev_device_get_sysfs_attr (device, "serial");
  return g_utf8_make_valid (serial != NULL ? serial : "", -1);
}

/* The record of @device, or %NULL if it is not a probe. */
static OodUsbProbe *
probe_new (OodUsbWatcher *self, GUdevDevice *device)
{
  g_autoptr(OodUsbProbe) probe = ood_usb_probe_new ();
  const char *devnode = g_udev_device_get_device_file (device);

  if (!read_id (device, "idVendor", &probe->vendor_id) ||
      !read_id (device, "idProduct", &probe->product_id) || !set_location (probe, device))
    return NULL;
  copy_properties (probe, device);
  probe->model = model_of (self, device, probe);
  if (probe->model == NULL)
    return NULL;
  probe->serial = serial_of (device);
  probe->sysfs_path = g_strdup (g_udev_device_get_sysfs_path (device));
  probe->devnode = g_strdup (devnode);
  probe->accessible = devnode != NULL && access (devnode, R_OK | W_OK) == 0;
  return g_steal_pointer (&probe);
}

/* Makes @probe (transfer full, nullable) what the watcher holds for the
 * device at @sysfs_path, and says so. */
static void
replace (OodUsbWatcher *self, const char *sysfs_path, OodUsbProbe *probe)
{
  OodUsbProbe *old = g_hash_table_lookup (self->probes, sysfs_path);
  g_autoptr(OodUsbProbe) gone = NULL;

  if (old != NULL && probe != NULL && ood_usb_probe_same_identity (old, probe))
    {
      /* the record signalled last stays, unless Accessible changed */
      if (old->accessible == probe->accessible)
        {
          ood_usb_probe_unref (probe);
          return;
        }
      g_hash_table_replace (self->probes, g_strdup (sysfs_path), probe);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, probe);
      return;
    }
  if (old != NULL)
    {
      gone = ood_usb_probe_ref (old);
      g_hash_table_remove (self->probes, sysfs_path);
      g_debug ("%s: %s %s is gone", gone->id, gone->model, gone->usb_path);
      g_signal_emit (self, signals[SIGNAL_REMOVED], 0, gone);
    }
  if (probe != NULL)
    {
      g_hash_table_replace (self->probes, g_strdup (sysfs_path), probe);
      g_debug ("%s: %s %s serial '%s'%s", probe->id, probe->model, probe->usb_path, probe->serial,
               probe->accessible ? "" : ", not accessible");
      g_signal_emit (self, signals[SIGNAL_ADDED], 0, probe);
    }
}

static gboolean
is_usb_device (GUdevDevice *device)
{
  return g_strcmp0 (g_udev_device_get_devtype (device), DEVTYPE_DEVICE) == 0;
}

static void
update (OodUsbWatcher *self, GUdevDevice *device)
{
  replace (self, g_udev_device_get_sysfs_path (device), probe_new (self, device));
}

static void
on_uevent (GUdevClient *client, const char *action, GUdevDevice *device, gpointer user_data)
{
  OodUsbWatcher *self = user_data;

  (void) client;
  if (!is_usb_device (device))
    return;
  if (g_strcmp0 (action, "remove") == 0)
    replace (self, g_udev_device_get_sysfs_path (device), NULL);
  else if (g_strcmp0 (action, "add") == 0 || g_strcmp0 (action, "change") == 0 ||
           g_strcmp0 (action, "bind") == 0)
    update (self, device);
}

/* Looks at every USB device again: those plugged in at the start, or all
 * after the rules changed. A probe whose device is no longer listed is
 * removed. */
static void
rescan (OodUsbWatcher *self)
{
  GList *devices = g_udev_client_query_by_subsystem (self->client, "usb");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer path;

  for (GList *l = devices; l != NULL; l = l->next)
    if (is_usb_device (l->data))
      {
        update (self, l->data);
        g_hash_table_add (seen, (gpointer) g_udev_device_get_sysfs_path (l->data));
      }
  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    if (!g_hash_table_contains (seen, path))
      g_ptr_array_add (stale, g_strdup (path));
  for (guint i = 0; i < stale->len; i++)
    replace (self, stale->pdata[i], NULL);
  g_list_free_full (devices, g_object_unref);
}

/**
 * ood_usb_watcher_set_rules:
 * @rules: (element-type OodProbeRule) (nullable): the [Probe] rules of
 *   the configuration, kept by reference and never modified
 *
 * Once started, every USB device is looked at again: "added", "removed"
 * say what that changed.
 */
void
ood_usb_watcher_set_rules (OodUsbWatcher *self, GPtrArray *rules)
{
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  self->rules = rules != NULL ? g_ptr_array_ref (rules) : NULL;
  if (self->client != NULL)
    rescan (self);
}

/**
 * ood_usb_watcher_start:
 *
 * Starts following udev, then emits "added" for every probe present. The
 * uevents of devices plugged in meanwhile follow, on the thread-default
 * main context.
 */
void
ood_usb_watcher_start (OodUsbWatcher *self)
{
  const char *const subsystems[] = { "usb/" DEVTYPE_DEVICE, NULL };

  g_return_if_fail (self->client == NULL);
  self->client = g_udev_client_new (subsystems);
  g_signal_connect_object (self->client, "uevent", G_CALLBACK (on_uevent), self, 0);
  rescan (self);
}

static gint
by_id (gconstpointer a, gconstpointer b)
{
  const OodUsbProbe *const *pa = a;
  const OodUsbProbe *const *pb = b;

  return strcmp ((*pa)->id, (*pb)->id);
}

/**
 * ood_usb_watcher_list:
 *
 * Returns: (transfer container) (element-type OodUsbProbe): the probes
 *   plugged in now, by Id
 */
GPtrArray *
ood_usb_watcher_list (OodUsbWatcher *self)
{
  GPtrArray *probes = g_ptr_array_new_full (g_hash_table_size (self->probes),
                                            (GDestroyNotify) ood_usb_probe_unref);
  GHashTableIter iter;
  gpointer probe;

  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, NULL, &probe))
    g_ptr_array_add (probes, ood_usb_probe_ref (probe));
  g_ptr_array_sort (probes, by_id);
  return probes;
}

/**
 * ood_usb_watcher_lookup:
 *
 * Returns: (transfer none) (nullable): the probe plugged in now with Id @id
 */
OodUsbProbe *
ood_usb_watcher_lookup (OodUsbWatcher *self, const char *id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->probes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_str_equal (((OodUsbProbe *) value)->id, id))
      return value;
  return NULL;
}

OodUsbWatcher *
ood_usb_watcher_new (void)
{
  return g_object_new (OOD_TYPE_USB_WATCHER, NULL);
}

static void
ood_usb_watcher_dispose (GObject *object)
{
  OodUsbWatcher *self = OOD_USB_WATCHER (object);

  g_clear_object (&self->client);
  G_OBJECT_CLASS (ood_usb_watcher_parent_class)->dispose (object);
}

static void
ood_usb_watcher_finalize (GObject *object)
{
  OodUsbWatcher *self = OOD_USB_WATCHER (object);

  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_hash_table_unref (self->probes);
  G_OBJECT_CLASS (ood_usb_watcher_parent_class)->finalize (object);
}

static void
ood_usb_watcher_class_init (OodUsbWatcherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_usb_watcher_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_usb_watcher_finalize;

  for (guint i = 0; i < N_SIGNALS; i++)
    {
      static const char *const names[N_SIGNALS] = { "added", "changed", "removed" };

      signals[i] = g_signal_new (names[i], G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1,
                                 OOD_TYPE_USB_PROBE | G_SIGNAL_TYPE_STATIC_SCOPE);
    }
}

static void
ood_usb_watcher_init (OodUsbWatcher *self)
{
  self->probes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) ood_usb_probe_unref);
}
