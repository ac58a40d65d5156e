#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real Debian guests: a systemd guest reaches "running" with no failed unit, shows a login
# prompt on the console, stops cleanly (the journal records the shutdown), reboots and powers
# off from inside, and a stop right after start is not lost; a sysvinit guest boots to its
# runlevel and halts. The debootstrapped trees come from the template cache
# (/var/cache/berth/debian): built once, then every create is a copy.
# The first run debootstraps two trees (about a minute each here); later runs copy the cache.
export BERTH_IT_SCRIPT_TIMEOUT=${BERTH_IT_SCRIPT_TIMEOUT:-1500}
. "$(dirname "$0")/lib.sh"

[ -z "${BERTH_SKIP_DEBIAN:-}" ] || it_fail_early "BERTH_SKIP_DEBIAN is set"
command -v debootstrap >/dev/null || it_fail_early "debootstrap is not installed"
# The Debian trees are large and reused across runs: the machine's cache, not the test's.
export BERTH_CACHE=${BERTH_DEBIAN_CACHE:-/var/cache/berth}
IT_CMD_TIMEOUT=900

sd=$(name deb)
t0=$(now_us)
require "create $sd -t debian (systemd)" berth create "$sd" -t debian -- --release bookworm
diag "create took $(ms_since "$t0") ms"
rootfs=$BERTH_STORE/$sd/rootfs
check "the tree is a Debian bookworm" grep -q 'VERSION_CODENAME=bookworm' "$rootfs/etc/os-release"
check_eq "machine-id is empty until the first boot" 0 "$(stat -c %s "$rootfs/etc/machine-id")"

t0=$(now_us)
check "start --wait returns once systemd reported READY=1" berth start "$sd" --wait --timeout 60
diag "boot to READY=1 took $(ms_since "$t0") ms"
check_eq "systemctl is-system-running: running" running \
        "$(berth attach "$sd" -- systemctl is-system-running 2>/dev/null)"
check_eq "no failed units" "" \
        "$(berth attach "$sd" -- systemctl --failed --no-legend --plain 2>/dev/null)"
uuid=$(cat "$BERTH_STORE/$sd/uuid" 2>/dev/null)
check_eq "machine-id seeded from container_uuid" "${uuid//-/}" \
        "$(berth attach "$sd" -- cat /etc/machine-id 2>/dev/null)"
check_eq "systemd detects a container (berth is not in its list of names)" container-other \
        "$(berth attach "$sd" -- systemd-detect-virt --container 2>/dev/null)"
check_eq "/run/host/container-manager" berth \
        "$(berth attach "$sd" -- cat /run/host/container-manager 2>/dev/null)"
check_eq "/run/host/os-release is the host's" "$(cat /etc/os-release)" \
        "$(berth attach "$sd" -- cat /run/host/os-release 2>/dev/null)"
check_match "console-getty runs on the console" "console-getty.service" \
        "$(berth attach "$sd" -- systemctl list-units --no-legend --plain 'console-getty*' 2>/dev/null)"
check_match "container-getty on the container_ttys" "container-getty@1.service" \
        "$(berth attach "$sd" -- systemctl list-units --no-legend --plain 'container-getty@*' 2>/dev/null)"
check "no getty on a fake VT" test ! -e "$rootfs/dev/tty1"
check "a login prompt on the console" wait_until 10 sh -c "'$BERTH_BIN' console '$sd' --log | grep -q 'login:'"
check_eq "/sys is read-only" ro \
        "$(berth attach "$sd" -- findmnt -no OPTIONS /sys 2>/dev/null | cut -d, -f1)"
check_match "/proc/sys is read-only" "^ro" \
        "$(berth attach "$sd" -- findmnt -no OPTIONS /proc/sys 2>/dev/null)"
# CAP_AUDIT_CONTROL is bit 30, CAP_AUDIT_WRITE 29, CAP_AUDIT_READ 37.
capbnd=$(berth attach "$sd" -- sed -n 's/^CapBnd:\t//p' /proc/1/status 2>/dev/null)
check_eq "the audit capabilities are not in init's bounding set" 0 \
        "$(( 0x${capbnd:-ffffffffffffffff} & ((1 << 29) | (1 << 30) | (1 << 37)) ))"

boot1=$(berth attach "$sd" -- cat /proc/sys/kernel/random/boot_id 2>/dev/null)
t0=$(now_us)
check "stop" berth stop "$sd"
ms=$(ms_since "$t0")
diag "clean stop took $ms ms"
check_le "the clean stop returns within 5 s ($ms ms)" "$ms" 5000
check_eq "STOPPED" STOPPED "$(state "$sd")"
check "no cgroup left after the stop" cg_gone "$sd"

check "start again" berth start "$sd" --wait --timeout 60
check_match "the journal of the previous boot ends with the shutdown" \
        "(Reached target .*(Power-Off|Halt|Shutdown))|(System is (powering down|halting))" \
        "$(berth attach "$sd" -- journalctl -b -1 --no-pager -q 2>/dev/null | tail -n 40)"

pid=$(init_pid "$sd")
check "systemctl reboot inside" berth attach "$sd" -- systemctl reboot
check "comes back with a new init" wait_until 30 sh -c "p=\$('$BERTH_BIN' info '$sd' 2>/dev/null | sed -n 's/^PID: *//p'); [ -n \"\$p\" ] && [ \"\$p\" != '$pid' ]"
check "and reaches running again" wait_until 30 sh -c "[ \"\$('$BERTH_BIN' attach '$sd' -- systemctl is-system-running 2>/dev/null)\" = running ]"
check "systemctl poweroff inside" berth attach "$sd" -- systemctl poweroff
check "the container stops" berth wait "$sd" STOPPED --timeout 30

# Readiness-aware stop: the halt signal sent before systemd can take it is not lost.
check "start (no wait)" berth start "$sd"
t0=$(now_us)
check "stop right after start" berth stop "$sd" --timeout 20
ms=$(ms_since "$t0")
check_le "stopped by the halt, not by the 20 s timeout ($ms ms)" "$ms" 15000

# sysvinit
sv=$(name sysv)
require "create $sv -t debian --init sysvinit" berth create "$sv" -t debian -- --release bookworm --init sysvinit
check_match "the config says sysvinit" "kind: sysvinit" "$(berth config "$sv" show)"
check "start" berth start "$sv"
check "it reaches runlevel 2" wait_until 30 sh -c "'$BERTH_BIN' attach '$sv' -- runlevel 2>/dev/null | grep -q ' 2\$'"
check "a getty on the console" wait_until 20 sh -c "'$BERTH_BIN' attach '$sv' -- ps -eo args 2>/dev/null | grep -q 'getty.*console'"
t0=$(now_us)
check "stop (SIGPWR: the halt runlevel)" berth stop "$sv"
ms=$(ms_since "$t0")
diag "sysvinit stop took $ms ms"
check_le "halted before the stop timeout ($ms ms)" "$ms" 25000
check_match "the halt ran: the console shows it" "(Will now halt|halt|Halting|Deconfiguring|Stopping)" \
        "$("$BERTH_BIN" console "$sv" --log 2>/dev/null)"

