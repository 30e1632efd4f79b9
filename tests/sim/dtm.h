/* RISC-V Debug Transport Module registers behind the JTAG TAP. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "debug-module.h"

#define SIM_IR_IDCODE  0x01u
#define SIM_IR_DTMCS   0x10u
#define SIM_IR_DMI     0x11u
#define SIM_IR_BYPASS  0x1fu
#define SIM_DTM_ABITS  7u

typedef struct {
  SimDm *dm;
  uint32_t dmi_addr;
  uint32_t dmi_data;
  uint32_t dmi_status;  /* sticky op status: 0 success, 2 failed */
} SimDtm;

/* Non-zero while the board's debug link is broken (main.c: SIGUSR1 breaks
 * it, SIGUSR2 mends it): the DTM then cannot reach the Debug Module, as
 * when the DM's power domain is off.  Every DMI access fails (op status 2,
 * "failed") and nothing reaches the DM, while the TAP, IDCODE and dtmcs
 * answer as ever and the harts go on as they were.  Once mended, DMI
 * accesses work again at once, with no dmireset needed (OpenOCD 0.12 only
 * sends dmireset after a "busy").
 * Why not a TDO stuck at 1, as a pulled-up TDO reads when the target loses
 * power: every DMI scan then reads "busy", and OpenOCD 0.12 answers each
 * busy by adding 10% more Run-Test/Idle cycles to every later DMI scan,
 * with no way back, so within seconds each scan costs megabytes of
 * remote_bitbang traffic (the simulator falls behind and OpenOCD drops what
 * its non-blocking socket cannot take), and OpenOCD never reaches the
 * board again after the mend. */
extern volatile sig_atomic_t sim_link_broken;

void sim_dtm_init (SimDtm *dtm, SimDm *dm);
/* Width of the data register IR selects. */
unsigned sim_dtm_dr_length (uint32_t ir);
/* Value loaded in Capture-DR. */
uint64_t sim_dtm_capture (SimDtm *dtm, uint32_t ir);
/* Value shifted in, acted on in Update-DR. */
void sim_dtm_update (SimDtm *dtm, uint32_t ir, uint64_t value);
