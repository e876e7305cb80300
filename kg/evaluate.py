"""Scoring extracted facts against a gold file, with the same rules as the project's reference scorer.

strict: the predicate must equal the gold one or be a sub-property of it (ceoOf < leads < worksFor).
family: predicates fold into families (employment, leadership, founder, parent/ownership,
developer) and are compared per document, for corpora whose entities are per document.
"""
from __future__ import annotations

import collections
import re

SUPER = {"ceoOf": {"ceoOf", "leads", "worksFor"}, "leads": {"leads", "worksFor"},
         "worksFor": {"worksFor"}, "founded": {"founded"}}
FAMILY = {
    "worksFor": [("EMP", False)],
    "leads": [("LEAD", False), ("EMP", False)],
    "ceoOf": [("LEAD", False), ("EMP", False)],
    "founded": [("FOUND", False)],
    "developed": [("DEV", False)],
    "parentOrganization": [("PARENT", False)],
    "subsidiaryOf": [("PARENT", False)],
    "ownedBy": [("PARENT", False)],
    "acquired": [("PARENT", True)],
}


def norm(name: str) -> str:
    s = name.casefold().replace("\u2019", "'")
    s = re.sub(r"'s$", "", s.strip())
    s = re.sub(r"^the\s+", "", s)
    s = re.sub(r"[^\w+#.\- ]", " ", s)
    return re.sub(r"\s+", " ", s).strip(" .-")


class Names:
    """Maps a predicted name (with aliases) to a gold entity key, per document when entities are."""

    def __init__(self, entities, per_doc):
        self.per_doc = per_doc
        self.index = collections.defaultdict(dict)
        for e in entities:
            scope = e.get("doc") if per_doc else None
            key = (scope, e["name"])
            for n in [e["name"]] + e.get("aliases", []):
                self.index[scope].setdefault(norm(n), key)

    def resolve(self, label, aliases=(), doc=None):
        scope = doc if self.per_doc else None
        idx = self.index.get(scope, {})
        for n in [label] + list(aliases or []):
            k = idx.get(norm(n))
            if k:
                return k
        return (scope, "?" + norm(label))


def prf(tp, npred, ngold):
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def fact_keys(f, mode, names, per_doc):
    doc = f.get("doc") if per_doc else None
    s = names.resolve(f["subject"], f.get("subject_aliases"), f.get("doc"))
    o = names.resolve(f["object"], f.get("object_aliases"), f.get("doc"))
    p = f["predicate"]
    if mode == "strict":
        return [(doc, s, p, o)]
    return [(doc, o, fam, s) if rev else (doc, s, fam, o) for fam, rev in FAMILY.get(p, [])]


class GoldError(ValueError):
    """A gold file that does not follow the format; str(e) says where."""


def _check_items(gold: dict, key: str, fields: tuple[str, ...], required: bool) -> None:
    if key not in gold:
        if required:
            raise GoldError(f'"{key}" is missing (a list of objects with {", ".join(fields)})')
        return
    items = gold[key]
    if not isinstance(items, list):
        raise GoldError(f'"{key}" must be a list, not {_json_type(items)}')
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise GoldError(f'"{key}"[{i}] must be an object, not {_json_type(item)}')
        for f in fields:
            if not isinstance(item.get(f), str) or not item[f].strip():
                what = "is missing" if f not in item else f"must be a non-empty string, not {_json_type(item[f])}"
                raise GoldError(f'"{key}"[{i}] "{f}" {what}')
        if "doc" in item and not isinstance(item["doc"], str):
            raise GoldError(f'"{key}"[{i}] "doc" must be a string, not {_json_type(item["doc"])}')
        if "aliases" in item and (not isinstance(item["aliases"], list)
                                  or not all(isinstance(a, str) for a in item["aliases"])):
            raise GoldError(f'"{key}"[{i}] "aliases" must be a list of strings')


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def check_gold(gold) -> None:
    """Raise GoldError unless ``gold`` is a gold file (README "Gold file format"; checked before scoring, so a wrong file
    gives one clear line rather than a KeyError from deep inside the scorer)."""
    if not isinstance(gold, dict):
        raise GoldError(f'expected a JSON object with "entities" and "facts" lists, got {_json_type(gold)}')
    _check_items(gold, "entities", ("name",), True)
    _check_items(gold, "facts", ("subject", "predicate", "object"), True)
    _check_items(gold, "must_not", ("subject", "predicate", "object"), False)
    judged = gold.get("judged", {})
    if not isinstance(judged, dict) or not all(isinstance(v, list) for v in judged.values()):
        raise GoldError('"judged" must be an object mapping document ids to lists of relation families')


