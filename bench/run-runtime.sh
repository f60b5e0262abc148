#!/bin/bash
# The runtime benchmark (docs/benchmarks.md, "cata-runtime"): `cata-runtime run` of `true` next
# to `crun run` and `runc run` with the same busybox bundle, all measured in one run. Installs
# what is missing (crun, runc, busybox-static, time), builds cata-runtime, builds the bundle in a
# temporary directory, then times each runtime's `run --bundle B ID` in interleaved iterations
# and prints a markdown table on stdout. Progress goes to stderr. Needs root: containers,
# cgroups, mounts.
#
#   bench/run-runtime.sh              # 30 iterations
#   bench/run-runtime.sh --iters 10   # a quick look
#
# The build directory is $CATA_BENCH_BUILD/runtime (default
# ${TMPDIR:-/tmp}/cata-bench-build/runtime) and is reused.
#
# A measurement, not a test: nothing checks a time. It fails only when a runtime fails.
set -eu
export LC_ALL=C # $EPOCHREALTIME with a '.', and awk's number formatting

src=$(cd "$(dirname "$0")/.." && pwd)
# The commit every table names (bench_print_context()).
CATA_BENCH_COMMIT=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
export CATA_BENCH_COMMIT
build=${CATA_BENCH_BUILD:-${TMPDIR:-/tmp}/cata-bench-build}/runtime
unified=/sys/fs/cgroup/unified
warmups=2

say() { echo "run-runtime.sh: $*" >&2; }
die() { say "$*"; exit 1; }

iters=30
while [ $# -gt 0 ]; do
        case $1 in
        --iters)
                [ $# -ge 2 ] || die "--iters needs a number"
                iters=$2
                shift 2
                ;;
        --iters=*)
                iters=${1#--iters=}
                shift
                ;;
        -h | --help)
                sed -n '2,15s/^# \{0,1\}//p' "$0"
                exit 0
                ;;
        *) die "unknown argument \`$1\` (only --iters N)" ;;
        esac
done
case $iters in
'' | *[!0-9]*) die "--iters must be a number 1..10000, not \`$iters\`" ;;
esac
if [ "$iters" -lt 1 ] || [ "$iters" -gt 10000 ]; then
        die "--iters must be 1..10000, not $iters"
fi

[ "$(id -u)" = 0 ] || die "needs root (containers, cgroups, mounts)"

missing=
command -v crun >/dev/null || missing="$missing crun"
command -v runc >/dev/null || missing="$missing runc"
command -v unshare >/dev/null || missing="$missing util-linux"
dpkg -s busybox-static >/dev/null 2>&1 || missing="$missing busybox-static"
[ -x /usr/bin/time ] || missing="$missing time"
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
ninja -C "$build" cata-runtime >"$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }

cata=$build/cata-runtime
crun=$(command -v crun)
runc=$(command -v runc)
work=$(mktemp -d "${TMPDIR:-/tmp}/cata-bench-runtime.XXXXXX")
prefix=rb$$ # in every container id, so that the cleanup finds exactly ours
bundle=$work/bundle
# A tmpfs, as /run is on a host (every runtime's state): on this machine's ext4 /tmp each
# mkdir and rmdir of a state directory took milliseconds.
mount -t tmpfs -o mode=0700 cata-bench "$work"
rts="cata crun runc"
declare -A bin=([cata]=$cata [crun]=$crun [runc]=$runc)
declare -A wrap=([cata]=0 [crun]=0 [runc]=0) # 1: run with the cgroup2 mount hidden
declare -A why=()
# The parents of cata-runtime's cgroups (/cata-runtime/<id>) that are not there yet: the cleanup
# removes those it made, when they are empty again.
new_parents=
for h in /sys/fs/cgroup/*/; do
        [ -d "${h}cata-runtime" ] || new_parents="$new_parents ${h}cata-runtime"
done

# The wrapper that crun needs on this hybrid host: a private mount namespace without the
# cgroup2 mount. unshare -m makes the mounts private first, so the umount stays in there. crun
# still makes a directory per container under the uncovered directory (for the v2 line of
# /proc/self/cgroup), in the host's /sys/fs/cgroup tmpfs: cgroup-cleanup.sh removes them at the
# end (a private tmpfs over it, as bench-containers mounts, would cost one more exec of
# mount(8) in every timed run here). Used as "${hidden[@]}" CMD ARGS...
# shellcheck disable=SC2016 # "$0" "$@" are for the inner sh
hidden=(unshare -m sh -c 'umount '"$unified"' && exec "$0" "$@"')

# Runs on every exit, also after a failure or ^C. Removes what a failed or interrupted run left:
# containers in each runtime's state directory, processes still in our cgroups, the cgroups, the
# temporary directory.
cleanup() {
        status=$?
        set +e
        for rt in $rts; do
                root=$work/root-$rt
                [ -d "$root" ] || continue
                for d in "$root"/*/; do
                        [ -d "$d" ] || continue
                        id=$(basename "$d")
                        "${bin[$rt]}" --root "$root" delete --force "$id" >/dev/null 2>&1 ||
                                "${hidden[@]}" "${bin[$rt]}" --root "$root" delete --force "$id" \
                                        >/dev/null 2>&1
                done
        done
        # Processes left in our cgroups (those of a hung or killed agent), the cgroups, and
        # what crun made in plain and hidden directories there.
        "$src/bench/cgroup-cleanup.sh" "$prefix"
        for p in $new_parents; do
                [ -d "$p" ] && rmdir "$p" 2>/dev/null
        done
        awk -v w="$work" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo |
                sort -r | while read -r m; do umount -l "$m"; done
        rm -rf --one-file-system "$work"
        [ $status = 0 ] || say "failed"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the busybox bundle in $bundle"
