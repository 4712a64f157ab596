#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# udev.sh: the guest udev rule matches ivshmem devices, and its command gives
# the group read-write access to the BAR files of a fake sysfs device.
#
# Usage: udev.sh RULES_FILE.  TAP output.
set -uo pipefail

rules=$1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one logical rule: join continuation lines
rule=$(sed -e '/^#/d' -e ':a' -e '/\\$/N; s/\\\n//; ta' "$rules" | grep -v '^[[:space:]]*$')
check "one rule" test "$(printf '%s\n' "$rule" | wc -l)" -eq 1
check "matches PCI vendor 0x1af4" grep -q 'ATTR{vendor}=="0x1af4"' <<<"$rule"
check "matches PCI device 0x1110" grep -q 'ATTR{device}=="0x1110"' <<<"$rule"
check "matches the pci subsystem on add" grep -q 'SUBSYSTEM=="pci"' <<<"$rule"

# RUN+="/bin/sh -c '...'": udev substitutes %p (the devpath) and $$ ($)
cmd=$(sed -n "s/.*RUN+=\"\/bin\/sh -c '\(.*\)'\".*/\1/p" <<<"$rule")
check "RUN+= runs one shell command" test -n "$cmd"

if [ "$(id -u)" -ne 0 ]; then
    echo "ok $((n + 1)) - chgrp on the fake device # SKIP not root"
    n=$((n + 1))
else
    # a group that exists here stands in for "ivshare"
    group=$(getent group nogroup >/dev/null && echo nogroup || echo daemon)
    dev=$tmp/devices/pci0000:00/0000:00:05.0
    mkdir -p "$dev"
    for f in resource2 enable config; do
        : >"$dev/$f"
        chmod 600 "$dev/$f"
    done
    # no resource0 yet: the command must cope with a missing BAR file
    run=${cmd//\/sys%p/$dev}
    run=${run//\$\$/\$}
    run=${run//ivshare /$group }
    check "the command succeeds" sh -c "$run"
    for f in resource2 enable; do
        check "$f: group $group, mode 660" test "$(stat -c '%G %a' "$dev/$f")" = "$group 660"
    done
    check "config is left alone" test "$(stat -c '%G %a' "$dev/config")" = "root 600"
    : >"$dev/resource0"
    chmod 600 "$dev/resource0"
    check "the command succeeds with resource0" sh -c "$run"
    check "resource0: group $group, mode 660" test "$(stat -c '%G %a' "$dev/resource0")" = "$group 660"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
