/* SPDX-License-Identifier: MIT */
/*
 * Callers that misbehave, against the real daemon (service fixture):
 *   flood            10,000 State()/Halt() calls from a raw bus connection
 *                    that never reads its replies, while another client's
 *                    calls must all be answered and the daemon's RSS
 *                    stays bounded;
 *   disconnect       a client that goes away with WaitHalt() and Halt()
 *                    in flight;
 *   bad-args         wrong signatures, a 1 MiB reset mode, a breakpoint
 *                    of 0xFFFFFFFF bytes → InvalidArgs;
 *   wait-halt-max    WaitHalt(0xFFFFFFFF) stays pending without harm.
 * Every case ends with the daemon exiting 0 on SIGTERM.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-service-fixture.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-proc.h"

#define FLOOD_CALLS        10000
/* dbus-daemon refuses more than max_replies_per_connection (128) pending
 * calls per connection, so the flood comes over many connections, each
 * within that limit: all 10,000 calls reach the daemon. */
#define FLOOD_CONNECTIONS  80
#define CALLS_PER_CONNECTION (FLOOD_CALLS / FLOOD_CONNECTIONS)
#define ANSWER_DEADLINE_MS 20000
#define RSS_GROWTH_LIMIT   (32 * 1024)   /* KiB */
#define RSS_LEAK_LIMIT     (8 * 1024)    /* KiB, last flood over the second: 800 B a call */
#define FLOOD_ROUNDS       3

static gsize
rss_kib (GPid pid)
{
  return (gsize) ood_test_proc_status_field (pid, "VmRSS");
}

static void
assert_alive (OodServiceFixture *fixture)
{
  GPid pid = ood_service_fixture_get_service_pid (fixture);

  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, 0), ==, 0);
}

