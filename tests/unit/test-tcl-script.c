/* SPDX-License-Identifier: MIT */
/* Unit tests of ood_tcl_quote and the script builders. */
#include <gio/gio.h>
#include <string.h>

#include "ood-tcl-framer.h"
#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"

static void
assert_round_trip (const char *s)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted = ood_tcl_quote (s);
  g_auto(GStrv) list = NULL;

  g_assert_nonnull (quoted);
  g_assert_null (strchr (quoted, OOD_TCL_TERMINATOR));
  list = ood_tcl_parse_list (quoted, &error);
  g_assert_no_error (error);
  g_assert_nonnull (list);
  if (g_strv_length (list) != 1 || strcmp (list[0], s) != 0)
    {
      g_autofree char *escaped = g_strescape (s, NULL);
      g_autofree char *escaped_q = g_strescape (quoted, NULL);
      g_error ("'%s' quoted as '%s' parses as %u elements, first '%s'", escaped, escaped_q,
               g_strv_length (list), list[0] != NULL ? list[0] : "(none)");
    }
}

static const char *const nasty[] = {
  "", " ", "  ", "a", "riscv.cpu", "stm32f4x.cpu", "my cpu", "[exit]", "[", "]", ";", "{", "}",
  "{}", "}{", "$x", "${x}", "\"", "\"\"", "\\", "\\\\", "\\n", "a\\", "\\x41", "\n", "\t",
  "\r\n", "a b\tc\nd", "\x01", "\x1a", "\x1b[0m", "\x7f", "\x1f", "#comment", "-option",
  "0x80000000", "1;2", "a;exit;b", "\"; exit; \"", "} exit {", "{*}$argv", "\xc3\xa9t\xc3\xa9",
  "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "a\x01" "1", "\x01" "f", "x\x1a" "1a",
  "\x0b\x0c", "~!@#$%^&*()_+-=`", ":;'<>,.?/|", "name with trailing space ",
  " leading", "tab\tin", "\\u00e9", "\\101", "a\\\nb",
};

static void
test_quote_round_trip (void)
{
  g_autoptr(GString) all = g_string_new (NULL);
  char one[2] = { 0, 0 };

  for (gsize i = 0; i < G_N_ELEMENTS (nasty); i++)
    {
      assert_round_trip (nasty[i]);
      g_string_append (all, nasty[i]);
    }
  assert_round_trip (all->str);

  /* every single byte but NUL, alone and in context */
  for (int c = 1; c < 256; c++)
    {
      g_autofree char *context = NULL;

      one[0] = (char) c;
      if (c < 0x80)
        {
          assert_round_trip (one);
          context = g_strdup_printf ("a%cb%c%c1f", c, c, c);
          assert_round_trip (context);
        }
    }
}

static void
test_quote_random (void)
{
  GRand *rand = g_rand_new_with_seed (20261124);

  for (guint n = 0; n < 20000; n++)
    {
      guint length = (guint) g_rand_int_range (rand, 0, 24);
      g_autoptr(GString) s = g_string_new (NULL);

      for (guint i = 0; i < length; i++)
        {
          if (g_rand_int_range (rand, 0, 8) == 0)
            g_string_append_unichar (s, (gunichar) g_rand_int_range (rand, 0x80, 0x2000));
          else
            g_string_append_c (s, (char) g_rand_int_range (rand, 1, 0x80));
        }
      assert_round_trip (s->str);
    }
  g_rand_free (rand);
}

static void
test_quote_shape (void)
{
  g_autofree char *empty = ood_tcl_quote ("");
  g_autofree char *plain = ood_tcl_quote ("abc123");
  g_autofree char *dotted = ood_tcl_quote ("riscv.cpu");

  g_assert_cmpstr (empty, ==, "{}");
  g_assert_cmpstr (plain, ==, "abc123");
  g_assert_cmpstr (dotted, ==, "riscv\\.cpu");
  /* no byte that Tcl treats specially survives unescaped */
  for (gsize i = 0; i < G_N_ELEMENTS (nasty); i++)
    {
      g_autofree char *q = ood_tcl_quote (nasty[i]);
      for (const char *p = q; *p != '\0'; p++)
        {
          if (*p == '\\')
            {
              g_assert_cmpint (p[1], !=, '\0');
              p++;
              continue;
            }
          if (strchr ("[]{}$;\"\n\t\r ", *p) != NULL && !(q[0] == '{' && q[1] == '}' && q[2] == '\0'))
            g_error ("'%s' has an unescaped '%c'", q, *p);
          g_assert_cmpint ((guchar) *p, >=, 0x20);
        }
    }
}

typedef struct {
  const char *what;
  char       *script;
} Script;

