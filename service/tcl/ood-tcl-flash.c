/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-flash.h"

#include <stdio.h>
#include <string.h>

#include "../loaders/ood-sums-abi.h"
#include "ood-error.h"
#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"

/* @command (already formatted, any path in it quoted) on target @target. */
static char *
on_target (const char *target, const char *command)
{
  g_autofree char *body = g_strdup_printf ("targets $ood_t; capture {%s}", command);

  return ood_tcl_wrap_target (target, body);
}

OodTclFlashBank *
ood_tcl_flash_bank_copy (const OodTclFlashBank *bank)
{
  OodTclFlashBank *copy = g_memdup2 (bank, sizeof *bank);

  copy->target = g_strdup (bank->target);
  copy->name = g_strdup (bank->name);
  return copy;
}

void
ood_tcl_flash_bank_free (OodTclFlashBank *bank)
{
  if (bank == NULL)
    return;
  g_free (bank->target);
  g_free (bank->name);
  g_free (bank);
}

/**
 * ood_tcl_script_flash_banks:
 *
 * Probes every bank whose size is not known yet (drivers such as
 * stm32f1x learn it by probing), then answers one list per bank:
 * {index target name base size bus_width chip_width}. An OpenOCD
 * without flash support answers an empty list.
 */
char *
ood_tcl_script_flash_banks (void)
{
  return ood_tcl_wrap ("if {[catch {flash list} ood_fl]} {set ood_fl {}}; "
                   "set ood_i 0; foreach ood_b $ood_fl {"
                   "if {[dict get $ood_b size] == 0} {catch {flash probe $ood_i}}; incr ood_i}; "
                   "if {[catch {flash list} ood_fl]} {set ood_fl {}}; "
                   "set ood_l {}; set ood_i 0; foreach ood_b $ood_fl {"
                   "lappend ood_l [list $ood_i [dict get $ood_b target] [dict get $ood_b name] "
                   "[dict get $ood_b base] [dict get $ood_b size] [dict get $ood_b bus_width] "
                   "[dict get $ood_b chip_width]]; incr ood_i}; set ood_l");
}

/**
 * ood_tcl_script_flash_sectors:
 *
 * Answers {SECTORS BLOCKS}: the texts of "flash info BANK sectors" and
 * "flash info BANK" (the protection blocks, which carry the protection
 * state on drivers that protect whole blocks).
 */
char *
ood_tcl_script_flash_sectors (guint bank)
{
  g_autofree char *body = g_strdup_printf ("list [flash info %u sectors] [flash info %u]",
                                           bank, bank);
  return ood_tcl_wrap (body);
}

/**
 * ood_tcl_script_flash_geometry:
 * @target: the target whose work area is asked
 * @banks: (array length=n_banks): bank numbers
 *
 * Answers {WORK_AREA {1 SECTORS BLOCKS}...}: the target's work area size
 * ("cget -work-area-size", 0 without one), then per bank 1 and what
 * ood_tcl_script_flash_sectors() answers, or {0 TEXT} where OpenOCD
 * refused to list it (0.12's stm32f1x on a dual-bank part: "Option byte
 * operations must use bank 0"), TEXT what it logged, asked again under
 * capture; in one command.
 */
char *
ood_tcl_script_flash_geometry (const char *target, const guint *banks, guint n_banks)
{
  g_autoptr(GString) body = g_string_new ("list [$ood_t cget -work-area-size]");

  for (guint i = 0; i < n_banks; i++)
    g_string_append_printf (body,
                            " [if {[catch {list 1 [flash info %u sectors] [flash info %u]} "
                            "ood_v]} {catch {capture {flash info %u}} ood_v; list 0 $ood_v} "
                            "else {set ood_v}]",
                            banks[i], banks[i], banks[i]);
  return ood_tcl_wrap_target (target, body->str);
}

/* Halts the target unless it is halted: flash drivers need that. */
char *
ood_tcl_script_flash_halt (const char *target)
{
  return ood_tcl_wrap_target (target,
                              "targets $ood_t; "
                              "if {[$ood_t curstate] ne {halted}} {capture {halt}}; "
                              "if {[$ood_t curstate] ne {halted}} {error {the target did not halt}}");
}

