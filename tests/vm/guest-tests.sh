#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The tests run inside the cgroup v2 guest (busybox sh), started by guest-init.sh as root on a
# kernel booted with cgroup_no_v1=all. They drive the real berth CLI and check the cgroup v2
# files and their effect. Each result is one TAP line "$BERTH_VM_PREFIX ok N - ..." written to
# $BERTH_VM_RESULTS (the second serial port), which the host's tests/vm/vm.sh renumbers into its
# own TAP stream; everything else goes to stdout, the guest's console log.
#
# shellcheck disable=SC2016 # the single-quoted scripts run inside the container
# shellcheck disable=SC2317 # helpers are called through check/wait_until

BERTH=/usr/local/bin/berth
export BERTH_MONITOR=/usr/local/libexec/berth/berth-monitor
export BERTH_TEMPLATES_DIR=/usr/local/share/berth/templates
export BERTH_STORE=/store/lib BERTH_CACHE=/store/cache BERTH_RUNDIR=/run/berth
export BERTH_CGROUP=berth-vm
# The host uid of the container's root, as recorded in its config at create.
host_root() { berth config "$1" show | grep -A2 '^idmap:' | sed -n 's/^ *host: *//p' | head -n 1; }
RESULTS=${BERTH_VM_RESULTS:-/dev/stdout}
PREFIX=${BERTH_VM_PREFIX:-berth-vm-tap:}
CG=/sys/fs/cgroup/$BERTH_CGROUP
# One berth command may take this long under TCG before it counts as hung.
CMD_TIMEOUT=90
T=/tmp/vmt
OUT=$T/out

N=0
FAILED=0

mkdir -p "$T" "$BERTH_STORE" "$BERTH_CACHE" "$BERTH_RUNDIR"

emit() {
        echo "$PREFIX $*" >>"$RESULTS"
        echo "TAP: $*"
}
diag() {
        echo "$*" | while IFS= read -r l; do emit "# $l"; done
}
diag_file() {
        [ -s "$1" ] || return 0
        head -n 20 "$1" | while IFS= read -r l; do emit "#   | $l"; done
}
pass() {
        N=$((N + 1))
        emit "ok $N - $1"
}
fail() {
        N=$((N + 1))
        FAILED=$((FAILED + 1))
        emit "not ok $N - $1"
}
skip() {
        N=$((N + 1))
        emit "ok $N - $1 # SKIP $2"
}
section() {
        echo "==== $* ===="
}

