#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Storage backends, snapshots, clones and scheduled snapshots with busybox containers, for each
# backend: dir on the plain filesystem, overlay, btrfs (a loop image this test makes and
# removes) and dir on that btrfs (reflinks). Snapshot -> modify -> restore gives back the exact
# tree (manifest.py: sha256, mode, owner, xattrs, link count, sparseness); a running container is
# snapshotted consistently and keeps running; scheduled snapshots with a fake clock keep exactly
# `keep`; a full filesystem gives a clear ENOSPC and registers nothing; SIGKILL at every step of
# every operation (BERTH_TEST_CRASH_AT) leaves the original intact and the next command cleans
# up. The Debian tree and the machine-id of a booted clone are in storage-debian.sh.
. "$(dirname "$0")/lib.sh"

MANIFEST="$(dirname "$0")/manifest.py"
command -v python3 >/dev/null || it_fail_early "python3 is not installed"

# ---- a btrfs loop image (and a small ext4 one for ENOSPC) ------------------------------------
loops=()
loop_fs() { # IMAGE SIZE MKFS MOUNTPOINT
        truncate -s "$2" "$1" && "$3" -q "$1" >/dev/null 2>&1 || return 1
        mkdir -p "$4" && mount -o loop "$1" "$4" || return 1
        loops+=("$4")
}
cleanup_loops() {
        local m
        for m in "${loops[@]}"; do
                umount "$m" 2>/dev/null || umount -l "$m"
        done
}
IT_TEARDOWN_HOOKS+=("cleanup_loops")

have_btrfs=false
if command -v mkfs.btrfs >/dev/null && grep -qw btrfs /proc/filesystems; then
        if loop_fs "$T/btrfs.img" 300M "mkfs.btrfs" "$T/btrfs"; then
                have_btrfs=true
        fi
fi

# manifest NAME [STORE]: of the container's merged rootfs as the container would see it. A dir
# or btrfs rootfs is read directly; an overlay one through a mount of its layers.
manifest() {
        local store=${2:-$BERTH_STORE} vol dir
        vol=$store/$1/rootfs
        if [ -f "$vol/layers" ]; then
                dir=$T/ovl-view
                mkdir -p "$dir"
                local upper lowers=
                upper=$(sed -n 's/^rw //p' "$vol/layers")
                for id in $(sed -n 's/^ro //p' "$vol/layers"); do
                        lowers=${lowers:+$lowers:}$store/.layers/$id/tree
                done
                if [ -z "$lowers" ]; then
                        python3 "$MANIFEST" "$store/.layers/$upper/tree"
                        return
                fi
                # read-only: upper as the top lower
                mount -t overlay berth-test -o "ro,lowerdir=$store/.layers/$upper/tree:$lowers" "$dir" || return 1
                python3 "$MANIFEST" "$dir"
                umount "$dir"
        else
                python3 "$MANIFEST" "$vol"
        fi
}

# Every change the restore must undo: new, changed, removed files, modes, owners, xattrs, links.
modify_tree() { # DIR (the writable tree)
        echo changed >>"$1/etc/hostname"
        echo new >"$1/new-file"
        rm -f "$1/etc/inittab"
        chmod 600 "$1/etc/passwd"
        chown 12:34 "$1/etc/group"
        mkdir -p "$1/newdir/sub"
        ln "$1/new-file" "$1/newdir/link"
}

# The writable tree of a container: the rootfs, or its overlay upper (changes made there show in
# the merged view like changes made by the container).
writable() {
        local store=${2:-$BERTH_STORE} vol=${2:-$BERTH_STORE}/$1/rootfs
        if [ -f "$vol/layers" ]; then
                echo "$store/.layers/$(sed -n 's/^rw //p' "$vol/layers")/tree"
        else
                echo "$vol"
        fi
}

