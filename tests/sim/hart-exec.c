/* RV32IM instruction execution for a simulated hart. */
#include "hart.h"

#define OP_LOAD     0x03
#define OP_MISC_MEM 0x0f
#define OP_IMM      0x13
#define OP_AUIPC    0x17
#define OP_STORE    0x23
#define OP_REG      0x33
#define OP_LUI      0x37
#define OP_BRANCH   0x63
#define OP_JALR     0x67
#define OP_JAL      0x6f
#define OP_SYSTEM   0x73

#define EXC_INSN_MISALIGNED  0
#define EXC_INSN_FAULT       1
#define EXC_ILLEGAL          2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_FAULT       5
#define EXC_STORE_FAULT      7
#define EXC_ECALL_M          11

#define INSN_EBREAK    0x00100073u
#define INSN_C_EBREAK  0x9002u
#define DCSR_EBREAKM   (1u << 15)
#define MSTATUS_MIE    (1u << 3)
#define MSTATUS_MPIE   (1u << 7)
#define MSTATUS_MPP    (3u << 11)

/* mcontrol fields (XLEN 32) */
#define MC_HIT         (1u << 20)
#define MC_ACTION(t)   (((t) >> 12) & 0xfu)
#define MC_MATCH(t)    (((t) >> 7) & 0xfu)
#define MC_M           (1u << 6)

typedef struct {
  uint32_t raw, rd, rs1, rs2, f3, f7;
  uint32_t a, b;  /* values of rs1, rs2 */
} Insn;

static inline int32_t
sext (uint32_t v, unsigned bits)
{
  uint32_t m = 1u << (bits - 1);
  return (int32_t) ((v ^ m) - m);
}

static int32_t imm_i (uint32_t r) { return (int32_t) r >> 20; }
static int32_t imm_s (uint32_t r) { return sext (((r >> 25) << 5) | ((r >> 7) & 0x1f), 12); }

static int32_t
imm_b (uint32_t r)
{
  uint32_t v = ((r >> 31) << 12) | (((r >> 7) & 1) << 11) |
               (((r >> 25) & 0x3f) << 5) | (((r >> 8) & 0xf) << 1);
  return sext (v, 13);
}

static int32_t
imm_j (uint32_t r)
{
  uint32_t v = ((r >> 31) << 20) | (((r >> 12) & 0xff) << 12) |
               (((r >> 20) & 1) << 11) | (((r >> 21) & 0x3ff) << 1);
  return sext (v, 21);
}

static void
set_rd (SimHart *h, const Insn *in, uint32_t v)
{
  if (in->rd != 0)
    h->x[in->rd] = v;
}

void
sim_hart_trap (SimHart *h, uint32_t cause, uint32_t tval)
{
  uint32_t mie = (h->mstatus & MSTATUS_MIE) ? MSTATUS_MPIE : 0;

  h->mepc = h->pc;
  h->mcause = cause;
  h->mtval = tval;
  h->mstatus = (h->mstatus & ~(MSTATUS_MIE | MSTATUS_MPIE)) | mie | MSTATUS_MPP;
  h->pc = h->mtvec;
}

static bool
address_matches (uint32_t tdata1, uint32_t tdata2, uint32_t addr)
{
  switch (MC_MATCH (tdata1))
    {
    case 0: return addr == tdata2;
    case 1:
      {
        uint32_t low = ~tdata2 & (tdata2 + 1);  /* the lowest clear bit */
        uint32_t mask = low ? ~((low << 1) - 1) : 0;
        return (addr & mask) == (tdata2 & mask);
      }
    case 2: return addr >= tdata2;
    default: return addr < tdata2;
    }
}

bool
sim_hart_trigger (SimHart *h, uint32_t kind, uint32_t addr)
{
  for (unsigned i = 0; i < SIM_NUM_TRIGGERS; i++)
    {
      uint32_t t = h->tdata1[i];

      if (!(t & kind) || !(t & MC_M) || !address_matches (t, h->tdata2[i], addr))
        continue;
      h->tdata1[i] |= MC_HIT;
      if (MC_ACTION (t) == 1)
        sim_hart_enter_debug (h, SIM_CAUSE_TRIGGER);
      else
        sim_hart_trap (h, EXC_BREAKPOINT, addr);
      return true;
    }
  return false;
}

/* Before a load or store at @addr: true if a trigger fired. */
static bool
data_trigger (SimHart *h, uint32_t kind, uint32_t addr)
{
  return (h->triggers_armed & kind) && sim_hart_trigger (h, kind, addr);
}

