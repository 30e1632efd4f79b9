/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-endpoint-admin"

#include "ood-endpoint-admin.h"

#include <string.h>

#include "ood-call.h"
#include "ood-error.h"
#include "ood-reply.h"
#include "ood-tcl-endpoint.h"

/* The most of a raw command the log line holds. */
#define MAX_LOGGED_BYTES 1024

/*
 * One piece of work on the endpoint's OpenOCD: a raw command or a speed
 * to set (@invocation to answer), then the adapter learnt again; or the
 * learning alone (no @invocation).
 */
typedef struct {
  OodDbusEndpoint       *iface;
  OodSession            *session;
  OodRefresh            *refresh;     /* (nullable): Command()'s, to read the targets again */
  GDBusMethodInvocation *invocation;  /* (nullable): answered when learnt */
  char                  *output;      /* Command()'s, on success */
  GError                *error;       /* the command's, or setting the speed's */
  guint                  speed_khz;   /* SetAdapterSpeed()'s answer until learnt */
} Work;

static Work *
work_new (OodDbusEndpoint *iface, OodSession *session, GDBusMethodInvocation *invocation)
{
  Work *work = g_new0 (Work, 1);

  work->iface = g_object_ref (iface);
  work->session = g_object_ref (session);
  work->invocation = invocation;
  return work;
}

static void
work_free (Work *work)
{
  g_object_unref (work->iface);
  g_object_unref (work->session);
  g_clear_object (&work->refresh);
  g_free (work->output);
  g_clear_error (&work->error);
  g_free (work);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Work, work_free)

static GVariant *
taps_variant (GArray *taps)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sbuuu)"));
  for (guint i = 0; i < taps->len; i++)
    {
      OodTclTap *tap = &g_array_index (taps, OodTclTap, i);
      g_variant_builder_add (&builder, "(sbuuu)", tap->name, tap->enabled, tap->idcode,
                             tap->expected, tap->ir_length);
    }
  return g_variant_builder_end (&builder);
}

/* Adapter, Transport, AdapterSpeed and Taps in one PropertiesChanged. */
static void
publish (OodDbusEndpoint *iface, const OodTclAdapterInfo *info)
{
  g_object_freeze_notify (G_OBJECT (iface));
  ood_dbus_endpoint_set_adapter (iface, info->adapter);
  ood_dbus_endpoint_set_transport (iface, info->transport);
  ood_dbus_endpoint_set_adapter_speed (iface, info->speed_khz);
  ood_dbus_endpoint_set_taps (iface, taps_variant (info->taps));
  g_object_thaw_notify (G_OBJECT (iface));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (iface));
}

/* The reply of the method that asked for the learning, if any. */
static void
answer (Work *work)
{
  GDBusMethodInvocation *invocation = g_steal_pointer (&work->invocation);
  const char *method;

  if (invocation == NULL)
    return;
  method = g_dbus_method_invocation_get_method_name (invocation);
  if (work->error != NULL)
    ood_reply_error (invocation, work->error);
  else if (g_str_equal (method, "Command"))
    ood_dbus_endpoint_complete_command (work->iface, invocation, work->output);
  else
    ood_dbus_endpoint_complete_set_adapter_speed (work->iface, invocation, work->speed_khz);
}

static void
on_learnt (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(Work) work = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(OodTclAdapterInfo) info = text != NULL ? ood_tcl_parse_adapter_info (text, &error)
                                                   : NULL;

  if (info != NULL)
    {
      publish (work->iface, info);
      work->speed_khz = info->speed_khz;
    }
  else if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    g_warning ("%s: cannot learn the adapter: %s", ood_dbus_endpoint_get_name (work->iface),
               error->message);
  /* what was done is answered, even where learning it failed after */
  answer (work);
}

/* Takes @work. */
static void
learn (Work *work)
{
  g_autofree char *script = ood_tcl_script_adapter_learn ();

  ood_session_call_async (work->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL, on_learnt,
                          work);
}

/**
 * ood_endpoint_admin_learn:
 *
 * Learns Adapter, Transport, AdapterSpeed and Taps, when OpenOCD answers.
 */
