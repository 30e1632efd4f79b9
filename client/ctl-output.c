/* SPDX-License-Identifier: MIT */
/*
 * Records and their two renderers, text and JSON, and the one path that
 * prints errors. Commands never print: they return a record.
 */
#include "openocdctl.h"
#include "ood-state.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static const GDBusErrorEntry ctl_error_entries[] = {
  { CTL_ERROR_USAGE, "org.openocd.ctl.Error.Usage" },
  { CTL_ERROR_NOT_RUNNING, "org.openocd.ctl.Error.NotRunning" },
  { CTL_ERROR_NO_SUCH_TARGET, "org.openocd.ctl.Error.NoSuchTarget" },
  { CTL_ERROR_AMBIGUOUS_TARGET, "org.openocd.ctl.Error.AmbiguousTarget" },
  { CTL_ERROR_NO_SUCH_ENDPOINT, "org.openocd.ctl.Error.NoSuchEndpoint" },
  { CTL_ERROR_FAILED, "org.openocd.ctl.Error.Failed" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (ctl_error_entries) == CTL_ERROR_FAILED + 1);

GQuark
ctl_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("ctl-error-quark", &quark, ctl_error_entries,
                                      G_N_ELEMENTS (ctl_error_entries));
  return (GQuark) quark;
}

int
ctl_exit_status (const GError *error)
{
  return g_error_matches (error, CTL_ERROR, CTL_ERROR_USAGE) ? CTL_EXIT_USAGE : CTL_EXIT_FAILED;
}

/* Writes @text and a newline at once, so that a reader of a pipe sees whole lines. */
static void
write_line (FILE *stream, const char *text)
{
  g_autofree char *line = g_strconcat (text, "\n", NULL);

  fwrite (line, 1, strlen (line), stream);
  fflush (stream);
}

/*
 * A double with at most 4 digits after the point, and at least one
 * ("0.3333", "0.5", "1.0"); null if it is no finite number. JsonGenerator
 * writes 17 significant digits ("0.33329999999999999").
 */
static void
append_json_double (GString *out, double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  gsize length;

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  g_ascii_formatd (text, sizeof text, "%.4f", value);
  length = strlen (text);
  while (text[length - 1] == '0' && text[length - 2] != '.')
    length--;
  g_string_append_len (out, text, (gssize) length);
}

/* Appends @node as JsonGenerator writes it without pretty printing, but
 * for doubles (append_json_double()). */
static void
append_json (GString *out, JsonNode *node)
{
  g_autoptr(GList) members = NULL;
  g_autofree char *leaf = NULL;
  JsonArray *array;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      members = json_object_get_members (json_node_get_object (node));
      g_string_append_c (out, '{');
      for (GList *l = members; l != NULL; l = l->next)
        {
          g_autoptr(JsonNode) name = json_node_init_string (json_node_alloc (), l->data);

          if (l != members)
            g_string_append_c (out, ',');
          append_json (out, name);
          g_string_append_c (out, ':');
          append_json (out, json_object_get_member (json_node_get_object (node), l->data));
        }
      g_string_append_c (out, '}');
      return;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          append_json (out, json_array_get_element (array, i));
        }
      g_string_append_c (out, ']');
      return;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        {
          append_json_double (out, json_node_get_double (node));
          return;
        }
      G_GNUC_FALLTHROUGH;
    case JSON_NODE_NULL:
    default:
      leaf = json_to_string (node, FALSE);
      g_string_append (out, leaf);
      return;
    }
}

static void
write_json (FILE *stream, JsonNode *node)
{
  g_autoptr(GString) text = g_string_new (NULL);

  append_json (text, node);
  write_line (stream, text->str);
}

/*
 * Prints @error on stderr: {"error":{"name":…,"message":…}} with --json,
 * else "openocdctl: [ShortName: ]message" (the short name for errors from
 * the service). A local error of another domain is named
 * org.openocd.ctl.Error.Failed. Returns the exit status.
 */
