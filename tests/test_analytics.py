"""kg.analytics (networkx helpers, sparql_df), the views built on it, `kg view` and the saved queries."""
from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, Literal, URIRef

from kg import analytics as A
from kg.graph import KG
from kg.query import KGError, entity_rows, find_entity, is_doc_scoped, load_graph, to_networkx
from kg.views import full_view, full_view_html, iframe, render_paths, to_html

ROOT = Path(__file__).resolve().parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
EX = "https://w3id.org/techkg/entity/"


def node(G, name, etype, **attrs):
    G.add_node(EX + name, label=name.replace("_", " "), type=etype, aliases=attrs.get("aliases", []),
               wikidata=attrs.get("wikidata"))


def fact(G, s, p, o, confidence=0.9, doc="d1", sentence=None):
    G.add_edge(EX + s, EX + o, key=f"{p}|{doc}|{sentence}", predicate=p, confidence=confidence, doc=doc,
               sentence=sentence or f"{s} {p} {o}.")


@pytest.fixture()
def G() -> nx.MultiDiGraph:
    """A small world: LeCun -> FAIR -> PyTorch, Meta's people and products, an isolated entity."""
    G = nx.MultiDiGraph()
    for name, t in [("Yann_LeCun", "Person"), ("FAIR", "ResearchLab"), ("PyTorch", "Product"), ("Meta", "Company"),
                    ("Mark_Zuckerberg", "Person"), ("LLaMA", "AIModel"), ("Instagram", "Company"),
                    ("NYU", "University"), ("Google", "Company"), ("TensorFlow", "Product"), ("Lonely", "Person")]:
        node(G, name, t)
    fact(G, "Yann_LeCun", "leads", "FAIR", 0.8)
    fact(G, "Yann_LeCun", "founded", "FAIR", 0.9, doc="d2")
    fact(G, "FAIR", "developed", "PyTorch", 0.9)
    fact(G, "FAIR", "developed", "PyTorch", 0.7, doc="d3")  # same fact, second evidence sentence
    fact(G, "FAIR", "parentOrganization", "Meta", 0.65)
    fact(G, "Mark_Zuckerberg", "ceoOf", "Meta", 0.85)
    fact(G, "Meta", "developed", "LLaMA", 0.7)
    fact(G, "Meta", "acquired", "Instagram", 0.6)
    fact(G, "Yann_LeCun", "worksFor", "NYU", 0.85)
    fact(G, "Google", "developed", "TensorFlow", 0.7)
    return G


def labels(G, nodes):
    return [G.nodes[n]["label"] for n in nodes]


# ------------------------------------------------------------------------------------------ structure
def test_undirected_is_a_view_not_a_copy(G):
    U = A.undirected(G)
    assert not U.is_directed() and nx.is_frozen(U)
    fact(G, "Lonely", "worksFor", "Google")
    assert U.has_edge(EX + "Google", EX + "Lonely")  # a view sees later changes


def test_collapse_counts_distinct_predicates_once(G):
    H = A.collapse(G)
    assert H[EX + "Yann_LeCun"][EX + "FAIR"]["weight"] == 2  # leads + founded
    assert H[EX + "FAIR"][EX + "PyTorch"]["weight"] == 1  # two sentences, one fact
    assert H.number_of_nodes() == G.number_of_nodes()
    D = A.collapse(G, directed=True)
    assert D.has_edge(EX + "FAIR", EX + "Meta") and not D.has_edge(EX + "Meta", EX + "FAIR")


def test_expand_types():
    assert A.expand_types(None) is None and A.expand_types([]) is None
    assert A.expand_types(["organization"]) == set(A.ORGANIZATION_TYPES)
    assert A.expand_types(["person,aimodel", "Product"]) == {"Person", "AIModel", "Product"}


