#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vm2vm.sh: one region described identically by two domains; guest A sends
# stamped pool buffers through a ring of handles, guest B receives and checks
# them.  Both are started with 'virsh start'.

source "$(dirname "$0")/lib.sh"

count=${E2E_COUNT:-10000}
region=e2e-vm2vm
app=e2e-vm2vm-app
doma=ivshare-e2e-vm2vm-a
domb=ivshare-e2e-vm2vm-b

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init vm2vm
e2e_conf
e2e_track_path "$(e2e_link "$region")"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

e2e_description "$region" "$app" > "$E2E_TMP/desc.xml"
e2e_ivshare_domain "$doma" "$E2E_TMP/desc.xml" "-r,$region,-n,$count,-t,60,vm2vm-send" &&
    e2e_ivshare_domain "$domb" "$E2E_TMP/desc.xml" "-r,$region,-n,$count,-t,60,vm2vm-recv"
e2e_check "devices injected into both domains" test $? -eq 0 || e2e_done
e2e_ivsharectl validate "$E2E_TMP/$doma.xml" "$E2E_TMP/$domb.xml" > "$E2E_TMP/validate.out" 2>&1
e2e_check "ivsharectl validate: both descriptions of '$region' agree" test $? -eq 0 ||
    e2e_diag "$(cat "$E2E_TMP/validate.out")"
e2e_define "$E2E_TMP/$doma.xml" && e2e_define "$E2E_TMP/$domb.xml"
e2e_check "both domains defined" test $? -eq 0 || e2e_done

e2e_check "host application '$app' registered" \
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --timeout 900 \
        --ready-file "$E2E_TMP/ready" hold || e2e_done

start=$SECONDS
e2e_start "$doma"
e2e_check "virsh start $doma (sender)" test $? -eq 0 || e2e_diag "$(cat "$E2E_TMP/$doma.start")"
e2e_start "$domb"
e2e_check "virsh start $domb (receiver, same region)" test $? -eq 0 ||
    e2e_diag "$(cat "$E2E_TMP/$domb.start")"
e2e_check "sender powered off by itself" e2e_wait_state "$doma" 'shut off' 600
e2e_check "receiver powered off by itself" e2e_wait_state "$domb" 'shut off' 600
e2e_diag "guests ran $((SECONDS - start)) s"
e2e_guest_ok "$doma" "guest A sent $count stamped pool buffers"
e2e_guest_ok "$domb" "guest B received all $count buffers intact and gave them back"
e2e_done
