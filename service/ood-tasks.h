/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Answers everyone who waits for one answer: each GTask of @tasks
 * returns a copy of @error, or %TRUE without one. */
void ood_tasks_return_all (GPtrArray    *tasks,
                           const GError *error);

G_END_DECLS
