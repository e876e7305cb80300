#!/usr/bin/env python3
"""Mention-boundary accuracy: do techkg's entity mentions cover exactly the names annotators marked?

    python benchmarks/mentions.py [--train ../shared/train] [--part all|train|heldout] [--cache DIR]

Two references, both from ../shared/train:
- KnowledgeNet: the subject and object spans of the facts of passages annotated for employment,
  CEO, founder or subsidiary (pronouns left out);
- Re-DocRED: every PER and ORG mention of every document.
A gold span is "exact" when a mention of ours has the same characters (a leading "the" and
trailing punctuation aside), "overlap" when a mention overlaps it with other boundaries (a cut
or over-long name), "missed" otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.learn.datasets import PRONOUNS, detokenize, load_knowledgenet, load_redocred, redocred_id  # noqa: E402


def _spans_knowledgenet(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for f in row["facts"]:
                for a in (f["subject"], f["object"]):
                    if a["text"].casefold() not in PRONOUNS:
                        out.setdefault(row["id"], []).append((a["start"], a["end"], "ARG"))
    return {k: sorted(set(v)) for k, v in out.items()}


def _spans_redocred(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    for d in json.loads(path.read_text(encoding="utf-8")):
        _, offsets = detokenize(d["sents"])
        shift = len(d["title"]) + 2
        spans = set()
        for vertex in d["vertexSet"]:
            for m in vertex:
                if m["type"] in ("PER", "ORG"):
                    tok = offsets[m["sent_id"]]
                    spans.add((tok[m["pos"][0]][0] + shift, tok[m["pos"][1] - 1][1] + shift, m["type"]))
        out[redocred_id(d["title"])] = sorted(spans)
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Character span without a leading article or possessive and trailing punctuation."""
    piece = text[start:end]
    for article in ("the ", "The "):
        if piece.startswith(article):
            start += len(article)
            piece = piece[len(article):]
    for tail in ("'s", "’s"):
        if piece.endswith(tail):
            end -= len(tail)
            piece = piece[:-len(tail)]
    while end > start and text[end - 1] in " ,.;:":
        end -= 1
    return start, end


def measure(nlp, examples, gold_spans, cache_dir) -> Counter:
    from kg.learn.train import annotate, parse

    counts: Counter = Counter()
    for doc, ex in zip(parse(nlp, examples, cache_dir).get_docs(nlp.vocab), examples):
        doc = annotate(nlp, doc)
        ours = [_trim(doc.text, m.start_char, m.end_char) for m in doc._.kg_mentions]
        for start, end, kind in gold_spans.get(ex.id, []):
            g = _trim(ex.text, start, end)
            if g in ours:
                counts[(kind, "exact")] += 1
            elif any(a < g[1] and g[0] < b for a, b in ours):
                counts[(kind, "overlap")] += 1
            else:
                counts[(kind, "missed")] += 1
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", default=str(ROOT.parent / "shared" / "train"))
    ap.add_argument("--part", choices=["all", "train", "heldout"], default="all")
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "techkg" / "train"))
    a = ap.parse_args()
    train = Path(a.train)
    kn, rd = train / "knowledgenet_train.jsonl", train / "redocred_train.json"
    if not kn.exists() or not rd.exists():
        print(f"no training data under {train}", file=sys.stderr)
        return 1
    from kg.nlp import load_pipeline

    try:
        nlp = load_pipeline(scorer=False)
    except TypeError:  # a techkg from before the scorer (to compare with)
        nlp = load_pipeline()
    rows = []
    for name, examples, spans in (("knowledgenet", load_knowledgenet(kn), _spans_knowledgenet(kn)),
                                  ("redocred", load_redocred(rd), _spans_redocred(rd))):
        if a.part != "all":
            examples = [e for e in examples if e.split == a.part]
        counts = measure(nlp, examples, spans, Path(a.cache))
        for kind in sorted({k for k, _ in counts}):
            n = sum(v for (k, _), v in counts.items() if k == kind)
            rows.append((name, kind, n, *(counts[(kind, c)] / n for c in ("exact", "overlap", "missed"))))
    print("| set | spans | n | exact | overlap (wrong boundary) | missed |")
    print("|---|---|---|---|---|---|")
    for name, kind, n, exact, overlap, missed in rows:
        print(f"| {name} | {kind} | {n} | {exact:.3f} | {overlap:.3f} | {missed:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
