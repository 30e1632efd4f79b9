/* riscv-rbb-sim: a simulated RV32IM board that OpenOCD debugs over its
 * remote_bitbang JTAG adapter. */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "rbb-server.h"
#include "sim-log.h"

typedef struct {
  SimMem mem;
  SimHart harts[SIM_MAX_HARTS];
  SimDm dm;
  SimDtm dtm;
  SimTap tap;
  SimServer server;
} SimBoard;

static volatile sig_atomic_t stop_requested = 0;

static void
on_stop_signal (int signum)
{
  (void) signum;
  stop_requested = 1;
}

/* SIGUSR1 breaks the debug link, SIGUSR2 mends it (see rbb-server.h). */
static void
on_link_signal (int signum)
{
  sim_link_broken = signum == SIGUSR1;
}

/* The stop signals stay blocked except while the server waits in ppoll(). */
static void
setup_signals (void)
{
  struct sigaction sa = { .sa_handler = on_stop_signal };
  struct sigaction link = { .sa_handler = on_link_signal, .sa_flags = SA_RESTART };
  sigset_t set;

  sigemptyset (&sa.sa_mask);
  sigemptyset (&link.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGUSR1, &link, NULL);
  sigaction (SIGUSR2, &link, NULL);
  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigprocmask (SIG_BLOCK, &set, NULL);
}

typedef struct {
  int port;
  int harts;
  int flash_banks;
  char *image;
  char *wrp;
} SimArgs;

static gboolean
check_args (const SimArgs *args, GError **error)
{
  if (args->port < 0 || args->port > 65535)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad port %d", args->port);
      return FALSE;
    }
  if (args->harts < 1 || args->harts > (int) SIM_MAX_HARTS)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "bad hart count %d (1 to %u)", args->harts, SIM_MAX_HARTS);
      return FALSE;
    }
  if (args->flash_banks != 1 && args->flash_banks != 2)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "bad flash bank count %d (1 or 2)", args->flash_banks);
      return FALSE;
    }
  if (args->wrp)
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (args->wrp, &end, 0);
      if (*end != '\0' || end == args->wrp || v > G_MAXUINT32)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "bad --flash-wrp mask %s", args->wrp);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_args (int argc, char **argv, SimArgs *args, GError **error)
{
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &args->port, "TCP port on 127.0.0.1 (0: any free port)", "N" },
    { "harts", 0, 0, G_OPTION_ARG_INT, &args->harts, "Number of harts, 1 to 8 (default 1)", "N" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &args->image, "Raw binary loaded at 0x80000000", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &sim_verbose, "Trace DMI accesses and hart events", NULL },
    { "flash-wrp", 0, 0, G_OPTION_ARG_STRING, &args->wrp,
      "Start with these 4 KiB flash blocks write-protected (bit n: pages 4n..4n+3, or 2n..2n+1 "
      "with 2 banks; e.g. 0x1)", "MASK" },
    { "flash-banks", 0, 0, G_OPTION_ARG_INT, &args->flash_banks,
      "1 (default): 64 KiB of flash like a GD32VF103; 2: 576 KiB in two banks, like an "
      "STM32F1 XL-density part", "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- simulated RISC-V board for OpenOCD");

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "The board has RISC-V harts (one, or --harts N in one Debug Module, each\n"
    "with mhartid N-1 at most; the built-in program keeps hart i's loop counter at\n"
    "0x80008000 + 4 * i) sharing 1 MiB of RAM at 0x80000000 and, like a\n"
    "GD32VF103, 64 KiB of flash at 0x08000000 (1 KiB pages) behind an STM32F1-style\n"
    "flash controller at 0x40022000, programmed by OpenOCD's stm32f1x driver.\n"
    "Flash errors as on the real part: programming a half-word that is not erased\n"
    "sets PGERR and keeps the old value; programming or erasing a write-protected\n"
    "page (see --flash-wrp, or OpenOCD's \"flash protect\" and a reset) sets\n"
    "WRPRTERR; a wrong FLASH_KEYR key is a bus error and locks the controller\n"
    "until the next reset.\n"
    "With --flash-banks 2 the flash is an STM32F1 XL-density part's (DEV_ID\n"
    "0x430), the stm32f1x driver's one dual-bank part: 576 KiB in 2 KiB pages,\n"
    "bank 0 the first 512 KiB behind the controller at 0x40022000, bank 1 the\n"
    "64 KiB at 0x08080000 behind a second controller at 0x40022040.\n"
    "A read-only clock at 0x0200bff8 (low word) and 0x0200bffc (high word)\n"
    "counts CLOCK_MONOTONIC microseconds, like a CLINT's mtime.\n"
    "SIGUSR1 breaks the board's debug link (every DMI access fails, as when the\n"
    "Debug Module loses power; the TAP still answers, the harts go on) while the\n"
    "adapter connection stays up; SIGUSR2 mends it.");
  return g_option_context_parse (ctx, &argc, &argv, error) && check_args (args, error);
}

static gboolean
board_init (SimBoard *b, const SimArgs *args, GError **error)
{
  sim_mem_init (&b->mem);
  if (args->flash_banks == 2)
    sim_flash_set_dual_bank (&b->mem.flash);
  for (int i = 0; i < args->harts; i++)
    sim_hart_init (&b->harts[i], (uint32_t) i, &b->mem);
  if (args->wrp)
    sim_flash_set_write_protection (&b->mem.flash,
                                    (uint32_t) g_ascii_strtoull (args->wrp, NULL, 0));
  if (args->image)
    {
      if (!sim_mem_load_image (&b->mem, args->image, error))
        return FALSE;
    }
  else
    sim_mem_load_default_program (&b->mem);
  sim_dm_init (&b->dm, b->harts, (unsigned) args->harts, &b->mem);
  sim_dtm_init (&b->dtm, &b->dm);
  sim_tap_init (&b->tap, &b->dtm);
  b->server.tap = &b->tap;
  b->server.dm = &b->dm;
  return sim_server_listen (&b->server, (guint16) args->port, error);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree SimBoard *board = g_new0 (SimBoard, 1);
  SimArgs args = { .port = 0, .harts = 1, .flash_banks = 1 };
  gboolean ok = parse_args (argc, argv, &args, &error) && board_init (board, &args, &error);

  g_free (args.image);
  g_free (args.wrp);
  if (!ok)
    {
      sim_log ("%s", error->message);
      return EXIT_FAILURE;
    }
  setup_signals ();
  printf ("listening on port %u\n", board->server.port);
  fflush (stdout);
  sim_server_run (&board->server, &stop_requested);
  sim_log ("stopping");
  sim_server_close (&board->server);
  return EXIT_SUCCESS;
}
