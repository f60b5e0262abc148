#!/bin/bash
# Hot-plugs devices into a real VM running cata-agent as PID 1 and checks what containers see.
#
# QEMU (TCG) boots the Debian kernel with the test initramfs (tests/vm/make-initramfs.sh, plus
# the block, SCSI, pmem and ext4 modules, mkfs.ext4 and a busybox container rootfs), on a q35
# machine with empty PCIe root ports, a virtio-scsi controller and an nvdimm (cold-plugged, as
# Kata does), -smp 1,maxcpus=4 and memory slots. QMP (over TCP, spoken by bash) hot-plugs:
#   - a virtio-blk disk: a container gets it as a `blk` storage (reads, writes) and as a `blk`
#     device (reads the raw node, under a deny-all device cgroup);
#   - a SCSI disk: a `scsi` storage with create_filesystem (mkfs.ext4 in the guest);
#   - the nvdimm as an `nvdimm` storage;
#   - a disk requested before it is plugged (the wait completes when QMP adds it), and one that
#     never comes (DEADLINE_EXCEEDED naming it after agent.hotplug_timeout, agent serves on);
#   - a CPU, then OnlineCPUMem; a pc-dimm, whose memory blocks the agent onlines itself;
#   - a swap disk for AddSwap;
# and checks that removing the containers releases their mounts. Also prints the benchmark
# figures (QMP device_add -> a container sees the disk; CPU online) when BENCH_REPS is set.
#
# Usage: tests/vm/run-hotplug-test.sh   (as root)   Environment: as tests/vm/run-vm-test.sh,
#        BENCH_REPS=N (hot-plug-to-usable repetitions, default 0: no benchmark).
# Ends with "N passed, N failed".
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
vm_name=hotplug
. "$src/tests/vm/vm-lib.sh"
. "$src/tests/vm/vm-results.sh"
out=${BUILD_ROOT:-$src/_build}
timeout_s=${VM_BOOT_TIMEOUT:-120}
bench_reps=${BENCH_REPS:-0}
passed=0
failed=0
qemu_pid=""
work=""
RUN=/run/kata-containers

