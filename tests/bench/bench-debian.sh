#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-debian.sh: berth against LXC and systemd-nspawn booting the same Debian bookworm systemd
# tree, in one run (root). Not part of make check; see tests/bench/README.md.
#
# berth builds the tree (berth create -t debian, from the shared template cache); LXC and
# nspawn each boot a copy of it, made before its first boot. Boots and stops alternate between
# the managers so that load changes hit all of them alike.
#
# Everything it creates lives in a private temporary directory (berth store and rundir, LXC's
# lxcpath, nspawn's tree) and in cgroups named after its pid, and is removed on exit, also on
# failure or Ctrl-C. It never touches containers it did not create. Only the template cache is
# shared: it is reused, and filled when it is cold.
#
# Environment:
#   BERTH_BIN, BERTH_MONITOR, BERTH_TEMPLATES_DIR   berth from the build tree (default build/)
#   BERTH_CACHE=/var/cache/berth   the template cache (shared, reused)
#   BENCH_ONLY=berth,lxc,nspawn    managers to measure, comma separated (berth always builds
#                                  the tree)
#   BENCH_RUNS=5              boot/stop samples per manager
#   BENCH_CREATE_RUNS=3       "berth create" samples from the warm cache
#   BENCH_SETTLE=1            seconds a booted guest idles before it is stopped
#   BENCH_POLL=0.01           seconds between two "systemctl is-system-running" polls
#   BENCH_TIMEOUT=30          seconds a boot or a stop may take before the run fails
#   BENCH_BERTH_CREATE_ARGS   extra arguments for "berth create" (word-split)
#   BENCH_NO_APT=1            do not apt-get install lxc or systemd-container when missing
#
# Exit status: 0 every berth target met, 1 a target missed, 2 the benchmark itself failed.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

BERTH_BIN=${BERTH_BIN:-$srcdir/build/berth}
BERTH_MONITOR=${BERTH_MONITOR:-$srcdir/build/berth-monitor}
BERTH_TEMPLATES_DIR=${BERTH_TEMPLATES_DIR:-$srcdir/templates}
BERTH_CACHE=${BERTH_CACHE:-/var/cache/berth}
export BERTH_MONITOR BERTH_TEMPLATES_DIR BERTH_CACHE

ONLY=${BENCH_ONLY:-berth,lxc,nspawn}
RUNS=${BENCH_RUNS:-5}
CREATE_RUNS=${BENCH_CREATE_RUNS:-3}
SETTLE=${BENCH_SETTLE:-1}
POLL=${BENCH_POLL:-0.01}
TIMEOUT=${BENCH_TIMEOUT:-30}
read -r -a BERTH_CREATE_ARGS <<<"${BENCH_BERTH_CREATE_ARGS:-}"

die() {
        printf 'bench-debian: %s\n' "$*" >&2
        exit 2
}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


do_berth=false
do_lxc=false
do_nspawn=false
IFS=, read -r -a only_list <<<"$ONLY"
[ "${#only_list[@]}" -gt 0 ] || die "invalid BENCH_ONLY '': expected berth, lxc and/or nspawn"
for w in "${only_list[@]}"; do
        case "$w" in
        berth) do_berth=true ;;
        lxc) do_lxc=true ;;
        nspawn) do_nspawn=true ;;
        all)
                do_berth=true
                do_lxc=true
                do_nspawn=true
                ;;
        *) die "invalid BENCH_ONLY '$ONLY': expected a comma-separated list of berth, lxc, nspawn" ;;
        esac
done
for v in RUNS CREATE_RUNS TIMEOUT; do
        case "${!v}" in
        '' | *[!0-9]*) die "invalid BENCH_$v '${!v}': expected a positive number" ;;
        esac
        if [ "${!v}" -lt 1 ] || [ "${!v}" -gt 1000 ]; then
                die "invalid BENCH_$v '${!v}': expected 1..1000"
        fi
done
for v in SETTLE POLL; do
        [[ "${!v}" =~ ^[0-9]{1,3}(\.[0-9]{1,6})?$ ]] ||
                die "invalid BENCH_$v '${!v}': expected seconds such as 0.5"
done

[ "$(id -u)" -eq 0 ] || die "run as root: all three managers need it"

# lxc-attach and nsenter complain when the caller's directory does not exist in the guest.
cd /

