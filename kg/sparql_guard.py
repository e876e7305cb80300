"""Checks a SPARQL query passes before any store sees it: no federation, bounded nesting, sane LIMIT.

Both engines behind `kg query` and `kg serve` follow ``SERVICE <http://…>`` to any address a query
names (rdflib with urllib, Oxigraph with its own HTTP client), which turns a read-only endpoint into
a way to make requests to other hosts; and Oxigraph's parser recurses once per nesting level, so a
few thousand nested ``{`` overflow its stack and kill the process (rdflib gives up with a
RecursionError much earlier). Neither engine can be told to refuse these, so the query text is
checked here, on a token level that strings, IRIs and comments cannot fool:

- ``SERVICE`` as a keyword (any case, also written with ``\\u`` escapes, which SPARQL expands
  before parsing) is refused unless the caller allows federation;
- more than MAX_DEPTH levels of ``{``, ``(`` or ``[`` are refused (real queries stay under ten);
- ``LIMIT``/``OFFSET`` must be whole numbers a machine integer can hold.

The check is deliberately conservative: in doubt (an IRI that could also be read as a comparison),
brackets are counted and keywords looked for both ways.
"""
from __future__ import annotations

import re

#: most nested levels of { ( [ a query may have; rdflib's parser needs about 40 Python frames per
#: level (kg.query raises the recursion limit to fit), Oxigraph's crashed at about 5,000
MAX_DEPTH = 32
#: LIMIT and OFFSET values above this cannot be represented (Python's islice, Rust's usize)
MAX_LIMIT = 2**63 - 1

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# strings (long forms first), comments, IRIs; anything else is code
_SKIP = re.compile(r'''
      """(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)
    | \'\'\'(?:[^'\\]|\\.|'(?!''))*(?:\'\'\'|\Z)
    | "(?:[^"\\\n]|\\.)*(?:"|$)
    | '(?:[^'\\\n]|\\.)*(?:'|$)
    | \#[^\n]*
    ''', re.VERBOSE | re.MULTILINE)
_IRI = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
# a keyword is a word not glued to a prefixed name, variable or other word
_KEYWORD = r"(?<![\w:?$]){}(?![\w:])"
_SERVICE = re.compile(_KEYWORD.format("SERVICE"), re.IGNORECASE)
_LIMIT = re.compile(_KEYWORD.format("(LIMIT|OFFSET)") + r"\s*([^\s{}()\[\]]*)", re.IGNORECASE)


_UPDATE = re.compile(_KEYWORD.format("(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)"), re.IGNORECASE)


def looks_like_update(text: str) -> bool:
    """Whether a query that did not parse as a query uses an update keyword (for the error message)."""
    return any(_UPDATE.search(_code(view, True)) for view in {text, expand_escapes(text)})


class QueryRefused(ValueError):
    """The query is refused before it reaches a store; str(e) is the one-line reason."""


def expand_escapes(text: str) -> str:
    """``\\uXXXX``/``\\UXXXXXXXX`` replaced by their characters, as SPARQL 1.1 §19.2 (and rdflib)
    do before parsing."""
    def sub(m):
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group(0)
    return _ESCAPE.sub(sub, text)


def _code(text: str, drop_iris: bool) -> str:
    """The text with strings and comments (and IRIs) blanked out, lengths kept."""
    def blank(m):
        return " " * len(m.group(0))
    out = _SKIP.sub(blank, text)
    return _IRI.sub(blank, out) if drop_iris else out


def nesting_depth(code: str) -> int:
    depth = deepest = 0
    for ch in code:
        if ch in "{([":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in "})]" and depth:
            depth -= 1
    return deepest


def check_query(text: str, *, allow_service: bool = False, max_depth: int = MAX_DEPTH) -> None:
    """Raise QueryRefused when the query must not reach a store (module docstring)."""
    views = [text]
    expanded = expand_escapes(text)
    if expanded != text:
        views.append(expanded)
    for view in views:
        with_iris, code = _code(view, False), _code(view, True)
        depth = max(nesting_depth(with_iris), nesting_depth(code))
        if depth > max_depth:
            raise QueryRefused(f"query nests too deeply: {depth} levels of brackets (at most {max_depth})")
        # IRIs are blanked: <http://schema.org/Service> is data, and no valid query can hide the
        # keyword inside an IRI (an IRI holds no space, brace or "<")
        if not allow_service and _SERVICE.search(code):
            raise QueryRefused("federated queries (SERVICE) are not allowed: this graph answers from its own "
                               "data and makes no requests to other hosts")
        for m in _LIMIT.finditer(code):
            keyword, value = m.group(1).upper(), m.group(2)
            if not value:
                continue  # the parser reports it
            if not re.fullmatch(r"[0-9]+", value):
                raise QueryRefused(f"{keyword} must be a whole number, not {value[:40]!r}")
            if len(value) > 19 or int(value) > MAX_LIMIT:
                shown = value if len(value) <= 40 else value[:20] + "…"
                raise QueryRefused(f"{keyword} {shown} is too large (at most {MAX_LIMIT})")
