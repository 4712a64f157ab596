#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo.sh: the ivshare demo.  As root on Debian 12, from the source tree:
#   bash tests/e2e/demo.sh
# Installs what it needs, builds into build-demo, starts a host application
# and two VMs that exchange messages through rings and a pool (host->VM,
# VM->host, VM->VM), prints what crossed, and removes everything it started.
#
# Environment: DEMO_COUNT  messages and buffers per direction (10000)

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
count=${DEMO_COUNT:-10000}
region=demo
app=ivshare-demo
doma=ivshare-demo-a
domb=ivshare-demo-b
t_begin=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root: the demo starts libvirtd and VMs and reserves hugepages."
cd "$top" || die "cannot enter '$top'."

# 1. Packages ---------------------------------------------------------------
step "Packages (.ci/packages)"
mapfile -t pkgs < <(sed 's/#.*//' .ci/packages | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "all ${#pkgs[@]} packages are installed"
else
    echo "installing: ${missing[*]}"
    apt-get update -q || die "apt-get update failed."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed."
fi

# 2. Build ------------------------------------------------------------------
step "Build (meson, build-demo)"
if [ ! -f build-demo/build.ninja ]; then
    meson setup build-demo -De2e=enabled || die "meson setup failed."
fi
ninja -C build-demo > "$top/build-demo/demo-build.log" 2>&1 ||
    { tail -n 30 "$top/build-demo/demo-build.log"; die "the build failed (build-demo/demo-build.log)."; }
echo "built: $(tail -n 1 "$top/build-demo/demo-build.log")"

# 3. Host -------------------------------------------------------------------
step "Host: libvirtd, virtlogd, hugepages"
state_was_there=no
[ -s "${E2E_STATE_DIR:-/run/ivshare-e2e}/host-setup.state" ] && state_was_there=yes
"$top/tests/e2e/host-setup.sh" || die "host set-up failed."
teardown() {
    # Undo the host set-up only if this demo made it.
    [ "$state_was_there" = yes ] || "$top/tests/e2e/host-teardown.sh"
}

export E2E_TOP_SRCDIR=$top E2E_TOP_BUILDDIR=$top/build-demo E2E_BUILDDIR=$top/build-demo/tests/e2e
# shellcheck source=tests/e2e/lib.sh
source "$top/tests/e2e/lib.sh"
e2e_init demo
e2e_no_tap
trap '_e2e_cleanup_and_teardown' EXIT
_e2e_cleanup_and_teardown() {
    local status=$?
    step "Cleaning up"
    (exit "$status")
    ( _e2e_cleanup ) && true
    teardown
    echo "removed the VMs, the region, the hook, ivshared and what the set-up started"
    exit "$status"
}

e2e_conf
e2e_hook_install || die "cannot install the hook."
e2e_daemon_start || die "ivshared did not start."
echo "ivshared (pid $E2E_DAEMON_PID) and the qemu hook run with $IVSHARE_CONF"
k=$(e2e_guest_kernel) || die "no guest kernel (apt-get download linux-image-amd64 failed)."
E2E_KERNEL=$E2E_TMP/vmlinuz E2E_INITRD=$E2E_TMP/initramfs.gz
cp "$k" "$E2E_KERNEL" && e2e_initramfs "$E2E_INITRD" "$E2E_BUILDDIR/e2e-guest" ||
    die "cannot build the guest initramfs."
echo "guests: $(basename "$k"), busybox initramfs with e2e-guest, TCG, 256 MiB"

# 4. Domains ----------------------------------------------------------------
step "Two domains describing region '$region' in their <metadata>"
e2e_description "$region" "$app" > "$E2E_TMP/desc.xml"
sed 's/^    //' "$E2E_TMP/desc.xml"
e2e_ivshare_domain "$doma" "$E2E_TMP/desc.xml" "-r,$region,-n,$count,-t,60,echo,vm2vm-send" &&
    e2e_ivshare_domain "$domb" "$E2E_TMP/desc.xml" "-r,$region,-n,$count,-t,60,vm2vm-recv" ||
    die "ivsharectl inject failed."
echo "ivsharectl inject added: $(grep -o "<shmem name=[^>]*>" "$E2E_TMP/$doma.xml")"
e2e_define "$E2E_TMP/$doma.xml" && e2e_define "$E2E_TMP/$domb.xml" || die "virsh define failed."

# 5. Run --------------------------------------------------------------------
step "Host application '$app' first, then the VMs"
e2e_host_app "$E2E_TMP/host.out" --app "$app" --region "$region" --count "$count" \
    --timeout 120 --ready-file "$E2E_TMP/ready" --linger echo ||
    die "the host application did not start."
echo "host application registered (pid $E2E_HOST_PID)"
t_run=$SECONDS
for d in "$doma" "$domb"; do
    e2e_start "$d" || die "virsh start $d failed: $(cat "$E2E_TMP/$d.start")"
    echo "virsh start $d: the hook built the region and linked $(e2e_link "$region")"
done
ok=yes
for d in "$doma" "$domb"; do
    e2e_wait_state "$d" 'shut off' 600 || { ok=no; echo "$d did not finish within 600 s"; }
    case $(e2e_result "$d") in
    'E2E-RESULT: ok'*) echo "$d finished and powered off" ;;
    *) ok=no; echo "$d FAILED:"; tr -d '\r' < "$E2E_TMP/$d.console" | tail -n 20 ;;
    esac
