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
#define RAM_END    0x80010000u
#define LOOP_ADDR  0x80000010u  /* after the call, inside the loop */
#define FUNC_ADDR  0x80000020u  /* the called function */
#define COUNTER    0x80008000u  /* the loop stores its counter here */

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
test_reset_halt (Fixture *f, gconstpointer data)
{
  (void) data;
  g_autofree char *r = eval (f, "reset halt");
  g_autofree char *state = curstate (f);
  g_assert_cmpstr (state, ==, "halted");
  g_assert_cmphex (read_pc (f), ==, RAM_BASE);
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
check_breakpoint (Fixture *f, guint32 addr, const char *kind)
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
  check_breakpoint (f, LOOP_ADDR, " hw");
}

static void
test_bp_sw (Fixture *f, gconstpointer data)
{
  (void) data;
  check_breakpoint (f, FUNC_ADDR, "");
  /* the original instruction is back */
  g_assert_cmphex (read_word (f, FUNC_ADDR), ==, 0x00150513);
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
  { "memory", test_memory, FALSE },
  { "reconnect", test_reconnect, FALSE },
  { "odd-target-name", test_odd_target_name, TRUE },
  { "cpu-use", test_cpu_use, FALSE },
  { "bad-bytes", test_bad_bytes, TRUE },
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
