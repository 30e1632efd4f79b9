/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-memory.h"

#include <gio/gio.h>
#include <string.h>

#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"

/* As NEED_HALTED in ood-tcl-script.c: the error every register script
 * gives on a target that is not halted (one curstate, cheaper than
 * telling OpenOCD's "failed to read register" apart). */
#define NEED_HALTED \
  "if {[$ood_t curstate] ne {halted}} {error {" OOD_TCL_NOT_HALTED_MARK "}}; "

/* "[list Q1 Q2 …]" of the quoted names: `list` is a Tcl built-in, and
 * each name stays one word whatever it contains. */
static void
append_name_list (GString *out, const char *const *names, guint n_names)
{
  g_string_append (out, "[list");
  for (guint i = 0; i < n_names; i++)
    {
      g_autofree char *quoted = ood_tcl_quote (names[i]);
      g_string_append_printf (out, " %s", quoted);
    }
  g_string_append_c (out, ']');
}

/**
 * ood_tcl_script_reg_learn:
 *
 * Answers OpenOCD's listing of the target's registers (`reg`; see
 * ood_tcl_parse_reg_list()), on one line: its newlines become ASCII
 * record separators (0x1e). OpenOCD 0.12 echoes every Tcl RPC reply on
 * its standard error, so a supervised OpenOCD's output (Endpoint.GetLog)
 * gets one line for it, not 400. Reads nothing from the target.
 */
char *
ood_tcl_script_reg_learn (const char *target)
{
  return ood_tcl_wrap_target (target, "targets $ood_t; string map [list \\n \\x1e] [reg]");
}

/**
 * ood_tcl_script_reg_read:
 * @names: registers OpenOCD listed, checked by the caller
 *
 * Answers the dict name → value of one forced get_reg (see
 * ood_tcl_parse_reg_values()), or NotHalted.
 */
char *
ood_tcl_script_reg_read (const char *target, const char *const *names, guint n_names)
{
  g_autoptr(GString) body = g_string_new (NEED_HALTED "$ood_t get_reg -force ");

  append_name_list (body, names, n_names);
  return ood_tcl_wrap_target (target, body->str);
}

/**
 * ood_tcl_script_reg_read_all:
 * @names: registers OpenOCD listed and did not fail to read before
 *
 * One forced get_reg of all @names; should one fail, each is read on its
 * own instead, and those that fail are listed. Answers {values unreadable
 * listing} (see ood_tcl_parse_reg_read_all()): the listing holds the lines
 * of `reg`, taken after the reads, that carry OpenOCD's dirty flag. split,
 * lsearch and join are Tcl built-ins, so the other 400 lines cost nothing
 * to drop, and need not travel or be parsed (Jim's lsearch matches
 * exactly unless told -glob).
 */
char *
ood_tcl_script_reg_read_all (const char *target, const char *const *names, guint n_names)
{
  g_autoptr(GString) body = g_string_new (NEED_HALTED "set ood_n ");

  append_name_list (body, names, n_names);
  g_string_append (body,
                   "; set ood_bad {}; "
                   "if {[catch {$ood_t get_reg -force $ood_n} ood_v]} {set ood_v {}; "
                   "foreach ood_x $ood_n {"
                   "if {[catch {$ood_t get_reg -force [list $ood_x]} ood_y]} "
                   "{lappend ood_bad $ood_x} else {set ood_v [concat $ood_v $ood_y]}}}; "
                   "targets $ood_t; list $ood_v $ood_bad "
                   "[join [lsearch -all -inline -glob [split [reg] \\n] {*(dirty)}] \\n]");
  return ood_tcl_wrap_target (target, body->str);
}

/**
 * ood_tcl_script_reg_write:
 * @name: a register OpenOCD listed, checked by the caller
 * @value: fits the register (checked by the caller: set_reg truncates)
 * @with_record: for a write of the PC: the PC is read back whether
 *   set_reg failed or not (OpenOCD may have written part of it: a
 *   misaligned PC on RISC-V), and the answer is {RECORD FAILURE} (see
 *   ood_tcl_parse_pc_write()); otherwise a failure fails the script and
 *   the answer is empty
 */
char *
ood_tcl_script_reg_write (const char *target, const char *name, guint64 value,
                          gboolean with_record)
{
  g_autofree char *quoted = ood_tcl_quote (name);
  g_autofree char *body = g_strdup_printf (
      NEED_HALTED "set ood_w [catch {$ood_t set_reg [list %s 0x%" G_GINT64_MODIFIER "x]} ood_we]%s",
      quoted, value,
      with_record ? "; if {!$ood_w} {set ood_we {}}; set ood_e {}; "
                    "if {[catch {lindex [$ood_t get_reg -force {pc}] 1} ood_p]} "
                    "{set ood_e $ood_p; set ood_p {}}; "
                    "list [list $ood_t {} halted $ood_p $ood_e] $ood_we"
                  : "; if {$ood_w} {error $ood_we}; list");
  return ood_tcl_wrap_target (target, body);
}

