#!/bin/sh
# Hot-plug figures in a QEMU (TCG) guest with cata-agent as PID 1 (docs/benchmarks.md):
#  - hot-plug to usable: QMP device_add of a virtio-blk disk -> CreateContainer with it as a
#    `blk` storage -> the container lists the file system (median over REPS disks);
#  - OnlineCPUMem for one hot-added CPU (three CPUs).
# Usage: bench/run-hotplug.sh [REPS]   (as root; default 7). Prints the "bench:" lines.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=${BUILD_ROOT:-$src/_build}
[ -x "$out/gcc/cata-ctl" ] || "$src/scripts/build.sh" "$out/gcc"
BENCH_REPS=${1:-7} BUILD_ROOT="$out" CATA_CTL="$out/gcc/cata-ctl" \
        bash "$src/tests/vm/run-hotplug-test.sh" | grep -E '^(bench:|[0-9]+ passed)'
