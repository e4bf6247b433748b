# Shared by ./connlost and tests/run: install what is missing, build, stage.
# SPDX-License-Identifier: GPL-2.0-or-later

CONNLOST_PACKAGES="tshark wireshark-dev libwireshark-dev cmake gcc libc6-dev make pkg-config libglib2.0-dev python3"

die() { echo "connlost: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $* (install sudo, or run this as root once)"
    fi
}

ensure_deps() {
    local missing=""
    for p in $CONNLOST_PACKAGES; do
        # Debian 13 and later: pkgconf is the pkg-config (the package pkg-config is gone)
        [ "$p" = pkg-config ] && command -v pkg-config >/dev/null 2>&1 && continue
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "connlost: installing$missing" >&2
    # tshark asks whether non-root users may capture; answer for it.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2 || die "could not install$missing"
}

# Root and each user get their own build directory (a root-owned one is not writable for users).
build_dir() {
    if [ "$(id -u)" -eq 0 ]; then echo "$CONNLOST_ROOT/build"; else echo "$CONNLOST_ROOT/build-$(id -un)"; fi
}

# build_plugin DIR [cmake args...]
build_plugin() {
    local dir=$1; shift
    cmake -S "$CONNLOST_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null || die "cmake configure failed"
    cmake --build "$dir" -j "$(nproc)" >/dev/null || { cmake --build "$dir" 2>&1 | tail -30 >&2; die "build failed"; }
}

# build_plugin_checked DIR [cmake args...]: for the tests. A clean build with -Werror whose whole output shows
# (every warning of a compiler or of cmake is visible in the log); fails on any error. Warning-free means 0
# lines with "warning:" and no "CMake Warning". -Werror comes from the CONNLOST_WERROR option when
# CMakeLists.txt has it, else from CMAKE_C_FLAGS.
build_plugin_checked() {
    local dir=$1; shift
    local werror=-DCMAKE_C_FLAGS=-Werror log
    grep -qE "^[[:space:]]*option\([[:space:]]*CONNLOST_WERROR" "$CONNLOST_ROOT/CMakeLists.txt" && werror=-DCONNLOST_WERROR=ON
    log=$(mktemp /tmp/connlost-build.XXXXXX)
    echo "== build: cmake $werror${*:+ $*} (gcc $(gcc -dumpfullversion 2>/dev/null), Wireshark $(ws_version_xy))"
    # the status goes through a file: the output goes through tee, and set -e / pipefail would end the caller first
    { rc=0
      cmake -S "$CONNLOST_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$werror" "$@" &&
        cmake --build "$dir" --clean-first -j "$(nproc)" || rc=$?
      echo "$rc" >"$log.rc"; } 2>&1 | tee "$log"
    local rc
    rc=$(cat "$log.rc" 2>/dev/null || echo 1)
    BUILD_WARNINGS=$(grep -cE 'warning:|CMake Warning' "$log" || true)
    rm -f "$log" "$log.rc"
    [ "$rc" -eq 0 ] || die "build failed (-Werror: a warning is an error; see the output above)"
    [ "$BUILD_WARNINGS" -eq 0 ] || die "build printed $BUILD_WARNINGS warning line(s), see above"
    BUILD_FLAGS="-Wall -Wextra -Werror via ${werror#-D}"
    return 0
}

# Wireshark's plugin directory name (X.Y) for the installed tshark.
ws_version_xy() { tshark --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | head -1; }

# stage_plugin SO: a throw-away plugin directory holding only SO, used instead of Wireshark's
# own (WIRESHARK_PLUGIN_DIR), so a connlost.so installed system-wide cannot shadow the one under
# test, and a throw-away HOME. tshark honours neither as root, so as root it runs as nobody.
stage_plugin() {
    STAGE_HOME=$(mktemp -d /tmp/connlost-stage.XXXXXX)
    local dir="$STAGE_HOME/plugins/$(ws_version_xy)/epan"
    mkdir -p "$dir" "$STAGE_HOME/captures"
    cp "$1" "$dir/"
    cp "$CONNLOST_ROOT"/captures/*.pcap "$CONNLOST_ROOT"/captures/*.truth "$STAGE_HOME/captures/" 2>/dev/null || true
    chmod -R a+rX "$STAGE_HOME"
    if [ "$(id -u)" -eq 0 ]; then chown -R 65534:65534 "$STAGE_HOME"; fi
}

# write_tshark_wrapper PATH [ENV...]: a tshark that loads the staged plugin, with ENV (NAME=value words,
# e.g. LD_PRELOAD for a sanitizer build) in its environment.
write_tshark_wrapper() {
    local out=$1; shift
    local env="HOME=$STAGE_HOME WIRESHARK_PLUGIN_DIR=$STAGE_HOME/plugins $*"
    if [ "$(id -u)" -eq 0 ]; then
        printf '#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups env %s tshark "$@"
' "$env" >"$out"
    else
        printf '#!/bin/sh
exec env %s tshark "$@"
' "$env" >"$out"
    fi
    chmod 755 "$out"
}
