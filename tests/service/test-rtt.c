/* SPDX-License-Identifier: MIT */
/* org.openocd.Rtt end to end: the daemon, a real OpenOCD 0.12 and the
 * simulated board running its RTT firmware (tests/sim/firmware), which
 * writes "tick N\n" lines to up-channel 0, echoes down-channel 0 there,
 * and sends 16-byte records on up-channel 1. One fixture per case. */
#define _GNU_SOURCE
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-service-fixture.h"
#include "ood-test-dbus.h"
#include "rtt-firmware.h"

/* The service's buffer for each reader (org.openocd.Rtt.xml). */
#define OOD_RTT_READER_BUFFER (64 * 1024)

/* Give up waiting for the board after this (no case asserts a time). */
#define WAIT_MS 60000


typedef struct {
  OodServiceFixture *fixture;
  OodTestbed        *testbed;
  OodDbusTarget     *target;
  OodDbusRtt        *rtt;
} Fixture;

/* The board runs the RTT firmware, or (data non-NULL) its built-in
 * program, which keeps no control block. */
static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  OodServiceOptions options = { .image_path = data == NULL ? ood_test_rtt_firmware_path () : NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  fx->fixture = ood_service_fixture_new (&options, &error);
  g_assert_no_error (error);
  fx->testbed = ood_service_fixture_get_testbed (fx->fixture, 0);
  fx->target = ood_service_fixture_get_target (fx->fixture, 0);
  path = ood_service_fixture_dup_target_path (fx->fixture, 0);
  fx->rtt = ood_dbus_rtt_proxy_new_sync (ood_service_fixture_get_bus (fx->fixture),
                                         G_DBUS_PROXY_FLAGS_NONE, "org.openocd", path, NULL,
                                         &error);
  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (fx->rtt), 60000);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_clear_object (&fx->rtt);
  g_assert_cmpint (ood_service_fixture_stop_service (fx->fixture), ==, 0);
  ood_service_fixture_free (fx->fixture);
}

static void
assert_not_found (const GError *error)
{
  ood_test_assert_dbus_error (error, "org.openocd.Error.NotFound", OOD_ERROR, OOD_ERROR_NOT_FOUND);
}

static void
assert_invalid_args (const GError *error)
{
  ood_test_assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs", G_DBUS_ERROR,
                              G_DBUS_ERROR_INVALID_ARGS);
}

/* Lets the proxies see the PropertiesChanged that came before a reply. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Setup, a short polling interval, Start. */
static void
start_rtt (Fixture *fx)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_dbus_rtt_call_setup_sync (fx->rtt, RTT_FW_CB_ADDR, 0x1000, "", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_dbus_rtt_call_set_polling_interval_sync (fx->rtt, 10, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_dbus_rtt_call_start_sync (fx->rtt, NULL, &error));
  g_assert_no_error (error);
  drain ();
}

static gint
open_channel (Fixture *fx, guint index, gboolean write)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  gint fd;

  g_assert_true (ood_dbus_rtt_call_open_channel_sync (fx->rtt, index, write, NULL, &handle, &fds,
                                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_unix_fd_list_get_length (fds), ==, 1);
  fd = g_unix_fd_list_get (fds, g_variant_get_handle (handle), &error);
  g_assert_no_error (error);
  return fd;
}

/* ---- reading ------------------------------------------------------------ */

typedef gboolean (*Enough) (GByteArray *got, gconstpointer data);

/* Reads @fd into @got until @enough says so; FALSE at EOF or after WAIT_MS. */
static gboolean
read_until (gint fd, GByteArray *got, Enough enough, gconstpointer data)
{
  gint64 give_up = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!enough (got, data))
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      guint8 buffer[4096];
      gssize n;

      if (poll (&pfd, 1, 100) < 0 && errno != EINTR)
        return FALSE;
      if (g_get_monotonic_time () > give_up)
        return FALSE;
      if (!(pfd.revents & (POLLIN | POLLHUP)))
        continue;
      n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0)
        return FALSE;
      if (n > 0)
        g_byte_array_append (got, buffer, (guint) n);
    }
  return TRUE;
}

static gboolean
has_bytes (GByteArray *got, gconstpointer data)
{
  return got->len >= GPOINTER_TO_UINT (data);
}

static gboolean
has_text (GByteArray *got, gconstpointer data)
{
  return got->len > 0 && g_strstr_len ((const char *) got->data, got->len, data) != NULL;
}

