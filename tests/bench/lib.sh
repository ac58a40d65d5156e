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
