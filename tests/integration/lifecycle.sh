#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole life of a busybox container: create, start, ls, info, attach, wait, stop, restart,
# destroy; and --store/--rundir versus BERTH_STORE/BERTH_RUNDIR.
. "$(dirname "$0")/lib.sh"

n=$(name demo)
dir=$BERTH_STORE/$n
root=$dir/rootfs

# ---- create ----
require "create $n -t busybox" create_busybox "$n"
check "store dir $dir exists" test -d "$dir"
check "config.yaml in the store dir" test -s "$dir/config.yaml"
check "rootfs has /bin/busybox" test -x "$root/bin/busybox"
check "rootfs has /sbin/init" test -e "$root/sbin/init"
check "rootfs has /etc/inittab" test -s "$root/etc/inittab"
check "rootfs has an executable /etc/init.d/rcS" test -x "$root/etc/init.d/rcS"
inittab=$(cat "$root/etc/inittab" 2>/dev/null)
check_match "inittab runs rcS at sysinit" '^::sysinit:/etc/init.d/rcS' "$inittab"
check_match "inittab has a getty on the console" '^console::respawn:.*getty' "$inittab"
check_match "inittab has a getty on tty1" '^tty1::respawn:.*getty.*tty1' "$inittab"
check_eq "a created container is STOPPED" STOPPED "$(state "$n")"
check_match "ls lists it" "^$n\$" "$(berth ls)"

# ---- start ----
t0=$(now_us)
require "start $n" berth start "$n"
ms=$(ms_since "$t0")
diag "start took $ms ms"
check_eq "state after start is RUNNING" RUNNING "$(state "$n")"
pid=$(init_pid "$n")
check "init pid '$pid' is alive" pid_alive "$pid"
check_match "init's command is busybox init" '^(/sbin/)?init' "$(cmdline_of "$pid")"

mon=$(monitor_pids "$n")
check_eq "exactly one monitor titled '[berth monitor] $n'" 1 "$(monitor_count "$n")"
mon=${mon%%$'\n'*}
if [ -n "$mon" ]; then
        check_ne "the monitor is in its own session" "$(ps -o sid= -p $$ | tr -d ' ')" \
                "$(ps -o sid= -p "$mon" | tr -d ' ')"
        check_match "the monitor is in the $n.monitor cgroup" "^/$BERTH_CGROUP/$n\.monitor\$" \
                "$(cg_of_pid pids "$mon")"
        check_ne "the monitor is not in the payload cgroup" "/$BERTH_CGROUP/$n" \
                "$(cg_of_pid memory "$mon")"
else
        skip "the monitor is in its own session" "no monitor"
        skip "the monitor is in the $n.monitor cgroup" "no monitor"
        skip "the monitor is not in the payload cgroup" "no monitor"
fi
check "the monitor socket exists" test -S "$BERTH_RUNDIR/$n/monitor.sock"

for c in pids memory freezer cpuacct; do
        check_match "init is in the payload cgroup ($c)" "^/$BERTH_CGROUP/$n(/.*)?\$" \
                "$(cg_of_pid "$c" "$pid")"
done
check_match "container=berth in init's environment" '^container=berth$' \
        "$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)"
