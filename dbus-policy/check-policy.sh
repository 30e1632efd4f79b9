#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-policy.sh DBUS-DAEMON POLICY-FILE [PROBE DBUS-USER]
#
# Starts a private dbus-daemon whose configuration is the system bus's
# default policy plus POLICY-FILE, and fails unless the daemon accepts
# the file. dbus-daemon refuses malformed XML and invalid rules, but only
# warns about a <policy user=…> or <policy group=…> naming nobody on this
# machine and then ignores that section: that is a failure here too, as
# the policy would then grant nothing.
#
# Given PROBE (policy-probe), and when run as root, it then lets PROBE own
# org.openocd as DBUS-USER and checks with gdbus which calls the user
# "nobody" and root may make.
set -eu

daemon=$1
policy=$2
probe=${3:-}
dbus_user=${4:-root}
dir=$(mktemp -d)
chmod 755 "$dir"    # the socket goes here, and "nobody" must reach it
pid=
probe_pid=
cleanup () {
    for p in $probe_pid $pid; do kill "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

# wait_for FILE PID: until FILE is not empty or PID is gone, 5 s at most.
wait_for () {
    tries=0
    while [ ! -s "$1" ] && kill -0 "$2" 2>/dev/null && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    [ -s "$1" ]
}

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

access_checks () {
    as_user "$dbus_user" "$probe" "$address" > "$dir/probe" &
    probe_pid=$!
    if ! wait_for "$dir/probe" "$probe_pid"; then
        echo "FAIL: $dbus_user could not own org.openocd" >&2
        failures=$((failures + 1))
        return
    fi
    for call in org.freedesktop.DBus.Introspectable.Introspect \
                org.freedesktop.DBus.Peer.Ping \
                org.freedesktop.DBus.Properties.Get \
                org.freedesktop.DBus.Properties.GetAll \
                org.freedesktop.DBus.ObjectManager.GetManagedObjects \
                org.openocd.Target.State org.openocd.Target.WaitHalt \
                org.openocd.Flash.Sectors org.openocd.Manager.FindTarget; do
        expect nobody allow $call
    done
    for call in Target.Halt Target.Resume Target.ResumeAt Target.Step \
                Target.StepAt Target.Reset Breakpoints.Add Breakpoints.Remove \
                Registers.Read Registers.ReadWide Registers.ReadMany Registers.ReadAll \
                Registers.Write Memory.ReadBytes Memory.WriteBytes Memory.ReadWords \
                Memory.WriteWords Memory.ReadToFd Memory.WriteFromFd \
                Flash.Program Flash.Load Flash.Erase Flash.Verify Job.Cancel \
                Endpoint.Restart Endpoint.GetLog \
                Manager.AddEndpoint Manager.RemoveEndpoint; do
        expect nobody deny org.openocd.$call
        expect root allow org.openocd.$call
    done
    expect nobody deny org.freedesktop.DBus.Properties.Set
    expect root deny org.freedesktop.DBus.Properties.Set
}

cat > "$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:tmpdir=$dir</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"/>
  </policy>
  <include>$policy</include>
</busconfig>
CONF

"$daemon" --config-file="$dir/bus.conf" --nofork --print-address=1 \
    > "$dir/address" 2> "$dir/log" &
pid=$!

if ! wait_for "$dir/address" "$pid"; then
    echo "FAIL: dbus-daemon did not start with $policy:" >&2
    failures=$((failures + 1))
fi
# Unprivileged containers cannot raise the fd limit; that is harmless.
if grep -v 'Failed to set fd limit' "$dir/log" >&2; then
    echo "FAIL: dbus-daemon complained about $policy (see above)" >&2
    failures=$((failures + 1))
fi
[ $failures -eq 0 ] || exit 1
address=$(head -n 1 "$dir/address")
echo "dbus-daemon accepted $policy"

if [ -z "$probe" ]; then
    exit 0
elif [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null ||
     ! command -v gdbus > /dev/null || ! id nobody > /dev/null 2>&1; then
    echo "skipping the access checks: they need root, setpriv, gdbus and a user nobody"
    exit 0
fi
access_checks
[ $failures -eq 0 ]
