#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input: one "berth: " line, exit 2 for usage errors and 1 otherwise, and nothing changed.
. "$(dirname "$0")/lib.sh"

# ---- unknown container ----
u=$(name nope)
for cmd in start stop info destroy freeze thaw restart; do
        check_error "$cmd of an unknown container: exit 1, one line" 1 berth "$cmd" "$u"
        check_match "$cmd: the message quotes the name" "'$u'" "$(cat "$T/err.err")"
done
check_error "attach to an unknown container" 1 berth attach "$u" -- true
check_error "config show of an unknown container" 1 berth config "$u" show
check_error "wait on an unknown container" 1 berth wait "$u" RUNNING --timeout 1
check_error "console of an unknown container" 1 berth console "$u" </dev/null
check_eq "none of that created anything in the store" "" "$(ls -A "$BERTH_STORE")"

# ---- invalid names ----
long=$(printf 'a%.0s' $(seq 64))
for bad in Bad -x a_b "$long" "" "a.b" "a/b" ".." "-"; do
        check_error "create '$bad': invalid name, exit 2" 2 berth create "$bad" -t busybox
        check_error "start '$bad': invalid name, exit 2" 2 berth start "$bad"
done
check_error "info '../x': invalid name, exit 2" 2 berth info ../x
check_error "a name with a newline still gives one line" 2 berth start "$(printf 'a\nb')"
check_match "and shows the newline escaped" "invalid container name 'a\\\\x0ab'" \
        "$(berth start "$(printf 'a\nb')" 2>&1)"
check_match "the invalid-name message quotes the name" "invalid container name 'a_b'" \
        "$(berth create a_b -t busybox 2>&1)"
check_eq "no invalid name created anything" "" "$(ls -A "$BERTH_STORE")"

# ---- usage errors ----
check_exit "no subcommand: exit 2" 2 berth
check_error "unknown subcommand: exit 2" 2 berth frobnicate
check_error "start without a name: exit 2" 2 berth start
check_error "unknown option: exit 2" 2 berth start "$u" --bogus
check_error "stop --timeout abc: exit 2" 2 berth stop "$u" --timeout abc
check_error "create without -t: exit 2" 2 berth create "$(name notpl)"
check_error "attach without a command: exit 2" 2 berth attach "$u" --
check_exit "berth --help: exit 0" 0 berth --help
check_exit "berth start --help: exit 0" 0 berth start --help

# ---- a 63-character name is valid, end to end ----
max=$(name "$(printf 'b%.0s' $(seq $((63 - ${#PFX}))))")
check_eq "the long name has 63 characters" 63 "${#max}"
if check "create a 63-character name" create_busybox "$max"; then
        check "start it" berth start "$max"
        check_eq "it runs" RUNNING "$(state "$max")"
        check "stop it" berth stop "$max"
        check "destroy it" berth destroy "$max"
fi

# ---- state errors on a real container ----
n=$(name err)
require "create $n" create_busybox "$n"
check_error "stop of a stopped container fails" 1 berth stop "$n"
check_eq "still STOPPED" STOPPED "$(state "$n")"
require "start $n" berth start "$n"
pid=$(init_pid "$n")
check_error "start of a running container fails" 1 berth start "$n"
check_eq "still RUNNING" RUNNING "$(state "$n")"
check_eq "same init pid" "$pid" "$(init_pid "$n")"
check_eq "still one monitor" 1 "$(monitor_count "$n")"

sum0=$(md5sum <"$BERTH_STORE/$n/config.yaml")
touch "$BERTH_STORE/$n/rootfs/marker"
check_error "create of an existing name fails" 1 berth create "$n" -t busybox
check_eq "the existing config.yaml is untouched" "$sum0" "$(md5sum <"$BERTH_STORE/$n/config.yaml")"
check "the existing rootfs is untouched" test -e "$BERTH_STORE/$n/rootfs/marker"
check_eq "the existing one still RUNNING with the same init" "RUNNING $pid" "$(state "$n") $(init_pid "$n")"

