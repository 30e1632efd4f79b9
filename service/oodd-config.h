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
} OoddEndpointConfig;

void       oodd_endpoint_config_free (OoddEndpointConfig *config);
gboolean   oodd_config_check_address (const char *address,
                                      GError    **error);
GPtrArray *oodd_config_parse         (const char *text,
                                      const char *filename,
                                      GPtrArray  *warnings);
GPtrArray *oodd_config_load          (const char *path,
                                      GPtrArray  *warnings,
                                      GError    **error);

G_END_DECLS
