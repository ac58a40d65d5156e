#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm/build-guest.sh OUTDIR: assembles the cgroup v2 test guest from a build tree.
#
# Writes OUTDIR/vmlinuz (Debian's stock kernel), OUTDIR/initrd.img (gzip cpio: the host's
# static busybox, the kernel modules the guest needs, the built berth binaries with their
# shared libraries, the templates, tests/vm/guest-init.sh as /init and tests/vm/guest-tests.sh)
# and OUTDIR/store.img (a fresh ext4 file system for the container store: on kernel 6.1 only
# a real file system like ext4 takes the idmapped mounts of unprivileged containers). The store
# holds vm-data/debian.tar and vm-data/debian.tar.sha256 (a Debian bookworm systemd tree for
# the guest's Debian test, which has no network), or vm-data/debian.skip saying why not.
#
# The kernel package is downloaded from Debian's archive once and kept, unpacked and trimmed to
# what the guest loads, in $BERTH_VM_CACHE (default /var/cache/berth-vm), as is the base
# initramfs (busybox + modules). The Debian tree is the debian template's cached tree
# ($BERTH_VM_DEBIAN_CACHE/bookworm-amd64-systemd, default /var/cache/berth/debian; built once
# with templates/berth-debian when missing), packed as an uncompressed tar kept in
# $BERTH_VM_CACHE until the tree's cache stamp changes. Only the berth part and the store disk
# are rebuilt on every run.
#
# Environment: BERTH_BUILDDIR, BERTH_SRCDIR (required); BERTH_BIN, BERTH_MONITOR,
# BERTH_TEMPLATES_DIR (default: from the two dirs); BERTH_VM_CACHE; BERTH_VM_KERNEL (a kernel
# version such as 6.1.0-56-amd64 instead of the newest one apt knows); BERTH_VM_DEBIAN=0 (no
# Debian tree: the guest skips its Debian test); BERTH_VM_DEBIAN_CACHE.
#
# Exit status: 0 done; 77 the kernel cannot be had (offline, no cache): the caller skips;
# anything else is a failure. The last line on stderr says why.

set -euo pipefail

PROG=build-guest.sh
# Bump when the layout of the cached kernel or base image changes.
CACHE_FORMAT=1
# Modules the guest loads, in an order that satisfies their dependencies (checked below).
# crc32c_generic is ext4's and jbd2's soft dependency (metadata checksums).
GUEST_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
               virtio_blk crc16 mbcache jbd2 crc32c_generic ext4)
# The store disk without the Debian tree: busybox containers and their template cache.
STORE_IMG_MB=384
# The debian template's cache entry the guest boots.
DEBIAN_KEY=bookworm-amd64-systemd

die() {
        printf '%s: %s\n' "$PROG" "$*" >&2
        exit 1
}

unavailable() {
        printf '%s: %s\n' "$PROG" "$*" >&2
        exit 77
}

progress() {
        printf '%s: %s\n' "$PROG" "$*" >&2
}

[ $# = 1 ] || die "usage: $PROG OUTDIR"
out=$1
: "${BERTH_BUILDDIR:?BERTH_BUILDDIR is not set}"
: "${BERTH_SRCDIR:?BERTH_SRCDIR is not set}"
bin=${BERTH_BIN:-$BERTH_BUILDDIR/berth}
monitor=${BERTH_MONITOR:-$BERTH_BUILDDIR/berth-monitor}
templates=${BERTH_TEMPLATES_DIR:-$BERTH_SRCDIR/templates}
cache=${BERTH_VM_CACHE:-/var/cache/berth-vm}
vmdir=$BERTH_SRCDIR/tests/vm
busybox=/bin/busybox

for f in "$bin" "$monitor"; do
        [ -x "$f" ] || die "'$f' is not built"
done
[ -d "$templates" ] || die "templates directory '$templates' not found"
for f in guest-init.sh guest-tests.sh ../lib/cgroup.sh; do
        [ -f "$vmdir/$f" ] || die "'$vmdir/$f' not found"
done
[ -x "$busybox" ] || unavailable "$busybox not found (install busybox-static)"
file -L -b "$busybox" 2>/dev/null | grep -Eq 'statically linked|static-pie linked' ||
        unavailable "$busybox is not statically linked (install busybox-static)"
for t in cpio gzip mkfs.ext4 ldd; do
        command -v "$t" >/dev/null || unavailable "'$t' not found (install cpio, e2fsprogs)"
done

mkdir -p "$out" "$cache" || die "create '$out' or '$cache' failed"
work=$(mktemp -d "$out/.work.XXXXXX") || die "mktemp in '$out' failed"
trap 'rm -rf -- "$work"' EXIT

# One builder at a time per cache; the lock is held until this script exits.
exec 9>>"$cache/.lock" || die "open the lock '$cache/.lock' failed"
flock -w 600 9 || die "lock '$cache/.lock' failed"

# ---- the kernel ------------------------------------------------------------------------------

pick_kernel() {
        if [ -n "${BERTH_VM_KERNEL:-}" ]; then
                echo "$BERTH_VM_KERNEL"
                return
        fi
        # The newest 6.1 flavour apt knows, else the newest one already cached.
        local v
        v=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
            sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\) .*/\1/p' | sort -V | tail -n 1)
        if [ -z "$v" ]; then
                v=$(find "$cache" -maxdepth 1 -name 'kernel-6.1.0-*-amd64' -printf '%f\n' 2>/dev/null |
                    sed 's/^kernel-//' | sort -V | tail -n 1)
        fi
        echo "$v"
}

