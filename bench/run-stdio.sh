#!/bin/bash
# The stdio benchmark (docs/benchmarks.md, "Stdio"): container stdout through cata-agent, all
# measured in one run. Builds cata-agent, bench-stdio and the static cata-stdio-helper, then runs
# bench-stdio, which starts the agent on a unix socket, builds a busybox rootfs holding the
# helper in a temporary directory, and prints the markdown tables on stdout. Progress goes to
# stderr. Needs root: containers, cgroups, mounts. Takes about two minutes.
# Arguments go to bench-stdio (`--reps N`, default 5; `--bytes N`, default 536870912;
# `--idle N`, default 100).
#
# The build directory is $CATA_BENCH_BUILD/stdio (default ${TMPDIR:-/tmp}/cata-bench-build/stdio)
# and is reused: a second run only rebuilds what changed.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
# The commit every table names (bench_print_context()).
CATA_BENCH_COMMIT=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
export CATA_BENCH_COMMIT
build=${CATA_BENCH_BUILD:-${TMPDIR:-/tmp}/cata-bench-build}/stdio

say() { echo "run-stdio.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (containers, cgroups, mounts)"; exit 1; }

if ! dpkg -s busybox-static >/dev/null 2>&1; then
        say "installing busybox-static (the containers' rootfs)"
        apt-get install -y busybox-static >&2 ||
                { apt-get update >&2 && apt-get install -y busybox-static >&2; }
fi

say "building $build"
mkdir -p "$(dirname "$build")"
if [ ! -f "$build/build.ninja" ]; then
        rm -rf "$build"
        # Tests off: they need cmocka and are not what is measured.
        meson setup "$build" "$src" -Dtests=false >"$build.log" 2>&1 ||
                { cat "$build.log" >&2; exit 1; }
fi
ninja -C "$build" cata-agent bench/bench-stdio >"$build.log" 2>&1 ||
        { cat "$build.log" >&2; exit 1; }
# The helper runs inside the busybox rootfs, which has no libc: static, with the project's
# -std=c11 -D_GNU_SOURCE and its default buildtype's -O2 -g, as tests/meson.build builds it.
# Built here because the test suite, which builds it otherwise, needs cmocka.
helper=$build/cata-stdio-helper
if [ ! -x "$helper" ] || [ "$src/tests/helpers/cata-stdio-helper.c" -nt "$helper" ]; then
        "${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -g -static -o "$helper" \
                "$src/tests/helpers/cata-stdio-helper.c" ||
                { say "building the static helper failed (is libc.a installed?)"; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cata-bench-stdio.XXXXXX")
prefix=cs$$ # starts every container id and cgroup name, so that the cleanup finds exactly ours

# Runs on every exit, also after a failure or ^C: by then bench-stdio has removed what it could
# and its agents, dying with it, have killed their containers. This removes the rest: processes
# still in our containers' cgroups (those of a hung agent), the cgroups, the agents' rootfs
# mounts, the temporary directory.
cleanup() {
        set +e
        # Processes left in our cgroups (those of a hung or killed agent), and the cgroups.
        "$src/bench/cgroup-cleanup.sh" "$prefix"
        # Deepest first; lazily, in case something still holds one.
        awk -v w="$work" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r m; do umount -l "$m"; done
        rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo "Linux $(uname -r), $(nproc) CPUs (${model:-unknown CPU}); cata" \
        "$("$build/cata-agent" --version 2>&1 | head -n1)"
echo

"$build/bench/bench-stdio" --agent "$build/cata-agent" --helper "$helper" \
        --make-rootfs "$src/tests/rootfs/make-rootfs.sh" --work "$work" --prefix "$prefix" "$@"
