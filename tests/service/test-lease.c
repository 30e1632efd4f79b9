/* SPDX-License-Identifier: MIT */
/*
 * Leases (Endpoint.Acquire, org.openocd.Lease): the real daemon on a
 * private bus in front of a real OpenOCD and the simulated board, with
 * callers of their own connections; a holder that is a real process
 * (openocdctl lease) killed with SIGKILL. The order of what each caller
 * sees (PropertiesChanged, replies) is asserted, never how long it took.
 *
 * Two cases run the daemon's classes in this process instead (as
 * test-lifetime.c does), to prove a lease object is finalized once its
 * lease ends and that 1,000 acquire/release cycles leave the heap flat.
 *
 * /lease/door-halt-leased needs the door (every call checked against the
 * lease): it fails until the door is in.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-call.h"
#include "ood-manager.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-proc.h"

#define WAIT_MS 20000
#define ENDPOINT_PATH "/org/openocd/default"
#define ENDPOINT_IFACE "org.openocd.Endpoint"
#define LEASE_IFACE "org.openocd.Lease"
#define N_CYCLES 1000
#define N_WAITERS 3

/* ---- callers ------------------------------------------------------------ */

/* One connection of its own to the bus, and what it saw there, in order:
 * "Lease=PATH LeaseQueue=N" for each PropertiesChanged of the endpoint
 * (the members it had), "got PATH" or "failed ERROR" for its Acquire. */
typedef struct {
  GDBusConnection *bus;
  const char      *service;    /* where the daemon is: its well-known or unique name */
  guint            subscription;
  GPtrArray       *events;
  OodTestPending   acquire;
} Caller;

static void
on_properties_changed (GDBusConnection *bus, const char *sender, const char *path,
                       const char *iface, const char *signal, GVariant *params, gpointer data)
{
  Caller *caller = data;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GString) event = g_string_new (NULL);
  const char *lease = NULL;
  const char *changed_iface;
  guint32 queue;

  (void) bus; (void) sender; (void) path; (void) iface; (void) signal;
  g_variant_get (params, "(&s@a{sv}@as)", &changed_iface, &changed, NULL);
  if (!g_str_equal (changed_iface, ENDPOINT_IFACE))
    return;
  if (g_variant_lookup (changed, "Lease", "&o", &lease))
    g_string_append_printf (event, "Lease=%s", lease);
  if (g_variant_lookup (changed, "LeaseQueue", "u", &queue))
    g_string_append_printf (event, "%sLeaseQueue=%u", event->len > 0 ? " " : "", queue);
  if (event->len > 0)
    g_ptr_array_add (caller->events, g_string_free (g_steal_pointer (&event), FALSE));
}

