#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth set and berth config edit: limits applied live to a running container (the cgroup files
# and their effect), saved with the config, both or neither; the rest saved for the next start;
# bad input refused in one line with nothing changed.
. "$(dirname "$0")/lib.sh"

n=$(name set)
cat >"$T/set.yaml" <<EOF
limits: {memory: 128M, pids: 64}
init: {stop_timeout: 2}
EOF
require "create $n" create_busybox "$n" --config "$T/set.yaml"
require "start $n" berth start "$n"
pid=$(init_pid "$n")
mem=$(cg_dir memory "$n")
pcg=$(cg_dir pids "$n")
cpu=$(cg_dir cpu "$n")
cfg=$BERTH_STORE/$n/config.yaml
show() { berth config "$n" show | sed -n "s/^  $1: *//p"; }

# hog MB: allocates MB MiB inside the container; prints "survived" when it got them.
hog() {
        timeout 60 "$BERTH_BIN" attach "$n" -- sh -c \
                "x=\$(head -c $(($1 * 1048576)) /dev/zero | tr '\\0' a); echo survived \${#x}" 2>&1 3>&-
}

# ---- before: a 48M hog fits under 128M ----
check_match "a 48M hog survives under memory 128M" survived "$(hog 48)"

# ---- live: lower memory, pids, add cpus ----
check "set memory 32M, pids 16, cpus 0.5 on the running container" \
        berth set "$n" limits.memory=32M limits.pids=16 limits.cpus=0.5
check_match "the output says memory was applied live" "limits.memory: applied to the running container" "$(cat "$IT_OUT")"
check_eq "memory.limit_in_bytes is now 32M" 33554432 "$(cat "$mem/memory.limit_in_bytes")"
check_eq "pids.max is now 16" 16 "$(cat "$pcg/pids.max")"
check_eq "cpu.cfs_quota_us is now 0.5 CPU" 50000 "$(cat "$cpu/cpu.cfs_quota_us")"
check_eq "config.yaml saved memory 32M" 33554432 "$(show memory)"
check_eq "config.yaml saved pids 16" 16 "$(show pids)"
check_eq "config.yaml saved cpus 0.5" 0.5 "$(show cpus)"
check_match "info --json reports the new limits" '"memory_limit": *33554432.*"pids_limit": *16' \
        "$(berth info "$n" --json | tr -d '\n')"
check_eq "init untouched by the change" "$pid" "$(init_pid "$n")"

# By effect: the same 48M hog is now OOM-killed; init survives.
oom0=$(cg_sum_field memory "$n" memory.oom_control oom_kill)
check_nomatch "the 48M hog is OOM-killed under the new 32M limit" survived "$(hog 48)"
check_le "the OOM killer ran in the payload cgroup" $((oom0 + 1)) \
        "$(cg_sum_field memory "$n" memory.oom_control oom_kill)"
check "init survives the hog" pid_alive "$pid"

# By effect: a bounded fork loop stops at 16 tasks.
events0=$(cg_sum_field pids "$n" pids.events max)
timeout 15 "$BERTH_BIN" attach "$n" -- sh -c \
        'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; wait' >"$T/fork.out" 2>&1 3>&- &
fork=$!
IT_BG_PIDS+=("$fork")
peak=0
for i in $(seq 30); do
        c=$(cat "$pcg/pids.current" 2>/dev/null || echo 0)
        [ "$c" -gt "$peak" ] && peak=$c
        sleep 0.05
done
check_le "the fork loop stays within pids.max 16 (peak $peak)" "$peak" 16
check_le "and reached it (peak $peak >= 12)" 12 "$peak"
check_le "pids.events counts refused forks" $((events0 + 1)) "$(cg_sum_field pids "$n" pids.events max)"
for p in $(cg_pids "$n"); do
        [ "$p" = "$pid" ] || [ "$(cmdline_of "$p")" != "sleep 5" ] || kill "$p" 2>/dev/null
done
wait "$fork" 2>/dev/null

# Lifting a limit writes the kernel's "no limit".
check "unset pids and cpus (null and empty)" berth set "$n" limits.pids=null limits.cpus=
check_eq "pids.max is max again" max "$(cat "$pcg/pids.max")"
check_eq "cpu.cfs_quota_us is -1 again" -1 "$(cat "$cpu/cpu.cfs_quota_us")"
check_eq "config.yaml has pids null" null "$(show pids)"
check "set pids back to 64" berth set "$n" limits.pids=64

# Keys that are not limits are saved for the next start.
check "set hostname and autostart" berth set "$n" hostname=renamed autostart.order=3
out=$(cat "$IT_OUT")
check_match "hostname: saved for the next start" "hostname: saved; takes effect at the next start" "$out"
check_match "autostart.order: saved (nothing to restart for)" "autostart.order: saved$" "$out"
check_eq "the running container keeps its hostname" "$n" "$(berth attach "$n" -- hostname)"
check "set the same value again" berth set "$n" hostname=renamed
check_match "nothing changed" "^$n: nothing changed$" "$(cat "$IT_OUT")"

# ---- both or neither ----
sum() { sha256sum "$cfg" | cut -d' ' -f1; }
before=$(sum)
limit_before=$(cat "$mem/memory.limit_in_bytes")
# Memory the kernel cannot reclaim (tmpfs, no swap): v1 refuses a limit below it.
check "fill 24M of /dev/shm" berth attach "$n" -- sh -c 'head -c 25165824 /dev/zero >/dev/shm/fill'
check_error "a memory limit below what cannot be reclaimed fails" 1 \
        berth set "$n" limits.memory=8M limits.pids=10
