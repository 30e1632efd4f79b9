/* SPDX-License-Identifier: MIT */
/*
 * Object lifetimes inside the daemon: the service's own classes run in this
 * process (linked from the daemon's core library) against a real OpenOCD on
 * the simulated board, exported on a private bus. Weak pointers on every
 * object of a target prove that a target removed by a reconnect, by a
 * configuration reload (SIGHUP's path) and by shutdown is finalized, with
 * its interfaces and its object skeleton; and that the endpoint and its
 * session are finalized at shutdown; and that a finished job's object is
 * finalized once it is removed. LeakSanitizer cannot see such leaks:
 * GSignal's handler tables keep the instances reachable.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <signal.h>

#include "ood-generated.h"
#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-manager.h"
#include "ood-test-dbus.h"
#include "ood-testbed.h"

#define WAIT_MS 15000
#define N_FLOOD 20000
#define JOB_LINGER_MS 200

typedef struct {
  OodTestbed      *testbed;
  GTestDBus       *dbus;
  GDBusConnection *bus;
  char            *tmpdir;
  char            *config;
  OodManager      *manager;
  OodCallers      *callers;
  OodDoor         *door;
} Fixture;

/* Weak pointers to the objects that make up one exported target. */
typedef struct {
  GObject *object;       /* the OodDbusObjectSkeleton */
  GObject *target;       /* org.openocd.Target */
  GObject *breakpoints;  /* org.openocd.Breakpoints */
  GObject *registers;    /* org.openocd.Registers, holding its sibling Target */
  GObject *memory;       /* org.openocd.Memory */
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
  g_autoptr(OodAuthority) authority = NULL;
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
  settings.job_linger_ms = JOB_LINGER_MS;
  fx->callers = ood_callers_new (fx->bus, OOD_CALLERS_MAX_CALLS, OOD_CALLERS_MAX_WAITERS,
                                 OOD_CALLERS_MAX_FDS);
  settings.callers = fx->callers;
  authority = ood_authority_new (FALSE, OOD_AUTHORITY_DEFAULT_TIMEOUT_MS);
  fx->door = ood_door_new (fx->callers, authority);
  settings.door = fx->door;
  fx->manager = ood_manager_new (fx->bus, &settings, fx->config, TRUE, NULL, NULL);
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_clear_object (&fx->manager);
  g_clear_object (&fx->door);
  g_clear_object (&fx->callers);
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

  return refs->object == NULL && refs->target == NULL && refs->breakpoints == NULL &&
         refs->registers == NULL && refs->memory == NULL;
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
  refs->registers = G_OBJECT (ood_dbus_object_peek_registers (OOD_DBUS_OBJECT (object)));
  refs->memory = G_OBJECT (ood_dbus_object_peek_memory (OOD_DBUS_OBJECT (object)));
  g_assert_nonnull (refs->target);
  g_assert_nonnull (refs->breakpoints);
  g_assert_nonnull (refs->registers);
  g_assert_nonnull (refs->memory);
  g_object_add_weak_pointer (refs->object, (gpointer *) &refs->object);
  g_object_add_weak_pointer (refs->target, (gpointer *) &refs->target);
  g_object_add_weak_pointer (refs->breakpoints, (gpointer *) &refs->breakpoints);
  g_object_add_weak_pointer (refs->registers, (gpointer *) &refs->registers);
  g_object_add_weak_pointer (refs->memory, (gpointer *) &refs->memory);
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
  if (refs->registers != NULL)
    g_object_remove_weak_pointer (refs->registers, (gpointer *) &refs->registers);
  if (refs->memory != NULL)
    g_object_remove_weak_pointer (refs->memory, (gpointer *) &refs->memory);
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
      g_printerr ("# %s: object %s, target %s, breakpoints %s, registers %s, memory %s\n", when,
                  refs->object ? "alive" : "finalized", refs->target ? "alive" : "finalized",
                  refs->breakpoints ? "alive" : "finalized",
                  refs->registers ? "alive" : "finalized", refs->memory ? "alive" : "finalized");
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

static void
write_config_two (Fixture *fx, const char *first, const char *second)
{
  g_autofree char *address = ood_testbed_get_address (fx->testbed);
  g_autofree char *text = g_strdup_printf ("[Endpoint %s]\nAddress=%s\n\n"
                                           "[Endpoint %s]\nAddress=%s\n",
                                           first, address, second, address);

  g_assert_true (g_file_set_contents (fx->config, text, -1, NULL));
}

/* The Names of the target at @path once learnt (borrowed), or NULL. */
static GVariant *
names_of (Fixture *fx, const char *path)
{
  g_autoptr(GDBusObject) object = lookup (fx, path);
  OodDbusRegisters *registers;
  GVariant *names;

  if (object == NULL)
    return NULL;
  registers = ood_dbus_object_peek_registers (OOD_DBUS_OBJECT (object));
  if (registers == NULL)
    return NULL;
  names = ood_dbus_registers_get_names (registers);
  return names != NULL && g_variant_n_children (names) > 0 ? names : NULL;
}

static gboolean
names_learnt (gpointer data)
{
  PathWait *wait = data;

  return names_of (wait->fx, wait->path) != NULL;
}

/* Two endpoints on one OpenOCD list the same registers: they share one
 * set (the very same Names), which outlives either of them. */
static void
test_register_set_shared (Fixture *fx, gconstpointer data)
{
  PathWait lab = { fx, "/org/openocd/lab/riscv_2ecpu" };
  PathWait bench = { fx, "/org/openocd/bench/riscv_2ecpu" };
  TargetRefs refs = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) kept = NULL;
  g_autofree char *address = ood_testbed_get_address (fx->testbed);

  (void) data;
  write_config_two (fx, "lab", "bench");
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
  iterate_until (names_learnt, &lab, lab.path);
  iterate_until (names_learnt, &bench, bench.path);
  g_assert_true (names_of (fx, lab.path) == names_of (fx, bench.path));
  kept = g_variant_ref (names_of (fx, bench.path));

  /* lab goes, and is finalized; bench keeps the set */
  watch_target (fx, lab.path, &refs);
  write_config (fx, "bench", address);
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
  assert_finalized (&refs, "reload");
  g_assert_true (names_of (fx, bench.path) == kept);

  /* a new lab learns the same listing, and shares it again */
  write_config_two (fx, "bench", "lab");
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
  iterate_until (names_learnt, &lab, lab.path);
  g_assert_true (names_of (fx, lab.path) == kept);
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

typedef struct {
  GObject *object;     /* the endpoint's OodDbusObjectSkeleton */
  GObject *endpoint;   /* its org.openocd.Endpoint, the OodEndpoint itself */
} EndpointRefs;

static gboolean
endpoint_gone (gpointer data)
{
  EndpointRefs *refs = data;

  return refs->object == NULL && refs->endpoint == NULL;
}

static gboolean
endpoint_exported (gpointer data)
{
  PathWait *wait = data;
  g_autoptr(GDBusObject) object = lookup (wait->fx, wait->path);

  return object != NULL && ood_dbus_object_peek_endpoint (OOD_DBUS_OBJECT (object)) != NULL;
}

static void
watch_endpoint (Fixture *fx, const char *path, EndpointRefs *refs)
{
  PathWait wait = { fx, path };
  g_autoptr(GDBusObject) object = NULL;

  iterate_until (endpoint_exported, &wait, path);
  object = lookup (fx, path);
  refs->object = G_OBJECT (object);
  refs->endpoint = G_OBJECT (ood_dbus_object_peek_endpoint (OOD_DBUS_OBJECT (object)));
  g_object_add_weak_pointer (refs->object, (gpointer *) &refs->object);
  g_object_add_weak_pointer (refs->endpoint, (gpointer *) &refs->endpoint);
}

/* An endpoint a reload removes is finalized with its object: the endpoint
 * (a subclassed skeleton) is owned by its object, which the object
 * manager server owns, and the manager's own reference goes with it;
 * nothing holds either back. A supervised one (Exec=) too, and its
 * OpenOCD is stopped. */
static void
test_endpoint_removed (Fixture *fx, gconstpointer data)
{
  EndpointRefs plain = { 0 };
  EndpointRefs supervised = { 0 };
  TargetRefs target = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *address = ood_testbed_get_address (fx->testbed);
  const OodTestbedOptions sim_only = { .no_openocd = TRUE };
  g_autoptr(OodTestbed) board = ood_testbed_new (&sim_only, &error);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  PathWait supervised_target = { fx, "/org/openocd/sup/riscv_2ecpu" };

  (void) data;
  g_assert_no_error (error);
  argv = ood_testbed_dup_openocd_argv (board);
  g_string_append_printf (text, "[Endpoint lab]\nAddress=%s\n[Endpoint sup]\nExec=", address);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      g_string_append_printf (text, "%s ", quoted);
    }
  g_string_append_c (text, '\n');
  g_assert_true (g_file_set_contents (fx->config, text->str, -1, NULL));
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
  watch_endpoint (fx, "/org/openocd/lab", &plain);
  watch_endpoint (fx, "/org/openocd/sup", &supervised);
  /* the supervised one got as far as its target */
  watch_target (fx, supervised_target.path, &target);

  write_config (fx, "bench", address);
  g_assert_true (ood_manager_load (fx->manager, &error));
  g_assert_no_error (error);
  iterate_until (endpoint_gone, &plain, "the plain endpoint's finalization");
  iterate_until (endpoint_gone, &supervised, "the supervised endpoint's finalization");
  assert_finalized (&target, "reload");
  g_assert_null (lookup (fx, "/org/openocd/lab"));
  g_assert_null (lookup (fx, "/org/openocd/sup"));
}