# berth builds the tree the others boot, so it is needed even when it is not measured.
[ -x "$BERTH_BIN" ] || die "berth binary '$BERTH_BIN' not found; build first or set BERTH_BIN"
[ -x "$BERTH_MONITOR" ] || die "berth monitor '$BERTH_MONITOR' not found; set BERTH_MONITOR"
[ -x "$BERTH_TEMPLATES_DIR/berth-debian" ] ||
        die "template '$BERTH_TEMPLATES_DIR/berth-debian' not found; set BERTH_TEMPLATES_DIR"

apt_install() { # package
        if [ "${BENCH_NO_APT:-}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
                return 1
        fi
        say "installing $1"
        # No recommends: systemd-container recommends libnss-mymachines, which rewrites the
        # host's /etc/nsswitch.conf.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" >&2
}

if $do_lxc && ! command -v lxc-start >/dev/null 2>&1; then
        apt_install lxc || die "lxc is not installed (apt-get install lxc)"
fi
# nspawn is optional: when it cannot run, its column says n/a and why.
nspawn_na=
if $do_nspawn && ! command -v systemd-nspawn >/dev/null 2>&1; then
        if ! apt_install systemd-container || ! command -v systemd-nspawn >/dev/null 2>&1; then
                nspawn_na="systemd-nspawn is not installed (apt-get install systemd-container)"
        fi
fi
if $do_nspawn && [ -z "$nspawn_na" ] && ! command -v nsenter >/dev/null 2>&1; then
        nspawn_na="nsenter not found (util-linux)"
fi

# ---- private state and cleanup ---------------------------------------------------------------

tmp=$(mktemp -d /tmp/berth-bench-debian.XXXXXX)
chmod 700 "$tmp"
LXCPATH=$tmp/lxc
NSPAWN_DIR=$tmp/nspawn
mkdir -p "$LXCPATH" "$NSPAWN_DIR" "$tmp/berth"
export BERTH_STORE=$tmp/berth/store
export BERTH_RUNDIR=$tmp/berth/run
export BERTH_CGROUP=berth-bench-$$
NSPAWN_CGROUP=nspawn-bench-$$

B=bdeb-$$
L=ldeb-$$
N=ndeb-$$
berth_names=()
lxc_created=false
nspawn_pid=
nspawn_leader=

# What exists before the run is not ours to remove. LXC leaves an empty "lxc.pivot" cgroup
# behind on v1 hierarchies when it stops a container; nspawn creates /run/systemd/nspawn.
preexisting=()
for d in /sys/fs/cgroup/*/"$BERTH_CGROUP" /sys/fs/cgroup/"$BERTH_CGROUP" \
         /sys/fs/cgroup/*/"$NSPAWN_CGROUP" /sys/fs/cgroup/"$NSPAWN_CGROUP" \
         /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/lxc.pivot \
         /run/systemd/nspawn /run/systemd/nspawn/locks /run/systemd/nspawn/propagate \
         /run/systemd; do
        if [ -d "$d" ]; then
                preexisting+=("$d")
        fi
done

was_preexisting() { # dir
        local pre
        for pre in "${preexisting[@]}"; do
                [ "$pre" = "$1" ] && return 0
        done
        return 1
}


nspawn_alive() {
        local _p _c st
        [ -n "$nspawn_pid" ] || return 1
        read -r _p _c st _ 2>/dev/null <"/proc/$nspawn_pid/stat" || return 1
        [ "$st" != Z ]
}

# Second SIGTERM: nspawn's "immediate termination"; then SIGKILL to it and to everything in
# its cgroup.
nspawn_kill() {
        local i
        [ -n "$nspawn_pid" ] || return 0
        kill -TERM "$nspawn_pid" 2>/dev/null || :
        for i in $(seq 1 50); do
                nspawn_alive || break
                [ "$i" -eq 2 ] && kill -TERM "$nspawn_pid" 2>/dev/null
                sleep 0.1
        done
        kill -KILL "$nspawn_pid" 2>/dev/null || :
        wait "$nspawn_pid" 2>/dev/null || :
        nspawn_pid=
        nspawn_leader=
        remove_cgroup_tree "$NSPAWN_CGROUP"
}

cleanup() {
        local rc=$? n m d
        trap - EXIT INT TERM HUP
        set +e
        say "cleaning up"
        nspawn_kill
        if $lxc_created; then
                timeout 30 lxc-stop -P "$LXCPATH" -n "$L" -k >/dev/null 2>&1
                lxc-destroy -P "$LXCPATH" -n "$L" -f >/dev/null 2>&1
                # LXC's monitor leaves after lxc-stop returns, through lxc.pivot: wait for it
                # before removing that.
                for _ in $(seq 1 50); do
                        pgrep -fx "\[lxc monitor\] $LXCPATH $L" >/dev/null || break
                        sleep 0.1
                done
                remove_cgroup_tree "lxc.payload.$L"
                remove_cgroup_tree "lxc.monitor.$L"
                for m in /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/lxc.pivot; do
                        { [ -d "$m" ] && ! was_preexisting "$m"; } || continue
                        for _ in 1 2 3 4 5; do
                                rmdir "$m" 2>/dev/null && break
                                sleep 0.1
                        done
                done
        fi
        # LXC's lock files for our lxcpath (below /run/lxc/lock/<lxcpath>): the temporary
        # directory's name is ours, so is everything below it.
        rm -rf --one-file-system -- "/run/lxc/lock$tmp" 2>/dev/null
        for n in "${berth_names[@]}"; do
                timeout 60 "$BERTH_BIN" stop --kill "$n" >/dev/null 2>&1
                "$BERTH_BIN" destroy --force "$n" >/dev/null 2>&1
        done
        remove_cgroup_tree "$BERTH_CGROUP"
        remove_cgroup_tree "$NSPAWN_CGROUP"
        # nspawn's runtime directories: the entry named after our machine, then whatever of
        # /run/systemd/nspawn this run created, when empty.
        if [ -d "/run/systemd/nspawn/propagate/$N" ]; then
                while read -r m; do
                        umount -l "$m" 2>/dev/null
                done < <(findmnt -rn -o TARGET | grep -F "/run/systemd/nspawn/propagate/$N" |
                         sort -r)
                rm -rf --one-file-system -- "/run/systemd/nspawn/propagate/$N"
        fi
        for d in /run/systemd/nspawn/locks /run/systemd/nspawn/propagate /run/systemd/nspawn \
                 /run/systemd; do
                [ -d "$d" ] && ! was_preexisting "$d" && rmdir "$d" 2>/dev/null
        done
        # Nothing may still be mounted below the temporary directory before it goes.
        while read -r m; do
                umount -l "$m" 2>/dev/null
        done < <(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r)
        rm -rf --one-file-system -- "$tmp"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- timing and statistics -------------------------------------------------------------------


# Samples are kept one per line in files named <manager>-<metric> (nanoseconds). Nothing is
# kept during the warm-up round.
recording=false
sample() { # manager metric t0 t1
        if $recording; then
                echo $(($4 - $3)) >>"$tmp/$1-$2"
        fi
}

# "Startup finished in 354ms (userspace)" (systemd-analyze time in a container) -> ns.
userspace_ns() {
        awk '/Startup finished in/ {
                s = $0
                sub(/.*Startup finished in /, "", s)
                sub(/ *\(userspace\).*/, "", s)
                n = split(s, p, " ")
                t = 0
                for (i = 1; i <= n; i++) {
                        v = p[i]
                        if (v ~ /ms$/) t += v / 1e3
                        else if (v ~ /us$/) t += v / 1e6
                        else if (v ~ /min$/) t += v * 60
                        else if (v ~ /h$/) t += v * 3600
                        else if (v ~ /s$/) t += v
                }
                printf "%d\n", t * 1e9
                exit
        }'
}

# ---- the three managers ----------------------------------------------------------------------
#
# Each has NAME_start (returns once the start command has returned), NAME_exec CMD... (runs a
# command in the guest with that manager's own tool) and NAME_stop (a clean stop: the guest's
# systemd is asked to halt and the call returns when the container is gone). A failure returns
# non-zero with the reason in $fail.

fail=

berth_start() {
        berth start "$B" >/dev/null 2>"$tmp/err" ||
                { fail="berth start '$B' failed: $(tail -n 1 "$tmp/err")"; return 1; }
}

berth_exec() {
        berth attach "$B" -- "$@"
}

berth_stop() {
        berth stop --timeout "$TIMEOUT" "$B" >/dev/null 2>"$tmp/err" ||
                { fail="berth stop '$B' failed: $(tail -n 1 "$tmp/err")"; return 1; }
}

berth_failed_log() {
        berth console "$B" --log 2>/dev/null | tail -n 5 || :
}

lxc_start() {
        lxc-start -P "$LXCPATH" -n "$L" -d 2>"$tmp/err" ||
                { fail="lxc-start '$L' failed: $(tail -n 1 "$tmp/err")"; return 1; }
}

lxc_exec() {
        lxc-attach -P "$LXCPATH" -n "$L" -- "$@"
}

lxc_stop() {
        local st
        lxc-stop -P "$LXCPATH" -n "$L" -t "$TIMEOUT" 2>"$tmp/err" ||
                { fail="lxc-stop '$L' failed: $(tail -n 1 "$tmp/err")"; return 1; }
        st=$(lxc-info -P "$LXCPATH" -n "$L" -s -H 2>/dev/null) || :
        [ "$st" = STOPPED ] || { fail="lxc container '$L' is $st after lxc-stop"; return 1; }
}

lxc_failed_log() {
        tail -n 5 "$tmp/lxc-$L.log" 2>/dev/null || :
}

# systemd-nspawn without machined and without a systemd PID 1 on the host: no registration,
# no scope (--keep-unit), so it puts the guest below its own cgroup. It is started in a cgroup
# of this run (name=systemd and the v2 mount), in its own session, console not connected.
nspawn_cgroup_dirs=()
for d in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
        [ -f "$d/cgroup.procs" ] && nspawn_cgroup_dirs+=("$d/$NSPAWN_CGROUP")
done
if [ "${#nspawn_cgroup_dirs[@]}" -eq 0 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        nspawn_cgroup_dirs+=("/sys/fs/cgroup/$NSPAWN_CGROUP")
fi

nspawn_start() {
        local d
        for d in "${nspawn_cgroup_dirs[@]}"; do
                mkdir -p "$d" || { fail="create cgroup '$d' failed"; return 1; }
        done
        nspawn_leader=
        # setsid execs in place (a job of a non-interactive shell leads no process group), so
        # $! is systemd-nspawn itself and stays this shell's child.
        (
                for d in "${nspawn_cgroup_dirs[@]}"; do
                        echo "$BASHPID" >"$d/cgroup.procs"
                done
                exec setsid systemd-nspawn -D "$NSPAWN_DIR/rootfs" -M "$N" -b \
                        --register=no --keep-unit --console=passive --private-network
        ) </dev/null >>"$tmp/nspawn.log" 2>&1 &
        nspawn_pid=$!
}

# The guest's init: the child of systemd-nspawn in another pid namespace (before it exists,
# the child is nspawn's outer helper, in nspawn's own namespace).
nspawn_find_leader() {
        local c ns
        [ -z "$nspawn_leader" ] || return 0
        ns=$(readlink "/proc/$nspawn_pid/ns/pid" 2>/dev/null) || return 1
        for c in $(pgrep -P "$nspawn_pid" 2>/dev/null || :); do
                if [ "$(readlink "/proc/$c/ns/pid" 2>/dev/null)" != "$ns" ]; then
                        nspawn_leader=$c
                        return 0
                fi
        done
        return 1
}

nspawn_exec() {
        nspawn_find_leader || return 1
        nsenter -t "$nspawn_leader" -a -- "$@"
}

# SIGTERM to systemd-nspawn: it sends the guest's systemd SIGRTMIN+3 and exits once the
# container is gone. It is this shell's child, so its end shows as a zombie, then it is reaped.
nspawn_stop() {
        local t0 deadline
        [ -n "$nspawn_pid" ] || { fail="systemd-nspawn is not running"; return 1; }
        t0=$(now)
        deadline=$((t0 + TIMEOUT * 1000000000))
        kill -TERM "$nspawn_pid" 2>/dev/null || :
        while nspawn_alive; do
                if [ "$(now)" -gt "$deadline" ]; then
                        fail="systemd-nspawn did not stop within $TIMEOUT s"
                        return 1
                fi
                sleep 0.002
        done
        wait "$nspawn_pid" 2>/dev/null || :
        nspawn_pid=
        nspawn_leader=
}

# What nspawn and the guest's init are doing, for a boot that does not finish.
nspawn_processes() {
        local p
        printf 'init: %s;' "${nspawn_leader:-not found}"
        for p in "$nspawn_pid" $nspawn_leader; do
                ps -o pid=,stat=,wchan:24=,comm= --ppid "$p" 2>/dev/null |
                        awk -v p="$p" '{ printf " child of %s: %s %s %s %s;", p, $1, $2, $3, $4 }'
        done
}

nspawn_failed_log() {
        sed 's/\x1b\[[0-9;]*m//g' "$tmp/nspawn.log" 2>/dev/null | grep -v '^ *$' | tail -n 5 || :
}

# ---- boot and stop, timed --------------------------------------------------------------------

# From the start command to the first "running" from the guest's systemctl, polled with the
# manager's own tool. "degraded" or "maintenance" fails the run with the failed units.
boot_timed() { # manager
        local m=$1 t0 t1 s deadline us
        t0=$(now)
        "${m}_start" || return 1
        deadline=$((t0 + TIMEOUT * 1000000000))
        while :; do
                # Found here, not in the command substitution below, so that it is kept.
                if [ "$m" = nspawn ]; then
                        nspawn_find_leader || :
                fi
                s=$("${m}_exec" systemctl is-system-running 2>/dev/null) || :
                s=${s%%$'\n'*}
                case "$s" in
                running) break ;;
                degraded | maintenance)
                        fail="$m: the guest is '$s'; failed units: $("${m}_exec" \
                                systemctl --failed --no-legend --plain 2>/dev/null |
                                awk '{ printf "%s ", $1 }')"
                        return 1
                        ;;
                esac
                if [ "$m" = nspawn ] && ! nspawn_alive; then
                        fail="systemd-nspawn exited during boot: $(nspawn_failed_log | tail -n 1)"
                        return 1
                fi
                if [ "$(now)" -gt "$deadline" ]; then
                        fail="$m: the guest did not reach 'running' within $TIMEOUT s (last: '$s')"
                        if [ "$m" = nspawn ]; then
                                fail+="; $(nspawn_processes)"
                        fi
                        return 1
                fi
                sleep "$POLL"
        done
        t1=$(now)
        sample "$m" boot "$t0" "$t1"
        # The guest's own account, free of the poll's granularity.
        us=$("${m}_exec" systemd-analyze time 2>/dev/null | userspace_ns) || :
        if [ -n "$us" ]; then
                sample "$m" userspace 0 "$us"
        fi
}

