#!/bin/bash
# The container benchmark (docs/benchmarks.md, "Containers"): containers through cata-agent next
# to crun and runc with the same busybox bundle and OCI spec, all measured in one run. Installs
# what is missing (crun, runc, busybox-static), builds the agent, cata-ctl and bench-containers,
# builds the bundles in a temporary directory, then runs bench-containers, which prints the
# markdown tables on stdout. Progress goes to stderr. Needs root: containers, cgroups, mounts.
# Arguments go to bench-containers (`--iters N`, default 30; `--idle N`, default 100).
#
# The build directory is $CATA_BENCH_BUILD/containers (default
# ${TMPDIR:-/tmp}/cata-bench-build/containers) and is reused.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
# The commit every table names (bench_print_context()).
CATA_BENCH_COMMIT=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
export CATA_BENCH_COMMIT
build=${CATA_BENCH_BUILD:-${TMPDIR:-/tmp}/cata-bench-build}/containers

say() { echo "run-containers.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (containers, cgroups, mounts)"; exit 1; }

missing=
command -v crun >/dev/null || missing="$missing crun"
command -v runc >/dev/null || missing="$missing runc"
dpkg -s busybox-static >/dev/null 2>&1 || missing="$missing busybox-static"
if [ -n "$missing" ]; then
        say "installing$missing"
        # shellcheck disable=SC2086 # a list of package names
        apt-get install -y $missing >&2 ||
                { apt-get update >&2 && apt-get install -y $missing >&2; }
fi

say "building $build"
mkdir -p "$(dirname "$build")"
if [ ! -f "$build/build.ninja" ]; then
        rm -rf "$build"
        # Tests off: they need cmocka and are not what is measured.
        meson setup "$build" "$src" -Dtests=false >"$build.log" 2>&1 ||
                { cat "$build.log" >&2; exit 1; }
fi
ninja -C "$build" cata-agent cata-ctl bench/bench-containers >"$build.log" 2>&1 ||
        { cat "$build.log" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cata-bench-containers.XXXXXX")
prefix=cb$$ # in every container id, so that the cleanup finds exactly ours
# A tmpfs, as /run is in a guest (the agent's bundles) and on a host (crun's state): on this
# machine's ext4 /tmp, each mkdir and rmdir of a bundle directory took 1-6 ms.
mount -t tmpfs -o mode=0700 cata-bench "$work"

# Runs on every exit, also after a failure or ^C: by then bench-containers has removed what it
# could. This removes the rest: runtime state, processes still in our containers' cgroups (those
# of a hung or killed agent), the cgroups, the agent's rootfs mounts, the temporary directory.
cleanup() {
        status=$?
        set +e
        if [ $status != 0 ] && [ -s "$work/agent.log" ]; then
                say "failed; the agent's log ends with:"
                tail -n 20 "$work/agent.log" >&2
        fi
        for rt in crun runc; do
                root=$work/$rt-root
                if [ ! -d "$root" ] || ! command -v $rt >/dev/null; then
                        continue
                fi
                for id in $($rt --root "$root" list -q 2>/dev/null); do
                        $rt --root "$root" delete --force "$id" >/dev/null 2>&1
                done
        done
        # Processes left in our cgroups (those of a hung or killed agent), the cgroups, and
        # what crun made in plain and hidden directories there.
        "$src/bench/cgroup-cleanup.sh" "$prefix"
        # Deepest first; lazily, in case something still holds one.
        awk -v w="$work" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r m; do umount -l "$m"; done
        rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the busybox bundles in $work"
"$src/tests/rootfs/make-rootfs.sh" "$work/rootfs"
# One spec for all three runtimes: scripts/demo-config.json, Kata's shape (namespaces pid, ipc,
# uts and mount, no network namespace; the same mounts, memory and pids limits), with an
# absolute root shared by both bundles.
bundle() {
        mkdir -p "$work/$1"
        sed -e "s|@ARGS@|$2|" -e "s|\"path\": \"rootfs\"|\"path\": \"$work/rootfs\"|" \
                "$src/scripts/demo-config.json" >"$work/$1/config.json"
        grep -q "\"path\": \"$work/rootfs\"" "$work/$1/config.json" ||
                { say "demo-config.json: no \"path\": \"rootfs\" to replace"; exit 1; }
}
bundle true '"/bin/true"'
bundle sleep '"sleep", "1000"'

layout=pure-v1
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && layout=v2
[ $layout = pure-v1 ] && grep -q " /sys/fs/cgroup/unified .* cgroup2 " /proc/self/mountinfo &&
        layout="hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
echo "Linux $(uname -r), $(nproc) CPUs, cgroups $layout; $(crun --version | head -n1);" \
        "$(runc --version | head -n1); cata $("$build/cata-agent" --version 2>&1 | head -n1)"
echo

"$build/bench/bench-containers" --agent "$build/cata-agent" --ctl "$build/cata-ctl" \
        --crun "$(command -v crun)" --runc "$(command -v runc)" \
        --bundle-true "$work/true" --bundle-sleep "$work/sleep" --work "$work" \
        --prefix "$prefix" "$@"
