#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth logs: the console log, followed as it is written (inotify, no polling), across a restart
# of the container and the monitor's restart of the file, until the container is destroyed;
# escape sequences filtered on a terminal.
. "$(dirname "$0")/lib.sh"

n=$(name logs)
require "create $n" create_busybox "$n"
check "logs of a container never started" berth logs "$n"
check_eq "is empty" "" "$(cat "$IT_OUT")"

# Followed before the first start: the file does not exist yet.
"$BERTH_BIN" logs -f "$n" >"$T/follow.out" 2>"$T/follow.err" 3>&- &
follow=$!
IT_BG_PIDS+=("$follow")
sleep 0.2
require "start $n" berth start "$n"
say() { berth attach "$n" -- sh -c "echo $1 >/dev/console"; }
seen() { grep -q "$1" "$T/follow.out"; }
check "write marker1 to the console" say marker1
t0=$(now_us)
check "logs -f shows it" wait_until 5 seen marker1
diag "marker1 reached the follower after $(ms_since "$t0") ms"
check "logs (without -f) has it" berth logs "$n"
check_match "marker1 in the log" marker1 "$(cat "$IT_OUT")"
check_match "and the boot output before it" "system ready|login" "$(cat "$IT_OUT")"

check "restart $n" berth restart "$n"
check "write marker2 after the restart" say marker2
check "logs -f follows across the restart" wait_until 5 seen marker2
check "logs -f is still running" pid_alive "$follow"

# The monitor restarts the file past 1 MiB: the follower goes on from the new start.
check "write 1.1 MiB to the console" berth attach "$n" -- sh -c \
        'i=0; while [ $i -lt 1100 ]; do head -c 1023 /dev/zero | tr "\0" x >/dev/console; echo >/dev/console; i=$((i+1)); done'
check "write marker3 after the file restarted" say marker3
check "logs -f follows the restarted file" wait_until 10 seen marker3
check_le "console.log was restarted (size below 1 MiB)" "$(stat -c %s "$BERTH_STORE/$n/console.log")" 1048576

# Escape sequences: dropped on a terminal (but colours), kept with --raw and in a pipe.
check "write a title sequence and colours" berth attach "$n" -- sh -c \
        'printf "\033]0;owned\007\033[31mcolour\033[0m\n" >/dev/console'
if command -v script >/dev/null; then
        script -qc "$BERTH_BIN logs $n" /dev/null >"$T/tty.out" 2>&1 3>&- </dev/null
        check_nomatch "on a terminal the title sequence is dropped" $'\e\\]0;owned' "$(cat "$T/tty.out")"
        check_match "colours are kept" $'\e\\[31mcolour' "$(cat "$T/tty.out")"
        script -qc "$BERTH_BIN logs --raw $n" /dev/null >"$T/raw.out" 2>&1 3>&- </dev/null
        check_match "--raw keeps it" $'\e\\]0;owned' "$(cat "$T/raw.out")"
else
        skip "on a terminal the title sequence is dropped" "no script(1) for a pty"
fi
check "logs into a pipe" berth logs "$n"
check_match "a pipe gets the bytes as they are" $'\e\\]0;owned' "$(cat "$IT_OUT")"

check "destroy $n while it is followed" berth destroy --force "$n"
check "logs -f ends when the container is gone" wait_until 5 pid_dead "$follow"
wait "$follow"
check_eq "and exits 0" 0 $?

# ---- bad input ----
check_error "no such container" 1 berth logs "$(name nosuch)"
check_error "an invalid name" 2 berth logs 'Bad Name'
check_error "two names" 2 berth logs "$n" "$n"
check_error "an unknown option" 2 berth logs --tail "$n"
