# SPDX-License-Identifier: LGPL-2.1-or-later
# lib.sh: shell helpers of the end-to-end tests (TAP, set-up, guests, domains, cleanup).
#
# Source it from bash.  Paths come from the environment meson sets (defaults
# suit a run from the source tree with a build directory 'build-e2e'):
#   E2E_TOP_SRCDIR    the source tree
#   E2E_TOP_BUILDDIR  the build directory
#   E2E_BUILDDIR      <build>/tests/e2e, where e2e-guest and e2e-host are
#   E2E_CACHE         where the guest kernel is cached (<build>/tests/e2e/cache)
#   E2E_KEEP=1        keep the test's temporary directory for inspection

E2E_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${E2E_TOP_SRCDIR:=$(cd "$E2E_SRCDIR/../.." && pwd)}"
: "${E2E_TOP_BUILDDIR:=$E2E_TOP_SRCDIR/build-e2e}"
: "${E2E_BUILDDIR:=$E2E_TOP_BUILDDIR/tests/e2e}"
: "${E2E_CACHE:=$E2E_BUILDDIR/cache}"
: "${IVSHARE_SCHEMA_DIR:=$E2E_TOP_SRCDIR/schemas}"
export IVSHARE_SCHEMA_DIR
E2E_IVSHARECTL=$E2E_TOP_BUILDDIR/src/ctl/ivsharectl
E2E_HOOK=$E2E_TOP_BUILDDIR/hooks/ivshare
E2E_IVSHARED=$E2E_TOP_BUILDDIR/src/daemon/ivshared
E2E_HOOK_PATH=/etc/libvirt/hooks/qemu.d/ivshare
E2E_HOOK_MARK='# ivshare e2e test hook wrapper'
E2E_QEMU_USER=libvirt-qemu
E2E_QEMU_GROUP=libvirt-qemu
export LIBVIRT_DEFAULT_URI=qemu:///system

_e2e_n=0
_e2e_failed=0
_e2e_domains=()
_e2e_pids=()
_e2e_paths=()
_e2e_mounts=()
_e2e_hook_saved=
E2E_TMP=

# TAP ----------------------------------------------------------------------

e2e_diag() {
    local line
    while IFS= read -r line; do
        printf '# %s\n' "$line"
    done <<< "$*"
}

e2e_ok() {
    _e2e_n=$((_e2e_n + 1))
    printf 'ok %d - %s\n' "$_e2e_n" "$*"
}

e2e_not_ok() {
    _e2e_n=$((_e2e_n + 1))
    _e2e_failed=$((_e2e_failed + 1))
    printf 'not ok %d - %s\n' "$_e2e_n" "$*"
}

e2e_skip() {
    _e2e_n=$((_e2e_n + 1))
    printf 'ok %d - %s # SKIP %s\n' "$_e2e_n" "$1" "$2"
}

# e2e_check DESCRIPTION CMD...: one test point from a command's status.
e2e_check() {
    local desc=$1; shift
    if "$@"; then e2e_ok "$desc"; else e2e_not_ok "$desc"; return 1; fi
}

# The whole test cannot run here: say why, exit 0 (cleanup still runs).
e2e_skip_all() {
    if [ "$_e2e_n" -eq 0 ]; then
        printf '1..0 # SKIP %s\n' "$*"
        _e2e_n=-1
        exit 0
    fi
    e2e_skip "remaining checks" "$*"
    e2e_done
}

# Something the rest depends on failed: report it and stop.
e2e_bail() {
    e2e_not_ok "$*"
    e2e_done
}

e2e_done() {
    [ "$_e2e_n" -ge 0 ] && printf '1..%d\n' "$_e2e_n"
    _e2e_n=-1
    [ "$_e2e_failed" -eq 0 ] && exit 0
    exit 1
}

# For scripts that are not tests (demo.sh): no TAP output at all.
e2e_no_tap() {
    _e2e_n=-1
}

# Prerequisites ------------------------------------------------------------

e2e_require_root() {
    [ "$(id -u)" = 0 ] || e2e_skip_all "needs root (libvirtd, hugepages, /etc/libvirt/hooks)."
}

