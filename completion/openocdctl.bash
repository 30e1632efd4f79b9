# SPDX-License-Identifier: MIT
# bash completion for openocdctl(1).
#
# Commands, their options and their keywords (bp add|remove|list, reset
# halt|run|init, …) are read from openocdctl's own --help, so they are
# always those of the openocdctl installed. Target names (-t) and endpoint
# names (lease, endpoint remove|restart|log) are asked of the running
# service with "openocdctl list" and "openocdctl endpoints", on the bus the
# command line names; without a service there are none.

# The options of "openocdctl [COMMAND] --help", as "--long=" when they
# take a value; not a command's "Bus options", which go before it.
_openocdctl_options()
{
    openocdctl "$@" --help 2>/dev/null |
        sed -n -E '/^Bus options/q; s/^  (-[a-zA-Z]), (--[a-z-]+)(=?).*/\1\n\2\3/p; s/^  (--[a-z-]+)(=?).*/\1\2/p'
}

_openocdctl_commands()
{
    openocdctl --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p'
}

# The keywords that may come first after COMMAND: the first word of each
# alternative of its usage ("bp add ADDR | remove ADDR | list") or the
# words of a bracketed choice ("reset [halt|run|init]").
_openocdctl_keywords()
{
    local usage
    usage=$(openocdctl "$1" --help 2>/dev/null | sed -n -E "s/^ +openocdctl \[OPTION…\] $1 ?//p")
    printf '%s\n' "$usage" | sed -E 's/ \| /\n/g' |
        sed -n -E 's/^\[([a-z|]+)\]$/\1/p; s/^([a-z][a-z-]*)( .*)?$/\1/p' | tr '|' '\n'
}

# The first column of a table that openocdctl prints (after its header),
# on the bus of the caller's "bus" array.
_openocdctl_names()
{
    openocdctl "${bus[@]}" "$@" 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_openocdctl_targets()
{
    openocdctl "${bus[@]}" list 2>/dev/null | awk 'NR > 1 { print $2; print $1 "/" $2 }'
}

_openocdctl()
{
    local cur prev words cword split
    _init_completion -s || return

    local i word command="" bus=() args=() valued
    # every option that takes a value, of the command line so far
    valued=" -t --target --address "
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        if [[ $word == -- && $command == lease ]]; then
            _command_offset $((i + 1))
            return
        elif [[ $word == --system || $word == --session ]]; then
            bus+=("$word")
        elif [[ $word == --address && -z $command ]]; then
            bus+=("$word" "${words[i + 1]}")
            ((i++))
        elif [[ $word == --address=* && -z $command ]]; then
            bus+=("$word")
        elif [[ $word == -* ]]; then
            [[ $valued == *" $word "* && $word != *=* ]] && ((i++))
        elif [[ -z $command ]]; then
            command=$word
            valued+="$(_openocdctl_options "$command" | sed -n 's/=$//p' | tr '\n' ' ') "
        else
            args+=("$word")
        fi
    done

    case $prev in
        -t | --target)
            COMPREPLY=($(compgen -W "$(_openocdctl_targets)" -- "$cur"))
            return
            ;;
        --shared-dir)
            _filedir -d
            return
            ;;
        --format)
            COMPREPLY=($(compgen -W "bin ihex elf" -- "$cur"))
            return
            ;;
        --reset)
            COMPREPLY=($(compgen -W "run halt none" -- "$cur"))
            return
            ;;
    esac
    # any other option's value: nothing to offer
    [[ $split == true || $valued == *" $prev "* ]] && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_openocdctl_options $command)" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$(_openocdctl_commands)" -- "$cur"))
        return
    fi

    case $command:${#args[@]}:${args[0]-} in
        lease:0:* | endpoint:1:remove | endpoint:1:restart | endpoint:1:log)
            COMPREPLY=($(compgen -W "$(_openocdctl_names endpoints)" -- "$cur"))
            ;;
        program:0:* | load:0:* | mem:1:load | mem:3:dump | flash:1:verify)
            _filedir
            ;;
        *:0:*)
            COMPREPLY=($(compgen -W "$(_openocdctl_keywords "$command")" -- "$cur"))
            ;;
    esac
} &&
    complete -F _openocdctl openocdctl
