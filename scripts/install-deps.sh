#!/bin/sh
# Installs everything cata needs to build, test and benchmark, from Debian packages only.
# Idempotent; needs root (or passwordless sudo).
set -eu

PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev clang-format
      protobuf-c-compiler libprotobuf-c-dev libcmocka-dev
      git ca-certificates procps busybox-static libseccomp-dev libjansson-dev libnl-3-dev iptables
      qemu-system-x86 linux-image-amd64 containerd"

missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
