/* SPDX-License-Identifier: MIT */
/* Unit tests of the configuration parser: endpoints, probe rules, and the
 * endpoint a rule makes for a probe. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ood-config.h"

/* A NUL-terminated @text without NUL bytes in it. */
static OodConfig *
parse_config (const char *text, const char *filename, GPtrArray *warnings)
{
  return ood_config_parse (text, strlen (text), filename, warnings);
}

/* The endpoints of what @text gives, which holds no probe rule. */
static GPtrArray *
endpoints_of (OodConfig *config)
{
  g_autoptr(OodConfig) owned = config;

  g_assert_nonnull (config);
  g_assert_cmpuint (config->probe_rules->len, ==, 0);
  return g_ptr_array_ref (config->endpoints);
}

static GPtrArray *
parse (const char *text, const char *filename, GPtrArray *warnings)
{
  return endpoints_of (parse_config (text, filename, warnings));
}

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
  g_autoptr(GPtrArray) endpoints = parse (
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
  g_autoptr(GPtrArray) endpoints = parse ("", "e.conf", warnings);
  g_autoptr(GPtrArray) endpoints2 = parse ("\n\n# only comments\n  \n", "e.conf", warnings);

  g_assert_cmpuint (endpoints->len, ==, 0);
  g_assert_cmpuint (endpoints2->len, ==, 0);
  g_assert_cmpuint (warnings->len, ==, 0);
}

