/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of openocdctl: the real client binary, run as a
 * subprocess with --address, against the real daemon on a private bus in
 * front of a real OpenOCD and the simulated RISC-V board.
 *
 * The simulated board's default program (tests/sim/default-program.c):
 *   0x80000000 lui sp        0x80000010 addi s0, a0, 0
 *   0x80000004 slli t1, a0   0x80000014 add t0, sp, t1
 *   0x80000008 loop: addi a0 0x80000018 sw s0, 0(t0)
 *   0x8000000c jal ra, inc   0x8000001c jal zero, loop
 *   0x80000020 inc: addi a0  0x80000024 jalr zero, 0(ra)
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ood-service-fixture.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-gdb.h"
#include "ood-test-usb.h"

#define RAM_START    G_GINT64_CONSTANT (0x80000000)
#define RAM_END      G_GINT64_CONSTANT (0x80010000)
#define ADDR_INC     G_GINT64_CONSTANT (0x80000020)
#define ADDR_INC_STR "0x80000020"
/* Generous, for a loaded two-core machine. */
#define WAIT_MS      10000
#define MONITOR_WAIT_US (G_GINT64_CONSTANT (10) * G_USEC_PER_SEC)

/* ------------------------------------------------------------------ */
/* Running openocdctl                                                  */

typedef struct {
  int   status;   /* exit status, or 128 + signal */
  char *out;
  char *err;
} CtlRun;

static void
ctl_run_free (CtlRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlRun, ctl_run_free)

static const char *
ctl_path (void)
{
  const char *path = g_getenv ("OOD_CTL");

  return path != NULL && *path != '\0' ? path : OOD_CTL_DEFAULT;
}

static int
exit_status_of (GSubprocess *process)
{
  if (g_subprocess_get_if_exited (process))
    return g_subprocess_get_exit_status (process);
  return 128 + g_subprocess_get_term_sig (process);
}

/* Runs "openocdctl --address ADDRESS ARGS…"; @args is NULL-terminated. */
static CtlRun *
ctl_runv (const char *address, const char *const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  CtlRun *run = g_new0 (CtlRun, 1);

  g_strv_builder_add_many (builder, ctl_path (), "--address", address, NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  line = g_strjoinv (" ", argv + 3);

  process = g_subprocess_newv ((const char *const *) argv,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->status = exit_status_of (process);
  g_test_message ("openocdctl %s -> %d\nstdout: %s\nstderr: %s", line, run->status,
                  run->out, run->err);
  return run;
}

#define ctl_run(fixture, ...) \
  ctl_runv (ood_service_fixture_get_bus_address (fixture), \
            (const char *const[]) { __VA_ARGS__, NULL })

/* Runs a command that must succeed and returns its stdout. */
#define ctl_ok(fixture, ...) ctl_ok_impl (ctl_run (fixture, __VA_ARGS__))

static char *
ctl_ok_impl (CtlRun *run)
{
  g_autoptr(CtlRun) owned = run;

  if (owned->status != 0)
    g_printerr ("# openocdctl failed: %s", owned->err);
  g_assert_cmpint (owned->status, ==, 0);
  g_assert_cmpstr (owned->err, ==, "");
  return g_steal_pointer (&owned->out);
}

/* @run exited with @status, printed nothing on stdout and @needle on stderr. */
static void
assert_failed (CtlRun *run, int status, const char *needle)
{
  g_assert_cmpint (run->status, ==, status);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_nonnull (strstr (run->err, needle));
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* Parses one JSON object (the whole of @text) and returns it. */
static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonNode) node = parse_json (text);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static JsonArray *
parse_array (const char *text)
{
  g_autoptr(JsonNode) node = parse_json (text);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_ref (json_node_get_array (node));
}

/* @object's member @key, which must hold a value of @type. */
static JsonNode *
get_member (JsonObject *object, const char *key, GType type)
{
  JsonNode *node = json_object_get_member (object, key);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, type);
  return node;
}

#define get_string(object, key) json_node_get_string (get_member (object, key, G_TYPE_STRING))
#define get_int(object, key)    json_node_get_int (get_member (object, key, G_TYPE_INT64))
#define get_bool(object, key)   json_node_get_boolean (get_member (object, key, G_TYPE_BOOLEAN))

/* A state dictionary as printed by state, halt, step and wait-halt --json. */
static void
assert_state (JsonObject *state, const char *expected)
{
  g_assert_cmpstr (get_string (state, "endpoint"), !=, "");
  g_assert_cmpstr (get_string (state, "name"), ==, "riscv.cpu");
  g_assert_cmpstr (get_string (state, "state"), ==, expected);
  if (g_str_equal (expected, "halted"))
    {
      gint64 pc = get_int (state, "current_pc");
      g_assert_cmpint (pc, >=, RAM_START);
      g_assert_cmpint (pc, <, RAM_END);
    }
  else
    g_assert_false (json_object_has_member (state, "current_pc"));
}

/* Runs a command printing a state dictionary and checks it; returns the PC
 * when halted, else -1. */
static gint64
ctl_state_json (OodServiceFixture *fixture, const char *command, const char *expected)
{
  g_autofree char *out = ctl_ok (fixture, command, "--json");
  g_autoptr(JsonObject) state = parse_object (out);

  g_assert_true (g_str_has_suffix (out, "\n"));
  assert_state (state, expected);
  return json_object_has_member (state, "current_pc") ? get_int (state, "current_pc") : -1;
}

/* @text is one JSON document on one line, as --json prints it. */
static JsonNode *
parse_json_line (const char *text)
{
  const char *newline = strchr (text, '\n');

  g_assert_nonnull (newline);
  g_assert_cmpstr (newline, ==, "\n");
  return parse_json (text);
}

/* Runs a command with --json that must succeed; returns the document it printed. */
#define ctl_json_ok(fixture, ...) ctl_json_ok_impl (ctl_run (fixture, __VA_ARGS__, "--json"))

static JsonNode *
ctl_json_ok_impl (CtlRun *run)
{
  g_autofree char *out = ctl_ok_impl (run);

  return parse_json_line (out);
}

/* The object of a command that only succeeds: {"action":…,"endpoint":…,"name":…,…} */
static JsonObject *
done_object (JsonNode *node, const char *action)
{
  JsonObject *object;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_cmpstr (get_string (object, "action"), ==, action);
  g_assert_cmpstr (get_string (object, "endpoint"), ==, "default");
  g_assert_cmpstr (get_string (object, "name"), ==, "riscv.cpu");
  return object;
}

/* @run exited with @status, printed nothing on stdout and on stderr one
 * {"error":{"name":@name,"message":…}} line. */
static void
assert_json_error (CtlRun *run, int status, const char *name)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *error;
  const char *message;

  g_assert_cmpint (run->status, ==, status);
  g_assert_cmpstr (run->out, ==, "");
  node = parse_json_line (run->err);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==, 1);
  error = json_object_get_object_member (json_node_get_object (node), "error");
  g_assert_nonnull (error);
  g_assert_cmpuint (json_object_get_size (error), ==, 2);
  g_assert_cmpstr (get_string (error, "name"), ==, name);
  message = get_string (error, "message");
  g_assert_cmpstr (message, !=, "");
  /* the remote error's prefix is stripped */
  g_assert_null (strstr (message, "GDBus.Error"));
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */

static OodServiceFixture *
fixture_new_full (const OodServiceOptions *options)
{
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (fixture);
  return fixture;
}

static OodServiceFixture *
fixture_new (gboolean no_service)
{
  OodServiceOptions options = { .no_service = no_service };

  return fixture_new_full (&options);
}

static gboolean
is_halted_or_running (const char *state)
{
  return g_strcmp0 (state, "halted") == 0 || g_strcmp0 (state, "running") == 0;
}

/* Puts the target in a known state, running, through openocdctl. */
static void
make_running (OodServiceFixture *fixture)
{
  g_free (ctl_ok (fixture, "halt"));
  g_free (ctl_ok (fixture, "resume"));
  ctl_state_json (fixture, "state", "running");
}

/* @object's @member is an array of exactly @path, or empty if @path is NULL. */
static void
assert_paths (JsonObject *object, const char *member, const char *path)
{
  JsonArray *paths = json_node_get_array (get_member (object, member, JSON_TYPE_ARRAY));

  g_assert_cmpuint (json_array_get_length (paths), ==, path != NULL ? 1 : 0);
  if (path != NULL)
    g_assert_cmpstr (json_array_get_string_element (paths, 0), ==, path);
}

/* ------------------------------------------------------------------ */
/* Listings                                                            */

static void
test_list (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *human = NULL, *json = NULL, *halted_json = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonArray) array = NULL, halted = NULL;
  JsonObject *target;
  gint64 pc;

  human = ctl_ok (fixture, "list");
  lines = g_strsplit (human, "\n", -1);
  /* header, one row, and the empty string after the last newline */
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  g_assert_true (g_regex_match_simple ("^ENDPOINT +NAME +TYPE +STATE +PC +GDB$", lines[0], 0, 0));
  /* this OpenOCD serves no GDB */
  g_assert_true (g_regex_match_simple ("^default +riscv\\.cpu +riscv +[a-z-]+ +(-|0x[0-9a-f]+) +-$",
                                       lines[1], 0, 0));

  json = ctl_ok (fixture, "list", "--json");
  array = parse_array (json);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  target = json_array_get_object_element (array, 0);
  g_assert_nonnull (target);
  g_assert_cmpstr (get_string (target, "name"), ==, "riscv.cpu");
  g_assert_cmpstr (get_string (target, "endpoint"), ==, "default");
  g_assert_cmpstr (get_string (target, "type"), ==, "riscv");
  g_assert_cmpstr (get_string (target, "path"), ==, "/org/openocd/default/riscv_2ecpu");
  g_assert_true (is_halted_or_running (get_string (target, "state")));
  g_assert_cmpint (get_int (target, "gdb_port"), ==, 0);
  g_assert_false (get_bool (target, "gdb_attached"));

  /* After a halt the cached properties show it, with the same PC. */
  pc = ctl_state_json (fixture, "halt", "halted");
  halted_json = ctl_ok (fixture, "--json", "list");
  halted = parse_array (halted_json);
  g_assert_cmpuint (json_array_get_length (halted), ==, 1);
  target = json_array_get_object_element (halted, 0);
  g_assert_cmpstr (get_string (target, "state"), ==, "halted");
  g_assert_cmpint (get_int (target, "current_pc"), ==, pc);

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_endpoints (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *address = ood_testbed_get_address (ood_service_fixture_get_testbed (fixture, 0));
  g_autofree char *json = NULL, *human = NULL, *row = NULL;
  g_autoptr(JsonArray) array = NULL;
  JsonObject *endpoint;

  json = ctl_ok (fixture, "endpoints", "--json");
  array = parse_array (json);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  endpoint = json_array_get_object_element (array, 0);
  g_assert_nonnull (endpoint);
  g_assert_cmpstr (get_string (endpoint, "name"), ==, "default");
  g_assert_cmpstr (get_string (endpoint, "address"), ==, address);
  g_assert_true (get_bool (endpoint, "connected"));
  g_assert_true (g_str_has_prefix (get_string (endpoint, "version"), "Open On-Chip Debugger"));
  /* every other property: an OpenOCD the service does not run */
  g_assert_cmpstr (get_string (endpoint, "last_error"), ==, "");
  g_assert_cmpstr (get_string (endpoint, "origin"), ==, "command-line");
  g_assert_false (get_bool (endpoint, "supervised"));
  g_assert_cmpint (get_int (endpoint, "pid"), ==, 0);
  g_assert_cmpint (get_int (endpoint, "restarts"), ==, 0);
  g_assert_cmpstr (get_string (endpoint, "last_exit"), ==, "");
  g_assert_cmpstr (get_string (endpoint, "path"), ==, "/org/openocd/default");
  assert_paths (endpoint, "targets", "/org/openocd/default/riscv_2ecpu");
  assert_paths (endpoint, "unreachable", NULL);

  human = ctl_ok (fixture, "endpoints");
  g_assert_true (g_regex_match_simple ("^NAME +ADDRESS +CONNECTED +ORIGIN +PID +RESTARTS +VERSION\n",
                                       human, 0, 0));
  row = g_strdup_printf ("\ndefault +%s +yes +command-line +- +- +Open On-Chip Debugger", address);
  g_assert_true (g_regex_match_simple (row, human, 0, 0));

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Run control                                                         */

static void
test_halt_state (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *human = NULL, *state_human = NULL, *expected = NULL;
  gint64 pc;

  make_running (fixture);
  pc = ctl_state_json (fixture, "halt", "halted");
  g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, pc);
  /* Halting a halted target succeeds and does not move it. */
  g_assert_cmpint (ctl_state_json (fixture, "halt", "halted"), ==, pc);

  human = ctl_ok (fixture, "halt");
  expected = g_strdup_printf ("riscv.cpu: halted pc=0x%" G_GINT64_MODIFIER "x\n", pc);
  g_assert_cmpstr (human, ==, expected);
  state_human = ctl_ok (fixture, "state");
  g_assert_cmpstr (state_human, ==, expected);

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* reset halt, then five single steps through the default program. */
static void
reset_and_step (OodServiceFixture *fixture)
{
  static const gint64 expected[] = {
    0x80000004, 0x80000008, 0x8000000c, 0x80000020, 0x80000024,
  };
  gint64 previous;

  g_free (ctl_ok (fixture, "reset", "halt"));
  previous = ctl_state_json (fixture, "state", "halted");
  g_assert_cmpint (previous, ==, RAM_START);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gint64 pc = ctl_state_json (fixture, "step", "halted");

      g_assert_cmpint (pc, !=, previous);
      g_assert_cmpint (pc, ==, expected[i]);
      previous = pc;
    }
}

static void
test_step (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *human = NULL;

  reset_and_step (fixture);
  /* after 0x80000024 (jalr back) comes 0x80000010 */
  human = ctl_ok (fixture, "step");
  g_assert_true (g_regex_match_simple ("^riscv\\.cpu: halted pc=0x8000[0-9a-f]{4}\n$", human, 0, 0));
  g_assert_cmpstr (human, ==, "riscv.cpu: halted pc=0x80000010\n");
  g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, 0x80000010);

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_resume (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *out = NULL;

  ctl_state_json (fixture, "halt", "halted");
  out = ctl_ok (fixture, "resume");
  g_assert_cmpstr (out, ==, "");
  ctl_state_json (fixture, "state", "running");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_reset (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) bogus = NULL;

  make_running (fixture);
  /* the service's default mode is halt */
  g_free (ctl_ok (fixture, "reset"));
  g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, RAM_START);

  g_free (ctl_ok (fixture, "reset", "run"));
  ctl_state_json (fixture, "state", "running");

  g_free (ctl_ok (fixture, "reset", "halt"));
  g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, RAM_START);

  bogus = ctl_run (fixture, "reset", "bogus");
  /* a usage error, caught before anything is sent */
  assert_failed (bogus, 2, "bogus");
  g_assert_nonnull (strstr (bogus->err, "mode"));
  /* and nothing was done to the target */
  g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, RAM_START);

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_wait_halt (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) timeout = NULL;
  g_autofree char *human = NULL, *expected = NULL;
  gint64 pc;

  make_running (fixture);
  timeout = ctl_run (fixture, "wait-halt", "--timeout", "200");
  assert_failed (timeout, 1, "Timeout");
  ctl_state_json (fixture, "state", "running");

  pc = ctl_state_json (fixture, "halt", "halted");
  g_assert_cmpint (ctl_state_json (fixture, "wait-halt", "halted"), ==, pc);
  human = ctl_ok (fixture, "wait-halt", "--timeout", "200");
  expected = g_strdup_printf ("riscv.cpu: halted pc=0x%" G_GINT64_MODIFIER "x\n", pc);
  g_assert_cmpstr (human, ==, expected);

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_step_running (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) run = NULL;

  make_running (fixture);
  run = ctl_run (fixture, "step");
  assert_failed (run, 1, "NotHalted");
  ctl_state_json (fixture, "state", "running");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Breakpoints                                                         */

static JsonArray *
bp_list (OodServiceFixture *fixture)
{
  g_autofree char *out = ctl_ok (fixture, "bp", "list", "--json");

  return parse_array (out);
}

/* bp add ADDR --hw, resume, wait-halt at ADDR, bp remove. */
static void
run_to (OodServiceFixture *fixture, gint64 address, const char *address_text)
{
  g_autoptr(JsonArray) set = NULL, cleared = NULL;
  g_autofree char *timeout = g_strdup_printf ("%d", WAIT_MS);
  JsonObject *bp;

  g_free (ctl_ok (fixture, "bp", "add", address_text, "--hw"));
  set = bp_list (fixture);
  g_assert_cmpuint (json_array_get_length (set), ==, 1);
  bp = json_array_get_object_element (set, 0);
  g_assert_cmpint (get_int (bp, "address"), ==, address);
  g_assert_cmpint (get_int (bp, "length"), ==, 4);
  g_assert_cmpstr (get_string (bp, "kind"), ==, "hw");

  g_free (ctl_ok (fixture, "resume"));
  {
    g_autofree char *out = ctl_ok (fixture, "wait-halt", "--timeout", timeout, "--json");
    g_autoptr(JsonObject) state = parse_object (out);

    assert_state (state, "halted");
    g_assert_cmpint (get_int (state, "current_pc"), ==, address);
  }

  g_free (ctl_ok (fixture, "bp", "remove", address_text));
  cleared = bp_list (fixture);
  g_assert_cmpuint (json_array_get_length (cleared), ==, 0);
}

