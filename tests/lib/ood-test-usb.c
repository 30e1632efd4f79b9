/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-test-usb"

#include "ood-test-usb.h"

#include <glib/gstdio.h>
#include <string.h>

#define USB_MAJOR 189

/* A new testbed; fails the test unless the umockdev preload is in this
 * process (which umockdev can only tell once a testbed set UMOCKDEV_DIR). */
UMockdevTestbed *
ood_test_usb_testbed_new (void)
{
  UMockdevTestbed *testbed = umockdev_testbed_new ();

  if (!umockdev_in_mock_environment ())
    g_error ("run this test under umockdev-wrapper: it fakes USB devices below udev");
  return testbed;
}

/* Adds KEY and the formatted value to @list of keys and values. */
static void G_GNUC_PRINTF (3, 4)
add (GPtrArray *list, const char *key, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (list, g_strdup (key));
  g_ptr_array_add (list, g_strdup_vprintf (format, args));
  va_end (args);
}

/* udev's ID_VENDOR and ID_MODEL: a USB string with its blanks as "_". */
static char *
udev_string (const char *usb_string)
{
  return g_strdelimit (g_strdup (usb_string), " \t", '_');
}

/* What the kernel puts in sysfs for a USB device. */
static char **
device_attributes (const OodTestUsbDevice *device, guint minor)
{
  GPtrArray *list = g_ptr_array_new ();

  add (list, "idVendor", "%04x", device->vendor_id);
  add (list, "idProduct", "%04x", device->product_id);
  add (list, "bcdDevice", "0100");
  add (list, "busnum", "%u", device->busnum);
  add (list, "devnum", "%u", device->devnum);
  add (list, "devpath", "%s", device->devpath);
  add (list, "dev", "%u:%u", USB_MAJOR, minor);
  add (list, "speed", "12");
  add (list, "bDeviceClass", "00");
  add (list, "bNumInterfaces", " 1");
  if (device->serial != NULL)
    add (list, "serial", "%s", device->serial);
  if (device->manufacturer != NULL)
    add (list, "manufacturer", "%s", device->manufacturer);
  if (device->product != NULL)
    add (list, "product", "%s", device->product);
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

/* What the kernel's uevent and udev's rules (60-persistent-usb and the
 * hwdb) give a USB device. */
static char **
device_properties (const OodTestUsbDevice *device, guint minor)
{
  GPtrArray *list = g_ptr_array_new ();
  g_autofree char *vendor = udev_string (device->manufacturer != NULL ? device->manufacturer
                                                                      : "unknown");
  g_autofree char *model = udev_string (device->product != NULL ? device->product : "unknown");

  add (list, "DEVTYPE", "usb_device");
  add (list, "DEVNAME", "/dev/bus/usb/%03u/%03u", device->busnum, device->devnum);
  add (list, "PRODUCT", "%x/%x/100", device->vendor_id, device->product_id);
  add (list, "TYPE", "0/0/0");
  add (list, "BUSNUM", "%03u", device->busnum);
  add (list, "DEVNUM", "%03u", device->devnum);
  add (list, "MAJOR", "%u", USB_MAJOR);
  add (list, "MINOR", "%u", minor);
  add (list, "ID_BUS", "usb");
  add (list, "ID_VENDOR_ID", "%04x", device->vendor_id);
  add (list, "ID_MODEL_ID", "%04x", device->product_id);
  add (list, "ID_REVISION", "0100");
  add (list, "ID_VENDOR", "%s", vendor);
  add (list, "ID_MODEL", "%s", model);
  if (device->serial != NULL && !device->no_udev_serial)
    {
      add (list, "ID_SERIAL_SHORT", "%s", device->serial);
      add (list, "ID_SERIAL", "%s_%s_%s", vendor, model, device->serial);
    }
  else
    add (list, "ID_SERIAL", "%s_%s", vendor, model);
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

/* The node of the device with @devname ("bus/usb/001/005") in @testbed. */
static char *
node_path (UMockdevTestbed *testbed, const char *devname)
{
  g_autofree char *root = umockdev_testbed_get_root_dir (testbed);

  return g_build_filename (root, "dev", devname, NULL);
}

static void
create_node (UMockdevTestbed *testbed, const char *devname)
{
  g_autofree char *path = node_path (testbed, devname);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_NONE, 0660, &error));
  g_assert_no_error (error);
}

