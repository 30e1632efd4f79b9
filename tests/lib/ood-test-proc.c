/* SPDX-License-Identifier: MIT */
#include "ood-test-proc.h"

#include <string.h>

static guint64
status_number (const char *text, const char *key)
{
  const char *p = strstr (text, key);

  return p != NULL ? g_ascii_strtoull (p + strlen (key), NULL, 10) : 0;
}

/**
 * ood_test_thread_switches:
 *
 * Returns: (transfer full): "TID (NAME)" → voluntary + nonvoluntary
 *   context switches (a guint64) of every thread of @pid
 */
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
      *switches = status_number (text, "\nvoluntary_ctxt_switches:") +
                  status_number (text, "\nnonvoluntary_ctxt_switches:");
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
