/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "ood-tcl-types.h"

G_BEGIN_DECLS

/*
 * Builders of the Tcl scripts the service sends to OpenOCD. Every script
 * answers "<code> <text>" (see ood_tcl_parse_wrapped()), so success and
 * failure can be told apart although OpenOCD's replies carry no error flag.
 * Client-supplied text never reaches a script: target names come from
 * OpenOCD and are quoted, numbers are formatted here, modes are enums.
 */

/* The error text a script returns for an operation that needs a halted
 * target while the target is not halted. */
#define OOD_TCL_NOT_HALTED_MARK "ood-dbus: target not halted"
/* ... for a breakpoint added where OpenOCD already has one, and removed
 * where it has none. */
#define OOD_TCL_DUPLICATE_MARK "ood-dbus: duplicate breakpoint"
#define OOD_TCL_NO_BREAKPOINT_MARK "ood-dbus: no breakpoint"
/* ... and the same for watchpoints. */
#define OOD_TCL_DUPLICATE_WP_MARK "ood-dbus: duplicate watchpoint"
#define OOD_TCL_NO_WATCHPOINT_MARK "ood-dbus: no watchpoint"
/* ... for a reset refused because the GDB attached holds the target
 * halted at its prompt (see ood_tcl_script_reset_for_gdb()). */
#define OOD_TCL_GDB_HALTED_MARK "ood-dbus: GDB holds the target halted"

char *ood_tcl_quote (const char *text);
char *ood_tcl_wrap_target (const char *target,
                           const char *body);
char *ood_tcl_wrap (const char *body);

char *ood_tcl_script_version     (void);
char *ood_tcl_script_notifications_on (void);
char *ood_tcl_script_refresh_all (gboolean with_types);
char *ood_tcl_script_state       (const char *target);
char *ood_tcl_script_refresh_halted (const char *target);
char *ood_tcl_script_halt        (const char *target);
char *ood_tcl_script_halt_for_gdb (const char *target);
char *ood_tcl_script_resume      (const char *target,
                                  gboolean    at_address,
                                  guint64     address);
char *ood_tcl_script_step        (const char *target,
                                  gboolean    at_address,
                                  guint64     address);
char *ood_tcl_script_reset       (const char  *target,
                                  OodResetMode mode);
char *ood_tcl_script_reset_for_gdb (const char  *target,
                                    OodResetMode mode);
char *ood_tcl_script_bp_add      (const char       *target,
                                  guint64           address,
                                  guint             length,
                                  OodBreakpointKind kind);
char *ood_tcl_script_bp_remove_all (const char *target);
char *ood_tcl_script_bp_remove   (const char *target,
                                  guint64     address);
char *ood_tcl_script_bp_list     (const char *target);
char *ood_tcl_script_wp_add      (const char    *target,
                                  guint64        address,
                                  guint          length,
                                  OodWatchAccess access);
char *ood_tcl_script_wp_remove   (const char *target,
                                  guint64     address);
char *ood_tcl_script_probe_riscv (const char *const *targets);

G_END_DECLS