# check DESC CMD...: the command succeeds.
check() {
        desc=$1
        shift
        "$@" >"$OUT" 2>&1
        rc=$?
        if [ $rc = 0 ]; then
                pass "$desc"
        else
                fail "$desc"
                diag "  command: $* (exit $rc)"
                diag_file "$OUT"
        fi
        return $rc
}
check_eq() {
        if [ "$2" = "$3" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  expected: '$2'"
        diag "       got: '$3'"
        return 1
}
is_uint() {
        case $1 in
        '' | *[!0-9]*) return 1 ;;
        esac
}
# check_le DESC A B: A <= B (integers).
check_le() {
        if is_uint "$2" && is_uint "$3" && [ "$2" -le "$3" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  expected '$2' <= '$3'"
        return 1
}
check_between() {
        if is_uint "$3" && [ "$2" -le "$3" ] && [ "$3" -le "$4" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  expected $2 <= '$3' <= $4"
        return 1
}
# require DESC CMD...: the rest of the section depends on it.
require() {
        check "$@" && return 0
        diag "a required step failed: skipping the rest of this section"
        return 1
}

berth() {
        timeout -k 5 "$CMD_TIMEOUT" "$BERTH" "$@"
}

# Milliseconds since boot (10 ms resolution), without forking. The two decimals lose a leading
# zero first: sh arithmetic would read "08" as a bad octal number.
now_ms() {
        read -r up _ </proc/uptime
        frac=${up#*.}
        echo $((${up%.*} * 1000 + ${frac#0} * 10))
}

# wait_until SECONDS CMD...: polls CMD every 50 ms.
wait_until() {
        deadline=$(($(now_ms) + $1 * 1000))
        shift
        while ! "$@" >/dev/null 2>&1; do
                [ "$(now_ms)" -ge "$deadline" ] && return 1
                usleep 50000
        done
        return 0
}

state() { berth info "$1" 2>/dev/null | sed -n 's/^State: *//p'; }
init_pid() { berth info "$1" 2>/dev/null | sed -n 's/^PID: *\([1-9][0-9]*\)$/\1/p'; }
pid_alive() {
        [ -n "$1" ] && [ -e "/proc/$1" ] || return 1
        [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}
pid_dead() { ! pid_alive "$1"; }
# The cgroup helpers shared with the host's integration harness.
. /cgroup.sh
cg_gone() { ! cgh_exists "$BERTH_CGROUP/$1" && ! cgh_exists "$BERTH_CGROUP/$1.monitor"; }
# Every pid in the payload cgroup subtree of NAME.
cg_pids() { cgh_procs "$BERTH_CGROUP/$1"; }
# "FSTYPE MOUNTPOINT" of every mount; the type follows the " - " after the optional fields.
mounts() {
        awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1), $5; break } }' \
                /proc/self/mountinfo
}
cmdline_of() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null; }
cg_of_pid() { cgh_of_pid pids "$1"; }
uid_of_pid() { sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
monitor_pids() {
        for p in /proc/[0-9]*; do
                [ "$(cmdline_of "${p#/proc/}")" = "[berth monitor] $1 " ] &&
                        echo "${p#/proc/}"
        done
}
no_monitor() { [ -z "$(monitor_pids "$1")" ]; }
# Sum of "KEY N" lines of FILE over NAME's payload cgroup subtree.
cg_sum() {
        find "$CG/$1" -name "$2" -exec cat {} + 2>/dev/null |
                awk -v k="$3" '$1 == k { s += $2 } END { print s + 0 }'
}
cg_key() { sed -n "s/^$3 //p" "$CG/$1/$2" 2>/dev/null; }

# stopped_clean DESC NAME PID: the container is STOPPED, its init, monitor and cgroups gone.
stopped_clean() {
        check_eq "$1: state STOPPED" STOPPED "$(state "$2")"
        check "$1: init is gone" wait_until 5 pid_dead "$3"
        check "$1: no monitor left" wait_until 5 no_monitor "$2"
        check "$1: no cgroup left ($CG/$2 and $2.monitor)" wait_until 5 cg_gone "$2"
}

# ---- the guest itself ------------------------------------------------------------------------

section "environment"
check_eq "cgroup2 is the only cgroup file system" "cgroup2 /sys/fs/cgroup" \
        "$(mounts | awk '$1 ~ /^cgroup/ { print $1, $2 }')"
ctl=$(cat /sys/fs/cgroup/cgroup.controllers)
missing=
for c in cpu memory pids; do
        case " $ctl " in
        *" $c "*) ;;
        *) missing="$missing $c" ;;
        esac
done
check_eq "the root cgroup offers cpu, memory and pids ($ctl)" "" "$missing"
check_eq "the store is on ext4 (idmapped mounts need it on 6.1)" "ext4 /store" \
        "$(mounts | awk '$2 == "/store"')"

# ---- start / stop / restart ------------------------------------------------------------------

# lifecycle KIND NAME [create options]: start, attach, restart, stop of a busybox container.
lifecycle() {
        kind=$1 n=$2
        shift 2
        section "lifecycle $kind ($n)"
        t0=$(now_ms)
        require "$kind: create $n from the busybox template" \
                berth create "$n" -t busybox "$@" || return
        diag "$kind: create took $(($(now_ms) - t0)) ms"
        t0=$(now_ms)
        require "$kind: start $n" berth start "$n" || return
        diag "$kind: start took $(($(now_ms) - t0)) ms"
        check_eq "$kind: state RUNNING" RUNNING "$(state "$n")"
        pid=$(init_pid "$n")
        check "$kind: init is alive" pid_alive "$pid"
        check_eq "$kind: init is in the payload cgroup's ns child" "/$BERTH_CGROUP/$n/ns" \
                "$(cg_of_pid "$pid")"
        if [ "$kind" = privileged ]; then
                check_eq "$kind: init runs as host uid 0" 0 "$(uid_of_pid "$pid")"
        else
                host=$(host_root "$n")
                check "$kind: a host id range of its own ($host)" is_uint "$host"
                check_eq "$kind: init runs as that range's uid $host (user namespace)" "$host" \
                        "$(uid_of_pid "$pid")"
        fi
        mon=$(monitor_pids "$n")
        check_eq "$kind: one monitor, in $n.monitor" "/$BERTH_CGROUP/$n.monitor" \
                "$(cg_of_pid "$mon")"
        check_eq "$kind: attach runs in the container (hostname)" "$n" \
                "$(berth attach "$n" -- hostname 2>&1)"
        check_eq "$kind: attach lands in the payload cgroup" "0::/" \
                "$(berth attach "$n" -- cat /proc/self/cgroup 2>&1)"
        check "$kind: cgroup.kill exists for the final kill" test -e "$CG/$n/cgroup.kill"

        t0=$(now_ms)
        check "$kind: restart $n" berth restart "$n"
        diag "$kind: restart took $(($(now_ms) - t0)) ms"
        pid2=$(init_pid "$n")
        check_eq "$kind: RUNNING after restart" RUNNING "$(state "$n")"
        if [ -n "$pid2" ] && [ "$pid2" != "$pid" ]; then
                pass "$kind: restart gave a new init ($pid -> $pid2)"
        else
                fail "$kind: restart gave a new init ($pid -> $pid2)"
        fi
        check "$kind: the old init is gone" pid_dead "$pid"

        t0=$(now_ms)
        check "$kind: stop $n" berth stop "$n"
        ms=$(($(now_ms) - t0))
        check_le "$kind: busybox init halts on its signal, no timeout (took $ms ms)" "$ms" 10000
        stopped_clean "$kind: stop" "$n" "$pid2"

        check "$kind: start $n again" berth start "$n"
        pid=$(init_pid "$n")
        check "$kind: stop it again" berth stop "$n"
        stopped_clean "$kind: second stop" "$n" "$pid"
}

lifecycle unprivileged vm-unpriv
printf 'privileged: true\n' >"$T/priv.yaml"
lifecycle privileged vm-priv --config "$T/priv.yaml"

# ---- limits ----------------------------------------------------------------------------------

limits() {
        kind=$1 n=$2
        section "limits $kind ($n)"
        if [ "$kind" = privileged ]; then
                priv="privileged: true"
        else
                priv=
        fi
        cat >"$T/$n.yaml" <<EOF
$priv
limits: {memory: 32M, pids: 32, cpus: 0.5, cpu_weight: 50}
init: {stop_timeout: 2}
EOF
        require "$kind: create $n with memory 32M, pids 32, cpus 0.5" \
                berth create "$n" -t busybox --config "$T/$n.yaml" || return
        require "$kind: start $n" berth start "$n" || return
        pid=$(init_pid "$n")
        d=$CG/$n
        check_eq "$kind: memory.max is 32M" 33554432 "$(cat "$d/memory.max" 2>&1)"
        check_eq "$kind: pids.max is 32" 32 "$(cat "$d/pids.max" 2>&1)"
        check_eq "$kind: cpu.max is 0.5 CPU" "50000 100000" "$(cat "$d/cpu.max" 2>&1)"
        check_eq "$kind: cpu.weight is 50" 50 "$(cat "$d/cpu.weight" 2>&1)"
        # The container cannot raise its own limits: they sit above its cgroup namespace root,
        # where its own pids.max is unlimited.
        check_eq "$kind: the limits sit above the container's cgroup root (its pids.max: max)" \
                max "$(berth attach "$n" -- cat /sys/fs/cgroup/pids.max 2>&1)"
        info=$(berth info "$n" --json 2>&1 | tr -d '\n')
        case $info in
        *'"memory_limit": 33554432'* | *'"memory_limit":33554432'*)
                pass "$kind: info --json shows memory_limit 33554432" ;;
        *)
                fail "$kind: info --json shows memory_limit 33554432"
                diag "  got: $info" ;;
        esac

        # Fork bomb, bounded in depth: even escaped it could not hurt the guest much.
        max0=$(cg_sum "$n" pids.events max)
        berth attach "$n" -- sh -c \
                'b(){ [ $1 -gt 0 ] || { sleep 15; return; }; b $(($1-1)) | b $(($1-1)) & wait; }; b 7' \
                >/dev/null 2>&1 &
        bomb=$!
        peak=0
        for _ in $(seq 60); do
                c=$(cat "$d/pids.current" 2>/dev/null || echo 0)
                [ "$c" -gt "$peak" ] && peak=$c
                usleep 100000
        done
        diag "$kind: fork bomb: peak pids.current $peak"
        check_le "$kind: fork bomb: pids.current stays <= pids.max 32 (peak $peak)" "$peak" 32
        check_le "$kind: fork bomb: it did reach the limit (peak $peak >= 28)" 28 "$peak"
        max1=$(cg_sum "$n" pids.events max)
        check_le "$kind: fork bomb: pids.events counts refused forks ($max0 -> $max1)" \
                $((max0 + 1)) "$max1"
        check "$kind: init survives the fork bomb" pid_alive "$pid"
        check_eq "$kind: RUNNING during the fork bomb" RUNNING "$(state "$n")"
        # Kill the bomb, not the container: cgroup.kill of the ns child would take init too, so
        # kill every process of the subtree but init.
        for p in $(cg_pids "$n"); do
                [ "$p" = "$pid" ] || kill -9 "$p" 2>/dev/null
        done
        wait "$bomb" 2>/dev/null
        only_init() { [ "$(cg_pids "$n" | tr '\n' ' ')" = "$pid " ] || [ "$(cat "$d/pids.current")" -le 3 ]; }
        wait_until 10 only_init

        # Memory hog: the OOM killer takes it, not init.
        oom0=$(cg_key "$n" memory.events oom_kill)
        out=$(berth attach "$n" -- sh -c \
                'x=$(head -c 209715200 /dev/zero | tr "\0" a); echo survived ${#x}' 2>&1)
        rc=$?
        diag "$kind: memory hog: attach exit $rc"
        case $out in
        *survived*) fail "$kind: the memory hog did not get its 200M" ;;
        *) pass "$kind: the memory hog did not get its 200M" ;;
        esac
        oom1=$(cg_key "$n" memory.events oom_kill)
        check_le "$kind: memory.events oom_kill counts it (${oom0:-?} -> ${oom1:-?})" \
                $((${oom0:-0} + 1)) "${oom1:-0}"
        check_le "$kind: memory.peak <= 32M" "$(cat "$d/memory.peak" 2>/dev/null || echo 0)" \
                33554432
        check "$kind: init survives the memory hog" pid_alive "$pid"
        check_eq "$kind: same init after the memory hog" "$pid" "$(init_pid "$n")"
        check_eq "$kind: RUNNING after the memory hog" RUNNING "$(state "$n")"
        check "$kind: attach still works after the OOM kill" berth attach "$n" -- true

        # cpu.max: two busy loops want 2 CPUs; the cgroup gets about half of one.
        berth attach "$n" -- sh -c 'while :; do :; done' >/dev/null 2>&1 &
        l1=$!
        berth attach "$n" -- sh -c 'while :; do :; done' >/dev/null 2>&1 &
        l2=$!
        sleep 1
        u0=$(cg_key "$n" cpu.stat usage_usec)
        th0=$(cg_key "$n" cpu.stat nr_throttled)
        t0=$(now_ms)
        sleep 4
        u1=$(cg_key "$n" cpu.stat usage_usec)
        th1=$(cg_key "$n" cpu.stat nr_throttled)
        ms=$(($(now_ms) - t0))
        # Per cent of one CPU.
        pct=$(((${u1:-0} - ${u0:-0}) / (ms * 10)))
        diag "$kind: cpu.max: $((${u1:-0} - ${u0:-0})) us of CPU in $ms ms = $pct% of one CPU"
        # The upper bound is the quota; the lower one only says the loops ran (a busy host can
        # starve the TCG vCPUs, so it is loose).
        check_between "$kind: cpu.max holds the quota: 5..65% of one CPU (got $pct%)" 5 "$pct" 65
        check_le "$kind: cpu.stat nr_throttled grows (${th0:-?} -> ${th1:-?})" \
                $((${th0:-0} + 1)) "${th1:-0}"

        t0=$(now_ms)
        check "$kind: stop $n under load" berth stop "$n"
        diag "$kind: stop under load took $(($(now_ms) - t0)) ms"
        wait "$l1" "$l2" 2>/dev/null
        stopped_clean "$kind: stop after the limit tests" "$n" "$pid"
}

