/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-rtt"

#include "ood-rtt.h"

#include <string.h>
#include <gio/gunixfdlist.h>

#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-idle.h"
#include "ood-reply.h"
#include "ood-rtt-block.h"
#include "ood-rtt-channel.h"
#include "ood-tcl-rtt.h"

#define DEFAULT_ID "SEGGER RTT"

struct _OodRtt {
  OodDbusRttSkeleton     parent_instance;

  OodSession            *session;
  char                  *target_name;

  char                  *id;          /* Setup's; NULL before */
  guint64                search_address;
  guint64                search_size;

  GDBusMethodInvocation *starting;    /* the Start in progress */
  guint                  generation;  /* bumped by every stop: older replies are stale */
  OodRttBlock           *block;       /* while running */
  GHashTable            *channels;    /* index → OodRttChannel, while running */
  GSource               *poll_timer;
  gboolean               polling;     /* a poll is in flight */
  gint64                 poll_start;  /* monotonic µs the last poll went out */
  gint64                 checked;     /* monotonic µs the block was last read whole */
};

/* How often a poll reads the whole block to check it is still there (the
 * others read only the offsets they use: see OodTclRttPoll). */
#define CHECK_INTERVAL_US (1 * G_TIME_SPAN_SECOND)

static void ood_rtt_iface_init (OodDbusRttIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodRtt, ood_rtt, OOD_DBUS_TYPE_RTT_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_RTT, ood_rtt_iface_init))

static OodDbusRtt *
iface_of (OodRtt *self)
{
  return OOD_DBUS_RTT (self);
}

