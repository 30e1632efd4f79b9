/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Images a client hands over for Program, Load and Verify, parsed into
 * memory segments: pure code, no I/O (fuzzed by tests/fuzz/fuzz-image.c).
 * Every error is G_DBUS_ERROR_INVALID_ARGS: the image is the caller's.
 */

typedef enum {
  OOD_IMAGE_BIN,
  OOD_IMAGE_IHEX,
  OOD_IMAGE_ELF,
} OodImageFormat;

/* Bytes at one address; segments of an image are sorted, disjoint and
 * not adjacent (adjacent ones are merged). */
typedef struct {
  guint64     address;
  GByteArray *data;
} OodImageSegment;

gboolean ood_image_format_parse (const char     *name,
                                 OodImageFormat *format);
GArray  *ood_image_parse        (OodImageFormat  format,
                                 const guint8   *data,
                                 gsize           size,
                                 guint64         address,
                                 GError        **error);
guint64  ood_image_total        (GArray *segments);

G_END_DECLS