# An extra file with xattrs, a hole and a hard link, so the manifest has them to compare.
decorate() { # DIR
        python3 - "$1" <<'EOF'
import os, sys
d = sys.argv[1]
with open(os.path.join(d, "sparse"), "wb") as f:
    f.seek(8 << 20)
    f.write(b"end")
os.setxattr(os.path.join(d, "sparse"), "user.berth", b"kept")
os.setxattr(os.path.join(d, "sparse"), "trusted.berth", b"kept too")
os.link(os.path.join(d, "sparse"), os.path.join(d, "sparse-link"))
os.mknod(os.path.join(d, "fifo"), 0o10640)
EOF
}

# No leftover of an operation (temporary names of the storage operations) in the store, the
# container's dir, its snapshots, the images or the layers.
no_leftovers() { # STORE NAME
        local bad pat='^\..*\.(create|destroy|restore|tmp|trash)-|^\.ephemeral-|^\.(new|dead)-'
        bad=$(ls -A "$1" "$1/$2" "$1/$2/snapshots" "$1/.images" "$1/.layers" 2>/dev/null |
              grep -E "$pat")
        [ -z "$bad" ] || { echo "leftovers: $bad" >&2; return 1; }
}

# Every layer in the store is listed by some volume, and every listed layer exists.
layers_consistent() { # STORE
        local store=$1 listed have
        [ -d "$store/.layers" ] || return 0
        listed=$(cat "$store"/*/rootfs/layers "$store"/*/snapshots/*/rootfs/layers \
                     "$store"/.images/*/rootfs/layers 2>/dev/null |
                 awk '{print $2}' | sort -u)
        have=$(ls "$store/.layers" | grep -v '^\.' | sort -u)
        [ "$listed" = "$have" ] || { echo "listed: $(echo $listed) / present: $(echo $have)" >&2; return 1; }
}

# ---- per backend: snapshot, modify, restore exact; clones; delete in any order ----------------
backend_suite() { # LABEL BACKEND STORE RUNDIR
        local label=$1 backend=$2 store=$3 rundir=$4 n m0 m1 out
        local B=("$BERTH_BIN" --store "$store" --rundir "$rundir")
        n=$(name "st-$label")
        require "$label: create with --backend $backend" \
                timeout 120 "${B[@]}" create "$n" -t busybox --backend "$backend"
        check_match "$label: info shows the backend" "^Backend: $backend" "$("${B[@]}" info "$n")"
        decorate "$(writable "$n" "$store")"
        check "$label: clone before any change" "${B[@]}" clone "$n" "$n-h"
        check_eq "$label: the clone's /etc/hostname has its own name" "$n-h" \
                "$(cat "$(writable "$n-h" "$store")/etc/hostname" 2>/dev/null)"
        "${B[@]}" destroy "$n-h" >/dev/null 2>&1
        m0=$(manifest "$n" "$store")
        check "$label: snapshot" "${B[@]}" snapshot "$n" before --comment "before the change"
        modify_tree "$(writable "$n" "$store")"
        m1=$(manifest "$n" "$store")
        check_ne "$label: the change shows" "$m0" "$m1"
        check "$label: a second snapshot (after the change)" "${B[@]}" snapshot "$n" after
        out=$("${B[@]}" snapshot "$n" --list)
        check_match "$label: list has the first snapshot with its comment" "^before +.*before the change$" "$out"
        check_match "$label: list has the second" "^after " "$out"
        check_eq "$label: --json lists two" 2 \
                "$("${B[@]}" snapshot "$n" --list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
        check "$label: restore the first" "${B[@]}" snapshot "$n" --restore before
        check_eq "$label: the tree is exactly as before (manifest)" "$m0" "$(manifest "$n" "$store")"
        check "$label: restore the second" "${B[@]}" snapshot "$n" --restore after
        check_eq "$label: and exactly as after" "$m1" "$(manifest "$n" "$store")"
        check "$label: delete the first snapshot while the second remains" \
                "${B[@]}" snapshot "$n" --delete before
        check "$label: restore the second again" "${B[@]}" snapshot "$n" --restore after
        check_eq "$label: still exact" "$m1" "$(manifest "$n" "$store")"

        # Clones: own name, hostname, uuid; of the current tree and of a snapshot.
        check "$label: clone" "${B[@]}" clone "$n" "$n-c"
        check_match "$label: the clone's config names it" "^name: $n-c$" "$(cat "$store/$n-c/config.yaml")"
        check "$label: clone a snapshot" "${B[@]}" clone "$n" "$n-s" --snapshot after
        check "$label: restore --as a new container" "${B[@]}" snapshot "$n" --restore after --as "$n-r"
        check_error "$label: clone onto an existing name" 1 "${B[@]}" clone "$n" "$n-c"
        check_error "$label: restore of a missing snapshot" 1 "${B[@]}" snapshot "$n" --restore nope
        check_error "$label: destroy with snapshots is refused" 1 "${B[@]}" destroy "$n"
        check "$label: destroy --snapshots" "${B[@]}" destroy "$n" --snapshots
        # The clones outlive their source (overlay: shared layers stay while referenced).
        check_eq "$label: a clone of a destroyed container's snapshot is intact" \
                "$(grep -v '^etc/hostname ' <<<"$m1")" \
                "$(manifest "$n-s" "$store" | grep -v '^etc/hostname ')"
        for c in "$n-c" "$n-s" "$n-r"; do
                "${B[@]}" destroy "$c" >/dev/null 2>&1
        done
        check "$label: nothing left in the store" no_leftovers "$store" "$n"
        check_eq "$label: no layer left but the template image's" \
                "$(cat "$store"/.images/*/rootfs/layers 2>/dev/null | awk '{print $2}' | sort)" \
                "$(ls "$store/.layers" 2>/dev/null | grep -v '^\.' | sort)"
}

