/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-callers.h"

G_BEGIN_DECLS

/*
 * Who may do what: one polkit question per caller and action.
 *
 * Trusted without asking: uid 0, and the service's own uid (on the system
 * bus the dedicated service user, which nobody else runs as; on a session
 * or private bus the user who started the service and runs the bus).
 * Everyone else is asked of polkit, asynchronously. On the system bus
 * the subject is the caller's unique bus name (race-free: polkit reads
 * the credentials itself); on any other bus, where polkit cannot see the
 * name, it is the caller's process (pid and uid as the bus daemon gave
 * them). Where polkit does not answer, nothing is authorized: the call is
 * refused with a message that says why, on every bus.
 *
 * Identical questions (the same caller, action and interactivity) in
 * flight at once share one polkit call. A question polkit leaves
 * unanswered for the timeout is cancelled and fails with
 * OOD_ERROR_TIMEOUT; a denial is OOD_ERROR_NOT_AUTHORIZED naming the
 * action.
 */

#define OOD_TYPE_AUTHORITY (ood_authority_get_type ())
G_DECLARE_FINAL_TYPE (OodAuthority, ood_authority, OOD, AUTHORITY, GObject)

/* How long polkit may take to answer a question that cannot prompt. A
 * question that may prompt (the caller allowed interactive authorization)
 * waits OOD_AUTHORITY_INTERACTIVE_TIMEOUT_MS, as long as a person needs. */
#define OOD_AUTHORITY_DEFAULT_TIMEOUT_MS     25000
#define OOD_AUTHORITY_INTERACTIVE_TIMEOUT_MS 300000


OodAuthority *ood_authority_new          (gboolean on_system_bus,
                                          guint    timeout_ms);
gboolean      ood_authority_is_trusted   (OodAuthority *self,
                                          guint         uid);
void          ood_authority_check_async  (OodAuthority       *self,
                                          const OodCallerId  *caller,
                                          const char         *action,
                                          gboolean            interactive,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean      ood_authority_check_finish (OodAuthority *self,
                                          GAsyncResult *result,
                                          GError      **error);

G_END_DECLS
