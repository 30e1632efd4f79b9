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
  STEP_COMPARE,
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
  guint         first, last;   /* STEP_ERASE; STEP_COMPARE: pieces */
  guint64       offset;        /* STEP_WRITE: in the bank */
  guint64       address;       /* STEP_LOAD, STEP_VERIFY, STEP_COMPARE */
  const guint8 *data;          /* into a segment */
  gsize         length;
  guint64       bytes;         /* for BytesDone */
  guint64       work;          /* for Progress */
  /* STEP_COMPARE of two runs at once: the second (length2 0: none) */
  guint         first2, last2;
  guint64       address2;
  const guint8 *data2;
  gsize         length2;
} Step;

/* A private file OpenOCD reads. */
typedef struct {
  char *path;
  int   fd;
} Private;

typedef enum {
  PIECE_UNKNOWN,
  PIECE_EQUAL,      /* the flash holds these bytes already */
  PIECE_DIFFERS,
} PieceState;

/* The bytes of one segment in one sector: what smart programming
 * judges, erases and writes. */
typedef struct {
  guint         bank;
  guint         sector;
  guint64       address;
  const guint8 *data;
  gsize         length;
  guint         segment;
  PieceState    state;
} Piece;

/* A run of pieces being judged (smart programming), innermost last. */
typedef enum {
  JUDGE_FIRST,      /* the segment: its first piece to check */
  JUDGE_LAST,       /* the segment, whose first piece differs: its last to check */
  JUDGE_LEFT,       /* the run: its left half to check */
  JUDGE_RIGHT,      /* the run: its right half to check, the left one judged */
} JudgeStage;

typedef struct {
  guint      from, to;
  JudgeStage stage;
  gboolean   differs;      /* the run is known to differ somewhere */
  gboolean   left_equal;   /* JUDGE_RIGHT: what its left half was found */
} Judge;

