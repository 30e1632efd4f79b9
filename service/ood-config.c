/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-config"

#include "ood-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENDPOINT_PREFIX "Endpoint "
#define PROBE_PREFIX    "Probe "
/* RFC 1035: a name of at most 253 characters, labels of 1 to 63 */
#define MAX_HOST_NAME 253
#define MAX_LABEL 63
/* What may be substituted for a placeholder, besides a first "-". */
#define VALUE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
#define PLACEHOLDERS "spvd%"

typedef enum {
  GROUP_ENDPOINT,
  GROUP_PROBE,
} GroupKind;

typedef struct {
  const char         *filename;
  guint               line;
  GPtrArray          *warnings;   /* (element-type utf8) */
  guint               n_warnings; /* this parse's, also those not kept */
  OodConfig          *config;
  GHashTable         *endpoint_names;  /* of config->endpoints, borrowed */
  GHashTable         *rule_names;      /* of config->probe_rules, borrowed */
  OodEndpointConfig  *endpoint;   /* [Endpoint] group being read, not yet checked */
  OodProbeRule       *rule;       /* [Probe] group being read, not yet checked */
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
  g_strfreev (config->exec_argv);
  g_free (config->shared_dir);
  g_free (config);
}

void
ood_probe_rule_free (OodProbeRule *rule)
{
  if (rule == NULL)
    return;
  g_free (rule->name);
  g_strfreev (rule->match);
  g_free (rule->model);
  g_strfreev (rule->exec_argv);
  g_free (rule);
}

void
ood_config_free (OodConfig *config)
{
  if (config == NULL)
    return;
  g_ptr_array_unref (config->endpoints);
  g_ptr_array_unref (config->probe_rules);
  g_free (config);
}

static OodConfig *
config_new (void)
{
  OodConfig *config = g_new0 (OodConfig, 1);

  config->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_endpoint_config_free);
  config->probe_rules = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_probe_rule_free);
  return config;
}

/* A DNS name: dot-separated labels of letters, digits and inner hyphens
 * (underscores too, which resolvers accept), optionally a final dot; the
 * last label not all digits, or it was meant as an IPv4 address. */
static gboolean
is_host_name (const char *host)
{
  gsize length = strlen (host);
  gsize label = 0;
  gboolean digits_only = TRUE;

  if (length > 0 && host[length - 1] == '.')
    length--;
  if (length == 0 || length > MAX_HOST_NAME)
    return FALSE;
  for (gsize i = 0; i <= length; i++)
    {
      char c = i < length ? host[i] : '.';

      if (c == '.')
        {
          if (label == 0 || label > MAX_LABEL || host[i - 1] == '-')
            return FALSE;
          if (i < length)
            digits_only = TRUE;
          label = 0;
          continue;
        }
      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return FALSE;
      if (label == 0 && c == '-')
        return FALSE;
      digits_only &= g_ascii_isdigit (c);
      label++;
    }
  return !digits_only;
}

/* Why @host is not an IPv4 literal, an [IPv6] literal or a DNS name, or
 * %NULL if it is one of them. */
static const char *
check_host (const char *host, gsize length)
{
  g_autofree char *copy = g_strndup (host, length);
  g_autoptr(GInetAddress) inet = NULL;

  if (length == 0)
    return "the host is empty";
  if (host[0] == '[')
    {
      if (length < 3 || host[length - 1] != ']')
        return "an IPv6 address goes in brackets, as [::1]:6666";
      copy[length - 1] = '\0';
      inet = g_inet_address_new_from_string (copy + 1);
      if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
        return "the host in brackets is not an IPv6 address";
      return NULL;
    }
  if (strchr (copy, ':') != NULL)
    return "an IPv6 address goes in brackets, as [::1]:6666";
  if (strspn (copy, "0123456789.") == length)
    {
      inet = g_inet_address_new_from_string (copy);
      return inet != NULL ? NULL : "the host is not an IPv4 address";
    }
  if (!is_host_name (copy))
    return "the host is not a host name (letters, digits, '-' and '.')";
  return NULL;
}

/**
 * ood_config_check_address:
 * @address: "HOST:PORT": HOST an IPv4 address, a host name or an IPv6
 *   address in brackets; PORT decimal, 1 to 65535
 *
 * Strict, so that a typo ("a b:80", "http://host:80", "::1:6666") is
 * refused where it is written rather than retried forever.
 *
 * Returns: whether @address can be connected to
 */
