/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-tcl-parse.h"
#include "ood-endpoint.h"

G_BEGIN_DECLS

#define OOD_TYPE_TARGET (ood_target_get_type ())
G_DECLARE_FINAL_TYPE (OodTarget, ood_target, OOD, TARGET, OodDbusTargetSkeleton)

OodTarget *ood_target_new (OodEndpoint             *endpoint,
                             const OodTclTargetRecord *record);

const char        *ood_target_get_name   (OodTarget *self);
OodDbusObjectSkeleton *ood_target_get_object (OodTarget *self);
gboolean           ood_target_apply      (OodTarget               *self,
                                           const OodTclTargetRecord *record);
void               ood_target_disconnected (OodTarget   *self,
                                             const GError *reason);
void               ood_target_learn_breakpoints (OodTarget *self);
void               ood_target_emit_event (OodTarget *self,
                                           const char *event);
GVariant          *ood_target_dup_state_dict (OodTarget *self);

G_END_DECLS