section_t0=$(now_us)
section() { diag "$1 took $(ms_since "$section_t0") ms"; section_t0=$(now_us); }
backend_suite dir dir "$BERTH_STORE" "$BERTH_RUNDIR"
section "backend suite dir"
backend_suite overlay overlay "$BERTH_STORE" "$BERTH_RUNDIR"
section "backend suite overlay"
if $have_btrfs; then
        register_store "$T/btrfs/store" "$T/run-btrfs"
        mkdir -p "$T/btrfs/store" "$T/run-btrfs"
        backend_suite btrfs btrfs "$T/btrfs/store" "$T/run-btrfs"
        backend_suite dir-reflink dir "$T/btrfs/store" "$T/run-btrfs"
        n=$(name st-cow)
        B=("$BERTH_BIN" --store "$T/btrfs/store" --rundir "$T/run-btrfs")
        require "btrfs: create (the default backend on btrfs)" timeout 120 "${B[@]}" create "$n" -t busybox
        check_match "btrfs: the default backend on a btrfs store is btrfs" "^Backend: btrfs" "$("${B[@]}" info "$n")"
        check "btrfs: clone --cow" "${B[@]}" clone "$n" "$n-2" --cow
        "${B[@]}" destroy "$n-2" >/dev/null 2>&1
        check "btrfs: a btrfs container starts" "${B[@]}" start "$n"
        check "btrfs: a snapshot of it running" "${B[@]}" snapshot "$n" live
        check_match "btrfs: and it keeps running" "^State: RUNNING" "$("${B[@]}" info "$n")"
        check "btrfs: stop it" "${B[@]}" stop "$n"
        "${B[@]}" destroy "$n" --snapshots >/dev/null 2>&1
        "${B[@]}" destroy "$n" >/dev/null 2>&1
        # The backends' unit tests on btrfs as well.
        mkdir -p "$T/btrfs/unit"
        check "btrfs: test-storage with BERTH_TEST_BTRFS" env BERTH_TEST_BTRFS="$T/btrfs/unit" \
                "$BERTH_BUILDDIR/test-storage"
else
        skip "btrfs: no mkfs.btrfs or no btrfs in the kernel"
fi

section "btrfs suites"
# dir --cow on a filesystem without reflinks: refused, nothing left.
n=$(name st-nocow)
require "create $n" create_busybox "$n"
if [ "$(stat -f -c %T "$BERTH_STORE")" = ext2/ext3 ]; then
        check_error "clone --cow of a dir container on ext4 is refused" 1 berth clone "$n" "$n-2" --cow
        check_fail "and left no container" test -e "$BERTH_STORE/$n-2"
        check "and no leftover" no_leftovers "$BERTH_STORE" "$n"
