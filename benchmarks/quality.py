#!/usr/bin/env python3
"""Extraction quality on the evaluation sets in ../shared/eval (when present): a table of P/R/F1.

    python benchmarks/quality.py [--shared ../shared] [--min-confidence 0.5]

Builds each corpus with `kg build` into a temporary folder and scores `kg facts` with kg.evaluate,
which follows the same rules as the reference scorer (shared/eval/score.py).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.evaluate import score  # noqa: E402


def run_set(name: str, corpus: Path, gold_path: Path, modes: list[str], min_conf: float, tmp: Path) -> list[dict]:
    out = tmp / name
    subprocess.run([sys.executable, "-m", "kg.cli", "build", str(corpus), "-o", str(out), "--no-html", "--min-confidence", str(min_conf)],
                   check=True, stdout=subprocess.DEVNULL)
    facts = subprocess.run([sys.executable, "-m", "kg.cli", "facts", "-g", str(out / "graph.ttl"), "--format", "jsonl"],
                           check=True, capture_output=True, text=True).stdout
    ents = subprocess.run([sys.executable, "-m", "kg.cli", "entities", "-g", str(out / "graph.ttl"), "--format", "jsonl"],
                          check=True, capture_output=True, text=True).stdout
    facts = [json.loads(line) for line in facts.splitlines() if line.strip()]
    ents = [json.loads(line) for line in ents.splitlines() if line.strip()]
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    rows = []
    for mode in modes:
        res = score(gold, facts, mode, ents if mode == "strict" else None)
        f = res["facts"]
        row = {"set": name, "mode": mode, "P": f["precision"], "R": f["recall"], "F1": f["f1"],
               "tp": f["true_positives"], "pred": f["predicted"], "gold": f["gold"],
               "must_not": len(res["must_not_violations"])}
        if "entities" in res:
            row["entity_F1"] = res["entities"]["f1"]
            row["fragments"] = res["entities"]["fragments"]
        rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--min-confidence", type=float, default=0.5)
    a = ap.parse_args()
    shared = Path(a.shared)
    sets = [("seeds", shared / "corpus", shared / "eval" / "seed_gold.json", ["strict", "family"]),
            ("redocred_dev", shared / "eval" / "redocred_dev", shared / "eval" / "redocred_dev" / "gold.json", ["family"])]
    sets = [s for s in sets if s[1].exists() and s[2].exists()]
    if not sets:
        print(f"no evaluation sets under {shared}", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, corpus, gold, modes in sets:
            rows += run_set(name, corpus, gold, modes, a.min_confidence, Path(tmp))
    cols = ["set", "mode", "P", "R", "F1", "tp", "pred", "gold", "must_not", "entity_F1", "fragments"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
