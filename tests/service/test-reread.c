/* SPDX-License-Identifier: MIT */
/*
 * A call that fails after it may have changed the target re-reads what
 * it may have changed before it replies, publishes it, and says in the
 * error what is now true: the real daemon on a private bus, real OpenOCD,
 * the simulated board, and raw Tcl on OpenOCD's own port as the
 * reference for what is true afterwards. One case per method that can
 * fail after acting; each failed before its fix.
 */
#include <signal.h>
#include <string.h>

#include <gio/gunixfdlist.h>

#include "ood-error.h"
#include "ood-service-fixture.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"

#define PC_RESET 0x80000000u
#define PC_LOOP  0x80000008u
#define RAM_END  0x80100000u   /* SIM_RAM_BASE + SIM_RAM_SIZE */

typedef struct {
  OodTestFixture base;
  OodDbusRegisters *registers;
  OodDbusMemory *memory;
} Fx;

/* The shared fixture, and the target's Registers and Memory once the
 * service learnt their names and address width. */
static void
fx_set_up (Fx *fx, gconstpointer options)
{
  ood_test_fixture_set_up (&fx->base, options);
  ood_test_open_registers_memory (&fx->base, &fx->registers, &fx->memory);
}

static void
fx_tear_down (Fx *fx, gconstpointer options)
{
  g_object_unref (fx->registers);
  g_object_unref (fx->memory);
  ood_test_fixture_tear_down (&fx->base, options);
}

static char *
raw_tcl (Fx *fx, const char *script)
{
  return ood_test_tcl_eval_on (fx->base.testbed, script);
}

/* The PC as raw Tcl reads it from the hart. */
static guint64
raw_pc (Fx *fx)
{
  g_autofree char *reply = raw_tcl (fx, "lindex [get_reg -force {pc}] 1");

  g_assert_true (g_str_has_prefix (reply, "0x"));
  return g_ascii_strtoull (reply, NULL, 16);
}

static void
reset_halt (Fx *fx)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_dbus_target_call_reset_sync (fx->base.target, "halt", NULL, &error));
  g_assert_no_error (error);
}

static guint64
step (Fx *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) dict = NULL;
  guint64 pc = 0;

  g_assert_true (ood_dbus_target_call_step_sync (fx->base.target, &dict, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (dict, "current_pc", "t", &pc));
  return pc;
}

/* Counts the PropertiesChanged of a proxy, and whether one named @name. */
typedef struct {
  const char *name;
  guint       changes;
  guint       named;
} Watch;

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, const char *const *invalidated,
                       gpointer user_data)
{
  Watch *watch = user_data;
  g_autoptr(GVariant) value = g_variant_lookup_value (changed, watch->name, NULL);

  (void) proxy;
  (void) invalidated;
  watch->changes++;
  if (value != NULL)
    watch->named++;
}

static gulong
watch_start (gpointer proxy, Watch *watch, const char *name)
{
  ood_test_drain ();
  *watch = (Watch) { name, 0, 0 };
  return g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed),
                           watch);
}

/* A Target call failed after it moved the PC: raw Tcl reads the PC now
 * at something else than @before; the error said so, and CurrentPc said
 * so in a PropertiesChanged sent before the reply (so in by the time the
 * reply is: what the main context has due). */
static void
assert_pc_told (Fx *fx, const GError *error, const char *method, guint64 before, Watch *watch)
{
  guint64 now = raw_pc (fx);
  g_autofree char *told = g_strdup_printf ("the PC now reads 0x%" G_GINT64_MODIFIER "x", now);

  ASSERT_METHOD_ERROR (error, method, OOD_ERROR_TARGET, "Target");
  g_test_message ("%s: %s", method, error->message);
  g_assert_cmphex (now, !=, before);
  g_assert_nonnull (strstr (error->message, told));
  ood_test_drain ();
  g_assert_cmpuint (watch->named, ==, 1);
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, OOD_STATE_HALTED);
  g_assert_true (ood_dbus_target_get_current_pc_valid (fx->base.target));
  g_assert_cmphex (ood_dbus_target_get_current_pc (fx->base.target), ==, now);
}

