/* SPDX-License-Identifier: MIT */
/* Unit tests of the register and memory scripts and their parsers
 * (service/tcl/ood-tcl-memory.c). */
#include <gio/gio.h>
#include <string.h>

#include "ood-tcl-memory.h"
#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"

/* ---- scripts ------------------------------------------------------------ */

/* A name that would run code if any part of it were evaluated. */
#define HOSTILE "a] [set ::pwned 1"

static void
test_scripts_quote (void)
{
  const char *names[] = { "pc", HOSTILE, "x y" };
  g_autofree char *read = ood_tcl_script_reg_read (HOSTILE, names, 3);
  g_autofree char *all = ood_tcl_script_reg_read_all ("t", names, 3);
  g_autofree char *write = ood_tcl_script_reg_write ("t", HOSTILE, 5, FALSE);
  g_autofree char *mem = ood_tcl_script_mem_read (HOSTILE, 0x80000000, 32, 4);

  for (const char *const *s = (const char *const[]) { read, all, write, mem, NULL }; *s; s++)
    {
      g_assert_null (strstr (*s, HOSTILE));
      g_assert_nonnull (strstr (*s, "a\\]\\ \\[set\\ \\:\\:pwned\\ 1"));
    }
  g_assert_nonnull (strstr (read, "get_reg -force [list pc a\\]\\ \\[set\\ \\:\\:pwned\\ 1 x\\ y]"));
  g_assert_nonnull (strstr (read, OOD_TCL_NOT_HALTED_MARK));
  g_assert_nonnull (strstr (all, OOD_TCL_NOT_HALTED_MARK));
  g_assert_nonnull (strstr (write, OOD_TCL_NOT_HALTED_MARK));
  /* only the dirty lines of `reg` come back, split on Tcl's \n, not on a newline */
  g_assert_nonnull (strstr (all, "lsearch -all -inline -glob [split [reg] \\n] {*(dirty)}] \\n]"));
  g_assert_null (strchr (all, '\n'));
  /* memory works on a running target */
  g_assert_null (strstr (mem, OOD_TCL_NOT_HALTED_MARK));
}

static void
test_scripts_numbers (void)
{
  const guint64 words[] = { 0x1, 0xdeadbeef };
  const guint64 bytes[] = { 0xff };
  const guint64 wide[] = { G_MAXUINT64 };
  const OodTclMemWrite writes[] = {
    { 0x80000001, 8, 1, bytes },
    { 0x80000004, 32, 2, words },
    { 0xfffffffffffffff8, 64, 1, wide },
  };
  g_autofree char *read = ood_tcl_script_mem_read ("t", 0x8000fffc, 32, 1024);
  g_autofree char *read64 = ood_tcl_script_mem_read ("t", 0xfffffffffffffff8, 64, 1);
  g_autofree char *write = ood_tcl_script_mem_write ("t", writes, 3);
  g_autofree char *reg = ood_tcl_script_reg_write ("t", "pc", 0x80000010, TRUE);
  g_autofree char *reg64 = ood_tcl_script_reg_write ("t", "a0", G_MAXUINT64, FALSE);

  g_assert_nonnull (strstr (read, "$ood_t read_memory 0x8000fffc 32 1024]"));
  g_assert_nonnull (strstr (read, "capture {"));
  g_assert_nonnull (strstr (read64, "read_memory 0xfffffffffffffff8 64 1]"));
  g_assert_nonnull (strstr (write, "$ood_t write_memory 0x80000001 8 {0xff}; "
                                   "$ood_t write_memory 0x80000004 32 {0x1 0xdeadbeef}; "
                                   "$ood_t write_memory 0xfffffffffffffff8 64 {0xffffffffffffffff}"));
  g_assert_nonnull (strstr (reg, "set_reg [list pc 0x80000010]"));
  g_assert_nonnull (strstr (reg, "get_reg -force {pc}"));
  g_assert_nonnull (strstr (reg64, "set_reg [list a0 0xffffffffffffffff]"));
  g_assert_null (strstr (reg64, "get_reg"));
}

static void
test_scripts_one_command_per_chunk (void)
{
  g_autofree char *read = ood_tcl_script_mem_read ("t", 0x80000000, 32, 1024);
  const char *p = read;
  guint commands = 0;

  /* read_memory is the only OpenOCD command (capture masks polling) */
  while ((p = strstr (p, "$ood_t ")) != NULL)
    {
      commands++;
      p++;
    }
  g_assert_cmpuint (commands, ==, 1);
}

/* ---- parsers ------------------------------------------------------------ */

