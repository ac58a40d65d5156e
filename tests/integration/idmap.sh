#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Host ids of unprivileged containers: each gets a disjoint block of root's subordinate ids,
# recorded in its config at create (an entry for root is added to the subordinate id files
# when there is none, with a notice); an explicit idmap that overlaps another container's is
# refused and creates nothing; a full range is a clear error. The store and each container
# directory are 0700, created so and repaired (with a notice) at start; other host users
# cannot reach a rootfs.
. "$(dirname "$0")/lib.sh"

host_ids() { berth config "$1" show | sed -n 's/.*host: *\([0-9]*\).*/\1/p' | head -n 1; }

a=$(name ida)
b=$(name idb)
c=$(name idc)
rm -f "$BERTH_SUBUID" "$BERTH_SUBGID"
check "create $a" create_busybox "$a"
check_match "root had no subordinate ids: berth says it adds them" \
        "notice: root had no subordinate ids: added 'root:1000000:1000000000'" "$(cat "$IT_OUT")"
check_eq "/etc/subuid (the test's) has root's entry" "root:1000000:1000000000" \
        "$(cat "$BERTH_SUBUID")"
check_eq "/etc/subgid (the test's) too" "root:1000000:1000000000" "$(cat "$BERTH_SUBGID")"
check "create $b" create_busybox "$b"
check_nomatch "no notice the second time" "notice" "$(cat "$IT_OUT")"
ida=$(host_ids "$a")
idb=$(host_ids "$b")
check_eq "$a got the first block" 1000000 "$ida"
check_eq "$b got the next one" 1065536 "$idb"
check_eq "the range is recorded in $a's config" "- container: 0 host: $ida count: 65536" \
        "$(berth config "$a" show | grep -A3 '^idmap:' | tail -n 3 | tr -s ' \n' ' ' | sed 's/ $//')"

# Both run as their own host ids, so neither owns the other's files.
vol="$T/vol"
mkdir -p "$vol"
chmod 1777 "$vol"
chmod 755 "$T"
for x in "$a" "$b"; do
        printf 'mounts: [{source: %s, target: /vol, options: [bind, create=dir]}]\n' "$vol" >"$T/$x-vol.yaml"
done
check "create $c with the shared volume" create_busybox "$c" --config "$T/$a-vol.yaml"
d=$(name idd)
check "create $d with the shared volume" create_busybox "$d" --config "$T/$b-vol.yaml"
check "start $c" berth start "$c"
check "start $d" berth start "$d"
idc=$(host_ids "$c")
idd=$(host_ids "$d")
check_ne "$c and $d have different ranges" "$idc" "$idd"
check_eq "$c's init runs as its own host uid" "$idc" "$(ps -o uid= -p "$(init_pid "$c")" | tr -d ' ')"
check_eq "$d's init runs as its own host uid" "$idd" "$(ps -o uid= -p "$(init_pid "$d")" | tr -d ' ')"
check "$c's root writes a private file on the volume" \
        berth attach "$c" -- sh -c 'echo mine >/vol/c-file && chmod 600 /vol/c-file'
check_eq "the file belongs to $c's host root" "$idc" "$(stat -c %u "$vol/c-file")"
check_fail "$d's root cannot read it" berth attach "$d" -- cat /vol/c-file
check_fail "nor overwrite it" berth attach "$d" -- sh -c 'echo theirs >/vol/c-file'
check_eq "the file is intact" mine "$(cat "$vol/c-file")"
check "stop $c" berth stop "$c"
check "stop $d" berth stop "$d"

# An explicit map overlapping another container's is refused; nothing is created.
e=$(name ide)
printf 'idmap: [{container: 0, host: %s, count: 65536}]\n' "$ida" >"$T/overlap.yaml"
check_error "an explicit idmap overlapping $a's is refused" 1 \
        berth create "$e" -t busybox --config "$T/overlap.yaml"
check_match "the error names the key and the other container" \
        "key 'idmap': host ids $ida-$((ida + 65535)) overlap those of container '$a'" \
        "$(cat "$T/err.err")"
check_fail "nothing of $e was created" test -e "$BERTH_STORE/$e"
check_eq "no temporary directory left" "" "$(ls -A "$BERTH_STORE" | grep -v '^\.idmap\.lock$' | grep '^\.')"
printf 'idmap: [{container: 0, host: 5000000, count: 65536}]\n' >"$T/free.yaml"
check "a free explicit idmap is accepted" berth create "$e" -t busybox --config "$T/free.yaml"
check_eq "and kept as given" 5000000 "$(host_ids "$e")"

# Root's own entry is honoured; when it is full the create fails, cleanly.
f=$(name idf)
g=$(name idg)
echo "root:7000000:131072" >"$BERTH_SUBUID"
echo "root:7000000:131072" >"$BERTH_SUBGID"
check "create $f in root's given range" create_busybox "$f"
check_eq "$f starts at root's range" 7000000 "$(host_ids "$f")"
check "create $g" create_busybox "$g"
check_eq "$g gets the second block" 7065536 "$(host_ids "$g")"
h=$(name idh)
check_error "a third create finds no free block" 1 berth create "$h" -t busybox
check_match "and says so" "no free block of 65536 ids" "$(cat "$T/err.err")"
check_fail "nothing of $h was created" test -e "$BERTH_STORE/$h"

# Privileged containers take no range.
p=$(name idp)
printf 'privileged: true\n' >"$T/priv.yaml"
check "create a privileged container" create_busybox "$p" --config "$T/priv.yaml"
check_nomatch "it records no idmap" "host:" "$(berth config "$p" show)"

# ---- the store's permissions ----
check_eq "the store is 0700" 700 "$(stat -c %a "$BERTH_STORE")"
check_eq "a container directory is 0700" 700 "$(stat -c %a "$BERTH_STORE/$a")"
check_fail "another host user cannot list a rootfs" \
        setpriv --reuid=65534 --regid=65534 --clear-groups ls "$BERTH_STORE/$a/rootfs"
chmod 755 "$BERTH_STORE" "$BERTH_STORE/$a"
check "start repairs the modes" berth start "$a"
check_match "with a notice for the store" "notice: store '$BERTH_STORE' was reachable by other users \(mode 0755\): made it 0700" "$(cat "$IT_OUT")"
check_match "and one for the container directory" "notice: container directory '$BERTH_STORE/$a' was reachable" "$(cat "$IT_OUT")"
check_eq "the store is 0700 again" 700 "$(stat -c %a "$BERTH_STORE")"
check_eq "the container directory is 0700 again" 700 "$(stat -c %a "$BERTH_STORE/$a")"
check "stop $a" berth stop "$a"
