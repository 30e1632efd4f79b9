/* SPDX-License-Identifier: MIT */
/* What the service publishes, followed through its signals alone, each
 * timed as it is dispatched: the figures where the daemon runs its own
 * OpenOCDs measure up to "the target is published". See bench.h. */
#define G_LOG_DOMAIN "ood-bench"

#include "bench.h"

#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"

struct _Watch {
  GMainContext    *context;
  GDBusConnection *c;
  GHashTable      *seen;   /* object path → Seen */
  guint            ids[3];
  gboolean         timed_out;
};

static gboolean
is_real_state (const char *state)
{
  return state != NULL && !g_str_equal (state, "unknown");
}

/* @props of @iface, just published for @seen at @t; @added: in a new
 * object, whose State is a first one. */
static void
apply (Seen *seen, const char *iface, GVariant *props, gint64 t, gboolean added)
{
  const char *state;
  guint32 pid;
  gboolean connected;

  if (g_str_equal (iface, TARGET_IFACE) && g_variant_lookup (props, "State", "&s", &state))
    {
      if (!is_real_state (state) && g_strcmp0 (seen->state, state) != 0)
        seen->unknown_ns = t;
      else if (is_real_state (state) && (added || !is_real_state (seen->state)))
        seen->real_ns = t;
      g_free (seen->state);
      seen->state = g_strdup (state);
    }
  if (!g_str_equal (iface, ENDPOINT_IFACE))
    return;
  if (g_variant_lookup (props, "Pid", "u", &pid))
    {
      if (pid != 0 && pid != seen->pid)
        seen->pid_ns = t;
      seen->pid = pid;
    }
  if (g_variant_lookup (props, "Connected", "b", &connected))
    {
      if (connected && !seen->connected)
        seen->connected_ns = t;
      seen->connected = connected;
    }
}

static void
on_properties_changed (GDBusConnection *c, const char *sender, const char *path,
                       const char *iface, const char *member, GVariant *params, gpointer data)
{
  gint64 t = now_ns ();
  g_autoptr(GVariant) changed = NULL;
  const char *changed_iface;

  (void) c, (void) sender, (void) iface, (void) member;
  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (params, "(&s@a{sv}^a&s)", &changed_iface, &changed, NULL);
  apply (watch_seen (data, path), changed_iface, changed, t, FALSE);
}

static void
on_interfaces_added (GDBusConnection *c, const char *sender, const char *path,
                     const char *iface, const char *member, GVariant *params, gpointer data)
{
  gint64 t = now_ns ();
  g_autoptr(GVariantIter) ifaces = NULL;
  const char *object, *name;
  GVariant *props;
  Seen *seen;

  (void) c, (void) sender, (void) path, (void) iface, (void) member;
  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    return;
  g_variant_get (params, "(&oa{sa{sv}})", &object, &ifaces);
  seen = watch_seen (data, object);
  seen->added_ns = t;
  while (g_variant_iter_next (ifaces, "{&s@a{sv}}", &name, &props))
    {
      apply (seen, name, props, t, TRUE);
      g_variant_unref (props);
    }
}

static void
on_interfaces_removed (GDBusConnection *c, const char *sender, const char *path,
                       const char *iface, const char *member, GVariant *params, gpointer data)
{
  gint64 t = now_ns ();
  const char *object;
  Seen *seen;

  (void) c, (void) sender, (void) path, (void) iface, (void) member;
  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(oas)")))
    return;
  g_variant_get (params, "(&oas)", &object, NULL);
  seen = watch_seen (data, object);
  seen->removed_ns = t;
  seen->connected = FALSE;
  g_clear_pointer (&seen->state, g_free);
}

static void
seen_free (gpointer data)
{
  Seen *seen = data;

  g_free (seen->state);
  g_free (seen);
}

Watch *
watch_new (const char *bus_address)
{
  Watch *w = g_new0 (Watch, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  static const char *const members[] = { "PropertiesChanged", "InterfacesAdded",
                                         "InterfacesRemoved" };
  const GDBusSignalCallback callbacks[] = { on_properties_changed, on_interfaces_added,
                                            on_interfaces_removed };

  w->context = g_main_context_new ();
  w->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, seen_free);
  /* the callbacks run in w->context, which only watch_until() and
   * watch_for() iterate */
  g_main_context_push_thread_default (w->context);
  w->c = new_client (bus_address);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    w->ids[i] = g_dbus_connection_signal_subscribe (
        w->c, NULL, i == 0 ? PROPS_IFACE : OBJECT_MANAGER_IFACE, members[i], NULL, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, callbacks[i], w, NULL);
  g_main_context_pop_thread_default (w->context);
  /* the bus has the match rules once it answers this */
  reply = call (w->c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetId", NULL, &error);
  if (reply == NULL)
    die ("subscribing to the service's signals", error);
  return w;
}

void
watch_free (Watch *w)
{
  for (guint i = 0; i < G_N_ELEMENTS (w->ids); i++)
    g_dbus_connection_signal_unsubscribe (w->c, w->ids[i]);
  g_dbus_connection_close_sync (w->c, NULL, NULL);
  g_object_unref (w->c);
  /* what the unsubscriptions left to run */
  while (g_main_context_iteration (w->context, FALSE))
    ;
  g_main_context_unref (w->context);
  g_hash_table_unref (w->seen);
  g_free (w);
}

GDBusConnection *
watch_get_connection (Watch *w)
{
  return w->c;
}

Seen *
watch_seen (Watch *w, const char *path)
{
  Seen *seen = g_hash_table_lookup (w->seen, path);

  if (seen == NULL)
    {
      seen = g_new0 (Seen, 1);
      g_hash_table_insert (w->seen, g_strdup (path), seen);
    }
  return seen;
}

static gboolean
on_timeout (gpointer data)
{
  Watch *w = data;

  w->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Dispatches until @done (NULL: never) or @timeout_ms; whether @done. */
static gboolean
dispatch_until (Watch *w, WatchDone done, gpointer data, guint timeout_ms)
{
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  gboolean ok;

  w->timed_out = FALSE;
  g_source_set_callback (timeout, on_timeout, w, NULL);
  g_source_attach (timeout, w->context);
  while (!(ok = done != NULL && done (w, data)) && !w->timed_out)
    g_main_context_iteration (w->context, TRUE);
  g_source_destroy (timeout);
  /* what came meanwhile, so that it is timed as it came */
  while (g_main_context_iteration (w->context, FALSE))
    ;
  return ok;
}

void
watch_until (Watch *w, WatchDone done, gpointer data, guint timeout_ms, const char *what)
{
  if (!dispatch_until (w, done, data, timeout_ms))
    {
      g_printerr ("openocd-dbus-bench: not within %u ms: %s\n", timeout_ms, what);
      die ("waiting for the service", NULL);
    }
}

void
watch_for (Watch *w, guint ms)
{
  dispatch_until (w, NULL, NULL, ms);
}

gboolean
watch_published_since (Watch *w, gpointer path_and_since)
{
  const WatchSince *since = path_and_since;
  const Seen *seen = watch_seen (w, since->path);

  return is_real_state (seen->state) && seen->real_ns > since->ns;
}

gboolean
watch_back_since (Watch *w, gpointer path_and_since)
{
  const WatchSince *since = path_and_since;
  const Seen *seen = watch_seen (w, since->path);

  return is_real_state (seen->state) && seen->unknown_ns > since->ns &&
         seen->real_ns > seen->unknown_ns;
}

gboolean
watch_removed_since (Watch *w, gpointer path_and_since)
{
  const WatchSince *since = path_and_since;

  return watch_seen (w, since->path)->removed_ns > since->ns;
}
