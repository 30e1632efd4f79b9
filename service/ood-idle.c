/* SPDX-License-Identifier: MIT */
#include "ood-idle.h"

/**
 * ood_idle_after_pending:
 * @context: (nullable): where; %NULL is the global default context
 * @func: called once (its return value is ignored: the source goes)
 *
 * Calls @func once @context has nothing more urgent. Long work (a memory
 * transfer, a flash job) queues its next piece from here: a method call
 * that came in while the last piece ran is dispatched, and so queued for
 * OpenOCD, first, and waits for one piece at most.
 */
void
ood_idle_after_pending (GMainContext *context, GSourceFunc func, gpointer data)
{
  g_autoptr(GSource) idle = g_idle_source_new ();

  g_source_set_priority (idle, G_PRIORITY_LOW);
  g_source_set_callback (idle, func, data, NULL);
  g_source_attach (idle, context);
}
