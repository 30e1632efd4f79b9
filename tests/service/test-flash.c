/* SPDX-License-Identifier: MIT */
/* Integration tests of org.openocd.Flash and org.openocd.Job: the real
 * daemon on a private bus, a real OpenOCD 0.12 and the simulated board's
 * GD32VF103-like flash (64 KiB at 0x08000000, 1 KiB pages) programmed by
 * OpenOCD's own stm32f1x driver. What the service wrote is read back with
 * raw Tcl (read_memory, flash verify_bank). Every case runs on its own
 * fixture (the shared one, ood-test-fixture.h, and the Flash proxy and
 * the jobs' signals), with its own $RUNTIME_DIRECTORY for the daemon's
 * private files, and checks that the daemon exits cleanly and leaves
 * none of them behind. */
#include <elf.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ood-error.h"
#include "ood-state.h"
#include "ood-test-dbus.h"
#include "ood-test-fixture.h"

#define FLASH_BASE  0x08000000u
#define FLASH_SIZE  0x10000u
#define SECTOR      0x400u
/* The dual-bank board (OodTestbedOptions.flash_banks 2): bank 0 512 KiB
 * at FLASH_BASE, bank 1 64 KiB at BANK1_BASE, 2 KiB sectors. */
#define BANK1_BASE  0x08080000u
#define BANK1_SIZE  0x10000u
#define XL_SECTOR   0x800u
#define IMAGE_SIZE  (32u * 1024)
#define JOB_WAIT_MS 30000
#define LINGER_MS   "1500"

#define PGERR_TEXT    "stm32x device programming failed / flash not erased"
#define WRPRT_TEXT    "stm32x device protected"
#define LOCKED_TEXT   "Failed to write memory (addr=0x40022004)"

/* What the signals said about one job, from its first PropertiesChanged. */
typedef struct {
  GArray    *progress;     /* (element-type gdouble) every Progress announced */
  GPtrArray *phases;       /* every Phase announced, consecutive repeats folded */
  guint64    bytes_done;
  guint      advances;     /* how many BytesDone changes were announced */
  guint      signals;      /* PropertiesChanged signals */
  gboolean   first_whole;  /* the first carried BytesTotal and Phase */
  gboolean   end_whole;    /* State came with Progress 1 (success) or alone */
  gboolean   early_one;    /* Progress 1 came before State */
  char      *state;
  gboolean   completed;
  gboolean   success;
  char      *error_name;
  char      *message;
} JobLog;

typedef struct {
  OodTestFixture base;
  OodDbusFlash *flash;
  char *runtime_dir; /* the daemon's $RUNTIME_DIRECTORY */
  char *tmpdir;      /* the test's own files */
  GHashTable *jobs;  /* job path → JobLog */
  guint props_id, completed_id;
} FlashFixture;

/* What most cases run with: a job lingers LINGER_MS after it ends. */
static const char *const linger_args[] = { "--job-linger", LINGER_MS, NULL };
static const OodServiceOptions lingering = { .extra_args = linger_args };
/* On the dual-bank board. */
static const OodServiceOptions two_banks = { .extra_args = linger_args, .flash_banks = 2 };

static void
job_log_free (JobLog *log)
{
  g_array_unref (log->progress);
  g_ptr_array_unref (log->phases);
  g_free (log->state);
  g_free (log->error_name);
  g_free (log->message);
  g_free (log);
}

static JobLog *
job_log (FlashFixture *fx, const char *path)
{
  JobLog *log = g_hash_table_lookup (fx->jobs, path);

  if (log == NULL)
    {
      log = g_new0 (JobLog, 1);
      log->progress = g_array_new (FALSE, FALSE, sizeof (gdouble));
      log->phases = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (fx->jobs, g_strdup (path), log);
    }
  return log;
}

static void
on_job_properties (GDBusConnection *bus, const char *sender, const char *path,
                   const char *interface, const char *member, GVariant *parameters,
                   gpointer user_data)
{
  FlashFixture *fx = user_data;
  JobLog *log = job_log (fx, path);
  g_autoptr(GVariant) changed = NULL;
  const char *text;
  gdouble progress;

  (void) bus, (void) sender, (void) interface, (void) member;
  g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
  if (log->signals++ == 0)
    log->first_whole = g_variant_lookup (changed, "BytesTotal", "t", NULL) &&
                       g_variant_lookup (changed, "Phase", "&s", &text) && text[0] != '\0';
  if (g_variant_lookup (changed, "Progress", "d", &progress))
    {
      g_array_append_val (log->progress, progress);
      if (progress == 1.0 && !g_variant_lookup (changed, "State", "&s", NULL))
        log->early_one = TRUE;
    }
  if (g_variant_lookup (changed, "Phase", "&s", &text) &&
      (log->phases->len == 0 ||
       !g_str_equal (g_ptr_array_index (log->phases, log->phases->len - 1), text)))
    g_ptr_array_add (log->phases, g_strdup (text));
  if (g_variant_lookup (changed, "BytesDone", "t", &log->bytes_done))
    log->advances++;
  if (g_variant_lookup (changed, "State", "&s", &text))
    {
      g_free (log->state);
      log->state = g_strdup (text);
      /* ErrorName, "" while running, changes only on failure */
      log->end_whole = g_str_equal (text, "succeeded")
                       ? g_variant_lookup (changed, "Progress", "d", &progress) && progress == 1.0
                       : g_variant_lookup (changed, "ErrorName", "&s", NULL);
    }
}

static void
on_job_completed (GDBusConnection *bus, const char *sender, const char *path,
                  const char *interface, const char *member, GVariant *parameters,
                  gpointer user_data)
{
  JobLog *log = job_log (user_data, path);

  (void) bus, (void) sender, (void) interface, (void) member;
  g_assert_false (log->completed);  /* once only */
  log->completed = TRUE;
  g_variant_get (parameters, "(bss)", &log->success, &log->error_name, &log->message);
}

/* Makes the daemon's runtime directory and the test's own, then starts
 * what @options (a const OodServiceOptions *) asks for, and watches the
 * jobs' signals. */
static void
flash_set_up (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;

  fx->runtime_dir = g_dir_make_tmp ("ood-flash-run-XXXXXX", &error);
  g_assert_no_error (error);
  fx->tmpdir = g_dir_make_tmp ("ood-flash-test-XXXXXX", &error);
  g_assert_no_error (error);
  /* the daemon inherits it: its private files go there */
  g_setenv ("RUNTIME_DIRECTORY", fx->runtime_dir, TRUE);
  ood_test_fixture_set_up (&fx->base, options);
  fx->flash = ood_dbus_flash_proxy_new_sync (fx->base.bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd",
                                             fx->base.target_path, NULL, &error);
  g_assert_no_error (error);
  fx->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) job_log_free);
  fx->props_id = g_dbus_connection_signal_subscribe (fx->base.bus, "org.openocd",
                                                     "org.freedesktop.DBus.Properties",
                                                     "PropertiesChanged", NULL, "org.openocd.Job",
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_job_properties,
                                                     fx, NULL);
  fx->completed_id = g_dbus_connection_signal_subscribe (fx->base.bus, "org.openocd",
                                                         "org.openocd.Job", "Completed", NULL, NULL,
                                                         G_DBUS_SIGNAL_FLAGS_NONE, on_job_completed,
                                                         fx, NULL);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
}

