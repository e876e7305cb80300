"""Entities and facts -> an rdflib Graph with provenance (DESIGN.md §3), written deterministically.

Every fact is a direct triple plus an `rdf:Statement` node naming its document, sentence,
offsets and confidence. Statement and event nodes get IRIs derived from their content, not blank
nodes, so two builds of the same input serialise to the same bytes.
"""
from __future__ import annotations

import hashlib
import os
from io import BytesIO
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS
from rdflib.plugins.serializers.turtle import VERB, TurtleSerializer

if TYPE_CHECKING:  # importing kg.resolve pulls in spaCy (~1 s): not needed to read or write graphs
    from .resolve import Resolved

KG = Namespace("https://w3id.org/techkg/ontology#")
ENT = Namespace("https://w3id.org/techkg/entity/")
DOC = Namespace("https://w3id.org/techkg/doc/")
STMT = Namespace("https://w3id.org/techkg/statement/")
EVENT = Namespace("https://w3id.org/techkg/event/")
WD = Namespace("http://www.wikidata.org/entity/")
EVENT_CLASS = {"acquired": (KG.Acquisition, KG.acquirer, KG.target, KG.priceUSD, "price_usd"),
               "investedIn": (KG.Investment, KG.investor, KG.target, KG.amountUSD, "amount_usd"),
               # a merger is an event only (kg.nlp.EVENT_ONLY): two kg:party, no fact
               "mergedWith": (KG.Merger, KG.party, KG.party, KG.priceUSD, "price_usd"),
               # a role not yet taken ("will become CEO"): an appointment event, never a fact
               "worksFor": (KG.Appointment, KG.appointee, KG.organization, None, None),
               "leads": (KG.Appointment, KG.appointee, KG.organization, None, None),
               "ceoOf": (KG.Appointment, KG.appointee, KG.organization, None, None)}
DEAL_PREDICATES = ("acquired", "investedIn")


def new_graph() -> Graph:
    g = Graph()
    for prefix, ns in (("kg", KG), ("ent", ENT), ("doc", DOC), ("stmt", STMT), ("event", EVENT),
                       ("wd", WD), ("prov", PROV), ("dcterms", DCTERMS), ("skos", SKOS), ("owl", OWL)):
        g.bind(prefix, ns)
    return g


def doc_iri(doc_id: str) -> URIRef:
    """The IRI of a document: its id (the file stem) percent-encoded, so any file name, with
    spaces, quotes, '#' or non-ASCII letters, gives a valid IRI; plain stems are unchanged."""
    return DOC[quote(doc_id.encode("utf-8", "surrogatepass"), safe="")]


