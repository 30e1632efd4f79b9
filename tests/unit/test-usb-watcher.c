/* SPDX-License-Identifier: MIT */
/* The USB watcher in-process against fake probes below udev (umockdev):
 * coldplug, plug and unplug, what is not a probe, CMSIS-DAP by its
 * strings, probes a [Probe] rule adds, permissions that change; a child
 * process that sees the same testbed; and the org.openocd.Probe object
 * built from a record. Runs under umockdev-wrapper (see meson.build). */
#include <gio/gio.h>
#include <string.h>

#include "ood-config.h"
#include "ood-probe.h"
#include "ood-probe-set.h"
#include "ood-test-usb.h"
#include "ood-usb-watcher.h"

#ifndef OOD_USB_WATCH_DEFAULT
#error "OOD_USB_WATCH_DEFAULT: the usb-watch helper"
#endif

/* Only "give up waiting": no test asserts how long anything takes. */
#define GIVE_UP_S 20

typedef struct {
  char        *kind;   /* "added", "changed" or "removed" */
  OodUsbProbe *probe;
} Event;

typedef struct {
  UMockdevTestbed *testbed;
  OodUsbWatcher   *watcher;
  GPtrArray       *events;   /* (element-type Event) in order */
} Fixture;

static void
event_free (Event *event)
{
  g_free (event->kind);
  ood_usb_probe_unref (event->probe);
  g_free (event);
}

static void
record (Fixture *fixture, const char *kind, OodUsbProbe *probe)
{
  Event *event = g_new0 (Event, 1);

  event->kind = g_strdup (kind);
  event->probe = ood_usb_probe_ref (probe);
  g_ptr_array_add (fixture->events, event);
}

static void
on_added (OodUsbWatcher *watcher, OodUsbProbe *probe, Fixture *fixture)
{
  (void) watcher;
  record (fixture, "added", probe);
}

static void
on_changed (OodUsbWatcher *watcher, OodUsbProbe *probe, Fixture *fixture)
{
  (void) watcher;
  record (fixture, "changed", probe);
}

