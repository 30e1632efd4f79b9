/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-breakpoints.h"
#include "ood-generated.h"
#include "ood-refresh.h"
#include "ood-session.h"
#include "ood-tcl-parse.h"

G_BEGIN_DECLS

/* org.openocd.Target of one OpenOCD target. Its properties are a cache
 * that ood_target_apply() keeps current; its methods run scripts on the
 * session it was handed. What a method did (a halt, a step, a resume) is
 * published by the refresh that reads what OpenOCD announced of it, so a
 * halt is counted once and with State and CurrentPc; the method answers
 * after that. */

#define OOD_TYPE_TARGET (ood_target_get_type ())
G_DECLARE_FINAL_TYPE (OodTarget, ood_target, OOD, TARGET, OodDbusTargetSkeleton)

OodTarget  *ood_target_new          (OodSession               *session,
                                     OodRefresh               *refresh,
                                     OodBreakpoints           *breakpoints,
                                     const char               *endpoint_name,
                                     const OodTclTargetRecord *record);
const char *ood_target_get_name     (OodTarget *self);
gboolean    ood_target_apply        (OodTarget                *self,
                                     const OodTclTargetRecord *record);
void        ood_target_disconnected (OodTarget    *self,
                                     const GError *reason);
void        ood_target_set_reachable (OodTarget *self,
                                      gboolean   reachable);
gboolean    ood_target_get_reachable (OodTarget *self);
gboolean    ood_target_get_halt_asked (OodTarget *self);
void        ood_target_share_halt_asked (OodTarget *self);
void        ood_target_emit_event   (OodTarget  *self,
                                     const char *event);
gboolean    ood_target_check_no_debugger (OodTarget *self,
                                          GError   **error);
GVariant   *ood_target_dup_state_dict (OodTarget *self);

G_END_DECLS