char *
ood_tcl_script_flash_erase (const char *target, guint bank, guint first, guint last)
{
  g_autofree char *command = g_strdup_printf ("flash erase_sector %u %u %u", bank, first, last);

  return on_target (target, command);
}

/**
 * ood_tcl_script_flash_protect:
 * @first_block: the first protection block, as "flash info BANK" lists them
 * @last_block: the last one (inclusive)
 * @on: protect (%TRUE) or unprotect
 *
 * Halts the target unless it is halted (the driver needs that), then
 * "flash protect" (on the stm32f1x driver: the option bytes erased and
 * written again), then a reset, as the part loads its option bytes only
 * then: "reset halt" if the target was halted, "reset run" if not. Where
 * the protect fails, no reset: a target that was running resumes. The
 * bank's listing is read again however it went. Answers {FAILED TEXT
 * SECTORS BLOCKS}: FAILED is "" when all worked, "protect" or "reset"
 * where OpenOCD failed, TEXT then OpenOCD's text (logged, under
 * capture); SECTORS and BLOCKS as ood_tcl_script_flash_sectors().
 */
char *
ood_tcl_script_flash_protect (const char *target, guint bank, guint first_block,
                              guint last_block, gboolean on)
{
  g_autofree char *body = g_strdup_printf (
    "targets $ood_t; set ood_h [expr {[$ood_t curstate] eq {halted}}]; "
    "if {!$ood_h} {capture {halt}}; "
    "if {[$ood_t curstate] ne {halted}} {error {the target did not halt}}; "
    "set ood_s {}; set ood_m {}; "
    "if {[catch {capture {flash protect %u %u %u %s}} ood_m]} {set ood_s protect; "
    "if {!$ood_h} {catch {resume}}} "
    "elseif {[catch {capture [list reset [expr {$ood_h ? {halt} : {run}}]]} ood_m]} "
    "{set ood_s reset} else {set ood_m {}}; "
    "list $ood_s $ood_m [flash info %u sectors] [flash info %u]",
    bank, first_block, last_block, on ? "on" : "off", bank, bank);

  return ood_tcl_wrap_target (target, body);
}

char *
ood_tcl_script_flash_write (const char *target, guint bank, const char *path, guint64 offset)
{
  g_autofree char *quoted = ood_tcl_quote (path);
  g_autofree char *command = g_strdup_printf ("flash write_bank %u %s 0x%" G_GINT64_MODIFIER "x",
                                              bank, quoted, offset);
  return on_target (target, command);
}

char *
ood_tcl_script_load_image (const char *target, const char *path, guint64 address)
{
  g_autofree char *quoted = ood_tcl_quote (path);
  g_autofree char *command = g_strdup_printf ("load_image %s 0x%" G_GINT64_MODIFIER "x bin",
                                              quoted, address);
  return on_target (target, command);
}

char *
ood_tcl_script_verify_image (const char *target, const char *path, guint64 address)
{
  g_autofree char *quoted = ood_tcl_quote (path);
  g_autofree char *command = g_strdup_printf ("verify_image %s 0x%" G_GINT64_MODIFIER "x bin",
                                              quoted, address);
  return on_target (target, command);
}

/**
 * ood_tcl_script_images_equal:
 * @paths: (array length=n): bin files
 * @addresses: (array length=n): where each should be
 *
 * Answers a list of @n: 1 where the memory at the address holds the
 * file, 0 where it does not: OpenOCD's verify_image_checksum, which runs
 * its checksum on the target (the target must be halted) and reads no
 * memory back. Any other failure is an error, with OpenOCD's text.
 */
char *
ood_tcl_script_images_equal (const char *target, const char *const *paths,
                             const guint64 *addresses, guint n)
{
  g_autoptr(GString) body = g_string_new ("targets $ood_t; set ood_l {}; foreach {ood_f ood_a} {");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *quoted = ood_tcl_quote (paths[i]);
      g_string_append_printf (body, "%s%s 0x%" G_GINT64_MODIFIER "x", i > 0 ? " " : "", quoted,
                              addresses[i]);
    }
  g_string_append (body, "} {if {[catch {capture {verify_image_checksum $ood_f $ood_a bin}} "
                         "ood_m]} {if {[string first {checksum mismatch} $ood_m] < 0} "
                         "{error $ood_m}; lappend ood_l 0} else {lappend ood_l 1}}; set ood_l");
  return ood_tcl_wrap_target (target, body->str);
}

