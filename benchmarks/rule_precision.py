#!/usr/bin/env python3
"""Per-rule precision on the annotated training texts, from the table `kg train` stores in the model.

    python benchmarks/rule_precision.py [--scorer MODEL.json] [--markdown]

A rule of patterns/relations.json (or the title rule) proposes candidates; the scorer decides.
For every rule and predicate it prints how often its hits on annotated real text (the training
parts of ../shared/train, never the held-out ones nor the invented stories) were right, and
whether that measured precision counts as a floor for its facts' confidence (at least
MIN_RULE_HITS hits). Rules that never fired on the training texts are listed too: nothing
measures them, so only the learned model speaks for their facts.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from kg.nlp.lexicon import load_patterns
    from kg.nlp.scorer import MIN_RULE_HITS, MODEL_PATH

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scorer", default=str(MODEL_PATH))
    a = ap.parse_args()
    rules = json.loads(Path(a.scorer).read_text(encoding="utf-8")).get("rules", {})
    print("| rule | predicate | hits | right | precision (smoothed) | used as a floor |")
    print("|---|---|---|---|---|---|")
    for rp, r in sorted(rules.items(), key=lambda kv: (-kv[1]["hits"], kv[0])):
        rule, pred = rp.rsplit(":", 1)
        floor = "yes" if r["hits"] >= MIN_RULE_HITS else "no (too few hits)"
        print(f"| {rule} | {pred} | {r['hits']} | {r['right']} | {r['precision']:.2f} | {floor} |")
    fired = {re.split(r"[+~]", rp.rsplit(":", 1)[0])[0] for rp in rules}  # "round_led_by+before": the pattern round_led_by
    silent = sorted(p["id"] for p in load_patterns("relations")["patterns"] if p["id"] not in fired)
    print(f"\n{len(silent)} patterns never fired on the training texts: {', '.join(silent)}")
    low = sorted(rp for rp, r in rules.items() if r["hits"] >= MIN_RULE_HITS and r["precision"] < 0.5)
    print(f"measured below 0.5 with at least {MIN_RULE_HITS} hits: {', '.join(low) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
