# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers of the network tests (sourced after lib.sh): what the host's network looks like, and
# the test's own uplink and guard, so that nothing a test container sends can leave the machine.

# The host's network state is compared whole before and after each test, so two network tests
# must not run at once (make check -j): the second waits here.
exec 9>>/run/lock/berth-network-tests.lock 2>/dev/null || exec 9>>/tmp/berth-network-tests.lock
flock 9

# Every link (name, admin flags), every address, the whole nft ruleset and the dnsmasq processes:
# what must be the same before and after a test.
net_host_state() {
        # The flags an admin sets; carrier state (NO-CARRIER, LOWER_UP, M-DOWN) follows the
        # peer and settles on its own time.
        ip -o link show | awk -F': ' '{ split($3, f, " "); print $2, f[1] }' |
                sed -E 's/(NO-CARRIER|LOWER_UP|M-DOWN|DORMANT),?//g; s/,>/>/' | sort
        ip -o addr show | awk '{ print $2, $3, $4 }' | sort
        nft list ruleset
        # Zombies left to a PID 1 that does not reap are not dnsmasq instances.
        ps -C dnsmasq -o pid=,stat=,args= | awk '$2 !~ /^Z/' | sort
}

# net_guard_up BRIDGE UPLINK PEER TABLE: the test's uplink (a veth pair whose peer stays here,
# down: what masquerading sends there goes nowhere), and a table dropping anything forwarded
# from the test bridge to any other interface.
net_guard_up() {
        ip link add "$2" type veth peer name "$3" || return 1
        nft -f - <<EOF2
table inet $4 {
        chain forward {
                type filter hook forward priority filter - 10; policy accept;
                iifname "$1" oifname != { "$1", "$2" } drop
        }
}
EOF2
}

# net_guard_down UPLINK TABLE
net_guard_down() {
        ip link del "$1" 2>/dev/null
        nft delete table inet "$2" 2>/dev/null
        return 0
}
