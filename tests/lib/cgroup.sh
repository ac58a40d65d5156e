# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
#
# Cgroup helpers shared by the test harnesses: sourced by tests/integration/lib.sh (bash, on
# the host) and by tests/vm/guest-tests.sh (busybox sh, in the cgroup v2 guest), so the leak
# checks are the same code on v1, hybrid and pure v2. The layout is read from
# /proc/self/mountinfo, never assumed. Paths given to them are relative to a hierarchy's root
# ("berth-it-42/web").

# The mount point and super options ("rw,memory", "rw,name=systemd", "rw" for cgroup2) of
# every cgroup hierarchy, one "TYPE MOUNTPOINT OPTIONS" line each.
cgh_hierarchies() {
        awk '{
                for (i = 7; i <= NF; i++)
                        if ($i == "-") {
                                t = $(i + 1)
                                if (t == "cgroup" || t == "cgroup2")
                                        print t, $5, $(i + 3)
                                break
                        }
        }' /proc/self/mountinfo | sort -u
}

# True when cgroup v2 is the only cgroup file system.
cgh_is_unified() {
        [ -n "$(cgh_hierarchies)" ] && [ -z "$(cgh_hierarchies | awk '$1 == "cgroup"')" ]
}

# True when there is any cgroup hierarchy to look at.
cgh_available() {
        [ -n "$(cgh_hierarchies)" ]
}

# The directory of RELPATH in the hierarchy that holds CONTROLLER ("memory", "pids",
# "name=systemd"); the v2 one when no v1 hierarchy has it.
cgh_dir() { # CONTROLLER RELPATH
        cgh_hierarchies | awk -v c="$1" -v p="$2" '
                $1 == "cgroup" {
                        n = split($3, o, ",")
                        for (i = 1; i <= n; i++)
                                if (o[i] == c) { print $2 "/" p; found = 1; exit }
                }
                $1 == "cgroup2" { v2 = $2 }
                END { if (!found && v2 != "") print v2 "/" p }'
}

# True when RELPATH exists in any hierarchy.
cgh_exists() { # RELPATH
        cgh_hierarchies | while read -r _t m _o; do
                [ -e "$m/$1" ] && echo yes && break
        done | grep -q yes
}

# Every directory below RELPATH (not RELPATH itself), in every hierarchy.
cgh_find() { # RELPATH
        cgh_hierarchies | while read -r _t m _o; do
                [ -d "$m/$1" ] && find "$m/$1" -mindepth 1 -type d 2>/dev/null
        done
}

# Every pid in RELPATH's subtree, in any hierarchy, once.
cgh_procs() { # RELPATH
        cgh_hierarchies | while read -r _t m _o; do
                [ -d "$m/$1" ] && find "$m/$1" -name cgroup.procs -exec cat {} + 2>/dev/null
        done | sort -un
}

# PID's cgroup path ("/berth-it-42/web/ns") in the hierarchy that holds CONTROLLER; on v2
# (or when no v1 hierarchy has it) the unified one.
cgh_of_pid() { # CONTROLLER PID
        awk -F: -v c="$1" '
                $1 == "0" && $2 == "" { v2 = $3; next }
                {
                        n = split($2, o, ",")
                        for (i = 1; i <= n; i++)
                                if (o[i] == c) { print $3; found = 1; exit }
                }
                END { if (!found && v2 != "") print v2 }' "/proc/$2/cgroup" 2>/dev/null
}

# Thaws and SIGKILLs everything left below RELPATH (only ever called on a test's own parent),
# then removes its directories, deepest first.
cgh_kill_tree() { # RELPATH
        cgh_hierarchies | while read -r t m _o; do
                [ -d "$m/$1" ] || continue
                if [ "$t" = cgroup2 ]; then
                        find "$m/$1" -name cgroup.freeze -exec sh -c 'echo 0 >"$1"' _ {} \; \
                                2>/dev/null
                else
                        find "$m/$1" -name freezer.state -exec sh -c 'echo THAWED >"$1"' _ {} \; \
                                2>/dev/null
                fi
        done
        for p in $(cgh_procs "$1"); do
                kill -9 "$p" 2>/dev/null
        done
}

cgh_remove_tree() { # RELPATH
        cgh_hierarchies | while read -r _t m _o; do
                [ -d "$m/$1" ] && find "$m/$1" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
        return 0
}
