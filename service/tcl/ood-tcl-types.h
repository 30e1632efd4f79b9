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

/* A breakpoint in OpenOCD. */
typedef struct {
  guint64           address;
  guint             length;
  OodBreakpointKind kind;
} OodTclBreakpoint;

G_END_DECLS