# ------------------------------------------------------------------------------------------ centrality
def test_pagerank_matches_the_reference_algorithm(G):
    scores = A.pagerank(G)
    assert abs(sum(scores.values()) - 1) < 1e-9
    reference = getattr(nx.algorithms.link_analysis.pagerank_alg, "_pagerank_python", None)
    if reference is not None:  # networkx's pure-Python PageRank (its public one needs scipy)
        expected = reference(A.collapse(G).to_directed(), weight="weight", tol=1e-12, max_iter=1000)
        assert all(abs(scores[n] - expected[n]) < 1e-6 for n in G)
    # the isolated entity only gets the teleport share; the hub the most
    assert min(scores, key=scores.get) == EX + "Lonely"
    assert max(scores, key=scores.get) in (EX + "Meta", EX + "FAIR")


def test_pagerank_of_a_star_and_of_nothing():
    star = nx.MultiDiGraph()
    for i in range(5):
        star.add_edge("hub", f"leaf{i}", predicate="p")
    s = A.pagerank(star)
    assert s["hub"] > s["leaf0"] and abs(s["leaf0"] - s["leaf4"]) < 1e-12
    assert A.pagerank(nx.MultiDiGraph()) == {}


def test_central_entities_and_degree(G):
    rows = A.central_entities(G, 3)
    assert [r["label"] for r in rows][0] in ("Meta", "FAIR")
    assert set(rows[0]) == {"id", "label", "type", "neighbours", "degree", "pagerank"}
    degree = A.degree_centrality(G)
    assert degree[EX + "FAIR"] == pytest.approx(3 / 10)  # LeCun, PyTorch, Meta out of 10 others
    assert A.top_entities(G, None)[-1] == EX + "Lonely"
    assert A.top_entities(G, 2) == [r["id"] for r in A.central_entities(G, 2)]


# ------------------------------------------------------------------------------------------ communities
def two_cliques() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for side in "ab":
        for i in range(5):
            G.add_node(f"{side}{i}", label=f"{side}{i}", type="Person")
        for i in range(5):
            for j in range(i + 1, 5):
                G.add_edge(f"{side}{i}", f"{side}{j}", predicate="knows", confidence=1.0)
    G.add_edge("a0", "b0", predicate="knows", confidence=1.0)
    G.add_node("alone", label="alone", type="Person")
    return G


@pytest.mark.parametrize("method", ["louvain", "greedy"])
def test_communities_split_two_cliques(method):
    G = two_cliques()
    found = A.communities(G, method=method)
    assert found[:2] == [{f"a{i}" for i in range(5)}, {f"b{i}" for i in range(5)}]
    assert found[2] == {"alone"}
    assert A.communities(G, method=method, min_size=2) == found[:2]
    assert A.communities(G, method=method) == found  # fixed seed: same answer every time
    names = A.community_labels(G, found[:2], top=2)
    assert names["a3"].startswith("1: a0, ") and names["b1"].startswith("2: b0, ")


def test_communities_reject_unknown_method():
    with pytest.raises(ValueError):
        A.communities(two_cliques(), method="magic")


# ------------------------------------------------------------------------------------------ neighbourhoods
def test_ego_network_follows_both_directions_and_is_a_view(G):
    one = A.ego_network(G, EX + "FAIR", 1)
    assert set(labels(G, one)) == {"FAIR", "Yann LeCun", "PyTorch", "Meta"}
    assert nx.is_frozen(one) and one.number_of_edges() == 5  # every evidence edge among them
    two = A.ego_network(G, EX + "FAIR", 2)
    assert {"Mark Zuckerberg", "LLaMA", "Instagram", "NYU"} <= set(labels(G, two))
    assert "Google" not in labels(G, two)
    with pytest.raises(nx.NodeNotFound):
        A.ego_network(G, EX + "Nobody", 1)


