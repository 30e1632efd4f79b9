#include "hart.h"

#include <string.h>

#include "sim-log.h"

#define DCSR_XDEBUGVER_4  (4u << 28)
#define DCSR_CAUSE_SHIFT  6
#define DCSR_CAUSE_MASK   (7u << DCSR_CAUSE_SHIFT)
#define DCSR_STEP         (1u << 2)
#define DCSR_PRV_M        3u
/* ebreakm/s/u, stepie, stopcount, stoptime, step */
#define DCSR_WRITABLE     ((1u << 15) | (1u << 13) | (1u << 12) | (1u << 11) | \
                           (1u << 10) | (1u << 9) | DCSR_STEP)

#define MISA_RV32IM       ((1u << 30) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')))

#define TDATA1_TYPE_MCONTROL (2u << 28)
#define TINFO_MCONTROL       (1u << 2)
#define MC_MASKMAX_31        (31u << 21)
#define MC_DMODE             (1u << 27)
#define MC_HIT               (1u << 20)
#define MC_ACTION_SHIFT      12
#define MC_MATCH_SHIFT       7
#define MC_M                 (1u << 6)
#define MC_KINDS             (SIM_TRIGGER_LOAD | SIM_TRIGGER_STORE | SIM_TRIGGER_EXECUTE)

void
sim_mem_init (SimMem *mem)
{
  memset (mem->ram, 0, sizeof mem->ram);
  sim_flash_init (&mem->flash);
}

void
sim_mem_reset (SimMem *mem)
{
  sim_flash_reset (&mem->flash);
}

void
sim_hart_init (SimHart *h, uint32_t id, SimMem *mem)
{
  memset (h, 0, sizeof *h);
  h->id = id;
  h->mem = mem;
  sim_hart_reset (h);
}

void
sim_hart_reset (SimHart *h)
{
  memset (h->x, 0, sizeof h->x);
  h->x[10] = h->id;  /* a0 */
  h->pc = SIM_RESET_VECTOR;
  h->mstatus = 0;
  h->mtvec = 0;
  h->mie = h->mip = h->mscratch = h->mepc = h->mcause = h->mtval = 0;
  h->dcsr = DCSR_XDEBUGVER_4 | DCSR_PRV_M;
  h->dpc = 0;
  h->dscratch0 = 0;
  h->tselect = 0;
  for (unsigned i = 0; i < SIM_NUM_TRIGGERS; i++)
    {
      h->tdata1[i] = TDATA1_TYPE_MCONTROL | MC_MASKMAX_31;
      h->tdata2[i] = 0;
    }
  h->triggers_armed = 0;
  h->halted = false;
  h->havereset = true;
}

void
sim_hart_enter_debug (SimHart *h, SimDebugCause cause)
{
  h->dpc = h->pc;
  h->dcsr = (h->dcsr & ~DCSR_CAUSE_MASK) | ((uint32_t) cause << DCSR_CAUSE_SHIFT);
  h->halted = true;
  sim_trace ("hart %u halted at 0x%08x (cause %d)", h->id, h->pc, cause);
}

void
sim_hart_resume (SimHart *h)
{
  h->pc = h->dpc;
  h->halted = false;
  sim_trace ("hart %u resumed at 0x%08x%s", h->id, h->pc,
             (h->dcsr & DCSR_STEP) ? " (step)" : "");
  if ((h->dcsr & DCSR_STEP) && !sim_hart_exec_one (h))
    sim_hart_enter_debug (h, SIM_CAUSE_STEP);
}

unsigned
sim_hart_run (SimHart *h, unsigned max_insns)
{
  unsigned n = 0;

  while (n < max_insns && !h->halted)
    {
      sim_hart_exec_one (h);
      n++;
    }
  return n;
}

static uint32_t *
trigger_csr (SimHart *h, uint32_t csr)
{
  unsigned t = h->tselect % SIM_NUM_TRIGGERS;

  return csr == 0x7a1 ? &h->tdata1[t] : &h->tdata2[t];
}

/* tdata1 as written, with what hart.h does not support cleared. */
static uint32_t
mcontrol_legalize (uint32_t value)
{
  uint32_t action = (value >> MC_ACTION_SHIFT) & 0xfu;
  uint32_t match = (value >> MC_MATCH_SHIFT) & 0xfu;

  return TDATA1_TYPE_MCONTROL | MC_MASKMAX_31 | (value & (MC_DMODE | MC_HIT | MC_M | MC_KINDS)) |
         (action <= 1 ? action << MC_ACTION_SHIFT : 0) |
         (match <= 3 ? match << MC_MATCH_SHIFT : 0);
}

static void
update_triggers_armed (SimHart *h)
{
  h->triggers_armed = 0;
  for (unsigned i = 0; i < SIM_NUM_TRIGGERS; i++)
    if (h->tdata1[i] & MC_M)
      h->triggers_armed |= h->tdata1[i] & MC_KINDS;
}

