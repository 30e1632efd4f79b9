/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * What the service knows of one plugged-in USB debug probe: a snapshot of
 * its udev device, taken by the watcher (ood-usb-watcher.h) when it was
 * plugged in or changed. Reference-counted; whoever builds one fills it
 * in and then only shares it: a record that another holder has is never
 * modified (a change of the device is a new record).
 *
 * Every string is valid UTF-8 (what udev gave is made valid), so that it
 * can go into a D-Bus string as it is.
 */

typedef struct {
  guint16     vendor_id;
  guint16     product_id;
  char       *serial;      /* ID_SERIAL_SHORT, else the sysfs "serial"; "" if none */
  char       *usb_path;    /* "BUS-PORT[.PORT]…", e.g. "1-1.4": OpenOCD's `adapter usb location` */
  char       *model;       /* from the built-in table or a [Probe] rule */
  gboolean    accessible;  /* this process may open the device node read-write */
  char       *id;          /* unique among plugged devices and object-path safe, e.g. "usb1_1_4" */
  char       *sysfs_path;
  char       *devnode;     /* "/dev/bus/usb/BBB/DDD", or NULL */
  GHashTable *properties;  /* (element-type utf8 utf8) the device's udev properties */
} OodUsbProbe;

#define OOD_TYPE_USB_PROBE (ood_usb_probe_get_type ())
GType        ood_usb_probe_get_type   (void) G_GNUC_CONST;

OodUsbProbe *ood_usb_probe_new        (void);
OodUsbProbe *ood_usb_probe_ref        (OodUsbProbe *probe);
void         ood_usb_probe_unref      (OodUsbProbe *probe);
const char  *ood_usb_probe_get_property (const OodUsbProbe *probe,
                                         const char        *key);
gboolean     ood_usb_probe_same_identity (const OodUsbProbe *a,
                                          const OodUsbProbe *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodUsbProbe, ood_usb_probe_unref)

G_END_DECLS
