# Sourced by the VM tests (tests/vm/run-*.sh) after setting vm_name: their result lines and
# work directory, in one form.

# Results of a test named $vm_name, counted in $passed and $failed; die ends it with its line.
vm_name=${vm_name:-vm}
ok() {
        echo "$vm_name: ok: $1"
        passed=$((passed + 1))
}
fail() {
        echo "$vm_name: FAILED: $1"
        failed=$((failed + 1))
}
die() {
        echo "$vm_name: $*" >&2
        echo "$passed passed, $((failed + 1)) failed"
        exit 1
}

# Removes a test's work directory, or keeps it (and says where) when VM_KEEP is set.
vm_remove_work() { # DIR
        if [ -n "$1" ] && [ -n "${VM_KEEP:-}" ]; then
                echo "$vm_name: kept $1"
        elif [ -n "$1" ]; then
                rm -rf "$1"
        fi
}
