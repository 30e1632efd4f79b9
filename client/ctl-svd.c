/* SPDX-License-Identifier: MIT */
/*
 * CMSIS-SVD, read with GMarkup (see ctl-svd.h). GMarkup rather than
 * libxml2: it is part of GLib, which openocdctl links already, so reading
 * a file from the user adds no library; it is strict (malformed XML is an
 * error with its line, never guessed at) and has no DTD, external entity
 * or network loading to switch off. SVD needs none of what it lacks.
 */
#include "ctl-svd.h"

#include <gio/gio.h>
#include <string.h>

/* The most an SVD file may be: vendors' largest are ~30 MiB. */
#define MAX_SVD_BYTES (256u * 1024 * 1024)

typedef struct {
  CtlSvdDevice     *device;
  GPtrArray        *stack;        /* element names, outermost first */
  GString          *text;         /* the current leaf's text */
  CtlSvdPeripheral *peripheral;   /* (nullable) being read */
  CtlSvdRegister   *reg;          /* (nullable) being read */
  CtlSvdField      *field;        /* (nullable) being read */
  CtlSvdEnum       *value;        /* (nullable) being read */
  GHashTable       *derived;      /* peripheral → the name it is derived from */
  guint             skip_depth;   /* > 0 inside a cluster */
  gboolean          reg_has_dim;
  guint             bit_offset, bit_width;
  guint             sizes[3];     /* default size: device, peripheral, register (0: unset) */
  gboolean          readables[3]; /* default access: device, peripheral */
  gboolean          access_set[3];
} Parser;

static void
enum_free (CtlSvdEnum *e)
{
  g_free (e->name);
  g_free (e);
}

static void
field_free (CtlSvdField *f)
{
  g_free (f->name);
  g_free (f->description);
  g_ptr_array_unref (f->enums);
  g_free (f);
}

static void
register_free (CtlSvdRegister *r)
{
  g_free (r->name);
  g_free (r->description);
  g_ptr_array_unref (r->fields);
  g_free (r);
}

static void
peripheral_free (CtlSvdPeripheral *p)
{
  g_free (p->name);
  g_free (p->description);
  g_ptr_array_unref (p->registers);
  g_free (p);
}

void
ctl_svd_device_free (CtlSvdDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->name);
  g_ptr_array_unref (device->peripherals);
  g_free (device);
}

static void
set_str (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* An SVD scaledNonNegativeInteger: decimal, 0x hex, 0b or # binary. */
static gboolean
parse_number (const char *text, guint64 *value)
{
  guint base = 10;

  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    base = 16, text += 2;
  else if (g_str_has_prefix (text, "0b") || g_str_has_prefix (text, "0B"))
    base = 2, text += 2;
  else if (text[0] == '#')
    base = 2, text += 1;
  return g_ascii_isxdigit (text[0]) &&
         g_ascii_string_to_unsigned (text, base, 0, G_MAXUINT64, value, NULL);
}

static gboolean
set_number (const char *element, const char *text, guint64 max, guint64 *value, GError **error)
{
  if (parse_number (text, value) && *value <= max)
    return TRUE;
  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
               "<%s> holds '%s', not a number up to %" G_GUINT64_FORMAT, element, text, max);
  return FALSE;
}

static const char *
parent_of (Parser *parser)
{
  return parser->stack->len >= 2 ? parser->stack->pdata[parser->stack->len - 2] : "";
}

