/* SPDX-License-Identifier: MIT */
/* The plan of a flash job (ood-flash-plan.h) on its own: the test plays
 * the work, answering each compare step from a flash held in memory, and
 * asserts the steps planned. The same plan run by the work against
 * OpenOCD and the simulated board: tests/service/test-flash.c. */
#include <string.h>

#include "ood-crc32.h"
#include "ood-flash-plan.h"
#include "ood-sums-routine.h"

#define BASE     0x08000000u
#define SECTOR   0x400u
#define SECTORS  32u
#define AREA     16384u   /* the work area: one write step takes 16336 bytes */

typedef struct {
  GPtrArray        *banks;
  OodFlashGeometry *geometry;
  guint8            flash[SECTORS * SECTOR];
  OodFlashRequest   request;
  guint             compares;   /* compare steps run */
  guint             checks;     /* checksums they asked for */
  guint             small;      /* of fewer than OOD_FLASH_MIN_CHECK bytes */
  gboolean          no_routine; /* sums steps answer that the routine cannot run */
  guint summed; /* runs the routine checksummed (not told apart by their first word) */
} Fx;

static void
fx_init (Fx *fx)
{
  OodTclFlashBank bank = { .index = 0, .target = (char *) "riscv.cpu", .name = (char *) "stm32",
                           .base = BASE, .size = SECTORS * SECTOR };
  GArray *sectors = g_array_new (FALSE, FALSE, sizeof (OodTclFlashSector));

  memset (fx, 0, sizeof *fx);
  fx->banks = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_tcl_flash_bank_free);
  g_ptr_array_add (fx->banks, ood_tcl_flash_bank_copy (&bank));
  for (guint i = 0; i < SECTORS; i++)
    {
      OodTclFlashSector sector = { .index = i, .offset = i * SECTOR, .size = SECTOR };
      g_array_append_val (sectors, sector);
    }
  fx->geometry = ood_flash_geometry_new ();
  fx->geometry->work_area = AREA;
  fx->geometry->sums_routine = 0;   /* the search; the sums-* cases set it */
  g_hash_table_insert (fx->geometry->sectors, GUINT_TO_POINTER (0), sectors);
  memset (fx->flash, 0xff, sizeof fx->flash);
  fx->request = (OodFlashRequest) { .op = OOD_FLASH_PROGRAM, .erase = TRUE, .verify = TRUE,
                                    .smart = TRUE };
}

/* The same flash as two banks of 16 sectors each, one after the other. */
static void
fx_init_two_banks (Fx *fx)
{
  fx_init (fx);
  g_ptr_array_set_size (fx->banks, 0);
  g_hash_table_remove_all (fx->geometry->sectors);
  for (guint b = 0; b < 2; b++)
    {
      OodTclFlashBank bank = { .index = b, .target = (char *) "riscv.cpu",
                               .name = (char *) "stm32", .base = BASE + b * (SECTORS / 2) * SECTOR,
                               .size = (SECTORS / 2) * SECTOR };
      GArray *sectors = g_array_new (FALSE, FALSE, sizeof (OodTclFlashSector));

      g_ptr_array_add (fx->banks, ood_tcl_flash_bank_copy (&bank));
      for (guint i = 0; i < SECTORS / 2; i++)
        {
          OodTclFlashSector sector = { .index = i, .offset = i * SECTOR, .size = SECTOR };
          g_array_append_val (sectors, sector);
        }
      g_hash_table_insert (fx->geometry->sectors, GUINT_TO_POINTER (b), sectors);
    }
}

static void
fx_clear (Fx *fx)
{
  ood_flash_geometry_unref (fx->geometry);
  g_ptr_array_unref (fx->banks);
}

static void
segment_clear (gpointer data)
{
  g_byte_array_unref (((OodImageSegment *) data)->data);
}

/* Adds @length bytes at @offset of the bank to the image @segments: a
 * pattern, so that no two sectors' bytes are alike. */
