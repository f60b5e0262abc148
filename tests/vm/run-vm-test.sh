#!/bin/bash
# Boots cata-agent as PID 1 in a real VM and drives it over a virtio-serial port.
#
# QEMU (TCG, no KVM needed) boots the installed Debian kernel (linux-image-amd64) with an
# initramfs holding a static cata-agent, busybox-static and the virtio modules. A tiny busybox
# /init loads the modules, waits for the `agent.channel.0` port, links it at
# /dev/virtio-ports/agent.channel.0 (what udev would do), undoes its mounts and execs the agent,
# which is then PID 1 and does its own boot mounts. The host side of the port is a unix socket
# that cata-ctl talks ttRPC over.
#
# Usage: tests/vm/run-vm-test.sh        (as root: Debian's /boot/vmlinuz-* is mode 0600)
# Environment: BUILD_ROOT (default _build), CATA_CTL (a cata-ctl to use), KERNEL_VERSION,
#              VM_BOOT_TIMEOUT (seconds to wait for SERVING, default 90), VM_KEEP=1 keeps the
#              work directory (initramfs, console.log).
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${BUILD_ROOT:-$src/_build}
timeout_s=${VM_BOOT_TIMEOUT:-90}
passed=0
failed=0
qemu_pid=""
work=""

cleanup() {
        if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
                kill "$qemu_pid" 2>/dev/null || true
                for _ in $(seq 50); do
                        kill -0 "$qemu_pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -9 "$qemu_pid" 2>/dev/null || true
                wait "$qemu_pid" 2>/dev/null || true
        fi
        if [ -n "$work" ] && [ -n "${VM_KEEP:-}" ]; then
                echo "vm: kept $work"
        elif [ -n "$work" ]; then
                rm -rf "$work"
        fi
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
        echo "vm: ok: $1"
        passed=$((passed + 1))
}
fail() {
        echo "vm: FAILED: $1"
        failed=$((failed + 1))
}
die() {
        echo "vm: $*" >&2
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
}

# ---- prerequisites -------------------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (qemu-system-x86)"
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"
is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; }
is_static /bin/busybox || die "/bin/busybox is not static (busybox-static)"

# The newest kernel that has both an image and its modules.
kver=${KERNEL_VERSION:-}
if [ -z "$kver" ]; then
        for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
                sort -V); do
                [ -f "/boot/vmlinuz-$k" ] && kver=$k
        done
fi
[ -n "$kver" ] || die "no /boot/vmlinuz-* with /lib/modules/* (linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$kernel" ] || die "cannot read $kernel (run as root)"

# ---- builds ---------------------------------------------------------------------------------
# Only the cata-agent target: the static cata-ctl does not link against a shared-only libjansson.
static_dir=$out/vm-static
mkdir -p "$out"
if [ ! -f "$static_dir/build.ninja" ]; then
        meson setup "$static_dir" "$src" -Dstatic=true -Dtests=false \
                >"$static_dir.setup.log" 2>&1 || {
                cat "$static_dir.setup.log"
                die "meson setup of the static build failed"
        }
fi
ninja -C "$static_dir" cata-agent >"$static_dir.build.log" 2>&1 || {
        cat "$static_dir.build.log"
        die "static cata-agent build failed"
}
agent=$static_dir/cata-agent
is_static "$agent" || die "$agent is not statically linked"

ctl=${CATA_CTL:-}
if [ -z "$ctl" ]; then
        if [ ! -x "$out/gcc/cata-ctl" ]; then
                "$src/scripts/build.sh" "$out/gcc" || die "build of cata-ctl failed"
        fi
        ctl=$out/gcc/cata-ctl
fi
[ -x "$ctl" ] || die "no cata-ctl at $ctl"

# ---- initramfs ------------------------------------------------------------------------------
work=$(mktemp -d /tmp/cata-vm.XXXXXX)
root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
cp "$agent" "$root/sbin/cata-agent"
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