/**
 * ood_tcl_parse_images_equal:
 * @text: what ood_tcl_script_images_equal() answered for @n files
 * @equal: (array length=n) (out caller-allocates): whether each matched
 */
gboolean
ood_tcl_parse_images_equal (const char *text, guint n, gboolean *equal, GError **error)
{
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);

  if (items == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (i >= g_strv_length (items) || (!g_str_equal (items[i], "0") &&
                                         !g_str_equal (items[i], "1")))
        {
          g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed checksum answer '%s'",
                       text);
          return FALSE;
        }
      equal[i] = g_str_equal (items[i], "1");
    }
  return TRUE;
}

static gboolean
parse_number (const char *text, guint64 max, guint64 *value)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL) ||
         (g_str_has_prefix (text, "0x") &&
          g_ascii_string_to_unsigned (text + 2, 16, 0, max, value, NULL));
}

/* ---- the service's checksum routine ------------------------------------ */

/* Where the parts of a run of the routine go, as offsets from the work
 * area's start (ood-sums-abi.h): the routine, its parameter block, the
 * results, the table, the stack. */
typedef struct {
  gsize params, results, table, stack_top;
} SumsLayout;

static SumsLayout
sums_layout (gsize routine_size, guint n)
{
  SumsLayout layout;

  layout.params = (routine_size + 3) & ~(gsize) 3;
  layout.results = layout.params + OOD_SUMS_HEADER + 8 * (gsize) n;
  layout.table = layout.results + 4 * (gsize) n;
  layout.stack_top = layout.table + OOD_SUMS_TABLE + OOD_SUMS_STACK;
  return layout;
}

/**
 * ood_tcl_flash_sums_footprint:
 * @routine_size: the checksum routine's size, in bytes
 * @n: how many runs one run of it checksums
 *
 * Returns: the bytes of work area that run takes: the routine, its
 *   parameters and results, its table and its stack
 */
gsize
ood_tcl_flash_sums_footprint (gsize routine_size, guint n)
{
  return sums_layout (routine_size, n).stack_top;
}

/* What a run of the routine may change: the PC, sp and mstatus, which
 * the script sets; the registers the routine saves and restores itself,
 * should it not get to its end; and what a trap on the way changes. */
#define SAVED_REGISTERS                                                                   \
  "pc sp mstatus ra gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 " \
  "s10 s11 t3 t4 t5 t6 mepc mcause mtval"

/* Sampled runs that, from the first, read erased (0xffffffff) where the
 * image has something else: the flash is taken as erased from there on,
 * and the further sampled runs differ without a read. */
#define ERASED_LEAD 4u

/* The routine's words, as write_memory takes them. */
static void
append_words (GString *out, const guint8 *bytes, gsize size)
{
  for (gsize i = 0; i < size; i += 4)
    {
      guint32 word = 0;
      for (gsize k = 0; k < 4 && i + k < size; k++)
        word |= (guint32) bytes[i + k] << (8 * k);
      g_string_append_printf (out, " 0x%08x", word);
    }
}