/**
 * ood_tcl_script_mem_learn:
 *
 * Answers {endianness pc}: the target's byte order and its cached PC as
 * get_reg prints it, with as many hex digits as the PC has bits / 4
 * (empty if it has no "pc"). Reads nothing from the target.
 */
char *
ood_tcl_script_mem_learn (const char *target)
{
  return ood_tcl_wrap_target (target,
                              "set ood_p {}; catch {set ood_p [lindex [$ood_t get_reg {pc}] 1]}; "
                              "list [$ood_t cget -endian] $ood_p");
}

/* @command runs under capture, so that a failure gives OpenOCD's logged
 * text ("Failed to read memory (addr=…) … sysbus=failed") rather than
 * only "read_memory: failed to read memory"; a result goes to a variable,
 * since on success capture answers whatever was logged. */
static char *
captured (const char *target, const char *command, const char *result)
{
  g_autofree char *body = g_strdup_printf ("if {[catch {capture {%s}} ood_e]} {error $ood_e}; %s",
                                           command, result);
  return ood_tcl_wrap_target (target, body);
}

/**
 * ood_tcl_script_mem_read:
 * @width: bits per access: 8, 16, 32 or 64
 * @count: accesses, 1 to OOD_TCL_MEM_CHUNK * 8 / @width
 *
 * One read_memory; answers its list of numbers (see
 * ood_tcl_parse_mem_words()).
 */
char *
ood_tcl_script_mem_read (const char *target, guint64 address, guint width, guint count)
{
  g_autofree char *command = g_strdup_printf (
      "set ood_m [$ood_t read_memory 0x%" G_GINT64_MODIFIER "x %u %u]", address, width, count);

  g_return_val_if_fail (width == 8 || width == 16 || width == 32 || width == 64, NULL);
  g_return_val_if_fail (count > 0 && count <= OOD_TCL_MEM_CHUNK * 8 / width, NULL);
  return captured (target, command, "set ood_m");
}

/**
 * ood_tcl_script_mem_write:
 * @writes: one write_memory each, in order
 *
 * Answers nothing; stops at the first write that fails.
 */
char *
ood_tcl_script_mem_write (const char *target, const OodTclMemWrite *writes, guint n_writes)
{
  g_autoptr(GString) command = g_string_new (NULL);

  for (guint i = 0; i < n_writes; i++)
    {
      const OodTclMemWrite *w = &writes[i];

      g_return_val_if_fail (w->width == 8 || w->width == 16 || w->width == 32 || w->width == 64,
                            NULL);
      g_string_append_printf (command, "%s$ood_t write_memory 0x%" G_GINT64_MODIFIER "x %u {",
                              i > 0 ? "; " : "", w->address, w->width);
      for (guint j = 0; j < w->count; j++)
        g_string_append_printf (command, j > 0 ? " 0x%" G_GINT64_MODIFIER "x"
                                               : "0x%" G_GINT64_MODIFIER "x", w->values[j]);
      g_string_append_c (command, '}');
    }
  return captured (target, command->str, "list");
}

/* ---- parsers ------------------------------------------------------------ */

static void
register_clear (gpointer data)
{
  g_free (((OodTclRegister *) data)->name);
}

/* Reads the decimal number at *@p, advancing past it. */
static gboolean
read_uint (const char **p, guint *value)
{
  guint64 v = 0;
  const char *start = *p;

  while (g_ascii_isdigit (**p) && *p - start < 9)
    v = v * 10 + (guint64) (*(*p)++ - '0');
  *value = (guint) v;
  return *p > start && !g_ascii_isdigit (**p);
}

/* "(N) NAME (/BITS)", then ": 0xVALUE" when cached, then " (dirty)". */
static gboolean
parse_reg_line (const char *line, OodTclRegister *reg)
{
  const char *p = line, *name, *end;

  if (*p++ != '(' || !read_uint (&p, &reg->number) || *p++ != ')' || *p++ != ' ')
    return FALSE;
  name = p;
  end = strchr (name, ' ');
  if (end == NULL || end == name || !g_str_has_prefix (end, " (/"))
    return FALSE;
  p = end + 3;
  if (!read_uint (&p, &reg->bits) || *p++ != ')' || reg->bits == 0)
    return FALSE;
  if (!g_utf8_validate_len (name, (gsize) (end - name), NULL))
    return FALSE;
  reg->dirty = g_str_has_suffix (p, " (dirty)");
  reg->name = g_strndup (name, (gsize) (end - name));
  return TRUE;
}

