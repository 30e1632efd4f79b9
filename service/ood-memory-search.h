/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-session.h"

G_BEGIN_DECLS

/*
 * The work of Memory.Search(): reads a range in chunks of
 * OOD_TCL_MEM_CHUNK bytes, as the transfers of ood-memory.h do (aligned
 * 32-bit words in the target's byte order, one session call each, the
 * next queued only when the previous one answered, in turn with other
 * callers), and looks for a pattern in what it read. Each chunk is
 * searched behind the last pattern-length - 1 bytes of the one before, so
 * a match across a chunk border is found, and found once. Every start
 * address of the pattern counts, overlapping ones too. The reading stops
 * at the range's end or at the max_hits-th match. Nothing of D-Bus here.
 */

#define OOD_MEMORY_SEARCH_MAX_PATTERN 256u
#define OOD_MEMORY_SEARCH_MAX_HITS    65536u

void    ood_memory_search_async  (OodSession         *session,
                                  const char         *target,
                                  gboolean            big_endian,
                                  guint64             address,
                                  guint64             size,
                                  GBytes             *pattern,
                                  guint               max_hits,
                                  GCancellable       *left,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
GArray *ood_memory_search_finish (GAsyncResult *result,
                                  GError      **error);

G_END_DECLS
