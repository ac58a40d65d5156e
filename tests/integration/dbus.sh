#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berthd on a private system bus (dbus-daemon with the shipped policy, activation file and
# polkit actions; polkitd and systemd-machined in mount namespaces of their own):
#   the interface against config/dbus/org.berth.Berth1.xml; bus activation; every method and
#   property; the lifecycle over the bus; PropertiesChanged for every state change the CLI
#   causes (the same states, in order, as libberth's own event stream) and ContainerNew/
#   ContainerRemoved for CLI creates and destroys; jobs (progress, done, errors) and a bus that
#   answers while they run; the authorization table from the XML's annotations, called as an
#   unprivileged user (no state change), a polkit-authorized user, and without polkit; the bus
#   policy; berthd killed and restarted under running containers; malformed calls; machined
#   registration; an idle berthd uses no CPU.
BERTH_IT_SCRIPT_TIMEOUT=${BERTH_IT_SCRIPT_TIMEOUT:-600}
. "$(dirname "$0")/lib.sh"

[ -x "$BERTH_BUILDDIR/berthd" ] || it_fail_early "berthd not built (configure found no libsystemd)"
[ -x "$BERTH_BUILDDIR/dbus-client" ] || it_fail_early "dbus-client not built"
for tool in dbus-daemon busctl jq setpriv unshare; do
        command -v "$tool" >/dev/null || it_fail_early "$tool not installed"
done
[ -x "$PYTHON" ] || it_fail_early "python3 not installed"
. "$BERTH_SRCDIR/tests/integration/dbus-lib.sh"

XML=$BERTH_SRCDIR/config/dbus/org.berth.Berth1.xml
IFACE_PY=$BERTH_SRCDIR/tests/integration/dbus-iface.py
M=/org/berth/Berth1
MI=org.berth.Berth1.Manager
CI=org.berth.Berth1.Container
JI=org.berth.Berth1.Job
PI=org.freedesktop.DBus.Properties
E=org.berth.Berth1.Error
NOBODY=nobody
SIGS=$T/signals

# The object of container NAME (names here start with a letter; "-" is escaped).
cpath() { echo "$M/container/${1//-/_2d}"; }
# call ARGS...: dbus-client call; the reply as JSON, or "ERROR name: message".
call() { dbc call "$@"; }
# jobcall ARGS...: dbus-client job; a failed job's result as "ERROR name: message" (as a call).
jobcall() {
        dbc job "$@" | sed -n 's/^RESULT \([^ ]*\) \(.*\)/ERROR \1: \2/p; /^ERROR /p'
}
# prop NAME PROPERTY: one property of a container, as jq prints it.
prop() { call "$(cpath "$1")" $PI Get ss $CI "$2" | jq -r '.[0]'; }
# check_bus_error DESC NAME CMD...: CMD prints "ERROR NAME: ..." (and exits 1).
check_bus_error() {
        local desc=$1 want=$2 out
        shift 2
        out=$("$@" 2>&1)
        if [[ $out == "ERROR $want: "* ]]; then
                pass "$desc"
                return 0
        fi
        fail "$desc"
        diag "  expected ERROR $want, got: $(head -c 400 <<<"$out")"
        return 1
}
# The signal log: lines "<µs> <member> <path> <JSON args>".
sig_mark() { wc -l <"$SIGS"; }
sig_since() { tail -n +$(($1 + 1)) "$SIGS"; }
# states_since MARK PATH: the State values of PropertiesChanged for PATH since MARK, in order.
states_since() {
        sig_since "$1" | awk -v p="$2" '$2 == "PropertiesChanged" && $3 == p' | cut -d' ' -f4- |
                jq -r '.[1].State // empty' | tr '\n' ' ' | sed 's/ $//'
}
# The state changes libberth's own event stream (berth events) reported since a line mark.
ev_mark() { wc -l <"$T/events"; }
ev_states_since() {
        tail -n +$(($1 + 1)) "$T/events" | awk -v n="$2" '$2 == n && $3 == "state" { print $4 }' |
                tr '\n' ' ' | sed 's/ $//'
}
has_signal() { sig_since "$1" | grep -Eq -- "$2"; }
list_json() { call $M $MI ListContainers; }
store_listing() { ls -A "$BERTH_STORE" | sort | tr '\n' ' '; }

# ---- the bus, bus activation of berthd ----------------------------------------------------------
require "dbus-daemon runs with the shipped policy" dbus_bus_start
"$DBUS_CLIENT" watch >"$SIGS" 2>"$T/watch.err" 3>&- &
IT_BG_PIDS+=($!)
check "the signal watcher is subscribed" wait_until 5 grep -q '^READY$' "$SIGS"
"$BERTH_BIN" events >"$T/events" 2>&1 3>&- &
IT_BG_PIDS+=($!)

out=$(call $M $MI ListContainers)
check_eq "a call before berthd runs activates it (shipped activation file): empty list" \
        "[[]]" "$out"
apid=$(berthd_bus_pid)
check_eq "the activated owner of org.berth.Berth1 is the build's berthd" "$BERTHD" \
        "$(tr '\0' ' ' <"/proc/$apid/cmdline" 2>/dev/null | cut -d' ' -f1)"
