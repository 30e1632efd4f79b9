#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-sysusers.sh SYSUSERS-FILE USER CONTROL-GROUP USB-GROUP
#
# Runs systemd-sysusers on SYSUSERS-FILE into an empty root directory, as
# an install would on a fresh system, and checks what it made: a system
# user USER (uid below 1000, no login shell) whose primary group is a
# group USER of its own, and the groups CONTROL-GROUP and USB-GROUP.
# Nothing on this machine changes.
set -eu

file=$1
user=$2
control_group=$3
usb_group=$4
command -v systemd-sysusers > /dev/null || { echo "skipped: no systemd-sysusers"; exit 77; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir "$root/etc"
systemd-sysusers --root="$root" - < "$file"

failures=0
fail () {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

entry=$(grep "^$user:" "$root/etc/passwd") || fail "no user $user in $(cat "$root/etc/passwd")"
uid=$(echo "$entry" | cut -d: -f3)
gid=$(echo "$entry" | cut -d: -f4)
shell=$(echo "$entry" | cut -d: -f7)
[ -n "$uid" ] && [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "$user: uid '$uid' is not a system uid"
case $shell in
    */nologin|*/false) ;;
    *) fail "$user: shell '$shell' allows a login" ;;
esac
for group in "$user" "$control_group" "$usb_group"; do
    grep -q "^$group:" "$root/etc/group" || fail "no group $group in $(cat "$root/etc/group")"
done
[ "$(grep "^$user:" "$root/etc/group" | cut -d: -f3)" = "$gid" ] ||
    fail "$user's primary group $gid is not the group $user"
[ $failures -eq 0 ] || exit 1
echo "ok: $user ($uid:$gid, $shell) and the groups $user, $control_group and $usb_group"
