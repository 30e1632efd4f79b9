/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-rtt-channel"

#include "ood-rtt-channel.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

/* The most one read of a writer's socket takes. */
#define WRITER_READ_MAX 1024

/* One reader: our end of its socketpair, watched for what it needs now. */
typedef struct {
  OodRttChannel *channel;   /* (unowned) */
  gint           fd;
  GSource       *watch;
  GByteArray    *pending;   /* bytes its socket did not take yet */
  gsize          head;      /* of them, already sent */
  gboolean       writer;
  gboolean       sent_all;  /* a writer that shut its sending side */
  GDestroyNotify gone;      /* (nullable): called with gone_data when it leaves */
  gpointer       gone_data;
} Reader;

struct _OodRttChannel {
  GObject       parent_instance;

  GMainContext *context;      /* where the readers are polled */
  gsize         reader_buffer;
  GPtrArray    *readers;      /* (element-type Reader) */
  GByteArray   *input;        /* writers' bytes for the down-channel */
  guint64       cut_off;
  gboolean      closed;
};

enum {
  SIGNAL_READERS_CHANGED,
  SIGNAL_INPUT,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodRttChannel, ood_rtt_channel, G_TYPE_OBJECT)

/* ---- a watch whose events change --------------------------------------- */

typedef gboolean (*ReaderFunc) (Reader *reader, GIOCondition revents);

typedef struct {
  GSource  base;
  gpointer tag;
} Watch;

static gboolean
watch_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Watch *watch = (Watch *) source;

  return ((ReaderFunc) (void (*) (void)) callback) (user_data,
                                                    g_source_query_unix_fd (source, watch->tag));
}

static GSourceFuncs watch_funcs = { .dispatch = watch_dispatch };

static GSource *
watch_new (GMainContext *context, gint fd, ReaderFunc func, Reader *reader)
{
  GSource *source = g_source_new (&watch_funcs, sizeof (Watch));

  ((Watch *) source)->tag = g_source_add_unix_fd (source, fd, 0);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) func, reader, NULL);
  g_source_set_static_name (source, "ood-rtt-reader");
  g_source_attach (source, context);
  return source;
}

/* ---- readers ------------------------------------------------------------ */

static gsize
pending_size (const Reader *reader)
{
  return reader->pending->len - reader->head;
}

static gboolean
input_full (OodRttChannel *self)
{
  return self->input->len >= OOD_RTT_CHANNEL_INPUT_MAX;
}

/* Polls for what @reader needs now; a hang-up is always reported. */
static void
rearm (Reader *reader)
{
  GIOCondition events = 0;

  if (pending_size (reader) > 0)
    events |= G_IO_OUT;
  if (reader->writer && !reader->sent_all && !input_full (reader->channel))
    events |= G_IO_IN;
  g_source_modify_unix_fd (reader->watch, ((Watch *) reader->watch)->tag, events);
}

static void
reader_free (Reader *reader)
{
  g_source_destroy (reader->watch);
  g_source_unref (reader->watch);
  close (reader->fd);
  g_byte_array_unref (reader->pending);
  if (reader->gone != NULL)
    reader->gone (reader->gone_data);
  g_free (reader);
}

/* Sends what @reader's socket takes of @data; -1 if the reader is gone. */
static gssize
send_some (Reader *reader, const guint8 *data, gsize size)
{
  gssize sent = send (reader->fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);

  if (sent >= 0)
    return sent;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
}

/* Sends @reader's pending bytes; FALSE if the reader is gone. */
static gboolean
flush_pending (Reader *reader)
{
  gssize sent = send_some (reader, reader->pending->data + reader->head, pending_size (reader));

  if (sent < 0)
    return FALSE;
  reader->head += (gsize) sent;
  if (pending_size (reader) == 0)
    {
      g_byte_array_set_size (reader->pending, 0);
      reader->head = 0;
    }
  else if (reader->head > reader->pending->len / 2)
    {
      g_byte_array_remove_range (reader->pending, 0, (guint) reader->head);
      reader->head = 0;
    }
  return TRUE;
}

static void
queue_input (OodRttChannel *self, const guint8 *data, gsize size)
{
  gboolean was_empty = self->input->len == 0;

  g_byte_array_append (self->input, data, (guint) size);
  if (was_empty)
    g_signal_emit (self, signals[SIGNAL_INPUT], 0);
}

