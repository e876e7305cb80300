"""`techkg_relations`: facts from the dependency patterns of patterns/relations.json and job titles.

Arguments are resolved through the mentions component's clusters, with pronouns, relative
pronouns, apposed names and the document's topic organisation (DocContext) filling gaps.
The result is `doc._.kg_facts`, a list of Fact.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from . import EVENT_ONLY
from .attributes import YEAR_RE, parse_money, round_name
from .candidates import loose_type
from .lexicon import LEX, ORG_TYPES, expand_sets, load_patterns, tokens_where, type_family
from .mentions import Cluster
from .treematch import TreeMatcher


@Language.factory("techkg_relations")
def make_relations(nlp: Language, name: str):
    return RelationExtractor(nlp)


def parse_usd(text: str) -> float | None:
    """'$1b' -> 1e9, 'US$300 million' -> 3e8; None for no money or another currency."""
    money = parse_money(text)
    return money[0] if money and money[1] == "USD" else None


@dataclass
class Fact:
    subject: str
    predicate: str
    object: str
    sent: Span
    confidence: float
    pattern: str
    attrs: dict = field(default_factory=dict)


def _whole_word(*words: str) -> re.Pattern:
    """Any of the words, not inside a longer word or hyphenated compound."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])")


#: The words that join titles in a run before a name ("co-founder and CEO").
_AND = ("and", "&")
#: A title fact's stated confidence: only a proposal; the scorer decides (its floor is the title
#: rule's precision measured by `kg train`).
TITLE_CONFIDENCE = 0.85
#: How many sentences back a funding round's company may be named ("Acme raised $5 million ...
#: The round was led by Foo").
ROUND_BACK = 3