static GDBusConnection *
new_client (OodServiceFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_dbus_connection_new_for_address_sync (
      ood_service_fixture_get_bus_address (fixture),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

/* Calls @iface.@method on the target; returns the reply or NULL with @error. */
static GVariant *
call (GDBusConnection *bus, const char *path, const char *iface, const char *method,
      GVariant *args, int timeout_ms, GError **error)
{
  return g_dbus_connection_call_sync (bus, "org.openocd", path, iface, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms, NULL, error);
}

/* org.openocd.Target.@method, which must succeed. */
static void
call_ok (GDBusConnection *bus, const char *path, const char *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (bus, path, "org.openocd.Target", method, NULL, 10000, &error);

  g_assert_no_error (error);
}

static void
stop_and_free (OodServiceFixture *fixture)
{
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
  ood_service_fixture_free (fixture);
}

static OodServiceFixture *
start (void)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (NULL, &error);

  g_assert_no_error (error);
  return fixture;
}

/* ---- flood --------------------------------------------------------------- */

static GBytes *
serialize (GDBusMessage *message, guint32 serial)
{
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  guchar *blob;

  g_dbus_message_set_serial (message, serial);
  blob = g_dbus_message_to_blob (message, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (blob, size);
}

/* A bus connection by hand: authenticated, Hello sent, never read again. */
static GIOStream *
raw_connect (const char *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = g_dbus_address_get_stream_sync (address, NULL, NULL, &error);
  g_autofree char *uid = g_strdup_printf ("%u", (unsigned) getuid ());
  g_autoptr(GString) auth = g_string_new_len ("\0AUTH EXTERNAL ", 15);
  g_autoptr(GDBusMessage) hello = g_dbus_message_new_method_call (
      "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello");
  g_autoptr(GBytes) hello_blob = NULL;
  gconstpointer data;
  gsize size;
  GOutputStream *out;
  char reply[256];
  gsize got = 0;

  g_assert_no_error (error);
  out = g_io_stream_get_output_stream (stream);
  for (const char *p = uid; *p != '\0'; p++)
    g_string_append_printf (auth, "%02x", (guchar) *p);
  g_string_append (auth, "\r\n");
  g_assert_true (g_output_stream_write_all (out, auth->str, auth->len, NULL, NULL, &error));
  g_assert_no_error (error);
  while (got < sizeof reply - 1 && (got < 2 || memcmp (reply + got - 2, "\r\n", 2) != 0))
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (stream), reply + got, 1,
                                      NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 1);
      got++;
    }
  reply[got] = '\0';
  g_assert_true (g_str_has_prefix (reply, "OK "));
  g_assert_true (g_output_stream_write_all (out, "BEGIN\r\n", 7, NULL, NULL, &error));
  g_assert_no_error (error);
  /* Hello at once: dbus-daemon drops connections beyond
   * max_incomplete_connections (64) that have not sent it */
  hello_blob = serialize (hello, 1);
  data = g_bytes_get_data (hello_blob, &size);
  g_assert_true (g_output_stream_write_all (out, data, size, NULL, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&stream);
}

typedef struct {
  GPtrArray    *streams;    /* (element-type GIOStream) */
  GCancellable *cancellable;
  char         *path;
  guint         sent;       /* atomic */
  gboolean      done;       /* atomic */
} Flood;

static gpointer
flood_thread (gpointer user_data)
{
  Flood *flood = user_data;
  guint sent = 0;

  for (guint c = 0; c < flood->streams->len; c++)
    {
      GOutputStream *out = g_io_stream_get_output_stream (flood->streams->pdata[c]);
      g_autoptr(GByteArray) batch = g_byte_array_new ();
      gconstpointer data;
      gsize size;

      for (guint i = 0; i < CALLS_PER_CONNECTION; i++)
        {
          g_autoptr(GDBusMessage) message = g_dbus_message_new_method_call (
              "org.openocd", flood->path, "org.openocd.Target", i % 2 == 0 ? "State" : "Halt");
          g_autoptr(GBytes) blob = serialize (message, i + 2);

          data = g_bytes_get_data (blob, &size);
          g_byte_array_append (batch, data, size);
        }
      if (!g_output_stream_write_all (out, batch->data, batch->len, NULL, flood->cancellable,
                                      NULL))
        break;
      sent += CALLS_PER_CONNECTION;
      g_atomic_int_set (&flood->sent, sent);
    }
  g_atomic_int_set (&flood->done, TRUE);
  return NULL;
}

typedef struct {
  GPid     pid;
  gboolean stop;   /* atomic */
  gsize    max;    /* KiB */
} Sampler;

static gpointer
sampler_thread (gpointer user_data)
{
  Sampler *sampler = user_data;

  while (!g_atomic_int_get (&sampler->stop))
    {
      sampler->max = MAX (sampler->max, rss_kib (sampler->pid));
      g_usleep (20000);
    }
  return NULL;
}

/* One call from the well-behaved client: answered (not given up on after
 * ANSWER_DEADLINE_MS), with success or, for calls that queue for OpenOCD,
 * Busy. */
static void
polite_call (GDBusConnection *bus, const char *path, const char *iface, const char *method,
             GVariant *args, gboolean busy_ok, guint *busy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = call (bus, path, iface, method, args, ANSWER_DEADLINE_MS, &error);
  if (busy_ok && g_error_matches (error, OOD_ERROR, OOD_ERROR_BUSY))
    {
      (*busy)++;
      g_clear_error (&error);
    }
  else
    {
      if (error != NULL)
        g_printerr ("# %s.%s: %s\n", iface, method, error->message);
      g_assert_no_error (error);
      g_assert_nonnull (reply);
    }
}

typedef struct {
  gsize   peak;     /* KiB */
  gsize   after;    /* KiB */
  guint   rounds;
  guint   busy;
} FloodResult;

/* Floods the daemon from FLOOD_CONNECTIONS raw connections that never read
 * while a polite client keeps calling; returns once the flood is worked off
 * and its connections are closed. */
static FloodResult
flood_once (OodServiceFixture *fixture, GDBusConnection *polite, const char *path)
{
  GPid pid = ood_service_fixture_get_service_pid (fixture);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Flood flood = { .cancellable = cancellable, .path = (char *) path };
  Sampler sampler = { .pid = pid };
  FloodResult result = { 0 };
  GThread *writer, *sampling;
  gint64 deadline;
  g_autoptr(GError) error = NULL;

  flood.streams = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint c = 0; c < FLOOD_CONNECTIONS; c++)
    g_ptr_array_add (flood.streams, raw_connect (ood_service_fixture_get_bus_address (fixture)));
  sampling = g_thread_new ("rss", sampler_thread, &sampler);
  writer = g_thread_new ("flood", flood_thread, &flood);

  /* while the flood arrives and is worked off, the polite client is served */
  deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  do
    {
      polite_call (polite, path, "org.openocd.Target", "State", NULL, TRUE, &result.busy);
      polite_call (polite, path, "org.openocd.Target", "Halt", NULL, TRUE, &result.busy);
      polite_call (polite, path, "org.freedesktop.DBus.Properties", "Get",
                   g_variant_new ("(ss)", "org.openocd.Target", "State"), FALSE, NULL);
      result.rounds++;
      assert_alive (fixture);
    }
  while ((!g_atomic_int_get (&flood.done) || result.rounds < 5) &&
         g_get_monotonic_time () < deadline);
  g_assert_true (g_atomic_int_get (&flood.done));
  g_thread_join (writer);
  g_assert_cmpuint (g_atomic_int_get (&flood.sent), ==, FLOOD_CALLS);

  /* the flood is worked off when a State call queued behind it returns */
  for (;;)
    {
      g_autoptr(GVariant) reply = call (polite, path, "org.openocd.Target", "State", NULL,
                                        ANSWER_DEADLINE_MS, &error);

      if (reply != NULL)
        break;
      g_assert_true (g_error_matches (error, OOD_ERROR, OOD_ERROR_BUSY));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_clear_error (&error);
      g_usleep (100000);
    }
  for (guint c = 0; c < flood.streams->len; c++)
    g_io_stream_close (flood.streams->pdata[c], NULL, NULL);
  g_clear_pointer (&flood.streams, g_ptr_array_unref);
  for (guint i = 0; i < 20; i++)
    polite_call (polite, path, "org.openocd.Target", "State", NULL, FALSE, NULL);
  g_usleep (500000);
  result.after = rss_kib (pid);
  g_atomic_int_set (&sampler.stop, TRUE);
  g_thread_join (sampling);
  result.peak = MAX (sampler.max, result.after);
  assert_alive (fixture);
  return result;
}