check "the activated berthd stops on SIGTERM" berthd_stop
require "berthd runs on the private bus" berthd_start

# ---- the interface is the shipped XML ----------------------------------------------------------
busctl introspect --xml-interface org.berth.Berth1 $M >"$T/manager.xml" 2>&1
check "Manager: live introspection is the shipped XML" "$PYTHON" "$IFACE_PY" compare "$XML" \
        "$T/manager.xml" $MI
check_match "the Manager object has the ObjectManager interface" \
        'interface name="org.freedesktop.DBus.ObjectManager"' "$(cat "$T/manager.xml")"
methods=$("$PYTHON" "$IFACE_PY" methods "$XML")
check "every method in the XML carries an authorization annotation" test $? = 0

# ---- lifecycle over the bus ---------------------------------------------------------------------
w=$(name web)
wp=$(cpath "$w")
mark=$(sig_mark)
out=$(dbc job $M $MI CreateContainer sssas "$w" "limits: {memory: 256M, pids: 100}" busybox 0)
check_match "CreateContainer: a job object at once" "^JOB $M/job/[0-9]+\$" "$out"
check_match "CreateContainer: the job ends 'done'" '^RESULT done *$' "$out"
check_match "CreateContainer: the job reported the template's progress (ProgressText)" \
        '^PROGRESS \["org.berth.Berth1.Job",\{"Progress":[-0-9.e]+,"ProgressText":"[^"]+' "$out"
job=$(sed -n 's/^JOB //p' <<<"$out")
check "JobNew(id, $job) was signalled" has_signal "$mark" " JobNew $M \\[[0-9]+,\"$job\"\\]"
check "JobRemoved(id, $job, '$w', 'done', '') was signalled" has_signal "$mark" \
        " JobRemoved $M \\[[0-9]+,\"$job\",\"$w\",\"done\",\"\"\\]"
check "ContainerNew('$w', $wp) was signalled" wait_until 5 has_signal "$mark" \
        " ContainerNew $M \\[\"$w\",\"$wp\"\\]"
check_eq "exactly once (the event and berthd's own refresh both told)" 1 \
        "$(sig_since "$mark" | grep -c " ContainerNew $M \\[\"$w\"")"
check "InterfacesAdded for $wp (ObjectManager)" has_signal "$mark" " InterfacesAdded $M \\[\"$wp\""
check_eq "the job object is gone after JobRemoved" "ERROR" \
        "$(call "$job" $PI Get ss $JI Id | cut -d' ' -f1)"
check_eq "the CLI sees the container" STOPPED "$(state "$w")"
check_eq "GetContainer('$w') is $wp" "[\"$wp\"]" "$(call $M $MI GetContainer s "$w")"
check_match "ListContainers lists it STOPPED with its object" "\\[\"$w\",\"STOPPED\",\"$wp\"\\]" \
        "$(list_json)"
check_match "introspecting $M/container lists its node" "<node name=\"${wp##*/}\"/>" \
        "$(busctl introspect --xml-interface org.berth.Berth1 $M/container 2>&1)"
busctl introspect --xml-interface org.berth.Berth1 "$wp" >"$T/container.xml" 2>&1
check "Container: live introspection is the shipped XML" "$PYTHON" "$IFACE_PY" compare "$XML" \
        "$T/container.xml" $CI
objs=$(busctl --json=short call org.berth.Berth1 $M org.freedesktop.DBus.ObjectManager \
        GetManagedObjects 2>&1)
check_eq "GetManagedObjects has the container with its properties" "$w" \
        "$(jq -r --arg p "$wp" '.data[0][$p]["org.berth.Berth1.Container"].Name.data' <<<"$objs")"

check_eq "Start (Manager) replies when the container runs" "[]" "$(call $M $MI Start s "$w")"
check_eq "the CLI agrees: RUNNING" RUNNING "$(state "$w")"
pid=$(init_pid "$w")
all=$(call "$wp" $PI GetAll s $CI)
g() { jq -r ".[0].$1" <<<"$all"; }
check_eq "property Name" "$w" "$(g Name)"
check_eq "property State" RUNNING "$(g State)"
check_eq "property InitPID is the CLI's PID" "$pid" "$(g InitPID)"
check_between "property Since is a recent CLOCK_REALTIME µs" $(($(now_us) - 600000000)) "$(g Since)" "$(now_us)"
check_match "property Ready is a boolean" '^(true|false)$' "$(g Ready)"
check_between "property CPUUsageNSec is known and positive" 1 "$(g CPUUsageNSec)" 100000000000
check_between "property MemoryCurrent is known (bytes)" 4096 "$(g MemoryCurrent)" 268435456
check_eq "property MemoryMax is the configured 256M" 268435456 "$(g MemoryMax)"
check_between "property PIDsCurrent counts the container's processes" 1 "$(g PIDsCurrent)" 100
check_eq "property PIDsMax is the configured 100" 100 "$(g PIDsMax)"
check_eq "property Addresses: none on an empty network" "[]" "$(jq -c '.[0].Addresses' <<<"$all")"
check_eq "property Autostart" false "$(g Autostart)"
check_eq "property Backend" dir "$(g Backend)"
check_match "property Snapshots is a list" '^\[' "$(jq -c '.[0].Snapshots' <<<"$all")"
check_eq "Get of one property (State)" RUNNING "$(prop "$w" State)"