static void
on_removed (OodUsbWatcher *watcher, OodUsbProbe *probe, Fixture *fixture)
{
  (void) watcher;
  record (fixture, "removed", probe);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  (void) data;
  fixture->testbed = ood_test_usb_testbed_new ();
  fixture->watcher = ood_usb_watcher_new ();
  fixture->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  g_signal_connect (fixture->watcher, "added", G_CALLBACK (on_added), fixture);
  g_signal_connect (fixture->watcher, "changed", G_CALLBACK (on_changed), fixture);
  g_signal_connect (fixture->watcher, "removed", G_CALLBACK (on_removed), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_clear_object (&fixture->watcher);
  g_clear_pointer (&fixture->events, g_ptr_array_unref);
  g_clear_object (&fixture->testbed);
}

static gboolean
on_give_up (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @n events in all were seen (or gives up). */
static void
wait_events (Fixture *fixture, guint n)
{
  gboolean gave_up = FALSE;
  guint timeout = g_timeout_add_seconds (GIVE_UP_S, on_give_up, &gave_up);

  while (fixture->events->len < n && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  if (!gave_up)
    g_source_remove (timeout);
  g_assert_cmpuint (fixture->events->len, ==, n);
}

/* Asserts event @i is @kind, and returns its record. */
static OodUsbProbe *
event_at (Fixture *fixture, guint i, const char *kind)
{
  Event *event;

  g_assert_cmpuint (i, <, fixture->events->len);
  event = fixture->events->pdata[i];
  g_assert_cmpstr (event->kind, ==, kind);
  return event->probe;
}

static const OodTestUsbDevice stlink = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "066DFF3632504B5043184629",
  .manufacturer = "STMicroelectronics", .product = "STM32 STLink",
  .busnum = 1, .devpath = "1.4", .devnum = 5,
};

static const OodTestUsbDevice jlink = {
  .vendor_id = 0x1366, .product_id = 0x0101, .serial = "000123456789",
  .manufacturer = "SEGGER", .product = "J-Link",
  .busnum = 3, .devpath = "2", .devnum = 7,
};

static const OodTestUsbDevice keyboard = {
  .vendor_id = 0x046d, .product_id = 0xc31c, .manufacturer = "Logitech",
  .product = "USB Keyboard", .busnum = 1, .devpath = "2", .devnum = 3,
};

static void
assert_stlink (const OodUsbProbe *probe, const char *sysfs_path)
{
  g_assert_cmpuint (probe->vendor_id, ==, 0x0483);
  g_assert_cmpuint (probe->product_id, ==, 0x374b);
  g_assert_cmpstr (probe->serial, ==, "066DFF3632504B5043184629");
  g_assert_cmpstr (probe->usb_path, ==, "1-1.4");
  g_assert_cmpstr (probe->model, ==, "ST-LINK/V2-1");
  g_assert_true (probe->accessible);
  g_assert_cmpstr (probe->id, ==, "usb1_1_4");
  g_assert_cmpstr (probe->sysfs_path, ==, sysfs_path);
  g_assert_cmpstr (probe->devnode, ==, "/dev/bus/usb/001/005");
  g_assert_cmpstr (ood_usb_probe_get_property (probe, "ID_VENDOR_ID"), ==, "0483");
  g_assert_cmpstr (ood_usb_probe_get_property (probe, "ID_MODEL_ID"), ==, "374b");
}

/* A probe plugged in before the start is "added" by the start itself. */
static void
test_coldplug (Fixture *fixture, gconstpointer data)
{
  g_autofree char *path = ood_test_usb_add (fixture->testbed, &stlink);
  g_autoptr(GPtrArray) list = NULL;

  (void) data;
  g_assert_cmpuint (fixture->events->len, ==, 0);
  ood_usb_watcher_start (fixture->watcher);
  g_assert_cmpuint (fixture->events->len, ==, 1);
  assert_stlink (event_at (fixture, 0, "added"), path);
  list = ood_usb_watcher_list (fixture->watcher);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_true (list->pdata[0] == event_at (fixture, 0, "added"));
  g_assert_true (ood_usb_watcher_lookup (fixture->watcher, "usb1_1_4") == list->pdata[0]);
}

/* Plugged in at run time: "added" with every field from udev and sysfs. */
static void
test_hotplug (Fixture *fixture, gconstpointer data)
{
  g_autofree char *stlink_path = NULL;
  g_autofree char *jlink_path = NULL;
  OodUsbProbe *probe;

  (void) data;
  ood_usb_watcher_start (fixture->watcher);
  g_assert_cmpuint (fixture->events->len, ==, 0);
  stlink_path = ood_test_usb_add (fixture->testbed, &stlink);
  wait_events (fixture, 1);
  assert_stlink (event_at (fixture, 0, "added"), stlink_path);

  jlink_path = ood_test_usb_add (fixture->testbed, &jlink);
  wait_events (fixture, 2);
  probe = event_at (fixture, 1, "added");
  g_assert_cmpuint (probe->vendor_id, ==, 0x1366);
  g_assert_cmpuint (probe->product_id, ==, 0x0101);
  g_assert_cmpstr (probe->serial, ==, "000123456789");
  g_assert_cmpstr (probe->usb_path, ==, "3-2");
  g_assert_cmpstr (probe->model, ==, "SEGGER J-Link");
  g_assert_true (probe->accessible);
  g_assert_cmpstr (probe->id, ==, "usb3_2");
  g_assert_cmpstr (probe->devnode, ==, "/dev/bus/usb/003/007");
}

/* Unplugged: "removed" with the record "added" gave, and it is gone. */
static void
test_remove (Fixture *fixture, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) list = NULL;

  (void) data;
  ood_usb_watcher_start (fixture->watcher);
  path = ood_test_usb_add (fixture->testbed, &stlink);
  wait_events (fixture, 1);
  ood_test_usb_remove (fixture->testbed, path);
  wait_events (fixture, 2);
  g_assert_true (event_at (fixture, 1, "removed") == event_at (fixture, 0, "added"));
  list = ood_usb_watcher_list (fixture->watcher);
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_null (ood_usb_watcher_lookup (fixture->watcher, "usb1_1_4"));

  /* plugged in again, into the same port: the same Id */
  g_free (path);
  path = ood_test_usb_add (fixture->testbed, &stlink);
  wait_events (fixture, 3);
  g_assert_cmpstr (event_at (fixture, 2, "added")->id, ==, "usb1_1_4");
}

/* A keyboard is no probe: its uevents, which come before the probe's,
 * make no signal, at coldplug or later. */
static void
test_not_a_probe (Fixture *fixture, gconstpointer data)
{
  g_autofree char *early = ood_test_usb_add (fixture->testbed, &keyboard);
  OodTestUsbDevice second = keyboard;
  g_autofree char *late = NULL;
  g_autofree char *probe = NULL;

  (void) data;
  ood_usb_watcher_start (fixture->watcher);
  g_assert_cmpuint (fixture->events->len, ==, 0);
  second.devpath = "3";
  second.devnum = 4;
  late = ood_test_usb_add (fixture->testbed, &second);
  probe = ood_test_usb_add (fixture->testbed, &stlink);
  wait_events (fixture, 1);
  g_assert_cmpstr (event_at (fixture, 0, "added")->sysfs_path, ==, probe);

  ood_test_usb_remove (fixture->testbed, late);
  ood_test_usb_remove (fixture->testbed, early);
  ood_test_usb_remove (fixture->testbed, probe);
  wait_events (fixture, 2);
  g_assert_cmpstr (event_at (fixture, 1, "removed")->sysfs_path, ==, probe);
}

/* CMSIS-DAP has no IDs of its own: "CMSIS-DAP" in the product string. */
static void
test_cmsis_dap_product (Fixture *fixture, gconstpointer data)
{
  const OodTestUsbDevice daplink = {
    .vendor_id = 0x0d28, .product_id = 0x0204, .serial = "0240000034544e45",
    .manufacturer = "ARM", .product = "DAPLink CMSIS-DAP", .busnum = 2, .devpath = "1",
    .devnum = 2,
  };
  g_autofree char *path = NULL;
  OodUsbProbe *probe;

  (void) data;
  ood_usb_watcher_start (fixture->watcher);
  path = ood_test_usb_add (fixture->testbed, &daplink);
  wait_events (fixture, 1);
  probe = event_at (fixture, 0, "added");
  g_assert_cmpstr (probe->model, ==, "CMSIS-DAP");
  g_assert_cmpuint (probe->vendor_id, ==, 0x0d28);
  g_assert_cmpstr (probe->serial, ==, "0240000034544e45");
}

/* ... or in an interface string, known once the device is bound (its
 * interfaces exist by then); at "add" it was nothing yet. */
static void
test_cmsis_dap_interface (Fixture *fixture, gconstpointer data)
{
  const OodTestUsbDevice picoprobe = {
    .vendor_id = 0x2e8a, .product_id = 0x000c, .serial = "E6614103E7",
    .manufacturer = "Raspberry Pi", .product = "Debug Probe", .interface = "CMSIS-DAP v2 Interface",
    .busnum = 1, .devpath = "3", .devnum = 9,
  };
  g_autofree char *path = NULL;

  (void) data;
  ood_usb_watcher_start (fixture->watcher);
  path = ood_test_usb_add (fixture->testbed, &picoprobe);
  wait_events (fixture, 1);
  g_assert_cmpstr (event_at (fixture, 0, "added")->model, ==, "CMSIS-DAP");
  g_assert_cmpstr (event_at (fixture, 0, "added")->id, ==, "usb1_3");

  /* found at coldplug too, by a watcher started later */
  {
    g_autoptr(OodUsbWatcher) other = ood_usb_watcher_new ();
    g_autoptr(GPtrArray) list = NULL;

    ood_usb_watcher_start (other);
    list = ood_usb_watcher_list (other);
    g_assert_cmpuint (list->len, ==, 1);
    g_assert_cmpstr (((OodUsbProbe *) list->pdata[0])->model, ==, "CMSIS-DAP");
  }
  ood_test_usb_remove (fixture->testbed, path);
  wait_events (fixture, 2);
  event_at (fixture, 1, "removed");
}

static OodConfig *
config_of (const char *text)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  OodConfig *config = ood_config_parse (text, strlen (text), "rules.conf", warnings);

  g_assert_cmpuint (warnings->len, ==, 0);
  return config;
}

