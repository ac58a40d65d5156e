#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libberth driven by a C front end (tests/integration/test-lib.c) in this test's hermetic store:
# nothing printed by the library, child setup errors with their errno, the errno conventions.
# Its TAP lines are re-reported here, so the harness's teardown checks count too.
. "$(dirname "$0")/lib.sh"

bin="$BERTH_BUILDDIR/test-lib"
[ -x "$bin" ] || it_fail_early "test-lib not built"
"$bin" "$PFX" "$T" >"$T/test-lib.tap" 2>"$T/test-lib.err"
rc=$?
while IFS= read -r line; do
        case "$line" in
        "ok "*) pass "${line#ok * - }" ;;
        "not ok "*) fail "${line#not ok * - }" ;;
        "#"*) diag "${line#\# }" ;;
        esac
done <"$T/test-lib.tap"
check_eq "test-lib exited cleanly" 0 "$rc"
diag_file "$T/test-lib.err"