check_match "the error names limits.memory" "set '$n': .*'limits.memory'" "$(cat "$T/err.err")"
check_eq "config.yaml unchanged" "$before" "$(sum)"
check_eq "memory.limit_in_bytes unchanged" "$limit_before" "$(cat "$mem/memory.limit_in_bytes")"
check_eq "pids.max unchanged (the other key of the call)" 64 "$(cat "$pcg/pids.max")"
berth attach "$n" -- rm -f /dev/shm/fill

# A write the kernel refuses half way (a CFS quota below 1 ms, after the memory write that
# succeeded): the memory goes back.
check_error "cpus 0.001 (a quota the kernel refuses) after a memory raise fails" 1 \
        berth set "$n" limits.memory=100M limits.cpus=0.001
check_match "the error names limits.cpus" "'limits.cpus'" "$(cat "$T/err.err")"
check_eq "memory.limit_in_bytes back to what it was" "$limit_before" "$(cat "$mem/memory.limit_in_bytes")"
check_eq "config.yaml unchanged" "$before" "$(sum)"

# The save fails (the store directory read-only): the cgroup goes back.
mount --bind "$BERTH_STORE/$n" "$BERTH_STORE/$n" && mount -o remount,bind,ro "$BERTH_STORE/$n"
check_error "set fails when config.yaml cannot be saved" 1 berth set "$n" limits.pids=20
check_match "the error is the save's" "save config" "$(cat "$T/err.err")"
check_eq "pids.max rolled back to 64" 64 "$(cat "$pcg/pids.max")"
umount "$BERTH_STORE/$n"
check_eq "config.yaml unchanged" "$before" "$(sum)"

# ---- bad input: one line, exit 1 (or 2 for usage), nothing changed ----
check_error "unknown key" 1 berth set "$n" limits.memroy=1G
check_match "names the key" "unknown key 'limits.memroy'" "$(cat "$T/err.err")"
check_error "invalid size" 1 berth set "$n" limits.memory=lots
check_eq "the file's own message, no position" \
        "berth: set '$n': key 'limits.memory': invalid size 'lots'" "$(cat "$T/err.err")"
check_error "out of range" 1 berth set "$n" limits.cpu_weight=0
check_error "swap without memory" 1 berth set "$n" limits.memory=null limits.swap=1G
check_error "the name cannot be set" 1 berth set "$n" name=other
check_match "and says to rename" "berth rename" "$(cat "$T/err.err")"
check_error "rootfs cannot be set" 1 berth set "$n" rootfs.path=/tmp
check_error "no '=' is a usage error" 2 berth set "$n" limits.memory
check_error "no assignment is a usage error" 2 berth set "$n"
check_error "an invalid name is a usage error" 2 berth set 'Bad Name' limits.pids=1
check_error "no such container" 1 berth set "$(name nosuch)" limits.pids=1
check_eq "config.yaml unchanged by all of it" "$before" "$(sum)"
check_eq "pids.max unchanged by all of it" 64 "$(cat "$pcg/pids.max")"

# ---- config edit ----
cat >"$T/editor-pids" <<'EOF'
#!/bin/sh
sed -i 's/^  pids: .*/  pids: 33/' "$1"
EOF
cat >"$T/editor-bad" <<'EOF'
#!/bin/sh
sed -i 's/^  memory: .*/  memory: lots/' "$1"
EOF
chmod +x "$T/editor-pids" "$T/editor-bad"
printf '# a comment the edit keeps\n' >>"$cfg"
before=$(sum)
EDITOR="$T/editor-bad" check_error "an invalid edit fails" 1 berth config "$n" edit
err=$(cat "$T/err.err")
check_match "with file:line:col of the copy" "berth: edit '$n': /[^ ]*/$n.yaml:[0-9]+:[0-9]+: key 'limits.memory': invalid size 'lots'" "$err"
copy=$(sed -n 's/.*(the edited copy is kept: \(.*\))$/\1/p' <<<"$err")
check "the edited copy is kept" test -f "$copy"
rm -rf "$(dirname "$copy")"
check_eq "config.yaml unchanged" "$before" "$(sum)"
EDITOR=false check_error "a failing editor changes nothing" 1 berth config "$n" edit
check_eq "config.yaml unchanged" "$before" "$(sum)"
VISUAL="$T/editor-pids" check "an edit of pids" berth config "$n" edit
check_match "applied live" "limits.pids: applied to the running container" "$(cat "$IT_OUT")"
check_eq "pids.max is 33" 33 "$(cat "$pcg/pids.max")"
check_match "the file keeps its comment (saved as edited)" "^# a comment the edit keeps" "$(cat "$cfg")"
EDITOR=true check "an edit that changes nothing" berth config "$n" edit
check_match "says so" "nothing changed" "$(cat "$IT_OUT")"
check_error "config with an unknown action" 2 berth config "$n" frobnicate

# ---- a stopped container: saved only ----
check "stop $n" berth stop "$n"
check "set on the stopped container" berth set "$n" limits.pids=20
check_match "saved, nothing live" "^$n: limits.pids: saved$" "$(cat "$IT_OUT")"
check "start again" berth start "$n"
check_eq "the next start applies it" 20 "$(cat "$pcg/pids.max")"
check_eq "and the hostname set before" renamed "$(berth attach "$n" -- hostname)"