/**
 * ood_test_usb_set_node:
 * @present: whether the device node is to be there (mode 0660)
 *
 * Creates or removes the device node of the device at @sysfs_path; then
 * udev says "change", as after its permissions changed.
 */
void
ood_test_usb_set_node (UMockdevTestbed *testbed, const char *sysfs_path, gboolean present)
{
  g_autofree char *devname = umockdev_testbed_get_property (testbed, sysfs_path, "DEVNAME");
  g_autofree char *path = NULL;

  g_assert_nonnull (devname);
  path = node_path (testbed, devname);
  if (present)
    create_node (testbed, devname);
  else
    g_assert_cmpint (g_unlink (path), ==, 0);
  umockdev_testbed_uevent (testbed, sysfs_path, "change");
}

/* The interface of @device, below it; then the device is bound. */
static void
add_interface (UMockdevTestbed *testbed, const char *sysfs_path, const OodTestUsbDevice *device)
{
  g_autofree char *name = g_strdup_printf ("%u-%s:1.0", device->busnum, device->devpath);
  g_autofree char *path = umockdev_testbed_add_device (
      testbed, "usb", name, sysfs_path,
      "interface", device->interface, "bInterfaceClass", "ff", "bInterfaceNumber", "00",
      NULL,
      "DEVTYPE", "usb_interface", "INTERFACE", "255/0/0", NULL);

  g_assert_nonnull (path);
  umockdev_testbed_uevent (testbed, sysfs_path, "bind");
}

/**
 * ood_test_usb_add:
 *
 * Plugs in @device: it appears in sysfs below a root hub and udev says
 * "add" (then "bind", if it has an interface).
 *
 * Returns: (transfer full): its sysfs path
 */
char *
ood_test_usb_add (UMockdevTestbed *testbed, const OodTestUsbDevice *device)
{
  guint minor = (device->busnum - 1) * 128 + device->devnum - 1;
  g_autofree char *name = g_strdup_printf ("pci0000:00/0000:00:14.0/usb%u/%u-%s", device->busnum,
                                           device->busnum, device->devpath);
  g_auto(GStrv) attributes = device_attributes (device, minor);
  g_auto(GStrv) properties = device_properties (device, minor);
  char *sysfs_path;

  g_assert_cmpuint (device->busnum, >=, 1);
  g_assert_cmpuint (device->busnum, <=, 255);
  g_assert_cmpuint (device->devnum, >=, 1);
  g_assert_cmpuint (device->devnum, <=, 127);
  /* the node is there before udev announces the device, as udev makes it */
  if (!device->no_node)
    {
      g_autofree char *devname = g_strdup_printf ("bus/usb/%03u/%03u", device->busnum,
                                                  device->devnum);
      create_node (testbed, devname);
    }
  sysfs_path = umockdev_testbed_add_devicev (testbed, "usb", name, NULL,
                                             attributes,
                                             properties);
  g_assert_nonnull (sysfs_path);
  if (device->interface != NULL)
    add_interface (testbed, sysfs_path, device);
  return sysfs_path;
}

/* umockdev before 0.18.4 removes a device without a word */
static void
remove_device (UMockdevTestbed *testbed, const char *sysfs_path)
{
#ifdef OOD_UMOCKDEV_REMOVE_IS_SILENT
  umockdev_testbed_uevent (testbed, sysfs_path, "remove");
#endif
  umockdev_testbed_remove_device (testbed, sysfs_path);
}

/**
 * ood_test_usb_remove:
 *
 * Unplugs the device at @sysfs_path: udev says "remove" (for its
 * interface first, as the kernel does).
 */
void
ood_test_usb_remove (UMockdevTestbed *testbed, const char *sysfs_path)
{
  g_autofree char *root = umockdev_testbed_get_root_dir (testbed);
  g_autofree char *dir = g_build_filename (root, sysfs_path, NULL);
  g_autoptr(GDir) entries = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) interfaces = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  g_assert_nonnull (entries);
  while ((entry = g_dir_read_name (entries)) != NULL)
    if (strchr (entry, ':') != NULL)
      g_ptr_array_add (interfaces, g_build_filename (sysfs_path, entry, NULL));
  for (guint i = 0; i < interfaces->len; i++)
    remove_device (testbed, interfaces->pdata[i]);
  remove_device (testbed, sysfs_path);
}