static void
test_flood (void)
{
  OodServiceFixture *fixture = start ();
  GPid pid = ood_service_fixture_get_service_pid (fixture);
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  g_autoptr(GDBusConnection) polite = new_client (fixture);
  FloodResult results[FLOOD_ROUNDS];
  gboolean sanitized = g_getenv ("ASAN_OPTIONS") != NULL;
  gsize before;

  /* warm up: the first calls allocate what every later call reuses */
  for (guint i = 0; i < 20; i++)
    {
      polite_call (polite, path, "org.openocd.Target", "Halt", NULL, FALSE, NULL);
      polite_call (polite, path, "org.openocd.Target", "State", NULL, FALSE, NULL);
    }
  before = rss_kib (pid);
  g_assert_cmpuint (before, >, 0);

  for (guint i = 0; i < FLOOD_ROUNDS; i++)
    {
      results[i] = flood_once (fixture, polite, path);
      g_test_message ("flood %u of %u calls: RSS before %zu KiB, peak %zu KiB, after %zu KiB; "
                      "polite client: %u rounds, %u Busy",
                      i + 1, FLOOD_CALLS, before, results[i].peak, results[i].after,
                      results[i].rounds, results[i].busy);
      if (!sanitized)
        g_assert_cmpuint (results[i].peak, <, before + RSS_GROWTH_LIMIT);
    }
  /* later floods reuse the memory of the earlier ones (no leak); under
   * AddressSanitizer the quarantine makes RSS meaningless, and
   * LeakSanitizer checks the daemon at exit instead */
  if (!sanitized)
    g_assert_cmpuint (results[FLOOD_ROUNDS - 1].after, <, results[1].after + RSS_LEAK_LIMIT);
  stop_and_free (fixture);
}

/* ---- a client that disconnects mid-call ---------------------------------- */

static void
ignore_reply (GObject *source, GAsyncResult *result, G_GNUC_UNUSED gpointer user_data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, NULL);
}


