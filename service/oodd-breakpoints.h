/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-tcl-script.h"
#include "oodd-endpoint.h"

G_BEGIN_DECLS

/* org.openocd.Breakpoints of one target: its breakpoints as OpenOCD
 * reported them on connecting, then as set and removed through the
 * service, kept in the exported property. */

#define OODD_TYPE_BREAKPOINTS (oodd_breakpoints_get_type ())
G_DECLARE_FINAL_TYPE (OoddBreakpoints, oodd_breakpoints, OODD, BREAKPOINTS, OodBreakpointsSkeleton)

OoddBreakpoints *oodd_breakpoints_new    (OoddEndpoint *endpoint,
                                          const char   *target_name);
gboolean         oodd_breakpoints_lookup (OoddBreakpoints *self,
                                          guint64          address,
                                          OodTclBreakpoint  *over);
void             oodd_breakpoints_forget (OoddBreakpoints *self);
void             oodd_breakpoints_learn  (OoddBreakpoints *self);

G_END_DECLS