gboolean
ood_config_check_address (const char *address, GError **error)
{
  const char *colon = strrchr (address, ':');
  const char *why = NULL;
  guint64 port = 0;

  if (colon == NULL)
    why = "no :PORT";
  else if (!g_ascii_isdigit (colon[1]) ||
           !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    why = "the port must be a number from 1 to 65535";
  else
    why = check_host (address, (gsize) (colon - address));
  if (why == NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "'%s' is not HOST:PORT: %s", address, why);
  return FALSE;
}

/**
 * ood_config_address_is_local:
 * @address: a valid "host:port"
 *
 * Returns: whether the host is this machine by name (localhost) or by a
 *   loopback address, so that OpenOCD there reads this host's files
 */
gboolean
ood_config_address_is_local (const char *address)
{
  const char *colon = strrchr (address, ':');
  g_autofree char *host = g_strndup (address, colon != NULL ? (gsize) (colon - address) : strlen (address));
  g_autoptr(GInetAddress) inet = NULL;

  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      memmove (host, host + 1, strlen (host));
      host[strlen (host) - 1] = '\0';
    }
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  inet = g_inet_address_new_from_string (host);
  return inet != NULL && g_inet_address_get_is_loopback (inet);
}

/* Keeps the first OOD_CONFIG_MAX_WARNINGS warnings of a parse; the others
 * are only counted, so a file of junk costs no more than a few lines. */
static void G_GNUC_PRINTF (2, 3)
warn (Parser *parser, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (parser->n_warnings++ >= OOD_CONFIG_MAX_WARNINGS)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (parser->warnings,
                   g_strdup_printf ("%s:%u: %s", parser->filename, parser->line, message));
}

/* Keeps the [Endpoint] group just read if it has exactly one of Address
 * and Exec. */
static void
end_endpoint (Parser *parser, OodEndpointConfig *config)
{
  if (config->address == NULL && config->exec_argv == NULL)
    warn (parser, "endpoint '%s' has no Address or Exec; ignored", config->name);
  else if (config->address != NULL && config->exec_argv != NULL)
    warn (parser, "endpoint '%s' has both Address and Exec; ignored", config->name);
  else
    {
      g_ptr_array_add (parser->config->endpoints, config);
      g_hash_table_add (parser->endpoint_names, config->name);
      return;
    }
  ood_endpoint_config_free (config);
}

/* Keeps the [Probe] group just read if it has a Match. */
static void
end_rule (Parser *parser, OodProbeRule *rule)
{
  if (rule->match == NULL)
    {
      warn (parser, "probe rule '%s' has no Match; ignored", rule->name);
      ood_probe_rule_free (rule);
      return;
    }
  g_ptr_array_add (parser->config->probe_rules, rule);
  g_hash_table_add (parser->rule_names, rule->name);
}

/* Keeps the group just read if it is complete; its warnings name the
 * line of its header. */
static void
end_group (Parser *parser)
{
  guint line = parser->line;

  parser->line = parser->current_line;
  if (parser->endpoint != NULL)
    end_endpoint (parser, g_steal_pointer (&parser->endpoint));
  if (parser->rule != NULL)
    end_rule (parser, g_steal_pointer (&parser->rule));
  parser->line = line;
}

static const struct {
  GroupKind   kind;
  const char *prefix;
  const char *what;
} groups[] = {
  { GROUP_ENDPOINT, ENDPOINT_PREFIX, "endpoint" },
  { GROUP_PROBE, PROBE_PREFIX, "probe rule" },
};

/* The name of group header @line and its @kind, or %NULL with a warning. */
static char *
group_name (Parser *parser, const char *line, GroupKind *kind)
{
  const char *close = strchr (line, ']');
  g_autofree char *group = NULL;
  g_autofree char *name = NULL;
  gsize i = 0;

  if (close == NULL || close[1] != '\0')
    {
      warn (parser, "malformed group header");
      return NULL;
    }
  group = g_strndup (line + 1, (gsize) (close - line - 1));
  while (i < G_N_ELEMENTS (groups) && !g_str_has_prefix (group, groups[i].prefix))
    i++;
  if (i == G_N_ELEMENTS (groups))
    {
      warn (parser, "unknown group [%s]; expected [Endpoint NAME] or [Probe NAME]", group);
      return NULL;
    }
  *kind = groups[i].kind;
  name = g_strstrip (g_strdup (group + strlen (groups[i].prefix)));
  if (name[0] == '\0')
    warn (parser, "%s without a name", groups[i].what);
  else if (g_hash_table_contains (*kind == GROUP_ENDPOINT ? parser->endpoint_names
                                                          : parser->rule_names, name))
    warn (parser, "%s '%s' is defined twice; the first one counts", groups[i].what, name);
  else
    return g_steal_pointer (&name);
  return NULL;
}

