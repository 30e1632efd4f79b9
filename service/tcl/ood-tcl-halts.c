/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-halts.h"

/* A step's pending halt is decided by the event after it. */
static void
settle_step (OodTclHalts *tally, const char *next)
{
  if (!tally->step_halted || tally->in_step)
    return;
  tally->step_halted = FALSE;
  if (next == NULL || !g_str_equal (next, "resume-start"))
    tally->halts++;
}

/**
 * ood_tcl_halts_event:
 * @event: the next event name, as OpenOCD sends it, or "reset-MODE" for
 *   its target_reset notification
 *
 * Feeds @event to @tally, in the order OpenOCD sent them.
 */
void
ood_tcl_halts_event (OodTclHalts *tally, const char *event)
{
  settle_step (tally, event);
  if (g_str_equal (event, "step-start"))
    tally->in_step = TRUE;
  else if (g_str_equal (event, "step-end"))
    tally->in_step = FALSE;
  else if (g_str_equal (event, "resume-start"))
    tally->in_resume = TRUE;
  else if (g_str_equal (event, "resume-end"))
    tally->in_resume = FALSE;
  else if (g_str_equal (event, "halted") && tally->in_resume)
    ;
  else if (g_str_equal (event, "halted") && tally->in_step)
    tally->step_halted = TRUE;
  else if (g_str_equal (event, "halted"))
    tally->halts++;
  else if (g_str_equal (event, "reset-halt") || g_str_equal (event, "reset-init"))
    {
      tally->halts++;
      tally->reset = TRUE;
    }
}

/**
 * ood_tcl_halts_take:
 * @reset: (out) (optional): whether a reset's halt is among them
 *
 * A pending step's halt counts now. A step still open (no step-end yet)
 * stays pending.
 *
 * Returns: the halts counted since the last take
 */
guint
ood_tcl_halts_take (OodTclHalts *tally, gboolean *reset)
{
  guint halts;

  settle_step (tally, NULL);
  halts = tally->halts;
  if (reset != NULL)
    *reset = tally->reset;
  tally->halts = 0;
  tally->reset = FALSE;
  return halts;
}

/* Forgets everything: the connection the events came on is gone. */
void
ood_tcl_halts_clear (OodTclHalts *tally)
{
  *tally = (OodTclHalts) { 0 };
}
