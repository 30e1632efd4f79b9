/* IEEE 1149.1 TAP controller with a 5-bit IR in front of the RISC-V DTM. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dtm.h"

typedef enum {
  TAP_RESET, TAP_IDLE,
  TAP_SELECT_DR, TAP_CAPTURE_DR, TAP_SHIFT_DR, TAP_EXIT1_DR, TAP_PAUSE_DR,
  TAP_EXIT2_DR, TAP_UPDATE_DR,
  TAP_SELECT_IR, TAP_CAPTURE_IR, TAP_SHIFT_IR, TAP_EXIT1_IR, TAP_PAUSE_IR,
  TAP_EXIT2_IR, TAP_UPDATE_IR,
} SimTapState;

typedef struct {
  SimTapState state;
  uint32_t ir;
  uint64_t shift;      /* the register being shifted, LSB first */
  unsigned shift_len;
  bool tck;
  bool tdo;
  SimDtm *dtm;
} SimTap;

void sim_tap_init (SimTap *tap, SimDtm *dtm);
void sim_tap_reset (SimTap *tap);
/* Drives the pins; acts on the rising edge of TCK. */
void sim_tap_set_pins (SimTap *tap, bool tck, bool tms, bool tdi);
bool sim_tap_get_tdo (const SimTap *tap);
/* True while in the middle of a scan (not Test-Logic-Reset or Run-Test/Idle). */
bool sim_tap_mid_scan (const SimTap *tap);
const char *sim_tap_state_name (SimTapState state);