/**
 * ood_tcl_script_flash_sums:
 * @routine: (array length=routine_size): the checksum routine
 *   (service/loaders/ood-sums-abi.h), placed at the work area's start
 * @runs: (array length=n): address, length of each run to checksum
 *   (32-bit numbers)
 * @firsts: (array length=n) (nullable): the 32-bit word (little-endian)
 *   each run should start with
 *
 * On the halted target, in one command: where the routine cannot run
 * (not a riscv target, not 32-bit, no physical work area), answers
 * {0 REASON} having changed nothing. Else it first reads the first word
 * of each run at a 4-aligned address of 4 bytes or more (with @firsts),
 * at its physical address (as the routine, in machine mode, sees it:
 * OpenOCD's RISC-V virtual-to-physical check reads the hart's dcsr for
 * every read_memory without "phys", most of a one-word read's cost),
 * all under one capture (OpenOCD polls its targets once for them all):
 * one that differs from the run's first word answers "d" (the run
 * differs) and is not checksummed, which spares the routine's run
 * altogether where every run differs (erased flash). Where the first
 * ERASED_LEAD sampled runs all read 0xffffffff and differ, the flash is
 * taken as erased: the sampled runs after them answer "d" unread (a
 * wrong guess costs a rewrite, never a wrong result). For the others it
 * saves the registers, writes the routine and its parameters to the
 * work area (at its physical address, -work-area-phys), sets sp to its
 * stack, masks interrupts and starts it; waits for it to halt on its
 * ebreak; reads the results; puts the PC, sp and mstatus back (the
 * routine restores the others itself). It answers {1 {CRC|d...}}: per
 * run in order, its CRC-32, or "d". A failure to write the routine
 * answers {0 REASON} too (nothing ran); any later one is an error, with
 * OpenOCD's text, once the hart is halted again (if need be) and every
 * register saved is put back (SAVED_REGISTERS).
 */
char *
ood_tcl_script_flash_sums (const char *target, const guint8 *routine, gsize routine_size,
                           const guint64 *runs, const guint32 *firsts, guint n)
{
  SumsLayout layout = sums_layout (routine_size, n);
  g_autoptr(GString) body = g_string_new (NULL);
  guint64 total = 0;

  g_string_append (body, "targets $ood_t; set ood_u {}; set ood_w 0; "
                         "if {[$ood_t cget -type] ne {riscv}} {set ood_u {not a RISC-V target}} "
                         "elseif {![regexp {^pc \\(/32\\)} [reg pc]]} "
                         "{set ood_u {not a 32-bit target}} "
                         "elseif {[catch {$ood_t cget -work-area-phys} ood_w] || $ood_w == 0} "
                         "{set ood_u {no physical work area}}; "
                         "set ood_v {}; set ood_p {}; set ood_z 0; "
                         "if {$ood_u eq {}} {capture {foreach {ood_a ood_l ood_f} {");
  for (guint i = 0; i < n; i++)
    {
      gboolean sampled = firsts != NULL && runs[2 * i] % 4 == 0 && runs[2 * i + 1] >= 4;

      g_string_append_printf (body, "%s0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x ",
                              i > 0 ? " " : "", runs[2 * i], runs[2 * i + 1]);
      if (sampled)
        g_string_append_printf (body, "0x%08x", firsts[i]);
      else
        g_string_append (body, "-");
      total += runs[2 * i + 1];
    }
  /* ood_z: how many sampled runs from the first read erased and differ
   * (-1 once one does not) */
  g_string_append_printf (body,
                          "} {if {$ood_f eq {-}} {lappend ood_v -; lappend ood_p $ood_a $ood_l} "
                          "elseif {$ood_z >= %u} {lappend ood_v d} "
                          "elseif {![catch {read_memory $ood_a 32 1 phys} ood_x] && "
                          "$ood_x != $ood_f} {lappend ood_v d; "
                          "if {$ood_z >= 0 && $ood_x == 0xffffffff} {incr ood_z} "
                          "else {set ood_z -1}} "
                          "else {lappend ood_v -; lappend ood_p $ood_a $ood_l; set ood_z -1}}}}; ",
                          ERASED_LEAD);
  g_string_append (body, "set ood_c [expr {[llength $ood_p] / 2}]; "
                         "if {$ood_u eq {} && $ood_c > 0} "
                         "{set ood_g [$ood_t get_reg -force {" SAVED_REGISTERS "}]; "
                         "set ood_m [concat {");
  append_words (body, routine, routine_size);
  for (gsize pad = routine_size; pad < layout.params; pad += 4)
    g_string_append (body, " 0");
  g_string_append_printf (
      body,
      "} $ood_c [expr {$ood_w + %" G_GSIZE_FORMAT "}] [expr {$ood_w + %" G_GSIZE_FORMAT "}] "
      "$ood_p]; if {[catch {capture {write_memory $ood_w 32 $ood_m phys}} ood_e]} "
      "{set ood_u \"cannot write the routine: [string trim $ood_e]\"}}; "
      "if {$ood_u ne {}} {list 0 $ood_u} elseif {$ood_c == 0} {list 1 $ood_v} "
      "else {set ood_s {}; set ood_e {}; "
      "if {[catch {$ood_t set_reg [dict create sp [expr {$ood_w + %" G_GSIZE_FORMAT "}] "
      "mstatus [expr {[dict get $ood_g mstatus] & ~8}] pc [expr {$ood_w + %u}]]; "
      "capture {resume}; capture {wait_halt %" G_GUINT64_FORMAT "}; "
      "set ood_at [lindex [$ood_t get_reg -force {pc}] 1]; "
      "if {$ood_at != $ood_w + %u} {error \"the checksum routine stopped at $ood_at\"}; "
      "set ood_s [read_memory [expr {$ood_w + %" G_GSIZE_FORMAT "}] 32 $ood_c phys]} ood_e]} "
      "{if {[$ood_t curstate] ne {halted}} {catch {capture {halt}}}; set ood_k $ood_g} "
      "else {set ood_e {}; set ood_k [dict create pc [dict get $ood_g pc] "
      "sp [dict get $ood_g sp] mstatus [dict get $ood_g mstatus]]}; "
      "if {[catch {$ood_t set_reg $ood_k} ood_x] && $ood_e eq {}} "
      "{set ood_e \"cannot restore the registers: $ood_x\"}; "
      "if {$ood_e ne {}} {error [string trim $ood_e]}; "
      "set ood_r {}; set ood_j 0; foreach ood_x $ood_v {if {$ood_x eq {d}} {lappend ood_r d} "
      "else {lappend ood_r [lindex $ood_s $ood_j]; incr ood_j}}; list 1 $ood_r}",
      layout.results, layout.table, layout.stack_top, OOD_SUMS_ENTRY, 5000 + total / 64,
      OOD_SUMS_EBREAK, layout.results);
  return ood_tcl_wrap_target (target, body->str);
}

