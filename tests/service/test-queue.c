/* SPDX-License-Identifier: MIT */
/*
 * The command queue of one OpenOCD, driven in this process through an
 * OodSession (linked from the daemon's core library) against a real
 * OpenOCD on the simulated board: calls that pass the same GCancellable are
 * one caller's ("key"), and callers are served in turn; a cancelled caller's
 * queued commands never reach OpenOCD.
 *
 * Everything is asserted in ORDER and COUNTS, never in time: the order in
 * which replies arrive, and how many of a caller's scripts OpenOCD ran,
 * counted by OpenOCD itself in a Tcl variable the scripts increment.
 */
#include <gio/gio.h>
#include <signal.h>

#include "ood-session.h"
#include "ood-tcl-memory.h"
#include "ood-tcl-script.h"
#include "ood-testbed.h"

#define WAIT_MS 30000
#define N_FLOOD 500
#define MAX_WAITING (N_FLOOD + 1)
#define RAM_START G_GUINT64_CONSTANT (0x80000000)
#define PIECE_WORDS 64   /* 256 bytes: a read of memory, kept short */

/* One call and what became of it. */
typedef struct {
  struct _Fixture *fx;
  char             key;          /* the caller, for the order of replies */
  gboolean         done;
  guint            seq;          /* its place among all replies */
  char            *text;
  GError          *error;
  GCancellable    *cancel_when_done;  /* (nullable): cancelled from its callback */
} Call;

typedef struct _Fixture {
  OodTestbed *testbed;
  OodSession *session;
  GPtrArray  *calls;     /* (element-type Call) every call made */
  GString    *order;     /* the key of each successful reply, in arrival order */
  guint       arrivals;
} Fixture;

static void
call_free (Call *call)
{
  g_clear_object (&call->cancel_when_done);
  g_free (call->text);
  g_clear_error (&call->error);
  g_free (call);
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->text = ood_session_call_finish (OOD_SESSION (source), result, &call->error);
  call->done = TRUE;
  call->seq = call->fx->arrivals++;
  if (call->text != NULL)
    g_string_append_c (call->fx->order, call->key);
  if (call->cancel_when_done != NULL)
    g_cancellable_cancel (call->cancel_when_done);
}

/* Queues @script for caller @key (its cancellable @cancellable). */
static Call *
call (Fixture *fx, char key, GCancellable *cancellable, const char *script,
      OodSessionCallFlags flags)
{
  Call *c = g_new0 (Call, 1);

  c->fx = fx;
  c->key = key;
  g_ptr_array_add (fx->calls, c);
  ood_session_call_async (fx->session, script, flags, cancellable, on_reply, c);
  return c;
}

