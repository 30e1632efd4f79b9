/* SPDX-License-Identifier: MIT */
/*
 * openocdctl program, load and flash banks|sectors|erase|verify|protect:
 * the org.openocd.Flash interface, and watching the org.openocd.Job each
 * of Program, Load, Erase and Verify starts until it ends.
 */
#include "openocdctl.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define OOD_BUS_NAME "org.openocd"
#define JOB_IFACE    "org.openocd.Job"

/* ------------------------------------------------------------------ */
/* Watching a job                                                      */

/* Starts the job (a D-Bus call returning its path) */
typedef gboolean (*JobStartFunc) (gpointer   data,
                                  char     **out_path,
                                  GError   **error);

typedef struct {
  CtlContext      *ctx;
  GDBusConnection *bus;
  GMainLoop       *loop;
  CtlProgress     *progress;
  char            *path;        /* the job's, once Program/… answered */
  char            *phase;
  double           fraction;
  guint64          done, total;
  char            *state;
  gboolean         completed, success, vanished, cancelling;
  char            *error_name, *message;
  guint            sigint_id, sigterm_id;
  GCancellable    *cancel_call;  /* Cancel()'s reply is ignored once we return */
} JobWatch;

static void
report (JobWatch *watch)
{
  /* A job that ended without reaching a phase says "". */
  if (watch->phase != NULL && *watch->phase != '\0')
    ctl_progress_update_fraction (watch->progress, watch->phase, watch->fraction,
                                  watch->done, watch->total);
}

static void
on_properties (GDBusConnection *bus, const char *sender, const char *path,
               const char *interface, const char *member, GVariant *parameters,
               gpointer user_data)
{
  JobWatch *watch = user_data;
  g_autoptr(GVariant) changed = NULL;
  const char *text;

  (void) bus, (void) sender, (void) interface, (void) member;
  if (g_strcmp0 (path, watch->path) != 0 || watch->completed ||
      !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
  if (g_variant_lookup (changed, "Phase", "&s", &text))
    {
      g_free (watch->phase);
      watch->phase = g_strdup (text);
    }
  if (g_variant_lookup (changed, "State", "&s", &text))
    {
      g_free (watch->state);
      watch->state = g_strdup (text);
    }
  g_variant_lookup (changed, "Progress", "d", &watch->fraction);
  g_variant_lookup (changed, "BytesDone", "t", &watch->done);
  g_variant_lookup (changed, "BytesTotal", "t", &watch->total);
  report (watch);
}

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters,
              gpointer user_data)
{
  JobWatch *watch = user_data;

  (void) bus, (void) sender, (void) interface, (void) member;
  if (g_strcmp0 (path, watch->path) != 0 || watch->completed ||
      !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(bss)")))
    return;
  watch->completed = TRUE;
  g_variant_get (parameters, "(bss)", &watch->success, &watch->error_name, &watch->message);
  if (watch->success)
    {
      /* Progress is 1 on success; the line says so even if no change did. */
      watch->fraction = 1.0;
      report (watch);
    }
  g_main_loop_quit (watch->loop);
}

static void
on_name_owner (GObject *manager, GParamSpec *pspec, gpointer user_data)
{
  JobWatch *watch = user_data;
  g_autofree char *owner =
    g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));

  (void) pspec;
  if (owner == NULL)
    {
      watch->vanished = TRUE;
      g_main_loop_quit (watch->loop);
    }
}

static void
on_cancel_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobWatch *watch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);

  /* Cancelled: run_job() returned, and @watch is gone. */
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !watch->completed)
    {
      g_dbus_error_strip_remote_error (error);
      ctl_notice (watch->ctx, "cannot cancel the job: %s", error->message);
    }
}

/* Ctrl-C: the job's Cancel(). A second Ctrl-C ends openocdctl at once
 * (the handler is gone), leaving the job to stop on its own. */
static gboolean
on_interrupt (gpointer user_data)
{
  JobWatch *watch = user_data;

  /* Both handlers go: GLib then restores the default action. */
  g_clear_handle_id (&watch->sigint_id, g_source_remove);
  g_clear_handle_id (&watch->sigterm_id, g_source_remove);
  if (watch->completed || watch->cancelling)
    return G_SOURCE_REMOVE;
  watch->cancelling = TRUE;
  ctl_progress_break_line (watch->progress);
  ctl_notice (watch->ctx, "interrupted: cancelling the job %s (it stops after the chunk in "
              "progress; Ctrl-C again to stop waiting)", watch->path);
  g_dbus_connection_call (watch->bus, OOD_BUS_NAME, watch->path, JOB_IFACE, "Cancel", NULL,
                          G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, CTL_CALL_TIMEOUT_MS,
                          watch->cancel_call, on_cancel_reply, watch);
  return G_SOURCE_REMOVE;
}

