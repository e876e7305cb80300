"""Reading a built graph: loading, SPARQL, fact and entity rows, name lookup, networkx projection.

User input never becomes SPARQL text: names are matched in Python against labels and aliases,
and values reach queries only through `initBindings`.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS
from rdflib.plugins.sparql import prepareQuery

from .graph import DOC, ENT, KG


class KGError(Exception):
    """A user-facing error: printed as one line, no traceback."""


PREFIXES = {"kg": KG, "ent": ENT, "doc": DOC, "rdf": RDF, "rdfs": RDFS, "skos": SKOS, "owl": OWL,
            "prov": URIRef("http://www.w3.org/ns/prov#"), "dcterms": URIRef("http://purl.org/dc/terms/"),
            "xsd": URIRef("http://www.w3.org/2001/XMLSchema#")}


def load_graph(path: str | Path) -> Graph:
    path = Path(path)
    if not path.exists():
        raise KGError(f"graph file not found: {path} (run `kg build` first, or pass -g)")
    if path.is_dir():
        raise KGError(f"graph path is a directory, not a file: {path}")
    from rdflib.util import guess_format

    g = Graph()
    try:
        # by suffix where rdflib knows it (.nt, .jsonld, .rdf, ...); anything else is read as Turtle
        g.parse(path, format=guess_format(str(path)) or "turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise KGError(f"not a readable RDF graph: {path}: {_parse_error(exc)[:200]}") from exc
    return g


def _parse_error(exc: Exception) -> str:
    """One line from a parser error; rdflib's Turtle errors put the reason on their second line."""
    text = re.sub(r"<_io\.\w+ name=(['\"])(.*?)\1>", r"\2", str(exc))  # a file object's repr: its name
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if len(lines) > 1 and lines[0].startswith("at line ") and lines[1].startswith("Bad syntax"):
        return f"{lines[0].replace(' of <>', '').rstrip(':')}: {lines[1].removesuffix(' at ^ in:')}"
    return lines[0]


#: rdflib's SPARQL parser spends about 40 Python frames per nested bracket; at the default limit
#: of 1,000 it gave up at 24 levels of parentheses, below kg.sparql_guard.MAX_DEPTH
_PARSER_RECURSION_LIMIT = 4_000


