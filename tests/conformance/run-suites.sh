#!/bin/bash
# Runs the community's own OCI runtime test suites against one runtime binary:
#   bats  runc's integration tests (tests/integration/*.bats of runc v1.1.5)
#   crun  crun's Python tests (tests/test_*.py of crun 1.8.1), through crun-tests-cli.sh for
#         runtimes with runc's command line
#
#   run-suites.sh RUNTIME [bats|crun|all] [TEST-FILE...]
#
# Neither suite is part of this repository. They are taken at pinned commits into $SUITES_DIR
# (default /opt/suites): with `git clone` when the network allows, else with `git archive` from
# local clones ($RUNC_GIT, $CRUN_GIT: git directories that hold those commits). An existing
# $SUITES_DIR/runc or $SUITES_DIR/crun is used as it is.
#
# Needs (Debian 12): bats, jq, gawk, golang-go (runc's helpers are built from its source with the
# modules it vendors: recvtty, sd-helper, seccompagent), libseccomp-dev and gcc (seccompagent,
# crun's static tests/init), python3, busybox-static (the images are built locally from it, not
# downloaded), iproute2, util-linux (unshare, script: the bats files run with a pty as their
# controlling terminal, as runc's foreground terminal tests need).
#
# Environment:
#   SUITES_DIR   where the suites live (default /opt/suites)
#   OUT_DIR      results: <name>-bats.tap, <name>-crun-<test>.tap, <name>-summary.txt
#                (default $SUITES_DIR/results)
#   RT_NAME      name of the run (default: basename of RUNTIME)
#   NO_UNIFIED=1 unmount the cgroup2 mount at /sys/fs/cgroup/unified inside the private mount
#                namespace the suites run in (crun refuses this machine's hybrid layout)
#   TEST_TIMEOUT seconds per bats file / Python test file (default 900)
set -eu

RUNC_REPO=https://github.com/opencontainers/runc
RUNC_COMMIT=f19387a6bec4944c770f7668ab51c4348d9c2f38 # v1.1.5
CRUN_REPO=https://github.com/containers/crun
CRUN_COMMIT=cc32c9456e6237a67ec16ac0375885c044f776a5 # 1.8.1