static const OodTestUsbDevice wch_link = {
  .vendor_id = 0x1a86, .product_id = 0x8010, .serial = "A1B2C3",
  .manufacturer = "wch.cn", .product = "WCH-Link", .busnum = 1, .devpath = "5", .devnum = 11,
};

/* A device the table lacks is a probe when a [Probe] rule matches it:
 * Model is the rule's Model=, else its name; a rule's Model= also names
 * a probe the table knows. */
static void
test_rule (Fixture *fixture, gconstpointer data)
{
  g_autoptr(OodConfig) config = config_of (
      "[Probe nucleo]\n"
      "Match=ID_VENDOR_ID=0483 ID_SERIAL_SHORT=066DFF3632504B5043184629\n"
      "Model=Nucleo-F401RE\n"
      "[Probe wch]\n"
      "Match=ID_VENDOR_ID=1a86 ID_MODEL_ID=8010\n"
      "Exec=openocd -f wch-riscv.cfg -c \"adapter serial %s\"\n");
  g_autofree char *stlink_path = ood_test_usb_add (fixture->testbed, &stlink);
  g_autofree char *wch_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OodEndpointConfig) endpoint = NULL;
  OodUsbProbe *probe;

  (void) data;
  ood_usb_watcher_set_rules (fixture->watcher, config->probe_rules);
  ood_usb_watcher_start (fixture->watcher);
  g_assert_cmpuint (fixture->events->len, ==, 1);
  g_assert_cmpstr (event_at (fixture, 0, "added")->model, ==, "Nucleo-F401RE");

  wch_path = ood_test_usb_add (fixture->testbed, &wch_link);
  wait_events (fixture, 2);
  probe = event_at (fixture, 1, "added");
  g_assert_cmpstr (probe->model, ==, "wch");
  g_assert_cmpuint (probe->vendor_id, ==, 0x1a86);
  g_assert_cmpstr (probe->usb_path, ==, "1-5");

  /* and the rule makes its endpoint from the record */
  endpoint = ood_probe_rule_endpoint (ood_probe_rules_find (config->probe_rules, probe), probe,
                                      &error);
  g_assert_no_error (error);
  g_assert_cmpstr (endpoint->name, ==, "wch-A1B2C3");
  g_assert_cmpstr (endpoint->exec_argv[4], ==, "adapter serial A1B2C3");
}

