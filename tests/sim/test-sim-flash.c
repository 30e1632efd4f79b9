/* OpenOCD 0.12's own stm32f1x flash driver against the simulated board's
 * GD32VF103-like flash (tests/sim/flash.c), and its dual-bank XL-density
 * flash (--flash-banks 2), over the Tcl RPC port. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ood-testbed.h"

#define FLASH_BASE   0x08000000u
#define FLASH_SIZE   0x10000u
#define FLASH_SR     0x4002200cu
#define FLASH_CR     0x40022010u
#define FLASH_WRPR   0x40022020u
#define BANK1_BASE   0x08080000u  /* the dual-bank board's bank 1 */
#define BANK1_SIZE   0x10000u
#define FLASH_SR2    0x4002204cu
#define FLASH_CR2    0x40022050u
#define SR_PGERR     (1u << 2)
#define SR_WRPRTERR  (1u << 4)
#define CR_LOCK      (1u << 7)
#define WORK_AREA    0x8000c000u  /* riscv-sim.cfg's -work-area-phys */
/* The first instruction of OpenOCD's gd32vf103 loader, lhu a5, 0(a2). */
#define LOADER_INSN0 0x00065783u

#define PGERR_TEXT   "stm32x device programming failed / flash not erased"
#define WRPRT_TEXT   "stm32x device protected"
#define FALLBACK_TEXT "couldn't use block writes, falling back to single memory accesses"

typedef struct {
  OodTestbed *tb;
  OodTestTcl *tcl;
  char *tmpdir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  OodTestbedOptions opts = { .flash_banks = GPOINTER_TO_UINT (data) };

  f->tb = ood_testbed_new (&opts, &error);
  g_assert_no_error (error);
  f->tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (f->tb), &error);
  g_assert_no_error (error);
  f->tmpdir = g_dir_make_tmp ("test-sim-flash.XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  g_clear_pointer (&f->tcl, ood_test_tcl_free);
  g_clear_pointer (&f->tb, ood_testbed_free);
  if (f->tmpdir)
    {
      g_autoptr(GDir) dir = g_dir_open (f->tmpdir, 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (f->tmpdir);
    }
  g_free (f->tmpdir);
}

static char *
eval (Fixture *f, const char *command)
{
  g_autoptr(GError) error = NULL;
  char *reply = ood_test_tcl_eval (f->tcl, command, &error);

  g_assert_no_error (error);
  g_test_message ("%s -> '%.2000s'", command, reply);
  return reply;
}

static void
eval_ignore (Fixture *f, const char *command)
{
  g_autofree char *reply = eval (f, command);
}

/* Runs a command under OpenOCD's "capture", so that *output holds the log
 * lines (errors, warnings) it produced followed by its result, once
 * ("capture" alone returns the result only when nothing was logged).  Returns the Tcl
 * status: 0 is OK. */
static int
eval_capture (Fixture *f, const char *command, char **output)
{
  g_autofree char *cmd = g_strdup_printf ("set _ood_res {}; "
                                          "set _ood_rc [catch {capture {set _ood_res [%s]}} _ood_out]",
                                          command);
  g_autofree char *rc = eval (f, cmd);

  *output = eval (f, "if {$_ood_out eq $_ood_res} {set _ood_res} "
                     "else {string cat $_ood_out \"\n\" $_ood_res}");
  return atoi (rc);
}

static void
assert_ok (Fixture *f, const char *command, const char *expect)
{
  g_autofree char *out = NULL;
  int rc = eval_capture (f, command, &out);

  g_assert_cmpint (rc, ==, 0);
  if (expect)
    g_assert_nonnull (strstr (out, expect));
}

static void
assert_fails (Fixture *f, const char *command, const char *expect)
{
  g_autofree char *out = NULL;
  int rc = eval_capture (f, command, &out);

  g_assert_cmpint (rc, !=, 0);
  g_assert_nonnull (strstr (out, expect));
}

static void
halt (Fixture *f)
{
  eval_ignore (f, "halt");
  g_autofree char *state = eval (f, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "halted");
}

static void
reset_halt (Fixture *f)
{
  eval_ignore (f, "reset halt");
  g_autofree char *state = eval (f, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "halted");
}

/* count 32-bit words from addr; NULL if OpenOCD could not read them. */
static guint32 *
read_words (Fixture *f, guint32 addr, guint count)
{
  g_autofree char *cmd = g_strdup_printf ("read_memory 0x%08x 32 %u", addr, count);
  g_autofree char *wrapped = g_strdup_printf ("catch {%s} _ood_words", cmd);
  g_autofree char *rc = eval (f, wrapped);
  if (atoi (rc) != 0)
    return NULL;
  g_autofree char *out = eval (f, "set _ood_words");

  g_auto(GStrv) tokens = g_strsplit (g_strstrip (out), " ", -1);
  g_assert_cmpuint (g_strv_length (tokens), ==, count);
  guint32 *words = g_new (guint32, count);
  for (guint i = 0; i < count; i++)
    words[i] = (guint32) strtoull (tokens[i], NULL, 0);
  return words;
}

static guint32
read_word (Fixture *f, guint32 addr)
{
  g_autofree guint32 *w = read_words (f, addr, 1);

  g_assert_nonnull (w);
  return w[0];
}

static void
assert_flash_equals (Fixture *f, guint32 offset, const guint8 *data, gsize len)
{
  g_autofree guint32 *words = read_words (f, FLASH_BASE + offset, (guint) (len / 4));

  g_assert_nonnull (words);
  for (gsize i = 0; i < len / 4; i++)
    {
      guint32 expect = (guint32) data[4 * i] | (guint32) data[4 * i + 1] << 8 |
                       (guint32) data[4 * i + 2] << 16 | (guint32) data[4 * i + 3] << 24;
      if (words[i] != expect)
        g_error ("flash word at 0x%08x is 0x%08x, expected 0x%08x",
                 (guint) (FLASH_BASE + offset + 4 * i), words[i], expect);
    }
}

static void
assert_flash_erased (Fixture *f, guint32 offset, gsize len)
{
  g_autofree guint8 *ff = g_malloc (len);

  memset (ff, 0xff, len);
  assert_flash_equals (f, offset, ff, len);
}

/* Random bytes in a file of the fixture's directory; returns its path,
 * quoted for Tcl. */
static char *
random_file (Fixture *f, const char *name, gsize len, guint8 **data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);
  guint8 *buf = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_test_rand_int_range (0, 256);
  /* No erased half-words, so "not erased" is certain everywhere. */
  for (gsize i = 0; i < len; i += 2)
    if (buf[i] == 0xff && buf[i + 1] == 0xff)
      buf[i] = 0x5a;
  g_file_set_contents (path, (const char *) buf, (gssize) len, &error);
  g_assert_no_error (error);
  *data = buf;
  return ood_test_tcl_quote (path);
}