/* ---- Target ------------------------------------------------------------- */

/* @method (StepAt, ResumeAt or Registers.Write of the PC) with an
 * address the hart cannot hold (misaligned): OpenOCD fails, but has
 * written a truncated PC; the target stays halted there. */
static void
misaligned (Fx *fx, const char *method)
{
  g_autoptr(GError) error = NULL;
  Watch watch;
  guint64 before;
  gulong id;
  gboolean ok;

  reset_halt (fx);
  before = step (fx);
  g_assert_cmphex (before, !=, PC_LOOP);
  id = watch_start (fx->base.target, &watch, "CurrentPc");
  if (g_str_equal (method, "Target.ResumeAt"))
    ok = ood_dbus_target_call_resume_at_sync (fx->base.target, PC_LOOP + 1, NULL, &error);
  else if (g_str_equal (method, "Target.StepAt"))
    ok = ood_dbus_target_call_step_at_sync (fx->base.target, PC_LOOP + 1, NULL, NULL, &error);
  else
    ok = ood_dbus_registers_call_write_sync (fx->registers, "pc", PC_LOOP + 1, NULL, &error);
  g_assert_false (ok);
  assert_pc_told (fx, error, method, before, &watch);
  g_signal_handler_disconnect (fx->base.target, id);
}

static void
test_step_at_misaligned (Fx *fx, gconstpointer options)
{
  (void) options;
  misaligned (fx, "Target.StepAt");
}

static void
test_resume_at_misaligned (Fx *fx, gconstpointer options)
{
  (void) options;
  misaligned (fx, "Target.ResumeAt");
}

/* The probe too rare to find the broken link first, OpenOCD's slow
 * failures within the command timeout. */
static const char *const link_args[] = { "--probe-interval", "600000", "--timeout", "60000", NULL };
static const OodServiceOptions link_options = { .extra_args = link_args };

/* The board's debug link breaks (the simulator's SIGUSR1: every DMI
 * access fails) with the target halted, before the service's probe finds
 * out (its interval is long here): OpenOCD fails the action (a step finds
 * the target no longer halted: NotHalted), and what the target is then
 * is what raw Tcl's OpenOCD says of it, State published before the reply
 * and told in the error. */
static void
link_broken (Fx *fx, const char *method, gint code, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = NULL, *told = NULL;
  gboolean ok;

  reset_halt (fx);
  step (fx);
  ood_test_drain ();
  kill (ood_testbed_get_sim_pid (fx->base.testbed), SIGUSR1);
  if (g_str_equal (method, "Target.Reset"))
    ok = ood_dbus_target_call_reset_sync (fx->base.target, "halt", NULL, &error);
  else if (g_str_equal (method, "Target.Halt"))
    ok = ood_dbus_target_call_halt_sync (fx->base.target, NULL, NULL, &error);
  else
    ok = ood_dbus_target_call_step_sync (fx->base.target, NULL, NULL, &error);
  g_assert_false (ok);
  g_test_message ("%s: %s", method, error->message);
  raw = raw_tcl (fx, "riscv.cpu curstate");
  ood_test_drain ();
  ood_test_assert_method_error (error, method, name, OOD_ERROR, code);
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, raw);
  told = g_strdup_printf ("the target is now %s", raw);
  g_assert_nonnull (strstr (error->message, told));
  kill (ood_testbed_get_sim_pid (fx->base.testbed), SIGUSR2);
}

static void
test_reset_link_broken (Fx *fx, gconstpointer options)
{
  (void) options;
  link_broken (fx, "Target.Reset", OOD_ERROR_TARGET, "org.openocd.Error.Target");
}

static void
test_step_link_broken (Fx *fx, gconstpointer options)
{
  (void) options;
  link_broken (fx, "Target.Step", OOD_ERROR_NOT_HALTED, "org.openocd.Error.NotHalted");
}

