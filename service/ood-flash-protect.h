/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-session.h"

G_BEGIN_DECLS

/*
 * Write protection of a run of a bank's sectors (org.openocd.Flash.Protect),
 * on the session: no D-Bus here.
 *
 * First the bank's listing is read ("flash info BANK sectors" and "flash
 * info BANK"): the sectors must exist and make whole protection blocks
 * (the stm32f1x driver protects 4 KiB blocks of four 1 KiB sectors),
 * else InvalidArgs and nothing is done. Then, the target claimed for the
 * while (org.openocd.Error.Busy if a job holds it), one command: a halt
 * if the target runs, OpenOCD's "flash protect" of the blocks, and a
 * reset, since the part loads its option bytes, and so the protection
 * OpenOCD reports and the flash enforces, only at a reset ("reset halt"
 * for a halted target, "reset run" for a running one); then the bank's
 * listing is read again, whatever happened. Measured on the simulated
 * board: "flash protect" takes about 13 ms, the whole command about
 * 20 ms, so this is one call, not a job.
 *
 * The protection of every sector comes from that last listing, never
 * from what was asked: where it does not show what was asked after the
 * reset, the operation fails with OOD_ERROR_FLASH. Where OpenOCD failed
 * the protect (no reset then; a running target is resumed), the error is
 * OOD_ERROR_FLASH with OpenOCD's text; where it failed the reset,
 * OOD_ERROR_TARGET with its text. Both messages end with the bank's
 * protection as read at the end.
 */

typedef struct {
  guint    bank;
  guint    first;     /* sectors, inclusive */
  guint    last;
  gboolean on;
} OodFlashProtectRequest;

void     ood_flash_protect_async  (OodSession                   *session,
                                   const char                   *target,
                                   const OodFlashProtectRequest *request,
                                   GCancellable                 *cancellable,
                                   GAsyncReadyCallback           callback,
                                   gpointer                      user_data);
gboolean ood_flash_protect_finish (OodSession   *session,
                                   GAsyncResult *result,
                                   GArray      **sectors,
                                   GError      **error);

G_END_DECLS
