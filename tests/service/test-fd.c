/* SPDX-License-Identifier: MIT */
/* Integration tests of the fds clients hand over (Memory.ReadToFd and
 * WriteFromFd, the images of Flash.Program): the real daemon on a private
 * bus, a real OpenOCD and the simulated board. An fd that moves no byte
 * for --fd-stall-timeout fails its call or job with
 * org.openocd.Error.Stalled; a caller that leaves the bus has its
 * transfers stopped; one caller holds at most 16 transfers or jobs with
 * fds at once. Each case checks the daemon's open fds (/proc/PID/fd)
 * return to their number before, and that the target answers without
 * Busy afterwards. What happened is asserted, never how long it took:
 * waits only give up. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"
#include "ood-test-proc.h"

#define RAM_START   G_GUINT64_CONSTANT (0x80000000)
/* RAM the built-in program and OpenOCD's work area (0x8000c000) leave alone */
#define SCRATCH     G_GUINT64_CONSTANT (0x80020000)
#define FLASH_BASE  G_GUINT64_CONSTANT (0x08000000)
#define CHUNK       4096u
#define MIB         (1024u * 1024u)
#define MAX_FDS     16          /* a caller's transfers or jobs with fds at once */

#define STALL_MS      "300"
#define STALL_TEXT    "the fd moved no byte for 300 ms"
/* where the deadline must not be what ends a transfer */
#define LONG_STALL_MS "600000"
#define GIVE_UP_MS    30000

#define STALLED "org.openocd.Error.Stalled"
#define BUSY    "org.openocd.Error.Busy"

static const char *const stall_args[] = { "--fd-stall-timeout", STALL_MS, NULL };
static const char *const long_stall_args[] = { "--fd-stall-timeout", LONG_STALL_MS, NULL };
static const OodServiceOptions stall = { .extra_args = stall_args };
static const OodServiceOptions long_stall = { .extra_args = long_stall_args };

static gboolean
address_bits_learnt (gpointer user_data)
{
  OodTestFixture *fx = user_data;
  g_autoptr(GVariant) bits = ood_test_get_property (fx->bus, fx->target_path, "org.openocd.Memory",
                                                     "AddressBits", 5000, NULL);

  return bits != NULL && g_variant_get_uint32 (bits) != 0;
}

/* The shared fixture, once the service knows the target's memory. */
static void
fd_set_up (OodTestFixture *fx, gconstpointer options)
{
  ood_test_fixture_set_up (fx, options);
  g_assert_true (ood_test_wait_for (address_bits_learnt, fx, GIVE_UP_MS));
}

/* The daemon's process. */
static GPid
daemon_pid (OodTestFixture *fx)
{
  return ood_service_fixture_get_service_pid (fx->service);
}

/* ---- helpers ------------------------------------------------------------ */

/* A pipe holding one chunk at most. */
static void
small_pipe (int fds[2])
{
  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  g_assert_cmpint (fcntl (fds[1], F_SETPIPE_SZ, CHUNK), ==, CHUNK);
}

/* Starts @method of @iface on @bus with @args, whose handle 0 is @fd
 * (passed, still the test's); @pending gets the answer. No D-Bus timeout:
 * the tests give up on their own. */
static void
start_call (OodTestFixture *fx, GDBusConnection *bus, const char *iface, const char *method,
            GVariant *args, int fd, OodTestPending *pending)
{
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_unix_fd_list_append (list, fd, &error), ==, 0);
  g_assert_no_error (error);
  g_dbus_connection_call_with_unix_fd_list (bus, "org.openocd", fx->target_path, iface, method,
                                            args, NULL, G_DBUS_CALL_FLAGS_NONE, G_MAXINT, list,
                                            NULL, ood_test_pending_done, pending);
}

/* ReadToFd or WriteFromFd (@method) of @size bytes at @address. */
static void
start_transfer (OodTestFixture *fx, GDBusConnection *bus, const char *method, guint64 address,
                guint64 size, int fd, OodTestPending *pending)
{
  start_call (fx, bus, "org.openocd.Memory", method,
              g_variant_new ("(tth)", address, size, 0), fd, pending);
}

static void
start_program (OodTestFixture *fx, int fd, OodTestPending *pending)
{
  start_call (fx, fx->bus, "org.openocd.Flash", "Program",
              g_variant_new ("(hst@a{sv})", 0, "bin", FLASH_BASE,
                             g_variant_new ("a{sv}", NULL)),
              fd, pending);
}

