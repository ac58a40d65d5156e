#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The distribution templates: berth-download against a local HTTP server and local files
# (checksums, hostile tarballs, the cache, the index), berth-debian's and berth-ubuntu's option
# errors and their cache logic with a fake debootstrap (no network, seconds), and a real
# create from the Debian cache when a previous build left one in /var/cache/berth/debian.
# The real debootstrap build itself is tests/integration/debian.sh.

. "$(dirname "$0")/lib.sh"

TPL=$BERTH_TEMPLATES_DIR
export BERTH_CACHE="$T/cache"
mkdir -p "$BERTH_CACHE"
SCRUBBED_PATH=/usr/sbin:/usr/bin:/sbin:/bin

# Runs template $1 as berth does (scrubbed environment), with CACHE as its cache dir (or none
# when empty) and PATH_PREFIX in front of the PATH.
run_tpl() { # template cache path-prefix args...
        local t=$1 cache=$2 prefix=$3
        shift 3
        env -i PATH="${prefix:+$prefix:}$SCRUBBED_PATH" LC_ALL=C HOME=/root \
                ${cache:+BERTH_CACHE_DIR="$cache"} FAKE_LOG="$T/fake.log" \
                FAKE_FAIL="${FAKE_FAIL:-}" FAKE_SLEEP="${FAKE_SLEEP:-}" \
                "$TPL/berth-$t" "$@" 3>&-
}

# check_tpl_error DESC CODE MESSAGE TEMPLATE ARGS...: the template (no cache) exits CODE with
# exactly one stderr line, "berth-TEMPLATE: MESSAGE", nothing on stdout, and leaves its rootfs
# empty.
check_tpl_error() {
        local desc=$1 want=$2 msg=$3 t=$4 rc root
        shift 4
        root=$(mktemp -d "$T/root.XXXXXX")
        run_tpl "$t" "" "" --name err1 --rootfs "$root" --arch "$(uname -m)" "$@" \
                >"$T/tpl.out" 2>"$T/tpl.err"
        rc=$?
        if [ "$rc" = "$want" ] && [ "$(cat "$T/tpl.err")" = "berth-$t: $msg" ] &&
                [ ! -s "$T/tpl.out" ] && [ -z "$(ls -A "$root")" ]; then
                pass "$desc"
        else
                fail "$desc"
                diag "  exit $rc (expected $want), expected stderr: berth-$t: $msg"
                diag_file "$T/tpl.err"
                diag_file "$T/tpl.out"
        fi
        rm -rf "$root"
}

# No container NAME and no leftover of its create.
no_container() {
        [ ! -e "$BERTH_STORE/$1" ] && [ -z "$(ls -A "$BERTH_STORE" | grep -F ".$1.create-")" ]
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- images ----------------------------------------------------------------------------------

W=$T/www
mkdir -p "$W/sub" "$T/img/etc" "$T/img/sbin" "$T/outside"
printf 'ID=testos\n' >"$T/img/etc/os-release"
printf '#!/bin/sh\nexec sleep 1000\n' >"$T/img/sbin/init"
chmod 755 "$T/img/sbin/init"
chown 1234:5678 "$T/img/etc/os-release"
tar -C "$T/img" --numeric-owner -cf "$W/plain.tar" .
cat >"$T/img/berth-config.yaml" <<'EOF'
init:
  cmd: [/sbin/init, --from-fragment]
console:
  ttys: 2
EOF
tar -C "$T/img" --numeric-owner -czf "$W/good.tar.gz" .
tar -C "$T/img" --numeric-owner -cJf "$W/sub/good.tar.xz" .
cp "$W/good.tar.gz" "$W/again.tar.gz"
GOOD=$(sha "$W/good.tar.gz")
PLAIN=$(sha "$W/plain.tar")
XZ=$(sha "$W/sub/good.tar.xz")

# Hostile tarballs, written member by member (GNU tar will not store these names as given).
"$PYTHON" - "$W" "$T/outside" <<'EOF'
import io, sys, tarfile
w, outside = sys.argv[1], sys.argv[2]
def make(path, members):
    with tarfile.open(path, "w") as tf:
        for name, kind, data in members:
            ti = tarfile.TarInfo(name)
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tf.addfile(ti)
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data
                tf.addfile(ti)
            else:
                ti.size = len(data)
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(data))
make(w + "/dotdot.tar", [("etc", "dir", None), ("etc/../../evil-dotdot", "file", b"x")])
make(w + "/leading.tar", [("../evil-leading", "file", b"x")])
make(w + "/absolute.tar", [("etc", "dir", None), (outside + "/evil-abs", "file", b"x")])
make(w + "/symlink.tar", [("esc", "sym", outside), ("esc/pwned", "file", b"x")])
make(w + "/badfrag.tar", [("etc", "dir", None), ("berth-config.yaml", "sym", "/etc/shadow")])
EOF
printf 'this is not a tarball\n' >"$W/junk.tar"

