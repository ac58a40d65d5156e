#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The escape battery: tests/security/berth-probe runs as root inside a default (unprivileged)
# and a privileged busybox container, through `berth attach`, and tries the ways out an attacker
# holding container root would try (SECURITY.md lists them and what each means). Next to it,
# the checks that need the host: TIOCSTI through attach into the terminal of the host shell that
# ran `berth attach` (for real, in tmux), a setuid binary made by container root and run by an
# unprivileged host user through the store path, a second container's file on a shared volume,
# a host file through /proc/PID/root.
#
# Every probe is one TAP result per mode: in the default mode each must be blocked; in the
# privileged mode exactly the probes SECURITY.md lists between its privileged-escapes markers
# escape and every other one is blocked. The table of both columns goes to the log.
# shellcheck disable=SC2016 # the single-quoted scripts run inside the containers
. "$(dirname "$0")/../integration/lib.sh"

PROBE=${BERTH_PROBE:-$BERTH_BUILDDIR/tests/security/berth-probe}
SECURITY_MD=$BERTH_SRCDIR/SECURITY.md
[ -x "$PROBE" ] || { skip "escape battery" "no probe binary at $PROBE (make check builds it)"; exit 0; }
[ -f "$SECURITY_MD" ] || { fail "SECURITY.md exists at $SECURITY_MD"; exit 0; }
file -L -b "$PROBE" 2>/dev/null | grep -Eq 'statically linked|static-pie linked' ||
        diag "warning: $PROBE does not look static; a busybox container has no libc"

# The probes the privileged mode is documented to let through (SECURITY.md).
documented=$(sed -n '/<!-- privileged-escapes: begin -->/,/<!-- privileged-escapes: end -->/p' \
                "$SECURITY_MD" | sed -n 's/^- `\([a-z0-9_-]*\)`.*/\1/p' | sort -u)
check_ne "SECURITY.md lists the probes privileged mode lets through" "" "$documented"

# ---- the containers --------------------------------------------------------------------------

mkdir -p "$T/ro" "$T/shared"
chmod 755 "$T/ro"
chmod 1777 "$T/shared"
echo "host-only" >"$T/host-marker-$$"
conf() { # file privileged
        {
                [ "$2" = yes ] && echo "privileged: true"
                echo "mounts:"
                echo "  - {source: $T/ro, target: /ro, options: [bind, ro, create=dir]}"
                echo "  - {source: $T/shared, target: /shared, options: [bind, create=dir]}"
        } >"$1"
}
conf "$T/default.yaml" no
conf "$T/privileged.yaml" yes
d=$(name esc)
d2=$(name esc2)
p=$(name escp)
require "create $d (default)" create_busybox "$d" --config "$T/default.yaml"
require "create $d2 (default, shares /shared with $d)" create_busybox "$d2" --config "$T/default.yaml"
require "create $p (privileged)" create_busybox "$p" --config "$T/privileged.yaml"
for c in "$d" "$d2" "$p"; do
        require "the probe is copied into $c" cp "$PROBE" "$BERTH_STORE/$c/rootfs/berth-probe"
        require "start $c" berth start "$c"
done

# results[MODE:NAME]="blocked|ESCAPED detail"
declare -A results
names=()
record() { # mode < lines
        local line n v
        while IFS= read -r line; do
                [[ $line =~ ^([a-z0-9_-]+)\ (blocked|ESCAPED)\ ?(.*)$ ]] || continue
                n=${BASH_REMATCH[1]}
                v="${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
                results["$1:$n"]=$v
                [[ " ${names[*]} " == *" $n "* ]] || names+=("$n")
        done
}

# ---- the probe inside, through attach with pipes ----------------------------------------------

for mode in default privileged; do
        c=$d
        [ $mode = privileged ] && c=$p
        out=$(berth attach "$c" -- /berth-probe all </dev/null 2>&1)
        n=$(grep -cE '^[a-z0-9_-]+ (blocked|ESCAPED)' <<<"$out")
        check_le "$mode: the probe ran inside $c (reported $n lines)" 40 "$n" || diag "$out"
        record $mode <<<"$out"
        out=$(berth attach "$c" -- /berth-probe host-file "$T/host-marker-$$" </dev/null 2>&1)
        record $mode <<<"$out"
done

# ---- a second container's file on the shared volume -------------------------------------------

# $d's root makes a file only it may read; $d2's root (and the privileged root) try it.
check "$d writes a 0600 file on the shared volume" \
        berth attach "$d" -- sh -c 'echo secret >/shared/secret-d && chmod 600 /shared/secret-d'
record default <<<"$(berth attach "$d2" -- /berth-probe read-file /shared/secret-d </dev/null 2>&1)"
record privileged <<<"$(berth attach "$p" -- /berth-probe read-file /shared/secret-d </dev/null 2>&1)"

# ---- setuid through the store path -----------------------------------------------------------

# Container root makes a setuid-root copy of the probe; an unprivileged host user runs it
# through the container's directory in the store.
nobody=65534
ctrl=$T/control-suid
cp "$PROBE" "$ctrl" && chmod 4755 "$ctrl"
ctrl_out=$("$PROBE" as-user $nobody "$ctrl" euid 2>&1)
if [ "$ctrl_out" != "euid=0" ]; then
        skip "setuid-store: control" "a setuid-root binary in $T does not run as root here ($ctrl_out)"
