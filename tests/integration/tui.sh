#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth-tui driven through tmux against real busybox containers: the table's states and limits,
# sorting, filtering, hiding stopped ones, start, stop with its countdown, freeze/thaw,
# snapshot and restore, destroy with its confirmation (each checked against the container's
# real state through the CLI, not the screen), console attach and detach, resizing, escaped
# container output, colours on and off, and a sane terminal after SIGTERM and a crash signal.
. "$(dirname "$0")/lib.sh"

TUI=${BERTH_TUI:-$BERTH_BUILDDIR/berth-tui}
[ -x "$TUI" ] || { skip "berth-tui tests" "berth-tui not built (no ncurses)"; exit 0; }
command -v tmux >/dev/null || { skip "berth-tui tests" "tmux not installed"; exit 0; }
sock=berth-it-tui-$$
tm() { tmux -L "$sock" -f /dev/null "$@" 3>&-; }
IT_TEARDOWN_HOOKS+=("tmux -L '$sock' kill-server")

# run_tui SESSION COLS ROWS [ENV...] -- [TUI ARGS...]: the dashboard in a tmux session; when it
# ends the pane stays, shows its exit status and saves the terminal modes (stty -a).
run_tui() {
        local s=$1 cols=$2 rows=$3 envs=() a
        shift 3
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                envs+=("$1")
                shift
        done
        shift
        tm new-session -d -s "$s" -x "$cols" -y "$rows" \
                "env TERM=screen-256color BERTH_STORE='$BERTH_STORE' BERTH_RUNDIR='$BERTH_RUNDIR' \
                 BERTH_CGROUP='$BERTH_CGROUP' BERTH_MONITOR='$BERTH_MONITOR' ${envs[*]} \
                 '$TUI' $* ; echo \"tui-exit=\$?\"; stty -a >'$T/stty.$s'; sleep 600" || return 1
        # Every dashboard is remembered by PID: teardown kills what is left, and the end of
        # the test checks that none outlived its terminal.
        wait_until 5 tui_pid "$s" || return 1
        local p
        p=$(tui_pid "$s")
        TUI_PIDS+=("$p")
        IT_BG_PIDS+=("$p")
}
TUI_PIDS=()
pane() { tm capture-pane -p -t "$1" 2>/dev/null; }
pane_has() { pane "$1" | grep -Eq -- "$2"; }
pane_lacks() { ! pane_has "$1" "$2"; }
show_pane() { diag "$(pane "$1" | sed 's/^/  pane| /')"; }
# wait_pane DESC SESSION ERE: the pane shows ERE within 5 s.
wait_pane() {
        if ! check "$1" wait_until 5 pane_has "$2" "$3"; then
                show_pane "$2"
                return 1
        fi
}
# The pane line of container $2 in session $1.
row_of() { pane "$1" | grep -E "^$2 " | head -n 1; }
# Names of the table rows in screen order (lines starting with our prefix).
row_names() { pane "$1" | grep -oE "^$PFX[a-z0-9-]+" | tr '\n' ' ' | sed 's/ $//'; }
names_are() { [ "$(row_names "$1")" = "$2" ]; }
row_count_is() { [ "$(pane "$1" | grep -cE "^$PFX")" = "$2" ]; }
# line_is SESSION N ERE: line N of the pane matches.
line_is() { pane "$1" | sed -n "$2p" | grep -Eq -- "$3"; }
# The TUI's pid: the child of the pane's shell (fails when there is none).
tui_pid() {
        local sh p
        sh=$(tm display -p -t "$1" '#{pane_pid}' 2>/dev/null) || return 1
        p=$(pgrep -P "$sh" -x berth-tui | head -n 1)
        [ -n "$p" ] && echo "$p"
}
keys() { tm send-keys -t "$@"; }
# job_landed WHAT ERE: waits for an action's result in the status line; when the library says
# the call is not implemented yet, WHAT is reported as skipped and the result is 1.
job_landed() {
        check "$1: the job ends" wait_until 30 pane_has m "$2|not implemented" || return 1
        if pane_has m "not implemented"; then
                skip "$1" "not in libberth yet (the status line shows the library's error)"
                return 1
        fi
}

a=$(name a) b=$(name b) c=$(name c)
printf 'limits: {memory: 64M, pids: 50}\n' >"$T/lim.yaml"
require "create $a with memory 64M, pids 50" create_busybox "$a" --config "$T/lim.yaml"
require "create $b" create_busybox "$b"
require "create $c" create_busybox "$c"
require "start $a" berth start "$a"
require "start $b" berth start "$b"

