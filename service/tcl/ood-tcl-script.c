/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-script.h"

/*
 * Every OpenOCD command a script runs costs more than its own work:
 * OpenOCD 0.12 runs its timer callbacks, and so polls every target over
 * JTAG, before each command it dispatches (jim_command_dispatch ->
 * target_call_timer_callbacks_now), except inside a capture, which masks
 * polling for what it runs (jim_capture). Tcl built-ins (set, if, catch,
 * list, format) cost nothing of the kind. So the scripts below run as few
 * OpenOCD commands as they can: a target's type, which never changes, is
 * asked for only when a caller needs it (ood_ty is left empty otherwise).
 * The state is always asked for, even when the PC is read too: a PC read
 * that works proves the halt on RISC-V, but not every OpenOCD target
 * driver refuses register reads on a running core.
 */

/* Leaves the state of target $ood_t in ood_s. */
#define STATE_OF_OOD_T "set ood_s [$ood_t curstate]; "

/* A PC read that answered something else than a number is an error
 * (ood_e), and no PC; checked where the Tcl condition @when (ending in
 * "&&") holds too. */
#define CHECK_OOD_P_WHEN(when)                                                                     \
  "if {" when "$ood_e eq {} && ![string match 0x* $ood_p]} "                                       \
  "{set ood_e \"unexpected PC value '$ood_p'\"; set ood_p {}}; "
#define CHECK_OOD_P        CHECK_OOD_P_WHEN ("")
#define CHECK_HALTED_OOD_P CHECK_OOD_P_WHEN ("$ood_s eq {halted} && ")

/* Reads the PC of halted target $ood_t into ood_p, with -force so that
 * OpenOCD reads the hart rather than its cache, and with it, in the same
 * command, the RISC-V dcsr into ood_d (whose cause field says why the
 * hart halted); a target without dcsr costs a second command, for the PC
 * alone, and leaves ood_d "-". Why the PC could not be read goes to ood_e;
 * ood_e is empty when it was. */
#define PC_AND_DCSR_OF_OOD_T \
  "set ood_e {}; set ood_d -; " \
  "if {![catch {$ood_t get_reg -force {pc dcsr}} ood_v]} " \
  "{set ood_p [dict get $ood_v pc]; set ood_d [dict get $ood_v dcsr]} " \
  "elseif {[catch {lindex [$ood_t get_reg -force {pc}] 1} ood_p]} {set ood_e $ood_p; set ood_p {}}; " \
  CHECK_OOD_P

/* The record of target $ood_t from what the script left: see
 * RECORD_FROM_OOD_S. */
#define LIST_RECORD \
  "set ood_rec [list $ood_t $ood_ty $ood_s $ood_p $ood_e $ood_b $ood_g $ood_d $ood_w]"

/* Leaves in ood_rec the record of target $ood_t, in state $ood_s and of
 * type $ood_ty: {name type state pc pc-error breakpoints gdb-port dcsr
 * watchpoints}; pc and dcsr only when halted (PC_AND_DCSR_OF_OOD_T);
 * breakpoints is OpenOCD's listing, or "-" where it was not read ($ood_b,
 * "-" unless the script set it); gdb-port and watchpoints likewise ($ood_g,
 * $ood_w). */
#define RECORD_FROM_OOD_S \
  "set ood_p {}; set ood_e {}; set ood_d -; " \
  "if {$ood_s eq {halted}} {" PC_AND_DCSR_OF_OOD_T "}; " LIST_RECORD

/* Leaves OpenOCD's breakpoint listing of target $ood_t in ood_b and its
 * watchpoint listing in ood_w: `bp` and `wp` list the connection's current
 * target (which `targets` sets for this connection alone: OpenOCD gives
 * each connection its own command context). */
#define LISTING_OF_OOD_T "targets $ood_t; set ood_b [bp]; set ood_w [wp]; "

#define RECORD_OF_OOD_T STATE_OF_OOD_T RECORD_FROM_OOD_S

