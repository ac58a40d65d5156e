#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Networking of whole containers through berth itself: a Debian guest with nginx reaches
# "running" within seconds with 'network: none' (no two-minute wait for a network that is not
# there) and on berth's bridge, where it gets its address by DHCP from dnsmasq, resolves another
# container as NAME.berth, is resolved by the host, and answers on its published port. A
# privileged busybox container with a static address shares the bridge. The bridge is a test
# instance (its own name, subnet and uplink, never the machine's berth0); the host's links,
# addresses, nft ruleset and dnsmasq processes are the same before and after, also when a
# monitor was SIGKILLed mid-run.
export BERTH_IT_SCRIPT_TIMEOUT=${BERTH_IT_SCRIPT_TIMEOUT:-1500}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net-lib.sh"

[ -z "${BERTH_SKIP_DEBIAN:-}" ] || it_fail_early "BERTH_SKIP_DEBIAN is set"
command -v debootstrap >/dev/null || it_fail_early "debootstrap is not installed"
for p in nft dnsmasq ip; do
        command -v "$p" >/dev/null || it_fail_early "$p not installed"
done
[ -x "${BERTH_NET_HELPER:-}" ] || it_fail_early "BERTH_NET_HELPER not set (run via make check)"
BB=$(command -v busybox) || it_fail_early "busybox not installed"
export BERTH_CACHE=${BERTH_DEBIAN_CACHE:-/var/cache/berth}
IT_CMD_TIMEOUT=900

id=$(($$ % 100000))
k=$(($$ % 200 + 20))
BR=bd$id UPL=bu$id UPP=bv$id
NET=10.221.$k
ip -o addr | grep -q " $NET\." && it_fail_early "the test subnet $NET.0/24 is in use on this host"

net_cleanup() {
        local n
        for n in $(ls "$BERTH_STORE" 2>/dev/null); do
                timeout 60 "$BERTH_BIN" stop --kill "$n" >/dev/null 2>&1
        done
        timeout 60 "$BERTH_BIN" network down --force >/dev/null 2>&1
        net_guard_down "$UPL" "berth-test-guard-$id"
        return 0
}
IT_TEARDOWN_HOOKS+=(net_cleanup)

before=$(net_host_state)
require "create the test uplink and the guard table" \
        net_guard_up "$BR" "$UPL" "$UPP" "berth-test-guard-$id"
during=$(net_host_state)

# The global config of this test: the managed bridge is the test's, and new containers get
# eth0 on it with DHCP (as the shipped berth.yaml gives berth0).
cat >"$BERTH_CONFIG" <<EOF
defaults:
  network: [{type: veth, bridge: $BR, name: eth0, dhcp: true}]
network:
  bridge: $BR
  ipv4: $NET.1/24
  dhcp_range: $NET.100-$NET.199
  uplink: $UPL
  dns_upstream: false
EOF

# ---- network: none: no wait for a network that is not there ----
printf 'network: none\n' >"$T/none.yaml"
nn=$(name none)
require "create $nn (debian, nginx, network: none)" \
        berth create "$nn" -t debian --config "$T/none.yaml" -- --release bookworm --packages nginx
t0=$(now_us)
check "start --wait" berth start "$nn" --wait --timeout 120
ms=$(ms_since "$t0")
check_eq "network: none: running (not starting, not degraded)" running \
        "$(berth attach "$nn" -- systemctl is-system-running --wait 2>/dev/null)"
ms=$(ms_since "$t0")
check_le "and within seconds (took $ms ms, the wait-online timeout is 120 s)" "$ms" 20000
check_eq "nginx runs" active "$(berth attach "$nn" -- systemctl is-active nginx 2>/dev/null)"
check_eq "loopback only" "lo" "$(berth attach "$nn" -- ls /sys/class/net 2>/dev/null)"
check "stop" berth stop "$nn"

# ---- on berth's bridge ----
probe=$(name probe)
printf 'network: [{type: veth, bridge: %s, ipv4: %s.20/24, gateway: %s.1}]\n' "$BR" "$NET" "$NET" \
        >"$T/static.yaml"
require "create $probe (busybox, static address)" create_busybox "$probe" --config "$T/static.yaml"
if ! berth start "$probe" >"$T/probe.err" 2>&1; then
        if grep -q "not supported" "$T/probe.err"; then
                skip "the rest: veth, DHCP, DNS and published ports on berth's bridge" \
                        "this berth refuses veth at start (the monitor is not wired to the network yet)"
                check_eq "the host as before the test" "$before" "$(net_cleanup; net_host_state)"
                exit 0
        fi
        fail "start $probe"
        diag_file "$T/probe.err"
        exit 1
