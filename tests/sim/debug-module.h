/* RISC-V Debug Module (spec 0.13) for one hart: no program buffer, no
 * system bus access, abstract register and memory commands only. */
#pragma once

#include "hart.h"

typedef struct {
  SimHart *hart;
  bool dmactive;
  bool ndmreset;
  bool haltreq;
  bool resumeack;
  bool sys_reset;   /* srst from the adapter */
  uint32_t data[2];
  uint32_t cmderr;
} SimDm;

void sim_dm_init (SimDm *dm, SimHart *hart);
uint32_t sim_dm_read (SimDm *dm, uint32_t addr);
void sim_dm_write (SimDm *dm, uint32_t addr, uint32_t value);
void sim_dm_set_system_reset (SimDm *dm, bool asserted);
/* True while the hart is running and not held in reset. */
bool sim_dm_hart_runs (SimDm *dm);
