#!/usr/bin/env bash
# The whole test suite, as root on Debian 12: installs what it needs, builds,
# prepares the host (libvirtd, virtlogd, hugepages) and runs every suite,
# then the unit and end-to-end suites again under ASan+UBSan, then every
# fuzz target for a minute (IVSHARE_FUZZ_SECONDS) with libFuzzer.
#
#   bash tests/run.sh            everything (what .ci/run runs)
#   bash tests/run.sh --quick    unit tests only, no installs
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=no
[ "${1:-}" = "--quick" ] && quick=yes

log() { printf '\n=== %s\n' "$*"; }

if [ "$quick" = no ]; then
    log "installing build and test packages"
    bash "$top/tests/install-deps.sh"
fi

log "building (build-tests)"
rm -rf build-tests
meson setup build-tests --buildtype=debugoptimized >/dev/null
ninja -C build-tests

if [ "$quick" = yes ]; then
    meson test -C build-tests --suite unit --print-errorlogs
    exit 0
fi

teardown() { bash "$top/tests/e2e/host-teardown.sh" || true; }
trap teardown EXIT
log "preparing the host: libvirtd, virtlogd, hugepages"
# unit tests on hugetlbfs run two at a time beside the guests: keep 1 GiB free
E2E_HUGEPAGES=${E2E_HUGEPAGES:-512} bash "$top/tests/e2e/host-setup.sh"

log "all suites"
meson test -C build-tests --print-errorlogs --num-processes 2

log "ASan+UBSan build: unit and end-to-end suites"
rm -rf build-asan
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --suite e2e --print-errorlogs --num-processes 2

log "fuzzing: every target for ${IVSHARE_FUZZ_SECONDS:-60} s (clang, libFuzzer, ASan+UBSan)"
rm -rf build-fuzz
bash "$top/tests/fuzz/run.sh" "$top/build-fuzz" "${IVSHARE_FUZZ_SECONDS:-60}"

# one closing line over every run above
awk '/^Ok:/ { ok += $2 } /^(Fail|Timeout|Unexpected Pass):/ { bad += $NF } /^Skipped:/ { skip += $2 }
     END { printf "%d passed, %d failed, %d skipped\n", ok, bad, skip }' \
    build-tests/meson-logs/testlog.txt build-asan/meson-logs/testlog.txt build-fuzz/meson-logs/testlog.txt
