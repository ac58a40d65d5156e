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
