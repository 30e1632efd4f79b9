/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Counts the halts a user would call one in OpenOCD's stream of target
 * events: pure, no I/O. OpenOCD 0.12 sends "halted" for every halt,
 * also the single step that a resume from a breakpoint makes first (the
 * service's Resume, GDB's continue), and nothing but its target_reset
 * notification for a reset that halts. So:
 * - a "halted" outside a step is a halt;
 * - a "halted" between "step-start" and "step-end" is a halt unless the
 *   next event is "resume-start": that step was the first part of a
 *   resume, and the resume's own halt (if any) comes later;
 * - a "halted" between "resume-start" and "resume-end" is none: OpenOCD
 *   polls no target during a resume, and its RISC-V resume from a
 *   watchpoint steps the hart off it first, with "halted" but no
 *   "step-start";
 * - "reset-halt" and "reset-init" (the service's names for the reset
 *   notification) are a halt by reset.
 * A step's halt is pending until the next event tells, or until
 * ood_tcl_halts_take() is called, which OpenOCD's order makes safe once a
 * command that ran after the step has answered: a resume-start written
 * before that answer has been read by then.
 */

typedef struct {
  gboolean in_step;      /* between step-start and step-end */
  gboolean in_resume;    /* between resume-start and resume-end */
  gboolean step_halted;  /* a step's halt not yet told from a resume's */
  guint    halts;        /* halts counted since the last take */
  gboolean reset;        /* one of them was a reset's */
} OodTclHalts;

void  ood_tcl_halts_event (OodTclHalts *tally,
                           const char  *event);
guint ood_tcl_halts_take  (OodTclHalts *tally,
                           gboolean    *reset);
void  ood_tcl_halts_clear (OodTclHalts *tally);

G_END_DECLS
