#!/bin/bash
# Removes every directory named PREFIX-* that a benchmark left under /sys/fs/cgroup: its cgroups
# (killing what still runs in them first), plain directories that crun makes in tmpfs
# directories that look like controllers (hierarchies mounted elsewhere, e.g. by Kata's shim,
# leave such names here), and those hidden under the cgroup2 mount at /sys/fs/cgroup/unified in
# the host's /sys/fs/cgroup tmpfs, from runs before the wrappers covered that directory with a
# private tmpfs. Prints a warning naming what it could not remove. Needs root.
set -u
prefix=${1:?usage: cgroup-cleanup.sh PREFIX}
unified=/sys/fs/cgroup/unified

say() { echo "cgroup-cleanup.sh: $*" >&2; }

# Deepest first: a cgroup with children cannot go. rmdir for a cgroup, rm -r for a plain
# directory (crun writes files such as cgroup.procs into those).
remove() {
        find "$1" -mindepth 1 -depth -type d -name "$prefix-*" 2>/dev/null | while read -r d; do
                case $(stat -f -c %T "$d") in
                cgroupfs | cgroup2fs) rmdir "$d" 2>/dev/null ;;
                *) rm -rf --one-file-system "$d" ;;
                esac
        done
}

find /sys/fs/cgroup -mindepth 1 -type d -name "$prefix-*" 2>/dev/null | while read -r cg; do
        [ -f "$cg/cgroup.procs" ] || continue
        # shellcheck disable=SC2046 # a list of pids
        kill -9 $(cat "$cg/cgroup.procs" 2>/dev/null) 2>/dev/null
done
# Killed tasks leave their cgroup a moment later; rmdir fails until then.
for _ in 1 2 3 4 5 6 7 8 9 10; do
        remove /sys/fs/cgroup
        [ -z "$(find /sys/fs/cgroup -mindepth 1 -type d -name "$prefix-*" 2>/dev/null)" ] && break
        sleep 0.1
done
left=$(find /sys/fs/cgroup -mindepth 1 -type d -name "$prefix-*" 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] || say "warning: left: $left"
if grep -q " $unified .* cgroup2 " /proc/self/mountinfo; then
        # shellcheck disable=SC2016 # for the inner sh
        unshare -m sh -c 'umount "$1" && find "$1" -mindepth 1 -maxdepth 1 -type d -name "$2-*" \
                -exec rm -rf --one-file-system {} +' sh "$unified" "$prefix" ||
                say "warning: could not look under $unified"
fi
exit 0
