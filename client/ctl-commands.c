/* SPDX-License-Identifier: MIT */
/* The commands acting on one target, and the listings. */
#include "openocdctl.h"

typedef gboolean (*CtlStateCall) (OodDbusTarget     *target,
                                  GVariant     **out_state,
                                  GCancellable  *cancellable,
                                  GError       **error);

static int
listing (CtlContext *ctx, int argc, char **argv, gboolean targets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objects = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL))
    return CTL_EXIT_USAGE;
  if (!ctl_connect (ctx, FALSE, &error))
    return ctl_failure (error);
  objects = ctl_list_objects (ctx, targets);
  if (targets)
    ctl_print_targets (ctx, objects);
  else
    ctl_print_endpoints (ctx, objects);
  return CTL_EXIT_OK;
}

int
ctl_cmd_list (CtlContext *ctx, int argc, char **argv)
{
  return listing (ctx, argc, argv, TRUE);
}

int
ctl_cmd_endpoints (CtlContext *ctx, int argc, char **argv)
{
  return listing (ctx, argc, argv, FALSE);
}

/* Runs a method that takes no argument and returns a state dictionary. */
static int
state_call (CtlContext *ctx, int argc, char **argv, CtlStateCall call)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL))
    return CTL_EXIT_USAGE;
  target = ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS);
  if (target == NULL)
    return CTL_EXIT_FAILED;
  if (!call (target, &state, NULL, &error))
    return ctl_failure (error);
  return ctl_print_state_dict (ctx, state);
}

int
ctl_cmd_state (CtlContext *ctx, int argc, char **argv)
{
  return state_call (ctx, argc, argv, ood_dbus_target_call_state_sync);
}

int
ctl_cmd_halt (CtlContext *ctx, int argc, char **argv)
{
  return state_call (ctx, argc, argv, ood_dbus_target_call_halt_sync);
}

/* Parses the optional ADDR of resume and step. */
static gboolean
optional_address (int argc, char **argv, gboolean *given, guint64 *address)
{
  g_autoptr(GError) error = NULL;

  *given = argc > 1;
  if (!*given || ctl_parse_number (argv[1], G_MAXUINT64, address, &error))
    return TRUE;
  ctl_usage_error ("%s", error->message);
  return FALSE;
}

int
ctl_cmd_resume (CtlContext *ctx, int argc, char **argv)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GError) error = NULL;
  gboolean at = FALSE;
  guint64 address = 0;
  gboolean ok;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL) ||
      !optional_address (argc, argv, &at, &address))
    return CTL_EXIT_USAGE;
  target = ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS);
  if (target == NULL)
    return CTL_EXIT_FAILED;
  if (at)
    ok = ood_dbus_target_call_resume_at_sync (target, address, NULL, &error);
  else
    ok = ood_dbus_target_call_resume_sync (target, NULL, &error);
  return ok ? CTL_EXIT_OK : ctl_failure (error);
}

int
ctl_cmd_step (CtlContext *ctx, int argc, char **argv)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  gboolean at = FALSE;
  guint64 address = 0;
  gboolean ok;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL) ||
      !optional_address (argc, argv, &at, &address))
    return CTL_EXIT_USAGE;
  target = ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS);
  if (target == NULL)
    return CTL_EXIT_FAILED;
  if (at)
    ok = ood_dbus_target_call_step_at_sync (target, address, &state, NULL, &error);
  else
    ok = ood_dbus_target_call_step_sync (target, &state, NULL, &error);
  if (!ok)
    return ctl_failure (error);
  return ctl_print_state_dict (ctx, state);
}

int
ctl_cmd_reset (CtlContext *ctx, int argc, char **argv)
{
  static const char *const modes[] = { "halt", "run", "init", NULL };
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GError) error = NULL;
  const char *mode = "";

  if (!ctl_parse_command (ctx, &argc, &argv, NULL))
    return CTL_EXIT_USAGE;
  if (argc > 1)
    mode = argv[1];
  if (argc > 1 && !g_strv_contains (modes, mode))
    return ctl_usage_error ("unknown reset mode '%s': expected halt, run or init", mode);
  target = ctl_open_target (ctx, CTL_CALL_TIMEOUT_MS);
  if (target == NULL)
    return CTL_EXIT_FAILED;
  if (!ood_dbus_target_call_reset_sync (target, mode, NULL, &error))
    return ctl_failure (error);
  return CTL_EXIT_OK;
}

int
ctl_cmd_wait_halt (CtlContext *ctx, int argc, char **argv)
{
  g_autoptr(OodDbusTarget) target = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  gint timeout_ms = 5000;
  const GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "How long to wait (default 5000)", "MS" },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries))
    return CTL_EXIT_USAGE;
  if (timeout_ms < 0)
    return ctl_usage_error ("--timeout must not be negative");
  /* The service takes 0 to mean its default of 5000 ms. */
  target = ctl_open_target (ctx, MIN (timeout_ms ? timeout_ms : 5000, G_MAXINT - 5000) + 5000);
  if (target == NULL)
    return CTL_EXIT_FAILED;
  if (!ood_dbus_target_call_wait_halt_sync (target, (guint) timeout_ms, &state, NULL, &error))
    return ctl_failure (error);
  return ctl_print_state_dict (ctx, state);
}
