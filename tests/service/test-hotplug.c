/* SPDX-License-Identifier: MIT */
/*
 * Probes that appear when plugged in: the real daemon on a private bus
 * sees fake USB probes below udev (umockdev: this test owns the testbed,
 * the daemon inherits it through umockdev-wrapper's preload), publishes
 * each at /org/openocd/probes/ID, and for a probe a [Probe NAME] rule
 * gives an Exec= starts a supervised endpoint whose OpenOCD drives a
 * simulated board; unplugging the probe takes the endpoint, its target
 * and its OpenOCD away. The daemon itself only sees udev.
 */
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "ood-error.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-proc.h"
#include "ood-test-usb.h"

#define WAIT_MS 20000

/* Two ST-Link V2-1 probes on ports 1-1.4 and 1-2, and what is not a probe. */
static const OodTestUsbDevice probe_a = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "ABC123",
  .manufacturer = "STMicroelectronics", .product = "STM32 STLink",
  .busnum = 1, .devpath = "1.4", .devnum = 5,
};
static const OodTestUsbDevice probe_b = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "DEF456",
  .manufacturer = "STMicroelectronics", .product = "STM32 STLink",
  .busnum = 1, .devpath = "2", .devnum = 6,
};
static const OodTestUsbDevice keyboard = {
  .vendor_id = 0x046d, .product_id = 0xc31c, .serial = "KB1", .product = "USB Keyboard",
  .busnum = 1, .devpath = "3", .devnum = 7,
};
/* A serial that would be Tcl if it were substituted. */
static const OodTestUsbDevice hostile = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "x]; shutdown; [",
  .busnum = 1, .devpath = "5", .devnum = 8,
};

/* The shared fixture (two boards, for probe_a and probe_b), and the fake
 * USB devices. */
typedef struct {
  OodTestFixture base;
  UMockdevTestbed *usb;
} HotplugFixture;

/* Two boards whose OpenOCDs the service runs when their probes come, and
 * no service yet: the setup writes the rules and starts it. */
static const OodServiceOptions two_boards = { .no_service = TRUE,
                                              .supervised = TRUE,
                                              .n_boards = 2 };

/* "[Probe NAME]" matching @serial, whose Exec= runs OpenOCD for @board and
 * prints the serial it was given, so the test can read it back. */
static void
append_rule (GString *text, const char *name, const char *serial, OodTestbed *board)
{
  g_auto(GStrv) argv = ood_testbed_dup_openocd_argv (board);

  g_string_append_printf (text, "[Probe %s]\nMatch=ID_VENDOR_ID=0483 ID_SERIAL_SHORT=%s\nExec=",
                          name, serial);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      g_string_append_printf (text, "%s ", quoted);
    }
  g_string_append (text, "-c 'echo {serial is %s at %p}'\n");
}

static void
hotplug_set_up (HotplugFixture *fx, gconstpointer options)
{
  const char *hostile_rule = "[Probe any]\nMatch=ID_VENDOR_ID=0483\nExec=openocd -c 'echo %s'\n";
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  /* first, so that every process started from now on sees it */
  fx->usb = ood_test_usb_testbed_new ();
  ood_test_fixture_set_up (&fx->base, options);
  append_rule (text, "nucleo", "ABC123", ood_service_fixture_get_testbed (fx->base.service, 0));
  append_rule (text, "disco", "DEF456", ood_service_fixture_get_testbed (fx->base.service, 1));
  /* the first matching rule counts: this one only serves the hostile serial */
  g_string_append (text, hostile_rule);
  g_assert_true (ood_service_fixture_use_config (fx->base.service, text->str, &error));
  g_assert_true (ood_service_fixture_start_service (fx->base.service, &error));
  g_assert_no_error (error);
}

static void
hotplug_tear_down (HotplugFixture *fx, gconstpointer options)
{
  ood_test_fixture_tear_down (&fx->base, options);
  g_clear_object (&fx->usb);
}

