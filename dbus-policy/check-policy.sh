#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-policy.sh DBUS-DAEMON POLICY-FILE
#
# Starts a private dbus-daemon whose configuration is the system bus's
# default policy plus POLICY-FILE, and fails unless the daemon accepts
# the file. dbus-daemon refuses malformed XML and invalid rules, but only
# warns about a <policy user=…> or <policy group=…> naming nobody on this
# machine and then ignores that section: that is a failure here too, as
# the policy would then grant nothing.
set -eu

daemon=$1
policy=$2
dir=$(mktemp -d)
pid=
cleanup () {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

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

tries=0
while [ ! -s "$dir/address" ] && kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do
    sleep 0.1
    tries=$((tries + 1))
done

status=0
if [ ! -s "$dir/address" ]; then
    echo "dbus-daemon did not start with $policy:" >&2
    status=1
fi
# Unprivileged containers cannot raise the fd limit; that is harmless.
if grep -v 'Failed to set fd limit' "$dir/log" >&2; then
    echo "dbus-daemon complained about $policy (see above)" >&2
    status=1
fi
[ $status -eq 0 ] && echo "dbus-daemon accepted $policy; listening on $(cat "$dir/address")"
exit $status
