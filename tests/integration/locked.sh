#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The mounts an unprivileged container must not change are locked by the kernel: they are
# built by host root and reach the container as a copy made for its user namespace. Container
# root tries what an attacker would: remount read-only mounts writable (a read-only bind of
# host data, /proc/sys, /sys, /sys/fs/cgroup), unmount a mask or a read-only bind to uncover
# what is below, and mount a fresh proc or sysfs. Each must fail, and the data must stay
# unchanged.
. "$(dirname "$0")/lib.sh"

n=$(name lck)
chmod 755 "$T"
data="$T/data"
mkdir -p "$data"
echo original >"$data/file"
chmod 777 "$data"
chmod 666 "$data/file"
cat >"$T/lck.yaml" <<EOF
mounts: [{source: $data, target: /data, options: [bind, ro, create=dir]}]
EOF
require "create $n" create_busybox "$n" --config "$T/lck.yaml"
require "start $n" berth start "$n"

inside() { berth attach "$n" -- sh -c "$1"; }
check_match "the bind is there, read-only" ' /data ro,' "$(inside 'cat /proc/self/mountinfo')"
check_fail "writing the read-only bind fails" inside 'echo changed >/data/file'
check_fail "remount,bind,rw of the read-only bind fails" inside 'mount -o remount,bind,rw /data'
check_fail "writing it after that attempt fails too" inside 'echo changed >/data/file'
check_fail "unmounting the read-only bind fails (it is locked)" inside 'umount /data'
check_fail "remount,bind,rw of /proc/sys fails" inside 'mount -o remount,bind,rw /proc/sys'
check_fail "unmounting /proc/sys to reach the writable proc below fails" inside 'umount /proc/sys'
check_fail "remount,rw of /sys fails" inside 'mount -o remount,rw /sys'
check_fail "remount,bind,rw of /sys fails" inside 'mount -o remount,bind,rw /sys'
check_fail "remount,bind,rw of /sys/fs/cgroup fails" inside 'mount -o remount,bind,rw /sys/fs/cgroup'
check_fail "unmounting the /proc/keys mask fails" inside 'umount /proc/keys'
check_fail "unmounting /proc/sysrq-trigger's read-only bind fails" inside 'umount /proc/sysrq-trigger'
check_fail "a fresh proc cannot be mounted" inside 'mkdir -p /mnt/p && mount -t proc proc /mnt/p'
check_fail "a fresh writable sysfs cannot be mounted" inside 'mkdir -p /mnt/s && mount -t sysfs sysfs /mnt/s'
# (A fresh read-only sysfs is allowed, as in any user namespace: it shows exactly what /sys
# shows, read-only, since nothing of /sys is masked.)
check_eq "the host's file is unchanged" original "$(cat "$data/file")"
check_match "/proc/sys is still read-only" ' /proc/sys ro,' "$(inside 'cat /proc/self/mountinfo')"

# What the container may still do in its own tree: mount a tmpfs of its own and unmount it.
check "container root mounts a tmpfs of its own" inside 'mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && touch /mnt/t/x && umount /mnt/t'
check "and makes its root shared, as systemd does" inside 'mount --make-rshared /'

check "stop $n" berth stop "$n"
