#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth rename: stopped containers with snapshots on the dir and overlay backends, the hostname
# rule, the composition label, the events, and what is refused.
. "$(dirname "$0")/lib.sh"

# Events of everything, from before the first rename.
"$BERTH_BIN" events --json >"$T/events" 2>/dev/null 3>&- &
IT_BG_PIDS+=("$!")
evpid=$!
sleep 0.3

echo marker >"$T/marker"
for backend in dir overlay; do
        old=$(name "r$backend") new=$(name "n$backend")
        require "create $old ($backend)" create_busybox "$old" --backend "$backend"
        check "$backend: write a marker" berth cp "$T/marker" "$old:/root/marker"
        require "$backend: snapshot s1" berth snapshot "$old" s1 --comment before
        check "$backend: change the rootfs after the snapshot" berth cp "$T/marker" "$old:/root/after"
        require "$backend: rename $old to $new" berth rename "$old" "$new"
        check_error "$backend: the old name is gone" 1 berth info "$old"
        check "$backend: the new one is there" berth info "$new"
        check_match "$backend: its config names it" "^name: $new$" "$(berth config "$new" show)"
        check "$backend: the old store directory is gone" test ! -e "$BERTH_STORE/$old"
        check "$backend: its snapshots came along" berth snapshot "$new" --list
        check_match "$backend: s1 with its comment" "s1.*before" "$(cat "$IT_OUT")"
        require "$backend: start under the new name" berth start "$new"
        check_eq "$backend: the hostname followed (it was the name)" "$new" "$(berth attach "$new" -- hostname)"
        check_eq "$backend: /etc/hostname inside too" "$new" "$(berth attach "$new" -- cat /etc/hostname)"
        check "$backend: the rootfs is the same" berth attach "$new" -- test -f /root/marker
        check "$backend: stop" berth stop "$new"
        check "$backend: restore s1 under the new name" berth snapshot "$new" --restore s1
        check "$backend: start after the restore" berth start "$new"
        check "$backend: the snapshot's tree (no file made after it)" \
                berth attach "$new" -- sh -c 'test -f /root/marker && ! test -e /root/after'
        check "$backend: stop" berth stop "$new"
        check "$backend: a clone of the renamed container's snapshot" \
                berth clone "$new" "$(name "c$backend")" --snapshot s1
        check "$backend: the snapshot can be deleted" berth snapshot "$new" --delete s1
done

# The events: the old name removed, the new one defined.
sleep 0.3
kill "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
old=$(name rdir) new=$(name ndir)
ev=$("$PYTHON" - "$T/events" "$old" "$new" <<'EOF'
import json, sys
out = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["name"] in sys.argv[2:] and e["event"] in ("removed", "defined"):
        out.append(e["event"] + " " + e["name"])
print(" | ".join(out))
EOF
)
check_match "events: $old defined, then removed, and $new defined" \
        "defined $old.*removed $old \| defined $new|defined $old.*defined $new \| removed $old" "$ev"

# A hostname set to something else stays; one set to the old name follows.
a=$(name host-a) b=$(name host-b)
printf 'hostname: fixed\n' >"$T/h1.yaml"
require "create $a with hostname fixed" create_busybox "$a" --config "$T/h1.yaml"
check "rename it" berth rename "$a" "$(name host-a2)"
check_match "its hostname stays" "^hostname: fixed$" "$(berth config "$(name host-a2)" show)"
printf 'hostname: %s\n' "$b" >"$T/h2.yaml"
require "create $b with its own name as hostname" create_busybox "$b" --config "$T/h2.yaml"
check "rename it" berth rename "$b" "$(name host-b2)"
check_match "its hostname follows" "^hostname: $(name host-b2)$" "$(berth config "$(name host-b2)" show)"

# The composition label is dropped.
l=$(name lab)
require "create $l" create_busybox "$l"
check "label it as a composition file does" berth set "$l" labels.berth.compose=/srv/app.yaml labels.team=ops
check "rename it" berth rename "$l" "$(name lab2)"
cfg=$(berth config "$(name lab2)" show)
check_nomatch "the composition label is gone" "berth.compose" "$cfg"
check_match "other labels stay" "team: ops" "$cfg"

# ---- refused, nothing changed ----
r=$(name run)
require "create $r" create_busybox "$r"
require "start $r" berth start "$r"
check_error "a running container" 1 berth rename "$r" "$(name run2)"
check_match "says to stop it" "running; stop it first" "$(cat "$T/err.err")"
check_eq "still there under its name" RUNNING "$(state "$r")"
check "stop $r" berth stop "$r"
check_error "onto an existing container" 1 berth rename "$r" "$(name ndir)"
check "both still there" berth info "$r"
check_error "to itself" 1 berth rename "$r" "$r"
check_error "an invalid new name" 2 berth rename "$r" 'Bad Name'
check_error "a missing new name" 2 berth rename "$r"
check_error "no such container" 1 berth rename "$(name nosuch)" "$(name x)"
check "$r is unchanged" berth info "$r"
