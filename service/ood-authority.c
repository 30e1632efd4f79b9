/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-authority"

#include "ood-authority.h"

#include <polkit/polkit.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-tasks.h"

/* One polkit question in flight, and everyone waiting for its answer. */
typedef struct {
  OodAuthority *authority;   /* (not owned): it outlives its questions */
  char         *key;
  char         *action;
  GPtrArray    *tasks;       /* (element-type GTask) */
  GCancellable *cancellable; /* fires at the timeout */
  GSource      *timeout;
  gboolean      timed_out;
  guint         timeout_ms;
  OodCallerId   caller;      /* its sender owned */
  gboolean      interactive;
} Question;

struct _OodAuthority {
  GObject          parent_instance;

  gboolean         on_system_bus;
  guint            timeout_ms;
  uid_t            own_uid;
  PolkitAuthority *polkit;     /* once connected */
  GError          *unavailable; /* why polkit cannot be reached, once known */
  GHashTable      *questions;  /* key → Question, while in flight */
  gboolean         connecting;
};

G_DEFINE_FINAL_TYPE (OodAuthority, ood_authority, G_TYPE_OBJECT)

static void ask (Question *question);

static void
question_free (Question *question)
{
  if (question->timeout != NULL)
    {
      g_source_destroy (question->timeout);
      g_source_unref (question->timeout);
    }
  g_clear_object (&question->cancellable);
  g_ptr_array_unref (question->tasks);
  g_free ((char *) question->caller.sender);
  g_free (question->action);
  g_free (question->key);
  g_free (question);
}

/* Answers everyone waiting for @question, and forgets it. */
static void
answer (Question *question, const GError *error)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_ref (question->tasks);

  g_hash_table_remove (question->authority->questions, question->key);
  ood_tasks_return_all (tasks, error);
}

static void
answer_new_error (Question *question, gint code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
answer_new_error (Question *question, gint code, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (OOD_ERROR, code, format, args);
  va_end (args);
  answer (question, error);
}

static gboolean
on_question_timeout (gpointer user_data)
{
  Question *question = user_data;

  question->timed_out = TRUE;
  g_cancellable_cancel (question->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Question *question = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PolkitAuthorizationResult) verdict =
    polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), result, &error);

  if (verdict == NULL && question->timed_out)
    answer_new_error (question, OOD_ERROR_TIMEOUT,
                      "polkit did not answer within %u ms whether %s is allowed",
                      question->timeout_ms, question->action);
  else if (verdict == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_warning ("polkit could not check %s: %s", question->action, error->message);
      answer_new_error (question, OOD_ERROR_NOT_AUTHORIZED,
                        "%s is not authorized: polkit could not be asked (%s)",
                        question->action, error->message);
    }
  else if (polkit_authorization_result_get_is_authorized (verdict))
    answer (question, NULL);
  else if (polkit_authorization_result_get_is_challenge (verdict))
    answer_new_error (question, OOD_ERROR_NOT_AUTHORIZED,
                      "%s needs authentication: call again allowing interactive "
                      "authorization (busctl --allow-interactive-authorization=yes)",
                      question->action);
  else
    answer_new_error (question, OOD_ERROR_NOT_AUTHORIZED, "%s is not authorized by polkit",
                      question->action);
}

static PolkitSubject *
subject_of (OodAuthority *self, const OodCallerId *caller)
{
  if (self->on_system_bus)
    return polkit_system_bus_name_new (caller->sender);
  return polkit_unix_process_new_for_owner ((gint) caller->pid, 0, (gint) caller->uid);
}

static void
ask (Question *question)
{
  OodAuthority *self = question->authority;
  const OodCallerId *caller = &question->caller;
  g_autoptr(PolkitSubject) subject = NULL;

  if (!self->on_system_bus && caller->pid == 0)
    {
      answer_new_error (question, OOD_ERROR_NOT_AUTHORIZED,
                        "%s is not authorized: the bus did not say which process %s is, "
                        "so polkit cannot be asked", question->action, caller->sender);
      return;
    }
  subject = subject_of (self, caller);
  question->timeout = g_timeout_source_new (question->timeout_ms);
  g_source_set_callback (question->timeout, on_question_timeout, question, NULL);
  g_source_attach (question->timeout, g_main_context_get_thread_default ());
  polkit_authority_check_authorization (
      self->polkit, subject, question->action, NULL,
      question->interactive ? POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION
                  : POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE,
      question->cancellable, on_checked, question);
}

