#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth cp: files and trees into and out of stopped and running containers, ownership as
# container root (unmapped on disk, mapped through the idmapped mount of a running one), modes
# kept (set-id bits not brought out), symlinks copied as symlinks, and symlink attacks from the
# container refused in both directions.
. "$(dirname "$0")/lib.sh"

n=$(name cp)
require "create $n" create_busybox "$n"
rootfs=$BERTH_STORE/$n/rootfs
in_ct() { berth attach "$n" -- "$@"; }

# A host tree: a set-user-ID file, a private directory, a symlink, a nested file.
src=$T/src
mkdir -p "$src/sub/deeper"
echo hello >"$src/prog"
chmod 4751 "$src/prog"
echo deep >"$src/sub/deeper/file"
chmod 700 "$src/sub"
ln -s /etc/passwd "$src/link"
touch -d '2001-02-03 04:05:06' "$src/sub/deeper/file"

# ---- stopped: the rootfs on disk ----
check "copy a tree into the stopped container" berth cp "$src" "$n:/root/"
check_eq "it lands under its own name, owned by container root (uid 0 on disk)" "0:0" \
        "$(stat -c %u:%g "$rootfs/root/src/sub/deeper/file")"
check_eq "the set-user-ID file keeps its mode inside" 4751 "$(stat -c %a "$rootfs/root/src/prog")"
check_eq "the private directory keeps 700" 700 "$(stat -c %a "$rootfs/root/src/sub")"
check_eq "the symlink is a symlink" /etc/passwd "$(readlink "$rootfs/root/src/link")"
check_eq "mtime kept" "$(stat -c %Y "$src/sub/deeper/file")" "$(stat -c %Y "$rootfs/root/src/sub/deeper/file")"
check "copy a file to a new name" berth cp "$src/prog" "$n:/root/renamed"
check_eq "content" hello "$(cat "$rootfs/root/renamed")"

require "start $n" berth start "$n"
check_eq "inside, the copy belongs to root" "0:0 4751" "$(in_ct stat -c '%u:%g %a' /root/src/prog)"

# ---- running: through the container's own root, as its root ----
check "copy a tree into the running container" berth cp "$src" "$n:/root/live"
check_eq "inside: owned by root" "0:0" "$(in_ct stat -c %u:%g /root/live/sub/deeper/file)"
check_eq "on disk: unmapped uid 0 (container root)" "0:0" \
        "$(stat -c %u:%g "$rootfs/root/live/sub/deeper/file")"
check_eq "content" deep "$(in_ct cat /root/live/sub/deeper/file)"
check "copy into the container's tmpfs (/run, its own mount)" berth cp "$src/prog" "$n:/run/prog"
check_eq "owned by root there too" "0:0" "$(in_ct stat -c %u:%g /run/prog)"
check "a user's private directory inside" in_ct sh -c \
        'mkdir -p /home/u && echo secret >/home/u/s && chown -R 1000:1000 /home/u && chmod 700 /home/u && chmod 600 /home/u/s && chmod 4755 /root/renamed'
check "copy into a directory of another container user" berth cp "$src/prog" "$n:/home/u/"
check_eq "the copy is root's, the directory still the user's" "0:0 1000:1000" \
        "$(in_ct stat -c %u:%g /home/u/prog) $(in_ct stat -c %u:%g /home/u)"

# ---- out ----
check "copy a user's 0600 file out" berth cp "$n:/home/u/s" "$T/s"
check_eq "content" secret "$(cat "$T/s")"
check_eq "owned by the caller, mode kept" "0:0 600" "$(stat -c '%u:%g %a' "$T/s")"
check "copy a set-user-ID file out" berth cp "$n:/root/renamed" "$T/renamed"
check_eq "without its set-user-ID bit" 755 "$(stat -c %a "$T/renamed")"
check "copy a tree out" berth cp "$n:/root/live" "$T/outtree"
check_eq "the tree came out" deep "$(cat "$T/outtree/sub/deeper/file")"
check_eq "its symlink is a symlink" /etc/passwd "$(readlink "$T/outtree/link")"
check_eq "set-user-ID dropped in the tree too" 751 "$(stat -c %a "$T/outtree/prog")"
mkdir -p "$T/into"
check "copy a file into an existing host directory" berth cp "$n:/etc/hostname" "$T/into"
check "it lands under its own name" test -f "$T/into/hostname"
check "copy the container's /dev out" berth cp "$n:/dev" "$T/dev"
check_match "device nodes are skipped and said so" "skipped" "$(cat "$IT_OUT")"
check_eq "no device node reached the host" "" "$(find "$T/dev" \( -type c -o -type b \) 2>/dev/null)"

# ---- symlink attacks: the container's links point at the host's /etc ----
check "plant links in the container" in_ct sh -c \
        'ln -s /etc /evil && mkdir -p /trap && ln -s /etc/shadow /trap/dst && ln -s /etc/shadow /trap/secret'
