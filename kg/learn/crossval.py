"""Document-level figures of a scorer model on annotated texts, the way `kg eval` would count them.

Used for cross-validation while training (each fold's texts are scored by a model trained
without them) and for any set of parsed texts: the texts go through the same components and
the same resolution as `kg build`, for kg.evaluate to score.
"""
from __future__ import annotations

from collections.abc import Iterable

from .datasets import Example


def facts_of(records: list[dict], min_confidence: float = 0.5) -> list[dict]:
    """The facts `kg facts --format jsonl` would list for these records (names, aliases, doc)."""
    from ..query import written_name
    from ..resolve import resolve

    resolved = resolve(records, min_confidence=min_confidence)
    out = []
    for f in resolved.facts:
        s, o = resolved.entities[f["subject"]], resolved.entities[f["object"]]
        s_name, s_aliases = written_name(s.label, s.aliases, f.get("sentence"))
        o_name, o_aliases = written_name(o.label, o.aliases, f.get("sentence"))
        out.append({"subject": s_name, "subject_aliases": s_aliases, "predicate": f["predicate"],
                    "object": o_name, "object_aliases": o_aliases, "doc": f["doc"],
                    "confidence": f["confidence"]})
    return out


def records_with(nlp, scorer, docs: Iterable, examples: list[Example]) -> list[dict]:
    """Extraction records of parsed texts, scored by ``scorer`` (a kg.nlp.scorer.FactScorer)."""
    from ..extract import doc_record
    from ..ingest import text_to_document
    from .train import annotate

    records = []
    for doc, ex in zip(docs, examples):
        doc = scorer(annotate(nlp, doc))
        records.append(doc_record(doc, text_to_document(ex.id, ex.text, kind="text")))
    return records


def gold_of(examples: list[Example], gold: dict) -> dict:
    """The part of a gold file about the given texts."""
    ids = {e.id for e in examples}
    part = {k: [x for x in gold.get(k, []) if x.get("doc") in ids] for k in ("facts", "must_not")}
    entities = [e for e in gold.get("entities", []) if e.get("doc") in ids or "doc" not in e]
    out = {"entities": entities, **part}
    if "judged" in gold:
        out["judged"] = {d: v for d, v in gold["judged"].items() if d in ids}
    return out