static uint32_t
alu (const Insn *in, uint32_t a, uint32_t b, bool is_reg)
{
  bool alt = (in->f7 & 0x20) != 0;

  switch (in->f3)
    {
    case 0: return (is_reg && alt) ? a - b : a + b;
    case 1: return a << (b & 31);
    case 2: return (int32_t) a < (int32_t) b;
    case 3: return a < b;
    case 4: return a ^ b;
    case 5: return alt ? (uint32_t) ((int32_t) a >> (b & 31)) : a >> (b & 31);
    case 6: return a | b;
    default: return a & b;
    }
}

static uint32_t
muldiv (const Insn *in)
{
  int32_t sa = (int32_t) in->a, sb = (int32_t) in->b;
  uint32_t a = in->a, b = in->b;

  switch (in->f3)
    {
    case 0: return a * b;
    case 1: return (uint32_t) (((int64_t) sa * (int64_t) sb) >> 32);
    case 2: return (uint32_t) (((int64_t) sa * (int64_t) (uint64_t) b) >> 32);
    case 3: return (uint32_t) (((uint64_t) a * (uint64_t) b) >> 32);
    case 4:
      if (b == 0) return UINT32_MAX;
      if (sa == INT32_MIN && sb == -1) return a;
      return (uint32_t) (sa / sb);
    case 5: return b == 0 ? UINT32_MAX : a / b;
    case 6:
      if (b == 0) return a;
      if (sa == INT32_MIN && sb == -1) return 0;
      return (uint32_t) (sa % sb);
    default: return b == 0 ? a : a % b;
    }
}

static bool
exec_reg (SimHart *h, const Insn *in)
{
  if (in->f7 == 1)
    set_rd (h, in, muldiv (in));
  else if (in->f7 == 0 || (in->f7 == 0x20 && (in->f3 == 0 || in->f3 == 5)))
    set_rd (h, in, alu (in, in->a, in->b, true));
  else
    return false;
  return true;
}

static bool
exec_imm (SimHart *h, const Insn *in)
{
  uint32_t imm = (uint32_t) imm_i (in->raw);

  if (in->f3 == 1 && in->f7 != 0)
    return false;
  if (in->f3 == 5 && in->f7 != 0 && in->f7 != 0x20)
    return false;
  set_rd (h, in, alu (in, in->a, imm, false));
  return true;
}

static bool
branch_taken (const Insn *in)
{
  switch (in->f3)
    {
    case 0: return in->a == in->b;
    case 1: return in->a != in->b;
    case 4: return (int32_t) in->a < (int32_t) in->b;
    case 5: return (int32_t) in->a >= (int32_t) in->b;
    case 6: return in->a < in->b;
    default: return in->a >= in->b;
    }
}

/* Returns the next pc, or sets *exc. */
static uint32_t
exec_control (SimHart *h, const Insn *in, int *exc)
{
  uint32_t op = in->raw & 0x7f, target, link = h->pc + 4;

  if (op == OP_JAL)
    target = h->pc + (uint32_t) imm_j (in->raw);
  else if (op == OP_JALR)
    target = (in->a + (uint32_t) imm_i (in->raw)) & ~1u;
  else if (in->f3 == 2 || in->f3 == 3)
    {
      *exc = EXC_ILLEGAL;
      return 0;
    }
  else if (branch_taken (in))
    target = h->pc + (uint32_t) imm_b (in->raw);
  else
    return link;
  if (target & 3)
    {
      *exc = EXC_INSN_MISALIGNED;
      return target;
    }
  if (op != OP_BRANCH)
    set_rd (h, in, link);
  return target;
}

static int
exec_load (SimHart *h, const Insn *in)
{
  static const unsigned sizes[8] = { 1, 2, 4, 0, 1, 2, 0, 0 };
  unsigned size = sizes[in->f3];
  uint32_t addr = in->a + (uint32_t) imm_i (in->raw), v;

  if (size == 0)
    return EXC_ILLEGAL;
  if (data_trigger (h, SIM_TRIGGER_LOAD, addr))
    return -2;
  if (!sim_mem_read (h->mem, addr, size, &v))
    {
      h->mtval = addr;
      return EXC_LOAD_FAULT;
    }
  if (in->f3 < 2)
    v = (uint32_t) sext (v, size * 8);
  set_rd (h, in, v);
  return -1;
}

static int
exec_store (SimHart *h, const Insn *in)
{
  uint32_t addr = in->a + (uint32_t) imm_s (in->raw);

  if (in->f3 > 2)
    return EXC_ILLEGAL;
  if (data_trigger (h, SIM_TRIGGER_STORE, addr))
    return -2;
  if (!sim_mem_write (h->mem, addr, 1u << in->f3, in->b))
    {
      h->mtval = addr;
      return EXC_STORE_FAULT;
    }
  return -1;
}

