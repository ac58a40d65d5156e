#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-tui.sh: berth-tui's cost and responsiveness with many containers, next to
# systemd-cgtop watching the same containers' cgroups (root). Not part of make check; see
# tests/bench/README.md.
#
# Both dashboards run in a private tmux server at the default refresh (1 s), one after the other
# over the same running containers, for the same window:
#   CPU    utime+stime of the dashboard over the window, in percent of one core (target <= 2 %)
#   RSS    VmHWM, the peak resident set, at the end (target <= 8 MiB)
# and for berth-tui alone, on a pty whose output feeds a terminal emulator (tui-latency.py,
# python3-pyte), timed when the dashboard's output arrives, so neither a multiplexer's polling
# nor the emulator's own time is part of the number:
#   key    a key press ('>' / '<' changes the sort column in the header) until the output that
#          shows the change, median and max (target: within one frame, 16.7 ms at 60 Hz)
#   state  'berth freeze' / 'berth thaw' returning until the row shows FROZEN / RUNNING,
#          median and max (target <= 100 ms; 0 when it showed before the command returned),
#          and the same from the command's start for reference
#
# Environment:
#   BERTH_BIN, BERTH_MONITOR, BERTH_TEMPLATES_DIR, BERTH_TUI   from the build tree (default build/)
#   BENCH_CONTAINERS=100   containers created
#   BENCH_RUNNING=100      of them started
#   BENCH_WINDOW=30        seconds of the CPU window
#   BENCH_KEYS=20          key press samples
#   BENCH_STATES=10        freeze and thaw samples each
#   BENCH_NO_APT=1         do not apt-get install python3-pyte when it is missing
#
# Exit status: 0 every target met, 1 a target missed, 2 the benchmark itself failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
BERTH_TUI=${BERTH_TUI:-$srcdir/build/berth-tui}
export BERTH_MONITOR BERTH_TEMPLATES_DIR

CONTAINERS=${BENCH_CONTAINERS:-100}
RUNNING=${BENCH_RUNNING:-$CONTAINERS}
WINDOW=${BENCH_WINDOW:-30}
KEYS=${BENCH_KEYS:-20}
STATES=${BENCH_STATES:-10}

die() {
        printf 'bench-tui: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for v in CONTAINERS RUNNING WINDOW KEYS STATES; do
        case "${!v}" in
        '' | *[!0-9]*) die "invalid BENCH_$v '${!v}': expected a number" ;;
        esac
        [ "${!v}" -ge 1 ] && [ "${!v}" -le 1000 ] || die "invalid BENCH_$v '${!v}': expected 1..1000"
done
[ "$RUNNING" -le "$CONTAINERS" ] || die "BENCH_RUNNING ($RUNNING) exceeds BENCH_CONTAINERS"
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$BERTH_BIN" ] || die "berth binary '$BERTH_BIN' not found; build first or set BERTH_BIN"
[ -x "$BERTH_TUI" ] || die "berth-tui '$BERTH_TUI' not found (built only with ncurses)"
command -v tmux >/dev/null || die "tmux is not installed"
PYTHON=/usr/bin/python3
if ! "$PYTHON" -c 'import pyte' 2>/dev/null; then
        [ "${BENCH_NO_APT:-}" != 1 ] && command -v apt-get >/dev/null ||
                die "python3-pyte is not installed (apt-get install python3-pyte)"
        say "installing python3-pyte"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pyte >&2 ||
                die "apt-get install python3-pyte failed"
fi
have_cgtop=false
command -v systemd-cgtop >/dev/null && have_cgtop=true

# ---- private state and cleanup ---------------------------------------------------------------

tmp=$(mktemp -d /tmp/berth-bench-tui.XXXXXX)
chmod 700 "$tmp"
export BERTH_STORE=$tmp/store BERTH_RUNDIR=$tmp/run BERTH_CACHE=$tmp/cache
export BERTH_CGROUP=berth-bench-$$
mkdir -p "$BERTH_STORE" "$BERTH_RUNDIR"
sock=berth-bench-tui-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
names=()
dash_pids=()

