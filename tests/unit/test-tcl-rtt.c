/* SPDX-License-Identifier: MIT */
/* The RTT layout, the poll script and its parser (service/tcl/ood-tcl-rtt.c):
 * the parsers on their own, and the script run by a real OpenOCD 0.12 on
 * a control block the test lays out by hand in the simulated board's RAM
 * while the board runs. */
#include <gio/gio.h>
#include <string.h>

#include "ood-tcl-parse.h"
#include "ood-tcl-rtt.h"
#include "ood-tcl-script.h"
#include "ood-testbed.h"

#define HOSTILE "a] [set ::pwned 1"

/* ---- layout and parsers ------------------------------------------------- */

static void
test_layout (void)
{
  const guint64 words[] = { 0x47474553, 0x52205245, 0x00005454, 0, 3, 2 };
  guint8 bytes[16];
  guint8 big[4];
  gsize offset = 99;
  guint n_up = 0, n_down = 0;
  g_autoptr(GError) error = NULL;
  const guint64 too_many[] = { 0, 0, 0, 0, 30, 3 };
  const guint64 none[] = { 0, 0, 0, 0, 0, 0 };

  ood_tcl_rtt_words_to_bytes (words, 4, FALSE, bytes);
  g_assert_cmpmem (bytes, 11, "SEGGER RTT", 11);
  ood_tcl_rtt_words_to_bytes (words, 1, TRUE, big);
  g_assert_cmpmem (big, 4, "GGES", 4);
  g_assert_true (ood_tcl_rtt_find_id (bytes, sizeof bytes, "SEGGER RTT", &offset));
  g_assert_cmpuint (offset, ==, 0);
  g_assert_true (ood_tcl_rtt_find_id (bytes, sizeof bytes, "ER RTT", &offset));
  g_assert_cmpuint (offset, ==, 4);
  /* only at word boundaries */
  g_assert_false (ood_tcl_rtt_find_id (bytes, sizeof bytes, "RTT", &offset));
  g_assert_false (ood_tcl_rtt_find_id (bytes, 9, "SEGGER RTT", &offset));

  g_assert_true (ood_tcl_rtt_parse_header (words, &n_up, &n_down, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_up, ==, 3);
  g_assert_cmpuint (n_down, ==, 2);
  g_assert_false (ood_tcl_rtt_parse_header (too_many, &n_up, &n_down, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (ood_tcl_rtt_parse_header (none, &n_up, &n_down, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_buffers_and_names (void)
{
  const guint64 descriptors[] = {
    0x100, 0x1000, 64, 0, 0, 0,     /* up 0 */
    0, 0, 0, 0, 0, 0,               /* up 1: unused */
    0x110, 0x1200, 16, 0, 0, 0,     /* down 0 */
  };
  g_autoptr(GArray) buffers = ood_tcl_rtt_parse_buffers (descriptors, 2, 1);
  const guint64 name[] = { 'T', 'e', 'r', 'm', 0, 'x' };
  const guint64 unended[] = { 'a', 'b', 0xff };
  g_autofree char *terminal = ood_tcl_rtt_parse_name (name, G_N_ELEMENTS (name));
  g_autofree char *invalid = ood_tcl_rtt_parse_name (unended, G_N_ELEMENTS (unended));
  OodTclRttBuffer *b;

  g_assert_cmpuint (buffers->len, ==, 2);
  b = &g_array_index (buffers, OodTclRttBuffer, 0);
  g_assert_true (b->up);
  g_assert_cmpuint (b->index, ==, 0);
  g_assert_cmpuint (b->size, ==, 64);
  g_assert_cmpuint (b->name, ==, 0x100);
  b = &g_array_index (buffers, OodTclRttBuffer, 1);
  g_assert_false (b->up);
  g_assert_cmpuint (b->index, ==, 0);
  g_assert_cmpuint (b->buffer, ==, 0x1200);
  g_assert_cmpstr (terminal, ==, "Term");
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_assert_true (g_str_has_prefix (invalid, "ab"));
}

static void
test_parse_poll (void)
{
  GBytes *up[2] = { NULL, NULL };
  gsize written[1] = { 0 };
  g_autoptr(GError) error = NULL;
  /* two runs of up-buffer 0 ("ABC" from skip 1, "D"), nothing in up 1 */
  const char *good = "{{{1 3 0x43424100} {0 1 0x00000044}} {}} 7";
  const char *bad[] = {
    "{{} {}} {}",                       /* one down count missing */
    "{{{4 1 0x0}} {}} 0",               /* skip beyond a word */
    "{{{0 0 0x0}} {}} 0",               /* empty run */
    "{{{0 5 0x0}} {}} 0",               /* fewer words than the run needs */
    "{{{0 1 0x0} {0 1 0x0} {0 1 0x0}} {}} 0", /* three runs */
    "{{{0 1 0x100000000}} {}} 0",       /* not a 32-bit word */
    "{{} {}} 99999",                    /* more written than a poll writes */
    "{{} {}",                           /* not a list */
  };

  g_assert_true (ood_tcl_parse_rtt_poll (good, 2, 1, FALSE, up, written, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (up[0], NULL), g_bytes_get_size (up[0]), "ABCD", 4);
  g_assert_cmpuint (g_bytes_get_size (up[1]), ==, 0);
  g_assert_cmpuint (written[0], ==, 7);
  g_clear_pointer (&up[0], g_bytes_unref);
  g_clear_pointer (&up[1], g_bytes_unref);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ood_tcl_parse_rtt_poll (bad[i], 2, 1, FALSE, up, written, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      g_assert_null (up[0]);
      g_assert_null (up[1]);
    }
}

static void
test_script_quotes (void)
{
  const OodTclRttBuffer up[] = { { 0, TRUE, 0, 0x80021000, 64 } };
  const OodTclRttWrite writes[] = { { { 0, FALSE, 0, 0x80021200, 16 }, (const guint8 *) "[x]", 3 } };
  OodTclRttPoll poll = { .address = 0x80020000, .id_words = { 1, 2, 3, 4 }, .n_up = 1,
                         .n_down = 1, .check = TRUE, .up = up, .n_up_read = 1, .writes = writes,
                         .n_writes = 1 };
  g_autofree char *script = ood_tcl_script_rtt_poll (HOSTILE, &poll);

  g_assert_null (strstr (script, HOSTILE));
  g_assert_nonnull (strstr (script, "a\\]\\ \\[set\\ \\:\\:pwned\\ 1"));
  /* the client's bytes are numbers, never text */
  g_assert_null (strstr (script, "[x]"));
  g_assert_nonnull (strstr (script, "{0x5b 0x78 0x5d}"));
}

/* ---- the poll script, run by OpenOCD ------------------------------------- */

#define CB       0x80020000u
#define NAMES    0x80020100u
#define UP_BUF   0x80021000u
#define UP_SIZE  64u
#define DOWN_BUF 0x80021200u
#define DOWN_SIZE 16u

/* The buffers as the block below describes them. */
static const OodTclRttBuffer up0 = { 0, TRUE, NAMES, UP_BUF, UP_SIZE };
static const OodTclRttBuffer down0 = { 0, FALSE, NAMES + 16, DOWN_BUF, DOWN_SIZE };

static void
tcl (OodTestbed *tb, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
tcl (OodTestbed *tb, const char *format, ...)
{
  va_list args;
  g_autofree char *command = NULL;
  g_autofree char *reply = NULL;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  reply = ood_test_tcl_eval_on (tb, command);
}

static guint32
read_word (OodTestbed *tb, guint32 address)
{
  g_autofree char *command = g_strdup_printf ("read_memory 0x%x 32 1", address);
  g_autofree char *reply = ood_test_tcl_eval_on (tb, command);

  return (guint32) g_ascii_strtoull (reply, NULL, 16);
}

static void
write_bytes (OodTestbed *tb, guint32 address, const char *text)
{
  g_autoptr(GString) command = g_string_new (NULL);

  g_string_printf (command, "write_memory 0x%x 8 {", address);
  for (const char *p = text; *p != '\0'; p++)
    g_string_append_printf (command, " 0x%02x", (guint8) *p);
  g_string_append_c (command, '}');
  tcl (tb, "%s", command->str);
}

/* Up-buffer 0 of 64 bytes, an unused up 1, down-buffer 0 of 16 bytes. */
static OodTestbed *
board_with_block (void)
{
  g_autoptr(GError) error = NULL;
  OodTestbed *tb = ood_testbed_new (NULL, &error);

  g_assert_no_error (error);
  write_bytes (tb, CB, "SEGGER RTT");
  tcl (tb, "write_memory 0x%x 32 {0 2 1}", CB + 12);
  tcl (tb, "write_memory 0x%x 32 {0x%x 0x%x %u 0 0 0 0 0 0 0 0 0 0x%x 0x%x %u 0 0 0}",
       CB + 24, NAMES, UP_BUF, UP_SIZE, NAMES + 16, DOWN_BUF, DOWN_SIZE);
  return tb;
}

static OodTclRttPoll
poll_of (const OodTclRttBuffer *up, guint n_up_read, const OodTclRttWrite *writes,
         guint n_writes, gboolean check)
{
  const guint64 id[] = { 0x47474553, 0x52205245, 0x00005454, 0 };
  OodTclRttPoll poll = { .address = CB, .n_up = 2, .n_down = 1, .check = check, .up = up,
                         .n_up_read = n_up_read, .writes = writes, .n_writes = n_writes };

  for (guint i = 0; i < 4; i++)
    poll.id_words[i] = (guint32) id[i];
  return poll;
}

/* Runs @poll on @tb's OpenOCD; its catch code, and its text in @text. */
static gint
run_poll (OodTestbed *tb, const OodTclRttPoll *poll, char **text)
{
  g_autofree char *script = ood_tcl_script_rtt_poll (ood_testbed_get_target_name (tb), poll);
  g_autofree char *reply = ood_test_tcl_eval_on (tb, script);
  const char *inner;
  gint code;

  g_assert_true (ood_tcl_parse_wrapped (reply, &code, &inner));
  *text = g_strdup (inner);
  return code;
}

/* What waits across the end of the buffer comes in one poll, in order, and
 * the read offset ends where the target's write offset is. */
static void
test_openocd_read_wraps (void)
{
  g_autoptr(OodTestbed) tb = board_with_block ();
  OodTclRttPoll poll = poll_of (&up0, 1, NULL, 0, FALSE);
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  GBytes *data[1] = { NULL };
  g_autoptr(GError) error = NULL;

  write_bytes (tb, UP_BUF + 57, "abcdefg");
  write_bytes (tb, UP_BUF, "hijkl");
  /* write offset 5, read offset 57 */
  tcl (tb, "write_memory 0x%x 32 {5 57}", CB + 24 + 12);
  g_assert_cmpint (run_poll (tb, &poll, &text), ==, 0);
  g_assert_true (ood_tcl_parse_rtt_poll (text, 1, 0, FALSE, data, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data[0], NULL), g_bytes_get_size (data[0]), "abcdefghijkl", 12);
  g_bytes_unref (data[0]);
  g_assert_cmpuint (read_word (tb, CB + 24 + 16), ==, 5);

  /* nothing new: nothing read, nothing written */
  g_assert_cmpint (run_poll (tb, &poll, &again), ==, 0);
  g_assert_true (ood_tcl_parse_rtt_poll (again, 1, 0, FALSE, data, NULL, &error));
  g_assert_cmpuint (g_bytes_get_size (data[0]), ==, 0);
  g_bytes_unref (data[0]);
}

/* A write fills what room the down-buffer has, across its end, and keeps
 * back the rest. */
static void
test_openocd_write_wraps (void)
{
  g_autoptr(OodTestbed) tb = board_with_block ();
  const OodTclRttWrite writes[] = { { down0, (const guint8 *) "hello", 5 } };
  OodTclRttPoll poll = poll_of (NULL, 0, writes, 1, TRUE);
  guint32 down = CB + 24 + 2 * 24;
  g_autofree char *text = NULL;
  gsize written = 0;
  g_autoptr(GError) error = NULL;

  /* write offset 14, read offset 3: room for 4 bytes, 2 before the end */
  tcl (tb, "write_memory 0x%x 32 {14 3}", down + 12);
  g_assert_cmpint (run_poll (tb, &poll, &text), ==, 0);
  g_assert_true (ood_tcl_parse_rtt_poll (text, 0, 1, FALSE, NULL, &written, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, 4);
  g_assert_cmpuint (read_word (tb, down + 12), ==, 2);
  g_assert_cmpuint (read_word (tb, DOWN_BUF + 12) >> 16, ==, 'h' | 'e' << 8);
  g_assert_cmpuint (read_word (tb, DOWN_BUF) & 0xffff, ==, 'l' | 'l' << 8);
}

/* A checking poll finds a block whose id or buffer changed gone; one
 * that reads only the offsets does not look, but finds offsets out of
 * bounds gone; memory OpenOCD cannot read fails with its own words. */
static void
test_openocd_errors (void)
{
  g_autoptr(OodTestbed) tb = board_with_block ();
  const OodTclRttBuffer unreadable_up = { 0, TRUE, NAMES, 0x10, UP_SIZE };
  OodTclRttPoll poll = poll_of (&up0, 1, NULL, 0, TRUE);
  OodTclRttPoll offsets_only = poll_of (&up0, 1, NULL, 0, FALSE);
  OodTclRttPoll unreadable = poll_of (&unreadable_up, 1, NULL, 0, TRUE);
  g_autofree char *moved = NULL;
  g_autofree char *unchecked = NULL;
  g_autofree char *out_of_bounds = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *failed = NULL;

  /* the buffer moved: the check sees it, a poll of the offsets does not */
  tcl (tb, "write_memory 0x%x 32 {0x%x 64 5 0}", CB + 24 + 4, 0x10u);
  g_assert_cmpint (run_poll (tb, &poll, &moved), ==, 1);
  g_assert_cmpstr (moved, ==, OOD_TCL_RTT_GONE_MARK);
  /* OpenOCD's own words when it cannot read the buffer */
  g_assert_cmpint (run_poll (tb, &unreadable, &failed), ==, 1);
  g_assert_cmpstr (failed, !=, "");
  g_assert_null (strstr (failed, OOD_TCL_RTT_GONE_MARK));
  g_assert_cmpint (run_poll (tb, &offsets_only, &unchecked), ==, 0);
  tcl (tb, "write_memory 0x%x 32 {0x%x %u 0 %u}", CB + 24 + 4, UP_BUF, UP_SIZE, UP_SIZE);
  g_assert_cmpint (run_poll (tb, &offsets_only, &out_of_bounds), ==, 1);
  g_assert_cmpstr (out_of_bounds, ==, OOD_TCL_RTT_GONE_MARK);
  tcl (tb, "write_memory 0x%x 32 {0 0}", CB + 24 + 12);
  write_bytes (tb, CB, "SEGGER RTX");
  g_assert_cmpint (run_poll (tb, &poll, &gone), ==, 1);
  g_assert_cmpstr (gone, ==, OOD_TCL_RTT_GONE_MARK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tcl-rtt/layout", test_layout);
  g_test_add_func ("/tcl-rtt/buffers-and-names", test_buffers_and_names);
  g_test_add_func ("/tcl-rtt/parse-poll", test_parse_poll);
  g_test_add_func ("/tcl-rtt/script-quotes", test_script_quotes);
  g_test_add_func ("/tcl-rtt/openocd/read-wraps", test_openocd_read_wraps);
  g_test_add_func ("/tcl-rtt/openocd/write-wraps", test_openocd_write_wraps);
  g_test_add_func ("/tcl-rtt/openocd/errors", test_openocd_errors);
  return g_test_run ();
}