static const char listing[] =
  "===== RISC-V Registers\n"
  "(0) zero (/32): 0x00000000\n"
  "(32) pc (/32)\n"
  "(72) utvt (/32)\n"
  "(833) mstatus (/32): 0x00000008 (dirty)\n"
  "(4161) priv (/8)\n"
  "(5000) v0 (/128): 0x000102030405060708090a0b0c0d0e0f\n"
  "===== another cache\n"
  "\n";

static void
test_reg_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = ood_tcl_parse_reg_list (listing, &error);
  OodTclRegister *r;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 6);
  r = &g_array_index (list, OodTclRegister, 1);
  g_assert_cmpstr (r->name, ==, "pc");
  g_assert_cmpuint (r->number, ==, 32);
  g_assert_cmpuint (r->bits, ==, 32);
  g_assert_false (r->dirty);
  r = &g_array_index (list, OodTclRegister, 3);
  g_assert_cmpstr (r->name, ==, "mstatus");
  g_assert_true (r->dirty);
  r = &g_array_index (list, OodTclRegister, 4);
  g_assert_cmpuint (r->bits, ==, 8);
  g_assert_cmpuint (r->number, ==, 4161);
  r = &g_array_index (list, OodTclRegister, 5);
  g_assert_cmpuint (r->bits, ==, 128);
}

/* The learn script's one-line form: record separators for newlines. */
static void
test_reg_list_one_line (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *one_line = g_strdup (listing);
  g_autoptr(GArray) list = NULL;

  g_strdelimit (one_line, "\n", '\x1e');
  g_assert_null (strchr (one_line, '\n'));
  list = ood_tcl_parse_reg_list (one_line, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 6);
  g_assert_cmpstr (g_array_index (list, OodTclRegister, 5).name, ==, "v0");
}

static void
test_reg_list_bad (void)
{
  static const char *const bad[] = {
    "(0) zero\n", "0 zero (/32)\n", "(x) zero (/32)\n", "(0)zero (/32)\n", "(0)  (/32)\n",
    "(0) zero (/0)\n", "(0) zero (/)\n", "(0) zero (32)\n", "(0) a (/32)\n(1) a (/32)\n",
    "(99999999999) a (/32)\n", "(0) a (/99999999999)\n", "(0) \xff (/32)\n", "garbage\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) list = ood_tcl_parse_reg_list (bad[i], &error);
      if (list != NULL)
        g_error ("'%s' parsed", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_reg_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = ood_tcl_parse_reg_values ("pc 0x80000010 a0 0x00000000", &error);
  static const char *const bad[] = { "pc", "pc 16", "pc 0x", "pc 0xg", "pc {0x1 0x2}", "{" };

  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (values), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (values, "pc"), ==, "0x80000010");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(GHashTable) v = ood_tcl_parse_reg_values (bad[i], &e);
      g_assert_null (v);
      g_assert_nonnull (e);
    }
}

static void
test_reg_read_all (void)
{
  g_autofree char *text = g_strdup_printf ("{zero 0x00000000 mstatus 0x00000008} {utvt} {%s}",
                                           listing);
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclRegReadAll) all = ood_tcl_parse_reg_read_all (text, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (all->values), ==, 2);
  g_assert_cmpuint (g_strv_length (all->unreadable), ==, 1);
  g_assert_cmpstr (all->unreadable[0], ==, "utvt");
  g_assert_cmpuint (all->listing->len, ==, 6);
  g_assert_null (ood_tcl_parse_reg_read_all ("{} {}", NULL));
  g_assert_null (ood_tcl_parse_reg_read_all ("{pc} {} {}", NULL));
  g_assert_null (ood_tcl_parse_reg_read_all ("{} {} {bad line}", NULL));
}

