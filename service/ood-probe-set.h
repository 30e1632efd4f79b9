/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-config.h"
#include "ood-usb-watcher.h"

G_BEGIN_DECLS

/*
 * The plugged-in debug probes as D-Bus objects, and the endpoints they
 * want. Every probe the watcher reports is exported at
 * /org/openocd/probes/ID with org.openocd.Probe, and unexported when it
 * is unplugged. A probe that the first matching [Probe NAME] rule gives
 * an Exec= wants an endpoint (its name and command line from
 * ood_probe_rule_endpoint()); whoever runs endpoints hears of it:
 *
 * - "endpoint-wanted" (const char *probe_id, OodEndpointConfig *config):
 *   start it, then say where with ood_probe_set_bind() (or NULL when it
 *   could not be started, e.g. its name is taken);
 * - "endpoint-unwanted" (const char *probe_id, const char *name): the
 *   probe went, or its rule changed (a changed command line is
 *   "unwanted" and then "wanted" again): stop it.
 *
 * It does not start or stop anything itself, and holds neither the
 * manager nor the endpoints.
 */

#define OOD_TYPE_PROBE_SET (ood_probe_set_get_type ())
G_DECLARE_FINAL_TYPE (OodProbeSet, ood_probe_set, OOD, PROBE_SET, GObject)

OodProbeSet *ood_probe_set_new       (GDBusObjectManagerServer *server,
                                      OodUsbWatcher            *watcher);
void         ood_probe_set_set_rules (OodProbeSet *self,
                                      GPtrArray   *rules);
void         ood_probe_set_start     (OodProbeSet *self);
void         ood_probe_set_bind      (OodProbeSet *self,
                                      const char  *probe_id,
                                      const char  *endpoint_path);
void         ood_probe_set_stop      (OodProbeSet *self);

G_END_DECLS
