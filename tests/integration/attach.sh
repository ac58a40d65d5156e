#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth attach: what the attached command holds (pipes, or a pty of the container's devpts, and
# never an fd of the caller), data both ways, exit statuses, setup failures as errors that are
# not a command's 127, signals, and in tmux the terminal relay: raw mode restored, window size,
# Ctrl-C inside, a background child that keeps the pty does not hold attach.
# shellcheck disable=SC2016 # the single-quoted scripts run inside the container
. "$(dirname "$0")/lib.sh"

n=$(name att)
require "create $n" create_busybox "$n"
require "start $n" berth start "$n"

# ---- pipes ----
# The trailing ':' keeps sh from exec'ing ls, whose own directory fd would show.
fds=$(berth attach "$n" -- sh -c 'for f in 0 1 2; do readlink /proc/$$/fd/$f; done; ls /proc/$$/fd; :' </dev/null 2>/dev/null)
check_match "stdin is a pipe" '^pipe:' "$(sed -n 1p <<<"$fds")"
check_match "stdout is a pipe" '^pipe:' "$(sed -n 2p <<<"$fds")"
check_match "stderr is a pipe" '^pipe:' "$(sed -n 3p <<<"$fds")"
check_eq "no fd but 0, 1 and 2 (a file of the caller, say)" "0 1 2" "$(sed -n '4,$p' <<<"$fds" | tr '\n' ' ' | sed 's/ $//')"
check_eq "stdin data and its end reach the command" "abc|" \
        "$(printf abc | berth attach "$n" -- sh -c 'cat; printf "|"' 2>/dev/null)"
check_eq "stdout and stderr stay apart" "out" \
        "$(berth attach "$n" -- sh -c 'echo out; echo err >&2' </dev/null 2>/dev/null)"
check_eq "stderr reaches stderr" "err" \
        "$(berth attach "$n" -- sh -c 'echo out; echo err >&2' </dev/null 2>&1 >/dev/null)"
head -c 3000000 /dev/urandom >"$T/big"
check_eq "3 MB through stdin and back unchanged" "$(md5sum <"$T/big" | cut -d' ' -f1)" \
        "$(berth attach "$n" -- cat <"$T/big" 2>/dev/null | md5sum | cut -d' ' -f1)"
# A command that writes much before it reads: the relay must not block on its stdin.
check_eq "a command writing 1 MB before reading its stdin does not deadlock" "1048576 3000000" \
        "$(timeout 20 "$BERTH_BIN" attach "$n" -- sh -c 'head -c 1048576 /dev/zero | wc -c; wc -c' <"$T/big" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
berth attach "$n" -- yes 2>/dev/null | head -n 2 >/dev/null
check_eq "a closed stdout ends the command by SIGPIPE, as without attach (141)" 141 "${PIPESTATUS[0]}"
check_eq "a closed stdin stays closed for the command" "closed" \
        "$(berth attach "$n" -- sh -c '[ -e /proc/$$/fd/0 ] && echo open || echo closed' <&- 2>/dev/null)"

# ---- exit statuses and setup failures ----
check_exit "exit status 0" 0 berth attach "$n" -- true
check_exit "exit status 7" 7 berth attach "$n" -- sh -c 'exit 7'
check_exit "a command's own 127 is 127, with nothing from berth" 127 berth attach "$n" -- sh -c 'exit 127'
check_eq "... and berth says nothing about it" "" "$(berth attach "$n" -- sh -c 'exit 127' 2>&1)"
check_exit "killed by SIGTERM inside: 143" 143 berth attach "$n" -- sh -c 'kill -TERM $$'
check_error "a missing command is berth's error (exit 1, one line)" 1 berth attach "$n" -- /no/such/cmd
check_match "... naming exec, the command and errno" "^berth: attach '$n': exec '/no/such/cmd': No such file or directory\$" "$(cat "$T/err.err")"
check_eq "... and nothing on stdout" "" "$(cat "$T/err.out")"
check_error "a missing directory" 1 berth attach "$n" -c /no/dir -- true
check_match "... names it" "change directory to '/no/dir': No such file or directory" "$(cat "$T/err.err")"
check_error "an unmapped uid" 1 berth attach "$n" -u 5000000 -- true
check_match "... names it" "set uid 5000000 gid 0: Invalid argument" "$(cat "$T/err.err")"
check_error "a file that is no program" 1 berth attach "$n" -- /etc/passwd
check_match "... names it" "exec '/etc/passwd': Permission denied" "$(cat "$T/err.err")"
check_eq "-u 1000 runs as uid 1000" "1000" "$(berth attach "$n" -u 1000 -- id -u 2>/dev/null)"
check_eq "-c /etc sets the directory" "/etc" "$(berth attach "$n" -c /etc -- pwd 2>/dev/null)"