typedef struct {
  GObject *object;   /* the job's OodDbusObjectSkeleton */
  GObject *job;      /* its org.openocd.Job */
} JobRefs;

static gboolean
job_gone (gpointer data)
{
  JobRefs *refs = data;

  return refs->object == NULL && refs->job == NULL;
}

static void
on_erase_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);

  g_assert_no_error (error);
  g_variant_get (reply, "(o)", (char **) user_data);
}

static gboolean
have_path (gpointer data)
{
  return *(char **) data != NULL;
}

static gboolean
job_ended (gpointer data)
{
  JobRefs *refs = data;

  return !g_str_equal (ood_dbus_job_get_state (OOD_DBUS_JOB (refs->job)), "running");
}

/* A job (an Erase, through the bus) ends, lingers, is removed and is
 * finalized with its object. */
static void
test_job_removed (Fixture *fx, gconstpointer data)
{
  TargetRefs target = { 0 };
  JobRefs refs = { 0 };
  g_autofree char *job = NULL;
  g_autoptr(GDBusObject) object = NULL;

  (void) data;
  watch_target (fx, "/org/openocd/lab/riscv_2ecpu", &target);
  g_dbus_connection_call (fx->bus, g_dbus_connection_get_unique_name (fx->bus),
                          "/org/openocd/lab/riscv_2ecpu", "org.openocd.Flash", "Erase",
                          g_variant_new ("(uuu)", 0, 0, 0), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, 10000, NULL, on_erase_reply, &job);
  iterate_until (have_path, &job, "the Erase reply");
  object = lookup (fx, job);
  g_assert_nonnull (object);
  refs.object = G_OBJECT (object);
  refs.job = G_OBJECT (ood_dbus_object_peek_job (OOD_DBUS_OBJECT (object)));
  g_assert_nonnull (refs.job);
  g_object_add_weak_pointer (refs.object, (gpointer *) &refs.object);
  g_object_add_weak_pointer (refs.job, (gpointer *) &refs.job);
  g_clear_object (&object);
  iterate_until (job_ended, &refs, "the job's end");
  g_assert_cmpstr (ood_dbus_job_get_state (OOD_DBUS_JOB (refs.job)), ==, "succeeded");
  iterate_until (job_gone, &refs, "the job's removal and finalization");
  g_assert_null (lookup (fx, job));
  unwatch (&target);
}

