/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-reply"

#include "ood-reply.h"

#include "ood-error.h"

/**
 * ood_reply_error:
 * @invocation: (transfer full): the call to answer
 * @error: why it failed; copied
 */
void
ood_reply_error (GDBusMethodInvocation *invocation, const GError *error)
{
  GError *normalized = ood_error_normalize (error);

  g_debug ("%s failed: %s", g_dbus_method_invocation_get_method_name (invocation),
           normalized->message);
  g_dbus_method_invocation_take_error (invocation, normalized);
}

/**
 * ood_reply_invalid_args:
 * @invocation: (transfer full): the call to answer
 *
 * Answers org.freedesktop.DBus.Error.InvalidArgs with the formatted text.
 */
void
ood_reply_invalid_args (GDBusMethodInvocation *invocation, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, format, args);
  va_end (args);
  ood_reply_error (invocation, error);
}
