/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-tcl-connection.h"
#include "ood-tcl-parse.h"

G_BEGIN_DECLS

typedef struct {
  guint command_timeout_ms;   /* how long OpenOCD may take to answer */
  guint connect_timeout_ms;
  guint max_waiting;          /* callers queued per endpoint before Busy */
  guint poll_interval_ms;     /* only for an OpenOCD refusing notifications */
  guint backoff_min_ms;
  guint backoff_max_ms;
} OodSettings;

void ood_settings_init_defaults (OodSettings *settings);

#define OOD_TYPE_ENDPOINT (ood_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (OodEndpoint, ood_endpoint, OOD, ENDPOINT, GObject)

OodEndpoint *ood_endpoint_new (GDBusObjectManagerServer *manager,
                                 const char               *name,
                                 const char               *address,
                                 const OodSettings       *settings);
void        ood_endpoint_start       (OodEndpoint *self);
void        ood_endpoint_stop        (OodEndpoint *self);
const char *ood_endpoint_get_name    (OodEndpoint *self);
const char *ood_endpoint_get_address (OodEndpoint *self);
const char *ood_endpoint_get_path    (OodEndpoint *self);
guint       ood_endpoint_get_timeout (OodEndpoint *self);

void                ood_endpoint_run_async   (OodEndpoint       *self,
                                               const char         *script,
                                               OodTclCallFlags     flags,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
OodTclTargetRecord *ood_endpoint_run_finish  (OodEndpoint *self,
                                               GAsyncResult *result,
                                               GError      **error);
void                ood_endpoint_call_async  (OodEndpoint       *self,
                                               const char         *script,
                                               OodTclCallFlags     flags,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
char               *ood_endpoint_call_finish (OodEndpoint *self,
                                               GAsyncResult *result,
                                               GError      **error);

G_END_DECLS
