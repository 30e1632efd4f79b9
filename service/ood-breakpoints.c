/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-target"

#include "ood-breakpoints.h"

#include <string.h>

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
  GArray       *watches;    /* (element-type OodTclWatchpoint) by address */
};

static void ood_breakpoints_iface_init (OodDbusBreakpointsIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodBreakpoints, ood_breakpoints, OOD_DBUS_TYPE_BREAKPOINTS_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_BREAKPOINTS, ood_breakpoints_iface_init))

typedef struct {
  OodBreakpoints       *self;
  GDBusMethodInvocation *invocation;
  gboolean               watch;   /* a watchpoint's: the reply lists watchpoints */
  GError                *failure; /* OpenOCD's, while its listings are read again */
} Change;

static const char *
kind_name (OodBreakpointKind kind)
{
  return kind == OOD_BP_HARDWARE ? "hw" : "sw";
}

static const char *
access_name (OodWatchAccess access)
{
  static const char *const names[] = { [OOD_WATCH_READ] = "r", [OOD_WATCH_WRITE] = "w",
                                       [OOD_WATCH_ACCESS] = "a" };

  return access <= OOD_WATCH_ACCESS ? names[access] : "a";
}

static GVariant *
watchpoints_value (OodBreakpoints *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(tuss)"));
  for (guint i = 0; i < self->watches->len; i++)
    {
      OodTclWatchpoint *wp = &g_array_index (self->watches, OodTclWatchpoint, i);
      g_autofree char *condition = g_strdup_printf ("0x%08x/0x%08x", wp->value, wp->mask);

      g_variant_builder_add (&builder, "(tuss)", wp->address, wp->length,
                             access_name (wp->access), condition);
    }
  return g_variant_builder_end (&builder);
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
  g_object_freeze_notify (G_OBJECT (self));
  ood_dbus_breakpoints_set_breakpoints (OOD_DBUS_BREAKPOINTS (self), g_variant_builder_end (&builder));
  ood_dbus_breakpoints_set_watchpoints (OOD_DBUS_BREAKPOINTS (self), watchpoints_value (self));
  g_object_thaw_notify (G_OBJECT (self));
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
  if (self->list->len == 0 && self->watches->len == 0)
    return;
  g_message ("%s: forgetting %u breakpoints and %u watchpoints until OpenOCD is back",
             self->target_name, self->list->len, self->watches->len);
  g_array_set_size (self->list, 0);
  g_array_set_size (self->watches, 0);
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

/**
 * ood_breakpoints_has_hardware_at:
 *
 * Returns: whether OpenOCD, as last read, has a hardware breakpoint at
 *   @address
 */
gboolean
ood_breakpoints_has_hardware_at (OodBreakpoints *self, guint64 address)
{
  for (guint i = 0; i < self->list->len; i++)
    {
      const OodTclBreakpoint *bp = &g_array_index (self->list, OodTclBreakpoint, i);
      if (bp->address == address && bp->kind == OOD_BP_HARDWARE)
        return TRUE;
    }
  return FALSE;
}

static gint
compare_watch_address (gconstpointer a, gconstpointer b)
{
  guint64 x = ((const OodTclWatchpoint *) a)->address;
  guint64 y = ((const OodTclWatchpoint *) b)->address;

  return x < y ? -1 : x > y;
}

/**
 * ood_breakpoints_update_watchpoints:
 * @listing: OpenOCD's watchpoint listing of the target (`wp`)
 *
 * As ood_breakpoints_update(), for the watchpoints.
 */
void
ood_breakpoints_update_watchpoints (OodBreakpoints *self, const char *listing)
{
  g_autoptr(GArray) list = ood_tcl_parse_watchpoints (listing);

  g_array_sort (list, compare_watch_address);
  /* an empty GArray may have no data at all */
  if (list->len == self->watches->len &&
      (list->len == 0 ||
       memcmp (list->data, self->watches->data, list->len * sizeof (OodTclWatchpoint)) == 0))
    return;
  g_debug ("%s: OpenOCD lists %u watchpoints", self->target_name, list->len);
  g_array_unref (self->watches);
  self->watches = g_steal_pointer (&list);
  publish (self);
}

static void
change_free (Change *change)
{
  g_clear_error (&change->failure);
  g_object_unref (change->invocation);
  g_object_unref (change->self);
  g_free (change);
}

/* OpenOCD's listings, read after a change it failed, are published; the
 * failure is answered with what OpenOCD now lists. */
static void
on_relisted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *change = user_data;
  OodBreakpoints *self = change->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_auto(GStrv) lists = listing != NULL ? ood_tcl_parse_list (listing, &error) : NULL;
  g_autofree char *now = NULL;

  if (lists != NULL && g_strv_length (lists) == 2)
    {
      ood_breakpoints_update (self, lists[0]);
      ood_breakpoints_update_watchpoints (self, lists[1]);
      now = g_strdup_printf ("OpenOCD now lists %u breakpoints and %u watchpoints",
                             self->list->len, self->watches->len);
    }
  else
    now = g_strdup_printf ("what OpenOCD lists now could not be read: %s",
                           error != NULL ? error->message : "malformed listing");
  g_dbus_method_invocation_return_error (change->invocation, change->failure->domain,
                                         change->failure->code, "%s; %s",
                                         change->failure->message, now);
  change_free (change);
}

