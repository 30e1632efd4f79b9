/* SPDX-License-Identifier: MIT */
/* Integration tests of org.openocd.Registers and org.openocd.Memory: the
 * real daemon on a private bus in front of a real OpenOCD and the simulated
 * RISC-V board (RV32, System Bus Access, 1 MiB of RAM at 0x80000000).
 * Every value read through D-Bus is compared with what raw Tcl on a
 * connection of the test's own (get_reg -force, read_memory) reads in the
 * same state, and every write is checked through raw Tcl. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-proc.h"

#define RAM_START   G_GUINT64_CONSTANT (0x80000000)
#define RAM_SIZE    (1024u * 1024u)
#define COUNTER     G_GUINT64_CONSTANT (0x80008000)   /* the running program's counter */
#define PC_LOOP     G_GUINT64_CONSTANT (0x80000008)
/* RAM the built-in program and OpenOCD's work area (0x8000c000) leave alone */
#define SCRATCH     G_GUINT64_CONSTANT (0x80020000)
#define UNMAPPED    G_GUINT64_CONSTANT (0x10000000)
#define CHUNK       4096u
#define MIB         (1024u * 1024u)

/* The shared fixture, the target's Registers and Memory, and raw Tcl. */
typedef struct {
  OodTestFixture base;
  OodDbusRegisters *registers;
  OodDbusMemory *memory;
  OodTestTcl *tcl; /* raw Tcl, the reference */
} RegmemFixture;

static void
regmem_set_up (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  ood_test_fixture_set_up (&fx->base, options);
  ood_test_open_registers_memory (&fx->base, &fx->registers, &fx->memory);
  /* a 1 MiB dump on the simulated board takes longer than D-Bus's default 25 s */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (fx->memory), 120000);
  fx->tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (fx->base.testbed), &error);
  g_assert_no_error (error);
}

static void
regmem_tear_down (RegmemFixture *fx, gconstpointer options)
{
  ood_test_tcl_free (fx->tcl);
  g_object_unref (fx->registers);
  g_object_unref (fx->memory);
  ood_test_fixture_tear_down (&fx->base, options);
}

/* What raw Tcl answers @command, which must not fail. */
static char *tcl (RegmemFixture *fx, const char *format, ...) G_GNUC_PRINTF (2, 3);

static char *
tcl (RegmemFixture *fx, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  char *reply;
  va_list args;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  reply = ood_test_tcl_eval (fx->tcl, command, &error);
  g_assert_no_error (error);
  return g_strstrip (reply);
}

/* The value raw `get_reg -force` reads of @name. */
static guint64
raw_reg (RegmemFixture *fx, const char *name)
{
  g_autofree char *reply = tcl (fx, "riscv.cpu get_reg -force {%s}", name);
  g_auto(GStrv) parts = g_strsplit (reply, " ", -1);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_assert_cmpstr (parts[0], ==, name);
  return g_ascii_strtoull (parts[1], NULL, 16);
}

static GBytes *
random_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_random_int ();
  return g_bytes_new_take (data, size);
}