/* Whether the service closed its end of socket *@data. */
static gboolean
hung_up (GByteArray *got, gconstpointer data)
{
  struct pollfd pfd = { .fd = *(const gint *) data };

  (void) got;
  return poll (&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

static gboolean
never (GByteArray *got, gconstpointer data)
{
  (void) got; (void) data;
  return FALSE;
}

/* Whether @fd ends (EOF) within WAIT_MS, whatever it reads before. */
static gboolean
reaches_eof (gint fd)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  gint64 give_up = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < give_up)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      guint8 buffer[4096];
      gssize n;

      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0)
        return TRUE;
      if (n < 0 && errno != EAGAIN)
        return FALSE;
    }
  return FALSE;
}

/* The N of each whole "tick N" line of @text, in order. */
static GArray *
tick_numbers (GByteArray *text)
{
  g_autofree char *copy = g_strndup (text->len > 0 ? (const char *) text->data : "", text->len);
  g_auto(GStrv) lines = g_strsplit (copy, "\n", -1);
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (guint));

  /* the first line may be cut, the last is not ended */
  for (guint i = 1; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      guint n;
      char rest;

      if (sscanf (lines[i], "tick %u%c", &n, &rest) == 1)
        g_array_append_val (numbers, n);
    }
  return numbers;
}

static gboolean
has_ticks (GByteArray *got, gconstpointer data)
{
  g_autoptr(GArray) numbers = tick_numbers (got);

  return numbers->len >= GPOINTER_TO_UINT (data);
}

/* ---- cases -------------------------------------------------------------- */

/* Start finds the firmware's block; a reader gets tick lines, one after
 * the other, while the target runs. */
static void
test_ticks (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GArray) numbers = NULL;
  g_autofree char *channels = NULL;
  gint fd;

  (void) data;
  start_rtt (fx);
  g_assert_true (ood_dbus_rtt_get_running (fx->rtt));
  g_assert_cmpuint (ood_dbus_rtt_get_control_block (fx->rtt), ==, RTT_FW_CB_ADDR);
  channels = g_variant_print (ood_dbus_rtt_get_channels (fx->rtt), FALSE);
  g_assert_cmpstr (channels, ==, "[(0, 'Terminal', 'up', 1024), (1, 'Binary', 'up', 8192), "
                                 "(0, 'Terminal', 'down', 64)]");
  fd = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  g_assert_true (read_until (fd, got, has_ticks, GUINT_TO_POINTER (5)));
  numbers = tick_numbers (got);
  for (guint i = 1; i < numbers->len; i++)
    g_assert_cmpuint (g_array_index (numbers, guint, i), ==, g_array_index (numbers, guint, i - 1) + 1);
  close (fd);
}

/* A line sent on a writable channel comes back as the firmware's echo. */
static void
test_echo (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  const char *line = "hello, RTT [set x 1]\n";
  gint fd;

  (void) data;
  start_rtt (fx);
  fd = open_channel (fx, RTT_FW_DOWN_TERMINAL, TRUE);
  g_assert_cmpint (send (fd, line, strlen (line), MSG_NOSIGNAL), ==, (gssize) strlen (line));
  g_assert_true (read_until (fd, got, has_text, line));
  close (fd);
}

/* Two readers of one channel get the same bytes: from the moment the
 * second opened, its stream is the first's. */
static void
test_two_readers (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) first = g_byte_array_new ();
  g_autoptr(GByteArray) second = g_byte_array_new ();
  gint a, b;
  const guint8 *at;

  (void) data;
  start_rtt (fx);
  a = open_channel (fx, RTT_FW_UP_BINARY, FALSE);
  g_assert_true (read_until (a, first, has_bytes, GUINT_TO_POINTER (1024)));
  b = open_channel (fx, RTT_FW_UP_BINARY, FALSE);
  g_assert_true (read_until (b, second, has_bytes, GUINT_TO_POINTER (4096)));
  g_assert_true (read_until (a, first, has_bytes, GUINT_TO_POINTER (first->len + 8192)));
  /* where the second's bytes start in the first's (64 bytes are unique:
   * records carry a sequence number) */
  at = memmem (first->data, first->len, second->data, 64);
  g_assert_nonnull (at);
  g_assert_cmpuint ((gsize) (first->data + first->len - at), >=, second->len);
  g_assert_cmpmem (at, second->len, second->data, second->len);
  close (a);
  close (b);
}

