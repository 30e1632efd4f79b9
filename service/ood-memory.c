/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-memory"

#include "ood-memory.h"

#include <fcntl.h>
#include <unistd.h>
#include <gio/gunixfdlist.h>

#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-fd.h"
#include "ood-idle.h"
#include "ood-memory-search.h"
#include "ood-reply.h"
#include "ood-tcl-memory.h"

/* The most one message-carried transfer moves (the XML's limit). */
#define MAX_MESSAGE_BYTES (1024u * 1024u)

struct _OodMemory {
  OodDbusMemorySkeleton parent_instance;

  OodSession *session;
  char       *target_name;
  gboolean    big_endian;
};

static void ood_memory_iface_init (OodDbusMemoryIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodMemory, ood_memory, OOD_DBUS_TYPE_MEMORY_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_MEMORY, ood_memory_iface_init))

typedef enum {
  OP_READ_BYTES,
  OP_READ_WORDS,
  OP_READ_TO_FD,
  OP_WRITE_BYTES,
  OP_WRITE_WORDS,
  OP_WRITE_FROM_FD,
} Op;

/*
 * One transfer: the data of a GTask whose source is the OodMemory. Each
 * chunk is one session call; the next is queued only from the previous
 * one's callback (and, with an fd, once the fd took or gave the bytes),
 * so the session's FIFO lets other callers' commands in between. A
 * transfer with an fd holds one of its caller's fd share (OodCallers)
 * until it ends, and stops before its next chunk, or at once if it waits
 * for the fd, when the caller leaves the bus.
 */
typedef struct {
  Op             op;
  guint64        address;    /* of the next chunk */
  guint64        remaining;  /* bytes still to move */
  guint64        done;       /* bytes moved */
  guint          width;      /* bits per access of ReadWords/WriteWords */
  GByteArray    *bytes;      /* ReadBytes' result, or the chunk of an fd transfer */
  GArray        *words;      /* (element-type guint64) ReadWords' result */
  GVariant      *input;      /* WriteBytes' ay or WriteWords' at */
  GOutputStream *out;        /* ReadToFd */
  GInputStream  *in;         /* WriteFromFd */
  guint          chunk;      /* bytes in the chunk in flight */
  OodTclMemWrite writes[3];  /* a write's chunk in flight, as sent */
  guint          n_writes;
  guint64       *values;     /* what writes[] of WriteBytes and WriteFromFd point into */
  GError        *failure;    /* OpenOCD's, while the failed chunk is read back */
  char          *sender;     /* ReadToFd, WriteFromFd: the caller */
  gboolean       holds_fd;   /* ReadToFd, WriteFromFd */
  GCancellable  *left;       /* the caller's (ood-call.h): cancelled when it leaves the bus */
} Transfer;

static void
transfer_free (Transfer *t)
{
  g_clear_pointer (&t->bytes, g_byte_array_unref);
  g_clear_pointer (&t->words, g_array_unref);
  g_clear_pointer (&t->input, g_variant_unref);
  g_clear_object (&t->out);
  g_clear_object (&t->in);
  g_clear_object (&t->left);
  g_clear_error (&t->failure);
  g_free (t->values);
  g_free (t->sender);
  g_free (t);
}

static OodCallers *
callers_of (OodMemory *self)
{
  return ood_session_get_settings (self->session)->callers;
}

static guint
stall_ms_of (GTask *task)
{
  OodMemory *self = g_task_get_source_object (task);

  return ood_session_get_settings (self->session)->fd_stall_timeout_ms;
}

static GError *
left_error (void)
{
  return g_error_new_literal (OOD_ERROR, OOD_ERROR_DISCONNECTED, "the caller left the bus");
}

/* Ends the transfer after its fd failed (@error, taken) while @doing:
 * Stalled stays Stalled, the caller's leaving is said so, the fd's own
 * error is an IOError. */