typedef struct {
  OodSession       *session;
  OodJob           *job;
  char             *target;
  GPtrArray        *banks;        /* (element-type OodTclFlashBank) of this target */
  OodFlashGeometry *geometry;
  OodFlashRequest   request;

  GInputStream     *input;        /* until read to its end */
  char             *image_owner;  /* whose fd share the input holds (OodCallers) */
  GByteArray       *image;
  GArray           *segments;     /* (element-type OodImageSegment) */
  GArray           *pieces;       /* (element-type Piece): Program's, in address order */
  GArray           *judges;       /* (element-type Judge): smart programming's stack */
  guint64           compare_work; /* what comparing counts for in Progress, left */

  Private           chunk;        /* a step's bytes */
  Private           pair;         /* a compare's second run (smart programming) */
  GArray           *steps;        /* (element-type Step) */
  guint             next;
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
  g_clear_pointer (&work->steps, g_array_unref);
  g_clear_pointer (&work->judges, g_array_unref);
  g_clear_pointer (&work->pieces, g_array_unref);
  g_clear_pointer (&work->segments, g_array_unref);
  g_clear_pointer (&work->image, g_byte_array_unref);
  g_clear_pointer (&work->geometry, ood_flash_geometry_unref);
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

/* ---- geometry ----------------------------------------------------------- */

OodFlashGeometry *
ood_flash_geometry_new (void)
{
  OodFlashGeometry *geometry = g_rc_box_new0 (OodFlashGeometry);

  geometry->sectors = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
  return geometry;
}

OodFlashGeometry *
ood_flash_geometry_ref (OodFlashGeometry *geometry)
{
  return g_rc_box_acquire (geometry);
}

static void
geometry_clear (gpointer data)
{
  g_hash_table_unref (((OodFlashGeometry *) data)->sectors);
}

void
ood_flash_geometry_unref (OodFlashGeometry *geometry)
{
  g_rc_box_release_full (geometry, geometry_clear);
}

/**
 * ood_flash_write_step:
 * @work_area: the target's work area, in bytes
 *
 * Returns: the most bytes a write step takes: what one loader run of the
 *   driver writes, or %OOD_FLASH_CHUNK without a work area that fits one
 */
gsize
ood_flash_write_step (guint64 work_area)
{
  if (work_area < OOD_FLASH_LOADER_SIZE + OOD_FLASH_CHUNK)
    return OOD_FLASH_CHUNK;
  return (gsize) MIN (work_area - OOD_FLASH_LOADER_SIZE, OOD_FLASH_MAX_IMAGE) & ~(gsize) 3;
}

static GArray *
sectors_of (Work *work, guint bank)
{
  return g_hash_table_lookup (work->geometry->sectors, GUINT_TO_POINTER (bank));
}

/* ---- planning ----------------------------------------------------------- */

/* The bank of this target holding @address, or %NULL. */
static const OodTclFlashBank *
bank_at (Work *work, guint64 address)
{
  for (guint i = 0; i < work->banks->len; i++)
    {
      const OodTclFlashBank *bank = work->banks->pdata[i];
      if (address >= bank->base && address - bank->base < bank->size)
        return bank;
    }
  return NULL;
}

static void
add_step (Work *work, const Step *step)
{
  g_array_append_vals (work->steps, step, 1);
}

/* Steps of @kind over @length bytes at @address, cut at multiples of @chunk. */
static void
add_chunks (Work *work, StepKind kind, const char *phase, guint64 address, const guint8 *data,
            gsize length, gsize chunk, guint64 weight)
{
  gsize done = 0;

  while (done < length)
    {
      gsize room = chunk - (gsize) (address % chunk);
      Step step = {
        .kind = kind, .phase = phase, .address = address, .data = data + done,
        .length = MIN (room, length - done),
      };

      step.bytes = kind == STEP_VERIFY && work->request.op != OOD_FLASH_VERIFY ? 0 : step.length;
      step.work = MAX (step.length / weight, 1);
      add_step (work, &step);
      done += step.length;
      address += step.length;
    }
}

/* Write steps over @length bytes at @address of @bank: as few as the
 * driver's loader runs, of equal size (a multiple of 4). */
static void
add_writes (Work *work, const OodTclFlashBank *bank, guint64 address, const guint8 *data,
            gsize length)
{
  gsize most = ood_flash_write_step (work->geometry->work_area);
  gsize steps = (length + most - 1) / most;
  gsize size = MIN (((length + steps - 1) / steps + 3) & ~(gsize) 3, most);
  gsize done = 0;

  while (done < length)
    {
      Step step = {
        .kind = STEP_WRITE, .phase = OOD_JOB_PHASE_WRITING, .bank = bank->index,
        .address = address + done, .offset = address + done - bank->base,
        .data = data + done, .length = MIN (size, length - done),
      };

      step.bytes = step.work = step.length;
      add_step (work, &step);
      done += step.length;
    }
}

/* Cuts the segments into pieces, one per sector they touch. */
static gboolean
cut_pieces (Work *work, GError **error)
{
  for (guint s = 0; s < work->segments->len; s++)
    {
      const OodImageSegment *segment = &g_array_index (work->segments, OodImageSegment, s);
      guint64 address = segment->address, end = segment->address + segment->data->len;

      while (address < end)
        {
          const OodTclFlashBank *bank = bank_at (work, address);
          GArray *sectors = bank != NULL ? sectors_of (work, bank->index) : NULL;
          const OodTclFlashSector *sector = NULL;
          Piece piece = { .segment = s, .address = address };

          for (guint i = 0; sectors != NULL && i < sectors->len && sector == NULL; i++)
            {
              const OodTclFlashSector *candidate = &g_array_index (sectors, OodTclFlashSector, i);
              if (address - bank->base >= candidate->offset &&
                  address - bank->base - candidate->offset < candidate->size)
                sector = candidate;
            }
          if (sector == NULL)
            {
              g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           "image byte 0x%" G_GINT64_MODIFIER "x is in no flash bank of %s",
                           address, work->target);
              return FALSE;
            }
          piece.bank = bank->index;
          piece.sector = sector->index;
          piece.length = MIN (end, bank->base + sector->offset + sector->size) - address;
          piece.data = segment->data->data + (address - segment->address);
          piece.state = work->request.smart ? PIECE_UNKNOWN : PIECE_DIFFERS;
          g_array_append_val (work->pieces, piece);
          address += piece.length;
        }
    }
  return TRUE;
}

