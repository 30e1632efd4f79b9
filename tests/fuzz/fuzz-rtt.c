/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the parser of an RTT poll's answer
 * (service/tcl/ood-tcl-rtt.c), on any text OpenOCD might answer. The
 * first byte picks how many up-buffers and writes the poll asked for and
 * the byte order; the rest, NUL-terminated, is the answer. Everything is
 * freed, so LeakSanitizer finds leaks on error paths.
 */
#include <stdint.h>
#include <string.h>

#include "ood-tcl-rtt.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *up[4] = { NULL };
  gsize written[4] = { 0 };
  guint n_up, n_writes;
  gboolean big_endian;

  if (size == 0)
    return 0;
  n_up = data[0] & 3;
  n_writes = (data[0] >> 2) & 3;
  big_endian = (data[0] >> 4) & 1;
  text = g_strndup ((const char *) data + 1, size - 1);
  if (ood_tcl_parse_rtt_poll (text, n_up, n_writes, big_endian, up, written, &error))
    {
      g_assert_null (error);
      for (guint i = 0; i < n_up; i++)
        {
          g_assert_nonnull (up[i]);
          g_assert_cmpuint (g_bytes_get_size (up[i]), <=, OOD_TCL_RTT_POLL_MAX);
          g_bytes_unref (up[i]);
        }
      for (guint i = 0; i < n_writes; i++)
        g_assert_cmpuint (written[i], <=, OOD_TCL_RTT_POLL_MAX);
    }
  else
    {
      g_assert_nonnull (error);
      for (guint i = 0; i < G_N_ELEMENTS (up); i++)
        g_assert_null (up[i]);
    }
  return 0;
}
