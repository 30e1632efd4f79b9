#include "debug-module.h"

#include <string.h>

#include "sim-log.h"

#define DM_DATA0        0x04
#define DM_DATA1        0x05
#define DM_DMCONTROL    0x10
#define DM_DMSTATUS     0x11
#define DM_HARTINFO     0x12
#define DM_HALTSUM1     0x13
#define DM_HAWINDOWSEL  0x14
#define DM_HAWINDOW     0x15
#define DM_ABSTRACTCS   0x16
#define DM_COMMAND      0x17
#define DM_SBCS         0x38
#define DM_SBADDRESS0   0x39
#define DM_SBDATA0      0x3c
#define DM_HALTSUM0     0x40

#define DMCONTROL_HALTREQ       (1u << 31)
#define DMCONTROL_RESUMEREQ     (1u << 30)
#define DMCONTROL_ACKHAVERESET  (1u << 28)
#define DMCONTROL_HASEL         (1u << 26)
#define DMCONTROL_HARTSELLO_SHIFT 16
#define DMCONTROL_SETRESETHALTREQ (1u << 3)
#define DMCONTROL_CLRRESETHALTREQ (1u << 2)
#define DMCONTROL_NDMRESET      (1u << 1)
#define DMCONTROL_DMACTIVE      (1u << 0)

#define CMDERR_NONE         0
#define CMDERR_NOT_SUPPORTED 2
#define CMDERR_EXCEPTION    3
#define CMDERR_HALT_RESUME  4
#define CMDERR_BUS          5

#define AC_AARSIZE(c)       (((c) >> 20) & 7u)
#define AC_POSTINCREMENT    (1u << 19)
#define AC_POSTEXEC         (1u << 18)
#define AC_TRANSFER         (1u << 17)
#define AC_WRITE            (1u << 16)
#define AC_REGNO(c)         ((c) & 0xffffu)

#define SBCS_VERSION_1      (1u << 29)
#define SBCS_BUSYERROR      (1u << 22)
#define SBCS_READONADDR     (1u << 20)
#define SBCS_ACCESS_SHIFT   17
#define SBCS_ACCESS_MASK    (7u << SBCS_ACCESS_SHIFT)
#define SBCS_AUTOINCREMENT  (1u << 16)
#define SBCS_READONDATA     (1u << 15)
#define SBCS_ERROR_SHIFT    12
#define SBCS_ASIZE_32       (32u << 5)
#define SBCS_ACCESS_8_16_32 7u  /* sbaccess8, sbaccess16, sbaccess32 */
#define SBCS_WRITABLE       (SBCS_READONADDR | SBCS_ACCESS_MASK | \
                             SBCS_AUTOINCREMENT | SBCS_READONDATA)

#define SBERROR_NONE        0
#define SBERROR_ADDRESS     2
#define SBERROR_ALIGNMENT   3
#define SBERROR_SIZE        4

static void
sba_reset (SimDm *dm)
{
  memset (&dm->sb, 0, sizeof dm->sb);
  dm->sb.control = 2u << SBCS_ACCESS_SHIFT;  /* sbaccess resets to 32 bits */
}

void
sim_dm_init (SimDm *dm, SimHart *harts, unsigned n_harts, SimMem *mem)
{
  g_assert (n_harts >= 1 && n_harts <= SIM_MAX_HARTS);
  memset (dm, 0, sizeof *dm);
  dm->harts = harts;
  dm->n_harts = n_harts;
  dm->mem = mem;
  sba_reset (dm);
}

static uint32_t
all_harts (const SimDm *dm)
{
  return (1u << dm->n_harts) - 1;
}

/* hartsello's writable bits: just enough for the highest hart index. */
static uint32_t
hartsel_mask (const SimDm *dm)
{
  uint32_t mask = 0;

  while (mask < dm->n_harts - 1)
    mask = (mask << 1) | 1u;
  return mask;
}

/* The selected harts that exist, bit i for hart i; *nonexistent is set if
 * hartsel names a hart that does not. */
static uint32_t
selected (const SimDm *dm, bool *nonexistent)
{
  uint32_t sel = dm->hasel ? dm->hawindow : 0;

  *nonexistent = dm->hartsel >= dm->n_harts;
  if (!*nonexistent)
    sel |= 1u << dm->hartsel;
  return sel;
}

/* The hart hartsel names, or NULL. */
static SimHart *
current_hart (SimDm *dm)
{
  return dm->hartsel < dm->n_harts ? &dm->harts[dm->hartsel] : NULL;
}

static uint32_t
halted_harts (const SimDm *dm)
{
  uint32_t set = 0;

  for (unsigned i = 0; i < dm->n_harts; i++)
    if (dm->harts[i].halted)
      set |= 1u << i;
  return set;
}