# ---- the table -------------------------------------------------------------------------------
require "the dashboard starts in tmux" run_tui m 120 40 --
wait_pane "the table lists $a" m "^$a +RUNNING"
apid=$(init_pid "$a")
check_match "$a: RUNNING with init's pid from the CLI ($apid)" "^$a +RUNNING +$apid " "$(row_of m "$a")"
check_match "$a: the memory limit 64M is shown" "/64M" "$(row_of m "$a")"
check_match "$a: pids used / limit 50" " [0-9]+/50 " "$(row_of m "$a")"
check_match "$c: STOPPED, no pid" "^$c +STOPPED +- " "$(row_of m "$c")"
check_match "the header counts 2 running and 1 stopped" "Containers 3: 2 running, 0 frozen, 1 stopped" "$(pane m)"
check_match "every column header is there at 120 columns" \
        "NAME +STATE +PID +CPU% +MEMORY +PIDS +IPV4 +UPTIME +AUTO +SNAP" "$(pane m)"

# ---- sorting, filtering, hiding stopped -------------------------------------------------------
check_eq "sorted by name at first" "$a $b $c" "$(row_names m)"
keys m r
check "r reverses the order" wait_until 3 names_are m "$c $b $a"
keys m r '>'
wait_pane "> sorts by the next column (STATE)" m "Sort STATE"
keys m F6
wait_pane "F6 opens the sort menu" m "Sort by"
keys m Home Down Down Enter
wait_pane "the menu sorts by PID" m "Sort PID"
pids_sorted=$(pane m | grep -E "^$PFX" | awk '{print $3}' | grep -E '^[0-9]+$' | tr '\n' ' ')
check_eq "the rows are in PID order" "$(tr ' ' '\n' <<<"$pids_sorted" | grep . | sort -n | tr '\n' ' ')" "$pids_sorted"
keys m F6 Home Enter
wait_pane "back to sorting by name" m "Sort NAME"
keys m / ; keys m -l "${b##*-}"
wait_pane "the filter shows only $b" m "Filter '${b##*-}'"
check_eq "only $b is listed" "$b" "$(row_names m)"
keys m Escape
check "Esc clears the filter" wait_until 3 pane_has m "^$c "
keys m a
check "a hides the stopped $c" wait_until 3 pane_lacks m "^$c "
keys m a
check "a shows it again" wait_until 3 pane_has m "^$c "

# select NAME: filter down to it, so the selection is on it (Esc clears the filter afterwards)
select_row() {
        keys m Escape / ; keys m -l "${1#"$PFX"}"; keys m Enter
        wait_until 3 row_count_is m 1
}

# ---- start, freeze, thaw, stop --------------------------------------------------------------
select_row "$c"
keys m s
check "s starts $c (CLI says RUNNING)" wait_until 10 state_is "$c" RUNNING
wait_pane "the row shows RUNNING" m "^$c +RUNNING"
keys m f
check "f freezes $c (CLI says FROZEN)" wait_until 10 state_is "$c" FROZEN
wait_pane "the row shows FROZEN" m "^$c +FROZEN"
keys m f
check "f again thaws it" wait_until 10 state_is "$c" RUNNING
wait_pane "the row shows RUNNING again" m "^$c +RUNNING"
keys m S
wait_pane "S shows a countdown toward the kill" m "stop '$c': killing in [0-9]+s"
check "the stop completes (CLI says STOPPED)" wait_until 40 state_is "$c" STOPPED
wait_pane "the result lands in the status line" m "stop '$c': done"
wait_pane "the row shows STOPPED" m "^$c +STOPPED"
keys m s
check "start $c again" wait_until 10 state_is "$c" RUNNING
keys m S
sleep 0.3
keys m S
check "S twice kills at once (STOPPED within 3 s)" wait_until 3 state_is "$c" STOPPED

# ---- errors are the library's, on one line --------------------------------------------------
keys m f
wait_pane "freezing a stopped container shows the library's error" m "freeze '$c': .*not running"

# ---- snapshot and restore ------------------------------------------------------------------
keys m n
wait_pane "n asks for a snapshot name" m "snapshot '$c': name"
keys m -l s1; keys m Enter
wait_pane "then for a comment" m "snapshot '$c': comment"
keys m -l "first one"; keys m Enter
if job_landed "snapshot, restore" "snapshot '$c': created"; then
        check "the snapshot exists (CLI)" sh -c "'$BERTH_BIN' snapshot '$c' --list | grep -q s1"
        mkdir -p "$BERTH_STORE/$c/rootfs/root" && touch "$BERTH_STORE/$c/rootfs/root/after-snapshot"
        keys m Escape Enter
        wait_pane "the detail view lists the snapshot" m "s1 .*first one"
        keys m r
        wait_pane "r asks before restoring" m "restore '$c' from 's1'"
        keys m y
        check "restore replaced the rootfs (the file made after the snapshot is gone)" \
                wait_until 20 sh -c "[ ! -e '$BERTH_STORE/$c/rootfs/root/after-snapshot' ]"
        keys m Escape