static Caller *
caller_new (const char *address, const char *service)
{
  g_autoptr(GError) error = NULL;
  Caller *caller = g_new0 (Caller, 1);

  caller->bus = g_dbus_connection_new_for_address_sync (
      address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  caller->service = service;
  caller->events = g_ptr_array_new_with_free_func (g_free);
  caller->subscription = g_dbus_connection_signal_subscribe (
      caller->bus, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged", ENDPOINT_PATH,
      NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, caller, NULL);
  return caller;
}

static void
caller_free (Caller *caller)
{
  g_dbus_connection_signal_unsubscribe (caller->bus, caller->subscription);
  if (!g_dbus_connection_is_closed (caller->bus))
    g_dbus_connection_close_sync (caller->bus, NULL, NULL);
  g_object_unref (caller->bus);
  g_ptr_array_unref (caller->events);
  ood_test_pending_clear (&caller->acquire);
  g_free (caller);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Caller, caller_free)

static const char *
name_of (Caller *caller)
{
  return g_dbus_connection_get_unique_name (caller->bus);
}

static void
on_acquired (GObject *source, GAsyncResult *result, gpointer data)
{
  Caller *caller = data;
  g_autofree char *name = NULL;
  const char *path;

  ood_test_pending_done (source, result, &caller->acquire);
  if (caller->acquire.reply == NULL)
    {
      name = ood_test_dbus_error_name (caller->acquire.error);
      g_ptr_array_add (caller->events, g_strdup_printf ("failed %s", name));
      return;
    }
  g_variant_get (caller->acquire.reply, "(&o)", &path);
  g_ptr_array_add (caller->events, g_strdup_printf ("got %s", path));
}

static void
acquire_start (Caller *caller, const char *reason, guint timeout_ms)
{
  ood_test_pending_clear (&caller->acquire);
  g_dbus_connection_call (caller->bus, caller->service, ENDPOINT_PATH, ENDPOINT_IFACE, "Acquire",
                          g_variant_new ("(su)", reason, timeout_ms), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, on_acquired, caller);
}

static gboolean
acquired (gpointer data)
{
  return ((Caller *) data)->acquire.done;
}

static void
iterate_until (OodTestCondition done, gpointer data, const char *what)
{
  if (!ood_test_wait_for (done, data, WAIT_MS))
    g_error ("timed out waiting for %s", what);
}

/* Acquires the lease for @caller (asserting it is granted); its path. */
static char *
acquire (Caller *caller, const char *reason, guint timeout_ms)
{
  char *path;

  acquire_start (caller, reason, timeout_ms);
  iterate_until (acquired, caller, "Acquire()");
  g_assert_no_error (caller->acquire.error);
  g_variant_get (caller->acquire.reply, "(o)", &path);
  return path;
}

/* Calls @method synchronously on @caller's connection (for callers whose
 * service is another process); the reply or NULL with @error. */
static GVariant *
call (Caller *caller, const char *path, const char *iface, const char *method, GVariant *args,
      GError **error)
{
  return g_dbus_connection_call_sync (caller->bus, caller->service, path, iface, method, args,
                                      NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, error);
}

static void
call_ok (Caller *caller, const char *path, const char *iface, const char *method, GVariant *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (caller, path, iface, method, args, &error);

  g_assert_no_error (error);
}

static void
call_fails (Caller *caller, const char *path, const char *iface, const char *method,
            GVariant *args, const char *error_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (caller, path, iface, method, args, &error);

  g_assert_null (reply);
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, error_name);
}

static char *
share (Caller *caller, const char *lease)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (caller, lease, LEASE_IFACE, "Share", NULL, &error);
  char *token;

  g_assert_no_error (error);
  g_variant_get (reply, "(s)", &token);
  return token;
}

typedef struct {
  Caller     *caller;
  const char *event;
} Seen;

static gboolean
event_seen (gpointer data)
{
  Seen *seen = data;

  for (guint i = 0; i < seen->caller->events->len; i++)
    if (g_str_equal (seen->caller->events->pdata[i], seen->event))
      return TRUE;
  return FALSE;
}

static void
wait_for_event (Caller *caller, const char *event)
{
  Seen seen = { caller, event };

  iterate_until (event_seen, &seen, event);
}

/* @caller saw exactly @expected (NULL-terminated), in this order. */
static void
assert_events (Caller *caller, const char *const *expected)
{
  g_autofree char *want = g_strjoinv ("; ", (GStrv) expected);
  g_autofree char *got = NULL;

  g_ptr_array_add (caller->events, NULL);
  got = g_strjoinv ("; ", (GStrv) caller->events->pdata);
  g_ptr_array_remove_index (caller->events, caller->events->len - 1);
  g_assert_cmpstr (got, ==, want);
}

/* What @caller saw starts with @expected, in this order (it may have
 * seen more since). */
static void
assert_events_start (Caller *caller, GPtrArray *expected)
{
  g_autoptr(GString) want = g_string_new (NULL);
  g_autoptr(GString) got = g_string_new (NULL);

  for (guint i = 0; i < expected->len; i++)
    {
      g_string_append_printf (want, "%s; ", (const char *) expected->pdata[i]);
      if (i < caller->events->len)
        g_string_append_printf (got, "%s; ", (const char *) caller->events->pdata[i]);
    }
  g_assert_cmpstr (got->str, ==, want->str);
}

