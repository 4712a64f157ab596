#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# apparmor.sh: the libvirt-ivshare abstraction parses, alone and included
# the documented way, from local/abstractions/libvirt-qemu into libvirt's
# QEMU abstraction.  Parses only (-Q -K): nothing is loaded into a kernel.
#
# Usage: apparmor.sh ABSTRACTION.  TAP output.
set -uo pipefail

abstraction=$1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

parser=$(command -v apparmor_parser || echo /usr/sbin/apparmor_parser)
if [ ! -x "$parser" ]; then
    echo "1..0 # SKIP apparmor_parser is not installed (package apparmor)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/abstractions" "$tmp/local/abstractions"
cp "$abstraction" "$tmp/abstractions/libvirt-ivshare"

# parse PROFILE DIR...: apparmor_parser accepts it (its notes about a
# missing kernel interface are not errors)
parse() {
    local profile=$1 args=()
    shift
    for d in "$@"; do args+=(-I "$d"); done
    "$parser" -Q -K "${args[@]}" "$profile" >"$tmp/log" 2>&1
}

cat >"$tmp/alone" <<'PROFILE'
profile ivshare-alone {
  #include <abstractions/libvirt-ivshare>
}
PROFILE
if parse "$tmp/alone" "$tmp"; then
    ok "the abstraction parses"
else
    not_ok "the abstraction parses"
    sed 's/^/# /' "$tmp/log"
fi

# the parser must be able to fail here, or the checks above say nothing
printf 'profile broken {\n  /dev/shm/ivshare-* rwz,\n}\n' >"$tmp/broken"
if parse "$tmp/broken" "$tmp"; then
    not_ok "a broken rule is refused"
else
    ok "a broken rule is refused"
fi

for p in /etc/apparmor.d/abstractions/libvirt-qemu /etc/apparmor.d/tunables/global; do
    if [ ! -f "$p" ]; then
        echo "ok $((n + 1)) - included from libvirt's QEMU abstraction # SKIP no $p"
        n=$((n + 1))
        echo "1..$n"
        [ "$failed" -eq 0 ]
        exit
    fi
done
# the line docs/confinement.md tells administrators to add
echo '#include <abstractions/libvirt-ivshare>' >"$tmp/local/abstractions/libvirt-qemu"
cat >"$tmp/domain" <<'PROFILE'
#include <tunables/global>
profile libvirt-00000000-0000-0000-0000-000000000000 {
  #include <abstractions/libvirt-qemu>
}
PROFILE
if parse "$tmp/domain" "$tmp" /etc/apparmor.d; then
    ok "included from local/abstractions/libvirt-qemu into libvirt's QEMU abstraction"
else
    not_ok "included from local/abstractions/libvirt-qemu into libvirt's QEMU abstraction"
    sed 's/^/# /' "$tmp/log"
fi
if "$parser" -Q -K -p -I "$tmp" -I /etc/apparmor.d "$tmp/domain" 2>/dev/null | grep -q '/run/ivshare/\*\.sock'; then
    ok "the domain profile holds the ivshare rules"
else
    not_ok "the domain profile holds the ivshare rules"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
