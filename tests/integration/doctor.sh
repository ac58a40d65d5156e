#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth doctor on this host: its verdicts against what this host is (the namespaces in
# /proc/self/ns, the cgroup layout in mountinfo, a real unprivileged container that starts), a
# store where idmapped mounts cannot work, and its JSON. The negative verdicts of every check
# over fake /proc and /sys trees are tests/unit/test-doctor.c.
. "$(dirname "$0")/lib.sh"

berth doctor --json >"$T/doctor.json" 2>"$T/doctor.err"
rc=$?
check "the JSON parses" "$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/doctor.json"
verdict() { "$PYTHON" - "$T/doctor.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(next((c["verdict"] for c in d["checks"] if c["id"] == sys.argv[2]), "missing"))
PY
}
fails=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["fail"])' "$T/doctor.json")
check_eq "exit status 1 exactly when a check fails ($fails failed)" "$([ "$fails" = 0 ] && echo 0 || echo 1)" "$rc"
check "every check that is not ok names a fix" "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = [c["id"] for c in d["checks"] if c["verdict"] in ("fail", "warn") and not c["fix"]]
sys.exit(1 if bad else 0)' "$T/doctor.json"
check "every check has an id, a title and a detail" "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if all(c["id"] and c["title"] and c["detail"] for c in d["checks"]) else 1)' "$T/doctor.json"

# The namespaces: as /proc/self/ns has them.
for ns in user pid net ipc uts mnt cgroup time; do
        want=fail
        [ -e "/proc/self/ns/$ns" ] && want=ok
        check_eq "ns.$ns is $want, as /proc/self/ns/$ns says" "$want" "$(verdict "ns.$ns")"
done
# The layout: as mountinfo has it.
if grep -q ' - cgroup ' /proc/self/mountinfo; then layout=v1; else layout=v2; fi
check_match "cgroup.layout names this host's layout ($layout)" \
        "$([ $layout = v1 ] && echo 'cgroup v1' || echo 'cgroup v2')" \
        "$("$PYTHON" -c 'import json,sys; print([c["detail"] for c in json.load(open(sys.argv[1]))["checks"] if c["id"] == "cgroup.layout"][0])' "$T/doctor.json")"
# What an unprivileged container's start needs: doctor says ok when one does start.
n=$(name doc)
require "create $n" create_busybox "$n"
if berth start "$n" >"$IT_OUT" 2>&1 3>&-; then
        for id in idmap.store syscall.openat2 syscall.clone3 syscall.pidfd seccomp \
                cgroup.memory cgroup.pids cgroup.delegation userns.allowed; do
                check_eq "$id is ok on a host where an unprivileged container starts" ok "$(verdict "$id")"
        done
        check "stop $n" berth stop "$n"
else
        diag "an unprivileged container does not start here: $(cat "$IT_OUT")"
        check_ne "then doctor finds something failing" 0 "$fails"
fi
check "doctor left no cgroup of its own behind" test -z "$(find /sys/fs/cgroup/ -maxdepth 3 -name '.doctor-*' 2>/dev/null)"

# A store on a file system without idmapped mounts (procfs): idmap.store fails with its fix.
BERTH_STORE=/proc/berth-doctor-store check_exit "a store on procfs: doctor fails" 1 berth doctor
out=$(cat "$IT_OUT")
check_match "idmap.store fails naming the file system" "^fail +idmap.store .*proc" "$out"
check_match "with the fix" "fix: Linux 5.12 or later, and the store on a file system that supports idmapped mounts" "$out"
check_match "the summary line" "^[0-9]+ checks: [1-9][0-9]* failed" "$out"

check_error "doctor takes no argument" 2 berth doctor extra
check_error "an unknown option" 2 berth doctor --frobnicate
