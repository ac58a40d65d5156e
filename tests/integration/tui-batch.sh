#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth-tui in batch mode against many real containers: --iterations prints that many plain-text
# frames, every container in each with the state the CLI reports, and no byte that is not
# printable. tests/run.sh runs this test in its sanitizer build too, so ASan and UBSan watch the
# table code, the refresh and the escaping over many rows.
. "$(dirname "$0")/lib.sh"

TUI=${BERTH_TUI:-$BERTH_BUILDDIR/berth-tui}
[ -x "$TUI" ] || { skip "berth-tui batch tests" "berth-tui not built (no ncurses)"; exit 0; }

N=${BERTH_TUI_BATCH_CONTAINERS:-24}
RUNNING=8
names=()
for i in $(seq "$N"); do
        n=$(name "b$i")
        names+=("$n")
        create_busybox "$n" >/dev/null 2>&1 || { fail "create $n"; break; }
done
check_eq "$N containers created" "$N" "$(berth ls | grep -c "^$PFX")"
for i in $(seq "$RUNNING"); do
        berth start "${names[i - 1]}" >/dev/null 2>&1 || fail "start ${names[i - 1]}"
done
check "freeze ${names[0]}" berth freeze "${names[0]}"

out=$("$TUI" --iterations 3 -d 0.2 2>"$T/tui.err" 3>&-)
rc=$?
check_eq "berth-tui --iterations 3 exits 0" 0 "$rc"
diag_file "$T/tui.err"
check_eq "nothing on stderr (no sanitizer report)" 0 "$(wc -c <"$T/tui.err")"
check_eq "three frames (three header lines)" 3 "$(grep -c '^berth-tui ' <<<"$out")"
check_eq "every container in every frame" $((3 * N)) "$(grep -c "^$PFX" <<<"$out")"
check_eq "the header counts them" 3 \
        "$(grep -c "^Containers $N: $((RUNNING - 1)) running, 1 frozen, $((N - RUNNING)) stopped" <<<"$out")"
last=$(awk 'BEGIN { RS = ""; } { f = $0 } END { print f }' <<<"$out")
bad=0
for n in "${names[@]}"; do
        want=$(state "$n")
        got=$(grep -E "^$n " <<<"$last" | awk '{print $2}')
        [ "$want" = "$got" ] || { bad=$((bad + 1)); diag "  $n: CLI $want, frame $got"; }
done
check_eq "each row's state is the CLI's" 0 "$bad"
check_eq "only printable ASCII in the output" 0 "$(LC_ALL=C grep -c '[^ -~]' <<<"$out")"

check_exit "an invalid delay is a usage error" 2 "$TUI" -d 0
check_exit "an unknown option is a usage error" 2 "$TUI" --bogus
check_exit "a bad sort column is a usage error" 2 "$TUI" -n 1 -s nope
check_match "the usage error is one line naming the value" "^berth-tui: invalid delay '0'" \
        "$("$TUI" -d 0 2>&1 3>&-)"
out=$("$TUI" -n 1 -d 0.1 -s pid -r 3>&-)
pids=$(grep -E "^$PFX" <<<"$out" | awk '$3 ~ /^[0-9]+$/ {print $3}' | tr '\n' ' ')
check_eq "-s pid -r: descending pids" "$(tr ' ' '\n' <<<"$pids" | grep . | sort -rn | tr '\n' ' ')" "$pids"
out=$("$TUI" -n 1 -d 0.1 -a 3>&-)
check_eq "-a hides the stopped ones" "$RUNNING" "$(grep -c "^$PFX" <<<"$out")"