static Piece *
piece_at (Work *work, guint i)
{
  return &g_array_index (work->pieces, Piece, i);
}

/* Whether another piece of the same sector differs (segments sharing a
 * sector): an erase takes the whole sector. */
static gboolean
sector_differs (Work *work, guint i)
{
  const Piece *piece = piece_at (work, i);

  for (guint j = 0; j < work->pieces->len; j++)
    if (piece_at (work, j)->bank == piece->bank && piece_at (work, j)->sector == piece->sector &&
        piece_at (work, j)->state == PIECE_DIFFERS)
      return TRUE;
  return FALSE;
}

/* Whether pieces @i and @i + 1 can go in one command: same bank,
 * adjacent bytes. */
static gboolean
pieces_join (Work *work, guint i)
{
  return i + 1 < work->pieces->len && piece_at (work, i)->bank == piece_at (work, i + 1)->bank &&
         piece_at (work, i)->address + piece_at (work, i)->length == piece_at (work, i + 1)->address;
}

/* One erase per run of consecutive sectors to program, per bank. */
static void
plan_piece_erases (Work *work)
{
  Step step = { .kind = STEP_ERASE, .phase = OOD_JOB_PHASE_ERASING };
  gboolean open = FALSE;

  for (guint i = 0; i < work->pieces->len; i++)
    {
      const Piece *piece = piece_at (work, i);
      GArray *sectors = sectors_of (work, piece->bank);

      if (piece->state != PIECE_DIFFERS)
        continue;
      if (open && piece->bank == step.bank && piece->sector <= step.last + 1)
        {
          if (piece->sector == step.last + 1)
            step.work += g_array_index (sectors, OodTclFlashSector, piece->sector).size;
          step.last = piece->sector;
          continue;
        }
      if (open)
        add_step (work, &step);
      step.bank = piece->bank;
      step.first = step.last = piece->sector;
      step.work = g_array_index (sectors, OodTclFlashSector, piece->sector).size;
      open = TRUE;
    }
  if (open)
    add_step (work, &step);
}

/* Write steps, then verify steps, over the runs of pieces to program. */
static void
plan_piece_runs (Work *work, StepKind kind)
{
  for (guint i = 0; i < work->pieces->len; i++)
    {
      const Piece *first = piece_at (work, i);
      gsize length = first->length;

      if (first->state != PIECE_DIFFERS)
        continue;
      while (pieces_join (work, i) && piece_at (work, i + 1)->state == PIECE_DIFFERS)
        length += piece_at (work, ++i)->length;
      if (kind == STEP_WRITE)
        add_writes (work, bank_at (work, first->address), first->address, first->data, length);
      else
        add_chunks (work, STEP_VERIFY, OOD_JOB_PHASE_VERIFYING, first->address, first->data,
                    length, G_MAXSIZE, VERIFY_WEIGHT);
    }
}

/* The work of erasing, writing and verifying the pieces that turned out
 * equal: Progress counts it as done. */
static guint64
equal_work (Work *work, guint64 *bytes)
{
  guint64 done = 0;

  *bytes = 0;
  for (guint i = 0; i < work->pieces->len; i++)
    {
      const Piece *piece = piece_at (work, i);
      GArray *sectors = sectors_of (work, piece->bank);

      if (piece->state != PIECE_EQUAL)
        continue;
      *bytes += piece->length;
      done += piece->length + (work->request.verify ? MAX (piece->length / VERIFY_WEIGHT, 1) : 0);
      if (work->request.erase && (i == 0 || piece_at (work, i - 1)->sector != piece->sector ||
                                  piece_at (work, i - 1)->bank != piece->bank))
        done += g_array_index (sectors, OodTclFlashSector, piece->sector).size;
    }
  return done;
}

