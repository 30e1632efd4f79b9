/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * OodError:
 * @OOD_ERROR_TARGET: OpenOCD refused or failed the command (org.openocd.Error.Target)
 * @OOD_ERROR_TIMEOUT: a deadline the caller set (or polkit's answer) passed; nothing changed (org.openocd.Error.Timeout)
 * @OOD_ERROR_NOT_HALTED: the operation needs a halted target (org.openocd.Error.NotHalted)
 * @OOD_ERROR_DISCONNECTED: OpenOCD is not reachable (org.openocd.Error.Disconnected)
 * @OOD_ERROR_BUSY: too many commands are queued, or a job holds the target (org.openocd.Error.Busy)
 * @OOD_ERROR_NOT_SUPPORTED: the endpoint cannot do this, e.g. hand an image to an OpenOCD on another host (org.openocd.Error.NotSupported)
 * @OOD_ERROR_CANCELLED: a job was cancelled (org.openocd.Error.Cancelled)
 * @OOD_ERROR_EXISTS: what is to be added exists already (org.openocd.Error.Exists)
 * @OOD_ERROR_NOT_FOUND: no endpoint or target of that name, or no RTT control block or channel
 *   of that id or index (org.openocd.Error.NotFound)
 * @OOD_ERROR_DEBUGGER_ATTACHED: a debugger (GDB) is attached to the target and could not be told of the action (org.openocd.Error.DebuggerAttached)
 * @OOD_ERROR_STALLED: a file descriptor the client handed over moved no byte for the stall timeout (org.openocd.Error.Stalled)
 * @OOD_ERROR_NOT_AUTHORIZED: polkit (or, without polkit, the service) did not authorize the method's action; the message names the action (org.openocd.Error.NotAuthorized)
 * @OOD_ERROR_LEASED: another caller holds the endpoint's lease; the message names the holder (org.openocd.Error.Leased)
 * @OOD_ERROR_NO_SUCH_REGISTER: the target has no register of that name (org.openocd.Error.NoSuchRegister)
 * @OOD_ERROR_BREAKPOINT_EXISTS: OpenOCD already has a breakpoint (or watchpoint) at that address (org.openocd.Error.BreakpointExists)
 * @OOD_ERROR_NO_SUCH_BREAKPOINT: OpenOCD has no breakpoint (or watchpoint) at that address (org.openocd.Error.NoSuchBreakpoint)
 * @OOD_ERROR_FLASH: OpenOCD failed a flash operation: an erase, a write, a verify or a comparison of flash; the message is OpenOCD's text (org.openocd.Error.Flash)
 * @OOD_ERROR_NO_REPLY: OpenOCD did not answer a command sent to it within the command timeout: the outcome is unknown (org.openocd.Error.NoReply)
 *
 * The one error domain of openocd-dbus. It is registered with GDBus, so a
 * client linking this library gets these codes back from a remote call.
 */
typedef enum {
  OOD_ERROR_TARGET,
  OOD_ERROR_TIMEOUT,
  OOD_ERROR_NOT_HALTED,
  OOD_ERROR_DISCONNECTED,
  OOD_ERROR_BUSY,
  OOD_ERROR_NOT_SUPPORTED,
  OOD_ERROR_CANCELLED,
  OOD_ERROR_EXISTS,
  OOD_ERROR_NOT_FOUND,
  OOD_ERROR_DEBUGGER_ATTACHED,
  OOD_ERROR_STALLED,
  OOD_ERROR_NOT_AUTHORIZED,
  OOD_ERROR_LEASED,
  OOD_ERROR_NO_REPLY,
  OOD_ERROR_NO_SUCH_REGISTER,
  OOD_ERROR_BREAKPOINT_EXISTS,
  OOD_ERROR_NO_SUCH_BREAKPOINT,
  OOD_ERROR_FLASH,
} OodError;

#define OOD_ERROR (ood_error_quark ())
GQuark ood_error_quark (void);

GError *ood_error_normalize (const GError *error);

G_END_DECLS