/* ---- the daemon as a process -------------------------------------------- */

static Caller *
fx_caller (OodTestFixture *fx)
{
  return caller_new (ood_service_fixture_get_bus_address (fx->service), "org.openocd");
}

static GVariant *
endpoint_property (OodTestFixture *fx, const char *name)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = ood_test_get_property (fx->bus, ENDPOINT_PATH, ENDPOINT_IFACE, name, WAIT_MS,
                                           &error);

  g_assert_no_error (error);
  return value;
}

static char *
endpoint_lease (OodTestFixture *fx)
{
  g_autoptr(GVariant) value = endpoint_property (fx, "Lease");

  return g_variant_dup_string (value, NULL);
}

static GVariant *
lease_property (OodTestFixture *fx, const char *lease, const char *name)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = ood_test_get_property (fx->bus, lease, LEASE_IFACE, name, WAIT_MS, &error);

  g_assert_no_error (error);
  return value;
}

/* The lease object at @lease is not there (any more). */
static void
assert_lease_gone (OodTestFixture *fx, const char *lease)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = ood_test_get_property (fx->bus, lease, LEASE_IFACE, "HolderName",
                                                      WAIT_MS, &error);

  g_assert_null (value);
  g_assert_true (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
                 g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
                 g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS));
}

/* A lease shows its holder; Release() ends it and removes its object;
 * the next Acquire() is a new lease. */
static void
test_acquire_release (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) holder = fx_caller (fx);
  g_autofree char *lease = NULL;
  g_autofree char *again = NULL;
  g_autofree char *published = NULL;
  g_autoptr(GVariant) endpoint = NULL, uid = NULL, name = NULL, reason = NULL, since = NULL;
  gint64 before = g_get_real_time (), after;

  (void) data;
  published = endpoint_lease (fx);
  g_assert_cmpstr (published, ==, "/");
  lease = acquire (holder, "nightly test run", 0);
  after = g_get_real_time ();
  g_assert_true (g_str_has_prefix (lease, "/org/openocd/leases/"));
  g_clear_pointer (&published, g_free);
  published = endpoint_lease (fx);
  g_assert_cmpstr (published, ==, lease);

  endpoint = lease_property (fx, lease, "Endpoint");
  uid = lease_property (fx, lease, "HolderUid");
  name = lease_property (fx, lease, "HolderName");
  reason = lease_property (fx, lease, "Reason");
  since = lease_property (fx, lease, "Since");
  g_assert_cmpstr (g_variant_get_string (endpoint, NULL), ==, ENDPOINT_PATH);
  g_assert_cmpuint (g_variant_get_uint32 (uid), ==, getuid ());
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, name_of (holder));
  g_assert_cmpstr (g_variant_get_string (reason, NULL), ==, "nightly test run");
  /* granted between the call and its reply, by the same clock */
  g_assert_cmpuint (g_variant_get_uint64 (since), >=, (guint64) before);
  g_assert_cmpuint (g_variant_get_uint64 (since), <=, (guint64) after);

  call_ok (holder, lease, LEASE_IFACE, "Release", NULL);
  g_clear_pointer (&published, g_free);
  published = endpoint_lease (fx);
  g_assert_cmpstr (published, ==, "/");
  assert_lease_gone (fx, lease);

  again = acquire (holder, "", 0);
  g_assert_cmpstr (again, !=, lease);
  call_ok (holder, again, LEASE_IFACE, "Release", NULL);
}

/* What only the holder may do, a wrong token, a second Acquire(), and
 * arguments out of range. */
