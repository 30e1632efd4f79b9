/* The board's on-chip flash, modelled on a GD32VF103 (which OpenOCD 0.12
 * programs with its stm32f1x driver): 64 KiB of main flash at 0x08000000 in
 * 1 KiB pages, the STM32F1-style flash controller (FPEC) at 0x40022000, the
 * option bytes at 0x1FFFF800, the flash size register at 0x1FFFF7E0 and the
 * DBGMCU_IDCODE register at 0xE0042000.
 *
 * Programming and erasing complete at once: SR.BSY never reads as 1. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define SIM_FLASH_BASE       0x08000000u
#define SIM_FLASH_SIZE       0x10000u
#define SIM_FLASH_PAGE_SIZE  0x400u
#define SIM_FLASH_WRP_PAGES  4u           /* pages per WRPR bit */
#define SIM_FLASH_REG_BASE   0x40022000u
#define SIM_FLASH_OB_BASE    0x1FFFF800u
#define SIM_FLASH_OB_SIZE    16u
#define SIM_FLASH_INFO_BASE  0x1FFFF7E0u  /* flash size (KiB), SRAM size, UID */
#define SIM_FLASH_INFO_SIZE  16u
#define SIM_DBGMCU_IDCODE_ADDR 0xE0042000u
/* DEV_ID 0x410 (STM32F1 medium density) with GigaDevice's REV_ID 0x1906:
 * what a GD32VF103 reports and what stm32f1x.c names "GD32VF103". */
#define SIM_DBGMCU_IDCODE    0x19060410u

typedef struct {
  uint8_t mem[SIM_FLASH_SIZE];
  uint8_t ob[SIM_FLASH_OB_SIZE];  /* option bytes as stored (byte, ~byte) */
  uint32_t acr, sr, cr, ar;
  uint32_t obr, wrpr;             /* option bytes as loaded at reset */
  unsigned key_step, optkey_step; /* 1 after KEY1 was written */
  bool hard_locked;               /* wrong key: locked until reset */
} SimFlash;

/* Erased main flash, factory option bytes (no protection), then a reset. */
void sim_flash_init (SimFlash *f);
/* System reset: controller locked, option bytes reloaded; contents stay. */
void sim_flash_reset (SimFlash *f);
/* Stores WRP option bytes protecting the 4 KiB blocks whose bits are set in
 * blocks (bit n: pages 4n..4n+3) and reloads them, as if programmed. */
void sim_flash_set_write_protection (SimFlash *f, uint32_t blocks);

/* True if addr is in one of the flash's address ranges. */
bool sim_flash_claims (uint32_t addr);
/* Accesses inside a claimed range; false means a bus error. */
bool sim_flash_read (SimFlash *f, uint32_t addr, unsigned size, uint32_t *value);
bool sim_flash_write (SimFlash *f, uint32_t addr, unsigned size, uint32_t value);
