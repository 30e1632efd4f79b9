/* SPDX-License-Identifier: MIT */
/* Unit tests of the pure Tcl RPC parsers and the message framer. */
#include <gio/gio.h>
#include <string.h>

#include "ood-state.h"
#include "ood-tcl-framer.h"
#include "ood-tcl-endpoint.h"
#include "ood-tcl-halts.h"
#include "ood-tcl-parse.h"

/* ---- ood_tcl_parse_wrapped ---------------------------------------------- */

static void
test_wrapped_ok (void)
{
  gint code = 42;
  const char *text = NULL;

  g_assert_true (ood_tcl_parse_wrapped ("0 hello world", &code, &text));
  g_assert_cmpint (code, ==, 0);
  g_assert_cmpstr (text, ==, "hello world");

  g_assert_true (ood_tcl_parse_wrapped ("1 some error", &code, &text));
  g_assert_cmpint (code, ==, 1);
  g_assert_cmpstr (text, ==, "some error");

  g_assert_true (ood_tcl_parse_wrapped ("0 ", &code, &text));
  g_assert_cmpint (code, ==, 0);
  g_assert_cmpstr (text, ==, "");

  g_assert_true (ood_tcl_parse_wrapped ("-4 ", &code, &text));
  g_assert_cmpint (code, ==, -4);
  g_assert_cmpstr (text, ==, "");

  g_assert_true (ood_tcl_parse_wrapped ("-1 x y", &code, &text));
  g_assert_cmpint (code, ==, -1);
  g_assert_cmpstr (text, ==, "x y");

  /* the text keeps everything after the first space, spaces included */
  g_assert_true (ood_tcl_parse_wrapped ("2  lead", &code, &text));
  g_assert_cmpint (code, ==, 2);
  g_assert_cmpstr (text, ==, " lead");

  g_assert_true (ood_tcl_parse_wrapped ("2147483647 max", &code, &text));
  g_assert_cmpint (code, ==, G_MAXINT);
  g_assert_true (ood_tcl_parse_wrapped ("-2147483648 min", &code, &text));
  g_assert_cmpint (code, ==, G_MININT);
}

static void
test_wrapped_bad (void)
{
  static const char *const bad[] = {
    "", "0", "12", "-4", "abc", "x 0", " 0 x", "- 4 x", "-", "+1 x", "1x y",
    "0\tx", "0\nx", "2147483648 too big", "-2147483649 too small",
    "99999999999999999999999 x", "--1 x", "0x1 y",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gint code = 1234;
      const char *text = (const char *) 0x1;

      if (ood_tcl_parse_wrapped (bad[i], &code, &text))
        g_error ("'%s' was accepted (code %d)", bad[i], code);
    }
}

/* ---- ood_tcl_parse_list -------------------------------------------------- */

static void
assert_list (const char *text, const char *const *expected)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = ood_tcl_parse_list (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (list);
  if (!g_strv_equal ((const char *const *) list, expected))
    {
      g_autofree char *got = g_strjoinv ("|", list);
      g_autofree char *want = g_strjoinv ("|", (GStrv) expected);
      g_error ("list '%s': got [%s], expected [%s]", text, got, want);
    }
}

#define LIST(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define EMPTY ((const char *const[]) { NULL })

