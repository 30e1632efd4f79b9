/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-flash-plan"

#include "ood-flash-plan.h"

#include <gio/gio.h>

#include "ood-crc32.h"
#include "ood-job.h"
#include "ood-sums-routine.h"

/* A verify is one quick command per segment (OpenOCD checksums on the
 * target): it counts for an eighth of its bytes in Progress. */
#define VERIFY_WEIGHT 8

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
  JUDGE_HALVES,     /* a segment: its halves to check, in one command */
  JUDGE_SEARCH,     /* a run known to differ: the difference to find */
  JUDGE_CHECK,      /* a run not judged, left over by a search: to check */
} JudgeStage;

typedef struct {
  guint      from, to;
  JudgeStage stage;
  guint      test_from, test_to;   /* JUDGE_SEARCH: the half being checked */
} Judge;

struct _OodFlashPlan {
  OodFlashRequest   request;
  char             *target;
  GPtrArray        *banks;        /* (element-type OodTclFlashBank) of this target */
  OodFlashGeometry *geometry;
  GArray           *segments;     /* (element-type OodImageSegment) */
  GArray           *pieces;       /* (element-type Piece): Program's, in address order */
  GArray           *judges;       /* (element-type Judge): smart programming's stack */
  GArray           *runs;         /* (element-type guint64): a sums step's pieces */
  GArray *firsts;                 /* (element-type guint32): their first words */
  gboolean          sums;         /* judging by one sums step */
  guint64           compare_work; /* what comparing counts for in Progress, left */
  GArray           *steps;        /* (element-type OodFlashStep) */
  guint64           judged_bytes; /* when the judging ends: what the equal pieces */
  guint64           judged_work;  /* count for, not yet reported */
};

/* ---- geometry ----------------------------------------------------------- */

OodFlashGeometry *
ood_flash_geometry_new (void)
{
  OodFlashGeometry *geometry = g_rc_box_new0 (OodFlashGeometry);

  geometry->sectors = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
  geometry->sums_routine = OOD_SUMS_ROUTINE_SIZE;
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

/**
 * ood_flash_write_steps:
 * @work_area: the target's work area, in bytes
 * @length: the bytes of a run to write (more than 0)
 * @size: (out): the bytes of each step but the last, which takes the rest
 *
 * How a run of @length bytes is cut into write steps: as few as the
 * driver's loader runs (ood_flash_write_step() each), of equal size (a
 * multiple of 4); but where the last of those runs would take an eighth
 * of one or less, it rides with the step before it (full runs then), as
 * a step of its own would cost a command and the driver's set-up (flash
 * unlock, loader upload) for little: a 32 KiB image is 2 steps, not 3 of
 * 10924 bytes.
 *
 * Returns: the number of steps
 */
gsize
ood_flash_write_steps (guint64 work_area, gsize length, gsize *size)
{
  gsize most = ood_flash_write_step (work_area);
  gsize steps = (length + most - 1) / most;

  if (steps > 1 && length - (steps - 1) * most <= most / 8)
    {
      *size = most;
      return steps - 1;
    }
  *size = MIN (((length + steps - 1) / steps + 3) & ~(gsize) 3, most);
  return steps;
}

static GArray *
sectors_of (OodFlashPlan *plan, guint bank)
{
  return g_hash_table_lookup (plan->geometry->sectors, GUINT_TO_POINTER (bank));
}

/* ---- planning ----------------------------------------------------------- */

/* The bank of this target holding @address, or %NULL. */
static const OodTclFlashBank *
bank_at (OodFlashPlan *plan, guint64 address)
{
  for (guint i = 0; i < plan->banks->len; i++)
    {
      const OodTclFlashBank *bank = plan->banks->pdata[i];
      if (address >= bank->base && address - bank->base < bank->size)
        return bank;
    }
  return NULL;
}

static void
add_step (OodFlashPlan *plan, const OodFlashStep *step)
{
  g_array_append_vals (plan->steps, step, 1);
}

/* Steps of @kind over @length bytes at @address, cut at multiples of @chunk. */
static void
add_chunks (OodFlashPlan *plan, OodFlashStepKind kind, const char *phase, guint64 address,
            const guint8 *data, gsize length, gsize chunk, guint64 weight)
{
  gsize done = 0;

  while (done < length)
    {
      gsize room = chunk - (gsize) (address % chunk);
      OodFlashStep step = {
        .kind = kind, .phase = phase, .address = address, .data = data + done,
        .length = MIN (room, length - done),
      };

      step.bytes = kind == OOD_FLASH_STEP_VERIFY && plan->request.op != OOD_FLASH_VERIFY
                       ? 0
                       : step.length;
      step.work = MAX (step.length / weight, 1);
      add_step (plan, &step);
      done += step.length;
      address += step.length;
    }
}

/* Write steps over @length bytes at @address of @bank, cut as
 * ood_flash_write_steps() says. */
static void
add_writes (OodFlashPlan *plan, const OodTclFlashBank *bank, guint64 address, const guint8 *data,
            gsize length)
{
  gsize size;
  gsize steps = ood_flash_write_steps (plan->geometry->work_area, length, &size);
  gsize done = 0;

  for (gsize i = 0; i < steps; i++)
    {
      OodFlashStep step = {
        .kind = OOD_FLASH_STEP_WRITE,
        .phase = OOD_JOB_PHASE_WRITING,
        .bank = bank->index,
        .address = address + done,
        .offset = address + done - bank->base,
        .data = data + done,
        .length = i + 1 < steps ? MIN (size, length - done) : length - done,
      };

      step.bytes = step.work = step.length;
      add_step (plan, &step);
      done += step.length;
    }
}

/* Cuts the segments into pieces, one per sector they touch. */
static gboolean
cut_pieces (OodFlashPlan *plan, GError **error)
{
  for (guint s = 0; s < plan->segments->len; s++)
    {
      const OodImageSegment *segment = &g_array_index (plan->segments, OodImageSegment, s);
      guint64 address = segment->address, end = segment->address + segment->data->len;

      while (address < end)
        {
          const OodTclFlashBank *bank = bank_at (plan, address);
          GArray *sectors = bank != NULL ? sectors_of (plan, bank->index) : NULL;
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
                           address, plan->target);
              return FALSE;
            }
          piece.bank = bank->index;
          piece.sector = sector->index;
          piece.length = MIN (end, bank->base + sector->offset + sector->size) - address;
          piece.data = segment->data->data + (address - segment->address);
          piece.state = plan->request.smart ? PIECE_UNKNOWN : PIECE_DIFFERS;
          g_array_append_val (plan->pieces, piece);
          address += piece.length;
        }
    }
  return TRUE;
}

