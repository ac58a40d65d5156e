#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The monitor: its hygiene (own session, cgroup, no inherited fds, 0700 rundir), and losing it:
# after kill -9 of the monitor the container keeps running and berth commands take it back.
. "$(dirname "$0")/lib.sh"

n=$(name mon)
require "create $n" create_busybox "$n"

# start must not leave its stdout/stderr to the monitor: a reader of start's output sees EOF
# as soon as start returns (else `berth start x | cat` would hang).
t0=$(now_us)
out=$(timeout 20 sh -c '"$0" start "$1" 2>&1 | cat' "$BERTH_BIN" "$n" 3>&-)
rc=$?
ms=$(ms_since "$t0")
check_eq "berth start | cat returns (the monitor holds no pipe of the caller)" 0 "$rc"
check_le "and promptly (took $ms ms)" "$ms" 10000
require "state RUNNING" state_is "$n" RUNNING
pid=$(init_pid "$n")
mon=$(monitor_pids "$n")
check_eq "one monitor" 1 "$(monitor_count "$n")"
mon=${mon%%$'\n'*}
fds=$(ls -l "/proc/$mon/fd" 2>/dev/null | sed -n 's/.* -> //p')
diag "monitor fds: $(tr '\n' ' ' <<<"$fds")"
check_nomatch "the monitor holds no pipe" '^pipe:' "$fds"
# The container's own ptys (its devpts instance) are fine; a tty of the host is not.
host_pts=$(stat -c %d /dev/pts/ptmx)
host_dev=$(stat -c %d /dev/null)
held=
for f in /proc/"$mon"/fd/*; do
        read -r d rdev < <(stat -L -c '%d %t:%T' "$f" 2>/dev/null)
        if [ "$d" = "$host_pts" ] ||
                { [ "$d" = "$host_dev" ] && [[ $rdev =~ ^(4:|5:0$|5:1$|8[89]:|8a:|8b:|8c:|8d:|8e:|8f:) ]]; }; then
                held="$held $(readlink "$f")"
        fi
done
check_eq "the monitor holds no terminal of the host (host devpts, /dev/tty*, /dev/console)" "" "$held"
check_match "the monitor's stdin is /dev/null or closed" '^(/dev/null)?$' "$(readlink "/proc/$mon/fd/0")"
check_ne "the monitor is not a child of the test" "$$" "$(ps -o ppid= -p "$mon" | tr -d ' ')"
check_ne "the monitor is in a session of its own" "$(ps -o sid= -p $$ | tr -d ' ')" \
        "$(ps -o sid= -p "$mon" | tr -d ' ')"
check_eq "the runtime dir is 0700" 700 "$(stat -c %a "$BERTH_RUNDIR/$n" 2>/dev/null)"
check "the monitor socket is there" test -S "$BERTH_RUNDIR/$n/monitor.sock"
check_eq "init is a child of the monitor" "$mon" "$(ps -o ppid= -p "$pid" | tr -d ' ')"

# ---- kill -9 the monitor ----
kill -9 "$mon"
check "the monitor dies" wait_until 5 pid_dead "$mon"
sleep 1
check "init keeps running without its monitor" pid_alive "$pid"
check_match "the container's processes are still in the payload cgroup" "^$pid\$" "$(cg_pids "$n")"
check_exit "info works after the monitor died" 0 berth info "$n"
check_eq "info: still RUNNING" RUNNING "$(state "$n")"
check_eq "info: the same init pid" "$pid" "$(init_pid "$n")"
check_match "info reports the lost monitor" '"orphaned": true' "$(berth info "$n" --json)"
check_match "info says so in words" '^Monitor: lost' "$(berth info "$n" | grep Monitor)"
check_eq "info took nothing over: still no monitor" 0 "$(monitor_count "$n")"
if command -v strace >/dev/null; then
        strace -f -qq -o "$T/info.strace" -e trace=fork,vfork,clone,clone3,execve \
                "$BERTH_BIN" info "$n" >/dev/null 2>&1
        check_eq "info of the orphan forks and executes nothing" 1 \
                "$(grep -cE 'fork|clone|execve' "$T/info.strace")"
        strace -f -qq -o "$T/list.strace" -e trace=fork,vfork,clone,clone3,execve \
                "$BERTH_BIN" ls --fancy >/dev/null 2>&1
        check_eq "ls --fancy forks and executes nothing" 1 \
                "$(grep -cE 'fork|clone|execve' "$T/list.strace")"
else
        skip "info of the orphan forks nothing" "strace is not installed"
        skip "ls --fancy forks nothing" "strace is not installed"
fi
check_eq "attach works after the monitor died (and takes it over)" "$n" \
        "$(berth attach "$n" -- hostname)"
check_eq "one monitor after the takeover" 1 "$(monitor_count "$n")"
check_exit "info after the takeover" 0 berth info "$n"
check_match "no orphan any more" '"orphaned": false' "$(berth info "$n" --json)"
check_error "start while the orphan runs fails" 1 berth start "$n"
check_eq "the same init pid after that start" "$pid" "$(init_pid "$n")"
check_le "still at most one monitor" "$(monitor_count "$n")" 1
procs=$(cg_pids "$n")
t0=$(now_us)
check "stop works after the monitor died" berth stop "$n"
ms=$(ms_since "$t0")
check_le "and promptly (took $ms ms)" "$ms" 10000
check_eq "STOPPED" STOPPED "$(state "$n")"
check "init is gone" pid_dead "$pid"
left=
for p in $procs; do pid_alive "$p" && left="$left $p"; done
check_eq "every process of the container is gone" "" "$left"
check "no monitor left" wait_until 3 no_monitor "$n"
check "no cgroup left (payload and monitor)" wait_until 3 cg_gone "$n"
check "no monitor cgroup left" wait_until 3 cg_gone "$n.monitor"

# ---- again: the orphan is taken back over by a start-less command, then killed ----
require "start again" berth start "$n"
pid=$(init_pid "$n")
mon=$(monitor_pids "$n")
mon=${mon%%$'\n'*}
kill -9 "$mon"
check "the monitor dies (2)" wait_until 5 pid_dead "$mon"
check "stop --kill works after the monitor died" berth stop "$n" --kill
check_eq "STOPPED (2)" STOPPED "$(state "$n")"
check "init is gone (2)" pid_dead "$pid"
check "no cgroup left (2)" wait_until 3 cg_gone "$n"
check "a fresh start works after all that" berth start "$n"
check_eq "one monitor" 1 "$(monitor_count "$n")"
check "stop" berth stop "$n"