static void
fail_fd (GTask *task, GError *error, const char *doing)
{
  Transfer *t = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      g_task_return_error (task, left_error ());
    }
  else if (g_error_matches (error, OOD_ERROR, OOD_ERROR_STALLED))
    {
      g_prefix_error (&error, "%s stalled after %" G_GUINT64_FORMAT " bytes: ", doing, t->done);
      g_task_return_error (task, error);
    }
  else
    {
      g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_IO_ERROR,
                               "%s failed after %" G_GUINT64_FORMAT " bytes: %s", doing, t->done,
                               error->message);
      g_error_free (error);
    }
  g_object_unref (task);
}

static void next_chunk (GTask *task);

static gboolean
on_next_chunk_idle (gpointer user_data)
{
  next_chunk (user_data);
  return G_SOURCE_REMOVE;
}

/* Queues the next chunk after the calls that came in meanwhile. Takes
 * @task. */
static void
schedule_next (GTask *task)
{
  ood_idle_after_pending (g_task_get_context (task), on_next_chunk_idle, task);
}

/* ---- reads -------------------------------------------------------------- */

/* The bytes of 32-bit @word in the target's order. */
static void
word_to_bytes (OodMemory *self, guint64 word, guint8 *out)
{
  for (guint i = 0; i < 4; i++)
    out[self->big_endian ? 3 - i : i] = (guint8) (word >> (8 * i));
}

static guint64
bytes_to_word (OodMemory *self, const guint8 *in, guint n)
{
  guint64 word = 0;

  for (guint i = 0; i < n; i++)
    word |= (guint64) in[self->big_endian ? n - 1 - i : i] << (8 * i);
  return word;
}

static void
advance (Transfer *t)
{
  t->address += t->chunk;
  t->remaining -= t->chunk;
  t->done += t->chunk;
}

static void
on_fd_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!ood_fd_write_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      fail_fd (task, error, "writing to the fd");
      return;
    }
  advance (g_task_get_task_data (task));
  schedule_next (task);
}

/* Takes the bytes of a ReadBytes or ReadToFd chunk from @words, the
 * aligned words that hold them. */
static void
take_bytes (GTask *task, const guint64 *words, guint n_words)
{
  OodMemory *self = g_task_get_source_object (task);
  Transfer *t = g_task_get_task_data (task);
  guint8 buffer[OOD_TCL_MEM_CHUNK + 4];
  guint skip = (guint) (t->address & 3);

  for (guint i = 0; i < n_words; i++)
    word_to_bytes (self, words[i], buffer + 4 * i);
  if (t->op == OP_READ_BYTES)
    {
      g_byte_array_append (t->bytes, buffer + skip, t->chunk);
      advance (t);
      schedule_next (task);
      return;
    }
  g_byte_array_set_size (t->bytes, 0);
  g_byte_array_append (t->bytes, buffer + skip, t->chunk);
  ood_fd_write_async (t->out, t->bytes->data, t->chunk, stall_ms_of (task), t->left,
                      on_fd_written, task);
}

static void
on_read_chunk (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Transfer *t = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  guint width = t->op == OP_READ_WORDS ? t->width : 32;
  guint count = t->op == OP_READ_WORDS ? t->chunk / (width / 8)
                                       : ((guint) (t->address & 3) + t->chunk + 3) / 4;
  guint64 words[OOD_TCL_MEM_CHUNK + 4];

  if (text == NULL || !ood_tcl_parse_mem_words (text, width, count, words, &error))
    {
      g_task_return_error (task, ood_error_normalize (error));
      g_object_unref (task);
      return;
    }
  if (t->op != OP_READ_WORDS)
    {
      take_bytes (task, words, count);
      return;
    }
  g_array_append_vals (t->words, words, count);
  advance (t);
  schedule_next (task);
}

/* The next chunk of a read: ReadBytes and ReadToFd read the aligned
 * 32-bit words that hold their bytes. */
