/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct _OodCallers;
struct _OodDoor;

/* The daemon's tunables, from its command line; shared by every session. */
typedef struct {
  guint command_timeout_ms;   /* how long OpenOCD may take to answer */
  guint connect_timeout_ms;
  guint max_waiting;          /* callers queued per OpenOCD before Busy */
  guint poll_interval_ms;     /* only for an OpenOCD refusing notifications */
  guint probe_interval_ms;    /* reachability of targets OpenOCD does not report; 0: never */
  struct _OodCallers *callers; /* (nullable) (not owned): each caller's share, or no limits */
  struct _OodDoor *door;       /* (not owned): what every method call passes (ood-call.h) */
  guint backoff_min_ms;
  guint backoff_max_ms;
  guint job_linger_ms;        /* how long an ended job stays exported */
  guint start_timeout_ms;     /* how long a supervised OpenOCD may take to open its Tcl port */
  guint fd_stall_timeout_ms;  /* how long a client's fd may move no byte (ood-fd.h) */
  gboolean allow_raw_commands; /* Endpoint.Command() on every endpoint, whatever its config */
} OodSettings;

void ood_settings_init_defaults (OodSettings *settings);

G_END_DECLS