static GArray *
image_add (GArray *segments, guint32 offset, gsize length)
{
  OodImageSegment segment = { .address = BASE + offset, .data = g_byte_array_sized_new (length) };

  g_byte_array_set_size (segment.data, (guint) length);
  for (gsize i = 0; i < length; i++)
    segment.data->data[i] = (guint8) ((offset + i) * 7 + (offset + i) / 251);
  g_array_append_val (segments, segment);
  return segments;
}

/* An image of @length bytes at @offset of the bank. */
static GArray *
image_at (guint32 offset, gsize length)
{
  GArray *segments = g_array_new (FALSE, FALSE, sizeof (OodImageSegment));

  g_array_set_clear_func (segments, segment_clear);
  return image_add (segments, offset, length);
}

/* The flash holds @segments already (as programmed). */
static void
flash_holds (Fx *fx, GArray *segments)
{
  for (guint i = 0; i < segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (segments, OodImageSegment, i);
      memcpy (fx->flash + (segment->address - BASE), segment->data->data, segment->data->len);
    }
}

static gboolean
flash_equal (Fx *fx, guint64 address, const guint8 *data, gsize length)
{
  return memcmp (fx->flash + (address - BASE), data, length) == 0;
}

static void
describe (GString *text, const OodFlashStep *step)
{
  switch (step->kind)
    {
    case OOD_FLASH_STEP_HALT:
      g_string_append (text, "halt");
      break;
    case OOD_FLASH_STEP_COMPARE:
      g_string_append_printf (text, "compare 0x%" G_GINT64_MODIFIER "x+0x%zx",
                              step->address - BASE, step->length);
      if (step->length2 > 0)
        g_string_append_printf (text, " 0x%" G_GINT64_MODIFIER "x+0x%zx",
                                step->address2 - BASE, step->length2);
      break;
    case OOD_FLASH_STEP_SUMS:
      g_string_append_printf (text, "sums %u", step->n_runs);
      break;
    case OOD_FLASH_STEP_ERASE:
      g_string_append_printf (text, "erase %u %u %u", step->bank, step->first, step->last);
      break;
    case OOD_FLASH_STEP_WRITE:
      g_string_append_printf (text, "write %u 0x%" G_GINT64_MODIFIER "x+0x%zx", step->bank,
                              step->offset, step->length);
      break;
    case OOD_FLASH_STEP_LOAD:
      g_string_append_printf (text, "load 0x%" G_GINT64_MODIFIER "x+0x%zx", step->address,
                              step->length);
      break;
    case OOD_FLASH_STEP_VERIFY:
      g_string_append_printf (text, "verify 0x%" G_GINT64_MODIFIER "x+0x%zx", step->address,
                              step->length);
      break;
    case OOD_FLASH_STEP_RESET:
    default:
      g_string_append (text, "reset");
      break;
    }
  g_string_append_c (text, '\n');
}

/* The flash holds @segments; is it all there? */
static void
assert_flash_holds (Fx *fx, GArray *segments)
{
  for (guint i = 0; i < segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (segments, OodImageSegment, i);
      g_assert_true (flash_equal (fx, segment->address, segment->data->data, segment->data->len));
    }
}

/* Where bank @index starts in the flash in memory. */
static gsize
bank_start (Fx *fx, guint index)
{
  for (guint i = 0; i < fx->banks->len; i++)
    {
      const OodTclFlashBank *bank = fx->banks->pdata[i];
      if (bank->index == index)
        return bank->base - BASE;
    }
  g_assert_not_reached ();
}

/* What the work does of @step on the flash in memory; for a compare,
 * what it finds. */
static void
run_step (Fx *fx, const OodFlashStep *step, gboolean *equal)
{
  if (step->kind == OOD_FLASH_STEP_COMPARE)
    {
      equal[0] = flash_equal (fx, step->address, step->data, step->length);
      equal[1] = step->length2 > 0 &&
                 flash_equal (fx, step->address2, step->data2, step->length2);
      fx->compares++;
      fx->checks += step->length2 > 0 ? 2 : 1;
      fx->small += (step->length < OOD_FLASH_MIN_CHECK) +
                   (step->length2 > 0 && step->length2 < OOD_FLASH_MIN_CHECK);
    }
  else if (step->kind == OOD_FLASH_STEP_ERASE)
    memset (fx->flash + bank_start (fx, step->bank) + step->first * SECTOR, 0xff,
            (step->last - step->first + 1) * SECTOR);
  else if (step->kind == OOD_FLASH_STEP_WRITE)
    memcpy (fx->flash + bank_start (fx, step->bank) + step->offset, step->data, step->length);
}

