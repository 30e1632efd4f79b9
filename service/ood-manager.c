/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-manager"

#include "ood-manager.h"

#include "ood-config.h"
#include "ood-endpoint.h"

/*
 * The set of endpoints, exported under one ObjectManager at /org/openocd.
 * ood_manager_load() (at start) and ood_manager_reload() (on SIGHUP) make
 * the running endpoints match the configuration: new ones start, removed ones stop, ones whose
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
  gboolean                  reloading;         /* a reload is reading the file */
  gboolean                  reload_again;      /* SIGHUP came during it */
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
 * neither, "default" at OpenOCD's usual address. @configs is what the
 * file gave, or %NULL with @read_error. On a reload, a file that cannot
 * be read or holds no endpoint is an error: the running set is kept. */
static GPtrArray *
wanted_endpoints (OodManager *self, GPtrArray *configs, GPtrArray *warnings,
                  const GError *read_error, gboolean reloading, GError **error)
{
  gboolean file_read = configs != NULL;

  for (guint i = 0; i < warnings->len; i++)
    g_warning ("%s", (const char *) warnings->pdata[i]);
  if (configs == NULL && (self->config_required ||
                          !g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)))
    {
      g_propagate_error (error, g_error_copy (read_error));
      return NULL;
    }
  configs = configs != NULL ? g_ptr_array_ref (configs)
                            : g_ptr_array_new_with_free_func ((GDestroyNotify) ood_endpoint_config_free);
  if (self->default_address != NULL)
    {
      for (guint i = 0; i < configs->len; i++)
        if (g_str_equal (((OodEndpointConfig *) configs->pdata[i])->name, OOD_DEFAULT_ENDPOINT))
          g_ptr_array_remove_index (configs, i--);
      add_config (configs, OOD_DEFAULT_ENDPOINT, self->default_address);
    }
  else if (configs->len == 0 && file_read && reloading)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s holds no valid endpoint",
                   self->config_path);
      g_ptr_array_unref (configs);
      return NULL;
    }
  else if (configs->len == 0)
    {
      if (file_read)
        g_warning ("%s holds no valid endpoint; serving \"%s\" at %s", self->config_path,
                   OOD_DEFAULT_ENDPOINT, OOD_DEFAULT_ADDRESS);
      add_config (configs, OOD_DEFAULT_ENDPOINT, OOD_DEFAULT_ADDRESS);
    }
  return configs;
}

/* The endpoints of @config that this manager runs: those with an
 * Address. Exec= endpoints and [Probe] rules are read but not run yet. */
static GPtrArray *
address_endpoints (OodConfig *config)
{
  if (config == NULL)
    return NULL;
  for (guint i = 0; i < config->endpoints->len; i++)
    {
      OodEndpointConfig *endpoint = config->endpoints->pdata[i];

      if (endpoint->address != NULL)
        continue;
      g_warning ("endpoint %s: Exec= is not run yet; ignored", endpoint->name);
      g_ptr_array_remove_index (config->endpoints, i--);
    }
  return config->endpoints;
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

      if (config != NULL && g_str_equal (config->address, ood_endpoint_get_address (endpoint)) &&
          g_strcmp0 (config->shared_dir, ood_endpoint_get_shared_dir (endpoint)) == 0)
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
      ood_endpoint_set_shared_dir (endpoint, config->shared_dir);
      g_hash_table_insert (self->endpoints, g_strdup (config->name), endpoint);
      ood_endpoint_start (endpoint);
    }
}

static void
apply (OodManager *self, GPtrArray *configs)
{
  stop_unwanted (self, configs);
  start_wanted (self, configs);
}

/**
 * ood_manager_load:
 *
 * Reads the configuration and applies it, synchronously: for start-up,
 * before the main loop runs (ood_config_read() never blocks on a FIFO or
 * a device, only perhaps on a slow file system).
 *
 * Returns: %FALSE if the configuration could not be read
 */
gboolean
ood_manager_load (OodManager *self, GError **error)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  g_autoptr(OodConfig) loaded = ood_config_load (self->config_path, warnings, &local);
  g_autoptr(GPtrArray) configs = wanted_endpoints (self, address_endpoints (loaded), warnings, local,
                                                   FALSE, error);

  if (configs == NULL)
    return FALSE;
  apply (self, configs);
  return TRUE;
}

static void
on_reloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(OodManager) self = g_weak_ref_get (weak);
  g_autoptr(GPtrArray) warnings = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OodConfig) loaded = ood_config_load_finish (result, &warnings, &local);
  g_autoptr(GPtrArray) configs = NULL;

  (void) source;
  g_weak_ref_clear (weak);
  g_free (weak);
  if (self == NULL)
    return;
  self->reloading = FALSE;
  if (warnings == NULL)
    warnings = g_ptr_array_new_with_free_func (g_free);
  configs = wanted_endpoints (self, address_endpoints (loaded), warnings, local, TRUE, &error);
  if (configs == NULL)
    g_warning ("%s; keeping the running endpoints as they are (%u)", error->message,
               g_hash_table_size (self->endpoints));
  else
    apply (self, configs);
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      ood_manager_reload (self);
    }
}

/**
 * ood_manager_reload:
 *
 * Re-reads the configuration (SIGHUP) in a worker thread and applies it
 * on this thread's main context, so that nothing blocks the bus. A file
 * that cannot be read, or that holds no valid endpoint, leaves the
 * running endpoints as they are, with a warning that says why. A reload
 * asked for while one reads runs once more after it.
 */
void
ood_manager_reload (OodManager *self)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  if (self->reloading)
    {
      self->reload_again = TRUE;
      g_free (weak);
      return;
    }
  self->reloading = TRUE;
  g_weak_ref_init (weak, self);
  ood_config_load_async (self->config_path, NULL, on_reloaded, weak);
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
