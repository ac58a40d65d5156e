#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-busybox.sh: berth against LXC on the same busybox container, in one run (root).
# Not part of make check; see tests/bench/README.md.
#
# Everything it creates lives in a private temporary directory (berth store, rundir and cache;
# LXC's lxcpath) and a cgroup parent named after its pid, and is removed on exit, also on
# failure or Ctrl-C. It never touches containers it did not create.
#
# Environment:
#   BERTH_BIN, BERTH_MONITOR, BERTH_TEMPLATES_DIR   berth from the build tree (default build/)
#   BENCH_ONLY=berth|lxc      run one side only (default: both)
#   BENCH_RUNS=10             start/stop samples per side
#   BENCH_FREEZE_RUNS=30      freeze/thaw samples per side
#   BENCH_ATTACH_RUNS=30      attach samples per side
#   BENCH_PARALLEL=30         containers started concurrently
#   BENCH_SETTLE=0.5          seconds a fresh container gets to boot before it is stopped
#   BENCH_BERTH_CREATE_ARGS   extra arguments for "berth create" (word-split)
#   BENCH_NO_APT=1            do not apt-get install lxc when it is missing
#
# Exit status: 0 every berth target met, 1 a target missed, 2 the benchmark itself failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
export BERTH_MONITOR BERTH_TEMPLATES_DIR

ONLY=${BENCH_ONLY:-both}
RUNS=${BENCH_RUNS:-10}
FREEZE_RUNS=${BENCH_FREEZE_RUNS:-30}
ATTACH_RUNS=${BENCH_ATTACH_RUNS:-30}
PARALLEL=${BENCH_PARALLEL:-30}
SETTLE=${BENCH_SETTLE:-0.5}
read -r -a BERTH_CREATE_ARGS <<<"${BENCH_BERTH_CREATE_ARGS:-}"

die() {
        printf 'bench-busybox: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


case "$ONLY" in
both | berth | lxc) ;;
*) die "invalid BENCH_ONLY '$ONLY': expected both, berth or lxc" ;;
esac
for v in RUNS FREEZE_RUNS ATTACH_RUNS PARALLEL; do
        case "${!v}" in
        '' | *[!0-9]*) die "invalid BENCH_$v '${!v}': expected a positive number" ;;
        esac
        if [ "${!v}" -lt 1 ] || [ "${!v}" -gt 1000 ]; then
                die "invalid BENCH_$v '${!v}': expected 1..1000"
        fi
done

[ "$(id -u)" -eq 0 ] || die "run as root: both managers need it"

do_berth=false
do_lxc=false
[ "$ONLY" = lxc ] || do_berth=true
[ "$ONLY" = berth ] || do_lxc=true

if $do_berth; then
        [ -x "$BERTH_BIN" ] || die "berth binary '$BERTH_BIN' not found; build first or set BERTH_BIN"
        [ -x "$BERTH_MONITOR" ] || die "berth monitor '$BERTH_MONITOR' not found; set BERTH_MONITOR"
        [ -x "$BERTH_TEMPLATES_DIR/berth-busybox" ] ||
                die "template '$BERTH_TEMPLATES_DIR/berth-busybox' not found; set BERTH_TEMPLATES_DIR"
fi
if $do_lxc && ! command -v lxc-create >/dev/null 2>&1; then
        if [ "${BENCH_NO_APT:-}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
                die "lxc is not installed (apt-get install lxc)"
        fi
        say "installing lxc"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q lxc >&2 ||
                die "apt-get install lxc failed"
fi
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] ||
        die "busybox not found (apt-get install busybox-static)"

# ---- private state and cleanup ---------------------------------------------------------------

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
chmod 700 "$tmp"
LXCPATH=$tmp/lxc
mkdir -p "$LXCPATH" "$tmp/berth"
export BERTH_STORE=$tmp/berth/store
export BERTH_RUNDIR=$tmp/berth/run
export BERTH_CACHE=$tmp/berth/cache
export BERTH_CGROUP=berth-bench-$$
berth_names=()
lxc_names=()