/* What the sums script answers of sums step @index of @plan on the
 * flash in memory (unless fx->no_routine), told to the plan: "differs"
 * for a run at a 4-aligned address of 4 bytes or more whose first word
 * is not the step's, else its CRC (fx->summed counts those). */
static gboolean
sums_step (Fx *fx, OodFlashPlan *plan, guint index, guint64 *bytes, guint64 *work)
{
  const OodFlashStep *step = ood_flash_plan_step (plan, index);
  g_autofree guint32 *sums = g_new0 (guint32, step->n_runs);
  g_autofree gboolean *differs = g_new0 (gboolean, step->n_runs);

  for (guint i = 0; i < step->n_runs; i++)
    {
      const guint8 *at = fx->flash + (step->runs[2 * i] - BASE);
      guint32 first = (guint32) at[0] | (guint32) at[1] << 8 | (guint32) at[2] << 16 |
                      (guint32) at[3] << 24;

      differs[i] = step->runs[2 * i] % 4 == 0 && step->runs[2 * i + 1] >= 4 &&
                   first != step->firsts[i];
      if (!differs[i])
        {
          sums[i] = ood_crc32 (at, step->runs[2 * i + 1]);
          fx->summed++;
        }
    }
  return ood_flash_plan_sums_done (plan, index, fx->no_routine ? NULL : sums, differs, bytes, work);
}

/* Runs the plan of @segments (taken) as the work does, compares answered
 * from the flash in memory, erases and writes done to it; then the flash
 * holds the image and BytesDone reached its total. Returns: the steps,
 * one a line. */
static char *
program (Fx *fx, GArray *segments)
{
  g_autoptr(OodFlashPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  GString *text = g_string_new (NULL);
  guint64 bytes_total, work_total, bytes, work, done = 0;

  plan = ood_flash_plan_new (&fx->request, "riscv.cpu", fx->banks, fx->geometry);
  g_assert_true (ood_flash_plan_start (plan, g_array_ref (segments), &bytes_total, &work_total,
                                       &error));
  g_assert_no_error (error);
  for (guint i = 0; i < ood_flash_plan_n_steps (plan); i++)
    {
      const OodFlashStep *step = ood_flash_plan_step (plan, i);
      gboolean equal[2] = { FALSE, FALSE };

      describe (text, step);
      done += step->bytes;
      run_step (fx, step, equal);
      if (step->kind == OOD_FLASH_STEP_SUMS ? sums_step (fx, plan, i, &bytes, &work)
                                            : ood_flash_plan_step_done (plan, i, equal, &bytes,
                                                                        &work))
        done += bytes;
      else
        g_assert_cmpuint (bytes, ==, 0);
    }
  g_assert_cmpuint (done, ==, bytes_total);
  assert_flash_holds (fx, segments);
  g_array_unref (segments);
  return g_string_free (text, FALSE);
}

/* The erase and write steps of @steps (freed), one a line. */
static char *
flash_steps (char *steps)
{
  g_auto(GStrv) lines = g_strsplit (steps, "\n", -1);
  GString *text = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "erase") || g_str_has_prefix (lines[i], "write"))
      g_string_append_printf (text, "%s\n", lines[i]);
  g_free (steps);
  return g_string_free (text, FALSE);
}

/* Programs an image of @length bytes at @offset that the flash holds but
 * for its byte @changed (an offset into the image). */
static char *
program_changed (Fx *fx, guint32 offset, gsize length, gsize changed)
{
  GArray *segments = image_at (offset, length);

  flash_holds (fx, segments);
  g_array_index (segments, OodImageSegment, 0).data->data[changed] ^= 0x5a;
  return program (fx, segments);
}

/* Without smart programming: the pieces of an image spanning sectors,
 * ending mid-sector, erased in one run, written in one step. */
