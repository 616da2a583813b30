#!/usr/bin/env bash
# Copies the built native library into the package, then (optionally) installs the package.
#   bindings/python/build.sh [LIB_DIR] [--install]
# LIB_DIR defaults to <repo>/target/release if it holds the library, else <repo>/target/debug.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
case "$(uname -s)" in
  Darwin) LIB=libjing.dylib ;;
  MINGW*|MSYS*|CYGWIN*) LIB=jing.dll ;;
  *) LIB=libjing.so ;;
esac
LIB_DIR=""; INSTALL=0
for a in "$@"; do
  case "$a" in --install) INSTALL=1 ;; *) LIB_DIR="$a" ;; esac
done
if [ -z "$LIB_DIR" ]; then
  if [ -f "$REPO/target/release/$LIB" ]; then LIB_DIR="$REPO/target/release"; else LIB_DIR="$REPO/target/debug"; fi
fi
[ -f "$LIB_DIR/$LIB" ] || { echo "error: $LIB_DIR/$LIB not found; run cargo build -p jing" >&2; exit 2; }
cp "$LIB_DIR/$LIB" "$HERE/jing/$LIB"
echo "copied $LIB_DIR/$LIB -> $HERE/jing/$LIB"
if [ "$INSTALL" = 1 ]; then
  "${PYTHON:-python3}" -m pip install --quiet "$HERE"
  echo "installed jing into $("${PYTHON:-python3}" -c 'import sys; print(sys.prefix)')"
fi
