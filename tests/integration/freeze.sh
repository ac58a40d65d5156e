#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# freeze/thaw: a counter loop inside stops advancing while FROZEN and resumes after thaw;
# freeze/thaw are fast (no 1 s tick); a frozen container still stops; errors when stopped.
. "$(dirname "$0")/lib.sh"

n=$(name frz)
printf 'init: {stop_timeout: 3}\n' >"$T/frz.yaml"
require "create $n" create_busybox "$n" --config "$T/frz.yaml"
require "start $n" berth start "$n"
pid=$(init_pid "$n")
counter=/proc/$pid/root/tmp/counter
# The loop runs under attach in the background for as long as the container lives.
berth attach "$n" -- sh -c \
        'i=0; while :; do i=$((i+1)); echo $i >/tmp/counter.new; mv /tmp/counter.new /tmp/counter; usleep 10000; done' \
        >/dev/null 2>&1 &
loop=$!
IT_BG_PIDS+=("$loop")
counter_value() { cat "$counter" 2>/dev/null; }
counter_above() { local v; v=$(counter_value); [ -n "$v" ] && [ "$v" -gt "$1" ]; }
require "the counter loop runs (read from the host via /proc/$pid/root)" wait_until 5 counter_above 2

t0=$(now_us)
check "freeze" berth freeze "$n"
ms=$(ms_since "$t0")
check_le "freeze takes < 1 s (took $ms ms)" "$ms" 999
check_eq "state FROZEN" FROZEN "$(state "$n")"
check_eq "freezer.state FROZEN" FROZEN "$(cat "$(cg_dir freezer "$n")/freezer.state" 2>/dev/null)"
check_match "ls --fancy shows FROZEN" "^$n +FROZEN " "$(berth ls --fancy)"
c1=$(counter_value)
sleep 0.5
c2=$(counter_value)
check_eq "the counter does not advance while frozen" "$c1" "$c2"
check_exit "wait FROZEN" 0 berth wait "$n" FROZEN --timeout 2

t0=$(now_us)
check "thaw" berth thaw "$n"
ms=$(ms_since "$t0")
check_le "thaw takes < 1 s (took $ms ms)" "$ms" 999
check_eq "state RUNNING after thaw" RUNNING "$(state "$n")"
check "the counter advances again" wait_until 2 counter_above "${c2:-0}"

# ---- 20 cycles ----
worst=0
bad=0
for i in $(seq 20); do
        t0=$(now_us)
        berth freeze "$n" >/dev/null 2>&1 || bad=$((bad + 1))
        ms=$(ms_since "$t0")
        [ "$ms" -gt "$worst" ] && worst=$ms
        [ "$(cat "$(cg_dir freezer "$n")/freezer.state" 2>/dev/null)" = FROZEN ] || bad=$((bad + 1))
        t0=$(now_us)
        berth thaw "$n" >/dev/null 2>&1 || bad=$((bad + 1))
        ms=$(ms_since "$t0")
        [ "$ms" -gt "$worst" ] && worst=$ms
        [ "$(cat "$(cg_dir freezer "$n")/freezer.state" 2>/dev/null)" = THAWED ] || bad=$((bad + 1))
done
diag "20 freeze/thaw cycles: slowest command $worst ms"
check_eq "20 freeze/thaw cycles all succeed with the right freezer.state" 0 "$bad"
check_le "no freeze or thaw takes > 1 s (slowest $worst ms)" "$worst" 1000
check_eq "RUNNING after the cycles" RUNNING "$(state "$n")"
c3=$(counter_value)
check "the counter still advances after the cycles" wait_until 2 counter_above "${c3:-0}"

# ---- stop a frozen container ----
check "freeze again" berth freeze "$n"
t0=$(now_us)
check "stop a frozen container" berth stop "$n"
ms=$(ms_since "$t0")
check_le "stopping a frozen container takes < 5 s (took $ms ms)" "$ms" 5000
check_eq "state STOPPED" STOPPED "$(state "$n")"
check "init is gone" pid_dead "$pid"
check "no cgroup left" wait_until 3 cg_gone "$n"
check "the attached loop ended with the container" wait_until 5 pid_dead "$loop"

check_error "freeze of a stopped container fails" 1 berth freeze "$n"
check_error "thaw of a stopped container fails" 1 berth thaw "$n"
check_eq "still STOPPED" STOPPED "$(state "$n")"
