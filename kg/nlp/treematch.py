"""Dependency patterns in spaCy's DependencyMatcher format, matched from their anchors.

spaCy's DependencyMatcher runs every node of every pattern as a token pattern over the whole
document (about 190 token patterns here), which cost more than the rest of our pipeline together.
Here only the anchor nodes are searched for in the whole document; the remaining nodes are checked
by walking the parse from the anchor. The results are the same matches, in the order spaCy's token
Matcher would find the anchors (tests compare with DependencyMatcher on the corpus); the patterns
stay plain DependencyMatcher data.

Everything works on the integer attributes of ``Doc.to_array`` rather than on Token objects: the
anchors are found with one vectorised test per distinct condition, and the walk reads plain lists
of integers and a children index built from the heads. Token objects are only made for the
bindings handed back.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import numpy as np
from spacy.attrs import DEP, ENT_TYPE, HEAD, LEMMA, LOWER, ORTH, POS, TAG
from spacy.strings import get_string_id
from spacy.tokens import Doc, Token

#: pattern attribute -> Doc.to_array column; values compare as their string ids (POS and the
#: dependency labels that are spaCy symbols included, as in Token.pos and Token.dep)
_ATTRS = {"LEMMA": LEMMA, "POS": POS, "DEP": DEP, "TAG": TAG, "LOWER": LOWER, "ORTH": ORTH, "ENT_TYPE": ENT_TYPE}
_COLUMNS = list(_ATTRS)  # column order of the per-document array
_OPS = (">", "<", ">>", "<<")

Check = tuple[int, frozenset, bool]  # (column, string ids, whether the value must be among them)


def _compile(attrs: dict) -> tuple[Check, ...]:
    """RIGHT_ATTRS -> checks on integer columns, so that no token attribute is ever turned into a
    Python string while matching. A plain value is a one-element IN."""
    out = []
    for key, value in attrs.items():
        if key not in _ATTRS:
            raise ValueError(f"unsupported attribute in a relation pattern: {key}")
        col = _COLUMNS.index(key)
        if isinstance(value, dict):
            if set(value) - {"IN", "NOT_IN"}:
                raise ValueError(f"unsupported operator in a relation pattern: {value}")
            if "IN" in value:
                out.append((col, frozenset(map(get_string_id, value["IN"])), True))
            if "NOT_IN" in value:
                out.append((col, frozenset(map(get_string_id, value["NOT_IN"])), False))
        else:
            out.append((col, frozenset([get_string_id(value)]), True))
    return tuple(out)


def _member(column: np.ndarray, values: frozenset) -> np.ndarray:
    """Which entries of ``column`` are among ``values``. Most lists in the patterns are short,
    and comparing value by value is then about twice as fast as np.isin."""
    if len(values) > 12:
        return np.isin(column, np.fromiter(values, dtype=np.uint64, count=len(values)))
    if not values:
        return np.zeros(len(column), dtype=bool)
    it = iter(values)
    m = column == next(it)
    for v in it:
        m |= column == v
    return m


class _Parse:
    """One Doc as integer lists: attribute columns, and per token its head and its children."""

    def __init__(self, doc: Doc, columns: set[int]):
        n = len(doc)
        self.doc = doc
        self.array = doc.to_array([*_ATTRS.values(), HEAD])
        #: only the columns that non-anchor nodes test become lists (indexing a list is the cheap part)
        self.cols = [self.array[:, c].tolist() if c in columns else None for c in range(len(_COLUMNS))]
        self.head_array = self.array[:, -1].astype(np.int64) + np.arange(n)  # HEAD: relative, unsigned
        self.heads = heads = self.head_array.tolist()
        # children in document order, as Token.children gives them
        self.children: list[list[int]] = [[] for _ in range(n)]
        for j, h in enumerate(heads):
            if h != j:
                self.children[h].append(j)

    def related(self, i: int, op: str) -> Iterable[int]:
        """Tokens in relation ``op`` to token i, in DependencyMatcher's order."""
        if op == ">":
            return self.children[i]
        if op == "<":
            return () if self.heads[i] == i else (self.heads[i],)
        if op == ">>":  # rare: Token.subtree's own order, which need not be ascending
            return [t.i for t in self.doc[i].subtree if t.i != i]
        out, heads = [], self.heads  # "<<": the ancestors, nearest first
        while heads[i] != i:
            i = heads[i]
            out.append(i)
        return out

    def ok(self, i: int, checks: tuple[Check, ...]) -> bool:
        cols = self.cols
        for c, values, wanted in checks:
            if (cols[c][i] in values) is not wanted:
                return False
        return True


