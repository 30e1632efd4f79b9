/* SPDX-License-Identifier: MIT */
/*
 * openocdctl reg and mem: the org.openocd.Registers and org.openocd.Memory
 * interfaces.
 */
#include "openocdctl.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mem read prints at most this much; mem dump is for more. */
#define MEM_READ_MAX      (16u * 1024 * 1024)
#define MEM_READ_DEFAULT  64u
#define MEM_READ_DEFAULT_WORDS 16u /* with --width */
/* mem dump|load: one ReadToFd/WriteFromFd call per chunk, for progress. */
#define FD_CHUNK_MIN      (16u * 1024)
#define FD_CHUNK_MAX      (1024u * 1024)
#define FD_CHUNK_STEPS    100u

/* ------------------------------------------------------------------ */
/* reg                                                                 */

/* "pc       0x80000010", no header */
static const CtlField register_fields[] = {
  { .member = "name", .width = 8 },
  { .member = "value", .format = CTL_FORMAT_HEX, .prefix = " " },
  { NULL }
};

static const CtlLayout register_table = { CTL_LAYOUT_TABLE, register_fields };

/* [{"name":…,"number":N,"value":N,"bits":N,"dirty":B},…] in OpenOCD's order */
static CtlRecord *
reg_all (OodDbusRegisters *registers, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GVariant) all = NULL;
  GVariantIter iter;
  const char *name;
  guint number, bits;
  guint64 value;
  gboolean dirty;

  if (!ood_dbus_registers_call_read_all_sync (registers, &all, NULL, error))
    return NULL;
  json_builder_begin_array (builder);
  g_variant_iter_init (&iter, all);
  while (g_variant_iter_next (&iter, "(&sutub)", &name, &number, &value, &bits, &dirty))
    {
      json_builder_begin_object (builder);
      ctl_build_string (builder, "name", name);
      ctl_build_uint (builder, "number", number);
      ctl_build_uint (builder, "value", value);
      ctl_build_uint (builder, "bits", bits);
      json_builder_set_member_name (builder, "dirty");
      json_builder_add_boolean_value (builder, dirty);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&register_table, builder);
}

/* [{"name":…,"value":N},…] in the order of @names (repeats included) */
static CtlRecord *
reg_many (OodDbusRegisters *registers, const char *const *names, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GVariant) values = NULL;
  guint64 value;

  if (!ood_dbus_registers_call_read_many_sync (registers, names, &values, NULL, error))
    return NULL;
  json_builder_begin_array (builder);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      if (!g_variant_lookup (values, names[i], "t", &value))
        {
          g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                       "the service returned no value for register '%s'", names[i]);
          return NULL;
        }
      json_builder_begin_object (builder);
      ctl_build_string (builder, "name", names[i]);
      ctl_build_uint (builder, "value", value);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&register_table, builder);
}

/* Text: nothing. JSON: {"action":"reg-set","endpoint":…,"name":…,"register":…,"value":N} */
static CtlRecord *
reg_set (CtlContext *ctx, const char *name, const char *text, GError **error)
{
  g_autoptr(OodDbusRegisters) registers = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) local = NULL;
  OodDbusTarget *target = NULL;
  guint64 value;

  if (!ctl_parse_number (text, G_MAXUINT64, &value, &local))
    {
      ctl_usage_error (error, "%s", local->message);
      return NULL;
    }
  registers = ctl_open_interface (ctx, CTL_IFACE_REGISTERS, &target, error);
  if (registers == NULL ||
      !ood_dbus_registers_call_write_sync (registers, name, value, NULL, error))
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_done (builder, target, "reg-set");
  ctl_build_string (builder, "register", name);
  ctl_build_uint (builder, "value", value);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}

/* reg [NAME…] | reg set NAME VALUE */
CtlRecord *
ctl_cmd_reg (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusRegisters) registers = NULL;

  if (!ctl_parse_command (ctx, &argc, &argv, NULL, error))
    return NULL;
  if (argc > 1 && g_str_equal (argv[1], "set"))
    {
      if (argc != 4)
        {
          ctl_usage_error (error, "usage: %s reg set NAME VALUE", g_get_prgname ());
          return NULL;
        }
      return reg_set (ctx, argv[2], argv[3], error);
    }
  registers = ctl_open_interface (ctx, CTL_IFACE_REGISTERS, NULL, error);
  if (registers == NULL)
    return NULL;
  if (argc == 1)
    return reg_all (registers, error);
  return reg_many (registers, (const char *const *) argv + 1, error);
}

