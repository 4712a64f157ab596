#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hostvm.sh: acceptance "Host<->VM": a registered host application and one VM
# started with 'virsh start'; messages host->VM intact, replies VM->host,
# memzone bytes written by the guest checked on the host.

source "$(dirname "$0")/lib.sh"

count=${E2E_COUNT:-10000}
region=e2e-hostvm
app=e2e-hostvm-app
dom=ivshare-e2e-hostvm

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init hostvm
e2e_conf
e2e_track_path "$(e2e_link "$region")"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

e2e_description "$region" "$app" > "$E2E_TMP/desc.xml"
e2e_check "ivsharectl inject adds the region's device" \
    e2e_ivshare_domain "$dom" "$E2E_TMP/desc.xml" "-r,$region,-n,$count,-t,60,list,echo" || e2e_done
grep -q "<shmem name=['\"]ivshare-${region}['\"]" "$E2E_TMP/$dom.xml"
e2e_check "the injected device is <shmem name='ivshare-$region'>" test $? -eq 0
e2e_check "domain defined" e2e_define "$E2E_TMP/$dom.xml" || e2e_done

e2e_check "host application '$app' registered" \
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --region "$region" --count "$count" \
        --timeout 120 --ready-file "$E2E_TMP/ready" --linger echo || e2e_done

start=$SECONDS
e2e_start "$dom"
e2e_check "virsh start (the hook builds the region at prepare)" test $? -eq 0 ||
    { e2e_diag "$(cat "$E2E_TMP/$dom.start")"; e2e_done; }
link=$(e2e_link "$region")
e2e_check "'$link' points at the region file" \
    test "$(readlink "$link")" = "$E2E_HUGE/ivshare/$region"
e2e_check "guest powered off by itself" e2e_wait_state "$dom" 'shut off' 600
e2e_diag "guest ran $((SECONDS - start)) s"
e2e_guest_ok "$dom" "guest received $count messages intact and replied to each"
# The application lingers (ivshared would stop the guest as soon as it
# exits): wait for its verdict, then end it.
e2e_wait_grep '^e2e-host: \(all\|FAILED\)' "$E2E_TMP/host.out" 150
e2e_stop_pid "$E2E_HOST_PID"
e2e_check "host received every reply and the guest's memzone bytes" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/host.out")"
e2e_done
