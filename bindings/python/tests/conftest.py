"""Fixtures: a fresh sandbox server per test, and helpers to read its journal.

The sandbox binary comes from ``JING_SANDBOX_BIN``, else ``<repo>/target/debug/jing-sandbox``.
Each test gets its own sandbox on a free port; libjing keys its process-wide state (token
cache, throttle and quota counters) by base_url, so tests do not see each other's counters.
"""

import json
import os
import re
import subprocess
import threading
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
APP_ID = "1000000000000001"
APP_SECRET = "0123456789abcdef0123456789abcdef"


def sandbox_bin():
    path = os.environ.get("JING_SANDBOX_BIN") or os.path.join(
        REPO, "target", "debug", "jing-sandbox")
    if not os.path.isfile(path):
        pytest.fail("sandbox binary not found at %s (build it with `cargo build -p "
                    "jing-sandbox` or set JING_SANDBOX_BIN)" % path)
    return path


class Sandbox:
    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sandbox_bin(), "--port", "0"] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            self.stop()
            raise RuntimeError("sandbox did not start; first line: %r" % line)
        self.url = m.group(1).rstrip("/")
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # -- control API ------------------------------------------------------------
    def _control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode("utf-8")
        return json.loads(text) if text.strip() else None

    def faults(self, *faults):
        return self._control("POST", "/_sandbox/faults", {"faults": list(faults)})

    def config(self, **cfg):
        return self._control("POST", "/_sandbox/config", cfg)

    def reset(self):
        return self._control("POST", "/_sandbox/reset", {})

    def journal(self):
        j = self._control("GET", "/_sandbox/journal")
        return j.get("data", j) if isinstance(j, dict) and "requests" not in j else j

    def requests_to(self, path, method=None):
        return [r for r in self.journal()["requests"]
                if r.get("path") == path and (method is None or r.get("method") == method)]

    def client_config(self, **overrides):
        cfg = {"app_id": APP_ID, "app_secret": APP_SECRET, "base_url": self.url}
        cfg.update(overrides)
        return cfg

    def business_type(self, client):
        env = client.request("GET", "/v1/crm/object/business_types?object_name=lead")
        return env["data"]["list"][0]["jing_uuid"]


@pytest.fixture
def start_sandbox():
    """Factory: ``start_sandbox("--no-limits")`` -> Sandbox, stopped after the test."""
    started = []

    def start(*args):
        sb = Sandbox(*args)
        started.append(sb)
        return sb

    yield start
    for sb in started:
        sb.stop()


@pytest.fixture
def sandbox(start_sandbox):
    return start_sandbox()


@pytest.fixture
def fast_sandbox(start_sandbox):
    return start_sandbox("--no-limits")
