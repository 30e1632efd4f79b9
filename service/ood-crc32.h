/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * CRC-32 as zlib computes it (the reflected polynomial 0xEDB88320,
 * initial value and final xor 0xFFFFFFFF): the checksum the service's
 * routine computes on targets (service/loaders/ood-sums-abi.h), here on
 * the host, for the image's bytes. Pure code.
 */

guint32 ood_crc32 (const guint8 *data,
                   gsize         length);

G_END_DECLS