/* New rules: a device plugged in becomes a probe ("added"), a probe whose
 * Model changes is removed and added again, and one no rule names any
 * more and the table lacks is "removed". */
static void
test_rules_changed (Fixture *fixture, gconstpointer data)
{
  g_autoptr(OodConfig) wch = config_of ("[Probe wch]\nMatch=ID_VENDOR_ID=1a86\n");
  g_autoptr(OodConfig) renamed = config_of ("[Probe st]\nMatch=ID_VENDOR_ID=0483\nModel=Mine\n"
                                            "[Probe wch]\nMatch=ID_VENDOR_ID=1a86\n");
  g_autofree char *wch_path = ood_test_usb_add (fixture->testbed, &wch_link);
  g_autofree char *stlink_path = ood_test_usb_add (fixture->testbed, &stlink);

  (void) data;
  ood_usb_watcher_start (fixture->watcher);
  g_assert_cmpuint (fixture->events->len, ==, 1);
  g_assert_cmpstr (event_at (fixture, 0, "added")->model, ==, "ST-LINK/V2-1");

  ood_usb_watcher_set_rules (fixture->watcher, wch->probe_rules);
  g_assert_cmpuint (fixture->events->len, ==, 2);
  g_assert_cmpstr (event_at (fixture, 1, "added")->sysfs_path, ==, wch_path);

  ood_usb_watcher_set_rules (fixture->watcher, renamed->probe_rules);
  g_assert_cmpuint (fixture->events->len, ==, 4);
  g_assert_true (event_at (fixture, 2, "removed") == event_at (fixture, 0, "added"));
  g_assert_cmpstr (event_at (fixture, 3, "added")->model, ==, "Mine");

  ood_usb_watcher_set_rules (fixture->watcher, NULL);
  g_assert_cmpuint (fixture->events->len, ==, 7);
  /* the devices are looked at in udev's order: count, not positions */
  {
    guint removed_wch = 0, removed_mine = 0, added_stlink = 0;

    for (guint i = 4; i < 7; i++)
      {
        Event *event = fixture->events->pdata[i];

        removed_wch += g_str_equal (event->kind, "removed") &&
                       event->probe == event_at (fixture, 1, "added");
        removed_mine += g_str_equal (event->kind, "removed") &&
                        event->probe == event_at (fixture, 3, "added");
        added_stlink += g_str_equal (event->kind, "added") &&
                        g_str_equal (event->probe->model, "ST-LINK/V2-1");
      }
    g_assert_cmpuint (removed_wch, ==, 1);
    g_assert_cmpuint (removed_mine, ==, 1);
    g_assert_cmpuint (added_stlink, ==, 1);
  }
}