static double
timed_capture (Fixture *f, const char *command, char **out, int *rc)
{
  gint64 start = g_get_monotonic_time ();

  *rc = eval_capture (f, command, out);
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/* ---- tests ---- */

static void
test_probe (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);  /* stm32f1x options_read wants a halted target */
  assert_ok (f, "flash probe 0", "flash 'stm32f1x' found at 0x08000000");
  g_autofree char *banks = eval (f, "flash banks");
  g_assert_nonnull (strstr (banks, "riscvsim.flash (stm32f1x) at 0x08000000, size 0x00010000"));

  g_autofree char *info = NULL;
  g_assert_cmpint (eval_capture (f, "flash info 0 sectors", &info), ==, 0);
  g_assert_nonnull (strstr (info, "GD32VF103"));
  g_assert_nonnull (strstr (info, "# 63: 0x0000fc00 (0x400 1kB)"));
  g_assert_null (strstr (info, "# 64:"));
  guint sectors = 0;
  for (const char *p = info; (p = strstr (p, "(0x400 1kB)")); p++)
    sectors++;
  g_assert_cmpuint (sectors, ==, 64);

  /* Protection: 16 blocks of 4 pages, none protected. */
  g_autofree char *prot = eval (f, "flash info 0");
  g_assert_nonnull (strstr (prot, "# 15: 0x0000f000 (0x1000 4kB) not protected"));
  g_assert_null (strstr (prot, ") protected"));
  g_assert_cmphex (read_word (f, FLASH_WRPR), ==, 0xffffffffu);

  g_autofree char *opts = eval (f, "stm32f1x options_read 0");
  g_assert_nonnull (strstr (opts, "read protection: off"));
  g_assert_null (strstr (opts, "complement error"));
}

