#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm/vm.sh: the cgroup v2 integration suite, run by make check (a TAP test).
#
# Builds the guest (tests/vm/build-guest.sh: Debian's stock kernel, cached in
# /var/cache/berth-vm, and an initramfs with the built berth), boots it under qemu with
# cgroup v2 only, and relays each TAP line the guest's tests/vm/guest-tests.sh reports on its
# second serial port as one of its own results, prefixed "vm: ". A guest that fails, crashes,
# or does not finish within BERTH_VM_TIMEOUT seconds (default 480) fails this test, and the
# guest's console log is shown. Nothing is left behind but the cache.
#
# Skips when not root, with BERTH_SKIP_VM=1 or BERTH_SKIP_INTEGRATION=1, or when qemu or the
# kernel cannot be had. Knobs: BERTH_VM_TIMEOUT, BERTH_VM_CACHE, BERTH_VM_KERNEL,
# BERTH_VM_MEM (MiB, default 1024), BERTH_VM_CPUS (default 2), BERTH_VM_KVM=1 (use KVM instead
# of TCG), BERTH_VM_KEEP=1 (keep the temporary directory for debugging).

set -uo pipefail

skip_all() {
        echo "1..0 # SKIP $*"
        exit 0
}

[ "${BERTH_SKIP_VM:-0}" = 1 ] && skip_all "BERTH_SKIP_VM=1"
[ "${BERTH_SKIP_INTEGRATION:-0}" = 1 ] && skip_all "BERTH_SKIP_INTEGRATION=1"
[ "$(id -u)" = 0 ] || skip_all "the VM test needs root (it downloads a kernel with apt)"
if [ -z "${BERTH_BUILDDIR:-}" ] || [ -z "${BERTH_SRCDIR:-}" ]; then
        skip_all "BERTH_BUILDDIR or BERTH_SRCDIR not set (run via make check)"
fi
[ "$(uname -m)" = x86_64 ] || skip_all "the guest is x86_64 only"
QEMU=$(command -v qemu-system-x86_64) || skip_all "qemu-system-x86_64 not found (install qemu-system-x86)"

VM_TIMEOUT=${BERTH_VM_TIMEOUT:-480}
PREFIX="berth-vm-tap:"
here=$BERTH_SRCDIR/tests/vm

T=$(mktemp -d /tmp/berth-vm.XXXXXX) || skip_all "mktemp failed"
qemu_pid=
N=0
FAILED=0

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
        if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
                kill "$qemu_pid" 2>/dev/null
                for _ in $(seq 50); do
                        kill -0 "$qemu_pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -9 "$qemu_pid" 2>/dev/null
                wait "$qemu_pid" 2>/dev/null
        fi
        if [ "${BERTH_VM_KEEP:-0}" = 1 ]; then
                echo "# kept $T" >&2
        else
                rm -rf -- "$T"
        fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() {
        N=$((N + 1))
        echo "ok $N - $1"
}
fail() {
        N=$((N + 1))
        FAILED=$((FAILED + 1))
        echo "not ok $N - $1"
}
diag() {
        local l
        while IFS= read -r l; do
                echo "# $l"
        done <<<"$*"
}
show_file() { # title file [lines]
        echo "# ---- $1 ----"
        if [ -s "$2" ]; then
                tr -d '\r' <"$2" | tail -n "${3:-400}" | sed 's/^/#   | /'
        else
                echo "#   (empty)"
        fi
}

# ---- build the guest -------------------------------------------------------------------------

t0=$SECONDS
"$here/build-guest.sh" "$T/guest" >"$T/build.log" 2>&1
rc=$?
if [ $rc = 77 ]; then
        skip_all "cannot build the guest: $(tail -n 1 "$T/build.log")"
fi
if [ $rc != 0 ]; then
        fail "host: build the guest image"
        show_file "build-guest.sh output" "$T/build.log" 60
        echo "1..$N"
        exit 0
fi
pass "host: build the guest image ($((SECONDS - t0)) s)"
diag "$(tail -n 1 "$T/build.log")"

# ---- boot ------------------------------------------------------------------------------------

# TCG by default: KVM is not always usable even where /dev/kvm exists (nested guests).
# shellcheck disable=SC2054 # the commas belong to qemu's option values
accel=(-accel tcg,thread=multi -cpu max)
if [ "${BERTH_VM_KVM:-0}" = 1 ]; then
        accel=(-accel kvm -cpu host)
fi
console=$T/console.log
results=$T/results.log
: >"$console"
: >"$results"
# apparmor=0: the guest has no profiles loaded; this suite is about cgroups.
cmdline="console=ttyS0 panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
cmdline="$cmdline apparmor=0 loglevel=4 oops=panic"
t0=$SECONDS
"$QEMU" "${accel[@]}" -machine q35 -smp "${BERTH_VM_CPUS:-2}" \
        -m "${BERTH_VM_MEM:-1024}" -nodefaults -no-user-config -display none -nic none \
        -no-reboot -kernel "$T/guest/vmlinuz" -initrd "$T/guest/initrd.img" -append "$cmdline" \
        -drive "file=$T/guest/store.img,if=virtio,format=raw,cache=unsafe" \
        -serial "file:$console" -serial "file:$results" </dev/null >"$T/qemu.log" 2>&1 &
qemu_pid=$!

timed_out=false
while kill -0 "$qemu_pid" 2>/dev/null; do
        if [ $((SECONDS - t0)) -ge "$VM_TIMEOUT" ]; then
                timed_out=true
                break
        fi
        sleep 0.5
done
if $timed_out; then
        kill "$qemu_pid" 2>/dev/null
fi
wait "$qemu_pid" 2>/dev/null
qemu_rc=$?
qemu_pid=
vm_secs=$((SECONDS - t0))

# ---- relay the guest's results ---------------------------------------------------------------

plan=
guest_n=0
bailed=
while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        "$PREFIX "*) line=${line#"$PREFIX "} ;;
        *) continue ;;
        esac
        if [[ $line =~ ^(not\ )?ok\ [0-9]+\ *-?\ *(.*)$ ]]; then
                guest_n=$((guest_n + 1))
                if [ -n "${BASH_REMATCH[1]}" ]; then
                        fail "vm: ${BASH_REMATCH[2]}"
                else
                        # A "# SKIP why" directive stays at the end of the description.
                        pass "vm: ${BASH_REMATCH[2]}"
                fi
        elif [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
                plan=${BASH_REMATCH[1]}
        elif [[ $line == "Bail out!"* ]]; then
                bailed=${line#Bail out!}
        elif [[ $line == "#"* ]]; then
                echo "$line"
        fi
done <"$results"

diag "vm: the guest ran for $vm_secs s (qemu exit status $qemu_rc)"
if $timed_out; then
        fail "host: the guest finishes within $VM_TIMEOUT s"
else
        pass "host: the guest finishes within $VM_TIMEOUT s (took $vm_secs s)"
fi
if [ -n "$bailed" ]; then
        fail "host: the guest did not bail out"
        diag "guest: Bail out!$bailed"
fi
if [ -n "$plan" ] && [ "$plan" = "$guest_n" ] && [ "$guest_n" -gt 0 ]; then
        pass "host: the guest reported all of its $plan results"
else
        fail "host: the guest reported all of its results"
        diag "  the guest planned '${plan:-nothing}' and reported $guest_n"
fi
if grep -q 'Kernel panic' "$console"; then
        fail "host: the guest kernel did not panic"
fi

if [ "$FAILED" != 0 ]; then
        show_file "qemu output" "$T/qemu.log" 40
        show_file "guest console log (tail)" "$console" 400
fi

echo "1..$N"
exit 0