limits unprivileged vm-lim
limits privileged vm-plim

# ---- live limits: berth set on a running container (cgroup v2 files and their effect) ----------

live_limits() {
        n=vm-live
        section "live limits ($n)"
        printf 'limits: {memory: 128M, pids: 64}\ninit: {stop_timeout: 2}\n' >"$T/$n.yaml"
        require "live: create $n with memory 128M, pids 64" \
                berth create "$n" -t busybox --config "$T/$n.yaml" || return
        require "live: start $n" berth start "$n" || return
        pid=$(init_pid "$n")
        d=$CG/$n
        out=$(berth attach "$n" -- sh -c \
                'x=$(head -c 50331648 /dev/zero | tr "\0" a); echo survived ${#x}' 2>&1)
        case $out in
        *survived*) pass "live: a 48M hog survives under memory 128M" ;;
        *) fail "live: a 48M hog survives under memory 128M"; diag "  got: $out" ;;
        esac
        check "live: set memory 32M, pids 16, cpus 0.5 while it runs" \
                berth set "$n" limits.memory=32M limits.pids=16 limits.cpus=0.5
        check_eq "live: memory.max is now 32M" 33554432 "$(cat "$d/memory.max" 2>&1)"
        check_eq "live: pids.max is now 16" 16 "$(cat "$d/pids.max" 2>&1)"
        check_eq "live: cpu.max is now 0.5 CPU" "50000 100000" "$(cat "$d/cpu.max" 2>&1)"
        check_eq "live: the same init (no restart)" "$pid" "$(init_pid "$n")"
        oom0=$(cg_key "$n" memory.events oom_kill)
        out=$(berth attach "$n" -- sh -c \
                'x=$(head -c 50331648 /dev/zero | tr "\0" a); echo survived ${#x}' 2>&1)
        case $out in
        *survived*) fail "live: the same hog is OOM-killed under the new 32M" ;;
        *) pass "live: the same hog is OOM-killed under the new 32M" ;;
        esac
        oom1=$(cg_key "$n" memory.events oom_kill)
        check_le "live: memory.events oom_kill counts it (${oom0:-?} -> ${oom1:-?})" \
                $((${oom0:-0} + 1)) "${oom1:-0}"
        check "live: init survives" pid_alive "$pid"
        check "live: lift memory, pids and cpus (null)" \
                berth set "$n" limits.memory=null limits.pids=null limits.cpus=null
        check_eq "live: memory.max is max" max "$(cat "$d/memory.max" 2>&1)"
        check_eq "live: pids.max is max" max "$(cat "$d/pids.max" 2>&1)"
        check_eq "live: cpu.max is max" "max 100000" "$(cat "$d/cpu.max" 2>&1)"
        check "live: set cpu_weight 300" berth set "$n" limits.cpu_weight=300
        check_eq "live: cpu.weight is 300" 300 "$(cat "$d/cpu.weight" 2>&1)"
        check "live: unset it" berth set "$n" limits.cpu_weight=
        check_eq "live: cpu.weight is the default 100" 100 "$(cat "$d/cpu.weight" 2>&1)"
        before=$(cat "$d/memory.max")
        if berth set "$n" limits.memory=lots >"$OUT" 2>&1; then
                fail "live: an invalid value is refused"
        else
                pass "live: an invalid value is refused"
        fi
        check_eq "live: and nothing changed" "$before" "$(cat "$d/memory.max" 2>&1)"
        check "live: stop $n" berth stop "$n"
        stopped_clean "live: stop" "$n" "$pid"
}
live_limits

