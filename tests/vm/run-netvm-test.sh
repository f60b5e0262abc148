#!/bin/bash
# Guest networking in a real VM: QEMU (TCG, q35 with empty PCIe root ports) runs inside a
# network namespace this test creates, with two tap devices there (10.200.0.1/24 and
# 10.201.0.1/24, plus 10.99.0.1/32 behind the first). QMP hot-plugs virtio-net NICs on those
# taps and cata-agent (PID 1) configures them:
#   - a NIC plugged first, then UpdateInterface (MAC, name, MTU, 10.200.0.2/24) and
#     UpdateRoutes (a default route via the tap's end); ListInterfaces/ListRoutes and the
#     guest's own `ip` (busybox, from a container) show it; a container pings the tap's end
#     and, through the gateway, 10.99.0.1; the test namespace pings the guest;
#   - a NIC requested (with its PCI path) before it is plugged: the parked UpdateInterface
#     completes when QMP adds it, and a container pings through it;
#   - a NIC that never comes: NOT_FOUND `Link not found` after agent.hotplug_timeout.
# No traffic leaves the test's namespace: the guest's only NICs are the taps in it.
#
# Usage: tests/vm/run-netvm-test.sh   (as root)   Environment: as tests/vm/run-vm-test.sh.
# Ends with "N passed, N failed".
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
vm_name=netvm
. "$src/tests/vm/vm-lib.sh"
. "$src/tests/vm/vm-results.sh"
out=${BUILD_ROOT:-$src/_build}
timeout_s=${VM_BOOT_TIMEOUT:-120}
passed=0
failed=0
qemu_pid=""
work=""
ns=""
RUN=/run/kata-containers