/* Program's steps after the judging: erase, write, verify what differs. */
static void
plan_flash (Work *work)
{
  const OodFlashRequest *request = &work->request;
  guint64 bytes, work_done;

  private_close (&work->pair);   /* the judging is over */
  for (guint i = 0; i < work->pieces->len; i++)
    if (piece_at (work, i)->state == PIECE_EQUAL && request->erase && sector_differs (work, i))
      piece_at (work, i)->state = PIECE_DIFFERS;   /* its sector is erased: write it again */
  if (request->erase)
    plan_piece_erases (work);
  plan_piece_runs (work, STEP_WRITE);
  if (request->verify)
    plan_piece_runs (work, STEP_VERIFY);
  if (request->reset)
    {
      Step reset = { .kind = STEP_RESET, .phase = OOD_JOB_PHASE_RESETTING };
      add_step (work, &reset);
    }
  work_done = equal_work (work, &bytes) + work->compare_work;
  work->compare_work = 0;
  ood_job_advance (work->job, bytes, work_done);
}

/* The work Program's steps would take if every piece differed. */
static guint64
flash_work_total (Work *work)
{
  guint64 total = 0;

  for (guint i = 0; i < work->pieces->len; i++)
    {
      const Piece *piece = piece_at (work, i);
      GArray *sectors = sectors_of (work, piece->bank);

      total += piece->length;
      if (work->request.verify)
        total += MAX (piece->length / VERIFY_WEIGHT, 1);
      if (work->request.erase && (i == 0 || piece_at (work, i - 1)->sector != piece->sector ||
                                  piece_at (work, i - 1)->bank != piece->bank))
        total += g_array_index (sectors, OodTclFlashSector, piece->sector).size;
    }
  return total;
}

/* ---- smart programming: judging the pieces ------------------------------ */

static void
mark (Work *work, guint from, guint to, PieceState state)
{
  for (guint i = from; i < to; i++)
    piece_at (work, i)->state = state;
}

/* A compare step over the pieces @from..@to (exclusive, adjacent), and
 * @to..@end as well unless @end is @to: two checksums in one command. */
static void
add_compare (Work *work, guint from, guint to, guint end)
{
  Step step = {
    .kind = STEP_COMPARE, .phase = OOD_JOB_PHASE_COMPARING, .first = from, .last = to,
    .address = piece_at (work, from)->address, .data = piece_at (work, from)->data,
    .first2 = to, .last2 = end,
  };

  for (guint i = from; i < to; i++)
    step.length += piece_at (work, i)->length;
  for (guint i = to; i < end; i++)
    step.length2 += piece_at (work, i)->length;
  if (end > to)
    {
      step.address2 = piece_at (work, to)->address;
      step.data2 = piece_at (work, to)->data;
    }
  step.work = MIN (MAX ((step.length + step.length2) / VERIFY_WEIGHT, 1), work->compare_work);
  work->compare_work -= step.work;
  add_step (work, &step);
}

static Judge *
top_judge (Work *work)
{
  return &g_array_index (work->judges, Judge, work->judges->len - 1);
}

static void
push_judge (Work *work, guint from, guint to, JudgeStage stage)
{
  Judge judge = { from, to, stage, FALSE, FALSE };

  if (from < to)
    g_array_append_val (work->judges, judge);
}

static void
pop_judge (Work *work)
{
  g_array_set_size (work->judges, work->judges->len - 1);
}

