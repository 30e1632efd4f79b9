/* RISC-V Debug Module (spec 0.13) for 1 to SIM_MAX_HARTS harts sharing one
 * memory.  Harts are selected by dmcontrol.hartsello (as many bits as the
 * hart count needs: none for one hart, so hartsel then reads 0) and, with
 * more than one hart, also by the hart array mask: hasel, hawindowsel 0 and
 * hawindow (harts 0..31).  dmstatus' any and all bits, haltreq,
 * resumereq, ackhavereset and the halt-on-reset bits (hasresethaltreq,
 * setresethaltreq, clrresethaltreq) act on the selected harts; a hartsel
 * beyond the last hart selects a nonexistent one.  haltsum0 has a bit per
 * halted hart, haltsum1 bit 0 says some hart is halted.  ndmreset and the
 * adapter's srst reset every hart and the flash controller.  No program
 * buffer; abstract register and memory commands on the hart hartsel
 * names; System Bus Access (sbversion 1, 32-bit addresses, 8/16/32-bit
 * accesses, sbautoincrement, sbreadonaddr, sbreadondata) that reads and
 * writes memory through sim_mem_read() and sim_mem_write() while the harts
 * run.  Bus accesses complete at once, so sbbusy always reads 0 and
 * sbbusyerror is never set by the DM. */
#pragma once

#include "hart.h"

typedef struct {
  SimHart *harts;
  unsigned n_harts;
  SimMem *mem;
  bool dmactive;
  bool ndmreset;
  bool sys_reset;   /* srst from the adapter */
  uint32_t hartsel;
  bool hasel;
  uint32_t hawindow;
  uint32_t haltreq;       /* per hart, bit i for hart i */
  uint32_t resethaltreq;  /* the harts' halt-on-reset bits */
  uint32_t resumeack;
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

void sim_dm_init (SimDm *dm, SimHart *harts, unsigned n_harts, SimMem *mem);
uint32_t sim_dm_read (SimDm *dm, uint32_t addr);
void sim_dm_write (SimDm *dm, uint32_t addr, uint32_t value);
void sim_dm_set_system_reset (SimDm *dm, bool asserted);
/* True while hart @i is running and not held in reset. */
bool sim_dm_hart_runs (SimDm *dm, unsigned i);
