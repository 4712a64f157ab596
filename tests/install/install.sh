#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# install.sh: install the build into a DESTDIR and check the tree, then use it.
#
# Usage: install.sh BUILD_DIR KEY=VALUE...  (keys from tests/install/meson.build:
# the installation paths, cc, sanitize, man).  TAP output.
set -uo pipefail

build=$1
shift
declare -A opt
for kv in "$@"; do
    opt[${kv%%=*}]=${kv#*=}
done

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
diag() { sed 's/^/# /' "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
root() { printf '%s%s' "$dest" "$1"; }

if ! meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1; then
    echo "1..1"
    echo "not ok 1 - meson install --destdir"
    diag "$tmp/install.log"
    exit 1
fi
ok "meson install --destdir"

prefix=${opt[prefix]}
bindir=$(root "${opt[bindir]}")
sbindir=$(root "${opt[sbindir]}")
libdir=$(root "${opt[libdir]}")
includedir=$(root "${opt[includedir]}")
datadir=$(root "${opt[datadir]}")
mandir=$(root "${opt[mandir]}")
localedir=$(root "${opt[localedir]}")
docdir=$datadir/doc/ivshare

# --- the tree, file by file -------------------------------------------------
executables=(
    "$bindir/ivsharectl"
    "$sbindir/ivshared"
    "$(root "${opt[hooksdir]}")/ivshare"
)
for f in "${executables[@]}"; do
    check "executable ${f#"$dest"}, mode 755" test "$(stat -c %a "$f" 2>/dev/null)" = 755
done

files=(
    "$libdir/libivshare.so.0.1.0"
    "$libdir/libivshare.a"
    "$libdir/pkgconfig/ivshare.pc"
    "$libdir/pkgconfig/ivshare-guest.pc"
    "$includedir/ivshare/ivshare.h"
    "$datadir/ivshare/schemas/ivshare-domain.rng"
    "$(root "${opt[systemdunitdir]}")/ivshared.service"
    "$(root "${opt[tmpfilesdir]}")/ivshare.conf"
    "$(root "${opt[udevrulesdir]}")/90-ivshare-guest.rules"
    "$(root "${opt[apparmordir]}")/abstractions/libvirt-ivshare"
    "$docdir/examples/ivshare.conf"
    "$docdir/examples/fastpath.xml"
    "$docdir/examples/fastpath.ini"
    "$docdir/examples/vm2vm.xml"
    "$docdir/examples/vm2vm.ini"
    "$docdir/selinux/README.md"
    "$docdir/selinux/ivshare.te"
    "$docdir/selinux/ivshare.fc"
    "$localedir/de/LC_MESSAGES/ivshare.mo"
)
for f in "${files[@]}"; do
    check "installed ${f#"$dest"}" test -f "$f" -a -s "$f"
done
check "libivshare.so.0 links to the library" test "$(readlink "$libdir/libivshare.so.0")" = libivshare.so.0.1.0
check "libivshare.so links to the library" test -e "$libdir/libivshare.so"

if [ "${opt[man]}" = yes ]; then
    for page in man1/ivsharectl.1 man3/libivshare.3 man5/ivshare.conf.5 \
                man5/ivshare-description.5 man8/ivshared.8; do
        check "man page $page" test -s "$mandir/$page"
    done
    # man FUNCTION: one link into libivshare(3) per function of the header
    missing=()
    for f in $(grep -oE '\bivshare_[a-z_]+\(' "$includedir/ivshare/ivshare.h" | tr -d '(' | sort -u); do
        grep -qx '.so man3/libivshare.3' "$mandir/man3/$f.3" 2>/dev/null || missing+=("$f")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        ok "man3/FUNCTION.3 links to libivshare(3) for every function of ivshare.h"
    else
        not_ok "man3/FUNCTION.3 links missing (add them to docs/meson.build): ${missing[*]}"
    fi
    if MANPATH=$mandir man -w ivshare_ring_enqueue 2>/dev/null | grep -q 'man3/libivshare.3' &&
       MANPATH=$mandir MANWIDTH=80 man ivshare_ring_enqueue 2>/dev/null | grep -q 'ivshare_pool_get'; then
        ok "man ivshare_ring_enqueue shows libivshare(3)"
    else
        not_ok "man ivshare_ring_enqueue shows libivshare(3)"
    fi
else
    skip "man pages" "the build has no man pages (no scdoc, or -Dman=disabled)"
fi

# Nothing may land in /etc/ivshare: that is the administrator's.
check "nothing installed into /etc/ivshare" test ! -e "$dest/etc/ivshare" -a ! -e "$dest$prefix/etc/ivshare"

# --- contents -----------------------------------------------------------------
pc=$libdir/pkgconfig/ivshare.pc
guest_pc=$libdir/pkgconfig/ivshare-guest.pc
check "ivshare.pc: Libs: -livshare" grep -Eq '^Libs: (-L\$\{libdir\} )?-livshare$' "$pc"
check "ivshare-guest.pc: Libs: -livshare" grep -Eq '^Libs: (-L\$\{libdir\} )?-livshare$' "$guest_pc"
check "ivshare-guest.pc: Libs.private: -pthread" grep -qx 'Libs.private: -pthread' "$guest_pc"

unit=$(root "${opt[systemdunitdir]}")/ivshared.service
check "unit: Type=simple" grep -qx 'Type=simple' "$unit"
check "unit: foreground ivshared from sbindir" grep -qx "ExecStart=${opt[sbindir]}/ivshared" "$unit"
check "unit: Restart=on-failure" grep -qx 'Restart=on-failure' "$unit"
check "unit: after and wanting libvirtd" \
    bash -c 'grep -qx "After=libvirtd.service" "$1" && grep -qx "Wants=libvirtd.service" "$1"' _ "$unit"
check "unit: no RuntimeDirectory (it would go with the daemon)" bash -c '! grep -q "^RuntimeDirectory" "$1"' _ "$unit"
check "tmpfiles: /run/ivshare 0755 root root" \
    grep -Eq '^d[[:space:]]+/run/ivshare[[:space:]]+0755[[:space:]]+root[[:space:]]+root' \
    "$(root "${opt[tmpfilesdir]}")/ivshare.conf"
# systemd's own tools, where they exist, on the installed files
if command -v systemd-analyze >/dev/null; then
    # the unit as it would run this DESTDIR's daemon
    mkdir -p "$tmp/unit"
    sed "s|^ExecStart=${opt[sbindir]}/|ExecStart=$sbindir/|" "$unit" >"$tmp/unit/ivshared.service"
    if (cd "$tmp/unit" && systemd-analyze verify --man=no ./ivshared.service) >"$tmp/verify" 2>&1 &&
       [ ! -s "$tmp/verify" ]; then
        ok "systemd-analyze verify ivshared.service"
    else
        not_ok "systemd-analyze verify ivshared.service"
        diag "$tmp/verify"
    fi
else
    skip "systemd-analyze verify ivshared.service" "systemd-analyze is not installed"
fi
if [ "$(id -u)" -ne 0 ]; then
    skip "systemd-tmpfiles --create" "not root: it could not give /run/ivshare to root"
elif command -v systemd-tmpfiles >/dev/null; then
    mkdir -p "$tmp/root"
    if systemd-tmpfiles --create --root="$tmp/root" "$(root "${opt[tmpfilesdir]}")/ivshare.conf" >"$tmp/tmpfiles" 2>&1 &&
       [ "$(stat -c '%a %U %G' "$tmp/root/run/ivshare")" = "755 root root" ]; then
        ok "systemd-tmpfiles --create makes /run/ivshare 0755 root root"
    else
        not_ok "systemd-tmpfiles --create makes /run/ivshare 0755 root root"
        diag "$tmp/tmpfiles"
    fi
else
    skip "systemd-tmpfiles --create" "systemd-tmpfiles is not installed"
fi
check "example ivshare.conf is the shipped one" cmp -s "$docdir/examples/ivshare.conf" "${opt[srcdir]}/data/ivshare.conf"

# --- the installed tree in use ----------------------------------------------
export LD_LIBRARY_PATH=$libdir
export IVSHARE_SCHEMA_DIR=$datadir/ivshare/schemas
export IVSHARE_CONF=$tmp/no-such-ivshare.conf
export IVSHARE_RUNTIME_DIR=$tmp/run
unset LANGUAGE
export LC_ALL=C

if "$bindir/ivsharectl" --help >"$tmp/help" 2>&1 && grep -q 'validate' "$tmp/help"; then
    ok "installed ivsharectl --help"
else
    not_ok "installed ivsharectl --help"
    diag "$tmp/help"
fi
# every installed description, the fixed ones and whatever examples add
mapfile -t descs < <(cd "$docdir/examples" && ls -- *.xml *.ini 2>/dev/null)
for want in fastpath.xml fastpath.ini vm2vm.xml vm2vm.ini; do
    [[ " ${descs[*]} " == *" $want "* ]] || not_ok "examples/$want is installed"
done
for ex in "${descs[@]}"; do
    if "$bindir/ivsharectl" validate "$docdir/examples/$ex" >"$tmp/out" 2>&1 &&
       grep -qE ': valid, [0-9]+ regions?$' "$tmp/out"; then
        ok "installed ivsharectl validate examples/$ex"
    else
        not_ok "installed ivsharectl validate examples/$ex"
        diag "$tmp/out"
    fi
done
if LANGUAGE=de LC_ALL=C.UTF-8 IVSHARE_LOCALEDIR=$localedir "$bindir/ivsharectl" frob >"$tmp/out" 2>&1;
   [ $? -eq 2 ] && grep -q "unbekannter Befehl 'frob'" "$tmp/out"; then
    ok "installed ivsharectl speaks German with the installed catalog"
else
    not_ok "installed ivsharectl speaks German with the installed catalog"
    diag "$tmp/out"
fi
# the schema is read from the installed tree: without it validation fails
if IVSHARE_SCHEMA_DIR=$tmp/empty "$bindir/ivsharectl" validate "$docdir/examples/vm2vm.xml" >"$tmp/out" 2>&1; then
    not_ok "validate needs the installed schema"
    diag "$tmp/out"
else
    ok "validate needs the installed schema"
fi

# --- building against the installed header and pkg-config files -----------
cc=${opt[cc]}
# The .pc files say ${prefix}/lib/<multiarch>: --define-prefix would take
# the prefix two levels above the .pc file, so name it instead.
pkgconf() {
    PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_LIBDIR=$libdir/pkgconfig \
        pkg-config --define-variable=prefix="$dest$prefix" "$@"
}
cat >"$tmp/tiny.c" <<'PROG'
#include <ivshare/ivshare.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    ivshare_region *r = NULL;
    int rc = ivshare_guest_open("nothing-here", &r);

    printf("%s|%s|%d\n", ivshare_strerror(-IVSHARE_EBADREGION), ivshare_strerror(rc),
           IVSHARE_NAME_MAX);
    return rc == -ENOENT ? 0 : 1;
}
PROG
mkdir -p "$tmp/pci"
expected='Region metadata is invalid or corrupt|No such file or directory|31'
san=()
[ "${opt[sanitize]}" != none ] && san=("-fsanitize=${opt[sanitize]}")
flags=$(pkgconf --cflags --libs ivshare 2>"$tmp/pc.err")
if [[ "$flags" == *"-I$includedir"* ]] &&
   "$cc" "${san[@]}" -o "$tmp/tiny" "$tmp/tiny.c" $flags >"$tmp/cc.log" 2>&1; then
    ok "compile and link against ivshare.pc ($flags)"
    out=$(IVSHARE_SYSFS_PCI=$tmp/pci "$tmp/tiny" 2>&1)
    check "run it against the installed libivshare.so" test "$out" = "$expected"
    check "it uses the installed libivshare.so" \
        bash -c 'ldd "$1" | grep -q "$2/libivshare.so.0"' _ "$tmp/tiny" "$libdir"
else
    not_ok "compile and link against ivshare.pc ($flags)"
    diag "$tmp/pc.err" "$tmp/cc.log"
fi

if [ "${opt[sanitize]}" != none ]; then
    skip "static guest program with ivshare-guest.pc" "sanitizer runtimes do not link statically"
else
    flags=$(pkgconf --static --cflags --libs ivshare-guest 2>"$tmp/pc.err")
    if [[ "$flags" == *-pthread* ]] &&
       "$cc" -static -o "$tmp/tiny-static" "$tmp/tiny.c" $flags >"$tmp/cc.log" 2>&1; then
        ok "static link against ivshare-guest.pc ($flags)"
        out=$(IVSHARE_SYSFS_PCI=$tmp/pci "$tmp/tiny-static" 2>&1)
        check "run the static program" test "$out" = "$expected"
        check "the static program needs no shared library" \
            bash -c '! ldd "$1" 2>/dev/null | grep -q "=>"' _ "$tmp/tiny-static"
    else
        not_ok "static link against ivshare-guest.pc ($flags)"
        diag "$tmp/pc.err" "$tmp/cc.log"
    fi
fi

echo "1..$n"
[ "$failed" -eq 0 ]
