/* SPDX-License-Identifier: MIT */
/* A real GDB (gdb-multiarch, or $OOD_GDB) on pipes beside the service, as
 * a user drives it: commands in, its console output collected. The calls
 * assert that GDB runs; GDB dies with the test. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _OodTestGdb OodTestGdb;

OodTestGdb *ood_test_gdb_new    (void);
/* `target extended-remote 127.0.0.1:@port` as an RV32 target; answers what
 * GDB printed. */
char       *ood_test_gdb_attach (OodTestGdb *gdb,
                                 guint16     port);
/* Sends @commands and waits until GDB ran them all (failing the test after
 * 30 s); answers what GDB printed meanwhile. */
char       *ood_test_gdb_run    (OodTestGdb *gdb,
                                 const char *commands);
/* Sends @commands (a `continue`, say) without waiting for them. */
void        ood_test_gdb_start  (OodTestGdb *gdb,
                                 const char *commands);
/* Waits up to @timeout_ms for GDB to have run what ood_test_gdb_start()
 * sent, iterating the default main context; answers what GDB printed
 * since, or NULL if it has not run them yet. */
char       *ood_test_gdb_wait   (OodTestGdb *gdb,
                                 guint       timeout_ms);
/* The last "$N = 0x…" value in @text, as `p/x` prints it. */
guint64     ood_test_gdb_value  (const char *text);
/* The PC as GDB reports it (`info registers pc`). */
guint64     ood_test_gdb_pc     (OodTestGdb *gdb);
/* Quits GDB (which detaches first) and asserts it exits cleanly. */
void        ood_test_gdb_quit   (OodTestGdb *gdb);
/* Kills GDB if it still runs; frees. */
void        ood_test_gdb_free   (OodTestGdb *gdb);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodTestGdb, ood_test_gdb_free)

G_END_DECLS
