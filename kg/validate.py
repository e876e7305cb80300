"""Validate a built graph against ontology/shapes.ttl (SHACL) and ontology/techkg.ttl (OWL).

pyshacl mixes the ontology into a copy of the data graph and runs RDFS inference first, so a
kg:Company counts as a kg:Organization and rdfs:domain / rdfs:range add types; the shapes then
check entities, provenance statements, events and the ontology's disjointness axioms (a Person
that is also an Organization). One check is done here in Python rather than as a SHACL-SPARQL
constraint (pyshacl re-parses those for every focus node): a statement's claim must also be
asserted as a triple. Violations come back as plain one-line sentences, sorted:

    stmt:0123abcd: statement has no sentence
    stmt:0123abcd: statement confidence is above 1 (got 1.5)
    ent:meta: entity has more than one label (rdfs:label): "Facebook", "Meta"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL

from .graph import DOC, ENT, EVENT, KG, STMT, WD
from .query import KGError

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
ONTOLOGY = ONTOLOGY_DIR / "techkg.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"

SH = Namespace("http://www.w3.org/ns/shacl#")
_XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
_PREFIXES = [("ent:", ENT), ("stmt:", STMT), ("event:", EVENT), ("doc:", DOC), ("kg:", KG), ("wd:", WD),
             ("rdf:", Namespace(str(RDF))), ("xsd:", _XSD)]
_BARE_DATATYPES = {_XSD.decimal, _XSD.integer, _XSD.boolean}


@dataclass
class Report:
    conforms: bool
    entities: int
    statements: int
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.conforms:
            return f"graph conforms ({self.entities} entities, {self.statements} statements)"
        n = len(self.violations)
        return f"{n} violation{'s' if n != 1 else ''} ({self.entities} entities, {self.statements} statements)"


def short(term) -> str:
    """An IRI with the project's prefixes (ent:meta), a literal as it would appear in Turtle text."""
    if isinstance(term, Literal):
        if term.datatype in _BARE_DATATYPES:
            return str(term)
        if term.datatype is not None:
            return f'"{term}"^^{short(term.datatype)}'
        return term.n3()
    s = str(term)
    for prefix, ns in _PREFIXES:
        if s.startswith(str(ns)):
            return prefix + s[len(str(ns)):]
    return f"<{s}>" if isinstance(term, URIRef) else s


def _load(path: Path, what: str) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise KGError(f"{what} not found: {path}") from exc
    except Exception as exc:  # a broken shapes/ontology file is an installation problem, said in one line
        raise KGError(f"{what} is not readable Turtle: {path}: {str(exc).strip().splitlines()[0][:200]}") from exc
    return g


def count_entities(g: Graph) -> int:
    return len({s for s, _ in g.subject_objects(RDF.type) if isinstance(s, URIRef) and str(s).startswith(str(ENT))})


def validate_graph(g: Graph, shapes: Graph | None = None, ontology: Graph | None = None) -> Report:
    """Run pyshacl (RDFS inference, ontology mixed in) and turn its report into plain sentences."""
    from pyshacl import validate

    shapes = shapes if shapes is not None else _load(SHAPES, "SHACL shapes")
    ontology = ontology if ontology is not None else _load(ONTOLOGY, "ontology")
    conforms, results, _text = validate(g, shacl_graph=shapes, ont_graph=ontology, inference="rdfs",
                                        abort_on_first=False, allow_warnings=False)
    lines = set(_sentences(results, g)) | set(_unasserted_statements(g))
    return Report(conforms=bool(conforms) and not lines, entities=count_entities(g),
                  statements=len(set(g.subjects(RDF.type, RDF.Statement))), violations=sorted(lines))


def disjoint_pairs(ontology: Graph) -> set[tuple[URIRef, URIRef]]:
    """Every pair of classes the ontology declares disjoint (owl:disjointWith, owl:AllDisjointClasses)."""
    pairs = {tuple(sorted((a, b))) for a, b in ontology.subject_objects(OWL.disjointWith)}
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = ontology.value(axiom, OWL.members)
        classes = list(Collection(ontology, members)) if members is not None else []
        pairs.update(tuple(sorted((a, b))) for i, a in enumerate(classes) for b in classes[i + 1:])
    return pairs


def _unasserted_statements(g: Graph):
    """A statement whose claim (rdf:subject rdf:predicate rdf:object) is not itself a triple of the graph."""
    for st in set(g.subjects(RDF.type, RDF.Statement)):
        fact = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
        if None not in fact and fact not in g:
            yield f"{short(st)}: statement describes a triple that is not asserted in the graph"


def _sentences(results: Graph, data: Graph):
    for res in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(res, SH.focusNode)
        message = results.value(res, SH.resultMessage)
        path = results.value(res, SH.resultPath)
        value = results.value(res, SH.value)
        component = results.value(res, SH.sourceConstraintComponent)
        text = str(message) if message is not None else _default_message(component, path)
        detail = ""
        if component == SH.MaxCountConstraintComponent and path is not None and not isinstance(path, Literal):
            values = sorted(data.objects(focus, path), key=str) if isinstance(path, URIRef) else []
            if values:
                detail = ": " + ", ".join(short(v) for v in values)
        elif value is not None and component not in (SH.SPARQLConstraintComponent,) and value != focus:
            detail = f" (got {short(value)})"
        yield " ".join(f"{short(focus)}: {text}{detail}".split())  # one line, whatever the value holds


def _default_message(component, path) -> str:
    name = str(component).rsplit("#", 1)[-1].replace("ConstraintComponent", "") if component else "constraint"
    return f"fails the {name} constraint" + (f" on {short(path)}" if path is not None else "")
