"""Registered spaCy components that turn a parsed Doc into typed, resolved mentions and facts.

`techkg_mentions` types every entity span and groups mentions of one entity inside the document
(KB names, acronyms and renames, surnames, possessives, pronouns). `techkg_relations` runs the
dependency patterns of `patterns/relations.json` plus the job-title rules over those mentions.
Both write plain attributes on the Doc (`doc._.kg_clusters`, `doc._.kg_facts`) so that the
extraction stage can serialise them without touching spaCy objects again.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.matcher import DependencyMatcher, Matcher
from spacy.tokens import Doc, Span, Token

from .kb import KnowledgeBase, load_kb, normalize_name, wikipedia_title

PATTERN_DIR = Path(__file__).parent / "patterns"
ORG_TYPES = {"Organization", "Company", "ResearchLab", "University", "Investor"}
WORK_TYPES = {"AIModel", "Product"}
GRAPH_TYPES = ORG_TYPES | WORK_TYPES | {"Person", "Award"}


@lru_cache(maxsize=None)
def load_patterns(name: str) -> dict:
    return json.loads((PATTERN_DIR / f"{name}.json").read_text(encoding="utf-8"))


LEX = load_patterns("lexicon")


def expand_sets(value, sets: dict):
    """Replace "@name" inside a pattern with the word list `sets[name]`."""
    if isinstance(value, str) and value.startswith("@") and value[1:] in sets:
        return sets[value[1:]]
    if isinstance(value, dict):
        return {k: expand_sets(v, sets) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_sets(v, sets) for v in value]
    return value


def type_family(t: str | None) -> str | None:
    if t in ORG_TYPES:
        return "Org"
    return t


@dataclass
class Cluster:
    """One entity inside one document."""
    key: str
    type: str
    kb: str | None = None
    wikidata: str | None = None
    names: Counter = field(default_factory=Counter)
    first: int = 0
    preferred: str | None = None  # the KB's canonical name

    @property
    def label(self) -> str:
        if self.preferred:
            return self.preferred
        if self.type == "Person":
            return max(self.names, key=lambda n: (len(n.split()), self.names[n], n))
        return max(self.names, key=lambda n: (self.names[n], len(n), n))


def _register_extensions() -> None:
    for name, default in (("kg_type", None), ("kg_key", None)):
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Token.has_extension("kg_in_ent"):
        Token.set_extension("kg_in_ent", getter=lambda t: bool(t.ent_type_) and t.ent_type_ not in NON_GRAPH_LABELS)
    for name in ("kg_clusters", "kg_facts", "kg_token_keys", "kg_mentions"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


NON_GRAPH_LABELS = {"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL", "CARDINAL", "NORP",
                    "GPE", "LOC", "EVENT", "LAW", "LANGUAGE"}
_register_extensions()


def clean_name(text: str) -> str:
    """Surface form of a mention without a leading article or a trailing possessive."""
    s = re.sub(r"\s+", " ", text).strip()
    s = re.sub(r"^(?:the|The|a|an)\s+", "", s)
    s = re.sub(r"(?:'s|’s|'|’)$", "", s).strip()
    return s.strip(" ,.;:-–—\"“”()")


# --------------------------------------------------------------------------------------------
# Mentions: typing and in-document resolution
# --------------------------------------------------------------------------------------------

@Language.factory("techkg_mentions", default_config={"kb_path": None})
def make_mentions(nlp: Language, name: str, kb_path: str | None):
    return MentionResolver(nlp, load_kb(kb_path))


class MentionResolver:
    def __init__(self, nlp: Language, kb: KnowledgeBase):
        self.kb = kb
        self.alias_matcher = Matcher(nlp.vocab)
        for p in load_patterns("aliases")["patterns"]:
            self.alias_matcher.add(p["id"], [p["pattern"]], greedy="LONGEST")
        self.naming_matcher = Matcher(nlp.vocab)
        self.naming_matcher.add("called", [[{"LOWER": {"IN": LEX["naming_verbs"]}},
                                            {"LOWER": "as", "OP": "?"},
                                            {"IS_TITLE": True, "POS": {"IN": ["PROPN", "NOUN", "ADJ", "VERB"]}, "OP": "+"},
                                            {"LIKE_NUM": True, "OP": "?"}]], greedy="LONGEST")
        self.label_types = LEX["spacy_label_types"]
        self.org_cues = LEX["org_name_cues"]
        self.product_desc = {w: t for t, ws in LEX["product_descriptor_nouns"].items() for w in ws}
        self.org_desc = {w: t for t, ws in LEX["org_descriptor_nouns"].items() for w in ws}
        self.generic = {w.casefold() for w in LEX["generic_names"]}
        self.org_suffixes = set(LEX["org_name_suffixes"])

    # -- typing
    def type_of(self, span: Span) -> tuple[str | None, str | None]:
        """(type, kb id) of an entity span from the KB, its link, its label and its words."""
        links = span.doc.user_data.get("links", ())
        for start, end, href in links:
            if start <= span.start_char and span.end_char <= end:
                entry = self.kb.lookup_wikipedia(href)
                if entry:
                    return entry.type, entry.id
        entry = self.kb.lookup(clean_name(span.text))
        if entry:
            return entry.type, entry.id
        if span.label_ in self.kb_types():
            return span.label_, span.ent_id_ or None
        base = self.label_types.get(span.label_)
        name = clean_name(span.text)
        if not name or not re.search(r"[A-Za-z]", name):
            return None, None
        words = name.split()
        if base in ("Organization", "Product") or (base == "Person" and len(words) > 1 and words[-1] in self.org_cues["Company"]):
            for t in ("University", "ResearchLab", "Investor"):
                if any(cue in words or (" " in cue and cue in name) for cue in self.org_cues[t]):
                    return t, None
            if base == "Organization" or words[-1] in self.org_cues["Company"]:
                return "Company", None
        if base == "Product" and self._looks_like_model(span):
            return "AIModel", None
        return base, None

    @staticmethod
    def kb_types() -> set[str]:
        return GRAPH_TYPES

    def _looks_like_model(self, span: Span) -> bool:
        nxt = span.doc[span.end] if span.end < len(span.doc) else None
        return bool(nxt is not None and nxt.lower_ in ("model", "models", "llm"))

    def descriptor_type(self, span: Span) -> str | None:
        """Type implied by an apposed or compound common noun: 'the startup X', 'a model called X'."""
        root = span.root
        for tok in (root.head, *root.head.children) if root.dep_ in ("appos", "compound", "oprd", "attr", "dobj") else ():
            if tok.i in range(span.start, span.end) or tok.pos_ != "NOUN":
                continue
            word = tok.lower_
            if word in self.product_desc:
                return self.product_desc[word]
            if word in self.org_desc:
                return self.org_desc[word]
        return None

    def __call__(self, doc: Doc) -> Doc:
        self._split_entities(doc)
        self._add_named_entities(doc)
        self._add_short_org_names(doc)
        self._add_described_entities(doc)
        self._add_known_surnames(doc)
        mentions = [e for e in doc.ents if e.label_ not in NON_GRAPH_LABELS or e.label_ in ("GPE", "LOC")]
        lowercase_words = {t.text for t in doc if t.is_lower}
        typed: list[Span] = []
        for ent in mentions:
            if len(ent) == 1 and ent[0].is_title and ent[0].text.lower() in lowercase_words \
                    and not self.kb.lookup(ent.text):
                continue  # "Content is ..." at a sentence start: the document also writes "content"
            t, kb_id = self.type_of(ent)
            name = clean_name(ent.text)
            if t is None or not name:
                continue
            if not kb_id and (all(part.casefold() in self.generic for part in re.split(r"[/\s]+", name) if part)
                              or (len(ent) == 1 and ent[0].pos_ != "PROPN" and ent.label_ not in GRAPH_TYPES
                                  and not (name.endswith("s") and self.kb.lookup(name[:-1])))):
                continue
            if t in ("Organization", "Product", "Company") and not kb_id:
                t = self.descriptor_type(ent) or t
            ent._.kg_type = t
            ent._.kg_key = f"kb:{kb_id}" if kb_id else None
            typed.append(ent)
        clusters = self._cluster(doc, typed)
        doc._.kg_mentions = typed
        doc._.kg_clusters = clusters
        doc._.kg_token_keys = {tok.i: ent._.kg_key for ent in typed for tok in ent}
        return doc

    def _split_entities(self, doc: Doc) -> None:
        """NER spans never cross a line break or a possessive: "Fu\n\nZuckerberg", "Meta's Bosworth"."""
        ents, changed = [], False
        for ent in doc.ents:
            parts, start = [], ent.start
            for tok in ent:
                if "\n" in tok.text or (tok.lower_ in ("'s", "’s") and tok.i > ent.start):
                    if tok.i > start:
                        parts.append((start, tok.i))
                    start = tok.i + 1
                    changed = True
            if start < ent.end:
                parts.append((start, ent.end))
            for a, b in parts:
                if any(ch.isalnum() for ch in doc[a:b].text):
                    ents.append(Span(doc, a, b, label=ent.label_, kb_id=ent.kb_id_, span_id=ent.id_))
        if changed:
            doc.set_ents(ents)

    def _add_named_entities(self, doc: Doc) -> None:
        """'a model called X', 'a chatbot code-named X': X is an entity typed by the noun it names."""
        new, retype = [], []
        for _, start, end in self.naming_matcher(doc):
            span = doc[start + 1:end]
            while len(span) and span[0].lower_ == "as":
                span = span[1:]
            head_noun = self._naming_head(doc[start])
            t = self.product_desc.get(head_noun) or self.org_desc.get(head_noun)
            if not len(span) or t is None:
                continue
            if any(tok.ent_type_ for tok in span):
                retype.append((span, t))
            else:
                new.append(Span(doc, span.start, span.end, label=t))
        if new:
            doc.set_ents(new, default="unmodified")
        if retype:
            ents = list(doc.ents)
            for span, t in retype:
                for i, e in enumerate(ents):
                    if e.start == span.start and e.label_ not in GRAPH_TYPES and not self.kb.lookup(clean_name(e.text)):
                        ents[i] = Span(doc, e.start, e.end, label=t)
            doc.set_ents(ents)

    def _described_type(self, noun: Token) -> str | None:
        """'a video game', 'a line of devices', 'a subsidiary of X': the type a description gives."""
        if noun.lower_ in ("line", "series", "family", "range", "brand") :
            for c in noun.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    for g in c.children:
                        if g.dep_ == "pobj" and g.lower_ in self.product_desc:
                            return self.product_desc[g.lower_]
            return "Product"
        return self.product_desc.get(noun.lower_) or self.org_desc.get(noun.lower_)

    def _add_described_entities(self, doc: Doc) -> None:
        """'Nexus Q is a digital media player', 'Xamarin, a subsidiary of Microsoft': the described
        proper name is an entity of the type its description says, whatever NER made of it."""
        changes = []
        for tok in doc:
            if tok.pos_ != "PROPN" or tok.dep_ in ("compound", "flat"):
                continue
            desc = None
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.lemma_ == "be":
                desc = next((c for c in tok.head.children if c.dep_ == "attr" and c.pos_ == "NOUN"), None)
            if desc is None:
                desc = next((c for c in tok.children if c.dep_ == "appos" and c.pos_ == "NOUN"), None)
            t = self._described_type(desc) if desc is not None else None
            if t is None:
                continue
            start = tok.i
            while start > 0 and doc[start - 1].dep_ in ("compound", "flat", "nummod") and doc[start - 1].head.i <= tok.i \
                    and doc[start - 1].pos_ in ("PROPN", "NUM"):
                start -= 1
            end = tok.i + 1
            while end < len(doc) and doc[end].pos_ in ("PROPN", "NUM") and doc[end].head.i == tok.i and doc[end].dep_ in ("compound", "flat", "nummod", "appos") and doc[end].whitespace_:
                break
            span = doc[start:end]
            if any(self.kb.lookup(clean_name(e.text)) for e in doc.ents if e.start < end and e.end > start):
                continue
            changes.append(Span(doc, start, end, label=t))
            doc.user_data.setdefault("described", {})[normalize_name(clean_name(span.text))] = t
        if changes:
            keep = [e for e in doc.ents if not any(e.start < c.end and e.end > c.start for c in changes)]
            doc.set_ents(sorted(keep + changes, key=lambda e: e.start))

    def _add_known_surnames(self, doc: Doc) -> None:
        """A surname NER missed ('Sutskever, who runs ...') is a person once the full name was seen."""
        surnames = {e[-1].text for e in doc.ents if e.label_ in ("PERSON", "Person") and len(e) > 1}
        new = [Span(doc, t.i, t.i + 1, label="PERSON") for t in doc
               if t.text in surnames and not t.ent_type_ and t.pos_ == "PROPN"
               and not (t.i > 0 and doc[t.i - 1].pos_ == "PROPN") and not (t.i + 1 < len(doc) and doc[t.i + 1].pos_ == "PROPN")]
        if new:
            doc.set_ents(new, default="unmodified")

    def _add_short_org_names(self, doc: Doc) -> None:
        """'Scale' after 'Scale AI': the first word of a multi-word company name names it too."""
        short = {}
        for e in doc.ents:
            words = e.text.split()
            if len(words) > 1 and e.label_ in ("ORG", "Company", "FAC") and all(w in self.org_suffixes for w in words[1:]) \
                    and not self.kb.lookup(words[0]):
                short[words[0]] = e.label_ if e.label_ != "FAC" else "ORG"
        if not short:
            return
        new = [Span(doc, t.i, t.i + 1, label=short[t.text]) for t in doc
               if t.text in short and not t.ent_type_ and t.pos_ == "PROPN" and not (t.i + 1 < len(doc) and doc[t.i + 1].text in self.org_suffixes)]
        if new:
            doc.set_ents(new, default="unmodified")

    @staticmethod
    def _naming_head(verb: Token) -> str:
        """The noun a naming participle describes: 'a model called X' -> 'model'; 'one called X' -> noun of 'one'."""
        head = verb.head if verb.dep_ in ("acl", "amod", "relcl") else verb
        if head.lower_ == "one" and head.head.pos_ == "NOUN":
            head = head.head
        if head.lower_ == "one":
            for anc in head.ancestors:
                if anc.pos_ == "NOUN":
                    return anc.lower_
        if head.pos_ == "VERB":
            for child in head.children:
                if child.dep_ in ("dobj", "nsubjpass", "compound") and child.pos_ == "NOUN":
                    return child.lower_
            return ""
        return head.lower_

    def _cluster(self, doc: Doc, mentions: list[Span]) -> dict[str, Cluster]:
        parent: dict[int, int] = {i: i for i in range(len(mentions))}

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(a: int, b: int) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        by_token = {tok.i: idx for idx, m in enumerate(mentions) for tok in m}
        # 1. same KB id or same normalised name
        first_by_key: dict[str, int] = {}
        for idx, m in enumerate(mentions):
            key = m._.kg_key or "name:" + normalize_name(clean_name(m.text))
            if key in first_by_key:
                union(first_by_key[key], idx)
            else:
                first_by_key[key] = idx
        # 2. alias patterns: acronyms, renames, "also known as"
        for _, start, end in self.alias_matcher(doc):
            inside = [by_token[i] for i in range(start, end) if i in by_token]
            a, b = (inside[0], inside[-1]) if inside else (None, None)
            if a is not None and b is not None and a != b and type_family(mentions[a]._.kg_type) == type_family(mentions[b]._.kg_type) != "Person":
                union(a, b)
        # 3. people named by surname or first name after (or before) their full name
        full_people = [(idx, clean_name(m.text).split()) for idx, m in enumerate(mentions)
                       if m._.kg_type == "Person" and len(clean_name(m.text).split()) > 1]
        for idx, m in enumerate(mentions):
            words = clean_name(m.text).split()
            if len(words) != 1:
                continue
            hits = {find(j) for j, full in full_people if words[0] in (full[0], full[-1])}
            if len(hits) == 1:
                root = hits.pop()
                union(root, idx)
                m._.kg_type = "Person"
        # 3b. a company's first word alone ("Scale" for "Scale AI")
        multi_orgs = {}
        for idx, m in enumerate(mentions):
            words = clean_name(m.text).split()
            if len(words) > 1 and type_family(m._.kg_type) == "Org" and all(w in self.org_suffixes for w in words[1:]):
                multi_orgs.setdefault(words[0], set()).add(find(idx))
        for idx, m in enumerate(mentions):
            words = clean_name(m.text).split()
            if len(words) == 1 and len(multi_orgs.get(words[0], ())) == 1 and m._.kg_type != "Person" \
                    and not m._.kg_key and not self.kb.lookup(words[0]):
                union(next(iter(multi_orgs[words[0]])), idx)
        # 4. possessives written without apostrophe: "Metas" is Meta
        names = {normalize_name(clean_name(m.text)): idx for idx, m in enumerate(mentions)}
        for idx, m in enumerate(mentions):
            n = normalize_name(clean_name(m.text))
            if n.endswith("s") and n[:-1] in names and n not in self.kb.by_name:
                union(names[n[:-1]], idx)
            elif n.endswith("s") and self.kb.lookup(n[:-1]) and not self.kb.lookup(n):
                entry = self.kb.lookup(n[:-1])
                m._.kg_type, m._.kg_key = entry.type, f"kb:{entry.id}"
        # build clusters; a cluster takes its KB identity and the majority type of its members
        groups: dict[int, list[int]] = defaultdict(list)
        for idx in range(len(mentions)):
            groups[find(idx)].append(idx)
        clusters: dict[str, Cluster] = {}
        for root, members in sorted(groups.items()):
            spans = [mentions[i] for i in members]
            kb_ids = [s._.kg_key for s in spans if s._.kg_key]
            if kb_ids:
                kb_id = Counter(kb_ids).most_common(1)[0][0][3:]
                entry = self.kb.entries[kb_id]
                key, ctype, wikidata = f"kb:{kb_id}", entry.type, entry.wikidata
            else:
                kb_id, wikidata = None, None
                types = Counter(s._.kg_type for s in spans)
                ctype = types.most_common(1)[0][0]
                described = doc.user_data.get("described", {})
                ctype = next((described[normalize_name(clean_name(s.text))] for s in spans
                              if normalize_name(clean_name(s.text)) in described), ctype)
                if ctype == "Organization" or ("Company" in types and ctype in ORG_TYPES):
                    ctype = max((t for t in types if t in ORG_TYPES), key=lambda t: (t != "Organization", t != "Company", types[t]))
                longest = max((clean_name(s.text) for s in spans), key=lambda n: (len(n.split()), len(n)))
                key = f"{type_family(ctype)}:{normalize_name(longest)}"
            cluster = clusters.get(key) or Cluster(key=key, type=ctype, kb=kb_id, wikidata=wikidata, first=spans[0].start_char)
            if kb_id:
                cluster.preferred = self.kb.entries[kb_id].label
            for s in spans:
                s._.kg_key = key
                s._.kg_type = ctype
                cluster.names[clean_name(s.text)] += 1
            for start, end, href in doc.user_data.get("links", ()):
                title = wikipedia_title(href)
                if title and any(s.start_char >= start and s.end_char <= end for s in spans):
                    cluster.names[title] += 0
            clusters[key] = cluster
        return clusters


# --------------------------------------------------------------------------------------------
# Relations
# --------------------------------------------------------------------------------------------

@Language.factory("techkg_relations")
def make_relations(nlp: Language, name: str):
    return RelationExtractor(nlp)


MONEY_RE = re.compile(r"(?:US|USD|U\.S\.)?\s?\$\s?(\d+(?:[.,]\d+)*)\s*(trillion|tn|billion|bn|b|million|mn|m|thousand|k)?\b", re.I)
SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6,
         "m": 1e6, "thousand": 1e3, "k": 1e3}
YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def parse_usd(text: str) -> float | None:
    """'$1b' -> 1e9, 'US$300 million' -> 3e8, '$14.3 billion' -> 1.43e10."""
    m = MONEY_RE.search(text)
    if not m:
        return None
    number = float(m.group(1).replace(",", ""))
    return round(number * SCALE.get((m.group(2) or "").lower(), 1.0), 2)


@dataclass
class Fact:
    subject: str
    predicate: str
    object: str
    sent: Span
    confidence: float
    pattern: str
    attrs: dict = field(default_factory=dict)


class RelationExtractor:
    def __init__(self, nlp: Language):
        self.matcher = DependencyMatcher(nlp.vocab)
        self.specs = {}
        data = load_patterns("relations")
        for spec in data["patterns"]:
            spec = {**spec, "pattern": expand_sets(spec["pattern"], data["sets"])}
            self.matcher.add(spec["id"], [spec["pattern"]])
            self.specs[spec["id"]] = spec
        self.titles = sorted(((w, p) for p, ws in LEX["titles"].items() for w in ws), key=lambda x: -len(x[0]))
        self.title_words = {w.split()[-1] for w, _ in self.titles}
        self.hedges = set(LEX["hedge_lemmas"])
        self.negations = set(LEX["negation_words"])
        self.former = set(LEX["former_markers"])
        self.pronouns = {w: t for t, ws in LEX["pronouns"].items() for w in ws}

    # -- argument resolution
    def keys_at(self, doc: Doc, tok: Token, ctx: "DocContext", conj: bool = True) -> list[str]:
        """Entity keys a token stands for: its own entity, apposed or named entities, or an antecedent;
        conjuncts add further keys ('bought Oculus and WhatsApp')."""
        key = self._key(doc, tok, ctx)
        keys = [key] if key else []
        for c in self._conjuncts(tok) if conj else ():
            k = self._key(doc, c, ctx)
            if k and k not in keys:
                keys.append(k)
        return keys

    def _conjuncts(self, tok: Token) -> list[Token]:
        out, stack = [], [tok]
        while stack:
            t = stack.pop()
            for c in t.children:
                if c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN"):
                    out.append(c)
                    stack.append(c)
        return sorted(out, key=lambda t: t.i)

    def _key(self, doc: Doc, tok: Token, ctx: "DocContext", depth: int = 0) -> str | None:
        keys = doc._.kg_token_keys
        if tok.i in keys:
            return keys[tok.i]
        if depth > 2:
            return None
        low = tok.lower_
        if low in ("which", "who", "that") and tok.head.dep_ == "relcl":
            return self._key(doc, tok.head.head, ctx, depth + 1)
        if tok.pos_ == "PRON":
            return ctx.pronoun(tok)
        if tok.dep_ == "appos" and tok.head.i in keys:  # "Elliot Schrage, a former executive who ..."
            return keys[tok.head.i]
        if tok.pos_ in ("NOUN", "PROPN"):
            for c in tok.children:
                if (c.dep_ == "appos" and c.i > tok.i or c.dep_ in ("compound", "nmod")) and c.i in keys:
                    return keys[c.i]
            for c in tok.children:
                if c.dep_ == "acl" and c.lower_ in LEX["naming_verbs"]:
                    for gc in c.children:
                        if gc.dep_ in ("oprd", "dobj", "attr", "xcomp", "npadvmod") and gc.i in keys:
                            return keys[gc.i]
                        if gc.dep_ == "prep":
                            for ggc in gc.children:
                                if ggc.i in keys:
                                    return keys[ggc.i]
            # "X is a video game developed by Y", "X is a line of devices produced by Y": the noun is X
            described = tok.head.head if tok.dep_ == "pobj" and tok.head.lower_ == "of" and tok.head.head.dep_ == "attr" else tok
            if described.dep_ == "attr" and described.head.lemma_ == "be":
                for c in described.head.children:
                    if c.dep_ == "nsubj" and c.i in keys:
                        return keys[c.i]
            if tok.lower_ in ("company", "firm") and (any(c.lower_ == "the" for c in tok.children)
                                                      or (tok.dep_ == "compound" and any(c.lower_ == "the" for c in tok.head.children))):
                return ctx.topic_org
        return None

    def clause_subject(self, doc: Doc, tok: Token, ctx: "DocContext") -> list[str]:
        """The subject of the clause an attached participle belongs to ('X was started in 2013 led by Y')."""
        for anc in tok.ancestors:
            if anc.pos_ in ("VERB", "AUX"):
                for c in anc.children:
                    if c.dep_ in ("nsubj", "nsubjpass"):
                        return self.keys_at(doc, c, ctx)
        return []

    # -- hedges, negation, attributes
    def is_hedged(self, tok: Token, climb: bool = True) -> bool:
        """Negated or hedged: 'no deal', 'talks about an acquisition', 'declined to join', 'potentially'.
        The walk up stops at a relative clause or apposition: those assert something of their noun."""
        for t in [tok, *tok.ancestors] if climb else [tok]:
            if t.lemma_.lower() in self.hedges or any(c.lower_ in self.negations and c.dep_ in ("neg", "det", "advmod") for c in t.children):
                return True
            if any(c.lemma_.lower() in self.hedges and c.dep_ in ("advmod", "aux", "amod") for c in t.children):
                return True
            if t.dep_ in ("ROOT", "relcl", "acl", "appos"):
                break
        return False

    CLAUSE_DEPS = {"relcl", "advcl", "ccomp", "acl", "csubj", "parataxis"}

    def clause_tokens(self, head: Token, skip: set[int] = frozenset()) -> set[int]:
        """Token ids in head's clause: its subtree without subordinate clauses ('when Facebook was at $63b')."""
        out, stack = set(), [head]
        while stack:
            t = stack.pop()
            out.add(t.i)
            for c in t.children:
                if (c.dep_ in self.CLAUSE_DEPS and c.lower_ not in LEX["naming_verbs"]) or c.i in skip \
                        or (c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")):
                    continue
                stack.append(c)
        return out

    def attributes(self, doc: Doc, tokens: set[int], wanted: list[str]) -> dict:
        """Prices or amounts (a list, in text order), a year and a stake found among the given tokens."""
        out: dict = {}
        moneys, years = [], []
        for ent in doc.ents:
            if ent.start not in tokens:
                continue
            if ent.label_ == "MONEY":
                left = doc[max(ent.start - 2, 0):ent.end].text
                value = parse_usd(left if "$" in left else "$" + ent.text)
                if value:
                    moneys.append(value)
            elif ent.label_ == "DATE" and YEAR_RE.search(ent.text):
                years.append(YEAR_RE.search(ent.text).group(1))
        if "year" in wanted and years:
            out["date"] = years[0]
        money_key = "price_usd" if "price" in wanted else "amount_usd" if "amount" in wanted else None
        if money_key and moneys:
            out[money_key] = moneys
        if "stake" in wanted:
            for i in sorted(tokens):
                if doc[i].lemma_ == "stake":
                    out["stake"] = " ".join(c.text for c in doc[i].lefts if c.dep_ in ("amod", "compound", "nummod")) or "stake"
        return out

    def target_groups(self, doc: Doc, spec: dict, toks: dict[str, Token], trigger: Token,
                      ctx: "DocContext") -> list[tuple[list[str], set[int]]]:
        """Objects with the tokens that hold their attributes. A passive trigger's noun conjuncts are
        gapped objects with their own price: 'Instagram was bought for $1b, then Oculus for $2b'."""
        name = spec["object"]
        if name == "@clause_subject":
            return [(self.clause_subject(doc, trigger, ctx), self.clause_tokens(trigger))]
        obj = toks[name]
        gapped = [c for c in trigger.children if c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN")] \
            if obj.dep_ == "nsubjpass" else []
        skip = {t.i for g in gapped for t in g.subtree}
        groups = [(self.keys_at(doc, obj, ctx, conj=not spec.get("no_conj")), self.clause_tokens(trigger, skip))]
        for g in gapped:
            groups.append((self.keys_at(doc, g, ctx), self.clause_tokens(g)))
        return groups

    def __call__(self, doc: Doc) -> Doc:
        ctx = DocContext(doc, self)
        facts: list[Fact] = []
        for match_id, token_ids in self.matcher(doc):
            spec = self.specs[doc.vocab.strings[match_id]]
            names = [p["RIGHT_ID"] for p in spec["pattern"]]
            toks = {n: doc[i] for n, i in zip(names, token_ids)}
            facts.extend(self._facts_from_match(doc, spec, toks, ctx))
        facts.extend(self._title_facts(doc, ctx))
        facts.extend(self._name_facts(doc, ctx))
        facts = ctx.apply_corporate_acts(facts)
        doc._.kg_facts = facts
        return doc

    def _facts_from_match(self, doc: Doc, spec: dict, toks: dict[str, Token], ctx: "DocContext") -> list[Fact]:
        trigger = toks.get("t") or toks.get("n") or toks.get(spec["object"]) or next(iter(toks.values()))
        if spec.get("implicit_subject"):
            if any(c.dep_ in ("nsubj", "agent", "nsubjpass" if spec["id"].endswith("gerund") else "agent") for c in trigger.children):
                return []
            subjects = ctx.context_subject(trigger, spec)
        elif spec["subject"] == "@clause_subject":
            subjects = self.clause_subject(doc, trigger, ctx)
        else:
            subjects = self.keys_at(doc, toks[spec["subject"]], ctx, conj=not spec.get("no_conj"))
        groups = self.target_groups(doc, spec, toks, trigger, ctx)
        if not subjects or not any(g[0] for g in groups):
            return []
        conf = spec["confidence"] * (0.3 if self.is_hedged(trigger) else 1.0)
        out = []
        for objects, tokens in groups:
            attrs = self.attributes(doc, tokens, spec.get("attrs", []))
            for oi, o in enumerate(objects):
                fact_attrs = dict(attrs)
                for key in ("price_usd", "amount_usd"):
                    values = fact_attrs.pop(key, None)
                    if values and (len(values) == len(objects) or len(values) == 1):
                        fact_attrs[key] = values[oi] if len(values) == len(objects) else values[0]
                if spec.get("corporate_act"):
                    fact_attrs["_corporate"] = True
                for s in subjects:
                    if s != o and ctx.types_ok(s, spec["subject_types"]) and ctx.types_ok(o, spec["object_types"]):
                        out.append(Fact(s, spec["predicate"], o, trigger.sent, conf, spec["id"], dict(fact_attrs)))
        return out

    # -- titles: "CEO of Meta Mark Zuckerberg", "Chris Cox, Meta's head of product", "Google's CEO, Sundar Pichai"
    def _title_facts(self, doc: Doc, ctx: "DocContext") -> list[Fact]:
        facts = []
        seen_titles = set()
        for ent in doc._.kg_mentions:
            if ent._.kg_type != "Person":
                continue
            for title, former in self._titles_of(ent):
                seen_titles.add(title.i)
                facts.extend(self._facts_for_title(doc, ent._.kg_key, title, former, ctx))
        # definite descriptions with no name: "the 41-year-old CEO of Meta had boasted" -> previous person
        for tok in doc:
            if tok.i in seen_titles or tok.dep_ not in ("nsubj", "nsubjpass") or tok.lower_ not in self.title_words:
                continue
            if not any(c.lower_ == "the" for c in tok.children) or tok.i in doc._.kg_token_keys:
                continue
            if tok.lower_ not in LEX["leadership_titles_for_descriptions"]:
                continue
            person = ctx.previous_person(tok.sent)
            if person:
                for t in [tok, *self._title_conjuncts(tok)]:
                    for f in self._facts_for_title(doc, person, t, False, ctx, topic_fallback=False):
                        f.confidence = min(f.confidence, 0.6)
                        facts.append(f)
        facts.extend(self._respectively(doc, ctx))
        return facts

    @staticmethod
    def _conjuncts_all(tok: Token) -> list[Token]:
        return [c for c in tok.children if c.dep_ == "conj"]

    def _title_conjuncts(self, tok: Token) -> list[Token]:
        return [c for c in tok.children if c.dep_ == "conj" and c.lower_ in self.title_words]

    def _is_title(self, tok: Token) -> bool:
        return tok.lower_ in self.title_words and tok.pos_ in ("NOUN", "PROPN")

    def _titles_of(self, ent: Span) -> list[tuple[Token, bool]]:
        head = ent.root
        found: list[Token] = []
        # compound or pre-nominal title: "Chief Product Officer Chris Cox", "then-CTO Mike Schroepfer"
        for c in head.children:
            if c.dep_ in ("compound", "amod", "nmod") and c.i < ent.start and self._is_title(c):
                found.append(c)
        # apposition: "Joelle Pineau, VP of AI Research at Meta"
        for c in head.children:
            if c.dep_ == "appos":
                if self._is_title(c):
                    found.append(c)
                for gc in c.children:  # "the famous Doom creator and consulting CTO at Meta"
                    if gc.dep_ == "conj":
                        for ggc in [gc, *gc.children]:
                            if self._is_title(ggc) and ggc not in found:
                                found.append(ggc)
        # the person is the apposition of a title: "Google's CEO, Sundar Pichai" (parsed as appos or conj)
        if (head.dep_ == "appos" or (head.dep_ == "conj" and ent.start > 0 and ent.doc[ent.start - 1].text == ",")) \
                and self._is_title(head.head):
            found.append(head.head)
        # copula: "X is the CEO of Y", "X became chief executive"
        if head.dep_ in ("nsubj", "nsubjpass"):
            for c in head.head.children:
                if c.dep_ in ("attr", "oprd"):  # "X is a civil servant and former CEO of Y"
                    found.extend(t for t in [c, *self._conjuncts_all(c)] if self._is_title(t) and t not in found)
        out = []
        for t in found:
            window = [x for x in doc_window(t, 3)]
            former = any(x.lower_ in self.former for x in window) or any(c.lower_ in self.former for c in t.children)
            if head.dep_ == "nsubj" and head.head.lemma_ in ("leave", "quit", "depart", "resign", "retire"):
                former = True
            out.append((t, former))
        return out

    def _role(self, title: Token) -> str:
        left = [t for t in title.lefts if t.dep_ in ("compound", "amod", "nmod") and not t.ent_type_ and t.lower_ not in self.former and t.pos_ in ("NOUN", "PROPN", "ADJ")]
        words = [t.text for t in left if t.i >= title.i - 4] + [title.text]
        for c in title.rights:
            if c.dep_ == "prep" and c.lower_ == "of":
                obj = [g for g in c.children if g.dep_ == "pobj" and not g.ent_type_ and g.pos_ == "NOUN"]
                if obj:
                    words += ["of", obj[0].text]
        return " ".join(words)

    def _classify(self, role: str) -> str | None:
        low = role.lower()
        if re.search(r"\b(head|director|chief|leader|manager) of [a-z]", low) and not re.search(r"\bchief executive\b", low):
            return "worksFor"
        for word, pred in self.titles:
            if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", low):
                return pred
        return None

    def _facts_for_title(self, doc: Doc, person: str, title: Token, former: bool, ctx: "DocContext",
                         topic_fallback: bool = True) -> list[Fact]:
        role = self._role(title)
        pred = self._classify(role)
        if not pred:
            return []
        orgs = self._title_orgs(doc, title, ctx)
        conf = 0.85
        if not orgs:
            if not topic_fallback or not ctx.topic_org or not any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", role.lower()) for w in LEX["topic_fallback_titles"]):
                return []
            orgs, conf = [ctx.topic_org], 0.55 if former else 0.6
        if self.is_hedged(title, climb=False):
            conf *= 0.3
        out = []
        for org in orgs:
            if org == person or not ctx.types_ok(org, ["Org"]):
                continue
            attrs = {"role": role}
            if former:
                attrs["former"] = True
            out.append(Fact(person, pred, org, title.sent, conf, "title", attrs))
            if pred in ("ceoOf", "leads", "founded") and not former and org not in ctx.led_orgs[person]:
                ctx.led_orgs[person].append(org)
        return out

    def _title_orgs(self, doc: Doc, title: Token, ctx: "DocContext") -> list[str]:
        keys: list[str] = []
        for c in title.children:
            if c.dep_ == "poss" or (c.dep_ in ("compound", "nmod") and c.i < title.i):
                keys += self.keys_at(doc, c, ctx) if c.pos_ != "PRON" or c.lower_ in ("its", "their") else []
            if c.dep_ == "prep" and c.lower_ in ("of", "at", "for", "with", "in"):
                for g in c.children:
                    if g.dep_ == "pobj":
                        deeper = []  # "VP of AI Research at Meta": the organisation is the deeper one
                        for gc in g.children:
                            if gc.dep_ == "prep" and gc.lower_ in ("at", "of", "for"):
                                for ggc in gc.children:
                                    deeper += self.keys_at(doc, ggc, ctx)
                        keys += deeper or self.keys_at(doc, g, ctx)
            if c.dep_ == "poss" and c.lower_ in ("his", "her"):
                person = ctx.nearest_person_before(c)
                keys += ctx.led_orgs.get(person, []) if person else []
        if not keys and title.dep_ in ("dobj", "attr"):
            # "consulting CTO at Meta": the organisation hangs from the verb
            for c in title.head.children:
                if c.dep_ == "prep" and c.lower_ in ("at", "for", "with"):
                    for g in c.children:
                        keys += self.keys_at(doc, g, ctx)
        # the title inside the company's compound chain: "Meta CEO Mark Zuckerberg"
        for c in title.head.children if title.dep_ == "compound" else ():
            if c.dep_ == "compound" and c.i < title.i and c.i in doc._.kg_token_keys:
                keys.append(doc._.kg_token_keys[c.i])
        out = []
        for k in keys:
            if k and k not in out and ctx.types_ok(k, ["Org"]):
                out.append(k)
        return out

    def _respectively(self, doc: Doc, ctx: "DocContext") -> list[Fact]:
        """'the chief executives of Microsoft and OpenAI, Satya Nadella and Sam Altman' pairs in order."""
        facts = []
        for tok in doc:
            if tok.tag_ != "NNS" or tok.lower_ not in self.title_words:
                continue
            pred = self._classify(self._role(tok))
            if not pred:
                continue
            orgs, people = [], []
            for t in tok.subtree:
                k = doc._.kg_token_keys.get(t.i)
                if k and t.i > tok.i:
                    if ctx.types_ok(k, ["Org"]) and k not in orgs and not people:
                        orgs.append(k)
                    elif ctx.types_ok(k, ["Person"]) and k not in people:
                        people.append(k)
            if len(orgs) >= 2 and len(orgs) == len(people):
                for p, o in zip(people, orgs):
                    facts.append(Fact(p, pred, o, tok.sent, 0.8, "respectively", {"role": self._role(tok)}))
        return facts

    def _name_facts(self, doc: Doc, ctx: "DocContext") -> list[Fact]:
        """A name that starts with an organisation's name says whose it is: "Google Research" and
        "Samsung Electronics" belong to their namesake, "Toyota Avalon" and "Google Play" were made by it."""
        org_names: dict[str, str] = {}
        for key, c in ctx.clusters.items():
            if c.type in ORG_TYPES:
                for n in c.names:
                    org_names.setdefault(normalize_name(n), key)
        facts, seen = [], set()
        for ent in doc._.kg_mentions:
            words = clean_name(ent.text).split()
            family = type_family(ent._.kg_type)
            if len(words) < 2 or ent._.kg_type not in ("ResearchLab", "AIModel", "Product") or (ent._.kg_key, ent.sent.start) in seen:
                continue
            for n in range(len(words) - 1, 0, -1):
                key = org_names.get(normalize_name(" ".join(words[:n])))
                if key is None:
                    entry = self.kb.lookup(" ".join(words[:n]))
                    key = f"kb:{entry.id}" if entry and entry.type in ORG_TYPES and f"kb:{entry.id}" in ctx.clusters else None
                if key and key != ent._.kg_key:
                    seen.add((ent._.kg_key, ent.sent.start))
                    if family == "Org":
                        facts.append(Fact(ent._.kg_key, "parentOrganization", key, ent.sent, 0.65, "name_prefix", {}))
                    else:
                        facts.append(Fact(key, "developed", ent._.kg_key, ent.sent, 0.65, "name_prefix", {}))
                    break
        return facts

    @property
    def kb(self):
        return load_kb()


def doc_window(tok: Token, n: int) -> list[Token]:
    doc = tok.doc
    return list(doc[max(tok.i - n, tok.sent.start):tok.i])


class DocContext:
    """What a sentence needs from the rest of the document: antecedents, the topic organisation."""

    def __init__(self, doc: Doc, rx: RelationExtractor):
        self.doc, self.rx = doc, rx
        self.clusters: dict[str, Cluster] = doc._.kg_clusters
        keys = doc._.kg_token_keys
        org_counts = Counter(keys[t] for t in sorted(keys) if self.clusters[keys[t]].type in ORG_TYPES and t == self._ent_start(t))
        # the organisation the document is about: most mentioned, earliest on ties
        self.topic_org = None
        if org_counts:
            self.topic_org = max(org_counts, key=lambda k: (org_counts[k], -self.clusters[k].first))
        self.sents = list(doc.sents)
        self.sent_index = {s.start: i for i, s in enumerate(self.sents)}
        self._subject_cache: dict[int, str | None] = {}
        self.led_orgs: dict[str, list[str]] = defaultdict(list)

    def nearest_person_before(self, tok: Token) -> str | None:
        for t in reversed(list(self.doc[tok.sent.start:tok.i])):
            k = self.doc._.kg_token_keys.get(t.i)
            if k and self.clusters[k].type == "Person":
                return k
        return None

    def _ent_start(self, i: int) -> int:
        tok = self.doc[i]
        return tok.i if tok.ent_iob_ == "B" else self._ent_start(i - 1) if i > 0 else 0

    def types_ok(self, key: str, allowed: list[str]) -> bool:
        t = self.clusters[key].type if key in self.clusters else None
        return "Any" in allowed or type_family(t) in allowed or t in allowed

    def sentence_subject(self, sent: Span) -> str | None:
        """The entity that is the grammatical subject of a sentence's main clause."""
        i = self.sent_index.get(sent.start)
        if i in self._subject_cache:
            return self._subject_cache[i]
        self._subject_cache[i] = None
        root = sent.root
        key = None
        for c in root.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                key = self.rx._key(self.doc, c, self)
                if key is None:
                    for cc in c.subtree:
                        if cc.i in self.doc._.kg_token_keys:
                            key = self.doc._.kg_token_keys[cc.i]
                            break
                break
        self._subject_cache[i] = key
        return key

    def previous(self, sent: Span, back: int = 1) -> Span | None:
        i = self.sent_index.get(sent.start)
        return self.sents[i - back] if i is not None and i - back >= 0 else None

    def pronoun(self, tok: Token) -> str | None:
        """He/she/it/they: the subject of the previous sentence, or of this sentence's main clause."""
        want = self.rx.pronouns.get(tok.lower_)
        if want is None and tok.lower_ not in ("its", "their"):
            return None
        if tok.lower_ in ("its", "their"):
            # nearest preceding organisation in the sentence
            for t in reversed(list(self.doc[tok.sent.start:tok.i])):
                k = self.doc._.kg_token_keys.get(t.i)
                if k and self.types_ok(k, ["Org"]):
                    return k
            want = "Organization"
        # an earlier clause of the same sentence: "Meta announced that it would ...", "Meta ..., when it launched"
        for anc in tok.ancestors:
            for c in anc.children:
                if c.dep_ == "nsubj" and c.i < tok.i and c.i != tok.i and c.pos_ != "PRON":
                    k = self.rx._key(self.doc, c, self)
                    if k and self._compatible(k, want):
                        return k
        prev = self.previous(tok.sent)
        if prev is not None:
            k = self.sentence_subject(prev)
            if k and self._compatible(k, want):
                return k
        return None

    def _compatible(self, key: str, want: str) -> bool:
        t = self.clusters[key].type
        if want == "Person":
            return t == "Person"
        if want == "Organization":
            return t in ORG_TYPES
        return t in ORG_TYPES or t == "Person"

    def previous_person(self, sent: Span) -> str | None:
        """The one person named in the previous sentence, for 'the CEO of Meta said'."""
        prev = self.previous(sent)
        if prev is None:
            return None
        people = {self.doc._.kg_token_keys[t.i] for t in prev if t.i in self.doc._.kg_token_keys
                  and self.clusters[self.doc._.kg_token_keys[t.i]].type == "Person"}
        return people.pop() if len(people) == 1 else None

    def context_subject(self, trigger: Token, spec: dict) -> list[str]:
        """Implicit agent of 'Instagram was bought for $1b': an organisation in the same sentence,
        else the topic organisation of the document."""
        objects = set()
        for c in trigger.children:
            if c.dep_ in ("nsubjpass", "dobj") or (c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN")):
                objects |= set(self.rx.keys_at(self.doc, c, self))
        for t in trigger.sent:
            k = self.doc._.kg_token_keys.get(t.i)
            if k and k not in objects and self.types_ok(k, ["Org"]) and self.clusters[k].type in ("Company", "Organization"):
                return [k]
        return [self.topic_org] if self.topic_org and self.topic_org not in objects else []

    def apply_corporate_acts(self, facts: list[Fact]) -> list[Fact]:
        """A person who leads an organisation acts for it: 'Zuckerberg bought', 'He hired Wang'."""
        led: dict[str, list[str]] = defaultdict(list)
        for f in facts:
            if f.predicate in ("ceoOf", "leads", "founded") and f.object not in led[f.subject] and f.confidence >= 0.5:
                led[f.subject].append(f.object)
        out = []
        for f in facts:
            corporate = f.attrs.pop("_corporate", False)
            if corporate:
                actor_is_subject = f.predicate != "worksFor"
                actor = f.subject if actor_is_subject else f.object
                if self.clusters[actor].type == "Person":
                    orgs = led.get(actor, [])
                    if len(orgs) != 1:
                        if f.predicate in ("investedIn", "developed") and actor_is_subject:
                            out.append(f)
                        continue
                    if actor_is_subject:
                        f.subject = orgs[0]
                    else:
                        f.object = orgs[0]
                    f.confidence = min(f.confidence, 0.8)
                    if f.subject == f.object:
                        continue
            out.append(f)
        return out