static GVariant *
bytes_variant (GBytes *bytes)
{
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static GBytes *
read_bytes (RegmemFixture *fx, guint64 address, guint size, GError **error)
{
  g_autoptr(GVariant) data = NULL;

  if (!ood_dbus_memory_call_read_bytes_sync (fx->memory, address, size, &data, NULL, error))
    return NULL;
  return g_variant_get_data_as_bytes (data);
}

static void
assert_bytes_equal (GBytes *a, GBytes *b)
{
  gsize na, nb;
  const guint8 *pa = g_bytes_get_data (a, &na), *pb = g_bytes_get_data (b, &nb);

  g_assert_cmpuint (na, ==, nb);
  for (gsize i = 0; i < na; i++)
    if (pa[i] != pb[i])
      g_error ("byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT ": 0x%02x != 0x%02x", i, na, pa[i],
               pb[i]);
}

/* ---- registers ----------------------------------------------------------- */

static void
test_names (RegmemFixture *fx, gconstpointer options)
{
  GVariant *names = ood_dbus_registers_get_names (fx->registers);
  g_autofree char *listing = tcl (fx, "targets riscv.cpu; reg");
  g_auto(GStrv) lines = g_strsplit (listing, "\n", -1);
  guint listed = 0, i = 0;
  const char *name;
  guint bits;
  GVariantIter iter;
  gboolean pc_seen = FALSE;

  (void) options;
  for (guint j = 0; lines[j] != NULL; j++)
    if (lines[j][0] == '(')
      listed++;
  g_assert_cmpuint (g_variant_n_children (names), ==, listed);
  g_variant_iter_init (&iter, names);
  while (g_variant_iter_next (&iter, "(&su)", &name, &bits))
    {
      g_autofree char *expected = g_strdup_printf (") %s (/%u)", name, bits);
      g_assert_nonnull (strstr (listing, expected));
      if (g_str_equal (name, "pc"))
        {
          pc_seen = TRUE;
          g_assert_cmpuint (bits, ==, 32);
        }
      i++;
    }
  g_assert_true (pc_seen);
  g_assert_cmpuint (ood_dbus_memory_get_address_bits (fx->memory), ==, 32);
  g_assert_cmpuint (ood_dbus_memory_get_max_message_bytes (fx->memory), ==, MIB);
}

static void
test_read (RegmemFixture *fx, gconstpointer options)
{
  const char *const names[] = { "pc", "a0", "sp", "ra", "mstatus", "misa", "priv", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GVariant) wide = NULL;
  guint64 value = 0;
  gsize n;
  const guint8 *bytes;

  (void) options;
  ood_test_halt (fx->base.target);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_assert_true (ood_dbus_registers_call_read_sync (fx->registers, names[i], &value, NULL,
                                                        &error));
      g_assert_no_error (error);
      g_assert_cmphex (value, ==, raw_reg (fx, names[i]));
    }
  g_assert_cmphex (value, ==, 3);   /* priv: machine mode */

  g_assert_true (ood_dbus_registers_call_read_many_sync (fx->registers, names, &values, NULL,
                                                         &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (values), ==, g_strv_length ((GStrv) names));
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_assert_true (g_variant_lookup (values, names[i], "t", &value));
      g_assert_cmphex (value, ==, raw_reg (fx, names[i]));
    }

  g_assert_true (ood_dbus_registers_call_read_wide_sync (fx->registers, "pc", &wide, NULL,
                                                         &error));
  g_assert_no_error (error);
  bytes = g_variant_get_fixed_array (wide, &n, 1);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmphex ((guint64) bytes[0] | (guint64) bytes[1] << 8 | (guint64) bytes[2] << 16 |
                   (guint64) bytes[3] << 24, ==, raw_reg (fx, "pc"));
  ood_test_drain ();
  g_assert_cmphex (raw_reg (fx, "pc"), ==, ood_dbus_target_get_current_pc (fx->base.target));
}

static void
test_read_all (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *raw = NULL;
  g_autofree char *listing = tcl (fx, "targets riscv.cpu; reg");
  GVariantIter iter;
  const char *name;
  guint number, bits;
  guint64 value;
  gboolean dirty;

  (void) options;
  ood_test_halt (fx->base.target);
  g_assert_true (ood_dbus_registers_call_read_all_sync (fx->registers, &all, NULL, &error));
  g_assert_no_error (error);
  /* the GPRs, the pc and the CSRs the board has, not the ones it lacks */
  g_assert_cmpuint (g_variant_n_children (all), >=, 33);
  g_assert_cmpuint (g_variant_n_children (all), <,
                    g_variant_n_children (ood_dbus_registers_get_names (fx->registers)));
  g_variant_iter_init (&iter, all);
  while (g_variant_iter_next (&iter, "(&sutub)", &name, &number, &value, &bits, &dirty))
    {
      g_autofree char *expected = g_strdup_printf ("(%u) %s (/%u)", number, name, bits);
      g_assert_nonnull (strstr (listing, expected));
      g_string_append_printf (names, " %s", name);
    }
  /* the same registers in one raw forced read: the same values */
  raw = tcl (fx, "riscv.cpu get_reg -force {%s}", names->str);
  g_variant_iter_init (&iter, all);
  while (g_variant_iter_next (&iter, "(&sutub)", &name, &number, &value, &bits, &dirty))
    {
      g_autofree char *pair = g_strdup_printf ("%s 0x%0*" G_GINT64_MODIFIER "x", name,
                                               (int) (bits + 3) / 4, value);
      /* counters run in the board's clock even while halted */
      if (strstr (name, "cycle") == NULL && strstr (name, "instret") == NULL &&
          !g_str_equal (name, "time") && !g_str_equal (name, "timeh"))
        if (strstr (raw, pair) == NULL)
          g_error ("ReadAll gave '%s', raw get_reg -force: %s", pair, raw);
    }
  /* a second ReadAll, with the unreadable ones known: the same set */
  g_assert_true (ood_dbus_registers_call_read_all_sync (fx->registers, &again, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (again), ==, g_variant_n_children (all));
}

typedef struct {
  guint changes;      /* PropertiesChanged carrying CurrentPc */
  guint64 pc;
} PcWatch;

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                       gpointer user_data)
{
  PcWatch *watch = user_data;

  (void) proxy;
  (void) invalidated;
  if (g_variant_lookup (changed, "CurrentPc", "t", &watch->pc))
    watch->changes++;
}