static void
start_group (Parser *parser, const char *line)
{
  GroupKind kind = GROUP_ENDPOINT;
  char *name;

  end_group (parser);
  name = group_name (parser, line, &kind);
  parser->skipping = name == NULL;
  if (name == NULL)
    return;
  if (kind == GROUP_ENDPOINT)
    {
      parser->endpoint = g_new0 (OodEndpointConfig, 1);
      parser->endpoint->name = name;
    }
  else
    {
      parser->rule = g_new0 (OodProbeRule, 1);
      parser->rule->name = name;
    }
  parser->current_line = parser->line;
}

/* Why the placeholders of @word are wrong, or %NULL. */
static const char *
check_placeholders (const char *word)
{
  for (const char *p = strchr (word, '%'); p != NULL; p = strchr (p + 2, '%'))
    {
      if (p[1] == '\0')
        return "a word ends in a lone '%'; write %% for a '%'";
      if (strchr (PLACEHOLDERS, p[1]) == NULL)
        return "unknown placeholder; known are %s (serial), %p (USB path), %v (vendor ID), "
               "%d (product ID) and %% (a '%')";
    }
  return NULL;
}

/* The words of Exec= @value, or %NULL with a warning. With @placeholders
 * (a [Probe] group) every word but the program is checked for them. */
static char **
parse_exec (Parser *parser, const char *value, gboolean placeholders)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  const char *why = NULL;

  if (!g_shell_parse_argv (value, NULL, &argv, &error))
    {
      warn (parser, "Exec: %s", error->message);
      return NULL;
    }
  if (argv[0][0] == '\0')
    why = "the program is empty";
  else if (strchr (argv[0], '/') != NULL && !g_path_is_absolute (argv[0]))
    why = "the program must be an absolute path or a name to look up in PATH";
  else if (placeholders && strchr (argv[0], '%') != NULL)
    why = "the program takes no placeholder";
  for (guint i = 1; placeholders && why == NULL && argv[i] != NULL; i++)
    why = check_placeholders (argv[i]);
  if (why == NULL)
    return g_steal_pointer (&argv);
  warn (parser, "Exec: %s", why);
  return NULL;
}

/* The words of Match= @value, each "KEY=VALUE", or %NULL with a warning. */
static char **
parse_match (Parser *parser, const char *value)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_shell_parse_argv (value, NULL, &words, &error))
    {
      warn (parser, "Match: %s", error->message);
      return NULL;
    }
  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize key_length = strspn (words[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789_");
      if (key_length == 0 || words[i][key_length] != '=')
        {
          warn (parser, "Match: '%s' is not KEY=VALUE (a udev property, as ID_VENDOR_ID=0483)",
                words[i]);
          return NULL;
        }
    }
  return g_steal_pointer (&words);
}

/* Sets *@field to @value (taken) unless it is %NULL, a value already
 * refused with a warning. */
static void
replace_words (char ***field, char **value)
{
  if (value == NULL)
    return;
  g_strfreev (*field);
  *field = value;
}

/* Sets *@field from boolean @value: true, yes or 1; false, no or 0. */
static void
parse_bool (Parser *parser, const char *key, const char *value, gboolean *field)
{
  static const char *const yes[] = { "true", "yes", "1", NULL };
  static const char *const no[] = { "false", "no", "0", NULL };

  if (g_strv_contains (yes, value))
    *field = TRUE;
  else if (g_strv_contains (no, value))
    *field = FALSE;
  else
    warn (parser, "%s must be true or false, not '%s'", key, value);
}

static void
set_endpoint_key (Parser *parser, const char *key, const char *value)
{
  OodEndpointConfig *config = parser->endpoint;
  g_autoptr(GError) error = NULL;

  if (g_str_equal (key, "SharedDirectory"))
    {
      if (!g_path_is_absolute (value))
        warn (parser, "SharedDirectory must be an absolute path");
      else
        {
          g_free (config->shared_dir);
          config->shared_dir = g_strdup (value);
        }
    }
  else if (g_str_equal (key, "Exec"))
    replace_words (&config->exec_argv, parse_exec (parser, value, FALSE));
  else if (g_str_equal (key, "AllowRawCommands"))
    parse_bool (parser, key, value, &config->allow_raw);
  else if (!g_str_equal (key, "Address"))
    warn (parser, "unknown key '%s'", key);
  else if (!ood_config_check_address (value, &error))
    warn (parser, "%s", error->message);
  else
    {
      g_free (config->address);
      config->address = g_strdup (value);
    }
}

