/* Test bed for openocd-dbus tests and benchmarks: the simulated RISC-V
 * board (tests/sim/riscv-rbb-sim) with a real OpenOCD 0.12 attached, plus a
 * tiny synchronous client for OpenOCD's Tcl RPC port.
 *
 * Paths come from $OOD_SIM, $OOD_SIM_CFG, $OOD_OPENOCD and
 * $OOD_RTT_FIRMWARE, defaulting to the build tree's.  Logs go to a temporary
 * directory, kept when $OOD_TEST_KEEP_LOGS is set or startup fails; with
 * $OOD_TEST_VERBOSE OpenOCD's output is inherited instead. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _OodTestbed OodTestbed;

typedef struct {
  const char *target_name;  /* NULL = riscv.cpu */
  const char *image_path;   /* NULL = the simulator's built-in program */
  gboolean no_openocd;      /* only start the simulator */
  const char *bind_address; /* NULL = OpenOCD listens on 127.0.0.1 only (bindto) */
  gboolean gdb;             /* OpenOCD serves GDB too, on ood_testbed_get_gdb_port() */
  gboolean rtt_commands;    /* OpenOCD gets its rtt commands (tests/sim/riscv-sim.cfg,
                               _SIM_RTT); for the RTT firmware, image_path =
                               ood_test_rtt_firmware_path () */
  guint harts;              /* 0 or 1 = one hart; N (up to 8) = the simulator's --harts N
                               and OpenOCD's _SIM_HARTS N: targets NAME, NAME1...
                               (tests/sim/riscv-sim.cfg), NAME current */
  gboolean smp;             /* with harts > 1: those targets in one SMP group (_SIM_SMP) */
  gboolean sim_trace;       /* the simulator logs every DMI access and abstract command
                               (--verbose) to what ood_testbed_read_sim_log() reads */
  guint flash_banks;        /* 0 or 1 = the GD32VF103-like 64 KiB; 2 = the simulator's
                               --flash-banks 2 and OpenOCD's _SIM_FLASH_BANKS 2: bank 0
                               512 KiB at 0x08000000, bank 1 64 KiB at 0x08080000 */
} OodTestbedOptions;

OodTestbed *ood_testbed_new (const OodTestbedOptions *opts, GError **error);
guint16 ood_testbed_get_tcl_port (OodTestbed *tb);
guint16 ood_testbed_get_sim_port (OodTestbed *tb);
/* OpenOCD's GDB port, or 0 (options.gdb unset). */
guint16 ood_testbed_get_gdb_port (OodTestbed *tb);
/* The next ood_testbed_start_openocd() serves GDB on another free port. */
void ood_testbed_move_gdb_port (OodTestbed *tb);
char *ood_testbed_get_address (OodTestbed *tb);
const char *ood_testbed_get_target_name (OodTestbed *tb);
void ood_testbed_set_target_name (OodTestbed *tb, const char *name);
/* The simulator's process id, or 0. */
int ood_testbed_get_sim_pid (OodTestbed *tb);
/* OpenOCD's process id (e.g. to SIGSTOP it), or 0. */
int ood_testbed_get_openocd_pid (OodTestbed *tb);
/* The simulator's stderr so far. */
char *ood_testbed_read_sim_log (OodTestbed *tb);
/* How many abstract commands in @log (a sim log with sim_trace) read
 * register @regno: OOD_SIM_REG_DCSR, OOD_SIM_REG_DPC. */
#define OOD_SIM_REG_DCSR 0x7b0
#define OOD_SIM_REG_DPC  0x7b1
guint ood_testbed_register_reads (const char *log, guint regno);
void ood_testbed_kill_openocd (OodTestbed *tb, int signum);
gboolean ood_testbed_start_openocd (OodTestbed *tb, GError **error);
/* OpenOCD's command line for this board up to and with its configuration
 * file, without ports: what a supervisor (Exec=) is given. */
GStrv ood_testbed_dup_openocd_argv (OodTestbed *tb);
void ood_testbed_free (OodTestbed *tb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodTestbed, ood_testbed_free)

/* Synchronous Tcl RPC client for tests only. */
typedef struct _OodTestTcl OodTestTcl;

OodTestTcl *ood_test_tcl_connect (guint16 port, GError **error);
char *ood_test_tcl_eval (OodTestTcl *tcl, const char *command, GError **error);
void ood_test_tcl_free (OodTestTcl *tcl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodTestTcl, ood_test_tcl_free)
/* What @tb's OpenOCD answers @command on a connection of its own, stripped;
 * asserts that connecting and evaluating succeed. */
char *ood_test_tcl_eval_on (OodTestbed *tb, const char *command);

/* @size bytes at @address as raw `read_memory ADDRESS WIDTH N` on @tb's
 * OpenOCD reads them (@width 8 or 32; @size a multiple of @width / 8), in
 * pieces of 4 KiB; the host is little-endian, as the board is. */
GBytes *ood_test_tcl_read_memory (OodTestbed *tb, guint width, guint64 address, gsize size);

/* Quotes any string as one Tcl word (backslash-escapes non-alphanumerics). */
char *ood_test_tcl_quote (const char *s);

/* Small helpers shared by the tests and the benchmark. */
const char *ood_test_env_or (const char *name, const char *fallback);
/* The simulated board's RTT firmware, a raw image for 0x80000000
 * (tests/sim/firmware/rtt-firmware.h): $OOD_RTT_FIRMWARE or the build
 * tree's. */
const char *ood_test_rtt_firmware_path (void);
/* @bytes as file @name in @dir (asserting it worked); the file's path. */
char *ood_test_save_bytes (const char *dir, const char *name, GBytes *bytes);
/* The whole file at @path (asserting it could be read). */
GBytes *ood_test_load_bytes (const char *path);
/* @size random bytes with no erased (0xffff) half-word, as flash images. */
GBytes *ood_test_random_flash_image (gsize size);
void ood_test_die_with_parent (gpointer user_data);

G_END_DECLS
