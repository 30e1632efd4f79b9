# SPDX-License-Identifier: MIT
# Sourced by the policy checks (sh): a private dbus-daemon with the system
# bus's default policy, as in dbus's system.conf: nobody may own a name or
# call a method unless an included policy file lets them.

# wait_for FILE PID: until FILE is not empty or PID is gone, 5 s at most.
wait_for () {
    tries=0
    while [ ! -s "$1" ] && kill -0 "$2" 2> /dev/null && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    [ -s "$1" ]
}

# start_system_bus DBUS-DAEMON DIR POLICY-FILE...: starts the daemon with
# its socket in DIR (which others must be able to reach) and the policy
# files included. Sets bus_pid, and bus_address once it listens; its
# messages go to DIR/bus.log. Fails if it does not start.
start_system_bus () {
    bus_daemon=$1
    bus_dir=$2
    shift 2
    {
        cat <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:tmpdir=$bus_dir</listen>
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
CONF
        for file in "$@"; do
            echo "  <include>$file</include>"
        done
        echo "</busconfig>"
    } > "$bus_dir/bus.conf"
    "$bus_daemon" --config-file="$bus_dir/bus.conf" --nofork --print-address=1 \
        > "$bus_dir/address" 2> "$bus_dir/bus.log" &
    bus_pid=$!
    wait_for "$bus_dir/address" "$bus_pid" || return 1
    bus_address=$(head -n 1 "$bus_dir/address")
}