/*
 * Starts a job with @start and waits until it ends, reporting its Phase and
 * Progress through a CtlProgress named @operation: the name the service's
 * Job gives it (its Operation property: "program", "load", "erase" or
 * "verify"), which the final record's "action" repeats. The signals are
 * subscribed to before the job starts, so none is missed. On success fills
 * @out_path and @out_total (BytesTotal).
 */
static gboolean
run_job (CtlContext *ctx, const char *operation, JobStartFunc start, gpointer data,
         char **out_path, guint64 *out_total, GError **error)
{
  JobWatch watch = { .ctx = ctx };
  guint props_id, completed_id;
  gulong owner_id;
  gboolean ok = FALSE;

  /* (transfer none) */
  watch.bus = g_dbus_object_manager_client_get_connection (G_DBUS_OBJECT_MANAGER_CLIENT (ctx->manager));
  watch.loop = g_main_loop_new (NULL, FALSE);
  watch.cancel_call = g_cancellable_new ();
  watch.progress = ctl_progress_new (ctx, operation);
  props_id = g_dbus_connection_signal_subscribe (watch.bus, OOD_BUS_NAME,
                                                 "org.freedesktop.DBus.Properties",
                                                 "PropertiesChanged", NULL, JOB_IFACE,
                                                 G_DBUS_SIGNAL_FLAGS_NONE, on_properties,
                                                 &watch, NULL);
  completed_id = g_dbus_connection_signal_subscribe (watch.bus, OOD_BUS_NAME, JOB_IFACE,
                                                     "Completed", NULL, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_completed,
                                                     &watch, NULL);
  owner_id = g_signal_connect (ctx->manager, "notify::name-owner", G_CALLBACK (on_name_owner),
                               &watch);
  watch.sigint_id = g_unix_signal_add (SIGINT, on_interrupt, &watch);
  watch.sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, &watch);

  /* The signals are dispatched from the main loop only: none is handled
   * before the path is known. */
  if (start (data, &watch.path, error))
    {
      g_main_loop_run (watch.loop);
      if (watch.vanished)
        g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                     "the openocd-dbus service went away while job %s ran", watch.path);
      else if (!watch.success)
        {
          g_autoptr(GError) failure =
            g_dbus_error_new_for_dbus_error (*watch.error_name ? watch.error_name
                                                               : "org.openocd.Error.Failed",
                                             watch.message);
          g_propagate_error (error, g_steal_pointer (&failure));
        }
      else
        {
          ok = TRUE;
          *out_path = g_steal_pointer (&watch.path);
          *out_total = watch.total;
        }
    }

  g_clear_handle_id (&watch.sigint_id, g_source_remove);
  g_clear_handle_id (&watch.sigterm_id, g_source_remove);
  g_signal_handler_disconnect (ctx->manager, owner_id);
  g_dbus_connection_signal_unsubscribe (watch.bus, props_id);
  g_dbus_connection_signal_unsubscribe (watch.bus, completed_id);
  g_cancellable_cancel (watch.cancel_call);
  /* GDBus frees a subscription in an idle of this context: let it run,
   * or the process may exit with it still allocated */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&watch.cancel_call);
  g_clear_pointer (&watch.progress, ctl_progress_free);
  g_main_loop_unref (watch.loop);
  g_free (watch.path);
  g_free (watch.phase);
  g_free (watch.state);
  g_free (watch.error_name);
  g_free (watch.message);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Images                                                              */

typedef struct {
  char     *format;       /* --format, or NULL */
  char     *address;      /* --address, or NULL */
  char     *reset;        /* --reset, or NULL */
  gboolean  no_verify;
} ImageOptions;

