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
} OoddSettings;

void oodd_settings_init_defaults (OoddSettings *settings);

#define OODD_TYPE_ENDPOINT (oodd_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (OoddEndpoint, oodd_endpoint, OODD, ENDPOINT, GObject)

OoddEndpoint *oodd_endpoint_new (GDBusObjectManagerServer *manager,
                                 const char               *name,
                                 const char               *address,
                                 const OoddSettings       *settings);
void        oodd_endpoint_start       (OoddEndpoint *self);
void        oodd_endpoint_stop        (OoddEndpoint *self);
const char *oodd_endpoint_get_name    (OoddEndpoint *self);
const char *oodd_endpoint_get_address (OoddEndpoint *self);
const char *oodd_endpoint_get_path    (OoddEndpoint *self);
guint       oodd_endpoint_get_timeout (OoddEndpoint *self);

void                oodd_endpoint_run_async   (OoddEndpoint       *self,
                                               const char         *script,
                                               OodTclCallFlags     flags,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
OodTclTargetRecord *oodd_endpoint_run_finish  (OoddEndpoint *self,
                                               GAsyncResult *result,
                                               GError      **error);
void                oodd_endpoint_call_async  (OoddEndpoint       *self,
                                               const char         *script,
                                               OodTclCallFlags     flags,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
char               *oodd_endpoint_call_finish (OoddEndpoint *self,
                                               GAsyncResult *result,
                                               GError      **error);

G_END_DECLS
