/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-manager"

#include "ood-manager.h"

#include "ood-config.h"
#include "ood-endpoint.h"

/*
 * The set of endpoints, exported under one ObjectManager at /org/openocd.
 * ood_manager_load() (at start and on SIGHUP) makes the running endpoints
 * match the configuration: new ones start, removed ones stop, ones whose
 * address changed restart, and the others are not disturbed.
 */

struct _OodManager {
  GObject                   parent_instance;

  GDBusObjectManagerServer *server;
  OodSettings              settings;
  char                     *config_path;
  gboolean                  config_required;
  char                     *default_address;   /* --openocd, or NULL */
  GHashTable               *endpoints;         /* name → OodEndpoint */
};

G_DEFINE_FINAL_TYPE (OodManager, ood_manager, G_TYPE_OBJECT)

static void
add_config (GPtrArray *configs, const char *name, const char *address)
{
  OodEndpointConfig *config = g_new0 (OodEndpointConfig, 1);

  config->name = g_strdup (name);
  config->address = g_strdup (address);
  g_ptr_array_add (configs, config);
}

/* The wanted endpoints: the file's; --openocd sets "default"; with
 * neither, "default" at OpenOCD's usual address. */
static GPtrArray *
wanted_endpoints (OodManager *self, GError **error)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) configs = NULL;

  configs = ood_config_load (self->config_path, warnings, &local);
  if (configs == NULL && (self->config_required ||
                          !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "cannot read %s: ",
                                  self->config_path);
      return NULL;
    }
  for (guint i = 0; i < warnings->len; i++)
    g_warning ("%s", (const char *) warnings->pdata[i]);
  if (configs == NULL)
    configs = g_ptr_array_new_with_free_func ((GDestroyNotify) ood_endpoint_config_free);
  if (self->default_address != NULL)
    {
      for (guint i = 0; i < configs->len; i++)
        if (g_str_equal (((OodEndpointConfig *) configs->pdata[i])->name, OOD_DEFAULT_ENDPOINT))
          g_ptr_array_remove_index (configs, i--);
      add_config (configs, OOD_DEFAULT_ENDPOINT, self->default_address);
    }
  else if (configs->len == 0)
    add_config (configs, OOD_DEFAULT_ENDPOINT, OOD_DEFAULT_ADDRESS);
  return g_steal_pointer (&configs);
}

static OodEndpointConfig *
find_config (GPtrArray *configs, const char *name)
{
  for (guint i = 0; i < configs->len; i++)
    if (g_str_equal (((OodEndpointConfig *) configs->pdata[i])->name, name))
      return configs->pdata[i];
  return NULL;
}

static void
stop_unwanted (OodManager *self, GPtrArray *configs)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->endpoints);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OodEndpoint *endpoint = value;
      OodEndpointConfig *config = find_config (configs, ood_endpoint_get_name (endpoint));

      if (config != NULL && g_str_equal (config->address, ood_endpoint_get_address (endpoint)))
        continue;
      g_message ("endpoint %s (%s) removed", ood_endpoint_get_name (endpoint),
                 ood_endpoint_get_address (endpoint));
      ood_endpoint_stop (endpoint);
      g_hash_table_iter_remove (&iter);
    }
}

static void
start_wanted (OodManager *self, GPtrArray *configs)
{
  for (guint i = 0; i < configs->len; i++)
    {
      OodEndpointConfig *config = configs->pdata[i];
      OodEndpoint *endpoint;

      if (g_hash_table_contains (self->endpoints, config->name))
        continue;
      g_message ("endpoint %s at %s", config->name, config->address);
      endpoint = ood_endpoint_new (self->server, config->name, config->address, &self->settings);
      g_hash_table_insert (self->endpoints, g_strdup (config->name), endpoint);
      ood_endpoint_start (endpoint);
    }
}

/**
 * ood_manager_load:
 *
 * (Re)reads the configuration and applies it. A configuration file that
 * exists but cannot be read leaves the running endpoints as they are.
 *
 * Returns: %FALSE if the configuration could not be read
 */
gboolean
ood_manager_load (OodManager *self, GError **error)
{
  g_autoptr(GPtrArray) configs = wanted_endpoints (self, error);

  if (configs == NULL)
    return FALSE;
  stop_unwanted (self, configs);
  start_wanted (self, configs);
  return TRUE;
}

void
ood_manager_stop (OodManager *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->endpoints);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ood_endpoint_stop (value);
  g_hash_table_remove_all (self->endpoints);
}

/* The ObjectManager at /org/openocd, under which everything is exported. */
GDBusObjectManagerServer *
ood_manager_get_server (OodManager *self)
{
  return self->server;
}

static void
ood_manager_dispose (GObject *object)
{
  OodManager *self = OOD_MANAGER (object);

  if (self->endpoints != NULL)
    ood_manager_stop (self);
  g_clear_pointer (&self->endpoints, g_hash_table_unref);
  if (self->server != NULL)
    g_dbus_object_manager_server_set_connection (self->server, NULL);
  g_clear_object (&self->server);
  G_OBJECT_CLASS (ood_manager_parent_class)->dispose (object);
}

static void
ood_manager_finalize (GObject *object)
{
  OodManager *self = OOD_MANAGER (object);

  g_free (self->config_path);
  g_free (self->default_address);
  G_OBJECT_CLASS (ood_manager_parent_class)->finalize (object);
}

static void
ood_manager_class_init (OodManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ood_manager_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_manager_finalize;
}

static void
ood_manager_init (OodManager *self)
{
  self->endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * ood_manager_new:
 * @bus: where to export /org/openocd
 * @config_path: the endpoint configuration file
 * @config_required: whether a missing @config_path is an error
 * @default_address: (nullable): address of the "default" endpoint (--openocd)
 *
 * Returns: (transfer full): the manager, exported, with no endpoints until
 *   ood_manager_load()
 */
OodManager *
ood_manager_new (GDBusConnection *bus, const OodSettings *settings, const char *config_path,
                  gboolean config_required, const char *default_address)
{
  OodManager *self = g_object_new (OOD_TYPE_MANAGER, NULL);

  self->settings = *settings;
  self->config_path = g_strdup (config_path);
  self->config_required = config_required;
  self->default_address = g_strdup (default_address);
  self->server = g_dbus_object_manager_server_new (OOD_OBJECT_ROOT);
  g_dbus_object_manager_server_set_connection (self->server, bus);
  return self;
}
