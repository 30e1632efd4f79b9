/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-flash"

#include "ood-flash-work.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "ood-callers.h"
#include "ood-error.h"
#include "ood-fd.h"
#include "ood-idle.h"
#include "ood-tcl-flash.h"
#include "ood-tcl-script.h"

#define READ_SIZE 65536
/* A verify is one quick command per segment (OpenOCD checksums on the
 * target): it counts for an eighth of its bytes in Progress. */
#define VERIFY_WEIGHT 8

typedef enum {
  STEP_HALT,
  STEP_ERASE,
  STEP_WRITE,
  STEP_LOAD,
  STEP_VERIFY,
  STEP_RESET,
} StepKind;

/* One command of the work. */
typedef struct {
  StepKind      kind;
  const char   *phase;
  guint         bank;
  guint         first, last;   /* STEP_ERASE */
  guint64       offset;        /* STEP_WRITE: in the bank */
  guint64       address;       /* STEP_LOAD, STEP_VERIFY */
  const guint8 *data;          /* into a segment */
  gsize         length;
  guint64       bytes;         /* for BytesDone */
  guint64       work;          /* for Progress */
} Step;

typedef struct {
  OodSession     *session;
  OodJob         *job;
  char           *target;
  GPtrArray      *banks;        /* (element-type OodTclFlashBank) of this target */
  OodFlashRequest request;

  GInputStream   *input;        /* until read to its end */
  char           *image_owner;  /* whose fd share the input holds (OodCallers) */
  GByteArray     *image;
  GArray         *segments;     /* (element-type OodImageSegment) */
  GHashTable     *sectors;      /* bank index → GArray of OodTclFlashSector */
  GArray         *pending;      /* bank indexes whose sectors are still to be read */

  char           *chunk_path;   /* the private file OpenOCD reads */
  int             chunk_fd;
  GArray         *steps;        /* (element-type Step) */
  guint           next;
} Work;

static void run_next (Work *work);
static void learn_sectors (Work *work);

/* The client's descriptor is closed and its share given back. */
static void
close_image (Work *work)
{
  if (work->input == NULL)
    return;
  g_clear_object (&work->input);
  ood_callers_release_fd (ood_session_get_settings (work->session)->callers, work->image_owner);
}

static void
work_free (Work *work)
{
  close_image (work);
  if (work->chunk_fd >= 0)
    close (work->chunk_fd);
  if (work->chunk_path != NULL && g_unlink (work->chunk_path) != 0)
    g_warning ("cannot remove %s: %s", work->chunk_path, g_strerror (errno));
  g_free (work->chunk_path);
  g_clear_pointer (&work->steps, g_array_unref);
  g_clear_pointer (&work->pending, g_array_unref);
  g_clear_pointer (&work->sectors, g_hash_table_unref);
  g_clear_pointer (&work->segments, g_array_unref);
  g_clear_pointer (&work->image, g_byte_array_unref);
  g_free (work->image_owner);
  g_clear_pointer (&work->banks, g_ptr_array_unref);
  g_free (work->target);
  g_clear_object (&work->job);
  g_clear_object (&work->session);
  g_free (work);
}

/* The end, with @error or (%NULL) success: the private file goes, the
 * claim is released, and the job announces it. */
static void
finish (Work *work, const GError *error)
{
  g_autoptr(OodJob) job = g_object_ref (work->job);
  g_autoptr(GError) copy = error != NULL ? g_error_copy (error) : NULL;

  ood_session_release (work->session, work->target);
  work_free (work);
  ood_job_finish (job, copy);
}

static void
fail_invalid (Work *work, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
fail_invalid (Work *work, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, format, args);
  va_end (args);
  finish (work, error);
}

/* ---- planning ----------------------------------------------------------- */

/* The bank of this target holding all of @segment, or %NULL. */
static const OodTclFlashBank *
bank_of (Work *work, const OodImageSegment *segment)
{
  for (guint i = 0; i < work->banks->len; i++)
    {
      const OodTclFlashBank *bank = work->banks->pdata[i];
      if (segment->address >= bank->base && segment->address - bank->base < bank->size &&
          segment->data->len <= bank->size - (segment->address - bank->base))
        return bank;
    }
  return NULL;
}