/* ------------------------------------------------------------------ */
/* mem                                                                 */

static const CtlField hexdump_fields[] = {
  { .member = "address" },
  { .member = "data" },
  { NULL }
};

static const CtlLayout hexdump_layout = { CTL_LAYOUT_HEXDUMP, hexdump_fields };

static gboolean
parse_arg (const char *text, guint64 max, guint64 *out, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (ctl_parse_number (text, max, out, &local))
    return TRUE;
  return ctl_usage_error (error, "%s", local->message);
}

static gboolean
mem_usage (GError **error)
{
  return ctl_usage_error (error,
                          "usage: %s mem read ADDR [LEN] [--width W] | "
                          "write ADDR VALUE… [--width W] | dump ADDR LEN FILE | load FILE ADDR | "
                          "search ADDR SIZE HEXPATTERN [--max N]",
                          g_get_prgname ());
}

/* The bytes of one value: a word of @width bits, or a byte when @width is 0. */
static guint
unit_of (guint width)
{
  return width ? width / 8 : 1;
}

/* Checks the arguments of "mem SUBCOMMAND …" before anything is sent.
 * With --width (@width not 0), LEN and the VALUEs are words. */
static gboolean
mem_check_usage (int argc, char **argv, guint width, guint64 *address, guint64 *length,
                 GError **error)
{
  const char *sub = argv[1];
  guint n = (guint) argc - 2;   /* after the subcommand */

  if (g_str_equal (sub, "read"))
    {
      if (n < 1 || n > 2)
        return mem_usage (error);
      *length = width ? MEM_READ_DEFAULT_WORDS : MEM_READ_DEFAULT;
      if (!parse_arg (argv[2], G_MAXUINT64, address, error) ||
          (n == 2 && !parse_arg (argv[3], G_MAXUINT64, length, error)))
        return FALSE;
      if (*length > MEM_READ_MAX / unit_of (width))
        return ctl_usage_error (error, "mem read prints at most %u bytes; use mem dump for more",
                                MEM_READ_MAX);
      return TRUE;
    }
  if (g_str_equal (sub, "write"))
    {
      if (n < 2)
        return mem_usage (error);
      if (n - 1 > MEM_READ_MAX / unit_of (width))
        return ctl_usage_error (error, "too many values; use mem load");
      return parse_arg (argv[2], G_MAXUINT64, address, error);
    }
  if (g_str_equal (sub, "dump"))
    return n == 3 ? parse_arg (argv[2], G_MAXUINT64, address, error) &&
                    parse_arg (argv[3], G_MAXUINT64, length, error)
                  : mem_usage (error);
  if (g_str_equal (sub, "load"))
    return n == 2 ? parse_arg (argv[3], G_MAXUINT64, address, error) : mem_usage (error);
  if (g_str_equal (sub, "search"))
    return n == 3 ? parse_arg (argv[2], G_MAXUINT64, address, error) &&
                    parse_arg (argv[3], G_MAXUINT64, length, error)
                  : mem_usage (error);
  return ctl_usage_error (error, "unknown mem command '%s': expected read, write, dump, load or "
                          "search", sub);
}

/* How many values of @width (0: bytes) one call may move. */
static guint
values_per_call (OodDbusMemory *memory, guint width)
{
  guint max = ood_dbus_memory_get_max_message_bytes (memory);

  return (max ? max : 1024 * 1024) / unit_of (width);
}

/* The target a mem record is about: "endpoint" and "name". */
static void
build_target_names (JsonBuilder *builder, OodDbusTarget *target)
{
  ctl_build_string (builder, "endpoint", ood_dbus_target_get_endpoint (target));
  ctl_build_string (builder, "name", ood_dbus_target_get_name (target));
}

