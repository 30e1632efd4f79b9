/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib-object.h>

#include "ood-usb-probe.h"

G_BEGIN_DECLS

/*
 * Notices USB debug probes through udev, as ModemManager notices modems:
 * ood_usb_watcher_start() lists the USB devices present (coldplug), then
 * the watcher follows udev's uevents for devices of subsystem "usb",
 * devtype "usb_device". A device is a probe if the built-in table knows
 * it (ood-probe-table.h), or a [Probe] rule of the configuration matches
 * it (ood_usb_watcher_set_rules()); it is then an OodUsbProbe record,
 * whose fields are:
 *   UsbPath  BUSNUM-DEVPATH from sysfs ("1-1.4"), the form OpenOCD 0.12's
 *            `adapter usb location` compares with libusb's bus and port
 *            numbers (it keeps 15 characters of it: 7 tiers of ports);
 *   Id       "usb" BUSNUM "_" DEVPATH with dots as underscores
 *            ("usb1_1_4"): the port the device is plugged into, unique
 *            among plugged devices because the kernel puts one device
 *            on a port; stable while it stays there, also across
 *            restarts of the service; and made of nothing the device
 *            chose (serials are missing, repeated across clones, or any
 *            bytes at all);
 *   Model    the first matching rule's Model=, else the table's, else
 *            "CMSIS-DAP" for a CMSIS-DAP probe, else the rule's name;
 *   Accessible  access(2) of the device node for reading and writing.
 *
 * Signals, each with the record (transfer none):
 *   "added"    a probe was plugged in; also for every probe present at
 *              ood_usb_watcher_start(), and for a device that becomes a
 *              probe when the rules change;
 *   "changed"  the same probe with a new record in which only
 *              Accessible differs (a "change" uevent after the device's
 *              permissions changed, e.g. on `udevadm trigger` once udev
 *              rules for it are installed);
 *   "removed"  the record "added" or "changed" gave last: the probe was
 *              unplugged, or is no longer one after the rules changed.
 *              A probe whose record changes otherwise (its Model, after
 *              the rules changed) is "removed" and "added" again.
 *
 * A CMSIS-DAP probe known only by an interface string is found when
 * udev reports the device bound ("bind"), after the kernel added its
 * interfaces. Knows nothing of D-Bus; emits on the thread-default main
 * context of ood_usb_watcher_start()'s caller. Reading sysfs is not
 * disk I/O: it is done on that context.
 */

#define OOD_TYPE_USB_WATCHER (ood_usb_watcher_get_type ())
G_DECLARE_FINAL_TYPE (OodUsbWatcher, ood_usb_watcher, OOD, USB_WATCHER, GObject)

OodUsbWatcher *ood_usb_watcher_new       (void);
void           ood_usb_watcher_set_rules (OodUsbWatcher *self,
                                          GPtrArray     *rules);
void           ood_usb_watcher_start     (OodUsbWatcher *self);
GPtrArray     *ood_usb_watcher_list      (OodUsbWatcher *self);
OodUsbProbe   *ood_usb_watcher_lookup    (OodUsbWatcher *self,
                                          const char    *id);

G_END_DECLS