static void
test_halt_link_broken (Fx *fx, gconstpointer options)
{
  (void) options;
  link_broken (fx, "Target.Halt", OOD_ERROR_TARGET, "org.openocd.Error.Target");
}

/* ---- Registers ---------------------------------------------------------- */

/* Registers.Write of a PC the hart cannot hold: as StepAt. */
static void
test_pc_write_misaligned (Fx *fx, gconstpointer options)
{
  (void) options;
  misaligned (fx, "Registers.Write");
}

/* ---- Breakpoints -------------------------------------------------------- */

/* The lines of OpenOCD's listing @command ("bp", "wp") that begin with
 * @prefix. */
static guint
raw_count (Fx *fx, const char *command, const char *prefix)
{
  g_autofree char *raw = raw_tcl (fx, command);
  g_auto(GStrv) lines = g_strsplit (raw, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (g_strstrip (lines[i]), prefix);
  return n;
}

/* Each address of the property @list (a(t…)) is in OpenOCD's listing
 * @command, which has as many. */
static void
assert_listed_as_raw (Fx *fx, GVariant *list, const char *command, const char *prefix)
{
  g_autofree char *raw = raw_tcl (fx, command);

  g_assert_cmpuint (g_variant_n_children (list), ==, raw_count (fx, command, prefix));
  for (gsize i = 0; i < g_variant_n_children (list); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (list, i);
      guint64 address = 0;
      g_autofree char *word = NULL;

      g_variant_get_child (entry, 0, "t", &address);
      word = g_strdup_printf ("0x%08" G_GINT64_MODIFIER "x,", address);
      g_assert_nonnull (strstr (raw, word));
    }
}

/* Another client (raw Tcl) takes every trigger of the hart while it is
 * halted, which the service learns of only at the next halt; a hardware
 * breakpoint (@watch: a watchpoint) the service then adds fails in
 * OpenOCD. Before the reply the property is OpenOCD's listing again, and
 * the error says what OpenOCD lists. */
static void
no_trigger_left (Fx *fx, gboolean watch)
{
  static const char *const taken[] = {
    "bp 0x80000010 4 hw; bp 0x80000014 4 hw; bp 0x80000018 4 hw; bp 0x8000001c 4 hw",
    "wp 0x80008000 4 w; wp 0x80008010 4 w; wp 0x80008020 4 w; wp 0x80008030 4 w",
  };
  g_autoptr(GError) error = NULL;
  const char *method = watch ? "Breakpoints.AddWatchpoint" : "Breakpoints.Add";

  reset_halt (fx);
  g_free (raw_tcl (fx, taken[watch]));
  ood_test_drain ();
  g_assert_cmpuint (raw_count (fx, watch ? "wp" : "bp", watch ? "address:" : "Breakpoint"), ==,
                    4);
  if (watch)
    g_assert_false (ood_dbus_breakpoints_call_add_watchpoint_sync (fx->base.breakpoints, 0x80008040,
                                                                   4, "w", NULL, &error));
  else
    g_assert_false (ood_dbus_breakpoints_call_add_sync (fx->base.breakpoints, 0x80000020, 4, "hw",
                                                        NULL, &error));
  ASSERT_METHOD_ERROR (error, method, OOD_ERROR_TARGET, "Target");
  g_test_message ("%s: %s", method, error->message);
  g_assert_nonnull (strstr (error->message, watch ? "OpenOCD now lists 0 breakpoints and 4 "
                                                    "watchpoints"
                                                  : "OpenOCD now lists 4 breakpoints and 0 "
                                                    "watchpoints"));
  ood_test_drain ();
  assert_listed_as_raw (fx, ood_dbus_breakpoints_get_breakpoints (fx->base.breakpoints), "bp",
                        "Breakpoint");
  assert_listed_as_raw (fx, ood_dbus_breakpoints_get_watchpoints (fx->base.breakpoints), "wp",
                        "address:");
}

static void
test_bp_add_no_trigger (Fx *fx, gconstpointer options)
{
  (void) options;
  no_trigger_left (fx, FALSE);
}

static void
test_wp_add_no_trigger (Fx *fx, gconstpointer options)
{
  (void) options;
  no_trigger_left (fx, TRUE);
}

/* ---- Memory ------------------------------------------------------------- */

/* A write across the end of RAM (RAM_END - 8, 16 bytes, @method's way:
 * WriteBytes, WriteWords or WriteFromFd): OpenOCD writes the words in RAM
 * and fails at the first one beyond. The error says how far memory holds
 * the data asked for, read back, and raw Tcl reads it there. */
static void
write_across_end (Fx *fx, const char *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL, there = NULL;
  guint32 words[4];
  gboolean ok;

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    words[i] = g_random_int ();
  data = g_bytes_new (words, sizeof words);
  if (g_str_equal (method, "Memory.WriteBytes"))
    ok = ood_dbus_memory_call_write_bytes_sync (
        fx->memory, RAM_END - 8,
        g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data, TRUE), NULL, &error);
  else if (g_str_equal (method, "Memory.WriteWords"))
    {
      guint64 values[G_N_ELEMENTS (words)];

      for (guint i = 0; i < G_N_ELEMENTS (words); i++)
        values[i] = words[i];
      ok = ood_dbus_memory_call_write_words_sync (
          fx->memory, RAM_END - 8, 32,
          g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, values, G_N_ELEMENTS (values),
                                     sizeof (guint64)), NULL, &error);
    }
  else
    {
      const char *tmpdir = ood_service_fixture_get_tmpdir (fx->base.service);
      g_autoptr(GUnixFDList) fds = ood_test_fd_list_of (tmpdir, data);

      ok = ood_dbus_memory_call_write_from_fd_sync (fx->memory, RAM_END - 8, sizeof words,
                                                    g_variant_new_handle (0), fds, NULL, NULL,
                                                    &error);
    }
  g_assert_false (ok);
  ASSERT_METHOD_ERROR (error, method, OOD_ERROR_TARGET, "Target");
  g_test_message ("%s: %s", method, error->message);
  g_assert_nonnull (strstr (error->message, "; memory holds the data asked for from 0x800ffff8 "
                                            "to 0x80100000 (8 of 16 bytes), read back"));
  there = ood_test_tcl_read_memory (fx->base.testbed, 32, RAM_END - 8, 8);
  g_assert_cmpmem (g_bytes_get_data (there, NULL), 8, words, 8);
}

