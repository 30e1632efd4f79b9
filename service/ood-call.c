/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-call"

#include "ood-call.h"

#include "ood-error.h"
#include "ood-reply.h"

#define ACTION_ANNOTATION "org.openocd.Action"

struct _OodDoor {
  GObject            parent_instance;

  OodCallers        *callers;
  OodAuthority      *authority;
};

G_DEFINE_FINAL_TYPE (OodDoor, ood_door, G_TYPE_OBJECT)

/* Per instance: which door, and which endpoint's lease applies. */
typedef struct {
  OodDoor *door;    /* owned */
  OodLock *lock;    /* (nullable) owned: the lease of the endpoint */
} Attachment;

/* Per class: the generated vtable, and ours that puts the door before it. */
typedef struct {
  GDBusInterfaceVTable *(*inner_get_vtable) (GDBusInterfaceSkeleton *skeleton);
  GDBusInterfaceVTable  inner;
  GDBusInterfaceVTable  outer;
  gboolean              ready;
} Hook;

struct _OodCall {
  OodCallers   *callers;   /* owned */
  char         *sender;
  OodCallerId   caller;    /* caller.sender points to @sender */
  GCancellable *cancellable;
  const char   *action;    /* static: the introspection data's */
  gboolean      counted;   /* against the caller's share of calls */
};

/* A call on its way through the door. */
typedef struct {
  GDBusInterfaceSkeleton *skeleton;   /* owned */
  GDBusMethodInvocation  *invocation; /* owned until dispatched or answered */
  GDBusInterfaceMethodCallFunc inner;
  Attachment             *attachment;
  OodCall                *call;       /* (not owned): the invocation's */
} Passage;

static GQuark hook_quark, attachment_quark, call_quark;

static void
attachment_free (Attachment *attachment)
{
  g_object_unref (attachment->door);
  g_clear_object (&attachment->lock);
  g_free (attachment);
}

static void
call_free (OodCall *call)
{
  if (call->counted)
    ood_callers_release (call->callers, call->sender, FALSE);
  g_clear_object (&call->cancellable);
  g_object_unref (call->callers);
  g_free (call->sender);
  g_free (call);
}

static void
passage_free (Passage *passage)
{
  g_object_unref (passage->skeleton);
  g_clear_object (&passage->invocation);
  g_free (passage);
}

/**
 * ood_call_action_of:
 * @method: a method's introspection data
 *
 * Returns: (nullable): the polkit action the method needs, OOD_ACTION_NONE,
 *   or %NULL if its XML names none
 */
const char *
ood_call_action_of (const GDBusMethodInfo *method)
{
  return g_dbus_annotation_info_lookup (method->annotations, ACTION_ANNOTATION);
}

static void
refuse (Passage *passage, const GError *error)
{
  ood_reply_error (g_steal_pointer (&passage->invocation), error);
  passage_free (passage);
}

/* Through the door: the generated code unpacks the arguments and emits
 * the handle-* signal, whose handler answers the call. */
static void
dispatch (Passage *passage)
{
  GDBusMethodInvocation *invocation = g_steal_pointer (&passage->invocation);

  /* formatted only when it is shown: every call comes this way */
  if (passage->call != NULL && !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("%s.%s on %s by uid %u (%s)", g_dbus_method_invocation_get_interface_name (invocation),
             g_dbus_method_invocation_get_method_name (invocation),
             g_dbus_method_invocation_get_object_path (invocation), passage->call->caller.uid,
             passage->call->sender != NULL ? passage->call->sender : "peer");
  passage->inner (g_dbus_method_invocation_get_connection (invocation),
                  g_dbus_method_invocation_get_sender (invocation),
                  g_dbus_method_invocation_get_object_path (invocation),
                  g_dbus_method_invocation_get_interface_name (invocation),
                  g_dbus_method_invocation_get_method_name (invocation),
                  g_dbus_method_invocation_get_parameters (invocation),
                  invocation, passage->skeleton);
  passage_free (passage);
}

static gboolean
lease_applies (const char *action)
{
  return g_str_equal (action, OOD_ACTION_CONTROL) || g_str_equal (action, OOD_ACTION_PROGRAM) ||
         g_str_equal (action, OOD_ACTION_MANAGE) || g_str_equal (action, OOD_ACTION_RAW);
}

/* Allowed by polkit (or trusted): the lease, if any, decides. */
static void
authorized (Passage *passage)
{
  g_autoptr(GError) error = NULL;

  if (passage->attachment->lock != NULL && lease_applies (passage->call->action) &&
      !ood_lock_check (passage->attachment->lock, passage->call->sender, &error))
    {
      refuse (passage, error);
      return;
    }
  dispatch (passage);
}

static void
on_authorized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Passage *passage = user_data;
  g_autoptr(GError) error = NULL;

  if (!ood_authority_check_finish (OOD_AUTHORITY (source), result, &error))
    {
      g_info ("%s.%s by uid %u (%s) refused: %s",
              g_dbus_method_invocation_get_interface_name (passage->invocation),
              g_dbus_method_invocation_get_method_name (passage->invocation),
              passage->call->caller.uid, passage->call->sender, error->message);
      refuse (passage, error);
      return;
    }
  authorized (passage);
}