def test_typed_neighbours(G):
    rows = A.typed_neighbours(G, EX + "FAIR")
    assert [(r["direction"], r["predicate"], r["label"]) for r in rows] == [
        ("out", "developed", "PyTorch"), ("out", "parentOrganization", "Meta"),
        ("in", "founded", "Yann LeCun"), ("in", "leads", "Yann LeCun")]
    pytorch = rows[0]
    assert pytorch["evidence"] == 2 and pytorch["confidence"] == 0.9
    orgs = A.typed_neighbours(G, EX + "Yann_LeCun", types=["Organization"])
    assert {r["label"] for r in orgs} == {"FAIR", "NYU"}  # ResearchLab and University are Organizations
    assert [r["label"] for r in A.typed_neighbours(G, EX + "Meta", direction="in", predicates=["ceoOf"])] == [
        "Mark Zuckerberg"]
    with pytest.raises(ValueError):
        A.typed_neighbours(G, EX + "Meta", direction="sideways")


# ------------------------------------------------------------------------------------------ paths
def test_shortest_paths_and_descriptions(G):
    paths = A.shortest_paths(G, EX + "Yann_LeCun", EX + "PyTorch")
    assert [labels(G, p) for p in paths] == [["Yann LeCun", "FAIR", "PyTorch"]]
    assert A.describe_path(G, paths[0]) == "Yann LeCun -founded|leads-> FAIR -developed-> PyTorch"
    back = A.shortest_paths(G, EX + "PyTorch", EX + "Mark_Zuckerberg")[0]
    assert A.describe_path(G, back) == "PyTorch <-developed- FAIR -parentOrganization-> Meta <-ceoOf- Mark Zuckerberg"
    assert A.path_edges(G, [back]) == {(EX + "FAIR", EX + "PyTorch"), (EX + "FAIR", EX + "Meta"),
                                       (EX + "Mark_Zuckerberg", EX + "Meta")}
    with pytest.raises(nx.NetworkXNoPath):
        A.shortest_paths(G, EX + "Meta", EX + "Google")
    with pytest.raises(nx.NodeNotFound):
        A.shortest_paths(G, EX + "Meta", EX + "Nobody")


def test_all_shortest_paths_up_to_a_limit():
    G = nx.MultiDiGraph()
    for i in range(6):
        G.add_edge("s", f"m{i}", predicate="p")
        G.add_edge(f"m{i}", "t", predicate="p")
    G.add_node("s", label="s")
    assert len(A.shortest_paths(G, "s", "t", limit=None)) == 6
    four = A.shortest_paths(G, "s", "t", limit=4)
    assert [p[1] for p in four] == ["m0", "m1", "m2", "m3"]  # sorted, so the choice is stable


