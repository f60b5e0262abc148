#!/bin/sh
# Fails when a C file is not formatted per .clang-format (generated code is not checked in).
set -eu
root=${1:-.}
cd "$root"
fmt=$(command -v clang-format-14 || command -v clang-format)
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]'); do
        if ! "$fmt" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
                echo "not formatted: $f (run: clang-format -i $f)"
                bad=1
        fi
done
[ "$bad" = 0 ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
