#!/bin/bash
# End-to-end: real Kata pods on cata, through Kata's own unmodified shim.
#
# ctr -> containerd (Debian's, private instance) -> containerd-shim-kata-v2 ($KATA_SHIM, Kata's
# `remote` hypervisor type) -> cata-remote-hv (hypervisor.Hypervisor) -> a guest running
# cata-agent, which the shim then drives over the agent socket. Two guests:
#   namespace  cata-agent on this host, in a mount namespace derived from the shim's
#   qemu       a QEMU (TCG) VM with cata-agent as PID 1, the shim's share over 9p, the agent
#              socket being the host end of the `agent.channel.0` virtio-serial port
# Every case is checked from what ctr and containerd report. See docs/e2e.md.
#
# Usage: tests/e2e/run-e2e.sh            (as root)
# Environment: KATA_SHIM (default ../shared/kata/containerd-shim-kata-v2 next to the repo),
#              E2E_GUESTS ("namespace qemu"), BUILD_ROOT (default _build), E2E_KEEP=1 keeps
#              the work directory (logs), E2E_LOOP (pods in the leak loop, default 20).
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${BUILD_ROOT:-$src/_build}
KATA_SHIM=${KATA_SHIM:-$src/../shared/kata/containerd-shim-kata-v2}
guests=${E2E_GUESTS:-namespace qemu}
loop_n=${E2E_LOOP:-20}
ns=cata-e2e
passed=0
failed=0
work=""
mode=""

. "$src/tests/e2e/e2e-lib.sh"
. "$src/tests/e2e/e2e-cases.sh"

ok() {
        echo "e2e[$mode]: ok: $1"
        passed=$((passed + 1))
}
fail() {
        echo "e2e[$mode]: FAILED: $1"
        failed=$((failed + 1))
}
die() {
        echo "e2e: $*" >&2
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
}

cleanup() {
        stop_hv
        stop_containerd
        stop_syslog
        exec 3>&- 2>/dev/null || true
        if [ -n "$work" ] && [ -n "${E2E_KEEP:-}" ]; then
                echo "e2e: kept $work"
        elif [ -n "$work" ]; then
                rm -rf "$work"
        fi
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites -------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$KATA_SHIM" ] || die "no Kata shim at KATA_SHIM=$KATA_SHIM"
command -v containerd >/dev/null || die "containerd missing (apt-get install containerd)"
command -v ctr >/dev/null || die "ctr missing (apt-get install containerd)"
command -v script >/dev/null || die "script missing (bsdutils)"
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"
log "shim: $("$KATA_SHIM" --version 2>&1 | head -n 1)"
log "containerd: $(containerd --version)"

# ---- builds --------------------------------------------------------------------------------
"$src/scripts/build.sh" "$out/gcc" || die "build failed"
hv_bin=$out/gcc/cata-remote-hv
agent_bin=$out/gcc/cata-agent
helper=$out/gcc/tests/cata-stdio-helper
[ -x "$hv_bin" ] && [ -x "$agent_bin" ] && [ -x "$helper" ] || die "binaries missing in $out/gcc"

# ---- setup ---------------------------------------------------------------------------------
work=$(mktemp -d /tmp/cata-e2e.XXXXXX)
chmod 755 "$work"
# ctr's stdin: a FIFO we hold open, so no case sees stdin at EOF unless it means to (Kata
# 3.5.0's shim can deadlock in CloseIO before Start).
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
start_syslog || die "no /dev/log and busybox syslogd did not create one"
write_kata_config 90
start_containerd || die "containerd did not start (see $work/containerd.log)"
t0=$(date +%s)
build_image || { cat "$work/import.log"; die "image import failed"; }
log "image $image imported"

for mode in $guests; do
        t_mode=$(date +%s)
        case $mode in
        namespace)
                start_hv --guest namespace --agent "${E2E_AGENT_WRAP:-$agent_bin}" --agent-log-level debug ||
                        die "cata-remote-hv did not start"
                run_cases_namespace
                ;;
        qemu)
                prepare_qemu_guest || { fail "prepare the QEMU guest"; continue; }
                start_hv --guest qemu --kernel "$vm_kernel" --initrd "$vm_initrd" \
                        --memory 512 --kernel-params "agent.log=debug" ||
                        die "cata-remote-hv did not start"
                run_cases_qemu
                ;;
        *)
                die "unknown guest `$mode` in E2E_GUESTS"
                ;;
        esac
        stop_hv
        log "$mode guest: $(($(date +%s) - t_mode)) s"
done
mode=""
log "total $(($(date +%s) - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