/* How many files the daemon left in its runtime directory. */
static guint
runtime_files (FlashFixture *fx)
{
  g_autoptr(GDir) d = g_dir_open (fx->runtime_dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* Stops the daemon, which must exit cleanly and leave no file in its
 * runtime directory, and removes both directories. */
static void
flash_tear_down (FlashFixture *fx, gconstpointer options)
{
  g_dbus_connection_signal_unsubscribe (fx->base.bus, fx->props_id);
  g_dbus_connection_signal_unsubscribe (fx->base.bus, fx->completed_id);
  g_clear_object (&fx->flash);
  ood_test_fixture_tear_down (&fx->base, options);
  g_assert_cmpuint (runtime_files (fx), ==, 0);
  remove_dir (fx->runtime_dir);
  remove_dir (fx->tmpdir);
  g_hash_table_unref (fx->jobs);
  g_free (fx->runtime_dir);
  g_free (fx->tmpdir);
}

/* ---- images ------------------------------------------------------------- */

static char *
save (FlashFixture *fx, const char *name, GBytes *bytes)
{
  return ood_test_save_bytes (fx->tmpdir, name, bytes);
}

/* Intel HEX of @bytes at @address, made by objcopy. */
static GBytes *
ihex_image (FlashFixture *fx, GBytes *bytes, guint32 address)
{
  g_autofree char *bin = save (fx, "for-ihex.bin", bytes);
  g_autofree char *hex = g_build_filename (fx->tmpdir, "image.hex", NULL);
  g_autofree char *change = g_strdup_printf ("0x%x", address);
  const char *argv[] = { "objcopy", "-I", "binary", "-O", "ihex", "--change-addresses", change,
                         bin, hex, NULL };
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return ood_test_load_bytes (hex);
}

/* An executable ELF32 (RISC-V) with one PT_LOAD per part, at its physical
 * address, and a section-less layout: what a linker gives for flash. */
static GBytes *
elf_image (GBytes *const *parts, const guint32 *addresses, guint n)
{
  GByteArray *out = g_byte_array_new ();
  Elf32_Ehdr ehdr = { 0 };
  guint32 offset = sizeof ehdr + n * sizeof (Elf32_Phdr);

  memcpy (ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS32;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_type = ET_EXEC;
  ehdr.e_machine = EM_RISCV;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_entry = addresses[0];
  ehdr.e_phoff = sizeof ehdr;
  ehdr.e_ehsize = sizeof ehdr;
  ehdr.e_phentsize = sizeof (Elf32_Phdr);
  ehdr.e_phnum = (Elf32_Half) n;
  g_byte_array_append (out, (const guint8 *) &ehdr, sizeof ehdr);
  for (guint i = 0; i < n; i++)
    {
      Elf32_Phdr phdr = {
        .p_type = PT_LOAD, .p_offset = offset, .p_vaddr = addresses[i] + 0x10000000u,
        .p_paddr = addresses[i], .p_filesz = (Elf32_Word) g_bytes_get_size (parts[i]),
        .p_memsz = (Elf32_Word) g_bytes_get_size (parts[i]), .p_flags = PF_R | PF_X,
        .p_align = 4,
      };
      g_byte_array_append (out, (const guint8 *) &phdr, sizeof phdr);
      offset += phdr.p_filesz;
    }
  for (guint i = 0; i < n; i++)
    g_byte_array_append (out, g_bytes_get_data (parts[i], NULL),
                         (guint) g_bytes_get_size (parts[i]));
  return g_byte_array_free_to_bytes (out);
}

/* A descriptor reading @bytes: an unlinked file, as a client would pass. */
static GUnixFDList *
fd_of (FlashFixture *fx, GBytes *bytes)
{
  return ood_test_fd_list_of (fx->tmpdir, bytes);
}

/* ---- calls -------------------------------------------------------------- */

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

/* Program (or Load, if @load) of @bytes; the job's path, or NULL with @error. */
static char *
start_image (FlashFixture *fx, gboolean load, GBytes *bytes, const char *format, guint64 address,
             GVariant *options, GError **error)
{
  g_autoptr(GUnixFDList) list = fd_of (fx, bytes);
  char *job = NULL;
  gboolean ok;

  if (options == NULL)
    options = no_options ();
  if (load)
    ok = ood_dbus_flash_call_load_sync (fx->flash, g_variant_new_handle (0), format, address,
                                        options, list, &job, NULL, NULL, error);
  else
    ok = ood_dbus_flash_call_program_sync (fx->flash, g_variant_new_handle (0), format, address,
                                           options, list, &job, NULL, NULL, error);
  g_assert_true (ok == (job != NULL));
  return job;
}

static char *
start_program (FlashFixture *fx, GBytes *bytes, const char *format, guint64 address,
               GVariant *options)
{
  g_autoptr(GError) error = NULL;
  char *job = start_image (fx, FALSE, bytes, format, address, options, &error);

  g_assert_no_error (error);
  g_assert_true (g_variant_is_object_path (job));
  g_assert_true (g_str_has_prefix (job, "/org/openocd/jobs/"));
  return job;
}

typedef struct {
  FlashFixture *fx;
  const char *path;
} JobWait;

static gboolean
job_completed (gpointer user_data)
{
  JobWait *wait = user_data;
  JobLog *log = g_hash_table_lookup (wait->fx->jobs, wait->path);

  return log != NULL && log->completed;
}

/* Waits for Completed, and checks it agrees with the State and Progress
 * announced before it. */
static JobLog *
wait_job (FlashFixture *fx, const char *path)
{
  JobWait wait = { fx, path };
  JobLog *log;

  g_assert_true (ood_test_wait_for (job_completed, &wait, JOB_WAIT_MS));
  log = job_log (fx, path);
  g_assert_nonnull (log->state);
  g_assert_true (log->end_whole);
  g_assert_false (log->early_one);
  g_assert_cmpstr (log->state, ==, log->success ? "succeeded" :
                   g_str_equal (log->error_name, "org.openocd.Error.Cancelled") ? "cancelled"
                                                                                : "failed");
  for (guint i = 1; i < log->progress->len; i++)
    g_assert_cmpfloat (g_array_index (log->progress, gdouble, i), >=,
                       g_array_index (log->progress, gdouble, i - 1));
  if (log->success)
    {
      g_assert_cmpstr (log->error_name, ==, "");
      g_assert_cmpfloat (g_array_index (log->progress, gdouble, log->progress->len - 1), ==, 1.0);
    }
  else
    g_test_message ("%s: %s: %s", path, log->error_name, log->message);
  return log;
}

static JobLog *
program (FlashFixture *fx, GBytes *bytes, const char *format, guint64 address, GVariant *options)
{
  g_autofree char *job = start_program (fx, bytes, format, address, options);

  return wait_job (fx, job);
}

static void
assert_succeeded (JobLog *log)
{
  if (!log->success)
    g_error ("the job failed: %s: %s", log->error_name, log->message);
}

static void
assert_failed (JobLog *log, const char *error_name, const char *text)
{
  g_assert_false (log->success);
  g_assert_cmpstr (log->error_name, ==, error_name);
  if (text != NULL && strstr (log->message, text) == NULL)
    g_error ("'%s' is not in the job's message '%s'", text, log->message);
}

/* ---- raw Tcl ------------------------------------------------------------ */

static char *
tcl (FlashFixture *fx, const char *command)
{
  return ood_test_tcl_eval_on (fx->base.testbed, command);
}

static void
assert_flash_holds (FlashFixture *fx, guint32 address, GBytes *expected)
{
  gsize size = g_bytes_get_size (expected);
  g_autoptr(GBytes) actual = ood_test_tcl_read_memory (fx->base.testbed, size % 4 == 0 ? 32 : 8,
                                                        address, size);

  g_assert_true (g_bytes_equal (actual, expected));
}

static void
assert_flash_holds_range (FlashFixture *fx, guint32 address, GBytes *image, gsize offset,
                          gsize length)
{
  g_autoptr(GBytes) part = g_bytes_new_from_bytes (image, offset, length);

  assert_flash_holds (fx, address, part);
}

/* @image with its byte at @offset xored with @mask. */
static GBytes *
with_byte_changed (GBytes *image, gsize offset, guint8 mask)
{
  gsize size = 0;
  guint8 *data = g_bytes_unref_to_data (g_bytes_ref (image), &size);

  g_assert_cmpuint (offset, <, size);
  data[offset] ^= mask;
  return g_bytes_new_take (data, size);
}

static void
assert_erased (FlashFixture *fx, guint32 address, gsize size)
{
  g_autofree guint8 *ff = g_malloc (size);
  g_autoptr(GBytes) erased = NULL;

  memset (ff, 0xff, size);
  erased = g_bytes_new (ff, size);
  assert_flash_holds (fx, address, erased);
}

/* "flash verify_bank 0 FILE OFFSET" of @bytes: OpenOCD's own compare
 * (on a halted target: the RISC-V driver reads no memory from a running
 * one but through the system bus, which verify_bank does not use). */
static void
assert_verify_bank (FlashFixture *fx, GBytes *bytes, guint32 offset)
{
  g_autofree char *file = save (fx, "verify.bin", bytes);
  g_autofree char *quoted = ood_test_tcl_quote (file);
  g_autofree char *command = g_strdup_printf ("halt; capture {flash verify_bank 0 %s %u}", quoted,
                                              offset);
  g_autofree char *reply = tcl (fx, command);

  if (strstr (reply, "contents match") == NULL)
    g_error ("flash verify_bank: %s", reply);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_banks (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GVariant) banks = ood_dbus_flash_dup_banks (fx->flash);
  g_autoptr(GVariant) sectors = NULL;
  g_autoptr(GError) error = NULL;
  guint index, bus_width, chip_width;
  guint64 base, size, offset;
  const char *name;
  gboolean protected;

  (void) options;
  g_assert_nonnull (banks);
  g_assert_cmpuint (g_variant_n_children (banks), ==, 1);
  g_variant_get_child (banks, 0, "(u&sttuu)", &index, &name, &base, &size, &bus_width,
                       &chip_width);
  g_assert_cmpuint (index, ==, 0);
  g_assert_cmpstr (name, ==, "riscvsim.flash");
  g_assert_cmphex (base, ==, FLASH_BASE);
  g_assert_cmphex (size, ==, FLASH_SIZE);   /* probed at connect */

  g_assert_true (ood_dbus_flash_call_sectors_sync (fx->flash, 0, &sectors, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (sectors), ==, FLASH_SIZE / SECTOR);
  for (guint i = 0; i < FLASH_SIZE / SECTOR; i++)
    {
      g_variant_get_child (sectors, i, "(uttb)", &index, &offset, &size, &protected);
      g_assert_cmpuint (index, ==, i);
      g_assert_cmphex (offset, ==, i * SECTOR);
      g_assert_cmphex (size, ==, SECTOR);
      g_assert_false (protected);
    }
  g_clear_pointer (&sectors, g_variant_unref);
  g_assert_false (ood_dbus_flash_call_sectors_sync (fx->flash, 1, &sectors, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
}

static void
test_program_bin (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  g_autofree char *job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  g_autoptr(OodDbusJob) proxy = NULL;
  g_autoptr(GError) error = NULL;
  const char *const order[] = { "comparing", "erasing", "writing", "verifying", "resetting" };
  JobLog *log;

  (void) options;
  proxy = ood_dbus_job_proxy_new_sync (fx->base.bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd", job,
                                       NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ood_dbus_job_get_operation (proxy), ==, "program");
  g_assert_cmpstr (ood_dbus_job_get_target (proxy), ==, fx->base.target_path);
  log = wait_job (fx, job);
  assert_succeeded (log);

  /* the phases in order, every one of them */
  g_assert_cmpuint (log->phases->len, ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpstr (g_ptr_array_index (log->phases, i), ==, order[i]);
  /* one PropertiesChanged per step, the first with BytesTotal and the
   * first Phase: the steps onto erased flash are a halt, the sums step
   * (every sector's first word differs, so all is programmed), one
   * erase, 2 writes (16336 bytes, one loader run, then the rest: one
   * run and the last 96 bytes), one verify and the reset: 7 steps, so
   * the first announcement and one after each step that changed
   * something (the halt changes nothing) */
  g_assert_true (log->first_whole);
  g_assert_cmpuint (log->signals, ==, 1 + 6);
  g_assert_cmpuint (log->advances, ==, 2); /* BytesDone: once per write step */
  g_assert_cmpfloat (g_array_index (log->progress, gdouble, 0), <, 0.2);
  g_assert_cmpuint (log->bytes_done, ==, IMAGE_SIZE);
  g_assert_cmpuint (ood_dbus_job_get_bytes_total (proxy), ==, IMAGE_SIZE);
  g_assert_cmpstr (ood_dbus_job_get_error_name (proxy), ==, "");
  g_assert_cmpstr (ood_dbus_job_get_error_message (proxy), ==, "");

  assert_flash_holds (fx, FLASH_BASE, image);
  assert_verify_bank (fx, image, 0);
  assert_erased (fx, FLASH_BASE + IMAGE_SIZE, FLASH_SIZE - IMAGE_SIZE);
  g_assert_cmpuint (runtime_files (fx), ==, 0);
}

static void
test_program_ihex (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  g_autoptr(GBytes) hex = ihex_image (fx, image, FLASH_BASE + 0x1000);

  (void) options;
  /* @address is added to the file's addresses */
  assert_succeeded (program (fx, hex, "ihex", 0x1000, NULL));
  assert_flash_holds (fx, FLASH_BASE + 0x2000, image);
  assert_verify_bank (fx, image, 0x2000);
  assert_erased (fx, FLASH_BASE, 0x2000);
}

static void
test_program_elf (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) text = ood_test_random_flash_image (20 * 1024 + 6);   /* ends mid-sector */
  g_autoptr(GBytes) data = ood_test_random_flash_image (8 * 1024);
  GBytes *parts[] = { text, data };
  const guint32 addresses[] = { FLASH_BASE, FLASH_BASE + 0xa000 };
  g_autoptr(GBytes) elf = elf_image (parts, addresses, 2);
  JobLog *log = program (fx, elf, "elf", 0, NULL);

  (void) options;
  assert_succeeded (log);
  g_assert_cmpuint (log->bytes_done, ==, g_bytes_get_size (text) + g_bytes_get_size (data));
  assert_flash_holds_range (fx, FLASH_BASE, text, 0, 20 * 1024);
  assert_verify_bank (fx, text, 0);
  assert_verify_bank (fx, data, 0xa000);
  /* the sectors between the segments are not touched */
  assert_erased (fx, FLASH_BASE + 0x5400, 0xa000 - 0x5400);
}

/* lui a0, 0x80008; li a1, 42; sw a1, 0x100(a0); ebreak */
static const guint32 ram_program[] = { 0x80008537u, 0x02a00593u, 0x10b52023u, 0x00100073u };
#define RAM_PROGRAM 0x80004000u
#define RAM_RESULT  0x80008100u

static void
test_load_run (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) code = g_bytes_new (ram_program, sizeof ram_program);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autofree char *job = NULL;
  g_autofree char *result = NULL;
  const char *name, *st;
  gboolean pc_valid;
  guint64 pc;

  (void) options;
  ood_test_halt (fx->base.target);
  g_free (tcl (fx, "mww 0x80008100 0"));
  job = start_image (fx, TRUE, code, "bin", RAM_PROGRAM, NULL, &error);
  g_assert_no_error (error);
  assert_succeeded (wait_job (fx, job));
  assert_flash_holds (fx, RAM_PROGRAM, code);

  g_assert_true (ood_dbus_target_call_resume_at_sync (fx->base.target, RAM_PROGRAM, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_dbus_target_call_wait_halt_sync (fx->base.target, 5000, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ood_state_dict_parse (state, &name, &st, &pc_valid, &pc));
  g_assert_true (pc_valid);
  g_assert_cmphex (pc, ==, RAM_PROGRAM + 12);   /* the ebreak */
  result = tcl (fx, "lindex [read_memory 0x80008100 32 1] 0");
  g_assert_cmpuint (strtoull (result, NULL, 0), ==, 42);
}

typedef struct {
  FlashFixture *fx;
  const char *path;
  const char *phase;
} PhaseWait;

static gboolean
phase_reached (gpointer user_data)
{
  PhaseWait *wait = user_data;
  JobLog *log = g_hash_table_lookup (wait->fx->jobs, wait->path);

  if (log == NULL)
    return FALSE;
  for (guint i = 0; i < log->phases->len; i++)
    if (g_str_equal (g_ptr_array_index (log->phases, i), wait->phase))
      return TRUE;
  return log->completed;
}

static void
wait_phase (FlashFixture *fx, const char *path, const char *phase)
{
  PhaseWait wait = { fx, path, phase };

  g_assert_true (ood_test_wait_for (phase_reached, &wait, JOB_WAIT_MS));
  g_assert_false (job_log (fx, path)->completed);
}

static void
test_busy (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  g_autofree char *job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  g_autofree char *second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;

  (void) options;
  wait_phase (fx, job, "erasing");
  second = start_image (fx, FALSE, image, "bin", FLASH_BASE, NULL, &error);
  g_assert_null (second);
  ood_test_assert_dbus_error (error, "org.openocd.Error.Busy", OOD_ERROR, OOD_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_halt_sync (fx->base.target, &state, NULL, &error));
  ood_test_assert_dbus_error (error, "org.openocd.Error.Busy", OOD_ERROR, OOD_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_step_sync (fx->base.target, &state, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.Busy");
  g_clear_error (&error);
  g_assert_false (ood_dbus_target_call_resume_sync (fx->base.target, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.Busy");
  g_clear_error (&error);
  g_assert_false (ood_dbus_flash_call_protect_sync (fx->flash, 0, 0, 3, TRUE, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.Busy");
  g_clear_error (&error);
  /* reads are answered between the chunks, while the job still runs */
  g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (job_log (fx, job)->completed);
  g_clear_pointer (&state, g_variant_unref);

  assert_succeeded (wait_job (fx, job));
  /* the claim is gone with the job */
  ood_test_halt (fx->base.target);
}

/* A State() sent during the job waits for the step in flight, not for
 * the steps after it: the job's next step is queued behind the reads
 * that came in meanwhile, whatever else (the service's own refreshes on
 * the loader's halts) is going on. Counted in steps, from the job's own
 * BytesDone announcements, so the machine's speed does not matter: one
 * step may end while the call waits, a second one's announcement may
 * already be on its way when it is sent, a third would mean the call
 * was overtaken. The whole bank (64 KiB), for 4 write steps. */
static void
test_reads_between_chunks (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (FLASH_SIZE);
  g_autofree char *job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  JobLog *log;
  guint calls = 0, most = 0;

  (void) options;
  wait_phase (fx, job, "erasing");
  log = job_log (fx, job);
  while (!log->completed)
    {
      g_autoptr(GVariant) state = NULL;
      g_autoptr(GError) error = NULL;
      guint before;

      ood_test_drain ();
      before = log->advances;
      g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, &state, NULL, &error));
      g_assert_no_error (error);
      ood_test_drain ();
      if (log->completed)
        break;
      most = MAX (most, log->advances - before);
      calls++;
    }
  assert_succeeded (wait_job (fx, job));
  g_test_message ("%u State() calls during the job; at most %u steps ended during one", calls,
                  most);
  g_assert_cmpuint (calls, >=, 4);
  g_assert_cmpuint (most, <=, 2);
}

/* What the target announced, each with whether its job had completed. */
typedef struct {
  FlashFixture *fx;
  const char *job;
  GPtrArray *during;   /* "event NAME" / "state NAME", before Completed */
  GPtrArray *after;    /* the same, after it */
} TargetLog;

static void
on_target_signal (GDBusConnection *bus, const char *sender, const char *path,
                  const char *interface, const char *member, GVariant *parameters,
                  gpointer user_data)
{
  TargetLog *tlog = user_data;
  JobLog *job = g_hash_table_lookup (tlog->fx->jobs, tlog->job);
  GPtrArray *into = job != NULL && job->completed ? tlog->after : tlog->during;
  const char *text;

  (void) bus, (void) sender, (void) path, (void) interface;
  if (g_str_equal (member, "TargetEvent"))
    {
      g_variant_get (parameters, "(&s)", &text);
      g_ptr_array_add (into, g_strdup_printf ("event %s", text));
    }
  else
    {
      g_autoptr(GVariant) changed = NULL;
      g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
      if (g_variant_lookup (changed, "State", "&s", &text))
        g_ptr_array_add (into, g_strdup_printf ("state %s", text));
    }
}

static gboolean
target_log_has (gpointer user_data)
{
  TargetLog *tlog = user_data;

  return g_ptr_array_find_with_equal_func (tlog->after, "event reset-run", g_str_equal, NULL);
}

/* The "state" of a State() reply; points into @dict. */
static const char *
state_of (GVariant *dict)
{
  const char *name = NULL, *state = NULL;
  gboolean pc_valid;
  guint64 pc;

  g_assert_true (ood_state_dict_parse (dict, &name, &state, &pc_valid, &pc));
  return state;
}

/* OpenOCD announces every run of the flash loader as the target resuming
 * and halting. Those are the job's own: while it holds the target, the
 * target's clients see none of them (no TargetEvent, no State flicker);
 * what the job left (a reset, the state) is announced once it is done. */
static void
test_quiet_target (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  TargetLog tlog = { fx, NULL, g_ptr_array_new_with_free_func (g_free),
                     g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *job = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  guint events_id, props_id;
  const char *now;

  (void) options;
  events_id = g_dbus_connection_signal_subscribe (fx->base.bus, "org.openocd", "org.openocd.Target",
                                                  "TargetEvent", fx->base.target_path, NULL,
                                                  G_DBUS_SIGNAL_FLAGS_NONE, on_target_signal, &tlog,
                                                  NULL);
  props_id = g_dbus_connection_signal_subscribe (fx->base.bus, "org.openocd",
                                                 "org.freedesktop.DBus.Properties",
                                                 "PropertiesChanged", fx->base.target_path,
                                                 "org.openocd.Target", G_DBUS_SIGNAL_FLAGS_NONE,
                                                 on_target_signal, &tlog, NULL);
  /* the target runs before the job, which halts it and resets it to run */
  g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state_of (state), ==, OOD_STATE_RUNNING);
  ood_test_drain ();
  job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  tlog.job = job;
  assert_succeeded (wait_job (fx, job));
  g_assert_true (ood_test_wait_for (target_log_has, &tlog, JOB_WAIT_MS));

  for (guint i = 0; i < tlog.during->len; i++)
    g_test_message ("during the job: %s", (char *) tlog.during->pdata[i]);
  g_assert_cmpuint (tlog.during->len, ==, 0);
  /* afterwards: the reset, and the state it left, as OpenOCD has it */
  now = ood_dbus_target_get_state (fx->base.target);
  g_assert_cmpstr (now, ==, OOD_STATE_RUNNING);
  g_clear_pointer (&state, g_variant_unref);
  g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state_of (state), ==, OOD_STATE_RUNNING);
  g_assert_false (g_ptr_array_find_with_equal_func (tlog.after, "event halted", g_str_equal,
                                                    NULL));

  g_dbus_connection_signal_unsubscribe (fx->base.bus, events_id);
  g_dbus_connection_signal_unsubscribe (fx->base.bus, props_id);
  g_ptr_array_unref (tlog.during);
  g_ptr_array_unref (tlog.after);
}

static void
test_kill_openocd (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  g_autofree char *job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  JobLog *log;

  (void) options;
  wait_phase (fx, job, "writing");
  g_assert_cmpuint (runtime_files (fx), ==, 1);   /* the chunk OpenOCD reads */
  ood_testbed_kill_openocd (fx->base.testbed, SIGKILL);
  log = wait_job (fx, job);
  assert_failed (log, "org.openocd.Error.Disconnected", NULL);
  g_assert_cmpuint (log->bytes_done, <, IMAGE_SIZE);
  g_assert_cmpuint (runtime_files (fx), ==, 0);
}

/* A wrong key locks the flash controller until a reset: the job fails
 * with OpenOCD's message. */
static void
test_locked (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (4096);
  JobLog *log;

  (void) options;
  g_free (tcl (fx, "halt; catch {mww 0x40022004 0x12345678}"));
  log = program (fx, image, "bin", FLASH_BASE, NULL);
  assert_failed (log, "org.openocd.Error.Flash", LOCKED_TEXT);
  g_assert_true (g_str_has_prefix (log->message, "erasing sectors 0 to 3 of flash bank 0: "));
}

/* Error bits: programming what is not erased (PGERR), and a
 * write-protected block (WRPRTERR), which Sectors reports too. */
static void
test_error_flags (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) first = ood_test_random_flash_image (2048);
  g_autoptr(GBytes) second = ood_test_random_flash_image (2048);
  g_autoptr(GVariantDict) no_erase = g_variant_dict_new (NULL);
  g_autoptr(GVariant) sectors = NULL;
  g_autoptr(GError) error = NULL;
  gboolean protected;
  JobLog *log;

  (void) options;
  assert_succeeded (program (fx, first, "bin", FLASH_BASE, NULL));
  g_variant_dict_insert (no_erase, "erase", "b", FALSE);
  log = program (fx, second, "bin", FLASH_BASE, g_variant_dict_end (no_erase));
  assert_failed (log, "org.openocd.Error.Flash", PGERR_TEXT);
  g_assert_cmpuint (log->phases->len, ==, 2);   /* comparing, writing, no erasing */
  g_assert_cmpstr (g_ptr_array_index (log->phases, 1), ==, "writing");
  assert_flash_holds (fx, FLASH_BASE, first);

  g_free (tcl (fx, "halt; flash protect 0 0 0 on; reset halt"));
  g_assert_true (ood_dbus_flash_call_sectors_sync (fx->flash, 0, &sectors, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 8; i++)
    {
      g_variant_get_child (sectors, i, "(uttb)", NULL, NULL, NULL, &protected);
      g_assert_true (protected == (i < 4));   /* one 4 KiB protection block */
    }
  log = program (fx, second, "bin", FLASH_BASE, NULL);
  assert_failed (log, "org.openocd.Error.Flash", WRPRT_TEXT);
  assert_flash_holds (fx, FLASH_BASE, first);
}

/* For cancel: the job stays until the end, however long the reads back
 * take. */
static const char *const long_linger_args[] = { "--job-linger", "600000", NULL };
static const OodServiceOptions long_lingering = { .extra_args = long_linger_args };

/* Cancel stops between steps, and leaves what the README says: the
 * target halted (no reset), the flash holding the image up to
 * BytesDone (a whole number of write steps: 16336 bytes, one loader run,
 * for 32 KiB on the board's 16 KiB work area), and the rest of the erased sectors
 * erased. The job keeps its outcome readable. */
static void
test_cancel (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  g_autofree char *job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  g_autoptr(OodDbusJob) proxy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;
  JobLog *log;
  gsize done;

  (void) options;
  proxy = ood_dbus_job_proxy_new_sync (fx->base.bus, G_DBUS_PROXY_FLAGS_NONE, "org.openocd", job,
                                       NULL, &error);
  g_assert_no_error (error);
  wait_phase (fx, job, "writing");
  g_assert_true (ood_dbus_job_call_cancel_sync (proxy, NULL, &error));
  g_assert_no_error (error);
  log = wait_job (fx, job);
  assert_failed (log, "org.openocd.Error.Cancelled", NULL);
  g_assert_cmpstr (ood_dbus_job_get_state (proxy), ==, "cancelled");
  g_assert_cmpstr (ood_dbus_job_get_error_name (proxy), ==, "org.openocd.Error.Cancelled");
  g_assert_cmpstr (ood_dbus_job_get_error_message (proxy), ==, log->message);
  done = log->bytes_done;
  g_assert_cmpuint (done, <, IMAGE_SIZE);
  g_assert_cmpuint (done % 16336, ==, 0);
  g_assert_true (ood_dbus_target_call_state_sync (fx->base.target, &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state_of (state), ==, OOD_STATE_HALTED);
  if (done > 0)
    assert_flash_holds_range (fx, FLASH_BASE, image, 0, done);
  assert_erased (fx, FLASH_BASE + (guint32) done, IMAGE_SIZE - done);
  /* cancelling an ended job does nothing */
  g_assert_true (ood_dbus_job_call_cancel_sync (proxy, NULL, &error));
  g_assert_no_error (error);
}

static void
test_erase (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (8 * SECTOR);
  g_autofree char *job = NULL;
  g_autoptr(GError) error = NULL;
  JobLog *log;

  (void) options;
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  g_assert_true (ood_dbus_flash_call_erase_sync (fx->flash, 0, 2, 5, &job, NULL, &error));
  g_assert_no_error (error);
  log = wait_job (fx, job);
  assert_succeeded (log);
  g_assert_cmpuint (log->bytes_done, ==, 4 * SECTOR);
  g_assert_cmpstr (g_ptr_array_index (log->phases, 0), ==, "erasing");
  assert_flash_holds_range (fx, FLASH_BASE, image, 0, 2 * SECTOR);
  assert_erased (fx, FLASH_BASE + 2 * SECTOR, 4 * SECTOR);
  assert_flash_holds_range (fx, FLASH_BASE + 6 * SECTOR, image, 6 * SECTOR, 2 * SECTOR);
  g_clear_pointer (&job, g_free);

  /* a sector the bank does not have is refused before a job exists */
  g_assert_false (ood_dbus_flash_call_erase_sync (fx->flash, 0, 70, 70, &job, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_assert_nonnull (strstr (error->message, "0 to 63"));
  g_clear_error (&error);
  g_assert_false (ood_dbus_flash_call_erase_sync (fx->flash, 0, 60, 64, &job, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  g_assert_false (ood_dbus_flash_call_erase_sync (fx->flash, 3, 0, 0, &job, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
}

static void
test_verify (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (8192);
  g_autoptr(GBytes) other = ood_test_random_flash_image (8192);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariantDict) halt = g_variant_dict_new (NULL);
  char *job = NULL;

  (void) options;
  /* verify_image checksums on the target, which must be halted */
  g_variant_dict_insert (halt, "reset", "s", "halt");
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, g_variant_dict_end (halt)));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GUnixFDList) list = fd_of (fx, i == 0 ? image : other);
      g_assert_true (ood_dbus_flash_call_verify_sync (fx->flash, g_variant_new_handle (0), "bin",
                                                      FLASH_BASE, list, &job, NULL, NULL,
                                                      &error));
      g_assert_no_error (error);
      if (i == 0)
        assert_succeeded (wait_job (fx, job));
      else
        assert_failed (wait_job (fx, job), "org.openocd.Error.Flash",
                       "checksum mismatch");
      g_free (job);
    }
}

static void
test_bad_images (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (1024);
  g_autoptr(GBytes) garbage = g_bytes_new_static (":10000000zz\n", 12);
  g_autoptr(GError) error = NULL;
  char *job;

  (void) options;
  job = start_image (fx, FALSE, image, "srec", FLASH_BASE, NULL, &error);
  g_assert_null (job);
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  /* every argument error is answered before a job exists */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(GVariantDict) wrong = g_variant_dict_new (NULL);
      guint64 address = i == 3 ? FLASH_BASE + FLASH_SIZE : FLASH_BASE;

      if (i == 0)
        g_variant_dict_insert (wrong, "reset", "s", "sometimes");
      else if (i == 1)
        g_variant_dict_insert (wrong, "smart", "s", "yes");
      else if (i == 2)
        g_variant_dict_insert (wrong, "fast", "b", TRUE);
      job = start_image (fx, FALSE, image, "bin", address, g_variant_dict_end (wrong), &error);
      g_assert_null (job);
      OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
      g_clear_error (&error);
    }
  g_assert_cmpuint (g_hash_table_size (fx->jobs), ==, 0);

  /* images that cannot be parsed or do not fit fail their job */
  job = start_program (fx, garbage, "ihex", 0, NULL);
  assert_failed (wait_job (fx, job), "org.freedesktop.DBus.Error.InvalidArgs", "hex");
  g_free (job);
  job = start_program (fx, image, "elf", 0, NULL);
  assert_failed (wait_job (fx, job), "org.freedesktop.DBus.Error.InvalidArgs", "ELF");
  g_free (job);
  job = start_program (fx, image, "bin", FLASH_BASE + FLASH_SIZE - 512, NULL);
  assert_failed (wait_job (fx, job), "org.freedesktop.DBus.Error.InvalidArgs", "flash bank");
  g_free (job);
  g_assert_cmpuint (runtime_files (fx), ==, 0);
}

/* OpenOCD's own count of the flash commands it receives: each of
 * "flash info", "flash erase_sector" and "flash write_bank" is wrapped
 * in a procedure that logs its arguments in ::ood_log. */
static void
count_flash_commands (FlashFixture *fx)
{
  g_free (tcl (fx, "set ::ood_log {}; foreach ood_c {info erase_sector write_bank} {"
                   "rename \"flash $ood_c\" ood_real_$ood_c; "
                   "proc \"flash $ood_c\" args "
                   "\"lappend ::ood_log \\\"$ood_c \\$args\\\"; uplevel 1 ood_real_$ood_c \\$args\"}"));
}

/* The commands logged since the last call, one a line. */
static char *
flash_commands (FlashFixture *fx)
{
  g_autoptr(GRegex) write_file = g_regex_new ("^(write_bank \\S+) \\S+", G_REGEX_MULTILINE, 0,
                                              NULL);
  g_autofree char *text = tcl (fx, "set ood_l [join $::ood_log \\n]; set ::ood_log {}; set ood_l");

  /* write_bank's file is the service's private one */
  return g_regex_replace (write_file, text, -1, 0, "\\1 *", 0, NULL);
}

static void
assert_commands (FlashFixture *fx, const char *expected)
{
  g_autofree char *commands = flash_commands (fx);

  g_assert_cmpstr (commands, ==, expected);
}

static gboolean
program_started (gpointer user_data)
{
  void **args = user_data;
  g_autoptr(GError) error = NULL;

  args[2] = start_image (args[0], FALSE, args[1], "bin", FLASH_BASE, NULL, &error);
  if (args[2] == NULL && !g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
    g_error ("Program: %s", error->message);
  return args[2] != NULL;
}

/* Program of @bytes at the flash's base, once the service has connected
 * to the OpenOCD just started. */
static JobLog *
program_when_connected (FlashFixture *fx, GBytes *bytes)
{
  void *args[] = { fx, bytes, NULL };
  g_autofree char *job = NULL;

  g_assert_true (ood_test_wait_for (program_started, args, JOB_WAIT_MS));
  job = args[2];
  return wait_job (fx, job);
}

/* Smart programming: sectors that already hold the image are neither
 * erased nor written (OpenOCD receives no erase and no write for them),
 * the one sector that differs is erased and written alone, also when
 * the byte that differs is the last of a sector or the image ends in
 * the middle of one; the sector listing is asked once per connection;
 * every case read back raw, byte-exact. "smart" false programs all. */
static void
test_smart (FlashFixture *fx, gconstpointer options)
{
  const gsize size = 20 * SECTOR + 6;   /* ends mid-sector */
  g_autoptr(GBytes) image = ood_test_random_flash_image (size);
  g_autoptr(GBytes) sector5 = NULL;
  g_autoptr(GVariantDict) dumb = g_variant_dict_new (NULL);

  (void) options;
  count_flash_commands (fx);
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  assert_commands (fx, "info 0 sectors\ninfo 0\nerase_sector 0 0 20\n"
                       "write_bank 0 * 0x0\nwrite_bank 0 * 0x2804");
  assert_flash_holds (fx, FLASH_BASE, image);

  /* unchanged: nothing erased or written, not even the listing asked */
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  assert_commands (fx, "");
  assert_flash_holds (fx, FLASH_BASE, image);

  /* the last byte of sector 5 differs: sector 5 alone */
  sector5 = with_byte_changed (image, 6 * SECTOR - 1, 0x5a);
  assert_succeeded (program (fx, sector5, "bin", FLASH_BASE, NULL));
  assert_commands (fx, "erase_sector 0 5 5\nwrite_bank 0 * 0x1400");
  assert_flash_holds (fx, FLASH_BASE, sector5);
  /* the image's last byte, mid-sector: sector 20 alone */
  {
    g_autoptr(GBytes) bytes = with_byte_changed (sector5, size - 1, 0xa5);
    assert_succeeded (program (fx, bytes, "bin", FLASH_BASE, NULL));
    assert_commands (fx, "erase_sector 0 20 20\nwrite_bank 0 * 0x5000");
    assert_flash_holds (fx, FLASH_BASE, bytes);
    assert_erased (fx, FLASH_BASE + (guint32) size, 21 * SECTOR - size);

    /* "smart" false: everything again */
    g_variant_dict_insert (dumb, "smart", "b", FALSE);
    assert_succeeded (program (fx, bytes, "bin", FLASH_BASE, g_variant_dict_end (dumb)));
    assert_commands (fx, "erase_sector 0 0 20\nwrite_bank 0 * 0x0\nwrite_bank 0 * 0x2804");
    assert_flash_holds (fx, FLASH_BASE, bytes);

    /* a new OpenOCD (the board keeps its flash): the listing is asked
     * again, once, and the flash found to hold the image */
    ood_testbed_kill_openocd (fx->base.testbed, SIGKILL);
    g_assert_true (ood_testbed_start_openocd (fx->base.testbed, NULL));
    count_flash_commands (fx);
    assert_succeeded (program_when_connected (fx, bytes));
    assert_commands (fx, "info 0 sectors\ninfo 0");
    assert_flash_holds (fx, FLASH_BASE, bytes);
  }
}

/* OpenOCD's own count of the commands smart programming may use to
 * judge: verify_image_checksum (the search) and wait_halt (a run of the
 * service's checksum routine), each wrapped in a procedure that counts
 * its calls in ::ood_n_NAME. */
static void
count_judging_commands (FlashFixture *fx)
{
  g_free (tcl (fx, "foreach ood_c {verify_image_checksum wait_halt} {set ::ood_n_$ood_c 0; "
                   "rename $ood_c ood_real_$ood_c; "
                   "proc $ood_c args \"incr ::ood_n_$ood_c; uplevel 1 ood_real_$ood_c \\$args\"}"));
}

/* The calls of @command counted since the last call. */
static guint
judging_commands (FlashFixture *fx, const char *command)
{
  g_autofree char *script = g_strdup_printf ("set ood_v $::ood_n_%s; set ::ood_n_%s 0; "
                                             "set ood_v", command, command);
  g_autofree char *text = tcl (fx, script);

  return (guint) g_ascii_strtoull (text, NULL, 10);
}

/* The registers a smart Program with "reset" "none" must leave as they
 * were (the checksum routine's run among them), as raw Tcl reads them. */
#define KEPT_REGISTERS "pc sp ra gp tp a0 a1 a2 a3 a4 a5 a6 a7 t0 t1 t2 fp s1 mstatus"

static char *
kept_registers (FlashFixture *fx)
{
  return tcl (fx, "riscv.cpu get_reg -force {" KEPT_REGISTERS "}");
}

/* Smart programming on this 32-bit RISC-V target judges in one run of
 * the service's checksum routine: no verify_image_checksum, one
 * wait_halt per Program, whatever changed; a sector changed is found
 * and programmed alone, read back byte-exact. After a Program with
 * "reset" "none" that only judged (the flash holds the image) the hart's
 * registers, set to known values before (interrupts enabled), are what
 * they were. (One that writes does not keep a2 to a5: OpenOCD's
 * stm32f1x loader and its verify checksum leave them changed.) Onto
 * erased flash the first word of every sector differs: the routine
 * does not run at all. */
static void
test_smart_sums (FlashFixture *fx, gconstpointer options)
{
  const gsize size = 20 * SECTOR + 6;
  g_autoptr(GBytes) image = ood_test_random_flash_image (size);
  g_autoptr(GVariantDict) keep = g_variant_dict_new (NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  (void) options;
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  count_judging_commands (fx);
  count_flash_commands (fx);

  g_free (tcl (fx, "halt; riscv.cpu set_reg {ra 0x11 gp 0x12 tp 0x13 a0 0xa0 a1 0xa1 a2 0xa2 "
                   "a3 0xa3 a4 0xa4 a5 0xa5 a6 0xa6 a7 0xa7 t0 0x70 t1 0x71 t2 0x72 fp 0x50 "
                   "s1 0x51 sp 0x80080000 pc 0x80000100 mstatus 0x1888}"));
  before = kept_registers (fx);
  g_assert_nonnull (strstr (before, "mstatus 0x00001888"));
  g_variant_dict_insert (keep, "reset", "s", "none");
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, g_variant_dict_end (keep)));
  after = kept_registers (fx);
  g_assert_cmpstr (after, ==, before);
  assert_commands (fx, "");
  g_assert_cmpuint (judging_commands (fx, "verify_image_checksum"), ==, 0);
  g_assert_cmpuint (judging_commands (fx, "wait_halt"), ==, 1);

  bytes = with_byte_changed (image, 13 * SECTOR + 100, 0x5a);
  assert_succeeded (program (fx, bytes, "bin", FLASH_BASE, NULL));
  assert_commands (fx, "erase_sector 0 13 13\nwrite_bank 0 * 0x3400");
  g_assert_cmpuint (judging_commands (fx, "verify_image_checksum"), ==, 0);
  g_assert_cmpuint (judging_commands (fx, "wait_halt"), ==, 1);
  assert_flash_holds (fx, FLASH_BASE, bytes);

  g_free (tcl (fx, "halt; flash erase_sector 0 0 last"));
  g_assert_cmpuint (judging_commands (fx, "wait_halt"), ==, 0);
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  g_assert_cmpuint (judging_commands (fx, "verify_image_checksum"), ==, 0);
  g_assert_cmpuint (judging_commands (fx, "wait_halt"), ==, 0);
  assert_flash_holds (fx, FLASH_BASE, image);
}

/* A work area too small for the checksum routine with its parameters
 * (set before the service learns it): the routine is refused before it
 * runs, and the search judges instead (verify_image_checksum, no
 * wait_halt); the sector changed is programmed alone all the same. */
static void
test_smart_no_room (FlashFixture *fx, gconstpointer options)
{
  const gsize size = 20 * SECTOR;
  g_autoptr(GBytes) image = ood_test_random_flash_image (size);
  g_autoptr(GBytes) bytes = NULL;

  (void) options;
  g_free (tcl (fx, "riscv.cpu configure -work-area-size 0x600"));
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  count_judging_commands (fx);
  count_flash_commands (fx);
  bytes = with_byte_changed (image, 7 * SECTOR, 0x5a);
  assert_succeeded (program (fx, bytes, "bin", FLASH_BASE, NULL));
  assert_commands (fx, "erase_sector 0 7 7\nwrite_bank 0 * 0x1c00");
  g_assert_cmpuint (judging_commands (fx, "verify_image_checksum"), >, 1);
  g_assert_cmpuint (judging_commands (fx, "wait_halt"), ==, 0);
  assert_flash_holds (fx, FLASH_BASE, bytes);
}

/* A work area where the board has no memory (set before the service
 * learns it): writing the checksum routine fails, so it never runs
 * (no wait_halt), the target is left as it was (the PC among its
 * registers), and the search judges instead; an image the flash holds
 * is found equal all the same, nothing erased or written. */
static void
test_smart_routine_refused (FlashFixture *fx, gconstpointer options)
{
  const gsize size = 12 * SECTOR;
  g_autoptr(GBytes) image = ood_test_random_flash_image (size);
  g_autoptr(GVariantDict) keep = g_variant_dict_new (NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  (void) options;
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));
  g_free (tcl (fx, "riscv.cpu configure -work-area-phys 0x40000000"));
  count_judging_commands (fx);
  count_flash_commands (fx);
  g_free (tcl (fx, "halt; riscv.cpu set_reg {pc 0x80000100 a0 0xa0 sp 0x80080000}"));
  before = kept_registers (fx);
  g_variant_dict_insert (keep, "reset", "s", "none");
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, g_variant_dict_end (keep)));
  after = kept_registers (fx);
  g_assert_cmpstr (after, ==, before);
  assert_commands (fx, "");
  g_assert_cmpuint (judging_commands (fx, "wait_halt"), ==, 0);
  g_assert_cmpuint (judging_commands (fx, "verify_image_checksum"), >, 0);
  assert_flash_holds (fx, FLASH_BASE, image);
}

/* ---- protection --------------------------------------------------------- */

/* Protect, answered: %FALSE with @error if it failed. */
static gboolean
protect (FlashFixture *fx, guint first, guint last, gboolean on, GError **error)
{
  return ood_dbus_flash_call_protect_sync (fx->flash, 0, first, last, on, NULL, error);
}

/* Whether Sectors says sectors @first to @last, and only they, are
 * protected. */
static void
assert_sectors_protected (FlashFixture *fx, guint first, guint last)
{
  g_autoptr(GVariant) sectors = NULL;
  g_autoptr(GError) error = NULL;
  gboolean protected;

  g_assert_true (ood_dbus_flash_call_sectors_sync (fx->flash, 0, &sectors, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (sectors), ==, FLASH_SIZE / SECTOR);
  for (guint i = 0; i < FLASH_SIZE / SECTOR; i++)
    {
      g_variant_get_child (sectors, i, "(uttb)", NULL, NULL, NULL, &protected);
      g_assert_true (protected == (i >= first && i <= last));
    }
}

/* The protected blocks "flash info 0" lists on the same OpenOCD, as
 * "1 2" (each 4 KiB, four sectors). */
static char *
raw_protected_blocks (FlashFixture *fx)
{
  g_autofree char *info = tcl (fx, "flash info 0");
  g_auto(GStrv) lines = g_strsplit (info, "\n", -1);
  g_autoptr(GString) blocks = g_string_new (NULL);
  guint listed = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint block;

      if (lines[i][0] != '\t' || sscanf (lines[i], " #%u:", &block) != 1)
        continue;
      listed++;
      if (strstr (lines[i], "not protected") == NULL && strstr (lines[i], "protected") != NULL)
        g_string_append_printf (blocks, "%s%u", blocks->len > 0 ? " " : "", block);
    }
  g_assert_cmpuint (listed, ==, FLASH_SIZE / (4 * SECTOR));
  return g_strdup (blocks->str);
}

static char *
curstate (FlashFixture *fx)
{
  g_autofree char *command = g_strdup_printf ("%s curstate",
                                              ood_testbed_get_target_name (fx->base.testbed));
  return tcl (fx, command);
}

/* Protect on a range: OpenOCD's own "flash info" and Sectors agree;
 * erasing or writing it fails with OpenOCD's text and leaves it as it
 * was; off again, it can be written. The target is reset (the part loads
 * its option bytes then) and left running or halted as it was. */
static void
test_protect (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (12 * SECTOR);
  g_autoptr(GBytes) other = ood_test_random_flash_image (4 * SECTOR);
  g_autoptr(GError) error = NULL;
  g_autofree char *blocks = NULL;
  g_autofree char *state = NULL;
  g_autofree char *job = NULL;

  (void) options;
  assert_succeeded (program (fx, image, "bin", FLASH_BASE, NULL));   /* left running */
  protect (fx, 4, 7, TRUE, &error);
  g_assert_no_error (error);
  blocks = raw_protected_blocks (fx);
  g_assert_cmpstr (blocks, ==, "1");
  assert_sectors_protected (fx, 4, 7);
  state = curstate (fx);
  g_assert_cmpstr (state, ==, "running");

  g_assert_true (ood_dbus_flash_call_erase_sync (fx->flash, 0, 5, 6, &job, NULL, &error));
  g_assert_no_error (error);
  assert_failed (wait_job (fx, job), "org.openocd.Error.Flash", WRPRT_TEXT);
  assert_failed (program (fx, other, "bin", FLASH_BASE + 4 * SECTOR, NULL),
                 "org.openocd.Error.Flash", WRPRT_TEXT);
  assert_flash_holds (fx, FLASH_BASE, image);

  /* off again, from a halted target, which stays halted */
  g_free (tcl (fx, "halt"));
  protect (fx, 4, 7, FALSE, &error);
  g_assert_no_error (error);
  g_free (blocks);
  blocks = raw_protected_blocks (fx);
  g_assert_cmpstr (blocks, ==, "");
  assert_sectors_protected (fx, 1, 0);
  g_free (state);
  state = curstate (fx);
  g_assert_cmpstr (state, ==, "halted");
  assert_succeeded (program (fx, other, "bin", FLASH_BASE + 4 * SECTOR, NULL));
  assert_flash_holds (fx, FLASH_BASE + 4 * SECTOR, other);
  assert_flash_holds_range (fx, FLASH_BASE, image, 0, 4 * SECTOR);
}

/* Arguments Protect refuses, before it does anything: the option bytes
 * OpenOCD would write stay as they were. */
static void
test_protect_args (FlashFixture *fx, gconstpointer options)
{
  static const guint8 factory_wrp[] = { 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00 };
  const struct {
    guint bank, first, last;
    const char *text;
  } bad[] = {
    { 3, 0, 3, "no flash bank 3" },
    { 0, 7, 4, "the first sector (7) is after the last (4)" },
    { 0, 60, 64, "0 to 63" },
    { 0, 5, 5, "block 1 is sectors 4 to 7" },
    { 0, 4, 9, "block 2 is sectors 8 to 11" },
  };
  g_autoptr(GBytes) wrp = NULL;

  (void) options;
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ood_dbus_flash_call_protect_sync (fx->flash, bad[i].bank, bad[i].first,
                                                        bad[i].last, TRUE, NULL, &error));
      OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
      if (strstr (error->message, bad[i].text) == NULL)
        g_error ("'%s' is not in '%s'", bad[i].text, error->message);
    }
  wrp = ood_test_tcl_read_memory (fx->base.testbed, 8, 0x1FFFF808u, sizeof factory_wrp);
  g_assert_cmpmem (g_bytes_get_data (wrp, NULL), g_bytes_get_size (wrp), factory_wrp,
                   sizeof factory_wrp);
  assert_sectors_protected (fx, 1, 0);
}

/* A Protect OpenOCD fails (the flash controller locked by a wrong key)
 * answers OpenOCD's text and what the bank reads now, as read from
 * OpenOCD after the failure: here a block protected behind the
 * service's back, which the service could learn only there. */
static void
test_protect_failure (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  (void) options;
  g_free (tcl (fx, "halt; flash protect 0 2 2 on; reset halt; catch {mww 0x40022004 0x12345678}"));
  g_assert_false (protect (fx, 0, 3, TRUE, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.openocd.Error.Flash");
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, LOCKED_TEXT));
  g_assert_true (g_str_has_suffix (error->message, "bank 0 reads sectors 8 to 11 protected"));
  assert_sectors_protected (fx, 8, 11);
  state = curstate (fx);
  g_assert_cmpstr (state, ==, "halted"); /* no reset after a failed protect */
}

static gboolean
job_unexported (gpointer user_data)
{
  JobWait *wait = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) found = NULL;

  reply = g_dbus_connection_call_sync (wait->fx->base.bus, "org.openocd", "/org/openocd",
                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                       NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  g_assert_nonnull (reply);
  objects = g_variant_get_child_value (reply, 0);
  found = g_variant_lookup_value (objects, wait->path, NULL);
  return found == NULL;
}

/* The ObjectManager lists the job, still after it completed (for the
 * linger time: --job-linger, 1.5 s here; 60 s by default), and then
 * removes it. */
static void
test_job_removed (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GBytes) image = ood_test_random_flash_image (4096);
  g_autofree char *job = start_program (fx, image, "bin", FLASH_BASE, NULL);
  JobWait wait = { fx, job };

  (void) options;
  g_assert_false (job_unexported (&wait));
  assert_succeeded (wait_job (fx, job));
  g_assert_false (job_unexported (&wait));
  g_assert_true (ood_test_wait_for (job_unexported, &wait, 10000));
}

/* ---- two banks ----------------------------------------------------------- */

/* Sectors(@bank) lists @count sectors of @size, none protected. */
static void
assert_sectors (FlashFixture *fx, guint bank, guint count, guint64 size)
{
  g_autoptr(GVariant) sectors = NULL;
  g_autoptr(GError) error = NULL;
  guint index;
  guint64 offset, length;
  gboolean protected;

  g_assert_true (ood_dbus_flash_call_sectors_sync (fx->flash, bank, &sectors, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (sectors), ==, count);
  for (guint i = 0; i < count; i++)
    {
      g_variant_get_child (sectors, i, "(uttb)", &index, &offset, &length, &protected);
      g_assert_cmpuint (index, ==, i);
      g_assert_cmphex (offset, ==, i * size);
      g_assert_cmphex (length, ==, size);
      g_assert_false (protected);
    }
}

/* OpenOCD's stm32f1x driver refuses "flash info 1" on a dual-bank part;
 * the service lists bank 1 all the same. */
static void
test_two_banks (FlashFixture *fx, gconstpointer options)
{
  g_autoptr(GVariant) banks = ood_dbus_flash_dup_banks (fx->flash);
  g_autoptr(GVariant) sectors = NULL;
  g_autoptr(GError) error = NULL;
  guint index, bus_width, chip_width;
  guint64 base, size;
  const char *name;

  (void) options;
  g_assert_cmpuint (g_variant_n_children (banks), ==, 2);
  g_variant_get_child (banks, 0, "(u&sttuu)", &index, &name, &base, &size, &bus_width,
                       &chip_width);
  g_assert_cmpuint (index, ==, 0);
  g_assert_cmphex (base, ==, FLASH_BASE);
  g_assert_cmphex (size, ==, BANK1_BASE - FLASH_BASE);
  g_variant_get_child (banks, 1, "(u&sttuu)", &index, &name, &base, &size, &bus_width,
                       &chip_width);
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpstr (name, ==, "riscvsim.flash1");
  g_assert_cmphex (base, ==, BANK1_BASE);
  g_assert_cmphex (size, ==, BANK1_SIZE);

  /* Sectors() reads its bank afresh; OpenOCD refuses bank 1, so the
   * geometry is learnt, in one command: bank 1 refused again (asked once
   * more under capture, for OpenOCD's text) and bank 0 listed all the
   * same */
  count_flash_commands (fx);
  assert_sectors (fx, 1, BANK1_SIZE / XL_SECTOR, XL_SECTOR);   /* before any job */
  assert_commands (fx, "info 1 sectors\ninfo 0 sectors\ninfo 0\ninfo 1 sectors\ninfo 1");
  assert_sectors (fx, 0, (BANK1_BASE - FLASH_BASE) / XL_SECTOR, XL_SECTOR);
  assert_commands (fx, "info 0 sectors\ninfo 0");
  g_assert_false (ood_dbus_flash_call_sectors_sync (fx->flash, 2, &sectors, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
}

static GVariant *
options_smart (gboolean smart)
{
  g_autoptr(GVariantDict) options = g_variant_dict_new (NULL);

  g_variant_dict_insert (options, "smart", "b", smart);
  g_variant_dict_insert (options, "reset", "s", "halt");   /* for Verify's checksums */
  return g_variant_dict_end (options);
}

static gboolean
has_phase (JobLog *log, const char *phase)
{
  for (guint i = 0; i < log->phases->len; i++)
    if (g_str_equal (g_ptr_array_index (log->phases, i), phase))
      return TRUE;
  return FALSE;
}

/* How many times the daemon logged @text. */
static guint
log_count (FlashFixture *fx, const char *text)
{
  g_autofree char *log = NULL;
  guint n = 0;

  g_assert_true (
      g_file_get_contents (ood_service_fixture_get_log_path (fx->base.service), &log, NULL, NULL));
  for (const char *p = log; (p = strstr (p, text)) != NULL; p++)
    n++;
  return n;
}

/* A 32 KiB image, half in each bank: split between them, smart on and
 * off, read back raw byte-exact on both sides; Verify across them. The
 * sectors are learnt once for the connection. */
static void
test_across_banks (FlashFixture *fx, gconstpointer options)
{
  const guint32 address = BANK1_BASE - IMAGE_SIZE / 2;
  g_autoptr(GBytes) image = ood_test_random_flash_image (IMAGE_SIZE);
  g_autoptr(GBytes) other = ood_test_random_flash_image (IMAGE_SIZE);
  g_autoptr(GUnixFDList) list = fd_of (fx, other);
  g_autoptr(GError) error = NULL;
  g_autofree char *job = NULL;
  JobLog *log;

  (void) options;
  /* smart, onto erased flash: 16 KiB in each bank, each one write step
   * (of two loader runs: 16336 bytes a run, then 48), as the write
   * cannot span the banks */
  log = program (fx, image, "bin", address, options_smart (TRUE));
  assert_succeeded (log);
  g_assert_cmpuint (log->bytes_done, ==, IMAGE_SIZE);
  g_assert_cmpuint (log->advances, ==, 2);
  assert_flash_holds (fx, address, image);
  assert_erased (fx, address - XL_SECTOR, XL_SECTOR);
  assert_erased (fx, address + IMAGE_SIZE, XL_SECTOR);

  /* not smart: another image over it */
  log = program (fx, other, "bin", address, options_smart (FALSE));
  assert_succeeded (log);
  g_assert_cmpuint (log->bytes_done, ==, IMAGE_SIZE);
  g_assert_cmpuint (log->advances, ==, 2);
  assert_flash_holds_range (fx, address, other, 0, IMAGE_SIZE / 2);
  assert_flash_holds_range (fx, BANK1_BASE, other, IMAGE_SIZE / 2, IMAGE_SIZE / 2);
  g_assert_true (ood_dbus_flash_call_verify_sync (fx->flash, g_variant_new_handle (0), "bin",
                                                  address, list, &job, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_succeeded (wait_job (fx, job));

  /* smart, the same image again: judged equal in both banks, not written */
  log = program (fx, other, "bin", address, options_smart (TRUE));
  assert_succeeded (log);
  g_assert_false (has_phase (log, "erasing"));
  g_assert_false (has_phase (log, "writing"));
  assert_flash_holds (fx, address, other);
  assert_sectors (fx, 1, BANK1_SIZE / XL_SECTOR, XL_SECTOR);
  g_assert_cmpuint (log_count (fx, "does not list the sectors of flash bank 1"), ==, 1);
}

/* Erase of bank 1's sectors leaves bank 0's alone. */
static void
test_erase_bank1 (FlashFixture *fx, gconstpointer options)
{
  const guint32 address = BANK1_BASE - 4 * XL_SECTOR;
  g_autoptr(GBytes) image = ood_test_random_flash_image (8 * XL_SECTOR);
  g_autofree char *job = NULL;
  g_autoptr(GError) error = NULL;
  JobLog *log;

  (void) options;
  assert_succeeded (program (fx, image, "bin", address, NULL));
  g_assert_true (ood_dbus_flash_call_erase_sync (fx->flash, 1, 0, 1, &job, NULL, &error));
  g_assert_no_error (error);
  log = wait_job (fx, job);
  assert_succeeded (log);
  g_assert_cmpuint (log->bytes_done, ==, 2 * XL_SECTOR);
  assert_flash_holds_range (fx, address, image, 0, 4 * XL_SECTOR);
  assert_erased (fx, BANK1_BASE, 2 * XL_SECTOR);
  assert_flash_holds_range (fx, BANK1_BASE + 2 * XL_SECTOR, image, 6 * XL_SECTOR,
                            2 * XL_SECTOR);
  g_clear_pointer (&job, g_free);

  g_assert_false (ood_dbus_flash_call_erase_sync (fx->flash, 1, 32, 32, &job, NULL, &error));
  OOD_TEST_ASSERT_DBUS_ERROR_NAME (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_assert_nonnull (strstr (error->message, "0 to 31"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, options, test)                                                                   \
  g_test_add (path, FlashFixture, options, flash_set_up, test, flash_tear_down)
  ADD ("/flash/banks", &lingering, test_banks);
  ADD ("/flash/program-bin", &lingering, test_program_bin);
  ADD ("/flash/program-ihex", &lingering, test_program_ihex);
  ADD ("/flash/program-elf", &lingering, test_program_elf);
  ADD ("/flash/load-run", &lingering, test_load_run);
  ADD ("/flash/busy", &lingering, test_busy);
  ADD ("/flash/reads-between-chunks", &lingering, test_reads_between_chunks);
  ADD ("/flash/quiet-target", &lingering, test_quiet_target);
  ADD ("/flash/kill-openocd", &lingering, test_kill_openocd);
  ADD ("/flash/locked", &lingering, test_locked);
  ADD ("/flash/error-flags", &lingering, test_error_flags);
  ADD ("/flash/cancel", &long_lingering, test_cancel);
  ADD ("/flash/erase", &lingering, test_erase);
  ADD ("/flash/verify", &lingering, test_verify);
  ADD ("/flash/bad-images", &lingering, test_bad_images);
  ADD ("/flash/job-removed", &lingering, test_job_removed);
  ADD ("/flash/smart", &lingering, test_smart);
  ADD ("/flash/smart-sums", &lingering, test_smart_sums);
  ADD ("/flash/smart-no-room", &lingering, test_smart_no_room);
  ADD ("/flash/smart-routine-refused", &lingering, test_smart_routine_refused);
  ADD ("/flash/protect", &lingering, test_protect);
  ADD ("/flash/protect-args", &lingering, test_protect_args);
  ADD ("/flash/protect-failure", &lingering, test_protect_failure);
  ADD ("/flash/two-banks", &two_banks, test_two_banks);
  ADD ("/flash/across-banks", &two_banks, test_across_banks);
  ADD ("/flash/erase-bank1", &two_banks, test_erase_bank1);
#undef ADD
  return g_test_run ();
}
