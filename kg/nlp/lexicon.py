"""Shared vocabulary of the pipeline: entity type families, the word lists of patterns/lexicon.json,
and the Doc/Span/Token extensions the components communicate through."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.tokens import Doc, Span, Token

PATTERN_DIR = Path(__file__).parent / "patterns"
ORG_TYPES = {"Organization", "Company", "ResearchLab", "University", "Investor"}
WORK_TYPES = {"AIModel", "Product"}
GRAPH_TYPES = ORG_TYPES | WORK_TYPES | {"Person", "Award"}
NON_GRAPH_LABELS = {"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL", "CARDINAL", "NORP",
                    "GPE", "LOC", "EVENT", "LAW", "LANGUAGE"}


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
    """Organisation subtypes compare as one family ("Org") when patterns check argument types."""
    return "Org" if t in ORG_TYPES else t


@lru_cache(maxsize=1 << 16)
def clean_name(text: str) -> str:
    """Surface form of a mention without a leading article or a trailing possessive.

    Cached: the components clean the same few names tens of thousands of times per corpus."""
    s = re.sub(r"\s+", " ", text).strip()
    s = re.sub(r"^(?:the|The|a|an)\s+", "", s)
    s = re.sub(r"(?:'s|’s|'|’)$", "", s).strip()
    return s.strip(" ,.;:-–—\"“”()")


def string_ids(doc: Doc, words) -> np.ndarray:
    """Ids of the given strings in the document's vocabulary, to compare with `Doc.to_array`
    columns of string attributes (ORTH, LOWER, TAG, DEP) through `np.isin`."""
    return np.array([doc.vocab.strings.add(w) for w in words], dtype=np.uint64)


def tokens_where(doc: Doc, attr: int, values) -> list[Token]:
    """The tokens whose ``attr`` (a spaCy attribute id: ORTH, LOWER, TAG, DEP) is one of the
    strings ``values``, found on one integer column (`Doc.to_array`): the rules that look for a
    few words in a whole document then build Python Token objects for those words only."""
    hashes = string_ids(doc, values)
    if not len(doc) or not len(hashes):
        return []
    return [doc[int(i)] for i in np.flatnonzero(np.isin(doc.to_array(attr), hashes))]


def _register_extensions() -> None:
    """Attributes the components share: a mention's type and entity key, a Doc's clusters and facts."""
    for name, default in (("kg_type", None), ("kg_key", None)):
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Token.has_extension("kg_in_ent"):
        Token.set_extension("kg_in_ent", getter=lambda t: bool(t.ent_type_) and t.ent_type_ not in NON_GRAPH_LABELS)
    for name in ("kg_clusters", "kg_facts", "kg_token_keys", "kg_mentions", "kg_referents", "kg_candidates"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


_register_extensions()
