/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The endpoint list: a key file of "[Endpoint NAME]" groups, each with
 * "Address=host:port" and optionally "SharedDirectory=/path". Parsed line by line so that one bad line is
 * reported with its file and line and the rest still loads.
 *
 * Limits, because the file is read by a service: only a regular file is
 * read (a FIFO, a device or a directory is an error, and opening one never
 * blocks), at most OOD_CONFIG_MAX_BYTES of it (a larger file is an error,
 * not a prefix), and at most OOD_CONFIG_MAX_WARNINGS warnings are kept,
 * followed by one that counts the rest.
 */

#define OOD_CONFIG_MAX_BYTES    (1024 * 1024)
#define OOD_CONFIG_MAX_WARNINGS 20

typedef struct {
  char *name;
  char *address;
  char *shared_dir;   /* SharedDirectory=: an absolute path, or NULL */
} OodEndpointConfig;

void       ood_endpoint_config_free (OodEndpointConfig *config);
gboolean   ood_config_check_address (const char *address,
                                      GError    **error);
gboolean   ood_config_address_is_local (const char *address);
GPtrArray *ood_config_parse         (const char *text,
                                      gsize       length,
                                      const char *filename,
                                      GPtrArray  *warnings);
gboolean   ood_config_read          (const char *path,
                                      char      **text,
                                      gsize      *length,
                                      GError    **error);
GPtrArray *ood_config_load          (const char *path,
                                      GPtrArray  *warnings,
                                      GError    **error);

void       ood_config_load_async    (const char         *path,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
GPtrArray *ood_config_load_finish   (GAsyncResult *result,
                                      GPtrArray   **warnings,
                                      GError      **error);

G_END_DECLS
