/* SPDX-License-Identifier: MIT */
/* Integration tests of what issue 27 adds for parity with openocd-python:
 * Endpoint.Command() (raw commands), the adapter and scan chain
 * properties, SetAdapterSpeed() and Memory.Search(), the real daemon on a
 * private bus in front of a real OpenOCD and the simulated board. Every
 * answer is compared with what raw Tcl on a connection of the test's own
 * answers in the same state. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"

/* RAM the built-in program and OpenOCD's work area leave alone */
#define SCRATCH  G_GUINT64_CONSTANT (0x80020000)
#define UNMAPPED G_GUINT64_CONSTANT (0x10000000)
#define CHUNK    4096u
#define SIM_TAP  "riscvsim.cpu"
#define SIM_IDCODE 0x10e31913u
/* OpenOCD 0.12's refusal of any speed for remote_bitbang */
#define NO_KHZ     "Translation from khz to adapter speed not implemented"

/* The shared fixture, once the service has learnt the adapter, and raw
 * Tcl on a connection of the test's own. */
typedef struct {
  OodTestFixture base;
  OodTestTcl *tcl; /* raw Tcl, the reference */
} ParityFixture;

static const char *const raw_args[] = { "--allow-raw-commands", NULL };
static const OodServiceOptions raw = { .extra_args = raw_args };

static gboolean
adapter_learnt (gpointer user_data)
{
  ParityFixture *fx = user_data;

  return g_strcmp0 (ood_dbus_endpoint_get_adapter (fx->base.endpoint), "") > 0;
}

static void
parity_set_up (ParityFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  ood_test_fixture_set_up (&fx->base, options);
  g_assert_true (ood_test_wait_for (adapter_learnt, fx, 10000));
  fx->tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (fx->base.testbed), &error);
  g_assert_no_error (error);
}

static void
parity_tear_down (ParityFixture *fx, gconstpointer options)
{
  ood_test_tcl_free (fx->tcl);
  ood_test_fixture_tear_down (&fx->base, options);
}

/* What raw Tcl answers @command, which must not fail. */
static char *
tcl (ParityFixture *fx, const char *command)
{
  g_autoptr(GError) error = NULL;
  char *reply = ood_test_tcl_eval (fx->tcl, command, &error);

  g_assert_no_error (error);
  return reply;
}

/* @endpoint's Command(@text): its output, or NULL with @error. */
static char *
command_on (OodDbusEndpoint *endpoint, const char *text, GError **error)
{
  char *output = NULL;

  if (!ood_dbus_endpoint_call_command_sync (endpoint, text, &output, NULL, error))
    return NULL;
  return output;
}

static char *
command (ParityFixture *fx, const char *text, GError **error)
{
  return command_on (fx->base.endpoint, text, error);
}

static gboolean
state_is_halted (gpointer user_data)
{
  ParityFixture *fx = user_data;

  return g_strcmp0 (ood_dbus_target_get_state (fx->base.target), OOD_STATE_HALTED) == 0;
}

static gboolean
state_is_running (gpointer user_data)
{
  ParityFixture *fx = user_data;

  return g_strcmp0 (ood_dbus_target_get_state (fx->base.target), OOD_STATE_RUNNING) == 0;
}

/* Command() with raw commands on: answers what raw Tcl answers, fails
 * with OpenOCD's text, is seen by the targets' properties, keeps the
 * client's text one script, and is logged with the caller's uid. */
