#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# peers.sh: two domains on one doorbell region find each other by name in
# the region's peer table (ivshare_peer_lookup of the other domain's name,
# both guests running at once), and a host application that joined the
# doorbells sees both; 'ivsharectl status' lists the peers too.

source "$(dirname "$0")/lib.sh"

region=e2e-peers
app=e2e-peers-app
doma=ivshare-e2e-peer-a
domb=ivshare-e2e-peer-b

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init peers
e2e_conf
e2e_track_path "$(e2e_link "$region")"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

e2e_description "$region" "$app" 64 'doorbell="yes" vectors="2"' > "$E2E_TMP/desc.xml"
# each guest waits (bounded) for the other, then stays 20 s so that the
# other finds it too
e2e_ivshare_domain "$doma" "$E2E_TMP/desc.xml" "-r,$region,-d,$doma,-o,$domb,-t,120,-s,20,peers,idle" &&
    e2e_ivshare_domain "$domb" "$E2E_TMP/desc.xml" "-r,$region,-d,$domb,-o,$doma,-t,120,-s,20,peers,idle" &&
    e2e_define "$E2E_TMP/$doma.xml" && e2e_define "$E2E_TMP/$domb.xml"
e2e_check "two domains on doorbell region '$region' defined" test $? -eq 0 || e2e_done

e2e_check "host application '$app' registered" \
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --region "$region" --peer "$doma,$domb" \
        --timeout 180 --ready-file "$E2E_TMP/ready" peers || e2e_done
e2e_start "$doma" && e2e_start "$domb"
e2e_check "virsh start of both domains (QEMU connects to ivshared)" test $? -eq 0 ||
    { e2e_diag "$(cat "$E2E_TMP/$doma.start" "$E2E_TMP/$domb.start")"; e2e_done; }

# while both guests idle with the region open: the table as ivsharectl sees it
found() {
    e2e_wait_grep 'peers: self' "$E2E_TMP/$doma.console" 150 &&
        e2e_wait_grep 'peers: self' "$E2E_TMP/$domb.console" 30
}
if found && e2e_wait_grep '^e2e-host: \(all\|FAILED\)' "$E2E_TMP/host.out" 30; then
    e2e_ivsharectl status > "$E2E_TMP/status.out" 2>&1
    e2e_diag "ivsharectl status:"
    e2e_diag "$(cat "$E2E_TMP/status.out")"
    status_peers() {
        local line
        line=$(grep "^$region " "$E2E_TMP/status.out") &&
            grep -q "=$doma\b" <<< "$line" && grep -q "=$domb\b" <<< "$line" &&
            grep -q "=$app\b" <<< "$line"
    }
    e2e_check "ivsharectl status lists both domains and '$app' among the peers of '$region'" \
        status_peers
else
    e2e_not_ok "both guests found each other while running"
fi

e2e_check "$doma powered off by itself" e2e_wait_state "$doma" 'shut off' 300
e2e_check "$domb powered off by itself" e2e_wait_state "$domb" 'shut off' 60
e2e_guest_ok "$doma" "guest of $doma found $domb in the peer table"
e2e_guest_ok "$domb" "guest of $domb found $doma in the peer table"
ida=$(sed -n "s/^e2e-guest: peers: self '[^']*' is peer \([0-9]*\), other .*/\1/p" "$E2E_TMP/$doma.console" | tr -d '\r')
ida_b=$(sed -n "s/^e2e-guest: peers: .* other '[^']*' is peer \([0-9]*\) .*/\1/p" "$E2E_TMP/$domb.console" | tr -d '\r')
idb=$(sed -n "s/^e2e-guest: peers: self '[^']*' is peer \([0-9]*\), other .*/\1/p" "$E2E_TMP/$domb.console" | tr -d '\r')
idb_a=$(sed -n "s/^e2e-guest: peers: .* other '[^']*' is peer \([0-9]*\) .*/\1/p" "$E2E_TMP/$doma.console" | tr -d '\r')
e2e_diag "$doma: own peer ID ${ida:-?}, $domb's seen from $doma ${idb_a:-?}"
e2e_diag "$domb: own peer ID ${idb:-?}, $doma's seen from $domb ${ida_b:-?}"
test -n "$ida" -a -n "$idb" -a "$ida" = "$ida_b" -a "$idb" = "$idb_a" -a "$ida" != "$idb"
e2e_check "each guest's ID for the other is the other's own ID, and they differ" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/host.out")"
hida=$(sed -n "s/^e2e-host: peers: domain '$doma' is peer \([0-9]*\)$/\1/p" "$E2E_TMP/host.out")
hidb=$(sed -n "s/^e2e-host: peers: domain '$domb' is peer \([0-9]*\)$/\1/p" "$E2E_TMP/host.out")
e2e_check "the host application that joined sees both domains with the same IDs (${hida:-?}, ${hidb:-?})" \
    test -n "$hida" -a "$hida" = "$ida" -a -n "$hidb" -a "$hidb" = "$idb"
e2e_done
