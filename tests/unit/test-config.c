/* SPDX-License-Identifier: MIT */
/* Unit tests of the endpoint list parser. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ood-config.h"

static void
assert_endpoint (GPtrArray *endpoints, guint i, const char *name, const char *address)
{
  OodEndpointConfig *config;

  g_assert_cmpuint (i, <, endpoints->len);
  config = endpoints->pdata[i];
  g_assert_cmpstr (config->name, ==, name);
  g_assert_cmpstr (config->address, ==, address);
}

/* Asserts @warnings[@i] is "FILE:LINE: …" and mentions @needle. */
static void
assert_warning (GPtrArray *warnings, guint i, const char *file, guint line, const char *needle)
{
  g_autofree char *prefix = g_strdup_printf ("%s:%u: ", file, line);
  const char *warning;

  if (i >= warnings->len)
    g_error ("expected a warning '%s…%s', got only %u warnings", prefix, needle, warnings->len);
  warning = warnings->pdata[i];
  if (!g_str_has_prefix (warning, prefix) || strstr (warning, needle) == NULL)
    g_error ("warning %u is '%s', expected '%s…%s…'", i, warning, prefix, needle);
}

static void
dump (GPtrArray *warnings)
{
  for (guint i = 0; i < warnings->len; i++)
    g_test_message ("warning: %s", (const char *) warnings->pdata[i]);
}

