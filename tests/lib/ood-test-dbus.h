/* SPDX-License-Identifier: MIT */
/* D-Bus helpers shared by the tests: a call whose reply is awaited with
 * ood_test_wait_for(), and the assertion that an error is a given D-Bus
 * error. */
#pragma once

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

G_BEGIN_DECLS

/* One asynchronous call, started with ood_test_pending_done as the
 * callback and this as its user data. */
typedef struct {
  gboolean  done;
  GVariant *reply;    /* the reply tuple, NULL on error */
  GError   *error;
  gint64    done_at;  /* g_get_monotonic_time() when it was answered */
} OodTestPending;

void     ood_test_pending_done    (GObject      *source,
                                   GAsyncResult *result,
                                   gpointer      pending);
gboolean ood_test_pending_is_done (gpointer      pending);
void     ood_test_pending_clear   (OodTestPending *pending);

char    *ood_test_dbus_error_name   (const GError *error);
void     ood_test_assert_dbus_error (const GError *error,
                                     const char   *name,
                                     GQuark        domain,
                                     gint          code);

/* The value of property @iface.@name of org.openocd's @path, read from the
 * service (no proxy cache), or NULL with @error. */
GVariant *ood_test_get_property (GDBusConnection *bus,
                                 const char      *path,
                                 const char      *iface,
                                 const char      *name,
                                 guint            timeout_ms,
                                 GError         **error);

/* A list holding one fd (index 0) open for reading @bytes: a file made in
 * @dir and removed at once, as a client passes an image. */
GUnixFDList *ood_test_fd_list_of (const char *dir,
                                  GBytes     *bytes);

/* Endpoint.GetLog(@lines) of org.openocd's endpoint at @path (asserts it
 * answers). */
GStrv     ood_test_endpoint_log (GDBusConnection *bus,
                                 const char      *path,
                                 guint            lines);
/* Whether a line of @lines holds @needle; if none does, the lines go to
 * the test's log, to see why. */
gboolean  ood_test_lines_have   (GStrv            lines,
                                 const char      *needle);
/* An fd open for reading and writing a file of its own, already
 * removed (asserting it worked): one to pass that never stalls. */
int          ood_test_temp_fd    (void);

/* @error is the D-Bus error @name, whatever it maps to locally. */
#define OOD_TEST_ASSERT_DBUS_ERROR_NAME(error, name) \
  ood_test_assert_dbus_error ((error), (name), 0, 0)
/* @error is org.openocd.Error.@name, which is OOD_ERROR @code here (the
 * includer has ood-error.h). */
#define ASSERT_OOD_ERROR(error, code, name) \
  ood_test_assert_dbus_error ((error), "org.openocd.Error." name, OOD_ERROR, (code))
#define ASSERT_INVALID_ARGS(error) \
  ood_test_assert_dbus_error ((error), "org.freedesktop.DBus.Error.InvalidArgs", G_DBUS_ERROR, \
                              G_DBUS_ERROR_INVALID_ARGS)

/* As ood_test_assert_dbus_error(), and the error is one @method documents:
 * @method ("Target.StepAt": an interface of org.openocd and its method)
 * lists @name in its org.openocd.Errors annotation in introspection/, so
 * the docs cannot miss an error a test sees. */
void     ood_test_assert_method_error (const GError *error,
                                       const char   *method,
                                       const char   *name,
                                       GQuark        domain,
                                       gint          code);
/* The names of the errors @method ("Target.StepAt") documents, from its
 * org.openocd.Errors annotation; asserts it has one. */
GStrv    ood_test_method_errors       (const char   *method);

/* ASSERT_OOD_ERROR and ASSERT_INVALID_ARGS of a call of @method, which
 * must document the error. */
#define ASSERT_METHOD_ERROR(error, method, code, name) \
  ood_test_assert_method_error ((error), (method), "org.openocd.Error." name, OOD_ERROR, (code))
#define ASSERT_METHOD_INVALID_ARGS(error, method) \
  ood_test_assert_method_error ((error), (method), "org.freedesktop.DBus.Error.InvalidArgs", \
                                G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS)

G_END_DECLS