typedef struct {
  guint sent;
  guint answered;
  guint busy;
  guint bus_refused;
  guint other;
} Flood;

static void
on_flood_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Flood *flood = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);

  flood->answered++;
  if (g_error_matches (error, OOD_ERROR, OOD_ERROR_BUSY))
    flood->busy++;
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED))
    flood->bus_refused++;   /* the bus's own cap on one caller's pending replies */
  else
    {
      if (flood->other++ == 0)
        g_test_message ("a WaitHalt beyond the share failed otherwise: %s",
                        error != NULL ? error->message : "(answered)");
    }
}

static gboolean
flood_answered (gpointer data)
{
  Flood *flood = data;

  return flood->answered + OOD_CALLERS_MAX_WAITERS >= flood->sent;
}

typedef struct {
  Fixture    *fx;
  const char *sender;
  guint       n;
} Parked;

static gboolean
parked (gpointer data)
{
  Parked *p = data;

  return ood_callers_count (p->fx->callers, p->sender) == p->n;
}

static GDBusConnection *
client_new (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *client = g_dbus_connection_new_for_address_sync (
      g_test_dbus_get_bus_address (fx->dbus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  g_assert_no_error (error);
  return client;
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks;
}

/* One caller sends N_FLOOD WaitHalt(1 h) to the running target at @path,
 * in rounds (the bus itself caps one caller's pending replies), then
 * leaves the bus; returns when the service has dropped its waiters. */
static void
flood_and_leave (Fixture *fx, const char *path)
{
  g_autoptr(GDBusConnection) flooder = client_new (fx);
  g_autoptr(GDBusConnection) other = client_new (fx);
  g_autofree char *sender = g_strdup (g_dbus_connection_get_unique_name (flooder));
  const char *service = g_dbus_connection_get_unique_name (fx->bus);
  OodTestPending state = { 0 }, too_long = { 0 };
  /* each parked WaitHalt holds one of the caller's waiters and one of its calls */
  Parked p = { fx, sender, 2 * OOD_CALLERS_MAX_WAITERS };
  Flood flood = { 0 };

  /* a WaitHalt beyond an hour is refused outright */
  g_dbus_connection_call (flooder, service, path, "org.openocd.Target", "WaitHalt",
                          g_variant_new ("(u)", 3600001), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          ood_test_pending_done, &too_long);
  iterate_until (ood_test_pending_is_done, &too_long, "WaitHalt(3600001)");
  g_assert_true (g_error_matches (too_long.error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS));
  ood_test_pending_clear (&too_long);

  for (flood.sent = 0; flood.sent < N_FLOOD;)
    {
      for (guint i = 0; i < 1000; i++, flood.sent++)
        g_dbus_connection_call (flooder, service, path, "org.openocd.Target", "WaitHalt",
                                g_variant_new ("(u)", 3600000), NULL, G_DBUS_CALL_FLAGS_NONE,
                                G_MAXINT, NULL, on_flood_reply, &flood);
      iterate_until (flood_answered, &flood, "the calls beyond the caller's share");
    }
  g_test_message ("%u WaitHalt: %u Busy from the service, %u refused by the bus, %u other",
                  N_FLOOD, flood.busy, flood.bus_refused, flood.other);
  g_assert_cmpuint (flood.other, ==, 0);
  g_assert_cmpuint (flood.busy, >=, 1000 - OOD_CALLERS_MAX_WAITERS);
  g_assert_cmpuint (flood.busy + flood.bus_refused, ==, N_FLOOD - OOD_CALLERS_MAX_WAITERS);
  iterate_until (parked, &p, "the caller's share of waiters to park");

  /* another caller is served meanwhile */
  g_dbus_connection_call (other, service, path, "org.openocd.Target", "State", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, ood_test_pending_done, &state);
  iterate_until (ood_test_pending_is_done, &state, "another caller's State()");
  g_assert_no_error (state.error);
  ood_test_pending_clear (&state);

  g_dbus_connection_close_sync (flooder, NULL, NULL);
  p.n = 0;
  iterate_until (parked, &p, "the waiters of the caller that left to go");
  g_dbus_connection_close_sync (other, NULL, NULL);
}

/* A caller's flood of WaitHalt(1 h) on a running target: beyond its share
 * the calls are refused as Busy, the rest are dropped the moment it leaves
 * the bus, and a second such caller leaves the heap where the first left
 * it (the first warms GLib's caches up); another caller's State() is
 * answered meanwhile. */
static void
test_waiters_of_vanished_caller (Fixture *fx, gconstpointer data)
{
  TargetRefs refs = { 0 };
  const char *path = "/org/openocd/lab/riscv_2ecpu";
  gsize before, after;

  (void) data;
  watch_target (fx, path, &refs);
  unwatch (&refs);
  flood_and_leave (fx, path);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  malloc_trim (0);
  before = heap_in_use ();
  flood_and_leave (fx, path);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  malloc_trim (0);
  after = heap_in_use ();
  g_test_message ("heap in use: %zu bytes before, %zu after another caller's %u WaitHalt "
                  "calls and exit", before, after, N_FLOOD);
  /* a parked waiter cost ~2.25 KB: 20,000 of them 45 MB; what is left
   * here is GLib's own churn (hash tables resized, type caches) */
  g_assert_cmpint ((gssize) after - (gssize) before, <, 256 * 1024);
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
  g_test_add ("/lifetime/waiters-of-vanished-caller", Fixture, NULL, fixture_set_up,
              test_waiters_of_vanished_caller, fixture_tear_down);
  g_test_add ("/lifetime/register-set-shared", Fixture, NULL, fixture_set_up,
              test_register_set_shared, fixture_tear_down);
  g_test_add ("/lifetime/endpoint-removed", Fixture, NULL, fixture_set_up,
              test_endpoint_removed, fixture_tear_down);
  g_test_add ("/lifetime/job-removed", Fixture, NULL, fixture_set_up,
              test_job_removed, fixture_tear_down);
  return g_test_run ();
}