static void
test_disconnect (void)
{
  OodServiceFixture *fixture = start ();
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  GDBusConnection *bus = ood_service_fixture_get_bus (fixture);
  g_autoptr(GError) error = NULL;
  OodTestPending pending = { 0 };

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(GDBusConnection) rude = new_client (fixture);

      call_ok (bus, path, "Resume");
      g_dbus_connection_call (rude, "org.openocd", path, "org.openocd.Target", "WaitHalt",
                              g_variant_new ("(u)", 5000), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                              NULL, ignore_reply, NULL);
      if (round != 1)   /* round 1: the WaitHalt is left to time out */
        g_dbus_connection_call (rude, "org.openocd", path, "org.openocd.Target", "Halt",
                                NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, ignore_reply,
                                NULL);
      g_dbus_connection_flush_sync (rude, NULL, &error);
      g_assert_no_error (error);
      if (round == 2)
        g_usleep (2000);
      g_dbus_connection_close_sync (rude, NULL, &error);
      g_assert_no_error (error);
      g_clear_object (&rude);

      /* others are still served */
      call_ok (bus, path, "State");
      assert_alive (fixture);
    }
  g_usleep (5500 * 1000);   /* round 1's WaitHalt has timed out towards nobody */
  assert_alive (fixture);

  /* a new client's WaitHalt works */
  {
    g_autoptr(GDBusConnection) fresh = new_client (fixture);
    g_autoptr(GVariant) halted = NULL;
    const char *name, *state;
    gboolean pc_valid;
    guint64 pc;

    call_ok (fresh, path, "Resume");
    g_dbus_connection_call (fresh, "org.openocd", path, "org.openocd.Target", "WaitHalt",
                            g_variant_new ("(u)", 5000), G_VARIANT_TYPE ("(a{sv})"),
                            G_DBUS_CALL_FLAGS_NONE, 10000, NULL, ood_test_pending_done, &pending);
    g_usleep (100000);
    halted = call (fresh, path, "org.openocd.Target", "Halt", NULL, 10000, &error);
    g_assert_no_error (error);
    g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &pending, 10000));
    g_assert_no_error (pending.error);
    g_assert_nonnull (pending.reply);
    {
      g_autoptr(GVariant) dict = g_variant_get_child_value (pending.reply, 0);
      g_assert_true (ood_state_dict_parse (dict, &name, &state, &pc_valid, &pc));
      g_assert_cmpstr (state, ==, OOD_STATE_HALTED);
    }
    g_clear_pointer (&pending.reply, g_variant_unref);
  }
  stop_and_free (fixture);
}

/* ---- wrong, oversized and absurd arguments -------------------------------- */

static void
expect_invalid_args (GDBusConnection *bus, const char *path, const char *iface,
                     const char *method, GVariant *args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *printed = args != NULL ? g_variant_print (g_variant_ref_sink (args), FALSE)
                                          : g_strdup ("()");
  g_autoptr(GVariant) reply = call (bus, path, iface, method, args, 20000, &error);
  g_autofree char *remote = NULL;

  if (args != NULL)
    g_variant_unref (args);

  if (reply != NULL)
    g_printerr ("# %s.%s%.60s accepted\n", iface, method, printed);
  g_assert_null (reply);
  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.InvalidArgs") != 0)
    g_printerr ("# %s.%s: %s\n", iface, method, error->message);
  g_assert_cmpstr (remote, ==, "org.freedesktop.DBus.Error.InvalidArgs");
}

