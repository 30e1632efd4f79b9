/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Every caller (a unique bus name) the service has heard from: who it is
 * (uid and pid, asked once of the bus daemon and kept until the name
 * leaves the bus), one GCancellable shared by all its calls that fires
 * when it leaves, and what it has outstanding, so that no single caller
 * can fill the shared queue, park unbounded waiters, pin fds, or leave
 * work behind when it goes: every call (the door, ood-call.h), every
 * WaitHalt, and every transfer or job that holds an fd the caller handed
 * over, is admitted here first and released when answered (or when the
 * fd is closed). A caller whose name leaves the bus is announced
 * ("vanished", with the name) after its cancellable fired, so that what
 * it left can be dropped at once. One NameOwnerChanged subscription
 * serves all callers, while any is known.
 */

/* Who a caller is, as the bus daemon says. */
typedef struct {
  const char *sender;   /* unique bus name; NULL for a peer-to-peer peer */
  guint       uid;
  guint       pid;      /* 0 if the bus did not say */
} OodCallerId;

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

void        ood_callers_identify_async  (OodCallers         *self,
                                         const char         *sender,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
gboolean    ood_callers_identify_finish (OodCallers    *self,
                                         GAsyncResult  *result,
                                         const char    *sender,
                                         OodCallerId   *id,
                                         GCancellable **cancellable,
                                         GError       **error);
gboolean ood_callers_identify_known (OodCallers *self, const char *sender, OodCallerId *id,
                                     GCancellable **cancellable);

G_END_DECLS