static void
test_pieces (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  fx_init (&fx);
  fx.request.smart = FALSE;
  steps = program (&fx, image_at (0x200, 0x900));
  g_assert_cmpstr (steps, ==, "halt\nerase 0 0 2\nwrite 0 0x200+0x900\nverify 0x8000200+0x900\n");
  fx_clear (&fx);
}

/* Write steps are as large as one loader run, of equal size; a last run
 * of an eighth of one or less rides with the step before it. */
static void
test_write_steps (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  fx_init (&fx);
  fx.request.smart = FALSE;
  fx.request.verify = FALSE;
  steps = program (&fx, image_at (0, 0x8000));
  g_assert_cmpstr (steps, ==, "halt\nerase 0 0 31\nwrite 0 0x0+0x3fd0\nwrite 0 0x3fd0+0x4030\n");
  g_clear_pointer (&steps, g_free);
  /* a last run of more than an eighth of one: equal steps */
  steps = program (&fx, image_at (0, 0x5000));
  g_assert_cmpstr (steps, ==, "halt\nerase 0 0 19\nwrite 0 0x0+0x2800\nwrite 0 0x2800+0x2800\n");
  fx_clear (&fx);
}

/* Smart, an image the flash holds: compares only (the image's bytes
 * counted as done all the same). */
static void
test_unchanged (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  GArray *segments;

  fx_init (&fx);
  segments = image_at (0, 16 * SECTOR);
  flash_holds (&fx, segments);
  steps = program (&fx, segments);
  g_assert_cmpstr (steps, ==, "halt\ncompare 0x0+0x2000 0x2000+0x2000\n");
  fx_clear (&fx);
}

/* Smart, a new image on erased flash: its halves both differ, so all of
 * it is programmed, in one erase and one write (16 KiB: two loader runs,
 * the second of 48 bytes). */
static void
test_new_image (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  fx_init (&fx);
  steps = program (&fx, image_at (0, 16 * SECTOR));
  g_assert_cmpstr (steps, ==,
                   "halt\ncompare 0x0+0x2000 0x2000+0x2000\nerase 0 0 15\n"
                   "write 0 0x0+0x4000\nverify 0x8000000+0x4000\n");
  fx_clear (&fx);
}

/* Smart, one sector changed: the halves find the half, the search the
 * sector, each check a window of OOD_FLASH_MIN_CHECK bytes at least
 * (the half checked widened over sectors known equal), and the rest
 * after it in one check; only the sector is erased, written and
 * verified. */
static void
test_one_sector (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  fx_init (&fx);
  steps = program_changed (&fx, 0, 16 * SECTOR, 9 * SECTOR + 17);
  g_assert_cmpstr (steps, ==, "halt\ncompare 0x0+0x2000 0x2000+0x2000\n"
                              "compare 0x1c00+0x1400\ncompare 0x1400+0x1400\n"
                              "compare 0x1000+0x1400\ncompare 0x2800+0x1800\n"
                              "erase 0 9 9\nwrite 0 0x2400+0x400\nverify 0x8002400+0x400\n");
  g_assert_cmpuint (fx.compares, ==, 5);
  g_assert_cmpuint (fx.checks, ==, 6);
  g_assert_cmpuint (fx.small, ==, 0);
  fx_clear (&fx);
}

/* Any one sector changed, of images of 16 and 32 sectors, the second
 * ending mid-sector: that sector alone programmed, in few checks, all
 * of OOD_FLASH_MIN_CHECK bytes at least but for the bytes between the
 * sector and an end of the image when they are fewer. */
