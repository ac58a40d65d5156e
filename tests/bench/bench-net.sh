#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-net.sh: what networking costs, berth against LXC in one run (root). Not part of make
# check; see tests/bench/README.md.
#
#   1. network setup added to a busybox start: the same container started without a network
#      and with a veth on a bridge (static address and gateway), in paired rounds; the median
#      of the per-round differences. berth: its managed bridge; LXC: lxc.net.0.type = veth on
#      an lxcbr0-style bridge (a bridge with an address) against lxc.net.0.type = empty.
#   2. BENCH_MANY (50) containers with DHCP on berth's bridge started together: all running,
#      each gets its address from dnsmasq and resolves another by NAME.berth; LXC starts as many
#      with static veths for comparison.
#   3. stop removes every link (and every DNS name and nft table) berth made.
#
# Nothing leaves the machine: both bridges, their subnets and the NAT uplink (a veth pair of the
# run) are the script's own, and dnsmasq forwards no name upstream. Everything it creates lives
# in a private temporary directory, a cgroup parent named after its pid and links named after
# it, and is removed on exit.
#
# Environment: BERTH_BIN, BERTH_MONITOR, BERTH_NET_HELPER, BERTH_TEMPLATES_DIR (default: the
# build tree), BENCH_RUNS=15, BENCH_MANY=50, BENCH_ONLY=berth|lxc, BENCH_NO_APT=1.
#
# Exit status: 0 every berth target met, 1 a target missed, 2 the benchmark itself failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_NET_HELPER=${BERTH_NET_HELPER:-$srcdir/build/berth-net}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
export BERTH_MONITOR BERTH_NET_HELPER BERTH_TEMPLATES_DIR
RUNS=${BENCH_RUNS:-15}
MANY=${BENCH_MANY:-50}
ONLY=${BENCH_ONLY:-both}

die() {
        printf 'bench-net: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$ONLY" in
both | berth | lxc) ;;
*) die "invalid BENCH_ONLY '$ONLY': expected both, berth or lxc" ;;
esac
for v in RUNS MANY; do
        case "${!v}" in
        '' | *[!0-9]*) die "invalid BENCH_$v '${!v}'" ;;
        esac
done
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 200 ] || die "BENCH_RUNS: 1..200"
[ "$MANY" -ge 2 ] && [ "$MANY" -le 200 ] || die "BENCH_MANY: 2..200 (one /24)"
[ "$(id -u)" -eq 0 ] || die "run as root"
do_berth=false
do_lxc=false
[ "$ONLY" = lxc ] || do_berth=true
[ "$ONLY" = berth ] || do_lxc=true
if $do_berth; then
        for f in "$BERTH_BIN" "$BERTH_MONITOR" "$BERTH_NET_HELPER" "$BERTH_TEMPLATES_DIR/berth-busybox"; do
                [ -x "$f" ] || die "'$f' not found; build first or set BERTH_BIN and friends"
        done
fi
for p in ip nft dnsmasq busybox; do
        command -v "$p" >/dev/null || die "$p not installed"
done
if $do_lxc && ! command -v lxc-create >/dev/null 2>&1; then
        [ "${BENCH_NO_APT:-}" != 1 ] && command -v apt-get >/dev/null || die "lxc is not installed"
        say "installing lxc"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q lxc >&2 || die "apt-get install lxc failed"
fi

# ---- private state -----------------------------------------------------------------------------

id=$(($$ % 10000))
k=$(($$ % 200 + 20))
BR=bnb$id UPL=bnu$id UPP=bnv$id LBR=lnb$id
NET=10.218.$k LNET=10.219.$k
if ip -o addr | grep -q " $NET\.\| $LNET\."; then
        die "the subnets $NET.0/24 or $LNET.0/24 are in use on this host"
fi
tmp=$(mktemp -d /tmp/berth-bench-net.XXXXXX)
# dnsmasq (unprivileged) reads its files under the runtime dir: others may pass, not list.
chmod 711 "$tmp"
LXCPATH=$tmp/lxc
mkdir -p "$LXCPATH" "$tmp/berth"
export BERTH_STORE=$tmp/berth/store BERTH_RUNDIR=$tmp/berth/run BERTH_CACHE=$tmp/berth/cache
export BERTH_CGROUP=berth-bench-$$ BERTH_CONFIG=$tmp/berth.yaml
berth_names=()
lxc_names=()
preexisting_cgroups=()
for d in /sys/fs/cgroup/*/"$BERTH_CGROUP" /sys/fs/cgroup/*/lxc.pivot; do
        [ -d "$d" ] && preexisting_cgroups+=("$d")
done
was_preexisting() {
        local pre
        for pre in "${preexisting_cgroups[@]}"; do
                [ "$pre" = "$1" ] && return 0
        done
        return 1
}