static void
test_command (ParityFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *ref = NULL, *log = NULL, *uid = NULL;

  (void) options;
  g_assert_true (ood_dbus_endpoint_get_raw_commands (fx->base.endpoint));

  /* the same listing as OpenOCD gives a connection of its own */
  out = command (fx, "targets", &error);
  g_assert_no_error (error);
  ref = tcl (fx, "capture targets");
  g_assert_cmpstr (out, ==, ref);
  g_assert_nonnull (strstr (out, "riscv.cpu"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&ref, g_free);

  /* a failure is org.openocd.Error.Target with OpenOCD's text */
  g_assert_null (command (fx, "foo bar", &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  ref = tcl (fx, "catch {capture {foo bar}} r; set r");
  g_assert_nonnull (strstr (error->message, g_strstrip (ref)));
  g_clear_error (&error);
  g_clear_pointer (&ref, g_free);
  /* OpenOCD's own failures return codes of their own (ERROR_FAIL, -4):
   * failures all the same */
  ref = tcl (fx, "catch {adapter speed 500}");
  g_assert_cmpstr (ref, ==, "-4");
  g_clear_pointer (&ref, g_free);
  g_assert_null (command (fx, "adapter speed 500", &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_assert_nonnull (strstr (error->message, NO_KHZ));
  g_clear_error (&error);

  /* a raw halt is seen as GDB's would be, and so is a raw resume */
  out = command (fx, "halt", &error);
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (state_is_halted, fx, 10000));
  ref = tcl (fx, "riscv.cpu curstate");
  g_assert_cmpstr (ref, ==, "halted");
  g_assert_true (ood_dbus_target_get_current_pc_valid (fx->base.target));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&ref, g_free);
  out = command (fx, "resume", &error);
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (state_is_running, fx, 10000));
  g_clear_pointer (&out, g_free);

  /* the text is one script, evaluated as written: quotes, brackets and
   * semicolons are its own; an unbalanced one fails alone */
  out = command (fx, "set ood_x [list a {b c} \"d;e\"]; llength $ood_x", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "3");
  g_clear_pointer (&out, g_free);
  g_assert_null (command (fx, "list {a", &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_clear_error (&error);
  /* the reply framing's terminator comes back escaped, and the
   * connection is still in step after it */
  out = command (fx, "format a%cb 26", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "a\\x1ab");
  g_clear_pointer (&out, g_free);
  /* a result over 1 MiB is cut, saying so */
  out = command (fx, "string repeat x 1048600", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (out), ==, 1048576 + strlen ("\n[output cut]"));
  g_assert_true (g_str_has_suffix (out, "x\n[output cut]"));
  g_clear_pointer (&out, g_free);
  /* bytes, not characters: an "é" cut in two is made valid (its first
   * byte becomes U+FFFD, two bytes more) */
  out = command (fx, "set y x[string repeat \u00e9 600000]", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (out), ==, 1048576 + 2 + strlen ("\n[output cut]"));
  g_assert_true (g_str_has_suffix (out, "\xc3\xa9\xef\xbf\xbd\n[output cut]"));
  g_clear_pointer (&out, g_free);
  out = command (fx, "version", &error);
  g_assert_no_error (error);
  ref = tcl (fx, "version");
  g_assert_cmpstr (out, ==, ref);
  g_clear_pointer (&ref, g_free);
  g_clear_pointer (&out, g_free);

  /* under another caller's lease, refused like a control method */
  {
    g_autoptr(GDBusConnection) other = g_dbus_connection_new_for_address_sync (
        ood_service_fixture_get_bus_address (fx->base.service),
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_autoptr(OodDbusEndpoint) holder = NULL;
    g_autofree char *lease = NULL;

    g_assert_no_error (error);
    holder = ood_dbus_endpoint_proxy_new_sync (other, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                               g_dbus_proxy_get_object_path (
                                                   G_DBUS_PROXY (fx->base.endpoint)),
                                               NULL, &error);
    g_assert_no_error (error);
    g_assert_true (ood_dbus_endpoint_call_acquire_sync (holder, "raw test", 0, &lease, NULL,
                                                        &error));
    g_assert_no_error (error);
    g_assert_null (command (fx, "version", &error));
    ASSERT_OOD_ERROR (error, OOD_ERROR_LEASED, "Leased");
    g_clear_error (&error);
    out = command_on (holder, "version", &error);
    g_assert_no_error (error);
    g_clear_pointer (&out, g_free);
    g_dbus_connection_close_sync (other, NULL, NULL);
  }

  /* every use is logged with the caller's uid */
  g_assert_true (
      g_file_get_contents (ood_service_fixture_get_log_path (fx->base.service), &log, NULL, NULL));
  uid = g_strdup_printf ("uid %u", (guint) getuid ());
  g_assert_nonnull (strstr (log, "runs the raw command: format a%cb 26"));
  g_assert_nonnull (strstr (strstr (log, "runs the raw command: targets") - 64, uid));
}

static void
assert_taps_match_raw (ParityFixture *fx)
{
  GVariant *taps = ood_dbus_endpoint_get_taps (fx->base.endpoint);
  g_autofree char *idcode = tcl (fx, "jtag cget " SIM_TAP " -idcode");
  g_autofree char *enabled = tcl (fx, "jtag tapisenabled " SIM_TAP);
  g_autofree char *chain = tcl (fx, "capture scan_chain");
  const char *name = NULL;
  gboolean on = FALSE;
  guint32 id = 0, expected = 0, ir = 0;

  g_assert_cmpuint (g_variant_n_children (taps), ==, 1);
  g_variant_get_child (taps, 0, "(&sbuuu)", &name, &on, &id, &expected, &ir);
  g_assert_cmpstr (name, ==, SIM_TAP);
  g_assert_true (on);
  g_assert_cmpstr (enabled, ==, "1");
  g_assert_cmpuint (id, ==, SIM_IDCODE);
  g_assert_cmpuint (id, ==, g_ascii_strtoull (idcode, NULL, 10));
  g_assert_cmpuint (expected, ==, SIM_IDCODE);
  g_assert_cmpuint (ir, ==, 5);
  g_assert_nonnull (strstr (chain, "0x10e31913 0x10e31913     5"));
}

/* Raw commands off by default; Adapter, Transport, AdapterSpeed and Taps
 * as raw Tcl says; SetAdapterSpeed()'s errors. */
static void
test_adapter (ParityFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = tcl (fx, "adapter name");
  g_autofree char *transport = tcl (fx, "transport select");
  g_autofree char *speed_rc = tcl (fx, "catch {adapter speed}");
  g_autofree char *refused = NULL;
  guint actual = 0;

  (void) options;
  g_assert_false (ood_dbus_endpoint_get_raw_commands (fx->base.endpoint));
  g_assert_null (command (fx, "version", &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NOT_SUPPORTED, "NotSupported");
  g_assert_nonnull (strstr (error->message, "AllowRawCommands"));
  g_clear_error (&error);

  g_assert_cmpstr (ood_dbus_endpoint_get_adapter (fx->base.endpoint), ==, name);
  g_assert_cmpstr (name, ==, "remote_bitbang");
  g_assert_cmpstr (ood_dbus_endpoint_get_transport (fx->base.endpoint), ==, transport);
  g_assert_cmpstr (transport, ==, "jtag");
  /* remote_bitbang in OpenOCD 0.12 cannot say its speed: 0 */
  g_assert_cmpstr (speed_rc, !=, "0");
  g_assert_cmpuint (ood_dbus_endpoint_get_adapter_speed (fx->base.endpoint), ==, 0);
  assert_taps_match_raw (fx);

  g_assert_false (
      ood_dbus_endpoint_call_set_adapter_speed_sync (fx->base.endpoint, 0, &actual, NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_endpoint_call_set_adapter_speed_sync (fx->base.endpoint, 500, &actual,
                                                                 NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  refused = tcl (fx, "catch {capture {adapter speed 500}} r; set r");
  g_assert_nonnull (strstr (error->message, NO_KHZ));
  g_assert_nonnull (strstr (refused, NO_KHZ));
  g_assert_cmpuint (ood_dbus_endpoint_get_adapter_speed (fx->base.endpoint), ==, 0);
  assert_taps_match_raw (fx);
}

static GVariant *
bytes_variant (const guint8 *data, gsize n)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, n, 1);
}

/* Memory.Search(): its hits, as GVariant "at", or NULL with @error. */
static GVariant *
search (OodDbusMemory *memory, guint64 address, guint64 size, const guint8 *pattern, gsize n,
        guint max_hits, GError **error)
{
  GVariant *hits = NULL;

  if (!ood_dbus_memory_call_search_sync (memory, address, size, bytes_variant (pattern, n),
                                         max_hits, &hits, NULL, error))
    return NULL;
  return hits;
}

static void
assert_hits (GVariant *hits, const guint64 *expected, gsize n)
{
  gsize got = 0;
  const guint64 *values = g_variant_get_fixed_array (hits, &got, sizeof (guint64));

  g_assert_cmpmem (values, got * sizeof (guint64), expected, n * sizeof (guint64));
}

static gboolean
address_bits_learnt (gpointer user_data)
{
  return ood_dbus_memory_get_address_bits (user_data) != 0;
}

/* A call the service refuses as soon as its handler runs: calls one
 * caller sent before it have reached their handlers when it is answered
 * (the door serves a caller's calls in order). */
static void
barrier (GDBusConnection *connection, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      connection, "org.openocd", path, "org.openocd.Memory", "Search",
      g_variant_new ("(tt@ayu)", SCRATCH, (guint64) 16, bytes_variant (NULL, 0), 1), NULL,
      G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);

  ASSERT_INVALID_ARGS (error);
}

static gboolean
log_has_stopped_search (gpointer user_data)
{
  ParityFixture *fx = user_data;
  g_autofree char *log = NULL;

  return g_file_get_contents (ood_service_fixture_get_log_path (fx->base.service), &log, NULL,
                              NULL) &&
         strstr (log, "Search stopped after 0 of 65536 bytes: its caller left") != NULL;
}

/* A caller that leaves has its search stopped at the chunk in flight:
 * OpenOCD is held still while it queues and leaves, so none was read. */
static void
search_of_caller_who_left (ParityFixture *fx)
{
  const char *path = fx->base.target_path;
  int openocd = ood_testbed_get_openocd_pid (fx->base.testbed);
  static const guint8 byte = 0x5a;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) other = g_dbus_connection_new_for_address_sync (
      ood_service_fixture_get_bus_address (fx->base.service),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  g_assert_no_error (error);
  kill (openocd, SIGSTOP);
  g_dbus_connection_call (other, "org.openocd", path, "org.openocd.Memory", "Search",
                          g_variant_new ("(tt@ayu)", SCRATCH, (guint64) 65536,
                                         bytes_variant (&byte, 1), 100),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
  barrier (other, path);
  g_dbus_connection_close_sync (other, NULL, NULL);
  kill (openocd, SIGCONT);
  g_assert_true (ood_test_wait_for (log_has_stopped_search, fx, 10000));
}

/* The parity fixture, with the daemon logging the search's debug lines
 * (search_of_caller_who_left). */
static void
search_set_up (ParityFixture *fx, gconstpointer options)
{
  g_setenv ("G_MESSAGES_DEBUG", "ood-memory-search", TRUE);
  parity_set_up (fx, options);
}

/* Search() finds what raw Tcl wrote, across a chunk border too, respects
 * max_hits and counts overlapping matches; refuses bad arguments. */
static void
test_search (ParityFixture *fx, gconstpointer options)
{
  g_autoptr(OodDbusMemory) memory = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 pattern[] = { 0xde, 0xad, 0xbe, 0xef, 0x5a };
  static const guint8 run[] = { 0x77, 0x77 };
  guint8 long_pattern[257] = { 0 };
  const guint64 all[] = { SCRATCH + 100, SCRATCH + CHUNK - 2, SCRATCH + 6001 };
  const guint64 runs[] = { SCRATCH + 7000, SCRATCH + 7001 };
  g_autofree char *border = NULL;
  GVariant *hits;

  (void) options;
  memory = ood_dbus_memory_proxy_new_sync (fx->base.bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                           fx->base.target_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (address_bits_learnt, memory, 10000));
  g_free (tcl (fx, "write_memory 0x80020000 32 [lrepeat 2048 0]"));
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_autofree char *write = g_strdup_printf ("write_memory 0x%" G_GINT64_MODIFIER "x 8 "
                                                "{0xde 0xad 0xbe 0xef 0x5a}", all[i]);
      g_free (tcl (fx, write));
    }
  g_free (tcl (fx, "write_memory 0x80021b58 8 {0x77 0x77 0x77}"));
  border = tcl (fx, "read_memory 0x80020ffe 8 5");
  g_assert_cmpstr (border, ==, "0xde 0xad 0xbe 0xef 0x5a");

  /* from an aligned and from an unaligned start: the match at CHUNK - 2
   * spans the first two chunks either way */
  hits = search (memory, SCRATCH, 2 * CHUNK, pattern, sizeof pattern, 100, &error);
  g_assert_no_error (error);
  assert_hits (hits, all, G_N_ELEMENTS (all));
  g_variant_unref (hits);
  hits = search (memory, SCRATCH + 1, 2 * CHUNK - 1, pattern, sizeof pattern, 100, &error);
  g_assert_no_error (error);
  assert_hits (hits, all, G_N_ELEMENTS (all));
  g_variant_unref (hits);
  /* max_hits, a range that cuts the last match, overlapping matches */
  hits = search (memory, SCRATCH, 2 * CHUNK, pattern, sizeof pattern, 2, &error);
  g_assert_no_error (error);
  assert_hits (hits, all, 2);
  g_variant_unref (hits);
  hits = search (memory, SCRATCH, 6001 + 4, pattern, sizeof pattern, 100, &error);
  g_assert_no_error (error);
  assert_hits (hits, all, 2);
  g_variant_unref (hits);
  hits = search (memory, SCRATCH, 2 * CHUNK, run, sizeof run, 100, &error);
  g_assert_no_error (error);
  assert_hits (hits, runs, G_N_ELEMENTS (runs));
  g_variant_unref (hits);

  /* refused: empty or long patterns, max_hits 0, outside the address
   * space; a read that fails is OpenOCD's */
  g_assert_null (search (memory, SCRATCH, 16, pattern, 0, 1, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_null (search (memory, SCRATCH, 16, long_pattern, sizeof long_pattern, 1, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_null (search (memory, SCRATCH, 16, pattern, sizeof pattern, 0, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_null (search (memory, G_GUINT64_CONSTANT (0xfffffffe), 4, pattern, 1, 1, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_null (search (memory, UNMAPPED, 16, pattern, 1, 1, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_clear_error (&error);

  search_of_caller_who_left (fx);
  /* and the service searches on for those still there */
  hits = search (memory, SCRATCH, 2 * CHUNK, pattern, sizeof pattern, 100, &error);
  g_assert_no_error (error);
  assert_hits (hits, all, G_N_ELEMENTS (all));
  g_variant_unref (hits);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/parity/command", ParityFixture, &raw, parity_set_up, test_command,
              parity_tear_down);
  g_test_add ("/parity/adapter", ParityFixture, NULL, parity_set_up, test_adapter,
              parity_tear_down);
  g_test_add ("/parity/search", ParityFixture, NULL, search_set_up, test_search, parity_tear_down);
  return g_test_run ();
}
