#!/usr/bin/env bash
# The main job: build libjing and the sandbox (release), start the sandbox, create a lead
# from C, Python and C# through libjing, print the jing_uuids, stop the sandbox.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/ensure-deps.sh cc python3 mcs mono
echo "== building libjing and jing-sandbox (release)"
# One package at a time: built together, cargo would give libjing the sandbox's features.
cargo build --release -q -p jing-sandbox
cargo build --release -q -p jing
. scripts/sandbox.sh
start_sandbox target/release/jing-sandbox
echo "== sandbox at $SANDBOX_URL"
env -u JING_APP_ID -u JING_APP_SECRET JING_BASE_URL="$SANDBOX_URL" JING_LIB_DIR=target/release examples/run-all.sh
echo "== leads stored by the sandbox:"
python3 - "$SANDBOX_URL" <<'PY'
import json, sys, urllib.request
leads = json.load(urllib.request.urlopen(sys.argv[1] + "/_sandbox/journal"))["leads"]
for lead in leads:
    print(f"   {lead['jing_uuid']}  {lead['name']}")
PY
