/* SPDX-License-Identifier: MIT */
/* Fake USB debug probes below udev, with umockdev: a device in the
 * testbed's sysfs with the attributes the kernel gives a USB device and
 * the properties udev adds (ID_VENDOR_ID, ID_MODEL_ID, ID_SERIAL_SHORT,
 * DEVNAME, …), and a device node, so that whatever uses libudev (GUdev)
 * sees a plugged-in probe, and the uevents of plugging it in and out.
 *
 * A process that uses a testbed must run under umockdev-wrapper (it
 * preloads libumockdev-preload); meson runs the tests that way. Creating
 * the testbed sets UMOCKDEV_DIR in this process's environment, so a child
 * spawned afterwards (the daemon, in an integration test) inherits it and
 * the preload (LD_PRELOAD) and sees the same devices and uevents: spawn
 * it with the parent's environment, after umockdev_testbed_new(). Under
 * AddressSanitizer the preload comes before ASan's runtime: the child
 * needs ASAN_OPTIONS with verify_asan_link_order=0, as the test has it.
 */
#pragma once

#include <umockdev.h>

G_BEGIN_DECLS

typedef struct {
  guint16     vendor_id;
  guint16     product_id;
  const char *serial;        /* NULL: none */
  const char *manufacturer;  /* NULL: none */
  const char *product;       /* NULL: none */
  const char *interface;     /* NULL: none; else the string of its one interface, added
                              * after the device and announced by a "bind" of the device */
  guint       busnum;        /* 1 to 255 */
  const char *devpath;       /* the ports from the root hub, as "1.4" */
  guint       devnum;        /* 1 to 127 */
  gboolean    no_udev_serial; /* the serial only in sysfs, not as ID_SERIAL_SHORT */
  gboolean    no_node;       /* no device node yet: nobody can open it */
} OodTestUsbDevice;

UMockdevTestbed *ood_test_usb_testbed_new (void);
char     *ood_test_usb_add         (UMockdevTestbed        *testbed,
                                    const OodTestUsbDevice *device);
void      ood_test_usb_remove      (UMockdevTestbed *testbed,
                                    const char      *sysfs_path);
void      ood_test_usb_set_node    (UMockdevTestbed *testbed,
                                    const char      *sysfs_path,
                                    gboolean         present);

G_END_DECLS
