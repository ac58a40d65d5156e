#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth autostart: the order (autostart.order, then name; groups), the delays and the reverse
# stop, measured from the timestamps of the events the monitors announce (berth events --json);
# and berth.service's command lines (a real systemd runs the unit in autostart-systemd.sh).
. "$(dirname "$0")/lib.sh"

a=$(name a) b=$(name b) c=$(name c) d=$(name d) e=$(name e)
# b (order 10, delay 1.5 s), a (order 20, no delay), c (order 30, group late), d not enabled.
mk() { # NAME ORDER DELAY [GROUP]
        local n=$1 group=
        [ -n "${4:-}" ] && group=", group: $4"
        printf 'autostart: {enabled: true, order: %s, delay: %s%s}\ninit: {stop_timeout: 3}\n' \
                "$2" "$3" "$group" >"$T/$n.yaml"
        create_busybox "$n" --config "$T/$n.yaml"
}
require "create $a (order 20)" mk "$a" 20 0
require "create $b (order 10, delay 1.5)" mk "$b" 10 1.5
require "create $c (order 30, group late)" mk "$c" 30 0 late
require "create $d (autostart off)" create_busybox "$d"

# Only our containers: the store is this test's own.
check "autostart --list" berth autostart --list
check_eq "the list, in start order" "$b 10 1.500 -
$a 20 0.000 -
$c 30 0.000 late" "$(cat "$IT_OUT")"
check "autostart --list --group late" berth autostart --list --group late
check_eq "a group alone" "$c 30 0.000 late" "$(cat "$IT_OUT")"
check "autostart --list -g late," berth autostart --list -g late,
check_eq "groups in the order given: late, then the containers without one" "$c 30 0.000 late
$b 10 1.500 -
$a 20 0.000 -" "$(cat "$IT_OUT")"
check "autostart --list --all" berth autostart --list --all
check_match "--all includes the container without autostart" "^$d 0 0.000 -$" "$(cat "$IT_OUT")"

# events_of FILE NAME STATE: the time_usec of NAME's first event of STATE in FILE.
event_time() {
        "$PYTHON" - "$1" "$2" "$3" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["name"] == sys.argv[2] and e["event"] == "state" and e["state"] == sys.argv[3]:
        print(e["time_usec"]); break
EOF
}
# watch FILE: berth events --json of our containers into FILE, in the background.
watch() {
        "$BERTH_BIN" events --json "$a" "$b" "$c" "$d" >"$1" 2>/dev/null 3>&- &
        IT_BG_PIDS+=("$!")
        evpid=$!
        sleep 0.3 # subscribed before anything happens
}
unwatch() { kill "$evpid" 2>/dev/null; wait "$evpid" 2>/dev/null; }

# ---- start: order and delays ----
watch "$T/start.events"
t0=$(now_us)
check "autostart" berth autostart
ms=$(ms_since "$t0")
out=$(cat "$IT_OUT")
check_eq "started in order, one line each" "started $b
started $a
started $c" "$out"
wait_until 5 state_is "$c" RUNNING
sleep 0.3
unwatch
tb=$(event_time "$T/start.events" "$b" RUNNING)
ta=$(event_time "$T/start.events" "$a" RUNNING)
tc=$(event_time "$T/start.events" "$c" RUNNING)
diag "RUNNING at: $b $tb, $a $ta, $c $tc (autostart took $ms ms)"
check "RUNNING events for all three" test -n "$tb" -a -n "$ta" -a -n "$tc"
check_le "$b (order 10) runs before $a (order 20)" "${tb:-1}" "${ta:-0}"
check_le "$a (order 20) runs before $c (order 30)" "${ta:-1}" "${tc:-0}"
check_le "$b's delay of 1.5 s passed before $a started (gap $(((${ta:-0} - ${tb:-0}) / 1000)) ms)" \
        1500000 $((${ta:-0} - ${tb:-0}))
check_le "no delay after $a, which has none (gap $(((${tc:-0} - ${ta:-0}) / 1000)) ms < 1000)" \
        $((${tc:-0} - ${ta:-0})) 1000000
check_eq "$d (autostart off) stays stopped" STOPPED "$(state "$d")"

check "autostart again" berth autostart
check_eq "nothing to do: all running" "$b: already running
$a: already running
$c: already running" "$(cat "$IT_OUT")"