stop_timed() { # manager
        local m=$1 t0 t1
        t0=$(now)
        "${m}_stop" || return 1
        t1=$(now)
        sample "$m" stop "$t0" "$t1"
}

# One boot and stop; a failure ends the run, except for nspawn: a failed nspawn cycle is
# repeated once (and counted), a second failure in a row makes nspawn n/a.
nspawn_failures=0
nspawn_first_failure=
cycle() { # manager
        local m=$1 try
        for try in 1 2; do
                if boot_timed "$m" && sleep "$SETTLE" && stop_timed "$m"; then
                        return 0
                fi
                if [ "$m" != nspawn ]; then
                        printf '%s\n' "$("${m}_failed_log")" >&2
                        die "$fail"
                fi
                nspawn_failures=$((nspawn_failures + 1))
                [ -n "$nspawn_first_failure" ] || nspawn_first_failure=$fail
                say "$fail"
                nspawn_kill
                [ "$try" -eq 1 ] && say "nspawn: repeating this boot"
        done
        nspawn_na="$fail"
        say "nspawn: giving up; its last output:"
        nspawn_failed_log >&2
        do_nspawn=false
}

# ---- setup -----------------------------------------------------------------------------------

say "host: $(uname -r), $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"
versions="berth $("$BERTH_BIN" --version 2>/dev/null | awk '{ print $NF }' || :)"
if $do_lxc; then
        versions+=", lxc $(lxc-start --version 2>/dev/null || :)"
