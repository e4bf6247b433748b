# Sourced by tests/run: run the suite against another Wireshark release inside a minimal Debian chroot.
#   tests/run --wireshark 4.4    Debian trixie (4.4.x, gcc 14)
#   tests/run --wireshark 4.6    Debian sid    (4.6.x, gcc 16)
# The chroot is made once with debootstrap --variant=minbase from the Debian mirror of this machine's apt
# sources (never any other host), kept in /var/tmp/connlost-ws-X.Y (CONNLOST_WSROOT_BASE overrides
# /var/tmp) and reused. The committed tree (git archive HEAD, not the work tree) is copied in and the very
# same tests/run runs inside it as root of the chroot, so its tshark runs as 65534 there too.
# SPDX-License-Identifier: GPL-2.0-or-later

WSROOT_PACKAGES="gcc libc6-dev make cmake pkgconf libglib2.0-dev libwireshark-dev wireshark-dev tshark python3"

wsroot_suite() { # X.Y -> Debian suite that ships it
    case $1 in
        4.4) echo trixie ;;
        4.6) echo sid ;;
        *) die "--wireshark $1: known are 4.4 (trixie) and 4.6 (sid); 4.0 is this machine (plain tests/run)" ;;
    esac
}

# The Debian mirror this machine's apt already uses (not security, not third-party repositories).
wsroot_mirror() {
    local m
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -e 's/#.*//' | grep -oE 'https?://[^ ]+' | sed 's:/*$::' | grep -E '/debian$' | grep -v -- '-security' | head -1)
    [ -n "$m" ] || die "no Debian mirror in /etc/apt/sources.list(.d)"
    echo "$m"
}

WSROOT_MOUNTS=""
wsroot_mount() { # wsroot_mount ROOT: /proc and /dev (bind) for the chroot; wsroot_umount undoes it
    local root=$1
    mountpoint -q "$root/proc" || { mount -t proc proc "$root/proc" && WSROOT_MOUNTS="$root/proc $WSROOT_MOUNTS"; }
    mountpoint -q "$root/dev" || { mount --bind /dev "$root/dev" && WSROOT_MOUNTS="$root/dev $WSROOT_MOUNTS"; }
}
wsroot_umount() {
    local m
    for m in $WSROOT_MOUNTS; do umount "$m" || umount -l "$m" || echo "connlost: could not unmount $m" >&2; done
    WSROOT_MOUNTS=""
}

# wsroot_create X.Y ROOT: debootstrap + the build/test packages, unless ROOT/.connlost-ready exists.
wsroot_create() {
    local xy=$1 root=$2 suite mirror t0
    [ -e "$root/.connlost-ready" ] && return 0
    [ "$(id -u)" -eq 0 ] || die "--wireshark $xy needs root (debootstrap, chroot, mount)"
    suite=$(wsroot_suite "$xy")
    mirror=$(wsroot_mirror)
    t0=$(date +%s)
    command -v debootstrap >/dev/null 2>&1 ||
        { env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 || die "could not install debootstrap"; }
    if [ ! -e "$root/.connlost-bootstrapped" ]; then
        # never delete through a mount (a bound /dev is the host's own)
        ! grep -q " $root/" /proc/mounts || die "something is mounted under $root: unmount it first"
        rm -rf --one-file-system "$root"
        echo "connlost: debootstrap --variant=minbase $suite $root $mirror" >&2
        debootstrap --variant=minbase --arch=amd64 "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
            { tail -20 "$root.debootstrap.log" >&2; die "debootstrap $suite failed (log: $root.debootstrap.log)"; }
        touch "$root/.connlost-bootstrapped"
    fi
    # sid's (and sometimes testing's) Release file may be past its Valid-Until on a mirror snapshot
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99connlost-novaliduntil"
    echo "wireshark-common wireshark-common/install-setuid boolean false" >"$root/tmp/connlost-debconf"
    local rc=0
    wsroot_mount "$root"
    { chroot "$root" debconf-set-selections /tmp/connlost-debconf &&
      chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $WSROOT_PACKAGES &&
      chroot "$root" apt-get clean
    } >"$root.apt.log" 2>&1 || rc=$?
    wsroot_umount
    [ "$rc" -eq 0 ] || { tail -20 "$root.apt.log" >&2; die "installing the packages in $root failed (log: $root.apt.log)"; }
    touch "$root/.connlost-ready"
    echo "connlost: created $root ($suite, $(chroot "$root" tshark --version 2>/dev/null | head -1)) in $(($(date +%s) - t0)) s" >&2
}

# wsroot_run X.Y [tests/run args...]: create/reuse the chroot, copy HEAD into it, run tests/run inside.
wsroot_run() {
    local xy=$1; shift
    local root="${CONNLOST_WSROOT_BASE:-/var/tmp}/connlost-ws-$xy" got rc
    [ "$(id -u)" -eq 0 ] || die "--wireshark $xy needs root (debootstrap, chroot, mount)"
    wsroot_suite "$xy" >/dev/null
    # one run per chroot at a time (they share its src/ and its mounts)
    exec 9>"$root.lock" && flock -n 9 || die "another tests/run --wireshark $xy is using $root"
    wsroot_create "$xy" "$root"
    got=$(chroot "$root" tshark --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1)
    [ "$got" = "$xy" ] || die "$root has Wireshark '$got', not $xy (remove $root to recreate it)"
    # the committed tree only: the work tree may be half-way through a change. A tree that is no git work tree
    # (e.g. an export made with git archive) is copied as it is, without its build directories.
    rm -rf --one-file-system "$root/src/connlost" && mkdir -p "$root/src/connlost" || die "cannot prepare $root/src/connlost"
    local what
    if git -C "$CONNLOST_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$CONNLOST_ROOT" archive HEAD | tar -x -C "$root/src/connlost" || die "git archive HEAD failed"
        what="commit $(git -C "$CONNLOST_ROOT" rev-parse --short HEAD) (HEAD)"
    else
        tar -C "$CONNLOST_ROOT" --exclude=./build --exclude='./build-*' -c . | tar -x -C "$root/src/connlost" ||
            die "cannot copy $CONNLOST_ROOT"
        what="the tree $CONNLOST_ROOT (no git work tree)"
    fi
    echo "connlost: testing $what in $root: $(chroot "$root" tshark --version 2>/dev/null | head -1)," \
        "$(chroot "$root" gcc --version | head -1)"
    wsroot_mount "$root"
    trap 'wsroot_umount' EXIT
    trap 'wsroot_umount; exit 130' INT TERM
    set +e
    chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        ${CONNLOST_FUZZ_COUNT:+CONNLOST_FUZZ_COUNT=$CONNLOST_FUZZ_COUNT} \
        /src/connlost/tests/run "$@"
    rc=$?
    set -e
    wsroot_umount
    trap - EXIT INT TERM
    return "$rc"
}