/* Every builder, for target @name. */
static GPtrArray *
all_scripts (const char *name)
{
  const char *const names[] = { name, NULL };
  GPtrArray *scripts = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (scripts, ood_tcl_script_state (name));
  g_ptr_array_add (scripts, ood_tcl_script_halt (name));
  g_ptr_array_add (scripts, ood_tcl_script_resume (name, FALSE, 0));
  g_ptr_array_add (scripts, ood_tcl_script_resume (name, TRUE, 0x80000000));
  g_ptr_array_add (scripts, ood_tcl_script_resume (name, TRUE, G_MAXUINT64));
  g_ptr_array_add (scripts, ood_tcl_script_step (name, FALSE, 0));
  g_ptr_array_add (scripts, ood_tcl_script_step (name, TRUE, 0x80000000));
  g_ptr_array_add (scripts, ood_tcl_script_step (name, TRUE, 0x10));
  g_ptr_array_add (scripts, ood_tcl_script_reset (name, OOD_RESET_HALT));
  g_ptr_array_add (scripts, ood_tcl_script_reset (name, OOD_RESET_RUN));
  g_ptr_array_add (scripts, ood_tcl_script_reset (name, OOD_RESET_INIT));
  g_ptr_array_add (scripts, ood_tcl_script_halt_for_gdb (name));
  g_ptr_array_add (scripts, ood_tcl_script_reset_for_gdb (name, OOD_RESET_HALT));
  g_ptr_array_add (scripts, ood_tcl_script_reset_for_gdb (name, OOD_RESET_INIT));
  g_ptr_array_add (scripts, ood_tcl_script_bp_add (name, 0x80000008, 4, OOD_BP_DEFAULT));
  g_ptr_array_add (scripts, ood_tcl_script_bp_add (name, 0x80000008, 4, OOD_BP_HARDWARE));
  g_ptr_array_add (scripts, ood_tcl_script_bp_add (name, G_MAXUINT64, G_MAXUINT, OOD_BP_SOFTWARE));
  g_ptr_array_add (scripts, ood_tcl_script_bp_remove (name, 0x80000008));
  g_ptr_array_add (scripts, ood_tcl_script_probe_riscv (names));
  return scripts;
}

#define PLACEHOLDER "TargetNamePlaceholder"

static gboolean
has_special (const char *s)
{
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p < 0x80)
      return TRUE;
  return FALSE;
}

static void
test_scripts_quote_target (void)
{
  static const char *const names[] = {
    "my cpu", "[exit]", "a;shutdown", "x}y", "{", "}", "$ood_t", "\"", "\\", "cpu\n",
    "cpu\x1a", "\x1a", "a\x1a" "b", "c[puts hi]d", "riscv.cpu", "t\x7f",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GPtrArray) scripts = all_scripts (names[i]);
      g_autofree char *quoted = ood_tcl_quote (names[i]);

      g_autoptr(GPtrArray) templates = all_scripts (PLACEHOLDER);

      g_assert_true (has_special (names[i]));
      for (guint j = 0; j < scripts->len; j++)
        {
          const char *script = scripts->pdata[j];
          const char *template = templates->pdata[j];
          g_auto(GStrv) parts = g_strsplit (template, PLACEHOLDER, -1);
          g_autofree char *expected = g_strjoinv (quoted, parts);

          g_assert_nonnull (script);
          if (strchr (script, OOD_TCL_TERMINATOR) != NULL)
            g_error ("script %u for target %u holds 0x1a: %s", j, (guint) i, script);
          /* the name goes in only as its quoted word, exactly once */
          g_assert_cmpuint (g_strv_length (parts), ==, 2);
          g_assert_cmpstr (script, ==, expected);
          /* a name of several characters that the fixed text does not hold
           * anyway is never there raw (a one-character name is, right after
           * the backslash that escapes it) */
          if (strlen (names[i]) > 1 && strstr (template, names[i]) == NULL &&
              strstr (script, names[i]) != NULL)
            g_error ("script %u holds the raw target name '%s': %s", j, names[i], script);
        }
    }
}

static void
test_scripts_plain (void)
{
  g_autoptr(GPtrArray) scripts = all_scripts ("cpu0");
  g_autofree char *v = ood_tcl_script_version ();
  g_autofree char *n = ood_tcl_script_notifications_on ();
  g_autofree char *r = ood_tcl_script_refresh_all (FALSE);
  g_autofree char *rt = ood_tcl_script_refresh_all (TRUE);
  const char *const globals[] = { v, n, r, rt };

  for (guint j = 0; j < scripts->len; j++)
    {
      const char *script = scripts->pdata[j];
      g_assert_null (strchr (script, OOD_TCL_TERMINATOR));
      /* every script reports "<code> <text>" */
      g_assert_nonnull (strstr (script, "catch"));
      /* the target is named once, as a word (the probe takes a list) */
      g_assert_true (strstr (script, "set ood_t cpu0;") != NULL ||
                     strstr (script, "foreach ood_t [list cpu0]") != NULL);
    }
  for (guint j = 0; j < G_N_ELEMENTS (globals); j++)
    {
      g_assert_nonnull (globals[j]);
      g_assert_null (strchr (globals[j], OOD_TCL_TERMINATOR));
      g_assert_nonnull (strstr (globals[j], "catch"));
    }
  g_assert_nonnull (strstr (v, "version"));
  g_assert_nonnull (strstr (n, "tcl_notifications on"));
  /* a target's type and GDB port cost an OpenOCD command each, so only
   * when asked for */
  g_assert_null (strstr (r, "cget -type"));
  g_assert_nonnull (strstr (rt, "cget -type"));
  g_assert_null (strstr (r, "cget -gdb-port"));
  g_assert_nonnull (strstr (rt, "cget -gdb-port"));
  for (guint j = 0; j < scripts->len; j++)
    {
      g_assert_null (strstr (scripts->pdata[j], "cget -type"));
      g_assert_null (strstr (scripts->pdata[j], "cget -gdb-port"));
    }
}

