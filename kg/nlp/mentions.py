"""`techkg_mentions`: types every entity span and groups the mentions of one entity in a document.

Typing comes from the KB, Wikipedia links, spaCy's label, name cues and descriptions ("the startup
X", "a model called X"); grouping from KB ids, acronyms and renames, surnames, short company names
and possessives. The result is `doc._.kg_clusters` (key -> Cluster) and `doc._.kg_token_keys`.
"""
from __future__ import annotations

import re
import string
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import ENT_IOB, IS_ALPHA, IS_LOWER, IS_TITLE, IS_UPPER, LENGTH, LIKE_URL, LOWER, ORTH, POS, PREFIX
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.strings import get_string_id
from spacy.symbols import PROPN
from spacy.tokens import Doc, Span, Token

from .attributes import ROUND_RE
from .kb import KnowledgeBase, load_kb, normalize_name, spells, wikipedia_title
from .lexicon import (GRAPH_TYPES, LEX, NON_GRAPH_LABELS, ORG_TYPES, clean_name, expand_sets, load_patterns,
                      string_ids, tokens_where, type_family)


# a short quoted title: "Lord of the Rings", “Eye of Sauron”
ACRONYM_GLUE = {"of", "and", "for", "the", "de", "&", "für", "du", "la"}


def _unbalanced_parentheses(span: Span) -> set[int]:
    """Indices of the parentheses a span opens or closes without its partner."""
    opened, lone = [], set()
    for tok in span:
        if tok.text == "(":
            opened.append(tok.i)
        elif tok.text == ")":
            if opened:
                opened.pop()
            else:
                lone.add(tok.i)
    return lone | set(opened)


def _short_form(a: str, b: str) -> bool:
    """True when one name is a short form of the other: an acronym that spells it ("NSB" for
    "Norges Statsbaner"), some of its words ("DeepMind" for "Google DeepMind") or its beginning."""
    for x, y in ((a, b), (b, a)):
        bare = x.replace(".", "").strip("'\"")
        if bare.isupper() and 2 <= len(bare) <= 8 and bare.isalpha() and spells(bare, y):
            return True
        if x and (set(x.casefold().split()) <= set(y.casefold().split()) or y.casefold().startswith(x.casefold())):
            return True
    return False


def doc_text(doc: Doc) -> str:
    """The Doc's text, built once: `Doc.text` joins every token anew on each access, which cost more
    than the regular expressions run over it. Tokens never change inside the pipeline."""
    text = doc.user_data.get("text")
    if text is None:
        text = doc.user_data["text"] = doc.text
    return text


def _first_conjunct(tok: Token) -> Token:
    """The first member of the coordination a token belongs to ('B' and 'C' in 'A, B and C' -> 'A')."""
    while tok.dep_ == "conj" and tok.head.i < tok.i:
        tok = tok.head
    return tok


def _describe(doc: Doc, name: str, type_: str) -> None:
    """Record the type the text gives a name ("X is a puzzle game", "Mr X", "X (born 1950)"): every
    mention of that name becomes one entity of that type when clusters are built."""
    doc.user_data.setdefault("described", {})[normalize_name(name)] = type_


def _replace_entities(doc: Doc, spans: list[Span]) -> None:
    """Set ``spans`` as entities, dropping every entity that overlaps one of them."""
    if spans:
        keep = [e for e in doc.ents if not any(e.start < s.end and e.end > s.start for s in spans)]
        doc.set_ents(sorted(keep + spans, key=lambda e: e.start))


# a company named by its web address: "Xnor.ai", "Booking.com", "Quorbit.io"
DOMAIN_NAME = re.compile(r"[A-Z][A-Za-z0-9-]*[a-z0-9][A-Za-z0-9-]*\.(?:com|io|ai|net|org|co|app|dev|tv|me|ly|so|xyz)")
# NER labels that may continue a known company's name ("Toyota" + "Camry V6")
EXTENDING_LABELS = {"ORG", "PRODUCT", "WORK_OF_ART", "FAC", "EVENT"}
#: Labels of names that may hold a number ("500 Startups", "Perimeter 81"); not people, nor
#: countries and cities (LOC stays: the small model types one-word names such as "Startups" LOC).
NUMBERED_NAME_LABELS = {"ORG", "PRODUCT", "WORK_OF_ART", "FAC", "LOC"}
BORN = re.compile(r"\((?:born|b\.|née)\b", re.IGNORECASE)
QUOTED = re.compile(r'["“]([A-Z][^"“”\n]{2,60})["”]')
# a document's first line of the form "Name: Subtitle" ("Titanfall: Assault"), at most 10 words
COLON_TITLE = re.compile(r"\A\s*([A-Z0-9][^\n:]{0,60}: [A-Z0-9][^\n:]{0,60}?)\s*(?:\n|\Z)")
# a short first line followed by a blank line: a title ("Lumia imaging apps")
TITLE_LINE = re.compile(r"\A\s*([A-Z0-9][^\n.!?:()]{1,60})\n[ \t]*\n")
# a document's first line with no sentence end, followed by more text: a title or headline
HEADLINE = re.compile(r"\A[ \t]*([^\n]{1,240}?)[ \t]*\n\s*\S")
# an encyclopedia title with a lowercase qualifier: "Mono (software)", "Breakout (video game)"
QUALIFIED_TITLE = re.compile(r"\A\s*([A-Z0-9][^\n():]{0,60}?) \(([a-z][a-z -]{1,40})\)\s*(?:\n|\Z)")


def _words_of_full_person_names(mentions: list[Span]) -> set[str]:
    """Every word of the person names of two words or more: what a lone word may be short for."""
    return {w for m in mentions if m._.kg_type == "Person" and len(m) > 1 for w in clean_name(m.text).split()}


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
    #: a place whose name English knows (Berlin, Hyderabad): a real place, never a start-up the
    #: small model took for one, so it fills no organisation's slot (kg.nlp.candidates)
    known_place: bool = False
    #: the text treats it as a person: an honorific before a name ("Mr Ansari"), or "he"/"she"
    #: referring to it (kg.nlp.relations); such a one-word name is no company the model mistyped
    personal: bool = False

    @property
    def maybe_company(self) -> bool:
        """A one-word name the small model typed as a person that the KB does not know: as often a
        company ("Jobster", "Mapillary") as a surname, unless the text treats it as a person."""
        return self.type == "Person" and not self.kb and not self.personal and all(len(n.split()) == 1 for n in self.names)

    @property
    def label(self) -> str:
        if self.preferred:
            return self.preferred
        if self.type == "Person":
            return max(self.names, key=lambda n: (len(n.split()), self.names[n], n))
        return max(self.names, key=lambda n: (self.names[n], len(n), n))



@Language.factory("techkg_mentions", default_config={"kb_path": None})
def make_mentions(nlp: Language, name: str, kb_path: str | None):
    return MentionResolver(nlp, load_kb(kb_path))


def camel_case(tok: Token) -> bool:
    """'SoftTechVC', 'OpenAI': a capital first letter, capitals inside and lower-case letters
    (two at least: 'PhD' and 'EPs' are abbreviations), never an English word."""
    text = tok.text
    return tok.is_alpha and not tok.is_title and text[0].isupper() and sum(c.islower() for c in text) >= 2


