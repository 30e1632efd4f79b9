/* The RTT firmware of the simulated board (rtt-firmware.c, built into
 * rtt-firmware.bin, a raw image for `riscv-rbb-sim --image` or
 * `run-board --rtt`): what a reader on the host may rely on.  Shared by
 * the firmware and the tests; plain C with <stdint.h> only.
 *
 * The firmware keeps a SEGGER RTT control block, id "SEGGER RTT", at
 * RTT_FW_CB_ADDR, so that OpenOCD finds it with
 *   rtt setup 0x80010000 64 "SEGGER RTT"
 * and with a wider scan such as `rtt setup 0x80000000 0x20000 "SEGGER RTT"`
 * (nothing below the block holds the id: the firmware builds it with
 * single-byte stores).  At start-up it clears the block and its buffers,
 * fills in the channels, and writes the id last ("RTT", then "SEGGER",
 * then the space between), so a scan never finds a half-built block; a
 * reset therefore wipes the block until the firmware has run again.
 *
 * Channels (every up-channel in SEGGER's "skip" mode, flags 0: a write
 * that does not fit whole is dropped, the firmware never waits for the
 * host):
 *   up 0   "Terminal"  1 KiB   `tick N\n` every tick period (N = 0, 1, ...;
 *                              a tick that does not fit is dropped but
 *                              counted, so N has a gap), and the echo of
 *                              down 0;
 *   down 0 "Terminal"  64 B    every byte the host writes is echoed on up
 *                              0, in order, as soon as up 0 has room (the
 *                              firmware leaves bytes in the down-buffer
 *                              until then; echoes are never dropped);
 *   up 1   "Binary"    8 KiB   one RttFwRecord every record period.
 *
 * Pacing: the firmware loops reading the board's clock (hart.h,
 * SIM_CLOCK_ADDR: CLOCK_MONOTONIC in microseconds).  Time the hart does not
 * run (halted, or the simulator not scheduled) is made up for only up to
 * RTT_FW_MAX_LAG_US; beyond that the schedule restarts from the present, so
 * a halt neither floods the channels on resume nor shows as lost records.
 * Defaults: a tick every 100 ms (10 lines a second), a record every 4 ms
 * (250 records, 4000 bytes a second: OpenOCD 0.12 reads at most 1 KiB per
 * channel per poll, and kept up with only about 7.5 KB/s at its default
 * 100 ms polling interval).  The host may change both periods at run time
 * by writing RttFwStatus; a record period of 0 sends records as fast as the
 * hart runs, far more than OpenOCD can read, to measure its throughput. */
#pragma once

#include <stdint.h>

#define RTT_FW_IMAGE_BASE           0x80000000u  /* entry point too */
#define RTT_FW_CB_ADDR              0x80010000u  /* the SEGGER RTT control block */
#define RTT_FW_CB_ID                "SEGGER RTT"
#define RTT_FW_STATUS_ADDR          0x80010100u  /* RttFwStatus */
#define RTT_FW_CLOCK_ADDR           0x0200bff8u  /* the board's clock (hart.h) */

#define RTT_FW_UP_TERMINAL          0u
#define RTT_FW_UP_BINARY            1u
#define RTT_FW_DOWN_TERMINAL        0u
#define RTT_FW_NUM_UP               2u
#define RTT_FW_NUM_DOWN             1u
#define RTT_FW_TERMINAL_NAME        "Terminal"
#define RTT_FW_BINARY_NAME          "Binary"
#define RTT_FW_TERMINAL_UP_SIZE     1024u
#define RTT_FW_TERMINAL_DOWN_SIZE   64u
#define RTT_FW_BINARY_UP_SIZE       8192u

#define RTT_FW_DEFAULT_TICK_US      100000u
#define RTT_FW_DEFAULT_RECORD_US    4000u
#define RTT_FW_MAX_LAG_US           50000u

#define RTT_FW_RECORD_MAGIC         0x42545452u  /* the bytes "RTTB" */
#define RTT_FW_STATUS_MAGIC         0x46545452u  /* the bytes "RTTF" */

/* One record on up-channel 1, 16 bytes, little-endian.  seq counts every
 * record the firmware tried to send since it started (0, 1, ...), so a gap
 * is records dropped because the up-buffer was full; time_us is the board's
 * clock just before the record was written into the buffer. */
typedef struct {
  uint32_t magic;      /* RTT_FW_RECORD_MAGIC */
  uint32_t seq;
  uint64_t time_us;
} RttFwRecord;

/* At RTT_FW_STATUS_ADDR: set up before the control block's id, valid while
 * magic is RTT_FW_STATUS_MAGIC.  The periods are the host's to write (read
 * on each loop); the counters are the firmware's and wrap at 2^32. */
typedef struct {
  uint32_t magic;
  uint32_t tick_period_us;
  uint32_t record_period_us;   /* 0: as fast as the hart runs */
  uint32_t records;            /* records tried: the next seq */
  uint32_t records_dropped;    /* of those, dropped: up 1 was full */
  uint32_t ticks_dropped;      /* tick lines dropped: up 0 was full */
  uint32_t echoed;             /* bytes echoed from down 0 to up 0 */
  uint32_t loops;              /* main loop iterations */
} RttFwStatus;

_Static_assert (sizeof (RttFwRecord) == 16, "records are 16 bytes");
_Static_assert (sizeof (RttFwStatus) == 32, "status is 8 words");
