/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the parsers of the flash scripts' answers
 * (service/tcl/ood-tcl-flash.c), on any text OpenOCD might answer. The
 * first byte's bits 4-5 give how many banks (or checksum answers) were
 * asked for, 1 to 4 (checksums of the service's routine: 0 to 3 as
 * well); the rest, NUL-terminated, is the answer. The seeds
 * are real answers of OpenOCD 0.12 on the simulated board
 * (tests/unit/test-tcl-flash.c writes them with OOD_TEST_SEEDS=DIR).
 * Everything is freed, so LeakSanitizer finds leaks on error paths.
 */
#include <stdint.h>
#include <string.h>

#include "ood-tcl-flash.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Every sector @sectors holds is one as the parser promises. */
static void
check_sectors (GArray *sectors)
{
  for (guint i = 0; sectors != NULL && i < sectors->len; i++)
    {
      const OodTclFlashSector *s = &g_array_index (sectors, OodTclFlashSector, i);
      g_assert (s->protection >= -1 && s->protection <= 1);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  guint n;

  if (size == 0)
    return 0;
  n = 1 + ((data[0] >> 4) & 3);
  text = g_strndup ((const char *) data + 1, size - 1);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) banks = ood_tcl_parse_flash_banks (text, &error);

    g_assert ((banks == NULL) == (error != NULL));
    for (guint i = 0; banks != NULL && i < banks->len; i++)
      {
        OodTclFlashBank *bank = banks->pdata[i];
        g_assert (bank->target != NULL && bank->name != NULL);
      }
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) sectors = ood_tcl_parse_flash_sectors (text, &error);

    g_assert ((sectors == NULL) == (error != NULL));
    check_sectors (sectors);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) listed = NULL;
    g_autoptr(GArray) blocks = ood_tcl_parse_flash_blocks (text, &listed, &error);

    g_assert (blocks == NULL || listed != NULL);
    check_sectors (blocks);
    check_sectors (listed);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *failed = NULL;
    g_autofree char *message = NULL;
    g_autoptr(GArray) sectors = ood_tcl_parse_flash_protect (text, &failed, &message, &error);

    g_assert ((sectors == NULL) == (error != NULL));
    g_assert (sectors == NULL || (failed != NULL && message != NULL));
    check_sectors (sectors);
  }
  {
    g_autoptr(GError) error = NULL;
    guint64 work_area = 0;
    g_autofree char *refused = NULL;
    g_autoptr(GPtrArray)
                   geometry = ood_tcl_parse_flash_geometry (text, n, &work_area, &refused, &error);

    g_assert ((geometry == NULL) == (error != NULL));
    g_assert (geometry == NULL || geometry->len == n);
    g_assert (geometry != NULL || refused == NULL);
    for (guint i = 0; geometry != NULL && i < geometry->len; i++)
      check_sectors (geometry->pdata[i]);
  }
  {
    g_autoptr(GError) error = NULL;
    gboolean equal[4];

    g_assert (ood_tcl_parse_images_equal (text, n, equal, &error) == (error == NULL));
  }
  for (guint runs = n - 1; runs <= n; runs++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *unusable = NULL;
      guint32 sums[4];
      gboolean differs[4];
      gboolean ok = ood_tcl_parse_flash_sums (text, runs, sums, differs, &unusable, &error);

      g_assert (ok == (error == NULL));
      g_assert (ok || unusable == NULL);
    }
  return 0;
}
