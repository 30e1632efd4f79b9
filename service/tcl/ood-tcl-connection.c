/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ood-error.h"
#include "ood-tcl-framer.h"

#define MAX_REPLY_BYTES (4u * 1024 * 1024)
#define READ_CHUNK 4096   /* per connection, and an endpoint has two */
#define DEFAULT_TCL_PORT 6666

/* One caller of a command: its task, whose cancellable is the caller's
 * turn key (ood-tcl-connection.h). */
typedef struct {
  GTask   *task;
  gboolean counted;  /* against max_waiting */
} Waiter;

/* One command on the wire, and every caller waiting for its reply. */
typedef struct {
  char      *wire;     /* script followed by the terminator */
  gsize      wire_len;
  guint      timeout_ms;
  gboolean   shareable;
  gboolean   acts;     /* a caller's command that is no read: goes ahead of its queued reads */
  GArray    *waiters;  /* (element-type Waiter) */
} Request;

/* One caller's place in the rotation: the requests not yet sent that it
 * waits for, each once (a shared read is in the queues of all its
 * callers). A turn is in the rotation exactly while its queue is not
 * empty. The handler on its key owns it, or else the connection. */
typedef struct {
  OodTclConnection *connection;  /* NULL once released */
  GCancellable     *key;         /* (owned) (nullable): NULL is the owner's own work */
  GQueue            requests;    /* (element-type Request) */
  GList             link;        /* in the rotation; data: the turn */
  gulong            handler;     /* on key's "cancelled" */
} Turn;

struct _OodTclConnection {
  GObject            parent_instance;

  GSocketConnection *socket;
  GCancellable      *cancellable;   /* cancelled on close */
  OodTclFramer       framer;
  guint8            *read_buffer;

  GQueue             rotation;      /* (element-type Turn) the one whose turn it is first */
  GHashTable        *turns;         /* turn key → Turn in the rotation */
  Request           *in_flight;
  gsize              written;       /* bytes of in_flight->wire sent */
  GSource           *read_source;   /* attached for the connection's life */
  GSource           *write_source;  /* only while the socket buffer is full */
  GSource           *timeout_source;
  guint              waiting;       /* counted callers in queue and in flight */
  guint              max_waiting;
  gint               read_priority; /* of read_source */
  gboolean           closed;
};

enum { SIGNAL_NOTIFICATION, SIGNAL_CLOSED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OodTclConnection, ood_tcl_connection, G_TYPE_OBJECT)

static void send_next (OodTclConnection *self);

static void
waiter_clear (gpointer data)
{
  g_object_unref (((Waiter *) data)->task);
}

static void
request_free (Request *request)
{
  g_free (request->wire);
  g_array_unref (request->waiters);
  g_free (request);
}

static GCancellable *
waiter_key (Request *request, guint i)
{
  return g_task_get_cancellable (g_array_index (request->waiters, Waiter, i).task);
}

/* Completes every caller of @request, with @reply or else @error. */
static void
request_complete (OodTclConnection *self, Request *request, const char *reply,
                  const GError *error)
{
  for (guint i = 0; i < request->waiters->len; i++)
    {
      Waiter *waiter = &g_array_index (request->waiters, Waiter, i);

      self->waiting -= waiter->counted;
      if (error != NULL)
        g_task_return_error (waiter->task, g_error_copy (error));
      else
        g_task_return_pointer (waiter->task, g_strdup (reply), g_free);
    }
  request_free (request);
}

/* ---- turns ---------------------------------------------------------------- */

static void
turn_free (gpointer data)
{
  Turn *turn = data;

  g_queue_clear (&turn->requests);
  g_clear_object (&turn->key);
  g_free (turn);
}

static gboolean
disconnect_turn (gpointer data)
{
  Turn *turn = data;

  /* frees @turn (the handler's destroy notify) */
  g_cancellable_disconnect (turn->key, turn->handler);
  return G_SOURCE_REMOVE;
}

/* Takes @turn, whose queue is empty, out of the rotation. Its "cancelled"
 * handler is disconnected at once, unless the key is cancelled: the
 * handler may be running then, and g_cancellable_disconnect() would wait
 * for it for ever, so an idle disconnects it. */
static void
turn_release (OodTclConnection *self, Turn *turn)
{
  g_queue_unlink (&self->rotation, &turn->link);
  g_hash_table_remove (self->turns, turn->key);
  turn->connection = NULL;
  if (turn->key == NULL)
    turn_free (turn);
  else if (!g_cancellable_is_cancelled (turn->key))
    g_cancellable_disconnect (turn->key, turn->handler);
  else
    {
      g_autoptr(GSource) idle = g_idle_source_new ();

      g_source_set_callback (idle, disconnect_turn, turn, NULL);
      g_source_attach (idle, g_main_context_get_thread_default ());
    }
}

