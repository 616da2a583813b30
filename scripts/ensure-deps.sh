#!/usr/bin/env bash
# Makes sure the system tools a suite needs are installed.
#   scripts/ensure-deps.sh TOOL...      e.g. mcs mono valgrind tinyproxy
# Missing tools are installed with apt-get when running as root (Debian/Ubuntu); otherwise
# the script stops, naming the packages to install. It never lets a suite be skipped.
set -euo pipefail

package_of() {
    case "$1" in
        mcs) echo mono-mcs ;;
        mono) echo mono-runtime ;;
        valgrind) echo valgrind ;;
        tinyproxy) echo tinyproxy ;;
        curl-config) echo libcurl4-openssl-dev ;;
        strip|nm) echo binutils ;;
        cc|gcc) echo gcc ;;
        *) echo "$1" ;;
    esac
}

# tinyproxy installs into /usr/bin but some images keep it in /usr/sbin.
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$(package_of "$tool")")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts tinyproxy as a service on install; the tests run their own.
    if printf '%s\n' "${missing[@]}" | grep -qx tinyproxy; then
        (service tinyproxy stop || pkill -x tinyproxy) >/dev/null 2>&1 || true
    fi
    exit 0
fi
echo "error: missing packages: ${missing[*]}" >&2
echo "       install them (e.g. sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
echo "       and run again; no test suite is skipped." >&2
exit 1
