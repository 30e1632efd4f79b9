/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-target"

#include "ood-target.h"

#include "ood-breakpoints.h"
#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-reply.h"
#include "ood-state.h"
#include "ood-tcl-script.h"

#define DEFAULT_WAIT_HALT_MS 5000
/* The longest WaitHalt: a waiter holds its caller's share while it waits. */
#define MAX_WAIT_HALT_MS (3600u * 1000)

/* What the service itself last asked of the target, for the reason of
 * the halt that follows where the hart does not tell. */
typedef enum {
  ASKED_NOTHING,
  ASKED_HALT,
  ASKED_STEP,
  ASKED_RESET,
} Asked;

struct _OodTarget {
  OodDbusTargetSkeleton  parent_instance;

  OodSession       *session;
  OodRefresh       *refresh;
  OodBreakpoints   *breakpoints;  /* the sibling org.openocd.Breakpoints */
  Asked             asked;
  guint             address_bits; /* the PC's width, once OpenOCD showed it */
  gboolean          unreachable;  /* OpenOCD cannot reach it: state unknown */
  guint             gdb_connections; /* gdb-attach events less gdb-detach ones */
  GList             *waiters;      /* (element-type Waiter) WaitHalt callers */
  gboolean           gone;         /* disposed: no new waiters */
  char *state_script;              /* ood_tcl_script_state() of the target, built once */
  GVariant *reply;                 /* the last (a{sv}) state reply; what it says: */
  const char *reply_state;         /* (interned) */
  gboolean reply_pc_valid;
  guint64 reply_pc;
};

static void ood_target_iface_init (OodDbusTargetIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodTarget, ood_target, OOD_DBUS_TYPE_TARGET_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_TARGET, ood_target_iface_init))

/* One WaitHalt caller waiting for the target to halt. */
typedef struct {
  OodTarget            *target;
  GDBusMethodInvocation *invocation;
  GSource               *deadline;
  guint                  timeout_ms;
  char                  *sender;
} Waiter;

/* One method call waiting for OpenOCD. */
typedef struct {
  OodTarget            *target;
  GDBusMethodInvocation *invocation;
  gboolean               returns_state;
  gboolean               acts;      /* answered once a refresh published what it did */
  OodTclTargetRecord    *record;    /* what its script read, while it waits for that */
  GError                *failure;   /* OpenOCD's, while what it left is read */
} Call;

static OodCallers *
callers_of (OodTarget *self)
{
  return ood_session_get_settings (self->session)->callers;
}

/* What callers of a target that vanished meanwhile hear. */
static const GError *
gone_error (void)
{
  static GError gone = { 0, OOD_ERROR_DISCONNECTED, (char *) "the target is gone" };

  gone.domain = OOD_ERROR;
  return &gone;
}

const char *
ood_target_get_name (OodTarget *self)
{
  return ood_dbus_target_get_name (OOD_DBUS_TARGET (self));
}

GVariant *
ood_target_dup_state_dict (OodTarget *self)
{
  OodDbusTarget *iface = OOD_DBUS_TARGET (self);

  return g_variant_ref_sink (ood_state_dict_new (ood_dbus_target_get_name (iface),
                                                 ood_dbus_target_get_state (iface),
                                                 ood_dbus_target_get_current_pc_valid (iface),
                                                 ood_dbus_target_get_current_pc (iface)));
}

/* Answers the waiter, with @error (taken) or with the current state. */
static void
waiter_finish (Waiter *waiter, GError *error)
{
  OodTarget *self = waiter->target;

  self->waiters = g_list_remove (self->waiters, waiter);
  g_source_destroy (waiter->deadline);
  g_source_unref (waiter->deadline);
  ood_callers_release (callers_of (self), waiter->sender, TRUE);
  if (error != NULL)
    {
      ood_reply_error (waiter->invocation, error);
      g_error_free (error);
    }
  else
    {
      g_autoptr(GVariant) state = ood_target_dup_state_dict (self);
      ood_dbus_target_complete_wait_halt (OOD_DBUS_TARGET (self), waiter->invocation, state);
    }
  g_object_unref (waiter->invocation);
  g_free (waiter->sender);
  g_free (waiter);
}

