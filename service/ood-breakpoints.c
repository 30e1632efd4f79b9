/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-target"

#include "ood-breakpoints.h"

#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-reply.h"
#include "ood-tcl-script.h"

#define MAX_BREAKPOINT_LENGTH 64

struct _OodBreakpoints {
  OodDbusBreakpointsSkeleton parent_instance;

  OodSession   *session;
  char         *target_name;
  GArray       *list;       /* (element-type OodTclBreakpoint) by address */
};

static void ood_breakpoints_iface_init (OodDbusBreakpointsIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodBreakpoints, ood_breakpoints, OOD_DBUS_TYPE_BREAKPOINTS_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_BREAKPOINTS, ood_breakpoints_iface_init))

typedef struct {
  OodBreakpoints       *self;
  GDBusMethodInvocation *invocation;
  OodTclBreakpoint       breakpoint;
  gboolean               adding;
} Change;

static const char *
kind_name (OodBreakpointKind kind)
{
  return kind == OOD_BP_HARDWARE ? "hw" : "sw";
}

static void
publish (OodBreakpoints *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(tus)"));
  for (guint i = 0; i < self->list->len; i++)
    {
      OodTclBreakpoint *bp = &g_array_index (self->list, OodTclBreakpoint, i);
      g_variant_builder_add (&builder, "(tus)", bp->address, bp->length, kind_name (bp->kind));
    }
  ood_dbus_breakpoints_set_breakpoints (OOD_DBUS_BREAKPOINTS (self), g_variant_builder_end (&builder));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

static gint
compare_address (gconstpointer a, gconstpointer b)
{
  guint64 x = ((const OodTclBreakpoint *) a)->address;
  guint64 y = ((const OodTclBreakpoint *) b)->address;

  return x < y ? -1 : x > y;
}

/* The connection to OpenOCD was lost: until it is back (and the list is
 * read again), which breakpoints it has is unknown, so none are claimed. */
void
ood_breakpoints_forget (OodBreakpoints *self)
{
  if (self->list->len == 0)
    return;
  g_message ("%s: forgetting %u breakpoints until OpenOCD is back", self->target_name,
             self->list->len);
  g_array_set_size (self->list, 0);
  publish (self);
}

static gboolean
same_list (GArray *a, GArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      const OodTclBreakpoint *x = &g_array_index (a, OodTclBreakpoint, i);
      const OodTclBreakpoint *y = &g_array_index (b, OodTclBreakpoint, i);
      if (x->address != y->address || x->length != y->length || x->kind != y->kind)
        return FALSE;
    }
  return TRUE;
}

/**
 * ood_breakpoints_update:
 * @listing: OpenOCD's breakpoint listing of the target (`bp`)
 *
 * Makes the list OpenOCD's own, announcing it if it changed: OpenOCD is
 * the reference, whoever (GDB, telnet, the service) set or removed what.
 */
void
ood_breakpoints_update (OodBreakpoints *self, const char *listing)
{
  g_autoptr(GArray) list = ood_tcl_parse_breakpoints (listing);

  g_array_sort (list, compare_address);
  if (same_list (list, self->list))
    return;
  g_debug ("%s: OpenOCD lists %u breakpoints", self->target_name, list->len);
  g_array_unref (self->list);
  self->list = g_steal_pointer (&list);
  publish (self);
}

static void
on_change_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *change = user_data;
  OodBreakpoints *self = change->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (listing == NULL)
    ood_reply_error (change->invocation, error);
  else
    {
      ood_breakpoints_update (self, listing);
      g_dbus_method_invocation_return_value (change->invocation, NULL);
    }
  g_object_unref (change->invocation);
  g_object_unref (change->self);
  g_free (change);
}

static void
start_change (OodBreakpoints *self, GDBusMethodInvocation *invocation,
              const OodTclBreakpoint *breakpoint, gboolean adding)
{
  Change *change;
  g_autofree char *script = NULL;

  change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->invocation = g_object_ref (invocation);
  change->breakpoint = *breakpoint;
  change->adding = adding;
  script = adding ? ood_tcl_script_bp_add (self->target_name, breakpoint->address,
                                           breakpoint->length, breakpoint->kind)
                  : ood_tcl_script_bp_remove (self->target_name, breakpoint->address);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_NONE,
                          ood_call_cancellable_of (invocation), on_change_done, change);
}

static gboolean
parse_kind (const char *text, OodBreakpointKind *kind)
{
  if (text[0] == '\0' || g_str_equal (text, "sw"))
    *kind = text[0] == '\0' ? OOD_BP_DEFAULT : OOD_BP_SOFTWARE;
  else if (g_str_equal (text, "hw"))
    *kind = OOD_BP_HARDWARE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
handle_add (OodDbusBreakpoints *iface, GDBusMethodInvocation *invocation, guint64 address,
            guint length, const char *kind_text)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (iface);
  OodTclBreakpoint bp = { address, length, OOD_BP_DEFAULT };

  if (!parse_kind (kind_text, &bp.kind))
    ood_reply_invalid_args (invocation, "unknown breakpoint kind '%s' (use hw, sw or empty)",
                            kind_text);
  else if (length == 0 || length > MAX_BREAKPOINT_LENGTH)
    ood_reply_invalid_args (invocation, "breakpoint length must be 1 to %d bytes, not %u",
                            MAX_BREAKPOINT_LENGTH, length);
  else
    start_change (self, invocation, &bp, TRUE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_remove (OodDbusBreakpoints *iface, GDBusMethodInvocation *invocation, guint64 address)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (iface);
  OodTclBreakpoint bp = { address, 0, OOD_BP_DEFAULT };

  start_change (self, invocation, &bp, FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
ood_breakpoints_finalize (GObject *object)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (object);

  g_array_unref (self->list);
  g_free (self->target_name);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ood_breakpoints_parent_class)->finalize (object);
}

static void
ood_breakpoints_iface_init (OodDbusBreakpointsIface *iface)
{
  iface->handle_add = handle_add;
  iface->handle_remove = handle_remove;
}

static void
ood_breakpoints_class_init (OodBreakpointsClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->finalize = ood_breakpoints_finalize;
}

static void
ood_breakpoints_init (OodBreakpoints *self)
{
  self->list = g_array_new (FALSE, FALSE, sizeof (OodTclBreakpoint));
}

/**
 * ood_breakpoints_new:
 * @session: the OpenOCD of the target
 * @target_name: the target's name in OpenOCD
 */
OodBreakpoints *
ood_breakpoints_new (OodSession *session, const char *target_name)
{
  OodBreakpoints *self = g_object_new (OOD_TYPE_BREAKPOINTS, NULL);

  self->session = g_object_ref (session);
  self->target_name = g_strdup (target_name);
  publish (self);
  return self;
}