def _decimal(value: Decimal) -> Literal:
    """An xsd:decimal in canonical form ("1000000.0", not "1000000"): Turtle writes decimals that
    way, so the graph in memory and the graph read back from graph.ttl hold equal terms."""
    text = format(value, "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def _digest(*parts) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def build_graph(resolved: Resolved) -> Graph:
    """The graph of resolved entities and facts. The terms that recur (document IRIs, confidence
    values, predicates) are made once; triples go straight to the store (the checks of Graph.add
    only guard against non-terms), which matters at a million words, where this is serial work
    after the parallel extraction."""
    g = new_graph()
    store = g.store

    def add(triple) -> None:
        store.add(triple, g, quoted=False)

    doc_nodes: dict[str, URIRef] = {}

    def doc_node(doc_id: str) -> URIRef:
        node = doc_nodes.get(doc_id)
        if node is None:
            node = doc_nodes[doc_id] = doc_iri(doc_id)
        return node

    confidences: dict[object, Literal] = {}
    rdf_type, statement, derived = RDF.type, RDF.Statement, PROV.wasDerivedFrom
    kg_sentence, kg_start, kg_end, kg_confidence = KG.sentence, KG.start, KG.end, KG.confidence
    for d in resolved.documents:
        node = doc_node(d["doc"])
        add((node, rdf_type, KG.Document))
        add((node, DCTERMS.title, Literal(d["title"])))
        add((node, DCTERMS.source, Literal(Path(d["path"]).name)))
        add((node, DCTERMS.identifier, Literal(d["doc"])))
        add((node, KG.contentHash, Literal(d["sha256"])))
        add((node, KG.words, Literal(d["words"])))
    for e in resolved.entities.values():
        node = ENT[e.id]
        add((node, rdf_type, KG[e.type]))
        add((node, RDFS.label, Literal(e.label)))
        for a in e.aliases:
            add((node, SKOS.altLabel, Literal(a)))
        if e.wikidata:
            add((node, OWL.sameAs, WD[e.wikidata]))
        add((node, KG.mentions, Literal(e.mentions)))
        for d in e.docs:
            add((node, KG.mentionedIn, doc_node(d)))
    for f in resolved.facts:
        s, p, o = ENT[f["subject"]], KG[f["predicate"]], ENT[f["object"]]
        source = doc_node(f["doc"])
        add((s, p, o))
        st = STMT[_digest(f["subject"], f["predicate"], f["object"], f["doc"], f["start"])]
        add((st, rdf_type, statement))
        add((st, RDF.subject, s))
        add((st, RDF.predicate, p))
        add((st, RDF.object, o))
        add((st, derived, source))
        add((st, kg_sentence, Literal(f["sentence"])))
        add((st, kg_start, Literal(f["start"])))
        add((st, kg_end, Literal(f["end"])))
        confidence = confidences.get(f["confidence"])
        if confidence is None:
            confidence = confidences[f["confidence"]] = _decimal(Decimal(str(f["confidence"])))
        add((st, kg_confidence, confidence))
        if f.get("role"):
            add((st, KG.role, Literal(f["role"])))
        if f.get("former"):
            add((st, KG.former, Literal(True)))
        if f.get("date"):
            add((st, KG.date, Literal(f["date"], datatype=XSD.gYear)))
        if f["predicate"] in DEAL_PREDICATES:
            add((st, KG.event, _add_event(add, f, source)))
    for f in resolved.events:
        _add_event(add, f, doc_node(f["doc"]), evidence=True)
    return g


def _add_event(add, f: dict, source, evidence: bool = False) -> URIRef:
    """The event node of a deal (kg:Acquisition, kg:Investment) or of a role not yet taken
    (kg:Appointment): who, whom, status, money, year, round, lead investor. A fact's event hangs
    off its statement; an event that is no fact (an announced deal) carries its own evidence."""
    cls, agent_p, target_p, money_p, money_key = EVENT_CLASS[f["predicate"]]
    ev = EVENT[_digest("event", f["subject"], f["predicate"], f["object"], f["doc"], f["start"])]
    add((ev, RDF.type, cls))
    add((ev, agent_p, ENT[f["subject"]]))
    add((ev, target_p, ENT[f["object"]]))
    add((ev, PROV.wasDerivedFrom, source))
    if cls == KG.Appointment:
        add((ev, KG.position, KG[f["predicate"]]))
        if f.get("role"):
            add((ev, KG.role, Literal(f["role"])))
    if f.get("status"):
        add((ev, KG.status, Literal(f["status"])))
    if money_key and f.get(money_key) is not None:
        add((ev, money_p, _decimal(Decimal(str(f[money_key])).quantize(Decimal(1)))))
    if f.get("amount") is not None and f.get("currency"):  # money in another currency keeps it
        add((ev, KG.amount, _decimal(Decimal(str(f["amount"])).quantize(Decimal(1)))))
        add((ev, KG.currency, Literal(f["currency"])))
    if f.get("date"):
        add((ev, KG.date, Literal(f["date"], datatype=XSD.gYear)))
    if f.get("stake"):
        add((ev, KG.stake, Literal(f["stake"])))
    if f.get("round"):
        add((ev, KG.round, Literal(f["round"])))
    if f.get("lead") is not None and f["predicate"] == "investedIn":
        add((ev, KG.lead, Literal(bool(f["lead"]))))
    if evidence:
        add((ev, KG.sentence, Literal(f["sentence"])))
        add((ev, KG.start, Literal(f["start"])))
        add((ev, KG.end, Literal(f["end"])))
        add((ev, KG.confidence, _decimal(Decimal(str(f["confidence"])))))
    return ev


class _Turtle(TurtleSerializer):
    """rdflib's Turtle serializer, same bytes, with each IRI's prefixed name remembered.

    rdflib works out the prefixed name of an IRI again at every occurrence, about half of the
    time it takes to write a large graph. Once found, a name cannot change (rdflib caches how it
    splits an IRI, and a prefix, once used, stays bound), so found names are kept; a lookup
    that found none is repeated, as rdflib would."""

    def reset(self) -> None:
        super().reset()
        self._pnames: dict[tuple[URIRef, bool], str] = {}
        self._labels: dict[tuple[URIRef, int], str] = {}

    def get_pname(self, uri, gen_prefix: bool = True):
        if not isinstance(uri, URIRef):
            return None
        name = self._pnames.get((uri, gen_prefix))
        if name is None:
            name = super().get_pname(uri, gen_prefix)
            if name is not None:
                self._pnames[uri, gen_prefix] = name
        return name

    def label(self, node, position: int) -> str:
        """An IRI's label is fixed once it has a prefixed name: remembered the same way."""
        if not isinstance(node, URIRef) or self.base is not None:
            return super().label(node, position)
        text = self._labels.get((node, position))
        if text is None:
            text = super().label(node, position)
            if text == self._pnames.get((node, position == VERB)) or text in ("()", "a"):
                self._labels[node, position] = text
        return text


def serialize(g: Graph) -> bytes:
    """Turtle with sorted subjects and no blank nodes: byte-identical for the same graph
    (what ``g.serialize(format="turtle", encoding="utf-8")`` writes, faster)."""
    stream = BytesIO()
    _Turtle(g).serialize(stream, base=g.base, encoding="utf-8")
    return stream.getvalue()


def write_atomic(path: str | Path, data: bytes, sync: bool = True) -> Path:
    """Write to a temporary file in the same folder, then rename: readers never see half a file.
    ``sync=False`` skips fsync, for files that are cheap to recompute (cache records)."""
    return write_files_atomic([(path, data)], sync=sync)[0]


def write_files_atomic(files, sync: bool = True) -> list[Path]:
    """Write several files (``[(path, bytes), ...]``) so that a failure leaves the old versions.

    Every file is first written in full to a temporary file next to its target and synced; only
    when all of them are on disk are they renamed over the targets, back to back, in the given
    order. A write error (disk full, permissions) therefore changes nothing. If a rename fails,
    the targets already replaced are put back from hard-link backups, so an error never leaves
    a new first file beside an old second one. A process killed outright leaves each target
    whole, old or new; only a kill in the microseconds between two renames can pair a new first
    file with an old second one, which the next build repairs. Temporary files are removed.
    """
    staged: list[tuple[str, Path]] = []
    replaced: list[tuple[Path, str | None, bool]] = []  # target, backup, existed before
    try:
        for path, data in files:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, path in staged:
            existed, backup = path.exists(), None
            if existed and len(staged) > 1:
                backup = tmp + ".old"
                try:
                    os.link(path, backup)
                except OSError:  # no hard links here: the old file cannot be restored
                    backup = None
            replaced.append((path, backup, existed))
            os.replace(tmp, path)
    except BaseException:
        for path, backup, existed in reversed(replaced[:-1] if replaced else []):
            try:
                if backup:
                    os.replace(backup, path)
                elif not existed:
                    os.unlink(path)
            except OSError:
                pass
        raise
    finally:
        for tmp, _ in staged:
            for leftover in (tmp, tmp + ".old"):
                if os.path.lexists(leftover):
                    try:
                        os.unlink(leftover)
                    except OSError:
                        pass
    return [path for _, path in staged]
