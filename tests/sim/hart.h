/* RV32IM harts, each with its own registers, CSRs (mhartid its index),
 * triggers and the debug-mode state the Debug Module needs (dcsr, dpc),
 * sharing one memory: 1 MiB of RAM, the flash and the clock. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "flash.h"

#define SIM_RAM_BASE      0x80000000u
#define SIM_RAM_SIZE      0x100000u
#define SIM_RESET_VECTOR  SIM_RAM_BASE
#define SIM_NUM_TRIGGERS  4u
#define SIM_MAX_HARTS     8u
/* The built-in program stores each hart's loop counter on every iteration
 * at SIM_COUNTER_ADDR + 4 * mhartid (default-program.c). */
#define SIM_COUNTER_ADDR  0x80008000u
/* A read-only clock, like a CLINT's mtime: the 64-bit CLOCK_MONOTONIC time
 * in microseconds (g_get_monotonic_time(), so a test on the same machine
 * can compare it with its own clock), as two little-endian 32-bit words,
 * the low one at SIM_CLOCK_ADDR and the high one at SIM_CLOCK_ADDR + 4.
 * Only aligned 32-bit reads work (by the hart or over System Bus Access);
 * writes and other sizes are bus errors.  The two halves are read
 * separately: read high, low, high again to get a consistent value. */
#define SIM_CLOCK_ADDR    0x0200bff8u

/* The triggers are mcontrol (type 2) address triggers, debug spec 0.13.2
 * section 5.2.9, on instruction fetches (execute), loads and stores:
 *   match   0 (equal), 1 (NAPOT: tdata2's trailing ones mask the low
 *           address bits, maskmax 31), 2 (address >= tdata2), 3 (<)
 *   sizelo  0 only (any access size): a load or store matches on the
 *           address of its lowest byte
 *   action  0 (breakpoint exception, mtval the address) and 1 (enter
 *           debug mode, dcsr.cause trigger)
 *   timing  0 only: the hart stops BEFORE the instruction that fires the
 *           trigger, which has no effect yet (a store has not written,
 *           a load has not written rd), so dpc or mepc is that instruction
 *   select 0, chain 0, s 0 and u 0 only (M-mode only, no data match).
 * A tdata1 write keeps what is supported and stores 0 for any other value
 * of a field (WARL), so the debugger reads back what the trigger does.
 * Only the m bit, execute/store/load, action, match, dmode and hit are
 * writable; hit is set when the trigger fires. */
#define SIM_TRIGGER_LOAD     (1u << 0)
#define SIM_TRIGGER_STORE    (1u << 1)
#define SIM_TRIGGER_EXECUTE  (1u << 2)

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

/* What the harts share. */
typedef struct {
  uint8_t ram[SIM_RAM_SIZE];
  SimFlash flash;  /* also reached through sim_mem_read/write */
} SimMem;

typedef struct {
  uint32_t id;     /* mhartid */
  SimMem *mem;
  uint32_t x[32];
  uint32_t pc;
  uint32_t mstatus, mtvec, mie, mip, mscratch, mepc, mcause, mtval;
  uint32_t dcsr, dpc, dscratch0;
  uint32_t tselect;
  uint32_t tdata1[SIM_NUM_TRIGGERS];
  uint32_t tdata2[SIM_NUM_TRIGGERS];
  uint32_t triggers_armed;  /* SIM_TRIGGER_* of any trigger that can fire */
  uint64_t cycle, instret;
  bool halted;     /* in debug mode */
  bool havereset;
} SimHart;

void sim_mem_init (SimMem *mem);
/* A system reset of the memory: the flash controller's registers. */
void sim_mem_reset (SimMem *mem);

void sim_hart_init (SimHart *h, uint32_t id, SimMem *mem);
/* Resets the hart's registers (a0 = mhartid, the others 0, as a boot ROM
 * would leave them) and its debug state; not the memory. */
void sim_hart_reset (SimHart *h);
void sim_hart_enter_debug (SimHart *h, SimDebugCause cause);
void sim_hart_resume (SimHart *h);
unsigned sim_hart_run (SimHart *h, unsigned max_insns);

bool sim_hart_csr_read (SimHart *h, uint32_t csr, uint32_t *value);
bool sim_hart_csr_write (SimHart *h, uint32_t csr, uint32_t value);

bool sim_mem_read (SimMem *mem, uint32_t addr, unsigned size, uint32_t *value);
bool sim_mem_write (SimMem *mem, uint32_t addr, unsigned size, uint32_t value);

/* The first trigger of @kind (SIM_TRIGGER_*) that matches @addr fires:
 * the hart enters debug mode (dpc = pc) or takes a breakpoint exception,
 * as the trigger's action says.  True if one fired (hart-exec.c). */
bool sim_hart_trigger (SimHart *h, uint32_t kind, uint32_t addr);

/* Executes one instruction (hart-exec.c); true if it entered debug mode. */
bool sim_hart_exec_one (SimHart *h);
void sim_hart_trap (SimHart *h, uint32_t cause, uint32_t tval);

/* default-program.c */
void sim_mem_load_default_program (SimMem *mem);
gboolean sim_mem_load_image (SimMem *mem, const char *path, GError **error);