# Nothing of the host test dir is open in init (no fd leaked into the container).
fds=$(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.* -> //p')
check_nomatch "init holds no fd on a host path of the test" "^$T" "$fds"

# ---- ls ----
check_match "ls lists it while running" "^$n\$" "$(berth ls)"
fancy=$(berth ls --fancy)
check_match "ls --fancy header" '^NAME +STATE +PID +CPU +MEMORY +PIDS +AUTOSTART *$' \
        "$(head -n 1 <<<"$fancy")"
check_match "ls --fancy row: name, RUNNING, pid" "^$n +RUNNING +$pid +[^ ]+ +[^ ]+ +[0-9]+/[^ ]+ +(YES|NO) *\$" \
        "$fancy"

# ---- info ----
info=$(berth info "$n")
check_match "info: Name" "^Name: $n\$" "$info"
check_match "info: State" '^State: RUNNING$' "$info"
check_match "info: PID" "^PID: $pid\$" "$info"
check_match "info: Since" '^Since: [0-9]{4}-[0-9]{2}-[0-9]{2}' "$info"
check_match "info: CPU use" '^CPU use: [0-9.]+ s$' "$info"
check_match "info: Memory use" '^Memory use: [0-9.]+ [KMGT]?i?B / ' "$info"
check_match "info: Pids" '^Pids: [1-9][0-9]* / ' "$info"
json=$(berth info "$n" --json)
check "info --json is valid JSON with the right fields" "$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["name"] == sys.argv[2], d
assert d["state"] == "RUNNING", d
assert d["pid"] == int(sys.argv[3]), d
assert isinstance(d["since_usec"], int) and d["since_usec"] > 0, d
assert d["pids_current"] >= 1, d
assert d["memory_current"] is None or d["memory_current"] > 0, d
for k in ("cpu_usec", "memory_limit", "pids_limit", "autostart", "ipv4"):
    assert k in d, k
' "$json" "$n" "$pid"
check "ls --json is a JSON array holding it" "$PYTHON" -c '
import json, sys
a = json.loads(sys.argv[1])
assert isinstance(a, list) and [d["name"] for d in a] == [sys.argv[2]], a
' "$(berth ls --json)" "$n"

# ---- attach ----
ps=$(berth attach "$n" -- ps)
check_match "attach -- ps shows init as PID 1" '^ *1 +[a-z0-9]+ .*init' "$ps"
check_nomatch "attach -- ps shows no host process (no berth monitor)" 'berth monitor' "$ps"
check_eq "hostname inside is the name" "$n" "$(berth attach "$n" -- hostname)"
for ns in pid mnt uts ipc net cgroup user; do
        inside=$(berth attach "$n" -- readlink "/proc/self/ns/$ns")
        outside=$(readlink "/proc/$pid/ns/$ns")
        check_eq "attach runs in init's $ns namespace" "$outside" "$inside"
done
for ns in pid mnt uts ipc net cgroup; do
        check_ne "init has its own $ns namespace" "$(readlink "/proc/$$/ns/$ns")" \
                "$(readlink "/proc/$pid/ns/$ns")"
done
check_exit "attach propagates the exit status (7)" 7 berth attach "$n" -- sh -c 'exit 7'
check_exit "attach propagates the exit status (0)" 0 berth attach "$n" -- true
check_fail "attach of a missing command fails" berth attach "$n" -- /no/such/cmd
check_eq "attach passes arguments verbatim" "a b|c" \
        "$(berth attach "$n" -- sh -c 'printf "%s|%s" "$1" "$2"' sh "a b" c)"

# A process started by attach: find it from the host and look at its cgroups.
berth attach "$n" -- sleep 4.321 &
bg=$!
IT_BG_PIDS+=("$bg")
ap=
for i in $(seq 60); do
        for p in $(cg_pids "$n"); do
                [ "$(cmdline_of "$p")" = "sleep 4.321" ] && ap=$p
        done
        [ -n "$ap" ] && break
        sleep 0.05
done
if [ -n "$ap" ]; then
        pass "an attached process is in the payload cgroup (pids)"
        for c in memory freezer cpuacct; do
                check_match "the attached process is in the payload cgroup ($c)" \
                        "^/$BERTH_CGROUP/$n(/.*)?\$" "$(cg_of_pid "$c" "$ap")"
        done
        check_eq "the attached process is in init's pid namespace" \
                "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$ap/ns/pid")"
        check_eq "the attached process has the container's root" \
                "$(stat -L -c %d:%i "/proc/$pid/root/")" "$(stat -L -c %d:%i "/proc/$ap/root/")"
        kill "$ap" 2>/dev/null
else
        fail "an attached process is in the payload cgroup (pids)"
        diag "  cgroup pids: $(cg_pids "$n" | tr '\n' ' ')"
