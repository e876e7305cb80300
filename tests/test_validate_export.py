"""`kg validate` (SHACL + ontology) and `kg export` (ttl, nt, nq, jsonld, graphml, csv)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.namespace import PROV

from kg.cli import cli
from kg.graph import DOC, KG
from kg.query import FACT_FIELDS, fact_rows
from kg.validate import validate_graph

ROOT = Path(__file__).resolve().parent.parent
# rdflib 7.6's own N-Quads / JSON-LD parsers use its deprecated ConjunctiveGraph API
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
CONTRACT_FACT_FIELDS = ["subject", "subject_type", "subject_aliases", "predicate", "object", "object_type",
                        "object_aliases", "doc", "sentence", "start", "end", "confidence",
                        "price_usd", "amount_usd", "date", "role", "former",
                        "status", "round", "lead", "amount", "currency"]

SMALL = """
@prefix kg: <https://w3id.org/techkg/ontology#> .
@prefix ent: <https://w3id.org/techkg/entity/> .
@prefix doc: <https://w3id.org/techkg/doc/> .
@prefix stmt: <https://w3id.org/techkg/statement/> .
@prefix event: <https://w3id.org/techkg/event/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

doc:d1 a kg:Document ; kg:contentHash "abc" .
ent:meta a kg:Company ; rdfs:label "Meta" ; skos:altLabel "Facebook" ; owl:sameAs <http://www.wikidata.org/entity/Q380> ;
    kg:mentions 3 ; kg:mentionedIn doc:d1 .
ent:yann_lecun a kg:Person ; rdfs:label "Yann LeCun" ; kg:mentions 1 ; kg:mentionedIn doc:d1 .
ent:instagram a kg:Company ; rdfs:label "Instagram" ; kg:mentions 1 ; kg:mentionedIn doc:d1 .

ent:yann_lecun kg:worksFor ent:meta .
ent:meta kg:acquired ent:instagram .

stmt:s1 a rdf:Statement ; rdf:subject ent:yann_lecun ; rdf:predicate kg:worksFor ; rdf:object ent:meta ;
    prov:wasDerivedFrom doc:d1 ; kg:sentence "Yann LeCun works at Meta." ; kg:start 0 ; kg:end 25 ;
    kg:confidence 0.9 .
stmt:s2 a rdf:Statement ; rdf:subject ent:meta ; rdf:predicate kg:acquired ; rdf:object ent:instagram ;
    prov:wasDerivedFrom doc:d1 ; kg:sentence "Meta bought Instagram for $1b in 2012." ; kg:start 26 ; kg:end 64 ;
    kg:confidence 0.8 ; kg:date "2012"^^xsd:gYear ; kg:event event:e1 .
event:e1 a kg:Acquisition ; kg:acquirer ent:meta ; kg:target ent:instagram ; kg:priceUSD 1000000000.0 ;
    kg:date "2012"^^xsd:gYear ; prov:wasDerivedFrom doc:d1 .
