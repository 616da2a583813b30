# Sourced by scripts: start_sandbox ARGS... starts target/<profile>/jing-sandbox on a free
# port, sets SANDBOX_URL and SANDBOX_PID, and stops it when the calling script exits.
start_sandbox() {
    local bin="$1"; shift
    local log
    log="$(mktemp)"
    "$bin" --port 0 "$@" >"$log" 2>/dev/null &
    SANDBOX_PID=$!
    trap 'kill "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null; rm -f "'"$log"'"' EXIT
    SANDBOX_URL=""
    for _ in $(seq 1 100); do
        case "$(head -n 1 "$log")" in
            "listening on "*) SANDBOX_URL="$(head -n 1 "$log" | sed 's/^listening on //')"; break ;;
        esac
        kill -0 "$SANDBOX_PID" 2>/dev/null || { echo "error: jing-sandbox did not start" >&2; return 1; }
        sleep 0.1
    done
    [ -n "$SANDBOX_URL" ] || { echo "error: jing-sandbox printed no address" >&2; return 1; }
    export SANDBOX_URL SANDBOX_PID
}