static gboolean
interactive (GDBusMethodInvocation *invocation)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);

  return (g_dbus_message_get_flags (message) &
          G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
}

/* Who called is known (@call, filled): counts the call against its
 * caller's share and lets it through, or asks polkit first. */
static void
identified (Passage *passage, OodCall *call)
{
  OodAuthority *authority = passage->attachment->door->authority;

  call->caller.sender = call->sender;
  g_object_set_qdata_full (G_OBJECT (passage->invocation), call_quark, call,
                           (GDestroyNotify) call_free);
  passage->call = call;
  if (!ood_callers_admit (call->callers, passage->invocation, FALSE))
    {
      passage->invocation = NULL;   /* answered Busy */
      passage_free (passage);
      return;
    }
  call->counted = TRUE;
  if (g_str_equal (call->action, OOD_ACTION_NONE))
    dispatch (passage);
  else if (ood_authority_is_trusted (authority, call->caller.uid))
    authorized (passage);
  else
    ood_authority_check_async (authority, &call->caller, call->action,
                               interactive (passage->invocation), on_authorized, passage);
}

static OodCall *
call_new (OodCallers *callers, GDBusMethodInvocation *invocation)
{
  OodCall *call = g_new0 (OodCall, 1);

  call->callers = g_object_ref (callers);
  call->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  call->action = ood_call_action_of (g_dbus_method_invocation_get_method_info (invocation));
  return call;
}

static void
on_identified (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Passage *passage = user_data;
  OodCall *call = call_new (OOD_CALLERS (source), passage->invocation);
  g_autoptr(GError) error = NULL;

  if (!ood_callers_identify_finish (call->callers, result, call->sender, &call->caller,
                                    &call->cancellable, &error))
    {
      call_free (call);
      refuse (passage, error);
      return;
    }
  identified (passage, call);
}

static Hook *
hook_of (GDBusInterfaceSkeleton *skeleton)
{
  for (GType type = G_OBJECT_TYPE (skeleton); type != 0; type = g_type_parent (type))
    {
      Hook *hook = g_type_get_qdata (type, hook_quark);
      if (hook != NULL)
        return hook;
    }
  g_assert_not_reached ();
}

/* Every method call of a joined class comes here first; @invocation is
 * ours (transfer full). */
static void
door_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                  const char *interface_name, const char *method_name, GVariant *parameters,
                  GDBusMethodInvocation *invocation, gpointer user_data)
{
  GDBusInterfaceSkeleton *skeleton = user_data;
  const GDBusMethodInfo *info = g_dbus_method_invocation_get_method_info (invocation);
  Passage *passage = g_new0 (Passage, 1);
  g_autoptr(GError) error = NULL;
  OodCall *call;

  (void) connection; (void) object_path; (void) parameters;
  passage->skeleton = g_object_ref (skeleton);
  passage->invocation = invocation;
  passage->inner = hook_of (skeleton)->inner.method_call;
  passage->attachment = g_object_get_qdata (G_OBJECT (skeleton), attachment_quark);
  if (passage->attachment == NULL || info == NULL || ood_call_action_of (info) == NULL)
    {
      g_critical ("%s.%s has no door or no action: refused", interface_name, method_name);
      error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_AUTHORIZED,
                           "%s.%s is not authorized: the service does not know which action "
                           "it needs", interface_name, method_name);
      refuse (passage, error);
      return;
    }
  /* a caller seen before goes through at once; only a first call waits
   * for the bus daemon to say who called */
  call = call_new (passage->attachment->door->callers, invocation);
  if (ood_callers_identify_known (call->callers, sender, &call->caller, &call->cancellable))
    {
      identified (passage, call);
      return;
    }
  call_free (call);
  ood_callers_identify_async (passage->attachment->door->callers, sender, on_identified, passage);
}

static GDBusInterfaceVTable *
door_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  Hook *hook = hook_of (skeleton);

  if (!hook->ready)
    {
      hook->inner = *hook->inner_get_vtable (skeleton);
      hook->outer = hook->inner;
      hook->outer.method_call = door_method_call;
      hook->ready = TRUE;
    }
  return &hook->outer;
}

static void
init_quarks (void)
{
  if (hook_quark == 0)
    {
      hook_quark = g_quark_from_static_string ("ood-call-hook");
      attachment_quark = g_quark_from_static_string ("ood-call-attachment");
      call_quark = g_quark_from_static_string ("ood-call");
    }
}

/**
 * ood_call_install:
 * @klass: the class of a subclass of a generated skeleton, in its
 *   class_init
 *
 * Puts the door in front of every method of the class.
 */
void
ood_call_install (GDBusInterfaceSkeletonClass *klass)
{
  Hook *hook = g_new0 (Hook, 1);   /* lives as long as the class: for ever */

  init_quarks ();
  hook->inner_get_vtable = klass->get_vtable;
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), hook_quark, hook);
  klass->get_vtable = door_get_vtable;
}