static gboolean
on_give_up (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @done says so; gives up after WAIT_MS. */
static void
iterate_until (gboolean (*done) (gpointer), gpointer data, const char *what)
{
  gboolean expired = FALSE;
  GSource *give_up = g_timeout_source_new (WAIT_MS);

  g_source_set_callback (give_up, on_give_up, &expired, NULL);
  g_source_attach (give_up, NULL);
  while (!done (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (give_up);
  g_source_unref (give_up);
  if (expired)
    g_error ("gave up waiting for %s", what);
}

static gboolean
is_done (gpointer data)
{
  return ((Call *) data)->done;
}

/* Every call made so far has come back. */
static gboolean
all_done (gpointer data)
{
  Fixture *fx = data;

  for (guint i = 0; i < fx->calls->len; i++)
    if (!((Call *) g_ptr_array_index (fx->calls, i))->done)
      return FALSE;
  return TRUE;
}

static void
wait_call (Call *c)
{
  iterate_until (is_done, c, "a reply");
}

/* Runs @script as the session's own work (no caller) and gives its text. */
static const char *
run (Fixture *fx, const char *script)
{
  Call *c = call (fx, '-', NULL, script, OOD_SESSION_CALL_NONE);

  wait_call (c);
  g_assert_no_error (c->error);
  return c->text;
}

/* A script that counts itself in OpenOCD's Tcl variable @counter, then
 * reads a short piece of memory, as a transfer's chunk does. */
static char *
counted_read (Fixture *fx, const char *counter)
{
  g_autofree char *read = ood_tcl_script_mem_read (ood_testbed_get_target_name (fx->testbed),
                                                   RAM_START, 32, PIECE_WORDS);

  return g_strdup_printf ("incr ::%s; %s", counter, read);
}

/* OpenOCD's count in @counter, asked for by a caller of its own. */
static guint64
count_of (Fixture *fx, const char *counter)
{
  g_autoptr(GCancellable) asker = g_cancellable_new ();
  g_autofree char *script = g_strdup_printf ("format {0 %%s} $::%s", counter);
  Call *c = call (fx, '?', asker, script, OOD_SESSION_CALL_SHAREABLE);

  wait_call (c);
  g_assert_no_error (c->error);
  return g_ascii_strtoull (c->text, NULL, 10);
}

/* How many of @key's calls came back with text before @until did. */
static guint
replies_before (Fixture *fx, char key, const Call *until)
{
  guint n = 0;

  for (guint i = 0; i < fx->calls->len; i++)
    {
      Call *c = g_ptr_array_index (fx->calls, i);
      if (c->key == key && c->done && c->text != NULL && c->seq < until->seq)
        n++;
    }
  return n;
}

static guint
answered_of (Fixture *fx, char key)
{
  Call everything = { .seq = G_MAXUINT };

  return replies_before (fx, key, &everything);
}

static guint
cancelled_of (Fixture *fx, char key)
{
  guint n = 0;

  for (guint i = 0; i < fx->calls->len; i++)
    {
      Call *c = g_ptr_array_index (fx->calls, i);
      if (c->key == key && g_error_matches (c->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        n++;
    }
  return n;
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *halt = NULL;
  OodSettings settings;

  (void) data;
  fx->testbed = ood_testbed_new (NULL, &error);
  g_assert_no_error (error);
  fx->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) call_free);
  fx->order = g_string_new (NULL);
  address = ood_testbed_get_address (fx->testbed);
  ood_settings_init_defaults (&settings);
  settings.max_waiting = MAX_WAITING;
  fx->session = ood_session_new ("queue", address, &settings);
  ood_session_start (fx->session);
  /* connected, and the target halted so that its memory reads */
  halt = ood_tcl_script_halt (ood_testbed_get_target_name (fx->testbed));
  run (fx, halt);
  run (fx, "set ::ood_n 0; set ::ood_s 0; format {0 ok}");
  g_ptr_array_set_size (fx->calls, 0);
  g_string_truncate (fx->order, 0);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  (void) data;
  ood_session_stop (fx->session);
  /* calls the stop failed come back in idles */
  iterate_until (all_done, fx, "the calls failed by the stop");
  g_clear_object (&fx->session);
  g_ptr_array_unref (fx->calls);
  g_string_free (fx->order, TRUE);
  g_clear_pointer (&fx->testbed, ood_testbed_free);
}

/* Caller A queues N_FLOOD reads as a transfer's chunks, then caller B one
 * command that acts (a Halt): B's reply comes after at most 2 of A's, the
 * one in flight when B called and the one A's turn sent before B's. */
static void
test_flood_then_halt (Fixture *fx, gconstpointer data)
{
  g_autoptr(GCancellable) a = g_cancellable_new ();
  g_autoptr(GCancellable) b = g_cancellable_new ();
  g_autofree char *piece = counted_read (fx, "ood_n");
  g_autofree char *halt = ood_tcl_script_halt (ood_testbed_get_target_name (fx->testbed));
  Call *halted;
  guint before;

  (void) data;
  for (guint i = 0; i < N_FLOOD; i++)
    call (fx, 'A', a, piece, OOD_SESSION_CALL_CHUNK);
  halted = call (fx, 'B', b, halt, OOD_SESSION_CALL_NONE);
  iterate_until (all_done, fx, "the flood and the halt");
  g_assert_no_error (halted->error);
  before = replies_before (fx, 'A', halted);
  g_test_message ("B's Halt came after %u of A's %u queued reads", before, N_FLOOD);
  g_assert_cmpuint (before, <=, 2);
  g_assert_cmpuint (answered_of (fx, 'A'), ==, N_FLOOD);
  g_assert_cmpuint (count_of (fx, "ood_n"), ==, N_FLOOD);
}

/* Three callers queue ten each, A first: once A's first is in flight,
 * the replies come out one of each caller in turn. */
static void
test_round_robin (Fixture *fx, gconstpointer data)
{
  g_autoptr(GCancellable) a = g_cancellable_new ();
  g_autoptr(GCancellable) b = g_cancellable_new ();
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autofree char *piece = counted_read (fx, "ood_n");

  (void) data;
  for (guint i = 0; i < 10; i++)
    call (fx, 'A', a, piece, OOD_SESSION_CALL_CHUNK);
  for (guint i = 0; i < 10; i++)
    call (fx, 'B', b, piece, OOD_SESSION_CALL_CHUNK);
  for (guint i = 0; i < 10; i++)
    call (fx, 'C', c, piece, OOD_SESSION_CALL_CHUNK);
  iterate_until (all_done, fx, "three callers' reads");
  g_test_message ("order of replies: %s", fx->order->str);
  g_assert_cmpstr (fx->order->str, ==, "A" "ABCABCABCABCABCABCABCABCABC" "BC");
}

/* A caller's queue is cancelled after its first reply: from that reply's
 * callback (@data NULL), before anything of A's is sent again; or from
 * outside (@data non-NULL), while A's next is in flight. Everything it
 * still had queued fails at once with G_IO_ERROR_CANCELLED, OpenOCD runs
 * at most the one in flight (whose reply A never gets), and the queue is
 * empty: the whole limit is free again, and OpenOCD runs nothing more of
 * A's. */
static void
test_cancel_drops_queued (Fixture *fx, gconstpointer data)
{
  gboolean in_flight = data != NULL;
  g_autoptr(GCancellable) a = g_cancellable_new ();
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autofree char *piece = counted_read (fx, "ood_n");
  Call *first = NULL;
  guint answered;
  guint64 ran;

  for (guint i = 0; i < N_FLOOD; i++)
    {
      Call *piece_call = call (fx, 'A', a, piece, OOD_SESSION_CALL_CHUNK);
      if (first == NULL)
        first = piece_call;
    }
  if (in_flight)
    {
      wait_call (first);
      g_cancellable_cancel (a);
      answered = answered_of (fx, 'A');
    }
  else
    {
      first->cancel_when_done = g_object_ref (a);
      answered = 1;   /* the first, whose callback cancels */
    }
  iterate_until (all_done, fx, "the cancelled caller's calls");
  g_assert_no_error (first->error);
  g_assert_cmpuint (answered_of (fx, 'A'), ==, answered);
  g_assert_cmpuint (cancelled_of (fx, 'A'), ==, N_FLOOD - answered);
  ran = count_of (fx, "ood_n");
  g_test_message ("cancelled after %u replies: OpenOCD ran %" G_GUINT64_FORMAT " of the %u "
                  "queued reads", answered, ran, N_FLOOD);
  g_assert_cmpuint (ran, ==, answered + (in_flight ? 1 : 0));

  for (guint i = 0; i < MAX_WAITING; i++)
    call (fx, 'C', c, "format {0 ok}", OOD_SESSION_CALL_NONE);
  iterate_until (all_done, fx, "the other caller's calls");
  g_assert_cmpuint (answered_of (fx, 'C'), ==, MAX_WAITING);
  g_assert_cmpuint (count_of (fx, "ood_n"), ==, ran);
}

/* A call whose cancellable is already cancelled fails at once: while
 * OpenOCD is stopped (SIGSTOP), so no round trip could complete it, and
 * OpenOCD never runs it. */
static void
test_cancelled_before (Fixture *fx, gconstpointer data)
{
  g_autoptr(GCancellable) a = g_cancellable_new ();
  g_autofree char *piece = counted_read (fx, "ood_n");
  int openocd = ood_testbed_get_openocd_pid (fx->testbed);
  Call *cancelled;

  (void) data;
  g_assert_cmpint (openocd, >, 0);
  g_cancellable_cancel (a);
  g_assert_cmpint (kill (openocd, SIGSTOP), ==, 0);
  cancelled = call (fx, 'A', a, piece, OOD_SESSION_CALL_CHUNK);
  wait_call (cancelled);
  g_assert_cmpint (kill (openocd, SIGCONT), ==, 0);
  g_assert_error (cancelled->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (count_of (fx, "ood_n"), ==, 0);
}

/* Identical shareable reads of two callers share one round trip, which
 * comes in the turn of whichever caller reaches it first; it is sent
 * for a caller whose partner was cancelled, and not at all once both
 * were. The shared script counts its runs in OpenOCD. */
static void
test_shared_read (Fixture *fx, gconstpointer data)
{
  g_autoptr(GCancellable) a = g_cancellable_new ();
  g_autoptr(GCancellable) b = g_cancellable_new ();
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autoptr(GCancellable) d = g_cancellable_new ();
  g_autoptr(GCancellable) e = g_cancellable_new ();
  g_autoptr(GCancellable) f = g_cancellable_new ();
  g_autoptr(GCancellable) g = g_cancellable_new ();
  g_autofree char *piece = counted_read (fx, "ood_n");
  const char *shared = "incr ::ood_s; format {0 %s} $::ood_s";
  Call *of_a, *of_b, *of_d, *of_e, *of_f, *of_g;

  (void) data;
  /* A's read waits behind five of A's pieces ('A'), B's joins it: B's
   * turn sends it after one of A's pieces, for both */
  call (fx, 'C', c, piece, OOD_SESSION_CALL_CHUNK);
  for (guint i = 0; i < 5; i++)
    call (fx, 'A', a, piece, OOD_SESSION_CALL_CHUNK);
  of_a = call (fx, 'a', a, shared, OOD_SESSION_CALL_SHAREABLE);
  of_b = call (fx, 'B', b, shared, OOD_SESSION_CALL_SHAREABLE);
  iterate_until (all_done, fx, "the shared read");
  g_test_message ("order of replies: %s", fx->order->str);
  g_assert_no_error (of_a->error);
  g_assert_no_error (of_b->error);
  g_assert_cmpstr (of_a->text, ==, "1");
  g_assert_cmpstr (of_b->text, ==, "1");
  g_assert_cmpuint (of_b->seq, ==, of_a->seq + 1);
  g_assert_cmpuint (replies_before (fx, 'A', of_b), <=, 1);
  g_assert_cmpuint (count_of (fx, "ood_s"), ==, 1);

  /* shared by D and E, D cancelled: sent once, for E */
  call (fx, 'C', c, piece, OOD_SESSION_CALL_CHUNK);
  of_d = call (fx, 'D', d, shared, OOD_SESSION_CALL_SHAREABLE);
  of_e = call (fx, 'E', e, shared, OOD_SESSION_CALL_SHAREABLE);
  g_cancellable_cancel (d);
  iterate_until (all_done, fx, "the read shared with a cancelled caller");
  g_assert_error (of_d->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (of_e->error);
  g_assert_cmpstr (of_e->text, ==, "2");

  /* shared by F and G, both cancelled: never sent */
  call (fx, 'C', c, piece, OOD_SESSION_CALL_CHUNK);
  of_f = call (fx, 'F', f, shared, OOD_SESSION_CALL_SHAREABLE);
  of_g = call (fx, 'G', g, shared, OOD_SESSION_CALL_SHAREABLE);
  g_cancellable_cancel (g);
  g_cancellable_cancel (f);
  iterate_until (all_done, fx, "the read shared by two cancelled callers");
  g_assert_error (of_f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (of_g->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (count_of (fx, "ood_s"), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/queue/flood-then-halt", Fixture, NULL, fixture_set_up, test_flood_then_halt,
              fixture_tear_down);
  g_test_add ("/queue/round-robin", Fixture, NULL, fixture_set_up, test_round_robin,
              fixture_tear_down);
  g_test_add ("/queue/cancel-drops-queued", Fixture, NULL, fixture_set_up,
              test_cancel_drops_queued, fixture_tear_down);
  g_test_add ("/queue/cancel-in-flight", Fixture, "in flight", fixture_set_up,
              test_cancel_drops_queued, fixture_tear_down);
  g_test_add ("/queue/cancelled-before", Fixture, NULL, fixture_set_up, test_cancelled_before,
              fixture_tear_down);
  g_test_add ("/queue/shared-read", Fixture, NULL, fixture_set_up, test_shared_read,
              fixture_tear_down);
  return g_test_run ();
}