# ---- signals: berth forwards them to the command ----
# Not through the berth() wrapper: the signal must reach berth itself, not timeout(1).
"$BERTH_BIN" attach "$n" -- sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.05; done' \
        </dev/null >"$T/sig.out" 2>&1 3>&- &
bg=$!
IT_BG_PIDS+=("$bg")
wait_until 10 grep -q ready "$T/sig.out"
kill -TERM "$bg"
wait "$bg"
rc=$?
check_eq "SIGTERM to berth attach reaches the command, whose status comes back" 9 "$rc"
check_match "... and the command saw it" '^got-term$' "$(cat "$T/sig.out")"

# ---- the terminal, in tmux ----
if ! command -v tmux >/dev/null; then
        skip "attach in a terminal" "tmux not installed"
        exit 0
fi
sock=berth-att-$$
tm() { tmux -L "$sock" -f /dev/null "$@" 3>&-; }
IT_TEARDOWN_HOOKS+=("tmux -L '$sock' kill-server")
pane() { tm capture-pane -p -J -t "$1" -S -200 2>/dev/null; }
pane_has() { pane "$1" | grep -Eq -- "$2"; }
show_pane() { diag "$(pane "$1" | grep -v '^$' | tail -n 15 | sed 's/^/  pane| /')"; }
tm new-session -d -s t -x 120 -y 30 \
        "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=screen \
         BERTH_STORE='$BERTH_STORE' BERTH_RUNDIR='$BERTH_RUNDIR' BERTH_CGROUP='$BERTH_CGROUP' \
         PS1='host\$ ' bash --norc --noprofile"
sleep 0.3
tm send-keys -t t "stty -g >'$T/stty.before'" Enter
tm send-keys -t t "'$BERTH_BIN' attach '$n' -- sh; echo attach-exit=\$?" Enter
wait_until 5 pane_has t '/ # $' || show_pane t
tm send-keys -t t 'tty; [ "$(stat -L -c %d /proc/self/fd/0)" = "$(stat -c %d /dev/pts/ptmx)" ] && echo same-devpts; stty size' Enter
if check "the shell's stdin is a pty of the container's own devpts" wait_until 5 pane_has t '^same-devpts$'; then
        check_match "its name is /dev/pts/N" '^/dev/pts/[0-9]+$' "$(pane t)"
else
        show_pane t
fi
check "the pty has the terminal's size (30x120)" wait_until 5 pane_has t '^30 120$'
tm resize-window -t t -x 100 -y 25 2>/dev/null || tm resize-pane -t t -x 100 -y 25
sleep 0.3
tm send-keys -t t 'stty size' Enter
check "a resize reaches the pty (SIGWINCH)" wait_until 5 pane_has t '^25 100$' || show_pane t
tm send-keys -t t 'sleep 30' Enter
sleep 0.5
tm send-keys -t t C-c
tm send-keys -t t 'echo slept=$?' Enter
check "Ctrl-C interrupts the command inside (status 130)" wait_until 5 pane_has t '^slept=130$' || show_pane t
tm send-keys -t t 'exit 5' Enter
check "the exit status comes back through the terminal relay" wait_until 5 pane_has t '^attach-exit=5$' || show_pane t
tm send-keys -t t "stty -g >'$T/stty.after'; echo saved" Enter
wait_until 5 pane_has t '^saved$'
check_eq "the terminal's mode is restored" "$(cat "$T/stty.before" 2>/dev/null)" "$(cat "$T/stty.after" 2>/dev/null)"
t0=$(now_us)
tm send-keys -t t "'$BERTH_BIN' attach '$n' -- sh -c 'sleep 30 &'; echo bg-exit=\$?" Enter
check "a background child holding the pty does not hold attach" wait_until 5 pane_has t '^bg-exit=0$' || show_pane t
check_le "... it returns within 3 s ($(ms_since "$t0") ms)" "$(ms_since "$t0")" 3000
tm send-keys -t t "echo piped | '$BERTH_BIN' attach '$n' -- sh -c 'cat; tty'; echo mixed-exit=\$?" Enter
check "stdin a pipe, stdout the terminal: the pipe's data comes through" wait_until 5 pane_has t '^piped$' || show_pane t
check_match "... and stdin is no terminal" '^not a tty$' "$(pane t)"