static void
test_errors (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) holder = fx_caller (fx);
  g_autoptr(Caller) other = fx_caller (fx);
  g_autofree char *lease = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token_again = NULL;
  g_autofree char *too_long = g_strnfill (257, 'x');
  g_autofree char *longest = g_strnfill (256, 'x');

  (void) data;
  call_fails (other, ENDPOINT_PATH, ENDPOINT_IFACE, "Acquire",
              g_variant_new ("(su)", too_long, 0), "org.freedesktop.DBus.Error.InvalidArgs");
  call_fails (other, ENDPOINT_PATH, ENDPOINT_IFACE, "Acquire",
              g_variant_new ("(su)", "tab\there", 0), "org.freedesktop.DBus.Error.InvalidArgs");
  call_fails (other, ENDPOINT_PATH, ENDPOINT_IFACE, "Acquire",
              g_variant_new ("(su)", "", 3600001), "org.freedesktop.DBus.Error.InvalidArgs");

  lease = acquire (holder, longest, 0);
  call_fails (holder, ENDPOINT_PATH, ENDPOINT_IFACE, "Acquire", g_variant_new ("(su)", "", 0),
              "org.openocd.Error.Exists");
  /* nothing shared yet: no token joins */
  call_fails (other, lease, LEASE_IFACE, "Join", g_variant_new ("(s)", ""),
              "org.freedesktop.DBus.Error.AccessDenied");
  call_fails (other, lease, LEASE_IFACE, "Release", NULL, "org.freedesktop.DBus.Error.AccessDenied");
  call_fails (other, lease, LEASE_IFACE, "Share", NULL, "org.freedesktop.DBus.Error.AccessDenied");

  token = share (holder, lease);
  token_again = share (holder, lease);
  g_assert_cmpuint (strlen (token), ==, 32);
  g_assert_cmpuint (strspn (token, "0123456789abcdef"), ==, 32);
  g_assert_cmpstr (token, ==, token_again);
  token_again[0] = token_again[0] == '0' ? '1' : '0';
  call_fails (other, lease, LEASE_IFACE, "Join", g_variant_new ("(s)", token_again),
              "org.freedesktop.DBus.Error.AccessDenied");
  call_ok (other, lease, LEASE_IFACE, "Join", g_variant_new ("(s)", token));
  /* a member is no holder */
  call_fails (other, lease, LEASE_IFACE, "Release", NULL, "org.freedesktop.DBus.Error.AccessDenied");
  call_fails (other, lease, LEASE_IFACE, "Share", NULL, "org.freedesktop.DBus.Error.AccessDenied");
  call_ok (holder, lease, LEASE_IFACE, "Join", g_variant_new ("(s)", token));
  call_ok (holder, lease, LEASE_IFACE, "Release", NULL);
}

/* Another caller's Acquire(…, 0) fails at once, naming the holder. */
static void
test_leased_at_once (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) holder = fx_caller (fx);
  g_autoptr(Caller) other = fx_caller (fx);
  g_autofree char *lease = acquire (holder, "nightly test run", 0);
  g_autofree char *expected = g_strdup_printf ("endpoint default is leased by uid %u (%s): "
                                               "nightly test run", getuid (), name_of (holder));
  g_autoptr(GVariant) queue = NULL;

  (void) data;
  acquire_start (other, "mine", 0);
  iterate_until (acquired, other, "the other's Acquire()");
  ood_test_assert_dbus_error (other->acquire.error, "org.openocd.Error.Leased", OOD_ERROR,
                              OOD_ERROR_LEASED);
  g_dbus_error_strip_remote_error (other->acquire.error);
  g_assert_cmpstr (other->acquire.error->message, ==, expected);
  queue = endpoint_property (fx, "LeaseQueue");
  g_assert_cmpuint (g_variant_get_uint32 (queue), ==, 0);
  call_ok (holder, lease, LEASE_IFACE, "Release", NULL);
}

/* Waiting callers get the lease in the order they asked; each hand-over
 * changes Lease and LeaseQueue in one PropertiesChanged, sent before the
 * waiter's reply. */