/* OpenOCD 0.12 keeps the port its GDB server bound for a target in the
 * target's -gdb-port (gdb_target_add_one): "3333", or "disabled" or
 * "undefined" where it serves none. */
#define GDB_PORT_OF_OOD_T "if {[catch {$ood_t cget -gdb-port} ood_g]} {set ood_g {}}; "

#define WITH_TYPE "set ood_ty [$ood_t cget -type]; set ood_b -; set ood_w -; " GDB_PORT_OF_OOD_T
#define WITHOUT_TYPE "set ood_ty {}; set ood_b -; set ood_w -; set ood_g -; "

#define NEED_HALTED \
  "if {[$ood_t curstate] ne {halted}} {error {" OOD_TCL_NOT_HALTED_MARK "}}; "

/* From OpenOCD's own listing, at the moment the script runs, the
 * breakpoint at $ood_pc (if any) into ood_o as {address length flag}:
 * whoever set it, and whatever the service last knew. */
#define BREAKPOINT_AT_OOD_PC \
  "set ood_o {}; foreach ood_ln [split [bp] \\n] {" \
  "if {[string match {Breakpoint(IVA): *} $ood_ln]} {set ood_f { hw}} " \
  "elseif {[string match {IVA breakpoint: *} $ood_ln]} {set ood_f {}} else continue; " \
  "if {[regexp {: (0x[0-9a-f]+), (0x[0-9a-f]+)} $ood_ln -> ood_a ood_n] && $ood_a == $ood_pc} " \
  "{set ood_o [list $ood_a [expr {$ood_n}] $ood_f]}}; "

/* Runs $ood_c (a step) from $ood_pc; starting on a breakpoint, that
 * breakpoint is lifted for the step and put back whatever the step did,
 * since OpenOCD 0.12 would stop on it again at once. */
#define STEP_FROM_OOD_PC \
  BREAKPOINT_AT_OOD_PC \
  "if {$ood_o eq {}} {capture $ood_c} else {" \
  "rbp [lindex $ood_o 0]; set ood_sc [catch {capture $ood_c} ood_sr]; " \
  "eval bp [lindex $ood_o 0] [lindex $ood_o 1] [lindex $ood_o 2]; " \
  "if {$ood_sc} {error $ood_sr}}; "

#define PC_OF_OOD_T "set ood_pc [lindex [$ood_t get_reg -force {pc}] 1]; "

/**
 * ood_tcl_quote:
 * @text: any string
 *
 * Quotes @text as one Tcl word that evaluates to exactly @text: every
 * byte that is not an ASCII letter or digit is backslash-escaped, so no
 * substitution, bracket, brace, quote or separator can take effect.
 *
 * Returns: (transfer full): the word
 */
char *
ood_tcl_quote (const char *text)
{
  GString *word;

  if (*text == '\0')
    return g_strdup ("{}");
  word = g_string_new (NULL);
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p >= 0x80)
        g_string_append_c (word, (char) *p);
      else if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (word, "\\x%02x", *p);
      else
        g_string_append_printf (word, "\\%c", *p);
    }
  return g_string_free (word, FALSE);
}

/* Wraps @body so the reply is "<catch code> <result>". */
static char *
wrap (const char *prologue, const char *body)
{
  return g_strdup_printf ("%sset ood_rc [catch {%s} ood_r]; format {%%d %%s} $ood_rc $ood_r",
                          prologue, body);
}

static char *
wrap_target (const char *target, const char *body)
{
  g_autofree char *quoted = ood_tcl_quote (target);
  g_autofree char *prologue = g_strdup_printf ("set ood_t %s; ", quoted);

  return wrap (prologue, body);
}

/**
 * ood_tcl_wrap_target:
 * @target: a target's name, quoted here into $ood_t
 * @body: the script, which may use $ood_t
 *
 * The envelope of every script, for the builders in other files: the
 * reply is "<catch code> <result>".
 *
 * Returns: (transfer full): the script to send
 */
char *
ood_tcl_wrap_target (const char *target, const char *body)
{
  return wrap_target (target, body);
}