# ---- the HTTP server -------------------------------------------------------------------------

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$W" "$PORT" >"$T/http.log" 2>&1 &
HTTP_PID=$!
IT_BG_PIDS+=("$HTTP_PID")
URL="http://127.0.0.1:$PORT"
require "the test's HTTP server answers on 127.0.0.1:$PORT" \
        wait_until 10 curl -fsS -o /dev/null "$URL/plain.tar"

# ---- berth-download --------------------------------------------------------------------------

n=$(name dl-http)
check "download: create from http:// with the right sha256" \
        berth create "$n" -t download -- --url "$URL/good.tar.gz" --sha256 "$GOOD"
check_eq "download: the tree is unpacked" "ID=testos" "$(cat "$BERTH_STORE/$n/rootfs/etc/os-release")"
check_eq "download: owners are kept numerically" "1234:5678" \
        "$(stat -c %u:%g "$BERTH_STORE/$n/rootfs/etc/os-release")"
ok_if "download: /berth-config.yaml is removed from the tree" \
        "$([ ! -e "$BERTH_STORE/$n/rootfs/berth-config.yaml" ]; echo $?)"
cfg=$(berth config "$n" show 2>&1)
check_match "download: the tarball's fragment is the config (init.cmd)" "from-fragment" "$cfg"
check_match "download: the tarball's fragment is the config (console.ttys)" "ttys: 2" "$cfg"
ok_if "download: the verified tarball is cached by its sha256" \
        "$(cmp -s "$W/good.tar.gz" "$BERTH_CACHE/download/sha256-$GOOD"; echo $?)"

# Served no more: the second create comes from the cache.
mv "$W/good.tar.gz" "$W/good.tar.gz.gone"
n=$(name dl-cached)
check "download: a second create uses the cache (the URL is gone)" \
        berth create "$n" -t download -- --url "$URL/good.tar.gz" --sha256 "${GOOD^^}"
check_match "download: says it used the cache" "using the cached tarball" "$(cat "$IT_OUT")"
# A corrupt cache entry is detected and fetched again: here that fails, the URL being gone.
printf 'garbage' >>"$BERTH_CACHE/download/sha256-$GOOD"
n=$(name dl-corrupt)
check_fail "download: a corrupt cache entry is not used" \
        berth create "$n" -t download -- --url "$URL/good.tar.gz" --sha256 "$GOOD"
check_match "download: ... it is fetched again (404 here)" \
        "corrupt: fetching it again|download .* failed" "$(cat "$IT_OUT")"
ok_if "download: ... and nothing is left of that create" "$(no_container "$n"; echo $?)"
mv "$W/good.tar.gz.gone" "$W/good.tar.gz"
n=$(name dl-refetch)
check "download: a corrupt cache entry is replaced by a good download" \
        berth create "$n" -t download -- --url "$URL/good.tar.gz" --sha256 "$GOOD"
ok_if "download: ... the cache holds the right tarball again" \
        "$(cmp -s "$W/good.tar.gz" "$BERTH_CACHE/download/sha256-$GOOD"; echo $?)"

n=$(name dl-badsum)
WRONG=$(printf '%064d' 0)
check_fail "download: a wrong sha256 fails the create" \
        berth create "$n" -t download -- --url "$URL/again.tar.gz" --sha256 "$WRONG"
check_match "download: ... naming the mismatch" \
        "^berth: .*sha256 mismatch for '$URL/again.tar.gz': expected $WRONG, got $GOOD" \
        "$(cat "$IT_OUT")"
