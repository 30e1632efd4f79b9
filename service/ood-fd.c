/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-fd"

#include "ood-fd.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "ood-error.h"

/* A client's fd is polled, never waited on: a write after POLLOUT or a
 * read after POLLIN of a blocking fd may still block (a socket takes less
 * than was asked, another reader was quicker). O_NONBLOCK belongs to the
 * open file description, which the client's own copy shares: so a pipe
 * or FIFO is opened afresh through /proc/self/fd (a description of the
 * service's own, the client's left as it was); only what cannot be
 * reopened so (a socket, or a pipe whose other end is gone) gets the flag
 * on the client's description. Returns the fd to use; @fd is then closed
 * or returned. */
static gint
nonblocking (gint fd, gboolean writing)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/fd/%d", fd);
  g_autoptr(GError) error = NULL;
  struct stat st;
  gint own;

  if (fstat (fd, &st) == 0 && S_ISFIFO (st.st_mode))
    {
      own = open (path, (writing ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (own >= 0)
        {
          close (fd);
          return own;
        }
    }
  if (!g_unix_set_fd_nonblocking (fd, TRUE, &error))
    g_warning ("fd %d stays blocking: %s", fd, error->message);
  return fd;
}

/**
 * ood_fd_input_new:
 * @fd: (transfer full): a client's fd open for reading; closed with the stream
 */
GInputStream *
ood_fd_input_new (gint fd)
{
  return g_unix_input_stream_new (nonblocking (fd, FALSE), TRUE);
}

/**
 * ood_fd_output_new:
 * @fd: (transfer full): a client's fd open for writing; closed with the stream
 */
GOutputStream *
ood_fd_output_new (gint fd)
{
  return g_unix_output_stream_new (nonblocking (fd, TRUE), TRUE);
}

/*
 * One read or write: the data of a GTask whose source object is the
 * stream. The operation in flight watches @io, which the deadline and the
 * caller's cancellable cancel.
 */
typedef struct {
  gboolean      writing;
  guint8       *buffer;     /* read: where the bytes go; write: the bytes (not owned) */
  gsize         size;
  gsize         done;
  guint         stall_ms;
  GCancellable *io;
  GCancellable *caller;     /* (nullable) */
  gulong        caller_id;
  GSource      *deadline;   /* ready when no byte moved for stall_ms */
  gboolean      stalled;
} Op;

/* The deadline's timer stops and the caller's cancellable is let go. */
static void
op_stop (Op *op)
{
  g_source_destroy (op->deadline);
  if (op->caller_id != 0)
    g_cancellable_disconnect (op->caller, op->caller_id);
  op->caller_id = 0;
}

static void
op_free (Op *op)
{
  op_stop (op);
  g_source_unref (op->deadline);
  g_clear_object (&op->caller);
  g_object_unref (op->io);
  g_free (op);
}

static gboolean
dispatch_deadline (GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void) source;
  return callback (user_data);
}

/* A source ready at the time it is set to, and never by itself. */
static GSourceFuncs deadline_funcs = { NULL, NULL, dispatch_deadline, NULL, NULL, NULL };

static void
rearm (Op *op)
{
  g_source_set_ready_time (op->deadline,
                           g_get_monotonic_time () + (gint64) op->stall_ms * G_TIME_SPAN_MILLISECOND);
}

static gboolean
on_stalled (gpointer user_data)
{
  Op *op = user_data;

  op->stalled = TRUE;
  g_source_set_ready_time (op->deadline, -1);
  g_cancellable_cancel (op->io);
  return G_SOURCE_CONTINUE;
}

static void
on_caller_cancelled (GCancellable *caller, gpointer io)
{
  (void) caller;
  g_cancellable_cancel (io);
}

/* Ends the operation with @error (taken), or %NULL for success. Takes
 * @task. */
static void
op_return (GTask *task, GError *error)
{
  Op *op = g_task_get_task_data (task);

  op_stop (op);
  if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else if (op->stalled)
    {
      g_error_free (error);
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_STALLED,
                               "the fd moved no byte for %u ms", op->stall_ms);
    }
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

