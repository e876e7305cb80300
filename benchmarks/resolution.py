#!/usr/bin/env python3
"""Cross-document entity resolution: do the same names join, and do different things stay apart?

    python benchmarks/resolution.py                      # the invented corpus: precision and recall
    python benchmarks/resolution.py --graph OUT/graph.ttl  # the error counts of any built graph

1. An invented corpus (written to a temporary folder, built with `kg build`): many short news items
   whose people share given names and surnames, whose organisations share acronyms, and one company
   named three ways ("Veltrix Systems Inc.", "Veltrix Systems", "Veltrix"). Every (document, gold
   entity) pair is one item; the item's predicted entity is the graph entity mentioned in that
   document whose label or aliases hold the name the document used. Reported: pairwise merge
   precision and recall (over pairs of items) and B³ precision and recall (per item), plus the
   items no entity was found for.
2. Error counts on a graph (the invented one, or any `--graph`):
   - lone names: Person entities named by one word that span more than one document;
   - two full names: Person entities holding two full names (two words or more) whose first and
     last words disagree ("Kenneth Davidson" and "Franklin Davidson");
   - generic: entities whose name is only generic words (legal forms, "Board", "Council", "Group",
     "Government", "Congress", ...) that span more than one document;
   - person alias: organisations with an alias that is the full name of a Person entity;
   - institutions typed Company: Company entities named like a party, army, legislature, court,
     church or ministry.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# words that alone (or only with each other) name no particular entity
GENERIC_WORDS = {
    "inc", "inc.", "llc", "ltd", "ltd.", "corp", "corp.", "co", "co.", "plc", "gmbh", "ag", "limited",
    "corporation", "company", "incorporated", "board", "directors", "council", "group", "government",
    "congress", "parliament", "senate", "committee", "commission", "ministry", "department", "cabinet",
    "administration", "management", "court", "army", "navy", "church", "party", "agency", "union",
    "assembly", "association", "of", "the", "and", "&", "supreme", "federal", "national", "state",
}
# words that name organisations, never people
ORG_HEADS = {"party", "university", "college", "institute", "company", "bank", "group", "council", "club",
             "association", "society", "foundation", "school", "records", "media", "press", "union", "church"}
# head words of non-business organisations the counts look for among Company entities
INSTITUTION = re.compile(
    r"\b(?:Party|Army|Navy|Air Force|Armed Forces|Parliament|Senate|Congress|Assembly|Legislature|"
    r"House of (?:Representatives|Commons|Lords)|Court|Tribunal|Church|Diocese|Ministry|"
    r"Ministries)\b")


def _words(name: str) -> list[str]:
    return [w.strip(".,").casefold() for w in name.split() if w.strip(".,")]


def _stems(name: str) -> list[str]:
    return [w[:-1] if w.endswith("s") and len(w) > 3 else w for w in _words(name)]


def _full_names_conflict(a: str, b: str) -> bool:
    """Two full names of different people: first or last words differ and neither holds the other."""
    wa, wb = _stems(a), _stems(b)
    if len(wa) < 2 or len(wb) < 2:
        return False
    if set(wa) <= set(wb) or set(wb) <= set(wa):
        return False
    return wa[0] != wb[0] or wa[-1] != wb[-1]


def graph_counts(rows: list[dict]) -> dict:
    """The five error counts of the issue, from `kg.query.entity_rows`."""
    people = [r for r in rows if r["type"] == "Person"]
    orgs = [r for r in rows if r["type"] in ("Organization", "Company", "ResearchLab", "University", "Investor")]
    person_names = {n.casefold() for r in people for n in [r["label"], *r["aliases"]] if len(n.split()) > 1}
    out = {}
    lone = [r for r in people if len(r["label"].split()) == 1 and len(r["docs"]) > 1]
    out["lone_names_multi_doc"] = len(lone)
    two = []
    for r in people:
        names = sorted({n for n in [r["label"], *r["aliases"]] if len(n.split()) > 1})
        if any(_full_names_conflict(a, b) for a, b in combinations(names, 2)):
            two.append(r)
    out["persons_two_full_names"] = len(two)
    generic = [r for r in rows if len(r["docs"]) > 1 and _words(r["label"])
               and all(w in GENERIC_WORDS for w in _words(r["label"]))]
    out["generic_shared"] = len(generic)
    given = {r["label"].split()[0] for r in people if len(r["label"].split()) > 1}
    surnames = {r["label"].split()[-1] for r in people if len(r["label"].split()) > 1}

    def person_like(alias: str, org: str) -> bool:
        """The full name of a Person entity, or two or three capitalised words opening with a
        given name or ending with a surname of one, sharing no word with the organisation's name ("Maureen Middleton")."""
        words = alias.split()
        if len(words) < 2:
            return False
        if alias.casefold() in person_names:
            return True
        return len(words) <= 3 and (words[0] in given or words[-1] in surnames) and all(w[:1].isupper() and w[1:].islower() for w in words) \
            and not set(_words(alias)) & set(_words(org)) and not set(_words(alias)) & ORG_HEADS

    aliased = [r for r in orgs if any(person_like(a, r["label"]) for a in r["aliases"])]
    out["orgs_with_person_alias"] = len(aliased)
    inst = [r for r in rows if r["type"] == "Company" and INSTITUTION.search(r["label"])]
    out["institutions_typed_company"] = len(inst)
    out["entities"] = len(rows)
    out["doc_scoped"] = sum("__doc_" in r["id"] for r in rows)
    examples = {"lone_names_multi_doc": lone, "persons_two_full_names": two, "generic_shared": generic,
                "orgs_with_person_alias": aliased, "institutions_typed_company": inst}
    return out, {k: [f"{r['label']} ({r['type']}, {len(r['docs'])} docs, aliases {r['aliases'][:4]})"
                     for r in sorted(v, key=lambda r: -len(r["docs"]))[:8]] for k, v in examples.items()}


