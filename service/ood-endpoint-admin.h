/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-generated.h"
#include "ood-refresh.h"
#include "ood-session.h"

G_BEGIN_DECLS

/*
 * What org.openocd.Endpoint says and does of OpenOCD itself rather than of
 * one target: Adapter, Transport, AdapterSpeed and Taps, learnt in one
 * OpenOCD command (ood_tcl_script_adapter_learn()); SetAdapterSpeed(); and
 * Command(), an administrator's raw command. Part of the endpoint's layer:
 * these functions publish on the endpoint's interface @iface and answer
 * its invocations; the endpoint calls them from its handlers.
 *
 * A raw command is run only where the RawCommands property is true; each
 * is logged (g_message) with the caller's uid and the command. After it,
 * whatever it did or failed to do, the targets are refreshed
 * (ood_refresh_request()) and the adapter learnt again before the reply.
 */

void     ood_endpoint_admin_learn     (OodDbusEndpoint       *iface,
                                       OodSession            *session);
gboolean ood_endpoint_admin_command   (OodDbusEndpoint       *iface,
                                       OodSession            *session,
                                       OodRefresh            *refresh,
                                       GDBusMethodInvocation *invocation,
                                       const char            *command);
gboolean ood_endpoint_admin_set_speed (OodDbusEndpoint       *iface,
                                       OodSession            *session,
                                       GDBusMethodInvocation *invocation,
                                       guint                  khz);

G_END_DECLS
