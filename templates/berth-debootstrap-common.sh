# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
#
# berth-debootstrap-common.sh: the shared body of the debootstrap templates (berth-debian,
# berth-ubuntu). Not executable on its own: a template sources it and then calls
# debootstrap_template_main "$@".
#
# The sourcing template sets:
#   PROG              "berth-debian", the prefix of every message
#   DISTRO            "debian" or "ubuntu"
#   DEFAULT_RELEASE   the release built without --release
#   RELEASES          the releases it knows, space separated
#   SCRIPT_FALLBACK   the debootstrap script for a known release debootstrap has no script for
#   DEFAULT_KEYRING   the archive keyring, and KEYRING_PACKAGE the package that ships it
#   COMPONENTS        archive components, comma separated
# and defines:
#   distro_default_mirror          prints the mirror to use without --mirror, or dies
#   distro_check_init INIT         dies when INIT is not available for the distribution
#   distro_packages INIT RELEASE   prints the base packages for INIT, comma separated
#   distro_sources MIRROR RELEASE  prints /etc/apt/sources.list of the container
#
# The cache: $BERTH_CACHE_DIR/<release>-<arch>-<init>[-<hash of the extra packages>]/ holds the
# debootstrapped and configured generic tree. It is built under a temporary name, stamped last
# (.berth-cache: template, version and build parameters) and renamed into place; an entry
# without a matching stamp is rebuilt. A lock file per entry serialises concurrent creates.
# Each container gets a copy (cp -a --reflink=auto) plus its own hostname, machine-id, ssh host
# keys, passwords and (sysvinit) gettys.

# Bump when the layout of the cached tree changes, so old caches are rebuilt.
CACHE_VERSION=3
# Hard caps on what a user hands in.
PACKAGES_MAX=200
SSH_KEY_MAX_BYTES=65536

die() {
        printf '%s: %s\n' "$PROG" "$*" >&2
        exit 1
}

usage_die() {
        printf '%s: %s\n' "$PROG" "$*" >&2
        exit 2
}

progress() {
        printf '%s: %s\n' "$PROG" "$*" >&2
}

# Removed by the exit trap: a half-built cache tree or a debootstrap log is never left behind.
cache_tmp=
log_tmp=
debootstrap_cleanup() {
        if [ -n "$cache_tmp" ]; then
                rm -rf --one-file-system -- "$cache_tmp" 2>/dev/null || :
        fi
        if [ -n "$log_tmp" ]; then
                rm -f -- "$log_tmp" 2>/dev/null || :
        fi
}

is_uint() {
        case "$1" in
        '' | *[!0-9]*) return 1 ;;
        esac
        [ "${#1}" -le 10 ]
}

# ---- arguments -------------------------------------------------------------------------------

debootstrap_usage() {
        printf 'usage: %s --name NAME --rootfs DIR [--arch ARCH] [--release %s]\n' \
                "$PROG" "$DEFAULT_RELEASE" >&2
        printf '       [--mirror URL] [--packages a,b,c] [--init systemd|sysvinit]\n' >&2
        printf '       [--root-password PW] [--ssh-key FILE] [--ttys N] [--keyring FILE]\n' >&2
        printf '       [--flush-cache]\n' >&2
        printf 'releases: %s\n' "$RELEASES" >&2
}

