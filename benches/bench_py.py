"""Lead creates from Python, for benches/run.sh.

    python bench_py.py --impl requests|jing --base-url U [--threads 1] [--count 2000]
                       [--reps 3] [--warmup 50]

requests: by hand with ``requests.Session`` (one per thread, keep-alive), token fetched
once, same headers and body as the other benchmarks.
jing: the Python wrapper (``jing.Client``, one shared by all threads, limits raised);
imported from bindings/python with the library named by JING_LIB_PATH.

Prints one line per repetition:  RESULT n=.. errors=.. wall_s=.. rate=.. p50_us=.. p99_us=..
"""

import argparse
import math
import threading
import time

LEAD_TEXT = ('{"business_type":"bt000000000000000000000000000001","name":"张三",'
             '"mobile":"13800000000"}')
LEAD_BYTES = LEAD_TEXT.encode("utf-8")
APP_ID = "1000000000000001"
APP_SECRET = "0123456789abcdef0123456789abcdef"


def percentile_us(sorted_ns, p):
    rank = min(max(math.ceil(p * len(sorted_ns)), 1), len(sorted_ns))
    return sorted_ns[rank - 1] / 1000.0


def make_requests_factory(base_url):
    import requests

    with requests.Session() as s:
        r = s.post(base_url + "/v1/oauth2/token",
                   json={"app_id": APP_ID, "app_secret": APP_SECRET})
        token = r.json()["data"]["access_token"]
    url = base_url + "/v1/leads/create"
    headers = {"app_id": APP_ID, "access_token": token, "Content-Type": "application/json"}

    def factory():
        session = requests.Session()
        session.trust_env = False  # no proxy lookups, as the other clients

        def create():
            r = session.post(url, data=LEAD_BYTES, headers=headers)
            return r.status_code == 200 and r.json().get("code") == 0
        return create
    return factory


def make_jing_factory(base_url):
    import jing

    client = jing.Client(app_id=APP_ID, app_secret=APP_SECRET, base_url=base_url,
                         rate_limit_per_second=100000, daily_quota=1000000000)

    def factory():
        def create():
            # Same body text as the others; the wrapper parses the answer into a dict.
            return client.create_lead(LEAD_TEXT).get("code") == 0
        return create
    return factory


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["requests", "jing"], required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=50)
    a = ap.parse_args()
    factory = (make_requests_factory if a.impl == "requests" else make_jing_factory)(a.base_url)
    creates = [factory() for _ in range(a.threads)]

    for rep in range(a.reps):
        barrier = threading.Barrier(a.threads + 1)
        results = [None] * a.threads
        warm = a.warmup if rep == 0 else 0

        def work(i):
            create = creates[i]
            for _ in range(warm):
                try:
                    create()
                except Exception:
                    pass
            barrier.wait()
            lat, errors = [], 0
            clock = time.perf_counter_ns
            for _ in range(a.count):
                t = clock()
                try:
                    ok = create()
                except Exception:
                    ok = False
                lat.append(clock() - t)
                errors += not ok
            results[i] = (lat, errors)

        ts = [threading.Thread(target=work, args=(i,)) for i in range(a.threads)]
        for t in ts:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in ts:
            t.join()
        wall = time.perf_counter() - start
        lat = sorted(x for r in results for x in r[0])
        errors = sum(r[1] for r in results)
        print("RESULT n=%d errors=%d wall_s=%.4f rate=%.1f p50_us=%.1f p99_us=%.1f"
              % (len(lat), errors, wall, len(lat) / wall, percentile_us(lat, 0.5),
                 percentile_us(lat, 0.99)), flush=True)


if __name__ == "__main__":
    main()