static Piece *
piece_at (OodFlashPlan *plan, guint i)
{
  return &g_array_index (plan->pieces, Piece, i);
}

/* Whether another piece of the same sector differs (segments sharing a
 * sector): an erase takes the whole sector. */
static gboolean
sector_differs (OodFlashPlan *plan, guint i)
{
  const Piece *piece = piece_at (plan, i);

  for (guint j = 0; j < plan->pieces->len; j++)
    if (piece_at (plan, j)->bank == piece->bank && piece_at (plan, j)->sector == piece->sector &&
        piece_at (plan, j)->state == PIECE_DIFFERS)
      return TRUE;
  return FALSE;
}

/* Whether pieces @i and @i + 1 can go in one command: same bank,
 * adjacent bytes. */
static gboolean
pieces_join (OodFlashPlan *plan, guint i)
{
  return i + 1 < plan->pieces->len && piece_at (plan, i)->bank == piece_at (plan, i + 1)->bank &&
         piece_at (plan, i)->address + piece_at (plan, i)->length ==
             piece_at (plan, i + 1)->address;
}

/* One erase per run of consecutive sectors to program, per bank. */
static void
plan_piece_erases (OodFlashPlan *plan)
{
  OodFlashStep step = { .kind = OOD_FLASH_STEP_ERASE, .phase = OOD_JOB_PHASE_ERASING };
  gboolean open = FALSE;

  for (guint i = 0; i < plan->pieces->len; i++)
    {
      const Piece *piece = piece_at (plan, i);
      GArray *sectors = sectors_of (plan, piece->bank);

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
        add_step (plan, &step);
      step.bank = piece->bank;
      step.first = step.last = piece->sector;
      step.work = g_array_index (sectors, OodTclFlashSector, piece->sector).size;
      open = TRUE;
    }
  if (open)
    add_step (plan, &step);
}