static void
wait_answer (OodTestPending *pending)
{
  g_assert_true (ood_test_wait_for (ood_test_pending_is_done, pending, GIVE_UP_MS));
}

static guint
bytes_in (int fd)
{
  int n = -1;

  g_assert_cmpint (ioctl (fd, FIONREAD, &n), ==, 0);
  return (guint) n;
}

typedef struct {
  GPid  pid;
  guint n;
} FdCount;

static gboolean
fd_count_is (gpointer user_data)
{
  FdCount *count = user_data;

  return ood_test_proc_count_fds (count->pid) == count->n;
}

/* The daemon's open fds come back to @before. */
static void
assert_fds_back (OodTestFixture *fx, guint before)
{
  FdCount count = { daemon_pid (fx), before };

  if (!ood_test_wait_for (fd_count_is, &count, GIVE_UP_MS))
    g_error ("the daemon has %u fds open, %u before the call",
             ood_test_proc_count_fds (daemon_pid (fx)), before);
}

/* The target answers State() and Halt(), so no transfer or job holds it. */
static void
assert_target_free (OodTestFixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL, halted = NULL;

  g_assert_true (ood_dbus_target_call_state_sync (fx->target, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_dbus_target_call_halt_sync (fx->target, &halted, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_stalled (const GError *error)
{
  ood_test_assert_dbus_error (error, STALLED, OOD_ERROR, OOD_ERROR_STALLED);
  g_assert_nonnull (strstr (error->message, STALL_TEXT));
}

/* ---- stalls ------------------------------------------------------------- */

/* A ReadToFd into a pipe nobody reads: the first chunk fills it, the
 * second never goes in, and the call fails with Stalled. */
static void
test_read_to_fd_stalled (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending pending = { 0 };
  int fds[2];
  guint before;

  (void) options;
  small_pipe (fds);
  before = ood_test_proc_count_fds (daemon_pid (fx));
  start_transfer (fx, fx->bus, "ReadToFd", SCRATCH, 16 * CHUNK, fds[1], &pending);
  close (fds[1]);
  wait_answer (&pending);
  assert_stalled (pending.error);
  /* it ended at the fd: what fit in the pipe arrived */
  g_assert_cmpuint (bytes_in (fds[0]), ==, CHUNK);
  assert_fds_back (fx, before);
  assert_target_free (fx);
  close (fds[0]);
  ood_test_pending_clear (&pending);
}

/* A WriteFromFd from a FIFO whose writer never writes. */
static void
test_write_from_fd_stalled (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending pending = { 0 };
  g_autofree char *fifo = g_build_filename (ood_service_fixture_get_tmpdir (fx->service), "fifo",
                                            NULL);
  int reader, writer;
  guint before;

  (void) options;
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  /* opened without waiting for the writer, then blocking as a client has it */
  reader = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (reader, >=, 0);
  writer = open (fifo, O_WRONLY | O_CLOEXEC);
  g_assert_cmpint (writer, >=, 0);
  g_assert_cmpint (fcntl (reader, F_SETFL, 0), ==, 0);
  before = ood_test_proc_count_fds (daemon_pid (fx));
  start_transfer (fx, fx->bus, "WriteFromFd", SCRATCH, CHUNK, reader, &pending);
  close (reader);
  wait_answer (&pending);
  assert_stalled (pending.error);
  assert_fds_back (fx, before);
  assert_target_free (fx);
  close (writer);
  ood_test_pending_clear (&pending);
}

typedef struct {
  char    *path;
  gboolean completed;
  gboolean success;
  char    *error_name;
  char    *message;
} Completion;

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
              const char *member, GVariant *parameters, gpointer user_data)
{
  Completion *completion = user_data;

  (void) bus, (void) sender, (void) iface, (void) member;
  if (g_strcmp0 (path, completion->path) != 0)
    return;
  g_assert_false (completion->completed);
  completion->completed = TRUE;
  g_variant_get (parameters, "(bss)", &completion->success, &completion->error_name,
                 &completion->message);
}

static gboolean
is_completed (gpointer user_data)
{
  return ((Completion *) user_data)->completed;
}

/* A Program whose image never ends (a pipe whose writer stays and never
 * writes): the job fails with Stalled and lets the target go. */
static void
test_program_stalled (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending pending = { 0 };
  Completion completion = { 0 };
  g_autoptr(GVariant) state = NULL;
  guint subscription, before;
  int fds[2];

  (void) options;
  subscription = g_dbus_connection_signal_subscribe (fx->bus, "org.openocd", "org.openocd.Job",
                                                     "Completed", NULL, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_completed,
                                                     &completion, NULL);
  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  before = ood_test_proc_count_fds (daemon_pid (fx));
  start_program (fx, fds[0], &pending);
  close (fds[0]);
  wait_answer (&pending);
  g_assert_no_error (pending.error);
  g_variant_get (pending.reply, "(o)", &completion.path);
  g_assert_true (ood_test_wait_for (is_completed, &completion, GIVE_UP_MS));
  g_assert_false (completion.success);
  g_assert_cmpstr (completion.error_name, ==, STALLED);
  g_assert_nonnull (strstr (completion.message, STALL_TEXT));
  state = ood_test_get_property (fx->bus, completion.path, "org.openocd.Job", "State", 5000,
                                 NULL);
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "failed");
  assert_fds_back (fx, before);
  assert_target_free (fx);
  close (fds[1]);
  g_dbus_connection_signal_unsubscribe (fx->bus, subscription);
  g_free (completion.path);
  g_free (completion.error_name);
  g_free (completion.message);
  ood_test_pending_clear (&pending);
}

/* ---- moving fds --------------------------------------------------------- */

typedef struct {
  int         fd;
  GByteArray *data;       /* what was read, when kept */
  GBytes     *to_write;   /* or what is to be written */
  gint        moved;      /* atomic: bytes so far */
} Pump;

/* Reads the pipe to its end, counting what arrives. */
static gpointer
drain_thread (gpointer user_data)
{
  Pump *pump = user_data;
  guint8 buffer[CHUNK];
  gssize n;

  while ((n = read (pump->fd, buffer, sizeof buffer)) > 0)
    {
      if (pump->data != NULL)
        g_byte_array_append (pump->data, buffer, (guint) n);
      g_atomic_int_add (&pump->moved, (gint) n);
    }
  g_assert_cmpint (n, ==, 0);
  close (pump->fd);
  return NULL;
}

/* Writes its bytes into the pipe a chunk at a time, then closes it. */
static gpointer
feed_thread (gpointer user_data)
{
  Pump *pump = user_data;
  gsize size;
  const guint8 *data = g_bytes_get_data (pump->to_write, &size);

  for (gsize done = 0; done < size;)
    {
      gssize n = write (pump->fd, data + done, MIN (CHUNK, size - done));

      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
      g_atomic_int_add (&pump->moved, (gint) n);
    }
  close (pump->fd);
  return NULL;
}

static GBytes *
random_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_random_int ();
  return g_bytes_new_take (data, size);
}

/* @method ("ReadToFd" or "WriteFromFd") of @size bytes at SCRATCH through
 * a small pipe whose other end a thread of @func works on with @pump. */
static void
transfer_through_pipe (OodTestFixture *fx, const char *method, gsize size, GThreadFunc func,
                       Pump *pump)
{
  gboolean to_fd = g_str_equal (method, "ReadToFd");
  OodTestPending pending = { 0 };
  GThread *thread;
  int fds[2];

  small_pipe (fds);
  pump->fd = to_fd ? fds[0] : fds[1];
  thread = g_thread_new (method, func, pump);
  start_transfer (fx, fx->bus, method, SCRATCH, size, to_fd ? fds[1] : fds[0], &pending);
  close (to_fd ? fds[1] : fds[0]);
  wait_answer (&pending);
  g_assert_no_error (pending.error);
  g_thread_join (thread);
  ood_test_pending_clear (&pending);
}

/* Transfers that take many times the stall timeout, through fds that keep
 * moving, succeed: the deadline is for progress, not for the call, and
 * OpenOCD's time does not count against the fd. */
static void
test_moving_not_stalled (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) data = random_bytes (32 * CHUNK);
  gsize size = g_bytes_get_size (data);
  g_autoptr(GBytes) written = NULL, read = NULL;
  Pump feed = { -1, NULL, data, 0 }, drain = { -1, g_byte_array_new (), NULL, 0 };

  (void) options;
  transfer_through_pipe (fx, "WriteFromFd", size, feed_thread, &feed);
  written = ood_test_tcl_read_memory (fx->testbed, 32, SCRATCH, size);
  g_assert_true (g_bytes_equal (written, data));
  transfer_through_pipe (fx, "ReadToFd", size, drain_thread, &drain);
  read = g_byte_array_free_to_bytes (drain.data);
  g_assert_true (g_bytes_equal (read, data));
}