int
ctl_render_error (CtlContext *ctx, const GError *error)
{
  g_autoptr(GError) stripped = g_error_copy (error);
  /* The service's names (org.openocd.Error.*, org.freedesktop.DBus.Error.*)
   * and openocdctl's own (org.openocd.ctl.Error.*) are registered. */
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  const char *name = remote ? remote : ctl_error_entries[CTL_ERROR_FAILED].dbus_error_name;
  const char *prgname = g_get_prgname ();

  g_dbus_error_strip_remote_error (stripped);
  if (ctx->json || ctx->json_hint)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, name);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, stripped->message);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      write_json (stderr, root);
    }
  else if (g_error_matches (error, CTL_ERROR, CTL_ERROR_USAGE))
    g_printerr ("%s: %s\nTry \"%s --help\" for more information.\n",
                prgname, stripped->message, prgname);
  else if (remote != NULL && error->domain != CTL_ERROR && strrchr (remote, '.') != NULL)
    g_printerr ("%s: %s: %s\n", prgname, strrchr (remote, '.') + 1, stripped->message);
  else
    g_printerr ("%s: %s\n", prgname, stripped->message);
  return ctl_exit_status (error);
}

/* A remark for a person on stderr, such as "waiting for the service"; none with --json. */
void
ctl_notice (CtlContext *ctx, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (ctx->json)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", g_get_prgname (), message);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */

const CtlLayout ctl_layout_quiet = { CTL_LAYOUT_QUIET, NULL };

/* @node: (transfer full) (nullable) */
CtlRecord *
ctl_record_new (const CtlLayout *layout, JsonNode *node)
{
  CtlRecord *record = g_new0 (CtlRecord, 1);

  record->layout = layout;
  record->node = node;
  return record;
}

CtlRecord *
ctl_record_new_from_builder (const CtlLayout *layout, JsonBuilder *builder)
{
  return ctl_record_new (layout, json_builder_get_root (builder));
}

/* A record that prints nothing in either format (monitor's end). */
CtlRecord *
ctl_record_new_empty (void)
{
  return ctl_record_new (&ctl_layout_quiet, NULL);
}

void
ctl_record_free (CtlRecord *record)
{
  if (record == NULL)
    return;
  g_clear_pointer (&record->node, json_node_unref);
  g_free (record);
}

/*
 * JSON integers are signed 64 bits: an address of 2^63 or more is written
 * as its two's complement, a negative number. The text renderer prints the
 * unsigned value.
 */
void
ctl_build_uint (JsonBuilder *builder, const char *member, guint64 value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, (gint64) value);
}

void
ctl_build_string (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value ? value : "");
}

