#!/bin/sh
# Every test: unit, integration and fuzz-corpus replay in a normal build and in an ASan+UBSan
# build, a short libFuzzer run of every fuzz target (clang), the format check, and cata-agent
# as PID 1 in a QEMU (TCG) VM over virtio-serial (tests/vm/run-vm-test.sh).
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
        "$src/scripts/build.sh" "$dir" "$@"
        meson test -C "$dir" --print-errorlogs --num-processes 2 || true
        count "$dir"
}

run_suite "build (gcc, -Werror)" "$out/gcc"
run_suite "ASan+UBSan" "$out/asan" -Db_sanitize=address,undefined -Db_lundef=false

echo "== libFuzzer (clang): short runs from the checked-in corpora"
CC=clang "$src/scripts/build.sh" "$out/fuzz" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false
for t in frame dispatch cmdline spec-process mount-options spec-json create sandbox storage network; do
        corpus=$(mktemp -d)
        cp "$src/tests/fuzz/corpus/$t/"* "$corpus/"
        if (cd "$corpus" && "$out/fuzz/tests/fuzz-$t" -runs="${FUZZ_RUNS:-20000}" \
                -max_len=65536 "$corpus" >"$out/fuzz-$t.log" 2>&1); then
                echo "fuzz-$t: ok"
                passed=$((passed + 1))
        else
                echo "fuzz-$t: FAILED"
                tail -n 40 "$out/fuzz-$t.log"
                failed=$((failed + 1))
        fi
        rm -rf "$corpus"
done

echo "== VM: cata-agent as PID 1 (QEMU TCG, virtio-serial)"
vm_log=$out/vm.log
BUILD_ROOT="$out" CATA_CTL="$out/gcc/cata-ctl" bash "$src/tests/vm/run-vm-test.sh" \
        >"$vm_log" 2>&1 || true
sed 's/^\([0-9]* passed, [0-9]* failed\)$/vm: \1/' "$vm_log"
vm_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$vm_log" | tail -n 1 || true)
if [ -n "$vm_line" ]; then
        vm_p=${vm_line%% passed*}
        vm_f=${vm_line#*passed, }
        vm_f=${vm_f%% failed*}
        passed=$((passed + vm_p))
        failed=$((failed + vm_f))
else
        echo "vm: no result line"
        failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
