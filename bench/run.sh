#!/bin/sh
# The foundation benchmark (docs/benchmarks.md): builds cata-agent twice, as the project builds it
# by default and with -Dstatic=true, then runs bench-agent, which prints the table on stdout.
# Progress and build failures go to stderr. Arguments are passed on to bench-agent (e.g.
# `bench/run.sh --seconds 1`); see `bench-agent --help`.
#
# Build directories live outside the source tree, in $CATA_BENCH_BUILD (default
# ${TMPDIR:-/tmp}/cata-bench-build), and are reused: a second run only rebuilds what changed.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
# The commit every table names (bench_print_context()).
CATA_BENCH_COMMIT=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
export CATA_BENCH_COMMIT
out=${CATA_BENCH_BUILD:-${TMPDIR:-/tmp}/cata-bench-build}
dyn=$out/dynamic
sta=$out/static
mkdir -p "$out"

# meson_build DIR LOG TARGET... [-- MESON_OPTION...]: configures DIR once (again from scratch if
# an earlier setup died half way), then builds only TARGETs. Output goes to LOG.
meson_build() {
        dir=$1 log=$2
        shift 2
        targets=
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                targets="$targets $1"
                shift
        done
        [ $# -gt 0 ] && shift
        : >"$log"
        if [ ! -f "$dir/build.ninja" ]; then
                rm -rf "$dir"
                # Tests off: they need cmocka and are not what is measured.
                meson setup "$dir" "$src" -Dtests=false "$@" >>"$log" 2>&1 || return 1
        fi
        # shellcheck disable=SC2086 # targets is a list of words
        ninja -C "$dir" $targets >>"$log" 2>&1
}

echo "run.sh: building $dyn" >&2
if ! meson_build "$dyn" "$out/dynamic.log" cata-agent bench/bench-agent; then
        cat "$out/dynamic.log" >&2
        echo "run.sh: the build failed; nothing to measure" >&2
        exit 1
fi

# The static build may fail on a machine without static libraries (libprotobuf-c.a, libc.a):
# the table is still printed, with the reason instead of the static column.
echo "run.sh: building $sta (-Dstatic=true)" >&2
if meson_build "$sta" "$out/static.log" cata-agent -- -Dstatic=true; then
        set -- --static-agent "$sta/cata-agent" "$@"
else
        why=$(grep -m1 -E 'ERROR|error:|cannot find|undefined reference' "$out/static.log" ||
                tail -n1 "$out/static.log")
        echo "run.sh: static build failed: $why (full log: $out/static.log)" >&2
        set -- --static-error "static build failed: $why" "$@"
fi

exec "$dyn/bench/bench-agent" --agent "$dyn/cata-agent" "$@"
