#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-dbus.sh: berthd (org.berth.Berth1) on a private system bus, next to its peers in the
# same run: systemd-machined (org.freedesktop.machine1, the container registry of systemd) for
# the service's own cost, and libberth's direct event stream (`berth events`) for the latency a
# bus client adds. Not part of make check; see tests/bench/README.md.
#
#   ListContainers with N defined containers (dbus-client, one connection): median, p95, max
#       machined's ListMachines on the same bus with the same client, for scale
#   a CLI state change (berth freeze/thaw) -> PropertiesChanged at a subscribed client, measured
#       from the moment the CLI returned; the same change at `berth events` next to it
#   berthd's RSS and CPU when idle (10 s), machined's next to it
#
# Environment:
#   BERTH_BIN, BERTH_MONITOR, BERTH_TEMPLATES_DIR, BERTHD, DBUS_CLIENT (default: build/)
#   BENCH_CONTAINERS=100   containers defined for ListContainers
#   BENCH_CALLS=200        ListContainers calls
#   BENCH_CHANGES=20       freeze/thaw pairs for the latency
#   BENCH_IDLE=10          seconds of idleness measured
#
# Exit status: 0 every target met, 1 a target missed, 2 the benchmark itself failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
BERTH_SRCDIR=$srcdir
BERTH_BUILDDIR=${BERTH_BUILDDIR:-$(dirname "$BERTH_BIN")}
export BERTH_MONITOR BERTH_TEMPLATES_DIR BERTH_SRCDIR BERTH_BUILDDIR

N=${BENCH_CONTAINERS:-100}
CALLS=${BENCH_CALLS:-200}
CHANGES=${BENCH_CHANGES:-20}
IDLE=${BENCH_IDLE:-10}

die() {
        printf 'bench-dbus: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for v in N CALLS CHANGES IDLE; do
        case "${!v}" in
        '' | *[!0-9]*) die "invalid $v '${!v}': expected a positive number" ;;
        esac
        [ "${!v}" -ge 1 ] && [ "${!v}" -le 10000 ] || die "invalid $v '${!v}': expected 1..10000"
done
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$BERTH_BIN" ] || die "no berth at $BERTH_BIN (build first)"
[ -x "$BERTH_BUILDDIR/berthd" ] || die "no berthd at $BERTH_BUILDDIR/berthd (configure found no libsystemd?)"
[ -x "$BERTH_BUILDDIR/dbus-client" ] || die "no dbus-client (run: make -C $BERTH_BUILDDIR dbus-client)"
for tool in dbus-daemon jq; do
        command -v "$tool" >/dev/null || die "$tool not installed"
done

T=$(mktemp -d /tmp/berth-bench-dbus.XXXXXX)
chmod 755 "$T"
tmp=$T
export BERTH_STORE=$T/store BERTH_RUNDIR=$T/run BERTH_CGROUP=berth-bench-$$
mkdir -p "$BERTH_STORE" "$BERTH_RUNDIR"
IT_BG_PIDS=()
. "$srcdir/tests/integration/dbus-lib.sh"

