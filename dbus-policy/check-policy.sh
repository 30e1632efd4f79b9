#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-policy.sh DBUS-DAEMON POLICY-FILE [PROBE DBUS-USER [INTERFACE-XML...]]
#
# Starts a private dbus-daemon whose configuration is the system bus's
# default policy plus POLICY-FILE, and fails unless the daemon accepts
# the file. dbus-daemon refuses malformed XML and invalid rules, but only
# warns about a <policy user=…> or <policy group=…> naming nobody on this
# machine and then ignores that section: that is a failure here too, as
# the policy would then grant nothing (run it under with-sysusers.sh).
#
# Given PROBE (policy-probe), and when run as root, it then checks that
# only DBUS-USER may own org.openocd, and with gdbus that the user
# "nobody" and root may call every method of every interface described
# by the INTERFACE-XML files (polkit decides in the service), and the
# standard interfaces' methods, but not Properties.Set.
set -eu

daemon=$1
policy=$2
probe=${3:-}
dbus_user=${4:-root}
[ $# -gt 4 ] && shift 4 || set --
dir=$(mktemp -d)
chmod 755 "$dir"    # the socket goes here, and "nobody" must reach it
bus_pid=
probe_pid=
cleanup () {
    for p in $probe_pid $bus_pid; do kill "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

. "$(dirname "$0")/system-bus.sh"

as_user () {
    user=$1
    shift
    exec setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups "$@"
}

# expect USER allow|deny INTERFACE.MEMBER
failures=0
expect () {
    if out=$(as_user "$1" gdbus call --address "$address" --dest org.openocd \
                 --object-path /org/openocd --method "$3" --timeout 5 2>&1); then
        got=allow
    else
        case $out in
            *AccessDenied*) got=deny ;;
            *) got="error ($out)" ;;
        esac
    fi
    if [ "$got" = "$2" ]; then
        echo "ok: $1: $3: $got"
    else
        echo "FAIL: $1: $3: expected $2, got $got" >&2
        failures=$((failures + 1))
    fi
}

# The methods of the interfaces in the XML files, as INTERFACE.MEMBER.
methods () {
    python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    for iface in ET.parse(path).getroot().iter('interface'):
        for method in iface.iter('method'):
            print(iface.get('name') + '.' + method.get('name'))
PY
}

access_checks () {
    # the probe prints "ready" once it owns the name, and then stays
    (as_user nobody timeout 5 "$probe" "$address") > "$dir/probe-nobody" 2>&1 || true
    if grep -q AccessDenied "$dir/probe-nobody"; then
        echo "ok: nobody may not own org.openocd"
    else
        echo "FAIL: nobody: owning org.openocd was not denied: $(cat "$dir/probe-nobody")" >&2
        failures=$((failures + 1))
    fi
    as_user "$dbus_user" "$probe" "$address" > "$dir/probe" &
    probe_pid=$!
    if ! wait_for "$dir/probe" "$probe_pid"; then
        echo "FAIL: $dbus_user could not own org.openocd" >&2
        failures=$((failures + 1))
        return
    fi
    echo "ok: $dbus_user owns org.openocd"
    calls=$(methods "$@")
    if [ -z "$calls" ]; then
        echo "FAIL: no methods in $*" >&2
        failures=$((failures + 1))
    fi
    for call in org.freedesktop.DBus.Introspectable.Introspect \
                org.freedesktop.DBus.Peer.Ping \
                org.freedesktop.DBus.Properties.Get \
                org.freedesktop.DBus.Properties.GetAll \
                org.freedesktop.DBus.ObjectManager.GetManagedObjects \
                $calls; do
        expect nobody allow "$call"
        expect root allow "$call"
    done
    expect nobody deny org.freedesktop.DBus.Properties.Set
    expect root deny org.freedesktop.DBus.Properties.Set
}

if ! start_system_bus "$daemon" "$dir" "$policy"; then
    echo "FAIL: dbus-daemon did not start with $policy:" >&2
    failures=$((failures + 1))
fi
# Unprivileged containers cannot raise the fd limit; that is harmless.
if grep -v 'Failed to set fd limit' "$dir/bus.log" >&2; then
    echo "FAIL: dbus-daemon complained about $policy (see above)" >&2
    failures=$((failures + 1))
fi
[ $failures -eq 0 ] || exit 1
address=$bus_address
echo "dbus-daemon accepted $policy"

if [ -z "$probe" ]; then
    exit 0
elif [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null ||
     ! command -v gdbus > /dev/null || ! id nobody > /dev/null 2>&1; then
    echo "skipping the access checks: they need root, setpriv, gdbus and a user nobody"
    exit 0
fi
access_checks "$@"
[ $failures -eq 0 ]