static void
test_scripts_numbers (void)
{
  g_autofree char *resume_at = ood_tcl_script_resume ("t", TRUE, 0x80000010);
  g_autofree char *step_at = ood_tcl_script_step ("t", TRUE, 0x80000000);
  g_autofree char *step = ood_tcl_script_step ("t", FALSE, 0);
  g_autofree char *resume = ood_tcl_script_resume ("t", FALSE, 0);
  g_autofree char *bp_hw = ood_tcl_script_bp_add ("t", 0x80000008, 4, OOD_BP_HARDWARE);
  g_autofree char *bp_sw = ood_tcl_script_bp_add ("t", 0x80000008, 2, OOD_BP_SOFTWARE);
  g_autofree char *rbp = ood_tcl_script_bp_remove ("t", 0xffffffffffffffff);
  g_autofree char *reset_init = ood_tcl_script_reset ("t", OOD_RESET_INIT);

  /* an address goes in by set_reg, proven by reading the PC back */
  g_assert_nonnull (strstr (resume_at, "set_reg {pc 0x80000010}"));
  g_assert_nonnull (strstr (resume_at, "!= 0x80000010"));
  g_assert_nonnull (strstr (resume_at, OOD_TCL_NOT_HALTED_MARK));
  g_assert_nonnull (strstr (step_at, "set_reg {pc 0x80000000}"));
  g_assert_nonnull (strstr (step_at, OOD_TCL_NOT_HALTED_MARK));
  /* the step-over is decided from OpenOCD's own list as the script runs */
  g_assert_nonnull (strstr (step, "[split [bp] \\n]"));
  g_assert_nonnull (strstr (step, "rbp [lindex $ood_o 0]"));
  g_assert_nonnull (strstr (resume, "[split [bp] \\n]"));
  g_assert_nonnull (strstr (resume, "capture resume"));
  g_assert_null (strstr (resume, "resume 0x"));
  g_assert_nonnull (strstr (bp_hw, "bp 0x80000008 4 hw"));
  g_assert_nonnull (strstr (bp_sw, "bp 0x80000008 2}"));
  g_assert_nonnull (strstr (rbp, "rbp 0xffffffffffffffff"));
  g_assert_nonnull (strstr (reset_init, "reset init"));
}

/* Beside GDB, a halt and a reset end by telling GDB the target stopped
 * (OpenOCD tells it of no reset); such a reset refuses a target GDB holds
 * halted before resetting anything. Without GDB, GDB is not told. */
static void
test_scripts_for_gdb (void)
{
  g_autofree char *halt = ood_tcl_script_halt ("t");
  g_autofree char *halt_gdb = ood_tcl_script_halt_for_gdb ("t");
  g_autofree char *reset = ood_tcl_script_reset ("t", OOD_RESET_HALT);
  g_autofree char *reset_gdb = ood_tcl_script_reset_for_gdb ("t", OOD_RESET_HALT);
  g_autofree char *init_gdb = ood_tcl_script_reset_for_gdb ("t", OOD_RESET_INIT);
  const char *refused, *told;

  g_assert_null (strstr (halt, "arp_halt_gdb"));
  g_assert_null (strstr (reset, "arp_halt_gdb"));
  g_assert_null (strstr (reset, OOD_TCL_GDB_HALTED_MARK));
  g_assert_nonnull (strstr (halt_gdb, "capture {halt}"));
  g_assert_nonnull (strstr (halt_gdb, "$ood_t arp_halt_gdb"));
  refused = strstr (reset_gdb, OOD_TCL_GDB_HALTED_MARK);
  told = strstr (reset_gdb, "$ood_t arp_halt_gdb");
  g_assert_nonnull (refused);
  g_assert_nonnull (told);
  g_assert_true (refused < strstr (reset_gdb, "reset halt"));
  g_assert_true (strstr (reset_gdb, "reset halt") < told);
  g_assert_nonnull (strstr (init_gdb, "reset init"));
  g_assert_nonnull (strstr (init_gdb, "arp_halt_gdb"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tcl-script/quote/round-trip", test_quote_round_trip);
  g_test_add_func ("/tcl-script/quote/random", test_quote_random);
  g_test_add_func ("/tcl-script/quote/shape", test_quote_shape);
  g_test_add_func ("/tcl-script/scripts/quote-target", test_scripts_quote_target);
  g_test_add_func ("/tcl-script/scripts/plain", test_scripts_plain);
  g_test_add_func ("/tcl-script/scripts/numbers", test_scripts_numbers);
  g_test_add_func ("/tcl-script/scripts/for-gdb", test_scripts_for_gdb);
  return g_test_run ();
}