static void
set_rule_key (Parser *parser, const char *key, const char *value)
{
  OodProbeRule *rule = parser->rule;

  if (g_str_equal (key, "Match"))
    replace_words (&rule->match, parse_match (parser, value));
  else if (g_str_equal (key, "Exec"))
    replace_words (&rule->exec_argv, parse_exec (parser, value, TRUE));
  else if (!g_str_equal (key, "Model"))
    warn (parser, "unknown key '%s'", key);
  else if (value[0] == '\0')
    warn (parser, "Model is empty");
  else
    {
      g_free (rule->model);
      rule->model = g_strdup (value);
    }
}

static void
set_key (Parser *parser, const char *line)
{
  const char *equals = strchr (line, '=');
  g_autofree char *key = NULL;
  g_autofree char *value = NULL;

  if (equals == NULL)
    {
      warn (parser, "expected Key=Value");
      return;
    }
  if (parser->skipping)
    return;
  key = g_strstrip (g_strndup (line, (gsize) (equals - line)));
  value = g_strstrip (g_strdup (equals + 1));
  if (parser->endpoint != NULL)
    set_endpoint_key (parser, key, value);
  else if (parser->rule != NULL)
    set_rule_key (parser, key, value);
  else
    warn (parser, "key outside an [Endpoint NAME] or [Probe NAME] group");
}

/* One line, without its newline: anything but a group header or a key is
 * skipped. A NUL byte or invalid UTF-8 costs the line, not the rest. */
static void
parse_line (Parser *parser, const char *start, gsize length)
{
  g_autofree char *copy = NULL;
  char *line;

  if (memchr (start, '\0', length) != NULL)
    {
      warn (parser, "contains a NUL byte; line ignored");
      return;
    }
  copy = g_strndup (start, length);
  line = g_strstrip (copy);
  if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
    return;
  if (!g_utf8_validate (line, -1, NULL))
    warn (parser, "not valid UTF-8; line ignored");
  else if (line[0] == '[')
    start_group (parser, line);
  else
    set_key (parser, line);
}

/**
 * ood_config_parse:
 * @text: the file's contents, not necessarily NUL-terminated, and perhaps
 *   holding NUL bytes
 * @length: of @text in bytes
 * @filename: for messages
 * @warnings: (element-type utf8): gets one "FILE:LINE: message" per
 *   problem, the first OOD_CONFIG_MAX_WARNINGS of them, then one
 *   "FILE: N more problems" if there were more
 *
 * Returns: (transfer full): the valid endpoints and probe rules, in file
 *   order
 */
OodConfig *
ood_config_parse (const char *text, gsize length, const char *filename, GPtrArray *warnings)
{
  g_autoptr(GHashTable) endpoint_names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) rule_names = g_hash_table_new (g_str_hash, g_str_equal);
  Parser parser = {
    .filename = filename,
    .warnings = warnings,
    .config = config_new (),
    .endpoint_names = endpoint_names,
    .rule_names = rule_names,
  };
  gsize offset = 0;

  while (offset < length)
    {
      const char *start = text + offset;
      const char *newline = memchr (start, '\n', length - offset);
      gsize line_length = newline != NULL ? (gsize) (newline - start) : length - offset;

      parser.line++;
      parse_line (&parser, start, line_length);
      offset += line_length + 1;
    }
  end_group (&parser);
  if (parser.n_warnings > OOD_CONFIG_MAX_WARNINGS)
    g_ptr_array_add (warnings, g_strdup_printf ("%s: %u more problems not shown", filename,
                                                parser.n_warnings - OOD_CONFIG_MAX_WARNINGS));
  return parser.config;
}

static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

