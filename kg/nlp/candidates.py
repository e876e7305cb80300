"""Candidate facts and their features: every typed pair the text could relate, for the scorer to decide.

Rules are good at proposing and bad at deciding (DESIGN.md §5). A candidate is an ordered pair of
entities (subject cluster, object cluster) in one sentence, found three ways:
- two mentions in the sentence (names, or pronouns and descriptions the relation component
  resolved: "it", "the company", "which");
- a rule hit of the relation component (its pattern id becomes a feature, not a verdict);
- one mention and the organisation the document is about, for sentences that talk about it
  without naming it ("Other investors in the round include X and Y").
Features are strings (dependency path, trigger lemmas, words between, types, rule ids, negation
and modality cues, distance, position); kg.nlp.scorer weighs them with the trained model.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, LIKE_NUM, LOWER, POS, TAG
from spacy.strings import hash_string

from spacy.tokens import Doc, Span

from . import EVENT_ONLY
from .lexicon import LEX, ORG_TYPES, WORK_TYPES

#: label -> (subject types, object types): the pairs a relation holds between (the graph's ranges).
PEOPLE = frozenset({"Person"})
ORGS = frozenset(ORG_TYPES)
WORKS = frozenset(WORK_TYPES)
LABEL_TYPES = {
    "emp": (PEOPLE, ORGS), "lead": (PEOPLE, ORGS), "ceo": (PEOPLE, ORGS),
    "founded": (PEOPLE | ORGS, ORGS), "developed": (PEOPLE | ORGS, WORKS),
    "acquired": (ORGS | PEOPLE, ORGS | WORKS), "invested": (ORGS | PEOPLE, ORGS),
    "parent": (ORGS | WORKS, ORGS), "award": (PEOPLE | ORGS, frozenset({"Award"})),
}
#: The small model often mistypes a name: a start-up as a place or a person, a company as a
#: product. For candidates, an organisation's or a work's slot also takes those (the type is a
#: feature, and a confident fact retypes the entity, see `range_type`); a person's slot does not.
LOOSE = ORGS | WORKS | {"Place", "Person1"}
LOOSE_TYPES = {lab: (s if s == PEOPLE else s | LOOSE, o | LOOSE) for lab, (s, o) in LABEL_TYPES.items() if lab != "award"}
LOOSE_TYPES["award"] = LABEL_TYPES["award"]
# a made thing is named as a product far more often than as a company: every organisation as a
# possible product drowned the few real ones (65,000 candidates for 126 facts)
LOOSE_TYPES["developed"] = (LOOSE_TYPES["developed"][0], WORKS | {"Place", "Person1"})
#: The type a confident fact gives an argument whose type is outside the relation's range.
RANGE_DEFAULT = {"emp": (None, "Company"), "lead": (None, "Company"), "ceo": (None, "Company"),
                 "founded": ("Person", "Company"), "developed": ("Company", "Product"),
                 "acquired": ("Company", "Company"), "invested": ("Investor", "Company"),
                 "parent": ("Company", "Company"), "award": (None, None)}
MAX_PATH = 8
MEMORY = 2  # organisations remembered per trigger class
MAX_BETWEEN = 10
_CLAUSE_DEPS = {"xcomp", "ccomp", "advcl", "acl", "relcl", "pcomp", "conj"}
_MODIFIER_DEPS = {"compound", "amod", "appos", "nmod", "poss", "acl"}
TRIGGERS: dict[str, tuple[str, ...]] = {}
for _cls, _words in LEX["trigger_classes"].items():
    if _cls != "about":
        for _w in _words:
            TRIGGERS[_w] = TRIGGERS.get(_w, ()) + (_cls,)
TRIGGER_IDS = {hash_string(w): c for w, c in TRIGGERS.items()}
REPORTING = frozenset(LEX["reporting_verbs"]["words"])
CUE_WORDS = frozenset(w for k, ws in LEX["status_cues"].items() if k != "about" for w in ws) | frozenset(LEX["former_markers"]) \
    | frozenset(LEX["hedge_lemmas"]) | frozenset(LEX["negation_words"])


def loose_type(cluster) -> str:
    """A cluster's type for candidate generation: a one-word name typed Person is 'Person1' (it may
    well be a company the small model took for a person: 'Jobster', 'Mapillary')."""
    if cluster.maybe_company:
        return "Person1"
    if cluster.type == "Place" and (cluster.known_place or cluster.kb):
        return "KnownPlace"  # Berlin in "a Berlin-based startup" is where, not who
    return cluster.type


def labels_for(subject_type: str, object_type: str) -> list[str]:
    return [lab for lab, (s, o) in LOOSE_TYPES.items()
            if (subject_type in s or (subject_type == "Person1" and "Person" in s)) and object_type in o]


def in_range(label: str, subject_type: str, object_type: str) -> bool:
    s, o = LABEL_TYPES[label]
    return subject_type in s and object_type in o


@dataclass
class Occurrence:
    """One way an entity is present in a sentence: a name, or a word that refers to it."""
    key: str
    head: int          # the token that stands for it in the parse
    start: int
    end: int
    kind: str          # "name" | "ref"


@dataclass
class Candidate:
    subject: str
    object: str
    sent: Span
    labels: list[str]
    subject_at: Occurrence | None
    object_at: Occurrence | None
    rules: list = field(default_factory=list)   # the relation component's facts for this pair here
    features: list[str] = field(default_factory=list)
    trigger: int | None = None  # the token the pair's path meets at (the relation's word, if any)


def occurrences(doc: Doc, words: "DocWords") -> dict[int, list[Occurrence]]:
    """Per sentence start: the entities named or referred to in it, in text order."""
    out: dict[int, list[Occurrence]] = defaultdict(list)
    clusters = doc._.kg_clusters
    sent_start = words.sent_start
    for m in doc._.kg_mentions:
        if m._.kg_key in clusters:
            out[sent_start[m.start]].append(Occurrence(m._.kg_key, m.root.i, m.start, m.end, "name"))
    for i, key in (doc._.kg_referents or {}).items():
        if key in clusters:
            out[sent_start[i]].append(Occurrence(key, i, i, i + 1, "ref"))
    for occ in out.values():
        occ.sort(key=lambda o: (o.start, o.kind))
    return out


def focus(doc: Doc, by_sent: dict[int, list[Occurrence]]) -> list[Occurrence]:
    """The organisations a document is about, most talked about first (names and references
    count), then the first one it names, each at its first name: what a sentence that names
    none of them may be about."""
    clusters = doc._.kg_clusters
    counts: Counter = Counter()
    first: dict[str, Occurrence] = {}
    for start in sorted(by_sent):
        for o in by_sent[start]:
            if clusters[o.key].type in ORG_TYPES:
                counts[o.key] += 1
                if o.key not in first or (first[o.key].kind != "name" and o.kind == "name"):
                    first[o.key] = o
    ranked = sorted(counts, key=lambda k: (-counts[k], first[k].start))[:2]
    opening = min(first, key=lambda k: first[k].start) if first else None
    if opening and opening not in ranked:
        ranked.append(opening)
    return [first[k] for k in ranked]


def candidates(doc: Doc) -> list[Candidate]:
    """Every candidate pair of the document with its features, in a fixed order."""
    clusters = doc._.kg_clusters
    words = DocWords(doc)
    by_sent = occurrences(doc, words)
    topics = focus(doc, by_sent)
    topic = topics[0].key if topics else None
    types = {k: loose_type(c) for k, c in clusters.items()}
    rules: dict[tuple, list] = defaultdict(list)
    for f in doc._.kg_facts or ():
        if f.predicate not in EVENT_ONLY:  # mergers are events the scorer passes on (kg.nlp.scorer)
            rules[(f.sent.start, f.subject, f.object)].append(f)
    out: list[Candidate] = []
    previous: list[Occurrence] = []
    memory: dict[str, list] = {}
    for sent in words.sents:
        occ = by_sent.get(sent.start, [])
        named = {o.head: o.key for o in occ if o.kind == "name"}
        best: dict[tuple[str, str], tuple[tuple, Occurrence, Occurrence]] = {}
        ranks: dict[tuple[int, int], tuple] = {}  # the path is the same both ways: walk it once
        for i, a in enumerate(occ):
            for j, b in enumerate(occ):
                if a.key == b.key:
                    continue
                pair = (a.key, b.key)
                rank = ranks.get((j, i)) or ranks.setdefault((i, j), _nearness(words, a, b))
                old = best.get(pair)
                if old is None or rank < old[0]:
                    best[pair] = (rank, a, b)
        pairs: dict[tuple[str, str], tuple[Occurrence | None, Occurrence | None]] = {k: v[1:] for k, v in best.items()}
        present = {o.key for o in occ}
        for (start, s, o) in [k for k in rules if k[0] == sent.start]:
            if (s, o) not in pairs:
                pairs[(s, o)] = (_first(occ, s), _first(occ, o))
        # pairs with an organisation of the sentence before, or one the document is about
        links: dict[str, tuple[Occurrence, str]] = {}
        classes = {c for i in range(sent.start, sent.end) for c in words.classes.get(i, ())}
        for cls in sorted(classes):
            for key, at, role in reversed(memory.get(cls, [])):
                if key not in present:
                    links.setdefault(key, (at, f"mem:{cls}:{role}"))
        for o in previous:
            if o.key not in present and clusters[o.key].type in ORG_TYPES:
                links.setdefault(o.key, (o, "prev"))
        for rank, o in enumerate(topics):
            if o.key not in present:
                links.setdefault(o.key, (o, f"focus{rank}"))
        linked: dict[tuple[str, str], str] = {}
        for key in sorted(present):
            mine = _first(occ, key)
            for other, (at, how) in sorted(links.items()):
                for pair, ats in (((key, other), (mine, at)), ((other, key), (at, mine))):
                    if pair not in pairs:
                        pairs[pair] = ats
                        linked[pair] = how
        for (s, o), (sa, oa) in sorted(pairs.items(), key=lambda kv: (_pair_order(kv[1]), kv[0])):
            labs = labels_for(types[s], types[o])
            if not labs:
                continue
            cand = Candidate(s, o, sent, labs, sa, oa, rules.get((sent.start, s, o), []))
            cand.features = features(doc, cand, clusters, topic, words, linked.get((s, o)), named)
            out.append(cand)
        previous = occ
        remember(doc, occ, clusters, memory, words)
    return out


def remember(doc: Doc, occ: list[Occurrence], clusters: dict, memory: dict[str, list], words: DocWords) -> None:
    """The discourse state later sentences link to: per trigger class, the last organisations a
    sentence put under a word of that class, with their role ('Acme raised ...': Acme is the
    subject of a funding word, which 'the round was led by X' two sentences on refers back to)."""
    for o in occ:
        if o.kind != "name" or clusters[o.key].type not in ORG_TYPES:
            continue
        found = words.governor(words.list_head(o.head))
        if found:
            trigger, role = found
            for cls in words.of(trigger):
                entries = [e for e in memory.setdefault(cls, []) if e[0] != o.key]
                memory[cls] = (entries + [(o.key, o, role)])[-MEMORY:]


def _nearness(words: "DocWords", a: Occurrence, b: Occurrence) -> tuple:
    """Which of a pair's occurrences in a sentence the features describe: the two the parse joins by
    the shortest path ('Acme ... bought Widgetly', not 'Widgetly's founder' in a clause nearer to
    Acme, nor 'the search giant' in a trailing clause), then names before references, then the
    fewest words apart. (Names first, path second, did worse on Re-DocRED: README, Quality.)"""
    up, _, down = words.path(a.head, b.head)
    return (len(up) + len(down), (a.kind != "name") + (b.kind != "name"), abs(a.head - b.head))


def _first(occ: list[Occurrence], key: str) -> Occurrence | None:
    return next((o for o in occ if o.key == key and o.kind == "name"), None) or next((o for o in occ if o.key == key), None)


def _pair_order(at: tuple[Occurrence | None, Occurrence | None]) -> tuple:
    return tuple((o.start, o.end) if o else (10 ** 9, 0) for o in at)


# -- features

def _bucket(n: int) -> str:
    return "0" if n <= 0 else "1" if n == 1 else "2-3" if n <= 3 else "4-6" if n <= 6 else "7-10" if n <= 10 else "11+"


_MONEY_SIGNS = {"$", "€", "£"}


class DocWords:
    """What the feature functions read of every token, found once per document on integer columns
    (`Doc.to_array`) and kept as plain lists: a token's lemma (numbers and money folded), lower
    form, dependency label, tag, head and children, its trigger classes and its sentence's start;
    the sentences, and per sentence its classes and verbs. The features then walk integers, not
    spaCy Token objects."""

    def __init__(self, doc: Doc):
        array = doc.to_array([LEMMA, LOWER, POS, DEP, TAG, HEAD, LIKE_NUM, ENT_TYPE, ENT_IOB])
        heads = array[:, 5].astype(np.int64).tolist()  # signed offsets, stored unsigned in the shared array
        cols = array.tolist()
        strings = doc.vocab.strings
        money, verb = strings.add("MONEY"), strings.add("VERB")
        text = {}

        def name(h: int) -> str:
            v = text.get(h)
            if v is None:
                v = text[h] = strings[h].lower() if h else ""
            return v

        n = len(cols)
        self.lemma, self.lower, self.dep, self.tag = [""] * n, [""] * n, [""] * n, [""] * n
        self.head, self.children = list(range(n)), [[] for _ in range(n)]
        self.classes: dict[int, tuple[str, ...]] = {}
        self.entity_start = [False] * n
        verbs = {}
        for i, (lemma, lower, pos, dep, tag, _, like_num, ent, iob) in enumerate(cols):
            head = heads[i]
            self.lower[i], self.dep[i], self.tag[i] = name(lower), strings[dep], strings[tag]
            low = self.lower[i]
            self.lemma[i] = "<num>" if like_num else "<money>" if ent == money or low in _MONEY_SIGNS else name(lemma)
            self.head[i] = i + head  # to_array gives heads as offsets (signed)
            if head:
                self.children[i + head].append(i)
            self.entity_start[i] = bool(ent) and iob == 3
            found = TRIGGER_IDS.get(lemma) or TRIGGER_IDS.get(lower)
            if found:
                self.classes[i] = found
            if pos == verb:
                verbs[i] = self.lemma[i]
        self.sentence: dict[int, list[str]] = {}
        self.sents = list(doc.sents)  # each walk of doc.sents builds a Token per token
        self.sent_start = [0] * n  # per token: where its sentence starts
        for sent in self.sents:
            self.sent_start[sent.start:sent.end] = [sent.start] * (sent.end - sent.start)
            found = sorted({c for i in range(sent.start, sent.end) for c in self.classes.get(i, ())})
            lemmas = sorted({verbs[i] for i in range(sent.start, sent.end) if i in verbs})
            self.sentence[sent.start] = [f"strig={c}" for c in found] + [f"sv={w}" for w in lemmas]

    def of(self, i: int) -> tuple[str, ...]:
        return self.classes.get(i, ())

    def chain(self, i: int) -> list[int]:
        """A token and its ancestors up to the root of its sentence."""
        out = [i]
        head = self.head
        while head[out[-1]] != out[-1] and len(out) < 40:
            out.append(head[out[-1]])
        return out

    def path(self, a: int, b: int) -> tuple[list[int], int | None, list[int]]:
        """Tokens from a up to the lowest common ancestor, the ancestor, and from it down to b."""
        up = self.chain(a)
        index = {t: k for k, t in enumerate(up)}
        down = []
        for t in self.chain(b):
            if t in index:
                return up[:index[t]], t, down[::-1]
            down.append(t)
        return up, None, down[::-1]

    def own_list(self, t: int) -> list[int]:
        """A token and the list members before it that it hangs from by 'conj', up to the list's
        first member ("Bolt", "Index", "Harbor" in "Harbor, Index and Bolt")."""
        out = [t]
        while self.dep[t] == "conj" and self.head[t] < t:
            t = self.head[t]
            out.append(t)
        return out

    def held_between(self, a: int, b: int, named: dict[int, str],
                     path: tuple[list[int], int | None, list[int]] | None = None) -> list[int]:
        """The name heads on the tree path between two argument tokens. From "Satya Nadella" to
        "Alphabet" in "Microsoft CEO Satya Nadella, Adobe CEO Shantanu Narayen, and Alphabet CEO
        Sundar Pichai" the path passes two other people. The other members of an argument's own
        list are not in the way ("Harbor, Index and Bolt" each invested) unless the other
        argument hangs under one of them ("Acme CEO Jo Bloggs, Sam Roe": Acme is Jo Bloggs')."""
        up, lca, down = path or self.path(a, b)  # ``path``: the one already walked between a and b
        if lca is None:
            return []
        mates = set(self.own_list(a)[1:]) | set(self.own_list(b)[1:])
        inner = up[1:] + down[:-1] + ([lca] if lca not in (a, b) else [])
        return [t for t in inner if t in named and (t == lca or t not in mates)]

    def list_head(self, i: int) -> int:
        """The first member of the list a token is in ('Voysis' in 'acquiring Inductiv, Voysis and
        Turi' stands where 'Inductiv' does)."""
        return self.own_list(i)[-1]

    def governor(self, i: int, limit: int = 4) -> tuple[int, str] | None:
        """The nearest word of a trigger class above a token, with the token's role under it
        ('led by X': X is the agent of a lead word; 'acquisition of X': the object of 'of')."""
        steps = []
        for _ in range(limit):
            h = self.head[i]
            if h == i:
                break
            steps.append(self.dep[i] if self.dep[i] != "pobj" else f"pobj:{self.lower[h]}")
            i = h
            if i in self.classes:
                return i, "<".join(steps[-2:])
        return None

    def governing(self, i: int, side: str) -> list[str]:
        found = self.governor(i)
        if found is None:
            return [f"{side}_gov=none"]
        trigger, role = found
        return [f"{side}_gov={c}:{role}" for c in self.classes[trigger]] + [f"{side}_govlem={self.lemma[trigger]}:{role}"]

    def governors(self, i: int, limit: int = 3) -> list[int]:
        """The words that govern a clause: 'agreed' over 'to acquire', 'said' over 'that it bought'."""
        out = []
        while self.dep[i] in _CLAUSE_DEPS and self.head[i] != i and len(out) < limit:
            i = self.head[i]
            out.append(i)
        return out

    def cues(self, i: int) -> list[str]:
        """Negation, modality and aspect around a trigger and the clauses above it."""
        out = []
        for t in [i, *self.governors(i)]:
            for c in self.children[t]:
                dep, lem = self.dep[c], self.lemma[c]
                if dep in ("neg", "aux", "auxpass") or lem in CUE_WORDS or self.lower[c] in CUE_WORDS:
                    out.append(f"cue={lem}")
            if self.lemma[t] in CUE_WORDS:
                out.append(f"cue={self.lemma[t]}")
        return out

    def framing(self, at: Occurrence) -> list[str]:
        """How an argument stands outside the story: in parentheses after another name ("Ana Ruiz
        (Brightline)": an affiliation) or as the one who reports it ("the Daily Ledger reported",
        "according to Wirefeed"): a source or a label, seldom a party."""
        out = []
        lower, n = self.lower, len(self.lower)
        if at.start > 0 and lower[at.start - 1] == "(" and at.end < n and lower[at.end] == ")":
            out.append("paren")
        head = at.head
        up = self.head[head]
        if self.dep[head] == "nsubj" and self.lemma[up] in REPORTING:
            out.append(f"reporter:{self.lemma[up]}")
        elif any(self.dep[c] in ("acl", "relcl") and self.lemma[c] in REPORTING for c in self.children[head]):
            out.append("reporter:acl")  # "..., the Daily Ledger reported": parsed as a modifier
        elif self.dep[head] == "pobj" and lower[up] == "to" and up > 0 and lower[up - 1] == "according":
            out.append("reporter:according")
        return out

    def modifiers(self, at: Occurrence) -> list[str]:
        """Words describing an argument: titles and descriptors ('CEO X', 'X, the startup')."""
        head = at.head
        out = []
        for c in self.children[head]:
            dep = self.dep[c]
            if dep in _MODIFIER_DEPS and not (at.start <= c < at.end):
                out.append(f"{dep}:{self.lemma[c]}")
                if dep == "appos":
                    out.extend(f"appos:{self.lemma[g]}" for g in self.children[c]
                               if self.dep[g] in ("compound", "amod", "prep"))
        if self.dep[head] in ("appos", "compound", "attr", "pobj"):
            out.append(f"under:{self.dep[head]}:{self.lemma[self.head[head]]}")
        return out


def name_extension(subject, obj) -> str | None:
    """Whether one argument's name is the other's whole name and more: "Facebook Messenger" and
    Facebook (a product named after its maker), "Google DeepMind" and Google (a unit named after its
    parent), but also "Acme CEO" from a headline; a feature, for the model to weigh per relation."""
    def names(c):
        return {n.casefold() for n in c.names} | {c.label.casefold()}
    s_names, o_names = names(subject), names(obj)
    if any(o.startswith(n + " ") for o in o_names for n in s_names):
        return "o_extends_s"
    if any(n.startswith(o + " ") for o in o_names for n in s_names):
        return "s_extends_o"
    return None


def _kind(cluster) -> str:
    t = loose_type(cluster)
    return "Person" if t.startswith("Person") else "Org" if cluster.type in ORG_TYPES else "Other"


def features(doc: Doc, cand: Candidate, clusters: dict, topic: str | None, words: DocWords,
             link: str | None = None, named: dict[int, str] | None = None) -> list[str]:
    """``named``: the sentence's name heads (token -> entity), to see a third entity on the path."""
    st, ot = loose_type(clusters[cand.subject]), loose_type(clusters[cand.object])
    tp = f"{st}>{ot}"
    feats = [f"tp={tp}", "bias"]
    extension = name_extension(clusters[cand.subject], clusters[cand.object])
    if extension:
        feats += [f"name={extension}", f"name={extension}|{tp}"]
    sa, oa = cand.subject_at, cand.object_at
    lemma, dep = words.lemma, words.dep
    for f in cand.rules:
        feats.append(f"rule={f.pattern}:{f.predicate}")
        feats.append(f"rulepred={f.predicate}")
        if f.attrs.get("former"):
            feats.append("rule_former")
        if f.attrs.get("role"):
            feats.extend(f"role={w.lower()}" for w in f.attrs["role"].split()[-2:])
    feats.append(f"s_kind={sa.kind if sa else 'absent'}")
    feats.append(f"o_kind={oa.kind if oa else 'absent'}")
    if topic:
        feats.append(f"s_topic={cand.subject == topic}|o_topic={cand.object == topic}")
    for name, at in (("s", sa), ("o", oa)):
        if at is not None:
            feats.extend(f"{name}_{m}" for m in words.modifiers(at))
            feats.extend(f"{name}_{m}" for m in words.framing(at))
            feats.append(f"{name}_dep={dep[at.head]}:{lemma[words.head[at.head]]}")
    sent_start, sent_end = cand.sent.start, cand.sent.end
    if link is not None or sa is None or oa is None:
        # the pair is joined across sentences: each side's place in its own sentence
        feats.append(f"link={link}")
        for side, at in (("s", sa), ("o", oa)):
            if at is None:
                continue
            here = sent_start <= at.head < sent_end
            up = words.chain(at.head)
            tag = f"{side}{'' if here else '_there'}"
            feats.append(f"xpath_{tag}=" + ">".join(dep[t] for t in up[:MAX_PATH]))
            feats.extend(f"xlem_{tag}={lemma[t]}" for t in up[1:MAX_PATH])
            feats.append(f"xtop_{tag}={lemma[up[-1]]}|{link}")
            if here:
                feats.extend(words.cues(up[-1]))
                cand.trigger = up[-1]
        feats.extend(words.sentence[sent_start])
        for side, at in (("s", sa), ("o", oa)):
            if at is not None:
                feats.extend(words.governing(words.list_head(at.head), side))
        if cand.trigger is None:
            cand.trigger = cand.sent.root.i
        return feats
    a0, b0 = sa.head, oa.head
    a, b = words.list_head(a0), words.list_head(b0)
    if a != a0:
        feats.append("s_in_list")
    if b != b0:
        feats.append("o_in_list")
    if a == b:  # two members of one list
        a, b = a0, b0
        feats.append("same_list")
    feats.extend(words.governing(a, "s"))
    feats.extend(words.governing(b, "o"))
    feats.extend(words.sentence[sent_start])
    up, lca, down = words.path(a, b)
    order = "so" if sa.start < oa.start else "os"
    feats.append(f"order={order}")
    if lca is None or len(up) + len(down) > MAX_PATH:
        feats.append("path=long")
    else:
        head = words.head
        steps = [f"<{dep[t]}" for t in up] + [f">{dep[t]}" for t in down]
        lex = [f"<{dep[t]}" + (f" {lemma[head[t]]}" if head[t] != lca else "") for t in up]
        lex += [(f"{lemma[head[t]]} " if head[t] != lca else "") + f">{dep[t]}" for t in down]
        mid = lemma[lca] if lca not in (a, b) else "ARG"
        feats.append("pu=" + " ".join(steps))
        feats.append("pl=" + " ".join(lex[:len(up)]) + f" [{mid}] " + " ".join(lex[len(up):]))
        feats.append(f"lca={mid}")
        feats.append(f"tp_lca={tp}|{mid}")
        feats.append(f"tp_pu={tp}|" + " ".join(steps))
        inner = up[1:] + down[:-1] + ([lca] if lca not in (a, b) else [])
        feats.extend(f"pw={lemma[t]}" for t in inner)
        classes = sorted({c for t in inner for c in words.of(t)})
        feats.extend(f"ptrig={c}" for c in classes)
        feats.extend(f"tp_ptrig={tp}|{c}" for c in classes)
        # a third named entity on the path: in "Acme CEO Jo Bloggs, Widgetly CEO Sam Roe" the way
        # from Jo Bloggs to Widgetly goes through Sam Roe, whose title Widgetly belongs to
        held = words.held_between(a0, b0, named or {}, (up, lca, down) if (a, b) == (a0, b0) else None)
        others = sorted({_kind(clusters[named[t]]) for t in held if named[t] not in (cand.subject, cand.object)})
        feats.extend(f"path_ent={k}" for k in others)
        feats.extend(f"tp_path_ent={tp}|{k}" for k in others)
        feats.append(f"plen={_bucket(len(steps))}")
        cand.trigger = lca
        feats.extend(words.cues(lca))
        if lca not in (a, b):
            feats.append(f"lca_tag={words.tag[lca]}")
            feats.extend(f"gov={lemma[g]}" for g in words.governors(lca))
    lo, hi = (sa, oa) if sa.start < oa.start else (oa, sa)
    between = range(lo.end, hi.start) if lo.end <= hi.start else range(0)
    feats.append(f"dist={_bucket(len(between))}")
    if len(between) <= MAX_BETWEEN:
        lem = [lemma[t] for t in between]
        feats.extend(f"bw={w}" for w in lem)
        if len(lem) <= 5:
            feats.append(f"bws={order}:" + " ".join(lem))
    else:
        feats.extend(f"bw_ends={lemma[t]}" for t in (*between[:3], *between[-3:]))
    n_between = sum(1 for t in between if words.entity_start[t])
    feats.append(f"ents_between={_bucket(n_between)}")
    if lo.start > sent_start:
        feats.append(f"l1={lemma[lo.start - 1]}")
    if hi.end < sent_end:
        feats.append(f"r1={lemma[hi.end]}")
    return feats
