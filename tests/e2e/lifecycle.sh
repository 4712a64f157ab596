#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# lifecycle.sh: the lifecycle rule, timed.  'kill -9' of a host application
# stops every domain that uses its region within 2 s while a domain of
# another application keeps running; with on-host-app-exit='shutdown' the
# guests get an ACPI shutdown first: one that powers off by itself stops
# early, one that ignores it is destroyed after shutdown-timeout.

source "$(dirname "$0")/lib.sh"

limit_ms=2000
dom_a1=ivshare-e2e-lc-a1
dom_a2=ivshare-e2e-lc-a2
dom_b=ivshare-e2e-lc-b
dom_c1=ivshare-e2e-lc-c-idle
dom_c2=ivshare-e2e-lc-c-acpi

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init lifecycle
e2e_conf
for r in lc-a lc-b lc-c; do e2e_track_path "$(e2e_link "$r")"; done
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

e2e_description lc-a lc-app-a 64 > "$E2E_TMP/a.xml"
e2e_description lc-b lc-app-b 64 > "$E2E_TMP/b.xml"
e2e_description lc-c lc-app-c 64 'on-host-app-exit="shutdown" shutdown-timeout="3"' > "$E2E_TMP/c.xml"
e2e_ivshare_domain "$dom_a1" "$E2E_TMP/a.xml" "-r,lc-a,-s,600,idle" &&
    e2e_ivshare_domain "$dom_a2" "$E2E_TMP/a.xml" "-r,lc-a,-s,600,idle" &&
    e2e_ivshare_domain "$dom_b" "$E2E_TMP/b.xml" "-r,lc-b,-s,600,idle" &&
    e2e_ivshare_domain "$dom_c1" "$E2E_TMP/c.xml" "-r,lc-c,-s,600,idle" &&
    e2e_ivshare_domain "$dom_c2" "$E2E_TMP/c.xml" "-r,lc-c,-s,600,acpi" &&
    e2e_define "$E2E_TMP/$dom_a1.xml" && e2e_define "$E2E_TMP/$dom_a2.xml" &&
    e2e_define "$E2E_TMP/$dom_b.xml" && e2e_define "$E2E_TMP/$dom_c1.xml" &&
    e2e_define "$E2E_TMP/$dom_c2.xml"
e2e_check "five domains on three regions defined" test $? -eq 0 || e2e_done

# app NAME: start host application NAME (holds), its pid in APP_PID.
app() {
    rm -f "$E2E_TMP/$1.ready"
    e2e_host_app "$E2E_TMP/$1.out" --app "$1" --timeout 900 --ready-file "$E2E_TMP/$1.ready" hold &&
        APP_PID=$E2E_HOST_PID
}

# start_all PATTERN DOMAIN...: start the domains, wait until each guest's
# console shows PATTERN (its program is ready).
start_all() {
    local pattern=$1 d; shift
    for d in "$@"; do
        e2e_start "$d" || { e2e_diag "$(cat "$E2E_TMP/$d.start")"; return 1; }
    done
    for d in "$@"; do
        e2e_wait_grep "$pattern" "$E2E_TMP/$d.console" 120 || { e2e_show_console "$d"; return 1; }
    done
}

# 1. kill -9 of lc-app-a: both its domains stop within 2 s, lc-b's runs on.
app lc-app-a && pid_a=$APP_PID && app lc-app-b
e2e_check "host applications lc-app-a and lc-app-b registered" test $? -eq 0 || e2e_done
e2e_check "$dom_a1 and $dom_a2 (region lc-a) and $dom_b (region lc-b) started, guests idle" \
    start_all 'idle: region' "$dom_a1" "$dom_a2" "$dom_b" || e2e_done