check_error "destroy of a running container without --force fails" 1 berth destroy "$n"
check_eq "still RUNNING with the same init" "RUNNING $pid" "$(state "$n") $(init_pid "$n")"
check "the store dir is still there" test -d "$BERTH_STORE/$n/rootfs"
check "destroy --force of a running container" berth destroy "$n" --force
check "the store dir is gone" test ! -e "$BERTH_STORE/$n"
check "init is gone" pid_dead "$pid"
check "no monitor left" wait_until 3 no_monitor "$n"
check "no cgroup left" wait_until 3 cg_gone "$n"

# ---- two concurrent starts ----
c=$(name conc)
require "create $c" create_busybox "$c"
berth start "$c" >"$T/s1.out" 2>&1 &
p1=$!
berth start "$c" >"$T/s2.out" 2>&1 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
diag "concurrent starts exited $r1 and $r2"
ok=0
[ "$r1" = 0 ] && ok=$((ok + 1))
[ "$r2" = 0 ] && ok=$((ok + 1))
check_eq "two concurrent starts: exactly one succeeds" 1 "$ok"
if [ "$r1" != 0 ]; then cat "$T/s1.out"; fi
if [ "$r2" != 0 ]; then cat "$T/s2.out"; fi
check_eq "the failing one prints one 'berth: ' line" 1 \
        "$(cat "$T/s1.out" "$T/s2.out" | grep -c '^berth: ')"
check_eq "running" RUNNING "$(state "$c")"
check_eq "one monitor" 1 "$(monitor_count "$c")"
check "stop it" berth stop "$c"

# ---- templates ----
t=$(name tpl)
check_error "unknown template fails" 1 berth create "$t" -t no-such-template
check_match "the message names the template" 'no-such-template' "$(cat "$T/err.err")"
check "unknown template: nothing created" test ! -e "$BERTH_STORE/$t"
check_nomatch "unknown template: not listed" "^$t\$" "$(berth ls)"

tpl=$T/templates
mkdir -p "$tpl"
# Fails half way: writes into the rootfs, then exits 1.
cat >"$tpl/berth-halfway" <<'EOF'
#!/bin/sh
rootfs=
while [ $# -gt 0 ]; do
        case $1 in --rootfs) rootfs=$2; shift ;; esac
        shift
done
mkdir -p "$rootfs/bin" && echo half >"$rootfs/bin/half-written"
echo "berth-halfway: failing on purpose" >&2
exit 1
EOF
# Succeeds but prints a config fragment that is not valid.
cat >"$tpl/berth-badfrag" <<'EOF'
#!/bin/sh
echo "init: {cmd: [/sbin/init], no_such_key: 1}"
exit 0
EOF
chmod 755 "$tpl/berth-halfway" "$tpl/berth-badfrag"
before=$(ls -A "$BERTH_STORE")
BERTH_TEMPLATES_DIR=$tpl berth create "$t" -t halfway >"$T/tpl.out" 2>"$T/tpl.err"
rc=$?
check_eq "a template failing half way: exit 1" 1 "$rc"
check_match "and the last line is a 'berth: ' error" '^berth: ' "$(tail -n 1 "$T/tpl.err")"
check "a template failing half way: no container dir left" test ! -e "$BERTH_STORE/$t"
check_eq "a template failing half way: nothing else left in the store" "$before" "$(ls -A "$BERTH_STORE")"
check_eq "the half-written file is nowhere in the store" "" \
        "$(find "$BERTH_STORE" -name half-written 2>/dev/null)"
BERTH_TEMPLATES_DIR=$tpl berth create "$t" -t badfrag >"$T/tpl.out" 2>"$T/tpl.err"
rc=$?
check_eq "a template with a bad config fragment: exit 1" 1 "$rc"
check_match "and the error names the key" 'no_such_key' "$(cat "$T/tpl.err")"
check "a bad fragment: no container dir left" test ! -e "$BERTH_STORE/$t"
check_eq "a bad fragment: nothing else left in the store" "$before" "$(ls -A "$BERTH_STORE")"
