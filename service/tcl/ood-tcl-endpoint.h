/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Scripts and parsers for org.openocd.Endpoint's own methods: an
 * administrator's raw command, and what OpenOCD says of its adapter,
 * transport and JTAG scan chain. The scripts answer "<code> <text>" like
 * those of ood-tcl-script.h. A raw command is the one client text that
 * reaches OpenOCD as a script: it is quoted as one Tcl word (ood_tcl_quote())
 * and evaluated from a variable, never pasted into the envelope.
 */

/* The longest raw command taken, and the most of its result answered
 * (the rest is cut, with OOD_TCL_RAW_CUT_MARK at the end). */
#define OOD_TCL_RAW_MAX_COMMAND (64u * 1024u)
#define OOD_TCL_RAW_MAX_OUTPUT  (1024u * 1024u)
#define OOD_TCL_RAW_CUT_MARK    "\n[output cut]"

/* One TAP of the scan chain, as OpenOCD's `scan_chain` lists it. */
typedef struct {
  char    *name;       /* dotted: CHIP.TAP */
  gboolean enabled;
  guint32  idcode;     /* as scanned at init; 0 if none was read */
  guint32  expected;   /* the first -expected-id; 0 if none was given */
  guint    ir_length;
} OodTclTap;

/* What ood_tcl_script_adapter_learn() answers. */
typedef struct {
  char   *adapter;     /* the driver's name; "" if OpenOCD has none */
  char   *transport;   /* "" if OpenOCD cannot say */
  guint   speed_khz;   /* 0: OpenOCD cannot say, or adaptive clocking */
  GArray *taps;        /* (element-type OodTclTap) in chain order */
} OodTclAdapterInfo;

char *ood_tcl_script_raw           (const char *command);
char *ood_tcl_script_adapter_learn (void);
char *ood_tcl_script_adapter_speed (guint khz);

OodTclAdapterInfo *ood_tcl_parse_adapter_info  (const char *text,
                                                GError    **error);
void               ood_tcl_adapter_info_free   (OodTclAdapterInfo *info);
gboolean           ood_tcl_parse_adapter_speed (const char *text,
                                                guint      *khz);
GArray            *ood_tcl_parse_scan_chain    (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodTclAdapterInfo, ood_tcl_adapter_info_free)

G_END_DECLS