# Modules needed for a virtio-serial port on PCI, in load order (dependencies first), from
# modules.dep (whose dependency lists name the module to load last first). Built-in ones are
# skipped; compressed ones are decompressed, since busybox insmod takes plain ELF.
load_order=()
declare -A seen=()
add_module() { # NAME (as in modules.dep, e.g. kernel/drivers/char/virtio_console.ko)
        local rel=$1 line deps i
        [ -n "${seen[$rel]:-}" ] && return 0
        seen[$rel]=1
        line=$(grep -E "^${rel//./\\.}:" "$moddir/modules.dep" || true)
        [ -n "$line" ] || die "module $rel not in $moddir/modules.dep"
        read -r -a deps <<<"${line#*:}"
        for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
                add_module "${deps[$i]}"
        done
        load_order+=("$rel")
}
for m in virtio_pci virtio_console; do
        if grep -qE "/$m\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
                continue
        fi
        rel=$(grep -oE "^[^:]*/$m\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n1)
        [ -n "$rel" ] || die "module $m is neither built in nor in $moddir/modules.dep"
        add_module "${rel%:}"
done
modlist=""
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
        modlist="$modlist $name"
done
echo "vm: kernel $kver, modules:${modlist:- (all built in)}"

cat >"$root/init" <<EOF
#!/bin/busybox sh
# Loads the modules, links the agent's port the way udev would, then becomes cata-agent.
bb=/bin/busybox
\$bb mount -t proc proc /proc
\$bb mount -t sysfs sysfs /sys
\$bb mount -t devtmpfs dev /dev
for m in $modlist; do
        \$bb insmod /lib/modules/\$m || echo "init: insmod \$m failed"
done
port=""
i=0
while [ -z "\$port" ] && [ \$i -lt 300 ]; do
        for p in /sys/class/virtio-ports/*; do
                [ "\$(\$bb cat \$p/name 2>/dev/null)" = agent.channel.0 ] && port=\${p##*/}
        done
        [ -n "\$port" ] && [ -e /dev/\$port ] && break
        port=""
        \$bb usleep 20000
        i=\$((i + 1))
done
if [ -n "\$port" ]; then
        \$bb mkdir -p /dev/virtio-ports
        \$bb ln -sf ../\$port /dev/virtio-ports/agent.channel.0
        echo "init: agent.channel.0 is /dev/\$port"
else
        echo "init: no agent.channel.0 port"
fi
# devtmpfs is one instance: the link stays for the agent's own mount of it.
\$bb umount /dev
\$bb umount /sys
\$bb umount /proc
exec /sbin/cata-agent
EOF
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$work/initrd.gz"

# ---- boot -----------------------------------------------------------------------------------
sock=$work/agent.sock
console=$work/console.log
append="console=ttyS0 quiet panic=-1 agent.log=debug"
append="$append agent.server_addr=serial:///dev/virtio-ports/agent.channel.0"
t0=$(date +%s%N)
qemu-system-x86_64 -machine q35 -cpu max -m 512 -smp 1 -nographic -no-reboot \
        -monitor none -nodefaults -vga none \
        -kernel "$kernel" -initrd "$work/initrd.gz" -append "$append" \
        -device virtio-serial-pci \
        -chardev "socket,id=ch0,path=$sock,server=on,wait=off" \
        -device virtserialport,chardev=ch0,name=agent.channel.0 \
        -serial "file:$console" </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!

# Wait for SERVING: the socket appears at once, the agent answers once the guest has booted.
serving=""
deadline=$(($(date +%s) + timeout_s))
while [ "$(date +%s)" -lt "$deadline" ]; do
        if ! kill -0 "$qemu_pid" 2>/dev/null; then
                break
        fi
        if [ -S "$sock" ] &&
                out_check=$(timeout 5 "$ctl" --addr "unix://$sock" check 2>/dev/null) &&
                [ "$out_check" = SERVING ]; then
                serving=1
                break
        fi
        sleep 0.2
done
t1=$(date +%s%N)
boot_ms=$(((t1 - t0) / 1000000))

if [ -n "$serving" ]; then
        ok "Check is SERVING over virtio-serial (boot to SERVING: $boot_ms ms)"
