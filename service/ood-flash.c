/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-flash"

#include "ood-flash.h"

#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "ood-call.h"
#include "ood-callers.h"
#include "ood-error.h"
#include "ood-fd.h"
#include "ood-flash-protect.h"
#include "ood-flash-work.h"
#include "ood-job.h"
#include "ood-reply.h"
#include "ood-target.h"
#include "ood-tcl-flash.h"

struct _OodFlash {
  OodDbusFlashSkeleton      parent_instance;

  OodSession               *session;
  GDBusObjectManagerServer *server;      /* where jobs are exported */
  char                     *target_name;
  char                     *target_path;
  GPtrArray                *banks;       /* (element-type OodTclFlashBank) */
  char                     *work_dir;    /* NULL: OpenOCD cannot read our files */
  gboolean                  shared_dir;
  OodFlashGeometry         *geometry;    /* NULL until learnt on this connection */
  guint                     connection;  /* counts the session's openings */
  gulong                    opened_id;
};

/* A job's call (or a Sectors() call of a bank OpenOCD refuses to list),
 * while the geometry is learnt. */
typedef struct {
  OodFlash              *self;
  GDBusMethodInvocation *invocation;
  GVariant              *handle;
  OodFlashRequest        request;     /* a Sectors() call: its bank */
  gboolean               listing;     /* a Sectors() call */
  guint connection;
} Start;

static gboolean start_when_known (OodFlash *self, GDBusMethodInvocation *invocation,
                                  GVariant *handle, const OodFlashRequest *request,
                                  gboolean listing);

static void ood_flash_iface_init (OodDbusFlashIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodFlash, ood_flash, OOD_DBUS_TYPE_FLASH_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_FLASH, ood_flash_iface_init))

static const OodTclFlashBank *
find_bank (OodFlash *self, guint index)
{
  for (guint i = 0; i < self->banks->len; i++)
    if (((OodTclFlashBank *) self->banks->pdata[i])->index == index)
      return self->banks->pdata[i];
  return NULL;
}

/* ---- Sectors ------------------------------------------------------------ */

/* @user_data is our reference to the invocation; the reply consumes the
 * one the handler returned with. */
/* Who started a job: who may cancel it without org.openocd.manage. */
static guint
started_by (GDBusMethodInvocation *invocation)
{
  OodCall *call = ood_call_get (invocation);

  return call != NULL ? ood_call_get_caller (call)->uid : getuid ();
}

/* What Sectors() learnt (after a `flash probe` by another client,
 * say) replaces the listing the jobs use. */
static void
remember_sectors (OodFlash *self, guint bank, GArray *sectors)
{
  g_autoptr(OodFlashGeometry) geometry = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (self->geometry == NULL)
    return;
  geometry = ood_flash_geometry_new ();
  geometry->work_area = self->geometry->work_area;
  g_hash_table_iter_init (&iter, self->geometry->sectors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (geometry->sectors, key, g_array_ref (value));
  g_hash_table_insert (geometry->sectors, GUINT_TO_POINTER (bank), g_array_ref (sectors));
  g_clear_pointer (&self->geometry, ood_flash_geometry_unref);
  self->geometry = g_steal_pointer (&geometry);
}

/* Answers Sectors() with @sectors. */
static void
reply_sectors (GDBusMethodInvocation *invocation, GArray *sectors)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(uttb)"));
  for (guint i = 0; i < sectors->len; i++)
    {
      const OodTclFlashSector *sector = &g_array_index (sectors, OodTclFlashSector, i);
      g_variant_builder_add (&builder, "(uttb)", sector->index, sector->offset, sector->size,
                             sector->protection == 1);
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(uttb))", &builder));
}

/* A bank OpenOCD refuses to list (see ood-flash.h) is answered from
 * the geometry, learnt if need be. */
static void
on_sectors (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  OodFlash *self = OOD_FLASH (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GArray) sectors = text != NULL ? ood_tcl_parse_flash_sectors (text, &error) : NULL;
  OodFlashRequest request = { 0 };   /* only its bank: the one asked */

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(u)", &request.bank);
  if (sectors != NULL)
    {
      remember_sectors (self, request.bank, sectors);
      reply_sectors (invocation, sectors);
    }
  else if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_TARGET) || self->banks->len < 2)
    ood_reply_error (invocation, error);
  else
    start_when_known (self, invocation, NULL, &request, TRUE);
}