static void
test_erase (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  assert_flash_erased (f, 0, 0x1000);  /* as delivered */
  /* Fill two pages and a bit of the third, then erase the first two. */
  assert_ok (f, "flash fillw 0x08000000 0x12345678 0x200", NULL);
  assert_ok (f, "flash fillh 0x08000800 0xbeef 4", NULL);
  g_assert_cmphex (read_word (f, 0x080007fcu), ==, 0x12345678u);
  g_assert_cmphex (read_word (f, 0x08000800u), ==, 0xbeefbeefu);
  assert_ok (f, "flash erase_sector 0 0 1", "erased sectors 0 through 1 on flash bank 0");
  assert_flash_erased (f, 0, 0x800);
  g_assert_cmphex (read_word (f, 0x08000800u), ==, 0xbeefbeefu);

  /* All sectors: the driver's mass erase. */
  assert_ok (f, "flash erase_sector 0 0 last", "erased sectors 0 through 63");
  assert_flash_erased (f, 0, 0x1000);
  assert_ok (f, "flash fillh 0x0800fffe 0x4321 1", NULL);
  assert_ok (f, "stm32f1x mass_erase 0", "stm32x mass erase complete");
  assert_flash_erased (f, 0xf000, 0x1000);
  assert_ok (f, "flash erase_check 0", "Bank is erased");  /* reads all 64 KiB */
  /* Each operation relocks the controller. */
  g_assert_cmphex (read_word (f, FLASH_CR) & CR_LOCK, ==, CR_LOCK);
}

/* The driver's RISC-V target algorithm (contrib/loaders/flash/gd32vf103)
 * runs on the simulated hart out of the work area. */
static void
test_program_algorithm (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *bytes = NULL;
  g_autofree char *file = random_file (f, "image.bin", 32 * 1024, &bytes);
  g_autofree char *cmd = g_strdup_printf ("flash write_image erase %s 0x08000000", file);
  g_autofree char *out = NULL;
  int rc;

  (void) data;
  halt (f);
  double secs = timed_capture (f, cmd, &out, &rc);
  g_test_message ("32 KiB through the target algorithm: %.2f s", secs);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out, "wrote 32768 bytes from file"));
  g_assert_null (strstr (out, FALLBACK_TEXT));
  g_assert_null (strstr (out, "working area"));
  /* The loader is left in the (unsaved) work area. */
  g_assert_cmphex (read_word (f, WORK_AREA), ==, LOADER_INSN0);
  g_assert_cmpfloat (secs, <, 15.0);

  g_autofree char *verify = g_strdup_printf ("flash verify_bank 0 %s 0", file);
  assert_ok (f, verify, "contents match");
  assert_flash_equals (f, 0, bytes, 32 * 1024);
  assert_flash_erased (f, 32 * 1024, 32 * 1024);

  /* "program" (erase, write, verify) of the same image over it works too. */
  g_autofree char *program = g_strdup_printf ("program %s 0x08000000 verify", file);
  assert_ok (f, program, "Verified OK");
}

/* Without a work area the driver writes one half-word at a time. */
static void
test_program_fallback (Fixture *f, gconstpointer data)
{
  /* About 0.45 ms per half-word (two bus accesses from OpenOCD), so 2 KiB
   * stays well inside the Tcl client's 10 s reply timeout on a busy host. */
  const gsize len = 2 * 1024;
  g_autofree guint8 *bytes = NULL;
  g_autofree char *file = random_file (f, "image.bin", len, &bytes);
  g_autofree char *cmd = g_strdup_printf ("flash write_image erase %s 0x08000400", file);
  g_autofree char *out = NULL;
  int rc;

  (void) data;
  halt (f);
  eval_ignore (f, "riscv.cpu configure -work-area-size 0");
  double secs = timed_capture (f, cmd, &out, &rc);
  g_test_message ("2 KiB by single half-word writes: %.2f s", secs);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out, "no working area available, can't do block memory writes"));
  g_assert_nonnull (strstr (out, FALLBACK_TEXT));
  g_assert_nonnull (strstr (out, "wrote 2048 bytes from file"));
  g_assert_cmphex (read_word (f, WORK_AREA), !=, LOADER_INSN0);
  assert_flash_equals (f, 0x400, bytes, len);
  assert_flash_erased (f, 0, 0x400);
  assert_flash_erased (f, 0xc00, 0x400);  /* the rest of the last page */
}

