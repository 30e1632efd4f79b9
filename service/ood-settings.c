/* SPDX-License-Identifier: MIT */
#include "ood-settings.h"

void
ood_settings_init_defaults (OodSettings *settings)
{
  *settings = (OodSettings) {
    .command_timeout_ms = 10000,
    .connect_timeout_ms = 5000,
    .max_waiting = 4096,
    .poll_interval_ms = 1000,
    .probe_interval_ms = 2000,
    .backoff_min_ms = 100,
    .backoff_max_ms = 5000,
    .job_linger_ms = 60000,
    .start_timeout_ms = 30000,
    .fd_stall_timeout_ms = 5000,
  };
}