static void
test_bp (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *human = NULL, *empty = NULL;
  g_autoptr(CtlRun) after = NULL;

  ctl_state_json (fixture, "halt", "halted");
  run_to (fixture, ADDR_INC, ADDR_INC_STR);

  /* human listing, and a second hit at the same place */
  g_free (ctl_ok (fixture, "bp", "add", "0x80000010", "--hw"));
  human = ctl_ok (fixture, "bp", "list");
  g_assert_cmpstr (human, ==,
                   "ADDRESS    LENGTH KIND\n"
                   "0x80000010 4      hw\n");
  g_free (ctl_ok (fixture, "bp", "remove", "0x80000010"));
  empty = ctl_ok (fixture, "bp", "list");
  g_assert_cmpstr (empty, ==, "ADDRESS    LENGTH KIND\n");

  /* The removed breakpoint no longer stops the loop. */
  g_free (ctl_ok (fixture, "resume"));
  after = ctl_run (fixture, "wait-halt", "--timeout", "1000");
  assert_failed (after, 1, "Timeout");
  ctl_state_json (fixture, "state", "running");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* wp add, list (text and JSON), a hit at the counter's store, usage
 * errors, wp remove. */
static void
test_wp (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *human = NULL, *empty = NULL, *added = NULL, *listed = NULL;
  g_autofree char *timeout = g_strdup_printf ("%d", WAIT_MS);
  g_autoptr(JsonArray) list = NULL;
  g_autoptr(JsonObject) done = NULL;
  g_autoptr(CtlRun) bad = NULL, dup = NULL;
  JsonObject *wp;

  ctl_state_json (fixture, "halt", "halted");
  added = ctl_ok (fixture, "wp", "add", "0x80008000", "4", "w", "--json");
  done = parse_object (added);
  g_assert_cmpstr (get_string (done, "action"), ==, "wp-add");
  g_assert_cmpint (get_int (done, "address"), ==, 0x80008000);
  g_assert_cmpstr (get_string (done, "access"), ==, "w");
  human = ctl_ok (fixture, "wp", "list");
  g_assert_cmpstr (human, ==,
                   "ADDRESS    LENGTH ACCESS CONDITION\n"
                   "0x80008000 4      w      0x00000000/0xffffffff\n");
  listed = ctl_ok (fixture, "wp", "list", "--json");
  list = parse_array (listed);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  wp = json_array_get_object_element (list, 0);
  g_assert_cmpint (get_int (wp, "length"), ==, 4);
  g_assert_cmpstr (get_string (wp, "access"), ==, "w");
  g_assert_cmpstr (get_string (wp, "condition"), ==, "0x00000000/0xffffffff");

  /* the store to the counter halts the hart before it (sw at 0x80000018) */
  g_free (ctl_ok (fixture, "resume"));
  {
    g_autofree char *out = ctl_ok (fixture, "wait-halt", "--timeout", timeout, "--json");
    g_autoptr(JsonObject) state = parse_object (out);

    assert_state (state, "halted");
    g_assert_cmpint (get_int (state, "current_pc"), ==, 0x80000018);
  }

  bad = ctl_run (fixture, "wp", "add", "0x80008010", "4", "x");
  assert_failed (bad, 2, "access");
  dup = ctl_run (fixture, "wp", "add", "0x80008000", "4", "w");
  assert_failed (dup, 1, "BreakpointExists");
  g_free (ctl_ok (fixture, "wp", "remove", "0x80008000"));
  empty = ctl_ok (fixture, "wp", "list");
  g_assert_cmpstr (empty, ==, "ADDRESS    LENGTH ACCESS CONDITION\n");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Two harts, two targets on one OpenOCD: list shows both, -t picks one,
 * and acting on one leaves the other as it was. */
static void
test_harts (void)
{
  OodServiceOptions options = { .harts = 2 };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  g_autofree char *json = NULL, *human = NULL;
  g_autoptr(JsonArray) array = NULL;
  g_auto(GStrv) lines = NULL;

  json = ctl_ok (fixture, "list", "--json");
  array = parse_array (json);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (get_string (json_array_get_object_element (array, 0), "name"), ==, "riscv.cpu");
  g_assert_cmpstr (get_string (json_array_get_object_element (array, 1), "name"), ==,
                   "riscv.cpu1");

  g_free (ctl_ok (fixture, "-t", "riscv.cpu1", "halt"));
  g_free (ctl_ok (fixture, "-t", "riscv.cpu", "halt"));
  g_free (ctl_ok (fixture, "-t", "riscv.cpu", "resume"));
  {
    g_autofree char *out = ctl_ok (fixture, "-t", "riscv.cpu1", "state", "--json");
    g_autoptr(JsonObject) state = parse_object (out);
    g_assert_cmpstr (get_string (state, "name"), ==, "riscv.cpu1");
    g_assert_cmpstr (get_string (state, "state"), ==, "halted");
  }
  {
    g_autofree char *out = ctl_ok (fixture, "-t", "riscv.cpu", "state", "--json");
    g_autoptr(JsonObject) state = parse_object (out);
    assert_state (state, "running");
  }
  human = ctl_ok (fixture, "list");
  lines = g_strsplit (human, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_regex_match_simple ("^default +riscv\\.cpu +riscv +running +- +-$", lines[1],
                                       0, 0));
  g_assert_true (g_regex_match_simple ("^default +riscv\\.cpu1 +riscv +halted +0x8[0-9a-f]+ +-$",
                                       lines[2], 0, 0));
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* The reference workflow: reset halt, five steps, run to an address,
 * halt, resume. */
static void
test_workflow (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);

  reset_and_step (fixture);
  run_to (fixture, 0x80000010, "0x80000010");
  g_assert_cmpint (ctl_state_json (fixture, "halt", "halted"), ==, 0x80000010);
  g_free (ctl_ok (fixture, "resume"));
  ctl_state_json (fixture, "state", "running");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* monitor                                                             */

typedef struct {
  GSubprocess   *process;
  GDataInputStream *lines;
  GAsyncQueue   *queue;     /* (element-type utf8) lines; "" at EOF */
  GThread       *thread;
} Monitor;

static gpointer
monitor_reader (gpointer user_data)
{
  Monitor *monitor = user_data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      char *line = g_data_input_stream_read_line_utf8 (monitor->lines, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        break;
      g_async_queue_push (monitor->queue, line);
    }
  g_async_queue_push (monitor->queue, g_strdup (""));
  return NULL;
}

/* Starts "openocdctl --address … ARGS…" (NULL-terminated), its stdout
 * read line by line (and its stdin a pipe with @flags
 * G_SUBPROCESS_FLAGS_STDIN_PIPE). */
static void
monitor_start_args (Monitor *monitor, OodServiceFixture *fixture, GSubprocessFlags flags,
                    const char *const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;

  g_strv_builder_add_many (builder, ctl_path (), "--address",
                           ood_service_fixture_get_bus_address (fixture), NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  monitor->process = g_subprocess_newv ((const char *const *) argv,
                                        flags | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  monitor->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor->process));
  monitor->queue = g_async_queue_new_full (g_free);
  monitor->thread = g_thread_new ("monitor-reader", monitor_reader, monitor);
}

/* Starts "monitor --json", or "monitor" in text unless @json. */
static void
monitor_start_full (Monitor *monitor, OodServiceFixture *fixture, gboolean json)
{
  monitor_start_args (monitor, fixture, G_SUBPROCESS_FLAGS_NONE,
                      (const char *const[]) { "monitor", json ? "--json" : NULL, NULL });
}

static void
monitor_start (Monitor *monitor, OodServiceFixture *fixture)
{
  monitor_start_full (monitor, fixture, TRUE);
}

/* The next line within the deadline, as it is; fails the test at EOF or
 * timeout. */
static char *
monitor_next_line (Monitor *monitor)
{
  char *line = g_async_queue_timeout_pop (monitor->queue, MONITOR_WAIT_US);

  g_assert_nonnull (line);
  g_test_message ("monitor: %s", line);
  g_assert_cmpstr (line, !=, "");
  return line;
}

static JsonObject *
monitor_next (Monitor *monitor)
{
  g_autofree char *line = monitor_next_line (monitor);

  return parse_object (line);
}

/* Skips lines until a "state" change to @state (with current_pc == @pc
 * unless @pc is negative); returns that line. */
static JsonObject *
monitor_wait_state (Monitor *monitor, const char *state, gint64 pc)
{
  gint64 deadline = g_get_monotonic_time () + MONITOR_WAIT_US;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) change = monitor_next (monitor);

      if (g_str_equal (get_string (change, "change"), "state") &&
          g_str_equal (get_string (change, "state"), state) &&
          (pc < 0 || (json_object_has_member (change, "current_pc") &&
                      get_int (change, "current_pc") == pc)))
        return g_steal_pointer (&change);
    }
  g_error ("no state change to %s within the deadline", state);
  return NULL;
}

static int
monitor_stop (Monitor *monitor)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_subprocess_send_signal (monitor->process, SIGTERM);
  g_assert_true (g_subprocess_wait (monitor->process, NULL, &error));
  g_assert_no_error (error);
  status = exit_status_of (monitor->process);
  g_thread_join (monitor->thread);
  g_clear_object (&monitor->lines);
  g_clear_object (&monitor->process);
  g_clear_pointer (&monitor->queue, g_async_queue_unref);
  return status;
}

static gboolean
target_is_running (gpointer user_data)
{
  return g_strcmp0 (ood_dbus_target_get_state (user_data), "running") == 0;
}