/* Running, ControlBlock and Channels, in one PropertiesChanged. */
static void
publish (OodRtt *self)
{
  GVariantBuilder channels;

  g_variant_builder_init (&channels, G_VARIANT_TYPE ("a(ussu)"));
  for (guint i = 0; self->block != NULL && i < self->block->buffers->len; i++)
    {
      const OodRttBuffer *b = &g_array_index (self->block->buffers, OodRttBuffer, i);
      g_variant_builder_add (&channels, "(ussu)", b->buffer.index, b->name,
                             b->buffer.up ? "up" : "down", b->buffer.size);
    }
  g_object_freeze_notify (G_OBJECT (self));
  ood_dbus_rtt_set_running (iface_of (self), self->block != NULL);
  ood_dbus_rtt_set_control_block (iface_of (self), self->block != NULL ? self->block->address : 0);
  ood_dbus_rtt_set_channels (iface_of (self), g_variant_builder_end (&channels));
  g_object_thaw_notify (G_OBJECT (self));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/* Ends RTT: readers get EOF, a Start in progress fails with @why. */
static void
stop (OodRtt *self, const GError *why)
{
  gboolean was_running = self->block != NULL;

  self->generation++;
  self->polling = FALSE;
  ood_timer_replace (&self->poll_timer, 0, NULL, NULL);
  if (self->starting != NULL)
    ood_reply_error (g_steal_pointer (&self->starting), why);
  g_hash_table_remove_all (self->channels);
  g_clear_pointer (&self->block, ood_rtt_block_free);
  if (was_running)
    {
      g_message ("%s: RTT stopped: %s", self->target_name, why->message);
      publish (self);
    }
}

/* ---- polls -------------------------------------------------------------- */

static guint
polling_interval (OodRtt *self)
{
  return ood_dbus_rtt_get_polling_interval (iface_of (self));
}

/* Whether @channel has neither readers nor input: nothing to poll for. */
static gboolean
channel_idle (OodRttChannel *channel)
{
  return ood_rtt_channel_get_n_readers (channel) == 0 &&
         ood_rtt_channel_get_input_size (channel) == 0;
}

/* Monotonic µs at which PollingInterval has passed since the last poll
 * started. */
static gint64
next_poll_time (OodRtt *self)
{
  return self->poll_start + (gint64) polling_interval (self) * G_TIME_SPAN_MILLISECOND;
}

/* Drops the idle channels; whether any other is left. */
static gboolean
has_work (OodRtt *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (channel_idle (value))
      g_hash_table_iter_remove (&iter);
  return g_hash_table_size (self->channels) > 0;
}

static gboolean on_poll_timer (gpointer user_data);

/* The next poll at monotonic µs @when, 0 for now (an earlier one already
 * due stays), or none if no channel has readers or input. */
static void
schedule_poll (OodRtt *self, gint64 when)
{
  if (self->block == NULL || self->polling)
    return;
  if (!has_work (self))
    ood_timer_replace (&self->poll_timer, 0, NULL, NULL);
  else if (self->poll_timer == NULL || when == 0)
    ood_timer_replace_at (&self->poll_timer, when, on_poll_timer, self);
}

/* What one poll asked for: the channels it reads and writes. */
typedef struct {
  OodRtt    *self;
  guint      generation;
  GArray    *up;       /* (element-type OodTclRttBuffer) */
  GArray    *writes;   /* (element-type OodTclRttWrite), data in @inputs */
  GPtrArray *inputs;   /* (element-type GBytes) */
} Poll;

static void
poll_free (Poll *poll)
{
  g_object_unref (poll->self);
  g_array_unref (poll->up);
  g_array_unref (poll->writes);
  g_ptr_array_unref (poll->inputs);
  g_free (poll);
}

/* Adds channel @index's part to @poll: its up-buffer if it has readers,
 * its queued input if it has a down-buffer. */
static void
add_to_poll (OodRtt *self, Poll *poll, guint index, OodRttChannel *channel)
{
  const OodRttBuffer *up = ood_rtt_block_lookup (self->block, index, TRUE);
  const OodRttBuffer *down = ood_rtt_block_lookup (self->block, index, FALSE);

  if (ood_rtt_channel_get_n_readers (channel) > 0 && up != NULL)
    g_array_append_val (poll->up, up->buffer);
  if (ood_rtt_channel_get_input_size (channel) > 0 && down != NULL)
    {
      GBytes *input = ood_rtt_channel_peek_input (channel);
      OodTclRttWrite write = { down->buffer, g_bytes_get_data (input, NULL),
                               MIN (g_bytes_get_size (input), OOD_TCL_RTT_POLL_MAX) };

      g_array_append_val (poll->writes, write);
      g_ptr_array_add (poll->inputs, input);
    }
}

static Poll *
poll_new (OodRtt *self)
{
  Poll *poll = g_new0 (Poll, 1);
  GHashTableIter iter;
  gpointer key, value;

  poll->self = g_object_ref (self);
  poll->generation = self->generation;
  poll->up = g_array_new (FALSE, FALSE, sizeof (OodTclRttBuffer));
  poll->writes = g_array_new (FALSE, FALSE, sizeof (OodTclRttWrite));
  poll->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    add_to_poll (self, poll, GPOINTER_TO_UINT (key), value);
  return poll;
}

/* Gives each read channel its bytes; whether a buffer had more waiting
 * than one poll reads. */
static gboolean
deliver (OodRtt *self, Poll *poll, GBytes **data)
{
  gboolean more = FALSE;

  for (guint i = 0; i < poll->up->len; i++)
    {
      guint index = g_array_index (poll->up, OodTclRttBuffer, i).index;
      OodRttChannel *channel = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (index));
      gsize size;
      const guint8 *bytes = g_bytes_get_data (data[i], &size);

      more |= size >= OOD_TCL_RTT_POLL_MAX;
      if (channel != NULL && size > 0)
        ood_rtt_channel_push (channel, bytes, size);
    }
  return more;
}

/* Takes what went to the down-buffers out of the channels' input; whether
 * some went in while more waits (so the next poll need not wait). */
static gboolean
consume (OodRtt *self, Poll *poll, const gsize *written)
{
  gboolean more = FALSE;

  for (guint i = 0; i < poll->writes->len; i++)
    {
      OodTclRttWrite *write = &g_array_index (poll->writes, OodTclRttWrite, i);
      OodRttChannel *channel = g_hash_table_lookup (self->channels,
                                                    GUINT_TO_POINTER (write->buffer.index));
      gsize queued;

      if (channel == NULL)
        continue;
      queued = ood_rtt_channel_get_input_size (channel);
      ood_rtt_channel_consume_input (channel, MIN (written[i], queued));
      more |= written[i] > 0 && queued > written[i];
    }
  return more;
}

static void
poll_failed (OodRtt *self, const GError *error)
{
  g_autoptr(GError) why = g_error_new (OOD_ERROR, OOD_ERROR_TARGET, "a poll failed: %s",
                                       error->message);

  g_warning ("%s: RTT poll failed: %s", self->target_name, error->message);
  stop (self, why);
}