static void
test_write_bytes_across_end (Fx *fx, gconstpointer options)
{
  (void) options;
  write_across_end (fx, "Memory.WriteBytes");
}

static void
test_write_words_across_end (Fx *fx, gconstpointer options)
{
  (void) options;
  write_across_end (fx, "Memory.WriteWords");
}

static void
test_write_fd_across_end (Fx *fx, gconstpointer options)
{
  (void) options;
  write_across_end (fx, "Memory.WriteFromFd");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, options, test) g_test_add (path, Fx, options, fx_set_up, test, fx_tear_down)
  ADD ("/reread/step-at-misaligned", NULL, test_step_at_misaligned);
  ADD ("/reread/resume-at-misaligned", NULL, test_resume_at_misaligned);
  ADD ("/reread/reset-link-broken", &link_options, test_reset_link_broken);
  ADD ("/reread/step-link-broken", &link_options, test_step_link_broken);
  ADD ("/reread/halt-link-broken", &link_options, test_halt_link_broken);
  ADD ("/reread/pc-write-misaligned", NULL, test_pc_write_misaligned);
  ADD ("/reread/bp-add-no-trigger", NULL, test_bp_add_no_trigger);
  ADD ("/reread/wp-add-no-trigger", NULL, test_wp_add_no_trigger);
  ADD ("/reread/write-bytes-across-end", NULL, test_write_bytes_across_end);
  ADD ("/reread/write-words-across-end", NULL, test_write_words_across_end);
  ADD ("/reread/write-fd-across-end", NULL, test_write_fd_across_end);
  return g_test_run ();
}
