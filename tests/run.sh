#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/run.sh: THE test command. Run as root on a fresh Debian 12 from anywhere in the tree:
#
#     sudo bash tests/run.sh
#
# Phases: build dependencies (apt), build in build/, make check (unit tests, fuzz corpus replays
# and the root-only integration tests), a sanitizer build in build-asan/ running the unit tests,
# fuzz replays and berth-tui's batch test, and make distcheck. Every test result (each TAP test
# point in the .trs files) is counted; the very last line of output is "N passed, N failed, N
# skipped". The exit status is non-zero when anything failed or a phase broke.
#
# Knobs (environment): CI (always run apt), JOBS (make -j, default nproc), BERTH_RUN_NO_APT=1
# (never run apt), BERTH_RUN_SKIP_ASAN=1, BERTH_RUN_SKIP_DISTCHECK=1, and per-phase time caps
# in seconds: BERTH_RUN_BUILD_TIMEOUT, BERTH_RUN_CHECK_TIMEOUT, BERTH_RUN_ASAN_TIMEOUT,
# BERTH_RUN_DISTCHECK_TIMEOUT.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$srcdir"

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
BUILD_TIMEOUT=${BERTH_RUN_BUILD_TIMEOUT:-900}
CHECK_TIMEOUT=${BERTH_RUN_CHECK_TIMEOUT:-1200}
ASAN_TIMEOUT=${BERTH_RUN_ASAN_TIMEOUT:-900}
DISTCHECK_TIMEOUT=${BERTH_RUN_DISTCHECK_TIMEOUT:-1200}

# Build and test dependencies (Debian 12 package names).
DEPS=(build-essential autoconf automake pkg-config libcap-dev libseccomp-dev libapparmor-dev
      libyaml-dev libsystemd-dev libncurses-dev libmnl-dev busybox-static tmux dbus-daemon clang valgrind
      iproute2 procps psmisc file strace qemu-system-x86 cpio e2fsprogs debootstrap
      debian-archive-keyring python3 curl openssl xz-utils polkitd systemd-container jq
      dnsmasq-base nftables util-linux btrfs-progs)

total_pass=0
total_fail=0
total_skip=0
summaries=()
failed_logs=()
started=$(date +%s)

say() {
        printf '==> %s\n' "$*"
}

warn() {
        printf 'run.sh: %s\n' "$*" >&2
}

# Runs "$@" in a subshell with errexit in force. Called as a plain statement (never under
# if/&&/||), because bash ignores set -e inside anything run in a condition context.
phase_rc=0
run_phase() {
        local t0=$SECONDS
        set +e
        (
                set -e
                "$@"
        )
        phase_rc=$?
        set -e
        say "phase '$1' finished in $((SECONDS - t0)) s (status $phase_rc)"
}

# Counts the :test-result: lines of every .trs file under $1 into cnt_pass/fail/skip. A failed
# distcheck leaves its own copy (PACKAGE-VERSION/_build) behind: not this phase's results.
# automake's meaning: XFAIL is an expected failure (good), XPASS an unexpected pass (bad).
cnt_pass=0
cnt_fail=0
cnt_skip=0
count_results() {
        local dir=$1 res
        cnt_pass=0
        cnt_fail=0
        cnt_skip=0
        [ -d "$dir" ] || return 0
        while read -r res; do
                case "$res" in
                PASS | XFAIL) cnt_pass=$((cnt_pass + 1)) ;;
                FAIL | XPASS | ERROR) cnt_fail=$((cnt_fail + 1)) ;;
                SKIP) cnt_skip=$((cnt_skip + 1)) ;;
                esac
        done < <(find "$dir" -path '*/_build' -prune -o -name '*.trs' -type f \
                      -exec sed -n 's/^:test-result: *\([A-Z]*\).*/\1/p' {} + 2>/dev/null || :)
}

# Records a phase's result: its counted tests; a phase that failed without any failed test
# (it broke: configure, compile, a crashed harness) counts as one failure.
record() { # name rc pass fail skip [log...]
        local name=$1 rc=$2 p=$3 f=$4 s=$5
        shift 5
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
                f=1
        fi
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f))
        total_skip=$((total_skip + s))
        local line
        line=$(printf '%-10s %5d passed, %4d failed, %4d skipped' "$name" "$p" "$f" "$s")
        [ "$rc" -eq 0 ] || line="$line   (exit status $rc)"
        summaries+=("$line")
        if [ "$f" -gt 0 ]; then
                local l
                for l in "$@"; do
                        [ -f "$l" ] && failed_logs+=("$l")
                done
        fi
        return 0
}

# Prints a make variable of a configured build dir (e.g. check_PROGRAMS) without relying on
# a helper target in Makefile.am.
make_var() { # builddir var
        # shellcheck disable=SC2016 # $(VAR) is for make, not the shell
        printf 'berth-run-print-var:\n\t@echo $(%s)\n' "$2" |
                make -s --no-print-directory -C "$1" -f Makefile -f - berth-run-print-var
}

# ---- phase: dependencies ---------------------------------------------------------------------

pkg_installed() {
        dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
}

phase_deps() {
        local missing=() p
        for p in "${DEPS[@]}"; do
                pkg_installed "$p" || missing+=("$p")
        done
        if [ "${#missing[@]}" -eq 0 ] && [ -z "${CI:-}" ]; then
                say "build and test dependencies are installed"
                return 0
        fi
        say "installing dependencies: ${missing[*]:-(all present; CI set)}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        local deps=("${DEPS[@]}")
        # dbus-daemon is its own package from bookworm on; older releases ship it in dbus.
        if ! apt-cache show dbus-daemon >/dev/null 2>&1; then
                deps=("${deps[@]/#dbus-daemon/dbus}")
        fi
        apt-get install -y -q --no-install-recommends "${deps[@]}"
}