static void
assert_list_error (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = ood_tcl_parse_list (text, &error);

  if (list != NULL)
    {
      g_autofree char *got = g_strjoinv ("|", list);
      g_error ("list '%s' was accepted as [%s]", text, got);
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_list_bare (void)
{
  assert_list ("a", LIST ("a"));
  assert_list ("a b c", LIST ("a", "b", "c"));
  assert_list ("  a \t b\n\r c\v\f", LIST ("a", "b", "c"));
  assert_list ("riscv.cpu riscv halted 0x80000000", LIST ("riscv.cpu", "riscv", "halted", "0x80000000"));
  /* braces and quotes inside a bare word are ordinary characters */
  assert_list ("a{b c\"d", LIST ("a{b", "c\"d"));
  assert_list ("a}", LIST ("a}"));
}

static void
test_list_braces (void)
{
  assert_list ("{a b} c", LIST ("a b", "c"));
  assert_list ("{}", LIST (""));
  assert_list ("{} {} x", LIST ("", "", "x"));
  assert_list ("{a {b c}} d", LIST ("a {b c}", "d"));
  assert_list ("{{{x}}}", LIST ("{{x}}"));
  assert_list ("{a {b {c {d}}} e}", LIST ("a {b {c {d}}} e"));
  /* no substitution inside braces */
  assert_list ("{a\\nb $x [y]}", LIST ("a\\nb $x [y]"));
  /* escaped braces inside braces neither open nor close, and keep the backslash */
  assert_list ("{a\\}b}", LIST ("a\\}b"));
  assert_list ("{a\\{b}", LIST ("a\\{b"));
  assert_list ("{\\{} z", LIST ("\\{", "z"));
  /* a braced element with a newline inside */
  assert_list ("{line1\nline2} x", LIST ("line1\nline2", "x"));
  /* the record of a target whose PC could not be read */
  assert_list ("riscv.cpu riscv halted {} {Error: timeout}",
               LIST ("riscv.cpu", "riscv", "halted", "", "Error: timeout"));
}

static void
test_list_quotes (void)
{
  assert_list ("\"a b\" c", LIST ("a b", "c"));
  assert_list ("\"\"", LIST (""));
  assert_list ("\"a {b\" c", LIST ("a {b", "c"));
  assert_list ("\"a\\\"b\"", LIST ("a\"b"));
  assert_list ("\"tab\\there\"", LIST ("tab\there"));
}

static void
test_list_backslashes (void)
{
  assert_list ("a\\nb", LIST ("a\nb"));
  assert_list ("\\t\\r\\a\\b\\f\\v", LIST ("\t\r\a\b\f\v"));
  assert_list ("\\x41", LIST ("A"));
  assert_list ("\\x41\\x42C", LIST ("ABC"));
  /* \x takes at most two hex digits */
  assert_list ("\\x414", LIST ("A4"));
  assert_list ("\\u00e9", LIST ("\xc3\xa9"));
  assert_list ("\\u00e9t\\u00E9", LIST ("\xc3\xa9t\xc3\xa9"));
  /* \u takes at most four hex digits */
  assert_list ("\\u00411", LIST ("A1"));
  assert_list ("\\101", LIST ("A"));
  assert_list ("\\1010", LIST ("A0"));
  assert_list ("\\7", LIST ("\x07"));
  /* an escaped space does not split */
  assert_list ("a\\ b c", LIST ("a b", "c"));
  assert_list ("\\{ \\} \\[ \\$ \\\\", LIST ("{", "}", "[", "$", "\\"));
  /* unknown escapes stand for the character itself */
  assert_list ("\\q\\x\\u", LIST ("qxu"));
  /* a NUL code point cannot be represented in a C string: replaced */
  assert_list ("\\x00", LIST ("\xef\xbf\xbd"));
  assert_list ("\\u0000", LIST ("\xef\xbf\xbd"));
  /* a trailing lone backslash is kept */
  assert_list ("a\\", LIST ("a\\"));
  /* backslash-newline becomes one space */
  assert_list ("\"a\\\n   b\"", LIST ("a b"));
}

static void
test_list_errors (void)
{
  assert_list_error ("{a b");
  assert_list_error ("{");
  assert_list_error ("{a {b}");
  assert_list_error ("{a\\}");
  assert_list_error ("x {y");
  assert_list_error ("\"a b");
  assert_list_error ("\"");
  assert_list_error ("\"a\\\"");
  assert_list_error ("{a}b");
  assert_list_error ("{a}{b}");
  assert_list_error ("{a}\"b\"");
  assert_list_error ("\"a\"b");
  assert_list_error ("x {a}} y");
}

static void
test_list_empty (void)
{
  assert_list ("", EMPTY);
  assert_list (" ", EMPTY);
  assert_list (" \t\n\r\v\f  ", EMPTY);
}

/* ---- notifications ------------------------------------------------------- */

static void
assert_notification (const char *message, OodTclNotifyKind kind, const char *value)
{
  OodTclNotification n = { 0 };

  g_assert_true (ood_tcl_parse_notification (message, &n));
  g_assert_cmpint (n.kind, ==, kind);
  g_assert_cmpstr (n.value, ==, value);
  ood_tcl_notification_clear (&n);
  g_assert_null (n.value);
}

static void
test_notifications (void)
{
  static const char *const bad[] = {
    "", "\r\n",
    "type target_event event halted",
    "type target_event event halted\n",
    "type target_event event halted\r",
    "type target_event event \r\n",
    "type target_state state \r\n",
    "type target_reset mode \r\n",
    "type target_event event halted\r\nmore",
    "type target_event event halted\r\n\r\n",
    "type target_event event hal\nted\r\n",
    "type target_event halted\r\n",
    "type target_other event halted\r\n",
    "type target_state mode halted\r\n",
    "xtype target_event event halted\r\n",
    " type target_event event halted\r\n",
    "TYPE target_event event halted\r\n",
    "0 riscv.cpu riscv halted 0x80000000 {}",
    "type target_event event \xff\xfe\r\n",
  };

  assert_notification ("type target_event event halted\r\n", OOD_TCL_NOTIFY_EVENT, "halted");
  assert_notification ("type target_event event reset-start\r\n", OOD_TCL_NOTIFY_EVENT, "reset-start");
  assert_notification ("type target_state state running\r\n", OOD_TCL_NOTIFY_STATE, "running");
  assert_notification ("type target_reset mode halt\r\n", OOD_TCL_NOTIFY_RESET, "halt");
  /* the value is everything up to the line end, spaces included */
  assert_notification ("type target_event event a b\r\n", OOD_TCL_NOTIFY_EVENT, "a b");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      OodTclNotification n = { 0 };
      if (ood_tcl_parse_notification (bad[i], &n))
        g_error ("'%s' was taken for a notification (%d, '%s')", bad[i], n.kind, n.value);
      g_assert_null (n.value);
    }
}

/* ---- addresses ----------------------------------------------------------- */

static void
test_address (void)
{
  static const char *const bad[] = {
    "", "0", "0x", "0X", "x80000000", "80000000", "0x80000000 ", " 0x80000000",
    "0x8000000g", "0x80000000\n", "0x-1", "0x+1", "00x1", "0x 1",
    "0x00000000000000000", "0x10000000000000000", "0xfffffffffffffffff",
    "-0x1", "0b101",
  };
  guint64 address = 0;

  g_assert_true (ood_tcl_parse_address ("0x80000000", &address));
  g_assert_cmpuint (address, ==, 0x80000000);
  g_assert_true (ood_tcl_parse_address ("0x0", &address));
  g_assert_cmpuint (address, ==, 0);
  g_assert_true (ood_tcl_parse_address ("0X1F", &address));
  g_assert_cmpuint (address, ==, 0x1f);
  g_assert_true (ood_tcl_parse_address ("0xffffffffffffffff", &address));
  g_assert_cmpuint (address, ==, G_MAXUINT64);
  g_assert_true (ood_tcl_parse_address ("0x0000000080000004", &address));
  g_assert_cmpuint (address, ==, 0x80000004);
  g_assert_true (ood_tcl_parse_address ("0xDeadBeef", &address));
  g_assert_cmpuint (address, ==, 0xdeadbeef);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      address = 7;
      if (ood_tcl_parse_address (bad[i], &address))
        g_error ("'%s' was taken for address 0x%" G_GINT64_MODIFIER "x", bad[i], address);
      g_assert_cmpuint (address, ==, 7);
    }
}

/* ---- records ------------------------------------------------------------- */

