/* GD32VF103-like flash and flash controller; see flash.h.  The register
 * semantics follow the STM32F1 reference manual (RM0008), which OpenOCD's
 * stm32f1x driver assumes. */
#include "flash.h"

#include <glib.h>
#include <string.h>

#include "sim-log.h"

/* Register offsets from SIM_FLASH_REG_BASE */
#define REG_ACR      0x00u
#define REG_KEYR     0x04u
#define REG_OPTKEYR  0x08u
#define REG_SR       0x0cu
#define REG_CR       0x10u
#define REG_AR       0x14u
#define REG_OBR      0x1cu
#define REG_WRPR     0x20u
#define REG_END      0x24u
#define REG_END_B1   0x18u  /* from SIM_FLASH_REG_BASE_B1: KEYR2 to AR2 */

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu

#define SR_BSY       (1u << 0)
#define SR_PGERR     (1u << 2)
#define SR_WRPRTERR  (1u << 4)
#define SR_EOP       (1u << 5)
#define SR_W1C       (SR_PGERR | SR_WRPRTERR | SR_EOP)

#define CR_PG        (1u << 0)
#define CR_PER       (1u << 1)
#define CR_MER       (1u << 2)
#define CR_OPTPG     (1u << 4)
#define CR_OPTER     (1u << 5)
#define CR_STRT      (1u << 6)
#define CR_LOCK      (1u << 7)
#define CR_OPTWRE    (1u << 9)
#define CR_ERRIE     (1u << 10)
#define CR_EOPIE     (1u << 12)
#define CR_WRITABLE  (CR_PG | CR_PER | CR_MER | CR_OPTPG | CR_OPTER | CR_STRT | \
                      CR_LOCK | CR_ERRIE | CR_EOPIE)

#define OBR_OPTERR   (1u << 0)
#define OBR_RDPRT    (1u << 1)

#define RDP_UNPROTECTED 0xa5u
#define SIM_SRAM_KIB    64u

static bool
in_range (uint32_t addr, uint32_t base, uint32_t size)
{
  return addr >= base && addr - base < size;
}

static bool
in_regs_b1 (const SimFlash *f, uint32_t addr)
{
  return f->banks > 1 && in_range (addr, SIM_FLASH_REG_BASE_B1, REG_END_B1);
}

bool
sim_flash_claims (const SimFlash *f, uint32_t addr)
{
  return in_range (addr, SIM_FLASH_BASE, f->size) ||
         in_range (addr, SIM_FLASH_REG_BASE, REG_END) || in_regs_b1 (f, addr) ||
         in_range (addr, SIM_FLASH_OB_BASE, SIM_FLASH_OB_SIZE) ||
         in_range (addr, SIM_FLASH_INFO_BASE, SIM_FLASH_INFO_SIZE) ||
         in_range (addr, SIM_DBGMCU_IDCODE_ADDR, 4);
}

static const uint8_t factory_ob[SIM_FLASH_OB_SIZE] = {
  RDP_UNPROTECTED, 0x5a,  /* RDP: no read protection */
  0xff, 0x00,             /* USER: software watchdog, no reset on stop/standby */
  0xff, 0x00, 0xff, 0x00, /* DATA0, DATA1 */
  0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,  /* WRP0..3: nothing protected */
};

/* Option byte loading: a byte whose complement does not match reads as
 * 0xff and sets OPTERR. */
static void
load_option_bytes (SimFlash *f)
{
  uint8_t b[SIM_FLASH_OB_SIZE / 2];
  bool opterr = false;

  for (unsigned i = 0; i < G_N_ELEMENTS (b); i++)
    {
      uint8_t v = f->ob[2 * i], c = f->ob[2 * i + 1];
      if ((uint8_t) (v ^ c) != 0xff)
        {
          opterr = true;
          v = 0xff;
        }
      b[i] = v;
    }
  f->obr = (opterr ? OBR_OPTERR : 0) | (b[0] != RDP_UNPROTECTED ? OBR_RDPRT : 0) |
           ((uint32_t) b[1] << 2) | ((uint32_t) b[2] << 10) | ((uint32_t) b[3] << 18);
  f->wrpr = (uint32_t) b[4] | ((uint32_t) b[5] << 8) |
            ((uint32_t) b[6] << 16) | ((uint32_t) b[7] << 24);
}

void
sim_flash_reset (SimFlash *f)
{
  f->acr = 0x30;
  for (unsigned i = 0; i < SIM_FLASH_MAX_BANKS; i++)
    f->ctl[i] = (SimFlashCtl) { .cr = CR_LOCK };
  f->optkey_step = 0;
  load_option_bytes (f);
}