"""

BROKEN_EDITS = """
DELETE DATA { stmt:s1 kg:sentence "Yann LeCun works at Meta." . stmt:s2 kg:confidence 0.8 . } ;
INSERT DATA { stmt:s2 kg:confidence 1.5 . ent:meta rdfs:label "Facebook Inc" . ent:yann_lecun a kg:Company . }
"""
BROKEN_VIOLATIONS = [
    'ent:meta: entity has more than one label (rdfs:label): "Facebook Inc", "Meta"',
    "ent:yann_lecun: is both a kg:Organization and a kg:Person, classes the ontology declares disjoint",
    "stmt:s1: statement has no sentence",
    "stmt:s2: statement confidence is above 1 (got 1.5)",
]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus_build")
    res = run("build", ROOT / "corpus", "-o", out, "--no-html")
    assert res.exit_code == 0, res.output
    return out / "graph.ttl"


@pytest.fixture(scope="session")
def corpus_graph(built) -> Graph:
    return Graph().parse(built, format="turtle")


# The bundled corpus keeps no acquisition at the build's default --min-confidence (Meta / Instagram
# scores ~0.42), so a completed acquisition with price and date comes from an invented document.
DEAL_TEXT = "Northwind Systems Inc. acquired Quillbyte Corp. for $40 million in 2019.\n"


@pytest.fixture(scope="session")
def deal_built(tmp_path_factory) -> Path:
    docs = tmp_path_factory.mktemp("deal_docs")
    (docs / "deal.txt").write_text(DEAL_TEXT, encoding="utf-8")
    out = tmp_path_factory.mktemp("deal_build")
    res = run("build", docs, "-o", out, "--no-html")
    assert res.exit_code == 0, res.output
    return out / "graph.ttl"


@pytest.fixture(scope="session")
def deal_exports(deal_built, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("deal_exports")
    files = {}
    for fmt in ("graphml", "csv"):
        files[fmt] = out / f"graph.{fmt}"
        res = run("export", "-g", deal_built, "--format", fmt, "-o", files[fmt])
        assert res.exit_code == 0, res.output
    return files


@pytest.fixture()
def small_files(tmp_path) -> tuple[Path, Path]:
    good = tmp_path / "small.ttl"
    good.write_text(SMALL, encoding="utf-8")
    g = Graph().parse(data=SMALL, format="turtle")
    g.update(BROKEN_EDITS)
    broken = tmp_path / "broken.ttl"
    broken.write_bytes(g.serialize(format="turtle", encoding="utf-8"))
    return good, broken


def _fact_triples(g: Graph) -> set:
    return {(g_s, g_p, g_o) for st in g.subjects(RDF.type, RDF.Statement)
            for g_s, g_p, g_o in [(g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))]
            if (g_s, g_p, g_o) in g}


# ------------------------------------------------------------------------------------------ validate
def test_corpus_graph_conforms(built, corpus_graph):
    res = run("validate", "-g", built)
    n_ent = len({s for s in corpus_graph.subjects(RDF.type, None) if str(s).startswith("https://w3id.org/techkg/entity/")})
    n_st = len(set(corpus_graph.subjects(RDF.type, RDF.Statement)))
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"graph conforms ({n_ent} entities, {n_st} statements)"
    assert n_ent > 20 and n_st > 20


def test_small_graph_conforms(small_files):
    report = validate_graph(Graph().parse(small_files[0], format="turtle"))
    assert report.conforms, report.violations
    assert (report.entities, report.statements) == (3, 2)


def test_broken_graph_yields_exact_violations(small_files):
    report = validate_graph(Graph().parse(small_files[1], format="turtle"))
    assert not report.conforms
    assert report.violations == BROKEN_VIOLATIONS


def test_validate_cli_prints_violations_and_exits_1(small_files):
    res = run("validate", "-g", small_files[1])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert lines[:-1] == BROKEN_VIOLATIONS
    assert lines[-1].startswith("4 violations")
    assert "Traceback" not in res.output


@pytest.mark.parametrize("edit, expected", [
    ("DELETE WHERE { event:e1 kg:acquirer ?a }", "event:e1: acquisition has no acquirer"),
    ('DELETE WHERE { event:e1 kg:priceUSD ?p } ; INSERT DATA { event:e1 kg:priceUSD "a lot" }',
     'event:e1: acquisition price is not an xsd:decimal (got "a lot")'),
    ('DELETE WHERE { event:e1 kg:date ?d } ; INSERT DATA { event:e1 kg:date "2012" }',
     'event:e1: event date is not a single xsd:gYear, xsd:gYearMonth or xsd:date (got "2012")'),
    ("DELETE WHERE { stmt:s1 prov:wasDerivedFrom ?d }", "stmt:s1: statement has no source document (prov:wasDerivedFrom)"),
    ("INSERT DATA { stmt:s1 rdf:object ent:instagram }", "stmt:s1: statement has more than one object (rdf:object): ent:instagram, ent:meta"),
    ("DELETE WHERE { ent:instagram a ?t }", "ent:instagram: entity has no type among the techkg classes"),
    ("DELETE DATA { ent:yann_lecun kg:worksFor ent:meta }", "stmt:s1: statement describes a triple that is not asserted in the graph"),
    ("INSERT DATA { event:e1 kg:confidence 1.5 }", "event:e1: event confidence is not between 0 and 1"),
    ('INSERT DATA { event:e1 kg:status "rumoured" }',
     "event:e1: deal status is not one of completed, announced, pending, blocked, abandoned, talks"),
])
def test_more_violations(small_files, edit, expected):
    g = Graph().parse(small_files[0], format="turtle")
    g.update(edit, initNs={p: n for p, n in g.namespaces()})
    lines = validate_graph(g).violations
    assert any(line == expected or line.startswith(expected + " (") for line in lines), lines


# Events that are no fact carry their own evidence (kg:sentence, kg:start, kg:end, kg:confidence):
# an announced acquisition, a funding round in euros, and a role not yet taken.
IN_FLIGHT = """
ent:orbitrix a kg:Company ; rdfs:label "Orbitrix" ; kg:mentions 2 ; kg:mentionedIn doc:d1 .
event:e2 a kg:Acquisition ; kg:acquirer ent:meta ; kg:target ent:orbitrix ; kg:status "announced" ;
    kg:priceUSD 250000000.0 ; prov:wasDerivedFrom doc:d1 ; kg:sentence "Meta agreed to buy Orbitrix for $250m." ;
    kg:start 65 ; kg:end 103 ; kg:confidence 0.7 .
