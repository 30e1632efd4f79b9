/* RISC-V Debug Transport Module registers behind the JTAG TAP. */
#pragma once

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

void sim_dtm_init (SimDtm *dtm, SimDm *dm);
/* Width of the data register IR selects. */
unsigned sim_dtm_dr_length (uint32_t ir);
/* Value loaded in Capture-DR. */
uint64_t sim_dtm_capture (SimDtm *dtm, uint32_t ir);
/* Value shifted in, acted on in Update-DR. */
void sim_dtm_update (SimDtm *dtm, uint32_t ir, uint64_t value);