ok_if "download: ... leaves no container" "$(no_container "$n"; echo $?)"
ok_if "download: ... and caches nothing, not even a partial download" \
        "$([ ! -e "$BERTH_CACHE/download/sha256-$WRONG" ] &&
                [ -z "$(ls -A "$BERTH_CACHE/download" | grep -v '\.lock$' | grep '^\.')" ]
        echo $?)"

for t in dotdot leading absolute; do
        n=$(name "dl-$t")
        check_fail "download: a tarball with a '$t' member is refused" \
                berth create "$n" -t download -- --url "$URL/$t.tar" --sha256 "$(sha "$W/$t.tar")"
        check_match "download: ... before unpacking, naming the member" \
                "refuse the tarball .*: member '.*evil-.*' has an absolute path or a '\.\.' component" \
                "$(cat "$IT_OUT")"
        ok_if "download: ... leaves no container" "$(no_container "$n"; echo $?)"
done
ok_if "download: no hostile member was written outside the tree" \
        "$([ -z "$(find "$T" -name 'evil-*' 2>/dev/null)" ]; echo $?)"

n=$(name dl-symlink)
berth create "$n" -t download -- --url "$URL/symlink.tar" --sha256 "$(sha "$W/symlink.tar")" \
        >"$IT_OUT" 2>&1
ok_if "download: a member behind a symlink out of the tree is not written outside" \
        "$([ ! -e "$T/outside/pwned" ]; echo $?)"

n=$(name dl-badfrag)
check_fail "download: a /berth-config.yaml that is a symlink is refused" \
        berth create "$n" -t download -- --url "$URL/badfrag.tar" --sha256 "$(sha "$W/badfrag.tar")"
check_match "download: ... saying so" "berth-config.yaml.* not a regular file" "$(cat "$IT_OUT")"
ok_if "download: ... leaves no container" "$(no_container "$n"; echo $?)"

n=$(name dl-junk)
check_fail "download: a file that is no tarball is refused" \
        berth create "$n" -t download -- --url "$URL/junk.tar" --sha256 "$(sha "$W/junk.tar")"
check_match "download: ... saying so" "not a tar archive" "$(cat "$IT_OUT")"

n=$(name dl-404)
check_fail "download: a missing URL fails" \
        berth create "$n" -t download -- --url "$URL/nope.tar" --sha256 "$(printf '%064d' 1)"
check_match "download: ... naming the URL" "download '$URL/nope.tar' failed" "$(cat "$IT_OUT")"

n=$(name dl-path)
check "download: create from a plain path" \
        berth create "$n" -t download -- --url "$W/plain.tar" --sha256 "$PLAIN"
cfg=$(berth config "$n" show 2>&1)
check_match "download: without a fragment init.cmd is /sbin/init" "/sbin/init" "$cfg"
check_nomatch "download: ... and nothing of another fragment" "from-fragment" "$cfg"
n=$(name dl-fileurl)
check "download: create from a file:// URL (.tar.xz)" \
        berth create "$n" -t download -- --url "file://$W/sub/good.tar.xz" --sha256 "$XZ"
check_eq "download: ... unpacked" "ID=testos" "$(cat "$BERTH_STORE/$n/rootfs/etc/os-release")"

# The index.
cat >"$W/index" <<EOF
# name release arch path sha256

otheros one $(uname -m) plain.tar $PLAIN
testos one arm64 plain.tar $PLAIN
testos one amd64 sub/good.tar.xz $XZ
testos one x86_64 plain.tar $PLAIN
testos two $(uname -m) $URL/plain.tar $WRONG
EOF
printf 'testos one amd64 plain.tar\n' >"$W/bad-index"
n=$(name dl-index)
check "download: create from an index over http" \
        berth create "$n" -t download -- --index "$URL/index" --dist testos --release one
check_match "download: the index entry for this arch is taken (a relative path)" \
        "from-fragment" "$(berth config "$n" show 2>&1)"
check_eq "download: ... unpacked" "ID=testos" "$(cat "$BERTH_STORE/$n/rootfs/etc/os-release")"
n=$(name dl-index-sum)
check_fail "download: the index's checksum is enforced" \
        berth create "$n" -t download -- --index "$URL/index" --dist testos --release two
