#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Networking on this machine only: a test bridge and subnet of its own (never berth0), an uplink
# that is a veth pair the test makes (so masquerading never reaches a real NIC), and a guard
# table dropping anything forwarded from the test bridge elsewhere. The network calls are driven
# by tests/lib/net-driver exactly as the monitor makes them (setup with init waiting in its new
# namespace, teardown with the namespace fd kept), for unprivileged (user namespace) and
# privileged containers. Afterwards the host's links, addresses, nft ruleset and dnsmasq
# processes are what they were before, also after a "monitor" was SIGKILLed mid-run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/net-lib.sh"

DRIVER=$BERTH_BUILDDIR/net-driver
[ -x "$DRIVER" ] || it_fail_early "net-driver not built (run via make check)"
[ -x "${BERTH_NET_HELPER:-}" ] || it_fail_early "BERTH_NET_HELPER not set (run via make check)"
for p in nft dnsmasq ip nsenter; do
        command -v "$p" >/dev/null || it_fail_early "$p not installed"
done
BB=$(command -v busybox) || it_fail_early "busybox not installed"

# Names and a subnet of this run: short enough for IFNAMSIZ, apart from every other run.
id=$(($$ % 100000))
k=$(($$ % 200 + 20))
BR=bt$id UPL=bu$id UPP=bv$id MVL=bm$id MVP=bn$id PHY=bx$id PHP=by$id
NET=10.213.$k
MVNET=10.214.$k
if ip -o addr | grep -q " $NET\.\| $MVNET\."; then
        it_fail_early "the test subnets $NET.0/24 or $MVNET.0/24 are in use on this host"
fi
NETOPTS=(--bridge "$BR" --ipv4 "$NET.1/24" --dhcp-range "$NET.100,$NET.199" --uplink "$UPL"
        --ipv6 "fd42:$k::1/64" --no-dns-upstream)
drv() { timeout -k 5 60 "$DRIVER" "${NETOPTS[@]}" "$@" 3>&-; }


declare -A DRV CPID
# start_c NAME CONFIG [--userns]: runs "busybox sleep" as the container's init through the
# driver; CPID[NAME] is its pid once its network is up.
start_c() {
        local n=$1 cfg=$2
        shift 2
        drv run "$@" "$BERTH_RUNDIR" "$n" "$cfg" -- "$BB" sleep 600 >"$T/$n.out" 2>"$T/$n.err" &
        DRV[$n]=$!
        IT_BG_PIDS+=("$!")
        if ! wait_until 15 grep -q '^ready' "$T/$n.out"; then
                # (check shows our stderr when this fails)
                cat "$T/$n.err" >&2
                return 1
        fi
        CPID[$n]=$(awk '/^ready/{ print $2 }' "$T/$n.out")
}
# stop_c NAME: init exits; the driver tears the network down and exits.
stop_c() {
        kill "${CPID[$1]}" 2>/dev/null
        wait "${DRV[$1]}" 2>/dev/null
        [ ! -s "$T/$1.err" ] || { cat "$T/$1.err" >&2; return 1; }
}
in_c() {
        local n=$1
        shift
        nsenter -t "${CPID[$n]}" -n "$@"
}
net_cleanup() {
        local n
        for n in "${!CPID[@]}"; do
                kill -9 "${CPID[$n]}" 2>/dev/null
        done
        for n in "${!DRV[@]}"; do
                wait "${DRV[$n]}" 2>/dev/null
                "$DRIVER" cleanup "$BERTH_RUNDIR" "$n" >/dev/null 2>&1
        done
        [ -n "${HTTPD:-}" ] && kill "$HTTPD" 2>/dev/null
        "$DRIVER" "${NETOPTS[@]}" down --force "$BERTH_RUNDIR" >/dev/null 2>&1
        ip link del "$MVL" 2>/dev/null
        ip link del "$PHY" 2>/dev/null
        net_guard_down "$UPL" "berth-test-guard-$id"
        [ -n "${FWD_BEFORE:-}" ] && echo "$FWD_BEFORE" >/proc/sys/net/ipv4/ip_forward
        return 0
}
IT_TEARDOWN_HOOKS+=(net_cleanup)

before=$(net_host_state)
FWD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)

# The test's own links: the uplink and guard (net-lib.sh), a macvlan parent, and a link to move
# in as a "phys" NIC.
require "create the test uplink and the guard table" \
        net_guard_up "$BR" "$UPL" "$UPP" "berth-test-guard-$id"