/**
 * ood_tcl_parse_reg_list:
 * @text: what OpenOCD 0.12's `reg` without arguments printed, its lines
 *   ended by newlines or ASCII record separators (0x1e)
 *
 * Returns: (transfer full) (element-type OodTclRegister): the registers
 *   in OpenOCD's order, or %NULL if a register line is malformed or a
 *   name repeats; "=====" cache headings and empty lines are skipped
 */
GArray *
ood_tcl_parse_reg_list (const char *text, GError **error)
{
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (OodTclRegister));
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  /* one line per register, or record separators (the learn script's) */
  g_auto(GStrv) lines = g_strsplit_set (text, "\n\x1e", -1);

  g_array_set_clear_func (list, register_clear);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      OodTclRegister reg = { 0 };

      g_strchomp (lines[i]);
      if (lines[i][0] == '\0' || g_str_has_prefix (lines[i], "====="))
        continue;
      if (!parse_reg_line (lines[i], &reg))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "malformed register line '%.80s'", lines[i]);
          return NULL;
        }
      g_array_append_val (list, reg);
      if (!g_hash_table_add (seen, reg.name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "register '%.80s' is listed twice", reg.name);
          return NULL;
        }
    }
  return g_steal_pointer (&list);
}

/* "0x" and 1 to 4096 hex digits, as get_reg prints a value. */
static gboolean
is_hex_value (const char *text)
{
  gsize digits;

  if (text[0] != '0' || text[1] != 'x')
    return FALSE;
  digits = strspn (text + 2, "0123456789abcdefABCDEF");
  return digits > 0 && digits <= 4096 && text[2 + digits] == '\0';
}

/**
 * ood_tcl_parse_reg_values:
 * @text: the dict get_reg answers: name value name value …
 *
 * Returns: (transfer full): name → "0x…" (each a hex value), or %NULL
 */
GHashTable *
ood_tcl_parse_reg_values (const char *text, GError **error)
{
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);
  guint n;

  if (items == NULL)
    return NULL;
  n = g_strv_length (items);
  if (n % 2 != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "register values: odd number of elements (%u)", n);
      return NULL;
    }
  for (guint i = 0; i < n; i += 2)
    {
      if (!is_hex_value (items[i + 1]) || !g_utf8_validate (items[i], -1, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "register values: bad pair '%.80s' '%.80s'", items[i], items[i + 1]);
          return NULL;
        }
      g_hash_table_replace (values, g_strdup (items[i]), g_strdup (items[i + 1]));
    }
  return g_steal_pointer (&values);
}

void
ood_tcl_reg_read_all_free (OodTclRegReadAll *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->values, g_hash_table_unref);
  g_clear_pointer (&result->unreadable, g_strfreev);
  g_clear_pointer (&result->listing, g_array_unref);
  g_free (result);
}

/**
 * ood_tcl_parse_reg_read_all:
 * @text: {values unreadable listing}, as ood_tcl_script_reg_read_all()
 *   answers
 *
 * Returns: (transfer full): the parts, or %NULL on malformed input
 */
OodTclRegReadAll *
ood_tcl_parse_reg_read_all (const char *text, GError **error)
{
  g_autoptr(OodTclRegReadAll) result = g_new0 (OodTclRegReadAll, 1);
  g_auto(GStrv) parts = ood_tcl_parse_list (text, error);

  if (parts == NULL)
    return NULL;
  if (g_strv_length (parts) != 3)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "register read: %u parts instead of 3", g_strv_length (parts));
      return NULL;
    }
  result->values = ood_tcl_parse_reg_values (parts[0], error);
  if (result->values == NULL)
    return NULL;
  result->unreadable = ood_tcl_parse_list (parts[1], error);
  if (result->unreadable == NULL)
    return NULL;
  result->listing = ood_tcl_parse_reg_list (parts[2], error);
  if (result->listing == NULL)
    return NULL;
  return g_steal_pointer (&result);
}

/**
 * ood_tcl_parse_mem_learn:
 * @text: {endianness pc}, as ood_tcl_script_mem_learn() answers
 * @address_bits: (out): the PC's width, 64 if there is no PC
 */
gboolean
ood_tcl_parse_mem_learn (const char *text, gboolean *big_endian, guint *address_bits,
                         GError **error)
{
  g_auto(GStrv) parts = ood_tcl_parse_list (text, error);

  if (parts == NULL)
    return FALSE;
  if (g_strv_length (parts) != 2 || (!g_str_equal (parts[0], "little") &&
                                     !g_str_equal (parts[0], "big")) ||
      (parts[1][0] != '\0' && (!is_hex_value (parts[1]) || strlen (parts[1]) > 18)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "malformed target description '%.80s'", text);
      return FALSE;
    }
  *big_endian = g_str_equal (parts[0], "big");
  *address_bits = parts[1][0] != '\0' ? (guint) (strlen (parts[1]) - 2) * 4 : 64;
  return TRUE;
}