kver=$(pick_kernel)
[ -n "$kver" ] || unavailable "no linux-image-6.1.0-*-amd64 known to apt and none cached"
case $kver in
*[!a-z0-9.-]*) die "invalid kernel version '$kver'" ;;
esac
kdir=$cache/kernel-$kver

kernel_cached() {
        [ "$(cat "$kdir/format" 2>/dev/null)" = "$CACHE_FORMAT" ] && [ -s "$kdir/vmlinuz" ]
}

if ! kernel_cached; then
        progress "downloading linux-image-$kver from the Debian archive"
        dl=$work/dl
        mkdir -p "$dl"
        # Sandbox user root: _apt could not write into this private directory.
        (cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "linux-image-$kver") >&2 ||
                unavailable "download linux-image-$kver failed"
        deb=$(find "$dl" -name "linux-image-${kver}_*.deb" | head -n 1)
        [ -n "$deb" ] || unavailable "download linux-image-$kver failed: no .deb"
        dpkg-deb -x "$deb" "$dl/x" || die "unpack '$deb' failed"
        tmp=$(mktemp -d "$cache/.kernel-$kver.XXXXXX") || die "mktemp in '$cache' failed"
        cp "$dl/x/boot/vmlinuz-$kver" "$tmp/vmlinuz" || die "copy the kernel of '$deb' failed"
        cp "$dl/x/boot/config-$kver" "$tmp/config" || die "copy the config of '$deb' failed"
        mkdir "$tmp/modules"
        for m in "${GUEST_MODULES[@]}"; do
                ko=$(find "$dl/x/lib/modules/$kver" \( -name "$m.ko" -o -name "$m.ko.xz" \
                     -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) | head -n 1)
                [ -n "$ko" ] || die "module '$m' not found in '$deb'"
                case $ko in
                *.xz) xz -dc "$ko" >"$tmp/modules/$m.ko" ;;
                *.zst) zstd -qdc "$ko" >"$tmp/modules/$m.ko" ;;
                *.gz) gzip -dc "$ko" >"$tmp/modules/$m.ko" ;;
                *) cp "$ko" "$tmp/modules/$m.ko" ;;
                esac || die "copy module '$ko' failed"
        done
        echo "$CACHE_FORMAT" >"$tmp/format"
        rm -rf -- "$kdir"
        mv -T -- "$tmp" "$kdir" || die "rename '$tmp' to '$kdir' failed"
        rm -rf -- "$dl"
        # Older kernels of this cache are of no more use.
        find "$cache" -maxdepth 1 \( -name 'kernel-*' -o -name 'base-*.cpio.gz' \) \
                ! -name "kernel-$kver" ! -name "base-$kver-*" -exec rm -rf -- {} + 2>/dev/null || :
fi

