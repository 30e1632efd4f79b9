/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"
#include "ood-tcl-types.h"

G_BEGIN_DECLS

/* org.openocd.Breakpoints of one target: OpenOCD's own lists of its
 * breakpoints and watchpoints, read on connecting, whenever the target
 * halts, and after every change through the service. */

#define OOD_TYPE_BREAKPOINTS (ood_breakpoints_get_type ())
G_DECLARE_FINAL_TYPE (OodBreakpoints, ood_breakpoints, OOD, BREAKPOINTS, OodDbusBreakpointsSkeleton)

OodBreakpoints *ood_breakpoints_new    (OodSession *session,
                                        const char *target_name);
void            ood_breakpoints_update (OodBreakpoints *self,
                                        const char     *listing);
void            ood_breakpoints_update_watchpoints (OodBreakpoints *self,
                                                    const char     *listing);
void            ood_breakpoints_forget (OodBreakpoints *self);
gboolean        ood_breakpoints_has_hardware_at (OodBreakpoints *self,
                                                 guint64         address);

G_END_DECLS
