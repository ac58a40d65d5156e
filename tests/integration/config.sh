#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Settings from a YAML file: create --config, config validate/show, limits, a read-only bind
# mount, hostname and environment inside; bad files give one precise error and create nothing.
. "$(dirname "$0")/lib.sh"

n=$(name web)
host=$T/hostdata
mkdir -p "$host"
echo "from-the-host-$$" >"$host/hello"
cat >"$T/web.yaml" <<EOF
# settings for the web container
hostname: webhost
limits: {memory: 64M, pids: 64}
init: {stop_timeout: 5}
environment: {BERTH_IT: "hello world", TZ: UTC}
mounts:
  - {source: $host, target: /data, options: [bind, ro, create=dir]}
  - {source: tmpfs, target: /scratch, type: tmpfs, options: [create=dir, size=4M, nosuid]}
EOF

require "create $n -t busybox --config web.yaml" create_busybox "$n" --config "$T/web.yaml"
check "config validate" berth config "$n" validate
show=$(berth config "$n" show)
check_match "show: hostname" '^hostname: "?webhost"?$' "$show"
check_match "show: limits.memory 64M in bytes" '^ +memory: "?67108864"?$' "$show"
check_match "show: limits.pids" '^ +pids: "?64"?$' "$show"
check_match "show: the bind mount source" "$host" "$show"
check_match "show: the mount target" '/data' "$show"
check_match "show: the environment" 'BERTH_IT' "$show"
check_match "show: init.stop_timeout" '^ +stop_timeout: "?5(\.0+)?"?$' "$show"
check_match "show: the template's init.kind is kept" '^ +kind: "?busybox"?$' "$show"
# What show prints is itself a valid config that means the same thing. (Without its name and
# its host id range: a config file for another container must carry neither this one's name
# nor its ids, which are refused as overlapping; the copy gets a range of its own.)
no_idmap() { awk '/^idmap:/ {skip = 1; next} skip && /^[^ -]/ {skip = 0} !skip'; }
berth config "$n" show | grep -v '^name:' | no_idmap >"$T/shown.yaml"
m=$(name again)
check "show's output is accepted by create --config" create_busybox "$m" --config "$T/shown.yaml"
check_eq "and shows the same settings" "$(echo "$show" | no_idmap)" \
        "$(berth config "$m" show | sed "s/\b$m\b/$n/g" | no_idmap)"
check_ne "with a host id range of its own" "$(berth config "$n" show | grep -A2 '^idmap:')" \
        "$(berth config "$m" show | grep -A2 '^idmap:')"
check "destroy the copy" berth destroy "$m"

require "start $n" berth start "$n"
pid=$(init_pid "$n")
check_eq "hostname inside is from the config" webhost "$(berth attach "$n" -- hostname)"
env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)
check_match "init's environment has BERTH_IT" '^BERTH_IT=hello world$' "$env"
check_match "init's environment has TZ" '^TZ=UTC$' "$env"
check_eq "the bind mount is visible inside" "from-the-host-$$" "$(berth attach "$n" -- cat /data/hello)"
check_match "the bind mount is read-only inside" '^[^ ]+ /data [^ ]+ ro[,\ ]' \
        "$(berth attach "$n" -- cat /proc/mounts)"
check_fail "writing to the read-only bind mount fails" \
        berth attach "$n" -- sh -c 'echo x >/data/new'
check "nothing was written to the host dir" test ! -e "$host/new"
check_match "the tmpfs mount is there" '^[^ ]+ /scratch tmpfs ' "$(berth attach "$n" -- cat /proc/mounts)"
check "the tmpfs mount is writable" berth attach "$n" -- sh -c 'echo y >/scratch/f'
check "the host side still has only its file" test "$(ls "$host")" = hello
check_eq "memory.limit_in_bytes is 64M" 67108864 "$(cat "$(cg_dir memory "$n")/memory.limit_in_bytes")"
check_eq "pids.max is 64" 64 "$(cat "$(cg_dir pids "$n")/pids.max")"
check_match "info shows the memory limit" '^Memory use: .* / 64(\.0)? MiB$' "$(berth info "$n")"
check_match "info shows the pids limit" '^Pids: [0-9]+ / 64$' "$(berth info "$n")"
check "stop $n" berth stop "$n"
check "the host dir is intact" test "$(cat "$host/hello")" = "from-the-host-$$"