void
ood_endpoint_admin_learn (OodDbusEndpoint *iface, OodSession *session)
{
  learn (work_new (iface, session, NULL));
}

/* ---- Command() ---------------------------------------------------------- */

static void
on_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;

  work->output = ood_session_call_finish (OOD_SESSION (source), result, &work->error);
  if (work->output != NULL)
    {
      char *valid = g_utf8_make_valid (work->output, -1);
      g_free (work->output);
      work->output = valid;
    }
  g_debug ("%s: the raw command %s", ood_dbus_endpoint_get_name (work->iface),
           work->error != NULL ? work->error->message : "succeeded");
  if (work->error != NULL && (g_error_matches (work->error, OOD_ERROR, OOD_ERROR_DISCONNECTED) ||
                              g_error_matches (work->error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      answer (work);
      work_free (work);
      return;
    }
  /* whatever it did: the targets' state and PC, then the adapter */
  ood_refresh_request (work->refresh);
  learn (work);
}

/**
 * ood_endpoint_admin_command:
 * @refresh: what reads the targets again after the command
 * @command: the client's text, any
 *
 * Command(): refused with NotSupported unless RawCommands is true.
 */
gboolean
ood_endpoint_admin_command (OodDbusEndpoint *iface, OodSession *session, OodRefresh *refresh,
                            GDBusMethodInvocation *invocation, const char *command)
{
  const OodCallerId *caller = ood_call_get_caller (ood_call_get (invocation));
  const char *name = ood_dbus_endpoint_get_name (iface);
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *logged = NULL;
  Work *work;

  if (!ood_dbus_endpoint_get_raw_commands (iface))
    {
      error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_SUPPORTED, "raw commands are off on endpoint "
                           "%s (AllowRawCommands=true in its configuration enables them)", name);
      ood_reply_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (strlen (command) > OOD_TCL_RAW_MAX_COMMAND)
    {
      ood_reply_invalid_args (invocation, "the command is %zu bytes; at most %u are allowed",
                              strlen (command), OOD_TCL_RAW_MAX_COMMAND);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  logged = g_strescape (command, NULL);
  if (strlen (logged) > MAX_LOGGED_BYTES)
    strcpy (g_utf8_find_prev_char (logged, logged + MAX_LOGGED_BYTES - 3), "...");
  g_message ("%s: uid %u (%s) runs the raw command: %s", name, caller->uid,
             caller->sender != NULL ? caller->sender : "peer", logged);
  script = ood_tcl_script_raw (command);
  work = work_new (iface, session, invocation);
  work->refresh = g_object_ref (refresh);
  ood_session_call_async (session, script, OOD_SESSION_CALL_NONE,
                          ood_call_cancellable_of (invocation), on_command_done, work);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- SetAdapterSpeed() -------------------------------------------------- */

static void
on_speed_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &work->error);

  if (text != NULL && !ood_tcl_parse_adapter_speed (text, &work->speed_khz))
    work->speed_khz = ood_dbus_endpoint_get_adapter_speed (work->iface);
  if (g_error_matches (work->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      answer (work);
      work_free (work);
      return;
    }
  /* also after a failure: OpenOCD 0.12 keeps the kHz asked for even then */
  learn (work);
}

gboolean
ood_endpoint_admin_set_speed (OodDbusEndpoint *iface, OodSession *session,
                              GDBusMethodInvocation *invocation, guint khz)
{
  g_autofree char *script = NULL;

  if (khz == 0)
    {
      ood_reply_invalid_args (invocation, "the speed must be 1 kHz or more; adaptive clocking "
                              "(0) is not set here");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_message ("%s: uid %u sets the adapter speed to %u kHz", ood_dbus_endpoint_get_name (iface),
             ood_call_get_caller (ood_call_get (invocation))->uid, khz);
  script = ood_tcl_script_adapter_speed (khz);
  ood_session_call_async (session, script, OOD_SESSION_CALL_NONE,
                          ood_call_cancellable_of (invocation), on_speed_set,
                          work_new (iface, session, invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