/* Write steps, then verify steps, over the runs of pieces to program. */
static void
plan_piece_runs (OodFlashPlan *plan, OodFlashStepKind kind)
{
  for (guint i = 0; i < plan->pieces->len; i++)
    {
      const Piece *first = piece_at (plan, i);
      gsize length = first->length;

      if (first->state != PIECE_DIFFERS)
        continue;
      while (pieces_join (plan, i) && piece_at (plan, i + 1)->state == PIECE_DIFFERS)
        length += piece_at (plan, ++i)->length;
      if (kind == OOD_FLASH_STEP_WRITE)
        add_writes (plan, bank_at (plan, first->address), first->address, first->data, length);
      else
        add_chunks (plan, OOD_FLASH_STEP_VERIFY, OOD_JOB_PHASE_VERIFYING, first->address,
                    first->data, length, G_MAXSIZE, VERIFY_WEIGHT);
    }
}

/* The work of erasing, writing and verifying the pieces that turned out
 * equal: Progress counts it as done. */
static guint64
equal_work (OodFlashPlan *plan, guint64 *bytes)
{
  guint64 done = 0;

  *bytes = 0;
  for (guint i = 0; i < plan->pieces->len; i++)
    {
      const Piece *piece = piece_at (plan, i);
      GArray *sectors = sectors_of (plan, piece->bank);

      if (piece->state != PIECE_EQUAL)
        continue;
      *bytes += piece->length;
      done += piece->length + (plan->request.verify ? MAX (piece->length / VERIFY_WEIGHT, 1) : 0);
      if (plan->request.erase && (i == 0 || piece_at (plan, i - 1)->sector != piece->sector ||
                                  piece_at (plan, i - 1)->bank != piece->bank))
        done += g_array_index (sectors, OodTclFlashSector, piece->sector).size;
    }
  return done;
}

/* Program's steps after the judging: erase, write, verify what differs. */
static void
plan_flash (OodFlashPlan *plan)
{
  const OodFlashRequest *request = &plan->request;
  guint64 bytes, work_done;

  for (guint i = 0; i < plan->pieces->len; i++)
    if (piece_at (plan, i)->state == PIECE_EQUAL && request->erase && sector_differs (plan, i))
      piece_at (plan, i)->state = PIECE_DIFFERS;   /* its sector is erased: write it again */
  if (request->erase)
    plan_piece_erases (plan);
  plan_piece_runs (plan, OOD_FLASH_STEP_WRITE);
  if (request->verify)
    plan_piece_runs (plan, OOD_FLASH_STEP_VERIFY);
  if (request->reset)
    {
      OodFlashStep reset = { .kind = OOD_FLASH_STEP_RESET, .phase = OOD_JOB_PHASE_RESETTING };
      add_step (plan, &reset);
    }
  work_done = equal_work (plan, &bytes) + plan->compare_work;
  plan->compare_work = 0;
  plan->judged_bytes = bytes;
  plan->judged_work = work_done;
}

/* The work Program's steps would take if every piece differed. */
static guint64
flash_work_total (OodFlashPlan *plan)
{
  guint64 total = 0;

  for (guint i = 0; i < plan->pieces->len; i++)
    {
      const Piece *piece = piece_at (plan, i);
      GArray *sectors = sectors_of (plan, piece->bank);

      total += piece->length;
      if (plan->request.verify)
        total += MAX (piece->length / VERIFY_WEIGHT, 1);
      if (plan->request.erase && (i == 0 || piece_at (plan, i - 1)->sector != piece->sector ||
                                  piece_at (plan, i - 1)->bank != piece->bank))
        total += g_array_index (sectors, OodTclFlashSector, piece->sector).size;
    }
  return total;
}

/* ---- smart programming: judging the pieces ------------------------------ */

static void
mark (OodFlashPlan *plan, guint from, guint to, PieceState state)
{
  for (guint i = from; i < to; i++)
    piece_at (plan, i)->state = state;
}

static guint64
run_bytes (OodFlashPlan *plan, guint from, guint to)
{
  guint64 bytes = 0;

  for (guint i = from; i < to; i++)
    bytes += piece_at (plan, i)->length;
  return bytes;
}

