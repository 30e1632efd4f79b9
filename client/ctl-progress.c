/* SPDX-License-Identifier: MIT */
/*
 * Progress of a long operation (program, load, flash erase|verify, mem
 * dump|load). The form is chosen once:
 *  - with --json, one record per phase and per percent,
 *    {"progress":{"operation":…,"phase":…,"fraction":F,"done":N,"total":N}},
 *    as a JSON line on stdout (CTL_PROGRESS_FULL only);
 *  - on a terminal, a bar on stderr, redrawn in place;
 *  - otherwise one line per phase on stderr (CTL_PROGRESS_FULL only).
 * The command's own record follows as usual. CTL_PROGRESS_TTY_ONLY is for
 * commands whose output stays one document (mem dump|load): a bar on a
 * terminal and nothing else.
 */
#include "openocdctl.h"

#include <unistd.h>

#define BAR_WIDTH 40

struct _CtlProgress {
  CtlContext *ctx;
  char       *operation;
  char       *phase;
  gboolean    tty;
  gboolean    quiet;      /* CTL_PROGRESS_TTY_ONLY, and no terminal */
  gboolean    bar_drawn;  /* the bar's line still lacks its newline */
  int         percent;    /* last reported, -1 at a phase's start */
};

CtlProgress *
ctl_progress_new_full (CtlContext *ctx, const char *operation, CtlProgressMode mode)
{
  CtlProgress *progress = g_new0 (CtlProgress, 1);

  progress->ctx = ctx;
  progress->operation = g_strdup (operation);
  progress->tty = !ctx->json && isatty (STDERR_FILENO);
  progress->quiet = mode == CTL_PROGRESS_TTY_ONLY && !progress->tty;
  progress->percent = -1;
  return progress;
}

CtlProgress *
ctl_progress_new (CtlContext *ctx, const char *operation)
{
  return ctl_progress_new_full (ctx, operation, CTL_PROGRESS_FULL);
}

/* Ends the bar's line, so that a remark can follow on a line of its own. */
void
ctl_progress_break_line (CtlProgress *progress)
{
  if (progress->bar_drawn)
    g_printerr ("\n");
  progress->bar_drawn = FALSE;
}

static void
report_json (CtlProgress *progress, double fraction, guint64 done, guint64 total)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(CtlRecord) record = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "progress");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "operation");
  json_builder_add_string_value (builder, progress->operation);
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, progress->phase);
  json_builder_set_member_name (builder, "fraction");
  json_builder_add_double_value (builder, fraction);
  ctl_build_uint (builder, "done", done);
  ctl_build_uint (builder, "total", total);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  record = ctl_record_new_from_builder (&ctl_layout_quiet, builder);
  ctl_render (progress->ctx, record);
}

static void
draw_bar (CtlProgress *progress)
{
  int filled = progress->percent * BAR_WIDTH / 100;

  g_printerr ("\r%s: %-10s [%.*s%*s] %3d%%", progress->operation, progress->phase,
              filled, "########################################", BAR_WIDTH - filled, "",
              progress->percent);
  progress->bar_drawn = TRUE;
}

/*
 * @fraction (0 to 1) of the whole operation is through, now in @phase
 * ("erasing", "writing", "verifying", "reading"…), where @done of @total
 * units (bytes) are. Reported when the phase or the percent changes.
 */
void
ctl_progress_update_fraction (CtlProgress *progress, const char *phase, double fraction,
                              guint64 done, guint64 total)
{
  gboolean new_phase = g_strcmp0 (phase, progress->phase) != 0;
  int percent = (int) (CLAMP (fraction, 0.0, 1.0) * 100);

  G_STATIC_ASSERT (BAR_WIDTH == sizeof "########################################" - 1);
  if (progress->quiet || (!new_phase && percent == progress->percent))
    return;
  if (new_phase)
    {
      ctl_progress_break_line (progress);
      g_free (progress->phase);
      progress->phase = g_strdup (phase);
    }
  progress->percent = percent;
  if (progress->ctx->json)
    report_json (progress, CLAMP (fraction, 0.0, 1.0), done, total);
  else if (progress->tty)
    draw_bar (progress);
  else if (new_phase)
    g_printerr ("%s: %s: %s\n", g_get_prgname (), progress->operation, phase);
}

/* @done of @total units of @phase are through: the fraction is their share. */
void
ctl_progress_update (CtlProgress *progress, const char *phase, guint64 done, guint64 total)
{
  double fraction = total ? (double) MIN (done, total) / (double) total : 1.0;

  ctl_progress_update_fraction (progress, phase, fraction, done, total);
}

void
ctl_progress_free (CtlProgress *progress)
{
  if (progress == NULL)
    return;
  ctl_progress_break_line (progress);
  g_free (progress->operation);
  g_free (progress->phase);
  g_free (progress);
}
