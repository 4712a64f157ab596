#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# release.sh: 'virsh destroy' and a guest's poweroff release the domain's use
# of its region; the region file stays while a domain or the live host
# application uses it, and once the last of them is gone no region file or
# link remains and its hugepages are free again.  ivshared runs, as in
# production: it stops the domains of an application that exits or is
# killed.

source "$(dirname "$0")/lib.sh"

region=e2e-release
app=e2e-release-app
doma=ivshare-e2e-release-a
domb=ivshare-e2e-release-b

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init release
e2e_conf
link=$(e2e_link "$region")
file=$E2E_HUGE/ivshare/$region
e2e_track_path "$link"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files
free_before=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)

e2e_description "$region" "$app" > "$E2E_TMP/desc.xml"
# A stays up (until destroyed); B powers itself off after 20 s.
e2e_ivshare_domain "$doma" "$E2E_TMP/desc.xml" "-r,$region,-s,900,idle" &&
    e2e_ivshare_domain "$domb" "$E2E_TMP/desc.xml" "-r,$region,-s,20,idle" &&
    e2e_define "$E2E_TMP/$doma.xml" && e2e_define "$E2E_TMP/$domb.xml"
e2e_check "two domains using region '$region' defined" test $? -eq 0 || e2e_done

app_start() {
    rm -f "$E2E_TMP/ready"
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --timeout 900 \
        --ready-file "$E2E_TMP/ready" hold
}

in_use() { [ -e "$file" ] && [ -L "$link" ] && [ "$(e2e_mount_used "$E2E_HUGE")" -gt 0 ]; }
released() {
    local deadline=$((SECONDS + 10))
    # the release hook runs as the domain stops; give it a moment
    until [ ! -e "$file" ] && [ ! -L "$link" ] && [ "$(e2e_mount_used "$E2E_HUGE")" -eq 0 ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
state() {
    e2e_diag "region file: $(ls -l "$file" 2>&1)"
    e2e_diag "link: $(ls -l "$link" 2>&1)"
    e2e_diag "hugetlbfs bytes used: $(e2e_mount_used "$E2E_HUGE")"
}

# Two users and the host application: destroy one, the other powers off,
# then the application stops.
e2e_check "host application '$app' registered" app_start || e2e_done
e2e_start "$doma" && e2e_start "$domb"
e2e_check "virsh start of both domains" test $? -eq 0 ||
    e2e_diag "$(cat "$E2E_TMP/$doma.start" "$E2E_TMP/$domb.start")"
e2e_check "region file, link and hugepages in use" in_use || state
virsh destroy "$doma" > /dev/null 2>&1
e2e_check "virsh destroy $doma" e2e_wait_state "$doma" 'shut off' 30
e2e_check "region stays while $domb and the application use it" in_use || state
e2e_check "$domb powered off by itself" e2e_wait_state "$domb" 'shut off' 300
e2e_guest_ok "$domb" "guest of $domb had the region open"
e2e_check "the region file of the live application stays after its last domain stopped" \
    test -e "$file" || state
e2e_stop_pid "$E2E_HOST_PID"
if ! released; then
    e2e_diag "still there 10 s after the application stopped; running 'ivsharectl gc'"
    e2e_ivsharectl gc > "$E2E_TMP/gc.out" 2>&1 || e2e_diag "$(cat "$E2E_TMP/gc.out")"
fi
e2e_check "after the last user and the application: no region file, no link, hugepages free" \
    released || state

# The application stops while its domain runs: ivshared destroys the
# domain, whose release removes everything.
app_start
e2e_start "$doma"
e2e_check "virsh start $doma again" test $? -eq 0 || e2e_diag "$(cat "$E2E_TMP/$doma.start")"
e2e_check "region file, link and hugepages in use" in_use || state
e2e_stop_pid "$E2E_HOST_PID"
e2e_check "ivshared stopped $doma when its application exited" \
    e2e_wait_state "$doma" 'shut off' 30
e2e_check "after that destroy: no region file, no link, hugepages free" released || state

# The application is killed (SIGKILL, no chance to unregister): the same.
app_start
e2e_start "$doma"
e2e_check "virsh start $doma a third time" test $? -eq 0 || e2e_diag "$(cat "$E2E_TMP/$doma.start")"
{ kill -KILL "$E2E_HOST_PID"; wait "$E2E_HOST_PID"; } 2>/dev/null
e2e_check "ivshared stopped $doma when its application was killed" \
    e2e_wait_state "$doma" 'shut off' 30
e2e_check "after that destroy: no region file, no link, hugepages free" released || state

free_after=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
e2e_diag "host HugePages_Free: $free_before before, $free_after after (other users of the host count too)"
e2e_done