/* Writing over programmed data without an erase: PGERR, on both paths. */
static void
test_not_erased (Fixture *f, gconstpointer data)
{
  const gsize len = 2 * 1024;
  g_autofree guint8 *first = NULL, *second = NULL;
  g_autofree char *file1 = random_file (f, "first.bin", len, &first);
  g_autofree char *file2 = random_file (f, "second.bin", len, &second);
  g_autofree char *write1 = g_strdup_printf ("flash write_image erase %s 0x08000000", file1);
  g_autofree char *write2 = g_strdup_printf ("flash write_image %s 0x08000000", file2);
  g_autofree char *out = NULL;

  (void) data;
  halt (f);
  assert_ok (f, write1, "wrote 2048 bytes");

  g_assert_cmpint (eval_capture (f, write2, &out), !=, 0);
  g_assert_nonnull (strstr (out, PGERR_TEXT));
  g_assert_nonnull (strstr (out, "flash write failed at address 0x8000000"));
  g_assert_nonnull (strstr (out, "error writing to flash at address 0x08000000 at offset 0x00000000"));
  assert_flash_equals (f, 0, first, len);
  /* The driver clears the error bits after reporting them. */
  g_assert_cmphex (read_word (f, FLASH_SR) & (SR_PGERR | SR_WRPRTERR), ==, 0);

  eval_ignore (f, "riscv.cpu configure -work-area-size 0");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (eval_capture (f, write2, &out), !=, 0);
  g_assert_nonnull (strstr (out, FALLBACK_TEXT));
  g_assert_nonnull (strstr (out, PGERR_TEXT));
  assert_flash_equals (f, 0, first, len);

  /* With the erase it goes through. */
  g_autofree char *write3 = g_strdup_printf ("flash write_image erase %s 0x08000000", file2);
  eval_ignore (f, "riscv.cpu configure -work-area-size 0x4000");
  assert_ok (f, write3, "wrote 2048 bytes");
  assert_flash_equals (f, 0, second, len);
}

/* "flash protect" programs the WRP option bytes; they apply after a reset. */
static void
test_write_protect (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *bytes = NULL;
  g_autofree char *file = random_file (f, "image.bin", 1024, &bytes);
  g_autofree char *write0 = g_strdup_printf ("flash write_image erase %s 0x08000000", file);
  g_autofree char *write4 = g_strdup_printf ("flash write_image erase %s 0x08001000", file);

  (void) data;
  halt (f);
  assert_ok (f, "flash fillw 0x08000000 0xcafef00d 1", NULL);
  assert_ok (f, "flash protect 0 0 0 on", "set protection for blocks 0 through 0 on flash bank 0");
  g_assert_cmphex (read_word (f, FLASH_WRPR), ==, 0xffffffffu);  /* not yet */
  reset_halt (f);
  g_assert_cmphex (read_word (f, FLASH_WRPR), ==, 0xfffffffeu);
  g_autofree char *info = eval (f, "flash info 0");
  g_assert_nonnull (strstr (info, "#  0: 0x00000000 (0x1000 4kB) protected"));
  g_assert_nonnull (strstr (info, "#  1: 0x00001000 (0x1000 4kB) not protected"));

  assert_fails (f, "flash erase_sector 0 0 0", WRPRT_TEXT);
  assert_fails (f, "flash erase_sector 0 3 3", WRPRT_TEXT);
  assert_fails (f, "flash erase_sector 0 0 last", WRPRT_TEXT);  /* mass erase */
  assert_fails (f, "flash fillh 0x08000800 0x1234 1", WRPRT_TEXT);
  g_assert_cmphex (read_word (f, FLASH_BASE), ==, 0xcafef00du);
  g_assert_cmphex (read_word (f, 0x08000800u), ==, 0xffffffffu);
  /* The rest of the flash is writable. */
  assert_ok (f, write4, "wrote 1024 bytes");
  assert_flash_equals (f, 0x1000, bytes, 1024);

  assert_ok (f, "flash protect 0 0 0 off", "cleared protection for blocks 0 through 0");
  reset_halt (f);
  g_assert_cmphex (read_word (f, FLASH_WRPR), ==, 0xffffffffu);
  assert_ok (f, write0, "wrote 1024 bytes");
  assert_flash_equals (f, 0, bytes, 1024);
}

/* A wrong FLASH_KEYR key locks the controller until the next reset. */
static void
test_wrong_key (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  assert_fails (f, "mww 0x40022004 0x12345678", "Failed to write memory (addr=0x40022004)");
  assert_fails (f, "flash erase_sector 0 0 0", "Failed to write memory (addr=0x40022004)");
  assert_fails (f, "flash fillh 0x08000000 0x1234 1", "Failed to write memory (addr=0x40022004)");
  g_assert_cmphex (read_word (f, FLASH_BASE), ==, 0xffffffffu);
  g_assert_cmphex (read_word (f, FLASH_CR) & CR_LOCK, ==, CR_LOCK);
  reset_halt (f);
  assert_ok (f, "flash fillh 0x08000000 0x1234 1", NULL);
  g_assert_cmphex (read_word (f, FLASH_BASE), ==, 0xffff1234u);
}

