/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-parse.h"

#include <gio/gio.h>
#include <string.h>

#include "ood-state.h"

/**
 * ood_tcl_parse_wrapped:
 * @reply: a reply to a script built by ood_tcl_script_wrap()
 * @return_code: (out): the Tcl return code of the wrapped body (0: success)
 * @text: (out): the body's result, pointing into @reply
 *
 * Returns: %FALSE if @reply is not "<code> <text>"
 */
gboolean
ood_tcl_parse_wrapped (const char *reply, gint *return_code, const char **text)
{
  const char *p = reply;
  gint64 code;
  char *end = NULL;

  if (*p == '-')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  code = g_ascii_strtoll (reply, &end, 10);
  if (*end != ' ' || code < G_MININT || code > G_MAXINT)
    return FALSE;
  *return_code = (gint) code;
  *text = end + 1;
  return TRUE;
}

static gboolean
is_list_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static guint
hex_value (char c)
{
  return g_ascii_isdigit (c) ? (guint) (c - '0') : (guint) (g_ascii_tolower (c) - 'a' + 10);
}

/* Reads up to @max hex digits at *@p into a code point. */
static gunichar
read_hex (const char **p, guint max)
{
  gunichar value = 0;

  for (guint i = 0; i < max && g_ascii_isxdigit (**p); i++, (*p)++)
    value = value * 16 + hex_value (**p);
  return value;
}

static void
append_code_point (GString *out, gunichar c)
{
  if (c == 0 || !g_unichar_validate (c))
    c = 0xfffd;
  g_string_append_unichar (out, c);
}

/* Tcl backslash substitution of the sequence at *@p (just past the
 * backslash); advances *@p past it. */
static void
append_backslash (GString *out, const char **p)
{
  static const char simple_from[] = "abfnrtv";
  static const char simple_to[] = "\a\b\f\n\r\t\v";
  const char *hit;
  char c = **p;

  if (c == '\0')
    {
      g_string_append_c (out, '\\');
      return;
    }
  (*p)++;
  if ((hit = strchr (simple_from, c)) != NULL)
    g_string_append_c (out, simple_to[hit - simple_from]);
  else if (c == 'x' && g_ascii_isxdigit (**p))
    append_code_point (out, read_hex (p, 2));
  else if (c == 'u' && g_ascii_isxdigit (**p))
    append_code_point (out, read_hex (p, 4));
  else if (c >= '0' && c <= '7')
    {
      gunichar value = (gunichar) (c - '0');
      for (int i = 0; i < 2 && **p >= '0' && **p <= '7'; i++, (*p)++)
        value = value * 8 + (gunichar) (**p - '0');
      append_code_point (out, value & 0xff);
    }
  else if (c == '\n')
    {
      while (**p == ' ' || **p == '\t')
        (*p)++;
      g_string_append_c (out, ' ');
    }
  else
    g_string_append_c (out, c);
}

static gboolean
parse_braced (const char **p, GString *out, GError **error)
{
  guint depth = 1;

  for ((*p)++; **p != '\0'; (*p)++)
    {
      if (**p == '\\' && (*p)[1] != '\0')
        {
          g_string_append_len (out, *p, 2);
          (*p)++;
          continue;
        }
      if (**p == '{')
        depth++;
      else if (**p == '}' && --depth == 0)
        {
          (*p)++;
          return TRUE;
        }
      g_string_append_c (out, **p);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "unmatched open brace in list");
  return FALSE;
}

static gboolean
parse_quoted (const char **p, GString *out, GError **error)
{
  for ((*p)++; **p != '\0';)
    {
      char c = *(*p)++;
      if (c == '"')
        return TRUE;
      if (c == '\\')
        append_backslash (out, p);
      else
        g_string_append_c (out, c);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "unmatched open quote in list");
  return FALSE;
}

static void
parse_bare (const char **p, GString *out)
{
  while (**p != '\0' && !is_list_space (**p))
    {
      char c = *(*p)++;
      if (c == '\\')
        append_backslash (out, p);
      else
        g_string_append_c (out, c);
    }
}

static gboolean
parse_element (const char **p, GString *out, GError **error)
{
  if (**p == '{')
    {
      if (!parse_braced (p, out, error))
        return FALSE;
    }
  else if (**p == '"')
    {
      if (!parse_quoted (p, out, error))
        return FALSE;
    }
  else
    parse_bare (p, out);

  if (**p != '\0' && !is_list_space (**p))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "list element followed by '%c' instead of a space", **p);
      return FALSE;
    }
  return TRUE;
}