# Each module's dependencies must come before it in GUEST_MODULES: a kernel update that adds
# one fails here, clearly, rather than as an insmod error deep in the guest.
loaded=" "
for m in "${GUEST_MODULES[@]}"; do
        deps=$(tr '\0' '\n' <"$kdir/modules/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' ')
        for d in $deps; do
                [[ $loaded == *" $d "* ]] ||
                        die "module '$m' of $kver needs '$d': add it to GUEST_MODULES before '$m'"
        done
        loaded="$loaded$m "
done

# ---- the base image: busybox and the modules (cached) ----------------------------------------

bb_sum=$(sha256sum "$busybox" | cut -c1-16)
base=$cache/base-$kver-$CACHE_FORMAT-$bb_sum.cpio.gz
if [ ! -s "$base" ]; then
        progress "building the base image '$base'"
        r=$work/base
        mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,newroot}
        mkdir -p "$r/lib/modules/$kver"
        chmod 1777 "$r/tmp"
        cp "$busybox" "$r/bin/busybox"
        set -f
        for a in $("$busybox" --list-full); do
                case $a in
                */*) ;;
                *) continue ;;
                esac
                [ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
        done
        set +f
        cp "$kdir"/modules/*.ko "$r/lib/modules/$kver/"
        printf '%s\n' "${GUEST_MODULES[@]}" >"$r/lib/modules/$kver/load-order"
        printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
        printf 'root:x:0:\n' >"$r/etc/group"
        tmp=$(mktemp "$cache/.base.XXXXXX") || die "mktemp in '$cache' failed"
        (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$tmp" ||
                die "pack the base image failed"
        mv -f -- "$tmp" "$base" || die "rename '$tmp' to '$base' failed"
fi

# ---- the berth part (every run) --------------------------------------------------------------

b=$work/berth
mkdir -p "$b/usr/local/bin" "$b/usr/local/libexec/berth" "$b/usr/local/share/berth" "$b/etc"

# A binary and every shared library ldd names, at the same paths as on the host.
copy_with_libs() { # file dest
        mkdir -p "$b$(dirname "$2")" || return 1
        cp -L "$1" "$b$2" || return 1
        local lib
        for lib in $(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
                [ -e "$b$lib" ] && continue
                mkdir -p "$b$(dirname "$lib")"
                cp -L "$lib" "$b$lib" || return 1
        done
}
copy_with_libs "$bin" /usr/local/bin/berth || die "copy '$bin' and its libraries failed"
# The download template unpacks with GNU tar (--numeric-owner, --xattrs), which busybox's tar
# cannot. busybox has no usr/bin/tar or usr/bin/dash link these files would overwrite through.
# dash runs that template in the guest (guest-tests.sh): busybox sh runs its own applets before
# any PATH lookup, so under it `tar` is always busybox's, as on a host whose /bin/sh is busybox.
copy_with_libs "$(command -v tar)" /usr/bin/tar || die "copy GNU tar and its libraries failed"
copy_with_libs "$(command -v dash)" /usr/bin/dash || die "copy dash and its libraries failed"
# Static: ldd names no library, and copy_with_libs copes.
copy_with_libs "$monitor" /usr/local/libexec/berth/berth-monitor ||
        die "copy '$monitor' failed"
cp -r "$templates" "$b/usr/local/share/berth/templates" || die "copy '$templates' failed"
# The escape battery's static probe and the probes SECURITY.md says privileged mode lets
# through (guest-tests.sh runs the battery); without a built probe the guest skips it.
probe=$BERTH_BUILDDIR/tests/security/berth-probe
if [ -x "$probe" ]; then
        cp "$probe" "$b/usr/local/libexec/berth/berth-probe" || die "copy '$probe' failed"
        sed -n '/<!-- privileged-escapes: begin -->/,/<!-- privileged-escapes: end -->/p' \
                "$BERTH_SRCDIR/SECURITY.md" | sed -n 's/^- `\([a-z0-9_-]*\)`.*/\1/p' \
                >"$b/usr/local/share/berth/privileged-escapes" ||
                die "read the privileged list of '$BERTH_SRCDIR/SECURITY.md' failed"
