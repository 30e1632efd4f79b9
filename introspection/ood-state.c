/* SPDX-License-Identifier: MIT */
#include "ood-state.h"

#include <string.h>

/**
 * ood_state_canonical:
 * @state: a state name as OpenOCD prints it
 *
 * Returns: (transfer none): the interned constant for @state, or %NULL
 *   when @state is not one of the five states OpenOCD knows.
 */
const char *
ood_state_canonical (const char *state)
{
  static const char *const states[] = {
    OOD_STATE_UNKNOWN, OOD_STATE_RUNNING, OOD_STATE_HALTED,
    OOD_STATE_RESET, OOD_STATE_DEBUG_RUNNING,
  };

  for (gsize i = 0; state != NULL && i < G_N_ELEMENTS (states); i++)
    if (strcmp (state, states[i]) == 0)
      return states[i];
  return NULL;
}

static GVariant *
entry (const char *key, GVariant *value)
{
  return g_variant_new_dict_entry (g_variant_new_string (key), g_variant_new_variant (value));
}

/**
 * ood_state_dict_new:
 *
 * Builds the a{sv} "state" dictionary of the org.openocd.Target methods:
 * "name", "state" and, only when @pc_valid, "current_pc".
 *
 * Returns: (transfer floating): the dictionary
 */
GVariant *
ood_state_dict_new (const char *name, const char *state, gboolean pc_valid, guint64 pc)
{
  GVariant *entries[3];
  gsize n = 0;

  /* built from its parts rather than with GVariantDict or a format
   * string: every State() reply carries one, and this is several times
   * cheaper */
  entries[n++] = entry ("name", g_variant_new_string (name));
  entries[n++] = entry ("state", g_variant_new_string (state));
  if (pc_valid)
    entries[n++] = entry ("current_pc", g_variant_new_uint64 (pc));
  return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), entries, n);
}

/**
 * ood_state_dict_parse:
 * @dict: an a{sv} from ood_state_dict_new()
 *
 * Reads a state dictionary back; strings point into @dict.
 *
 * Returns: %FALSE if "name" or "state" is missing or of the wrong type
 */
gboolean
ood_state_dict_parse (GVariant *dict, const char **name, const char **state,
                      gboolean *pc_valid, guint64 *pc)
{
  guint64 value = 0;

  if (!g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT))
    return FALSE;
  if (!g_variant_lookup (dict, "name", "&s", name) ||
      !g_variant_lookup (dict, "state", "&s", state))
    return FALSE;
  *pc_valid = g_variant_lookup (dict, "current_pc", "t", &value);
  *pc = value;
  return TRUE;
}
