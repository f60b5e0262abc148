#!/bin/sh
# Configures (once) and builds one build directory: build.sh DIR [meson options...]
set -eu
dir=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$src" "$@" >"$dir.setup.log" 2>&1 || {
                cat "$dir.setup.log"
                exit 1
        }
fi
ninja -C "$dir" >"$dir.build.log" 2>&1 || {
        cat "$dir.build.log"
        exit 1
}
