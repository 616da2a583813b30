#!/usr/bin/env bash
# Builds tests/c/abi_test.c against include/jing.h and target/debug/libjing.so, starts a
# jing-sandbox on a free loopback port, and runs the test three times:
#   1. plainly,
#   2. under valgrind: zero definite or indirect leaks and no memory errors,
#   3. built with gcc -fsanitize=address,undefined (LeakSanitizer on).
# Fails loudly when valgrind or the sanitizer runtime is missing (install: valgrind, gcc's
# libasan/libubsan, which Debian/Ubuntu's gcc package pulls in).
#
# Usage: tests/c/run.sh            (from anywhere; env ITERATIONS=N for more client rounds,
#                                   CARGO_FEATURES="test-panic" to include the panic export)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
lib_dir="$target/debug"
out_dir="$target/c"
iterations="${ITERATIONS:-40}"
cc="${CC:-gcc}"
mkdir -p "$out_dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v "$cc" >/dev/null || fail "no C compiler ($cc); install gcc"
command -v valgrind >/dev/null || fail "valgrind is missing; install it (apt-get install valgrind)"

echo "== building libjing and jing-sandbox"
features=()
[ -n "${CARGO_FEATURES:-}" ] && features=(--features "$CARGO_FEATURES")
cargo build -q -p jing "${features[@]}"
cargo build -q -p jing-sandbox

defines=()
if nm -D --defined-only "$lib_dir/libjing.so" | grep -q ' T jing_test_panic$'; then
    defines=(-DJING_FEATURE_TEST_PANIC)
    echo "   (library built with test-panic: the panic export is exercised too)"
fi

cflags=(-std=c11 -g -Wall -Wextra -Werror -pthread -I"$root/include" "${defines[@]}")
ldflags=(-L"$lib_dir" -ljing -Wl,-rpath,"$lib_dir")

echo "== compiling"
"$cc" "${cflags[@]}" -O0 tests/c/abi_test.c "${ldflags[@]}" -o "$out_dir/abi_test"
"$cc" "${cflags[@]}" -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=all tests/c/abi_test.c "${ldflags[@]}" -o "$out_dir/abi_test_asan" \
    || fail "cannot build with -fsanitize=address,undefined: the sanitizer runtime (libasan, libubsan) is missing"

sandbox_pid=""
tmp="$(mktemp -d)"
cleanup() {
    if [ -n "$sandbox_pid" ]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo "== starting jing-sandbox"
"$lib_dir/jing-sandbox" --port 0 --no-limits >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
sandbox_pid=$!
url=""
for _ in $(seq 1 100); do
    line="$(head -n 1 "$tmp/sandbox.out" 2>/dev/null || true)"
    case "$line" in
        "listening on "*) url="${line#listening on }"; break ;;
    esac
    kill -0 "$sandbox_pid" 2>/dev/null || fail "jing-sandbox exited: $(cat "$tmp/sandbox.err")"
    sleep 0.1
done
[ -n "$url" ] || fail "jing-sandbox did not print its address within 10 s"
echo "   $url"

run_step() { # name, command...
    local name="$1"; shift
    local started=$SECONDS
    echo "== $name"
    if ! "$@" "$url" "$iterations" >"$tmp/$name.log" 2>&1; then
        cat "$tmp/$name.log" >&2
        fail "$name: abi_test failed"
    fi
    grep -E "library calls|passed, [0-9]+ failed" "$tmp/$name.log" | sed 's/^/   /'
    echo "   ($((SECONDS - started)) s)"
}

run_step plain "$out_dir/abi_test"

# Only definite and indirect leaks count: the process-wide connection pools, token caches
# and the HTTP runtime thread live until exit by design ("still reachable"/"possibly lost").
export RUST_BACKTRACE=0
run_step valgrind valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=1 "$out_dir/abi_test"
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$tmp/valgrind.log" | sed 's/^==[0-9]*==/  /'

# No suppressions are needed: LeakSanitizer finds nothing in the Rust runtime either.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_step sanitizers "$out_dir/abi_test_asan"
if grep -q "Sanitizer" "$tmp/sanitizers.log"; then
    cat "$tmp/sanitizers.log" >&2
    fail "sanitizers reported a problem"
fi

echo "C ABI tests passed (plain, valgrind, address+undefined sanitizers)"