/* The service polls the client's pipe through a description of its own:
 * the client's copy (here the test's, which stays open through the call)
 * is still blocking afterwards, in both directions. */
static void
test_client_fd_kept_blocking (OodTestFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) data = random_bytes (4 * CHUNK);
  Pump drain = { -1, NULL, NULL, 0 }, feed = { -1, NULL, data, 0 };
  OodTestPending read = { 0 }, write = { 0 };
  GThread *thread;
  int out[2], in[2];

  (void) options;
  small_pipe (out);
  drain.fd = out[0];
  thread = g_thread_new ("drain", drain_thread, &drain);
  start_transfer (fx, fx->bus, "ReadToFd", SCRATCH, 4 * CHUNK, out[1], &read);
  wait_answer (&read);
  g_assert_no_error (read.error);
  g_assert_cmpint (fcntl (out[1], F_GETFL) & O_NONBLOCK, ==, 0);
  close (out[1]);
  g_thread_join (thread);

  small_pipe (in);
  feed.fd = in[1];
  thread = g_thread_new ("feed", feed_thread, &feed);
  start_transfer (fx, fx->bus, "WriteFromFd", SCRATCH, 4 * CHUNK, in[0], &write);
  wait_answer (&write);
  g_assert_no_error (write.error);
  g_assert_cmpint (fcntl (in[0], F_GETFL) & O_NONBLOCK, ==, 0);
  close (in[0]);
  g_thread_join (thread);
  ood_test_pending_clear (&read);
  ood_test_pending_clear (&write);
}

