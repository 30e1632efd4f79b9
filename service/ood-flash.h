/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"

G_BEGIN_DECLS

/* org.openocd.Flash of one target with flash banks: Banks is constant
 * (learnt at connect); Sectors asks OpenOCD (and refreshes the listing
 * the jobs use); Program, Load, Erase and Verify check every argument,
 * with the banks' sector listing and the target's work area (learnt once
 * per connection, in one command, forgotten when the session opens
 * again), then claim the target on the session and start a job
 * (ood-job.h) exported on the ObjectManager the interface was handed. */

#define OOD_TYPE_FLASH (ood_flash_get_type ())
G_DECLARE_FINAL_TYPE (OodFlash, ood_flash, OOD, FLASH, OodDbusFlashSkeleton)

OodFlash *ood_flash_new (OodSession               *session,
                         GDBusObjectManagerServer *server,
                         const char               *target_name,
                         const char               *target_path,
                         GPtrArray                *banks,
                         const char               *work_dir,
                         gboolean                  shared_dir);

G_END_DECLS
