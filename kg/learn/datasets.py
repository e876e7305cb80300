"""Annotated sets as one shape: texts with gold facts, what each text was annotated for, a fixed split.

Three formats are read (see ../shared/train/README.md):
- a gold file in the project's format (`gold.json` with `entities`, `facts`, `must_not`, optional
  `judged`) next to a `docs/` folder of `<doc>.txt` files: the tech-news set, or a user's own;
- KnowledgeNet passages (`knowledgenet_train.jsonl`): facts as character spans, one property set
  annotated per passage;
- Re-DocRED documents (`redocred_train.json`): tokenised sentences, entity mentions, Wikidata labels.

Every set is split by document with a fixed seed (`split_of`): about a fifth is held out, never
trained or tuned on, and only its figures say how the extractor does on text it has not seen.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..evaluate import norm
from ..nlp.scorer import PREDICATE_LABELS

#: Seed of the document split; changing it changes which documents are held out.
SPLIT_SEED = "techkg-split-2026"
HELD_OUT_SHARE = 0.2

#: The labels a gold file in the project's format is annotated for when it does not say (the
#: relations of the annotation guide, ../shared/train/news/GUIDE.md).
GOLD_FILE_LABELS = ("emp", "lead", "ceo", "founded", "developed", "acquired", "invested", "parent")
#: score.py's relation families (the `judged` map) -> the labels they judge.
FAMILY_LABELS = {"EMP": ("emp",), "LEAD": ("lead", "ceo"), "FOUND": ("founded",), "DEV": ("developed",),
                 "PARENT": ("parent", "acquired")}

KNOWLEDGENET_PROPERTIES = {  # property -> (predicate, subject is the fact's subject?)
    "EMPLOYEE_OR_MEMBER_OF": ("worksFor", True),
    "CEO": ("ceoOf", False),          # subject: organisation, object: person
    "FOUNDED_BY": ("founded", False),  # subject: organisation, object: founder
    "SUBSIDIARY_OF": ("parentOrganization", True),
}
KNOWLEDGENET_FAMILIES = {"EMPLOYEE_OR_MEMBER_OF": "EMP", "CEO": "LEAD", "FOUNDED_BY": "FOUND",
                         "SUBSIDIARY_OF": "PARENT"}
REDOCRED_PROPERTIES = {  # Wikidata property -> (predicate, head is the fact's subject?)
    "P108": ("worksFor", True), "P488": ("leads", False), "P1037": ("leads", False),
    "P169": ("ceoOf", False), "P112": ("founded", False), "P749": ("parentOrganization", True),
    "P355": ("parentOrganization", False), "P127": ("ownedBy", True), "P178": ("developed", False),
    "P176": ("developed", False), "P1056": ("developed", True), "P166": ("awardReceived", True),
}
#: Re-DocRED is annotated exhaustively for its Wikidata properties, which hold no CEO, deal or
#: funding relation: those labels are not judged on it.
REDOCRED_LABELS = ("emp", "lead", "founded", "developed", "parent", "award")
PRONOUNS = {"he", "she", "it", "they", "him", "her", "them", "his", "its", "their", "which", "who",
            "whom", "that", "whose", "we", "i", "our", "us", "my"}


@dataclass
class Argument:
    """One side of a gold fact: the names it goes by and, where known, its character spans."""
    names: frozenset[str]
    spans: tuple[tuple[int, int], ...] = ()

    def matches(self, names, spans) -> bool:
        if self.names & names:
            return True
        return any(a < e and s < b for a, b in self.spans for s, e in spans)


@dataclass
class GoldFact:
    predicate: str
    subject: Argument
    object: Argument
    evidence: tuple[int, int] | None = None  # character range of the stating sentence, if known
    negative: bool = False                  # a must_not fact: the text tempts, but does not state it


@dataclass
class Example:
    """One annotated text."""
    id: str
    source: str
    group: str
    text: str
    facts: list[GoldFact]
    labels: tuple[str, ...]  # the labels this text was annotated for (a pair is a negative only for these)
    title: str = ""
    unknown: list[GoldFact] = field(default_factory=list)  # facts whose argument is a pronoun only

    @property
    def split(self) -> str:
        return split_of(self.source, self.group)


def split_of(source: str, group: str, seed: str = SPLIT_SEED) -> str:
    """'heldout' for about a fifth of the documents of a set, 'train' for the rest: a hash of the
    seed, the set and the document, so the split never depends on file order."""
    digest = hashlib.sha256(f"{seed}\x1f{source}\x1f{group}".encode()).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") / 2 ** 64 < HELD_OUT_SHARE else "train"


def _names(*names: str) -> frozenset[str]:
    return frozenset(n for n in (norm(x) for x in names) if n)


# -- the project's gold format (news, a user's own files)

def load_gold_set(gold_path: str | Path, docs_dir: str | Path | None = None, source: str | None = None) -> list[Example]:
    """Texts and facts of a gold file in the project's format; the texts are `<doc>.txt` in
    ``docs_dir`` (default: the `docs` folder next to the gold file)."""
    gold_path = Path(gold_path)
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    docs_dir = Path(docs_dir) if docs_dir else gold_path.parent / "docs"
    source = source or gold_path.parent.name
    names: dict[str, set[str]] = {}
    for e in gold.get("entities", []):
        names.setdefault(e["name"], set()).update([e["name"], *e.get("aliases", [])])
    judged = gold.get("judged", {})
    by_doc: dict[str, list[dict]] = {}
    for kind in ("facts", "must_not"):
        for f in gold.get(kind, []):
            by_doc.setdefault(f["doc"], []).append({**f, "_negative": kind == "must_not"})
    examples = []
    for doc_id in sorted({*by_doc, *(e["doc"] for e in gold.get("entities", []) if "doc" in e)}):
        path = docs_dir / f"{doc_id}.txt"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        facts = []
        for f in by_doc.get(doc_id, []):
            evidence = None
            if f.get("evidence"):
                at = text.find(f["evidence"])
                evidence = (at, at + len(f["evidence"])) if at >= 0 else None
            facts.append(GoldFact(f["predicate"], Argument(_names(*names.get(f["subject"], {f["subject"]}))),
                                  Argument(_names(*names.get(f["object"], {f["object"]}))), evidence,
                                  f["_negative"]))
        labels = tuple(sorted({lab for fam in judged[doc_id] for lab in FAMILY_LABELS.get(fam, ())})) \
            if doc_id in judged else GOLD_FILE_LABELS
        examples.append(Example(doc_id, source, doc_id, text, facts, labels))
    return examples


# -- KnowledgeNet

def load_knowledgenet(path: str | Path) -> list[Example]:
    """Passages annotated for employment, CEO, founder or subsidiary; the split unit is the
    passage's source document, so passages of one web page stay on one side."""
    examples = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            props = [p for p in row["annotated"] if p in KNOWLEDGENET_PROPERTIES]
            if not props:
                continue
            # a CEO annotation judges "is CEO" only: a chair of the board is a negative for it, not
            # for leadership (positives still count for every label they imply)
            labels = sorted({PREDICATE_LABELS[KNOWLEDGENET_PROPERTIES[p][0]][-1] for p in props})
            facts, unknown = [], []
            text = row["text"]
            for f in row["facts"]:
                if f["property"] not in KNOWLEDGENET_PROPERTIES:
                    continue
                pred, forward = KNOWLEDGENET_PROPERTIES[f["property"]]
                s, o = (f["subject"], f["object"]) if forward else (f["object"], f["subject"])
                fact = GoldFact(pred, _span_argument(s), _span_argument(o), (0, len(text)))
                pronoun = any(a["text"].casefold() in PRONOUNS for a in (s, o))
                (unknown if pronoun else facts).append(fact)
            examples.append(Example(row["id"], "knowledgenet", str(row["doc"]), text, facts, tuple(labels),
                                    unknown=unknown))
    return examples


