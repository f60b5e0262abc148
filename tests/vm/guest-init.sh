#!/bin/busybox sh
# /init of the test guests (tests/vm/make-initramfs.sh): loads the modules, links the agent's
# port the way udev would, mounts Kata's shared directory when the VM has one, undoes its other
# mounts and execs cata-agent, which is then PID 1 and does its own boot mounts.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
for m in $($bb cat /lib/modules/load-order); do
        $bb insmod /lib/modules/$m || echo "init: insmod $m failed"
done
port=""
i=0
while [ -z "$port" ] && [ $i -lt 300 ]; do
        for p in /sys/class/virtio-ports/*; do
                [ "$($bb cat $p/name 2>/dev/null)" = agent.channel.0 ] && port=${p##*/}
        done
        [ -n "$port" ] && [ -e /dev/$port ] && break
        port=""
        $bb usleep 20000
        i=$((i + 1))
done
if [ -n "$port" ]; then
        $bb mkdir -p /dev/virtio-ports
        $bb ln -sf ../$port /dev/virtio-ports/agent.channel.0
        echo "init: agent.channel.0 is /dev/$port"
else
        echo "init: no agent.channel.0 port"
fi
# cata-remote-hv's QEMU guests export the shim's sandbox share as 9p tag kataShared: it goes
# where Kata's guest expects it, on a /run tmpfs that the agent keeps (it leaves mounted
# targets alone).
if $bb cat /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag 2>/dev/null |
        $bb grep -q kataShared; then
        share=/run/kata-containers/shared/containers
        $bb mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
        $bb mkdir -p $share
        if $bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 kataShared $share; then
                echo "init: kataShared mounted at $share"
        else
                echo "init: mounting kataShared failed"
        fi
fi
# devtmpfs is one instance: the link stays for the agent's own mount of it.
$bb umount /dev
$bb umount /sys
$bb umount /proc
exec /sbin/cata-agent
