/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

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

/*
 * CtlError: the errors openocdctl finds itself, as opposed to those the
 * service returns (OOD_ERROR, G_DBUS_ERROR). The domain is registered with
 * GDBus so that every error has a D-Bus-style name for --json:
 * org.openocd.ctl.Error.Usage and so on. CTL_ERROR_USAGE exits with 2,
 * every other error with 1.
 */
typedef enum {
  CTL_ERROR_USAGE,             /* bad command line */
  CTL_ERROR_NOT_RUNNING,       /* nobody owns org.openocd */
  CTL_ERROR_NO_SUCH_TARGET,    /* -t matches nothing, or there are no targets */
  CTL_ERROR_AMBIGUOUS_TARGET,  /* several targets; -t needed */
  CTL_ERROR_NO_SUCH_ENDPOINT,  /* no endpoint of the name given */
  CTL_ERROR_FAILED,            /* anything else, e.g. a malformed reply */
} CtlError;

#define CTL_ERROR (ctl_error_quark ())
GQuark ctl_error_quark (void);

/*
 * Records: a command collects what it has to say into one record, a JSON
 * node plus a description of its text layout, and never prints itself.
 * ctl_render() prints a record as text or JSON; ctl_render_error() prints an
 * error. A new kind of output (a register dump, a hexdump) is a new
 * CtlLayoutKind and one more case in the text renderer; the JSON renderer
 * prints any node.
 */
typedef enum {
  CTL_FORMAT_STRING,   /* a string member as it is */
  CTL_FORMAT_HEX,      /* an integer member as 0x… */
  CTL_FORMAT_DECIMAL,  /* an integer member in decimal */
  CTL_FORMAT_BOOL,     /* a boolean member as @yes or @no */
  CTL_FORMAT_REALTIME_US, /* an integer member of microseconds since the
                           * epoch as local time, "2024-05-01 14:03:59" */
} CtlFormat;

/* One value in a text line, or one column of a table. */
typedef struct {
  const char *member;   /* the JSON member; NULL ends a field list */
  CtlFormat   format;
  const char *prefix;   /* text before the value (and before the heading) */
  int         width;    /* pad the value to this many bytes; 0: no padding */
  const char *absent;   /* for a missing member or an empty string; NULL: the
                         * field and its prefix are left out */
  const char *when;     /* a member that must be set (true, non-zero or a
                         * non-empty string) for the value to show, else it
                         * is absent; NULL: always shown */
  const char *heading;  /* a table's column heading */
  const char *yes;      /* CTL_FORMAT_BOOL */
  const char *no;
} CtlField;

typedef enum {
  CTL_LAYOUT_QUIET,     /* text: nothing (the command just succeeded) */
  CTL_LAYOUT_LINE,      /* an object on one line */
  CTL_LAYOUT_TABLE,     /* an array of objects, one line each, under a header
                         * line when the fields have headings */
  CTL_LAYOUT_HEXDUMP,   /* an object with an address (fields[0], an integer)
                         * and bytes (fields[1], a string of hex digits), as
                         * xxd prints them: 16 bytes a line */
  CTL_LAYOUT_WORDS,     /* an object with an address (fields[0]), a width in
                         * bits (fields[1]) and an array of integers
                         * (fields[2]): the address as the hexdump's, then
                         * 16 bytes' worth of words a line, in hex */
  CTL_LAYOUT_LINES,     /* an object whose fields[0] member is an array of
                         * strings, one a line as they are */
  CTL_LAYOUT_REGISTERS, /* an array of registers as `periph` builds them:
                         * "PERIPH.REG @ 0xADDR = 0xVALUE", then a line
                         * per bit field: bits, name, value, enum name */
} CtlLayoutKind;

typedef struct {
  CtlLayoutKind   kind;
  const CtlField *fields;
} CtlLayout;

typedef struct {
  const CtlLayout *layout;
  JsonNode        *node;   /* NULL: nothing to print, in either format */
} CtlRecord;

typedef struct _CtlContext CtlContext;

/*
 * Returns the command's record, or NULL and an error; ctl_exit_status()
 * turns the error into the exit code.
 */
typedef CtlRecord *(*CtlCommandFunc) (CtlContext  *ctx,
                                      int          argc,
                                      char       **argv,
                                      GError     **error);

typedef struct {
  const char     *name;
  const char     *params;    /* positional arguments, for --help */
  const char     *summary;
  guint           min_args;  /* how many positional arguments it takes */
  guint           max_args;
  CtlCommandFunc  func;
  gboolean target; /* acts on a target (or, monitor, filters by
                    * one): takes -t; others refuse it */
} CtlCommand;

struct _CtlContext {
  const CtlCommand   *command;
  CtlBus              bus;
  char               *address;
  char               *target;     /* -t NAME or ENDPOINT/NAME */
  gboolean            json;
  gboolean            json_hint;  /* --json is on the command line, for errors
                                   * found before the options are parsed */
  GDBusObjectManager *manager;
  int                 exit_status; /* what main() exits with after rendering a
                                    * record (lease: its command's status) */
};

/* openocdctl.c */
gboolean  ctl_parse_command (CtlContext         *ctx,
                             int                *argc,
                             char             ***argv,
                             const GOptionEntry *entries,
                             GError            **error);
gboolean  ctl_usage_error (GError    **error,
                           const char *format,
                           ...) G_GNUC_PRINTF (2, 3);
