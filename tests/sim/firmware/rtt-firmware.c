/* Firmware for the simulated board that talks SEGGER RTT: freestanding C
 * for rv32im, linked by link.ld at 0x80000000.  What it does, where and how
 * fast: rtt-firmware.h.
 *
 * The RTT protocol, as SEGGER's and OpenOCD's (src/target/rtt.c) code
 * have it: the control block is the id (16 bytes), the numbers of up- and
 * down-channels (32 bits each), then one 24-byte descriptor per up-channel
 * and one per down-channel: name, buffer, size, write offset, read offset,
 * flags.  The writer of a ring owns its write offset, the reader its read
 * offset; a ring holds at most size - 1 bytes.  Offsets are published
 * after the bytes they cover. */
#include "rtt-firmware.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  const char *name;
  uint8_t *buffer;
  uint32_t size;
  volatile uint32_t wr_off;
  volatile uint32_t rd_off;
  uint32_t flags;
} RttChannel;

typedef struct {
  volatile char id[16];
  uint32_t max_up;
  uint32_t max_down;
  RttChannel up[RTT_FW_NUM_UP];
  RttChannel down[RTT_FW_NUM_DOWN];
} RttControlBlock;

_Static_assert (sizeof (RttChannel) == 24, "OpenOCD's RTT_CHANNEL_SIZE");
_Static_assert (offsetof (RttControlBlock, up) == 24, "OpenOCD's RTT_CB_SIZE");

/* link.ld places these at RTT_FW_CB_ADDR and RTT_FW_STATUS_ADDR; crt0
 * clears them with .bss. */
static RttControlBlock cb __attribute__ ((section (".rtt.cb"), used));
static volatile RttFwStatus status __attribute__ ((section (".rtt.status"), used));

static uint8_t terminal_up[RTT_FW_TERMINAL_UP_SIZE];
static uint8_t terminal_down[RTT_FW_TERMINAL_DOWN_SIZE];
static uint8_t binary_up[RTT_FW_BINARY_UP_SIZE];

void firmware_main (void) __attribute__ ((noreturn));

/* Stack at the top of RAM, .rtt and .bss cleared, then firmware_main. */
__attribute__ ((naked, section (".text.start"))) void
_start (void)
{
  __asm__ volatile ("la sp, __stack_top\n"
                    "la t0, __bss_start\n"
                    "la t1, __bss_end\n"
                    "1: bgeu t0, t1, 2f\n"
                    "sw zero, 0(t0)\n"
                    "addi t0, t0, 4\n"
                    "j 1b\n"
                    "2: j firmware_main\n");
}

/* Orders memory accesses for the debugger (a no-op on the simulator,
 * which has no caches, but the compiler must not reorder either). */
static inline void
publish (void)
{
  __asm__ volatile ("fence rw, rw" ::: "memory");
}

static uint64_t
clock_us (void)
{
  volatile const uint32_t *clock = (volatile const uint32_t *) RTT_FW_CLOCK_ADDR;
  uint32_t hi, lo;

  do
    {
      hi = clock[1];
      lo = clock[0];
    }
  while (clock[1] != hi);
  return (uint64_t) hi << 32 | lo;
}

/* Room in an up-buffer; none while the host's read offset is out of range
 * (as it may be for a moment after a reset, written from before it). */
static uint32_t
ring_free (const RttChannel *c)
{
  uint32_t rd = c->rd_off, wr = c->wr_off;

  if (rd >= c->size)
    return 0;
  return rd > wr ? rd - wr - 1 : c->size - (wr - rd) - 1;
}

static void
ring_put (RttChannel *c, const uint8_t *data, uint32_t len)
{
  uint32_t wr = c->wr_off;

  for (uint32_t i = 0; i < len; i++)
    {
      c->buffer[wr] = data[i];
      if (++wr == c->size)
        wr = 0;
    }
  publish ();
  c->wr_off = wr;
}

/* Skip mode: all @len bytes or none. */
static bool
up_write (RttChannel *c, const void *data, uint32_t len)
{
  if (ring_free (c) < len)
    return false;
  ring_put (c, data, len);
  return true;
}

static void
init_channel (RttChannel *c, const char *name, uint8_t *buffer, uint32_t size)
{
  c->name = name;
  c->buffer = buffer;
  c->flags = 0;
  publish ();
  c->size = size;  /* last: a size of 0 is an inactive channel */
}