static void
on_change_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *change = user_data;
  OodBreakpoints *self = change->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (listing == NULL && g_error_matches (error, OOD_ERROR, OOD_ERROR_TARGET))
    {
      /* OpenOCD may have changed part of what it was asked (or others
       * changed it meanwhile): its listings are read before the reply */
      g_autofree char *script = ood_tcl_script_bp_list (self->target_name);

      change->failure = g_steal_pointer (&error);
      ood_session_call_async (self->session, script, OOD_SESSION_CALL_NONE, NULL, on_relisted,
                              change);
      return;
    }
  if (listing == NULL)
    ood_reply_error (change->invocation, error);
  else
    {
      if (change->watch)
        ood_breakpoints_update_watchpoints (self, listing);
      else
        ood_breakpoints_update (self, listing);
      g_dbus_method_invocation_return_value (change->invocation, NULL);
    }
  change_free (change);
}

/* Runs @script (taken), a change that answers the new listing of
 * watchpoints (@watch) or breakpoints. */
static void
start_change (OodBreakpoints *self, GDBusMethodInvocation *invocation, char *script,
              gboolean watch)
{
  g_autofree char *owned = script;
  Change *change;

  change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->invocation = g_object_ref (invocation);
  change->watch = watch;
  ood_session_call_async (self->session, owned, OOD_SESSION_CALL_NONE,
                          ood_call_cancellable_of (invocation), on_change_done, change);
}

static gboolean
parse_kind (const char *text, OodBreakpointKind *kind)
{
  if (text[0] == '\0' || g_ascii_strcasecmp (text, "sw") == 0)
    *kind = text[0] == '\0' ? OOD_BP_DEFAULT : OOD_BP_SOFTWARE;
  else if (g_ascii_strcasecmp (text, "hw") == 0)
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
    start_change (self, invocation,
                  ood_tcl_script_bp_add (self->target_name, address, length, bp.kind), FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_remove (OodDbusBreakpoints *iface, GDBusMethodInvocation *invocation, guint64 address)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (iface);

  start_change (self, invocation, ood_tcl_script_bp_remove (self->target_name, address), FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_remove_all (OodDbusBreakpoints *iface, GDBusMethodInvocation *invocation)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (iface);

  start_change (self, invocation, ood_tcl_script_bp_remove_all (self->target_name), FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
parse_access (const char *text, OodWatchAccess *access)
{
  if (g_ascii_strcasecmp (text, "r") == 0)
    *access = OOD_WATCH_READ;
  else if (g_ascii_strcasecmp (text, "w") == 0)
    *access = OOD_WATCH_WRITE;
  else if (g_ascii_strcasecmp (text, "a") == 0)
    *access = OOD_WATCH_ACCESS;
  else
    return FALSE;
  return TRUE;
}

static gboolean
handle_add_watchpoint (OodDbusBreakpoints *iface, GDBusMethodInvocation *invocation,
                       guint64 address, guint length, const char *access_text)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (iface);
  OodWatchAccess access;

  if (!parse_access (access_text, &access))
    ood_reply_invalid_args (invocation, "unknown watchpoint access '%s' (use r, w or a)",
                            access_text);
  else if (length == 0 || length > MAX_BREAKPOINT_LENGTH)
    ood_reply_invalid_args (invocation, "watchpoint length must be 1 to %d bytes, not %u",
                            MAX_BREAKPOINT_LENGTH, length);
  else
    start_change (self, invocation,
                  ood_tcl_script_wp_add (self->target_name, address, length, access), TRUE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_remove_watchpoint (OodDbusBreakpoints *iface, GDBusMethodInvocation *invocation,
                          guint64 address)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (iface);

  start_change (self, invocation, ood_tcl_script_wp_remove (self->target_name, address), TRUE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
ood_breakpoints_finalize (GObject *object)
{
  OodBreakpoints *self = OOD_BREAKPOINTS (object);

  g_array_unref (self->list);
  g_array_unref (self->watches);
  g_free (self->target_name);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ood_breakpoints_parent_class)->finalize (object);
}

static void
ood_breakpoints_iface_init (OodDbusBreakpointsIface *iface)
{
  iface->handle_add = handle_add;
  iface->handle_remove = handle_remove;
  iface->handle_remove_all = handle_remove_all;
  iface->handle_add_watchpoint = handle_add_watchpoint;
  iface->handle_remove_watchpoint = handle_remove_watchpoint;
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
  self->watches = g_array_new (FALSE, FALSE, sizeof (OodTclWatchpoint));
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
