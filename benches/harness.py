"""Runs every benchmark of benches/run.sh against jing-sandbox on loopback, prints the
table and the PASS/FAIL summary, and writes benches/RESULTS.md.

Called by benches/run.sh once everything is built; the paths come from the command line.
Standard library only (the venv's `requests` is used by bench_py.py, not here).
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

APP_ID = "1000000000000001"
SIZE_TARGET = 3 * 1024 * 1024
RSS_FLAT_KB = 512          # RSS(20k) - RSS(1k) allowed, or 5 % of RSS(1k) if larger


class BenchError(Exception):
    pass


# -- sandbox --------------------------------------------------------------------------
class Sandbox:
    def __init__(self, binary, *flags):
        self.proc = subprocess.Popen([binary, "--port", "0", *flags], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if not m:
            self.proc.kill()
            raise BenchError("jing-sandbox did not start: %r %s" % (line, self.proc.stderr.read()))
        self.url = m.group(1)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def reset(self):
        self.control("POST", "/_sandbox/reset")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# -- running and parsing ------------------------------------------------------------------
def run(cmd, cwd=None, env=None, timeout=600):
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError("%s timed out after %ss" % (" ".join(cmd), timeout))
    if p.returncode != 0:
        raise BenchError("%s exited %d:\n%s%s" % (" ".join(cmd), p.returncode, p.stdout,
                                                 p.stderr))
    if p.stderr.strip():
        sys.stderr.write(p.stderr)
    return p.stdout


def records(text, tag):
    """Lines `TAG k=v k=v ...` as dicts (numbers converted where they parse)."""
    out = []
    for line in text.splitlines():
        if line.startswith(tag + " "):
            rec = {}
            for kv in line.split()[1:]:
                k, _, v = kv.partition("=")
                try:
                    rec[k] = float(v)
                except ValueError:
                    rec[k] = v
            out.append(rec)
    return out


def median_of(recs, key):
    return statistics.median(r[key] for r in recs)


# -- the parts ----------------------------------------------------------------------------
IMPLS = [
    ("a", "libjing, C through the ABI"),
    ("a2", "libjing from Rust (rlib: no C boundary, no .so)"),
    ("b", "reqwest blocking by hand (floor)"),
    ("b0", "raw socket + httparse from Rust, keep-alive (libjing's own parts, no library)"),
    ("c", "libcurl by hand, keep-alive"),
    ("d", "Python requests.Session by hand"),
    ("e", "libjing via Python wrapper"),
    ("f", "libjing via C# wrapper (Mono)"),
]


def overhead(a, sb, log):
    cmds = {
        "a": ([a.bench_jing, "overhead"], None, None),
        "a2": ([a.overhead_exe, "--via-jing"], None, None),
        "b": ([a.overhead_exe], None, None),
        "b0": ([a.overhead_exe, "--raw"], None, None),
        "c": ([a.bench_curl], None, None),
        "d": ([a.python, a.bench_py, "--impl", "requests"], None, None),
        "e": ([a.python, a.bench_py, "--impl", "jing"], None,
              {"JING_LIB_PATH": a.lib, "PYTHONPATH": a.py_path}),
        "f": (["mono", a.cs_exe], os.path.dirname(a.cs_exe), None),
    }
    series = [(1, a.count1), (8, a.count8)]
    # Repetitions are interleaved (every client once, then again): a burst of noise from
    # elsewhere on the machine then hits all clients alike instead of one series.
    runs = {}
    for rep in range(a.reps):
        for threads, count in series:
            for key, _ in IMPLS:
                cmd, cwd, env = cmds[key]
                sb.reset()
                out = run(cmd + ["--base-url", sb.url, "--threads", str(threads), "--count",
                                 str(count), "--reps", "1", "--warmup", str(a.warmup)],
                          cwd=cwd, env=env)
                recs = records(out, "RESULT")
                if len(recs) != 1:
                    raise BenchError("(%s) printed no result:\n%s" % (key, out))
                runs.setdefault((key, threads), []).append(recs[0])
        log("  repetition %d of %d done" % (rep + 1, a.reps))
    results = {}
    for threads, count in series:
        for key, _ in IMPLS:
            recs = runs[(key, threads)]
            r = {k: median_of(recs, k) for k in ("rate", "p50_us", "p99_us")}
            r["errors"] = int(sum(x["errors"] for x in recs))
            r["reps"] = [round(x["rate"]) for x in recs]
            results[(key, threads)] = r
            log("  (%s) %d thread%s x %d: %.0f creates/s (reps %s), p50 %.0f us, p99 %.0f us%s"
                % (key, threads, "" if threads == 1 else "s", count, r["rate"], r["reps"],
                   r["p50_us"], r["p99_us"], ", %d ERRORS" % r["errors"] if r["errors"] else ""))
    return results


def throttle(a, log):
    sb = Sandbox(a.sandbox)  # default limits: 10/s per interface
    try:
        cfg = sb.control("GET", "/_sandbox/config")
        out = run([a.bench_jing, "throttle", "--base-url", sb.url, "--clients", "4",
                   "--threads", "8", "--total", str(a.throttle_total)], timeout=300)
        rec = records(out, "THROTTLE")[0]
        journal = sb.control("GET", "/_sandbox/journal?path=/v1/leads/create")["requests"]
    finally:
        sb.stop()
    limit = cfg["rate_limit"]
    ok = sorted(r["time_us"] for r in journal if r.get("code") == 0)
    rejected = sum(1 for r in journal if r.get("code") == 42901)
    # N requests at exactly `limit` per sliding second: the first `limit` go at once, each
    # further `limit` one second later, so the arrivals span (N - limit) / limit seconds.
    span = (ok[-1] - ok[0]) / 1e6 if len(ok) > 1 else float("nan")
    rate = (len(ok) - limit) / span if span > 0 else float("nan")
    res = {"total": a.throttle_total, "limit": limit, "created": len(ok), "rejected": rejected, "span_s": span,
           "rate": rate, "efficiency": rate / limit, "client_errors": int(rec["errors"]),
           "wall_s": rec["wall_s"], "sent": len(journal)}
    log("  %d creates, 8 threads over 4 clients: server saw %d requests, %d created, %d "
        "rejected (42901); arrivals span %.3fs -> %.2f/s -> efficiency %.3f; client wall %.2fs"
        % (a.throttle_total, len(journal), len(ok), rejected, span, rate, res["efficiency"],
           rec["wall_s"]))
    return res


def cold(a, sb, log):
    sb.reset()
    out = run([a.bench_jing, "cold", "--base-url", sb.url, "--runs", str(a.cold_runs)])
    recs = records(out, "COLD")
    res = {k: median_of(recs, k) for k in recs[0]}
    res["runs"] = len(recs)
    log("  median of %d: exec->main %.2f ms, client_new %.2f ms, first create %.2f ms, "
        "total %.2f ms; warm create %.3f ms" % (
            len(recs), res["exec_to_main_us"] / 1e3, res["client_new_us"] / 1e3,
            res["first_create_us"] / 1e3, res["total_us"] / 1e3, res["warm_create_us"] / 1e3))
    return res


def stripped_size(lib, out):
    shutil.copyfile(lib, out)
    subprocess.run(["strip", "--strip-all", out], check=True)
    return os.path.getsize(out)


def footprint(a, sb, log):
    res = {"size": stripped_size(a.lib, os.path.join(a.out_dir, "libjing.stripped.so")),
           "size_unstripped": os.path.getsize(a.lib)}
    sb.reset()
    out = run([a.bench_jing, "footprint", "--base-url", sb.url])
    th = records(out, "THREADS")[0]
    rss = {int(r["creates"]): int(r["kb"]) for r in records(out, "RSS")}
    res.update(threads_before=int(th["before"]), threads_one=int(th["one_client"]),
               threads_fifty=int(th["fifty_clients"]), rss=rss,
               errors=int(records(out, "FOOTPRINT")[0]["errors"]))
    log("  stripped .so %d bytes; threads %d before, %d with 1 client, %d with 50; RSS %s"
        % (res["size"],
           res["threads_before"], res["threads_one"], res["threads_fifty"],
           ", ".join("%d kB @%d" % (kb, n) for n, kb in sorted(rss.items()))))
    return res


# -- reporting ----------------------------------------------------------------------------
def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                ram = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    date = subprocess.run(["date"], capture_output=True, text=True).stdout.strip()
    return {"date": date, "nproc": os.cpu_count(), "model": model, "ram": ram,
            "kernel": platform.release()}


def table(ov, a):
    b1, b8 = ov[("b", 1)], ov[("b", 8)]
    lines = []
    head = ("| impl | 1 thread: creates/s | p50 µs | p99 µs | rate ÷ (b) | "
            "8 threads: creates/s | p50 µs | p99 µs | rate ÷ (b) |")
    lines.append(head)
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, name in IMPLS:
        r1, r8 = ov[(key, 1)], ov[(key, 8)]
        err = lambda r: " (%d errors!)" % r["errors"] if r["errors"] else ""
        lines.append("| (%s) %s | %.0f%s | %.0f | %.0f | %.2f | %.0f%s | %.0f | %.0f | %.2f |" % (
            key, name, r1["rate"], err(r1), r1["p50_us"], r1["p99_us"], r1["rate"] / b1["rate"],
            r8["rate"], err(r8), r8["p50_us"], r8["p99_us"], r8["rate"] / b8["rate"]))
    return lines


def verdicts(ov, th, co, fp):
    a1, a21, b1, c1 = ov[("a", 1)], ov[("a2", 1)], ov[("b", 1)], ov[("c", 1)]
    rss = fp["rss"]
    base, end = rss.get(1000), rss.get(max(rss))
    allowed = max(RSS_FLAT_KB, 0.05 * base)
    out = [
        ("(a) within 10% of (b), 1 thread",
         a1["rate"] >= 0.9 * b1["rate"],
         "%.0f vs %.0f creates/s = %.2f (p50 %.0f vs %.0f us)"
         % (a1["rate"], b1["rate"], a1["rate"] / b1["rate"], a1["p50_us"], b1["p50_us"])),
        ("(a2) the library without the C boundary, within 10% of (b)",
         a21["rate"] >= 0.9 * b1["rate"],
         "%.0f vs %.0f creates/s = %.2f (p50 %.0f vs %.0f us)"
         % (a21["rate"], b1["rate"], a21["rate"] / b1["rate"], a21["p50_us"], b1["p50_us"])),
        ("(a) ahead of (c) libcurl, 1 thread",
         a1["rate"] > c1["rate"],
         "%.0f vs %.0f creates/s = %.2f" % (a1["rate"], c1["rate"], a1["rate"] / c1["rate"])),
        ("throttle efficiency >= 0.95",
         th["efficiency"] >= 0.95 and th["created"] == th["total"],
         "%.3f (%.2f/s of %d/s; %d of %d created)"
         % (th["efficiency"], th["rate"], th["limit"], th["created"], th["total"])),
        ("zero server-side rate rejections (42901)",
         th["rejected"] == 0 and th["client_errors"] == 0,
         "%d rejected, %d client errors" % (th["rejected"], th["client_errors"])),
        ("RSS flat (1k -> %dk creates)" % (max(rss) // 1000),
         end - base <= allowed,
         "%d kB -> %d kB (+%d kB, allowed +%d kB)" % (base, end, end - base, allowed)),
        ("threads same for 1 and 50 clients",
         fp["threads_one"] == fp["threads_fifty"],
         "library adds %d thread(s) with 1 client, %d with 50"
         % (fp["threads_one"] - fp["threads_before"], fp["threads_fifty"] - fp["threads_before"])),
        ("stripped .so <= 3 MB",
         fp["size"] <= SIZE_TARGET,
         "%d bytes (%.2f MiB)" % (fp["size"], fp["size"] / 1048576)),
    ]
    return out


def main():
    ap = argparse.ArgumentParser()
    for k in ("repo", "lib", "sandbox", "bench-jing", "bench-curl", "overhead-exe", "python",
              "bench-py", "py-path", "cs-exe", "out-dir", "results"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--count1", type=int, default=2000)
    ap.add_argument("--count8", type=int, default=500)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--throttle-total", type=int, default=100)
    ap.add_argument("--cold-runs", type=int, default=7)
    a = ap.parse_args()

    started = time.time()
    log = lambda s: print(s, flush=True)
    info = machine()
    version = run([a.python, "-c", "import ctypes;l=ctypes.CDLL(%r);l.jing_version.restype="
                   "ctypes.c_char_p;print(l.jing_version().decode())" % a.lib]).strip()
    commit = subprocess.run(["git", "-C", a.repo, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    log("== libjing %s (commit %s) on %s, %d CPUs, %s RAM" % (
        version, commit, info["model"], info["nproc"], info["ram"]))

    sb = Sandbox(a.sandbox, "--no-limits")
    try:
        log("== 1. overhead: sandbox --no-limits, client limits raised, %d reps each, medians"
            % a.reps)
        ov = overhead(a, sb, log)
        log("== 3. cold start")
        co = cold(a, sb, log)
        log("== 4. footprint")
        fp = footprint(a, sb, log)
    finally:
        sb.stop()
    log("== 2. throttle efficiency: sandbox and client at default limits")
    th = throttle(a, log)

    tbl = table(ov, a)
    checks = verdicts(ov, th, co, fp)
    rss = fp["rss"]
    other = [
        "| measure | value |",
        "|---|---|",
        "| throttle: %d creates, 8 threads, 4 clients of one app | %.2f creates/s at the server "
        "(limit %d/s) = efficiency %.3f; %d rejected (42901) |"
        % (th["created"], th["rate"], th["limit"], th["efficiency"], th["rejected"]),
        "| cold start: exec → libjing loaded → `jing_client_new` → first create (token fetch "
        "included), median of %d | %.2f ms (exec→main %.2f, client_new %.2f, first create %.2f) |"
        % (co["runs"], co["total_us"] / 1e3, co["exec_to_main_us"] / 1e3,
           co["client_new_us"] / 1e3, co["first_create_us"] / 1e3),
        "| one warm create (same process, right after) | %.3f ms (cold start = %.0f× a warm create) |"
        % (co["warm_create_us"] / 1e3, co["total_us"] / co["warm_create_us"]),
        "| stripped libjing.so (release profile as committed) | %d bytes (%.2f MiB) |"
        % (fp["size"], fp["size"] / 1048576),
    ]
    other += [
        "| process RSS after N creates (1 client) | %s |"
        % ", ".join("%s: %d kB" % (n, kb) for n, kb in sorted(rss.items())),
        "| threads in the process (/proc/self/task) | %d before any client, %d with 1 client, "
        "%d with 50 clients of the same base URL |"
        % (fp["threads_before"], fp["threads_one"], fp["threads_fifty"]),
    ]
    summary = ["%s  %-42s %s" % ("PASS" if ok else "FAIL", name, detail)
               for name, ok, detail in checks]
    # Not a target of the issue: how far the library is from its own parts used bare.
    a1, b01 = ov[("a", 1)], ov[("b0", 1)]
    summary.append("INFO  %-42s %s" % (
        "(a) against (b0), the raw-socket floor",
        "%.0f vs %.0f creates/s = %.2f (p50 +%.0f us: the library's own work per create)"
        % (a1["rate"], b01["rate"], a1["rate"] / b01["rate"], a1["p50_us"] - b01["p50_us"])))
    failed = [name for name, ok, _ in checks if not ok]
    elapsed = time.time() - started

    print()
    print("\n".join(tbl))
    print()
    print("\n".join(other))
    print()
    print("== targets")
    print("\n".join(summary))
    if failed:
        print()
        print("!" * 78)
        print("!! %d TARGET%s MISSED: %s" % (len(failed), "" if len(failed) == 1 else "S",
                                          "; ".join(failed)))
        print("!! (a measurement, not a test: exit status 0)")
        print("!" * 78)
    else:
        print("all targets met")
    print("(measured in %.0fs)" % elapsed)

    md = [
        "# libjing benchmark results",
        "",
        "Produced by `benches/run.sh` (also `make bench`); do not edit by hand.",
        "",
        "- date: %s" % info["date"],
        "- machine: %d CPUs (`nproc`), %s, %s RAM, Linux %s"
        % (info["nproc"], info["model"], info["ram"], info["kernel"]),
        "- libjing %s, commit %s, release profile; sandbox and clients share the machine "
        "(loopback)" % (version, commit),
        "- lead body for every client: `{\"business_type\":\"bt000000000000000000000000000001\","
        "\"name\":\"张三\",\"mobile\":\"13800000000\"}`",
        "",
        "## 1. Overhead (sandbox `--no-limits`, client limits raised)",
        "",
        "%d creates on 1 thread, %d×%d on 8 threads, after %d warm-up creates per thread; "
        "median of %d interleaved repetitions, one process each (sandbox reset before each). Ratios are throughput against (b), a bare reqwest blocking client "
        "with the token fetched once (the floor the issue names). (b0) is the stricter floor "
        "of libjing's own transport: the same std socket and httparse, no library."
        % (a.count1, 8, a.count8, a.warmup, a.reps),
        "",
    ] + tbl + [
        "",
        "## 2–4. Throttle, cold start, footprint",
        "",
    ] + other + [
        "",
        "Throttle efficiency: the sandbox's arrival times of the %d creates (journal); N "
        "requests at exactly L per sliding second span (N − L)/L seconds, so the achieved "
        "rate is (N − L) ÷ span." % th["created"],
        "",
        "## Targets",
        "",
        "```",
    ] + summary + ["```", ""]
    with open(a.results, "w") as f:
        f.write("\n".join(md))
    print("wrote %s" % a.results)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print("benches: FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