static void
on_start (GMarkupParseContext *context, const char *element, const char **names,
          const char **values, gpointer user_data, GError **error)
{
  Parser *parser = user_data;
  const char *derived = NULL;

  (void) context;
  (void) error;
  g_ptr_array_add (parser->stack, g_strdup (element));
  g_string_truncate (parser->text, 0);
  if (parser->skip_depth > 0 || g_str_equal (element, "cluster"))
    {
      parser->skip_depth++;
      return;
    }
  if (g_str_equal (element, "peripheral"))
    {
      parser->peripheral = g_new0 (CtlSvdPeripheral, 1);
      parser->peripheral->registers =
          g_ptr_array_new_with_free_func ((GDestroyNotify) register_free);
      parser->sizes[1] = 0;
      parser->access_set[1] = FALSE;
      for (guint i = 0; names[i] != NULL; i++)
        if (g_str_equal (names[i], "derivedFrom"))
          derived = values[i];
      if (derived != NULL)
        g_hash_table_insert (parser->derived, parser->peripheral, g_strdup (derived));
    }
  else if (g_str_equal (element, "register") && parser->peripheral != NULL)
    {
      parser->reg = g_new0 (CtlSvdRegister, 1);
      parser->reg->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
      parser->reg_has_dim = FALSE;
      parser->sizes[2] = 0;
      parser->access_set[2] = FALSE;
    }
  else if (g_str_equal (element, "field") && parser->reg != NULL)
    {
      parser->field = g_new0 (CtlSvdField, 1);
      parser->field->enums = g_ptr_array_new_with_free_func ((GDestroyNotify) enum_free);
      parser->bit_offset = parser->bit_width = G_MAXUINT;
    }
  else if (g_str_equal (element, "enumeratedValue") && parser->field != NULL)
    parser->value = g_new0 (CtlSvdEnum, 1);
}

static void
on_text (GMarkupParseContext *context, const char *text, gsize length, gpointer user_data,
         GError **error)
{
  Parser *parser = user_data;

  (void) context;
  (void) error;
  g_string_append_len (parser->text, text, (gssize) length);
}

/* The level (0 device, 1 peripheral, 2 register) a size or access of
 * @parent sets, or -1. */
static gint
level_of (const char *parent)
{
  if (g_str_equal (parent, "device"))
    return 0;
  if (g_str_equal (parent, "peripheral"))
    return 1;
  return g_str_equal (parent, "register") ? 2 : -1;
}

static char *
normalize (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\r\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_string_append_printf (out, "%s%s", out->len > 0 ? " " : "", words[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "[msb:lsb]" */
static gboolean
parse_bit_range (const char *text, guint *msb, guint *lsb)
{
  guint64 m, l;
  g_auto(GStrv) parts = NULL;

  if (text[0] != '[' || !g_str_has_suffix (text, "]"))
    return FALSE;
  parts = g_strsplit (text + 1, ":", 2);
  if (g_strv_length (parts) != 2)
    return FALSE;
  parts[1][strlen (parts[1]) - 1] = '\0';
  if (!parse_number (parts[0], &m) || !parse_number (parts[1], &l) || m > 63 || l > m)
    return FALSE;
  *msb = (guint) m;
  *lsb = (guint) l;
  return TRUE;
}

/* A leaf's text, where it belongs. */
static gboolean
take_leaf (Parser *parser, const char *element, const char *parent, const char *text,
           GError **error)
{
  gint level = level_of (parent);
  guint64 n = 0;

  if (g_str_equal (element, "size") && level >= 0)
    {
      if (!set_number (element, text, 64, &n, error))
        return FALSE;
      parser->sizes[level] = (guint) n;
    }
  else if (g_str_equal (element, "access") && level >= 0)
    {
      parser->readables[level] = !g_str_equal (text, "write-only") &&
                                 !g_str_equal (text, "writeOnce");
      parser->access_set[level] = TRUE;
    }
  else if (g_str_equal (element, "name") && g_str_equal (parent, "device"))
    set_str (&parser->device->name, text);
  else if (g_str_equal (parent, "peripheral") && parser->peripheral != NULL)
    {
      if (g_str_equal (element, "name"))
        set_str (&parser->peripheral->name, text);
      else if (g_str_equal (element, "description"))
        parser->peripheral->description = normalize (text);
      else if (g_str_equal (element, "baseAddress"))
        return set_number (element, text, G_MAXUINT64, &parser->peripheral->base, error);
    }
  else if (g_str_equal (parent, "register") && parser->reg != NULL)
    {
      if (g_str_equal (element, "name"))
        set_str (&parser->reg->name, text);
      else if (g_str_equal (element, "description"))
        parser->reg->description = normalize (text);
      else if (g_str_equal (element, "addressOffset"))
        return set_number (element, text, G_MAXUINT64, &parser->reg->offset, error);
      else if (g_str_equal (element, "dim"))
        parser->reg_has_dim = TRUE;
    }
  else if (g_str_equal (parent, "field") && parser->field != NULL)
    {
      CtlSvdField *f = parser->field;

      if (g_str_equal (element, "name"))
        set_str (&f->name, text);
      else if (g_str_equal (element, "description"))
        f->description = normalize (text);
      else if (g_str_equal (element, "bitOffset") || g_str_equal (element, "lsb"))
        {
          if (!set_number (element, text, 63, &n, error))
            return FALSE;
          parser->bit_offset = (guint) n;
        }
      else if (g_str_equal (element, "bitWidth"))
        {
          if (!set_number (element, text, 64, &n, error))
            return FALSE;
          parser->bit_width = (guint) n;
        }
      else if (g_str_equal (element, "msb"))
        {
          if (!set_number (element, text, 63, &n, error))
            return FALSE;
          f->msb = (guint) n;
          parser->bit_width = 0;  /* msb given: the width follows from lsb */
        }
      else if (g_str_equal (element, "bitRange") && !parse_bit_range (text, &f->msb, &f->lsb))
        {
          g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                       "<bitRange> holds '%s', not [MSB:LSB]", text);
          return FALSE;
        }
    }
  else if (g_str_equal (parent, "enumeratedValue") && parser->value != NULL)
    {
      if (g_str_equal (element, "name"))
        set_str (&parser->value->name, text);
      else if (g_str_equal (element, "value") && !parse_number (text, &parser->value->value))
        g_clear_pointer (&parser->value->name, g_free);  /* "0bx1": a pattern; not shown */
    }
  return TRUE;
}

/* The field just read: its bits from bitOffset and bitWidth, or lsb and msb. */
static gboolean
end_field (Parser *parser, GError **error)
{
  CtlSvdField *f = g_steal_pointer (&parser->field);

  if (parser->bit_offset != G_MAXUINT)
    {
      f->lsb = parser->bit_offset;
      if (parser->bit_width == G_MAXUINT)
        f->msb = f->lsb;  /* neither bitWidth nor msb: one bit */
      else if (parser->bit_width != 0)
        f->msb = f->lsb + parser->bit_width - 1;
    }
  if (f->name == NULL || f->msb < f->lsb || f->msb > 63)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "field %s has no name or no valid bits", f->name ? f->name : "(unnamed)");
      field_free (f);
      return FALSE;
    }
  g_ptr_array_add (parser->reg->fields, f);
  return TRUE;
}