/* Whether piece @i is of the segment of piece @of and known equal. */
static gboolean
pads (OodFlashPlan *plan, guint i, guint of)
{
  return i < plan->pieces->len && piece_at (plan, i)->segment == piece_at (plan, of)->segment &&
         piece_at (plan, i)->state == PIECE_EQUAL;
}

/* The window that checks the run @from..@to: the run, widened over the
 * pieces known equal beside it (first before, then after it) until it
 * holds OOD_FLASH_MIN_CHECK bytes. Returns: whether it does; if not it
 * is as wide as it gets. */
static gboolean
window (OodFlashPlan *plan, guint from, guint to, guint *start, guint *end)
{
  guint64 bytes = run_bytes (plan, from, to);

  *start = from;
  *end = to;
  while (bytes < OOD_FLASH_MIN_CHECK && *start > 0 && pads (plan, *start - 1, from))
    bytes += piece_at (plan, --*start)->length;
  while (bytes < OOD_FLASH_MIN_CHECK && pads (plan, *end, from))
    bytes += piece_at (plan, (*end)++)->length;
  return bytes >= OOD_FLASH_MIN_CHECK;
}

/* A compare step over the pieces @from..@to (exclusive, adjacent), and
 * @from2..@to2 as well unless that is empty: two checksums in one
 * command. */
static void
add_compare (OodFlashPlan *plan, guint from, guint to, guint from2, guint to2)
{
  OodFlashStep step = {
    .kind = OOD_FLASH_STEP_COMPARE, .phase = OOD_JOB_PHASE_COMPARING, .first = from, .last = to,
    .address = piece_at (plan, from)->address, .data = piece_at (plan, from)->data,
    .length = run_bytes (plan, from, to), .first2 = from2, .last2 = to2,
    .length2 = run_bytes (plan, from2, to2),
  };

  if (to2 > from2)
    {
      step.address2 = piece_at (plan, from2)->address;
      step.data2 = piece_at (plan, from2)->data;
    }
  step.work = MIN (MAX ((step.length + step.length2) / VERIFY_WEIGHT, 1), plan->compare_work);
  plan->compare_work -= step.work;
  add_step (plan, &step);
}

/* A compare of the window of the run @from..@to alone. */
static void
add_check (OodFlashPlan *plan, guint from, guint to)
{
  guint start, end;

  window (plan, from, to, &start, &end);
  add_compare (plan, start, end, end, end);
}

static Judge *
judge_at (OodFlashPlan *plan, guint depth)
{
  return &g_array_index (plan->judges, Judge, plan->judges->len - 1 - depth);
}

static void
push_judge (OodFlashPlan *plan, guint from, guint to, JudgeStage stage)
{
  Judge judge = { from, to, stage, 0, 0 };

  if (from < to)
    g_array_append_val (plan->judges, judge);
}

static void
pop_judge (OodFlashPlan *plan)
{
  g_array_set_size (plan->judges, plan->judges->len - 1);
}

/* The run @from..@to, not judged, is to be checked once the search on
 * top ends: beside it, or joined to the run below it waiting likewise. */
static void
defer_check (OodFlashPlan *plan, guint from, guint to)
{
  Judge check = { from, to, JUDGE_CHECK, 0, 0 };
  Judge *below = plan->judges->len > 1 ? judge_at (plan, 1) : NULL;

  if (below != NULL && below->stage == JUDGE_CHECK && below->from == to &&
      piece_at (plan, from)->segment == piece_at (plan, to)->segment)
    below->from = from;
  else if (below != NULL && below->stage == JUDGE_CHECK && below->to == from &&
           piece_at (plan, below->from)->segment == piece_at (plan, from)->segment)
    below->to = to;
  else
    g_array_insert_val (plan->judges, plan->judges->len - 1, check);
}

/* The search's next check: the left half of the run if its window is
 * full, else the right half if its is; else the run checked, not yet
 * judged, waiting below (its check is due anyway and may be the pieces
 * known equal one half lacks), else the left half alone (a window under
 * OOD_FLASH_MIN_CHECK: OpenOCD reads it back). Returns: whether a
 * compare was planned. */
