/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-reachability"

#include "ood-reachability.h"

#include "ood-idle.h"
#include "ood-tcl-script.h"

/* See ood-reachability.h. Holds its session (below it) and nothing above. */

struct _OodReachability {
  GObject     parent_instance;

  OodSession *session;
  GStrv       targets;   /* the RISC-V targets checked every interval */
  GSource    *timer;
  gboolean    stopped;
};

G_DEFINE_FINAL_TYPE (OodReachability, ood_reachability, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  OodReachability *self;
  GStrv            names;   /* the targets checked, in the script's order */
} Check;

static void
on_check_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Check *check = user_data;
  OodReachability *self = check->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_auto(GStrv) failed = text != NULL ? ood_tcl_parse_list (text, &error) : NULL;

  if (failed != NULL && !self->stopped && g_strv_length (failed) == g_strv_length (check->names))
    for (guint i = 0; check->names[i] != NULL; i++)
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, check->names[i],
                     g_str_equal (failed[i], "0"));
  g_strfreev (check->names);
  g_object_unref (check->self);
  g_free (check);
}

static gboolean
on_timer (gpointer user_data)
{
  OodReachability *self = user_data;
  g_autofree char *script = NULL;
  Check *check;

  if (!ood_session_is_open (self->session) || ood_session_has_claims (self->session))
    return G_SOURCE_CONTINUE;
  check = g_new0 (Check, 1);
  check->self = g_object_ref (self);
  check->names = g_strdupv (self->targets);
  script = ood_tcl_script_probe_riscv ((const char *const *) check->names);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_check_reply, check);
  return G_SOURCE_CONTINUE;
}

/**
 * ood_reachability_check:
 * @riscv_targets: the targets to check every probe interval (those
 *   OpenOCD does not report on); none stops the checks
 *
 * Starts (or restarts) the periodic checks, for a connected OpenOCD.
 */
void
ood_reachability_check (OodReachability *self, const char *const *riscv_targets)
{
  guint interval = ood_session_get_settings (self->session)->probe_interval_ms;

  ood_reachability_pause (self);
  g_strfreev (self->targets);
  self->targets = g_strdupv ((GStrv) riscv_targets);
  if (interval == 0 || self->stopped || riscv_targets == NULL || riscv_targets[0] == NULL)
    return;
  ood_timer_replace (&self->timer, interval, on_timer, self);
}

/**
 * ood_reachability_pause:
 *
 * No more checks until ood_reachability_check(): the connection is gone.
 */
void
ood_reachability_pause (OodReachability *self)
{
  ood_timer_replace (&self->timer, 0, NULL, NULL);
}

static void
on_notification (OodSession *session, gint kind, const char *value, gpointer user_data)
{
  OodReachability *self = user_data;

  (void) session;
  if (kind != OOD_TCL_NOTIFY_EVENT)
    return;
  if (g_str_equal (value, "examine-fail"))
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, NULL, FALSE);
  else if (g_str_equal (value, "examine-end"))
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, NULL, TRUE);
}

void
ood_reachability_stop (OodReachability *self)
{
  if (self->stopped)
    return;
  self->stopped = TRUE;
  g_signal_handlers_disconnect_by_data (self->session, self);
  ood_reachability_pause (self);
}

static void
ood_reachability_dispose (GObject *object)
{
  OodReachability *self = OOD_REACHABILITY (object);

  if (self->session != NULL)
    ood_reachability_stop (self);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ood_reachability_parent_class)->dispose (object);
}

static void
ood_reachability_finalize (GObject *object)
{
  g_strfreev (OOD_REACHABILITY (object)->targets);
  G_OBJECT_CLASS (ood_reachability_parent_class)->finalize (object);
}

static void
ood_reachability_class_init (OodReachabilityClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_reachability_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_reachability_finalize;
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
ood_reachability_init (OodReachability *self)
{
  (void) self;
}

/**
 * ood_reachability_new:
 * @session: the OpenOCD whose targets are watched
 *
 * Returns: (transfer full): listening to @session's events from now on;
 *   no periodic check until ood_reachability_check()
 */
OodReachability *
ood_reachability_new (OodSession *session)
{
  OodReachability *self = g_object_new (OOD_TYPE_REACHABILITY, NULL);

  self->session = g_object_ref (session);
  g_signal_connect (session, "notification", G_CALLBACK (on_notification), self);
  return self;
}