static void
test_fifo (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) holder = fx_caller (fx);
  g_autofree char *lease = acquire (holder, "first", 0);
  Caller *waiters[N_WAITERS];
  char *paths[N_WAITERS] = { 0 };

  (void) data;
  for (guint i = 0; i < N_WAITERS; i++)
    {
      g_autofree char *queued = g_strdup_printf ("LeaseQueue=%u", i + 1);

      waiters[i] = fx_caller (fx);
      acquire_start (waiters[i], "waiting", 60000);
      wait_for_event (waiters[i], queued);
    }
  call_ok (holder, lease, LEASE_IFACE, "Release", NULL);
  for (guint i = 0; i < N_WAITERS; i++)
    {
      g_autoptr(GVariant) name = NULL;

      iterate_until (acquired, waiters[i], "a waiter's Acquire()");
      g_assert_no_error (waiters[i]->acquire.error);
      g_variant_get (waiters[i]->acquire.reply, "(o)", &paths[i]);
      name = lease_property (fx, paths[i], "HolderName");
      g_assert_cmpstr (g_variant_get_string (name, NULL), ==, name_of (waiters[i]));
      /* the ones behind it still wait */
      for (guint j = i + 1; j < N_WAITERS; j++)
        g_assert_false (waiters[j]->acquire.done);
      call_ok (waiters[i], paths[i], LEASE_IFACE, "Release", NULL);
    }
  /* each saw the queue grow behind it, and every hand-over up to its own
   * before its reply */
  for (guint i = 0; i < N_WAITERS; i++)
    {
      g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);

      for (guint k = i + 1; k <= N_WAITERS; k++)
        g_ptr_array_add (expected, g_strdup_printf ("LeaseQueue=%u", k));
      for (guint j = 0; j <= i; j++)
        g_ptr_array_add (expected, g_strdup_printf ("Lease=%s LeaseQueue=%u", paths[j],
                                                    N_WAITERS - j - 1));
      g_ptr_array_add (expected, g_strdup_printf ("got %s", paths[i]));
      assert_events_start (waiters[i], expected);
    }
  for (guint i = 0; i < N_WAITERS; i++)
    {
      caller_free (waiters[i]);
      g_free (paths[i]);
    }
}

/* A waiting caller whose connection closes is dropped from the queue;
 * the one behind it gets the lease next. */
static void
test_waiter_leaves (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) holder = fx_caller (fx);
  /* the others come after the grant: they see only what follows */
  g_autofree char *lease = acquire (holder, "", 0);
  g_autoptr(Caller) leaving = fx_caller (fx);
  g_autoptr(Caller) next = fx_caller (fx);
  g_autofree char *handed = NULL;
  g_autofree char *got = NULL;
  g_autofree char *path = NULL;

  (void) data;
  acquire_start (leaving, "", 60000);
  wait_for_event (next, "LeaseQueue=1");
  acquire_start (next, "", 60000);
  wait_for_event (next, "LeaseQueue=2");
  g_dbus_connection_close_sync (leaving->bus, NULL, NULL);
  wait_for_event (next, "LeaseQueue=1");
  g_assert_false (next->acquire.done);
  call_ok (holder, lease, LEASE_IFACE, "Release", NULL);
  iterate_until (acquired, next, "the next waiter's Acquire()");
  g_assert_no_error (next->acquire.error);
  g_variant_get (next->acquire.reply, "(o)", &path);
  handed = g_strdup_printf ("Lease=%s LeaseQueue=0", path);
  got = g_strdup_printf ("got %s", path);
  {
    const char *const expected[] = { "LeaseQueue=1", "LeaseQueue=2", "LeaseQueue=1", handed, got,
                                     NULL };
    assert_events (next, expected);
  }
  call_ok (next, path, LEASE_IFACE, "Release", NULL);
}

static gboolean
leased (gpointer data)
{
  g_autofree char *lease = endpoint_lease (data);

  return !g_str_equal (lease, "/");
}

