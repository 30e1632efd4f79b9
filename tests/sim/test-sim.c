/* Real OpenOCD 0.12 against the simulated board, over the Tcl RPC port. */
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ood-testbed.h"

#define RAM_BASE   0x80000000u
#define RAM_END    0x80100000u   /* 1 MiB of RAM (hart.h) */
#define LOOP_ADDR  0x80000010u  /* after the call, inside the loop */
#define FUNC_ADDR  0x80000020u  /* the called function */
#define COUNTER    0x80008000u  /* the loop stores its counter here */
#define SBA_SCRATCH 0x80008400u /* RAM the built-in program leaves alone */
#define UNMAPPED   0x10000000u  /* nothing answers here */
#define CLOCK      0x0200bff8u  /* the board's clock (hart.h), low word first */
#define DM_SBCS    0x38
#define DM_DMCONTROL 0x10
#define DMCONTROL_SETRESETHALTREQ_ACTIVE 0x9u  /* setresethaltreq, dmactive */
#define DMCONTROL_CLRRESETHALTREQ_ACTIVE 0x5u  /* clrresethaltreq, dmactive */

typedef struct {
  OodTestbed *tb;
  OodTestTcl *tcl;
  char *target;  /* quoted for Tcl */
} Fixture;

static void
fixture_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->tcl = ood_test_tcl_connect (ood_testbed_get_tcl_port (f->tb), &error);
  g_assert_no_error (error);
}

static void
fixture_start (Fixture *f, const char *target_name)
{
  g_autoptr(GError) error = NULL;
  OodTestbedOptions opts = { .target_name = target_name };

  f->tb = ood_testbed_new (&opts, &error);
  g_assert_no_error (error);
  f->target = ood_test_tcl_quote (ood_testbed_get_target_name (f->tb));
  fixture_connect (f);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  (void) data;
  fixture_start (f, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  g_clear_pointer (&f->tcl, ood_test_tcl_free);
  g_clear_pointer (&f->tb, ood_testbed_free);
  g_free (f->target);
}

static char *
eval (Fixture *f, const char *command)
{
  g_autoptr(GError) error = NULL;
  char *reply = ood_test_tcl_eval (f->tcl, command, &error);

  g_assert_no_error (error);
  g_test_message ("%s -> '%s'", command, reply);
  return reply;
}

static char *
eval_target (Fixture *f, const char *subcommand)
{
  g_autofree char *cmd = g_strdup_printf ("%s %s", f->target, subcommand);

  return eval (f, cmd);
}

static char *
curstate (Fixture *f)
{
  return eval_target (f, "curstate");
}

static guint32
read_pc (Fixture *f)
{
  g_autofree char *reply = eval (f, "get_reg -force {pc}");
  const char *value = strrchr (reply, ' ');

  g_assert_true (g_str_has_prefix (reply, "pc 0x"));
  return (guint32) strtoull (value + 1, NULL, 16);
}

/* dcsr.cause (debug spec 0.13.2): why the hart entered debug mode. */
enum { CAUSE_EBREAK = 1, CAUSE_TRIGGER, CAUSE_HALTREQ, CAUSE_STEP, CAUSE_RESETHALTREQ };

static guint
read_cause (Fixture *f)
{
  g_autofree char *reply = eval (f, "get_reg -force {dcsr}");
  const char *value = strrchr (reply, ' ');

  g_assert_true (g_str_has_prefix (reply, "dcsr 0x"));
  return (guint) (strtoull (value + 1, NULL, 16) >> 6) & 7u;
}

static guint32
read_word (Fixture *f, guint32 addr)
{
  g_autofree char *cmd = g_strdup_printf ("read_memory 0x%08x 32 1", addr);
  g_autofree char *reply = eval (f, cmd);

  return (guint32) strtoull (reply, NULL, 0);
}

static void
halt (Fixture *f)
{
  g_autofree char *r = eval (f, "halt");
  g_autofree char *state = curstate (f);

  g_assert_cmpstr (state, ==, "halted");
}

static void
assert_pc_in_ram (guint32 pc)
{
  g_assert_cmphex (pc, >=, RAM_BASE);
  g_assert_cmphex (pc, <, RAM_END);
  g_assert_cmphex (pc % 4, ==, 0);
}

static void
test_examine (Fixture *f, gconstpointer data)
{
  g_autofree char *targets = eval (f, "targets");
  g_autofree char *state = curstate (f);

  (void) data;
  g_assert_nonnull (strstr (targets, "riscv.cpu"));
  g_assert_true (strstr (targets, "running") || strstr (targets, "halted"));
  g_assert_true (g_str_equal (state, "running") || g_str_equal (state, "halted"));
}

static void
test_halt (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  assert_pc_in_ram (read_pc (f));
  g_assert_cmpuint (read_cause (f), ==, CAUSE_HALTREQ);
}

/* The built-in program's control flow: the only successor of each pc. */
static guint32
next_pc (guint32 pc)
{
  switch (pc - RAM_BASE)
    {
    case 0x0c: return FUNC_ADDR;
    case 0x1c: return RAM_BASE + 0x08;
    case 0x24: return LOOP_ADDR;
    default: return pc + 4;
    }
}

static void
test_step (Fixture *f, gconstpointer data)
{
  guint32 pc;

  (void) data;
  halt (f);
  pc = read_pc (f);
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *r = eval (f, "step");
      guint32 now = read_pc (f);

      assert_pc_in_ram (now);
      g_assert_cmphex (now, ==, next_pc (pc));
      g_assert_cmpuint (read_cause (f), ==, CAUSE_STEP);
      pc = now;
    }
}

