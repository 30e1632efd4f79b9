/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The exclusive use of one endpoint: who holds it, who shares it, and who
 * waits for it. Callers are named by an opaque string (the endpoint uses
 * their unique bus names) and a uid; the lock knows nothing of D-Bus, of
 * the targets or of the bus names' lives: whoever watches the names calls
 * ood_lock_forget() when one goes.
 *
 * - The holder: granted by ood_lock_acquire_async(), until it calls
 *   ood_lock_release() or is forgotten. Then the first of the queue gets
 *   it at once.
 * - Members: callers the holder let in (ood_lock_join()); they pass
 *   ood_lock_check() until they are forgotten or the holder changes.
 * - The queue: acquires waiting in FIFO order, each until its timeout,
 *   its cancellable, or ood_lock_forget() of its caller ends it; at most
 *   OOD_LOCK_MAX_QUEUE, at most one per caller.
 *
 * "changed" is emitted once for each operation that changed the holder,
 * the queue's length or both, after the lock is in its new state and
 * before any acquire that it ended completes.
 */

#define OOD_TYPE_LOCK (ood_lock_get_type ())
G_DECLARE_FINAL_TYPE (OodLock, ood_lock, OOD, LOCK, GObject)

/* How many acquires may wait for one lock. */
#define OOD_LOCK_MAX_QUEUE 64

OodLock    *ood_lock_new             (const char *endpoint_name);

void        ood_lock_acquire_async   (OodLock            *self,
                                      const char         *sender,
                                      guint               uid,
                                      const char         *reason,
                                      guint               timeout_ms,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean    ood_lock_acquire_finish  (OodLock       *self,
                                      GAsyncResult  *result,
                                      GError       **error);
gboolean    ood_lock_release         (OodLock     *self,
                                      const char  *sender,
                                      GError     **error);
void        ood_lock_forget          (OodLock    *self,
                                      const char *sender);
void        ood_lock_join            (OodLock    *self,
                                      const char *sender);
gboolean    ood_lock_check           (OodLock     *self,
                                      const char  *sender,
                                      GError     **error);
void        ood_lock_close           (OodLock      *self,
                                      const GError *error);

gboolean    ood_lock_is_held         (OodLock *self);
guint64     ood_lock_get_serial      (OodLock *self);
const char *ood_lock_get_holder      (OodLock *self);
guint       ood_lock_get_holder_uid  (OodLock *self);
const char *ood_lock_get_reason      (OodLock *self);
gint64      ood_lock_get_since       (OodLock *self);
guint       ood_lock_get_queue_length (OodLock *self);
gboolean    ood_lock_involves        (OodLock    *self,
                                      const char *sender);
const char *ood_lock_get_endpoint_name (OodLock *self);

G_END_DECLS