/* The holder is a process, "openocdctl lease default -- sleep": killed
 * with SIGKILL, its connection goes, the lease ends at once and the
 * waiting caller gets it, in this order. */
static void
test_holder_killed (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) waiter = NULL;
  OodDbusEndpoint *endpoint = ood_service_fixture_get_endpoint (fx->service, 0);
  const char *ctl = g_getenv ("OOD_CTL");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *lease = NULL;
  g_autofree char *path = NULL;
  g_autofree char *handed = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GVariant) name = NULL;
  gint64 killed_at;
  GPid sleeper;

  (void) data;
  g_assert_nonnull (ctl);
  /* the command says its pid, then sleeps until the test ends it */
  holder = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, ctl, "--address",
                             ood_service_fixture_get_bus_address (fx->service), "lease", "--reason",
                             "held by a process", "default", "--", "sh", "-c",
                             "echo $$; exec sleep 1000", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (holder));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  sleeper = (GPid) g_ascii_strtoll (line, NULL, 10);
  g_assert_cmpint (sleeper, >, 0);
  iterate_until (leased, fx, "openocdctl's lease");
  lease = endpoint_lease (fx);
  waiter = fx_caller (fx);
  acquire_start (waiter, "next", 60000);
  wait_for_event (waiter, "LeaseQueue=1");
  g_assert_false (waiter->acquire.done);

  g_assert_cmpstr (ood_dbus_endpoint_get_lease (endpoint), ==, lease);
  g_subprocess_send_signal (holder, SIGKILL);
  killed_at = g_get_monotonic_time ();
  iterate_until (acquired, waiter, "the waiter's Acquire()");
  g_test_message ("the waiter got the lease %" G_GINT64_FORMAT " µs after SIGKILL",
                  waiter->acquire.done_at - killed_at);
  g_assert_no_error (waiter->acquire.error);
  g_variant_get (waiter->acquire.reply, "(o)", &path);
  handed = g_strdup_printf ("Lease=%s LeaseQueue=0", path);
  got = g_strdup_printf ("got %s", path);
  {
    const char *const expected[] = { "LeaseQueue=1", handed, got, NULL };
    assert_events (waiter, expected);
  }
  name = lease_property (fx, path, "HolderName");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, name_of (waiter));
  call_ok (waiter, path, LEASE_IFACE, "Release", NULL);

  g_assert_true (g_subprocess_wait (holder, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (holder));
  g_assert_cmpint (g_subprocess_get_term_sig (holder), ==, SIGKILL);
  /* the command outlived openocdctl, as it would have */
  g_assert_true (ood_test_pid_alive (sleeper));
  kill (sleeper, SIGTERM);
}

/* Needs the door: while the lease is held, another caller's Halt() fails
 * with Leased, its register read works, and a member that joined with
 * the token may halt. */
static void
test_door_halt_leased (OodTestFixture *fx, gconstpointer data)
{
  g_autoptr(Caller) holder = fx_caller (fx);
  g_autoptr(Caller) other = fx_caller (fx);
  g_autoptr(Caller) member = fx_caller (fx);
  g_autofree char *target = ood_service_fixture_dup_target_path (fx->service, 0);
  g_autofree char *lease = acquire (holder, "exclusive", 0);
  g_autofree char *token = share (holder, lease);

  (void) data;
  call_ok (holder, target, "org.openocd.Target", "Halt", NULL);
  call_fails (other, target, "org.openocd.Target", "Halt", NULL, "org.openocd.Error.Leased");
  call_fails (other, target, "org.openocd.Target", "Resume", NULL, "org.openocd.Error.Leased");
  call_ok (other, target, "org.openocd.Registers", "Read", g_variant_new ("(s)", "pc"));
  call_ok (member, lease, LEASE_IFACE, "Join", g_variant_new ("(s)", token));
  call_ok (member, target, "org.openocd.Target", "Halt", NULL);
  call_ok (holder, lease, LEASE_IFACE, "Release", NULL);
  /* free again: anyone may */
  call_ok (other, target, "org.openocd.Target", "Halt", NULL);
}