static void
add_step (Work *work, const Step *step)
{
  g_array_append_vals (work->steps, step, 1);
}

/* Steps of @kind over @segment, cut at multiples of @chunk. */
static void
add_chunks (Work *work, StepKind kind, const char *phase, const OodImageSegment *segment,
            const OodTclFlashBank *bank, gsize chunk, guint64 weight)
{
  guint64 address = segment->address;
  gsize done = 0;

  while (done < segment->data->len)
    {
      gsize room = chunk - (gsize) (address % chunk);
      Step step = {
        .kind = kind, .phase = phase, .address = address,
        .bank = bank != NULL ? bank->index : 0,
        .offset = bank != NULL ? address - bank->base : 0,
        .data = segment->data->data + done,
        .length = MIN (room, segment->data->len - done),
      };

      step.bytes = kind == STEP_VERIFY && work->request.op != OOD_FLASH_VERIFY ? 0 : step.length;
      step.work = MAX (step.length / weight, 1);
      add_step (work, &step);
      done += step.length;
      address += step.length;
    }
}

/* Erase steps for the sectors @first..@last of @bank, each at most a
 * chunk (or one sector). */
static void
add_erases (Work *work, guint bank, GArray *sectors, guint first, guint last, gboolean count_bytes)
{
  Step step = { .kind = STEP_ERASE, .phase = OOD_JOB_PHASE_ERASING, .bank = bank };
  guint64 size = 0;

  for (guint i = first; i <= last; i++)
    {
      guint64 sector = g_array_index (sectors, OodTclFlashSector, i).size;

      if (size > 0 && size + sector > OOD_FLASH_CHUNK)
        {
          step.last = i - 1;
          step.work = size;
          step.bytes = count_bytes ? size : 0;
          add_step (work, &step);
          size = 0;
        }
      if (size == 0)
        step.first = i;
      size += sector;
    }
  step.last = last;
  step.work = size;
  step.bytes = count_bytes ? size : 0;
  add_step (work, &step);
}

static gboolean
sector_touched (const OodTclFlashSector *sector, const OodTclFlashBank *bank, GArray *segments)
{
  guint64 start = bank->base + sector->offset;

  for (guint i = 0; i < segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (segments, OodImageSegment, i);
      if (segment->address < start + sector->size && start < segment->address + segment->data->len)
        return TRUE;
    }
  return FALSE;
}

/* Erases the runs of sectors the image touches, bank by bank. */
static void
plan_image_erase (Work *work)
{
  for (guint b = 0; b < work->banks->len; b++)
    {
      const OodTclFlashBank *bank = work->banks->pdata[b];
      GArray *sectors = g_hash_table_lookup (work->sectors, GUINT_TO_POINTER (bank->index));
      gint run = -1;

      for (guint i = 0; sectors != NULL && i <= sectors->len; i++)
        {
          gboolean touched = i < sectors->len &&
            sector_touched (&g_array_index (sectors, OodTclFlashSector, i), bank, work->segments);
          if (touched && run < 0)
            run = (gint) i;
          else if (!touched && run >= 0)
            {
              add_erases (work, bank->index, sectors, (guint) run, i - 1, FALSE);
              run = -1;
            }
        }
    }
}

static void
plan_image (Work *work)
{
  const OodFlashRequest *request = &work->request;
  StepKind write = request->op == OOD_FLASH_PROGRAM ? STEP_WRITE : STEP_LOAD;
  gboolean flash = request->op == OOD_FLASH_PROGRAM;
  gsize verify_chunk = request->op == OOD_FLASH_VERIFY ? OOD_FLASH_CHUNK : G_MAXSIZE;

  g_assert (work->segments != NULL); /* parsed before the plan is made */
  if (flash)
    {
      Step halt = { .kind = STEP_HALT,
                    .phase = request->erase ? OOD_JOB_PHASE_ERASING : OOD_JOB_PHASE_WRITING };
      add_step (work, &halt);
      if (request->erase)
        plan_image_erase (work);
    }
  for (guint i = 0; request->op != OOD_FLASH_VERIFY && i < work->segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (work->segments, OodImageSegment, i);
      add_chunks (work, write, OOD_JOB_PHASE_WRITING, segment,
                  flash ? bank_of (work, segment) : NULL, OOD_FLASH_CHUNK, 1);
    }
  for (guint i = 0; request->verify && i < work->segments->len; i++)
    add_chunks (work, STEP_VERIFY, OOD_JOB_PHASE_VERIFYING,
                &g_array_index (work->segments, OodImageSegment, i), NULL, verify_chunk,
                request->op == OOD_FLASH_VERIFY ? 1 : VERIFY_WEIGHT);
  if (flash && request->reset)
    {
      Step reset = { .kind = STEP_RESET, .phase = OOD_JOB_PHASE_RESETTING };
      add_step (work, &reset);
    }
}