fi

# ---- a running container -------------------------------------------------------------------------
require "start $n" berth start "$n"
pid=$(init_pid "$n")
berth attach "$n" -- sh -c \
        'i=0; while :; do i=$((i+1)); echo "$i $i" >/tmp/c.new; mv /tmp/c.new /tmp/c; done' \
        >/dev/null 2>&1 &
IT_BG_PIDS+=("$!")
counter() { awk '{print $1}' "/proc/$pid/root/tmp/c" 2>/dev/null; }
counter_above() { local v; v=$(counter); [ -n "$v" ] && [ "$v" -gt "$1" ]; }
require "a writer runs inside" wait_until 5 counter_above 10
check "snapshot of the running container" berth snapshot "$n" live
check_eq "it keeps running" RUNNING "$(state "$n")"
c1=$(counter)
check "and its writer goes on" wait_until 5 counter_above "$c1"
snapf=$BERTH_STORE/$n/snapshots/live/rootfs/tmp/c
check_match "the snapshot holds a complete record (frozen, not torn)" '^([0-9]+) \1$' "$(cat "$snapf" 2>/dev/null)"
check_error "restore refuses a running container" 1 berth snapshot "$n" --restore live
check_eq "which is still running" RUNNING "$(state "$n")"
check "restore --force stops it first" berth snapshot "$n" --restore live --force
check_eq "stopped" STOPPED "$(state "$n")"
check "clone of the stopped container" berth clone "$n" "$n-2"
check_fail "the clone has no uuid of its own yet (a new one at its start)" test -e "$BERTH_STORE/$n-2/uuid"
check "the clone starts" berth start "$n-2"
check_ne "its uuid differs from the original's" "$(cat "$BERTH_STORE/$n/uuid" 2>/dev/null)" \
        "$(cat "$BERTH_STORE/$n-2/uuid" 2>/dev/null)"
host_ids() { berth config "$1" show | grep -A2 '^idmap:' | sed -n 's/^ *host: *//p'; }
check_ne "it has host ids of its own" "$(host_ids "$n")" "$(host_ids "$n-2")"
check_eq "and runs as them" "$(host_ids "$n-2")" \
        "$(ps -o uid= -p "$(init_pid "$n-2")" | tr -d ' ')"
check_eq "its directory is 0700, as every container's" 700 "$(stat -c %a "$BERTH_STORE/$n-2")"
berth stop "$n-2" --kill >/dev/null 2>&1
berth destroy "$n-2" >/dev/null 2>&1

section "running container"
# ---- scheduled snapshots with a fake clock ------------------------------------------------------
s=$(name st-sched)
printf 'snapshots: {schedule: daily, keep: 3, expiry: 10d}\n' >"$T/sched.yaml"
require "create $s with a daily schedule" create_busybox "$s" --config "$T/sched.yaml"
day=86400
t0=1772582400 # 2026-03-04 00:00 UTC
export TZ=UTC
for i in 0 1 2 3 4; do
        check "scheduled run on day $i" berth snapshot --scheduled --at $((t0 + i * day + 3600))
        check "a second run the same day takes nothing more" berth snapshot --scheduled --at $((t0 + i * day + 7200))
done
out=$(berth snapshot "$s" --list --json)
check_eq "exactly keep=3 scheduled snapshots" 3 \
        "$(python3 -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin) if s["scheduled"]))' <<<"$out")"
check_match "the newest is day 4's" '"name": "auto-20260308-010000"' "$out"
check_nomatch "the oldest went" 'auto-20260304' "$out"
check "a manual snapshot" berth snapshot "$s" manual
check "expiry: 20 days later every scheduled one expired, a new one taken" \
        berth snapshot --scheduled --at $((t0 + 24 * day))
out=$(berth snapshot "$s" --list)
check_eq "one scheduled and the manual one are left" 2 "$(grep -c -E '^(auto|manual)' <<<"$out")"
check_match "the manual one is never expired by the schedule" '^manual ' "$out"
check "the hourly timer's command runs with nothing due" berth snapshot --scheduled --at $((t0 + 24 * day + 60))
berth destroy "$s" --snapshots >/dev/null 2>&1
unset TZ