static guint
last_tick (GByteArray *got)
{
  g_autoptr(GArray) numbers = tick_numbers (got);

  g_assert_cmpuint (numbers->len, >, 0);
  return g_array_index (numbers, guint, numbers->len - 1);
}

/* A halt and a resume do not end the stream: the ticks go on after it. */
static void
test_halt_resume (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  guint before;
  gint fd;

  (void) data;
  start_rtt (fx);
  fd = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  g_assert_true (read_until (fd, got, has_ticks, GUINT_TO_POINTER (3)));
  g_assert_true (ood_dbus_target_call_halt_sync (fx->target, &state, NULL, &error));
  g_assert_no_error (error);
  before = last_tick (got);
  g_assert_true (ood_dbus_target_call_resume_sync (fx->target, NULL, &error));
  g_assert_no_error (error);
  g_byte_array_set_size (got, 0);
  g_assert_true (read_until (fd, got, has_ticks, GUINT_TO_POINTER (3)));
  g_assert_cmpuint (last_tick (got), >, before);
  drain ();
  g_assert_true (ood_dbus_rtt_get_running (fx->rtt));
  close (fd);
}

/* Makes the firmware send records as fast as the hart runs. */
static void
flood (Fixture *fx)
{
  g_autofree char *command = g_strdup_printf (
      "write_memory 0x%x 32 {0}",
      RTT_FW_STATUS_ADDR + (guint) G_STRUCT_OFFSET (RttFwStatus, record_period_us));
  g_autofree char *reply = ood_test_tcl_eval_on (fx->testbed, command);
}

/* Every 16 bytes from the start is a record (no byte lost or repeated). */
static void
assert_records (GByteArray *got)
{
  for (guint i = 0; i + 16 <= got->len; i += 16)
    {
      RttFwRecord record;
      memcpy (&record, got->data + i, sizeof record);
      g_assert_cmphex (record.magic, ==, RTT_FW_RECORD_MAGIC);
    }
}

/* A reader that never reads is cut off (it reads a run of whole records,
 * then EOF) and the reader beside it gets every byte before and after. */
static void
test_stalled_reader (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GByteArray) stalled_got = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint at_cut;
  gint reader, stalled;

  (void) data;
  start_rtt (fx);
  g_assert_true (ood_dbus_rtt_call_set_polling_interval_sync (fx->rtt, 1, NULL, &error));
  flood (fx);
  stalled = open_channel (fx, RTT_FW_UP_BINARY, FALSE);
  reader = open_channel (fx, RTT_FW_UP_BINARY, FALSE);
  /* the stalled one's socket and the service's 64 KiB fill, then it is cut off */
  g_assert_true (read_until (reader, got, hung_up, &stalled));
  g_assert_cmpuint (got->len, >, OOD_RTT_READER_BUFFER);
  g_assert_false (read_until (stalled, stalled_got, never, NULL));
  g_assert_cmpuint (stalled_got->len, >, 0);
  g_assert_cmpuint (stalled_got->len % 16, ==, 0);
  assert_records (stalled_got);
  g_assert_cmpmem (stalled_got->data, 64, got->data, 64);
  /* the other goes on */
  at_cut = got->len;
  g_assert_true (read_until (reader, got, has_bytes, GUINT_TO_POINTER (at_cut + 64 * 1024)));
  assert_records (got);
  close (reader);
  close (stalled);
}

/* OpenOCD restarting ends every channel with EOF and stops RTT; a new
 * Start works with the new OpenOCD. */
static void
test_openocd_restart (Fixture *fx, gconstpointer data)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  gint ticks, records;

  (void) data;
  start_rtt (fx);
  ticks = open_channel (fx, RTT_FW_UP_TERMINAL, TRUE);
  records = open_channel (fx, RTT_FW_UP_BINARY, FALSE);
  g_assert_true (read_until (ticks, got, has_ticks, GUINT_TO_POINTER (2)));
  ood_testbed_kill_openocd (fx->testbed, SIGKILL);
  g_assert_true (reaches_eof (ticks));
  g_assert_true (reaches_eof (records));
  g_assert_true (ood_testbed_start_openocd (fx->testbed, &error));
  g_assert_no_error (error);
  drain ();
  g_assert_false (ood_dbus_rtt_get_running (fx->rtt));
  g_assert_cmpuint (g_variant_n_children (ood_dbus_rtt_get_channels (fx->rtt)), ==, 0);
  close (ticks);
  close (records);
  g_assert_true (ood_test_wait_for ((OodTestCondition) ood_dbus_endpoint_get_connected,
                                    ood_service_fixture_get_endpoint (fx->fixture, 0), WAIT_MS));
  g_assert_true (ood_dbus_rtt_call_start_sync (fx->rtt, NULL, &error));
  g_assert_no_error (error);
  ticks = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  g_byte_array_set_size (got, 0);
  g_assert_true (read_until (ticks, got, has_ticks, GUINT_TO_POINTER (2)));
  close (ticks);
}