fi
if $do_nspawn && [ -z "$nspawn_na" ]; then
        versions+=", $(systemd-nspawn --version 2>/dev/null | head -n 1 || :)"
fi
say "$versions"

say "berth create '$B' -t debian (template cache $BERTH_CACHE; a cold cache takes minutes)"
berth_names+=("$B")
t0=$(now)
berth create "$B" -t debian "${BERTH_CREATE_ARGS[@]}" >/dev/null 2>"$tmp/err" ||
        die "berth create '$B' failed: $(tail -n 1 "$tmp/err")"
t1=$(now)
first_create=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.6f", d / 1e9 }')
berth_privileged=$(berth config "$B" show 2>/dev/null | awk '$1 == "privileged:" { print $2 }')
rootfs=$BERTH_STORE/$B/rootfs
[ -x "$rootfs/sbin/init" ] || [ -L "$rootfs/sbin/init" ] ||
        die "the tree '$rootfs' has no /sbin/init"

# Copies before any boot: all three start from the same fresh tree. berth's tree on disk is
# owned by root (berth maps it with an idmapped mount), so privileged LXC and nspawn boot it
# as it is.
if $do_lxc; then
        say "copying the tree for LXC"
        mkdir -p "$LXCPATH/$L"
        cp -a --reflink=auto "$rootfs" "$LXCPATH/$L/rootfs" || die "copy the tree for LXC failed"
        lxc_conf_dir=/usr/share/lxc/config
        if [ -f "$lxc_conf_dir/debian.common.conf" ]; then
                lxc_include=$lxc_conf_dir/debian.common.conf # includes common.conf
        elif [ -f "$lxc_conf_dir/common.conf" ]; then
                lxc_include=$lxc_conf_dir/common.conf
        else
                die "LXC's '$lxc_conf_dir/common.conf' not found"
        fi
        # Privileged (no idmap), no network but its own namespace (as berth's), no AppArmor
        # profile (the kernel here has none); cgroups, mounts, ttys, devices and seccomp are
        # LXC's Debian defaults. The halt signal is LXC's default: it sees that systemd
        # blocks SIGRTMIN+3 and sends that.
        cat >"$LXCPATH/$L/config" <<-EOF
		lxc.include = $lxc_include
		lxc.rootfs.path = dir:$LXCPATH/$L/rootfs
		lxc.uts.name = $L
		lxc.net.0.type = empty
		lxc.apparmor.profile = unconfined
		lxc.log.file = $tmp/lxc-$L.log
		lxc.log.level = WARN
		EOF
        lxc_created=true
