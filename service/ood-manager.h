/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

#include "ood-generated.h"
#include "ood-settings.h"
#include "ood-usb-watcher.h"

G_BEGIN_DECLS

#define OOD_OBJECT_ROOT "/org/openocd"
#define OOD_DEFAULT_ENDPOINT "default"
#define OOD_DEFAULT_ADDRESS "127.0.0.1:6666"

#define OOD_TYPE_MANAGER (ood_manager_get_type ())
G_DECLARE_FINAL_TYPE (OodManager, ood_manager, OOD, MANAGER, OodDbusManagerSkeleton)

OodManager *ood_manager_new    (GDBusConnection    *bus,
                                  const OodSettings *settings,
                                  const char         *config_path,
                                  gboolean            config_required,
                                  const char         *default_address,
                                  OodUsbWatcher      *watcher);
gboolean     ood_manager_load   (OodManager *self,
                                  GError     **error);
void         ood_manager_reload (OodManager *self);
void         ood_manager_stop   (OodManager *self);
GDBusObjectManagerServer *ood_manager_get_server (OodManager *self);

G_END_DECLS