was_preexisting() { return 1; }
cleanup() {
        local p n
        trap - EXIT INT TERM
        for p in "${IT_BG_PIDS[@]}"; do
                kill -9 "$p" 2>/dev/null || :
        done
        for n in $(ls -A "$BERTH_STORE" 2>/dev/null); do
                [ -d "$BERTH_STORE/$n" ] || continue
                berth stop "$n" --kill >/dev/null 2>&1 || :
                berth destroy "$n" --force >/dev/null 2>&1 || :
        done
        remove_cgroup_tree "$BERTH_CGROUP"
        rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# q FILE median|p95|max: a quantile of the numbers in FILE (one per line).
q() {
        sort -n "$1" | awk -v what="$2" '
                { v[NR] = $1 }
                END {
                        if (NR == 0) exit
                        if (what == "max") i = NR
                        else if (what == "p95") i = int(NR * 0.95 + 0.999)
                        else i = int((NR + 1) / 2)
                        print v[i]
                }'
}
ms() { awk -v u="$1" 'BEGIN { if (u == "") print "-"; else printf "%.2f", u / 1000 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

say "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
dbus_bus_start || die "dbus-daemon did not start: $(cat "$DB_DIR/dbus-daemon.log")"
berthd_start || die "berthd did not start: $(tail -n 3 "$DB_DIR/berthd.log")"
have_machined=0
if machined_start; then
        have_machined=1
else
        say "systemd-machined cannot run here: no peer column"
fi

say "creating $N busybox containers"
t0=$(now)
berth create bench-0 -t busybox >/dev/null 2>&1 || die "berth create failed"
for i in $(seq 1 $((N - 1))); do
        berth create "bench-$i" -t busybox >/dev/null 2>&1 || die "berth create bench-$i failed"
done
say "created in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
listed=$(dbc call /org/berth/Berth1 org.berth.Berth1.Manager ListContainers | jq '.[0] | length')
[ "$listed" = "$N" ] || die "ListContainers lists $listed containers, expected $N"

say "ListContainers x $CALLS"
dbc bench-call "$CALLS" /org/berth/Berth1 org.berth.Berth1.Manager ListContainers >"$T/list"
if [ $have_machined = 1 ]; then
        dbc --dest org.freedesktop.machine1 bench-call "$CALLS" /org/freedesktop/machine1 \
                org.freedesktop.machine1.Manager ListMachines >"$T/machines"
fi

say "CLI state changes -> PropertiesChanged x $CHANGES"
berth start bench-0 >/dev/null
path=/org/berth/Berth1/container/bench_2d0
"$DBUS_CLIENT" watch >"$T/signals" 2>/dev/null &
IT_BG_PIDS+=($!)
"$BERTH_BIN" events --json bench-0 >"$T/events" 2>/dev/null &
IT_BG_PIDS+=($!)
for i in $(seq 50); do grep -q READY "$T/signals" && break; sleep 0.05; done
sleep 0.3
: >"$T/lat-bus"
: >"$T/lat-lib"
for i in $(seq "$CHANGES"); do
        for verb in freeze thaw; do
                want=FROZEN
                [ $verb = thaw ] && want=RUNNING
                sm=$(wc -l <"$T/signals")
                em=$(wc -l <"$T/events")
                berth $verb bench-0 >/dev/null
                back=$(($(now) / 1000))
                for k in $(seq 200); do
                        tail -n +$((sm + 1)) "$T/signals" | grep -q "PropertiesChanged $path .*\"State\":\"$want\"" &&
                                tail -n +$((em + 1)) "$T/events" | grep -q "\"state\": \"$want\"" && break
                        sleep 0.01
                done
                got=$(tail -n +$((sm + 1)) "$T/signals" | grep "PropertiesChanged $path .*\"State\":\"$want\"" |
                        head -n 1 | cut -d' ' -f1)
                lib=$(tail -n +$((em + 1)) "$T/events" | grep "\"state\": \"$want\"" | head -n 1 |
                        jq -r .received_usec)
                [ -n "$got" ] || die "no PropertiesChanged State $want after berth $verb"
                # Arriving before the CLI returned counts as no delay.
                echo $((got > back ? got - back : 0)) >>"$T/lat-bus"
                [ -n "$lib" ] && echo $((lib > back ? lib - back : 0)) >>"$T/lat-lib"
        done
done

say "idle for $IDLE s"
bpid=$BERTHD_PID
sleep 1
b0=$(ticks "$bpid")
[ $have_machined = 1 ] && m0=$(ticks "$MACHINED_PID")
sleep "$IDLE"
b1=$(ticks "$bpid")
[ $have_machined = 1 ] && m1=$(ticks "$MACHINED_PID")
hz=$(getconf CLK_TCK)
cpu() { awk -v t="$1" -v hz="$hz" -v s="$IDLE" 'BEGIN { printf "%.2f", 100 * t / hz / s }'; }
brss=$(rss_kib "$bpid")
bcpu=$(cpu $((b1 - b0)))
mrss=- mcpu=- mlist=-
if [ $have_machined = 1 ]; then
        mrss=$(rss_kib "$MACHINED_PID")
        mcpu=$(cpu $((m1 - m0)))
        mlist=$(ms "$(q "$T/machines" median)")
fi

lmed=$(ms "$(q "$T/list" median)")
lp95=$(ms "$(q "$T/list" p95)")
lmax=$(ms "$(q "$T/list" max)")
bmed=$(ms "$(q "$T/lat-bus" median)")
bmax=$(ms "$(q "$T/lat-bus" max)")
emed=$(ms "$(q "$T/lat-lib" median)")
emax=$(ms "$(q "$T/lat-lib" max)")

printf '\n%-52s %-16s %-20s %-8s %-10s %s\n' metric berthd peer ratio target verdict
printf '%-52s %-16s %-20s %-8s %-10s %s\n' \
        "ListContainers, $N containers, median (ms)" "$lmed" "ListMachines $mlist" \
        "$(ratio "$lmed" "${mlist/-/}")" "<= 20" "$(verdict "$lmed" 20)" \
        "ListContainers, p95 / max (ms)" "$lp95 / $lmax" "-" "-" "-" "-" \
        "CLI change -> bus client, median (ms)" "$bmed" "berth events $emed" \
        "$(ratio "$bmed" "$emed")" "<= 50" "$(verdict "$bmed" 50)" \
        "CLI change -> bus client, max (ms)" "$bmax" "berth events $emax" \
        "$(ratio "$bmax" "$emax")" "<= 50" "$(verdict "$bmax" 50)" \
        "idle RSS (KiB)" "$brss" "machined $mrss" "$(ratio "$brss" "${mrss/-/}")" "<= 4096" \
        "$(verdict "$brss" 4096)" \
        "idle CPU over $IDLE s (%)" "$bcpu" "machined $mcpu" "-" "0" "$(verdict "$bcpu" 0)"

missed=0
for v in "$(verdict "$lmed" 20)" "$(verdict "$bmed" 50)" \
        "$(verdict "$bmax" 50)" "$(verdict "$brss" 4096)" "$(verdict "$bcpu" 0)"; do
        [ "$v" = ok ] || missed=1
done
exit $missed