cleanup() {
        exec 3<&- 2>/dev/null || true
        [ -z "$qemu_pid" ] || vm_stop_qemu "$qemu_pid"
        vm_remove_work "$work"
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- prerequisites and builds ---------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (qemu-system-x86)"
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
for t in mkfs.ext4 mkswap debugfs; do
        command -v $t >/dev/null || die "$t missing (e2fsprogs, util-linux)"
done

# ---- the guest ------------------------------------------------------------------------------
work=$(mktemp -d /tmp/cata-hotplug.XXXXXX)
extra=$work/extra
mkdir -p "$extra/etc" "$extra/containers/bb/rootfs"/{bin,proc,dev,sys,tmp,etc,vol}
cp /bin/busybox "$extra/containers/bb/rootfs/bin/busybox"
for a in sh cat echo ls head dd wc sleep grep od tr; do
        ln -s busybox "$extra/containers/bb/rootfs/bin/$a"
done
# mkfs.ext4 for create_filesystem, with the libraries it links.
mkfs=$(command -v mkfs.ext4)
mkdir -p "$extra/sbin"
cp -L "$mkfs" "$extra/sbin/mkfs.ext4"
for lib in $(ldd "$mkfs" | grep -oE '/[^ ]+'); do
        mkdir -p "$extra$(dirname "$lib")"
        cp -L "$lib" "$extra$lib"
done
mods=$(EXTRA_MODULES="virtio_blk virtio_scsi sd_mod crc32c_generic ext4 nfit nd_pmem" EXTRA_ROOT="$extra" \
        bash "$src/tests/vm/make-initramfs.sh" "$work/initrd.gz" "$agent" "$kver") ||
        die "initramfs build failed"
echo "hotplug: kernel $kver, $mods"

# Disks: an ext4 one with a file, a blank one for the guest's mkfs, a pmem one, a swap one,
# and one per benchmark repetition.
mkdisk() { truncate -s "$2" "$work/$1.img"; }
printf 'hello from the host\n' >"$work/hello"
mkdisk blk1 64M
mkfs.ext4 -q -F "$work/blk1.img" >/dev/null
debugfs -w -R "write $work/hello hello" "$work/blk1.img" >/dev/null 2>&1
mkdisk late 32M
mkfs.ext4 -q -F "$work/late.img" >/dev/null
mkdisk scsi1 64M
mkdisk pmem 128M
mkfs.ext4 -q -F "$work/pmem.img" >/dev/null
debugfs -w -R "write $work/hello hello" "$work/pmem.img" >/dev/null 2>&1
mkdisk swap 32M
mkswap -q "$work/swap.img" >/dev/null
drives=""
for d in blk1 late scsi1 swap; do
        drives="$drives -drive if=none,id=d_$d,format=raw,file=$work/$d.img"
done
for i in $(seq "$bench_reps"); do
        mkdisk "bench$i" 16M
        mkfs.ext4 -q -F "$work/bench$i.img" >/dev/null
        drives="$drives -drive if=none,id=d_bench$i,format=raw,file=$work/bench$i.img"
done

# Root ports: 05 blk1 (then the bench disks), 06 late, 07 never used, 08 swap.
qmp_port=$((20000 + RANDOM % 20000))
sock=$work/agent.sock
console=$work/console.log
append="console=ttyS0 quiet panic=-1 agent.log=debug agent.hotplug_timeout=5s"
append="$append agent.server_addr=serial:///dev/virtio-ports/agent.channel.0"
# shellcheck disable=SC2086
qemu-system-x86_64 -machine q35,nvdimm=on -cpu max -m 512M,slots=4,maxmem=2G \
        -smp 1,maxcpus=4 -nographic -no-reboot -monitor none -nodefaults -vga none \
        -kernel "$kernel" -initrd "$work/initrd.gz" -append "$append" \
        -device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x5 \
        -device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x6 \
        -device pcie-root-port,id=rp7,bus=pcie.0,chassis=7,addr=0x7 \
        -device pcie-root-port,id=rp8,bus=pcie.0,chassis=8,addr=0x8 \
        -device virtio-scsi-pci,id=scsi0,bus=pcie.0,addr=0x9 \
        -object "memory-backend-file,id=nv0,mem-path=$work/pmem.img,size=128M,share=on" \
        -device nvdimm,id=nvdimm0,memdev=nv0 \
        -device virtio-serial-pci,bus=pcie.0,addr=0xa \
        -chardev "socket,id=ch0,path=$sock,server=on,wait=off" \
        -device virtserialport,chardev=ch0,name=agent.channel.0 \
        -qmp "tcp:127.0.0.1:$qmp_port,server=on,wait=off" $drives \
        -serial "file:$console" </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!

c() { vm_ctl "$ctl" "$sock" "$@"; }
if ! vm_wait_serving "$ctl" "$sock" "$qemu_pid" "$timeout_s"; then
        cat "$work/qemu.log"
        tail -n 60 "$console"
        die "no SERVING within ${timeout_s}s"
fi
ok "the agent serves in the VM"

# ---- QMP ------------------------------------------------------------------------------------
exec 3<>"/dev/tcp/127.0.0.1/$qmp_port" || die "cannot connect to QMP"
qmp() { vm_qmp "$1"; }
IFS= read -r -t 10 _greeting <&3 || die "no QMP greeting"
qmp '{"execute":"qmp_capabilities"}' >/dev/null
plug() { # ID DRIVE PORT: a virtio-blk disk on a root port
        qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-pci\",\
\"id\":\"$1\",\"drive\":\"$2\",\"bus\":\"$3\"}}"
}

# ---- containers -----------------------------------------------------------------------------
# mkbundle NAME SCRIPT [LINUX_DEVICES_JSON]: a busybox container; /vol is a bind of the
# storage at $RUN/sandbox/storage/NAME when there is one; device cgroup: deny all but defaults.
mkbundle() {
        local b=$work/bundles/$1 devs=${3:-[]}
        mkdir -p "$b"
        cat >"$b/config.json" <<EOF
{"ociVersion":"1.0.2","root":{"path":"/containers/bb/rootfs"},
 "process":{"args":["sh","-c","$2"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}},
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
           {"destination":"/sys","type":"sysfs","source":"sysfs","options":["ro"]},
           {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["mode=755"]}
           $( [ -n "${4:-}" ] && echo ",{\"destination\":\"/vol\",\"type\":\"bind\",\"source\":\"$4\",\"options\":[\"rbind\",\"rw\"]}")],
 "linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"}],
          "cgroupsPath":"/cata-hotplug/$1","devices":$devs,
          "resources":{"devices":[{"allow":false,"access":"rwm"}]}}}