# ---- freeze / thaw ---------------------------------------------------------------------------

section "freeze and thaw"
n=vm-frz
printf 'init: {stop_timeout: 3}\n' >"$T/frz.yaml"
freeze_tests() {
        require "create $n" berth create "$n" -t busybox --config "$T/frz.yaml" || return
        require "start $n" berth start "$n" || return
        pid=$(init_pid "$n")
        counter=/proc/$pid/root/tmp/counter
        berth attach "$n" -- sh -c \
                'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/counter; usleep 20000; done' \
                >/dev/null 2>&1 &
        loop=$!
        counter_value() { cat "$counter" 2>/dev/null; }
        counter_above() { v=$(counter_value); [ -n "$v" ] && [ "$v" -gt "$1" ]; }
        require "a counter loop runs in the container" wait_until 20 counter_above 2 || return

        t0=$(now_ms)
        check "freeze $n" berth freeze "$n"
        diag "freeze took $(($(now_ms) - t0)) ms"
        check_eq "state FROZEN" FROZEN "$(state "$n")"
        check_eq "cgroup.freeze is 1" 1 "$(cat "$CG/$n/cgroup.freeze" 2>&1)"
        check_eq "cgroup.events says frozen 1" 1 "$(cg_key "$n" cgroup.events frozen)"
        c1=$(counter_value)
        sleep 1
        c2=$(counter_value)
        check_eq "the counter stops advancing while frozen" "$c1" "$c2"

        t0=$(now_ms)
        check "thaw $n" berth thaw "$n"
        diag "thaw took $(($(now_ms) - t0)) ms"
        check_eq "state RUNNING after thaw" RUNNING "$(state "$n")"
        check_eq "cgroup.freeze is 0" 0 "$(cat "$CG/$n/cgroup.freeze" 2>&1)"
        check_eq "cgroup.events says frozen 0" 0 "$(cg_key "$n" cgroup.events frozen)"
        check "the counter advances again" wait_until 10 counter_above "${c2:-0}"

        bad=0
        for _ in 1 2 3 4 5; do
                berth freeze "$n" >/dev/null 2>&1 || bad=$((bad + 1))
                [ "$(cg_key "$n" cgroup.events frozen)" = 1 ] || bad=$((bad + 1))
                berth thaw "$n" >/dev/null 2>&1 || bad=$((bad + 1))
                [ "$(cg_key "$n" cgroup.events frozen)" = 0 ] || bad=$((bad + 1))
        done
        check_eq "5 freeze/thaw cycles, each with the right cgroup.events" 0 "$bad"

        check "freeze again" berth freeze "$n"
        t0=$(now_ms)
        check "stop a frozen container" berth stop "$n"
        diag "stop of a frozen container took $(($(now_ms) - t0)) ms"
        wait "$loop" 2>/dev/null
        stopped_clean "stop when frozen" "$n" "$pid"
        check "freeze of a stopped container fails" sh -c "! '$BERTH' freeze '$n'"
}
freeze_tests