/* Reads what a writer sent, as much as the input queue has room for;
 * FALSE if the reader is gone (an error; EOF only ends its sending). */
static gboolean
read_input (Reader *reader)
{
  OodRttChannel *self = reader->channel;
  guint8 buffer[WRITER_READ_MAX];
  gsize room = OOD_RTT_CHANNEL_INPUT_MAX - MIN (self->input->len, OOD_RTT_CHANNEL_INPUT_MAX);
  gssize got;

  if (room == 0)
    return TRUE;
  got = recv (reader->fd, buffer, MIN (room, sizeof buffer), MSG_DONTWAIT);
  if (got < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (got == 0)
    reader->sent_all = TRUE;
  else
    queue_input (self, buffer, (gsize) got);
  return TRUE;
}

/* A handler may drop the last reference to the channel. */
static void
emit_readers_changed (OodRttChannel *self)
{
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_READERS_CHANGED], 0);
  g_object_unref (self);
}

static void rearm_writers (OodRttChannel *self);
static void remove_reader (OodRttChannel *self, Reader *reader);

static gboolean
on_reader_ready (Reader *reader, GIOCondition revents)
{
  OodRttChannel *self = reader->channel;
  gboolean alive = TRUE;
  gboolean was_full = input_full (self);

  if (revents & G_IO_IN)
    alive = read_input (reader);
  if (alive && (revents & G_IO_OUT))
    alive = flush_pending (reader);
  /* a hang-up with unread input is read first, at the next dispatch */
  if (alive && (revents & (G_IO_HUP | G_IO_ERR)) &&
      !(revents & G_IO_IN && !reader->sent_all && !input_full (self)))
    alive = FALSE;
  if (!alive)
    {
      remove_reader (self, reader);
      emit_readers_changed (self);
      return G_SOURCE_CONTINUE;   /* destroyed already */
    }
  if (input_full (self) != was_full)
    rearm_writers (self);
  else
    rearm (reader);
  return G_SOURCE_CONTINUE;
}

static void
remove_reader (OodRttChannel *self, Reader *reader)
{
  g_ptr_array_remove_fast (self->readers, reader);
}

static void
rearm_writers (OodRttChannel *self)
{
  for (guint i = 0; i < self->readers->len; i++)
    rearm (self->readers->pdata[i]);
}

/**
 * ood_rtt_channel_add_reader:
 * @writer: whether the reader may send to the down-channel
 * @gone: (nullable): called with @gone_data once the reader has left
 *   (not if this fails)
 *
 * Returns: the client's end of a new reader's socketpair (the caller owns
 *   it), or -1 with @error set (no more file descriptors, or closed)
 */
gint
ood_rtt_channel_add_reader (OodRttChannel *self, gboolean writer, GDestroyNotify gone,
                            gpointer gone_data, GError **error)
{
  Reader *reader;
  gint fds[2];

  if (self->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the channel is closed");
      return -1;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s",
                   g_strerror (saved));
      return -1;
    }
  /* the client's end blocks, as a fresh socket does */
  g_unix_set_fd_nonblocking (fds[1], FALSE, NULL);
  if (!writer)
    shutdown (fds[0], SHUT_RD);
  reader = g_new0 (Reader, 1);
  reader->channel = self;
  reader->fd = fds[0];
  reader->writer = writer;
  reader->gone = gone;
  reader->gone_data = gone_data;
  reader->pending = g_byte_array_new ();
  reader->watch = watch_new (self->context, reader->fd, on_reader_ready, reader);
  g_ptr_array_add (self->readers, reader);
  rearm (reader);
  return fds[1];
}

guint
ood_rtt_channel_get_n_readers (OodRttChannel *self)
{
  return self->readers->len;
}

/* The readers that may send (and have not shut their sending side). */
guint
ood_rtt_channel_get_n_writers (OodRttChannel *self)
{
  guint n = 0;

  for (guint i = 0; i < self->readers->len; i++)
    n += ((Reader *) self->readers->pdata[i])->writer &&
         !((Reader *) self->readers->pdata[i])->sent_all;
  return n;
}

/* How many readers were cut off for falling behind, ever. */
guint64
ood_rtt_channel_get_cut_off (OodRttChannel *self)
{
  return self->cut_off;
}

/* The bytes held for all readers now (each at most reader_buffer). */
gsize
ood_rtt_channel_get_held (OodRttChannel *self)
{
  gsize held = 0;

  for (guint i = 0; i < self->readers->len; i++)
    held += pending_size (self->readers->pdata[i]);
  return held;
}