class MentionResolver:
    def __init__(self, nlp: Language, kb: KnowledgeBase):
        self.kb = kb
        # PREFIX hashes of the capital letters, as `Doc.to_array` gives them (signed)
        self.capital_letters = np.array([nlp.vocab.strings.add(c) for c in string.ascii_uppercase],
                                        dtype=np.uint64).astype(np.int64)
        self.alias_matcher = Matcher(nlp.vocab)
        # a token inside an entity the graph keeps: a native attribute, so the Matcher tests it in C
        labels = {"non_graph_labels": ["", *sorted(NON_GRAPH_LABELS)]}
        for p in load_patterns("aliases")["patterns"]:
            self.alias_matcher.add(p["id"], [expand_sets(p["pattern"], labels)], greedy="LONGEST")
        self.naming_matcher = Matcher(nlp.vocab)
        self.naming_matcher.add("called", [[{"LOWER": {"IN": LEX["naming_verbs"]}},
                                            {"LOWER": "as", "OP": "?"},
                                            {"IS_TITLE": True, "POS": {"IN": ["PROPN", "NOUN", "ADJ", "VERB"]}, "OP": "+"},
                                            {"LIKE_NUM": True, "OP": "?"}]], greedy="LONGEST")
        self.label_types = LEX["spacy_label_types"]
        self.org_cues = LEX["org_name_cues"]
        self.product_desc = {w: t for t, ws in LEX["product_descriptor_nouns"].items() for w in ws}
        self.org_desc = {w: t for t, ws in LEX["org_descriptor_nouns"].items() for w in ws}
        self.generic = {w.casefold() for w in LEX["generic_names"]} \
            | {w.casefold() for w in LEX["generic_org_names"]["words"]}
        self.org_suffixes = set(LEX["org_name_suffixes"])
        self.office_titles = set(LEX["office_title_words"])
        self.made_verbs = set(LEX["made_verbs"])
        self.honorifics = set(LEX["honorifics"])
        self.post_nominals = set(LEX["post_nominals"]["words"])
        self.guidance_nouns = set(LEX["person_guidance_nouns"])
        self.employer_titles = set(LEX["employer_title_words"])
        self.series_nouns = set(LEX["series_nouns"])
        self.name_titles = set(LEX["name_title_words"])
        # "Ex Acme CEO", "Former Acme CEO": NER often takes a sentence's opening "Ex" into the name
        # ("late" and "past" open names of works too: "Late Show", "Past Lives")
        self.leading_former = set(LEX["former_markers"]) - {"late", "past"}
        # words that make up job titles: a mention made of nothing else is a title, not a name
        self.role_words = {w for ws in LEX["titles"].values() for t in ws for w in t.split()} | self.name_titles \
            | set(LEX["role_only_words"])
        # the last words of job titles ("director", "chair", "accountant"): one of them in a run of
        # role words makes the run a title
        self.title_heads = {t.split()[-1] for ws in LEX["titles"].values() for t in ws}
        # words that mark capitalised words beside them as a title: the content words of titles,
        # "the" before them ("the Speaker") and "of" after them ("Bishop of Ely"). "and", "&" and a
        # preceding "of" join the words of a title ("Head of Sales and Marketing") but say nothing
        # of a name beside them ("Blue Fern Partners and ...", "a unit of Blue Fern Partners")
        content = {w for w in self.role_words if any(c.isalpha() for c in w) and w not in nlp.Defaults.stop_words}
        self.title_before, self.title_after = content | {"the"}, content | {"of"}
        # nouns a name before them makes an employer: "Vantix staff", "Brixa chief", "Brixa co-founder"
        self.employer_nouns = self.role_words | self.employer_titles | set(LEX["staff_nouns"]) | set(LEX["membership_nouns"])
        self.english = self._english(nlp)
        self.name_suffixes = set(LEX["name_suffixes"])

    @staticmethod
    def _english(nlp: Language) -> dict:
        """The lemmatizer's word index (noun, verb, adjective, adverb lists), or nothing."""
        if "lemmatizer" not in nlp.pipe_names:
            return {}
        try:
            table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
        except (KeyError, AttributeError):
            return {}
        return {pos: frozenset(words) for pos, words in table.items()}

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
        if span.label_ in GRAPH_TYPES:
            return span.label_, span.ent_id_ or None
        base = self.label_types.get(span.label_)
        name = clean_name(span.text)
        if not name or not re.search(r"[A-Za-z]", name):
            return None, None
        words = name.split()
        if base in ("Organization", "Product") or (base == "Person" and len(words) > 1 and self._org_kind_word(words[-1])):
            for t in ("University", "ResearchLab", "Investor"):
                if any(cue in words or (" " in cue and cue in name) for cue in self.org_cues[t]):
                    return t, None
            if base == "Organization" and words[-1] not in self.org_cues["Company"] and self.non_business(name):
                return "Organization", None  # "Labour Party", "Ministry of Defence", "Supreme Court"
            if base == "Organization" or words[-1] in self.org_cues["Company"]:
                return "Company", None
        if base == "Product" and self._looks_like_model(span):
            return "AIModel", None
        return base, None

    def _org_kind_word(self, word: str) -> bool:
        """A last word that makes a name an organisation's, even where NER said PERSON ("Halli Labs",
        "Harbor Ventures"): a company suffix, or an English word naming a kind of organisation
        ("Labs", "Capital", "Institute"; not a surname cue such as the "Horowitz" of "Andreessen
        Horowitz")."""
        if word in self.org_cues["Company"]:
            return True
        low = word.lower()
        return any(word in self.org_cues[k] for k in ("ResearchLab", "Investor", "University")) \
            and (self.known_word(low) or (low.endswith("s") and self.known_word(low[:-1])))

    def non_business(self, name: str) -> bool:
        """A name headed by a word of a non-business organisation (lexicon org_name_cues.Organization:
        party, army, ministry, court, parliament, church, council, agency, union, ...) and not
        ending in a company's legal form or business word."""
        words = name.split()
        if not words or words[-1] in self.org_cues["Company"]:
            return False
        return any(cue in words or (" " in cue and cue in name) for cue in self.org_cues["Organization"])

    def _looks_like_model(self, span: Span) -> bool:
        nxt = span.doc[span.end] if span.end < len(span.doc) else None
        return bool(nxt is not None and nxt.lower_ in ("model", "models", "llm"))

    def _made_by_someone(self, span: Span) -> bool:
        """'X was developed by Y', 'X, a game developed by Y', 'X, designed by Y': a made thing."""
        root = span.root
        verbs = []
        if root.dep_ == "nsubjpass":
            verbs.append(root.head)
        verbs += [c for c in root.children if c.dep_ == "acl"]
        # "Lumia Panorama which was developed by Nokia"
        verbs += [c for c in root.children if c.dep_ == "relcl" and any(
            g.dep_ == "nsubjpass" and g.lower_ in ("which", "that") for g in c.children)]
        if root.dep_ in ("nsubj", "nsubjpass") and root.head.lemma_ == "be":  # "X is a game developed by Y"
            for attr in root.head.children:
                if attr.dep_ == "attr":
                    verbs += [c for c in attr.children if c.dep_ == "acl"]
        return any(v.lemma_.lower() in self.made_verbs and any(c.dep_ == "agent" for c in v.children) for v in verbs)

    def _guides_someone(self, span: Span) -> bool:
        """'under the supervision of X (and Y)', 'the tutelage of X': X supervises or mentors a
        person, which only a person does."""
        head = _first_conjunct(span.root)
        of = head.head
        return head.dep_ == "pobj" and of.lower_ == "of" and of.head.lemma_.lower() in self.guidance_nouns

    def _possessed_line(self, span: Span) -> str | None:
        """'its Xeon processors', "Acme's Zorb chips": a name compounded onto a product noun that
        someone possesses names a line of that someone's products, not a company (a maker would
        be the possessor: "Intel's chips")."""
        root = span.root
        noun = root.head
        if root.dep_ != "compound" or noun.pos_ != "NOUN" or noun.i < span.end:
            return None
        t = self.product_desc.get(noun.lemma_.lower())
        if t and any(c.dep_ == "poss" for c in noun.children):
            return t
        return None

    def listed_type(self, span: Span) -> str | None:
        """'missiles such as X and Y', 'apps including X', 'franchises, which include X': the type of
        the noun a list exemplifies."""
        head = _first_conjunct(span.root)
        noun = None
        if head.dep_ == "pobj" and (head.head.lower_ == "including" or head.head.lower_ == "as" and any(
                c.lower_ == "such" for c in head.head.children)) and head.head.head.pos_ == "NOUN":
            noun = head.head.head  # the parser may hang the list on a coordinated noun: try those too
        elif head.dep_ == "dobj" and head.head.lemma_ == "include" and head.head.dep_ == "relcl":
            noun = head.head.head  # "its franchises, which include X, Y and Z"
        if noun is not None:
            for cand in (noun, *(c for c in noun.children if c.dep_ == "conj")):
                t = self.product_desc.get(cand.lemma_.lower()) or self.org_desc.get(cand.lemma_.lower())
                if t:
                    return t
        return None

    def descriptor_type(self, span: Span, compound: bool = False) -> str | None:
        """Type implied by an apposed or compound common noun ('the startup X', 'a model called X')
        or by the noun a list exemplifies ('missiles such as X and Y', 'apps including X')."""
        t = self.listed_type(span)
        if t:
            return t
        root = span.root
        near = [root.head, *root.head.children] if root.dep_ in ("appos", "compound", "oprd", "attr", "dobj") else []
        if root.dep_ == "compound" and root.head.pos_ == "PROPN":
            near = []  # "the Atari arcade game Pong": the nouns describe Pong, not its maker
        if compound:  # "the arcade game Pong": a common noun compounded right before the name
            near += [c for c in root.children if c.dep_ == "compound" and c.i == span.start - 1]
        for tok in near:
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
        self._trim_titles(doc)
        self._join_colon_title(doc)
        self._type_qualified_title(doc)
        self._extend_known_prefixes(doc)
        self._add_acronym_expansions(doc)
        self._add_named_entities(doc)
        self._extend_names(doc)
        self._add_domain_names(doc)
        self._around_person_names(doc)
        self._add_proper_noun_runs(doc)
        self._add_name_numbers(doc)
        self._drop_tails_of_known_names(doc)
        self._add_employers_before_titles(doc)
        self._add_short_org_names(doc)
        self._add_described_entities(doc)
        self._add_described_title(doc)
        self._add_known_surnames(doc)
        self._mark_born_people(doc)
        self._mark_addressed_people(doc)
        self._propagate_names(doc)
        mentions = [e for e in doc.ents if e.label_ not in NON_GRAPH_LABELS or e.label_ in ("GPE", "LOC")]
        orth, is_lower = doc.to_array([ORTH, IS_LOWER]).reshape(-1, 2).T
        lowercase_words = {doc.vocab.strings[int(h)] for h in np.unique(orth[is_lower == 1])}
        described = doc.user_data.get("described", {})
        quotes = [(m.start(1), m.end(1)) for m in QUOTED.finditer(doc_text(doc))]
        # capitalised words written somewhere other than at the start of a sentence or line
        inner_titles = {t.text for t in doc if t.is_title and not t.is_sent_start and t.i > 0
                        and "\n" not in doc[t.i - 1].text and not doc[t.i - 1].is_punct}
        headline_end = self._headline_end(doc)
        body = doc_text(doc)[headline_end:]
        typed: list[Span] = []
        person_ends = {e.end for e in mentions if e.label_ == "PERSON"}
        for ent in mentions:
            if self._post_nominal(ent, person_ends):
                continue  # "Kim Lee, MD, PhD": degrees, not a place and a company
            if len(ent) == 1 and ent[0].like_url and not DOMAIN_NAME.fullmatch(ent[0].text):
                continue  # "index.html", "www.example.com": an address, not a name
            if self._dateline(ent):
                continue  # "BERLIN (Reuters) -": who reports the story, not who is in it
            if ent.end_char <= headline_end and clean_name(ent.text) not in body:
                continue  # a name only the title line writes: "... - The Economic Times", "Acme Buys Widgetly"
            if len(ent) == 1 and ent[0].is_title and ent[0].text.lower() in lowercase_words \
                    and not self.kb.lookup(ent.text) and normalize_name(ent.text) not in described:
                continue  # "Content is ..." at a sentence start: the document also writes "content"
            if len(ent) == 1 and ent[0].is_title and ent[0].text not in inner_titles and not self.kb.lookup(ent.text) \
                    and not self.known_possessive(ent.text) \
                    and normalize_name(ent.text) not in described and ent.label_ not in GRAPH_TYPES \
                    and (ent[0].pos_ in ("ADP", "SCONJ", "PRON", "DET")
                         or ent[0].pos_ != "PROPN" and self.english_word(ent[0])) \
                    and not (ent.label_ == "PERSON" and ent[0].pos_ == "PROPN"):
                continue  # "Anecdotally it seems", "Having a better model": an English word opening a sentence
                # (a word English does not know stays a name whatever the tagger made of it:
                # "Brightwave makes payroll software", with "Brightwave" tagged as a verb)
            if any(a <= ent.start_char and ent.end_char <= b and (ent.start_char, ent.end_char) != (a, b)
                   for a, b in quotes) and not self.kb.lookup(clean_name(ent.text)):
                continue  # a word inside a quoted title: "Rings" of "Lord of the Rings"
            t, kb_id = self.type_of(ent)
            name = clean_name(ent.text)
            if t is None or not name:
                continue
            words = [tok for tok in ent if tok.is_alpha]  # none in "Xnor.ai", "3M": letters still make a name
            if not kb_id and ((all(tok.is_stop or tok.pos_ in ("PRON", "DET", "ADP") for tok in words) if words
                               else not any(c.isalpha() for c in name))
                              or all(w.lower().strip(".,") in self.role_words or w in self.office_titles for w in name.split())
                              or all(w.strip(".,") in self.org_suffixes for w in name.split())):
                continue  # "Its", "This", "Executive Director", "Emeritus", "LLC": not names
            if not kb_id and type_family(t) == "Org" and len(name.split()) > 2 and name.split()[0] in self.office_titles \
                    and name.split()[1] == "of":
                continue  # "Minister of Public Service and Administration": an office, not an organisation
            if not kb_id and type_family(t) == "Org" and ent[-1].lower_ in self.title_heads \
                    and ((ent.start > 0 and doc[ent.start - 1].lower_ in ("a", "an")) or (ent.end < len(doc) and doc[ent.end].lower_ == "at")):
                continue  # "an Engagement Manager", "Regional Director at Acme": a job, not an organisation
            if not kb_id and (all(part.casefold() in self.generic for part in re.split(r"[/\s]+", name) if part)
                              or (len(ent) == 1 and ent[0].pos_ != "PROPN" and ent.label_ not in GRAPH_TYPES
                                  and not (ent[0].is_upper and len(name) > 1)  # an acronym tagged NOUN: "NXT"
                                  and not (ent[0].is_title and not self.known_word(ent[0].lower_))  # "Zorbit"
                                  and not camel_case(ent[0])  # "QuillStackVC" tagged NOUN
                                  and not DOMAIN_NAME.fullmatch(ent[0].text)  # "Xnor.ai" tagged X
                                  and not self.known_possessive(name))):
                continue
            if not kb_id and (ROUND_RE.fullmatch(name) or len(name.rstrip(".")) == 1):
                continue  # "Series B", "Seed", the "C" of "series C": a round or a letter, not a name
            if t in ("Organization", "Product", "Company") and not kb_id:
                t = self.descriptor_type(ent) or t
            if t in ("Organization", "Company", "Person") and not kb_id and self._made_by_someone(ent):
                t = "Product"  # "Arkanoid, developed by Taito": what is developed by someone is a product
                _describe(doc, name, t)
            elif t in ("Organization", "Company", "Place", "Person") and not kb_id and (line := self._possessed_line(ent)):
                t = line  # "its Xeon processors": a product line of the owner
            elif t in ("Organization", "Company") and not kb_id and len(ent) > 1 and self._guides_someone(ent):
                t = "Person"  # "under the supervision of Klaus Wagner": the small model said ORG
            elif t == "Place" and not kb_id and len(ent) == 1:
                # "missiles such as Cirit and Sungur", "the arcade game Pong": not a place
                t = self.descriptor_type(ent, compound=True) or t
                if t == "Place" and ent.root.dep_ == "pobj" and ent.root.head.dep_ == "agent" \
                        and ent.root.head.head.lemma_.lower() in self.made_verbs:
                    t = "Company"  # "developed by Taito": a maker, not a place
            ent._.kg_type = t
            ent._.kg_key = f"kb:{kb_id}" if kb_id else None
            typed.append(ent)
        self._retype_org_like_people(typed)
        typed = self._drop_modifier_names(typed)
        clusters = self._cluster(doc, typed)
        doc._.kg_mentions = typed
        doc._.kg_clusters = clusters
        doc._.kg_token_keys = {tok.i: ent._.kg_key for ent in typed for tok in ent}
        return doc

    @staticmethod
    def _retype_org_like_people(mentions: list[Span]) -> None:
        """The small model calls many companies PERSON ("Sega", "Square Enix Europe"). A person
        mention is an organisation when its name is also tagged as one elsewhere in the document
        and is never part of a longer person name, or when it extends an organisation's name."""
        org_names = {clean_name(m.text) for m in mentions if type_family(m._.kg_type) == "Org"}
        person_words = _words_of_full_person_names(mentions)
        by_token: dict[int, list[Span]] = {}
        for m in mentions:
            by_token.setdefault(m.root.i, []).append(m)
        for m in mentions:
            if m._.kg_type != "Person" or m._.kg_key:
                continue
            name = clean_name(m.text)
            words = name.split()
            if (name in org_names and not (len(words) == 1 and name in person_words)) \
                    or any(" ".join(words[:n]) in org_names for n in range(1, len(words))):
                m._.kg_type = "Company"
            elif len(m) == 1 and name not in person_words:
                # "at Harvard, Tulane, NYU and Stanford": a lone word listed among organisations of
                # one kind (and no person) is one of them
                listed = [x._.kg_type for t in MentionResolver._coordinated(m.root) for x in by_token.get(t.i, ())]
                if len(listed) >= 2 and len(set(listed)) == 1 and type_family(listed[0]) == "Org":
                    m._.kg_type = listed[0]

    def _drop_modifier_names(self, mentions: list[Span]) -> list[Span]:
        """A lone word the small model calls a person, used only to modify a common noun ("Zorlo
        tickets", "the Kelvo trilogy"), is rarely one: of the 20 such words in the training part of
        Re-DocRED, 2 are people, 11 places or organisations and 7 no entity at all, so no type can
        be given to it, and it is dropped. It stays before a word of a role or a staff ("Vantix
        staff", "Brixa co-founder": an employer, which the candidates may still take as an
        organisation), when the document names the person in full ("Brandt recordings" beside
        "Tomas Brandt"), and when it is a known name with a possessive "s" and no apostrophe."""
        person_words = _words_of_full_person_names(mentions)
        names = {clean_name(m.text) for m in mentions}

        def modifier_only(m: Span) -> bool:
            if m._.kg_type != "Person" or len(m) > 1 or m._.kg_key or m.root.dep_ != "compound" \
                    or m.root.head.pos_ != "NOUN" or m.root.head.lemma_.lower() in self.employer_nouns:
                return False
            name = clean_name(m.text)
            return name not in person_words and not (name.endswith("s") and name[:-1] in names) \
                and not self.known_possessive(name)

        return [m for m in mentions if not modifier_only(m)]

    def known_possessive(self, name: str) -> bool:
        """'Googles', 'Metas': a known name with a possessive "s" and no apostrophe."""
        return name.endswith("s") and bool(self.kb.lookup(name[:-1]))

    @staticmethod
    def _headline_end(doc: Doc) -> int:
        """Where the document's title line ends (0 if it has none). A headline is not a sentence of
        the text: a name it writes that the body never writes (the outlet of "... - The Economic
        Times", a title-case "Acme Buys Widgetly" NER took as one name) is not an entity."""
        m = HEADLINE.match(doc_text(doc))
        if not m or m.group(1).endswith((".", "!", "?", ":", ";", ",", '"', "\u201d")) or len(m.group(1).split()) > 30:
            return 0
        return m.end(1)

    @staticmethod
    def _coordinated(tok: Token) -> list[Token]:
        """The other members of the coordination a token belongs to ('A, B and C')."""
        top = _first_conjunct(tok)
        members, stack = [top], [top]
        while stack:
            for c in stack.pop().children:
                if c.dep_ == "conj":
                    members.append(c)
                    stack.append(c)
        return [t for t in members if t.i != tok.i] if len(members) > 2 else []

    def _split_entities(self, doc: Doc) -> None:
        """NER spans never cross a line break, a possessive ("Fu\n\nZuckerberg", "Meta's Bosworth"),
        a parenthesis they do not close ("Abra Group (UAE") or a list of two names ("Redwood Labs
        and Solano Ventures"), and never end in a preposition."""
        ents, changed = [], False
        for ent in doc.ents:
            parts, start = [], ent.start
            unclosed = _unbalanced_parentheses(ent)
            for tok in ent:
                if "\n" in tok.text or tok.i in unclosed \
                        or (tok.lower_ in ("'s", "’s") and tok.i > ent.start and not self._plural_possessor(tok)) \
                        or (tok.text == "," and tok.i + 1 < ent.end and ent.doc[tok.i + 1].text not in self.org_suffixes
                            and not ent.ent_id_):  # a known name ("University of California, Los Angeles") stays whole
                    if tok.i > start:
                        parts.append((start, tok.i))
                    start = tok.i + 1
                    changed = True
            if start < ent.end:
                parts.append((start, ent.end))
            if not ent.ent_id_:
                parts = [q for a, b in parts for q in self._split_coordination(doc, a, b)]
                changed = changed or len(parts) > 1
            for a, b in parts:
                if any(ch.isalnum() for ch in doc[a:b].text):
                    ents.append(Span(doc, a, b, label=ent.label_, kb_id=ent.kb_id_, span_id=ent.id_))
        # "the University of Illinois at | Springfield": a name that ends in a preposition goes on
        # into the entity right after it
        joined: list[Span] = []
        for e in ents:
            prev = joined[-1] if joined else None
            if prev is not None and prev.end == e.start and prev[-1].lower_ in ("of", "at", "in", "for", "&", "and") \
                    and prev.label_ in ("ORG", "FAC") and not prev.kb_id_:
                joined[-1] = Span(doc, prev.start, e.end, label=prev.label_)
                changed = True
            else:
                joined.append(e)
        if changed:
            doc.set_ents(joined)

    @staticmethod
    def _split_coordination(doc: Doc, a: int, b: int) -> list[tuple[int, int]]:
        """Token ranges of a span that coordinates two names of two words or more, the second a
        conjunct of the first's head ("Redwood Labs and Solano Ventures"); "Procter and Gamble",
        "Bill & Melinda Gates Foundation" and "Department of Housing and Urban Development" (the
        conjunct hangs inside the first name) stay whole."""
        for i in range(a + 2, b - 2):
            tok = doc[i]
            if tok.lower_ not in ("and", "&") or tok.dep_ != "cc":
                continue
            left, right = doc[a:i], doc[i + 1:b]
            if right.root.dep_ == "conj" and right.root.head == left.root and left.root.head.i not in range(a, b):
                return [(a, i), (i + 1, b)]
        return [(a, b)]

    def _trim_titles(self, doc: Doc) -> None:
        """A job title is not part of a name: 'Nvidia CEO' is Nvidia (an employer: the name before a
        title is an organisation), 'CEO Jane Doe' is Jane Doe; nor is a word that makes it a past
        role ('Ex Nvidia CEO')."""
        ents, changed = [], False
        for e in doc.ents:
            start, end = e.start, e.end
            while start < end - 1 and (doc[start].lower_ in self.name_titles or doc[start].lower_ in self.leading_former):
                start += 1
            while end > start + 1 and doc[end - 1].lower_ in self.name_titles:
                end -= 1
            if e.label_ == "PERSON":  # "Mrs Jane Doe", "Chancellor Jo Bloggs": the name is Jane Doe, Jo Bloggs
                while end - start > 2 and (self.honorific(doc[start]) or doc[start].text in self.office_titles):
                    start += 1
                # "Ms Brennick" is Brennick, the same person as Anne Brennick (kept a person by its honorific)
                if end - start == 2 and self.honorific(doc[start]) and doc[start + 1].is_title:
                    start += 1
            elif e.label_ == "ORG":  # "Board of Directors for Acme", "Chair for Acme Relations": the name is after the title
                start = self._after_title_run(doc, start, end)
            if (start, end) == (e.start, e.end) or (end - start == 1 and doc[start].lower_ in self.name_titles):
                ents.append(e)
                continue
            changed = True
            label = "ORG" if end < e.end and e.label_ not in GRAPH_TYPES else e.label_
            ents.append(Span(doc, start, end, label=label, kb_id=e.kb_id_ if label == e.label_ else 0))
        if changed:
            doc.set_ents(ents)

    def _after_title_run(self, doc: Doc, start: int, end: int) -> int:
        """Where a name starts in a span that opens with a job title and a preposition ("Board of
        Directors for Acme Corp"): after the preposition, when every word before it is a role word
        and one is the head of a title; else where it started ("Department for Education")."""
        for i in range(start + 1, end - 1):
            if doc[i].lower_ in ("at", "for", "by", "with"):
                words = [{t.lower_, t.lower_[:-1] if t.lower_.endswith("s") else t.lower_} for t in doc[start:i]]  # "Directors"
                if all(w & self.role_words for w in words) and any(w & self.title_heads for w in words) \
                        and doc[i + 1].is_title:
                    return i + 1
                break
        return start

    @staticmethod
    def _plural_possessor(tok: Token) -> bool:
        """"People's Republic", "Women's Championship", "Children's BBC": a possessive after a plural
        noun is part of the name, not a possessor and its possession."""
        prev = tok.doc[tok.i - 1]
        return prev.tag_ in ("NNS", "NNPS") or prev.lower_ in ("people", "women", "men", "children")

    @staticmethod
    def _title_mentions(doc: Doc, title: str, inside_names: bool = True) -> list[Span]:
        """Every whole-word occurrence of a document's title in its text, as token spans; with
        ``inside_names=False``, not those inside a longer entity NER found ('Mono project')."""
        spans = []
        for occ in re.finditer(r"(?<![\w-])" + re.escape(title) + r"(?![\w-])", doc_text(doc)):
            span = doc.char_span(occ.start(), occ.end())
            if span is None or not inside_names and any(
                    e.start < span.end and e.end > span.start and (e.start < span.start or e.end > span.end) for e in doc.ents):
                continue
            spans.append(span)
        return spans

    @staticmethod
    def _join_colon_title(doc: Doc) -> None:
        """'Excitebots: Trick Racing': a document titled 'Name: Subtitle' is about one thing with that
        whole name, which NER splits at the colon. Every occurrence of the title in the text is one
        entity, labelled as NER labelled its parts (a product by default)."""
        m = COLON_TITLE.match(doc_text(doc))
        if not m or len(m.group(1).split()) > 10:
            return
        spans = []
        for span in MentionResolver._title_mentions(doc, m.group(1)):
            labels = [e.label_ for e in span.ents if e.label_ in EXTENDING_LABELS]
            spans.append(Span(doc, span.start, span.end, label=labels[-1] if labels else "PRODUCT"))
        _replace_entities(doc, spans)

    def _type_qualified_title(self, doc: Doc) -> None:
        """'Mono (software)': an encyclopedia article titled with a qualifier names its subject and
        says what it is. Every standalone mention of the name is that entity, typed by the qualifier's
        noun; a mention inside a longer name NER found ('Mono project' is kept whole) is left alone."""
        m = QUALIFIED_TITLE.match(doc_text(doc))
        if not m:
            return
        name, qualifier = m.group(1), m.group(2).strip()
        last = qualifier.split()[-1]
        t = next((d[w] for w in (qualifier, last) for d in (self.product_desc, self.org_desc) if w in d), None)
        if t is None:
            return
        spans = [Span(doc, o.start, o.end, label=t) for o in self._title_mentions(doc, name, inside_names=False)]
        if spans:
            _describe(doc, name, t)
        _replace_entities(doc, spans)

    def honorific(self, tok: Token) -> bool:
        """'Mr', 'Dr.', 'Prof': a word that says the name after it is a person's."""
        return tok.lower_.rstrip(".") in self.honorifics

    def _mark_addressed_people(self, doc: Doc) -> None:
        """'Mr Ansari', 'Dr. Okafor': a name after an honorific is a person's, whatever NER typed it,
        in every mention of that name in the document (the small model calls many surnames ORG)."""
        changes = []
        for e in doc.ents:
            if e.label_ == "PERSON":
                continue
            start = e.start
            if start < e.end - 1 and self.honorific(doc[start]):
                start += 1
            elif not (start > 0 and self.honorific(doc[start - 1]) and doc[start - 1].is_title):
                continue
            if e.end - start > 3 or not all(t.is_title for t in doc[start:e.end]):
                continue
            changes.append(Span(doc, start, e.end, label="PERSON"))
            _describe(doc, clean_name(doc[start:e.end].text), "Person")
        _replace_entities(doc, changes)

    @staticmethod
    def _mark_born_people(doc: Doc) -> None:
        """'Osmund Ueland (born 27 September 1947)': whatever NER says (or if it says nothing), a
        name followed by a birth date in parentheses is a person, in every mention of that name in
        the document."""
        by_end = {e.end: e for e in doc.ents}
        taken = {i for e in doc.ents for i in range(e.start, e.end)}
        changes = []
        for m in BORN.finditer(doc_text(doc)):
            tok = doc.char_span(m.start(), m.start() + 1, alignment_mode="expand")[0]
            if tok.i == 0 or tok.text != "(":
                continue
            e = by_end.get(tok.i)
            if e is None:
                start = tok.i
                while start > 0 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].is_title \
                        and start - 1 not in taken and tok.i - start < 4:
                    start -= 1
                if tok.i - start < 2:
                    continue
                e = doc[start:tok.i]
            elif e.label_ == "PERSON":
                continue
            changes.append(Span(doc, e.start, e.end, label="PERSON"))
            _describe(doc, clean_name(e.text), "Person")
        _replace_entities(doc, changes)

    def _add_acronym_expansions(self, doc: Doc) -> None:
        """'Norges Statsbaner (NSB)': the capitalised words before a parenthesised acronym that spell
        it (initials first, the other letters in order) are the acronym's full name, whatever NER
        made of them ('Statsbaner' as a PERSON)."""
        changes = []
        for e in doc.ents:
            acr = e.text
            if len(e) != 1 or not (2 <= len(acr) <= 8) or not acr.isupper() or not acr.isalpha() \
                    or e.start < 2 or e.end >= len(doc) or doc[e.start - 1].text != "(" or doc[e.end].text != ")":
                continue
            best = None
            i = e.start - 2
            while i >= max(0, e.start - 2 - len(acr) - 2):
                tok = doc[i]
                if not (tok.is_title or tok.is_upper or (tok.lower_ in ACRONYM_GLUE and i < e.start - 2)):
                    break
                if tok.text[0].upper() == acr[0] and tok.lower_ not in ACRONYM_GLUE and spells(acr, doc[i:e.start - 1].text):
                    best = i
                i -= 1
            if best is not None and e.start - 1 - best >= 2:
                label = e.label_ if e.label_ == "PRODUCT" or e.label_ in GRAPH_TYPES else "ORG"
                changes.append(Span(doc, best, e.start - 1, label=label))
        _replace_entities(doc, changes)

    def _extend_known_prefixes(self, doc: Doc) -> None:
        """'Samsung Galaxy S9', 'Microsoft Mobile', 'Toyota Camry V6': the KB ruler claims the known
        company name first, so NER can only tag the rest, or nothing (and NER itself sometimes splits
        a maker from its product). A known organisation directly followed by another name (an entity
        that is not itself known, or capitalised proper nouns), or an ORG directly followed by a
        PRODUCT or another ORG ("Toyota | AI Ventures"), is the first word of that longer name,
        which takes NER's label for the rest (PRODUCT by default)."""
        ents = list(doc.ents)
        by_start = {e.start: i for i, e in enumerate(ents)}
        changed = False
        for i, e in enumerate(ents):
            if e is None:  # already absorbed by the name before it
                continue
            known = bool(e.ent_id_) and e.label_ in ORG_TYPES
            if not (known or e.label_ == "ORG") or e.end >= len(doc) or e[-1].whitespace_ != " ":
                continue
            nxt = ents[by_start[e.end]] if e.end in by_start else None
            if not known and (nxt is None or nxt.label_ not in ("PRODUCT", "WORK_OF_ART", "ORG")):
                continue  # NER split "Toyota | Camry V6", "Toyota | AI Ventures": a product or an organisation
            if nxt is not None:
                one_word_person = known and nxt.label_ == "PERSON" and len(nxt) == 1  # "Google Calendar"
                if nxt.ent_id_ or not (nxt.label_ in EXTENDING_LABELS or one_word_person) \
                        or not nxt[0].is_title and not nxt[0].is_upper:
                    continue
                end, label = nxt.end, "PRODUCT" if one_word_person else nxt.label_
            else:
                if e.label_ != "Company":
                    continue  # "Stanford CRFM HELM": a lab's or university's name is not a maker's prefix
                end = e.end
                while end < len(doc) and not doc[end].ent_type_ and doc[end].tag_ == "NNP" and (
                        doc[end].is_title or doc[end].is_upper) and doc[end - 1].whitespace_ == " " \
                        and doc[end].lower_ not in self.name_titles:  # "Nvidia CEO Jensen Huang": a title ends it
                    end += 1
                while end < len(doc) and end > e.end and not doc[end].ent_type_ and doc[end].like_num \
                        and doc[end - 1].whitespace_ == " ":
                    end += 1
                if end == e.end:
                    continue
                label = "ORG" if doc[end - 1].text in self.org_cues["Company"] else "PRODUCT"  # "Sony Pictures"
            ents[i] = Span(doc, e.start, end, label=label)
            if nxt is not None:
                ents[by_start[e.end]] = None
            changed = True
        if changed:
            doc.set_ents([e for e in ents if e is not None])

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

    @staticmethod
    def _drop_tails_of_known_names(doc: Doc) -> None:
        """The KB ruler claims a known name before NER runs, so a longer name that begins with one
        (a painter "Claude Marchetti", "Llama Turbo", "the Stanford CRFM VISTA benchmark") reaches
        NER and the proper-noun runs cut, and its rest comes back as a name of its own. A name
        that directly follows a known name (one space, no punctuation) and was not joined to it
        by `_extend_known_prefixes` is such a rest: none of the 6 in the training part of
        Re-DocRED is a name by itself (4 are the end of the longer name). The known name keeps its
        link, which is wrong when the longer name is someone else's (the painter)."""
        ents = list(doc.ents)
        known_end = {e.end for e in ents if e.ent_id_ and e[-1].whitespace_ == " "}
        tails = [e for e in ents if e.start in known_end and not e.ent_id_ and e.label_ not in NON_GRAPH_LABELS
                 and (e[0].is_title or e[0].is_upper)]
        if tails:
            doc.set_ents([e for e in ents if e not in tails])

    def _add_employers_before_titles(self, doc: Doc) -> None:
        """'Eskom chairperson Ben Ngubane', 'Vantix CEO Dana Ruiz': proper nouns compounded onto a
        company title that introduces a person are the name of the person's organisation, whether
        NER missed them or took them for a one-word person."""
        new = []
        people = {e.start: e.end for e in doc.ents if e.label_ in ("PERSON", "Person")}
        for title in tokens_where(doc, LOWER, self.employer_titles):
            end = people.get(title.i + 1)
            if end is None:
                continue
            start = title.i
            while start > 0 and self._name_word(doc[start - 1]) and doc[start - 1].dep_ == "compound" \
                    and (doc[start - 1].is_title or doc[start - 1].is_upper) and start <= doc[start - 1].head.i < end \
                    and doc[start - 1].lower_ not in self.leading_former \
                    and (not doc[start - 1].ent_type_ or people.get(start - 1) == start):  # untagged, or a lone "PERSON"
                start -= 1
            if start < title.i:
                new.append(Span(doc, start, title.i, label="ORG"))
        _replace_entities(doc, new)

    def _name_word(self, tok: Token) -> bool:
        """A proper noun, or a word the tagger took for a common noun that English does not know
        ("Activision" opening a sentence)."""
        return tok.pos_ == "PROPN" or (tok.pos_ == "NOUN" and not self.known_word(tok.lower_))

    def _described_type(self, noun: Token) -> str | None:
        """'a video game', 'a line of devices', 'a subsidiary of X': the type a description gives."""
        if noun.lower_ == "name" and any(c.lower_ in ("brand", "trade") and c.dep_ == "compound" for c in noun.children):
            return "Product"  # "a brand name of fabric softener"
        if noun.lower_ in ("line", "series", "family", "range", "brand"):
            for c in noun.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    for g in c.children:
                        if g.dep_ == "pobj" and g.lower_ in self.product_desc:
                            return self.product_desc[g.lower_]
            return "Product"
        word, lemma = noun.lower_, noun.lemma_.lower()
        return self.product_desc.get(word) or self.org_desc.get(word) or self.product_desc.get(lemma) or self.org_desc.get(lemma)

    def _add_described_title(self, doc: Doc) -> None:
        """'Lumia imaging apps' above 'Lumia imaging apps are imaging applications by ...': an article
        whose first sentence opens with its title, as the subject of a description, is about that
        thing; every mention of the title is one entity of the described type, even when the name
        has common words NER does not tag."""
        m = TITLE_LINE.match(doc_text(doc))
        if not m or len(m.group(1).split()) > 6:
            return
        title = m.group(1).strip()
        occurrences = self._title_mentions(doc, title)
        body = [o for o in occurrences if o.sent.start != 0 and o.start == o.sent.start]
        if not body or any(e.start <= body[0].start and body[0].end <= e.end for e in doc.ents):
            return  # the first sentence does not open with the title, or NER already has it
        root = body[0].root
        if root.dep_ not in ("nsubj", "nsubjpass") or root.head.lemma_ != "be":
            return
        desc = next((c for c in root.head.children if c.dep_ == "attr" and c.pos_ == "NOUN"), None)
        t = self._described_type(desc) if desc is not None else None
        if t is None:
            return
        spans = [Span(doc, o.start, o.end, label=t) for o in self._title_mentions(doc, title, inside_names=False)]
        _describe(doc, title, t)
        _replace_entities(doc, spans)

    def _add_described_entities(self, doc: Doc) -> None:
        """'Nexus Q is a digital media player', 'Xamarin, a subsidiary of Microsoft': the described
        proper name is an entity of the type its description says, whatever NER made of it."""
        changes = []
        pos, lower, iob, title = doc.to_array([POS, LOWER, ENT_IOB, IS_TITLE]).reshape(-1, 4).T
        # a proper noun, or a capitalised word NER put in a name that the tagger took for a common
        # noun ("Zorbit is a puzzle game"), or a series noun
        named = (pos == PROPN) | (np.isin(iob, (1, 3)) & (title == 1))
        ents = doc.ents  # read once: the changes are set after the loop
        for i in np.flatnonzero(named | np.isin(lower, string_ids(doc, self.series_nouns))):
            tok = doc[int(i)]
            series = tok.pos_ == "NOUN" and tok.lower_ in self.series_nouns
            if not (named[i] or series) or tok.dep_ in ("compound", "flat"):
                continue
            desc = None
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.lemma_ == "be":
                desc = next((c for c in tok.head.children if c.dep_ == "attr" and c.pos_ == "NOUN"), None)
            if desc is None and not series:
                desc = next((c for c in tok.children if c.dep_ == "appos" and c.pos_ == "NOUN"), None)
            t = self._described_type(desc) if desc is not None else None
            if t is None:
                continue
            if series:  # "The Orion Q (Quick) series is a line of devices": the name before the noun
                names = [c.i for c in tok.children if c.dep_ in ("compound", "nmod") and c.pos_ == "PROPN" and c.i < tok.i]
                if not names:
                    continue
                start = end = min(names)
                while start > 0 and doc[start - 1].pos_ == "PROPN" and start <= doc[start - 1].head.i <= tok.i:
                    start -= 1
                while end < tok.i and doc[end].pos_ in ("PROPN", "NUM"):
                    end += 1
            else:
                start, end = tok.i, tok.i + 1
                while start > 0 and doc[start - 1].dep_ in ("compound", "flat", "nummod") and doc[start - 1].head.i <= tok.i \
                        and doc[start - 1].pos_ in ("PROPN", "NUM"):
                    start -= 1
            # the name the description is about is all of the name the word is in: "Vantor Holdings,
            # Inc., a maker of pumps" describes the company, not its legal form
            holder = next((e for e in ents if e.start <= tok.i < e.end), None)
            if holder is not None and not series:
                start, end = min(start, holder.start), max(end, holder.end)
            if any(c.start < end and start < c.end for c in changes):
                continue  # described twice ("X, LLC, a company …, is a … company"): typed once
            span = doc[start:end]
            overlapping = [e for e in ents if e.start < end and e.end > start]
            if any(self.kb.lookup(clean_name(e.text)) for e in overlapping):
                continue
            if t == "Investor" and any(e.label_ == "PERSON" for e in overlapping):
                continue  # "Dana Kovacs is an American investor": a person who invests
            changes.append(Span(doc, start, end, label=t))
            _describe(doc, clean_name(span.text), t)
        _replace_entities(doc, changes)

    def _add_known_surnames(self, doc: Doc) -> None:
        """A surname NER missed or mislabelled ('Sutskever, who runs ...'; 'Bohigian' as NORP) is a
        person once the full name was seen."""
        surnames = {e[-1].text for e in doc.ents if e.label_ in ("PERSON", "Person") and len(e) > 1}
        if not surnames:
            return
        norp = {e.start for e in doc.ents if e.label_ == "NORP" and len(e) == 1}
        new = [Span(doc, t.i, t.i + 1, label="PERSON") for t in tokens_where(doc, ORTH, surnames)
               if (not t.ent_type_ or t.i in norp) and (t.pos_ == "PROPN" or t.is_title)
               and not (t.i > 0 and doc[t.i - 1].pos_ == "PROPN") and not (t.i + 1 < len(doc) and doc[t.i + 1].pos_ == "PROPN")]
        if new:
            starts = {sp.start for sp in new}
            doc.set_ents([e for e in doc.ents if e.start not in starts] + new)

    def _propagate_names(self, doc: Doc) -> None:
        """A name recognised once names the same entity everywhere in the document: NER sees each
        sentence alone and tags "Nexus Q" in one, only "Nexus" (or nothing) in the next. Every other
        exact occurrence of a recognised multi-word or capitalised name becomes an entity with the
        same label, replacing a shorter entity inside it; longer names win."""
        names: dict[tuple[str, ...], str] = {}
        for e in doc.ents:
            if e.label_ in NON_GRAPH_LABELS or not any(t.is_title or t.is_upper for t in e):
                continue
            key = tuple(t.text for t in e)
            if len(key) == 1 and not (e[0].pos_ == "PROPN" or e[0].is_upper):
                continue
            names.setdefault(key, e.label_)
        if not names:
            return
        by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for key in sorted(names, key=lambda k: (-len(k), k)):
            by_first[key[0]].append(key)
        ents = list(doc.ents)
        owner = {i: n for n, e in enumerate(ents) for i in range(e.start, e.end)}
        new: list[Span] = []
        taken: set[int] = set()
        for tok in tokens_where(doc, ORTH, by_first):  # only where a name can start
            for key in by_first[tok.text]:
                end = tok.i + len(key)
                if end > len(doc) or any(doc[i].text != w for i, w in zip(range(tok.i, end), key)) \
                        or any(i in taken for i in range(tok.i, end)):
                    continue
                inside = {owner[i] for i in range(tok.i, end) if i in owner}
                if any(ents[n].start < tok.i or ents[n].end > end for n in inside):
                    continue  # crosses or sits inside a longer entity
                if any(ents[n].start == tok.i and ents[n].end == end for n in inside):
                    break  # already this entity
                new.append(Span(doc, tok.i, end, label=names[key]))
                taken.update(range(tok.i, end))
                break
        _replace_entities(doc, new)  # the entities a new span overlaps all lie inside it

    def _extend_names(self, doc: Doc) -> None:
        """Full names: a name goes on over capitalised proper nouns right before or after it that no
        other entity holds ('APJ Abdul Kalam' where NER found 'Abdul Kalam'), and over a legal form
        after it ('Farmers National Insurance, LLC'). Job titles are not name words."""
        ents = list(doc.ents)
        # a legal form NER tagged alone ("LLC" after "Farmers National Insurance,") is free to join
        suffix_only = {e.start for e in ents if len(e) == 1 and e.text.rstrip(".") in self.org_suffixes and not e.kb_id_}
        ents = [e for e in ents if e.start not in suffix_only]
        taken = {i for e in ents for i in range(e.start, e.end)}
        out, changed = [], False

        def namey(tok: Token) -> bool:
            return tok.i not in taken and tok.pos_ == "PROPN" and (tok.is_title or tok.is_upper) \
                and tok.lower_ not in self.role_words and not self.honorific(tok) \
                and tok.text not in self.office_titles and tok.lower_ not in self.leading_former

        for e in ents:
            if e.label_ not in ("PERSON", "ORG", "PRODUCT") or e.kb_id_:
                out.append(e)
                continue
            start, end = e.start, e.end
            # a legal form that begins a hyphenated word is none: the "Co-" of "Acme Co-Founder"
            while end - start > 1 and doc[end - 1].text == "-" and not doc[end - 1].whitespace_:
                end -= 1
            if end - start > 1 and end < len(doc) and doc[end - 1].text.rstrip(".") in self.org_suffixes \
                    and not doc[end - 1].whitespace_ and doc[end].text == "-":
                end -= 1
            while start > e.sent.start and namey(doc[start - 1]) and doc[start - 1].whitespace_:
                start -= 1
            # a hyphenated first part: "Take-Two Interactive" where NER found "Two Interactive"
            while start - 2 >= e.sent.start and doc[start - 1].text == "-" and not doc[start - 1].whitespace_ \
                    and not doc[start - 2].whitespace_ and doc[start - 2].is_title and start - 2 not in taken:
                start -= 2
            while end < e.sent.end and namey(doc[end]) and doc[end - 1].whitespace_:
                end += 1
            if e.label_ == "PERSON":  # "James Jaxon, Sr.", "Stew Leonard Jr."
                if end < e.sent.end and doc[end].text in self.name_suffixes and end not in taken:
                    end += 1
                elif end + 1 < e.sent.end and doc[end].text == "," and doc[end + 1].text in self.name_suffixes \
                        and not {end, end + 1} & taken:
                    end += 2
            if e.label_ == "ORG":
                if end + 1 < e.sent.end and doc[end].text == "," and doc[end + 1].text.rstrip(".") in self.org_suffixes \
                        and not {end, end + 1} & taken:
                    end += 2
                elif end < e.sent.end and doc[end].text.rstrip(".") in self.org_suffixes and doc[end].i not in taken:
                    end += 1
            if (start, end) != (e.start, e.end):
                changed = True
                taken.update(range(start, end))
                out.append(Span(doc, start, end, label=e.label_))
            else:
                out.append(e)
        if changed or suffix_only:
            doc.set_ents(out)

    def _around_person_names(self, doc: Doc) -> None:
        """What is written around a person's name: letters of honours and degrees after it ("Jane
        Doe OBE") are not part of it (nor names of their own: `_post_nominal`); a nickname in
        quotes or parentheses inside it ('Edward "Ted" Hollis', "Edwin (Gary) Borland") is part of it."""
        spans = [[e.start, e.end, e.label_, e.kb_id] for e in doc.ents]
        changed = False
        for sp in spans:
            if sp[2] == "PERSON":
                while sp[1] - sp[0] > 2 and doc[sp[1] - 1].text in self.post_nominals:
                    sp[1] -= 1
                    changed = True
        for sp in spans:
            if sp[2] != "PERSON" or sp[1] + 3 >= len(doc):
                continue
            open_, nick, close, surname = doc[sp[1]:sp[1] + 4]
            if (open_.text, close.text) in (('"', '"'), ("“", "”"), ("(", ")")) and nick.is_title and nick.is_alpha \
                    and close.whitespace_ and surname.is_title and surname.pos_ == "PROPN":
                end = sp[1] + 4
                while end < len(doc) and doc[end].is_title and doc[end].pos_ == "PROPN" and doc[end - 1].whitespace_:
                    end += 1
                spans = [x for x in spans if x is sp or not (x[0] < end and x[1] > sp[1])]
                sp[1], changed = end, True
        if changed:
            doc.set_ents([Span(doc, a, b, label=label, kb_id=kb) for a, b, label, kb in sorted(spans)])

    def _post_nominal(self, ent: Span, person_ends: set[int]) -> bool:
        """Letters after a person's name, alone or in a comma list: "Kim Lee, MD, PhD"."""
        words = [t for t in ent if not t.is_punct]
        if not words or not all(t.text in self.post_nominals for t in words):
            return False
        j = ent.start
        while j > 0 and (ent.doc[j - 1].text == "," or ent.doc[j - 1].text in self.post_nominals):
            j -= 1
        return j in person_ends

    @staticmethod
    def _dateline(ent: Span) -> bool:
        """A wire story's dateline: "(Reuters) -", "SAN JOSE, Calif. (AP) --" opening a sentence."""
        doc = ent.doc
        if ent.start == 0 or ent.end + 1 >= len(doc) or doc[ent.start - 1].text != "(" or doc[ent.end].text != ")" \
                or doc[ent.end + 1].text not in ("-", "--", "–", "—"):
            return False
        before = doc[ent.sent.start:ent.start - 1]
        return all(t.is_upper or t.is_punct or t.is_space or (t.is_title and t.text.endswith(".")) for t in before)

    def _part_of_a_title(self, doc: Doc, run: list[Token]) -> bool:
        """Capitalised words of a job title or an office are no name: 'Chief Financial Officer',
        'Executive Vice President', 'Professor of Commercial Law', 'Director of Engineering',
        'the Speaker', 'Bishop of Ely'. A name beside 'and' is not one ('Blue Fern Partners and')."""
        before = doc[run[0].i - 1] if run[0].i > 0 else None
        after = doc[run[-1].i + 1] if run[-1].i + 1 < len(doc) else None
        if (before is not None and before.lower_ in self.title_before) or (after is not None and after.lower_ in self.title_after):
            return True
        head = run[-1]
        return head.dep_ == "pobj" and head.head.lower_ == "of" and head.head.head.lower_ in self.role_words

    def known_word(self, word: str) -> bool:
        """An English word the lemmatizer's dictionary (WordNet's index) lists, in any part of speech."""
        return any(word in words for words in self.english.values())

    def english_word(self, tok: Token) -> bool:
        """The word or its lemma is English, or it is an adverb made of an English adjective
        ("anecdotally", "relatedly": WordNet lists few such adverbs). A made-up name ending in
        -ly ("Stackly", "Bitly") has no adjective under it."""
        low = tok.lower_
        if self.known_word(low) or self.known_word(tok.lemma_.lower()):
            return True
        adjectives = self.english.get(get_string_id("adj"), ())
        return low.endswith("ly") and any(stem in adjectives for stem in (low[:-2], low[:-3] + "y", low[:-4], low[:-2] + "e"))

    @staticmethod
    def _add_domain_names(doc: Doc) -> None:
        """A company named by its web address ("Xnor.ai", "Spyonit.com"): the tokenizer keeps it
        one word, which NER leaves untagged. Only the URL-like tokens are looked at."""
        urls = np.flatnonzero(doc.to_array(LIKE_URL))
        new = [Span(doc, int(i), int(i) + 1, label="ORG") for i in urls
               if not doc[int(i)].ent_type_ and DOMAIN_NAME.fullmatch(doc[int(i)].text)]
        _replace_entities(doc, new)

    def _add_proper_noun_runs(self, doc: Doc) -> None:
        """Names NER missed: a run of proper nouns, or of capitalised words English does not know
        ('Redwood Partners', 'Zorbit') or in camel case ('SoftTechVC'), outside any entity, is a
        name (an organisation unless typed otherwise later). Headline lines (no lower-case word)
        are left to NER. Only the capitalised tokens outside entities, found on integer columns,
        are looked at one by one."""
        # a word English does not know, tagged as a nationality or group ("Quillbyte" as NORP), is
        # a name like any other capitalised unknown word
        norp = [e for e in doc.ents if e.label_ == "NORP" and all(
            t.pos_ == "PROPN" and t.is_title and not self.known_word(t.lower_) for t in e)]
        if norp:
            doc.set_ents([], missing=norp, default="unmodified")
        title, upper, iob, lower, alpha, length, prefix = doc.to_array(
            [IS_TITLE, IS_UPPER, ENT_IOB, IS_LOWER, IS_ALPHA, LENGTH, PREFIX]).T.astype(np.int64)
        # a capital first letter: title case, upper case, or a name in camel case ("SoftTechVC")
        capitalised = (title == 1) | (upper == 1) | np.isin(prefix, self.capital_letters)
        capital = np.flatnonzero(capitalised & ((iob == 2) | (iob == 0)))
        long_lower = (lower == 1) & (alpha == 1) & (length > 3)
        new: list[Span] = []
        for sent in doc.sents:
            here = capital[(capital >= sent.start) & (capital < sent.end)]
            if not len(here):
                continue
            last = sent[-1] if not sent[-1].is_space or len(sent) == 1 else sent[-2]
            if not long_lower[sent.start:sent.end].any() and last.text not in (".", "!", "?"):
                continue  # a title-case headline: its capitalised words are not all names
            run: list[Token] = []
            for i in [*here.tolist(), None]:
                tok = doc[i] if i is not None else None
                if tok is not None and (not run or run[-1].i == i - 1) and self._name_like(tok):
                    run.append(tok)
                    continue
                if run:
                    self._close_run(doc, sent, run, new)
                run = [tok] if tok is not None and self._name_like(tok) else []
        if new:
            doc.set_ents(new, default="unmodified")

    def _name_like(self, tok: Token) -> bool:
        return tok.lower_ not in self.name_titles and not self.honorific(tok) \
            and (tok.pos_ == "PROPN" or (tok.is_title and tok.is_alpha and len(tok) > 2 and not self.known_word(tok.lower_))
                 or (len(tok) > 2 and camel_case(tok)))

    def _close_run(self, doc: Doc, sent: Span, run: list[Token], new: list[Span]) -> None:
        """Keep a run of name-like words as an organisation's name, unless it is one known word
        opening the sentence (a function word too: a sentence-opening "The" the tagger called a
        proper noun) or part of a job title."""
        first = run[0]
        start, end = self._name_numbers(doc, first.i, run[-1].i + 1, sent)
        if len(run) > 5 or self._part_of_a_title(doc, run) or (
                end - start == 1 and first.i == sent.start
                and (self.known_word(first.lower_) or self.known_word(first.lemma_.lower()) or first.is_stop)):
            return
        while start - 2 >= sent.start and doc[start - 1].text == "-" and not doc[start - 1].whitespace_ \
                and not doc[start - 2].whitespace_ and doc[start - 2].is_title and not doc[start - 2].ent_type_:
            start -= 2  # "Take-Two Interactive"
        if new and new[-1].end > start:  # "Foo" was a run of its own: one name
            start = new.pop().start
        new.append(Span(doc, start, end, label="ORG"))

    @staticmethod
    def _name_numbers(doc: Doc, start: int, end: int, sent: Span) -> tuple[int, int]:
        """A name's number: a numeral right before or after a name that the parse attaches to the
        name ("500 Startups", "Perimeter 81") is part of it; a numeral of a date, a sum or a
        quantity is not ("March 2020", "$5 million")."""
        def numeral(i: int) -> bool:
            tok = doc[i]
            return sent.start <= i < sent.end and tok.is_digit and tok.dep_ == "nummod" \
                and start <= tok.head.i < end and tok.ent_type_ in ("", "CARDINAL")

        if start - 1 >= sent.start and numeral(start - 1) and doc[start - 1].whitespace_ \
                and not (start - 2 >= sent.start and doc[start - 2].text in ("$", "#", "No.")):
            start -= 1
        if end < sent.end and numeral(end) and doc[end - 1].whitespace_:
            end += 1
        return start, end

    def _add_name_numbers(self, doc: Doc) -> None:
        """Names NER found without their number ("Startups" of "500 Startups"): see _name_numbers."""
        ents = list(doc.ents)
        grown = {}
        for e in ents:
            if e.label_ in NUMBERED_NAME_LABELS and not e.kb_id_:
                start, end = self._name_numbers(doc, e.start, e.end, e.sent)
                # the numeral may be an entity of its own, a CARDINAL: it joins the name
                if (start, end) != (e.start, e.end) and not any(
                        o is not e and o.label_ != "CARDINAL" and o.start < end and start < o.end for o in ents):
                    grown[e.start] = Span(doc, start, end, label=e.label_)
        if grown:
            taken = {i for g in grown.values() for i in range(g.start, g.end)}
            doc.set_ents([grown.get(e.start, e) for e in ents
                          if e.start in grown or not any(i in taken for i in range(e.start, e.end))])

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
        new = [Span(doc, t.i, t.i + 1, label=short[t.text]) for t in tokens_where(doc, ORTH, short)
               if not t.ent_type_ and t.pos_ == "PROPN" and not (t.i + 1 < len(doc) and doc[t.i + 1].text in self.org_suffixes)]
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
        for match_id, start, end in self.alias_matcher(doc):
            inside = [by_token[i] for i in range(start, end) if i in by_token]
            a, b = (inside[0], inside[-1]) if inside else (None, None)
            if a is not None and b is not None and a != b and type_family(mentions[a]._.kg_type) == type_family(mentions[b]._.kg_type) != "Person":
                if doc.vocab.strings[match_id] == "paren_alias" and doc[mentions[b].start - 1].text == "(" \
                        and not _short_form(clean_name(mentions[a].text), clean_name(mentions[b].text)):
                    continue  # "Maureen Middleton (Conservative Party)": a name and its affiliation, not an alias
                union(a, b)
        # 3. people named by surname or first name after (or before) their full name
        full_people = [(idx, clean_name(m.text).split()) for idx, m in enumerate(mentions)
                       if m._.kg_type == "Person" and len(clean_name(m.text).split()) > 1]
        for idx, m in enumerate(mentions):
            words = clean_name(m.text).split()
            if len(words) != 1:
                continue
            hits = {find(j) for j, full in full_people if words[0] in (full[0], full[-1])}
            if len(hits) > 1 and m.start > 0 and self.honorific(m.doc[m.start - 1]):
                # "Mr. Leonard" is a surname: Ronald Leonard, not Leonard Rose
                hits = {find(j) for j, full in full_people if words[0] == full[-1]}
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
                told = next((described[normalize_name(clean_name(s.text))] for s in spans
                             if normalize_name(clean_name(s.text)) in described), None)
                ctype = told or ctype
                if ctype == "Organization" or ("Company" in types and ctype in ORG_TYPES):
                    ctype = max((t for t in types if t in ORG_TYPES), key=lambda t: (t != "Organization", t != "Company", types[t]),
                                default=ctype)
                longest = max((clean_name(s.text) for s in spans), key=lambda n: (len(n.split()), len(n)))
                if ctype in ("Company", "Organization") and told not in ("Company", "Organization"):
                    # business or not: the full name says ("Labour Party" for "Labour" too)
                    ctype = "Organization" if self.non_business(longest) else "Company"
                key = f"{type_family(ctype)}:{normalize_name(longest)}"
            cluster = clusters.get(key) or Cluster(key=key, type=ctype, kb=kb_id, wikidata=wikidata, first=spans[0].start_char)
            if kb_id:
                cluster.preferred = self.kb.entries[kb_id].label
            if ctype == "Place":
                cluster.known_place = cluster.known_place or any(
                    all(self.known_word(w.lower()) for w in clean_name(s.text).split()) for s in spans)
            for s in spans:
                s._.kg_key = key
                s._.kg_type = ctype
                cluster.names[clean_name(s.text)] += 1
                if s.start > 0 and self.honorific(doc[s.start - 1]):
                    cluster.personal = True
            for start, end, href in doc.user_data.get("links", ()):
                title = wikipedia_title(href)
                if title and any(s.start_char >= start and s.end_char <= end for s in spans):
                    cluster.names[title] += 0
            clusters[key] = cluster
        return clusters


