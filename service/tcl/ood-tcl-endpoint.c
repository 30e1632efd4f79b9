/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-endpoint.h"

#include <gio/gio.h>
#include <string.h>

#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"

/* The reply framing ends a message at 0x1a: a raw command's result must
 * not hold one, so each becomes the four characters "\x1a". */
#define NO_TERMINATOR_IN_OOD_O "set ood_o [string map [list \\x1a {\\x1a}] $ood_o]; "

/**
 * ood_tcl_script_raw:
 * @command: any text of at most %OOD_TCL_RAW_MAX_COMMAND bytes: it is
 *   quoted here, so it is one word whatever it holds
 *
 * Runs @command under `capture` and answers what it logged, or its result
 * where it logged nothing; a failure answers the same text as its error.
 * A failure is any code but 0 and 2 (`return`): OpenOCD's commands fail
 * with codes of their own (ERROR_FAIL is -4), not only Tcl's 1.
 * Answers at most %OOD_TCL_RAW_MAX_OUTPUT bytes of it (bytes, not
 * characters: a cut may split one, which the caller makes valid UTF-8).
 */
char *
ood_tcl_script_raw (const char *command)
{
  g_autofree char *quoted = ood_tcl_quote (command);
  g_autofree char *body = g_strdup_printf (
      "set ood_x %s; set ood_c [catch {capture $ood_x} ood_o]; " NO_TERMINATOR_IN_OOD_O
      "if {[string bytelength $ood_o] > %u} {set ood_o \"[string byterange $ood_o 0 %u]"
      "\\n\\[output cut\\]\"}; if {$ood_c != 0 && $ood_c != 2} {error $ood_o}; set ood_o",
      quoted, OOD_TCL_RAW_MAX_OUTPUT, OOD_TCL_RAW_MAX_OUTPUT - 1);

  return ood_tcl_wrap (body);
}

/* Appends to ood_l what @command answers (its log, under capture), or {}
 * where it fails. */
#define ANSWER_OF(command) \
  "if {[catch {capture {" command "}} ood_v]} {set ood_v {}}; lappend ood_l $ood_v; "

/**
 * ood_tcl_script_adapter_learn:
 *
 * Answers the list {adapter transport speed-text scan-chain-text}: the
 * adapter driver's name, the transport selected, what `adapter speed`
 * printed and what `scan_chain` printed; {} for each that failed.
 */
char *
ood_tcl_script_adapter_learn (void)
{
  return ood_tcl_wrap ("set ood_l {}; " ANSWER_OF ("adapter name")
                       ANSWER_OF ("transport select") ANSWER_OF ("adapter speed")
                       ANSWER_OF ("scan_chain") "set ood_l");
}

/* Sets the adapter's speed; answers what `adapter speed` printed, with the
 * speed OpenOCD set (it may round). */
char *
ood_tcl_script_adapter_speed (guint khz)
{
  g_autofree char *body = g_strdup_printf ("capture {adapter speed %u}", khz);

  return ood_tcl_wrap (body);
}

/**
 * ood_tcl_parse_adapter_speed:
 * @text: what `adapter speed` printed: "adapter speed: N kHz" or
 *   "adapter speed: RCLK - adaptive"
 * @khz: (out): N, or 0 for adaptive clocking
 *
 * Returns: whether @text says the speed
 */
gboolean
ood_tcl_parse_adapter_speed (const char *text, guint *khz)
{
  const char *line = strstr (text, "adapter speed: ");
  guint64 value;
  char *end = NULL;

  if (line == NULL)
    return FALSE;
  line += strlen ("adapter speed: ");
  if (g_str_has_prefix (line, "RCLK"))
    {
      *khz = 0;
      return TRUE;
    }
  if (!g_ascii_isdigit (*line))
    return FALSE;
  value = g_ascii_strtoull (line, &end, 10);
  if (value > G_MAXUINT || !g_str_has_prefix (end, " kHz"))
    return FALSE;
  *khz = (guint) value;
  return TRUE;
}

