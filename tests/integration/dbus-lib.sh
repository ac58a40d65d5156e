# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A private system bus for berthd's test and benchmark, sourced after tests/integration/lib.sh
# or tests/bench/lib.sh (it needs T, a private directory of the run, and BERTH_SRCDIR and
# BERTH_BUILDDIR). It starts:
#   - dbus-daemon with a system-bus-like configuration (method calls denied by default) that
#     includes the shipped policy config/dbus/org.berth.Berth1.conf and an activation directory
#     holding the shipped activation file (its Exec= pointing at the build's berthd);
#   - berthd, or lets the bus activate it;
#   - polkitd and systemd-machined, each in a mount namespace of its own, so the test's polkit
#     actions and rules and machined's state directory never touch the host's.
# Every process started here is recorded in IT_BG_PIDS (killed by teardown) and stopped by the
# dbus_* / *_stop helpers by PID.

DB_DIR=$T/dbus
BERTHD=${BERTHD:-$BERTH_BUILDDIR/berthd}
DBUS_CLIENT=${DBUS_CLIENT:-$BERTH_BUILDDIR/dbus-client}
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$DB_DIR/bus"
DBUS_PID=
BERTHD_PID=
POLKIT_PID=
MACHINED_PID=
POLKITD=${POLKITD:-/usr/lib/polkit-1/polkitd}
MACHINED=${MACHINED:-/lib/systemd/systemd-machined}
# The unprivileged user the test's polkit rule allows (an existing system account).
POLKIT_ALLOWED_USER=${POLKIT_ALLOWED_USER:-daemon}

db_register() {
        # (an empty array counts as unset for ${IT_BG_PIDS+x})
        declare -p IT_BG_PIDS >/dev/null 2>&1 && IT_BG_PIDS+=("$1")
        return 0
}

# db_wait_gone PID: waits up to 5 s for a process of ours to be gone.
db_wait_gone() {
        local i
        for i in $(seq 100); do
                kill -0 "$1" 2>/dev/null || return 0
                sleep 0.05
        done
        return 1
}

# dbus_bus_start: the bus; DBUS_SYSTEM_BUS_ADDRESS points at it (exported above).
dbus_bus_start() {
        local f
        mkdir -p "$DB_DIR/services" "$DB_DIR/system.d"
        cp "$BERTH_SRCDIR/config/dbus/org.berth.Berth1.conf" "$DB_DIR/system.d/"
        # polkit's and machined's own bus policies, so they may own their names.
        for f in org.freedesktop.PolicyKit1.conf org.freedesktop.machine1.conf; do
                [ -f "/usr/share/dbus-1/system.d/$f" ] && cp "/usr/share/dbus-1/system.d/$f" "$DB_DIR/system.d/"
        done
        # The shipped activation file, pointing at the build.
        sed "s|@sbindir@/berthd|$BERTHD --debug|" \
                "$BERTH_SRCDIR/config/dbus/org.berth.Berth1.service.in" \
                >"$DB_DIR/services/org.berth.Berth1.service"
        cat >"$DB_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$DB_DIR/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$DB_DIR/services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <includedir>$DB_DIR/system.d</includedir>
</busconfig>
EOF
        dbus-daemon --config-file="$DB_DIR/bus.conf" --nofork --nopidfile \
                >"$DB_DIR/dbus-daemon.log" 2>&1 3>&- &
        DBUS_PID=$!
        db_register "$DBUS_PID"
        local i
        for i in $(seq 100); do
                [ -S "$DB_DIR/bus" ] && return 0
                sleep 0.05
        done
        return 1
}

# db_stop VAR [SIGNAL]: stops the process whose PID is in variable VAR, and clears VAR.
db_stop() {
        local pid=${!1}
        [ -n "$pid" ] || return 0
        kill "-${2:-TERM}" "$pid" 2>/dev/null
        db_wait_gone "$pid"
        printf -v "$1" %s ""
}

dbus_bus_stop() { db_stop DBUS_PID; }