/* Takes @request out of the queue of every caller waiting for it (it is
 * being sent, or failed); callers left with nothing queued leave the
 * rotation. */
static void
request_unqueue (OodTclConnection *self, Request *request)
{
  for (guint i = 0; i < request->waiters->len; i++)
    {
      Turn *turn = g_hash_table_lookup (self->turns, waiter_key (request, i));

      /* a caller waiting twice for a shared read is queued once */
      if (turn != NULL && g_queue_remove (&turn->requests, request) &&
          g_queue_is_empty (&turn->requests))
        turn_release (self, turn);
    }
}

/* Moves the tasks of the callers of @key out of @request into @tasks. */
static void
request_take_waiters (OodTclConnection *self, Request *request, GCancellable *key,
                      GPtrArray *tasks)
{
  for (guint i = request->waiters->len; i-- > 0;)
    {
      Waiter *waiter = &g_array_index (request->waiters, Waiter, i);

      if (waiter_key (request, i) != key)
        continue;
      self->waiting -= waiter->counted;
      g_ptr_array_add (tasks, g_object_ref (waiter->task));
      g_array_remove_index (request->waiters, i);
    }
}

/* A caller's key was cancelled: everything it has queued fails at once,
 * and a request that no other caller waits for is dropped unsent. The
 * queues are set right before any task completes, since a completion may
 * call back in. */
static void
on_key_cancelled (GCancellable *key, gpointer user_data)
{
  Turn *turn = user_data;
  g_autoptr(OodTclConnection) self = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  Request *request;

  if (turn->connection == NULL)
    return;
  self = g_object_ref (turn->connection);
  tasks = g_ptr_array_new_with_free_func (g_object_unref);
  while ((request = g_queue_pop_head (&turn->requests)) != NULL)
    {
      request_take_waiters (self, request, key, tasks);
      /* in no other queue: a turn queues only requests it waits for */
      if (request->waiters->len == 0)
        request_free (request);
    }
  turn_release (self, turn);
  g_debug ("a cancelled caller's %u queued commands failed", tasks->len);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_error_if_cancelled (g_ptr_array_index (tasks, i));
}

/* The turn of @key, which is not cancelled; a new one comes last in the
 * rotation. */
static Turn *
turn_get (OodTclConnection *self, GCancellable *key)
{
  Turn *turn = g_hash_table_lookup (self->turns, key);

  if (turn != NULL)
    return turn;
  turn = g_new0 (Turn, 1);
  turn->connection = self;
  turn->key = key != NULL ? g_object_ref (key) : NULL;
  g_queue_init (&turn->requests);
  turn->link.data = turn;
  if (key != NULL)
    turn->handler = g_cancellable_connect (key, G_CALLBACK (on_key_cancelled), turn, turn_free);
  g_hash_table_insert (self->turns, key, turn);
  g_queue_push_tail_link (&self->rotation, &turn->link);
  return turn;
}

static void
clear_timeout (OodTclConnection *self)
{
  if (self->timeout_source == NULL)
    return;
  g_source_destroy (self->timeout_source);
  g_clear_pointer (&self->timeout_source, g_source_unref);
}

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
fail_all (OodTclConnection *self, const GError *error)
{
  g_autoptr(GError) disconnected = g_error_new (OOD_ERROR, OOD_ERROR_DISCONNECTED,
                                                "connection to OpenOCD lost: %s",
                                                error->message);
  Turn *turn;

  clear_timeout (self);
  if (self->in_flight != NULL)
    request_complete (self, g_steal_pointer (&self->in_flight), NULL, error);
  while ((turn = g_queue_peek_head (&self->rotation)) != NULL)
    {
      Request *request = g_queue_peek_head (&turn->requests);

      request_unqueue (self, request);
      request_complete (self, request, NULL, disconnected);
    }
}

/**
 * ood_tcl_connection_close:
 * @reason: why; the in-flight command fails with it (normalised), queued
 *   ones with %OOD_ERROR_DISCONNECTED
 *
 * Closes the connection for good. Safe to call more than once.
 */