static bool
in_reset (const SimDm *dm)
{
  return dm->ndmreset || dm->sys_reset;
}

bool
sim_dm_hart_runs (SimDm *dm, unsigned i)
{
  return !in_reset (dm) && !dm->harts[i].halted;
}

/* dmstatus' any bit (@any_bit) and all bit (the next one) of the
 * selected harts @sel for the harts in @set. */
static uint32_t
any_all (uint32_t sel, bool nonexistent, uint32_t set, unsigned any_bit)
{
  uint32_t v = 0;

  if (sel & set)
    v |= 1u << any_bit;
  if (sel != 0 && !nonexistent && (sel & set) == sel)
    v |= 2u << any_bit;
  return v;
}

static uint32_t
dmstatus (const SimDm *dm)
{
  bool nonexistent;
  uint32_t sel = selected (dm, &nonexistent);
  uint32_t halted = halted_harts (dm), havereset = 0;
  uint32_t live = in_reset (dm) ? 0 : all_harts (dm);
  /* version 0.13, hasresethaltreq, authenticated */
  uint32_t v = 2u | (1u << 5) | (1u << 7);

  for (unsigned i = 0; i < dm->n_harts; i++)
    if (dm->harts[i].havereset)
      havereset |= 1u << i;
  v |= any_all (sel, nonexistent, live & halted, 8);
  v |= any_all (sel, nonexistent, live & ~halted, 10);
  v |= any_all (sel, nonexistent, all_harts (dm) & ~live, 12);
  if (nonexistent)
    v |= sel == 0 ? 3u << 14 : 1u << 14;
  v |= any_all (sel, nonexistent, dm->resumeack, 16);
  v |= any_all (sel, nonexistent, havereset, 18);
  return v;
}

static uint32_t
abstractcs (const SimDm *dm)
{
  return 2u | (dm->cmderr << 8);  /* datacount 2, progbufsize 0, never busy */
}

/* sbbusy is always 0: every bus access completes within its DMI access. */
static uint32_t
sbcs (const SimDm *dm)
{
  return SBCS_VERSION_1 | (dm->sb.busyerror ? SBCS_BUSYERROR : 0) |
         dm->sb.control | (dm->sb.error << SBCS_ERROR_SHIFT) | SBCS_ASIZE_32 |
         SBCS_ACCESS_8_16_32;
}

/* One system bus access at sbaddress0 with sbdata0, the way sbcs says.
 * The hart is not involved: it keeps running. */
static void
sba_access (SimDm *dm, bool write)
{
  unsigned size_log2 = (dm->sb.control & SBCS_ACCESS_MASK) >> SBCS_ACCESS_SHIFT;
  uint32_t addr = dm->sb.address;
  unsigned size;
  bool ok;

  if (dm->sb.error != SBERROR_NONE || dm->sb.busyerror)
    return;  /* no bus access until the debugger clears the error */
  if (size_log2 > 2)
    {
      sim_trace ("sysbus access with sbaccess %u: unsupported size", size_log2);
      dm->sb.error = SBERROR_SIZE;
      return;
    }
  size = 1u << size_log2;
  if (addr % size != 0)
    {
      sim_trace ("sysbus access of %u bytes at 0x%08x: misaligned", size, addr);
      dm->sb.error = SBERROR_ALIGNMENT;
      return;
    }
  if (write)
    ok = sim_mem_write (dm->mem, addr, size,
                        dm->sb.data & (0xffffffffu >> (32 - 8 * size)));
  else
    ok = sim_mem_read (dm->mem, addr, size, &dm->sb.data);
  if (!ok)
    {
      sim_trace ("sysbus %s of %u bytes at 0x%08x: bad address",
                 write ? "write" : "read", size, addr);
      dm->sb.error = SBERROR_ADDRESS;
      return;
    }
  sim_trace ("sysbus %s of %u bytes at 0x%08x: 0x%08x", write ? "write" : "read",
             size, addr, dm->sb.data);
  if (dm->sb.control & SBCS_AUTOINCREMENT)
    dm->sb.address = addr + size;
}

/* Reading sbdata0 returns the last value read, then maybe reads the next. */
static uint32_t
read_sbdata0 (SimDm *dm)
{
  uint32_t value = dm->sb.data;

  if (dm->dmactive && (dm->sb.control & SBCS_READONDATA))
    sba_access (dm, false);
  return value;
}

static void
write_sbcs (SimDm *dm, uint32_t value)
{
  dm->sb.control = value & SBCS_WRITABLE;
  if (value & SBCS_BUSYERROR)
    dm->sb.busyerror = false;
  dm->sb.error &= ~((value >> SBCS_ERROR_SHIFT) & 7u);
}

