/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-usb-probe"

#include "ood-usb-probe.h"

G_DEFINE_BOXED_TYPE (OodUsbProbe, ood_usb_probe, ood_usb_probe_ref, ood_usb_probe_unref)

/**
 * ood_usb_probe_new:
 *
 * Returns: (transfer full): an empty record: no strings, no properties
 *   (an empty table); the caller fills it in before sharing it
 */
OodUsbProbe *
ood_usb_probe_new (void)
{
  OodUsbProbe *probe = g_rc_box_new0 (OodUsbProbe);

  probe->properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return probe;
}

OodUsbProbe *
ood_usb_probe_ref (OodUsbProbe *probe)
{
  return g_rc_box_acquire (probe);
}

static void
clear (gpointer data)
{
  OodUsbProbe *probe = data;

  g_free (probe->serial);
  g_free (probe->usb_path);
  g_free (probe->model);
  g_free (probe->id);
  g_free (probe->sysfs_path);
  g_free (probe->devnode);
  g_clear_pointer (&probe->properties, g_hash_table_unref);
}

void
ood_usb_probe_unref (OodUsbProbe *probe)
{
  g_rc_box_release_full (probe, clear);
}

/* The udev property @key, or %NULL if the device has none. */
const char *
ood_usb_probe_get_property (const OodUsbProbe *probe, const char *key)
{
  return g_hash_table_lookup (probe->properties, key);
}

/**
 * ood_usb_probe_same_identity:
 *
 * Returns: whether @a and @b are the same device with the same fields, but
 *   for #OodUsbProbe.accessible and the udev properties (every uevent
 *   carries its own ACTION and SEQNUM)
 */
gboolean
ood_usb_probe_same_identity (const OodUsbProbe *a, const OodUsbProbe *b)
{
  return a->vendor_id == b->vendor_id && a->product_id == b->product_id &&
         g_strcmp0 (a->serial, b->serial) == 0 && g_strcmp0 (a->usb_path, b->usb_path) == 0 &&
         g_strcmp0 (a->model, b->model) == 0 && g_strcmp0 (a->id, b->id) == 0 &&
         g_strcmp0 (a->sysfs_path, b->sysfs_path) == 0 &&
         g_strcmp0 (a->devnode, b->devnode) == 0;
}
