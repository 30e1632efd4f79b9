/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The contract between the checksum routine (ood-sums.c, run on a
 * 32-bit RISC-V target) and the service that runs it (ood-tcl-flash.c).
 * Shared by both: plain C, no GLib.
 *
 * The routine, OOD_SUMS_ROUTINE_SIZE bytes (ood-sums-routine.h), sits at
 * the start of the work area W; its parameter block right after it, at
 * W + OOD_SUMS_ROUTINE_SIZE, as 32-bit little-endian words:
 *
 *   n, results, table, then n pairs (address, length)
 *
 * The service sets sp to the top of a stack of OOD_SUMS_STACK bytes of
 * its own in the work area, the PC to W + OOD_SUMS_ENTRY, and resumes.
 * The routine saves every register it uses on that stack, masks
 * interrupts (mstatus.MIE), writes the CRC-32 of each pair's bytes into
 * the word array at results (n words), using the 1 KiB at table (which
 * it fills itself), restores what it saved and ends on the ebreak at W
 * (OOD_SUMS_EBREAK), where the hart halts.
 *
 * The CRC is zlib's (the reflected polynomial 0xEDB88320, initial value
 * and final xor 0xFFFFFFFF), byte-wise from a 256-entry table:
 * ood_sums_crc_entry() and ood_sums_crc_byte() below are the routine's
 * and ood_crc32()'s on the host alike.
 */

#define OOD_SUMS_EBREAK   0u     /* offset of the ebreak the run ends on */
#define OOD_SUMS_ENTRY    4u     /* offset of the entry */
#define OOD_SUMS_HEADER   12u    /* n, results, table */
#define OOD_SUMS_TABLE    1024u  /* 256 words */
#define OOD_SUMS_STACK    256u   /* the routine's stack (it uses 80 bytes) */

#define OOD_SUMS_CRC_INIT 0xFFFFFFFFu /* the CRC's initial value and final xor */

/* Entry @i (0-255) of the CRC's table. */
static inline unsigned int
ood_sums_crc_entry (unsigned int i)
{
  for (int k = 0; k < 8; k++)
    i = (i & 1) ? (i >> 1) ^ 0xEDB88320u : i >> 1;
  return i;
}

/* @crc with @byte added, by @table (of ood_sums_crc_entry()). */
static inline unsigned int
ood_sums_crc_byte (const unsigned int *table, unsigned int crc, unsigned char byte)
{
  return table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
}
