/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-manager"

#include "ood-manager.h"

#include <string.h>

#include "ood-call.h"
#include "ood-config.h"
#include "ood-endpoint.h"
#include "ood-error.h"
#include "ood-probe-set.h"
#include "ood-reply.h"

/*
 * The set of endpoints, exported under one ObjectManager at /org/openocd,
 * and org.openocd.Manager at that same path. ood_manager_load() (at
 * start) and ood_manager_reload() (on SIGHUP) make the endpoints of the
 * configuration match it: new ones start, removed ones stop, ones whose
 * group changed restart, and the others are not disturbed. Endpoints
 * added over the bus (AddEndpoint) are the bus's: a reload leaves them
 * alone, and a group of the file with the same name waits until they go.
 */

struct _OodManager {
  OodDbusManagerSkeleton    parent_instance;

  GDBusObjectManagerServer *server;
  OodSettings              settings;
  char                     *config_path;
  gboolean                  config_required;
  char                     *default_address;   /* --openocd, or NULL */
  GHashTable               *endpoints;         /* name → OodEndpoint */
  GPtrArray                *configs;           /* (element-type OodEndpointConfig) last applied */
  OodProbeSet              *probes;            /* (nullable): without a USB watcher */
  gboolean                  reloading;         /* a reload is reading the file */
  gboolean                  reload_again;      /* SIGHUP came during it */
};

static void ood_manager_iface_init (OodDbusManagerIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OodManager, ood_manager, OOD_DBUS_TYPE_MANAGER_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_MANAGER, ood_manager_iface_init))

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

static GPtrArray *
endpoints_of (OodConfig *config)
{
  return config != NULL ? config->endpoints : NULL;
}

static OodEndpointConfig *
find_config (GPtrArray *configs, const char *name)
{
  for (guint i = 0; i < configs->len; i++)
    if (g_str_equal (((OodEndpointConfig *) configs->pdata[i])->name, name))
      return configs->pdata[i];
  return NULL;
}

/* Names whose object path holds something else. */
static gboolean
is_reserved (const char *name)
{
  return g_str_equal (name, "probes") || g_str_equal (name, "jobs") || g_str_equal (name, "leases");
}

/* Whether the configuration file (or the command line) made @endpoint. */
static gboolean
is_configured (OodEndpoint *endpoint)
{
  const char *origin = ood_endpoint_get_origin (endpoint);

  return g_str_equal (origin, OOD_ORIGIN_CONFIG) || g_str_equal (origin, OOD_ORIGIN_COMMAND_LINE);
}

static void
describe (const OodEndpointConfig *config, GString *out)
{
  g_autofree char *line = NULL;

  if (config->address != NULL)
    {
      g_string_append_printf (out, "at %s", config->address);
      return;
    }
  line = g_strjoinv (" ", config->exec_argv);
  g_string_append_printf (out, "running %s", line);
}

static void
start_endpoint (OodManager *self, const OodEndpointConfig *config, const char *origin)
{
  g_autoptr(GString) what = g_string_new (NULL);
  OodEndpoint *endpoint = ood_endpoint_new (self->server, config, origin, &self->settings);

  describe (config, what);
  g_message ("endpoint %s %s", config->name, what->str);
  g_hash_table_insert (self->endpoints, g_strdup (config->name), endpoint);
  ood_endpoint_start (endpoint);
}

static void
stop_endpoint (OodManager *self, OodEndpoint *endpoint)
{
  g_message ("endpoint %s removed", ood_endpoint_get_name (endpoint));
  ood_endpoint_stop (endpoint);
  (void) self;
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

      if (!is_configured (endpoint) ||
          (config != NULL && ood_endpoint_is_configured_as (endpoint, config)))
        continue;
      stop_endpoint (self, endpoint);
      g_hash_table_iter_remove (&iter);
    }
}

