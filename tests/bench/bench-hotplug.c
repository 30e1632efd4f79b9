/* SPDX-License-Identifier: MIT */
/* Figure 8: a debug probe plugged in until its target is published, and
 * unplugged until its endpoint is gone. The probe is faked below udev with
 * umockdev, which wants the process that owns the testbed to run under
 * umockdev-wrapper (its preload) and to create the testbed before the
 * daemon starts, so that the daemon inherits both: the bench re-execs
 * itself under the wrapper (--in-umockdev), which measures and hands its
 * rows back as JSON. See README.md. */
#define G_LOG_DOMAIN "ood-bench"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>

#include "ood-service-fixture.h"
#include "ood-test-usb.h"
#include "ood-testbed.h"

#include "bench.h"

#define PUBLISH_TIMEOUT_MS 60000
#define PROBE_PATH "/org/openocd/probes/usb1_1_4"

/* An ST-Link V2-1 on port 1-1.4, as tests/service/test-hotplug.c has it. */
static const OodTestUsbDevice probe = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "BENCH1",
  .manufacturer = "STMicroelectronics", .product = "STM32 STLink",
  .busnum = 1, .devpath = "1.4", .devnum = 5,
};

/* ---- in the bench: the re-exec ---- */

/* Adds the rows of a bench's --json output @text. */
static void
add_json_rows (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *results;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    die ("reading figure 8's results", error);
  results = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                          "results");
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *row = json_array_get_object_element (results, i);
      JsonNode *p99 = json_object_get_member (row, "p99");

      add_row (json_object_get_string_member (row, "figure"),
               json_object_get_string_member (row, "name"),
               json_object_get_string_member (row, "unit"),
               json_object_get_double_member (row, "median"),
               JSON_NODE_HOLDS_NULL (p99) ? NAN : json_node_get_double (p99),
               (int) json_object_get_int_member (row, "n"), CMP_NONE, 0);
    }
}

void
figure_8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  g_autofree char *asan = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) child = NULL;
  const char *wrapper = ood_test_env_or ("OOD_UMOCKDEV_WRAPPER",
                                         OOD_BENCH_UMOCKDEV_WRAPPER_DEFAULT);
  const char *options = g_getenv ("ASAN_OPTIONS");

  if (self == NULL)
    die ("finding the bench's own executable", error);
  if (!opt_json)
    g_printerr ("figure 8: a probe plugged in (umockdev) until its target is published\n");
  /* the preload comes before AddressSanitizer's runtime, if there is one */
  asan = options != NULL ? g_strdup_printf ("%s:verify_asan_link_order=0", options)
                         : g_strdup ("verify_asan_link_order=0");
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  child = g_subprocess_launcher_spawn (launcher, &error, wrapper, self, "--in-umockdev",
                                       opt_quick ? "--quick" : NULL, NULL);
  if (child == NULL || !g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, &error) ||
      !g_subprocess_wait_check (child, NULL, &error))
    die ("figure 8 under umockdev-wrapper", error);
  add_json_rows (out);
}

/* ---- under the wrapper ---- */

/* A [Probe NAME] rule for the probe, whose Exec= runs OpenOCD for @board. */
static char *
probe_config (OodTestbed *board)
{
  g_auto(GStrv) argv = ood_testbed_dup_openocd_argv (board);
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, "[Probe bench]\nMatch=ID_VENDOR_ID=0483 ID_SERIAL_SHORT=%s\nExec=",
                          probe.serial);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);

      g_string_append_printf (text, "%s%s", i > 0 ? " " : "", quoted);
    }
  g_string_append_c (text, '\n');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Waits until the daemon owns its name (and so watches udev). */
static void
wait_owned (GDBusConnection *c)
{
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      g_autoptr(GVariant) reply = call (c, "org.openocd", "/org/openocd",
                                        "org.freedesktop.DBus.Peer", "Ping", NULL, NULL);

      if (reply != NULL)
        return;
      if (g_get_monotonic_time () > deadline)
        die ("the daemon did not own its name", NULL);
      g_usleep (10000);
    }
}

typedef struct {
  Samples probe;      /* the Probe object added */
  Samples spawned;    /* the endpoint's OpenOCD's Pid */
  Samples connected;  /* the endpoint Connected */
  Samples published;  /* the target's State */
  Samples removed;    /* unplugged: the endpoint removed */
  Samples stopped;    /* unplugged: its OpenOCD gone */
} Cycles;

typedef struct {
  const char *endpoint;
  const char *target;
  gint64      ns;
} Serving;

/* The endpoint says Connected, and its target is published, both since
 * ns (the target comes first: the same refresh adds it). */