static void
read_chunk (GTask *task)
{
  OodMemory *self = g_task_get_source_object (task);
  Transfer *t = g_task_get_task_data (task);
  g_autofree char *script = NULL;

  if (t->op == OP_READ_WORDS)
    {
      guint per_word = t->width / 8;
      t->chunk = (guint) MIN (t->remaining, OOD_TCL_MEM_CHUNK / per_word * per_word);
      script = ood_tcl_script_mem_read (self->target_name, t->address, t->width,
                                        t->chunk / per_word);
    }
  else
    {
      guint skip = (guint) (t->address & 3);
      t->chunk = (guint) MIN (t->remaining, OOD_TCL_MEM_CHUNK - skip);
      script = ood_tcl_script_mem_read (self->target_name, t->address - skip, 32,
                                        (skip + t->chunk + 3) / 4);
    }
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_CHUNK, t->left,
                          on_read_chunk, task);
}

/* ---- writes ------------------------------------------------------------- */

/* A script reading back the writes of a chunk, element by element in
 * the order OpenOCD wrote them, up to the first that cannot be read or
 * does not hold what was written; it answers how many bytes before it do. */
static char *
read_back_script (const char *target, const OodTclMemWrite *writes, guint n_writes)
{
  g_autoptr(GString) body = g_string_new ("set ood_n 0; foreach {ood_a ood_w ood_v} {");

  for (guint i = 0; i < n_writes; i++)
    for (guint j = 0; j < writes[i].count; j++)
      g_string_append_printf (body, "0x%" G_GINT64_MODIFIER "x %u 0x%" G_GINT64_MODIFIER "x ",
                              writes[i].address + (guint64) j * (writes[i].width / 8),
                              writes[i].width, writes[i].values[j]);
  g_string_append (body, "} {if {[catch {read_memory $ood_a $ood_w 1} ood_r] || "
                         "$ood_r != $ood_v} break; incr ood_n [expr {$ood_w / 8}]}; set ood_n");
  return ood_tcl_wrap_target (target, body->str);
}

/* The failed chunk was read back: the transfer fails with OpenOCD's text
 * and how far from its start memory holds the data asked for. */
static void
on_read_back (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Transfer *t = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  guint64 held = 0, start = t->address - t->done;
  GError *failure = ood_error_normalize (t->failure);
  gboolean read_back = text != NULL && g_ascii_string_to_unsigned (text, 10, 0, t->chunk, &held,
                                                                   NULL);
  char *told;

  if (read_back && t->done + held == 0)
    told = g_strdup_printf ("%s; memory at 0x%" G_GINT64_MODIFIER "x does not hold the data "
                            "asked for, read back", failure->message, start);
  else if (read_back)
    told = g_strdup_printf ("%s; memory holds the data asked for from 0x%" G_GINT64_MODIFIER
                            "x to 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT " of %"
                            G_GUINT64_FORMAT " bytes), read back", failure->message, start,
                            t->address + held, t->done + held, t->done + t->remaining);
  else
    told = g_strdup_printf ("%s; the %" G_GUINT64_FORMAT " bytes from 0x%" G_GINT64_MODIFIER
                            "x to 0x%" G_GINT64_MODIFIER "x were written; what the failed chunk "
                            "holds could not be read back", failure->message, t->done, start,
                            t->address);
  g_free (failure->message);
  failure->message = told;
  g_task_return_error (task, failure);
  g_object_unref (task);
}

/* OpenOCD may have written part of a chunk it failed (the words before
 * an unmapped address): the chunk is read back before the caller hears
 * of the failure. A lost connection, a command OpenOCD never answered
 * and a caller that left are answered as they are. */
static gboolean
read_back_after (GTask *task, GError **error)
{
  OodMemory *self = g_task_get_source_object (task);
  Transfer *t = g_task_get_task_data (task);
  g_autofree char *script = NULL;

  if (!g_error_matches (*error, OOD_ERROR, OOD_ERROR_TARGET) || t->n_writes == 0)
    return FALSE;
  t->failure = g_steal_pointer (error);
  script = read_back_script (self->target_name, t->writes, t->n_writes);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_CHUNK, t->left,
                          on_read_back, task);
  return TRUE;
}