static void
start_wanted (OodManager *self, GPtrArray *configs)
{
  for (guint i = 0; i < configs->len; i++)
    {
      OodEndpointConfig *config = configs->pdata[i];
      OodEndpoint *running = g_hash_table_lookup (self->endpoints, config->name);

      if (is_reserved (config->name))
        g_warning ("endpoint %s of %s is ignored: /org/openocd/%s holds the %s", config->name,
                   self->config_path, config->name, config->name);
      else if (running != NULL && !is_configured (running))
        g_warning ("endpoint %s of %s is ignored while the endpoint of that name added %s exists",
                   config->name, self->config_path,
                   g_str_equal (ood_endpoint_get_origin (running), OOD_ORIGIN_BUS)
                     ? "over the bus" : "for a probe");
      else if (running == NULL)
        start_endpoint (self, config,
                        self->default_address != NULL &&
                        g_str_equal (config->name, OOD_DEFAULT_ENDPOINT)
                          ? OOD_ORIGIN_COMMAND_LINE : OOD_ORIGIN_CONFIG);
    }
}

/* @configs: the wanted endpoints; @rules: (nullable) the [Probe] groups */
static void
apply (OodManager *self, GPtrArray *configs, GPtrArray *rules)
{
  stop_unwanted (self, configs);
  start_wanted (self, configs);
  g_clear_pointer (&self->configs, g_ptr_array_unref);
  self->configs = g_ptr_array_ref (configs);
  if (self->probes == NULL)
    return;
  ood_probe_set_set_rules (self->probes, rules);
  ood_probe_set_start (self->probes);
}

static GPtrArray *
rules_of (OodConfig *config)
{
  return config != NULL ? config->probe_rules : NULL;
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
  g_autoptr(GPtrArray) configs = wanted_endpoints (self, endpoints_of (loaded), warnings, local,
                                                   FALSE, error);

  if (configs == NULL)
    return FALSE;
  apply (self, configs, rules_of (loaded));
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
  configs = wanted_endpoints (self, endpoints_of (loaded), warnings, local, TRUE, &error);
  if (configs == NULL)
    g_warning ("%s; keeping the running endpoints as they are (%u)", error->message,
               g_hash_table_size (self->endpoints));
  else
    apply (self, configs, rules_of (loaded));
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

/* ---- probes -------------------------------------------------------------- */

/* A plugged-in probe's [Probe] rule wants an endpoint for it. */
static void
on_endpoint_wanted (OodProbeSet *probes, const char *probe_id, OodEndpointConfig *config,
                    gpointer user_data)
{
  OodManager *self = user_data;
  OodEndpoint *endpoint;

  if (is_reserved (config->name) || g_hash_table_contains (self->endpoints, config->name))
    {
      g_warning ("probe %s: no endpoint, the name %s is taken", probe_id, config->name);
      ood_probe_set_bind (probes, probe_id, NULL);
      return;
    }
  start_endpoint (self, config, OOD_ORIGIN_PROBE);
  endpoint = g_hash_table_lookup (self->endpoints, config->name);
  ood_probe_set_bind (probes, probe_id, ood_endpoint_get_path (endpoint));
}

/* The probe was unplugged, or its rule changed. */
static void
on_endpoint_unwanted (OodProbeSet *probes, const char *probe_id, const char *name,
                      gpointer user_data)
{
  OodManager *self = user_data;
  OodEndpoint *endpoint = g_hash_table_lookup (self->endpoints, name);

  ood_probe_set_bind (probes, probe_id, NULL);
  if (endpoint == NULL || !g_str_equal (ood_endpoint_get_origin (endpoint), OOD_ORIGIN_PROBE))
    return;
  stop_endpoint (self, endpoint);
  g_hash_table_remove (self->endpoints, name);
  /* a group of the file that waited for the name */
  if (self->configs != NULL)
    start_wanted (self, self->configs);
}

/* ---- org.openocd.Manager ------------------------------------------------ */

#define MAX_NAME 64

/* A name given over the bus: a few plain characters, so that it is an
 * object path element as it is, and not the probes' folder. */
static gboolean
check_name (const char *name, GError **error)
{
  gsize length = strlen (name);

  if (length == 0 || length > MAX_NAME ||
      strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != length)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                 "an endpoint name is 1 to %u of A-Z a-z 0-9 _ . -", MAX_NAME);
  else if (is_reserved (name))
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                 "/org/openocd/%s holds the %s: choose another name", name, name);
  else
    return TRUE;
  return FALSE;
}

