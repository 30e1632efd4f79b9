/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A CMSIS-SVD file, as much of it as `openocdctl periph` shows: the
 * peripherals' base addresses, their registers (offset, size, access,
 * reset value) and the registers' bit fields with their enumerated values.
 * Read with GLib's GMarkup. Not taken: clusters, dim arrays (a register
 * with <dim> is skipped), and derivedFrom on registers; a peripheral's
 * derivedFrom copies the registers of the one it names. Sizes default as
 * the format says: the register's, else its peripheral's, else the
 * device's, else 32 bits; access likewise, else read-write.
 */

typedef struct {
  char   *name;
  guint64 value;
} CtlSvdEnum;

typedef struct {
  char      *name;
  char      *description;  /* (nullable) */
  guint      lsb;
  guint      msb;
  GPtrArray *enums;        /* (element-type CtlSvdEnum) */
} CtlSvdField;

typedef struct {
  char      *name;
  char      *description;  /* (nullable) */
  guint64    offset;
  guint      size;         /* bits: 8, 16, 32 or 64 */
  gboolean   readable;     /* false for write-only */
  GPtrArray *fields;       /* (element-type CtlSvdField) */
} CtlSvdRegister;

typedef struct {
  char      *name;
  char      *description;  /* (nullable) */
  guint64    base;
  GPtrArray *registers;    /* (element-type CtlSvdRegister) */
} CtlSvdPeripheral;

typedef struct {
  char      *name;
  GPtrArray *peripherals;  /* (element-type CtlSvdPeripheral) */
} CtlSvdDevice;

CtlSvdDevice     *ctl_svd_load  (const char *path,
                                 GError    **error);
CtlSvdDevice     *ctl_svd_parse (const char *text,
                                 gsize       length,
                                 GError    **error);
void              ctl_svd_device_free (CtlSvdDevice *device);
CtlSvdPeripheral *ctl_svd_find_peripheral (CtlSvdDevice *device,
                                           const char   *name);
CtlSvdRegister   *ctl_svd_find_register   (CtlSvdPeripheral *peripheral,
                                           const char       *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlSvdDevice, ctl_svd_device_free)

G_END_DECLS
