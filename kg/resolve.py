"""Cross-document resolution: per-document clusters -> canonical entities, facts -> entity ids.

Identity comes from the knowledge base (same KB id), from shared names of the same kind, and from
surnames that point to exactly one person in the corpus. The output is what the graph stage writes.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .nlp.kb import normalize_name

ORG_TYPES = {"Organization", "Company", "ResearchLab", "University", "Investor"}
# a stronger predicate for the same pair and document makes the weaker one redundant
STRONGER = {"worksFor": ("leads", "ceoOf"), "leads": ("ceoOf",)}


def family(t: str) -> str:
    return "Org" if t in ORG_TYPES else t


def slugify(name: str) -> str:
    """ASCII slug for IRIs: stable, readable, never empty.

    A name with no ASCII letter or digit ("百度", "Яндекс") gets ``entity_`` and a hash of the
    name, so distinct names of that kind do not all compete for one slug."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    if s:
        return s[:60].rstrip("_")
    key = unicodedata.normalize("NFC", name).strip().casefold()
    return "entity_" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


@dataclass
class Entity:
    id: str
    label: str
    type: str
    aliases: list[str]
    wikidata: str | None
    docs: list[str]
    mentions: int


@dataclass
class Resolved:
    entities: dict[str, Entity] = field(default_factory=dict)
    facts: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # deals not completed, roles not yet taken
    documents: list[dict] = field(default_factory=list)


#: Statuses of a deal or a role that make it an event only, never a fact (kg.nlp.attributes).
NOT_YET = {"announced", "pending", "blocked", "abandoned", "talks", "future"}


def is_fact(f: dict) -> bool:
    """Completed deals and current or former roles are facts; the rest are events only."""
    return f.get("status") not in NOT_YET


def resolve(records: list[dict], min_confidence: float = 0.0) -> Resolved:
    """Merge per-document records into one set of entities and facts."""
    records = sorted(records, key=lambda r: r["doc"])
    parent: dict[tuple, tuple] = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    local: dict[tuple, dict] = {}
    for r in records:
        for key, e in r["entities"].items():
            node = (r["doc"], key)
            parent[node] = node
            local[node] = e
    # 1. same KB id or same name within the same family
    by_name: dict[tuple, tuple] = {}
    for node, e in sorted(local.items()):
        names = [e["label"], *e["aliases"]] if not e["kb"] else []
        keys = [("kb", e["kb"])] if e["kb"] else [(family(e["type"]), normalize_name(n)) for n in names]
        for k in keys:
            if k in by_name:
                union(by_name[k], node)
            else:
                by_name[k] = node
    # 2. a person named only by surname or first name joins the one full-named person who has it
    full_people: dict[str, set] = defaultdict(set)
    for node, e in local.items():
        if e["type"] == "Person":
            words = e["label"].split()
            if len(words) > 1:
                for w in (words[0], words[-1]):
                    full_people[w.casefold()].add(find(node))
    for node, e in sorted(local.items()):
        if e["type"] == "Person" and len(e["label"].split()) == 1:
            hits = {find(n) for n in full_people.get(e["label"].casefold(), ())}
            if len(hits) == 1:
                union(hits.pop(), node)
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for node in sorted(local):
        groups[find(node)].append(node)
    # build entities with stable, collision-free ids
    node_to_id: dict[tuple, str] = {}
    out = Resolved()
    used: dict[str, str] = {}
    for root in sorted(groups, key=lambda n: _group_sort_key(groups[n], local)):
        members = groups[root]
        es = [local[n] for n in members]
        kb = next((e["kb"] for e in es if e["kb"]), None)
        names = Counter()
        for e in es:
            names[e["label"]] += e["mentions"]
            for a in e["aliases"]:
                names[a] += 0
        types = Counter(e["type"] for e in es)
        etype = types.most_common(1)[0][0]
        if kb:
            label = next(e["label"] for e in es if e["kb"])
            label = _kb_label(kb) or label
        elif etype == "Person":
            label = max(names, key=lambda n: (len(n.split()), names[n], n))
        else:
            label = max(names, key=lambda n: (names[n], len(n), n))
        base = slugify(kb or label)
        identity = kb or f"{family(etype)}:{normalize_name(label)}"
        slug = base
        attempt = 0
        while slug in used:  # every group is a different entity: a taken slug is never shared
            attempt += 1
            salt = identity if attempt == 1 else f"{identity}\x1f{attempt}"
            slug = f"{base}_{hashlib.sha1(salt.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"
        used[slug] = identity
        ent = Entity(id=slug, label=label, type=etype, aliases=sorted(n for n in names if n != label),
                     wikidata=next((e["wikidata"] for e in es if e.get("wikidata")), None),
                     docs=sorted({n[0] for n in members}), mentions=sum(e["mentions"] for e in es))
        out.entities[slug] = ent
        for n in members:
            node_to_id[n] = slug
    # facts
    seen = {}
    for r in records:
        for f in r["facts"]:
            if f["confidence"] < min_confidence:
                continue
            s, o = node_to_id.get((r["doc"], f["subject"])), node_to_id.get((r["doc"], f["object"]))
            if not s or not o or s == o:
                continue
            fact = {**f, "subject": s, "object": o, "doc": r["doc"]}
            key = (s, f["predicate"], o, r["doc"], f["start"])
            if key not in seen or seen[key]["confidence"] < fact["confidence"]:
                seen[key] = fact
    facts = {k: f for k, f in seen.items() if is_fact(f)}
    out.events = [f for k, f in sorted(seen.items()) if not is_fact(f)]
    pairs = {(f["subject"], f["object"], f["doc"], f["predicate"]) for f in facts.values()}
    out.facts = [f for k, f in sorted(facts.items())
                 if not any((f["subject"], f["object"], f["doc"], p) in pairs for p in STRONGER.get(f["predicate"], ()))]
    out.documents = [{k: r[k] for k in ("doc", "title", "path", "sha256", "words")} for r in records]
    return out


def _group_sort_key(members, local):
    """Knowledge-base entities first, so they always get their plain slug (ent:meta), whatever
    else a corpus names; then by first mention, which is the same in every build of the input."""
    kb = next((local[n]["kb"] for n in members if local[n]["kb"]), None)
    return (kb is None, kb or "", members[0])


def _kb_label(kb_id: str) -> str | None:
    from .nlp.kb import load_kb
    entry = load_kb().entries.get(kb_id)
    return entry.label if entry else None
