/* SPDX-License-Identifier: MIT */
/* The flash scripts run by a real OpenOCD 0.12 on the simulated board
 * (its stm32f1x bank: 64 sectors of 1 KiB, 16 protection blocks of
 * 4 KiB), their answers parsed and checked against raw commands; and the
 * parsers on answers no OpenOCD gives. */
#include <string.h>

#include "ood-crc32.h"
#include "ood-error.h"
#include "ood-sums-routine.h"
#include "ood-tcl-flash.h"
#include "ood-tcl-parse.h"
#include "ood-testbed.h"

#define FLASH_BASE    0x08000000u
#define FLASH_SIZE    0x10000u
#define SECTOR_SIZE   0x400u
#define BLOCK_SIZE    0x1000u
#define RAM_BASE      0x80000000u

/* @script's text, run on @tb's OpenOCD; its catch code must be 0. When
 * OOD_TEST_SEEDS names a directory, the text is also written there as a
 * seed for the fuzzer of these parsers (tests/fuzz/fuzz-flash.c), behind
 * the byte @selector it reads first (0 is written as 0x40: one bank). */
static char *
run (OodTestbed *tb, char *script, guint8 selector)
{
  g_autofree char *owned = script;
  g_autofree char *reply = ood_test_tcl_eval_on (tb, script);
  const char *seeds = g_getenv ("OOD_TEST_SEEDS");
  const char *text = NULL;
  gint code = -1;

  g_assert_true (ood_tcl_parse_wrapped (reply, &code, &text));
  g_assert_cmpint (code, ==, 0);
  if (seeds != NULL)
    {
      g_autofree char *name = g_strdup_printf ("%s/openocd-%02x", seeds, selector);
      g_autofree char *seed = g_strdup_printf ("%c%s", selector != 0 ? selector : 0x40, text);

      g_assert_true (g_file_set_contents (name, seed, (gssize) strlen (seed), NULL));
    }
  return g_strdup (text);
}

static const OodTclFlashSector *
sector (GArray *sectors, guint i)
{
  return &g_array_index (sectors, OodTclFlashSector, i);
}

/* @sectors are @n of @size bytes from offset 0, each as protected as
 * @protection says. */
static void
assert_layout (GArray *sectors, guint n, guint64 size, gint protection)
{
  g_assert_nonnull (sectors);
  g_assert_cmpuint (sectors->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (sector (sectors, i)->index, ==, i);
      g_assert_cmpuint (sector (sectors, i)->offset, ==, i * size);
      g_assert_cmpuint (sector (sectors, i)->size, ==, size);
      g_assert_cmpint (sector (sectors, i)->protection, ==, protection);
    }
}

static void
test_openocd_banks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) banks = NULL;
  OodTclFlashBank *bank;

  g_assert_no_error (error);
  text = run (tb, ood_tcl_script_flash_banks (), 0);
  banks = ood_tcl_parse_flash_banks (text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (banks->len, ==, 1);
  bank = banks->pdata[0];
  g_assert_cmpuint (bank->index, ==, 0);
  g_assert_cmpstr (bank->target, ==, ood_testbed_get_target_name (tb));
  g_assert_cmpstr (bank->name, ==, "riscvsim.flash");
  g_assert_cmpuint (bank->base, ==, FLASH_BASE);
  g_assert_cmpuint (bank->size, ==, FLASH_SIZE);
}

/* The sectors with their blocks' protection, and the blocks; one block
 * protected behind the parser's back shows on its four sectors. */