check_match "download: ... naming the mismatch" "sha256 mismatch" "$(cat "$IT_OUT")"
n=$(name dl-index-none)
check_fail "download: no index entry for the release" \
        berth create "$n" -t download -- --index "$W/index" --dist testos --release three
check_match "download: ... saying so" "no image for 'testos' 'three' '$(uname -m)'" "$(cat "$IT_OUT")"
ok_if "download: ... leaves no container" "$(no_container "$n"; echo $?)"
n=$(name dl-index-bad)
check_fail "download: a malformed index line is an error" \
        berth create "$n" -t download -- --index "file://$W/bad-index" --dist testos --release one
check_match "download: ... naming the line" "invalid index .* line 1" "$(cat "$IT_OUT")"

kill "$HTTP_PID" 2>/dev/null
wait "$HTTP_PID" 2>/dev/null
ok_if "download: the test's HTTP server is stopped" "$(pid_dead "$HTTP_PID"; echo $?)"

# Usage errors, run as berth runs the template.
check_tpl_error "download: unknown option" 2 "unknown option '--x'" download --x
check_tpl_error "download: --url without --sha256" 2 \
        "missing option '--sha256' (required with '--url')" download --url "$W/plain.tar"
check_tpl_error "download: --url with --index" 2 "options '--url' and '--index' exclude each other" \
        download --url "$W/plain.tar" --index "$W/index"
check_tpl_error "download: --index without --release" 2 \
        "missing option '--release' (required with '--index')" download --index "$W/index" \
        --dist testos
check_tpl_error "download: a malformed sha256" 1 \
        "invalid sha256 'abc': expected 64 hex digits" download --url "$W/plain.tar" --sha256 abc
check_tpl_error "download: an unsupported scheme" 1 \
        "unsupported source 'gopher://x/y.tar': use http://, https://, ftp://, file:// or a path" \
        download --url gopher://x/y.tar --sha256 "$PLAIN"
check_tpl_error "download: a missing local file" 1 "read '$W/none.tar' failed: no such file" \
        download --url "$W/none.tar" --sha256 "$PLAIN"
check_tpl_error "download: a hostile --dist" 1 \
        "invalid distribution '../x': expected [a-z0-9][a-z0-9._-]*" download --index "$W/index" \
        --dist ../x --release one

# ---- berth-debian and berth-ubuntu: option errors (no debootstrap runs) ----------------------

check_tpl_error "debian: unknown option" 2 "unknown option '--x'" debian --x
check_tpl_error "debian: an option without its value" 2 "option '--release' needs a value" \
        debian --release
check_tpl_error "debian: a release that is no name" 1 \
        "invalid release name 'book;worm': expected a code name such as 'bookworm'" \
        debian --release 'book;worm'
check_tpl_error "debian: a release in upper case" 1 \
        "invalid release name 'Bookworm': expected a code name such as 'bookworm'" \
        debian --release Bookworm
check_tpl_error "debian: an Ubuntu release" 1 \
        "unsupported release 'jammy' for debian: use one of bullseye bookworm trixie forky sid" \
        debian --release jammy
check_tpl_error "debian: an unknown init" 1 "invalid init 'runit': expected systemd or sysvinit" \
        debian --init runit
check_tpl_error "debian: a bad package name" 1 "invalid package name 'Foo' in '--packages'" \
        debian --packages nano,Foo
check_tpl_error "debian: an empty package name" 1 \
        "invalid package list 'nano,,vim': empty package name" debian --packages nano,,vim
check_tpl_error "debian: a package name with a shell character" 1 \
        "invalid package name 'a;b' in '--packages'" debian --packages 'a;b'
check_tpl_error "debian: a bad mirror" 1 \
        "invalid mirror 'gopher://x': expected an http://, https://, ftp:// or file:/// URL" \
        debian --mirror gopher://x
check_tpl_error "debian: a mirror with a quote" 1 \
        "invalid mirror 'http://x/a'b': contains a space or a quote" debian --mirror "http://x/a'b"
