/* SPDX-License-Identifier: MIT */
/* A process's /proc/PID/status fields (its memory), its open fds, and
 * the context switches of its threads, for the tests and the benchmark
 * that prove a daemon stays small, lets go of what it was handed, and an
 * idle one sleeps. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint64     ood_test_status_field     (const char *status,
                                       const char *key);
guint64     ood_test_proc_status_field (GPid        pid,
                                        const char *key);

/* Whether process @pid exists and is not a zombie (a process whose
 * parent is gone may linger as one until init reaps it). */
gboolean    ood_test_pid_alive        (GPid        pid);
/* Process @pid's command line as the kernel has it, words joined by
 * spaces (asserts it can be read). */
char       *ood_test_proc_cmdline     (GPid        pid);
guint       ood_test_proc_count_fds    (GPid        pid);

GHashTable *ood_test_thread_switches  (GPid        pid);
guint64     ood_test_switches_between (GHashTable *before,
                                       GHashTable *after,
                                       GString    *detail);

G_END_DECLS