event:e3 a kg:Investment ; kg:investor ent:meta ; kg:target ent:orbitrix ; kg:status "completed" ;
    kg:amount 25000000.0 ; kg:currency "EUR" ; kg:round "Series A" ; kg:lead true ; kg:date "2022"^^xsd:gYear ;
    prov:wasDerivedFrom doc:d1 .
event:e4 a kg:Appointment ; kg:appointee ent:yann_lecun ; kg:organization ent:orbitrix ; kg:position kg:ceoOf ;
    kg:role "CEO" ; kg:status "future" ; prov:wasDerivedFrom doc:d1 ;
    kg:sentence "Yann LeCun will become CEO of Orbitrix." ; kg:start 104 ; kg:end 143 ; kg:confidence 0.7 .
"""


def test_events_in_flight_conform(small_files):
    """Evidence on an event does not make it a statement (the ontology's evidence properties have
    the events in their domain), and the deal and role vocabulary passes its shapes."""
    g = Graph().parse(data=small_files[0].read_text(encoding="utf-8") + IN_FLIGHT, format="turtle")
    report = validate_graph(g)
    assert report.conforms, report.violations
    assert (report.entities, report.statements) == (4, 2)
    g.update('DELETE WHERE { event:e4 kg:status ?s } ; INSERT DATA { event:e4 kg:status "completed" . '
             'event:e2 kg:sentence "A second sentence." }', initNs={p: n for p, n in g.namespaces()})
    assert validate_graph(g).violations == [
        'event:e2: event sentence is not one plain string: "A second sentence.", "Meta agreed to buy Orbitrix for $250m."',
        "event:e4: appointment status is not 'future' (got \"completed\")",
    ]


def test_disjointness_shapes_cover_the_ontology():
    """One `sh:not [sh:class B]` shape per disjoint pair of ontology/techkg.ttl, no more, no fewer."""
    from kg.validate import ONTOLOGY, SHAPES, SH, disjoint_pairs

    shapes = Graph().parse(SHAPES, format="turtle")
    covered = set()
    for shape, neg in shapes.subject_objects(SH["not"]):
        a, b = shapes.value(shape, SH.targetClass), shapes.value(neg, SH["class"])
        covered.add(tuple(sorted((a, b))))
    pairs = disjoint_pairs(Graph().parse(ONTOLOGY, format="turtle"))
    assert (KG.Organization, KG.Person) in pairs
    assert covered == pairs


def test_validate_errors_are_one_line(tmp_path):
    from kg.cli import main

    missing = tmp_path / "missing.ttl"
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle <<<", encoding="utf-8")
    for path in (missing, bad):
        with pytest.raises(SystemExit) as exc:
            main(["validate", "-g", str(path)])
        assert exc.value.code != 0


def test_validate_errors_message(tmp_path, capsys):
    from kg.cli import main

    with pytest.raises(SystemExit):
        main(["validate", "-g", str(tmp_path / "missing.ttl")])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: graph file not found")


# ------------------------------------------------------------------------------------------ export
@pytest.fixture(scope="session")
def exports(built, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    files = {}
    for fmt in ("ttl", "nt", "nq", "jsonld", "graphml", "csv"):
        path = out / f"graph.{fmt}"
        res = run("export", "-g", built, "--format", fmt, "-o", path)
        assert res.exit_code == 0, res.output
        assert path.is_file()
        files[fmt] = path
    return files


@pytest.mark.parametrize("fmt, rdf_format", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_rdf_exports_round_trip(exports, corpus_graph, fmt, rdf_format):
    g = Graph().parse(exports[fmt], format=rdf_format)
    assert len(_fact_triples(g)) == len(_fact_triples(corpus_graph)) > 0
    assert set(g) == set(corpus_graph)


def test_jsonld_uses_ontology_prefixes(exports):
    doc = json.loads(exports["jsonld"].read_text(encoding="utf-8"))
    for prefix in ("kg", "ent", "doc", "prov", "rdfs", "skos", "owl", "wd"):
        assert prefix in doc["@context"]
    text = exports["jsonld"].read_text(encoding="utf-8")
    assert '"kg:worksFor"' in text and '"rdfs:label"' in text and '"wd:Q380"' in text


def test_nquads_one_named_graph_per_document(exports, corpus_graph):
    ds = Dataset()
    ds.parse(exports["nq"], format="nquads")
    docs = set(corpus_graph.subjects(RDF.type, KG.Document))
    named = {g.identifier for g in ds.graphs() if g.identifier != ds.default_graph.identifier}
    # one named graph per document something was extracted from (002 yields no fact or event)
    assert named == set(corpus_graph.objects(None, PROV.wasDerivedFrom)) <= docs
    assert len(docs) == 5 and len(named) == 4 and DOC["002_beece11bf5ab5d3b"] not in named
    union = {t for g in ds.graphs() for t in g}
    assert union == set(corpus_graph)
    facts_in_named = set()
    for g in ds.graphs():
        if g.identifier == ds.default_graph.identifier:
            continue
        for st in g.subjects(RDF.type, RDF.Statement):
            assert g.value(st, PROV.wasDerivedFrom) == g.identifier
            fact = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
            assert fact in g  # the direct triple travels with its evidence
            facts_in_named.add(fact)
    assert facts_in_named == _fact_triples(corpus_graph)
    default = ds.default_graph
    assert (URIRef("https://w3id.org/techkg/entity/meta"), URIRef("http://www.w3.org/2002/07/owl#sameAs"),
            URIRef("http://www.wikidata.org/entity/Q380")) in default
    assert not list(default.subjects(RDF.type, RDF.Statement))


def test_graphml_reads_back_in_networkx(exports, corpus_graph):
    G = nx.read_graphml(exports["graphml"], force_multigraph=True)
    n_ent = len({s for s in corpus_graph.subjects(RDF.type, None) if str(s).startswith("https://w3id.org/techkg/entity/")})
    assert G.number_of_nodes() == n_ent
    assert G.number_of_edges() == len(set(corpus_graph.subjects(RDF.type, RDF.Statement)))
    meta = [d for _, d in G.nodes(data=True) if d.get("label") == "Meta"]
    assert len(meta) == 1 and meta[0]["wikidata"] == "Q380" and meta[0]["type"] == "Company"
    for _, _, d in G.edges(data=True):
        assert d["predicate"] and isinstance(d["confidence"], float) and 0 <= d["confidence"] <= 1
        assert d["doc"] and d["sentence"]
    # "They released PyTorch in 2017" on FAIR's developed edge
    assert any(d.get("date") == "2017" and d["predicate"] == "developed" for _, _, d in G.edges(data=True))
    invested = [(G.nodes[u]["label"], G.nodes[v]["label"], d["amount_usd"], d["status"], d["lead"], d["round"])
                for u, v, d in G.edges(data=True) if d["predicate"] == "investedIn" and d["amount_usd"]]
    assert invested == [("Mark Zuckerberg", "Scale AI", "14300000000.0", "completed", "false", "")]


def test_graphml_acquisition_edge(deal_exports):
    G = nx.read_graphml(deal_exports["graphml"], force_multigraph=True)
    edges = [(G.nodes[u]["label"], G.nodes[v]["label"], d["predicate"], d["date"], d["price_usd"], d["status"])
             for u, v, d in G.edges(data=True)]
    assert edges == [("Northwind Systems Inc", "Quillbyte Corp", "acquired", "2019", "40000000.0", "completed")]


def test_csv_export_has_contract_fields(exports, corpus_graph):
    text = exports["csv"].read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(FACT_FIELDS) == CONTRACT_FACT_FIELDS
    assert text.splitlines()[0].split(",") == CONTRACT_FACT_FIELDS
    facts = fact_rows(corpus_graph)
    assert len(rows) == len(facts)
    for row, fact in zip(rows, facts):
        assert (row["subject"], row["predicate"], row["object"], row["doc"]) == \
               (fact["subject"], fact["predicate"], fact["object"], fact["doc"])
        assert json.loads(row["subject_aliases"]) == fact["subject_aliases"]
    scale = [r for r in rows if r["object"] == "Scale AI" and r["predicate"] == "investedIn"]
    assert sorted((r["subject"], float(r["amount_usd"]) if r["amount_usd"] else None, r["status"]) for r in scale) == \
        [("Elliot Schrage", None, "completed"), ("Mark Zuckerberg", 14.3e9, "completed")]
    pytorch = [r for r in rows if r["object"] == "PyTorch" and r["predicate"] == "developed"]
    assert [(r["subject"], r["date"]) for r in pytorch] == [("FAIR", "2017")]


def test_csv_export_acquisition_price_and_date(deal_exports):
    text = deal_exports["csv"].read_text(encoding="utf-8")
    assert text.splitlines()[0].split(",") == CONTRACT_FACT_FIELDS
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["subject"], r["predicate"], r["object"], r["date"], float(r["price_usd"]), r["status"]) for r in rows] \
        == [("Northwind Systems Inc", "acquired", "Quillbyte Corp", "2019", 40e6, "completed")]
    assert rows[0]["sentence"] == DEAL_TEXT.strip() and rows[0]["amount_usd"] == ""


def test_facts_show_date_and_price(deal_built):
    rows = [r for r in fact_rows(Graph().parse(deal_built, format="turtle")) if r["predicate"] == "acquired"]
    assert [(r["subject"], r["object"], r["date"], r["price_usd"]) for r in rows] == \
        [("Northwind Systems Inc", "Quillbyte Corp", "2019", 40e6)]


def test_facts_csv_command_still_works(built):
    res = run("facts", "-g", built, "--format", "csv")
    assert res.exit_code == 0
    header = res.output.splitlines()[0].split(",")
    assert header[:12] == CONTRACT_FACT_FIELDS[:12]
    assert set(header) <= set(CONTRACT_FACT_FIELDS)


def test_export_is_deterministic(built, exports, tmp_path):
    for fmt, first in exports.items():
        again = tmp_path / first.name
        assert run("export", "-g", built, "--format", fmt, "-o", again).exit_code == 0
        assert again.read_bytes() == first.read_bytes(), fmt


def test_export_format_from_suffix_and_errors(built, tmp_path):
    res = run("export", "-g", built, "-o", tmp_path / "g.nq")
    assert res.exit_code == 0 and "(nq)" in res.output
    from kg.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["export", "-g", str(built), "-o", str(tmp_path / "g.unknown")])
    assert exc.value.code != 0
    with pytest.raises(SystemExit) as exc:
        main(["export", "-g", str(tmp_path / "missing.ttl"), "--format", "nt", "-o", str(tmp_path / "x.nt")])
    assert exc.value.code != 0
    assert not (tmp_path / "x.nt").exists()


def test_export_writes_atomically(built, tmp_path):
    target = tmp_path / "out" / "graph.nt"
    target.parent.mkdir()  # -o never creates folders (issue 15)
    assert run("export", "-g", built, "--format", "nt", "-o", target).exit_code == 0
    assert [p.name for p in target.parent.iterdir()] == ["graph.nt"]  # no temporary file left behind


def test_small_graph_nquads_default_graph_holds_entities(small_files, tmp_path):
    out = tmp_path / "small.nq"
    assert run("export", "-g", small_files[0], "-o", out).exit_code == 0
    ds = Dataset()
    ds.parse(out, format="nquads")
    d1 = ds.graph(DOC.d1)
    assert (URIRef("https://w3id.org/techkg/entity/meta"), KG.acquired,
            URIRef("https://w3id.org/techkg/entity/instagram")) in d1
    assert (URIRef("https://w3id.org/techkg/event/e1"), KG.priceUSD, None) in d1
    assert (URIRef("https://w3id.org/techkg/entity/meta"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            None) in ds.default_graph
