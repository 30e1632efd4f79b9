/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-image.h"
#include "ood-tcl-flash.h"
#include "ood-tcl-types.h"

G_BEGIN_DECLS

/*
 * The plan of one flash job: its steps, and smart programming's judging
 * of which sectors to program. Pure code: no I/O, no session, no files;
 * the work (ood-flash-work.h) runs the steps and tells the plan what
 * each found, and the plan adds the steps that follow.
 *
 * Each step is one command on the session. Steps are sized to the flash
 * driver: a write step is what one run of the driver's loader takes
 * (OOD_FLASH_LOADER_SIZE less than the work area, the stm32f1x driver's
 * RISC-V loader; a run of bytes to program is cut into equal steps no
 * larger, but a last loader run of an eighth of one or less rides with
 * the step before), so the steps cost no more loader runs than one
 * write would; an erase step is one run of consecutive sectors. On a
 * 16 KiB work area (16336 bytes a run) a 32 KiB image is written in 2
 * steps (16336 bytes, then 16432: a run and 96 bytes), 64 KiB in 4
 * (16336 bytes, the last 16528) and 1 MiB in 65 of 16132 bytes;
 * without a work area (the driver then writes half-word by half-word)
 * of 4 KiB. A verify step is one per run (OpenOCD checksums on the
 * target), except for Verify, whose steps are of 4 KiB.
 *
 * Program cuts the image into pieces: the bytes of one segment in one
 * sector. An image byte in no sector of the target's banks fails the
 * plan.
 *
 * Smart programming (Program's "smart", on by default): after the halt,
 * the plan judges which pieces the flash holds already.
 *
 * Where the service's own checksum routine can run (the geometry has it,
 * sums_routine; the work area takes it with its parameters, results,
 * table and stack for every piece, ood_tcl_flash_sums_footprint(); the
 * pieces lie below 4 GiB), that is one sums step. In one command, the
 * first word of each piece (at a 4-aligned address, of 4 bytes or more)
 * is read: a piece whose first word is not the image's differs, and is
 * not checksummed, so that onto erased flash, or over another image, the
 * routine does not run at all and judging costs a word read a piece. One
 * run of the routine on the target then answers the CRC-32 of every
 * other piece; each whose CRC is its image bytes' (ood_crc32()) is
 * equal, the others differ. Whatever the number of pieces, that run
 * costs the routine (480 bytes) and its parameters written, one run
 * reading those pieces' flash on the target, the results read back (one
 * word a piece). On the simulated board a 32 KiB image with one sector changed
 * is judged in one command instead of the search's 5 to 7 checksum
 * runs. Where the script finds that the routine cannot run (not a
 * 32-bit RISC-V target, no physical work area, the write refused:
 * nothing changed), or where the plan does not try it, the search below
 * judges instead; a run that started and failed fails the job.
 *
 * The search judges by compare steps, each one or two checksums on the
 * target of windows of adjacent pieces of one segment (OpenOCD's
 * verify_image_checksum; a window of fewer than OOD_FLASH_MIN_CHECK
 * bytes OpenOCD reads back instead, so windows are made that large
 * wherever the pieces known equal allow).
 * Each checksum costs an algorithm run (OpenOCD uploads its 1100-byte
 * routine each time), so the plan spends as few as it can:
 *
 * - a segment's halves first, in one command: both matching, the
 *   segment is equal; both differing, it is programmed whole (a new
 *   image, or erased flash); else the half that differs is searched,
 *   the other one known equal (a segment whose halves are smaller than
 *   a window is checked whole, and searched if it differs);
 * - a search checks one half of its run (the left one, or the right
 *   one when only its window can be filled), widened over the pieces
 *   known equal beside it: matching, the difference is in the other
 *   half; differing, it is in this one, and the other half is left for
 *   a check after the search (joined to those left beside it), down to
 *   one piece, which differs;
 * - what the search left is then checked in one window: matching, it
 *   is equal; differing (a second difference), it is programmed whole.
 *   A search that can fill neither half's window has what it left
 *   beside it checked first (those may be the pieces known equal it
 *   lacks); failing that, it checks the left half alone.
 *
 * An unchanged image costs two checksums in one command; one changed
 * piece of n about log2(n) + 2 in as many commands, all of windows of
 * OOD_FLASH_MIN_CHECK bytes but for the pieces between the changed one
 * and an end of its segment when they are fewer (they can be checked
 * only alone). Pieces that match are neither erased nor written nor
 * verified again, unless another piece of their sector is erased.
 */

#define OOD_FLASH_CHUNK     4096u
/* What OpenOCD 0.12's stm32f1x driver keeps of the work area on RISC-V
 * (src/flash/nor/stm32f1x.c, stm32x_write_block_riscv): its loader,
 * 48 bytes; the rest is the buffer one loader run writes. */
