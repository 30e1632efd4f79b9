/* SPDX-License-Identifier: MIT */
/* Figures 12 and 13: what the one door costs others. 12: a lease whose
 * holder is killed with SIGKILL, until the next waiter holds it. 13: a
 * Halt() of one caller while another has as many ReadBytes pending as the
 * bus allows, against a Halt() alone. See README.md. */
#include "bench.h"

#include <signal.h>

#define ENDPOINT_PATH "/org/openocd/default"

typedef struct {
  gint64    done_ns;
  GVariant *reply;
  GError   *error;
} Answer;

static void
on_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Answer *answer = user_data;

  answer->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                 &answer->error);
  answer->done_ns = now_ns ();
}

static void
iterate_until_answered (Answer *answer)
{
  while (answer->done_ns == 0)
    g_main_context_iteration (NULL, TRUE);
  if (answer->reply == NULL)
    die ("a call of figure 12 or 13", answer->error);
}

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->reply, g_variant_unref);
  g_clear_error (&answer->error);
  answer->done_ns = 0;
}

static gboolean
leased (GDBusConnection *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (c, "org.openocd", ENDPOINT_PATH, PROPS_IFACE, "Get",
                                    g_variant_new ("(ss)", ENDPOINT_IFACE, "Lease"), &error);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    die ("Endpoint.Lease", error);
  g_variant_get (reply, "(v)", &value);
  return !g_str_equal (g_variant_get_string (value, NULL), "/");
}

static void
figure_12 (OodServiceFixture *fixture)
{
  int rounds = opt_quick ? 5 : 50;
  const char *address = ood_service_fixture_get_bus_address (fixture);
  g_autoptr(GDBusConnection) waiter = new_client (address);
  Samples handover = samples_new ();

  if (!opt_json)
    g_printerr ("figure 12: lease handed over after its holder's SIGKILL (%d rounds)\n", rounds);
  for (int i = 0; i < rounds; i++)
    {
      const char *argv[] = { ood_test_env_or ("OOD_CTL", OOD_BENCH_CTL_DEFAULT), "--address",
                             address, "lease", "default", "--", "sleep", "1000", NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) holder = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
      g_autoptr(GVariant) released = NULL;
      Answer acquired = { 0 };
      gint64 t0;

      if (holder == NULL)
        die ("openocdctl lease", error);
      while (!leased (waiter))
        g_usleep (1000);
      g_dbus_connection_call (waiter, "org.openocd", ENDPOINT_PATH, ENDPOINT_IFACE, "Acquire",
                              g_variant_new ("(su)", "bench", 60000), G_VARIANT_TYPE ("(o)"),
                              G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS * 3, NULL, on_answer,
                              &acquired);
      g_dbus_connection_flush_sync (waiter, NULL, NULL);
      g_usleep (50 * 1000);   /* the Acquire is queued behind the holder */
      t0 = now_ns ();
      g_subprocess_send_signal (holder, SIGKILL);
      iterate_until_answered (&acquired);
      samples_add_since (&handover, acquired.done_ns, t0);
      g_subprocess_wait (holder, NULL, NULL);
      {
        const char *lease;

        g_variant_get (acquired.reply, "(&o)", &lease);
        released = call (waiter, "org.openocd", lease, "org.openocd.Lease", "Release", NULL,
                         &error);
        if (released == NULL)
          die ("Lease.Release", error);
      }
      answer_clear (&acquired);
    }
  add_ms_row ("12", "holder killed (SIGKILL) until the waiter's Acquire() answered", &handover);
  samples_free (&handover);
}

static void
figure_13 (OodServiceFixture *fixture)
{
  int rounds = opt_quick ? 5 : 30;
  const char *address = ood_service_fixture_get_bus_address (fixture);
  g_autofree char *path = ood_service_fixture_dup_target_path (fixture, 0);
  g_autoptr(GDBusConnection) flooder = new_client (address);
  g_autoptr(GDBusConnection) other = new_client (address);
  Samples alone = samples_new (), beside = samples_new ();

  if (!opt_json)
    g_printerr ("figure 13: Halt() beside another caller's 128 pending ReadBytes(4096) "
                "(%d rounds)\n", rounds);
  for (int i = 0; i < rounds; i++)
    {
      Answer halt = { 0 };
      Answer reads[128] = { 0 };
      gint64 t0;

      t0 = now_ns ();
      g_dbus_connection_call (other, "org.openocd", path, TARGET_IFACE, "Halt", NULL, NULL,
                              G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, on_answer, &halt);
      iterate_until_answered (&halt);
      samples_add_since (&alone, halt.done_ns, t0);
      answer_clear (&halt);

      for (guint r = 0; r < G_N_ELEMENTS (reads); r++)
        g_dbus_connection_call (flooder, "org.openocd", path, "org.openocd.Memory", "ReadBytes",
                                g_variant_new ("(tu)", (guint64) 0x80000000u, 4096), NULL,
                                G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, on_answer,
                                &reads[r]);
      g_dbus_connection_flush_sync (flooder, NULL, NULL);
      g_usleep (20 * 1000);   /* the reads reach the service first */
      t0 = now_ns ();
      g_dbus_connection_call (other, "org.openocd", path, TARGET_IFACE, "Halt", NULL, NULL,
                              G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, on_answer, &halt);
      iterate_until_answered (&halt);
      samples_add_since (&beside, halt.done_ns, t0);
      answer_clear (&halt);
      for (guint r = 0; r < G_N_ELEMENTS (reads); r++)
        {
          iterate_until_answered (&reads[r]);
          answer_clear (&reads[r]);
        }
    }
  add_samples_row ("13", "Halt() alone", &alone, CMP_NONE, 0, NULL);
  add_samples_row ("13", "Halt() beside 128 pending ReadBytes of another caller", &beside,
                   CMP_NONE, 0, NULL);
  samples_free (&alone);
  samples_free (&beside);
}

/* Figures 12 and 13, with a daemon and a board of their own. */
void
run_door_figures (gboolean twelve, gboolean thirteen)
{
  const OodServiceOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  OodServiceFixture *fixture = ood_service_fixture_new (&options, &error);

  if (fixture == NULL)
    die ("the daemon of figures 12 and 13", error);
  if (twelve)
    figure_12 (fixture);
  if (thirteen)
    figure_13 (fixture);
  ood_service_fixture_free (fixture);
}
