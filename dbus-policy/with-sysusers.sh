#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: with-sysusers.sh SYSUSERS-FILE... -- COMMAND [ARG...]
#
# Runs COMMAND on a machine where every user, group and membership that
# the sysusers.d(5) files declare exists, as after installing them. When
# they all exist already, COMMAND just runs. Otherwise, as root, it runs
# in a mount namespace of its own where /etc/passwd and /etc/group are
# copies of the machine's to which systemd-sysusers added what is missing:
# nothing on the machine changes. Without root, unshare or systemd-sysusers
# it exits 77, which meson counts as skipped.
set -eu

files=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    files="$files $1"
    shift
done
[ $# -gt 1 ] || { echo "usage: $0 SYSUSERS-FILE... -- COMMAND [ARG...]" >&2; exit 2; }
shift

# declared: every "u NAME", "g NAME" and "m USER GROUP" line of the files
all_exist () {
    # shellcheck disable=SC2086
    sed -e 's/#.*//' $files | while read -r type name rest; do
        case $type in
            u) getent passwd "$name" > /dev/null || return 1 ;;
            g) getent group "$name" > /dev/null || return 1 ;;
            m) set -- $rest
               id -nG "$name" 2> /dev/null | tr ' ' '\n' | grep -qx "$1" || return 1 ;;
        esac
    done
}

if all_exist; then
    exec "$@"
fi
if [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null ||
   ! command -v systemd-sysusers > /dev/null; then
    echo "skipped: the users of$files do not exist here, and making them in a namespace" \
         "needs root, unshare and systemd-sysusers"
    exit 77
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/etc"
cp /etc/passwd /etc/group "$dir/etc/"
# shellcheck disable=SC2086
if ! sed -e 's/#.*//' $files | systemd-sysusers --root="$dir" - > "$dir/log" 2>&1; then
    cat "$dir/log" >&2
    exit 1
fi
status=0
unshare --mount --propagation private sh -c '
    mount --bind "$1/etc/passwd" /etc/passwd &&
    mount --bind "$1/etc/group" /etc/group &&
    shift && exec "$@"' with-sysusers "$dir" "$@" || status=$?
exit $status