EOF
        echo "$b"
}
storage() { # DRIVER SOURCE NAME [DRIVER_OPTIONS_JSON]
        echo "storage={\"driver\":\"$1\",\"source\":\"$2\",\"fstype\":\"ext4\",\
\"mount_point\":\"$RUN/sandbox/storage/$3\",\"driver_options\":${4:-[]}}"
}

# Looks at the guest (sysfs, /proc/swaps, meminfo) from a one-shot container. Not from a
# long-lived one with separate create and start calls: over virtio-serial (one open at a
# time) a created container's init still holds the port until StartContainer execs it, so a
# second host connection cannot get in (the agent's spawn keeps inherited fds until execve).
nlook=0
look() {
        nlook=$((nlook + 1))
        c run "$(mkbundle "look$nlook" "$1")" "look$nlook" 2>&1
}

if d=$(c --json guest-details) && printf '%s' "$d" | grep -q '"blk"' &&
        printf '%s' "$d" | grep -q '"vfio-pci"'; then
        ok "GetGuestDetails lists the device handlers"
else
        fail "GetGuestDetails: $d"
fi

# 1. virtio-blk as a blk storage: plug, then the container reads the host's file and writes.
t0=$(ms)
r=$(plug blk1 d_blk1 rp5)
case $r in *error*) fail "device_add blk1: $r" ;; esac
o=$(c run "$(mkbundle st1 'cat /vol/hello; echo from-guest >/vol/written; sync' \
        "" "$RUN/sandbox/storage/disk1")" st1 "$(storage blk 05/00 disk1)" 2>&1) || true
t1=$(ms)
if [ "$o" = "hello from the host" ]; then
        ok "blk storage (PCI path 05/00, hot-plugged): the container reads the disk ($((t1 - t0)) ms from device_add)"
else
        fail "blk storage: $o"
fi
# 2. The same disk as a blk device: the node, guest numbers, through a deny-all cgroup.
devs='[{"path":"/dev/xvdz","type":"b","major":253,"minor":7,"fileMode":432,"uid":0,"gid":0}]'
o=$(c run "$(mkbundle dev1 'dd if=/dev/xvdz bs=4096 count=1 2>/dev/null | wc -c' "$devs")" \
        dev1 'device={"id":"05/00","type":"blk","container_path":"/dev/xvdz"}' 2>&1) || true
if [ "$(echo "$o" | tr -d ' ')" = 4096 ]; then
        ok "blk device: the container reads /dev/xvdz (guest major/minor, allowed in a deny-all cgroup)"
else
        fail "blk device: $o"
fi
# The same node without a `devices` entry: no rule for it, the deny-all cgroup refuses it.
mm=$(look 'cat /sys/block/vda/dev')
devs2="[{\"path\":\"/dev/xvdz\",\"type\":\"b\",\"major\":${mm%%:*},\"minor\":${mm#*:},\"fileMode\":432,\"uid\":0,\"gid\":0}]"
o=$(c run "$(mkbundle dev2 'dd if=/dev/xvdz bs=512 count=1 2>&1 >/dev/null | head -n1' "$devs2")" \
        dev2 2>&1) || true
case $o in
*"not permitted"*) ok "without the devices entry, the deny-all cgroup refuses the node ($mm)" ;;
*) fail "device cgroup did not refuse an undeclared device ($mm): $o" ;;
esac

# 3. Removal released the mount: volume stats fail, the disk can be unplugged and written
#    data is on the host image.
if ! c volume-stats "$RUN/sandbox/storage/disk1" >/dev/null 2>&1; then
        ok "removing the container released the blk storage (mount point gone)"
else
        fail "the blk storage is still mounted after removal"
fi
qmp '{"execute":"device_del","arguments":{"id":"blk1"}}' >/dev/null
for _ in $(seq 50); do
        look 'ls /sys/block' | grep -q vda || break
        sleep 0.2
done
if debugfs -R "cat /written" "$work/blk1.img" 2>/dev/null | grep -q from-guest; then
        ok "the container's write reached the disk"
else
        fail "the container's write is not on the disk image"
fi