static void
test_resume (Fixture *f, gconstpointer data)
{
  guint32 before, after;

  (void) data;
  halt (f);
  before = read_word (f, COUNTER);
  g_autofree char *r = eval (f, "resume");
  g_autofree char *state = curstate (f);
  g_assert_cmpstr (state, ==, "running");
  g_usleep (200 * 1000);
  halt (f);
  after = read_word (f, COUNTER);
  assert_pc_in_ram (read_pc (f));
  g_assert_cmpuint (after, >, before);
}

static void
reset_halt_with_cause (Fixture *f, guint cause)
{
  g_autofree char *r = eval (f, "reset halt");
  g_autofree char *state = curstate (f);

  g_assert_cmpstr (state, ==, "halted");
  g_assert_cmphex (read_pc (f), ==, RAM_BASE);
  g_assert_cmpuint (read_cause (f), ==, cause);
}

/* OpenOCD 0.12 halts out of reset with haltreq; a hart whose halt-on-reset
 * bit is set (written here by hand) reports the higher-priority cause. */
static void
test_reset_halt (Fixture *f, gconstpointer data)
{
  g_autofree char *set = g_strdup_printf ("riscv dmi_write 0x%x 0x%x", DM_DMCONTROL,
                                          DMCONTROL_SETRESETHALTREQ_ACTIVE);
  g_autofree char *clr = g_strdup_printf ("riscv dmi_write 0x%x 0x%x", DM_DMCONTROL,
                                          DMCONTROL_CLRRESETHALTREQ_ACTIVE);

  (void) data;
  reset_halt_with_cause (f, CAUSE_HALTREQ);
  g_free (eval (f, set));
  reset_halt_with_cause (f, CAUSE_RESETHALTREQ);
  g_free (eval (f, clr));
  reset_halt_with_cause (f, CAUSE_HALTREQ);
}

static void
test_reset_run (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  g_autofree char *r = eval (f, "reset run");
  g_autofree char *state = curstate (f);
  g_assert_cmpstr (state, ==, "running");
}

static void
check_breakpoint (Fixture *f, guint32 addr, const char *kind, guint cause)
{
  g_autofree char *bp = g_strdup_printf ("bp 0x%08x 4%s", addr, kind);
  g_autofree char *rbp = g_strdup_printf ("rbp 0x%08x", addr);

  halt (f);
  g_free (eval (f, bp));
  for (int hit = 0; hit < 2; hit++)
    {
      g_autofree char *r = eval (f, "resume");
      g_autofree char *w = eval (f, "wait_halt 2000");
      g_autofree char *state = curstate (f);

      g_assert_cmpstr (state, ==, "halted");
      g_assert_cmphex (read_pc (f), ==, addr);
      g_assert_cmpuint (read_cause (f), ==, cause);
      /* step off the breakpoint: OpenOCD's resume does not */
      g_free (eval (f, rbp));
      g_free (eval (f, "step"));
      g_free (eval (f, bp));
    }
  g_free (eval (f, rbp));
}

static void
test_bp_hw (Fixture *f, gconstpointer data)
{
  (void) data;
  check_breakpoint (f, LOOP_ADDR, " hw", CAUSE_TRIGGER);
}

static void
test_bp_sw (Fixture *f, gconstpointer data)
{
  (void) data;
  check_breakpoint (f, FUNC_ADDR, "", CAUSE_EBREAK);
  /* the original instruction is back */
  g_assert_cmphex (read_word (f, FUNC_ADDR), ==, 0x00150513);
}

static guint32
read_reg (Fixture *f, const char *name)
{
  g_autofree char *cmd = g_strdup_printf ("get_reg -force {%s}", name);
  g_autofree char *reply = eval (f, cmd);
  const char *value = strrchr (reply, ' ');

  g_assert_nonnull (value);
  return (guint32) strtoull (value + 1, NULL, 16);
}

static void
resume_to_halt (Fixture *f)
{
  g_free (eval (f, "resume"));
  g_free (eval (f, "wait_halt 2000"));
  g_autofree char *state = curstate (f);
  g_assert_cmpstr (state, ==, "halted");
}

