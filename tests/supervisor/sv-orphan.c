/* SPDX-License-Identifier: MIT */
/*
 * For /supervisor/die-with-parent: supervises the OpenOCD command line it
 * is given, prints "pid N" once OpenOCD listens for Tcl, and runs until
 * killed. The test kills it with SIGKILL and sees OpenOCD go.
 */
#include <stdio.h>

#include "ood-supervisor.h"

static void
on_ready (OodSupervisor *supervisor, const char *address, gpointer user_data)
{
  (void) address;
  (void) user_data;
  printf ("pid %d\n", ood_supervisor_get_pid (supervisor));
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(OodSupervisor) supervisor = NULL;
  OodSupervisorSettings settings;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s OPENOCD [ARG...]\n", argv[0]);
      return 2;
    }
  ood_supervisor_settings_init_defaults (&settings);
  supervisor = ood_supervisor_new ("orphan", (const char *const *) argv + 1, &settings);
  g_signal_connect (supervisor, "ready", G_CALLBACK (on_ready), NULL);
  ood_supervisor_start (supervisor);
  g_main_loop_run (loop);
  return 0;
}