void
ood_tcl_connection_close (OodTclConnection *self, const GError *reason)
{
  g_autoptr(GError) normalized = ood_error_normalize (reason);

  if (self->closed)
    return;
  self->closed = TRUE;
  g_debug ("closing Tcl connection: %s", reason->message);
  g_cancellable_cancel (self->cancellable);
  drop_source (&self->read_source);
  drop_source (&self->write_source);
  if (self->socket != NULL)
    g_socket_close (g_socket_connection_get_socket (self->socket), NULL);
  g_object_ref (self);
  fail_all (self, normalized);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, normalized);
  g_object_unref (self);
}

static void
close_with (OodTclConnection *self, GQuark domain, gint code, const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  ood_tcl_connection_close (self, error);
}

static gboolean
on_timeout (gpointer user_data)
{
  OodTclConnection *self = user_data;
  g_autofree char *message = g_strdup_printf ("OpenOCD did not answer within %u ms",
                                              self->in_flight->timeout_ms);

  g_warning ("%s; reconnecting", message);
  close_with (self, OOD_ERROR, OOD_ERROR_NO_REPLY, message);
  return G_SOURCE_REMOVE;
}

static GSocket *
get_socket (OodTclConnection *self)
{
  return g_socket_connection_get_socket (self->socket);
}

static void flush_output (OodTclConnection *self);

static gboolean
on_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  OodTclConnection *self = user_data;

  (void) socket;
  (void) condition;
  g_clear_pointer (&self->write_source, g_source_unref);
  if (!self->closed && self->in_flight != NULL)
    flush_output (self);
  return G_SOURCE_REMOVE;
}

/* Sends the rest of the in-flight command without blocking; when the
 * socket's buffer is full, a one-shot source sends the remainder. */
static void
flush_output (OodTclConnection *self)
{
  Request *request = self->in_flight;

  while (self->written < request->wire_len)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (get_socket (self), request->wire + self->written,
                                request->wire_len - self->written, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          self->write_source = g_socket_create_source (get_socket (self), G_IO_OUT, NULL);
          g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_writable), self, NULL);
          g_source_attach (self->write_source, g_main_context_get_thread_default ());
          return;
        }
      if (n < 0)
        {
          ood_tcl_connection_close (self, error);
          return;
        }
      self->written += (gsize) n;
    }
}

/* Sends the first request of the caller whose turn it is; if it has more
 * queued, it goes to the end of the rotation. */
static void
send_next (OodTclConnection *self)
{
  Turn *turn;

  if (self->closed || self->socket == NULL || self->in_flight != NULL ||
      g_queue_is_empty (&self->rotation))
    return;
  turn = g_queue_peek_head (&self->rotation);
  self->in_flight = g_queue_peek_head (&turn->requests);
  if (g_queue_get_length (&turn->requests) > 1)
    {
      g_queue_unlink (&self->rotation, &turn->link);
      g_queue_push_tail_link (&self->rotation, &turn->link);
    }
  /* the turn leaves the rotation if that was its last */
  request_unqueue (self, self->in_flight);
  self->written = 0;
  self->timeout_source = g_timeout_source_new (self->in_flight->timeout_ms);
  g_source_set_callback (self->timeout_source, on_timeout, self, NULL);
  g_source_attach (self->timeout_source, g_main_context_get_thread_default ());
  flush_output (self);
}

/* A reply ends the in-flight command; anything unasked for means the
 * stream is out of step and can no longer be trusted. */
static gboolean
on_message (const char *message, gsize length, gpointer user_data)
{
  OodTclConnection *self = user_data;

  (void) length;
  if (g_str_has_prefix (message, "type target_"))
    {
      g_signal_emit (self, signals[SIGNAL_NOTIFICATION], 0, message);
      return !self->closed;
    }
  if (self->in_flight == NULL)
    {
      g_warning ("unexpected message from OpenOCD; reconnecting");
      close_with (self, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unexpected message from OpenOCD");
      return FALSE;
    }
  clear_timeout (self);
  request_complete (self, g_steal_pointer (&self->in_flight), message, NULL);
  send_next (self);
  return !self->closed;
}

/* Reads what the socket has, without blocking, and frames it. */
static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  OodTclConnection *self = g_object_ref (user_data);
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (socket, (char *) self->read_buffer, READ_CHUNK, NULL, &error);
  gboolean keep;

  (void) condition;
  if (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    ood_tcl_connection_close (self, error);
  else if (n == 0)
    close_with (self, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "OpenOCD closed the connection");
  else if (n > 0 && !ood_tcl_framer_feed (&self->framer, self->read_buffer, (gsize) n, on_message, self,
                                 &error))
    ood_tcl_connection_close (self, error);
  keep = !self->closed;
  g_object_unref (self);
  return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
start_reading (OodTclConnection *self)
{
  GSocket *socket = get_socket (self);

  g_socket_set_blocking (socket, FALSE);
  self->read_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_readable), self, NULL);
  g_source_set_priority (self->read_source, self->read_priority);
  /* on_readable never iterates the main context, so the source need not be
   * blocked while it runs; blocking it would take its fd out of the poll
   * set and put it back, and GLib 2.74 wakes its own context for each. */
  g_source_set_can_recurse (self->read_source, TRUE);
  g_source_attach (self->read_source, g_main_context_get_thread_default ());
}

