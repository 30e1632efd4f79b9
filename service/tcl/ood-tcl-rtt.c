/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-rtt.h"

#include <gio/gio.h>
#include <string.h>

#include "ood-tcl-memory.h"
#include "ood-tcl-parse.h"
#include "ood-tcl-script.h"

/**
 * ood_tcl_rtt_words_to_bytes:
 * @words: 32-bit words as read_memory read them
 * @bytes: (out caller-allocates) (array length=count * 4): the memory
 *   they came from, in the target's byte order
 */
void
ood_tcl_rtt_words_to_bytes (const guint64 *words, guint count, gboolean big_endian,
                            guint8 *bytes)
{
  for (guint i = 0; i < count; i++)
    for (guint j = 0; j < 4; j++)
      bytes[i * 4 + j] = (guint8) (words[i] >> (big_endian ? 24 - 8 * j : 8 * j));
}

/**
 * ood_tcl_rtt_find_id:
 * @id: 1 to OOD_TCL_RTT_ID_MAX bytes
 * @offset: (out): where the first copy of @id starts in @bytes
 *
 * Returns: whether @bytes hold @id (the id's bytes without its NUL, as
 *   OpenOCD searches) at an offset that is a multiple of 4: the block is
 *   a structure of 32-bit words
 */
gboolean
ood_tcl_rtt_find_id (const guint8 *bytes, gsize size, const char *id, gsize *offset)
{
  gsize length = strlen (id);

  g_return_val_if_fail (length > 0, FALSE);
  for (gsize at = 0; at + length <= size; at += 4)
    if (memcmp (bytes + at, id, length) == 0)
      {
        *offset = at;
        return TRUE;
      }
  return FALSE;
}

/**
 * ood_tcl_rtt_parse_header:
 * @words: (array fixed-size=6): the block's first 24 bytes as 32-bit words
 *
 * Returns: whether the buffer counts are sane (together at most
 *   OOD_TCL_RTT_MAX_BUFFERS, at least one)
 */
gboolean
ood_tcl_rtt_parse_header (const guint64 *words, guint *n_up, guint *n_down, GError **error)
{
  guint64 up = words[4], down = words[5];

  if (up + down == 0 || up + down > OOD_TCL_RTT_MAX_BUFFERS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the RTT control block claims %" G_GUINT64_FORMAT " up- and %"
                   G_GUINT64_FORMAT " down-buffers (the service takes 1 to %u)",
                   up, down, OOD_TCL_RTT_MAX_BUFFERS);
      return FALSE;
    }
  *n_up = (guint) up;
  *n_down = (guint) down;
  return TRUE;
}

/**
 * ood_tcl_rtt_parse_buffers:
 * @words: the descriptors: (@n_up + @n_down) * OOD_TCL_RTT_BUFFER_WORDS
 *   32-bit words
 *
 * Returns: (transfer full) (element-type OodTclRttBuffer): the buffers
 *   in use (size other than 0, as OpenOCD lists them), up-buffers first
 */
GArray *
ood_tcl_rtt_parse_buffers (const guint64 *words, guint n_up, guint n_down)
{
  GArray *buffers = g_array_new (FALSE, FALSE, sizeof (OodTclRttBuffer));

  for (guint i = 0; i < n_up + n_down; i++)
    {
      const guint64 *w = words + i * OOD_TCL_RTT_BUFFER_WORDS;
      OodTclRttBuffer buffer = {
        .index = i < n_up ? i : i - n_up,
        .up = i < n_up,
        .name = (guint32) w[0],
        .buffer = (guint32) w[1],
        .size = (guint32) w[2],
      };

      if (buffer.size != 0)
        g_array_append_val (buffers, buffer);
    }
  return buffers;
}

/**
 * ood_tcl_rtt_parse_name:
 * @words: bytes read with width 8
 *
 * Returns: (transfer full): the name up to its NUL (or all @count bytes),
 *   invalid UTF-8 replaced
 */
char *
ood_tcl_rtt_parse_name (const guint64 *words, guint count)
{
  g_autoptr(GString) name = g_string_new (NULL);

  for (guint i = 0; i < count && words[i] != 0; i++)
    g_string_append_c (name, (char) words[i]);
  return g_utf8_make_valid (name->str, (gssize) name->len);
}

