#include "dtm.h"

#include "sim-log.h"

#define SIM_IDCODE          0x10e31913u
#define DTMCS_VERSION_013   1u
#define DTMCS_IDLE          1u
#define DTMCS_DMIRESET      (1u << 16)
#define DTMCS_DMIHARDRESET  (1u << 17)
#define DMI_OP_READ         1u
#define DMI_OP_WRITE        2u
#define DMI_STATUS_FAILED   2u
#define DMI_LENGTH          (SIM_DTM_ABITS + 34u)

volatile sig_atomic_t sim_link_broken = 0;

void
sim_dtm_init (SimDtm *dtm, SimDm *dm)
{
  dtm->dm = dm;
  dtm->dmi_addr = 0;
  dtm->dmi_data = 0;
  dtm->dmi_status = 0;
}

unsigned
sim_dtm_dr_length (uint32_t ir)
{
  switch (ir)
    {
    case SIM_IR_IDCODE:
    case SIM_IR_DTMCS:
      return 32;
    case SIM_IR_DMI:
      return DMI_LENGTH;
    default:
      return 1;
    }
}

static uint32_t
dtmcs (const SimDtm *dtm)
{
  return DTMCS_VERSION_013 | (SIM_DTM_ABITS << 4) | (dtm->dmi_status << 10) |
         (DTMCS_IDLE << 12);
}

uint64_t
sim_dtm_capture (SimDtm *dtm, uint32_t ir)
{
  switch (ir)
    {
    case SIM_IR_IDCODE:
      return SIM_IDCODE;
    case SIM_IR_DTMCS:
      return dtmcs (dtm);
    case SIM_IR_DMI:
      return ((uint64_t) dtm->dmi_addr << 34) | ((uint64_t) dtm->dmi_data << 2) |
             (sim_link_broken ? DMI_STATUS_FAILED : dtm->dmi_status);
    default:
      return 0;
    }
}

static void
dmi_update (SimDtm *dtm, uint64_t value)
{
  uint32_t op = (uint32_t) (value & 3u);
  uint32_t data = (uint32_t) (value >> 2);
  uint32_t addr = (uint32_t) (value >> 34) & ((1u << SIM_DTM_ABITS) - 1);

  if (op != DMI_OP_READ && op != DMI_OP_WRITE)
    return;  /* nop, or the reserved op 3 */
  if (dtm->dmi_status != 0 || sim_link_broken)
    return;  /* sticky error: ignored until dmireset; or no DM to reach */
  dtm->dmi_addr = addr;
  if (op == DMI_OP_READ)
    dtm->dmi_data = sim_dm_read (dtm->dm, addr);
  else
    sim_dm_write (dtm->dm, addr, data);
  sim_trace ("dmi %s 0x%02x = 0x%08x", op == DMI_OP_READ ? "read" : "write",
             addr, op == DMI_OP_READ ? dtm->dmi_data : data);
}

void
sim_dtm_update (SimDtm *dtm, uint32_t ir, uint64_t value)
{
  if (ir == SIM_IR_DMI)
    dmi_update (dtm, value);
  else if (ir == SIM_IR_DTMCS && (value & (DTMCS_DMIRESET | DTMCS_DMIHARDRESET)))
    dtm->dmi_status = 0;
}