cleanup() {
        local rc=$? n m
        trap - EXIT INT TERM HUP
        set +e
        say "cleaning up"
        for n in "${lxc_names[@]}"; do
                (timeout 30 lxc-stop -P "$LXCPATH" -n "$n" -k && lxc-destroy -P "$LXCPATH" -n "$n" -f) \
                        >/dev/null 2>&1 &
        done
        for n in "${berth_names[@]}"; do
                (timeout 60 "$BERTH_BIN" stop --kill "$n"; "$BERTH_BIN" destroy --force "$n") \
                        >/dev/null 2>&1 &
        done
        wait
        if $do_berth; then
                "$BERTH_BIN" network down --force >/dev/null 2>&1
                remove_cgroup_tree "$BERTH_CGROUP"
        fi
        for m in /sys/fs/cgroup/*/lxc.pivot; do
                [ -d "$m" ] && ! was_preexisting "$m" && rmdir "$m" 2>/dev/null
        done
        ip link del "$UPL" 2>/dev/null
        ip link del "$LBR" 2>/dev/null
        while read -r m; do
                umount -l "$m" 2>/dev/null
        done < <(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r)
        rm -rf --one-file-system -- "$tmp" "/run/lxc/lock$tmp" 2>/dev/null
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ip link add "$UPL" type veth peer name "$UPP" || die "create the bench uplink"
cat >"$BERTH_CONFIG" <<EOF
network:
  bridge: $BR
  ipv4: $NET.1/24
  dhcp_range: $NET.2-$NET.250
  uplink: $UPL
  dns_upstream: false
EOF
if $do_lxc; then
        # An lxcbr0-style bridge: a bridge with the gateway's address (lxc-net adds dnsmasq and
        # NAT, which a static container does not use).
        ip link add "$LBR" type bridge && ip addr add "$LNET.1/24" dev "$LBR" &&
                ip link set "$LBR" up || die "create the LXC bridge"
fi

sample() { echo $(($4 - $3)) >>"$tmp/$1-$2"; }
median_of() { # file -> seconds
        [ -s "$1" ] || return 0
        sort -n "$1" | awk '{ v[NR] = $1 } END { x = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f\n", x / 1e9 }'
}
fmt_ms() { [ -z "$1" ] && echo - || awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }

# ---- 1. setup cost ----------------------------------------------------------------------------

B=bnet-$$ L=lnet-$$
if $do_berth; then
        printf 'network: none\n' >"$tmp/none.yaml"
        printf 'network: [{type: veth, bridge: %s, ipv4: %s.10/24, gateway: %s.1}]\n' \
                "$BR" "$NET" "$NET" >"$tmp/veth.yaml"
        for v in none veth; do
                berth_names+=("$B-$v")
                berth create "$B-$v" -t busybox --config "$tmp/$v.yaml" >/dev/null 2>"$tmp/err" ||
                        die "berth create '$B-$v': $(tail -n 1 "$tmp/err")"
        done
        # The managed bridge comes up with the first start that needs it; not part of a sample.
        berth network up >/dev/null 2>"$tmp/err" || die "berth network up: $(tail -n 1 "$tmp/err")"
        if ! berth start "$B-veth" >/dev/null 2>"$tmp/err"; then
                grep -q 'not supported' "$tmp/err" &&
                        die "this berth refuses veth at start (the monitor is not wired to the network yet)"
                die "berth start '$B-veth': $(tail -n 1 "$tmp/err")"
        fi
        berth stop --kill "$B-veth" >/dev/null 2>&1
fi
if $do_lxc; then
        printf 'lxc.net.0.type = empty\n' >"$tmp/lxc-none.conf"
        printf '%s\n' "lxc.net.0.type = veth" "lxc.net.0.link = $LBR" "lxc.net.0.flags = up" \
                "lxc.net.0.name = eth0" "lxc.net.0.hwaddr = 02:00:00:$(printf %02x "$k"):00:10" \
                "lxc.net.0.ipv4.address = $LNET.10/24" "lxc.net.0.ipv4.gateway = $LNET.1" \
                >"$tmp/lxc-veth.conf"
        for v in none veth; do
                lxc_names+=("$L-$v")
                lxc-create -P "$LXCPATH" -n "$L-$v" -t busybox -f "$tmp/lxc-$v.conf" >/dev/null 2>"$tmp/err" ||
                        die "lxc-create '$L-$v': $(tail -n 1 "$tmp/err")"
        done
fi

berth_start_ns() { # name -> ns to start (then stopped)
        local t0 t1
        t0=$(now)
        berth start "$1" >/dev/null 2>"$tmp/err" || die "berth start '$1': $(tail -n 1 "$tmp/err")"
        t1=$(now)
        berth stop --kill "$1" >/dev/null 2>"$tmp/err" || die "berth stop '$1': $(tail -n 1 "$tmp/err")"
        echo $((t1 - t0))
}
lxc_start_ns() {
        local t0 t1
        t0=$(now)
        lxc-start -P "$LXCPATH" -n "$1" -d 2>"$tmp/err" || die "lxc-start '$1': $(tail -n 1 "$tmp/err")"
        lxc-wait -P "$LXCPATH" -n "$1" -s RUNNING -t 30 || die "lxc '$1' did not start"
        t1=$(now)
        lxc-stop -P "$LXCPATH" -n "$1" -k >/dev/null 2>&1
        echo $((t1 - t0))
}

# One round: the same side's container without and with its veth, back to back, so both see
# the same load; the difference is what the network setup added.
paired_round() { # side start-function name-prefix
        local a b
        a=$("$2" "$3-none")
        b=$("$2" "$3-veth")
        echo "$a" >>"$tmp/$1-none"
        echo "$b" >>"$tmp/$1-veth"
        echo $((b - a)) >>"$tmp/$1-added"
}

say "setup cost: $RUNS paired rounds"
for _ in $(seq 1 "$RUNS"); do
        if $do_berth; then
                paired_round berth berth_start_ns "$B"
        fi
        if $do_lxc; then
                paired_round lxc lxc_start_ns "$L"
        fi
done
b_none=$(median_of "$tmp/berth-none") b_veth=$(median_of "$tmp/berth-veth")
l_none=$(median_of "$tmp/lxc-none") l_veth=$(median_of "$tmp/lxc-veth")
b_added=$(median_of "$tmp/berth-added") l_added=$(median_of "$tmp/lxc-added")

# ---- 2. many containers with DHCP, started together --------------------------------------------

# start_together START RUNNING PREFIX: PREFIX-m1..m$MANY started at once with START NAME; sets
# tg_time (seconds until every START returned) and tg_ok (how many RUNNING NAME then says).
start_together() {
        local i t0 t1
        t0=$(now)
        for i in $(seq 1 "$MANY"); do
                "$1" "$3-m$i" >"$tmp/start-$3-$i.log" 2>&1 &
        done
        wait
        t1=$(now)
        tg_time=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.6f", d / 1e9 }')
        tg_ok=0
        for i in $(seq 1 "$MANY"); do
                if "$2" "$3-m$i"; then
                        tg_ok=$((tg_ok + 1))
                fi
        done
}
berth_start_one() { berth start "$1"; }
berth_running() { berth info "$1" 2>/dev/null | grep -q '^State: RUNNING'; }
lxc_start_one() {
        lxc-start -P "$LXCPATH" -n "$1" -d && lxc-wait -P "$LXCPATH" -n "$1" -s RUNNING -t 60
}
lxc_running() { [ "$(lxc-info -P "$LXCPATH" -n "$1" -s -H 2>/dev/null)" = RUNNING ]; }

many_ok=- many_addr=- many_dns=- many_time= lmany_ok=- lmany_time= links_left=- names_left=-
if $do_berth; then
        say "berth: $MANY containers with DHCP on '$BR'"
        printf 'network: [{type: veth, bridge: %s, dhcp: true}]\n' "$BR" >"$tmp/dhcp.yaml"
        # busybox's DHCP client applies a lease through a script; the template has none.
        cat >"$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
bound | renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        [ -n "$router" ] && ip route replace default via "${router%% *}"
        ;;
esac
exit 0
EOF
        for i in $(seq 1 "$MANY"); do
                n=$B-m$i
                berth_names+=("$n")
                berth create "$n" -t busybox --config "$tmp/dhcp.yaml" >/dev/null 2>"$tmp/err" ||
                        die "berth create '$n': $(tail -n 1 "$tmp/err")"
                install -m 755 "$tmp/udhcpc.sh" "$BERTH_STORE/$n/rootfs/etc/udhcpc.sh"
        done
        start_together berth_start_one berth_running "$B"
        many_time=$tg_time many_ok=$tg_ok
        for i in $(seq 1 "$MANY"); do
                timeout 20 "$BERTH_BIN" attach "$B-m$i" -- udhcpc -i eth0 -q -n -t 10 -s /etc/udhcpc.sh \
                        >"$tmp/dhcp-$i.log" 2>&1 &
        done
        wait
        addr=0
        addr_fail_shown=false
        declare -A ADDR
        for i in $(seq 1 "$MANY"); do
                a=$(berth info "$B-m$i" 2>/dev/null | sed -n 's/^IPv4: \(10\..*\)/\1/p' || :)
                if [ -n "$a" ]; then
                        addr=$((addr + 1))
                        ADDR[$i]=$a
                elif [ "$addr_fail_shown" = false ]; then
                        addr_fail_shown=true
                        say "$B-m$i has no address; its DHCP client said: $(tail -n 2 "$tmp/dhcp-$i.log" | tr '\n' ' ')"
                fi
        done
        many_addr=$addr
        dns=0
        dns_fail_shown=false
        for i in $(seq 1 "$MANY"); do
                j=$((i % MANY + 1))
                out=$(timeout 10 "$BERTH_BIN" attach "$B-m$i" -- nslookup "$B-m$j.berth" "$NET.1" 2>&1 || :)
                got=$(sed -n 's/^Address: \([0-9.]*\)$/\1/p' <<<"$out" | tail -n 1)
                if [ -n "$got" ] && [ "$got" = "${ADDR[$j]:-}" ]; then
                        dns=$((dns + 1))
                elif [ "$dns_fail_shown" = false ]; then
                        dns_fail_shown=true
                        say "$B-m$i resolving $B-m$j.berth (at ${ADDR[$j]:-no address}): $(tr '\n' ' ' <<<"$out")"
                fi
        done
        many_dns=$dns
        say "berth: stopping them"
        for i in $(seq 1 "$MANY"); do
                berth stop --kill "$B-m$i" >/dev/null 2>&1 &
        done
        wait
        berth stop --kill "$B-veth" >/dev/null 2>&1 || :
        links_left=$(ip -d -o link show | grep -c "alias berth:$B" || :)
        names_left=$(ls "$BERTH_RUNDIR/.net/$BR/hosts" "$BERTH_RUNDIR/.net/$BR/dhcp-hosts" | grep -c "^$B" || :)
        tables_left=$(nft list tables | grep -c "berth-c-$B" || :)
        names_left=$((names_left + tables_left))
fi
if $do_lxc; then
        say "lxc: $MANY containers with static veths on '$LBR'"
        for i in $(seq 1 "$MANY"); do
                n=$L-m$i
                lxc_names+=("$n")
                sed -e "s/ipv4.address = .*/ipv4.address = $LNET.$((i + 100))\/24/" \
                        -e "s/00:10\$/$(printf %02x $((i % 256))):$(printf %02x $((i / 256)))/" \
                        "$tmp/lxc-veth.conf" >"$tmp/lxc-$i.conf"
                lxc-create -P "$LXCPATH" -n "$n" -t busybox -f "$tmp/lxc-$i.conf" >/dev/null 2>"$tmp/err" ||
                        die "lxc-create '$n': $(tail -n 1 "$tmp/err")"
        done
        start_together lxc_start_one lxc_running "$L"
        lmany_time=$tg_time lmany_ok=$tg_ok
        for i in $(seq 1 "$MANY"); do
                lxc-stop -P "$LXCPATH" -n "$L-m$i" -k >/dev/null 2>&1 &
        done
        wait
fi

# ---- report ------------------------------------------------------------------------------------

v_added=$(verdict "$b_added" 0.020)
v_many=-
v_left=-
if $do_berth; then
        [ "$many_ok" = "$MANY" ] && [ "$many_addr" = "$MANY" ] && [ "$many_dns" = "$MANY" ] &&
                v_many=ok || v_many=MISSED
        [ "$links_left" = 0 ] && [ "$names_left" = 0 ] && v_left=ok || v_left=MISSED
fi
row() { printf '%-34s %14s %14s %7s  %-16s %s\n' "$@"; }
echo
row metric berth lxc ratio target verdict
row "start, no network (median $RUNS)" "$(fmt_ms "$b_none")" "$(fmt_ms "$l_none")" "$(ratio "$b_none" "$l_none")" - -
row "start, veth on a bridge" "$(fmt_ms "$b_veth")" "$(fmt_ms "$l_veth")" "$(ratio "$b_veth" "$l_veth")" - -
row "network setup added (median)" "$(fmt_ms "$b_added")" "$(fmt_ms "$l_added")" "$(ratio "$b_added" "$l_added")" "<= 20 ms" "$v_added"
row "$MANY started together: running" "$many_ok/$MANY" "$lmany_ok/$MANY" - "all" "$v_many"
row "$MANY started together: time" "$(fmt_ms "$many_time")" "$(fmt_ms "$lmany_time")" "$(ratio "$many_time" "$lmany_time")" - -
row "$MANY: DHCP address from dnsmasq" "$many_addr/$MANY" "(static)" - "all" "$v_many"
row "$MANY: resolve another as NAME.berth" "$many_dns/$MANY" "-" - "all" "$v_many"
row "after stop: links, names left" "$links_left, $names_left" "-" - "0, 0" "$v_left"
echo
missed=0
for v in "$v_added" "$v_many" "$v_left"; do
        [ "$v" = MISSED ] && missed=$((missed + 1))
done
if [ "$missed" -gt 0 ]; then
        echo "berth missed $missed target(s)"
        exit 1
fi
echo "every measured berth target met"
