#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resource limits: the cgroup files hold the configured values, a fork bomb stops at pids.max,
# a memory hog is OOM-killed while init survives, an unsatisfiable limit fails start.
. "$(dirname "$0")/lib.sh"

n=$(name lim)
cat >"$T/lim.yaml" <<EOF
limits: {memory: 32M, pids: 32, cpus: 0.5, cpu_weight: 50}
init: {stop_timeout: 2}
EOF
require "create $n with memory 32M, pids 32" create_busybox "$n" --config "$T/lim.yaml"
require "start $n" berth start "$n"
pid=$(init_pid "$n")
check_eq "memory.limit_in_bytes is 32M" 33554432 "$(cat "$(cg_dir memory "$n")/memory.limit_in_bytes")"
check_eq "pids.max is 32" 32 "$(cat "$(cg_dir pids "$n")/pids.max")"
check_eq "cpu.cfs_quota_us is 0.5 CPU" 50000 "$(cat "$(cg_dir cpu "$n")/cpu.cfs_quota_us")"
check_eq "cpu.cfs_period_us" 100000 "$(cat "$(cg_dir cpu "$n")/cpu.cfs_period_us")"
check_eq "cpu.shares for cpu_weight 50" 512 "$(cat "$(cg_dir cpu "$n")/cpu.shares")"
check_match "info --json shows the limits" '"memory_limit": *33554432.*"pids_limit": *32' \
        "$(berth info "$n" --json | tr -d '\n')"


# ---- fork bomb ----
# Only when attached processes really land in the pids cgroup: a bomb that escaped the
# cgroup would hit the host. And bounded in number (~240 processes) for the same reason.
berth attach "$n" -- sleep 3.217 &
bg=$!
IT_BG_PIDS+=("$bg")
in_cg=
for i in $(seq 60); do
        for p in $(cg_pids "$n"); do
                [ "$(cmdline_of "$p")" = "sleep 3.217" ] && in_cg=$p
        done
        [ -n "$in_cg" ] && break
        sleep 0.05
done
kill "$in_cg" 2>/dev/null
wait "$bg" 2>/dev/null
if [ -z "$in_cg" ]; then
        fail "attached processes land in the pids cgroup (needed for the fork bomb)"
        skip "fork bomb: pids.current stays <= 32" "attach escapes the cgroup"
else
        pass "attached processes land in the pids cgroup (needed for the fork bomb)"
        pcg=$(cg_dir pids "$n")
        events0=$(cg_sum_field pids "$n" pids.events max)
        # Four spawners of up to 60 sleepers each: far more than 32, but bounded (~240).
        timeout 15 "$BERTH_BIN" attach "$n" -- sh -c \
                'for j in 1 2 3 4; do ( i=0; while [ $i -lt 60 ]; do sleep 6 & i=$((i+1)); done; wait ) & done; wait' \
                >"$T/bomb.out" 2>&1 3>&- &
        bomb=$!
        IT_BG_PIDS+=("$bomb")
        peak=0
        for i in $(seq 40); do
                c=$(cat "$pcg/pids.current" 2>/dev/null || echo 0)
                [ "$c" -gt "$peak" ] && peak=$c
                sleep 0.05
        done
        # pids.peak (newer kernels) sees what sampling may miss.
        [ -r "$pcg/pids.peak" ] && peak=$(cat "$pcg/pids.peak")
        diag "fork bomb: peak pids $peak; $(grep -c "can't fork" "$T/bomb.out") refused forks reported"
        check_le "fork bomb: pids stay <= 32 (peak $peak)" "$peak" 32
        check_le "fork bomb: it did fill the cgroup (peak $peak >= 26)" 26 "$peak"
        check_le "fork bomb: pids.events in the payload cgroup count refused forks" \
                $((events0 + 1)) "$(cg_sum_field pids "$n" pids.events max)"
        check_match "fork bomb: forks inside failed with EAGAIN" "can't fork" "$(cat "$T/bomb.out")"
        check "init survives the fork bomb" pid_alive "$pid"
        check_eq "same init pid after the fork bomb" "$pid" "$(init_pid "$n")"
        check_eq "still RUNNING after the fork bomb" RUNNING "$(state "$n")"
        t0=$(now_us)
        check "the container stops during the fork bomb" berth stop "$n"
        ms=$(ms_since "$t0")
        check_le "and within 10 s (took $ms ms)" "$ms" 10000
        check_eq "state STOPPED" STOPPED "$(state "$n")"
        check "no cgroup left after stopping it" wait_until 3 cg_gone "$n"
        wait "$bomb" 2>/dev/null
        require "start $n again" berth start "$n"
        pid=$(init_pid "$n")
