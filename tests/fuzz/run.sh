#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh [BUILD_DIR [SECONDS]]: fuzz every target for SECONDS (default 60)
# in a clang build with libFuzzer, ASan and UBSan, set up in BUILD_DIR
# (default build-fuzz) if it is missing, and print executions per second.
# Two targets run at a time: seven targets take about 4*SECONDS plus the build.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-fuzz}
secs=${2:-${IVSHARE_FUZZ_SECONDS:-60}}

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false
elif ! meson configure "$build" | grep -Eq '^ *fuzzing +true'; then
    meson configure "$build" -Dfuzzing=true
fi
ninja -C "$build"
rc=0
IVSHARE_FUZZ_SECONDS=$secs meson test -C "$build" --suite fuzz --num-processes 2 \
    --print-errorlogs || rc=$?
echo
echo "Fuzzing for $secs s per target:"
cat "$build"/tests/fuzz/runs/*/stats
exit $rc
