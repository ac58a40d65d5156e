#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-storage.sh: berth's snapshots, clones and creates against LXC's lxc-snapshot and
# lxc-copy on the same Debian bookworm tree (the debian template's cache), in one run (root).
# Not part of make check; see tests/bench/README.md.
#
# Backends: dir on the plain filesystem of /tmp, dir on a btrfs loop image (reflinks), overlay
# (on the plain filesystem), btrfs (the loop image). The loop image and everything else live in
# a private temporary directory and are removed on exit. berth and LXC alternate sample by
# sample, so load changes hit both alike. Medians of BENCH_RUNS samples.
#
# Environment:
#   BERTH_BIN, BERTH_MONITOR, BERTH_TEMPLATES_DIR   berth from the build tree (default build/)
#   BERTH_CACHE=/var/cache/berth   the template cache (shared, reused; filled when cold)
#   BENCH_RUNS=5               samples per metric
#   BENCH_NO_APT=1             do not apt-get install lxc or btrfs-progs when missing
#
# Exit status: 0 every berth target met, 1 a target missed, 2 the benchmark itself failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
BERTH_CACHE=${BERTH_CACHE:-/var/cache/berth}
export BERTH_MONITOR BERTH_TEMPLATES_DIR BERTH_CACHE
RUNS=${BENCH_RUNS:-5}

