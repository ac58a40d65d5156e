# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The integration test harness, sourced by every tests/integration/*.sh (bash).
#
# Each test runs against its own temporary store, runtime dir and cgroup parent, so it never
# sees or touches a container it did not create. TAP goes to fd 3 (the driver's stdout); every
# other output of the test goes to stderr, which the TAP driver only copies into the log, so a
# stray "ok" printed by a command can never be counted as a test.
#
# Helpers: check, check_fail, check_exit, check_eq, check_match, check_le, check_between,
# require, skip, diag, wait_until, the berth() wrapper, and state/init_pid/monitor_pids
# queries. Teardown (EXIT trap) stops and destroys every container of this run, then checks
# for leaked cgroups, mounts and processes and reports each as a TAP line.

it_fail_early() {
        echo "1..0 # SKIP $*"
        exit 0
}

[ "${BERTH_SKIP_INTEGRATION:-0}" = 1 ] && it_fail_early "BERTH_SKIP_INTEGRATION=1"
[ "$(id -u)" = 0 ] || it_fail_early "integration tests need root"
[ -n "${BERTH_BIN:-}" ] && [ -x "$BERTH_BIN" ] || it_fail_early "BERTH_BIN not set or not executable (run via make check)"
[ -d /sys/fs/cgroup ] || it_fail_early "no /sys/fs/cgroup"
export BERTH_MONITOR BERTH_TEMPLATES_DIR BERTH_SRCDIR BERTH_BUILDDIR

# TAP on fd 3, everything else on stderr.
exec 3>&1 1>&2

T=$(mktemp -d /tmp/berth-it.XXXXXX) || it_fail_early "mktemp failed"
chmod 755 "$T"
export BERTH_STORE="$T/store" BERTH_RUNDIR="$T/run" BERTH_CGROUP="berth-it-$$"
# The host's global config and subordinate id files are not this test's: its own (the global
# config absent, so the built-in defaults apply; the id files created by berth on first use).
export BERTH_CONFIG="$T/berth.yaml" BERTH_SUBUID="$T/subuid" BERTH_SUBGID="$T/subgid"
PFX="it$$-"
mkdir -p -m 0700 "$BERTH_STORE"
mkdir -p "$BERTH_RUNDIR"

# Stores other than the default one used by this test: "STORE RUNDIR" pairs (see register_store).
IT_STORES=("$BERTH_STORE $BERTH_RUNDIR")
# Commands run by teardown before anything else (e.g. killing a private tmux server).
IT_TEARDOWN_HOOKS=()
# PIDs of background jobs this test started; killed by teardown if still alive.
IT_BG_PIDS=()

IT_N=0
IT_FAILED=0
IT_BAILED=0
# Timeout of one berth command; a hung core must not hang make check.
IT_CMD_TIMEOUT=${BERTH_IT_CMD_TIMEOUT:-60}
# Overall budget of one test script; the watchdog sends TERM to the script when it is over.
IT_SCRIPT_TIMEOUT=${BERTH_IT_SCRIPT_TIMEOUT:-300}
IT_OUT="$T/out"       # stdout+stderr of the last checked command
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || echo python3)

tap() { echo "$*" >&3; }
diag() {
        local line
        while IFS= read -r line; do
                echo "# $line" >&3
        done <<<"$*"
}
diag_file() {
        [ -s "$1" ] || return 0
        sed -e 's/^/#   | /' "$1" | head -n 40 >&3
}

pass() {
        IT_N=$((IT_N + 1))
        tap "ok $IT_N - $1"
}
fail() {
        IT_N=$((IT_N + 1))
        IT_FAILED=$((IT_FAILED + 1))
        tap "not ok $IT_N - $1"
        # Report the line of the test script, not of the helpers in this file.
        local i
        for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
                if [ "${BASH_SOURCE[i]##*/}" != lib.sh ]; then
                        diag "  at ${BASH_SOURCE[i]##*/} line ${BASH_LINENO[i - 1]}"
                        break
                fi
        done
}
skip() {
        IT_N=$((IT_N + 1))
        tap "ok $IT_N - $1 # SKIP ${2:-}"
}
# ok_if DESC CONDITION-RESULT: report a result computed by the caller (0 = pass).
ok_if() {
        if [ "$2" = 0 ]; then pass "$1"; else fail "$1"; fi
}