# ---- an init that ignores its halt signal ----------------------------------------------------

stubborn() {
        kind=$1 n=$2 priv=$3
        section "stubborn init $kind ($n)"
        cat >"$T/$n.yaml" <<EOF
$priv
init:
  cmd: [/bin/sh, -c, "trap '' USR1 USR2 TERM PWR INT HUP; while :; do sleep 1; done"]
  stop_timeout: 1
EOF
        require "$kind: create $n (init ignores its halt signal, stop_timeout 1)" \
                berth create "$n" -t busybox --config "$T/$n.yaml" || return
        require "$kind: start $n" berth start "$n" || return
        pid=$(init_pid "$n")
        # Let the shell install its traps.
        sleep 1
        procs=$(cg_pids "$n")
        t0=$(now_ms)
        check "$kind: stop $n" berth stop "$n"
        ms=$(($(now_ms) - t0))
        check_between "$kind: stop waits stop_timeout, then kills (900..15000 ms; took $ms)" \
                900 "$ms" 15000
        stopped_clean "$kind: stubborn init" "$n" "$pid"
        left=
        for p in $procs; do
                pid_alive "$p" && left="$left $p"
        done
        check_eq "$kind: every process of the container is gone" "" "$left"
}
stubborn unprivileged vm-stub ""
stubborn privileged vm-pstub "privileged: true"

# ---- a Debian systemd container --------------------------------------------------------------

