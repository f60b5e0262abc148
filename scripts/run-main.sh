#!/bin/sh
# The main job: install, build, start cata-agent on a local unix socket and drive it with
# cata-ctl. (Containers join this demo with the container-engine issue.)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
build=${BUILD_DIR:-$src/build}
"$src/scripts/build.sh" "$build"

work=$(mktemp -d /tmp/cata-main.XXXXXX)
addr="unix://$work/agent.sock"
: >"$work/cmdline" # an empty kernel command line: all defaults
"$build/cata-agent" --addr "$addr" --cmdline "$work/cmdline" 2>"$work/agent.log" &
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
echo "\$ cata-ctl call grpc.AgentService CreateContainer   # not implemented yet: says so"
"$build/cata-ctl" --addr "$addr" call grpc.AgentService CreateContainer || true
echo
echo "agent log (JSON lines, Kata's format):"
head -n 3 "$work/agent.log"