/* "stm32f1x lock" sets read protection (after a reset the debugger cannot
 * read the flash); "stm32f1x unlock" removes it and erases the flash. */
static void
test_read_protect (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  assert_ok (f, "flash fillw 0x08000000 0x600dcafe 4", NULL);
  assert_ok (f, "stm32f1x lock 0", "stm32x locked");
  reset_halt (f);
  g_autofree char *opts = eval (f, "stm32f1x options_read 0");
  g_assert_nonnull (strstr (opts, "read protection: on"));
  g_autofree guint32 *blocked = read_words (f, FLASH_BASE, 1);
  g_assert_null (blocked);

  assert_ok (f, "stm32f1x unlock 0", "stm32x unlocked");
  reset_halt (f);
  g_autofree char *opts2 = eval (f, "stm32f1x options_read 0");
  g_assert_nonnull (strstr (opts2, "read protection: off"));
  assert_flash_erased (f, 0, 0x1000);
}

/* The hart fetches and loads from flash like from RAM. */
static void
test_hart_runs_from_flash (Fixture *f, gconstpointer data)
{
  /* lui a1, 0x08000; lw a0, 12(a1); ebreak; .word 0x2a2a2a2a */
  const char *prog = "flash fillw 0x08000000 0x080005b7 1; "
                     "flash fillw 0x08000004 0x00c5a503 1; "
                     "flash fillw 0x08000008 0x00100073 1; "
                     "flash fillw 0x0800000c 0x2a2a2a2a 1";

  (void) data;
  halt (f);
  assert_ok (f, prog, NULL);
  eval_ignore (f, "resume 0x08000000");
  eval_ignore (f, "riscv.cpu arp_waitstate halted 2000");
  g_autofree char *state = eval (f, "riscv.cpu curstate");
  g_assert_cmpstr (state, ==, "halted");
  g_autofree char *pc = eval (f, "get_reg -force {pc a0}");
  g_assert_nonnull (strstr (pc, "pc 0x08000008"));
  g_assert_nonnull (strstr (pc, "a0 0x2a2a2a2a"));
}

/* ---- the dual-bank board ---- */

/* @size bytes of flash at @address, read back raw, equal @bytes. */
static void
assert_raw_equals (Fixture *f, guint32 address, const guint8 *bytes, gsize size)
{
  g_autoptr(GBytes) got = ood_test_tcl_read_memory (f->tb, 32, address, size);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (got, &len);

  g_assert_cmpuint (len, ==, size);
  for (gsize i = 0; i < size; i++)
    if (data[i] != bytes[i])
      g_error ("flash byte at 0x%08x is 0x%02x, expected 0x%02x", (guint) (address + i), data[i],
               bytes[i]);
}

static void
assert_raw_erased (Fixture *f, guint32 address, gsize size)
{
  g_autofree guint8 *ff = g_malloc (size);

  memset (ff, 0xff, size);
  assert_raw_equals (f, address, ff, size);
}

/* Two banks as the driver sees an XL-density part: bank 0 fixed at 512
 * KiB, bank 1 the rest of the flash size register's 576 KiB, 2 KiB pages;
 * the driver's protection check, bank 0's registers only, refuses bank 1. */
static void
test_dual_probe (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  assert_ok (f, "flash probe 0", "flash 'stm32f1x' found at 0x08000000");
  assert_ok (f, "flash probe 1", "flash 'stm32f1x' found at 0x08080000");
  g_autofree char *banks = eval (f, "flash banks");
  g_assert_nonnull (strstr (banks, "#0 : riscvsim.flash (stm32f1x) at 0x08000000, size 0x00080000"));
  g_assert_nonnull (strstr (banks, "#1 : riscvsim.flash1 (stm32f1x) at 0x08080000, size 0x00010000"));

  g_autofree char *info = NULL;
  g_assert_cmpint (eval_capture (f, "flash info 0 sectors", &info), ==, 0);
  g_assert_nonnull (strstr (info, "STM32F10x (XL Density) - Rev: A"));
  g_assert_nonnull (strstr (info, "#255: 0x0007f800 (0x800 2kB)"));
  g_assert_null (strstr (info, "#256:"));
  g_autofree char *prot = eval (f, "flash info 0");
  g_assert_nonnull (strstr (prot, "# 31: 0x0001f000 (0x61000 388kB) not protected"));
  assert_fails (f, "flash info 1", "Option byte operations must use bank 0");
  g_autofree char *opts = eval (f, "stm32f1x options_read 0");
  g_assert_nonnull (strstr (opts, "boot: bank 0"));
}

