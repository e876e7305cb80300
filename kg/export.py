"""Export a built graph for other tools: Turtle, N-Triples, N-Quads, JSON-LD, GraphML, CSV.

- ttl:     the graph as `kg build` writes it (deterministic Turtle).
- nt:      N-Triples, lines sorted.
- nq:      N-Quads, lines sorted, one named graph per source document. The named graph of a
           document is the document's own IRI (doc:…) and holds everything derived from it: the
           rdf:Statement nodes whose prov:wasDerivedFrom is that document, the event nodes
           (kg:Acquisition / kg:Investment / kg:Appointment) derived from it, and the direct fact triples
           (ent:a kg:p ent:b) those statements support — a fact found in two documents is in both
           graphs (a document nothing was extracted from has no named graph: N-Quads cannot
           write an empty one). Everything else (entity labels, types, aliases, owl:sameAs links to Wikidata,
           mention counts, and the document descriptions themselves) is in the DEFAULT graph, so a
           tool that reads only the default graph still gets the entity layer, and the union of all
           graphs is exactly the exported graph.
- jsonld:  JSON-LD with a @context of the ontology's prefixes (kg, ent, doc, stmt, event, prov,
           rdf, rdfs, skos, owl, dcterms, xsd, wd), so keys read `kg:worksFor`, `rdfs:label`.
- graphml: the entity graph of `kg.query.to_networkx` (relation triples only) with scalar
           attributes Gephi and networkx read: nodes `label`, `type`, `wikidata` (Q-id or ""),
           `aliases` ("; "-joined); edges `predicate`, `confidence`, `doc`, `sentence`, plus
           `date`/`price_usd`/`amount_usd`/`role`/`former`/`status`/`round`/`lead`/`amount`/`currency`
           where a fact has them ("" otherwise).
- csv:     one row per (fact, evidence) with exactly the `kg facts` contract fields, in a fixed
           order (`kg.query.FACT_FIELDS`); lists are JSON-encoded as in `kg facts --format csv`.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDFS, SKOS, XSD

from .graph import DOC, ENT, EVENT, KG, STMT, WD, serialize, write_atomic
from .query import FACT_FIELDS, KGError, fact_rows, to_networkx

FORMATS = ("ttl", "nt", "nq", "jsonld", "graphml", "csv")
SUFFIXES = {".ttl": "ttl", ".nt": "nt", ".nq": "nq", ".jsonld": "jsonld", ".json": "jsonld",
            ".graphml": "graphml", ".csv": "csv"}
JSONLD_CONTEXT = {"kg": str(KG), "ent": str(ENT), "doc": str(DOC), "stmt": str(STMT), "event": str(EVENT),
                  "prov": str(PROV), "rdf": str(RDF), "rdfs": str(RDFS), "skos": str(SKOS), "owl": str(OWL),
                  "dcterms": str(DCTERMS), "xsd": str(XSD), "wd": str(WD)}
EDGE_EXTRAS = (("date", KG.date), ("price_usd", KG.priceUSD), ("amount_usd", KG.amountUSD),
               ("role", KG.role), ("former", KG.former), ("status", KG.status), ("round", KG.round),
               ("lead", KG.lead), ("amount", KG.amount), ("currency", KG.currency))


def format_for(path: str | Path, fmt: str | None) -> str:
    """The export format: the one asked for, else the one the file name's suffix says."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise KGError(f"cannot tell the export format from {Path(path).name!r}: pass --format "
                      f"({'|'.join(FORMATS)})")
    return SUFFIXES[suffix]


def export_bytes(g: Graph, fmt: str) -> bytes:
    if fmt == "ttl":
        return serialize(g)
    if fmt == "nt":
        return _sorted_lines(g.serialize(format="nt", encoding="utf-8"))
    if fmt == "nq":
        return _sorted_lines(document_dataset(g).serialize(format="nquads", encoding="utf-8"))
    if fmt == "jsonld":
        return jsonld_bytes(g)
    if fmt == "graphml":
        return graphml_bytes(g)
    if fmt == "csv":
        return rows_to_csv(fact_rows(g), list(FACT_FIELDS)).encode("utf-8")
    raise KGError(f"unknown export format: {fmt!r} (one of {', '.join(FORMATS)})")


