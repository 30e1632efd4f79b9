/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"
#include "ood-session.h"
#include "ood-target.h"

G_BEGIN_DECLS

/* org.openocd.Registers of one target: the names OpenOCD lists, learnt on
 * every connect, and forced reads and writes of their values. A write of
 * the PC is applied to the sibling org.openocd.Target it was handed. */

#define OOD_TYPE_REGISTERS (ood_registers_get_type ())
G_DECLARE_FINAL_TYPE (OodRegisters, ood_registers, OOD, REGISTERS, OodDbusRegistersSkeleton)

OodRegisters *ood_registers_new    (OodSession *session,
                                    const char *target_name,
                                    OodTarget  *target);
void          ood_registers_learn (OodRegisters *self);

G_END_DECLS
