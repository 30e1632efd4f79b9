/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The file descriptors clients hand over (ReadToFd, WriteFromFd, the
 * images of flash jobs), moved through on the main loop under a deadline
 * for progress. The streams are non-blocking (a pipe or FIFO opened afresh
 * with O_NONBLOCK, the client's description left alone; a socket with
 * O_NONBLOCK on the description it shares), so a pipe, socket or FIFO is
 * polled and never waited on; a regular file, which cannot be polled, is read or
 * written by GIO's worker pool, and never stalls. An operation fails with
 * %OOD_ERROR_STALLED ("the fd moved no byte for N ms") when no byte moved
 * for @stall_ms while it waited for the fd: the timer runs only during
 * the operation and is re-armed by every byte that moves. Its
 * @cancellable ends it with %G_IO_ERROR_CANCELLED. Knows nothing of
 * D-Bus.
 */

GInputStream  *ood_fd_input_new    (gint fd);
GOutputStream *ood_fd_output_new   (gint fd);

void           ood_fd_read_async   (GInputStream        *in,
                                    guint8              *buffer,
                                    gsize                size,
                                    guint                stall_ms,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean       ood_fd_read_finish  (GInputStream  *in,
                                    GAsyncResult  *result,
                                    gsize         *got,
                                    GError       **error);
void           ood_fd_write_async  (GOutputStream       *out,
                                    const guint8        *data,
                                    gsize                size,
                                    guint                stall_ms,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean       ood_fd_write_finish (GOutputStream *out,
                                    GAsyncResult  *result,
                                    GError       **error);

G_END_DECLS