static void
image_options_clear (ImageOptions *options)
{
  g_clear_pointer (&options->format, g_free);
  g_clear_pointer (&options->address, g_free);
  g_clear_pointer (&options->reset, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImageOptions, image_options_clear)

/* An image file, open, and what to do with it. */
typedef struct {
  OodDbusFlash *flash;
  const char   *operation;  /* "program", "load", "verify" */
  const char   *file;
  int           fd;
  const char   *format;
  guint64       address;
  GVariant     *options;    /* floating, a{sv} */
} ImageJob;

static gboolean
check_format (const char *format, GError **error)
{
  static const char *const formats[] = { "bin", "ihex", "elf", NULL };

  if (format == NULL || g_strv_contains (formats, format))
    return TRUE;
  return ctl_usage_error (error, "unknown image format '%s': expected bin, ihex or elf", format);
}

/* .hex and .ihex are ihex; .elf, or a file starting with ELF's magic, elf; else bin. */
static const char *
guess_format (const char *file, int fd)
{
  g_autofree char *lower = g_ascii_strdown (file, -1);
  char magic[4];

  if (g_str_has_suffix (lower, ".hex") || g_str_has_suffix (lower, ".ihex"))
    return "ihex";
  if (g_str_has_suffix (lower, ".elf") ||
      (pread (fd, magic, sizeof magic, 0) == sizeof magic && memcmp (magic, "\177ELF", 4) == 0))
    return "elf";
  return "bin";
}

static int
open_image (const char *file, GError **error)
{
  int fd = open (file, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot open '%s': %s",
                   file, g_strerror (saved));
    }
  return fd;
}

static gboolean
start_image (gpointer data, char **out_path, GError **error)
{
  ImageJob *job = data;
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  GVariant *handle = g_variant_new_handle (0);

  if (g_unix_fd_list_append (list, job->fd, error) < 0)
    return FALSE;
  if (g_str_equal (job->operation, "program"))
    return ood_dbus_flash_call_program_sync (job->flash, handle, job->format, job->address,
                                             job->options, list, out_path, NULL, NULL, error);
  if (g_str_equal (job->operation, "load"))
    return ood_dbus_flash_call_load_sync (job->flash, handle, job->format, job->address,
                                          job->options, list, out_path, NULL, NULL, error);
  return ood_dbus_flash_call_verify_sync (job->flash, handle, job->format, job->address, list,
                                          out_path, NULL, NULL, error);
}

/* "program: succeeded bytes=16384" */
static const CtlField job_fields[] = {
  { .member = "action" },
  { .member = "state", .prefix = ": " },
  { .member = "bytes", .format = CTL_FORMAT_DECIMAL, .prefix = " bytes=" },
  { NULL }
};

static const CtlLayout job_layout = { CTL_LAYOUT_LINE, job_fields };

static void
build_job_end (JsonBuilder *builder, OodDbusTarget *target, const char *action,
               const char *path, guint64 total)
{
  ctl_build_done (builder, target, action);
  ctl_build_string (builder, "job", path);
  ctl_build_string (builder, "state", "succeeded");
  ctl_build_uint (builder, "bytes", total);
}

/* The target's Flash interface, or an error saying it has none. */
static OodDbusFlash *
peek_flash (OodDbusObject *object, GError **error)
{
  OodDbusFlash *flash = ood_dbus_object_peek_flash (object);

  if (flash == NULL)
    g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                 "the target has no flash banks (no org.openocd.Flash interface)");
  return flash;
}

/* The base of the target's first flash bank: where a bin image goes by default. */
static guint64
first_bank_base (OodDbusFlash *flash)
{
  GVariant *banks = ood_dbus_flash_get_banks (flash);
  guint64 base = 0;

  if (banks != NULL && g_variant_n_children (banks) > 0)
    g_variant_get_child (banks, 0, "(u&sttuu)", NULL, NULL, &base, NULL, NULL, NULL);
  return base;
}

/*
 * Runs @operation ("program", "load", "verify") of @file. @address_text:
 * the address given (ADDR of load, or --address), or NULL: for a bin image
 * the first bank's base, else 0.
 */