check_bus_error "Start again: AlreadyRunning" $E.AlreadyRunning call "$wp" $CI Start
check_eq "Freeze (object) replies when frozen" "[]" "$(call "$wp" $CI Freeze)"
check_eq "State FROZEN" FROZEN "$(prop "$w" State)"
check_eq "the CLI agrees: FROZEN" FROZEN "$(state "$w")"
check_eq "Thaw (object)" "[]" "$(call "$wp" $CI Thaw)"
check_eq "State RUNNING after Thaw" RUNNING "$(prop "$w" State)"
check_eq "Freeze (Manager)" "[]" "$(call $M $MI Freeze s "$w")"
check_eq "Thaw (Manager)" "[]" "$(call $M $MI Thaw s "$w")"
check_eq "State RUNNING after the Manager's Thaw" RUNNING "$(state "$w")"
check "ConsoleLog (object) has the console's output" wait_until 10 sh -c \
        '"$0" call "$1" org.berth.Berth1.Container ConsoleLog | grep -q "system ready"' \
        "$DBUS_CLIENT" "$wp"
check_match "ConsoleLog (Manager) likewise" 'system ready' "$(call $M $MI ConsoleLog s "$w")"
out=$(dbc job "$wp" $CI Restart)
check_match "Restart (object): a job that ends 'done'" '^RESULT done *$' "$out"
pid2=$(init_pid "$w")
check_ne "Restart: a new init" "$pid" "$pid2"
check_eq "Restart: InitPID follows" "$pid2" "$(prop "$w" InitPID)"
out=$(dbc job $M $MI Restart s "$w")
check_match "Restart (Manager): a job that ends 'done'" '^RESULT done *$' "$out"
out=$(dbc job "$wp" $CI Stop u 0)
check_match "Stop (object, the container's own timeout): a job that ends 'done'" '^RESULT done *$' "$out"
check_eq "State STOPPED" STOPPED "$(prop "$w" State)"
check_eq "InitPID 0 when stopped" 0 "$(prop "$w" InitPID)"
check_bus_error "Stop of a stopped container: the job's error is NotRunning" $E.NotRunning \
        jobcall "$wp" $CI Stop u 5
check_bus_error "Freeze of a stopped container: NotRunning" $E.NotRunning call "$wp" $CI Freeze
check_eq "Start (object)" "[]" "$(call "$wp" $CI Start)"
check_eq "Kill (object) replies when it is gone" "[]" "$(call "$wp" $CI Kill)"
check_eq "State STOPPED after Kill" STOPPED "$(state "$w")"
check_eq "Start (Manager) again" "[]" "$(call $M $MI Start s "$w")"
check_eq "Kill (Manager)" "[]" "$(call $M $MI Kill s "$w")"
check_eq "Start once more" "[]" "$(call $M $MI Start s "$w")"
out=$(dbc job $M $MI Stop su "$w" 10)
check_match "Stop (Manager, 10 s)" '^RESULT done *$' "$out"
check_bus_error "GetContainer of a missing container: NoSuchContainer" $E.NoSuchContainer \
        call $M $MI GetContainer s "$(name missing)"
check_bus_error "Start of a missing container: NoSuchContainer" $E.NoSuchContainer \
        call $M $MI Start s "$(name missing)"
check_bus_error "a method on a missing container's object: UnknownObject" \
        org.freedesktop.DBus.Error.UnknownObject call "$(cpath "$(name missing)")" $CI Start

# ---- snapshots and clones -----------------------------------------------------------------------
snaps=$(call $M $MI ListSnapshots s "$w")
if [[ $snaps == "ERROR $E.NotSupported: "* ]]; then
        for t in "ListSnapshots (Manager, object)" "Snapshot job done" "Snapshot job error" \
                "RestoreSnapshot" "DeleteSnapshot" "Clone job done" "Clone job error" \
                "Snapshots property lists them"; do
                skip "$t" "libberth has no snapshots yet: ${snaps#ERROR }"
        done