else
        pass "setuid-store: control: a setuid-root binary the host made runs as euid 0 for uid $nobody"
        for mode in default privileged; do
                c=$d
                [ $mode = privileged ] && c=$p
                if ! berth attach "$c" -- sh -c 'cp /berth-probe /suid && chmod 4755 /suid' </dev/null; then
                        fail "$mode: container root makes a setuid binary"
                        continue
                fi
                path=$BERTH_STORE/$c/rootfs/suid
                got=$("$PROBE" as-user $nobody "$path" euid 2>&1)
                if [ "$got" = "euid=0" ]; then
                        record $mode <<<"setuid-store ESCAPED uid $nobody ran $path as euid 0"
                else
                        record $mode <<<"setuid-store blocked uid $nobody: ${got:-no output}"
                fi
        done
fi

# ---- TIOCSTI into the host shell that ran attach (tmux) --------------------------------------

if ! command -v tmux >/dev/null; then
        skip "tiocsti-host-shell" "tmux not installed"
else
        sock=berth-esc-$$
        tm() { tmux -L "$sock" -f /dev/null "$@" 3>&-; }
        IT_TEARDOWN_HOOKS+=("tmux -L '$sock' kill-server")
        pane() { tm capture-pane -p -J -t "$1" -S -200 2>/dev/null; }
        pane_has() { pane "$1" | grep -Eq -- "$2"; }
        # A host shell in tmux, with berth's environment.
        shell() { # session
                tm new-session -d -s "$1" -x 150 -y 40 \
                        "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=screen \
                         BERTH_STORE='$BERTH_STORE' BERTH_RUNDIR='$BERTH_RUNDIR' \
                         BERTH_CGROUP='$BERTH_CGROUP' BERTH_MONITOR='$BERTH_MONITOR' \
                         PS1='host\$ ' bash --norc --noprofile"
        }
        # Control: the probe run on the host itself pushes into this very shell, which then runs
        # the command; without that, a blocked result would prove nothing.
        shell ctl
        sleep 0.3
        tm send-keys -t ctl "'$PROBE' inject 'touch $T/control-injected'$'\\n'" Enter
        if wait_until 5 test -e "$T/control-injected"; then
                pass "tiocsti-host-shell: control: TIOCSTI from the host itself runs a command in the host shell"
                for mode in default privileged; do
                        c=$d
                        [ $mode = privileged ] && c=$p
                        s=inj-$mode
                        shell "$s"
                        sleep 0.3
                        marker=$T/injected-$mode
                        # The probe's terminal checks, then the injection into every terminal.
                        tm send-keys -t "$s" "'$BERTH_BIN' attach '$c' -- /berth-probe attach-fds attach-cwd tiocsti tiocsti-wide tiocsti-i386 tioclinux >'$T/tty-$mode.out' 2>&1" Enter
                        tm send-keys -t "$s" "'$BERTH_BIN' attach '$c' -- /berth-probe inject 'touch $marker'\$'\\n'; echo attach-done-\$?" Enter
                        wait_until 10 pane_has "$s" '^attach-done-' || diag "$(pane "$s")"
                        # Anything pushed into this shell runs now, before this echo.
                        tm send-keys -t "$s" "echo after-attach" Enter
                        wait_until 5 pane_has "$s" '^after-attach' || diag "$(pane "$s")"
                        record $mode <"$T/tty-$mode.out"
                        if [ -e "$marker" ]; then
                                record $mode <<<"tiocsti-host-shell ESCAPED the host shell ran the command the container pushed"
                        else
                                record $mode <<<"tiocsti-host-shell blocked the host shell ran nothing the container pushed"
                        fi
                done
        else
                skip "tiocsti-host-shell: control" "TIOCSTI does not reach this tmux shell (dev.tty.legacy_tiocsti=0?)"
        fi
fi

# ---- verdicts --------------------------------------------------------------------------------

is_documented() { grep -qx -- "$1" <<<"$documented"; }
table="$(printf '%-24s %-8s %-8s %s' PROBE DEFAULT PRIV 'DETAIL (default | privileged)')"
for n in "${names[@]}"; do
        dv=${results["default:$n"]:-}
        pv=${results["privileged:$n"]:-}
        table+=$'\n'"$(printf '%-24s %-8s %-8s %s | %s' "$n" "${dv%% *}" "${pv%% *}" "${dv#* }" "${pv#* }")"
        if [ -z "$dv" ]; then
                fail "default: $n reported"
        elif [ "${dv%% *}" = blocked ]; then
                pass "default: $n blocked"
        else
                fail "default: $n blocked"
                diag "  $n: ${dv#* }"
        fi
        if [ -z "$pv" ]; then
                fail "privileged: $n reported"
        elif is_documented "$n"; then
                if [ "${pv%% *}" = ESCAPED ]; then
                        pass "privileged: $n escapes, as SECURITY.md says"
                else
                        fail "privileged: $n escapes, as SECURITY.md says"
                        diag "  $n is blocked (${pv#* }): update SECURITY.md's list"
                fi
        elif [ "${pv%% *}" = blocked ]; then
                pass "privileged: $n blocked"
        else
                fail "privileged: $n blocked"
                diag "  $n: ${pv#* } (not in SECURITY.md's list)"
        fi
done
# A documented probe that no longer exists is a stale document.
while read -r n; do
        [ -n "$n" ] || continue
        [[ " ${names[*]} " == *" $n "* ]] || { fail "SECURITY.md's privileged list names only probes that ran"; diag "  '$n' did not run"; }
done <<<"$documented"
diag "$table"