static void
test_openocd_sectors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  g_autofree char *raw = NULL;
  g_autoptr(GArray) sectors = NULL;
  g_autoptr(GArray) listed = NULL;
  g_autoptr(GArray) blocks = NULL;
  g_autoptr(GArray) after = NULL;

  g_assert_no_error (error);
  text = run (tb, ood_tcl_script_flash_sectors (0), 1);
  sectors = ood_tcl_parse_flash_sectors (text, &error);
  g_assert_no_error (error);
  assert_layout (sectors, FLASH_SIZE / SECTOR_SIZE, SECTOR_SIZE, 0);
  blocks = ood_tcl_parse_flash_blocks (text, &listed, &error);
  g_assert_no_error (error);
  assert_layout (blocks, FLASH_SIZE / BLOCK_SIZE, BLOCK_SIZE, 0);
  assert_layout (listed, FLASH_SIZE / SECTOR_SIZE, SECTOR_SIZE, 0);

  /* block 1 (sectors 4 to 7) protected, loaded by a reset */
  raw = ood_test_tcl_eval_on (tb, "halt; flash protect 0 1 1 on; reset halt; flash info 0");
  g_assert_nonnull (strstr (raw, "#  1: 0x00001000 (0x1000 4kB) protected"));
  again = run (tb, ood_tcl_script_flash_sectors (0), 2);
  after = ood_tcl_parse_flash_sectors (again, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, FLASH_SIZE / SECTOR_SIZE);
  for (guint i = 0; i < after->len; i++)
    g_assert_cmpint (sector (after, i)->protection, ==, i >= 4 && i <= 7 ? 1 : 0);
  g_free (ood_test_tcl_eval_on (tb, "flash protect 0 1 1 off; reset halt"));
}

/* The work area and every bank's sectors in one command; a bank OpenOCD
 * refuses to list (here one it does not have) is told apart, with its
 * text, the others listed all the same. */