static GVariant *
property (HotplugFixture *fx, const char *path, const char *iface, const char *name)
{
  return ood_test_get_property (fx->base.bus, path, iface, name, 5000, NULL);
}

typedef struct {
  HotplugFixture *fx;
  const char *path;
  const char *iface;
  const char *name;
  const char *equals; /* a string property's value, or NULL: exists */
  gboolean gone;      /* the property cannot be read: the object is gone */
} Until;

static gboolean
until_holds (gpointer user_data)
{
  Until *until = user_data;
  g_autoptr(GVariant) value = property (until->fx, until->path, until->iface, until->name);

  if (until->gone)
    return value == NULL;
  if (value == NULL)
    return FALSE;
  if (until->equals == NULL)
    return TRUE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean (value) == g_str_equal (until->equals, "true");
  return g_strcmp0 (g_variant_get_string (value, NULL), until->equals) == 0;
}

static void
wait_until (HotplugFixture *fx, const char *path, const char *iface, const char *name,
            const char *equals)
{
  Until until = { fx, path, iface, name, equals, FALSE };

  if (!ood_test_wait_for (until_holds, &until, WAIT_MS))
    g_error ("%s %s.%s never became %s", path, iface, name, equals != NULL ? equals : "readable");
}

static void
wait_gone (HotplugFixture *fx, const char *path, const char *iface)
{
  Until until = { fx, path, iface, "Name", NULL, TRUE };

  if (g_str_equal (iface, "org.openocd.Probe"))
    until.name = "Model";
  if (!ood_test_wait_for (until_holds, &until, WAIT_MS))
    g_error ("%s never went", path);
}

static GPid
pid_of (HotplugFixture *fx, const char *endpoint_path)
{
  g_autoptr(GVariant) pid = property (fx, endpoint_path, "org.openocd.Endpoint", "Pid");

  g_assert_nonnull (pid);
  return (GPid) g_variant_get_uint32 (pid);
}

static gboolean
pid_gone (gpointer pid)
{
  return !ood_test_pid_alive (GPOINTER_TO_INT (pid));
}

/* Waits until @endpoint_path is connected with its target published. */
static void
wait_serving (HotplugFixture *fx, const char *endpoint_path)
{
  g_autofree char *target = g_strdup_printf ("%s/riscv_2ecpu", endpoint_path);

  wait_until (fx, endpoint_path, "org.openocd.Endpoint", "Connected", "true");
  wait_until (fx, target, "org.openocd.Target", "State", "running");
}

/* ---- cases -------------------------------------------------------------- */

/* A probe plugged in is published with its properties; its rule's Exec=
 * becomes a supervised endpoint, with the serial substituted; unplugged,
 * the endpoint, its target and its OpenOCD are gone. */