static void
write_sbaddress0 (SimDm *dm, uint32_t value)
{
  dm->sb.address = value;
  if (dm->sb.control & SBCS_READONADDR)
    sba_access (dm, false);
}

static void
write_sbdata0 (SimDm *dm, uint32_t value)
{
  if (dm->sb.error != SBERROR_NONE || dm->sb.busyerror)
    return;
  dm->sb.data = value;
  sba_access (dm, true);
}

uint32_t
sim_dm_read (SimDm *dm, uint32_t addr)
{
  switch (addr)
    {
    case DM_DATA0: return dm->data[0];
    case DM_DATA1: return dm->data[1];
    case DM_DMCONTROL:
      return ((dm->haltreq >> dm->hartsel) & 1u ? DMCONTROL_HALTREQ : 0) |
             (dm->hasel ? DMCONTROL_HASEL : 0) |
             (dm->hartsel << DMCONTROL_HARTSELLO_SHIFT) |
             (dm->ndmreset ? DMCONTROL_NDMRESET : 0) |
             (dm->dmactive ? DMCONTROL_DMACTIVE : 0);
    case DM_DMSTATUS: return dmstatus (dm);
    case DM_ABSTRACTCS: return abstractcs (dm);
    case DM_SBCS: return sbcs (dm);
    case DM_SBADDRESS0: return dm->sb.address;
    case DM_SBDATA0: return read_sbdata0 (dm);
    case DM_HALTSUM0: return halted_harts (dm);
    case DM_HALTSUM1: return halted_harts (dm) ? 1u : 0u;
    case DM_HAWINDOW: return dm->hawindow;
    default: return 0;  /* hartinfo, hawindowsel, progbuf, sbaddress1... all zero */
    }
}

static void
release_reset (SimDm *dm)
{
  sim_mem_reset (dm->mem);
  sim_trace ("harts leave reset");
  for (unsigned i = 0; i < dm->n_harts; i++)
    {
      SimHart *h = &dm->harts[i];

      sim_hart_reset (h);
      /* resethaltreq has the higher priority (hart.h) */
      if ((dm->resethaltreq >> i) & 1u)
        sim_hart_enter_debug (h, SIM_CAUSE_RESETHALTREQ);
      else if ((dm->haltreq >> i) & 1u)
        sim_hart_enter_debug (h, SIM_CAUSE_HALTREQ);
    }
}

static void
apply_reset_lines (SimDm *dm, bool was_in_reset)
{
  if (was_in_reset && !in_reset (dm))
    release_reset (dm);
}

void
sim_dm_set_system_reset (SimDm *dm, bool asserted)
{
  bool was = in_reset (dm);

  dm->sys_reset = asserted;
  apply_reset_lines (dm, was);
}

static void
deactivate (SimDm *dm)
{
  bool was = in_reset (dm);

  dm->dmactive = false;
  dm->ndmreset = false;
  dm->haltreq = 0;
  dm->resethaltreq = 0;
  dm->hartsel = 0;
  dm->hasel = false;
  dm->hawindow = 0;
  dm->cmderr = CMDERR_NONE;
  dm->data[0] = dm->data[1] = 0;
  sba_reset (dm);
  apply_reset_lines (dm, was);
}

/* The per-hart bits dmcontrol value @v writes for the selected harts @sel:
 * halt request, halt-on-reset, havereset (acknowledged). */
static void
set_hart_bits (SimDm *dm, uint32_t sel, uint32_t v)
{
  if (v & DMCONTROL_HALTREQ)
    dm->haltreq |= sel;
  else
    dm->haltreq &= ~sel;
  if (v & DMCONTROL_SETRESETHALTREQ)
    dm->resethaltreq |= sel;
  else if (v & DMCONTROL_CLRRESETHALTREQ)
    dm->resethaltreq &= ~sel;
  for (unsigned i = 0; i < dm->n_harts; i++)
    if (((sel >> i) & 1u) && (v & DMCONTROL_ACKHAVERESET))
      dm->harts[i].havereset = false;
}

/* What dmcontrol value @v asks of selected hart @i. */
static void
halt_or_resume (SimDm *dm, unsigned i, uint32_t v)
{
  SimHart *h = &dm->harts[i];

  if ((v & DMCONTROL_HALTREQ) && !h->halted)
    sim_hart_enter_debug (h, SIM_CAUSE_HALTREQ);
  else if (!(v & DMCONTROL_HALTREQ) && (v & DMCONTROL_RESUMEREQ))
    {
      dm->resumeack &= ~(1u << i);
      if (h->halted)
        sim_hart_resume (h);
      dm->resumeack |= 1u << i;
    }
}