class RelationExtractor:
    def __init__(self, nlp: Language):
        self.matcher = TreeMatcher(nlp.vocab)
        self.specs = {}
        data = load_patterns("relations")
        sets = {**{k: v for k, v in LEX.items() if isinstance(v, list)}, **data["sets"]}  # lexicon lists too
        for spec in data["patterns"]:
            spec = {**spec, "pattern": expand_sets(spec["pattern"], sets)}
            self.matcher.add(spec["id"], spec["pattern"])
            self.specs[spec["id"]] = spec
        self.titles = sorted(((w, p) for p, ws in LEX["titles"].items() for w in ws), key=lambda x: -len(x[0]))
        self.title_words = {w.split()[-1] for w, _ in self.titles}
        self.title_parts = {part for w, _ in self.titles for part in w.split()}
        # a title word as a whole word of a role, compiled once (longest first: the first match wins)
        self.title_patterns = [(_whole_word(w), p) for w, p in self.titles]
        self.topic_fallback_title = _whole_word(*LEX["topic_fallback_titles"])
        self.hedges = set(LEX["hedge_lemmas"])
        self.negations = set(LEX["negation_words"])
        self.former = set(LEX["former_markers"])
        self.non_relation_modifiers = set(LEX["non_relation_modifiers"])
        self.owner_modifiers = set(LEX["owner_modifiers"])
        self.staff_nouns = set(LEX["staff_nouns"])
        self.membership_nouns = set(LEX["membership_nouns"])
        self.membership_titles = set(LEX["membership_titles"])
        self.society_cues = set(LEX["society_name_cues"])
        self.pronouns = {w: t for t, ws in LEX["pronouns"].items() for w in ws}
        self.descriptor_types = {w: t for key in ("referring_nouns", "org_descriptor_nouns", "product_descriptor_nouns")
                                 for t, ws in LEX[key].items() if t != "about" for w in ws}
        funding = data["sets"]
        self.round_nouns = set(funding["round_nouns"])
        self.round_words = set(funding["from_nouns"]) | set(funding["investor_nouns"])
        self.recipient_verbs = set(funding["recipient_verbs"])
        self.backing_verbs = set(funding["backing_verbs"])

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
        keys = ctx.token_keys
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
                    if c.dep_ == "nsubj" and c.pos_ == "NOUN" and c.i != tok.i:  # "The X series is a line of ..."
                        return self._key(doc, c, ctx, depth + 1)
            if tok.lemma_.lower() in self.membership_nouns:  # "joined the faculty of the University of Hamburg"
                for c in tok.children:
                    if c.dep_ == "prep" and c.lower_ in ("of", "at"):
                        for g in c.children:
                            if g.dep_ == "pobj" and g.i in keys:
                                return keys[g.i]
            if tok.lemma_.lower() in self.staff_nouns and tok.dep_ in ("nsubj", "nsubjpass"):
                # "AI researchers were working on X": the staff of the organisation named with them,
                # else of the organisation the document is about
                for c in tok.children:
                    if c.dep_ == "prep" and c.lower_ in ("at", "from", "of", "in"):
                        return next((keys[g.i] for g in c.children if g.i in keys), None)
                    if c.dep_ == "poss":
                        return self._key(doc, c, ctx, depth + 1)
                return ctx.topic_org
            if tok.lower_ in ("company", "firm") and (any(c.lower_ == "the" for c in tok.children)
                                                      or (tok.dep_ == "compound" and any(c.lower_ == "the" for c in tok.head.children))):
                return ctx.topic_org
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.lemma_.lower() in self.descriptor_types \
                    and any(c.lower_ in ("the", "this") for c in tok.children):
                return ctx.definite(tok, self.descriptor_types[tok.lemma_.lower()])
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

    def attributes(self, doc: Doc, tokens: set[int], wanted: list[str], starts: dict[int, Span]) -> dict:
        """Prices or amounts (a list, in text order), a year and a stake found among the given tokens
        (entities looked up by start token: linear in the clause, not in the document)."""
        out: dict = {}
        moneys, years = [], []
        for ent in (starts[i] for i in sorted(tokens) if i in starts):
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
        for key, toks in self.matcher(doc):
            facts.extend(self._facts_from_match(doc, self.specs[key], toks, ctx))
        facts.extend(self._title_facts(doc, ctx))
        facts = ctx.apply_corporate_acts(facts)
        doc._.kg_facts = [self._as_ownership(f, ctx) for f in facts]
        doc._.kg_referents = self.referents(doc, ctx)
        # a name the text calls "he" or "she" is a person's, not a start-up the small model mistyped
        for i, key in doc._.kg_referents.items():
            if self.pronouns.get(doc[i].lower_) == "Person":
                ctx.clusters[key].personal = True
        return doc

    def referents(self, doc: Doc, ctx: "DocContext") -> dict[int, str]:
        """Token index -> entity key for the words that refer to an entity without naming it:
        pronouns, relative pronouns, 'the company', 'the startup'. The candidate stage pairs them
        like names."""
        words = {*self.pronouns, "its", "their", "which", "who", "that", "company", "firm", *self.descriptor_types}
        keys = doc._.kg_token_keys
        out = {}
        for tok in tokens_where(doc, LOWER, words):
            if tok.i not in keys:
                key = self._key(doc, tok, ctx)
                if key:
                    out[tok.i] = key
        return out

    @staticmethod
    def _as_ownership(fact: Fact, ctx: "DocContext") -> Fact:
        """The 'part of' patterns read products too ('YouTube, owned by Google'; 'MARC, a service of
        the MTA'): an organisation's parent is kg:parentOrganization, a product's owner kg:ownedBy."""
        if fact.predicate == "parentOrganization" and ctx.clusters[fact.subject].type in ("Product", "AIModel"):
            return replace(fact, predicate="ownedBy")
        return fact

    def _facts_from_match(self, doc: Doc, spec: dict, toks: dict[str, Token], ctx: "DocContext") -> list[Fact]:
        trigger = toks.get("t") or toks.get("n") or toks.get(spec["object"]) or next(iter(toks.values()))
        if any(c.lemma_.lower() in self.non_relation_modifiers and c.dep_ in ("amod", "compound", "nmod")
               for t in toks.values() for c in t.children):
            return []  # "its sister channels MTV and VH1", "rival studio X": not a part of it
        toks = self._owner_reading(spec, toks)
        if spec.get("implicit_subject"):
            if any(c.dep_ in ("nsubj", "agent", "nsubjpass" if spec["id"].endswith("gerund") else "agent") for c in trigger.children):
                return []
            if any(c.dep_ == "aux" and c.lower_ in ("can", "could", "may", "might") for c in trigger.children):
                return []  # "The game could be bought with the wheel": anyone may buy it, no deal is told
            subjects = ctx.context_subject(trigger, spec)
        elif spec["subject"] == "@clause_subject":
            subjects = self.clause_subject(doc, trigger, ctx)
        else:
            subjects = self.keys_at(doc, toks[spec["subject"]], ctx, conj=not spec.get("no_conj"))
        pattern = spec["id"]
        round_told = None  # the round's name, told with its company in an earlier sentence
        if spec["object"] == "@round_recipient":
            recipients, where, told_in = ctx.round_recipient(toks, trigger, set(subjects))
            tokens = self.clause_tokens(trigger)
            if told_in is not None:  # its amount and date were told there, with the company
                tokens |= set(range(told_in.start, told_in.end))
                round_told = round_name(told_in)
            groups = [(recipients, tokens)]
            pattern += where
        else:
            groups = self.target_groups(doc, spec, toks, trigger, ctx)
        if not subjects or not any(g[0] for g in groups):
            return []
        conf = spec["confidence"] * (0.3 if self.is_hedged(trigger) else 1.0)
        out = []
        for objects, tokens in groups:
            attrs = self.attributes(doc, tokens, spec.get("attrs", []), ctx.ent_starts)
            for oi, o in enumerate(objects):
                fact_attrs = dict(attrs)
                for key in ("price_usd", "amount_usd"):
                    values = fact_attrs.pop(key, None)
                    if values and (len(values) == len(objects) or len(values) == 1):
                        fact_attrs[key] = values[oi] if len(values) == len(objects) else values[0]
                if spec.get("corporate_act"):
                    fact_attrs["_corporate"] = True
                if round_told:
                    fact_attrs["round"] = round_told
                if spec["predicate"] in EVENT_ONLY:
                    fact_attrs["_trigger"] = trigger.i  # its status is read around it (kg.nlp.attributes)
                for s in subjects:
                    fit = (ctx.slot_fit(s, spec["subject_types"]), ctx.slot_fit(o, spec["object_types"]))
                    if s != o and None not in fit:
                        # a loosely typed argument is measured apart: the rule id says so
                        out.append(Fact(s, spec["predicate"], o, trigger.sent, conf,
                                        pattern + ("~loose" if any(fit) else ""), dict(fact_attrs)))
        return out

    def _owner_reading(self, spec: dict, toks: dict[str, Token]) -> dict[str, Token]:
        """A part noun that an owner word modifies names the owner, not the part: "X is the parent
        company of Y", "Y's parent company, X", "its holding company X" make Y the part. The
        ownership rules read "company of" as "part of", so their two slots change places."""
        noun, s, o = toks.get("n"), spec["subject"], spec["object"]
        if noun is None or spec["predicate"] != "parentOrganization" or s not in toks or o not in toks:
            return toks
        if not any(c.lemma_.lower() in self.owner_modifiers and c.dep_ in ("amod", "compound", "nmod")
                   for c in noun.children):
            return toks
        return {**toks, s: toks[o], o: toks[s]}

    # -- titles: "CEO of Meta Mark Zuckerberg", "Chris Cox, Meta's head of product", "Google's CEO, Sundar Pichai"
    def _title_facts(self, doc: Doc, ctx: "DocContext") -> list[Fact]:
        facts = []
        seen_titles = set()
        for ent in doc._.kg_mentions:
            if ent._.kg_type != "Person":
                continue
            run, covered = self._coordinated_titles(doc, ent, ctx)
            for title, former in self._titles_of(ent):
                seen_titles.add(title.i)
                if title.i not in covered:
                    facts.extend(self._facts_for_title(doc, ent._.kg_key, title, former, ctx))
            facts.extend(run)
        # definite descriptions with no name: "the 41-year-old CEO of Meta had boasted" -> previous person
        title_words = tokens_where(doc, LOWER, self.title_words)
        for tok in title_words:
            if tok.i in seen_titles or tok.dep_ not in ("nsubj", "nsubjpass"):
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
        facts.extend(self._respectively(doc, ctx, title_words))
        return facts

    def _coordinated_titles(self, doc: Doc, ent: Span, ctx: "DocContext") -> tuple[list[Fact], range]:
        """Titles joined by 'and' between an organisation and a name: "Acme co-founder and CEO Jo
        Bloggs", "Acme's founder and chief executive Jo Bloggs". The parser seldom reads such a
        run as titles of the name (it makes the first title the head and the name its conjunct),
        so the run is read off the words: every title in it holds for the organisation before it.
        Returns the facts and the tokens of the run (empty when it gave none)."""
        sent_start = ent.sent.start
        start = ent.start
        while start > sent_start and (doc[start - 1].lower_ in self.title_parts or doc[start - 1].lower_ in _AND
                                      or self._inside_word(doc, start - 1)):
            start -= 1
        run = doc[start:ent.start]
        if len(run) < 3 or run[0].lower_ in _AND or run[-1].lower_ in _AND or not any(t.lower_ in _AND for t in run):
            return [], range(0)
        at = start - 1  # the organisation: "Acme", "Acme's", "Acme's former"
        former = at >= sent_start and doc[at].lower_ in self.former
        if former:
            at -= 1
        if at > sent_start and doc[at].lower_ in ("'s", "’s", "'"):
            at -= 1
        if at < sent_start:
            return [], range(0)
        orgs = [k for k in self.keys_at(doc, doc[at], ctx, conj=False) if k != ent._.kg_key]
        former = former or any(t.lower_ in self.former for t in doc[max(at - 2, sent_start):at])
        out, segment = [], []
        for t in [*run, None]:
            if t is not None and t.lower_ not in _AND:
                segment.append(t)
                continue
            role = doc[segment[0].i:segment[-1].i + 1].text if segment else ""
            pred = self._classify(role) if segment and segment[-1].lower_ in self.title_words else None
            if pred:
                out += self._title_role_facts(ent._.kg_key, segment[-1], role, pred, orgs, former, TITLE_CONFIDENCE, ctx)
            segment = []
        return out, range(start, ent.start) if out else range(0)

    @staticmethod
    def _inside_word(doc: Doc, i: int) -> bool:
        """A piece of a hyphenated word the tokenizer split: the "Co" and "-" of "Co-Founder"."""
        return not doc[i].whitespace_ and i + 1 < len(doc) and (doc[i].text == "-" or doc[i + 1].text == "-")

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
        # the person is the apposition of a title: "Google's CEO, Sundar Pichai" (parsed as appos or
        # conj), or a later name of a list in that place: "its founders, Jo Bloggs and Sam Roe"
        first = head
        while first.dep_ == "conj" and first.head.ent_type_ == "PERSON" and not self._is_title(first.head):
            first = first.head
        start = ent.start if first is head else first.left_edge.i
        if (first.dep_ == "appos" or (first.dep_ == "conj" and start > 0 and ent.doc[start - 1].text == ",")) \
                and self._is_title(first.head):
            # with the titles joined to it: "Acme's former chairman and former CEO, Jo Bloggs"
            # (not one with a name apposed of its own: "Acme's chairman, Jo Bloggs, and its CEO, Sam Roe")
            # nor a plural one, which names others: "his lieutenant, Jo, as well as the chief executives of X and Y"
            joined = [t for t in self._title_conjuncts(first.head)
                      if t.tag_ != "NNS" and not any(c.dep_ == "appos" for c in t.children)]
            found.extend(t for t in [first.head, *joined] if t not in found)
        # copula: "X is the CEO of Y", "X became chief executive"
        if head.dep_ in ("nsubj", "nsubjpass"):
            for c in head.head.children:
                if c.dep_ in ("attr", "oprd"):  # "X is a civil servant and former CEO of Y"
                    found.extend(t for t in [c, *self._conjuncts_all(c)] if self._is_title(t) and t not in found)
                if c.dep_ == "prep" and c.lower_ == "as" and head.head.lemma_ in LEX["role_verbs"]:
                    for t in c.children:  # "X serves as the Executive Vice President of Y"
                        found.extend(x for x in [t, *self._conjuncts_all(t)] if self._is_title(x) and x not in found)
        # inverted copula: "The current president of RBF is Stephen Heintz"
        if head.dep_ == "attr" and head.head.lemma_ == "be":
            found.extend(c for c in head.head.children if c.dep_ == "nsubj" and self._is_title(c) and c not in found)
        out = []
        for t in found:
            window = t.doc[max(t.i - 3, t.sent.start):t.i]
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
        for pattern, pred in self.title_patterns:
            if pattern.search(low):
                return pred
        return None

    def _facts_for_title(self, doc: Doc, person: str, title: Token, former: bool, ctx: "DocContext",
                         topic_fallback: bool = True) -> list[Fact]:
        role = self._role(title)
        pred = self._classify(role)
        if not pred:
            return []
        orgs = self._title_orgs(doc, title, ctx)
        conf = TITLE_CONFIDENCE
        if not orgs:
            has_complement = any(c.dep_ == "prep" and c.lower_ == "of" for c in title.children)
            if not topic_fallback or has_complement or not ctx.topic_org \
                    or not self.topic_fallback_title.search(role.lower()):
                return []
            orgs, conf = [ctx.topic_org], 0.55 if former else 0.6
            # the organisation is a guess from the document, not the sentence: measured apart
            return self._title_role_facts(person, title, role, pred, orgs, former, conf, ctx, "title+topic")
        return self._title_role_facts(person, title, role, pred, orgs, former, conf, ctx)

    def _title_role_facts(self, person: str, title: Token, role: str, pred: str, orgs: list[str], former: bool,
                          conf: float, ctx: "DocContext", rule: str = "title") -> list[Fact]:
        """A title's facts for the organisations it names, and the organisations a person leads
        (what a later 'his company' refers to)."""
        if self.is_hedged(title, climb=False):
            conf *= 0.3
        out = []
        for org in orgs:
            fit = ctx.slot_fit(org, ["Org"])
            if org == person or fit is None:
                continue
            if title.lower_ in self.membership_titles and self.society_cues.intersection(ctx.clusters[org].label.split()):
                continue  # a member of an academy, society or party is not employed by it
            attrs = {"role": role}
            if former:
                attrs["former"] = True
            out.append(Fact(person, pred, org, title.sent, conf, rule + ("~loose" if fit else ""), attrs))
            if pred in ("ceoOf", "leads", "founded") and not former and org not in ctx.led_orgs[person]:
                ctx.led_orgs[person].append(org)
        return out

    def _title_orgs(self, doc: Doc, title: Token, ctx: "DocContext", from_conjunct: bool = False) -> list[str]:
        """The organisations a title names: its possessor or compound ("Acme's CEO", "Acme CEO"),
        its complement ("CEO of Acme", "VP of AI Research at Acme": the deeper one), else those
        of a title joined to it, which share them ("Acme's founder and CEO", "the CEO and founder
        of Acme"; ``from_conjunct``: this is that look, which goes one step only)."""
        keys: list[str] = []
        # "the Freshfields Professor of Commercial Law": a chair named after a donor, not an employer
        named_chair = title.is_title and any(
            c.dep_ == "prep" and c.lower_ == "of" and any(g.dep_ == "pobj" and g.i not in doc._.kg_token_keys for g in c.children)
            for c in title.children)
        for c in title.children:
            if c.dep_ in ("compound", "nmod") and c.i < title.i and named_chair:
                continue
            # "Widgetly CEO Sam Roe", where the parser made the name an adjective of the title
            named_amod = c.dep_ == "amod" and c.i in ctx.token_keys
            if c.dep_ == "poss" or ((c.dep_ in ("compound", "nmod") or named_amod) and c.i < title.i):
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
            if k and k not in out and ctx.slot_fit(k, ["Org"]) is not None:
                out.append(k)
        if not out and title.dep_ == "conj" and self._is_title(title.head) and not from_conjunct:
            return self._title_orgs(doc, title.head, ctx, True)  # "Acme's founder and CEO": both of Acme
        if not out and not from_conjunct:  # "the CEO and founder of Acme": the complement is shared
            for c in self._title_conjuncts(title):
                if not any(g.dep_ == "appos" for g in c.children):
                    return self._title_orgs(doc, c, ctx, True)
        return out

    def _respectively(self, doc: Doc, ctx: "DocContext", title_words: list[Token]) -> list[Fact]:
        """'the chief executives of Microsoft and OpenAI, Satya Nadella and Sam Altman' pairs in order
        (``title_words``: the document's title tokens, found once by the caller)."""
        facts = []
        for tok in title_words:
            if tok.tag_ != "NNS":
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