/**
 * ood_call_attach:
 * @door: the daemon's door
 * @lock: (nullable): the lease of the endpoint @skeleton belongs to
 */
void
ood_call_attach (GDBusInterfaceSkeleton *skeleton, OodDoor *door, OodLock *lock)
{
  Attachment *attachment;

  g_return_if_fail (OOD_IS_DOOR (door));
  init_quarks ();
  attachment = g_new0 (Attachment, 1);
  attachment->door = g_object_ref (door);
  attachment->lock = lock != NULL ? g_object_ref (lock) : NULL;
  g_object_set_qdata_full (G_OBJECT (skeleton), attachment_quark, attachment,
                           (GDestroyNotify) attachment_free);
}

/* Attaches @skeleton as @model is (a job as the flash that made it). */
void
ood_call_attach_like (GDBusInterfaceSkeleton *skeleton, GDBusInterfaceSkeleton *model)
{
  Attachment *attachment;

  init_quarks ();
  attachment = g_object_get_qdata (G_OBJECT (model), attachment_quark);
  if (attachment != NULL)
    ood_call_attach (skeleton, attachment->door, attachment->lock);
}

/**
 * ood_call_get:
 * @invocation: a call a handler answers
 *
 * Returns: (transfer none) (nullable): the call's context; %NULL only for
 *   a skeleton never attached to a door
 */
OodCall *
ood_call_get (GDBusMethodInvocation *invocation)
{
  init_quarks ();
  return g_object_get_qdata (G_OBJECT (invocation), call_quark);
}

const OodCallerId *
ood_call_get_caller (OodCall *call)
{
  return &call->caller;
}

/* Cancelled when the caller leaves the bus; the same for all its calls. */
GCancellable *
ood_call_get_cancellable (OodCall *call)
{
  return call->cancellable;
}

const char *
ood_call_get_action (OodCall *call)
{
  return call->action;
}

/* The call's cancellable (what handlers pass to the session), or %NULL
 * for a call that did not pass the door. */
GCancellable *
ood_call_cancellable_of (GDBusMethodInvocation *invocation)
{
  OodCall *call = ood_call_get (invocation);

  return call != NULL ? call->cancellable : NULL;
}

/* A further action is checked as the door checks a method's: polkit,
 * then the endpoint's lease. */
static void
on_authorize_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GDBusMethodInvocation *invocation = g_task_get_task_data (task);
  OodCall *call = ood_call_get (invocation);
  Attachment *attachment = g_object_get_qdata (
      G_OBJECT (g_dbus_method_invocation_get_user_data (invocation)), attachment_quark);
  const char *action = g_object_get_data (G_OBJECT (task), "action");
  GError *error = NULL;

  if (!ood_authority_check_finish (OOD_AUTHORITY (source), result, &error))
    g_task_return_error (task, error);
  else if (attachment->lock != NULL && lease_applies (action) &&
           !ood_lock_check (attachment->lock, call->sender, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * ood_call_authorize_async:
 * @invocation: a call that passed the door
 * @action: a further action the call needs, e.g. org.openocd.manage to
 *   cancel another user's job; checked with polkit and, for control,
 *   program and manage, against the endpoint's lease
 */
void
ood_call_authorize_async (GDBusMethodInvocation *invocation, const char *action,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  OodCall *call = ood_call_get (invocation);
  GDBusInterfaceSkeleton *skeleton;
  Attachment *attachment;

  g_task_set_source_tag (task, ood_call_authorize_async);
  skeleton = g_dbus_method_invocation_get_user_data (invocation);
  attachment = G_IS_DBUS_INTERFACE_SKELETON (skeleton)
               ? g_object_get_qdata (G_OBJECT (skeleton), attachment_quark) : NULL;
  if (call == NULL || attachment == NULL)
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_NOT_AUTHORIZED,
                               "%s is not authorized: the call did not pass the door", action);
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, g_object_ref (invocation), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "action", g_strdup (action), g_free);
  ood_authority_check_async (attachment->door->authority, &call->caller, action,
                             interactive (invocation), on_authorize_checked, task);
}

gboolean
ood_call_authorize_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ood_door_dispose (GObject *object)
{
  OodDoor *self = OOD_DOOR (object);

  g_clear_object (&self->callers);
  g_clear_object (&self->authority);
  G_OBJECT_CLASS (ood_door_parent_class)->dispose (object);
}

static void
ood_door_class_init (OodDoorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_door_dispose;
}

static void
ood_door_init (OodDoor *self)
{
  (void) self;
}

/**
 * ood_door_new:
 * @callers: every caller's identity and share
 * @authority: who may do what
 */
OodDoor *
ood_door_new (OodCallers *callers, OodAuthority *authority)
{
  OodDoor *self = g_object_new (OOD_TYPE_DOOR, NULL);

  self->callers = g_object_ref (callers);
  self->authority = g_object_ref (authority);
  return self;
}