static void
on_write_chunk (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (text == NULL && read_back_after (task, &error))
    return;
  if (text == NULL)
    {
      g_task_return_error (task, ood_error_normalize (error));
      g_object_unref (task);
      return;
    }
  advance (g_task_get_task_data (task));
  schedule_next (task);
}

/* Writes @n bytes at the transfer's address: byte accesses up to the
 * first aligned address and after the last whole word, 32-bit ones
 * between. */
static void
write_bytes_chunk (GTask *task, const guint8 *data, guint n)
{
  OodMemory *self = g_task_get_source_object (task);
  Transfer *t = g_task_get_task_data (task);
  guint head = MIN (n, (4 - (guint) (t->address & 3)) & 3);
  guint n_words = (n - head) / 4;
  guint tail = n - head - 4 * n_words;
  guint64 *values = g_new (guint64, head + n_words + tail);
  OodTclMemWrite *writes = t->writes;
  guint n_writes = 0;
  g_autofree char *script = NULL;

  for (guint i = 0; i < head; i++)
    values[i] = data[i];
  for (guint i = 0; i < n_words; i++)
    values[head + i] = bytes_to_word (self, data + head + 4 * i, 4);
  for (guint i = 0; i < tail; i++)
    values[head + n_words + i] = data[head + 4 * n_words + i];
  if (head > 0)
    writes[n_writes++] = (OodTclMemWrite) { t->address, 8, head, values };
  if (n_words > 0)
    writes[n_writes++] = (OodTclMemWrite) { t->address + head, 32, n_words, values + head };
  if (tail > 0)
    writes[n_writes++] = (OodTclMemWrite) { t->address + head + 4 * n_words, 8, tail,
                                            values + head + n_words };
  g_free (t->values);
  t->values = values;
  t->n_writes = n_writes;
  t->chunk = n;
  script = ood_tcl_script_mem_write (self->target_name, writes, n_writes);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_CHUNK, t->left,
                          on_write_chunk, task);
}

static void
on_fd_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Transfer *t = g_task_get_task_data (task);
  GError *error = NULL;
  gsize got = 0;
  guint wanted = t->bytes->len;

  if (!ood_fd_read_finish (G_INPUT_STREAM (source), result, &got, &error))
    fail_fd (task, error, "reading the fd");
  else if (got == wanted)
    write_bytes_chunk (task, t->bytes->data, wanted);
  else
    {
      g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                               "the fd ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                               " bytes; %" G_GUINT64_FORMAT " were written",
                               t->done + got, t->done + t->remaining, t->done);
      g_object_unref (task);
    }
}

static void
write_chunk (GTask *task)
{
  OodMemory *self = g_task_get_source_object (task);
  Transfer *t = g_task_get_task_data (task);
  gsize size = 0;

  if (t->op == OP_WRITE_FROM_FD)
    {
      /* never more than one chunk ahead of OpenOCD, whatever the size claimed */
      g_byte_array_set_size (t->bytes, (guint) MIN (t->remaining, OOD_TCL_MEM_CHUNK));
      ood_fd_read_async (t->in, t->bytes->data, t->bytes->len, stall_ms_of (task), t->left,
                         on_fd_read, task);
    }
  else if (t->op == OP_WRITE_BYTES)
    {
      const guint8 *data = g_variant_get_fixed_array (t->input, &size, 1);
      write_bytes_chunk (task, data + t->done, (guint) MIN (t->remaining, OOD_TCL_MEM_CHUNK));
    }
  else
    {
      const guint64 *values = g_variant_get_fixed_array (t->input, &size, sizeof (guint64));
      guint per_word = t->width / 8;
      OodTclMemWrite *write = &t->writes[0];
      g_autofree char *script = NULL;

      *write = (OodTclMemWrite) { t->address, t->width, 0, values + t->done / per_word };
      write->count = (guint) MIN (t->remaining, OOD_TCL_MEM_CHUNK) / per_word;
      t->n_writes = 1;
      t->chunk = write->count * per_word;
      script = ood_tcl_script_mem_write (self->target_name, write, 1);
      ood_session_call_async (self->session, script, OOD_SESSION_CALL_CHUNK, t->left,
                              on_write_chunk, task);
    }
}