else
        check_eq "ListSnapshots (Manager): none yet" "[[]]" "$snaps"
        check_eq "ListSnapshots (object): none yet" "[[]]" "$(call "$wp" $CI ListSnapshots)"
        out=$(dbc job $M $MI Snapshot sss "$w" s1 "first one")
        check_match "Snapshot (Manager): a job that ends 'done'" '^RESULT done *$' "$out"
        out=$(dbc job "$wp" $CI Snapshot ss "" "")
        check_match "Snapshot (object, next free name): done" '^RESULT done *$' "$out"
        snaps=$(call $M $MI ListSnapshots s "$w")
        check_eq "ListSnapshots: two, oldest first, with the comment" 's1 first one' \
                "$(jq -r '.[0][0] | "\(.[0]) \(.[3])"' <<<"$snaps")"
        check_eq "the Snapshots property lists both" 2 "$(call "$wp" $PI Get ss $CI Snapshots | jq '.[0] | length')"
        out=$(dbc job $M $MI Snapshot sss "$w" s1 "")
        check_match "Snapshot of an existing name: the job's error is AlreadyExists" \
                "^RESULT $E.AlreadyExists " "$out"
        out=$(dbc job "$wp" $CI RestoreSnapshot s s1)
        check_match "RestoreSnapshot (object): done" '^RESULT done *$' "$out"
        out=$(dbc job $M $MI RestoreSnapshot ss "$w" nosuch)
        check_match "RestoreSnapshot of a missing snapshot: NoSuchSnapshot" "^RESULT $E.NoSuchSnapshot " "$out"
        c=$(name clone)
        out=$(dbc job $M $MI Clone sss "$w" "$c" s1)
        check_match "Clone (Manager, from a snapshot): done" '^RESULT done *$' "$out"
        check_eq "the clone exists" STOPPED "$(state "$c")"
        out=$(dbc job "$wp" $CI Clone ss "$c" "")
        check_match "Clone onto an existing name: the job's error is AlreadyExists" \
                "^RESULT $E.AlreadyExists " "$out"
        check_eq "Destroy the clone" "[]" "$(call $M $MI Destroy sb "$c" false)"
        check_eq "DeleteSnapshot (Manager)" "[]" "$(call $M $MI DeleteSnapshot ss "$w" s1)"
        check_bus_error "DeleteSnapshot of a missing one: NoSuchSnapshot" $E.NoSuchSnapshot \
                call "$wp" $CI DeleteSnapshot s s1
        snap2=$(call $M $MI ListSnapshots s "$w" | jq -r '.[0][0][0]')
        check_eq "DeleteSnapshot (object)" "[]" "$(call "$wp" $CI DeleteSnapshot s "$snap2")"
fi
check_bus_error "Snapshot of a missing container: NoSuchContainer" $E.NoSuchContainer \
        jobcall $M $MI Snapshot sss "$(name missing)" "" ""

# ---- jobs: errors, progress, and a bus that answers while they run -----------------------------
out=$(dbc job $M $MI CreateContainer sssas "$(name bad)" "limits: {memory: lots}" busybox 0)
check_match "CreateContainer with invalid YAML: the job's error is InvalidConfig with line:col" \
        "^RESULT $E.InvalidConfig create '$(name bad)': config.yaml:1:[0-9]+: .*memory" "$out"
check_eq "and no container was made" "" "$(state "$(name bad)")"
out=$(dbc job $M $MI CreateContainer sssas "$w" "" busybox 0)
check_match "CreateContainer of an existing name: AlreadyExists" "^RESULT $E.AlreadyExists " "$out"
out=$(dbc job $M $MI CreateContainer sssas "$(name nt)" "" nosuchtemplate 0)
check_match "CreateContainer with an unknown template: a named error" "^RESULT $E\\.[A-Za-z]+ .*nosuchtemplate" "$out"
check_eq "and no container was made" "" "$(state "$(name nt)")"

a1=$(name app1)
cat >"$T/compose.yaml" <<EOF
containers:
  - {name: $a1, template: {name: busybox}, limits: {pids: 64}}
start: [$a1]
EOF
out=$(dbc job $M $MI Apply s "@$T/compose.yaml")
check_match "Apply: a job that ends 'done'" '^RESULT done *$' "$out"
check_eq "Apply created and started its container" RUNNING "$(state "$a1")"
out=$(dbc job $M $MI Apply s "@$T/compose.yaml")
check_match "Apply twice: done, nothing changed" '^RESULT done *$' "$out"
printf 'containers:\n  - {name: %s, template: {name: busybox}, bogus: 1}\n' "$(name app2)" >"$T/bad.yaml"
out=$(dbc job $M $MI Apply s "@$T/bad.yaml")
check_match "Apply of an invalid composition: InvalidConfig naming the key" \
        "^RESULT $E.InvalidConfig .*composition.yaml:[0-9]+:[0-9]+:.*bogus" "$out"
check_eq "and nothing was created" "" "$(state "$(name app2)")"
check_eq "Kill $a1" "[]" "$(call $M $MI Kill s "$a1")"

s=$(name stubborn)
printf 'init:\n  cmd: [/bin/sh, -c, "trap %s USR1 USR2 TERM PWR INT HUP; while :; do sleep 1; done"]\n' "''" >"$T/stubborn.yaml"
require "create $s (an init that ignores its halt signal)" \
        create_busybox "$s" --config "$T/stubborn.yaml"
check_eq "start $s" "[]" "$(call $M $MI Start s "$s")"
dbc job $M $MI Stop su "$s" 3 >"$T/slowstop" 2>&1 &
slow=$!
check "a Stop job with a 3 s timeout is running" wait_until 5 grep -q '^JOB ' "$T/slowstop"
sjob=$(sed -n 's/^JOB //p' "$T/slowstop")
t0=$(now_us)
out=$(list_json)
ms=$(ms_since "$t0")
check_le "meanwhile ListContainers answers at once (${ms} ms)" "$ms" 500
check_match "and shows $s STOPPING" "\\[\"$s\",\"STOPPING\"" "$out"
jall=$(call "$sjob" $PI GetAll s $JI)
check_eq "the job's properties: Type, Container" "stop $s" "$(jq -r '.[0] | "\(.Type) \(.Container)"' <<<"$jall")"
check_match "the job's properties: Id, Progress, ProgressText" '^[0-9]+ -?[0-9.e+-]+ ' \
        "$(jq -r '.[0] | "\(.Id) \(.Progress) \(.ProgressText)"' <<<"$jall")"