else
        fail "no SERVING within ${timeout_s}s (QEMU alive: $(kill -0 "$qemu_pid" 2>/dev/null &&
                echo yes || echo no))"
        echo "---- qemu output"
        cat "$work/qemu.log" || true
        echo "---- console (last 60 lines)"
        tail -n 60 "$console" || true
        echo "$passed passed, $failed failed"
        exit 1
fi

# Every later call is a fresh host connection on the same port: the agent must reopen it.
ctl_retry() { # ARGS... : runs cata-ctl, retrying a few times while the port is reopened
        local i r
        for i in 1 2 3 4 5 6 7 8 9 10; do
                if r=$(timeout 10 "$ctl" --addr "unix://$sock" "$@" 2>&1); then
                        printf '%s\n' "$r"
                        return 0
                fi
                sleep 0.3
        done
        printf '%s\n' "$r"
        return 1
}

if v=$(ctl_retry --json version) && printf '%s' "$v" | grep -q '"agent_version"'; then
        ok "Version answers: $(printf '%s' "$v" | tr -d '\n ' | cut -c1-100)"
else
        fail "Version: $v"
fi

if d=$(ctl_retry --json guest-details); then
        if printf '%s' "$d" | grep -qE '"init_daemon": *true'; then
                ok "GetGuestDetails: init_daemon is true (the agent is PID 1)"
        else
                fail "GetGuestDetails: init_daemon is not true: $d"
        fi
else
        fail "GetGuestDetails: $d"
fi

if u=$(timeout 10 "$ctl" --addr "unix://$sock" call grpc.AgentService CreateSandbox 2>&1); then
        fail "CreateSandbox succeeded unexpectedly: $u"
elif printf '%s' "$u" | grep -q 'UNIMPLEMENTED'; then
        ok "an unimplemented RPC answers UNIMPLEMENTED"
else
        # A transport hiccup while the port reopens: one more try.
        sleep 0.5
        u=$(timeout 10 "$ctl" --addr "unix://$sock" call grpc.AgentService CreateSandbox 2>&1 ||
                true)
        if printf '%s' "$u" | grep -q 'UNIMPLEMENTED'; then
                ok "an unimplemented RPC answers UNIMPLEMENTED"
        else
                fail "CreateSandbox: $u"
        fi
fi

# Several connections in a row: each disconnect closes the agent's stream, it reopens the port.
n_ok=0
for _ in 1 2 3 4 5; do
        c=$(ctl_retry check || true)
        [ "$c" = SERVING ] && n_ok=$((n_ok + 1))
done
if [ "$n_ok" = 5 ]; then
        ok "5 reconnections in a row all SERVING"
else
        fail "only $n_ok of 5 reconnections answered SERVING"
fi

# The console carries the agent's JSON log lines.
sleep 0.5
# The backticks are literal: the agent quotes addresses with them.
listening="\"msg\":\"cata-agent listening on \`serial:///dev/virtio-ports/agent.channel.0\`\""
if grep -qF "$listening" "$console"; then
        ok "console has the JSON line: cata-agent listening on serial:///dev/virtio-ports/..."
else
        fail "console lacks the agent's listening line"
        tail -n 40 "$console" || true
fi
if grep -E '^\{"' "$console" | grep -q '"level":"DEBG"'; then
        ok "agent.log=debug from the kernel command line took effect"
else
        fail "no debug-level JSON lines on the console"
fi
if grep -E '"level":"(CRIT|ERRO)"' "$console" | grep -q .; then
        fail "the console has error/critical agent lines:"
        grep -E '"level":"(CRIT|ERRO)"' "$console" | head -n 10
else
        ok "no error or critical agent log lines"
fi

# PID 1 must never die: the VM is still running and the kernel did not panic.
if kill -0 "$qemu_pid" 2>/dev/null && ! grep -q 'Kernel panic' "$console"; then
        ok "the VM is still up (no kernel panic: PID 1 alive)"
else
        fail "the VM stopped or the kernel panicked"
        tail -n 40 "$console" || true
fi

echo "vm: boot to SERVING: $boot_ms ms (TCG)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