#define LOAD_PROGRAM 0x80008400u  /* lw t1, 0(t0); j . - 4 */
#define STORE_INSN   0x80000018u  /* the built-in program's sw s0, 0(t0) */

/* OpenOCD's wp on the trigger module: a store or a load halts before it
 * happens (dpc the instruction, dcsr.cause trigger, memory or rd not yet
 * written), a read watchpoint ignores stores, and resuming runs on to the
 * next hit.  tdata1 reads back what the trigger supports (hart.h). */
static void
test_watchpoint (Fixture *f, gconstpointer data)
{
  g_autofree char *wp_w = g_strdup_printf ("wp 0x%08x 4 w", COUNTER);
  g_autofree char *wp_r = g_strdup_printf ("wp 0x%08x 4 r", COUNTER);
  g_autofree char *rwp = g_strdup_printf ("rwp 0x%08x", COUNTER);
  guint32 count;

  (void) data;
  halt (f);
  g_free (eval (f, wp_w));
  resume_to_halt (f);
  g_assert_cmphex (read_pc (f), ==, STORE_INSN);
  g_assert_cmpuint (read_cause (f), ==, CAUSE_TRIGGER);
  count = read_word (f, COUNTER);
  g_assert_cmphex (read_reg (f, "fp"), ==, count + 1);  /* s0, not stored yet */
  resume_to_halt (f);
  g_assert_cmphex (read_pc (f), ==, STORE_INSN);
  g_assert_cmphex (read_word (f, COUNTER), ==, count + 1);
  g_free (eval (f, rwp));

  g_free (eval (f, wp_r));
  g_free (eval (f, "resume"));
  g_usleep (50 * 1000);
  halt (f);
  g_assert_cmpuint (read_cause (f), ==, CAUSE_HALTREQ);
  g_assert_cmphex (read_word (f, COUNTER), >, count + 1);
  g_free (eval (f, "mww 0x80008400 0x0002a303"));
  g_free (eval (f, "mww 0x80008404 0xffdff06f"));
  g_free (eval (f, "set_reg {t0 0x80008000 t1 0x1234 pc 0x80008400}"));
  resume_to_halt (f);
  g_assert_cmphex (read_pc (f), ==, LOAD_PROGRAM);
  g_assert_cmpuint (read_cause (f), ==, CAUSE_TRIGGER);
  g_assert_cmphex (read_reg (f, "t1"), ==, 0x1234);
  g_free (eval (f, rwp));

  /* timing 1, select, sizelo 1, action 3, match 5, s and u are not kept */
  g_free (eval (f, "set_reg {tselect 0 tdata1 0x200d32da}"));
  g_assert_cmphex (read_reg (f, "tdata1"), ==, 0x23e00042);
  g_free (eval (f, "set_reg {tdata1 0x23e00000}"));
}

static void
test_memory (Fixture *f, gconstpointer data)
{
  (void) data;
  halt (f);
  g_free (eval (f, "mww 0x80008100 0xdeadbeef"));
  g_autofree char *mdw = eval (f, "mdw 0x80008100");
  g_assert_nonnull (strstr (mdw, "0x80008100: deadbeef"));
  g_assert_cmphex (read_word (f, 0x80008100), ==, 0xdeadbeef);
  g_free (eval (f, "mwh 0x80008102 0x1234"));
  g_free (eval (f, "mwb 0x80008100 0x55"));
  g_assert_cmphex (read_word (f, 0x80008100), ==, 0x1234be55);
}

/* Evaluates command inside catch: returns Tcl's return code, *result the
 * command's result or error message. */
static int
eval_catch (Fixture *f, const char *command, char **result)
{
  g_autofree char *cmd = g_strdup_printf ("catch {%s} ood_result", command);
  g_autofree char *rc = eval (f, cmd);
  char *end = NULL;
  gint64 code = g_ascii_strtoll (rc, &end, 10);

  g_assert_true (end != rc && *end == '\0');
  *result = eval (f, "set ood_result");
  return (int) code;
}

static void
set_mem_access (Fixture *f, const char *method)
{
  g_autofree char *cmd = g_strdup_printf ("riscv set_mem_access %s", method);
  g_autofree char *result = NULL;

  g_assert_cmpint (eval_catch (f, cmd, &result), ==, 0);
}

/* read_memory that must succeed and give exactly count values. */
static void
read_mem (Fixture *f, guint32 addr, unsigned width, unsigned count, guint32 *values)
{
  g_autofree char *cmd = g_strdup_printf ("read_memory 0x%08x %u %u", addr, width, count);
  g_autofree char *result = NULL;
  g_auto(GStrv) words = NULL;

  g_assert_cmpint (eval_catch (f, cmd, &result), ==, 0);
  words = g_strsplit (g_strstrip (result), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, count);
  for (unsigned i = 0; i < count; i++)
    {
      char *end = NULL;
      values[i] = (guint32) g_ascii_strtoull (words[i], &end, 0);
      g_assert_true (end != words[i] && *end == '\0');
    }
}