static void op_more (GTask *task);

static void
on_moved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n = op->writing
             ? g_output_stream_write_finish (G_OUTPUT_STREAM (source), result, &error)
             : g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      op_return (task, error);
      return;
    }
  op->done += (gsize) n;
  if (n > 0)
    rearm (op);
  if (op->done == op->size || (n == 0 && !op->writing))   /* all moved, or the fd ended */
    op_return (task, NULL);
  else
    op_more (task);
}

/* Moves the bytes still to move, as many as the fd takes or gives. */
static void
op_more (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  if (op->done == op->size)
    op_return (task, NULL);
  else if (op->writing)
    g_output_stream_write_async (g_task_get_source_object (task), op->buffer + op->done,
                                 op->size - op->done, G_PRIORITY_DEFAULT, op->io, on_moved, task);
  else
    g_input_stream_read_async (g_task_get_source_object (task), op->buffer + op->done,
                               op->size - op->done, G_PRIORITY_DEFAULT, op->io, on_moved, task);
}

/* Starts moving @size bytes through @stream, under the deadline. */
static void
op_start (gpointer stream, gboolean writing, guint8 *buffer, gsize size, guint stall_ms,
          GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
          gpointer tag)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  op->writing = writing;
  op->buffer = buffer;
  op->size = size;
  op->stall_ms = stall_ms;
  op->io = g_cancellable_new ();
  op->deadline = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_name (op->deadline, "ood-fd deadline");
  g_source_set_callback (op->deadline, on_stalled, op, NULL);
  rearm (op);
  g_source_attach (op->deadline, g_task_get_context (task));
  if (cancellable != NULL)
    {
      op->caller = g_object_ref (cancellable);
      /* called at once if it is cancelled already */
      op->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                             g_object_ref (op->io), g_object_unref);
    }
  op_more (task);
}

static gboolean
op_finish (gpointer stream, GAsyncResult *result, gpointer tag, gsize *done, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, FALSE);
  if (done != NULL)
    *done = ((Op *) g_task_get_task_data (G_TASK (result)))->done;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * ood_fd_read_async:
 * @in: a stream of ood_fd_input_new()
 * @buffer: where the bytes go; kept until the callback
 * @size: how many bytes to read: fewer only if the fd ends first
 * @cancellable: (nullable): ends the read with %G_IO_ERROR_CANCELLED
 */
void
ood_fd_read_async (GInputStream *in, guint8 *buffer, gsize size, guint stall_ms,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  op_start (in, FALSE, buffer, size, stall_ms, cancellable, callback, user_data,
            ood_fd_read_async);
}

/**
 * ood_fd_read_finish:
 * @got: (out) (optional): the bytes read, also on failure; fewer than
 *   asked on success if the fd ended
 *
 * Returns: whether the read succeeded; otherwise %OOD_ERROR_STALLED,
 *   %G_IO_ERROR_CANCELLED or the stream's error
 */
gboolean
ood_fd_read_finish (GInputStream *in, GAsyncResult *result, gsize *got, GError **error)
{
  return op_finish (in, result, ood_fd_read_async, got, error);
}

/**
 * ood_fd_write_async:
 * @out: a stream of ood_fd_output_new()
 * @data: the bytes; kept until the callback
 * @cancellable: (nullable): ends the write with %G_IO_ERROR_CANCELLED
 *
 * Writes all @size bytes of @data.
 */
void
ood_fd_write_async (GOutputStream *out, const guint8 *data, gsize size, guint stall_ms,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  op_start (out, TRUE, (guint8 *) data, size, stall_ms, cancellable, callback, user_data,
            ood_fd_write_async);
}

/**
 * ood_fd_write_finish:
 *
 * Returns: whether all bytes were written; otherwise %OOD_ERROR_STALLED,
 *   %G_IO_ERROR_CANCELLED or the stream's error
 */
gboolean
ood_fd_write_finish (GOutputStream *out, GAsyncResult *result, GError **error)
{
  return op_finish (out, result, ood_fd_write_async, NULL, error);
}