static gboolean
handle_sectors (OodDbusFlash *iface, GDBusMethodInvocation *invocation, guint bank)
{
  OodFlash *self = OOD_FLASH (iface);
  g_autofree char *script = NULL;

  if (find_bank (self, bank) == NULL)
    {
      ood_reply_invalid_args (invocation, "target %s has no flash bank %u", self->target_name,
                              bank);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  script = ood_tcl_script_flash_sectors (bank);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_SHAREABLE,
                          ood_call_cancellable_of (invocation), on_sectors,
                          g_object_ref (invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- jobs --------------------------------------------------------------- */

static const char *const operations[] = {
  [OOD_FLASH_PROGRAM] = "program",
  [OOD_FLASH_LOAD] = "load",
  [OOD_FLASH_ERASE] = "erase",
  [OOD_FLASH_VERIFY] = "verify",
};

static OodCallers *
callers_of (OodFlash *self)
{
  return ood_session_get_settings (self->session)->callers;
}

/* The client's fd of @handle, or -1 with an error. */
static gint
image_fd (OodFlash *self, GUnixFDList *fd_list, GVariant *handle, GError **error)
{
  gint index = g_variant_get_handle (handle);

  if (self->work_dir == NULL)
    {
      g_set_error (error, OOD_ERROR, OOD_ERROR_NOT_SUPPORTED,
                   "OpenOCD at %s is not at a loopback address (it may be on another "
                   "host) and its endpoint names no SharedDirectory: it could not read "
                   "the image",
                   ood_session_get_address (self->session));
      return -1;
    }
  if (fd_list == NULL || index < 0 || index >= g_unix_fd_list_get_length (fd_list))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "no file descriptor was passed for the image");
      return -1;
    }
  return g_unix_fd_list_get (fd_list, index, error);
}

/* The client's image as a stream, counted against the caller's fd share
 * (the work gives it back when it closes the image); or %NULL, the call
 * answered. */
static GInputStream *
take_image (OodFlash *self, GDBusMethodInvocation *invocation, GUnixFDList *fd_list,
            GVariant *handle)
{
  g_autoptr(GError) error = NULL;
  gint fd;

  if (!ood_callers_admit_fd (callers_of (self), invocation))
    return NULL;
  fd = image_fd (self, fd_list, handle, &error);
  if (fd >= 0)
    return ood_fd_input_new (fd);
  ood_callers_release_fd (callers_of (self), g_dbus_method_invocation_get_sender (invocation));
  ood_reply_error (invocation, error);
  return NULL;
}

/* A reset after the service's own halt, which OpenOCD told GDB of: GDB,
 * at its prompt then, could not be told of the reset. */
static gboolean
check_no_debugger (OodFlash *self, GError **error)
{
  g_autoptr(GDBusInterface) target = NULL;

  target = g_dbus_object_manager_get_interface (G_DBUS_OBJECT_MANAGER (self->server),
                                                self->target_path, "org.openocd.Target");
  return target == NULL || ood_target_check_no_debugger (OOD_TARGET (target), error);
}

/* Program's reset (run or halt), as check_no_debugger(). */
static gboolean
check_debugger (OodFlash *self, const OodFlashRequest *request, GError **error)
{
  return request->op != OOD_FLASH_PROGRAM || !request->reset || check_no_debugger (self, error);
}

/* Claims the target, starts the job and answers its path. */
static void
start_job (OodFlash *self, OodFlashGeometry *geometry, GDBusMethodInvocation *invocation,
           GVariant *handle, const OodFlashRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) image = NULL;
  g_autoptr(OodJob) job = NULL;
  const OodSettings *settings = ood_session_get_settings (self->session);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  GUnixFDList *fd_list = g_dbus_message_get_unix_fd_list (
    g_dbus_method_invocation_get_message (invocation));

  if (!ood_session_is_open (self->session))
    g_set_error (&error, OOD_ERROR, OOD_ERROR_DISCONNECTED, "not connected to OpenOCD at %s",
                 ood_session_get_address (self->session));
  else if (!check_debugger (self, request, &error))
    ;
  else if (handle != NULL && (image = take_image (self, invocation, fd_list, handle)) == NULL)
    return;
  else if (!ood_session_claim (self->session, self->target_name, &error) && image != NULL)
    ood_callers_release_fd (callers_of (self), sender);   /* the image closes with the call */
  if (error != NULL)
    {
      ood_reply_error (invocation, error);
      return;
    }
  job = ood_job_new (self->server, settings->job_linger_ms, operations[request->op],
                     self->target_path, started_by (invocation), G_DBUS_INTERFACE_SKELETON (self));
  g_message ("%s: %s on %s", ood_job_get_path (job), operations[request->op], self->target_name);
  ood_flash_work_start (self->session, job, self->target_name, self->banks, geometry,
                        self->work_dir, self->shared_dir, image, image != NULL ? sender : NULL,
                        request);
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(o)", ood_job_get_path (job)));
}