# cgroup directories that exist before the run are not ours to remove. LXC leaves an empty
# "lxc.pivot" cgroup behind on v1 hierarchies when it stops a container.
preexisting_cgroups=()
for d in /sys/fs/cgroup/*/"$BERTH_CGROUP" /sys/fs/cgroup/"$BERTH_CGROUP" \
         /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/lxc.pivot; do
        if [ -d "$d" ]; then
                preexisting_cgroups+=("$d")
        fi
done

was_preexisting() { # dir
        local pre
        for pre in "${preexisting_cgroups[@]}"; do
                [ "$pre" = "$1" ] && return 0
        done
        return 1
}


lxc_stop_destroy() { # name
        if lxc-info -P "$LXCPATH" -n "$1" >/dev/null 2>&1; then
                timeout 30 lxc-stop -P "$LXCPATH" -n "$1" -k >/dev/null 2>&1 || :
                lxc-destroy -P "$LXCPATH" -n "$1" -f >/dev/null 2>&1 || :
        fi
}

berth_stop_destroy() { # name
        # --kill (no halt signal) when the CLI has it; a plain stop otherwise.
        timeout 60 "$BERTH_BIN" stop --kill "$1" >/dev/null 2>&1 ||
                timeout 60 "$BERTH_BIN" stop "$1" >/dev/null 2>&1 || :
        "$BERTH_BIN" destroy --force "$1" >/dev/null 2>&1 ||
                "$BERTH_BIN" destroy "$1" >/dev/null 2>&1 || :
}

cleanup() {
        local rc=$? n m
        trap - EXIT INT TERM HUP
        set +e
        say "cleaning up"
        # In parallel: stopping a busybox init takes seconds, and there are dozens.
        for n in "${lxc_names[@]}"; do
                lxc_stop_destroy "$n" &
        done
        if $do_berth; then
                for n in "${berth_names[@]}"; do
                        berth_stop_destroy "$n" &
                done
        fi
        wait
        if $do_berth; then
                remove_cgroup_tree "$BERTH_CGROUP"
        fi
        if $do_lxc; then
                for m in /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/lxc.pivot; do
                        [ -d "$m" ] && ! was_preexisting "$m" && rmdir "$m" 2>/dev/null
                done
        fi
        # Nothing may still be mounted below the temporary directory before it goes.
        while read -r m; do
                umount -l "$m" 2>/dev/null
        done < <(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r)
        rm -rf --one-file-system -- "$tmp"
        # LXC keeps lock files for an lxcpath below /run/lxc/lock/<lxcpath>: ours goes too.
        rm -rf --one-file-system -- "/run/lxc/lock$tmp" 2>/dev/null
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- timing and statistics -------------------------------------------------------------------


# Samples are kept one per line in files named <side>-<metric> (nanoseconds).
sample() { # side metric t0 t1
        echo $(($4 - $3)) >>"$tmp/$1-$2"
}

# ---- berth side ------------------------------------------------------------------------------

berth_state() { # name -> lower-case state from "berth info"
        berth info "$1" 2>/dev/null |
                awk -F': *' 'tolower($1) ~ /^ *state$/ { print tolower($2); exit }'
}

berth_create() { # name
        berth_names+=("$1")
        berth create "$1" -t busybox "${BERTH_CREATE_ARGS[@]}" >/dev/null 2>"$tmp/err" ||
                die "berth create '$1' failed: $(tail -n 1 "$tmp/err")"
}

berth_timed() { # start|stop name: the verb's wall time becomes a sample of that metric
        local t0 t1
        t0=$(now)
        berth "$1" "$2" >/dev/null 2>"$tmp/err" ||
                die "berth $1 '$2' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        sample berth "$1" "$t0" "$t1"
}

berth_freeze_thaw_timed() { # name
        local t0 t1 t2
        t0=$(now)
        berth freeze "$1" >/dev/null 2>"$tmp/err" ||
                die "berth freeze '$1' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        berth thaw "$1" >/dev/null 2>"$tmp/err" ||
                die "berth thaw '$1' failed: $(tail -n 1 "$tmp/err")"
        t2=$(now)
        sample berth freeze "$t0" "$t1"
        sample berth thaw "$t1" "$t2"
}

# By the process title "[berth monitor] NAME"; failing that, a berth-monitor command line
# naming the container.
berth_monitor_rss() { # name -> KiB
        ps -eo rss=,args= | awk -v t="[berth monitor] $1" -v n="$1" '
                { rss = $1; sub(/^ *[0-9]+ +/, "") }
                index($0, t) == 1 && (length($0) == length(t) ||
                                      substr($0, length(t) + 1, 1) == " ") { print rss; exit }
                /berth-monitor/ { for (i = 2; i <= NF; i++) if ($i == n) fb = rss }
                END { if (fb != "") print fb }' | head -n 1
}

# `true` in the container with pipes for stdio (no terminal here, so neither side makes a pty):
# the cost of joining the container, running a command and collecting its status.
berth_attach_timed() { # name
        local t0 t1
        t0=$(now)
        berth attach "$1" -- true </dev/null >/dev/null 2>"$tmp/err" ||
                die "berth attach '$1' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        sample berth attach "$t0" "$t1"
}

# ---- LXC side --------------------------------------------------------------------------------

lxc_create() { # name
        lxc_names+=("$1")
        lxc-create -P "$LXCPATH" -n "$1" -t busybox -f "$tmp/lxc.conf" >/dev/null 2>"$tmp/err" ||
                die "lxc-create '$1' failed: $(tail -n 1 "$tmp/err")"
}

lxc_start_timed() { # name
        local t0 t1
        t0=$(now)
        lxc-start -P "$LXCPATH" -n "$1" -d 2>"$tmp/err" ||
                die "lxc-start '$1' failed: $(tail -n 1 "$tmp/err")"
        lxc-wait -P "$LXCPATH" -n "$1" -s RUNNING -t 30 ||
                die "lxc container '$1' did not reach RUNNING"
        t1=$(now)
        sample lxc start "$t0" "$t1"
}

lxc_stop_timed() { # name
        local t0 t1
        t0=$(now)
        lxc-stop -P "$LXCPATH" -n "$1" 2>"$tmp/err" ||
                die "lxc-stop '$1' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        sample lxc stop "$t0" "$t1"
}

lxc_freeze_thaw_timed() { # name
        local t0 t1 t2
        t0=$(now)
        lxc-freeze -P "$LXCPATH" -n "$1" 2>"$tmp/err" ||
                die "lxc-freeze '$1' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        lxc-unfreeze -P "$LXCPATH" -n "$1" 2>"$tmp/err" ||
                die "lxc-unfreeze '$1' failed: $(tail -n 1 "$tmp/err")"
        t2=$(now)
        sample lxc freeze "$t0" "$t1"
        sample lxc thaw "$t1" "$t2"
}

lxc_attach_timed() { # name
        local t0 t1
        t0=$(now)
        lxc-attach -P "$LXCPATH" -n "$1" -- true </dev/null >/dev/null 2>"$tmp/err" ||
                die "lxc-attach '$1' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        sample lxc attach "$t0" "$t1"
}

lxc_monitor_rss() { # name -> KiB
        ps -eo rss=,args= | awk -v t="[lxc monitor] $LXCPATH $1" '
                { rss = $1; sub(/^ *[0-9]+ +/, "") }
                $0 == t { print rss; exit }'
}

# The same kind of container as berth's: busybox, no network.
printf 'lxc.net.0.type = empty\n' >"$tmp/lxc.conf"

# ---- create ----------------------------------------------------------------------------------

B=bbench-$$
L=lbench-$$
say "creating 1 + $PARALLEL containers per side in $tmp"
if $do_berth; then
        berth_create "$B"
fi
if $do_lxc; then
        lxc_create "$L"
fi
for i in $(seq 1 "$PARALLEL"); do
        if $do_berth; then
                berth_create "$B-$i"
        fi
        if $do_lxc; then
                lxc_create "$L-$i"
        fi
done

# ---- start / stop, alternating ---------------------------------------------------------------

say "start/stop: $RUNS rounds"
for _ in $(seq 1 "$RUNS"); do
        if $do_berth; then
                berth_timed start "$B"
                sleep "$SETTLE"
                berth_timed stop "$B"
        fi
        if $do_lxc; then
                lxc_start_timed "$L"
                sleep "$SETTLE"
                lxc_stop_timed "$L"
        fi
done

# ---- freeze / thaw and monitor RSS -----------------------------------------------------------

say "freeze/thaw: $FREEZE_RUNS rounds"
berth_rss=
lxc_rss=
if $do_berth; then
        berth start "$B" >/dev/null 2>"$tmp/err" ||
                die "berth start '$B' failed: $(tail -n 1 "$tmp/err")"
fi
if $do_lxc; then
        lxc-start -P "$LXCPATH" -n "$L" -d 2>"$tmp/err" ||
                die "lxc-start '$L' failed: $(tail -n 1 "$tmp/err")"
        lxc-wait -P "$LXCPATH" -n "$L" -s RUNNING -t 30 || die "lxc container '$L' did not start"
fi
sleep "$SETTLE"
for _ in $(seq 1 "$FREEZE_RUNS"); do
        if $do_berth; then
                berth_freeze_thaw_timed "$B"
        fi
        if $do_lxc; then
                lxc_freeze_thaw_timed "$L"
        fi
done
say "attach: $ATTACH_RUNS rounds"
for _ in $(seq 1 "$ATTACH_RUNS"); do
        if $do_berth; then
                berth_attach_timed "$B"
        fi
        if $do_lxc; then
                lxc_attach_timed "$L"
        fi
done
# Measured after the freeze cycles: the monitors have done some work by now.
if $do_berth; then
        berth_rss=$(berth_monitor_rss "$B")
        [ -n "$berth_rss" ] || say "warning: no '[berth monitor] $B' process found"
        berth stop "$B" >/dev/null 2>&1 || die "berth stop '$B' failed"
fi
if $do_lxc; then
        lxc_rss=$(lxc_monitor_rss "$L")
        [ -n "$lxc_rss" ] || say "warning: no '[lxc monitor] $LXCPATH $L' process found"
        lxc-stop -P "$LXCPATH" -n "$L" 2>/dev/null || die "lxc-stop '$L' failed"
fi

# ---- concurrent start ------------------------------------------------------------------------

berth_par=
berth_par_ok=
lxc_par=
lxc_par_ok=

if $do_berth; then
        say "berth: starting $PARALLEL containers concurrently"
        pids=()
        t0=$(now)
        for i in $(seq 1 "$PARALLEL"); do
                berth start "$B-$i" >"$tmp/par-berth-$i.log" 2>&1 &
                pids+=($!)
        done
        fails=0
        for p in "${pids[@]}"; do
                wait "$p" || fails=$((fails + 1))
        done
        t1=$(now)
        ok=0
        for i in $(seq 1 "$PARALLEL"); do
                [ "$(berth_state "$B-$i")" = running ] && ok=$((ok + 1))
        done
        berth_par=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.6f", d / 1e9 }')
        berth_par_ok=$ok
        [ "$fails" -eq 0 ] || say "berth: $fails of $PARALLEL starts failed"
        for i in $(seq 1 "$PARALLEL"); do
                berth stop "$B-$i" >/dev/null 2>&1 &
        done
        wait
fi

if $do_lxc; then
        say "lxc: starting $PARALLEL containers concurrently"
        pids=()
        t0=$(now)
        for i in $(seq 1 "$PARALLEL"); do
                (lxc-start -P "$LXCPATH" -n "$L-$i" -d &&
                        lxc-wait -P "$LXCPATH" -n "$L-$i" -s RUNNING -t 60) \
                        >"$tmp/par-lxc-$i.log" 2>&1 &
                pids+=($!)
        done
        fails=0
        for p in "${pids[@]}"; do
                wait "$p" || fails=$((fails + 1))
        done
        t1=$(now)
        ok=0
        for i in $(seq 1 "$PARALLEL"); do
                [ "$(lxc-info -P "$LXCPATH" -n "$L-$i" -s -H 2>/dev/null)" = RUNNING ] &&
                        ok=$((ok + 1))
        done
        lxc_par=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.6f", d / 1e9 }')
        lxc_par_ok=$ok
        [ "$fails" -eq 0 ] || say "lxc: $fails of $PARALLEL starts failed"
        for i in $(seq 1 "$PARALLEL"); do
                lxc-stop -P "$LXCPATH" -n "$L-$i" -k >/dev/null 2>&1 &
        done
        wait
fi

# ---- report ----------------------------------------------------------------------------------

missed=0

# row METRIC BERTH LXC UNIT TARGET VERDICT; values in seconds are shown in ms.
row() {
        printf '%-22s %12s %12s %8s  %-24s %s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

fmt_ms() { # seconds -> "12.345 ms" | "-"
        if [ -z "$1" ]; then
                echo -
        else
                awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'
        fi
}



bs_start=$(stat_of berth start median)
ls_start=$(stat_of lxc start median)
bs_stop=$(stat_of berth stop median)
ls_stop=$(stat_of lxc stop median)
bf_med=$(stat_of berth freeze median)
lf_med=$(stat_of lxc freeze median)
bf_max=$(stat_of berth freeze max)
lf_max=$(stat_of lxc freeze max)
bt_med=$(stat_of berth thaw median)
lt_med=$(stat_of lxc thaw median)
bt_max=$(stat_of berth thaw max)
lt_max=$(stat_of lxc thaw max)

ba_med=$(stat_of berth attach median)
la_med=$(stat_of lxc attach median)

v_start=-
v_attach=-
if $do_berth && $do_lxc; then
        v_start=$(verdict "$bs_start" "$ls_start")
        v_attach=$(verdict "$ba_med" "$la_med")
fi
v_stop=$(verdict "$bs_stop" 0.2)
v_fmed=$(verdict "$bf_med" 0.010)
v_fmax=$(verdict "$bf_max" 0.999)
v_tmed=$(verdict "$bt_med" 0.010)
v_tmax=$(verdict "$bt_max" 0.999)
v_rss=$(verdict "$berth_rss" 2048)
v_par=-
if $do_berth; then
        if [ "$berth_par_ok" = "$PARALLEL" ]; then v_par=ok; else v_par=MISSED; fi
fi
for v in "$v_start" "$v_attach" "$v_stop" "$v_fmed" "$v_fmax" "$v_tmed" "$v_tmax" "$v_rss" "$v_par"; do
        [ "$v" = MISSED ] && missed=$((missed + 1))
done

echo
row metric berth lxc ratio target verdict
row "start (median $RUNS)" "$(fmt_ms "$bs_start")" "$(fmt_ms "$ls_start")" \
        "$(ratio "$bs_start" "$ls_start")" "<= lxc" "$v_start"
row "stop (median $RUNS)" "$(fmt_ms "$bs_stop")" "$(fmt_ms "$ls_stop")" \
        "$(ratio "$bs_stop" "$ls_stop")" "<= 200 ms" "$v_stop"
row "freeze median" "$(fmt_ms "$bf_med")" "$(fmt_ms "$lf_med")" \
        "$(ratio "$bf_med" "$lf_med")" "<= 10 ms" "$v_fmed"
row "freeze max ($FREEZE_RUNS)" "$(fmt_ms "$bf_max")" "$(fmt_ms "$lf_max")" \
        "$(ratio "$bf_max" "$lf_max")" "< 1 s" "$v_fmax"
row "thaw median" "$(fmt_ms "$bt_med")" "$(fmt_ms "$lt_med")" \
        "$(ratio "$bt_med" "$lt_med")" "<= 10 ms" "$v_tmed"
row "thaw max ($FREEZE_RUNS)" "$(fmt_ms "$bt_max")" "$(fmt_ms "$lt_max")" \
        "$(ratio "$bt_max" "$lt_max")" "< 1 s" "$v_tmax"
row "attach (median $ATTACH_RUNS)" "$(fmt_ms "$ba_med")" "$(fmt_ms "$la_med")" \
        "$(ratio "$ba_med" "$la_med")" "<= lxc" "$v_attach"
row "$PARALLEL concurrent: running" "${berth_par_ok:--}/$PARALLEL" "${lxc_par_ok:--}/$PARALLEL" \
        - "all running" "$v_par"
row "$PARALLEL concurrent: time" "$(fmt_ms "$berth_par")" "$(fmt_ms "$lxc_par")" \
        "$(ratio "$berth_par" "$lxc_par")" "-" -
row "monitor RSS" "${berth_rss:--} KiB" "${lxc_rss:--} KiB" "$(ratio "$berth_rss" "$lxc_rss")" \
        "<= 2048 KiB" "$v_rss"
echo

if [ "$missed" -gt 0 ]; then
        echo "berth missed $missed target(s)"
        exit 1
fi
echo "every measured berth target met"