/* Two probes of one kind, with the same serial (as clones have): two
 * records, two Ids. */
static void
test_two_probes (Fixture *fixture, gconstpointer data)
{
  OodTestUsbDevice first = stlink, second = stlink;
  g_autofree char *first_path = NULL;
  g_autofree char *second_path = NULL;
  g_autoptr(GPtrArray) list = NULL;

  (void) data;
  first.devpath = "1.1";
  first.devnum = 12;
  second.devpath = "1.2";
  second.devnum = 13;
  ood_usb_watcher_start (fixture->watcher);
  first_path = ood_test_usb_add (fixture->testbed, &first);
  second_path = ood_test_usb_add (fixture->testbed, &second);
  wait_events (fixture, 2);
  g_assert_cmpstr (event_at (fixture, 0, "added")->id, ==, "usb1_1_1");
  g_assert_cmpstr (event_at (fixture, 1, "added")->id, ==, "usb1_1_2");
  g_assert_cmpstr (event_at (fixture, 0, "added")->usb_path, ==, "1-1.1");
  g_assert_cmpstr (event_at (fixture, 1, "added")->usb_path, ==, "1-1.2");
  list = ood_usb_watcher_list (fixture->watcher);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((OodUsbProbe *) list->pdata[0])->id, ==, "usb1_1_1");
  g_assert_cmpstr (((OodUsbProbe *) list->pdata[1])->id, ==, "usb1_1_2");

  ood_test_usb_remove (fixture->testbed, first_path);
  wait_events (fixture, 3);
  g_assert_cmpstr (event_at (fixture, 2, "removed")->id, ==, "usb1_1_1");
  g_assert_nonnull (ood_usb_watcher_lookup (fixture->watcher, "usb1_1_2"));
}

/* A device node nobody may open: not Accessible; once it may be opened
 * (udev says "change"), "changed" with a record that says so. */
static void
test_accessible (Fixture *fixture, gconstpointer data)
{
  OodTestUsbDevice locked = stlink;
  g_autofree char *path = NULL;
  OodUsbProbe *before, *after;

  (void) data;
  locked.no_node = TRUE;
  ood_usb_watcher_start (fixture->watcher);
  path = ood_test_usb_add (fixture->testbed, &locked);
  wait_events (fixture, 1);
  before = event_at (fixture, 0, "added");
  g_assert_false (before->accessible);

  ood_test_usb_set_node (fixture->testbed, path, TRUE);
  wait_events (fixture, 2);
  after = event_at (fixture, 1, "changed");
  g_assert_true (after->accessible);
  g_assert_cmpstr (after->id, ==, before->id);
  g_assert_true (ood_usb_watcher_lookup (fixture->watcher, "usb1_1_4") == after);
  g_assert_false (before->accessible);  /* a record is never modified */

  /* a "change" that changes nothing says nothing: the removal after it
   * is the next signal */
  umockdev_testbed_uevent (fixture->testbed, path, "change");
  ood_test_usb_remove (fixture->testbed, path);
  wait_events (fixture, 3);
  g_assert_true (event_at (fixture, 2, "removed") == after);
}

/* The serial from sysfs where udev gave no ID_SERIAL_SHORT; "" for none. */
static void
test_serial_sources (Fixture *fixture, gconstpointer data)
{
  OodTestUsbDevice sysfs_only = stlink, none = jlink;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  (void) data;
  sysfs_only.no_udev_serial = TRUE;
  none.serial = NULL;
  ood_usb_watcher_start (fixture->watcher);
  first = ood_test_usb_add (fixture->testbed, &sysfs_only);
  second = ood_test_usb_add (fixture->testbed, &none);
  wait_events (fixture, 2);
  g_assert_null (ood_usb_probe_get_property (event_at (fixture, 0, "added"), "ID_SERIAL_SHORT"));
  g_assert_cmpstr (event_at (fixture, 0, "added")->serial, ==, "066DFF3632504B5043184629");
  g_assert_cmpstr (event_at (fixture, 1, "added")->serial, ==, "");
}