static void
test_openocd_geometry (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  const guint banks[] = { 0 };
  const guint with_missing[] = { 7, 0 };
  g_autofree char *text = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *refused = NULL;
  g_autoptr(GPtrArray) geometry = NULL;
  guint64 work_area = 0;

  g_assert_no_error (error);
  text = run (tb, ood_tcl_script_flash_geometry (ood_testbed_get_target_name (tb), banks, 1), 3);
  geometry = ood_tcl_parse_flash_geometry (text, 1, &work_area, &refused, &error);
  g_assert_no_error (error);
  g_assert_null (refused);
  raw = ood_test_tcl_eval_on (tb, "riscv.cpu cget -work-area-size");
  g_assert_cmpuint (work_area, ==, g_ascii_strtoull (raw, NULL, 0));
  g_assert_cmpuint (work_area, >, 0);
  g_assert_cmpuint (geometry->len, ==, 1);
  assert_layout (geometry->pdata[0], FLASH_SIZE / SECTOR_SIZE, SECTOR_SIZE, 0);

  /* asked for two banks, OpenOCD's answer for one is malformed */
  g_clear_pointer (&geometry, g_ptr_array_unref);
  geometry = ood_tcl_parse_flash_geometry (text, 2, &work_area, &refused, &error);
  g_assert_null (geometry);
  g_assert_null (refused);
  g_assert_error (error, OOD_ERROR, OOD_ERROR_TARGET);
  g_clear_error (&error);

  missing = run (tb,
                 ood_tcl_script_flash_geometry (ood_testbed_get_target_name (tb), with_missing, 2),
                 0x13);
  geometry = ood_tcl_parse_flash_geometry (missing, 2, &work_area, &refused, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (geometry->len, ==, 2);
  g_assert_null (geometry->pdata[0]);
  g_assert_nonnull (refused);
  g_assert_cmpstr (refused, ==, "flash bank 7 does not exist");
  assert_layout (geometry->pdata[1], FLASH_SIZE / SECTOR_SIZE, SECTOR_SIZE, 0);
}

/* A protect that worked, and one OpenOCD refused (a sector range its
 * driver does not have): what failed, OpenOCD's text, and the listing
 * read afterwards. */
static void
test_openocd_protect (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  const char *name = NULL;
  g_autofree char *text = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GArray) sectors = NULL;
  g_autoptr(GArray) unchanged = NULL;

  g_assert_no_error (error);
  name = ood_testbed_get_target_name (tb);
  text = run (tb, ood_tcl_script_flash_protect (name, 0, 2, 2, TRUE), 4);
  sectors = ood_tcl_parse_flash_protect (text, &failed, &message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (failed, ==, "");
  g_assert_cmpstr (message, ==, "");
  for (guint i = 0; i < sectors->len; i++)
    g_assert_cmpint (sector (sectors, i)->protection, ==, i >= 8 && i <= 11 ? 1 : 0);

  g_clear_pointer (&failed, g_free);
  g_clear_pointer (&message, g_free);
  refused = run (tb, ood_tcl_script_flash_protect (name, 0, 2, 99, FALSE), 5);
  unchanged = ood_tcl_parse_flash_protect (refused, &failed, &message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (failed, ==, "protect");
  g_assert_cmpstr (message, !=, "");
  for (guint i = 0; i < unchanged->len; i++)
    g_assert_cmpint (sector (unchanged, i)->protection, ==, i >= 8 && i <= 11 ? 1 : 0);
  g_free (ood_test_tcl_eval_on (tb, "flash protect 0 2 2 off; reset halt"));
}

/* The registers a run of the checksum routine must leave as they were,
 * read by a raw command: its dictionary of their values. */
#define KEPT_REGISTERS "pc sp ra a0 a1 a2 a3 a4 a5 t0 t1 t2 fp s1 mstatus mepc mcause"

static char *
kept_registers (OodTestbed *tb)
{
  return ood_test_tcl_eval_on (tb, "riscv.cpu get_reg -force {" KEPT_REGISTERS "}");
}

/* @length bytes at @address, read by a raw command. */
static GByteArray *
read_back (OodTestbed *tb, guint32 address, guint length)
{
  g_autofree char *command = g_strdup_printf ("read_memory 0x%x 8 %u", address, length);
  g_autofree char *text = ood_test_tcl_eval_on (tb, command);
  g_auto(GStrv) bytes = g_strsplit (g_strstrip (text), " ", -1);
  GByteArray *data = g_byte_array_new ();

  g_assert_cmpuint (g_strv_length (bytes), ==, length);
  for (guint i = 0; i < length; i++)
    {
      guint8 byte = (guint8) g_ascii_strtoull (bytes[i], NULL, 0);
      g_byte_array_append (data, &byte, 1);
    }
  return data;
}

/* Runs @from to @to - 1 of @runs (address, length pairs) were
 * checksummed into @sums: each the host's CRC of the bytes read back. */
static void
assert_sums (OodTestbed *tb, const guint64 *runs, const guint32 *sums, guint from, guint to)
{
  for (guint i = from; i < to; i++)
    {
      g_autoptr(GByteArray) bytes = read_back (tb, (guint32) runs[2 * i], (guint) runs[2 * i + 1]);
      g_assert_cmpuint (sums[i], ==, ood_crc32 (bytes->data, bytes->len));
    }
}

/* Runs the checksum script over @runs (with @firsts, or none) on @tb's
 * target; it must answer, having run or not, the routine usable. */
static void
sums_of (OodTestbed *tb, const guint64 *runs, const guint32 *firsts, guint n, guint8 selector,
         guint32 *sums, gboolean *differs)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *unusable = NULL;
  g_autofree char *text = run (tb,
                               ood_tcl_script_flash_sums (ood_testbed_get_target_name (tb),
                                                          ood_sums_routine, OOD_SUMS_ROUTINE_SIZE,
                                                          runs, firsts, n),
                               selector);

  g_assert_true (ood_tcl_parse_flash_sums (text, n, sums, differs, &unusable, &error));
  g_assert_no_error (error);
  g_assert_null (unusable);
}

/* One run of the checksum routine over three runs (flash, RAM set by
 * hand, an empty one): each CRC is the host's of the bytes read back,
 * and the registers are as they were, with known values set before
 * (interrupts enabled among them). */
static void
test_openocd_sums (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  const guint64 runs[] = { FLASH_BASE + 0x10, 0x1234, RAM_BASE + 0x2000, 64, RAM_BASE, 0 };
  guint32 sums[3] = { 0 };
  gboolean differs[3] = { TRUE, TRUE, TRUE };
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_no_error (error);
  g_free (ood_test_tcl_eval_on (tb, "halt; write_memory 0x80002000 32 {0x01020304 0xdeadbeef "
                                    "0 0xffffffff 5 6 7 8 9 10 11 12 13 14 15 16}; "
                                    "riscv.cpu set_reg {sp 0x80080000 ra 0x11 a0 0xa0 a1 0xa1 "
                                    "a2 0xa2 a3 0xa3 a4 0xa4 a5 0xa5 t0 0x70 t1 0x71 t2 0x72 "
                                    "fp 0x50 s1 0x51 mstatus 0x1888}"));
  before = kept_registers (tb);
  sums_of (tb, runs, NULL, 3, 0x26, sums, differs);
  after = kept_registers (tb);
  g_assert_cmpstr (after, ==, before);
  g_assert_true (strstr (before, "mstatus 0x00001888") != NULL);
  g_assert_true (!differs[0] && !differs[1] && !differs[2]);
  assert_sums (tb, runs, sums, 0, 3);
  g_assert_cmpuint (sums[2], ==, 0);
}

/* With the first words: a run whose first word differs is answered
 * "differs" and not checksummed; one whose first word matches is
 * checksummed. Where every run differs the routine does not run: the
 * work area and the registers stay as they were. */
static void
test_openocd_sums_firsts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  const guint64 runs[] = { RAM_BASE + 0x2000, 64, RAM_BASE + 0x2040, 64, RAM_BASE + 0x2002, 8 };
  const guint32 right[] = { 0x01020304, 0x11111111, 0 };
  const guint32 wrong[] = { 0x01020305, 0x11111112, 0 };
  const guint64 aligned[] = { RAM_BASE + 0x2000, 64, RAM_BASE + 0x2040, 64 };
  guint32 sums[3] = { 0 };
  gboolean differs[3] = { FALSE, FALSE, FALSE };
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *area = NULL;
  g_autofree char *area_after = NULL;

  g_assert_no_error (error);
  g_free (ood_test_tcl_eval_on (tb, "halt; write_memory 0x80002000 32 {0x01020304 2 3 4 5 6 7 8 "
                                    "9 10 11 12 13 14 15 16 0x11111111 2 3 4 5 6 7 8 9 10 11 12 "
                                    "13 14 15 16}"));
  sums_of (tb, runs, wrong, 3, 0x3a, sums, differs);
  /* the third is not 4-aligned: checksummed whatever its first word */
  g_assert_true (differs[0] && differs[1] && !differs[2]);
  assert_sums (tb, runs, sums, 2, 3);
  sums_of (tb, runs, right, 3, 0x3b, sums, differs);
  g_assert_true (!differs[0] && !differs[1] && !differs[2]);
  assert_sums (tb, runs, sums, 0, 2);

  /* every run differs: the work area (a mark written at its start) and
   * the registers are untouched */
  g_free (ood_test_tcl_eval_on (tb, "write_memory [riscv.cpu cget -work-area-phys] 32 "
                                    "{0x5a5a5a5a 0xa5a5a5a5}; riscv.cpu set_reg {a0 0xa0 sp "
                                    "0x80080000}"));
  area = ood_test_tcl_eval_on (tb, "read_memory [riscv.cpu cget -work-area-phys] 32 2");
  before = kept_registers (tb);
  sums_of (tb, aligned, wrong, 2, 0x1c, sums, differs);
  g_assert_true (differs[0] && differs[1]);
  area_after = ood_test_tcl_eval_on (tb, "read_memory [riscv.cpu cget -work-area-phys] 32 2");
  g_assert_cmpstr (area_after, ==, area);
  g_assert_cmpstr (area, ==, "0x5a5a5a5a 0xa5a5a5a5");
  after = kept_registers (tb);
  g_assert_cmpstr (after, ==, before);
}

