/* SPDX-License-Identifier: MIT */
/*
 * OodLock on its own: grants, the FIFO queue, deadlines, callers that go,
 * members, the bounds, and "changed" once per change. No bus: callers are
 * plain names, and the main context is iterated by hand.
 */
#include <gio/gio.h>

#include "ood-error.h"
#include "ood-lock.h"

/* Generous: only a "give up waiting" bound. */
#define WAIT_MS 10000

/* What one acquire came to. */
typedef struct {
  GPtrArray *log;     /* (element-type utf8) shared: the order things happened in */
  const char *name;
  gboolean    done;
  gboolean    granted;
  GError     *error;
} Acquire;

typedef struct {
  OodLock   *lock;
  GPtrArray *log;       /* "granted NAME", "failed NAME", "changed" */
  guint      changes;
} Fixture;

static void
on_changed (OodLock *lock, gpointer user_data)
{
  Fixture *fx = user_data;

  (void) lock;
  fx->changes++;
  g_ptr_array_add (fx->log, g_strdup ("changed"));
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  (void) data;
  fx->lock = ood_lock_new ("default");
  fx->log = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (fx->lock, "changed", G_CALLBACK (on_changed), fx);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_object_add_weak_pointer (G_OBJECT (fx->lock), (gpointer *) &fx->lock);
  g_object_unref (fx->lock);
  /* no task of a waiting acquire kept it */
  g_assert_null (fx->lock);
  g_ptr_array_unref (fx->log);
}

static void
on_acquired (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Acquire *acquire = user_data;

  acquire->granted = ood_lock_acquire_finish (OOD_LOCK (source), result, &acquire->error);
  acquire->done = TRUE;
  g_ptr_array_add (acquire->log, g_strdup_printf ("%s %s", acquire->granted ? "granted" : "failed",
                                                  acquire->name));
}

static void
acquire_start (Fixture *fx, Acquire *acquire, const char *name, guint timeout_ms,
               GCancellable *cancellable)
{
  *acquire = (Acquire) { .log = fx->log, .name = name };
  ood_lock_acquire_async (fx->lock, name, 1000, "a test", timeout_ms, cancellable, on_acquired,
                          acquire);
}

static void
acquire_clear (Acquire *acquire)
{
  g_clear_error (&acquire->error);
}

static gboolean
is_done (gpointer user_data)
{
  return ((Acquire *) user_data)->done;
}