static void
test_monitor (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  OodDbusTarget *target = ood_service_fixture_get_target (fixture, 0);
  g_autoptr(GVariant) halted = NULL;
  g_autoptr(JsonObject) first = NULL, halt = NULL, run = NULL;
  g_autoptr(GError) error = NULL;
  Monitor monitor = { 0 };
  const char *name, *state;
  gboolean pc_valid;
  guint64 pc;

  make_running (fixture);
  /* the service's cached State, which monitor starts from, says so too */
  g_assert_true (ood_test_wait_for (target_is_running, target, WAIT_MS));

  monitor_start (&monitor, fixture);
  /* monitor first prints every target's state, once it is watching it */
  first = monitor_next (&monitor);
  g_assert_cmpstr (get_string (first, "change"), ==, "state");
  g_assert_cmpstr (get_string (first, "endpoint"), ==, "default");
  g_assert_cmpstr (get_string (first, "name"), ==, "riscv.cpu");
  g_assert_cmpstr (get_string (first, "state"), ==, "running");
  g_assert_false (json_object_has_member (first, "current_pc"));

  g_assert_true (ood_dbus_target_call_halt_sync (target, &halted, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_state_dict_parse (halted, &name, &state, &pc_valid, &pc));
  g_assert_cmpstr (state, ==, "halted");
  g_assert_true (pc_valid);
  /* the line announcing the halt carries the PC the Halt call returned */
  halt = monitor_wait_state (&monitor, "halted", (gint64) pc);
  g_assert_cmpstr (get_string (halt, "name"), ==, "riscv.cpu");
  g_assert_cmpstr (get_string (halt, "path"), ==, "/org/openocd/default/riscv_2ecpu");

  g_assert_true (ood_dbus_target_call_resume_sync (target, NULL, &error));
  g_assert_no_error (error);
  run = monitor_wait_state (&monitor, "running", -1);
  g_assert_false (json_object_has_member (run, "current_pc"));

  g_assert_cmpint (monitor_stop (&monitor), ==, 0);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Registers and memory                                                */

#define SCRATCH      G_GINT64_CONSTANT (0x80020000)
#define SCRATCH_STR  "0x80020000"
#define COUNTER_STR  "0x80008000"
#define FLASH_BASE   0x08000000u
#define FLASH_SIZE   0x10000u
#define SECTOR       0x400u

/* What raw Tcl answers @command, on a connection of the test's own. */
static OodTestbed *
board (OodServiceFixture *fixture)
{
  return ood_service_fixture_get_testbed (fixture, 0);
}

static char *
raw_tcl (OodServiceFixture *fixture, const char *command)
{
  return ood_test_tcl_eval_on (board (fixture), command);
}

/* name → value, of raw `get_reg -force NAMES` ("pc 0x80000010 a0 0x…") */
static GHashTable *
raw_regs (OodServiceFixture *fixture, const char *names)
{
  g_autofree char *command = g_strdup_printf ("riscv.cpu get_reg -force {%s}", names);
  g_autofree char *reply = raw_tcl (fixture, command);
  g_auto(GStrv) words = g_strsplit (g_strstrip (reply), " ", -1);
  GHashTable *values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_cmpuint (g_strv_length (words) % 2, ==, 0);
  for (guint i = 0; words[i] != NULL; i += 2)
    {
      guint64 *value = g_new (guint64, 1);
      *value = g_ascii_strtoull (words[i + 1], NULL, 16);
      g_hash_table_insert (values, g_strdup (words[i]), value);
    }
  return values;
}

static guint64
raw_reg (OodServiceFixture *fixture, const char *name)
{
  g_autoptr(GHashTable) values = raw_regs (fixture, name);
  guint64 *value = g_hash_table_lookup (values, name);

  g_assert_nonnull (value);
  return *value;
}

/* A temporary directory for a test's files, removed by tmpdir_free(). */
static char *
tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ood-ctl-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
tmpdir_free (char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
  g_free (dir);
}

static void
assert_bytes_equal (GBytes *actual, GBytes *expected)
{
  g_assert_cmpuint (g_bytes_get_size (actual), ==, g_bytes_get_size (expected));
  g_assert_cmpmem (g_bytes_get_data (actual, NULL), g_bytes_get_size (actual),
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static gboolean
is_clock_register (const char *name)
{
  /* counters run in the board's clock even while halted */
  return strstr (name, "cycle") != NULL || strstr (name, "instret") != NULL ||
         g_str_equal (name, "time") || g_str_equal (name, "timeh");
}

static void
test_reg (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(GHashTable) raw = NULL;
  g_autoptr(CtlRun) unknown = NULL, running = NULL, usage = NULL;
  g_autofree char *text = NULL, *expected = NULL, *set_text = NULL, *after = NULL;
  JsonArray *array;
  gint64 pc;

  pc = ctl_state_json (fixture, "halt", "halted");

  /* reg: ReadAll; the same values as one raw forced read of the same names */
  {
    g_autoptr(JsonNode) all = ctl_json_ok (fixture, "reg");

    g_assert_true (JSON_NODE_HOLDS_ARRAY (all));
    array = json_node_get_array (all);
    g_assert_cmpuint (json_array_get_length (array), >=, 33);   /* GPRs and pc at least */
    for (guint i = 0; i < json_array_get_length (array); i++)
      g_string_append_printf (names, " %s",
                              get_string (json_array_get_object_element (array, i), "name"));
    raw = raw_regs (fixture, names->str);
    g_assert_cmpuint (g_hash_table_size (raw), ==, json_array_get_length (array));
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *reg = json_array_get_object_element (array, i);
        const char *name = get_string (reg, "name");
        guint64 *value = g_hash_table_lookup (raw, name);

        g_assert_nonnull (value);
        g_assert_cmpint (get_int (reg, "bits"), >, 0);
        g_assert_cmpint (get_int (reg, "number"), >=, 0);
        g_assert_false (get_bool (reg, "dirty"));
        if (!is_clock_register (name))
          g_assert_cmphex ((guint64) get_int (reg, "value"), ==, *value);
        if (g_str_equal (name, "pc"))
          g_assert_cmpint (get_int (reg, "value"), ==, pc);
      }
  }

  /* reg NAME…: ReadMany, in the order given */
  {
    g_autoptr(JsonNode) many = ctl_json_ok (fixture, "reg", "sp", "pc", "fp");
    const char *const order[] = { "sp", "pc", "fp" };   /* OpenOCD's name of s0 */

    array = json_node_get_array (many);
    g_assert_cmpuint (json_array_get_length (array), ==, 3);
    for (guint i = 0; i < 3; i++)
      {
        JsonObject *reg = json_array_get_object_element (array, i);

        g_assert_cmpstr (get_string (reg, "name"), ==, order[i]);
        g_assert_cmphex ((guint64) get_int (reg, "value"), ==, raw_reg (fixture, order[i]));
        g_assert_cmpuint (json_object_get_size (reg), ==, 2);
      }
  }
  text = ctl_ok (fixture, "reg", "pc");
  expected = g_strdup_printf ("pc       0x%" G_GINT64_MODIFIER "x\n", raw_reg (fixture, "pc"));
  g_assert_cmpstr (text, ==, expected);

  /* reg set, then reg shows it, and so does OpenOCD */
  set_text = ctl_ok (fixture, "reg", "set", "a0", "0x12345678");
  g_assert_cmpstr (set_text, ==, "");
  after = ctl_ok (fixture, "reg", "a0", "s1");
  g_assert_true (g_str_has_prefix (after, "a0       0x12345678\ns1       0x"));
  g_assert_cmphex (raw_reg (fixture, "a0"), ==, 0x12345678);
  {
    g_autoptr(JsonNode) set = ctl_json_ok (fixture, "reg", "set", "a1", "4660");
    g_autoptr(JsonNode) read = ctl_json_ok (fixture, "reg", "a1");
    JsonObject *object = done_object (set, "reg-set");

    g_assert_cmpstr (get_string (object, "register"), ==, "a1");
    g_assert_cmpint (get_int (object, "value"), ==, 4660);
    g_assert_cmpint (get_int (json_array_get_object_element (json_node_get_array (read), 0),
                              "value"), ==, 4660);
    g_assert_cmphex (raw_reg (fixture, "a1"), ==, 4660);
  }

  unknown = ctl_run (fixture, "reg", "nosuch", "--json");
  assert_json_error (unknown, 1, "org.openocd.Error.NoSuchRegister");
  usage = ctl_run (fixture, "reg", "set", "a0");
  assert_failed (usage, 2, "reg set NAME VALUE");
  g_free (ctl_ok (fixture, "resume"));
  running = ctl_run (fixture, "reg", "pc");
  assert_failed (running, 1, "NotHalted");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* The counter the running program keeps at 0x80008000, read by mem read --json. */
static guint32
read_counter (OodServiceFixture *fixture)
{
  g_autoptr(JsonNode) node = ctl_json_ok (fixture, "mem", "read", COUNTER_STR, "4");
  JsonObject *object = json_node_get_object (node);
  const char *hex = get_string (object, "data");
  guint32 value = 0;

  g_assert_cmpint (get_int (object, "address"), ==, 0x80008000);
  g_assert_cmpint (get_int (object, "length"), ==, 4);
  g_assert_cmpuint (strlen (hex), ==, 8);
  for (int i = 3; i >= 0; i--)   /* little-endian */
    value = value << 8 | (guint32) (g_ascii_xdigit_value (hex[2 * i]) << 4 |
                                    g_ascii_xdigit_value (hex[2 * i + 1]));
  return value;
}

static void
test_mem_read_write (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  static const guint8 bytes[] = "Hello, world!\n\0\xff\x01\x02\x03";   /* 19 and a NUL */
  g_autoptr(GBytes) expected = g_bytes_new (bytes, 19);
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *written = NULL, *dump = NULL, *one = NULL;
  g_autoptr(CtlRun) too_big = NULL, bad = NULL, unmapped = NULL;
  guint32 before, later;

  make_running (fixture);
  /* memory works while the target runs, and the counter moves */
  before = read_counter (fixture);
  g_usleep (200 * 1000);
  later = read_counter (fixture);
  g_assert_cmpuint (later, !=, before);

  written = ctl_ok (fixture, "mem", "write", SCRATCH_STR, "0x48", "0x65", "0x6c", "0x6c", "0x6f",
                    "0x2c", "0x20", "0x77", "0x6f", "0x72", "0x6c", "0x64", "0x21", "10", "0",
                    "255", "1", "2", "0x03");
  g_assert_cmpstr (written, ==, "");
  raw = ood_test_tcl_read_memory (board (fixture), 8, SCRATCH, 19);
  assert_bytes_equal (raw, expected);

  /* xxd's format */
  dump = ctl_ok (fixture, "mem", "read", SCRATCH_STR, "19");
  g_assert_cmpstr (dump, ==,
                   "80020000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 00ff  Hello, world!...\n"
                   "80020010: 0102 03                                  ...\n");
  one = ctl_ok (fixture, "mem", "read", "0x80020001", "1");
  g_assert_cmpstr (one, ==, "80020001: 65                                       e\n");
  {
    g_autoptr(JsonNode) read = ctl_json_ok (fixture, "mem", "read", SCRATCH_STR, "19");
    g_autoptr(JsonNode) write = ctl_json_ok (fixture, "mem", "write", "0x80020010", "0xaa", "0xbb");
    g_autoptr(GBytes) now = NULL;
    JsonObject *object = json_node_get_object (read);

    g_assert_cmpint (get_int (object, "address"), ==, SCRATCH);
    g_assert_cmpint (get_int (object, "length"), ==, 19);
    g_assert_cmpstr (get_string (object, "data"), ==, "48656c6c6f2c20776f726c64210a00ff010203");
    object = done_object (write, "mem-write");
    g_assert_cmpint (get_int (object, "address"), ==, SCRATCH + 16);
    g_assert_cmpint (get_int (object, "length"), ==, 2);
    now = ood_test_tcl_read_memory (board (fixture), 8, SCRATCH + 16, 3);
    g_assert_cmpmem (g_bytes_get_data (now, NULL), 3, "\xaa\xbb\x03", 3);
  }

  too_big = ctl_run (fixture, "mem", "write", SCRATCH_STR, "256");
  assert_failed (too_big, 2, "256");
  bad = ctl_run (fixture, "mem", "read", "0xZZ", "--json");
  assert_json_error (bad, 2, "org.openocd.ctl.Error.Usage");
  unmapped = ctl_run (fixture, "mem", "read", "0x10000000", "4", "--json");
  assert_json_error (unmapped, 1, "org.openocd.Error.Target");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_mem_dump (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  g_autofree char *file = g_build_filename (dir, "ram.bin", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GBytes) dumped = NULL, raw = NULL;
  g_autoptr(CtlRun) unmapped = NULL;

  /* halted: the counter does not move between the dump and the raw read */
  ctl_state_json (fixture, "halt", "halted");
  out = ctl_ok (fixture, "mem", "dump", "0x80000000", "65536", file);
  g_assert_cmpstr (out, ==, "");   /* and no progress lines: not a terminal */
  dumped = ood_test_load_bytes (file);
  raw = ood_test_tcl_read_memory (board (fixture), 8, RAM_START, 65536);
  assert_bytes_equal (dumped, raw);
  /* the program is there: lui sp at 0x80000000 */
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (dumped, NULL))[0] & 0x7f, ==, 0x37);
  {
    g_autoptr(JsonNode) node = ctl_json_ok (fixture, "mem", "dump", "0x80008000", "4096", file);
    g_autoptr(GBytes) again = ood_test_load_bytes (file);
    g_autoptr(GBytes) part = g_bytes_new_from_bytes (raw, 0x8000, 4096);
    JsonObject *object = done_object (node, "mem-dump");

    g_assert_cmpint (get_int (object, "address"), ==, 0x80008000);
    g_assert_cmpint (get_int (object, "length"), ==, 4096);
    g_assert_cmpstr (get_string (object, "file"), ==, file);
    /* the file is truncated: it holds the new dump only */
    assert_bytes_equal (again, part);
  }
  unmapped = ctl_run (fixture, "mem", "dump", "0x10000000", "4096", file, "--json");
  assert_json_error (unmapped, 1, "org.openocd.Error.Target");

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_mem_load (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  /* several calls of 16 KiB, and a tail that is no whole word */
  g_autoptr(GBytes) data = ood_test_random_flash_image (48 * 1024 + 3);
  g_autofree char *file = ood_test_save_bytes (dir, "data.bin", data);
  g_autofree char *back = g_build_filename (dir, "back.bin", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.bin", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GBytes) raw = NULL, dumped = NULL;
  g_autoptr(CtlRun) nofile = NULL;

  make_running (fixture);
  out = ctl_ok (fixture, "mem", "load", file, "0x80030000");
  g_assert_cmpstr (out, ==, "");
  raw = ood_test_tcl_read_memory (board (fixture), 8, 0x80030000, g_bytes_get_size (data));
  assert_bytes_equal (raw, data);
  /* and back through mem dump */
  g_free (ctl_ok (fixture, "mem", "dump", "0x80030000", "49155", back));
  dumped = ood_test_load_bytes (back);
  assert_bytes_equal (dumped, data);
  {
    g_autoptr(JsonNode) node = ctl_json_ok (fixture, "mem", "load", file, "0x80050000");
    g_autoptr(GBytes) again = ood_test_tcl_read_memory (board (fixture), 8,
                                                        0x80050000 + 48 * 1024 - 5, 8);
    g_autoptr(GBytes) tail = g_bytes_new_from_bytes (data, 48 * 1024 - 5, 8);
    JsonObject *object = done_object (node, "mem-load");

    g_assert_cmpint (get_int (object, "address"), ==, 0x80050000);
    g_assert_cmpint (get_int (object, "length"), ==, (gint64) g_bytes_get_size (data));
    g_assert_cmpstr (get_string (object, "file"), ==, file);
    assert_bytes_equal (again, tail);
  }
  nofile = ctl_run (fixture, "mem", "load", missing, "0x80030000", "--json");
  assert_json_error (nofile, 1, "org.openocd.ctl.Error.Failed");

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* program, load, flash                                                */

/* The lines of --json output of a job: progress lines, then the record.
 * Checks the progress: fractions from 0 to 1 that never decrease, ending
 * at 1, and the phases in their order. Returns the final record. */
static JsonObject *
check_job_lines (const char *out, const char *operation, const char *const *phases)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint n = g_strv_length (lines);
  double last = 0.0;
  guint phase = 0, progress_lines = 0;

  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (lines[n - 1], ==, "");   /* every line ends with a newline */
  for (guint i = 0; i + 2 < n; i++)
    {
      g_autoptr(JsonObject) line = parse_object (lines[i]);
      JsonObject *p = json_object_get_object_member (line, "progress");
      double fraction;
      const char *name;

      g_assert_nonnull (p);
      g_assert_cmpuint (json_object_get_size (line), ==, 1);
      g_assert_cmpstr (get_string (p, "operation"), ==, operation);
      fraction = json_object_get_double_member (p, "fraction");
      g_assert_cmpfloat (fraction, >=, last);
      g_assert_cmpfloat (fraction, <=, 1.0);
      g_assert_cmpint (get_int (p, "done"), <=, get_int (p, "total"));
      last = fraction;
      name = get_string (p, "phase");
      while (phases[phase] != NULL && !g_str_equal (phases[phase], name))
        phase++;   /* a phase may be skipped between two lines, never gone back to */
      g_assert_nonnull (phases[phase]);
      progress_lines++;
    }
  g_assert_cmpuint (progress_lines, >=, 2);
  g_assert_cmpfloat (last, ==, 1.0);
  return parse_object (lines[n - 2]);
}

static void
assert_erased (OodServiceFixture *fixture, guint32 address, gsize size)
{
  g_autoptr(GBytes) raw = ood_test_tcl_read_memory (board (fixture), 32, address, size);
  const guint8 *data = g_bytes_get_data (raw, NULL);

  for (gsize i = 0; i < size; i++)
    g_assert_cmphex (data[i], ==, 0xff);
}

static const char *const program_phases[] = { "comparing", "erasing", "writing", "verifying",
                                              "resetting", NULL };

static void
test_program (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  gsize size = 4 * (gsize) g_test_rand_int_range (2048, 8193);   /* 8 to 32 KiB */
  g_autoptr(GBytes) image = ood_test_random_flash_image (size);
  g_autoptr(GBytes) second = ood_test_random_flash_image (8192);
  g_autofree char *file = ood_test_save_bytes (dir, "image.bin", image);
  g_autofree char *other = ood_test_save_bytes (dir, "other.BIN", second);
  g_autoptr(GBytes) raw = NULL, raw2 = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(CtlRun) human = NULL;
  g_autofree char *expected = NULL, *out = NULL;

  g_test_message ("image of %" G_GSIZE_FORMAT " bytes", size);
  out = ctl_ok (fixture, "program", file, "--json");
  record = check_job_lines (out, "program", program_phases);
  g_assert_cmpstr (get_string (record, "action"), ==, "program");
  g_assert_cmpstr (get_string (record, "state"), ==, "succeeded");
  g_assert_cmpstr (get_string (record, "endpoint"), ==, "default");
  g_assert_cmpstr (get_string (record, "name"), ==, "riscv.cpu");
  g_assert_cmpstr (get_string (record, "file"), ==, file);
  g_assert_cmpstr (get_string (record, "format"), ==, "bin");
  g_assert_cmpint (get_int (record, "address"), ==, FLASH_BASE);   /* the bank's base */
  g_assert_cmpint (get_int (record, "bytes"), ==, (gint64) size);
  g_assert_true (g_str_has_prefix (get_string (record, "job"), "/org/openocd/jobs/"));
  raw = ood_test_tcl_read_memory (board (fixture), 32, FLASH_BASE, size);
  assert_bytes_equal (raw, image);
  /* reset run (the default): the target runs */
  ctl_state_json (fixture, "state", "running");

  /* text, not a terminal: one line per phase on stderr, the result on stdout */
  human = ctl_run (fixture, "program", other, "--address", "0x08004000", "--reset", "halt");
  g_assert_cmpint (human->status, ==, 0);
  g_assert_cmpstr (human->out, ==, "program: succeeded bytes=8192\n");
  g_assert_cmpstr (human->err, ==,
                   "openocdctl: program: comparing\n"
                   "openocdctl: program: erasing\n"
                   "openocdctl: program: writing\n"
                   "openocdctl: program: verifying\n"
                   "openocdctl: program: resetting\n");
  raw2 = ood_test_tcl_read_memory (board (fixture), 32, FLASH_BASE + 0x4000, 8192);
  assert_bytes_equal (raw2, second);
  ctl_state_json (fixture, "state", "halted");
  if (size <= 0x4000)
    {
      /* the first image's sectors below are untouched */
      g_autoptr(GBytes) kept = ood_test_tcl_read_memory (board (fixture), 32, FLASH_BASE, size);
      assert_bytes_equal (kept, image);
    }

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* The lines of @out are progress lines only (or none). */
static void
assert_only_progress (const char *out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_autoptr(JsonObject) line = parse_object (lines[i]);
      g_assert_true (json_object_has_member (line, "progress"));
    }
}

/* @run failed (status 1) with a JSON error named @name on stderr. */
static void
assert_job_error (CtlRun *run, const char *name, const char *text)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *error;

  g_assert_cmpint (run->status, ==, 1);
  assert_only_progress (run->out);
  node = parse_json_line (run->err);
  error = json_object_get_object_member (json_node_get_object (node), "error");
  g_assert_nonnull (error);
  g_assert_cmpuint (json_object_get_size (error), ==, 2);
  g_assert_cmpstr (get_string (error, "name"), ==, name);
  g_assert_null (strstr (get_string (error, "message"), "GDBus.Error"));
  if (text != NULL && strstr (get_string (error, "message"), text) == NULL)
    g_error ("'%s' is not in the error's message '%s'", text, get_string (error, "message"));
}

static void
test_program_fail (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  g_autoptr(GBytes) image = ood_test_random_flash_image (2048);
  g_autoptr(GBytes) garbage = g_bytes_new_static (":10000000zz\n", 12);
  g_autofree char *file = ood_test_save_bytes (dir, "image.bin", image);
  g_autofree char *hex = ood_test_save_bytes (dir, "garbage.hex", garbage);
  g_autofree char *missing = g_build_filename (dir, "missing.bin", NULL);
  g_autoptr(CtlRun) outside = NULL, bad_hex = NULL, nofile = NULL, protected = NULL;
  g_autoptr(CtlRun) bad_reset = NULL, bad_format = NULL, text = NULL;
  g_autoptr(JsonArray) sectors = NULL;
  g_autofree char *sectors_out = NULL;

  /* past the end of the bank */
  outside = ctl_run (fixture, "program", file, "--address", "0x0800fe00", "--json");
  assert_job_error (outside, "org.freedesktop.DBus.Error.InvalidArgs", "flash bank");
  /* an Intel HEX file (by its name) that is none */
  bad_hex = ctl_run (fixture, "program", hex, "--json");
  assert_job_error (bad_hex, "org.freedesktop.DBus.Error.InvalidArgs", "hex");
  /* no such file: nothing is sent */
  nofile = ctl_run (fixture, "program", missing, "--json");
  assert_json_error (nofile, 1, "org.openocd.ctl.Error.Failed");
  bad_reset = ctl_run (fixture, "program", file, "--reset", "bogus", "--json");
  assert_json_error (bad_reset, 2, "org.openocd.ctl.Error.Usage");
  bad_format = ctl_run (fixture, "program", file, "--format", "srec");
  assert_failed (bad_format, 2, "srec");

  /* write-protected sectors: flash sectors shows them, program fails */
  g_free (raw_tcl (fixture, "halt; flash protect 0 0 0 on; reset halt"));
  sectors_out = ctl_ok (fixture, "flash", "sectors", "0", "--json");
  sectors = parse_array (sectors_out);
  for (guint i = 0; i < 8; i++)
    g_assert_true (get_bool (json_array_get_object_element (sectors, i), "protected") == (i < 4));
  protected = ctl_run (fixture, "program", file, "--json");
  assert_job_error (protected, "org.openocd.Error.Flash", "stm32x device protected");
  text = ctl_run (fixture, "program", file);
  g_assert_cmpint (text->status, ==, 1);
  g_assert_cmpstr (text->out, ==, "");
  g_assert_nonnull (strstr (text->err, "openocdctl: Flash: "));
  g_assert_nonnull (strstr (text->err, "stm32x device protected"));

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_flash (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  g_autoptr(GBytes) image = ood_test_random_flash_image (8 * SECTOR);
  g_autoptr(GBytes) other = ood_test_random_flash_image (8 * SECTOR);
  g_autofree char *file = ood_test_save_bytes (dir, "image.bin", image);
  g_autofree char *other_file = ood_test_save_bytes (dir, "other.bin", other);
  g_autofree char *banks_text = NULL, *sectors_text = NULL, *verify_out = NULL;
  g_autofree char *erase_out = NULL, *program_out = NULL;
  g_autoptr(CtlRun) mismatch = NULL, no_bank = NULL, bad_sector = NULL, usage = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *object;

  banks_text = ctl_ok (fixture, "flash", "banks");
  g_assert_cmpstr (banks_text, ==,
                   "BANK NAME                 BASE         SIZE\n"
                   "0    riscvsim.flash       0x8000000    0x10000\n");
  {
    g_autoptr(JsonNode) banks = ctl_json_ok (fixture, "flash", "banks");

    g_assert_cmpuint (json_array_get_length (json_node_get_array (banks)), ==, 1);
    object = json_array_get_object_element (json_node_get_array (banks), 0);
    g_assert_cmpint (get_int (object, "index"), ==, 0);
    g_assert_cmpstr (get_string (object, "name"), ==, "riscvsim.flash");
    g_assert_cmpint (get_int (object, "base"), ==, FLASH_BASE);
    g_assert_cmpint (get_int (object, "size"), ==, FLASH_SIZE);
    g_assert_true (json_object_has_member (object, "bus_width"));
    g_assert_true (json_object_has_member (object, "chip_width"));
  }
  sectors_text = ctl_ok (fixture, "flash", "sectors");
  lines = g_strsplit (sectors_text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + FLASH_SIZE / SECTOR + 1);
  g_assert_cmpstr (lines[0], ==, "SECTOR ADDRESS      SIZE     PROTECTED");
  g_assert_cmpstr (lines[1], ==, "0      0x8000000    1024     no");
  g_assert_cmpstr (lines[64], ==, "63     0x800fc00    1024     no");
  {
    g_autoptr(JsonNode) sectors = ctl_json_ok (fixture, "flash", "sectors", "0");
    JsonArray *array = json_node_get_array (sectors);

    g_assert_cmpuint (json_array_get_length (array), ==, FLASH_SIZE / SECTOR);
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        object = json_array_get_object_element (array, i);
        g_assert_cmpint (get_int (object, "index"), ==, i);
        g_assert_cmpint (get_int (object, "offset"), ==, i * SECTOR);
        g_assert_cmpint (get_int (object, "address"), ==, FLASH_BASE + i * SECTOR);
        g_assert_cmpint (get_int (object, "size"), ==, SECTOR);
        g_assert_false (get_bool (object, "protected"));
      }
  }
  no_bank = ctl_run (fixture, "flash", "sectors", "1", "--json");
  assert_json_error (no_bank, 1, "org.freedesktop.DBus.Error.InvalidArgs");

  /* verify checksums on the target, which must stay halted */
  program_out = ctl_ok (fixture, "program", file, "--reset", "halt", "--json");
  g_clear_pointer (&lines, g_strfreev);
  {
    g_autoptr(JsonObject) record = check_job_lines (program_out, "program", program_phases);
    g_assert_cmpstr (get_string (record, "state"), ==, "succeeded");
  }
  verify_out = ctl_ok (fixture, "flash", "verify", file, "--json");
  {
    const char *const phases[] = { "verifying", NULL };
    g_autoptr(JsonObject) record = check_job_lines (verify_out, "verify", phases);

    g_assert_cmpstr (get_string (record, "action"), ==, "verify");
    g_assert_cmpint (get_int (record, "bytes"), ==, 8 * SECTOR);
  }
  mismatch = ctl_run (fixture, "flash", "verify", other_file, "--json");
  assert_job_error (mismatch, "org.openocd.Error.Flash", "checksum mismatch");

  /* erase sectors 2 to 5: those are erased, the others keep the image */
  erase_out = ctl_ok (fixture, "flash", "erase", "0", "2", "5", "--json");
  {
    const char *const phases[] = { "erasing", NULL };
    g_autoptr(JsonObject) record = check_job_lines (erase_out, "erase", phases);
    g_autoptr(GBytes) head = ood_test_tcl_read_memory (board (fixture), 32, FLASH_BASE, 2 * SECTOR);
    g_autoptr(GBytes) tail = ood_test_tcl_read_memory (board (fixture), 32,
                                                       FLASH_BASE + 6 * SECTOR, 2 * SECTOR);
    g_autoptr(GBytes) image_head = g_bytes_new_from_bytes (image, 0, 2 * SECTOR);
    g_autoptr(GBytes) image_tail = g_bytes_new_from_bytes (image, 6 * SECTOR, 2 * SECTOR);

    g_assert_cmpstr (get_string (record, "action"), ==, "erase");
    g_assert_cmpint (get_int (record, "bank"), ==, 0);
    g_assert_cmpint (get_int (record, "first"), ==, 2);
    g_assert_cmpint (get_int (record, "last"), ==, 5);
    g_assert_cmpint (get_int (record, "bytes"), ==, 4 * SECTOR);
    assert_erased (fixture, FLASH_BASE + 2 * SECTOR, 4 * SECTOR);
    assert_bytes_equal (head, image_head);
    assert_bytes_equal (tail, image_tail);
  }
  bad_sector = ctl_run (fixture, "flash", "erase", "0", "60", "64", "--json");
  assert_job_error (bad_sector, "org.freedesktop.DBus.Error.InvalidArgs", "0 to 63");
  /* the whole bank, in text */
  {
    g_autoptr(CtlRun) all = ctl_run (fixture, "flash", "erase", "0");

    g_assert_cmpint (all->status, ==, 0);
    g_assert_cmpstr (all->out, ==, "erase: succeeded bytes=65536\n");
    g_assert_cmpstr (all->err, ==, "openocdctl: erase: erasing\n");
    assert_erased (fixture, FLASH_BASE, 8 * SECTOR);
  }
  usage = ctl_run (fixture, "flash", "frob", "--json");
  assert_json_error (usage, 2, "org.openocd.ctl.Error.Usage");

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* flash protect: one call; flash sectors and OpenOCD's own "flash info"
 * show it, an erase of a protected sector fails; errors in JSON. */
static void
test_flash_protect (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *info = NULL, *off_text = NULL;
  g_autoptr(CtlRun) erase = NULL, partial = NULL, bad_word = NULL;

  {
    g_autoptr(JsonNode) node = ctl_json_ok (fixture, "flash", "protect", "0", "4", "7", "on");
    JsonObject *record = json_node_get_object (node);

    g_assert_cmpstr (get_string (record, "action"), ==, "flash-protect");
    g_assert_cmpint (get_int (record, "bank"), ==, 0);
    g_assert_cmpint (get_int (record, "first"), ==, 4);
    g_assert_cmpint (get_int (record, "last"), ==, 7);
    g_assert_true (get_bool (record, "protected"));
  }
  info = raw_tcl (fixture, "flash info 0");
  g_assert_nonnull (strstr (info, "#  0: 0x00000000 (0x1000 4kB) not protected"));
  g_assert_nonnull (strstr (info, "#  1: 0x00001000 (0x1000 4kB) protected"));
  g_assert_nonnull (strstr (info, "#  2: 0x00002000 (0x1000 4kB) not protected"));
  {
    g_autoptr(JsonNode) sectors = ctl_json_ok (fixture, "flash", "sectors", "0");
    JsonArray *array = json_node_get_array (sectors);

    for (guint i = 0; i < json_array_get_length (array); i++)
      g_assert_true (get_bool (json_array_get_object_element (array, i), "protected") ==
                     (i >= 4 && i <= 7));
  }
  erase = ctl_run (fixture, "flash", "erase", "0", "5", "5", "--json");
  assert_job_error (erase, "org.openocd.Error.Flash", "stm32x device protected");
  partial = ctl_run (fixture, "flash", "protect", "0", "5", "5", "off", "--json");
  assert_json_error (partial, 1, "org.freedesktop.DBus.Error.InvalidArgs");
  bad_word = ctl_run (fixture, "flash", "protect", "0", "4", "7", "yes", "--json");
  assert_json_error (bad_word, 2, "org.openocd.ctl.Error.Usage");

  off_text = ctl_ok (fixture, "flash", "protect", "0", "4", "7", "off");
  g_assert_cmpstr (off_text, ==, "flash-protect: bank 0 sectors 4 to 7 not protected\n");
  g_free (info);
  info = raw_tcl (fixture, "flash info 0");
  g_assert_null (strstr (info, ") protected"));
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* lui a0, 0x80008; li a1, 42; sw a1, 0x100(a0); ebreak */
static const guint32 ram_program[] = { 0x80008537u, 0x02a00593u, 0x10b52023u, 0x00100073u };

static void
test_load (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  g_autoptr(GBytes) code = g_bytes_new (ram_program, sizeof ram_program);
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *file = ood_test_save_bytes (dir, "prog.img", code);
  g_autofree char *out = NULL, *result = NULL;
  g_autofree char *timeout = g_strdup_printf ("%d", WAIT_MS);
  const char *const phases[] = { "writing", "verifying", NULL };
  g_autoptr(JsonObject) record = NULL;

  ctl_state_json (fixture, "halt", "halted");
  g_free (ctl_ok (fixture, "mem", "write", "0x80008100", "0", "0", "0", "0"));
  out = ctl_ok (fixture, "load", file, "0x80004000", "--json");
  record = check_job_lines (out, "load", phases);
  g_assert_cmpstr (get_string (record, "action"), ==, "load");
  g_assert_cmpstr (get_string (record, "format"), ==, "bin");
  g_assert_cmpint (get_int (record, "address"), ==, 0x80004000);
  g_assert_cmpint (get_int (record, "bytes"), ==, sizeof ram_program);
  raw = ood_test_tcl_read_memory (board (fixture), 32, 0x80004000, sizeof ram_program);
  assert_bytes_equal (raw, code);

  /* and it runs: the program stores 42 and stops at its ebreak */
  g_free (ctl_ok (fixture, "resume", "0x80004000"));
  g_free (ctl_ok (fixture, "wait-halt", "--timeout", timeout));
  g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, 0x80004000 + 12);
  result = ctl_ok (fixture, "mem", "read", "0x80008100", "4");
  g_assert_cmpstr (result, ==, "80008100: 2a00 0000                                *...\n");

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Ctrl-C while a program job writes: the job is cancelled, and says so. */
static void
test_program_cancel (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  g_autoptr(GBytes) image = ood_test_random_flash_image (32 * 1024);
  g_autofree char *file = ood_test_save_bytes (dir, "image.bin", image);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) err_bytes = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *err = NULL;
  gboolean interrupted = FALSE;
  JsonObject *failure;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, ctl_path (), "--address",
                              ood_service_fixture_get_bus_address (fixture), "program", file,
                              "--json", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
      g_autoptr(JsonObject) object = NULL;
      JsonObject *p;

      g_assert_no_error (error);
      if (line == NULL)
        break;
      g_test_message ("program: %s", line);
      object = parse_object (line);
      p = json_object_get_object_member (object, "progress");
      g_assert_nonnull (p);   /* no final record: the job is cancelled */
      if (!interrupted && g_str_equal (get_string (p, "phase"), "writing"))
        {
          g_subprocess_send_signal (process, SIGINT);
          interrupted = TRUE;
        }
    }
  g_assert_true (interrupted);
  err_bytes = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (process), 65536, NULL,
                                         &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  err = g_strndup (g_bytes_get_data (err_bytes, NULL), g_bytes_get_size (err_bytes));
  g_test_message ("program: stderr: %s", err);
  g_assert_cmpint (exit_status_of (process), ==, 1);
  node = parse_json_line (err);
  failure = json_object_get_object_member (json_node_get_object (node), "error");
  g_assert_nonnull (failure);
  g_assert_cmpstr (get_string (failure, "name"), ==, "org.openocd.Error.Cancelled");

  /* in text, Ctrl-C says what it does */
  {
    g_autoptr(GSubprocess) text = NULL;
    g_autoptr(GDataInputStream) err_lines = NULL;
    g_autoptr(GString) all = g_string_new (NULL);
    gboolean sent = FALSE;

    text = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, ctl_path (), "--address",
                             ood_service_fixture_get_bus_address (fixture), "program", file, NULL);
    g_assert_no_error (error);
    err_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (text));
    for (;;)
      {
        g_autofree char *line = g_data_input_stream_read_line_utf8 (err_lines, NULL, NULL, &error);

        g_assert_no_error (error);
        if (line == NULL)
          break;
        g_string_append_printf (all, "%s\n", line);
        if (!sent && g_str_equal (line, "openocdctl: program: writing"))
          {
            g_subprocess_send_signal (text, SIGINT);
            sent = TRUE;
          }
      }
    g_assert_true (g_subprocess_wait (text, NULL, &error));
    g_test_message ("program: stderr: %s", all->str);
    g_assert_true (sent);
    g_assert_cmpint (exit_status_of (text), ==, 1);
    g_assert_nonnull (strstr (all->str, "openocdctl: interrupted: cancelling the job /org/openocd/jobs/"));
    g_assert_nonnull (strstr (all->str, "openocdctl: Cancelled: "));
  }

  /* the target is free again: another job runs */
  {
    g_autoptr(CtlRun) again = ctl_run (fixture, "program", file, "--json");
    g_autoptr(JsonObject) record = NULL;
    g_autoptr(GBytes) raw = NULL;

    g_assert_cmpint (again->status, ==, 0);
    record = check_job_lines (again->out, "program", program_phases);
    g_assert_cmpstr (get_string (record, "state"), ==, "succeeded");
    raw = ood_test_tcl_read_memory (board (fixture), 32, FLASH_BASE, 32 * 1024);
    assert_bytes_equal (raw, image);
  }

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Endpoints, supervised OpenOCDs, probes and GDB                     */

/* The endpoint @name as "endpoints --json" lists it, or NULL. */
static JsonObject *
listed_endpoint (OodServiceFixture *fixture, const char *name)
{
  g_autoptr(JsonNode) node = ctl_json_ok (fixture, "endpoints");
  JsonArray *array = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *endpoint = json_array_get_object_element (array, i);

      if (g_str_equal (get_string (endpoint, "name"), name))
        return json_object_ref (endpoint);
    }
  return NULL;
}

/* The endpoint of a configuration group the service runs: endpoints shows
 * its process. */
static void
test_endpoints_supervised (void)
{
  const OodServiceOptions options = { .supervised = TRUE };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  g_autoptr(JsonObject) endpoint = listed_endpoint (fixture, "default");
  g_autofree char *human = NULL, *row = NULL;

  g_assert_nonnull (endpoint);
  g_assert_cmpstr (get_string (endpoint, "origin"), ==, "config");
  g_assert_true (get_bool (endpoint, "supervised"));
  g_assert_cmpint (get_int (endpoint, "pid"), >, 0);
  g_assert_cmpint (get_int (endpoint, "restarts"), ==, 0);
  g_assert_cmpstr (get_string (endpoint, "last_exit"), ==, "");
  g_assert_cmpstr (get_string (endpoint, "last_error"), ==, "");

  human = ctl_ok (fixture, "endpoints");
  row = g_strdup_printf ("\ndefault +127\\.0\\.0\\.1:[0-9]+ +yes +config +%" G_GINT64_FORMAT
                         " +0 +Open On-Chip Debugger", get_int (endpoint, "pid"));
  g_assert_true (g_regex_match_simple (row, human, 0, 0));
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* No USB device here: an empty table under its heading, and []. */
static void
test_probes (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *human = ctl_ok (fixture, "probes");
  g_autofree char *json = ctl_ok (fixture, "probes", "--json");

  g_assert_true (g_regex_match_simple ("^ID +VID:PID +SERIAL +USB-PATH +MODEL +ACCESSIBLE +ENDPOINT\n$",
                                       human, 0, 0));
  g_assert_cmpstr (json, ==, "[]\n");
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

typedef struct {
  OodDbusTarget *target;
  gboolean       attached;
} GdbWait;

static gboolean
gdb_attached_is (gpointer user_data)
{
  GdbWait *wait = user_data;

  return ood_dbus_target_get_gdb_attached (wait->target) == wait->attached;
}

/* list's GDB column and its JSON: the port, then "*" while GDB is attached. */
static void
assert_listed_gdb (OodServiceFixture *fixture, guint16 port, gboolean attached)
{
  g_autofree char *human = ctl_ok (fixture, "list");
  g_autofree char *row = g_strdup_printf ("\ndefault +riscv\\.cpu +riscv +[a-z-]+ +(-|0x[0-9a-f]+) +%u%s\n",
                                          port, attached ? "\\*" : "");
  g_autoptr(JsonNode) node = ctl_json_ok (fixture, "list");
  JsonObject *target = json_array_get_object_element (json_node_get_array (node), 0);

  g_assert_true (g_regex_match_simple (row, human, 0, 0));
  g_assert_cmpint (get_int (target, "gdb_port"), ==, port);
  g_assert_cmpint (get_bool (target, "gdb_attached"), ==, attached);
}

static void
test_list_gdb (void)
{
  const OodServiceOptions options = { .gdb = TRUE };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  guint16 port = ood_testbed_get_gdb_port (board (fixture));
  GdbWait wait = { ood_service_fixture_get_target (fixture, 0), TRUE };
  g_autoptr(OodTestGdb) gdb = ood_test_gdb_new ();

  g_assert_cmpuint (port, !=, 0);
  assert_listed_gdb (fixture, port, FALSE);
  g_free (ood_test_gdb_attach (gdb, port));
  g_assert_true (ood_test_wait_for (gdb_attached_is, &wait, WAIT_MS));
  assert_listed_gdb (fixture, port, TRUE);
  ood_test_gdb_quit (gdb);
  wait.attached = FALSE;
  g_assert_true (ood_test_wait_for (gdb_attached_is, &wait, WAIT_MS));
  assert_listed_gdb (fixture, port, FALSE);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

#define LAB_PATH "/org/openocd/lab_2d1"

/* OpenOCD's command line for @board, quoted as a shell would take it. */
static char *
exec_line (OodTestbed *board)
{
  g_auto(GStrv) argv = ood_testbed_dup_openocd_argv (board);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      g_string_append_printf (line, "%s%s", i > 0 ? " " : "", quoted);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* What the service says of an endpoint, asked directly (no openocdctl). */
typedef struct {
  OodServiceFixture *fixture;
  const char        *path;
  guint              restarts;  /* at least */
  guint              not_pid;   /* a running OpenOCD other than this */
} EndpointWait;

static GVariant *
endpoint_property (EndpointWait *wait, const char *name)
{
  return ood_test_get_property (ood_service_fixture_get_bus (wait->fixture), wait->path,
                                "org.openocd.Endpoint", name, 5000, NULL);
}

/* Connected, with its one target published. */
static gboolean
endpoint_ready (gpointer user_data)
{
  g_autoptr(GVariant) connected = endpoint_property (user_data, "Connected");
  g_autoptr(GVariant) targets = endpoint_property (user_data, "Targets");

  return connected != NULL && g_variant_get_boolean (connected) && targets != NULL &&
         g_variant_n_children (targets) == 1;
}

/* Restarted as often as asked, and running another OpenOCD. */
static gboolean
endpoint_restarted (gpointer user_data)
{
  EndpointWait *wait = user_data;
  g_autoptr(GVariant) restarts = endpoint_property (wait, "Restarts");
  g_autoptr(GVariant) pid = endpoint_property (wait, "Pid");

  return restarts != NULL && g_variant_get_uint32 (restarts) >= wait->restarts && pid != NULL &&
         g_variant_get_uint32 (pid) != 0 && g_variant_get_uint32 (pid) != wait->not_pid;
}

/* Whether the lines of @run stand in @all as consecutive lines. */
static gboolean
lines_in (JsonArray *all, char **run)
{
  guint n = g_strv_length (run);

  for (guint i = 0; i + n <= json_array_get_length (all); i++)
    {
      guint j = 0;

      while (j < n && g_str_equal (json_array_get_string_element (all, i + j), run[j]))
        j++;
      if (j == n)
        return TRUE;
    }
  return FALSE;
}

/* endpoint log NAME -n 2 in text, then all of it in JSON. */
static void
check_log (OodServiceFixture *fixture)
{
  g_autofree char *text = ctl_ok (fixture, "endpoint", "log", "lab-1", "-n", "2");
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(JsonNode) node = ctl_json_ok (fixture, "endpoint", "log", "lab-1");
  JsonObject *log = json_node_get_object (node);
  JsonArray *all = json_node_get_array (get_member (log, "lines", JSON_TYPE_ARRAY));
  gboolean banner = FALSE;

  /* two lines and the empty string after the last newline */
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  g_clear_pointer (&lines[2], g_free);
  g_assert_cmpstr (get_string (log, "endpoint"), ==, "lab-1");
  g_assert_cmpuint (json_object_get_size (log), ==, 2);
  /* the newest two, which OpenOCD may have followed with more since */
  g_assert_true (lines_in (all, lines));
  for (guint i = 0; i < json_array_get_length (all); i++)
    banner |= g_str_has_prefix (json_array_get_string_element (all, i), "Open On-Chip Debugger");
  g_assert_true (banner);
}

/* endpoint restart NAME, in text and then in JSON; each starts a new OpenOCD. */
static void
check_restart (OodServiceFixture *fixture)
{
  g_autoptr(JsonObject) before = listed_endpoint (fixture, "lab-1");
  g_autoptr(JsonObject) after = NULL;
  EndpointWait wait = { fixture, LAB_PATH, 1, (guint) get_int (before, "pid") };
  g_autofree char *text = ctl_ok (fixture, "endpoint", "restart", "lab-1");
  g_autoptr(JsonNode) node = NULL;
  JsonObject *done;

  g_assert_cmpstr (text, ==, "");
  g_assert_true (ood_test_wait_for (endpoint_restarted, &wait, WAIT_MS));
  after = listed_endpoint (fixture, "lab-1");
  g_assert_cmpint (get_int (after, "restarts"), ==, 1);
  g_assert_cmpint (get_int (after, "pid"), !=, get_int (before, "pid"));
  /* how the old one ended */
  g_assert_cmpstr (get_string (after, "last_exit"), !=, "");

  node = ctl_json_ok (fixture, "endpoint", "restart", "lab-1");
  done = json_node_get_object (node);
  g_assert_cmpstr (get_string (done, "action"), ==, "endpoint-restart");
  g_assert_cmpstr (get_string (done, "endpoint"), ==, "lab-1");
  g_assert_cmpuint (json_object_get_size (done), ==, 2);
  wait = (EndpointWait) { fixture, LAB_PATH, 2, (guint) get_int (after, "pid") };
  g_assert_true (ood_test_wait_for (endpoint_restarted, &wait, WAIT_MS));
  wait.restarts = 0;
  g_assert_true (ood_test_wait_for (endpoint_ready, &wait, WAIT_MS));
}

/* endpoint add lab-1 --exec: the service runs an OpenOCD for a second
 * board, which endpoints and list show and which one can drive; log,
 * restart, and remove it again. */
static void
test_endpoint_exec (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  const OodTestbedOptions sim_only = { .no_openocd = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) board = ood_testbed_new (&sim_only, &error);
  EndpointWait ready = { fixture, LAB_PATH };
  g_autofree char *exec = NULL, *added = NULL, *human = NULL, *row = NULL, *targets = NULL;
  g_autoptr(JsonObject) lab = NULL, gone = NULL;
  g_autoptr(JsonNode) removed = NULL;
  JsonObject *done;

  g_assert_no_error (error);
  exec = exec_line (board);
  added = ctl_ok (fixture, "endpoint", "add", "lab-1", "--exec", exec);
  g_assert_cmpstr (added, ==, LAB_PATH "\n");
  g_assert_true (ood_test_wait_for (endpoint_ready, &ready, WAIT_MS));

  lab = listed_endpoint (fixture, "lab-1");
  g_assert_nonnull (lab);
  g_assert_cmpstr (get_string (lab, "origin"), ==, "bus");
  g_assert_true (get_bool (lab, "supervised"));
  g_assert_true (get_bool (lab, "connected"));
  g_assert_true (g_str_has_prefix (get_string (lab, "address"), "127.0.0.1:"));
  g_assert_cmpint (get_int (lab, "pid"), >, 0);
  g_assert_cmpint (get_int (lab, "restarts"), ==, 0);
  g_assert_cmpstr (get_string (lab, "last_exit"), ==, "");
  g_assert_cmpstr (get_string (lab, "path"), ==, LAB_PATH);
  assert_paths (lab, "targets", LAB_PATH "/riscv_2ecpu");

  human = ctl_ok (fixture, "endpoints");
  row = g_strdup_printf ("\nlab-1 +%s +yes +bus +%" G_GINT64_FORMAT " +0 +Open On-Chip Debugger",
                         get_string (lab, "address"), get_int (lab, "pid"));
  g_assert_true (g_regex_match_simple (row, human, 0, 0));
  targets = ctl_ok (fixture, "list");
  g_assert_true (g_regex_match_simple ("\nlab-1 +riscv\\.cpu +riscv ", targets, 0, 0));
  /* and its target answers */
  {
    g_autofree char *out = ctl_ok (fixture, "-t", "lab-1/riscv.cpu", "halt", "--json");
    g_autoptr(JsonObject) state = parse_object (out);

    assert_state (state, "halted");
    g_assert_cmpstr (get_string (state, "endpoint"), ==, "lab-1");
  }

  check_log (fixture);
  check_restart (fixture);

  removed = ctl_json_ok (fixture, "endpoint", "remove", "lab-1");
  done = json_node_get_object (removed);
  g_assert_cmpstr (get_string (done, "action"), ==, "endpoint-remove");
  g_assert_cmpstr (get_string (done, "endpoint"), ==, "lab-1");
  g_assert_cmpuint (json_object_get_size (done), ==, 2);
  gone = listed_endpoint (fixture, "lab-1");
  g_assert_null (gone);

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* endpoint add NAME --address: an OpenOCD someone else runs (here nobody). */
static void
test_endpoint_address (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(JsonNode) added = ctl_json_ok (fixture, "endpoint", "add", "net", "--address",
                                           "127.0.0.1:1");
  JsonObject *done = json_node_get_object (added);
  g_autoptr(JsonObject) net = NULL;
  g_autofree char *human = NULL, *removed = NULL;

  g_assert_cmpstr (get_string (done, "action"), ==, "endpoint-add");
  g_assert_cmpstr (get_string (done, "endpoint"), ==, "net");
  g_assert_cmpstr (get_string (done, "path"), ==, "/org/openocd/net");
  g_assert_cmpuint (json_object_get_size (done), ==, 3);

  net = listed_endpoint (fixture, "net");
  g_assert_nonnull (net);
  g_assert_cmpstr (get_string (net, "address"), ==, "127.0.0.1:1");
  g_assert_cmpstr (get_string (net, "origin"), ==, "bus");
  g_assert_false (get_bool (net, "supervised"));
  g_assert_cmpint (get_int (net, "pid"), ==, 0);
  /* no OpenOCD, no PID and no restarts; no version either */
  human = ctl_ok (fixture, "endpoints");
  g_assert_true (g_regex_match_simple ("\nnet +127\\.0\\.0\\.1:1 +no +bus +- +- *\n", human, 0, 0));

  removed = ctl_ok (fixture, "endpoint", "remove", "net");
  g_assert_cmpstr (removed, ==, "");
  g_clear_pointer (&net, json_object_unref);
  net = listed_endpoint (fixture, "net");
  g_assert_null (net);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* What the service refuses, as openocdctl prints it: its error's short
 * name and message in text, its name in JSON, exit status 1. */
static void
test_endpoint_errors (void)
{
  const OodServiceOptions options = { .supervised = TRUE };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  static const struct {
    const char *args[7];
    const char *text;
    const char *name;
  } cases[] = {
    { { "endpoint", "add", "default", "--address", "127.0.0.1:1" },
      "openocdctl: Exists: an endpoint named default exists\n", "org.openocd.Error.Exists" },
    /* "default" comes from the configuration file */
    { { "endpoint", "remove", "default" }, "openocdctl: NotSupported: ",
      "org.openocd.Error.NotSupported" },
    { { "endpoint", "remove", "nosuch" }, "openocdctl: NotFound: ", "org.openocd.Error.NotFound" },
    { { "endpoint", "add", "a/b", "--address", "127.0.0.1:1" }, "openocdctl: InvalidArgs: ",
      "org.freedesktop.DBus.Error.InvalidArgs" },
    /* "net" is not supervised */
    { { "endpoint", "log", "net" }, "openocdctl: NotSupported: ", "org.openocd.Error.NotSupported" },
    { { "endpoint", "restart", "net" }, "openocdctl: NotSupported: ",
      "org.openocd.Error.NotSupported" },
    { { "endpoint", "log", "nosuch" }, "openocdctl: no endpoint 'nosuch'; known endpoints: default, net\n",
      "org.openocd.ctl.Error.NoSuchEndpoint" },
    { { "endpoint", "restart", "nosuch" }, "openocdctl: no endpoint 'nosuch'",
      "org.openocd.ctl.Error.NoSuchEndpoint" },
  };

  g_free (ctl_ok (fixture, "endpoint", "add", "net", "--address", "127.0.0.1:1"));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) json = NULL;
      g_autoptr(CtlRun) text = ctl_runv (ood_service_fixture_get_bus_address (fixture),
                                         cases[i].args);
      g_autoptr(CtlRun) run = NULL;

      assert_failed (text, 1, cases[i].text);
      g_assert_true (g_str_has_prefix (text->err, cases[i].text));
      g_strv_builder_addv (builder, (const char **) cases[i].args);
      g_strv_builder_add (builder, "--json");
      json = g_strv_builder_end (builder);
      run = ctl_runv (ood_service_fixture_get_bus_address (fixture), (const char *const *) json);
      assert_json_error (run, 1, cases[i].name);
    }
  /* the configured endpoint is still there, and still running its OpenOCD */
  {
    g_autoptr(JsonObject) endpoint = listed_endpoint (fixture, "default");

    g_assert_nonnull (endpoint);
    g_assert_true (get_bool (endpoint, "connected"));
    g_assert_cmpint (get_int (endpoint, "pid"), >, 0);
    g_assert_cmpint (get_int (endpoint, "restarts"), ==, 0);
  }
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Skips lines until a change @change about endpoint @name; returns it. */
static JsonObject *
monitor_wait_endpoint (Monitor *monitor, const char *change, const char *name)
{
  gint64 deadline = g_get_monotonic_time () + MONITOR_WAIT_US;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) line = monitor_next (monitor);

      if (g_str_equal (get_string (line, "change"), change) &&
          g_str_equal (get_string (line, "name"), name))
        return g_steal_pointer (&line);
    }
  g_error ("no %s of endpoint %s within the deadline", change, name);
  return NULL;
}

/* Skips text lines until one matches @pattern; returns it. */
static char *
monitor_wait_text (Monitor *monitor, const char *pattern)
{
  gint64 deadline = g_get_monotonic_time () + MONITOR_WAIT_US;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *line = monitor_next_line (monitor);

      if (g_regex_match_simple (pattern, line, 0, 0))
        return g_steal_pointer (&line);
    }
  g_error ("no line matching %s within the deadline", pattern);
  return NULL;
}

/* monitor, in JSON and in text, on a supervised OpenOCD restarted and an
 * endpoint added and removed. */
static void
test_monitor_endpoints (void)
{
  const OodServiceOptions options = { .supervised = TRUE };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  g_autoptr(JsonObject) before = listed_endpoint (fixture, "default");
  gint64 old_pid = get_int (before, "pid");
  Monitor json = { 0 }, text = { 0 };
  g_autoptr(JsonObject) added = NULL, removed = NULL;
  g_autofree char *line = NULL;

  monitor_start_full (&json, fixture, TRUE);
  monitor_start_full (&text, fixture, FALSE);
  /* each watches once it printed the target's state */
  json_object_unref (monitor_next (&json));
  g_free (monitor_wait_text (&text, "^default/riscv\\.cpu: "));

  g_free (ctl_ok (fixture, "endpoint", "restart", "default"));
  for (;;)
    {
      g_autoptr(JsonObject) process = monitor_wait_endpoint (&json, "openocd", "default");

      g_assert_cmpstr (get_string (process, "origin"), ==, "config");
      if (get_int (process, "pid") == 0)
        continue;
      g_assert_cmpint (get_int (process, "pid"), !=, old_pid);
      g_assert_cmpint (get_int (process, "restarts"), ==, 1);
      g_assert_cmpstr (get_string (process, "last_exit"), !=, "");
      break;
    }
  line = monitor_wait_text (&text, "^default: pid [0-9]+, restarts 1, last exit: .");
  g_assert_false (g_str_has_prefix (line, "default: pid -"));

  g_free (ctl_ok (fixture, "endpoint", "add", "net", "--address", "127.0.0.1:1"));
  added = monitor_wait_endpoint (&json, "endpoint-added", "net");
  g_assert_cmpstr (get_string (added, "origin"), ==, "bus");
  g_free (monitor_wait_text (&text, "^endpoint-added net$"));
  g_free (ctl_ok (fixture, "endpoint", "remove", "net"));
  removed = monitor_wait_endpoint (&json, "endpoint-removed", "net");
  g_assert_cmpstr (get_string (removed, "path"), ==, "/org/openocd/net");
  g_free (monitor_wait_text (&text, "^endpoint-removed net$"));

  g_assert_cmpint (monitor_stop (&json), ==, 0);
  g_assert_cmpint (monitor_stop (&text), ==, 0);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Skips lines until one matched each of @patterns, in any order. */
static void
monitor_wait_lines (Monitor *monitor, const char *const *patterns)
{
  gint64 deadline = g_get_monotonic_time () + MONITOR_WAIT_US;
  guint n = g_strv_length ((GStrv) patterns), found = 0;
  g_autofree gboolean *matched = g_new0 (gboolean, n);

  while (found < n && g_get_monotonic_time () < deadline)
    {
      g_autofree char *line = monitor_next_line (monitor);

      for (guint i = 0; i < n; i++)
        if (!matched[i] && g_regex_match_simple (patterns[i], line, 0, 0))
          {
            matched[i] = TRUE;
            found++;
            break;
          }
    }
  for (guint i = 0; i < n; i++)
    if (!matched[i])
      g_error ("no line matching %s within the deadline", patterns[i]);
}

/* Two ST-LINK/V2-1 probes: one a [Probe] rule serves, one it does not. */
static const OodTestUsbDevice nucleo = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "ABC123",
  .manufacturer = "STMicroelectronics", .product = "STM32 STLink",
  .busnum = 1, .devpath = "1.4", .devnum = 5,
};
static const OodTestUsbDevice spare = {
  .vendor_id = 0x0483, .product_id = 0x374b, .serial = "DEF456",
  .manufacturer = "STMicroelectronics", .product = "STM32 STLink",
  .busnum = 1, .devpath = "2", .devnum = 6,
};

/* The service's Endpoint of probe @path is @user_data's endpoint. */
typedef struct {
  OodServiceFixture *fixture;
  const char        *probe;
  const char        *endpoint;   /* NULL: the probe is gone */
} ProbeWait;

static gboolean
probe_is (gpointer user_data)
{
  ProbeWait *wait = user_data;
  g_autoptr(GVariant) endpoint = ood_test_get_property (ood_service_fixture_get_bus (wait->fixture),
                                                        wait->probe, "org.openocd.Probe",
                                                        "Endpoint", 5000, NULL);

  if (wait->endpoint == NULL)
    return endpoint == NULL;
  return endpoint != NULL && g_str_equal (g_variant_get_string (endpoint, NULL), wait->endpoint);
}

/* "probes" in text, then in JSON: @n rows, the first the served nucleo. */
static JsonArray *
check_probes (OodServiceFixture *fixture, guint n)
{
  g_autofree char *human = ctl_ok (fixture, "probes");
  g_auto(GStrv) lines = g_strsplit (human, "\n", -1);
  g_autofree char *json = ctl_ok (fixture, "probes", "--json");
  JsonArray *array = parse_array (json);
  JsonObject *probe = json_array_get_object_element (array, 0);
  g_autofree char *model = g_regex_escape_string (get_string (probe, "model"), -1);
  g_autofree char *row = g_strdup_printf ("^usb1_1_4 +0483:374b +ABC123 +1-1\\.4 +%s +%s +nucleo-ABC123$",
                                          model, get_bool (probe, "accessible") ? "yes" : "no");

  g_assert_cmpuint (json_array_get_length (array), ==, n);
  g_assert_cmpuint (g_strv_length (lines), ==, n + 2);
  g_assert_true (g_regex_match_simple ("^ID +VID:PID +SERIAL +USB-PATH +MODEL +ACCESSIBLE +ENDPOINT$",
                                       lines[0], 0, 0));
  g_assert_true (g_regex_match_simple (row, lines[1], 0, 0));
  g_assert_cmpstr (get_string (probe, "id"), ==, "usb1_1_4");
  g_assert_cmpint (get_int (probe, "vendor_id"), ==, 0x0483);
  g_assert_cmpint (get_int (probe, "product_id"), ==, 0x374b);
  g_assert_cmpstr (get_string (probe, "usb_id"), ==, "0483:374b");
  g_assert_cmpstr (get_string (probe, "serial"), ==, "ABC123");
  g_assert_cmpstr (get_string (probe, "usb_path"), ==, "1-1.4");
  g_assert_cmpstr (get_string (probe, "model"), !=, "");
  g_assert_cmpstr (get_string (probe, "endpoint"), ==, "nucleo-ABC123");
  g_assert_cmpstr (get_string (probe, "endpoint_path"), ==, "/org/openocd/nucleo_2dABC123");
  g_assert_cmpstr (get_string (probe, "path"), ==, "/org/openocd/probes/usb1_1_4");
  g_assert_cmpuint (json_object_get_size (probe), ==, 11);
  return array;
}

/* Probes plugged in below udev (umockdev: this case runs under
 * umockdev-wrapper, and the daemon inherits the fake devices): probes
 * lists them, the served one with its endpoint; monitor prints each
 * probe and endpoint coming and going. */
static void
test_probes_plugged (void)
{
  /* first, so that the daemon started next sees the fake devices */
  g_autoptr(UMockdevTestbed) usb = ood_test_usb_testbed_new ();
  const OodServiceOptions options = { .no_service = TRUE, .supervised = TRUE };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  const OodTestbedOptions sim_only = { .no_openocd = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) board = ood_testbed_new (&sim_only, &error);
  g_autofree char *group = ood_service_fixture_dup_exec_group (fixture, 0);
  g_autofree char *exec = exec_line (board);
  g_autofree char *config = NULL, *sysfs = NULL, *model = NULL, *added_text = NULL;
  g_autofree char *spare_sysfs = NULL;
  EndpointWait ready = { fixture, "/org/openocd/default" };
  ProbeWait served = { fixture, "/org/openocd/probes/usb1_1_4", "/org/openocd/nucleo_2dABC123" };
  ProbeWait unserved = { fixture, "/org/openocd/probes/usb1_2", "/" };
  Monitor json = { 0 }, text = { 0 };
  g_autoptr(JsonArray) two = NULL, one = NULL;
  JsonObject *second;

  g_assert_no_error (error);
  config = g_strdup_printf ("%s[Probe nucleo]\nMatch=ID_VENDOR_ID=0483 ID_SERIAL_SHORT=ABC123\n"
                            "Exec=%s\n", group, exec);
  g_assert_true (ood_service_fixture_use_config (fixture, config, &error));
  g_assert_true (ood_service_fixture_start_service (fixture, &error));
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (endpoint_ready, &ready, WAIT_MS));
  monitor_start_full (&json, fixture, TRUE);
  monitor_start_full (&text, fixture, FALSE);
  /* each watches once it printed the target's state */
  json_object_unref (monitor_next (&json));
  g_free (monitor_wait_text (&text, "^default/riscv\\.cpu: "));

  sysfs = ood_test_usb_add (usb, &nucleo);
  spare_sysfs = ood_test_usb_add (usb, &spare);
  g_assert_true (ood_test_wait_for (probe_is, &served, WAIT_MS));
  g_assert_true (ood_test_wait_for (probe_is, &unserved, WAIT_MS));
  two = check_probes (fixture, 2);
  /* the other one, which no endpoint drives */
  second = json_array_get_object_element (two, 1);
  g_assert_cmpstr (get_string (second, "id"), ==, "usb1_2");
  g_assert_false (json_object_has_member (second, "endpoint"));
  g_assert_cmpstr (get_string (second, "endpoint_path"), ==, "/");
  {
    g_autofree char *human = ctl_ok (fixture, "probes");

    g_assert_true (g_regex_match_simple ("\nusb1_2 +0483:374b +DEF456 +1-2 +.* +-\n$", human, 0, 0));
  }
  model = g_regex_escape_string (get_string (second, "model"), -1);
  added_text = g_strdup_printf ("^probe-added usb1_1_4 0483:374b %s serial ABC123$", model);
  {
    const char *const json_added[] = { "^\\{\"change\":\"probe-added\",\"id\":\"usb1_1_4\",",
                                       "^\\{\"change\":\"probe-added\",\"id\":\"usb1_2\",",
                                       "^\\{\"change\":\"endpoint-added\",\"name\":\"nucleo-ABC123\",",
                                       NULL };
    const char *const text_added[] = { added_text, "^probe-added usb1_2 0483:374b ",
                                       "^endpoint-added nucleo-ABC123$", NULL };

    monitor_wait_lines (&json, json_added);
    monitor_wait_lines (&text, text_added);
  }

  ood_test_usb_remove (usb, sysfs);
  served.endpoint = NULL;
  g_assert_true (ood_test_wait_for (probe_is, &served, WAIT_MS));
  {
    const char *const json_removed[] = { "^\\{\"change\":\"probe-removed\",\"id\":\"usb1_1_4\",",
                                         "^\\{\"change\":\"endpoint-removed\",\"name\":\"nucleo-ABC123\",",
                                         NULL };
    const char *const text_removed[] = { "^probe-removed usb1_1_4 0483:374b ",
                                         "^endpoint-removed nucleo-ABC123$", NULL };

    monitor_wait_lines (&json, json_removed);
    monitor_wait_lines (&text, text_removed);
  }
  {
    g_autofree char *out = ctl_ok (fixture, "probes", "--json");

    one = parse_array (out);
    g_assert_cmpuint (json_array_get_length (one), ==, 1);
    g_assert_cmpstr (get_string (json_array_get_object_element (one, 0), "id"), ==, "usb1_2");
  }

  g_assert_cmpint (monitor_stop (&json), ==, 0);
  g_assert_cmpint (monitor_stop (&text), ==, 0);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static void
test_no_such_target (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) run = ctl_run (fixture, "-t", "nosuch", "state");
  g_autoptr(CtlRun) after = ctl_run (fixture, "halt", "-t", "nosuch");

  assert_failed (run, 1, "no target 'nosuch'");
  g_assert_nonnull (strstr (run->err, "default/riscv.cpu"));
  assert_failed (after, 1, "no target 'nosuch'");

  /* the right names do work, both forms */
  {
    g_autofree char *by_name = ctl_ok (fixture, "-t", "riscv.cpu", "halt", "--json");
    g_autofree char *by_label = ctl_ok (fixture, "state", "--json", "-t", "default/riscv.cpu");
    g_autoptr(JsonObject) halted = parse_object (by_name);
    g_autoptr(JsonObject) state = parse_object (by_label);

    assert_state (halted, "halted");
    assert_state (state, "halted");
    g_assert_cmpint (get_int (state, "current_pc"), ==, get_int (halted, "current_pc"));
  }
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_usage (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) bad_address = NULL, unknown = NULL, extra = NULL;

  ctl_state_json (fixture, "halt", "halted");
  bad_address = ctl_run (fixture, "resume", "0xZZ");
  assert_failed (bad_address, 2, "0xZZ");
  /* a usage error sends nothing: the target is still halted */
  ctl_state_json (fixture, "state", "halted");

  unknown = ctl_run (fixture, "frobnicate");
  assert_failed (unknown, 2, "frobnicate");

  extra = ctl_run (fixture, "state", "extra");
  assert_failed (extra, 2, "usage");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_not_running (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (TRUE);
  const char *const commands[] = { "list", "endpoints", "probes", "state", "halt" };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(CtlRun) run = ctl_run (fixture, commands[i]);

      assert_failed (run, 1, "not running");
    }
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* --json of every command                                             */

static void
test_json_commands (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *timeout = g_strdup_printf ("%d", WAIT_MS);
  g_autofree char *address = ood_testbed_get_address (ood_service_fixture_get_testbed (fixture, 0));
  JsonObject *object;
  JsonArray *array;

  {
    g_autoptr(JsonNode) halt = ctl_json_ok (fixture, "halt");
    g_autoptr(JsonNode) state = ctl_json_ok (fixture, "state");

    assert_state (json_node_get_object (halt), "halted");
    assert_state (json_node_get_object (state), "halted");
  }
  {
    g_autoptr(JsonNode) reset = ctl_json_ok (fixture, "reset", "halt");

    object = done_object (reset, "reset");
    g_assert_cmpstr (get_string (object, "mode"), ==, "halt");
    g_assert_cmpuint (json_object_get_size (object), ==, 4);
  }
  {
    g_autoptr(JsonNode) step = ctl_json_ok (fixture, "step");

    object = json_node_get_object (step);
    assert_state (object, "halted");
    g_assert_cmpint (get_int (object, "current_pc"), ==, 0x80000004);
  }
  {
    g_autoptr(JsonNode) list = ctl_json_ok (fixture, "list");

    g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
    array = json_node_get_array (list);
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    object = json_array_get_object_element (array, 0);
    g_assert_cmpstr (get_string (object, "endpoint"), ==, "default");
    g_assert_cmpstr (get_string (object, "state"), ==, "halted");
    g_assert_cmpint (get_int (object, "current_pc"), ==, 0x80000004);
  }
  {
    g_autoptr(JsonNode) endpoints = ctl_json_ok (fixture, "endpoints");

    g_assert_true (JSON_NODE_HOLDS_ARRAY (endpoints));
    array = json_node_get_array (endpoints);
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    object = json_array_get_object_element (array, 0);
    g_assert_cmpstr (get_string (object, "name"), ==, "default");
    g_assert_cmpstr (get_string (object, "address"), ==, address);
    g_assert_true (get_bool (object, "connected"));
  }
  {
    g_autoptr(JsonNode) add = ctl_json_ok (fixture, "bp", "add", ADDR_INC_STR, "--hw");
    g_autoptr(JsonNode) list = ctl_json_ok (fixture, "bp", "list");

    object = done_object (add, "bp-add");
    g_assert_cmpint (get_int (object, "address"), ==, ADDR_INC);
    g_assert_cmpint (get_int (object, "length"), ==, 4);
    g_assert_cmpstr (get_string (object, "kind"), ==, "hw");
    g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
    g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 1);
  }
  {
    g_autoptr(JsonNode) resume = ctl_json_ok (fixture, "resume");
    g_autoptr(JsonNode) wait = ctl_json_ok (fixture, "wait-halt", "--timeout", timeout);

    object = done_object (resume, "resume");
    g_assert_false (json_object_has_member (object, "address"));
    g_assert_cmpuint (json_object_get_size (object), ==, 3);
    object = json_node_get_object (wait);
    assert_state (object, "halted");
    g_assert_cmpint (get_int (object, "current_pc"), ==, ADDR_INC);
  }
  {
    g_autoptr(JsonNode) remove = ctl_json_ok (fixture, "bp", "remove", ADDR_INC_STR);
    g_autoptr(JsonNode) list = ctl_json_ok (fixture, "bp", "list");

    object = done_object (remove, "bp-remove");
    g_assert_cmpint (get_int (object, "address"), ==, ADDR_INC);
    g_assert_false (json_object_has_member (object, "length"));
    g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
    g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 0);
  }
  {
    g_autoptr(JsonNode) resume = ctl_json_ok (fixture, "resume", "0x80000000");

    object = done_object (resume, "resume");
    g_assert_cmpint (get_int (object, "address"), ==, RAM_START);
    ctl_state_json (fixture, "state", "running");
  }
  {
    /* without a mode, the service's default (halt), and no "mode" member */
    g_autoptr(JsonNode) reset = ctl_json_ok (fixture, "reset");
    g_autoptr(JsonNode) run = NULL;

    object = done_object (reset, "reset");
    g_assert_false (json_object_has_member (object, "mode"));
    g_assert_cmpint (ctl_state_json (fixture, "state", "halted"), ==, RAM_START);
    run = ctl_json_ok (fixture, "reset", "run");
    g_assert_cmpstr (get_string (done_object (run, "reset"), "mode"), ==, "run");
    ctl_state_json (fixture, "state", "running");
  }
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Failures of the operation: a JSON error on stderr, exit status 1. */
static void
test_json_errors (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) step = NULL, timeout = NULL, nosuch = NULL, remove = NULL, human = NULL;

  make_running (fixture);
  step = ctl_run (fixture, "step", "--json");
  assert_json_error (step, 1, "org.openocd.Error.NotHalted");
  /* the same in text, as before */
  human = ctl_run (fixture, "step");
  assert_failed (human, 1, "openocdctl: NotHalted: ");

  timeout = ctl_run (fixture, "--json", "wait-halt", "--timeout", "200");
  assert_json_error (timeout, 1, "org.openocd.Error.Timeout");

  nosuch = ctl_run (fixture, "-t", "nosuch", "state", "--json");
  assert_json_error (nosuch, 1, "org.openocd.ctl.Error.NoSuchTarget");

  ctl_state_json (fixture, "halt", "halted");
  remove = ctl_run (fixture, "bp", "remove", ADDR_INC_STR, "--json");
  assert_json_error (remove, 1, "org.openocd.Error.NoSuchBreakpoint");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Usage errors: a JSON error on stderr, exit status 2, nothing sent. */
static void
test_json_usage (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  const char *const cases[][9] = {
    { "resume", "0xZZ", "--json", NULL },
    { "--json", "frobnicate", NULL },
    { "frobnicate", "--json", NULL },    /* --json after an unknown command */
    { "state", "extra", "--json", NULL },
    { "reset", "bogus", "--json", NULL },
    { "bp", "add", "--json", NULL },
    { "list", "--bogus", "--json", NULL },
    { "--json", NULL },                   /* no command */
    { "reg", "set", "a0", "--json" },     /* no value */
    { "mem", "read", "--json", NULL },
    { "mem", "frob", "0", "--json" },
    { "mem", "read", "0x80000000", "0x2000000", "--json", NULL },   /* over 16 MiB */
    { "program", "--json", NULL },
    { "load", "x.bin", "--json", NULL },  /* no address */
    { "flash", "erase", "--json", NULL },
    { "flash", "protect", "0", "0", "3", "--json", NULL },   /* no on|off */
    { "flash", "banks", "--address", "0", "--json", NULL },
    { "probes", "extra", "--json", NULL },
    { "endpoint", "--json", NULL },
    { "endpoint", "frob", "x", "--json", NULL },
    { "endpoint", "add", "x", "--json", NULL },                  /* neither --address nor --exec */
    { "endpoint", "add", "x", "--address", "h:1", "--exec", "openocd", "--json" },   /* both */
    { "endpoint", "remove", "x", "--exec", "openocd", "--json" },
    { "endpoint", "log", "x", "-n", "many", "--json" },
    { "endpoint", "restart", "x", "-n", "1", "--json" },
    { "lease", "default", "true", "--json", NULL },                 /* no -- */
    { "lease", "--wait", "x", "default", "--json", "--", "true" },
    { "leases", "extra", "--json", NULL },
  };

  ctl_state_json (fixture, "halt", "halted");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CtlRun) run = ctl_runv (ood_service_fixture_get_bus_address (fixture), cases[i]);

      assert_json_error (run, 2, "org.openocd.ctl.Error.Usage");
    }
  ctl_state_json (fixture, "state", "halted");
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static void
test_json_not_running (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (TRUE);
  const char *const commands[] = { "list", "endpoints", "probes", "state", "halt", "resume", "reset" };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(CtlRun) run = ctl_run (fixture, commands[i], "--json");

      assert_json_error (run, 1, "org.openocd.ctl.Error.NotRunning");
    }
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* --help describes the JSON output; it needs no bus. */
static void
test_help (void)
{
  g_autoptr(CtlRun) run = ctl_runv ("unix:path=/nonexistent", (const char *const[]) { "--help", NULL });

  g_assert_cmpint (run->status, ==, 0);
  g_assert_nonnull (strstr (run->out, "--json"));
  g_assert_nonnull (strstr (run->out, "JSON lines"));
  g_assert_nonnull (strstr (run->out, "{\"error\":{\"name\":"));
  g_assert_nonnull (strstr (run->out, "stderr"));
  g_assert_nonnull (strstr (run->out, "org.openocd.ctl.Error.Usage"));
  /* the commands of registers, memory and flash, and how their progress shows */
  g_assert_nonnull (strstr (run->out, "\n  reg [NAME…] | set NAME VALUE "));
  g_assert_nonnull (strstr (
      run->out,
      "\n  mem read ADDR [LEN] [--width W] | write ADDR VALUE… [--width W] | dump ADDR LEN FILE | load FILE ADDR | search ADDR SIZE HEXPATTERN [--max N]\n"));
  g_assert_nonnull (strstr (run->out, "\n  program FILE [--format F] [--address A] [--no-verify] [--reset run|halt|none]\n"));
  g_assert_nonnull (strstr (run->out, "\n  load FILE ADDR "));
  g_assert_nonnull (strstr (run->out, "\n  flash banks | sectors [BANK] | erase BANK [FIRST [LAST]] | verify FILE | protect BANK FIRST LAST on|off\n"));
  g_assert_nonnull (strstr (run->out, "{\"progress\":"));
  g_assert_nonnull (strstr (run->out, "Ctrl-C cancels the job"));
  g_assert_nonnull (strstr (run->out, "mem dump and mem load"));
  /* endpoints at run time, probes, and how list and endpoints show GDB and processes */
  g_assert_nonnull (strstr (run->out, "\n  endpoint add NAME (--address HOST:PORT | --exec 'COMMAND LINE') "
                                      "[--shared-dir DIR] | remove NAME | restart NAME | log NAME [-n N]\n"));
  g_assert_nonnull (strstr (run->out, "\n  probes "));
  g_assert_nonnull (strstr (run->out, "list's GDB column"));
  g_assert_nonnull (strstr (run->out, "endpoints' PID"));
  g_assert_nonnull (strstr (run->out, ".NoSuchEndpoint"));
  /* leases */
  g_assert_nonnull (strstr (run->out, "\n  lease [--wait SECONDS] [--reason TEXT] ENDPOINT -- COMMAND [ARG…]\n"));
  g_assert_nonnull (strstr (run->out, "\n  leases "));
  g_assert_nonnull (strstr (run->out, "OPENOCDCTL_LEASE"));
  /* rtt, and what it prints with --json */
  g_assert_nonnull (strstr (run->out, "\n  rtt [CHANNEL] [--address ADDR --size SIZE [--id ID]] [--read-only]\n"));
  g_assert_nonnull (strstr (run->out, "{\"channel\":0,\"text\":\"tick 5\\n\"}"));
  /* OpenOCD itself: raw commands, the adapter, the scan chain, SVD */
  g_assert_nonnull (strstr (run->out, "\n  raw [-e ENDPOINT] [--] COMMAND [ARG…]\n"));
  g_assert_nonnull (strstr (run->out, "\n  adapter [-e ENDPOINT] [speed KHZ] "));
  g_assert_nonnull (strstr (run->out, "\n  taps [-e ENDPOINT] "));
  g_assert_nonnull (strstr (run->out, "\n  periph --svd FILE [PERIPHERAL[.REGISTER]]\n"));

  /* and a command's own --help, with its options */
  {
    g_autoptr(CtlRun) endpoint = ctl_runv ("unix:path=/nonexistent",
                                           (const char *const[]) { "endpoint", "--help", NULL });

    g_assert_cmpint (endpoint->status, ==, 0);
    g_assert_nonnull (strstr (endpoint->out, "endpoint add NAME"));
    g_assert_nonnull (strstr (endpoint->out, "--exec='COMMAND LINE'"));
    g_assert_nonnull (strstr (endpoint->out, "--shared-dir=DIR"));
    g_assert_nonnull (strstr (endpoint->out, "-n, --lines=N"));
  }
}

/* ------------------------------------------------------------------ */
/* Leases                                                              */

/* The shell word that runs openocdctl on @fixture's bus. */
static char *
ctl_command_line (OodServiceFixture *fixture)
{
  g_autofree char *ctl = g_shell_quote (ctl_path ());
  g_autofree char *address = g_shell_quote (ood_service_fixture_get_bus_address (fixture));

  return g_strdup_printf ("%s --address %s", ctl, address);
}

/* "openocdctl lease … -- sh -c @script", with ctl, a shell function, the
 * openocdctl of the bus. */
static CtlRun *
ctl_lease_sh (OodServiceFixture *fixture, const char *reason, const char *script)
{
  g_autofree char *ctl = ctl_command_line (fixture);
  g_autofree char *full = g_strdup_printf ("ctl () { %s \"$@\"; }; %s", ctl, script);

  return ctl_run (fixture, "lease", "--reason", reason, "default", "--", "sh", "-c", full);
}

/* lease runs its command with the lease in OPENOCDCTL_LEASE, exits with
 * the command's status, and releases; the openocdctl the command runs
 * acts as the holder; another caller is refused, naming the holder. */
static void
test_lease (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(CtlRun) env = NULL, halt = NULL, nested = NULL, signalled = NULL, json = NULL;
  g_autoptr(CtlRun) ended = NULL, wrong = NULL, free_again = NULL;
  g_autoptr(JsonNode) done = NULL, halted = NULL;
  g_autofree char *holder_text = NULL;
  g_auto(GStrv) words = NULL;
  JsonObject *object;

  env = ctl_lease_sh (fixture, "env", "echo \"$OPENOCDCTL_LEASE\"; exit 3");
  g_assert_cmpint (env->status, ==, 3);
  g_assert_cmpstr (env->err, ==, "");
  words = g_strsplit (g_strstrip (env->out), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 2);
  g_assert_true (g_str_has_prefix (words[0], "/org/openocd/leases/"));
  g_assert_cmpuint (strlen (words[1]), ==, 32);

  /* the command's openocdctl joins the lease and acts on the target */
  halt = ctl_lease_sh (fixture, "halt", "ctl halt --json");
  g_assert_cmpint (halt->status, ==, 0);
  halted = parse_json_line (halt->out);
  assert_state (json_node_get_object (halted), "halted");

  /* a member is no holder: its own lease is refused, naming the holder */
  nested = ctl_lease_sh (fixture, "outer", "ctl lease default -- true");
  g_assert_cmpint (nested->status, ==, 1);
  holder_text = g_strdup_printf ("openocdctl: Leased: endpoint default is leased by uid %u (:1.",
                                 getuid ());
  g_assert_true (g_str_has_prefix (nested->err, holder_text));
  g_assert_true (g_str_has_suffix (nested->err, "): outer\n"));

  signalled = ctl_lease_sh (fixture, "signal", "kill -TERM $$");
  g_assert_cmpint (signalled->status, ==, 128 + SIGTERM);

  json = ctl_run (fixture, "lease", "--json", "default", "--", "true");
  g_assert_cmpint (json->status, ==, 0);
  done = parse_json_line (json->out);
  object = json_node_get_object (done);
  g_assert_cmpstr (get_string (object, "action"), ==, "lease");
  g_assert_cmpstr (get_string (object, "endpoint"), ==, "default");
  g_assert_true (g_str_has_prefix (get_string (object, "lease"), "/org/openocd/leases/"));
  g_assert_cmpint (get_int (object, "status"), ==, 0);
  g_assert_true (get_bool (object, "released"));

  /* a lease that ended, a wrong token: the command's openocdctl fails */
  ended = ctl_lease_sh (fixture, "ended",
                        "OPENOCDCTL_LEASE=\"/org/openocd/leases/999 00\" ctl state");
  g_assert_cmpint (ended->status, ==, 1);
  g_assert_nonnull (strstr (ended->err, "openocdctl: the lease of OPENOCDCTL_LEASE "
                                        "(/org/openocd/leases/999) has ended"));
  wrong = ctl_lease_sh (fixture, "wrong",
                        "OPENOCDCTL_LEASE=\"${OPENOCDCTL_LEASE% *} 00\" ctl state");
  g_assert_cmpint (wrong->status, ==, 1);
  g_assert_nonnull (strstr (wrong->err, "openocdctl: AccessDenied: wrong token"));

  /* every lease was released */
  free_again = ctl_run (fixture, "lease", "default", "--", "true");
  g_assert_cmpint (free_again->status, ==, 0);
  {
    g_autoptr(CtlRun) usage = ctl_run (fixture, "lease", "default", "true");
    g_autoptr(CtlRun) wait = ctl_run (fixture, "lease", "--wait", "3601", "default", "--", "true");
    g_autoptr(CtlRun) nosuch = ctl_run (fixture, "lease", "nosuch", "--", "true");

    assert_failed (usage, 2, "usage: openocdctl lease ");
    assert_failed (wait, 2, "--wait: ");
    assert_failed (nosuch, 1, "no endpoint 'nosuch'");
  }
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

static GSubprocess *
ctl_spawn (OodServiceFixture *fixture, GSubprocessFlags flags, const char *const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_strv_builder_add_many (builder, ctl_path (), "--address",
                           ood_service_fixture_get_bus_address (fixture), NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  process = g_subprocess_newv ((const char *const *) argv, flags, &error);
  g_assert_no_error (error);
  return process;
}

typedef struct {
  OodServiceFixture *fixture;
  guint              queue;
} LeaseQueue;

static gboolean
lease_queue_is (gpointer data)
{
  LeaseQueue *want = data;
  OodDbusEndpoint *endpoint = ood_service_fixture_get_endpoint (want->fixture, 0);

  return ood_dbus_endpoint_get_lease_queue (endpoint) == want->queue;
}

static gboolean
leased (gpointer data)
{
  OodDbusEndpoint *endpoint = ood_service_fixture_get_endpoint (data, 0);

  return g_strcmp0 (ood_dbus_endpoint_get_lease (endpoint), "/") != 0;
}

static char *
communicate (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* leases lists the lease held and the caller waiting for it, as text and
 * JSON; lease --wait waits for it. */
static void
test_leases (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autoptr(GSubprocess) holder = NULL, waiter = NULL;
  g_autoptr(JsonArray) listed = NULL;
  g_autofree char *none = NULL, *none_json = NULL, *text = NULL, *json = NULL;
  g_autofree char *waited = NULL;
  LeaseQueue one = { fixture, 1 };
  JsonObject *lease;

  none = ctl_ok (fixture, "leases");
  g_assert_cmpstr (none, ==, "ENDPOINT     UID    NAME       SINCE               QUEUE REASON\n");
  none_json = ctl_ok (fixture, "leases", "--json");
  g_assert_cmpstr (none_json, ==, "[]\n");

  /* cat holds the lease until the test closes its stdin */
  holder = ctl_spawn (fixture, G_SUBPROCESS_FLAGS_STDIN_PIPE,
                      (const char *const[]) { "lease", "--reason", "nightly test run",
                                              "default", "--", "cat", NULL });
  g_assert_true (ood_test_wait_for (leased, fixture, WAIT_MS));
  waiter = ctl_spawn (fixture, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                      (const char *const[]) { "lease", "--wait", "60", "default", "--", "echo",
                                              "got it", NULL });
  g_assert_true (ood_test_wait_for (lease_queue_is, &one, WAIT_MS));

  json = ctl_ok (fixture, "leases", "--json");
  listed = parse_array (json);
  g_assert_cmpuint (json_array_get_length (listed), ==, 1);
  lease = json_array_get_object_element (listed, 0);
  g_assert_cmpstr (get_string (lease, "endpoint"), ==, "default");
  g_assert_cmpstr (get_string (lease, "endpoint_path"), ==, "/org/openocd/default");
  g_assert_cmpint (get_int (lease, "holder_uid"), ==, getuid ());
  g_assert_true (g_str_has_prefix (get_string (lease, "holder_name"), ":1."));
  g_assert_cmpstr (get_string (lease, "reason"), ==, "nightly test run");
  g_assert_cmpint (get_int (lease, "since"), >, 0);
  g_assert_cmpint (get_int (lease, "queue"), ==, 1);
  g_assert_true (g_str_has_prefix (get_string (lease, "path"), "/org/openocd/leases/"));

  text = ctl_ok (fixture, "leases");
  {
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
    g_autofree char *uid = g_strdup_printf ("%-6u", getuid ());

    g_assert_cmpuint (g_strv_length (lines), ==, 3);
    g_assert_true (g_str_has_prefix (lines[1], "default      "));
    g_assert_nonnull (strstr (lines[1], uid));
    g_assert_nonnull (strstr (lines[1], get_string (lease, "holder_name")));
    g_assert_true (g_str_has_suffix (lines[1], " 1     nightly test run"));
  }

  g_output_stream_close (g_subprocess_get_stdin_pipe (holder), NULL, NULL);
  g_assert_true (g_subprocess_wait (holder, NULL, NULL));
  g_assert_cmpint (exit_status_of (holder), ==, 0);
  waited = communicate (waiter);
  g_assert_cmpint (exit_status_of (waiter), ==, 0);
  g_assert_cmpstr (waited, ==, "got it\n");
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* rtt                                                                 */

static OodServiceFixture *
rtt_fixture_new (void)
{
  OodServiceOptions options = {
    .image_path = ood_test_rtt_firmware_path (),
  };
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (&options, &error);

  g_assert_no_error (error);
  return fixture;
}

/* Skips lines until one that has @needle; returns it. */
static char *
monitor_wait_line (Monitor *monitor, const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + MONITOR_WAIT_US;

  while (g_get_monotonic_time () < deadline)
    {
      char *line = monitor_next_line (monitor);

      if (strstr (line, needle) != NULL)
        return line;
      g_free (line);
    }
  g_error ("no line with '%s' within the deadline", needle);
  return NULL;
}

/* rtt starts RTT where told, prints the ticks as the firmware writes them,
 * and sends stdin to the firmware, which echoes it; SIGTERM ends it with
 * status 0. */
static void
test_rtt (void)
{
  g_autoptr(OodServiceFixture) fixture = rtt_fixture_new ();
  Monitor rtt = { 0 };
  g_autoptr(GError) error = NULL;
  guint previous = 0;
  GOutputStream *in;

  monitor_start_args (&rtt, fixture, G_SUBPROCESS_FLAGS_STDIN_PIPE,
                      (const char *const[]) { "rtt", "--address", "0x80010000", "--size", "64",
                                              NULL });
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *line = monitor_wait_line (&rtt, "tick ");
      guint n;

      g_assert_cmpint (sscanf (line, "tick %u", &n), ==, 1);
      g_assert_true (i == 0 || n == previous + 1);
      previous = n;
    }
  in = g_subprocess_get_stdin_pipe (rtt.process);
  g_assert_true (g_output_stream_write_all (in, "echo me\n", 8, NULL, NULL, &error));
  g_assert_no_error (error);
  g_free (monitor_wait_line (&rtt, "echo me"));
  g_assert_cmpint (monitor_stop (&rtt), ==, 0);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* rtt --json: a JSON line per line of text on channel 0; channel 1's
 * binary records as hex; RTT already runs, so no --address is needed. */
static void
test_rtt_json (void)
{
  g_autoptr(OodServiceFixture) fixture = rtt_fixture_new ();
  Monitor text = { 0 }, binary = { 0 };
  g_autoptr(JsonObject) tick = NULL;
  g_autoptr(JsonObject) records = NULL;
  guint n;
  char end;

  monitor_start_args (&text, fixture, G_SUBPROCESS_FLAGS_NONE,
                      (const char *const[]) { "rtt", "--json", "--read-only", "--address",
                                              "0x80010000", "--size", "64", NULL });
  /* the first line may be the end of one written before */
  g_free (monitor_wait_line (&text, "\\n\"}"));
  tick = monitor_next (&text);
  g_assert_cmpint (get_int (tick, "channel"), ==, 0);
  g_assert_cmpint (sscanf (get_string (tick, "text"), "tick %u%c", &n, &end), ==, 2);
  g_assert_cmpint (end, ==, '\n');
  g_assert_cmpint (monitor_stop (&text), ==, 0);

  monitor_start_args (&binary, fixture, G_SUBPROCESS_FLAGS_NONE,
                      (const char *const[]) { "rtt", "1", "--json", NULL });
  records = monitor_next (&binary);
  g_assert_cmpint (get_int (records, "channel"), ==, 1);
  g_assert_false (json_object_has_member (records, "text"));
  /* the records' magic, "RTTB" */
  g_assert_nonnull (strstr (get_string (records, "hex"), "52545442"));
  g_assert_cmpint (monitor_stop (&binary), ==, 0);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* rtt without RTT running and no --address says what to give; --address
 * without --size is bad usage; a channel the target lacks is NotFound. */
static void
test_rtt_errors (void)
{
  g_autoptr(OodServiceFixture) fixture = rtt_fixture_new ();
  g_autoptr(CtlRun) unset = ctl_run (fixture, "rtt");
  g_autoptr(CtlRun) half = ctl_run (fixture, "rtt", "--address", "0x80010000");
  g_autoptr(CtlRun) none = ctl_run (fixture, "rtt", "5", "--json", "--address", "0x80010000",
                                    "--size", "64");

  assert_failed (unset, 1, "give --address and --size");
  assert_failed (half, 2, "--address and --size go together");
  assert_failed (none, 1, "\"org.openocd.Error.NotFound\"");
  g_assert_nonnull (strstr (none->err, "no RTT up-buffer 5"));
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* raw, adapter, taps, mem search, periph                              */

/* raw word of @register at @offset of the flash controller, as raw Tcl reads it */
static guint64
raw_word (OodServiceFixture *fixture, guint64 address)
{
  g_autofree char *command = g_strdup_printf ("read_memory 0x%" G_GINT64_MODIFIER "x 32 1",
                                              address);
  g_autofree char *value = raw_tcl (fixture, command);

  return g_ascii_strtoull (value, NULL, 16);
}

/* The object of @array whose @member is @value. */
static JsonObject *
find_object (JsonArray *array, const char *member, const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (object, member, NULL), value) == 0)
        return object;
    }
  g_error ("no object with %s '%s'", member, value);
}

/* periph FLASH: every readable register, as raw Tcl reads it, decoded */
static void
check_periph (OodServiceFixture *fixture)
{
  g_autoptr(JsonNode) node = ctl_json_ok (fixture, "periph", "--svd", OOD_SIM_SVD, "FLASH");
  g_autoptr(JsonNode) idcode = ctl_json_ok (fixture, "periph", "--svd", OOD_SIM_SVD,
                                            "dbgmcu.idcode");
  g_autoptr(JsonNode) list = ctl_json_ok (fixture, "periph", "--svd", OOD_SIM_SVD);
  g_autofree char *text = ctl_ok (fixture, "periph", "--svd", OOD_SIM_SVD, "FLASH.CR");
  g_autoptr(CtlRun) unknown = ctl_run (fixture, "periph", "--svd", OOD_SIM_SVD, "FLASH.NOPE");
  g_autoptr(CtlRun) write_only = ctl_run (fixture, "periph", "--svd", OOD_SIM_SVD, "FLASH.KEYR");
  static const char *const readable[] = { "ACR", "SR", "CR", "OBR", "WRPR" };
  static const guint offsets[] = { 0x00, 0x0c, 0x10, 0x1c, 0x20 };
  JsonArray *registers = json_node_get_array (node);
  JsonObject *cr, *lock, *id;
  guint64 cr_value;
  g_autofree char *head = NULL;

  g_assert_cmpuint (json_array_get_length (registers), ==, G_N_ELEMENTS (readable));
  for (gsize i = 0; i < G_N_ELEMENTS (readable); i++)
    {
      JsonObject *reg = json_array_get_object_element (registers, (guint) i);
      g_assert_cmpstr (get_string (reg, "register"), ==, readable[i]);
      g_assert_cmpint (get_int (reg, "address"), ==, 0x40022000 + offsets[i]);
      g_assert_cmpuint ((guint64) get_int (reg, "value"), ==, raw_word (fixture, 0x40022000 + offsets[i]));
    }
  cr = json_array_get_object_element (registers, 2);
  cr_value = (guint64) get_int (cr, "value");
  lock = find_object (json_object_get_array_member (cr, "fields"), "name", "LOCK");
  g_assert_cmpint (get_int (lock, "lsb"), ==, 7);
  g_assert_cmpuint ((guint64) get_int (lock, "value"), ==, (cr_value >> 7) & 1);
  g_assert_cmpstr (get_string (lock, "enum"), ==, (cr_value >> 7) & 1 ? "Locked" : "Unlocked");
  /* the board's identity, field by field */
  id = json_array_get_object_element (json_node_get_array (idcode), 0);
  g_assert_cmpint (get_int (id, "value"), ==, 0x19060410);
  g_assert_cmpint (get_int (find_object (json_object_get_array_member (id, "fields"), "name",
                                         "DEV_ID"), "value"), ==, 0x410);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 2);
  head = g_strdup_printf ("FLASH.CR @ 0x40022010 = 0x%08" G_GINT64_MODIFIER "x\n", cr_value);
  g_assert_true (g_str_has_prefix (text, head));
  g_assert_nonnull (strstr (text, (cr_value >> 7) & 1 ? "  [7]      LOCK         1 (Locked)\n"
                                                      : "  [7]      LOCK         0 (Unlocked)\n"));
  assert_failed (unknown, 2, "NOPE");
  assert_failed (write_only, 2, "write-only");
}

/* raw, adapter, taps and mem search against raw Tcl; periph by the
 * board's SVD */
static void
test_parity (void)
{
  const char *const raw_args[] = { "--allow-raw-commands", NULL };
  OodServiceOptions options = { .extra_args = raw_args };
  g_autoptr(OodServiceFixture) fixture = fixture_new_full (&options);
  g_autofree char *targets = NULL, *ref = NULL, *adapter = NULL, *taps = NULL, *hits = NULL;
  g_autoptr(JsonNode) raw = NULL, info = NULL, tap_list = NULL, found = NULL;
  g_autoptr(CtlRun) failed = NULL, speed = NULL;
  JsonObject *tap;

  targets = ctl_ok (fixture, "raw", "targets");
  ref = raw_tcl (fixture, "capture targets");
  g_assert_true (g_str_has_suffix (targets, "\n"));
  g_assert_cmpstr (g_strstrip (targets), ==, ref);   /* the helper strips its answers */
  raw = ctl_json_ok_impl (ctl_run (fixture, "raw", "--json", "--", "set", "x", "[expr {6 * 7}]"));
  g_assert_cmpstr (get_string (json_node_get_object (raw), "output"), ==, "42");
  g_assert_cmpstr (get_string (json_node_get_object (raw), "command"), ==, "set x [expr {6 * 7}]");
  failed = ctl_run (fixture, "raw", "no_such_command", "--json");
  assert_json_error (failed, 1, "org.openocd.Error.Target");

  adapter = ctl_ok (fixture, "adapter");
  g_assert_cmpstr (adapter, ==, "adapter: remote_bitbang, transport: jtag, speed (kHz): unknown\n");
  info = ctl_json_ok (fixture, "adapter");
  g_assert_cmpstr (get_string (json_node_get_object (info), "transport"), ==, "jtag");
  g_assert_cmpint (get_int (json_node_get_object (info), "speed_khz"), ==, 0);
  speed = ctl_run (fixture, "adapter", "speed", "500", "--json");
  assert_json_error (speed, 1, "org.openocd.Error.Target");

  taps = ctl_ok (fixture, "taps");
  g_assert_nonnull (strstr (taps, "riscvsim.cpu             yes      0x10e31913 0x10e31913 5"));
  tap_list = ctl_json_ok (fixture, "taps");
  tap = json_array_get_object_element (json_node_get_array (tap_list), 0);
  g_assert_cmpint (get_int (tap, "idcode"), ==, 0x10e31913);
  g_assert_true (get_bool (tap, "enabled"));

  g_free (raw_tcl (fixture, "write_memory 0x80020ffe 8 {0xde 0xad 0xbe 0xef 0x5a}"));
  hits = ctl_ok (fixture, "mem", "search", SCRATCH_STR, "8192", "deadbeef5a");
  g_assert_cmpstr (hits, ==, "0x80020ffe\n");
  found = ctl_json_ok (fixture, "mem", "search", SCRATCH_STR, "8192", "DEADBEEF5A", "--max", "1");
  g_assert_cmpint (get_int (json_array_get_object_element (json_node_get_array (found), 0),
                            "address"), ==, SCRATCH + 4094);

  check_periph (fixture);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* ------------------------------------------------------------------ */
/* What a new user tripped over (issue 28)                             */

/* The Operation property of the job at @path (an ended job lingers). */
static char *
job_operation (OodServiceFixture *fixture, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant)
          reply = g_dbus_connection_call_sync (ood_service_fixture_get_bus (fixture), "org.openocd",
                                               path, "org.freedesktop.DBus.Properties", "Get",
                                               g_variant_new ("(ss)", "org.openocd.Job",
                                                              "Operation"),
                                               G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                               WAIT_MS, NULL, &error);

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

/* A job's --json output @out: its progress lines, its record's action and
 * the job's own Operation all say @operation. */
static void
assert_one_name (OodServiceFixture *fixture, const char *out, const char *operation,
                 const char *const *phases)
{
  g_autoptr(JsonObject) record = check_job_lines (out, operation, phases);
  g_autofree char *job = job_operation (fixture, get_string (record, "job"));

  g_assert_cmpstr (get_string (record, "action"), ==, operation);
  g_assert_cmpstr (job, ==, operation);
}

/* program, load, flash erase and flash verify: one name per operation,
 * the Job's, in the progress, the record and the text. */
static void
test_operation_names (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  g_autoptr(GBytes) image = ood_test_random_flash_image (4 * SECTOR);
  g_autoptr(GBytes) code = g_bytes_new (ram_program, sizeof ram_program);
  g_autofree char *file = ood_test_save_bytes (dir, "image.bin", image);
  g_autofree char *ram = ood_test_save_bytes (dir, "prog.img", code);
  g_autofree char *program = NULL, *verify = NULL, *erase = NULL, *load = NULL;
  g_autoptr(CtlRun) text = NULL;
  const char *const erasing[] = { "erasing", NULL };
  const char *const verifying[] = { "verifying", NULL };
  const char *const loading[] = { "writing", "verifying", NULL };

  program = ctl_ok (fixture, "program", file, "--reset", "halt", "--json");
  assert_one_name (fixture, program, "program", program_phases);
  verify = ctl_ok (fixture, "flash", "verify", file, "--json");
  assert_one_name (fixture, verify, "verify", verifying);
  erase = ctl_ok (fixture, "flash", "erase", "0", "0", "1", "--json");
  assert_one_name (fixture, erase, "erase", erasing);
  ctl_state_json (fixture, "halt", "halted");
  load = ctl_ok (fixture, "load", ram, "0x80004000", "--json");
  assert_one_name (fixture, load, "load", loading);

  /* and in text: the phase lines and the result */
  text = ctl_run (fixture, "flash", "erase", "0", "2", "3");
  g_assert_cmpint (text->status, ==, 0);
  g_assert_cmpstr (text->out, ==, "erase: succeeded bytes=2048\n");
  g_assert_cmpstr (text->err, ==, "openocdctl: erase: erasing\n");

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Every --json object about a target's state, and mem read's, names its endpoint. */
static void
test_json_endpoint (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree char *timeout = g_strdup_printf ("%d", WAIT_MS);
  const char *const *commands[] = {
    (const char *const[]){ "halt", "--json", NULL },
    (const char *const[]){ "state", "--json", NULL },
    (const char *const[]){ "step", "--json", NULL },
    (const char *const[]){ "wait-halt", "--timeout", timeout, "--json", NULL },
    (const char *const[]){ "mem", "read", "0x80000000", "8", "--json", NULL },
    (const char *const[]){ "mem", "read", "0x80000000", "2", "--width", "32", "--json", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(CtlRun)
                     run = ctl_runv (ood_service_fixture_get_bus_address (fixture), commands[i]);
      g_autoptr(JsonNode) node = ctl_json_ok_impl (g_steal_pointer (&run));
      JsonObject *object = json_node_get_object (node);

      g_assert_cmpstr (get_string (object, "endpoint"), ==, "default");
      g_assert_cmpstr (get_string (object, "name"), ==, "riscv.cpu");
    }

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* The fractions of program's progress have 1 to 4 digits after the point,
 * and some lie between 0 and 1. */
static void
test_fraction_digits (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  char *dir = tmpdir_new ();
  /* a size whose shares are no short binary fractions */
  g_autoptr(GBytes) image = ood_test_random_flash_image (3 * 4 * 1000);
  g_autofree char *file = ood_test_save_bytes (dir, "image.bin", image);
  g_autofree char *out = ctl_ok (fixture, "program", file, "--json");
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autoptr(GRegex) fraction = g_regex_new ("\"fraction\":([^,}]*)", 0, 0, NULL);
  guint between = 0, seen = 0;

  for (guint i = 0; lines[i] != NULL && g_str_has_prefix (lines[i], "{\"progress\":"); i++)
    {
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *number = NULL;
      double value;

      g_assert_true (g_regex_match (fraction, lines[i], 0, &match));
      number = g_match_info_fetch (match, 1);
      if (!g_regex_match_simple ("^[01]\\.[0-9]{1,4}$", number, 0, 0))
        g_error ("fraction %s has more than 4 digits after the point", number);
      value = g_ascii_strtod (number, NULL);
      between += value > 0.0 && value < 1.0;
      seen++;
    }
  g_assert_cmpuint (seen, >=, 2);
  g_assert_cmpuint (between, >=, 1);

  tmpdir_free (dir);
  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Each command's own options (long names), besides --help. */
static const struct {
  const char *command;
  const char *options;
} command_options[] = {
  { "list", "json" },
  { "endpoints", "json" },
  { "endpoint", "address exec shared-dir lines json" },
  { "probes", "json" },
  { "state", "target json" },
  { "halt", "target json" },
  { "resume", "target json" },
  { "step", "target json" },
  { "reset", "target json" },
  { "wait-halt", "timeout target json" },
  { "monitor", "target json" },
  { "bp", "length hw sw target json" },
  { "wp", "target json" },
  { "reg", "target json" },
  { "mem", "max width target json" },
  { "program", "format address no-verify reset target json" },
  { "load", "format no-verify target json" },
  { "flash", "format address target json" },
  { "lease", "wait reason json" },
  { "leases", "json" },
  { "rtt", "address size id read-only target json" },
  { "raw", "endpoint json" },
  { "adapter", "endpoint json" },
  { "periph", "svd target json" },
  { "taps", "endpoint json" },
};

/* The long names of the options in @help's section @heading, space-separated. */
static char *
help_section_options (const char *help, const char *heading)
{
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(GRegex) option = g_regex_new ("^  (?:-[a-zA-Z], )?--([a-z-]+)", 0, 0, NULL);
  const char *start = strstr (help, heading);
  g_auto(GStrv) lines = NULL;

  g_assert_nonnull (start);
  lines = g_strsplit (start + 1, "\n", -1); /* lines[0] is the heading */
  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *name = NULL;

      g_assert_true (g_regex_match (option, lines[i], 0, &match));
      name = g_match_info_fetch (match, 1);
      g_string_append_printf (names, "%s%s", names->len ? " " : "", name);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* Every command's --help lists its own options, -t only if it acts on a
 * target, and the bus options; a command that acts on none refuses -t. */
static void
test_help_options (void)
{
  const char *address = "unix:path=/nonexistent";
  g_autoptr(CtlRun) main_help = ctl_runv (address, (const char *const[]){ "--help", NULL });
  g_autoptr(CtlRun) refused = NULL;
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
  const char *commands = strstr (main_help->out, "\nCommands:\n");
  g_autofree char *section = NULL;
  g_auto(GStrv) lines = NULL;

  /* the table covers every command --help lists */
  g_assert_nonnull (commands);
  section = g_strndup (commands + 1, strstr (commands, "\n\n") - commands - 1);
  lines = g_strsplit (section, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "  ") && g_ascii_islower (lines[i][2]))
      g_ptr_array_add (listed, g_strndup (lines[i] + 2, strcspn (lines[i] + 2, " ")));
  for (gsize i = 0; i < G_N_ELEMENTS (command_options); i++)
    {
      g_autoptr(CtlRun) run = ctl_runv (address, (const char *const[]){ command_options[i].command,
                                                                         "--help", NULL });
      g_autofree char *own = NULL, *bus = NULL;

      g_assert_cmpint (run->status, ==, 0);
      own = help_section_options (run->out, "\nApplication Options:\n");
      bus = help_section_options (run->out, "\nBus options (before the command):\n");
      g_test_message ("%s: %s; bus: %s", command_options[i].command, own, bus);
      g_assert_cmpstr (own, ==, command_options[i].options);
      g_assert_cmpstr (bus, ==, "system session address");
      g_assert_true (
          g_ptr_array_find_with_equal_func (listed, command_options[i].command, g_str_equal, NULL));
    }
  g_assert_cmpuint (listed->len, >=, G_N_ELEMENTS (command_options));
  for (guint i = 0; i < listed->len; i++)
    {
      gboolean known = FALSE;

      for (gsize j = 0; j < G_N_ELEMENTS (command_options); j++)
        known |= g_str_equal (listed->pdata[i], command_options[j].command);
      if (!known)
        g_error ("command %s is not in command_options", (char *) listed->pdata[i]);
    }
  refused = ctl_runv (address, (const char *const[]){ "-t", "riscv.cpu", "endpoints", NULL });
  assert_failed (refused, 2, "-t does not go with 'endpoints'");
}

/* mem read and write --width: ReadWords and WriteWords, cross-checked
 * against raw read_memory. */
static guint64 *
raw_words (OodServiceFixture *fixture, guint64 address, guint width, guint count)
{
  g_autofree char *command = g_strdup_printf ("read_memory 0x%" G_GINT64_MODIFIER "x %u %u",
                                              address, width, count);
  g_autofree char *reply = raw_tcl (fixture, command);
  g_auto(GStrv) words = g_strsplit (g_strstrip (reply), " ", -1);
  guint64 *values = g_new0 (guint64, count);

  g_assert_cmpuint (g_strv_length (words), ==, count);
  for (guint i = 0; i < count; i++)
    values[i] = g_ascii_strtoull (words[i], NULL, 16);
  return values;
}

static void
test_mem_words (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  g_autofree guint64 *program = NULL, *written = NULL, *halves = NULL;
  g_autofree char *text = NULL, *expected = NULL, *quiet = NULL, *short_text = NULL;
  g_autoptr(CtlRun) wide = NULL, dump = NULL, odd = NULL, unaligned = NULL;

  ctl_state_json (fixture, "halt", "halted");
  /* the program's first 6 words, in JSON and as text */
  program = raw_words (fixture, RAM_START, 32, 6);
  {
    g_autoptr(JsonNode)
                   node = ctl_json_ok (fixture, "mem", "read", "0x80000000", "6", "--width", "32");
    JsonObject *object = json_node_get_object (node);
    JsonArray *values = json_node_get_array (get_member (object, "values", JSON_TYPE_ARRAY));

    g_assert_cmpint (get_int (object, "address"), ==, RAM_START);
    g_assert_cmpint (get_int (object, "width"), ==, 32);
    g_assert_cmpint (get_int (object, "count"), ==, 6);
    g_assert_cmpuint (json_array_get_length (values), ==, 6);
    for (guint i = 0; i < 6; i++)
      g_assert_cmphex ((guint64) json_array_get_int_element (values, i), ==, program[i]);
  }
  text = ctl_ok (fixture, "mem", "read", "0x80000000", "6", "--width", "32");
  expected = g_strdup_printf ("80000000: %08" G_GINT64_MODIFIER "x %08" G_GINT64_MODIFIER
                              "x %08" G_GINT64_MODIFIER "x %08" G_GINT64_MODIFIER "x\n"
                              "80000010: %08" G_GINT64_MODIFIER "x %08" G_GINT64_MODIFIER "x\n",
                              program[0], program[1], program[2], program[3], program[4],
                              program[5]);
  g_assert_cmpstr (text, ==, expected);

  /* words written are the words OpenOCD reads, at 32 and 16 bits */
  quiet = ctl_ok (fixture, "mem", "write", SCRATCH_STR, "0x11223344", "0xdeadbeef", "--width",
                  "32");
  g_assert_cmpstr (quiet, ==, "");
  written = raw_words (fixture, SCRATCH, 32, 2);
  g_assert_cmphex (written[0], ==, 0x11223344);
  g_assert_cmphex (written[1], ==, 0xdeadbeef);
  {
    g_autoptr(JsonNode) node = ctl_json_ok (fixture, "mem", "write", "0x80020008", "0xa1b2",
                                             "0xc3d4", "0xe5f6", "--width", "16");
    JsonObject *object = done_object (node, "mem-write");

    g_assert_cmpint (get_int (object, "width"), ==, 16);
    g_assert_cmpint (get_int (object, "count"), ==, 3);
    g_assert_cmpint (get_int (object, "length"), ==, 6);
  }
  halves = raw_words (fixture, SCRATCH + 8, 16, 3);
  g_assert_cmphex (halves[0], ==, 0xa1b2);
  g_assert_cmphex (halves[2], ==, 0xe5f6);
  short_text = ctl_ok (fixture, "mem", "read", "0x80020008", "3", "--width", "16");
  g_assert_cmpstr (short_text, ==, "80020008: a1b2 c3d4 e5f6\n");

  wide = ctl_run (fixture, "mem", "write", SCRATCH_STR, "0x1ffff", "--width", "16");
  assert_failed (wide, 2, "0x1ffff");
  dump = ctl_run (fixture, "mem", "dump", SCRATCH_STR, "4", "/dev/null", "--width", "32");
  assert_failed (dump, 2, "--width only goes with");
  odd = ctl_run (fixture, "mem", "read", SCRATCH_STR, "--width", "12");
  assert_failed (odd, 2, "8, 16, 32 or 64");
  unaligned = ctl_run (fixture, "mem", "read", "0x80020002", "1", "--width", "32", "--json");
  assert_json_error (unaligned, 1, "org.freedesktop.DBus.Error.InvalidArgs");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/list", test_list);
  g_test_add_func ("/client/endpoints", test_endpoints);
  g_test_add_func ("/client/halt-state", test_halt_state);
  g_test_add_func ("/client/step", test_step);
  g_test_add_func ("/client/resume", test_resume);
  g_test_add_func ("/client/reset", test_reset);
  g_test_add_func ("/client/wait-halt", test_wait_halt);
  g_test_add_func ("/client/step-running", test_step_running);
  g_test_add_func ("/client/bp", test_bp);
  g_test_add_func ("/client/wp", test_wp);
  g_test_add_func ("/client/harts", test_harts);
  g_test_add_func ("/client/workflow", test_workflow);
  g_test_add_func ("/client/monitor", test_monitor);
  g_test_add_func ("/client/no-such-target", test_no_such_target);
  g_test_add_func ("/client/usage", test_usage);
  g_test_add_func ("/client/not-running", test_not_running);
  g_test_add_func ("/client/json-commands", test_json_commands);
  g_test_add_func ("/client/json-errors", test_json_errors);
  g_test_add_func ("/client/json-usage", test_json_usage);
  g_test_add_func ("/client/json-not-running", test_json_not_running);
  g_test_add_func ("/client/help", test_help);
  g_test_add_func ("/client/reg", test_reg);
  g_test_add_func ("/client/mem-read-write", test_mem_read_write);
  g_test_add_func ("/client/mem-dump", test_mem_dump);
  g_test_add_func ("/client/mem-load", test_mem_load);
  g_test_add_func ("/client/program", test_program);
  g_test_add_func ("/client/program-fail", test_program_fail);
  g_test_add_func ("/client/program-cancel", test_program_cancel);
  g_test_add_func ("/client/load", test_load);
  g_test_add_func ("/client/flash", test_flash);
  g_test_add_func ("/client/flash-protect", test_flash_protect);
  g_test_add_func ("/client/endpoint-exec", test_endpoint_exec);
  g_test_add_func ("/client/endpoint-address", test_endpoint_address);
  g_test_add_func ("/client/endpoints-supervised", test_endpoints_supervised);
  g_test_add_func ("/client/endpoint-errors", test_endpoint_errors);
  g_test_add_func ("/client/probes", test_probes);
  g_test_add_func ("/client/list-gdb", test_list_gdb);
  g_test_add_func ("/client/monitor-endpoints", test_monitor_endpoints);
  g_test_add_func ("/client/probes-plugged", test_probes_plugged);
  g_test_add_func ("/client/lease", test_lease);
  g_test_add_func ("/client/leases", test_leases);
  g_test_add_func ("/client/rtt", test_rtt);
  g_test_add_func ("/client/rtt-json", test_rtt_json);
  g_test_add_func ("/client/rtt-errors", test_rtt_errors);
  g_test_add_func ("/client/parity", test_parity);
  g_test_add_func ("/client/operation-names", test_operation_names);
  g_test_add_func ("/client/json-endpoint", test_json_endpoint);
  g_test_add_func ("/client/fraction-digits", test_fraction_digits);
  g_test_add_func ("/client/help-options", test_help_options);
  g_test_add_func ("/client/mem-words", test_mem_words);
  return g_test_run ();
}
