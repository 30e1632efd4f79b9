/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-flash-work"

#include "ood-flash-work.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "ood-callers.h"
#include "ood-error.h"
#include "ood-fd.h"
#include "ood-idle.h"
#include "ood-sums-routine.h"
#include "ood-tcl-flash.h"
#include "ood-tcl-script.h"

#define READ_SIZE 65536

/* A private file OpenOCD reads. */
typedef struct {
  char *path;
  int   fd;
} Private;

typedef struct {
  OodSession       *session;
  OodJob           *job;
  char             *target;
  OodFlashRequest   request;
  OodFlashPlan     *plan;

  GInputStream     *input;        /* until read to its end */
  char             *image_owner;  /* whose fd share the input holds (OodCallers) */
  GByteArray       *image;

  Private           chunk;        /* a step's bytes */
  Private           pair;         /* a compare's second run (smart programming) */
  guint             next;         /* the step running */
} Work;

static void run_next (Work *work);
static void publish_step (Work *work);

/* The file is removed. */
static void
private_close (Private *file)
{
  if (file->fd >= 0)
    close (file->fd);
  file->fd = -1;
  if (file->path != NULL && g_unlink (file->path) != 0)
    g_warning ("cannot remove %s: %s", file->path, g_strerror (errno));
  g_clear_pointer (&file->path, g_free);
}

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
  private_close (&work->chunk);
  private_close (&work->pair);
  g_clear_pointer (&work->plan, ood_flash_plan_free);
  g_clear_pointer (&work->image, g_byte_array_unref);
  g_free (work->image_owner);
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

/* ---- the plan ----------------------------------------------------------- */

/* Plans the first steps of the image (%NULL: an erase), publishes the
 * totals with the first phase and starts. */
static void
plan (Work *work, GArray *segments)
{
  g_autoptr(GError) error = NULL;
  guint64 bytes_total, work_total;

  if (!ood_flash_plan_start (work->plan, segments, &bytes_total, &work_total, &error))
    {
      finish (work, error);
      return;
    }
  g_debug ("%s: %" G_GUINT64_FORMAT " bytes", ood_job_get_path (work->job), bytes_total);
  ood_job_set_totals (work->job, bytes_total, work_total);
  publish_step (work);
  run_next (work);
}

/* ---- the image ---------------------------------------------------------- */