/* A caller left the bus: its waiters are dropped at once, not at their
 * deadline. */
static void
on_caller_vanished (OodCallers *callers, const char *sender, gpointer user_data)
{
  OodTarget *self = user_data;
  GList *l = self->waiters;

  (void) callers;
  while (l != NULL)
    {
      Waiter *waiter = l->data;
      l = l->next;
      if (g_strcmp0 (waiter->sender, sender) == 0)
        waiter_finish (waiter, g_error_new_literal (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                                    "the caller left the bus"));
    }
}

static void
fail_waiters (OodTarget *self, const GError *error)
{
  while (self->waiters != NULL)
    waiter_finish (self->waiters->data, g_error_copy (error));
}

static void
wake_waiters (OodTarget *self)
{
  while (self->waiters != NULL)
    waiter_finish (self->waiters->data, NULL);
}

/* Why the target halted: from the hart's dcsr.cause where the record has
 * it (RISC-V Debug Specification 0.13, 4.8.1), else from what the service
 * asked. A reset that halts leaves the cause of the halt request OpenOCD
 * made during it, so the reset is told first. */
static const char *
halt_reason (OodTarget *self, const OodTclTargetRecord *record)
{
  if (record->reset_halt || self->asked == ASKED_RESET)
    return "reset";
  switch (record->cause)
    {
    case 1: /* ebreak */
      return "breakpoint";
    case 2: /* a trigger: OpenOCD's hardware breakpoints are triggers too */
      return record->pc_valid && ood_breakpoints_has_hardware_at (self->breakpoints, record->pc)
             ? "breakpoint" : "watchpoint";
    case 4: /* step */
      return "step";
    case 5: /* resethaltreq */
      return "reset";
    case 3: /* haltreq */
    case 6: /* a halt group's */
      return self->asked == ASKED_HALT ? "request" : "external";
    default:
      break;
    }
  return self->asked == ASKED_HALT ? "request" : self->asked == ASKED_STEP ? "step" : "unknown";
}

/* Whether @record says other than the properties: state or PC. */
static gboolean
differs (OodTarget *self, const OodTclTargetRecord *record)
{
  OodDbusTarget *iface = OOD_DBUS_TARGET (self);

  return g_strcmp0 (ood_dbus_target_get_state (iface), record->state) != 0 ||
         ood_dbus_target_get_current_pc_valid (iface) != record->pc_valid ||
         ood_dbus_target_get_current_pc (iface) != (record->pc_valid ? record->pc : 0);
}

/**
 * ood_target_apply:
 * @record: what OpenOCD just said about this target
 *
 * Publishes @record: all changed properties go out in one
 * PropertiesChanged, sent at once, HaltCount and HaltReason with State and
 * CurrentPc where the record brings halts; WaitHalt callers are answered
 * if the target is halted.
 *
 * Returns: whether the state or PC changed, or a halt was counted
 */
gboolean
ood_target_apply (OodTarget *self, const OodTclTargetRecord *record)
{
  OodDbusTarget *iface = OOD_DBUS_TARGET (self);
  OodTclTargetRecord unreachable;
  gboolean changed;

  if (self->unreachable)
    {
      /* what OpenOCD says of a target it cannot reach is stale */
      unreachable = (OodTclTargetRecord) { .name = record->name, .type = record->type,
                                           .state = (char *) OOD_STATE_UNKNOWN,
                                           .gdb_port_known = record->gdb_port_known,
                                           .gdb_port = record->gdb_port };
      record = &unreachable;
    }
  self->address_bits = MAX (self->address_bits, record->pc_bits);
  changed = differs (self, record) || record->halts > 0;
  if (record->pc_error != NULL)
    g_debug ("%s: halted, but its PC could not be read: %s", record->name, record->pc_error);

  /* most State() calls change nothing: they then cost no property writes */
  if (changed || (record->type != NULL &&
                  g_strcmp0 (ood_dbus_target_get_target_type (iface), record->type) != 0) ||
      (record->gdb_port_known && ood_dbus_target_get_gdb_port (iface) != record->gdb_port))
    {
      g_object_freeze_notify (G_OBJECT (self));
      if (record->type != NULL)
        ood_dbus_target_set_target_type (iface, record->type);
      if (record->gdb_port_known)
        ood_dbus_target_set_gdb_port (iface, record->gdb_port);
      ood_dbus_target_set_state (iface, record->state);
      ood_dbus_target_set_current_pc (iface, record->pc_valid ? record->pc : 0);
      ood_dbus_target_set_current_pc_valid (iface, record->pc_valid);
      if (record->halts > 0)
        {
          ood_dbus_target_set_halt_reason (iface, halt_reason (self, record));
          ood_dbus_target_set_halt_count (iface,
                                          ood_dbus_target_get_halt_count (iface) + record->halts);
          self->asked = ASKED_NOTHING;
        }
      g_object_thaw_notify (G_OBJECT (self));
      g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
    }

  if (g_strcmp0 (record->state, OOD_STATE_HALTED) == 0)
    wake_waiters (self);
  return changed;
}