/* {"endpoint":…,"name":…,"address":N,"length":N,"data":"0011…"}: the bytes as hex digits */
static CtlRecord *
mem_read (OodDbusMemory *memory, OodDbusTarget *target, guint64 address, guint64 length,
          GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GString) hex = g_string_sized_new (2 * length + 1);
  guint max = values_per_call (memory, 0);

  for (guint64 done = 0; done < length;)
    {
      g_autoptr(GVariant) data = NULL;
      guint n = (guint) MIN (length - done, max);
      const guint8 *bytes;
      gsize size;

      if (!ood_dbus_memory_call_read_bytes_sync (memory, address + done, n, &data, NULL, error))
        return NULL;
      bytes = g_variant_get_fixed_array (data, &size, 1);
      if (size != n)
        {
          g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                       "the service returned %" G_GSIZE_FORMAT " bytes instead of %u", size, n);
          return NULL;
        }
      for (gsize i = 0; i < size; i++)
        g_string_append_printf (hex, "%02x", bytes[i]);
      done += n;
    }
  json_builder_begin_object (builder);
  build_target_names (builder, target);
  ctl_build_uint (builder, "address", address);
  ctl_build_uint (builder, "length", length);
  ctl_build_string (builder, "data", hex->str);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&hexdump_layout, builder);
}

/* The words of mem read --width: where, how wide, the values */
static const CtlField words_fields[] = {
  { .member = "address" },
  { .member = "width" },
  { .member = "values" },
  { NULL },
};

static const CtlLayout words_layout = { CTL_LAYOUT_WORDS, words_fields };

/*
 * @count words of @width bits through ReadWords: {"endpoint":…,"name":…,
 * "address":N,"width":N,"count":N,"values":[N,…]}
 */
static CtlRecord *
mem_read_words (OodDbusMemory *memory, OodDbusTarget *target, guint64 address, guint64 count,
                guint width, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint max = values_per_call (memory, width);

  json_builder_begin_object (builder);
  build_target_names (builder, target);
  ctl_build_uint (builder, "address", address);
  ctl_build_uint (builder, "width", width);
  ctl_build_uint (builder, "count", count);
  json_builder_set_member_name (builder, "values");
  json_builder_begin_array (builder);
  for (guint64 done = 0; done < count;)
    {
      g_autoptr(GVariant) words = NULL;
      guint n = (guint) MIN (count - done, max);
      const guint64 *values;
      gsize size = 0;

      if (!ood_dbus_memory_call_read_words_sync (memory, address + done * (width / 8), n,
                                                 (guchar) width, &words, NULL, error))
        return NULL;
      values = g_variant_get_fixed_array (words, &size, sizeof (guint64));
      if (size != n)
        {
          g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                       "the service returned %" G_GSIZE_FORMAT " words instead of %u", size, n);
          return NULL;
        }
      for (gsize i = 0; i < size; i++)
        json_builder_add_int_value (builder, (gint64) values[i]);
      done += n;
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&words_layout, builder);
}

/* Writes @count values (@args), bytes through WriteBytes when @width is 0,
 * else words of @width bits through WriteWords. */
static gboolean
mem_write (OodDbusMemory *memory, guint64 address, guint width, int count, char **args,
           GError **error)
{
  g_autofree guint64 *values = g_new (guint64, (gsize) count);
  g_autofree guint8 *bytes = g_malloc ((gsize) count);
  guint64 top = width == 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << (width ? width : 8)) - 1;
  gsize max = values_per_call (memory, width);

  for (int i = 0; i < count; i++)
    {
      if (!parse_arg (args[i], top, &values[i], error))
        return FALSE;
      bytes[i] = (guint8) values[i];
    }
  for (gsize done = 0; done < (gsize) count;)
    {
      gsize n = MIN ((gsize) count - done, max);
      guint64 at = address + done * unit_of (width);
      GVariant *data; /* floating: the call sinks it */
      gboolean ok;

      if (width == 0)
        {
          data = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes + done, n, 1);
          ok = ood_dbus_memory_call_write_bytes_sync (memory, at, data, NULL, error);
        }
      else
        {
          data = g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, values + done, n,
                                            sizeof (guint64));
          ok = ood_dbus_memory_call_write_words_sync (memory, at, (guchar) width, data, NULL,
                                                      error);
        }
      if (!ok)
        return FALSE;
      done += n;
    }
  return TRUE;
}

