/* The board's on-chip flash, modelled on a GD32VF103 (which OpenOCD 0.12
 * programs with its stm32f1x driver): 64 KiB of main flash at 0x08000000 in
 * 1 KiB pages, the STM32F1-style flash controller (FPEC) at 0x40022000, the
 * option bytes at 0x1FFFF800, the flash size register at 0x1FFFF7E0 and the
 * DBGMCU_IDCODE register at 0xE0042000.
 *
 * Or, after sim_flash_set_dual_bank(), like an STM32F1 XL-density part
 * (DEV_ID 0x430), the one dual-bank part the stm32f1x driver knows: 576 KiB
 * of main flash in 2 KiB pages, bank 0 the first 512 KiB (the driver fixes
 * it at that size) behind the controller at 0x40022000, bank 1 the 64 KiB
 * at 0x08080000 behind a second controller at 0x40022040 (KEYR2 0x44, SR2
 * 0x4c, CR2 0x50, AR2 0x54; the rest of its block is reserved and reads as
 * zero).  Each controller erases and programs its own bank only (a page
 * erase of the other bank's address sets PGERR; a write there under its PG
 * bit is ignored) and has its own lock; the option bytes and their keys are
 * bank 0's.  Each WRPR bit protects 2 pages, bit 31 every page from 62 on,
 * in both banks.
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
/* The dual-bank (XL-density) board */
#define SIM_FLASH_XL_SIZE       0x90000u
#define SIM_FLASH_XL_PAGE_SIZE  0x800u
#define SIM_FLASH_XL_WRP_PAGES  2u
#define SIM_FLASH_BANK1_BASE    0x08080000u
#define SIM_FLASH_REG_BASE_B1   0x40022040u
#define SIM_FLASH_MAX_BANKS     2u
#define SIM_FLASH_OB_BASE    0x1FFFF800u
#define SIM_FLASH_OB_SIZE    16u
#define SIM_FLASH_INFO_BASE  0x1FFFF7E0u  /* flash size (KiB), SRAM size, UID */
#define SIM_FLASH_INFO_SIZE  16u
#define SIM_DBGMCU_IDCODE_ADDR 0xE0042000u
/* DEV_ID 0x410 (STM32F1 medium density) with GigaDevice's REV_ID 0x1906:
 * what a GD32VF103 reports and what stm32f1x.c names "GD32VF103". */
#define SIM_DBGMCU_IDCODE    0x19060410u
/* DEV_ID 0x430 (STM32F1 XL density), REV_ID 0x1000 (revision A). */
#define SIM_DBGMCU_IDCODE_XL 0x10000430u

/* One bank's controller: its status, control and address registers. */
typedef struct {
  uint32_t sr, cr, ar;
  unsigned key_step;              /* 1 after KEY1 was written */
  bool hard_locked;               /* wrong key: locked until reset */
} SimFlashCtl;

typedef struct {
  uint8_t mem[SIM_FLASH_XL_SIZE];
  uint32_t size, page_size;       /* of the main flash, as the board has it */
  uint32_t wrp_pages;             /* pages per WRPR bit */
  uint32_t idcode;                /* DBGMCU_IDCODE */
  unsigned banks;                 /* 1, or 2 after sim_flash_set_dual_bank() */
  uint8_t ob[SIM_FLASH_OB_SIZE];  /* option bytes as stored (byte, ~byte) */
  uint32_t acr;
  SimFlashCtl ctl[SIM_FLASH_MAX_BANKS];
  uint32_t obr, wrpr;             /* option bytes as loaded at reset */
  unsigned optkey_step;           /* 1 after KEY1 was written */
} SimFlash;

/* The GD32VF103-like flash: erased main flash, factory option bytes (no
 * protection), then a reset. */
void sim_flash_init (SimFlash *f);
/* Makes an initialised flash the dual-bank (XL-density) one, erased. */
void sim_flash_set_dual_bank (SimFlash *f);
/* System reset: controller locked, option bytes reloaded; contents stay. */
void sim_flash_reset (SimFlash *f);
/* Stores WRP option bytes protecting the 4 KiB blocks whose bits are set in
 * blocks (bit n: pages 4n..4n+3) and reloads them, as if programmed. */
void sim_flash_set_write_protection (SimFlash *f, uint32_t blocks);

/* True if addr is in one of the flash's address ranges. */
bool sim_flash_claims (const SimFlash *f, uint32_t addr);
/* Accesses inside a claimed range; false means a bus error. */
bool sim_flash_read (SimFlash *f, uint32_t addr, unsigned size, uint32_t *value);
bool sim_flash_write (SimFlash *f, uint32_t addr, unsigned size, uint32_t value);
