/* SPDX-License-Identifier: MIT */
/* The real openocd-dbusd on a private bus (GTestDBus), in front of one or
 * more simulated boards with real OpenOCDs, for integration tests and the
 * benchmark. */
#pragma once

#include <gio/gio.h>

#include "ood-generated.h"
#include "ood-testbed.h"

G_BEGIN_DECLS

typedef struct _OodServiceFixture OodServiceFixture;

typedef struct {
  guint              n_boards;     /* 0 or 1: endpoint "default"; more: "board0", "board1", … */
  const char        *target_name;  /* NULL: riscv.cpu */
  const char *const *extra_args;   /* more daemon arguments, NULL-terminated */
  gboolean           no_service;   /* boards and bus only */
  const char        *bind_address; /* NULL: OpenOCD listens on 127.0.0.1 only */
  gboolean           gdb;          /* OpenOCD serves GDB too (ood_testbed_get_gdb_port) */
  gboolean           supervised;   /* the service runs each board's OpenOCD (Exec=) */
  const char        *image_path;   /* NULL: the simulator's built-in program */
  gboolean           rtt_commands; /* OpenOCD gets its own rtt commands (OodTestbedOptions) */
  guint              harts;        /* harts per board, each a target (OodTestbedOptions) */
  gboolean           smp;          /* those targets in one SMP group (OodTestbedOptions) */
  gboolean           sim_trace;    /* the simulator logs DMI accesses (OodTestbedOptions) */
  guint              flash_banks;  /* 2: the dual-bank flash board (OodTestbedOptions) */
} OodServiceOptions;

OodServiceFixture *ood_service_fixture_new           (const OodServiceOptions *options,
                                                      GError                 **error);
void               ood_service_fixture_free          (OodServiceFixture *fixture);
GDBusConnection   *ood_service_fixture_get_bus       (OodServiceFixture *fixture);
const char        *ood_service_fixture_get_bus_address (OodServiceFixture *fixture);
OodTestbed        *ood_service_fixture_get_testbed   (OodServiceFixture *fixture,
                                                      guint              board);
char              *ood_service_fixture_dup_endpoint_name (OodServiceFixture *fixture,
                                                          guint              board);
char              *ood_service_fixture_dup_target_path (OodServiceFixture *fixture,
                                                        guint              board);
OodDbusTarget         *ood_service_fixture_get_target    (OodServiceFixture *fixture,
                                                      guint              board);
OodDbusBreakpoints    *ood_service_fixture_get_breakpoints (OodServiceFixture *fixture,
                                                        guint              board);
OodDbusEndpoint       *ood_service_fixture_get_endpoint  (OodServiceFixture *fixture,
                                                      guint              board);
GPid               ood_service_fixture_get_service_pid (OodServiceFixture *fixture);
gboolean           ood_service_fixture_start_service (OodServiceFixture *fixture,
                                                      GError           **error);
int                ood_service_fixture_stop_service  (OodServiceFixture *fixture);
const char        *ood_service_fixture_get_tmpdir    (OodServiceFixture *fixture);
const char        *ood_service_fixture_get_log_path  (OodServiceFixture *fixture);
/* Replaces the daemon's configuration by @text from the next
 * ood_service_fixture_start_service() on, which then waits only until the
 * daemon owns its name (the endpoints are whatever @text makes). */
gboolean           ood_service_fixture_use_config (OodServiceFixture *fixture,
                                                   const char        *text,
                                                   GError           **error);
/* The configuration group of @board's endpoint when supervised:
 * "[Endpoint NAME]\nExec=…\n". */
char              *ood_service_fixture_dup_exec_group (OodServiceFixture *fixture,
                                                       guint              board);
gboolean           ood_service_fixture_set_openocd_address (OodServiceFixture *fixture,
                                                            guint              board,
                                                            const char        *address,
                                                            GError           **error);

/* Iterates the default main context until @condition holds or @timeout_ms
 * passes; returns whether it holds. */
typedef gboolean (*OodTestCondition) (gpointer user_data);
gboolean ood_test_wait_for (OodTestCondition condition,
                            gpointer         user_data,
                            guint            timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodServiceFixture, ood_service_fixture_free)

G_END_DECLS
