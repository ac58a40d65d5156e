#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/demo.sh: from a fresh Debian 12 to a running container, as root:
#
#     sudo bash tools/demo.sh
#
# Installs the build dependencies, builds berth in build-demo/, installs it under /usr/local
# (state in /var/lib/berth, runtime in /run/berth), creates the busybox container "demo" and
# starts it. Running it again skips whatever is already done.

set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$srcdir"

PREFIX=/usr/local
NAME=demo
BERTH=$PREFIX/bin/berth
JOBS=$(nproc 2>/dev/null || echo 2)

DEPS=(build-essential autoconf automake pkg-config libcap-dev libseccomp-dev libapparmor-dev libmnl-dev
      libyaml-dev libsystemd-dev libncurses-dev busybox-static iproute2 dnsmasq-base nftables)

say() {
        printf '==> %s\n' "$*"
}

die() {
        printf 'demo.sh: %s\n' "$*" >&2
        exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: containers need it (sudo bash tools/demo.sh)"

if command -v apt-get >/dev/null 2>&1; then
        missing=()
        for p in "${DEPS[@]}"; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                        missing+=("$p")
        done
        if [ "${#missing[@]}" -gt 0 ]; then
                say "installing ${missing[*]}"
                export DEBIAN_FRONTEND=noninteractive
                apt-get update -q
                apt-get install -y -q --no-install-recommends "${missing[@]}"
        fi
else
        say "no apt-get: make sure these (or your distribution's equivalents) are installed:"
        say "  ${DEPS[*]}"
fi

if [ -f "$srcdir/config.status" ]; then
        die "the source tree is configured in place; run 'make distclean' in '$srcdir' first"
fi

say "building berth in build-demo/"
autoreconf -fi
mkdir -p build-demo
(
        cd build-demo
        ../configure -q --prefix="$PREFIX" --localstatedir=/var --runstatedir=/run
        make -j"$JOBS"
        say "installing into $PREFIX"
        make install
)

[ -x "$BERTH" ] || die "'$BERTH' is missing after make install"

if "$BERTH" info "$NAME" >/dev/null 2>&1; then
        say "container '$NAME' exists; not creating it again"
else
        say "creating '$NAME' from the busybox template"
        "$BERTH" create "$NAME" -t busybox
fi

state=$("$BERTH" info "$NAME" 2>/dev/null |
        awk -F': *' 'tolower($1) ~ /^ *state$/ { print tolower($2); exit }') || state=
if [ "$state" = running ]; then
        say "container '$NAME' is already running"
else
        say "starting '$NAME'"
        "$BERTH" start "$NAME"
fi

cat <<EOF

berth is installed in $PREFIX and the container '$NAME' is running. Look at it:

  berth ls --fancy               all containers, with state, init pid, memory, address
  berth info $NAME               details of '$NAME'
  berth attach $NAME -- ps       run a command inside it
  berth console $NAME            its console (log in as root, no password; Ctrl-a q leaves)
  berth stop $NAME               halt it cleanly
  berth destroy $NAME            remove it
EOF
