/* SPDX-License-Identifier: MIT */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The state names OpenOCD uses, and so the values of the State property. */
#define OOD_STATE_UNKNOWN       "unknown"
#define OOD_STATE_RUNNING       "running"
#define OOD_STATE_HALTED        "halted"
#define OOD_STATE_RESET         "reset"
#define OOD_STATE_DEBUG_RUNNING "debug-running"

const char *ood_state_canonical (const char *state);

GVariant   *ood_state_dict_new (const char *name,
                                const char *state,
                                gboolean    pc_valid,
                                guint64     pc);

gboolean    ood_state_dict_parse (GVariant    *dict,
                                  const char **name,
                                  const char **state,
                                  gboolean    *pc_valid,
                                  guint64     *pc);

G_END_DECLS