#define OOD_FLASH_LOADER_SIZE 48u
#define OOD_FLASH_MAX_IMAGE (16u * 1024 * 1024)
/* The fewest bytes OpenOCD 0.12 checksums on a RISC-V target: below
 * four times the size of its CRC routine (1100 bytes, with its table;
 * src/target/riscv/riscv.c, riscv_checksum_memory) it reads the memory
 * back over the link and checksums it itself. */
#define OOD_FLASH_MIN_CHECK 4400u

typedef enum {
  OOD_FLASH_PROGRAM,
  OOD_FLASH_LOAD,
  OOD_FLASH_ERASE,
  OOD_FLASH_VERIFY,
} OodFlashOp;

typedef struct {
  OodFlashOp     op;
  OodImageFormat format;
  guint64        address;
  gboolean       verify;
  gboolean       erase;
  gboolean       smart;        /* leave sectors that hold the image alone */
  gboolean       reset;        /* reset after Program, in reset_mode */
  OodResetMode   reset_mode;
  guint          bank;         /* Erase: bank and sectors */
  guint          first;
  guint          last;
} OodFlashRequest;

/* What a job needs to know of the target's flash, learnt once per
 * connection (ood-flash.c): reference counted, never changed. */
typedef struct {
  GHashTable *sectors;     /* bank index → GArray of OodTclFlashSector */
  guint64     work_area;   /* the target's work area, bytes (0: none) */
  gsize       sums_routine; /* the checksum routine's size (0: judge by the
                             * search); ood_flash_geometry_new() sets it */
} OodFlashGeometry;

OodFlashGeometry *ood_flash_geometry_new   (void);
OodFlashGeometry *ood_flash_geometry_ref   (OodFlashGeometry *geometry);
void              ood_flash_geometry_unref (OodFlashGeometry *geometry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodFlashGeometry, ood_flash_geometry_unref)

gsize ood_flash_write_step (guint64 work_area);
gsize ood_flash_write_steps (guint64 work_area, gsize length, gsize *size);

typedef enum {
  OOD_FLASH_STEP_HALT,
  OOD_FLASH_STEP_COMPARE,
  OOD_FLASH_STEP_SUMS,
  OOD_FLASH_STEP_ERASE,
  OOD_FLASH_STEP_WRITE,
  OOD_FLASH_STEP_LOAD,
  OOD_FLASH_STEP_VERIFY,
  OOD_FLASH_STEP_RESET,
} OodFlashStepKind;

/* One command of the work. Its bytes (@data, @data2) point into the
 * plan's image, valid while the plan lives. */
typedef struct {
  OodFlashStepKind kind;
  const char      *phase;      /* the job's phase while it runs */
  guint            bank;
  guint            first, last;   /* ERASE: sectors; COMPARE: pieces first..last-1 */
  guint64          offset;        /* WRITE: in the bank */
  guint64          address;       /* LOAD, VERIFY, COMPARE */
  const guint8    *data;
  gsize            length;
  guint64          bytes;         /* what it counts for in BytesDone */
  guint64          work;          /* and in Progress */
  /* COMPARE of two runs at once: the second (length2 0: none) */
  guint            first2, last2;
  guint64          address2;
  const guint8    *data2;
  gsize            length2;
  /* SUMS: address, length of each of n_runs pieces, to checksum, and
   * the first word of each (little-endian) */
  const guint64   *runs;
  const guint32 *firsts;
  guint            n_runs;
} OodFlashStep;

typedef struct _OodFlashPlan OodFlashPlan;

OodFlashPlan       *ood_flash_plan_new       (const OodFlashRequest *request,
                                              const char            *target,
                                              GPtrArray             *banks,
                                              OodFlashGeometry      *geometry);
void                ood_flash_plan_free      (OodFlashPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodFlashPlan, ood_flash_plan_free)

gboolean            ood_flash_plan_start     (OodFlashPlan *plan,
                                              GArray       *segments,
                                              guint64      *bytes_total,
                                              guint64      *work_total,
                                              GError      **error);
guint               ood_flash_plan_n_steps   (OodFlashPlan *plan);
const OodFlashStep *ood_flash_plan_step      (OodFlashPlan *plan,
                                              guint         index);
gboolean            ood_flash_plan_step_done (OodFlashPlan   *plan,
                                              guint           index,
                                              const gboolean *equal,
                                              guint64        *bytes,
                                              guint64        *work);
gboolean ood_flash_plan_sums_done (OodFlashPlan *plan, guint index, const guint32 *sums,
                                   const gboolean *differs, guint64 *bytes, guint64 *work);

G_END_DECLS
