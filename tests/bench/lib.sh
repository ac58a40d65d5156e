# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Helpers shared by the benchmarks (sourced).

berth() {
        "$BERTH_BIN" "$@"
}

now() {
        date +%s%N
}

ratio() { # a b
        if [ -z "$1" ] || [ -z "$2" ]; then
                echo -
        else
                awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
        fi
}

say() {
        printf '==> %s\n' "$*" >&2
}

# verdict VALUE LIMIT -> ok | MISSED | - (VALUE <= LIMIT)
verdict() {
        if [ -z "$1" ] || [ -z "$2" ]; then
                echo -
        elif awk -v v="$1" -v l="$2" 'BEGIN { exit !(v <= l) }'; then
                echo ok
        else
                echo MISSED
        fi
}

# Depth-first removal of a cgroup subtree created by this run; processes still in it are ours
# (they can only be our containers'), so they are killed first.
# Each script defines was_preexisting (what it found before it started).
remove_cgroup_tree() { # name below each hierarchy's root
        local root d p
        for root in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
                [ -d "$root" ] || continue
                was_preexisting "$root" && continue
                while read -r p; do
                        if [ -n "$p" ]; then
                                kill -KILL "$p" 2>/dev/null || :
                        fi
                done < <(find "$root" -name cgroup.procs -exec cat {} + 2>/dev/null || :)
                while read -r d; do
                        rmdir "$d" 2>/dev/null || :
                done < <(find "$root" -depth -type d 2>/dev/null || :)
        done
}

# Samples are kept one per line in $tmp/<side>-<metric> (nanoseconds).
stat_of() { # side metric median|max -> seconds (or empty)
        local f=$tmp/$1-$2
        [ -s "$f" ] || return 0
        sort -n "$f" | awk -v what="$3" '
                { v[NR] = $1 }
                END {
                        if (what == "max") x = v[NR]
                        else if (NR % 2) x = v[(NR + 1) / 2]
                        else x = (v[NR / 2] + v[NR / 2 + 1]) / 2
                        printf "%.6f\n", x / 1e9
                }'
}

# Samples are kept one per line in $tmp/<side>-<metric> (nanoseconds).
sample() { # side metric t0 t1
        echo $(($4 - $3)) >>"$tmp/$1-$2"
}

# LXC from the distribution, installed when missing (unless BENCH_NO_APT=1).
bench_need_lxc() {
        command -v lxc-create >/dev/null 2>&1 && return 0
        if [ "${BENCH_NO_APT:-}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
                die "lxc is not installed (apt-get install lxc)"
        fi
        say "installing lxc"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q lxc >&2 ||
                die "apt-get install lxc failed"
}

# Remembers which cgroups of the given parent (and LXC's) existed before the run, so the
# cleanup removes only what the run made.
preexisting_cgroups=()
bench_note_cgroups() { # cgroup parent
        local d
        for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1" /sys/fs/cgroup/*/lxc.pivot \
                 /sys/fs/cgroup/lxc.pivot; do
                [ -d "$d" ] && preexisting_cgroups+=("$d")
        done
        return 0
}
was_preexisting() { # dir
        local pre
        for pre in "${preexisting_cgroups[@]}"; do
                [ "$pre" = "$1" ] && return 0
        done
        return 1
}

# Stops and removes every container the run made (berth_names, lxc_names, in parallel), their
# cgroups, whatever is still mounted below $tmp, and $tmp.
bench_destroy_all() {
        local n m
        for n in "${lxc_names[@]}"; do
                {
                        timeout 30 lxc-stop -P "$LXCPATH" -n "$n" -k >/dev/null 2>&1
                        lxc-destroy -P "$LXCPATH" -n "$n" -f >/dev/null 2>&1
                } &
        done
        for n in "${berth_names[@]}"; do
                {
                        timeout 60 "$BERTH_BIN" stop --kill "$n" >/dev/null 2>&1
                        "$BERTH_BIN" destroy --force "$n" >/dev/null 2>&1
                } &
        done
        wait
        remove_cgroup_tree "$BERTH_CGROUP"
        for m in /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/lxc.pivot; do
                [ -d "$m" ] && ! was_preexisting "$m" && rmdir "$m" 2>/dev/null
        done
        while read -r m; do
                umount -l "$m" 2>/dev/null
        done < <(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r)
        rm -rf --one-file-system -- "$tmp"
        rm -rf --one-file-system -- "/run/lxc/lock$tmp" 2>/dev/null
        return 0
}