# Everything a guest needs: QEMU, libvirt and the static test programs.
e2e_require_stack() {
    e2e_require_root
    local p
    for p in qemu-system-x86_64 virsh libvirtd virtlogd busybox cpio gzip dpkg-deb; do
        command -v "$p" >/dev/null || e2e_skip_all "'$p' is not installed."
    done
    ldd "$(command -v busybox)" 2>&1 | grep -q 'not a dynamic' ||
        e2e_skip_all "busybox is not statically linked (install busybox-static)."
    for p in e2e-guest e2e-host; do
        [ -x "$E2E_BUILDDIR/$p" ] || e2e_skip_all "'$E2E_BUILDDIR/$p' is not built."
    done
}

# The hook and ivsharectl are built.
e2e_require_ivshare() {
    [ -x "$E2E_IVSHARECTL" ] || e2e_skip_all "'$E2E_IVSHARECTL' is not built."
    [ -x "$E2E_HOOK" ] || e2e_skip_all "'$E2E_HOOK' is not built."
    [ -x "$E2E_IVSHARED" ] || e2e_skip_all "'$E2E_IVSHARED' is not built."
}

e2e_host_setup() {
    "$E2E_SRCDIR/host-setup.sh" 2>&1 | e2e_diag_stream
    [ "${PIPESTATUS[0]}" -eq 0 ] || e2e_bail "host set-up (libvirtd, virtlogd, hugepages)"
}

e2e_diag_stream() {
    local line
    while IFS= read -r line; do printf '# %s\n' "$line"; done
}

# Temporary directory and cleanup ------------------------------------------