static guint
inherited_size (Parser *parser)
{
  for (gint level = 2; level >= 0; level--)
    if (parser->sizes[level] != 0)
      return parser->sizes[level];
  return 32;
}

static gboolean
inherited_readable (Parser *parser)
{
  for (gint level = 2; level >= 0; level--)
    if (parser->access_set[level])
      return parser->readables[level];
  return TRUE;
}

static gboolean
end_register (Parser *parser, GError **error)
{
  CtlSvdRegister *r = g_steal_pointer (&parser->reg);

  r->size = inherited_size (parser);
  r->readable = inherited_readable (parser);
  if (parser->reg_has_dim)
    {
      register_free (r);
      return TRUE;
    }
  if (r->name == NULL || (r->size != 8 && r->size != 16 && r->size != 32 && r->size != 64))
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "register %s has no name, or a size of %u bits (8, 16, 32 or 64 are read)",
                   r->name ? r->name : "(unnamed)", r->size);
      register_free (r);
      return FALSE;
    }
  g_ptr_array_add (parser->peripheral->registers, r);
  return TRUE;
}

static void
on_end (GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
  Parser *parser = user_data;
  g_autofree char *text = g_strstrip (g_strdup (parser->text->str));
  const char *parent = parent_of (parser);

  (void) context;
  g_string_truncate (parser->text, 0);
  if (parser->skip_depth > 0)
    parser->skip_depth--;
  else if (g_str_equal (element, "enumeratedValue") && parser->value != NULL)
    {
      CtlSvdEnum *e = g_steal_pointer (&parser->value);
      if (e->name != NULL)
        g_ptr_array_add (parser->field->enums, e);
      else
        enum_free (e);
    }
  else if (g_str_equal (element, "field") && parser->field != NULL)
    end_field (parser, error);
  else if (g_str_equal (element, "register") && parser->reg != NULL)
    end_register (parser, error);
  else if (g_str_equal (element, "peripheral") && parser->peripheral != NULL)
    {
      CtlSvdPeripheral *p = g_steal_pointer (&parser->peripheral);
      if (p->name == NULL)
        p->name = g_strdup ("(unnamed)");
      g_ptr_array_add (parser->device->peripherals, p);
    }
  else
    take_leaf (parser, element, parent, text, error);
  g_ptr_array_remove_index (parser->stack, parser->stack->len - 1);
}

