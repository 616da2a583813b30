#!/usr/bin/env bash
# Every test of libjing, in one command (`make test`). Installs what it needs (apt-get as
# root: mono, valgrind, tinyproxy; a venv with pytest) or stops naming what is missing.
# Runs every suite even when one fails, then prints a summary; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"

scripts/ensure-deps.sh cc nm mcs mono valgrind tinyproxy python3 || exit 1

passed=() failed=()
step() { # name, command...
    local name="$1"; shift
    local started=$SECONDS
    echo
    echo "==================== $name"
    if "$@"; then
        passed+=("$name ($((SECONDS - started)) s)")
    else
        failed+=("$name")
        echo "!!!!!!!!!!!!!!!!!!!! $name FAILED"
    fi
}
must() { # a step the others depend on
    step "$@"
    [ ${#failed[@]} -eq 0 ] || { echo "stopping: $1 failed"; exit 1; }
}

header_unchanged() {
    git diff --exit-code --stat -- include/jing.h ||
        { echo "include/jing.h is stale: commit the regenerated header"; return 1; }
}

# `cargo test --workspace` builds the sandbox binary the integration tests start.
export JING_SANDBOX_BIN="$PWD/target/debug/jing-sandbox" JING_LIB_DIR="$PWD/target/debug"
must "format (cargo fmt --check)" cargo fmt --all --check
step "clippy -D warnings" cargo clippy --workspace --all-targets --features jing/test-panic -- -D warnings
step "Rust unit and integration tests (library, sandbox)" cargo test --workspace --features jing/test-panic

# The library the C, Python and C# suites load, built alone: cargo unifies dependency features
# across the packages of one invocation (and with dev-dependencies under `cargo test`), and
# users build `-p jing` alone. It has the test-only panic export, so that C, Python and C#
# can prove a panic never crosses the boundary; users' builds do not.
must "build (sandbox)" cargo build -p jing-sandbox
must "build (library with test-panic)" cargo build -p jing --lib --features test-panic
step "header drift (include/jing.h)" header_unchanged
step "exported symbols are jing_*" tests/c/check-symbols.sh target/debug/libjing.so
step "C test: plain, valgrind, ASan/UBSan" env CARGO_FEATURES=test-panic tests/c/run.sh
step "Python wrapper tests" bindings/python/run-tests.sh
step "C# wrapper tests (Mono, CoreCLR)" bindings/csharp/run-tests.sh
run_examples() (
    . scripts/sandbox.sh
    start_sandbox "$JING_SANDBOX_BIN" &&
        env -u JING_APP_ID -u JING_APP_SECRET JING_BASE_URL="$SANDBOX_URL" examples/run-all.sh
)
step "examples (C, Python, C#)" run_examples
if [ -x tests/fuzz.sh ]; then
    step "fuzzing (nightly only, bounded)" tests/fuzz.sh
fi

echo
echo "==================== summary"
for s in "${passed[@]}"; do echo "  ok    $s"; done
for s in "${failed[@]+"${failed[@]}"}"; do echo "  FAIL  $s"; done
echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
