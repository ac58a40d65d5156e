#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth create -f as desired state: --dry-run prints the plan and changes nothing, changed
# settings reach existing containers (limits live, the rest at the next start, and the output
# says which), --prune removes what the file created and no longer declares (and nothing else),
# and applying the same file twice changes nothing.
. "$(dirname "$0")/lib.sh"

a=$(name a) b=$(name b) c=$(name c) hand=$(name hand) other=$(name other)
v1=$T/app-v1.yaml v2=$T/app-v2.yaml
cat >"$v1" <<EOF
project: shop-$$
containers:
  - {name: $a, template: {name: busybox}, limits: {memory: 64M, pids: 64}, init: {stop_timeout: 2}}
  - {name: $b, template: {name: busybox}, hostname: hb, init: {stop_timeout: 2}}
start: [$a, $b]
EOF
cat >"$v2" <<EOF
project: shop-$$
containers:
  - {name: $a, template: {name: busybox}, limits: {memory: 32M, pids: 32}, hostname: ha2,
     init: {stop_timeout: 2}}
  - {name: $c, template: {name: busybox}}
start: [$a]
EOF
# apply ARGS...: berth create -f, its stdout (the steps) in $T/steps; templates talk on stderr.
apply() { berth create -f "$@" >"$T/steps" 2>"$T/steps.err"; }
steps() { cat "$T/steps"; }
ls_all() { berth ls | tr '\n' ' ' | sed 's/ $//'; }
mem() { cat "$(cg_dir memory "$1")/memory.limit_in_bytes"; }

check "--dry-run on an empty store" apply "$v1" --dry-run
check_eq "the plan: create both, start both" "create $a
create $b
start $a
start $b" "$(steps)"
check_eq "nothing was created" "" "$(ls_all)"

require "apply v1" apply "$v1"
check_eq "created and started" "created $a
created $b
started $a
started $b" "$(steps)"
check_match "what the file created carries its project" "berth.compose: shop-$$" "$(berth config "$a" show)"
check_eq "memory 64M" 67108864 "$(mem "$a")"
pid_a=$(init_pid "$a")

check "apply v1 again" apply "$v1"
check_eq "applying the same file again changes nothing" "unchanged $a
unchanged $b" "$(steps)"
check_eq "$a not restarted" "$pid_a" "$(init_pid "$a")"

# Containers the file did not create: one by hand, one of another project.
require "create $hand by hand" create_busybox "$hand"
printf 'project: other-%s\ncontainers:\n  - {name: %s, template: {name: busybox}}\n' "$$" "$other" >"$T/other.yaml"
require "create $other from another file" berth create -f "$T/other.yaml"

# ---- v2: a changed, b gone, c new ----
cfg_a=$(sha256sum "$BERTH_STORE/$a/config.yaml")
check "--dry-run of v2 with --prune" apply "$v2" --dry-run --prune
check_eq "the plan: remove b, update a (limits live, hostname next start), create c" "remove $b
update $a: hostname (next start), limits.memory (live), limits.pids (live)
create $c" "$(steps)"
check_eq "the dry run changed no limit" 67108864 "$(mem "$a")"
check_eq "nor a's config" "$cfg_a" "$(sha256sum "$BERTH_STORE/$a/config.yaml")"
check_eq "nor removed or created anything" "$a $b $hand $other" "$(ls_all)"

check "apply v2 (without --prune)" apply "$v2"
check_eq "updated a, saying how; created c; b left as it is" "updated $a: hostname at the next start; limits.memory applied live; limits.pids applied live
created $c" "$(steps)"
check_eq "a's memory limit is live at 32M" 33554432 "$(mem "$a")"
check_eq "a's pids.max is live at 32" 32 "$(cat "$(cg_dir pids "$a")/pids.max")"
check_eq "a's hostname waits for its next start" "$a" "$(berth attach "$a" -- hostname)"
check_eq "a was not restarted" "$pid_a" "$(init_pid "$a")"
check_eq "b is still there" RUNNING "$(state "$b")"
check "restart a" berth restart "$a"
check_eq "the new hostname after the restart" ha2 "$(berth attach "$a" -- hostname)"

# A key the file does not declare stays as it was set by hand.
check "set a's cpus by hand" berth set "$a" limits.cpus=0.5
check "apply v2 again" apply "$v2"
check_eq "unchanged: a key the file does not mention is left alone" "unchanged $a
unchanged $c" "$(steps)"
check_match "cpus still 0.5" "cpus: 0.5" "$(berth config "$a" show)"

cl=$(name clone)
check "clone $c (made by the file)" berth clone "$c" "$cl"
check_nomatch "the clone does not carry the file's label" "berth.compose" "$(berth config "$cl" show)"
check "apply v2 with --prune" apply "$v2" --prune
check_eq "removed b only" "removed $b
unchanged $a
unchanged $c" "$(steps)"
check_eq "b is gone; the hand-made, the other project's and the clone are not" \
        "$a $c $cl $hand $other" "$(ls_all)"
check "apply v2 with --prune again" apply "$v2" --prune
check_eq "nothing to do" "unchanged $a
unchanged $c" "$(steps)"

# Without 'project', the file's path is its identity, whichever way it is named.
s=$(name single)
mkdir -p "$T/d"
printf 'name: %s\ntemplate: {name: busybox}\n' "$s" >"$T/d/single.yaml"
require "apply a single-container file" apply "$T/d/single.yaml"
check_match "labelled with the file's absolute path" "berth.compose: $T/d/single.yaml" "$(berth config "$s" show)"
(cd "$T" && "$BERTH_BIN" create -f d/../d/single.yaml) >"$T/steps" 2>/dev/null 3>&-
check_eq "the same file by another path: unchanged" "unchanged $s" "$(steps)"

# ---- bad input: nothing changed ----
cat >"$T/bad.yaml" <<EOF
project: shop-$$
containers:
  - {name: $a, template: {name: busybox}, limits: {memory: lots}}
EOF
check_error "a bad value" 1 berth create -f "$T/bad.yaml" --prune
check_match "named with file:line:col" "bad.yaml:3:[0-9]+: key 'limits.memory': invalid size 'lots'" "$(cat "$T/err.err")"
check_eq "nothing changed (memory)" 33554432 "$(mem "$a")"
check_eq "nothing pruned" "$a $c $cl $hand $other $s" "$(ls_all)"
printf 'project: ""\ncontainers: []\n' >"$T/badproj.yaml"
check_error "an empty project" 1 berth create -f "$T/badproj.yaml"
printf 'project: x\nname: y\ntemplate: {name: busybox}\n' >"$T/single-proj.yaml"
check_error "project in a single-container file" 1 berth create -f "$T/single-proj.yaml"
check_error "--dry-run without -f" 2 berth create "$(name x)" -t busybox --dry-run
check_error "--prune without -f" 2 berth create "$(name x)" -t busybox --prune