static void
test_record_halted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record ("riscv.cpu riscv halted 0x80000000 {}", &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpstr (r->name, ==, "riscv.cpu");
  g_assert_cmpstr (r->type, ==, "riscv");
  g_assert_cmpstr (r->state, ==, OOD_STATE_HALTED);
  g_assert_true (r->pc_valid);
  g_assert_cmpuint (r->pc, ==, 0x80000000);
  g_assert_null (r->pc_error);
}

static void
test_record_running (void)
{
  static const char *const states[] = { "running", "reset", "debug-running", "unknown" };

  for (gsize i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("{my cpu} cortex_m %s {} {}", states[i]);
      g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record (text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (r->name, ==, "my cpu");
      g_assert_cmpstr (r->type, ==, "cortex_m");
      g_assert_cmpstr (r->state, ==, states[i]);
      g_assert_false (r->pc_valid);
      g_assert_null (r->pc_error);
    }
}

static void
test_record_pc_only_when_halted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record ("t riscv running 0x80000000 {}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (r->state, ==, OOD_STATE_RUNNING);
  g_assert_false (r->pc_valid);
}

static void
test_record_unknown_state (void)
{
  static const char *const odd[] = { "exploded", "HALTED", "", "halted2" };

  for (gsize i = 0; i < G_N_ELEMENTS (odd); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("t riscv {%s} 0x80000000 {}", odd[i]);
      g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record (text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (r->state, ==, OOD_STATE_UNKNOWN);
      g_assert_false (r->pc_valid);
    }
}

static void
test_record_pc_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) r =
      ood_tcl_parse_record ("riscv.cpu riscv halted {} {Error: could not read register pc}", &error);
  g_autoptr(OodTclTargetRecord) r2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (r->state, ==, OOD_STATE_HALTED);
  g_assert_false (r->pc_valid);
  g_assert_cmpstr (r->pc_error, ==, "Error: could not read register pc");

  /* a PC that is not an address makes it invalid too */
  r2 = ood_tcl_parse_record ("riscv.cpu riscv halted garbage {}", &error);
  g_assert_no_error (error);
  g_assert_false (r2->pc_valid);
}

static void
test_record_pc_error_invalid_utf8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record ("t riscv halted {} {bad \xff text}", &error);

  g_assert_no_error (error);
  g_assert_nonnull (r->pc_error);
  g_assert_true (g_utf8_validate (r->pc_error, -1, NULL));
  g_assert_true (g_str_has_prefix (r->pc_error, "bad "));
}

/* The sixth field is OpenOCD's breakpoint listing, "-" where unread; the
 * PC's width is what OpenOCD's digits show. */
static void
test_record_listing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) five = ood_tcl_parse_record ("t riscv halted 0x80000010 {}", &error);
  g_autoptr(OodTclTargetRecord) unread = ood_tcl_parse_record ("t {} running {} {} -", &error);
  g_autoptr(OodTclTargetRecord) listed = ood_tcl_parse_record (
      "t {} halted 0x0000000080000010 {} {Breakpoint(IVA): 0x80000020, 0x4, 1}", &error);
  g_autoptr(OodTclTargetRecord) empty = ood_tcl_parse_record ("t {} halted 0x80000010 {} {}", &error);

  g_assert_no_error (error);
  g_assert_null (five->breakpoints);
  g_assert_cmpuint (five->pc_bits, ==, 32);
  g_assert_null (unread->breakpoints);
  g_assert_cmpuint (unread->pc_bits, ==, 0);
  g_assert_cmpstr (listed->breakpoints, ==, "Breakpoint(IVA): 0x80000020, 0x4, 1");
  g_assert_cmpuint (listed->pc_bits, ==, 64);
  g_assert_cmpstr (empty->breakpoints, ==, "");
}

/* The seventh field is OpenOCD's -gdb-port of the target: a TCP port as
 * OpenOCD reads numbers, anything else (disabled, undefined, a pipe, 0,
 * out of range) no port; "-" or no seventh field, not asked. */
