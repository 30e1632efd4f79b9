#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Figure 2's Python subscriber (tests/bench/README.md): what a Python
client on Gio (python3-gi) sees of the target's and the floor's
PropertiesChanged, in a process of its own.

    bench-subscriber.py BUS-ADDRESS TARGET-PATH FLOOR-PATH

Writes one line per signal to stdout, times CLOCK_MONOTONIC ns when the
signal was dispatched to it (the bench's clock):
    ready                 subscribed (the bus has the match rule)
    state STATE T         the target's PropertiesChanged with State
    floor T STAMP         the floor's, STAMP the floor's time of emission
"""

import sys
import time

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def main():
    address, target_path, floor_path = sys.argv[1:4]
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    bus = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)

    def on_signal(connection, sender, path, iface, signal, params):
        t = time.monotonic_ns()
        _, changed, _ = params.unpack()
        if path == floor_path and "Stamp" in changed:
            print(f"floor {t} {changed['Stamp']}", flush=True)
        elif path == target_path and "State" in changed:
            print(f"state {changed['State']} {t}", flush=True)

    bus.signal_subscribe(None, "org.freedesktop.DBus.Properties", "PropertiesChanged", None,
                         None, Gio.DBusSignalFlags.NONE, on_signal)
    # the bus has handled AddMatch before it answers this
    bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "GetId", None, None, Gio.DBusCallFlags.NONE, -1, None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