/* ---- the poll ----------------------------------------------------------- */

/* The first word of @buffer's descriptor in the block. */
static guint
descriptor_word (const OodTclRttPoll *poll, const OodTclRttBuffer *buffer)
{
  return OOD_TCL_RTT_HEADER_WORDS +
         (buffer->up ? buffer->index : poll->n_up + buffer->index) * OOD_TCL_RTT_BUFFER_WORDS;
}

/* Sets ood_b, ood_z, ood_w and ood_r to @buffer's address, size and
 * offsets (these from ood_cb, read from word @first of the block), failing
 * the poll if an offset is out of bounds; @lower is 0 for an up-buffer, 1
 * for a down-buffer (which holds at most size - 1 bytes). */
static void
append_offsets (GString *body, const OodTclRttPoll *poll, const OodTclRttBuffer *buffer,
                guint first)
{
  guint word = descriptor_word (poll, buffer);

  g_string_append_printf (body,
                          "set ood_b %" G_GUINT32_FORMAT "; set ood_z %" G_GUINT32_FORMAT "; "
                          "set ood_w [lindex $ood_cb %u]; set ood_r [lindex $ood_cb %u]; "
                          "if {$ood_w >= $ood_z || $ood_r >= $ood_z} {set ood_g 1; error g}; ",
                          buffer->buffer, buffer->size, word + 3 - first, word + 4 - first);
}

/* Reads what waits in up-buffer @buffer, in at most two runs (the second
 * after the end wraps), OOD_TCL_RTT_POLL_MAX bytes together, each as
 * aligned words; advances the read offset; appends {run ...} to ood_up,
 * a run being {skip length words}. */
static void
append_read (GString *body, const OodTclRttPoll *poll, const OodTclRttBuffer *buffer,
             guint first)
{
  guint64 read_offset = poll->address + (guint64) descriptor_word (poll, buffer) * 4 + 16;

  append_offsets (body, poll, buffer, first);
  g_string_append_printf (
      body,
      "set ood_d {}; set ood_q %u; "
      "while {$ood_w != $ood_r && $ood_q > 0} {"
      "set ood_e [expr {$ood_w > $ood_r ? $ood_w : $ood_z}]; "
      "if {$ood_e - $ood_r > $ood_q} {set ood_e [expr {$ood_r + $ood_q}]}; "
      "set ood_a [expr {($ood_b + $ood_r) & ~3}]; "
      "set ood_n [expr {(($ood_b + $ood_e + 3) & ~3) - $ood_a}]; "
      "lappend ood_d [list [expr {$ood_b + $ood_r - $ood_a}] [expr {$ood_e - $ood_r}] "
      "[$ood_t read_memory $ood_a 32 [expr {$ood_n / 4}]]]; "
      "incr ood_q [expr {$ood_r - $ood_e}]; set ood_r [expr {$ood_e %% $ood_z}]}; "
      "if {$ood_d ne {}} {$ood_t write_memory 0x%" G_GINT64_MODIFIER "x 32 $ood_r}; "
      "lappend ood_up $ood_d; ",
      OOD_TCL_RTT_POLL_MAX, read_offset);
}

/* Puts what fits of @write in its down-buffer, in at most two runs,
 * advances the write offset; appends how many bytes went in to ood_dn. */
static void
append_write (GString *body, const OodTclRttPoll *poll, const OodTclRttWrite *write,
              guint first)
{
  guint64 write_offset = poll->address + (guint64) descriptor_word (poll, &write->buffer) * 4 + 12;

  g_string_append (body, "set ood_v {");
  for (gsize i = 0; i < write->size; i++)
    g_string_append_printf (body, i > 0 ? " 0x%02x" : "0x%02x", write->data[i]);
  g_string_append (body, "}; ");
  append_offsets (body, poll, &write->buffer, first);
  g_string_append_printf (
      body,
      "set ood_m 0; "
      "while {$ood_m < %" G_GSIZE_FORMAT "} {"
      "set ood_c [expr {($ood_r + $ood_z - $ood_w - 1) %% $ood_z}]; "
      "if {$ood_c == 0} break; "
      "if {$ood_c > $ood_z - $ood_w} {set ood_c [expr {$ood_z - $ood_w}]}; "
      "if {$ood_c > %" G_GSIZE_FORMAT " - $ood_m} {set ood_c [expr {%" G_GSIZE_FORMAT
      " - $ood_m}]}; "
      "$ood_t write_memory [expr {$ood_b + $ood_w}] 8 "
      "[lrange $ood_v $ood_m [expr {$ood_m + $ood_c - 1}]]; "
      "incr ood_m $ood_c; set ood_w [expr {($ood_w + $ood_c) %% $ood_z}]}; "
      "if {$ood_m > 0} {$ood_t write_memory 0x%" G_GINT64_MODIFIER "x 32 $ood_w}; "
      "lappend ood_dn $ood_m; ",
      write->size, write->size, write->size, write_offset);
}

