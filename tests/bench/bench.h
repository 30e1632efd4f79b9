/* SPDX-License-Identifier: MIT */
/* What the figures of openocd-dbus-bench share: the options, the result
 * rows, samples, and starting a daemon and talking to it. bench.c has the
 * figures with one daemon in front of an OpenOCD the bench runs (1 to 6)
 * and prints the results; bench-supervised.c those where the daemon runs
 * its OpenOCDs itself (7, 9 to 11); bench-hotplug.c the probe plugged in
 * (8); bench-rtt.c RTT (12); bench-events.c
 * event latency (2). See README.md. */
#pragma once

#include <gio/gio.h>
#include <time.h>

#include "ood-service-fixture.h"
#include "ood-testbed.h"

G_BEGIN_DECLS

/* ---- options ---- */

extern gboolean opt_json;
extern gboolean opt_quick;

typedef struct {
  int    iterations;       /* cheap sequential figures */
  int    event_iterations; /* figure 2 */
  double run_s;            /* figure 3, per case */
  double idle_s;           /* figures 4 and 10 */
} Plan;

extern Plan plan;

/* ---- results ---- */

typedef enum { CMP_NONE, CMP_LE, CMP_GE } Cmp;

typedef struct {
  char  *figure;
  char  *name;
  char  *unit;
  double median;
  double p99;        /* NAN when not applicable */
  int    n;
  Cmp    cmp;
  double target;
} Row;

/* A row of the results table (printed at once unless --json). */
Row *add_row (const char *figure, const char *name, const char *unit, double median, double p99,
              int n, Cmp cmp, double target);

/* ---- samples ---- */

typedef struct {
  GArray *v;   /* double, µs */
} Samples;

Samples samples_new (void);
void    samples_add (Samples *s, double us);
/* Adds @t_ns − @t0_ns (now_ns() times) in µs, if @t_ns came after @t0_ns
 * at all. */
void    samples_add_since (Samples *s, gint64 t_ns, gint64 t0_ns);
/* The @pct percentile (0 to 100), NAN without samples. */
double  samples_pct (Samples *s, double pct);
void    samples_free (Samples *s);
/* A row of @s's median and p99, in µs. */
Row    *add_samples_row (const char *figure, const char *name, Samples *s, Cmp cmp,
                         double target, double *median_out);
/* A row of @s's median and p99, µs samples shown in ms. */
Row    *add_ms_row (const char *figure, const char *name, Samples *s);

static inline gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- errors ---- */

/* Says what failed and exits: the bench measures only what works. */
G_NORETURN void die (const char *what, const GError *error);

/* ---- D-Bus ---- */

#define CALL_TIMEOUT_MS 20000
#define TARGET_IFACE    "org.openocd.Target"
#define ENDPOINT_IFACE  "org.openocd.Endpoint"
#define PROPS_IFACE     "org.freedesktop.DBus.Properties"

/* A client connection of its own to the bus at @address. */
GDBusConnection *new_client (const char *address);
/* A sync call to @dest, not auto-starting it. */
GVariant        *call (GDBusConnection *c, const char *dest, const char *path,
                       const char *iface, const char *method, GVariant *args,
                       GError **error);
char            *get_string_property (GDBusConnection *c, const char *dest, const char *path,
                                      const char *iface, const char *prop, GError **error);

/* A Tcl command OpenOCD must answer; dies otherwise. (transfer full) */
char *tcl_eval_or_die (OodTestTcl *tcl, const char *script);

/* ---- the daemon ---- */

/* The daemon's default --probe-interval. */
#define PROBE_INTERVAL_MS 2000

/* The daemon's file @dir/bench-NAME.EXTENSION for @name, or in
 * $OOD_BENCH_LOG_DIR if set, where it stays after the bench. */
char        *daemon_file (const char *dir, const char *name, const char *extension);
/* openocd-dbusd on the bus at @bus_address, configured by @config_text
 * (written to its file "conf"), with more arguments @args and environment
 * variables @env ("NAME=VALUE"; both NULL-terminated, or NULL); its stderr
 * goes to its file "log". It dies with the bench. */
GSubprocess *spawn_daemon (const char *bus_address, const char *dir, const char *name,
                           const char *config_text, const char *const *args,
                           const char *const *env);
/* SIGTERM, and waits until it exited. */
void         stop_daemon (GSubprocess *p);
GPid         subprocess_pid (GSubprocess *p);

/* ---- what the service publishes (bench-watch.c) ---- */

/* One object path as its signals (PropertiesChanged, InterfacesAdded and
 * InterfacesRemoved) showed it; times are now_ns() at dispatch, 0 for
 * never. A "real" state is any but "unknown". */
typedef struct {
  char     *state;         /* org.openocd.Target.State; NULL: none, or removed */
  gint64    real_ns;       /* State last became real: from none, "unknown" or a new object */
  gint64    unknown_ns;    /* State last became "unknown" */
  guint32   pid;           /* org.openocd.Endpoint.Pid */
  gint64    pid_ns;        /* Pid last became another non-zero one */
  gboolean  connected;     /* org.openocd.Endpoint.Connected */
  gint64    connected_ns;  /* Connected last became true */
  gint64    added_ns;      /* the object was last added */
  gint64    removed_ns;    /* the object was last removed */
} Seen;

typedef struct _Watch Watch;

/* Subscribes, on a connection of its own to the bus at @bus_address, to
 * the signals of any sender; the bus has the rules when this returns.
 * Signals are dispatched only within watch_until() and watch_for(). */
Watch           *watch_new (const char *bus_address);
void             watch_free (Watch *w);
GDBusConnection *watch_get_connection (Watch *w);
/* What was seen of @path; all zero before anything. */
Seen            *watch_seen (Watch *w, const char *path);

typedef gboolean (*WatchDone) (Watch *w, gpointer data);
/* Dispatches signals until @done holds; dies after @timeout_ms, naming
 * @what. */
void             watch_until (Watch *w, WatchDone done, gpointer data, guint timeout_ms,
                              const char *what);
/* Dispatches signals for @ms. */
void             watch_for (Watch *w, guint ms);

/* The data of the conditions below: an object path and a time. */
typedef struct {
  const char *path;
  gint64      ns;
} WatchSince;

/* The target at path has a real state that became real after ns. */
gboolean watch_published_since (Watch *w, gpointer path_and_since);
/* The target at path went "unknown" after ns, and real again after that. */
gboolean watch_back_since (Watch *w, gpointer path_and_since);
/* The object at path was removed after ns. */
gboolean watch_removed_since (Watch *w, gpointer path_and_since);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

/* ---- supervised boards (bench-supervised.c) ---- */

/* @n simulated boards on a private bus, with no OpenOCD: the daemon is to
 * run them. */
OodServiceFixture *supervised_boards (guint n);

/* ---- the figures of the other files ---- */

/* What figure 2 (bench-events.c) needs of the bench with one daemon. */
typedef struct {
  const char *bus_address;
  guint16 tcl_port;
  const char *target_path;
  const char *target_name;
  GPid daemon_pid;
} EventBench;

/* Event latency; leaves the target halted, the halt published. */
void figure_2 (const EventBench *b);

void figure_7 (void);
void figure_8 (void);
/* Figure 8 within umockdev-wrapper: the bench re-execs itself so. */
void figure_8_in_umockdev (void);
void figure_9 (void);
void figure_10 (void);
void figure_11 (void);
void figure_14 (void);
/* bench-harts.c: several targets on one OpenOCD */
void figure_15 (void);

/* bench-door.c: figures 12 and 13 */
void run_door_figures (gboolean twelve, gboolean thirteen);

G_END_DECLS
