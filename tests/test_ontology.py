"""Checks for the techkg OWL ontology (ontology/techkg.ttl) and the reference
knowledge base of well-known entities (ontology/kb.json)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

ONTOLOGY_DIR = Path(__file__).parent.parent / "ontology"
TTL = ONTOLOGY_DIR / "techkg.ttl"
KB = ONTOLOGY_DIR / "kb.json"

# Plain Namespace objects (rdflib's closed namespaces warn when pytest
# introspects module globals).
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
KG = Namespace("https://w3id.org/techkg/ontology#")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
SCHEMA = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
ONTOLOGY_IRI = URIRef("https://w3id.org/techkg/ontology")

KB_TYPES = {"Person", "Company", "ResearchLab", "University", "Investor", "AIModel", "Product", "Award"}

CLASSES = [
    "Person", "Organization", "Company", "ResearchLab", "University", "Investor",
    "AIModel", "Product", "Award", "Place", "Acquisition", "Investment", "Appointment", "Document",
]

# property -> (domain classes, range classes/datatypes); a tuple of several
# names means an owl:unionOf; None means no rdfs:domain is declared.
OBJECT_PROPERTIES = {
    "worksFor": (("Person",), ("Organization",)),
    "leads": (("Person",), ("Organization",)),
    "ceoOf": (("Person",), ("Organization",)),
    "founded": (("Person",), ("Organization",)),
    "developed": (("Organization", "Person"), ("AIModel", "Product")),
    "acquired": (("Organization", "Person"), ("Organization", "Product")),
    "investedIn": (("Organization", "Person"), ("Organization",)),
    "parentOrganization": (("Organization",), ("Organization",)),
    "ownedBy": (("AIModel", "Product"), ("Organization",)),
    "basedOn": (("AIModel", "Product"), ("AIModel", "Product")),
    "awardReceived": (("Person", "Organization"), ("Award",)),
    "educatedAt": (("Person",), ("University",)),
    "headquarteredIn": (("Organization",), ("Place",)),
    "partnerOf": (("Organization",), ("Organization",)),
    "acquirer": (("Acquisition",), ("Organization", "Person")),
    "target": (("Acquisition", "Investment"), ("Organization", "Product")),
    "investor": (("Investment",), ("Organization", "Person")),
    "appointee": (("Appointment",), ("Person",)),
    "organization": (("Appointment",), ("Organization",)),
    "party": (("Merger",), ("Organization",)),
}

# Evidence (sentence, offsets, confidence) is on statements, and on the events that are no fact.
EVIDENCE_DOMAIN = (RDF.Statement, KG.Acquisition, KG.Investment, KG.Appointment, KG.Merger)
DATATYPE_PROPERTIES = {  # a tuple of domains means an owl:unionOf
    "priceUSD": ((KG.Acquisition, KG.Merger), XSD.decimal),
    "amountUSD": (KG.Investment, XSD.decimal),
    "stake": (KG.Investment, XSD.string),
    "sentence": (EVIDENCE_DOMAIN, XSD.string),
    "start": (EVIDENCE_DOMAIN, XSD.integer),
    "end": (EVIDENCE_DOMAIN, XSD.integer),
    "confidence": (EVIDENCE_DOMAIN, XSD.decimal),
    "role": ((RDF.Statement, KG.Appointment), XSD.string),
    "former": (RDF.Statement, XSD.boolean),
    "contentHash": (KG.Document, XSD.string),
    "mentions": (None, XSD.integer),
}

# property -> (alignment predicate, Wikidata property)
WIKIDATA_ALIGNMENT = {
    "worksFor": (OWL.equivalentProperty, WDT.P108),
    "leads": (OWL.inverseOf, WDT.P1037),
    "ceoOf": (OWL.inverseOf, WDT.P169),
    "founded": (OWL.inverseOf, WDT.P112),
    "developed": (OWL.inverseOf, WDT.P178),
    "acquired": (OWL.inverseOf, WDT.P127),
    "investedIn": (OWL.inverseOf, WDT.P1951),
    "parentOrganization": (OWL.equivalentProperty, WDT.P749),
    "ownedBy": (OWL.equivalentProperty, WDT.P127),
    "basedOn": (OWL.equivalentProperty, WDT.P144),
    "awardReceived": (OWL.equivalentProperty, WDT.P166),
    "educatedAt": (OWL.equivalentProperty, WDT.P69),
    "headquarteredIn": (OWL.equivalentProperty, WDT.P159),
}

CLASS_MAPPINGS = (OWL.equivalentClass, SKOS.closeMatch, SKOS.exactMatch,
                  SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


# --------------------------------------------------------------------------
# Ontology
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    g.parse(TTL, format="turtle")
    return g


def _class_set(g: Graph, node) -> set:
    """A named class as a one-element set, an owl:unionOf as its members."""
    if isinstance(node, BNode):
        union = g.value(node, OWL.unionOf)
        assert union is not None, "anonymous domain/range must be an owl:unionOf"
        return set(Collection(g, union))
    return {node}


def test_ontology_parses_and_is_declared(graph):
    assert len(graph) > 100
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph


def test_prefixes_declared():
    text = TTL.read_text(encoding="utf-8")
    declared = dict(re.findall(r"^@prefix\s+(\w*):\s*<([^>]*)>\s*\.", text, flags=re.M))
    expected = {
        "kg": KG, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS,
        "schema": SCHEMA, "wd": WD, "wdt": WDT, "prov": PROV, "dcterms": DCTERMS,
    }
    for prefix, ns in expected.items():
        assert declared.get(prefix) == str(ns), prefix


def test_schema_org_uses_http_namespace(graph):
    https_terms = {t for triple in graph for t in triple
                   if isinstance(t, URIRef) and t.startswith("https://schema.org/")}
    assert not https_terms


@pytest.mark.parametrize("name", CLASSES)
def test_class_declared_with_label_comment_and_alignment(graph, name):
    cls = KG[name]
    assert (cls, RDF.type, OWL.Class) in graph
    assert isinstance(graph.value(cls, RDFS.label), Literal)
    assert isinstance(graph.value(cls, RDFS.comment), Literal)
    external = {o for p in CLASS_MAPPINGS for o in graph.objects(cls, p)}
    assert external, f"kg:{name} has no schema.org / Wikidata alignment"


@pytest.mark.parametrize("name,expected", [
    ("Person", {SCHEMA.Person, WD.Q5}),
    ("Organization", {SCHEMA.Organization, WD.Q43229}),
    ("Company", {SCHEMA.Corporation, WD.Q4830453}),
    ("University", {SCHEMA.CollegeOrUniversity, WD.Q3918}),
    ("Product", {SCHEMA.Product, WD.Q2424752}),
    ("Award", {WD.Q618779}),
    ("Place", {SCHEMA.Place}),
    ("Document", {SCHEMA.CreativeWork}),
])
def test_class_alignment_targets(graph, name, expected):
    external = {o for p in CLASS_MAPPINGS for o in graph.objects(KG[name], p)}
    assert expected <= external


@pytest.mark.parametrize("name", ["Company", "ResearchLab", "University", "Investor"])
def test_organization_subclasses(graph, name):
    assert (KG[name], RDFS.subClassOf, KG.Organization) in graph


def test_document_is_prov_entity(graph):
    assert (KG.Document, RDFS.subClassOf, PROV.Entity) in graph


def test_person_disjoint_with_organization(graph):
    assert (KG.Person, OWL.disjointWith, KG.Organization) in graph or \
        (KG.Organization, OWL.disjointWith, KG.Person) in graph


@pytest.mark.parametrize("name", sorted(OBJECT_PROPERTIES))
def test_object_property_domain_range_label(graph, name):
    prop = KG[name]
    assert (prop, RDF.type, OWL.ObjectProperty) in graph
    assert isinstance(graph.value(prop, RDFS.label), Literal)
    assert isinstance(graph.value(prop, RDFS.comment), Literal)
    domains = list(graph.objects(prop, RDFS.domain))
    ranges = list(graph.objects(prop, RDFS.range))
    assert len(domains) == 1 and len(ranges) == 1, name
    want_domain, want_range = OBJECT_PROPERTIES[name]
    assert _class_set(graph, domains[0]) == {KG[c] for c in want_domain}
    assert _class_set(graph, ranges[0]) == {KG[c] for c in want_range}


@pytest.mark.parametrize("name", sorted(DATATYPE_PROPERTIES))
def test_datatype_property_domain_range_label(graph, name):
    prop = KG[name]
    assert (prop, RDF.type, OWL.DatatypeProperty) in graph
    assert isinstance(graph.value(prop, RDFS.label), Literal)
    assert isinstance(graph.value(prop, RDFS.comment), Literal)
    want_domain, want_range = DATATYPE_PROPERTIES[name]
    if isinstance(want_domain, tuple):
        assert _class_set(graph, graph.value(prop, RDFS.domain)) == set(want_domain)
    else:
        assert graph.value(prop, RDFS.domain) == want_domain
    assert graph.value(prop, RDFS.range) == want_range


def test_date_property_allows_year_or_date(graph):
    assert (KG.date, RDF.type, OWL.DatatypeProperty) in graph
    assert isinstance(graph.value(KG.date, RDFS.label), Literal)
    rng = graph.value(KG.date, RDFS.range)
    assert rng is not None
    allowed = _class_set(graph, rng)
    assert {XSD.gYear, XSD.date} <= allowed


@pytest.mark.parametrize("name", sorted(WIKIDATA_ALIGNMENT))
def test_wikidata_property_alignment(graph, name):
    predicate, wikidata_property = WIKIDATA_ALIGNMENT[name]
    assert (KG[name], predicate, wikidata_property) in graph


def test_property_hierarchy(graph):
    assert (KG.leads, RDFS.subPropertyOf, KG.worksFor) in graph
    assert (KG.ceoOf, RDFS.subPropertyOf, KG.leads) in graph


def test_partner_of_is_symmetric(graph):
    assert (KG.partnerOf, RDF.type, OWL.SymmetricProperty) in graph


def test_every_kg_term_is_labelled(graph):
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(KG))}
    terms |= {o for o in graph.objects() if isinstance(o, URIRef) and o.startswith(str(KG))}
    unlabelled = sorted(t for t in terms if graph.value(t, RDFS.label) is None)
    assert not unlabelled, f"kg terms used but not defined: {unlabelled}"


def test_statement_reification_documented(graph):
    text = TTL.read_text(encoding="utf-8")
    assert "rdf:Statement" in text and "Wikidata" in text
    assert "prov:wasDerivedFrom" in text


# --------------------------------------------------------------------------
# Knowledge base
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kb() -> dict:
    return json.loads(KB.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def entities(kb) -> list[dict]:
    return kb["entities"]


@pytest.fixture(scope="module")
def by_id(entities) -> dict[str, dict]:
    return {e["id"]: e for e in entities}


def test_kb_top_level(kb, entities):
    assert isinstance(kb.get("about"), str) and kb["about"]
    assert isinstance(entities, list)
    assert len(entities) >= 200


def test_kb_entity_shape(entities):
    for e in entities:
        assert set(e) == {"id", "label", "type", "aliases", "wikidata"}, e
        assert isinstance(e["label"], str) and e["label"].strip() == e["label"] and e["label"], e
        assert isinstance(e["aliases"], list), e
        assert all(isinstance(a, str) and a.strip() == a and a for a in e["aliases"]), e


def test_kb_ids_unique_slugs(entities):
    ids = [e["id"] for e in entities]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, dupes
    for i in ids:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", i), i


def test_kb_sorted_by_id(entities):
    ids = [e["id"] for e in entities]
    assert ids == sorted(ids)


def test_kb_file_format(kb):
    text = KB.read_text(encoding="utf-8")
    assert text == json.dumps(kb, ensure_ascii=False, indent=2) + "\n"


def test_kb_types_allowed(entities):
    bad = [(e["id"], e["type"]) for e in entities if e["type"] not in KB_TYPES]
    assert not bad, bad


def test_kb_covers_every_type(entities):
    counts = Counter(e["type"] for e in entities)
    for t in KB_TYPES:
        assert counts[t] >= 10, (t, counts[t])


def test_kb_no_name_shared_between_entities(entities):
    owner: dict[str, str] = {}
    clashes = []
    for e in entities:
        for name in {e["label"].casefold(), *(a.casefold() for a in e["aliases"])}:
            if name in owner and owner[name] != e["id"]:
                clashes.append((name, owner[name], e["id"]))
            owner.setdefault(name, e["id"])
    assert not clashes, clashes


def test_kb_wikidata_ids(entities):
    for e in entities:
        q = e["wikidata"]
        assert q is None or (isinstance(q, str) and re.fullmatch(r"Q\d+", q)), e
    qids = [e["wikidata"] for e in entities if e["wikidata"]]
    dupes = [q for q, n in Counter(qids).items() if n > 1]
    assert not dupes, dupes


def test_kb_has_no_relations(entities):
    allowed = {"id", "label", "type", "aliases", "wikidata"}
    assert all(set(e) <= allowed for e in entities)


def test_kb_meta(by_id):
    meta = by_id["meta"]
    assert meta["type"] == "Company"
    assert meta["wikidata"] == "Q380"
    assert "Facebook" in meta["aliases"]


def test_kb_fair(by_id):
    fair = by_id["fair"]
    assert fair["label"] == "FAIR"
    assert fair["type"] == "ResearchLab"
    assert {"Facebook AI Research", "Meta AI"} <= set(fair["aliases"])


@pytest.mark.parametrize("entity_id,qid", [
    ("google", "Q95"),
    ("microsoft", "Q2283"),
    ("apple", "Q312"),
    ("openai", "Q21708200"),
    ("yann-lecun", "Q3571662"),
    ("mark-zuckerberg", "Q36215"),
    ("pytorch", "Q47509047"),
    ("turing-award", "Q185667"),
    ("new-york-university", "Q49210"),
])
def test_kb_known_wikidata_ids(by_id, entity_id, qid):
    assert by_id[entity_id]["wikidata"] == qid


@pytest.mark.parametrize("entity_id,alias", [
    ("mark-zuckerberg", "Zuck"),
    ("andrew-bosworth", "Boz"),
    ("gpt-3", "GPT3"),
    ("llama", "Llama 2"),
    ("opt", "OPT-175B"),
    ("pytorch", "Pytorch"),
    ("github-copilot", "Copilot"),
    ("deepmind", "Google DeepMind"),
])
def test_kb_expected_aliases(by_id, entity_id, alias):
    assert alias in by_id[entity_id]["aliases"]
