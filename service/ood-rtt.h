/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"

G_BEGIN_DECLS

/*
 * org.openocd.Rtt of one target (the XML says what callers see): the
 * control block found at Start (ood-rtt-block.h), polled through the
 * session while a channel is open, each open channel's readers fed by an
 * OodRttChannel (ood-rtt-channel.h). When the session closes, RTT stops:
 * every reader ends with EOF. Polls are the service's own work
 * (OOD_SESSION_CALL_HOUSEKEEPING), one piece at a time
 * (OOD_SESSION_CALL_CHUNK), and none runs while a job claims the target.
 */

#define OOD_TYPE_RTT (ood_rtt_get_type ())
G_DECLARE_FINAL_TYPE (OodRtt, ood_rtt, OOD, RTT, OodDbusRttSkeleton)

/* PollingInterval at first, as OpenOCD's own RTT. */
#define OOD_RTT_POLLING_INTERVAL_DEFAULT 100
#define OOD_RTT_POLLING_INTERVAL_MAX     10000

OodRtt *ood_rtt_new (OodSession *session,
                     const char *target_name);

G_END_DECLS
