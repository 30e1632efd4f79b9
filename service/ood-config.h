/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The endpoint list: a key file of "[Endpoint NAME]" groups, each with
 * "Address=host:port". Parsed line by line so that one bad line is
 * reported with its file and line and the rest still loads.
 */

typedef struct {
  char *name;
  char *address;
} OodEndpointConfig;

void       ood_endpoint_config_free (OodEndpointConfig *config);
gboolean   ood_config_check_address (const char *address,
                                      GError    **error);
GPtrArray *ood_config_parse         (const char *text,
                                      const char *filename,
                                      GPtrArray  *warnings);
GPtrArray *ood_config_load          (const char *path,
                                      GPtrArray  *warnings,
                                      GError    **error);

G_END_DECLS
