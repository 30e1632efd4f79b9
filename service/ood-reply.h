/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Where every method's error reply goes out: nothing else in the service
 * answers an invocation with an error. The error is normalised into the
 * public domains first (OOD_ERROR, or G_DBUS_ERROR for bad arguments),
 * so no GIO or resolver error ever reaches a client.
 */

void ood_reply_error        (GDBusMethodInvocation *invocation,
                             const GError          *error);
void ood_reply_invalid_args (GDBusMethodInvocation *invocation,
                             const char            *format,
                             ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