/**
 * ood_tcl_parse_flash_sums:
 * @text: what ood_tcl_script_flash_sums() answered for @n runs
 * @sums: (array length=n) (out caller-allocates): the CRCs, when the
 *   routine ran (0 for a run that differs by its first word)
 * @differs: (array length=n) (out caller-allocates): whether each run's
 *   first word already differed (not checksummed)
 * @unusable: (out) (transfer full): %NULL when it ran, else why it could
 *   not (nothing was changed on the target)
 *
 * Returns: %FALSE on a malformed answer
 */
gboolean
ood_tcl_parse_flash_sums (const char *text, guint n, guint32 *sums, gboolean *differs,
                          char **unusable, GError **error)
{
  g_auto(GStrv) parts = ood_tcl_parse_list (text, error);
  g_auto(GStrv) items = NULL;

  *unusable = NULL;
  if (parts == NULL)
    return FALSE;
  if (g_strv_length (parts) == 2 && g_str_equal (parts[0], "0"))
    {
      *unusable = g_strdup (parts[1]);
      return TRUE;
    }
  if (g_strv_length (parts) == 2 && g_str_equal (parts[0], "1"))
    items = ood_tcl_parse_list (parts[1], NULL);
  if (items != NULL && g_strv_length (items) == n)
    {
      guint64 value = 0;
      guint i;

      for (i = 0; i < n; i++)
        {
          differs[i] = g_str_equal (items[i], "d");
          if (!differs[i] && !parse_number (items[i], G_MAXUINT32, &value))
            break;
          sums[i] = differs[i] ? 0 : (guint32) value;
        }
      if (i == n)
        return TRUE;
    }
  g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed checksums answer '%s'", text);
  return FALSE;
}

static OodTclFlashBank *
parse_bank (const char *text, GError **error)
{
  g_auto(GStrv) fields = ood_tcl_parse_list (text, error);
  guint64 index, bus, chip;
  OodTclFlashBank *bank;

  if (fields == NULL)
    return NULL;
  if (g_strv_length (fields) != 7)
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed flash bank '%s'", text);
      return NULL;
    }
  bank = g_new0 (OodTclFlashBank, 1);
  if (!parse_number (fields[0], G_MAXUINT, &index) || !parse_number (fields[3], G_MAXUINT64, &bank->base) ||
      !parse_number (fields[4], G_MAXUINT64, &bank->size) || !parse_number (fields[5], G_MAXUINT, &bus) ||
      !parse_number (fields[6], G_MAXUINT, &chip))
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed flash bank '%s'", text);
      g_free (bank);
      return NULL;
    }
  bank->index = (guint) index;
  bank->bus_width = (guint) bus;
  bank->chip_width = (guint) chip;
  bank->target = g_strdup (fields[1]);
  bank->name = g_strdup (fields[2]);
  return bank;
}