debootstrap_parse_args() {
        name=
        rootfs=
        release=
        arch=
        mirror=
        packages=
        have_packages=false
        root_password=
        have_root_password=false
        ssh_key=
        init=systemd
        ttys=4
        keyring=
        flush_cache=false
        check_only=false
        # The storage extension (see berth-busybox): --print-cache-tree, --rootfs-ready.
        print_cache=false
        rootfs_ready=false

        while [ $# -gt 0 ]; do
                opt=$1
                shift
                case "$opt" in
                --)
                        # A separator some callers put before the template options.
                        continue
                        ;;
                --flush-cache)
                        flush_cache=true
                        continue
                        ;;
                --print-cache-tree)
                        print_cache=true
                        check_only=true
                        continue
                        ;;
                --rootfs-ready)
                        rootfs_ready=true
                        continue
                        ;;
                --check-options)
                        # Contract: validate the options only, build nothing (berth create -f
                        # checks every container's options before it creates any).
                        check_only=true
                        continue
                        ;;
                --help | -h)
                        debootstrap_usage
                        exit 0
                        ;;
                --flush-cache=*)
                        usage_die "option '--flush-cache' takes no value"
                        ;;
                --*=*)
                        val=${opt#*=}
                        opt=${opt%%=*}
                        ;;
                --name | --rootfs | --release | --arch | --mirror | --packages | \
                --root-password | --ssh-key | --init | --ttys | --keyring)
                        [ $# -gt 0 ] || usage_die "option '$opt' needs a value"
                        val=$1
                        shift
                        ;;
                *)
                        usage_die "unknown option '$opt'"
                        ;;
                esac
                case "$opt" in
                --name) name=$val ;;
                --rootfs) rootfs=$val ;;
                --release) release=$val ;;
                --arch) arch=$val ;;
                --mirror) mirror=$val ;;
                --packages)
                        packages=$val
                        have_packages=true
                        ;;
                --root-password)
                        root_password=$val
                        have_root_password=true
                        ;;
                --ssh-key) ssh_key=$val ;;
                --init) init=$val ;;
                --ttys) ttys=$val ;;
                --keyring) keyring=$val ;;
                *) usage_die "unknown option '$opt'" ;;
                esac
        done
}

# Maps an architecture name (uname -m or Debian's) to Debian's.
deb_arch_of() {
        case "$1" in
        x86_64 | amd64) echo amd64 ;;
        aarch64 | arm64) echo arm64 ;;
        i386 | i486 | i586 | i686) echo i386 ;;
        armv7l | armv7 | armhf) echo armhf ;;
        ppc64le | ppc64el) echo ppc64el ;;
        s390x) echo s390x ;;
        riscv64) echo riscv64 ;;
        *) return 1 ;;
        esac
}

# Everything is checked before anything is downloaded or written, so a typo costs nothing.
debootstrap_validate() {
        [ -n "$name" ] || usage_die "missing option '--name'"
        [ -n "$rootfs" ] || [ "$check_only" = true ] || usage_die "missing option '--rootfs'"

        # The name becomes the hostname and lands in /etc files: same rule as
        # berth_name_is_valid().
        case "$name" in
        [a-z0-9]*) ;;
        *) die "invalid container name '$name'" ;;
        esac
        case "$name" in
        *[!a-z0-9-]*) die "invalid container name '$name'" ;;
        esac
        [ "${#name}" -le 63 ] || die "invalid container name '$name': longer than 63 characters"

        [ -n "$release" ] || release=$DEFAULT_RELEASE
        bad_release="invalid release name '$release': expected a code name such as"
        case "$release" in
        [a-z]*) ;;
        *) die "$bad_release '$DEFAULT_RELEASE'" ;;
        esac
        case "$release" in
        *[!a-z0-9]*) die "$bad_release '$DEFAULT_RELEASE'" ;;
        esac
        [ "${#release}" -le 32 ] || die "invalid release name '$release': too long"
        case " $RELEASES " in
        *" $release "*) ;;
        *) die "unsupported release '$release' for $DISTRO: use one of $RELEASES" ;;
        esac

        [ -n "$arch" ] || arch=$(uname -m) || die "query the host architecture failed"
        deb_arch=$(deb_arch_of "$arch") || die "unsupported architecture '$arch'"
        if command -v dpkg >/dev/null 2>&1; then
                host_arch=$(dpkg --print-architecture) || die "query dpkg's architecture failed"
        else
                host_arch=$(deb_arch_of "$(uname -m)") || die "unsupported host architecture"
        fi
        # debootstrap runs the tree's binaries: only what this kernel executes natively.
        if [ "$deb_arch" != "$host_arch" ] &&
                ! { [ "$host_arch" = amd64 ] && [ "$deb_arch" = i386 ]; }; then
                die "unsupported architecture '$arch': a $host_arch host cannot run $deb_arch binaries"
        fi

        case "$init" in
        systemd | sysvinit) ;;
        *) die "invalid init '$init': expected systemd or sysvinit" ;;
        esac
        distro_check_init "$init"

        is_uint "$ttys" || die "invalid tty count '$ttys': expected 0..64"
        ttys=$((ttys + 0))
        [ "$ttys" -le 64 ] || die "invalid tty count '$ttys': expected 0..64"

        # Extra packages: sorted and deduplicated, so the same set always hits the same cache.
        extra_packages=
        if $have_packages; then
                [ -n "$packages" ] || die "invalid package list '': give at least one package"
                # "a,,b" and a trailing comma are typos, not requests.
                case ",$packages," in
                *,,*) die "invalid package list '$packages': empty package name" ;;
                esac
                n=0
                list=
                old_ifs=$IFS
                IFS=,
                set -f
                for p in $packages; do
                        case "$p" in
                        [a-z0-9]?*) ;;
                        *) die "invalid package name '$p' in '--packages'" ;;
                        esac
                        case "$p" in
                        *[!a-z0-9+.-]*) die "invalid package name '$p' in '--packages'" ;;
                        esac
                        [ "${#p}" -le 100 ] || die "invalid package name '$p': too long"
                        n=$((n + 1))
                        [ "$n" -le "$PACKAGES_MAX" ] ||
                                die "too many packages in '--packages': at most $PACKAGES_MAX"
                        list="$list$p