def export_graph(g: Graph, fmt: str, path: str | Path) -> Path:
    """Write the export atomically; returns the path written. The folder must exist: a mistyped
    path is an error, never a new tree of folders."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise missing_folder_error(parent)
    data = export_bytes(g, fmt)
    try:
        return write_atomic(path, data)
    except OSError as exc:
        raise KGError(f"cannot write {path}: {exc.strerror or exc}") from exc


def missing_folder_error(folder: Path) -> KGError:
    """The error for an output file whose folder is not there: the first ancestor that is a file
    ("not a directory"), else the folder itself ("does not exist"; folders are never created)."""
    for up in [folder, *folder.parents]:
        if up.exists():
            if not up.is_dir():
                return KGError(f"not a directory: {up}")
            break
    return KGError(f"folder does not exist: {folder} (create it first; -o does not create folders)")


def _sorted_lines(data: bytes) -> bytes:
    lines = sorted({line for line in data.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


# ------------------------------------------------------------------------------------------ N-Quads
def document_dataset(g: Graph) -> Dataset:
    """Split the graph into one named graph per source document plus the default graph (module doc)."""
    ds = Dataset()
    for prefix, ns in g.namespaces():
        ds.bind(prefix, ns)
    placed: set = set()

    def put(triple, doc):
        ds.graph(doc).add(triple)
        placed.add(triple)

    for node in set(g.subjects(RDF.type, RDF.Statement)) | set(g.subjects(RDF.type, KG.Acquisition)) \
            | set(g.subjects(RDF.type, KG.Investment)) | set(g.subjects(RDF.type, KG.Appointment)):
        docs = [d for d in g.objects(node, PROV.wasDerivedFrom) if isinstance(d, URIRef)]
        if not docs:
            continue
        fact = (g.value(node, RDF.subject), g.value(node, RDF.predicate), g.value(node, RDF.object))
        for doc in docs:
            for p, o in g.predicate_objects(node):
                put((node, p, o), doc)
            if None not in fact and fact in g:
                put(fact, doc)
    for triple in g:
        if triple not in placed:
            ds.default_graph.add(triple)
    return ds


# ------------------------------------------------------------------------------------------ JSON-LD
def jsonld_bytes(g: Graph) -> bytes:
    """Compact JSON-LD with the ontology prefixes; nodes and multi-values sorted, so output is stable."""
    doc = json.loads(g.serialize(format="json-ld", context=JSONLD_CONTEXT))
    return (json.dumps(_canonical(doc), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _canonical(obj, key: str = ""):
    if isinstance(obj, dict):
        return {k: _canonical(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        items = [_canonical(v) for v in obj]
        # value order carries no meaning in JSON-LD except inside @list
        return items if key == "@list" else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return obj


# ------------------------------------------------------------------------------------------ GraphML
def graphml_graph(g: Graph):
    """to_networkx with every attribute a GraphML scalar (str/float/bool); no None, no lists."""
    import networkx as nx

    G = to_networkx(g, all_entities=True)
    H = nx.MultiDiGraph()
    for n, d in G.nodes(data=True):
        H.add_node(n, label=d.get("label") or "", type=d.get("type") or "", wikidata=d.get("wikidata") or "",
                   aliases="; ".join(d.get("aliases") or []))
    for u, v, key, d in G.edges(keys=True, data=True):
        st = URIRef(key.split("|", 1)[1]) if "|" in key else None
        attrs = {"predicate": d.get("predicate") or "", "confidence": float(d.get("confidence") or 0.0),
                 "doc": d.get("doc") or "", "sentence": d.get("sentence") or "", "statement": str(st or "")}
        ev = g.value(st, KG.event) if st is not None else None
        for name, prop in EDGE_EXTRAS:
            val = g.value(st, prop) if st is not None else None
            if val is None and ev is not None:
                val = g.value(ev, prop)
            attrs[name] = "" if val is None else str(val)
        H.add_edge(u, v, key=key, **attrs)
    return H


def graphml_bytes(g: Graph) -> bytes:
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(graphml_graph(g), buf, encoding="utf-8", named_key_ids=True)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ CSV
def rows_to_csv(rows: list[dict], cols: list[str]) -> str:
    """CSV text with a header of `cols`; list values JSON-encoded, None as an empty cell.

    Shared by `kg facts/entities/query --format csv` and `kg export --format csv`."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in r.items()})
    return buf.getvalue()
