#!/bin/bash
# Boots the guest image that tools/guest-image/cata-guest-image builds (the one operators use)
# and runs containers in it: a cgroup v1 guest and a cgroup v2 guest
# (systemd.unified_cgroup_hierarchy=1), SetGuestDateTime seen from inside a container, and
# PID 1's crash path: through the debug console (agent.debug_console on the serial console,
# reached here through QEMU's console socket) `kill -SEGV 1`, which with agent.devmode stands in
# for a crash: the agent re-executes in place and serves again, the VM stays up. Containers
# cannot do this: each gets its own pid namespace.
#
# The Debian kernel needs its virtio modules, so the image gets the builder's busybox pre-init
# (--kernel-version); with Kata's guest kernel /init is the agent itself. The containers'
# busybox rootfs is a second cpio archive appended to the image (the kernel unpacks both), so
# the image itself is byte for byte what cata-guest-image wrote.
#
# Usage: tests/vm/run-guest-image-test.sh   (as root)  Environment: as tests/vm/run-vm-test.sh.
# Ends with "N passed, N failed".
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
vm_name=guest-image
. "$src/tests/vm/vm-lib.sh"
. "$src/tests/vm/vm-results.sh"
out=${BUILD_ROOT:-$src/_build}
timeout_s=${VM_BOOT_TIMEOUT:-90}
passed=0
failed=0
qemu_pid=""
work=""

stop_vm() {
        if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
                kill "$qemu_pid" 2>/dev/null || true
                for _ in $(seq 50); do
                        kill -0 "$qemu_pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -9 "$qemu_pid" 2>/dev/null || true
                wait "$qemu_pid" 2>/dev/null || true
        fi
        qemu_pid=""
}
cleanup() {
        stop_vm
        vm_remove_work "$work"
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM


command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (qemu-system-x86)"
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"
kver=${KERNEL_VERSION:-}
if [ -z "$kver" ]; then
        for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
                sort -V); do
                [ -f "/boot/vmlinuz-$k" ] && kver=$k
        done
fi
[ -n "$kver" ] || die "no /boot/vmlinuz-* with /lib/modules/* (linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "cannot read $kernel (run as root)"

static_dir=$out/vm-static
mkdir -p "$out"
if [ ! -f "$static_dir/build.ninja" ]; then
        meson setup "$static_dir" "$src" -Dstatic=true -Dtests=false \
                >"$static_dir.setup.log" 2>&1 || die "meson setup of the static build failed"
fi
ninja -C "$static_dir" cata-agent >"$static_dir.build.log" 2>&1 ||
        die "static cata-agent build failed"
ctl=${CATA_CTL:-$out/gcc/cata-ctl}
if [ ! -x "$ctl" ]; then
        "$src/scripts/build.sh" "$out/gcc" || die "build of cata-ctl failed"
fi

# ---- the image, and the test rootfs appended to it ------------------------------------------
work=$(mktemp -d /tmp/cata-guest-image-test.XXXXXX)
"$src/tools/guest-image/cata-guest-image" --agent "$static_dir/cata-agent" \
        --busybox /bin/busybox --kernel-version "$kver" --modules virtio_pci,virtio_console \
        --serial-port agent.channel.0 --output "$work/cata.initrd" || die "image build failed"