static void
on_polled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Poll *poll = user_data;
  OodRtt *self = poll->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autofree GBytes **data = g_new0 (GBytes *, poll->up->len + 1);
  g_autofree gsize *written = g_new0 (gsize, poll->writes->len + 1);
  gboolean more;

  if (poll->generation != self->generation)
    ;   /* stopped meanwhile */
  else if (text == NULL && g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    self->polling = FALSE;   /* "closed" stops RTT */
  else if (text == NULL ||
           !ood_tcl_parse_rtt_poll (text, poll->up->len, poll->writes->len,
                                    self->block->big_endian, data, written, &error))
    poll_failed (self, error);
  else
    {
      self->polling = FALSE;
      more = consume (self, poll, written);
      more |= deliver (self, poll, data);
      for (guint i = 0; i < poll->up->len; i++)
        g_bytes_unref (data[i]);
      schedule_poll (self, more ? 0 : next_poll_time (self));
    }
  poll_free (poll);
}

static void
poll_now (OodRtt *self)
{
  Poll *poll = NULL;
  g_autofree char *script = NULL;
  OodTclRttPoll request;

  if (!has_work (self))
    return;
  if (!ood_session_check_unclaimed (self->session, self->target_name, NULL))
    {
      /* a job (a flash) holds the target */
      ood_timer_replace (&self->poll_timer, polling_interval (self), on_poll_timer, self);
      return;
    }
  poll = poll_new (self);
  request = (OodTclRttPoll) {
    .address = self->block->address,
    .n_up = self->block->n_up,
    .n_down = self->block->n_down,
    .check = g_get_monotonic_time () - self->checked >= CHECK_INTERVAL_US,
    .up = (const OodTclRttBuffer *) poll->up->data,
    .n_up_read = poll->up->len,
    .writes = (const OodTclRttWrite *) poll->writes->data,
    .n_writes = poll->writes->len,
  };
  memcpy (request.id_words, self->block->id_words, sizeof request.id_words);
  script = ood_tcl_script_rtt_poll (self->target_name, &request);
  self->polling = TRUE;
  self->poll_start = g_get_monotonic_time ();
  if (request.check)
    self->checked = self->poll_start;
  ood_session_call_async (self->session, script,
                          OOD_SESSION_CALL_HOUSEKEEPING | OOD_SESSION_CALL_CHUNK, NULL,
                          on_polled, poll);
}

static gboolean
on_poll_timer (gpointer user_data)
{
  OodRtt *self = user_data;

  g_clear_pointer (&self->poll_timer, g_source_unref);
  poll_now (self);
  return G_SOURCE_REMOVE;
}

/* ---- channels ----------------------------------------------------------- */

static void
on_readers_changed (OodRttChannel *channel, gpointer user_data)
{
  (void) channel;
  schedule_poll (user_data, next_poll_time (user_data));
}

static void
on_input (OodRttChannel *channel, gpointer user_data)
{
  (void) channel;
  schedule_poll (user_data, 0);
}

static OodRttChannel *
channel_of (OodRtt *self, guint index)
{
  OodRttChannel *channel = g_hash_table_lookup (self->channels, GUINT_TO_POINTER (index));

  if (channel != NULL)
    return channel;
  channel = ood_rtt_channel_new (OOD_RTT_CHANNEL_READER_BUFFER);
  g_signal_connect_object (channel, "readers-changed", G_CALLBACK (on_readers_changed), self, 0);
  g_signal_connect_object (channel, "input", G_CALLBACK (on_input), self, 0);
  g_hash_table_insert (self->channels, GUINT_TO_POINTER (index), channel);
  return channel;
}

/* Checks that RTT runs and the target has the buffer @index the caller
 * needs; replies NotFound otherwise. */
static gboolean
check_channel (OodRtt *self, GDBusMethodInvocation *invocation, guint index, gboolean write)
{
  g_autoptr(GError) error = NULL;

  if (self->block == NULL)
    error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_FOUND,
                         "RTT is not running on target %s: Start it first", self->target_name);
  else if (ood_rtt_block_lookup (self->block, index, !write) == NULL)
    error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_FOUND, "target %s has no RTT %s-buffer %u",
                         self->target_name, write ? "down" : "up", index);
  if (error == NULL)
    return TRUE;
  ood_reply_error (invocation, error);
  return FALSE;
}

static OodCallers *
callers_of (OodRtt *self)
{
  return ood_session_get_settings (self->session)->callers;
}

/* A reader's share of its caller's fds, given back when it leaves. */
typedef struct {
  OodCallers *callers;   /* (nullable) (not owned): the daemon's, outlives every reader */
  char       *sender;
} Share;

