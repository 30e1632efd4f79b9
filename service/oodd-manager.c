/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "openocd-dbusd"

#include "oodd-manager.h"

#include "oodd-config.h"

/*
 * The set of endpoints, exported under one ObjectManager at /org/openocd.
 * oodd_manager_load() (at start and on SIGHUP) makes the running endpoints
 * match the configuration: new ones start, removed ones stop, ones whose
 * address changed restart, and the others are not disturbed.
 */

struct _OoddManager {
  GObject                   parent_instance;

  GDBusObjectManagerServer *server;
  OoddSettings              settings;
  char                     *config_path;
  gboolean                  config_required;
  char                     *default_address;   /* --openocd, or NULL */
  GHashTable               *endpoints;         /* name → OoddEndpoint */
};

G_DEFINE_FINAL_TYPE (OoddManager, oodd_manager, G_TYPE_OBJECT)

static void
add_config (GPtrArray *configs, const char *name, const char *address)
{
  OoddEndpointConfig *config = g_new0 (OoddEndpointConfig, 1);

  config->name = g_strdup (name);
  config->address = g_strdup (address);
  g_ptr_array_add (configs, config);
}

/* The wanted endpoints: the file's; --openocd sets "default"; with
 * neither, "default" at OpenOCD's usual address. */
static GPtrArray *
wanted_endpoints (OoddManager *self, GError **error)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) configs = NULL;

  configs = oodd_config_load (self->config_path, warnings, &local);
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
    configs = g_ptr_array_new_with_free_func ((GDestroyNotify) oodd_endpoint_config_free);
  if (self->default_address != NULL)
    {
      for (guint i = 0; i < configs->len; i++)
        if (g_str_equal (((OoddEndpointConfig *) configs->pdata[i])->name, OODD_DEFAULT_ENDPOINT))
          g_ptr_array_remove_index (configs, i--);
      add_config (configs, OODD_DEFAULT_ENDPOINT, self->default_address);
    }
  else if (configs->len == 0)
    add_config (configs, OODD_DEFAULT_ENDPOINT, OODD_DEFAULT_ADDRESS);
  return g_steal_pointer (&configs);
}

static OoddEndpointConfig *
find_config (GPtrArray *configs, const char *name)
{
  for (guint i = 0; i < configs->len; i++)
    if (g_str_equal (((OoddEndpointConfig *) configs->pdata[i])->name, name))
      return configs->pdata[i];
  return NULL;
}

static void
stop_unwanted (OoddManager *self, GPtrArray *configs)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->endpoints);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OoddEndpoint *endpoint = value;
      OoddEndpointConfig *config = find_config (configs, oodd_endpoint_get_name (endpoint));

      if (config != NULL && g_str_equal (config->address, oodd_endpoint_get_address (endpoint)))
        continue;
      g_message ("endpoint %s (%s) removed", oodd_endpoint_get_name (endpoint),
                 oodd_endpoint_get_address (endpoint));
      oodd_endpoint_stop (endpoint);
      g_hash_table_iter_remove (&iter);
    }
}

static void
start_wanted (OoddManager *self, GPtrArray *configs)
{
  for (guint i = 0; i < configs->len; i++)
    {
      OoddEndpointConfig *config = configs->pdata[i];
      OoddEndpoint *endpoint;

      if (g_hash_table_contains (self->endpoints, config->name))
        continue;
      g_message ("endpoint %s at %s", config->name, config->address);
      endpoint = oodd_endpoint_new (self->server, config->name, config->address, &self->settings);
      g_hash_table_insert (self->endpoints, g_strdup (config->name), endpoint);
      oodd_endpoint_start (endpoint);
    }
}

/**
 * oodd_manager_load:
 *
 * (Re)reads the configuration and applies it. A configuration file that
 * exists but cannot be read leaves the running endpoints as they are.
 *
 * Returns: %FALSE if the configuration could not be read
 */
gboolean
oodd_manager_load (OoddManager *self, GError **error)
{
  g_autoptr(GPtrArray) configs = wanted_endpoints (self, error);

  if (configs == NULL)
    return FALSE;
  stop_unwanted (self, configs);
  start_wanted (self, configs);
  return TRUE;
}

void
oodd_manager_stop (OoddManager *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->endpoints);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    oodd_endpoint_stop (value);
  g_hash_table_remove_all (self->endpoints);
}

static void
oodd_manager_dispose (GObject *object)
{
  OoddManager *self = OODD_MANAGER (object);

  if (self->endpoints != NULL)
    oodd_manager_stop (self);
  g_clear_pointer (&self->endpoints, g_hash_table_unref);
  if (self->server != NULL)
    g_dbus_object_manager_server_set_connection (self->server, NULL);
  g_clear_object (&self->server);
  G_OBJECT_CLASS (oodd_manager_parent_class)->dispose (object);
}

static void
oodd_manager_finalize (GObject *object)
{
  OoddManager *self = OODD_MANAGER (object);

  g_free (self->config_path);
  g_free (self->default_address);
  G_OBJECT_CLASS (oodd_manager_parent_class)->finalize (object);
}

static void
oodd_manager_class_init (OoddManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = oodd_manager_dispose;
  G_OBJECT_CLASS (klass)->finalize = oodd_manager_finalize;
}

static void
oodd_manager_init (OoddManager *self)
{
  self->endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * oodd_manager_new:
 * @bus: where to export /org/openocd
 * @config_path: the endpoint configuration file
 * @config_required: whether a missing @config_path is an error
 * @default_address: (nullable): address of the "default" endpoint (--openocd)
 *
 * Returns: (transfer full): the manager, exported, with no endpoints until
 *   oodd_manager_load()
 */
OoddManager *
oodd_manager_new (GDBusConnection *bus, const OoddSettings *settings, const char *config_path,
                  gboolean config_required, const char *default_address)
{
  OoddManager *self = g_object_new (OODD_TYPE_MANAGER, NULL);

  self->settings = *settings;
  self->config_path = g_strdup (config_path);
  self->config_required = config_required;
  self->default_address = g_strdup (default_address);
  self->server = g_dbus_object_manager_server_new (OODD_OBJECT_ROOT);
  g_dbus_object_manager_server_set_connection (self->server, bus);
  return self;
}
