/* SPDX-License-Identifier: MIT */
/*
 * Progress of a long operation, for the commands that will flash, load and
 * dump memory. Three forms, chosen once: with --json one record per phase
 * and per percent, {"progress":{"operation":…,"phase":…,"done":N,"total":N}},
 * as a JSON line on stdout; on a terminal a bar on stderr, redrawn in place;
 * otherwise one line per phase on stderr. The command's own record follows
 * as usual.
 */
#include "openocdctl.h"

#include <unistd.h>

#define BAR_WIDTH 40

struct _CtlProgress {
  CtlContext *ctx;
  char       *operation;
  char       *phase;
  gboolean    tty;
  gboolean    bar_drawn;  /* the bar's line still lacks its newline */
  int         percent;    /* last reported, -1 at a phase's start */
};

CtlProgress *
ctl_progress_new (CtlContext *ctx, const char *operation)
{
  CtlProgress *progress = g_new0 (CtlProgress, 1);

  progress->ctx = ctx;
  progress->operation = g_strdup (operation);
  progress->tty = !ctx->json && isatty (STDERR_FILENO);
  progress->percent = -1;
  return progress;
}

static void
end_bar (CtlProgress *progress)
{
  if (progress->bar_drawn)
    g_printerr ("\n");
  progress->bar_drawn = FALSE;
}

static void
report_json (CtlProgress *progress, guint64 done, guint64 total)
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

/* @done of @total units of @phase ("erase", "write", "verify") are through. */
void
ctl_progress_update (CtlProgress *progress, const char *phase, guint64 done, guint64 total)
{
  gboolean new_phase = g_strcmp0 (phase, progress->phase) != 0;
  int percent = total ? (int) ((double) MIN (done, total) * 100 / (double) total) : 100;

  G_STATIC_ASSERT (BAR_WIDTH == sizeof "########################################" - 1);
  if (!new_phase && percent == progress->percent)
    return;
  if (new_phase)
    {
      end_bar (progress);
      g_free (progress->phase);
      progress->phase = g_strdup (phase);
    }
  progress->percent = percent;
  if (progress->ctx->json)
    report_json (progress, done, total);
  else if (progress->tty)
    draw_bar (progress);
  else if (new_phase)
    g_printerr ("%s: %s: %s\n", g_get_prgname (), progress->operation, phase);
}

void
ctl_progress_free (CtlProgress *progress)
{
  if (progress == NULL)
    return;
  end_bar (progress);
  g_free (progress->operation);
  g_free (progress->phase);
  g_free (progress);
}