static void
plan_erase (Work *work)
{
  GArray *sectors = g_hash_table_lookup (work->sectors, GUINT_TO_POINTER (work->request.bank));
  Step halt = { .kind = STEP_HALT, .phase = OOD_JOB_PHASE_ERASING };

  add_step (work, &halt);
  add_erases (work, work->request.bank, sectors, work->request.first, work->request.last, TRUE);
}

/* Plans the steps, publishes the totals and starts. */
static void
plan (Work *work)
{
  guint64 work_total = 0, bytes_total = 0;

  if (work->request.op == OOD_FLASH_ERASE)
    {
      GArray *sectors = g_hash_table_lookup (work->sectors, GUINT_TO_POINTER (work->request.bank));
      if (work->request.last >= sectors->len)
        {
          fail_invalid (work, "bank %u has sectors 0 to %u, not %u", work->request.bank,
                        sectors->len - 1, work->request.last);
          return;
        }
      plan_erase (work);
    }
  else
    plan_image (work);
  for (guint i = 0; i < work->steps->len; i++)
    {
      work_total += g_array_index (work->steps, Step, i).work;
      bytes_total += g_array_index (work->steps, Step, i).bytes;
    }
  g_debug ("%s: %u steps, %" G_GUINT64_FORMAT " bytes", ood_job_get_path (work->job),
           work->steps->len, bytes_total);
  ood_job_set_totals (work->job, bytes_total, work_total);
  run_next (work);
}

/* ---- sectors ------------------------------------------------------------ */

static void
on_sectors (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  GArray *sectors = text != NULL ? ood_tcl_parse_flash_sectors (text, &error) : NULL;
  guint bank = g_array_index (work->pending, guint, 0);

  if (sectors == NULL)
    {
      g_prefix_error (&error, "cannot list the sectors of flash bank %u: ", bank);
      finish (work, error);
      return;
    }
  g_hash_table_insert (work->sectors, GUINT_TO_POINTER (bank), sectors);
  g_array_remove_index (work->pending, 0);
  learn_sectors (work);
}

/* Reads the sectors of the banks still pending, one by one, then plans. */
static void
learn_sectors (Work *work)
{
  g_autofree char *script = NULL;

  if (g_cancellable_is_cancelled (ood_job_get_cancellable (work->job)))
    {
      g_autoptr(GError) cancelled = g_error_new_literal (OOD_ERROR, OOD_ERROR_CANCELLED, "");
      finish (work, cancelled);
      return;
    }
  if (work->pending->len == 0)
    {
      plan (work);
      return;
    }
  script = ood_tcl_script_flash_sectors (g_array_index (work->pending, guint, 0));
  ood_session_call_async (work->session, script,
                          OOD_SESSION_CALL_CHUNK | OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_sectors, work);
}

/* ---- the image ---------------------------------------------------------- */

static gboolean
pending_has (Work *work, guint bank)
{
  for (guint i = 0; i < work->pending->len; i++)
    if (g_array_index (work->pending, guint, i) == bank)
      return TRUE;
  return FALSE;
}

/* Parses the image read and checks it fits; then on to the sectors. */
static void
image_read (Work *work)
{
  g_autoptr(GError) error = NULL;

  work->segments = ood_image_parse (work->request.format, work->image->data, work->image->len,
                                    work->request.address, &error);
  g_clear_pointer (&work->image, g_byte_array_unref);
  if (work->segments == NULL)
    {
      finish (work, error);
      return;
    }
  for (guint i = 0; work->request.op == OOD_FLASH_PROGRAM && i < work->segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (work->segments, OodImageSegment, i);
      const OodTclFlashBank *bank = bank_of (work, segment);

      if (bank == NULL)
        {
          fail_invalid (work, "image bytes 0x%" G_GINT64_MODIFIER "x to 0x%" G_GINT64_MODIFIER
                        "x are not inside one flash bank of %s", segment->address,
                        segment->address + segment->data->len - 1, work->target);
          return;
        }
      if (work->request.erase && !pending_has (work, bank->index))
        g_array_append_val (work->pending, bank->index);
    }
  learn_sectors (work);
}