"
                done
                set +f
                IFS=$old_ifs
                extra_packages=$(printf '%s' "$list" | LC_ALL=C sort -u | paste -s -d, -)
        fi

        if $have_root_password; then
                [ -n "$root_password" ] ||
                        die "invalid root password: empty (omit the option instead)"
                case "$root_password" in
                *'
'*) die "invalid root password: contains a newline" ;;
                esac
        fi

        if [ -n "$ssh_key" ]; then
                if [ ! -f "$ssh_key" ] || [ ! -r "$ssh_key" ]; then
                        die "read ssh key '$ssh_key' failed: no such readable file"
                fi
                size=$(wc -c <"$ssh_key") || die "read ssh key '$ssh_key' failed"
                [ "$size" -le "$SSH_KEY_MAX_BYTES" ] ||
                        die "invalid ssh key '$ssh_key': larger than $SSH_KEY_MAX_BYTES bytes"
                if grep -q 'PRIVATE KEY' "$ssh_key"; then
                        die "invalid ssh key '$ssh_key': a private key, give the .pub file"
                fi
                key_type='(ssh-(rsa|dss|ed25519)|ecdsa-sha2-[a-z0-9]+|sk-[a-z0-9@.-]+)'
                grep -Eq "(^|[[:space:]])$key_type [A-Za-z0-9+/=]+" "$ssh_key" ||
                        die "invalid ssh key '$ssh_key': no public key in it"
        fi

        # The mirror last: berth-ubuntu has none by default and says so, after the cheap checks.
        [ -n "$mirror" ] || mirror=$(distro_default_mirror) || exit 1
        case "$mirror" in
        http://?* | https://?* | ftp://?* | file:///*) ;;
        *) die "invalid mirror '$mirror': expected an http://, https://, ftp:// or file:/// URL" ;;
        esac
        case "$mirror" in
        *[[:space:]\"\'\\\`\$]*) die "invalid mirror '$mirror': contains a space or a quote" ;;
        esac
        [ "${#mirror}" -le 1024 ] || die "invalid mirror: longer than 1024 characters"
        while :; do
                case "$mirror" in
                */) mirror=${mirror%/} ;;
                *) break ;;
                esac
        done

        if [ -z "$keyring" ]; then
                keyring=$DEFAULT_KEYRING
                [ -r "$keyring" ] ||
                        die "keyring '$keyring' not found: install $KEYRING_PACKAGE or pass --keyring FILE"
        fi
        if [ ! -f "$keyring" ] || [ ! -r "$keyring" ]; then
                die "read keyring '$keyring' failed: no such readable file"
        fi

        [ "$check_only" = false ] || [ "$print_cache" = true ] || return 0
        if [ "$print_cache" = false ]; then
                [ -d "$rootfs" ] || die "rootfs '$rootfs' is not a directory"
                [ ! -L "$rootfs" ] || die "rootfs '$rootfs' is a symlink"
                # Never populate a directory holding something else: the caller hands us an
                # empty one (or, with --rootfs-ready, one holding the cached tree).
                if [ "$rootfs_ready" = false ] && [ -n "$(ls -A -- "$rootfs")" ]; then
                        die "rootfs '$rootfs' is not empty"
                fi
        fi

        command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found; install debootstrap"
        command -v chroot >/dev/null 2>&1 || die "chroot not found; install coreutils"
        script=/usr/share/debootstrap/scripts/$release
        if [ ! -e "$script" ]; then
                # Known release, older debootstrap: every release of a distribution shares one
                # script (Debian: sid, Ubuntu: gutsy), the names are only symlinks to it.
                script=/usr/share/debootstrap/scripts/$SCRIPT_FALLBACK
                [ -e "$script" ] || die "debootstrap has no script for '$release'; upgrade debootstrap"
        fi

        key="$release-$deb_arch-$init"
        if [ -n "$extra_packages" ]; then
                hash=$(printf '%s\n' "$extra_packages" | sha256sum | cut -c1-12) ||
                        die "hash the package list failed"
                key="$key-$hash"
        fi
        stamp="berth-$DISTRO $CACHE_VERSION $release $deb_arch $init $extra_packages"
}

