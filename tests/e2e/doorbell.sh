#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# doorbell.sh: an ivshmem-doorbell region served by ivshared; the guest rings
# the host application through the BAR0 Doorbell register from user space,
# the host answers through ivshared's eventfds, for a number of round trips
# (1000 by default): every doorbell rung on one side wakes the other side's
# ivshare_doorbell_wait exactly once, both ways.

source "$(dirname "$0")/lib.sh"

count=${E2E_COUNT:-1000}
region=e2e-bell
app=e2e-bell-app
dom=ivshare-e2e-bell
E2E_BELL_TO_HOST=0    # the vectors of e2e-proto.h
E2E_BELL_TO_GUEST=1

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init doorbell
e2e_conf
e2e_track_path "$(e2e_link "$region")"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

e2e_description "$region" "$app" 64 'doorbell="yes" vectors="2"' > "$E2E_TMP/desc.xml"
e2e_check "ivsharectl inject adds the device" \
    e2e_ivshare_domain "$dom" "$E2E_TMP/desc.xml" "-r,$region,-a,$app,-n,$count,-t,60,bell" ||
    e2e_done
grep -q "ivshmem-doorbell" "$E2E_TMP/$dom.xml" &&
    grep -q "<server path=['\"]$E2E_RUNTIME/$region.sock['\"]" "$E2E_TMP/$dom.xml" &&
    grep -q "<msi vectors=['\"]2['\"]" "$E2E_TMP/$dom.xml"
e2e_check "the device is ivshmem-doorbell with ivshared's socket and 2 vectors" test $? -eq 0 ||
    e2e_diag "$(grep -A6 '<shmem' "$E2E_TMP/$dom.xml")"
e2e_check "domain defined" e2e_define "$E2E_TMP/$dom.xml" || e2e_done

e2e_check "host application '$app' registered" \
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --region "$region" --peer "$dom" \
        --count "$count" --timeout 120 --ready-file "$E2E_TMP/ready" --linger bell || e2e_done
e2e_start "$dom"
e2e_check "virsh start (QEMU connects to ivshared)" test $? -eq 0 ||
    { e2e_diag "$(cat "$E2E_TMP/$dom.start")"; e2e_done; }
e2e_check "guest powered off by itself" e2e_wait_state "$dom" 'shut off' 600
e2e_guest_ok "$dom" "guest rang the host $count times from user space and got every answer"
e2e_wait_grep '^e2e-host: \(all\|FAILED\)' "$E2E_TMP/host.out" 150
e2e_stop_pid "$E2E_HOST_PID"
e2e_check "host answered every round" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/host.out")"
grep -q '^e2e-host: all' "$E2E_TMP/host.out" || e2e_diag "$(tail -n 20 "$E2E_TMP/ivshared.log")"

# The counts of both sides: doorbells rung and waits that returned for them.
g_line=$(grep -a '^e2e-guest: bell: .* round trips' "$E2E_TMP/$dom.console" | tr -d '\r')
h_line=$(grep -a '^e2e-host: bell: .* round trips' "$E2E_TMP/host.out")
g_rang=$(sed -n 's/.* \([0-9]*\) doorbells rung.*/\1/p' <<< "$g_line")
g_got=$(sed -n 's/.* \([0-9]*\) doorbells received.*/\1/p' <<< "$g_line")
h_got=$(sed -n 's/.*woken \([0-9]*\) times.*/\1/p' <<< "$h_line")
h_rang=$(sed -n 's/.*rang the guest \([0-9]*\) times.*/\1/p' <<< "$h_line")
e2e_diag "guest -> host: guest rang vector $E2E_BELL_TO_HOST ${g_rang:-?} times, host's ivshare_doorbell_wait returned ${h_got:-?} times"
e2e_diag "host -> guest: host rang vector $E2E_BELL_TO_GUEST ${h_rang:-?} times, guest's ivshare_doorbell_wait returned ${g_got:-?} times"
h_extra=$(sed -n 's/.*times by a doorbell (\([0-9]*\) without a new request).*/\1/p' <<< "$h_line")
e2e_diag "host wake-ups without a new request: ${h_extra:-?}"
e2e_check "guest -> host: $count rung through BAR0, $count wake-ups with a new request on the host (${g_rang:-?}, $((${h_got:-0} - ${h_extra:-0})))" \
    test "${g_rang:-x}" = "$count" -a "$((${h_got:-0} - ${h_extra:-0}))" = "$count"
# a doorbell reaches a joined host twice, through the peer table's counter
# and the eventfd: it must wake the host's wait once
e2e_check "the host's ivshare_doorbell_wait returned exactly $count times (${h_got:-?})" \
    test "${h_got:-x}" = "$count"
e2e_check "host -> guest: $count rung through ivshared's eventfds, $count wake-ups in the guest (${h_rang:-?}, ${g_got:-?})" \
    test "${h_rang:-x}" = "$count" -a "${g_got:-y}" = "$count"
e2e_done
