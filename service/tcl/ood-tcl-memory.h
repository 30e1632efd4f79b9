/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "ood-tcl-parse.h"

G_BEGIN_DECLS

/*
 * Scripts and parsers for org.openocd.Registers and org.openocd.Memory.
 * The scripts answer "<code> <text>" like those of ood-tcl-script.h.
 * Register names reach a script only after the caller checked them
 * against the names OpenOCD listed, and then quoted (ood_tcl_quote());
 * numbers are formatted here. Each script runs as few OpenOCD commands as
 * it can: one get_reg for any number of registers, one read_memory or
 * write_memory per chunk.
 */

/* The most bytes one memory script moves: OpenOCD's read_memory and
 * write_memory work in buffers of 4096 bytes, and on the simulated board
 * 4 KiB take ~60 ms, so the callers queued behind a chunk wait no longer. */
#define OOD_TCL_MEM_CHUNK 4096u

/* One register as OpenOCD's `reg` lists it. */
typedef struct {
  char    *name;
  guint    number;
  guint    bits;
  gboolean dirty;
} OodTclRegister;

/* What a ReadAll script answers. */
typedef struct {
  GHashTable *values;      /* name → "0x…" */
  GStrv       unreadable;  /* names OpenOCD failed to read */
  GArray     *listing;     /* (element-type OodTclRegister) `reg` after the reads */
} OodTclRegReadAll;

/* One write_memory of a memory script. */
typedef struct {
  guint64        address;
  guint          width;    /* bits: 8, 16, 32 or 64 */
  guint          count;
  const guint64 *values;
} OodTclMemWrite;

char *ood_tcl_script_reg_learn    (const char *target);
char *ood_tcl_script_reg_read     (const char        *target,
                                   const char *const *names,
                                   guint              n_names);
char *ood_tcl_script_reg_read_all (const char        *target,
                                   const char *const *names,
                                   guint              n_names);
char *ood_tcl_script_reg_write    (const char *target,
                                   const char *name,
                                   guint64     value,
                                   gboolean    with_record);
char *ood_tcl_script_mem_learn    (const char *target);
char *ood_tcl_script_mem_read     (const char *target,
                                   guint64     address,
                                   guint       width,
                                   guint       count);
char *ood_tcl_script_mem_write    (const char           *target,
                                   const OodTclMemWrite *writes,
                                   guint                 n_writes);

GArray     *ood_tcl_parse_reg_list     (const char *text,
                                        GError    **error);
GHashTable *ood_tcl_parse_reg_values   (const char *text,
                                        GError    **error);
OodTclRegReadAll *ood_tcl_parse_reg_read_all (const char *text,
                                              GError    **error);
void        ood_tcl_reg_read_all_free  (OodTclRegReadAll *result);
OodTclTargetRecord *ood_tcl_parse_pc_write (const char *text,
                                           char      **failure,
                                           GError    **error);
gboolean    ood_tcl_parse_mem_learn    (const char *text,
                                        gboolean   *big_endian,
                                        guint      *address_bits,
                                        GError    **error);
gboolean    ood_tcl_parse_mem_words    (const char *text,
                                        guint       width,
                                        guint       count,
                                        guint64    *values,
                                        GError    **error);
gboolean    ood_tcl_hex_to_u64         (const char *hex,
                                        guint64    *value);
GBytes     *ood_tcl_hex_to_bytes       (const char *hex,
                                        guint       bits);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OodTclRegReadAll, ood_tcl_reg_read_all_free)

G_END_DECLS