static void
tune_socket (GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GError) error = NULL;

  g_socket_set_keepalive (socket, TRUE);
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX &&
      !g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_debug ("cannot set TCP_NODELAY: %s", error->message);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  OodTclConnection *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      /* as GIO gives it (G_RESOLVER_ERROR, G_IO_ERROR_CONNECTION_REFUSED, …),
       * so that the owner can say why; close() normalizes it */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (self->closed)
    {
      g_object_unref (connection);
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_DISCONNECTED, "connection closed");
      return;
    }
  self->socket = connection;
  tune_socket (connection);
  start_reading (self);
  send_next (self);
  g_task_return_boolean (task, TRUE);
}

/**
 * ood_tcl_connection_connect_async:
 * @address: "host:port" (the port defaults to 6666)
 * @cancellable: (nullable): cancels the attempt (e.g. a connect deadline)
 *
 * Connects. Commands may be queued before the connection is up.
 */
void
ood_tcl_connection_connect_async (OodTclConnection *self, const char *address,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  /* OpenOCD's Tcl port is reached directly, never through a proxy that
   * the environment may name for other traffic */
  g_socket_client_set_enable_proxy (client, FALSE);

  g_task_set_source_tag (task, ood_tcl_connection_connect_async);
  g_return_if_fail (self->socket == NULL);
  g_socket_client_connect_to_host_async (client, address, DEFAULT_TCL_PORT,
                                         cancellable != NULL ? cancellable : self->cancellable,
                                         on_connected, task);
}

gboolean
ood_tcl_connection_connect_finish (OodTclConnection *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static Request *
find_shareable (OodTclConnection *self, const char *script, gsize length)
{
  for (GList *t = self->rotation.head; t != NULL; t = t->next)
    for (GList *l = ((Turn *) t->data)->requests.head; l != NULL; l = l->next)
      {
        Request *request = l->data;
        if (request->shareable && request->wire_len == length + 1 &&
            memcmp (request->wire, script, length) == 0)
          return request;
      }
  return NULL;
}

/* Within one caller's queue, a command that acts (neither a shareable
 * read, nor the owner's own work, nor a piece of long work) goes ahead of
 * the caller's reads still waiting: reads share round trips, and so never
 * hold up the caller's own Halt. Everything else is FIFO. */
static void
queue_request (Turn *turn, Request *request)
{
  GList *first_read = NULL;

  if (request->acts)
    for (GList *l = turn->requests.head; l != NULL && first_read == NULL; l = l->next)
      if (((Request *) l->data)->shareable)
        first_read = l;
  if (first_read != NULL)
    g_queue_insert_before (&turn->requests, first_read, request);
  else
    g_queue_push_tail (&turn->requests, request);
}

static Request *
request_new (const char *script, gsize length, OodTclCallFlags flags, guint timeout_ms)
{
  Request *request = g_new0 (Request, 1);

  request->wire = g_malloc (length + 1);
  memcpy (request->wire, script, length);
  request->wire[length] = OOD_TCL_TERMINATOR;
  request->wire_len = length + 1;
  request->timeout_ms = MAX (timeout_ms, 1);
  request->shareable = (flags & OOD_TCL_CALL_SHAREABLE) != 0;
  request->acts =
    (flags & (OOD_TCL_CALL_SHAREABLE | OOD_TCL_CALL_UNCOUNTED | OOD_TCL_CALL_IN_TURN)) == 0;
  request->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  g_array_set_clear_func (request->waiters, waiter_clear);
  return request;
}

/* Queues @task for @script in its caller's turn: a shareable read joins an
 * identical one still waiting, and is then queued in this caller's turn
 * as well, so that whichever turn comes first sends it for all. */
static void
enqueue (OodTclConnection *self, GTask *task, const char *script, OodTclCallFlags flags,
         guint timeout_ms)
{
  Turn *turn = turn_get (self, g_task_get_cancellable (task));
  gsize length = strlen (script);
  Request *request = NULL;
  Waiter waiter = { task, (flags & OOD_TCL_CALL_UNCOUNTED) == 0 };

  if ((flags & OOD_TCL_CALL_SHAREABLE) != 0)
    request = find_shareable (self, script, length);
  if (request == NULL)
    {
      request = request_new (script, length, flags, timeout_ms);
      queue_request (turn, request);
    }
  else if (g_queue_find (&turn->requests, request) == NULL)
    queue_request (turn, request);
  g_array_append_val (request->waiters, waiter);
  self->waiting += waiter.counted;
}

/**
 * ood_tcl_connection_call_async:
 * @script: a Tcl script without terminator; it must not contain 0x1a
 * @timeout_ms: how long OpenOCD may take to answer once the script is sent
 * @cancellable: (nullable): the caller's turn key (see the top of
 *   ood-tcl-connection.h); cancelling it fails the call with
 *   %G_IO_ERROR_CANCELLED, at once unless the script was already sent
 *
 * Queues @script. Fails at once with %G_IO_ERROR_CANCELLED when
 * @cancellable is cancelled already, with %OOD_ERROR_BUSY when the
 * connection already has its maximum of callers waiting, and with
 * %OOD_ERROR_DISCONNECTED when it is closed.
 */
void
ood_tcl_connection_call_async (OodTclConnection *self, const char *script, OodTclCallFlags flags,
                               guint timeout_ms, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, ood_tcl_connection_call_async);
  g_return_if_fail (strchr (script, OOD_TCL_TERMINATOR) == NULL);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (self->closed)
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_DISCONNECTED,
                               "not connected to OpenOCD");
      return;
    }
  if ((flags & OOD_TCL_CALL_UNCOUNTED) == 0 && self->waiting >= self->max_waiting)
    {
      g_task_return_new_error (task, OOD_ERROR, OOD_ERROR_BUSY,
                               "%u commands are already waiting for OpenOCD", self->waiting);
      return;
    }
  enqueue (self, g_steal_pointer (&task), script, flags, timeout_ms);
  send_next (self);
}