static void
iterate_until (gboolean (*done) (gpointer), gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!done (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Runs whatever is ready, without waiting for timers. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Acquires the free lock for @name and checks it was granted. */
static void
take_lock (Fixture *fx, const char *name)
{
  Acquire acquire;

  acquire_start (fx, &acquire, name, 0, NULL);
  iterate_until (is_done, &acquire);
  g_assert_no_error (acquire.error);
  g_assert_true (acquire.granted);
  g_assert_cmpstr (ood_lock_get_holder (fx->lock), ==, name);
}

static void
assert_log (Fixture *fx, const char *const *expected)
{
  g_autofree char *got = NULL;
  g_autofree char *want = g_strjoinv (", ", (GStrv) expected);

  g_ptr_array_add (fx->log, NULL);
  got = g_strjoinv (", ", (GStrv) fx->log->pdata);
  g_ptr_array_remove_index (fx->log, fx->log->len - 1);
  g_assert_cmpstr (got, ==, want);
}

/* ---- cases -------------------------------------------------------------- */

/* The free lock is granted at once, with what the holder said. */
static void
test_grant (Fixture *fx, gconstpointer data)
{
  Acquire acquire;
  gint64 before = g_get_real_time ();

  (void) data;
  g_assert_false (ood_lock_is_held (fx->lock));
  g_assert_true (ood_lock_check (fx->lock, ":1.9", NULL));
  acquire_start (fx, &acquire, ":1.1", 0, NULL);
  /* held from the call on, and "changed" said so */
  g_assert_cmpstr (ood_lock_get_holder (fx->lock), ==, ":1.1");
  g_assert_cmpuint (fx->changes, ==, 1);
  iterate_until (is_done, &acquire);
  g_assert_true (acquire.granted);
  g_assert_cmpuint (ood_lock_get_holder_uid (fx->lock), ==, 1000);
  g_assert_cmpstr (ood_lock_get_reason (fx->lock), ==, "a test");
  g_assert_cmpint (ood_lock_get_since (fx->lock), >=, before);
  g_assert_cmpuint (ood_lock_get_serial (fx->lock), ==, 1);
  g_assert_true (ood_lock_check (fx->lock, ":1.1", NULL));

  g_assert_true (ood_lock_release (fx->lock, ":1.1", NULL));
  g_assert_false (ood_lock_is_held (fx->lock));
  g_assert_cmpstr (ood_lock_get_reason (fx->lock), ==, "");
  g_assert_cmpint (ood_lock_get_since (fx->lock), ==, 0);
  g_assert_cmpuint (fx->changes, ==, 2);
  acquire_clear (&acquire);
}

/* Held by another: timeout 0 fails at once with the holder's text; the
 * holder's second acquire exists already; a non-holder cannot release. */
static void
test_timeout_zero (Fixture *fx, gconstpointer data)
{
  Acquire other, again;
  g_autoptr(GError) error = NULL;

  (void) data;
  take_lock (fx, ":1.42");
  acquire_start (fx, &other, ":1.7", 0, NULL);
  iterate_until (is_done, &other);
  g_assert_error (other.error, OOD_ERROR, OOD_ERROR_LEASED);
  g_assert_cmpstr (other.error->message, ==,
                   "endpoint default is leased by uid 1000 (:1.42): a test");
  g_assert_false (ood_lock_check (fx->lock, ":1.7", &error));
  g_assert_error (error, OOD_ERROR, OOD_ERROR_LEASED);
  g_clear_error (&error);

  acquire_start (fx, &again, ":1.42", 1000, NULL);
  iterate_until (is_done, &again);
  g_assert_error (again.error, OOD_ERROR, OOD_ERROR_EXISTS);
  g_assert_false (ood_lock_release (fx->lock, ":1.7", &error));
  g_assert_error (error, OOD_ERROR, OOD_ERROR_NOT_FOUND);
  g_assert_cmpstr (ood_lock_get_holder (fx->lock), ==, ":1.42");
  /* one change: the grant; the refusals changed nothing */
  g_assert_cmpuint (fx->changes, ==, 1);
  g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, 0);
  acquire_clear (&other);
  acquire_clear (&again);
}

/* Waiters get the lock in the order they asked, one release each. */
static void
test_fifo (Fixture *fx, gconstpointer data)
{
  const char *names[] = { ":1.2", ":1.3", ":1.4" };
  Acquire waiters[G_N_ELEMENTS (names)];
  const char *const expected[] = {
    "changed", "granted :1.1", "changed", "changed", "changed",   /* three queued */
    "changed", "granted :1.2", "changed", "granted :1.3", "changed", "granted :1.4",
    "changed", NULL
  };

  (void) data;
  take_lock (fx, ":1.1");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      acquire_start (fx, &waiters[i], names[i], WAIT_MS, NULL);
      g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, i + 1);
    }
  drain ();
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_false (waiters[i].done);
  g_assert_true (ood_lock_release (fx->lock, ":1.1", NULL));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      iterate_until (is_done, &waiters[i]);
      g_assert_no_error (waiters[i].error);
      g_assert_cmpstr (ood_lock_get_holder (fx->lock), ==, names[i]);
      g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, G_N_ELEMENTS (names) - i - 1);
      if (i + 1 < G_N_ELEMENTS (names))
        g_assert_false (waiters[i + 1].done);
      g_assert_true (ood_lock_release (fx->lock, names[i], NULL));
    }
  assert_log (fx, expected);
}

/* A waiter whose timeout passes fails with the holder's text and leaves
 * the queue; the one behind it keeps its place. */
