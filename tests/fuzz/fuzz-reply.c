/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: bytes as OpenOCD's Tcl RPC server might send them.
 * They go through OodTclFramer in chunks of sizes taken from the input,
 * and every framed message through each parser the service applies to
 * replies and notifications (the adapter and scan chain's too). Everything is freed, so LeakSanitizer finds
 * leaks on error paths.
 *
 * Input layout: the first byte seeds the chunk sizes; the rest is the stream.
 */
#include <stdint.h>
#include <string.h>

#include "ood-tcl-endpoint.h"
#include "ood-tcl-framer.h"
#include "ood-tcl-parse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
parse_all (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = NULL;
  g_autoptr(GPtrArray) records = NULL;
  OodTclNotification notification = { 0 };
  guint64 address = 0;

  list = ood_tcl_parse_list (text, &error);
  g_assert ((list == NULL) == (error != NULL));
  g_clear_error (&error);
  records = ood_tcl_parse_records (text, &error);
  g_assert ((records == NULL) == (error != NULL));
  g_clear_error (&error);
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      OodTclTargetRecord *record = records->pdata[i];
      g_assert_nonnull (record->name);
      g_assert_nonnull (record->state);
    }
  {
    g_autoptr(OodTclTargetRecord) record = ood_tcl_parse_record (text, &error);
    g_assert ((record == NULL) == (error != NULL));
    g_clear_error (&error);
  }
  (void) ood_tcl_parse_address (text, &address);
  {
    g_autoptr(GArray) breakpoints = ood_tcl_parse_breakpoints (text);
    g_autoptr(GArray) watchpoints = ood_tcl_parse_watchpoints (text);
    for (guint i = 0; i < breakpoints->len; i++)
      g_assert (g_array_index (breakpoints, OodTclBreakpoint, i).length > 0);
    for (guint i = 0; i < watchpoints->len; i++)
      g_assert (g_array_index (watchpoints, OodTclWatchpoint, i).access <= OOD_WATCH_ACCESS);
  }
  {
    g_autoptr(OodTclAdapterInfo) info = ood_tcl_parse_adapter_info (text, &error);
    g_autoptr(GArray) taps = ood_tcl_parse_scan_chain (text);
    guint khz = 0;

    g_assert ((info == NULL) == (error != NULL));
    g_clear_error (&error);
    for (guint i = 0; i < taps->len; i++)
      g_assert_nonnull (g_array_index (taps, OodTclTap, i).name);
    (void) ood_tcl_parse_adapter_speed (text, &khz);
  }
  if (ood_tcl_parse_notification (text, &notification))
    g_assert_nonnull (notification.value);
  ood_tcl_notification_clear (&notification);
}

static gboolean
on_message (const char *message, gsize length, gpointer user_data)
{
  gint code = 0;
  const char *text = NULL;
  guint *count = user_data;

  g_assert (message[length] == '\0');
  (*count)++;
  parse_all (message);
  if (ood_tcl_parse_wrapped (message, &code, &text))
    {
      g_assert_nonnull (text);
      parse_all (text);
    }
  return *count < 64;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  OodTclFramer framer;
  g_autoptr(GError) error = NULL;
  guint32 seed;
  guint count = 0;
  gboolean ok = TRUE;

  if (size < 1)
    return 0;
  seed = data[0] | 1u;
  data++;
  size--;
  ood_tcl_framer_init (&framer, 4096);
  while (size > 0 && ok && count < 64)
    {
      gsize chunk;

      seed = seed * 1103515245u + 12345u;
      chunk = MIN (size, 1 + ((seed >> 16) % 64));
      ok = ood_tcl_framer_feed (&framer, data, chunk, on_message, &count, &error);
      g_assert (ok || error != NULL);
      data += chunk;
      size -= chunk;
    }
  ood_tcl_framer_clear (&framer);
  return 0;
}