void
ctl_build_bool (JsonBuilder *builder, const char *member, gboolean value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

/* Adds the members describing @target, from its cached properties. */
void
ctl_build_target (JsonBuilder *builder, OodDbusTarget *target)
{
  ctl_build_string (builder, "endpoint", ood_dbus_target_get_endpoint (target));
  ctl_build_string (builder, "name", ood_dbus_target_get_name (target));
  ctl_build_string (builder, "type", ood_dbus_target_get_target_type (target));
  ctl_build_string (builder, "state", ood_dbus_target_get_state (target));
  if (ood_dbus_target_get_current_pc_valid (target))
    ctl_build_uint (builder, "current_pc", ood_dbus_target_get_current_pc (target));
  ctl_build_uint (builder, "gdb_port", ood_dbus_target_get_gdb_port (target));
  ctl_build_bool (builder, "gdb_attached", ood_dbus_target_get_gdb_attached (target));
  ctl_build_string (builder, "path", g_dbus_proxy_get_object_path (G_DBUS_PROXY (target)));
}

/* An array of the strings of @strv (NULL: none). */
void
ctl_build_strv (JsonBuilder *builder, const char *member, const char *const *strv)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (gsize i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
}

/* Adds every property of @endpoint (cached), and its path. */
void
ctl_build_endpoint (JsonBuilder *builder, OodDbusEndpoint *endpoint)
{
  ctl_build_string (builder, "name", ood_dbus_endpoint_get_name (endpoint));
  ctl_build_string (builder, "address", ood_dbus_endpoint_get_address (endpoint));
  ctl_build_bool (builder, "connected", ood_dbus_endpoint_get_connected (endpoint));
  ctl_build_string (builder, "last_error", ood_dbus_endpoint_get_last_error (endpoint));
  ctl_build_string (builder, "version", ood_dbus_endpoint_get_version (endpoint));
  ctl_build_strv (builder, "targets", ood_dbus_endpoint_get_targets (endpoint));
  ctl_build_strv (builder, "unreachable", ood_dbus_endpoint_get_unreachable (endpoint));
  ctl_build_string (builder, "origin", ood_dbus_endpoint_get_origin (endpoint));
  ctl_build_bool (builder, "supervised", ood_dbus_endpoint_get_supervised (endpoint));
  ctl_build_uint (builder, "pid", ood_dbus_endpoint_get_pid (endpoint));
  ctl_build_uint (builder, "restarts", ood_dbus_endpoint_get_restarts (endpoint));
  ctl_build_string (builder, "last_exit", ood_dbus_endpoint_get_last_exit (endpoint));
  ctl_build_string (builder, "lease", ood_dbus_endpoint_get_lease (endpoint));
  ctl_build_uint (builder, "lease_queue", ood_dbus_endpoint_get_lease_queue (endpoint));
  ctl_build_string (builder, "path", g_dbus_proxy_get_object_path (G_DBUS_PROXY (endpoint)));
}

/*
 * Adds every property of @probe, and "id" (the last element of its path),
 * "usb_id" ("0483:374b") and "endpoint", the name of the endpoint at
 * "endpoint_path" (its path if @manager does not know it; left out while
 * the path is "/").
 */
void
ctl_build_probe (JsonBuilder *builder, OodDbusProbe *probe, GDBusObjectManager *manager)
{
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (probe));
  const char *endpoint_path = ood_dbus_probe_get_endpoint (probe);
  guint16 vendor = ood_dbus_probe_get_vendor_id (probe);
  guint16 product = ood_dbus_probe_get_product_id (probe);
  g_autofree char *usb_id = g_strdup_printf ("%04x:%04x", vendor, product);

  ctl_build_string (builder, "id", strrchr (path, '/') + 1);
  ctl_build_uint (builder, "vendor_id", vendor);
  ctl_build_uint (builder, "product_id", product);
  ctl_build_string (builder, "usb_id", usb_id);
  ctl_build_string (builder, "serial", ood_dbus_probe_get_serial (probe));
  ctl_build_string (builder, "usb_path", ood_dbus_probe_get_usb_path (probe));
  ctl_build_string (builder, "model", ood_dbus_probe_get_model (probe));
  ctl_build_bool (builder, "accessible", ood_dbus_probe_get_accessible (probe));
  if (endpoint_path != NULL && !g_str_equal (endpoint_path, "/"))
    {
      g_autoptr(GDBusInterface) iface =
        g_dbus_object_manager_get_interface (manager, endpoint_path, CTL_IFACE_ENDPOINT);

      ctl_build_string (builder, "endpoint",
                        iface ? ood_dbus_endpoint_get_name (OOD_DBUS_ENDPOINT (iface)) : endpoint_path);
    }
  ctl_build_string (builder, "endpoint_path", endpoint_path);
  ctl_build_string (builder, "path", path);
}

/* Adds the members of a command that only succeeded: what, and on which target. */
void
ctl_build_done (JsonBuilder *builder, OodDbusTarget *target, const char *action)
{
  ctl_build_string (builder, "action", action);
  ctl_build_string (builder, "endpoint", ood_dbus_target_get_endpoint (target));
  ctl_build_string (builder, "name", ood_dbus_target_get_name (target));
}

/* "riscv.cpu: halted pc=0x80000010" */
static const CtlField state_fields[] = {
  { .member = "name" },
  { .member = "state", .prefix = ": " },
  { .member = "current_pc", .format = CTL_FORMAT_HEX, .prefix = " pc=" },
  { NULL }
};

static const CtlLayout state_layout = { CTL_LAYOUT_LINE, state_fields };

/* A state dictionary as returned by @target's org.openocd.Target methods:
 * {"endpoint":…,"name":…,"state":…[,"current_pc":N]} */
CtlRecord *
ctl_record_from_state_dict (OodDbusTarget *target, GVariant *dict, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *name = NULL, *state = NULL;
  gboolean pc_valid = FALSE;
  guint64 pc = 0;

  if (!ood_state_dict_parse (dict, &name, &state, &pc_valid, &pc))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED, "the service returned a malformed state");
      return NULL;
    }
  json_builder_begin_object (builder);
  ctl_build_string (builder, "endpoint", ood_dbus_target_get_endpoint (target));
  ctl_build_string (builder, "name", name);
  ctl_build_string (builder, "state", state);
  if (pc_valid)
    ctl_build_uint (builder, "current_pc", pc);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&state_layout, builder);
}

/* ------------------------------------------------------------------ */
/* The text renderer                                                   */