static void
test_deadline (Fixture *fx, gconstpointer data)
{
  Acquire brief, patient;

  (void) data;
  take_lock (fx, ":1.1");
  acquire_start (fx, &brief, ":1.2", 50, NULL);
  acquire_start (fx, &patient, ":1.3", WAIT_MS, NULL);
  iterate_until (is_done, &brief);
  g_assert_error (brief.error, OOD_ERROR, OOD_ERROR_LEASED);
  g_assert_cmpstr (brief.error->message, ==,
                   "endpoint default is leased by uid 1000 (:1.1): a test");
  g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, 1);
  g_assert_false (patient.done);
  g_assert_true (ood_lock_release (fx->lock, ":1.1", NULL));
  iterate_until (is_done, &patient);
  g_assert_true (patient.granted);
  acquire_clear (&brief);
  acquire_clear (&patient);
}

/* The holder goes: the next waiting gets the lock, in one change. */
static void
test_forget_holder (Fixture *fx, gconstpointer data)
{
  Acquire next;
  guint changes;

  (void) data;
  take_lock (fx, ":1.1");
  acquire_start (fx, &next, ":1.2", WAIT_MS, NULL);
  changes = fx->changes;
  ood_lock_forget (fx->lock, ":1.1");
  g_assert_cmpstr (ood_lock_get_holder (fx->lock), ==, ":1.2");
  g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, 0);
  g_assert_cmpuint (fx->changes, ==, changes + 1);
  iterate_until (is_done, &next);
  g_assert_true (next.granted);
  /* forgetting someone the lock never knew changes nothing */
  ood_lock_forget (fx->lock, ":1.99");
  g_assert_cmpuint (fx->changes, ==, changes + 1);
  acquire_clear (&next);
}

/* A waiter that goes is dropped (cancelled); the one behind it gets the
 * lock on release. */
static void
test_forget_queued (Fixture *fx, gconstpointer data)
{
  Acquire gone, next;

  (void) data;
  take_lock (fx, ":1.1");
  acquire_start (fx, &gone, ":1.2", WAIT_MS, NULL);
  acquire_start (fx, &next, ":1.3", WAIT_MS, NULL);
  ood_lock_forget (fx->lock, ":1.2");
  g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, 1);
  g_assert_false (ood_lock_involves (fx->lock, ":1.2"));
  iterate_until (is_done, &gone);
  g_assert_error (gone.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (ood_lock_release (fx->lock, ":1.1", NULL));
  iterate_until (is_done, &next);
  g_assert_cmpstr (ood_lock_get_holder (fx->lock), ==, ":1.3");
  acquire_clear (&gone);
  acquire_clear (&next);
}

/* A cancelled acquire leaves the queue. */
static void
test_cancelled (Fixture *fx, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Acquire waiter;

  (void) data;
  take_lock (fx, ":1.1");
  acquire_start (fx, &waiter, ":1.2", WAIT_MS, cancellable);
  g_cancellable_cancel (cancellable);
  iterate_until (is_done, &waiter);
  g_assert_error (waiter.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, 0);
  acquire_clear (&waiter);
}

/* Members pass the check until they go or the holder changes. */
static void
test_members (Fixture *fx, gconstpointer data)
{
  Acquire next;

  (void) data;
  ood_lock_join (fx->lock, ":1.5");   /* no effect while free */
  take_lock (fx, ":1.1");
  g_assert_false (ood_lock_check (fx->lock, ":1.5", NULL));
  ood_lock_join (fx->lock, ":1.5");
  ood_lock_join (fx->lock, ":1.6");
  g_assert_true (ood_lock_check (fx->lock, ":1.5", NULL));
  g_assert_true (ood_lock_involves (fx->lock, ":1.5"));
  g_assert_false (ood_lock_check (fx->lock, ":1.7", NULL));
  ood_lock_forget (fx->lock, ":1.6");
  g_assert_false (ood_lock_check (fx->lock, ":1.6", NULL));
  g_assert_true (ood_lock_check (fx->lock, ":1.5", NULL));
  /* a member cannot release */
  g_assert_false (ood_lock_release (fx->lock, ":1.5", NULL));

  acquire_start (fx, &next, ":1.2", WAIT_MS, NULL);
  g_assert_true (ood_lock_release (fx->lock, ":1.1", NULL));
  iterate_until (is_done, &next);
  g_assert_false (ood_lock_check (fx->lock, ":1.5", NULL));
  g_assert_false (ood_lock_involves (fx->lock, ":1.5"));
  acquire_clear (&next);
}