static GError *
debugger_attached (OodTarget *self)
{
  return g_error_new (OOD_ERROR, OOD_ERROR_DEBUGGER_ATTACHED,
                      "a debugger (GDB) is attached to %s; detach it or use it",
                      ood_target_get_name (self));
}

/* Counts a GDB in (@attached) or out; GdbAttached goes out at once. */
static void
count_gdb (OodTarget *self, gboolean attached)
{
  if (attached)
    self->gdb_connections++;
  else if (self->gdb_connections > 0)
    self->gdb_connections--;
  ood_dbus_target_set_gdb_attached (OOD_DBUS_TARGET (self), self->gdb_connections > 0);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/**
 * ood_target_disconnected:
 *
 * OpenOCD went away: the state is unknown, no GDB is attached (a GDB's
 * connection ends with its OpenOCD; on a mere network drop OpenOCD's
 * events of the meantime are lost) and waiting callers fail with @reason.
 */
void
ood_target_disconnected (OodTarget *self, const GError *reason)
{
  OodTclTargetRecord unknown = {
    .name = (char *) ood_target_get_name (self),
    .type = (char *) ood_dbus_target_get_target_type (OOD_DBUS_TARGET (self)),
    .state = (char *) OOD_STATE_UNKNOWN,
  };

  self->gdb_connections = 0;
  ood_dbus_target_set_gdb_attached (OOD_DBUS_TARGET (self), FALSE);
  ood_target_apply (self, &unknown);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  fail_waiters (self, reason);
}

/**
 * ood_target_set_reachable:
 *
 * Whether OpenOCD can reach the target. While it cannot, the target is
 * published as unknown with no PC, whatever OpenOCD's stale state says.
 */
void
ood_target_set_reachable (OodTarget *self, gboolean reachable)
{
  OodTclTargetRecord unknown = {
    .name = (char *) ood_target_get_name (self),
    .state = (char *) OOD_STATE_UNKNOWN,
  };

  if (self->unreachable == !reachable)
    return;
  self->unreachable = !reachable;
  if (!reachable)
    ood_target_apply (self, &unknown);
}

/**
 * ood_target_get_halt_asked:
 *
 * Returns: whether a Halt through the service is under way on the target
 */
gboolean
ood_target_get_halt_asked (OodTarget *self)
{
  return self->asked == ASKED_HALT;
}

/**
 * ood_target_share_halt_asked:
 *
 * A Halt through the service on another target halted this one too (an
 * SMP group): a halt request the hart reports is then "request".
 */
void
ood_target_share_halt_asked (OodTarget *self)
{
  if (self->asked == ASKED_NOTHING)
    self->asked = ASKED_HALT;
}

gboolean
ood_target_get_reachable (OodTarget *self)
{
  return !self->unreachable;
}

/**
 * ood_target_emit_event:
 * @event: an OpenOCD event that concerns this target
 *
 * Forwards @event as TargetEvent; OpenOCD's gdb-attach and gdb-detach
 * first change GdbAttached, in a PropertiesChanged of its own.
 */
void
ood_target_emit_event (OodTarget *self, const char *event)
{
  if (g_str_equal (event, "gdb-attach") || g_str_equal (event, "gdb-detach"))
    count_gdb (self, g_str_equal (event, "gdb-attach"));
  ood_dbus_target_emit_target_event (OOD_DBUS_TARGET (self), event);
}

/**
 * ood_target_check_no_debugger:
 *
 * For an action GDB could not be told of: fails with
 * %OOD_ERROR_DEBUGGER_ATTACHED while GdbAttached is true.
 *
 * Returns: whether the action may go ahead
 */
gboolean
ood_target_check_no_debugger (OodTarget *self, GError **error)
{
  if (!ood_dbus_target_get_gdb_attached (OOD_DBUS_TARGET (self)))
    return TRUE;
  g_propagate_error (error, debugger_attached (self));
  return FALSE;
}

/* The (a{sv}) reply of a method returning the state in @record (of
 * @self), owned by @self (not floating: the reply takes a reference of
 * its own). A target polled with State() answers the same again and
 * again: the last reply is kept and sent again while it says the same. */
static GVariant *
state_reply (OodTarget *self, const OodTclTargetRecord *record)
{
  GVariant *dict;

  if (self->reply != NULL && record->state == self->reply_state &&
      record->pc_valid == self->reply_pc_valid && record->pc == self->reply_pc &&
      g_strcmp0 (record->name, ood_target_get_name (self)) == 0)
    return self->reply;
  g_clear_pointer (&self->reply, g_variant_unref);
  dict = ood_state_dict_new (record->name, record->state, record->pc_valid, record->pc);
  self->reply = g_variant_ref_sink (g_variant_new_tuple (&dict, 1));
  self->reply_state = record->state;
  self->reply_pc_valid = record->pc_valid;
  self->reply_pc = record->pc;
  return self->reply;
}

/* Answers @invocation with DebuggerAttached; returns %FALSE (refused)
 * or, while no GDB is attached, %TRUE. */
static gboolean
no_debugger (OodTarget *self, GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;

  if (ood_target_check_no_debugger (self, &error))
    return TRUE;
  ood_reply_error (invocation, error);
  return FALSE;
}

static void
call_free (Call *call)
{
  g_clear_pointer (&call->record, ood_tcl_target_record_free);
  g_clear_error (&call->failure);
  g_object_unref (call->invocation);
  g_object_unref (call->target);
  g_free (call);
}

/* A refresh published what the call did (or could not be read): the
 * call is answered from the properties, or from its own record. */
static void
on_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  OodTarget *self = call->target;
  g_autoptr(GError) error = NULL;

  if (!ood_refresh_sync_finish (OOD_REFRESH (source), result, &error) &&
      g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    ood_reply_error (call->invocation, error);
  else if (self->gone)
    ood_reply_error (call->invocation, gone_error ());
  else if (!call->returns_state)
    g_dbus_method_invocation_return_value (call->invocation, NULL);
  else if (error != NULL)
    g_dbus_method_invocation_return_value (call->invocation,
                                           state_reply (call->target, call->record));
  else
    {
      GVariant *state = ood_target_dup_state_dict (self);
      g_dbus_method_invocation_return_value (call->invocation, g_variant_new_tuple (&state, 1));
      g_variant_unref (state);
    }
  self->asked = ASKED_NOTHING;
  call_free (call);
}

/* What the target did is published by the refresh that reads what OpenOCD
 * announced of it (ood_refresh_sync_async()), never from the call's own
 * record: so State, CurrentPc and HaltCount change together, and a halt
 * is counted once. So also a read that finds the target changed. */
static gboolean
publish_then_answer (Call *call, OodTclTargetRecord *record)
{
  if (!call->acts && !differs (call->target, record))
    return FALSE;
  call->record = record;
  ood_refresh_sync_async (call->target->refresh, ood_target_get_name (call->target), on_synced,
                          call);
  return TRUE;
}

/* What the properties say of the target now, for the error of a call
 * that failed after acting: "the target is halted and the PC now reads
 * 0x80000000", or "the target is now running". */
static char *
now_text (OodTarget *self)
{
  OodDbusTarget *iface = OOD_DBUS_TARGET (self);

  if (ood_dbus_target_get_current_pc_valid (iface))
    return g_strdup_printf ("the target is %s and the PC now reads 0x%" G_GINT64_MODIFIER "x",
                            ood_dbus_target_get_state (iface),
                            ood_dbus_target_get_current_pc (iface));
  return g_strdup_printf ("the target is now %s", ood_dbus_target_get_state (iface));
}

/* A refresh published what the target is after a failed action: the
 * call's error is answered, with what is now true. */
static void
on_failure_synced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  OodTarget *self = call->target;
  g_autoptr(GError) error = NULL;
  g_autofree char *now = NULL;

  if (self->gone)
    now = g_strdup ("the target is gone");
  else if (!ood_refresh_sync_finish (OOD_REFRESH (source), result, &error))
    now = g_strdup_printf ("what the target is now could not be read: %s", error->message);
  else
    now = now_text (self);
  g_dbus_method_invocation_return_error (call->invocation, call->failure->domain,
                                         call->failure->code, "%s; %s", call->failure->message,
                                         now);
  self->asked = ASKED_NOTHING;
  call_free (call);
}