fi
wait "$bg"

# ---- wait, stop ----
check_exit "wait RUNNING on a running container" 0 berth wait "$n" RUNNING --timeout 5
check_exit "wait running (lower case)" 0 berth wait "$n" running --timeout 5
t0=$(now_us)
check "stop $n" berth stop "$n"
ms=$(ms_since "$t0")
check_le "stop returns in < 2 s (took $ms ms)" "$ms" 1999
check_eq "state after stop is STOPPED" STOPPED "$(state "$n")"
check "init $pid is gone" pid_dead "$pid"
check "the monitor is gone" wait_until 3 no_monitor "$n"
check "the payload cgroup is removed" wait_until 3 cg_gone "$n"
check "the $n.monitor cgroup is removed" wait_until 3 cg_gone "$n.monitor"
check_exit "wait STOPPED --timeout 10" 0 berth wait "$n" STOPPED --timeout 10
t0=$(now_us)
check_exit "wait RUNNING --timeout 1 on a stopped container times out (1)" 1 \
        berth wait "$n" RUNNING --timeout 1
ms=$(ms_since "$t0")
check_between "the wait timeout is about 1 s (took $ms ms)" 900 "$ms" 3000
fancy=$(berth ls --fancy)
check_match "ls --fancy row when stopped: STOPPED and PID -" "^$n +STOPPED +- " "$fancy"

# ---- restart ----
require "start again" berth start "$n"
pid1=$(init_pid "$n")
check "restart" berth restart "$n"
pid2=$(init_pid "$n")
check_eq "state after restart is RUNNING" RUNNING "$(state "$n")"
check_ne "restart gives a new init pid" "$pid1" "$pid2"
check "the new init is alive" pid_alive "$pid2"
check "the old init is gone" pid_dead "$pid1"
check_eq "one monitor after restart" 1 "$(monitor_count "$n")"

# ---- destroy ----
check "stop before destroy" berth stop "$n"
check "destroy $n" berth destroy "$n"
check "destroy removes the store dir" test ! -e "$dir"
check_nomatch "ls no longer lists it" "^$n\$" "$(berth ls)"
check_fail "info of a destroyed container fails" berth info "$n"

# ---- stores: --store/--rundir and BERTH_STORE/BERTH_RUNDIR ----
s2=$T/store2
r2=$T/run2
register_store "$s2" "$r2"
m=$(name other)
check "create in another store with --store/--rundir" \
        berth --store "$s2" --rundir "$r2" create "$m" -t busybox
check "the container dir is in that store" test -d "$s2/$m"
check "nothing was created in the default store" test ! -e "$BERTH_STORE/$m"
check_nomatch "invisible under the default store" "^$m\$" "$(berth ls)"
check_match "visible with --store" "^$m\$" "$(berth --store "$s2" --rundir "$r2" ls)"
check_match "visible with BERTH_STORE" "^$m\$" "$(BERTH_STORE=$s2 BERTH_RUNDIR=$r2 berth ls)"
check_fail "info under the default store fails" berth info "$m"
check "start with BERTH_STORE/BERTH_RUNDIR" env BERTH_STORE="$s2" BERTH_RUNDIR="$r2" \
        "$BERTH_BIN" start "$m"
check "its monitor socket is in the other rundir" test -S "$r2/$m/monitor.sock"
check "nothing in the default rundir" test ! -e "$BERTH_RUNDIR/$m"
check_match "info with --store/--rundir sees it RUNNING" '^State: RUNNING$' \
        "$(berth --store "$s2" --rundir "$r2" info "$m")"
check "stop with --store/--rundir" berth --store "$s2" --rundir "$r2" stop "$m"
check "destroy with BERTH_STORE" env BERTH_STORE="$s2" BERTH_RUNDIR="$r2" "$BERTH_BIN" destroy "$m"
check "the other store's container dir is gone" test ! -e "$s2/$m"