/* At most OOD_LOCK_MAX_QUEUE wait, one per caller. */
static void
test_bounds (Fixture *fx, gconstpointer data)
{
  Acquire waiters[OOD_LOCK_MAX_QUEUE], twice, over;
  g_autofree char *names[OOD_LOCK_MAX_QUEUE] = { 0 };

  (void) data;
  take_lock (fx, ":1.1");
  for (guint i = 0; i < OOD_LOCK_MAX_QUEUE; i++)
    {
      names[i] = g_strdup_printf (":2.%u", i);
      acquire_start (fx, &waiters[i], names[i], WAIT_MS, NULL);
    }
  acquire_start (fx, &twice, ":2.0", WAIT_MS, NULL);
  iterate_until (is_done, &twice);
  g_assert_error (twice.error, OOD_ERROR, OOD_ERROR_EXISTS);
  acquire_start (fx, &over, ":3.0", WAIT_MS, NULL);
  iterate_until (is_done, &over);
  g_assert_error (over.error, OOD_ERROR, OOD_ERROR_BUSY);
  g_assert_cmpuint (ood_lock_get_queue_length (fx->lock), ==, OOD_LOCK_MAX_QUEUE);

  /* the endpoint goes: every waiter fails with its reason */
  {
    g_autoptr(GError) gone = g_error_new_literal (OOD_ERROR, OOD_ERROR_DISCONNECTED, "removed");
    guint changes = fx->changes;

    ood_lock_close (fx->lock, gone);
    g_assert_cmpuint (fx->changes, ==, changes + 1);
  }
  for (guint i = 0; i < OOD_LOCK_MAX_QUEUE; i++)
    {
      iterate_until (is_done, &waiters[i]);
      g_assert_error (waiters[i].error, OOD_ERROR, OOD_ERROR_DISCONNECTED);
      acquire_clear (&waiters[i]);
      g_free (names[i]);
      names[i] = NULL;
    }
  g_assert_false (ood_lock_is_held (fx->lock));
  acquire_clear (&twice);
  acquire_clear (&over);
}

/* 1,000 acquire/release cycles, each granted and each released; with a
 * waiter taking over each time. */
static void
test_cycles (Fixture *fx, gconstpointer data)
{
  (void) data;
  for (guint i = 0; i < 1000; i++)
    {
      Acquire first, second;

      acquire_start (fx, &first, ":1.1", 0, NULL);
      acquire_start (fx, &second, ":1.2", WAIT_MS, NULL);
      iterate_until (is_done, &first);
      g_assert_true (first.granted);
      g_assert_true (ood_lock_release (fx->lock, ":1.1", NULL));
      iterate_until (is_done, &second);
      g_assert_true (second.granted);
      g_assert_true (ood_lock_release (fx->lock, ":1.2", NULL));
    }
  g_assert_cmpuint (ood_lock_get_serial (fx->lock), ==, 2000);
  /* per cycle: a grant, one queued, a hand-over, a release */
  g_assert_cmpuint (fx->changes, ==, 4000);
  g_assert_false (ood_lock_is_held (fx->lock));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  (void) ood_error_quark ();
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/lock/grant", test_grant);
  ADD ("/lock/timeout-zero", test_timeout_zero);
  ADD ("/lock/fifo", test_fifo);
  ADD ("/lock/deadline", test_deadline);
  ADD ("/lock/forget-holder", test_forget_holder);
  ADD ("/lock/forget-queued", test_forget_queued);
  ADD ("/lock/cancelled", test_cancelled);
  ADD ("/lock/members", test_members);
  ADD ("/lock/bounds", test_bounds);
  ADD ("/lock/cycles", test_cycles);
#undef ADD
  return g_test_run ();
}
