/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-generated.h"

G_BEGIN_DECLS

/* Exit codes: 0 success, 1 the operation failed, 2 bad usage. */
#define CTL_EXIT_OK      0
#define CTL_EXIT_FAILED  1
#define CTL_EXIT_USAGE   2

/* Generous deadline for calls that talk to OpenOCD. */
#define CTL_CALL_TIMEOUT_MS 60000

typedef enum {
  CTL_BUS_DEFAULT,
  CTL_BUS_SYSTEM,
  CTL_BUS_SESSION,
  CTL_BUS_ADDRESS,
} CtlBus;

typedef struct _CtlContext CtlContext;

typedef int (*CtlCommandFunc) (CtlContext *ctx,
                               int         argc,
                               char      **argv);

typedef struct {
  const char     *name;
  const char     *params;    /* positional arguments, for --help */
  const char     *summary;
  guint           min_args;  /* how many positional arguments it takes */
  guint           max_args;
  CtlCommandFunc  func;
} CtlCommand;

struct _CtlContext {
  const CtlCommand   *command;
  CtlBus              bus;
  char               *address;
  char               *target;   /* -t NAME or ENDPOINT/NAME */
  gboolean            json;
  GDBusObjectManager *manager;
};

/* openocdctl.c */
gboolean  ctl_parse_command (CtlContext         *ctx,
                             int                *argc,
                             char             ***argv,
                             const GOptionEntry *entries);
int       ctl_usage_error (const char *format,
                           ...) G_GNUC_PRINTF (1, 2);
int       ctl_failure (const GError *error);
gboolean  ctl_parse_number (const char *text,
                            guint64     max,
                            guint64    *out,
                            GError    **error);

/* ctl-target.c */
gboolean   ctl_connect (CtlContext *ctx,
                        gboolean    wait_for_service,
                        GError    **error);
GPtrArray *ctl_list_objects (CtlContext *ctx,
                             gboolean    targets);
OodDbusObject *ctl_find_target (CtlContext *ctx,
                            GError    **error);
OodDbusObject *ctl_open_object (CtlContext *ctx,
                            gint        timeout_ms);
OodDbusTarget *ctl_open_target (CtlContext *ctx,
                            gint        timeout_ms);
gboolean   ctl_target_matches (OodDbusTarget  *target,
                               const char *spec);
char      *ctl_target_label (OodDbusTarget *target);

/* ctl-output.c */
void ctl_json_begin (GString *out,
                     char     bracket);
void ctl_json_end (GString *out,
                   char     bracket);
void ctl_json_string (GString    *out,
                      const char *key,
                      const char *value);
void ctl_json_number (GString    *out,
                      const char *key,
                      guint64     value);
void ctl_json_bool (GString    *out,
                    const char *key,
                    gboolean    value);
void ctl_emit (GString *line);
int  ctl_print_state_dict (CtlContext *ctx,
                           GVariant   *dict);
void ctl_print_targets (CtlContext *ctx,
                        GPtrArray  *objects);
void ctl_print_endpoints (CtlContext *ctx,
                          GPtrArray  *objects);
void ctl_append_target_json (GString   *out,
                             OodDbusTarget *target);

/* Commands, one file per concern. */
int ctl_cmd_list (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_endpoints (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_state (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_halt (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_resume (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_step (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_reset (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_wait_halt (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_monitor (CtlContext *ctx, int argc, char **argv);
int ctl_cmd_bp (CtlContext *ctx, int argc, char **argv);

G_END_DECLS