static guint32
read_mem_one (Fixture *f, guint32 addr, unsigned width)
{
  guint32 value;

  read_mem (f, addr, width, 1, &value);
  return value;
}

static void
write_mem (Fixture *f, guint32 addr, unsigned width, unsigned count, const guint32 *values)
{
  g_autoptr(GString) cmd = g_string_new (NULL);
  g_autofree char *result = NULL;

  g_string_printf (cmd, "write_memory 0x%08x %u {", addr, width);
  for (unsigned i = 0; i < count; i++)
    g_string_append_printf (cmd, "%s0x%x", i ? " " : "", values[i]);
  g_string_append_c (cmd, '}');
  g_assert_cmpint (eval_catch (f, cmd->str, &result), ==, 0);
}

static guint32
read_sbcs (Fixture *f)
{
  g_autofree char *cmd = g_strdup_printf ("riscv dmi_read 0x%x", DM_SBCS);
  g_autofree char *reply = eval (f, cmd);
  char *end = NULL;
  guint32 value = (guint32) g_ascii_strtoull (g_strstrip (reply), &end, 0);

  g_assert_true (end != reply && *end == '\0');
  return value;
}

static void
assert_running (Fixture *f)
{
  g_autofree char *state = curstate (f);

  g_assert_cmpstr (state, ==, "running");
}

/* With only the system bus allowed, the running hart's counter moves
 * between two reads and the hart keeps running. */
static void
test_sba_running_read (Fixture *f, gconstpointer data)
{
  g_autofree char *info = NULL;
  guint32 first, second;

  (void) data;
  assert_running (f);
  info = eval (f, "riscv info");
  g_assert_true (g_regex_match_simple ("dm\\.sbversion\\s+1\\b", info, 0, 0));
  g_assert_true (g_regex_match_simple ("read_while_running32\\s+1\\b", info, 0, 0));
  set_mem_access (f, "sysbus");
  first = read_mem_one (f, COUNTER, 32);
  g_usleep (50 * 1000);
  second = read_mem_one (f, COUNTER, 32);
  g_test_message ("counter 0x%08x then 0x%08x", first, second);
  g_assert_cmphex (second, >, first);
  assert_running (f);
  /* and the hart really ran in between: its store was not a one-off */
  g_usleep (50 * 1000);
  g_assert_cmphex (read_mem_one (f, COUNTER, 32), >, second);
  assert_running (f);
}