/* The part: the GD32VF103-like one, or the dual-bank one; erased. */
static void
set_part (SimFlash *f, bool dual_bank)
{
  f->banks = dual_bank ? 2 : 1;
  f->size = dual_bank ? SIM_FLASH_XL_SIZE : SIM_FLASH_SIZE;
  f->page_size = dual_bank ? SIM_FLASH_XL_PAGE_SIZE : SIM_FLASH_PAGE_SIZE;
  f->wrp_pages = dual_bank ? SIM_FLASH_XL_WRP_PAGES : SIM_FLASH_WRP_PAGES;
  f->idcode = dual_bank ? SIM_DBGMCU_IDCODE_XL : SIM_DBGMCU_IDCODE;
  memset (f->mem, 0xff, sizeof f->mem);
  sim_flash_reset (f);
}

void
sim_flash_init (SimFlash *f)
{
  memcpy (f->ob, factory_ob, sizeof f->ob);
  set_part (f, false);
}

void
sim_flash_set_dual_bank (SimFlash *f)
{
  set_part (f, true);
}

/* The bank holding main flash address @addr (inside the flash). */
static unsigned
bank_of (const SimFlash *f, uint32_t addr)
{
  return f->banks > 1 && addr >= SIM_FLASH_BANK1_BASE ? 1 : 0;
}

/* Bank @bank's address range. */
static uint32_t
bank_base (const SimFlash *f, unsigned bank)
{
  return f->banks > 1 && bank > 0 ? SIM_FLASH_BANK1_BASE : SIM_FLASH_BASE;
}

static uint32_t
bank_end (const SimFlash *f, unsigned bank)
{
  return f->banks > 1 && bank == 0 ? SIM_FLASH_BANK1_BASE : SIM_FLASH_BASE + f->size;
}

void
sim_flash_set_write_protection (SimFlash *f, uint32_t blocks)
{
  for (unsigned i = 0; i < 4; i++)
    {
      uint8_t wrp = (uint8_t) ~(blocks >> (8 * i));
      f->ob[8 + 2 * i] = wrp;
      f->ob[9 + 2 * i] = (uint8_t) ~wrp;
    }
  load_option_bytes (f);
}

static bool
read_protected (const SimFlash *f)
{
  return (f->obr & OBR_RDPRT) != 0;
}

/* WRPR bit n clear protects pages wrp_pages * n to wrp_pages * (n + 1) - 1
 * (bit 31: all pages from wrp_pages * 31 on); with read protection the
 * first 4 KiB are write-protected as well. */
static bool
page_protected (const SimFlash *f, unsigned page)
{
  unsigned bit = page / f->wrp_pages;

  if (bit > 31)
    bit = 31;
  if (read_protected (f) && page < 4096 / f->page_size)
    return true;
  return (f->wrpr & (1u << bit)) == 0;
}

static bool
locked (const SimFlashCtl *c)
{
  return c->hard_locked || (c->cr & CR_LOCK);
}

static void
finish (SimFlashCtl *c, uint32_t error)
{
  c->sr |= error ? error : SR_EOP;
}

/* A page erase by bank @bank's controller. */
static void
erase_page (SimFlash *f, unsigned bank, uint32_t addr)
{
  SimFlashCtl *c = &f->ctl[bank];

  if (!in_range (addr, bank_base (f, bank), bank_end (f, bank) - bank_base (f, bank)))
    {
      finish (c, SR_PGERR);
      return;
    }
  unsigned page = (addr - SIM_FLASH_BASE) / f->page_size;
  if (page_protected (f, page))
    {
      sim_trace ("flash: page %u is write-protected", page);
      finish (c, SR_WRPRTERR);
      return;
    }
  memset (&f->mem[page * f->page_size], 0xff, f->page_size);
  sim_trace ("flash: page %u erased", page);
  finish (c, 0);
}

/* A mass erase by bank @bank's controller: all of its bank. */
static void
mass_erase (SimFlash *f, unsigned bank)
{
  uint32_t first = (bank_base (f, bank) - SIM_FLASH_BASE) / f->page_size;
  uint32_t end = (bank_end (f, bank) - SIM_FLASH_BASE) / f->page_size;

  for (unsigned page = first; page < end; page++)
    if (page_protected (f, page))
      {
        finish (&f->ctl[bank], SR_WRPRTERR);
        return;
      }
  memset (&f->mem[first * f->page_size], 0xff, (end - first) * f->page_size);
  sim_trace ("flash: mass erase of bank %u", bank);
  finish (&f->ctl[bank], 0);
}

/* Erasing the option bytes while read protection is active also erases all
 * of the main flash, which is how a part is unprotected. */
static void
erase_option_bytes (SimFlash *f)
{
  if (!(f->ctl[0].cr & CR_OPTWRE))
    {
      finish (&f->ctl[0], SR_WRPRTERR);
      return;
    }
  if (read_protected (f))
    memset (f->mem, 0xff, sizeof f->mem);
  memset (f->ob, 0xff, sizeof f->ob);
  sim_trace ("flash: option bytes erased");
  finish (&f->ctl[0], 0);
}