# ---- stop: reverse order ----
watch "$T/stop.events"
check "autostart --stop" berth autostart --stop
check_eq "stopped in reverse order" "stopped $c
stopped $a
stopped $b" "$(cat "$IT_OUT")"
sleep 0.3
unwatch
sc=$(event_time "$T/stop.events" "$c" STOPPED)
sa=$(event_time "$T/stop.events" "$a" STOPPED)
sb=$(event_time "$T/stop.events" "$b" STOPPED)
diag "STOPPED at: $c $sc, $a $sa, $b $sb"
check_le "$c stopped before $a" "${sc:-1}" "${sa:-0}"
check_le "$a stopped before $b" "${sa:-1}" "${sb:-0}"
for n in "$a" "$b" "$c"; do
        check_eq "$n stopped" STOPPED "$(state "$n")"
done

# ---- groups, kill ----
check "autostart --group late" berth autostart --group late
check_eq "only the group's container" "started $c" "$(cat "$IT_OUT")"
check_eq "$a untouched" STOPPED "$(state "$a")"
check "autostart --kill --group late" berth autostart --kill --group late
check_eq "killed" "killed $c" "$(cat "$IT_OUT")"
check_eq "$c stopped" STOPPED "$(state "$c")"

# ---- a failure does not stop the others ----
printf 'autostart: {enabled: true, order: 15}\ninit: {cmd: [/sbin/no-such-init]}\n' >"$T/e.yaml"
require "create $e, whose init does not exist" create_busybox "$e" --config "$T/e.yaml"
check_exit "autostart with one broken container exits 1" 1 berth autostart --group ''
out=$(cat "$IT_OUT")
check_match "the failure is reported naming it" "^berth: start '$e'" "$out"
check_match "and the summary" "autostart: 1 of 3 containers failed" "$out"
check_eq "$a was started after the failure" RUNNING "$(state "$a")"
check_eq "$b too" RUNNING "$(state "$b")"
check "stop them" berth autostart --stop -t 5
check "destroy $e" berth destroy "$e"

# ---- bad input ----
check_error "an invalid group" 2 berth autostart --group 'no spaces'
check_error "--stop with --list" 2 berth autostart --stop --list
check_error "--timeout without --stop" 2 berth autostart --timeout 5
check_error "a bad timeout" 2 berth autostart --stop --timeout soon
check_error "a stray argument" 2 berth autostart "$a"

# ---- berth.service ----
unit=$BERTH_BUILDDIR/config/systemd/berth.service
check "berth.service is built" test -f "$unit"
exec_line() { sed -n "s/^$1=//p" "$unit"; }
start_cmd=$(exec_line ExecStart)
stop_cmd=$(exec_line ExecStop)
check_match "ExecStart runs berth autostart (failures ignored, so ExecStop runs)" '^-/.*/berth autostart$' "$start_cmd"
check_match "ExecStop runs berth autostart --stop" '^/.*/berth autostart --stop$' "$stop_cmd"
check_match "oneshot that stays active" '^RemainAfterExit=yes$' "$(cat "$unit")"
if command -v systemd-analyze >/dev/null; then
        # The installed path of berth is not there in a build tree: verify a copy that points at
        # the built one.
        bindir=$(dirname "${stop_cmd%% *}")
        sed "s|$bindir/berth|$BERTH_BIN|" "$unit" >"$T/berth.service"
        check "systemd-analyze verify accepts the unit" systemd-analyze verify --man=no "$T/berth.service"
else
        skip "systemd-analyze verify accepts the unit" "no systemd-analyze on this host"
fi
# PID 1 is not systemd here: a real systemd runs the unit in a Debian guest in
# autostart-systemd.sh. Here its own command lines run directly, as systemd would run them.
run_unit_cmd() { # COMMAND-LINE from the unit, "-" prefix dropped, berth -> the built one
        local cmd=${1#-}
        read -r -a words <<<"$cmd"
        timeout -k 5 "$IT_CMD_TIMEOUT" "$BERTH_BIN" "${words[@]:1}" 3>&-
}
check "the unit's ExecStart, run directly" run_unit_cmd "$start_cmd"
check_eq "it started the autostart containers" "RUNNING RUNNING RUNNING STOPPED" \
        "$(state "$a") $(state "$b") $(state "$c") $(state "$d")"
check "the unit's ExecStop, run directly" run_unit_cmd "$stop_cmd"
check_eq "it stopped them" "STOPPED STOPPED STOPPED" "$(state "$a") $(state "$b") $(state "$c")"