# The host ships a Debian bookworm systemd tree (the debian template's cached tree, as a tar)
# on the store disk; the guest has no network, so the container is made from it with the
# download template. Unprivileged, as berth's default: systemd as init under cgroup v2 with
# its own delegated subtree, boots to "running", halts on SIGRTMIN+3 and journals it.
DEB_DATA=/store/vm-data
# TCG is slow: a boot, and a create that hashes and unpacks the tree, take a while.
DEB_BOOT_TIMEOUT=300
DEB_CREATE_TIMEOUT=400
# A clean halt must beat the 30 s stop timeout, after which berth would kill it.
DEB_STOP_MAX_MS=25000

berth_t() { # SECONDS ARGS...: berth with a longer timeout than CMD_TIMEOUT
        secs=$1
        shift
        timeout -k 5 "$secs" "$BERTH" "$@"
}

# deb_exec NAME CMD...: CMD inside the Debian container, through berth attach, or through
# nsenter when attach cannot join the container (DEB_VIA=nsenter, decided after the boot): then
# an attach bug fails its own check once, and the checks of systemd itself still see it.
DEB_VIA=attach
deb_exec() {
        n_=$1
        shift
        if [ "$DEB_VIA" = attach ]; then
                berth attach "$n_" -- "$@"
                return
        fi
        p_=$(init_pid "$n_")
        [ -n "$p_" ] || return 127
        # From the init's own cgroup (systemd's init.scope, a leaf), into its namespaces and
        # root, as root of its user namespace, with the environment attach would give.
        timeout -k 5 "$CMD_TIMEOUT" sh -c 'echo $$ >"$1/cgroup.procs" || exit 127; shift; exec "$@"' \
                sh "/sys/fs/cgroup$(cg_of_pid "$p_")" \
                nsenter -t "$p_" -U -m -u -i -n -p -r -w \
                env -i container=berth HOME=/root TERM=linux \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

system_state() { deb_exec "$1" systemctl is-system-running 2>/dev/null; }

# wait_booted NAME SECONDS: polls is-system-running until it leaves "initializing"/"starting"
# and prints the last state.
wait_booted() {
        deadline=$(($(now_ms) + $2 * 1000))
        while :; do
                st=$(system_state "$1")
                case $st in
                running | degraded | maintenance | stopping | offline) break ;;
                esac
                [ "$(now_ms)" -ge "$deadline" ] && break
                sleep 2
        done
        echo "${st:-unknown}"
}

# What went wrong, on the guest's console log (the host shows it when anything failed).
debian_dump() {
        n=$1
        echo "---- $n: failed units ----"
        deb_exec "$n" systemctl --failed --no-pager 2>&1
        echo "---- $n: jobs ----"
        deb_exec "$n" systemctl list-jobs --no-pager 2>&1 | head -n 30
        for u in $(deb_exec "$n" systemctl --failed --no-legend --plain 2>/dev/null |
                   awk '{ print $1 }'); do
                echo "---- $n: systemctl status $u ----"
                deb_exec "$n" systemctl status --no-pager -l -n 30 "$u" 2>&1
        done
        echo "---- $n: journal warnings ----"
        deb_exec "$n" journalctl -b --no-pager -q -p warning 2>&1 | tail -n 60
        debian_console "$n"
}
debian_console() {
        echo "---- $1: console log (tail) ----"
        berth console "$1" --log 2>&1 | tail -n 120
}

