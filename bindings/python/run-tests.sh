#!/usr/bin/env bash
# Creates a virtualenv, installs the package with the library copied in, runs pytest.
#   JING_LIB_DIR      directory holding libjing.so  [<repo>/target/debug]
#   JING_SANDBOX_BIN  the sandbox binary            [<repo>/target/debug/jing-sandbox]
#   VENV              virtualenv to (re)use         [<repo>/.venv]
# Extra arguments go to pytest.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
export JING_SANDBOX_BIN="${JING_SANDBOX_BIN:-$REPO/target/debug/jing-sandbox}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pytest>=7"
PYTHON="$VENV/bin/python" "$HERE/build.sh" "${JING_LIB_DIR:-$REPO/target/debug}" --install
# Test the installed package (run from the tests dir so the source tree is not imported),
# loading the copy inside the package.
cd "$HERE/tests"
env -u JING_LIB_PATH "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" .
