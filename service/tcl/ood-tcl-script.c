/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tcl"

#include "ood-tcl-script.h"

/*
 * Every OpenOCD command a script runs costs more than its own work:
 * OpenOCD 0.12 runs its timer callbacks, and so polls every target over
 * JTAG, before each command it dispatches (jim_command_dispatch ->
 * target_call_timer_callbacks_now). Tcl built-ins (set, if, catch, list,
 * format) cost nothing of the kind. So the scripts below run as few
 * OpenOCD commands as they can: a target's type, which never changes, is
 * asked for only when a caller needs it (ood_ty is left empty otherwise).
 * The state is always asked for, even when the PC is read too: a PC read
 * that works proves the halt on RISC-V, but not every OpenOCD target
 * driver refuses register reads on a running core.
 */

/* Leaves the state of target $ood_t in ood_s. */
#define STATE_OF_OOD_T "set ood_s [$ood_t curstate]; "

/* Leaves in ood_rec the record of target $ood_t, in state $ood_s and of
 * type $ood_ty: {name type state pc pc-error}; pc only when halted, read
 * with -force so that OpenOCD reads the hart rather than its cache. */
#define RECORD_FROM_OOD_S \
  "set ood_p {}; set ood_e {}; " \
  "if {$ood_s eq {halted}} {" \
  "if {[catch {lindex [$ood_t get_reg -force {pc}] 1} ood_p]} {set ood_e $ood_p; set ood_p {}}; " \
  "if {![string match 0x* $ood_p]} {set ood_e $ood_p; set ood_p {}}}; " \
  "set ood_rec [list $ood_t $ood_ty $ood_s $ood_p $ood_e]"

#define RECORD_OF_OOD_T STATE_OF_OOD_T RECORD_FROM_OOD_S

#define WITH_TYPE "set ood_ty [$ood_t cget -type]; "
#define WITHOUT_TYPE "set ood_ty {}; "

#define NEED_HALTED \
  "if {[$ood_t curstate] ne {halted}} {error {" OOD_TCL_NOT_HALTED_MARK "}}; "

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
 * @with_types: whether the records carry each target's type (one more
 *   OpenOCD command per target)
 *
 * A script answering the list of every target's record.
 */
char *
ood_tcl_script_refresh_all (gboolean with_types)
{
  g_autofree char *body = g_strdup_printf ("set ood_l {}; foreach ood_t [target names] {%s"
                                           RECORD_OF_OOD_T "; lappend ood_l $ood_rec}; set ood_l",
                                           with_types ? WITH_TYPE : WITHOUT_TYPE);
  return wrap ("", body);
}

char *
ood_tcl_script_state (const char *target)
{
  return wrap_target (target, WITHOUT_TYPE RECORD_OF_OOD_T);
}

/* @command runs under capture so that a failure yields OpenOCD's log text
 * rather than an empty result; the record follows only on success. */
static char *
control (const char *target, const char *precondition, const char *command)
{
  g_autofree char *body = g_strdup_printf ("targets $ood_t; %scapture {%s}; " WITHOUT_TYPE
                                           RECORD_OF_OOD_T, precondition, command);
  return wrap_target (target, body);
}

/* Halting a halted target succeeds, so it is not asked to halt again:
 * one curstate instead of targets, capture, halt and curstate. */
char *
ood_tcl_script_halt (const char *target)
{
  return wrap_target (target, WITHOUT_TYPE STATE_OF_OOD_T
                      "if {$ood_s ne {halted}} {targets $ood_t; capture {halt}; "
                      STATE_OF_OOD_T "}; " RECORD_FROM_OOD_S);
}

static const char *
bp_kind_flag (OodBreakpointKind kind)
{
  return kind == OOD_BP_HARDWARE ? " hw" : "";
}

/* One step from the current PC or from @address; starting on a
 * breakpoint of ours, "rbp A; step; bp A L" instead, since OpenOCD 0.12
 * would stop on that breakpoint again at once. */
static char *
one_step (gboolean at_address, guint64 address, const OodTclBreakpoint *over)
{
  g_autofree char *step = at_address ? g_strdup_printf ("step 0x%" G_GINT64_MODIFIER "x", address)
                                     : g_strdup ("step");

  if (over == NULL || over->length == 0)
    return g_steal_pointer (&step);
  return g_strdup_printf ("rbp 0x%" G_GINT64_MODIFIER "x; %s; bp 0x%" G_GINT64_MODIFIER "x %u%s",
                          over->address, step, over->address, over->length,
                          bp_kind_flag (over->kind));
}

char *
ood_tcl_script_resume (const char *target, gboolean at_address, guint64 address,
                       const OodTclBreakpoint *over)
{
  g_autofree char *command = NULL;

  if (over != NULL && over->length != 0)
    {
      g_autofree char *first = one_step (at_address, address, over);
      command = g_strdup_printf ("%s; resume", first);
    }
  else if (at_address)
    command = g_strdup_printf ("resume 0x%" G_GINT64_MODIFIER "x", address);
  else
    command = g_strdup ("resume");
  return control (target, "", command);
}

char *
ood_tcl_script_step (const char *target, gboolean at_address, guint64 address,
                     const OodTclBreakpoint *over)
{
  g_autofree char *command = one_step (at_address, address, over);

  return control (target, NEED_HALTED, command);
}

char *
ood_tcl_script_reset (const char *target, OodResetMode mode)
{
  static const char *const commands[] = {
    [OOD_RESET_HALT] = "reset halt",
    [OOD_RESET_RUN] = "reset run",
    [OOD_RESET_INIT] = "reset init",
  };

  g_return_val_if_fail (mode <= OOD_RESET_INIT, NULL);
  return control (target, "", commands[mode]);
}

/* A breakpoint change leaves the state as it was: no record is read. */
static char *
change (const char *target, const char *command)
{
  g_autofree char *body = g_strdup_printf ("targets $ood_t; capture {%s}", command);
  return wrap_target (target, body);
}

char *
ood_tcl_script_bp_add (const char *target, guint64 address, guint length, OodBreakpointKind kind)
{
  g_autofree char *command = g_strdup_printf ("bp 0x%" G_GINT64_MODIFIER "x %u%s",
                                              address, length, bp_kind_flag (kind));
  return change (target, command);
}

char *
ood_tcl_script_bp_remove (const char *target, guint64 address)
{
  g_autofree char *command = g_strdup_printf ("rbp 0x%" G_GINT64_MODIFIER "x", address);
  return change (target, command);
}

/* Answers OpenOCD's own listing of the target's breakpoints (see
 * ood_tcl_parse_breakpoints()). */
char *
ood_tcl_script_bp_list (const char *target)
{
  return wrap_target (target, "targets $ood_t; bp");
}
