/* SPDX-License-Identifier: MIT */
/* One GLib test fixture for the tests of the service: the daemon, its
 * boards and bus (OodServiceFixture) and proxies of board 0's first
 * target, set up and torn down by g_test_add() around each case. The test
 * data is the case's OodServiceOptions (NULL: the defaults):
 *
 *   static const OodServiceOptions two = { .n_boards = 2 };
 *   OOD_TEST_ADD ("/x/two-boards", &two, test_two_boards);
 *
 * where test_two_boards (OodTestFixture *fx, gconstpointer options). A
 * file whose cases need more state embeds an OodTestFixture first in a
 * struct of its own and calls ood_test_fixture_set_up() from its setup.
 * Beside it, the helpers those tests share: iterating the main context,
 * waiting for a TargetEvent, halting, stepping and resuming a target,
 * reading the PC of a halted state, waiting for a target's State. */
#pragma once

#include <gio/gio.h>

#include "ood-generated.h"
#include "ood-service-fixture.h"

G_BEGIN_DECLS

typedef struct {
  OodServiceFixture *service;
  GDBusConnection *bus; /* the test's connection to the private bus */
  OodTestbed *testbed;  /* board 0 */
  char *target_path;    /* board 0's first target's object */
  /* proxies of it and of its endpoint: NULL when the options ask for no
   * service (.no_service), else made at setup and kept by @service */
  OodDbusTarget *target;
  OodDbusBreakpoints *breakpoints;
  OodDbusEndpoint *endpoint;
  /* (element-type utf8) the target's TargetEvent names, in order, from
   * setup on */
  GPtrArray *events;
  guint events_id;
} OodTestFixture;

/* Starts what @options (a const OodServiceOptions *, or NULL) asks for;
 * any failure fails the test. */
void ood_test_fixture_set_up (OodTestFixture *fx, gconstpointer options);
/* Stops the daemon, which must exit with status 0, and frees everything. */
void ood_test_fixture_tear_down (OodTestFixture *fx, gconstpointer options);

#define OOD_TEST_ADD(path, options, test)                                                          \
  g_test_add ((path), OodTestFixture, (options), ood_test_fixture_set_up, (test),                  \
              ood_test_fixture_tear_down)

/* Runs what is already due on the default main context: the
 * PropertiesChanged a call's reply came after is in by then. */
void ood_test_drain (void);
/* Whether @event is among @events (element-type utf8). */
gboolean ood_test_has_event (GPtrArray *events, const char *event);
/* Iterates the main context until @event is among @events (a fixture's,
 * which grows meanwhile) or @timeout_ms passes; returns whether it is. */
gboolean ood_test_wait_event (GPtrArray *events, const char *event, guint timeout_ms);
/* The current_pc of @dict, a target's state dictionary (Halt(), Step(),
 * State(), …), which must say halted with a PC. */
guint64 ood_test_halted_pc (GVariant *dict);
/* Halt() and Step() of @target, which must succeed and answer a halted
 * state: the PC they answer. */
guint64 ood_test_halt (OodDbusTarget *target);
guint64 ood_test_step (OodDbusTarget *target);
/* Resume() of @target, which must succeed. */
void ood_test_resume (OodDbusTarget *target);
/* Iterates the main context until @target's State property is @state; a
 * test that waited @timeout_ms in vain fails. */
void ood_test_wait_state (OodDbusTarget *target, const char *state, guint timeout_ms);
/* Proxies of the Registers and Memory of @fx's target, returned once
 * the service learnt the register names and the address width. */
void ood_test_open_registers_memory (OodTestFixture *fx, OodDbusRegisters **registers,
                                     OodDbusMemory **memory);

G_END_DECLS
