/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-flash-protect"

#include "ood-flash-protect.h"

#include "ood-error.h"
#include "ood-tcl-flash.h"

typedef struct {
  OodSession            *session;
  char                  *target;
  OodFlashProtectRequest request;
  gboolean               claimed;
  GArray                *sectors;   /* as read at the end */
} Protect;

/* The target is free again, before the caller is answered. */
static void
release (Protect *protect)
{
  if (protect->claimed)
    ood_session_release (protect->session, protect->target);
  protect->claimed = FALSE;
}

static void
protect_free (Protect *protect)
{
  release (protect);
  g_clear_pointer (&protect->sectors, g_array_unref);
  g_free (protect->target);
  g_object_unref (protect->session);
  g_free (protect);
}

static const OodTclFlashSector *
sector_at (GArray *sectors, guint i)
{
  return &g_array_index (sectors, OodTclFlashSector, i);
}

/* The index of the entry of @list (sectors or blocks) holding byte
 * @offset of the bank, or -1. */
static gint
index_at (GArray *list, guint64 offset)
{
  for (guint i = 0; i < list->len; i++)
    if (offset >= sector_at (list, i)->offset &&
        offset - sector_at (list, i)->offset < sector_at (list, i)->size)
      return (gint) i;
  return -1;
}

/* "sectors 4 to 7 and 12 protected", "no sector protected": what
 * @sectors say, as OpenOCD read them. */
static char *
describe (GArray *sectors)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint runs = 0, count = 0;

  for (guint i = 0; i < sectors->len; i++)
    {
      guint from = i;

      if (sector_at (sectors, i)->protection != 1)
        continue;
      while (i + 1 < sectors->len && sector_at (sectors, i + 1)->protection == 1)
        i++;
      count += i - from + 1;
      g_string_append (text, runs++ > 0 ? ", " : "");
      if (from == i)
        g_string_append_printf (text, "%u", from);
      else
        g_string_append_printf (text, "%u to %u", from, i);
    }
  if (runs == 0)
    return g_strdup ("no sector protected");
  return g_strdup_printf ("sector%s %s protected", count == 1 ? "" : "s", text->str);
}

/* The blocks that make up the request's sectors exactly, or %FALSE with
 * InvalidArgs. */
static gboolean
blocks_of (const OodFlashProtectRequest *request, GArray *sectors, GArray *blocks,
           guint *first_block, guint *last_block, GError **error)
{
  guint64 start, end;
  gint first, last;

  if (request->last >= sectors->len)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "bank %u has sectors 0 to %u, not %u", request->bank, sectors->len - 1,
                   request->last);
      return FALSE;
    }
  start = sector_at (sectors, request->first)->offset;
  end = sector_at (sectors, request->last)->offset + sector_at (sectors, request->last)->size;
  first = index_at (blocks, start);
  last = index_at (blocks, end - 1);
  if (first >= 0 && last >= 0 && sector_at (blocks, first)->offset == start &&
      sector_at (blocks, last)->offset + sector_at (blocks, last)->size == end)
    {
      *first_block = sector_at (blocks, first)->index;
      *last_block = sector_at (blocks, last)->index;
      return TRUE;
    }
  if (first < 0 || last < 0)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                 "OpenOCD lists no protection block for sectors %u to %u of bank %u",
                 request->first, request->last, request->bank);
  else
    {
      const OodTclFlashSector *block = sector_at (blocks, sector_at (blocks, first)->offset !=
                                                         start ? first : last);
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "bank %u is protected in whole blocks: sectors %u to %u are not (block "
                   "%u is sectors %d to %d)", request->bank, request->first, request->last,
                   block->index, index_at (sectors, block->offset),
                   index_at (sectors, block->offset + block->size - 1));
    }
  return FALSE;
}

/* The error for what OpenOCD answered, or %NULL: it failed a step
 * (@failed), or the sectors asked do not read as asked. */
