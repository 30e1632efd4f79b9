/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"
#include "ood-tcl-types.h"

G_BEGIN_DECLS

/* org.openocd.Breakpoints of one target: its breakpoints as OpenOCD
 * reported them on connecting, then as set and removed through the
 * service, kept in the exported property. */

#define OOD_TYPE_BREAKPOINTS (ood_breakpoints_get_type ())
G_DECLARE_FINAL_TYPE (OodBreakpoints, ood_breakpoints, OOD, BREAKPOINTS, OodDbusBreakpointsSkeleton)

OodBreakpoints *ood_breakpoints_new    (OodSession *session,
                                        const char *target_name);
gboolean        ood_breakpoints_lookup (OodBreakpoints   *self,
                                        guint64           address,
                                        OodTclBreakpoint *over);
void            ood_breakpoints_forget (OodBreakpoints *self);
void            ood_breakpoints_learn  (OodBreakpoints *self);

G_END_DECLS