preexisting_cgroups=()
for d in /sys/fs/cgroup/*/"$BERTH_CGROUP" /sys/fs/cgroup/"$BERTH_CGROUP"; do
        [ -d "$d" ] && preexisting_cgroups+=("$d")
done
was_preexisting() {
        local pre
        for pre in "${preexisting_cgroups[@]}"; do
                [ "$pre" = "$1" ] && return 0
        done
        return 1
}

cleanup() {
        local rc=$? n m
        trap - EXIT INT TERM HUP
        set +e
        [ -f "$tmp/dash-pids" ] && mapfile -t dash_pids <"$tmp/dash-pids"
        say "cleaning up"
        tm kill-server >/dev/null 2>&1
        # The dashboards end when their terminal goes; anything still there is ended by PID.
        for n in "${dash_pids[@]}"; do
                kill -KILL "$n" 2>/dev/null
        done
        for n in "${names[@]}"; do
                { timeout 60 "$BERTH_BIN" stop "$n" --kill >/dev/null 2>&1
                  "$BERTH_BIN" destroy "$n" --force >/dev/null 2>&1; } &
        done
        wait
        remove_cgroup_tree "$BERTH_CGROUP"
        while read -r m; do
                umount -l "$m" 2>/dev/null
        done < <(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r)
        rm -rf --one-file-system -- "$tmp"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- containers ------------------------------------------------------------------------------

say "creating $CONTAINERS busybox containers, starting $RUNNING"
for i in $(seq "$CONTAINERS"); do
        n=$(printf 'tb%03d' "$i")
        names+=("$n")
        berth create "$n" -t busybox >/dev/null 2>"$tmp/err" ||
                die "berth create '$n' failed: $(tail -n 1 "$tmp/err")"
done
for i in $(seq "$RUNNING"); do
        berth start "${names[i - 1]}" >/dev/null 2>"$tmp/err" ||
                die "berth start '${names[i - 1]}' failed: $(tail -n 1 "$tmp/err")"
done
say "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- one dashboard's CPU and RSS -------------------------------------------------------------

clk_tck=$(getconf CLK_TCK)

# measure SESSION COMMAND...: runs it in tmux, lets it settle, and prints "CPU% RSS-KiB PID".
measure() {
        local s=$1 pid t0 t1 c0 c1
        shift
        tm new-session -d -s "$s" -x 120 -y 40 "$*"
        sleep 3
        pid=$(pgrep -P "$(tm display -p -t "$s" "#{pane_pid}")" | head -n 1 || :)
        [ -n "$pid" ] || pid=$(tm display -p -t "$s" '#{pane_pid}')
        [ -r "/proc/$pid/stat" ] || die "$s: the dashboard did not start"
        echo "$pid" >>"$tmp/dash-pids"
        c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
        t0=$(now)
        sleep "$WINDOW"
        c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
        t1=$(now)
        local rss
        rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
        awk -v c="$((c1 - c0))" -v hz="$clk_tck" -v ns="$((t1 - t0))" -v rss="$rss" -v pid="$pid" \
                'BEGIN { printf "%.2f %d %d\n", 100 * (c / hz) / (ns / 1e9), rss, pid }'
}

say "berth-tui: ${WINDOW}s at the default refresh"
read -r tui_cpu tui_rss tui_pid < <(measure tui \
        "env TERM=screen-256color BERTH_STORE=$BERTH_STORE BERTH_RUNDIR=$BERTH_RUNDIR BERTH_CGROUP=$BERTH_CGROUP $BERTH_TUI")
tm capture-pane -p -t tui >"$tmp/screen.txt"

cg_cpu='' cg_rss=''
if $have_cgtop; then
        say "systemd-cgtop over the same cgroups: ${WINDOW}s at its default refresh"
        read -r cg_cpu cg_rss _ < <(measure cgtop "env TERM=screen-256color systemd-cgtop -d 1 /$BERTH_CGROUP")
        tm kill-session -t cgtop
fi

# ---- responsiveness of berth-tui --------------------------------------------------------------

victim=${names[0]}
say "latency on a pty with a terminal emulator: $KEYS key presses, $STATES freezes and thaws of $victim"
BERTH_STORE=$BERTH_STORE BERTH_RUNDIR=$BERTH_RUNDIR BERTH_CGROUP=$BERTH_CGROUP \
        "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/tui-latency.py" "$BERTH_TUI" "$BERTH_BIN" "$victim" \
        "$KEYS" "$STATES" "$tmp" || die "the latency measurement failed"

# ---- report ----------------------------------------------------------------------------------

ms() { awk -v s="$1" 'BEGIN { if (s == "") print "-"; else printf "%.1f", s * 1000 }'; }
key_med=$(stat_of tui key median) key_max=$(stat_of tui key max)
st_med=$(stat_of tui state median) st_max=$(stat_of tui state max)
cli_med=$(stat_of tui cli median) cli_max=$(stat_of tui cli max)
tui_mib=$(awk -v k="$tui_rss" 'BEGIN { printf "%.2f", k / 1024 }')
cg_mib=$([ -n "$cg_rss" ] && awk -v k="$cg_rss" 'BEGIN { printf "%.2f", k / 1024 }' || :)

printf '\nberth-tui with %d containers (%d running), refresh 1 s, %d s window\n\n' \
        "$CONTAINERS" "$RUNNING" "$WINDOW"
printf '%-30s %12s %14s %8s %10s %8s\n' metric berth-tui systemd-cgtop ratio target verdict
row() { # metric berth peer target-value target-text
        printf '%-30s %12s %14s %8s %10s %8s\n' "$1" "$2" "${3:--}" "$(ratio "$2" "$3")" "$5" \
                "$(verdict "$2" "$4")"
}
row "CPU, % of one core" "$tui_cpu" "$cg_cpu" 2 "<= 2"
row "RSS peak, MiB" "$tui_mib" "$cg_mib" 8 "<= 8"
row "key to screen, median ms" "$(ms "$key_med")" "" 16.7 "<= 16.7"
row "key to screen, max ms" "$(ms "$key_max")" "" 16.7 "<= 16.7"
row "CLI change to screen, med ms" "$(ms "$st_med")" "" 100 "<= 100"
row "CLI change to screen, max ms" "$(ms "$st_max")" "" 100 "<= 100"
row "  from the CLI's start, med ms" "$(ms "$cli_med")" "" "" ""
row "  from the CLI's start, max ms" "$(ms "$cli_max")" "" "" ""
printf '\nThe screen after the window (tmux capture-pane, 120x40):\n\n'
cat "$tmp/screen.txt"

for v in "$tui_cpu:2" "$tui_mib:8" "$(ms "$key_max"):16.7" "$(ms "$st_max"):100"; do
        [ "$(verdict "${v%%:*}" "${v##*:}")" = ok ] || exit 1
done
exit 0