static void
write_dmcontrol (SimDm *dm, uint32_t v)
{
  if (!(v & DMCONTROL_DMACTIVE))
    {
      deactivate (dm);
      return;
    }
  bool was = in_reset (dm);
  bool nonexistent;
  dm->dmactive = true;
  dm->ndmreset = (v & DMCONTROL_NDMRESET) != 0;
  dm->hartsel = (v >> DMCONTROL_HARTSELLO_SHIFT) & hartsel_mask (dm);
  dm->hasel = dm->n_harts > 1 && (v & DMCONTROL_HASEL);
  uint32_t sel = selected (dm, &nonexistent);
  set_hart_bits (dm, sel, v);
  apply_reset_lines (dm, was);
  if (in_reset (dm))
    return;
  for (unsigned i = 0; i < dm->n_harts; i++)
    if ((sel >> i) & 1u)
      halt_or_resume (dm, i, v);
}

static uint32_t
access_gpr_or_csr (SimDm *dm, SimHart *h, uint32_t regno, bool write)
{
  if (regno >= 0x1000 && regno < 0x1020)
    {
      if (write && regno != 0x1000)
        h->x[regno - 0x1000] = dm->data[0];
      else if (!write)
        dm->data[0] = h->x[regno - 0x1000];
      return CMDERR_NONE;
    }
  if (regno >= 0x1000)
    return CMDERR_EXCEPTION;  /* no FPRs, no custom registers */
  bool ok = write ? sim_hart_csr_write (h, regno, dm->data[0])
                  : sim_hart_csr_read (h, regno, &dm->data[0]);
  return ok ? CMDERR_NONE : CMDERR_EXCEPTION;
}

static uint32_t
access_register (SimDm *dm, uint32_t cmd)
{
  SimHart *h = current_hart (dm);

  if (cmd & AC_POSTEXEC)
    return CMDERR_NOT_SUPPORTED;
  if (!h || !h->halted)
    return CMDERR_HALT_RESUME;
  if (!(cmd & AC_TRANSFER))
    return CMDERR_NONE;
  if (AC_AARSIZE (cmd) != 2)
    return CMDERR_NOT_SUPPORTED;
  return access_gpr_or_csr (dm, h, AC_REGNO (cmd), (cmd & AC_WRITE) != 0);
}

static uint32_t
access_memory (SimDm *dm, uint32_t cmd)
{
  unsigned size_log2 = AC_AARSIZE (cmd);
  unsigned size = 1u << size_log2;
  uint32_t addr = dm->data[1];
  bool ok;

  if (size_log2 > 2 || (cmd & (1u << 23)) || (cmd & AC_POSTEXEC))
    return CMDERR_NOT_SUPPORTED;
  if (cmd & AC_WRITE)
    ok = sim_mem_write (dm->mem, addr, size, dm->data[0]);
  else
    ok = sim_mem_read (dm->mem, addr, size, &dm->data[0]);
  if (!ok)
    return CMDERR_BUS;
  if (cmd & AC_POSTINCREMENT)
    dm->data[1] = addr + size;
  return CMDERR_NONE;
}

static void
run_command (SimDm *dm, uint32_t cmd)
{
  uint32_t err;

  if (dm->cmderr != CMDERR_NONE)
    return;  /* commands are ignored until cmderr is cleared */
  switch (cmd >> 24)
    {
    case 0: err = access_register (dm, cmd); break;
    case 2: err = access_memory (dm, cmd); break;
    default: err = CMDERR_NOT_SUPPORTED; break;
    }
  sim_trace ("command 0x%08x -> cmderr %u", cmd, err);
  dm->cmderr = err;
}

void
sim_dm_write (SimDm *dm, uint32_t addr, uint32_t value)
{
  if (addr == DM_DMCONTROL)
    {
      write_dmcontrol (dm, value);
      return;
    }
  if (!dm->dmactive)
    return;
  switch (addr)
    {
    case DM_DATA0: dm->data[0] = value; break;
    case DM_DATA1: dm->data[1] = value; break;
    case DM_ABSTRACTCS: dm->cmderr &= ~((value >> 8) & 7u); break;
    case DM_COMMAND: run_command (dm, value); break;
    case DM_HAWINDOW: dm->hawindow = dm->n_harts > 1 ? value & all_harts (dm) : 0; break;
    case DM_SBCS: write_sbcs (dm, value); break;
    case DM_SBADDRESS0: write_sbaddress0 (dm, value); break;
    case DM_SBDATA0: write_sbdata0 (dm, value); break;
    default: break;
    }
}