static void
test_plug_unplug (HotplugFixture *fx, gconstpointer options)
{
  g_autofree char *sysfs = ood_test_usb_add (fx->usb, &probe_a);
  const char *probe = "/org/openocd/probes/usb1_1_4";
  const char *endpoint = "/org/openocd/nucleo_2dABC123";
  g_autoptr(GVariant) vid = NULL;
  g_autoptr(GVariant) pid_prop = NULL;
  g_autoptr(GVariant) serial = NULL;
  g_autoptr(GVariant) usb_path = NULL;
  g_autoptr(GVariant) model = NULL;
  g_autoptr(GVariant) origin = NULL;
  g_auto(GStrv) log = NULL;
  GPid pid;

  (void) options;
  wait_until (fx, probe, "org.openocd.Probe", "Endpoint", endpoint);
  vid = property (fx, probe, "org.openocd.Probe", "VendorId");
  pid_prop = property (fx, probe, "org.openocd.Probe", "ProductId");
  serial = property (fx, probe, "org.openocd.Probe", "Serial");
  usb_path = property (fx, probe, "org.openocd.Probe", "UsbPath");
  model = property (fx, probe, "org.openocd.Probe", "Model");
  g_assert_cmpuint (g_variant_get_uint16 (vid), ==, 0x0483);
  g_assert_cmpuint (g_variant_get_uint16 (pid_prop), ==, 0x374b);
  g_assert_cmpstr (g_variant_get_string (serial, NULL), ==, "ABC123");
  g_assert_cmpstr (g_variant_get_string (usb_path, NULL), ==, "1-1.4");
  g_assert_cmpstr (g_variant_get_string (model, NULL), !=, "");

  wait_serving (fx, endpoint);
  origin = property (fx, endpoint, "org.openocd.Endpoint", "Origin");
  g_assert_cmpstr (g_variant_get_string (origin, NULL), ==, "probe");
  log = ood_test_endpoint_log (fx->base.bus, endpoint, 0);
  g_assert_true (ood_test_lines_have (log, "serial is ABC123 at 1-1.4"));
  pid = pid_of (fx, endpoint);
  g_assert_cmpint (pid, >, 0);

  ood_test_usb_remove (fx->usb, sysfs);
  wait_gone (fx, probe, "org.openocd.Probe");
  wait_gone (fx, endpoint, "org.openocd.Endpoint");
  g_assert_null (property (fx, "/org/openocd/nucleo_2dABC123/riscv_2ecpu", "org.openocd.Target",
                           "State"));
  g_assert_true (ood_test_wait_for (pid_gone, GINT_TO_POINTER (pid), WAIT_MS));
}

/* Two probes: two endpoints, two OpenOCDs on distinct ports. */
static void
test_two_probes (HotplugFixture *fx, gconstpointer options)
{
  g_autofree char *a = ood_test_usb_add (fx->usb, &probe_a);
  g_autofree char *b = ood_test_usb_add (fx->usb, &probe_b);
  g_autoptr(GVariant) address_a = NULL;
  g_autoptr(GVariant) address_b = NULL;

  (void) options;
  wait_serving (fx, "/org/openocd/nucleo_2dABC123");
  wait_serving (fx, "/org/openocd/disco_2dDEF456");
  address_a = property (fx, "/org/openocd/nucleo_2dABC123", "org.openocd.Endpoint", "Address");
  address_b = property (fx, "/org/openocd/disco_2dDEF456", "org.openocd.Endpoint", "Address");
  g_assert_cmpstr (g_variant_get_string (address_a, NULL), !=,
                   g_variant_get_string (address_b, NULL));
  g_assert_cmpint (pid_of (fx, "/org/openocd/nucleo_2dABC123"), !=,
                   pid_of (fx, "/org/openocd/disco_2dDEF456"));
}

/* What is not a probe is not published; a serial that is not safe to
 * substitute gets the probe published but no endpoint. */
static void
test_not_served (HotplugFixture *fx, gconstpointer options)
{
  g_autofree char *kb = ood_test_usb_add (fx->usb, &keyboard);
  g_autofree char *bad = ood_test_usb_add (fx->usb, &hostile);
  g_autofree char *good = NULL;
  g_autofree char *service_log = NULL;
  g_autoptr(GVariant) endpoint = NULL;

  (void) options;
  /* the hostile probe is published, and stays without an endpoint */
  wait_until (fx, "/org/openocd/probes/usb1_5", "org.openocd.Probe", "Endpoint", "/");
  /* a probe plugged in after both is served: the two before were seen */
  good = ood_test_usb_add (fx->usb, &probe_a);
  wait_serving (fx, "/org/openocd/nucleo_2dABC123");
  g_assert_null (property (fx, "/org/openocd/probes/usb1_3", "org.openocd.Probe", "Model"));
  endpoint = property (fx, "/org/openocd/probes/usb1_5", "org.openocd.Probe", "Endpoint");
  g_assert_cmpstr (g_variant_get_string (endpoint, NULL), ==, "/");
  g_assert_true (g_file_get_contents (ood_service_fixture_get_log_path (fx->base.service),
                                      &service_log, NULL, NULL));
  g_assert_nonnull (strstr (service_log, "probe usb1_5"));
  g_assert_null (strstr (service_log, "shutdown command invoked"));
}

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
              const char *signal, GVariant *parameters, gpointer user_data)
{
  GVariant **completed = user_data;

  (void) bus;
  (void) sender;
  (void) path;
  (void) iface;
  (void) signal;
  if (*completed == NULL)
    *completed = g_variant_ref (parameters);
}