static void
test_hex (void)
{
  guint64 v = 0;
  g_autoptr(GBytes) b128 = ood_tcl_hex_to_bytes ("0x000102030405060708090a0b0c0d0e0f", 128);
  g_autoptr(GBytes) b8 = ood_tcl_hex_to_bytes ("0x03", 8);
  g_autoptr(GBytes) b12 = ood_tcl_hex_to_bytes ("0x0fff", 12);
  const guint8 *p;
  gsize n;

  g_assert_true (ood_tcl_hex_to_u64 ("0x00000000ffffffffffffffff", &v));
  g_assert_cmphex (v, ==, G_MAXUINT64);
  g_assert_true (ood_tcl_hex_to_u64 ("0x0", &v));
  g_assert_cmphex (v, ==, 0);
  g_assert_false (ood_tcl_hex_to_u64 ("0x10000000000000000", &v));
  g_assert_false (ood_tcl_hex_to_u64 ("0x", &v));
  g_assert_false (ood_tcl_hex_to_u64 ("12", &v));

  p = g_bytes_get_data (b128, &n);
  g_assert_cmpuint (n, ==, 16);
  g_assert_cmphex (p[0], ==, 0x0f);
  g_assert_cmphex (p[15], ==, 0x00);
  g_assert_cmphex (p[14], ==, 0x01);
  p = g_bytes_get_data (b8, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmphex (p[0], ==, 3);
  p = g_bytes_get_data (b12, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmphex (p[0], ==, 0xff);
  g_assert_cmphex (p[1], ==, 0x0f);
  g_assert_null (ood_tcl_hex_to_bytes ("0x1fff", 12));
  g_assert_null (ood_tcl_hex_to_bytes ("0x100", 8));
  g_assert_null (ood_tcl_hex_to_bytes ("0x", 8));
}

static void
test_mem_words (void)
{
  guint64 v[4] = { 0 };
  g_autoptr(GError) error = NULL;
  static const struct {
    const char *text;
    guint width, count;
  } bad[] = {
    { "", 32, 1 }, { "0x1", 32, 2 }, { "0x1 0x2", 32, 1 }, { "0x100", 8, 1 },
    { "0x10000", 16, 1 }, { "0x100000000", 32, 1 }, { "0x10000000000000000", 64, 1 },
    { "1", 32, 1 }, { "0x", 32, 1 }, { "0x1x", 32, 1 }, { "0x1\t0x2", 32, 2 },
    { "{0x1}", 32, 1 },
  };

  g_assert_true (ood_tcl_parse_mem_words ("0x1 0xdeadbeef 0x0 0xFFFFFFFF", 32, 4, v, &error));
  g_assert_no_error (error);
  g_assert_cmphex (v[1], ==, 0xdeadbeef);
  g_assert_cmphex (v[3], ==, 0xffffffff);
  g_assert_true (ood_tcl_parse_mem_words ("0xffffffffffffffff", 64, 1, v, NULL));
  g_assert_cmphex (v[0], ==, G_MAXUINT64);
  g_assert_true (ood_tcl_parse_mem_words ("0x0000000000000000000ff", 8, 1, v, NULL));
  g_assert_cmphex (v[0], ==, 0xff);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      if (ood_tcl_parse_mem_words (bad[i].text, bad[i].width, bad[i].count, v, &e))
        g_error ("'%s' parsed as %u × %u bits", bad[i].text, bad[i].count, bad[i].width);
      g_assert_error (e, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_mem_learn (void)
{
  gboolean big = TRUE;
  guint bits = 0;

  g_assert_true (ood_tcl_parse_mem_learn ("little 0x80000010", &big, &bits, NULL));
  g_assert_false (big);
  g_assert_cmpuint (bits, ==, 32);
  g_assert_true (ood_tcl_parse_mem_learn ("big 0x0000000000000000", &big, &bits, NULL));
  g_assert_true (big);
  g_assert_cmpuint (bits, ==, 64);
  g_assert_true (ood_tcl_parse_mem_learn ("little {}", &big, &bits, NULL));
  g_assert_cmpuint (bits, ==, 64);
  g_assert_false (ood_tcl_parse_mem_learn ("middle 0x0", &big, &bits, NULL));
  g_assert_false (ood_tcl_parse_mem_learn ("little", &big, &bits, NULL));
  g_assert_false (ood_tcl_parse_mem_learn ("little 0x00000000000000000", &big, &bits, NULL));
  g_assert_false (ood_tcl_parse_mem_learn ("little zz", &big, &bits, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tcl-memory/scripts/quote", test_scripts_quote);
  g_test_add_func ("/tcl-memory/scripts/numbers", test_scripts_numbers);
  g_test_add_func ("/tcl-memory/scripts/one-command-per-chunk", test_scripts_one_command_per_chunk);
  g_test_add_func ("/tcl-memory/parse/reg-list", test_reg_list);
  g_test_add_func ("/tcl-memory/parse/reg-list-one-line", test_reg_list_one_line);
  g_test_add_func ("/tcl-memory/parse/reg-list-bad", test_reg_list_bad);
  g_test_add_func ("/tcl-memory/parse/reg-values", test_reg_values);
  g_test_add_func ("/tcl-memory/parse/reg-read-all", test_reg_read_all);
  g_test_add_func ("/tcl-memory/parse/hex", test_hex);
  g_test_add_func ("/tcl-memory/parse/mem-words", test_mem_words);
  g_test_add_func ("/tcl-memory/parse/mem-learn", test_mem_learn);
  return g_test_run ();
}