static void
test_bad_args (void)
{
  OodServiceFixture *fixture = start ();
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  GDBusConnection *bus = ood_service_fixture_get_bus (fixture);
  g_autofree char *huge = g_malloc (1024 * 1024 + 1);
  g_autoptr(GError) error = NULL;
  const char *T = "org.openocd.Target", *B = "org.openocd.Breakpoints";

  memset (huge, 'h', 1024 * 1024);
  huge[1024 * 1024] = '\0';

  expect_invalid_args (bus, path, T, "Reset", g_variant_new ("(i)", 1));
  expect_invalid_args (bus, path, T, "Reset", NULL);
  expect_invalid_args (bus, path, T, "Reset", g_variant_new ("(ss)", "halt", "run"));
  expect_invalid_args (bus, path, T, "StepAt", g_variant_new ("(s)", "0x80000000"));
  expect_invalid_args (bus, path, T, "ResumeAt", g_variant_new ("(u)", 0x80000000u));
  expect_invalid_args (bus, path, T, "WaitHalt", g_variant_new ("(t)", (guint64) 1));
  expect_invalid_args (bus, path, T, "Halt", g_variant_new ("(u)", 1));
  expect_invalid_args (bus, path, B, "Add", g_variant_new ("(t)", (guint64) 0x80000000));
  expect_invalid_args (bus, path, B, "Add", g_variant_new ("(tu)", (guint64) 0x80000000, 4));
  expect_invalid_args (bus, path, B, "Add", g_variant_new ("(sus)", "0x80000000", 4, "hw"));
  expect_invalid_args (bus, path, B, "Remove", g_variant_new ("(s)", "x"));
  assert_alive (fixture);

  /* oversized and absurd values of the right type */
  expect_invalid_args (bus, path, T, "Reset", g_variant_new ("(s)", huge));
  expect_invalid_args (bus, path, T, "Reset", g_variant_new ("(s)", "halt; shutdown"));
  expect_invalid_args (bus, path, T, "Reset", g_variant_new ("(s)", "HALT"));
  expect_invalid_args (bus, path, B, "Add",
                       g_variant_new ("(tus)", (guint64) 0x80000000, 0xFFFFFFFFu, "hw"));
  expect_invalid_args (bus, path, B, "Add",
                       g_variant_new ("(tus)", (guint64) 0x80000000, 0u, "hw"));
  expect_invalid_args (bus, path, B, "Add",
                       g_variant_new ("(tus)", (guint64) 0x80000000, 4u, huge));
  assert_alive (fixture);

  /* and the target still works */
  call_ok (bus, path, "Halt");
  stop_and_free (fixture);
}

static void
test_wait_halt_max (void)
{
  OodServiceFixture *fixture = start ();
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  GDBusConnection *bus = ood_service_fixture_get_bus (fixture);
  g_autoptr(GDBusConnection) waiter = new_client (fixture);
  g_autoptr(GError) error = NULL;
  OodTestPending pending = { 0 };
  OodTestPending dropped = { 0 };

  call_ok (bus, path, "Resume");
  /* beyond the longest wait (an hour) is refused at once */
  g_assert_null (g_dbus_connection_call_sync (waiter, "org.openocd", path, "org.openocd.Target",
                                              "WaitHalt", g_variant_new ("(u)", 0xFFFFFFFFu),
                                              NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error));
  g_assert_true (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS));
  g_clear_error (&error);
  g_dbus_connection_call (waiter, "org.openocd", path, "org.openocd.Target", "WaitHalt",
                          g_variant_new ("(u)", 3600000u), NULL, G_DBUS_CALL_FLAGS_NONE,
                          G_MAXINT, NULL, ood_test_pending_done, &pending);
  /* one more from a client that then goes away */
  {
    g_autoptr(GDBusConnection) rude = new_client (fixture);
    g_dbus_connection_call (rude, "org.openocd", path, "org.openocd.Target", "WaitHalt",
                            g_variant_new ("(u)", 3600000u), NULL, G_DBUS_CALL_FLAGS_NONE,
                            -1, NULL, ood_test_pending_done, &dropped);
    g_dbus_connection_flush_sync (rude, NULL, NULL);
    g_usleep (200000);
    g_dbus_connection_close_sync (rude, NULL, NULL);
  }
  ood_test_wait_for (ood_test_pending_is_done, &pending, 1000);
  g_assert_false (pending.done);   /* still waiting, not timed out at once */
  call_ok (bus, path, "State");
  assert_alive (fixture);

  /* SIGTERM with the wait pending: a clean exit, and the caller gets an error */
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &pending, 10000));
  g_assert_null (pending.reply);
  g_assert_nonnull (pending.error);
  g_clear_error (&pending.error);
  g_clear_error (&dropped.error);
  g_clear_pointer (&dropped.reply, g_variant_unref);
  ood_service_fixture_free (fixture);
}

/* One bus connection may have 128 calls pending (the limit of the system
 * bus, and of the test bus): the flooder queues 127 reads and one barrier. */
#define N_FLOOD_READS 127
#define FLOOD_READ_BYTES 64

