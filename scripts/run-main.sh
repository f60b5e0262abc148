#!/bin/sh
# The main job: install, build, start cata-agent on a local unix socket and drive it with
# cata-ctl: health, guest details, then real containers from a busybox rootfs.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
build=${BUILD_DIR:-$src/build}
"$src/scripts/build.sh" "$build"

work=$(mktemp -d /tmp/cata-main.XXXXXX)
addr="unix://$work/agent.sock"
: >"$work/cmdline" # an empty kernel command line: all defaults
"$build/cata-agent" --addr "$addr" --cmdline "$work/cmdline" --run-dir "$work/run" \
        --resolv-conf "$work/resolv.conf" 2>"$work/agent.log" &
agent=$!
cleanup() {
        kill "$agent" 2>/dev/null || true
        wait "$agent" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT INT TERM

i=0
until "$build/cata-ctl" --addr "$addr" check >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 200 ] || { cat "$work/agent.log"; exit 1; }
        sleep 0.05
done

ctl() {
        echo "\$ cata-ctl $*"
        "$build/cata-ctl" --addr "$addr" "$@"
        echo
}
ctl check
ctl version
ctl guest-details
# A pod first, as Kata's runtime does: its hostname lives in the sandbox's uts namespace.
# With the shm storage Kata's runtime sends (its mount point below the agent's run dir).
ctl sandbox create id=demo-pod hostname=demo-pod \
        storage="{\"driver\":\"ephemeral\",\"source\":\"shm\",\"fstype\":\"tmpfs\",\"mount_point\":\"$work/run/sandbox/shm\",\"options\":[\"size=67108864\"]}"
ctl volume-stats "$work/run/sandbox/shm"

# A bundle: busybox rootfs + an OCI config.json like the one Kata's runtime sends (pid, ipc,
# uts and mount namespaces, no network namespace).
"$src/tests/rootfs/make-rootfs.sh" "$work/bundle/rootfs"
bundle_config() {
        sed -e "s|@ARGS@|$1|" "$src/scripts/demo-config.json" >"$work/bundle/config.json"
}
bundle_config '"echo", "hello from a cata container"'
ctl run "$work/bundle" demo-echo
bundle_config '"uname", "-a"'
ctl run "$work/bundle" demo-uname
bundle_config '"sh", "-c", "echo pid $$ in $(hostname); exit 3"'
echo "\$ cata-ctl run BUNDLE demo-exit   # exits with the container's code"
"$build/cata-ctl" --addr "$addr" run "$work/bundle" demo-exit || echo "exit status: $?"
echo
# The pod ends: the agent tears everything down and stops serving (as PID 1 it powers off).
ctl sandbox destroy
echo "agent log (JSON lines, Kata's format), first lines:"
head -n 3 "$work/agent.log"
