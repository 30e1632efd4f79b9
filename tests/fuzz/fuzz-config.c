/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the endpoint configuration file, as ood_config_load
 * hands it to ood_config_parse: (text, length), NUL bytes and all. The
 * input is passed as libFuzzer gives it, not NUL-terminated, so a parser
 * that reads past @length trips AddressSanitizer. */
#include <stdint.h>

#include "ood-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = NULL;

  endpoints = ood_config_parse ((const char *) data, size, "fuzz.conf", warnings);
  g_assert_nonnull (endpoints);
  for (guint i = 0; i < endpoints->len; i++)
    {
      OodEndpointConfig *config = endpoints->pdata[i];
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (config->name);
      g_assert_nonnull (config->address);
      g_assert_true (ood_config_check_address (config->address, &error));
    }
  g_assert_cmpuint (warnings->len, <=, OOD_CONFIG_MAX_WARNINGS + 1);
  for (guint i = 0; i < warnings->len; i++)
    {
      g_assert_true (g_str_has_prefix (warnings->pdata[i], "fuzz.conf:"));
      g_assert_true (g_utf8_validate (warnings->pdata[i], -1, NULL));
    }
  return 0;
}
