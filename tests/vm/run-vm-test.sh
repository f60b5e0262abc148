#!/bin/bash
# Boots cata-agent as PID 1 in a real VM and drives it over a virtio-serial port.
#
# QEMU (TCG, no KVM needed) boots the installed Debian kernel (linux-image-amd64) with an
# initramfs holding a static cata-agent, busybox-static and the virtio modules
# (tests/vm/make-initramfs.sh). A tiny busybox /init (tests/vm/guest-init.sh) loads the modules,
# waits for the `agent.channel.0` port, links it at /dev/virtio-ports/agent.channel.0 (what udev
# would do), undoes its mounts and execs the agent, which is then PID 1 and does its own boot
# mounts. The host side of the port is a unix socket that cata-ctl talks ttRPC over.
#
# Usage: tests/vm/run-vm-test.sh        (as root: Debian's /boot/vmlinuz-* is mode 0600)
# Environment: BUILD_ROOT (default _build), CATA_CTL (a cata-ctl to use), KERNEL_VERSION,
#              VM_BOOT_TIMEOUT (seconds to wait for SERVING, default 90), VM_KEEP=1 keeps the
#              work directory (initramfs, console.log).
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
vm_name=vm
. "$src/tests/vm/vm-lib.sh"
. "$src/tests/vm/vm-results.sh"
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
        vm_remove_work "$work"
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# ---- prerequisites -------------------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (qemu-system-x86)"
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"
vm_is_static /bin/busybox || die "/bin/busybox is not static (busybox-static)"

kver=$(vm_kernel_version) || die "no /boot/vmlinuz-* with /lib/modules/* (linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "cannot read $kernel (run as root)"

# ---- builds ---------------------------------------------------------------------------------
agent=$(vm_static_agent "$src" "$out") || die "static cata-agent build failed"

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
mods=$(bash "$src/tests/vm/make-initramfs.sh" "$work/initrd.gz" "$agent" "$kver") ||
        die "initramfs build failed"
echo "vm: kernel $kver, $mods"

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

# One RPC at a time, retried once on a transport hiccup while the port reopens.
call_once() {
        timeout 10 "$ctl" --addr "unix://$sock" "$@" 2>&1 ||
                { sleep 0.5; timeout 10 "$ctl" --addr "unix://$sock" "$@" 2>&1; }
}
# SetPolicy is UNIMPLEMENTED by design (no policy engine; docs/guest.md).
u=$(call_once call grpc.AgentService SetPolicy || true)
if printf '%s' "$u" | grep -q 'UNIMPLEMENTED'; then
        ok "an unimplemented RPC answers UNIMPLEMENTED"
else
        fail "SetPolicy: $u"
fi
if u=$(call_once sandbox create id=vm-pod hostname=vm-pod); then
        ok "CreateSandbox as PID 1"
else
        fail "CreateSandbox: $u"
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

# DestroySandbox ends the pod: as PID 1 the agent syncs and powers the VM off (Rust agent).
if u=$(call_once sandbox destroy); then
        # QEMU is our child: once it exits it stays a zombie until waited for.
        running() {
                st=$(ps -o stat= -p "$qemu_pid" 2>/dev/null) && [ "${st#Z}" = "$st" ]
        }
        i=0
        while running && [ $i -lt 300 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        if running; then
                fail "DestroySandbox: the VM is still running 30 s later"
        elif grep -q 'Kernel panic' "$console"; then
                fail "DestroySandbox: the kernel panicked"
        else
                ok "DestroySandbox: the agent powered the VM off (no panic)"
        fi
else
        fail "DestroySandbox: $u"
fi

echo "vm: boot to SERVING: $boot_ms ms (TCG)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
