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

/**
 * ood_timer_replace:
 * @slot: where the timer is kept (a reference), or %NULL
 * @func: (nullable): what the new timer calls in @ms; %NULL: no new timer
 *
 * Destroys the timer in @slot, if any, and puts there a new one on the
 * thread-default main context, or none.
 */
void
ood_timer_replace (GSource **slot, guint ms, GSourceFunc func, gpointer data)
{
  if (*slot != NULL)
    g_source_destroy (*slot);
  g_clear_pointer (slot, g_source_unref);
  if (func == NULL)
    return;
  *slot = g_timeout_source_new (ms);
  g_source_set_callback (*slot, func, data, NULL);
  g_source_attach (*slot, g_main_context_get_thread_default ());
}