# 4. SCSI with create_filesystem (mkfs.ext4 runs in the guest).
qmp '{"execute":"device_add","arguments":{"driver":"scsi-hd","id":"sd1","drive":"d_scsi1","bus":"scsi0.0","scsi-id":0,"lun":1}}' >/dev/null
o=$(c run "$(mkbundle st2 'echo scsi-ok >/vol/f && cat /vol/f' "" "$RUN/sandbox/storage/scsi1")" \
        st2 "$(storage scsi 0:1 scsi1 '["create_filesystem"]')" 2>&1) || true
if [ "$o" = scsi-ok ]; then
        ok "scsi storage 0:1 with create_filesystem: mkfs in the guest, the container writes"
else
        fail "scsi storage: $o"
fi

# 5. nvdimm.
o=$(c run "$(mkbundle st3 'cat /vol/hello' "" "$RUN/sandbox/storage/pmem")" st3 \
        "$(storage nvdimm /dev/pmem0 pmem)" 2>&1) || true
if [ "$o" = "hello from the host" ]; then
        ok "nvdimm storage /dev/pmem0: the container reads it"
else
        fail "nvdimm storage: $o"
fi

# 6. Requested before plugged: the wait completes when QMP adds the disk.
c run "$(mkbundle st4 'cat /proc/self/mountinfo | grep -c /vol' "" "$RUN/sandbox/storage/late")" \
        st4 "$(storage blk 06/00 late)" >"$work/late.out" 2>&1 &
late=$!
sleep 1.5
plug late d_late rp6 >/dev/null
if wait $late && [ "$(cat "$work/late.out")" = 1 ]; then
        ok "a disk requested before it was plugged: the parked CreateContainer completed"
else
        fail "late disk: $(cat "$work/late.out")"
fi

# 7. Never comes: DEADLINE_EXCEEDED after agent.hotplug_timeout (5s), naming the device.
t0=$(ms)
o=$(c create "$(mkbundle st5 true "" "$RUN/sandbox/storage/never")" st5 \
        "$(storage blk 07/00 never)" 2>&1) || true
t1=$(ms)
case $o in
*DEADLINE_EXCEEDED*"07/00"*)
        ok "a disk that never comes: DEADLINE_EXCEEDED after $((t1 - t0)) ms naming it" ;;
*) fail "never-plugged disk: $o" ;;
esac
[ "$(c check 2>&1)" = SERVING ] && ok "the agent keeps serving" || fail "agent not serving"
# A caller that goes away while its CreateContainer waits: the wait is cancelled.
timeout 2 "$ctl" --addr "unix://$sock" create "$(mkbundle st8 true)" st8 \
        "$(storage blk 07/00 gone)" >/dev/null 2>&1 || true
sleep 0.5
[ "$(c check 2>&1)" = SERVING ] && ok "a disconnect cancels a parked device wait" ||
        fail "agent not serving after a disconnect during a device wait"
o=$(c create "$(mkbundle st6 true)" st6 \
        'device={"id":"0:9","type":"scsi","container_path":"/dev/x"}' 2>&1) || true
case $o in
*DEADLINE_EXCEEDED*"0:9"*) ok "a SCSI device that never comes: DEADLINE_EXCEEDED" ;;
*) fail "never-plugged SCSI device: $o" ;;
esac
o=$(c create "$(mkbundle st7 true)" st7 \
        'device={"id":"zz/00","type":"blk","container_path":"/dev/x"}' 2>&1) || true
case $o in *INVALID_ARGUMENT*) ok "a malformed PCI path: INVALID_ARGUMENT" ;;
*) fail "malformed PCI path: $o" ;; esac

# 8. CPU hotplug, then OnlineCPUMem.
before=$(look 'cat /sys/devices/system/cpu/online')
qmp '{"execute":"device_add","arguments":{"driver":"max-x86_64-cpu","id":"cpu1","socket-id":0,"core-id":1,"thread-id":0}}' >"$work/cpu.out"
for _ in $(seq 50); do
        look 'ls /sys/devices/system/cpu' | grep -q cpu1 && break
        sleep 0.2
