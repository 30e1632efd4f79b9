/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-image"

#include "ood-image.h"

#include <gelf.h>
#include <string.h>

static void
segment_clear (gpointer data)
{
  OodImageSegment *segment = data;

  g_clear_pointer (&segment->data, g_byte_array_unref);
}

static GArray *
segments_new (void)
{
  GArray *segments = g_array_new (FALSE, FALSE, sizeof (OodImageSegment));

  g_array_set_clear_func (segments, segment_clear);
  return segments;
}

gboolean
ood_image_format_parse (const char *name, OodImageFormat *format)
{
  if (g_str_equal (name, "bin"))
    *format = OOD_IMAGE_BIN;
  else if (g_str_equal (name, "ihex"))
    *format = OOD_IMAGE_IHEX;
  else if (g_str_equal (name, "elf"))
    *format = OOD_IMAGE_ELF;
  else
    return FALSE;
  return TRUE;
}

guint64
ood_image_total (GArray *segments)
{
  guint64 total = 0;

  for (guint i = 0; i < segments->len; i++)
    total += g_array_index (segments, OodImageSegment, i).data->len;
  return total;
}

static gboolean G_GNUC_PRINTF (2, 3)
invalid (GError **error, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                format, args));
  va_end (args);
  return FALSE;
}

/* Appends @size bytes at @address, merging with the last segment when
 * they continue it. */
static gboolean
add_bytes (GArray *segments, guint64 address, const guint8 *bytes, gsize size, GError **error)
{
  OodImageSegment *last = segments->len > 0
                          ? &g_array_index (segments, OodImageSegment, segments->len - 1) : NULL;
  OodImageSegment segment;

  if (size == 0)
    return TRUE;
  if (address + size - 1 < address)
    return invalid (error, "image data at 0x%" G_GINT64_MODIFIER "x passes the end of the "
                    "address space", address);
  if (last != NULL && last->address + last->data->len == address)
    {
      g_byte_array_append (last->data, bytes, (guint) size);
      return TRUE;
    }
  segment.address = address;
  segment.data = g_byte_array_sized_new ((guint) size);
  g_byte_array_append (segment.data, bytes, (guint) size);
  g_array_append_val (segments, segment);
  return TRUE;
}

static gint
compare_address (gconstpointer a, gconstpointer b)
{
  guint64 x = ((const OodImageSegment *) a)->address;
  guint64 y = ((const OodImageSegment *) b)->address;

  return x < y ? -1 : x > y;
}

/* Sorts the segments, merges adjacent ones and refuses overlaps. */
static GArray *
normalize (GArray *raw, GError **error)
{
  g_autoptr(GArray) segments = segments_new ();

  g_array_sort (raw, compare_address);
  for (guint i = 0; i < raw->len; i++)
    {
      OodImageSegment *segment = &g_array_index (raw, OodImageSegment, i);
      OodImageSegment *last = segments->len > 0
                              ? &g_array_index (segments, OodImageSegment, segments->len - 1)
                              : NULL;

      if (last != NULL && last->address + last->data->len > segment->address)
        {
          invalid (error, "the image writes 0x%" G_GINT64_MODIFIER "x twice", segment->address);
          return NULL;
        }
      if (!add_bytes (segments, segment->address, segment->data->data, segment->data->len, error))
        return NULL;
    }
  if (segments->len == 0)
    {
      invalid (error, "the image holds no data");
      return NULL;
    }
  return g_steal_pointer (&segments);
}

/* ---- Intel HEX ---------------------------------------------------------- */

static gint
hex_byte (const char *p)
{
  gint high = g_ascii_xdigit_value (p[0]);
  gint low = high < 0 ? -1 : g_ascii_xdigit_value (p[1]);

  return low < 0 ? -1 : high << 4 | low;
}

/* Decodes one record ":LLAAAATT…CC" of @length characters into @bytes
 * (count, address high, low, type, data…), checking its checksum. */
static gboolean
decode_record (const char *line, gsize length, guint8 *bytes, guint *count, GError **error)
{
  guint sum = 0;
  gsize n;

  if (length < 11 || line[0] != ':' || (length - 1) % 2 != 0)
    return invalid (error, "malformed Intel HEX record");
  n = (length - 1) / 2;
  for (gsize i = 0; i < n; i++)
    {
      gint value = hex_byte (line + 1 + 2 * i);
      if (value < 0)
        return invalid (error, "bad hex digit in an Intel HEX record");
      bytes[i] = (guint8) value;
      sum += (guint) value;
    }
  if (bytes[0] + 5u != n)
    return invalid (error, "Intel HEX record length does not match its count");
  if ((sum & 0xff) != 0)
    return invalid (error, "Intel HEX record checksum mismatch");
  *count = bytes[0];
  return TRUE;
}

typedef struct {
  guint64 base;       /* from types 02 and 04 */
  guint64 offset;     /* the caller's address */
  gboolean ended;     /* an end-of-file record was seen */
} HexState;