/* The expected bytes of the scratch area after write_pattern (seed). */
static void
pattern_bytes (guint8 seed, guint8 bytes[16])
{
  for (unsigned i = 0; i < 16; i++)
    bytes[i] = (guint8) (seed + 0x11 * i);
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

/* Writes the 16 bytes at SBA_SCRATCH with every width, over words first
 * filled with wrong values (but byte +4): a 32-bit word at +0, 8-bit bytes
 * at the odd +5, +6, +7, 16-bit halves at +8 and +0xa (not word-aligned),
 * and a 32-bit word at +0xc. */
static void
write_pattern (Fixture *f, guint8 seed)
{
  guint8 b[16];
  guint32 words[4];
  guint32 bytes[3];
  guint32 half;

  pattern_bytes (seed, b);
  for (unsigned i = 0; i < 4; i++)
    words[i] = le32 (b + 4 * i) ^ 0xa5a5a5a5u;  /* wrong except byte 4 */
  words[1] = (words[1] & ~0xffu) | b[4];
  write_mem (f, SBA_SCRATCH, 32, 4, words);
  write_mem (f, SBA_SCRATCH, 32, 1, (const guint32[]) { le32 (b) });
  for (unsigned i = 0; i < 3; i++)
    bytes[i] = b[5 + i];
  write_mem (f, SBA_SCRATCH + 5, 8, 3, bytes);
  half = (guint32) b[0xa] | (guint32) b[0xb] << 8;
  write_mem (f, SBA_SCRATCH + 0xa, 16, 1, &half);
  write_mem (f, SBA_SCRATCH + 8, 16, 1, (const guint32[]) { (guint32) b[8] | (guint32) b[9] << 8 });
  write_mem (f, SBA_SCRATCH + 0xc, 32, 1, (const guint32[]) { le32 (b + 0xc) });
}

/* Reads the scratch area back with every width and checks it. */
static void
check_pattern (Fixture *f, guint8 seed)
{
  guint8 b[16];
  guint32 words[4], bytes[5], halves[3];

  pattern_bytes (seed, b);
  read_mem (f, SBA_SCRATCH, 32, 4, words);
  for (unsigned i = 0; i < 4; i++)
    g_assert_cmphex (words[i], ==, le32 (b + 4 * i));
  read_mem (f, SBA_SCRATCH + 3, 8, 5, bytes);
  for (unsigned i = 0; i < 5; i++)
    g_assert_cmphex (bytes[i], ==, b[3 + i]);
  read_mem (f, SBA_SCRATCH + 6, 16, 3, halves);
  for (unsigned i = 0; i < 3; i++)
    g_assert_cmphex (halves[i], ==, (guint32) b[6 + 2 * i] | (guint32) b[7 + 2 * i] << 8);
  g_assert_cmphex (read_mem_one (f, SBA_SCRATCH + 0xf, 8), ==, b[0xf]);
  g_assert_cmphex (read_mem_one (f, SBA_SCRATCH + 0xe, 16), ==,
                   (guint32) b[0xe] | (guint32) b[0xf] << 8);
}

/* System bus writes read back the same over the system bus, running and
 * halted, and the abstract-command path (halted) agrees; so does the other
 * way round. */
static void
test_sba_write_read (Fixture *f, gconstpointer data)
{
  (void) data;
  assert_running (f);
  set_mem_access (f, "sysbus");
  write_pattern (f, 0x10);
  check_pattern (f, 0x10);
  assert_running (f);
  halt (f);
  set_mem_access (f, "abstract");
  check_pattern (f, 0x10);

  set_mem_access (f, "sysbus");
  write_pattern (f, 0x37);
  check_pattern (f, 0x37);
  set_mem_access (f, "abstract");
  check_pattern (f, 0x37);

  write_pattern (f, 0x5c);
  set_mem_access (f, "sysbus");
  check_pattern (f, 0x5c);
  g_free (eval (f, "resume"));
  assert_running (f);
  check_pattern (f, 0x5c);
}

/* An access nothing answers fails in OpenOCD (read_memory and
 * write_memory throw), sberror ends up cleared, and the next access works;
 * so does one the DM refuses as misaligned. */
static void
test_sba_bad_address (Fixture *f, gconstpointer data)
{
  const guint32 value = 0x5eed1234u;
  g_autofree char *read_cmd = g_strdup_printf ("read_memory 0x%08x 32 1", UNMAPPED);
  g_autofree char *write_cmd = g_strdup_printf ("write_memory 0x%08x 32 {1}", RAM_END);
  g_autofree char *misaligned_cmd = g_strdup_printf ("read_memory 0x%08x 16 1",
                                                     SBA_SCRATCH + 1);
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;
  guint32 before;

  (void) data;
  set_mem_access (f, "sysbus");
  before = read_mem_one (f, COUNTER, 32);

  g_assert_cmpint (eval_catch (f, read_cmd, &r1), !=, 0);
  g_assert_nonnull (strstr (r1, "failed"));
  g_assert_cmphex ((read_sbcs (f) >> 12) & 7u, ==, 0);
  g_assert_cmphex (read_mem_one (f, COUNTER, 32), >, before);

  g_assert_cmpint (eval_catch (f, write_cmd, &r2), !=, 0);
  g_assert_nonnull (strstr (r2, "failed"));
  g_assert_cmphex ((read_sbcs (f) >> 12) & 7u, ==, 0);
  write_mem (f, SBA_SCRATCH, 32, 1, &value);
  g_assert_cmphex (read_mem_one (f, SBA_SCRATCH, 32), ==, value);

  g_assert_cmpint (eval_catch (f, misaligned_cmd, &r3), !=, 0);
  g_assert_cmphex ((read_sbcs (f) >> 12) & 7u, ==, 0);
  g_assert_cmphex (read_mem_one (f, SBA_SCRATCH + 2, 16), ==, value >> 16);
  assert_running (f);
}

/* The board's clock reads over the system bus as the host's monotonic
 * time in microseconds, the high word after the low one; it cannot be
 * written, nor read a byte at a time. */
static void
test_clock (Fixture *f, gconstpointer data)
{
  g_autofree char *write_cmd = g_strdup_printf ("write_memory 0x%08x 32 {0}", CLOCK);
  g_autofree char *byte_cmd = g_strdup_printf ("read_memory 0x%08x 8 1", CLOCK);
  g_autofree char *r1 = NULL, *r2 = NULL;
  guint32 words[2];
  gint64 before, after;
  guint64 t;

  (void) data;
  set_mem_access (f, "sysbus");
  do
    {
      before = g_get_monotonic_time ();
      read_mem (f, CLOCK, 32, 2, words);
      after = g_get_monotonic_time ();
    }
  while (read_mem_one (f, CLOCK + 4, 32) != words[1]);  /* the low word wrapped */
  t = (guint64) words[1] << 32 | words[0];
  g_assert_cmpuint (t, >=, (guint64) before);
  g_assert_cmpuint (t, <=, (guint64) after);
  g_assert_cmpint (eval_catch (f, write_cmd, &r1), !=, 0);
  g_assert_cmpint (eval_catch (f, byte_cmd, &r2), !=, 0);
  g_assert_cmphex ((read_sbcs (f) >> 12) & 7u, ==, 0);
  assert_running (f);
}

/* OpenOCD 0.12's own System Bus Access self-test, on a running hart
 * (without its sbbusyerror case: this bus is never busy). */
static void
test_sba_selftest (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("riscv test_sba_config_reg 0x%08x 4 0x%08x off",
                                          SBA_SCRATCH, UNMAPPED);
  g_autofree char *result = NULL;
  g_autofree char *clear = g_strdup_printf ("riscv dmi_write 0x%x 0", DM_SBCS);

  (void) data;
  assert_running (f);
  g_free (eval (f, clear));
  g_assert_cmpint (eval_catch (f, cmd, &result), ==, 0);
  assert_running (f);
}

static void
test_reconnect (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint32 pc;

  (void) data;
  halt (f);
  g_free (eval (f, "mww 0x80008200 0x600dcafe"));
  pc = read_pc (f);
  g_clear_pointer (&f->tcl, ood_test_tcl_free);
  ood_testbed_kill_openocd (f->tb, SIGKILL);
  ood_testbed_start_openocd (f->tb, &error);
  g_assert_no_error (error);
  fixture_connect (f);
  g_autofree char *state = curstate (f);
  g_assert_cmpstr (state, ==, "halted");
  g_assert_cmphex (read_pc (f), ==, pc);
  g_assert_cmphex (read_word (f, 0x80008200), ==, 0x600dcafe);
  g_free (eval (f, "resume"));
  g_autofree char *running = curstate (f);
  g_assert_cmpstr (running, ==, "running");
}

static void
test_odd_target_name (Fixture *f, gconstpointer data)
{
  (void) data;
  fixture_start (f, "my cpu [0] {x} $y; \"z\" \\");
  halt (f);
  assert_pc_in_ram (read_pc (f));
  g_autofree char *targets = eval (f, "targets");
  g_assert_nonnull (strstr (targets, "my cpu [0] {x} $y; \"z\" \\"));
}

static guint64
cpu_ticks (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  guint64 utime = 0, stime = 0;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  const char *p = strrchr (stat, ')');
  g_assert_nonnull (p);
  g_assert_cmpint (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %"
                                  G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                           &utime, &stime), ==, 2);
  return utime + stime;
}