/**
 * ood_tcl_parse_list:
 * @text: a Tcl list as Jim Tcl prints it
 *
 * Splits a Tcl list into its elements, undoing brace, quote and backslash
 * quoting.
 *
 * Returns: (transfer full): the elements, or %NULL on malformed input
 */
GStrv
ood_tcl_parse_list (const char *text, GError **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *p = text;

  for (;;)
    {
      g_autoptr(GString) element = g_string_new (NULL);

      while (is_list_space (*p))
        p++;
      if (*p == '\0')
        break;
      if (!parse_element (&p, element, error))
        return NULL;
      g_strv_builder_add (builder, element->str);
    }
  return g_strv_builder_end (builder);
}

/**
 * ood_tcl_parse_notification:
 * @message: one message from a connection with tcl_notifications on
 *
 * Recognises "type target_event event NAME", "type target_state state NAME"
 * and "type target_reset mode NAME", each ending in "\r\n".
 *
 * Returns: %FALSE if @message is not a notification
 */
gboolean
ood_tcl_parse_notification (const char *message, OodTclNotification *notification)
{
  static const struct {
    const char *prefix;
    OodTclNotifyKind kind;
  } kinds[] = {
    { "type target_event event ", OOD_TCL_NOTIFY_EVENT },
    { "type target_state state ", OOD_TCL_NOTIFY_STATE },
    { "type target_reset mode ", OOD_TCL_NOTIFY_RESET },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      const char *value;
      gsize length;

      if (!g_str_has_prefix (message, kinds[i].prefix))
        continue;
      value = message + strlen (kinds[i].prefix);
      length = strcspn (value, "\r\n");
      if (length == 0 || strcmp (value + length, "\r\n") != 0 ||
          !g_utf8_validate_len (value, length, NULL))
        return FALSE;
      notification->kind = kinds[i].kind;
      notification->value = g_strndup (value, length);
      return TRUE;
    }
  return FALSE;
}

void
ood_tcl_notification_clear (OodTclNotification *notification)
{
  g_clear_pointer (&notification->value, g_free);
}

/**
 * ood_tcl_parse_address:
 * @text: "0x" followed by 1 to 16 hex digits, as OpenOCD prints registers
 *
 * Returns: %FALSE if @text is anything else
 */
gboolean
ood_tcl_parse_address (const char *text, guint64 *address)
{
  gsize digits;

  if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return FALSE;
  digits = strspn (text + 2, "0123456789abcdefABCDEF");
  if (digits == 0 || digits > 16 || text[2 + digits] != '\0')
    return FALSE;
  *address = g_ascii_strtoull (text + 2, NULL, 16);
  return TRUE;
}

void
ood_tcl_target_record_free (OodTclTargetRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_free (record->type);
  g_free (record->pc_error);
  g_free (record->breakpoints);
  g_free (record->watchpoints);
  g_free (record);
}

static gboolean
record_field_ok (const char *field, const char *what, GError **error)
{
  if (g_utf8_validate (field, -1, NULL))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "target %s is not valid UTF-8", what);
  return FALSE;
}

/* OpenOCD's -gdb-port of a target as a TCP port: a number as OpenOCD
 * reads one (strtol with base 0), else 0: "disabled", "undefined" (no GDB
 * server), "pipe" or a named pipe, and "0", whose port the system chose
 * and OpenOCD 0.12 does not tell. */
static guint16
parse_gdb_port (const char *text)
{
  char *end = NULL;
  guint64 port;

  if (!g_ascii_isdigit (text[0]))
    return 0;
  port = g_ascii_strtoull (text, &end, 0);
  return *end == '\0' && port <= G_MAXUINT16 ? (guint16) port : 0;
}

/* The cause field (bits 8:6) of a RISC-V dcsr as OpenOCD prints it, or -1:
 * not a dcsr, or a cause of 0, which the Debug Specification 0.13 does
 * not define. */
static gint
parse_cause (const char *text)
{
  guint64 dcsr;
  gint cause;

  if (!ood_tcl_parse_address (text, &dcsr))
    return -1;
  cause = (gint) ((dcsr >> 6) & 7);
  return cause != 0 ? cause : -1;
}

