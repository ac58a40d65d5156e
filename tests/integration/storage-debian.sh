#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Storage with a real Debian tree (the debian template; its cache in /var/cache/berth): for dir,
# overlay and btrfs (a loop image this test makes), snapshot -> modify -> restore gives back
# exactly the tree (manifest.py: sha256, mode, owner, xattrs, link count, sparseness); a clone of
# a booted systemd guest boots with a different machine-id.
export BERTH_IT_SCRIPT_TIMEOUT=${BERTH_IT_SCRIPT_TIMEOUT:-900}
. "$(dirname "$0")/lib.sh"

[ -z "${BERTH_SKIP_DEBIAN:-}" ] || it_fail_early "BERTH_SKIP_DEBIAN is set"
command -v debootstrap >/dev/null || it_fail_early "debootstrap is not installed"
command -v python3 >/dev/null || it_fail_early "python3 is not installed"
export BERTH_CACHE=${BERTH_DEBIAN_CACHE:-/var/cache/berth}
IT_CMD_TIMEOUT=900
MANIFEST="$(dirname "$0")/manifest.py"

loops=()
cleanup_loops() {
        local m
        for m in "${loops[@]}"; do
                umount "$m" 2>/dev/null || umount -l "$m"
        done
}
IT_TEARDOWN_HOOKS+=("cleanup_loops")

# The merged tree of a volume, as in storage.sh.
manifest() { # STORE NAME
        local vol=$1/$2/rootfs lowers= id upper
        if [ -f "$vol/layers" ]; then
                upper=$(sed -n 's/^rw //p' "$vol/layers")
                for id in $(sed -n 's/^ro //p' "$vol/layers"); do
                        lowers=${lowers:+$lowers:}$1/.layers/$id/tree
                done
                mkdir -p "$T/view"
                mount -t overlay berth-test -o "ro,lowerdir=$1/.layers/$upper/tree${lowers:+:$lowers}" "$T/view" || return 1
                python3 "$MANIFEST" "$T/view"
                umount "$T/view"
        else
                python3 "$MANIFEST" "$vol"
        fi
}
writable() { # STORE NAME
        local vol=$1/$2/rootfs
        if [ -f "$vol/layers" ]; then
                echo "$1/.layers/$(sed -n 's/^rw //p' "$vol/layers")/tree"
        else
                echo "$vol"
        fi
}

debian_suite() { # LABEL BACKEND STORE RUNDIR
        local label=$1 backend=$2 store=$3 rundir=$4 n m0 t0 ms w
        local B=("$BERTH_BIN" --store "$store" --rundir "$rundir")
        n=$(name "sd-$label")
        t0=$(now_us)
        require "$label: create a Debian container" timeout 900 "${B[@]}" create "$n" -t debian \
                --backend "$backend" -- --release bookworm
        diag "$label: create took $(ms_since "$t0") ms"
        m0=$(manifest "$store" "$n")
        check_match "$label: the manifest covers the tree" "^usr/bin/dpkg " "$m0"
        check "$label: snapshot" "${B[@]}" snapshot "$n" pristine
        w=$(writable "$store" "$n")
        rm -rf "$w/usr/share/doc"
        echo changed >>"$w/etc/os-release"
        chmod 4755 "$w/usr/bin/env" 2>/dev/null
        python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.x", b"1")' "$w/etc/passwd" 2>/dev/null
        check_ne "$label: the change shows" "$m0" "$(manifest "$store" "$n")"
        t0=$(now_us)
        check "$label: restore" "${B[@]}" snapshot "$n" --restore pristine
        diag "$label: restore took $(ms_since "$t0") ms"
        check_eq "$label: the Debian tree is exactly as it was (manifest)" "$m0" "$(manifest "$store" "$n")"
        check "$label: destroy with its snapshots" "${B[@]}" destroy "$n" --snapshots
}

debian_suite dir dir "$BERTH_STORE" "$BERTH_RUNDIR"
debian_suite overlay overlay "$BERTH_STORE" "$BERTH_RUNDIR"
if command -v mkfs.btrfs >/dev/null && grep -qw btrfs /proc/filesystems &&
   truncate -s 1500M "$T/btrfs.img" && mkfs.btrfs -q "$T/btrfs.img" >/dev/null 2>&1 &&
   mkdir -p "$T/btrfs" && mount -o loop "$T/btrfs.img" "$T/btrfs"; then
        loops+=("$T/btrfs")
        mkdir -p "$T/btrfs/store" "$T/run-btrfs"
        register_store "$T/btrfs/store" "$T/run-btrfs"
        debian_suite btrfs btrfs "$T/btrfs/store" "$T/run-btrfs"
else
        skip "btrfs: no mkfs.btrfs, no btrfs in the kernel, or no loop device"
fi

# ---- a clone boots with its own machine-id ------------------------------------------------------
d=$(name sd-boot)
require "create a systemd guest" berth create "$d" -t debian -- --release bookworm
require "boot it" berth start "$d" --wait --timeout 120
mid1=$(berth attach "$d" -- cat /etc/machine-id 2>/dev/null)
check_match "it has a machine-id" '^[0-9a-f]{32}$' "$mid1"
check "stop it" berth stop "$d"
check "clone it" berth clone "$d" "$d-2"
check_eq "the clone's /etc/hostname is its own" "$d-2" "$(cat "$BERTH_STORE/$d-2/rootfs/etc/hostname")"
check "boot the clone" berth start "$d-2" --wait --timeout 120
mid2=$(berth attach "$d-2" -- cat /etc/machine-id 2>/dev/null)
check_match "the clone has a machine-id" '^[0-9a-f]{32}$' "$mid2"
check_ne "and it differs from the original's" "$mid1" "$mid2"
check_eq "the clone's hostname is its own" "$d-2" "$(berth attach "$d-2" -- hostname 2>/dev/null)"
check "stop the clone" berth stop "$d-2"
berth destroy "$d-2" >/dev/null 2>&1
berth destroy "$d" >/dev/null 2>&1