"$src/tests/rootfs/make-rootfs.sh" "$bundle/rootfs"
# scripts/demo-config.json: Kata's shape (namespaces pid, ipc, uts and mount, no network
# namespace; 128 MiB memory and 256 pids limits; no cgroupsPath), with a relative root.
sed -e 's|@ARGS@|"true"|' "$src/scripts/demo-config.json" >"$bundle/config.json"
grep -q '"args": \[ "true" \]' "$bundle/config.json" ||
        die "scripts/demo-config.json: no @ARGS@ to replace"
for rt in $rts; do
        mkdir -p "$work/root-$rt"
done

# One timed command: appends "<wall ms> <peak RSS KiB>" to $work/<row>.samples (nothing when
# row is empty: a warm-up). Wall time comes from bash's $EPOCHREALTIME (microseconds, no fork)
# around /usr/bin/time, whose %e has only 10 ms steps; /usr/bin/time gives %M, the ru_maxrss of
# wait4(): the largest RSS of the process or of any descendant it reaped, not their sum. The
# command's stdout and stderr go to $work/out. Returns the command's status.
timed() {
        local row=$1 t0 t1 st=0
        shift
        t0=${EPOCHREALTIME/./}
        /usr/bin/time -o "$work/time.out" -f '%M' "$@" </dev/null >"$work/out" 2>&1 || st=$?
        t1=${EPOCHREALTIME/./}
        if [ $st = 0 ] && [ -n "$row" ]; then
                echo "$(((t1 - t0) / 1000)).$(printf %03d $(((t1 - t0) % 1000))) $(tail -n 1 \
                        "$work/time.out")" >>"$work/$row.samples"
        fi
        return $st
}

# `BIN --root R run --bundle B ID`, in the wrapper when the runtime needs it.
run_rt() {
        local row=$1 rt=$2 id=$3
        if [ "${wrap[$rt]}" = 1 ]; then
                timed "$row" "${hidden[@]}" "${bin[$rt]}" --root "$work/root-$rt" run \
                        --bundle "$bundle" "$id"
        else
                timed "$row" "${bin[$rt]}" --root "$work/root-$rt" run --bundle "$bundle" "$id"
        fi
}

layout=pure-v1
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && layout=v2
if [ $layout = pure-v1 ] && grep -q " $unified .* cgroup2 " /proc/self/mountinfo; then
        layout="hybrid (v1 controllers, cgroup2 at $unified)"
fi

# Warm-ups, not counted. Each runtime's first run is tried plain; when it fails on the hybrid
# host, that runtime runs in the wrapper from then on (crun 1.8 refuses hybrid cgroups).
say "warming up ($warmups runs of each)"
for w in $(seq 1 $warmups); do
        for rt in $rts; do
                id=$prefix-$rt-w$w
                run_rt "" "$rt" "$id" && continue
                first=$(head -n 1 "$work/out")
                if [ "${wrap[$rt]}" = 0 ] && [ "$layout" != pure-v1 ] && [ "$layout" != v2 ]; then
                        say "$rt run failed plain ($first); trying again without $unified"
                        "${bin[$rt]}" --root "$work/root-$rt" delete --force "$id" \
                                >/dev/null 2>&1 || true
                        wrap[$rt]=1
                        why[$rt]=$first
                        run_rt "" "$rt" "$id" && continue
                fi
                cat "$work/out" >&2
                die "$rt run $id failed"
        done