busctl introspect --xml-interface org.berth.Berth1 "$sjob" >"$T/job.xml" 2>&1
check "Job: live introspection is the shipped XML" "$PYTHON" "$IFACE_PY" compare "$XML" "$T/job.xml" $JI
check_match "introspecting $M/job lists the running job" "<node name=\"${sjob##*/}\"/>" \
        "$(busctl introspect --xml-interface org.berth.Berth1 $M/job 2>&1)"
wait "$slow"
check_match "the Stop job ends 'done' once the timeout killed init" '^RESULT done *$' "$(cat "$T/slowstop")"
check_eq "$s is STOPPED" STOPPED "$(state "$s")"

# ---- PropertiesChanged and ContainerNew/Removed for what the CLI does ---------------------------
c=$(name cli)
cp_=$(cpath "$c")
mark=$(sig_mark)
require "berth create $c" create_busybox "$c"
check "ContainerNew('$c') for the CLI's create" wait_until 5 has_signal "$mark" \
        " ContainerNew $M \\[\"$c\",\"$cp_\"\\]"
# lib_reached MARK STATE, bus_reached MARK STATE: the last state since MARK is STATE.
lib_reached() { [ "$(ev_states_since "$1" "$c" | awk '{ print $NF }')" = "$2" ]; }
bus_reached() { [ "$(states_since "$1" "$cp_" | awk '{ print $NF }')" = "$2" ]; }
# cli_states DESC LAST VERB ARGS...: a CLI command; the bus must show the very state changes
# libberth's event stream reported for it, in order.
cli_states() {
        local desc=$1 want_last=$2 sm em bus lib
        shift 2
        sm=$(sig_mark)
        em=$(ev_mark)
        berth "$@" "$c" >/dev/null 2>&1
        wait_until 5 lib_reached "$em" "$want_last"
        wait_until 5 bus_reached "$sm" "$want_last"
        lib=$(ev_states_since "$em" "$c")
        bus=$(states_since "$sm" "$cp_")
        if [ -n "$lib" ] && [ "$lib" = "$bus" ] && [ "${bus##* }" = "$want_last" ]; then
                pass "$desc: PropertiesChanged State $bus"
        else
                fail "$desc: PropertiesChanged for every state change"
                diag "  libberth's events: '$lib'; on the bus: '$bus'"
        fi
}
cli_states "berth start" RUNNING start
pc=$(awk -v p="$cp_" '$2 == "PropertiesChanged" && $3 == p' "$SIGS" | grep '"State":"RUNNING"' |
        tail -n 1 | cut -d' ' -f4-)
check_eq "the RUNNING PropertiesChanged carries InitPID (the CLI's) and Since" \
        "$(init_pid "$c") true" "$(jq -r '"\(.[1].InitPID) \(.[1].Since > 0)"' <<<"$pc")"
cli_states "berth freeze" FROZEN freeze
cli_states "berth thaw" RUNNING thaw
cli_states "berth restart" RUNNING restart
cli_states "berth stop" STOPPED stop
cli_states "berth start (again)" RUNNING start
cli_states "berth stop --kill" STOPPED stop --kill
mark=$(sig_mark)
check "berth destroy $c" berth destroy "$c"
check "ContainerRemoved('$c') for the CLI's destroy" wait_until 5 has_signal "$mark" \
        " ContainerRemoved $M \\[\"$c\",\"$cp_\"\\]"
check "InterfacesRemoved for its object" has_signal "$mark" " InterfacesRemoved $M \\[\"$cp_\""
check_bus_error "its object is gone" org.freedesktop.DBus.Error.UnknownObject \
        call "$cp_" $PI Get ss $CI State