def run_sparql(g: Graph, text: str, bindings: dict | None = None, *, allow_service: bool = False):
    """Run a read-only SPARQL query; updates, syntax errors and refused queries (federation, deep
    nesting, kg.sparql_guard) become KGError. No query makes a request to another host unless
    ``allow_service``."""
    import sys

    from .sparql_guard import QueryRefused, check_query, looks_like_update

    try:
        check_query(text, allow_service=allow_service)
    except QueryRefused as exc:
        raise KGError(str(exc)) from None
    if sys.getrecursionlimit() < _PARSER_RECURSION_LIMIT:
        sys.setrecursionlimit(_PARSER_RECURSION_LIMIT)
    try:
        q = prepareQuery(text, initNs=PREFIXES)
    except RecursionError:
        raise KGError("query too complex: it nests or chains more than the SPARQL parser can follow") from None
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if looks_like_update(text):
            raise KGError("only SELECT, ASK, CONSTRUCT and DESCRIBE queries are allowed (the graph is read-only)") from exc
        raise KGError(f"malformed SPARQL query: {msg[:200]}") from exc
    if not allow_service and _has_service(q.algebra):  # a second guard, on the parsed query
        raise KGError("federated queries (SERVICE) are not allowed: this graph answers from its own data "
                      "and makes no requests to other hosts")
    try:
        return g.query(q, initBindings=bindings or {})
    except RecursionError:
        raise KGError("query too complex: it nests or chains more than the SPARQL engine can follow") from None
    except Exception as exc:
        raise KGError(f"query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc


def _has_service(node) -> bool:
    """Whether rdflib's algebra contains a SERVICE pattern anywhere (iteratively: no recursion)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    todo, seen = [node], set()
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, CompValue):
            if n.name in ("ServiceGraphPattern", "Service"):
                return True
            todo.extend(n.values())
        elif isinstance(n, dict):
            todo.extend(n.values())
        elif isinstance(n, (list, tuple)):
            todo.extend(n)
    return False


def py(value):
    """RDF term -> plain Python value for output rows."""
    if value is None:
        return None
    if isinstance(value, Literal):
        v = value.toPython()
        if isinstance(v, Decimal):
            return float(v)
        return v if isinstance(v, (int, float, bool, str)) else str(value)
    return str(value)


def local_name(iri) -> str:
    """The last path segment or fragment, percent-decoded (document IRIs encode their file stem)."""
    s = str(iri)
    return unquote(s.rsplit("#", 1)[-1].rsplit("/", 1)[-1])


def _entity_info(g: Graph, node) -> dict:
    types = sorted(local_name(t) for t in g.objects(node, RDF.type))
    return {"label": str(g.value(node, RDFS.label) or local_name(node)),
            "type": types[0] if types else None,
            "aliases": sorted(str(a) for a in g.objects(node, SKOS.altLabel))}


# The `kg facts` fields (DESIGN.md §1, a contract), in output order; the event/qualifier ones last.
FACT_FIELDS = ("subject", "subject_type", "subject_aliases", "predicate", "object", "object_type",
               "object_aliases", "doc", "sentence", "start", "end", "confidence",
               "price_usd", "amount_usd", "date", "role", "former", "status", "round", "lead", "amount", "currency")


def written_name(label: str, aliases: list[str], sentence: str | None) -> tuple[str, list[str]]:
    """The name a fact's evidence writes for an entity, and its other names: "Facebook bought
    Instagram in 2012" names Meta "Facebook" (the label goes among the aliases). A short form of the
    label ("LeCun" for Yann LeCun, "Scale" for Scale AI) does not replace it."""
    if not sentence or _has_words(sentence, label):
        return label, aliases
    words = set(label.split())
    for alias in sorted(aliases, key=lambda a: (-len(a), a)):
        if not set(alias.split()) <= words and _has_words(sentence, alias):
            return alias, sorted([label, *(a for a in aliases if a != alias)])
    return label, aliases


def _has_words(text: str, name: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text) is not None


def fact_rows(g: Graph, min_confidence: float = 0.0) -> list[dict]:
    """One row per (fact, evidence), with the contract fields of `kg facts`. Each argument is
    named as the evidence sentence writes it (`written_name`), as annotators name it."""
    rows = []
    info = {}
    for st in g.subjects(RDF.type, RDF.Statement):
        s, p, o = g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object)
        conf = py(g.value(st, KG.confidence))
        if conf is not None and conf < min_confidence:
            continue
        for n in (s, o):
            if n not in info:
                info[n] = _entity_info(g, n)
        sentence = py(g.value(st, KG.sentence))
        s_name, s_aliases = written_name(info[s]["label"], info[s]["aliases"], sentence)
        o_name, o_aliases = written_name(info[o]["label"], info[o]["aliases"], sentence)
        row = {"subject": s_name, "subject_type": info[s]["type"], "subject_aliases": s_aliases,
               "predicate": local_name(p),
               "object": o_name, "object_type": info[o]["type"], "object_aliases": o_aliases,
               "doc": local_name(g.value(st, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))),
               "sentence": sentence, "start": py(g.value(st, KG.start)),
               "end": py(g.value(st, KG.end)), "confidence": conf}
        ev = g.value(st, KG.event)  # a deal's money, status and round live on its event node
        for key, prop in (("price_usd", KG.priceUSD), ("amount_usd", KG.amountUSD), ("date", KG.date),
                          ("role", KG.role), ("former", KG.former), ("status", KG.status), ("round", KG.round),
                          ("lead", KG.lead), ("amount", KG.amount), ("currency", KG.currency)):
            v = g.value(st, prop)
            if v is None and ev is not None and key not in ("role", "former"):
                v = g.value(ev, prop)
            if v is not None:
                row[key] = py(v) if key != "date" else str(v)
        rows.append(row)
    rows.sort(key=lambda r: (r["doc"], r["start"] or 0, r["subject"], r["predicate"], r["object"]))
    return rows


def entity_rows(g: Graph) -> list[dict]:
    rows = []
    for node in set(g.subjects(RDFS.label, None)):
        if not str(node).startswith(str(ENT)):
            continue
        info = _entity_info(g, node)
        same = [str(x) for x in g.objects(node, OWL.sameAs) if "wikidata.org" in str(x)]
        rows.append({"id": str(node), "label": info["label"], "type": info["type"], "aliases": info["aliases"],
                     "wikidata": local_name(sorted(same)[0]) if same else None,
                     "docs": sorted(local_name(d) for d in g.objects(node, KG.mentionedIn)),
                     "mentions": py(g.value(node, KG.mentions)) or 0})
    rows.sort(key=lambda r: (r["type"] or "", r["label"].casefold(), r["id"]))
    return rows


def find_entity(g: Graph, name: str) -> URIRef:
    """The entity whose label or alias matches a name (case-insensitive); labels win over aliases."""
    from .nlp.kb import normalize_name  # here, not at the top: kg.nlp imports spaCy (~1 s)

    key = normalize_name(name)
    if not key:
        raise KGError(f"unknown entity: {name!r}")
    by_label, by_alias = [], []
    for node, label in g.subject_objects(RDFS.label):
        if str(node).startswith(str(ENT)) and normalize_name(str(label)) == key:
            by_label.append(node)
    for node, alias in g.subject_objects(SKOS.altLabel):
        if normalize_name(str(alias)) == key:
            by_alias.append(node)
    # an entity known across documents before one of a single document ("John" in one text)
    hits = sorted(set(by_label), key=lambda n: (is_doc_scoped(n), str(n))) \
        or sorted(set(by_alias), key=lambda n: (is_doc_scoped(n), -len(list(g.objects(n, KG.mentionedIn)))))
    if not hits:
        close = similar_names(g, name)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise KGError(f"unknown entity: {name!r} ({hint}try `kg entities` to list names)")
    return hits[0]


def similar_names(g: Graph, name: str, n: int = 3) -> list[str]:
    """Entity labels whose label or an alias is spelt like ``name`` ("Yan LeCun" -> "Yann LeCun"),
    closest first; compared case-insensitively (difflib ratio at least 0.8)."""
    import difflib

    key = name.casefold().strip()
    spellings: dict[str, str] = {}  # casefolded label or alias -> label
    labels = {}
    for node, label in g.subject_objects(RDFS.label):
        if str(node).startswith(str(ENT)):
            labels[node] = str(label)
            spellings.setdefault(str(label).casefold(), str(label))
    for node, alias in g.subject_objects(SKOS.altLabel):
        if node in labels:
            spellings.setdefault(str(alias).casefold(), labels[node])
    out: list[str] = []
    for match in difflib.get_close_matches(key, sorted(spellings), n=10, cutoff=0.8):
        label = spellings[match]
        if label not in out:
            out.append(label)
    return out[:n]


def to_networkx(g: Graph, min_confidence: float = 0.0, *, all_entities: bool = False,
                keep: tuple = ()) -> nx.MultiDiGraph:
    """Project the relation triples (not types or labels) onto a directed multigraph of entities.

    An entity of one document only (kg.resolve.is_doc_scoped: "John" in a text that never gives
    his full name) is a node only where it has a fact (an edge), or is in ``keep``, or with
    ``all_entities``: the cross-document views, analytics and paths leave the others out."""
    G = nx.MultiDiGraph()
    for row in entity_rows(g):
        G.add_node(row["id"], label=row["label"], type=row["type"], aliases=row["aliases"], wikidata=row["wikidata"])
    for st in sorted(g.subjects(RDF.type, RDF.Statement)):
        conf = py(g.value(st, KG.confidence)) or 0.0
        if conf < min_confidence:
            continue
        s, p, o = str(g.value(st, RDF.subject)), local_name(g.value(st, RDF.predicate)), str(g.value(st, RDF.object))
        G.add_edge(s, o, key=f"{p}|{st}", predicate=p, sentence=py(g.value(st, KG.sentence)),
                   doc=local_name(g.value(st, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))), confidence=conf)
    if not all_entities:
        keep = {str(k) for k in keep}
        G.remove_nodes_from([n for n in list(G) if G.degree(n) == 0 and n not in keep and is_doc_scoped(n)])
    return G


def is_doc_scoped(entity: str) -> bool:
    """An entity of one document only: its IRI ends in '__doc_<document>' (kg.resolve.doc_scoped_id;
    not imported from there, which would load the resolver for every reader of a graph)."""
    return "__doc_" in str(entity).rsplit("/", 1)[-1]
    return G
