/* SPDX-License-Identifier: MIT */
/* Figure 15: several targets on one OpenOCD (the simulated board's harts,
 * independent targets): State() and event latency of hart 0 with 1, 2
 * and 8 targets. See README.md. */
#include "bench.h"

#include "ood-tcl-script.h"

#define HART0_PATH "/org/openocd/default/riscv_2ecpu"

typedef struct {
  const char *want;     /* the State awaited */
  gint64      seen_ns;  /* when it was dispatched, 0 until then */
} StateWait;

static void
on_changed (GDBusConnection *c, const char *sender, const char *path, const char *iface,
            const char *signal, GVariant *params, gpointer user_data)
{
  StateWait *w = user_data;
  gint64 t = now_ns ();
  g_autoptr(GVariant) changed = NULL;
  const char *changed_iface = NULL, *state = NULL;

  (void) c; (void) sender; (void) path; (void) iface; (void) signal;
  g_variant_get (params, "(&s@a{sv}^a&s)", &changed_iface, &changed, NULL);
  if (g_str_equal (changed_iface, TARGET_IFACE) &&
      g_variant_lookup (changed, "State", "&s", &state) && w->want != NULL &&
      g_str_equal (state, w->want) && w->seen_ns == 0)
    w->seen_ns = t;
}

/* Dispatches until @w saw its state; dies after 10 s. */
static void
wait_state (StateWait *w, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (w->seen_ns == 0)
    {
      if (g_get_monotonic_time () > deadline)
        die (what, NULL);
      g_main_context_iteration (NULL, FALSE);
    }
}

static char *
tcl (OodTestTcl *t, const char *script)
{
  g_autoptr(GError) error = NULL;
  char *reply = ood_test_tcl_eval (t, script, &error);

  if (reply == NULL)
    die (script, error);
  return reply;
}

static void
measure (guint harts, int state_calls, int halts)
{
  OodServiceOptions options = { .harts = harts };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodServiceFixture) fixture = ood_service_fixture_new (&options, &error);
  g_autoptr(OodTestTcl) raw = NULL;
  g_autoptr(GDBusConnection) c = NULL;
  Samples state = samples_new (), event = samples_new (), raw_state = samples_new (),
          raw_refresh = samples_new ();
  g_autofree char *state_script = ood_tcl_script_state ("riscv.cpu");
  g_autofree char *refresh_script = ood_tcl_script_refresh_all (FALSE);
  StateWait w = { NULL, 0 };
  g_autofree char *name = NULL;
  guint id;

  if (fixture == NULL)
    die ("starting the board", error);
  raw = ood_test_tcl_connect (ood_testbed_get_tcl_port (ood_service_fixture_get_testbed (fixture,
                                                                                         0)),
                              &error);
  if (raw == NULL)
    die ("connecting to OpenOCD", error);
  c = new_client (ood_service_fixture_get_bus_address (fixture));
  id = g_dbus_connection_signal_subscribe (c, NULL, PROPS_IFACE, "PropertiesChanged", HART0_PATH,
                                           NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_changed, &w, NULL);
  g_variant_unref (call (c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus", "GetId", NULL, NULL));
  /* every hart runs; hart 0 is the raw connection's current target */
  g_free (tcl (raw, "foreach t [target names] {targets $t; resume}; targets riscv.cpu"));

  for (int i = 0; i < state_calls; i++)
    {
      gint64 t0 = now_ns ();
      g_autoptr(GVariant) reply = call (c, "org.openocd", HART0_PATH, TARGET_IFACE, "State",
                                        NULL, &error);
      if (reply == NULL)
        die ("State()", error);
      samples_add_since (&state, now_ns (), t0);
      /* the very script State() sends, on the raw connection */
      t0 = now_ns ();
      g_free (tcl (raw, state_script));
      samples_add_since (&raw_state, now_ns (), t0);
    }
  for (int i = 0; i < halts; i++)
    {
      gint64 t0;

      w = (StateWait) { "halted", 0 };
      t0 = now_ns ();
      g_free (tcl (raw, "halt"));
      wait_state (&w, "waiting for halted");
      samples_add_since (&event, w.seen_ns, t0);
      /* the very refresh the service sends after a halt, raw, hart 0 halted */
      t0 = now_ns ();
      g_free (tcl (raw, refresh_script));
      samples_add_since (&raw_refresh, now_ns (), t0);
      w = (StateWait) { "running", 0 };
      g_free (tcl (raw, "resume"));
      wait_state (&w, "waiting for running");
    }
  name = g_strdup_printf ("State() of hart 0, %u target%s", harts, harts > 1 ? "s" : "");
  add_samples_row ("15", name, &state, CMP_NONE, 0, NULL);
  g_free (name);
  name = g_strdup_printf ("raw halt -> PropertiesChanged, %u target%s", harts,
                          harts > 1 ? "s" : "");
  add_samples_row ("15", name, &event, CMP_NONE, 0, NULL);
  g_free (name);
  name = g_strdup_printf ("  raw State() script, %u target%s", harts, harts > 1 ? "s" : "");
  add_samples_row ("15", name, &raw_state, CMP_NONE, 0, NULL);
  g_free (name);
  name = g_strdup_printf ("  raw refresh-all script, 1 halted, %u target%s", harts,
                          harts > 1 ? "s" : "");
  add_samples_row ("15", name, &raw_refresh, CMP_NONE, 0, NULL);
  samples_free (&state);
  samples_free (&event);
  samples_free (&raw_state);
  samples_free (&raw_refresh);
  g_dbus_connection_signal_unsubscribe (c, id);
  if (ood_service_fixture_stop_service (fixture) != 0)
    die ("stopping the daemon", NULL);
}

void
figure_15 (void)
{
  static const guint harts[] = { 1, 2, 8 };
  int state_calls = opt_quick ? 50 : 500, halts = opt_quick ? 20 : 100;

  if (!opt_json)
    g_printerr ("figure 15: several targets on one OpenOCD (%d State(), %d halts each)\n",
                state_calls, halts);
  for (gsize i = 0; i < G_N_ELEMENTS (harts); i++)
    measure (harts[i], state_calls, halts);
}
