#!/bin/sh
# Every test: unit, integration and fuzz-corpus replay in a normal build and in an ASan+UBSan
# build, a time-bounded libFuzzer run of every fuzz target (clang, FUZZ_SECONDS each, 10 by
# default), the format check, cata-agent as PID 1 in a QEMU (TCG) VM over virtio-serial
# (tests/vm/run-vm-test.sh), the guest image with containers (tests/vm/run-guest-image-test.sh),
# and real Kata pods through Kata's own shim and containerd (tests/e2e/run-e2e.sh, docs/e2e.md).
# Ends with one line "N passed, N failed".
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
out=${BUILD_ROOT:-$src/_build}
mkdir -p "$out"
passed=0
failed=0

# Counts the results of one `meson test` run from its JSON log.
count() {
        p=$(grep -c '"result": "OK"' "$1/meson-logs/testlog.json" || true)
        f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' \
                "$1/meson-logs/testlog.json" || true)
        passed=$((passed + p))
        failed=$((failed + f))
}

run_suite() {
        name=$1
        dir=$2
        shift 2
        echo "== $name"
        if ! "$src/scripts/build.sh" "$dir" "$@"; then
                echo "$name: build FAILED"
                failed=$((failed + 1))
                return 0
        fi
        meson test -C "$dir" --print-errorlogs --num-processes 2 || true
        count "$dir"
}

run_suite "build (gcc, -Werror)" "$out/gcc"
run_suite "ASan+UBSan" "$out/asan" -Db_sanitize=address,undefined -Db_lundef=false

echo "== libFuzzer (clang): ${FUZZ_SECONDS:-10} s per target from the checked-in corpora"
fuzz_built=yes
CC=clang "$src/scripts/build.sh" "$out/fuzz" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false || fuzz_built=no
if [ "$fuzz_built" = no ]; then
        echo "fuzz: build FAILED"
        failed=$((failed + 1))
fi
# Time-bounded, so slow targets (whole requests through the loop) and fast ones (the frame
# decoder) each get a fair share; the executions done are reported per target.
for t in frame dispatch requests cmdline spec-process mount-options spec-json create sandbox \
        storage network devices toml passfd traceparent; do
        corpus=$(mktemp -d)
        cp "$src/tests/fuzz/corpus/$t/"* "$corpus/"
        if (cd "$corpus" && "$out/fuzz/tests/fuzz-$t" -max_total_time="${FUZZ_SECONDS:-10}" \
                -runs="${FUZZ_RUNS:--1}" -max_len=65536 "$corpus" >"$out/fuzz-$t.log" 2>&1); then
                execs=$(grep -o 'Done [0-9]* runs' "$out/fuzz-$t.log" | tail -n 1 | cut -d' ' -f2)
                echo "fuzz-$t: ok (${execs:-?} executions)"
                passed=$((passed + 1))
        else
                echo "fuzz-$t: FAILED"
                tail -n 40 "$out/fuzz-$t.log"
                failed=$((failed + 1))
        fi
        rm -rf "$corpus"
done

# Runs one test script that ends "N passed, N failed", shows its log with NAME: on that line,
# and adds its counts (no result line counts as one failure).
run_script() { # NAME LOG COMMAND...
        name=$1
        log=$2
        shift 2
        "$@" >"$log" 2>&1 || true
        sed "s/^\([0-9]* passed, [0-9]* failed\)$/$name: \1/" "$log"
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
        if [ -n "$line" ]; then
                p=${line%% passed*}
                f=${line#*passed, }
                f=${f%% failed*}
                passed=$((passed + p))
                failed=$((failed + f))
        else
                echo "$name: no result line"
                failed=$((failed + 1))
        fi
}

echo "== VM: cata-agent as PID 1 (QEMU TCG, virtio-serial)"
run_script vm "$out/vm.log" env BUILD_ROOT="$out" CATA_CTL="$out/gcc/cata-ctl" \
        bash "$src/tests/vm/run-vm-test.sh"

echo "== e2e: Kata's own shim (\$KATA_SHIM) through containerd on cata (namespace and QEMU guests)"
run_script e2e "$out/e2e.log" env BUILD_ROOT="$out" bash "$src/tests/e2e/run-e2e.sh"

echo "== VM: the cata-guest-image initrd (containers, cgroup v1 and v2, PID 1 crash path)"
run_script guest-image "$out/guest-image.log" env BUILD_ROOT="$out" CATA_CTL="$out/gcc/cata-ctl" \
        bash "$src/tests/vm/run-guest-image-test.sh"

echo "== VM: hot-plugging devices, CPUs, memory and swap (QEMU TCG + QMP)"
run_script hotplug "$out/vm-hotplug.log" env BUILD_ROOT="$out" CATA_CTL="$out/gcc/cata-ctl" \
        bash "$src/tests/vm/run-hotplug-test.sh"

echo "== VM: a hot-plugged virtio-net NIC on a tap in a test namespace (QEMU TCG + QMP)"
run_script netvm "$out/vm-netvm.log" env BUILD_ROOT="$out" CATA_CTL="$out/gcc/cata-ctl" \
        bash "$src/tests/vm/run-netvm-test.sh"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