fi
pass "start $probe: the managed bridge came up with it"
check_eq "berth network status: up" "State: up" "$(berth network status | grep '^State:')"
check_match "the probe has its static address" "eth0 $NET.20/24" "$(berth info "$probe")"

printf 'privileged: true\n' >>"$T/static.yaml"
priv=$(name priv)
sed -i "s/$NET.20/$NET.21/" "$T/static.yaml"
require "create $priv (busybox, privileged)" create_busybox "$priv" --config "$T/static.yaml"
check "start $priv" berth start "$priv"
check "the unprivileged probe pings the privileged one" berth attach "$probe" -- ping -c 1 -W 2 "$NET.21"

dn=$(name deb)
printf 'publish: ["%s:80"]\n' $((23000 + k)) >"$T/deb.yaml"
require "create $dn (debian, nginx, the default network)" \
        berth create "$dn" -t debian --config "$T/deb.yaml" -- --release bookworm --packages nginx
check_match "its config got eth0 on the bridge from the global defaults" "bridge: $BR" \
        "$(berth config "$dn" show)"
t0=$(now_us)
check "start --wait" berth start "$dn" --wait --timeout 120
check_eq "on the bridge: running (not degraded)" running \
        "$(berth attach "$dn" -- systemctl is-system-running --wait 2>/dev/null)"
ms=$(ms_since "$t0")
check_le "and within seconds (took $ms ms)" "$ms" 20000
reserved=$(sed -n 's/.* ipv4=\([0-9.]*\)\/24 .*dhcp=1.*/\1/p' "$BERTH_RUNDIR/$dn/net.plan")
check_match "a reservation in the DHCP range" "^$NET\.1[0-9][0-9]$" "$reserved"
check_match "the guest got it from dnsmasq (live, read in its namespace)" "eth0 $reserved/24" \
        "$(berth info "$dn")"
check_match "berth info --json has the addresses" "\"addresses\": \\[\"eth0 $reserved/24\"" \
        "$(berth info "$dn" --json)"
check_match "the guest resolves the probe as NAME.berth" "^$NET.20 " \
        "$(berth attach "$dn" -- getent hosts "$probe.berth" 2>/dev/null)"
check_match "and by its bare name" "^$NET.20 " \
        "$(berth attach "$dn" -- getent hosts "$probe" 2>/dev/null)"
check "the host resolves the guest through dnsmasq" \
        sh -c "'$BB' nslookup '$dn.berth' $NET.1 | grep -q 'Address: $reserved'"
check_match "nginx answers on the published port" "Welcome to nginx" \
        "$(timeout 10 "$BB" wget -q -O - "http://127.0.0.1:$((23000 + k))/" 2>&1)"
check_match "berth network status lists the guest" "$dn $reserved" "$(berth network status)"

# ---- the monitor SIGKILLed mid-run ----
mon=$(monitor_pids "$dn")
mon=${mon%%$'\n'*}
pid=$(init_pid "$dn")
kill -9 "$mon"
check "the monitor dies" wait_until 5 pid_dead "$mon"
check "the guest keeps running and answering" \
        sh -c "timeout 10 '$BB' wget -q -O - 'http://127.0.0.1:$((23000 + k))/' | grep -q nginx"
check "stop takes it back and stops it" berth stop "$dn"
check "no host veth of it left" sh -c "! ip -d -o link | grep -q 'alias berth:$dn'"
check "no port table of it left" sh -c "! nft list tables | grep -q 'berth-c-$dn'"
check "no DNS name of it left" test ! -e "$BERTH_RUNDIR/.net/$BR/hosts/$dn"

# ---- and a crash of monitor and init together: the next start cleans up ----
check "start the probe's neighbour again" berth start "$dn" --wait --timeout 120
mon=$(monitor_pids "$dn")
mon=${mon%%$'\n'*}
pid=$(init_pid "$dn")
kill -9 "$mon" "$pid"
check "both gone" wait_until 5 pid_dead "$pid"
check "a start after the crash works (it removed what the dead run left)" \
        berth start "$dn" --wait --timeout 120
check "and the guest is on the bridge again" \
        sh -c "'$BB' nslookup '$dn.berth' $NET.1 | grep -q 'Address: $reserved'"

for n in "$dn" "$probe" "$priv"; do
        check "stop $n" berth stop "$n"
done
check "network down" berth network down
check_eq "links, addresses, nft ruleset and dnsmasq as before the network" "$during" "$(net_host_state)"
net_cleanup
check_eq "the host as before the test" "$before" "$(net_host_state)"
