# The cases of tests/e2e/run-e2e.sh (sourced). Each runs ctr with a timeout, so a hang is a
# failure and never a stuck suite, and checks only what ctr and containerd report.

runtime=io.containerd.kata.v2
T=${E2E_TIMEOUT:-120}
# ctr run forwards SIGTERM to the task and keeps waiting: a hung ctr needs SIGKILL.
TK="-k 5 $T"

# run_ctr OUT ERR ARGS...: ctr with the held-open FIFO as stdin; returns ctr's exit code.
run_ctr() {
        local o=$1 e=$2
        shift 2
        timeout $TK ctr --address "$work/containerd.sock" -n "$ns" "$@" <&3 >"$o" 2>"$e"
}

# Removes whatever a failed case left of container ID.
forget() {
        timeout 30 ctr --address "$work/containerd.sock" -n "$ns" task kill -s SIGKILL "$1" \
                >/dev/null 2>&1 || true
        timeout 30 ctr --address "$work/containerd.sock" -n "$ns" task rm -f "$1" \
                >/dev/null 2>&1 || true
        timeout 30 ctr --address "$work/containerd.sock" -n "$ns" container rm "$1" \
                >/dev/null 2>&1 || true
}

show() { # FILE: the first lines of a log, indented, for a failure message
        sed -n '1,12p' "$1" 2>/dev/null | sed 's/^/    /'
}

events_pid=""
start_events() {
        ctr --address "$work/containerd.sock" events >"$work/events-$mode.log" 2>&1 &
        events_pid=$!
}
stop_events() {
        [ -n "$events_pid" ] || return 0
        kill "$events_pid" 2>/dev/null || true
        wait "$events_pid" 2>/dev/null || true
        events_pid=""
}
# wait_event TOPIC ID SECONDS [PATTERN]: a containerd event about container ID.
wait_event() {
        local i
        for i in $(seq $((${3} * 10))); do
                if grep -F " $1 " "$work/events-$mode.log" | grep -F "\"container_id\":\"$2\"" |
                        grep -qE "${4:-.}"; then
                        return 0
                fi
                sleep 0.1
        done
        return 1
}

# ---- cases ---------------------------------------------------------------------------------

case_echo() {
        local id=$mode-echo rc
        run_ctr "$work/o" "$work/e" run --rm --runtime "$runtime" "$image" "$id" \
                sh -c 'echo hello from cata'
        rc=$?
        if [ "$rc" = 0 ] && [ "$(cat "$work/o")" = "hello from cata" ]; then
                ok "ctr run --rm echo: output and exit code 0"
        else
                fail "ctr run --rm echo: exit $rc, output: $(head -c 200 "$work/o")"
                show "$work/e"
                forget "$id"
        fi
}

case_exit_code() {
        local id=$mode-exit rc
        run_ctr "$work/o" "$work/e" run --rm --runtime "$runtime" "$image" "$id" \
                sh -c 'echo before exit; echo to stderr >&2; exit 7'
        rc=$?
        if [ "$rc" = 7 ] && [ "$(cat "$work/o")" = "before exit" ] &&
                grep -q "to stderr" "$work/e"; then
                ok "ctr run --rm: non-zero exit code 7, stdout and stderr"
        else
                fail "ctr run --rm exit 7: got exit $rc, output: $(head -c 200 "$work/o")"
                show "$work/e"
                forget "$id"
        fi
}

agent_pid_of() { # SANDBOX ID: the namespace guest's agent
        pgrep -f -- "--addr=unix://$work/vms/$1/agent.sock" | head -n 1
}