/* Whether @object's @member is there and true, non-zero or a non-empty string. */
static gboolean
member_is_set (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean (node);
    case G_TYPE_INT64:
      return json_node_get_int (node) != 0;
    case G_TYPE_STRING:
      return *json_node_get_string (node) != '\0';
    default:
      return TRUE;
    }
}

/* @us microseconds since the epoch as local time, to the second. */
static char *
local_time (gint64 us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

/* @field's value in @object as text, or NULL when it is absent. */
static char *
field_text (const CtlField *field, JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, field->member);
  const char *text;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) ||
      (field->when != NULL && !member_is_set (object, field->when)))
    return NULL;
  switch (field->format)
    {
    case CTL_FORMAT_STRING:
      text = json_node_get_string (node);
      if (text == NULL || (*text == '\0' && field->absent != NULL))
        return NULL;
      return g_strdup (text);
    case CTL_FORMAT_HEX:
      return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", (guint64) json_node_get_int (node));
    case CTL_FORMAT_DECIMAL:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) json_node_get_int (node));
    case CTL_FORMAT_BOOL:
      return g_strdup (json_node_get_boolean (node) ? field->yes : field->no);
    case CTL_FORMAT_REALTIME_US:
      return local_time (json_node_get_int (node));
    default:
      g_return_val_if_reached (NULL);
    }
}

/* Appends one line of @fields from @object, or of their headings if @object is NULL. */
static void
append_line (GString *out, const CtlField *fields, JsonObject *object)
{
  for (const CtlField *field = fields; field->member != NULL; field++)
    {
      g_autofree char *value = object ? field_text (field, object) : NULL;
      const char *text = object ? (value ? value : field->absent)
                                : (field->heading ? field->heading : "");

      if (text == NULL)
        continue;
      g_string_append (out, field->prefix ? field->prefix : "");
      g_string_append_printf (out, "%-*s", field->width, text);
    }
  g_string_append_c (out, '\n');
}

static gboolean
has_headings (const CtlField *fields)
{
  for (const CtlField *field = fields; field->member != NULL; field++)
    if (field->heading != NULL)
      return TRUE;
  return FALSE;
}

/*
 * xxd's format: "80000000: 1300 0000 6f00 c000  ....o...", 16 bytes a
 * line in pairs, the address in at least 8 hex digits, the bytes'
 * printable ASCII (others as '.') after the hex columns.
 */
static void
append_hexdump (GString *out, const CtlField *fields, JsonObject *object)
{
  guint64 address = (guint64) json_object_get_int_member_with_default (object, fields[0].member, 0);
  const char *hex = json_object_get_string_member_with_default (object, fields[1].member, "");
  gsize size = strlen (hex) / 2;

  for (gsize line = 0; line < size; line += 16)
    {
      gsize n = MIN (16, size - line);
      char ascii[17];

      g_string_append_printf (out, "%08" G_GINT64_MODIFIER "x: ", address + line);
      for (gsize i = 0; i < 16; i++)
        {
          if (i < n)
            {
              int value = g_ascii_xdigit_value (hex[2 * (line + i)]) * 16 +
                          g_ascii_xdigit_value (hex[2 * (line + i) + 1]);
              g_string_append_printf (out, "%02x", (guint) value);
              ascii[i] = g_ascii_isprint (value) ? (char) value : '.';
            }
          else
            g_string_append (out, "  ");
          if (i % 2 == 1)
            g_string_append_c (out, ' ');
        }
      ascii[n] = '\0';
      g_string_append_printf (out, " %s\n", ascii);
    }
}

/* "80000000: 00000297 02028593 …": 16 bytes' worth of words a line */
static void
append_words (GString *out, const CtlField *fields, JsonObject *object)
{
  guint64 address = (guint64) json_object_get_int_member_with_default (object, fields[0].member, 0);
  gint64 width = json_object_get_int_member_with_default (object, fields[1].member, 8);
  JsonArray *values = json_object_get_array_member (object, fields[2].member);
  guint per_line = (guint) MAX (128 / MAX (width, 8), 1);

  for (guint i = 0; values != NULL && i < json_array_get_length (values); i++)
    {
      if (i % per_line == 0)
        g_string_append_printf (out, "%s%08" G_GINT64_MODIFIER "x:", i > 0 ? "\n" : "",
                                address + i * (guint64) width / 8);
      g_string_append_printf (out, " %0*" G_GINT64_MODIFIER "x", (int) width / 4,
                              (guint64) json_array_get_int_element (values, i));
    }
  g_string_append_c (out, '\n');
}