/* Sampling the first words costs the hart no register read: OpenOCD's
 * RISC-V virtual-to-physical check reads the dcsr for every read_memory
 * not marked "phys" (riscv_mmu(), the privilege mode), so that sixteen
 * sectors would cost sixteen dcsr reads, most of each read's time. */
static void
test_openocd_sums_firsts_reads (void)
{
  const OodTestbedOptions options = { .sim_trace = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (&options, &error);
  guint64 runs[2 * 16];
  guint32 wrong[16];
  guint32 sums[16];
  gboolean differs[16];
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < 16; i++)
    {
      runs[2 * i] = RAM_BASE + 0x2000 + 64 * i;
      runs[2 * i + 1] = 64;
      wrong[i] = 0x5a000000 + i;
    }
  g_free (ood_test_tcl_eval_on (tb, "halt; riscv.cpu get_reg -force {pc dcsr}; "
                                    "write_memory 0x80002000 32 [lrepeat 256 0]"));
  before = ood_testbed_read_sim_log (tb);
  sums_of (tb, runs, wrong, 16, 0x1d, sums, differs);
  after = ood_testbed_read_sim_log (tb);
  for (guint i = 0; i < 16; i++)
    g_assert_true (differs[i]); /* each first word was read */
  g_assert_cmpuint (strlen (after), >, strlen (before));
  g_assert_cmpuint (ood_testbed_register_reads (after + strlen (before), OOD_SIM_REG_DCSR), ==, 0);
}