/* Reads up to OOD_CONFIG_MAX_BYTES + 1 bytes of @fd, an open regular file. */
static gboolean
read_capped (int fd, const char *path, char **text, gsize *length, GError **error)
{
  g_autofree char *buffer = g_malloc (OOD_CONFIG_MAX_BYTES + 2);
  gsize done = 0;

  while (done <= OOD_CONFIG_MAX_BYTES)
    {
      gssize n = read (fd, buffer + done, OOD_CONFIG_MAX_BYTES + 1 - done);
      int saved = errno;

      if (n < 0 && saved == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "cannot read %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      done += (gsize) n;
    }
  if (done > OOD_CONFIG_MAX_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "cannot read %s: it is larger than %u bytes, the limit of a configuration file",
                   path, (guint) OOD_CONFIG_MAX_BYTES);
      return FALSE;
    }
  buffer[done] = '\0';
  *text = g_realloc (g_steal_pointer (&buffer), done + 1);
  *length = done;
  return TRUE;
}

/**
 * ood_config_read:
 * @path: the configuration file
 * @text: (out): its contents, NUL-terminated (and perhaps holding NULs)
 * @length: (out): of @text
 *
 * Reads @path if it is a regular file of at most OOD_CONFIG_MAX_BYTES. It
 * never blocks on a FIFO or a device: it is opened non-blocking and
 * refused, as anything but a regular file is. May block on a slow file
 * system, so the daemon calls it before its main loop runs or in a worker.
 *
 * Returns: whether @text was read; every error message names @path
 */
gboolean
ood_config_read (const char *path, char **text, gsize *length, GError **error)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  int saved = errno;
  struct stat info;
  gboolean ok = FALSE;

  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot read %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &info) != 0)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot read %s: %s",
                   path, g_strerror (saved));
    }
  else if (!S_ISREG (info.st_mode))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                 "cannot read %s: it is %s, not a regular file (for no endpoints, give an empty file)",
                 path, file_kind (info.st_mode));
  else if (info.st_size > OOD_CONFIG_MAX_BYTES)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                 "cannot read %s: it has %" G_GINT64_FORMAT " bytes, more than the limit of %u",
                 path, (gint64) info.st_size, (guint) OOD_CONFIG_MAX_BYTES);
  else
    ok = read_capped (fd, path, text, length, error);
  close (fd);
  return ok;
}

/**
 * ood_config_load:
 * @path: the configuration file, read by ood_config_read()
 *
 * Returns: (transfer full): as ood_config_parse(), or %NULL if the file
 *   cannot be read
 */
OodConfig *
ood_config_load (const char *path, GPtrArray *warnings, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!ood_config_read (path, &text, &length, error))
    return NULL;
  return ood_config_parse (text, length, path, warnings);
}

typedef struct {
  OodConfig *config;
  GPtrArray *warnings;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_clear_pointer (&loaded->config, ood_config_free);
  g_clear_pointer (&loaded->warnings, g_ptr_array_unref);
  g_free (loaded);
}

/* In a worker thread: nothing here touches a main context or logs. */
static void
load_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Loaded *loaded = g_new0 (Loaded, 1);
  GError *error = NULL;

  (void) source;
  (void) cancellable;
  loaded->warnings = g_ptr_array_new_with_free_func (g_free);
  loaded->config = ood_config_load (task_data, loaded->warnings, &error);
  if (loaded->config == NULL)
    {
      loaded_free (loaded);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, loaded, (GDestroyNotify) loaded_free);
}

/**
 * ood_config_load_async:
 *
 * As ood_config_load(), in a worker thread, so that a slow file system
 * holds up nothing; @callback runs on the thread-default main context.
 */
void
ood_config_load_async (const char *path, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, ood_config_load_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_in_thread);
}

/**
 * ood_config_load_finish:
 * @warnings: (out) (transfer full) (element-type utf8): as
 *   ood_config_parse() gives them; set only on success
 *
 * Returns: (transfer full): as ood_config_load()
 */
OodConfig *
ood_config_load_finish (GAsyncResult *result, GPtrArray **warnings, GError **error)
{
  Loaded *loaded;
  OodConfig *config;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ood_config_load_async, NULL);
  loaded = g_task_propagate_pointer (G_TASK (result), error);
  if (loaded == NULL)
    return NULL;
  config = g_steal_pointer (&loaded->config);
  *warnings = g_steal_pointer (&loaded->warnings);
  loaded_free (loaded);
  return config;
}

/**
 * ood_probe_rule_matches:
 *
 * Returns: whether @probe has every udev property of @rule's Match with
 *   exactly its value
 */
gboolean
ood_probe_rule_matches (const OodProbeRule *rule, const OodUsbProbe *probe)
{
  for (guint i = 0; rule->match[i] != NULL; i++)
    {
      const char *equals = strchr (rule->match[i], '=');
      g_autofree char *key = g_strndup (rule->match[i], (gsize) (equals - rule->match[i]));

      if (g_strcmp0 (ood_usb_probe_get_property (probe, key), equals + 1) != 0)
        return FALSE;
    }
  return TRUE;
}

