#!/usr/bin/env bash
# Builds and runs the three examples (C, Python, C#) against a running sandbox.
#   JING_BASE_URL  base URL of a running jing-sandbox (required), e.g. http://127.0.0.1:41234
#   JING_LIB_DIR   directory holding the built libjing.so  [<repo>/target/debug]
# Each example must print "jing_uuid: <uuid>"; the script exits non-zero if any fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
LIB_DIR="$(cd "${JING_LIB_DIR:-$REPO/target/debug}" && pwd)"
: "${JING_BASE_URL:?set JING_BASE_URL to a running sandbox, e.g. http://127.0.0.1:PORT}"
export JING_BASE_URL
OUT="$REPO/target/examples"
mkdir -p "$OUT"
[ -f "$LIB_DIR/libjing.so" ] || { echo "error: $LIB_DIR/libjing.so not found" >&2; exit 2; }

failed=0
check() { # name, output
  if grep -Eq '^jing_uuid: [0-9A-Za-z-]+$' <<<"$2"; then echo "ok   $1: $2"; else echo "FAIL $1" >&2; failed=1; fi
}

echo "== C"
${CC:-cc} -std=c99 -Wall -Wextra -Werror -I "$REPO/include" "$HERE/create_lead.c" \
  -L "$LIB_DIR" -ljing -Wl,-rpath,"$LIB_DIR" -o "$OUT/create_lead"
out="$("$OUT/create_lead")" || failed=1
check C "$out"

echo "== Python"
out="$(PYTHONPATH="$REPO/bindings/python${PYTHONPATH:+:$PYTHONPATH}" JING_LIB_PATH="$LIB_DIR/libjing.so" \
  "${PYTHON:-python3}" "$HERE/create_lead.py")" || failed=1
check Python "$out"

echo "== C#"
if command -v mcs >/dev/null && command -v mono >/dev/null; then
  mcs -langversion:7.2 -target:library -out:"$OUT/Jing.dll" "$REPO"/bindings/csharp/src/*.cs
  mcs -langversion:7.2 -r:"$OUT/Jing.dll" -out:"$OUT/CreateLead.exe" "$HERE/CreateLead.cs"
  cp "$LIB_DIR/libjing.so" "$OUT/"
  out="$(cd "$OUT" && mono CreateLead.exe)" || failed=1
  check C# "$out"
else
  echo "FAIL C#: mcs/mono not installed" >&2; failed=1
fi

exit $failed
