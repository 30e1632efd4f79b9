/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "oodd-endpoint.h"

G_BEGIN_DECLS

#define OODD_OBJECT_ROOT "/org/openocd"
#define OODD_DEFAULT_ENDPOINT "default"
#define OODD_DEFAULT_ADDRESS "127.0.0.1:6666"

#define OODD_TYPE_MANAGER (oodd_manager_get_type ())
G_DECLARE_FINAL_TYPE (OoddManager, oodd_manager, OODD, MANAGER, GObject)

OoddManager *oodd_manager_new    (GDBusConnection    *bus,
                                  const OoddSettings *settings,
                                  const char         *config_path,
                                  gboolean            config_required,
                                  const char         *default_address);
gboolean     oodd_manager_load   (OoddManager *self,
                                  GError     **error);
void         oodd_manager_stop   (OoddManager *self);

G_END_DECLS
