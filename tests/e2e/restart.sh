#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# restart.sh: the lifecycle rule survives restarts.  libvirtd is restarted
# while a domain runs: ivshared reconnects by itself and 'kill -9' of the
# host application still stops the domain within 2 s.  ivshared itself is
# restarted while a domain runs and its application lives: the new daemon
# rebuilds its view from the registrations and stops the domain when the
# application is killed.

source "$(dirname "$0")/lib.sh"

region=e2e-restart
app=e2e-restart-app
dom=ivshare-e2e-restart
limit_ms=2000
state=/run/ivshare-e2e/host-setup.state

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init restart
e2e_conf
e2e_track_path "$(e2e_link "$region")"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

e2e_description "$region" "$app" 64 > "$E2E_TMP/desc.xml"
e2e_ivshare_domain "$dom" "$E2E_TMP/desc.xml" "-r,$region,-s,600,idle" &&
    e2e_define "$E2E_TMP/$dom.xml"
e2e_check "domain $dom defined" test $? -eq 0 || e2e_done

# run_domain: the host application and the domain, the guest idle.
run_domain() {
    rm -f "$E2E_TMP/ready"
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --timeout 900 \
        --ready-file "$E2E_TMP/ready" hold || return 1
    e2e_start "$dom" || { e2e_diag "$(cat "$E2E_TMP/$dom.start")"; return 1; }
    e2e_wait_grep 'idle: region' "$E2E_TMP/$dom.console" 120 || { e2e_show_console "$dom"; return 1; }
}

# kill_app WHAT: kill -9 the host application, check the domain stops in 2 s.
kill_app() {
    local t0 ms
    t0=$(e2e_now_ms)
    {
        kill -KILL "$E2E_HOST_PID"
        e2e_watch_stop "$dom" "$t0" "$E2E_TMP/stop.ms"
        wait "$E2E_HOST_PID"
    } 2>/dev/null
    ms=$(e2e_watch_result "$E2E_TMP/stop.ms" 35)
    e2e_diag "kill -9 of '$app' to '$dom' shut off ($1): $ms ms (its QEMU process ended after $(cat "$E2E_TMP/stop.ms.qemu" 2>/dev/null) ms)"
    [ "$ms" != timeout ] && [ "$ms" -le "$limit_ms" ]
    e2e_check "$1: $dom shut off within $limit_ms ms of kill -9 of '$app' ($ms ms)" test $? -eq 0 ||
        e2e_diag "$(tail -n 15 "$E2E_TMP/ivshared.log")"
}

# restart_libvirtd: end the running libvirtd by its PID, start a new one;
# the e2e state file follows when host-setup.sh had started the old one,
# so that host-teardown.sh ends the new one.
restart_libvirtd() {
    local old new deadline reaper
    old=$(cat /run/libvirtd.pid 2>/dev/null)
    [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = libvirtd ] ||
        { e2e_diag "no libvirtd in /run/libvirtd.pid"; return 1; }
    kill -TERM "$old"
    deadline=$((SECONDS + 30))
    while [ -d "/proc/$old" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { e2e_diag "libvirtd ($old) did not stop"; return 1; }
        sleep 0.1
    done
    # host-setup.sh's subreaper starts libvirtd again by itself; else we do
    reaper=$(sed -n 's/^reaper_pid=//p' "$state" | head -n 1)
    if [ -z "$reaper" ] || [ "$(cat "/proc/$reaper/comm" 2>/dev/null)" != tini ]; then
        libvirtd -d 8>&- 9>&- || return 1
    fi
    deadline=$((SECONDS + 30))
    until virsh list > /dev/null 2>&1 && [ "$(cat /run/libvirtd.pid 2>/dev/null)" != "$old" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { e2e_diag "the new libvirtd does not answer"; return 1; }
        sleep 0.2
    done
    new=$(cat /run/libvirtd.pid)
    (
        flock -w 60 9 || exit 1
        if grep -qx "libvirtd_pid=$old" "$state"; then
            sed -i "s/^libvirtd_pid=$old\$/libvirtd_pid=$new/" "$state"
        fi
    ) 9> /run/ivshare-e2e/lock
    e2e_diag "libvirtd restarted: process $old ended, $new answers; $(grep '^libvirtd_pid=' "$state" || echo 'not started by host-setup.sh')"
}

connected() { grep -ac 'connected to libvirt' "$E2E_TMP/ivshared.log"; }

# 1. libvirtd restarts under a running domain.
e2e_check "host application and $dom running, guest idle" run_domain || e2e_done
before=$(connected)
t0=$(e2e_now_ms)
e2e_check "libvirtd restarted (ended by PID, 'libvirtd -d', virsh list answers)" restart_libvirtd ||
    e2e_done
e2e_diag "libvirtd restart took $(($(e2e_now_ms) - t0)) ms"
e2e_check "$dom still runs under the new libvirtd" test "$(e2e_domstate "$dom")" = running
reconnected() {
    local deadline=$((SECONDS + 20))
    until [ "$(connected)" -gt "$before" ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
e2e_check "ivshared reconnected to libvirt by itself" reconnected ||
    e2e_diag "$(tail -n 15 "$E2E_TMP/ivshared.log")"
e2e_diag "ivshared reconnected $(($(e2e_now_ms) - t0)) ms after the restart began"
e2e_diag "$(grep -a 'libvirt' "$E2E_TMP/ivshared.log" | tail -n 4)"
kill_app "after a libvirtd restart"

# 2. ivshared restarts while the domain runs and its application lives.
e2e_check "host application and $dom running again, guest idle" run_domain || e2e_done
e2e_stop_pid "$E2E_DAEMON_PID"
e2e_check "ivshared stopped (SIGTERM); $dom still runs" test "$(e2e_domstate "$dom")" = running
echo '--- restart ---' >> "$E2E_TMP/ivshared.log"
rm -f "$E2E_RUNTIME/ivshared.pid"
e2e_check "ivshared started again" e2e_daemon_start || e2e_done
e2e_check "the new ivshared watches '$app' from its registration" \
    e2e_wait_grep "watching host application '$app'" <(sed -n '/^--- restart ---$/,$p' "$E2E_TMP/ivshared.log") 1 ||
    e2e_diag "$(tail -n 15 "$E2E_TMP/ivshared.log")"
kill_app "after an ivshared restart"
e2e_diag "$(sed -n '/^--- restart ---$/,$p' "$E2E_TMP/ivshared.log" | grep -a "$app\|$dom")"
e2e_done
