/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * SEGGER RTT as the service reads it through OpenOCD's memory commands
 * (read_memory, write_memory), with no I/O here: the layout of the control
 * block, the script of one poll, and the parser of its answer.
 *
 * The control block, in the target's RAM and byte order, 32-bit fields:
 *   char id[16]; u32 max_up; u32 max_down;
 *   then max_up up-buffer descriptors, then max_down down-buffer ones,
 *   each { u32 name; u32 buffer; u32 size; u32 write_offset;
 *          u32 read_offset; u32 flags; }
 * The target writes an up-buffer and its write offset, the host reads it
 * and advances the read offset; a down-buffer the other way round. A
 * buffer holds at most size - 1 bytes.
 *
 * OpenOCD 0.12's own RTT (`rtt setup`, `rtt start`, `rtt server`) exists
 * only for Cortex-M and HLA targets; reading the block through memory
 * commands works for every target OpenOCD reads while it runs (RISC-V
 * over System Bus Access).
 */

/* id is 16 bytes: an id of at most 15 bytes, NUL-terminated in the block */
#define OOD_TCL_RTT_ID_MAX        15
#define OOD_TCL_RTT_HEADER_WORDS  6
#define OOD_TCL_RTT_BUFFER_WORDS  6
/* The most up- plus down-buffers the service takes a block to have. */
#define OOD_TCL_RTT_MAX_BUFFERS   32
/* The most bytes one poll reads of one up-buffer (1 KiB of RISC-V System
 * Bus Access takes ~20 ms on the simulated board). */
#define OOD_TCL_RTT_POLL_MAX      4096
/* The error a poll gives when the block's id or buffer counts changed. */
#define OOD_TCL_RTT_GONE_MARK "ood-dbus: the RTT control block is gone"

/* One buffer of the block, as its descriptor says. */
typedef struct {
  guint    index;     /* among the up- or down-buffers */
  gboolean up;
  guint32  name;      /* address of its name, 0 for none */
  guint32  buffer;
  guint32  size;
} OodTclRttBuffer;

/* Bytes for a down-buffer (at most OOD_TCL_RTT_POLL_MAX). */
typedef struct {
  OodTclRttBuffer buffer;   /* as the block described it when found */
  const guint8   *data;
  gsize           size;
} OodTclRttWrite;

/* One poll: read what waits in up-buffers @up, put @writes in theirs.
 * The buffers' addresses and sizes are those found when RTT started; a
 * poll reads only the offsets of the buffers it uses, unless @check: then
 * it reads the block from its start and fails with OOD_TCL_RTT_GONE_MARK
 * if the id, the buffer counts or a used buffer's address or size
 * differ. Offsets out of a buffer's bounds fail with the mark too. */
typedef struct {
  guint64                address;     /* of the control block */
  guint32                id_words[4]; /* its first 16 bytes, as 32-bit words */
  guint                  n_up;
  guint                  n_down;
  gboolean               check;
  const OodTclRttBuffer *up;          /* up-buffers to read */
  guint                  n_up_read;
  const OodTclRttWrite  *writes;
  guint                  n_writes;
} OodTclRttPoll;

void      ood_tcl_rtt_words_to_bytes (const guint64 *words,
                                      guint          count,
                                      gboolean       big_endian,
                                      guint8        *bytes);
gboolean  ood_tcl_rtt_find_id        (const guint8 *bytes,
                                      gsize         size,
                                      const char   *id,
                                      gsize        *offset);
gboolean  ood_tcl_rtt_parse_header   (const guint64 *words,
                                      guint         *n_up,
                                      guint         *n_down,
                                      GError       **error);
GArray   *ood_tcl_rtt_parse_buffers  (const guint64 *words,
                                      guint          n_up,
                                      guint          n_down);
char     *ood_tcl_rtt_parse_name     (const guint64 *words,
                                      guint          count);

char     *ood_tcl_script_rtt_poll    (const char          *target,
                                      const OodTclRttPoll *poll);
gboolean  ood_tcl_parse_rtt_poll     (const char  *text,
                                      guint        n_up_read,
                                      guint        n_writes,
                                      gboolean     big_endian,
                                      GBytes     **up_data,
                                      gsize       *written,
                                      GError     **error);

G_END_DECLS