rootfs=$work/overlay/containers/bb/rootfs
mkdir -p "$rootfs"/{bin,proc,dev,sys,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh cat date kill sleep echo; do ln -s busybox "$rootfs/bin/$a"; done
(cd "$work/overlay" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/rootfs.cpio.gz"
cat "$work/cata.initrd" "$work/rootfs.cpio.gz" >"$work/boot.initrd"

# A bundle on the host whose root is the guest path (cata-ctl sends the spec as it is).
bundle() { # NAME ARGS_JSON NAMESPACES_JSON
        mkdir -p "$work/$1"
        cat >"$work/$1/config.json" <<JSON
{"ociVersion":"1.0.2",
 "process":{"user":{"uid":0,"gid":0},"args":$2,"env":["PATH=/bin"],"cwd":"/",
  "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}},
 "root":{"path":"/containers/bb/rootfs"},
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"}],
 "linux":{"namespaces":$3,"cgroupsPath":"/cata-vm/$1"}}
JSON
        echo "$work/$1"
}

sock=$work/agent.sock
console=$work/console.log
# Types a line on the guest's serial console (the debug console's shell reads it).
console_type() {
        python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.5); s.close()' "$work/console.sock" "$1"
}
boot() { # EXTRA_KERNEL_PARAMS
        rm -f "$sock" "$work/console.sock"
        : >"$console"
        local append="console=ttyS0 quiet panic=-1 agent.log=debug agent.devmode"
        append="$append agent.server_addr=serial:///dev/virtio-ports/agent.channel.0 $1"
        qemu-system-x86_64 -machine q35 -cpu max -m 512 -smp 1 -nographic -no-reboot \
                -monitor none -nodefaults -vga none \
                -kernel "$kernel" -initrd "$work/boot.initrd" -append "$append" \
                -device virtio-serial-pci \
                -chardev "socket,id=ch0,path=$sock,server=on,wait=off" \
                -device virtserialport,chardev=ch0,name=agent.channel.0 \
                -chardev "socket,id=con,path=$work/console.sock,server=on,wait=off,logfile=$console" \
                -serial chardev:con </dev/null >"$work/qemu.log" 2>&1 &
        qemu_pid=$!
        local deadline=$(($(date +%s) + timeout_s))
        while [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$qemu_pid" 2>/dev/null; do
                if [ -S "$sock" ] && [ "$(timeout 5 "$ctl" --addr "unix://$sock" check \
                        2>/dev/null)" = SERVING ]; then
                        return 0
                fi
                sleep 0.2
        done
        tail -n 40 "$console" >&2 || true
        return 1
}
ctl_retry() {
        local i r=""
        for i in $(seq 8); do
                if r=$(timeout 15 "$ctl" --addr "unix://$sock" "$@" 2>&1); then
                        printf '%s\n' "$r"
                        return 0
                fi
                sleep 0.4
        done
        printf '%s\n' "$r"
        return 1
}
own_ns='[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"}]'
guest_pidns='[{"type":"mount"},{"type":"ipc"},{"type":"uts"}]'

# ---- a cgroup v1 guest ----------------------------------------------------------------------
echo "guest-image: kernel $kver, image $(stat -c %s "$work/cata.initrd") bytes"
if boot "agent.debug_console"; then
        ok "the image boots to SERVING (cgroup v1 guest)"
else
        die "no SERVING from the image"
fi
d=$(ctl_retry --json guest-details || true)
if printf '%s' "$d" | grep -qE '"init_daemon": *true'; then
        ok "the agent is PID 1 (init_daemon)"
else
        fail "GetGuestDetails: $d"
fi
o=$(ctl_retry run "$(bundle v1 '["cat","/proc/self/cgroup"]' "$own_ns")" v1 || true)
if printf '%s' "$o" | grep -q ':memory:/cata-vm/v1'; then
        ok "a container runs in the VM, in v1 cgroups (memory:/cata-vm/v1)"
else
        fail "v1 container: $o"
fi
if ctl_retry set-time 2000000000 >/dev/null; then
        o=$(ctl_retry run "$(bundle date '["date","+%s"]' "$own_ns")" date || true)
        if [ "${o:-0}" -ge 2000000000 ] 2>/dev/null && [ "$o" -lt 2000000600 ]; then
                ok "SetGuestDateTime: a container reads the new clock ($o)"
        else
                fail "clock after SetGuestDateTime: $o"
        fi
else
        fail "SetGuestDateTime failed"
fi
# A crash-like fault in PID 1: contained, the agent serves again, the VM stays up.
console_type "kill -SEGV 1" || fail "cannot reach the serial console"
sleep 2
c=$(ctl_retry check || true)
if [ "$c" = SERVING ] && grep -q 'fatal signal in PID 1' "$console" &&
        kill -0 "$qemu_pid" 2>/dev/null && ! grep -q 'Kernel panic' "$console"; then
        ok "SIGSEGV to PID 1 is contained: re-executed, SERVING again, no panic"
else
        fail "after SIGSEGV to PID 1: check=$c"
        tail -n 20 "$console"
fi
d=$(ctl_retry --json guest-details || true)
if printf '%s' "$d" | grep -qE '"init_daemon": *true'; then
        ok "the re-executed agent is still PID 1"
else
        fail "GetGuestDetails after the crash: $d"
fi
stop_vm

# ---- a cgroup v2 guest ----------------------------------------------------------------------
if boot "systemd.unified_cgroup_hierarchy=1"; then
        ok "the image boots to SERVING (cgroup v2 guest)"
        o=$(ctl_retry run "$(bundle v2 '["cat","/proc/self/cgroup"]' "$own_ns")" v2 || true)
        if [ "$o" = "0::/cata-vm/v2" ]; then
                ok "a container runs in the VM, in the v2 hierarchy (0::/cata-vm/v2)"
        else
                fail "v2 container: $o"
        fi
else
        fail "no SERVING from the v2 boot"
fi
if grep -E '"level":"(CRIT|ERRO)"' "$console" | grep -q .; then
        fail "the v2 console has error lines:"
        grep -E '"level":"(CRIT|ERRO)"' "$console" | head -n 5
else
        ok "no error or critical agent log lines (v2 boot)"
fi
stop_vm

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