need_apt=false
if [ "${BERTH_RUN_NO_APT:-}" != 1 ] && command -v apt-get >/dev/null 2>&1 &&
   command -v dpkg-query >/dev/null 2>&1; then
        if [ -n "${CI:-}" ]; then
                need_apt=true
        else
                for p in "${DEPS[@]}"; do
                        if ! pkg_installed "$p"; then
                                need_apt=true
                                break
                        fi
                done
        fi
fi
if $need_apt; then
        if [ "$(id -u)" -ne 0 ]; then
                warn "dependencies are missing and apt-get needs root; trying the build anyway"
        else
                say "phase deps"
                run_phase phase_deps
                record deps "$phase_rc" 0 0 0
        fi
fi

# ---- phase: build ----------------------------------------------------------------------------

phase_build() {
        if [ -f "$srcdir/config.status" ]; then
                echo "run.sh: the source tree is configured in place; run 'make distclean' in" \
                     "'$srcdir' first" >&2
                return 1
        fi
        autoreconf -fi
        mkdir -p build
        cd build
        ../configure --enable-werror
        timeout -k 30 "$BUILD_TIMEOUT" make -j"$JOBS"
        # Build the test programs in parallel here; the tests themselves run in the next phase.
        # shellcheck disable=SC2046
        timeout -k 30 "$BUILD_TIMEOUT" make -j"$JOBS" $(make_var . check_PROGRAMS)
}

say "phase build (build/)"
run_phase phase_build
build_ok=$phase_rc
# Its errors are already on the terminal, right above.
record build "$phase_rc" 0 0 0

# ---- phase: check ----------------------------------------------------------------------------

phase_check() {
        cd build
        # Stale results of a previous run (e.g. a test since removed) must not be counted.
        find . -path '*/_build' -prune -o -name '*.trs' -type f -exec rm -f {} +
        rm -f test-suite.log
        # Serial: the integration tests boot real containers and share host resources.
        timeout -k 30 "$CHECK_TIMEOUT" make check
}

if [ "$build_ok" -eq 0 ]; then
        say "phase check (build/: unit, fuzz replay, integration)"
        run_phase phase_check
        count_results build
        record check "$phase_rc" "$cnt_pass" "$cnt_fail" "$cnt_skip" build/test-suite.log
else
        warn "the build failed; skipping make check and make distcheck"
fi

# ---- phase: sanitizers -----------------------------------------------------------------------

phase_asan() {
        if [ ! -x "$srcdir/configure" ]; then
                autoreconf -fi
        fi
        mkdir -p build-asan
        cd build-asan
        find . -path '*/_build' -prune -o -name '*.trs' -type f -exec rm -f {} +
        rm -f test-suite.log
        ../configure --enable-werror --enable-asan --enable-ubsan
        timeout -k 30 "$ASAN_TIMEOUT" make -j"$JOBS"
        local tests
        tests=$(make_var . unit_tests)" "$(make_var . fuzz_targets)
        if [ -z "${tests// /}" ]; then
                # The variable names changed: fall back to every check program (no integration).
                tests=$(make_var . check_PROGRAMS)
        fi
        # The dashboard over many real containers under the sanitizers (root; skips otherwise).
        tests="$tests tests/integration/tui-batch.sh"
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
        timeout -k 30 "$ASAN_TIMEOUT" make -j"$JOBS" check TESTS="$tests"
}

if [ "${BERTH_RUN_SKIP_ASAN:-}" != 1 ]; then
        say "phase asan (build-asan/: unit, fuzz replay and berth-tui batch under ASan+UBSan)"
        run_phase phase_asan
        count_results build-asan
        record asan "$phase_rc" "$cnt_pass" "$cnt_fail" "$cnt_skip" build-asan/test-suite.log
fi

# ---- phase: distcheck ------------------------------------------------------------------------

phase_distcheck() {
        cd build
        # The integration tests already ran in the check phase.
        export BERTH_SKIP_INTEGRATION=1
        timeout -k 30 "$DISTCHECK_TIMEOUT" \
                make -j"$JOBS" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror
}

if [ "$build_ok" -eq 0 ] && [ "${BERTH_RUN_SKIP_DISTCHECK:-}" != 1 ]; then
        say "phase distcheck (build/)"
        run_phase phase_distcheck
        # distcheck re-runs the same tests in a copy that it deletes on success: count it as
        # one result rather than counting those tests twice.
        if [ "$phase_rc" -eq 0 ]; then
                record distcheck 0 1 0 0
        else
                mapfile -t dc_logs < <(find build -path '*/_build/*' -name test-suite.log \
                                       -type f 2>/dev/null || :)
                record distcheck "$phase_rc" 0 1 0 "${dc_logs[@]}"
        fi
fi

# ---- report ----------------------------------------------------------------------------------

for l in "${failed_logs[@]}"; do
        printf '\n==> %s\n' "$l"
        # Logs of a broken build can be long; the end holds the error.
        tail -n 300 -- "$l" || :
done

printf '\n==> summary (%d s)\n' "$(($(date +%s) - started))"
for s in "${summaries[@]}"; do
        printf '  %s\n' "$s"
done
printf '%d passed, %d failed, %d skipped\n' "$total_pass" "$total_fail" "$total_skip"
[ "$total_fail" -eq 0 ]