static void
start_operation (SimFlash *f, unsigned bank)
{
  SimFlashCtl *c = &f->ctl[bank];

  if (c->cr & CR_PER)
    erase_page (f, bank, c->ar);
  else if (c->cr & CR_MER)
    mass_erase (f, bank);
  else if (bank == 0 && (c->cr & CR_OPTER))
    erase_option_bytes (f);
  c->cr &= ~CR_STRT;  /* cleared by hardware when done */
}

static void
write_cr (SimFlash *f, unsigned bank, uint32_t v)
{
  SimFlashCtl *c = &f->ctl[bank];

  if (locked (c))
    return;  /* FLASH_CR is write-protected while locked */
  /* OPTWRE is set only by the OPTKEYR sequence; software can clear it. */
  c->cr = (v & CR_WRITABLE) | (c->cr & v & CR_OPTWRE);
  if (c->cr & CR_LOCK)
    {
      c->cr &= ~CR_OPTWRE;
      c->key_step = 0;
      if (bank == 0)
        f->optkey_step = 0;
    }
  else if (c->cr & CR_STRT)
    start_operation (f, bank);
}

/* A wrong key is a bus error and locks the controller until reset. */
static bool
write_keyr (SimFlashCtl *c, uint32_t v)
{
  if (c->hard_locked)
    return false;
  if (!(c->cr & CR_LOCK))
    return true;  /* already unlocked */
  if (c->key_step == 0 && v == KEY1)
    c->key_step = 1;
  else if (c->key_step == 1 && v == KEY2)
    {
      c->key_step = 0;
      c->cr &= ~CR_LOCK;
    }
  else
    {
      sim_log ("flash: wrong key 0x%08x, controller locked until reset", v);
      c->key_step = 0;
      c->hard_locked = true;
      return false;
    }
  return true;
}

static void
write_optkeyr (SimFlash *f, uint32_t v)
{
  if (locked (&f->ctl[0]))
    return;
  if (f->optkey_step == 0 && v == KEY1)
    f->optkey_step = 1;
  else if (f->optkey_step == 1 && v == KEY2)
    {
      f->optkey_step = 0;
      f->ctl[0].cr |= CR_OPTWRE;
    }
  else
    f->optkey_step = 0;
}

/* Bank @bank's register at offset @off of its block; bank 1's block has
 * no ACR, OPTKEYR, OBR nor WRPR (reserved, read as zero). */
static uint32_t
read_reg (const SimFlash *f, unsigned bank, uint32_t off)
{
  const SimFlashCtl *c = &f->ctl[bank];

  switch (off)
    {
    case REG_ACR: return bank == 0 ? f->acr : 0;
    case REG_SR: return c->sr;
    case REG_CR: return c->cr;
    case REG_OBR: return bank == 0 ? f->obr : 0;
    case REG_WRPR: return bank == 0 ? f->wrpr : 0;
    default: return 0;  /* KEYR, OPTKEYR and AR read as zero */
    }
}

static bool
write_reg (SimFlash *f, unsigned bank, uint32_t off, uint32_t v)
{
  SimFlashCtl *c = &f->ctl[bank];

  switch (off)
    {
    case REG_KEYR: return write_keyr (c, v);
    case REG_SR: c->sr &= ~(v & SR_W1C); return true;
    case REG_CR: write_cr (f, bank, v); return true;
    case REG_AR: c->ar = v; return true;
    default: break;
    }
  if (bank > 0)
    return true;  /* reserved in bank 1's block */
  if (off == REG_ACR)
    f->acr = v & 0x3fu;
  else if (off == REG_OPTKEYR)
    write_optkeyr (f, v);
  return true;  /* OBR, WRPR are read-only */
}

/* The bank whose register block holds @addr, and the offset in it; false
 * if @addr is no controller register. */
static bool
reg_at (const SimFlash *f, uint32_t addr, unsigned *bank, uint32_t *off)
{
  if (in_range (addr, SIM_FLASH_REG_BASE, REG_END))
    {
      *bank = 0;
      *off = addr - SIM_FLASH_REG_BASE;
      return true;
    }
  if (in_regs_b1 (f, addr))
    {
      *bank = 1;
      *off = addr - SIM_FLASH_REG_BASE_B1;
      return true;
    }
  return false;
}

/* One byte of the information block: flash size, SRAM size, unique ID. */
static uint8_t
info_byte (const SimFlash *f, uint32_t off)
{
  switch (off)
    {
    case 0: return (uint8_t) (f->size / 1024);
    case 1: return (uint8_t) ((f->size / 1024) >> 8);
    case 2: return (uint8_t) SIM_SRAM_KIB;
    case 3: return 0;
    default: return off >= 8 ? (uint8_t) (0x50 + off) : 0xff;  /* UID */
    }
}