fi

# ---- destroy with confirmation ---------------------------------------------------------------
select_row "$c"
keys m D
wait_pane "D asks to type the name" m "destroy '$c'.*type its name"
keys m -l wrong; keys m Enter
wait_pane "a wrong name is refused" m "not confirmed"
check "$c still exists (CLI)" sh -c "'$BERTH_BIN' ls | grep -qx '$c'"
keys m D; keys m -l "$c"; keys m Enter
check "the typed name destroys $c (CLI no longer lists it)" \
        wait_until 20 sh -c "! '$BERTH_BIN' ls | grep -qx '$c'"
keys m Escape
check "the row goes away" wait_until 5 pane_lacks m "^$c "

# ---- console attach and detach --------------------------------------------------------------
select_row "$a"
keys m c
wait_pane "c leaves the dashboard for the console" m "console of '$a'"
if ! check "the console shows a login prompt" \
        sh -c "for i in \$(seq 40); do tmux -L '$sock' send-keys -t m Enter; sleep 0.25; \
               tmux -L '$sock' capture-pane -p -t m | grep -q 'login:' && exit 0; done; exit 1"; then
        show_pane m
fi
keys m C-a q
wait_pane "Ctrl-a q returns to the dashboard" m "Containers 2:"
wait_pane "the status line says so" m "console '$a': detached"
keys m '>'
wait_pane "the dashboard answers keys after the console" m "Sort STATE"
keys m '<'

# ---- a shell -----------------------------------------------------------------------------------
keys m e
wait_pane "e leaves the dashboard for a shell" m "shell in '$a'"
sleep 0.5
keys m -l "echo shell-\$((6*7))-\$(hostname)"; keys m Enter
wait_pane "the shell runs inside the container" m "^shell-42-$a"
keys m -l exit; keys m Enter
wait_pane "exit returns to the dashboard" m "shell '$a': detached"

# ---- restart, clone --------------------------------------------------------------------------
pid0=$(init_pid "$a")
keys m R
check "R restarts $a (a new init pid)" wait_until 40 sh -c \
        "p=\$('$BERTH_BIN' info '$a' | sed -n 's/^PID: *//p'); [ -n \"\$p\" ] && [ \"\$p\" != - ] && [ \"\$p\" != '$pid0' ]"
wait_pane "restart reports done" m "restart '$a': done"
keys m C
wait_pane "C asks for the clone's name" m "clone '$a' as:"
k=$(name k)
keys m -l "$k"; keys m Enter
if job_landed "clone" "clone '$a': created"; then
        check "the clone $k exists (CLI)" sh -c "'$BERTH_BIN' ls | grep -qx '$k'"
fi

# ---- an orphan, adopted ------------------------------------------------------------------------
bpid=$(init_pid "$b")
mon=$(monitor_pids "$b")
check "kill -9 the monitor of $b ($mon)" kill -9 $mon
select_row "$b"
wait_pane "the row marks the orphan with '!'" m "^$b +RUNNING! +$bpid "
keys m A
one_monitor() { [ "$(monitor_count "$1")" = 1 ]; }
check "A adopts it: one monitor again" wait_until 10 one_monitor "$b"
wait_pane "adopt reports done" m "adopt '$b': done"
wait_pane "the row is plain RUNNING with the same init" m "^$b +RUNNING +$bpid "
check_eq "the init is the same (CLI)" "$bpid" "$(init_pid "$b")"
select_row "$a"

# ---- resize ----------------------------------------------------------------------------------
tm resize-window -t m -x 80 -y 24
check "at 80x24 the key bar is on the last line" wait_until 5 line_is m 24 '^F1Help'
check_match "at 80x24 the header and the first columns are there" "NAME +STATE +PID +CPU% +MEMORY" "$(pane m)"
check_eq "no line is wider than 80" 0 "$(pane m | awk 'length > 80' | wc -l)"
keys m Right Right Right
wait_pane "Right scrolls the columns (SNAP comes into view)" m "SNAP"
keys m Left Left Left
tm resize-window -t m -x 120 -y 40
check "back at 120x40 every column shows again" wait_until 5 pane_has m 'NAME +STATE.*AUTO +SNAP'
check "the key bar moved to line 40" wait_until 5 line_is m 40 '^F1Help'

# ---- a container that writes escape sequences ---------------------------------------------
check "the container sets a hostname with an escape sequence" \
        berth attach "$a" -- sh -c 'hostname "$(printf "ev\033]0;PWNED\007il")"'
