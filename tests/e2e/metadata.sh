#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# metadata.sh: 'virsh metadata' round-trips a description.  A plain domain
# gets one with 'virsh metadata DOMAIN https://ivshare.dev/xmlns/domain/1
# --key ivshare --set', ivshared injects its devices; a changed description
# set again changes the device's size the same way, and 'virsh metadata'
# reads back what was set.  (virsh 9.0's --edit did not apply an edit here.)

source "$(dirname "$0")/lib.sh"

dom=ivshare-e2e-meta
uri=https://ivshare.dev/xmlns/domain/1

e2e_require_stack
e2e_require_ivshare
e2e_host_setup
e2e_init metadata
e2e_conf
e2e_check "ivshared started" e2e_daemon_start || e2e_done
e2e_guest_files

# size_of: the <size> of the domain's ivshare-meta device, "" if none.
size_of() {
    virsh dumpxml --inactive "$dom" 2>/dev/null |
        sed -n "/<shmem name=.ivshare-meta./,/<\/shmem>/s/.*<size unit='\(.\)'>\([0-9]*\)<.*/\2\1/p"
}

# wait_size SIZE: until the device has that size (ivshared injects it).
wait_size() {
    local deadline=$((SECONDS + 15))
    until [ "$(size_of)" = "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

e2e_domain_xml "$dom" > "$E2E_TMP/$dom.xml"
e2e_check "virsh define $dom, no description" e2e_define "$E2E_TMP/$dom.xml" || e2e_done
e2e_check "no ivshare device yet" test -z "$(size_of)"

cat > "$E2E_TMP/desc.xml" <<EOF2
<shared-memory xmlns="$uri">
  <region name="meta" host-app="meta-app">
    <ring name="q" slot-size="256" slots="4096"/>
  </region>
</shared-memory>
EOF2
e2e_check "virsh metadata --set of the description" \
    virsh metadata "$dom" "$uri" --key ivshare --set "$(cat "$E2E_TMP/desc.xml")"
e2e_check "ivshared injected the device: size 2M" wait_size 2M
virsh metadata "$dom" "$uri" > "$E2E_TMP/readback.xml" 2>&1
e2e_diag "$(cat "$E2E_TMP/readback.xml")"
e2e_check "virsh metadata reads back the ring as set" \
    grep -q '<ring name="q" slot-size="256" slots="4096"/>' "$E2E_TMP/readback.xml"
virsh dumpxml --inactive "$dom" > "$E2E_TMP/defined.xml"
e2e_check "the definition holds a valid description" "$E2E_IVSHARECTL" validate "$E2E_TMP/defined.xml"

# a second --set replaces the description; the device follows
sed 's/slots="4096"/slots="8192"/' "$E2E_TMP/desc.xml" > "$E2E_TMP/desc2.xml"
e2e_check "virsh metadata --set of a changed description" \
    virsh metadata "$dom" "$uri" --key ivshare --set "$(cat "$E2E_TMP/desc2.xml")"
e2e_check "ivshared re-injected the device: size 4M" wait_size 4M
e2e_check "the change reads back" sh -c "virsh metadata '$dom' '$uri' | grep -q 'slots=\"8192\"'"
e2e_done