/**
 * ood_probe_rules_find:
 * @rules: (element-type OodProbeRule) (nullable): as #OodConfig has them
 *
 * Returns: (nullable): the first rule that @probe matches
 */
const OodProbeRule *
ood_probe_rules_find (GPtrArray *rules, const OodUsbProbe *probe)
{
  for (guint i = 0; rules != NULL && i < rules->len; i++)
    if (ood_probe_rule_matches (rules->pdata[i], probe))
      return rules->pdata[i];
  return NULL;
}

/* Whether @value may be substituted: see ood-config.h. */
static gboolean
is_safe_value (const char *value)
{
  gsize length = strlen (value);

  return length > 0 && length <= OOD_CONFIG_MAX_VALUE && value[0] != '-' &&
         strspn (value, VALUE_CHARS) == length;
}

/* @value, or %NULL with @error saying why it may not be substituted. */
static const char *
safe_value (const char *what, const char *value, GError **error)
{
  g_autofree char *shown = NULL;

  if (is_safe_value (value))
    return value;
  if (value[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the probe has no %s", what);
      return NULL;
    }
  shown = g_strescape (value, NULL);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "the probe's %s \"%.*s%s\" is not 1 to %u characters of A-Z a-z 0-9 . _ : - "
               "without a leading -", what, 64, shown, strlen (shown) > 64 ? "…" : "",
               (guint) OOD_CONFIG_MAX_VALUE);
  return NULL;
}

/* What placeholder %@c stands for with @probe, or %NULL with @error. */
static char *
placeholder_value (char c, const OodUsbProbe *probe, GError **error)
{
  switch (c)
    {
    case 's':
      return g_strdup (safe_value ("serial", probe->serial, error));
    case 'p':
      return g_strdup (safe_value ("USB path", probe->usb_path, error));
    case 'v':
      return g_strdup_printf ("%04x", probe->vendor_id);
    case 'd':
      return g_strdup_printf ("%04x", probe->product_id);
    case '%':
      return g_strdup ("%");
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "unknown placeholder '%%%c'", c != '\0' ? c : ' ');
      return NULL;
    }
}

/* @word with its placeholders replaced by @probe's values, or %NULL. */
static char *
substitute (const char *word, const OodUsbProbe *probe, GError **error)
{
  g_autoptr(GString) result = g_string_new (NULL);

  for (const char *p = word; *p != '\0'; p++)
    {
      g_autofree char *value = NULL;

      if (*p != '%')
        {
          g_string_append_c (result, *p);
          continue;
        }
      value = placeholder_value (*++p, probe, error);
      if (value == NULL)
        return NULL;
      g_string_append (result, value);
    }
  return g_string_free (g_steal_pointer (&result), FALSE);
}

/**
 * ood_probe_rule_endpoint:
 * @rule: a rule @probe matches
 *
 * The endpoint that runs @rule's Exec for @probe: named "RULE-SERIAL", or
 * "RULE-USBPATH" when the serial is empty or not a safe value, and its
 * argv with the placeholders replaced word by word. Pure: it looks at
 * nothing but its arguments.
 *
 * Returns: (transfer full) (nullable): the endpoint, with exec_argv and
 *   no address; %NULL with @error (G_IO_ERROR_INVALID_DATA) if a value
 *   the Exec uses is not safe to substitute, or if @rule has no Exec
 *   (G_IO_ERROR_NOT_FOUND)
 */
OodEndpointConfig *
ood_probe_rule_endpoint (const OodProbeRule *rule, const OodUsbProbe *probe, GError **error)
{
  g_autoptr(OodEndpointConfig) config = NULL;
  guint n;

  if (rule->exec_argv == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "probe rule '%s' has no Exec", rule->name);
      return NULL;
    }
  n = g_strv_length (rule->exec_argv);
  config = g_new0 (OodEndpointConfig, 1);
  config->name = g_strdup_printf ("%s-%s", rule->name,
                                  is_safe_value (probe->serial) ? probe->serial : probe->usb_path);
  config->exec_argv = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    if ((config->exec_argv[i] = substitute (rule->exec_argv[i], probe, error)) == NULL)
      {
        g_prefix_error (error, "probe rule '%s': ", rule->name);
        return NULL;
      }
  return g_steal_pointer (&config);
}