/* OpenOCD failed a command that may have changed the target before it
 * failed (a PC written in part, a step, a reset): what the target is now
 * is read and published before the caller hears of the failure, and told
 * in the error. So is a NotHalted of a target published as halted: OpenOCD
 * found it otherwise (a debug link that broke), and the call and the
 * property must not disagree. A refusal of GDB's target, a lost
 * connection and a command OpenOCD never answered are answered as they
 * are. */
static gboolean
reread_after (Call *call, const GError *error)
{
  OodDbusTarget *iface = OOD_DBUS_TARGET (call->target);

  if (!call->acts || call->target->gone)
    return FALSE;
  if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_TARGET) &&
      !(g_error_matches (error, OOD_ERROR, OOD_ERROR_NOT_HALTED) &&
        g_strcmp0 (ood_dbus_target_get_state (iface), OOD_STATE_HALTED) == 0))
    return FALSE;
  call->failure = g_error_copy (error);
  ood_refresh_sync_async (call->target->refresh, ood_target_get_name (call->target),
                          on_failure_synced, call);
  return TRUE;
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) record = NULL;

  record = ood_session_run_finish (OOD_SESSION (source), result, &error);
  if (record == NULL && reread_after (call, error))
    return;
  /* a script's refusal of a target GDB holds halted: said with the
   * target's name, as the check before the script says it */
  if (record == NULL && g_error_matches (error, OOD_ERROR, OOD_ERROR_DEBUGGER_ATTACHED))
    {
      g_autoptr(GError) attached = debugger_attached (call->target);
      ood_reply_error (call->invocation, attached);
    }
  else if (record == NULL)
    ood_reply_error (call->invocation, error);
  else if (call->target->gone)
    ood_reply_error (call->invocation, gone_error ());
  else if (publish_then_answer (call, record))
    {
      g_steal_pointer (&record);
      return;
    }
  else if ((void) ood_target_apply (call->target, record), call->returns_state)
    g_dbus_method_invocation_return_value (call->invocation, state_reply (call->target, record));
  else
    g_dbus_method_invocation_return_value (call->invocation, NULL);
  if (error != NULL || call->acts)
    call->target->asked = ASKED_NOTHING;
  call_free (call);
}

