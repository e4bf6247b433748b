#!/usr/bin/env bash
# scripts/package.sh [--wireshark X.Y] [--root DIR] [--worktree] [--out DIR]: build the Debian package
# connlost-wiresharkX.Y_<version>_<arch>.deb (CPack DEB, see the end of CMakeLists.txt) and copy it to DIR
# (default build-deb/ in the source tree).
#   (no --wireshark)   for this machine's Wireshark (its wireshark-dev), built here
#   --wireshark X.Y    for another release: built inside the chroot of tests/run --wireshark X.Y
#                      (/var/tmp/connlost-ws-X.Y, made by scripts/wsroot.sh if missing; needs root)
#   --root DIR         use the Debian chroot DIR instead (it must have that Wireshark and its -dev packages)
#   --worktree         package the tracked files as they are in the work tree, not the commit HEAD
# What is packaged is the commit HEAD (git archive), like tests/run --wireshark; a tree that is no git work tree
# (e.g. an export) is packaged as it is.
# Install it with `apt install ./connlost-wiresharkX.Y_*.deb` (or dpkg -i) on a system with that Wireshark.
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail
CONNLOST_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$CONNLOST_ROOT/scripts/common.sh"
. "$CONNLOST_ROOT/scripts/wsroot.sh"

xy="" root="" worktree=0 out="$CONNLOST_ROOT/build-deb"
while [ $# -gt 0 ]; do
    case $1 in
        --wireshark) xy=${2:?--wireshark X.Y}; shift 2 ;;
        --root) root=${2:?--root DIR}; shift 2 ;;
        --worktree) worktree=1; shift ;;
        --out) out=${2:?--out DIR}; shift 2 ;;
        -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
mkdir -p "$out" && out=$(cd "$out" && pwd) || die "cannot create $out"

# export_tree DIR: the files to package (HEAD, the work tree's tracked files, or this tree as it is) into DIR.
export_tree() {
    local dst=$1
    if ! git -C "$CONNLOST_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        tar -C "$CONNLOST_ROOT" --exclude=./build --exclude='./build-*' -c . | tar -x -C "$dst" || die "cannot copy $CONNLOST_ROOT"
        WHAT="the tree $CONNLOST_ROOT"
    elif [ "$worktree" -eq 1 ]; then
        (cd "$CONNLOST_ROOT" && git ls-files -z | tar --null -T - -c) | tar -x -C "$dst" || die "cannot copy the work tree"
        WHAT="the work tree"
    else
        git -C "$CONNLOST_ROOT" archive HEAD | tar -x -C "$dst" || die "git archive HEAD failed"
        WHAT="commit $(git -C "$CONNLOST_ROOT" rev-parse --short HEAD)"
    fi
}

# package_here OUT: build and package against the Wireshark of this system.
package_here() {
    local dst=$1 dir deb
    ensure_deps
    dir=$(mktemp -d /tmp/connlost-deb.XXXXXX)
    # shellcheck disable=SC2064
    trap "rm -rf '$dir'" EXIT
    mkdir "$dir/src"
    export_tree "$dir/src"
    echo "connlost: packaging $WHAT"
    cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNLOST_USER_INSTALL=OFF >"$dir/log" 2>&1 ||
        { cat "$dir/log" >&2; die "cmake configure failed"; }
    grep -q 'cpack -G DEB makes' "$dir/log" || die "this CMakeLists.txt has no DEB packaging"
    cmake --build "$dir/build" -j "$(nproc)" --target connlost >>"$dir/log" 2>&1 || { tail -30 "$dir/log" >&2; die "build failed"; }
    (cd "$dir/build" && cpack -G DEB) >>"$dir/log" 2>&1 || { tail -30 "$dir/log" >&2; die "cpack failed"; }
    rm -f "$dir/log"
    deb=$(ls "$dir"/build/connlost-wireshark*.deb)
    cp "$deb" "$dst/"
    echo "connlost: $dst/$(basename "$deb") for $(tshark --version 2>/dev/null | head -1)"
    dpkg-deb -f "$deb" Depends | sed 's/^/connlost:   Depends: /'
}

here=$(ws_version_xy 2>/dev/null || true)
if [ -z "$xy" ] && [ -z "$root" ]; then
    package_here "$out"
    exit 0
fi
if [ -z "$root" ] && [ "$xy" = "$here" ]; then
    package_here "$out"
    exit 0
fi

# in a chroot
[ "$(id -u)" -eq 0 ] || die "packaging in a chroot needs root (chroot, mount)"
if [ -z "$root" ]; then
    wsroot_suite "$xy" >/dev/null
    root="${CONNLOST_WSROOT_BASE:-/var/tmp}/connlost-ws-$xy"
    exec 9>"$root.lock" && flock -n 9 || die "$root is in use (tests/run --wireshark $xy?)"
    wsroot_create "$xy" "$root"
else
    [ -x "$root/usr/bin/tshark" ] || die "$root: no tshark in this chroot"
    exec 9>"$root.lock" && flock -n 9 || die "$root is in use"
fi
got=$(chroot "$root" tshark --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1)
[ -z "$xy" ] || [ "$got" = "$xy" ] || die "$root has Wireshark '$got', not $xy"
src="$root/src/connlost-package"
rm -rf --one-file-system "$src" && mkdir -p "$src" || die "cannot prepare $src"
export_tree "$src"
echo "connlost: packaging $WHAT in $root ($(chroot "$root" tshark --version 2>/dev/null | head -1))"
wsroot_mount "$root"
trap 'wsroot_umount' EXIT
rc=0
chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    /src/connlost-package/scripts/package.sh --out /src/connlost-package/build-deb || rc=$?
wsroot_umount
trap - EXIT
[ "$rc" -eq 0 ] || die "packaging in $root failed"
cp "$src"/build-deb/connlost-wireshark*.deb "$out/" || die "no package made in $root"
for deb in "$src"/build-deb/connlost-wireshark*.deb; do echo "connlost: copied to $out/$(basename "$deb")"; done