def test_path_view_highlights_and_orders_left_to_right(G, tmp_path):
    paths = A.shortest_paths(G, EX + "PyTorch", EX + "Mark_Zuckerberg")
    page = render_paths(G, paths, tmp_path / "p.html").read_text(encoding="utf-8")
    nodes = {n["label"]: n for n in embedded(page, "nodes")}
    assert [nodes[x]["level"] for x in ("PyTorch", "FAIR", "Meta", "Mark Zuckerberg")] == [0, 1, 2, 3]
    assert all(n["borderWidth"] == 4 for n in nodes.values())
    assert "Yann LeCun" not in nodes
    # Laid out in Python, left to right: x grows with the level, physics off.
    xs = [nodes[x]["x"] for x in ("PyTorch", "FAIR", "Meta", "Mark Zuckerberg")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert embedded_options(page)["physics"]["enabled"] is False
    assert "1 shortest path of 3 hops" in page


# ------------------------------------------------------------------------------------------ filtering and views
def embedded(page: str, name: str):
    return json.loads(re.search(rf"^var {name} = new vis\.DataSet\((.*)\);$", page, re.M).group(1))


def embedded_options(page: str) -> dict:
    return json.loads(re.search(r"^var network = new vis\.Network\(container, \{nodes: nodes, edges: edges\}, (.*)\);$",
                                page, re.M).group(1))


def test_filter_graph(G):
    assert A.filter_graph(G).number_of_nodes() == G.number_of_nodes()  # small graphs stay whole
    orgs = A.filter_graph(G, types=["Organization"])
    assert set(labels(G, orgs)) == {"FAIR", "Meta", "Instagram", "NYU", "Google"}
    assert nx.is_frozen(orgs)
    sure = A.filter_graph(G, min_confidence=0.8)
    assert sure.number_of_nodes() == G.number_of_nodes()
    assert sorted(d["predicate"] for *_, d in sure.edges(data=True)) == [
        "ceoOf", "developed", "founded", "leads", "worksFor"]
    top = A.filter_graph(G, top=3)
    assert set(top) == set(A.top_entities(G, 3))


def test_full_view_keeps_the_most_central_of_a_large_graph():
    big = nx.MultiDiGraph()
    for i in range(A.DEFAULT_TOP + 50):
        big.add_node(f"e{i}", label=f"E{i}", type="Person")
    for i in range(1, 40):  # e0 is a hub
        big.add_edge(f"e{i}", "e0", predicate="worksFor", confidence=0.9)
    shown, note = full_view(big)
    assert shown.number_of_nodes() == A.DEFAULT_TOP and "e0" in shown
    assert note == f"the {A.DEFAULT_TOP} most central of {A.DEFAULT_TOP + 50} entities (PageRank; --top 0 for all)"
    page = full_view_html(big)
    assert len(embedded(page, "nodes")) == A.DEFAULT_TOP and "most central of 350" in page
    assert len(embedded(full_view_html(big, top=0), "nodes")) == A.DEFAULT_TOP + 50


def test_large_views_come_with_a_layout_and_no_physics():
    big = nx.MultiDiGraph()
    for i in range(2000):
        big.add_node(f"e{i}", label=f"E{i}", type="Person")
        big.add_edge(f"e{i}", f"e{(i * 7 + 1) % 2000}", predicate="knows", confidence=1.0)
    page = to_html(big)
    options = embedded_options(page)
    assert options["physics"]["enabled"] is False and options["physics"]["stabilization"] == {"enabled": False}
    assert options["physics"]["barnesHut"]["theta"] == 0.8  # when switched on
    assert options["layout"]["improvedLayout"] is False
    assert options["interaction"]["hideEdgesOnDrag"] is True
    assert all("x" in n and "y" in n for n in embedded(page, "nodes"))
    assert len({(n["x"], n["y"]) for n in embedded(page, "nodes")}) == 2000
    assert page == to_html(big)  # seeded layout, deterministic page


def test_community_colours_and_iframe(G):
    groups = A.communities(G, min_size=2)
    names = A.community_labels(G, groups)
    page = to_html(G, groups=names)
    colours = {n["label"]: n["color"] for n in embedded(page, "nodes")}
    assert colours["Yann LeCun"] == colours["FAIR"] != colours["Google"]
    assert "shape: entity type" in page
    frame = iframe(page)
    assert frame.count("<iframe") == 1 and "<script" not in frame and 'sandbox="allow-scripts"' in frame


# ------------------------------------------------------------------------------------------ SPARQL
TTL = """@prefix kg: <https://w3id.org/techkg/ontology#> .
@prefix ent: <https://w3id.org/techkg/entity/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ent:meta a kg:Company ; rdfs:label "Meta" ; kg:acquired ent:instagram , ent:oculus .
ent:instagram a kg:Company ; rdfs:label "Instagram" .
ent:oculus a kg:Company ; rdfs:label "Oculus" ; kg:mentions 3 .
"""


def test_sparql_df(tmp_path):
    path = tmp_path / "g.ttl"
    path.write_text(TTL, encoding="utf-8")
    q = "SELECT ?target ?n WHERE { ?a kg:acquired ?t . ?t rdfs:label ?target OPTIONAL { ?t kg:mentions ?n } } ORDER BY ?target"
    df = A.sparql_df(path, q)
    assert list(df.columns) == ["target", "n"]
    assert df["target"].tolist() == ["Instagram", "Oculus"]
    assert df["n"].isna().tolist() == [True, False] and df["n"].iloc[1] == 3
    g = load_graph(path)
    one = A.sparql_df(g, q, {"t": EX + "oculus"})
    assert one["target"].tolist() == ["Oculus"]
    by_label = A.sparql_df(g, "SELECT ?t WHERE { ?t rdfs:label ?name }", {"?name": "Meta"})
    assert by_label["t"].tolist() == [EX + "meta"]
    rq = tmp_path / "q.rq"
    rq.write_text(q, encoding="utf-8")
    assert A.sparql_df(g, rq).equals(df) and A.sparql_df(g, str(rq)).equals(df)
    empty = A.sparql_df(g, "SELECT ?x WHERE { ?x kg:acquired ent:nothing }")
    assert list(empty.columns) == ["x"] and empty.empty


def test_sparql_df_errors(tmp_path):
    g = Graph()
    g.add((URIRef(EX + "a"), KG.leads, Literal("b")))
    with pytest.raises(KGError, match="SELECT"):
        A.sparql_df(g, "ASK { ?s ?p ?o }")
    with pytest.raises(KGError, match="malformed"):
        A.sparql_df(g, "SELEC ?x WHERE {}")
    with pytest.raises(KGError, match="not found"):
        A.sparql_df(g, tmp_path / "missing.rq")


# ------------------------------------------------------------------------------------------ on the corpus
@pytest.fixture(scope="module")
def corpus(corpus_build):
    g = load_graph(corpus_build.graph)
    return g, to_networkx(g)


def test_saved_queries_exist():
    assert {q.stem for q in QUERIES} >= {"leaders", "meta_deals", "movers", "models_developers", "evidence"}


# movers.rq has no answer on the bundled corpus at the default threshold (no person has facts with
# two organisations there): it is run on the invented graph below instead.
NO_CORPUS_ANSWER = {"movers"}


@pytest.mark.parametrize("rq", [q for q in QUERIES if q.stem not in NO_CORPUS_ANSWER], ids=lambda p: p.stem)
def test_saved_query_returns_rows(rq, corpus_build, run_kg):
    res = run_kg("query", rq, "-g", corpus_build.graph, "--format", "json")
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert rows, f"{rq.name} returned no rows"


# An invented world for movers.rq: Iva Strand worked for, led and founded three organisations,
# Orla Venn two (one of them twice, by two relations); Tam Oduya is CEO of and leads one only,
# Pell Arkin works for one only, and Brackwater (a company, not a person) founded two.
MOVERS_TTL = """@prefix kg: <https://w3id.org/techkg/ontology#> .
@prefix ent: <https://w3id.org/techkg/entity/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ent:iva a kg:Person ; rdfs:label "Iva Strand" ;
    kg:worksFor ent:quillon ; kg:leads ent:brackwater ; kg:founded ent:tessel_lab .
ent:orla a kg:Person ; rdfs:label "Orla Venn" ;
    kg:worksFor ent:quillon , ent:marrow ; kg:ceoOf ent:marrow .
ent:tam a kg:Person ; rdfs:label "Tam Oduya" ; kg:ceoOf ent:quillon ; kg:leads ent:quillon .
ent:pell a kg:Person ; rdfs:label "Pell Arkin" ; kg:worksFor ent:marrow .
ent:brackwater a kg:Company ; rdfs:label "Brackwater" ; kg:founded ent:quillon , ent:marrow .
ent:quillon a kg:Company ; rdfs:label "Quillon" .
ent:marrow a kg:Company ; rdfs:label "Marrow Systems" .
ent:tessel_lab a kg:ResearchLab ; rdfs:label "Tessel Lab" .
"""
MOVERS = [("Iva Strand", 3, {"Brackwater", "Quillon", "Tessel Lab"}),
          ("Orla Venn", 2, {"Marrow Systems", "Quillon"})]


def test_movers_query_on_an_invented_graph(tmp_path, run_kg):
    path = tmp_path / "movers.ttl"
    path.write_text(MOVERS_TTL, encoding="utf-8")
    movers = A.sparql_df(path, ROOT / "queries" / "movers.rq")
    assert [(r.person, r.organizations, set(r.names.split(", "))) for r in movers.itertuples()] == MOVERS
    res = run_kg("query", ROOT / "queries" / "movers.rq", "-g", path, "--format", "json")
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert [(r["person"], int(r["organizations"]), set(r["names"].split(", "))) for r in rows] == MOVERS


def test_saved_queries_answer_the_questions(corpus):
    g, _ = corpus
    leaders = A.sparql_df(g, ROOT / "queries" / "leaders.rq")
    pairs = set(zip(leaders.person, leaders.relation, leaders.organization))
    # The sentence "Google's CEO, Sundar Pichai, and his top AI lieutenant, Demis Hassabis, as well as
    # the chief executives of Microsoft and OpenAI, Satya Nadella and Sam Altman" gives two right
    # pairs, Nadella as Microsoft's leader (true, weaker than the gold ceoOf) and, wrongly, Pichai as
    # CEO of Microsoft and OpenAI and Hassabis as leader of Google and OpenAI (README, Quality: known errors).
    crossed = {("Sundar Pichai", "ceoOf", "Microsoft"), ("Sundar Pichai", "ceoOf", "OpenAI"),
               ("Demis Hassabis", "leads", "Google"), ("Demis Hassabis", "leads", "OpenAI"),
               ("Satya Nadella", "leads", "Microsoft")}
    assert pairs == {("Alexandr Wang", "founded", "Scale AI"), ("Sam Altman", "ceoOf", "OpenAI"),
                     ("Daniel Gross", "ceoOf", "Safe Superintelligence"), ("Mark Zuckerberg", "ceoOf", "Meta"),
                     ("Mark Zuckerberg", "founded", "Meta"), ("Sundar Pichai", "ceoOf", "Google"),
                     ("Yann LeCun", "founded", "FAIR")} | crossed
    assert len(leaders) == 12  # one row per (fact, role)
    zuckerberg = leaders[leaders.person == "Mark Zuckerberg"].set_index("relation")
    assert zuckerberg.loc["ceoOf", "role"] == "CEO" and zuckerberg.loc["ceoOf", "evidence"] == 3
    assert zuckerberg.loc["founded", "role"] == "company founder"
    deals = A.sparql_df(g, ROOT / "queries" / "meta_deals.rq")
    rows = [(r.deal, r.by, r.target, r.usd, r.year if isinstance(r.year, str) else None, r.status, r.doc)
            for r in deals.itertuples()]
    # The Instagram acquisition ("bought for $1b in 2012 when Facebook was ..."); the $14.3 billion
    # in Scale AI, which "He then invested" gives to the CEO rather than to Meta; Meta's "minority
    # stake in Scale" that it "would take" is a deal not yet done (an event).
    assert [(d, by, t, None if u != u else u, y, st, dc) for d, by, t, u, y, st, dc in rows] == [
        ("acquired", "Meta", "Instagram", 1e9, "2012", "completed", "000_c4c6127d73d65f6c"),
        ("investedIn", "Mark Zuckerberg", "Scale AI", 14.3e9, None, "completed", "003_c485ab5086bd713f"),
        ("investedIn", "Meta", "Scale AI", None, None, "talks", "003_c485ab5086bd713f")]
    # Yann LeCun (Meta, FAIR, "a New York University professor") is a real mover; Sundar Pichai and
    # Demis Hassabis come from the crossed CEO list above.
    movers = A.sparql_df(g, ROOT / "queries" / "movers.rq")
    assert list(movers.columns) == ["person", "organizations", "names"]
    assert [(r.person, r.organizations, set(r.names.split(", "))) for r in movers.itertuples()] == [
        ("Sundar Pichai", 3, {"Google", "Microsoft", "OpenAI"}), ("Yann LeCun", 3, {"Meta", "New York University", "FAIR"}),
        ("Demis Hassabis", 2, {"Google", "OpenAI"})]
    models = A.sparql_df(g, ROOT / "queries" / "models_developers.rq")
    assert set(zip(models["item"], models["developer"])) == {
        ("Galactica", "Meta"), ("LLaMA", "Meta"), ("Stories", "Meta"), ("ChatGPT", "OpenAI"), ("PyTorch", "FAIR"),
        ("BlenderBot", "Meta"), ("TensorFlow", "Google")}
    assert models.set_index("item").loc["PyTorch", "developerKind"] == "ResearchLab"
    pichai = find_entity(g, "Sundar Pichai")
    evidence = A.sparql_df(g, ROOT / "queries" / "evidence.rq", {"s": pichai, "p": KG.ceoOf})
    assert sorted(evidence.object) == ["Google", "Microsoft", "OpenAI"]
    assert evidence.sentence.str.contains("Google's CEO, Sundar Pichai").all()


def test_corpus_path_and_centrality(corpus):
    g, G = corpus
    paths = A.shortest_paths(G, str(find_entity(g, "Yann LeCun")), str(find_entity(g, "PyTorch")))
    assert labels(G, paths[0]) == ["Yann LeCun", "FAIR", "PyTorch"]
    assert A.central_entities(G, 1)[0]["label"] == "Meta"
    # every entity of the corpus is in the network: it has none of one document only without a
    # fact, the entities the network leaves out (test_resolution checks that they are left out)
    assert [r["id"] for r in entity_rows(g) if is_doc_scoped(r["id"]) or r["id"] not in G] == []
    assert len(entity_rows(g)) == G.number_of_nodes()


def test_kg_view_command(corpus_build, run_kg, tmp_path):
    total = to_networkx(load_graph(corpus_build.graph)).number_of_nodes()
    out = tmp_path / "all.html"
    res = run_kg("view", "-g", corpus_build.graph, "-o", out)
    assert res.stdout.splitlines() == [f"{total} of {total} entities", f"wrote {out}"]
    assert len(embedded(out.read_text(encoding="utf-8"), "nodes")) == total

    top = tmp_path / "top.html"
    run_kg("view", "-g", corpus_build.graph, "--top", "10", "-o", top)
    page = top.read_text(encoding="utf-8")
    assert len(embedded(page, "nodes")) == 10 and "Meta" in {n["label"] for n in embedded(page, "nodes")}
    assert f"the 10 most central of {total} entities" in page

    orgs = tmp_path / "orgs.html"
    run_kg("view", "-g", corpus_build.graph, "--types", "Organization", "--types", "person",
           "--min-confidence", "0.8", "--top", "0", "-o", orgs)
    page = orgs.read_text(encoding="utf-8")
    assert {n["title"].split("\n")[1] for n in embedded(page, "nodes")} <= {
        f"Type: {t}" for t in ("Person",) + A.ORGANIZATION_TYPES}
    assert all(float(re.search(r"confidence (\S+)", e["title"]).group(1)) >= 0.8 for e in embedded(page, "edges"))

    bad = run_kg("view", "-g", corpus_build.graph, ok=False)
    assert bad.exit_code != 0  # -o is required
    typo = run_kg("view", "-g", corpus_build.graph, "--types", "Persn", "-o", tmp_path / "x.html", ok=False)
    assert typo.exit_code != 0 and "unknown entity type Persn" in str(typo.exception or typo.stderr)