/* One caller's flood of memory reads (as many as the bus lets it have
 * pending), then a Halt from another caller: callers are served in turn, so
 * the Halt waits for the read in flight and at most one more of the
 * flooder's, however many it has queued. OpenOCD is held still while the
 * calls queue, so the queue is seen as it is. Each caller ends its calls
 * with a barrier, a ReadBytes the service refuses as soon as its handler
 * runs: the door serves one caller's calls in order, so when the barrier's
 * error arrives, every call sent before it has reached its handler (and the
 * session's queue). */
typedef struct {
  guint ok;       /* reads answered with data */
  guint other;
} ReadFlood;

static void
on_flood_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReadFlood *flood = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);

  if (reply != NULL)
    flood->ok++;
  else if (flood->other++ == 0)
    g_test_message ("first other error: %s", error->message);
}

static gboolean
flood_answered (gpointer user_data)
{
  ReadFlood *flood = user_data;

  return flood->ok + flood->other == N_FLOOD_READS;
}

/* Sends the barrier on @connection and waits for the service's refusal. */
static void
barrier (GDBusConnection *connection, const char *path)
{
  OodTestPending refused = { 0 };

  g_dbus_connection_call (connection, "org.openocd", path, "org.openocd.Memory", "ReadBytes",
                          g_variant_new ("(tu)", (guint64) 0x80000000u, G_MAXUINT32), NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, ood_test_pending_done, &refused);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &refused, ANSWER_DEADLINE_MS));
  g_assert_error (refused.error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  ood_test_pending_clear (&refused);
}

static void
test_halt_beside_read_flood (void)
{
  OodServiceFixture *fixture = start ();
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  g_autoptr(GDBusConnection) flooder = new_client (fixture);
  g_autoptr(GDBusConnection) other = new_client (fixture);
  int openocd = ood_testbed_get_openocd_pid (ood_service_fixture_get_testbed (fixture, 0));
  OodTestPending halted = { 0 };
  ReadFlood flood = { 0 };
  guint at_cont, at_reply;

  call_ok (ood_service_fixture_get_bus (fixture), path, "Resume");
  kill (openocd, SIGSTOP);
  for (guint i = 0; i < N_FLOOD_READS; i++)
    g_dbus_connection_call (flooder, "org.openocd", path, "org.openocd.Memory", "ReadBytes",
                            g_variant_new ("(tu)", (guint64) 0x80000000u, FLOOD_READ_BYTES),
                            NULL, G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, on_flood_read, &flood);
  barrier (flooder, path);     /* the reads are queued (the first in flight) */
  g_dbus_connection_call (other, "org.openocd", path, "org.openocd.Target", "Halt", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, ood_test_pending_done, &halted);
  barrier (other, path);       /* and the Halt, behind them */
  at_cont = flood.ok;
  kill (openocd, SIGCONT);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &halted, ANSWER_DEADLINE_MS));
  at_reply = flood.ok;
  g_assert_no_error (halted.error);
  g_assert_true (ood_test_wait_for (flood_answered, &flood, ANSWER_DEADLINE_MS));
  g_test_message ("Halt answered after %u of the flooder's %u reads queued",
                  at_reply - at_cont, flood.ok);
  g_assert_cmpuint (at_cont, ==, 0);
  g_assert_cmpuint (flood.other, ==, 0);
  g_assert_cmpuint (flood.ok, ==, N_FLOOD_READS);
  /* the read in flight, one in turn before the Halt and one before the
   * refresh that publishes the halt (State, CurrentPc and HaltCount
   * together, before the reply); one more for the two sockets' replies,
   * which this process may read in either order */
  g_assert_cmpuint (at_reply - at_cont, <=, 4);
  ood_test_pending_clear (&halted);
  stop_and_free (fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
  g_test_add_func ("/hardening/bad-callers/flood", test_flood);
  g_test_add_func ("/hardening/bad-callers/disconnect", test_disconnect);
  g_test_add_func ("/hardening/bad-callers/bad-args", test_bad_args);
  g_test_add_func ("/hardening/bad-callers/wait-halt-max", test_wait_halt_max);
  g_test_add_func ("/hardening/bad-callers/halt-beside-read-flood", test_halt_beside_read_flood);
  return g_test_run ();
}
