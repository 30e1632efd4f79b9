/* SPDX-License-Identifier: MIT */
/*
 * The service's checksum routine (ood-sums-abi.h): freestanding rv32i C,
 * built into a raw, position-independent image that the service places
 * at the start of a target's work area. No globals: everything it reads
 * and writes is reached from its parameter block, found PC-relatively.
 */
#include "ood-sums-abi.h"

typedef unsigned int  u32;
typedef unsigned char u8;

void ood_sums_main (const u32 *params);

/* Offset 0: the ebreak the run ends on; offset 4: the entry. The entry
 * saves the registers the C code may use (the caller-saved ones and
 * mstatus; the callee-saved are the C code's own to save), masks
 * interrupts, calls ood_sums_main() on the parameter block (found
 * PC-relatively: it follows the image), and undoes it all in reverse.
 * 80 bytes of stack. */
__asm__ (
  "  .section .text.start, \"ax\", @progbits\n"
  "  .globl _start\n"
  "ood_sums_ebreak:\n"
  "  ebreak\n"
  "_start:\n"
  "  addi sp, sp, -80\n"
  "  sw ra, 0(sp)\n"
  "  sw t0, 4(sp)\n"
  "  sw t1, 8(sp)\n"
  "  sw t2, 12(sp)\n"
  "  sw a0, 16(sp)\n"
  "  sw a1, 20(sp)\n"
  "  sw a2, 24(sp)\n"
  "  sw a3, 28(sp)\n"
  "  sw a4, 32(sp)\n"
  "  sw a5, 36(sp)\n"
  "  sw a6, 40(sp)\n"
  "  sw a7, 44(sp)\n"
  "  sw t3, 48(sp)\n"
  "  sw t4, 52(sp)\n"
  "  sw t5, 56(sp)\n"
  "  sw t6, 60(sp)\n"
  "  csrrci t0, mstatus, 8\n"      /* MIE off; the old mstatus in t0 */
  "  sw t0, 64(sp)\n"
  "  lla a0, __params\n"
  "  call ood_sums_main\n"
  "  lw t0, 64(sp)\n"
  "  andi t0, t0, 8\n"
  "  csrs mstatus, t0\n"           /* MIE back as it was */
  "  lw ra, 0(sp)\n"
  "  lw t0, 4(sp)\n"
  "  lw t1, 8(sp)\n"
  "  lw t2, 12(sp)\n"
  "  lw a0, 16(sp)\n"
  "  lw a1, 20(sp)\n"
  "  lw a2, 24(sp)\n"
  "  lw a3, 28(sp)\n"
  "  lw a4, 32(sp)\n"
  "  lw a5, 36(sp)\n"
  "  lw a6, 40(sp)\n"
  "  lw a7, 44(sp)\n"
  "  lw t3, 48(sp)\n"
  "  lw t4, 52(sp)\n"
  "  lw t5, 56(sp)\n"
  "  lw t6, 60(sp)\n"
  "  addi sp, sp, 80\n"
  "  j ood_sums_ebreak\n"
  "  .text\n"
);

static void
build_table (u32 *table)
{
  for (u32 i = 0; i < 256; i++)
    table[i] = ood_sums_crc_entry (i);
}

static u32
crc32 (const u32 *table, const volatile u8 *data, u32 length)
{
  u32 crc = OOD_SUMS_CRC_INIT;

  for (u32 i = 0; i < length; i++)
    crc = ood_sums_crc_byte (table, crc, data[i]);
  return crc ^ OOD_SUMS_CRC_INIT;
}

/* @params: n, results, table, then n pairs (address, length). */
void
ood_sums_main (const u32 *params)
{
  u32 n = params[0];
  volatile u32 *results = (volatile u32 *) params[1];
  u32 *table = (u32 *) params[2];

  build_table (table);
  for (u32 i = 0; i < n; i++)
    results[i] = crc32 (table, (const volatile u8 *) params[3 + 2 * i], params[4 + 2 * i]);
}