case_detached() { # EXECS: how many more execs to count the agent's fds over (namespace guest)
        local id=$mode-detached rc rm_rc i pid fd0 fd1 st
        run_ctr "$work/o" "$work/e" run -d --runtime "$runtime" "$image" "$id" sleep 600
        rc=$?
        if [ "$rc" != 0 ]; then
                fail "ctr run -d: exit $rc"
                show "$work/e"
                forget "$id"
                return
        fi
        ok "ctr run -d sleep 600"
        run_ctr "$work/o" "$work/e" task exec --exec-id x1 "$id" \
                sh -c 'echo exec says hi; echo exec err >&2; exit 5'
        rc=$?
        if [ "$rc" = 5 ] && [ "$(cat "$work/o")" = "exec says hi" ] &&
                grep -q "exec err" "$work/e"; then
                ok "ctr task exec: output and exit code 5"
        else
                fail "ctr task exec: exit $rc, output: $(head -c 200 "$work/o")"
                show "$work/e"
        fi
        if [ "${1:-0}" -gt 0 ]; then
                pid=$(agent_pid_of "$id")
                fd0=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
                for i in $(seq "$1"); do
                        run_ctr "$work/o" "$work/e" task exec --exec-id "n$i" "$id" true ||
                                break
                done
                fd1=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
                if [ -n "$pid" ] && [ "$i" = "$1" ] && [ "$fd0" -gt 0 ] && [ "$fd0" = "$fd1" ]; then
                        ok "$1 more execs: the agent's open fds stay at $fd0"
                else
                        fail "$1 more execs (reached $i): agent pid '${pid}' fds $fd0 -> $fd1"
                fi
        fi
        run_ctr "$work/o" "$work/e" task kill -s SIGKILL "$id"
        rc=$?
        st=""
        for i in $(seq 100); do
                st=$(ctr_ task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $3}')
                [ "$st" = STOPPED ] && break
                sleep 0.1
        done
        if [ "$rc" = 0 ] && [ "$st" = STOPPED ] &&
                wait_event /tasks/exit "$id" 5 '"exit_status":137'; then
                ok "ctr task kill -s SIGKILL: task STOPPED, /tasks/exit with exit_status 137"
        else
                fail "ctr task kill: exit $rc, task status '$st', no /tasks/exit 137 event"
                show "$work/e"
        fi
        run_ctr "$work/o" "$work/e" task rm "$id"
        rc=$?
        run_ctr "$work/o2" "$work/e2" container rm "$id"
        rm_rc=$?
        # ctr 1.6 reports the exit code as a warning and exits 0; later versions exit with it.
        if { [ "$rc" = 137 ] || grep -q "exit code 137" "$work/e"; } && [ "$rm_rc" = 0 ] &&
                [ -z "$(ctr_ container ls -q | grep -Fx "$id")" ]; then
                ok "ctr task rm reports exit code 137; container removed"
        else
                fail "ctr task rm: exit $rc (want 137), container rm: $(cat "$work/e2")"
                show "$work/e"
                forget "$id"
        fi
}

case_tty() {
        local id=$mode-tty rc cmd
        # Kata sends the size (TtyWinResize) only after StartContainer: the process waits for it
        # rather than race it (at most 5 s).
        cmd="stty rows 33 cols 111; ctr --address $work/containerd.sock -n $ns run -t --rm"
        cmd="$cmd --runtime $runtime $image $id sh -c '"
        cmd="$cmd for i in \$(seq 50); do s=\$(stty size 2>/dev/null);"
        cmd="$cmd case \$s in \"\"|\"0 0\") sleep 0.1;; *) break;; esac; done;"
        cmd="$cmd [ -t 0 ] && echo \"tty size \$s\"'"
        timeout $TK script -qec "$cmd" /dev/null <&3 >"$work/o" 2>"$work/e"
        rc=$?
        if [ "$rc" = 0 ] && tr -d '\r' <"$work/o" | grep -qx "tty size 33 111"; then
                ok "ctr run -t: stdin is a tty of 33 rows and 111 columns (stty size)"
        else
                fail "ctr run -t stty size: exit $rc, output: $(tr -d '\r' <"$work/o" |
                        head -c 200)"
                show "$work/e"
                forget "$id"
        fi
}