static void
test_cpu_use (Fixture *f, gconstpointer data)
{
  int pid = ood_testbed_get_sim_pid (f->tb);
  long hz = sysconf (_SC_CLK_TCK);
  guint64 t0, t1;
  double percent;

  (void) data;
  g_free (eval (f, "resume"));
  t0 = cpu_ticks (pid);
  g_usleep (2 * G_USEC_PER_SEC);
  t1 = cpu_ticks (pid);
  percent = 100.0 * (double) (t1 - t0) / (double) hz / 2.0;
  g_test_message ("simulator CPU use with a running hart: %.1f%%", percent);
  g_assert_cmpfloat (percent, <, 20.0);
  g_autofree char *state = curstate (f);
  g_assert_cmpstr (state, ==, "running");
}

/* Without OpenOCD: garbage and a half-done scan end the connection only. */
static void
send_and_expect_close (guint16 port, const char *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  GSocket *socket;
  char buf[64];

  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (conn);
  g_socket_set_timeout (socket, 10);
  g_assert_cmpint (g_socket_send (socket, bytes, strlen (bytes), NULL, &error), ==,
                   (gssize) strlen (bytes));
  g_assert_no_error (error);
  /* answers to R come back; then the simulator closes on the bad byte */
  while (g_socket_receive (socket, buf, sizeof buf, NULL, &error) > 0)
    ;
  g_assert_no_error (error);
}

static void
abandon_mid_scan (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  /* Run-Test/Idle, Select-DR, Capture-DR, Shift-DR, one bit, then gone */
  const char *bytes = "0426040404R05";

  g_assert_no_error (error);
  g_socket_send (g_socket_connection_get_socket (conn), bytes, strlen (bytes), NULL, &error);
  g_assert_no_error (error);
}

static gboolean
wait_for_log (OodTestbed *tb, const char *needle)
{
  for (int i = 0; i < 500; i++)
    {
      g_autofree char *log = ood_testbed_read_sim_log (tb);
      if (strstr (log, needle))
        return TRUE;
      g_usleep (20 * 1000);
    }
  return FALSE;
}

