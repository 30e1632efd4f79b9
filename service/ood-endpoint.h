/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-generated.h"
#include "ood-settings.h"

G_BEGIN_DECLS

/* One OpenOCD as D-Bus sees it: the org.openocd.Endpoint interface (this
 * object, a subclassed skeleton) and the target objects below it, kept
 * current from the session's notifications (ood-refresh.h) and checked
 * for reachability (ood-reachability.h). */

#define OOD_TYPE_ENDPOINT (ood_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (OodEndpoint, ood_endpoint, OOD, ENDPOINT, OodDbusEndpointSkeleton)

OodEndpoint *ood_endpoint_new (GDBusObjectManagerServer *manager,
                               const char               *name,
                               const char               *address,
                               const OodSettings        *settings);
void        ood_endpoint_start       (OodEndpoint *self);
void        ood_endpoint_stop        (OodEndpoint *self);
const char *ood_endpoint_get_name    (OodEndpoint *self);
const char *ood_endpoint_get_address (OodEndpoint *self);
void        ood_endpoint_set_shared_dir (OodEndpoint *self,
                                         const char  *shared_dir);
const char *ood_endpoint_get_shared_dir (OodEndpoint *self);

G_END_DECLS
