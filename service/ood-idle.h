/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void ood_idle_after_pending (GMainContext *context,
                             GSourceFunc   func,
                             gpointer      data);
void ood_timer_replace      (GSource     **slot,
                             guint         ms,
                             GSourceFunc   func,
                             gpointer      data);
void ood_timer_replace_at   (GSource     **slot,
                             gint64        ready_time,
                             GSourceFunc   func,
                             gpointer      data);

G_END_DECLS