done

rows="cata crun runc harness"
wrapped=
for rt in $rts; do
        [ "${wrap[$rt]}" = 1 ] && wrapped="$wrapped $rt"
done
[ -z "$wrapped" ] || rows="$rows wrapper"

# One iteration runs every row once; the row that goes first rotates.
say "measuring: $iters interleaved iterations of: $rows"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r -a order <<<"$rows"
for i in $(seq 1 "$iters"); do
        for k in "${!order[@]}"; do
                row=${order[$(((i + k) % ${#order[@]}))]}
                case $row in
                harness) timed harness /bin/true ;;
                wrapper) timed wrapper "${hidden[@]}" /bin/true ;;
                *) run_rt "$row" "$row" "$prefix-$row-$i" ;;
                esac || { cat "$work/out" >&2; die "$row, iteration $i, failed"; }
        done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# median (mean of the middle two for an even count), p90 (nearest rank: a real sample) of the
# wall times, median of the peak RSS.
stats() {
        {
                sort -n -k1,1 "$work/$1.samples" | awk '{ v[NR] = $1 } END {
                        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        printf "%.2f %.2f", m, v[int((9 * NR + 9) / 10)] }'
                echo -n " "
                sort -n -k2,2 "$work/$1.samples" | awk '{ v[NR] = $2 } END {
                        printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
        }
}
declare -A med p90 rss
for row in $rows; do
        read -r "med[$row]" "p90[$row]" "rss[$row]" <<<"$(stats "$row")"
done
declare -A label=(
        [cata]="\`cata-runtime run\`"
        [crun]="\`crun run\`"
        [runc]="\`runc run\`"
)
for rt in $wrapped; do
        label[$rt]="${label[$rt]} (in the wrapper)"
done

echo "Linux $(uname -r), $(nproc) CPUs, cgroups $layout; $("$cata" --version | head -n 1);" \
        "$(crun --version | head -n 1); $(runc --version | head -n 1)"
echo
echo "### \`run --bundle B ID\` of \`true\` ($iters iterations, interleaved)"
echo
echo "| runtime | median ms | p90 ms | this / cata-runtime | median peak RSS KiB |"
echo "|---|---:|---:|---:|---:|"
for rt in $rts; do
        ratio=$(awk -v a="${med[$rt]}" -v b="${med[cata]}" 'BEGIN { printf "%.2f", a / b }')
        echo "| ${label[$rt]} | ${med[$rt]} | ${p90[$rt]} | $ratio | ${rss[$rt]} |"
done
echo
echo "Commit $CATA_BENCH_COMMIT on $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" \
        "($(nproc) CPUs, Linux $(uname -r)); load average (1, 5, 15 min) $load_before before," \
        "$load_after after."
echo
extra=$(awk -v a="${med[wrapper]:-0}" -v b="${med[harness]}" 'BEGIN { printf "%.2f", a - b }')
echo "Every row runs through \`/usr/bin/time -f %M\` (for the peak RSS). That harness alone," \
        "\`/usr/bin/time /bin/true\` timed in the same iterations, takes a median" \
        "${med[harness]} ms (p90 ${p90[harness]} ms, peak RSS ${rss[harness]} KiB) and is" \
        "included in every row."
for rt in $wrapped; do
        echo
        echo "$rt ran as \`unshare -m sh -c 'umount $unified && exec \"\$0\" \"\$@\"'" \
                "$rt ...\`: plain $rt says \"${why[$rt]}\" on this hybrid cgroup host. Its peak" \
                "RSS is then the largest of unshare, sh and $rt (each exec replaces the image)."
done
if [ -n "$wrapped" ]; then
        echo
        echo "That wrapper alone (the same with \`/bin/true\` instead of the runtime, under the" \
                "same harness, in the same iterations) takes a median ${med[wrapper]} ms, p90" \
                "${p90[wrapper]} ms: $extra ms over the harness, included in the${wrapped} row."
fi
if [ -n "${med[crun]:-}" ]; then
        echo
        own=$(awk -v c="${med[cata]}" -v r="${med[crun]}" -v h="${med[harness]}" \
                -v x="${extra:-0}" 'BEGIN { printf "%.2f / %.2f = %.2f", c - h, r - h - x,
                        (c - h) / (r - h - x) }')
        echo "cata-runtime / crun, the same work: $(awk -v c="${med[cata]}" -v r="${med[crun]}" \
                'BEGIN { printf "%.2f", c / r }') with harness and wrapper included; with both" \
                "taken off (medians subtracted, so only roughly): $own."
fi