static void on_image_bytes (GObject *source, GAsyncResult *result, gpointer user_data);

/* Reads up to READ_SIZE more bytes of the image, at its end. */
static void
read_image (Work *work)
{
  guint len = work->image->len;

  g_byte_array_set_size (work->image, len + READ_SIZE);
  ood_fd_read_async (work->input, work->image->data + len, READ_SIZE,
                     ood_session_get_settings (work->session)->fd_stall_timeout_ms,
                     ood_job_get_cancellable (work->job), on_image_bytes, work);
}

static void
on_image_bytes (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;
  g_autoptr(GError) error = NULL;
  gsize got = 0;
  gboolean ok = ood_fd_read_finish (G_INPUT_STREAM (source), result, &got, &error);

  g_byte_array_set_size (work->image, work->image->len - READ_SIZE + (guint) got);
  if (!ok && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
              g_error_matches (error, OOD_ERROR, OOD_ERROR_STALLED)))
    {
      g_prefix_error (&error, "reading the image after %u bytes: ", work->image->len);
      finish (work, error);
    }
  else if (!ok)
    fail_invalid (work, "cannot read the image: %s", error->message);
  else if (work->image->len > OOD_FLASH_MAX_IMAGE)
    fail_invalid (work, "the image is larger than %u bytes", OOD_FLASH_MAX_IMAGE);
  else if (got < READ_SIZE)
    {
      close_image (work);
      image_read (work);
    }
  else
    read_image (work);
}

/* ---- steps -------------------------------------------------------------- */

/* Puts @step's bytes into the private file OpenOCD reads. */
static gboolean
write_chunk (Work *work, const Step *step, GError **error)
{
  gsize done = 0;

  if (ftruncate (work->chunk_fd, 0) != 0)
    goto failed;
  while (done < step->length)
    {
      ssize_t n = pwrite (work->chunk_fd, step->data + done, step->length - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        goto failed;
      done += (gsize) n;
    }
  return TRUE;

failed:
  g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "cannot write %s: %s", work->chunk_path,
               g_strerror (errno));
  return FALSE;
}

static char *
step_script (Work *work, const Step *step)
{
  switch (step->kind)
    {
    case STEP_HALT:
      return ood_tcl_script_flash_halt (work->target);
    case STEP_ERASE:
      return ood_tcl_script_flash_erase (work->target, step->bank, step->first, step->last);
    case STEP_WRITE:
      return ood_tcl_script_flash_write (work->target, step->bank, work->chunk_path, step->offset);
    case STEP_LOAD:
      return ood_tcl_script_load_image (work->target, work->chunk_path, step->address);
    case STEP_VERIFY:
      return ood_tcl_script_verify_image (work->target, work->chunk_path, step->address);
    case STEP_RESET:
    default:
      return ood_tcl_script_reset (work->target, work->request.reset_mode);
    }
}

/* What a failed step was doing, for the job's message. */
static char *
step_context (const Step *step)
{
  switch (step->kind)
    {
    case STEP_HALT:
      return g_strdup ("halting");
    case STEP_ERASE:
      return g_strdup_printf ("erasing sectors %u to %u of flash bank %u", step->first,
                              step->last, step->bank);
    case STEP_WRITE:
      return g_strdup_printf ("writing flash bank %u at offset 0x%" G_GINT64_MODIFIER "x",
                              step->bank, step->offset);
    case STEP_LOAD:
      return g_strdup_printf ("loading at 0x%" G_GINT64_MODIFIER "x", step->address);
    case STEP_VERIFY:
      return g_strdup_printf ("verifying at 0x%" G_GINT64_MODIFIER "x", step->address);
    case STEP_RESET:
    default:
      return g_strdup ("resetting");
    }
}