static void
test_bad_bytes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  OodTestbedOptions opts = { .no_openocd = TRUE };
  guint16 port;

  (void) data;
  f->tb = ood_testbed_new (&opts, &error);
  g_assert_no_error (error);
  port = ood_testbed_get_sim_port (f->tb);
  send_and_expect_close (port, "04R26Rxyz");
  g_assert_true (wait_for_log (f->tb, "unexpected byte 0x78"));
  send_and_expect_close (port, "\x01\xff");
  g_assert_true (wait_for_log (f->tb, "unexpected byte 0x01"));
  abandon_mid_scan (port);
  g_assert_true (wait_for_log (f->tb, "in the middle of a scan"));

  ood_testbed_start_openocd (f->tb, &error);
  g_assert_no_error (error);
  f->target = ood_test_tcl_quote (ood_testbed_get_target_name (f->tb));
  fixture_connect (f);
  halt (f);
  assert_pc_in_ram (read_pc (f));
}

static void
start_harts (Fixture *f, guint harts, gboolean smp)
{
  g_autoptr(GError) error = NULL;
  OodTestbedOptions opts = { .harts = harts, .smp = smp };

  f->tb = ood_testbed_new (&opts, &error);
  g_assert_no_error (error);
  f->target = ood_test_tcl_quote (ood_testbed_get_target_name (f->tb));
  fixture_connect (f);
}

/* Makes @name OpenOCD's current target (for halt, step, resume, reg...)
 * and the fixture's. */
static void
use_target (Fixture *f, const char *name)
{
  g_autofree char *cmd = g_strdup_printf ("targets %s", name);

  g_free (eval (f, cmd));
  g_free (f->target);
  f->target = ood_test_tcl_quote (name);
}

static char *
state_of (Fixture *f, const char *name)
{
  g_autofree char *cmd = g_strdup_printf ("%s curstate", name);

  return eval (f, cmd);
}

static void
assert_state (Fixture *f, const char *name, const char *expected)
{
  g_autofree char *state = state_of (f, name);

  g_assert_cmpstr (state, ==, expected);
}

/* Whether hart @id's loop counter moves (over the system bus). */
static gboolean
counter_moves (Fixture *f, guint id)
{
  guint32 first = read_mem_one (f, COUNTER + 4 * id, 32);

  g_usleep (50 * 1000);
  return read_mem_one (f, COUNTER + 4 * id, 32) != first;
}

/* Two harts as two independent targets: each halts, steps and resumes
 * alone, with its own registers, counter and triggers. */
static void
test_harts (Fixture *f, gconstpointer data)
{
  g_autofree char *targets = NULL;
  guint32 pc0, pc1;

  (void) data;
  start_harts (f, 2, FALSE);
  targets = eval (f, "targets");
  g_assert_true (g_regex_match_simple ("0\\* riscv\\.cpu .* running\n.*1  riscv\\.cpu1 .* running",
                                       targets, G_REGEX_DOTALL, 0));
  set_mem_access (f, "sysbus");
  g_assert_true (counter_moves (f, 0));
  g_assert_true (counter_moves (f, 1));

  use_target (f, "riscv.cpu1");
  halt (f);
  assert_state (f, "riscv.cpu1", "halted");
  assert_state (f, "riscv.cpu", "running");
  g_assert_cmpuint (read_reg (f, "mhartid"), ==, 1);
  g_assert_cmpuint (read_cause (f), ==, CAUSE_HALTREQ);
  g_assert_false (counter_moves (f, 1));
  g_assert_true (counter_moves (f, 0));

  use_target (f, "riscv.cpu");
  halt (f);
  g_assert_cmpuint (read_reg (f, "mhartid"), ==, 0);
  pc0 = read_pc (f);
  use_target (f, "riscv.cpu1");
  pc1 = read_pc (f);
  for (int i = 0; i < 3; i++)
    {
      g_free (eval (f, "step"));
      g_assert_cmphex (read_pc (f), ==, next_pc (pc1));
      pc1 = next_pc (pc1);
    }
  use_target (f, "riscv.cpu");
  g_assert_cmphex (read_pc (f), ==, pc0);

  /* a breakpoint on hart 1 stops hart 1 only */
  use_target (f, "riscv.cpu1");
  g_free (eval (f, "bp 0x80000010 4 hw"));
  use_target (f, "riscv.cpu");
  g_free (eval (f, "resume"));
  use_target (f, "riscv.cpu1");
  resume_to_halt (f);
  g_assert_cmphex (read_pc (f), ==, LOOP_ADDR);
  g_assert_cmpuint (read_cause (f), ==, CAUSE_TRIGGER);
  assert_state (f, "riscv.cpu", "running");
  g_assert_true (counter_moves (f, 0));
  g_free (eval (f, "rbp 0x80000010"));
  g_free (eval (f, "resume"));
  assert_state (f, "riscv.cpu1", "running");
  g_assert_true (counter_moves (f, 1));
}

