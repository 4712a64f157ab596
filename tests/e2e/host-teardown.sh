#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# host-teardown.sh: undo what host-setup.sh started or changed, and only that.
#
# Ends the daemons host-setup.sh started (by the PIDs it recorded), gives back
# the hugepages it reserved, unmounts the hugetlbfs it mounted when nothing is
# left on it, and removes the hooks directory it created when it is empty.

set -u

state_dir=${E2E_STATE_DIR:-/run/ivshare-e2e}
state=$state_dir/host-setup.state

say() { printf 'host-teardown: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root."; exit 1; }
[ -f "$state" ] || exit 0
exec 9>"$state_dir/lock"
flock -w 120 9 || { say "another host-setup or host-teardown holds '$state_dir/lock'."; exit 1; }

value() { sed -n "s/^$1=//p" "$state" | head -n 1; }

# stop_daemon NAME: end the daemon host-setup.sh started, if it still runs.
stop_daemon() {
    local pid
    pid=$(value "${1}_pid")
    [ -n "$pid" ] || return 0
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$1" ]; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        [ -d "/proc/$pid" ] || break
        sleep 0.2
    done
    if [ -d "/proc/$pid" ]; then
        say "$1 (pid $pid) did not stop within 10 s; killing it."
        kill -KILL "$pid" 2>/dev/null
    fi
    say "stopped $1 (pid $pid)."
}

if [ -n "$(value libvirtd_pid)" ] && command -v virsh >/dev/null; then
    running=$(virsh -c qemu:///system list --name 2>/dev/null | grep -c .)
    [ "$running" -eq 0 ] || say "warning: $running domains are still running."
fi
# the subreaper host-setup.sh put above libvirtd first: it would start
# libvirtd again
reaper=$(value reaper_pid)
if [ -n "$reaper" ] && [ "$(cat "/proc/$reaper/comm" 2>/dev/null)" = tini ]; then
    kill -TERM "$reaper" 2>/dev/null && say "stopped the subreaper of libvirtd (pid $reaper)."
fi
stop_daemon libvirtd
stop_daemon virtlogd

mnt=$(value hugetlbfs_mounted)
if [ -n "$mnt" ] && mountpoint -q "$mnt"; then
    if [ -z "$(find "$mnt" -mindepth 1 -not -type d -print -quit)" ]; then
        umount "$mnt" && say "unmounted '$mnt'."
    else
        say "'$mnt' still holds files; leaving it mounted."
    fi
fi

before=$(value nr_hugepages_before)
if [ -n "$before" ]; then
    # Never take away pages someone still uses.
    used=$(awk '/^HugePages_Total:/ { t = $2 } /^HugePages_Free:/ { f = $2 }
                END { print t - f }' /proc/meminfo)
    target=$before
    [ "$used" -le "$target" ] || target=$used
    echo "$target" > /proc/sys/vm/nr_hugepages && say "nr_hugepages back to $target."
fi

hook=$(value placeholder_hook)
[ -n "$hook" ] && rm -f "$hook"
dir=$(value hooks_dir_created)
if [ -n "$dir" ]; then
    rmdir "$dir" 2>/dev/null && say "removed '$dir'."
fi
rm -f "$state"
exit 0
