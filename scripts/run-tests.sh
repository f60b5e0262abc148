#!/bin/sh
# Every test: unit, integration and fuzz-corpus replay in a normal build and in an ASan+UBSan
# build, a short libFuzzer run of every fuzz target (clang), and the format check.
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
for t in frame dispatch cmdline spec-process mount-options spec-json create; do
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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