/* Exec as one string, split as the configuration file splits it, or as
 * the words themselves. */
static gboolean
take_exec (OodEndpointConfig *config, GVariant *value, GError **error)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      if (g_shell_parse_argv (g_variant_get_string (value, NULL), NULL, &config->exec_argv, NULL))
        return TRUE;
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY))
    {
      config->exec_argv = g_variant_dup_strv (value, NULL);
      if (config->exec_argv[0] != NULL && config->exec_argv[0][0] != '\0')
        return TRUE;
    }
  g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       "Exec is an OpenOCD command line (s) or its words (as), not empty");
  return FALSE;
}

static gboolean
take_setting (OodEndpointConfig *config, const char *key, GVariant *value, GError **error)
{
  gboolean is_string = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING);
  const char *text = is_string ? g_variant_get_string (value, NULL) : NULL;

  if (g_str_equal (key, "Exec"))
    return take_exec (config, value, error);
  if (g_str_equal (key, "Address") && is_string)
    {
      if (!ood_config_check_address (text, error))
        {
          (*error)->domain = G_DBUS_ERROR;
          (*error)->code = G_DBUS_ERROR_INVALID_ARGS;
          return FALSE;
        }
      config->address = g_strdup (text);
      return TRUE;
    }
  if (g_str_equal (key, "SharedDirectory") && is_string && g_path_is_absolute (text))
    {
      config->shared_dir = g_strdup (text);
      return TRUE;
    }
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
               g_str_equal (key, "Address") || g_str_equal (key, "SharedDirectory")
                 ? "%s has the wrong type or value" : "unknown setting %s "
                   "(Address, Exec and SharedDirectory are known)", key);
  return FALSE;
}

/* The configuration that @settings describe, as a group of the file would. */
static OodEndpointConfig *
config_from_settings (const char *name, GVariant *settings, GError **error)
{
  g_autoptr(OodEndpointConfig) config = g_new0 (OodEndpointConfig, 1);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  config->name = g_strdup (name);
  g_variant_iter_init (&iter, settings);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (!take_setting (config, key, value, error))
        return NULL;
    }
  if ((config->address == NULL) == (config->exec_argv == NULL))
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           "give exactly one of Address and Exec");
      return NULL;
    }
  return g_steal_pointer (&config);
}

