"""Dependency patterns in spaCy's DependencyMatcher format, matched from their anchors.

spaCy's DependencyMatcher runs every node of every pattern as a token pattern over the whole
document (about 190 token patterns here), which cost more than the rest of our pipeline together.
Here only the anchor nodes run through a token Matcher (identical anchors share one entry); the
remaining nodes are checked by walking the parse from the anchor. The results are the same
matches (tests compare both on the corpus); the patterns stay plain DependencyMatcher data.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

_ATTRS = {"LEMMA": "lemma_", "POS": "pos_", "DEP": "dep_", "TAG": "tag_", "LOWER": "lower_",
          "ORTH": "text", "ENT_TYPE": "ent_type_"}


def _compile(attrs: dict) -> list[tuple[str, str, object]]:
    """RIGHT_ATTRS -> [(token attribute, kind, value)], kind is 'eq', 'in' or 'not_in'."""
    out = []
    for key, value in attrs.items():
        if key not in _ATTRS:
            raise ValueError(f"unsupported attribute in a relation pattern: {key}")
        if isinstance(value, dict):
            if set(value) - {"IN", "NOT_IN"}:
                raise ValueError(f"unsupported operator in a relation pattern: {value}")
            if "IN" in value:
                out.append((_ATTRS[key], "in", frozenset(value["IN"])))
            if "NOT_IN" in value:
                out.append((_ATTRS[key], "not_in", frozenset(value["NOT_IN"])))
        else:
            out.append((_ATTRS[key], "eq", value))
    return out


def _ok(tok: Token, checks) -> bool:
    for attr, kind, value in checks:
        v = getattr(tok, attr)
        if kind == "eq":
            if v != value:
                return False
        elif kind == "in":
            if v not in value:
                return False
        elif v in value:
            return False
    return True


def _related(tok: Token, op: str) -> Iterator[Token]:
    if op == ">":
        yield from tok.children
    elif op == "<":
        if tok.head is not tok:
            yield tok.head
    elif op == ">>":
        for t in tok.subtree:
            if t is not tok:
                yield t
    else:  # "<<"
        yield from tok.ancestors


class TreeMatcher:
    """Match named dependency patterns; yields (pattern key, {node name: token})."""

    def __init__(self, vocab):
        self.anchors = Matcher(vocab)
        self.by_anchor: dict[str, list[str]] = {}
        self.patterns: dict[str, list[tuple[str, str, str, list]]] = {}

    def add(self, key: str, pattern: list[dict]) -> None:
        root = pattern[0]
        if "REL_OP" in root:
            raise ValueError(f"pattern {key}: the first node must be the anchor")
        anchor_key = json.dumps(root["RIGHT_ATTRS"], sort_keys=True)
        if anchor_key not in self.by_anchor:
            self.anchors.add(anchor_key, [[root["RIGHT_ATTRS"]]])
            self.by_anchor[anchor_key] = []
        self.by_anchor[anchor_key].append(key)
        for n in pattern[1:]:
            if n["REL_OP"] not in (">", "<", ">>", "<<"):
                raise ValueError(f"pattern {key}: unsupported REL_OP {n['REL_OP']!r}")
        steps = [(n["LEFT_ID"], n["REL_OP"], n["RIGHT_ID"], _compile(n.get("RIGHT_ATTRS", {}))) for n in pattern[1:]]
        self.patterns[key] = [(None, None, root["RIGHT_ID"], [])] + steps

    def __call__(self, doc: Doc) -> Iterator[tuple[str, dict[str, Token]]]:
        strings = doc.vocab.strings
        for match_id, start, _ in self.anchors(doc):
            for key in self.by_anchor[strings[match_id]]:
                steps = self.patterns[key]
                yield from ((key, b) for b in self._extend(steps, 1, {steps[0][2]: doc[start]}))

    def _extend(self, steps, j: int, bound: dict[str, Token]) -> Iterator[dict[str, Token]]:
        if j == len(steps):
            yield dict(bound)
            return
        left, op, name, checks = steps[j]
        used = {t.i for t in bound.values()}
        for tok in _related(bound[left], op):
            if tok.i not in used and _ok(tok, checks):
                bound[name] = tok
                yield from self._extend(steps, j + 1, bound)
                del bound[name]