static void
test_write (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  guint64 value = ((guint64) g_random_int ()) & 0xffffffff;
  PcWatch watch = { 0 };
  guint64 new_pc;
  gulong id;

  (void) options;
  ood_test_halt (fx->base.target);
  g_assert_true (ood_dbus_registers_call_write_sync (fx->registers, "a1", value, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (raw_reg (fx, "a1"), ==, value);

  /* the PC: CurrentPc follows, in one PropertiesChanged, before the reply */
  ood_test_drain ();
  new_pc = ood_dbus_target_get_current_pc (fx->base.target) == PC_LOOP + 0x18 ? PC_LOOP + 0x8
                                                                              : PC_LOOP + 0x18;
  id = g_signal_connect (fx->base.target, "g-properties-changed",
                         G_CALLBACK (on_properties_changed), &watch);
  g_assert_true (ood_dbus_registers_call_write_sync (fx->registers, "pc", new_pc, NULL, &error));
  g_assert_no_error (error);
  ood_test_drain ();
  g_assert_cmphex (raw_reg (fx, "pc"), ==, new_pc);
  g_assert_cmpuint (watch.changes, ==, 1);
  g_assert_cmphex (watch.pc, ==, new_pc);
  g_assert_cmphex (ood_dbus_target_get_current_pc (fx->base.target), ==, new_pc);
  g_signal_handler_disconnect (fx->base.target, id);
  g_assert_true (ood_dbus_registers_call_write_sync (fx->registers, "pc", PC_LOOP, NULL, &error));
  g_assert_no_error (error);

  /* a PC the hart cannot hold (misaligned): OpenOCD fails the write but
   * writes part of it; the reply says what the PC now reads, and
   * CurrentPc shows it, before the reply */
  ood_test_drain ();
  watch = (PcWatch) { 0 };
  id = g_signal_connect (fx->base.target, "g-properties-changed",
                         G_CALLBACK (on_properties_changed), &watch);
  g_assert_false (ood_dbus_registers_call_write_sync (fx->registers, "pc", PC_LOOP + 0x9, NULL,
                                                      &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  ood_test_drain ();
  new_pc = raw_reg (fx, "pc");
  g_assert_cmphex (new_pc, !=, PC_LOOP);
  {
    g_autofree char *now = g_strdup_printf ("the PC now reads 0x%" G_GINT64_MODIFIER "x", new_pc);
    g_assert_nonnull (strstr (error->message, now));
  }
  g_clear_error (&error);
  g_assert_cmpuint (watch.changes, ==, 1);
  g_assert_cmphex (ood_dbus_target_get_current_pc (fx->base.target), ==, new_pc);
  g_signal_handler_disconnect (fx->base.target, id);
  g_assert_true (ood_dbus_registers_call_write_sync (fx->registers, "pc", PC_LOOP, NULL, &error));
  g_assert_no_error (error);

  /* bad arguments change nothing */
  g_assert_false (ood_dbus_registers_call_write_sync (fx->registers, "a1", G_GUINT64_CONSTANT (1)
                                                      << 32, NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_write_sync (fx->registers, "priv", 0x100, NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_write_sync (fx->registers, "nosuch", 1, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NO_SUCH_REGISTER, "NoSuchRegister");
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_write_sync (fx->registers, "a1] [set ::ood_pwned 1", 1,
                                                      NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NO_SUCH_REGISTER, "NoSuchRegister");
  g_clear_error (&error);
  g_assert_cmphex (raw_reg (fx, "a1"), ==, value);
}

static void
test_bad_names (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) values = NULL;
  const char *const some_bad[] = { "pc", "[exit]", NULL };
  g_autofree char **many = g_new0 (char *, 4098);
  guint64 value;

  (void) options;
  ood_test_halt (fx->base.target);
  g_assert_false (ood_dbus_registers_call_read_sync (fx->registers, "", &value, NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_read_many_sync (fx->registers, some_bad, &values, NULL,
                                                          &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NO_SUCH_REGISTER, "NoSuchRegister");
  g_clear_error (&error);
  for (guint i = 0; i < 4097; i++)
    many[i] = (char *) "pc";
  g_assert_false (ood_dbus_registers_call_read_many_sync (fx->registers,
                                                          (const char *const *) many, &values,
                                                          NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
}

static void
test_running (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GVariant) first = NULL, second = NULL;
  const char *const names[] = { "pc", NULL };
  g_autoptr(GBytes) data = random_bytes (37);
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *raw_counter = NULL;
  guint64 value, a, b;
  gsize n;

  (void) options;
  ood_test_resume (fx->base.target);
  g_assert_false (ood_dbus_registers_call_read_sync (fx->registers, "pc", &value, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NOT_HALTED, "NotHalted");
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_read_many_sync (fx->registers, names, &values, NULL,
                                                          &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NOT_HALTED, "NotHalted");
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_read_all_sync (fx->registers, &values, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NOT_HALTED, "NotHalted");
  g_clear_error (&error);
  g_assert_false (ood_dbus_registers_call_write_sync (fx->registers, "a0", 1, NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_NOT_HALTED, "NotHalted");
  g_clear_error (&error);

  /* memory works on a running target (System Bus Access), and the counter moves */
  g_assert_true (ood_dbus_memory_call_read_words_sync (fx->memory, COUNTER, 1, 32, &first, NULL,
                                                       &error));
  g_assert_no_error (error);
  g_usleep (20000);
  g_assert_true (ood_dbus_memory_call_read_words_sync (fx->memory, COUNTER, 1, 32, &second, NULL,
                                                       &error));
  g_assert_no_error (error);
  a = ((const guint64 *) g_variant_get_fixed_array (first, &n, sizeof (guint64)))[0];
  b = ((const guint64 *) g_variant_get_fixed_array (second, &n, sizeof (guint64)))[0];
  g_assert_cmpuint (b, >, a);
  raw_counter = tcl (fx, "riscv.cpu read_memory 0x%" G_GINT64_MODIFIER "x 32 1", COUNTER);
  g_assert_cmpuint (g_ascii_strtoull (raw_counter, NULL, 16), >, b);
  g_assert_true (ood_dbus_memory_call_write_bytes_sync (fx->memory, SCRATCH + 3,
                                                        bytes_variant (data), NULL, &error));
  g_assert_no_error (error);
  raw = ood_test_tcl_read_memory (fx->base.testbed, 8, SCRATCH + 3, 37);
  assert_bytes_equal (raw, data);
  g_assert_cmpstr (ood_dbus_target_get_state (fx->base.target), ==, OOD_STATE_RUNNING);
}

/* ---- memory -------------------------------------------------------------- */

static void
test_round_trip (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  static const struct {
    guint offset, size;
  } cases[] = {
    { 0, 1 }, { 1, 1 }, { 3, 2 }, { 1, 3 }, { 2, 6 }, { 5, 4096 }, { 4093, 4100 }, { 7, 13001 },
    { 0, 65536 },
  };

  (void) options;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 address = SCRATCH + cases[i].offset + 8192 * i;
      g_autoptr(GBytes) data = random_bytes (cases[i].size);
      g_autoptr(GBytes) before = ood_test_tcl_read_memory (fx->base.testbed, 8, address - 4, 4);
      g_autoptr(GBytes) after = ood_test_tcl_read_memory (fx->base.testbed, 8,
                                                           address + cases[i].size, 4);
      g_autoptr(GBytes) raw = NULL, read = NULL, before2 = NULL, after2 = NULL;

      g_test_message ("%u bytes at 0x%" G_GINT64_MODIFIER "x", cases[i].size, address);
      g_assert_true (ood_dbus_memory_call_write_bytes_sync (fx->memory, address,
                                                            bytes_variant (data), NULL, &error));
      g_assert_no_error (error);
      raw = ood_test_tcl_read_memory (fx->base.testbed, 8, address, cases[i].size);
      assert_bytes_equal (raw, data);
      read = read_bytes (fx, address, cases[i].size, &error);
      g_assert_no_error (error);
      assert_bytes_equal (read, data);
      /* not a byte more was written */
      before2 = ood_test_tcl_read_memory (fx->base.testbed, 8, address - 4, 4);
      after2 = ood_test_tcl_read_memory (fx->base.testbed, 8, address + cases[i].size, 4);
      assert_bytes_equal (before2, before);
      assert_bytes_equal (after2, after);
    }
}

static void
test_words (RegmemFixture *fx, gconstpointer options)
{
  static const guint8 widths[] = { 8, 16, 32 };

  (void) options;
  for (gsize w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      guint width = widths[w];
      guint count = 1 + g_random_int_range (0, 3000);
      guint64 address = SCRATCH + 0x10000 + width / 8 * g_random_int_range (0, 100);
      g_autofree guint64 *values = g_new (guint64, count);
      g_autoptr(GVariant) read = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *raw = NULL;
      g_autoptr(GString) expected = g_string_new (NULL);
      const guint64 *got;
      gsize n;

      for (guint i = 0; i < count; i++)
        values[i] = (guint64) g_random_int () & ((G_GUINT64_CONSTANT (1) << width) - 1);
      g_assert_true (ood_dbus_memory_call_write_words_sync (
          fx->memory, address, width,
          g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, values, count, sizeof (guint64)),
          NULL, &error));
      g_assert_no_error (error);
      raw = tcl (fx, "riscv.cpu read_memory 0x%" G_GINT64_MODIFIER "x %u %u", address, width,
                 count);
      for (guint i = 0; i < count; i++)
        g_string_append_printf (expected, "%s0x%" G_GINT64_MODIFIER "x", i ? " " : "", values[i]);
      g_assert_cmpstr (raw, ==, expected->str);
      g_assert_true (ood_dbus_memory_call_read_words_sync (fx->memory, address, count, width,
                                                           &read, NULL, &error));
      g_assert_no_error (error);
      got = g_variant_get_fixed_array (read, &n, sizeof (guint64));
      g_assert_cmpuint (n, ==, count);
      for (guint i = 0; i < count; i++)
        g_assert_cmphex (got[i], ==, values[i]);
    }
}

/* 64-bit accesses on this RV32 board: OpenOCD cannot make them (no 64-bit
 * System Bus Access), and the service emulates nothing: Target, with
 * OpenOCD's text, exactly as raw read_memory fails. Alignment is checked
 * first. */
static void
test_width64 (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) read = NULL;
  const guint64 one = 1;
  g_autofree char *raw = tcl (fx, "catch {riscv.cpu read_memory 0x%" G_GINT64_MODIFIER
                              "x 64 1} e; set e", SCRATCH);

  (void) options;
  g_assert_nonnull (strstr (raw, "failed"));
  g_assert_false (ood_dbus_memory_call_read_words_sync (fx->memory, SCRATCH, 1, 64, &read, NULL,
                                                        &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_assert_nonnull (strstr (error->message, "read_memory"));
  g_clear_error (&error);
  g_assert_false (ood_dbus_memory_call_write_words_sync (
      fx->memory, SCRATCH, 64,
      g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, &one, 1, sizeof (guint64)), NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_clear_error (&error);
  g_assert_false (ood_dbus_memory_call_read_words_sync (fx->memory, SCRATCH + 4, 1, 64, &read,
                                                        NULL, &error));
  ASSERT_INVALID_ARGS (error);
}

/* Calls that must fail with InvalidArgs before anything reaches OpenOCD. */
static void
test_bad_args (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) read = NULL;
  g_autoptr(GBytes) empty = NULL;
  const guint64 big = 0x100;
  static const struct {
    guint64 address;
    guint size;
  } bad_reads[] = {
    { RAM_START, G_MAXUINT32 }, { RAM_START, MIB + 1 }, { 0xffffffff, 2 },
    { G_GUINT64_CONSTANT (0x100000000), 1 }, { G_MAXUINT64, 1 }, { G_MAXUINT64, 0 },
  };

  (void) options;
  for (gsize i = 0; i < G_N_ELEMENTS (bad_reads); i++)
    {
      g_autoptr(GBytes) got = read_bytes (fx, bad_reads[i].address, bad_reads[i].size, &error);
      g_assert_null (got);
      ASSERT_INVALID_ARGS (error);
      g_clear_error (&error);
    }
  /* size 0: nothing to read, an empty answer */
  empty = read_bytes (fx, RAM_START, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
  /* the last byte of the address space is fine (and unmapped here) */
  g_assert_null (read_bytes (fx, 0xffffffff, 1, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_clear_error (&error);

  g_assert_false (ood_dbus_memory_call_read_words_sync (fx->memory, SCRATCH, 1, 12, &read, NULL,
                                                        &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_memory_call_read_words_sync (fx->memory, SCRATCH + 2, 1, 32, &read,
                                                        NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_memory_call_read_words_sync (fx->memory, SCRATCH, G_MAXUINT32, 32,
                                                        &read, NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_memory_call_write_words_sync (
      fx->memory, SCRATCH, 8,
      g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, &big, 1, sizeof (guint64)), NULL, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
}

static void
test_unmapped (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = read_bytes (fx, UNMAPPED, 16, &error);
  g_autoptr(GBytes) data = random_bytes (8);
  g_autoptr(GBytes) end = NULL;

  (void) options;
  g_assert_null (got);
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  /* OpenOCD's own text, as it logged it */
  g_assert_nonnull (strstr (error->message, "Failed to read memory"));
  g_clear_error (&error);
  g_assert_false (ood_dbus_memory_call_write_bytes_sync (fx->memory, UNMAPPED,
                                                         bytes_variant (data), NULL, &error));
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
  g_clear_error (&error);
  /* across the end of RAM: the part in RAM is read, then OpenOCD fails */
  end = read_bytes (fx, RAM_START + RAM_SIZE - CHUNK, CHUNK + 4, &error);
  g_assert_null (end);
  ASSERT_OOD_ERROR (error, OOD_ERROR_TARGET, "Target");
}

/* ---- fd transfers -------------------------------------------------------- */

static gboolean
read_to_fd (RegmemFixture *fx, guint64 address, guint64 size, int fd, GError **error)
{
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  gint index = g_unix_fd_list_append (list, fd, NULL);

  return ood_dbus_memory_call_read_to_fd_sync (fx->memory, address, size,
                                               g_variant_new_handle (index), list, NULL, NULL,
                                               error);
}

static gboolean
write_from_fd (RegmemFixture *fx, guint64 address, guint64 size, int fd, GError **error)
{
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  gint index = g_unix_fd_list_append (list, fd, NULL);

  return ood_dbus_memory_call_write_from_fd_sync (fx->memory, address, size,
                                                  g_variant_new_handle (index), list, NULL, NULL,
                                                  error);
}

static GBytes *
file_contents (int fd)
{
  off_t size = lseek (fd, 0, SEEK_END);
  guint8 *data = g_malloc (size);

  g_assert_cmpint (pread (fd, data, size, 0), ==, size);
  return g_bytes_new_take (data, size);
}

static void
test_fd (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = random_bytes (3 * CHUNK + 123);
  g_autoptr(GBytes) raw = NULL, back = NULL;
  int in = ood_test_temp_fd (), out = ood_test_temp_fd (), pipe_fds[2], null_w, null_r;
  gsize size;
  const guint8 *p = g_bytes_get_data (data, &size);
  guint64 address = SCRATCH + 0x30001;

  (void) options;
  /* WriteFromFd, then ReadToFd, at an odd address and length */
  g_assert_cmpint (write (in, p, size), ==, (gssize) size);
  lseek (in, 0, SEEK_SET);
  g_assert_true (write_from_fd (fx, address, size, in, &error));
  g_assert_no_error (error);
  raw = ood_test_tcl_read_memory (fx->base.testbed, 8, address, size);
  assert_bytes_equal (raw, data);
  g_assert_true (read_to_fd (fx, address, size, out, &error));
  g_assert_no_error (error);
  back = file_contents (out);
  assert_bytes_equal (back, data);

  /* an fd that ends early: a claimed 1 GiB costs nothing, the error says how far it got */
  lseek (in, 0, SEEK_SET);
  g_assert_false (write_from_fd (fx, address, G_GUINT64_CONSTANT (1) << 30, in, &error));
  ASSERT_INVALID_ARGS (error);
  g_assert_nonnull (strstr (error->message, "ended after"));
  g_clear_error (&error);

  /* fds open the wrong way, or a reader that went away */
  null_w = open ("/dev/null", O_WRONLY);
  null_r = open ("/dev/null", O_RDONLY);
  g_assert_false (write_from_fd (fx, address, 4, null_w, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (read_to_fd (fx, address, 4, null_r, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  close (null_w);
  close (null_r);
  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  close (pipe_fds[0]);
  g_assert_false (read_to_fd (fx, address, size, pipe_fds[1], &error));
  ood_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.IOError", G_DBUS_ERROR,
                              G_DBUS_ERROR_IO_ERROR);
  g_clear_error (&error);
  close (pipe_fds[1]);
  g_assert_false (read_to_fd (fx, RAM_START, G_MAXUINT32, out, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  g_assert_false (read_to_fd (fx, RAM_START, G_MAXUINT64, out, &error));
  ASSERT_INVALID_ARGS (error);
  g_clear_error (&error);
  close (in);
  close (out);
  g_assert_cmpint (ood_dbus_target_call_state_sync (fx->base.target, NULL, NULL, &error), ==, TRUE);
}

/* ---- fairness ------------------------------------------------------------ */

typedef struct {
  RegmemFixture *fx;
  int fd;
  gboolean done;
  GError *error;
} Dump;

static gpointer
dump_thread (gpointer user_data)
{
  Dump *dump = user_data;

  read_to_fd (dump->fx, RAM_START, MIB, dump->fd, &dump->error);
  g_atomic_int_set (&dump->done, TRUE);
  return NULL;
}

/* The read end of a dump's pipe, drained by a thread of its own, which
 * counts the bytes as they arrive. */
typedef struct {
  int         fd;
  GByteArray *data;
  gint        received;   /* atomic */
} Drain;

static gpointer
drain_thread (gpointer user_data)
{
  Drain *drain = user_data;
  guint8 buffer[CHUNK];

  while (drain->data->len < MIB)
    {
      gssize n = read (drain->fd, buffer, sizeof buffer);

      g_assert_cmpint (n, >, 0);
      g_byte_array_append (drain->data, buffer, (guint) n);
      g_atomic_int_add (&drain->received, (gint) n);
    }
  return NULL;
}

/* A State() issued while a 1 MiB ReadToFd runs goes ahead of the dump's
 * next chunk: counted in the dump's own bytes, no clock. The dump goes
 * into a pipe that holds one chunk and a thread drains it, so the bytes
 * received trail the bytes the service wrote by one chunk at most;
 * between a State() call and its reply, the chunk OpenOCD was reading
 * when State() came plus that one may arrive, never more (a State() that
 * waited for the rest of the dump would see hundreds). */
static void
test_fair (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) dumped = NULL, head = NULL, tail = NULL;
  int pipe_fds[2];
  Dump dump = { fx, -1, FALSE, NULL };
  Drain drain = { -1, g_byte_array_new (), 0 };
  gint worst = 0;
  guint answered = 0;
  GThread *dumper, *drainer;

  (void) options;
  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  g_assert_cmpint (fcntl (pipe_fds[1], F_SETPIPE_SZ, CHUNK), ==, CHUNK);
  drain.fd = pipe_fds[0];
  dump.fd = pipe_fds[1];
  drainer = g_thread_new ("drain", drain_thread, &drain);
  dumper = g_thread_new ("dump", dump_thread, &dump);
  while (!g_atomic_int_get (&dump.done))
    {
      gint before = g_atomic_int_get (&drain.received);

      g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, NULL, NULL, &error));
      g_assert_no_error (error);
      if (before == 0 || g_atomic_int_get (&dump.done))
        continue;
      worst = MAX (worst, g_atomic_int_get (&drain.received) - before);
      answered++;
      g_usleep (g_random_int_range (1000, 50000));
    }
  g_thread_join (dumper);
  g_thread_join (drainer);
  g_assert_no_error (dump.error);
  g_test_message ("%u State() during the dump: at most %d bytes (%d chunks) of the dump "
                  "arrived between a call and its reply", answered, worst,
                  (worst + CHUNK - 1) / CHUNK);
  /* every State() in the dump's midst, each answered in its turn */
  g_assert_cmpuint (answered, >=, 20);
  g_assert_cmpint (worst, <=, 2 * CHUNK);

  dumped = g_byte_array_free_to_bytes (drain.data);
  g_assert_cmpuint (g_bytes_get_size (dumped), ==, MIB);
  /* the program's first words, and a stretch the program does not touch */
  head = ood_test_tcl_read_memory (fx->base.testbed, 8, RAM_START, 64);
  tail = ood_test_tcl_read_memory (fx->base.testbed, 8, RAM_START + MIB - 2 * CHUNK, 2 * CHUNK);
  {
    g_autoptr(GBytes) d_head = g_bytes_new_from_bytes (dumped, 0, 64);
    g_autoptr(GBytes) d_tail = g_bytes_new_from_bytes (dumped, MIB - 2 * CHUNK, 2 * CHUNK);
    assert_bytes_equal (d_head, head);
    assert_bytes_equal (d_tail, tail);
  }
  close (pipe_fds[0]);
  close (pipe_fds[1]);
}

/* Nothing is allocated in proportion to a size a client merely claims. */
static void
test_claimed_size (RegmemFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  GPid pid = ood_service_fixture_get_service_pid (fx->base.service);
  guint64 before = ood_test_proc_status_field (pid, "VmRSS");
  g_autofree char *written = NULL;
  g_autofree char *zero = tcl (fx, "riscv.cpu write_memory 0x%" G_GINT64_MODIFIER "x 8 {0 0 0 0}",
                               RAM_START + 0x40000);
  int fds[2];

  (void) options;
  /* 1 GiB claimed, 4 bytes given */
  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], "abcd", 4), ==, 4);
  close (fds[1]);
  g_assert_false (write_from_fd (fx, RAM_START + 0x40000, G_GUINT64_CONSTANT (1) << 30, fds[0],
                                 &error));
  ASSERT_INVALID_ARGS (error);
  g_assert_nonnull (strstr (error->message, "ended after 4 of 1073741824 bytes; 0 were written"));
  close (fds[0]);
  g_assert_cmpuint (ood_test_proc_status_field (pid, "VmRSS"), <, before + 4096);
  written = tcl (fx, "riscv.cpu read_memory 0x%" G_GINT64_MODIFIER "x 8 4", RAM_START + 0x40000);
  /* a short chunk is not written */
  g_assert_cmpstr (written, !=, "0x61 0x62 0x63 0x64");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, test)                                                                            \
  g_test_add (path, RegmemFixture, NULL, regmem_set_up, test, regmem_tear_down)
  ADD ("/regmem/names", test_names);
  ADD ("/regmem/read", test_read);
  ADD ("/regmem/read-all", test_read_all);
  ADD ("/regmem/write", test_write);
  ADD ("/regmem/bad-names", test_bad_names);
  ADD ("/regmem/running", test_running);
  ADD ("/regmem/round-trip", test_round_trip);
  ADD ("/regmem/words", test_words);
  ADD ("/regmem/width64", test_width64);
  ADD ("/regmem/bad-args", test_bad_args);
  ADD ("/regmem/unmapped", test_unmapped);
  ADD ("/regmem/fd", test_fd);
  ADD ("/regmem/fair", test_fair);
  ADD ("/regmem/claimed-size", test_claimed_size);
#undef ADD
  return g_test_run ();
}
