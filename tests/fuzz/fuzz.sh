#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# fuzz.sh NAME EXE CORPUS RUNS: run one libFuzzer target for
# IVSHARE_FUZZ_SECONDS (default 60) over a copy of its corpus in RUNS/NAME,
# and print how many inputs it ran, and how many per second.
set -u
name=$1 exe=$2 corpus=$3 runs=$4
secs=${IVSHARE_FUZZ_SECONDS:-60}
work=$runs/$name
# the description schema, uninstalled
: "${IVSHARE_SCHEMA_DIR:=$(cd "$(dirname "$0")/../../schemas" && pwd)}"
export IVSHARE_SCHEMA_DIR

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts" || exit 1
cp "$corpus"/* "$work/corpus/" || exit 1
dict=$(dirname "$corpus")/../$name.dict
set -- -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/"
[ -f "$dict" ] && set -- "$@" -dict="$dict"
"$exe" "$@" "$work/corpus" >"$work/log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
found=$(ls "$work/artifacts" | wc -l)
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1)
printf '%s: %s executions in %s s, %s per second, %s, corpus %s files, %s findings\n' \
    "$name" "${execs:-0}" "$secs" "${rate:-0}" "${cov:-cov: ?}" \
    "$(ls "$work/corpus" | wc -l)" "$found" | tee "$work/stats"
if [ $rc -ne 0 ]; then
    tail -n 60 "$work/log"
    echo "$name: libFuzzer failed (exit $rc); the input is in $work/artifacts/"
fi
exit $rc
