/* RISC-V Debug Module (spec 0.13) for one hart: no program buffer;
 * halt-on-reset (hasresethaltreq, setresethaltreq, clrresethaltreq);
 * abstract register and memory commands; System Bus Access (sbversion 1,
 * 32-bit addresses, 8/16/32-bit accesses, sbautoincrement, sbreadonaddr,
 * sbreadondata) that reads and writes memory through sim_mem_read() and
 * sim_mem_write() while the hart runs.  Bus accesses complete at once, so
 * sbbusy always reads 0 and sbbusyerror is never set by the DM. */
#pragma once

#include "hart.h"

typedef struct {
  SimHart *hart;
  bool dmactive;
  bool ndmreset;
  bool haltreq;
  bool resethaltreq; /* the hart's halt-on-reset bit */
  bool resumeack;
  bool sys_reset;   /* srst from the adapter */
  uint32_t data[2];
  uint32_t cmderr;
  struct {
    uint32_t control;  /* sbcs' read/write fields, in place */
    uint32_t error;    /* sbcs.sberror */
    bool busyerror;    /* sbcs.sbbusyerror */
    uint32_t address;  /* sbaddress0 */
    uint32_t data;     /* sbdata0 */
  } sb;
} SimDm;

void sim_dm_init (SimDm *dm, SimHart *hart);
uint32_t sim_dm_read (SimDm *dm, uint32_t addr);
void sim_dm_write (SimDm *dm, uint32_t addr, uint32_t value);
void sim_dm_set_system_reset (SimDm *dm, bool asserted);
/* True while the hart is running and not held in reset. */
bool sim_dm_hart_runs (SimDm *dm);
