"""Reading a built graph: loading, SPARQL, fact and entity rows, name lookup, networkx projection.

User input never becomes SPARQL text: names are matched in Python against labels and aliases,
and values reach queries only through `initBindings`.
"""
from __future__ import annotations

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
    g = Graph()
    try:
        g.parse(path, format="turtle" if path.suffix in (".ttl", "") else None)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise KGError(f"not a readable RDF graph: {path}: {_parse_error(exc)[:200]}") from exc
    return g


def _parse_error(exc: Exception) -> str:
    """One line from a parser error; rdflib's Turtle errors put the reason on their second line."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if len(lines) > 1 and lines[0].startswith("at line ") and lines[1].startswith("Bad syntax"):
        return f"{lines[0].replace(' of <>', '').rstrip(':')}: {lines[1].removesuffix(' at ^ in:')}"
    return lines[0]


def run_sparql(g: Graph, text: str, bindings: dict | None = None):
    """Run a read-only SPARQL query; updates and syntax errors become KGError."""
    try:
        q = prepareQuery(text, initNs=PREFIXES)
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if any(w in text.upper() for w in ("INSERT", "DELETE", "LOAD ", "CLEAR ", "DROP ", "CREATE ")):
            raise KGError("only SELECT, ASK, CONSTRUCT and DESCRIBE queries are allowed (the graph is read-only)") from exc
        raise KGError(f"malformed SPARQL query: {msg[:200]}") from exc
    try:
        return g.query(q, initBindings=bindings or {})
    except Exception as exc:
        raise KGError(f"query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc


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
               "price_usd", "amount_usd", "date", "role", "former")


def fact_rows(g: Graph, min_confidence: float = 0.0) -> list[dict]:
    """One row per (fact, evidence), with the contract fields of `kg facts`."""
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
        row = {"subject": info[s]["label"], "subject_type": info[s]["type"], "subject_aliases": info[s]["aliases"],
               "predicate": local_name(p),
               "object": info[o]["label"], "object_type": info[o]["type"], "object_aliases": info[o]["aliases"],
               "doc": local_name(g.value(st, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))),
               "sentence": py(g.value(st, KG.sentence)), "start": py(g.value(st, KG.start)),
               "end": py(g.value(st, KG.end)), "confidence": conf}
        for key, prop in (("price_usd", KG.priceUSD), ("amount_usd", KG.amountUSD), ("date", KG.date),
                          ("role", KG.role), ("former", KG.former)):
            v = g.value(st, prop)
            if v is None and key in ("price_usd", "amount_usd"):
                ev = g.value(st, KG.event)  # money lives on the kg:Acquisition / kg:Investment node
                v = g.value(ev, prop) if ev is not None else None
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
    hits = sorted(set(by_label)) or sorted(set(by_alias), key=lambda n: -len(list(g.objects(n, KG.mentionedIn))))
    if not hits:
        raise KGError(f"unknown entity: {name!r} (try `kg entities` to list names)")
    return hits[0]


def to_networkx(g: Graph, min_confidence: float = 0.0) -> nx.MultiDiGraph:
    """Project the relation triples (not types or labels) onto a directed multigraph of entities."""
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
    return G