/* A 0x… number of scan_chain; an ignored version digit ("*") reads 0. */
static gboolean
parse_hex32 (const char *word, guint32 *value)
{
  g_autofree char *digits = NULL;
  char *end = NULL;
  guint64 v;

  if (!g_str_has_prefix (word, "0x") || word[2] == '\0' || strlen (word) > 10)
    return FALSE;
  digits = g_strdup (word + 2);
  g_strdelimit (digits, "*", '0');
  v = g_ascii_strtoull (digits, &end, 16);
  if (*end != '\0')
    return FALSE;
  *value = (guint32) v;
  return TRUE;
}

static void
tap_clear (OodTclTap *tap)
{
  g_free (tap->name);
}

/* One TAP line of scan_chain: "N NAME Y|n 0xIDCODE 0xEXPECTED IRLEN
 * 0xIRCAP 0xIRMASK". Header lines and further expected ids are not. */
static gboolean
parse_tap_line (const char *line, OodTclTap *tap)
{
  g_auto(GStrv) words = g_strsplit_set (line, " \t", -1);
  const char *w[8];
  guint n = 0;
  guint64 number;

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      {
        if (n == G_N_ELEMENTS (w))
          return FALSE;
        w[n++] = words[i];
      }
  if (n != 8 || !g_ascii_string_to_unsigned (w[0], 10, 0, G_MAXUINT, NULL, NULL) ||
      (!g_str_equal (w[2], "Y") && !g_str_equal (w[2], "n")) ||
      !parse_hex32 (w[3], &tap->idcode) || !parse_hex32 (w[4], &tap->expected) ||
      !g_ascii_string_to_unsigned (w[5], 10, 0, 1024, &number, NULL))
    return FALSE;
  tap->name = g_strdup (w[1]);
  tap->enabled = g_str_equal (w[2], "Y");
  tap->ir_length = (guint) number;
  return TRUE;
}

/**
 * ood_tcl_parse_scan_chain:
 * @text: what OpenOCD's `scan_chain` printed
 *
 * Returns: (transfer full) (element-type OodTclTap): the TAPs listed, in
 *   chain order; lines that are no TAP's are skipped
 */
GArray *
ood_tcl_parse_scan_chain (const char *text)
{
  GArray *taps = g_array_new (FALSE, TRUE, sizeof (OodTclTap));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  g_array_set_clear_func (taps, (GDestroyNotify) tap_clear);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      OodTclTap tap = { 0 };
      if (parse_tap_line (lines[i], &tap))
        g_array_append_val (taps, tap);
    }
  return taps;
}

void
ood_tcl_adapter_info_free (OodTclAdapterInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->adapter);
  g_free (info->transport);
  g_clear_pointer (&info->taps, g_array_unref);
  g_free (info);
}

/**
 * ood_tcl_parse_adapter_info:
 * @text: what ood_tcl_script_adapter_learn() answered
 *
 * Returns: (transfer full) (nullable): the adapter, transport, speed and
 *   TAPs; %NULL if @text is not the list of four
 */
OodTclAdapterInfo *
ood_tcl_parse_adapter_info (const char *text, GError **error)
{
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);
  OodTclAdapterInfo *info;

  if (items == NULL)
    return NULL;
  if (g_strv_length (items) != 4)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "expected 4 items of adapter information, got %u", g_strv_length (items));
      return NULL;
    }
  info = g_new0 (OodTclAdapterInfo, 1);
  info->adapter = g_strdup (g_strstrip (items[0]));
  info->transport = g_strdup (g_strstrip (items[1]));
  if (!ood_tcl_parse_adapter_speed (items[2], &info->speed_khz))
    info->speed_khz = 0;
  info->taps = ood_tcl_parse_scan_chain (items[3]);
  return info;
}
