/* One RV32IM hart with 1 MiB of RAM and the debug-mode state the Debug
 * Module needs (dcsr, dpc, triggers). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "flash.h"

#define SIM_RAM_BASE      0x80000000u
#define SIM_RAM_SIZE      0x100000u
#define SIM_RESET_VECTOR  SIM_RAM_BASE
#define SIM_NUM_TRIGGERS  4u
/* The built-in program stores its loop counter here on every iteration. */
#define SIM_COUNTER_ADDR  0x80008000u
/* A read-only clock, like a CLINT's mtime: the 64-bit CLOCK_MONOTONIC time
 * in microseconds (g_get_monotonic_time(), so a test on the same machine
 * can compare it with its own clock), as two little-endian 32-bit words,
 * the low one at SIM_CLOCK_ADDR and the high one at SIM_CLOCK_ADDR + 4.
 * Only aligned 32-bit reads work (by the hart or over System Bus Access);
 * writes and other sizes are bus errors.  The two halves are read
 * separately: read high, low, high again to get a consistent value. */
#define SIM_CLOCK_ADDR    0x0200bff8u

/* dcsr.cause values (debug spec 0.13.2, table 4.2), and where the board
 * sets each: ebreak (an ebreak with dcsr.ebreakm set), trigger (an mcontrol
 * trigger with action 1), haltreq (dmcontrol.haltreq, also a hart that
 * leaves reset with haltreq set), step (a resume with dcsr.step set, after
 * its one instruction), resethaltreq (a hart that leaves reset with its
 * halt-on-reset bit set, dmcontrol.setresethaltreq).  When two apply at
 * once the higher priority wins: trigger, ebreak, resethaltreq, haltreq,
 * step (lowest). */
typedef enum {
  SIM_CAUSE_EBREAK = 1,
  SIM_CAUSE_TRIGGER = 2,
  SIM_CAUSE_HALTREQ = 3,
  SIM_CAUSE_STEP = 4,
  SIM_CAUSE_RESETHALTREQ = 5,
} SimDebugCause;

typedef struct {
  uint32_t x[32];
  uint32_t pc;
  uint32_t mstatus, mtvec, mie, mip, mscratch, mepc, mcause, mtval;
  uint32_t dcsr, dpc, dscratch0;
  uint32_t tselect;
  uint32_t tdata1[SIM_NUM_TRIGGERS];
  uint32_t tdata2[SIM_NUM_TRIGGERS];
  uint64_t cycle, instret;
  bool halted;     /* in debug mode */
  bool havereset;
  uint8_t ram[SIM_RAM_SIZE];
  SimFlash flash;  /* also reached through sim_mem_read/write */
} SimHart;

void sim_hart_init (SimHart *h);
void sim_hart_reset (SimHart *h);
void sim_hart_enter_debug (SimHart *h, SimDebugCause cause);
void sim_hart_resume (SimHart *h);
unsigned sim_hart_run (SimHart *h, unsigned max_insns);

bool sim_hart_csr_read (SimHart *h, uint32_t csr, uint32_t *value);
bool sim_hart_csr_write (SimHart *h, uint32_t csr, uint32_t value);

bool sim_mem_read (SimHart *h, uint32_t addr, unsigned size, uint32_t *value);
bool sim_mem_write (SimHart *h, uint32_t addr, unsigned size, uint32_t value);

/* Executes one instruction (hart-exec.c); true if it entered debug mode. */
bool sim_hart_exec_one (SimHart *h);
void sim_hart_trap (SimHart *h, uint32_t cause, uint32_t tval);

/* default-program.c */
void sim_hart_load_default_program (SimHart *h);
gboolean sim_hart_load_image (SimHart *h, const char *path, GError **error);