static void
test_record_gdb_port (void)
{
  static const struct {
    const char *field;
    guint16     port;
  } ports[] = {
    { "3333", 3333 }, { "65535", 65535 }, { "0x0d05", 3333 }, { "1", 1 },
    { "disabled", 0 }, { "undefined", 0 }, { "pipe", 0 }, { "0", 0 }, { "{}", 0 },
    { "65536", 0 }, { "99999999999999999999", 0 }, { "3333x", 0 }, { "{ 3333}", 0 },
    { "-3333", 0 }, { "+3333", 0 }, { "/tmp/gdb.sock", 0 }, { "0x", 0 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) six = ood_tcl_parse_record ("t riscv halted 0x1 {} -", &error);
  g_autoptr(OodTclTargetRecord) unasked = ood_tcl_parse_record ("t {} running {} {} - -", &error);

  g_assert_no_error (error);
  g_assert_false (six->gdb_port_known);
  g_assert_false (unasked->gdb_port_known);
  g_assert_cmpuint (unasked->gdb_port, ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_autofree char *text = g_strdup_printf ("t riscv running {} {} - %s", ports[i].field);
      g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record (text, &error);

      g_assert_no_error (error);
      g_assert_true (r->gdb_port_known);
      if (r->gdb_port != ports[i].port)
        g_error ("-gdb-port %s read as %u, not %u", ports[i].field, r->gdb_port, ports[i].port);
    }
}

/* Repeated log lines fold into one with a count; the text is capped at a
 * character boundary. */
static void
test_fold_message (void)
{
  g_autoptr(GString) flood = g_string_new (NULL);
  g_autofree char *folded = NULL;
  g_autofree char *plain = ood_tcl_fold_message ("one\ntwo", 1024);
  g_autofree char *cut = NULL;

  for (guint i = 0; i < 500; i++)
    g_string_append (flood, "Error on socket: Broken pipe.\ndmi_scan failed jtag scan\n"
                            "failed read at 0x11, status=2\n");
  folded = ood_tcl_fold_message (flood->str, 1024);
  g_assert_cmpstr (folded, ==, "Error on socket: Broken pipe. (500 times)\n"
                               "dmi_scan failed jtag scan (500 times)\n"
                               "failed read at 0x11, status=2 (500 times)");
  g_assert_cmpstr (plain, ==, "one\ntwo");
  cut = ood_tcl_fold_message ("ééééé", 6);
  g_assert_cmpuint (strlen (cut), <=, 6);
  g_assert_true (g_utf8_validate (cut, -1, NULL));
  g_assert_true (g_str_has_suffix (cut, "…"));
}

/* The dcsr after the GDB port gives the halt cause (bits 8:6). */
static void
test_record_cause (void)
{
  static const struct {
    const char *text;
    gint        cause;
  } cases[] = {
    { "riscv.cpu {} halted 0x80000010 {} - - 0x4000b043", 1 },
    { "riscv.cpu {} halted 0x80000010 {} - - 0x4000b083", 2 },
    { "riscv.cpu {} halted 0x80000018 {} - - 0x400000c3", 3 },
    { "riscv.cpu {} halted 0x8000001c {} - - 0x4000b107", 4 },
    { "riscv.cpu {} halted 0x8000001c {} - - 0x4000b003", -1 },  /* no cause */
    { "riscv.cpu {} halted 0x8000001c {} - - -", -1 },           /* no dcsr */
    { "riscv.cpu {} halted 0x8000001c {} - -", -1 },
    { "riscv.cpu {} running {} {} - - 0x4000b043", -1 },         /* stale */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record (cases[i].text, &error);

      g_assert_no_error (error);
      g_assert_cmpint (r->cause, ==, cases[i].cause);
      g_assert_cmpuint (r->halts, ==, 0);
    }
}

/* OpenOCD 0.12's `wp` listing (handle_wp_command), and a watchpoint
 * listing carried by a record. */
static void
test_watchpoints (void)
{
  g_autoptr(GArray) list = ood_tcl_parse_watchpoints (
      "address: 0x80008000, len: 0x00000004, r/w/a: 1, value: 0x00000000, mask: 0xffffffff\n"
      "address: 0x80008010, len: 0x00000002, r/w/a: 0, value: 0x00001234, mask: 0x0000ffff\r\n"
      "address: 0x80008020, len: 0x00000001, r/w/a: 2, value: 0x00000000, mask: 0xffffffff\n"
      "address: 0x80008030, len: 0x00000000, r/w/a: 2, value: 0x00000000, mask: 0xffffffff\n"
      "address: 0x80008040, len: 0x00000004, r/w/a: 3, value: 0x00000000, mask: 0xffffffff\n"
      "address: 0x80008050, len: 0x00000004, r/w/a: 1\n"
      "IVA breakpoint: 0x80000010, 0x4, 0x13\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record (
      "riscv.cpu {} halted 0x80000018 {} - - 0x4000b083 "
      "{address: 0x80008000, len: 0x00000004, r/w/a: 1, value: 0x00000000, mask: 0xffffffff}",
      &error);
  const OodTclWatchpoint *w;

  g_assert_cmpuint (list->len, ==, 3);
  w = &g_array_index (list, OodTclWatchpoint, 0);
  g_assert_cmpuint (w->address, ==, 0x80008000);
  g_assert_cmpuint (w->length, ==, 4);
  g_assert_cmpint (w->access, ==, OOD_WATCH_WRITE);
  g_assert_cmpuint (w->mask, ==, 0xffffffff);
  w = &g_array_index (list, OodTclWatchpoint, 1);
  g_assert_cmpint (w->access, ==, OOD_WATCH_READ);
  g_assert_cmpuint (w->value, ==, 0x1234);
  g_assert_cmpuint (w->mask, ==, 0xffff);
  w = &g_array_index (list, OodTclWatchpoint, 2);
  g_assert_cmpint (w->access, ==, OOD_WATCH_ACCESS);
  g_assert_cmpuint (w->length, ==, 1);

  g_assert_no_error (error);
  g_assert_cmpint (r->cause, ==, 2);
  g_assert_nonnull (r->watchpoints);
  g_assert_true (g_str_has_prefix (r->watchpoints, "address: 0x80008000"));
}

/* ---- halts in the event stream ------------------------------------------- */

static guint
tally (const char *events, gboolean *reset)
{
  g_auto(GStrv) names = g_strsplit (events, " ", -1);
  OodTclHalts halts = { 0 };

  for (guint i = 0; names[i] != NULL; i++)
    if (names[i][0] != '\0')
      ood_tcl_halts_event (&halts, names[i]);
  return ood_tcl_halts_take (&halts, reset);
}

/* As OpenOCD 0.12 sends them on the simulated board (raw Tcl, traced). */
static void
test_halts_stream (void)
{
  static const struct {
    const char *events;
    guint       halts;
    gboolean    reset;
  } cases[] = {
    { "", 0, FALSE },
    { "gdb-halt halted", 1, FALSE },                                 /* halt */
    { "step-start resumed gdb-halt halted step-end", 1, FALSE },     /* step */
    { "resume-start resumed resume-end", 0, FALSE },                 /* resume */
    /* a resume from a breakpoint: the step first is not a halt, ... */
    { "step-start resumed gdb-halt halted step-end resume-start resumed resume-end", 0, FALSE },
    /* ... the breakpoint hit after it is */
    { "step-start resumed gdb-halt halted step-end resume-start resumed resume-end "
      "gdb-halt halted", 1, FALSE },
    /* two steps */
    { "step-start resumed gdb-halt halted step-end step-start resumed gdb-halt halted step-end",
      2, FALSE },
    /* OpenOCD's resume from a watchpoint steps off it within */
    { "resume-start resumed halted resumed resume-end", 0, FALSE },
    { "resume-start resumed halted resumed resume-end gdb-halt halted", 1, FALSE },
    { "reset-halt", 1, TRUE },
    { "reset-init", 1, TRUE },
    { "reset-run", 0, FALSE },
    { "reset-run gdb-halt halted", 1, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean reset = -1;
      guint halts = tally (cases[i].events, &reset);

      if (halts != cases[i].halts || reset != cases[i].reset)
        g_error ("'%s': %u halts (reset %d), not %u", cases[i].events, halts, reset,
                 cases[i].halts);
    }
}

/* A step's halt is told from a resume's first step by the event after it,
 * or counts when taken before any came. */
static void
test_halts_pending (void)
{
  OodTclHalts halts = { 0 };
  const char *step[] = { "step-start", "resumed", "gdb-halt", "halted" };

  for (guint i = 0; i < G_N_ELEMENTS (step); i++)
    ood_tcl_halts_event (&halts, step[i]);
  /* inside the step: not yet */
  g_assert_cmpuint (ood_tcl_halts_take (&halts, NULL), ==, 0);
  ood_tcl_halts_event (&halts, "step-end");
  g_assert_cmpuint (ood_tcl_halts_take (&halts, NULL), ==, 1);
  g_assert_cmpuint (ood_tcl_halts_take (&halts, NULL), ==, 0);
  /* the resume-start comes after the take: nothing to take back */
  ood_tcl_halts_event (&halts, "resume-start");
  g_assert_cmpuint (ood_tcl_halts_take (&halts, NULL), ==, 0);
  ood_tcl_halts_event (&halts, "halted");
  ood_tcl_halts_clear (&halts);
  g_assert_cmpuint (ood_tcl_halts_take (&halts, NULL), ==, 0);
}

static void
test_record_malformed (void)
{
  static const char *const bad[] = {
    "",
    "riscv.cpu",
    "riscv.cpu riscv halted 0x80000000",
    "riscv.cpu riscv halted 0x80000000 {} - 3333 0x43 - extra",
    "{} riscv halted 0x80000000 {}",
    "riscv.cpu riscv halted 0x80000000 {",
    "riscv.cpu riscv {halted}x 0x80000000 {}",
    /* invalid UTF-8 in the name or type */
    "\xff\xfe riscv halted 0x80000000 {}",
    "{cpu\xc3} riscv halted 0x80000000 {}",
    "cpu ri\x80scv halted 0x80000000 {}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OodTclTargetRecord) r = ood_tcl_parse_record (bad[i], &error);

      if (r != NULL)
        g_error ("record '%s' was accepted", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_records (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  OodTclTargetRecord *r;

  records = ood_tcl_parse_records ("{a riscv halted 0x80000010 {}} {b cortex_m running {} {}}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  r = records->pdata[0];
  g_assert_cmpstr (r->name, ==, "a");
  g_assert_true (r->pc_valid);
  g_assert_cmpuint (r->pc, ==, 0x80000010);
  r = records->pdata[1];
  g_assert_cmpstr (r->name, ==, "b");
  g_assert_cmpstr (r->state, ==, "running");
  g_assert_false (r->pc_valid);
  g_clear_pointer (&records, g_ptr_array_unref);

  records = ood_tcl_parse_records ("", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 0);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* one bad record spoils the lot */
  records = ood_tcl_parse_records ("{a riscv halted 0x1 {}} {b riscv running}", &error);
  g_assert_null (records);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  records = ood_tcl_parse_records ("{a riscv halted 0x1 {}", &error);
  g_assert_null (records);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* ---- hostile input ------------------------------------------------------- */

#define BIG (4 * 1024 * 1024)

static void
test_hostile_long (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *word = g_malloc (BIG + 1);
  g_auto(GStrv) list = NULL;
  g_autoptr(GString) many = g_string_new (NULL);
  g_autoptr(OodTclTargetRecord) r = NULL;
  guint64 address;
  gint code;
  const char *text;
  OodTclNotification n = { 0 };

  memset (word, 'a', BIG);
  word[BIG] = '\0';
  list = ood_tcl_parse_list (word, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 1);
  g_assert_cmpuint (strlen (list[0]), ==, BIG);
  g_clear_pointer (&list, g_strfreev);

  g_assert_false (ood_tcl_parse_address (word, &address));
  g_assert_false (ood_tcl_parse_wrapped (word, &code, &text));
  g_assert_false (ood_tcl_parse_notification (word, &n));
  r = ood_tcl_parse_record (word, &error);
  g_assert_null (r);
  g_clear_error (&error);

  /* a long run of digits overflows */
  memset (word, '9', BIG);
  word[BIG - 1] = 'x';
  word[BIG - 2] = ' ';
  g_assert_false (ood_tcl_parse_wrapped (word, &code, &text));

  /* "0x" and many digits */
  word[0] = '0';
  word[1] = 'x';
  word[BIG - 2] = '9';
  word[BIG - 1] = '9';
  g_assert_false (ood_tcl_parse_address (word, &address));

  /* many elements */
  for (guint i = 0; i < 200000; i++)
    g_string_append (many, "{x y} ");
  list = ood_tcl_parse_list (many->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 200000);
  g_clear_pointer (&list, g_strfreev);

  /* a long escape-laden quoted element */
  g_string_truncate (many, 0);
  g_string_append_c (many, '"');
  for (guint i = 0; i < 200000; i++)
    g_string_append (many, "\\x41\\u00e9\\101\\n");
  g_string_append_c (many, '"');
  list = ood_tcl_parse_list (many->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 1);
  g_assert_cmpuint (strlen (list[0]), ==, 200000 * 5);
}

static void
test_hostile_nesting (void)
{
  const gsize depth = 1000000;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_sized_new (2 * depth + 1);
  g_auto(GStrv) list = NULL;
  g_autoptr(OodTclTargetRecord) r = NULL;
  g_autoptr(GPtrArray) records = NULL;

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (text, '{');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (text, '}');

  list = ood_tcl_parse_list (text->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 1);
  g_assert_cmpuint (strlen (list[0]), ==, 2 * (depth - 1));
  g_clear_pointer (&list, g_strfreev);

  records = ood_tcl_parse_records (text->str, &error);
  g_assert_null (records);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  r = ood_tcl_parse_record (text->str, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* unbalanced: one brace short */
  g_string_truncate (text, text->len - 1);
  list = ood_tcl_parse_list (text->str, &error);
  g_assert_null (list);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* only opening braces */
  g_string_truncate (text, depth);
  list = ood_tcl_parse_list (text->str, &error);
  g_assert_null (list);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* only closing braces: bare word */
  g_string_truncate (text, 0);
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (text, '}');
  list = ood_tcl_parse_list (text->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 1);
}

/* ---- framer -------------------------------------------------------------- */

typedef struct {
  GPtrArray *messages;
  guint      stop_after;   /* 0: never stop */
} Collect;

static gboolean
collect (const char *message, gsize length, gpointer user_data)
{
  Collect *c = user_data;

  g_assert_cmpuint (strlen (message), ==, length);
  g_ptr_array_add (c->messages, g_strndup (message, length));
  return c->stop_after == 0 || c->messages->len < c->stop_after;
}

static gboolean
feed (OodTclFramer *framer, const char *data, gsize length, Collect *c, GError **error)
{
  return ood_tcl_framer_feed (framer, (const guint8 *) data, length, collect, c, error);
}

#define FEED_STR(f, s, c, e) feed ((f), (s), strlen (s), (c), (e))

static void
assert_messages (Collect *c, const char *const *expected)
{
  guint n = g_strv_length ((GStrv) expected);

  g_assert_cmpuint (c->messages->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (c->messages->pdata[i], ==, expected[i]);
}

static void
test_framer_split (void)
{
  OodTclFramer framer;
  g_autoptr(GError) error = NULL;
  Collect c = { g_ptr_array_new_with_free_func (g_free), 0 };
  const char *stream = "0 first\x1a" "1 second message\x1a" "type target_event event halted\r\n\x1a";

  ood_tcl_framer_init (&framer, 1024);
  /* byte by byte */
  for (const char *p = stream; *p != '\0'; p++)
    g_assert_true (feed (&framer, p, 1, &c, &error));
  g_assert_no_error (error);
  assert_messages (&c, LIST ("0 first", "1 second message", "type target_event event halted\r\n"));

  /* split anywhere, including right before and after the terminator */
  for (gsize cut = 0; cut <= strlen (stream); cut++)
    {
      g_ptr_array_set_size (c.messages, 0);
      g_assert_true (feed (&framer, stream, cut, &c, &error));
      g_assert_true (feed (&framer, stream + cut, strlen (stream) - cut, &c, &error));
      g_assert_no_error (error);
      assert_messages (&c, LIST ("0 first", "1 second message", "type target_event event halted\r\n"));
    }

  /* a partial message waits for its end */
  g_ptr_array_set_size (c.messages, 0);
  g_assert_true (FEED_STR (&framer, "0 par", &c, &error));
  g_assert_cmpuint (c.messages->len, ==, 0);
  g_assert_true (FEED_STR (&framer, "tial", &c, &error));
  g_assert_cmpuint (c.messages->len, ==, 0);
  g_assert_true (FEED_STR (&framer, "\x1a", &c, &error));
  assert_messages (&c, LIST ("0 partial"));

  /* an empty feed does nothing */
  g_assert_true (feed (&framer, "", 0, &c, &error));
  assert_messages (&c, LIST ("0 partial"));

  ood_tcl_framer_clear (&framer);
  g_assert_null (framer.partial);
  ood_tcl_framer_clear (&framer);
  g_ptr_array_unref (c.messages);
}

static void
test_framer_several_and_empty (void)
{
  OodTclFramer framer;
  g_autoptr(GError) error = NULL;
  Collect c = { g_ptr_array_new_with_free_func (g_free), 0 };

  ood_tcl_framer_init (&framer, 64);
  g_assert_true (FEED_STR (&framer, "a\x1a" "b\x1a\x1a" "c\x1a" "\x1a" "d", &c, &error));
  g_assert_no_error (error);
  assert_messages (&c, LIST ("a", "b", "", "c", ""));
  g_assert_true (FEED_STR (&framer, "\x1a", &c, &error));
  assert_messages (&c, LIST ("a", "b", "", "c", "", "d"));
  ood_tcl_framer_clear (&framer);

  /* a callback returning FALSE stops the feed */
  g_ptr_array_set_size (c.messages, 0);
  c.stop_after = 2;
  ood_tcl_framer_init (&framer, 64);
  g_assert_true (FEED_STR (&framer, "1\x1a" "2\x1a" "3\x1a" "4\x1a", &c, &error));
  g_assert_no_error (error);
  assert_messages (&c, LIST ("1", "2"));
  ood_tcl_framer_clear (&framer);
  g_ptr_array_unref (c.messages);
}

static void
test_framer_nul (void)
{
  OodTclFramer framer;
  g_autoptr(GError) error = NULL;
  Collect c = { g_ptr_array_new_with_free_func (g_free), 0 };
  static const char data[] = "ok\x1a" "a\0b\x1a";

  ood_tcl_framer_init (&framer, 64);
  g_assert_false (feed (&framer, data, sizeof data - 1, &c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  assert_messages (&c, LIST ("ok"));
  ood_tcl_framer_clear (&framer);
  g_clear_error (&error);

  /* a NUL fed in a separate chunk before the terminator */
  g_ptr_array_set_size (c.messages, 0);
  ood_tcl_framer_init (&framer, 64);
  g_assert_true (feed (&framer, "x\0", 2, &c, &error));
  g_assert_false (feed (&framer, "y\x1a", 2, &c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (c.messages->len, ==, 0);
  ood_tcl_framer_clear (&framer);
  g_clear_error (&error);

  /* a lone NUL message */
  ood_tcl_framer_init (&framer, 64);
  g_assert_false (feed (&framer, "\0\x1a", 2, &c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (c.messages->len, ==, 0);
  ood_tcl_framer_clear (&framer);
  g_ptr_array_unref (c.messages);
}

static void
test_framer_oversize (void)
{
  OodTclFramer framer;
  g_autoptr(GError) error = NULL;
  Collect c = { g_ptr_array_new_with_free_func (g_free), 0 };

  /* exactly the limit is fine */
  ood_tcl_framer_init (&framer, 8);
  g_assert_true (FEED_STR (&framer, "12345678\x1a", &c, &error));
  g_assert_no_error (error);
  assert_messages (&c, LIST ("12345678"));

  /* one more in one chunk, terminated or not, is an error */
  g_assert_false (FEED_STR (&framer, "123456789\x1a", &c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  ood_tcl_framer_clear (&framer);

  ood_tcl_framer_init (&framer, 8);
  g_assert_false (FEED_STR (&framer, "123456789", &c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  ood_tcl_framer_clear (&framer);

  /* over the limit across several feeds */
  ood_tcl_framer_init (&framer, 8);
  g_assert_true (FEED_STR (&framer, "1234", &c, &error));
  g_assert_true (FEED_STR (&framer, "5678", &c, &error));
  g_assert_false (FEED_STR (&framer, "9", &c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  ood_tcl_framer_clear (&framer);

  /* the limit applies per message, not per feed */
  g_ptr_array_set_size (c.messages, 0);
  ood_tcl_framer_init (&framer, 8);
  g_assert_true (FEED_STR (&framer, "12345678\x1a" "12345678\x1a" "1234", &c, &error));
  g_assert_no_error (error);
  assert_messages (&c, LIST ("12345678", "12345678"));
  g_assert_true (FEED_STR (&framer, "5678\x1a", &c, &error));
  assert_messages (&c, LIST ("12345678", "12345678", "12345678"));
  ood_tcl_framer_clear (&framer);

  /* a big stream of small messages never trips the limit */
  g_ptr_array_set_size (c.messages, 0);
  ood_tcl_framer_init (&framer, 8);
  for (guint i = 0; i < 10000; i++)
    g_assert_true (FEED_STR (&framer, "abc\x1a", &c, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 10000);
  ood_tcl_framer_clear (&framer);
  g_ptr_array_unref (c.messages);
}

static void
assert_breakpoint (GArray *list, guint i, guint64 address, guint length, OodBreakpointKind kind)
{
  OodTclBreakpoint *bp;

  g_assert_cmpuint (i, <, list->len);
  bp = &g_array_index (list, OodTclBreakpoint, i);
  g_assert_cmphex (bp->address, ==, address);
  g_assert_cmpuint (bp->length, ==, length);
  g_assert_cmpint (bp->kind, ==, kind);
}

/* What OpenOCD 0.12's `bp` printed for a hw and two sw breakpoints on the
 * simulated board, and what it prints for ASID breakpoints. */
static void
test_breakpoints (void)
{
  g_autoptr(GArray) list = ood_tcl_parse_breakpoints (
      "Breakpoint(IVA): 0x80000020, 0x4, 1864396399\n"
      "IVA breakpoint: 0x80000010, 0x4, 0x03\n"
      "IVA breakpoint: 0x80000014, 0x2, 0x03\n"
      "Context breakpoint: 0x00000005, 0x4, 2\n"
      "Hybrid breakpoint(IVA): 0x80000030, 0x4, 3\n");
  g_autoptr(GArray) none = ood_tcl_parse_breakpoints ("");
  g_autoptr(GArray) crlf = ood_tcl_parse_breakpoints ("IVA breakpoint: 0xffffffffffffffff, 0x40, 0x9002\r\n");
  g_autoptr(GArray) short_line = ood_tcl_parse_breakpoints ("IVA breakpoint: 0x80000010, 0x4");

  g_assert_cmpuint (list->len, ==, 3);
  assert_breakpoint (list, 0, 0x80000020, 4, OOD_BP_HARDWARE);
  assert_breakpoint (list, 1, 0x80000010, 4, OOD_BP_SOFTWARE);
  assert_breakpoint (list, 2, 0x80000014, 2, OOD_BP_SOFTWARE);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (crlf->len, ==, 1);
  assert_breakpoint (crlf, 0, G_MAXUINT64, 0x40, OOD_BP_SOFTWARE);
  /* what follows the length is not needed */
  g_assert_cmpuint (short_line->len, ==, 1);
  assert_breakpoint (short_line, 0, 0x80000010, 4, OOD_BP_SOFTWARE);
}

/* Lines that are not exactly a breakpoint are skipped, never half read. */
static void
test_breakpoints_hostile (void)
{
  static const char *const lines[] = {
    "Breakpoint(IVA): ", "Breakpoint(IVA): 0x80000020", "Breakpoint(IVA): 0x80000020,0x4, 1",
    "Breakpoint(IVA): 0x80000020, 0x0, 1", "Breakpoint(IVA): 0x80000020, 0x100000000, 1",
    "Breakpoint(IVA): 0x10000000000000000, 0x4, 1", "Breakpoint(IVA): 80000020, 0x4, 1",
    "Breakpoint(IVA): 0x8000002g, 0x4, 1", "Breakpoint(IVA): -0x1, 0x4, 1",
    "IVA breakpoint: 0x, 0x4, 0x03", "IVA breakpoint: 0x80000010, 4, 0x03",
    " IVA breakpoint: 0x80000010, 0x4, 0x03", "iva breakpoint: 0x80000010, 0x4, 0x03",
    "breakpoint set at 0x80000010", "\xff\xfe",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(GArray) list = ood_tcl_parse_breakpoints (lines[i]);
      g_autofree char *escaped = g_strescape (lines[i], NULL);

      if (list->len != 0)
        g_error ("'%s' was read as a breakpoint", escaped);
    }
}

/* scan_chain as OpenOCD 0.12 prints it: TAP lines, a further expected id
 * on a line of its own, an ignored version nibble, a disabled TAP. */
static void
test_scan_chain (void)
{
  static const char text[] =
      "   TapName             Enabled  IdCode     Expected   IrLen IrCap IrMask\n"
      "-- ------------------- -------- ---------- ---------- ----- ----- ------\n"
      " 0 riscvsim.cpu           Y     0x10e31913 0x10e31913     5 0x01  0x03\n"
      " 1 stm32f1x.bs            n     0x00000000 0x*6414041     5 0x01  0x03\n"
      "                                           0x06410041\n"
      " 2 a.very.long.dotted.tap.name     Y     0x4ba00477 0x00000000     4 0x01  0x0f\n";
  g_autoptr(GArray) taps = ood_tcl_parse_scan_chain (text);
  OodTclTap *tap;

  g_assert_cmpuint (taps->len, ==, 3);
  tap = &g_array_index (taps, OodTclTap, 0);
  g_assert_cmpstr (tap->name, ==, "riscvsim.cpu");
  g_assert_true (tap->enabled);
  g_assert_cmphex (tap->idcode, ==, 0x10e31913);
  g_assert_cmphex (tap->expected, ==, 0x10e31913);
  g_assert_cmpuint (tap->ir_length, ==, 5);
  tap = &g_array_index (taps, OodTclTap, 1);
  g_assert_false (tap->enabled);
  g_assert_cmphex (tap->expected, ==, 0x06414041);
  tap = &g_array_index (taps, OodTclTap, 2);
  g_assert_cmpstr (tap->name, ==, "a.very.long.dotted.tap.name");
  g_assert_cmpuint (tap->ir_length, ==, 4);
  g_clear_pointer (&taps, g_array_unref);
  taps = ood_tcl_parse_scan_chain ("");
  g_assert_cmpuint (taps->len, ==, 0);
}

/* What `adapter speed` prints, and the learning script's list of four. */
static void
test_adapter_info (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclAdapterInfo) info = NULL;
  guint khz = 1;

  g_assert_true (ood_tcl_parse_adapter_speed ("adapter speed: 4000 kHz\n", &khz));
  g_assert_cmpuint (khz, ==, 4000);
  g_assert_true (ood_tcl_parse_adapter_speed ("adapter speed: RCLK - adaptive", &khz));
  g_assert_cmpuint (khz, ==, 0);
  g_assert_false (ood_tcl_parse_adapter_speed ("", &khz));
  g_assert_false (ood_tcl_parse_adapter_speed ("adapter speed: 99999999999 kHz", &khz));
  g_assert_false (ood_tcl_parse_adapter_speed ("adapter speed: -1 kHz", &khz));
  info = ood_tcl_parse_adapter_info ("cmsis-dap swd {adapter speed: 1000 kHz\n} {}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->adapter, ==, "cmsis-dap");
  g_assert_cmpstr (info->transport, ==, "swd");
  g_assert_cmpuint (info->speed_khz, ==, 1000);
  g_assert_cmpuint (info->taps->len, ==, 0);
  g_clear_pointer (&info, ood_tcl_adapter_info_free);
  /* a speed OpenOCD could not say is 0 */
  info = ood_tcl_parse_adapter_info ("remote_bitbang jtag {} {}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->speed_khz, ==, 0);
  g_clear_pointer (&info, ood_tcl_adapter_info_free);
  g_assert_null (ood_tcl_parse_adapter_info ("a b c", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tcl-parse/wrapped/ok", test_wrapped_ok);
  g_test_add_func ("/tcl-parse/record/cause", test_record_cause);
  g_test_add_func ("/tcl-parse/watchpoints", test_watchpoints);
  g_test_add_func ("/tcl-parse/halts/stream", test_halts_stream);
  g_test_add_func ("/tcl-parse/halts/pending", test_halts_pending);
  g_test_add_func ("/tcl-parse/wrapped/bad", test_wrapped_bad);
  g_test_add_func ("/tcl-parse/list/bare", test_list_bare);
  g_test_add_func ("/tcl-parse/list/braces", test_list_braces);
  g_test_add_func ("/tcl-parse/list/quotes", test_list_quotes);
  g_test_add_func ("/tcl-parse/list/backslashes", test_list_backslashes);
  g_test_add_func ("/tcl-parse/list/errors", test_list_errors);
  g_test_add_func ("/tcl-parse/list/empty", test_list_empty);
  g_test_add_func ("/tcl-parse/notifications", test_notifications);
  g_test_add_func ("/tcl-parse/address", test_address);
  g_test_add_func ("/tcl-parse/record/halted", test_record_halted);
  g_test_add_func ("/tcl-parse/record/running", test_record_running);
  g_test_add_func ("/tcl-parse/record/pc-only-when-halted", test_record_pc_only_when_halted);
  g_test_add_func ("/tcl-parse/record/unknown-state", test_record_unknown_state);
  g_test_add_func ("/tcl-parse/record/pc-error", test_record_pc_error);
  g_test_add_func ("/tcl-parse/record/pc-error-invalid-utf8", test_record_pc_error_invalid_utf8);
  g_test_add_func ("/tcl-parse/record/malformed", test_record_malformed);
  g_test_add_func ("/tcl-parse/record/listing", test_record_listing);
  g_test_add_func ("/tcl-parse/record/gdb-port", test_record_gdb_port);
  g_test_add_func ("/tcl-parse/fold-message", test_fold_message);
  g_test_add_func ("/tcl-parse/records", test_records);
  g_test_add_func ("/tcl-parse/hostile/long", test_hostile_long);
  g_test_add_func ("/tcl-parse/hostile/nesting", test_hostile_nesting);
  g_test_add_func ("/tcl-parse/breakpoints", test_breakpoints);
  g_test_add_func ("/tcl-parse/breakpoints/hostile", test_breakpoints_hostile);
  g_test_add_func ("/tcl-parse/scan-chain", test_scan_chain);
  g_test_add_func ("/tcl-parse/adapter-info", test_adapter_info);
  g_test_add_func ("/tcl-framer/split", test_framer_split);
  g_test_add_func ("/tcl-framer/several-and-empty", test_framer_several_and_empty);
  g_test_add_func ("/tcl-framer/nul", test_framer_nul);
  g_test_add_func ("/tcl-framer/oversize", test_framer_oversize);
  return g_test_run ();
}