/* ---- the daemon's classes in this process ------------------------------- */

typedef struct {
  OodTestbed      *testbed;
  GTestDBus       *dbus;
  GDBusConnection *bus;
  char            *tmpdir;
  char            *config;
  OodManager      *manager;
  OodCallers      *callers;
  OodDoor         *door;
} InProcess;

static void
in_process_set_up (InProcess *ip, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *text = NULL;
  g_autoptr(OodAuthority) authority = NULL;
  OodSettings settings;

  (void) data;
  ip->testbed = ood_testbed_new (NULL, &error);
  g_assert_no_error (error);
  ip->dbus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (ip->dbus);
  ip->bus = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (ip->dbus),
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  g_assert_no_error (error);
  ip->tmpdir = g_dir_make_tmp ("ood-lease-XXXXXX", &error);
  g_assert_no_error (error);
  ip->config = g_build_filename (ip->tmpdir, "openocd-dbus.conf", NULL);
  address = ood_testbed_get_address (ip->testbed);
  text = g_strdup_printf ("[Endpoint default]\nAddress=%s\n", address);
  g_assert_true (g_file_set_contents (ip->config, text, -1, NULL));
  ood_settings_init_defaults (&settings);
  ip->callers = ood_callers_new (ip->bus, OOD_CALLERS_MAX_CALLS, OOD_CALLERS_MAX_WAITERS,
                                 OOD_CALLERS_MAX_FDS);
  authority = ood_authority_new (FALSE, OOD_AUTHORITY_DEFAULT_TIMEOUT_MS);
  ip->door = ood_door_new (ip->callers, authority);
  settings.callers = ip->callers;
  settings.door = ip->door;
  ip->manager = ood_manager_new (ip->bus, &settings, ip->config, TRUE, NULL, NULL);
  g_assert_true (ood_manager_load (ip->manager, &error));
  g_assert_no_error (error);
}

static void
in_process_tear_down (InProcess *ip, gconstpointer data)
{
  (void) data;
  g_clear_object (&ip->manager);
  g_clear_object (&ip->door);
  g_clear_object (&ip->callers);
  g_dbus_connection_close_sync (ip->bus, NULL, NULL);
  g_clear_object (&ip->bus);
  g_test_dbus_down (ip->dbus);
  g_clear_object (&ip->dbus);
  g_clear_pointer (&ip->testbed, ood_testbed_free);
  g_unlink (ip->config);
  g_rmdir (ip->tmpdir);
  g_free (ip->config);
  g_free (ip->tmpdir);
}

static Caller *
ip_caller (InProcess *ip)
{
  return caller_new (g_test_dbus_get_bus_address (ip->dbus), g_dbus_connection_get_unique_name (ip->bus));
}

/* Release() of @lease by @caller, answered (the service is in this
 * process: no synchronous call). */
static void
release (Caller *caller, const char *lease)
{
  OodTestPending pending = { 0 };

  g_dbus_connection_call (caller->bus, caller->service, lease, LEASE_IFACE, "Release", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, ood_test_pending_done, &pending);
  iterate_until (ood_test_pending_is_done, &pending, "Release()");
  g_assert_no_error (pending.error);
  ood_test_pending_clear (&pending);
}

typedef struct {
  GObject *object;   /* the lease's OodDbusObjectSkeleton */
  GObject *lease;    /* its org.openocd.Lease */
} LeaseRefs;

static gboolean
lease_gone (gpointer data)
{
  LeaseRefs *refs = data;

  return refs->object == NULL && refs->lease == NULL;
}

/* A lease's objects are finalized once it ends, by Release() or by its
 * holder leaving the bus. */