static gboolean
have (gpointer user_data)
{
  return *(GVariant **) user_data != NULL;
}

static gboolean
job_writing (gpointer user_data)
{
  Until *until = user_data;

  return until_holds (until);
}

/* A probe unplugged in the middle of a flash job: the job fails with a
 * typed error, and the service goes on serving the other probe's board. */
static void
test_unplug_during_job (HotplugFixture *fx, gconstpointer options)
{
  g_autofree char *a = ood_test_usb_add (fx->usb, &probe_a);
  g_autofree char *b = ood_test_usb_add (fx->usb, &probe_b);
  GDBusConnection *bus = NULL;
  g_autoptr(GBytes) image = ood_test_random_flash_image (64 * 1024);
  g_autofree char *image_path = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) completed = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  const char *job = NULL;
  const char *error_name = NULL;
  gboolean success = TRUE;
  Until writing = { fx, NULL, "org.openocd.Job", "Phase", "writing", FALSE };
  guint subscription;
  int fd;

  (void) options;
  wait_serving (fx, "/org/openocd/nucleo_2dABC123");
  wait_serving (fx, "/org/openocd/disco_2dDEF456");
  bus = fx->base.bus;
  image_path = ood_test_save_bytes (ood_service_fixture_get_tmpdir (fx->base.service), "image.bin",
                                    image);
  fd = g_open (image_path, O_RDONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  {
    g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array (&fd, 1);
    reply = g_dbus_connection_call_with_unix_fd_list_sync (
        bus, "org.openocd", "/org/openocd/nucleo_2dABC123/riscv_2ecpu", "org.openocd.Flash",
        "Program", g_variant_new ("(hst@a{sv})", 0, "bin", (guint64) 0x08000000,
                                  g_variant_new ("a{sv}", NULL)), G_VARIANT_TYPE ("(o)"),
        G_DBUS_CALL_FLAGS_NONE, WAIT_MS, fds, NULL, NULL, &error);
  }
  g_assert_no_error (error);
  g_variant_get (reply, "(&o)", &job);
  subscription = g_dbus_connection_signal_subscribe (bus, "org.openocd", "org.openocd.Job",
                                                     "Completed", job, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_completed,
                                                     &completed, NULL);
  writing.path = job;
  g_assert_true (ood_test_wait_for (job_writing, &writing, WAIT_MS));

  ood_test_usb_remove (fx->usb, a);
  g_assert_true (ood_test_wait_for (have, &completed, WAIT_MS));
  g_variant_get (completed, "(b&s&s)", &success, &error_name, NULL);
  g_assert_false (success);
  g_assert_cmpstr (error_name, ==, "org.openocd.Error.Disconnected");
  g_dbus_connection_signal_unsubscribe (bus, subscription);

  /* the other board answers */
  state = g_dbus_connection_call_sync (bus, "org.openocd", "/org/openocd/disco_2dDEF456/riscv_2ecpu",
                                       "org.openocd.Target", "State", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (state);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, test)                                                                            \
  g_test_add (path, HotplugFixture, &two_boards, hotplug_set_up, test, hotplug_tear_down)
  ADD ("/hotplug/plug-unplug", test_plug_unplug);
  ADD ("/hotplug/two-probes", test_two_probes);
  ADD ("/hotplug/not-served", test_not_served);
  ADD ("/hotplug/unplug-during-job", test_unplug_during_job);
#undef ADD
  return g_test_run ();
}
