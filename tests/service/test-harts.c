/* SPDX-License-Identifier: MIT */
/* Two targets on one OpenOCD: the simulated board with two harts
 * (tests/sim --harts 2), as two independent targets and as one SMP group.
 * OpenOCD's notifications name no target, yet each object must show its
 * own target's state, always: every step is cross-checked against raw
 * Tcl on the same target, with the other target in the opposite state. */
#include <string.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-gdb.h"

#define PC_RESET 0x80000000u
#define PC_AFTER 0x80000010u   /* addi s0, a0, 0 */
#define COUNTER  0x80008000u   /* hart i's counter at COUNTER + 4 * i */
#define WAIT_MS  5000

static const char *const names[] = { "riscv.cpu", "riscv.cpu1" };

typedef struct {
  OodDbusTarget      *target;
  OodDbusBreakpoints *breakpoints;
  OodDbusRegisters   *registers;
  OodDbusMemory      *memory;
  guint               changes;  /* PropertiesChanged of its Target */
  GPtrArray          *events;   /* its TargetEvents */
} Hart;

/* The shared fixture (its target is hart 0's), and both harts. */
typedef struct {
  OodTestFixture base;
  Hart harts[2];
  guint id;
} HartsFixture;

static const OodServiceOptions independent = { .harts = 2 };
static const OodServiceOptions smp = { .harts = 2, .smp = TRUE };
static const OodServiceOptions with_gdb = { .harts = 2, .gdb = TRUE };

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path,
           const char *interface, const char *member, GVariant *parameters, gpointer user_data)
{
  HartsFixture *fx = user_data;
  const char *changed_iface = NULL;

  (void) connection;
  (void) sender;
  for (guint i = 0; i < G_N_ELEMENTS (fx->harts); i++)
    {
      Hart *h = &fx->harts[i];
      if (!g_str_equal (path, g_dbus_proxy_get_object_path (G_DBUS_PROXY (h->target))))
        continue;
      if (g_str_equal (member, "TargetEvent"))
        {
          const char *event = NULL;
          g_variant_get (parameters, "(&s)", &event);
          g_ptr_array_add (h->events, g_strdup (event));
        }
      else if (g_str_equal (member, "PropertiesChanged") &&
               (g_variant_get (parameters, "(&sa{sv}as)", &changed_iface, NULL, NULL),
                g_str_equal (changed_iface, "org.openocd.Target")))
        h->changes++;
      (void) interface;
    }
}

