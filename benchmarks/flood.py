#!/usr/bin/env python3
"""A flood of slow SPARQL queries against `kg serve` on loopback, with a health probe beside it.

    python benchmarks/flood.py [--graph G] [--clients 50] [--seconds 20] [--store oxigraph]

Starts the real `kg serve` (a subprocess on a free loopback port), then for ``--seconds`` runs
``--clients`` threads that each send slow queries back to back (a four-way cartesian COUNT, and
every third one a GROUP_CONCAT over a cartesian product, which grows a worker's memory until
--max-query-memory stops it), while a prober asks GET /health every ``--probe-every`` seconds and
a sampler adds up the resident memory of the server and its query workers. It reports the probe
latencies, the answers by status, and the peak memory, and exits 1 if a probe took longer than
``--probe-limit`` seconds (or failed) or the memory went over ``--memory-ceiling`` MB.

tests/test_hostile.py runs the same function for a few seconds; README "kg serve" quotes a full run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CONCAT = ("SELECT (GROUP_CONCAT(CONCAT(STR(?a), STR(?d), STR(?g))) AS ?x) "
          "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")


@dataclass
class FloodResult:
    clients: int
    seconds: float
    probes: int = 0
    probe_failures: int = 0
    probe_max_s: float = 0.0
    probe_p50_s: float = 0.0
    probe_p99_s: float = 0.0
    statuses: dict = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    baseline_rss_mb: float = 0.0
    ceiling_mb: float = 0.0
    probe_limit_s: float = 2.0
    health_after: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (self.probes > 0 and self.probe_failures == 0 and self.probe_max_s <= self.probe_limit_s
                and self.peak_rss_mb <= self.ceiling_mb)


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    total, todo, seen = 0, [pid], set()
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in children.read_text().split()]
            except (OSError, ValueError):
                pass
    return total


def _post(url: str, query: str, timeout: float) -> int:
    data = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                          "Accept": "text/csv"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code
    except OSError:
        return 0  # connection refused / reset / timed out


def start_server(graph: str | Path, *, store: str = "oxigraph", workers: int = 2, timeout: float = 5.0,
                 queue: int = 8, max_query_memory: int = 128, kg: list[str] | None = None):
    """`kg serve` on a free loopback port: (process, base URL)."""
    kg = kg or [sys.executable, "-c", "import sys; from kg.cli import main; sys.argv[0] = 'kg'; main()"]
    import tempfile

    # the server's stderr goes to a file: a pipe nobody reads fills up and blocks the server
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(kg + ["serve", "-g", str(graph), "--port", "0", "--store", store,
                                  "--workers", str(workers), "--timeout", str(timeout), "--queue", str(queue),
                                  "--max-query-memory", str(max_query_memory)],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    proc.log = log
    line = proc.stdout.readline()
    if " at http://" not in line:
        proc.kill()
        proc.wait()
        log.seek(0)
        raise RuntimeError(f"kg serve did not start: {line!r} {log.read()[-2000:]}")
    return proc, line.rsplit(" at ", 1)[1].strip().removesuffix("/sparql")


def flood(base: str, server_pid: int, *, clients: int = 50, seconds: float = 20.0, probe_every: float = 0.25,
          probe_limit: float = 2.0, ceiling_mb: float = 1024.0, retry_delay: float = 0.05) -> FloodResult:
    """Run the flood against a started server (module docstring)."""
    res = FloodResult(clients=clients, seconds=seconds, ceiling_mb=ceiling_mb, probe_limit_s=probe_limit)
    res.baseline_rss_mb = tree_rss(server_pid) / 2**20
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    peak = [res.baseline_rss_mb]

    def client(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            status = _post(base + "/sparql", CONCAT if (i + n) % 3 == 0 else COUNT, timeout=seconds + 60)
            n += 1
            with lock:
                res.statuses[status] = res.statuses.get(status, 0) + 1
            if status in (503, 0):
                time.sleep(retry_delay)

    def prober() -> None:
        while time.monotonic() < stop:
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(base + "/health", timeout=max(10.0, probe_limit * 5)) as resp:
                    ok = resp.status == 200 and json.loads(resp.read())["status"] == "ok"
            except (OSError, ValueError, KeyError):
                ok = False
            took = time.monotonic() - t0
            with lock:
                latencies.append(took)
                if not ok:
                    res.probe_failures += 1
            time.sleep(max(0.0, probe_every - took))

    def sampler() -> None:
        while time.monotonic() < stop + 1:
            peak[0] = max(peak[0], tree_rss(server_pid) / 2**20)
            time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    threads += [threading.Thread(target=prober, daemon=True), threading.Thread(target=sampler, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 90)
    res.probes = len(latencies)
    if latencies:
        ordered = sorted(latencies)
        res.probe_max_s = round(ordered[-1], 3)
        res.probe_p50_s = round(statistics.median(ordered), 3)
        res.probe_p99_s = round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3)
    res.peak_rss_mb = round(peak[0], 1)
    res.baseline_rss_mb = round(res.baseline_rss_mb, 1)
    try:
        with urllib.request.urlopen(base + "/health", timeout=10) as resp:
            res.health_after = json.loads(resp.read())
    except (OSError, ValueError):
        pass
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_graph = ROOT / "out" / "graph.ttl"
    ap.add_argument("--graph", default=str(default_graph if default_graph.is_file()
                                           else ROOT / "tests" / "data" / "mini_graph.ttl"))
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--store", default="oxigraph", choices=["memory", "oxigraph"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0, help="kg serve --timeout")
    ap.add_argument("--queue", type=int, default=8, help="kg serve --queue")
    ap.add_argument("--max-query-memory", type=int, default=128, help="kg serve --max-query-memory (MB)")
    ap.add_argument("--probe-every", type=float, default=0.25)
    ap.add_argument("--probe-limit", type=float, default=2.0)
    ap.add_argument("--memory-ceiling", type=float, default=1024.0, help="MB, server and workers together")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    proc, base = start_server(a.graph, store=a.store, workers=a.workers, timeout=a.timeout, queue=a.queue,
                              max_query_memory=a.max_query_memory)
    try:
        res = flood(base, proc.pid, clients=a.clients, seconds=a.seconds, probe_every=a.probe_every,
                    probe_limit=a.probe_limit, ceiling_mb=a.memory_ceiling)
    finally:
        proc.terminate()
        proc.wait(30)
    if a.json:
        print(json.dumps({**asdict(res), "ok": res.ok}, indent=2))
    else:
        print(f"graph {a.graph} ({a.store}), {a.clients} clients for {a.seconds:g} s, "
              f"{a.workers} workers, queue {a.queue}, timeout {a.timeout:g} s, max query memory {a.max_query_memory} MB")
        print(f"health probes: {res.probes}, failed {res.probe_failures}, latency p50 {res.probe_p50_s:.3f} s, "
              f"p99 {res.probe_p99_s:.3f} s, max {res.probe_max_s:.3f} s (limit {a.probe_limit:g} s)")
        print("answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(res.statuses.items())))
        print(f"memory (server + workers): {res.baseline_rss_mb:.0f} MB idle, peak {res.peak_rss_mb:.0f} MB "
              f"(ceiling {a.memory_ceiling:g} MB)")
        print(f"health afterwards: {json.dumps(res.health_after)}")
        print("OK" if res.ok else "FAILED")
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