static void
share_release (gpointer data)
{
  Share *share = data;

  ood_callers_release_fd (share->callers, share->sender);
  g_free (share->sender);
  g_free (share);
}

/* A socket for @invocation's caller, counted as one of its fds. */
static void
open_channel (OodRtt *self, GDBusMethodInvocation *invocation, guint index, gboolean write)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  Share *share;
  gint fd;

  if (!check_channel (self, invocation, index, write) ||
      !ood_callers_admit_fd (callers_of (self), invocation))
    return;
  share = g_new0 (Share, 1);
  share->callers = callers_of (self);
  share->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  fd = ood_rtt_channel_add_reader (channel_of (self, index), write, share_release, share, &error);
  if (fd < 0)
    {
      share_release (share);
      g_autoptr(GError) limit = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED,
                                             "cannot open channel %u: %s", index, error->message);
      ood_reply_error (invocation, limit);
      return;
    }
  fds = g_unix_fd_list_new_from_array (&fd, 1);
  g_debug ("%s: %s opened RTT channel %u%s", self->target_name,
           g_dbus_method_invocation_get_sender (invocation), index, write ? " to write" : "");
  ood_dbus_rtt_complete_open_channel (iface_of (self), invocation, fds, g_variant_new_handle (0));
  schedule_poll (self, 0);
}

typedef struct {
  OodRtt                *self;
  GDBusMethodInvocation *invocation;
  guint                  index;
} Open;

static void
on_write_authorized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Open *open = user_data;
  g_autoptr(GError) error = NULL;

  (void) source;
  if (!ood_call_authorize_finish (result, &error))
    ood_reply_error (open->invocation, error);
  else
    open_channel (open->self, open->invocation, open->index, TRUE);
  g_object_unref (open->self);
  g_object_unref (open->invocation);
  g_free (open);
}