cleanup() {
        exec 3<&- 4>&- 2>/dev/null || true
        [ -z "$qemu_pid" ] || vm_stop_qemu "$qemu_pid"
        # Deleting the namespace deletes its taps.
        [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
        vm_remove_work "$work"
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- prerequisites and builds ---------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (qemu-system-x86)"
command -v ip >/dev/null || die "ip missing (iproute2)"
vm_is_static /bin/busybox || die "/bin/busybox is not static (busybox-static)"
kver=$(vm_kernel_version) || die "no /boot/vmlinuz-* with /lib/modules/* (linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "cannot read $kernel (run as root)"
agent=$(vm_static_agent "$src" "$out") || die "static cata-agent build failed"
ctl=${CATA_CTL:-}
if [ -z "$ctl" ]; then
        [ -x "$out/gcc/cata-ctl" ] || "$src/scripts/build.sh" "$out/gcc" || die "cata-ctl build"
        ctl=$out/gcc/cata-ctl
fi

# ---- the test's network namespace -----------------------------------------------------------
ns=cata-netvm-$$
ip netns add "$ns" || die "ip netns add $ns failed"
nsip() { ip -n "$ns" "$@"; }
nsip link set lo up
for t in "tap0 10.200.0.1/24" "tap1 10.201.0.1/24"; do
        set -- $t
        nsip tuntap add dev "$1" mode tap || die "ip tuntap add $1 in $ns failed"
        nsip addr add "$2" dev "$1"
        nsip link set "$1" up
done
# Reachable from the guest only through its gateway route.
nsip addr add 10.99.0.1/32 dev lo

# ---- the guest ------------------------------------------------------------------------------
work=$(mktemp -d /tmp/cata-netvm.XXXXXX)
extra=$work/extra
mkdir -p "$extra/containers/bb/rootfs"/{bin,proc,dev,sys,tmp,etc}
cp /bin/busybox "$extra/containers/bb/rootfs/bin/busybox"
for a in sh cat ip ping grep; do
        ln -s busybox "$extra/containers/bb/rootfs/bin/$a"
done
mods=$(EXTRA_MODULES="virtio_net" EXTRA_ROOT="$extra" \
        bash "$src/tests/vm/make-initramfs.sh" "$work/initrd.gz" "$agent" "$kver") ||
        die "initramfs build failed"
echo "netvm: kernel $kver, $mods"

sock=$work/agent.sock
console=$work/console.log
append="console=ttyS0 quiet panic=-1 agent.log=debug agent.hotplug_timeout=5s"
append="$append agent.server_addr=serial:///dev/virtio-ports/agent.channel.0"
# QMP on QEMU's stdio (a coprocess): a TCP or unix QMP socket would live in the test's
# namespace, out of bash's reach. The agent's unix socket is a path, usable from here.
coproc QEMU {
        exec ip netns exec "$ns" qemu-system-x86_64 -machine q35 -cpu max -m 256M -smp 1 \
                -display none -no-reboot -monitor none -nodefaults -vga none \
                -kernel "$kernel" -initrd "$work/initrd.gz" -append "$append" \
                -device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x5 \
                -device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x6 \
                -device pcie-root-port,id=rp7,bus=pcie.0,chassis=7,addr=0x7 \
                -device virtio-serial-pci,bus=pcie.0,addr=0xa \
                -chardev "socket,id=ch0,path=$sock,server=on,wait=off" \
                -device virtserialport,chardev=ch0,name=agent.channel.0 \
                -qmp stdio -serial "file:$console" 2>"$work/qemu.log"
}
qemu_pid=$QEMU_PID
exec 3<&"${QEMU[0]}" 4>&"${QEMU[1]}"

c() { vm_ctl "$ctl" "$sock" "$@"; }
t0=$(ms)
if ! vm_wait_serving "$ctl" "$sock" "$qemu_pid" "$timeout_s"; then
        cat "$work/qemu.log"
        tail -n 60 "$console"
        die "no SERVING within ${timeout_s}s"
fi
ok "the agent serves in the VM (QEMU in namespace $ns, $(($(ms) - t0)) ms)"

# ---- QMP ------------------------------------------------------------------------------------
qmp() { QMP_IN=3 QMP_OUT=4 vm_qmp "$1"; }
IFS= read -r -t 10 _greeting <&3 || die "no QMP greeting"
qmp '{"execute":"qmp_capabilities"}' >/dev/null
plug_nic() { # ID TAP MAC PORT: a tap netdev (opened by QEMU in the namespace) and its NIC
        local r
        r=$(qmp "{\"execute\":\"netdev_add\",\"arguments\":{\"type\":\"tap\",\"id\":\"n_$1\",\
\"ifname\":\"$2\",\"script\":\"no\",\"downscript\":\"no\"}}")
        case $r in *error*) echo "netdev_add $2: $r" && return 1 ;; esac
        r=$(qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-net-pci\",\
\"id\":\"$1\",\"netdev\":\"n_$1\",\"mac\":\"$3\",\"bus\":\"$4\"}}")
        case $r in *error*) echo "device_add $1: $r" && return 1 ;; esac
        return 0
}
iface() { # NAME MAC ADDRESS PREFIX [PCI_PATH]: a Kata-shaped UpdateInterface request
        echo "{\"interface\":{\"device\":\"$1\",\"name\":\"$1\",\"hwAddr\":\"$2\",\"mtu\":1400,\
\"IPAddresses\":[{\"family\":0,\"address\":\"$3\",\"mask\":\"$4\"}],\"devicePath\":\"${5:-}\"}}"
}

# A one-shot busybox container in the VM's network namespace (Kata's containers share it),
# with CAP_NET_RAW for ping.
nrun=0
crun() { # SCRIPT
        local b
        nrun=$((nrun + 1))
        b=$work/bundles/r$nrun
        mkdir -p "$b"
        cat >"$b/config.json" <<EOF
{"ociVersion":"1.0.2","root":{"path":"/containers/bb/rootfs"},
 "process":{"args":["sh","-c","$1"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0},
            "capabilities":{"bounding":["CAP_NET_RAW"],"effective":["CAP_NET_RAW"],
                            "permitted":["CAP_NET_RAW"]}},
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
           {"destination":"/sys","type":"sysfs","source":"sysfs","options":["ro"]},
           {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["mode=755"]}],
 "linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"}],
          "cgroupsPath":"/cata-netvm/r$nrun"}}
EOF
        c run "$b" "r$nrun" 2>&1
}
has() { printf '%s' "$1" | grep -q -- "$2"; }

# 1. Plugged first, then configured.
mac0=52:54:00:c4:7a:01
t0=$(ms)
r=$(plug_nic nic0 tap0 "$mac0" rp5) && ok "QEMU opened tap0 in $ns; virtio-net $mac0 hot-plugged on rp5" ||
        fail "hot-plug on tap0: $r"