fi
if $do_nspawn && [ -z "$nspawn_na" ]; then
        say "copying the tree for systemd-nspawn"
        cp -a --reflink=auto "$rootfs" "$NSPAWN_DIR/rootfs" || die "copy the tree for nspawn failed"
fi
[ -z "$nspawn_na" ] || do_nspawn=false

managers=()
$do_berth && managers+=(berth)
$do_lxc && managers+=(lxc)
$do_nspawn && managers+=(nspawn)

# ---- boot / stop, alternating ----------------------------------------------------------------

# One untimed round first: the first boot of a fresh tree does one-time work (journal files,
# catalog), and it shows that each guest reaches "running" at all.
say "warm-up: one boot and stop each (${managers[*]})"
for m in "${managers[@]}"; do
        cycle "$m"
done

recording=true
say "boot/stop: $RUNS rounds"
for _ in $(seq 1 "$RUNS"); do
        for m in "${managers[@]}"; do
                if [ "$m" = nspawn ] && ! $do_nspawn; then
                        continue
                fi
                cycle "$m"
        done
done

# ---- berth create from the warm cache --------------------------------------------------------

# Creating from the cache is mostly copying the cached tree (~300 MB), and how fast a file
# system copies that depends on its recent history (on this machine's ext4 with online discard,
# repeated copy-and-delete cycles get slower each time). So each create sits next to a plain
# "cp -a" of the same tree, in alternating order, and nothing is deleted until all are done.
create_timed() { # name
        local t0 t1
        berth_names+=("$1")
        t0=$(now)
        berth create "$1" -t debian "${BERTH_CREATE_ARGS[@]}" >/dev/null 2>"$tmp/err" ||
                die "berth create '$1' failed: $(tail -n 1 "$tmp/err")"
        t1=$(now)
        sample berth create "$t0" "$t1"
}