/* Gives @reader the @size bytes at @data; FALSE if it is to go (gone, or
 * cut off). */
static gboolean
deliver (OodRttChannel *self, Reader *reader, const guint8 *data, gsize size)
{
  gssize sent = 0;

  if (pending_size (reader) == 0 && (sent = send_some (reader, data, size)) < 0)
    return FALSE;
  if ((gsize) sent == size)
    return TRUE;
  if (pending_size (reader) + (size - (gsize) sent) > self->reader_buffer)
    {
      self->cut_off++;
      g_message ("cutting off a reader %" G_GSIZE_FORMAT " bytes behind (its buffer holds %"
                 G_GSIZE_FORMAT ")", pending_size (reader) + size - (gsize) sent,
                 self->reader_buffer);
      return FALSE;
    }
  g_byte_array_append (reader->pending, data + sent, (guint) (size - (gsize) sent));
  rearm (reader);
  return TRUE;
}

/**
 * ood_rtt_channel_push:
 *
 * Gives @data, which the target wrote to the up-channel, to every reader.
 */
void
ood_rtt_channel_push (OodRttChannel *self, const guint8 *data, gsize size)
{
  gboolean changed = FALSE;

  for (guint i = self->readers->len; i > 0; i--)
    {
      Reader *reader = self->readers->pdata[i - 1];

      if (!deliver (self, reader, data, size))
        {
          remove_reader (self, reader);
          changed = TRUE;
        }
    }
  if (changed)
    emit_readers_changed (self);
}

/* How many bytes writers sent that were not consumed yet. */
gsize
ood_rtt_channel_get_input_size (OodRttChannel *self)
{
  return self->input->len;
}

/**
 * ood_rtt_channel_peek_input:
 *
 * Returns: (transfer full): the bytes writers sent, oldest first, that
 *   were not consumed yet (maybe none)
 */
GBytes *
ood_rtt_channel_peek_input (OodRttChannel *self)
{
  return g_bytes_new (self->input->data, self->input->len);
}

/**
 * ood_rtt_channel_consume_input:
 * @size: how many of the oldest input bytes went to the down-channel
 */
void
ood_rtt_channel_consume_input (OodRttChannel *self, gsize size)
{
  gboolean was_full = input_full (self);

  g_return_if_fail (size <= self->input->len);
  g_byte_array_remove_range (self->input, 0, (guint) size);
  if (was_full && !input_full (self))
    rearm_writers (self);
}

/**
 * ood_rtt_channel_close:
 *
 * Ends every reader (EOF once it read what its socket holds) and drops
 * the input; a closed channel takes no readers. "readers-changed" is
 * emitted if there were any.
 */
void
ood_rtt_channel_close (OodRttChannel *self)
{
  gboolean had = self->readers->len > 0;

  self->closed = TRUE;
  g_ptr_array_set_size (self->readers, 0);
  g_byte_array_set_size (self->input, 0);
  if (had)
    emit_readers_changed (self);
}

static void
ood_rtt_channel_finalize (GObject *object)
{
  OodRttChannel *self = OOD_RTT_CHANNEL (object);

  g_ptr_array_unref (self->readers);
  g_byte_array_unref (self->input);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (ood_rtt_channel_parent_class)->finalize (object);
}

static void
ood_rtt_channel_class_init (OodRttChannelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ood_rtt_channel_finalize;

  signals[SIGNAL_READERS_CHANGED] =
    g_signal_new ("readers-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_INPUT] =
    g_signal_new ("input", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ood_rtt_channel_init (OodRttChannel *self)
{
  self->readers = g_ptr_array_new_with_free_func ((GDestroyNotify) reader_free);
  self->input = g_byte_array_new ();
}

/**
 * ood_rtt_channel_new:
 * @reader_buffer: the most bytes held for one reader
 *   (OOD_RTT_CHANNEL_READER_BUFFER unless a test wants less)
 */
OodRttChannel *
ood_rtt_channel_new (gsize reader_buffer)
{
  OodRttChannel *self = g_object_new (OOD_TYPE_RTT_CHANNEL, NULL);

  g_return_val_if_fail (reader_buffer > 0, NULL);
  self->reader_buffer = reader_buffer;
  self->context = g_main_context_ref_thread_default ();
  return self;
}