/* The size of each ReadToFd/WriteFromFd call: about 1 % of @size, whole 4 KiB. */
static guint64
fd_chunk (guint64 size)
{
  guint64 chunk = (size / FD_CHUNK_STEPS + 4095) & ~G_GUINT64_CONSTANT (4095);

  return CLAMP (chunk, FD_CHUNK_MIN, FD_CHUNK_MAX);
}

/*
 * Moves @size bytes between @address and @fd, at @fd's offset 0 on, in
 * calls of fd_chunk() bytes each, so that a bar can show the progress:
 * the service itself reports none for a descriptor transfer.
 */
static gboolean
fd_transfer (CtlContext *ctx, OodDbusMemory *memory, gboolean dump, guint64 address,
             guint64 size, int fd, GError **error)
{
  g_autoptr(CtlProgress) progress = ctl_progress_new_full (ctx, dump ? "mem-dump" : "mem-load",
                                                            CTL_PROGRESS_TTY_ONLY);
  const char *phase = dump ? "reading" : "writing";
  guint64 chunk = fd_chunk (size);

  ctl_progress_update (progress, phase, 0, size);
  for (guint64 done = 0; done < size;)
    {
      g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
      guint64 n = MIN (size - done, chunk);
      gboolean ok;

      /* The service shares the file's offset with us: each chunk at its place. */
      if (lseek (fd, (off_t) done, SEEK_SET) < 0 && errno != ESPIPE)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot seek: %s",
                       g_strerror (saved));
          return FALSE;
        }
      if (g_unix_fd_list_append (list, fd, error) < 0)
        return FALSE;
      if (dump)
        ok = ood_dbus_memory_call_read_to_fd_sync (memory, address + done, n,
                                                   g_variant_new_handle (0), list, NULL, NULL,
                                                   error);
      else
        ok = ood_dbus_memory_call_write_from_fd_sync (memory, address + done, n,
                                                      g_variant_new_handle (0), list, NULL, NULL,
                                                      error);
      if (!ok)
        return FALSE;
      done += n;
      ctl_progress_update (progress, phase, done, size);
    }
  return TRUE;
}

static int
open_file (const char *file, gboolean dump, guint64 *size, GError **error)
{
  int fd = dump ? open (file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
                : open (file, O_RDONLY | O_CLOEXEC);
  struct stat st;
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot open '%s': %s",
                   file, g_strerror (saved));
      return -1;
    }
  if (dump)
    return fd;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "'%s' is not a regular file", file);
      close (fd);
      return -1;
    }
  *size = (guint64) st.st_size;
  return fd;
}

/* One address a line, 0x… */
static const CtlField hit_fields[] = {
  { .member = "address", .format = CTL_FORMAT_HEX },
  { NULL }
};

static const CtlLayout hit_table = { CTL_LAYOUT_TABLE, hit_fields };

/* The bytes of @hex, an even number of hex digits ("deadbeef"), or NULL. */
static GBytes *
parse_hex_pattern (const char *hex, GError **error)
{
  gsize n = strlen (hex);
  g_autofree guint8 *bytes = NULL;

  if (n == 0 || n % 2 != 0)
    {
      ctl_usage_error (error, "the pattern '%s' is not whole bytes of hex digits (\"deadbeef\")",
                       hex);
      return NULL;
    }
  bytes = g_malloc (n / 2);
  for (gsize i = 0; i < n / 2; i++)
    {
      gint hi = g_ascii_xdigit_value (hex[2 * i]), lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        {
          ctl_usage_error (error, "the pattern '%s' holds a character that is no hex digit", hex);
          return NULL;
        }
      bytes[i] = (guint8) (hi << 4 | lo);
    }
  return g_bytes_new_take (g_steal_pointer (&bytes), n / 2);
}