/* The block's words a poll reads, [@first, @last]: from the block's start
 * if @poll checks it, else from the first offset it uses; to the last. */
static void
words_read (const OodTclRttPoll *poll, guint *first, guint *last)
{
  *first = G_MAXUINT;
  *last = OOD_TCL_RTT_HEADER_WORDS - 1;
  for (guint i = 0; i < poll->n_up_read + poll->n_writes; i++)
    {
      const OodTclRttBuffer *buffer = i < poll->n_up_read ? &poll->up[i]
                                      : &poll->writes[i - poll->n_up_read].buffer;
      guint word = descriptor_word (poll, buffer);

      *first = MIN (*first, word + 3);
      *last = MAX (*last, word + 4);
    }
  if (poll->check || *first == G_MAXUINT)
    *first = 0;
}

/* Fails the poll unless the header and the used buffers' addresses and
 * sizes are as @poll knows them (ood_cb read from the block's start). */
static void
append_check (GString *body, const OodTclRttPoll *poll)
{
  g_string_append (body, "if {");
  for (guint i = 0; i < 4; i++)
    g_string_append_printf (body, "[lindex $ood_cb %u] != 0x%" G_GINT32_MODIFIER "x || ", i,
                            poll->id_words[i]);
  g_string_append_printf (body, "[lindex $ood_cb 4] != %u || [lindex $ood_cb 5] != %u", poll->n_up,
                          poll->n_down);
  for (guint i = 0; i < poll->n_up_read + poll->n_writes; i++)
    {
      const OodTclRttBuffer *buffer = i < poll->n_up_read ? &poll->up[i]
                                      : &poll->writes[i - poll->n_up_read].buffer;
      guint word = descriptor_word (poll, buffer);

      g_string_append_printf (body,
                              " || [lindex $ood_cb %u] != %" G_GUINT32_FORMAT
                              " || [lindex $ood_cb %u] != %" G_GUINT32_FORMAT,
                              word + 1, buffer->buffer, word + 2, buffer->size);
    }
  g_string_append (body, "} {set ood_g 1; error g}; ");
}

/**
 * ood_tcl_script_rtt_poll:
 *
 * One poll, in one capture (so OpenOCD polls its targets once, before
 * it): reads, in one read_memory, the offsets of the buffers @poll uses
 * (and, if it checks the block, the block from its start: see
 * OodTclRttPoll), then reads the up-buffers @poll names and fills the
 * down-buffers it has bytes for, as far as they have room (the rest is
 * for a later poll). Answers {UP DOWN} (see ood_tcl_parse_rtt_poll()). A
 * failing command fails the script with OpenOCD's logged text (what a
 * capture answers), a block found gone with OOD_TCL_RTT_GONE_MARK, whatever
 * was logged.
 */
char *
ood_tcl_script_rtt_poll (const char *target, const OodTclRttPoll *poll)
{
  g_autoptr(GString) body = g_string_new (NULL);
  guint first, last;

  words_read (poll, &first, &last);
  g_string_append_printf (body,
                          "set ood_up {}; set ood_dn {}; set ood_g 0; if {[catch {capture {"
                          "set ood_cb [$ood_t read_memory 0x%" G_GINT64_MODIFIER "x 32 %u]; ",
                          poll->address + (guint64) first * 4, last - first + 1);
  if (first == 0)
    append_check (body, poll);
  for (guint i = 0; i < poll->n_up_read; i++)
    append_read (body, poll, &poll->up[i], first);
  for (guint i = 0; i < poll->n_writes; i++)
    append_write (body, poll, &poll->writes[i], first);
  g_string_append (body, "}} ood_e]} {if {$ood_g} {error {" OOD_TCL_RTT_GONE_MARK "}}; "
                        "error $ood_e}; list $ood_up $ood_dn");
  return ood_tcl_wrap_target (target, body->str);
}