check_tpl_error "debian: too many ttys" 1 "invalid tty count '65': expected 0..64" debian --ttys 65
check_tpl_error "debian: a missing ssh key" 1 \
        "read ssh key '$T/none.pub' failed: no such readable file" debian --ssh-key "$T/none.pub"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n' >"$T/id_test"
check_tpl_error "debian: a private key as --ssh-key" 1 \
        "invalid ssh key '$T/id_test': a private key, give the .pub file" \
        debian --ssh-key "$T/id_test"
printf 'not a key\n' >"$T/nokey.pub"
check_tpl_error "debian: a file without a public key as --ssh-key" 1 \
        "invalid ssh key '$T/nokey.pub': no public key in it" debian --ssh-key "$T/nokey.pub"
check_tpl_error "debian: a foreign architecture" 1 \
        "unsupported architecture 's390x': a $(dpkg --print-architecture) host cannot run s390x binaries" \
        debian --arch s390x
check_tpl_error "debian: an invalid container name" 1 "invalid container name 'Web'" \
        debian --name Web
check_tpl_error "debian: a missing keyring" 1 \
        "read keyring '$T/none.gpg' failed: no such readable file" debian --keyring "$T/none.gpg"

check_tpl_error "ubuntu: no --mirror" 1 "--mirror is required (no Ubuntu mirror is configured)" \
        ubuntu
check_tpl_error "ubuntu: unknown option" 2 "unknown option '--x'" ubuntu --x
check_tpl_error "ubuntu: a Debian release" 1 \
        "unsupported release 'bookworm' for ubuntu: use one of focal jammy noble" \
        ubuntu --release bookworm --mirror http://127.0.0.1:9/ubuntu
check_tpl_error "ubuntu: sysvinit is not offered" 1 "unsupported init 'sysvinit' for ubuntu: only systemd" \
        ubuntu --init sysvinit --mirror http://127.0.0.1:9/ubuntu

n=$(name deb-badopt)
check_fail "debian via berth create: an unknown option fails the create" \
        berth create "$n" -t debian -- --bogus
check_match "debian via berth create: ... with the template's message" \
        "^berth: create '$n': template 'debian' failed \(exit status 2\): berth-debian: unknown option '--bogus'" \
        "$(cat "$IT_OUT")"
ok_if "debian via berth create: ... and leaves no container" "$(no_container "$n"; echo $?)"

# ---- berth-debian: the cache, with a fake debootstrap ----------------------------------------

# A stand-in for debootstrap: logs its arguments, builds a tiny tree with the files the
# template edits, and fails like debootstrap when asked to.
FAKE=$T/fakebin
mkdir -p "$FAKE"
cat >"$FAKE/debootstrap" <<'EOF'
#!/bin/sh
set -eu
printf '%s\n' "$*" >>"$FAKE_LOG"
[ -z "${FAKE_SLEEP:-}" ] || sleep "$FAKE_SLEEP"
if [ -n "${FAKE_FAIL:-}" ]; then
        echo "I: Retrieving InRelease"
        echo "E: Couldn't find these debs: nope"
        exit 1
fi
# debootstrap [--opt=value...] RELEASE TARGET MIRROR SCRIPT
t=
n=0
for a; do
        case "$a" in
        --*) continue ;;
        esac
        n=$((n + 1))
        [ "$n" != 2 ] || t=$a
done
mkdir -p "$t/etc/apt" "$t/etc/systemd/system" "$t/var/lib/dbus" "$t/var/cache/apt/archives" \
        "$t/root" "$t/etc/ssh"