/* Queues the next chunk, or completes the transfer. Takes @task. */
static void
next_chunk (GTask *task)
{
  Transfer *t = g_task_get_task_data (task);

  if (t->remaining == 0)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  else if (g_cancellable_is_cancelled (t->left))
    {
      g_task_return_error (task, left_error ());
      g_object_unref (task);
    }
  else if (t->op == OP_READ_BYTES || t->op == OP_READ_WORDS || t->op == OP_READ_TO_FD)
    read_chunk (task);
  else
    write_chunk (task);
}

/* ---- the methods -------------------------------------------------------- */

/* The fd of a transfer is closed before its caller hears the end, and
 * its share given back. */
static void
close_fd (OodMemory *self, GTask *task)
{
  Transfer *t = g_task_get_task_data (task);

  if (!t->holds_fd)
    return;
  g_clear_object (&t->out);
  g_clear_object (&t->in);
  ood_callers_release_fd (callers_of (self), t->sender);
}

static void
on_transfer_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  Transfer *t = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  close_fd (OOD_MEMORY (source), G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    ood_reply_error (g_steal_pointer (&invocation), error);
  else if (t->op == OP_READ_BYTES)
    g_dbus_method_invocation_return_value (
        g_steal_pointer (&invocation),
        g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, t->bytes->data,
                                                           t->bytes->len, 1)));
  else if (t->op == OP_READ_WORDS)
    g_dbus_method_invocation_return_value (
        g_steal_pointer (&invocation),
        g_variant_new ("(@at)", g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, t->words->data,
                                                           t->words->len, sizeof (guint64))));
  else
    g_dbus_method_invocation_return_value (g_steal_pointer (&invocation), NULL);
}

/* Whether [@address, @address + @size) lies in the target's address
 * space; otherwise answers InvalidArgs. */
static gboolean
check_range (OodMemory *self, GDBusMethodInvocation *invocation, guint64 address, guint64 size)
{
  guint bits = ood_dbus_memory_get_address_bits (OOD_DBUS_MEMORY (self));
  guint64 last = bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << bits) - 1;

  if (bits == 0)
    ood_reply_invalid_args (invocation, "the address width of %s is not known yet",
                            self->target_name);
  else if (address > last || (size > 0 && size - 1 > last - address))
    ood_reply_invalid_args (invocation,
                            "0x%" G_GINT64_MODIFIER "x + %" G_GUINT64_FORMAT
                            " bytes is outside the %u-bit address space of %s",
                            address, size, bits, self->target_name);
  else
    return TRUE;
  return FALSE;
}

static gboolean
check_width (GDBusMethodInvocation *invocation, guint64 address, guint width)
{
  if (width != 8 && width != 16 && width != 32 && width != 64)
    ood_reply_invalid_args (invocation, "width must be 8, 16, 32 or 64 bits, not %u", width);
  else if (address % (width / 8) != 0)
    ood_reply_invalid_args (invocation, "0x%" G_GINT64_MODIFIER "x is not aligned to %u bits",
                            address, width);
  else
    return TRUE;
  return FALSE;
}

/* Whether no job (a flash write) holds the target, which a write of ours
 * would disturb; otherwise answers Busy. */
static gboolean
check_unclaimed (OodMemory *self, GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) busy = NULL;

  if (ood_session_check_unclaimed (self->session, self->target_name, &busy))
    return TRUE;
  ood_reply_error (invocation, busy);
  return FALSE;
}

static Transfer *
transfer_new (Op op, guint64 address, guint64 size)
{
  Transfer *t = g_new0 (Transfer, 1);

  t->op = op;
  t->address = address;
  t->remaining = size;
  t->width = 32;
  t->bytes = g_byte_array_new ();
  return t;
}

