#include "jtag-tap.h"

#define IR_LENGTH        5u
#define IR_CAPTURE_VALUE 0x01u

/* next state for TMS = 0 and TMS = 1 */
static const SimTapState transitions[16][2] = {
  [TAP_RESET]      = { TAP_IDLE, TAP_RESET },
  [TAP_IDLE]       = { TAP_IDLE, TAP_SELECT_DR },
  [TAP_SELECT_DR]  = { TAP_CAPTURE_DR, TAP_SELECT_IR },
  [TAP_CAPTURE_DR] = { TAP_SHIFT_DR, TAP_EXIT1_DR },
  [TAP_SHIFT_DR]   = { TAP_SHIFT_DR, TAP_EXIT1_DR },
  [TAP_EXIT1_DR]   = { TAP_PAUSE_DR, TAP_UPDATE_DR },
  [TAP_PAUSE_DR]   = { TAP_PAUSE_DR, TAP_EXIT2_DR },
  [TAP_EXIT2_DR]   = { TAP_SHIFT_DR, TAP_UPDATE_DR },
  [TAP_UPDATE_DR]  = { TAP_IDLE, TAP_SELECT_DR },
  [TAP_SELECT_IR]  = { TAP_CAPTURE_IR, TAP_RESET },
  [TAP_CAPTURE_IR] = { TAP_SHIFT_IR, TAP_EXIT1_IR },
  [TAP_SHIFT_IR]   = { TAP_SHIFT_IR, TAP_EXIT1_IR },
  [TAP_EXIT1_IR]   = { TAP_PAUSE_IR, TAP_UPDATE_IR },
  [TAP_PAUSE_IR]   = { TAP_PAUSE_IR, TAP_EXIT2_IR },
  [TAP_EXIT2_IR]   = { TAP_SHIFT_IR, TAP_UPDATE_IR },
  [TAP_UPDATE_IR]  = { TAP_IDLE, TAP_SELECT_DR },
};

static const char *const state_names[16] = {
  "Test-Logic-Reset", "Run-Test/Idle",
  "Select-DR", "Capture-DR", "Shift-DR", "Exit1-DR", "Pause-DR", "Exit2-DR",
  "Update-DR",
  "Select-IR", "Capture-IR", "Shift-IR", "Exit1-IR", "Pause-IR", "Exit2-IR",
  "Update-IR",
};

const char *
sim_tap_state_name (SimTapState state)
{
  return state_names[state];
}

void
sim_tap_init (SimTap *tap, SimDtm *dtm)
{
  tap->dtm = dtm;
  tap->tck = false;
  sim_tap_reset (tap);
}

void
sim_tap_reset (SimTap *tap)
{
  tap->state = TAP_RESET;
  tap->ir = SIM_IR_IDCODE;
  tap->shift = 0;
  tap->shift_len = 1;
  tap->tdo = false;
}

static void
shift_bit (SimTap *tap, bool tdi)
{
  tap->shift >>= 1;
  if (tdi)
    tap->shift |= (uint64_t) 1 << (tap->shift_len - 1);
}

/* The action of the state the TAP is in, done on the rising edge. */
static void
state_action (SimTap *tap, bool tdi)
{
  switch (tap->state)
    {
    case TAP_CAPTURE_IR:
      tap->shift = IR_CAPTURE_VALUE;
      tap->shift_len = IR_LENGTH;
      break;
    case TAP_CAPTURE_DR:
      tap->shift = sim_dtm_capture (tap->dtm, tap->ir);
      tap->shift_len = sim_dtm_dr_length (tap->ir);
      break;
    case TAP_SHIFT_IR:
    case TAP_SHIFT_DR:
      shift_bit (tap, tdi);
      break;
    default:
      break;
    }
}

/* Actions on entering a state. */
static void
state_entry (SimTap *tap)
{
  switch (tap->state)
    {
    case TAP_RESET:
      tap->ir = SIM_IR_IDCODE;
      break;
    case TAP_UPDATE_IR:
      tap->ir = (uint32_t) tap->shift & ((1u << IR_LENGTH) - 1);
      break;
    case TAP_UPDATE_DR:
      sim_dtm_update (tap->dtm, tap->ir, tap->shift);
      break;
    default:
      break;
    }
}

static void
rising_edge (SimTap *tap, bool tms, bool tdi)
{
  SimTapState before = tap->state;

  state_action (tap, tdi);
  tap->state = transitions[before][tms ? 1 : 0];
  if (tap->state != before || before == TAP_RESET)
    state_entry (tap);
  /* TDO shows the bit at the end of the shift register while shifting. */
  bool shifting = tap->state == TAP_SHIFT_DR || tap->state == TAP_SHIFT_IR;
  tap->tdo = shifting ? (tap->shift & 1) != 0 : false;
}

void
sim_tap_set_pins (SimTap *tap, bool tck, bool tms, bool tdi)
{
  if (tck && !tap->tck)
    rising_edge (tap, tms, tdi);
  tap->tck = tck;
}

bool
sim_tap_get_tdo (const SimTap *tap)
{
  return tap->tdo;
}

bool
sim_tap_mid_scan (const SimTap *tap)
{
  return tap->state != TAP_RESET && tap->state != TAP_IDLE;
}
