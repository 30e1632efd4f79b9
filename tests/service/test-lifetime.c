/* SPDX-License-Identifier: MIT */
/*
 * Object lifetimes inside the daemon: the service's own classes run in this
 * process (linked from the daemon's core library) against a real OpenOCD on
 * the simulated board, exported on a private bus. Weak pointers on every
 * object of a target prove that a target removed by a reconnect, by a
 * configuration reload (SIGHUP's path) and by shutdown is finalized, with
 * its interfaces and its object skeleton; and that the endpoint and its
 * session are finalized at shutdown. LeakSanitizer cannot see such leaks:
 * GSignal's handler tables keep the instances reachable.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "ood-generated.h"
#include "ood-manager.h"
#include "ood-testbed.h"

#define WAIT_MS 15000

typedef struct {
  OodTestbed      *testbed;
  GTestDBus       *dbus;
  GDBusConnection *bus;
  char            *tmpdir;
  char            *config;
  OodManager      *manager;
} Fixture;

/* Weak pointers to the objects that make up one exported target. */
typedef struct {
  GObject *object;       /* the OodDbusObjectSkeleton */
  GObject *target;       /* org.openocd.Target */
  GObject *breakpoints;  /* org.openocd.Breakpoints */
} TargetRefs;

static void
write_config (Fixture *fx, const char *name, const char *address)
{
  g_autofree char *text = g_strdup_printf ("[Endpoint %s]\nAddress=%s\n", name, address);

  g_assert_true (g_file_set_contents (fx->config, text, -1, NULL));
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  OodSettings settings;

  (void) data;
  fx->testbed = ood_testbed_new (NULL, &error);
  g_assert_no_error (error);
  fx->dbus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fx->dbus);
  fx->bus = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (fx->dbus),
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  g_assert_no_error (error);
  fx->tmpdir = g_dir_make_tmp ("ood-lifetime-XXXXXX", &error);
  g_assert_no_error (error);
  fx->config = g_build_filename (fx->tmpdir, "openocd-dbus.conf", NULL);
  address = ood_testbed_get_address (fx->testbed);
  write_config (fx, "lab", address);

  ood_settings_init_defaults (&settings);
  fx->manager = ood_manager_new (fx->bus, &settings, fx->config, TRUE, NULL);
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_clear_object (&fx->manager);
  g_dbus_connection_close_sync (fx->bus, NULL, NULL);
  g_clear_object (&fx->bus);
  g_test_dbus_down (fx->dbus);
  g_clear_object (&fx->dbus);
  g_clear_pointer (&fx->testbed, ood_testbed_free);
  g_unlink (fx->config);
  g_rmdir (fx->tmpdir);
  g_free (fx->config);
  g_free (fx->tmpdir);
}

/* Runs the main context until @done says so, or fails after WAIT_MS. */
static void
iterate_until (gboolean (*done) (gpointer), gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

typedef struct {
  Fixture    *fx;
  const char *path;
} PathWait;

static GDBusObject *
lookup (Fixture *fx, const char *path)
{
  GDBusObjectManager *server = G_DBUS_OBJECT_MANAGER (ood_manager_get_server (fx->manager));

  return g_dbus_object_manager_get_object (server, path);
}

static gboolean
is_exported (gpointer data)
{
  PathWait *wait = data;
  g_autoptr(GDBusObject) object = lookup (wait->fx, wait->path);

  return object != NULL && ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object)) != NULL;
}

static gboolean
all_gone (gpointer data)
{
  TargetRefs *refs = data;

  return refs->object == NULL && refs->target == NULL && refs->breakpoints == NULL;
}

/* Waits for the target at @path and takes weak pointers to its parts. */
static void
watch_target (Fixture *fx, const char *path, TargetRefs *refs)
{
  PathWait wait = { fx, path };
  g_autoptr(GDBusObject) object = NULL;

  iterate_until (is_exported, &wait, path);
  object = lookup (fx, path);
  refs->object = G_OBJECT (object);
  refs->target = G_OBJECT (ood_dbus_object_peek_target (OOD_DBUS_OBJECT (object)));
  refs->breakpoints = G_OBJECT (ood_dbus_object_peek_breakpoints (OOD_DBUS_OBJECT (object)));
  g_assert_nonnull (refs->target);
  g_assert_nonnull (refs->breakpoints);
  g_object_add_weak_pointer (refs->object, (gpointer *) &refs->object);
  g_object_add_weak_pointer (refs->target, (gpointer *) &refs->target);
  g_object_add_weak_pointer (refs->breakpoints, (gpointer *) &refs->breakpoints);
}

