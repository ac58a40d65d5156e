#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth.service under a real systemd: a privileged Debian guest (its systemd is PID 1 there) gets
# this build of berth and the generated unit, enabled; at its boot systemd starts the guest's own
# containers in autostart.order with their delays, and at its shutdown stops them in the reverse
# order, as the journal of the guest records. (A privileged guest can run berth nested; an
# unprivileged one cannot mount a fresh /proc for its containers.)
# A Debian guest boots twice and stops twice.
export BERTH_IT_SCRIPT_TIMEOUT=${BERTH_IT_SCRIPT_TIMEOUT:-600}
. "$(dirname "$0")/lib.sh"

command -v debootstrap >/dev/null || it_fail_early "debootstrap is not installed"
[ -x /bin/busybox ] || it_fail_early "no /bin/busybox (busybox-static) for the guest's busybox template"
export BERTH_CACHE=${BERTH_DEBIAN_CACHE:-/var/cache/berth}

g=$(name sysd)
printf 'privileged: true\ninit: {stop_timeout: 30}\n' >"$T/guest.yaml"
require "create $g (Debian, systemd, privileged)" \
        berth create "$g" -t debian --config "$T/guest.yaml" -- --release bookworm

# This build, laid out as it installs (prefix /usr/local), with the libraries it links.
unit=$BERTH_BUILDDIR/config/systemd/berth.service
require "the unit is built" test -f "$unit"
bindir=$(sed -n 's|^ExecStop=\(.*\)/berth autostart --stop$|\1|p' "$unit")
check_eq "the unit's commands are in the installed bindir" /usr/local/bin "$bindir"
L=$T/inst/usr/local
mkdir -p "$L/bin" "$L/libexec/berth" "$L/share/berth/templates"
cp "$BERTH_BIN" "$L/bin/berth"
cp "$BERTH_MONITOR" "$L/libexec/berth/berth-monitor"
cp "$BERTH_TEMPLATES_DIR/berth-busybox" "$BERTH_TEMPLATES_DIR/berth-debootstrap-common.sh" \
        "$L/share/berth/templates/"
require "install berth into the guest" berth cp "$L" "$g:/usr/"
for lib in $(ldd "$BERTH_BIN" "$BERTH_MONITOR" | awk '$3 ~ /^\// {print $3}' | sort -u); do
        check "the library $lib" berth cp -L "$lib" "$g:$lib"
done
check "busybox for the guest's busybox template" berth cp -L /bin/busybox "$g:/usr/bin/busybox"
check "the unit into /etc/systemd/system" berth cp "$unit" "$g:/etc/systemd/system/berth.service"

require "start $g" berth start "$g" --wait --timeout 120
in_g() { berth attach "$g" -- "$@"; }
# Two containers of the guest's own: b first (order 1, delay 1.5 s), then a (order 2).
check "create the guest's containers" in_g sh -c '
        printf "autostart: {enabled: true, order: 2}\ninit: {stop_timeout: 3}\n" >/tmp/a.yaml &&
        printf "autostart: {enabled: true, order: 1, delay: 1.5}\ninit: {stop_timeout: 3}\n" >/tmp/b.yaml &&
        berth -q create a -t busybox --config /tmp/a.yaml && berth -q create b -t busybox --config /tmp/b.yaml'
check "systemctl enable berth.service in the guest" in_g sh -c \
        'systemctl daemon-reload && systemctl enable berth.service'

# journal LINES: the guest's berth.service lines of a boot ("-b 0" or "-b -1"), as
# "MICROSECONDS MESSAGE".
journal() {
        in_g journalctl "$@" -u berth.service -o json --no-pager 2>/dev/null |
                "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["__REALTIME_TIMESTAMP"], e.get("MESSAGE", ""))'
}
at() { awk -v m="$2" '$0 ~ " " m "$" { print $1; exit }' <<<"$1"; }

require "stop $g" berth stop "$g"
require "start $g: systemd boots with the unit enabled" berth start "$g" --wait --timeout 120
check "the guest reaches running" in_g systemctl is-system-running --wait
check_eq "berth.service ran and stays active" active "$(in_g systemctl is-active berth.service)"
check_eq "systemd started both containers" "RUNNING RUNNING" \
        "$(in_g berth info b | sed -n 's/^State: *//p') $(in_g berth info a | sed -n 's/^State: *//p')"
boot=$(journal -b 0)
diag "$boot"
tb=$(at "$boot" "started b")
ta=$(at "$boot" "started a")
check "the journal has both starts" test -n "$tb" -a -n "$ta"
check_le "b (order 1) before a (order 2)" "${tb:-1}" "${ta:-0}"
check_le "b's 1.5 s delay before a ($(((${ta:-0} - ${tb:-0}) / 1000)) ms)" 1500000 $((${ta:-0} - ${tb:-0}))

require "stop $g: systemd shuts down" berth stop "$g"
require "start $g again" berth start "$g" --wait --timeout 120
last=$(journal -b -1)
diag "$last"
sa=$(at "$last" "stopped a")
sb=$(at "$last" "stopped b")
check "at shutdown the unit's ExecStop stopped both" test -n "$sa" -a -n "$sb"
check_le "a (started last) stopped first" "${sa:-1}" "${sb:-0}"
check "stop $g" berth stop "$g"
