/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-config"

#include "ood-config.h"

#include <gio/gio.h>
#include <string.h>

#define GROUP_PREFIX "Endpoint "

typedef struct {
  const char         *filename;
  guint               line;
  GPtrArray          *warnings;   /* (element-type utf8) */
  GPtrArray          *endpoints;  /* (element-type OodEndpointConfig) */
  OodEndpointConfig *current;    /* group being read, not yet checked */
  guint               current_line;
  gboolean            skipping;   /* inside a group that is not ours */
} Parser;

void
ood_endpoint_config_free (OodEndpointConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->name);
  g_free (config->address);
  g_free (config);
}

/**
 * ood_config_check_address:
 * @address: "host:port", port 1 to 65535; an IPv6 host in brackets
 *
 * Returns: whether @address can be connected to
 */
gboolean
ood_config_check_address (const char *address, GError **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  const char *colon = strrchr (address, ':');
  guint64 port = 0;

  if (colon == NULL || colon == address ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not host:port with a port from 1 to 65535", address);
      return FALSE;
    }
  connectable = g_network_address_parse (address, 0, error);
  return connectable != NULL;
}

static void G_GNUC_PRINTF (2, 3)
warn (Parser *parser, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (parser->warnings,
                   g_strdup_printf ("%s:%u: %s", parser->filename, parser->line, message));
}

static gboolean
name_taken (Parser *parser, const char *name)
{
  for (guint i = 0; i < parser->endpoints->len; i++)
    if (g_str_equal (((OodEndpointConfig *) parser->endpoints->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

/* Keeps the group just read if it is complete. */
static void
end_group (Parser *parser)
{
  OodEndpointConfig *config = g_steal_pointer (&parser->current);
  guint line = parser->line;

  if (config == NULL)
    return;
  parser->line = parser->current_line;
  if (config->address == NULL)
    {
      warn (parser, "endpoint '%s' has no Address; ignored", config->name);
      ood_endpoint_config_free (config);
    }
  else
    g_ptr_array_add (parser->endpoints, config);
  parser->line = line;
}

/* The endpoint name of group header @line, or %NULL with a warning. */
static char *
group_name (Parser *parser, const char *line)
{
  const char *close = strchr (line, ']');
  g_autofree char *group = NULL;
  g_autofree char *name = NULL;

  if (close == NULL || close[1] != '\0')
    warn (parser, "malformed group header");
  else if (!g_str_has_prefix ((group = g_strndup (line + 1, (gsize) (close - line - 1))),
                              GROUP_PREFIX))
    warn (parser, "unknown group [%s]; expected [Endpoint NAME]", group);
  else if ((name = g_strstrip (g_strdup (group + strlen (GROUP_PREFIX))))[0] == '\0')
    warn (parser, "endpoint without a name");
  else if (name_taken (parser, name))
    warn (parser, "endpoint '%s' is defined twice; the first one counts", name);
  else
    return g_steal_pointer (&name);
  return NULL;
}

static void
start_group (Parser *parser, const char *line)
{
  char *name;

  end_group (parser);
  name = group_name (parser, line);
  parser->skipping = name == NULL;
  if (name == NULL)
    return;
  parser->current = g_new0 (OodEndpointConfig, 1);
  parser->current->name = name;
  parser->current_line = parser->line;
}

static void
set_key (Parser *parser, const char *line)
{
  const char *equals = strchr (line, '=');
  g_autofree char *key = NULL;
  g_autofree char *value = NULL;
  g_autoptr(GError) error = NULL;

  if (equals == NULL)
    {
      warn (parser, "expected Key=Value");
      return;
    }
  if (parser->skipping)
    return;
  key = g_strstrip (g_strndup (line, (gsize) (equals - line)));
  value = g_strstrip (g_strdup (equals + 1));
  if (parser->current == NULL)
    warn (parser, "key outside an [Endpoint NAME] group");
  else if (!g_str_equal (key, "Address"))
    warn (parser, "unknown key '%s'", key);
  else if (!ood_config_check_address (value, &error))
    warn (parser, "%s", error->message);
  else
    {
      g_free (parser->current->address);
      parser->current->address = g_steal_pointer (&value);
    }
}

/**
 * ood_config_parse:
 * @text: the file's contents
 * @filename: for messages
 * @warnings: (element-type utf8): gets one "FILE:LINE: message" per problem
 *
 * Returns: (transfer full) (element-type OodEndpointConfig): the valid
 *   endpoints, in file order
 */
GPtrArray *
ood_config_parse (const char *text, const char *filename, GPtrArray *warnings)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  Parser parser = {
    .filename = filename,
    .warnings = warnings,
    .endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_endpoint_config_free),
  };

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      parser.line = i + 1;
      if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
        continue;
      if (!g_utf8_validate (line, -1, NULL))
        warn (&parser, "not valid UTF-8");
      else if (line[0] == '[')
        start_group (&parser, line);
      else
        set_key (&parser, line);
    }
  end_group (&parser);
  return parser.endpoints;
}

/**
 * ood_config_load:
 * @path: the configuration file; a small local file, read at once
 *
 * Returns: (transfer full) (element-type OodEndpointConfig): as
 *   ood_config_parse(), or %NULL if the file cannot be read
 */
GPtrArray *
ood_config_load (const char *path, GPtrArray *warnings, GError **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  return ood_config_parse (text, path, warnings);
}