section "schedule"
# ---- ENOSPC ----------------------------------------------------------------------------------
if loop_fs "$T/small.img" 24M mkfs.ext4 "$T/small"; then
        register_store "$T/small/store" "$T/run-small"
        mkdir -p "$T/small/store" "$T/run-small"
        B=("$BERTH_BIN" --store "$T/small/store" --rundir "$T/run-small")
        e=$(name st-full)
        require "create $e on a small filesystem" "${B[@]}" create "$e" -t busybox
        avail=$(df --output=avail -B1 "$T/small" | tail -1)
        fallocate -l $((avail - 512 * 1024)) "$T/small/filler" 2>/dev/null ||
                dd if=/dev/zero of="$T/small/filler" bs=1M count=$((avail / 1048576 - 1)) status=none
        err=$("${B[@]}" snapshot "$e" full 2>&1 >/dev/null)
        check_match "a snapshot on a full filesystem fails with a clear error" \
                "^berth: snapshot '$e': create 'full': .*[Nn]o space left on device$" "$err"
        check_eq "one line" 1 "$(wc -l <<<"$err")"
        check_eq "nothing registered" "" "$("${B[@]}" -q snapshot "$e" --list)"
        check "no leftover" no_leftovers "$T/small/store" "$e"
        err=$("${B[@]}" clone "$e" "$e-2" 2>&1 >/dev/null)
        check_match "a clone likewise" "[Nn]o space left on device" "$err"
        check_fail "no half clone" test -e "$T/small/store/$e-2"
        rm -f "$T/small/filler"
        check "after freeing space the snapshot works" "${B[@]}" snapshot "$e" full
        "${B[@]}" destroy "$e" --snapshots >/dev/null 2>&1
else
        skip "ENOSPC: cannot make a loop filesystem"
fi

section "ENOSPC"
# ---- SIGKILL at every step ----------------------------------------------------------------------
# BERTH_TEST_CRASH_AT=N kills berth at its N-th crash point. For each operation and backend:
# kill at 1, 2, ... until the operation completes; after each kill the original is intact (same
# manifest), the next berth command leaves no leftover, and the layers are consistent.
crash_suite() { # BACKEND
        local backend=$1 c m0 op k done_ok
        c=$(name "st-k$backend")
        require "$backend: create $c" create_busybox "$c" --backend "$backend"
        check "$backend: a snapshot to restore" berth snapshot "$c" base
        m0=$(manifest "$c")
        for op in "snapshot $c s" "snapshot $c --restore base" "clone $c $c-x" \
                  "snapshot $c --delete base" "destroy $c-x"; do
                k=1
                done_ok=false
                while [ $k -le 12 ]; do
                        if env BERTH_TEST_CRASH_AT=$k "$BERTH_BIN" $op >/dev/null 2>&1; then
                                done_ok=true
                                break
                        fi
                        # A delete killed after its rename is finished by the next command.
                        if [ "$op" = "snapshot $c --delete base" ] &&
                           [ ! -e "$BERTH_STORE/$c/snapshots/base" ]; then
                                berth snapshot "$c" --list >/dev/null 2>&1
                                berth snapshot "$c" probe >/dev/null 2>&1
                                berth snapshot "$c" --delete probe >/dev/null 2>&1
                                done_ok=true
                                break
                        fi
                        # killed: the original is intact, the next command cleans up
                        [ "$(manifest "$c")" = "$m0" ] || { fail "$backend: '$op' killed at step $k: the original changed"; break; }
                        # the next command (any that changes the store) cleans up
                        berth snapshot "$c" probe >/dev/null 2>&1
                        berth snapshot "$c" --delete probe >/dev/null 2>&1
                        no_leftovers "$BERTH_STORE" "$c" || { fail "$backend: '$op' killed at step $k: leftovers after the next command"; break; }
                        layers_consistent "$BERTH_STORE" || { fail "$backend: '$op' killed at step $k: layers inconsistent"; break; }
                        k=$((k + 1))
                done
                ok_if "$backend: '$op' killed at each of its $((k - 1)) steps left the store consistent, then completed" \
                        "$($done_ok && echo 0 || echo 1)"
                [ "$op" = "snapshot $c --restore base" ] ||
                        check_eq "$backend: after '$op' the original is intact" "$m0" "$(manifest "$c")"
                [ "${op%% *}" = snapshot ] && [ "$op" = "snapshot $c s" ] && berth snapshot "$c" --delete s >/dev/null 2>&1
        done
        check "$backend: no leftovers at the end" no_leftovers "$BERTH_STORE" "$c"
        berth destroy "$c" --snapshots >/dev/null 2>&1
        check "$backend: layers consistent at the end" layers_consistent "$BERTH_STORE"
}
crash_suite dir
section "crash suite dir"
crash_suite overlay
section "crash suite overlay"