static bool
read_bytes (SimFlash *f, uint32_t addr, unsigned size, uint32_t *value)
{
  uint32_t v = 0;

  for (unsigned i = 0; i < size; i++)
    {
      uint32_t a = addr + i;
      uint8_t b;

      if (in_range (a, SIM_FLASH_BASE, f->size))
        b = f->mem[a - SIM_FLASH_BASE];
      else if (in_range (a, SIM_FLASH_OB_BASE, SIM_FLASH_OB_SIZE))
        b = f->ob[a - SIM_FLASH_OB_BASE];
      else if (in_range (a, SIM_FLASH_INFO_BASE, SIM_FLASH_INFO_SIZE))
        b = info_byte (f, a - SIM_FLASH_INFO_BASE);
      else
        b = (uint8_t) (f->idcode >> (8 * (a - SIM_DBGMCU_IDCODE_ADDR)));
      v |= (uint32_t) b << (8 * i);
    }
  *value = v;
  return true;
}

bool
sim_flash_read (SimFlash *f, uint32_t addr, unsigned size, uint32_t *value)
{
  unsigned bank;
  uint32_t off;

  if ((size != 1 && size != 2 && size != 4) || addr % size != 0)
    return false;
  if (reg_at (f, addr, &bank, &off))
    {
      uint32_t word = read_reg (f, bank, off & ~3u) >> (8 * (off & 3));
      *value = size == 4 ? word : word & ((1u << (8 * size)) - 1);
      return true;
    }
  if (in_range (addr, SIM_FLASH_BASE, f->size) && read_protected (f))
    return false;  /* read protection: the main flash cannot be read */
  return read_bytes (f, addr, size, value);
}

/* Programs one half-word of main flash (PG set).  A half-word that is not
 * erased keeps its value and sets PGERR, unless 0x0000 is written. */
static void
program_main (SimFlash *f, uint32_t addr, uint16_t v)
{
  SimFlashCtl *c = &f->ctl[bank_of (f, addr)];
  uint32_t off = addr - SIM_FLASH_BASE;
  uint16_t old = (uint16_t) (f->mem[off] | (f->mem[off + 1] << 8));

  if (page_protected (f, off / f->page_size))
    {
      finish (c, SR_WRPRTERR);
      return;
    }
  if (old != 0xffff && v != 0)
    {
      sim_trace ("flash: 0x%08x not erased (0x%04x)", addr, old);
      finish (c, SR_PGERR);
      return;
    }
  f->mem[off] = (uint8_t) v;
  f->mem[off + 1] = (uint8_t) (v >> 8);
  finish (c, 0);
}

/* Programs one option byte (OPTPG set): the low byte is stored and the
 * hardware adds its complement. */
static void
program_option (SimFlash *f, uint32_t addr, uint16_t v)
{
  uint32_t off = addr - SIM_FLASH_OB_BASE;

  if (!(f->ctl[0].cr & CR_OPTWRE))
    {
      finish (&f->ctl[0], SR_WRPRTERR);
      return;
    }
  if (f->ob[off] != 0xff || f->ob[off + 1] != 0xff)
    {
      finish (&f->ctl[0], SR_PGERR);
      return;
    }
  f->ob[off] = (uint8_t) v;
  f->ob[off + 1] = (uint8_t) ~v;
  finish (&f->ctl[0], 0);
}

bool
sim_flash_write (SimFlash *f, uint32_t addr, unsigned size, uint32_t value)
{
  unsigned bank;
  uint32_t off;

  if ((size != 1 && size != 2 && size != 4) || addr % size != 0)
    return false;
  if (reg_at (f, addr, &bank, &off))
    return size == 4 && write_reg (f, bank, off, value);

  bool main_flash = in_range (addr, SIM_FLASH_BASE, f->size);
  bool option = in_range (addr, SIM_FLASH_OB_BASE, SIM_FLASH_OB_SIZE);
  /* main flash: its bank's controller; option bytes: bank 0's */
  const SimFlashCtl *c = &f->ctl[main_flash ? bank_of (f, addr) : 0];
  bool programming = !locked (c) &&
                     (main_flash ? (c->cr & CR_PG) : option && (c->cr & CR_OPTPG));

  if (!programming)
    return true;  /* plain writes to flash, ID and info are ignored */
  if (size == 1)
    return false;  /* programming takes half-words (or words) only */
  /* A word is programmed as two half-words, as on the GD32VF103. */
  for (unsigned i = 0; i < size; i += 2)
    {
      uint16_t hw = (uint16_t) (value >> (8 * i));
      if (main_flash)
        program_main (f, addr + i, hw);
      else
        program_option (f, addr + i, hw);
    }
  return true;
}