static uint32_t *
plain_csr (SimHart *h, uint32_t csr)
{
  switch (csr)
    {
    case 0x300: return &h->mstatus;
    case 0x304: return &h->mie;
    case 0x305: return &h->mtvec;
    case 0x340: return &h->mscratch;
    case 0x341: return &h->mepc;
    case 0x342: return &h->mcause;
    case 0x343: return &h->mtval;
    case 0x344: return &h->mip;
    case 0x7b1: return &h->dpc;
    case 0x7b2: return &h->dscratch0;
    case 0x7a1:
    case 0x7a2: return trigger_csr (h, csr);
    default: return NULL;
    }
}

static bool
counter_csr_read (SimHart *h, uint32_t csr, uint32_t *value)
{
  switch (csr)
    {
    case 0xb00: case 0xc00: *value = (uint32_t) h->cycle; return true;
    case 0xb80: case 0xc80: *value = (uint32_t) (h->cycle >> 32); return true;
    case 0xb02: case 0xc02: *value = (uint32_t) h->instret; return true;
    case 0xb82: case 0xc82: *value = (uint32_t) (h->instret >> 32); return true;
    default: return false;
    }
}

bool
sim_hart_csr_read (SimHart *h, uint32_t csr, uint32_t *value)
{
  uint32_t *p = plain_csr (h, csr);

  if (p)
    {
      *value = *p;
      return true;
    }
  switch (csr)
    {
    case 0x301: *value = MISA_RV32IM; return true;
    case 0xf11: case 0xf12: case 0xf13: *value = 0; return true;
    case 0xf14: *value = h->id; return true;
    case 0x7a0: *value = h->tselect; return true;
    case 0x7a3: *value = 0; return true;
    case 0x7a4: *value = TINFO_MCONTROL; return true;
    case 0x7b0: *value = h->dcsr; return true;
    default: return counter_csr_read (h, csr, value);
    }
}

bool
sim_hart_csr_write (SimHart *h, uint32_t csr, uint32_t value)
{
  switch (csr)
    {
    case 0x301: case 0x7a3: case 0x7a4:
      return true;  /* WARL, read-only here */
    case 0x7a0:
      /* Out-of-range selections read back as something else. */
      h->tselect = value < SIM_NUM_TRIGGERS ? value : 0;
      return true;
    case 0x7a1:
      *trigger_csr (h, csr) = mcontrol_legalize (value);
      update_triggers_armed (h);
      return true;
    case 0x7b0:
      h->dcsr = (h->dcsr & ~DCSR_WRITABLE) | (value & DCSR_WRITABLE);
      return true;
    case 0x305:
      h->mtvec = value & ~3u;
      return true;
    case 0x341: case 0x7b1:
      *plain_csr (h, csr) = value & ~3u;
      return true;
    default:
      break;
    }
  uint32_t *p = plain_csr (h, csr);
  if (!p)
    return false;
  *p = value;
  return true;
}

static bool
ram_range_ok (uint32_t addr, unsigned size)
{
  if (size != 1 && size != 2 && size != 4)
    return false;
  if (addr % size != 0 || addr < SIM_RAM_BASE)
    return false;
  return addr - SIM_RAM_BASE <= SIM_RAM_SIZE - size;
}

static bool
clock_claims (uint32_t addr)
{
  return addr - SIM_CLOCK_ADDR < 8;
}

static bool
clock_read (uint32_t addr, unsigned size, uint32_t *value)
{
  uint64_t now = (uint64_t) g_get_monotonic_time ();

  if (size != 4 || addr % 4 != 0)
    return false;
  *value = addr == SIM_CLOCK_ADDR ? (uint32_t) now : (uint32_t) (now >> 32);
  return true;
}

/* RAM, the flash and its registers (flash.c) and the clock (read only,
 * hart.h); anything else is a bus error.  The hart's loads, stores and
 * fetches and the Debug Module all come through here. */
bool
sim_mem_read (SimMem *mem, uint32_t addr, unsigned size, uint32_t *value)
{
  if (clock_claims (addr))
    return clock_read (addr, size, value);
  if (!ram_range_ok (addr, size))
    return sim_flash_claims (&mem->flash, addr) &&
           sim_flash_read (&mem->flash, addr, size, value);
  const uint8_t *p = &mem->ram[addr - SIM_RAM_BASE];
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++)
    v |= (uint32_t) p[i] << (8 * i);
  *value = v;
  return true;
}

bool
sim_mem_write (SimMem *mem, uint32_t addr, unsigned size, uint32_t value)
{
  if (!ram_range_ok (addr, size))
    return sim_flash_claims (&mem->flash, addr) &&
           sim_flash_write (&mem->flash, addr, size, value);
  uint8_t *p = &mem->ram[addr - SIM_RAM_BASE];
  for (unsigned i = 0; i < size; i++)
    p[i] = (uint8_t) (value >> (8 * i));
  return true;
}