cp_timed() { # index
        local t0 t1
        t0=$(now)
        cp -a --reflink=auto "$rootfs" "$tmp/cp-$1" || die "copy '$rootfs' failed"
        t1=$(now)
        sample berth cp "$t0" "$t1"
}

if $do_berth; then
        say "berth create from the warm cache: $CREATE_RUNS runs, each next to a plain cp -a" \
                "of the $(du -sm "$rootfs" | cut -f 1) MB tree"
        for i in $(seq 1 "$CREATE_RUNS"); do
                sync
                if [ $((i % 2)) -eq 1 ]; then
                        create_timed "$B-c$i"
                        sync
                        cp_timed "$i"
                else
                        cp_timed "$i"
                        sync
                        create_timed "$B-c$i"
                fi
        done
        for i in $(seq 1 "$CREATE_RUNS"); do
                berth destroy --force "$B-c$i" >/dev/null 2>"$tmp/err" ||
                        die "berth destroy '$B-c$i' failed: $(tail -n 1 "$tmp/err")"
                rm -rf --one-file-system -- "$tmp/cp-$i"
        done
fi

# ---- report ----------------------------------------------------------------------------------

missed=0

# row METRIC BERTH LXC NSPAWN BERTH/LXC BERTH/NSPAWN TARGET VERDICT
row() {
        printf '%-30s %11s %11s %11s %9s %12s  %-13s %s\n' "$@"
}