/* Each bank's controller erases its own pages; a page erase or a mass
 * erase of bank 1 leaves bank 0 alone. */
static void
test_dual_erase (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  assert_ok (f, "flash fillw 0x0807f800 0x0badcafe 0x200", NULL);   /* bank 0's last page */
  assert_ok (f, "flash fillw 0x08080000 0x12345678 0x600", NULL);   /* bank 1's first 3 */
  g_assert_cmphex (read_word (f, 0x08081000u), ==, 0x12345678u);
  assert_ok (f, "flash erase_sector 1 0 1", "erased sectors 0 through 1 on flash bank 1");
  assert_raw_erased (f, BANK1_BASE, 0x1000);
  g_assert_cmphex (read_word (f, 0x08081000u), ==, 0x12345678u);
  g_assert_cmphex (read_word (f, 0x0807fffcu), ==, 0x0badcafeu);
  g_assert_cmphex (read_word (f, FLASH_CR2) & CR_LOCK, ==, CR_LOCK);

  assert_ok (f, "flash erase_sector 1 0 last", "erased sectors 0 through 31 on flash bank 1");
  assert_raw_erased (f, BANK1_BASE, 0x2000);
  g_assert_cmphex (read_word (f, 0x0807fffcu), ==, 0x0badcafeu);

  /* Bank 1's controller does not erase bank 0's pages: PGERR. */
  eval_ignore (f, "mww 0x40022044 0x45670123; mww 0x40022044 0xcdef89ab; "
                  "mww 0x40022050 2; mww 0x40022054 0x0807f800; mww 0x40022050 0x42");
  g_assert_cmphex (read_word (f, FLASH_SR2) & SR_PGERR, ==, SR_PGERR);
  g_assert_cmphex (read_word (f, 0x0807f800u), ==, 0x0badcafeu);
  g_assert_cmphex (read_word (f, FLASH_SR) & SR_PGERR, ==, 0);
}

/* Raw "program" of a 32 KiB image across the banks' boundary and of the
 * whole 64 KiB bank 1, through the driver's loader on each bank's
 * controller: read back raw, byte-exact, the neighbours still erased. */
static void
test_dual_program (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *across = NULL, *whole = NULL;
  g_autofree char *file1 = random_file (f, "across.bin", 32 * 1024, &across);
  g_autofree char *file2 = random_file (f, "whole.bin", BANK1_SIZE, &whole);
  g_autofree char *program1 = g_strdup_printf ("program %s 0x0807c000 verify", file1);
  g_autofree char *program2 = g_strdup_printf ("program %s 0x08080000 verify", file2);
  g_autofree char *out = NULL;

  (void) data;
  halt (f);
  g_assert_cmpint (eval_capture (f, program1, &out), ==, 0);
  g_assert_nonnull (strstr (out, "Verified OK"));
  g_assert_null (strstr (out, FALLBACK_TEXT));
  assert_raw_equals (f, 0x0807c000u, across, 32 * 1024);
  assert_raw_erased (f, 0x0807b800u, 0x800);
  assert_raw_erased (f, 0x08084000u, 0x800);

  assert_ok (f, program2, "Verified OK");
  assert_raw_equals (f, BANK1_BASE, whole, BANK1_SIZE);
  assert_raw_equals (f, 0x0807c000u, across, 16 * 1024);   /* bank 0's half stays */
}

static const struct {
  const char *name;
  void (*fn) (Fixture *, gconstpointer);
  guint flash_banks;
} tests[] = {
  { "probe", test_probe },
  { "erase", test_erase },
  { "program-algorithm", test_program_algorithm },
  { "program-fallback", test_program_fallback },
  { "not-erased", test_not_erased },
  { "write-protect", test_write_protect },
  { "wrong-key", test_wrong_key },
  { "read-protect", test_read_protect },
  { "hart-runs-from-flash", test_hart_runs_from_flash },
  { "dual-probe", test_dual_probe, 2 },
  { "dual-erase", test_dual_erase, 2 },
  { "dual-program", test_dual_program, 2 },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sim/flash/%s", tests[i].name);

      g_test_add (path, Fixture, GUINT_TO_POINTER (tests[i].flash_banks), fixture_setup,
                  tests[i].fn, fixture_teardown);
    }
  return g_test_run ();
}