# ---- bad files: one line naming file:line:col and the key, and nothing created ----
# nothing_created NAME: no store dir, not listed, no cgroup.
nothing_created() {
        [ ! -e "$BERTH_STORE/$1" ] && ! berth ls | grep -qx "$1" && cg_gone "$1"
}
# bad_config DESC FILE ERE: create with FILE fails with one "berth: " line matching ERE.
bad_config() {
        local desc=$1 file=$2 re=$3 b
        b=$(name bad)
        check_error "$desc: create fails with one line" 1 create_busybox "$b" --config "$file"
        check_match "$desc: the error names the file, position and key" "$re" "$(cat "$T/err.err")"
        check "$desc: no container created" nothing_created "$b"
}
before=$(ls -A "$BERTH_STORE")

printf 'hostname: x\nlimits: {memory: 64M\n' >"$T/broken.yaml"
bad_config "broken YAML" "$T/broken.yaml" 'broken\.yaml:[0-9]+:[0-9]+'

printf 'hostname: x\nlimits:\n  memroy: 64M\n' >"$T/unknown.yaml"
bad_config "unknown key" "$T/unknown.yaml" "unknown\.yaml:3:[0-9]+: .*'limits\.memroy'"

printf 'limits:\n  pids: 32\n  memory: lots\n' >"$T/value.yaml"
bad_config "bad size" "$T/value.yaml" "value\.yaml:3:[0-9]+: .*'limits\.memory'.*lots"

printf 'limits:\n  cpu_weight: 0\n' >"$T/range.yaml"
bad_config "out of range" "$T/range.yaml" "range\.yaml:2:[0-9]+: .*'limits\.cpu_weight'"

printf 'init:\n  cmd: /sbin/init\n' >"$T/type.yaml"
bad_config "scalar for a list" "$T/type.yaml" "type\.yaml:2:[0-9]+: .*'init\.cmd'"

printf 'mounts:\n  - {source: relative/dir, target: /data, options: [bind]}\n' >"$T/mount.yaml"
bad_config "relative bind source" "$T/mount.yaml" "mount\.yaml:2:[0-9]+: .*mounts"

printf 'hostname: a\nhostname: b\n' >"$T/dup.yaml"
bad_config "duplicate key" "$T/dup.yaml" "dup\.yaml:2:[0-9]+: .*'hostname'"

b=$(name bad)
check_error "a missing config file: one line" 1 create_busybox "$b" --config "$T/nope.yaml"
check_match "the error names the missing file" 'nope\.yaml' "$(cat "$T/err.err")"
check "a missing config file: no container created" nothing_created "$b"
check_eq "the store holds nothing new after the failures" "$before" "$(ls -A "$BERTH_STORE")"

# ---- a config.yaml broken after create: validate and start fail, nothing starts ----
cp "$BERTH_STORE/$n/config.yaml" "$T/saved.yaml"
echo "bogus_key: 1" >>"$BERTH_STORE/$n/config.yaml"
check_error "config validate of a broken config.yaml fails" 1 berth config "$n" validate
check_match "and names config.yaml, the line and the key" "config\.yaml:[0-9]+:[0-9]+: .*'bogus_key'" \
        "$(cat "$T/err.err")"
check_error "start with a broken config.yaml fails" 1 berth start "$n"
check_eq "state stays STOPPED" STOPPED "$(state "$n")"
check "no monitor left" wait_until 2 no_monitor "$n"
check "no cgroup left" wait_until 2 cg_gone "$n"
cp "$T/saved.yaml" "$BERTH_STORE/$n/config.yaml"
check "with config.yaml restored, validate succeeds" berth config "$n" validate
