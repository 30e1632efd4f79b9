/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-session.h"
#include "ood-tcl-rtt.h"

G_BEGIN_DECLS

/*
 * Finding a target's SEGGER RTT control block through the session
 * (ood-tcl-rtt.h has the layout): the target's byte order, then the
 * range searched in chunks of OOD_TCL_MEM_CHUNK bytes (one OpenOCD
 * command each, so other callers' commands go between), then the block's
 * descriptors and the names of its buffers. Knows nothing of D-Bus.
 */

/* One buffer in use, with its name. */
typedef struct {
  OodTclRttBuffer buffer;
  char           *name;
} OodRttBuffer;

typedef struct {
  guint64  address;
  guint32  id_words[4];
  gboolean big_endian;
  guint    n_up;
  guint    n_down;
  GArray  *buffers;   /* (element-type OodRttBuffer) in use, up-buffers first */
} OodRttBlock;

/* The widest range Start searches. */
#define OOD_RTT_BLOCK_SEARCH_MAX (1024u * 1024u)
/* The bytes of a buffer's name read. */
#define OOD_RTT_BLOCK_NAME_MAX 32u

void         ood_rtt_block_find_async  (OodSession         *session,
                                        const char         *target,
                                        guint64             address,
                                        guint64             size,
                                        const char         *id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
OodRttBlock *ood_rtt_block_find_finish (GAsyncResult *result,
                                        GError      **error);
const OodRttBuffer *ood_rtt_block_lookup (const OodRttBlock *block,
                                          guint              index,
                                          gboolean           up);
void         ood_rtt_block_free        (OodRttBlock *block);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodRttBlock, ood_rtt_block_free)

G_END_DECLS