static void
test_every_sector (void)
{
  const gsize sizes[] = { 16 * SECTOR, 32 * SECTOR - 0x155 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint n = (guint) ((sizes[s] + SECTOR - 1) / SECTOR);

      for (guint k = 0; k < n; k++)
        {
          Fx fx;
          gsize changed = MIN (k * SECTOR + (k * 131) % SECTOR, sizes[s] - 1);
          gsize before = k * SECTOR, after = sizes[s] - MIN ((k + 1) * SECTOR, sizes[s]);
          g_autofree char *flash = NULL, *expected = NULL;

          fx_init (&fx);
          flash = flash_steps (program_changed (&fx, 0, sizes[s], changed));
          expected = g_strdup_printf ("erase 0 %u %u\nwrite 0 0x%x+0x%zx\n", k, k, k * SECTOR,
                                      MIN (SECTOR, sizes[s] - k * SECTOR));
          g_assert_cmpstr (flash, ==, expected);

          /* what lies between the sector and an end of the image, if
           * less than a window, can only be checked alone */
          g_assert_cmpuint (fx.small, <=, (before > 0 && before < OOD_FLASH_MIN_CHECK) +
                                              (after > 0 && after < OOD_FLASH_MIN_CHECK));
          g_assert_cmpuint (fx.compares, <=, g_bit_storage (n) + 2);
          fx_clear (&fx);
        }
    }
}

/* Two sectors changed in one half: the search finds the first, and the
 * rest of the half, found to differ too, is programmed whole. */
static void
test_two_sectors (void)
{
  Fx fx;
  GArray *segments;
  g_autofree char *flash = NULL;

  fx_init (&fx);
  segments = image_at (0, 16 * SECTOR);
  flash_holds (&fx, segments);
  fx.flash[9 * SECTOR] ^= 1;
  fx.flash[13 * SECTOR] ^= 1;
  flash = flash_steps (program (&fx, segments));
  g_assert_cmpstr (flash, ==, "erase 0 9 15\nwrite 0 0x2400+0x1c00\n");
  fx_clear (&fx);
}

/* The changed byte the last of a sector, and the last of an image
 * ending mid-sector. */
static void
test_last_bytes (void)
{
  Fx fx;
  g_autofree char *flash = NULL;

  fx_init (&fx);
  flash = flash_steps (program_changed (&fx, 0, 16 * SECTOR, 6 * SECTOR - 1));
  g_assert_cmpstr (flash, ==, "erase 0 5 5\nwrite 0 0x1400+0x400\n");
  g_free (flash);
  flash = flash_steps (program_changed (&fx, 0x100, 12 * SECTOR + 0x123, 12 * SECTOR + 0x122));
  g_assert_cmpstr (flash, ==, "erase 0 12 12\nwrite 0 0x3000+0x223\n");
  fx_clear (&fx);
}

/* Segments apart: one erase per run of sectors, one write per run of
 * bytes. */
static void
test_erase_runs (void)
{
  Fx fx;
  g_autofree char *flash = NULL;

  fx_init (&fx);
  fx.request.smart = FALSE;
  flash = flash_steps (program (&fx, image_add (image_at (0, 2 * SECTOR), 4 * SECTOR,
                                                2 * SECTOR)));
  g_assert_cmpstr (flash, ==,
                   "erase 0 0 1\nerase 0 4 5\nwrite 0 0x0+0x800\nwrite 0 0x1000+0x800\n");
  fx_clear (&fx);
}

/* Smart, two segments sharing a sector, one of them changed there: the
 * sector is erased, so the other's piece in it is written again. */
static void
test_shared_sector (void)
{
  Fx fx;
  GArray *segments;
  g_autofree char *flash = NULL;

  fx_init (&fx);
  segments = image_add (image_at (0, 0x600), 0x700, 0x900);
  flash_holds (&fx, segments);
  fx.flash[0x750] ^= 1;
  flash = flash_steps (program (&fx, segments));
  g_assert_cmpstr (flash, ==, "erase 0 1 1\nwrite 0 0x400+0x200\nwrite 0 0x700+0x100\n");
  fx_clear (&fx);
}

/* An image across two banks: each bank's part erased and written in its
 * own bank; smart, an unchanged image writes nothing and one changed byte
 * beyond the border rewrites its sector of the second bank alone. */
