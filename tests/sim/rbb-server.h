/* The remote_bitbang TCP server and the simulator's single-threaded loop. */
#pragma once

#include <glib.h>
#include <signal.h>

#include "jtag-tap.h"

typedef struct {
  int listen_fd;
  int client_fd;      /* -1 while nobody is connected */
  guint16 port;
  SimTap *tap;
  SimDm *dm;
} SimServer;

gboolean sim_server_listen (SimServer *srv, guint16 port, GError **error);
/* Serves until *stop becomes non-zero (set from a signal handler; the
 * caller keeps those signals blocked outside the wait). */
void sim_server_run (SimServer *srv, volatile sig_atomic_t *stop);
void sim_server_close (SimServer *srv);
