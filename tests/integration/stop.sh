#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stopping: an init that ignores its halt signal is killed after stop_timeout; --kill and
# --timeout; a stop right after start is not lost; reboot from inside restarts the container;
# an init that exits on its own leaves a STOPPED, cleaned-up container.
. "$(dirname "$0")/lib.sh"

# stopped_clean NAME PID DESC...: init gone, no process left of the cgroup, cgroups removed.
stopped_clean() {
        local n=$1 pid=$2 desc=$3
        shift 3
        check_eq "$desc: state STOPPED" STOPPED "$(state "$n")"
        check "$desc: init is gone" pid_dead "$pid"
        local p left=
        for p in "$@"; do
                pid_alive "$p" && left="$left $p"
        done
        check_eq "$desc: every process of the container is gone" "" "$left"
        check "$desc: no monitor left" wait_until 3 no_monitor "$n"
        check "$desc: cgroups removed" wait_until 3 cg_gone "$n"
}

# ---- an init that ignores every halt signal ----
s=$(name stubborn)
cat >"$T/stubborn.yaml" <<'EOF'
init:
  cmd: [/bin/sh, -c, "trap '' USR1 USR2 TERM PWR INT HUP; while :; do sleep 1; done"]
  stop_timeout: 1
EOF
require "create $s (init ignores its halt signal, stop_timeout 1)" \
        create_busybox "$s" --config "$T/stubborn.yaml"
require "start $s" berth start "$s"
pid=$(init_pid "$s")
procs=$(cg_pids "$s")
t0=$(now_us)
check "stop $s" berth stop "$s"
ms=$(ms_since "$t0")
check_between "stop waits stop_timeout, then kills (0.9..5 s; took $ms ms)" 900 "$ms" 5000
stopped_clean "$s" "$pid" "stubborn init" $procs

require "start $s again" berth start "$s"
pid=$(init_pid "$s")
procs=$(cg_pids "$s")
t0=$(now_us)
check "stop --kill" berth stop "$s" --kill
ms=$(ms_since "$t0")
check_le "stop --kill is immediate (took $ms ms)" "$ms" 1000
stopped_clean "$s" "$pid" "stop --kill" $procs

require "start $s again" berth start "$s"
pid=$(init_pid "$s")
t0=$(now_us)
check "stop --timeout 3 overrides stop_timeout" berth stop "$s" --timeout 3
ms=$(ms_since "$t0")
check_between "stop --timeout 3 waits about 3 s (took $ms ms)" 2900 "$ms" 7000
stopped_clean "$s" "$pid" "stop --timeout 3"

require "start $s again" berth start "$s"
pid=$(init_pid "$s")
t0=$(now_us)
check "stop --timeout 0" berth stop "$s" --timeout 0
ms=$(ms_since "$t0")
check_le "stop --timeout 0 does not wait (took $ms ms)" "$ms" 1000
stopped_clean "$s" "$pid" "stop --timeout 0"

# ---- a stop right after start is not lost (busybox init, default 30 s stop_timeout) ----
b=$(name bb)
require "create $b" create_busybox "$b"
for i in 1 2 3; do
        check "start $b (round $i)" berth start "$b"
        pid=$(init_pid "$b")
        t0=$(now_us)
        check "stop right after start (round $i)" berth stop "$b"
        ms=$(ms_since "$t0")
        check_le "the halt signal was not lost: stop took $ms ms (< 5 s)" "$ms" 5000
        check_eq "STOPPED (round $i)" STOPPED "$(state "$b")"
        check "init gone (round $i)" pid_dead "$pid"
done

# ---- reboot from inside ----
require "start $b" berth start "$b"
pid=$(init_pid "$b")
# Let rcS finish so that busybox init handles the reboot request as a reboot.
wait_until 10 sh -c "'$BERTH_BIN' console '$b' --log 2>/dev/null | grep -q 'system ready'"
timeout 20 "$BERTH_BIN" attach "$b" -- reboot >/dev/null 2>&1 3>&-
new_init() {
        local p
        p=$(init_pid "$b")
        [ -n "$p" ] && [ "$p" != "$pid" ] && state_is "$b" RUNNING
}
check "reboot inside restarts the container: a new init, RUNNING" wait_until 20 new_init
pid2=$(init_pid "$b")
check "the old init is gone" pid_dead "$pid"
check "the new init is alive" pid_alive "$pid2"
check_eq "one monitor after the reboot" 1 "$(monitor_count "$b")"
check_match "the new init is in the payload cgroup" "^/$BERTH_CGROUP/$b(/.*)?\$" \
        "$(cg_of_pid pids "$pid2")"
check_eq "attach works after the reboot" "$b" "$(berth attach "$b" -- hostname)"
check "stop after the reboot" berth stop "$b"
stopped_clean "$b" "$pid2" "after reboot"

# ---- init exits on its own ----
e=$(name exit)
cat >"$T/exit.yaml" <<'EOF'
init: {cmd: [/bin/sh, -c, "sleep 1"]}
EOF
require "create $e (init: sleep 1)" create_busybox "$e" --config "$T/exit.yaml"
require "start $e" berth start "$e"
pid=$(init_pid "$e")
check_exit "wait STOPPED --timeout 10 after init exits" 0 berth wait "$e" STOPPED --timeout 10
stopped_clean "$e" "$pid" "init exited"
check "it can be started again" berth start "$e"
check_exit "and stops again by itself" 0 berth wait "$e" STOPPED --timeout 10

# ---- STOPPED means gone: a start right after it must not meet the exiting monitor ----
p=$(name again)
require "create $p" create_busybox "$p"
fails=0
for i in 1 2 3 4 5; do
        berth start "$p" >/dev/null 2>&1 || fails=$((fails + 1))
        berth attach "$p" -- poweroff >/dev/null 2>&1
        berth wait "$p" STOPPED --timeout 10 >/dev/null 2>&1 || fails=$((fails + 1))
done
check_eq "poweroff, wait STOPPED, start at once: five rounds without an error" 0 "$fails"
check_eq "and it ends STOPPED" STOPPED "$(state "$p")"