static GError *
outcome (Protect *protect, const char *failed, const char *message)
{
  const OodFlashProtectRequest *request = &protect->request;
  g_autofree char *now = describe (protect->sectors);

  if (g_str_equal (failed, "protect"))
    return g_error_new (OOD_ERROR, OOD_ERROR_FLASH, "flash protect: %s; bank %u reads %s",
                        message, request->bank, now);
  if (failed[0] != '\0')
    return g_error_new (OOD_ERROR, OOD_ERROR_TARGET,
                        "the protection was written, but the reset failed: %s; bank %u reads %s",
                        message, request->bank, now);
  for (guint i = request->first; i <= request->last; i++)
    if (sector_at (protect->sectors, i)->protection != (request->on ? 1 : 0))
      return g_error_new (OOD_ERROR, OOD_ERROR_FLASH,
                          "after the protection was written and the target reset, bank %u "
                          "reads %s", request->bank, now);
  return NULL;
}

static void
on_protected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Protect *protect = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autofree char *failed = NULL;
  g_autofree char *message = NULL;

  if (text != NULL)
    protect->sectors = ood_tcl_parse_flash_protect (text, &failed, &message, &error);
  /* the parser sets both texts with the sectors */
  if (protect->sectors != NULL && failed != NULL && message != NULL)
    error = outcome (protect, failed, message);
  release (protect);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_listing (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Protect *protect = g_task_get_task_data (task);
  const OodFlashProtectRequest *request = &protect->request;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GArray) sectors = NULL;
  g_autoptr(GArray) blocks = text != NULL ? ood_tcl_parse_flash_blocks (text, &sectors, &error)
                                          : NULL;
  g_autofree char *script = NULL;
  GCancellable *cancellable;
  guint first_block, last_block;

  if (blocks == NULL ||
      !blocks_of (request, sectors, blocks, &first_block, &last_block, &error) ||
      !(protect->claimed = ood_session_claim (protect->session, protect->target, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_debug ("%s: bank %u blocks %u to %u %s", protect->target, request->bank, first_block,
           last_block, request->on ? "on" : "off");
  script = ood_tcl_script_flash_protect (protect->target, request->bank, first_block, last_block,
                                         request->on);
  cancellable = g_task_get_cancellable (task);
  ood_session_call_async (protect->session, script, OOD_SESSION_CALL_NONE, cancellable,
                          on_protected, g_steal_pointer (&task));
}

/**
 * ood_flash_protect_async:
 * @target: the bank's target, by OpenOCD's name
 * @request: the bank, its sectors (first <= last, checked by the caller)
 *   and whether to protect them
 * @cancellable: (nullable): the caller's, as for ood_session_call_async()
 *
 * Protects or unprotects the sectors, as the header says.
 */
void
ood_flash_protect_async (OodSession *session, const char *target,
                         const OodFlashProtectRequest *request, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (session, cancellable, callback, user_data);
  Protect *protect = g_new0 (Protect, 1);
  g_autofree char *script = ood_tcl_script_flash_sectors (request->bank);

  g_return_if_fail (request->first <= request->last);
  g_task_set_source_tag (task, ood_flash_protect_async);
  protect->session = g_object_ref (session);
  protect->target = g_strdup (target);
  protect->request = *request;
  g_task_set_task_data (task, protect, (GDestroyNotify) protect_free);
  ood_session_call_async (session, script, OOD_SESSION_CALL_SHAREABLE, cancellable, on_listing,
                          task);
}

/**
 * ood_flash_protect_finish:
 * @sectors: (out) (transfer full) (optional) (element-type OodTclFlashSector):
 *   the bank's sectors as OpenOCD read them after acting, or %NULL where
 *   nothing was read after acting (an argument refused, OpenOCD
 *   unreachable); set on failure too
 *
 * Returns: whether the sectors now read as asked
 */
gboolean
ood_flash_protect_finish (OodSession *session, GAsyncResult *result, GArray **sectors,
                          GError **error)
{
  Protect *protect;

  g_return_val_if_fail (g_task_is_valid (result, session), FALSE);
  protect = g_task_get_task_data (G_TASK (result));
  if (sectors != NULL)
    *sectors = protect->sectors != NULL ? g_array_ref (protect->sectors) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}