printf 'root:*:19000:0:99999:7:::\n' >"$t/etc/shadow"
chmod 640 "$t/etc/shadow"
printf 'host\n' >"$t/etc/hostname"
printf 'nameserver 192.0.2.1\n' >"$t/etc/resolv.conf"
printf '0123456789abcdef0123456789abcdef\n' >"$t/etc/machine-id"
cp "$t/etc/machine-id" "$t/var/lib/dbus/machine-id"
printf 'hostkey\n' >"$t/etc/ssh/ssh_host_ed25519_key"
printf 'deb\n' >"$t/var/cache/apt/archives/x.deb"
cat >"$t/etc/inittab" <<'EOT'
id:2:initdefault:
si::sysinit:/etc/init.d/rcS
1:2345:respawn:/sbin/getty --noclear 38400 tty1
2:23:respawn:/sbin/getty 38400 tty2
pf::powerwait:/etc/init.d/powerfail start
pn::powerfailnow:/etc/init.d/powerfail now
po::powerokwait:/etc/init.d/powerfail stop
EOT
EOF
chmod 755 "$FAKE/debootstrap"
FC=$T/fakecache
mkdir -p "$FC"
fake_runs() { [ -f "$T/fake.log" ] && wc -l <"$T/fake.log" || echo 0; }
# fake_create NAME [template options...]: a berth-debian run into a fresh rootfs $T/r-NAME.
fake_create() {
        local n=$1
        shift
        rm -rf "$T/r-$n"
        mkdir "$T/r-$n"
        run_tpl debian "$FC" "$FAKE" --name "$n" --rootfs "$T/r-$n" --arch "$(uname -m)" "$@" \
                >"$T/r-$n.out" 2>"$T/r-$n.err"
}
KEY=bookworm-$(dpkg --print-architecture)-systemd
CV=$(sed -n 's/^CACHE_VERSION=//p' "$TPL/berth-debootstrap-common.sh")

check "debian (fake debootstrap): a first create builds the cache" fake_create f1
check_eq "debian: ... debootstrap ran once" 1 "$(fake_runs)"
check_match "debian: ... minbase with the systemd packages" \
        "^--variant=minbase .*--include=.*systemd,systemd-sysv,dbus.* bookworm " "$(cat "$T/fake.log")"
check_match "debian: ... into a temporary entry, from the mirror, with the release's script" \
        " bookworm $FC/\.$KEY\.tmp\.[^ ]+ https?://[^ ]+ /usr/share/debootstrap/scripts/bookworm$" \
        "$(cat "$T/fake.log")"
check_eq "debian: ... the cache entry is stamped" \
        "berth-debian $CV bookworm $(dpkg --print-architecture) systemd " "$(cat "$FC/$KEY/.berth-cache")"
check_eq "debian: the fragment names the init and the ttys" \
        "$(printf 'init:\n  cmd: [/sbin/init]\n  kind: systemd\nconsole:\n  ttys: 4')" \
        "$(cat "$T/r-f1.out")"
check_eq "debian: /etc/hostname is the name" f1 "$(cat "$T/r-f1/etc/hostname")"
check_match "debian: /etc/hosts names it" "^127\.0\.1\.1	f1$" "$(cat "$T/r-f1/etc/hosts")"
check_eq "debian: /etc/machine-id is empty" 0 "$(stat -c %s "$T/r-f1/etc/machine-id")"
check_eq "debian: dbus' machine-id is a link to it" /etc/machine-id \
        "$(readlink "$T/r-f1/var/lib/dbus/machine-id")"
ok_if "debian: the cache stamp is not in the container" \
        "$([ ! -e "$T/r-f1/.berth-cache" ]; echo $?)"
ok_if "debian: the build host's ssh host keys, resolv.conf and debs are gone" \
        "$([ ! -e "$T/r-f1/etc/ssh/ssh_host_ed25519_key" ] && [ ! -s "$T/r-f1/etc/resolv.conf" ] &&
                [ ! -e "$T/r-f1/var/cache/apt/archives/x.deb" ]; echo $?)"
check_match "debian: root has no password by default (console login)" "^root::" \
        "$(cat "$T/r-f1/etc/shadow")"
check_eq "debian: shadow keeps its mode" 640 "$(stat -c %a "$T/r-f1/etc/shadow")"
check_match "debian: apt sources for the release" "^deb http://[^ ]+ bookworm main$" \
        "$(cat "$T/r-f1/etc/apt/sources.list")"
check_match "debian: ... with security updates" "^deb http://[^ ]+ bookworm-security main$" \
        "$(cat "$T/r-f1/etc/apt/sources.list")"
check_match "debian: DHCP on eth0 (networkd)" "^DHCP=yes" \
        "$(cat "$T/r-f1/etc/systemd/network/20-eth0.network")"
check_eq "debian: units that fail in containers are masked" /dev/null \
        "$(readlink "$T/r-f1/etc/systemd/system/systemd-firstboot.service")"

echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@x' \
        >"$T/key.pub"
check "debian: a second create comes from the cache" \
        fake_create f2 --root-password 's3cret pw' --ssh-key "$T/key.pub" --ttys 1
check_eq "debian: ... without running debootstrap" 1 "$(fake_runs)"
check_match "debian: ... copying the cached tree" "copying the cached tree" "$(cat "$T/r-f2.err")"
check_eq "debian: the hostname of the second container" f2 "$(cat "$T/r-f2/etc/hostname")"
check_eq "debian: the first container is untouched" f1 "$(cat "$T/r-f1/etc/hostname")"
hash=$(sed -n 's/^root:\([^:]*\):.*/\1/p' "$T/r-f2/etc/shadow")
check_match "debian: --root-password sets a sha512 crypt hash" '^\$6\$' "$hash"
check_eq "debian: ... of that password" "$hash" \
        "$(openssl passwd -6 -salt "$(cut -d'$' -f3 <<<"$hash")" 's3cret pw')"
check_eq "debian: --ssh-key installs authorized_keys" "$(cat "$T/key.pub")" \
        "$(cat "$T/r-f2/root/.ssh/authorized_keys")"
check_eq "debian: ... private to root" "700 600" \
        "$(stat -c %a "$T/r-f2/root/.ssh") $(stat -c %a "$T/r-f2/root/.ssh/authorized_keys")"
check_match "debian: the fragment has --ttys" "ttys: 1" "$(cat "$T/r-f2.out")"

rm "$FC/$KEY/.berth-cache"
check "debian: an entry without its stamp is rebuilt" fake_create f3
check_eq "debian: ... debootstrap ran again" 2 "$(fake_runs)"
check_match "debian: ... saying why" "incomplete or stale: rebuilding" "$(cat "$T/r-f3.err")"
echo "berth-debian $((CV - 1)) bookworm $(dpkg --print-architecture) systemd " >"$FC/$KEY/.berth-cache"
check "debian: an entry of another template version is rebuilt" fake_create f4
check_eq "debian: ... debootstrap ran again" 3 "$(fake_runs)"
check "debian: --flush-cache rebuilds a valid entry" fake_create f5 --flush-cache
check_eq "debian: ... debootstrap ran again" 4 "$(fake_runs)"
check_match "debian: ... saying so" "flushing the cache" "$(cat "$T/r-f5.err")"

check "debian: --packages builds its own cache entry" fake_create f6 --packages vim,nano,vim
check_eq "debian: ... debootstrap ran again" 5 "$(fake_runs)"
check_match "debian: ... with the extra packages, sorted and unique" \
        "--include=[^ ]*,nano,vim " "$(tail -n 1 "$T/fake.log")"
check "debian: the same package set in another order hits that entry" \
        fake_create f7 --packages nano,vim
check_eq "debian: ... without debootstrap" 5 "$(fake_runs)"
check_eq "debian: there are two cache entries" 2 "$(ls "$FC" | grep -c "^$KEY")"

check "debian: --init sysvinit" fake_create f8 --init sysvinit --ttys 2
check_match "debian: ... debootstrap with sysvinit-core and ifupdown" \
        "--include=[^ ]*sysvinit-core[^ ]*ifupdown" "$(tail -n 1 "$T/fake.log")"
check_match "debian: ... the fragment says kind: sysvinit" "kind: sysvinit" "$(cat "$T/r-f8.out")"
tab=$(cat "$T/r-f8/etc/inittab")
check_match "debian: ... a getty on the console" "^co:2345:respawn:/sbin/getty 38400 console$" "$tab"
check_match "debian: ... a getty on tty2" "^2:2345:respawn:/sbin/getty 38400 tty2$" "$tab"
check_nomatch "debian: ... none on tty3 or the old --noclear ones" "tty3|noclear" "$tab"
check_match "debian: ... SIGPWR halts" "^p0::powerfail:/sbin/init 0$" "$tab"
check_nomatch "debian: ... without Debian's missing powerfail script" "init.d/powerfail" "$tab"
check_match "debian: ... DHCP on eth0 (ifupdown)" "^iface eth0 inet dhcp$" \
        "$(cat "$T/r-f8/etc/network/interfaces")"