static void
harts_set_up (HartsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus;

  ood_test_fixture_set_up (&fx->base, options);
  bus = fx->base.bus;
  for (guint i = 0; i < G_N_ELEMENTS (fx->harts); i++)
    {
      g_autofree char *escaped = g_dbus_escape_object_path (names[i]);
      g_autofree char *path = g_strdup_printf ("/org/openocd/default/%s", escaped);
      Hart *h = &fx->harts[i];

      h->target = ood_dbus_target_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                                  path, NULL, &error);
      g_assert_no_error (error);
      h->breakpoints = ood_dbus_breakpoints_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE,
                                                            "org.openocd", path, NULL, &error);
      g_assert_no_error (error);
      h->registers = ood_dbus_registers_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE,
                                                        "org.openocd", path, NULL, &error);
      g_assert_no_error (error);
      h->memory = ood_dbus_memory_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                                  path, NULL, &error);
      g_assert_no_error (error);
      h->events = g_ptr_array_new_with_free_func (g_free);
      /* both objects exist: the property says which target it is */
      g_assert_cmpstr (ood_dbus_target_get_name (h->target), ==, names[i]);
    }
  fx->id = g_dbus_connection_signal_subscribe (bus, "org.openocd", NULL, NULL, NULL, NULL,
                                               G_DBUS_SIGNAL_FLAGS_NONE, on_signal, fx, NULL);
  g_assert_true (ood_dbus_target_call_state_sync (fx->harts[0].target, NULL, NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
}

static void
harts_tear_down (HartsFixture *fx, gconstpointer options)
{
  g_dbus_connection_signal_unsubscribe (fx->base.bus, fx->id);
  for (guint i = 0; i < G_N_ELEMENTS (fx->harts); i++)
    {
      g_object_unref (fx->harts[i].target);
      g_object_unref (fx->harts[i].breakpoints);
      g_object_unref (fx->harts[i].registers);
      g_object_unref (fx->harts[i].memory);
      g_ptr_array_unref (fx->harts[i].events);
    }
  ood_test_fixture_tear_down (&fx->base, options);
}

static char *
raw_tcl (HartsFixture *fx, const char *script)
{
  return ood_test_tcl_eval_on (fx->base.testbed, script);
}

static char *
raw_state (HartsFixture *fx, guint i)
{
  g_autofree char *script = g_strdup_printf ("%s curstate", names[i]);

  return raw_tcl (fx, script);
}

static guint64
raw_reg (HartsFixture *fx, guint i, const char *reg)
{
  g_autofree char *script = g_strdup_printf ("lindex [%s get_reg -force {%s}] 1", names[i], reg);
  g_autofree char *reply = raw_tcl (fx, script);

  return g_ascii_strtoull (reply, NULL, 16);
}

/* Hart @i's object and OpenOCD agree: state @state, and when halted the
 * PC OpenOCD reads from that hart. */
static void
assert_hart (HartsFixture *fx, guint i, const char *state)
{
  g_autofree char *raw = NULL;

  /* what came before the last reply first */
  ood_test_drain ();
  ood_test_wait_state (fx->harts[i].target, state, WAIT_MS);
  raw = raw_state (fx, i);
  g_assert_cmpstr (raw, ==, state);
  if (g_str_equal (state, OOD_STATE_HALTED))
    g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->harts[i].target), ==,
                      raw_reg (fx, i, "pc"));
  else
    g_assert_false (ood_dbus_target_get_current_pc_valid (fx->harts[i].target));
}

static guint64
read_reg (HartsFixture *fx, guint i, const char *name)
{
  g_autoptr(GError) error = NULL;
  guint64 value = 0;

  g_assert_true (ood_dbus_registers_call_read_sync (fx->harts[i].registers, name, &value, NULL,
                                                    &error));
  g_assert_no_error (error);
  return value;
}

static guint64
read_word (HartsFixture *fx, guint i, guint64 address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) values = NULL;
  guint64 value = 0;

  g_assert_true (ood_dbus_memory_call_read_words_sync (fx->harts[i].memory, address, 1, 32,
                                                       &values, NULL, &error));
  g_assert_no_error (error);
  g_variant_get_child (values, 0, "t", &value);
  return value;
}

/* Hart 0 halted, hart 1 running; then the other way round. */
static void
make_opposite (HartsFixture *fx, guint halted)
{
  guint running = 1 - halted;

  ood_test_halt (fx->harts[halted].target);
  if (g_strcmp0 (ood_dbus_target_get_state (fx->harts[running].target), OOD_STATE_RUNNING) != 0)
    ood_test_resume (fx->harts[running].target);
  assert_hart (fx, halted, OOD_STATE_HALTED);
  assert_hart (fx, running, OOD_STATE_RUNNING);
}

static gboolean
never (gpointer data)
{
  (void) data;
  return FALSE;
}

/* Two independent targets (-coreid 0 and 1): each object shows its own
 * hart whatever the other does; registers, memory, breakpoints and
 * WaitHalt are per hart. */