check "and writes escape sequences to its console" \
        berth attach "$a" -- sh -c 'printf "\033]0;PWNED\007\033[2Jmark-esc\n" >/dev/console'
title0=$(tm display -p -t m '#{pane_title}')
select_row "$a"
keys m Enter
wait_pane "the detail view shows the console's escape sequences escaped" m \
        '\\e\]0;PWNED\\a\\e\[2Jmark-esc'
wait_pane "and the live hostname escaped" m 'live: ev\\e\]0;PWNED\\ail'
check_ne "the terminal title was not changed by the container" PWNED "$(tm display -p -t m '#{pane_title}')"
check_eq "the title is what it was" "$title0" "$(tm display -p -t m '#{pane_title}')"
check_match "the screen was not cleared: the header is still there" "^berth-tui" "$(pane m)"
keys m Escape

# ---- colours --------------------------------------------------------------------------------
check_match "with colours the screen has colour attributes" $'\e\\[[0-9;]*3[0-7]' \
        "$(tm capture-pane -p -e -t m)"
require "a dashboard with NO_COLOR=1" run_tui nc 100 30 NO_COLOR=1 --
wait_pane "it shows the table" nc "^$a +RUNNING"
check_nomatch "NO_COLOR: no colour attributes" $'\e\\[[0-9;]*(3[0-7]|4[0-7]|38;|48;)' \
        "$(tm capture-pane -p -e -t nc)"
check_match "NO_COLOR: the selection is still visible (reverse video)" $'\e\\[[0-9;]*7m' \
        "$(tm capture-pane -p -e -t nc)"
tm kill-session -t nc

# ---- quitting, SIGTERM, a crash signal: the terminal is sane -----------------------------------
stty_sane() {
        local f=$T/stty.$1
        [ -s "$f" ] && grep -qw icanon "$f" && grep -qw echo "$f" && ! grep -qw -- -icanon "$f" &&
                ! grep -qw -- -echo "$f"
}
keys m q
wait_pane "q quits with status 0" m "tui-exit=0"
check "after q the terminal is cooked and echoes" stty_sane m
check_eq "after q the alternate screen is left" 0 "$(tm display -p -t m '#{alternate_on}')"

for sig in TERM INT SEGV; do
        s=sig$sig
        require "a dashboard for SIG$sig" run_tui "$s" 100 30 --
        wait_pane "it runs" "$s" "^$a +RUNNING"
        pid=$(tui_pid "$s")
        check "kill -$sig $pid" kill -"$sig" "$pid"
        wait_pane "it ends on SIG$sig" "$s" "tui-exit=[0-9]+"
        check "after SIG$sig the terminal is cooked and echoes" stty_sane "$s"
        check_eq "after SIG$sig the alternate screen is left" 0 "$(tm display -p -t "$s" '#{alternate_on}')"
done

# ---- the terminal goes away ------------------------------------------------------------------
# A dashboard whose terminal disappears (here: its tmux server is killed) must end at once, not
# poll a dead terminal.
hup=$sock-hup
IT_TEARDOWN_HOOKS+=("tmux -L '$hup' kill-server")
tmux -L "$hup" -f /dev/null new-session -d -s h -x 80 -y 24 \
        "env BERTH_STORE='$BERTH_STORE' BERTH_RUNDIR='$BERTH_RUNDIR' BERTH_CGROUP='$BERTH_CGROUP' \
         '$TUI'; sleep 600" 3>&-
hsh=$(tmux -L "$hup" display -p -t h '#{pane_pid}' 3>&-)
hpid=""
wait_until 5 pgrep -P "$hsh" -x berth-tui && hpid=$(pgrep -P "$hsh" -x berth-tui | head -n 1)
IT_BG_PIDS+=($hpid)
require "a dashboard runs on a second tmux server" test -n "$hpid"
sleep 0.5
tmux -L "$hup" kill-server 3>&-
check "killing its tmux server ends berth-tui within a second" wait_until 1 pid_dead "$hpid"

# ---- berth top ------------------------------------------------------------------------------
out=$(PATH="$(dirname "$TUI"):$PATH" berth top -n 1 -d 0.1)
check_match "berth top runs berth-tui (batch frame lists $a)" "^$a +RUNNING" "$out"

tm kill-server
left=""
for p in "${TUI_PIDS[@]}"; do
        wait_until 1 pid_dead "$p" || left="$left $p"
done
check_eq "no berth-tui outlives the tmux server (${#TUI_PIDS[@]} started)" "" "$left"
check "stop $a" berth stop "$a"
check "stop $b" berth stop "$b"