/* The same two harts in one SMP group halt and resume together. */
static void
test_harts_smp (Fixture *f, gconstpointer data)
{
  (void) data;
  start_harts (f, 2, TRUE);
  set_mem_access (f, "sysbus");
  use_target (f, "riscv.cpu1");
  halt (f);
  assert_state (f, "riscv.cpu", "halted");
  g_assert_false (counter_moves (f, 0));
  g_assert_false (counter_moves (f, 1));
  g_free (eval (f, "resume"));
  assert_state (f, "riscv.cpu", "running");
  assert_state (f, "riscv.cpu1", "running");
  g_assert_true (counter_moves (f, 0));
  g_assert_true (counter_moves (f, 1));
}

/* Evaluates @command until it answers @expected; FALSE if it never does
 * within @give_up_s seconds (a give-up timeout, no bound asserted). */
static gboolean
wait_for_answer (Fixture *f, const char *command, const char *expected, guint give_up_s)
{
  gint64 deadline = g_get_monotonic_time () + give_up_s * G_USEC_PER_SEC;

  do
    {
      g_autofree char *answer = NULL;

      if (eval_catch (f, command, &answer) == 0 && g_str_equal (answer, expected))
        return TRUE;
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

/* Breaks the debug link (SIGUSR1), checks OpenOCD cannot read the hart
 * and has polled it, mends the link (SIGUSR2) and waits until OpenOCD
 * reports @state again. */
static void
break_and_mend (Fixture *f, const char *state)
{
  int pid = ood_testbed_get_sim_pid (f->tb);
  g_autofree char *cmd = g_strdup_printf ("%s curstate", f->target);
  g_autofree char *r1 = NULL, *r2 = NULL;
  gint64 mended_at;

  kill (pid, SIGUSR1);
  g_assert_true (wait_for_log (f->tb, "debug link broken"));
  g_assert_cmpint (eval_catch (f, "get_reg -force {pc}", &r1), !=, 0);
  g_assert_cmpint (eval_catch (f, "riscv dmi_read 0x11", &r2), !=, 0);
  /* OpenOCD 0.12 takes a hart whose dmstatus it cannot read for running,
   * and says so without an event */
  g_assert_true (wait_for_answer (f, cmd, "running", 30));
  kill (pid, SIGUSR2);
  mended_at = g_get_monotonic_time ();
  g_assert_true (wait_for_answer (f, cmd, state, 30));
  g_test_message ("%s again %" G_GINT64_FORMAT " ms after the mend", state,
                  (g_get_monotonic_time () - mended_at) / 1000);
}

/* OpenOCD, unchanged, reaches the board again once its broken debug link
 * is mended: the halted hart is halted at the same pc, the running one
 * runs, and both answer commands. */
static void
test_link_mended (Fixture *f, gconstpointer data)
{
  guint32 pc;

  (void) data;
  halt (f);
  pc = read_pc (f);
  break_and_mend (f, "halted");
  g_assert_cmphex (read_pc (f), ==, pc);
  g_free (eval (f, "step"));
  g_assert_cmphex (read_pc (f), ==, next_pc (pc));
  g_free (eval (f, "resume"));
  break_and_mend (f, "running");
  set_mem_access (f, "sysbus");
  g_assert_true (counter_moves (f, 0));
  halt (f);
  assert_pc_in_ram (read_pc (f));
}

static const struct {
  const char *name;
  void (*fn) (Fixture *, gconstpointer);
  gboolean own_setup;  /* the test starts its own test bed */
} tests[] = {
  { "examine", test_examine, FALSE },
  { "halt", test_halt, FALSE },
  { "step", test_step, FALSE },
  { "resume", test_resume, FALSE },
  { "reset-halt", test_reset_halt, FALSE },
  { "reset-run", test_reset_run, FALSE },
  { "bp-hw", test_bp_hw, FALSE },
  { "bp-sw", test_bp_sw, FALSE },
  { "watchpoint", test_watchpoint, FALSE },
  { "memory", test_memory, FALSE },
  { "reconnect", test_reconnect, FALSE },
  { "odd-target-name", test_odd_target_name, TRUE },
  { "cpu-use", test_cpu_use, FALSE },
  { "bad-bytes", test_bad_bytes, TRUE },
  { "sba-running-read", test_sba_running_read, FALSE },
  { "sba-write-read", test_sba_write_read, FALSE },
  { "sba-bad-address", test_sba_bad_address, FALSE },
  { "sba-selftest", test_sba_selftest, FALSE },
  { "clock", test_clock, FALSE },
  { "harts", test_harts, TRUE },
  { "harts-smp", test_harts_smp, TRUE },
  { "link-mended", test_link_mended, FALSE },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sim/%s", tests[i].name);

      g_test_add (path, Fixture, NULL, tests[i].own_setup ? NULL : fixture_setup,
                  tests[i].fn, fixture_teardown);
    }
  return g_test_run ();
}
