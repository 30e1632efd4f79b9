/* SPDX-License-Identifier: MIT */
#include "ood-test-dbus.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ood-testbed.h"

/**
 * ood_test_pending_done:
 * @source: the #GDBusConnection of g_dbus_connection_call(), or the
 *   #GDBusProxy of g_dbus_proxy_call() (so of the generated
 *   ood_dbus_*_call_*() functions)
 * @pending: (type OodTestPending): what gets the reply or the error
 *
 * A #GAsyncReadyCallback that finishes the call into @pending.
 */
void
ood_test_pending_done (GObject *source, GAsyncResult *result, gpointer pending)
{
  OodTestPending *p = pending;

  if (G_IS_DBUS_PROXY (source))
    p->reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &p->error);
  else
    p->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &p->error);
  p->done_at = g_get_monotonic_time ();
  p->done = TRUE;
}

/* An OodTestCondition for ood_test_wait_for(): @pending has been answered. */
gboolean
ood_test_pending_is_done (gpointer pending)
{
  return ((OodTestPending *) pending)->done;
}

/* Frees the reply and the error, ready for another call. */
void
ood_test_pending_clear (OodTestPending *pending)
{
  g_clear_pointer (&pending->reply, g_variant_unref);
  g_clear_error (&pending->error);
  pending->done = FALSE;
  pending->done_at = 0;
}

/* The D-Bus error name of @error, e.g. "org.openocd.Error.Busy", or
 * "(local: MESSAGE)" for an error that did not come over the bus. */
char *
ood_test_dbus_error_name (const GError *error)
{
  char *name = g_dbus_error_get_remote_error (error);

  return name != NULL ? name : g_strdup_printf ("(local: %s)", error->message);
}

/**
 * ood_test_assert_dbus_error:
 * @name: the D-Bus error name @error must carry
 * @domain: the domain it must be mapped to, with @code; 0 to check the
 *   name only
 *
 * Asserts @error is the D-Bus error @name (and, unless @domain is 0, that
 * it was mapped to @domain/@code).
 */
void
ood_test_assert_dbus_error (const GError *error, const char *name, GQuark domain, gint code)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = ood_test_dbus_error_name (error);
  if (domain == 0)
    {
      if (g_strcmp0 (remote, name) != 0)
        g_error ("expected %s, got %s: %s", name, remote, error->message);
    }
  else if (g_strcmp0 (remote, name) != 0 || !g_error_matches (error, domain, code))
    g_error ("expected %s (%s %d), got %s (%s %d): %s", name, g_quark_to_string (domain), code,
             remote, g_quark_to_string (error->domain), error->code, error->message);
}

/* The org.openocd.Errors annotation names the errors a method can return,
 * space-separated (tests/unit/test-actions.c checks every method has one). */
#define ERRORS_ANNOTATION "org.openocd.Errors"

GStrv
ood_test_method_errors (const char *method)
{
  const char *dot = strrchr (method, '.');
  g_autofree char *iface = NULL, *file = NULL, *text = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GError) error = NULL;
  GDBusInterfaceInfo *info;
  GDBusMethodInfo *m;
  const char *errors;

  g_assert_nonnull (dot);
  iface = g_strdup_printf ("org.openocd.%.*s", (int) (dot - method), method);
  file = g_strdup_printf ("%s/%s.xml", OOD_INTROSPECTION_DIR, iface);
  g_assert_true (g_file_get_contents (file, &text, NULL, &error));
  node = g_dbus_node_info_new_for_xml (text, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_lookup_interface (node, iface);
  g_assert_nonnull (info);
  m = g_dbus_interface_info_lookup_method (info, dot + 1);
  if (m == NULL)
    g_error ("%s has no method %s", iface, dot + 1);
  errors = g_dbus_annotation_info_lookup (m->annotations, ERRORS_ANNOTATION);
  if (errors == NULL)
    g_error ("%s documents no errors (annotation %s)", method, ERRORS_ANNOTATION);
  return g_strsplit_set (errors, " ", -1);
}

void
ood_test_assert_method_error (const GError *error, const char *method, const char *name,
                              GQuark domain, gint code)
{
  g_auto(GStrv) documented = NULL;

  ood_test_assert_dbus_error (error, name, domain, code);
  documented = ood_test_method_errors (method);
  if (!g_strv_contains ((const char *const *) documented, name))
    g_error ("%s returned %s, which its org.openocd.Errors does not list: %s", method, name,
             error->message);
}

GVariant *
ood_test_get_property (GDBusConnection *bus, const char *path, const char *iface,
                       const char *name, guint timeout_ms, GError **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      bus, "org.openocd", path, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", iface, name), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NO_AUTO_START, (gint) timeout_ms, NULL, error);
  GVariant *value = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(v)", &value);
  return value;
}

GUnixFDList *
ood_test_fd_list_of (const char *dir, GBytes *bytes)
{
  g_autofree char *path = ood_test_save_bytes (dir, "passed-image", bytes);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  g_autoptr(GError) error = NULL;
  GUnixFDList *list = g_unix_fd_list_new ();

  g_assert_cmpint (fd, >=, 0);
  g_unlink (path);
  g_assert_cmpint (g_unix_fd_list_append (list, fd, &error), ==, 0);
  g_assert_no_error (error);
  close (fd);
  return list;
}

GStrv
ood_test_endpoint_log (GDBusConnection *bus, const char *path, guint lines)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
      bus, "org.openocd", path, "org.openocd.Endpoint", "GetLog", g_variant_new ("(u)", lines),
      G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
  GStrv log = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(^as)", &log);
  return log;
}

gboolean
ood_test_lines_have (GStrv lines, const char *needle)
{
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return TRUE;
  for (guint i = 0; lines[i] != NULL; i++)
    g_test_message ("line %u: %s", i, lines[i]);
  g_test_message ("no line of the %u holds \"%s\"", g_strv_length (lines), needle);
  return FALSE;
}

int
ood_test_temp_fd (void)
{
  char path[] = "/tmp/ood-test-XXXXXX";
  int fd = g_mkstemp (path);

  g_assert_cmpint (fd, >=, 0);
  g_unlink (path);
  return fd;
}