static gboolean
plan_search (OodFlashPlan *plan, Judge *judge)
{
  guint mid = judge->from + (judge->to - judge->from) / 2, start, end;
  Judge *below = plan->judges->len > 1 ? judge_at (plan, 1) : NULL;

  judge->test_from = judge->from;
  judge->test_to = mid;
  if (window (plan, judge->from, mid, &start, &end))
    ;
  else if (window (plan, mid, judge->to, &start, &end))
    {
      judge->test_from = mid;
      judge->test_to = judge->to;
    }
  else if (below != NULL && below->stage == JUDGE_CHECK &&
           (below->to == judge->from || below->from == judge->to) &&
           piece_at (plan, below->from)->segment == piece_at (plan, judge->from)->segment &&
           window (plan, below->from, below->to, &start, &end))
    {
      Judge swap = *below;

      *below = *judge;
      *judge = swap;
      return FALSE;
    }
  else
    window (plan, judge->from, mid, &start, &end);
  add_compare (plan, start, end, end, end);
  return TRUE;
}

/* The next compare step of the judging, or none: then plans the rest. */
static void
plan_judging (OodFlashPlan *plan)
{
  while (plan->judges->len > 0)
    {
      Judge *judge = judge_at (plan, 0);
      guint mid = judge->from + (judge->to - judge->from) / 2;

      switch (judge->stage)
        {
        case JUDGE_HALVES:
          if (judge->to - judge->from > 1 &&
              run_bytes (plan, judge->from, mid) >= OOD_FLASH_MIN_CHECK &&
              run_bytes (plan, mid, judge->to) >= OOD_FLASH_MIN_CHECK)
            add_compare (plan, judge->from, mid, mid, judge->to);
          else
            add_compare (plan, judge->from, judge->to, judge->to, judge->to);
          return;
        case JUDGE_CHECK:
          add_check (plan, judge->from, judge->to);
          return;
        case JUDGE_SEARCH:
        default:
          if (judge->to - judge->from == 1)
            {
              mark (plan, judge->from, judge->to, PIECE_DIFFERS);
              pop_judge (plan);
            }
          else if (plan_search (plan, judge))
            return;
          continue;
        }
    }
  plan_flash (plan);
}

/* The segment's halves were found @equal_left and @equal_right. */
static void
judged_halves (OodFlashPlan *plan, Judge *judge, gboolean equal_left, gboolean equal_right)
{
  guint mid = judge->from + (judge->to - judge->from) / 2;

  if (equal_left == equal_right)
    {
      /* both match, or both differ: a new image, or erased flash */
      mark (plan, judge->from, judge->to, equal_left ? PIECE_EQUAL : PIECE_DIFFERS);
      pop_judge (plan);
      return;
    }
  if (equal_left)
    judge->from = mid;
  else
    judge->to = mid;
  judge->stage = JUDGE_SEARCH;
}

/* What a compare step found (@equal: of its first window, then of its
 * second): the judging goes on (see ood-flash-plan.h). A window that
 * matches holds pieces known equal; one that differs, pieces known
 * equal and the run checked, which therefore differs. */
static void
judged (OodFlashPlan *plan, const OodFlashStep *step, const gboolean *equal)
{
  Judge *judge = judge_at (plan, 0);

  if (equal[0])
    mark (plan, step->first, step->last, PIECE_EQUAL);
  if (step->length2 > 0)
    {
      if (equal[1])
        mark (plan, step->first2, step->last2, PIECE_EQUAL);
      judged_halves (plan, judge, equal[0], equal[1]);
      return;
    }
  switch (judge->stage)
    {
    case JUDGE_HALVES:
    case JUDGE_CHECK:
      /* a run checked whole that differs: a search for a segment's,
       * programmed whole for a run left over by a search (a second
       * difference: searching on would cost more than writing) */
      if (equal[0])
        pop_judge (plan);
      else if (judge->stage == JUDGE_HALVES)
        judge->stage = JUDGE_SEARCH;
      else
        {
          mark (plan, judge->from, judge->to, PIECE_DIFFERS);
          pop_judge (plan);
        }
      break;
    case JUDGE_SEARCH:
    default:
      {
        guint other_from = judge->test_from == judge->from ? judge->test_to : judge->from;
        guint other_to = judge->test_from == judge->from ? judge->to : judge->test_from;

        judge->from = equal[0] ? other_from : judge->test_from;
        judge->to = equal[0] ? other_to : judge->test_to;
        if (!equal[0])
          defer_check (plan, other_from, other_to);
      }
      break;
    }
}

