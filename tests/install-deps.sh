#!/usr/bin/env bash
# Install the Debian packages listed in .ci/packages (as root), if missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t pkgs < <(grep -v '^#' "$top/.ci/packages" | tr ' ' '\n' | grep -v '^$')
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "all ${#pkgs[@]} packages are installed"
    exit 0
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
