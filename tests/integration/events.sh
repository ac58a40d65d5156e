#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library's live event source through `berth events`: a container driven by other
# processes (the CLI) is seen defined, starting, running, ready, freezing, frozen, running,
# stopping, stopped and removed, in order, each within 50 ms of the command that caused it;
# a monitor killed with SIGKILL is reported orphaned and its takeover adopted; a name filter
# keeps other containers out; an idle source does not wake up; SIGINT ends it cleanly.
. "$(dirname "$0")/lib.sh"

n=$(name ev)
other=$(name evo)
all="$T/events-all.json"
one="$T/events-one.json"

# Two followers: every container, and only $n (by name).
"$BERTH_BIN" events --json >"$all" 2>"$T/events-all.err" &
follower=$!
IT_BG_PIDS+=("$follower")
"$BERTH_BIN" events --json "$n" >"$one" 2>"$T/events-one.err" &
follower_one=$!
IT_BG_PIDS+=("$follower_one")
sleep 0.3
check "the follower runs" pid_alive "$follower"

# Each step: run the command, then note when it returned.
marks="$T/marks"
: >"$marks"
step() { # label cmd...
        local label=$1
        shift
        "$@" >"$IT_OUT" 2>&1
        local rc=$?
        echo "$label $(now_us)" >>"$marks"
        return $rc
}
require "create $n" step create create_busybox "$n"
require "start $n" step start berth start "$n"
check "freeze $n" step freeze berth freeze "$n"
check "thaw $n" step thaw berth thaw "$n"
check "stop $n" step stop berth stop "$n"
check "create $other" create_busybox "$other"
check "destroy $n" step destroy berth destroy "$n"
sleep 0.3

# The expected sequence, and which command each event belongs to (its latency is measured
# from that command's return; an event may arrive before the command returns).
check "events arrive in order, each within 50 ms of its command" "$PYTHON" - "$all" "$marks" \
        "$n" <<'EOF'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
marks = dict(l.split() for l in open(sys.argv[2]))
name = sys.argv[3]
mine = [(e["event"], e["state"], e["received_usec"]) for e in events if e["name"] == name]
want = [("defined", "STOPPED", "create"), ("state", "STARTING", "start"),
        ("state", "RUNNING", "start"), ("ready", "RUNNING", "start"),
        ("state", "FREEZING", "freeze"), ("state", "FROZEN", "freeze"),
        ("state", "RUNNING", "thaw"), ("state", "STOPPING", "stop"),
        ("state", "STOPPED", "stop"), ("removed", "STOPPED", "destroy")]
got = [(e, s) for e, s, _ in mine]
if got != [(e, s) for e, s, _ in want]:
    sys.exit("got %s" % got)
for (e, s, t), (_, _, cmd) in zip(mine, want):
    late = (t - int(marks[cmd])) / 1000
    if late > 50:
        sys.exit("%s %s arrived %.1f ms after '%s' returned" % (e, s, late, cmd))
    print("%s %s: %+.1f ms" % (e, s, late), file=sys.stderr)
EOF
diag_file "$IT_OUT"

check "the filtered follower saw $n's events" grep -q "\"name\": \"$n\"" "$one"
check_eq "and none of $other's" 0 "$(grep -c "\"name\": \"$other\"" "$one")"
check "the unfiltered follower saw $other defined" \
        grep -q "\"name\": \"$other\", \"event\": \"defined\"" "$all"

# ---- a monitor lost and taken back over ----
require "start $other" berth start "$other"
pid=$(init_pid "$other")
mon=$(monitor_pids "$other")
mon=${mon%%$'\n'*}
: >"$all.mark"
t0=$(now_us)
kill -9 "$mon"
orphaned_seen() { grep -q "\"name\": \"$other\", \"event\": \"orphaned\"" "$all"; }
check "the lost monitor is reported (orphaned)" wait_until 2 orphaned_seen
got=$(grep "\"name\": \"$other\", \"event\": \"orphaned\"" "$all" | head -n 1 |
        sed -n 's/.*"received_usec": \([0-9]*\).*/\1/p')
ms=$(((got - t0) / 1000))
check_le "promptly after the kill, pushed by the socket, not polled (took $ms ms)" "$ms" 500
check "init still runs" pid_alive "$pid"
check "freeze takes the orphan over" berth freeze "$other"
adopted_seen() { grep -q "\"name\": \"$other\", \"event\": \"adopted\"" "$all"; }
check "the takeover is reported (adopted)" wait_until 2 adopted_seen
check "and the freeze after it" grep -q "\"name\": \"$other\", \"event\": \"state\", \"state\": \"FROZEN\"" "$all"
check "stop" berth stop "$other"

# ---- idle: no wakeups ----
ctxt() { awk '/^voluntary_ctxt_switches|^nonvoluntary_ctxt_switches/ {s += $2} END {print s}' "/proc/$1/status"; }
sleep 0.5 # the stopped monitor's last steps are not idle time
c0=$(ctxt "$follower")
sleep 2
c1=$(ctxt "$follower")
check_eq "an idle follower does not wake up (context switches over 2 s)" "$c0" "$c1"

# ---- SIGINT ----
kill -INT "$follower"
wait "$follower"
rc=$?
check_eq "SIGINT ends berth events with status 0" 0 "$rc"
check "its output is whole JSON lines" "$PYTHON" -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)' "$all"
kill -INT "$follower_one"
wait "$follower_one"

# ---- bad input ----
check_error "an invalid name is a usage error" 2 berth events 'Bad Name'
check_error "an unknown option is a usage error" 2 berth events --bogus