wait_running() { # ID: until ctr lists the task RUNNING (10 s)
        local i st
        for i in $(seq 100); do
                st=$(ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}')
                [ "$st" = RUNNING ] && return 0
                sleep 0.1
        done
        return 1
}

case_stdin() {
        local id=$mode-stdin rc pid i want
        want=$(printf 'line one\nline two')
        # Stdin stays open: with ctr, Kata 3.5.0's shim never delivers stdin's end (its CloseIO
        # waits for the FIFO to close, which ctr does only after CloseIO returned; docs/e2e.md).
        # cat echoes what it got, then the task is killed.
        timeout $TK ctr --address "$work/containerd.sock" -n "$ns" run --rm \
                --runtime "$runtime" "$image" "$id" cat <&3 >"$work/stdin.out" 2>"$work/e" &
        pid=$!
        wait_running "$id" && printf 'line one\nline two\n' >&3
        for i in $(seq 100); do
                [ "$(cat "$work/stdin.out")" = "$want" ] && break
                sleep 0.1
        done
        ctr_ task kill -s SIGKILL "$id" >/dev/null 2>&1
        wait "$pid"
        rc=$?
        if [ "$(cat "$work/stdin.out")" = "$want" ] && [ "$rc" = 137 ]; then
                ok "stdin piped through cat: both lines back; SIGKILL ends it with 137"
        else
                fail "stdin through cat: exit $rc, output: $(head -c 200 "$work/stdin.out")"
                show "$work/e"
                forget "$id"
        fi
}

case_seed() {
        local id=$mode-seed rc
        # The seed scenario: stdout O_NONBLOCK, then 70,000 and 524,288 bytes in single writes.
        run_ctr "$work/seed.out" "$work/e" run --rm --runtime "$runtime" "$image" "$id" \
                cata-stdio-helper burst 70000 524288
        rc=$?
        "$helper" gen 594288 >"$work/seed.expected"
        if [ "$rc" = 0 ] && cmp -s "$work/seed.out" "$work/seed.expected" &&
                ! grep -q EAGAIN "$work/e"; then
                ok "O_NONBLOCK stdout, bursts of 70,000 and 524,288 bytes: all 594,288 bytes in order, no EAGAIN"
        else
                fail "bursts: exit $rc, got $(stat -c %s "$work/seed.out") of 594288 bytes"
                show "$work/e"
                forget "$id"
        fi
}

case_oom() {
        local sid=$mode-pod id=$mode-oom rc
        local a=io.kubernetes.cri
        # Kata (like the Rust agent) watches every container but the sandbox's own for OOM
        # kills, so the victim is a second container in a pod, joined by the CRI annotations.
        run_ctr "$work/o" "$work/e" run -d --runtime "$runtime" \
                --annotation "$a.container-type=sandbox" --annotation "$a.sandbox-id=$sid" \
                "$image" "$sid" sleep 600
        rc=$?
        if [ "$rc" != 0 ]; then
                fail "a pod's sandbox container (ctr run -d): exit $rc"
                show "$work/e"
                forget "$sid"
                return
        fi
        run_ctr "$work/o" "$work/e" run --rm --runtime "$runtime" \
                --annotation "$a.container-type=container" --annotation "$a.sandbox-id=$sid" \
                --memory-limit 33554432 "$image" "$id" \
                sh -c 'echo filling; dd if=/dev/zero of=/dev/null bs=128M count=1'
        rc=$?
        if wait_event /tasks/oom "$id" 10; then
                ok "a second container in a pod, limited to 32 MiB, OOM-killed: ctr events shows /tasks/oom"
        else
                fail "no /tasks/oom event for $id (ctr exit $rc)"
                show "$work/e"
                forget "$id"
        fi
        if [ "$rc" = 137 ]; then
                ok "the OOM-killed container exits 137"
        else
                fail "the OOM-killed container exits $rc (want 137)"
        fi
        run_ctr "$work/o" "$work/e" task kill -s SIGKILL "$sid"
        wait_event /tasks/exit "$sid" 10
        run_ctr "$work/o" "$work/e" task rm "$sid"
        run_ctr "$work/o" "$work/e" container rm "$sid" || forget "$sid"
}

