/* SPDX-License-Identifier: MIT */
/*
 * End-to-end tests of openocdctl: the real client binary, run as a
 * subprocess with --address, against the real daemon on a private bus in
 * front of a real OpenOCD and the simulated RISC-V board.
 *
 * The simulated board's default program (tests/sim/default-program.c):
 *   0x80000000 lui sp        0x80000010 addi s0, a0, 0
 *   0x80000004 addi s0       0x80000014 lui t0
 *   0x80000008 loop: addi a0 0x80000018 sw s0, 0(t0)
 *   0x8000000c jal ra, inc   0x8000001c jal zero, loop
 *   0x80000020 inc: addi a0  0x80000024 jalr zero, 0(ra)
 */
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "ood-service-fixture.h"
#include "ood-state.h"

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
fixture_new (gboolean no_service)
{
  OodServiceOptions options = { .no_service = no_service };
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (&options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (fixture);
  return fixture;
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
  g_assert_true (g_regex_match_simple ("^ENDPOINT +NAME +TYPE +STATE +PC$", lines[0], 0, 0));
  g_assert_true (g_regex_match_simple ("^default +riscv\\.cpu +riscv +[a-z-]+ +(-|0x[0-9a-f]+)$",
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

  human = ctl_ok (fixture, "endpoints");
  g_assert_true (g_regex_match_simple ("^NAME +ADDRESS +CONNECTED +VERSION\n", human, 0, 0));
  row = g_strdup_printf ("\ndefault +%s +yes +Open On-Chip Debugger", address);
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
  g_assert_cmpstr (human, ==, "0x80000010 length=4 hw\n");
  g_free (ctl_ok (fixture, "bp", "remove", "0x80000010"));
  empty = ctl_ok (fixture, "bp", "list");
  g_assert_cmpstr (empty, ==, "");

  /* The removed breakpoint no longer stops the loop. */
  g_free (ctl_ok (fixture, "resume"));
  after = ctl_run (fixture, "wait-halt", "--timeout", "1000");
  assert_failed (after, 1, "Timeout");
  ctl_state_json (fixture, "state", "running");

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

static void
monitor_start (Monitor *monitor, OodServiceFixture *fixture)
{
  g_autoptr(GError) error = NULL;

  monitor->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                       ctl_path (), "--address",
                                       ood_service_fixture_get_bus_address (fixture),
                                       "monitor", "--json", NULL);
  g_assert_no_error (error);
  monitor->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor->process));
  monitor->queue = g_async_queue_new_full (g_free);
  monitor->thread = g_thread_new ("monitor-reader", monitor_reader, monitor);
}

/* The next line within the deadline; fails the test at EOF or timeout. */
static JsonObject *
monitor_next (Monitor *monitor)
{
  g_autofree char *line = g_async_queue_timeout_pop (monitor->queue, MONITOR_WAIT_US);

  g_assert_nonnull (line);
  g_test_message ("monitor: %s", line);
  g_assert_cmpstr (line, !=, "");
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
  const char *const commands[] = { "list", "endpoints", "state", "halt" };

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
  assert_json_error (remove, 1, "org.freedesktop.DBus.Error.InvalidArgs");

  g_assert_cmpint (ood_service_fixture_stop_service (fixture), ==, 0);
}

/* Usage errors: a JSON error on stderr, exit status 2, nothing sent. */
static void
test_json_usage (void)
{
  g_autoptr(OodServiceFixture) fixture = fixture_new (FALSE);
  const char *const cases[][4] = {
    { "resume", "0xZZ", "--json", NULL },
    { "--json", "frobnicate", NULL },
    { "frobnicate", "--json", NULL },    /* --json after an unknown command */
    { "state", "extra", "--json", NULL },
    { "reset", "bogus", "--json", NULL },
    { "bp", "add", "--json", NULL },
    { "list", "--bogus", "--json", NULL },
    { "--json", NULL },                   /* no command */
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
  const char *const commands[] = { "list", "endpoints", "state", "halt", "resume", "reset" };

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
  return g_test_run ();
}
