/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The USB debug probes the service knows without configuration: those
 * OpenOCD 0.12 drives whose USB IDs its own files name (the interface
 * scripts under tcl/interface and contrib/60-openocd.rules), and
 * CMSIS-DAP probes, which have no IDs of their own and are known, as
 * OpenOCD knows them, by "CMSIS-DAP" in the product string or in the
 * string of one of their interfaces. A [Probe] group of the configuration
 * adds others (ood-config.h).
 */

#define OOD_PROBE_TABLE_CMSIS_DAP "CMSIS-DAP"

const char *ood_probe_table_model_by_ids (guint16 vendor_id,
                                          guint16 product_id);
gboolean    ood_probe_table_names_cmsis_dap (const char *usb_string);

G_END_DECLS
