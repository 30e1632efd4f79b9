/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-session.h"

G_BEGIN_DECLS

/*
 * Whether OpenOCD still reaches its targets (the adapter or a target's
 * debug link can fail while OpenOCD itself answers). OpenOCD announces a
 * target it cannot poll with "examine-fail" and its recovery with
 * "examine-end", like every event without naming the target: that goes
 * for all targets. OpenOCD 0.12 polls a RISC-V target it cannot reach
 * without saying so (riscv-013 takes a failed dmstatus read for a running
 * hart), so those targets are checked here, every probe interval (an
 * option of the daemon), by reading dmstatus; not while a job holds a
 * target (its own commands find a broken link out soon enough).
 *
 * Signal "changed" (const char *target, gboolean reachable): what OpenOCD
 * showed of @target, or of every target when @target is %NULL; emitted
 * for every result, changed or not (the listener compares).
 */

#define OOD_TYPE_REACHABILITY (ood_reachability_get_type ())
G_DECLARE_FINAL_TYPE (OodReachability, ood_reachability, OOD, REACHABILITY, GObject)

OodReachability *ood_reachability_new   (OodSession *session);
void             ood_reachability_check (OodReachability    *self,
                                         const char *const *riscv_targets);
void             ood_reachability_pause (OodReachability *self);
void             ood_reachability_stop  (OodReachability *self);

G_END_DECLS
