/* SPDX-License-Identifier: MIT */
#include "ood-test-proc.h"

#include <string.h>

/**
 * ood_test_status_field:
 * @status: the text of a /proc/PID/status (or /proc/PID/task/TID/status)
 * @key: a field's name without the colon, e.g. "VmRSS"
 *
 * Returns: the number that starts the field's value (kB for the Vm* fields),
 *   0 when there is no such field
 */
guint64
ood_test_status_field (const char *status, const char *key)
{
  gsize len = strlen (key);
  const char *line = status;

  while (line != NULL)
    {
      if (strncmp (line, key, len) == 0 && line[len] == ':')
        return g_ascii_strtoull (line + len + 1, NULL, 10);
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return 0;
}

/**
 * ood_test_proc_status_field:
 *
 * Returns: field @key of /proc/@pid/status as ood_test_status_field() reads
 *   it, 0 when the process is gone
 */
guint64
ood_test_proc_status_field (GPid pid, const char *key)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;

  return g_file_get_contents (path, &status, NULL, NULL) ? ood_test_status_field (status, key)
                                                         : 0;
}

/**
 * ood_test_proc_count_fds:
 *
 * Returns: how many file descriptors @pid has open (the entries of
 *   /proc/@pid/fd), 0 when the process is gone
 */
guint
ood_test_proc_count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/**
 * ood_test_thread_switches:
 *
 * Returns: (transfer full): "TID (NAME)" → voluntary + nonvoluntary
 *   context switches (a guint64) of every thread of @pid
 */
gboolean
ood_test_pid_alive (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *close;

  if (pid <= 0 || !g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  /* the state follows the command name, which may hold anything but ends
   * at the last ')' */
  close = strrchr (stat, ')');
  return close != NULL && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
}

char *
ood_test_proc_cmdline (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  char *text = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &text, &length, NULL));
  for (gsize i = 0; i + 1 < length; i++)
    if (text[i] == '\0')
      text[i] = ' ';
  return text;
}

GHashTable *
ood_test_thread_switches (GPid pid)
{
  GHashTable *threads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (task_dir, 0, NULL);
  const char *tid;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (task_dir, tid, "status", NULL);
      g_autofree char *text = NULL;
      const char *name;
      guint64 *switches;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      name = strstr (text, "Name:\t");
      name = name != NULL ? name + strlen ("Name:\t") : "?";
      switches = g_new (guint64, 1);
      *switches = ood_test_status_field (text, "voluntary_ctxt_switches") +
                  ood_test_status_field (text, "nonvoluntary_ctxt_switches");
      g_hash_table_insert (threads, g_strdup_printf ("%s (%.*s)", tid, (int) strcspn (name, "\n"),
                                                     name),
                           switches);
    }
  return threads;
}

/**
 * ood_test_switches_between:
 * @detail: (nullable): gets " THREAD: N;" for each thread switched to,
 *   " THREAD: exited;" for each that exited
 *
 * Returns: the context switches from @before to @after, thread by thread:
 *   a thread that appeared counts all of its switches, one that exited at
 *   least the wake-up that ended it (its own count left with it)
 */
guint64
ood_test_switches_between (GHashTable *before, GHashTable *after, GString *detail)
{
  GHashTableIter iter;
  gpointer key, value;
  guint64 total = 0;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const guint64 *then = g_hash_table_lookup (before, key);
      guint64 delta = *(const guint64 *) value - (then != NULL ? *then : 0);

      if (delta != 0 && detail != NULL)
        g_string_append_printf (detail, " %s: %" G_GUINT64_FORMAT ";", (const char *) key, delta);
      total += delta;
    }
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (after, key))
      {
        if (detail != NULL)
          g_string_append_printf (detail, " %s: exited;", (const char *) key);
        total += 1;
      }
  return total;
}
