/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-session.h"

G_BEGIN_DECLS

/*
 * When and how the targets of one OpenOCD are read again. OpenOCD's
 * notifications do not name their target: each burst of them (an event,
 * then a state) is served by one refresh of all targets, scheduled ahead
 * of other work and coalesced with any refresh not yet sent. Only the
 * session is below; what a refresh read goes up in a signal.
 *
 * - While a job holds a target, notifications are collected and no
 *   refresh is made (the job's steps would wait behind it, and it would
 *   only see the loader's runs, whose events are dropped); when the last
 *   claim is released, one refresh publishes what the jobs left.
 * - With one target whose last notified state is "halted", a refresh
 *   reads only the PC (and dcsr): one OpenOCD command; a full refresh
 *   costs 2 + one per halted target whatever the number of targets
 *   (ood_tcl_script_refresh_all()).
 * - The events a refresh answers are those read by the time its reply is
 *   (OpenOCD writes a command's notifications before its reply, and the
 *   notification connection is read first): a burst goes out whole.
 * - An OpenOCD that refuses notifications is polled instead.
 * - Halts: the events OpenOCD announced are counted as halts a user would
 *   call one (ood-tcl-halts.h) and, when a refresh is read, given to its
 *   records' targets (their halts and reset_halt; see attribute_halts()
 *   in ood-refresh.c for how, as notifications name no target). An
 *   OpenOCD that is polled counts a halt where a target was seen running.
 * - Whom the events concern: the records of the targets the service just
 *   acted on (a caller of ood_refresh_sync_async() named them, and is not
 *   yet answered) are marked acted, and OOD_REFRESH_RESET says the events
 *   hold a reset's, which concerns every target.
 * - ood_refresh_sync_async() waits for a refresh sent after it: what a
 *   caller's command made OpenOCD announce is then published.
 * - The first refresh of a connection (ood_refresh_first()) also reads
 *   the targets' types, breakpoints and watchpoints; if it fails other than by
 *   disconnecting, it is tried again every OOD_REFRESH_FIRST_RETRY_MS.
 *
 * Signal "refreshed" (GPtrArray *records, GPtrArray *events, guint flags):
 * @records (element-type OodTclTargetRecord) what OpenOCD answered, for
 * every target or, with OOD_REFRESH_KNOWN, for the one target only;
 * @events (nullable) (element-type utf8) the events the refresh answers,
 * in order; @flags OodRefreshFlags.
 */

#define OOD_REFRESH_FIRST_RETRY_MS 1000

typedef enum {
  OOD_REFRESH_FIRST = 1 << 0, /* completes a connect */
  OOD_REFRESH_KNOWN = 1 << 1, /* only the halted target's PC was read */
  OOD_REFRESH_RESET = 1 << 2, /* the events hold a reset's (OpenOCD resets every target) */
} OodRefreshFlags;

#define OOD_TYPE_REFRESH (ood_refresh_get_type ())
G_DECLARE_FINAL_TYPE (OodRefresh, ood_refresh, OOD, REFRESH, GObject)

OodRefresh *ood_refresh_new     (OodSession *session,
                                 const char *log_name);
void        ood_refresh_first   (OodRefresh *self);
void        ood_refresh_request (OodRefresh *self);
void        ood_refresh_stop    (OodRefresh *self);
void        ood_refresh_sync_async  (OodRefresh         *self,
                                     const char         *target,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean    ood_refresh_sync_finish (OodRefresh   *self,
                                     GAsyncResult *result,
                                     GError      **error);

G_END_DECLS