static gboolean
handle_add_endpoint (OodDbusManager *iface, GDBusMethodInvocation *invocation, const char *name,
                     GVariant *settings)
{
  OodManager *self = OOD_MANAGER (iface);
  g_autoptr(OodEndpointConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  OodEndpoint *endpoint;

  if (check_name (name, &error))
    config = config_from_settings (name, settings, &error);
  if (config != NULL && g_hash_table_contains (self->endpoints, name))
    g_set_error (&error, OOD_ERROR, OOD_ERROR_EXISTS, "an endpoint named %s exists", name);
  if (error != NULL)
    {
      ood_reply_error (invocation, error);
      return TRUE;
    }
  g_assert (config != NULL); /* no config came with an error */
  start_endpoint (self, config, OOD_ORIGIN_BUS);
  endpoint = g_hash_table_lookup (self->endpoints, name);
  ood_dbus_manager_complete_add_endpoint (iface, invocation, ood_endpoint_get_path (endpoint));
  return TRUE;
}

static gboolean
handle_remove_endpoint (OodDbusManager *iface, GDBusMethodInvocation *invocation,
                        const char *name)
{
  OodManager *self = OOD_MANAGER (iface);
  OodEndpoint *endpoint = g_hash_table_lookup (self->endpoints, name);
  g_autoptr(GError) error = NULL;

  if (endpoint == NULL)
    g_set_error (&error, OOD_ERROR, OOD_ERROR_NOT_FOUND, "no endpoint named %s", name);
  else if (!g_str_equal (ood_endpoint_get_origin (endpoint), OOD_ORIGIN_BUS))
    g_set_error (&error, OOD_ERROR, OOD_ERROR_NOT_SUPPORTED,
                 "endpoint %s was not added with AddEndpoint (its origin is %s)", name,
                 ood_endpoint_get_origin (endpoint));
  else
    /* another caller's lease keeps the endpoint */
    ood_lock_check (ood_endpoint_get_lock (endpoint),
                    g_dbus_method_invocation_get_sender (invocation), &error);
  if (error != NULL)
    {
      ood_reply_error (invocation, error);
      return TRUE;
    }
  stop_endpoint (self, endpoint);
  g_hash_table_remove (self->endpoints, name);
  ood_dbus_manager_complete_remove_endpoint (iface, invocation);
  /* a group of the file that waited for the name */
  if (self->configs != NULL)
    start_wanted (self, self->configs);
  return TRUE;
}

static gboolean
handle_find_target (OodDbusManager *iface, GDBusMethodInvocation *invocation,
                    const char *endpoint_name, const char *target)
{
  OodManager *self = OOD_MANAGER (iface);
  OodEndpoint *endpoint = g_hash_table_lookup (self->endpoints, endpoint_name);
  const char *path = endpoint != NULL ? ood_endpoint_lookup_target (endpoint, target) : NULL;
  g_autoptr(GError) error = NULL;

  if (path != NULL)
    {
      ood_dbus_manager_complete_find_target (iface, invocation, path);
      return TRUE;
    }
  if (endpoint == NULL)
    error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_FOUND, "no endpoint named %s", endpoint_name);
  else
    error = g_error_new (OOD_ERROR, OOD_ERROR_NOT_FOUND, "endpoint %s has no target named %s now",
                         endpoint_name, target);
  ood_reply_error (invocation, error);
  return TRUE;
}

static void
ood_manager_iface_init (OodDbusManagerIface *iface)
{
  iface->handle_add_endpoint = handle_add_endpoint;
  iface->handle_remove_endpoint = handle_remove_endpoint;
  iface->handle_find_target = handle_find_target;
}

/* ---- life cycle --------------------------------------------------------- */

void
ood_manager_stop (OodManager *self)
{
  if (self->probes != NULL)
    ood_probe_set_stop (self->probes);
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
  g_clear_pointer (&self->configs, g_ptr_array_unref);
  g_clear_object (&self->probes);
  if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self));
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
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
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
 * @watcher: (nullable): where plugged-in probes come from; none are
 *   published without it (tests of other parts)
 *
 * Returns: (transfer full): the manager, exported, with no endpoints until
 *   ood_manager_load()
 */
OodManager *
ood_manager_new (GDBusConnection *bus, const OodSettings *settings, const char *config_path,
                  gboolean config_required, const char *default_address, OodUsbWatcher *watcher)
{
  OodManager *self = g_object_new (OOD_TYPE_MANAGER, NULL);
  g_autoptr(GError) error = NULL;

  self->settings = *settings;
  self->config_path = g_strdup (config_path);
  self->config_required = config_required;
  self->default_address = g_strdup (default_address);
  self->server = g_dbus_object_manager_server_new (OOD_OBJECT_ROOT);
  g_dbus_object_manager_server_set_connection (self->server, bus);
  if (watcher != NULL)
    {
      self->probes = ood_probe_set_new (self->server, watcher);
      g_signal_connect (self->probes, "endpoint-wanted", G_CALLBACK (on_endpoint_wanted), self);
      g_signal_connect (self->probes, "endpoint-unwanted", G_CALLBACK (on_endpoint_unwanted),
                        self);
    }
  ood_call_attach (G_DBUS_INTERFACE_SKELETON (self), settings->door, NULL);
  /* beside the ObjectManager, which cannot export an object at its own path */
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self), bus, OOD_OBJECT_ROOT,
                                         &error))
    g_warning ("cannot export org.openocd.Manager: %s", error->message);
  return self;
}