# What a pod could leave behind on this host, as one comparable text.
leftovers() {
        echo "processes:"
        pgrep -a -f "cata-agent --addr=unix://$work/vms" || true
        # Only ours: other QEMUs and shims on the machine are not this run's.
        pgrep -a -f "containerd-shim-kata-v2 .*$work/containerd.sock" || true
        pgrep -a -f "qemu-system-.*$work/vms/" || true
        echo "mounts:"
        grep -E "kata-containers|$work/containerd" /proc/self/mountinfo | awk '{print $5}' |
                sort
        echo "cgroups:"
        # Not kata_overhead/<sandbox>: the shim's own host cgroup, which Kata 3.5.0 leaves behind
        # in the hugetlb, net_cls, net_prio and perf_event hierarchies (docs/e2e.md).
        find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -name "$mode-*" 2>/dev/null |
                grep -v '/kata_overhead/' | sort
        echo "files:"
        find "$work/vms" /run/kata-containers /run/vc "$work/containerd-state" \
                \( -name "$mode-*" -o -type s -o -type f \) 2>/dev/null | grep -v '/log$' |
                grep -vF "$work/containerd-state/io.containerd.runtime.v2.task/$ns/" |
                grep -v '\.sock' | sort
        echo "containers:"
        ctr_ container ls -q
        ctr_ task ls -q
}

case_loop() { # N
        local i rc bad=0
        for i in $(seq "$1"); do
                run_ctr "$work/o" "$work/e" run --rm --runtime "$runtime" "$image" \
                        "$mode-loop-$i" sh -c "echo pod $i"
                rc=$?
                if [ "$rc" != 0 ] || [ "$(cat "$work/o")" != "pod $i" ]; then
                        bad=$((bad + 1))
                        echo "  pod $i: exit $rc, output: $(head -c 100 "$work/o")"
                        show "$work/e"
                        forget "$mode-loop-$i"
                fi
        done
        if [ "$bad" = 0 ]; then
                ok "$1 pods in a row: every output and exit code right"
        else
                fail "$1 pods in a row: $bad failed"
        fi
        # Shims and guests exit a moment after `ctr run --rm` returns.
        for i in $(seq 100); do
                leftovers >"$work/after-$mode"
                cmp -s "$work/before-$mode" "$work/after-$mode" && break
                sleep 0.1
        done
        if cmp -s "$work/before-$mode" "$work/after-$mode"; then
                ok "nothing left behind: processes, mounts, cgroups, files, containers"
        else
                fail "left behind after $1 pods:"
                diff "$work/before-$mode" "$work/after-$mode" | sed 's/^/    /' | head -n 30
        fi
}

# E2E_CASES picks cases by name (default: all).
want_case() { [ -z "${E2E_CASES:-}" ] || [[ " $E2E_CASES " == *" $1 "* ]]; }

run_cases() { # EXECS_FOR_FD_CHECK LOOP_PODS
        start_events
        leftovers >"$work/before-$mode"
        want_case echo && case_echo
        want_case exit && case_exit_code
        want_case detached && case_detached "$1"
        want_case tty && case_tty
        want_case stdin && case_stdin
        want_case seed && case_seed
        want_case oom && case_oom
        want_case loop && case_loop "$2"
        stop_events
}

run_cases_namespace() {
        run_cases 20 "$loop_n"
}

# TCG boots each pod's VM in ~10 s on 2 cores: the leak loop runs fewer pods (E2E_VM_LOOP), and
# the agent's fds inside the guest are not counted.
run_cases_qemu() {
        run_cases 0 "${E2E_VM_LOOP:-3}"
}