gboolean  ctl_parse_number (const char *text,
                            guint64     max,
                            guint64    *out,
                            GError    **error);

/* ctl-target.c */
#define CTL_BUS_NAME       "org.openocd"
#define CTL_IFACE_TARGET   "org.openocd.Target"
#define CTL_IFACE_ENDPOINT "org.openocd.Endpoint"
#define CTL_IFACE_PROBE    "org.openocd.Probe"
#define CTL_IFACE_LEASE    "org.openocd.Lease"
#define CTL_IFACE_REGISTERS   "org.openocd.Registers"
#define CTL_IFACE_MEMORY      "org.openocd.Memory"
#define CTL_IFACE_BREAKPOINTS "org.openocd.Breakpoints"

gboolean   ctl_connect (CtlContext *ctx,
                        gboolean    wait_for_service,
                        GError    **error);
GPtrArray *ctl_list_objects (CtlContext *ctx,
                             const char *iface);
OodDbusObject *ctl_find_target (CtlContext *ctx,
                                GError    **error);
OodDbusObject *ctl_open_object (CtlContext *ctx,
                                gint        timeout_ms,
                                GError    **error);
OodDbusTarget *ctl_open_target (CtlContext *ctx,
                                gint        timeout_ms,
                                GError    **error);
gpointer ctl_open_interface (CtlContext *ctx, const char *iface, OodDbusTarget **out_target,
                             GError **error);
gboolean   ctl_target_matches (OodDbusTarget *target,
                               const char    *spec);
char      *ctl_target_label (OodDbusTarget *target);
OodDbusEndpoint *ctl_open_endpoint (CtlContext *ctx,
                                    const char *name,
                                    gint        timeout_ms,
                                    GError    **error);
OodDbusManager  *ctl_open_manager (CtlContext *ctx,
                                   gint        timeout_ms,
                                   GError    **error);

/* ctl-output.c: records and the two renderers */
CtlRecord *ctl_record_new (const CtlLayout *layout,
                           JsonNode        *node);
CtlRecord *ctl_record_new_from_builder (const CtlLayout *layout,
                                        JsonBuilder     *builder);
CtlRecord *ctl_record_new_empty (void);
void       ctl_record_free (CtlRecord *record);
void       ctl_render (CtlContext      *ctx,
                       const CtlRecord *record);
int        ctl_render_error (CtlContext   *ctx,
                             const GError *error);
int        ctl_exit_status (const GError *error);
void       ctl_notice (CtlContext *ctx,
                       const char *format,
                       ...) G_GNUC_PRINTF (2, 3);

void       ctl_build_target (JsonBuilder   *builder,
                             OodDbusTarget *target);
void       ctl_build_endpoint (JsonBuilder     *builder,
                               OodDbusEndpoint *endpoint);
void       ctl_build_probe (JsonBuilder        *builder,
                            OodDbusProbe       *probe,
                            GDBusObjectManager *manager);
void       ctl_build_done (JsonBuilder   *builder,
                           OodDbusTarget *target,
                           const char    *action);
void       ctl_build_uint (JsonBuilder *builder,
                           const char  *member,
                           guint64      value);
void       ctl_build_string (JsonBuilder *builder,
                             const char  *member,
                             const char  *value);
void       ctl_build_bool (JsonBuilder *builder,
                           const char  *member,
                           gboolean     value);
void       ctl_build_strv (JsonBuilder       *builder,
                           const char        *member,
                           const char *const *strv);
CtlRecord *ctl_record_from_state_dict (OodDbusTarget *target, GVariant *dict, GError **error);

/* For commands that only succeed or fail: nothing in text, an object in JSON. */
extern const CtlLayout ctl_layout_quiet;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlRecord, ctl_record_free)

/*
 * ctl-progress.c: progress of a long operation (flash, load, dump). On a
 * terminal a bar on stderr, otherwise one line per phase on stderr, and with
 * --json one {"progress":{…}} object per line on stdout.
 */
typedef struct _CtlProgress CtlProgress;

typedef enum {
  CTL_PROGRESS_FULL,      /* bar, lines per phase, or JSON lines */
  CTL_PROGRESS_TTY_ONLY,  /* a bar on a terminal, else nothing */
} CtlProgressMode;

CtlProgress *ctl_progress_new (CtlContext *ctx,
                               const char *operation);
CtlProgress *ctl_progress_new_full (CtlContext      *ctx,
                                    const char      *operation,
                                    CtlProgressMode  mode);
void         ctl_progress_update (CtlProgress *progress,
                                  const char  *phase,
                                  guint64      done,
                                  guint64      total);
void         ctl_progress_update_fraction (CtlProgress *progress,
                                           const char  *phase,
                                           double       fraction,
                                           guint64      done,
                                           guint64      total);
void         ctl_progress_break_line (CtlProgress *progress);
void         ctl_progress_free (CtlProgress *progress);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlProgress, ctl_progress_free)

/* Commands, one file per concern. */
CtlRecord *ctl_cmd_list (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_endpoints (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_probes (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_endpoint (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_state (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_halt (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_resume (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_step (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_reset (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_wait_halt (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_monitor (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_bp (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_wp (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_reg (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_mem (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_program (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_load (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_flash (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_lease (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_leases (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_rtt (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_raw (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_adapter (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_taps (CtlContext *ctx, int argc, char **argv, GError **error);
CtlRecord *ctl_cmd_periph (CtlContext *ctx, int argc, char **argv, GError **error);

G_END_DECLS