/* Flash that reads erased (0xffffffff) at the first four sampled runs
 * is taken as erased: the runs after them differ unread, even those
 * whose first word would match. Three erased runs and a fourth that
 * matches: every run is read and judged on its own. */
static void
test_openocd_sums_firsts_erased (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  guint64 runs[2 * 8];
  guint32 firsts[8];
  guint32 sums[8];
  gboolean differs[8];
  g_autoptr(GString) words = g_string_new ("halt; write_memory 0x80002000 32 {");

  g_assert_no_error (error);
  for (guint i = 0; i < 8; i++)
    {
      runs[2 * i] = RAM_BASE + 0x2000 + 64 * i;
      runs[2 * i + 1] = 64;
      firsts[i] = 0x1000 + i;
      /* the first four runs read erased, the others hold the image's */
      for (guint k = 0; k < 16; k++)
        g_string_append_printf (words, " 0x%x", i < 4 ? 0xffffffffu : k == 0 ? firsts[i] : k);
    }
  g_string_append (words, "}");
  g_free (ood_test_tcl_eval_on (tb, words->str));
  sums_of (tb, runs, firsts, 8, 0x1e, sums, differs);
  for (guint i = 0; i < 8; i++)
    g_assert_true (differs[i]);

  /* the fourth run matches: no run is taken as erased unread */
  g_free (ood_test_tcl_eval_on (tb, "write_memory 0x800020c0 32 {0x1003}"));
  sums_of (tb, runs, firsts, 8, 0x1f, sums, differs);
  for (guint i = 0; i < 3; i++)
    g_assert_true (differs[i]);
  for (guint i = 3; i < 8; i++)
    g_assert_false (differs[i]);
  assert_sums (tb, runs, sums, 3, 8);
}

/* A run that does not end on the routine's ebreak (a run of bytes where
 * the board has no memory: the hart traps away): an error with the
 * text, the registers as they were. A target without a work area: the
 * routine cannot run, said so, nothing changed. */