/* Parses the image read; then plans. */
static void
image_read (Work *work)
{
  g_autoptr(GError) error = NULL;
  GArray *segments = ood_image_parse (work->request.format, work->image->data, work->image->len,
                                      work->request.address, &error);

  g_clear_pointer (&work->image, g_byte_array_unref);
  if (segments == NULL)
    {
      finish (work, error);
      return;
    }
  plan (work, segments);
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

/* Puts @length bytes at @data into @file, for OpenOCD to read. */
static gboolean
write_private (Private *file, const guint8 *data, gsize length, GError **error)
{
  gsize done = 0;

  if (ftruncate (file->fd, 0) != 0)
    goto failed;
  while (done < length)
    {
      ssize_t n = pwrite (file->fd, data + done, length - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        goto failed;
      done += (gsize) n;
    }
  return TRUE;

failed:
  g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "cannot write %s: %s", file->path,
               g_strerror (errno));
  return FALSE;
}

/* Puts @step's bytes into the private files OpenOCD reads. */
static gboolean
write_chunk (Work *work, const OodFlashStep *step, GError **error)
{
  return write_private (&work->chunk, step->data, step->length, error) &&
         (step->length2 == 0 || write_private (&work->pair, step->data2, step->length2, error));
}

static char *
compare_script (Work *work, const OodFlashStep *step)
{
  const char *paths[] = { work->chunk.path, work->pair.path };
  const guint64 addresses[] = { step->address, step->address2 };

  return ood_tcl_script_images_equal (work->target, paths, addresses, step->length2 > 0 ? 2 : 1);
}

static char *
step_script (Work *work, const OodFlashStep *step)
{
  switch (step->kind)
    {
    case OOD_FLASH_STEP_HALT:
      return ood_tcl_script_flash_halt (work->target);
    case OOD_FLASH_STEP_COMPARE:
      return compare_script (work, step);
    case OOD_FLASH_STEP_SUMS:
      return ood_tcl_script_flash_sums (work->target, ood_sums_routine, OOD_SUMS_ROUTINE_SIZE,
                                        step->runs, step->firsts, step->n_runs);
    case OOD_FLASH_STEP_ERASE:
      return ood_tcl_script_flash_erase (work->target, step->bank, step->first, step->last);
    case OOD_FLASH_STEP_WRITE:
      return ood_tcl_script_flash_write (work->target, step->bank, work->chunk.path, step->offset);
    case OOD_FLASH_STEP_LOAD:
      return ood_tcl_script_load_image (work->target, work->chunk.path, step->address);
    case OOD_FLASH_STEP_VERIFY:
      return ood_tcl_script_verify_image (work->target, work->chunk.path, step->address);
    case OOD_FLASH_STEP_RESET:
    default:
      return ood_tcl_script_reset (work->target, work->request.reset_mode);
    }
}

/* What a failed step was doing, for the job's message. */
static char *
step_context (const OodFlashStep *step)
{
  switch (step->kind)
    {
    case OOD_FLASH_STEP_HALT:
      return g_strdup ("halting");
    case OOD_FLASH_STEP_COMPARE:
    case OOD_FLASH_STEP_SUMS:
      return g_strdup_printf ("comparing at 0x%" G_GINT64_MODIFIER "x", step->address);
    case OOD_FLASH_STEP_ERASE:
      return g_strdup_printf ("erasing sectors %u to %u of flash bank %u", step->first,
                              step->last, step->bank);
    case OOD_FLASH_STEP_WRITE:
      return g_strdup_printf ("writing flash bank %u at offset 0x%" G_GINT64_MODIFIER "x",
                              step->bank, step->offset);
    case OOD_FLASH_STEP_LOAD:
      return g_strdup_printf ("loading at 0x%" G_GINT64_MODIFIER "x", step->address);
    case OOD_FLASH_STEP_VERIFY:
      return g_strdup_printf ("verifying at 0x%" G_GINT64_MODIFIER "x", step->address);
    case OOD_FLASH_STEP_RESET:
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

/* The next step's phase goes out with the progress of the one done. */
static void
publish_step (Work *work)
{
  ood_job_set_phase (work->job, ood_flash_plan_step (work->plan, work->next)->phase);
  ood_job_flush (work->job);
}

/* The plan told what the sums step answered (@text): the CRCs, or that
 * the routine could not run (the plan then searches). Returns: as
 * ood_flash_plan_sums_done(), %FALSE with @error on a malformed answer. */
static gboolean
sums_done (Work *work, const OodFlashStep *step, const char *text, guint64 *bytes,
           guint64 *equal_work, GError **error)
{
  g_autofree guint32 *sums = g_new0 (guint32, step->n_runs);
  g_autofree gboolean *differs = g_new0 (gboolean, step->n_runs);
  g_autofree char *unusable = NULL;

  *bytes = *equal_work = 0;
  if (!ood_tcl_parse_flash_sums (text, step->n_runs, sums, differs, &unusable, error))
    return FALSE;
  if (unusable != NULL)
    g_debug ("%s: no checksum routine (%s): searching", ood_job_get_path (work->job), unusable);
  return ood_flash_plan_sums_done (work->plan, work->next, unusable == NULL ? sums : NULL, differs,
                                   bytes, equal_work);
}

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;
  OodFlashStep step = *ood_flash_plan_step (work->plan, work->next);   /* judging adds steps */
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  gboolean equal[2] = { FALSE, FALSE };
  gboolean judged = FALSE;
  guint64 bytes, equal_work;

  if (text != NULL && step.kind == OOD_FLASH_STEP_COMPARE)
    ood_tcl_parse_images_equal (text, step.length2 > 0 ? 2 : 1, equal, &error);
  else if (text != NULL && step.kind == OOD_FLASH_STEP_SUMS)
    judged = sums_done (work, &step, text, &bytes, &equal_work, &error);
  if (error != NULL)
    {
      g_autofree char *context = step_context (&step);

      /* what OpenOCD failed of the flash itself is a flash error */
      if (g_error_matches (error, OOD_ERROR, OOD_ERROR_TARGET) &&
          (step.kind == OOD_FLASH_STEP_ERASE || step.kind == OOD_FLASH_STEP_WRITE ||
           step.kind == OOD_FLASH_STEP_VERIFY || step.kind == OOD_FLASH_STEP_COMPARE ||
           step.kind == OOD_FLASH_STEP_SUMS) &&
          work->request.op != OOD_FLASH_LOAD)
        error->code = OOD_ERROR_FLASH;
      g_prefix_error (&error, "%s: ", context);
      finish (work, error);
      return;
    }
  g_debug ("%s: step %u: %s 0x%" G_GINT64_MODIFIER "x, %zu bytes%s%s",
           ood_job_get_path (work->job), work->next, step.phase, step.address, step.length,
           step.kind != OOD_FLASH_STEP_COMPARE ? "" : equal[0] ? ": equal" : ": differs",
           step.length2 == 0 ? "" : equal[1] ? ", the next half equal" : ", the next half differs");
  ood_job_advance (work->job, step.bytes, step.work);
  if (step.kind != OOD_FLASH_STEP_SUMS)
    judged = ood_flash_plan_step_done (work->plan, work->next, equal, &bytes, &equal_work);
  if (judged)
    {
      private_close (&work->pair);   /* the judging is over */
      ood_job_advance (work->job, bytes, equal_work);
    }
  work->next++;
  if (work->next == ood_flash_plan_n_steps (work->plan))
    {
      finish (work, NULL);
      return;
    }
  publish_step (work);
  schedule_next (work);
}

/* Runs the next step, unless cancelled between steps. */
static void
run_next (Work *work)
{
  const OodFlashStep *step;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;

  if (g_cancellable_is_cancelled (ood_job_get_cancellable (work->job)))
    {
      error = g_error_new_literal (OOD_ERROR, OOD_ERROR_CANCELLED, "");
      finish (work, error);
      return;
    }
  step = ood_flash_plan_step (work->plan, work->next);
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
open_private (Private *file, const char *work_dir, gboolean shared, GError **error)
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
  file->fd = fd;
  file->path = g_steal_pointer (&template);
  return TRUE;
}

/**
 * ood_flash_work_start:
 * @session: the OpenOCD; @target is already claimed on it, and the work
 *   releases the claim when it ends
 * @job: where the work reports; it ends with the work
 * @banks: (element-type OodTclFlashBank): the target's banks (not changed)
 * @geometry: the banks' sectors and the target's work area; for an
 *   erase, the request's sectors are in it
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
                      OodFlashGeometry *geometry, const char *work_dir, gboolean shared_dir,
                      GInputStream *image, const char *image_owner,
                      const OodFlashRequest *request)
{
  Work *work = g_new0 (Work, 1);
  g_autoptr(GError) error = NULL;

  work->session = g_object_ref (session);
  work->job = g_object_ref (job);
  work->target = g_strdup (target);
  work->request = *request;
  work->chunk.fd = -1;
  work->pair.fd = -1;
  work->plan = ood_flash_plan_new (request, target, banks, geometry);
  if (image == NULL)
    {
      plan (work, NULL);
      return;
    }
  work->input = g_object_ref (image);
  work->image_owner = g_strdup (image_owner);
  work->image = g_byte_array_new ();
  if (!open_private (&work->chunk, work_dir, shared_dir, &error) ||
      (request->op == OOD_FLASH_PROGRAM && request->smart &&
       !open_private (&work->pair, work_dir, shared_dir, &error)))
    {
      finish (work, error);
      return;
    }
  read_image (work);
}
