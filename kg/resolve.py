"""Cross-document resolution: per-document clusters -> canonical entities, facts -> entity ids.

Identity comes from evidence only (`_identities`): the same knowledge-base id, the same full name of
the same kind, or an alias a document itself defines. A mention that none of these resolves (a bare
given name or surname, "Parliament", an acronym two organisations share) is an entity of its
document only, with an IRI that says so (`doc_scoped_id`). The output is what the graph stage writes.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .nlp import EVENT_ONLY
from .nlp.kb import normalize_name, spells

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


#: Relations whose two parties play the same part.
SYMMETRIC = {"mergedWith"}
#: Statuses of a deal or a role that make it an event only, never a fact (kg.nlp.attributes).
NOT_YET = {"announced", "pending", "blocked", "abandoned", "talks", "future"}


def is_fact(f: dict) -> bool:
    """Completed deals and current or former roles are facts; the rest, and relations that are
    events only (mergers), are events."""
    return f.get("status") not in NOT_YET and f["predicate"] not in EVENT_ONLY


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
    identities = _identities(local)
    first: dict[tuple, tuple] = {}
    for node, identity in sorted(identities.items()):
        if identity is not None:
            union(first.setdefault(identity, node), node)
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
            acr = _acronym(label)
            spelled = [n for n in names if acr and len(n.split()) > 1 and spells(acr, n)]
            if spelled:  # "Northern Rail Authority", not the "NRA" it defines
                label = max(spelled, key=lambda n: (names[n], len(n), n))
        base = slugify(kb or label)
        identity = kb or f"{family(etype)}:{normalize_name(label)}"
        if len(members) == 1 and identities[members[0]] is None:  # an entity of its document only
            base = doc_scoped_id(base, members[0][0])
            identity = f"{identity}\x1f{members[0][0]}"
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
            if f["predicate"] in SYMMETRIC and o < s:  # "A merged with B" and "B and A merged": one event
                s, o = o, s
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


@lru_cache(maxsize=1)
def _lexicon_words() -> tuple[frozenset, frozenset]:
    """(institution words, generic organisation words) of kg/nlp/patterns/lexicon.json, read as
    plain JSON: kg.nlp.lexicon would import spaCy, which readers of a graph do not need."""
    lex = json.loads((Path(__file__).parent / "nlp" / "patterns" / "lexicon.json").read_text(encoding="utf-8"))
    fold = lambda ws: frozenset(w.casefold() for w in ws)  # noqa: E731
    return fold(lex["institution_words"]["words"]), fold(lex["generic_org_names"]["words"])


def institutional(name: str) -> bool:
    """'Parliament', 'the Senate', 'Supreme Court', 'National Assembly', 'Army': a name made only of
    institution words names a different body in each country or text (lexicon institution_words)."""
    words = [w.strip(".,") for w in name.casefold().split()]
    inst, generic = _lexicon_words()
    return bool(words) and all(w in inst or w in generic for w in words if w)


def _acronym(name: str) -> str | None:
    bare = name.replace(".", "")
    return bare if 2 <= len(bare) <= 8 and bare.isalpha() and bare.isupper() else None


def full_name(e: dict) -> str:
    """The name an entity of one document goes by across documents: its label, or for an
    organisation labelled by an acronym the document defines ("NRA" for "Northern Rail
    Authority (NRA)"), the name the acronym spells."""
    acr = _acronym(e["label"]) if e["type"] != "Person" else None
    if acr:
        spelled = [a for a in e["aliases"] if len(a.split()) > 1 and spells(acr, a)]
        if spelled:
            return max(spelled, key=lambda a: (len(a), a))
    return e["label"]


def _words(name: str) -> set[str]:
    return {w.strip(".,").casefold() for w in name.split() if w.strip(".,")}


def _short_of(short: str, full: str) -> bool:
    """'Veltrix' of 'Veltrix Systems', 'NSB' of 'Norges Statsbaner', 'Mark Zuckerberg' of 'Mark
    Elliot Zuckerberg': a short form, by its words, its beginning or the letters of an acronym."""
    acr = _acronym(short)
    return bool(acr and spells(acr, full)) or _words(short) <= _words(full) \
        or full.casefold().startswith(short.casefold())


def _identities(local: dict[tuple, dict]) -> dict[tuple, tuple | None]:
    """The cross-document identity of every (document, cluster) node, or None: an entity of its
    document only (its IRI says so, `doc_scoped_id`). The rules (README, Data model):

    - a knowledge-base id is an identity;
    - a person's full name (two words or more) is one; a bare given name or surname is not;
    - an organisation's (or work's) full name is one, unless it is made only of institution words
      ("Parliament", "Supreme Court", lexicon institution_words);
    - a name a document itself defines as an alias (an acronym it spells out, a short name it
      uses for the full one: "Veltrix" in a text that says "Veltrix Systems" first) joins the one
      identity that defines it, where exactly one does, the two names agree (one is a short form
      of the other) and, for organisations, the defining identity is mentioned in at least as
      many documents; a short one-word name that two or more identities define ("NRA" for
      "Northern Rail Authority" here and "National Rowing Association" there) is ambiguous: an
      entity of its document only;
    - two different full names never merge otherwise.
    """
    own: dict[tuple, tuple | None] = {}
    for node, e in local.items():
        if e["kb"]:
            own[node] = ("kb", e["kb"])
        elif e["type"] == "Person":
            own[node] = ("Person", normalize_name(e["label"])) if len(e["label"].split()) > 1 else None
        else:
            name = full_name(e)
            own[node] = None if institutional(name) else (family(e["type"]), normalize_name(name))
    docs: dict[tuple, set] = defaultdict(set)
    names: dict[tuple, str] = {}
    for node, key in own.items():
        if key is not None:
            docs[key].add(node[0])
            names.setdefault(key, full_name(local[node]))
    definers: dict[tuple, set] = defaultdict(set)
    for node, key in own.items():
        e = local[node]
        if key is None:
            continue
        fam = "Person" if e["type"] == "Person" else family(e["type"])
        for a in e["aliases"]:
            if fam == "Person" and len(a.split()) < 2 or institutional(a):
                continue  # a surname or given name defines nothing across documents
            if not _short_of(a, full_name(e)):
                continue  # an alias that is not a short form of the name is no evidence (a rename is)
            k = (fam, normalize_name(a))
            if k != key:
                definers[k].add(key)

    def target(key: tuple) -> tuple | None:
        seen = {key}
        while key[0] != "kb":
            d = definers.get(key, set()) - {key}
            if len(d) > 1:
                one_word = len(names[key].split()) == 1
                return None if one_word and key[0] != "Person" else key
            if not d:
                return key
            nxt = next(iter(d))
            if nxt in seen or (key[0] != "Person" and len(docs[key]) > len(docs[nxt])):
                return key
            seen.add(nxt)
            key = nxt
        return key

    resolved = {key: target(key) for key in sorted(docs)}
    return {node: (resolved[key] if key is not None else None) for node, key in own.items()}


def doc_scoped_id(slug: str, doc: str) -> str:
    """IRI local name of an entity of one document only: 'john__doc_kn_3_247'. A plain slug never
    holds '__' (slugify joins words with one underscore), so the mark cannot be taken by a name."""
    return f"{slug}__doc_{slugify(doc)}"


def is_doc_scoped(entity_id: str) -> bool:
    """True for the IRI (or local name) of an entity of one document only (`doc_scoped_id`)."""
    return "__doc_" in str(entity_id).rsplit("/", 1)[-1]


def _group_sort_key(members, local):
    """Knowledge-base entities first, so they always get their plain slug (ent:meta), whatever
    else a corpus names; then by first mention, which is the same in every build of the input."""
    kb = next((local[n]["kb"] for n in members if local[n]["kb"]), None)
    return (kb is None, kb or "", members[0])


def _kb_label(kb_id: str) -> str | None:
    from .nlp.kb import load_kb
    entry = load_kb().entries.get(kb_id)
    return entry.label if entry else None
