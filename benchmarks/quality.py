#!/usr/bin/env python3
"""Extraction quality, text never trained or tuned on first.

    python benchmarks/quality.py [--shared ../shared] [--min-confidence 0.5] [--scorer MODEL.json]
                                 [--json FILE] [--sets heldout,tuned]

1. Held-out parts of ../shared/train (a fixed fifth of each set's documents, kg.learn.datasets
   `split_of`; `kg train` never sees them): the tech-news passages (strict), KnowledgeNet passages
   (family, judged families only) and Re-DocRED documents (family). Per relation P/R/F1, must-not
   violations, and a calibration table: facts bucketed by confidence, with the precision observed
   in each bucket.
2. Cross-validated figures on the training parts, as `kg train` stored them in the model.
3. The sets that were tuned on for a long time (the seeds, the Re-DocRED dev documents): kept as
   regression checks, not as evidence.

Each set is built with `kg build` into a temporary folder and its `kg facts` are scored with
kg.evaluate, which counts as ../shared/eval/score.py does (the gold restricted to the set's
documents, so the training documents' facts do not count as misses).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.evaluate import judge_facts, score  # noqa: E402
from kg.learn.train import calibration_buckets, calibration_error  # noqa: E402
from kg.nlp.scorer import KEEP_FLOOR  # noqa: E402


def build_facts(corpus: Path, out: Path, min_conf: float, scorer: str | None) -> list[dict]:
    cmd = [sys.executable, "-m", "kg.cli", "build", str(corpus), "-o", str(out), "--no-html", "--no-cache",
           "--min-confidence", str(min_conf)]
    if scorer:
        cmd += ["--scorer", scorer]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    text = subprocess.run([sys.executable, "-m", "kg.cli", "facts", "-g", str(out / "graph.ttl"), "--format", "jsonl"],
                          check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def judge(gold: dict, facts: list[dict], mode: str) -> list[tuple[float, bool]]:
    """(confidence, right?) per distinct predicted fact, the way the scorer counts it."""
    return [(f["confidence"], ok) for f, ok in judge_facts(gold, facts, mode)]


def per_relation(gold: dict, facts: list[dict], mode: str) -> dict[str, dict]:
    res = score(gold, facts, mode)
    out = {}
    for pred, frac in res["recall_by_predicate"].items():
        tp, n = (int(x) for x in frac.split("/"))
        mine = [f for f in facts if _family_of(f["predicate"], mode) == pred]
        r = score(gold, mine, mode)["facts"] if mine else {"correct_predictions": 0, "predicted": 0}
        p = r["correct_predictions"] / r["predicted"] if r["predicted"] else 0.0
        rec = tp / n if n else 0.0
        out[pred] = {"P": round(p, 3), "R": round(rec, 3), "F1": round(2 * p * rec / (p + rec), 3) if p + rec else 0.0,
                     "predicted": r["predicted"], "gold": n}
    return out


def _family_of(predicate: str, mode: str) -> str:
    if mode == "strict":
        return predicate
    from kg.evaluate import FAMILY
    fams = FAMILY.get(predicate, [])
    return fams[0][0] if fams else predicate


def held_out_sets(shared: Path, tmp: Path):
    """(name, corpus folder, gold, mode) for the held-out part of each training set present."""
    from kg.learn.crossval import gold_of
    from kg.learn.datasets import TrainingSets

    ts = TrainingSets(shared / "train")
    for name in ts.available():
        examples = [e for e in ts.load(name) if e.split == "heldout"]
        folder = tmp / f"corpus_{name}"
        folder.mkdir()
        for e in examples:
            (folder / f"{e.id}.txt").write_text(e.text, encoding="utf-8")
        gold, mode = ts.gold(name, examples)
        yield f"{name} (held out, {len(examples)} docs)", folder, gold_of(examples, gold), mode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--min-confidence", type=float, default=0.5)
    ap.add_argument("--scorer", default=None, help="a model file written by `kg train` (default: the packaged one)")
    ap.add_argument("--sets", default="heldout,tuned", help="heldout, tuned or both (comma-separated)")
    ap.add_argument("--json", help="also write every figure as JSON to this file")
    a = ap.parse_args()
    shared = Path(a.shared)
    want = set(a.sets.split(","))
    tuned = [("seeds (tuned on)", shared / "corpus", shared / "eval" / "seed_gold.json", "strict"),
             ("redocred_dev (tuned on)", shared / "eval" / "redocred_dev", shared / "eval" / "redocred_dev" / "gold.json", "family")]
    tuned = [t for t in tuned if t[1].exists() and t[2].exists()]
    have_train = (shared / "train").is_dir()
    if not tuned and not have_train:
        print(f"no evaluation sets under {shared}", file=sys.stderr)
        return 1
    report: dict = {"min_confidence": a.min_confidence, "sets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = []
        if "heldout" in want and have_train:
            runs += list(held_out_sets(shared, tmp))
        if "tuned" in want:
            runs += [(n, c, json.loads(g.read_text(encoding="utf-8")), m) for n, c, g, m in tuned]
        buckets: dict[str, list] = defaultdict(list)
        for i, (name, corpus, gold, mode) in enumerate(runs):
            # the figures at the threshold come from a build at that threshold: a build at a lower one
            # can drop a weaker fact for a stronger one that the threshold would then remove
            kept = build_facts(corpus, tmp / f"out{i}", a.min_confidence, a.scorer)
            res = score(gold, kept, mode)
            entry = {"mode": mode, **{k: res["facts"][k] for k in ("precision", "recall", "f1", "predicted", "gold")},
                     "must_not": len(res["must_not_violations"]), "relations": per_relation(gold, kept, mode)}
            if "held out" in name:
                judged = judge(gold, build_facts(corpus, tmp / f"low{i}", KEEP_FLOOR, a.scorer), mode)
                buckets[name] = judged
                buckets["all held-out sets"] += judged
            report["sets"][name] = entry
    print(f"## Held-out and tuned-on sets (min confidence {a.min_confidence})\n")
    print("| set | mode | P | R | F1 | predicted | gold | must-not |")
    print("|---|---|---|---|---|---|---|---|")
    for name, e in report["sets"].items():
        print(f"| {name} | {e['mode']} | {e['precision']:.3f} | {e['recall']:.3f} | {e['f1']:.3f} | {e['predicted']} | {e['gold']} | {e['must_not']} |")
    for name, e in report["sets"].items():
        print(f"\n{name}, per relation:\n")
        print("| relation | P | R | F1 | predicted | gold |")
        print("|---|---|---|---|---|---|")
        for rel, r in sorted(e["relations"].items()):
            print(f"| {rel} | {r['P']:.2f} | {r['R']:.2f} | {r['F1']:.2f} | {r['predicted']} | {r['gold']} |")
    if buckets:
        report["calibration"] = {}
        print("\n## Calibration on held-out text: facts by confidence, and how many were right\n")
        print("| set | confidence | facts | mean confidence | observed precision |")
        print("|---|---|---|---|---|")
        for name, judged in buckets.items():
            rows = calibration_buckets(judged)
            for b in rows:
                print(f"| {name} | {b['from']:.1f}–{b['to']:.1f} | {b['facts']} | {b['mean_confidence']:.2f} | "
                      f"{b['precision']:.2f} |")
            report["calibration"][name] = [{**b, "mean_confidence": round(b["mean_confidence"], 3),
                                            "precision": round(b["precision"], 3)} for b in rows]
        # the line reads every bucket of 20 facts or more; per set, since one map can
        # be right for the sets' mix and wrong for each (README, Quality)
        print("\n| set | facts | calibration error | worst bucket of 20+ facts |")
        print("|---|---|---|---|")
        report["calibration_error"] = {}
        for name, judged in buckets.items():
            err = calibration_error(judged)
            report["calibration_error"][name] = err
            worst = "–" if err["worst_bucket"] is None else f"{err['worst_bucket']:.3f}"
            print(f"| {name} | {err['facts']} | {err['error']:.3f} | {worst} |")
    model = _model_meta(a.scorer)
    if model.get("cross_validated"):
        print("\n## Cross-validated on the training parts (5 folds by document, from the model file)\n")
        print("| set | mode | P | R | F1 | predicted | gold | mean F1 over 0.3–0.7 | worst calibration bucket |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, r in model["cross_validated"].items():
            band = f"{r['mean_f1_band']:.3f}" if "mean_f1_band" in r else "–"  # models before it lack it
            worst = r.get("calibration", {}).get("worst_bucket")
            worst = "–" if worst is None else f"{worst:.3f}"
            print(f"| {name} | {r['mode']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['predicted']} "
                  f"| {r['gold']} | {band} | {worst} |")
        report["cross_validated"] = model["cross_validated"]
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _model_meta(path: str | None) -> dict:
    from kg.nlp.scorer import MODEL_PATH

    try:
        return json.loads(Path(path or MODEL_PATH).read_text(encoding="utf-8")).get("meta", {})
    except (OSError, ValueError):
        return {}


if __name__ == "__main__":
    sys.exit(main())
