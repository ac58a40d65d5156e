#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth create -f: several containers with a shared host directory and a start order; applying
# the file twice changes nothing; a bad file fails before anything is created.
. "$(dirname "$0")/lib.sh"

# The shared directory is bound into unprivileged containers, whose root must be able to
# reach it.
chmod 755 "$T"
db=$(name cdb)
web=$(name cweb)
vol=$T/shared
cat >"$T/app.yaml" <<YAML
volumes: [$vol]
containers:
  - name: $db
    template: {name: busybox, options: [--ttys, "1"]}
    limits: {memory: 64M}
    mounts: [{source: $vol, target: /shared, options: [bind, create=dir]}]
  - {name: $web, template: {name: busybox}, limits: {pids: 64},
     mounts: [{source: $vol, target: /data, options: [bind, ro, create=dir]}]}
start: [$db, $web]
YAML

out=$(berth create -f "$T/app.yaml" 2>/dev/null)
check_eq "apply exits 0" 0 $?
check_match "both created" "created $db.*created $web" "$(echo $out)"
check_match "both started, in order" "started $db started $web" "$(echo $out)"
check_eq "$db RUNNING" RUNNING "$(state "$db")"
check_eq "$web RUNNING" RUNNING "$(state "$web")"
check "the volume exists" test -d "$vol"
db_root=$(berth config "$db" show | sed -n 's/.*host: *\([0-9]*\).*/\1/p' | head -n 1)
check_match "$db has a host id range of its own" '^[0-9]+$' "$db_root"
check_eq "the volume belongs to the first container's root (host uid $db_root)" "$db_root" \
        "$(stat -c %u "$vol")"
check "$db writes into the shared directory" berth attach "$db" -- sh -c 'echo shared-ok >/shared/f'
check_eq "$web reads it" shared-ok "$(berth attach "$web" -- cat /data/f 2>/dev/null)"
check_fail "$web's mount is read-only" berth attach "$web" -- sh -c 'echo x >/data/g'
check_eq "the template option reached the template (1 tty)" "1" \
        "$(grep -c '^tty[0-9]*::respawn' "$BERTH_STORE/$db/rootfs/etc/inittab")"
check_eq "settings applied: memory limit" "67108864" \
        "$(cat "$(cg_dir memory "$db")/memory.limit_in_bytes" 2>/dev/null)"

pid_db=$(init_pid "$db")
pid_web=$(init_pid "$web")
out=$(berth create -f "$T/app.yaml" 2>/dev/null)
check_eq "applying again exits 0" 0 $?
check_match "applying again changes nothing" "unchanged $db.*unchanged $web" "$(echo $out)"
check_nomatch "nothing created or started the second time" "created|started" "$out"
check_eq "$db not restarted" "$pid_db" "$(init_pid "$db")"
check_eq "$web not restarted" "$pid_web" "$(init_pid "$web")"

check "stop $web" berth stop "$web"
out=$(berth create -f "$T/app.yaml" 2>/dev/null)
check_match "a stopped container of the start list is started again" "started $web" "$out"
check_nomatch "the running one is left alone" "started $db" "$out"
check_eq "$db still the same init" "$pid_db" "$(init_pid "$db")"

# Bad files: nothing at all is created, not even the volume.
before=$(berth ls | sort | tr '\n' ' ')
# check_error_msg DESC EXIT PATTERN CMD...: one "berth: " line naming what was wrong.
check_error_msg() {
        local desc=$1 want=$2 pattern=$3
        shift 3
        check_error "$desc" "$want" "$@"
        check_match "$desc: the message says what was wrong" "$pattern" "$(cat "$T/err.err")"
}
bad() { # file description expected-message
        check_error_msg "$2" 1 "$3" berth create -f "$1"
        check_eq "$2: no container created" "$before" "$(berth ls | sort | tr '\n' ' ')"
}
n1=$(name cok)
n2=$(name cbad)
printf 'volumes: [%s/never]\ncontainers:\n  - {name: %s, template: {name: busybox}}\n  - name: %s\n    template: {name: busybox}\n    limits: {memory: lots}\n' \
        "$T" "$n1" "$n2" >"$T/bad1.yaml"
bad "$T/bad1.yaml" "a bad value in the second entry" "bad1.yaml:6:22: key 'limits.memory': invalid size 'lots'"
check "the volume of a refused file is not created" test ! -e "$T/never"
printf 'containers:\n  - {name: %s, template: {name: busybox}}\n  - {name: %s, template: {name: nosuch}}\n' \
        "$n1" "$n2" >"$T/bad2.yaml"
bad "$T/bad2.yaml" "an unknown template" "bad2.yaml:3:5: container '$n2': template 'nosuch' not found"
printf 'containers:\n  - {name: %s, template: {name: busybox}}\n  - {name: %s, template: {name: busybox, options: [--ttys, "900"]}}\n' \
        "$n1" "$n2" >"$T/bad3.yaml"
bad "$T/bad3.yaml" "a template option the template refuses" "invalid tty count '900'"
printf 'containers:\n  - {bogus: 1, name: %s, template: {name: busybox}}\n' "$n1" >"$T/bad4.yaml"
bad "$T/bad4.yaml" "an unknown key" "bad4.yaml:2:6: unknown key 'bogus'"
printf 'containers: []\nstart: [%s]\n' "$n1" >"$T/bad5.yaml"
bad "$T/bad5.yaml" "start names an undeclared container" "is not declared in 'containers'"
check_error_msg "create -f with a name is a usage error" 2 "takes no name" \
        berth create -f "$T/app.yaml" extra
check_error_msg "create -f of a missing file" 1 "read '$T/none.yaml'" berth create -f "$T/none.yaml"

check "stop $db" berth stop "$db"
check "stop $web" berth stop "$web"