def _pronoun_only(fact: dict, facts: list[dict]) -> bool:
    """A fact with a pronoun argument that no fact of the passage also states with a name ('which'
    beside 'CargoNet AB' is the same fact twice; a lone 'He founded X' is not)."""
    for side, other in (("subject", "object"), ("object", "subject")):
        if fact[side]["text"].casefold() in PRONOUNS:
            return not any(g["property"] == fact["property"] and g[other]["text"] == fact[other]["text"]
                           and g[side]["text"].casefold() not in PRONOUNS for g in facts)
    return False


def _span_argument(arg: dict) -> Argument:
    return Argument(_names(arg["text"]), ((arg["start"], arg["end"]),))


def knowledgenet_gold(examples: list[Example], rows_path: str | Path) -> dict:
    """A gold file (score.py's format, family mode) for KnowledgeNet passages: per-passage entities
    named by their spans, facts, and the `judged` map of the families each passage was annotated
    for. A property with a fact whose argument is only a pronoun is not judged on that passage."""
    wanted = {e.id for e in examples}
    entities, facts, judged = [], [], {}
    with open(rows_path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] not in wanted:
                continue
            # a property with a fact whose argument the annotation gives only as a pronoun cannot be
            # judged: a right prediction would name what the pronoun stands for, which no name says
            unjudgeable = {f["property"] for f in row["facts"] if _pronoun_only(f, row["facts"])}
            judged[row["id"]] = sorted({KNOWLEDGENET_FAMILIES[p] for p in row["annotated"]
                                        if p in KNOWLEDGENET_FAMILIES and p not in unjudgeable})
            seen = set()
            for f in row["facts"]:
                if f["property"] not in KNOWLEDGENET_PROPERTIES or f["property"] in unjudgeable:
                    continue  # (a property not judged on a passage has no gold facts there either)
                pred, forward = KNOWLEDGENET_PROPERTIES[f["property"]]
                s, o = (f["subject"], f["object"]) if forward else (f["object"], f["subject"])
                if any(a["text"].casefold() in PRONOUNS for a in (s, o)):
                    continue  # its named twin, if any, is the gold fact
                for a in (s, o):
                    if a["text"] not in seen:
                        seen.add(a["text"])
                        entities.append({"doc": row["id"], "name": a["text"], "aliases": [], "type": "Thing"})
                facts.append({"doc": row["id"], "subject": s["text"], "predicate": pred, "object": o["text"]})
    return {"about": "KnowledgeNet passages (held-out part), converted by kg.learn.datasets",
            "entities": entities, "facts": facts, "must_not": [], "judged": judged}


