/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-authority.h"
#include "ood-callers.h"
#include "ood-lock.h"

G_BEGIN_DECLS

/*
 * The one door every method call of every exported interface goes
 * through, before its handler runs:
 *
 *  1. who calls: the caller's uid and pid (OodCallers, asked once per
 *     bus name of the bus daemon);
 *  2. its share: the call counts against the caller's limit of calls
 *     until it is answered (org.openocd.Error.Busy beyond it);
 *  3. the method's polkit action, read from its introspection data: the
 *     annotation org.openocd.Action on every method in every
 *     file of introspection/ (a test walks them). "none" marks the few
 *     methods that only tell what the properties already publish;
 *     anything else is asked of OodAuthority (NotAuthorized, Timeout);
 *  4. the endpoint's lease: an action of control, program, manage or raw on an
 *     object of an endpoint another caller holds the lease of is refused
 *     with org.openocd.Error.Leased;
 *  5. then the generated code dispatches to the handler, which finds the
 *     call's context with ood_call_get(): the caller, and a GCancellable
 *     shared by all the caller's calls that fires when it leaves the bus
 *     (pass it to the session: queued work of a caller that left is
 *     dropped, and callers are served in turn).
 *
 * Errors leave through the one reply path (ood-reply.h). A skeleton class
 * joins with ood_call_install() in its class_init; each instance is
 * attached to the daemon's door with ood_call_attach() (an instance never
 * attached answers every call with NotAuthorized: the door fails closed).
 */

#define OOD_ACTION_NONE    "none"
#define OOD_ACTION_INSPECT "org.openocd.inspect"
#define OOD_ACTION_CONTROL "org.openocd.control"
#define OOD_ACTION_PROGRAM "org.openocd.program"
#define OOD_ACTION_MANAGE  "org.openocd.manage"
#define OOD_ACTION_LEASE   "org.openocd.lease"
#define OOD_ACTION_RAW     "org.openocd.raw"

#define OOD_TYPE_DOOR (ood_door_get_type ())
G_DECLARE_FINAL_TYPE (OodDoor, ood_door, OOD, DOOR, GObject)

OodDoor *ood_door_new (OodCallers   *callers,
                       OodAuthority *authority);

void ood_call_install (GDBusInterfaceSkeletonClass *klass);
void ood_call_attach  (GDBusInterfaceSkeleton *skeleton,
                       OodDoor                *door,
                       OodLock                *lock);
void ood_call_attach_like (GDBusInterfaceSkeleton *skeleton,
                           GDBusInterfaceSkeleton *model);

typedef struct _OodCall OodCall;

OodCall      *ood_call_get             (GDBusMethodInvocation *invocation);
const OodCallerId *ood_call_get_caller (OodCall *call);
GCancellable *ood_call_get_cancellable (OodCall *call);
const char   *ood_call_get_action      (OodCall *call);

GCancellable *ood_call_cancellable_of  (GDBusMethodInvocation *invocation);

void     ood_call_authorize_async  (GDBusMethodInvocation *invocation,
                                    const char            *action,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data);
gboolean ood_call_authorize_finish (GAsyncResult *result,
                                    GError      **error);

const char *ood_call_action_of (const GDBusMethodInfo *method);

G_END_DECLS
