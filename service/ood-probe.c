/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-probe"

#include "ood-probe.h"

#define NO_ENDPOINT "/"

struct _OodProbe {
  OodDbusProbeSkeleton parent_instance;

  char                *id;
  char                *path;
};

/* org.openocd.Probe has no methods: the skeleton's interface as it is. */
G_DEFINE_FINAL_TYPE (OodProbe, ood_probe, OOD_DBUS_TYPE_PROBE_SKELETON)

/* /org/openocd/probes/ID */
const char *
ood_probe_get_path (OodProbe *self)
{
  return self->path;
}

const char *
ood_probe_get_id (OodProbe *self)
{
  return self->id;
}

/**
 * ood_probe_update:
 * @record: a newer record of the same probe (same Id)
 *
 * Publishes @record's Accessible; the other properties are constant.
 */
void
ood_probe_update (OodProbe *self, const OodUsbProbe *record)
{
  OodDbusProbe *iface = OOD_DBUS_PROBE (self);

  g_return_if_fail (g_str_equal (record->id, self->id));
  if (ood_dbus_probe_get_accessible (iface) == record->accessible)
    return;
  ood_dbus_probe_set_accessible (iface, record->accessible);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/**
 * ood_probe_set_endpoint:
 * @endpoint_path: (nullable): the object path of the endpoint that drives
 *   the probe, or %NULL (or "/") for none
 */
void
ood_probe_set_endpoint (OodProbe *self, const char *endpoint_path)
{
  OodDbusProbe *iface = OOD_DBUS_PROBE (self);
  const char *path = endpoint_path != NULL ? endpoint_path : NO_ENDPOINT;

  g_return_if_fail (g_variant_is_object_path (path));
  if (g_str_equal (ood_dbus_probe_get_endpoint (iface), path))
    return;
  ood_dbus_probe_set_endpoint (iface, path);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/**
 * ood_probe_new:
 * @record: the probe as the watcher saw it; its Id is object-path safe
 *
 * Returns: (transfer full): the probe's interface, with no endpoint
 */
OodProbe *
ood_probe_new (const OodUsbProbe *record)
{
  OodProbe *self = g_object_new (OOD_TYPE_PROBE, NULL);
  OodDbusProbe *iface = OOD_DBUS_PROBE (self);

  self->id = g_strdup (record->id);
  self->path = g_strdup_printf ("%s/%s", OOD_PROBES_PATH, record->id);
  g_warn_if_fail (g_variant_is_object_path (self->path));
  ood_dbus_probe_set_vendor_id (iface, record->vendor_id);
  ood_dbus_probe_set_product_id (iface, record->product_id);
  ood_dbus_probe_set_serial (iface, record->serial);
  ood_dbus_probe_set_usb_path (iface, record->usb_path);
  ood_dbus_probe_set_model (iface, record->model);
  ood_dbus_probe_set_accessible (iface, record->accessible);
  ood_dbus_probe_set_endpoint (iface, NO_ENDPOINT);
  return self;
}

static void
ood_probe_finalize (GObject *object)
{
  OodProbe *self = OOD_PROBE (object);

  g_free (self->id);
  g_free (self->path);
  G_OBJECT_CLASS (ood_probe_parent_class)->finalize (object);
}

static void
ood_probe_class_init (OodProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ood_probe_finalize;
}

static void
ood_probe_init (OodProbe *self)
{
  (void) self;
}
