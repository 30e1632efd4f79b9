/* SPDX-License-Identifier: MIT */
/*
 * openocdctl periph --svd FILE [PERIPHERAL[.REGISTER]]: peripheral
 * registers by name, read through Memory.ReadWords and decoded into their
 * bit fields with the SVD file's names (ctl-svd.h). The service knows
 * nothing of SVD: this is all the client's.
 */
#include "openocdctl.h"
#include "ctl-svd.h"

/* NAME BASE DESCRIPTION, as "%-16s %-10s %s" */
static const CtlField peripheral_fields[] = {
  { .member = "name", .width = 16, .heading = "PERIPHERAL" },
  { .member = "base", .format = CTL_FORMAT_HEX, .prefix = " ", .width = 10, .heading = "BASE" },
  { .member = "description", .prefix = " ", .absent = "", .heading = "DESCRIPTION" },
  { NULL }
};

static const CtlLayout peripheral_table = { CTL_LAYOUT_TABLE, peripheral_fields };

static const CtlLayout register_layout = { CTL_LAYOUT_REGISTERS, NULL };

static guint64
field_value (const CtlSvdField *field, guint64 value)
{
  guint width = field->msb - field->lsb + 1;

  return width >= 64 ? value : (value >> field->lsb) & ((G_GUINT64_CONSTANT (1) << width) - 1);
}

static void
build_field (JsonBuilder *builder, const CtlSvdField *field, guint64 value)
{
  guint64 v = field_value (field, value);

  json_builder_begin_object (builder);
  ctl_build_string (builder, "name", field->name);
  ctl_build_uint (builder, "msb", field->msb);
  ctl_build_uint (builder, "lsb", field->lsb);
  ctl_build_uint (builder, "value", v);
  for (guint i = 0; i < field->enums->len; i++)
    {
      const CtlSvdEnum *e = field->enums->pdata[i];
      if (e->value == v)
        {
          ctl_build_string (builder, "enum", e->name);
          break;
        }
    }
  if (field->description != NULL)
    ctl_build_string (builder, "description", field->description);
  json_builder_end_object (builder);
}

/* Reads @reg of @peripheral and adds its object to the array @builder
 * builds. */
static gboolean
read_register (OodDbusMemory *memory, JsonBuilder *builder, const CtlSvdPeripheral *peripheral,
               const CtlSvdRegister *reg, GError **error)
{
  guint64 address = peripheral->base + reg->offset;
  g_autoptr(GVariant) words = NULL;
  const guint64 *values;
  gsize n = 0;

  if (!ood_dbus_memory_call_read_words_sync (memory, address, 1, (guchar) reg->size, &words, NULL,
                                             error))
    {
      g_prefix_error (error, "%s.%s: ", peripheral->name, reg->name);
      return FALSE;
    }
  values = g_variant_get_fixed_array (words, &n, sizeof (guint64));
  if (n != 1)
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED, "%s.%s: %" G_GSIZE_FORMAT
                   " words answered, not 1", peripheral->name, reg->name, n);
      return FALSE;
    }
  json_builder_begin_object (builder);
  ctl_build_string (builder, "peripheral", peripheral->name);
  ctl_build_string (builder, "register", reg->name);
  ctl_build_uint (builder, "address", address);
  ctl_build_uint (builder, "size", reg->size);
  ctl_build_uint (builder, "value", values[0]);
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < reg->fields->len; i++)
    build_field (builder, reg->fields->pdata[i], values[0]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return TRUE;
}

/* Text: the peripherals. JSON: [{"name":…,"base":N,"description":…}] */
static CtlRecord *
list_peripherals (CtlSvdDevice *device)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < device->peripherals->len; i++)
    {
      const CtlSvdPeripheral *p = device->peripherals->pdata[i];
      json_builder_begin_object (builder);
      ctl_build_string (builder, "name", p->name);
      ctl_build_uint (builder, "base", p->base);
      ctl_build_string (builder, "description", p->description);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&peripheral_table, builder);
}

/* The peripheral and, after a ".", the register @spec names. */
static gboolean
find_spec (CtlSvdDevice *device, const char *spec, CtlSvdPeripheral **peripheral,
           CtlSvdRegister **reg, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, ".", 2);

  *peripheral = ctl_svd_find_peripheral (device, parts[0]);
  *reg = NULL;
  if (*peripheral == NULL)
    return ctl_usage_error (error, "the SVD file has no peripheral '%s'", parts[0]);
  if (parts[1] == NULL)
    return TRUE;
  *reg = ctl_svd_find_register (*peripheral, parts[1]);
  if (*reg == NULL)
    return ctl_usage_error (error, "peripheral %s has no register '%s'", (*peripheral)->name,
                            parts[1]);
  if (!(*reg)->readable)
    return ctl_usage_error (error, "%s.%s is write-only", (*peripheral)->name, (*reg)->name);
  return TRUE;
}

/*
 * Text: each register's address and value, then its fields, one a line.
 * JSON: [{"peripheral":…,"register":…,"address":N,"size":N,"value":N,
 * "fields":[{"name":…,"msb":N,"lsb":N,"value":N[,"enum":…][,"description":…]}]}]
 * Without PERIPHERAL: the peripherals the file describes (nothing is read).
 */
CtlRecord *
ctl_cmd_periph (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autofree char *svd = NULL;
  g_autoptr(CtlSvdDevice) device = NULL;
  g_autoptr(OodDbusMemory) memory = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  CtlSvdPeripheral *peripheral = NULL;
  CtlSvdRegister *reg = NULL;
  const GOptionEntry entries[] = {
    { "svd", 0, 0, G_OPTION_ARG_FILENAME, &svd, "The CMSIS-SVD file of the device", "FILE" },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error))
    return NULL;
  if (svd == NULL)
    {
      ctl_usage_error (error, "periph needs --svd FILE");
      return NULL;
    }
  device = ctl_svd_load (svd, error);
  if (device == NULL)
    return NULL;
  if (argc == 1)
    return list_peripherals (device);
  if (!find_spec (device, argv[1], &peripheral, &reg, error))
    return NULL;
  memory = ctl_open_interface (ctx, CTL_IFACE_MEMORY, NULL, error);
  if (memory == NULL)
    return NULL;
  json_builder_begin_array (builder);
  for (guint i = 0; i < peripheral->registers->len; i++)
    {
      CtlSvdRegister *r = peripheral->registers->pdata[i];
      if ((reg == NULL && r->readable) || r == reg)
        if (!read_register (memory, builder, peripheral, r, error))
          return NULL;
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&register_layout, builder);
}