# -- Re-DocRED

_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'", "n't", "'re", "'ve", "'ll", "'d", "'m"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "``"}


def detokenize(sents: list[list[str]]) -> tuple[str, list[list[tuple[int, int]]]]:
    """Text of tokenised sentences (one sentence a line) and each token's character span."""
    parts: list[str] = []
    offsets: list[list[tuple[int, int]]] = []
    pos = 0
    for si, sent in enumerate(sents):
        if si:
            parts.append("\n")
            pos += 1
        spans = []
        quote_open = False
        for ti, tok in enumerate(sent):
            glue = ti == 0 or tok in _NO_SPACE_BEFORE or sent[ti - 1] in _NO_SPACE_AFTER \
                or (tok == '"' and quote_open) or (ti > 0 and sent[ti - 1] == '"' and quote_open)
            if tok == '"':
                quote_open = not quote_open
            if not glue:
                parts.append(" ")
                pos += 1
            spans.append((pos, pos + len(tok)))
            parts.append(tok)
            pos += len(tok)
        offsets.append(spans)
    return "".join(parts), offsets


def redocred_id(title: str) -> str:
    return "rd_" + re.sub(r"\W+", "_", title).strip("_")[:80]


def load_redocred(path: str | Path) -> list[Example]:
    """Wikipedia introductions with every entity mention marked: the text is the title line, a
    blank line, then one sentence a line (the layout of the Re-DocRED dev corpus)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    examples = []
    for d in data:
        body, offsets = detokenize(d["sents"])
        title = d["title"]
        shift = len(title) + 2
        text = f"{title}\n\n{body}"
        sent_starts = []
        for spans in offsets:
            sent_starts.append((spans[0][0] + shift, spans[-1][1] + shift) if spans else (shift, shift))
        args = []
        for vertex in d["vertexSet"]:
            spans = tuple((offsets[m["sent_id"]][m["pos"][0]][0] + shift, offsets[m["sent_id"]][m["pos"][1] - 1][1] + shift)
                          for m in vertex)
            args.append(Argument(_names(*(m["name"] for m in vertex)), spans))
        facts = []
        for lab in d["labels"]:
            if lab["r"] not in REDOCRED_PROPERTIES:
                continue
            pred, forward = REDOCRED_PROPERTIES[lab["r"]]
            s, o = (args[lab["h"]], args[lab["t"]]) if forward else (args[lab["t"]], args[lab["h"]])
            ev = [sent_starts[i] for i in lab.get("evidence", [])]
            evidence = (min(a for a, _ in ev), max(b for _, b in ev)) if ev else None
            facts.append(GoldFact(pred, s, o, evidence))
        doc_id = redocred_id(title)
        examples.append(Example(doc_id, "redocred", title, text, facts, REDOCRED_LABELS, title=title))
    return examples


def redocred_gold(path: str | Path, ids: set[str] | None = None) -> dict:
    """A gold file (score.py's format, family mode) for Re-DocRED documents: every entity under
    the name of its first mention, the others as aliases; the organisation relations as facts."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entities, facts = [], []
    for d in data:
        doc_id = redocred_id(d["title"])
        if ids is not None and doc_id not in ids:
            continue
        names = []
        for vertex in d["vertexSet"]:
            forms = list(dict.fromkeys(m["name"] for m in vertex))
            names.append(forms[0])
            entities.append({"doc": doc_id, "name": forms[0], "aliases": forms[1:], "type": vertex[0]["type"]})
        for lab in d["labels"]:
            if lab["r"] in REDOCRED_PROPERTIES:
                pred, forward = REDOCRED_PROPERTIES[lab["r"]]
                s, o = (lab["h"], lab["t"]) if forward else (lab["t"], lab["h"])
                facts.append({"doc": doc_id, "subject": names[s], "predicate": pred, "object": names[o]})
    return {"about": "Re-DocRED training documents, converted by kg.learn.datasets",
            "entities": entities, "facts": facts, "must_not": []}


# -- all sets

@dataclass
class TrainingSets:
    """The annotated sets under ../shared/train, by name."""
    root: Path

    @property
    def paths(self) -> dict[str, Path]:
        return {"news": self.root / "news" / "gold.json",
                "knowledgenet": self.root / "knowledgenet_train.jsonl",
                "redocred": self.root / "redocred_train.json"}

    def available(self) -> list[str]:
        return [name for name, p in self.paths.items() if p.exists()]

    def load(self, name: str) -> list[Example]:
        path = self.paths[name]
        if name == "news":
            return load_gold_set(path, source="news")
        if name == "knowledgenet":
            return load_knowledgenet(path)
        return load_redocred(path)

    def gold(self, name: str, examples: list[Example]) -> tuple[dict, str]:
        """The gold file of some texts of a set, and the scoring mode that set is scored in."""
        path = self.paths[name]
        if name == "knowledgenet":
            return knowledgenet_gold(examples, path), "family"
        if name == "redocred":
            return redocred_gold(path, {e.id for e in examples}), "family"
        return json.loads(path.read_text(encoding="utf-8")), "strict"

    def examples(self, names: list[str] | None = None) -> Iterator[Example]:
        for name in names or self.available():
            yield from self.load(name)