/**
 * ood_tcl_wrap:
 * @body: a script that concerns no one target
 *
 * As ood_tcl_wrap_target(), without $ood_t.
 *
 * Returns: (transfer full): the script to send
 */
char *
ood_tcl_wrap (const char *body)
{
  return wrap ("", body);
}

char *
ood_tcl_script_version (void)
{
  return wrap ("", "version");
}

char *
ood_tcl_script_notifications_on (void)
{
  return wrap ("", "tcl_notifications on");
}

/**
 * ood_tcl_script_refresh_all:
 * @with_types: whether the records carry each target's type and GDB
 *   port (two more OpenOCD commands per target), and every target's
 *   breakpoint and watchpoint listings (three more)
 *
 * A script answering the list of every target's record, in one round
 * trip. Every target's state comes from one command, OpenOCD's `targets`
 * table, whose rows follow `target names` and end in the state (the
 * state `curstate` says): so without types, with N targets of which H are
 * halted, OpenOCD commands: 2 (target names, targets) + H (pc and dcsr;
 * twice that on a target without dcsr), whatever N. They run in one
 * capture, so OpenOCD polls its targets once, before it (as before every
 * command it dispatches), not before each of them: the refresh costs one
 * poll of every target whatever N and H. Should the table not
 * have one row per target (a name with a line break), each target's
 * curstate is asked for instead (N commands more). Breakpoints and
 * watchpoints of a target that halted are listed by the caller afterwards
 * (ood_tcl_script_bp_list()), so that the state goes out first.
 */
char *
ood_tcl_script_refresh_all (gboolean with_types)
{
  g_autofree char *body = g_strdup_printf ("set ood_l {}; capture {set ood_n [target names]; "
                                           "set ood_rows [lrange [split [string trim [targets] "
                                           "\\n] \\n] 2 end]; "
                                           "if {[llength $ood_rows] != [llength $ood_n]} "
                                           "{set ood_rows {}}; set ood_i -1; "
                                           "foreach ood_t $ood_n {incr ood_i; %s"
                                           "if {$ood_rows eq {}} {" STATE_OF_OOD_T "} else "
                                           "{set ood_s [lindex [split [lindex $ood_rows $ood_i] "
                                           "{ }] end]}; "
                                           "set ood_p {}; set ood_e {}; set ood_d -; "
                                           "if {$ood_s eq {halted}} {" PC_AND_DCSR_OF_OOD_T "}; "
                                           "%s" LIST_RECORD "; lappend ood_l $ood_rec}}; set ood_l",
                                           with_types ? WITH_TYPE : WITHOUT_TYPE,
                                           with_types ? LISTING_OF_OOD_T : "");
  return wrap ("", body);
}

/**
 * ood_tcl_script_state:
 *
 * The record of @target: its state, and its PC if halted. The two
 * OpenOCD commands run in one capture, which masks OpenOCD's polling for
 * what it runs: OpenOCD polls its targets once, before the capture, not
 * before each command. Nothing else runs in it: capture evaluates its
 * body from its text every time (Jim_Eval_Named() in jim_capture()), so
 * each byte in it is parsed anew on every call, and the PC's check and
 * the record come after it. Timed from a raw client on the simulated
 * board (2000 calls of each, interleaved, four runs), the script took
 * 52-68 µs beyond a bare `capture {curstate; get_reg}` with them inside,
 * 35-50 µs so.
 *
 * The poll reads the hart's halt state over JTAG; the PC of a halted hart
 * is OpenOCD's own (get_reg without -force): OpenOCD reads it from the
 * hart after every halt (the service's refresh of a halt reads it with
 * -force) and keeps it until the hart runs, and every write to it, GDB's
 * included, goes through OpenOCD. So State() of a target that stays
 * halted costs the poll alone. No type, breakpoints, GDB port or
 * watchpoints, and no dcsr (the record's fields are "-"): a record that
 * differs from the properties is published by a refresh
 * (ood_refresh_sync_async()), which reads the dcsr of the halt it counts.
 */