/**
 * ood_tcl_parse_flash_banks:
 * @text: what ood_tcl_script_flash_banks() answered
 *
 * Returns: (transfer full) (element-type OodTclFlashBank): the banks, or
 *   %NULL with an error
 */
GPtrArray *
ood_tcl_parse_flash_banks (const char *text, GError **error)
{
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);
  g_autoptr(GPtrArray) banks = NULL;

  if (items == NULL)
    return NULL;
  banks = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_tcl_flash_bank_free);
  for (guint i = 0; items[i] != NULL; i++)
    {
      OodTclFlashBank *bank = parse_bank (items[i], error);
      if (bank == NULL)
        return NULL;
      g_ptr_array_add (banks, bank);
    }
  return g_steal_pointer (&banks);
}

/* One line "#  N: 0xOFFSET (0xSIZE NkB) STATE" of "flash info"; %FALSE
 * for any other line. */
static gboolean
parse_sector_line (const char *line, OodTclFlashSector *sector)
{
  unsigned int index, kib;
  unsigned long long offset, size;
  int end = 0;
  const char *state;

  while (*line == ' ' || *line == '\t')
    line++;
  if (sscanf (line, "#%u: 0x%llx (0x%llx %ukB)%n", &index, &offset, &size, &kib, &end) != 4 ||
      end == 0)
    return FALSE;
  state = line + end;
  while (*state == ' ')
    state++;
  sector->index = index;
  sector->offset = offset;
  sector->size = size;
  sector->protection = g_str_has_prefix (state, "not protected") ? 0
                       : g_str_has_prefix (state, "protected") ? 1 : -1;
  return TRUE;
}

static GArray *
parse_info (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GArray *sectors = g_array_new (FALSE, FALSE, sizeof (OodTclFlashSector));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      OodTclFlashSector sector;
      if (parse_sector_line (lines[i], &sector))
        g_array_append_val (sectors, sector);
    }
  return sectors;
}

/* Whether a protection block covering @sector is protected. */
static gint
block_protection (GArray *blocks, const OodTclFlashSector *sector)
{
  for (guint i = 0; i < blocks->len; i++)
    {
      const OodTclFlashSector *block = &g_array_index (blocks, OodTclFlashSector, i);
      if (sector->offset >= block->offset && sector->offset - block->offset < block->size)
        return block->protection;
    }
  return -1;
}

/* The sectors of "flash info BANK sectors" (@sectors_text), each with
 * its protection or its block's of "flash info BANK" (@blocks_text);
 * the blocks into @blocks if not %NULL. */
static GArray *
parse_listing (const char *sectors_text, const char *blocks_text, GArray **blocks,
               GError **error)
{
  g_autoptr(GArray) sectors = parse_info (sectors_text);
  g_autoptr(GArray) listed = parse_info (blocks_text);

  if (sectors->len == 0)
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "OpenOCD listed no sectors");
      return NULL;
    }
  for (guint i = 0; i < sectors->len; i++)
    {
      OodTclFlashSector *sector = &g_array_index (sectors, OodTclFlashSector, i);
      if (sector->protection < 0)
        sector->protection = block_protection (listed, sector);
    }
  if (blocks != NULL)
    *blocks = g_steal_pointer (&listed);
  return g_steal_pointer (&sectors);
}

/* @text as a list of @n items, or %NULL with an error. */
static GStrv
parse_items (const char *text, guint n, GError **error)
{
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);

  if (items != NULL && g_strv_length (items) != n)
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed flash info");
      return NULL;
    }
  return g_steal_pointer (&items);
}

/**
 * ood_tcl_parse_flash_sectors:
 * @text: what ood_tcl_script_flash_sectors() answered
 *
 * Returns: (transfer full) (element-type OodTclFlashSector): the sectors,
 *   each with its protection, or its block's when it has none of its own
 */
