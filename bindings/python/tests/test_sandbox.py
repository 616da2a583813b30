"""Behaviour against the sandbox server over real HTTP on loopback."""

import socket
import threading
import time

import pytest

import jing

CREATE = "/v1/leads/create"


def lead(bt, **extra):
    d = {"business_type": bt, "name": "Test Lead", "mobile": "13800000000"}
    d.update(extra)
    return d


def _contains(obj, key, value):
    """Whether ``obj`` (nested dicts/lists, or JSON text) holds ``key: value`` somewhere."""
    if isinstance(obj, dict):
        if obj.get(key) == value:
            return True
        return any(_contains(v, key, value) for v in obj.values())
    if isinstance(obj, list):
        return any(_contains(v, key, value) for v in obj)
    if isinstance(obj, str) and obj[:1] in "{[":
        import json
        try:
            return _contains(json.loads(obj), key, value)
        except ValueError:
            return False
    return False


def test_create_lead_success(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        bt = sandbox.business_type(c)
        env = c.create_lead(lead(bt))
        assert env["code"] == 0
        assert env["request_id"]
        uuid = env["data"]["jing_uuid"]
        assert uuid
        q = c.request("GET", "/v1/leads/query?jing_uuid=" + uuid)
        assert q["code"] == 0
        assert _contains(q["data"], "name", "Test Lead")
    assert len(sandbox.requests_to(CREATE, "POST")) == 1


def test_request_echo_with_body(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        env = c.request("POST", "/v1/anything/echo", {"a": 1, "b": ["x", "y"]})
        assert env["code"] == 0
        assert "echo" in env["data"]


def test_invalid_argument_missing_name(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        bt = sandbox.business_type(c)
        bad = lead(bt)
        del bad["name"]
        with pytest.raises(jing.InvalidArgumentError) as ei:
            c.create_lead(bad)
        e = ei.value
        assert e.status == 1 and e.kind == "invalid_argument"
        assert "name" in e.message
        assert e.retryable is False and e.outcome_unknown is False
    assert sandbox.requests_to(CREATE) == []  # nothing was sent


def test_invalid_argument_bad_path(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        for path in ("//evil.example/x", "/v1/x http://evil", "v1/no-slash", "/a://b"):
            with pytest.raises(jing.InvalidArgumentError):
                c.request("GET", path)


def test_config_error_unknown_key(sandbox):
    with pytest.raises(jing.ConfigError) as ei:
        jing.Client(**sandbox.client_config(max_retrys=3))
    assert ei.value.status == 2 and "max_retrys" in ei.value.message


def test_auth_error_wrong_secret(sandbox):
    with jing.Client(**sandbox.client_config(app_secret="ffffffffffffffffffffffffffffffff")) as c:
        with pytest.raises(jing.AuthError) as ei:
            c.request("GET", "/v1/crm/object/business_types?object_name=lead")
    e = ei.value
    assert e.status == 3 and e.kind == "auth"
    assert "ffffffffffffffffffffffffffffffff" not in str(e)


def test_throttled_by_server(start_sandbox):
    sb = start_sandbox("--rate-limit", "1")
    # The client would allow 100/s; the server allows 1/s and answers 42901; with a small
    # max_wait_ms the library gives up backing off and reports THROTTLED.
    with jing.Client(**sb.client_config(rate_limit_per_second=100, max_wait_ms=200)) as c:
        with pytest.raises(jing.ThrottledError) as ei:
            for _ in range(20):
                c.request("GET", "/v1/throttle/probe")
    e = ei.value
    assert e.status == 4 and e.kind == "throttled"
    assert e.retryable is True
    assert any(r.get("code") == 42901 or r.get("http_status") == 429
               for r in sb.requests_to("/v1/throttle/probe"))


def test_throttled_by_client(fast_sandbox):
    with jing.Client(**fast_sandbox.client_config(rate_limit_per_second=1, max_wait_ms=50)) as c:
        c.request("GET", "/v1/throttle/client")
        t0 = time.monotonic()
        with pytest.raises(jing.ThrottledError):
            c.request("GET", "/v1/throttle/client")
        assert time.monotonic() - t0 < 1.0  # fails fast, does not sleep a full second
    assert len(fast_sandbox.requests_to("/v1/throttle/client")) == 1


def test_quota_exhausted_client_side(fast_sandbox):
    with jing.Client(**fast_sandbox.client_config(daily_quota=2)) as c:
        c.request("GET", "/v1/quota/probe")
        c.request("GET", "/v1/quota/probe")
        t0 = time.monotonic()
        with pytest.raises(jing.QuotaExhaustedError) as ei:
            c.request("GET", "/v1/quota/probe")
        assert time.monotonic() - t0 < 1.0
        assert ei.value.status == 5 and ei.value.kind == "quota_exhausted"
        # Quota is per interface: another path still works.
        c.request("GET", "/v1/quota/other")
    assert len(fast_sandbox.requests_to("/v1/quota/probe")) == 2


def test_network_error_connection_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with jing.Client(app_id="1000000000000001", app_secret="0123456789abcdef0123456789abcdef",
                     base_url="http://127.0.0.1:%d" % port, max_retries=1,
                     connect_timeout_ms=1000) as c:
        with pytest.raises(jing.NetworkError) as ei:
            c.request("GET", "/v1/anything")
    e = ei.value
    assert e.status == 6 and e.kind == "network"
    assert e.retryable is True and e.outcome_unknown is False


def test_outcome_unknown_close_after_create(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        bt = sandbox.business_type(c)
        sandbox.faults({"kind": "close_after", "path": CREATE, "count": 1})
        with pytest.raises(jing.OutcomeUnknownError) as ei:
            c.create_lead(lead(bt, name="Maybe Created"))
        e = ei.value
        assert e.status == 7 and e.kind == "outcome_unknown"
        assert e.outcome_unknown is True and e.retryable is False
    # Never retried: the server saw exactly one create.
    assert len(sandbox.requests_to(CREATE, "POST")) == 1


def test_outcome_unknown_503_on_create(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        bt = sandbox.business_type(c)
        sandbox.faults({"kind": "http_status", "status": 503, "path": CREATE, "count": 1})
        with pytest.raises(jing.OutcomeUnknownError) as ei:
            c.create_lead(lead(bt))
        assert ei.value.http_status == 503
    assert len(sandbox.requests_to(CREATE, "POST")) == 1


def test_api_error_from_code(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        bt = sandbox.business_type(c)
        sandbox.faults({"kind": "api_code", "code": 50123, "msg": "业务错误 custom failure",
                        "path": CREATE, "count": 1})
        with pytest.raises(jing.ApiError) as ei:
            c.create_lead(lead(bt))
    e = ei.value
    assert e.status == 8 and e.kind == "api"
    assert e.api_code == 50123
    assert e.api_msg == "业务错误 custom failure"
    assert e.request_id
    assert str(e).startswith("[%s] " % e.request_id)


def test_api_error_bad_param_from_server(sandbox):
    # business_type that is not a known uuid passes local validation; the server says 40001.
    with jing.Client(**sandbox.client_config()) as c:
        with pytest.raises(jing.ApiError) as ei:
            c.create_lead(lead("00000000-0000-0000-0000-000000000000"))
    assert ei.value.api_code == 40001


def test_protocol_error_non_json_get(sandbox):
    with jing.Client(**sandbox.client_config(max_retries=1)) as c:
        c.request("GET", "/v1/proto/probe")  # token fetched, path works
        sandbox.faults({"kind": "non_json", "path": "/v1/proto/probe", "count": 10})
        with pytest.raises(jing.ProtocolError) as ei:
            c.request("GET", "/v1/proto/probe")
    assert ei.value.status == 9 and ei.value.kind == "protocol"


def test_token_invalidated_is_refreshed(sandbox):
    with jing.Client(**sandbox.client_config()) as c:
        c.request("GET", "/v1/token/probe")
        sandbox.faults({"kind": "invalidate_token", "count": 1})
        assert c.request("GET", "/v1/token/probe")["code"] == 0


def test_chinese_text_reaches_server(sandbox):
    name = "张伟"
    desc = "来自上海的客户 🚀 emoji ✓ «quotes» \"q\" \\ back"
    with jing.Client(**sandbox.client_config()) as c:
        bt = sandbox.business_type(c)
        env = c.create_lead(lead(bt, name=name, description=desc, email="zhang.wei@例子.com"))
        uuid = env["data"]["jing_uuid"]
        q = c.request("GET", "/v1/leads/query?jing_uuid=" + uuid)
        assert _contains(q["data"], "name", name)
    journal = sandbox.journal()
    # Verified on the server side: what the sandbox stored and what it received.
    assert _contains(journal["leads"], "name", name)
    assert _contains(journal["leads"], "description", desc)
    creates = [r for r in journal["requests"] if r.get("path") == CREATE]
    assert len(creates) == 1
    assert _contains(creates[0].get("body"), "name", name)
    assert _contains(creates[0].get("body"), "description", desc)


def test_eight_threads_share_one_client(fast_sandbox):
    per_thread = 25
    errors, uuids = [], []
    lock = threading.Lock()
    with jing.Client(**fast_sandbox.client_config(rate_limit_per_second=100000,
                                                  daily_quota=1000000)) as c:
        bt = fast_sandbox.business_type(c)

        def work(i):
            try:
                for k in range(per_thread):
                    env = c.create_lead(lead(bt, name="线程 %d-%d" % (i, k)))
                    c.request("GET", "/v1/threads/echo?i=%d&k=%d" % (i, k))
                    with lock:
                        uuids.append(env["data"]["jing_uuid"])
            except Exception as exc:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(uuids) == len(set(uuids)) == 8 * per_thread
    assert len(fast_sandbox.requests_to(CREATE, "POST")) == 8 * per_thread


def test_close_waits_for_in_flight_call(fast_sandbox):
    c = jing.Client(**fast_sandbox.client_config())
    c.request("GET", "/v1/slow")  # warm the token
    fast_sandbox.faults({"kind": "delay", "delay_ms": 500, "path": "/v1/slow", "count": 1})
    result = {}

    def slow():
        try:
            result["env"] = c.request("GET", "/v1/slow")
        except Exception as exc:  # noqa: BLE001
            result["exc"] = exc

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.15)
    t0 = time.monotonic()
    c.close()  # must wait for the call in flight, not free under it
    waited = time.monotonic() - t0
    t.join()
    assert "exc" not in result, result
    assert result["env"]["code"] == 0
    assert waited > 0.2
    with pytest.raises(jing.ClientClosedError):
        c.request("GET", "/v1/slow")
