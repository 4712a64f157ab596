#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# define.sh: devices injected at define time.  With ivshared running, a
# plain 'virsh define' of a domain whose <metadata> holds a description
# (and no <shmem>) ends with the devices in its persistent definition after
# exactly one redefinition (DEFINED events counted by 'virsh event'); a
# domain described by an INI file in the domains directory gets its devices
# the same way; 'ivsharectl define' defines with the devices at once and
# 'ivsharectl sync' of a domain in sync changes nothing and says so.

source "$(dirname "$0")/lib.sh"

dom_xml=ivshare-e2e-def-xml
dom_ini=ivshare-e2e-def-ini
dom_ctl=ivshare-e2e-def-ctl
settle=${E2E_SETTLE:-5}

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init define
e2e_conf
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

virsh event --event lifecycle --loop --timestamp > "$E2E_TMP/events.out" 2>&1 &
e2e_track_pid $!
sleep 1

# events DOMAIN TEXT: how many lifecycle events of DOMAIN read TEXT.
events() {
    grep -c "for domain '$1': $2\$" "$E2E_TMP/events.out"
}

# has_devices DOMAIN REGION: the persistent definition has the region's device.
has_devices() {
    virsh dumpxml --inactive "$1" 2>/dev/null | grep -q "<shmem name=['\"]ivshare-$2['\"]"
}

wait_devices() {
    local deadline=$((SECONDS + 15))
    until has_devices "$1" "$2"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# show_events DOMAIN
show_events() {
    e2e_diag "lifecycle events of '$1':"
    grep "for domain '$1'" "$E2E_TMP/events.out" | e2e_diag_stream
}

# 1. virsh define of an annotated domain, no <shmem>.
e2e_description def-xml def-app 64 > "$E2E_TMP/xml.desc"
e2e_domain_xml "$dom_xml" --metadata "$E2E_TMP/xml.desc" > "$E2E_TMP/$dom_xml.plain.xml"
e2e_check "the plain XML of $dom_xml has no <shmem>" \
    eval "! grep -q '<shmem' '$E2E_TMP/$dom_xml.plain.xml'"
t0=$(e2e_now_ms)
e2e_check "virsh define $dom_xml" e2e_define "$E2E_TMP/$dom_xml.plain.xml" || e2e_done
e2e_check "ivshared injected the device into the persistent definition" \
    wait_devices "$dom_xml" def-xml || e2e_diag "$(tail -n 20 "$E2E_TMP/ivshared.log")"
e2e_diag "the device was in 'virsh dumpxml --inactive' $(($(e2e_now_ms) - t0)) ms after 'virsh define'"
e2e_diag "$(virsh dumpxml --inactive "$dom_xml" | grep -A4 '<shmem')"
sleep "$settle"
show_events "$dom_xml"
added=$(events "$dom_xml" 'Defined Added')
updated=$(events "$dom_xml" 'Defined Updated')
e2e_check "one 'Defined Added' then exactly one 'Defined Updated', none in $settle s more ($added, $updated)" \
    test "$added" -eq 1 -a "$updated" -eq 1
e2e_check "one 'injected' line in ivshared's log" \
    test "$(grep -c "domain '$dom_xml': injected" "$E2E_TMP/ivshared.log")" -eq 1

# 2. An INI description in the domains directory, a plain XML without one.
cat > "$E2E_TMP/domains/$dom_ini.ini" <<EOF2
# the description of $dom_ini for define.sh
[region def-ini]
host-app=def-app

[ring def-ini/to-guest]
slot-size=256
slots=64

[memzone def-ini/stats]
size=4K
EOF2
e2e_domain_xml "$dom_ini" > "$E2E_TMP/$dom_ini.plain.xml"
e2e_check "virsh define $dom_ini (plain XML, INI description in domains-dir)" \
    e2e_define "$E2E_TMP/$dom_ini.plain.xml" || e2e_done
e2e_check "ivshared injected the device of its INI description" \
    wait_devices "$dom_ini" def-ini || e2e_diag "$(tail -n 20 "$E2E_TMP/ivshared.log")"
sleep "$settle"
show_events "$dom_ini"
updated=$(events "$dom_ini" 'Defined Updated')
e2e_check "exactly one redefinition of $dom_ini ($updated)" test "$updated" -eq 1

# 3. ivsharectl define: the devices at once, no redefinition.
e2e_description def-ctl def-app 64 > "$E2E_TMP/ctl.desc"
e2e_domain_xml "$dom_ctl" --metadata "$E2E_TMP/ctl.desc" > "$E2E_TMP/$dom_ctl.plain.xml"
e2e_track_domain "$dom_ctl"
e2e_ivsharectl define "$E2E_TMP/$dom_ctl.plain.xml" > "$E2E_TMP/ctl-define.out" 2>&1
e2e_check "ivsharectl define $dom_ctl" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/ctl-define.out")"
e2e_check "its definition has the device at once" has_devices "$dom_ctl" def-ctl
sleep "$settle"
show_events "$dom_ctl"
added=$(events "$dom_ctl" 'Defined Added')
updated=$(events "$dom_ctl" 'Defined Updated')
e2e_check "ivshared found nothing to change: one 'Defined Added', no 'Defined Updated' ($added, $updated)" \
    test "$added" -eq 1 -a "$updated" -eq 0

# 4. ivsharectl sync of a domain in sync: a no-op that says so.
before=$(wc -l < "$E2E_TMP/events.out")
e2e_ivsharectl sync "$dom_ctl" > "$E2E_TMP/sync.out" 2>&1
e2e_check "ivsharectl sync $dom_ctl succeeds" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/sync.out")"
e2e_check "it says the devices already match" grep -q 'already match' "$E2E_TMP/sync.out"
sleep 2
e2e_check "and redefined nothing (no event)" test "$(wc -l < "$E2E_TMP/events.out")" -eq "$before"

# 5. ivsharectl sync of a domain without its devices: ivshared stopped,
# virsh define of the plain XML, then sync injects them.
e2e_stop_pid "$E2E_DAEMON_PID"
virsh undefine "$dom_xml" > /dev/null 2>&1
virsh define "$E2E_TMP/$dom_xml.plain.xml" > /dev/null 2>&1
e2e_check "with ivshared stopped, virsh define leaves $dom_xml without the device" \
    eval "sleep 1; ! has_devices '$dom_xml' def-xml"
e2e_ivsharectl sync "$dom_xml" > "$E2E_TMP/sync2.out" 2>&1
e2e_check "ivsharectl sync $dom_xml succeeds" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/sync2.out")"
e2e_check "it says it injected the devices, and they are there" \
    eval "grep -q 'injected' '$E2E_TMP/sync2.out' && has_devices '$dom_xml' def-xml"
e2e_done
