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
 * (ood-job.h) exported on the ObjectManager the interface was handed.
 *
 * A bank OpenOCD refuses to list ("flash info" fails: OpenOCD 0.12's
 * stm32f1x driver on bank 1 of a dual-bank part, whose protection check
 * reads bank 0's registers only) while it lists another of the target's:
 * the one command tells each bank's refusal apart (with OpenOCD's text),
 * and a refused bank gets sectors of the size of those of the first listed
 * bank whose sectors are all one size (the stm32f1x driver gives both
 * banks of a part one page size), protection unknown; if that size does
 * not divide the bank, the call fails with OpenOCD's refusal. Sectors of
 * such a bank answers that listing. */

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