/* The next compare step of the judging, or none: then plans the rest. */
static void
plan_judging (Work *work)
{
  while (work->judges->len > 0)
    {
      Judge *judge = top_judge (work);
      guint mid = judge->from + (judge->to - judge->from) / 2;

      switch (judge->stage)
        {
        case JUDGE_FIRST:
          add_compare (work, judge->from, judge->from + 1, judge->from + 1);
          return;
        case JUDGE_LAST:
          add_compare (work, judge->to - 1, judge->to, judge->to);
          return;
        case JUDGE_LEFT:
          if (judge->to - judge->from > 1 && judge->differs)
            add_compare (work, judge->from, mid, mid);
          else if (judge->to - judge->from > 1)
            add_compare (work, judge->from, mid, judge->to);   /* both halves */
          else if (!judge->differs)
            add_compare (work, judge->from, judge->to, judge->to);
          else
            {
              mark (work, judge->from, judge->to, PIECE_DIFFERS);
              pop_judge (work);
              continue;
            }
          return;
        case JUDGE_RIGHT:
        default:
          add_compare (work, mid, judge->to, judge->to);
          return;
        }
    }
  plan_flash (work);
}

/* A run's left half was found @equal (or not). */
static void
judged_left (Work *work, Judge *judge, guint mid, gboolean equal)
{
  if (judge->to - judge->from == 1)
    pop_judge (work);                  /* a single piece, compared */
  else if (equal && judge->differs)
    judge->from = mid;                 /* so the right half differs */
  else
    {
      judge->stage = JUDGE_RIGHT;
      judge->left_equal = equal;
    }
}

/* Its right half was found @equal (or not). */
static void
judged_right (Work *work, Judge *judge, guint mid, gboolean equal)
{
  if (equal && judge->left_equal)
    pop_judge (work);                  /* all of it equal */
  else if (!equal && !judge->left_equal)
    {
      mark (work, judge->from, judge->to, PIECE_DIFFERS);   /* both halves differ */
      pop_judge (work);
    }
  else
    {
      if (equal)
        judge->to = mid;               /* the left half differs */
      else
        judge->from = mid;             /* the right half does */
      judge->stage = JUDGE_LEFT;
      judge->differs = TRUE;
    }
}

/* What a compare step found (@equal: of its first run, then of its
 * second): the judging goes on (see ood-flash-work.h). */
static void
judged (Work *work, const Step *step, const gboolean *equal_runs)
{
  Judge *judge = top_judge (work);
  guint from = judge->from, to = judge->to, mid = from + (to - from) / 2;
  gboolean equal = equal_runs[0];

  mark (work, step->first, step->last, equal ? PIECE_EQUAL : PIECE_DIFFERS);
  if (step->length2 > 0)
    {
      mark (work, step->first2, step->last2, equal_runs[1] ? PIECE_EQUAL : PIECE_DIFFERS);
      judge->left_equal = equal;       /* both halves of the run at once */
      judged_right (work, judge, mid, equal_runs[1]);
      return;
    }
  switch (judge->stage)
    {
    case JUDGE_FIRST:
      if (to - from == 1)
        pop_judge (work);
      else if (equal)
        {
          judge->from = from + 1;      /* the rest, the last piece with it */
          judge->stage = JUDGE_LEFT;
        }
      else
        judge->stage = JUDGE_LAST;
      break;
    case JUDGE_LAST:
      pop_judge (work);
      if (!equal)
        mark (work, from, to, PIECE_DIFFERS);   /* a new image, or erased flash */
      else
        push_judge (work, from + 1, to - 1, JUDGE_LEFT);
      break;
    case JUDGE_LEFT:
      judged_left (work, judge, mid, equal);
      break;
    case JUDGE_RIGHT:
    default:
      judged_right (work, judge, mid, equal);
      break;
    }
}

/* Starts judging each segment's pieces. */
static void
plan_compare (Work *work)
{
  guint from = 0;

  for (guint i = 0; i <= work->pieces->len; i++)
    if (i == work->pieces->len || piece_at (work, i)->segment != piece_at (work, from)->segment)
      {
        push_judge (work, from, i, JUDGE_FIRST);
        from = i;
      }
}

