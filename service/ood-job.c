/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-job"

#include "ood-job.h"

#include "ood-call.h"
#include "ood-error.h"
#include "ood-reply.h"

#define JOBS_PATH "/org/openocd/jobs"

#define STATE_RUNNING   "running"
#define STATE_SUCCEEDED "succeeded"
#define STATE_FAILED    "failed"
#define STATE_CANCELLED "cancelled"

/* The most Progress says while the job runs: 1 comes with the end. */
#define PROGRESS_BEFORE_END 0.999

/*
 * Ownership: the ObjectManager holds the job's object skeleton, which
 * holds the job. The job holds the manager (to remove itself) until it
 * has done so; the linger timer holds the job. So a job lives until its
 * removal, then everything it held is let go.
 */
struct _OodJob {
  OodDbusJobSkeleton        parent_instance;

  GDBusObjectManagerServer *server;
  char                     *path;
  guint                     linger_ms;
  GCancellable             *cancellable;
  GSource                  *linger;
  guint64                   bytes_done;
  guint64                   work_done;
  guint64                   work_total;
};

static void ood_job_iface_init (OodDbusJobIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodJob, ood_job, OOD_DBUS_TYPE_JOB_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_JOB, ood_job_iface_init))

const char *
ood_job_get_path (OodJob *self)
{
  return self->path;
}

/* Cancelled by Cancel(); the worker stops at its next chunk. */
GCancellable *
ood_job_get_cancellable (OodJob *self)
{
  return self->cancellable;
}

gboolean
ood_job_is_running (OodJob *self)
{
  return g_str_equal (ood_dbus_job_get_state (OOD_DBUS_JOB (self)), STATE_RUNNING);
}

static void
flush (OodJob *self)
{
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/* Sends the changes made since the last one in one PropertiesChanged:
 * the worker calls it once per step. */
void
ood_job_flush (OodJob *self)
{
  flush (self);
}

/* Takes effect with the next ood_job_flush(). */
void
ood_job_set_phase (OodJob *self, const char *phase)
{
  if (g_strcmp0 (ood_dbus_job_get_phase (OOD_DBUS_JOB (self)), phase) == 0)
    return;
  ood_dbus_job_set_phase (OOD_DBUS_JOB (self), phase);
}

/**
 * ood_job_set_totals:
 * @bytes_total: what BytesTotal says
 * @work_total: the units ood_job_advance() counts Progress in
 *
 * Takes effect with the next ood_job_flush().
 */
void
ood_job_set_totals (OodJob *self, guint64 bytes_total, guint64 work_total)
{
  self->work_total = work_total;
  ood_dbus_job_set_bytes_total (OOD_DBUS_JOB (self), bytes_total);
}

/* Publishes BytesDone and Progress (never decreasing, below 1: only
 * success makes it 1). */
static void
publish_progress (OodJob *self, gdouble progress)
{
  OodDbusJob *iface = OOD_DBUS_JOB (self);

  ood_dbus_job_set_bytes_done (iface, self->bytes_done);
  progress = MIN (progress, PROGRESS_BEFORE_END);
  if (progress > ood_dbus_job_get_progress (iface))
    ood_dbus_job_set_progress (iface, progress);
}

/**
 * ood_job_advance:
 * @bytes: more bytes for BytesDone
 * @work: more units of the work total done
 *
 * Takes effect with the next ood_job_flush().
 */
void
ood_job_advance (OodJob *self, guint64 bytes, guint64 work)
{
  self->bytes_done += bytes;
  self->work_done = MIN (self->work_done + work, self->work_total);
  publish_progress (self, self->work_total > 0 ? (gdouble) self->work_done /
                                                 (gdouble) self->work_total : 0.0);
}

static gboolean
on_linger_done (gpointer user_data)
{
  OodJob *self = user_data;
  g_autoptr(GDBusObjectManagerServer) server = g_steal_pointer (&self->server);

  g_debug ("%s: removed", self->path);
  g_clear_pointer (&self->linger, g_source_unref);
  g_dbus_object_manager_server_unexport (server, self->path);
  return G_SOURCE_REMOVE;
}

static const char *
end_state (const GError *error)
{
  if (error == NULL)
    return STATE_SUCCEEDED;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, OOD_ERROR, OOD_ERROR_CANCELLED))
    return STATE_CANCELLED;
  return STATE_FAILED;
}

/**
 * ood_job_finish:
 * @error: (nullable): why the job failed; %G_IO_ERROR_CANCELLED or
 *   %OOD_ERROR_CANCELLED for a cancelled one; %NULL on success
 *
 * Publishes the end (State, ErrorName and ErrorMessage, and Progress 1
 * on success, with the changes not flushed yet) in one change, then
 * emits Completed, and removes the object after the linger time.
 */