/* Stop ends the readers; Running and Channels say so. */
static void
test_stop (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint fd;

  (void) data;
  start_rtt (fx);
  fd = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  g_assert_true (ood_dbus_rtt_call_stop_sync (fx->rtt, NULL, &error));
  g_assert_no_error (error);
  drain ();
  g_assert_true (reaches_eof (fd));
  g_assert_false (ood_dbus_rtt_get_running (fx->rtt));
  g_assert_cmpuint (ood_dbus_rtt_get_control_block (fx->rtt), ==, 0);
  close (fd);
}

static gboolean
block_written (gpointer user_data)
{
  OodTestbed *testbed = user_data;
  g_autofree char *command = g_strdup_printf ("read_memory 0x%x 32 1", RTT_FW_CB_ADDR + 4);
  g_autofree char *word = ood_test_tcl_eval_on (testbed, command);
  guint32 expected;

  memcpy (&expected, RTT_FW_CB_ID + 4, sizeof expected);
  return g_ascii_strtoull (word, NULL, 16) == GUINT32_FROM_LE (expected);
}

/* Start on a target whose firmware has not run yet (loaded, then reset
 * and halted): NotFound, saying so; once it ran, Start finds the block. */
static void
test_start_before_firmware (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autofree char *quoted = ood_test_tcl_quote (ood_test_rtt_firmware_path ());
  g_autofree char *load = g_strdup_printf ("halt; load_image %s 0x%x bin", quoted,
                                           RTT_FW_IMAGE_BASE);

  (void) data;
  g_free (ood_test_tcl_eval_on (fx->testbed, load));
  g_assert_true (ood_dbus_target_call_reset_sync (fx->target, "halt", NULL, &error));
  g_assert_no_error (error);
  /* a range around the block: its absence is what counts */
  g_assert_true (ood_dbus_rtt_call_setup_sync (fx->rtt, RTT_FW_CB_ADDR - 0x800, 0x1000, "", NULL,
                                               &error));
  g_assert_false (ood_dbus_rtt_call_start_sync (fx->rtt, NULL, &error));
  assert_not_found (error);
  g_assert_nonnull (strstr (error->message, "no RTT control block \"SEGGER RTT\" in "
                                            "0x8000f800-0x800107ff (has the firmware run yet?)"));
  g_clear_error (&error);
  drain ();
  g_assert_false (ood_dbus_rtt_get_running (fx->rtt));

  g_assert_true (ood_dbus_target_call_resume_sync (fx->target, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_test_wait_for (block_written, fx->testbed, WAIT_MS));
  g_assert_true (ood_dbus_rtt_call_start_sync (fx->rtt, NULL, &error));
  g_assert_no_error (error);
  drain ();
  g_assert_cmpuint (ood_dbus_rtt_get_control_block (fx->rtt), ==, RTT_FW_CB_ADDR);
}

/* Open channels count against the caller's 16 fds: the 17th is Busy; one
 * closed gives its share back. */
static void
test_fd_share (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  gint open_fds[16];
  gint fd = -1;
  gint64 give_up;

  (void) data;
  start_rtt (fx);
  for (guint i = 0; i < G_N_ELEMENTS (open_fds); i++)
    open_fds[i] = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  g_assert_false (ood_dbus_rtt_call_open_channel_sync (fx->rtt, RTT_FW_UP_TERMINAL, FALSE, NULL,
                                                       &handle, &fds, NULL, &error));
  ood_test_assert_dbus_error (error, "org.openocd.Error.Busy", OOD_ERROR, OOD_ERROR_BUSY);
  g_clear_error (&error);
  close (open_fds[0]);
  /* the service sees the close when it polls the socket */
  give_up = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while (fd < 0 && g_get_monotonic_time () < give_up)
    {
      g_clear_pointer (&handle, g_variant_unref);
      g_clear_object (&fds);
      if (ood_dbus_rtt_call_open_channel_sync (fx->rtt, RTT_FW_UP_TERMINAL, FALSE, NULL, &handle,
                                               &fds, NULL, &error))
        fd = g_unix_fd_list_get (fds, 0, NULL);
      else
        g_assert_error (error, OOD_ERROR, OOD_ERROR_BUSY);
      g_clear_error (&error);
    }
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  for (guint i = 1; i < G_N_ELEMENTS (open_fds); i++)
    close (open_fds[i]);
}

/* Another caller's lease: writing to a down-channel needs control, which
 * the lease keeps for its holder; reading stays open. */
static void
test_leased_writer (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) holder = NULL;
  g_autoptr(GVariant) lease = NULL, handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  gint fd;

  (void) data;
  start_rtt (fx);
  holder = g_dbus_connection_new_for_address_sync (
      ood_service_fixture_get_bus_address (fx->fixture),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  lease = g_dbus_connection_call_sync (holder, "org.openocd", "/org/openocd/default",
                                       "org.openocd.Endpoint", "Acquire",
                                       g_variant_new ("(su)", "rtt test", 0),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, 10000,
                                       NULL, &error);
  g_assert_no_error (error);
  g_assert_false (ood_dbus_rtt_call_open_channel_sync (fx->rtt, RTT_FW_DOWN_TERMINAL, TRUE, NULL,
                                                       &handle, &fds, NULL, &error));
  ood_test_assert_dbus_error (error, "org.openocd.Error.Leased", OOD_ERROR, OOD_ERROR_LEASED);
  g_assert_nonnull (strstr (error->message, "rtt test"));
  g_clear_error (&error);
  fd = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_dbus_connection_close_sync (holder, NULL, NULL);
}

/* Each documented refusal. */
static void
test_errors (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  gint fd;

  (void) data;
  g_assert_false (ood_dbus_rtt_call_start_sync (fx->rtt, NULL, &error));
  assert_not_found (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_rtt_call_open_channel_sync (fx->rtt, 0, FALSE, NULL, &handle, &fds,
                                                       NULL, &error));
  assert_not_found (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_rtt_call_setup_sync (fx->rtt, RTT_FW_CB_ADDR, 64, "0123456789abcdef",
                                                NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_rtt_call_setup_sync (fx->rtt, RTT_FW_CB_ADDR, 0, "", NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_rtt_call_setup_sync (fx->rtt, G_MAXUINT64, 2, "", NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);
  g_assert_false (ood_dbus_rtt_call_set_polling_interval_sync (fx->rtt, 0, NULL, &error));
  assert_invalid_args (error);
  g_clear_error (&error);

  start_rtt (fx);
  g_assert_false (ood_dbus_rtt_call_open_channel_sync (fx->rtt, 2, FALSE, NULL, &handle, &fds,
                                                       NULL, &error));
  assert_not_found (error);
  g_clear_error (&error);
  /* up 1 has no down-buffer 1 */
  g_assert_false (ood_dbus_rtt_call_open_channel_sync (fx->rtt, RTT_FW_UP_BINARY, TRUE, NULL,
                                                       &handle, &fds, NULL, &error));
  assert_not_found (error);
  g_clear_error (&error);
  /* a reader that is no writer cannot send */
  fd = open_channel (fx, RTT_FW_UP_TERMINAL, FALSE);
  errno = 0;
  g_assert_cmpint (send (fd, "x", 1, MSG_NOSIGNAL), ==, -1);
  g_assert_cmpint (errno, ==, EPIPE);
  close (fd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func, data) \
  g_test_add ("/rtt/" name, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("ticks", test_ticks, NULL);
  ADD ("echo", test_echo, NULL);
  ADD ("two-readers", test_two_readers, NULL);
  ADD ("halt-resume", test_halt_resume, NULL);
  ADD ("stalled-reader", test_stalled_reader, NULL);
  ADD ("openocd-restart", test_openocd_restart, NULL);
  ADD ("stop", test_stop, NULL);
  ADD ("fd-share", test_fd_share, NULL);
  ADD ("start-before-firmware", test_start_before_firmware, "built-in program");
  ADD ("leased-writer", test_leased_writer, NULL);
  ADD ("errors", test_errors, NULL);
#undef ADD
  return g_test_run ();
}
