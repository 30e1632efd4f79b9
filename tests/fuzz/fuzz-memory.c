/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the parsers of the register and memory replies
 * (service/tcl/ood-tcl-memory.c), on any text OpenOCD might answer.
 * The first byte picks the width and count that ood_tcl_parse_mem_words
 * is asked for; the rest, NUL-terminated, goes to every parser.
 * Everything is freed, so LeakSanitizer finds leaks on error paths.
 */
#include <stdint.h>
#include <string.h>

#include "ood-tcl-memory.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_list (GArray *list)
{
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      OodTclRegister *reg = &g_array_index (list, OodTclRegister, i);
      g_assert_nonnull (reg->name);
      g_assert (reg->name[0] != '\0');
      g_assert (reg->bits > 0);
    }
}

static void
parse_all (const char *text, guint width, guint count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = ood_tcl_parse_reg_list (text, &error);
  g_autofree guint64 *words = g_new0 (guint64, count);
  gboolean big = FALSE;
  guint bits = 0;
  guint64 value = 0;

  g_assert ((list == NULL) == (error != NULL));
  check_list (list);
  g_clear_error (&error);
  {
    g_autoptr(GHashTable) values = ood_tcl_parse_reg_values (text, &error);
    g_assert ((values == NULL) == (error != NULL));
    g_clear_error (&error);
  }
  {
    g_autoptr(OodTclRegReadAll) all = ood_tcl_parse_reg_read_all (text, &error);
    g_assert ((all == NULL) == (error != NULL));
    if (all != NULL)
      check_list (all->listing);
    g_clear_error (&error);
  }
  if (ood_tcl_parse_mem_learn (text, &big, &bits, &error))
    g_assert (bits > 0 && bits <= 64 && bits % 4 == 0);
  else
    g_assert_nonnull (error);
  g_clear_error (&error);
  if (ood_tcl_parse_mem_words (text, width, count, words, &error))
    for (guint i = 0; width < 64 && i < count; i++)
      g_assert (words[i] >> width == 0);
  else
    g_assert_nonnull (error);
  {
    g_autoptr(GError) local = NULL;
    g_autofree char *failure = NULL;
    g_autoptr(OodTclTargetRecord) record = ood_tcl_parse_pc_write (text, &failure, &local);

    g_assert ((record == NULL) == (local != NULL));
    g_assert (record != NULL || failure == NULL);
  }
  (void) ood_tcl_hex_to_u64 (text, &value);
  {
    g_autoptr(GBytes) bytes = ood_tcl_hex_to_bytes (text, 1 + (width * count) % 200);
    if (bytes != NULL)
      g_assert (g_bytes_get_size (bytes) == (1 + (width * count) % 200 + 7) / 8);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint widths[] = { 8, 16, 32, 64 };
  g_autofree char *text = NULL;
  guint width, count;

  if (size < 1)
    return 0;
  width = widths[data[0] & 3];
  count = 1 + (data[0] >> 2);
  text = g_strndup ((const char *) data + 1, size - 1);
  parse_all (text, width, count);
  return 0;
}
