# Shared by the VM tests (tests/vm/run-*.sh) and tests/e2e/run-e2e.sh (sourced): the guest
# kernel and the static cata-agent the test guests run.

# Prints the newest kernel version that has both /boot/vmlinuz-* and /lib/modules/*, or
# $KERNEL_VERSION.
vm_kernel_version() {
        local k kver=${KERNEL_VERSION:-}
        if [ -z "$kver" ]; then
                for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' \
                        2>/dev/null | sort -V); do
                        [ -f "/boot/vmlinuz-$k" ] && kver=$k
                done
        fi
        [ -n "$kver" ] && echo "$kver"
}

vm_is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; }

# Builds (once) a static cata-agent in OUT/vm-static and prints its path. Only that target: the
# static cata-ctl does not link against a shared-only libjansson.
vm_static_agent() { # SRC OUT
        local static_dir=$2/vm-static
        mkdir -p "$2"
        if [ ! -f "$static_dir/build.ninja" ]; then
                meson setup "$static_dir" "$1" -Dstatic=true -Dtests=false \
                        >"$static_dir.setup.log" 2>&1 || {
                        cat "$static_dir.setup.log" >&2
                        return 1
                }
        fi
        ninja -C "$static_dir" cata-agent >"$static_dir.build.log" 2>&1 || {
                cat "$static_dir.build.log" >&2
                return 1
        }
        vm_is_static "$static_dir/cata-agent" || return 1
        echo "$static_dir/cata-agent"
}

# Stops a QEMU started in the background: SIGTERM, up to 5 s, then SIGKILL.
vm_stop_qemu() { # PID
        [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
        kill "$1" 2>/dev/null || true
        for _ in $(seq 50); do
                kill -0 "$1" 2>/dev/null || break
                sleep 0.1
        done
        kill -9 "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
}

# cata-ctl on SOCK. A host connection right after the previous one closed can miss the
# virtio-serial port while the agent reopens it: retried on transport errors (exit 2) only.
vm_ctl() { # CTL SOCK ARGS...
        local ctl=$1 sock=$2 r=0
        shift 2
        for _ in 1 2 3 4 5; do
                timeout 90 "$ctl" --addr "unix://$sock" --timeout 60 "$@" && return 0 || r=$?
                [ "$r" = 2 ] || return "$r"
                sleep 0.3
        done
        return "$r"
}

# Waits until the agent on SOCK answers SERVING, while QEMU (PID) runs, at most SECONDS.
vm_wait_serving() { # CTL SOCK PID SECONDS
        local deadline=$(($(date +%s) + $4))
        while [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$3" 2>/dev/null; do
                if [ -S "$2" ] &&
                        [ "$(timeout 5 "$1" --addr "unix://$2" check 2>/dev/null)" = SERVING ]; then
                        return 0
                fi
                sleep 0.3
        done
        return 1
}

# Sends one QMP command on fd QMP_OUT (default 3) and prints its reply from fd QMP_IN (default
# 3); events are skipped.
vm_qmp() { # JSON
        local line
        printf '%s\n' "$1" >&"${QMP_OUT:-3}"
        while IFS= read -r -t 60 line <&"${QMP_IN:-3}"; do
                case $line in
                *'"return"'* | *'"error"'*)
                        printf '%s\n' "$line"
                        return 0
                        ;;
                esac
        done
        return 1
}
