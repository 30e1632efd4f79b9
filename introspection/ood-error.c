/* SPDX-License-Identifier: MIT */
#include "ood-error.h"

static const GDBusErrorEntry ood_error_entries[] = {
  { OOD_ERROR_TARGET, "org.openocd.Error.Target" },
  { OOD_ERROR_TIMEOUT, "org.openocd.Error.Timeout" },
  { OOD_ERROR_NOT_HALTED, "org.openocd.Error.NotHalted" },
  { OOD_ERROR_DISCONNECTED, "org.openocd.Error.Disconnected" },
  { OOD_ERROR_BUSY, "org.openocd.Error.Busy" },
  { OOD_ERROR_NOT_SUPPORTED, "org.openocd.Error.NotSupported" },
  { OOD_ERROR_CANCELLED, "org.openocd.Error.Cancelled" },
  { OOD_ERROR_EXISTS, "org.openocd.Error.Exists" },
  { OOD_ERROR_NOT_FOUND, "org.openocd.Error.NotFound" },
  { OOD_ERROR_DEBUGGER_ATTACHED, "org.openocd.Error.DebuggerAttached" },
  { OOD_ERROR_STALLED, "org.openocd.Error.Stalled" },
  { OOD_ERROR_NOT_AUTHORIZED, "org.openocd.Error.NotAuthorized" },
  { OOD_ERROR_LEASED, "org.openocd.Error.Leased" },
  { OOD_ERROR_NO_REPLY, "org.openocd.Error.NoReply" },
  { OOD_ERROR_NO_SUCH_REGISTER, "org.openocd.Error.NoSuchRegister" },
  { OOD_ERROR_BREAKPOINT_EXISTS, "org.openocd.Error.BreakpointExists" },
  { OOD_ERROR_NO_SUCH_BREAKPOINT, "org.openocd.Error.NoSuchBreakpoint" },
  { OOD_ERROR_FLASH, "org.openocd.Error.Flash" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (ood_error_entries) == OOD_ERROR_FLASH + 1);

GQuark
ood_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("ood-error-quark",
                                      &quark,
                                      ood_error_entries,
                                      G_N_ELEMENTS (ood_error_entries));
  return (GQuark) quark;
}

static gboolean
is_disconnect (const GError *error)
{
  static const gint codes[] = {
    G_IO_ERROR_CONNECTION_REFUSED, G_IO_ERROR_CONNECTION_CLOSED,
    G_IO_ERROR_BROKEN_PIPE, G_IO_ERROR_NOT_CONNECTED,
    G_IO_ERROR_HOST_UNREACHABLE, G_IO_ERROR_NETWORK_UNREACHABLE,
    G_IO_ERROR_CLOSED, G_IO_ERROR_CANCELLED, G_IO_ERROR_HOST_NOT_FOUND,
    G_IO_ERROR_PARTIAL_INPUT,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    if (g_error_matches (error, G_IO_ERROR, codes[i]))
      return TRUE;
  return error->domain == G_RESOLVER_ERROR;
}

/**
 * ood_error_normalize:
 * @error: any error
 *
 * Maps an error onto the public domain before it crosses the bus: errors
 * of %OOD_ERROR and %G_DBUS_ERROR pass unchanged, socket and resolver
 * errors become %OOD_ERROR_DISCONNECTED, timeouts %OOD_ERROR_NO_REPLY and
 * anything else %OOD_ERROR_TARGET.
 *
 * Returns: (transfer full): a new error
 */
GError *
ood_error_normalize (const GError *error)
{
  if (error->domain == OOD_ERROR || error->domain == G_DBUS_ERROR)
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (OOD_ERROR, OOD_ERROR_NO_REPLY, "OpenOCD did not answer in time: %s",
                        error->message);
  if (is_disconnect (error))
    return g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED, "OpenOCD is not reachable: %s",
                        error->message);
  return g_error_new_literal (OOD_ERROR, OOD_ERROR_TARGET, error->message);
}
