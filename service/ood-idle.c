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

static gboolean
deadline_dispatch (GSource *source, GSourceFunc func, gpointer data)
{
  (void) source;
  return func (data);
}

static GSourceFuncs deadline_funcs = { .dispatch = deadline_dispatch };

/**
 * ood_timer_replace_at:
 * @ready_time: monotonic µs at which @func is called (0 or past: at once)
 *
 * Like ood_timer_replace(), for a time to the microsecond rather than a
 * delay in milliseconds (which a caller would round, late by half a
 * millisecond on average).
 */
void
ood_timer_replace_at (GSource **slot, gint64 ready_time, GSourceFunc func, gpointer data)
{
  ood_timer_replace (slot, 0, NULL, NULL);
  if (func == NULL)
    return;
  *slot = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_ready_time (*slot, MAX (ready_time, 0));
  g_source_set_callback (*slot, func, data, NULL);
  g_source_attach (*slot, g_main_context_get_thread_default ());
}
