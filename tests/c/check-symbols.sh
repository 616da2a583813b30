#!/usr/bin/env bash
# Every function libjing.so exports (nm -D --defined-only, type T) starts with jing_.
# Usage: tests/c/check-symbols.sh [path/to/libjing.so]   (default target/debug/libjing.so)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lib="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/libjing.so}"
[ -f "$lib" ] || { echo "FAIL: $lib not found (cargo build -p jing first)" >&2; exit 1; }
command -v nm >/dev/null || { echo "FAIL: nm is missing (install binutils)" >&2; exit 1; }

symbols="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWi]$/ { print $3 }')"
[ -n "$symbols" ] || { echo "FAIL: $lib exports no functions at all" >&2; exit 1; }
offenders="$(printf '%s\n' "$symbols" | grep -v '^jing_' || true)"
if [ -n "$offenders" ]; then
    echo "FAIL: $lib exports symbols without the jing_ prefix:" >&2
    printf '  %s\n' $offenders >&2
    exit 1
fi
echo "ok: $(printf '%s\n' "$symbols" | wc -l) exported functions, all jing_*:"
printf '  %s\n' $symbols
