/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Scripts and parsers for OpenOCD's flash commands and image loading:
 * no I/O here. Scripts are wrapped like those of ood-tcl-script.h; the
 * commands that change the target run under "capture", so a failure
 * answers OpenOCD's logged text. Paths are the service's own (quoted
 * here); numbers are formatted here.
 */

/* One flash bank as "flash list" reports it. */
typedef struct {
  guint    index;       /* OpenOCD's bank number */
  char    *target;      /* the target the bank belongs to */
  char    *name;
  guint64  base;
  guint64  size;
  guint    bus_width;
  guint    chip_width;
} OodTclFlashBank;

/* One sector (or protection block) as "flash info" reports it. */
typedef struct {
  guint   index;
  guint64 offset;       /* from the bank's base */
  guint64 size;
  gint    protection;   /* 1 protected, 0 not, -1 unknown */
} OodTclFlashSector;

OodTclFlashBank *ood_tcl_flash_bank_copy (const OodTclFlashBank *bank);
void       ood_tcl_flash_bank_free (OodTclFlashBank *bank);

char      *ood_tcl_script_flash_banks   (void);
char      *ood_tcl_script_flash_sectors (guint bank);
char      *ood_tcl_script_flash_geometry (const char *target,
                                          const guint *banks,
                                          guint        n_banks);
char      *ood_tcl_script_flash_halt    (const char *target);
char      *ood_tcl_script_flash_erase   (const char *target,
                                         guint       bank,
                                         guint       first,
                                         guint       last);
char      *ood_tcl_script_flash_protect (const char *target,
                                         guint       bank,
                                         guint       first_block,
                                         guint       last_block,
                                         gboolean    on);
char      *ood_tcl_script_flash_write   (const char *target,
                                         guint       bank,
                                         const char *path,
                                         guint64     offset);
char      *ood_tcl_script_load_image    (const char *target,
                                         const char *path,
                                         guint64     address);
char      *ood_tcl_script_verify_image  (const char *target,
                                         const char *path,
                                         guint64     address);
char      *ood_tcl_script_images_equal  (const char         *target,
                                         const char *const  *paths,
                                         const guint64      *addresses,
                                         guint               n);
gsize      ood_tcl_flash_sums_footprint (gsize         routine_size,
                                         guint         n);
char *ood_tcl_script_flash_sums (const char *target, const guint8 *routine, gsize routine_size,
                                 const guint64 *runs, const guint32 *firsts, guint n);

GPtrArray *ood_tcl_parse_flash_banks    (const char *text,
                                         GError    **error);
GArray    *ood_tcl_parse_flash_sectors  (const char *text,
                                         GError    **error);
GArray    *ood_tcl_parse_flash_blocks   (const char *text,
                                         GArray    **sectors,
                                         GError    **error);
GArray    *ood_tcl_parse_flash_protect  (const char *text,
                                         char      **failed,
                                         char      **message,
                                         GError    **error);
GPtrArray *ood_tcl_parse_flash_geometry (const char *text, guint n_banks, guint64 *work_area,
                                         char **refused, GError **error);
gboolean   ood_tcl_parse_images_equal   (const char *text,
                                         guint       n,
                                         gboolean   *equal,
                                         GError    **error);
gboolean ood_tcl_parse_flash_sums (const char *text, guint n, guint32 *sums, gboolean *differs,
                                   char **unusable, GError **error);

G_END_DECLS