/* The checks that need the sector listing: then the job starts. */
static void
check_and_start (OodFlash *self, OodFlashGeometry *geometry, GDBusMethodInvocation *invocation,
                 GVariant *handle, const OodFlashRequest *request)
{
  GArray *sectors = NULL;

  if (request->op == OOD_FLASH_ERASE)
    sectors = g_hash_table_lookup (geometry->sectors, GUINT_TO_POINTER (request->bank));
  if (sectors != NULL && request->last >= sectors->len)
    ood_reply_invalid_args (invocation, "bank %u has sectors 0 to %u, not %u", request->bank,
                            sectors->len - 1, request->last);
  else
    start_job (self, geometry, invocation, handle, request);
}

static void
start_free (Start *start)
{
  g_object_unref (start->self);
  g_object_unref (start->invocation);
  g_clear_pointer (&start->handle, g_variant_unref);
  g_free (start);
}

static void
fail_start (Start *start, GError *error)
{
  g_prefix_error (&error, "cannot list the sectors of %s: ", start->self->target_name);
  ood_reply_error (start->invocation, error);
  start_free (start);
}

/* With the geometry known: Sectors() answered (@listing), or the job's
 * checks and start. */
static void
with_geometry (OodFlash *self, OodFlashGeometry *geometry, GDBusMethodInvocation *invocation,
               GVariant *handle, const OodFlashRequest *request, gboolean listing)
{
  if (listing)
    reply_sectors (invocation, g_hash_table_lookup (geometry->sectors,
                                                    GUINT_TO_POINTER (request->bank)));
  else
    check_and_start (self, geometry, invocation, handle, request);
}

/* The geometry is learnt: kept for the connection, and the call goes on. */
static void
geometry_known (Start *start, OodFlashGeometry *geometry)
{
  OodFlash *self = start->self;

  g_debug ("%s: work area %" G_GUINT64_FORMAT " bytes", self->target_name, geometry->work_area);
  if (self->geometry == NULL && start->connection == self->connection)
    self->geometry = ood_flash_geometry_ref (geometry);
  with_geometry (self, geometry, start->invocation, start->handle, &start->request,
                 start->listing);
  start_free (start);
}

/* The size of all the sectors of the first listed bank whose sectors are
 * all one size (@from: its index), or 0. */
static guint64
uniform_sector_size (OodFlash *self, OodFlashGeometry *geometry, guint *from)
{
  for (guint b = 0; b < self->banks->len; b++)
    {
      const OodTclFlashBank *bank = self->banks->pdata[b];
      GArray *sectors = g_hash_table_lookup (geometry->sectors, GUINT_TO_POINTER (bank->index));
      guint64 size = sectors != NULL ? g_array_index (sectors, OodTclFlashSector, 0).size : 0;

      for (guint i = 1; sectors != NULL && i < sectors->len && size != 0; i++)
        if (g_array_index (sectors, OodTclFlashSector, i).size != size)
          size = 0;
      if (size != 0)
        {
          *from = bank->index;
          return size;
        }
    }
  return 0;
}

/* Sectors of @size over @bank, their protection unknown. */
static GArray *
uniform_sectors (const OodTclFlashBank *bank, guint64 size)
{
  GArray *sectors = g_array_new (FALSE, FALSE, sizeof (OodTclFlashSector));

  for (guint64 offset = 0; offset < bank->size; offset += size)
    {
      OodTclFlashSector sector = { sectors->len, offset, size, -1 };
      g_array_append_val (sectors, sector);
    }
  return sectors;
}

/* The banks OpenOCD refused to list get sectors of the size of another
 * bank's (see ood-flash.h); %FALSE if some bank cannot. */
