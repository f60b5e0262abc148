#!/bin/sh
# crun's Python tests call `crun [--cgroup-manager M] --root R run --config config.json ...`.
# runc-style runtimes (runc, cata-runtime) have neither option: this front end drops the cgroup
# manager (cgroupfs is what both use) and turns `--config DIR/config.json` into `--bundle DIR`
# (the tests run with the bundle as the working directory). $CLI_RUNTIME is the real binary.
set -eu
rt=${CLI_RUNTIME:?CLI_RUNTIME must name the runtime binary}
n=$#
i=0
while [ "$i" -lt "$n" ]; do
        a=$1
        shift
        i=$((i + 1))
        case $a in
        --cgroup-manager)
                shift
                i=$((i + 1))
                continue
                ;;
        --cgroup-manager=*) continue ;;
        --config)
                cfg=$1
                shift
                i=$((i + 1))
                d=$(dirname "$cfg")
                set -- "$@" --bundle "$d"
                continue
                ;;
        esac
        set -- "$@" "$a"
done
exec "$rt" "$@"
