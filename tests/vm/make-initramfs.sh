#!/bin/bash
# Builds the test guests' initramfs: make-initramfs.sh OUT.gz AGENT KERNEL_VERSION
#
# A static cata-agent (/sbin/cata-agent), busybox-static, the modules for a virtio-serial port
# and a 9p share (dependencies first, decompressed: busybox insmod takes plain ELF; built-in
# ones skipped), and tests/vm/guest-init.sh as /init. Used by tests/vm/run-vm-test.sh and the
# QEMU guest of tests/e2e/run-e2e.sh.
# Environment: EXTRA_MODULES (more module names, e.g. "virtio_blk ext4"), EXTRA_ROOT (a directory
# copied over the root: binaries, a container rootfs), as
# tests/vm/run-hotplug-test.sh uses them.
set -eu
out=$1
agent=$2
kver=$3
here=$(cd "$(dirname "$0")" && pwd)
moddir=/lib/modules/$kver
die() {
        echo "make-initramfs: $*" >&2
        exit 1
}
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep"

root=$(mktemp -d /tmp/cata-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
cp "$agent" "$root/sbin/cata-agent"
cp "$here/guest-init.sh" "$root/init"
chmod 755 "$root/init"
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

load_order=()
declare -A seen=()
add_module() { # NAME as in modules.dep, e.g. kernel/drivers/char/virtio_console.ko
        local rel=$1 line deps i
        [ -n "${seen[$rel]:-}" ] && return 0
        seen[$rel]=1
        line=$(grep -E "^${rel//./\\.}:" "$moddir/modules.dep" || true)
        [ -n "$line" ] || die "module $rel not in $moddir/modules.dep"
        read -r -a deps <<<"${line#*:}"
        # modules.dep lists a module's dependencies with the one to load last first.
        for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
                add_module "${deps[$i]}"
        done
        load_order+=("$rel")
}
for m in virtio_pci virtio_console 9pnet_virtio 9p ${EXTRA_MODULES:-}; do
        if grep -qE "/$m\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
                continue
        fi
        rel=$(grep -oE "^[^:]*/$m\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n1)
        [ -n "$rel" ] || die "module $m is neither built in nor in $moddir/modules.dep"
        add_module "${rel%:}"
done
: >"$root/lib/modules/load-order"
for rel in "${load_order[@]}"; do
        name=$(basename "$rel")
        case $name in
        *.ko.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/${name%.xz}" ;;
        *.ko.zst) zstd -qdc "$moddir/$rel" >"$root/lib/modules/${name%.zst}" ;;
        *.ko.gz) gzip -dc "$moddir/$rel" >"$root/lib/modules/${name%.gz}" ;;
        *) cp "$moddir/$rel" "$root/lib/modules/$name" ;;
        esac
        name=${name%.xz}
        name=${name%.zst}
        name=${name%.gz}
        echo "$name" >>"$root/lib/modules/load-order"
done
echo "modules: $(tr '\n' ' ' <"$root/lib/modules/load-order")"
if [ -n "${EXTRA_ROOT:-}" ]; then
        cp -a "$EXTRA_ROOT/." "$root/"
fi
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$out"
