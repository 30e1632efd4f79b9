/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-image.h"
#include "ood-job.h"
#include "ood-session.h"
#include "ood-tcl-types.h"

G_BEGIN_DECLS

/*
 * The work behind one flash job, in chunks: each chunk is one command on
 * the session, so other callers' commands (State(), reads) go between
 * chunks, Progress moves after each, and Cancel() takes effect before
 * the next. The image is read from the client's descriptor without
 * blocking (ood-fd.h: the job fails with Stalled if it moves no byte for
 * the settings' fd_stall_timeout_ms), kept in memory (at most
 * OOD_FLASH_MAX_IMAGE bytes), and each chunk is handed to OpenOCD in a
 * private file of the work directory, removed when the work ends,
 * however it ends. The descriptor is closed once read to its end, or
 * when the work ends. The work holds the target's claim and releases it
 * at the end.
 */

#define OOD_FLASH_CHUNK     4096u
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
  gboolean       reset;        /* reset after Program, in reset_mode */
  OodResetMode   reset_mode;
  guint          bank;         /* Erase: bank and sectors */
  guint          first;
  guint          last;
} OodFlashRequest;

void ood_flash_work_start (OodSession            *session,
                           OodJob                *job,
                           const char            *target,
                           GPtrArray             *banks,
                           const char            *work_dir,
                           gboolean               shared_dir,
                           GInputStream          *image,
                           const char            *image_owner,
                           const OodFlashRequest *request);

G_END_DECLS
