/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-tcl-parse.h"
#include "oodd-endpoint.h"

G_BEGIN_DECLS

#define OODD_TYPE_TARGET (oodd_target_get_type ())
G_DECLARE_FINAL_TYPE (OoddTarget, oodd_target, OODD, TARGET, OodTargetSkeleton)

OoddTarget *oodd_target_new (OoddEndpoint             *endpoint,
                             const OodTclTargetRecord *record);

const char        *oodd_target_get_name   (OoddTarget *self);
OodObjectSkeleton *oodd_target_get_object (OoddTarget *self);
gboolean           oodd_target_apply      (OoddTarget               *self,
                                           const OodTclTargetRecord *record);
void               oodd_target_disconnected (OoddTarget   *self,
                                             const GError *reason);
void               oodd_target_learn_breakpoints (OoddTarget *self);
void               oodd_target_emit_event (OoddTarget *self,
                                           const char *event);
GVariant          *oodd_target_dup_state_dict (OoddTarget *self);

G_END_DECLS