def score(gold: dict, facts: list[dict], mode: str = "strict", entities: list[dict] | None = None) -> dict:
    per_doc = mode == "family"
    names = Names(gold["entities"], per_doc)
    out = {}
    gold_keys, optional_keys = set(), set()
    for g in gold["facts"]:
        ks = fact_keys(g, mode, names, per_doc)
        if mode == "family":
            ks = ks[:1]
        (optional_keys if g.get("optional") else gold_keys).update(ks)
    gold_preds = {g["predicate"] for g in gold["facts"]} | set(SUPER)
    judged = gold.get("judged", {})  # doc -> the relation families it was exhaustively annotated for
    pred = set()
    for f in facts:
        if mode == "strict" and f["predicate"] not in gold_preds:
            continue
        if mode == "family" and f["predicate"] not in FAMILY:
            continue
        keys = fact_keys(f, mode, names, per_doc)
        if mode == "family" and f.get("doc") in judged:
            keys = [k for k in keys if k[2] in judged[f["doc"]]]  # other families are not judged
            if not keys:
                continue
        pred.add(tuple(keys))
    tp_gold, npred, correct = set(), 0, 0
    all_keys = gold_keys | optional_keys
    for alts in pred:
        hit, implied = None, False
        for k in alts:
            doc, s, p, o = k
            if mode == "strict":
                same_pair = [g for g in all_keys if g[1] == s and g[3] == o]
                cands = [g for g in same_pair if g[2] == p or g[2] in SUPER.get(p, {p})]
                # a weaker predicate a gold fact implies (worksFor for a gold ceoOf) is a true
                # prediction, but does not recall the more specific gold fact
                implied = implied or any(p in SUPER.get(g[2], {g[2]}) for g in same_pair)
            else:
                cands = [k] if k in all_keys else []
            if cands:
                hit = cands
                break
        if hit and all(h in optional_keys for h in hit):
            continue
        npred += 1
        if hit:
            tp_gold.update(h for h in hit if h in gold_keys)
        if hit or implied:
            correct += 1
    tp = len(tp_gold)
    p = correct / npred if npred else 0.0
    r = tp / len(gold_keys) if gold_keys else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    out["facts"] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                    "true_positives": tp, "correct_predictions": correct, "predicted": npred,
                    "gold": len(gold_keys)}
    by = collections.defaultdict(lambda: [0, 0])
    for k in gold_keys:
        by[k[2]][1] += 1
        if k in tp_gold:
            by[k[2]][0] += 1
    out["recall_by_predicate"] = {k: f"{a}/{b}" for k, (a, b) in sorted(by.items())}
    out["missed"] = sorted(f"{k[1][1]} {k[2]} {k[3][1]}" + (f" [{k[0]}]" if k[0] else "") for k in gold_keys - tp_gold)[:200]
    viol = []
    for m in gold.get("must_not", []):
        mk = fact_keys(m, "strict", names, False)[0]
        for f in facts:
            fk = fact_keys(f, "strict", names, False)[0]
            if fk[1:] == mk[1:]:
                viol.append(f"{m['subject']} {m['predicate']} {m['object']}")
                break
    out["must_not_violations"] = viol
    if entities is not None and not per_doc:
        want = {(None, e["name"]) for e in gold["entities"] if not e.get("optional")}
        found, extra = collections.Counter(), 0
        for e in entities:
            k = names.resolve(e["label"], e.get("aliases"))
            if k[1].startswith("?"):
                extra += 1
            elif k in want:
                found[k] += 1
        p, r, f1 = prf(len(found), len(found) + extra, len(want))
        out["entities"] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                           "found": len(found), "gold": len(want), "unmatched_predicted": extra,
                           "fragments": sum(n - 1 for n in found.values()),
                           "missing": sorted(k[1] for k in want - set(found))}
    return out


def judge_facts(gold: dict, facts: list[dict], mode: str = "strict") -> list[tuple[dict, bool]]:
    """Each distinct predicted fact (its most confident copy) with whether `score` counts it as
    right; facts `score` does not count (unjudged families, optional gold) are left out. What
    calibration is measured and fitted on."""
    names = Names(gold["entities"], mode == "family")
    best: dict[tuple, dict] = {}
    for f in facts:
        key = tuple(fact_keys(f, mode, names, mode == "family"))
        if key not in best or f["confidence"] > best[key]["confidence"]:
            best[key] = f
    out = []
    for key in sorted(best, key=repr):
        r = score(gold, [best[key]], mode)["facts"]
        if r["predicted"]:
            out.append((best[key], r["correct_predictions"] == 1))
    return out


def summary_line(result: dict) -> str:
    f = result["facts"]
    return (f"fact F1 {f['f1']:.3f} (P {f['precision']:.3f}, R {f['recall']:.3f}), "
            f"must-not violations {len(result['must_not_violations'])}")
