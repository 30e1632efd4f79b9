/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-test-fixture"

#include "ood-test-fixture.h"

#include "ood-state.h"

static void
on_target_event (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                 const char *member, GVariant *parameters, gpointer user_data)
{
  OodTestFixture *fx = user_data;
  const char *event = NULL;

  (void) bus;
  (void) sender;
  (void) path;
  (void) iface;
  (void) member;
  g_variant_get (parameters, "(&s)", &event);
  g_ptr_array_add (fx->events, g_strdup (event));
}

/* Records the target's TargetEvents from now on: the match rule is in
 * place once a call to the bus daemon, sent after it, is answered. */
static void
watch_events (OodTestFixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  fx->events = g_ptr_array_new_with_free_func (g_free);
  fx->events_id = g_dbus_connection_signal_subscribe (fx->bus, NULL, "org.openocd.Target",
                                                      "TargetEvent", fx->target_path, NULL,
                                                      G_DBUS_SIGNAL_FLAGS_NONE, on_target_event, fx,
                                                      NULL);
  reply = g_dbus_connection_call_sync (fx->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

void
ood_test_fixture_set_up (OodTestFixture *fx, gconstpointer options)
{
  const OodServiceOptions *service_options = options;
  g_autoptr(GError) error = NULL;

  fx->service = ood_service_fixture_new (service_options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->service);
  fx->bus = ood_service_fixture_get_bus (fx->service);
  fx->testbed = ood_service_fixture_get_testbed (fx->service, 0);
  fx->target_path = ood_service_fixture_dup_target_path (fx->service, 0);
  if (service_options == NULL || !service_options->no_service)
    {
      fx->target = ood_service_fixture_get_target (fx->service, 0);
      fx->breakpoints = ood_service_fixture_get_breakpoints (fx->service, 0);
      fx->endpoint = ood_service_fixture_get_endpoint (fx->service, 0);
    }
  watch_events (fx);
}

void
ood_test_fixture_tear_down (OodTestFixture *fx, gconstpointer options)
{
  (void) options;
  g_dbus_connection_signal_unsubscribe (fx->bus, fx->events_id);
  g_assert_cmpint (ood_service_fixture_stop_service (fx->service), ==, 0);
  g_clear_pointer (&fx->service, ood_service_fixture_free);
  g_clear_pointer (&fx->events, g_ptr_array_unref);
  g_clear_pointer (&fx->target_path, g_free);
}

void
ood_test_drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

gboolean
ood_test_has_event (GPtrArray *events, const char *event)
{
  return g_ptr_array_find_with_equal_func (events, event, g_str_equal, NULL);
}

typedef struct {
  GPtrArray *events;
  const char *event;
} EventWait;

static gboolean
event_came (gpointer user_data)
{
  EventWait *wait = user_data;

  return ood_test_has_event (wait->events, wait->event);
}

gboolean
ood_test_wait_event (GPtrArray *events, const char *event, guint timeout_ms)
{
  EventWait wait = { events, event };

  return ood_test_wait_for (event_came, &wait, timeout_ms);
}

guint64
ood_test_halted_pc (GVariant *dict)
{
  const char *name = NULL;
  const char *state = NULL;
  gboolean valid = FALSE;
  guint64 pc = 0;

  g_assert_true (ood_state_dict_parse (dict, &name, &state, &valid, &pc));
  g_assert_cmpstr (state, ==, OOD_STATE_HALTED);
  g_assert_true (valid);
  return pc;
}

/* A call that answers the state a target halted in: Halt(), Step(). */
typedef gboolean (*HaltingCall) (OodDbusTarget *target, GVariant **state, GCancellable *cancellable,
                                 GError **error);

/* @call of @target, which must succeed and answer a halted state: the
 * current_pc it answers. */
static guint64
pc_after (OodDbusTarget *target, HaltingCall call)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;

  g_assert_true (call (target, &dict, NULL, &error));
  g_assert_no_error (error);
  return ood_test_halted_pc (dict);
}

guint64
ood_test_halt (OodDbusTarget *target)
{
  return pc_after (target, ood_dbus_target_call_halt_sync);
}

guint64
ood_test_step (OodDbusTarget *target)
{
  return pc_after (target, ood_dbus_target_call_step_sync);
}

void
ood_test_resume (OodDbusTarget *target)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_dbus_target_call_resume_sync (target, NULL, &error));
  g_assert_no_error (error);
}

typedef struct {
  OodDbusTarget *target;
  const char *state;
} StateWait;

static gboolean
state_is (gpointer user_data)
{
  StateWait *wait = user_data;

  return g_strcmp0 (ood_dbus_target_get_state (wait->target), wait->state) == 0;
}

void
ood_test_wait_state (OodDbusTarget *target, const char *state, guint timeout_ms)
{
  StateWait wait = { target, state };

  if (!ood_test_wait_for (state_is, &wait, timeout_ms))
    g_error ("%s stayed %s, not %s", ood_dbus_target_get_name (target),
             ood_dbus_target_get_state (target), state);
}

typedef struct {
  OodDbusRegisters *registers;
  OodDbusMemory *memory;
} RegistersMemory;

static gboolean
registers_memory_learnt (gpointer user_data)
{
  RegistersMemory *rm = user_data;
  GVariant *names = ood_dbus_registers_get_names (rm->registers);

  return names != NULL && g_variant_n_children (names) > 0 &&
         ood_dbus_memory_get_address_bits (rm->memory) != 0;
}

void
ood_test_open_registers_memory (OodTestFixture *fx, OodDbusRegisters **registers,
                                OodDbusMemory **memory)
{
  g_autoptr(GError) error = NULL;
  RegistersMemory rm;

  rm.registers = ood_dbus_registers_proxy_new_sync (fx->bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                                    fx->target_path, NULL, &error);
  g_assert_no_error (error);
  rm.memory = ood_dbus_memory_proxy_new_sync (fx->bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                              fx->target_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (registers_memory_learnt, &rm, 10000));
  *registers = rm.registers;
  *memory = rm.memory;
}
