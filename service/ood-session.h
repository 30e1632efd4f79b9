/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-settings.h"
#include "ood-tcl-connection.h"
#include "ood-tcl-parse.h"

G_BEGIN_DECLS

/*
 * One OpenOCD: the transport every exported interface of its targets
 * shares. Two Tcl connections: "command" carries every command, one at a
 * time; "notify" only switches tcl_notifications on and then streams
 * OpenOCD's notifications, so they never interleave with replies. When
 * either connection drops, both are closed and a reconnect follows with
 * capped exponential backoff.
 *
 * Scripts are the wrapped ones of ood-tcl-script.h; their replies are
 * unwrapped here, and every error a call gives is already in the public
 * domain (OOD_ERROR or G_IO_ERROR_CANCELLED).
 *
 * Calls that pass the same cancellable are one caller's; callers are
 * served in turn (NULL: the service's own work, a caller of its own). A
 * call waits for at most one command of each other caller with calls
 * queued, plus the one in flight, however many that caller queued; within
 * one caller, a call that acts goes ahead of its shareable reads, and
 * chunks keep their order. When a caller's cancellable is cancelled (its
 * caller left), every call it has queued fails at once with
 * G_IO_ERROR_CANCELLED and is not sent (a read it shared with another
 * caller still is, for that one); the one in flight runs to its end in
 * OpenOCD. Cancel on the main context's thread.
 *
 * Signals, all on the thread-default main context of ood_session_start():
 * - "opened": new connections are being made; commands may be queued.
 * - "closed" (GError *reason): both connections are gone; calls in flight
 *   failed with OOD_ERROR_DISCONNECTED. A reconnect is scheduled unless
 *   the session was stopped. ood_session_get_last_error() already says
 *   why, in a few words (the reason's message is longer).
 * - "notification" (gint OodTclNotifyKind, const char *value)
 * - "released" (const char *target): a job's claim on @target ended;
 *   ood_session_has_claims() says whether any other is left.
 * - "notifications-refused" (GError *reason): this OpenOCD streams no
 *   notifications; whoever needs fresh state must poll.
 */

#define OOD_TYPE_SESSION (ood_session_get_type ())
G_DECLARE_FINAL_TYPE (OodSession, ood_session, OOD, SESSION, GObject)

typedef enum {
  OOD_SESSION_CALL_NONE = 0,
  /* The script only reads: callers asking for the very same script while
   * an earlier copy is still waiting share its round trip. */
  OOD_SESSION_CALL_SHAREABLE = 1 << 0,
  /* The service's own work (refreshes, learning breakpoints): it does not
   * count against the callers' limit, so callers cannot starve it. */
  OOD_SESSION_CALL_HOUSEKEEPING = 1 << 1,
  /* One piece of long work (a memory transfer's chunk, a flash job's
   * step): queued behind everything its caller queued, never ahead of the
   * caller's reads that came in while the piece before it ran, so they
   * wait for one piece at most. */
  OOD_SESSION_CALL_CHUNK = 1 << 2,
} OodSessionCallFlags;

OodSession *ood_session_new (const char        *name,
                             const char        *address,
                             const OodSettings *settings);

void         ood_session_start       (OodSession *self);
void         ood_session_stop        (OodSession *self);
void         ood_session_reconnect   (OodSession *self,
                                      const char *address);
gboolean     ood_session_is_open     (OodSession *self);
const char  *ood_session_get_name    (OodSession *self);
const char  *ood_session_get_address (OodSession *self);
const char  *ood_session_get_last_error (OodSession *self);
const OodSettings *ood_session_get_settings (OodSession *self);

void     ood_session_call_async  (OodSession         *self,
                                  const char         *script,
                                  OodSessionCallFlags flags,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
char    *ood_session_call_finish (OodSession   *self,
                                  GAsyncResult *result,
                                  GError      **error);

void                ood_session_run_async  (OodSession         *self,
                                            const char         *script,
                                            OodSessionCallFlags flags,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
OodTclTargetRecord *ood_session_run_finish (OodSession   *self,
                                            GAsyncResult *result,
                                            GError      **error);

/*
 * Claims: while a job works on a target it claims the target by name, so
 * that the target's other interfaces refuse what would disturb it. The
 * session only keeps the set; it neither enforces nor releases claims.
 */
gboolean ood_session_claim       (OodSession *self,
                                  const char *target,
                                  GError    **error);
void     ood_session_release     (OodSession *self,
                                  const char *target);
gboolean ood_session_check_unclaimed (OodSession *self,
                                      const char *target,
                                      GError    **error);
gboolean ood_session_has_claims (OodSession *self);

G_END_DECLS
