#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# selinux.sh: the SELinux module compiles and packages with its file
# contexts, and every file context gives the shared sVirt label.
#
# Usage: selinux.sh DIR (data/selinux).  TAP output.
set -uo pipefail

dir=$1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ivshare.fc: PATH-REGEX [FILE-TYPE] CONTEXT, the context svirt_image_t:s0
bad=0
while read -r line; do
    case $line in '' | '#'*) continue ;; esac
    read -r -a f <<<"$line"
    ctx=${f[-1]}
    if [ "${#f[@]}" -lt 2 ] || [ "${#f[@]}" -gt 3 ] ||
       { [ "${#f[@]}" -eq 3 ] && ! [[ ${f[1]} =~ ^-[-dsplcb]$ ]]; } ||
       ! [[ $ctx =~ ^system_u:object_r:svirt_image_t:s0$ ]] ||
       ! [[ ${f[0]} == /* ]]; then
        echo "# bad file context: $line"
        bad=1
        continue
    fi
    # the regular expression must compile
    grep -qE "^${f[0]}\$" /dev/null
    if [ $? -eq 2 ]; then
        echo "# bad regular expression: ${f[0]}"
        bad=1
    fi
done <"$dir/ivshare.fc"
if [ "$bad" -eq 0 ]; then ok "ivshare.fc: every line PATH [TYPE] system_u:object_r:svirt_image_t:s0"; else not_ok "ivshare.fc lines"; fi
for path in /dev/hugepages/ivshare/fastpath /dev/shm/ivshare/vm2vm /run/ivshare/fastpath.sock; do
    hit=no
    while read -r re _; do
        case $re in '' | '#'*) continue ;; esac
        [[ $path =~ ^${re}$ ]] && hit=yes
    done <"$dir/ivshare.fc"
    if [ "$hit" = yes ]; then ok "ivshare.fc labels $path"; else not_ok "ivshare.fc labels $path"; fi
done

if ! command -v checkmodule >/dev/null || ! command -v semodule_package >/dev/null; then
    skip "checkmodule and semodule_package" "not installed (packages checkpolicy, semodule-utils)"
else
    if checkmodule -M -m -o "$tmp/ivshare.mod" "$dir/ivshare.te" >"$tmp/log" 2>&1; then
        ok "checkmodule compiles ivshare.te"
    else
        not_ok "checkmodule compiles ivshare.te"
        sed 's/^/# /' "$tmp/log"
    fi
    if semodule_package -o "$tmp/ivshare.pp" -m "$tmp/ivshare.mod" -f "$dir/ivshare.fc" >"$tmp/log" 2>&1 &&
       [ -s "$tmp/ivshare.pp" ]; then
        ok "semodule_package packages it with ivshare.fc"
    else
        not_ok "semodule_package packages it with ivshare.fc"
        sed 's/^/# /' "$tmp/log"
    fi
fi

echo "1..$n"
[ "$failed" -eq 0 ]
