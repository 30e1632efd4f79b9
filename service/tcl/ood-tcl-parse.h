/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "ood-tcl-script.h"

G_BEGIN_DECLS

/* Pure parsers for what OpenOCD's Tcl RPC server sends: no I/O here. */

typedef enum {
  OOD_TCL_NOTIFY_EVENT,   /* "type target_event event NAME" */
  OOD_TCL_NOTIFY_STATE,   /* "type target_state state NAME" */
  OOD_TCL_NOTIFY_RESET,   /* "type target_reset mode NAME" */
} OodTclNotifyKind;

typedef struct {
  OodTclNotifyKind kind;
  char            *value;
} OodTclNotification;

/* One target as reported by the record script (see ood-tcl-script.h). */
typedef struct {
  char    *name;
  char    *type;      /* NULL when the script did not ask for it */
  char    *state;     /* one of the OOD_STATE_* constants (interned) */
  gboolean pc_valid;
  guint64  pc;
  char    *pc_error;  /* why the PC of a halted target could not be read, or NULL */
  guint    pc_bits;   /* the PC's width as OpenOCD gave it (its digits × 4), or 0 */
  char    *breakpoints; /* OpenOCD's breakpoint listing, or NULL where not read */
  gboolean gdb_port_known; /* whether the record says the GDB port */
  guint16  gdb_port;  /* the TCP port of OpenOCD's GDB server for the target; 0: none */
  gint     cause;     /* a halted RISC-V hart's dcsr.cause (1-7), or -1: not read */
  char    *watchpoints; /* OpenOCD's watchpoint listing, or NULL where not read */
  /* Not parsed: the refresh that read the record says these (ood-refresh.h). */
  guint    halts;     /* halts OpenOCD announced for the target since the last record */
  gboolean reset_halt; /* one of them was a reset's */
  gboolean acted;      /* the service just acted on the target: the events read
                        * with the record concern it even if nothing changed */
} OodTclTargetRecord;

gboolean  ood_tcl_parse_wrapped      (const char  *reply,
                                      gint        *return_code,
                                      const char **text);
GStrv     ood_tcl_parse_list         (const char  *text,
                                      GError     **error);
gboolean  ood_tcl_parse_notification (const char         *message,
                                      OodTclNotification *notification);
void      ood_tcl_notification_clear (OodTclNotification *notification);
gboolean  ood_tcl_parse_address      (const char *text,
                                      guint64    *address);
OodTclTargetRecord *ood_tcl_parse_record  (const char *text,
                                           GError    **error);
GPtrArray          *ood_tcl_parse_records (const char *text,
                                           GError    **error);
void ood_tcl_target_record_free (OodTclTargetRecord *record);
GArray             *ood_tcl_parse_breakpoints (const char *text);
GArray             *ood_tcl_parse_watchpoints (const char *text);
char               *ood_tcl_fold_message      (const char *text,
                                               gsize       max_bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodTclTargetRecord, ood_tcl_target_record_free)

G_END_DECLS
