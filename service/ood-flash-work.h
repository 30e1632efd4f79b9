/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-image.h"
#include "ood-job.h"
#include "ood-session.h"
#include "ood-tcl-types.h"

G_BEGIN_DECLS

/*
 * The work behind one flash job, in steps: each step is one command on
 * the session, so other callers' commands (State(), reads) go between
 * steps, Progress moves after each (one PropertiesChanged per step), and
 * Cancel() takes effect before the next.
 *
 * Steps are sized to the flash driver: a write step is what one run of
 * the driver's loader takes (OOD_FLASH_LOADER_SIZE less than the work
 * area, the stm32f1x driver's RISC-V loader; the image's run of bytes is
 * cut into equal steps no larger), so the steps cost no more loader
 * runs than one write would; an erase step is one run of consecutive
 * sectors. On a 16 KiB work area (16336 bytes a run) the progress moves
 * by write steps of 10924 bytes for a 32 KiB image (3 steps), 13108
 * bytes for 64 KiB (5) and 16132 bytes for 1 MiB (65); without a work
 * area (the driver then writes half-word by half-word) by 4 KiB.
 *
 * Smart programming (Program's "smart", on by default): before erasing,
 * the work judges which sectors already hold the image, on the target,
 * with OpenOCD's verify_image_checksum (the checksum runs on the target:
 * no flash is read back over the link) of the image's bytes in a run of
 * sectors. Per segment of the image: its first sector first, and if it
 * differs its last one: both differing, the whole segment is programmed
 * (a new image, or erased flash: two small checks). Otherwise the rest
 * is judged by halves, both halves checked in one command (a second
 * private file holds the second half until the judging ends): a run
 * whose halves both match is left alone, one whose halves both differ
 * is programmed, and the half that differs beside one that matches is
 * split likewise (its second half is then known to differ when its
 * first matches), down to single sectors. An unchanged image costs
 * three checks in two commands; one changed sector about one and a
 * half checks per halving. Sectors that match are
 * neither erased nor written nor verified again.
 *
 * The image is read from the client's descriptor without
 * blocking (ood-fd.h: the job fails with Stalled if it moves no byte for
 * the settings' fd_stall_timeout_ms), kept in memory (at most
 * OOD_FLASH_MAX_IMAGE bytes), and each step's bytes are handed to OpenOCD in a
 * private file of the work directory, removed when the work ends,
 * however it ends. The image is read from the client's descriptor without
 * blocking (ood-fd.h: the job fails with Stalled if it moves no byte for
 * the settings' fd_stall_timeout_ms), kept in memory (at most
 * OOD_FLASH_MAX_IMAGE bytes), and each chunk is handed to OpenOCD in a
 * private file of the work directory, removed when the work ends,
 * however it ends. The descriptor is closed once read to its end, or
 * when the work ends. The work holds the target's claim and releases it
 * at the end.
 */

#define OOD_FLASH_CHUNK     4096u
/* What OpenOCD 0.12's stm32f1x driver keeps of the work area on RISC-V
 * (src/flash/nor/stm32f1x.c, stm32x_write_block_riscv): its loader,
 * 48 bytes; the rest is the buffer one loader run writes. */
#define OOD_FLASH_LOADER_SIZE 48u
#define OOD_FLASH_MAX_IMAGE (16u * 1024 * 1024)

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
} OodFlashGeometry;

OodFlashGeometry *ood_flash_geometry_new   (void);
OodFlashGeometry *ood_flash_geometry_ref   (OodFlashGeometry *geometry);
void              ood_flash_geometry_unref (OodFlashGeometry *geometry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodFlashGeometry, ood_flash_geometry_unref)

gsize ood_flash_write_step (guint64 work_area);

void ood_flash_work_start (OodSession            *session,
                           OodJob                *job,
                           const char            *target,
                           GPtrArray             *banks,
                           OodFlashGeometry      *geometry,
                           const char            *work_dir,
                           gboolean               shared_dir,
                           GInputStream          *image,
                           const char            *image_owner,
                           const OodFlashRequest *request);

G_END_DECLS