static void
init_rtt (void)
{
  status.tick_period_us = RTT_FW_DEFAULT_TICK_US;
  status.record_period_us = RTT_FW_DEFAULT_RECORD_US;
  status.magic = RTT_FW_STATUS_MAGIC;
  init_channel (&cb.up[RTT_FW_UP_TERMINAL], RTT_FW_TERMINAL_NAME,
                terminal_up, sizeof terminal_up);
  init_channel (&cb.up[RTT_FW_UP_BINARY], RTT_FW_BINARY_NAME,
                binary_up, sizeof binary_up);
  init_channel (&cb.down[RTT_FW_DOWN_TERMINAL], RTT_FW_TERMINAL_NAME,
                terminal_down, sizeof terminal_down);
  cb.max_up = RTT_FW_NUM_UP;
  cb.max_down = RTT_FW_NUM_DOWN;
  /* The id last and in pieces, as SEGGER does: "RTT", "SEGGER", then the
   * space that completes it.  Single-byte stores keep the whole id out of
   * the image, where a scan would find it first. */
  publish ();
  cb.id[7] = 'R';
  cb.id[8] = 'T';
  cb.id[9] = 'T';
  cb.id[0] = 'S';
  cb.id[1] = 'E';
  cb.id[2] = 'G';
  cb.id[3] = 'G';
  cb.id[4] = 'E';
  cb.id[5] = 'R';
  publish ();
  cb.id[6] = ' ';
}

/* True if the event scheduled at *next is due at @now; then schedules the
 * next one @period later, or from @now if the schedule lags too far. */
static bool
due (uint64_t *next, uint32_t period, uint64_t now)
{
  if (now < *next)
    return false;
  *next = (now - *next > RTT_FW_MAX_LAG_US ? now : *next) + period;
  return true;
}

/* @v in decimal at @out; returns the number of digits. */
static uint32_t
format_u32 (char *out, uint32_t v)
{
  char digits[10];
  uint32_t n = 0;

  do
    {
      digits[n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v != 0);
  for (uint32_t i = 0; i < n; i++)
    out[i] = digits[n - 1 - i];
  return n;
}

static void
send_tick (uint32_t n)
{
  char line[16] = { 't', 'i', 'c', 'k', ' ' };
  uint32_t len = 5 + format_u32 (line + 5, n);

  line[len++] = '\n';
  if (!up_write (&cb.up[RTT_FW_UP_TERMINAL], line, len))
    status.ticks_dropped = status.ticks_dropped + 1;
}

static void
send_record (void)
{
  RttFwRecord r = { .magic = RTT_FW_RECORD_MAGIC, .seq = status.records };

  r.time_us = clock_us ();
  if (!up_write (&cb.up[RTT_FW_UP_BINARY], &r, sizeof r))
    status.records_dropped = status.records_dropped + 1;
  status.records = r.seq + 1;
}

/* Moves what the host wrote to down 0 to up 0, as far as up 0 has room. */
static void
echo (void)
{
  RttChannel *down = &cb.down[RTT_FW_DOWN_TERMINAL];
  RttChannel *up = &cb.up[RTT_FW_UP_TERMINAL];
  uint32_t wr = down->wr_off, rd = down->rd_off;
  uint32_t room = ring_free (up);
  uint32_t n = 0;

  if (wr >= down->size || rd >= down->size)
    return;  /* offsets out of range: nothing sane to echo */
  publish ();
  while (rd != wr && n < room)
    {
      uint32_t chunk = (wr > rd ? wr : down->size) - rd;

      if (chunk > room - n)
        chunk = room - n;
      ring_put (up, down->buffer + rd, chunk);
      n += chunk;
      rd = (rd + chunk) % down->size;
    }
  if (n == 0)
    return;
  publish ();
  down->rd_off = rd;
  status.echoed = status.echoed + n;
}

void
firmware_main (void)
{
  uint64_t next_tick, next_record;
  uint32_t ticks = 0;

  init_rtt ();
  next_tick = next_record = clock_us ();
  for (;;)
    {
      uint64_t now = clock_us ();

      status.loops = status.loops + 1;
      if (due (&next_tick, status.tick_period_us, now))
        send_tick (ticks++);
      echo ();
      if (due (&next_record, status.record_period_us, now))
        send_record ();
    }
}
