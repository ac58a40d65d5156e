#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the cgroup v2 test guest (busybox sh, PID 1). See tests/vm/README.md.
#
# Stage 1 runs in the initramfs: it loads the modules and copies the tree to a tmpfs, then
# switch_root's into it, because pivot_root(2), which every container start does, refuses to
# move away from the initial rootfs. Stage 2 mounts /proc, /sys, the cgroup2 hierarchy alone on
# /sys/fs/cgroup (the kernel is booted with cgroup_no_v1=all), devpts and the ext4 store disk,
# then runs /guest-tests.sh with its TAP lines going to the second serial port (ttyS1), and
# powers off. qemu runs with -no-reboot, so the reboot below ends it.
#
# Whatever happens, the last thing on the console is "berth-vm: halt", and a guest that cannot
# run its tests reports "Bail out!" on the results port, so the host never waits for nothing.

PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
RESULTS=/dev/ttyS1
PREFIX="berth-vm-tap:"

log() {
        echo "berth-vm: $*"
}

bail() {
        log "FATAL: $*"
        echo "$PREFIX Bail out! $*" >"$RESULTS"
        halt_now
}

halt_now() {
        log "halt"
        sync
        # -f: no init to ask; the kernel reboots and qemu (-no-reboot) exits.
        reboot -f
        sleep 5
        echo b >/proc/sysrq-trigger
}

stage1() {
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        kver=$(cat /etc/berth-vm-kernel)
        # shellcheck disable=SC2013 # one module name per line, no spaces
        for m in $(cat "/lib/modules/$kver/load-order"); do
                insmod "/lib/modules/$kver/$m.ko" || bail "insmod $m failed"
        done
        mount -t tmpfs -o mode=755,size=60% newroot /newroot || bail "mount the tmpfs root failed"
        for d in /*; do
                case $d in
                /proc | /sys | /dev | /newroot) mkdir -p "/newroot$d" ;;
                *) cp -a "$d" /newroot/ || bail "copy $d to the new root failed" ;;
                esac
        done
        mount --move /dev /newroot/dev || bail "move /dev failed"
        umount /sys
        umount /proc
        exec switch_root /newroot /init stage2
}

stage2() {
        mount -t proc proc /proc || bail "mount /proc failed"
        mount -t sysfs sysfs /sys || bail "mount /sys failed"
        # As a systemd host mounts it.
        mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
                bail "mount cgroup2 on /sys/fs/cgroup failed"
        mkdir -p /dev/pts /dev/shm
        mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || bail "mount devpts failed"
        mount -t tmpfs -o mode=1777 shm /dev/shm
        mount -t tmpfs -o mode=755 run /run
        mount -t tmpfs -o mode=1777 tmp /tmp
        [ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
        mkdir -p /store
        mount -t ext4 /dev/vda /store || bail "mount the ext4 store /dev/vda failed"
        hostname berth-vm
        ip link set lo up 2>/dev/null
        # Serial ports turn \n into \r\n; the results port is read by a program.
        stty -F "$RESULTS" raw -echo 2>/dev/null

        log "kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
        log "cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
        log "running /guest-tests.sh"
        BERTH_VM_RESULTS=$RESULTS BERTH_VM_PREFIX=$PREFIX /bin/sh /guest-tests.sh </dev/null 2>&1
        rc=$?
        log "guest-tests.sh exited with status $rc"
        [ $rc = 0 ] || echo "$PREFIX # guest-tests.sh exited with status $rc" >"$RESULTS"
        sync
        umount /store 2>/dev/null || log "umount /store failed (busy)"
        halt_now
}

case "${1:-}" in
stage2) stage2 ;;
*) stage1 ;;
esac
bail "init fell through"