static void
test_lease_finalized (InProcess *ip, gconstpointer data)
{
  GDBusObjectManager *server = G_DBUS_OBJECT_MANAGER (ood_manager_get_server (ip->manager));

  (void) data;
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(Caller) holder = ip_caller (ip);
      g_autofree char *lease = acquire (holder, "", 0);
      g_autoptr(GDBusObject) object = g_dbus_object_manager_get_object (server, lease);
      LeaseRefs refs = { 0 };

      g_assert_nonnull (object);
      refs.object = G_OBJECT (object);
      refs.lease = G_OBJECT (ood_dbus_object_peek_lease (OOD_DBUS_OBJECT (object)));
      g_assert_nonnull (refs.lease);
      g_object_add_weak_pointer (refs.object, (gpointer *) &refs.object);
      g_object_add_weak_pointer (refs.lease, (gpointer *) &refs.lease);
      g_clear_object (&object);
      if (round == 0)
        release (holder, lease);
      else
        g_dbus_connection_close_sync (holder->bus, NULL, NULL);
      iterate_until (lease_gone, &refs, round == 0 ? "the released lease's finalization"
                                                   : "the lease of a caller that left");
      g_assert_null (g_dbus_object_manager_get_object (server, lease));
    }
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 info;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  malloc_trim (0);
  info = mallinfo2 ();
  return info.uordblks + info.hblkhd;
}

static void
cycles (Caller *caller, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *lease = acquire (caller, "cycle", 0);

      release (caller, lease);
      /* what it saw is the test's, not the service's, heap */
      g_ptr_array_set_size (caller->events, 0);
    }
}

/* 1,000 acquire/release cycles from one connection leave the heap where
 * 100 cycles before left it (they warm GLib's caches up). glibc's
 * per-thread caches hold freed chunks that mallinfo2() counts as in use,
 * tens of KB that come and go: meson runs this case with them off
 * (GLIBC_TUNABLES), as the benchmark's heap figure does. */
static void
test_heap_flat (InProcess *ip, gconstpointer data)
{
  g_autoptr(Caller) caller = ip_caller (ip);
  const char *tunables = g_getenv ("GLIBC_TUNABLES");
  gsize before, after;

  (void) data;
  cycles (caller, 100);
  before = heap_in_use ();
  cycles (caller, N_CYCLES);
  after = heap_in_use ();
  g_test_message ("heap in use: %zu bytes before, %zu after %u acquire/release cycles", before,
                  after, N_CYCLES);
#ifdef __SANITIZE_ADDRESS__
  g_test_skip ("not compared: mallinfo2() does not see AddressSanitizer's heap (LeakSanitizer "
               "checks it at exit)");
  (void) tunables;
#else
  if (tunables == NULL || strstr (tunables, "glibc.malloc.tcache_count=0") == NULL)
    {
      g_test_skip ("not compared: run with GLIBC_TUNABLES=glibc.malloc.tcache_count=0");
      return;
    }
  /* under 4 bytes a cycle: one allocation kept per cycle would be 16 or more */
  g_assert_cmpint ((gssize) after - (gssize) before, <, 4 * N_CYCLES);
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
  /* the in-process daemon warns when it loses OpenOCD at the end */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  OOD_TEST_ADD ("/lease/acquire-release", NULL, test_acquire_release);
  OOD_TEST_ADD ("/lease/errors", NULL, test_errors);
  OOD_TEST_ADD ("/lease/leased-at-once", NULL, test_leased_at_once);
  OOD_TEST_ADD ("/lease/fifo", NULL, test_fifo);
  OOD_TEST_ADD ("/lease/waiter-leaves", NULL, test_waiter_leaves);
  OOD_TEST_ADD ("/lease/holder-killed", NULL, test_holder_killed);
  OOD_TEST_ADD ("/lease/door-halt-leased", NULL, test_door_halt_leased);
  g_test_add ("/lease/finalized", InProcess, NULL, in_process_set_up, test_lease_finalized,
              in_process_tear_down);
  g_test_add ("/lease/heap-flat", InProcess, NULL, in_process_set_up, test_heap_flat,
              in_process_tear_down);
  return g_test_run ();
}
