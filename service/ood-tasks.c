/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-tasks"

#include "ood-tasks.h"

/**
 * ood_tasks_return_all:
 * @tasks: (element-type GTask): the waiting tasks
 * @error: (nullable): the failure they all hear
 */
void
ood_tasks_return_all (GPtrArray *tasks, const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    if (error != NULL)
      g_task_return_error (g_ptr_array_index (tasks, i), g_error_copy (error));
    else
      g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}