static gboolean
poll_error (GError **error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "RTT poll: %s", what);
  return FALSE;
}

/* One run {skip length words} of an up-buffer, appended to @out. */
static gboolean
parse_run (const char *text, gboolean big_endian, GByteArray *out, GError **error)
{
  g_auto(GStrv) items = ood_tcl_parse_list (text, error);
  guint64 skip, length;
  guint count;
  g_autofree guint64 *words = NULL;
  g_autofree guint8 *bytes = NULL;

  if (items == NULL)
    return FALSE;
  if (g_strv_length (items) != 3 ||
      !g_ascii_string_to_unsigned (items[0], 10, 0, 3, &skip, NULL) ||
      !g_ascii_string_to_unsigned (items[1], 10, 1, OOD_TCL_RTT_POLL_MAX, &length, NULL))
    return poll_error (error, "a malformed run");
  count = (guint) ((skip + length + 3) / 4);
  words = g_new (guint64, count);
  if (!ood_tcl_parse_mem_words (items[2], 32, count, words, error))
    return FALSE;
  bytes = g_malloc (count * 4);
  ood_tcl_rtt_words_to_bytes (words, count, big_endian, bytes);
  g_byte_array_append (out, bytes + skip, (guint) length);
  return TRUE;
}

static GBytes *
parse_up (const char *text, gboolean big_endian, GError **error)
{
  g_auto(GStrv) runs = ood_tcl_parse_list (text, error);
  g_autoptr(GByteArray) data = g_byte_array_new ();

  if (runs == NULL)
    return NULL;
  if (g_strv_length (runs) > 2)
    {
      poll_error (error, "more than two runs of one buffer");
      return NULL;
    }
  for (guint i = 0; runs[i] != NULL; i++)
    if (!parse_run (runs[i], big_endian, data, error))
      return NULL;
  if (data->len > OOD_TCL_RTT_POLL_MAX)
    {
      poll_error (error, "more bytes than one poll reads");
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/**
 * ood_tcl_parse_rtt_poll:
 * @text: what ood_tcl_script_rtt_poll() answered
 * @up_data: (out caller-allocates) (array length=n_up_read): the bytes
 *   read from each up-buffer the poll named, in its order
 * @written: (out caller-allocates) (array length=n_writes): how many
 *   bytes of each write went in
 *
 * Returns: %FALSE if @text is malformed (then @up_data holds nothing)
 */
gboolean
ood_tcl_parse_rtt_poll (const char *text, guint n_up_read, guint n_writes, gboolean big_endian,
                        GBytes **up_data, gsize *written, GError **error)
{
  g_auto(GStrv) halves = ood_tcl_parse_list (text, error);
  g_auto(GStrv) ups = NULL;
  g_auto(GStrv) downs = NULL;

  if (halves == NULL)
    return FALSE;
  if (g_strv_length (halves) != 2)
    return poll_error (error, "not {UP DOWN}");
  if ((ups = ood_tcl_parse_list (halves[0], error)) == NULL ||
      (downs = ood_tcl_parse_list (halves[1], error)) == NULL)
    return FALSE;
  if (g_strv_length (ups) != n_up_read || g_strv_length (downs) != n_writes)
    return poll_error (error, "not one element per buffer");
  for (guint i = 0; i < n_writes; i++)
    {
      guint64 n;
      if (!g_ascii_string_to_unsigned (downs[i], 10, 0, OOD_TCL_RTT_POLL_MAX, &n, NULL))
        return poll_error (error, "a malformed count of bytes written");
      written[i] = (gsize) n;
    }
  for (guint i = 0; i < n_up_read; i++)
    if ((up_data[i] = parse_up (ups[i], big_endian, error)) == NULL)
      {
        for (guint j = 0; j < i; j++)
          g_clear_pointer (&up_data[j], g_bytes_unref);
        return FALSE;
      }
  return TRUE;
}
