#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (config, lead, request: the C ABI's parsing and
# validation) for FUZZ_SECONDS each (default 20), when a nightly toolchain and cargo-fuzz
# are present. Otherwise prints "NOTICE: fuzzing skipped: <reason>" and exits 0: the
# stable property tests in tests/hostile_input.rs cover the same entry points everywhere.
# With nightly but no cargo-fuzz, it tries `cargo install cargo-fuzz` for at most
# FUZZ_INSTALL_SECONDS (default 600). A crash found by the fuzzer fails the script; the
# reproducer is left in fuzz/artifacts/<target>/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
install_seconds="${FUZZ_INSTALL_SECONDS:-600}"
targets=(${FUZZ_TARGETS:-config lead request})

skip() { echo "NOTICE: fuzzing skipped: $*"; exit 0; }

command -v cargo >/dev/null 2>&1 || skip "cargo is not installed"
cargo +nightly --version >/dev/null 2>&1 \
    || skip "no nightly toolchain (rustup toolchain install nightly)"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: trying cargo install cargo-fuzz (at most ${install_seconds} s)"
    if ! timeout "$install_seconds" cargo install cargo-fuzz --locked; then
        skip "cargo-fuzz is not installed and could not be installed (cargo install cargo-fuzz)"
    fi
fi

cd "$root/fuzz"
for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds} s"
    mkdir -p "corpus/$target"
    started=$SECONDS
    log="target/fuzz-$target.log"
    mkdir -p target
    status=0
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss)" "$log" | sed 's/^/   /' || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "FAIL: fuzz target $target failed (status $status; reproducer in fuzz/artifacts/$target/)" >&2
        exit 1
    fi
    echo "   ok ($((SECONDS - started)) s including the build)"
done
echo "fuzzing passed: ${targets[*]}"