/* Reads a line of the child's output. */
static char *
read_line (GDataInputStream *output)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

/* A child process (as the daemon will be) inherits the testbed: it sees
 * the probe present when it starts and the one plugged in after. */
static void
test_child_process (Fixture *fixture, gconstpointer data)
{
  const char *helper = g_getenv ("OOD_USB_WATCH") != NULL ? g_getenv ("OOD_USB_WATCH")
                                                          : OOD_USB_WATCH_DEFAULT;
  g_autofree char *stlink_path = ood_test_usb_add (fixture->testbed, &stlink);
  g_autofree char *jlink_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                                   helper, "3", NULL);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  (void) data;
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  first = read_line (output);
  g_assert_cmpstr (first, ==, "added usb1_1_4 0483:374b 1-1.4 accessible "
                              "066DFF3632504B5043184629 ST-LINK/V2-1");
  jlink_path = ood_test_usb_add (fixture->testbed, &jlink);
  second = read_line (output);
  g_assert_cmpstr (second, ==, "added usb3_2 1366:0101 3-2 accessible 000123456789 SEGGER J-Link");
  ood_test_usb_remove (fixture->testbed, stlink_path);
  third = read_line (output);
  g_assert_true (g_str_has_prefix (third, "removed usb1_1_4 "));
  g_assert_true (g_subprocess_wait_check (child, NULL, &error));
  g_assert_no_error (error);
}

/* org.openocd.Probe from a record: the constant properties, Accessible
 * from later records, Endpoint "/" until set. */
static void
test_probe_object (Fixture *fixture, gconstpointer data)
{
  OodTestUsbDevice locked = stlink;
  g_autofree char *path = NULL;
  g_autoptr(OodProbe) object = NULL;
  OodDbusProbe *iface;

  (void) data;
  locked.no_node = TRUE;
  ood_usb_watcher_start (fixture->watcher);
  path = ood_test_usb_add (fixture->testbed, &locked);
  wait_events (fixture, 1);
  object = ood_probe_new (event_at (fixture, 0, "added"));
  iface = OOD_DBUS_PROBE (object);
  g_assert_cmpstr (ood_probe_get_path (object), ==, "/org/openocd/probes/usb1_1_4");
  g_assert_cmpstr (ood_probe_get_id (object), ==, "usb1_1_4");
  g_assert_cmpuint (ood_dbus_probe_get_vendor_id (iface), ==, 0x0483);
  g_assert_cmpuint (ood_dbus_probe_get_product_id (iface), ==, 0x374b);
  g_assert_cmpstr (ood_dbus_probe_get_serial (iface), ==, "066DFF3632504B5043184629");
  g_assert_cmpstr (ood_dbus_probe_get_usb_path (iface), ==, "1-1.4");
  g_assert_cmpstr (ood_dbus_probe_get_model (iface), ==, "ST-LINK/V2-1");
  g_assert_false (ood_dbus_probe_get_accessible (iface));
  g_assert_cmpstr (ood_dbus_probe_get_endpoint (iface), ==, "/");

  ood_test_usb_set_node (fixture->testbed, path, TRUE);
  wait_events (fixture, 2);
  ood_probe_update (object, event_at (fixture, 1, "changed"));
  g_assert_true (ood_dbus_probe_get_accessible (iface));

  ood_probe_set_endpoint (object, "/org/openocd/nucleo_2d066DFF");
  g_assert_cmpstr (ood_dbus_probe_get_endpoint (iface), ==, "/org/openocd/nucleo_2d066DFF");
  ood_probe_set_endpoint (object, NULL);
  g_assert_cmpstr (ood_dbus_probe_get_endpoint (iface), ==, "/");
}

/* What a probe set asked of its owner, in order. */
typedef struct {
  GPtrArray *asked;   /* (element-type utf8) "wanted ID NAME" / "unwanted ID NAME" */
} Owner;