/* A peripheral derivedFrom another has the other's registers. */
static void
resolve_derived (Parser *parser)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, parser->derived);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      CtlSvdPeripheral *p = key;
      CtlSvdPeripheral *from = ctl_svd_find_peripheral (parser->device, value);

      if (from != NULL && from != p && p->registers->len == 0)
        {
          g_ptr_array_unref (p->registers);
          p->registers = g_ptr_array_ref (from->registers);
        }
    }
}

static void
parser_clear (Parser *parser)
{
  if (parser->field != NULL)
    field_free (parser->field);
  if (parser->reg != NULL)
    register_free (parser->reg);
  if (parser->peripheral != NULL)
    {
      g_hash_table_remove (parser->derived, parser->peripheral);
      peripheral_free (parser->peripheral);
    }
  if (parser->value != NULL)
    enum_free (parser->value);
  g_ptr_array_unref (parser->stack);
  g_string_free (parser->text, TRUE);
  g_hash_table_unref (parser->derived);
}

/**
 * ctl_svd_parse:
 *
 * Returns: (transfer full) (nullable): the device @text describes, or
 *   %NULL with a G_MARKUP_ERROR that says where
 */
CtlSvdDevice *
ctl_svd_parse (const char *text, gsize length, GError **error)
{
  static const GMarkupParser callbacks = { on_start, on_end, on_text, NULL, NULL };
  g_autoptr(CtlSvdDevice) device = g_new0 (CtlSvdDevice, 1);
  g_autoptr(GMarkupParseContext) context = NULL;
  Parser parser = { 0 };
  gboolean ok;

  device->peripherals = g_ptr_array_new_with_free_func ((GDestroyNotify) peripheral_free);
  parser.device = device;
  parser.stack = g_ptr_array_new_with_free_func (g_free);
  parser.text = g_string_new (NULL);
  parser.derived = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  context = g_markup_parse_context_new (&callbacks, G_MARKUP_PREFIX_ERROR_POSITION, &parser, NULL);
  ok = g_markup_parse_context_parse (context, text, (gssize) length, error) &&
       g_markup_parse_context_end_parse (context, error);
  if (ok)
    resolve_derived (&parser);
  parser_clear (&parser);
  return ok ? g_steal_pointer (&device) : NULL;
}

/**
 * ctl_svd_load:
 * @path: an SVD file, at most 256 MiB
 */
CtlSvdDevice *
ctl_svd_load (const char *path, GError **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);

  if (file == NULL)
    return NULL;
  if (g_mapped_file_get_length (file) > MAX_SVD_BYTES)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "'%s' is over %u MiB", path,
                   MAX_SVD_BYTES >> 20);
      return NULL;
    }
  return ctl_svd_parse (g_mapped_file_get_contents (file), g_mapped_file_get_length (file),
                        error);
}

CtlSvdPeripheral *
ctl_svd_find_peripheral (CtlSvdDevice *device, const char *name)
{
  for (guint i = 0; i < device->peripherals->len; i++)
    if (g_ascii_strcasecmp (((CtlSvdPeripheral *) device->peripherals->pdata[i])->name, name) == 0)
      return device->peripherals->pdata[i];
  return NULL;
}

CtlSvdRegister *
ctl_svd_find_register (CtlSvdPeripheral *peripheral, const char *name)
{
  for (guint i = 0; i < peripheral->registers->len; i++)
    if (g_ascii_strcasecmp (((CtlSvdRegister *) peripheral->registers->pdata[i])->name, name) == 0)
      return peripheral->registers->pdata[i];
  return NULL;
}
