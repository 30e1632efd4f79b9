/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-flash-plan.h"
#include "ood-job.h"
#include "ood-session.h"

G_BEGIN_DECLS

/*
 * The running of one flash job's steps (ood-flash-plan.h plans them):
 * each step is one command on the session, so other callers' commands
 * (State(), reads) go between steps, Progress moves after each (one
 * PropertiesChanged per step), and Cancel() takes effect before the
 * next. What a compare step found goes back to the plan, which plans
 * what follows.
 *
 * The image is read from the client's descriptor without blocking
 * (ood-fd.h: the job fails with Stalled if it moves no byte for the
 * settings' fd_stall_timeout_ms), kept in memory (at most
 * OOD_FLASH_MAX_IMAGE bytes) and parsed, and each step's bytes are
 * handed to OpenOCD in a private file of the work directory (a second
 * one holds a compare's second run while smart programming judges),
 * removed when the work ends, however it ends. The descriptor is closed
 * once read to its end, or when the work ends. The work holds the
 * target's claim and releases it at the end.
 */

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
