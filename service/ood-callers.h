/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * What each caller (a unique bus name) has outstanding, so that no single
 * caller can fill the shared queue, park unbounded waiters, pin fds, or
 * leave work behind when it goes: every call that waits for OpenOCD or
 * for a halt, and every transfer or job that holds an fd the caller
 * handed over, is admitted here first and released when answered (or
 * when the fd is closed). A caller whose name leaves the bus while it has
 * waiters or fds held is announced ("vanished", with the name), so that
 * what it left can be dropped at once.
 */

#define OOD_TYPE_CALLERS (ood_callers_get_type ())
G_DECLARE_FINAL_TYPE (OodCallers, ood_callers, OOD, CALLERS, GObject)

/* The default limits; see ood_callers_new(). */
#define OOD_CALLERS_MAX_CALLS   256
#define OOD_CALLERS_MAX_WAITERS 64
#define OOD_CALLERS_MAX_FDS     16

OodCallers *ood_callers_new        (GDBusConnection *bus,
                                    guint            max_calls,
                                    guint            max_waiters,
                                    guint            max_fds);
gboolean    ood_callers_admit      (OodCallers            *self,
                                    GDBusMethodInvocation *invocation,
                                    gboolean               waiter);
void        ood_callers_release    (OodCallers *self,
                                    const char *sender,
                                    gboolean    waiter);
gboolean    ood_callers_admit_fd   (OodCallers            *self,
                                    GDBusMethodInvocation *invocation);
void        ood_callers_release_fd (OodCallers *self,
                                    const char *sender);
guint       ood_callers_count      (OodCallers *self,
                                    const char *sender);

G_END_DECLS