die() {
        printf 'bench-storage: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root"
[ -x "$BERTH_BIN" ] || die "berth not found at '$BERTH_BIN' (build first, or set BERTH_BIN)"
apt_install() {
        [ "${BENCH_NO_APT:-}" != 1 ] && command -v apt-get >/dev/null 2>&1 || return 1
        say "installing $1"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" >&2
}
command -v lxc-snapshot >/dev/null 2>&1 || apt_install lxc || die "lxc is not installed"
command -v mkfs.btrfs >/dev/null 2>&1 || apt_install btrfs-progs || die "btrfs-progs is not installed"

# ---- private state and cleanup ---------------------------------------------------------------
tmp=$(mktemp -d /tmp/berth-bench-storage.XXXXXX)
chmod 700 "$tmp"
cleanup() {
        set +e
        for p in "$tmp"/lxc-*; do
                [ -d "$p" ] || continue
                for n in $(ls "$p" 2>/dev/null); do
                        lxc-destroy -P "$p" -n "$n" -s -f >/dev/null 2>&1
                done
        done
        rm -rf --one-file-system -- "/run/lxc/lock$tmp" 2>/dev/null
        if mountpoint -q "$tmp/btrfs" 2>/dev/null; then
                umount "$tmp/btrfs" || umount -l "$tmp/btrfs"
        fi
        rm -rf --one-file-system -- "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

truncate -s 4G "$tmp/btrfs.img"
mkfs.btrfs -q "$tmp/btrfs.img" >/dev/null 2>&1 || die "mkfs.btrfs failed"
mkdir -p "$tmp/btrfs"
mount -o loop "$tmp/btrfs.img" "$tmp/btrfs" || die "mount the btrfs loop image failed"

# One berth store per filesystem.
PLAIN=(--store "$tmp/plain/store" --rundir "$tmp/plain/run")
BTRFS=(--store "$tmp/btrfs/store" --rundir "$tmp/btrfs/run")
mkdir -p "$tmp/plain/store" "$tmp/btrfs/store"

# Time of one command in nanoseconds, appended to $tmp/<side>-<metric>.
sample() { # side metric cmd...
        local side=$1 metric=$2 t0 t1
        shift 2
        t0=$(now)
        "$@" >/dev/null 2>"$tmp/err" || die "$side $metric: '$*' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        echo $((t1 - t0)) >>"$tmp/$side-$metric"
}

# ---- the tree ------------------------------------------------------------------------------------
say "creating the Debian tree (berth create -t debian, from the template cache)"
berth "${PLAIN[@]}" -q create base -t debian --backend dir -- --release bookworm ||
        die "berth create -t debian failed"
tree=$tmp/plain/store/base/rootfs
size=$(du -sm "$tree" | cut -f1)

# LXC containers on the same tree: dir on the plain filesystem (for lxc-snapshot and the overlay
# clones), btrfs (a subvolume copy made by lxc-copy -B btrfs).
lxc_conf() { # lxcpath name rootfs-spec
        mkdir -p "$1/$2"
        cat >"$1/$2/config" <<-EOF
	lxc.include = /usr/share/lxc/config/common.conf
	lxc.rootfs.path = $3
	lxc.uts.name = $2
	lxc.net.0.type = empty
	EOF
}
LP=$tmp/lxc-plain
LB=$tmp/btrfs/lxc
mkdir -p "$LP" "$LB"
ln -s "$LB" "$tmp/lxc-btrfs"
say "copying the tree for LXC (plain)"
mkdir -p "$LP/lbase"
cp -a "$tree" "$LP/lbase/rootfs"
lxc_conf "$LP" lbase "dir:$LP/lbase/rootfs"
# LXC 5.0's own "lxc-copy -B btrfs" leaves a plain directory that lxc-snapshot then cannot
# snapshot: its rootfs is made a subvolume here, filled by a reflink copy.
say "making LXC's btrfs container"
command -v btrfs >/dev/null 2>&1 || die "btrfs(8) not found (btrfs-progs)"
mkdir -p "$LB/lbtrfs"
btrfs -q subvolume create "$LB/lbtrfs/rootfs" >/dev/null || die "btrfs subvolume create failed"
cp -a --reflink=auto "$tree/." "$LB/lbtrfs/rootfs/" || die "copy the tree for LXC (btrfs) failed"
lxc_conf "$LB" lbtrfs "btrfs:$LB/lbtrfs/rootfs"

# berth containers on each backend, made from the cache as users would.
berth "${PLAIN[@]}" -q create ovl -t debian --backend overlay -- --release bookworm ||
        die "berth create --backend overlay failed"
berth "${BTRFS[@]}" -q create btr -t debian --backend btrfs -- --release bookworm ||
        die "berth create --backend btrfs failed"
berth "${BTRFS[@]}" -q create rfl -t debian --backend dir -- --release bookworm ||
        die "berth create --backend dir on btrfs failed"

# ---- samples, alternating ---------------------------------------------------------------------
for i in $(seq "$RUNS"); do
        say "round $i of $RUNS"
        # dir snapshot on the plain filesystem: a full copy, against lxc-snapshot and cp -a
        sample berth snap-dir berth "${PLAIN[@]}" snapshot base "s$i"
        sample lxc snap-dir lxc-snapshot -P "$LP" -n lbase
        sample cp snap-dir cp -a "$tree" "$tmp/plain/cp-$i"
        rm -rf "$tmp/plain/cp-$i"
        berth "${PLAIN[@]}" -q snapshot base --delete "s$i"
        lxc-snapshot -P "$LP" -n lbase -d snap0 >/dev/null 2>&1

        # dir on btrfs: reflink copies (LXC's dir backend copies with rsync on any filesystem)
        sample berth snap-reflink berth "${BTRFS[@]}" snapshot rfl "s$i"
        berth "${BTRFS[@]}" -q snapshot rfl --delete "s$i"

        # overlay: berth's snapshot and clone against LXC's overlay clone (lxc-copy -s -B
        # overlay) and the snapshot of that overlay container
        sample berth snap-overlay berth "${PLAIN[@]}" snapshot ovl "s$i"
        sample berth clone-overlay berth "${PLAIN[@]}" clone ovl "ovl-c$i"
        sample lxc clone-overlay lxc-copy -P "$LP" -n lbase -N "lovl$i" -s -B overlay
        sample lxc snap-overlay lxc-snapshot -P "$LP" -n "lovl$i"
        berth "${PLAIN[@]}" -q snapshot ovl --delete "s$i"
        berth "${PLAIN[@]}" -q destroy "ovl-c$i"
        lxc-destroy -P "$LP" -n "lovl$i" -s -f >/dev/null 2>&1

        # btrfs: subvolume snapshots both
        sample berth snap-btrfs berth "${BTRFS[@]}" snapshot btr "s$i"
        sample lxc snap-btrfs lxc-snapshot -P "$LB" -n lbtrfs
        sample berth clone-btrfs berth "${BTRFS[@]}" clone btr "btr-c$i"
        sample lxc clone-btrfs lxc-copy -P "$LB" -n lbtrfs -N "lbc$i" -s
        berth "${BTRFS[@]}" -q snapshot btr --delete "s$i"
        lxc-snapshot -P "$LB" -n lbtrfs -d snap0 >/dev/null 2>&1
        berth "${BTRFS[@]}" -q destroy "btr-c$i"
        lxc-destroy -P "$LB" -n "lbc$i" -f >/dev/null 2>&1

        # create from the cache (the cache and the backend images are warm after the first)
        sample berth create-overlay berth "${PLAIN[@]}" -q create "co$i" -t debian --backend overlay -- --release bookworm
        sample berth create-btrfs berth "${BTRFS[@]}" -q create "cb$i" -t debian --backend btrfs -- --release bookworm
        sample berth create-dir berth "${PLAIN[@]}" -q create "cd$i" -t debian --backend dir -- --release bookworm
        berth "${PLAIN[@]}" -q destroy "co$i"
        berth "${BTRFS[@]}" -q destroy "cb$i"
        berth "${PLAIN[@]}" -q destroy "cd$i"
done

# ---- the table -------------------------------------------------------------------------------
ms() { [ -n "$1" ] && awk -v s="$1" 'BEGIN { printf "%.0f ms", s * 1000 }' || echo -; }
missed=0
row() { # label metric target-seconds [peer-side]
        local b p peer=${4:-lxc} v
        b=$(stat_of berth "$2" median)
        p=$(stat_of "$peer" "$2" median)
        v=$(verdict "$b" "$3")
        [ "$v" != MISSED ] || missed=1
        printf '| %s | %s | %s | %s | ≤ %s | %s |\n' "$1" "$(ms "$b")" "$(ms "$p")" \
                "$(ratio "$b" "$p")" "$(ms "$3")" "$v"
}
cp_median=$(stat_of cp snap-dir median)
printf '\nDebian bookworm tree of %s MiB, medians of %s, %s, kernel %s\n\n' "$size" "$RUNS" \
        "$(lxc-start --version 2>/dev/null | sed 's/^/lxc /')" "$(uname -r)"
printf '| metric | berth | LXC | berth/LXC | target | |\n| --- | --- | --- | --- | --- | --- |\n'
row "snapshot, dir (full copy; peer: lxc-snapshot)" snap-dir "${cp_median:-0}"
printf '| snapshot, dir: cp -a of the tree | %s | | | | |\n' "$(ms "$cp_median")"
row "snapshot, dir on btrfs (reflinks)" snap-reflink 0.3
row "snapshot, overlay" snap-overlay 0.05
row "clone, overlay (peer: lxc-copy -s -B overlay)" clone-overlay 0.05
row "snapshot, btrfs" snap-btrfs 0.05
row "clone, btrfs (peer: lxc-copy -s)" clone-btrfs 0.05
row "create from the cache, overlay" create-overlay 0.1
row "create from the cache, btrfs" create-btrfs 0.1
row "create from the cache, dir (a copy)" create-dir "${cp_median:-0}"
exit "$missed"
