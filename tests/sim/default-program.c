/* The built-in program and raw image loading. */
#include "hart.h"

#include <gio/gio.h>
#include <string.h>

enum { ZERO = 0, RA = 1, SP = 2, T0 = 5, T1 = 6, S0 = 8, A0 = 10 };

static uint32_t
enc_i (uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
  return ((uint32_t) imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

static uint32_t
enc_u (uint32_t op, uint32_t rd, uint32_t imm20)
{
  return (imm20 << 12) | (rd << 7) | op;
}

static uint32_t
enc_s (uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
  uint32_t u = (uint32_t) imm;
  return ((u >> 5 & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
         ((u & 0x1f) << 7) | 0x23;
}

static uint32_t
enc_j (uint32_t rd, int32_t off)
{
  uint32_t u = (uint32_t) off;
  return ((u >> 20 & 1) << 31) | ((u >> 1 & 0x3ff) << 21) | ((u >> 11 & 1) << 20) |
         ((u >> 12 & 0xff) << 12) | (rd << 7) | 0x6f;
}

static uint32_t
enc_r (uint32_t rd, uint32_t rs1, uint32_t rs2)  /* add */
{
  return (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33;
}

/*
 * Every hart runs this from reset, with a0 = mhartid and s0 = 0
 * (sim_hart_reset):
 * 0x80000000  lui   sp, 0x80008        stack below the counters
 * 0x80000004  slli  t1, a0, 2          the hart's counter offset
 * 0x80000008  loop: addi a0, s0, 0
 * 0x8000000c  jal   ra, inc
 * 0x80000010  addi  s0, a0, 0
 * 0x80000014  add   t0, sp, t1
 * 0x80000018  sw    s0, 0(t0)          counter visible at 0x80008000 + 4 * mhartid
 * 0x8000001c  jal   zero, loop
 * 0x80000020  inc:  addi a0, a0, 1
 * 0x80000024  jalr  zero, 0(ra)
 *
 * So the 32-bit word at SIM_COUNTER_ADDR + 4 * mhartid (0x80008000 for
 * hart 0) goes up by one every loop iteration (8 instructions) while that
 * hart runs, and wraps at 2^32.
 */
G_STATIC_ASSERT ((SIM_COUNTER_ADDR & 0xfffu) == 0);
void
sim_mem_load_default_program (SimMem *mem)
{
  const uint32_t prog[] = {
    enc_u (0x37, SP, SIM_COUNTER_ADDR >> 12),
    enc_i (0x13, T1, 1, A0, 2),
    enc_i (0x13, A0, 0, S0, 0),
    enc_j (RA, 0x20 - 0x0c),
    enc_i (0x13, S0, 0, A0, 0),
    enc_r (T0, SP, T1),
    enc_s (2, T0, S0, 0),
    enc_j (ZERO, 0x08 - 0x1c),
    enc_i (0x13, A0, 0, A0, 1),
    enc_i (0x67, ZERO, 0, RA, 0),
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (prog); i++)
    sim_mem_write (mem, SIM_RESET_VECTOR + 4 * i, 4, prog[i]);
}

gboolean
sim_mem_load_image (SimMem *mem, const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  if (len > SIM_RAM_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: %" G_GSIZE_FORMAT " bytes do not fit in %u bytes of RAM",
                   path, len, SIM_RAM_SIZE);
      return FALSE;
    }
  memcpy (mem->ram, data, len);
  return TRUE;
}