/* ---- a caller that leaves ----------------------------------------------- */

static void
on_name_owner_changed (GDBusConnection *bus, const char *sender, const char *path,
                       const char *iface, const char *member, GVariant *parameters,
                       gpointer user_data)
{
  const char *new_owner;

  (void) bus, (void) sender, (void) path, (void) iface, (void) member;
  g_variant_get (parameters, "(&s&s&s)", NULL, NULL, &new_owner);
  if (new_owner[0] == '\0')
    *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

typedef struct {
  Pump *pump;
  gint  at_least;
} Moved;

static gboolean
moved_enough (gpointer user_data)
{
  Moved *moved = user_data;

  return g_atomic_int_get (&moved->pump->moved) >= moved->at_least;
}

/* A caller starts a 1 MiB ReadToFd into a pipe the test drains, and
 * leaves the bus after a few chunks. Once the bus said so, the test's
 * own State() is an order barrier: the daemon handled the name's going
 * before it. From then on at most what the pipe held and the test had in
 * hand arrives (a chunk each), and the daemon's fds come back. The stall
 * timeout is long, so only the leaving can end the transfer early. */
static void
test_caller_leaves (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending pending = { 0 };
  Pump drain = { -1, NULL, NULL, 0 };
  Moved moved = { &drain, 3 * CHUNK };
  g_autoptr(GDBusConnection) caller = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;
  gboolean gone = FALSE;
  guint subscription, before;
  gint at_barrier, after;
  GThread *thread;
  int fds[2];

  (void) options;
  caller =
      g_dbus_connection_new_for_address_sync (ood_service_fixture_get_bus_address (fx->service),
                                              G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                              NULL, NULL, &error);
  g_assert_no_error (error);
  subscription = g_dbus_connection_signal_subscribe (
      fx->bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
      "/org/freedesktop/DBus", g_dbus_connection_get_unique_name (caller),
      G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, &gone, NULL);
  small_pipe (fds);
  before = ood_test_proc_count_fds (daemon_pid (fx));
  drain.fd = fds[0];
  thread = g_thread_new ("drain", drain_thread, &drain);
  start_transfer (fx, caller, "ReadToFd", RAM_START, MIB, fds[1], &pending);
  close (fds[1]);
  g_assert_true (ood_test_wait_for (moved_enough, &moved, GIVE_UP_MS));

  g_assert_true (g_dbus_connection_close_sync (caller, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (is_true, &gone, GIVE_UP_MS));
  g_assert_true (ood_dbus_target_call_state_sync (fx->target, &state, NULL, &error));
  g_assert_no_error (error);
  at_barrier = g_atomic_int_get (&drain.moved);
  g_thread_join (thread);   /* the daemon closed its end, whenever it stopped */
  after = g_atomic_int_get (&drain.moved) - at_barrier;
  g_test_message ("%d bytes before the barrier, %d after", at_barrier, after);
  g_assert_cmpint (after, <=, 2 * CHUNK);
  g_assert_cmpint (at_barrier + after, <, MIB);
  wait_answer (&pending);
  assert_fds_back (fx, before);
  assert_target_free (fx);
  g_dbus_connection_signal_unsubscribe (fx->bus, subscription);
  ood_test_pending_clear (&pending);
}

/* ---- the bound ---------------------------------------------------------- */

static gboolean
pipe_full (gpointer user_data)
{
  return bytes_in (*(int *) user_data) == CHUNK;
}

static void
assert_busy_for_fds (const OodTestPending *pending)
{
  ood_test_assert_dbus_error (pending->error, BUSY, OOD_ERROR, OOD_ERROR_BUSY);
  g_assert_nonnull (strstr (pending->error->message, "16"));
  g_assert_nonnull (strstr (pending->error->message, "fds"));
}

/* Sixteen ReadToFd of one caller held in full pipes: the seventeenth
 * transfer, and a Program, get Busy; another caller is not held up; once
 * the pipes go, the caller may transfer again. */
static void
test_bound (OodTestFixture *fx, gconstpointer options)
{
  OodTestPending held[MAX_FDS] = { { 0 } };
  OodTestPending extra = { 0 };
  int readers[MAX_FDS], fds[2], file;
  g_autoptr(GDBusConnection) other = NULL;
  g_autoptr(GError) error = NULL;
  guint before = ood_test_proc_count_fds (daemon_pid (fx));

  (void) options;
  for (guint i = 0; i < MAX_FDS; i++)
    {
      small_pipe (fds);
      start_transfer (fx, fx->bus, "ReadToFd", SCRATCH, 16 * CHUNK, fds[1], &held[i]);
      close (fds[1]);
      readers[i] = fds[0];
    }
  /* each has filled its pipe and waits there */
  for (guint i = 0; i < MAX_FDS; i++)
    {
      g_assert_true (ood_test_wait_for (pipe_full, &readers[i], GIVE_UP_MS));
      g_assert_false (held[i].done);
    }

  small_pipe (fds);
  start_transfer (fx, fx->bus, "ReadToFd", SCRATCH, CHUNK, fds[1], &extra);
  wait_answer (&extra);
  assert_busy_for_fds (&extra);
  g_assert_cmpuint (bytes_in (fds[0]), ==, 0);
  ood_test_pending_clear (&extra);
  start_program (fx, fds[0], &extra);
  wait_answer (&extra);
  assert_busy_for_fds (&extra);
  ood_test_pending_clear (&extra);
  close (fds[0]);
  close (fds[1]);

  /* the bound is each caller's own */
  other =
      g_dbus_connection_new_for_address_sync (ood_service_fixture_get_bus_address (fx->service),
                                              G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                              NULL, NULL, &error);
  g_assert_no_error (error);
  file = ood_test_temp_fd ();
  start_transfer (fx, other, "ReadToFd", SCRATCH, CHUNK, file, &extra);
  wait_answer (&extra);
  g_assert_no_error (extra.error);
  ood_test_pending_clear (&extra);
  g_assert_true (g_dbus_connection_close_sync (other, NULL, &error));

  /* the readers go: every held transfer fails at its fd and lets go */
  for (guint i = 0; i < MAX_FDS; i++)
    close (readers[i]);
  for (guint i = 0; i < MAX_FDS; i++)
    {
      wait_answer (&held[i]);
      ood_test_assert_dbus_error (held[i].error, "org.freedesktop.DBus.Error.IOError",
                                  G_DBUS_ERROR, G_DBUS_ERROR_IO_ERROR);
      ood_test_pending_clear (&held[i]);
    }
  assert_fds_back (fx, before);
  start_transfer (fx, fx->bus, "ReadToFd", SCRATCH, CHUNK, file, &extra);
  wait_answer (&extra);
  g_assert_no_error (extra.error);
  ood_test_pending_clear (&extra);
  close (file);
  assert_target_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, options, test)                                                                   \
  g_test_add (path, OodTestFixture, options, fd_set_up, test, ood_test_fixture_tear_down)
  ADD ("/fd/read-to-fd-stalled", &stall, test_read_to_fd_stalled);
  ADD ("/fd/write-from-fd-stalled", &stall, test_write_from_fd_stalled);
  ADD ("/fd/program-stalled", &stall, test_program_stalled);
  ADD ("/fd/moving-not-stalled", &stall, test_moving_not_stalled);
  ADD ("/fd/client-fd-kept-blocking", &stall, test_client_fd_kept_blocking);
  ADD ("/fd/caller-leaves", &long_stall, test_caller_leaves);
  ADD ("/fd/bound", &long_stall, test_bound);
#undef ADD
  return g_test_run ();
}