char *
ood_tcl_script_state (const char *target)
{
  /* {name type state pc pc-error breakpoints gdb-port dcsr watchpoints}:
   * as LIST_RECORD, with WITHOUT_TYPE's fields and no dcsr */
  return wrap_target (target, "capture {" STATE_OF_OOD_T "set ood_p {}; set ood_e {}; "
                              "if {$ood_s eq {halted} && "
                              "[catch {lindex [$ood_t get_reg {pc}] 1} ood_p]} "
                              "{set ood_e $ood_p; set ood_p {}}}; " CHECK_HALTED_OOD_P
                              "list $ood_t {} $ood_s $ood_p $ood_e - - - -");
}

/**
 * ood_tcl_script_refresh_halted:
 *
 * As ood_tcl_script_refresh_all() for an OpenOCD with the one target
 * @target, which OpenOCD's notification just said halted: the PC read
 * alone (one OpenOCD command) proves it, since a halted-only register read
 * fails on a running core (the dcsr comes in the same command). If it
 * fails, the target's state is asked for after all: the notification may be older than what happened since.
 * No breakpoint listing.
 */
char *
ood_tcl_script_refresh_halted (const char *target)
{
  return wrap_target (target, WITHOUT_TYPE
                      "set ood_s halted; " PC_AND_DCSR_OF_OOD_T
                      "if {$ood_e ne {}} {" STATE_OF_OOD_T RECORD_FROM_OOD_S "} "
                      "else {" LIST_RECORD "}; list $ood_rec");
}

/* @command runs under capture so that a failure yields OpenOCD's log text
 * rather than an empty result; the record follows only on success. */
static char *
control (const char *target, const char *precondition, const char *command, const char *then)
{
  g_autofree char *body = g_strdup_printf ("targets $ood_t; %scapture {%s}; %s" WITHOUT_TYPE
                                           RECORD_OF_OOD_T, precondition, command, then);
  return wrap_target (target, body);
}

/* Tells a GDB attached to $ood_t (the connection's current target) that
 * the target stopped, as OpenOCD's gdb_server does on a halted event: a
 * GDB waiting in `continue` gets its stop reply and reads the registers
 * afresh; one at its prompt is not disturbed. */
#define TELL_GDB "targets $ood_t; $ood_t arp_halt_gdb; "

/* Halting a halted target succeeds, so it is not asked to halt again:
 * one curstate instead of targets, capture, halt and curstate. */
static char *
halt (const char *target, const char *then)
{
  g_autofree char *body = g_strdup_printf (WITHOUT_TYPE STATE_OF_OOD_T
                                           "if {$ood_s ne {halted}} {targets $ood_t; "
                                           "capture {halt}; " STATE_OF_OOD_T "}; %s"
                                           RECORD_FROM_OOD_S, then);
  return wrap_target (target, body);
}

char *
ood_tcl_script_halt (const char *target)
{
  return halt (target, "");
}

/**
 * ood_tcl_script_halt_for_gdb:
 *
 * As ood_tcl_script_halt(), for a target GDB is attached to: GDB is told
 * of the halt also when the target was halted already (by a reset, say,
 * that OpenOCD announces to no GDB), so a GDB left waiting gets its
 * prompt back.
 */
char *
ood_tcl_script_halt_for_gdb (const char *target)
{
  return halt (target, TELL_GDB);
}

static const char *
bp_kind_flag (OodBreakpointKind kind)
{
  return kind == OOD_BP_HARDWARE ? " hw" : "";
}

/* Moves the PC to @address (on a halted target) and proves it: OpenOCD
 * only logs a PC it could not write ("Written PC ... does not match"), so
 * the PC is written with set_reg and read back. Leaves it in ood_pc. */
static char *
move_pc (guint64 address)
{
  return g_strdup_printf ("$ood_t set_reg {pc 0x%" G_GINT64_MODIFIER "x}; " PC_OF_OOD_T
                          "if {$ood_pc != 0x%" G_GINT64_MODIFIER "x} {error \"the PC reads "
                          "$ood_pc after writing 0x%" G_GINT64_MODIFIER "x to it\"}; ",
                          address, address, address);
}