done
t0=$(ms)
o=$(c rpc OnlineCPUMem '{"nb_cpus":2,"cpu_only":true}' 2>&1) || true
t1=$(ms)
cpu_ms=$((t1 - t0))
after=$(look 'cat /sys/devices/system/cpu/online')
if [ "$before" = 0 ] && [ "$after" = 0-1 ]; then
        ok "CPU hot-added and onlined by OnlineCPUMem ($before -> $after, $((t1 - t0)) ms)"
else
        fail "CPU online: $before -> $after ($o; $(cat "$work/cpu.out"))"
fi

# 9. Memory hotplug: the agent onlines the new blocks on their `add` uevents.
mem0=$(look 'grep MemTotal /proc/meminfo' | tr -dc 0-9)
qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1","size":134217728}}' >/dev/null
qmp '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"dimm1","memdev":"m1"}}' >/dev/null
mem1=$mem0
for _ in $(seq 50); do
        mem1=$(look 'grep MemTotal /proc/meminfo' | tr -dc 0-9)
        [ "$mem1" -gt "$mem0" ] && break
        sleep 0.2
done
offline=$(look 'cat /sys/devices/system/memory/memory*/online' | grep -c 0 || true)
if [ "$mem1" -ge $((mem0 + 120000)) ] && [ "$offline" = 0 ]; then
        ok "pc-dimm hot-added: its memory blocks were onlined (MemTotal $mem0 -> $mem1 kB)"
else
        fail "memory hotplug: MemTotal $mem0 -> $mem1 kB, $offline blocks offline"
fi

# 10. AddSwap on a hot-added disk (PCI path 08/00).
plug swap1 d_swap rp8 >/dev/null
o=$(c rpc AddSwap '{"PCIPath":[8,0]}' 2>&1) || true
sw=$(look 'cat /proc/swaps')
if printf '%s' "$sw" | grep -q '^/dev/vd'; then
        ok "AddSwap: the hot-added disk is swap ($(printf '%s' "$sw" | tail -n1 | cut -c1-40))"
else
        fail "AddSwap: $o / $sw"
fi

# ---- benchmark: QMP device_add -> the container sees the disk ----------------------------
summary() { # WHAT TIMES...: median, min, max
        local what=$1 sorted n
        shift
        sorted=$(printf '%s\n' "$@" | grep . | sort -n)
        n=$(printf '%s\n' "$sorted" | grep -c . || true)
        echo "bench: $what, TCG: median $(printf '%s\n' "$sorted" |
                sed -n "$(((n + 1) / 2))p") ms over $n runs (min $(printf '%s\n' "$sorted" |
                head -n1), max $(printf '%s\n' "$sorted" | tail -n1))"
}
if [ "$bench_reps" -gt 0 ]; then
        times=""
        for i in $(seq "$bench_reps"); do
                t0=$(ms)
                plug "bench$i" "d_bench$i" rp5 >/dev/null
                o=$(c run "$(mkbundle "b$i" 'ls /vol' "" "$RUN/sandbox/storage/b$i")" "b$i" \
                        "$(storage blk 05/00 "b$i")" 2>&1) || true
                t1=$(ms)
                case $o in *lost+found*) times="$times $((t1 - t0))" ;;
                *) echo "hotplug: bench $i: $o" ;; esac
                qmp "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"bench$i\"}}" >/dev/null
                for _ in $(seq 50); do
                        look 'ls /sys/block' | grep -q vd[a-z] || break
                        sleep 0.2
                done
        done
        summary "hot-plug to usable (device_add -> a container ran on the disk)" $times
        # CPU online: the remaining hot-pluggable CPUs, one at a time (OnlineCPUMem alone).
        times=""
        for core in 2 3; do
                qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"max-x86_64-cpu\",\
\"id\":\"cpu$core\",\"socket-id\":0,\"core-id\":$core,\"thread-id\":0}}" >/dev/null
                for _ in $(seq 50); do
                        look 'ls /sys/devices/system/cpu' | grep -q "cpu$core" && break
                        sleep 0.2
                done
                t0=$(ms)
                c rpc OnlineCPUMem "{\"nb_cpus\":$((core + 1)),\"cpu_only\":true}" >/dev/null &&
                        times="$times $(($(ms) - t0))"
        done
        summary "OnlineCPUMem for one hot-added CPU" $cpu_ms $times
fi

if kill -0 "$qemu_pid" 2>/dev/null && ! grep -q 'Kernel panic' "$console"; then
        ok "the VM is still up"
else
        fail "the VM stopped"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
