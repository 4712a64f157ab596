#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# i18n.sh: ivsharectl, ivshared and the hook in German, from the catalog of
# the build tree (IVSHARE_LOCALEDIR), and a complete po/de.po.
#
# Usage: i18n.sh SOURCE_DIR BUILD_DIR.  TAP output.
set -uo pipefail

src=$1
build=$2
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ctl=$build/src/ctl/ivsharectl

# expect NAME STATUS PATTERN CMD...: CMD exits STATUS and prints PATTERN
# (fixed string) on standard output or error
expect() {
    local what=$1 status=$2 pattern=$3 rc
    shift 3
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -eq "$status" ] && grep -qF -- "$pattern" "$tmp/out"; then
        ok "$what"
    else
        not_ok "$what (exit $rc, expected $status and '$pattern')"
        sed 's/^/# /' "$tmp/out"
    fi
}
german() { env IVSHARE_LOCALEDIR="$build/po" LANGUAGE=de LC_ALL=C.UTF-8 "$@"; }
english() { env IVSHARE_LOCALEDIR="$build/po" LANGUAGE= LC_ALL=C "$@"; }

export IVSHARE_CONF=$tmp/no-such-ivshare.conf
export IVSHARE_RUNTIME_DIR=$tmp/run
export IVSHARE_SCHEMA_DIR=$src/schemas

if [ -f "$build/po/de/LC_MESSAGES/ivshare.mo" ]; then
    ok "the build made po/de/LC_MESSAGES/ivshare.mo"
else
    not_ok "the build made po/de/LC_MESSAGES/ivshare.mo"
fi

# the control: without LANGUAGE the same commands speak English
expect "English without LANGUAGE" 0 "Commands:" english "$ctl" --help

expect "ivsharectl --help in German" 0 "Befehle:" german "$ctl" --help
expect "ivsharectl --help: German summary" 0 "Gemeinsame Speicherregionen (ivshare) von libvirt-Domänen verwalten." german "$ctl" --help
expect "ivsharectl --help: German command summaries" 0 "Die Regionsdateien einer Beschreibung bauen oder prüfen" german "$ctl" --help
expect "ivsharectl --help: German exit status" 0 "4 Konflikt oder in Benutzung, 5 nicht gefunden." german "$ctl" --help
if german "$ctl" --help 2>&1 | grep -qE 'Project-Id-Version|Check descriptions|Remove region files'; then
    not_ok "ivsharectl --help: no English summary and no catalog header"
    german "$ctl" --help 2>&1 | sed 's/^/# /'
else
    ok "ivsharectl --help: no English summary and no catalog header"
fi

expect "unknown command, in German" 2 "ivsharectl: unbekannter Befehl 'frob'; siehe 'ivsharectl --help'" \
    german "$ctl" frob
expect "validate without a file, in German" 2 "ivsharectl validate: DATEI… erwartet; siehe 'ivsharectl validate --help'" \
    german "$ctl" validate
expect "an invalid description, in German" 3 "backing muss 'hugepages' oder 'shm' sein, nicht 'tmpfs'" \
    german "$ctl" validate "$src/tests/data/desc/bad-backing-invalid.xml"
expect "plural forms: one region" 0 "fastpath.xml: gültig, 1 Region" \
    german "$ctl" validate "$src/data/examples/fastpath.xml"
expect "ivshared --help in German" 0 "Einstellungsdatei (Vorgabe: \$IVSHARE_CONF oder /etc/ivshare/ivshare.conf)" \
    german "$build/src/daemon/ivshared" --help
expect "the hook's usage in German" 2 "ivshare: Aufruf:" german "$build/hooks/ivshare"

# the catalog itself: every message translated, none fuzzy, formats intact
if msgfmt --check --statistics -o "$tmp/de.mo" "$src/po/de.po" >"$tmp/stats" 2>&1 &&
   ! grep -qE 'untranslated|fuzzy' "$tmp/stats"; then
    ok "msgfmt --check: $(cat "$tmp/stats")"
else
    not_ok "msgfmt --check --statistics po/de.po"
    sed 's/^/# /' "$tmp/stats"
fi
if grep -qx 'de' "$src/po/LINGUAS"; then ok "LINGUAS lists de"; else not_ok "LINGUAS lists de"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
