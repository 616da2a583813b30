"""Loading, versions, status names and the exception mapping (no server needed)."""

import os
import re
import subprocess
import sys

import pytest

import jing


def test_versions():
    assert jing.ABI_VERSION == 1
    assert jing.abi_version() == 1
    assert re.match(r"^\d+\.\d+\.\d+", jing.version())
    assert re.match(r"^\d+\.\d+\.\d+", jing.__version__)
    assert os.path.isabs(jing.library_path)


@pytest.mark.parametrize("status,name,cls", [
    (1, "invalid_argument", jing.InvalidArgumentError),
    (2, "config", jing.ConfigError),
    (3, "auth", jing.AuthError),
    (4, "throttled", jing.ThrottledError),
    (5, "quota_exhausted", jing.QuotaExhaustedError),
    (6, "network", jing.NetworkError),
    (7, "outcome_unknown", jing.OutcomeUnknownError),
    (8, "api", jing.ApiError),
    (9, "protocol", jing.ProtocolError),
    (99, "panic", jing.PanicError),
])
def test_status_names_and_classes(status, name, cls):
    assert jing.status_name(status) == name
    assert jing.error_class(status) is cls
    assert issubclass(cls, jing.JingError)
    assert jing.Status(status) == status


def test_status_name_ok_and_unknown():
    assert jing.status_name(0) == "ok"
    assert jing.status_name(12345) == "unknown"
    assert jing.error_class(12345) is jing.JingError


def test_unknown_config_key_is_config_error():
    with pytest.raises(jing.ConfigError) as ei:
        jing.Client(app_id="1", app_secret="x" * 32, base_url="http://127.0.0.1:9",
                    no_such_key=1)
    e = ei.value
    assert e.status == 2 and e.kind == "config"
    assert "no_such_key" in e.message


def test_config_error_does_not_leak_secret():
    secret = "fedcba9876543210fedcba9876543210"
    with pytest.raises(jing.ConfigError) as ei:
        jing.Client(app_id="1", app_secret=secret, base_url="http://127.0.0.1:9", bogus=True)
    assert secret not in str(ei.value) and secret not in repr(ei.value.raw)


def test_load_failure_names_every_path_and_bitness():
    env = dict(os.environ, JING_LIB_PATH="/nonexistent/dir/libjing.so")
    r = subprocess.run([sys.executable, "-c", "import jing"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "/nonexistent/dir/libjing.so" in r.stderr
    assert "%d-bit" % (8 * __import__("struct").calcsize("P")) in r.stderr


def test_closed_client_and_idempotent_close():
    c = jing.Client(app_id="1000000000000001", app_secret="0" * 32,
                    base_url="http://127.0.0.1:9")
    assert not c.closed
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(jing.ClientClosedError):
        c.request("GET", "/v1/ping")
    with pytest.raises(jing.ClientClosedError):
        c.create_lead({"name": "x"})


def test_context_manager_closes():
    with jing.Client(app_id="1000000000000001", app_secret="0" * 32,
                     base_url="http://127.0.0.1:9") as c:
        pass
    assert c.closed


def test_nul_in_argument_is_invalid_argument():
    with jing.Client(app_id="1000000000000001", app_secret="0" * 32,
                     base_url="http://127.0.0.1:9") as c:
        with pytest.raises(jing.InvalidArgumentError):
            c.request("GET", "/v1/x\x00y")


def test_exception_str_and_pickle():
    import pickle
    e = jing.ApiError("bad thing", status=8, kind="api", api_code=40001, api_msg="bad param",
                      http_status=200, request_id="abc123")
    assert str(e) == "[abc123] bad thing"
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is jing.ApiError and e2.api_code == 40001 and str(e2) == str(e)
    assert str(jing.NetworkError("down", status=6)) == "down"


def test_panic_is_caught():
    if not hasattr(jing._native.lib, "jing_test_panic"):
        pytest.skip("libjing was built without the `test-panic` cargo feature "
                    "(jing_test_panic is not exported)")
    with pytest.raises(jing.PanicError) as ei:
        jing.client._test_panic()
    e = ei.value
    assert e.status == 99 and e.kind == "panic"
    # The process keeps running and the library keeps working.
    assert jing.abi_version() == 1
    with pytest.raises(jing.PanicError):
        jing.client._test_panic()