/* Starts judging each segment's pieces. */
static void
plan_compare (OodFlashPlan *plan)
{
  guint from = 0;

  for (guint i = 0; i <= plan->pieces->len; i++)
    if (i == plan->pieces->len || piece_at (plan, i)->segment != piece_at (plan, from)->segment)
      {
        push_judge (plan, from, i, JUDGE_HALVES);
        from = i;
      }
}

/* ---- smart programming: one run of the checksum routine --------------- */

/* Whether the checksum routine can judge every piece in one run: the
 * work area takes it, and the pieces are below 4 GiB. */
static gboolean
sums_fit (OodFlashPlan *plan)
{
  gsize routine = plan->geometry->sums_routine;

  if (routine == 0 || plan->pieces->len == 0 ||
      plan->geometry->work_area < ood_tcl_flash_sums_footprint (routine, plan->pieces->len))
    return FALSE;
  for (guint i = 0; i < plan->pieces->len; i++)
    if (piece_at (plan, i)->address + piece_at (plan, i)->length > G_MAXUINT32)
      return FALSE;
  return TRUE;
}

/* The sums step: every piece, checksummed in one run. */
static void
add_sums (OodFlashPlan *plan)
{
  OodFlashStep step = {
    .kind = OOD_FLASH_STEP_SUMS, .phase = OOD_JOB_PHASE_COMPARING, .first = 0,
    .last = plan->pieces->len, .address = piece_at (plan, 0)->address,
    .n_runs = plan->pieces->len, .work = plan->compare_work,
  };

  g_array_set_size (plan->runs, 0);
  g_array_set_size (plan->firsts, 0);
  for (guint i = 0; i < plan->pieces->len; i++)
    {
      const Piece *piece = piece_at (plan, i);
      guint64 run[2] = { piece->address, piece->length };
      guint32 first = 0;

      for (gsize k = 0; k < 4 && k < piece->length; k++)
        first |= (guint32) piece->data[k] << (8 * k);
      g_array_append_vals (plan->runs, run, 2);
      g_array_append_val (plan->firsts, first);
    }
  step.runs = (const guint64 *) plan->runs->data;
  step.firsts = (const guint32 *) plan->firsts->data;
  plan->compare_work = 0;
  add_step (plan, &step);
}

/* The sums found (%NULL: none, the routine could not run): each piece
 * equal whose CRC is its image bytes', the others differing (also those
 * whose first word did, @differs: not checksummed); or the search
 * planned instead. */
static void
summed (OodFlashPlan *plan, const guint32 *sums, const gboolean *differs)
{
  plan->sums = FALSE;
  if (sums == NULL)
    {
      plan_compare (plan);   /* the work the sums step counted is theirs */
      return;
    }
  for (guint i = 0; i < plan->pieces->len; i++)
    {
      Piece *piece = piece_at (plan, i);

      piece->state = !differs[i] && sums[i] == ood_crc32 (piece->data, piece->length)
                         ? PIECE_EQUAL
                         : PIECE_DIFFERS;
    }
}

static void
plan_program (OodFlashPlan *plan)
{
  const OodFlashRequest *request = &plan->request;
  OodFlashStep halt = { .kind = OOD_FLASH_STEP_HALT,
                        .phase = request->smart   ? OOD_JOB_PHASE_COMPARING
                                 : request->erase ? OOD_JOB_PHASE_ERASING
                                                  : OOD_JOB_PHASE_WRITING };

  add_step (plan, &halt);
  if (request->smart && sums_fit (plan))
    plan->sums = TRUE;     /* the halt's end plans the sums step */
  else if (request->smart)
    plan_compare (plan);   /* the halt's end plans the first compare */
  else
    plan_flash (plan);
}