# ---- authorization: every state-changing method, from the XML's annotations ---------------------
tgt=$(name tgt)
tp=$(cpath "$tgt")
require "create $tgt" create_busybox "$tgt"
require "start $tgt" berth start "$tgt"
tpid=$(init_pid "$tgt")
# Arguments per method (as for dbus-client), valid ones: the call is refused for who calls,
# never for what it asks. A method of the XML that is missing here fails the test.
declare -A AUTH_ARGS=(
        [Manager.CreateContainer]="sssas $(name authnew) '' busybox 0"
        [Manager.Apply]="s @$T/compose-auth.yaml"
        [Manager.Start]="s $tgt"
        [Manager.Stop]="su $tgt 0"
        [Manager.Kill]="s $tgt"
        [Manager.Restart]="s $tgt"
        [Manager.Freeze]="s $tgt"
        [Manager.Thaw]="s $tgt"
        [Manager.Destroy]="sb $tgt true"
        [Manager.Snapshot]="sss $tgt authsnap ''"
        [Manager.RestoreSnapshot]="ss $tgt authsnap"
        [Manager.DeleteSnapshot]="ss $tgt authsnap"
        [Manager.Clone]="sss $tgt $(name authclone) ''"
        [Manager.ConsoleLog]="s $tgt"
        [Container.Start]=""
        [Container.Stop]="u 0"
        [Container.Kill]=""
        [Container.Restart]=""
        [Container.Freeze]=""
        [Container.Thaw]=""
        [Container.Destroy]="b true"
        [Container.Snapshot]="ss authsnap ''"
        [Container.RestoreSnapshot]="s authsnap"
        [Container.DeleteSnapshot]="s authsnap"
        [Container.Clone]="ss $(name authclone) ''"
        [Container.ConsoleLog]=""
)
printf 'containers:\n  - {name: %s, template: {name: busybox}}\n' "$(name authapp)" >"$T/compose-auth.yaml"
chmod 644 "$T/compose-auth.yaml"
# auth_call USER [--interactive] KEY: calls method KEY (Iface.Member) as USER.
auth_call() {
        local user=$1 flag=() key
        shift
        [ "$1" = --interactive ] && flag=(--interactive) && shift
        key=$1
        local iface=org.berth.Berth1.${key%%.*} member=${key#*.} path=$M
        [ "${key%%.*}" = Container ] && path=$tp
        eval "set -- ${AUTH_ARGS[$key]}"
        dbc_as "$user" "${flag[@]}" call "$path" "$iface" "$member" "$@"
}
snapshot_state() { call $M $MI ListSnapshots s "$tgt" | head -c 300; }
before_list=$(store_listing)
before_snaps=$(snapshot_state)
have_polkit=0
if polkit_start; then
        have_polkit=1
else
        diag "polkitd cannot run here: $(tail -n 3 "$DB_DIR/polkitd.log" 2>/dev/null)"
fi
n_changing=0
missing=
while read -r iface member action sig; do
        key=${iface##*.}.$member
        if [ "$action" = none ]; then
                path=$M
                [ "${iface##*.}" = Container ] && path=$tp
                args=()
                [ "$sig" = s ] && args=(s "$tgt")
                out=$(dbc_as $NOBODY call "$path" "$iface" "$member" "${args[@]}")
                check_nomatch "$key is open to an unprivileged caller" \
                        '^ERROR org.freedesktop.DBus.Error.(AccessDenied|InteractiveAuthorizationRequired)' "$out"
                continue
        fi
        n_changing=$((n_changing + 1))
        if [ -z "${AUTH_ARGS[$key]+x}" ]; then
                missing="$missing $key"
                continue
        fi
        table_sig=${AUTH_ARGS[$key]%% *}
        [ -z "${AUTH_ARGS[$key]}" ] && table_sig=-
        check_eq "$key: the table's signature is the XML's" "$sig" "$table_sig"
        if [ $have_polkit = 1 ]; then
                check_bus_error "$key as $NOBODY (interactive allowed): AccessDenied" \
                        org.freedesktop.DBus.Error.AccessDenied auth_call $NOBODY --interactive "$key"
                check_match "  the message names the polkit action $action" "\\($action\\)\$" \
                        "$(auth_call $NOBODY --interactive "$key")"
                check_bus_error "$key as $NOBODY (no interaction): InteractiveAuthorizationRequired" \
                        org.freedesktop.DBus.Error.InteractiveAuthorizationRequired auth_call $NOBODY "$key"
        else
                check_bus_error "$key as $NOBODY: AccessDenied" \
                        org.freedesktop.DBus.Error.AccessDenied auth_call $NOBODY "$key"
        fi
done <<<"$methods"
check_eq "every state-changing method of the XML is in the authorization table" "" "$missing"
check_eq "the table has no method the XML does not have" "${#AUTH_ARGS[@]}" "$n_changing"
check_eq "after all that: $tgt still RUNNING" RUNNING "$(state "$tgt")"
check_eq "with the same init" "$tpid" "$(init_pid "$tgt")"
check_eq "no container made or removed" "$before_list" "$(store_listing)"
check_eq "no snapshot made or removed" "$before_snaps" "$(snapshot_state)"

if [ $have_polkit = 1 ]; then
        pu=$POLKIT_ALLOWED_USER
        check_eq "as $pu (allowed by a polkit rule): Freeze" "[]" "$(dbc_as "$pu" call $M $MI Freeze s "$tgt")"
        check_eq "  $tgt FROZEN" FROZEN "$(state "$tgt")"
        check_eq "as $pu: Thaw (object)" "[]" "$(dbc_as "$pu" call "$tp" $CI Thaw)"
        check_match "as $pu: ConsoleLog" 'system ready' "$(dbc_as "$pu" call "$tp" $CI ConsoleLog)"
        out=$(dbc_as "$pu" job $M $MI CreateContainer sssas "$(name byrule)" "" busybox 0)
        check_match "as $pu: CreateContainer job done" '^RESULT done *$' "$out"
        check_eq "as $pu: Destroy" "[]" "$(dbc_as "$pu" call $M $MI Destroy sb "$(name byrule)" false)"
        out=$(dbc_as "$pu" job $M $MI Snapshot sss "$tgt" "" "")
        check_nomatch "as $pu: Snapshot passes authorization" 'AccessDenied|InteractiveAuthorizationRequired' "$out"
        polkit_stop
else
        for t in Freeze Thaw ConsoleLog CreateContainer Destroy Snapshot; do
                skip "as a polkit-authorized user: $t" "polkitd cannot run here"
        done
fi
check_bus_error "without polkit on the bus: AccessDenied for $NOBODY" \
        org.freedesktop.DBus.Error.AccessDenied dbc_as $NOBODY call $M $MI Freeze s "$tgt"
check_match "  saying polkit is not running" 'polkit is not running on the bus' \
        "$(dbc_as $NOBODY call $M $MI Freeze s "$tgt")"
check_eq "root needs no polkit" "[]" "$(call $M $MI Freeze s "$tgt")"
check_eq "thaw" "[]" "$(call $M $MI Thaw s "$tgt")"
check_bus_error "bus policy: $NOBODY may not own org.berth.Berth1" \
        org.freedesktop.DBus.Error.AccessDenied dbc_as $NOBODY --dest org.freedesktop.DBus \
        call /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.berth.Berth1 0
check_match "bus policy: everyone may call (introspection as $NOBODY)" 'org.berth.Berth1.Manager' \
        "$(dbc_as $NOBODY call $M org.freedesktop.DBus.Introspectable Introspect)"

# ---- malformed calls ---------------------------------------------------------------------------
before_list=$(store_listing)
head -c 1048577 /dev/zero | tr '\0' a >"$T/big"
head -c 1000 /dev/zero | tr '\0' a >"$T/longname"
check_bus_error "a name with capitals: InvalidName" $E.InvalidName call $M $MI Start s Web
check_bus_error "a name '../etc': InvalidName" $E.InvalidName call $M $MI GetContainer s ../etc
check_bus_error "an empty name: InvalidName" $E.InvalidName call $M $MI Freeze s ""
check_bus_error "a 1000-byte name: InvalidName" $E.InvalidName call $M $MI Start s "@$T/longname"
check_bus_error "a 1 MiB name: InvalidName" $E.InvalidName call $M $MI Destroy sb "@$T/big" true
check_bus_error "a name with a newline: InvalidName" $E.InvalidName call $M $MI Start s $'a\nb'
check_eq "  and the message stays one line" 1 "$(call $M $MI Start s $'a\nb' | wc -l)"
check_bus_error "a config over 1 MiB: InvalidConfig" $E.InvalidConfig \
        call $M $MI CreateContainer sssas "$(name big)" "@$T/big" busybox 0
check_bus_error "a composition over 1 MiB: InvalidConfig" $E.InvalidConfig call $M $MI Apply s "@$T/big"
check_bus_error "a template that is a path: InvalidName (libberth's rule, from the job)" \
        $E.InvalidName jobcall $M $MI CreateContainer sssas "$(name tp)" "" ../../../bin/sh 0
check_bus_error "an empty template: InvalidName" $E.InvalidName \
        jobcall $M $MI CreateContainer sssas "$(name tp)" "" "" 0
check_bus_error "257 template options: InvalidName" $E.InvalidName \
        call $M $MI CreateContainer sssas "$(name tp)" "" busybox 257 $(seq 257)
check_bus_error "a 1 MiB template option: InvalidName" $E.InvalidName \
        call $M $MI CreateContainer sssas "$(name tp)" "" busybox 1 "@$T/big"
check_bus_error "a 1000-byte snapshot name: InvalidName" $E.InvalidName \
        call $M $MI Snapshot sss "$w" "@$T/longname" ""
check_bus_error "a 1 MiB comment: InvalidName" $E.InvalidName call "$wp" $CI Snapshot ss s "@$T/big"
check_bus_error "DeleteSnapshot without a snapshot name: InvalidName" $E.InvalidName \
        call "$wp" $CI DeleteSnapshot s ""
check_bus_error "Clone to a bad name: InvalidName" $E.InvalidName call "$wp" $CI Clone ss Bad ""
check_bus_error "Start with a 'u': InvalidArgs" org.freedesktop.DBus.Error.InvalidArgs call $M $MI Start u 5
check_bus_error "GetContainer without its argument: InvalidArgs" org.freedesktop.DBus.Error.InvalidArgs \
        call $M $MI GetContainer
check_bus_error "Stop with 'ss': InvalidArgs" org.freedesktop.DBus.Error.InvalidArgs \
        call $M $MI Stop ss "$w" 5
check_bus_error "CreateContainer without its options: InvalidArgs" org.freedesktop.DBus.Error.InvalidArgs \
        call $M $MI CreateContainer sss a b c
check_bus_error "an unknown method: UnknownMethod" org.freedesktop.DBus.Error.UnknownMethod \
        call $M $MI Explode
check_bus_error "a non-canonical object path (container/0a for _30a): UnknownObject" \
        org.freedesktop.DBus.Error.UnknownObject call "$M/container/0a" $CI Start
check_bus_error "Set of a read-only property: PropertyReadOnly" \
        org.freedesktop.DBus.Error.PropertyReadOnly call "$wp" $PI Set ssv $CI State s RUNNING
check_eq "after all that, nothing in the store changed" "$before_list" "$(store_listing)"
check_eq "and berthd still answers" "[\"$wp\"]" "$(call $M $MI GetContainer s "$w")"

# ---- berthd killed and restarted under running containers ---------------------------------------
check_eq "start $w" "[]" "$(call $M $MI Start s "$w")"
a1pid=$(init_pid "$a1")
check_eq "start $a1" "[]" "$(call $M $MI Start s "$a1")"
a1pid=$(init_pid "$a1")
wpid=$(init_pid "$w")
check "kill -9 berthd" berthd_stop KILL
check "$w keeps running" pid_alive "$wpid"
check "$a1 keeps running" pid_alive "$a1pid"
check_eq "the CLI still sees $w RUNNING" RUNNING "$(state "$w")"
require "berthd starts again" berthd_start
out=$(list_json)
check_match "the new berthd lists $w RUNNING" "\\[\"$w\",\"RUNNING\",\"$wp\"\\]" "$out"
check_match "and $a1 RUNNING" "\\[\"$a1\",\"RUNNING\"" "$out"
check_match "and $tgt RUNNING" "\\[\"$tgt\",\"RUNNING\"" "$out"
check_match "and $s STOPPED" "\\[\"$s\",\"STOPPED\"" "$out"
check_eq "InitPID of $w is the same init" "$wpid" "$(prop "$w" InitPID)"
mark=$(sig_mark)
check "the CLI stops $a1" berth stop "$a1"
check "the restarted berthd signals it (State STOPPED)" wait_until 5 sh -c \
        "tail -n +$((mark + 1)) '$SIGS' | grep -q '^[0-9]* PropertiesChanged $(cpath "$a1") .*\"State\":\"STOPPED\"'"

# A monitor that dies is taken back over by berthd (libberth's ORPHANED event -> berth_adopt).
mon=$(monitor_pids "$w")
mon=${mon%%$'\n'*}
if [ -n "$mon" ]; then
        kill -9 "$mon"
        check "the monitor of $w dies" wait_until 5 pid_dead "$mon"
        one_monitor() { [ "$(monitor_count "$w")" = 1 ]; }
        check "berthd adopts the orphan: a new monitor for $w" wait_until 10 one_monitor
        check_eq "  the same init runs on" "$wpid" "$(init_pid "$w")"
        check_nomatch "  and is no longer orphaned" '"orphaned": true' "$(berth info "$w" --json)"
else
        fail "a monitor of $w to kill"
fi

# ---- systemd-machined -------------------------------------------------------------------------
if machined_start; then
        check "berthd notices machined on the bus" wait_until 5 grep -q 'systemd-machined is on the bus' "$DB_DIR/berthd.log"
        busctl monitor --json=short org.freedesktop.machine1 >"$T/machined.mon" 2>&1 3>&- &
        mon=$!
        IT_BG_PIDS+=($mon)
        sleep 0.3
        m=$(name mach)
        require "create $m" create_busybox "$m"
        require "start $m" berth start "$m"
        mpid=$(init_pid "$m")
        check "berthd calls RegisterMachineWithNetwork for $m" wait_until 5 grep -q "\"RegisterMachineWithNetwork\".*\"$m\"" "$T/machined.mon"
        reg=$(grep '"RegisterMachineWithNetwork"' "$T/machined.mon" | grep "\"$m\"" | head -n 1)
        args=$(jq -r '.payload.data | "\(.[0]) \(.[1] | length) \(.[2]) \(.[3]) \(.[4]) \(.[5])"' \
                <<<"$reg" 2>/dev/null)
        check_eq "  name, 16 uuid bytes, service berth, class container, leader = init, root = rootfs" \
                "$m 16 berth container $mpid $BERTH_STORE/$m/rootfs" "$args"
        hex=$(jq -r '.payload.data[1][]' <<<"$reg" 2>/dev/null | xargs printf '%02x')
        check_eq "  the uuid is <store>/$m/uuid" "$(tr -d '-' <"$BERTH_STORE/$m/uuid")" "$hex"
        if busctl call org.freedesktop.machine1 /org/freedesktop/machine1 org.freedesktop.machine1.Manager \
                ListMachines 2>/dev/null | grep -q "\"$m\""; then
                check "berth stop $m" berth stop "$m"
                check "UnregisterMachine when it stopped" wait_until 5 sh -c \
                        "! busctl call org.freedesktop.machine1 /org/freedesktop/machine1 org.freedesktop.machine1.Manager ListMachines | grep -q '\"$m\"'"
        else
                why=$(grep "register '$m' with systemd-machined" "$DB_DIR/berthd.log" | tail -n 1)
                skip "machinectl lists $m while it runs, not after it stopped" \
                        "machined refused: '${why#*: }' (it takes a machine only when its leader runs in a systemd unit; no systemd as PID 1 here)"
                check_eq "  and the container runs on regardless" RUNNING "$(state "$m")"
                check "berth stop $m" berth stop "$m"
        fi
        machined_stop
        check "berthd notices machined leave" wait_until 5 grep -q 'systemd-machined left the bus' "$DB_DIR/berthd.log"
else
        skip "machined registration" "systemd-machined cannot run here: $(tail -n 1 "$DB_DIR/machined.log" 2>/dev/null)"
fi
check_eq "without machined nothing fails: Start" "[]" "$(call $M $MI Start s "$a1")"

# ---- idle ---------------------------------------------------------------------------------------
bpid=$BERTHD_PID
sleep 0.5
t1=$(awk '{ print $14 + $15 }' "/proc/$bpid/stat")
sleep 3
t2=$(awk '{ print $14 + $15 }' "/proc/$bpid/stat")
check_eq "an idle berthd uses no CPU in 3 s (clock ticks)" "$t1" "$t2"
check "berthd stops on SIGTERM" berthd_stop
check "$w runs on after berthd stopped" pid_alive "$wpid"