static void
test_independent (HartsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodTestPending waiting = { 0 };
  guint64 count0, count1, pc0;
  guint changes0;

  (void) options;
  /* the endpoint lists both */
  {
    OodDbusEndpoint *endpoint = fx->base.endpoint;
    const char *const *paths = ood_dbus_endpoint_get_targets (endpoint);

    g_assert_cmpuint (g_strv_length ((char **) paths), ==, 2);
  }

  for (guint halted = 0; halted < 2; halted++)
    {
      guint running = 1 - halted;
      g_autofree char *counter_raw = NULL;
      g_autofree char *script = NULL;

      make_opposite (fx, halted);
      /* registers and memory of the halted hart, against raw Tcl */
      g_assert_cmpuint (read_reg (fx, halted, "mhartid"), ==, halted);
      g_assert_cmpuint (read_reg (fx, halted, "pc"), ==, raw_reg (fx, halted, "pc"));
      script = g_strdup_printf ("read_memory 0x%x 32 1", COUNTER + 4 * halted);
      counter_raw = raw_tcl (fx, script);
      g_assert_cmpuint (read_word (fx, halted, COUNTER + 4 * halted), ==,
                        g_ascii_strtoull (counter_raw, NULL, 0));

      /* a step of the halted hart leaves the running one's object alone,
       * and its events go to the stepped one */
      ood_test_drain ();
      changes0 = fx->harts[running].changes;
      g_ptr_array_set_size (fx->harts[running].events, 0);
      g_ptr_array_set_size (fx->harts[halted].events, 0);
      pc0 = ood_test_step (fx->harts[halted].target);
      ood_test_wait_for (never, NULL, 200);
      ood_test_drain ();
      g_assert_true (ood_test_has_event (fx->harts[halted].events, "step-end"));
      g_assert_cmpuint (fx->harts[running].events->len, ==, 0);
      g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->harts[halted].target), ==, pc0);
      g_assert_cmpuint (pc0, ==, raw_reg (fx, halted, "pc"));
      g_assert_cmpuint (fx->harts[running].changes, ==, changes0);
      assert_hart (fx, running, OOD_STATE_RUNNING);
    }

  /* hart 1 halted from raw Tcl: its object only */
  make_opposite (fx, 0);
  ood_test_drain ();
  changes0 = fx->harts[0].changes;
  count1 = ood_dbus_target_get_halt_count (fx->harts[1].target);
  g_free (raw_tcl (fx, "targets riscv.cpu1; halt; targets riscv.cpu"));
  assert_hart (fx, 1, OOD_STATE_HALTED);
  ood_test_drain ();
  g_assert_cmpuint (ood_dbus_target_get_halt_count (fx->harts[1].target), ==, count1 + 1);
  g_assert_cmpstr (ood_dbus_target_get_halt_reason (fx->harts[1].target), ==, "external");
  g_assert_cmpuint (fx->harts[0].changes, ==, changes0);
  assert_hart (fx, 0, OOD_STATE_HALTED);

  /* WaitHalt on hart 1 is not woken by hart 0's halt */
  ood_test_resume (fx->harts[0].target);
  ood_test_resume (fx->harts[1].target);
  ood_dbus_target_call_wait_halt (fx->harts[1].target, 600000, NULL, ood_test_pending_done,
                                  &waiting);
  ood_test_halt (fx->harts[0].target);
  assert_hart (fx, 0, OOD_STATE_HALTED);
  g_assert_true (ood_dbus_target_call_state_sync (fx->harts[1].target, NULL, NULL, &error));
  ood_test_drain ();
  g_assert_false (waiting.done);
  assert_hart (fx, 1, OOD_STATE_RUNNING);
  ood_test_halt (fx->harts[1].target);
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &waiting, WAIT_MS));
  g_assert_no_error (waiting.error);
  ood_test_pending_clear (&waiting);

  /* a breakpoint on hart 1 stops hart 1, while hart 0 runs */
  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->harts[1].breakpoints, PC_AFTER, 4, "hw",
                                                     NULL, &error));
  g_assert_no_error (error);
  ood_test_resume (fx->harts[0].target);
  ood_test_resume (fx->harts[1].target);
  g_assert_true (ood_dbus_target_call_wait_halt_sync (fx->harts[1].target, WAIT_MS, NULL, NULL,
                                                      &error));
  g_assert_no_error (error);
  assert_hart (fx, 1, OOD_STATE_HALTED);
  g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->harts[1].target), ==, PC_AFTER);
  g_assert_cmpstr (ood_dbus_target_get_halt_reason (fx->harts[1].target), ==, "breakpoint");
  assert_hart (fx, 0, OOD_STATE_RUNNING);
  ood_test_drain ();
  g_assert_cmpuint (g_variant_n_children (
                        ood_dbus_breakpoints_get_breakpoints (fx->harts[1].breakpoints)), ==, 1);
  g_assert_cmpuint (g_variant_n_children (
                        ood_dbus_breakpoints_get_breakpoints (fx->harts[0].breakpoints)), ==, 0);
  g_assert_true (ood_dbus_breakpoints_call_remove_sync (fx->harts[1].breakpoints, PC_AFTER, NULL,
                                                        &error));
  g_assert_no_error (error);

  /* OpenOCD's reset resets both: each halts at the reset vector, once */
  count0 = ood_dbus_target_get_halt_count (fx->harts[0].target);
  count1 = ood_dbus_target_get_halt_count (fx->harts[1].target);
  g_assert_true (ood_dbus_target_call_reset_sync (fx->harts[1].target, "halt", NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      assert_hart (fx, i, OOD_STATE_HALTED);
      g_assert_cmpuint (ood_dbus_target_get_current_pc (fx->harts[i].target), ==, PC_RESET);
      g_assert_cmpstr (ood_dbus_target_get_halt_reason (fx->harts[i].target), ==, "reset");
    }
  g_assert_cmpuint (ood_dbus_target_get_halt_count (fx->harts[0].target), ==, count0 + 1);
  g_assert_cmpuint (ood_dbus_target_get_halt_count (fx->harts[1].target), ==, count1 + 1);
}