static void
test_two_valid (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse (
      "# two boards\n"
      "[Endpoint left]\n"
      "Address=127.0.0.1:6666\n"
      "\n"
      "; another comment\n"
      "  [Endpoint right]  \n"
      "  Address = localhost:7777  \n",
      "two.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_cmpuint (endpoints->len, ==, 2);
  assert_endpoint (endpoints, 0, "left", "127.0.0.1:6666");
  assert_endpoint (endpoints, 1, "right", "localhost:7777");
}

static void
test_empty (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse ("", "e.conf", warnings);
  g_autoptr(GPtrArray) endpoints2 = ood_config_parse ("\n\n# only comments\n  \n", "e.conf", warnings);

  g_assert_cmpuint (endpoints->len, ==, 0);
  g_assert_cmpuint (endpoints2->len, ==, 0);
  g_assert_cmpuint (warnings->len, ==, 0);
}

static void
test_bad_lines (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse (
      "# line 1\n"                      /* 1 */
      "[Endpoint a]\n"                  /* 2 */
      "Address=127.0.0.1:6666\n"        /* 3 */
      "\n"                              /* 4 */
      "[Endpoint b]\n"                  /* 5 */
      "Address = localhost:7000\n"      /* 6 */
      "no equals sign here\n"           /* 7 */
      "Foo=bar\n"                       /* 8 */
      "[Other]\n"                       /* 9 */
      "Address=1.2.3.4:5\n"             /* 10: in a skipped group */
      "[Endpoint c]\n"                  /* 11 */
      "Address=127.0.0.1:0\n"           /* 12 */
      "Address=127.0.0.1:70000\n"       /* 13 */
      "Address=127.0.0.1:abc\n"         /* 14 */
      "[Endpoint a]\n"                  /* 15: duplicate */
      "Address=10.0.0.1:1\n"            /* 16: in a skipped group */
      "[Endpoint d]\n"                  /* 17: no Address at the end */
      "# end\n",                        /* 18 */
      "bad.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 2);
  assert_endpoint (endpoints, 0, "a", "127.0.0.1:6666");
  assert_endpoint (endpoints, 1, "b", "localhost:7000");

  g_assert_cmpuint (warnings->len, ==, 9);
  assert_warning (warnings, 0, "bad.conf", 7, "Key=Value");
  assert_warning (warnings, 1, "bad.conf", 8, "unknown key 'Foo'");
  assert_warning (warnings, 2, "bad.conf", 9, "Other");
  assert_warning (warnings, 3, "bad.conf", 12, "127.0.0.1:0");
  assert_warning (warnings, 4, "bad.conf", 13, "127.0.0.1:70000");
  assert_warning (warnings, 5, "bad.conf", 14, "127.0.0.1:abc");
  assert_warning (warnings, 6, "bad.conf", 11, "'c' has no Address");
  assert_warning (warnings, 7, "bad.conf", 15, "'a' is defined twice");
  assert_warning (warnings, 8, "bad.conf", 17, "'d' has no Address");
}

static void
test_key_outside_group (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse (
      "\n"
      "Address=127.0.0.1:6666\n"
      "[Endpoint only]\n"
      "Address=127.0.0.1:6667\n",
      "/etc/x.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 1);
  assert_endpoint (endpoints, 0, "only", "127.0.0.1:6667");
  g_assert_cmpuint (warnings->len, ==, 1);
  assert_warning (warnings, 0, "/etc/x.conf", 2, "outside");
}

static void
test_malformed_headers (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse (
      "[Endpoint ok]\n"        /* 1 */
      "Address=h:1\n"          /* 2 */
      "[Endpoint open\n"       /* 3 */
      "Address=h:2\n"          /* 4: skipped */
      "[Endpoint ]\n"          /* 5 */
      "Address=h:3\n"          /* 6: skipped */
      "[Endpoint x] junk\n"    /* 7 */
      "Address=h:4\n"          /* 8: skipped */
      "[endpoint lower]\n"     /* 9 */
      "Address=h:5\n"          /* 10: skipped */
      "[Endpoint last]\n"      /* 11 */
      "Address=h:6\n",         /* 12 */
      "h.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 2);
  assert_endpoint (endpoints, 0, "ok", "h:1");
  assert_endpoint (endpoints, 1, "last", "h:6");
  g_assert_cmpuint (warnings->len, ==, 4);
  assert_warning (warnings, 0, "h.conf", 3, "malformed");
  assert_warning (warnings, 1, "h.conf", 5, "without a name");
  assert_warning (warnings, 2, "h.conf", 7, "malformed");
  assert_warning (warnings, 3, "h.conf", 9, "endpoint lower");
}

static void
test_address_override_and_bad_port (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse (
      "[Endpoint e]\n"
      "Address=127.0.0.1:1\n"
      "Address=127.0.0.1:65536\n"  /* bad: the earlier good one stays */
      "[Endpoint f]\n"
      "Address=127.0.0.1:1\n"
      "Address=[::1]:65535\n",     /* the later good one wins */
      "o.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 2);
  assert_endpoint (endpoints, 0, "e", "127.0.0.1:1");
  assert_endpoint (endpoints, 1, "f", "[::1]:65535");
  g_assert_cmpuint (warnings->len, ==, 1);
  assert_warning (warnings, 0, "o.conf", 3, "65536");
}

static void
test_invalid_utf8 (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = ood_config_parse (
      "[Endpoint a]\n"
      "Address=127.0.0.1:6666\n"
      "[Endpoint \xff]\n",
      "u.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 1);
  g_assert_cmpuint (warnings->len, ==, 1);
  assert_warning (warnings, 0, "u.conf", 3, "UTF-8");
  for (guint i = 0; i < warnings->len; i++)
    g_assert_true (g_utf8_validate (warnings->pdata[i], -1, NULL));
}

static void
test_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_dir_make_tmp ("ood-config-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autoptr(GPtrArray) missing = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "t.conf", NULL);
  g_assert_true (g_file_set_contents (path, "[Endpoint a]\nAddress=127.0.0.1:1\nbad\n", -1, &error));
  endpoints = ood_config_load (path, warnings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (endpoints->len, ==, 1);
  assert_warning (warnings, 0, path, 3, "Key=Value");
  g_remove (path);
  g_rmdir (dir);

  missing = ood_config_load (path, warnings, &error);
  g_assert_null (missing);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_check_address (void)
{
  static const char *const good[] = {
    "127.0.0.1:6666", "localhost:1", "localhost:65535", "[::1]:6666", "example.com:4444",
    "0.0.0.0:6666",
  };
  static const char *const bad[] = {
    "", "127.0.0.1", "127.0.0.1:", ":6666", "127.0.0.1:0", "127.0.0.1:65536",
    "127.0.0.1:70000", "127.0.0.1:abc", "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1:66 ",
    "127.0.0.1: 66", "localhost:6666x", "localhost:99999999999999999999",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      if (!ood_config_check_address (good[i], &error))
        g_error ("'%s' refused: %s", good[i], error->message);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      if (ood_config_check_address (bad[i], &error))
        g_error ("'%s' accepted", bad[i]);
      g_assert_nonnull (error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/two-valid", test_two_valid);
  g_test_add_func ("/config/empty", test_empty);
  g_test_add_func ("/config/bad-lines", test_bad_lines);
  g_test_add_func ("/config/key-outside-group", test_key_outside_group);
  g_test_add_func ("/config/malformed-headers", test_malformed_headers);
  g_test_add_func ("/config/address-override-and-bad-port", test_address_override_and_bad_port);
  g_test_add_func ("/config/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/config/load", test_load);
  g_test_add_func ("/config/check-address", test_check_address);
  return g_test_run ();
}
