#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# rawshmem.sh: the core data path without hook or builder: a hand-formatted
# hugetlbfs region behind a raw <shmem>, host<->guest echo through its rings.

source "$(dirname "$0")/lib.sh"

count=${E2E_COUNT:-10000}
shm=e2e-rawshmem-$$
region=e2e-raw

e2e_require_stack
e2e_host_setup
e2e_init rawshmem
e2e_hugetlbfs "$E2E_TMP/huge" 16 || e2e_bail "mount a private hugetlbfs"
file=$E2E_TMP/huge/$region

"$E2E_BUILDDIR/e2e-format" "$file" "$region" 2 > "$E2E_TMP/format.out" 2>&1
e2e_check "region file formatted with ivshare_region_format" test $? -eq 0 ||
    { e2e_diag "$(cat "$E2E_TMP/format.out")"; e2e_done; }
chown "$E2E_QEMU_USER:$E2E_QEMU_GROUP" "$file" && chmod 0660 "$file"
ln -sfn "$file" "/dev/shm/$shm" && e2e_track_path "/dev/shm/$shm"

e2e_guest_files
e2e_domain_xml "e2e-rawshmem" --shmem "$shm:2" \
    --args "-r,$region,-n,$count,list,echo" > "$E2E_TMP/dom.xml"
e2e_check "domain with a raw ivshmem-plain device defined" e2e_define "$E2E_TMP/dom.xml" ||
    e2e_done

e2e_host_app "$E2E_TMP/host.out" --path "$file" --count "$count" --timeout 240 echo
e2e_start e2e-rawshmem
e2e_check "virsh start" test $? -eq 0 || { e2e_diag "$(cat "$E2E_TMP/e2e-rawshmem.start")"; e2e_done; }
start=$SECONDS
e2e_check "guest powered off by itself" e2e_wait_state e2e-rawshmem 'shut off' 300
e2e_diag "guest ran $((SECONDS - start)) s"
grep -aq "region '$region'" "$E2E_TMP/e2e-rawshmem.console"
e2e_check "guest found region '$region' on its ivshmem device" test $? -eq 0
e2e_guest_ok e2e-rawshmem "guest received $count messages intact and replied to each"
e2e_wait_pid "$E2E_HOST_PID" 60
e2e_check "host received every reply and the guest's memzone bytes" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/host.out")"
e2e_done