static gboolean
on_next_step_idle (gpointer user_data)
{
  run_next (user_data);
  return G_SOURCE_REMOVE;
}

/* Queues the next step after the calls that came in meanwhile (State()
 * and the like), so that they wait for one step at most. */
static void
schedule_next (Work *work)
{
  ood_idle_after_pending (g_main_context_get_thread_default (), on_next_step_idle, work);
}

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;
  const Step *step = &g_array_index (work->steps, Step, work->next);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);

  if (text == NULL)
    {
      g_autofree char *context = step_context (step);
      g_prefix_error (&error, "%s: ", context);
      finish (work, error);
      return;
    }
  ood_job_advance (work->job, step->bytes, step->work);
  work->next++;
  schedule_next (work);
}

/* Runs the next step, or ends: cancelled between steps, or done. */
static void
run_next (Work *work)
{
  const Step *step;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;

  if (g_cancellable_is_cancelled (ood_job_get_cancellable (work->job)))
    {
      error = g_error_new_literal (OOD_ERROR, OOD_ERROR_CANCELLED, "");
      finish (work, error);
      return;
    }
  if (work->next == work->steps->len)
    {
      finish (work, NULL);
      return;
    }
  step = &g_array_index (work->steps, Step, work->next);
  ood_job_set_phase (work->job, step->phase);
  if (step->length > 0 && !write_chunk (work, step, &error))
    {
      finish (work, error);
      return;
    }
  script = step_script (work, step);
  /* in turn behind the reads that came in meanwhile; and, the job being
   * admitted already, never refused for other callers' queue */
  ood_session_call_async (work->session, script,
                          OOD_SESSION_CALL_CHUNK | OOD_SESSION_CALL_HOUSEKEEPING, NULL,
                          on_step_done, work);
}

/* ---- start -------------------------------------------------------------- */

static gboolean
open_chunk_file (Work *work, const char *work_dir, gboolean shared, GError **error)
{
  g_autofree char *template = g_build_filename (work_dir, "openocd-dbus-XXXXXX", NULL);
  int fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, shared ? 0644 : 0600);

  if (fd < 0)
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "cannot create a file in %s: %s",
                   work_dir, g_strerror (errno));
      return FALSE;
    }
  if (shared)
    (void) fchmod (fd, 0644);   /* mkstemp's mode is under the umask */
  work->chunk_fd = fd;
  work->chunk_path = g_steal_pointer (&template);
  return TRUE;
}

/**
 * ood_flash_work_start:
 * @session: the OpenOCD; @target is already claimed on it, and the work
 *   releases the claim when it ends
 * @job: where the work reports; it ends with the work
 * @banks: (element-type OodTclFlashBank): the target's banks (not changed)
 * @work_dir: where the private file goes (OpenOCD must be able to read
 *   it); may be %NULL only for an erase
 * @shared_dir: whether @work_dir is a directory the admin shares with
 *   OpenOCD (the file is then readable by all)
 * @image: (nullable): the client's image (of ood_fd_input_new()), read to
 *   its end
 * @image_owner: (nullable): the caller whose fd share (OodCallers) @image
 *   holds; given back when the work closes it
 */
void
ood_flash_work_start (OodSession *session, OodJob *job, const char *target, GPtrArray *banks,
                      const char *work_dir, gboolean shared_dir, GInputStream *image,
                      const char *image_owner, const OodFlashRequest *request)
{
  Work *work = g_new0 (Work, 1);
  g_autoptr(GError) error = NULL;

  work->session = g_object_ref (session);
  work->job = g_object_ref (job);
  work->target = g_strdup (target);
  work->banks = g_ptr_array_ref (banks);
  work->request = *request;
  work->chunk_fd = -1;
  work->steps = g_array_new (FALSE, FALSE, sizeof (Step));
  work->pending = g_array_new (FALSE, FALSE, sizeof (guint));
  work->sectors = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
  if (image == NULL)
    {
      g_array_append_val (work->pending, request->bank);
      learn_sectors (work);
      return;
    }
  work->input = g_object_ref (image);
  work->image_owner = g_strdup (image_owner);
  work->image = g_byte_array_new ();
  if (!open_chunk_file (work, work_dir, shared_dir, &error))
    {
      finish (work, error);
      return;
    }
  read_image (work);
}
