# Shared by tests/vm/run-vm-test.sh and tests/e2e/run-e2e.sh (sourced): the guest kernel and
# the static cata-agent the test guests run.

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