# ---- ephemeral ------------------------------------------------------------------------------
# berth start --ephemeral: the run writes into a throw-away layer; the rootfs stays as it was.
for backend in dir overlay; do
        e=$(name st-eph-$backend)
        require "$backend: create $e" create_busybox "$e" --backend "$backend"
        sum0=$(manifest "$e")
        require "$backend: start --ephemeral" berth start "$e" --ephemeral
        check "$backend: the run writes a file and removes one" berth attach "$e" -- \
                sh -c 'echo run >/etc/ephemeral-run && rm /etc/hostname'
        check_eq "$backend: the running container sees its change" run \
                "$(berth attach "$e" -- cat /etc/ephemeral-run 2>&1)"
        check_match "$backend: the state file names the layer" '^ephemeral=/' \
                "$(cat "$BERTH_RUNDIR/$e/state")"
        check "$backend: stop" berth stop "$e"
        check_eq "$backend: the rootfs is exactly as before the run (manifest)" "$sum0" \
                "$(manifest "$e")"
        check_eq "$backend: no throw-away layer left" "" \
                "$(ls -A "$BERTH_STORE/$e" | grep '^\.ephemeral-')"
        check "$backend: a normal start sees none of it" berth start "$e"
        check_fail "$backend: the file written in the ephemeral run is not there" \
                berth attach "$e" -- test -e /etc/ephemeral-run
        check "$backend: stop again" berth stop "$e"
        berth destroy "$e" >/dev/null 2>&1
done

# berth create --ephemeral: destroyed when it stops.
x=$(name st-eph)
require "create --ephemeral" create_busybox "$x" --ephemeral
check_match "recorded in the config" "^ephemeral: true$" "$(cat "$BERTH_STORE/$x/config.yaml")"
require "start the ephemeral container" berth start "$x"
check_eq "it runs" RUNNING "$(state "$x")"
check "stop it" berth stop "$x"
gone() { [ ! -e "$BERTH_STORE/$x" ]; }
check "it is destroyed once it stopped" wait_until 5 gone
check_error "and unknown to berth" 1 berth info "$x"

# ---- bad input ------------------------------------------------------------------------------
check_error "create with an unknown backend" 1 berth create "$(name st-bad)" -t busybox --backend zfs
check_fail "which left nothing" test -e "$BERTH_STORE/$(name st-bad)"
if [ "$(stat -f -c %T "$BERTH_STORE")" != btrfs ]; then
        check_error "the btrfs backend on a store that is not on btrfs" 1 \
                berth create "$(name st-bad)" -t busybox --backend btrfs
        check_fail "which left nothing either" test -e "$BERTH_STORE/$(name st-bad)"
fi
check_error "snapshot of a missing container" 1 berth snapshot "$(name nope)"
check_error "an invalid snapshot name" 1 berth snapshot "$n" "Bad/Name"
check_error "a comment with a newline" 1 berth snapshot "$n" --comment "$(printf 'a\nb')"
check_error "two modes at once" 2 berth snapshot "$n" --list --delete x
check_error "--as without --restore" 2 berth snapshot "$n" --as y
check_error "clone to an invalid name" 2 berth clone "$n" "BAD"
check "the store is clean after all of it" no_leftovers "$BERTH_STORE" "$n"