static CtlRecord *
image_command (CtlContext *ctx, const char *operation, const char *file, const char *address_text,
               const ImageOptions *options, GError **error)
{
  static const char *const resets[] = { "run", "halt", "none", NULL };
  g_autoptr(OodDbusObject) object = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);
  g_autoptr(GVariant) options_value = NULL;
  g_autofree char *path = NULL;
  ImageJob job = { .operation = operation, .file = file, .fd = -1 };
  gboolean address_given = address_text != NULL;
  guint64 total = 0;
  gboolean ok;

  if (!check_format (options->format, error))
    return NULL;
  if (options->reset != NULL && !g_strv_contains (resets, options->reset))
    {
      ctl_usage_error (error, "unknown reset mode '%s': expected run, halt or none",
                       options->reset);
      return NULL;
    }
  if (address_given)
    {
      g_autoptr(GError) local = NULL;
      if (!ctl_parse_number (address_text, G_MAXUINT64, &job.address, &local))
        {
          ctl_usage_error (error, "%s", local->message);
          return NULL;
        }
    }
  job.fd = open_image (file, error);
  if (job.fd < 0)
    return NULL;
  object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS, error);
  if (object == NULL || (job.flash = peek_flash (object, error)) == NULL)
    {
      close (job.fd);
      return NULL;
    }
  job.format = options->format ? options->format : guess_format (file, job.fd);
  if (!address_given && g_str_equal (job.format, "bin"))
    job.address = first_bank_base (job.flash);
  if (options->no_verify)
    g_variant_dict_insert (dict, "verify", "b", FALSE);
  if (options->reset != NULL)
    g_variant_dict_insert (dict, "reset", "s", options->reset);
  /* owned here: Verify takes no options, so nothing would sink it */
  options_value = g_variant_ref_sink (g_variant_dict_end (dict));
  job.options = options_value;
  ok = run_job (ctx, operation, start_image, &job, &path, &total, error);
  close (job.fd);
  if (!ok)
    return NULL;
  json_builder_begin_object (builder);
  build_job_end (builder, ood_dbus_object_peek_target (object), operation, path, total);
  ctl_build_string (builder, "file", file);
  ctl_build_string (builder, "format", job.format);
  ctl_build_uint (builder, "address", job.address);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&job_layout, builder);
}

/*
 * program FILE [--format F] [--address A] [--no-verify] [--reset MODE]
 * Progress as ctl-progress.c says; then "program: succeeded bytes=N", or
 * in JSON {"action":"program","endpoint":…,"name":…,"job":…,
 * "state":"succeeded","bytes":N,"file":…,"format":…,"address":N}.
 */
CtlRecord *
ctl_cmd_program (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_auto(ImageOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &options.format,
      "bin, ihex or elf (default: from the file: .hex/.ihex, .elf or ELF magic, else bin)", "F" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &options.address,
      "Where a bin image goes (default: the first bank's base); added to ihex and elf "
      "addresses (default 0)", "A" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &options.no_verify, "Do not verify after writing",
      NULL },
    { "reset", 0, 0, G_OPTION_ARG_STRING, &options.reset,
      "What to do after: run (the default), halt or none", "MODE" },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error))
    return NULL;
  return image_command (ctx, "program", argv[1], options.address, &options, error);
}

/* load FILE ADDR [--format F] [--no-verify]: like program, into RAM. */
CtlRecord *
ctl_cmd_load (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_auto(ImageOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &options.format,
      "bin, ihex or elf (default: from the file: .hex/.ihex, .elf or ELF magic, else bin)", "F" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &options.no_verify, "Do not verify after writing",
      NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error))
    return NULL;
  return image_command (ctx, "load", argv[1], argv[2], &options, error);
}

/* ------------------------------------------------------------------ */
/* flash banks|sectors|erase|verify|protect                            */

/* BANK NAME BASE SIZE */
static const CtlField bank_fields[] = {
  { .member = "index", .format = CTL_FORMAT_DECIMAL, .width = 4, .heading = "BANK" },
  { .member = "name", .prefix = " ", .width = 20, .heading = "NAME" },
  { .member = "base", .format = CTL_FORMAT_HEX, .prefix = " ", .width = 12, .heading = "BASE" },
  { .member = "size", .format = CTL_FORMAT_HEX, .prefix = " ", .heading = "SIZE" },
  { NULL }
};

static const CtlLayout bank_table = { CTL_LAYOUT_TABLE, bank_fields };

/* SECTOR ADDRESS SIZE PROTECTED */
static const CtlField sector_fields[] = {
  { .member = "index", .format = CTL_FORMAT_DECIMAL, .width = 6, .heading = "SECTOR" },
  { .member = "address", .format = CTL_FORMAT_HEX, .prefix = " ", .width = 12,
    .heading = "ADDRESS" },
  { .member = "size", .format = CTL_FORMAT_DECIMAL, .prefix = " ", .width = 8, .heading = "SIZE" },
  { .member = "protected", .format = CTL_FORMAT_BOOL, .prefix = " ", .heading = "PROTECTED",
    .yes = "yes", .no = "no" },
  { NULL }
};

static const CtlLayout sector_table = { CTL_LAYOUT_TABLE, sector_fields };

