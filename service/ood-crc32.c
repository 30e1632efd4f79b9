/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-crc32"

#include "ood-crc32.h"

#include "ood-sums-abi.h"

/* The table of the byte-wise CRC, built once. */
static const guint32 *
crc32_table (void)
{
  static guint32 table[256];
  static gsize built = 0;

  if (g_once_init_enter (&built))
    {
      for (guint32 i = 0; i < 256; i++)
        table[i] = ood_sums_crc_entry (i);
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
  guint32 crc = OOD_SUMS_CRC_INIT;

  for (gsize i = 0; i < length; i++)
    crc = ood_sums_crc_byte (table, crc, data[i]);
  return crc ^ OOD_SUMS_CRC_INIT;
}
