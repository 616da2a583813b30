"""10,000 calls through one client must not grow the process's memory."""

import time

import jing


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_ten_thousand_calls_flat_rss(fast_sandbox):
    cfg = fast_sandbox.client_config(rate_limit_per_second=100000, daily_quota=100000000)
    with jing.Client(**cfg) as c:
        def batch(n):
            for i in range(n):
                env = c.request("GET", "/v1/soak/echo?i=%d" % i)
                assert env["code"] == 0
                try:  # an error path too: its error JSON must be freed as well
                    c.request("GET", "//not-allowed")
                except jing.InvalidArgumentError:
                    pass

        batch(1000)  # warm-up: connection pool, allocator arenas, caches
        before = rss_kb()
        t0 = time.monotonic()
        batch(10000)
        elapsed = time.monotonic() - t0
        after = rss_kb()
    growth_mb = (after - before) / 1024.0
    print("10k calls in %.1fs, RSS %d kB -> %d kB (%+.2f MB)" % (elapsed, before, after, growth_mb))
    assert growth_mb < 10, "RSS grew by %.1f MB over 10,000 calls" % growth_mb
