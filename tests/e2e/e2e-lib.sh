# Helpers for tests/e2e/run-e2e.sh (sourced): a private containerd, a /dev/log listener, the
# busybox image, the Kata configuration and the remote hypervisor service. Every function uses
# the globals set by run-e2e.sh ($work, $src, $out, $ns, ...).

log() { echo "e2e: $*"; }

# ---- /dev/log ------------------------------------------------------------------------------
# Kata's shim refuses to start without a syslog socket; a machine without one gets busybox's
# syslogd for the run (and the socket is removed afterwards).
syslog_pid=""
start_syslog() {
        [ -S /dev/log ] && return 0
        busybox syslogd -n -O "$work/syslog.log" &
        syslog_pid=$!
        for _ in $(seq 50); do
                [ -S /dev/log ] && return 0
                sleep 0.1
        done
        return 1
}
stop_syslog() {
        [ -n "$syslog_pid" ] || return 0
        kill "$syslog_pid" 2>/dev/null || true
        wait "$syslog_pid" 2>/dev/null || true
        rm -f /dev/log
        syslog_pid=""
}

# ---- containerd ----------------------------------------------------------------------------
# Its own config, root, state and sockets under $work: a system containerd is never touched.
containerd_pid=""
start_containerd() {
        mkdir -p "$work/bin" "$work/containerd-root" "$work/containerd-state"
        ln -sf "$KATA_SHIM" "$work/bin/containerd-shim-kata-v2"
        cat >"$work/containerd.toml" <<CFG
version = 2
root = "$work/containerd-root"
state = "$work/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
CFG
        PATH="$work/bin:$PATH" KATA_CONF_FILE="$work/kata.toml" \
                containerd --config "$work/containerd.toml" --log-level debug \
                >"$work/containerd.log" 2>&1 &
        containerd_pid=$!
        for _ in $(seq 100); do
                ctr_ version >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}
stop_containerd() {
        [ -n "$containerd_pid" ] || return 0
        kill "$containerd_pid" 2>/dev/null || true
        for _ in $(seq 50); do
                kill -0 "$containerd_pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -9 "$containerd_pid" 2>/dev/null || true
        wait "$containerd_pid" 2>/dev/null || true
        containerd_pid=""
        # containerd leaves its snapshot mounts behind when killed mid-run.
        grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
                while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

ctr_() { ctr --address "$work/containerd.sock" -n "$ns" "$@"; }

# ---- the image -----------------------------------------------------------------------------
# One-layer OCI archive built offline: the suite's busybox rootfs plus the stdio helper.
image=docker.io/cata-e2e/busybox:latest
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }
build_image() {
        local d=$work/image blobs l c m
        blobs=$d/blobs/sha256
        mkdir -p "$blobs"
        sh "$src/tests/rootfs/make-rootfs.sh" "$work/image-rootfs" "$helper" >/dev/null
        tar -C "$work/image-rootfs" --numeric-owner --owner=0 --group=0 --sort=name \
                -cf "$d/layer.tar" .
        l=$(sha_of "$d/layer.tar")
        mv "$d/layer.tar" "$blobs/$l"
        printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$l\"]}}" >"$d/config.json"
        c=$(sha_of "$d/config.json")
        printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$c\",\"size\":$(size_of "$d/config.json")},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$l\",\"size\":$(size_of "$blobs/$l")}]}" >"$d/manifest.json"
        m=$(sha_of "$d/manifest.json")
        mv "$d/config.json" "$blobs/$c"
        printf '%s' "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$m\",\"size\":$(size_of "$d/manifest.json"),\"annotations\":{\"io.containerd.image.name\":\"$image\",\"org.opencontainers.image.ref.name\":\"latest\"}}]}" >"$d/index.json"
        mv "$d/manifest.json" "$blobs/$m"
        printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
        tar -C "$d" -cf "$work/busybox-oci.tar" oci-layout index.json blobs
        ctr_ image import "$work/busybox-oci.tar" >"$work/import.log" 2>&1
}

# ---- Kata's configuration --------------------------------------------------------------------
# The settings Kata's `remote` hypervisor type needs (its configuration-remote.toml.in).
write_kata_config() { # DIAL_TIMEOUT_S
        cat >"$work/kata.toml" <<CFG
[hypervisor.remote]
remote_hypervisor_socket = "$work/hv.sock"
remote_hypervisor_timeout = 600
disable_guest_selinux = true

[agent.kata]
dial_timeout = $1

[runtime]
internetworking_model = "none"
disable_guest_seccomp = true
disable_new_netns = true
static_sandbox_resource_mgmt = true
# Seconds; 0 (the default when unset) makes every CreateContainer time out at once.
create_container_timeout = 60
enable_debug = true
CFG
}

# ---- the remote hypervisor service ----------------------------------------------------------
hv_pid=""
start_hv() { # ARGS...
        mkdir -p "$work/guest-logs"
        "$hv_bin" --socket "$work/hv.sock" --state-dir "$work/vms" --log-dir "$work/guest-logs" \
                --log-level debug "$@" >>"$work/remote-hv.log" 2>&1 &
        hv_pid=$!
        for _ in $(seq 50); do
                [ -S "$work/hv.sock" ] && return 0
                sleep 0.1
        done
        return 1
}
stop_hv() {
        [ -n "$hv_pid" ] || return 0
        kill "$hv_pid" 2>/dev/null || true
        for _ in $(seq 100); do
                kill -0 "$hv_pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -9 "$hv_pid" 2>/dev/null || true
        wait "$hv_pid" 2>/dev/null || true
        hv_pid=""
        rm -f "$work/hv.sock"
}

# ---- the QEMU guest --------------------------------------------------------------------------
# The VM test's initramfs (static cata-agent as PID 1 after a busybox /init that mounts the 9p
# share) and the installed Debian kernel.
vm_kernel=""
vm_initrd=""
prepare_qemu_guest() {
        local kver agent
        command -v qemu-system-x86_64 >/dev/null || {
                log "qemu-system-x86_64 missing (qemu-system-x86)"
                return 1
        }
        . "$src/tests/vm/vm-lib.sh"
        kver=$(vm_kernel_version) || {
                log "no /boot/vmlinuz-* with /lib/modules/* (linux-image-amd64)"
                return 1
        }
        vm_kernel=/boot/vmlinuz-$kver
        agent=$(vm_static_agent "$src" "$out") || {
                log "static cata-agent build failed"
                return 1
        }
        vm_initrd=$work/initrd.gz
        bash "$src/tests/vm/make-initramfs.sh" "$vm_initrd" "$agent" "$kver" >/dev/null
}