/* The first question connects to polkit (lazily: a service nobody
 * untrusted calls never talks to it); those that come meanwhile wait in
 * the table and are asked once it is there. */
static void
on_polkit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodAuthority) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  (void) source;
  self->connecting = FALSE;
  g_hash_table_iter_init (&iter, self->questions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (waiting, value);
  self->polkit = polkit_authority_get_finish (result, &error);
  if (self->polkit == NULL)
    {
      g_warning ("polkit is not available, so only trusted callers are authorized: %s",
                 error->message);
      g_clear_error (&self->unavailable);
      self->unavailable = g_steal_pointer (&error);
    }
  for (guint i = 0; i < waiting->len; i++)
    {
      Question *question = g_ptr_array_index (waiting, i);

      if (self->polkit != NULL)
        ask (question);
      else
        answer_new_error (question, OOD_ERROR_NOT_AUTHORIZED,
                          "%s is not authorized: polkit is not available (%s)",
                          question->action, self->unavailable->message);
    }
}

/**
 * ood_authority_is_trusted:
 *
 * Returns: whether @uid is authorized for every action without asking
 *   polkit (root, or the service's own user)
 */
gboolean
ood_authority_is_trusted (OodAuthority *self, guint uid)
{
  return uid == 0 || uid == self->own_uid;
}

/**
 * ood_authority_check_async:
 * @caller: who asks; copied
 * @action: a polkit action id, e.g. "org.openocd.control"
 * @interactive: whether the caller allowed interactive authorization
 *   (polkit may then ask the user for a password)
 *
 * Answers %TRUE if @caller may perform @action, or fails with
 * %OOD_ERROR_NOT_AUTHORIZED or %OOD_ERROR_TIMEOUT. Never completes before
 * returning.
 */
void
ood_authority_check_async (OodAuthority *self, const OodCallerId *caller, const char *action,
                           gboolean interactive, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autofree char *key = g_strdup_printf ("%s %s %d", caller->sender, action, interactive);
  Question *question;

  g_task_set_source_tag (task, ood_authority_check_async);
  if (ood_authority_is_trusted (self, caller->uid))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  question = g_hash_table_lookup (self->questions, key);
  if (question != NULL)
    {
      g_ptr_array_add (question->tasks, task);   /* the same question: one answer */
      return;
    }
  question = g_new0 (Question, 1);
  question->authority = self;
  question->key = g_steal_pointer (&key);
  question->action = g_strdup (action);
  question->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  question->cancellable = g_cancellable_new ();
  question->timeout_ms = interactive ? MAX (self->timeout_ms, OOD_AUTHORITY_INTERACTIVE_TIMEOUT_MS)
                                     : self->timeout_ms;
  question->caller.sender = g_strdup (caller->sender);
  question->caller.uid = caller->uid;
  question->caller.pid = caller->pid;
  question->interactive = interactive;
  g_ptr_array_add (question->tasks, task);
  g_hash_table_insert (self->questions, question->key, question);
  if (self->polkit != NULL)
    ask (question);
  else if (!self->connecting)
    {
      self->connecting = TRUE;
      polkit_authority_get_async (NULL, on_polkit, g_object_ref (self));
    }
}

gboolean
ood_authority_check_finish (OodAuthority *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ood_authority_finalize (GObject *object)
{
  OodAuthority *self = OOD_AUTHORITY (object);

  /* questions in flight hold a reference to the authority's polkit call
   * only; none can be left, as each holds its tasks, which hold @self */
  g_hash_table_unref (self->questions);
  g_clear_object (&self->polkit);
  g_clear_error (&self->unavailable);
  G_OBJECT_CLASS (ood_authority_parent_class)->finalize (object);
}

static void
ood_authority_class_init (OodAuthorityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ood_authority_finalize;
}

static void
ood_authority_init (OodAuthority *self)
{
  self->questions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) question_free);
}

/**
 * ood_authority_new:
 * @on_system_bus: whether the service serves the system bus (polkit's
 *   subjects are then bus names)
 * @timeout_ms: how long polkit may take to answer a question that cannot
 *   prompt
 */
OodAuthority *
ood_authority_new (gboolean on_system_bus, guint timeout_ms)
{
  OodAuthority *self = g_object_new (OOD_TYPE_AUTHORITY, NULL);

  self->on_system_bus = on_system_bus;
  self->timeout_ms = MAX (timeout_ms, 1);
  self->own_uid = getuid ();
  return self;
}