/* Text: the addresses, one a line. JSON: [{"address":N},…] */
static CtlRecord *
mem_search (OodDbusMemory *memory, guint64 address, guint64 size, GBytes *pattern, guint max,
            GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GVariant) hits = NULL;
  const guint64 *values;
  gsize n = 0;

  if (!ood_dbus_memory_call_search_sync (memory, address, size,
                                         g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                                   pattern, TRUE),
                                         max, &hits, NULL, error))
    return NULL;
  values = g_variant_get_fixed_array (hits, &n, sizeof (guint64));
  json_builder_begin_array (builder);
  for (gsize i = 0; i < n; i++)
    {
      json_builder_begin_object (builder);
      ctl_build_uint (builder, "address", values[i]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&hit_table, builder);
}

/* Checks --max and --width against the subcommand @sub. */
static gboolean
mem_check_options (const char *sub, gint max, gint width, GError **error)
{
  if (max != -1 && !g_str_equal (sub, "search"))
    return ctl_usage_error (error, "--max only goes with 'mem search'");
  if (width != 0 && !g_str_equal (sub, "read") && !g_str_equal (sub, "write"))
    return ctl_usage_error (error, "--width only goes with 'mem read' and 'mem write'");
  if (width != 0 && width != 8 && width != 16 && width != 32 && width != 64)
    return ctl_usage_error (error, "invalid --width %d: expected 8, 16, 32 or 64", width);
  return TRUE;
}

/*
 * mem read: a hexdump, or with --width W the words. mem search: the
 * addresses found. mem write, dump, load: nothing in text; JSON:
 * {"action":"mem-write"|"mem-dump"|"mem-load","endpoint":…,"name":…,
 * "address":N,"length":N[,"file":…]}, and mem write --width also
 * "width":W,"count":N (length is in bytes).
 */
CtlRecord *
ctl_cmd_mem (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_autoptr(OodDbusMemory) memory = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *action = NULL;
  OodDbusTarget *target = NULL;
  guint64 address = 0, length = 0;
  const char *sub, *file = NULL;
  gboolean ok = TRUE;
  int fd;
  gint max = -1, width = 0;
  g_autoptr(GBytes) pattern = NULL;
  const GOptionEntry entries[] = {
    { "max", 0, 0, G_OPTION_ARG_INT, &max, "search: stop at N matches (default 100)", "N" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width,
      "read, write: words of W bits (8, 16, 32 or 64) through ReadWords and WriteWords; "
      "LEN counts words (default 16)",
      "W" },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error) ||
      !mem_check_options (argv[1], max, width, error) ||
      !mem_check_usage (argc, argv, (guint) width, &address, &length, error))
    return NULL;
  sub = argv[1];
  if (g_str_equal (sub, "search") && (pattern = parse_hex_pattern (argv[4], error)) == NULL)
    return NULL;
  memory = ctl_open_interface (ctx, CTL_IFACE_MEMORY, &target, error);
  if (memory == NULL)
    return NULL;
  if (g_str_equal (sub, "read"))
    return width ? mem_read_words (memory, target, address, length, (guint) width, error)
                 : mem_read (memory, target, address, length, error);
  if (g_str_equal (sub, "search"))
    return mem_search (memory, address, length, pattern, max == -1 ? 100 : (guint) MAX (max, 0),
                       error);
  if (g_str_equal (sub, "write"))
    {
      length = ((guint64) argc - 3) * unit_of ((guint) width);
      ok = mem_write (memory, address, (guint) width, argc - 3, argv + 3, error);
    }
  else
    {
      gboolean dump = g_str_equal (sub, "dump");

      file = dump ? argv[4] : argv[2];
      fd = open_file (file, dump, &length, error);
      if (fd < 0)
        return NULL;
      ok = fd_transfer (ctx, memory, dump, address, length, fd, error);
      if (close (fd) < 0 && ok)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "'%s': %s", file,
                       g_strerror (saved));
          ok = FALSE;
        }
    }
  if (!ok)
    return NULL;
  json_builder_begin_object (builder);
  action = g_strconcat ("mem-", sub, NULL);
  ctl_build_done (builder, target, action);
  ctl_build_uint (builder, "address", address);
  ctl_build_uint (builder, "length", length);
  if (width != 0)
    {
      ctl_build_uint (builder, "width", (guint64) width);
      ctl_build_uint (builder, "count", (guint64) argc - 3);
    }
  if (file != NULL)
    ctl_build_string (builder, "file", file);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&ctl_layout_quiet, builder);
}