static void
plan_image (OodFlashPlan *plan)
{
  const OodFlashRequest *request = &plan->request;
  gsize verify_chunk = request->op == OOD_FLASH_VERIFY ? OOD_FLASH_CHUNK : G_MAXSIZE;

  g_assert (plan->segments != NULL); /* parsed before the plan is made */
  for (guint i = 0; request->op == OOD_FLASH_LOAD && i < plan->segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (plan->segments, OodImageSegment, i);
      add_chunks (plan, OOD_FLASH_STEP_LOAD, OOD_JOB_PHASE_WRITING, segment->address,
                  segment->data->data, segment->data->len, OOD_FLASH_CHUNK, 1);
    }
  for (guint i = 0; request->verify && i < plan->segments->len; i++)
    {
      const OodImageSegment *segment = &g_array_index (plan->segments, OodImageSegment, i);
      add_chunks (plan, OOD_FLASH_STEP_VERIFY, OOD_JOB_PHASE_VERIFYING, segment->address,
                  segment->data->data, segment->data->len, verify_chunk,
                  request->op == OOD_FLASH_VERIFY ? 1 : VERIFY_WEIGHT);
    }
}

/* Erase of the sectors @first..@last of a bank, in one command. */
static void
plan_erase (OodFlashPlan *plan)
{
  GArray *sectors = sectors_of (plan, plan->request.bank);
  OodFlashStep halt = { .kind = OOD_FLASH_STEP_HALT, .phase = OOD_JOB_PHASE_ERASING };
  OodFlashStep erase = { .kind = OOD_FLASH_STEP_ERASE,
                         .phase = OOD_JOB_PHASE_ERASING,
                         .bank = plan->request.bank,
                         .first = plan->request.first,
                         .last = plan->request.last };

  for (guint i = erase.first; i <= erase.last; i++)
    erase.work += g_array_index (sectors, OodTclFlashSector, i).size;
  erase.bytes = erase.work;
  add_step (plan, &halt);
  add_step (plan, &erase);
}

/* ---- the plan ----------------------------------------------------------- */

/**
 * ood_flash_plan_new:
 * @request: what the job does (copied)
 * @target: the target's name, for messages
 * @banks: (element-type OodTclFlashBank): the target's banks (not changed)
 * @geometry: the banks' sectors and the target's work area; for an
 *   erase, the request's sectors are in it
 *
 * Returns: (transfer full): a plan with no steps yet
 */
OodFlashPlan *
ood_flash_plan_new (const OodFlashRequest *request, const char *target, GPtrArray *banks,
                    OodFlashGeometry *geometry)
{
  OodFlashPlan *plan = g_new0 (OodFlashPlan, 1);

  plan->request = *request;
  plan->target = g_strdup (target);
  plan->banks = g_ptr_array_ref (banks);
  plan->geometry = ood_flash_geometry_ref (geometry);
  plan->steps = g_array_new (FALSE, FALSE, sizeof (OodFlashStep));
  plan->pieces = g_array_new (FALSE, FALSE, sizeof (Piece));
  plan->judges = g_array_new (FALSE, FALSE, sizeof (Judge));
  plan->runs = g_array_new (FALSE, FALSE, sizeof (guint64));
  plan->firsts = g_array_new (FALSE, FALSE, sizeof (guint32));
  return plan;
}

void
ood_flash_plan_free (OodFlashPlan *plan)
{
  g_array_unref (plan->steps);
  g_array_unref (plan->judges);
  g_array_unref (plan->runs);
  g_array_unref (plan->firsts);
  g_array_unref (plan->pieces);
  g_clear_pointer (&plan->segments, g_array_unref);
  ood_flash_geometry_unref (plan->geometry);
  g_ptr_array_unref (plan->banks);
  g_free (plan->target);
  g_free (plan);
}

/**
 * ood_flash_plan_start:
 * @segments: (transfer full) (nullable): the image (of ood_image_parse());
 *   %NULL only for an erase
 * @bytes_total: (out): what the job's BytesDone will reach
 * @work_total: (out): and its work, for Progress
 *
 * Plans the first steps: all of them but for smart programming, whose
 * halt is followed by the judging's compares, planned one by one by
 * ood_flash_plan_step_done(), and then by the rest.
 *
 * Returns: %FALSE if an image byte of Program is in no sector
 *   (G_DBUS_ERROR_INVALID_ARGS)
 */