class DocContext:
    """What a sentence needs from the rest of the document: antecedents, the topic organisation."""

    def __init__(self, doc: Doc, rx: RelationExtractor):
        self.doc, self.rx = doc, rx
        self.clusters: dict[str, Cluster] = doc._.kg_clusters
        org_counts = Counter(m._.kg_key for m in doc._.kg_mentions if self.clusters[m._.kg_key].type in ORG_TYPES)
        # the organisation the document is about: most mentioned, earliest on ties
        self.topic_org = None
        if org_counts:
            self.topic_org = max(org_counts, key=lambda k: (org_counts[k], -self.clusters[k].first))
        self.sents = list(doc.sents)
        self.sent_index = {s.start: i for i, s in enumerate(self.sents)}
        self._subject_cache: dict[int, str | None] = {}
        self._subjects_done = 0  # sentences before this index have their subject cached
        self.led_orgs: dict[str, list[str]] = defaultdict(list)
        self._recipient_cache: dict[int, list[str]] = {}
        self.ent_starts = {e.start: e for e in doc.ents}  # doc.ents rebuilds every span on access
        self.token_keys: dict[int, str] = doc._.kg_token_keys  # read once: each `doc._` builds an object

    def nearest_person_before(self, tok: Token) -> str | None:
        for t in reversed(list(self.doc[tok.sent.start:tok.i])):
            k = self.token_keys.get(t.i)
            if k and self.clusters[k].type == "Person":
                return k
        return None

    def types_ok(self, key: str, allowed: list[str]) -> bool:
        t = self.clusters[key].type if key in self.clusters else None
        return "Any" in allowed or type_family(t) in allowed or t in allowed

    def slot_fit(self, key: str, allowed: list[str]) -> str | None:
        """How an entity fits a rule's argument slot: "" when its type is allowed, "loose" when the
        slot takes organisations and the small model typed it as an unknown place or a one-word
        person (a start-up it did not know, as candidates allow), None otherwise."""
        if self.types_ok(key, allowed):
            return ""
        c = self.clusters.get(key)
        if c is not None and "Org" in allowed and loose_type(c) in ("Person1", "Place"):
            return "loose"
        return None

    def sentence_subject(self, sent: Span) -> str | None:
        """The entity that is the grammatical subject of a sentence's main clause.

        A subject can be "it" or "the game", which refer to the subject before it: subjects are
        worked out in document order up to the one asked for, so that each looks back one cached
        step instead of recursing through a long chain ("It ... It ... It ...")."""
        i = self.sent_index.get(sent.start)
        if i is None:
            return None
        while self._subjects_done < i:
            self._subject_of(self._subjects_done)
            self._subjects_done += 1
        return self._subject_of(i)

    def _subject_of(self, i: int) -> str | None:
        if i in self._subject_cache:
            return self._subject_cache[i]
        self._subject_cache[i] = None
        sent = self.sents[i]
        root = sent.root
        key = None
        for c in root.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                key = self.rx._key(self.doc, c, self)
                if key is None:
                    for cc in c.subtree:
                        if cc.i in self.token_keys:
                            key = self.token_keys[cc.i]
                            break
                break
        else:  # no subject: a name heads the sentence ("Excitebots: Trick Racing, ..., is a game")
            key = self.token_keys.get(root.i)
        self._subject_cache[i] = key
        return key

    def definite(self, tok: Token, noun_type: str) -> str | None:
        """'The game was developed by X', 'The channel was owned by Y': a definite description as a
        subject names the entity just talked about, so the previous sentence's subject when its type
        fits the noun, else the entity the document opens with when that fits."""
        want = type_family(noun_type)
        prev = self.previous(tok.sent)
        candidates = [self.sentence_subject(prev) if prev is not None else None, self.lead_subject()]
        for key in candidates:
            if key and type_family(self.clusters[key].type) == want:
                return key
        return None

    def lead_subject(self) -> str | None:
        """The subject of the document's first sentence that has one: what an article is about."""
        for sent in self.sents[:3]:
            key = self.sentence_subject(sent)
            if key:
                return key
        return None

    def previous(self, sent: Span, back: int = 1) -> Span | None:
        i = self.sent_index.get(sent.start)
        return self.sents[i - back] if i is not None and i - back >= 0 else None

    def pronoun(self, tok: Token) -> str | None:
        """He/she/it/they: the subject of the previous sentence, or of this sentence's main clause."""
        want = self.rx.pronouns.get(tok.lower_)
        if want is None and tok.lower_ not in ("its", "their"):
            return None
        if tok.lower_ in ("its", "their"):
            # the subject of its own clause ("Acme, of Austin, TX, completed its purchase"), the
            # nearest one up the tree, when that is an organisation named before the pronoun
            for anc in tok.ancestors:
                subj = next((c for c in anc.children if c.dep_ in ("nsubj", "nsubjpass")), None)
                if subj is None:
                    continue
                if subj.i < tok.i and tok not in subj.subtree and subj.pos_ != "PRON":
                    k = self.rx._key(self.doc, subj, self)
                    if k and self.types_ok(k, ["Org"]):
                        return k
                break
            # else the nearest preceding organisation in the sentence
            for t in reversed(list(self.doc[tok.sent.start:tok.i])):
                k = self.token_keys.get(t.i)
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
        if want == "Thing":  # "Bohigian joined Idealab after it acquired ...": the nearest thing before
            for t in reversed(self.doc[tok.sent.start:tok.i]):
                k = self.token_keys.get(t.i)
                if k and self._compatible(k, want):
                    return k
        return None

    def _compatible(self, key: str, want: str) -> bool:
        t = self.clusters[key].type
        if want == "Person":
            return t == "Person"
        if want == "Organization":
            return t in ORG_TYPES
        if want == "Thing":  # "it": an organisation or a product, never a person
            return t != "Person"
        return t in ORG_TYPES or t == "Person"

    def previous_person(self, sent: Span) -> str | None:
        """The one person named in the previous sentence, for 'the CEO of Meta said'."""
        prev = self.previous(sent)
        if prev is None:
            return None
        people = {self.token_keys[t.i] for t in prev if t.i in self.token_keys
                  and self.clusters[self.token_keys[t.i]].type == "Person"}
        return people.pop() if len(people) == 1 else None

    # -- funding rounds: which company a round is for
    def round_recipient(self, toks: dict[str, Token], trigger: Token, investors: set[str]) -> tuple[list[str], str, Span | None]:
        """The organisation a funding round is for, with where it was found: in the trigger's
        clause ("Acme raised $5 million in a round led by Foo", "a round for Acme", "Acme's Series
        B", "Acme, backed by Foo"; ""), in one of the ROUND_BACK sentences before ("Acme raised $5
        million. The round was led by Foo"; "+before"), the latter only for a sentence that speaks
        of a round or of investors ("The team is led by Jo" is about no round); and that earlier
        sentence, where the round's amount and name were told. The pattern id of a fact carries
        the place, so `kg train` measures the precision of each apart. (The organisation the
        document is about, as a third place, was right 0 times in 7 on the training news.)"""
        rx = self.rx
        starts = [t for name, t in sorted(toks.items()) if name not in ("s", "p", "m")]
        starts += [c for c in trigger.children if c.dep_ in ("nsubj", "nsubjpass", "dobj") and c.lemma_.lower() in rx.round_nouns]
        for start in starts:
            for t in [start, *start.ancestors]:
                keys = [k for k in self._recipients_at(t) if k not in investors]
                if keys:
                    return keys, "", None
        if not any(t.lemma_.lower() in rx.round_words for t in trigger.sent):
            return [], "", None
        i = self.sent_index.get(trigger.sent.start, 0)
        for back in range(1, ROUND_BACK + 1):
            if i - back < 0:
                break
            keys = [k for k in self._sentence_recipients(i - back) if k not in investors]
            if keys:
                return keys[:1], "+before", self.sents[i - back]
        return [], "", None

    def _recipients_at(self, t: Token) -> list[str]:
        """The organisations a word of a funding clause names as the one funded: the subject of
        a raising verb, what a backing verb backs, "a round for X", "X's round", "investors in X"."""
        rx, doc = self.rx, self.doc
        low = t.lemma_.lower()
        found: list[Token] = []
        if low in rx.round_words:
            for c in t.children:
                if c.dep_ == "poss":
                    found.append(c)
                elif c.dep_ == "prep" and c.lower_ in ("for", "in", "into"):
                    found += [g for g in c.children if g.dep_ == "pobj"]
        if t.pos_ == "VERB" and low in rx.recipient_verbs:
            found += [c for c in t.children if c.dep_ in ("nsubj", "nsubjpass")]
        if t.pos_ == "VERB" and low in rx.backing_verbs:
            found += [c for c in t.children if c.dep_ in ("nsubjpass", "dobj")]
            if t.dep_ == "acl":  # "a startup backed by Foo"
                found.append(t.head)
        keys: list[str] = []
        for tok in found:
            keys += [k for k in rx.keys_at(doc, tok, self) if k not in keys and self._fundable(k)]
        return keys

    def _fundable(self, key: str) -> bool:
        """What raises money is an organisation, whatever the small model typed it ("Aurora" as a
        product, "Velora" as a person); only a person's full name is surely no company."""
        c = self.clusters[key]
        return c.type != "Person" or c.maybe_company

    def _sentence_recipients(self, i: int) -> list[str]:
        """The organisations sentence i tells of raising money or being backed (cached)."""
        cache = self._recipient_cache
        if i not in cache:
            rx = self.rx
            sent = self.sents[i]
            keys: list[str] = []
            for t in sent:
                low = t.lemma_.lower()
                if t.pos_ == "VERB" and low in rx.recipient_verbs and not any(
                        x.ent_type_ == "MONEY" or x.lemma_.lower() in rx.round_nouns for x in t.subtree if x.i != t.i):
                    continue  # "got a new office": no money, no round
                if low in rx.round_words or low in rx.recipient_verbs or low in rx.backing_verbs:
                    keys += [k for k in self._recipients_at(t) if k not in keys]
            cache[i] = keys
        return cache[i]

    def context_subject(self, trigger: Token, spec: dict) -> list[str]:
        """Implicit agent of 'Instagram was bought for $1b': an organisation in the same sentence,
        else the topic organisation of the document."""
        objects = set()
        for c in trigger.children:
            if c.dep_ in ("nsubjpass", "dobj") or (c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN")):
                objects |= set(self.rx.keys_at(self.doc, c, self))
        for t in trigger.sent:
            k = self.token_keys.get(t.i)
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
