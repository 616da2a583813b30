#!/usr/bin/env bash
# libjing benchmark: one command (`make bench` calls it). Builds what it needs, runs every
# client against jing-sandbox on loopback, prints a table of medians and ratios and a
# PASS/FAIL summary, and writes benches/RESULTS.md. Exits 0 even when a target is missed
# (it is a measurement, not a test); exits non-zero only when it cannot measure.
#
#   benches/run.sh [--quick]
#     --quick         fewer creates and one repetition: a smoke run, written to
#                     target/bench/RESULTS.quick.md instead of benches/RESULTS.md
#
# Needs: cargo, a C compiler, strip, python3 (with venv), libcurl headers, mono + mcs.
# As root, missing libcurl4-openssl-dev / mono-mcs / mono-runtime are apt-get installed.
# Python: the virtualenv $VENV [<repo>/.venv] is created if missing and gets `requests`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
OUT="$TARGET/bench"
VENV="${VENV:-$REPO/.venv}"
EXTRA=()
RESULTS="$HERE/RESULTS.md"
for arg in "$@"; do
  case "$arg" in
    --quick) EXTRA=(--count1 300 --count8 60 --reps 1 --warmup 10 --throttle-total 30 --cold-runs 3)
             RESULTS="$OUT/RESULTS.quick.md" ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "benches/run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "benches/run.sh: FAILED: $*" >&2; exit 1; }
say() { echo "== $*"; }

APT_UPDATED=0
apt_install() {  # apt_install PKG... ; only as root
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  say "apt-get install $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    [ $APT_UPDATED = 1 ] && return 1
    APT_UPDATED=1
    apt-get update -qq >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || return 1
  fi
}

# ---- tools ------------------------------------------------------------------------------
command -v cargo >/dev/null || fail "cargo not found (install Rust: https://rustup.rs)"
CC="${CC:-cc}"
command -v "$CC" >/dev/null || CC=gcc
command -v "$CC" >/dev/null || apt_install gcc libc6-dev || fail "no C compiler (install gcc)"
command -v strip >/dev/null || apt_install binutils || fail "strip not found (install binutils)"
command -v python3 >/dev/null || fail "python3 not found"

curl_ok() { echo '#include <curl/curl.h>
int main(void){return curl_version()==0;}' | "$CC" -x c - -o /dev/null -lcurl >/dev/null 2>&1; }
if ! curl_ok; then
  apt_install libcurl4-openssl-dev && curl_ok \
    || fail "libcurl development files missing: apt-get install libcurl4-openssl-dev (as root)"
fi
if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
  apt_install mono-mcs mono-runtime && command -v mcs >/dev/null && command -v mono >/dev/null \
    || fail "Mono missing: apt-get install --no-install-recommends mono-mcs mono-runtime (as root)"
fi

# ---- Rust: the library, the sandbox, the reqwest floor -----------------------------------
# Built one package at a time, the library last: cargo unifies dependency features across
# the packages (and dev-dependencies) of one invocation, so building them together would
# measure a libjing.so with the sandbox's or the tests' features, not the one users get.
say "cargo build --release: the overhead bench, jing-sandbox, then libjing alone"
OVERHEAD_EXE="$(cd "$REPO" && cargo build --release -p jing --bench overhead --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*overhead[^"]*\)".*/\1/p' | tail -1)"
[ -n "$OVERHEAD_EXE" ] && [ -x "$OVERHEAD_EXE" ] \
  || { (cd "$REPO" && cargo build --release -p jing --bench overhead) >&2; fail "cannot build benches/overhead.rs"; }
(cd "$REPO" && cargo build --release -p jing-sandbox && cargo build --release -p jing --lib) \
  || fail "cargo build failed"
LIB="$TARGET/release/libjing.so"
SANDBOX="$TARGET/release/jing-sandbox"
[ -f "$LIB" ] && [ -x "$SANDBOX" ] || fail "$LIB or $SANDBOX missing after the build"


# ---- C, C# -------------------------------------------------------------------------------
mkdir -p "$OUT"
say "compiling C and C# drivers into $OUT"
"$CC" -O2 -Wall -I"$REPO/include" -o "$OUT/bench_jing" "$HERE/bench_jing.c" \
  -L"$TARGET/release" -ljing -lpthread -Wl,-rpath,"$TARGET/release" || fail "cannot compile bench_jing.c"
"$CC" -O2 -Wall -o "$OUT/bench_curl" "$HERE/bench_curl.c" -lcurl -lpthread || fail "cannot compile bench_curl.c"
mkdir -p "$OUT/cs"
mcs -langversion:7.2 -optimize+ -nowarn:1591 -out:"$OUT/cs/Bench.exe" \
  "$REPO"/bindings/csharp/src/*.cs "$HERE/Bench.cs" >/dev/null || fail "cannot compile Bench.cs with mcs"
cp "$LIB" "$OUT/cs/libjing.so"   # Mono finds it next to the .exe

# ---- Python ------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV"
  python3 -m venv "$VENV" || fail "cannot create a virtualenv at $VENV (apt-get install python3-venv?)"
fi
if ! "$VENV/bin/python" -c 'import requests' 2>/dev/null; then
  say "pip install requests into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check requests \
    || fail "cannot pip install requests into $VENV"
fi

# ---- run ---------------------------------------------------------------------------------
say "running (about 1-2 minutes)"
exec "$VENV/bin/python" "$HERE/harness.py" \
  --repo "$REPO" --lib "$LIB" --sandbox "$SANDBOX" \
  --bench-jing "$OUT/bench_jing" --bench-curl "$OUT/bench_curl" --overhead-exe "$OVERHEAD_EXE" \
  --python "$VENV/bin/python" --bench-py "$HERE/bench_py.py" --py-path "$REPO/bindings/python" \
  --cs-exe "$OUT/cs/Bench.exe" --out-dir "$OUT" --results "$RESULTS" ${EXTRA[@]+"${EXTRA[@]}"}