static void
append_lines (GString *out, const CtlField *fields, JsonObject *object)
{
  JsonArray *lines = json_object_get_array_member (object, fields[0].member);

  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    g_string_append_printf (out, "%s\n", json_array_get_string_element (lines, i));
}

/* "FLASH.CR @ 0x40022010 = 0x00000080", then "  [7]      LOCK  1" or
 * "  [17:10]  DATA0  0xff (NAME)" per field */
static void
append_registers (GString *out, JsonArray *registers)
{
  for (guint i = 0; i < json_array_get_length (registers); i++)
    {
      JsonObject *reg = json_array_get_object_element (registers, i);
      JsonArray *fields = json_object_get_array_member (reg, "fields");
      guint digits = (guint) json_object_get_int_member (reg, "size") / 4;

      g_string_append_printf (out, "%s.%s @ 0x%08" G_GINT64_MODIFIER "x = 0x%0*" G_GINT64_MODIFIER
                              "x\n", json_object_get_string_member (reg, "peripheral"),
                              json_object_get_string_member (reg, "register"),
                              (guint64) json_object_get_int_member (reg, "address"), (int) digits,
                              (guint64) json_object_get_int_member (reg, "value"));
      for (guint j = 0; fields != NULL && j < json_array_get_length (fields); j++)
        {
          JsonObject *f = json_array_get_object_element (fields, j);
          gint64 msb = json_object_get_int_member (f, "msb"), lsb = json_object_get_int_member (f, "lsb");
          guint64 value = (guint64) json_object_get_int_member (f, "value");
          const char *name = json_object_get_string_member_with_default (f, "enum", NULL);
          g_autofree char *bits = msb == lsb ? g_strdup_printf ("[%" G_GINT64_FORMAT "]", lsb)
                                             : g_strdup_printf ("[%" G_GINT64_FORMAT ":%"
                                                                G_GINT64_FORMAT "]", msb, lsb);
          g_autofree char *shown = msb == lsb ? g_strdup_printf ("%" G_GUINT64_FORMAT, value)
                                              : g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", value);

          g_string_append_printf (out, "  %-8s %-12s %s%s%s%s\n", bits,
                                  json_object_get_string_member (f, "name"), shown,
                                  name ? " (" : "", name ? name : "", name ? ")" : "");
        }
    }
}

static void
render_text (const CtlLayout *layout, JsonNode *node)
{
  g_autoptr(GString) out = g_string_new (NULL);
  JsonArray *rows;

  switch (layout->kind)
    {
    case CTL_LAYOUT_QUIET:
      return;
    case CTL_LAYOUT_LINE:
      g_return_if_fail (JSON_NODE_HOLDS_OBJECT (node));
      append_line (out, layout->fields, json_node_get_object (node));
      break;
    case CTL_LAYOUT_TABLE:
      g_return_if_fail (JSON_NODE_HOLDS_ARRAY (node));
      rows = json_node_get_array (node);
      if (has_headings (layout->fields))
        append_line (out, layout->fields, NULL);
      for (guint i = 0; i < json_array_get_length (rows); i++)
        append_line (out, layout->fields, json_array_get_object_element (rows, i));
      break;
    case CTL_LAYOUT_HEXDUMP:
      g_return_if_fail (JSON_NODE_HOLDS_OBJECT (node));
      append_hexdump (out, layout->fields, json_node_get_object (node));
      break;
    case CTL_LAYOUT_WORDS:
      g_return_if_fail (JSON_NODE_HOLDS_OBJECT (node));
      append_words (out, layout->fields, json_node_get_object (node));
      break;
    case CTL_LAYOUT_LINES:
      g_return_if_fail (JSON_NODE_HOLDS_OBJECT (node));
      append_lines (out, layout->fields, json_node_get_object (node));
      break;
    case CTL_LAYOUT_REGISTERS:
      g_return_if_fail (JSON_NODE_HOLDS_ARRAY (node));
      append_registers (out, json_node_get_array (node));
      break;
    default:
      g_return_if_reached ();
    }
  if (out->len == 0)
    return;
  g_string_truncate (out, out->len - 1);
  write_line (stdout, out->str);
}

/* Prints @record on stdout, as JSON with --json, else as its layout says. */
void
ctl_render (CtlContext *ctx, const CtlRecord *record)
{
  if (record->node == NULL)
    return;
  if (ctx->json)
    write_json (stdout, record->node);
  else
    render_text (record->layout, record->node);
}
