/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-usb-probe.h"

G_BEGIN_DECLS

/* org.openocd.Probe of one plugged-in debug probe: the D-Bus face of an
 * OodUsbProbe record (ood-usb-watcher.h). Its constant properties come
 * from the record it was built from; Accessible follows the records
 * handed to ood_probe_update(); Endpoint is whatever the owner sets.
 * Whoever exports it puts it on an object at ood_probe_get_path(). */

#define OOD_PROBES_PATH "/org/openocd/probes"

#define OOD_TYPE_PROBE (ood_probe_get_type ())
G_DECLARE_FINAL_TYPE (OodProbe, ood_probe, OOD, PROBE, OodDbusProbeSkeleton)

OodProbe   *ood_probe_new          (const OodUsbProbe *record);
const char *ood_probe_get_path     (OodProbe *self);
const char *ood_probe_get_id       (OodProbe *self);
void        ood_probe_update       (OodProbe          *self,
                                    const OodUsbProbe *record);
void        ood_probe_set_endpoint (OodProbe   *self,
                                    const char *endpoint_path);

G_END_DECLS
