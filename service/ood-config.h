/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-usb-probe.h"

G_BEGIN_DECLS

/*
 * The configuration: a key file of groups. Parsed line by line so that one
 * bad line is reported with its file and line and the rest still loads.
 *
 *   [Endpoint NAME]     an OpenOCD the service talks to, with exactly one of
 *     Address=HOST:PORT   its Tcl RPC server, run by someone else, or
 *     Exec=COMMAND LINE   an OpenOCD the service runs itself;
 *     SharedDirectory=/PATH  optional;
 *     AllowRawCommands=BOOL  optional, false unless "true" (or "yes", "1"):
 *                         whether Endpoint.Command() runs administrators'
 *                         raw OpenOCD commands.
 *
 *   [Probe NAME]        USB debug probes the service publishes, and the
 *                       OpenOCD it runs for each:
 *     Match=KEY=VALUE…    udev properties the device must all have, e.g.
 *                         "ID_VENDOR_ID=0483 ID_MODEL_ID=374b"; required;
 *     Exec=COMMAND LINE   optional: without it the probe is only published;
 *     Model=TEXT          optional: the probe's Model (else the built-in
 *                         table's, else NAME).
 *
 * A COMMAND LINE and a Match list are split into words as a shell would
 * (quotes and backslashes), by g_shell_parse_argv(); no shell ever runs
 * them and nothing is expanded. The first word of an Exec is the program:
 * an absolute path, or a name looked up in PATH when it is run.
 *
 * In a [Probe] Exec, these placeholders are replaced in each word, after
 * the line was split, so a value can neither add nor split words:
 *   %s the serial, %p the USB path ("1-1.4", for `adapter usb location`),
 *   %v the vendor ID and %d the product ID (4 lower-case hex digits),
 *   %% a "%".
 * The program word takes none. A serial is chosen by whoever made the
 * device and usually lands in Tcl (-c "adapter serial %s"), so a value is
 * substituted only if it is 1 to OOD_CONFIG_MAX_VALUE characters of
 * [A-Za-z0-9._:-] and does not start with "-" (it would be an option if
 * it stood alone); a device whose value is not starts no endpoint. In an
 * [Endpoint] Exec, "%" is just a character.
 *
 * The endpoint of a probe is named "NAME-SERIAL", or "NAME-USBPATH" when
 * the serial is empty or not such a value.
 *
 * Limits, because the file is read by a service: only a regular file is
 * read (a FIFO, a device or a directory is an error, and opening one never
 * blocks), at most OOD_CONFIG_MAX_BYTES of it (a larger file is an error,
 * not a prefix), and at most OOD_CONFIG_MAX_WARNINGS warnings are kept,
 * followed by one that counts the rest.
 */

#define OOD_CONFIG_MAX_BYTES    (1024 * 1024)
#define OOD_CONFIG_MAX_WARNINGS 20
#define OOD_CONFIG_MAX_VALUE    128

typedef struct {
  char  *name;
  char  *address;     /* Address=: HOST:PORT, or NULL if exec_argv is set */
  char **exec_argv;   /* Exec=: the OpenOCD to run, or NULL if address is set */
  char  *shared_dir;  /* SharedDirectory=: an absolute path, or NULL */
  gboolean allow_raw; /* AllowRawCommands= */
} OodEndpointConfig;

typedef struct {
  char  *name;
  char **match;       /* "KEY=VALUE" words, at least one */
  char  *model;       /* Model=, or NULL */
  char **exec_argv;   /* Exec= with its placeholders, or NULL */
} OodProbeRule;

typedef struct {
  GPtrArray *endpoints;    /* (element-type OodEndpointConfig) in file order */
  GPtrArray *probe_rules;  /* (element-type OodProbeRule) in file order */
} OodConfig;

void       ood_endpoint_config_free (OodEndpointConfig *config);
void       ood_probe_rule_free      (OodProbeRule *rule);
void       ood_config_free          (OodConfig *config);
gboolean   ood_config_check_address (const char *address,
                                      GError    **error);
gboolean   ood_config_address_is_local (const char *address);
OodConfig *ood_config_parse         (const char *text,
                                      gsize       length,
                                      const char *filename,
                                      GPtrArray  *warnings);
gboolean   ood_config_read          (const char *path,
                                      char      **text,
                                      gsize      *length,
                                      GError    **error);
OodConfig *ood_config_load          (const char *path,
                                      GPtrArray  *warnings,
                                      GError    **error);

void       ood_config_load_async    (const char         *path,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
OodConfig *ood_config_load_finish   (GAsyncResult *result,
                                      GPtrArray   **warnings,
                                      GError      **error);

gboolean            ood_probe_rule_matches   (const OodProbeRule *rule,
                                              const OodUsbProbe  *probe);
const OodProbeRule *ood_probe_rules_find     (GPtrArray          *rules,
                                              const OodUsbProbe  *probe);
OodEndpointConfig  *ood_probe_rule_endpoint  (const OodProbeRule *rule,
                                              const OodUsbProbe  *probe,
                                              GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodConfig, ood_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodEndpointConfig, ood_endpoint_config_free)

G_END_DECLS
