/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Cuts the byte stream of OpenOCD's Tcl RPC into messages at each 0x1a. */

#define OOD_TCL_TERMINATOR '\x1a'

typedef struct {
  GByteArray *partial;
  gsize       max_message;
} OodTclFramer;

/* Called once per complete message; @message is NUL-terminated without the
 * terminator. Returning FALSE stops the feed. */
typedef gboolean (*OodTclFrameFunc) (const char *message,
                                     gsize       length,
                                     gpointer    user_data);

void     ood_tcl_framer_init  (OodTclFramer *framer,
                               gsize         max_message);
void     ood_tcl_framer_clear (OodTclFramer *framer);
gboolean ood_tcl_framer_feed  (OodTclFramer   *framer,
                               const guint8   *data,
                               gsize           length,
                               OodTclFrameFunc func,
                               gpointer        user_data,
                               GError        **error);

G_END_DECLS
