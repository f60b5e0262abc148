#!/bin/sh
# Builds a minimal container rootfs from Debian's busybox-static: make-rootfs.sh DIR [HELPER...]
# Extra arguments are static helper binaries copied into DIR/bin.
set -eu
dir=$1
shift
bb=/bin/busybox
[ -x "$bb" ] || { echo "make-rootfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || true
mkdir -p "$dir"
# Non-root container users must be able to enter the image (mkdtemp makes 0700 directories).
chmod 755 "$dir"
mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/etc" "$dir/proc" "$dir/sys" \
        "$dir/dev" "$dir/tmp" "$dir/root" "$dir/run" "$dir/var/tmp"
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
        [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
for h in "$@"; do
        cp "$h" "$dir/bin/"
done
cat >"$dir/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$dir/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
: >"$dir/etc/hostname"
: >"$dir/etc/hosts"
: >"$dir/etc/resolv.conf"