fi
cp "$vmdir/guest-init.sh" "$b/init"
cp "$vmdir/guest-tests.sh" "$b/guest-tests.sh"
# The cgroup helpers the host's integration harness uses too.
cp "$vmdir/../lib/cgroup.sh" "$b/cgroup.sh"
chmod 755 "$b/init" "$b/guest-tests.sh"
echo "$kver" >"$b/etc/berth-vm-kernel"
(cd "$b" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/berth.cpio.gz" ||
        die "pack the berth image failed"

# The kernel unpacks concatenated archives in order, the later ones on top.
cat "$base" "$work/berth.cpio.gz" >"$out/initrd.img" || die "write '$out/initrd.img' failed"
cp "$kdir/vmlinuz" "$out/vmlinuz" || die "copy the kernel to '$out' failed"

# ---- the Debian tree (cached tar) -------------------------------------------------------------

stage=$work/store
mkdir -p "$stage/vm-data"

# The reason the guest skips its Debian test.
no_debian() {
        progress "no Debian tree for the guest: $*"
        printf '%s\n' "$*" >"$stage/vm-data/debian.skip"
        return 1
}

# Packs the template's cached tree into $cache/debian-KEY-HASH.tar (HASH: of the tree's cache
# stamp, its content and its time, so a rebuilt tree is packed again) and sets deb_tar to it.
# Returns non-zero, with the reason in vm-data/debian.skip, when there is no tree to be had.
deb_tar=
debian_tar() {
        local dcache=${BERTH_VM_DEBIAN_CACHE:-/var/cache/berth/debian}
        local tree=$dcache/$DEBIAN_KEY
        local tmpl=$templates/berth-debian
        if [ ! -f "$tree/.berth-cache" ]; then
                [ -x "$tmpl" ] || { no_debian "no template '$tmpl'"; return; }
                command -v debootstrap >/dev/null ||
                        { no_debian "'$tree' is not built and debootstrap is not installed"; return; }
                progress "building the Debian tree '$tree' with berth-debian (a few minutes)"
                local rootfs
                rootfs=$(mktemp -d "$work/debian-rootfs.XXXXXX") || die "mktemp in '$work' failed"
                # The template takes the entry's lock itself: not held here.
                if ! BERTH_CACHE_DIR=$dcache "$tmpl" --name vmdeb --rootfs "$rootfs" \
                        --arch x86_64 >/dev/null 2>"$work/debian.log"; then
                        sed 's/^/  | /' "$work/debian.log" | tail -n 15 >&2
                        rm -rf --one-file-system -- "$rootfs"
                        no_debian "berth-debian failed: $(tail -n 1 "$work/debian.log")"
                        return
                fi
                # Only the cache was wanted.
                rm -rf --one-file-system -- "$rootfs"
        fi
        # The template's own lock: no rebuild of the tree while it is read.
        exec 8>>"$dcache/.$DEBIAN_KEY.lock" || die "open the lock of '$tree' failed"
        flock -w 900 8 || die "lock '$dcache/.$DEBIAN_KEY.lock' failed"
        [ -f "$tree/.berth-cache" ] || { exec 8>&-; no_debian "'$tree' vanished"; return; }
        local key tar
        key=$({ cat "$tree/.berth-cache"; stat -c %Y "$tree/.berth-cache"; } | sha256sum |
              cut -c1-16) || die "hash the stamp of '$tree' failed"
        tar=$cache/debian-$DEBIAN_KEY-$key.tar
        if [ ! -s "$tar" ] || [ ! -s "$tar.sha256" ]; then
                progress "packing '$tree' into '$tar'"
                # Leftovers of a packing that was killed (the cache lock is ours).
                rm -f -- "$cache"/.debian.*
                local tmp frag
                tmp=$(mktemp "$cache/.debian.XXXXXX") || die "mktemp in '$cache' failed"
                frag=$work/frag
                mkdir -p "$frag"
                # What berth-debian prints for this tree, carried as the download template's
                # config fragment.
                printf 'init:\n  cmd: [/sbin/init]\n  kind: systemd\nconsole:\n  ttys: 4\n' \
                        >"$frag/berth-config.yaml"
                # Uncompressed: the guest is slow at anything, decompression included.
                tar --numeric-owner --xattrs --xattrs-include='security.capability' \
                        --exclude=./.berth-cache -C "$tree" -cf "$tmp" . \
                        -C "$frag" berth-config.yaml || { rm -f "$tmp"; die "pack '$tree' failed"; }
                sha256sum "$tmp" | cut -d' ' -f1 >"$tmp.sha256" || die "hash '$tmp' failed"
                chmod 644 "$tmp" "$tmp.sha256"
                # The trees of older stamps are of no more use.
                find "$cache" -maxdepth 1 -name 'debian-*.tar*' -exec rm -f -- {} +
                mv -f -- "$tmp.sha256" "$tar.sha256" || die "rename '$tmp.sha256' failed"
                mv -f -- "$tmp" "$tar" || die "rename '$tmp' to '$tar' failed"
        fi
        exec 8>&-
        deb_tar=$tar
}

deb_bytes=0
if [ "${BERTH_VM_DEBIAN:-1}" = 0 ]; then
        no_debian "BERTH_VM_DEBIAN=0" || :
elif debian_tar; then
        # A hard link where the cache and OUTDIR share a file system: mkfs copies it anyway.
        ln -f "$deb_tar" "$stage/vm-data/debian.tar" 2>/dev/null ||
                cp "$deb_tar" "$stage/vm-data/debian.tar" || die "copy '$deb_tar' failed"
        cp "$deb_tar.sha256" "$stage/vm-data/debian.tar.sha256" ||
                die "copy '$deb_tar.sha256' failed"
        deb_bytes=$(stat -c %s "$deb_tar")
fi

# ---- the store disk --------------------------------------------------------------------------

# In the guest the tar is copied once more (the download template's cache) and unpacked.
size_mb=$((STORE_IMG_MB + deb_bytes * 3 / 1048576))
rm -f "$out/store.img"
truncate -s "${size_mb}M" "$out/store.img" || die "create '$out/store.img' failed"
mkfs.ext4 -q -F -L berth-store -m 0 -d "$stage" "$out/store.img" ||
        die "mkfs.ext4 '$out/store.img' failed"

debian="no Debian tree"
[ "$deb_bytes" = 0 ] || debian="Debian tree $((deb_bytes / 1048576)) MiB"
progress "guest ready: kernel $kver, initrd $(du -h "$out/initrd.img" | cut -f1), store ${size_mb} MiB ($debian)"
