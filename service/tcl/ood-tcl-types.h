/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The domain types that the script builders take and the parsers give. */

typedef enum {
  OOD_RESET_HALT,
  OOD_RESET_RUN,
  OOD_RESET_INIT,
} OodResetMode;

typedef enum {
  OOD_BP_DEFAULT,
  OOD_BP_HARDWARE,
  OOD_BP_SOFTWARE,
} OodBreakpointKind;

/* What a watchpoint watches: OpenOCD's wp r, w or a. */
typedef enum {
  OOD_WATCH_READ,
  OOD_WATCH_WRITE,
  OOD_WATCH_ACCESS,
} OodWatchAccess;

/* A watchpoint in OpenOCD, as `wp` lists it. */
typedef struct {
  guint64        address;
  guint          length;
  OodWatchAccess access;
  guint32        value;  /* the data value and mask OpenOCD keeps with it */
  guint32        mask;
} OodTclWatchpoint;

/* A breakpoint in OpenOCD. */
typedef struct {
  guint64           address;
  guint             length;
  OodBreakpointKind kind;
} OodTclBreakpoint;

G_END_DECLS