gboolean
ood_flash_plan_start (OodFlashPlan *plan, GArray *segments, guint64 *bytes_total,
                      guint64 *work_total, GError **error)
{
  plan->segments = segments;
  *bytes_total = *work_total = 0;
  if (plan->request.op == OOD_FLASH_ERASE)
    plan_erase (plan);
  else if (plan->request.op == OOD_FLASH_PROGRAM)
    {
      if (!cut_pieces (plan, error))
        return FALSE;
      *bytes_total = ood_image_total (plan->segments);
      plan->compare_work = plan->request.smart ? MAX (*bytes_total / VERIFY_WEIGHT, 1) : 0;
      *work_total = flash_work_total (plan) + plan->compare_work;
      plan_program (plan);
      return TRUE;
    }
  else
    plan_image (plan);
  for (guint i = 0; i < plan->steps->len; i++)
    {
      *work_total += g_array_index (plan->steps, OodFlashStep, i).work;
      *bytes_total += g_array_index (plan->steps, OodFlashStep, i).bytes;
    }
  return TRUE;
}

/* Returns: the steps planned so far; more may follow a compare's */
guint
ood_flash_plan_n_steps (OodFlashPlan *plan)
{
  return plan->steps->len;
}

/* Returns: (transfer none): step @index, valid until the next
 * ood_flash_plan_step_done() (which may add steps) */
const OodFlashStep *
ood_flash_plan_step (OodFlashPlan *plan, guint index)
{
  g_return_val_if_fail (index < plan->steps->len, NULL);
  return &g_array_index (plan->steps, OodFlashStep, index);
}

/* The judging's next compare planned, or, over, the steps that follow:
 * then what the pieces found equal count for into @bytes and @work. */
static gboolean
judging_went_on (OodFlashPlan *plan, guint64 *bytes, guint64 *work)
{
  plan_judging (plan);
  if (plan->judges->len > 0)
    return FALSE;
  *bytes = plan->judged_bytes;
  *work = plan->judged_work;
  return TRUE;
}

/**
 * ood_flash_plan_step_done:
 * @index: the step that ran, the last planned so far while judging
 * @equal: (nullable): for a compare step, what it found of its runs
 *   (the first, then the second if it has one)
 * @bytes: (out): when the judging ended, the bytes of the pieces found
 *   equal (counted as done), else 0
 * @work: (out): and their work, with what comparing had left
 *
 * Smart programming goes on: the next compare is planned, or, the
 * judging over, the erase, write, verify and reset steps.
 *
 * Returns: whether this step ended the judging (the work may then drop
 *   what it kept for compares)
 */
gboolean
ood_flash_plan_step_done (OodFlashPlan *plan, guint index, const gboolean *equal,
                          guint64 *bytes, guint64 *work)
{
  const OodFlashStep *step = ood_flash_plan_step (plan, index);
  OodFlashStepKind kind = step->kind;

  *bytes = *work = 0;
  if (kind == OOD_FLASH_STEP_COMPARE)
    judged (plan, step, equal);
  if (kind != OOD_FLASH_STEP_COMPARE && (kind != OOD_FLASH_STEP_HALT || !plan->request.smart ||
                                         plan->request.op != OOD_FLASH_PROGRAM))
    return FALSE;
  if (kind == OOD_FLASH_STEP_HALT && plan->sums)
    {
      add_sums (plan);
      return FALSE;
    }
  return judging_went_on (plan, bytes, work);
}

/**
 * ood_flash_plan_sums_done:
 * @index: the sums step that ran, the last planned so far
 * @sums: (nullable) (array): the CRC-32 of each of its runs, as the
 *   checksum routine answered; %NULL if the routine could not run (the
 *   target unchanged)
 * @differs: (nullable) (array): with @sums: the runs found differing by
 *   their first word, not checksummed
 * @bytes: (out): as ood_flash_plan_step_done()
 * @work: (out): likewise
 *
 * Judges every piece by its CRC, and plans the erase, write, verify and
 * reset steps; without @sums, plans the search's first compare instead.
 *
 * Returns: as ood_flash_plan_step_done()
 */
gboolean
ood_flash_plan_sums_done (OodFlashPlan *plan, guint index, const guint32 *sums,
                          const gboolean *differs, guint64 *bytes, guint64 *work)
{
  g_return_val_if_fail (ood_flash_plan_step (plan, index)->kind == OOD_FLASH_STEP_SUMS, FALSE);
  g_return_val_if_fail (sums == NULL || differs != NULL, FALSE);
  *bytes = *work = 0;
  summed (plan, sums, differs);
  return judging_went_on (plan, bytes, work);
}