require "create the macvlan parent" ip link add "$MVL" type veth peer name "$MVP"
require "bring the macvlan parent up" sh -c "ip link set '$MVL' up && ip link set '$MVP' up"
require "create the link to move in" ip link add "$PHY" type veth peer name "$PHP"
require "bring it up" ip link set "$PHY" up
during=$(net_host_state)

# ---- the network ----
# A runtime dir dnsmasq (unprivileged) cannot reach: a clear error, and nothing half made.
mkdir -m 700 "$T/closed"
check_match "up refuses a runtime dir dnsmasq cannot reach" \
        "'$T/closed' \(mode 0700\) keeps dnsmasq, which runs unprivileged, out of" \
        "$(drv up "$T/closed/run" 2>&1)"
check_eq "and leaves nothing behind" "$during" "$(net_host_state)"
require "network up" drv up "$BERTH_RUNDIR"
check_match "the bridge has its address" "inet $NET.1/24" "$(ip -o addr show dev "$BR")"
check_match "the bridge carries berth's alias" "alias berth:network" "$(ip -d link show "$BR")"
check_match "and its IPv6 address" "inet6 fd42:$k::1/64" "$(ip -o addr show dev "$BR")"
dir=$BERTH_RUNDIR/.net/$BR
dns_pid=$(cat "$dir/dnsmasq.pid" 2>/dev/null)
check "dnsmasq runs" pid_alive "$dns_pid"
check_match "dnsmasq serves this bridge only" "--conf-file=$dir/dnsmasq.conf" "$(cmdline_of "$dns_pid")"
check_match "the masquerade table is loaded, towards the test uplink only" \
        "oifname \"$UPL\" masquerade" "$(nft list table inet "berth-n-$BR")"
check_eq "forwarding on the test uplink" 1 "$(cat "/proc/sys/net/ipv4/conf/$UPL/forwarding")"
check_eq "the host's ip_forward untouched with an uplink named" "$FWD_BEFORE" \
        "$(cat /proc/sys/net/ipv4/ip_forward)"
check "network up again is a no-op" drv up "$BERTH_RUNDIR"
check_eq "the same dnsmasq after a second up" "$dns_pid" "$(cat "$dir/dnsmasq.pid" 2>/dev/null)"
check_match "status: up, dnsmasq, nft" "^bridge $BR up 1 dnsmasq $dns_pid nft 1$" \
        "$(drv status "$BERTH_RUNDIR")"

# ---- two containers with static addresses, one privileged, one in a user namespace ----
a=$(name a) b=$(name b) d=$(name d)
cat >"$T/a.yaml" <<EOF
network: [{type: veth, bridge: $BR, ipv4: $NET.10/24, gateway: $NET.1}]
publish: ["127.0.0.1:$((18000 + k)):80", "$((19000 + k)):80"]
EOF
cat >"$T/b.yaml" <<EOF
network: [{type: veth, bridge: $BR, name: host0, ipv4: $NET.11/24, gateway: $NET.1, ipv6: "fd42:$k::11/64"}]
EOF
t0=$(now_us)
require "start a (privileged)" start_c "$a" "$T/a.yaml"
diag "setup of a: $(ms_since "$t0") ms (driver start to ready, with the helper)"
require "start b (user namespace)" start_c "$b" "$T/b.yaml" --userns
check_ne "b is in a user namespace of its own" "$(readlink /proc/self/ns/user)" \
        "$(readlink "/proc/${CPID[$b]}/ns/user")"
check_match "a: eth0 has its address inside" "inet $NET.10/24" "$(in_c "$a" ip -o addr show eth0)"
check_match "a: default route through the bridge" "default via $NET.1 dev eth0" "$(in_c "$a" ip route)"
check_match "a: loopback is up" "UP" "$(in_c "$a" ip -o link show lo)"
check_match "b: the configured interface name" "host0" "$(in_c "$b" ip -o link show)"
check_match "b: its IPv6 address, usable at once (no DAD)" "inet6 fd42:$k::11/64 scope global nodad" \
        "$(in_c "$b" ip -o addr show host0)"
