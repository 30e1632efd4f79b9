/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"

G_BEGIN_DECLS

/* org.openocd.Memory of one target: reads and writes in chunks of
 * OOD_TCL_MEM_CHUNK bytes, one session call each, the next queued only
 * when the previous one answered, so other callers' commands go between. */

#define OOD_TYPE_MEMORY (ood_memory_get_type ())
G_DECLARE_FINAL_TYPE (OodMemory, ood_memory, OOD, MEMORY, OodDbusMemorySkeleton)

OodMemory *ood_memory_new   (OodSession *session,
                             const char *target_name);
void       ood_memory_learn (OodMemory *self);

G_END_DECLS