/* What hart @i's object has said in TargetEvents since it was last
 * cleared, for a message. */
static char *
events_text (HartsFixture *fx, guint i)
{
  GPtrArray *events = fx->harts[i].events;

  g_ptr_array_add (events, NULL);
  g_ptr_array_remove_index (events, events->len - 1);
  return g_strjoinv (" ", (char **) events->pdata);
}

/* Hart 0's object said @event, and hart 1's nothing: what hart 1's State()
 * answer came after is in, so is every event sent before it. */
static void
assert_events_on_hart0 (HartsFixture *fx, const char *event)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *said0 = NULL;
  g_autofree char *said1 = NULL;

  (void) ood_test_wait_event (fx->harts[0].events, event, WAIT_MS);
  g_assert_true (ood_dbus_target_call_state_sync (fx->harts[1].target, NULL, NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
  said0 = events_text (fx, 0);
  said1 = events_text (fx, 1);
  g_test_message ("hart 0 said \"%s\", hart 1 \"%s\"", said0, said1);
  g_assert_cmpstr (said1, ==, "");
  g_assert_true (ood_test_has_event (fx->harts[0].events, event));
  g_ptr_array_set_size (fx->harts[0].events, 0);
}

/* OpenOCD's notifications name no target: the events of what the service
 * did to hart 0 go to hart 0's object, never to hart 1's, also while hart
 * 1 is halted and the refresh that reads them finds that nothing changed
 * (a Resume from a breakpoint that runs onto it again: halted at the same
 * PC, as hart 1 is halted where it was); that halt is counted, once, as
 * hart 0's. A reset's events go to both: OpenOCD resets every target. */
static void
test_events (HartsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  (void) options;
  ood_test_halt (fx->harts[1].target);
  ood_test_halt (fx->harts[0].target);
  assert_hart (fx, 0, OOD_STATE_HALTED);
  assert_hart (fx, 1, OOD_STATE_HALTED);
  g_ptr_array_set_size (fx->harts[0].events, 0);
  g_ptr_array_set_size (fx->harts[1].events, 0);
  for (guint i = 0; i < 3; i++)
    {
      ood_test_step (fx->harts[0].target);
      assert_events_on_hart0 (fx, "halted");
    }
  ood_test_resume (fx->harts[0].target);
  assert_events_on_hart0 (fx, "resumed");
  ood_test_halt (fx->harts[0].target);
  assert_events_on_hart0 (fx, "halted");

  g_assert_true (ood_dbus_breakpoints_call_add_sync (fx->harts[0].breakpoints, PC_AFTER, 4, "hw",
                                                     NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      guint64 count0 = ood_dbus_target_get_halt_count (fx->harts[0].target);
      guint64 count1 = ood_dbus_target_get_halt_count (fx->harts[1].target);

      ood_test_resume (fx->harts[0].target);
      g_assert_true (
          ood_dbus_target_call_wait_halt_sync (fx->harts[0].target, WAIT_MS, NULL, NULL, &error));
      g_assert_no_error (error);
      assert_events_on_hart0 (fx, "halted");
      assert_hart (fx, 0, OOD_STATE_HALTED);
      g_assert_cmphex (ood_dbus_target_get_current_pc (fx->harts[0].target), ==, PC_AFTER);
      /* the halt is hart 0's, once, also where its refresh found nothing
       * changed */
      g_assert_cmpuint (ood_dbus_target_get_halt_count (fx->harts[0].target), ==, count0 + 1);
      g_assert_cmpuint (ood_dbus_target_get_halt_count (fx->harts[1].target), ==, count1);
    }
  g_assert_true (
      ood_dbus_breakpoints_call_remove_sync (fx->harts[0].breakpoints, PC_AFTER, NULL, &error));
  g_assert_no_error (error);
  assert_hart (fx, 1, OOD_STATE_HALTED);

  /* OpenOCD's reset resets both: its notification goes to both, also
   * where the state each shows stays running */
  ood_test_resume (fx->harts[1].target);
  for (guint i = 0; i < 2; i++)
    {
      ood_test_drain ();
      g_ptr_array_set_size (fx->harts[0].events, 0);
      g_ptr_array_set_size (fx->harts[1].events, 0);
      g_assert_true (ood_dbus_target_call_reset_sync (fx->harts[0].target, "run", NULL, &error));
      g_assert_no_error (error);
      assert_hart (fx, 0, OOD_STATE_RUNNING);
      assert_hart (fx, 1, OOD_STATE_RUNNING);
      g_assert_true (ood_test_has_event (fx->harts[0].events, "reset-run"));
      g_assert_true (ood_test_has_event (fx->harts[1].events, "reset-run"));
    }
}

static gboolean
shows_gdb (gpointer user_data)
{
  return ood_dbus_target_get_gdb_attached (user_data);
}

static gboolean
shows_no_gdb (gpointer user_data)
{
  return !shows_gdb (user_data);
}

/* GdbAttached is per target: a GDB on hart 0's port makes hart 0's object
 * say so, not hart 1's, which the service may still act on; its leaving
 * clears it. (OpenOCD's gdb-attach names no target; its attach halts the
 * running hart 0, and the refresh that reads the event finds hart 0
 * changed.) */
static void
test_gdb (HartsFixture *fx, gconstpointer options)
{
  g_autoptr(OodTestGdb) gdb = ood_test_gdb_new ();
  guint16 port = ood_testbed_get_gdb_port (fx->base.testbed);
  g_autoptr(GError) error = NULL;

  (void) options;
  assert_hart (fx, 0, OOD_STATE_RUNNING);
  assert_hart (fx, 1, OOD_STATE_RUNNING);
  g_assert_cmpuint (ood_dbus_target_get_gdb_port (fx->harts[0].target), ==, port);
  g_assert_cmpuint (ood_dbus_target_get_gdb_port (fx->harts[1].target), !=, port);
  g_free (ood_test_gdb_attach (gdb, port));
  g_assert_true (ood_test_wait_for (shows_gdb, fx->harts[0].target, WAIT_MS));
  g_assert_true (ood_dbus_target_call_state_sync (fx->harts[1].target, NULL, NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
  g_assert_false (shows_gdb (fx->harts[1].target));
  ood_test_halt (fx->harts[1].target);
  ood_test_resume (fx->harts[1].target);
  assert_hart (fx, 0, OOD_STATE_HALTED);
  assert_hart (fx, 1, OOD_STATE_RUNNING);

  g_free (ood_test_gdb_run (gdb, "detach\ndisconnect"));
  g_assert_true (ood_test_wait_for (shows_no_gdb, fx->harts[0].target, WAIT_MS));
  g_assert_false (shows_gdb (fx->harts[1].target));
  ood_test_gdb_quit (gdb);
}

/* The same two harts as one SMP group: halting one halts both, every
 * member's object shows it, with a TargetEvent on each; a WaitHalt on one
 * is answered by the other's halt. */
static void
test_smp (HartsFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  OodTestPending waiting = { 0 };

  (void) options;
  for (guint by = 0; by < 2; by++)
    {
      guint other = 1 - by;

      ood_test_resume (fx->harts[by].target);
      assert_hart (fx, 0, OOD_STATE_RUNNING);
      assert_hart (fx, 1, OOD_STATE_RUNNING);
      g_ptr_array_set_size (fx->harts[0].events, 0);
      g_ptr_array_set_size (fx->harts[1].events, 0);
      ood_dbus_target_call_wait_halt (fx->harts[other].target, 600000, NULL,
                                      ood_test_pending_done, &waiting);
      ood_test_halt (fx->harts[by].target);
      assert_hart (fx, 0, OOD_STATE_HALTED);
      assert_hart (fx, 1, OOD_STATE_HALTED);
      g_assert_true (ood_test_wait_for (ood_test_pending_is_done, &waiting, WAIT_MS));
      g_assert_no_error (waiting.error);
      ood_test_pending_clear (&waiting);
      ood_test_drain ();
      g_assert_true (ood_test_has_event (fx->harts[0].events, "halted"));
      g_assert_true (ood_test_has_event (fx->harts[1].events, "halted"));
      g_assert_cmpstr (ood_dbus_target_get_halt_reason (fx->harts[by].target), ==, "request");
      /* the group's halt was asked for through the service */
      g_assert_cmpstr (ood_dbus_target_get_halt_reason (fx->harts[other].target), ==, "request");
      /* registers per hart, the group halted */
      g_assert_cmpuint (read_reg (fx, 0, "mhartid"), ==, 0);
      g_assert_cmpuint (read_reg (fx, 1, "mhartid"), ==, 1);
      g_assert_cmpuint (read_reg (fx, other, "pc"), ==, raw_reg (fx, other, "pc"));
      g_assert_cmpuint (read_word (fx, other, COUNTER + 4 * other), <, G_MAXUINT32);
    }

  /* the group halted: memory through each hart as raw Tcl reads it */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *command = g_strdup_printf ("read_memory 0x%x 32 1", COUNTER + 4 * i);
      g_autofree char *raw = raw_tcl (fx, command);

      g_assert_cmphex (read_word (fx, i, COUNTER + 4 * i), ==, g_ascii_strtoull (raw, NULL, 16));
    }
  /* a step of one: its PC as raw Tcl reads it, each hart's state as
   * `targets` says */
  g_assert_cmphex (ood_test_step (fx->harts[0].target), ==, raw_reg (fx, 0, "pc"));
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *raw = raw_state (fx, i);

      assert_hart (fx, i, raw);
    }
  /* a reset through one resets the group: both halt at the reset vector */
  g_assert_true (ood_dbus_target_call_reset_sync (fx->harts[1].target, "halt", NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      assert_hart (fx, i, OOD_STATE_HALTED);
      g_assert_cmphex (ood_dbus_target_get_current_pc (fx->harts[i].target), ==,
                       raw_reg (fx, i, "pc"));
      g_assert_cmpstr (ood_dbus_target_get_halt_reason (fx->harts[i].target), ==, "reset");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/harts/independent", HartsFixture, &independent, harts_set_up, test_independent,
              harts_tear_down);
  g_test_add ("/harts/events", HartsFixture, &independent, harts_set_up, test_events,
              harts_tear_down);
  g_test_add ("/harts/gdb", HartsFixture, &with_gdb, harts_set_up, test_gdb, harts_tear_down);
  g_test_add ("/harts/smp", HartsFixture, &smp, harts_set_up, test_smp, harts_tear_down);
  return g_test_run ();
}