class TreeMatcher:
    """Match named dependency patterns; yields (pattern key, {node name: token})."""

    def __init__(self, vocab):
        self.vocab = vocab
        #: distinct anchor conditions, in the order first added -> the keys of their patterns
        self.anchors: dict[str, tuple[tuple[Check, ...], list[str]]] = {}
        #: key -> (node names, [(position of the left node, REL_OP, checks)] for nodes 1..n)
        self.patterns: dict[str, tuple[list[str], list[tuple[int, str, tuple[Check, ...]]]]] = {}
        self.columns: set[int] = set()  # columns the non-anchor nodes test

    def add(self, key: str, pattern: list[dict]) -> None:
        root = pattern[0]
        if "REL_OP" in root:
            raise ValueError(f"pattern {key}: the first node must be the anchor")
        for n in pattern[1:]:
            if n["REL_OP"] not in _OPS:
                raise ValueError(f"pattern {key}: unsupported REL_OP {n['REL_OP']!r}")
        anchor_key = json.dumps(root["RIGHT_ATTRS"], sort_keys=True)
        if anchor_key not in self.anchors:
            self.anchors[anchor_key] = (_compile(root["RIGHT_ATTRS"]), [])
        self.anchors[anchor_key][1].append(key)
        names = [n["RIGHT_ID"] for n in pattern]
        steps = [(names.index(n["LEFT_ID"]), n["REL_OP"], _compile(n.get("RIGHT_ATTRS", {}))) for n in pattern[1:]]
        self.columns.update(c for _, _, checks in steps for c, _, _ in checks)
        self.patterns[key] = (names, steps)

    def __call__(self, doc: Doc) -> Iterator[tuple[str, dict[str, Token]]]:
        if not len(doc) or not self.patterns:
            return
        parse = _Parse(doc, self.columns)
        for i, key in self._anchor_hits(parse):
            names, steps = self.patterns[key]
            found: list[tuple[int, ...]] = []
            self._extend(parse, steps, 0, [i], found)
            for bound in found:
                yield key, {name: doc[t] for name, t in zip(names, bound)}

    def _anchor_hits(self, parse: _Parse) -> list[tuple[int, str]]:
        """(token, pattern key) for every token where a pattern may match, by token and then by
        anchor and pattern in the order added: the order of spaCy's token Matcher over the
        anchors, which the relation component's output depends on.

        Besides its anchor's own conditions, a token must have the child (">") or head ("<") that
        the pattern's first-level nodes ask for; most anchors ("any noun") fail there, and this
        way they are ruled out by a few vectorised tests instead of a walk each. Every test of a
        column is made once per document and shared between patterns."""
        array, heads, n = parse.array, parse.head_array, len(parse.array)
        has_head = heads != np.arange(n)
        masks: dict = {}

        def test(check: Check) -> np.ndarray:
            if check not in masks:
                c, values, wanted = check
                m = _member(array[:, c], values)
                masks[check] = m if wanted else ~m
            return masks[check]

        def node(checks: tuple[Check, ...]) -> np.ndarray:
            if checks not in masks:
                m = np.ones(n, dtype=bool)
                for check in checks:
                    m &= test(check)
                masks[checks] = m
            return masks[checks]

        def near(op: str, checks: tuple[Check, ...]) -> np.ndarray:
            """Tokens with a child (">") or a head ("<") that passes ``checks``."""
            if (op, checks) not in masks:
                m = node(checks)
                if op == ">":
                    out = np.zeros(n, dtype=bool)
                    out[heads[m & has_head]] = True
                else:
                    out = has_head & m[heads]
                masks[op, checks] = out
            return masks[op, checks]

        hits = []
        rank = 0
        for checks, keys in self.anchors.values():
            for key in keys:
                m = node(checks)
                for left, op, step_checks in self.patterns[key][1]:
                    if left == 0 and op in (">", "<"):
                        m = m & near(op, step_checks)
                hits.extend((i, rank, key) for i in np.flatnonzero(m).tolist())
                rank += 1
        hits.sort(key=lambda h: (h[0], h[1]))
        return [(i, key) for i, _, key in hits]

    def _extend(self, parse: _Parse, steps, j: int, bound: list[int], found: list) -> None:
        """Bind nodes j.. depth-first (DependencyMatcher's order of results); a token binds at
        most one node of a match. Complete bindings are appended to ``found``."""
        if j == len(steps):
            found.append(tuple(bound))
            return
        left, op, checks = steps[j]
        for t in parse.related(bound[left], op):
            if t not in bound and parse.ok(t, checks):
                bound.append(t)
                self._extend(parse, steps, j + 1, bound, found)
                bound.pop()
