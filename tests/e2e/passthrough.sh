#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# passthrough.sh: with the hook installed, a domain without an ivshare
# description starts and stops as before, and the hook takes a few ms for it.

source "$(dirname "$0")/lib.sh"

dom=ivshare-e2e-passthrough
runs=20

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init passthrough
e2e_conf
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_guest_files

e2e_domain_xml "$dom" --args list > "$E2E_TMP/$dom.xml"
e2e_check "domain without description defined" e2e_define "$E2E_TMP/$dom.xml" || e2e_done
e2e_start "$dom"
e2e_check "virsh start" test $? -eq 0 || e2e_diag "$(cat "$E2E_TMP/$dom.start")"
e2e_check "guest powered off by itself" e2e_wait_state "$dom" 'shut off' 300
e2e_guest_ok "$dom" "guest ran"
grep -aq 'list: 0 ivshmem devices' "$E2E_TMP/$dom.console"
e2e_check "guest has no ivshmem device" test $? -eq 0
e2e_start "$dom"
e2e_check "virsh start again" test $? -eq 0
virsh destroy "$dom" > /dev/null 2>&1
e2e_check "virsh destroy" test "$(e2e_domstate "$dom")" = "shut off"
e2e_check "the hook created no region file" test -z "$(find "$E2E_HUGE/ivshare" "$E2E_TMP/shm" -mindepth 1)"

# Time the hook itself for this domain: prepare and release, $runs times.
times=()
failed=0
for _ in $(seq "$runs"); do
    for op in "prepare begin" "release end"; do
        t0=$(date +%s%N)
        # shellcheck disable=SC2086 # op is two words on purpose
        "$E2E_HOOK" "$dom" $op - < "$E2E_TMP/$dom.xml" > /dev/null 2>&1 || failed=$((failed + 1))
        t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))
    done
done
e2e_check "hook passes the domain through ($((runs * 2)) calls, all exit 0)" test "$failed" -eq 0
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(sed -n "$((runs))p" <<< "$sorted")
max=$(tail -n 1 <<< "$sorted")
e2e_diag "hook for a domain without description: median $((median / 1000)).$(( (median % 1000) / 100 )) ms, max $((max / 1000)).$(( (max % 1000) / 100 )) ms"
# A loose bound, far above the few ms expected: it catches a hook that
# connects to libvirt, sleeps or scans the disk for such a domain.
e2e_check "hook median under 50 ms" test "$median" -lt 50000
e2e_done
