#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-list.sh: listing many containers, and the event source at rest, berth against LXC in
# one run (root). Not part of make check; see tests/bench/README.md.
#
#   - `berth ls --fancy` against `lxc-ls --fancy` with N defined containers, half of them
#     running (median of BENCH_RUNS); target: berth <= 30 ms for 100;
#   - the wakeups of `berth events` (all containers) against `lxc-monitor` over BENCH_IDLE
#     seconds with nothing happening (context switches); target: 0.
#
# Everything lives in a private temporary directory (berth store, rundir; LXC's lxcpath) and a
# cgroup parent named after its pid, and is removed on exit, also on failure or Ctrl-C.
#
# Environment: BERTH_BIN, BERTH_MONITOR, BERTH_TEMPLATES_DIR (default: the build tree),
# BENCH_N=100 containers per side, BENCH_RUNS=20, BENCH_IDLE=10, BENCH_NO_APT=1.
# Exit status: 0 every berth target met, 1 a target missed, 2 the benchmark failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
export BERTH_MONITOR BERTH_TEMPLATES_DIR
N=${BENCH_N:-100}
RUNS=${BENCH_RUNS:-20}
IDLE=${BENCH_IDLE:-10}

die() {
        printf 'bench-list: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for v in N RUNS IDLE; do
        case "${!v}" in
        '' | *[!0-9]*) die "invalid BENCH_$v '${!v}': expected a positive number" ;;
        esac
done
[ "$N" -ge 2 ] && [ "$N" -le 1000 ] || die "invalid BENCH_N '$N': expected 2..1000"
[ "$(id -u)" -eq 0 ] || die "run as root: both managers need it"
[ -x "$BERTH_BIN" ] || die "berth binary '$BERTH_BIN' not found; build first or set BERTH_BIN"
bench_need_lxc

tmp=$(mktemp -d /tmp/berth-bench-list.XXXXXX)
chmod 755 "$tmp"
export BERTH_STORE=$tmp/store BERTH_RUNDIR=$tmp/run BERTH_CGROUP=berth-bench-$$
export BERTH_CONFIG=$tmp/berth.yaml BERTH_SUBUID=$tmp/subuid BERTH_SUBGID=$tmp/subgid
LXCPATH=$tmp/lxc
mkdir -p -m 0700 "$BERTH_STORE"
mkdir -p "$LXCPATH"
bench_note_cgroups "$BERTH_CGROUP"
berth_names=()
lxc_names=()
followers=()

cleanup() {
        local rc=$? p
        trap - EXIT INT TERM HUP
        set +e
        for p in "${followers[@]}"; do
                kill "$p" 2>/dev/null
        done
        say "cleaning up"
        bench_destroy_all
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- N containers per side, half of them running -------------------------------------------

say "creating $N berth containers"
berth -q create bl-0 -t busybox >/dev/null || die "berth create failed"
berth_names+=(bl-0)
for ((i = 1; i < N; i++)); do
        # A copy of the first one's tree: the benchmark is about listing, not creating.
        berth -q create "bl-$i" -t busybox >/dev/null || die "berth create bl-$i failed"
        berth_names+=("bl-$i")
done
say "creating $N LXC containers"
printf 'lxc.net.0.type = empty\n' >"$tmp/lxc.conf"
lxc-create -P "$LXCPATH" -n ll-0 -t busybox -f "$tmp/lxc.conf" >/dev/null 2>"$tmp/err" ||
        die "lxc-create failed: $(tail -n 1 "$tmp/err")"
lxc_names+=(ll-0)
for ((i = 1; i < N; i++)); do
        lxc-copy -P "$LXCPATH" -n ll-0 -N "ll-$i" >/dev/null 2>"$tmp/err" ||
                die "lxc-copy failed: $(tail -n 1 "$tmp/err")"
        lxc_names+=("ll-$i")
done
say "starting half of each"
for ((i = 0; i < N; i += 2)); do
        berth start "bl-$i" >/dev/null || die "berth start bl-$i failed"
        lxc-start -P "$LXCPATH" -n "ll-$i" -d || die "lxc-start ll-$i failed"
done
for ((i = 0; i < N; i += 2)); do
        lxc-wait -P "$LXCPATH" -n "ll-$i" -s RUNNING -t 30 || die "ll-$i did not start"
done

# ---- listing ----------------------------------------------------------------------------------

rows_berth=$(berth ls --fancy | grep -c ' RUNNING ' || :)
rows_lxc=$(lxc-ls -P "$LXCPATH" --fancy | grep -c ' RUNNING ' || :)
[ "$rows_berth" = $((N / 2)) ] || die "berth ls shows $rows_berth running, expected $((N / 2))"
[ "$rows_lxc" = $((N / 2)) ] || die "lxc-ls shows $rows_lxc running, expected $((N / 2))"
say "timing ls --fancy, $RUNS rounds, alternating"
for ((r = 0; r < RUNS; r++)); do
        t0=$(now)
        berth ls --fancy >/dev/null
        t1=$(now)
        sample berth ls "$t0" "$t1"
        t0=$(now)
        lxc-ls -P "$LXCPATH" --fancy >/dev/null
        t1=$(now)
        sample lxc ls "$t0" "$t1"
done

# ---- the event source at rest ------------------------------------------------------------------

ctxt() {
        awk '/^voluntary_ctxt_switches|^nonvoluntary_ctxt_switches/ {s += $2} END {print s}' \
                "/proc/$1/status"
}
"$BERTH_BIN" events >/dev/null 2>&1 &
followers+=($!)
ev=$!
lxc-monitor -P "$LXCPATH" -n '.*' >/dev/null 2>&1 &
followers+=($!)
mon=$!
sleep 1
e0=$(ctxt "$ev")
m0=$(ctxt "$mon")
say "idle for $IDLE s"
sleep "$IDLE"
ewake=$(($(ctxt "$ev") - e0))
mwake=$(($(ctxt "$mon") - m0))

# ---- report ------------------------------------------------------------------------------------

b=$(stat_of berth ls median)
l=$(stat_of lxc ls median)
bms=$(awk -v s="$b" 'BEGIN { printf "%.1f", s * 1000 }')
lms=$(awk -v s="$l" 'BEGIN { printf "%.1f", s * 1000 }')
v1=$(verdict "$bms" $((30 * N / 100)))
v2=$(verdict "$ewake" 0)
printf '\n%-44s %12s %12s %7s %s\n' metric berth LXC ratio target
printf '%-44s %9s ms %9s ms %7s %s\n' "ls --fancy, $N defined, half running (median)" \
        "$bms" "$lms" "$(ratio "$b" "$l")" "<= $((30 * N / 100)) ms: $v1"
printf '%-44s %12s %12s %7s %s\n' "event follower wakeups in $IDLE s idle" "$ewake" "$mwake" \
        - "0: $v2"
[ "$v1" = ok ] && [ "$v2" = ok ]
