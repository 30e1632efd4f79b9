/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-lock.h"

G_BEGIN_DECLS

/*
 * org.openocd.Lease: one grant of an endpoint's lock (ood-lock.h), as
 * D-Bus sees it, exported at /org/openocd/leases/N on the ObjectManager
 * it was handed. The endpoint makes one for each grant and ends it when
 * the lock's holder changes; the lease knows nothing of the endpoint.
 *
 * Release() and Share() are the holder's; Join() with the shared token
 * makes the caller a member of the lock, and is announced by "joined"
 * (const char *sender), so that whoever watches the bus can forget the
 * member when it leaves.
 */

#define OOD_TYPE_LEASE (ood_lease_get_type ())
G_DECLARE_FINAL_TYPE (OodLease, ood_lease, OOD, LEASE, OodDbusLeaseSkeleton)

OodLease   *ood_lease_new      (GDBusObjectManagerServer *server,
                                OodLock                  *lock,
                                const char               *endpoint_path);
const char *ood_lease_get_path (OodLease *self);
gboolean    ood_lease_is_current (OodLease *self);
void        ood_lease_end      (OodLease *self);

G_END_DECLS
