#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# refuse.sh: 'virsh start' fails with the hook's one-line reason, and leaves
# nothing behind, when the devices were not injected, when ivshared is not
# running, when the host application is not registered, and when the
# description disagrees with the existing region file.

source "$(dirname "$0")/lib.sh"

region=e2e-refuse
app=e2e-refuse-app

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init refuse
e2e_conf
link=$(e2e_link "$region")
file=$E2E_HUGE/ivshare/$region
e2e_track_path "$link"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_guest_files

# e2e_refused DOMAIN WHAT PATTERN: virsh start fails, and shows one line of
# the hook naming PATTERN.
e2e_refused() {
    local out=$E2E_TMP/$1.start reason
    if e2e_start "$1"; then
        e2e_not_ok "virsh start $1 refused: $2"
        virsh destroy "$1" >/dev/null 2>&1
        return
    fi
    e2e_ok "virsh start $1 refused: $2"
    reason=$(grep -o 'ivshare: .*' "$out")
    e2e_diag "hook said: ${reason:-$(tr '\n' ' ' < "$out")}"
    [ "$(grep -c 'ivshare: ' "$out")" -eq 1 ] && grep -q "Hook script execution failed" "$out"
    e2e_check "the hook's reason is one line shown by virsh" test $? -eq 0
    case $reason in
    *"$3"*) e2e_ok "the reason names '$3'" ;;
    *) e2e_not_ok "the reason names '$3'" ;;
    esac
    e2e_check "domain $1 is shut off" test "$(e2e_domstate "$1")" = "shut off"
}

nothing_left() {
    [ ! -e "$file" ] && [ ! -L "$link" ] && [ -z "$(ls -A "$E2E_HUGE/ivshare")" ]
}

e2e_description "$region" "$app" > "$E2E_TMP/desc.xml"

# 1. The description's devices were not injected (defined while ivshared,
# which would inject them, is not running).
dom=ivshare-e2e-refuse-noinject
e2e_domain_xml "$dom" --metadata "$E2E_TMP/desc.xml" --args list > "$E2E_TMP/$dom.xml"
e2e_check "domain $dom defined without its devices" e2e_define "$E2E_TMP/$dom.xml"
e2e_refused "$dom" "devices not injected" "$region"
e2e_check "no region file and no /dev/shm link left" nothing_left

# 2. ivshared is not running: nothing would enforce the lifecycle rule.
dom=ivshare-e2e-refuse-noapp
e2e_ivshare_domain "$dom" "$E2E_TMP/desc.xml" "list" && e2e_define "$E2E_TMP/$dom.xml"
e2e_check "domain $dom defined" test $? -eq 0
e2e_refused "$dom" "ivshared not running" "ivshared"
e2e_check "no region file and no /dev/shm link left" nothing_left

# 3. The host application is not running.
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_refused "$dom" "host application '$app' not registered" "$app"
e2e_check "no region file and no /dev/shm link left" nothing_left

# 4. The description disagrees with the existing region file.
e2e_check "host application '$app' registered" \
    e2e_host_app "$E2E_TMP/host.out" --app "$app" --timeout 900 \
        --ready-file "$E2E_TMP/ready" hold || e2e_done
dom=ivshare-e2e-refuse-first
e2e_ivshare_domain "$dom" "$E2E_TMP/desc.xml" "list"
e2e_ivsharectl build "$E2E_TMP/$dom.xml" > "$E2E_TMP/build.out" 2>&1
e2e_check "ivsharectl build made region '$region'" test $? -eq 0 -a -e "$file" ||
    e2e_diag "$(cat "$E2E_TMP/build.out")"
before=$(head -c 4096 "$file" 2>/dev/null | md5sum)
e2e_description "$region" "$app" 2048 > "$E2E_TMP/desc2.xml"
dom=ivshare-e2e-refuse-differ
e2e_ivshare_domain "$dom" "$E2E_TMP/desc2.xml" "list" && e2e_define "$E2E_TMP/$dom.xml"
e2e_check "domain $dom defined with a different description of '$region'" test $? -eq 0
e2e_refused "$dom" "description disagrees with the region file" "to-guest"
e2e_check "the existing region file is untouched" \
    test "$(head -c 4096 "$file" 2>/dev/null | md5sum)" = "$before"
e2e_done
