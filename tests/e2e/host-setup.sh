#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# host-setup.sh: make this host ready for the end-to-end tests (idempotent, root).
#
# Starts virtlogd and libvirtd when they are not running (after creating the
# libvirt qemu hooks directory, which libvirtd only looks at when it starts),
# reserves hugepages and mounts hugetlbfs at /dev/hugepages.  What this script
# starts or changes is recorded in the state file, so that host-teardown.sh
# undoes exactly that and nothing else.
#
# Environment: E2E_HUGEPAGES  2 MiB pages to keep free for the tests (128)
#              E2E_STATE_DIR  where the state file lives (/run/ivshare-e2e)

set -u

hooks_dir=/etc/libvirt/hooks/qemu.d
placeholder=$hooks_dir/00-ivshare-e2e-placeholder
state_dir=${E2E_STATE_DIR:-/run/ivshare-e2e}
state=$state_dir/host-setup.state
want_free=${E2E_HUGEPAGES:-128}

say() { printf 'host-setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root."
mkdir -p "$state_dir" || die "cannot create '$state_dir'."
touch "$state"
exec 9>"$state_dir/lock"
flock -w 120 9 || die "another host-setup or host-teardown holds '$state_dir/lock'."

# record KEY VALUE: remember what we changed, once (the first value wins,
# so repeated runs never forget the original state).
record() {
    grep -q "^$1=" "$state" || printf '%s=%s\n' "$1" "$2" >> "$state"
}

# Is the daemon whose pid file is $1 and binary name $2 alive?
running() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -d "/proc/$pid" ] &&
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# wait_for SECONDS CMD...: poll CMD until it succeeds, at most SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# start_daemon NAME PIDFILE SOCKET
start_daemon() {
    local name=$1 pidfile=$2 socket=$3 pid
    if running "$pidfile" "$name"; then
        return 0
    fi
    command -v "$name" >/dev/null || die "'$name' is not installed."
    if [ "$name" = libvirtd ] && command -v tini >/dev/null; then
        # libvirtd daemonizes each QEMU; on a host whose init is slow to
        # reap (here, no systemd), a QEMU that has exited lingers as a
        # zombie and libvirt reports its domain running until it is
        # reaped.  A subreaper above libvirtd adopts and reaps them at
        # once, as systemd would; like systemd, it starts libvirtd again
        # when libvirtd ends (tests restart it by killing it), so that
        # every QEMU has the same prompt reaper.
        setsid tini -s -- sh -c 'while :; do libvirtd; sleep 0.2; done' >/dev/null 2>&1 9>&- < /dev/null &
        record reaper_pid "$!"
    else
        "$name" -d 9>&- || die "'$name -d' failed."
    fi
    wait_for 20 test -S "$socket" || die "'$name' did not create '$socket' within 20 s."
    wait_for 5 running "$pidfile" "$name" || die "'$name' wrote no pid file '$pidfile'."
    pid=$(cat "$pidfile")
    record "${name}_pid" "$pid"
    say "started $name (pid $pid)."
}

# 1. Hooks first.  libvirtd looks for hooks once, when it starts: with no
# executable in the qemu hooks directory then, it never runs any later.  A
# no-op placeholder keeps the directory live for the hooks tests install.
if [ ! -d "$hooks_dir" ]; then
    mkdir -p "$hooks_dir" || die "cannot create '$hooks_dir'."
    record hooks_dir_created "$hooks_dir"
fi
has_hook=no
for f in "$hooks_dir"/* /etc/libvirt/hooks/qemu; do
    [ -f "$f" ] && [ -x "$f" ] && has_hook=yes
done
if [ "$has_hook" = no ]; then
    printf '#!/bin/sh\n# Placeholder of the ivshare e2e tests (host-setup.sh): libvirtd runs\n# hooks only if one exists when it starts.  host-teardown.sh removes it.\nexit 0\n' \
        > "$placeholder" && chmod 0755 "$placeholder" || die "cannot create '$placeholder'."
    record placeholder_hook "$placeholder"
    if running /run/libvirtd.pid libvirtd; then
        pid=$(cat /run/libvirtd.pid)
        if grep -qx "libvirtd_pid=$pid" "$state"; then
            say "restarting libvirtd (pid $pid) so that it runs hooks."
            kill -TERM "$pid"
            wait_for 20 sh -c "! test -d /proc/$pid" || die "libvirtd (pid $pid) does not stop."
            sed -i '/^libvirtd_pid=/d' "$state"
        else
            say "warning: libvirtd (pid $pid) started with no qemu hook installed;" \
                "it runs no hooks until it is restarted."
        fi
    fi
fi

# 2. Daemons.
start_daemon virtlogd /run/virtlogd.pid /run/libvirt/virtlogd-sock
start_daemon libvirtd /run/libvirtd.pid /run/libvirt/libvirt-sock
wait_for 20 virsh -c qemu:///system version ||
    die "libvirtd does not answer on qemu:///system."

# 3. Hugepages: keep $want_free pages free on top of what is in use.
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
total=$(meminfo HugePages_Total)
free=$(meminfo HugePages_Free)
if [ "${free:-0}" -lt "$want_free" ]; then
    target=$((total - free + want_free))
    record nr_hugepages_before "$total"
    echo "$target" > /proc/sys/vm/nr_hugepages ||
        die "cannot set /proc/sys/vm/nr_hugepages to $target."
    total=$(meminfo HugePages_Total)
    free=$(meminfo HugePages_Free)
    [ "$free" -ge "$want_free" ] ||
        die "only $free hugepages free after asking for $target in total (memory too fragmented?)."
    say "reserved hugepages: $total in total, $free free."
fi
if ! mountpoint -q /dev/hugepages; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages || die "cannot mount hugetlbfs at /dev/hugepages."
    record hugetlbfs_mounted /dev/hugepages
    say "mounted hugetlbfs at /dev/hugepages."
fi
exit 0