static void
plan_program (Work *work)
{
  const OodFlashRequest *request = &work->request;
  Step halt = { .kind = STEP_HALT, .phase = request->smart ? OOD_JOB_PHASE_COMPARING
                                           : request->erase ? OOD_JOB_PHASE_ERASING
                                                            : OOD_JOB_PHASE_WRITING };

  add_step (work, &halt);
  if (request->smart)
    plan_compare (work);   /* the halt's end plans the first compare */
  else
    plan_flash (work);
}

static void
plan_image (Work *work)
{
  const OodFlashRequest *request = &work->request;
  gsize verify_chunk = request->op == OOD_FLASH_VERIFY ? OOD_FLASH_CHUNK : G_MAXSIZE;

  g_assert (work->segments != NULL); /* parsed before the plan is made */
  for (guint i = 0; request->op == OOD_FLASH_LOAD && i < work->segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (work->segments, OodImageSegment, i);
      add_chunks (work, STEP_LOAD, OOD_JOB_PHASE_WRITING, segment->address, segment->data->data,
                  segment->data->len, OOD_FLASH_CHUNK, 1);
    }
  for (guint i = 0; request->verify && i < work->segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (work->segments, OodImageSegment, i);
      add_chunks (work, STEP_VERIFY, OOD_JOB_PHASE_VERIFYING, segment->address,
                  segment->data->data, segment->data->len, verify_chunk,
                  request->op == OOD_FLASH_VERIFY ? 1 : VERIFY_WEIGHT);
    }
}

/* Erase of the sectors @first..@last of a bank, in one command. */
static void
plan_erase (Work *work)
{
  GArray *sectors = sectors_of (work, work->request.bank);
  Step halt = { .kind = STEP_HALT, .phase = OOD_JOB_PHASE_ERASING };
  Step erase = { .kind = STEP_ERASE, .phase = OOD_JOB_PHASE_ERASING, .bank = work->request.bank,
                 .first = work->request.first, .last = work->request.last };

  for (guint i = erase.first; i <= erase.last; i++)
    erase.work += g_array_index (sectors, OodTclFlashSector, i).size;
  erase.bytes = erase.work;
  add_step (work, &halt);
  add_step (work, &erase);
}

/* Plans the steps (Program's after the judging: plan_flash()),
 * publishes the totals with the first phase and starts. */
static void
plan (Work *work)
{
  guint64 work_total = 0, bytes_total = 0;

  if (work->request.op == OOD_FLASH_ERASE)
    plan_erase (work);
  else if (work->request.op == OOD_FLASH_PROGRAM)
    {
      bytes_total = ood_image_total (work->segments);
      work->compare_work = work->request.smart ? MAX (bytes_total / VERIFY_WEIGHT, 1) : 0;
      work_total = flash_work_total (work) + work->compare_work;
      plan_program (work);
    }
  else
    plan_image (work);
  for (guint i = 0; work->request.op != OOD_FLASH_PROGRAM && i < work->steps->len; i++)
    {
      work_total += g_array_index (work->steps, Step, i).work;
      bytes_total += g_array_index (work->steps, Step, i).bytes;
    }
  g_debug ("%s: %" G_GUINT64_FORMAT " bytes", ood_job_get_path (work->job), bytes_total);
  ood_job_set_totals (work->job, bytes_total, work_total);
  publish_step (work);
  run_next (work);
}

/* ---- the image ---------------------------------------------------------- */