static void
test_two_banks (void)
{
  Fx fx;
  g_autofree char *plain = NULL;
  g_autofree char *unchanged = NULL;
  g_autofree char *changed = NULL;
  GArray *segments;

  fx_init_two_banks (&fx);
  fx.request.smart = FALSE;
  plain = flash_steps (program (&fx, image_at (14 * SECTOR, 4 * SECTOR)));
  g_assert_cmpstr (plain, ==,
                   "erase 0 14 15\nerase 1 0 1\nwrite 0 0x3800+0x800\nwrite 1 0x0+0x800\n");
  fx.request.smart = TRUE;
  segments = image_at (14 * SECTOR, 4 * SECTOR);
  unchanged = flash_steps (program (&fx, segments));
  g_assert_cmpstr (unchanged, ==, "");
  changed = flash_steps (program_changed (&fx, 14 * SECTOR, 4 * SECTOR, 3 * SECTOR + 5));
  g_assert_cmpstr (changed, ==, "erase 1 1 1\nwrite 1 0x400+0x400\n");
  fx_clear (&fx);
}

/* An image byte outside the banks fails the plan. */
static void
test_outside (void)
{
  Fx fx;
  g_autoptr(OodFlashPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  guint64 bytes, work;

  fx_init (&fx);
  plan = ood_flash_plan_new (&fx.request, "riscv.cpu", fx.banks, fx.geometry);
  g_assert_false (ood_flash_plan_start (plan, image_at (SECTORS * SECTOR - 0x10, 0x20), &bytes,
                                        &work, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, "0x8008000"));
  fx_clear (&fx);
}

/* CRC-32 on known vectors (zlib's crc32 of them). */
static void
test_crc32 (void)
{
  static const guint8 zeros[32] = { 0 };

  g_assert_cmpuint (ood_crc32 (NULL, 0), ==, 0);
  g_assert_cmpuint (ood_crc32 ((const guint8 *) "a", 1), ==, 0xe8b7be43);
  g_assert_cmpuint (ood_crc32 ((const guint8 *) "123456789", 9), ==, 0xcbf43926);
  g_assert_cmpuint (ood_crc32 ((const guint8 *) "The quick brown fox jumps over the lazy dog", 43),
                    ==, 0x414fa339);
  g_assert_cmpuint (ood_crc32 (zeros, sizeof zeros), ==, 0x190a55ad);
}

/* With the checksum routine: one sums step judges every piece, whatever
 * their number; an unchanged image costs it alone. */
static void
test_sums_unchanged (void)
{
  Fx fx;
  g_autofree char *steps = NULL;
  GArray *segments;

  fx_init (&fx);
  fx.geometry->sums_routine = OOD_SUMS_ROUTINE_SIZE;
  segments = image_at (0, 16 * SECTOR);
  flash_holds (&fx, segments);
  steps = program (&fx, segments);
  g_assert_cmpstr (steps, ==, "halt\nsums 16\n");
  fx_clear (&fx);
}

/* With the checksum routine, one sector changed (its last byte), of an
 * image ending mid-sector: the sums step, then that sector alone. */
static void
test_sums_one_sector (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  fx_init (&fx);
  fx.geometry->sums_routine = OOD_SUMS_ROUTINE_SIZE;
  steps = program_changed (&fx, 0, 20 * SECTOR + 0x100, 10 * SECTOR - 1);
  g_assert_cmpstr (steps, ==, "halt\nsums 21\nerase 0 9 9\nwrite 0 0x2400+0x400\n"
                              "verify 0x8002400+0x400\n");
  g_assert_cmpuint (fx.compares, ==, 0);
  fx_clear (&fx);
}

/* With the checksum routine, onto erased flash: every piece's first
 * word differs, so none is checksummed (the script then does not run the
 * routine at all), and the whole image is programmed; with one sector
 * whose first word is the image's, that sector alone is checksummed. */
static void
test_sums_erased (void)
{
  Fx fx;
  g_autofree char *steps = NULL;
  GArray *segments;

  fx_init (&fx);
  fx.geometry->sums_routine = OOD_SUMS_ROUTINE_SIZE;
  segments = image_at (0, 8 * SECTOR);
  steps = program (&fx, segments);
  g_assert_cmpstr (steps, ==,
                   "halt\nsums 8\nerase 0 0 7\nwrite 0 0x0+0x2000\n"
                   "verify 0x8000000+0x2000\n");
  g_assert_cmpuint (fx.summed, ==, 0);

  memset (fx.flash, 0xff, sizeof fx.flash);
  segments = image_at (0, 8 * SECTOR);
  memcpy (fx.flash + 3 * SECTOR,
          g_array_index (segments, OodImageSegment, 0).data->data + 3 * SECTOR, 4);
  g_clear_pointer (&steps, g_free);
  steps = program (&fx, segments);
  g_assert_cmpstr (steps, ==,
                   "halt\nsums 8\nerase 0 0 7\nwrite 0 0x0+0x2000\n"
                   "verify 0x8000000+0x2000\n");
  g_assert_cmpuint (fx.summed, ==, 1);
  fx_clear (&fx);
}

/* The routine could not run (the script said so): the search follows,
 * as without the routine. */
static void
test_sums_fallback (void)
{
  Fx fx;
  g_autofree char *steps = NULL;

  fx_init (&fx);
  fx.geometry->sums_routine = OOD_SUMS_ROUTINE_SIZE;
  fx.no_routine = TRUE;
  steps = program_changed (&fx, 0, 16 * SECTOR, 9 * SECTOR + 17);
  g_assert_cmpstr (steps, ==, "halt\nsums 16\ncompare 0x0+0x2000 0x2000+0x2000\n"
                              "compare 0x1c00+0x1400\ncompare 0x1400+0x1400\n"
                              "compare 0x1000+0x1400\ncompare 0x2800+0x1800\n"
                              "erase 0 9 9\nwrite 0 0x2400+0x400\nverify 0x8002400+0x400\n");
  fx_clear (&fx);
}

/* A work area too small for the routine with every piece's parameters:
 * no sums step, the search. */
static void
test_sums_too_small (void)
{
  Fx fx;
  g_autofree char *steps = NULL;
  GArray *segments;

  fx_init (&fx);
  fx.geometry->sums_routine = OOD_SUMS_ROUTINE_SIZE;
  fx.geometry->work_area = ood_tcl_flash_sums_footprint (OOD_SUMS_ROUTINE_SIZE, 16) - 1;
  segments = image_at (0, 16 * SECTOR);
  flash_holds (&fx, segments);
  steps = program (&fx, segments);
  g_assert_cmpstr (steps, ==, "halt\ncompare 0x0+0x2000 0x2000+0x2000\n");
  fx.geometry->work_area = ood_tcl_flash_sums_footprint (OOD_SUMS_ROUTINE_SIZE, 16);
  g_clear_pointer (&steps, g_free);
  segments = image_at (0, 16 * SECTOR);
  steps = program (&fx, segments);
  g_assert_cmpstr (steps, ==, "halt\nsums 16\n");
  fx_clear (&fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flash-plan/pieces", test_pieces);
  g_test_add_func ("/flash-plan/write-steps", test_write_steps);
  g_test_add_func ("/flash-plan/unchanged", test_unchanged);
  g_test_add_func ("/flash-plan/new-image", test_new_image);
  g_test_add_func ("/flash-plan/one-sector", test_one_sector);
  g_test_add_func ("/flash-plan/every-sector", test_every_sector);
  g_test_add_func ("/flash-plan/two-sectors", test_two_sectors);
  g_test_add_func ("/flash-plan/last-bytes", test_last_bytes);
  g_test_add_func ("/flash-plan/erase-runs", test_erase_runs);
  g_test_add_func ("/flash-plan/shared-sector", test_shared_sector);
  g_test_add_func ("/flash-plan/outside", test_outside);
  g_test_add_func ("/flash-plan/crc32", test_crc32);
  g_test_add_func ("/flash-plan/sums-unchanged", test_sums_unchanged);
  g_test_add_func ("/flash-plan/sums-one-sector", test_sums_one_sector);
  g_test_add_func ("/flash-plan/sums-erased", test_sums_erased);
  g_test_add_func ("/flash-plan/sums-fallback", test_sums_fallback);
  g_test_add_func ("/flash-plan/sums-too-small", test_sums_too_small);
  g_test_add_func ("/flash-plan/two-banks", test_two_banks);
  return g_test_run ();
}