done
e2e_wait_grep '^e2e-host: \(all\|FAILED\)' "$E2E_TMP/host.out" 60
grep -q '^e2e-host: all' "$E2E_TMP/host.out" || ok=no
step "The region after the run (ivsharectl inspect $region)"
e2e_ivsharectl inspect "$region" 2>&1
e2e_stop_pid "$E2E_HOST_PID" || ok=no
t_vms=$((SECONDS - t_run))

# 6. Summary ----------------------------------------------------------------
num() { grep -aho "$1" "$2" 2>/dev/null | head -n 1 | grep -o '[0-9]*' | head -n 1; }
mb() { awk -v b="${1:-0}" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }
hl=$E2E_TMP/host.out ca=$E2E_TMP/$doma.console cb=$E2E_TMP/$domb.console
sent=$(num 'sent [0-9]* messages' "$hl"); sent_b=$(num 'messages ([0-9]* bytes' "$hl")
replies=$(num 'received [0-9]* replies' "$hl"); replies_b=$(num 'replies ([0-9]* bytes' "$hl")
host_ms=$(grep -aho 'wrong, [0-9]* ms' "$hl" | grep -o '[0-9]* ms')
echo_ms=$(grep -aho 'bad messages, [0-9]* ms' "$ca" | grep -o '[0-9]* ms')
zone=$(grep -aho "memzone 'stats': .*" "$hl")
vsent=$(num 'sent [0-9]* buffers' "$ca"); vsent_b=$(num 'buffers, [0-9]* bytes' "$ca")
vsend_ms=$(grep -aho 'vm2vm-send: .* [0-9]* ms' "$ca" | grep -o '[0-9]* ms$')
vrecv=$(num 'received [0-9]* buffers' "$cb"); vrecv_bad=$(num 'bytes, [0-9]* bad' "$cb")
vrecv_ms=$(grep -aho 'vm2vm-recv: .* [0-9]* ms' "$cb" | grep -o '[0-9]* ms$')

step "What crossed the shared memory (VM a = $doma, VM b = $domb)"
printf '  %-14s %8s messages  %10s   %s (host side, from its first send, VM boot included)\n' \
    "host -> VM a" "${sent:-0}" "$(mb "$sent_b")" "${host_ms:-?}"
printf '  %-14s %8s replies   %10s   %s in the guest, every one checked by the host\n' \
    "VM a -> host" "${replies:-0}" "$(mb "$replies_b")" "${echo_ms:-?}"
printf '  %-14s %s\n' "memzone" "${zone#memzone }"
printf '  %-14s %8s buffers   %10s   %s to send, %s to receive; %s bad\n' \
    "VM a -> VM b" "${vrecv:-0}/${vsent:-0}" "$(mb "$vsent_b")" "${vsend_ms:-?}" "${vrecv_ms:-?}" "${vrecv_bad:-?}"
printf '  %-14s %s s for both VMs (boot, exchange, poweroff), %s s in all\n' \
    "time" "$t_vms" "$((SECONDS - t_begin))"
if [ "$ok" = yes ] && [ "${replies:-0}" = "$count" ] && [ "${vrecv:-0}" = "$count" ] &&
   [ "${vrecv_bad:-1}" = 0 ]; then
    printf '\nDemo passed: every message, reply, memzone byte and pool buffer arrived intact.\n'
    exit 0
fi
printf '\nDemo FAILED: see above.\n'
exit 1
