/* Logging for the simulated RISC-V board: everything goes to stderr. */
#pragma once

#include <glib.h>

extern gboolean sim_verbose;

void sim_log (const char *format, ...) G_GNUC_PRINTF (1, 2);

#define sim_trace(...) \
  do { if (sim_verbose) sim_log (__VA_ARGS__); } while (0)
