#!/bin/bash
# SPDX-License-Identifier: MIT
# Usage: test-completion.sh COMPLETION OPENOCDCTL
#
# Sources bash-completion and COMPLETION, then completes command lines as
# bash would on Tab, with OPENOCDCTL first in PATH (no service runs, so no
# target or endpoint names), and checks what is offered.
set -uo pipefail
completion=$1
PATH="$(dirname "$(realpath "$2")"):$PATH"
for main in /usr/share/bash-completion/bash_completion; do
	[ -r "$main" ] && break
done
[ -r "$main" ] || { echo "bash-completion is not installed"; exit 77; }
# shellcheck disable=SC1090
. "$main"
# shellcheck disable=SC1090
. "$completion"

failed=0
# LINE EXPECTED…: the completions of LINE (Tab at its end) are EXPECTED
expect() {
	local line=$1; shift
	local got want
	COMP_LINE=$line
	COMP_POINT=${#line}
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_openocdctl openocdctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	if [ "$got" = "$want" ]; then
		echo "ok: '$line' -> $got"
	else
		echo "FAIL: '$line' -> '$got', expected '$want'"
		failed=1
	fi
}

expect "openocdctl wa" wait-halt
expect "openocdctl le" lease leases
expect "openocdctl --session st" state step
expect "openocdctl --se" --session
expect "openocdctl bp --l" --length=
expect "openocdctl wait-halt --t" --target= --timeout=
expect "openocdctl bp " add remove list
expect "openocdctl bp --hw a" add
expect "openocdctl reset " halt run init
expect "openocdctl -t " 
expect "openocdctl program --reset h" halt
# a command's bus options go before it, and -t only with a target's commands
expect "openocdctl state --s"
expect "openocdctl endpoints --" --help --json
expect "openocdctl mem --w" --width=
exit $failed