/**
 * ood_tcl_script_resume:
 * @at_address: resume at @address rather than at the PC
 *
 * Resumes. A halted target starting on a breakpoint (whoever set it) is
 * stepped off it first; resuming at an address needs a halted target.
 */
char *
ood_tcl_script_resume (const char *target, gboolean at_address, guint64 address)
{
  g_autofree char *moved = at_address ? move_pc (address) : NULL;
  g_autofree char *body = NULL;

  if (at_address)
    body = g_strdup_printf ("targets $ood_t; " NEED_HALTED "%sset ood_c step; " STEP_FROM_OOD_PC
                            "capture resume; " WITHOUT_TYPE RECORD_OF_OOD_T, moved);
  else
    body = g_strdup ("targets $ood_t; set ood_c step; "
                     "if {[$ood_t curstate] eq {halted}} {" PC_OF_OOD_T STEP_FROM_OOD_PC "}; "
                     "capture resume; " WITHOUT_TYPE RECORD_OF_OOD_T);
  return wrap_target (target, body);
}

/**
 * ood_tcl_script_step:
 * @at_address: step from @address rather than from the PC
 *
 * One step of a halted target; starting on a breakpoint, that breakpoint
 * is lifted for the step and put back.
 */
char *
ood_tcl_script_step (const char *target, gboolean at_address, guint64 address)
{
  g_autofree char *moved = at_address ? move_pc (address) : g_strdup (PC_OF_OOD_T);
  g_autofree char *body = g_strdup_printf ("targets $ood_t; " NEED_HALTED "%sset ood_c step; "
                                           STEP_FROM_OOD_PC WITHOUT_TYPE RECORD_OF_OOD_T, moved);

  return wrap_target (target, body);
}

static const char *const reset_commands[] = {
  [OOD_RESET_HALT] = "reset halt",
  [OOD_RESET_RUN] = "reset run",
  [OOD_RESET_INIT] = "reset init",
};

char *
ood_tcl_script_reset (const char *target, OodResetMode mode)
{
  g_return_val_if_fail (mode <= OOD_RESET_INIT, NULL);
  return control (target, "", reset_commands[mode], "");
}

/**
 * ood_tcl_script_reset_for_gdb:
 * @mode: %OOD_RESET_HALT or %OOD_RESET_INIT
 *
 * A reset that leaves the target halted, for a target GDB is attached to.
 * OpenOCD 0.12 tells GDB of no reset: a GDB waiting in `continue` (the
 * target running) is told of the halt after it; a halted target is
 * refused with %OOD_TCL_GDB_HALTED_MARK, as GDB holds it at its prompt
 * and could not learn of the new PC.
 */
char *
ood_tcl_script_reset_for_gdb (const char *target, OodResetMode mode)
{
  g_return_val_if_fail (mode == OOD_RESET_HALT || mode == OOD_RESET_INIT, NULL);
  return control (target,
                  "if {[$ood_t curstate] eq {halted}} {error {" OOD_TCL_GDB_HALTED_MARK "}}; ",
                  reset_commands[mode], TELL_GDB);
}

/* What a breakpoint or watchpoint change checks and lists: OpenOCD's
 * listing command, the regexp whose last group is a listed address, and
 * the marks of a duplicate and of a missing one. */
typedef struct {
  const char *list;
  const char *pattern;
  const char *duplicate;
  const char *missing;
} PointKind;

static const PointKind breakpoint_kind = {
  "bp", "^(Breakpoint\\(IVA\\)|IVA breakpoint): (0x[0-9a-f]+),",
  OOD_TCL_DUPLICATE_MARK, OOD_TCL_NO_BREAKPOINT_MARK,
};

static const PointKind watchpoint_kind = {
  "wp", "^address: ()(0x[0-9a-f]+),",
  OOD_TCL_DUPLICATE_WP_MARK, OOD_TCL_NO_WATCHPOINT_MARK,
};