static int
exec_csr (SimHart *h, const Insn *in)
{
  uint32_t csr = in->raw >> 20, old = 0, src, val;
  bool imm = (in->f3 & 4) != 0, writes;

  src = imm ? in->rs1 : in->a;
  if (!sim_hart_csr_read (h, csr, &old))
    return EXC_ILLEGAL;
  switch (in->f3 & 3)
    {
    case 1: val = src; writes = true; break;
    case 2: val = old | src; writes = in->rs1 != 0; break;
    case 3: val = old & ~src; writes = in->rs1 != 0; break;
    default: return EXC_ILLEGAL;
    }
  if (writes && !sim_hart_csr_write (h, csr, val))
    return EXC_ILLEGAL;
  set_rd (h, in, old);
  return -1;
}

/* ebreak, ecall, mret, wfi and the CSR instructions.  Returns an exception
 * code, -1 for "done, pc += 4", or -2 for "entered debug mode / pc set"
 * (as do loads and stores that fire a trigger). */
static int
exec_system (SimHart *h, const Insn *in)
{
  if (in->f3 != 0)
    return exec_csr (h, in);
  switch (in->raw)
    {
    case INSN_EBREAK:
      if (!(h->dcsr & DCSR_EBREAKM))
        return EXC_BREAKPOINT;
      sim_hart_enter_debug (h, SIM_CAUSE_EBREAK);
      return -2;
    case 0x00000073u:
      return EXC_ECALL_M;
    case 0x30200073u:  /* mret */
      h->mstatus = (h->mstatus & ~MSTATUS_MIE) |
                   ((h->mstatus & MSTATUS_MPIE) ? MSTATUS_MIE : 0) | MSTATUS_MPIE;
      h->pc = h->mepc;
      return -2;
    case 0x10500073u:  /* wfi: nothing can interrupt, treat as nop */
      return -1;
    default:
      return EXC_ILLEGAL;
    }
}

static int
exec_decoded (SimHart *h, Insn *in, uint32_t *next_pc)
{
  int exc = -1;

  switch (in->raw & 0x7f)
    {
    case OP_LUI: set_rd (h, in, in->raw & 0xfffff000u); break;
    case OP_AUIPC: set_rd (h, in, h->pc + (in->raw & 0xfffff000u)); break;
    case OP_IMM: if (!exec_imm (h, in)) exc = EXC_ILLEGAL; break;
    case OP_REG: if (!exec_reg (h, in)) exc = EXC_ILLEGAL; break;
    case OP_LOAD: exc = exec_load (h, in); break;
    case OP_STORE: exc = exec_store (h, in); break;
    case OP_MISC_MEM: break;  /* fence, fence.i: no caches here */
    case OP_JAL: case OP_JALR: case OP_BRANCH:
      *next_pc = exec_control (h, in, &exc);
      break;
    case OP_SYSTEM: exc = exec_system (h, in); break;
    default: exc = EXC_ILLEGAL; break;
    }
  return exc;
}

static void
decode (SimHart *h, uint32_t raw, Insn *in)
{
  in->raw = raw;
  in->rd = (raw >> 7) & 0x1f;
  in->f3 = (raw >> 12) & 7;
  in->rs1 = (raw >> 15) & 0x1f;
  in->rs2 = (raw >> 20) & 0x1f;
  in->f7 = raw >> 25;
  in->a = h->x[in->rs1];
  in->b = h->x[in->rs2];
}

static bool
fetch (SimHart *h, uint32_t *raw)
{
  if (h->pc & 3)
    {
      sim_hart_trap (h, EXC_INSN_MISALIGNED, h->pc);
      return false;
    }
  if (!sim_mem_read (h->mem, h->pc, 4, raw))
    {
      sim_hart_trap (h, EXC_INSN_FAULT, h->pc);
      return false;
    }
  return true;
}

bool
sim_hart_exec_one (SimHart *h)
{
  uint32_t raw;
  Insn in;

  h->cycle++;
  if ((h->triggers_armed & SIM_TRIGGER_EXECUTE) &&
      sim_hart_trigger (h, SIM_TRIGGER_EXECUTE, h->pc))
    return h->halted;
  if (!fetch (h, &raw))
    return false;
  if ((raw & 0xffff) == INSN_C_EBREAK && (h->dcsr & DCSR_EBREAKM))
    {
      sim_hart_enter_debug (h, SIM_CAUSE_EBREAK);
      return true;
    }
  decode (h, raw, &in);
  uint32_t next_pc = h->pc + 4;
  int exc = exec_decoded (h, &in, &next_pc);
  if (exc == -2)
    return h->halted;
  if (exc >= 0)
    {
      uint32_t tval = (exc == EXC_ILLEGAL) ? raw :
                      (exc == EXC_INSN_MISALIGNED) ? next_pc : h->mtval;
      sim_hart_trap (h, (uint32_t) exc, tval);
      return false;
    }
  h->pc = next_pc;
  h->instret++;
  return false;
}