fi

# ---- memory hog ----
mem=$(cg_dir memory "$n")
oom0=$(cg_sum_field memory "$n" memory.oom_control oom_kill)
out=$(timeout 60 "$BERTH_BIN" attach "$n" -- sh -c \
        'x=$(head -c 209715200 /dev/zero | tr "\0" a); echo survived ${#x}' 2>&1 3>&-)
rc=$?
diag "memory hog: attach exit $rc"
check_ne "the memory hog fails" 0 "$rc"
check_nomatch "the memory hog did not get its 200M" 'survived' "$out"
# (v1 counts an OOM kill in the victim's own cgroup, so sum over the subtree)
check_le "the OOM killer ran in the payload cgroup" $((oom0 + 1)) \
        "$(cg_sum_field memory "$n" memory.oom_control oom_kill)"
check_le "memory.max_usage_in_bytes <= 32M" "$(cat "$mem/memory.max_usage_in_bytes")" 33554432
check "init survives the memory hog" pid_alive "$pid"
check_eq "same init pid after the memory hog" "$pid" "$(init_pid "$n")"
check_eq "still RUNNING after the memory hog" RUNNING "$(state "$n")"
check "attach still works after the OOM kill" berth attach "$n" -- true
check "stop $n" berth stop "$n"

# ---- an unsatisfiable limit ----
m=$(name io)
printf 'limits: {io_weight: 100}\n' >"$T/io.yaml"
require "create $m with io_weight" create_busybox "$m" --config "$T/io.yaml"
# Whether this host can apply io_weight at all: look at a probe cgroup of our own (the root
# cgroup has no weight files even where children do).
probe=/sys/fs/cgroup/blkio/$BERTH_CGROUP/probe
mkdir -p "$probe" 2>/dev/null
weight_file=
[ -e "$probe/blkio.weight" ] && weight_file=blkio.weight
[ -z "$weight_file" ] && [ -e "$probe/blkio.bfq.weight" ] && weight_file=blkio.bfq.weight
rmdir "$probe" 2>/dev/null
if [ -n "$weight_file" ]; then
        diag "this host has $weight_file: io_weight is satisfiable, no unsatisfiable-limit case"
        check "start with io_weight" berth start "$m"
        if [ "$weight_file" = blkio.weight ]; then
                check_eq "blkio.weight for io_weight 100" 500 "$(cat "$(cg_dir blkio "$m")/blkio.weight")"
        else
                check_eq "blkio.bfq.weight for io_weight 100" 10 "$(cat "$(cg_dir blkio "$m")/blkio.bfq.weight")"
        fi
        check "stop $m" berth stop "$m"
        skip "start with an unsatisfiable limit fails naming the key" \
                "every limit can be applied on this host"
else
        diag "this host has neither blkio.weight nor blkio.bfq.weight: io_weight cannot be applied"
        check_error "start with io_weight fails" 1 berth start "$m"
        check_match "the error names limits.io_weight" 'limits\.io_weight' "$(cat "$T/err.err")"
        check_eq "state stays STOPPED" STOPPED "$(state "$m")"
        check "no monitor left" wait_until 3 no_monitor "$m"
        check "no cgroup left" wait_until 3 cg_gone "$m"
fi