static void
test_openocd_sums_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTestbed) tb = ood_testbed_new (NULL, &error);
  const char *name = NULL;
  const guint64 runs[] = { 0x40000000u, 16 };
  g_autofree char *script = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *text = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *unusable = NULL;
  g_autofree char *state = NULL;
  const char *answer = NULL;
  guint32 sum = 0;
  gboolean differ = FALSE;
  gint code = -1;

  g_assert_no_error (error);
  name = ood_testbed_get_target_name (tb);
  g_free (ood_test_tcl_eval_on (tb, "halt; riscv.cpu set_reg {sp 0x80080000 a0 0xa0 mstatus 0x1888}"));
  before = kept_registers (tb);
  script = ood_tcl_script_flash_sums (name, ood_sums_routine, OOD_SUMS_ROUTINE_SIZE, runs, NULL, 1);
  reply = ood_test_tcl_eval_on (tb, script);
  g_assert_true (ood_tcl_parse_wrapped (reply, &code, &answer));
  g_assert_cmpint (code, ==, 1);
  g_assert_true (strstr (answer, "checksum routine stopped at") != NULL ||
                 strstr (answer, "timed out") != NULL || strstr (answer, "halt") != NULL);
  state = ood_test_tcl_eval_on (tb, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "halted");
  after = kept_registers (tb);
  g_assert_cmpstr (after, ==, before);

  g_free (ood_test_tcl_eval_on (tb, "riscv.cpu configure -work-area-phys 0"));
  text = run (tb,
              ood_tcl_script_flash_sums (name, ood_sums_routine, OOD_SUMS_ROUTINE_SIZE, runs, NULL,
                                         1),
              0x07);
  g_assert_true (ood_tcl_parse_flash_sums (text, 1, &sum, &differ, &unusable, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (unusable, ==, "no physical work area");
  g_clear_pointer (&after, g_free);
  after = kept_registers (tb);
  g_assert_cmpstr (after, ==, before);
}

/* Answers no OpenOCD gives are errors of the Target code, never a crash
 * nor a partial result. */
static void
test_malformed (void)
{
  static const char *const texts[] = {
    "", "{", "}", "\"", "{a b} {c", "x", "1 2 3 4 5 6 7",
    "{0 riscv.cpu riscvsim.flash 0x08000000 0x10000 0 0} {1 t n base 0x1 0 0}",
    "{0 t n 0x0 0x10 0 0 extra}", "{0 t n 0x0 -1 0 0}", "{99999999999 t n 0x0 0x10 0 0}",
  };
  gboolean equal[3];

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) e1 = NULL;
      g_autoptr(GError) e2 = NULL;
      g_autoptr(GError) e3 = NULL;
      g_autoptr(GError) e4 = NULL;
      g_autoptr(GPtrArray) banks = ood_tcl_parse_flash_banks (texts[i], &e1);
      g_autoptr(GArray) sectors = ood_tcl_parse_flash_sectors (texts[i], &e2);
      g_autofree char *failed = NULL;
      g_autofree char *message = NULL;
      g_autoptr(GArray) after = ood_tcl_parse_flash_protect (texts[i], &failed, &message, &e3);
      guint64 work_area = 0;
      g_autofree char *refused = NULL;
      g_autoptr(GPtrArray) geometry = ood_tcl_parse_flash_geometry (texts[i], 1, &work_area,
                                                                     &refused, &e4);

      /* "" is an empty list of banks; every other one of these fails */
      if (i == 0)
        g_assert_cmpuint (banks->len, ==, 0);
      else
        g_assert_true (banks == NULL && e1 != NULL);
      g_assert_true (sectors == NULL && e2 != NULL);
      g_assert_true (after == NULL && e3 != NULL && failed == NULL && message == NULL);
      g_assert_true (geometry == NULL && e4 != NULL);
    }
  {
    static const char *const bad_geometry[] = { "16384 {2 a b}", "16384 {1 a}", "16384 {0}",
                                                "16384 {0 x y}", "16384 {1 {} {}}" };
    g_autoptr(GError) error = NULL;
    g_autofree char *refused = NULL;
    g_autoptr(GPtrArray) geometry = NULL;
    guint64 work_area = 0;

    for (gsize i = 0; i < G_N_ELEMENTS (bad_geometry); i++)
      {
        g_assert_null (
            ood_tcl_parse_flash_geometry (bad_geometry[i], 1, &work_area, &refused, &error));
        g_assert_error (error, OOD_ERROR, OOD_ERROR_TARGET);
        g_assert_null (refused);
        g_clear_error (&error);
      }
    geometry = ood_tcl_parse_flash_geometry ("16384 {0 {no such bank}} {0 {nor this}}", 2,
                                             &work_area, &refused, &error);
    g_assert_no_error (error);
    g_assert_true (geometry->len == 2 && geometry->pdata[0] == NULL && geometry->pdata[1] == NULL);
    g_assert_cmpstr (refused, ==, "no such bank");
    g_assert_cmpuint (work_area, ==, 16384);
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (ood_tcl_parse_images_equal ("1 2", 2, equal, &error));
    g_assert_error (error, OOD_ERROR, OOD_ERROR_TARGET);
    g_clear_error (&error);
    g_assert_false (ood_tcl_parse_images_equal ("1", 2, equal, &error));
    g_assert_error (error, OOD_ERROR, OOD_ERROR_TARGET);
    g_clear_error (&error);
    g_assert_true (ood_tcl_parse_images_equal ("1 0 1", 3, equal, &error));
    g_assert_no_error (error);
    g_assert_true (equal[0] && !equal[1] && equal[2]);
  }
  {
    static const char *const bad_sums[] = {
      "1 {1 2}", "1 {1 2 3 4}", "1 {x 2 3}", "2 {1 2 3}", "1 {1 2 0x100000000}",
      "1",       "0",           "{1 2 3}",   "1 {D 2 3}", "1 {d 2 dd}"
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *unusable = NULL;
    guint32 sums[3] = { 0 };
    gboolean differs[3] = { FALSE };

    for (gsize i = 0; i < G_N_ELEMENTS (bad_sums); i++)
      {
        g_assert_false (
            ood_tcl_parse_flash_sums (bad_sums[i], 3, sums, differs, &unusable, &error));
        g_assert_error (error, OOD_ERROR, OOD_ERROR_TARGET);
        g_assert_null (unusable);
        g_clear_error (&error);
      }
    g_assert_true (
        ood_tcl_parse_flash_sums ("1 {0x10 20 0xffffffff}", 3, sums, differs, &unusable, &error));
    g_assert_no_error (error);
    g_assert_true (sums[0] == 16 && sums[1] == 20 && sums[2] == 0xffffffffu && unusable == NULL);
    g_assert_true (!differs[0] && !differs[1] && !differs[2]);
    g_assert_true (ood_tcl_parse_flash_sums ("1 {d 20 d}", 3, sums, differs, &unusable, &error));
    g_assert_no_error (error);
    g_assert_true (differs[0] && !differs[1] && differs[2] && sums[1] == 20);
    g_assert_true (ood_tcl_parse_flash_sums ("0 {no room}", 3, sums, differs, &unusable, &error));
    g_assert_cmpstr (unusable, ==, "no room");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tcl-flash/openocd/banks", test_openocd_banks);
  g_test_add_func ("/tcl-flash/openocd/sectors", test_openocd_sectors);
  g_test_add_func ("/tcl-flash/openocd/geometry", test_openocd_geometry);
  g_test_add_func ("/tcl-flash/openocd/protect", test_openocd_protect);
  g_test_add_func ("/tcl-flash/openocd/sums", test_openocd_sums);
  g_test_add_func ("/tcl-flash/openocd/sums-firsts", test_openocd_sums_firsts);
  g_test_add_func ("/tcl-flash/openocd/sums-firsts-reads", test_openocd_sums_firsts_reads);
  g_test_add_func ("/tcl-flash/openocd/sums-firsts-erased", test_openocd_sums_firsts_erased);
  g_test_add_func ("/tcl-flash/openocd/sums-fails", test_openocd_sums_fails);
  g_test_add_func ("/tcl-flash/malformed", test_malformed);
  return g_test_run ();
}
