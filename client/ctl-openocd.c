/* SPDX-License-Identifier: MIT */
/*
 * openocdctl raw, adapter, taps: OpenOCD itself behind an endpoint
 * (org.openocd.Endpoint's Command(), its adapter properties and
 * SetAdapterSpeed(), and its JTAG scan chain).
 */
#include "openocdctl.h"

/* "adapter: remote_bitbang, transport: jtag, speed (kHz): 4000" */
static const CtlField adapter_fields[] = {
  { .member = "adapter", .prefix = "adapter: ", .absent = "-" },
  { .member = "transport", .prefix = ", transport: ", .absent = "-" },
  { .member = "speed_khz", .format = CTL_FORMAT_DECIMAL, .prefix = ", speed (kHz): ",
    .absent = "unknown", .when = "speed_khz" },
  { NULL }
};

static const CtlLayout adapter_line = { CTL_LAYOUT_LINE, adapter_fields };

/* NAME ENABLED IDCODE EXPECTED IRLEN, as "%-24s %-8s %-10s %-10s %s" */
static const CtlField tap_fields[] = {
  { .member = "name", .width = 24, .heading = "NAME" },
  { .member = "enabled", .format = CTL_FORMAT_BOOL, .prefix = " ", .width = 8,
    .heading = "ENABLED", .yes = "yes", .no = "no" },
  { .member = "idcode", .format = CTL_FORMAT_HEX, .prefix = " ", .width = 10,
    .heading = "IDCODE" },
  { .member = "expected", .format = CTL_FORMAT_HEX, .prefix = " ", .width = 10, .absent = "-",
    .when = "expected", .heading = "EXPECTED" },
  { .member = "ir_length", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .heading = "IRLEN" },
  { NULL }
};

static const CtlLayout tap_table = { CTL_LAYOUT_TABLE, tap_fields };

/* The output as OpenOCD gave it, without its last newline */
static const CtlField output_fields[] = {
  { .member = "output" },
  { NULL }
};

static const CtlLayout output_line = { CTL_LAYOUT_LINE, output_fields };

/* The endpoint --endpoint names, or the only one there is. */
static OodDbusEndpoint *
open_endpoint (CtlContext *ctx, const char *name, GError **error)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GString) names = g_string_new (NULL);

  if (name != NULL)
    return ctl_open_endpoint (ctx, name, CTL_CALL_TIMEOUT_MS, error);
  if (!ctl_connect (ctx, FALSE, error))
    return NULL;
  all = ctl_list_objects (ctx, CTL_IFACE_ENDPOINT);
  if (all->len == 1)
    return ctl_open_endpoint (ctx, ood_dbus_endpoint_get_name (
                                ood_dbus_object_peek_endpoint (all->pdata[0])),
                              CTL_CALL_TIMEOUT_MS, error);
  for (guint i = 0; i < all->len; i++)
    {
      OodDbusEndpoint *endpoint = ood_dbus_object_peek_endpoint (all->pdata[i]);
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                              ood_dbus_endpoint_get_name (endpoint));
    }
  g_set_error (error, CTL_ERROR, CTL_ERROR_NO_SUCH_ENDPOINT, all->len == 0
               ? "there is no endpoint" : "there are several endpoints (%s): give --endpoint NAME",
               names->str);
  return NULL;
}

/* Checks a command's arguments left after its options; @data is the command's. */
typedef gboolean (*ArgsCheck) (int *argc, char ***argv, gpointer data, GError **error);

/*
 * Parses the options of raw, adapter and taps (-e NAME: the endpoint, by
 * default the only one), then runs @check (if not NULL) on the arguments
 * left, before anything is sent. Returns the endpoint, or NULL and an error.
 */
static OodDbusEndpoint *
parse_and_open (CtlContext *ctx, int *argc, char ***argv, ArgsCheck check, gpointer data,
                GError **error)
{
  g_autofree char *name = NULL;
  const GOptionEntry entries[] = {
    { "endpoint", 'e', 0, G_OPTION_ARG_STRING, &name, "The endpoint (default: the only one)",
      "NAME" },
    G_OPTION_ENTRY_NULL,
  };

  if (!ctl_parse_command (ctx, argc, argv, entries, error) ||
      (check != NULL && !check (argc, argv, data, error)))
    return NULL;
  return open_endpoint (ctx, name, error);
}