char *
ood_tcl_connection_call_finish (OodTclConnection *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ood_tcl_connection_is_open (OodTclConnection *self)
{
  return self->socket != NULL && !self->closed;
}

static void
ood_tcl_connection_dispose (GObject *object)
{
  OodTclConnection *self = OOD_TCL_CONNECTION (object);

  if (!self->closed)
    close_with (self, G_IO_ERROR, G_IO_ERROR_CLOSED, "connection disposed");
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (ood_tcl_connection_parent_class)->dispose (object);
}

static void
ood_tcl_connection_finalize (GObject *object)
{
  OodTclConnection *self = OOD_TCL_CONNECTION (object);

  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->turns);
  ood_tcl_framer_clear (&self->framer);
  g_free (self->read_buffer);
  G_OBJECT_CLASS (ood_tcl_connection_parent_class)->finalize (object);
}

static void
ood_tcl_connection_class_init (OodTclConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ood_tcl_connection_dispose;
  object_class->finalize = ood_tcl_connection_finalize;

  /* A message starting "type target_", with its "\r\n" */
  signals[SIGNAL_NOTIFICATION] =
    g_signal_new ("notification", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Emitted once, with the (normalised) reason */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ood_tcl_connection_init (OodTclConnection *self)
{
  self->cancellable = g_cancellable_new ();
  self->read_buffer = g_malloc (READ_CHUNK);
  ood_tcl_framer_init (&self->framer, MAX_REPLY_BYTES);
  g_queue_init (&self->rotation);
  self->turns = g_hash_table_new (g_direct_hash, g_direct_equal);
}

/**
 * ood_tcl_connection_new:
 * @max_waiting: how many callers may wait at once before %OOD_ERROR_BUSY
 */
/**
 * ood_tcl_connection_set_read_priority:
 * @priority: the main loop priority at which what OpenOCD sends is read
 *   (G_PRIORITY_DEFAULT unless set), from the next connect on
 */
void
ood_tcl_connection_set_read_priority (OodTclConnection *self, gint priority)
{
  self->read_priority = priority;
}

OodTclConnection *
ood_tcl_connection_new (guint max_waiting)
{
  OodTclConnection *self = g_object_new (OOD_TYPE_TCL_CONNECTION, NULL);

  self->max_waiting = MAX (max_waiting, 1);
  return self;
}