# berthd_start [OPTIONS...]: runs the build's berthd on the bus and waits for its name.
berthd_start() {
        "$BERTHD" --debug "$@" >>"$DB_DIR/berthd.log" 2>&1 3>&- &
        BERTHD_PID=$!
        db_register "$BERTHD_PID"
        "$DBUS_CLIENT" --timeout 10 wait-name 3>&-
}

# berthd_stop [SIGNAL]: stops the berthd started by berthd_start (or activated by the bus).
berthd_stop() {
        BERTHD_PID=${BERTHD_PID:-$(berthd_bus_pid)}
        db_stop BERTHD_PID "$@"
}

# The PID of org.berth.Berth1's owner, as the bus driver says.
berthd_bus_pid() {
        busctl --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s org.berth.Berth1 2>/dev/null | jq -r '.data[0]' 2>/dev/null
}

# db_start_private VAR LOG BUSNAME SCRIPT ARGS...: sh -c SCRIPT ARGS in a mount namespace of its
# own (what it mounts is seen by it alone and gone with it), its PID in VAR, output in
# $DB_DIR/LOG; waits until BUSNAME is on the bus.
db_start_private() {
        local var=$1 log=$2 busname=$3 script=$4
        shift 4
        unshare --mount --propagation private sh -c "$script" sh "$@" >"$DB_DIR/$log" 2>&1 3>&- &
        printf -v "$var" %s "$!"
        db_register "$!"
        "$DBUS_CLIENT" --dest "$busname" --timeout 10 wait-name 3>&-
}

# polkit_start: polkitd with the host's actions plus the shipped org.berth.policy, and only the
# test's rule: POLKIT_ALLOWED_USER may do everything of berth's, everyone else gets the
# defaults. 1 when it cannot run here.
polkit_start() {
        [ -x "$POLKITD" ] || return 1
        local acts=$DB_DIR/polkit/actions rules=$DB_DIR/polkit/rules empty=$DB_DIR/polkit/empty
        mkdir -p "$acts" "$rules" "$empty"
        cp /usr/share/polkit-1/actions/*.policy "$acts/" 2>/dev/null
        cp "$BERTH_SRCDIR/config/polkit/org.berth.policy" "$acts/"
        cat >"$rules/50-berth-test.rules" <<EOF
polkit.addRule(function(action, subject) {
        if (action.id.indexOf("org.berth.") == 0 && subject.user == "$POLKIT_ALLOWED_USER")
                return polkit.Result.YES;
});
EOF
        chmod 755 "$DB_DIR/polkit" "$acts" "$rules" "$empty"
        chmod 644 "$acts"/* "$rules"/*
        db_start_private POLKIT_PID polkitd.log org.freedesktop.PolicyKit1 '
                mount --bind "$1" /usr/share/polkit-1/actions &&
                mount --bind "$2" /etc/polkit-1/rules.d &&
                { [ ! -d /usr/share/polkit-1/rules.d ] || mount --bind "$3" /usr/share/polkit-1/rules.d; } &&
                exec "$4" --no-debug' "$acts" "$rules" "$empty" "$POLKITD"
}

polkit_stop() { db_stop POLKIT_PID; }

# machined_start: systemd-machined with a private /run/systemd. 1 when it cannot run here.
machined_start() {
        [ -x "$MACHINED" ] || return 1
        db_start_private MACHINED_PID machined.log org.freedesktop.machine1 '
                mount -t tmpfs -o mode=0755 tmpfs /run/systemd &&
                mkdir -p /run/systemd/machines && exec "$1"' "$MACHINED"
}

machined_stop() { db_stop MACHINED_PID; }

# dbc ARGS...: the test client (as root), bounded in time.
dbc() {
        timeout -k 5 120 "$DBUS_CLIENT" "$@" 3>&-
}

# dbc_as USER ARGS...: the test client as an unprivileged user, no supplementary groups.
dbc_as() {
        local user=$1 uid gid
        shift
        uid=$(id -u "$user") gid=$(id -g "$user")
        timeout -k 5 120 setpriv --reuid="$uid" --regid="$gid" --clear-groups \
                "$DBUS_CLIENT" "$@" 3>&-
}