static gboolean
fill_refused (OodFlash *self, OodFlashGeometry *geometry)
{
  guint from = 0;
  guint64 size = uniform_sector_size (self, geometry, &from);

  for (guint b = 0; b < self->banks->len; b++)
    {
      const OodTclFlashBank *bank = self->banks->pdata[b];

      if (g_hash_table_contains (geometry->sectors, GUINT_TO_POINTER (bank->index)))
        continue;
      if (size == 0 || bank->size == 0 || bank->size % size != 0)
        return FALSE;
      g_message ("%s: OpenOCD does not list the sectors of flash bank %u: taken as %"
                 G_GUINT64_FORMAT " bytes each, as bank %u's", self->target_name, bank->index,
                 size, from);
      g_hash_table_insert (geometry->sectors, GUINT_TO_POINTER (bank->index),
                           uniform_sectors (bank, size));
    }
  return TRUE;
}

static void
on_geometry (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Start *start = user_data;
  OodFlash *self = start->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GPtrArray) sectors = NULL;
  g_autoptr(OodFlashGeometry) geometry = ood_flash_geometry_new ();
  g_autofree char *refused = NULL;

  if (text != NULL)
    sectors = ood_tcl_parse_flash_geometry (text, self->banks->len, &geometry->work_area, &refused,
                                            &error);
  if (sectors == NULL)
    {
      fail_start (start, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < self->banks->len; i++)
    if (sectors->pdata[i] != NULL)
      g_hash_table_insert (geometry->sectors,
                           GUINT_TO_POINTER (((OodTclFlashBank *) self->banks->pdata[i])->index),
                           g_array_ref (sectors->pdata[i]));
  if (refused != NULL &&
      (g_hash_table_size (geometry->sectors) == 0 || !fill_refused (self, geometry)))
    {
      fail_start (start, g_error_new (OOD_ERROR, OOD_ERROR_TARGET,
                                      "OpenOCD does not list the sectors of every flash bank: %s",
                                      refused));
      return;
    }
  geometry_known (start, geometry);
}

/* Starts the job (or, @listing, answers Sectors() of the request's bank)
 * once the sectors of the banks and the work area are known: learnt once
 * per connection, in one command (a bank OpenOCD refuses to list gets
 * the sectors fill_refused() gives it). */
static gboolean
start_when_known (OodFlash *self, GDBusMethodInvocation *invocation, GVariant *handle,
                  const OodFlashRequest *request, gboolean listing)
{
  g_autofree guint *indexes = g_new (guint, self->banks->len);
  g_autofree char *script = NULL;
  Start *start;

  if (self->geometry != NULL)
    {
      with_geometry (self, self->geometry, invocation, handle, request, listing);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  for (guint i = 0; i < self->banks->len; i++)
    indexes[i] = ((OodTclFlashBank *) self->banks->pdata[i])->index;
  script = ood_tcl_script_flash_geometry (self->target_name, indexes, self->banks->len);
  start = g_new0 (Start, 1);
  start->self = g_object_ref (self);
  start->invocation = g_object_ref (invocation);
  start->handle = handle != NULL ? g_variant_ref (handle) : NULL;
  start->request = *request;
  start->listing = listing;
  start->connection = self->connection;
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_SHAREABLE,
                          ood_call_cancellable_of (invocation), on_geometry, start);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
parse_reset (const char *text, OodFlashRequest *request)
{
  request->reset = !g_str_equal (text, "none");
  if (text[0] == '\0' || g_str_equal (text, "run"))
    request->reset_mode = OOD_RESET_RUN;
  else if (g_str_equal (text, "halt"))
    request->reset_mode = OOD_RESET_HALT;
  else
    return g_str_equal (text, "none");
  return TRUE;
}

/* Reads @options into @request; Program's options are "verify",
 * "erase", "smart" and "reset", Load's only "verify". */
static gboolean
parse_options (GVariant *options, gboolean program, OodFlashRequest *request, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;
      gboolean known = g_str_equal (key, "verify") ||
                       (program && (g_str_equal (key, "erase") || g_str_equal (key, "smart") ||
                                    g_str_equal (key, "reset")));
      gboolean is_bool = g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN);

      if (!known)
        g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "unknown option '%s'", key);
      else if (g_str_equal (key, "reset") &&
               (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
                !parse_reset (g_variant_get_string (value, NULL), request)))
        g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                     "option 'reset' must be \"run\", \"halt\" or \"none\"");
      else if (!g_str_equal (key, "reset") && !is_bool)
        g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                     "option '%s' must be a boolean", key);
      else if (g_str_equal (key, "verify"))
        request->verify = g_variant_get_boolean (value);
      else if (g_str_equal (key, "erase"))
        request->erase = g_variant_get_boolean (value);
      else if (g_str_equal (key, "smart"))
        request->smart = g_variant_get_boolean (value);
      if (*error != NULL)
        return FALSE;
    }
  return TRUE;
}