static gboolean
handle_open_channel (OodDbusRtt *iface, GDBusMethodInvocation *invocation, GUnixFDList *fd_list,
                     guint index, gboolean write)
{
  OodRtt *self = OOD_RTT (iface);
  Open *open;

  (void) fd_list;
  if (!write)
    {
      open_channel (self, invocation, index, FALSE);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* sending to the target is control, not inspection */
  open = g_new0 (Open, 1);
  open->self = g_object_ref (self);
  open->invocation = g_object_ref (invocation);
  open->index = index;
  ood_call_authorize_async (invocation, OOD_ACTION_CONTROL, on_write_authorized, open);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Setup, Start, Stop ------------------------------------------------- */

static gboolean
handle_setup (OodDbusRtt *iface, GDBusMethodInvocation *invocation, guint64 address,
              guint64 size, const char *id)
{
  OodRtt *self = OOD_RTT (iface);

  if (strlen (id) > OOD_TCL_RTT_ID_MAX)
    ood_reply_invalid_args (invocation, "the RTT id has %zu bytes; at most %d fit", strlen (id),
                            OOD_TCL_RTT_ID_MAX);
  else if (size == 0 || size > OOD_RTT_BLOCK_SEARCH_MAX)
    ood_reply_invalid_args (invocation, "the search size must be 1 to %u bytes, not %"
                            G_GUINT64_FORMAT, OOD_RTT_BLOCK_SEARCH_MAX, size);
  else if (address + (size - 1) < address)
    ood_reply_invalid_args (invocation, "the search range passes the end of the address space");
  else
    {
      g_free (self->id);
      self->id = g_strdup (id[0] != '\0' ? id : DEFAULT_ID);
      self->search_address = address;
      self->search_size = size;
      ood_dbus_rtt_complete_setup (iface, invocation);
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct {
  OodRtt *self;
  guint   generation;
} Start;

static void
on_found (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Start *start = user_data;
  OodRtt *self = start->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(OodRttBlock) block = ood_rtt_block_find_finish (result, &error);

  (void) source;
  if (start->generation == self->generation)
    {
      GDBusMethodInvocation *invocation = g_steal_pointer (&self->starting);

      if (block == NULL)
        ood_reply_error (invocation, error);
      else
        {
          g_message ("%s: RTT control block \"%s\" at 0x%" G_GINT64_MODIFIER "x: %u up-, %u "
                     "down-buffers", self->target_name, self->id, block->address, block->n_up,
                     block->n_down);
          self->block = g_steal_pointer (&block);
          self->checked = g_get_monotonic_time ();
          publish (self);
          ood_dbus_rtt_complete_start (iface_of (self), invocation);
        }
    }
  g_object_unref (self);
  g_free (start);
}

static gboolean
handle_start (OodDbusRtt *iface, GDBusMethodInvocation *invocation)
{
  OodRtt *self = OOD_RTT (iface);
  g_autoptr(GError) error = NULL;
  Start *start;

  if (self->block != NULL)
    {
      ood_dbus_rtt_complete_start (iface, invocation);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (self->starting != NULL)
    error = g_error_new (OOD_ERROR, OOD_ERROR_BUSY, "RTT is starting on target %s",
                         self->target_name);
  else if (self->id == NULL)
    error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_FOUND, "RTT is not set up on target %s: "
                         "call Setup (address, size, id) first", self->target_name);
  if (error != NULL)
    {
      ood_reply_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  self->starting = invocation;   /* answered by on_found() or stop() */
  start = g_new0 (Start, 1);
  start->self = g_object_ref (self);
  start->generation = self->generation;
  ood_rtt_block_find_async (self->session, self->target_name, self->search_address,
                            self->search_size, self->id, ood_call_cancellable_of (invocation),
                            on_found, start);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_stop (OodDbusRtt *iface, GDBusMethodInvocation *invocation)
{
  OodRtt *self = OOD_RTT (iface);
  g_autoptr(GError) why = g_error_new (OOD_ERROR, OOD_ERROR_CANCELLED, "RTT was stopped by %s",
                                       g_dbus_method_invocation_get_sender (invocation));

  stop (self, why);
  ood_dbus_rtt_complete_stop (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_polling_interval (OodDbusRtt *iface, GDBusMethodInvocation *invocation, guint ms)
{
  if (ms == 0 || ms > OOD_RTT_POLLING_INTERVAL_MAX)
    {
      ood_reply_invalid_args (invocation, "the polling interval must be 1 to %d ms, not %u",
                              OOD_RTT_POLLING_INTERVAL_MAX, ms);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  ood_dbus_rtt_set_polling_interval (iface, ms);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (iface));
  ood_dbus_rtt_complete_set_polling_interval (iface, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle --------------------------------------------------------- */

/* OpenOCD is gone (restarted, lost, the endpoint removed): so is RTT. */
static void
on_session_closed (OodSession *session, const GError *reason, gpointer user_data)
{
  (void) session;
  stop (user_data, reason);
}

static void
ood_rtt_dispose (GObject *object)
{
  OodRtt *self = OOD_RTT (object);
  g_autoptr(GError) gone = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                        "target %s is gone", self->target_name);

  stop (self, gone);
  G_OBJECT_CLASS (ood_rtt_parent_class)->dispose (object);
}

static void
ood_rtt_finalize (GObject *object)
{
  OodRtt *self = OOD_RTT (object);

  g_hash_table_unref (self->channels);
  g_clear_object (&self->session);
  g_free (self->target_name);
  g_free (self->id);
  G_OBJECT_CLASS (ood_rtt_parent_class)->finalize (object);
}

static void
ood_rtt_iface_init (OodDbusRttIface *iface)
{
  iface->handle_setup = handle_setup;
  iface->handle_start = handle_start;
  iface->handle_stop = handle_stop;
  iface->handle_set_polling_interval = handle_set_polling_interval;
  iface->handle_open_channel = handle_open_channel;
}

static void
ood_rtt_class_init (OodRttClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->dispose = ood_rtt_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_rtt_finalize;
}

/* A channel leaving the table ends its readers, unheard. */
static void
channel_end (gpointer data)
{
  g_signal_handlers_disconnect_matched (data, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        on_readers_changed, NULL);
  g_signal_handlers_disconnect_matched (data, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, on_input, NULL);
  ood_rtt_channel_close (data);
  g_object_unref (data);
}

static void
ood_rtt_init (OodRtt *self)
{
  self->channels = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, channel_end);
}

/**
 * ood_rtt_new:
 * @session: the OpenOCD of the target
 * @target_name: the target's name in OpenOCD
 */
OodRtt *
ood_rtt_new (OodSession *session, const char *target_name)
{
  OodRtt *self = g_object_new (OOD_TYPE_RTT, NULL);

  self->session = g_object_ref (session);
  self->target_name = g_strdup (target_name);
  g_signal_connect_object (session, "closed", G_CALLBACK (on_session_closed), self, 0);
  ood_dbus_rtt_set_polling_interval (iface_of (self), OOD_RTT_POLLING_INTERVAL_DEFAULT);
  publish (self);
  return self;
}
