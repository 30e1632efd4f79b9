/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-test"

#include "ood-test-gdb.h"

#include <string.h>

#include "ood-service-fixture.h"

#define RUN_TIMEOUT_MS 30000

struct _OodTestGdb {
  GSubprocess   *proc;
  GOutputStream *in;
  GInputStream  *out_stream;
  GString       *out;
  gsize          from;   /* where the output of the last commands sent starts */
  gboolean       eof;
  guint          marks;
  char           buf[4096];
};

static void
on_output (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OodTestGdb *gdb = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      gdb->eof = TRUE;
      return;
    }
  g_string_append_len (gdb->out, gdb->buf, n);
  g_input_stream_read_async (gdb->out_stream, gdb->buf, sizeof gdb->buf, G_PRIORITY_DEFAULT, NULL,
                             on_output, gdb);
}

OodTestGdb *
ood_test_gdb_new (void)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GError) error = NULL;
  OodTestGdb *gdb = g_new0 (OodTestGdb, 1);

  g_subprocess_launcher_set_child_setup (launcher, ood_test_die_with_parent, NULL, NULL);
  gdb->proc = g_subprocess_launcher_spawn (launcher, &error,
                                           ood_test_env_or ("OOD_GDB", "gdb-multiarch"), "-q",
                                           "-nx", NULL);
  if (gdb->proc == NULL)
    g_error ("cannot start gdb-multiarch (.ci/install-deps installs it): %s", error->message);
  gdb->in = g_subprocess_get_stdin_pipe (gdb->proc);
  gdb->out_stream = g_subprocess_get_stdout_pipe (gdb->proc);
  gdb->out = g_string_new (NULL);
  g_input_stream_read_async (gdb->out_stream, gdb->buf, sizeof gdb->buf, G_PRIORITY_DEFAULT, NULL,
                             on_output, gdb);
  return gdb;
}

/* Sends @commands, then an echo of a new mark that shows they ran. */
void
ood_test_gdb_start (OodTestGdb *gdb, const char *commands)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  gdb->marks++;
  gdb->from = gdb->out->len;
  text = g_strdup_printf ("%s\necho @@%u@@\\n\n", commands, gdb->marks);
  g_assert_true (g_output_stream_write_all (gdb->in, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (gdb->in, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("gdb <- %s", commands);
}

static gboolean
marked (gpointer user_data)
{
  OodTestGdb *gdb = user_data;
  g_autofree char *mark = g_strdup_printf ("@@%u@@", gdb->marks);

  return gdb->eof || strstr (gdb->out->str + gdb->from, mark) != NULL;
}

char *
ood_test_gdb_wait (OodTestGdb *gdb, guint timeout_ms)
{
  if (!ood_test_wait_for (marked, gdb, timeout_ms))
    return NULL;
  if (gdb->eof)
    g_error ("GDB ended; it printed: %s", gdb->out->str);
  g_test_message ("gdb -> %s", gdb->out->str + gdb->from);
  return g_strdup (gdb->out->str + gdb->from);
}

char *
ood_test_gdb_run (OodTestGdb *gdb, const char *commands)
{
  char *said;

  ood_test_gdb_start (gdb, commands);
  said = ood_test_gdb_wait (gdb, RUN_TIMEOUT_MS);
  if (said == NULL)
    g_error ("GDB did not run '%s'; it printed: %s", commands, gdb->out->str);
  return said;
}

char *
ood_test_gdb_attach (OodTestGdb *gdb, guint16 port)
{
  g_autofree char *attach = g_strdup_printf ("set pagination off\nset confirm off\n"
                                             "set architecture riscv:rv32\n"
                                             "target extended-remote 127.0.0.1:%u", port);

  return ood_test_gdb_run (gdb, attach);
}

guint64
ood_test_gdb_value (const char *text)
{
  const char *equals = g_strrstr (text, " = 0x");

  if (equals == NULL)
    g_error ("no value in GDB's '%s'", text);
  return g_ascii_strtoull (equals + 3, NULL, 16);
}

guint64
ood_test_gdb_pc (OodTestGdb *gdb)
{
  g_autofree char *said = ood_test_gdb_run (gdb, "info registers pc");
  const char *value = strstr (said, "pc");

  value = value != NULL ? strstr (value, "0x") : NULL;
  if (value == NULL)
    g_error ("no PC in GDB's '%s'", said);
  return g_ascii_strtoull (value, NULL, 16);
}

void
ood_test_gdb_quit (OodTestGdb *gdb)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (gdb->in, "quit\n", 5, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (gdb->in, NULL, &error));
  g_assert_true (g_subprocess_wait_check (gdb->proc, NULL, &error));
  g_assert_no_error (error);
}

void
ood_test_gdb_free (OodTestGdb *gdb)
{
  if (g_subprocess_get_identifier (gdb->proc) != NULL)
    {
      g_subprocess_force_exit (gdb->proc);
      g_subprocess_wait (gdb->proc, NULL, NULL);
    }
  /* the pending read ends with the pipe */
  while (!gdb->eof)
    g_main_context_iteration (NULL, TRUE);
  g_string_free (gdb->out, TRUE);
  g_object_unref (gdb->proc);
  g_free (gdb);
}
