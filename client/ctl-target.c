/* SPDX-License-Identifier: MIT */
/* Connecting to the service and finding targets and endpoints. */
#include "openocdctl.h"

#define OOD_MANAGER_PATH "/org/openocd"

static GDBusConnection *
open_bus (CtlContext *ctx, GError **error)
{
  GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;
  GDBusConnection *bus;

  if (ctx->bus == CTL_BUS_ADDRESS)
    bus = g_dbus_connection_new_for_address_sync (ctx->address, flags, NULL, NULL, error);
  else
    bus = g_bus_get_sync (ctx->bus == CTL_BUS_SESSION ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                          NULL, error);
  if (bus == NULL)
    g_prefix_error (error, "cannot connect to the bus: ");
  else
    /* a bus that closes the connection fails the calls left; it does not
     * end openocdctl with SIGTERM (g_bus_get's default), which would lose
     * its exit status */
    g_dbus_connection_set_exit_on_close (bus, FALSE);
  return bus;
}

static void
set_not_running (GError **error)
{
  g_set_error (error, CTL_ERROR, CTL_ERROR_NOT_RUNNING,
               "the openocd-dbus service is not running (nobody owns %s on this bus)",
               CTL_BUS_NAME);
}

/*
 * Inside "openocdctl lease" (or anything given its $OPENOCDCTL_LEASE,
 * "LEASE-PATH TOKEN"): joins that lease on this connection, so that its
 * calls pass as the holder's do.
 */
