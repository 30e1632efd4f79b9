/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-crc32"

#include "ood-crc32.h"

#define CRC32_POLY 0xEDB88320u

/* The table of the byte-wise CRC, built once. */
static const guint32 *
crc32_table (void)
{
  static guint32 table[256];
  static gsize built = 0;

  if (g_once_init_enter (&built))
    {
      for (guint32 i = 0; i < 256; i++)
        {
          guint32 c = i;
          for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32_POLY : c >> 1;
          table[i] = c;
        }
      g_once_init_leave (&built, 1);
    }
  return table;
}

/**
 * ood_crc32:
 * @data: (array length=length): the bytes
 *
 * Returns: their CRC-32 (ood-crc32.h)
 */
guint32
ood_crc32 (const guint8 *data, gsize length)
{
  const guint32 *table = crc32_table ();
  guint32 crc = 0xFFFFFFFFu;

  for (gsize i = 0; i < length; i++)
    crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}