/* [{"index":N,"name":…,"base":N,"size":N,"bus_width":N,"chip_width":N},…] */
static CtlRecord *
flash_banks (OodDbusFlash *flash)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GVariant *banks = ood_dbus_flash_get_banks (flash);
  GVariantIter iter;
  const char *name;
  guint index, bus_width, chip_width;
  guint64 base, size;

  json_builder_begin_array (builder);
  if (banks != NULL)
    {
      g_variant_iter_init (&iter, banks);
      while (g_variant_iter_next (&iter, "(u&sttuu)", &index, &name, &base, &size, &bus_width,
                                  &chip_width))
        {
          json_builder_begin_object (builder);
          ctl_build_uint (builder, "index", index);
          ctl_build_string (builder, "name", name);
          ctl_build_uint (builder, "base", base);
          ctl_build_uint (builder, "size", size);
          ctl_build_uint (builder, "bus_width", bus_width);
          ctl_build_uint (builder, "chip_width", chip_width);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&bank_table, builder);
}

/* The base of bank @bank, or 0 when Banks does not list it. */
static guint64
bank_base (OodDbusFlash *flash, guint bank)
{
  GVariant *banks = ood_dbus_flash_get_banks (flash);
  GVariantIter iter;
  guint index;
  guint64 base;

  if (banks == NULL)
    return 0;
  g_variant_iter_init (&iter, banks);
  while (g_variant_iter_next (&iter, "(u&sttuu)", &index, NULL, &base, NULL, NULL, NULL))
    if (index == bank)
      return base;
  return 0;
}

/* [{"index":N,"offset":N,"address":N,"size":N,"protected":B},…] */
static CtlRecord *
flash_sectors (OodDbusFlash *flash, guint bank, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GVariant) sectors = NULL;
  guint64 base = bank_base (flash, bank);
  GVariantIter iter;
  guint index;
  guint64 offset, size;
  gboolean protected;

  if (!ood_dbus_flash_call_sectors_sync (flash, bank, &sectors, NULL, error))
    return NULL;
  json_builder_begin_array (builder);
  g_variant_iter_init (&iter, sectors);
  while (g_variant_iter_next (&iter, "(uttb)", &index, &offset, &size, &protected))
    {
      json_builder_begin_object (builder);
      ctl_build_uint (builder, "index", index);
      ctl_build_uint (builder, "offset", offset);
      ctl_build_uint (builder, "address", base + offset);
      ctl_build_uint (builder, "size", size);
      json_builder_set_member_name (builder, "protected");
      json_builder_add_boolean_value (builder, protected);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return ctl_record_new_from_builder (&sector_table, builder);
}

typedef struct {
  OodDbusFlash *flash;
  guint         bank, first, last;
} EraseJob;

static gboolean
start_erase (gpointer data, char **out_path, GError **error)
{
  EraseJob *job = data;

  return ood_dbus_flash_call_erase_sync (job->flash, job->bank, job->first, job->last, out_path,
                                         NULL, error);
}

/* flash erase BANK [FIRST [LAST]]: without FIRST every sector of the bank. */
static CtlRecord *
flash_erase (CtlContext *ctx, OodDbusObject *object, OodDbusFlash *flash, const guint64 *numbers,
             int count, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *path = NULL;
  EraseJob job = { .flash = flash, .bank = (guint) numbers[0] };
  guint64 total = 0;

  if (count >= 2)
    job.first = job.last = (guint) numbers[1];
  if (count >= 3)
    job.last = (guint) numbers[2];
  if (count == 1)
    {
      g_autoptr(GVariant) sectors = NULL;

      if (!ood_dbus_flash_call_sectors_sync (flash, job.bank, &sectors, NULL, error))
        return NULL;
      if (g_variant_n_children (sectors) == 0)
        {
          g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED, "flash bank %u has no sectors",
                       job.bank);
          return NULL;
        }
      job.last = (guint) g_variant_n_children (sectors) - 1;
    }
  if (!run_job (ctx, "erase", start_erase, &job, &path, &total, error))
    return NULL;
  json_builder_begin_object (builder);
  build_job_end (builder, ood_dbus_object_peek_target (object), "erase", path, total);
  ctl_build_uint (builder, "bank", job.bank);
  ctl_build_uint (builder, "first", job.first);
  ctl_build_uint (builder, "last", job.last);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&job_layout, builder);
}

/* "flash-protect: bank 0 sectors 4 to 7 protected" */
static const CtlField protect_fields[] = {
  { .member = "action" },
  { .member = "bank", .format = CTL_FORMAT_DECIMAL, .prefix = ": bank " },
  { .member = "first", .format = CTL_FORMAT_DECIMAL, .prefix = " sectors " },
  { .member = "last", .format = CTL_FORMAT_DECIMAL, .prefix = " to " },
  { .member = "protected", .format = CTL_FORMAT_BOOL, .prefix = " ", .yes = "protected",
    .no = "not protected" },
  { NULL }
};

