#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# examples.sh: the example programs of data/examples in real guests, over
# their shipped descriptions: partition-demo in two VMs at once (each reads
# the other's partition by domain name and by peer ID), then echo-host with
# echo-guest (round trips host -> VM -> host).

source "$(dirname "$0")/lib.sh"

count=${E2E_COUNT:-1000}
examples=$E2E_TOP_SRCDIR/data/examples
exbuild=$E2E_TOP_BUILDDIR/data/examples
part_region=e2e-ex-part
part_app=e2e-ex-part-app
doma=ivshare-e2e-ex-part-a
domb=ivshare-e2e-ex-part-b
echo_region=e2e-ex-echo
echo_app=e2e-ex-echo-app
echo_dom=ivshare-e2e-ex-echo

e2e_require_stack
e2e_require_ivshare
for p in echo-host echo-guest partition-demo; do
    [ -x "$exbuild/$p" ] || e2e_skip_all "'$exbuild/$p' is not built (guest examples need static linking)."
done
e2e_host_setup
e2e_init examples
e2e_conf
e2e_track_path "$(e2e_link "$part_region")"
e2e_track_path "$(e2e_link "$echo_region")"
e2e_check "hook installed in $E2E_HOOK_PATH" e2e_hook_install || e2e_done
e2e_check "ivshared started" e2e_daemon_start || e2e_done

kernel=$(e2e_guest_kernel) ||
    e2e_skip_all "no guest kernel: 'apt-get download linux-image-amd64' failed and /boot has none."
E2E_KERNEL=$E2E_TMP/vmlinuz
E2E_INITRD=$E2E_TMP/initramfs.gz
cp "$kernel" "$E2E_KERNEL" || e2e_bail "copy the guest kernel"
e2e_check "initramfs with echo-guest and partition-demo" \
    e2e_initramfs "$E2E_INITRD" "$exbuild/echo-guest" "$exbuild/partition-demo" || e2e_done

ex_validate() {
    e2e_ivsharectl validate "$examples/partitioned.xml" "$examples/partitioned.ini" \
        "$examples/echo.xml" "$examples/echo.ini" > "$E2E_TMP/validate.out" 2>&1
}
e2e_check "ivsharectl validate: each example XML and its INI twin agree" ex_validate ||
    e2e_diag "$(cat "$E2E_TMP/validate.out")"

# ex_description EXAMPLE OUT FROM=TO...: the <ivshare:shared-memory> element
# of a shipped example, with the quoted names FROM renamed TO (so that the
# test's regions and domains cannot meet anything real on this host).
ex_description() {
    local in=$1 out=$2 rename args=(); shift 2
    for rename in "$@"; do
        args+=(-e "s/\"${rename%%=*}\"/\"${rename#*=}\"/g")
    done
    sed -n '/^[[:space:]]*<ivshare:shared-memory /,/^[[:space:]]*<\/ivshare:shared-memory>/p' "$in" |
        sed "${args[@]}" > "$out" &&
        for rename in "$@"; do
            grep -q "\"${rename#*=}\"" "$out" || return 1
        done
}

# ex_domain NAME PROG DESCRIPTION ARGS: the domain XML of a guest that runs
# PROG with ARGS (commas for spaces), devices injected, in E2E_TMP/NAME.xml.
ex_domain() {
    e2e_domain_xml "$1" --prog "$2" --metadata "$3" --args "$4" > "$E2E_TMP/$1.plain.xml" || return 1
    e2e_ivsharectl inject "$E2E_TMP/$1.plain.xml" > "$E2E_TMP/$1.xml" 2> "$E2E_TMP/$1.inject.err" || {
        e2e_diag "$(cat "$E2E_TMP/$1.inject.err")"
        return 1
    }
}

# ex_console_has DOMAIN TEXT: a line of the domain's console starts with TEXT.
ex_console_has() {
    tr -d '\r' < "$E2E_TMP/$1.console" 2>/dev/null | grep -aqF -- "$2"
}

# ex_guest_lines DOMAIN PROG: the lines PROG printed on the domain's console.
ex_guest_lines() {
    tr -d '\r' < "$E2E_TMP/$1.console" 2>/dev/null | grep -a "^$2:"
}

# ex_guest_ran DOMAIN DESCRIPTION: a test point from the guest's E2E-RESULT.
ex_guest_ran() {
    case $(e2e_result "$1") in
    'E2E-RESULT: ok'*) e2e_ok "$2" ;;
    *) e2e_not_ok "$2"; e2e_show_console "$1" ;;
    esac
}

# 1. The partitioned model: two VMs at once over partitioned.xml --------------

ex_description "$examples/partitioned.xml" "$E2E_TMP/partitioned.xml" \
    "partitioned=$part_region" "partition-host=$part_app" "vm1=$doma" "vm2=$domb"
e2e_check "partitioned.xml: region, host application and partitions renamed for the test" \
    test $? -eq 0 || e2e_done
ex_domain "$doma" partition-demo "$E2E_TMP/partitioned.xml" \
        "-r,$part_region,-n,$count,-t,240,$doma,$domb" &&
    ex_domain "$domb" partition-demo "$E2E_TMP/partitioned.xml" \
        "-r,$part_region,-n,$count,-t,240,$domb,$doma"
