#!/usr/bin/env python3
"""SPARQL store speed: rdflib's in-memory store against Oxigraph on a graph of about 1M triples.

    python benchmarks/sparql_store.py                   # synthesise ~1M triples, compare the stores
    python benchmarks/sparql_store.py --triples 200000  # smaller
    python benchmarks/sparql_store.py --graph out/graph.ttl

The graph is synthesised the way a large corpus would produce it: the bundled corpus's own
per-document extraction records (built once into the work folder) are copied with new document
ids, and the names of entities the knowledge base does not know get a per-copy suffix, so copies
add new people, companies and products while Meta, Instagram or Yann LeCun stay one node each.
The copies then go through the real kg.resolve and kg.graph (build_graph + serialize), so the file
has the shape `kg build` writes.

Each store is measured in its own process: load time, memory (RSS growth while loading), and the
notebook's questions as SPARQL (best of --repeat runs), plus `kg facts`'s fact_rows.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: the notebook's questions (who leads what, what Meta acquired for how much and when, the evidence
#: of one fact), plus a full-scan aggregate and a two-hop join
QUERIES = {
    "who leads what": """
        SELECT ?person ?org WHERE {
          ?p kg:leads|kg:ceoOf ?o . ?p rdfs:label ?person . ?o rdfs:label ?org
        } ORDER BY ?person ?org""",
    "Meta's acquisitions (price, year)": """
        SELECT DISTINCT ?target ?price ?year WHERE {
          ?ev a kg:Acquisition ; kg:acquirer ent:meta ; kg:target ?t .
          ?t rdfs:label ?target .
          OPTIONAL { ?ev kg:priceUSD ?price } OPTIONAL { ?ev kg:date ?year }
        } ORDER BY ?target ?year ?price""",
    "evidence of a fact": """
        SELECT ?sentence ?doc ?confidence WHERE {
          ?st rdf:subject ent:meta ; rdf:predicate kg:acquired ; rdf:object ent:instagram ;
              kg:sentence ?sentence ; prov:wasDerivedFrom ?doc ; kg:confidence ?confidence
        } ORDER BY ?doc ?sentence""",
    "facts per predicate": """
        SELECT ?p (COUNT(*) AS ?n) WHERE { ?st a rdf:Statement ; rdf:predicate ?p } GROUP BY ?p ORDER BY ?p""",
    "people at developers of AI models": """
        SELECT DISTINCT ?person ?org ?model WHERE {
          ?p kg:worksFor|kg:leads|kg:ceoOf ?o . ?o kg:developed ?m . ?m a kg:AIModel .
          ?p rdfs:label ?person . ?o rdfs:label ?org . ?m rdfs:label ?model
        } ORDER BY ?person ?org ?model""",
}


# ------------------------------------------------------------------------------------------ synthesis
def corpus_records(work: Path) -> list[dict]:
    """The bundled corpus's extraction records (built into work/seed once, then read from its cache)."""
    from kg.build import build_corpus

    seed = work / "seed"
    build_corpus([ROOT / "corpus"], seed, html=False)
    return [json.loads(p.read_text(encoding="utf-8"))["record"] for p in sorted((seed / "cache").glob("*.json"))]


def synthesise(records: list[dict], copies: int) -> list[dict]:
    out = []
    for k in range(copies):
        for r in records:
            ents = {}
            for key, e in r["entities"].items():
                if not e["kb"] and k:
                    e = {**e, "label": f"{e['label']} {k}", "aliases": [f"{a} {k}" for a in e["aliases"]]}
                ents[key] = e
            out.append({**r, "doc": f"{r['doc']}_c{k:05d}", "entities": ents})
    return out


def make_graph(path: Path, triples: int, work: Path) -> None:
    from kg.graph import build_graph, serialize, write_atomic
    from kg.resolve import resolve

    records = corpus_records(work)
    t0 = time.perf_counter()
    first = len(build_graph(resolve(synthesise(records, 1))))
    per_copy = len(build_graph(resolve(synthesise(records, 2)))) - first
    copies = max(1, 1 + round((triples - first) / per_copy))
    resolved = resolve(synthesise(records, copies))
    t1 = time.perf_counter()
    g = build_graph(resolved)
    t2 = time.perf_counter()
    data = serialize(g)
    t3 = time.perf_counter()
    write_atomic(path, data)
    print(f"synthesised {len(g):,} triples ({copies} copies of {len(records)} documents, "
          f"{len(resolved.entities):,} entities, {len(resolved.facts):,} facts): resolve {t1 - t0:.1f} s, "
          f"build_graph {t2 - t1:.1f} s, serialize {t3 - t2:.1f} s, {len(data) / 2**20:.0f} MB", file=sys.stderr)


