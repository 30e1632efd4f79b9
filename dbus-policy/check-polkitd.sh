#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-polkitd.sh POLICY RULES SERVICE-USER
#
# Runs the real polkitd on a private system bus, in a mount namespace in
# which its only actions are POLICY's (and polkit's own, to compare) and
# its only rules are RULES, and checks what it decides:
#  - pkaction lists exactly org.openocd.inspect, control, program, manage,
#    lease and raw, with the defaults the policy promises;
#  - pkcheck authorizes every one of them but raw for the user "ood-lab", a
#    member of the rules' group, and asks an administrator (exit 2) for
#    raw and polkit's own org.freedesktop.policykit.exec;
#  - pkcheck asks an administrator for every one of them for "ood-guest",
#    who is in no group and, like ood-lab, in no active session here;
#  - the same answers when SERVICE-USER asks about their processes, as the
#    service does for each caller: polkitd answers only root and an
#    action's owner about another user's process.
# Needs root, unshare, dbus-daemon, polkitd and the users of
# polkit-test-users.conf: run it under with-sysusers.sh. Without polkitd
# it exits 77 (skipped).
set -eu

policy=$1
rules=$2
service_user=$3
polkitd=
for p in /usr/lib/polkit-1/polkitd /usr/libexec/polkitd /usr/libexec/polkit-1/polkitd; do
    [ -x "$p" ] && polkitd=$p && break
done
bus_policy=/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
if [ -z "$polkitd" ] || ! command -v pkcheck > /dev/null || [ ! -f "$bus_policy" ] ||
   [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null; then
    echo "skipped: needs root, unshare, polkitd and pkcheck (Debian: polkitd)"
    exit 77
fi
actions_dir=/usr/share/polkit-1/actions

if [ "${OOD_IN_NAMESPACE:-}" != 1 ]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    chmod 755 "$dir"    # polkitd reads it as its own user
    mkdir "$dir/actions" "$dir/rules.d" "$dir/empty" "$dir/bus"
    cp "$policy" "$dir/actions/org.openocd.policy"
    cp "$actions_dir/org.freedesktop.policykit.policy" "$dir/actions/" 2> /dev/null || true
    cp "$rules" "$dir/rules.d/org.openocd.rules"
    chmod -R a+rX "$dir"
    status=0
    OOD_IN_NAMESPACE=1 OOD_DIR=$dir unshare --mount --propagation private sh -c '
        mount --bind "$OOD_DIR/actions" '"$actions_dir"' &&
        mount --bind "$OOD_DIR/rules.d" /usr/share/polkit-1/rules.d &&
        { [ ! -d /etc/polkit-1/rules.d ] || mount --bind "$OOD_DIR/empty" /etc/polkit-1/rules.d; } &&
        exec "$0" "$@"' "$0" "$@" || status=$?
    exit $status
fi

. "$(dirname "$0")/system-bus.sh"
dir=$OOD_DIR
pids=
cleanup () {
    for p in $pids; do kill "$p" 2> /dev/null || true; done
}
trap cleanup EXIT

# polkit's own bus policy lets the user polkitd own its name
if ! start_system_bus "$(command -v dbus-daemon)" "$dir/bus" "$bus_policy"; then
    kill "$bus_pid" 2> /dev/null || true
    echo "FAIL: dbus-daemon did not start: $(cat "$dir/bus/bus.log")" >&2
    exit 1
fi
pids="$pids $bus_pid"
DBUS_SYSTEM_BUS_ADDRESS=$bus_address
export DBUS_SYSTEM_BUS_ADDRESS
"$polkitd" --no-debug > "$dir/polkitd.log" 2>&1 &
pids="$pids $!"
tries=0
until pkaction > "$dir/actions.txt" 2> /dev/null || [ $tries -ge 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done

failures=0
fail () {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

ids="org.openocd.control org.openocd.inspect org.openocd.lease org.openocd.manage org.openocd.program org.openocd.raw"
got=$(grep '^org\.openocd\.' "$dir/actions.txt" | sort | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$ids" ] || fail "polkitd's org.openocd actions: '$got', expected '$ids' (its log: $(cat "$dir/polkitd.log"))"

# expect_defaults ACTION ANY INACTIVE ACTIVE
expect_defaults () {
    out=$(pkaction --action-id "$1" --verbose 2>&1) || { fail "pkaction $1: $out"; return; }
    for pair in "any:$2" "inactive:$3" "active:$4"; do
        echo "$out" | grep -Eq "implicit ${pair%%:*}: +${pair#*:}\$" ||
            fail "$1: implicit ${pair%%:*} is not ${pair#*:}: $out"
    done
    echo "ok: $1 defaults $2 $3 $4"
}
for id in inspect control program lease; do
    expect_defaults org.openocd.$id auth_admin_keep auth_admin_keep yes
done
expect_defaults org.openocd.manage auth_admin_keep auth_admin_keep auth_admin_keep
expect_defaults org.openocd.raw auth_admin auth_admin auth_admin

# expect_status WHAT STATUS EXPECTED OUTPUT: pkcheck exited with STATUS
expect_status () {
    if [ "$2" = "$3" ]; then
        echo "ok: $1: pkcheck exit $2"
    else
        fail "$1: pkcheck exit $2, expected $3: $4"
    fi
}

# expect_check USER ACTION STATUS: pkcheck's exit status, run by USER
# about its own process (the process is USER's from the start)
expect_check () {
    status=0
    out=$(setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups \
              sh -c 'exec pkcheck --action-id "$1" --process $$' sh "$2" 2>&1) || status=$?
    expect_status "$1: $2" "$status" "$3" "$out"
}
for id in $ids; do
    # the group's rule leaves org.openocd.raw to the defaults (auth_admin)
    [ "$id" = org.openocd.raw ] && lab=2 || lab=0
    expect_check ood-lab "$id" $lab
    expect_check ood-guest "$id" 2
done

# expect_service_check USER ACTION STATUS: pkcheck's exit status, run by
# the service's user about a process of USER
expect_service_check () {
    setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups sleep 60 &
    subject=$!
    tries=0
    until [ "$(stat -c %u "/proc/$subject")" = "$(id -u "$1")" ] || [ $tries -ge 100 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    status=0
    out=$(setpriv --reuid="$service_user" --regid="$(id -g "$service_user")" --init-groups \
              pkcheck --action-id "$2" --process "$subject" 2>&1) || status=$?
    kill "$subject"
    expect_status "$service_user about $1: $2" "$status" "$3" "$out"
}
for id in $ids; do
    [ "$id" = org.openocd.raw ] && lab=2 || lab=0
    expect_service_check ood-lab "$id" $lab
    expect_service_check ood-guest "$id" 2
done
if grep -q '^org\.freedesktop\.policykit\.exec$' "$dir/actions.txt"; then
    expect_check ood-lab org.freedesktop.policykit.exec 2
fi
[ $failures -eq 0 ]
