/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-probe-table"

#include "ood-probe-table.h"

#include <string.h>

typedef struct {
  guint16     vendor_id;
  guint16     product_id;
  const char *model;
} Entry;

/* Checked against OpenOCD v0.12.0: contrib/60-openocd.rules and the
 * vid_pid lines of tcl/interface (stlink.cfg, ftdi/olimex-*.cfg,
 * esp_usb_bridge.cfg). Left out: 0483:374a and WCH-Link (1a86:8010,
 * 1a86:8012), which OpenOCD 0.12 has no driver entry for; a [Probe] rule
 * adds them where a patched OpenOCD drives them. */
static const Entry entries[] = {
  { 0x0403, 0x6010, "FTDI FT2232" },
  { 0x0403, 0x6011, "FTDI FT4232" },
  { 0x0403, 0x6014, "FTDI FT232H" },
  { 0x0483, 0x3744, "ST-LINK/V1" },
  { 0x0483, 0x3748, "ST-LINK/V2" },
  { 0x0483, 0x374b, "ST-LINK/V2-1" },
  { 0x0483, 0x374d, "STLINK-V3 (USB loader)" },
  { 0x0483, 0x374e, "STLINK-V3E" },
  { 0x0483, 0x374f, "STLINK-V3S" },
  { 0x0483, 0x3752, "ST-LINK/V2-1" },
  { 0x0483, 0x3753, "STLINK-V3 (2 VCP)" },
  { 0x0483, 0x3754, "STLINK-V3E" },
  { 0x1366, 0x0101, "SEGGER J-Link" },
  { 0x1366, 0x0102, "SEGGER J-Link" },
  { 0x1366, 0x0103, "SEGGER J-Link" },
  { 0x1366, 0x0104, "SEGGER J-Link" },
  { 0x1366, 0x0105, "SEGGER J-Link" },
  { 0x1366, 0x0107, "SEGGER J-Link" },
  { 0x1366, 0x0108, "SEGGER J-Link" },
  { 0x1366, 0x1010, "SEGGER J-Link" },
  { 0x1366, 0x1011, "SEGGER J-Link" },
  { 0x1366, 0x1012, "SEGGER J-Link" },
  { 0x1366, 0x1013, "SEGGER J-Link" },
  { 0x1366, 0x1014, "SEGGER J-Link" },
  { 0x1366, 0x1015, "SEGGER J-Link" },
  { 0x1366, 0x1016, "SEGGER J-Link" },
  { 0x1366, 0x1017, "SEGGER J-Link" },
  { 0x1366, 0x1018, "SEGGER J-Link" },
  { 0x1366, 0x1020, "SEGGER J-Link" },
  { 0x1366, 0x1051, "SEGGER J-Link" },
  { 0x1366, 0x1055, "SEGGER J-Link" },
  { 0x1366, 0x1061, "SEGGER J-Link" },
  { 0x15ba, 0x0003, "Olimex ARM-USB-OCD" },
  { 0x15ba, 0x0004, "Olimex ARM-USB-TINY" },
  { 0x15ba, 0x002a, "Olimex ARM-USB-TINY-H" },
  { 0x15ba, 0x002b, "Olimex ARM-USB-OCD-H" },
  { 0x303a, 0x1001, "Espressif USB-JTAG" },
  { 0x303a, 0x1002, "Espressif USB Bridge" },
};

/**
 * ood_probe_table_model_by_ids:
 *
 * Returns: (nullable): the model of the probe with these USB IDs, or
 *   %NULL if the table has none
 */
const char *
ood_probe_table_model_by_ids (guint16 vendor_id, guint16 product_id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (entries); i++)
    if (entries[i].vendor_id == vendor_id && entries[i].product_id == product_id)
      return entries[i].model;
  return NULL;
}

/**
 * ood_probe_table_names_cmsis_dap:
 * @usb_string: (nullable): a product or interface string of a device
 *
 * Returns: whether it contains "CMSIS-DAP", as the CMSIS-DAP
 *   specification asks of a debug unit's product string (and as OpenOCD
 *   also looks for in interface strings)
 */
gboolean
ood_probe_table_names_cmsis_dap (const char *usb_string)
{
  return usb_string != NULL && strstr (usb_string, OOD_PROBE_TABLE_CMSIS_DAP) != NULL;
}
