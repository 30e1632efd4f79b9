/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"
#include "ood-tcl-types.h"

G_BEGIN_DECLS

/* org.openocd.Breakpoints of one target: OpenOCD's own list of its
 * breakpoints, read on connecting, whenever the target halts, and after
 * every change through the service. */

#define OOD_TYPE_BREAKPOINTS (ood_breakpoints_get_type ())
G_DECLARE_FINAL_TYPE (OodBreakpoints, ood_breakpoints, OOD, BREAKPOINTS, OodDbusBreakpointsSkeleton)

OodBreakpoints *ood_breakpoints_new    (OodSession *session,
                                        const char *target_name);
void            ood_breakpoints_update (OodBreakpoints *self,
                                        const char     *listing);
void            ood_breakpoints_forget (OodBreakpoints *self);

G_END_DECLS