# e2e_init NAME: the test's temporary directory E2E_TMP, cleanup on exit.
e2e_init() {
    E2E_NAME=$1
    # one e2e test at a time on a host, whoever runs it: they share the
    # hook path in /etc/libvirt/hooks and the hugepage pool
    mkdir -p /run/ivshare-e2e
    exec 8>/run/ivshare-e2e/test.lock
    flock -w 1800 8 || e2e_skip_all "another end-to-end test held /run/ivshare-e2e/test.lock for 30 minutes."
    E2E_TMP=$(mktemp -d "/tmp/ivshare-e2e-$1.XXXXXX") || e2e_bail "mktemp"
    chmod 0755 "$E2E_TMP"   # QEMU (libvirt-qemu) reads kernels and region files below it
    trap _e2e_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

e2e_track_domain() { _e2e_domains+=("$1"); }
e2e_track_pid() { _e2e_pids+=("$1"); }
e2e_track_path() { _e2e_paths+=("$1"); }

# e2e_stop_pid PID: SIGTERM, then SIGKILL after 5 s; returns its exit status.
e2e_stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        # a zombie child of ours counts as gone
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

_e2e_cleanup() {
    local status=$? d p m
    trap - EXIT INT TERM
    set +e
    # Host applications first, so that the release hook of the domains
    # below finds them gone and removes the region files.
    for p in "${_e2e_pids[@]}"; do
        e2e_stop_pid "$p"
    done
    for d in "${_e2e_domains[@]}"; do
        virsh domstate "$d" 2>/dev/null | grep -q '^shut off' ||
            virsh destroy "$d" >/dev/null 2>&1
        virsh undefine "$d" >/dev/null 2>&1
    done
    e2e_hook_remove
    for p in "${_e2e_paths[@]}"; do
        rm -rf -- "$p"
    done
    for m in "${_e2e_mounts[@]}"; do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
        if [ "${E2E_KEEP:-0}" = 1 ]; then
            printf '# kept %s\n' "$E2E_TMP"
        else
            rm -rf -- "$E2E_TMP"
        fi
    fi
    if [ "$_e2e_n" -ge 0 ]; then
        # the script ended without e2e_done: an unexpected exit
        [ "$status" -eq 0 ] && status=1
        e2e_not_ok "test script ended early (status $status)"
        printf '1..%d\n' "$_e2e_n"
    fi
    exit "$status"
}

# Settings, hugepages and the hook -----------------------------------------

# e2e_hugetlbfs DIR MIB: a private hugetlbfs mount of MIB MiB (its usage is
# exact, whatever else uses hugepages on the host).
e2e_hugetlbfs() {
    mkdir -p "$1" || return 1
    mount -t hugetlbfs -o "size=${2}M,mode=0755" nodev "$1" || return 1
    _e2e_mounts+=("$1")
}

# Bytes used on a mount (hugetlbfs reports its pages as blocks).
e2e_mount_used() {
    stat -f -c '%b %f %S' "$1" | awk '{ print ($1 - $2) * $3 }'
}

# e2e_conf: an ivshare.conf in E2E_TMP whose region files live on a private
# hugetlbfs mount; sets and exports IVSHARE_CONF, E2E_HUGE, E2E_RUNTIME.
e2e_conf() {
    E2E_HUGE=$E2E_TMP/huge
    E2E_RUNTIME=$E2E_TMP/run
    e2e_hugetlbfs "$E2E_HUGE" "${E2E_HUGE_MIB:-64}" || e2e_bail "mount hugetlbfs at '$E2E_HUGE'"
    mkdir -p "$E2E_HUGE/ivshare" "$E2E_RUNTIME" "$E2E_TMP/shm" "$E2E_TMP/domains"
    chmod 0755 "$E2E_HUGE/ivshare" "$E2E_RUNTIME"
    IVSHARE_CONF=$E2E_TMP/ivshare.conf
    cat > "$IVSHARE_CONF" <<EOF
# ivshare settings of the end-to-end test '$E2E_NAME'
[paths]
hugepage-dir=$E2E_HUGE/ivshare
shm-dir=$E2E_TMP/shm
runtime-dir=$E2E_RUNTIME
domains-dir=$E2E_TMP/domains
link-dir=/dev/shm
schema-dir=$IVSHARE_SCHEMA_DIR

[qemu]
user=$E2E_QEMU_USER
group=$E2E_QEMU_GROUP
EOF
    export IVSHARE_CONF
}

# Install the hook as a wrapper that runs this build's hook with this
# test's settings; cleanup removes it (and puts back one it displaced).
e2e_hook_install() {
    local wrapper=$E2E_TMP/hook-wrapper
    if [ -e "$E2E_HOOK_PATH" ] && ! grep -q "^$E2E_HOOK_MARK" "$E2E_HOOK_PATH"; then
        _e2e_hook_saved=$E2E_TMP/hook.saved
        cp -p "$E2E_HOOK_PATH" "$_e2e_hook_saved" || return 1
    fi
    cat > "$wrapper" <<EOF
#!/bin/sh
$E2E_HOOK_MARK (test '$E2E_NAME', removed when it ends)
export IVSHARE_CONF='$IVSHARE_CONF'
export IVSHARE_SCHEMA_DIR='$IVSHARE_SCHEMA_DIR'
exec '$E2E_HOOK' "\$@"
EOF
    chmod 0755 "$wrapper"
    mkdir -p "$(dirname "$E2E_HOOK_PATH")" &&
        mv -f "$wrapper" "$E2E_HOOK_PATH"
}

e2e_hook_remove() {
    if [ -f "$E2E_HOOK_PATH" ] && grep -q "^$E2E_HOOK_MARK (test '$E2E_NAME'" "$E2E_HOOK_PATH"; then
        rm -f "$E2E_HOOK_PATH"
        if [ -n "$_e2e_hook_saved" ]; then
            mv -f "$_e2e_hook_saved" "$E2E_HOOK_PATH"
        fi
    fi
}

# Guest kernel and initramfs -----------------------------------------------

# Print the path of a guest kernel: the boot/vmlinuz-* of the kernel package
# linux-image-amd64 depends on, downloaded (not installed) and cached.
e2e_guest_kernel() {
    local pkg dl k
    mkdir -p "$E2E_CACHE" || return 1
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    if [ -n "$pkg" ] && [ -s "$E2E_CACHE/$pkg.vmlinuz" ]; then
        echo "$E2E_CACHE/$pkg.vmlinuz"
        return 0
    fi
    if [ -n "$pkg" ]; then
        dl=$(mktemp -d "$E2E_CACHE/download.XXXXXX") || return 1
        if (cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1 &&
            dpkg-deb --fsys-tarfile ./*.deb | tar -x ./boot/); then
            k=$(ls "$dl"/boot/vmlinuz-* 2>/dev/null | head -n 1)
            if [ -n "$k" ]; then
                mv -f "$k" "$E2E_CACHE/$pkg.vmlinuz"
                rm -rf -- "$dl"
                echo "$E2E_CACHE/$pkg.vmlinuz"
                return 0
            fi
        fi
        rm -rf -- "$dl"
    fi
    # No archive: an installed Debian kernel does as well.
    k=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
    [ -n "$k" ] && { echo "$k"; return 0; }
    return 1
}

# e2e_initramfs OUT PROG...: a gzipped cpio with static busybox, the
# programs in /bin and an /init that runs e2e_prog with e2e_args (commas
# for spaces) from the kernel command line, prints an E2E-RESULT line on the
# console and powers off.
e2e_initramfs() {
    local out=$1 root p; shift
    root=$(mktemp -d "$E2E_TMP/initramfs.XXXXXX") || return 1
    mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" || return 1
    cp "$(command -v busybox)" "$root/bin/busybox" || return 1
    for p in "$@"; do
        cp "$p" "$root/bin/" || return 1
    done
    cp "$E2E_SRCDIR/guest/init" "$root/init" && chmod 0755 "$root/init" || return 1
    (cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out" ||
        return 1
    rm -rf -- "$root"
}

# e2e_guest_files: kernel and initramfs of the test guests into E2E_TMP
# (E2E_KERNEL, E2E_INITRD); the initramfs holds e2e-guest.
e2e_guest_files() {
    local k
    k=$(e2e_guest_kernel) || e2e_skip_all "no guest kernel: 'apt-get download linux-image-amd64' failed and /boot has none."
    E2E_KERNEL=$E2E_TMP/vmlinuz
    E2E_INITRD=$E2E_TMP/initramfs.gz
    cp "$k" "$E2E_KERNEL" || e2e_bail "copy the guest kernel"
    e2e_initramfs "$E2E_INITRD" "$E2E_BUILDDIR/e2e-guest" || e2e_bail "build the guest initramfs"
}

# Domains ------------------------------------------------------------------

# e2e_domain_xml NAME [--prog PROG] [--args ARGS] [--metadata FILE] [--shmem NAME:MIB]...
# Print a TCG direct-kernel-boot domain: 256 MiB, 1 vCPU, serial console in
# E2E_TMP/NAME.console, ACPI so that poweroff ends it, the ivshare
# description of FILE in <metadata>, raw ivshmem-plain devices for --shmem.
# The guest runs program PROG of its initramfs (default e2e-guest).
e2e_domain_xml() {
    local name=$1 prog=e2e-guest args='' metadata='' shmem='' n s; shift
    while [ $# -gt 0 ]; do
        case $1 in
        --prog) prog=$2; shift 2 ;;
        --args) args=$2; shift 2 ;;
        --metadata) metadata=$(cat "$2") || return 1; shift 2 ;;
        --shmem)
            n=${2%%:*}; s=${2#*:}
            shmem+="    <shmem name='$n'><model type='ivshmem-plain'/><size unit='M'>$s</size></shmem>"$'\n'
            shift 2 ;;
        *) echo "e2e_domain_xml: unknown option '$1'" >&2; return 1 ;;
        esac
    done
    cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <metadata>
$metadata
  </metadata>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$E2E_KERNEL</kernel>
    <initrd>$E2E_INITRD</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 e2e_prog=$prog e2e_args=$args</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$E2E_TMP/$name.console'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
$shmem  </devices>
</domain>
EOF
}

# e2e_define FILE: virsh define, tracked for cleanup.
e2e_define() {
    local name
    name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$1" | head -n 1)
    # a domain left running by an interrupted earlier run
    virsh domstate "$name" 2>/dev/null | grep -qx 'running\|paused' &&
        virsh destroy "$name" >/dev/null 2>&1
    virsh define "$1" > "$E2E_TMP/define.out" 2>&1 || {
        e2e_diag "$(cat "$E2E_TMP/define.out")"
        return 1
    }
    e2e_track_domain "$name"
}

# e2e_start DOMAIN: virsh start with a fresh console file; its output is in
# E2E_TMP/DOMAIN.start.
e2e_start() {
    rm -f "$E2E_TMP/$1.console"
    virsh start "$1" > "$E2E_TMP/$1.start" 2>&1
}

e2e_domstate() {
    virsh domstate "$1" 2>/dev/null | head -n 1
}

# e2e_wait_state DOMAIN STATE TIMEOUT: poll until the domain is in STATE.
e2e_wait_state() {
    local deadline=$((SECONDS + $3))
    while [ "$(e2e_domstate "$1")" != "$2" ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# The E2E-RESULT line of a domain's console.
e2e_result() {
    grep -a '^E2E-RESULT:' "$E2E_TMP/$1.console" 2>/dev/null | tail -n 1 | tr -d '\r'
}

# Show a domain's console as TAP diagnostics (for failures).
e2e_show_console() {
    [ -f "$E2E_TMP/$1.console" ] || { e2e_diag "no console output of '$1'"; return; }
    e2e_diag "console of '$1':"
    tr -d '\r' < "$E2E_TMP/$1.console" | tail -n "${2:-40}" | e2e_diag_stream
}

# e2e_guest_ok DOMAIN DESCRIPTION: a test point from the guest's result.
e2e_guest_ok() {
    local r
    r=$(e2e_result "$1")
    case $r in
    'E2E-RESULT: ok'*) e2e_ok "$2"; grep -a '^e2e-guest:' "$E2E_TMP/$1.console" | tr -d '\r' | e2e_diag_stream ;;
    *) e2e_not_ok "$2"; e2e_show_console "$1" ;;
    esac
}

# e2e_wait_file PATH TIMEOUT: poll until PATH exists.
e2e_wait_file() {
    local deadline=$((SECONDS + $2))
    until [ -e "$1" ]; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# e2e_wait_grep PATTERN FILE TIMEOUT: poll until FILE has a line matching PATTERN.
e2e_wait_grep() {
    local deadline=$((SECONDS + $3))
    until grep -aq -- "$1" "$2" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# e2e_daemon_start: run ivshared with this test's settings in the
# background (tracked), its log in E2E_TMP/ivshared.log; wait until it
# holds its pid file.
e2e_daemon_start() {
    "$E2E_IVSHARED" --config "$IVSHARE_CONF" --connect qemu:///system --verbose \
        >> "$E2E_TMP/ivshared.log" 2>&1 &
    E2E_DAEMON_PID=$!
    e2e_track_pid "$E2E_DAEMON_PID"
    e2e_wait_file "$E2E_RUNTIME/ivshared.pid" 10 || {
        e2e_diag "$(cat "$E2E_TMP/ivshared.log")"
        return 1
    }
}

# e2e_host_app OUT ARGS...: start e2e-host in the background, tracked; its
# output goes to OUT.  With --ready-file, wait until it has registered.
e2e_host_app() {
    local out=$1 ready='' a; shift
    for a in "$@"; do
        case $a in --ready-file=*) ready=${a#--ready-file=} ;; esac
    done
    "$E2E_BUILDDIR/e2e-host" "$@" > "$out" 2>&1 &
    E2E_HOST_PID=$!
    e2e_track_pid "$E2E_HOST_PID"
    if [ -n "$ready" ]; then
        e2e_wait_file "$ready" 10 || { e2e_diag "$(cat "$out")"; return 1; }
    fi
}

# e2e_wait_pid PID TIMEOUT: wait for a background child at most TIMEOUT
# seconds; its exit status, or 124 (and it is stopped) on timeout.
e2e_wait_pid() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null &&
          [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            e2e_stop_pid "$1"
            return 124
        fi
        sleep 0.2
    done
    wait "$1"
}

# ivshare descriptions ---------------------------------------------------

# e2e_description REGION APP [SLOTS [ATTRIBUTES]]: the ivshare description
# of an e2e region (the objects e2e-guest and e2e-host use), for <metadata>;
# ATTRIBUTES are more attributes of the region element.
e2e_description() {
    local slots=${3:-4096}
    cat <<EOF2
    <ivshare:shared-memory xmlns:ivshare="https://ivshare.dev/xmlns/domain/1">
      <ivshare:region name="$1" host-app="$2"${4:+ $4}>
        <ivshare:ring name="to-guest" slot-size="256" slots="$slots"/>
        <ivshare:ring name="to-host" slot-size="256" slots="$slots"/>
        <ivshare:ring name="vm2vm" slot-size="64" slots="1024"/>
        <ivshare:pool name="bufs" buffer-size="2048" buffers="512"/>
        <ivshare:memzone name="stats" size="4K"/>
      </ivshare:region>
    </ivshare:shared-memory>
EOF2
}

e2e_ivsharectl() {
    "$E2E_IVSHARECTL" "$@"
}

# e2e_ivshare_domain NAME DESCRIPTION-FILE GUEST-ARGS: the domain XML with
# the description, and with its devices injected by 'ivsharectl inject',
# in E2E_TMP/NAME.xml.
e2e_ivshare_domain() {
    e2e_domain_xml "$1" --metadata "$2" --args "$3" > "$E2E_TMP/$1.plain.xml" || return 1
    e2e_ivsharectl inject "$E2E_TMP/$1.plain.xml" > "$E2E_TMP/$1.xml" 2> "$E2E_TMP/$1.inject.err" || {
        e2e_diag "$(cat "$E2E_TMP/$1.inject.err")"
        return 1
    }
}

# The /dev/shm link of a region.
e2e_link() {
    echo "/dev/shm/ivshare-$1"
}

# Timing domains that stop -------------------------------------------------

# Monotonic-enough wall clock in milliseconds.
e2e_now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# e2e_watch_stop DOMAIN T0_MS OUT [TIMEOUT]: in the background (tracked),
# poll 'virsh domstate' every 50 ms and write to OUT the milliseconds from
# T0_MS until the domain is 'shut off', or 'timeout' after TIMEOUT s (30);
# OUT.qemu gets the milliseconds until its QEMU process had ended (gone or
# a zombie: libvirt counts the domain running until the zombie is reaped).
e2e_watch_stop() {
    local dom=$1 t0=$2 out=$3 limit=${4:-30}
    rm -f "$out" "$out.qemu"
    (
        qemu=$(cat "/run/libvirt/qemu/$dom.pid" 2>/dev/null)
        deadline=$((SECONDS + limit))
        while [ "$(e2e_domstate "$dom")" != 'shut off' ]; do
            if [ -n "$qemu" ] && [ ! -e "$out.qemu" ] &&
               { [ ! -e "/proc/$qemu" ] || [ "$(awk '{ print $3 }' "/proc/$qemu/stat" 2>/dev/null)" = Z ]; }; then
                echo $(($(e2e_now_ms) - t0)) > "$out.qemu"
            fi
            [ "$SECONDS" -lt "$deadline" ] || { echo timeout > "$out.tmp"; mv "$out.tmp" "$out"; exit 0; }
            sleep 0.05
        done
        [ -e "$out.qemu" ] || echo $(($(e2e_now_ms) - t0)) > "$out.qemu"
        echo $(($(e2e_now_ms) - t0)) > "$out.tmp"
        mv "$out.tmp" "$out"
    ) &
    e2e_track_pid $!
}

# e2e_watch_result OUT TIMEOUT: wait for a watcher's OUT and print it.
e2e_watch_result() {
    e2e_wait_file "$1" "$2" || { echo timeout; return; }
    cat "$1"
}

# e2e_todo DESCRIPTION REASON: a failing check of a known defect (TAP TODO).
e2e_todo() {
    _e2e_n=$((_e2e_n + 1))
    printf 'not ok %d - %s # TODO %s\n' "$_e2e_n" "$1" "$2"
}
