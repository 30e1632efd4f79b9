/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the images a client hands Program, Load and Verify
 * (service/ood-image.c): the first byte picks the format (bin, Intel HEX,
 * ELF through libelf), the rest is the image. Every result must be sorted,
 * disjoint segments whose total is what ood_image_total() says, or an
 * InvalidArgs error. */
#include <stddef.h>
#include <stdint.h>

#include "ood-image.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const OodImageFormat formats[] = { OOD_IMAGE_BIN, OOD_IMAGE_IHEX, OOD_IMAGE_ELF };
  g_autoptr(GError) error = NULL;
  GArray *segments;
  guint64 total = 0;

  if (size < 1)
    return 0;
  segments = ood_image_parse (formats[data[0] % G_N_ELEMENTS (formats)], data + 1, size - 1,
                              0x08000000, &error);
  if (segments == NULL)
    {
      g_assert_true (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS));
      return 0;
    }
  for (guint i = 0; i < segments->len; i++)
    {
      OodImageSegment *s = &g_array_index (segments, OodImageSegment, i);

      g_assert_nonnull (s->data);
      total += s->data->len;
      if (i > 0)
        {
          OodImageSegment *prev = &g_array_index (segments, OodImageSegment, i - 1);
          /* sorted, disjoint and not adjacent */
          g_assert_cmpuint (prev->address + prev->data->len, <, s->address);
        }
    }
  g_assert_cmpuint (total, ==, ood_image_total (segments));
  g_array_unref (segments);
  return 0;
}