static void
on_wanted (OodProbeSet *set, const char *id, OodEndpointConfig *config, Owner *owner)
{
  g_autofree char *argv = g_strjoinv (" ", config->exec_argv);

  g_ptr_array_add (owner->asked, g_strdup_printf ("wanted %s %s: %s", id, config->name, argv));
  ood_probe_set_bind (set, id, "/org/openocd/stlink_2d066DFF");
}

static void
on_unwanted (OodProbeSet *set, const char *id, const char *name, Owner *owner)
{
  g_ptr_array_add (owner->asked, g_strdup_printf ("unwanted %s %s", id, name));
  ood_probe_set_bind (set, id, NULL);
}

/* The probe set exports a plugged-in probe (its object owns its
 * interface), asks for the endpoint the rule gives it, binds it, and on
 * unplugging asks to drop it and unexports the probe, whose object and
 * interface are then finalized (weak pointers): nothing else holds them. */
static void
test_probe_set (Fixture *fixture, gconstpointer data)
{
  static const char rules_text[] =
    "[Probe stlink]\nMatch=ID_VENDOR_ID=0483\nExec=openocd -c \"adapter serial %s\"\n";
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodConfig) config = ood_config_parse (rules_text, strlen (rules_text), "test.conf",
                                                  warnings);
  g_autoptr(GDBusObjectManagerServer) server = g_dbus_object_manager_server_new ("/org/openocd");
  g_autoptr(OodProbeSet) set = ood_probe_set_new (server, fixture->watcher);
  Owner owner = { g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *path = NULL;
  g_autoptr(GDBusObject) object = NULL;
  gpointer weak_object, weak_probe;

  (void) data;
  g_assert_cmpuint (warnings->len, ==, 0);
  g_signal_connect (set, "endpoint-wanted", G_CALLBACK (on_wanted), &owner);
  g_signal_connect (set, "endpoint-unwanted", G_CALLBACK (on_unwanted), &owner);
  ood_probe_set_set_rules (set, config->probe_rules);
  ood_probe_set_start (set);
  path = ood_test_usb_add (fixture->testbed, &stlink);
  wait_events (fixture, 1);
  object = g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (server),
                                             "/org/openocd/probes/usb1_1_4");
  g_assert_nonnull (object);
  g_assert_cmpuint (owner.asked->len, ==, 1);
  g_assert_cmpstr (owner.asked->pdata[0], ==, "wanted usb1_1_4 stlink-066DFF3632504B5043184629: "
                                              "openocd -c adapter serial 066DFF3632504B5043184629");
  g_assert_cmpstr (ood_dbus_probe_get_endpoint (ood_dbus_object_peek_probe (OOD_DBUS_OBJECT (object))),
                   ==, "/org/openocd/stlink_2d066DFF");
  weak_object = object;
  weak_probe = ood_dbus_object_peek_probe (OOD_DBUS_OBJECT (object));
  g_object_add_weak_pointer (weak_object, &weak_object);
  g_object_add_weak_pointer (weak_probe, &weak_probe);
  g_clear_object (&object);

  ood_test_usb_remove (fixture->testbed, path);
  wait_events (fixture, 2);
  g_assert_cmpuint (owner.asked->len, ==, 2);
  g_assert_cmpstr (owner.asked->pdata[1], ==, "unwanted usb1_1_4 stlink-066DFF3632504B5043184629");
  g_assert_null (g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (server),
                                                   "/org/openocd/probes/usb1_1_4"));
  g_assert_null (weak_object);
  g_assert_null (weak_probe);
  g_ptr_array_unref (owner.asked);
}

static void
add (const char *path, void (*test) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("/usb/coldplug", test_coldplug);
  add ("/usb/hotplug", test_hotplug);
  add ("/usb/remove", test_remove);
  add ("/usb/not-a-probe", test_not_a_probe);
  add ("/usb/cmsis-dap-product", test_cmsis_dap_product);
  add ("/usb/cmsis-dap-interface", test_cmsis_dap_interface);
  add ("/usb/rule", test_rule);
  add ("/usb/rules-changed", test_rules_changed);
  add ("/usb/two-probes", test_two_probes);
  add ("/usb/accessible", test_accessible);
  add ("/usb/serial-sources", test_serial_sources);
  add ("/usb/child-process", test_child_process);
  add ("/usb/probe-object", test_probe_object);
  add ("/usb/probe-set", test_probe_set);
  return g_test_run ();
}