/* Starts @t (taken) for @invocation. */
static gboolean
start (OodMemory *self, GDBusMethodInvocation *invocation, Transfer *t)
{
  /* the task takes the handler's reference to @invocation */
  GTask *task = g_task_new (self, NULL, on_transfer_done, invocation);

  g_task_set_source_tag (task, start);
  g_task_set_task_data (task, t, (GDestroyNotify) transfer_free);
  t->left = ood_call_cancellable_of (invocation) != NULL
            ? g_object_ref (ood_call_cancellable_of (invocation)) : g_cancellable_new ();
  g_debug ("%s: %s of %" G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x",
           self->target_name, g_dbus_method_invocation_get_method_name (invocation),
           t->remaining, t->address);
  next_chunk (task);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_read_bytes (OodDbusMemory *iface, GDBusMethodInvocation *invocation, guint64 address,
                   guint size)
{
  OodMemory *self = OOD_MEMORY (iface);

  if (size > MAX_MESSAGE_BYTES)
    ood_reply_invalid_args (invocation, "at most %u bytes per ReadBytes, not %u; use ReadToFd",
                            MAX_MESSAGE_BYTES, size);
  else if (check_range (self, invocation, address, size))
    return start (self, invocation, transfer_new (OP_READ_BYTES, address, size));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_write_bytes (OodDbusMemory *iface, GDBusMethodInvocation *invocation, guint64 address,
                    GVariant *data)
{
  OodMemory *self = OOD_MEMORY (iface);
  gsize size = g_variant_n_children (data);
  Transfer *t;

  if (size > MAX_MESSAGE_BYTES)
    ood_reply_invalid_args (invocation, "at most %u bytes per WriteBytes, not %" G_GSIZE_FORMAT
                            "; use WriteFromFd", MAX_MESSAGE_BYTES, size);
  else if (check_range (self, invocation, address, size) && check_unclaimed (self, invocation))
    {
      t = transfer_new (OP_WRITE_BYTES, address, size);
      t->input = g_variant_ref (data);
      return start (self, invocation, t);
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_read_words (OodDbusMemory *iface, GDBusMethodInvocation *invocation, guint64 address,
                   guint count, guchar width)
{
  OodMemory *self = OOD_MEMORY (iface);
  guint64 size = (guint64) count * (width / 8);
  Transfer *t;

  if (!check_width (invocation, address, width))
    ;
  else if (size > MAX_MESSAGE_BYTES)
    ood_reply_invalid_args (invocation, "at most %u bytes per ReadWords, not %" G_GUINT64_FORMAT,
                            MAX_MESSAGE_BYTES, size);
  else if (check_range (self, invocation, address, size))
    {
      t = transfer_new (OP_READ_WORDS, address, size);
      t->width = width;
      t->words = g_array_new (FALSE, FALSE, sizeof (guint64));
      return start (self, invocation, t);
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Whether every value fits @width bits; otherwise answers InvalidArgs. */
static gboolean
check_values (GDBusMethodInvocation *invocation, GVariant *values, guint width)
{
  gsize n = 0;
  const guint64 *v = g_variant_get_fixed_array (values, &n, sizeof (guint64));

  for (gsize i = 0; width < 64 && i < n; i++)
    if (v[i] >> width != 0)
      {
        ood_reply_invalid_args (invocation, "value %" G_GSIZE_FORMAT ", 0x%" G_GINT64_MODIFIER
                                "x, does not fit %u bits", i, v[i], width);
        return FALSE;
      }
  return TRUE;
}

static gboolean
handle_write_words (OodDbusMemory *iface, GDBusMethodInvocation *invocation, guint64 address,
                    guchar width, GVariant *values)
{
  OodMemory *self = OOD_MEMORY (iface);
  guint64 size = (guint64) g_variant_n_children (values) * (width / 8);
  Transfer *t;

  if (!check_width (invocation, address, width))
    ;
  else if (size > MAX_MESSAGE_BYTES)
    ood_reply_invalid_args (invocation, "at most %u bytes per WriteWords, not %" G_GUINT64_FORMAT,
                            MAX_MESSAGE_BYTES, size);
  else if (check_values (invocation, values, width) &&
           check_range (self, invocation, address, size) && check_unclaimed (self, invocation))
    {
      t = transfer_new (OP_WRITE_WORDS, address, size);
      t->width = width;
      t->input = g_variant_ref (values);
      return start (self, invocation, t);
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The fd of @handle in @invocation's message, if it is open with
 * @access (O_RDONLY or O_WRONLY; O_RDWR does for both); otherwise
 * answers InvalidArgs and returns -1. */
static gint
check_fd (GDBusMethodInvocation *invocation, GUnixFDList *list, GVariant *handle, int access)
{
  gint index = g_variant_get_handle (handle);
  g_autoptr(GError) error = NULL;
  gint fd, flags;

  if (list == NULL || index < 0 || index >= g_unix_fd_list_get_length (list))
    {
      ood_reply_invalid_args (invocation, "no fd was passed as handle %d", index);
      return -1;
    }
  fd = g_unix_fd_list_get (list, index, &error);
  if (fd < 0)
    {
      ood_reply_invalid_args (invocation, "the fd cannot be used: %s", error->message);
      return -1;
    }
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || ((flags & O_ACCMODE) != access && (flags & O_ACCMODE) != O_RDWR))
    {
      ood_reply_invalid_args (invocation, "the fd is not open for %s",
                              access == O_WRONLY ? "writing" : "reading");
      close (fd);
      return -1;
    }
  return fd;
}

/* The fd of @handle, counted against the caller's fd share; otherwise
 * answers Busy or InvalidArgs and returns -1. */
static gint
take_fd (OodMemory *self, GDBusMethodInvocation *invocation, GUnixFDList *list,
         GVariant *handle, int access)
{
  gint fd;

  if (!ood_callers_admit_fd (callers_of (self), invocation))
    return -1;
  fd = check_fd (invocation, list, handle, access);
  if (fd < 0)
    ood_callers_release_fd (callers_of (self), g_dbus_method_invocation_get_sender (invocation));
  return fd;
}

/* A new ReadToFd or WriteFromFd for @invocation's caller. */
static Transfer *
fd_transfer_new (GDBusMethodInvocation *invocation, Op op, guint64 address, guint64 size)
{
  Transfer *t = transfer_new (op, address, size);

  t->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  t->holds_fd = TRUE;
  return t;
}

static gboolean
handle_read_to_fd (OodDbusMemory *iface, GDBusMethodInvocation *invocation, GUnixFDList *fds,
                   guint64 address, guint64 size, GVariant *handle)
{
  OodMemory *self = OOD_MEMORY (iface);
  Transfer *t;
  gint fd;

  if (!check_range (self, invocation, address, size) ||
      (fd = take_fd (self, invocation, fds, handle, O_WRONLY)) < 0)
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  t = fd_transfer_new (invocation, OP_READ_TO_FD, address, size);
  t->out = ood_fd_output_new (fd);
  return start (self, invocation, t);
}

static gboolean
handle_write_from_fd (OodDbusMemory *iface, GDBusMethodInvocation *invocation,
                      GUnixFDList *fds, guint64 address, guint64 size, GVariant *handle)
{
  OodMemory *self = OOD_MEMORY (iface);
  Transfer *t;
  gint fd;

  if (!check_range (self, invocation, address, size) || !check_unclaimed (self, invocation) ||
      (fd = take_fd (self, invocation, fds, handle, O_RDONLY)) < 0)
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  t = fd_transfer_new (invocation, OP_WRITE_FROM_FD, address, size);
  t->in = ood_fd_input_new (fd);
  return start (self, invocation, t);
}

/* ---- Search() ----------------------------------------------------------- */

static void
on_searched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) hits = ood_memory_search_finish (result, &error);

  (void) source;
  if (hits == NULL)
    ood_reply_error (g_steal_pointer (&invocation), error);
  else
    g_dbus_method_invocation_return_value (
        g_steal_pointer (&invocation),
        g_variant_new ("(@at)", g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, hits->data,
                                                           hits->len, sizeof (guint64))));
}

static gboolean
handle_search (OodDbusMemory *iface, GDBusMethodInvocation *invocation, guint64 address,
               guint64 size, GVariant *pattern, guint max_hits)
{
  OodMemory *self = OOD_MEMORY (iface);
  gsize length = g_variant_n_children (pattern);
  g_autoptr(GBytes) bytes = NULL;

  if (length == 0 || length > OOD_MEMORY_SEARCH_MAX_PATTERN)
    ood_reply_invalid_args (invocation, "the pattern must be 1 to %u bytes, not %" G_GSIZE_FORMAT,
                            OOD_MEMORY_SEARCH_MAX_PATTERN, length);
  else if (max_hits == 0 || max_hits > OOD_MEMORY_SEARCH_MAX_HITS)
    ood_reply_invalid_args (invocation, "max_hits must be 1 to %u, not %u",
                            OOD_MEMORY_SEARCH_MAX_HITS, max_hits);
  else if (check_range (self, invocation, address, size))
    {
      bytes = g_variant_get_data_as_bytes (pattern);
      g_debug ("%s: Search of %" G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x",
               self->target_name, size, address);
      /* the search takes the handler's reference to @invocation */
      ood_memory_search_async (self->session, self->target_name, self->big_endian, address, size,
                               bytes, max_hits, ood_call_cancellable_of (invocation),
                               on_searched, invocation);
    }
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- learning ----------------------------------------------------------- */

static void
on_learned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodMemory) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  gboolean big_endian = FALSE;
  guint bits = 0;

  if (text == NULL || !ood_tcl_parse_mem_learn (text, &big_endian, &bits, &error))
    {
      if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
        g_warning ("%s: cannot learn the address width: %s", self->target_name, error->message);
      return;
    }
  self->big_endian = big_endian;
  ood_dbus_memory_set_address_bits (OOD_DBUS_MEMORY (self), bits);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/**
 * ood_memory_learn:
 *
 * Learns the target's address width and byte order, when OpenOCD
 * answers; until then no address is valid.
 */
void
ood_memory_learn (OodMemory *self)
{
  g_autofree char *script = ood_tcl_script_mem_learn (self->target_name);

  ood_session_call_async (self->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL, on_learned,
                          g_object_ref (self));
}

static void
ood_memory_finalize (GObject *object)
{
  OodMemory *self = OOD_MEMORY (object);

  g_free (self->target_name);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ood_memory_parent_class)->finalize (object);
}

static void
ood_memory_iface_init (OodDbusMemoryIface *iface)
{
  iface->handle_read_bytes = handle_read_bytes;
  iface->handle_write_bytes = handle_write_bytes;
  iface->handle_read_words = handle_read_words;
  iface->handle_write_words = handle_write_words;
  iface->handle_read_to_fd = handle_read_to_fd;
  iface->handle_write_from_fd = handle_write_from_fd;
  iface->handle_search = handle_search;
}

static void
ood_memory_class_init (OodMemoryClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->finalize = ood_memory_finalize;
}

static void
ood_memory_init (OodMemory *self)
{
  (void) self;
}

/**
 * ood_memory_new:
 * @session: the OpenOCD of the target
 * @target_name: the target's name in OpenOCD
 */
OodMemory *
ood_memory_new (OodSession *session, const char *target_name)
{
  OodMemory *self = g_object_new (OOD_TYPE_MEMORY, NULL);

  self->session = g_object_ref (session);
  self->target_name = g_strdup (target_name);
  ood_dbus_memory_set_max_message_bytes (OOD_DBUS_MEMORY (self), MAX_MESSAGE_BYTES);
  return self;
}