o=$(c --json iface update "$(iface eth0 "$mac0" 10.200.0.2 24 05/00)" 2>&1) || true
t1=$(ms)
if has "$o" '"name": *"eth0"' && has "$o" 10.200.0.2 && has "$o" '"mtu": *1400'; then
        ok "UpdateInterface: eth0 = $mac0, 10.200.0.2/24, MTU 1400 ($((t1 - t0)) ms from netdev_add)"
else
        fail "UpdateInterface eth0: $o"
fi
o=$(c --json route update \
        '{"routes":{"Routes":[{"dest":"","gateway":"10.200.0.1","device":"eth0"},{"dest":"10.200.0.0/24","device":"eth0","source":"10.200.0.2","scope":253}]}}' 2>&1) || true
if has "$o" 10.200.0.1; then
        ok "UpdateRoutes: default via 10.200.0.1 dev eth0"
else
        fail "UpdateRoutes: $o"
fi
o=$(c --json iface list 2>&1) || true
if has "$o" "$mac0" && has "$o" 10.200.0.2; then
        ok "ListInterfaces shows eth0 with its MAC and address"
else
        fail "ListInterfaces: $o"
fi
o=$(c --json route list 2>&1) || true
if has "$o" '"dest": *"0.0.0.0/0"' && has "$o" '"gateway": *"10.200.0.1"'; then
        ok "ListRoutes shows the default route"
else
        fail "ListRoutes: $o"
fi
# The guest kernel's own view (busybox ip, independent of the agent).
o=$(crun 'ip -o addr show eth0; ip -o link show eth0; ip route') || true
if has "$o" 'inet 10.200.0.2/24' && has "$o" "mtu 1400" && has "$o" "link/ether $mac0" &&
        has "$o" 'default via 10.200.0.1 dev eth0' && has "$o" '<.*,UP,LOWER_UP>'; then
        ok "the guest's ip shows eth0 up with 10.200.0.2/24, MTU 1400 and the default route"
else
        fail "guest ip: $o"
fi
o=$(crun 'ping -c 1 -W 5 10.200.0.1 && ping -c 1 -W 5 10.99.0.1') || true
if has "$o" '1 packets received' && [ "$(printf '%s\n' "$o" | grep -c '1 packets received')" = 2 ]; then
        ok "a container pings the tap's end (10.200.0.1) and 10.99.0.1 through the gateway"
else
        fail "guest ping: $o"
fi
o=$(ip netns exec "$ns" busybox ping -c 1 -W 5 10.200.0.2 2>&1) || true
if has "$o" '1 packets received'; then
        ok "the test namespace pings the guest (10.200.0.2)"
else
        fail "ping from $ns to the guest: $o"
fi

# 2. Requested before it is plugged: the parked UpdateInterface completes on the link event.
mac1=52:54:00:c4:7a:02
c --json iface update "$(iface eth1 "$mac1" 10.201.0.2 24 06/00)" >"$work/late.out" 2>&1 &
late=$!
sleep 1.5
if ! kill -0 "$late" 2>/dev/null; then
        fail "UpdateInterface for an absent NIC returned before the plug: $(cat "$work/late.out")"
fi
r=$(plug_nic nic1 tap1 "$mac1" rp6) || fail "hot-plug on tap1: $r"
if wait "$late" && has "$(cat "$work/late.out")" 10.201.0.2; then
        ok "a NIC requested before it was plugged: the parked UpdateInterface completed"
else
        fail "late NIC: $(cat "$work/late.out")"
fi
o=$(crun 'ping -c 1 -W 5 10.201.0.1') || true
if has "$o" '1 packets received'; then
        ok "a container pings through the late NIC (10.201.0.1)"
else
        fail "ping through eth1: $o"
fi

# 3. Never plugged: the wait ends after agent.hotplug_timeout with the runtime's retry text.
t0=$(ms)
o=$(c iface update "$(iface eth2 52:54:00:c4:7a:03 10.202.0.2 24 07/00)" 2>&1) || true
t1=$(ms)
if has "$o" 'Link not found' && has "$o" 52:54:00:c4:7a:03; then
        ok "a NIC that never comes: Link not found after $((t1 - t0)) ms, naming it"
else
        fail "never-plugged NIC: $o"
fi
[ "$(c check 2>&1)" = SERVING ] && ok "the agent keeps serving" || fail "agent not serving"

if kill -0 "$qemu_pid" 2>/dev/null && ! grep -q 'Kernel panic' "$console"; then
        ok "the VM is still up"
else
        fail "the VM stopped"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