e2e_check "both domains carry the ivshmem-doorbell device of '$part_region'" test $? -eq 0 || e2e_done
e2e_define "$E2E_TMP/$doma.xml" && e2e_define "$E2E_TMP/$domb.xml"
e2e_check "both domains defined" test $? -eq 0 || e2e_done
e2e_check "host application '$part_app' registered" \
    e2e_host_app "$E2E_TMP/part-host.out" --app "$part_app" --timeout 900 \
        --ready-file "$E2E_TMP/part-ready" hold || e2e_done
part_host=$E2E_HOST_PID

start=$SECONDS
e2e_start "$doma"
e2e_check "virsh start $doma (partition-demo $doma $domb)" test $? -eq 0 ||
    e2e_diag "$(cat "$E2E_TMP/$doma.start")"
e2e_start "$domb"
e2e_check "virsh start $domb (partition-demo $domb $doma) while $doma runs" test $? -eq 0 ||
    e2e_diag "$(cat "$E2E_TMP/$domb.start")"
e2e_check "$doma powered off by itself" e2e_wait_state "$doma" 'shut off' 600
e2e_check "$domb powered off by itself" e2e_wait_state "$domb" 'shut off' 600
e2e_diag "guests ran $((SECONDS - start)) s"
ex_guest_ran "$doma" "partition-demo in $doma ended successfully"
ex_guest_ran "$domb" "partition-demo in $domb ended successfully"
for pair in "$doma $domb" "$domb $doma"; do
    set -- $pair
    ex_guest_lines "$1" partition-demo | e2e_diag_stream
    ex_console_has "$1" "partition-demo: read $2's partition by name: \"hello from $2, version $count\"" &&
        ex_console_has "$1" ", 0 wrong"
    e2e_check "$1 read $2's last version ($count) by domain name, every snapshot whole" test $? -eq 0
    e2e_check "$1 read the same bytes through $2's peer ID" \
        ex_console_has "$1" "partition-demo: read $2's partition by peer ID"
done
e2e_stop_pid "$part_host"
e2e_check "host application '$part_app' ended cleanly" test $? -eq 0 ||
    e2e_diag "$(cat "$E2E_TMP/part-host.out")"

# 2. Request/response: echo-host and echo-guest over echo.xml -----------------

ex_description "$examples/echo.xml" "$E2E_TMP/echo.xml" \
    "echo=$echo_region" "echo-host=$echo_app"
e2e_check "echo.xml: region and host application renamed for the test" test $? -eq 0 || e2e_done
e2e_check "ivsharectl inject adds the device of '$echo_region'" \
    ex_domain "$echo_dom" echo-guest "$E2E_TMP/echo.xml" "-r,$echo_region,-t,240" || e2e_done
e2e_check "domain defined" e2e_define "$E2E_TMP/$echo_dom.xml" || e2e_done

"$exbuild/echo-host" -a "$echo_app" -r "$echo_region" -n "$count" -t 240 -l \
    > "$E2E_TMP/echo-host.out" 2>&1 &
echo_host=$!
e2e_track_pid "$echo_host"
e2e_check "echo-host registered as '$echo_app'" \
    e2e_wait_grep "^echo-host: registered host application '$echo_app'" "$E2E_TMP/echo-host.out" 10 ||
    { e2e_diag "$(cat "$E2E_TMP/echo-host.out")"; e2e_done; }

start=$SECONDS
e2e_start "$echo_dom"
e2e_check "virsh start $echo_dom (echo-guest)" test $? -eq 0 ||
    { e2e_diag "$(cat "$E2E_TMP/$echo_dom.start")"; e2e_done; }
e2e_check "$echo_dom powered off by itself" e2e_wait_state "$echo_dom" 'shut off' 600
e2e_diag "guest ran $((SECONDS - start)) s"
ex_guest_ran "$echo_dom" "echo-guest ended successfully"
ex_guest_lines "$echo_dom" echo-guest | e2e_diag_stream
# echo-host sends one untimed request first (it waits for the guest's boot)
e2e_check "echo-guest answered $((count + 1)) requests (1 + $count timed), none bad" \
    ex_console_has "$echo_dom" "echo-guest: answered $((count + 1)) requests, 0 bad ones"
# echo-host lingers (ivshared would stop the guest as soon as it exits):
# wait for its verdict, then end it.
e2e_wait_grep '^echo-host: \(all\|done\)' "$E2E_TMP/echo-host.out" 60
e2e_stop_pid "$echo_host"
e2e_check "echo-host ended cleanly" test $? -eq 0
e2e_diag "$(cat "$E2E_TMP/echo-host.out")"
stats=$(grep -a '^echo-host: [0-9]* round trips' "$E2E_TMP/echo-host.out" | sed 's/^echo-host: //')
e2e_check "echo-host: every answer matched its request (${stats:-no statistics})" \
    grep -aq "^echo-host: all $count answers matched their requests" "$E2E_TMP/echo-host.out"
e2e_done
