/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the configuration file, as ood_config_load hands it
 * to ood_config_parse: (text, length), NUL bytes and all. The input is
 * passed as libFuzzer gives it, not NUL-terminated, so a parser that
 * reads past @length trips AddressSanitizer. Every probe rule it yields
 * is then instantiated for a well-behaved probe and for one whose serial
 * is hostile: placeholders never add or split words, and a hostile value
 * is never substituted. */
#include <stdint.h>
#include <string.h>

#include "ood-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static OodUsbProbe *
probe_new (const char *serial)
{
  OodUsbProbe *probe = ood_usb_probe_new ();

  probe->vendor_id = 0x0483;
  probe->product_id = 0x374b;
  probe->serial = g_strdup (serial);
  probe->usb_path = g_strdup ("1-1.4");
  g_hash_table_insert (probe->properties, g_strdup ("ID_VENDOR_ID"), g_strdup ("0483"));
  g_hash_table_insert (probe->properties, g_strdup ("ID_SERIAL_SHORT"), g_strdup (serial));
  return probe;
}

static void
check_endpoint (const OodEndpointConfig *config)
{
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (config->name);
  g_assert_true ((config->address == NULL) != (config->exec_argv == NULL));
  if (config->address != NULL)
    g_assert_true (ood_config_check_address (config->address, &error));
  else
    g_assert_nonnull (config->exec_argv[0]);
}

/* The endpoint of @rule for @probe has as many words as the Exec, and
 * none holds the serial of a hostile @probe unless its Exec word did. */
static void
check_rule (const OodProbeRule *rule, const OodUsbProbe *probe, gboolean hostile)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OodEndpointConfig) config = NULL;

  g_assert_nonnull (rule->match);
  g_assert_nonnull (rule->match[0]);
  (void) ood_probe_rule_matches (rule, probe);
  config = ood_probe_rule_endpoint (rule, probe, &error);
  if (config == NULL)
    {
      g_assert_nonnull (error);
      return;
    }
  g_assert_cmpuint (g_strv_length (config->exec_argv), ==, g_strv_length (rule->exec_argv));
  for (guint i = 0; hostile && config->exec_argv[i] != NULL; i++)
    g_assert_true (strstr (config->exec_argv[i], probe->serial) == NULL ||
                   strstr (rule->exec_argv[i], probe->serial) != NULL);
  g_assert_true (g_utf8_validate (config->name, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodConfig) config = NULL;
  g_autoptr(OodUsbProbe) probe = probe_new ("066DFF");
  g_autoptr(OodUsbProbe) hostile = probe_new ("x\"; exec sh #");

  config = ood_config_parse ((const char *) data, size, "fuzz.conf", warnings);
  g_assert_nonnull (config);
  for (guint i = 0; i < config->endpoints->len; i++)
    check_endpoint (config->endpoints->pdata[i]);
  for (guint i = 0; i < config->probe_rules->len; i++)
    {
      check_rule (config->probe_rules->pdata[i], probe, FALSE);
      check_rule (config->probe_rules->pdata[i], hostile, TRUE);
    }
  g_assert_cmpuint (warnings->len, <=, OOD_CONFIG_MAX_WARNINGS + 1);
  for (guint i = 0; i < warnings->len; i++)
    {
      g_assert_true (g_str_has_prefix (warnings->pdata[i], "fuzz.conf:"));
      g_assert_true (g_utf8_validate (warnings->pdata[i], -1, NULL));
    }
  return 0;
}