/**
 * ood_tcl_parse_record:
 * @text: a list {name type state pc pc-error [breakpoints [gdb-port
 *   [dcsr [watchpoints]]]]}; an empty type (not asked for) leaves the
 *   record's type %NULL, breakpoints or watchpoints "-" (not read), or
 *   absent, leave the listing %NULL,
 *   gdb-port "-", or absent, leaves the port unknown, and a dcsr that is
 *   not a number (or a halt cause of 0) leaves the cause -1
 *
 * Returns: (transfer full): the record, or %NULL on malformed input
 */
OodTclTargetRecord *
ood_tcl_parse_record (const char *text, GError **error)
{
  g_autoptr(OodTclTargetRecord) record = g_new0 (OodTclTargetRecord, 1);
  g_auto(GStrv) fields = ood_tcl_parse_list (text, error);

  guint n_fields = fields != NULL ? g_strv_length (fields) : 0;

  if (fields == NULL)
    return NULL;
  if (n_fields < 5 || n_fields > 9 || fields[0][0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "malformed target record '%s'", text);
      return NULL;
    }
  if (!record_field_ok (fields[0], "name", error) || !record_field_ok (fields[1], "type", error))
    return NULL;
  record->name = g_strdup (fields[0]);
  record->type = fields[1][0] != '\0' ? g_strdup (fields[1]) : NULL;
  record->state = (char *) ood_state_canonical (fields[2]);
  if (record->state == NULL)
    record->state = (char *) OOD_STATE_UNKNOWN;
  record->pc_valid = g_strcmp0 (record->state, OOD_STATE_HALTED) == 0 &&
                     ood_tcl_parse_address (fields[3], &record->pc);
  if (record->pc_valid)
    record->pc_bits = 4 * (guint) (strlen (fields[3]) - 2);
  if (fields[4][0] != '\0')
    record->pc_error = g_utf8_make_valid (fields[4], -1);
  if (n_fields >= 6 && !g_str_equal (fields[5], "-"))
    record->breakpoints = g_utf8_make_valid (fields[5], -1);
  record->gdb_port_known = n_fields >= 7 && !g_str_equal (fields[6], "-");
  if (record->gdb_port_known)
    record->gdb_port = parse_gdb_port (fields[6]);
  record->cause = n_fields >= 8 && record->pc_valid ? parse_cause (fields[7]) : -1;
  if (n_fields >= 9 && !g_str_equal (fields[8], "-"))
    record->watchpoints = g_utf8_make_valid (fields[8], -1);
  return g_steal_pointer (&record);
}

/**
 * ood_tcl_parse_records:
 * @text: a list of records (see ood_tcl_parse_record())
 *
 * Returns: (transfer full) (element-type OodTclTargetRecord): the records
 */
GPtrArray *
ood_tcl_parse_records (const char *text, GError **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (
      (GDestroyNotify) ood_tcl_target_record_free);
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);

  if (items == NULL)
    return NULL;
  for (guint i = 0; items[i] != NULL; i++)
    {
      OodTclTargetRecord *record = ood_tcl_parse_record (items[i], error);
      if (record == NULL)
        return NULL;
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

/* The elements of @element_size that @parse_line makes of the lines of
 * @text it takes; lines it does not take are skipped. */
static GArray *
parse_lines (const char *text, gsize element_size,
             gboolean (*parse_line) (const char *line, gpointer element))
{
  GArray *list = g_array_new (FALSE, TRUE, (guint) element_size);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_array_set_size (list, list->len + 1);
      g_strchomp (lines[i]);
      if (!parse_line (lines[i], list->data + (list->len - 1) * element_size))
        {
          g_array_set_size (list, list->len - 1);
          if (lines[i][0] != '\0')
            g_debug ("not a listing line of ours: %s", lines[i]);
        }
    }
  return list;
}

/* One line of OpenOCD 0.12's breakpoint listing (`bp` without arguments):
 *   "Breakpoint(IVA): 0x80000020, 0x4, 1"     hardware, then its number
 *   "IVA breakpoint: 0x80000010, 0x4, 0x13"   software, then the saved code
 * Context and hybrid breakpoints (by ASID) cannot be set through the
 * service and are not read. */
