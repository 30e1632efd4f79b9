/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The readers of one RTT channel, fed from one source. Knows nothing of
 * D-Bus or OpenOCD: the source (ood-rtt.h, which polls the target's
 * buffers) pushes what the target wrote to the up-channel, and takes what
 * writers sent for the down-channel.
 *
 * Readers: each is one end of a socketpair (AF_UNIX, SOCK_STREAM); the
 * client gets the other end. A reader gets every byte pushed after it was
 * added, in order, once. What its socket does not take at once waits in
 * a buffer of its own of at most @reader_buffer bytes; nothing is ever
 * waited on (every socket is non-blocking, polled on the thread-default
 * main context of ood_rtt_channel_new()).
 *
 * A full reader is cut off: a push that does not fit in a reader's buffer
 * drops what the service held for that reader and closes its end. The
 * reader then reads what its socket already holds, a run of the stream
 * without a gap, and EOF. The other readers go on as before, so a slow
 * reader never slows them, and the service never holds more than
 * @reader_buffer bytes for any reader.
 *
 * Writers: a reader added as a writer may send too. What one read of its
 * socket got is queued in one piece (several writers' bytes interleave
 * only at those boundaries), up to OOD_RTT_CHANNEL_INPUT_MAX bytes; while
 * the queue is full no writer's socket is read, so writers are held back
 * by their sockets filling, and nothing they sent is dropped. The source
 * takes the queue with ood_rtt_channel_peek_input() and
 * ood_rtt_channel_consume_input(). A reader that is not a writer has its
 * receiving side shut down: its sends fail with EPIPE.
 *
 * A reader leaves when the client closes its end, when a send to it
 * fails, when it is cut off, or when the channel is closed or finalized
 * (its @gone is called then). What a writer sent before it closed is
 * queued as far as the queue has room; a writer that only shuts its
 * sending side (shutdown (fd, SHUT_WR)) stays a reader and loses nothing. ood_rtt_channel_close() ends every reader: each reads what its
 * socket holds, then EOF.
 *
 * Signals:
 * - "readers-changed": readers were added or left; emitted once per
 *   batch, never from within ood_rtt_channel_add_reader().
 * - "input": the input queue was empty and now holds bytes.
 */

#define OOD_RTT_CHANNEL_READER_BUFFER (64 * 1024)
#define OOD_RTT_CHANNEL_INPUT_MAX     4096

#define OOD_TYPE_RTT_CHANNEL (ood_rtt_channel_get_type ())
G_DECLARE_FINAL_TYPE (OodRttChannel, ood_rtt_channel, OOD, RTT_CHANNEL, GObject)

OodRttChannel *ood_rtt_channel_new (gsize reader_buffer);

gint     ood_rtt_channel_add_reader    (OodRttChannel *self,
                                        gboolean       writer,
                                        GDestroyNotify gone,
                                        gpointer       gone_data,
                                        GError       **error);
guint    ood_rtt_channel_get_n_readers (OodRttChannel *self);
guint    ood_rtt_channel_get_n_writers (OodRttChannel *self);
guint64  ood_rtt_channel_get_cut_off   (OodRttChannel *self);
gsize    ood_rtt_channel_get_held      (OodRttChannel *self);
void     ood_rtt_channel_push          (OodRttChannel *self,
                                        const guint8  *data,
                                        gsize          size);
gsize    ood_rtt_channel_get_input_size (OodRttChannel *self);
GBytes  *ood_rtt_channel_peek_input    (OodRttChannel *self);
void     ood_rtt_channel_consume_input (OodRttChannel *self,
                                        gsize          size);
void     ood_rtt_channel_close         (OodRttChannel *self);

G_END_DECLS