static gboolean
join_lease (GDBusConnection *bus, GError **error)
{
  const char *lease = g_getenv ("OPENOCDCTL_LEASE");
  g_auto(GStrv) words = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local = NULL;

  if (lease == NULL || *lease == '\0')
    return TRUE;
  words = g_strsplit (lease, " ", 2);
  if (g_strv_length (words) != 2 || !g_variant_is_object_path (words[0]))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "OPENOCDCTL_LEASE is not \"LEASE-PATH TOKEN\" (as openocdctl lease sets it)");
      return FALSE;
    }
  reply = g_dbus_connection_call_sync (bus, CTL_BUS_NAME, words[0], CTL_IFACE_LEASE, "Join",
                                       g_variant_new ("(s)", words[1]), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, CTL_CALL_TIMEOUT_MS, NULL, &local);
  if (reply != NULL)
    return TRUE;
  if (g_error_matches (local, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (local, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                 "the lease of OPENOCDCTL_LEASE (%s) has ended", words[0]);
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/*
 * Creates ctx->manager, and joins the lease of $OPENOCDCTL_LEASE if set
 * (once the service runs). Unless @wait_for_service, the service is activated
 * if need be and its absence is an error.
 */
gboolean
ctl_connect (CtlContext *ctx, gboolean wait_for_service, GError **error)
{
  GDBusObjectManagerClientFlags flags = wait_for_service ?
    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START :
    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE;
  g_autoptr(GDBusConnection) bus = open_bus (ctx, error);
  g_autoptr(GError) local = NULL;
  g_autofree char *owner = NULL;

  if (bus == NULL)
    return FALSE;
  ctx->manager = ood_dbus_object_manager_client_new_sync (bus, flags, CTL_BUS_NAME,
                                                     OOD_MANAGER_PATH, NULL, &local);
  if (ctx->manager == NULL)
    {
      if (g_error_matches (local, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
          g_error_matches (local, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
        set_not_running (error);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctx->manager));
  if (owner != NULL && !join_lease (bus, error))
    {
      g_clear_object (&ctx->manager);
      return FALSE;
    }
  if (owner != NULL || wait_for_service)
    return TRUE;
  set_not_running (error);
  g_clear_object (&ctx->manager);
  return FALSE;
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  GDBusObject *oa = *(GDBusObject * const *) a;
  GDBusObject *ob = *(GDBusObject * const *) b;

  return g_strcmp0 (g_dbus_object_get_object_path (oa), g_dbus_object_get_object_path (ob));
}

/* The objects implementing @iface (CTL_IFACE_TARGET, …), by path. */
GPtrArray *
ctl_list_objects (CtlContext *ctx, const char *iface)
{
  GList *objects = g_dbus_object_manager_get_objects (ctx->manager);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(GDBusInterface) has = g_dbus_object_get_interface (l->data, iface);

      if (has != NULL)
        g_ptr_array_add (found, g_object_ref (l->data));
    }
  g_list_free_full (objects, g_object_unref);
  g_ptr_array_sort (found, compare_paths);
  return found;
}

char *
ctl_target_label (OodDbusTarget *target)
{
  return g_strdup_printf ("%s/%s", ood_dbus_target_get_endpoint (target), ood_dbus_target_get_name (target));
}

/* @spec is a target's Name, or ENDPOINT/NAME. */
gboolean
ctl_target_matches (OodDbusTarget *target, const char *spec)
{
  g_autofree char *label = ctl_target_label (target);

  return g_strcmp0 (ood_dbus_target_get_name (target), spec) == 0 || g_str_equal (label, spec);
}

static char *
join_labels (GPtrArray *objects)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < objects->len; i++)
    {
      g_autofree char *label = ctl_target_label (ood_dbus_object_peek_target (objects->pdata[i]));
      g_string_append_printf (text, "%s%s", i ? ", " : "", label);
    }
  return g_string_free (text, FALSE);
}

static void
set_lookup_error (CtlContext *ctx, GPtrArray *all, GPtrArray *hits, GError **error)
{
  g_autofree char *known = join_labels (hits->len ? hits : all);

  if (all->len == 0)
    g_set_error (error, CTL_ERROR, CTL_ERROR_NO_SUCH_TARGET, "the service publishes no targets");
  else if (hits->len == 0)
    g_set_error (error, CTL_ERROR, CTL_ERROR_NO_SUCH_TARGET,
                 "no target '%s'; known targets: %s", ctx->target, known);
  else if (ctx->target == NULL)
    g_set_error (error, CTL_ERROR, CTL_ERROR_AMBIGUOUS_TARGET,
                 "several targets; choose one with -t: %s", known);
  else
    g_set_error (error, CTL_ERROR, CTL_ERROR_AMBIGUOUS_TARGET,
                 "several targets match '%s'; choose one with -t ENDPOINT/NAME: %s",
                 ctx->target, known);
}

/* The target chosen by -t, or the only one. */
OodDbusObject *
ctl_find_target (CtlContext *ctx, GError **error)
{
  g_autoptr(GPtrArray) all = ctl_list_objects (ctx, CTL_IFACE_TARGET);
  g_autoptr(GPtrArray) hits = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++)
    {
      OodDbusTarget *target = ood_dbus_object_peek_target (all->pdata[i]);
      if (ctx->target == NULL || ctl_target_matches (target, ctx->target))
        g_ptr_array_add (hits, all->pdata[i]);
    }
  if (hits->len == 1)
    return g_object_ref (hits->pdata[0]);
  set_lookup_error (ctx, all, hits, error);
  return NULL;
}

static void
set_timeout (GDBusInterface *iface, gint timeout_ms)
{
  if (iface != NULL)
    g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (iface), timeout_ms);
}

/*
 * Connects and returns the chosen target's object, whose method calls
 * time out after @timeout_ms.
 */
OodDbusObject *
ctl_open_object (CtlContext *ctx, gint timeout_ms, GError **error)
{
  OodDbusObject *object = NULL;

  if (ctl_connect (ctx, FALSE, error))
    object = ctl_find_target (ctx, error);
  if (object == NULL)
    return NULL;
  set_timeout (G_DBUS_INTERFACE (ood_dbus_object_peek_target (object)), timeout_ms);
  set_timeout (G_DBUS_INTERFACE (ood_dbus_object_peek_breakpoints (object)), timeout_ms);
  set_timeout (G_DBUS_INTERFACE (ood_dbus_object_peek_registers (object)), timeout_ms);
  set_timeout (G_DBUS_INTERFACE (ood_dbus_object_peek_memory (object)), timeout_ms);
  set_timeout (G_DBUS_INTERFACE (ood_dbus_object_peek_flash (object)), timeout_ms);
  set_timeout (G_DBUS_INTERFACE (ood_dbus_object_peek_rtt (object)), timeout_ms);
  return object;
}