static void
test_bad_lines (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = parse (
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
  g_autoptr(GPtrArray) endpoints = parse (
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
  g_autoptr(GPtrArray) endpoints = parse (
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
  g_autoptr(GPtrArray) endpoints = parse (
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
  g_autoptr(GPtrArray) endpoints = parse (
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


/* A NUL byte costs its line only: the old parser took the text as a C
 * string and silently dropped everything after it. */
static void
test_nul_byte (void)
{
  static const char text[] =
    "[Endpoint a]\n"              /* 1 */
    "Address=127.0.0.1:1\n"       /* 2 */
    "Shared\0Directory=/x\n"      /* 3: NUL */
    "[Endpoint b]\n"              /* 4 */
    "Address=127.0.0.1:2\n"       /* 5 */
    "\0\n"                        /* 6: NUL alone */
    "[Endpoint c]\n"              /* 7 */
    "Address=127.0.0.1:3";        /* 8, no newline at the end */
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = endpoints_of (ood_config_parse (text, sizeof text - 1, "n.conf",
                                                                  warnings));

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 3);
  assert_endpoint (endpoints, 0, "a", "127.0.0.1:1");
  assert_endpoint (endpoints, 1, "b", "127.0.0.1:2");
  assert_endpoint (endpoints, 2, "c", "127.0.0.1:3");
  g_assert_null (((OodEndpointConfig *) endpoints->pdata[0])->shared_dir);
  g_assert_cmpuint (warnings->len, ==, 2);
  assert_warning (warnings, 0, "n.conf", 3, "NUL byte");
  assert_warning (warnings, 1, "n.conf", 6, "NUL byte");
}

/* Invalid UTF-8 in a key line, with valid endpoints on both sides. */
static void
test_invalid_utf8_key (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = parse (
      "[Endpoint a]\n"
      "Address=127.0.0.1:1\n"
      "SharedDirectory=/srv/\xc3\x28\n"
      "[Endpoint b]\n"
      "Address=127.0.0.1:2\n",
      "u.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 2);
  g_assert_null (((OodEndpointConfig *) endpoints->pdata[0])->shared_dir);
  g_assert_cmpuint (warnings->len, ==, 1);
  assert_warning (warnings, 0, "u.conf", 3, "not valid UTF-8");
}

/* A file of junk as large as allowed: the first OOD_CONFIG_MAX_WARNINGS
 * warnings and one count, not one warning per line (there were 2^21 for
 * 10 MB), and the endpoint at its end still counts. */
static void
test_warning_limit (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = NULL;
  guint junk_lines = 0;
  gint64 start;

  while (text->len < OOD_CONFIG_MAX_BYTES - 64)
    {
      g_string_append (text, "junk\n");
      junk_lines++;
    }
  g_string_append (text, "[Endpoint last]\nAddress=127.0.0.1:9\n");
  g_assert_cmpuint (text->len, <=, OOD_CONFIG_MAX_BYTES);
  start = g_get_monotonic_time ();
  endpoints = endpoints_of (ood_config_parse (text->str, text->len, "j.conf", warnings));
  g_test_message ("parsed %zu bytes in %" G_GINT64_FORMAT " us", text->len,
                  g_get_monotonic_time () - start);
  g_assert_cmpuint (endpoints->len, ==, 1);
  assert_endpoint (endpoints, 0, "last", "127.0.0.1:9");
  g_assert_cmpuint (warnings->len, ==, OOD_CONFIG_MAX_WARNINGS + 1);
  for (guint i = 0; i < OOD_CONFIG_MAX_WARNINGS; i++)
    assert_warning (warnings, i, "j.conf", i + 1, "Key=Value");
  {
    g_autofree char *more = g_strdup_printf ("j.conf: %u more problems",
                                             junk_lines - OOD_CONFIG_MAX_WARNINGS);
    g_assert_true (g_str_has_prefix (warnings->pdata[OOD_CONFIG_MAX_WARNINGS], more));
  }
}

/* Many endpoints: duplicate names are found in constant time each. */
static void
test_many_endpoints (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = NULL;
  guint n = 0;

  for (; text->len < OOD_CONFIG_MAX_BYTES - 64; n++)
    g_string_append_printf (text, "[Endpoint e%u]\nAddress=h:%u\n", n / 2, 1 + n % 60000);
  endpoints = endpoints_of (ood_config_parse (text->str, text->len, "m.conf", warnings));
  g_assert_cmpuint (endpoints->len, ==, (n + 1) / 2);
  g_assert_cmpuint (warnings->len, ==, OOD_CONFIG_MAX_WARNINGS + 1);
  assert_warning (warnings, 0, "m.conf", 3, "'e0' is defined twice");
}

/* Every bad address is a FILE:LINE warning and costs the endpoint. */
static void
test_bad_addresses_in_file (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = parse (
      "[Endpoint space]\n"            /* 1 */
      "Address=a b:80\n"              /* 2 */
      "[Endpoint url]\n"              /* 3 */
      "Address=http://host:80\n"      /* 4 */
      "[Endpoint v6]\n"               /* 5 */
      "Address=::1:6666\n"            /* 6 */
      "[Endpoint good]\n"             /* 7 */
      "Address=[::1]:6666\n",         /* 8 */
      "a.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 1);
  assert_endpoint (endpoints, 0, "good", "[::1]:6666");
  g_assert_cmpuint (warnings->len, ==, 6);
  assert_warning (warnings, 0, "a.conf", 2, "'a b:80' is not HOST:PORT");
  assert_warning (warnings, 2, "a.conf", 4, "'http://host:80' is not HOST:PORT");
  assert_warning (warnings, 4, "a.conf", 6, "brackets");
}

/* Asserts @argv is the NULL-terminated list of words after @argv. */
static void
assert_argv (char **argv, ...)
{
  va_list args;
  const char *word;
  guint i = 0;

  g_assert_nonnull (argv);
  va_start (args, argv);
  while ((word = va_arg (args, const char *)) != NULL)
    {
      g_assert_nonnull (argv[i]);
      g_assert_cmpstr (argv[i], ==, word);
      i++;
    }
  va_end (args);
  g_assert_null (argv[i]);
}

static OodEndpointConfig *
endpoint_at (GPtrArray *endpoints, guint i)
{
  g_assert_cmpuint (i, <, endpoints->len);
  return endpoints->pdata[i];
}

/* Exec= splits as a shell would and runs no shell: quotes, backslashes,
 * "$", ";" and "%" stay what they are. */
static void
test_exec (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = parse (
      "[Endpoint a]\n"                                                   /* 1 */
      "Exec=openocd -f interface/stlink.cfg -c \"adapter speed 4000\"\n"  /* 2 */
      "SharedDirectory=/srv/a\n"                                         /* 3 */
      "[Endpoint b]\n"                                                   /* 4 */
      "Exec = /usr/bin/openocd -c 'echo $HOME; exit' 50% a\\ b\n"        /* 5 */
      "[Endpoint c]\n"                                                   /* 6 */
      "Exec=first\n"                                                     /* 7 */
      "Exec=second -d3\n",                                               /* 8: the later wins */
      "e.conf", warnings);
  OodEndpointConfig *config;

  dump (warnings);
  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_cmpuint (endpoints->len, ==, 3);
  config = endpoint_at (endpoints, 0);
  g_assert_cmpstr (config->name, ==, "a");
  g_assert_null (config->address);
  g_assert_cmpstr (config->shared_dir, ==, "/srv/a");
  assert_argv (config->exec_argv, "openocd", "-f", "interface/stlink.cfg", "-c",
               "adapter speed 4000", NULL);
  assert_argv (endpoint_at (endpoints, 1)->exec_argv, "/usr/bin/openocd", "-c",
               "echo $HOME; exit", "50%", "a b", NULL);
  assert_argv (endpoint_at (endpoints, 2)->exec_argv, "second", "-d3", NULL);
}

/* AllowRawCommands= is off unless set; true, yes and 1 turn it on, false,
 * no and 0 off; anything else is a warning that leaves the value before. */
static void
test_allow_raw (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = parse (
      "[Endpoint off]\n"                   /* 1 */
      "Address=127.0.0.1:6666\n"           /* 2 */
      "[Endpoint on]\n"                    /* 3 */
      "Address=127.0.0.1:6667\n"           /* 4 */
      "AllowRawCommands=true\n"            /* 5 */
      "AllowRawCommands=maybe\n"           /* 6: a warning; true stays */
      "[Endpoint again-off]\n"             /* 7 */
      "Address=127.0.0.1:6668\n"           /* 8 */
      "AllowRawCommands = yes\n"           /* 9 */
      "AllowRawCommands=0\n",              /* 10 */
      "r.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 3);
  g_assert_false (endpoint_at (endpoints, 0)->allow_raw);
  g_assert_true (endpoint_at (endpoints, 1)->allow_raw);
  g_assert_false (endpoint_at (endpoints, 2)->allow_raw);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_cmpstr (warnings->pdata[0], ==,
                   "r.conf:6: AllowRawCommands must be true or false, not 'maybe'");
}

/* Exactly one of Address and Exec; a bad Exec is a warning on its line
 * and leaves an earlier good one. */
static void
test_exec_errors (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) endpoints = parse (
      "[Endpoint both]\n"                  /* 1 */
      "Address=127.0.0.1:6666\n"           /* 2 */
      "Exec=openocd\n"                     /* 3 */
      "[Endpoint neither]\n"               /* 4 */
      "SharedDirectory=/x\n"               /* 5 */
      "[Endpoint bad]\n"                   /* 6 */
      "Exec=\n"                            /* 7: empty */
      "Exec=   \n"                         /* 8: blank */
      "Exec=openocd -c \"unterminated\n"   /* 9 */
      "Exec=bin/openocd\n"                 /* 10: relative path */
      "Exec=./openocd\n"                   /* 11 */
      "Exec=\"\" -f x.cfg\n"               /* 12: empty program */
      "[Endpoint kept]\n"                  /* 13 */
      "Exec=/opt/openocd/bin/openocd\n"    /* 14 */
      "Exec='unterminated\n",              /* 15: the earlier stays */
      "x.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (endpoints->len, ==, 1);
  g_assert_cmpstr (endpoint_at (endpoints, 0)->name, ==, "kept");
  assert_argv (endpoint_at (endpoints, 0)->exec_argv, "/opt/openocd/bin/openocd", NULL);
  g_assert_cmpuint (warnings->len, ==, 10);
  assert_warning (warnings, 0, "x.conf", 1, "'both' has both Address and Exec");
  assert_warning (warnings, 1, "x.conf", 4, "'neither' has no Address or Exec");
  assert_warning (warnings, 2, "x.conf", 7, "Exec: ");
  assert_warning (warnings, 3, "x.conf", 8, "Exec: ");
  assert_warning (warnings, 4, "x.conf", 9, "Exec: ");
  assert_warning (warnings, 5, "x.conf", 10, "absolute path or a name");
  assert_warning (warnings, 6, "x.conf", 11, "absolute path or a name");
  assert_warning (warnings, 7, "x.conf", 12, "the program is empty");
  assert_warning (warnings, 8, "x.conf", 6, "'bad' has no Address or Exec");
  assert_warning (warnings, 9, "x.conf", 15, "Exec: ");
}

static OodProbeRule *
rule_at (OodConfig *config, guint i)
{
  g_assert_cmpuint (i, <, config->probe_rules->len);
  return config->probe_rules->pdata[i];
}

/* [Probe NAME] groups beside endpoints; names are per kind of group. */
static void
test_probe_rules (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodConfig) config = parse_config (
      "[Probe nucleo]\n"                                                   /* 1 */
      "Match=ID_VENDOR_ID=0483 ID_MODEL_ID=374b\n"                          /* 2 */
      "Exec=openocd -f interface/stlink.cfg -c \"adapter serial %s\"\n"    /* 3 */
      "Model=Nucleo-F401RE\n"                                              /* 4 */
      "[Endpoint nucleo]\n"                                                /* 5: another namespace */
      "Address=localhost:6666\n"                                           /* 6 */
      "[Probe bare]\n"                                                     /* 7 */
      "Match = ID_MODEL_FROM_DATABASE=\"ST-LINK/V2.1 (x)\" EMPTY=\n"       /* 8 */
      "[Probe nucleo]\n"                                                   /* 9: twice */
      "Match=A=1\n"                                                        /* 10 */
      "[Probe nomatch]\n"                                                  /* 11 */
      "Exec=openocd\n"                                                     /* 12 */
      "[Probe badmatch]\n"                                                 /* 13 */
      "Match=ID_VENDOR_ID\n"                                               /* 14 */
      "Match==0483\n"                                                      /* 15 */
      "Match=ID-VENDOR=0483\n"                                             /* 16 */
      "Match=\n"                                                           /* 17 */
      "Model=\n"                                                           /* 18 */
      "Address=h:1\n"                                                      /* 19 */
      "[Probe ]\n",                                                        /* 20 */
      "p.conf", warnings);
  OodProbeRule *rule;

  dump (warnings);
  g_assert_cmpuint (config->endpoints->len, ==, 1);
  g_assert_cmpuint (config->probe_rules->len, ==, 2);
  rule = rule_at (config, 0);
  g_assert_cmpstr (rule->name, ==, "nucleo");
  assert_argv (rule->match, "ID_VENDOR_ID=0483", "ID_MODEL_ID=374b", NULL);
  assert_argv (rule->exec_argv, "openocd", "-f", "interface/stlink.cfg", "-c",
               "adapter serial %s", NULL);
  g_assert_cmpstr (rule->model, ==, "Nucleo-F401RE");
  rule = rule_at (config, 1);
  g_assert_cmpstr (rule->name, ==, "bare");
  assert_argv (rule->match, "ID_MODEL_FROM_DATABASE=ST-LINK/V2.1 (x)", "EMPTY=", NULL);
  g_assert_null (rule->exec_argv);
  g_assert_null (rule->model);

  g_assert_cmpuint (warnings->len, ==, 10);
  assert_warning (warnings, 0, "p.conf", 9, "probe rule 'nucleo' is defined twice");
  assert_warning (warnings, 1, "p.conf", 11, "probe rule 'nomatch' has no Match");
  assert_warning (warnings, 2, "p.conf", 14, "'ID_VENDOR_ID' is not KEY=VALUE");
  assert_warning (warnings, 3, "p.conf", 15, "'=0483' is not KEY=VALUE");
  assert_warning (warnings, 4, "p.conf", 16, "'ID-VENDOR=0483' is not KEY=VALUE");
  assert_warning (warnings, 5, "p.conf", 17, "Match: ");
  assert_warning (warnings, 6, "p.conf", 18, "Model is empty");
  assert_warning (warnings, 7, "p.conf", 19, "unknown key 'Address'");
  assert_warning (warnings, 8, "p.conf", 13, "probe rule 'badmatch' has no Match");
  assert_warning (warnings, 9, "p.conf", 20, "probe rule without a name");
}

/* Placeholders are checked where they are written. */
static void
test_probe_placeholders (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodConfig) config = parse_config (
      "[Probe p]\n"                                           /* 1 */
      "Match=A=1\n"                                           /* 2 */
      "Exec=openocd -c \"adapter serial %s\" %p-%v:%d 100%%\n" /* 3 */
      "Exec=openocd -c %x\n"                                  /* 4: unknown */
      "Exec=openocd -c 50%\n"                                 /* 5: lone % */
      "Exec=/opt/%s/openocd\n"                                /* 6: in the program */
      "Exec=openocd %S\n",                                    /* 7: case matters */
      "p.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (config->probe_rules->len, ==, 1);
  assert_argv (rule_at (config, 0)->exec_argv, "openocd", "-c", "adapter serial %s", "%p-%v:%d",
               "100%%", NULL);
  g_assert_cmpuint (warnings->len, ==, 4);
  assert_warning (warnings, 0, "p.conf", 4, "unknown placeholder");
  assert_warning (warnings, 1, "p.conf", 5, "lone '%'");
  assert_warning (warnings, 2, "p.conf", 6, "the program takes no placeholder");
  assert_warning (warnings, 3, "p.conf", 7, "unknown placeholder");
}

/* A probe record as the watcher makes one, with the udev properties
 * udev gives a USB device. */
static OodUsbProbe *
fake_probe (guint16 vendor_id, guint16 product_id, const char *serial, const char *usb_path)
{
  OodUsbProbe *probe = ood_usb_probe_new ();

  probe->vendor_id = vendor_id;
  probe->product_id = product_id;
  probe->serial = g_strdup (serial);
  probe->usb_path = g_strdup (usb_path);
  probe->model = g_strdup ("test");
  probe->id = g_strdup ("usb1_1");
  g_hash_table_insert (probe->properties, g_strdup ("ID_VENDOR_ID"),
                       g_strdup_printf ("%04x", vendor_id));
  g_hash_table_insert (probe->properties, g_strdup ("ID_MODEL_ID"),
                       g_strdup_printf ("%04x", product_id));
  if (serial[0] != '\0')
    g_hash_table_insert (probe->properties, g_strdup ("ID_SERIAL_SHORT"), g_strdup (serial));
  return probe;
}

/* Every Match word must hold, exactly; the first matching rule counts. */
static void
test_probe_match (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodConfig) config = parse_config (
      "[Probe one]\n"
      "Match=ID_VENDOR_ID=0483 ID_SERIAL_SHORT=066DFF\n"
      "[Probe stlink]\n"
      "Match=ID_VENDOR_ID=0483 ID_MODEL_ID=374b\n"
      "[Probe absent]\n"
      "Match=ID_VENDOR_ID=0483 ID_USB_DRIVER=usbfs\n",
      "m.conf", warnings);
  g_autoptr(OodUsbProbe) serial_66 = fake_probe (0x0483, 0x374b, "066DFF", "1-1");
  g_autoptr(OodUsbProbe) other_serial = fake_probe (0x0483, 0x374b, "066dff", "1-2");
  g_autoptr(OodUsbProbe) other_model = fake_probe (0x0483, 0x3748, "", "1-3");
  g_autoptr(OodUsbProbe) jlink = fake_probe (0x1366, 0x0101, "123", "2-1");

  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_true (ood_probe_rule_matches (rule_at (config, 0), serial_66));
  g_assert_true (ood_probe_rule_matches (rule_at (config, 1), serial_66));
  g_assert_false (ood_probe_rule_matches (rule_at (config, 2), serial_66));
  g_assert_true (ood_probe_rules_find (config->probe_rules, serial_66) == rule_at (config, 0));
  g_assert_true (ood_probe_rules_find (config->probe_rules, other_serial) == rule_at (config, 1));
  g_assert_null (ood_probe_rules_find (config->probe_rules, other_model));
  g_assert_null (ood_probe_rules_find (config->probe_rules, jlink));
  g_assert_null (ood_probe_rules_find (NULL, jlink));
}

static OodEndpointConfig *
endpoint_for (const char *exec, const OodUsbProbe *probe, GError **error)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = g_strdup_printf ("[Probe board]\nMatch=ID_VENDOR_ID=0483\nExec=%s\n",
                                           exec);
  g_autoptr(OodConfig) config = parse_config (text, "r.conf", warnings);

  dump (warnings);
  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_true (ood_probe_rule_matches (rule_at (config, 0), probe));
  return ood_probe_rule_endpoint (rule_at (config, 0), probe, error);
}

/* The endpoint of a rule for a probe: each placeholder in place, within
 * its word; named after the rule and the serial, or the USB path. */
static void
test_probe_endpoint (void)
{
  g_autoptr(OodUsbProbe) probe = fake_probe (0x0483, 0x374b, "066DFF3632.5:a-b_", "3-1.4.2");
  g_autoptr(OodUsbProbe) no_serial = fake_probe (0x0483, 0x0a0b, "", "1-2");
  g_autoptr(GError) error = NULL;
  g_autoptr(OodEndpointConfig) config = NULL;

  config = endpoint_for ("openocd -f interface/stlink.cfg -c \"adapter serial %s\" "
                         "-c 'adapter usb location %p' %v:%d 100%% %s%s", probe, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->name, ==, "board-066DFF3632.5:a-b_");
  g_assert_null (config->address);
  assert_argv (config->exec_argv, "openocd", "-f", "interface/stlink.cfg", "-c",
               "adapter serial 066DFF3632.5:a-b_", "-c", "adapter usb location 3-1.4.2",
               "0483:374b", "100%", "066DFF3632.5:a-b_066DFF3632.5:a-b_", NULL);
  g_clear_pointer (&config, ood_endpoint_config_free);

  config = endpoint_for ("openocd -c \"adapter usb location %p\" -c \"echo %v%d\"", no_serial, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->name, ==, "board-1-2");
  assert_argv (config->exec_argv, "openocd", "-c", "adapter usb location 1-2", "-c", "echo 04830a0b",
               NULL);
  g_clear_pointer (&config, ood_endpoint_config_free);

  /* the serial an Exec uses must be there */
  config = endpoint_for ("openocd -c \"adapter serial %s\"", no_serial, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "board"));
  g_assert_nonnull (strstr (error->message, "no serial"));
  g_assert_null (config);
}

/* SECURITY: a serial is whatever the device's maker chose, and the words
 * usually end up in Tcl. A serial outside [A-Za-z0-9._:-], longer than
 * OOD_CONFIG_MAX_VALUE or with a leading "-" is never substituted: the
 * device gets no endpoint from a rule that uses it, and a rule that does
 * not names the endpoint after the USB path. */
static void
test_probe_hostile_serial (void)
{
  static const char *const hostile[] = {
    "a b", "x\"; exec rm -rf /; #", "[exit]", "$(id)", "`id`", "a;b", "a\nb", "a\tb", "{a}",
    "\\", "-d3", "-f/etc/passwd", "é", "a/b", "a'b", "a$b", "%s",
  };
  g_autoptr(GString) long_serial = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autoptr(OodUsbProbe) probe = fake_probe (0x0483, 0x374b, hostile[i], "1-9");
      g_autoptr(GError) error = NULL;
      g_autoptr(OodEndpointConfig) refused = endpoint_for ("openocd -c \"adapter serial %s\"",
                                                          probe, &error);
      g_autoptr(OodEndpointConfig) by_path = endpoint_for ("openocd -c \"adapter usb location %p\"",
                                                          probe, NULL);

      g_assert_null (refused);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_null (strchr (error->message, '\n'));
      g_assert_nonnull (by_path);
      g_assert_cmpstr (by_path->name, ==, "board-1-9");
      assert_argv (by_path->exec_argv, "openocd", "-c", "adapter usb location 1-9", NULL);
    }

  /* OOD_CONFIG_MAX_VALUE characters are taken, one more is not */
  while (long_serial->len < OOD_CONFIG_MAX_VALUE)
    g_string_append_c (long_serial, "Az09._:-"[long_serial->len % 8]);
  {
    g_autoptr(OodUsbProbe) probe = fake_probe (0x0483, 0x374b, long_serial->str, "1-9");
    g_autoptr(OodEndpointConfig) config = endpoint_for ("openocd %s", probe, NULL);

    g_assert_nonnull (config);
    assert_argv (config->exec_argv, "openocd", long_serial->str, NULL);
  }
  g_string_append_c (long_serial, 'x');
  {
    g_autoptr(OodUsbProbe) probe = fake_probe (0x0483, 0x374b, long_serial->str, "1-9");
    g_autoptr(GError) error = NULL;
    g_autoptr(OodEndpointConfig) config = endpoint_for ("openocd %s", probe, &error);

    g_assert_null (config);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
}

/* A rule without Exec publishes its probes and starts nothing. */
static void
test_probe_no_exec (void)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OodConfig) config = parse_config ("[Probe only]\nMatch=ID_VENDOR_ID=1a86\n", "n.conf",
                                              warnings);
  g_autoptr(OodUsbProbe) probe = fake_probe (0x1a86, 0x8010, "1", "1-1");
  g_autoptr(GError) error = NULL;

  g_assert_true (ood_probe_rule_matches (rule_at (config, 0), probe));
  g_assert_null (ood_probe_rule_endpoint (rule_at (config, 0), probe, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
assert_read_fails (const char *path, GQuark domain, gint code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  /* a FIFO with no writer would block a plain open for good: that the
   * read returns at all shows the open does not block */
  g_assert_false (ood_config_read (path, &text, &length, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_null (text);
}

static void
test_read_not_regular (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ood-config-XXXXXX", &error);
  g_autofree char *fifo = g_build_filename (dir, "fifo.conf", NULL);

  g_assert_no_error (error);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_read_fails (fifo, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "a FIFO");
  assert_read_fails ("/dev/null", G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "a character device");
  assert_read_fails (dir, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "a directory");
  g_remove (fifo);
  g_rmdir (dir);
}

static void
test_read_too_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ood-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "big.conf", NULL);
  g_autofree char *big = g_malloc (OOD_CONFIG_MAX_BYTES + 1);
  g_autofree char *text = NULL;
  gsize length = 0;

  memset (big, '#', OOD_CONFIG_MAX_BYTES + 1);
  g_assert_true (g_file_set_contents (path, big, OOD_CONFIG_MAX_BYTES + 1, &error));
  assert_read_fails (path, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "more than the limit");

  /* exactly the limit is read, NUL bytes and all */
  big[10] = '\0';
  g_assert_true (g_file_set_contents (path, big, OOD_CONFIG_MAX_BYTES, &error));
  g_assert_true (ood_config_read (path, &text, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, OOD_CONFIG_MAX_BYTES);
  g_assert_cmpint (text[10], ==, '\0');
  g_assert_cmpint (text[11], ==, '#');
  g_assert_cmpint (text[length], ==, '\0');
  g_remove (path);
  g_rmdir (dir);
}

typedef struct {
  OodConfig *config;
  GPtrArray *warnings;
  GError    *error;
  gboolean   done;
} AsyncLoad;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncLoad *load = user_data;

  g_assert_null (source);
  load->config = ood_config_load_finish (result, &load->warnings, &load->error);
  load->done = TRUE;
}

static void
load_async (const char *path, AsyncLoad *load)
{
  ood_config_load_async (path, NULL, on_loaded, load);
  while (!load->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_load_async (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ood-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "a.conf", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.conf", NULL);
  AsyncLoad good = { 0 }, bad = { 0 };

  g_assert_true (g_file_set_contents (path, "[Endpoint a]\nAddress=h:1\nx\n[Probe p]\nMatch=A=1\n",
                                   -1, &error));
  load_async (path, &good);
  g_assert_no_error (good.error);
  g_assert_cmpuint (good.config->endpoints->len, ==, 1);
  g_assert_cmpuint (good.config->probe_rules->len, ==, 1);
  assert_warning (good.warnings, 0, path, 3, "Key=Value");

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  load_async (fifo, &bad);
  g_assert_null (bad.config);
  g_assert_null (bad.warnings);
  g_assert_error (bad.error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);

  ood_config_free (good.config);
  g_ptr_array_unref (good.warnings);
  g_error_free (bad.error);
  g_remove (path);
  g_remove (fifo);
  g_rmdir (dir);
}

static void
test_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_dir_make_tmp ("ood-config-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(OodConfig) config = NULL;
  g_autoptr(OodConfig) missing = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "t.conf", NULL);
  g_assert_true (g_file_set_contents (path, "[Endpoint a]\nAddress=127.0.0.1:1\nbad\n", -1, &error));
  config = ood_config_load (path, warnings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->endpoints->len, ==, 1);
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
    "0.0.0.0:6666", "[fe80::1]:6666", "example.com.:1", "my_host:1", "a-b.c-d:2",
    "board7:6666", "127.0.0.1:06666",
  };
  static const char *const bad[] = {
    "", "127.0.0.1", "127.0.0.1:", ":6666", "127.0.0.1:0", "127.0.0.1:65536",
    "127.0.0.1:70000", "127.0.0.1:abc", "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1:66 ",
    "127.0.0.1: 66", "localhost:6666x", "localhost:99999999999999999999",
    "a b:80", "http://host:80", "http://host", "::1:6666", "::1", "[::1]", "[::1:6666",
    "[::1]6666", "[1.2.3.4]:80", "[]:80", "1.2.3:80", "999.1.1.1:80", "1.2.3.4.5:80",
    "-host:80", "host-:80", "ho..st:80", ".:80", ".host:80", "host/x:80", "hÃ¶st:80",
    "user@host:80", "host:80/", "host:8 0", "\thost:80", "host\n:80", "123:80",
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
  g_test_add_func ("/config/nul-byte", test_nul_byte);
  g_test_add_func ("/config/invalid-utf8-key", test_invalid_utf8_key);
  g_test_add_func ("/config/warning-limit", test_warning_limit);
  g_test_add_func ("/config/many-endpoints", test_many_endpoints);
  g_test_add_func ("/config/bad-addresses-in-file", test_bad_addresses_in_file);
  g_test_add_func ("/config/read-not-regular", test_read_not_regular);
  g_test_add_func ("/config/read-too-large", test_read_too_large);
  g_test_add_func ("/config/load-async", test_load_async);
  g_test_add_func ("/config/load", test_load);
  g_test_add_func ("/config/check-address", test_check_address);
  g_test_add_func ("/config/exec", test_exec);
  g_test_add_func ("/config/exec-errors", test_exec_errors);
  g_test_add_func ("/config/probe-rules", test_probe_rules);
  g_test_add_func ("/config/probe-placeholders", test_probe_placeholders);
  g_test_add_func ("/config/probe-match", test_probe_match);
  g_test_add_func ("/config/probe-endpoint", test_probe_endpoint);
  g_test_add_func ("/config/probe-hostile-serial", test_probe_hostile_serial);
  g_test_add_func ("/config/probe-no-exec", test_probe_no_exec);
  g_test_add_func ("/config/allow-raw", test_allow_raw);
  return g_test_run ();
}
