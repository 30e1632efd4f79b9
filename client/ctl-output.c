/* SPDX-License-Identifier: MIT */
/* Human-readable and JSON output. */
#include "openocdctl.h"
#include "ood-state.h"

#include <stdio.h>

#define TARGET_ROW   "%-12s %-20s %-12s %-14s %s"
#define ENDPOINT_ROW "%-12s %-22s %-10s %s"

static void
json_escape (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/* Appends a comma unless @out is at the start of an object or array. */
static void
json_separate (GString *out)
{
  char last = out->len ? out->str[out->len - 1] : '\0';

  if (last != '\0' && last != '{' && last != '[' && last != ':')
    g_string_append_c (out, ',');
}

static void
json_key (GString *out, const char *key)
{
  json_separate (out);
  if (key == NULL)
    return;
  json_escape (out, key);
  g_string_append_c (out, ':');
}

/* @bracket is '{' or '['. */
void
ctl_json_begin (GString *out, char bracket)
{
  json_separate (out);
  g_string_append_c (out, bracket);
}

void
ctl_json_end (GString *out, char bracket)
{
  g_string_append_c (out, bracket == '{' ? '}' : ']');
}

void
ctl_json_string (GString *out, const char *key, const char *value)
{
  json_key (out, key);
  json_escape (out, value ? value : "");
}

void
ctl_json_number (GString *out, const char *key, guint64 value)
{
  json_key (out, key);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT, value);
}

void
ctl_json_bool (GString *out, const char *key, gboolean value)
{
  json_key (out, key);
  g_string_append (out, value ? "true" : "false");
}

/* Prints @line and a newline at once, so a reader of a pipe sees it. */
void
ctl_emit (GString *line)
{
  g_string_append_c (line, '\n');
  fwrite (line->str, 1, line->len, stdout);
  fflush (stdout);
}

static void
print_state (CtlContext *ctx, const char *name, const char *state, gboolean pc_valid, guint64 pc)
{
  g_autoptr(GString) line = g_string_new (NULL);

  if (ctx->json)
    {
      ctl_json_begin (line, '{');
      ctl_json_string (line, "name", name);
      ctl_json_string (line, "state", state);
      if (pc_valid)
        ctl_json_number (line, "current_pc", pc);
      ctl_json_end (line, '{');
    }
  else
    {
      g_string_append_printf (line, "%s: %s", name, state);
      if (pc_valid)
        g_string_append_printf (line, " pc=0x%" G_GINT64_MODIFIER "x", pc);
    }
  ctl_emit (line);
}

/* Prints a state dictionary as returned by the org.openocd.Target methods. */
int
ctl_print_state_dict (CtlContext *ctx, GVariant *dict)
{
  const char *name = NULL, *state = NULL;
  gboolean pc_valid = FALSE;
  guint64 pc = 0;

  if (!ood_state_dict_parse (dict, &name, &state, &pc_valid, &pc))
    {
      g_printerr ("%s: the service returned a malformed state\n", g_get_prgname ());
      return CTL_EXIT_FAILED;
    }
  print_state (ctx, name, state, pc_valid, pc);
  return CTL_EXIT_OK;
}

void
ctl_append_target_json (GString *out, OodDbusTarget *target)
{
  ctl_json_string (out, "endpoint", ood_dbus_target_get_endpoint (target));
  ctl_json_string (out, "name", ood_dbus_target_get_name (target));
  ctl_json_string (out, "type", ood_dbus_target_get_target_type (target));
  ctl_json_string (out, "state", ood_dbus_target_get_state (target));
  if (ood_dbus_target_get_current_pc_valid (target))
    ctl_json_number (out, "current_pc", ood_dbus_target_get_current_pc (target));
  ctl_json_string (out, "path", g_dbus_proxy_get_object_path (G_DBUS_PROXY (target)));
}

typedef void (*CtlRowFunc) (CtlContext *ctx,
                            GString    *out,
                            OodDbusObject  *object);

/* A table with @header, or a JSON array; @row appends one object's entry. */
static void
print_listing (CtlContext *ctx, GPtrArray *objects, const char *header, CtlRowFunc row)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (ctx->json)
    ctl_json_begin (out, '[');
  else
    g_string_append_printf (out, "%s\n", header);
  for (guint i = 0; i < objects->len; i++)
    row (ctx, out, objects->pdata[i]);
  if (ctx->json)
    ctl_json_end (out, '[');
  else
    g_string_truncate (out, out->len - 1);
  ctl_emit (out);
}

static void
append_target (CtlContext *ctx, GString *out, OodDbusObject *object)
{
  OodDbusTarget *target = ood_dbus_object_peek_target (object);
  g_autofree char *pc = NULL;

  if (ctx->json)
    {
      ctl_json_begin (out, '{');
      ctl_append_target_json (out, target);
      ctl_json_end (out, '{');
      return;
    }
  if (ood_dbus_target_get_current_pc_valid (target))
    pc = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", ood_dbus_target_get_current_pc (target));
  g_string_append_printf (out, TARGET_ROW "\n",
                          ood_dbus_target_get_endpoint (target), ood_dbus_target_get_name (target),
                          ood_dbus_target_get_target_type (target), ood_dbus_target_get_state (target),
                          pc ? pc : "-");
}

static void
append_endpoint (CtlContext *ctx, GString *out, OodDbusObject *object)
{
  OodDbusEndpoint *endpoint = ood_dbus_object_peek_endpoint (object);

  if (!ctx->json)
    {
      g_string_append_printf (out, ENDPOINT_ROW "\n",
                              ood_dbus_endpoint_get_name (endpoint),
                              ood_dbus_endpoint_get_address (endpoint),
                              ood_dbus_endpoint_get_connected (endpoint) ? "yes" : "no",
                              ood_dbus_endpoint_get_version (endpoint));
      return;
    }
  ctl_json_begin (out, '{');
  ctl_json_string (out, "name", ood_dbus_endpoint_get_name (endpoint));
  ctl_json_string (out, "address", ood_dbus_endpoint_get_address (endpoint));
  ctl_json_bool (out, "connected", ood_dbus_endpoint_get_connected (endpoint));
  ctl_json_string (out, "version", ood_dbus_endpoint_get_version (endpoint));
  ctl_json_end (out, '{');
}

/* @objects: OodObjects with a target; their cached properties are printed. */
void
ctl_print_targets (CtlContext *ctx, GPtrArray *objects)
{
  g_autofree char *header = g_strdup_printf (TARGET_ROW, "ENDPOINT", "NAME", "TYPE", "STATE", "PC");

  print_listing (ctx, objects, header, append_target);
}

/* @objects: OodObjects with an endpoint. */
void
ctl_print_endpoints (CtlContext *ctx, GPtrArray *objects)
{
  g_autofree char *header = g_strdup_printf (ENDPOINT_ROW, "NAME", "ADDRESS", "CONNECTED", "VERSION");

  print_listing (ctx, objects, header, append_endpoint);
}