here=$(cd "$(dirname "$0")" && pwd)
runtime=${1:?usage: run-suites.sh RUNTIME [bats|crun|all] [TEST-FILE...]}
what=${2:-all}
shift $(($# >= 2 ? 2 : $#))
runtime=$(command -v "$runtime" || echo "$runtime")
runtime=$(readlink -f "$runtime")
SUITES_DIR=${SUITES_DIR:-/opt/suites}
OUT_DIR=${OUT_DIR:-$SUITES_DIR/results}
RT_NAME=${RT_NAME:-$(basename "$runtime")}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
mkdir -p "$SUITES_DIR" "$OUT_DIR"

# fetch NAME REPO COMMIT LOCAL_GIT: $SUITES_DIR/NAME at COMMIT.
fetch() {
        local name=$1 repo=$2 commit=$3 local_git=${4:-} dest=$SUITES_DIR/$1
        [ -d "$dest" ] && return 0
        if git clone -q --no-checkout "$repo" "$dest.git" 2>/dev/null; then
                mkdir -p "$dest"
                git --git-dir="$dest.git" archive "$commit" | tar -x -C "$dest"
                rm -rf "$dest.git"
        elif [ -n "$local_git" ] && git --git-dir="$local_git" cat-file -e "$commit" 2>/dev/null; then
                mkdir -p "$dest"
                git --git-dir="$local_git" archive "$commit" | tar -x -C "$dest"
        else
                echo "run-suites: cannot get $name: no network and no local clone" \
                        "(set ${name^^}_GIT to a git directory holding $commit)" >&2
                exit 1
        fi
}

# A busybox image as runc's tests expect it (tar.xz of a root filesystem), and the "debian"
# one that hooks.bats needs for ldconfig: the same plus Debian's static ldconfig.
make_images() {
        local td=$SUITES_DIR/runc/tests/integration/testdata tmp
        [ -f "$td/busybox-amd64.tar.xz" ] && [ -f "$td/debian-amd64.tar.xz" ] && return 0
        tmp=$(mktemp -d)
        "$here/../rootfs/make-rootfs.sh" "$tmp/rootfs" >/dev/null
        tar -C "$tmp/rootfs" -cJf "$td/busybox-amd64.tar.xz" .
        mkdir -p "$tmp/rootfs/sbin" "$tmp/rootfs/lib" "$tmp/rootfs/etc"
        cp /sbin/ldconfig "$tmp/rootfs/sbin/ldconfig"
        echo /lib >"$tmp/rootfs/etc/ld.so.conf"
        tar -C "$tmp/rootfs" -cJf "$td/debian-amd64.tar.xz" .
        rm -rf "$tmp"
}

prepare_bats() {
        local src=$SUITES_DIR/runc c
        fetch runc "$RUNC_REPO" "$RUNC_COMMIT" "${RUNC_GIT:-}"
        for c in recvtty sd-helper seccompagent; do
                [ -x "$src/contrib/cmd/$c/$c" ] && continue
                # seccompagent is a stub without the seccomp tag (cgo, libseccomp-dev).
                (cd "$src" && GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=$SUITES_DIR/gocache \
                        go build -tags seccomp -o "contrib/cmd/$c/$c" "./contrib/cmd/$c")
        done
        make_images
}

prepare_crun() {
        local src=$SUITES_DIR/crun
        fetch crun "$CRUN_REPO" "$CRUN_COMMIT" "${CRUN_GIT:-}"
        # tests/init is the container process of every test: static, with what its
        # autoconf config.h would say on Debian 12 (libseccomp, error.h).
        if [ ! -x "$src/tests/init" ]; then
                mkdir -p "$SUITES_DIR/crun-build"
                printf '#define HAVE_SECCOMP 1\n#define HAVE_ERROR_H 1\n' \
                        >"$SUITES_DIR/crun-build/config.h"
                gcc -static -O2 -I"$SUITES_DIR/crun-build" -o "$src/tests/init" \
                        "$src/tests/init.c" -lseccomp
        fi
}

# Counts TAP results of one file: "ok not_ok skip".
count() {
        local ok notok skip
        ok=$(grep -cE '^ok ' "$1" || true)
        skip=$(grep -ciE '^ok .*# ?skip' "$1" || true)
        notok=$(grep -cE '^not ok ' "$1" || true)
        echo "$((ok - skip)) $notok $skip"
}

run_bats() {
        local dir=$SUITES_DIR/runc/tests/integration out=$OUT_DIR/$RT_NAME-bats.tap files=()
        if [ $# -gt 0 ]; then
                for f in "$@"; do files+=("$dir/${f%.bats}.bats"); done
        else
                files=("$dir"/*.bats)
        fi
        : >"$out"
        for f in "${files[@]}"; do
                echo "# file $(basename "$f")" >>"$out"
                # Under script(1): a controlling terminal, as in an interactive shell or CI's
                # tty. runc refuses a foreground terminal run without one (open /dev/tty).
                RUNC=$runtime timeout -k 10 "$TEST_TIMEOUT" \
                        script -qfec "bats --tap $(printf %q "$f")" /dev/null </dev/null |
                        tr -d '\r' >>"$out" 2>&1
                [ "${PIPESTATUS[0]}" -ne 124 ] || echo "not ok - $(basename "$f") timed out" >>"$out"
        done
        echo "bats $(count "$out")"
}

run_crun() {
        local dir=$SUITES_DIR/crun/tests oci=$runtime tests=() base
        if [ "$(basename "$runtime")" != crun ]; then
                export CLI_RUNTIME=$runtime
                oci=$here/crun-tests-cli.sh
        fi
        if [ $# -gt 0 ]; then
                for f in "$@"; do tests+=("${f%.py}.py"); done
        else
                tests=($(cd "$dir" && ls test_*.py))
        fi
        local ok=0 notok=0 skip=0 c
        for t in "${tests[@]}"; do
                base=$OUT_DIR/$RT_NAME-crun-${t%.py}.tap
                (cd "$dir/.." && OCI_RUNTIME=$oci INIT=$dir/init timeout -k 10 "$TEST_TIMEOUT" \
                        python3 "tests/$t" >"$base" 2>"${base%.tap}.err") ||
                        [ $? -ne 124 ] || echo "not ok - $t timed out" >>"$base"
                read -r a b s <<<"$(count "$base")"
                ok=$((ok + a)) notok=$((notok + b)) skip=$((skip + s))
        done
        echo "crun $ok $notok $skip"
}

# Inside the private mount namespace.
if [ "${RUN_SUITES_INNER:-}" = 1 ]; then
        if [ "${NO_UNIFIED:-0}" = 1 ] && mountpoint -q /sys/fs/cgroup/unified; then
                umount /sys/fs/cgroup/unified
        fi
        case $what in
        bats) run_bats "$@" ;;
        crun) run_crun "$@" ;;
        all) run_bats && run_crun ;;
        esac
        exit 0
fi

case $what in
bats) prepare_bats ;;
crun) prepare_crun ;;
all) prepare_bats && prepare_crun ;;
*) echo "run-suites: unknown suite \`$what\` (bats, crun, all)" >&2 && exit 1 ;;
esac
# Some tests mkdir controller directories under /sys/fs/cgroup for controllers that are not
# mounted (net_cls, perf_event, ... on this host), and crun then writes cgroup.procs files in
# them; that tmpfs is the host's. Remove what the run added under the entries that are not
# mounts (never a real cgroup), deepest first.
plain_cgroup_entries() {
        local d
        for d in /sys/fs/cgroup/*; do
                mountpoint -q "$d" || find "$d" 2>/dev/null
        done
}
cg_before=$(plain_cgroup_entries | sort)
cleanup_cgroup_root() {
        comm -13 <(echo "$cg_before") <(plain_cgroup_entries | sort) | sort -r |
                while read -r p; do
                        if [ -d "$p" ]; then rmdir "$p" 2>/dev/null; else rm -f "$p"; fi
                done
}
trap cleanup_cgroup_root EXIT
echo "# $RT_NAME ($runtime), $(date -u +%FT%TZ)" >"$OUT_DIR/$RT_NAME-summary.txt"
echo "# suite ok not_ok skip" >>"$OUT_DIR/$RT_NAME-summary.txt"
RUN_SUITES_INNER=1 unshare -m --propagation private "$0" "$runtime" "$what" "$@" |
        tee -a "$OUT_DIR/$RT_NAME-summary.txt"
