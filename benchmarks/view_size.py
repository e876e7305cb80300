#!/usr/bin/env python3
"""How long a big view takes to become interactive in headless Chromium.

Generates a random graph (default 2,000 entities, 2 relations per entity on average, mixed
types, evidence sentences on every edge), renders it with kg.views.render_html exactly as
`kg view --top 0` would (the layout is computed in Python: that time is reported as "rendered
in"), opens it from file:// in headless Chromium (Selenium, /usr/bin/chromedriver) and reports,
in milliseconds since navigation start:

  drawn        the network's first "afterDrawing" (the graph is on screen)
  interactive  the page's script has applied the filters and fitted the view, and the browser
               has run the next task (clicks, search and filters respond from here on)

Then it clicks the search box, types a name and times the answer, and times one filter change.
Target: both timings under 3,000 ms for 2,000 nodes.  Not a timed test; run it by hand:

    python benchmarks/view_size.py [--nodes 2000] [--edges-per-node 2] [--runs 3] [--top N] [--keep FILE.html]

--top N renders what `kg view`/`kg build` show by default instead (the N most central, e.g. 300).

Needs chromium and chromium-driver (Debian) and selenium (the `test` extra).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kg.views import TYPE_STYLE, render_html, render_view  # noqa: E402

PREDICATES = ["worksFor", "leads", "founded", "developed", "acquired", "investedIn", "parentOrganization"]


def random_graph(nodes: int, edges_per_node: float, seed: int) -> nx.MultiDiGraph:
    rng = random.Random(seed)
    types = sorted(TYPE_STYLE)
    G = nx.MultiDiGraph()
    for i in range(nodes):
        G.add_node(f"https://w3id.org/techkg/entity/e{i}", label=f"Entity {i}", type=rng.choice(types),
                   aliases=[f"E{i}"], wikidata=f"Q{1000 + i}" if i % 3 == 0 else None)
    ids = list(G.nodes)
    # Preferential attachment, like real knowledge graphs: a few hubs, a long tail.
    skeleton = nx.barabasi_albert_graph(nodes, max(1, round(edges_per_node)), seed=seed)
    for u, v in skeleton.edges:
        if rng.random() < 0.5:
            u, v = v, u
        G.add_edge(ids[u], ids[v], predicate=rng.choice(PREDICATES), confidence=round(rng.uniform(0.5, 1), 2),
                   doc=f"{u % 50:03d}_doc", sentence=f"Entity {u} and Entity {v} appear in one sentence.")
    return G


def chromium(tmp: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={tmp}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def measure(driver, page: Path, timeout: float = 60.0) -> dict:
    driver.get(page.as_uri())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t = driver.execute_script("return window.techkgTimings || null")
        if t and t.get("drawn") is not None and t.get("interactive") is not None:
            probe = driver.execute_script(
                "var t0 = performance.now(), hits = techkg.search('Entity 1999');"
                "var t1 = performance.now();"
                "var box = document.querySelector('#type-filter input'); box.click();"
                "var t2 = performance.now(); box.click();"
                "return {search: t1 - t0, filter: t2 - t1, hit: hits.length ? techkgData.entities[hits[0].id].n : null,"
                " nodes: network.body.nodeIndices.length}")
            return {"drawn": t["drawn"], "interactive": t["interactive"], **probe}
        time.sleep(0.02)
    raise TimeoutError(f"the page did not become interactive within {timeout} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=2000)
    ap.add_argument("--edges-per-node", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--top", type=int, default=0, help="keep the N most central entities (0: all, the default)")
    ap.add_argument("--keep", type=Path, default=None, help="also keep the rendered page here")
    args = ap.parse_args(argv)

    G = random_graph(args.nodes, args.edges_per_node, args.seed)
    with tempfile.TemporaryDirectory(prefix="kg-view-size-") as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        if args.top:
            page, _ = render_view(G, tmp / "big.html", top=args.top, title=f"techkg: random {args.nodes}")
        else:
            page = render_html(G, tmp / "big.html", title=f"techkg: random {args.nodes}")
        render_s = time.perf_counter() - started
        if args.keep:
            args.keep.write_bytes(page.read_bytes())
        print(f"graph: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges; "
              f"page {page.stat().st_size / 1e6:.1f} MB rendered in {render_s:.2f} s")
        driver = chromium(tmp / "profile")
        try:
            runs = [measure(driver, page) for _ in range(args.runs)]
        finally:
            driver.quit()
    for i, r in enumerate(runs, 1):
        print(f"run {i}: drawn {r['drawn']:.0f} ms, interactive {r['interactive']:.0f} ms, {r['nodes']} nodes drawn; "
              f"search {r['search']:.0f} ms ({r['hit']!r}), type filter {r['filter']:.0f} ms")
    worst = max(max(r["drawn"], r["interactive"]) for r in runs)
    median = statistics.median(max(r["drawn"], r["interactive"]) for r in runs)
    print(f"interactive after: median {median:.0f} ms, worst {worst:.0f} ms "
          f"({'under' if worst < 3000 else 'OVER'} the 3000 ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
