/* SPDX-License-Identifier: MIT */
/* Context switches of a process's threads, from /proc, for the tests and
 * the benchmark that prove an idle daemon sleeps. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GHashTable *ood_test_thread_switches  (GPid        pid);
guint64     ood_test_switches_between (GHashTable *before,
                                       GHashTable *after,
                                       GString    *detail);

G_END_DECLS
