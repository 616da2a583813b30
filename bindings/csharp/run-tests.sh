#!/usr/bin/env bash
# Builds the C# wrapper and its test program with Mono's mcs, runs the tests under Mono and,
# when a .NET Core runtime is available, under CoreCLR too. The test program starts (and
# stops) a fresh jing-sandbox per test. Exits non-zero on any failure.
#
# Environment:
#   JING_LIB_DIR      directory holding libjing.so        [<repo>/target/debug]
#   JING_SANDBOX_BIN  the sandbox binary                  [<repo>/target/debug/jing-sandbox]
#   JING_DOTNET       a `dotnet` host for the CoreCLR run [dotnet on PATH, else the PyPI
#                     package dotnetcore2 installed into <repo>/target/dotnetcore2]
#   JING_NO_CORECLR=1 skip the CoreCLR run
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
LIB_DIR="${JING_LIB_DIR:-$REPO/target/debug}"
export JING_SANDBOX_BIN="${JING_SANDBOX_BIN:-$REPO/target/debug/jing-sandbox}"
OUT="$REPO/target/csharp"

case "$(uname -s)" in
  Darwin) LIB_FILE=libjing.dylib ;;
  MINGW*|MSYS*|CYGWIN*) LIB_FILE=jing.dll ;;
  *) LIB_FILE=libjing.so ;;
esac

[ -f "$LIB_DIR/$LIB_FILE" ] || { echo "error: $LIB_DIR/$LIB_FILE not found (cargo build -p jing, or set JING_LIB_DIR)" >&2; exit 2; }
[ -x "$JING_SANDBOX_BIN" ] || { echo "error: sandbox $JING_SANDBOX_BIN not found (cargo build -p jing-sandbox, or set JING_SANDBOX_BIN)" >&2; exit 2; }
command -v mcs >/dev/null && command -v mono >/dev/null || {
  echo "error: mcs/mono not found (apt-get install -y --no-install-recommends mono-mcs mono-runtime)" >&2; exit 2; }

mkdir -p "$OUT"
echo "== building with $(mcs --version)"
# The wrapper alone, as a library (what applications reference) ...
mcs -langversion:7.2 -warnaserror -target:library -out:"$OUT/Jing.dll" "$HERE"/src/*.cs
# ... and the test program, compiled together with the wrapper sources (it uses internals).
mcs -langversion:7.2 -warnaserror -out:"$OUT/JingTests.exe" "$HERE"/src/*.cs "$HERE/tests/JingTests.cs"
cp "$LIB_DIR/$LIB_FILE" "$OUT/"   # found next to the .exe by Mono and CoreCLR alike
cat > "$OUT/JingTests.runtimeconfig.json" <<'JSON'
{"runtimeOptions": {"tfm": "netcoreapp3.1",
  "framework": {"name": "Microsoft.NETCore.App", "version": "3.1.0"},
  "rollForward": "Major",
  "configProperties": {"System.Globalization.Invariant": true}}}
JSON

mkdir -p "$OUT/noload" && cp "$OUT/JingTests.exe" "$OUT/noload/"   # a directory without libjing

status=0
echo "== Mono: $(mono --version | head -1)"
(cd "$OUT" && mono JingTests.exe) || status=1
echo "== Mono, library absent"
(cd "$OUT/noload" && env -u LD_LIBRARY_PATH mono JingTests.exe --expect-load-failure) || status=1

if [ "${JING_NO_CORECLR:-0}" = 1 ]; then
  echo "NOTICE: CoreCLR run skipped (JING_NO_CORECLR=1)"
  [ $status = 0 ] && echo "run-tests.sh: all runs passed" || echo "run-tests.sh: FAILED"
  exit $status
fi
DOTNET="${JING_DOTNET:-}"
if [ -z "$DOTNET" ] && command -v dotnet >/dev/null; then DOTNET="$(command -v dotnet)"; fi
if [ -z "$DOTNET" ]; then
  CORE="$REPO/target/dotnetcore2"
  if [ ! -x "$CORE/dotnetcore2/bin/dotnet" ]; then
    echo "== fetching a .NET Core runtime (PyPI package dotnetcore2) into $CORE"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$CORE" dotnetcore2 >/dev/null 2>&1 || true
  fi
  [ -x "$CORE/dotnetcore2/bin/dotnet" ] && DOTNET="$CORE/dotnetcore2/bin/dotnet"
fi
if [ -n "$DOTNET" ] && [ -x "$DOTNET" ]; then
  echo "== CoreCLR: $DOTNET"
  (cd "$OUT" && DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$DOTNET" exec \
      --runtimeconfig JingTests.runtimeconfig.json JingTests.exe) || status=1
  echo "== CoreCLR, library absent"
  (cd "$OUT/noload" && env -u LD_LIBRARY_PATH DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$DOTNET" exec \
      --runtimeconfig ../JingTests.runtimeconfig.json JingTests.exe --expect-load-failure) || status=1
else
  echo "NOTICE: no .NET Core runtime available (no dotnet on PATH, JING_DOTNET unset, dotnetcore2 not installable); CoreCLR run skipped"
fi
[ $status = 0 ] && echo "run-tests.sh: all runs passed" || echo "run-tests.sh: FAILED"
exit $status