/* Starts the object of a record about @endpoint: its "endpoint" member. */
static void
begin_endpoint_object (JsonBuilder *builder, OodDbusEndpoint *endpoint)
{
  json_builder_begin_object (builder);
  ctl_build_string (builder, "endpoint", ood_dbus_endpoint_get_name (endpoint));
}

/* raw's arguments: COMMAND [ARG…], after the "--" that GOption leaves. */
static gboolean
check_raw (int *argc, char ***argv, gpointer data, GError **error)
{
  (void) data;
  if (g_str_equal ((*argv)[1], "--"))
    (*argv)++, (*argc)--;
  return *argc >= 2 || ctl_usage_error (error, "usage: raw [-e ENDPOINT] [--] COMMAND [ARG…]");
}

/* Text: what OpenOCD printed. JSON: {"endpoint":…,"command":…,"output":…} */
CtlRecord *
ctl_cmd_raw (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusEndpoint) endpoint = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *command = NULL;
  g_autofree char *output = NULL;

  endpoint = parse_and_open (ctx, &argc, &argv, check_raw, NULL, error);
  if (endpoint == NULL)
    return NULL;
  command = g_strjoinv (" ", argv + 1);
  if (!ood_dbus_endpoint_call_command_sync (endpoint, command, &output, NULL, error))
    return NULL;
  begin_endpoint_object (builder, endpoint);
  ctl_build_string (builder, "command", command);
  ctl_build_string (builder, "output", g_strchomp (output));
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&output_line, builder);
}

/* adapter's arguments: nothing, or speed KHZ into @data (a guint64, else 0). */
static gboolean
check_adapter (int *argc, char ***argv, gpointer data, GError **error)
{
  guint64 *khz = data;
  g_autoptr(GError) local = NULL;

  if (*argc > 1 && (*argc != 3 || !g_str_equal ((*argv)[1], "speed")))
    return ctl_usage_error (error, "usage: adapter [speed KHZ]");
  if (*argc == 3 && (!ctl_parse_number ((*argv)[2], G_MAXUINT32, khz, &local) || *khz == 0))
    return ctl_usage_error (error, "%s",
                            local != NULL ? local->message : "the speed must be 1 kHz or more");
  return TRUE;
}

/* Text: one line. JSON: {"endpoint":…,"adapter":…,"transport":…,"speed_khz":N} */
CtlRecord *
ctl_cmd_adapter (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusEndpoint) endpoint = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint64 khz = 0;
  guint speed;

  endpoint = parse_and_open (ctx, &argc, &argv, check_adapter, &khz, error);
  if (endpoint == NULL)
    return NULL;
  speed = ood_dbus_endpoint_get_adapter_speed (endpoint);
  if (khz != 0 &&
      !ood_dbus_endpoint_call_set_adapter_speed_sync (endpoint, (guint) khz, &speed, NULL, error))
    return NULL;
  begin_endpoint_object (builder, endpoint);
  ctl_build_string (builder, "adapter", ood_dbus_endpoint_get_adapter (endpoint));
  ctl_build_string (builder, "transport", ood_dbus_endpoint_get_transport (endpoint));
  ctl_build_uint (builder, "speed_khz", speed);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&adapter_line, builder);
}

/* Text: a table. JSON: [{"endpoint":…,"name":…,"enabled":B,"idcode":N,"expected":N,
 * "ir_length":N}] */
CtlRecord *
ctl_cmd_taps (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusEndpoint) endpoint = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GVariant *taps;
  GVariantIter iter;
  const char *tap;
  gboolean enabled;
  guint32 idcode, expected, ir_length;

  endpoint = parse_and_open (ctx, &argc, &argv, NULL, NULL, error);
  if (endpoint == NULL)
    return NULL;
  taps = ood_dbus_endpoint_get_taps (endpoint);
  json_builder_begin_array (builder);
  if (taps != NULL)
    {
      g_variant_iter_init (&iter, taps);
      while (g_variant_iter_next (&iter, "(&sbuuu)", &tap, &enabled, &idcode, &expected,
                                  &ir_length))
        {
          begin_endpoint_object (builder, endpoint);
          ctl_build_string (builder, "name", tap);
          ctl_build_bool (builder, "enabled", enabled);
          ctl_build_uint (builder, "idcode", idcode);
          ctl_build_uint (builder, "expected", expected);
          ctl_build_uint (builder, "ir_length", ir_length);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&tap_table, builder);
}