# check DESC CMD...: the command exits 0.
check() {
        local desc=$1 rc
        shift
        "$@" >"$IT_OUT" 2>&1 3>&-
        rc=$?
        if [ $rc = 0 ]; then
                pass "$desc"
        else
                fail "$desc"
                diag "  command: $* (exit $rc)"
                diag_file "$IT_OUT"
        fi
        return $rc
}

# check_fail DESC CMD...: the command exits non-zero.
check_fail() {
        local desc=$1 rc
        shift
        "$@" >"$IT_OUT" 2>&1 3>&-
        rc=$?
        if [ $rc != 0 ]; then
                pass "$desc"
                return 0
        fi
        fail "$desc"
        diag "  command: $* (exit 0, expected failure)"
        diag_file "$IT_OUT"
        return 1
}

# check_exit DESC CODE CMD...: the command exits with CODE.
check_exit() {
        local desc=$1 want=$2 rc
        shift 2
        "$@" >"$IT_OUT" 2>&1 3>&-
        rc=$?
        if [ "$rc" = "$want" ]; then
                pass "$desc"
                return 0
        fi
        fail "$desc"
        diag "  command: $* (exit $rc, expected $want)"
        diag_file "$IT_OUT"
        return 1
}

# check_error DESC CODE CMD...: exits with CODE and stderr is exactly one line "berth: ...".
check_error() {
        local desc=$1 want=$2 rc lines first
        shift 2
        "$@" >"$T/err.out" 2>"$T/err.err" 3>&-
        rc=$?
        lines=$(wc -l <"$T/err.err")
        first=$(head -n 1 "$T/err.err")
        if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && [[ $first == "berth: "* ]]; then
                pass "$desc"
                return 0
        fi
        fail "$desc"
        diag "  command: $* (exit $rc, expected $want; $lines stderr lines, expected 1 'berth: ...')"
        diag_file "$T/err.err"
        return 1
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
        if [ "$2" = "$3" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  expected: '$2'"
        diag "       got: '$3'"
        return 1
}

# check_ne DESC UNEXPECTED ACTUAL
check_ne() {
        if [ "$2" != "$3" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  got '$3', expected anything else"
        return 1
}

# check_match DESC ERE TEXT: TEXT (possibly several lines) has a line matching ERE.
check_match() {
        if grep -Eq -- "$2" <<<"$3"; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  no line matches /$2/ in:"
        diag "$(head -n 30 <<<"$3" | sed 's/^/  | /')"
        return 1
}

# check_nomatch DESC ERE TEXT
check_nomatch() {
        if ! grep -Eq -- "$2" <<<"$3"; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  a line matches /$2/:"
        diag "$(grep -E -- "$2" <<<"$3" | head -n 10 | sed 's/^/  | /')"
        return 1
}

# check_le DESC A B: integer A <= B.  check_between DESC LO X HI: LO <= X <= HI.
check_le() {
        if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$2" -le "$3" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  expected '$2' <= '$3'"
        return 1
}
check_between() {
        if [[ $3 =~ ^[0-9]+$ ]] && [ "$2" -le "$3" ] && [ "$3" -le "$4" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "  expected $2 <= '$3' <= $4"
        return 1
}

# require DESC CMD...: like check, but the rest of the test depends on it: stop on failure.
require() {
        check "$@" && return 0
        diag "a required step failed: not running the rest of this test"
        IT_BAILED=1
        exit 1
}

# The berth binary, bounded in time and without the TAP fd.
berth() {
        timeout -k 5 "$IT_CMD_TIMEOUT" "$BERTH_BIN" "$@" 3>&-
}

# Microseconds since the epoch, and milliseconds elapsed since a value of it.
now_us() { echo "${EPOCHREALTIME/./}"; }
ms_since() { echo $((($(now_us) - $1) / 1000)); }

# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds; 1 on timeout.
wait_until() {
        local deadline=$(($(now_us) + ${1%.*} * 1000000))
        shift
        while :; do
                "$@" >/dev/null 2>&1 3>&- && return 0
                [ "$(now_us)" -ge "$deadline" ] && return 1
                sleep 0.05
        done
}

name() { echo "$PFX$1"; }

# Container queries through the human `berth info` output ("State: RUNNING", "PID: 1234").
state() { berth info "$1" 2>/dev/null | sed -n 's/^State: *//p'; }
init_pid() {
        local p
        p=$(berth info "$1" 2>/dev/null | sed -n 's/^PID: *//p')
        [[ $p =~ ^[1-9][0-9]*$ ]] && echo "$p"
}
state_is() { [ "$(state "$1")" = "$2" ]; }
# Alive: exists and is not a zombie.
pid_alive() {
        [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
        [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}
pid_dead() { ! pid_alive "$1"; }

# NUL-separated cmdline of PID, with spaces.
cmdline_of() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | sed 's/ $//'; }

# PIDs whose process title is "[berth monitor] NAME" exactly.
monitor_pids() {
        local p
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$(cmdline_of "$p")" = "[berth monitor] $1" ] && echo "$p"
        done
}
monitor_count() { monitor_pids "$1" | grep -c .; }
no_monitor() { [ "$(monitor_count "$1")" = 0 ]; }

# The cgroup helpers shared with the VM suite (v1, hybrid and pure v2 alike).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/cgroup.sh"
# Cgroup directory of container NAME in the hierarchy holding CONTROLLER (payload cgroup).
cg_dir() { cgh_dir "$1" "$BERTH_CGROUP/$2"; }
# Every PID in the payload cgroup subtree of NAME.
cg_pids() { cgh_procs "$BERTH_CGROUP/$1"; }
cg_gone() { ! cgh_exists "$BERTH_CGROUP/$1"; }
# cg_sum_field CONTROLLER NAME FILE KEY: the sum of the "KEY N" lines of FILE over the payload
# subtree of NAME (v1 counts events such as an OOM kill in the victim's own cgroup).
cg_sum_field() {
        find "$(cg_dir "$1" "$2")" -name "$3" -exec cat {} + 2>/dev/null |
                awk -v k="$4" '$1 == k { s += $2 } END { print s + 0 }'
}
# The controller's cgroup path of PID ("/berth-it-1/web/ns").
cg_of_pid() { cgh_of_pid "$1" "$2"; }

# create_busybox NAME [berth create options...]
create_busybox() {
        local n=$1
        shift
        berth create "$n" -t busybox "$@"
}

register_store() { IT_STORES+=("$1 $2"); }

# ---- teardown --------------------------------------------------------------------------------

# Only ever called on our own $BERTH_CGROUP: thaw, then kill whatever is left in it.
it_kill_cgroup_tree() { cgh_kill_tree "$BERTH_CGROUP"; }

it_teardown() {
        local hook entry store rundir n leaked p i
        trap - EXIT INT TERM HUP
        if [ -n "${IT_WATCHDOG:-}" ]; then
                p=$(cat "/proc/$IT_WATCHDOG/task/$IT_WATCHDOG/children" 2>/dev/null)
                kill "$IT_WATCHDOG" $p 2>/dev/null
        fi
        for hook in "${IT_TEARDOWN_HOOKS[@]}"; do
                eval "$hook" >/dev/null 2>&1 3>&-
        done
        for p in "${IT_BG_PIDS[@]}"; do
                kill -9 "$p" 2>/dev/null
        done

        # Stop and destroy every container of this run's stores.
        for entry in "${IT_STORES[@]}"; do
                store=${entry% *}
                rundir=${entry#* }
                [ -d "$store" ] || continue
                for n in $(ls -A "$store" 2>/dev/null); do
                        [ -d "$store/$n" ] || continue
                        timeout -k 2 30 "$BERTH_BIN" --store "$store" --rundir "$rundir" \
                                stop "$n" --kill >/dev/null 2>&1 3>&-
                        timeout -k 2 30 "$BERTH_BIN" --store "$store" --rundir "$rundir" \
                                destroy "$n" --force --snapshots >/dev/null 2>&1 3>&-
                done
        done
        # Monitors clean up asynchronously: give them a moment before looking for leaks.
        for i in $(seq 40); do
                [ -z "$(it_find_procs)" ] && [ -z "$(it_find_cgroups)" ] && break
                sleep 0.05
        done

        leaked=$(it_find_cgroups)
        if ! cgh_available; then
                skip "teardown: no cgroup left under $BERTH_CGROUP" "no cgroup hierarchy mounted"
        elif [ -z "$leaked" ]; then
                pass "teardown: no cgroup left under $BERTH_CGROUP"
        else
                fail "teardown: no cgroup left under $BERTH_CGROUP"
                diag "$(sed 's/^/  leaked: /' <<<"$leaked")"
                for p in $(cgh_procs "$BERTH_CGROUP"); do
                        diag "  process in it: $p $(cmdline_of "$p")"
                done
        fi

        leaked=$(awk -v t="$T" 'index($5, t "/") == 1 || $5 == t { print $5 }' /proc/self/mountinfo)
        if [ -z "$leaked" ]; then
                pass "teardown: no mount left under $T"
        else
                fail "teardown: no mount left under $T"
                diag "$(sed 's/^/  leaked: /' <<<"$leaked")"
        fi

        leaked=$(it_find_procs)
        if [ -z "$leaked" ]; then
                pass "teardown: no process of this test left"
        else
                fail "teardown: no process of this test left"
                diag "$(sed 's/^/  leaked: /' <<<"$leaked")"
                for p in $(cut -d' ' -f1 <<<"$leaked"); do
                        kill -9 "$p" 2>/dev/null
                done
        fi

        # Now clean up whatever leaked, ours only.
        it_kill_cgroup_tree
        for i in $(seq 40); do
                [ -z "$(cgh_procs "$BERTH_CGROUP")" ] && break
                sleep 0.05
        done
        cgh_remove_tree "$BERTH_CGROUP"
        awk -v t="$T" 'index($5, t "/") == 1 || $5 == t { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r p; do umount -l "$p" 2>/dev/null; done
        rm -rf --one-file-system "$T"

        tap "1..$IT_N"
        # Failed checks are reported by their TAP lines; a non-zero exit means the test could
        # not run to its end (a required step failed, or it was interrupted).
        exit "$IT_BAILED"
}

# Directories under any hierarchy's $BERTH_CGROUP (the parent itself may stay).
it_find_cgroups() { cgh_find "$BERTH_CGROUP"; }

# "PID cmdline" of every process that mentions $T or is a monitor of one of our containers.
it_find_procs() {
        local p c
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
                c=$(cmdline_of "$p") || continue
                case $c in
                *"$T"* | "[berth monitor] $PFX"*) echo "$p $c" ;;
                esac
        done
}

trap it_teardown EXIT
trap 'diag "interrupted (watchdog: ${IT_SCRIPT_TIMEOUT}s)"; IT_BAILED=1; exit 1' INT TERM HUP

# The watchdog: a test that hangs is killed (with teardown) instead of hanging make check.
(
        exec 3>&- 0</dev/null 1>/dev/null 2>/dev/null
        sleep "$IT_SCRIPT_TIMEOUT" &
        wait $!
        kill -TERM $$
) &
IT_WATCHDOG=$!

diag "T=$T BERTH_CGROUP=$BERTH_CGROUP prefix=$PFX bin=$BERTH_BIN"
