/* SPDX-License-Identifier: MIT */
/* usb-watch N: runs an OodUsbWatcher and prints one line per signal,
 *   KIND ID VID:PID USBPATH ACCESSIBLE SERIAL MODEL
 * until N lines are printed (exit 0) or 30 s passed (exit 1). Spawned by
 * test-usb-watcher to show that a child of a test that owns a umockdev
 * testbed sees its devices and uevents, as the daemon will. */
#include <stdio.h>
#include <stdlib.h>

#include "ood-usb-watcher.h"

#define GIVE_UP_S 30

typedef struct {
  GMainLoop *loop;
  guint      left;
} Watch;

static void
print_event (const char *kind, const OodUsbProbe *probe, Watch *watch)
{
  if (watch->left == 0)
    return;
  printf ("%s %s %04x:%04x %s %s %s %s\n", kind, probe->id, probe->vendor_id, probe->product_id,
          probe->usb_path, probe->accessible ? "accessible" : "inaccessible",
          probe->serial[0] != '\0' ? probe->serial : "-", probe->model);
  fflush (stdout);
  if (--watch->left == 0)
    g_main_loop_quit (watch->loop);
}

static void
on_added (OodUsbWatcher *watcher, OodUsbProbe *probe, Watch *watch)
{
  (void) watcher;
  print_event ("added", probe, watch);
}

static void
on_changed (OodUsbWatcher *watcher, OodUsbProbe *probe, Watch *watch)
{
  (void) watcher;
  print_event ("changed", probe, watch);
}

static void
on_removed (OodUsbWatcher *watcher, OodUsbProbe *probe, Watch *watch)
{
  (void) watcher;
  print_event ("removed", probe, watch);
}

static gboolean
on_give_up (gpointer user_data)
{
  (void) user_data;
  fprintf (stderr, "usb-watch: gave up after %d s\n", GIVE_UP_S);
  exit (1);
}

int
main (int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(OodUsbWatcher) watcher = ood_usb_watcher_new ();
  Watch watch = { loop, argc == 2 ? (guint) atoi (argv[1]) : 0 };

  if (watch.left == 0)
    {
      fprintf (stderr, "usage: usb-watch N (N > 0 lines to print)\n");
      return 2;
    }
  g_signal_connect (watcher, "added", G_CALLBACK (on_added), &watch);
  g_signal_connect (watcher, "changed", G_CALLBACK (on_changed), &watch);
  g_signal_connect (watcher, "removed", G_CALLBACK (on_removed), &watch);
  g_timeout_add_seconds (GIVE_UP_S, on_give_up, NULL);
  ood_usb_watcher_start (watcher);
  if (watch.left > 0)
    g_main_loop_run (loop);
  return 0;
}