FAKE_FAIL=1 fake_create f9 --init sysvinit --packages nope
rc=$?
check_ne "debian: a failing debootstrap fails the template" 0 "$rc"
check_match "debian: ... the last line says what failed, with debootstrap's error" \
        "^berth-debian: debootstrap bookworm from '[^']+' failed: Couldn't find these debs: nope$" \
        "$(tail -n 1 "$T/r-f9.err")"
check_match "debian: ... after the tail of debootstrap's log" "^berth-debian: \| I: Retrieving" \
        "$(cat "$T/r-f9.err")"
ok_if "debian: ... leaves no cache entry and no temporary tree" \
        "$([ -z "$(ls -A "$FC" | grep -v '\.lock$' | grep -e sysvinit- -e '\.tmp\.' -e '\.old\.')" ]
        echo $?)"
ok_if "debian: ... and no debootstrap log in /tmp" \
        "$([ -z "$(find /tmp -maxdepth 1 -name 'berth-debootstrap.*' -newer "$T/fake.log")" ]; echo $?)"

# Two creates at once build the tree once: the second waits for the first's lock.
runs=$(fake_runs)
FAKE_SLEEP=1 fake_create c1 --release trixie &
p1=$!
FAKE_SLEEP=1 fake_create c2 --release trixie &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
check_eq "debian: two concurrent creates both succeed" "0 0" "$r1 $r2"
check_eq "debian: ... and debootstrap ran once" $((runs + 1)) "$(fake_runs)"
check_eq "debian: ... each has its own hostname" "c1 c2" \
        "$(cat "$T/r-c1/etc/hostname") $(cat "$T/r-c2/etc/hostname")"

# ---- berth-debian through berth, from a real cache -------------------------------------------

REAL=/var/cache/berth/debian/$KEY
if [ -f "$REAL/.berth-cache" ] && [ -x "$REAL/usr/lib/systemd/systemd" ]; then
        n=$(name deb-real)
        start=$(now_us)
        check "debian: berth create from the real cache in /var/cache/berth" \
                env BERTH_CACHE=/var/cache/berth "$BERTH_BIN" create "$n" -t debian
        check_le "debian: ... takes seconds (ms)" "$(ms_since "$start")" 30000
        check_eq "debian: ... hostname" "$n" "$(cat "$BERTH_STORE/$n/rootfs/etc/hostname")"
        check_eq "debian: ... empty machine-id" 0 "$(stat -c %s "$BERTH_STORE/$n/rootfs/etc/machine-id")"
        check_match "debian: ... init kind systemd in config.yaml" "kind: systemd" \
                "$(cat "$BERTH_STORE/$n/config.yaml")"
        check "debian: ... /sbin/init is systemd" \
                test "$(readlink -f "$BERTH_STORE/$n/rootfs/sbin/init" | sed "s|^$BERTH_STORE/$n/rootfs||")" \
                = /usr/lib/systemd/systemd
else
        skip "debian: berth create from the real cache" "no built cache in /var/cache/berth/debian"
fi

# ---- berth-ubuntu against a real mirror, when there is one -----------------------------------

UM=${BERTH_UBUNTU_MIRROR:-}
if [ -z "$UM" ]; then
        skip "ubuntu: create from a mirror" "no Ubuntu mirror reachable here (set BERTH_UBUNTU_MIRROR)"
elif [ ! -r /usr/share/keyrings/ubuntu-archive-keyring.gpg ]; then
        skip "ubuntu: create from a mirror" "no Ubuntu keyring (install ubuntu-keyring)"
elif ! curl -fsS -o /dev/null --max-time 10 "$UM/dists/jammy/Release"; then
        skip "ubuntu: create from a mirror" "the mirror '$UM' is not reachable"
else
        n=$(name ubuntu)
        IT_CMD_TIMEOUT=900 check "ubuntu: create jammy from '$UM'" \
                berth create "$n" -t ubuntu -- --mirror "$UM"
        check_match "ubuntu: ... it is Ubuntu" "^ID=ubuntu" \
                "$(cat "$BERTH_STORE/$n/rootfs/etc/os-release" 2>/dev/null)"
fi
