#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The console, driven through tmux: login on the console getty, run a command, detach with
# Ctrl-a q (the container keeps running), reconnect, a tty getty, and the console log.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { skip "console tests" "tmux not installed"; exit 0; }
sock=berth-it-$$
tm() { tmux -L "$sock" -f /dev/null "$@" 3>&-; }
IT_TEARDOWN_HOOKS+=("tmux -L '$sock' kill-server")

n=$(name con)
require "create $n" create_busybox "$n"
check_error "console of a stopped container fails" 1 berth console "$n" </dev/null
require "start $n" berth start "$n"
log_ready() { berth console "$n" --log 2>/dev/null | grep -q 'berth busybox: system ready'; }
check "console --log shows 'system ready' from rcS" wait_until 15 log_ready

# run_console SESSION ARGS...: berth console in a tmux session; the pane stays after it ends
# and shows its exit status.
run_console() {
        local s=$1
        shift
        tm new-session -d -s "$s" -x 120 -y 30 \
                "env BERTH_STORE='$BERTH_STORE' BERTH_RUNDIR='$BERTH_RUNDIR' BERTH_CGROUP='$BERTH_CGROUP' \
                 '$BERTH_BIN' console $* ; echo \"console-exit=\$?\"; sleep 120"
}
pane() { tm capture-pane -p -J -t "$1" -S -200 2>/dev/null; }
pane_has() { pane "$1" | grep -Eq -- "$2"; }
show_pane() { diag "$(pane "$1" | grep -v '^$' | tail -n 15 | sed 's/^/  pane| /')"; }

# ---- the console ----
require "tmux session with berth console" run_console c1 "$n"
if ! check "the console connects and shows a login prompt" \
        sh -c "for i in \$(seq 40); do tmux -L '$sock' send-keys -t c1 Enter; sleep 0.25; \
               tmux -L '$sock' capture-pane -p -t c1 | grep -q 'login:' && exit 0; done; exit 1"; then
        show_pane c1
fi
tm send-keys -t c1 -l root
tm send-keys -t c1 Enter
if ! check "login as root (empty password) gives a shell" wait_until 10 pane_has c1 '[#$] *$'; then
        show_pane c1
fi
tm send-keys -t c1 -l "echo itok-\$((6*7))-$$"
tm send-keys -t c1 Enter
if ! check "a command's output shows on the console" wait_until 5 pane_has c1 "^itok-42-$$"; then
        show_pane c1
fi
check_match "the console login prompt shows the hostname" "^$n login:" "$(pane c1)"
tm send-keys -t c1 C-a q
if ! check "Ctrl-a q detaches: the console command ends with status 0" \
        wait_until 5 pane_has c1 '^console-exit=0'; then
        show_pane c1
fi
check_match "the detach notice is shown" '\[detached\]' "$(pane c1)"
check_eq "the container is still RUNNING after the detach" RUNNING "$(state "$n")"

# ---- reconnect: the logged-in shell is still there ----
require "tmux session with a second berth console" run_console c2 "$n"
sleep 0.5
tm send-keys -t c2 -l "echo again-\$((2+3))-$$"
tm send-keys -t c2 Enter
if ! check "reconnecting gives the same shell back" wait_until 5 pane_has c2 "^again-5-$$"; then
        show_pane c2
fi
tm send-keys -t c2 -l exit
tm send-keys -t c2 Enter
tm send-keys -t c2 C-a q
check "the second console detaches" wait_until 5 pane_has c2 '^console-exit=0'

# ---- a tty ----
require "tmux session with berth console --tty 1" run_console t1 "$n" --tty 1
if ! check "--tty 1 shows a getty login prompt" \
        sh -c "for i in \$(seq 40); do tmux -L '$sock' send-keys -t t1 Enter; sleep 0.25; \
               tmux -L '$sock' capture-pane -p -t t1 | grep -q 'login:' && exit 0; done; exit 1"; then
        show_pane t1
fi
tm send-keys -t t1 C-a q
check "--tty 1 detaches with Ctrl-a q" wait_until 5 pane_has t1 '^console-exit=0'
check_error "console --tty 99 (no such tty) fails" 1 berth console "$n" --tty 99 </dev/null
check_eq "the container is still RUNNING" RUNNING "$(state "$n")"

# ---- the console log ----
log=$(berth console "$n" --log)
check_match "console --log shows 'system ready'" 'berth busybox: system ready' "$log"
check_match "console --log has what was typed on the console" "itok-42-$$" "$log"

tm kill-server
check "stop $n" berth stop "$n"