# ------------------------------------------------------------------------------------------ invented corpus
GIVEN = ["John", "Maria", "David", "Sarah", "Robert", "Anna", "Michael", "Laura"]
SURNAMES = ["Okafor", "Lindqvist", "Brennan", "Castellano", "Haruki", "Novak", "Ferreira", "Whitcombe"]
# same acronym, different organisations
ACRONYM_ORGS = [("Northern Rail Authority", "NRA"), ("National Rowing Association", "NRA"),
                ("Pacific Data Council", "PDC"), ("Polar Drilling Consortium", "PDC"),
                ("Meridian Freight Services", "MFS"), ("Marlow Financial Solutions", "MFS")]
COMPANIES = ["Quillon Robotics", "Ardent Biolabs", "Sorrel Analytics", "Tamsin Aerospace",
             "Bellweather Foods", "Corvid Networks", "Halden Shipping", "Orrin Textiles"]
VELTRIX = ["Veltrix Systems Inc.", "Veltrix Systems", "Veltrix"]
CITIES = ["Lisbon", "Toronto", "Osaka", "Denver", "Nairobi", "Oslo"]
PRODUCTS = ["a delivery drone", "a soil sensor", "a payment terminal", "a water filter", "a cargo scanner"]


def invented_corpus(n_docs: int = 240, seed: int = 17):
    """Documents and their gold: a list of (doc id, text, {gold id: name used in the document})."""
    rng = random.Random(seed)
    people = [f"{g} {s}" for g in GIVEN for s in SURNAMES]  # 64 people: every given name x every surname
    docs = []
    for i in range(n_docs):
        doc = f"item_{i:03d}"
        kind = i % 4
        gold: dict[str, str] = {}
        sents = []
        if kind in (0, 1):
            # a person at a company, named in full, then by surname, then by given name
            p = rng.choice(people)
            given, surname = p.split()
            c = rng.choice(COMPANIES) if kind == 0 else rng.choice(VELTRIX)
            cid = "org:Veltrix" if c in VELTRIX else f"org:{c}"
            city = rng.choice(CITIES)
            sents.append(f"{p} is the chief executive of {c}, a company based in {city}.")
            # the Veltrix texts that name it in full use the short name next: they define it
            short = "Veltrix" if c in VELTRIX else c
            sents.append(f"{surname} joined {short} in {2000 + i % 20} after years in consulting.")
            sents.append(f"Colleagues say {given} rarely gives interviews.")
            gold[f"person:{p}"] = p
            gold[cid] = c
        elif kind == 2:
            # an organisation that defines its acronym, then uses it
            full, acr = rng.choice(ACRONYM_ORGS)
            p = rng.choice(people)
            sents.append(f"The {full} ({acr}) said on Monday that it would expand its operations.")
            sents.append(f"{p}, who leads the {acr}, announced the plan in {rng.choice(CITIES)}.")
            sents.append(f"The {acr} expects to hire more staff next year.")
            gold[f"org:{full}"] = full
            gold[f"person:{p}"] = p
        else:
            # two people with the same surname and different given names, in one text
            s = rng.choice(SURNAMES)
            g1, g2 = rng.sample(GIVEN, 2)
            c = rng.choice(COMPANIES)
            sents.append(f"{g1} {s} and {g2} {s} founded {c} in {rng.choice(CITIES)}.")
            sents.append(f"{c} makes {rng.choice(PRODUCTS)}, according to {g1} {s}.")
            gold[f"person:{g1} {s}"] = f"{g1} {s}"
            gold[f"person:{g2} {s}"] = f"{g2} {s}"
            gold[f"org:{c}"] = c
        docs.append((doc, " ".join(sents) + "\n", gold))
    # documents that name someone only by a given name: a different, unknown person each time
    for j, g in enumerate(GIVEN * 2):
        doc = f"lone_{j:02d}"
        c = rng.choice(COMPANIES)
        text = f"{g} said the new store would open in {rng.choice(CITIES)} next spring. {g} works for {c}.\n"
        docs.append((doc, text, {f"lone:{doc}:{g}": g, f"org:{c}": c}))
    return docs