debian_tests() {
        n=vm-deb
        desc="debian: systemd container boots under cgroup v2"
        if [ ! -s "$DEB_DATA/debian.tar" ]; then
                why=$(head -n 1 "$DEB_DATA/debian.skip" 2>/dev/null)
                skip "$desc" "${why:-no Debian tree on the store disk}"
                return
        fi
        sum=$(cat "$DEB_DATA/debian.tar.sha256")
        diag "debian: tree $(($(stat -c %s "$DEB_DATA/debian.tar") / 1048576)) MiB, sha256 $sum"

        # berth-download needs GNU tar. Under busybox sh, the guest's /bin/sh, `tar` is always
        # busybox's applet (it runs applets before looking at PATH), which has no --xattrs: so
        # the unchanged template runs under dash here, with GNU tar first in berth's PATH.
        tdir=$T/templates
        mkdir -p "$tdir"
        printf '#!/bin/sh\nexec /usr/bin/dash %s/berth-download "$@"\n' \
                "$BERTH_TEMPLATES_DIR" >"$tdir/berth-download"
        chmod 755 "$tdir/berth-download"
        require "debian: GNU tar and dash for the download template" \
                sh -c '/usr/bin/tar --version | grep -q "GNU tar" && /usr/bin/dash -c :' || return

        t0=$(now_ms)
        require "debian: create $n -t download from the shipped tarball (sha256 checked)" \
                env BERTH_TEMPLATES_DIR="$tdir" timeout -k 5 "$DEB_CREATE_TIMEOUT" "$BERTH" \
                create "$n" -t download -- --url "$DEB_DATA/debian.tar" --sha256 "$sum" || return
        diag "debian: create took $(($(now_ms) - t0)) ms"
        conf=$(berth config "$n" show 2>&1)
        case $conf in
        *"kind: systemd"*) pass "debian: the tarball's config fragment applies (init kind systemd)" ;;
        *)
                fail "debian: the tarball's config fragment applies (init kind systemd)"
                diag "$conf" ;;
        esac
        check_eq "debian: the rootfs is Debian bookworm" bookworm \
                "$(sed -n 's/^VERSION_CODENAME=//p' "$BERTH_STORE/$n/rootfs/etc/os-release" 2>&1)"

        t0=$(now_ms)
        if ! check "debian: start --wait (systemd reports READY=1 within $DEB_BOOT_TIMEOUT s)" \
                berth_t $((DEB_BOOT_TIMEOUT + 30)) start "$n" --wait --timeout "$DEB_BOOT_TIMEOUT"; then
                debian_dump "$n"
                berth_t 60 stop "$n" --kill >/dev/null 2>&1
                return
        fi
        ms=$(($(now_ms) - t0))
        diag "debian: boot to READY=1 took $ms ms"
        pid=$(init_pid "$n")
        check_eq "debian: init is systemd" systemd "$(cat "/proc/$pid/comm" 2>&1)"
        check_eq "debian: init runs as its range's first uid (user namespace)" \
                "$(host_root "$n")" "$(uid_of_pid "$pid")"
        # systemd moves itself into init.scope of the subtree berth delegates to it.
        check_eq "debian: systemd runs in init.scope of its delegated cgroup" \
                "/$BERTH_CGROUP/$n/ns/init.scope" "$(cg_of_pid "$pid")"
        check "debian: systemd made its own slices under $CG/$n/ns" \
                test -d "$CG/$n/ns/system.slice"

        # systemd enables controllers in the subtree berth delegates (ns/cgroup.subtree_control),
        # so under cgroup v2 nothing can join ns/ itself any more: attach must use a leaf.
        DEB_VIA=attach
        if ! check_eq "debian: attach runs in the container (hostname)" "$n" \
                "$(berth attach "$n" -- hostname 2>&1)"; then
                DEB_VIA=nsenter
                diag "debian: $CG/$n/ns/cgroup.subtree_control:" \
                        "'$(cat "$CG/$n/ns/cgroup.subtree_control" 2>&1)'"
                diag "debian: the checks below run their commands through nsenter instead"
        fi

        t0=$(now_ms)
        st=$(wait_booted "$n" 120)
        diag "debian: is-system-running says '$st' ($(($(now_ms) - t0)) ms after READY=1)"
        check_eq "debian: systemctl is-system-running: running" running "$st"
        failed=$(deb_exec "$n" systemctl --failed --no-legend --plain 2>&1)
        check_eq "debian: no failed units" "" "$failed"
        if [ "$st" != running ] || [ -n "$failed" ]; then
                debian_dump "$n"
        fi
        check_eq "debian: /etc/machine-id seeded from container_uuid" \
                "$(sed 's/-//g' "$BERTH_STORE/$n/uuid" 2>&1)" \
                "$(deb_exec "$n" cat /etc/machine-id 2>&1)"

        t0=$(now_ms)
        check "debian: stop (SIGRTMIN+3: systemd halts)" berth_t 120 stop "$n"
        ms=$(($(now_ms) - t0))
        diag "debian: stop took $ms ms"
        check_le "debian: systemd halted by itself, before the 30 s stop timeout (took $ms ms)" \
                "$ms" "$DEB_STOP_MAX_MS" || debian_console "$n"
        stopped_clean "debian: stop" "$n" "$pid"

        # The journal is persistent: the second boot reads how the first one ended.
        t0=$(now_ms)
        if check "debian: start again" \
                berth_t $((DEB_BOOT_TIMEOUT + 30)) start "$n" --wait --timeout "$DEB_BOOT_TIMEOUT"; then
                diag "debian: second boot to READY=1 took $(($(now_ms) - t0)) ms"
                pid=$(init_pid "$n")
                j=$(deb_exec "$n" journalctl -b -1 --no-pager -q 2>&1 | tail -n 40)
                re='Reached target .*(Halt|Power-Off|Shutdown)|System is (halting|powering down)'
                if echo "$j" | grep -Eq "$re"; then
                        pass "debian: the journal of the first boot ends with the clean shutdown"
                        diag "$(echo "$j" | grep -E "$re" | tail -n 2)"
                else
                        fail "debian: the journal of the first boot ends with the clean shutdown"
                        diag "$(echo "$j" | tail -n 15)"
                fi
                check "debian: stop again" berth_t 120 stop "$n"
                stopped_clean "debian: second stop" "$n" "$pid"
        else
                debian_dump "$n"
                berth_t 60 stop "$n" --kill >/dev/null 2>&1
        fi

        check "debian: destroy $n" berth_t 120 destroy "$n"
        check "debian: its store directory is gone" test ! -e "$BERTH_STORE/$n"
}
# ---- the escape battery ----------------------------------------------------------------------