static gboolean
apply_record (HexState *state, GArray *raw, const guint8 *bytes, guint count, GError **error)
{
  guint address = (guint) bytes[1] << 8 | bytes[2];
  const guint8 *data = bytes + 4;

  switch (bytes[3])
    {
    case 0x00:
      return add_bytes (raw, state->offset + state->base + address, data, count, error);
    case 0x01:
      state->ended = TRUE;
      return TRUE;
    case 0x02:
    case 0x04:
      if (count != 2)
        return invalid (error, "malformed Intel HEX address record");
      state->base = ((guint64) data[0] << 8 | data[1]) << (bytes[3] == 0x02 ? 4 : 16);
      return TRUE;
    case 0x03:
    case 0x05:
      return TRUE;   /* start addresses: nothing to load */
    default:
      return invalid (error, "unknown Intel HEX record type %02x", bytes[3]);
    }
}

static GArray *
parse_ihex (const guint8 *data, gsize size, guint64 address, GError **error)
{
  g_autoptr(GArray) raw = segments_new ();
  HexState state = { 0, address, FALSE };
  guint8 bytes[(2 * 260 + 1) / 2 + 1] = { 0 };
  gsize pos = 0;

  while (pos < size && !state.ended)
    {
      const guint8 *end = memchr (data + pos, '\n', size - pos);
      gsize length = (end != NULL ? (gsize) (end - data) : size) - pos;
      const char *line = (const char *) data + pos;
      guint count = 0;

      pos += length + 1;
      if (length > 0 && line[length - 1] == '\r')
        length--;
      if (length == 0)
        continue;
      if (length > 2 * 260 + 1)
        return invalid (error, "Intel HEX record too long"), NULL;
      if (!decode_record (line, length, bytes, &count, error) ||
          !apply_record (&state, raw, bytes, count, error))
        return NULL;
    }
  if (!state.ended)
    return invalid (error, "Intel HEX image without an end-of-file record"), NULL;
  return normalize (raw, error);
}

/* ---- ELF ---------------------------------------------------------------- */

/* The PT_LOAD segments with file data, at their physical addresses
 * (virtual ones if every physical address is 0), as OpenOCD loads them. */
static gboolean
add_elf_segments (Elf *elf, const guint8 *data, gsize size, guint64 address, GArray *raw,
                  GError **error)
{
  size_t count = 0;
  gboolean use_vaddr = TRUE;
  GElf_Phdr phdr;

  if (elf_kind (elf) != ELF_K_ELF || elf_getphdrnum (elf, &count) != 0)
    return invalid (error, "not an ELF file: %s", elf_errmsg (-1));
  for (size_t i = 0; i < count; i++)
    if (gelf_getphdr (elf, (int) i, &phdr) != NULL && phdr.p_type == PT_LOAD && phdr.p_paddr != 0)
      use_vaddr = FALSE;
  for (size_t i = 0; i < count; i++)
    {
      if (gelf_getphdr (elf, (int) i, &phdr) == NULL)
        return invalid (error, "bad ELF program header: %s", elf_errmsg (-1));
      if (phdr.p_type != PT_LOAD || phdr.p_filesz == 0)
        continue;
      if (phdr.p_offset > size || phdr.p_filesz > size - phdr.p_offset)
        return invalid (error, "ELF segment %zu lies outside the file", i);
      if (!add_bytes (raw, address + (use_vaddr ? phdr.p_vaddr : phdr.p_paddr),
                      data + phdr.p_offset, phdr.p_filesz, error))
        return FALSE;
    }
  return TRUE;
}

static GArray *
parse_elf (const guint8 *data, gsize size, guint64 address, GError **error)
{
  g_autoptr(GArray) raw = segments_new ();
  g_autofree guint8 *copy = g_memdup2 (data, size);  /* libelf wants it writable */
  Elf *elf;
  gboolean ok;

  if (elf_version (EV_CURRENT) == EV_NONE)
    return invalid (error, "libelf is unusable: %s", elf_errmsg (-1)), NULL;
  elf = elf_memory ((char *) copy, size);
  if (elf == NULL)
    return invalid (error, "not an ELF file: %s", elf_errmsg (-1)), NULL;
  ok = add_elf_segments (elf, copy, size, address, raw, error);
  elf_end (elf);
  return ok ? normalize (raw, error) : NULL;
}

/**
 * ood_image_parse:
 * @data: the whole image file
 * @address: where a bin image goes; added to the addresses of the others
 *
 * Returns: (transfer full) (element-type OodImageSegment): the image's
 *   segments, sorted, disjoint and merged; %NULL if it cannot be parsed
 */
GArray *
ood_image_parse (OodImageFormat format, const guint8 *data, gsize size, guint64 address,
                 GError **error)
{
  g_autoptr(GArray) raw = NULL;

  switch (format)
    {
    case OOD_IMAGE_IHEX:
      return parse_ihex (data, size, address, error);
    case OOD_IMAGE_ELF:
      return parse_elf (data, size, address, error);
    case OOD_IMAGE_BIN:
    default:
      raw = segments_new ();
      if (!add_bytes (raw, address, data, size, error))
        return NULL;
      return normalize (raw, error);
    }
}