# ------------------------------------------------------------------------------------------ measuring
def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(graph: str, kind: str, repeat: int, facts: bool) -> dict:
    from kg.query import fact_rows, py
    from kg.store import MemoryStore, OxigraphStore

    before = rss_mb()
    t0 = time.perf_counter()
    store = (OxigraphStore if kind == "oxigraph" else MemoryStore).load(graph)
    load = time.perf_counter() - t0
    res = {"store": kind, "load_s": load, "rss_mb": rss_mb() - before, "triples": len(store), "queries": {}}
    for name, q in QUERIES.items():
        best, rows = None, None
        for _ in range(repeat):
            t = time.perf_counter()
            r = store.query(q)
            rows = [tuple(py(v) for v in row) for row in r]
            el = time.perf_counter() - t
            best = el if best is None else min(best, el)
        res["queries"][name] = {"s": best, "rows": len(rows), "digest": hashlib.sha1(repr(sorted(map(repr, rows))).encode()).hexdigest()}
    if facts:
        t = time.perf_counter()
        n = len(fact_rows(store.reader()))
        res["fact_rows_s"], res["fact_rows"] = time.perf_counter() - t, n
    res["peak_rss_mb"] = rss_mb()
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", type=int, default=1_000_000, help="size of the synthesised graph")
    ap.add_argument("--graph", help="use this graph file instead of synthesising one")
    ap.add_argument("--stores", nargs="+", default=["memory", "oxigraph"], choices=["memory", "oxigraph"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-facts", action="store_true", help="skip fact_rows (kg facts), slow on rdflib at 1M")
    ap.add_argument("--work", help="work folder (keeps the synthesised graph between runs)")
    ap.add_argument("--_measure", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._measure:
        print(json.dumps(measure(args._measure[0], args._measure[1], args.repeat, not args.no_facts)))
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="kg-sparql-"))
    graph = Path(args.graph) if args.graph else work / f"synthetic_{args.triples}.ttl"
    if not graph.exists():
        make_graph(graph, args.triples, work)
    results = []
    for kind in args.stores:
        cmd = [sys.executable, __file__, "--_measure", str(graph), kind, "--repeat", str(args.repeat)]
        if args.no_facts:
            cmd.append("--no-facts")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(f"measured {kind}", file=sys.stderr)
    print(f"graph: {graph} ({results[0]['triples']:,} triples, {graph.stat().st_size / 2**20:.0f} MB Turtle)\n")
    names = ["load"] + list(QUERIES) + (["fact_rows (kg facts)"] if not args.no_facts else [])
    head = "| step | " + " | ".join(r["store"] for r in results) + (" | ratio |" if len(results) == 2 else " |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))

    def cell(r, name):
        if name == "load":
            return r["load_s"]
        if name.startswith("fact_rows"):
            return r["fact_rows_s"]
        return r["queries"][name]["s"]

    def ratio(a, b):
        if b <= 0:
            return "-"
        r = a / b
        return f"{r:,.0f}x" if r >= 10 else f"{r:.1f}x"

    def secs(v):
        return f"{v * 1000:,.0f} ms" if v < 10 else f"{v:,.1f} s"

    names.insert(len(QUERIES) + 1, "load + the five queries")
    for name in names:
        if name.startswith("load +"):
            vals = [r["load_s"] + sum(q["s"] for q in r["queries"].values()) for r in results]
        else:
            vals = [cell(r, name) for r in results]
        line = f"| {name} | " + " | ".join(secs(v) for v in vals)
        if len(results) == 2:
            line += f" | {ratio(vals[0], vals[1])} |"
        print(line)
    print("| memory (RSS growth on load) | " + " | ".join(f"{r['rss_mb']:,.0f} MB" for r in results)
          + (f" | {ratio(results[0]['rss_mb'], results[1]['rss_mb'])} |" if len(results) == 2 else " |"))
    if len(results) == 2:
        same = all(results[0]["queries"][q]["digest"] == results[1]["queries"][q]["digest"] for q in QUERIES)
        print("\nsame rows from both stores: " + ("yes" if same else "NO"))
        for q in QUERIES:
            print(f"  {q}: {results[0]['queries'][q]['rows']} rows")


if __name__ == "__main__":
    main()