# tests/security/berth-probe inside a default and a privileged container, as on the host
# (tests/security/escape.sh, which also has the tmux and setuid checks): every probe blocked in
# the default mode, exactly SECURITY.md's list escaping in the privileged one. On cgroup v2 the
# device allow-list is the BPF program: mknod-host-dev is its check.
PROBE=/usr/local/libexec/berth/berth-probe
PRIV_LIST=/usr/local/share/berth/privileged-escapes
security_tests() {
        if [ ! -x "$PROBE" ] || [ ! -f "$PRIV_LIST" ]; then
                skip "security: the escape battery" "no probe or privileged list in the guest image"
                return
        fi
        mkdir -p "$T/ro" "$T/shared"
        chmod 1777 "$T/shared"
        for kind in default privileged; do
                {
                        [ $kind = privileged ] && echo "privileged: true"
                        echo "mounts:"
                        echo "  - {source: $T/ro, target: /ro, options: [bind, ro, create=dir]}"
                        echo "  - {source: $T/shared, target: /shared, options: [bind, create=dir]}"
                } >"$T/sec-$kind.yaml"
        done
        for c in sec-default sec-default2 sec-privileged; do
                kind=${c#sec-}
                kind=${kind%2}
                require "security: create $c" berth create "$c" -t busybox \
                        --config "$T/sec-$kind.yaml" || return
                require "security: the probe is copied into $c" \
                        cp "$PROBE" "$BERTH_STORE/$c/rootfs/berth-probe" || return
                require "security: start $c" berth start "$c" || return
        done
        check "security: sec-default writes a 0600 file on the shared volume" \
                berth attach sec-default -- sh -c 'echo s >/shared/secret && chmod 600 /shared/secret'
        for kind in default privileged; do
                c=sec-$kind
                other=sec-default2
                [ $kind = privileged ] && other=sec-privileged
                {
                        berth attach "$c" -- /berth-probe all </dev/null
                        berth attach "$other" -- /berth-probe read-file /shared/secret </dev/null
                        if berth attach "$c" -- sh -c 'cp /berth-probe /suid && chmod 4755 /suid' \
                                </dev/null; then
                                got=$("$PROBE" as-user 65534 "$BERTH_STORE/$c/rootfs/suid" euid 2>&1)
                                if [ "$got" = "euid=0" ]; then
                                        echo "setuid-store ESCAPED uid 65534 ran it as euid 0"
                                else
                                        echo "setuid-store blocked uid 65534: $got"
                                fi
                        fi
                } >"$T/probe-$kind.out" 2>&1
                lines=$(grep -cE '^[a-z0-9_-]+ (blocked|ESCAPED)' "$T/probe-$kind.out")
                check_le "security: $kind: the probe ran ($lines lines)" 40 "$lines" ||
                        diag_file "$T/probe-$kind.out"
                grep -E '^[a-z0-9_-]+ (blocked|ESCAPED)' "$T/probe-$kind.out" >"$T/probe-$kind.lines"
                while read -r pname verdict detail; do
                        want=blocked
                        [ $kind = privileged ] && grep -qx "$pname" "$PRIV_LIST" && want=ESCAPED
                        if [ "$verdict" = "$want" ]; then
                                pass "security: $kind: $pname $want"
                        else
                                fail "security: $kind: $pname $want"
                                diag "  $pname: $verdict $detail"
                        fi
                done <"$T/probe-$kind.lines"
        done
        for c in sec-default sec-default2 sec-privileged; do
                berth stop "$c" --kill >/dev/null 2>&1
                check "security: destroy $c" berth destroy "$c" --force
        done
}
section "escape battery"
security_tests

section "debian systemd container"
debian_tests

# ---- nothing left behind ---------------------------------------------------------------------

section "teardown"
for d in "$BERTH_STORE"/*/; do
        [ -d "$d" ] || continue
        c=$(basename "$d")
        berth stop "$c" --kill >/dev/null 2>&1
        berth destroy "$c" --force >"$OUT" 2>&1 || { echo "destroy $c failed:"; cat "$OUT"; }
done
# (.idmap.lock is the store's own lock for host id allocation: it stays.)
check_eq "every container destroyed" "" "$(ls -A "$BERTH_STORE" | grep -vx '\.idmap\.lock')"
check_eq "no cgroup left under $CG" "" \
        "$(find "$CG" -mindepth 1 -type d 2>/dev/null | tr '\n' ' ')"
check_eq "no monitor process left" "" \
        "$(for p in /proc/[0-9]*; do cmdline_of "${p#/proc/}" | grep '^\[berth monitor\]'; done)"
check_eq "no mount left under the store" "" \
        "$(mounts | awk '$2 ~ "^/store/" { print $2 }' | tr '\n' ' ')"

if [ "$FAILED" != 0 ]; then
        echo "==== $FAILED failed: kernel log tail ===="
        dmesg | tail -n 60
fi
emit "1..$N"
exit 0