fmt_ms() { # seconds -> "12.3 ms" | "-"
        if [ -z "$1" ]; then
                echo -
        else
                awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'
        fi
}

# The nspawn column says n/a when nspawn was wanted but could not run.
fmt_nspawn() { # seconds
        if [ -n "$nspawn_na" ]; then
                echo n/a
        else
                fmt_ms "$1"
        fi
}



b_boot=$(stat_of berth boot median)
l_boot=$(stat_of lxc boot median)
b_us=$(stat_of berth userspace median)
l_us=$(stat_of lxc userspace median)
b_stop=$(stat_of berth stop median)
l_stop=$(stat_of lxc stop median)
n_boot=
n_us=
n_stop=
if [ -z "$nspawn_na" ]; then
        n_boot=$(stat_of nspawn boot median)
        n_us=$(stat_of nspawn userspace median)
        n_stop=$(stat_of nspawn stop median)
fi
b_create=$(stat_of berth create median)
b_cp=$(stat_of berth cp median)

v_boot=-
if [ -n "$b_boot" ] && [ -n "$l_boot" ]; then
        v_boot=$(verdict "$b_boot" "$l_boot")
fi
v_stop=$(verdict "$b_stop" 0.3)
v_create=$(verdict "$b_create" 3)
for v in "$v_boot" "$v_stop" "$v_create"; do
        [ "$v" = MISSED ] && missed=$((missed + 1))
done

echo
row metric berth lxc nspawn berth/lxc berth/nspawn target verdict
row "boot to 'running' (median $RUNS)" "$(fmt_ms "$b_boot")" "$(fmt_ms "$l_boot")" \
        "$(fmt_nspawn "$n_boot")" "$(ratio "$b_boot" "$l_boot")" "$(ratio "$b_boot" "$n_boot")" \
        "<= lxc" "$v_boot"
row "  guest userspace (analyze)" "$(fmt_ms "$b_us")" "$(fmt_ms "$l_us")" \
        "$(fmt_nspawn "$n_us")" "$(ratio "$b_us" "$l_us")" "$(ratio "$b_us" "$n_us")" - -
row "clean stop (median $RUNS)" "$(fmt_ms "$b_stop")" "$(fmt_ms "$l_stop")" \
        "$(fmt_nspawn "$n_stop")" "$(ratio "$b_stop" "$l_stop")" "$(ratio "$b_stop" "$n_stop")" \
        "<= 300 ms" "$v_stop"
row "create from cache (median $CREATE_RUNS)" "$(fmt_ms "$b_create")" - - - - \
        "<= 3000 ms" "$v_create"
row "  plain cp -a of the tree" "$(fmt_ms "$b_cp")" - - - - - -
row "  first create" "$(fmt_ms "$first_create")" - - - - - -
echo
if ! $do_berth; then
        :
elif [ "$berth_privileged" = true ]; then
        echo "berth: privileged (as configured)."
else
        echo "berth: unprivileged (user namespace, idmapped rootfs), its default."
fi
$do_lxc && echo "lxc: privileged, lxc.net.0.type = empty, Debian's common config."
if [ -n "$nspawn_na" ]; then
        echo "nspawn: n/a: ${nspawn_na#nspawn: }"
elif [ -n "$n_boot" ]; then
        echo "nspawn: privileged, --register=no --keep-unit --private-network --console=passive."
fi
if [ "$nspawn_failures" -gt 0 ] && [ -z "$nspawn_na" ]; then
        echo "nspawn: $nspawn_failures boot(s) failed and were repeated; the first: $nspawn_first_failure"
fi
echo

if [ "$missed" -gt 0 ]; then
        echo "berth missed $missed target(s)"
        exit 1
fi
echo "every measured berth target met"