/* A breakpoint or watchpoint change on a halted target, checked against
 * OpenOCD's own list as the script runs (whoever set what is there):
 * whether it lists one at @address goes into ood_has. Answers the new
 * listing. */
static char *
change_of (const PointKind *kind, const char *target, guint64 address, gboolean adding,
           const char *command)
{
  g_autofree char *body = g_strdup_printf (
      "targets $ood_t; " NEED_HALTED
      "set ood_has 0; foreach ood_ln [split [%s] \\n] {"
      "if {[regexp {%s} $ood_ln -> ood_k ood_a] && $ood_a == 0x%" G_GINT64_MODIFIER "x} "
      "{set ood_has 1}}; "
      "if {%s$ood_has} {error {%s}}; capture {%s}; %s",
      kind->list, kind->pattern, address, adding ? "" : "!",
      adding ? kind->duplicate : kind->missing, command, kind->list);

  return wrap_target (target, body);
}

static char *
change (const char *target, guint64 address, gboolean adding, const char *command)
{
  return change_of (&breakpoint_kind, target, address, adding, command);
}

char *
ood_tcl_script_bp_add (const char *target, guint64 address, guint length, OodBreakpointKind kind)
{
  g_autofree char *command = g_strdup_printf ("bp 0x%" G_GINT64_MODIFIER "x %u%s",
                                              address, length, bp_kind_flag (kind));
  return change (target, address, TRUE, command);
}

char *
ood_tcl_script_bp_remove (const char *target, guint64 address)
{
  g_autofree char *command = g_strdup_printf ("rbp 0x%" G_GINT64_MODIFIER "x", address);
  return change (target, address, FALSE, command);
}

/* Removes every breakpoint of a halted target; answers the new listing. */
char *
ood_tcl_script_bp_remove_all (const char *target)
{
  return wrap_target (target, "targets $ood_t; " NEED_HALTED "capture {rbp all}; bp");
}

/* Answers OpenOCD's own listings of the target's breakpoints and
 * watchpoints, as the list {breakpoints watchpoints} (see
 * ood_tcl_parse_breakpoints() and ood_tcl_parse_watchpoints()). */
char *
ood_tcl_script_bp_list (const char *target)
{
  return wrap_target (target, "targets $ood_t; list [bp] [wp]");
}


char *
ood_tcl_script_wp_add (const char *target, guint64 address, guint length, OodWatchAccess access)
{
  static const char modes[] = { [OOD_WATCH_READ] = 'r', [OOD_WATCH_WRITE] = 'w',
                                [OOD_WATCH_ACCESS] = 'a' };
  g_autofree char *command = NULL;

  g_return_val_if_fail (access <= OOD_WATCH_ACCESS, NULL);
  command = g_strdup_printf ("wp 0x%" G_GINT64_MODIFIER "x %u %c", address, length,
                             modes[access]);
  return change_of (&watchpoint_kind, target, address, TRUE, command);
}

char *
ood_tcl_script_wp_remove (const char *target, guint64 address)
{
  g_autofree char *command = g_strdup_printf ("rwp 0x%" G_GINT64_MODIFIER "x", address);

  return change_of (&watchpoint_kind, target, address, FALSE, command);
}

/**
 * ood_tcl_script_probe_riscv:
 * @targets: names of RISC-V targets
 *
 * Reads each target's dmstatus, which fails when OpenOCD cannot reach the
 * target; answers one catch code per target (0: reached).
 */
char *
ood_tcl_script_probe_riscv (const char *const *targets)
{
  g_autoptr(GString) names = g_string_new ("[list");
  g_autofree char *body = NULL;

  for (guint i = 0; targets[i] != NULL; i++)
    {
      g_autofree char *quoted = ood_tcl_quote (targets[i]);
      g_string_append_printf (names, " %s", quoted);
    }
  g_string_append_c (names, ']');
  body = g_strdup_printf ("set ood_l {}; foreach ood_t %s {targets $ood_t; "
                          "lappend ood_l [catch {riscv dmi_read 0x11}]}; set ood_l", names->str);
  return wrap ("", body);
}