static gboolean
parse_breakpoint_line (const char *line, gpointer element)
{
  static const struct {
    const char       *prefix;
    OodBreakpointKind kind;
  } forms[] = {
    { "Breakpoint(IVA): ", OOD_BP_HARDWARE },
    { "IVA breakpoint: ", OOD_BP_SOFTWARE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_auto(GStrv) fields = NULL;
      guint64 address, length;

      if (!g_str_has_prefix (line, forms[i].prefix))
        continue;
      fields = g_strsplit (line + strlen (forms[i].prefix), ", ", 3);
      if (g_strv_length (fields) < 2 || !ood_tcl_parse_address (fields[0], &address) ||
          !ood_tcl_parse_address (fields[1], &length) || length == 0 || length > G_MAXUINT)
        return FALSE;
      *(OodTclBreakpoint *) element = (OodTclBreakpoint) { address, (guint) length,
                                                           forms[i].kind };
      return TRUE;
    }
  return FALSE;
}

/**
 * ood_tcl_parse_breakpoints:
 * @text: what OpenOCD's `bp` without arguments printed
 *
 * Returns: (transfer full) (element-type OodTclBreakpoint): the address
 *   breakpoints listed, in OpenOCD's order; lines of any other form are
 *   skipped
 */
GArray *
ood_tcl_parse_breakpoints (const char *text)
{
  return parse_lines (text, sizeof (OodTclBreakpoint), parse_breakpoint_line);
}

/* One line of OpenOCD 0.12's watchpoint listing (`wp` without arguments):
 *   "address: 0x80008000, len: 0x00000004, r/w/a: 1, value: 0x00000000,
 *    mask: 0xffffffff"
 * r/w/a is OpenOCD's enum watchpoint_rw: 0 read, 1 write, 2 access. */
static gboolean
parse_watchpoint_line (const char *line, gpointer element)
{
  static const char *const keys[] = { "address: ", "len: ", "r/w/a: ", "value: ", "mask: " };
  g_auto(GStrv) fields = g_strsplit (line, ", ", -1);
  guint64 numbers[G_N_ELEMENTS (keys)];

  if (g_strv_length (fields) != G_N_ELEMENTS (keys))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *text = fields[i] + strlen (keys[i]);

      if (!g_str_has_prefix (fields[i], keys[i]))
        return FALSE;
      if (i == 2 ? !g_ascii_string_to_unsigned (text, 10, 0, 2, &numbers[i], NULL)
                 : !ood_tcl_parse_address (text, &numbers[i]))
        return FALSE;
    }
  if (numbers[1] == 0 || numbers[1] > G_MAXUINT || numbers[3] > G_MAXUINT32 ||
      numbers[4] > G_MAXUINT32)
    return FALSE;
  *(OodTclWatchpoint *) element = (OodTclWatchpoint) {
    numbers[0], (guint) numbers[1], (OodWatchAccess) numbers[2], (guint32) numbers[3],
    (guint32) numbers[4] };
  return TRUE;
}

/**
 * ood_tcl_parse_watchpoints:
 * @text: what OpenOCD's `wp` without arguments printed
 *
 * Returns: (transfer full) (element-type OodTclWatchpoint): the
 *   watchpoints listed, in OpenOCD's order; lines of any other form are
 *   skipped
 */
GArray *
ood_tcl_parse_watchpoints (const char *text)
{
  return parse_lines (text, sizeof (OodTclWatchpoint), parse_watchpoint_line);
}

/**
 * ood_tcl_fold_message:
 * @text: an error text OpenOCD logged, maybe the same lines many times
 * @max_bytes: the most the result may hold
 *
 * Folds lines that repeat (anywhere in @text) into their first appearance
 * with a count, and cuts the result at a character boundary within
 * @max_bytes, ending it with "…" when cut.
 *
 * Returns: (transfer full): the folded text
 */
char *
ood_tcl_fold_message (const char *text, gsize max_bytes)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *end;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strchomp (lines[i]);
      g_hash_table_insert (counts, lines[i],
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, lines[i])) + 1));
    }
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, lines[i]));

      if (n == 0 || lines[i][0] == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, lines[i]);
      if (n > 1)
        g_string_append_printf (out, " (%u times)", n);
      g_hash_table_insert (counts, lines[i], GUINT_TO_POINTER (0));
    }
  if (out->len <= max_bytes)
    return g_string_free (g_steal_pointer (&out), FALSE);
  /* room for the ellipsis (3 bytes), cut where a character starts */
  end = out->str + (max_bytes > 3 ? max_bytes - 3 : 0);
  while (end > out->str && ((guchar) *end & 0xc0) == 0x80)
    end--;
  g_string_truncate (out, (gsize) (end - out->str));
  g_string_append (out, "…");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
