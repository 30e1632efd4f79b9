/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * One OpenOCD the service starts and keeps running (an endpoint's
 * Exec=). The supervisor knows nothing of D-Bus, sessions or endpoints.
 *
 * Command line: @argv is the user's OpenOCD command line, already split
 * (no shell, ever). The supervisor appends
 *   -c "bindto 127.0.0.1" -c "tcl_port N" -c "gdb_port M" -c "telnet_port disabled"
 * after the user's words, so they win over a board file's own ports.
 * Hence the user's words must not run `init` themselves: OpenOCD would
 * then start its servers before the supervisor's ports are set. N and M
 * are free loopback ports the supervisor picks (OpenOCD 0.12 has no port
 * 0), kept across restarts so GDB users keep theirs; a port OpenOCD
 * reports taken is replaced. OpenOCD gives a target beyond the first
 * gdb_port M+1, M+2, ... (its rule, not checked for being free).
 *
 * Ready: once OpenOCD prints that it listens for Tcl connections (0.12:
 * "Info : Listening on port N for tcl connections"), "ready" is emitted
 * with "127.0.0.1:N", N as OpenOCD printed it. That is before OpenOCD's
 * `init` has examined any target.
 *
 * Taken ports: OpenOCD 0.12 prints "Error: couldn't bind tcl to socket on
 * port N: Address already in use" and exits with status 1; for GDB's port
 * it prints the same with "gdb" and keeps running without a GDB server,
 * so the supervisor stops it. Either way the taken port is replaced and
 * OpenOCD started again at once, not counted as a failed start, at most
 * OOD_SUPERVISOR_MAX_PORT_RETRIES times until a process is healthy; after
 * that the next start waits as after any failed start.
 *
 * Restarts: every exit not asked for (by restart() or stop()) is followed
 * by a start after a delay: backoff_min_ms, doubled after each failed
 * start up to backoff_max_ms, and back to backoff_min_ms once a process
 * stayed up healthy_after_ms after it opened its Tcl port (a process
 * that never opened it is never healthy). A process that does not open
 * its Tcl port within start_timeout_ms is stopped. So a missing binary or
 * a configuration OpenOCD rejects is no busy loop: starts after failures
 * are at least 0, backoff_min, 3 x backoff_min, 7 x backoff_min, ... after
 * the first, so any window of W ms holds at most
 * 1 + floor (log2 (W / backoff_min_ms + 1)) starts while the delays
 * double (with the defaults: at most 7 starts in any 10 s), plus at most
 * OOD_SUPERVISOR_MAX_PORT_RETRIES immediate ones for taken ports.
 *
 * Stopping: SIGTERM, then SIGKILL after stop_timeout_ms, asynchronously.
 * The supervisor may be unreffed right after stop(); the pending wait and
 * timer hold what they need. Disposing a running supervisor stops it.
 *
 * Children die with the service, also when it is killed with SIGKILL:
 * each child sets PR_SET_PDEATHSIG to SIGTERM before exec, and exits at
 * once if the service is already gone. The kernel sends that signal when
 * the THREAD that forked exits, so start(), restart() and the main
 * context the supervisor runs on must be the service's main thread's.
 * OpenOCD 0.12 acts on SIGTERM once it is in its server loop (it ignores
 * it while still reading its configuration, until that ends): so a
 * service that exits waits until ood_supervisor_count_live() is 0, which
 * the SIGKILL after stop_timeout_ms ensures.
 *
 * Process group: each OpenOCD gets a process group of its own, so that
 * keyboard signals to the service's group (Ctrl-C when run by hand)
 * reach only the service, which then stops each OpenOCD itself, rather
 * than every OpenOCD dying at once behind its supervisor's back (which
 * would count as a crash and schedule a restart during shutdown). The
 * stop signals go to that group, so that what the command started (a
 * wrapper's OpenOCD, a shell's children) stops with it; only while the
 * command is not reaped, so the group's id is still its own.
 *
 * Output: OpenOCD's stdout and stderr go to one pipe, read line by line
 * as they come. Each line (invalid UTF-8 replaced, cut at
 * OOD_SUPERVISOR_LINE_MAX bytes and then ended by "…"; the rest of the
 * line is dropped) goes to a ring of the last log_lines lines, kept
 * across restarts, and to the service's log as "NAME: LINE": g_message()
 * for the lines before it listens for Tcl (its banner, its configuration's
 * output, the examination of its targets) and for lines starting "Error:"
 * or "Warn :", g_info() for the others (chiefly OpenOCD 0.12's echo of
 * every Tcl RPC reply on its standard error: the service's own replies).
 * Memory is bounded whatever OpenOCD prints, a line without end included.
 *
 * Exits are described in words for users (ood_supervisor_get_last_exit(),
 * "exited"), logged once per change (g_message(); g_info() when asked
 * for), e.g.
 *   exited with status 1: Error: couldn't bind tcl to socket on port 6666: Address already in use
 *   killed by signal 9 (Killed)
 *   could not start: Failed to execute child process “nope” (No such file or directory)
 *   did not open its Tcl port within 30000 ms
 *   stopped, its GDB port was taken: Error: couldn't bind gdb to socket on port ...
 *   stopped                  (ood_supervisor_stop())
 *   stopped for a restart    (ood_supervisor_restart())
 * An exit with a status, or a death by a signal other than SIGKILL and
 * SIGTERM, ends with the run's most telling line: its last "Error:" line,
 * else its last non-empty one.
 *
 * Signals, all on the thread-default main context of the calls:
 * - "ready" (const char *tcl_address): this process listens for Tcl.
 * - "exited" (const char *how): a process ended or could not be started
 *   (@how as ood_supervisor_get_last_exit()). Never emitted from within
 *   a call of this API.
 * - "changed": any of pid, restarts, last exit and ports changed; emitted
 *   once after each batch of changes (a start, an exit and the start
 *   following it at once), also from within start() and restart().
 */

#define OOD_SUPERVISOR_MAX_PORT_RETRIES 10
#define OOD_SUPERVISOR_LINE_MAX         512

typedef struct {
  guint   backoff_min_ms;    /* first restart delay; default 100 */
  guint   backoff_max_ms;    /* its cap (it doubles per failed start); default 30000 */
  guint   healthy_after_ms;  /* up this long after its Tcl port opened => healthy; default 10000 */
  guint   start_timeout_ms;  /* its Tcl port must open within this, else stopped; default 30000 */
  guint   stop_timeout_ms;   /* SIGTERM, then SIGKILL after this; default 3000 */
  guint   log_lines;         /* lines of output kept (ood_supervisor_dup_log()); default 200 */
  guint16 tcl_port;          /* the ports of the first start; 0 (default): free ones */
  guint16 gdb_port;
} OodSupervisorSettings;

void ood_supervisor_settings_init_defaults (OodSupervisorSettings *settings);

#define OOD_TYPE_SUPERVISOR (ood_supervisor_get_type ())
G_DECLARE_FINAL_TYPE (OodSupervisor, ood_supervisor, OOD, SUPERVISOR, GObject)

OodSupervisor *ood_supervisor_new (const char                  *name,
                                   const char *const           *argv,
                                   const OodSupervisorSettings *settings);

void               ood_supervisor_start         (OodSupervisor *self);
void               ood_supervisor_restart       (OodSupervisor *self);
void               ood_supervisor_stop          (OodSupervisor *self);
GPid               ood_supervisor_get_pid       (OodSupervisor *self);
gboolean           ood_supervisor_is_ready      (OodSupervisor *self);
guint              ood_supervisor_get_restarts  (OodSupervisor *self);
const char        *ood_supervisor_get_last_exit (OodSupervisor *self);
guint16            ood_supervisor_get_tcl_port  (OodSupervisor *self);
guint16            ood_supervisor_get_gdb_port  (OodSupervisor *self);
const char *const *ood_supervisor_get_argv      (OodSupervisor *self);
GStrv              ood_supervisor_dup_log       (OodSupervisor *self,
                                                 guint          lines);
guint              ood_supervisor_count_live    (void);

G_END_DECLS