# ---- the generic tree (cached) ---------------------------------------------------------------

write_file() { # path mode (content on stdin)
        cat >"$1" || return 1
        chmod "$2" "$1"
}

# The units shipped enabled that cannot work in a container; masked in the cached tree.
MASKED_UNITS="sys-fs-fuse-connections.mount systemd-firstboot.service"

# Enables UNIT in the tree DIR without running anything of the host's systemd.
tree_enable() { # dir unit
        chroot "$1" systemctl enable "$2" >/dev/null 2>&1
}

configure_systemd() { # dir
        t=$1
        unitdir=$t/lib/systemd/system
        [ -d "$unitdir" ] || unitdir=$t/usr/lib/systemd/system
        for u in $MASKED_UNITS; do
                ln -sfn /dev/null "$t/etc/systemd/system/$u" || return 1
        done

        # DHCP on eth0 (berth's default veth name), without waiting for it at boot.
        mkdir -p "$t/etc/systemd/network" || return 1
        write_file "$t/etc/systemd/network/20-eth0.network" 644 <<-'EOF' || return 1
		# Written by berth: DHCP on the container's first interface.
		[Match]
		Name=eth0

		[Network]
		DHCP=yes

		[DHCPv4]
		UseDomains=yes
		EOF
        if [ -e "$unitdir/systemd-networkd.service" ]; then
                tree_enable "$t" systemd-networkd.service || return 1
        fi
        if [ -e "$unitdir/systemd-resolved.service" ]; then
                tree_enable "$t" systemd-resolved.service || return 1
                # The resolved package points /etc/resolv.conf at its stub already; make sure.
                ln -sfn ../run/systemd/resolve/stub-resolv.conf "$t/etc/resolv.conf" || return 1
        fi

        # A persistent journal: the previous boot, and how it shut down, stays readable
        # (journalctl -b -1), as on a machine.
        mkdir -p "$t/var/log/journal" || return 1

        # No getty@ttyN: berth passes container_ttys, and systemd starts container-getty@N on
        # each of those ptys and console-getty on /dev/console itself.
}