static gboolean
serving_since (Watch *w, gpointer data)
{
  Serving *serving = data;
  WatchSince target = { serving->target, serving->ns };

  return watch_published_since (w, &target) &&
         watch_seen (w, serving->endpoint)->connected_ns > serving->ns;
}

/* Plugs the probe in until its endpoint serves, then unplugs it until its
 * OpenOCD is gone; times into @c unless NULL. */
static void
plug_cycle (UMockdevTestbed *usb, Watch *w, const char *endpoint, const char *target, Cycles *c)
{
  const Seen *ep = watch_seen (w, endpoint);
  Serving plugged = { endpoint, target, now_ns () };
  g_autofree char *sysfs = ood_test_usb_add (usb, &probe);
  WatchSince unplugged = { endpoint, 0 };
  gint64 gone_ns;
  GPid pid;

  watch_until (w, serving_since, &plugged, PUBLISH_TIMEOUT_MS,
               "the probe's endpoint serving its target");
  pid = (GPid) ep->pid;
  unplugged.ns = now_ns ();
  ood_test_usb_remove (usb, sysfs);
  watch_until (w, watch_removed_since, &unplugged, PUBLISH_TIMEOUT_MS,
               "the probe's endpoint removed");
  /* gone: exited, and reaped by the daemon */
  while (pid > 0 && kill (pid, 0) == 0)
    {
      if (now_ns () - unplugged.ns > PUBLISH_TIMEOUT_MS * (gint64) 1000000)
        die ("the probe's OpenOCD did not stop", NULL);
      g_usleep (1000);
    }
  gone_ns = now_ns ();
  if (c == NULL)
    return;
  samples_add_since (&c->probe, watch_seen (w, PROBE_PATH)->added_ns, plugged.ns);
  samples_add_since (&c->spawned, ep->pid_ns, plugged.ns);
  samples_add_since (&c->connected, ep->connected_ns, plugged.ns);
  samples_add_since (&c->published, watch_seen (w, target)->real_ns, plugged.ns);
  samples_add_since (&c->removed, watch_seen (w, endpoint)->removed_ns, unplugged.ns);
  samples_add_since (&c->stopped, gone_ns, unplugged.ns);
}

static void
cycles_free (Cycles *c)
{
  samples_free (&c->probe);
  samples_free (&c->spawned);
  samples_free (&c->connected);
  samples_free (&c->published);
  samples_free (&c->removed);
  samples_free (&c->stopped);
}

void
figure_8_in_umockdev (void)
{
  /* first, so that every process started from now on sees it */
  g_autoptr(UMockdevTestbed) usb = ood_test_usb_testbed_new ();
  g_autoptr(OodServiceFixture) fixture = supervised_boards (1);
  g_autofree char *config = probe_config (ood_service_fixture_get_testbed (fixture, 0));
  g_autofree char *escaped = g_dbus_escape_object_path ("bench-BENCH1");
  g_autofree char *endpoint = g_strdup_printf ("/org/openocd/%s", escaped);
  g_autofree char *target_name = g_dbus_escape_object_path (
      ood_testbed_get_target_name (ood_service_fixture_get_testbed (fixture, 0)));
  g_autofree char *target = g_strdup_printf ("%s/%s", endpoint, target_name);
  g_autoptr(Watch) w = watch_new (ood_service_fixture_get_bus_address (fixture));
  g_autoptr(GSubprocess) daemon = NULL;
  Cycles c = { samples_new (), samples_new (), samples_new (), samples_new (), samples_new (),
               samples_new () };
  int n = opt_quick ? 3 : 10;

  daemon = spawn_daemon (ood_service_fixture_get_bus_address (fixture),
                         ood_service_fixture_get_tmpdir (fixture), "hotplug", config, NULL, NULL);
  wait_owned (watch_get_connection (w));
  /* warm-up */
  plug_cycle (usb, w, endpoint, target, NULL);
  for (int i = 0; i < n; i++)
    plug_cycle (usb, w, endpoint, target, &c);
  add_ms_row ("8", "plugged in to the Probe published", &c.probe);
  add_ms_row ("8", "plugged in to its OpenOCD's Pid published", &c.spawned);
  add_ms_row ("8", "plugged in to its endpoint Connected", &c.connected);
  add_ms_row ("8", "plugged in to its target's State published", &c.published);
  add_ms_row ("8", "unplugged to its endpoint removed", &c.removed);
  add_ms_row ("8", "unplugged to its OpenOCD gone", &c.stopped);
  stop_daemon (daemon);
  cycles_free (&c);
}