/* Whether @address is in a bank of this target. */
static gboolean
in_flash (OodFlash *self, guint64 address)
{
  for (guint i = 0; i < self->banks->len; i++)
    {
      const OodTclFlashBank *bank = self->banks->pdata[i];
      if (address >= bank->base && address - bank->base < bank->size)
        return TRUE;
    }
  return FALSE;
}

/* Program and Load: an image, a format, an address and options. Every
 * argument is checked before a job exists; a job fails only with what
 * the image turns out to hold. */
static gboolean
image_job (OodFlash *self, GDBusMethodInvocation *invocation, GVariant *handle,
           const char *format, guint64 address, GVariant *options, OodFlashOp op)
{
  OodFlashRequest request = {
    .op = op, .address = address, .verify = TRUE, .erase = TRUE, .smart = TRUE,
    .reset = TRUE, .reset_mode = OOD_RESET_RUN,
  };
  g_autoptr(GError) error = NULL;

  if (!ood_image_format_parse (format, &request.format))
    ood_reply_invalid_args (invocation, "unknown image format '%s' (use bin, ihex or elf)",
                            format);
  else if (options != NULL && !parse_options (options, op == OOD_FLASH_PROGRAM, &request, &error))
    ood_reply_error (invocation, error);
  else if (op == OOD_FLASH_PROGRAM && request.format == OOD_IMAGE_BIN && !in_flash (self, address))
    ood_reply_invalid_args (invocation, "0x%" G_GINT64_MODIFIER "x is in no flash bank of %s",
                            address, self->target_name);
  else if (op == OOD_FLASH_LOAD)
    {
      g_autoptr(OodFlashGeometry) none = ood_flash_geometry_new ();   /* RAM: no sectors */
      start_job (self, none, invocation, handle, &request);
    }
  else
    return start_when_known (self, invocation, handle, &request, FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_program (OodDbusFlash *iface, GDBusMethodInvocation *invocation, GUnixFDList *fd_list,
                GVariant *handle, const char *format, guint64 address, GVariant *options)
{
  (void) fd_list;   /* the invocation's */
  return image_job (OOD_FLASH (iface), invocation, handle, format, address, options, OOD_FLASH_PROGRAM);
}

static gboolean
handle_load (OodDbusFlash *iface, GDBusMethodInvocation *invocation, GUnixFDList *fd_list,
             GVariant *handle, const char *format, guint64 address, GVariant *options)
{
  (void) fd_list;   /* the invocation's */
  return image_job (OOD_FLASH (iface), invocation, handle, format, address, options, OOD_FLASH_LOAD);
}

static gboolean
handle_verify (OodDbusFlash *iface, GDBusMethodInvocation *invocation, GUnixFDList *fd_list,
               GVariant *handle, const char *format, guint64 address)
{
  (void) fd_list;   /* the invocation's */
  return image_job (OOD_FLASH (iface), invocation, handle, format, address, NULL,
                    OOD_FLASH_VERIFY);
}

/* Erase's and Protect's bank and sector range, as far as they can be
 * checked without the sector listing; else the call is answered. */
static gboolean
check_range (OodFlash *self, GDBusMethodInvocation *invocation, guint bank, guint first,
             guint last)
{
  if (find_bank (self, bank) == NULL)
    ood_reply_invalid_args (invocation, "target %s has no flash bank %u", self->target_name,
                            bank);
  else if (first > last)
    ood_reply_invalid_args (invocation, "the first sector (%u) is after the last (%u)", first,
                            last);
  else
    return TRUE;
  return FALSE;
}

static gboolean
handle_erase (OodDbusFlash *iface, GDBusMethodInvocation *invocation, guint bank, guint first,
              guint last)
{
  OodFlash *self = OOD_FLASH (iface);
  OodFlashRequest request = { .op = OOD_FLASH_ERASE, .bank = bank, .first = first, .last = last };

  if (check_range (self, invocation, bank, first, last))
    return start_when_known (self, invocation, NULL, &request, FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Protect ------------------------------------------------------------ */

/* What OpenOCD read after acting (ood-flash-protect.h) replaces the
 * listing, also when the call failed: then the error says it. */
static void
on_protect (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  OodFlash *self = OOD_FLASH (g_dbus_method_invocation_get_user_data (invocation));
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sectors = NULL;
  gboolean ok;
  guint bank;

  ok = ood_flash_protect_finish (OOD_SESSION (source), result, &sectors, &error);
  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(uuub)", &bank, NULL,
                 NULL, NULL);
  if (sectors != NULL)
    remember_sectors (self, bank, sectors);
  if (!ok)
    ood_reply_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
handle_protect (OodDbusFlash *iface, GDBusMethodInvocation *invocation, guint bank, guint first,
                guint last, gboolean on)
{
  OodFlash *self = OOD_FLASH (iface);
  OodFlashProtectRequest request = { .bank = bank, .first = first, .last = last, .on = on };
  g_autoptr(GError) error = NULL;

  if (!check_range (self, invocation, bank, first, last))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (!check_no_debugger (self, &error) ||
           !ood_session_check_unclaimed (self->session, self->target_name, &error))
    ood_reply_error (invocation, error);
  else
    ood_flash_protect_async (self->session, self->target_name, &request,
                             ood_call_cancellable_of (invocation), on_protect,
                             g_object_ref (invocation));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle --------------------------------------------------------- */

/* A new connection: the flash may have been probed anew, or be another
 * board's. */
static void
forget_geometry (OodFlash *self)
{
  g_clear_pointer (&self->geometry, ood_flash_geometry_unref);
  self->connection++;
}

static void
publish_banks (OodFlash *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(usttuu)"));
  for (guint i = 0; i < self->banks->len; i++)
    {
      const OodTclFlashBank *bank = self->banks->pdata[i];
      g_variant_builder_add (&builder, "(usttuu)", bank->index, bank->name, bank->base,
                             bank->size, bank->bus_width, bank->chip_width);
    }
  ood_dbus_flash_set_banks (OOD_DBUS_FLASH (self), g_variant_builder_end (&builder));
}

static void
ood_flash_finalize (GObject *object)
{
  OodFlash *self = OOD_FLASH (object);

  g_clear_signal_handler (&self->opened_id, self->session);
  g_clear_object (&self->session);
  g_clear_pointer (&self->geometry, ood_flash_geometry_unref);
  g_clear_object (&self->server);
  g_clear_pointer (&self->banks, g_ptr_array_unref);
  g_free (self->target_name);
  g_free (self->target_path);
  g_free (self->work_dir);
  G_OBJECT_CLASS (ood_flash_parent_class)->finalize (object);
}

static void
ood_flash_iface_init (OodDbusFlashIface *iface)
{
  iface->handle_sectors = handle_sectors;
  iface->handle_program = handle_program;
  iface->handle_load = handle_load;
  iface->handle_erase = handle_erase;
  iface->handle_verify = handle_verify;
  iface->handle_protect = handle_protect;
}

static void
ood_flash_class_init (OodFlashClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->finalize = ood_flash_finalize;
}

static void
ood_flash_init (OodFlash *self)
{
  (void) self;
}

/**
 * ood_flash_new:
 * @session: the target's OpenOCD
 * @server: the ObjectManager where jobs are exported
 * @target_name: the target's name in OpenOCD
 * @target_path: the target's object path, for the jobs' Target
 * @banks: (element-type OodTclFlashBank): the target's banks; kept, not changed
 * @work_dir: (nullable): a directory OpenOCD can read, for the images
 *   handed to it; %NULL if there is none (OpenOCD on another host)
 * @shared_dir: whether @work_dir was configured as shared with OpenOCD
 *
 * Returns: (transfer full): the interface, to be added to the target's object
 */
OodFlash *
ood_flash_new (OodSession *session, GDBusObjectManagerServer *server, const char *target_name,
               const char *target_path, GPtrArray *banks, const char *work_dir,
               gboolean shared_dir)
{
  OodFlash *self = g_object_new (OOD_TYPE_FLASH, NULL);

  self->session = g_object_ref (session);
  self->server = g_object_ref (server);
  self->target_name = g_strdup (target_name);
  self->target_path = g_strdup (target_path);
  self->banks = g_ptr_array_ref (banks);
  self->work_dir = g_strdup (work_dir);
  self->shared_dir = shared_dir;
  self->opened_id = g_signal_connect_swapped (session, "opened", G_CALLBACK (forget_geometry),
                                              self);
  publish_banks (self);
  return self;
}