configure_sysvinit() { # dir
        t=$1
        # ifupdown: DHCP on eth0 (berth's default veth name).
        mkdir -p "$t/etc/network" || return 1
        write_file "$t/etc/network/interfaces" 644 <<-'EOF' || return 1
		# Written by berth. See interfaces(5).
		source /etc/network/interfaces.d/*

		auto lo
		iface lo inet loopback

		auto eth0
		iface eth0 inet dhcp
		EOF
}

# The tree's /etc/inittab without gettys and power-fail entries; they are per container.
write_inittab_base() { # dir
        f=$1/etc/inittab
        [ -f "$f" ] || return 1
        # Debian's powerfail entries run /etc/init.d/powerfail, which no package ships; berth
        # stops a sysvinit container with SIGPWR, so that must halt.
        drop='(respawn:/sbin/getty|powerwait|powerfail|powerfailnow|powerokwait)'
        grep -Ev "^[^#:]*:[^:]*:$drop" "$f" >"$f.berth" || return 1
        mv -- "$f.berth" "$f" || return 1
        chmod 644 "$f"
}

# Removes what must differ between containers or must not leak from the build host.
scrub_tree() { # dir
        t=$1
        # systemd seeds an empty machine-id from container_uuid at boot.
        : >"$t/etc/machine-id" || return 1
        chmod 444 "$t/etc/machine-id" || return 1
        if [ -e "$t/var/lib/dbus/machine-id" ] && [ ! -L "$t/var/lib/dbus/machine-id" ]; then
                rm -f -- "$t/var/lib/dbus/machine-id" || return 1
                ln -s /etc/machine-id "$t/var/lib/dbus/machine-id" || return 1
        fi
        # Host keys are made per container (an ssh server installed by --packages).
        rm -f -- "$t"/etc/ssh/ssh_host_*key "$t"/etc/ssh/ssh_host_*key.pub || return 1
        # debootstrap copies the build host's resolv.conf and hostname.
        if [ -f "$t/etc/resolv.conf" ] && [ ! -L "$t/etc/resolv.conf" ]; then
                : >"$t/etc/resolv.conf" || return 1
        fi
        rm -f -- "$t/etc/hostname" || return 1
        rm -f -- "$t"/var/cache/apt/archives/*.deb "$t"/var/cache/apt/*.bin || return 1
        rm -rf -- "$t/var/lib/apt/lists" || return 1
        mkdir -p "$t/var/lib/apt/lists/partial" || return 1
        rm -f -- "$t"/var/log/*.log || return 1
}

build_tree() { # dir
        t=$1
        log_tmp=$(mktemp -t berth-debootstrap.XXXXXX) || die "create a temporary log file failed"
        log=$log_tmp
        include=$(distro_packages "$init" "$release") || return 1
        [ -z "$extra_packages" ] || include="$include,$extra_packages"
        progress "debootstrap $release ($deb_arch, $init) from '$mirror' (this takes a few minutes)"
        if ! debootstrap --variant=minbase --arch="$deb_arch" --components="$COMPONENTS" \
                --include="$include" --keyring="$keyring" \
                "$release" "$t" "$mirror" "$script" >"$log" 2>&1 </dev/null; then
                # The log's tail for the user, then one line saying what failed.
                tail -n 15 "$log" | sed "s/^/$PROG: | /" >&2
                why=$(grep -E '^E: ' "$log" | tail -n 1 | cut -c4-200)
                die "debootstrap $release from '$mirror' failed${why:+: $why}"
        fi
        progress "configuring the $release tree"
        distro_sources "$mirror" "$release" | write_file "$t/etc/apt/sources.list" 644 ||
                return 1
        case "$init" in
        systemd) configure_systemd "$t" || return 1 ;;
        sysvinit)
                configure_sysvinit "$t" || return 1
                write_inittab_base "$t" || return 1
                ;;
        esac
        scrub_tree "$t" || return 1
        rm -f -- "$log_tmp"
        log_tmp=
        # Written last: only a complete tree carries it.
        printf '%s\n' "$stamp" >"$t/.berth-cache"
}

cache_is_valid() { # dir
        [ -f "$1/.berth-cache" ] && [ ! -L "$1/.berth-cache" ] &&
                [ "$(head -c 4096 -- "$1/.berth-cache")" = "$stamp" ]
}

# Moves DIR aside and removes it, so a half-removed tree never sits under the cache's name.
remove_entry() { # cache_dir dir
        [ -e "$2" ] || [ -L "$2" ] || return 0
        old=$(mktemp -d "$1/.$key.old.XXXXXX") || die "create a temporary directory in '$1' failed"
        mv -T -- "$2" "$old" || die "move the cache '$2' aside failed"
        rm -rf --one-file-system -- "$old" || die "remove the old cache '$old' failed"
}

# Builds the cache entry when missing, stale or incomplete. Called with the entry's lock held.
ensure_cache() { # cache_dir
        cdir=$1
        cache=$cdir/$key
        if $flush_cache; then
                progress "flushing the cache '$cache'"
                remove_entry "$cdir" "$cache"
        fi
        if cache_is_valid "$cache"; then
                return 0
        fi
        if [ -e "$cache" ] || [ -L "$cache" ]; then
                progress "the cache '$cache' is incomplete or stale: rebuilding it"
                remove_entry "$cdir" "$cache"
        fi
        # Leftovers of builds that were killed before their exit trap ran.
        rm -rf --one-file-system -- "$cdir/.$key.tmp."* "$cdir/.$key.old."* 2>/dev/null || :
        cache_tmp=$(mktemp -d "$cdir/.$key.tmp.XXXXXX") ||
                die "create a temporary directory in '$cdir' failed"
        chmod 755 "$cache_tmp" || die "chmod '$cache_tmp' failed"
        build_tree "$cache_tmp" || die "configure the $release tree in '$cache_tmp' failed"
        mv -T -- "$cache_tmp" "$cache" || die "rename '$cache_tmp' to '$cache' failed"
        cache_tmp=
}

# ---- per-container files ---------------------------------------------------------------------

hash_password() { # password on stdin, hash on stdout
        if command -v openssl >/dev/null 2>&1; then
                openssl passwd -6 -stdin
                return
        fi
        if command -v mkpasswd >/dev/null 2>&1; then
                mkpasswd -m sha-512 -s
                return
        fi
        return 127
}

# Root's password: without --root-password the field is empty, as in berth-busybox: login on
# the console and the ttys (reachable only from the host, through `berth console`) asks for
# none, and sshd refuses empty passwords (PermitEmptyPasswords no). Give --root-password or
# --ssh-key for anything reachable by others.
set_root_password() { # rootfs
        f=$1/etc/shadow
        [ -f "$f" ] && [ ! -L "$f" ] || return 1
        pw_field=
        if $have_root_password; then
                # Through stdin, not argv, so the password does not show up in ps.
                pw_field=$(printf '%s\n' "$root_password" | hash_password) || return 1
                case "$pw_field" in
                '$'*) ;;
                *) return 1 ;;
                esac
                # The crypt alphabet is [a-zA-Z0-9./$]: '|' and '&' never occur in it.
                case "$pw_field" in
                *[!a-zA-Z0-9./\$]*) return 1 ;;
                esac
        fi
        grep -q '^root:' "$f" || return 1
        # sed -i keeps the file's mode and owner (root:shadow 0640).
        sed -i "s|^root:[^:]*:|root:$pw_field:|" "$f"
}

install_ssh_key() { # rootfs
        d=$1/root/.ssh
        [ ! -L "$1/root" ] && [ ! -L "$d" ] || return 1
        [ -d "$d" ] || mkdir -m 700 "$d" || return 1
        chmod 700 "$d" || return 1
        cp -- "$ssh_key" "$d/authorized_keys" || return 1
        chmod 600 "$d/authorized_keys"
}

# sysvinit: a getty on the console and on each of the --ttys ttys, and a halt on SIGPWR.
write_inittab_ttys() { # rootfs
        f=$1/etc/inittab
        {
                printf '\n# Written by berth: the console, %d ttys, and SIGPWR halts.\n' "$ttys"
                printf 'co:2345:respawn:/sbin/getty 38400 console\n'
                i=1
                while [ "$i" -le "$ttys" ]; do
                        printf '%d:2345:respawn:/sbin/getty 38400 tty%d\n' "$i" "$i"
                        i=$((i + 1))
                done
                printf 'p0::powerfail:/sbin/init 0\n'
        } >>"$f"
}

configure_container() { # rootfs
        r=$1
        progress "configuring '$name'"
        rm -f -- "$r/.berth-cache" || die "remove the cache stamp from '$r' failed"

        printf '%s\n' "$name" >"$r/etc/hostname" || die "write '$r/etc/hostname' failed"
        chmod 644 "$r/etc/hostname" || die "chmod '$r/etc/hostname' failed"
        {
                printf '127.0.0.1\tlocalhost\n'
                printf '127.0.1.1\t%s\n' "$name"
                printf '::1\t\tlocalhost ip6-localhost ip6-loopback\n'
                printf 'ff02::1\t\tip6-allnodes\n'
                printf 'ff02::2\t\tip6-allrouters\n'
        } >"$r/etc/hosts" || die "write '$r/etc/hosts' failed"
        chmod 644 "$r/etc/hosts" || die "chmod '$r/etc/hosts' failed"
        # Empty, so systemd seeds it from the container_uuid berth passes; the copy from the
        # cache is empty already, this guards a tree built by hand without a cache.
        : >"$r/etc/machine-id" || die "write '$r/etc/machine-id' failed"

        set_root_password "$r" ||
                die "set the root password in '$r/etc/shadow' failed (is openssl installed?)"
        if [ -n "$ssh_key" ]; then
                install_ssh_key "$r" || die "install the ssh key into '$r/root/.ssh' failed"
                [ -e "$r/usr/sbin/sshd" ] ||
                        progress "note: no ssh server in the tree; add --packages openssh-server"
        fi
        if [ -e "$r/usr/sbin/sshd" ] || [ -e "$r/etc/ssh/sshd_config" ]; then
                progress "generating ssh host keys"
                # The tree's own ssh-keygen, so the key types match its sshd.
                chroot "$r" /usr/bin/ssh-keygen -A >/dev/null 2>&1 ||
                        die "generate the ssh host keys in '$r/etc/ssh' failed"
        fi

        if [ "$init" = sysvinit ]; then
                write_inittab_ttys "$r" || die "write '$r/etc/inittab' failed"
        fi
        if [ "$init" = systemd ]; then
                write_network_dropins "$r" ||
                        die "write the systemd-networkd-wait-online drop-in in '$r' failed"
        fi
}

# A container with no interface but loopback ('network: none') has nothing to wait for:
# without this, systemd-networkd-wait-online waits two minutes for a link that never comes,
# fails, and holds everything ordered after network-online.target (nginx, for one) that long.
# With an interface (berth makes it before init starts) it waits as on any machine. Written per
# container rather than into the cached tree, so existing caches need no rebuild. (No '$' in the
# command: systemd would expand it as a variable of its own.)
write_network_dropins() { # rootfs
        d=$1/etc/systemd/system/systemd-networkd-wait-online.service.d
        [ ! -L "$1/etc/systemd/system" ] && [ ! -L "$d" ] || return 1
        mkdir -p "$d" || return 1
        write_file "$d/berth.conf" 644 <<-'EOF' || return 1
		# Written by berth: skip the wait when there is no interface but loopback.
		[Service]
		ExecCondition=/bin/sh -c 'ls /sys/class/net | grep -qvx lo'
		EOF
        # An address berth set on eth0 from the container's config (ipv4:) stays when
        # networkd takes the link over.
        n=$1/etc/systemd/network/20-eth0.network.d
        [ ! -L "$1/etc/systemd/network" ] && [ ! -L "$n" ] || return 1
        mkdir -p "$n" || return 1
        write_file "$n/berth.conf" 644 <<-'EOF'
		# Written by berth: keep the addresses berth configured.
		[Network]
		KeepConfiguration=static
		EOF
}

# ---- main ------------------------------------------------------------------------------------

debootstrap_template_main() {
        trap debootstrap_cleanup EXIT
        # A signal must still run the EXIT trap, and exit non-zero.
        trap 'exit 130' INT
        trap 'exit 143' TERM
        trap 'exit 129' HUP

        debootstrap_parse_args "$@"
        debootstrap_validate
        [ "$check_only" = false ] || [ "$print_cache" = true ] || exit 0

        if [ "$rootfs_ready" = true ]; then
                : # berth has put a copy of the cached tree in the rootfs
        elif [ -n "${BERTH_CACHE_DIR:-}" ]; then
                mkdir -p -- "$BERTH_CACHE_DIR" ||
                        die "create the cache directory '$BERTH_CACHE_DIR' failed"
                command -v flock >/dev/null 2>&1 || die "flock not found; install util-linux"
                # One lock per entry: two creates of the same tree build it once; the lock is
                # held through the copy, so a --flush-cache elsewhere cannot pull it away.
                exec 9>>"$BERTH_CACHE_DIR/.$key.lock" ||
                        die "open the cache lock in '$BERTH_CACHE_DIR' failed"
                if ! flock -n 9; then
                        progress "waiting for another create building '$key'"
                        flock 9 || die "lock the cache '$BERTH_CACHE_DIR/$key' failed"
                fi
                ensure_cache "$BERTH_CACHE_DIR"
                if [ "$print_cache" = true ]; then
                        printf 'tree=%s\nlock=%s\n' "$BERTH_CACHE_DIR/$key" \
                                "$BERTH_CACHE_DIR/.$key.lock"
                        exit 0
                fi
                progress "copying the cached tree into '$rootfs'"
                cp -a --reflink=auto -- "$BERTH_CACHE_DIR/$key/." "$rootfs/" ||
                        die "copy the cached tree into '$rootfs' failed"
                exec 9>&-
        else
                [ "$print_cache" = false ] ||
                        die "option '--print-cache-tree' needs BERTH_CACHE_DIR"
                # No cache directory (run by hand): build straight into the rootfs.
                build_tree "$rootfs" || die "configure the $release tree in '$rootfs' failed"
        fi

        configure_container "$rootfs"
        progress "done"

        cat <<-EOF
	init:
	  cmd: [/sbin/init]
	  kind: $init
	console:
	  ttys: $ttys
	EOF
}