void
ood_job_finish (OodJob *self, const GError *error)
{
  OodDbusJob *iface = OOD_DBUS_JOB (self);
  const char *state = end_state (error);
  g_autoptr(GError) normalized = NULL;
  g_autofree char *name = NULL;

  g_return_if_fail (ood_job_is_running (self));
  if (g_str_equal (state, STATE_CANCELLED))
    normalized = g_error_new (OOD_ERROR, OOD_ERROR_CANCELLED, "cancelled after %" G_GUINT64_FORMAT
                              " bytes", self->bytes_done);
  else if (error != NULL)
    normalized = ood_error_normalize (error);
  if (normalized != NULL)
    name = g_dbus_error_encode_gerror (normalized);
  g_message ("%s: %s %s%s%s", self->path, ood_dbus_job_get_operation (iface), state,
             normalized != NULL ? ": " : "", normalized != NULL ? normalized->message : "");

  ood_dbus_job_set_state (iface, state);
  ood_dbus_job_set_error_name (iface, name != NULL ? name : "");
  ood_dbus_job_set_error_message (iface, normalized != NULL ? normalized->message : "");
  if (normalized == NULL)
    ood_dbus_job_set_progress (iface, 1.0);
  flush (self);
  ood_dbus_job_emit_completed (iface, normalized == NULL, name != NULL ? name : "",
                               normalized != NULL ? normalized->message : "");

  self->linger = g_timeout_source_new (self->linger_ms);
  g_source_set_callback (self->linger, on_linger_done, g_object_ref (self), g_object_unref);
  g_source_attach (self->linger, g_main_context_get_thread_default ());
}

static void
cancel (OodJob *self, GDBusMethodInvocation *invocation)
{
  if (ood_job_is_running (self))
    {
      g_debug ("%s: cancel requested", self->path);
      g_cancellable_cancel (self->cancellable);
    }
  ood_dbus_job_complete_cancel (OOD_DBUS_JOB (self), invocation);
}

static void
on_manage_authorized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  OodJob *self = OOD_JOB (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GError) error = NULL;

  (void) source;
  if (ood_call_authorize_finish (result, &error))
    cancel (self, invocation);
  else
    ood_reply_error (invocation, error);
}

/* The user who started a job may cancel it; anyone else must be allowed
 * to manage. */
static gboolean
handle_cancel (OodDbusJob *iface, GDBusMethodInvocation *invocation)
{
  OodCall *call = ood_call_get (invocation);

  if (call != NULL && ood_call_get_caller (call)->uid != ood_dbus_job_get_started_by_uid (iface))
    ood_call_authorize_async (invocation, OOD_ACTION_MANAGE, on_manage_authorized, invocation);
  else
    cancel (OOD_JOB (iface), invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
ood_job_dispose (GObject *object)
{
  OodJob *self = OOD_JOB (object);

  if (self->linger != NULL)
    g_source_destroy (self->linger);
  g_clear_pointer (&self->linger, g_source_unref);
  g_clear_object (&self->server);
  G_OBJECT_CLASS (ood_job_parent_class)->dispose (object);
}

static void
ood_job_finalize (GObject *object)
{
  OodJob *self = OOD_JOB (object);

  g_clear_object (&self->cancellable);
  g_free (self->path);
  G_OBJECT_CLASS (ood_job_parent_class)->finalize (object);
}

static void
ood_job_iface_init (OodDbusJobIface *iface)
{
  iface->handle_cancel = handle_cancel;
}

static void
ood_job_class_init (OodJobClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->dispose = ood_job_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_job_finalize;
}

static void
ood_job_init (OodJob *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * ood_job_new:
 * @server: where to export the job; it is removed from there
 *   @linger_ms after it ended
 * @operation: "program", "load", "erase" or "verify"
 * @target_path: the target's object path
 * @started_by_uid: who started it: who may cancel it without
 *   org.openocd.manage
 * @attached_like: the interface that made the job: its calls pass the
 *   same door (ood-call.h)
 *
 * Returns: (transfer full): the job, exported and running
 */
OodJob *
ood_job_new (GDBusObjectManagerServer *server, guint linger_ms, const char *operation,
             const char *target_path, guint started_by_uid, GDBusInterfaceSkeleton *attached_like)
{
  static guint64 last_id = 0;
  OodJob *self = g_object_new (OOD_TYPE_JOB, NULL);
  OodDbusJob *iface = OOD_DBUS_JOB (self);
  g_autoptr(OodDbusObjectSkeleton) object = NULL;

  self->server = g_object_ref (server);
  self->linger_ms = linger_ms;
  self->path = g_strdup_printf (JOBS_PATH "/%" G_GUINT64_FORMAT, ++last_id);
  ood_dbus_job_set_operation (iface, operation);
  ood_dbus_job_set_target (iface, target_path);
  ood_dbus_job_set_started_by_uid (iface, started_by_uid);
  ood_dbus_job_set_phase (iface, "");
  ood_dbus_job_set_state (iface, STATE_RUNNING);
  ood_dbus_job_set_error_name (iface, "");
  ood_dbus_job_set_error_message (iface, "");
  ood_call_attach_like (G_DBUS_INTERFACE_SKELETON (self), attached_like);
  object = ood_dbus_object_skeleton_new (self->path);
  ood_dbus_object_skeleton_set_job (object, iface);
  g_dbus_object_manager_server_export (server, G_DBUS_OBJECT_SKELETON (object));
  return self;
}