/* Takes @script; answers @invocation with the target's new state or with
 * nothing, as @returns_state says. A script that acts (@asked, or any
 * flags but SHAREABLE) is answered once its effect is published. */
static gboolean
run_asked (OodTarget *self, GDBusMethodInvocation *invocation, char *script,
           OodSessionCallFlags flags, gboolean returns_state, Asked asked)
{
  g_autofree char *owned = script;
  g_autoptr(GError) busy = NULL;
  Call *call;

  /* OpenOCD cannot reach the target: what it would say of it is stale (a
   * RISC-V target whose Debug Module it cannot read is "running" to
   * OpenOCD 0.12, and a resume of it succeeds doing nothing); State()
   * answers what the properties say, and an action fails */
  if (self->unreachable && !(flags & OOD_SESSION_CALL_SHAREABLE))
    {
      g_dbus_method_invocation_return_error (invocation, OOD_ERROR, OOD_ERROR_TARGET,
                                             "%s is unreachable: OpenOCD cannot reach it",
                                             ood_target_get_name (self));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (self->unreachable && returns_state)
    {
      g_autoptr(GVariant) state = ood_target_dup_state_dict (self);

      g_dbus_method_invocation_return_value (invocation, g_variant_new_tuple (&state, 1));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* while a job holds the target only reads go between its chunks */
  if (!(flags & OOD_SESSION_CALL_SHAREABLE) &&
      !ood_session_check_unclaimed (self->session, ood_target_get_name (self), &busy))
    return ood_reply_error (invocation, busy), G_DBUS_METHOD_INVOCATION_HANDLED;
  call = g_new0 (Call, 1);
  call->target = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->returns_state = returns_state;
  call->acts = !(flags & OOD_SESSION_CALL_SHAREABLE);
  if (call->acts)
    self->asked = asked;
  ood_session_run_async (self->session, owned, flags, ood_call_cancellable_of (invocation),
                         on_run_done, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
run (OodTarget *self, GDBusMethodInvocation *invocation, char *script,
     OodSessionCallFlags flags, gboolean returns_state)
{
  return run_asked (self, invocation, script, flags, returns_state, ASKED_NOTHING);
}

static gboolean
handle_state (OodDbusTarget *iface, GDBusMethodInvocation *invocation)
{
  OodTarget *self = OOD_TARGET (iface);

  return run (self, invocation, g_strdup (self->state_script), OOD_SESSION_CALL_SHAREABLE, TRUE);
}

/* OpenOCD tells a GDB of a halt; beside GDB the script tells it also of
 * a halt that happened before, which OpenOCD did not announce. */
static gboolean
handle_halt (OodDbusTarget *iface, GDBusMethodInvocation *invocation)
{
  OodTarget *self = OOD_TARGET (iface);
  const char *name = ood_target_get_name (self);

  return run_asked (self, invocation,
                    ood_dbus_target_get_gdb_attached (iface) ? ood_tcl_script_halt_for_gdb (name)
                                                             : ood_tcl_script_halt (name),
                    OOD_SESSION_CALL_NONE, TRUE, ASKED_HALT);
}

/* An address the PC cannot hold is refused before OpenOCD sees it (once
 * the PC's width is known; OpenOCD's read-back check catches the rest). */
static gboolean
address_fits (OodTarget *self, GDBusMethodInvocation *invocation, gboolean at_address,
              guint64 address)
{
  if (!at_address || self->address_bits == 0 || self->address_bits >= 64 ||
      address >> self->address_bits == 0)
    return TRUE;
  ood_reply_invalid_args (invocation, "0x%" G_GINT64_MODIFIER "x does not fit the %u-bit PC of %s",
                          address, self->address_bits, ood_target_get_name (self));
  return FALSE;
}

/* Whether to step off a breakpoint first is decided inside the script,
 * from OpenOCD's own list when it runs: never from a cache that a queued
 * call or another client may have made stale. GDB cannot be told that a
 * target it holds halted runs (or stepped). */
static gboolean
resume (OodTarget *self, GDBusMethodInvocation *invocation, gboolean at_address, guint64 address)
{
  if (!address_fits (self, invocation, at_address, address) || !no_debugger (self, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  return run (self, invocation,
              ood_tcl_script_resume (ood_target_get_name (self), at_address, address),
              OOD_SESSION_CALL_NONE, FALSE);
}

static gboolean
step (OodTarget *self, GDBusMethodInvocation *invocation, gboolean at_address, guint64 address)
{
  if (!address_fits (self, invocation, at_address, address) || !no_debugger (self, invocation))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  return run_asked (self, invocation,
                    ood_tcl_script_step (ood_target_get_name (self), at_address, address),
                    OOD_SESSION_CALL_NONE, TRUE, ASKED_STEP);
}

static gboolean
handle_resume (OodDbusTarget *iface, GDBusMethodInvocation *invocation)
{
  return resume (OOD_TARGET (iface), invocation, FALSE, 0);
}

static gboolean
handle_resume_at (OodDbusTarget *iface, GDBusMethodInvocation *invocation, guint64 address)
{
  return resume (OOD_TARGET (iface), invocation, TRUE, address);
}

static gboolean
handle_step (OodDbusTarget *iface, GDBusMethodInvocation *invocation)
{
  return step (OOD_TARGET (iface), invocation, FALSE, 0);
}

static gboolean
handle_step_at (OodDbusTarget *iface, GDBusMethodInvocation *invocation, guint64 address)
{
  return step (OOD_TARGET (iface), invocation, TRUE, address);
}

static gboolean
parse_reset_mode (const char *text, OodResetMode *mode)
{
  if (text[0] == '\0' || g_str_equal (text, "halt"))
    *mode = OOD_RESET_HALT;
  else if (g_str_equal (text, "run"))
    *mode = OOD_RESET_RUN;
  else if (g_str_equal (text, "init"))
    *mode = OOD_RESET_INIT;
  else
    return FALSE;
  return TRUE;
}

/* OpenOCD tells GDB of no reset. Beside GDB, a reset that halts is told
 * to a GDB waiting in `continue` (the script refuses a target GDB holds
 * halted); one that runs is refused: the reset clears the hardware
 * breakpoints GDB inserted, so GDB would wait for a stop that never
 * comes. */
static gboolean
handle_reset (OodDbusTarget *iface, GDBusMethodInvocation *invocation, const char *mode_text)
{
  OodTarget *self = OOD_TARGET (iface);
  const char *name = ood_target_get_name (self);
  OodResetMode mode;
  char *script;

  if (!parse_reset_mode (mode_text, &mode))
    {
      ood_reply_invalid_args (invocation, "unknown reset mode '%s' (use halt, run or init)",
                              mode_text);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!ood_dbus_target_get_gdb_attached (iface))
    script = ood_tcl_script_reset (name, mode);
  else if (mode != OOD_RESET_RUN)
    script = ood_tcl_script_reset_for_gdb (name, mode);
  else
    return no_debugger (self, invocation), G_DBUS_METHOD_INVOCATION_HANDLED;
  return run_asked (self, invocation, script, OOD_SESSION_CALL_NONE, FALSE,
                    mode == OOD_RESET_RUN ? ASKED_NOTHING : ASKED_RESET);
}

static gboolean
on_wait_deadline (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter_finish (waiter, g_error_new (OOD_ERROR, OOD_ERROR_TIMEOUT,
                                      "target did not halt within %u ms", waiter->timeout_ms));
  return G_SOURCE_REMOVE;
}

static void
add_waiter (OodTarget *self, GDBusMethodInvocation *invocation, guint timeout_ms, char *sender)
{
  Waiter *waiter = g_new0 (Waiter, 1);

  waiter->target = self;
  waiter->sender = sender;
  waiter->invocation = invocation;
  waiter->timeout_ms = timeout_ms;
  waiter->deadline = g_timeout_source_new (timeout_ms);
  g_source_set_callback (waiter->deadline, on_wait_deadline, waiter, NULL);
  g_source_attach (waiter->deadline, g_main_context_get_thread_default ());
  self->waiters = g_list_prepend (self->waiters, waiter);
}

typedef struct {
  OodTarget            *target;
  GDBusMethodInvocation *invocation;
  guint                  timeout_ms;
  char                  *sender;
} WaitStart;

/* The fresh state is in: answer now if halted, else wait for the
 * notification-driven refresh that reports the halt. */
static void
on_wait_state (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WaitStart *start = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OodTclTargetRecord) record = NULL;

  record = ood_session_run_finish (OOD_SESSION (source), result, &error);
  if (record == NULL)
    ood_reply_error (start->invocation, error);
  else if (start->target->gone)
    ood_reply_error (start->invocation, gone_error ());
  else if (!differs (start->target, record) && g_strcmp0 (record->state, OOD_STATE_HALTED) == 0)
    g_dbus_method_invocation_return_value (start->invocation, state_reply (start->target, record));
  else
    {
      /* a change goes out with the refresh that counts its halt, which
       * then answers the waiter */
      add_waiter (start->target, start->invocation, start->timeout_ms,
                  g_steal_pointer (&start->sender));
      start->invocation = NULL;
      if (differs (start->target, record))
        ood_refresh_request (start->target->refresh);
    }
  if (start->invocation != NULL)
    {
      ood_callers_release (callers_of (start->target), start->sender, TRUE);
      g_object_unref (start->invocation);
    }
  g_object_unref (start->target);
  g_free (start->sender);
  g_free (start);
}

static gboolean
handle_wait_halt (OodDbusTarget *iface, GDBusMethodInvocation *invocation, guint timeout_ms)
{
  OodTarget *self = OOD_TARGET (iface);
  g_autofree char *script = NULL;
  WaitStart *start;

  if (timeout_ms > MAX_WAIT_HALT_MS)
    {
      ood_reply_invalid_args (invocation, "WaitHalt waits at most %u ms, not %u", MAX_WAIT_HALT_MS,
                              timeout_ms);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!ood_callers_admit (callers_of (self), invocation, TRUE))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  script = g_strdup (self->state_script);
  start = g_new0 (WaitStart, 1);
  start->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  start->target = g_object_ref (self);
  start->invocation = g_object_ref (invocation);
  start->timeout_ms = timeout_ms != 0 ? timeout_ms : DEFAULT_WAIT_HALT_MS;
  ood_session_run_async (self->session, script, OOD_SESSION_CALL_SHAREABLE,
                         ood_call_cancellable_of (invocation), on_wait_state, start);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
ood_target_dispose (GObject *object)
{
  OodTarget *self = OOD_TARGET (object);
  self->gone = TRUE;
  fail_waiters (self, gone_error ());
  g_clear_object (&self->session);
  g_clear_object (&self->refresh);
  g_clear_object (&self->breakpoints);
  g_clear_pointer (&self->reply, g_variant_unref);
  G_OBJECT_CLASS (ood_target_parent_class)->dispose (object);
}

static void
ood_target_finalize (GObject *object)
{
  OodTarget *self = OOD_TARGET (object);

  g_free (self->state_script);
  G_OBJECT_CLASS (ood_target_parent_class)->finalize (object);
}

static void
ood_target_iface_init (OodDbusTargetIface *iface)
{
  iface->handle_state = handle_state;
  iface->handle_halt = handle_halt;
  iface->handle_resume = handle_resume;
  iface->handle_resume_at = handle_resume_at;
  iface->handle_step = handle_step;
  iface->handle_step_at = handle_step_at;
  iface->handle_reset = handle_reset;
  iface->handle_wait_halt = handle_wait_halt;
}

static void
ood_target_class_init (OodTargetClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->dispose = ood_target_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_target_finalize;
}

static void
ood_target_init (OodTarget *self)
{
  (void) self;
}

/**
 * ood_target_new:
 * @session: the OpenOCD the target belongs to
 * @refresh: the refresh of @session's targets, which publishes what the
 *   target's methods did
 * @breakpoints: the target's org.openocd.Breakpoints, for why it halted
 * @endpoint_name: the endpoint's name, for the Endpoint property
 * @record: the target as OpenOCD first reported it
 *
 * Returns: (transfer full): the interface, to be added to an object
 */
OodTarget *
ood_target_new (OodSession *session, OodRefresh *refresh, OodBreakpoints *breakpoints,
                const char *endpoint_name, const OodTclTargetRecord *record)
{
  OodTarget *self = g_object_new (OOD_TYPE_TARGET, NULL);

  self->session = g_object_ref (session);
  self->refresh = g_object_ref (refresh);
  self->breakpoints = g_object_ref (breakpoints);
  ood_dbus_target_set_halt_reason (OOD_DBUS_TARGET (self), "unknown");
  if (callers_of (self) != NULL)
    g_signal_connect_object (callers_of (self), "vanished", G_CALLBACK (on_caller_vanished), self,
                             G_CONNECT_DEFAULT);
  ood_dbus_target_set_name (OOD_DBUS_TARGET (self), record->name);
  self->state_script = ood_tcl_script_state (record->name);
  ood_dbus_target_set_endpoint (OOD_DBUS_TARGET (self), endpoint_name);
  ood_target_apply (self, record);
  return self;
}