t0=$(e2e_now_ms)
{
    kill -KILL "$pid_a"
    e2e_watch_stop "$dom_a1" "$t0" "$E2E_TMP/a1.ms"
    e2e_watch_stop "$dom_a2" "$t0" "$E2E_TMP/a2.ms"
    wait "$pid_a"
} 2>/dev/null
for d in a1 a2; do
    dom=dom_$d
    ms=$(e2e_watch_result "$E2E_TMP/$d.ms" 35)
    e2e_diag "kill -9 of lc-app-a to '${!dom}' shut off: $ms ms (its QEMU process ended after $(cat "$E2E_TMP/$d.ms.qemu" 2>/dev/null) ms)"
    [ "$ms" != timeout ] && [ "$ms" -le "$limit_ms" ]
    e2e_check "${!dom} shut off within $limit_ms ms of kill -9 of its host application ($ms ms)" \
        test $? -eq 0 || e2e_diag "$(tail -n 20 "$E2E_TMP/ivshared.log")"
done
sleep 1
e2e_check "$dom_b (another application's region) still runs" \
    test "$(e2e_domstate "$dom_b")" = running
e2e_diag "$(grep -a "lc-app-a\|$dom_a1\|$dom_a2" "$E2E_TMP/ivshared.log")"

# 2. on-host-app-exit='shutdown' shutdown-timeout='3': an ACPI shutdown
# first.  The idle guest ignores it and is destroyed after ~3 s; the acpi
# guest sees the power button and powers off by itself, well before.
app lc-app-c && pid_c=$APP_PID
e2e_check "host application lc-app-c registered" test $? -eq 0 || e2e_done
e2e_check "$dom_c1 (ignores ACPI) started, guest idle" start_all 'idle: region' "$dom_c1" || e2e_done
e2e_check "$dom_c2 (powers off on the ACPI power button) started, guest waiting" \
    start_all 'acpi: waiting' "$dom_c2" || e2e_done
t0=$(e2e_now_ms)
{
    kill -KILL "$pid_c"
    e2e_watch_stop "$dom_c1" "$t0" "$E2E_TMP/c1.ms"
    e2e_watch_stop "$dom_c2" "$t0" "$E2E_TMP/c2.ms"
    wait "$pid_c"
} 2>/dev/null
ms1=$(e2e_watch_result "$E2E_TMP/c1.ms" 35)
ms2=$(e2e_watch_result "$E2E_TMP/c2.ms" 35)
e2e_diag "kill -9 of lc-app-c to '$dom_c1' (ignores ACPI) shut off: $ms1 ms (QEMU ended after $(cat "$E2E_TMP/c1.ms.qemu" 2>/dev/null) ms)"
e2e_diag "kill -9 of lc-app-c to '$dom_c2' (ACPI power button) shut off: $ms2 ms (QEMU ended after $(cat "$E2E_TMP/c2.ms.qemu" 2>/dev/null) ms)"
e2e_diag "$(grep -a "lc-app-c\|$dom_c1\|$dom_c2" "$E2E_TMP/ivshared.log")"
e2e_check "ivshared logged 'shutting down domain' for both" \
    eval "grep -aq \"shutting down domain '$dom_c1'\" '$E2E_TMP/ivshared.log' &&
          grep -aq \"shutting down domain '$dom_c2'\" '$E2E_TMP/ivshared.log'"
# at least the timeout; at most the timeout, a second of GLib's seconds
# timers and a destroy
[ "$ms1" != timeout ] && [ "$ms1" -ge 3000 ] && [ "$ms1" -le 7000 ]
e2e_check "$dom_c1 ran on for the 3 s timeout, then was destroyed ($ms1 ms, expected 3000-7000)" \
    test $? -eq 0
e2e_check "ivshared destroyed $dom_c1 because it did not shut down in time" \
    grep -aq "destroyed domain '$dom_c1': it did not shut down in time" "$E2E_TMP/ivshared.log"
[ "$ms2" != timeout ] && [ "$ms2" -lt 3000 ]
e2e_check "$dom_c2 powered off by itself well before the timeout ($ms2 ms)" test $? -eq 0
e2e_guest_ok "$dom_c2" "guest of $dom_c2 saw the ACPI power button (PM1a PWRBTN) and powered off"
grep -aq "destroyed domain '$dom_c2'" "$E2E_TMP/ivshared.log"
e2e_check "ivshared did not need to destroy $dom_c2" test $? -ne 0
e2e_check "$dom_b still runs after lc-app-c went too" test "$(e2e_domstate "$dom_b")" = running
e2e_done