OodDbusTarget *
ctl_open_target (CtlContext *ctx, gint timeout_ms, GError **error)
{
  g_autoptr(OodDbusObject) object = ctl_open_object (ctx, timeout_ms, error);

  return object ? ood_dbus_object_get_target (object) : NULL;
}

/*
 * Connects and returns the interface @iface (CTL_IFACE_MEMORY, …) of the
 * chosen target, a proxy whose calls time out after CTL_CALL_TIMEOUT_MS,
 * or NULL and an error saying the target has none. @out_target: (optional)
 * the target's org.openocd.Target, which ctx->manager keeps (transfer none).
 */
gpointer
ctl_open_interface (CtlContext *ctx, const char *iface, OodDbusTarget **out_target, GError **error)
{
  g_autoptr(OodDbusObject) object = ctl_open_object (ctx, CTL_CALL_TIMEOUT_MS, error);
  GDBusInterface *found;

  if (object == NULL)
    return NULL;
  found = g_dbus_object_get_interface (G_DBUS_OBJECT (object), iface);
  if (found == NULL)
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED, "the target has no %s interface", iface);
      return NULL;
    }
  if (out_target != NULL)
    *out_target = ood_dbus_object_peek_target (object);
  return found;
}

static char *
join_endpoint_names (GPtrArray *objects)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < objects->len; i++)
    g_string_append_printf (text, "%s%s", i ? ", " : "",
                            ood_dbus_endpoint_get_name (ood_dbus_object_peek_endpoint (objects->pdata[i])));
  return g_string_free (text, FALSE);
}

/*
 * Connects and returns the endpoint whose Name is @name, looked up among
 * the ObjectManager's objects; its method calls time out after @timeout_ms.
 */
OodDbusEndpoint *
ctl_open_endpoint (CtlContext *ctx, const char *name, gint timeout_ms, GError **error)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autofree char *known = NULL;

  if (!ctl_connect (ctx, FALSE, error))
    return NULL;
  all = ctl_list_objects (ctx, CTL_IFACE_ENDPOINT);
  for (guint i = 0; i < all->len; i++)
    {
      OodDbusEndpoint *endpoint = ood_dbus_object_peek_endpoint (all->pdata[i]);

      if (g_strcmp0 (ood_dbus_endpoint_get_name (endpoint), name) == 0)
        {
          set_timeout (G_DBUS_INTERFACE (endpoint), timeout_ms);
          return g_object_ref (endpoint);
        }
    }
  known = join_endpoint_names (all);
  g_set_error (error, CTL_ERROR, CTL_ERROR_NO_SUCH_ENDPOINT, "no endpoint '%s'; known endpoints: %s",
               name, all->len ? known : "none");
  return NULL;
}

/*
 * Connects and returns org.openocd.Manager at /org/openocd, whose method
 * calls time out after @timeout_ms. It is not among the ObjectManager's
 * objects (it is the ObjectManager's own path): a proxy of its own.
 */
OodDbusManager *
ctl_open_manager (CtlContext *ctx, gint timeout_ms, GError **error)
{
  GDBusConnection *bus;
  OodDbusManager *manager;

  if (!ctl_connect (ctx, FALSE, error))
    return NULL;
  bus = g_dbus_object_manager_client_get_connection (G_DBUS_OBJECT_MANAGER_CLIENT (ctx->manager));
  manager = ood_dbus_manager_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                                  G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                             CTL_BUS_NAME, OOD_MANAGER_PATH, NULL, error);
  if (manager != NULL)
    set_timeout (G_DBUS_INTERFACE (manager), timeout_ms);
  return manager;
}