static const CtlLayout protect_layout = { CTL_LAYOUT_LINE, protect_fields };

/* flash protect BANK FIRST LAST on|off: one call (the service resets the
 * target, so the part loads its option bytes). */
static CtlRecord *
flash_protect (OodDbusObject *object, OodDbusFlash *flash, const guint64 *numbers, gboolean on,
               GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint bank = (guint) numbers[0], first = (guint) numbers[1], last = (guint) numbers[2];

  if (!ood_dbus_flash_call_protect_sync (flash, bank, first, last, on, NULL, error))
    return NULL;
  json_builder_begin_object (builder);
  ctl_build_done (builder, ood_dbus_object_peek_target (object), "flash-protect");
  ctl_build_uint (builder, "bank", bank);
  ctl_build_uint (builder, "first", first);
  ctl_build_uint (builder, "last", last);
  json_builder_set_member_name (builder, "protected");
  json_builder_add_boolean_value (builder, on);
  json_builder_end_object (builder);
  return ctl_record_new_from_builder (&protect_layout, builder);
}

static gboolean
flash_usage (GError **error)
{
  return ctl_usage_error (error, "usage: %s flash banks | sectors [BANK] | "
                          "erase BANK [FIRST [LAST]] | verify FILE | "
                          "protect BANK FIRST LAST on|off", g_get_prgname ());
}

/*
 * flash banks: a table (JSON: an array). flash sectors [BANK]: a table of
 * bank BANK's (default 0) sectors. flash erase and verify: jobs, reported
 * as program's. flash protect: one line (JSON: an object).
 */
CtlRecord *
ctl_cmd_flash (CtlContext *ctx, int argc, char **argv, GError **error)
{
  g_auto(ImageOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &options.format,
      "verify: bin, ihex or elf (default: from the file)", "F" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &options.address,
      "verify: as for program (default: the first bank's base for bin, else 0)", "A" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(OodDbusObject) object = NULL;
  const char *sub;
  guint64 numbers[3] = { 0 };
  int count;
  OodDbusFlash *flash;

  if (!ctl_parse_command (ctx, &argc, &argv, entries, error))
    return NULL;
  sub = argv[1];
  count = argc - 2;
  if (!g_str_equal (sub, "banks") && !g_str_equal (sub, "sectors") &&
      !g_str_equal (sub, "erase") && !g_str_equal (sub, "verify") &&
      !g_str_equal (sub, "protect"))
    {
      ctl_usage_error (error, "unknown flash command '%s': expected banks, sectors, erase, "
                       "verify or protect", sub);
      return NULL;
    }
  if ((g_str_equal (sub, "banks") && count != 0) ||
      (g_str_equal (sub, "sectors") && count > 1) ||
      (g_str_equal (sub, "erase") && (count < 1 || count > 3)) ||
      (g_str_equal (sub, "verify") && count != 1) ||
      (g_str_equal (sub, "protect") &&
       (count != 4 || (!g_str_equal (argv[5], "on") && !g_str_equal (argv[5], "off")))))
    {
      flash_usage (error);
      return NULL;
    }
  if (g_str_equal (sub, "protect"))
    count = 3;   /* the numbers; then on|off */
  if (g_str_equal (sub, "verify"))
    return image_command (ctx, "verify", argv[2], options.address, &options, error);
  if (options.format != NULL || options.address != NULL)
    {
      ctl_usage_error (error, "--format and --address only go with 'flash verify'");
      return NULL;
    }
  for (int i = 0; i < count; i++)
    {
      g_autoptr(GError) local = NULL;
      if (!ctl_parse_number (argv[2 + i], G_MAXUINT32, &numbers[i], &local))
        {
          ctl_usage_error (error, "%s", local->message);
          return NULL;
        }
    }
  object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS, error);
  if (object == NULL || (flash = peek_flash (object, error)) == NULL)
    return NULL;
  if (g_str_equal (sub, "banks"))
    return flash_banks (flash);
  if (g_str_equal (sub, "sectors"))
    return flash_sectors (flash, (guint) numbers[0], error);
  if (g_str_equal (sub, "protect"))
    return flash_protect (object, flash, numbers, g_str_equal (argv[5], "on"), error);
  return flash_erase (ctx, object, flash, numbers, count, error);
}
