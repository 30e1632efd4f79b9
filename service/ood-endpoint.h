/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-config.h"
#include "ood-generated.h"
#include "ood-lock.h"
#include "ood-settings.h"

G_BEGIN_DECLS

/* One OpenOCD as D-Bus sees it: the org.openocd.Endpoint interface (this
 * object, a subclassed skeleton) and the target objects below it, kept
 * current from the session's notifications (ood-refresh.h) and checked
 * for reachability (ood-reachability.h). With Exec= the endpoint runs
 * its OpenOCD itself, through a supervisor (ood-supervisor.h), and
 * connects wherever that OpenOCD listens. */

/* Where an endpoint comes from (its Origin property). */
#define OOD_ORIGIN_CONFIG       "config"
#define OOD_ORIGIN_COMMAND_LINE "command-line"
#define OOD_ORIGIN_BUS          "bus"
#define OOD_ORIGIN_PROBE        "probe"

#define OOD_TYPE_ENDPOINT (ood_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (OodEndpoint, ood_endpoint, OOD, ENDPOINT, OodDbusEndpointSkeleton)

OodEndpoint *ood_endpoint_new (GDBusObjectManagerServer *manager,
                               const OodEndpointConfig  *config,
                               const char               *origin,
                               const OodSettings        *settings);
void        ood_endpoint_start       (OodEndpoint *self);
void        ood_endpoint_stop        (OodEndpoint *self);
const char *ood_endpoint_get_name    (OodEndpoint *self);
const char *ood_endpoint_get_path    (OodEndpoint *self);
const char *ood_endpoint_get_origin  (OodEndpoint *self);
gboolean    ood_endpoint_is_configured_as (OodEndpoint             *self,
                                           const OodEndpointConfig *config);
const char *ood_endpoint_lookup_target (OodEndpoint *self,
                                        const char  *target);
OodLock    *ood_endpoint_get_lock    (OodEndpoint *self);

G_END_DECLS