# (nsenter -n keeps the host's /sys: links are read through netlink, with ip.)
mac_of() { in_c "$1" ip -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p'; }
check_match "a: a locally administered MAC" '^[0-9a-f][26ae]:' "$(mac_of "$a" eth0)"
host_a=$(awk '/^iface/{ for (i = 1; i <= NF; i++) if ($i ~ /^host=/) print substr($i, 6) }' \
        "$BERTH_RUNDIR/$a/net.plan")
check_match "a: its host veth is on the bridge, named from the container" \
        "master $BR" "$(ip -o link show "$host_a")"
check "a pings b" in_c "$a" "$BB" ping -c 1 -W 2 "$NET.11"
check "b pings a" in_c "$b" "$BB" ping -c 1 -W 2 "$NET.10"
check "a pings the host (the bridge)" in_c "$a" "$BB" ping -c 1 -W 2 "$NET.1"
check "the host pings b" "$BB" ping -c 1 -W 2 "$NET.11"
check_eq "live addresses of b, read in its namespace" "host0 $NET.11/24
host0 fd42:$k::11/64" "$("$DRIVER" addresses "${CPID[$b]}")"
check_eq "the driver kept its own namespace while reading them" \
        "$(readlink /proc/self/ns/net)" "$(readlink /proc/$$/ns/net)"

check "a takes an IPv6 address from the bridge's router advertisements (SLAAC)" \
        wait_until 15 sh -c "nsenter -t ${CPID[$a]} -n ip -6 -o addr show dev eth0 scope global | grep -q 'inet6 fd42:$k::'"

# ---- DNS: every running container by name, from the host and from the others ----
check "the host resolves a.berth through dnsmasq" \
        wait_until 5 sh -c "'$BB' nslookup '$a.berth' $NET.1 | grep -q 'Address: $NET.10'"
check "the host resolves the bare name b" \
        wait_until 5 sh -c "'$BB' nslookup '$b' $NET.1 | grep -q 'Address: $NET.11'"
check_match "b resolves a.berth" "Address: $NET.10" \
        "$(in_c "$b" "$BB" nslookup "$a.berth" "$NET.1" 2>&1)"
check_match "b's IPv6 address is in DNS too" "Address: fd42:$k::11" \
        "$("$BB" nslookup -type=AAAA "$b.berth" "$NET.1" 2>&1)"

# ---- published ports: busybox httpd inside a answers on the host ----
mkdir -p "$T/www" && echo "hello from $a" >"$T/www/index.html"
nsenter -t "${CPID[$a]}" -n "$BB" httpd -f -p 80 -h "$T/www" &
HTTPD=$!
check "httpd runs in a" wait_until 5 in_c "$a" timeout 2 "$BB" wget -q -O /dev/null http://127.0.0.1/
check_eq "the port published on 127.0.0.1 answers from the host" "hello from $a" \
        "$(timeout 5 "$BB" wget -q -O - "http://127.0.0.1:$((18000 + k))/" 2>&1)"
check_eq "the port published on every address answers on the bridge address" "hello from $a" \
        "$(timeout 5 "$BB" wget -q -O - "http://$NET.1:$((19000 + k))/" 2>&1)"
check_eq "b reaches a's published port through the host (hairpin)" "hello from $a" \
        "$(in_c "$b" timeout 5 "$BB" wget -q -O - "http://$NET.1:$((19000 + k))/" 2>&1)"
check_match "the DNAT rules are in a's own table" "dnat ip to $NET.10:80" \
        "$(nft list table inet "berth-c-$a")"

# ---- DHCP: a reserved address, handed out by dnsmasq ----
cat >"$T/d.yaml" <<EOF
network: [{type: veth, bridge: $BR, dhcp: true}]
publish: ["$((20000 + k)):80/udp"]
EOF
require "start d (DHCP, user namespace)" start_c "$d" "$T/d.yaml" --userns
reserved=$(sed -n 's/.* ipv4=\([0-9.]*\)\/24 .*dhcp=1.*/\1/p' "$BERTH_RUNDIR/$d/net.plan")
check_match "d has a reservation in the DHCP range" "^$NET\.1[0-9][0-9]$" "$reserved"
check_eq "d has no address before its client asks" "" \
        "$(in_c "$d" ip -o -4 addr show eth0)"
check_match "d's DHCP client gets the reserved address" "lease of $reserved obtained" \
        "$(in_c "$d" timeout 10 "$BB" udhcpc -i eth0 -n -q -f -s /bin/true 2>&1)"
check_match "dnsmasq leased it to d's MAC" "$(mac_of "$d" eth0) $reserved" \
        "$(cat "$dir/leases")"
check "the host resolves d.berth to the reservation" \
        wait_until 5 sh -c "'$BB' nslookup '$d.berth' $NET.1 | grep -q 'Address: $reserved'"

# ---- bad input: a clear error before start, nothing created ----
mid=$(net_host_state)
bad() { # DESC YAML EXPECTED-MESSAGE
        printf '%s\n' "$2" >"$T/bad.yaml"
        local out
        out=$(drv run "$BERTH_RUNDIR" "$(name bad)" "$T/bad.yaml" -- "$BB" true 2>&1)
        check_match "$1" "^net-driver: $3" "$out"
        check_eq "$1: nothing created" "$mid" "$(net_host_state)"
        check "$1: no record left" test ! -e "$BERTH_RUNDIR/$(name bad)/net.plan"
}
bad "an unknown bridge" "network: [{type: veth, bridge: nosuch$id}]" \
        "interface 'eth0': unknown bridge 'nosuch$id'"
bad "an address outside the bridge's subnet" \
        "network: [{type: veth, bridge: $BR, ipv4: 10.215.$k.5/24}]" \
        "interface 'eth0': address 10.215.$k.5 is outside the subnet $NET.0/24 of bridge '$BR'"
bad "an IPv6 address outside the bridge's prefix" \
        "network: [{type: veth, bridge: $BR, ipv6: \"fd43:$k::5/64\"}]" \
        "interface 'eth0': address fd43:$k::5 is outside the subnet fd42:$k::/64 of bridge '$BR'"
bad "a duplicate static address" "network: [{type: veth, bridge: $BR, ipv4: $NET.10/24}]" \
        "interface 'eth0': address $NET.10 is used by container '$a'"
bad "the bridge's own address" "network: [{type: veth, bridge: $BR, ipv4: $NET.1/24}]" \
        "interface 'eth0': address $NET.1 is the bridge's own"
bad "a port another container publishes" \
        "network: [{type: veth, bridge: $BR, ipv4: $NET.20/24}]
publish: [\"$((19000 + k)):8080\"]" \
        "publish '$((19000 + k)):8080/tcp': host port $((19000 + k)) is published by container '$a'"
"$BB" nc -l -p $((21000 + k)) >/dev/null 2>&1 &
LISTENER=$!
IT_BG_PIDS+=("$LISTENER")
wait_until 5 sh -c "ss -ltn | grep -q ':$((21000 + k)) '"
bad "a port a host process listens on" \
        "network: [{type: veth, bridge: $BR, ipv4: $NET.20/24}]
publish: [\"$((21000 + k)):80\"]" \
        "publish '$((21000 + k)):80/tcp': host port $((21000 + k)) is taken"
kill "$LISTENER" 2>/dev/null
bad "an unknown macvlan parent" "network: [{type: macvlan, link: nosuch$id}]" \
        "interface 'eth0': unknown host interface 'nosuch$id'"
ip link add "vb-$(name bad)" type veth peer name "bw$id" 2>/dev/null
mid=$(net_host_state)
bad "a host interface name that is taken" "network: [{type: veth, bridge: $BR}]" \
        "interface 'eth0': host interface 'vb-$(name bad)' exists already"
ip link del "vb-$(name bad)"
mid=$(net_host_state)

# ---- macvlan (bridge mode) between two containers ----
m1=$(name m1) m2=$(name m2)
printf 'network: [{type: macvlan, link: %s, ipv4: %s.1/24}]\n' "$MVL" "$MVNET" >"$T/m1.yaml"
printf 'network: [{type: macvlan, link: %s, ipv4: %s.2/24}]\n' "$MVL" "$MVNET" >"$T/m2.yaml"
require "start m1 (macvlan)" start_c "$m1" "$T/m1.yaml"
require "start m2 (macvlan, user namespace)" start_c "$m2" "$T/m2.yaml" --userns
check_match "m1's macvlan is in bridge mode on the test parent" "macvlan mode bridge" \
        "$(in_c "$m1" ip -d link show eth0)"
check "m1 pings m2 over the macvlan" in_c "$m1" "$BB" ping -c 1 -W 2 "$MVNET.2"
check "nothing of the macvlans on the host" sh -c "! ip -o -d link | grep -q 'macvlan'"
require "stop m1" stop_c "$m1"
require "stop m2" stop_c "$m2"

# ---- a NIC moved in and given back (a veth end stands in for the NIC) ----
x=$(name x)
printf 'network: [{type: phys, link: %s, name: lan0, ipv4: 10.216.%s.2/24, hwaddr: "02:00:00:00:%02x:01", mtu: 1400}]\n' \
        "$PHY" "$k" "$k" >"$T/x.yaml"
phy_mac=$(cat "/sys/class/net/$PHY/address")
require "start x (phys)" start_c "$x" "$T/x.yaml" --userns
check "the NIC left the host" test ! -e "/sys/class/net/$PHY"
check_match "it is lan0 inside, with the configured MAC and MTU" \
        "lan0.*mtu 1400.*link/ether 02:00:00:00:$(printf %02x "$k"):01" \
        "$(in_c "$x" ip -o link show lan0)"
# Container root renames it: it still goes back (found by its index).
check "container root renames the NIC" \
        in_c "$x" sh -c "ip link set lan0 down && ip link set lan0 name other0"
require "stop x" stop_c "$x"
check "the NIC is back under its own name" test -e "/sys/class/net/$PHY"
check_eq "with its own MAC" "$phy_mac" "$(cat "/sys/class/net/$PHY/address" 2>/dev/null)"
check_match "its own MTU again" "mtu 1500 " "$(ip -o link show "$PHY")"
check_match "and up again" "<[^>]*,UP[,>]" "$(ip -o link show "$PHY")"

# ---- the "monitor" SIGKILLed mid-run: the container lives on, then the next command cleans ----
e=$(name e)
printf 'network: [{type: veth, bridge: %s, ipv4: %s.30/24}]\npublish: ["%s:80"]\n' \
        "$BR" "$NET" $((22000 + k)) >"$T/e.yaml"
require "start e" start_c "$e" "$T/e.yaml"
kill -9 "${DRV[$e]}"
wait "${DRV[$e]}" 2>/dev/null
check "e's init survives its monitor" pid_alive "${CPID[$e]}"
check "e is still reachable" "$BB" ping -c 1 -W 2 "$NET.30"
check_match "cleanup refuses while e's init runs" "init ${CPID[$e]} still runs" \
        "$("$DRIVER" cleanup "$BERTH_RUNDIR" "$e" 2>&1)"
check "and removed nothing" nft list table inet "berth-c-$e"
kill -9 "${CPID[$e]}"
check "e's init is gone" wait_until 5 pid_dead "${CPID[$e]}"
check_eq "the next command removes what the dead container left" cleaned \
        "$("$DRIVER" cleanup "$BERTH_RUNDIR" "$e" 2>&1)"
check "e's host veth is gone" sh -c "! ip -o link | grep -q 'berth:$e'"
check "e's nft table is gone" sh -c "! nft list tables | grep -q 'berth-c-$e\$'"
check "e's DNS name is gone" test ! -e "$dir/hosts/$e"
check "e's record is gone" test ! -e "$BERTH_RUNDIR/$e/net.plan"
check_eq "a second cleanup finds nothing" "" "$("$DRIVER" cleanup "$BERTH_RUNDIR" "$e" 2>&1)"
unset 'CPID[$e]'

# ---- down refuses while containers use the network; stop removes what each made ----
check_match "down refuses while containers run" "used by running containers" \
        "$(drv down "$BERTH_RUNDIR" 2>&1)"
kill "$HTTPD" 2>/dev/null
wait "$HTTPD" 2>/dev/null
HTTPD=
for n in "$a" "$b" "$d"; do
        check "stop $n" stop_c "$n"
        unset "CPID[$n]"
done
check "no veth of the test left" sh -c "! ip -o link | grep -q 'alias berth:$PFX'"
check "no container nft table left" sh -c "! nft list tables | grep -q 'berth-c-$PFX'"
check_eq "no DNS name or reservation left" "" "$(find "$dir/hosts" "$dir/dhcp-hosts" -type f)"
check "the name is gone from DNS" \
        wait_until 5 sh -c "! '$BB' nslookup '$a.berth' $NET.1 | grep -q 'Address: $NET.10'"
check "network down" drv down "$BERTH_RUNDIR"
check "dnsmasq is gone" wait_until 3 pid_dead "$dns_pid"
check "the bridge is gone" test ! -e "/sys/class/net/$BR"
check_eq "the uplink's forwarding restored" 0 "$(cat "/proc/sys/net/ipv4/conf/$UPL/forwarding")"
check_eq "links, addresses, nft ruleset and dnsmasq as before the network" "$during" "$(net_host_state)"
check "down again is a no-op" drv down "$BERTH_RUNDIR"

net_cleanup
check_eq "the host as before the test" "$before" "$(net_host_state)"