host_shadow=$(sha256sum /etc/shadow)
check "copy into /evil/ (a link to /etc)" berth cp "$src/prog" "$n:/evil/"
check "no file reached the host's /etc" test ! -e /etc/prog
check_eq "it went to the container's /etc" hello "$(in_ct cat /etc/prog)"
check "copy onto /trap/dst (a link to /etc/shadow)" berth cp "$src/sub/deeper/file" "$n:/trap/dst"
check_eq "the host's /etc/shadow is untouched" "$host_shadow" "$(sha256sum /etc/shadow)"
check_eq "the link itself was replaced by the file" "regular file" \
        "$(in_ct stat -c %F /trap/dst)"
check "copy /evil/passwd out" berth cp "$n:/evil/passwd" "$T/passwd"
check_eq "it is the container's passwd, not the host's" "$(in_ct cat /etc/passwd)" "$(cat "$T/passwd")"
check "copy /trap/secret out" berth cp "$n:/trap/secret" "$T/secret"
check_eq "the link came out as a link, nothing of the host read" /etc/shadow "$(readlink "$T/secret")"
check "copy -L /trap/secret out (follows the link inside the container)" \
        berth cp -L "$n:/trap/secret" "$T/secret2"
check_eq "it is the container's /etc/shadow" "$(in_ct cat /etc/shadow)" "$(cat "$T/secret2")"
check_ne "not the host's" "$(cat /etc/shadow)" "$(cat "$T/secret2")"
check "copy -L /evil out" berth cp -L "$n:/evil" "$T/evil"
check_eq "it is the container's /etc" "$(in_ct cat /etc/hostname)" "$(cat "$T/evil/hostname")"
check "copy /evil out without -L" berth cp "$n:/evil" "$T/evil-link"
check_eq "a link, not the host's /etc" /etc "$(readlink "$T/evil-link")"

check "stop $n" berth stop "$n"
check "copy out of the stopped container through its link" berth cp "$n:/evil/passwd" "$T/passwd2"
check_eq "the container's passwd again" "$(cat "$rootfs/etc/passwd")" "$(cat "$T/passwd2")"
check "copy into the stopped container through its link" berth cp "$src/prog" "$n:/evil/prog2"
check "nothing reached the host's /etc" test ! -e /etc/prog2
check "a fifo in the stopped rootfs" mkfifo "$rootfs/root/fifo"
check "copy /root out" berth cp "$n:/root" "$T/rootdir"
check "the fifo is skipped" test ! -e "$T/rootdir/fifo"
check_error "a fifo as the source is refused" 1 berth cp "$n:/root/fifo" "$T/fifo"

# ---- an overlay container: its rootfs is layers, mounted for the copy ----
o=$(name cpov)
require "create $o on the overlay backend" create_busybox "$o" --backend overlay
check "copy into the stopped overlay container" berth cp "$src/prog" "$o:/root/prog"
check "copy it out again" berth cp "$o:/root/prog" "$T/ov-prog"
check_eq "the same content" hello "$(cat "$T/ov-prog")"
check "no mount of the copy is left on the host" test -z "$(grep -F "$BERTH_STORE/$o" /proc/self/mountinfo)"
require "start $o" berth start "$o"
check_eq "the running container sees the file, owned by its root" "0:0 hello" \
        "$(berth attach "$o" -- sh -c 'stat -c %u:%g /root/prog; cat /root/prog' | tr '\n' ' ' | sed 's/ $//')"
check "stop $o" berth stop "$o"

# ---- a privileged container ----
p=$(name cppriv)
printf 'privileged: true\n' >"$T/priv.yaml"
require "create privileged $p" create_busybox "$p" --config "$T/priv.yaml"
require "start $p" berth start "$p"
check "copy into the running privileged container" berth cp "$src/prog" "$p:/root/prog"
check_eq "owned by root (the host's: no mapping)" "0:0" \
        "$(stat -c %u:%g "$BERTH_STORE/$p/rootfs/root/prog")"
check "stop $p" berth stop "$p"

# ---- bad input ----
check_error "a relative container path" 2 berth cp "$src/prog" "$n:root/x"
check_error "two container paths" 2 berth cp "$n:/a" "$n:/b"
check_error "no container path" 2 berth cp "$src/prog" "$T/x"
check_error "one argument" 2 berth cp "$src/prog"
check_error "an invalid container name" 2 berth cp "$src/prog" "Bad:/x"
check_error "'..' in the container path" 1 berth cp "$src/prog" "$n:/root/../etc/x"
check_error "no such container" 1 berth cp "$src/prog" "$(name nosuch):/x"
check_error "no such source" 1 berth cp "$T/nosuch" "$n:/root/"
check_error "no such source in the container" 1 berth cp "$n:/nosuch" "$T/"
check_error "the destination's parent is missing" 1 berth cp "$src/prog" "$n:/no/such/dir/x"
check_error "a destination ending in / that is no directory" 1 berth cp "$n:/etc/hostname" "$T/nodir/"
mkdir -p "$T/f" && echo f >"$T/f/deeper"
check_error "a file where a directory of its name is in the way" 1 berth cp "$T/f/deeper" "$n:/root/src/sub/"
check_match "says so" "a directory of that name is in the way" "$(cat "$T/err.err")"
check_eq "nothing of that left behind (no temporary files)" "" \
        "$(find "$rootfs/root" -name '.berth-cp-*')"