/* Parses the image read and checks it fits; then plans. */
static void
image_read (Work *work)
{
  g_autoptr(GError) error = NULL;

  work->segments = ood_image_parse (work->request.format, work->image->data, work->image->len,
                                    work->request.address, &error);
  g_clear_pointer (&work->image, g_byte_array_unref);
  if (work->segments == NULL ||
      (work->request.op == OOD_FLASH_PROGRAM && !cut_pieces (work, &error)))
    {
      finish (work, error);
      return;
    }
  plan (work);
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
write_chunk (Work *work, const Step *step, GError **error)
{
  return write_private (&work->chunk, step->data, step->length, error) &&
         (step->length2 == 0 || write_private (&work->pair, step->data2, step->length2, error));
}

static char *
compare_script (Work *work, const Step *step)
{
  const char *paths[] = { work->chunk.path, work->pair.path };
  const guint64 addresses[] = { step->address, step->address2 };

  return ood_tcl_script_images_equal (work->target, paths, addresses, step->length2 > 0 ? 2 : 1);
}

static char *
step_script (Work *work, const Step *step)
{
  switch (step->kind)
    {
    case STEP_HALT:
      return ood_tcl_script_flash_halt (work->target);
    case STEP_COMPARE:
      return compare_script (work, step);
    case STEP_ERASE:
      return ood_tcl_script_flash_erase (work->target, step->bank, step->first, step->last);
    case STEP_WRITE:
      return ood_tcl_script_flash_write (work->target, step->bank, work->chunk.path, step->offset);
    case STEP_LOAD:
      return ood_tcl_script_load_image (work->target, work->chunk.path, step->address);
    case STEP_VERIFY:
      return ood_tcl_script_verify_image (work->target, work->chunk.path, step->address);
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
    case STEP_COMPARE:
      return g_strdup_printf ("comparing at 0x%" G_GINT64_MODIFIER "x", step->address);
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

/* The next step's phase goes out with the progress of the one done. */
static void
publish_step (Work *work)
{
  ood_job_set_phase (work->job, g_array_index (work->steps, Step, work->next).phase);
  ood_job_flush (work->job);
}

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Work *work = user_data;
  Step step = g_array_index (work->steps, Step, work->next);   /* judging adds steps */
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  gboolean equal[2] = { FALSE, FALSE };

  if (text != NULL && step.kind == STEP_COMPARE)
    ood_tcl_parse_images_equal (text, step.length2 > 0 ? 2 : 1, equal, &error);
  if (error != NULL)
    {
      g_autofree char *context = step_context (&step);

      /* what OpenOCD failed of the flash itself is a flash error */
      if (g_error_matches (error, OOD_ERROR, OOD_ERROR_TARGET) &&
          (step.kind == STEP_ERASE || step.kind == STEP_WRITE || step.kind == STEP_VERIFY ||
           step.kind == STEP_COMPARE) && work->request.op != OOD_FLASH_LOAD)
        error->code = OOD_ERROR_FLASH;
      g_prefix_error (&error, "%s: ", context);
      finish (work, error);
      return;
    }
  g_debug ("%s: step %u: %s 0x%" G_GINT64_MODIFIER "x, %zu bytes%s%s",
           ood_job_get_path (work->job), work->next, step.phase, step.address, step.length,
           step.kind != STEP_COMPARE ? "" : equal[0] ? ": equal" : ": differs",
           step.length2 == 0 ? "" : equal[1] ? ", the next half equal" : ", the next half differs");
  ood_job_advance (work->job, step.bytes, step.work);
  if (step.kind == STEP_COMPARE)
    judged (work, &step, equal);
  if (step.kind == STEP_COMPARE || (step.kind == STEP_HALT && work->request.smart &&
                                    work->request.op == OOD_FLASH_PROGRAM))
    plan_judging (work);
  work->next++;
  if (work->next == work->steps->len)
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
  const Step *step;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;

  if (g_cancellable_is_cancelled (ood_job_get_cancellable (work->job)))
    {
      error = g_error_new_literal (OOD_ERROR, OOD_ERROR_CANCELLED, "");
      finish (work, error);
      return;
    }
  step = &g_array_index (work->steps, Step, work->next);
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
  work->banks = g_ptr_array_ref (banks);
  work->request = *request;
  work->chunk.fd = -1;
  work->pair.fd = -1;
  work->geometry = ood_flash_geometry_ref (geometry);
  work->steps = g_array_new (FALSE, FALSE, sizeof (Step));
  work->pieces = g_array_new (FALSE, FALSE, sizeof (Piece));
  work->judges = g_array_new (FALSE, FALSE, sizeof (Judge));
  if (image == NULL)
    {
      plan (work);
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