/**
 * ood_tcl_parse_pc_write:
 * @text: what ood_tcl_script_reg_write() answered for the PC
 * @failure: (out) (transfer full): set_reg's error text, or %NULL if it
 *   succeeded
 *
 * Returns: (transfer full): the target's record, its PC as read back
 *   after the write; %NULL if @text is malformed
 */
OodTclTargetRecord *
ood_tcl_parse_pc_write (const char *text, char **failure, GError **error)
{
  g_auto(GStrv) parts = ood_tcl_parse_list (text, error);
  OodTclTargetRecord *record;

  if (parts == NULL)
    return NULL;
  if (g_strv_length (parts) != 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "malformed answer to a PC write '%.80s'", text);
      return NULL;
    }
  record = ood_tcl_parse_record (parts[0], error);
  if (record != NULL)
    *failure = parts[1][0] != '\0' ? g_strdup (g_strstrip (parts[1])) : NULL;
  return record;
}

static gboolean
words_error (GError **error, const char *what, guint index)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "read_memory answered %s at element %u", what, index);
  return FALSE;
}

/**
 * ood_tcl_parse_mem_words:
 * @text: what read_memory answered: "0x…" numbers separated by spaces
 * @width: bits per element; a larger number is malformed
 * @count: how many numbers there must be
 * @values: (out caller-allocates) (array length=count): the numbers
 *
 * A parser for exactly this: a chunk is thousands of numbers, more than
 * ood_tcl_parse_list() should split into strings.
 *
 * Returns: %FALSE unless @text is exactly @count such numbers
 */
gboolean
ood_tcl_parse_mem_words (const char *text, guint width, guint count, guint64 *values,
                         GError **error)
{
  const char *p = text;
  guint64 max = width >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << width) - 1;

  for (guint i = 0; i < count; i++)
    {
      guint64 v = 0;
      guint digits = 0;

      while (*p == ' ')
        p++;
      if (p[0] != '0' || p[1] != 'x')
        return words_error (error, "a non-number", i);
      for (p += 2; g_ascii_isxdigit (*p); p++, digits++)
        {
          if (v >> 60 != 0)
            return words_error (error, "a number too large", i);
          v = v << 4 | (guint64) g_ascii_xdigit_value (*p);
        }
      if (digits == 0 || (*p != ' ' && *p != '\0') || v > max)
        return words_error (error, "a malformed number", i);
      values[i] = v;
    }
  while (*p == ' ')
    p++;
  if (*p != '\0')
    return words_error (error, "more numbers than asked for", count);
  return TRUE;
}

/**
 * ood_tcl_hex_to_u64:
 * @hex: "0x…" as get_reg prints, leading zeros allowed
 *
 * Returns: %FALSE if @hex is not a hex value or does not fit 64 bits
 */
gboolean
ood_tcl_hex_to_u64 (const char *hex, guint64 *value)
{
  const char *p;

  if (!is_hex_value (hex))
    return FALSE;
  for (p = hex + 2; *p == '0' && p[1] != '\0'; p++)
    ;
  if (strlen (p) > 16)
    return FALSE;
  *value = g_ascii_strtoull (p, NULL, 16);
  return TRUE;
}

/**
 * ood_tcl_hex_to_bytes:
 * @hex: "0x…" as get_reg prints
 * @bits: the register's width
 *
 * Returns: (transfer full) (nullable): (@bits + 7) / 8 bytes, least
 *   significant first, or %NULL if @hex is malformed or does not fit
 */
GBytes *
ood_tcl_hex_to_bytes (const char *hex, guint bits)
{
  gsize n_bytes = (bits + 7) / 8;
  g_autofree guint8 *bytes = NULL;
  gsize digits;

  if (!is_hex_value (hex) || bits == 0 || bits > 4096 * 4)
    return NULL;
  bytes = g_malloc0 (n_bytes);
  digits = strlen (hex + 2);
  for (gsize nibble = 0; nibble < digits; nibble++)
    {
      guint v = (guint) g_ascii_xdigit_value (hex[2 + digits - 1 - nibble]);

      if (nibble / 2 >= n_bytes)
        {
          if (v != 0)
            return NULL;
          continue;
        }
      bytes[nibble / 2] |= (guint8) (v << (4 * (nibble % 2)));
    }
  if (bits % 8 != 0 && bytes[n_bytes - 1] >> (bits % 8) != 0)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&bytes), n_bytes);
}