static void
unwatch (TargetRefs *refs)
{
  if (refs->object != NULL)
    g_object_remove_weak_pointer (refs->object, (gpointer *) &refs->object);
  if (refs->target != NULL)
    g_object_remove_weak_pointer (refs->target, (gpointer *) &refs->target);
  if (refs->breakpoints != NULL)
    g_object_remove_weak_pointer (refs->breakpoints, (gpointer *) &refs->breakpoints);
}

static void
assert_finalized (TargetRefs *refs, const char *when)
{
  gint64 deadline = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;

  /* calls still in flight may hold a reference for a moment */
  while (!all_gone (refs) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  if (!all_gone (refs))
    {
      g_printerr ("# %s: object %s, target %s, breakpoints %s\n", when,
                  refs->object ? "alive" : "finalized", refs->target ? "alive" : "finalized",
                  refs->breakpoints ? "alive" : "finalized");
      unwatch (refs);
      g_test_fail_printf ("a target removed on %s was not finalized", when);
    }
}

/* OpenOCD is restarted on the same port with another target: on
 * reconnecting, the old target is removed. */
static void
test_removed_on_reconnect (Fixture *fx, gconstpointer data)
{
  TargetRefs refs = { 0 };
  g_autoptr(GError) error = NULL;
  PathWait old_path = { fx, "/org/openocd/lab/riscv_2ecpu" };
  PathWait new_path = { fx, "/org/openocd/lab/other_2ecpu" };

  (void) data;
  watch_target (fx, old_path.path, &refs);
  ood_testbed_kill_openocd (fx->testbed, SIGKILL);
  ood_testbed_set_target_name (fx->testbed, "other.cpu");
  g_assert_true (ood_testbed_start_openocd (fx->testbed, &error));
  g_assert_no_error (error);
  iterate_until (is_exported, &new_path, new_path.path);
  g_assert_false (is_exported (&old_path));
  assert_finalized (&refs, "reconnect");
}

/* SIGHUP with the endpoint gone from the file. */
static void
test_removed_on_reload (Fixture *fx, gconstpointer data)
{
  TargetRefs refs = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *address = ood_testbed_get_address (fx->testbed);
  PathWait path = { fx, "/org/openocd/lab/riscv_2ecpu" };
  PathWait renamed = { fx, "/org/openocd/bench/riscv_2ecpu" };

  (void) data;
  watch_target (fx, path.path, &refs);
  write_config (fx, "bench", address);
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
  iterate_until (is_exported, &renamed, renamed.path);
  g_assert_false (is_exported (&path));
  assert_finalized (&refs, "reload");
}

/* Shutdown: the manager goes, and with it every endpoint, session and
 * target. */
static void
test_removed_on_shutdown (Fixture *fx, gconstpointer data)
{
  TargetRefs refs = { 0 };
  PathWait path = { fx, "/org/openocd/lab/riscv_2ecpu" };
  gpointer manager = fx->manager;

  (void) data;
  watch_target (fx, path.path, &refs);
  g_object_add_weak_pointer (manager, &manager);
  g_clear_object (&fx->manager);
  g_assert_null (manager);
  assert_finalized (&refs, "shutdown");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* the daemon warns when it loses OpenOCD, as these tests make it do */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add ("/lifetime/removed-on-reconnect", Fixture, NULL, fixture_set_up,
              test_removed_on_reconnect, fixture_tear_down);
  g_test_add ("/lifetime/removed-on-reload", Fixture, NULL, fixture_set_up,
              test_removed_on_reload, fixture_tear_down);
  g_test_add ("/lifetime/removed-on-shutdown", Fixture, NULL, fixture_set_up,
              test_removed_on_shutdown, fixture_tear_down);
  return g_test_run ();
}
