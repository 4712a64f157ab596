#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# man.sh: every man page renders without a warning and documents what exists.
#
# Usage: man.sh SOURCE_DIR BUILD_DIR PAGE...  TAP output; skips without pages.
set -uo pipefail

src=$1
build=$2
shift 2

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

if [ "$#" -eq 0 ]; then
    echo "1..0 # SKIP the build has no man pages (no scdoc, or -Dman=disabled)"
    exit 0
fi
if ! command -v groff >/dev/null; then
    echo "1..0 # SKIP groff is not installed (package groff-base)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8 LANGUAGE=

declare -A text
for page in "$@"; do
    name=$(basename "$page")
    # -ww: every warning; -z: no output, only diagnostics
    if groff -man -Tutf8 -ww -z "$page" >"$tmp/warn" 2>&1 && [ ! -s "$tmp/warn" ]; then
        ok "$name renders without warnings"
    else
        not_ok "$name renders without warnings"
        sed 's/^/# /' "$tmp/warn"
    fi
    if command -v man >/dev/null; then
        MANWIDTH=80 man --warnings -l "$page" >"$tmp/$name.txt" 2>"$tmp/warn"
    else
        groff -man -Tutf8 "$page" 2>"$tmp/warn" | col -b >"$tmp/$name.txt"
    fi
    if [ ! -s "$tmp/warn" ] && grep -q '^NAME' "$tmp/$name.txt" && grep -q '^SEE ALSO' "$tmp/$name.txt"; then
        ok "$name: man -l shows NAME to SEE ALSO without warnings"
    else
        not_ok "$name: man -l shows NAME to SEE ALSO without warnings"
        sed 's/^/# /' "$tmp/warn"
    fi
    # scdoc markup that did not take: a literal backslash escape
    if grep -qE '\\[*_]' "$tmp/$name.txt"; then
        not_ok "$name: no stray markup"
        grep -nE '\\[*_]' "$tmp/$name.txt" | sed 's/^/# /'
    else
        ok "$name: no stray markup"
    fi
    # groff hyphenates long words at line ends: join them before searching
    text[$name]=$(sed -e 's/\xe2\x80\x90$//' "$tmp/$name.txt" | tr -d '\n' | tr -s ' ')
done

# documents WORD... in PAGE: each word appears in the rendered page
documents() {
    local page=$1 what=$2 missing=()
    shift 2
    if [ -z "${text[$page]+set}" ]; then
        not_ok "$page was not built"
        return
    fi
    for w in "$@"; do
        [[ "${text[$page]}" == *"$w"* ]] || missing+=("$w")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        ok "$page documents every $what ($#)"
    else
        not_ok "$page documents every $what: missing ${missing[*]}"
    fi
}

# every function of the public header
mapfile -t funcs < <(grep -oE '\bivshare_[a-z_]+\(' "$src/include/ivshare/ivshare.h" | tr -d '(' | sort -u)
documents libivshare.3 "function of ivshare.h" "${funcs[@]}"
mapfile -t errs < <(grep -oE '\bIVSHARE_E[A-Z]+\b' "$src/include/ivshare/ivshare.h" | sort -u)
documents libivshare.3 "error value" "${errs[@]}"

# every command of ivsharectl, from its own help
ctl=$build/src/ctl/ivsharectl
mapfile -t cmds < <(LANGUAGE='' LC_ALL=C "$ctl" --help 2>&1 | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
if [ "${#cmds[@]}" -ge 9 ]; then
    documents ivsharectl.1 "command of ivsharectl --help" "${cmds[@]}"
else
    not_ok "ivsharectl --help lists the commands (found ${#cmds[@]})"
fi
mapfile -t ctl_opts < <(LANGUAGE='' LC_ALL=C "$ctl" validate --help 2>&1 | grep -oE -- '--[a-z-]+' | sort -u)
documents ivsharectl.1 "option of ivsharectl" "${ctl_opts[@]}"

# every option of ivshared
mapfile -t d_opts < <(LANGUAGE='' LC_ALL=C "$build/src/daemon/ivshared" --help 2>&1 | grep -oE -- '--[a-z-]+' | sort -u)
documents ivshared.8 "option of ivshared --help" "${d_opts[@]}"

# every settings key and group of the shipped ivshare.conf
mapfile -t keys < <(grep -oE '^#?[a-z-]+=' "$src/data/ivshare.conf" | tr -d '#=' | sort -u)
mapfile -t groups < <(grep -oE '^\[[a-z]+\]' "$src/data/ivshare.conf" | sort -u)
documents ivshare.conf.5 "key of ivshare.conf" "${keys[@]}" "${groups[@]}"

# every element, attribute and value of the schema
mapfile -t names < <(grep -oE '<(element|attribute) name="[a-z-]+"' "$src/schemas/ivshare-domain.rng" |
                     sed 's/.*name="//; s/"$//' | sort -u)
mapfile -t values < <(grep -oE '<value>[a-z]+</value>' "$src/schemas/ivshare-domain.rng" |
                      sed 's/<[^>]*>//g' | sort -u)
documents ivshare-description.5 "element and attribute of the schema" "${names[@]}"
documents ivshare-description.5 "value of the schema" "${values[@]}"

echo "1..$n"
[ "$failed" -eq 0 ]