GArray *
ood_tcl_parse_flash_sectors (const char *text, GError **error)
{
  g_auto(GStrv) parts = parse_items (text, 2, error);

  return parts != NULL ? parse_listing (parts[0], parts[1], NULL, error) : NULL;
}

/**
 * ood_tcl_parse_flash_blocks:
 * @text: what ood_tcl_script_flash_sectors() answered
 * @sectors: (out) (transfer full) (element-type OodTclFlashSector): as
 *   ood_tcl_parse_flash_sectors() answers
 *
 * Returns: (transfer full) (element-type OodTclFlashSector): the bank's
 *   protection blocks as "flash info BANK" lists them (its sectors, on a
 *   driver without blocks), or %NULL with an error
 */
GArray *
ood_tcl_parse_flash_blocks (const char *text, GArray **sectors, GError **error)
{
  g_auto(GStrv) parts = parse_items (text, 2, error);
  GArray *blocks = NULL;

  if (parts != NULL)
    *sectors = parse_listing (parts[0], parts[1], &blocks, error);
  return blocks;
}

/**
 * ood_tcl_parse_flash_protect:
 * @text: what ood_tcl_script_flash_protect() answered
 * @failed: (out) (transfer full): "" when all worked, else "protect"
 *   or "reset"
 * @message: (out) (transfer full): OpenOCD's text where it failed
 *
 * Returns: (transfer full) (element-type OodTclFlashSector): the bank's
 *   sectors as read at the end, or %NULL with an error
 */
GArray *
ood_tcl_parse_flash_protect (const char *text, char **failed, char **message, GError **error)
{
  g_auto(GStrv) parts = parse_items (text, 4, error);
  GArray *sectors;

  if (parts == NULL || (sectors = parse_listing (parts[2], parts[3], NULL, error)) == NULL)
    return NULL;
  *failed = g_strdup (parts[0]);
  *message = g_strdup (g_strstrip (parts[1]));
  return sectors;
}

static void
array_unref0 (gpointer array)
{
  if (array != NULL)
    g_array_unref (array);
}

/**
 * ood_tcl_parse_flash_geometry:
 * @text: what ood_tcl_script_flash_geometry() answered for @n_banks banks
 * @work_area: (out): the work area's size
 * @refused: (out) (transfer full): %NULL, or OpenOCD's text for the first
 *   bank it refused to list
 *
 * Returns: (transfer full) (element-type GArray): per bank, in the
 *   order asked, its sectors (as ood_tcl_parse_flash_sectors()), %NULL
 *   for a bank OpenOCD refused to list; or %NULL with an error
 */
GPtrArray *
ood_tcl_parse_flash_geometry (const char *text, guint n_banks, guint64 *work_area, char **refused,
                              GError **error)
{
  g_auto(GStrv) parts = ood_tcl_parse_list (text, error);
  g_autoptr(GPtrArray) banks = NULL;

  *refused = NULL;
  if (parts == NULL)
    return NULL;
  if (g_strv_length (parts) != n_banks + 1 || !parse_number (parts[0], G_MAXUINT64, work_area))
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed flash geometry");
      return NULL;
    }
  banks = g_ptr_array_new_with_free_func (array_unref0);
  for (guint i = 0; i < n_banks; i++)
    {
      g_auto(GStrv) entry = ood_tcl_parse_list (parts[i + 1], NULL);
      GArray *sectors;

      if (entry != NULL && g_strv_length (entry) == 2 && g_str_equal (entry[0], "0"))
        {
          if (*refused == NULL)
            *refused = g_strdup (g_strstrip (entry[1]));
          g_ptr_array_add (banks, NULL);
          continue;
        }
      if (entry == NULL || g_strv_length (entry) != 3 || !g_str_equal (entry[0], "1"))
        {
          g_clear_pointer (refused, g_free);
          g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "malformed flash geometry");
          return NULL;
        }
      if ((sectors = parse_listing (entry[1], entry[2], NULL, error)) == NULL)
        {
          g_clear_pointer (refused, g_free);
          return NULL;
        }
      g_ptr_array_add (banks, sectors);
    }
  return g_steal_pointer (&banks);
}
