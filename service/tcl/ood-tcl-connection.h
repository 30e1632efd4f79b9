/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * One TCP connection to OpenOCD's Tcl RPC server. Commands wait in a queue
 * and go out one at a time, so every reply belongs to the oldest command
 * sent. Messages that are notifications ("type target_...") are emitted
 * as the "notification" signal instead. A command that gets no reply in
 * time fails with G_IO_ERROR_TIMED_OUT and closes the connection, since
 * a late reply would be taken for the next command's. Once closed, a
 * connection stays closed: every queued command fails with the reason
 * and "closed" is emitted once. A failed connect gives the error as GIO
 * has it (G_RESOLVER_ERROR, G_IO_ERROR_CONNECTION_REFUSED, …), not yet
 * normalized, so that the owner can tell why.
 *
 * Callers are served in turn. Calls that pass the same cancellable are
 * one caller's; calls that pass NULL are the owner's own work, a caller
 * of its own. The next command sent is the first of the next caller in
 * rotation that has commands queued, one command per caller per round
 * (a caller that had none queued joins at the end of the round). So a
 * command waits for at most one command of each other caller with
 * commands queued, plus the one in flight, however many those callers
 * queued. Within one caller's queue, a command that acts goes ahead of
 * the shareable reads still waiting, and is FIFO otherwise. A shareable
 * read identical to one still waiting joins it, in the queue of each of
 * its callers: the first of their turns to come sends it for all.
 *
 * Cancelling a caller's cancellable fails every command it has queued at
 * once with G_IO_ERROR_CANCELLED; one that no other caller joined is
 * never sent. The command in flight is not interrupted: OpenOCD runs it,
 * and its reply is dropped for the cancelled caller. Cancel it on the
 * thread whose main context the connection runs in.
 */

#define OOD_TYPE_TCL_CONNECTION (ood_tcl_connection_get_type ())
G_DECLARE_FINAL_TYPE (OodTclConnection, ood_tcl_connection, OOD, TCL_CONNECTION, GObject)

typedef enum {
  OOD_TCL_CALL_NONE = 0,
  /* The command only reads: callers asking for the very same script while
   * an earlier copy is still waiting to be sent share its round trip. */
  OOD_TCL_CALL_SHAREABLE = 1 << 0,
  /* Not counted against max_waiting, and never refused as Busy: for the
   * owner's own work, which callers must not be able to crowd out. */
  OOD_TCL_CALL_UNCOUNTED = 1 << 1,
  /* One piece of long work (a transfer's chunk, a job's step): it waits
   * behind everything its caller queued, reads included, so that the
   * caller's reads that came in while the piece before it ran wait for one
   * piece at most (other callers' commands are served in turn anyway). */
  OOD_TCL_CALL_IN_TURN = 1 << 2,
} OodTclCallFlags;

OodTclConnection *ood_tcl_connection_new (guint max_waiting);
void              ood_tcl_connection_set_read_priority (OodTclConnection *self,
                                                        gint              priority);

void     ood_tcl_connection_connect_async  (OodTclConnection   *self,
                                            const char         *address,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
gboolean ood_tcl_connection_connect_finish (OodTclConnection *self,
                                            GAsyncResult     *result,
                                            GError          **error);

void     ood_tcl_connection_call_async     (OodTclConnection   *self,
                                            const char         *script,
                                            OodTclCallFlags     flags,
                                            guint               timeout_ms,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
char    *ood_tcl_connection_call_finish    (OodTclConnection *self,
                                            GAsyncResult     *result,
                                            GError          **error);

void     ood_tcl_connection_close          (OodTclConnection *self,
                                            const GError     *reason);
gboolean ood_tcl_connection_is_open        (OodTclConnection *self);

G_END_DECLS