def _match(rows_by_doc: dict, doc: str, name: str) -> str | None:
    from kg.nlp.kb import normalize_name

    key = normalize_name(name)
    hits = [r for r in rows_by_doc.get(doc, ()) if normalize_name(r["label"]) == key]
    hits = hits or [r for r in rows_by_doc.get(doc, ()) if key in {normalize_name(a) for a in r["aliases"]}]
    return hits[0]["id"] if hits else None


def score(docs, rows) -> dict:
    rows_by_doc = defaultdict(list)
    for r in rows:
        for d in r["docs"]:
            rows_by_doc[d].append(r)
    items = []  # (gold id, predicted id)
    missed = 0
    for doc, _text, gold in docs:
        for gid, name in gold.items():
            pid = _match(rows_by_doc, doc, name)
            if pid is None:
                missed += 1
                pid = f"missed:{doc}:{gid}"
            items.append((gid, pid))
    same_pred = same_gold = same_both = 0
    for (g1, p1), (g2, p2) in combinations(items, 2):
        same_pred += p1 == p2
        same_gold += g1 == g2
        same_both += p1 == p2 and g1 == g2
    by_gold, by_pred = defaultdict(list), defaultdict(list)
    for k, (g, p) in enumerate(items):
        by_gold[g].append(k)
        by_pred[p].append(k)
    b3p = b3r = 0.0
    for g, p in items:
        overlap = sum(1 for g2, p2 in items if g2 == g and p2 == p)
        b3p += overlap / len(by_pred[p])
        b3r += overlap / len(by_gold[g])
    n = len(items)
    split = sorted(g for g, ks in by_gold.items() if len({items[k][1] for k in ks}) > 1)
    joined = sorted(p for p, ks in by_pred.items() if len({items[k][0] for k in ks}) > 1)
    return {"split_gold": split[:10], "joined_predicted": joined[:10],"items": n, "missed": missed, "gold_entities": len(by_gold), "predicted_entities": len(by_pred),
            "pairwise_precision": round(same_both / same_pred, 4) if same_pred else 1.0,
            "pairwise_recall": round(same_both / same_gold, 4) if same_gold else 1.0,
            "b3_precision": round(b3p / n, 4), "b3_recall": round(b3r / n, 4)}


def run_invented(workers: int) -> dict:
    from kg.build import build_corpus
    from kg.query import entity_rows, load_graph

    docs = invented_corpus()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "texts", Path(tmp) / "out"
        src.mkdir()
        for doc, text, _ in docs:
            (src / f"{doc}.txt").write_text(text, encoding="utf-8")
        t0 = time.perf_counter()
        build_corpus([src], out, workers=workers, html=False)
        seconds = time.perf_counter() - t0
        rows = entity_rows(load_graph(out / "graph.ttl"))
    result = score(docs, rows)
    result["documents"] = len(docs)
    result["build_seconds"] = round(seconds, 1)
    counts, examples = graph_counts(rows)
    return result, counts, examples


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graph", help="report the error counts of this graph instead of the invented corpus")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--examples", action="store_true", help="print up to 8 entities behind each count")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.graph:
        from kg.query import entity_rows, load_graph

        counts, examples = graph_counts(entity_rows(load_graph(args.graph)))
        result = {}
    else:
        result, counts, examples = run_invented(args.workers)
    report = {**({"merge": result} if result else {}), "counts": counts}
    if args.examples:
        report["examples"] = examples
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for section, values in report.items():
            print(f"{section}:")
            for k, v in values.items():
                if isinstance(v, list):
                    print(f"  {k}:")
                    for x in v:
                        print(f"    {x}")
                else:
                    print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
