"""Tests for kg.views: offline, injection-safe, deterministic pages with a layout computed in Python."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from rdflib import RDF, XSD, Literal

from kg import views as V
from kg.analytics import add_fact_details
from kg.graph import DOC, ENT, EVENT, KG, STMT, new_graph
from kg.query import to_networkx
from kg.views import TYPE_STYLE, layout, render_html, to_html

ROOT = Path(__file__).resolve().parents[1]
EX = "http://techkg.example/entity/"
HOSTILE = "Sam said </script><script>alert(1)</script> and <img src=x onerror=alert(1)> & more\u2028end"


def small_graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_node(EX + "OpenAI", label="OpenAI", type="Company", aliases=["Open AI"], wikidata="Q21708200")
    g.add_node(EX + "Sam_Altman", label="Sam Altman", type="Person", aliases=[], wikidata="Q7407093")
    g.add_node(EX + "GPT-4", label="GPT-4", type="AIModel", aliases=["GPT4", "gpt-4"], wikidata=None)
    g.add_edge(EX + "Sam_Altman", EX + "OpenAI", predicate="worksFor", sentence="Sam Altman leads OpenAI.", doc="a", confidence=0.9)
    g.add_edge(EX + "OpenAI", EX + "GPT-4", predicate="developed", sentence="OpenAI released GPT-4.", doc="b", confidence=0.8)
    return g


def star_graph(n: int = 30, isolated: int = 5) -> nx.MultiDiGraph:
    """A hub with n spokes of mixed types, a second small component and some isolated entities."""
    g = nx.MultiDiGraph()
    g.add_node(EX + "hub", label="Hubcorp International", type="Company", aliases=["Hubco"], wikidata=None)
    types = ["Person", "Product", "AIModel", "Company"]
    for i in range(n):
        g.add_node(f"{EX}s{i}", label=f"Spoke number {i}", type=types[i % 4], aliases=[], wikidata=None)
        pred = "worksFor" if i % 4 == 0 else "developed"
        u, v = (f"{EX}s{i}", EX + "hub") if pred == "worksFor" else (EX + "hub", f"{EX}s{i}")
        g.add_edge(u, v, predicate=pred, sentence=f"Sentence {i}.", doc=f"d{i % 3}", confidence=0.5 + (i % 5) / 10)
    g.add_node(EX + "x", label="Xavier Quill", type="Person", aliases=[], wikidata=None)
    g.add_node(EX + "y", label="Ylem Labs", type="ResearchLab", aliases=[], wikidata=None)
    g.add_edge(EX + "x", EX + "y", predicate="leads", sentence="Xavier Quill leads Ylem Labs.", doc="d9", confidence=0.7)
    for i in range(isolated):
        g.add_node(f"{EX}iso{i}", label=f"Lonely {i}", type="Product", aliases=[], wikidata=None)
    return g


def embedded(page: str, name: str):
    """The JSON literal handed to ``new vis.DataSet`` for ``nodes``/``edges``."""
    match = re.search(rf"^var {name} = new vis\.DataSet\((.*)\);$", page, re.M)
    assert match, f"no {name} DataSet in page"
    return json.loads(match.group(1))


def data(page: str) -> dict:
    match = re.search(r"^var techkgData = (.*);$", page, re.M)
    assert match
    return json.loads(match.group(1))


def embedded_options(page: str) -> dict:
    match = re.search(r"^var network = new vis\.Network\(container, \{nodes: nodes, edges: edges\}, (.*)\);$", page, re.M)
    assert match
    return json.loads(match.group(1))


def app_script(page: str) -> str:
    match = re.search(r'<script id="techkg-app">(.*?)</script>', page, re.S)
    assert match
    return match.group(1)


def boxes_of(page: str) -> dict[str, tuple[float, float, float, float]]:
    """Each drawn node's label box (left, right, top, bottom) as vis-network places it."""
    out = {}
    for n in embedded(page, "nodes"):
        font = n["font"]["size"]
        lines = n["label"].split("\n")
        w = max(V.text_width(line, font) for line in lines)
        top = n["y"] + n["size"] + font / 2 + 4
        out[n["id"]] = (n["x"] - w / 2, n["x"] + w / 2, top, top + len(lines) * font)
    return out


def overlaps(boxes: dict) -> list[tuple[str, str]]:
    items = sorted(boxes.items())
    return [(a, b) for i, (a, p) in enumerate(items) for b, q in items[i + 1:]
            if p[0] < q[1] and q[0] < p[1] and p[2] < q[3] and q[2] < p[3]]


# ------------------------------------------------------------------------------------------ offline, safe
def test_page_is_offline_and_inlines_vis_network():
    page = to_html(small_graph())
    assert re.search(r"<script[^>]+src=", page, re.I) is None
    assert re.search(r"<link[^>]+href=", page, re.I) is None
    assert "node_modules" not in page and "bootstrap" not in page.lower()
    assert "@version 9.1.2" in page  # the vis-network bundle banner
    assert ".vis-network" in page  # its stylesheet
    assert '<meta charset="utf-8">' in page
    assert '<div id="mynetwork"></div>' in page
    assert "https://" not in without_vendor(page) and "http://cdn" not in page


def without_vendor(page: str) -> str:
    """The page minus the inlined vis-network JS and CSS (third-party code)."""
    vendor = re.compile(r"<script>/\*\*\n \* vis-network.*?</script>", re.S)
    assert vendor.search(page)
    return re.sub(r"<style>.*?</style>", "", vendor.sub("", page, count=1), flags=re.S)


def test_generated_markup_has_no_javascript_urls_or_remote_references():
    ours = without_vendor(to_html(small_graph()))
    assert "vis.Network" in ours and "@version" not in ours
    assert "javascript:" not in ours.lower()
    assert re.search(r"\b(src|href)\s*=", ours, re.I) is None
    # The page's script writes data with textContent only, never as markup.
    assert "innerHTML" not in ours and "insertAdjacentHTML" not in ours and "document.write" not in ours


def test_hostile_text_never_appears_raw_and_round_trips():
    g = small_graph()
    g.add_node(EX + "Evil", label=HOSTILE, type="<b>Weird</b>", aliases=["<i>x</i>", HOSTILE], wikidata=None)
    g.add_edge(EX + "OpenAI", EX + "Evil", predicate="employs<script>", sentence=HOSTILE, doc="<b>doc</b>",
               confidence=0.5, role="</script><b>", stake=HOSTILE)
    g.graph["documents"] = {"<b>doc</b>": HOSTILE}
    page = to_html(g, title="Report <b>bold</b> & co", note=HOSTILE)
    assert "</script><script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>doc" not in page and "<b>Weird" not in page and "<i>x" not in page
    assert "\u2028" not in page
    ours = without_vendor(page)
    assert "<b>" not in ours  # vis-network's own label-markup parser mentions <b>
    assert "<title>Report &lt;b&gt;bold&lt;/b&gt; &amp; co</title>" in page
    assert "<h1>Report &lt;b&gt;bold&lt;/b&gt; &amp; co</h1>" in page
    assert 'value="&lt;b&gt;Weird&lt;/b&gt;"' in page and 'value="employs&lt;script&gt;"' in page
    assert 'value="&lt;b&gt;doc&lt;/b&gt;"' in page
    # Only our own two script blocks exist: the bundle and the app.
    assert page.count("</script>") == 2
    assert re.findall(r"<script\b[^>]*>", ours) == ['<script id="techkg-app">']
    # The data still round-trips exactly: tooltips and the panel show the text as written.
    edge = next(e for e in embedded(page, "edges") if e["label"].startswith("employs"))
    assert edge["title"].endswith("\u201c" + HOSTILE + "\u201d")
    d = data(page)
    fact = next(f for f in d["facts"] if f["p"] == "employs<script>")
    assert fact["ev"][0]["t"] == HOSTILE and fact["ev"][0]["d"] == "<b>doc</b>"
    assert HOSTILE in fact["ev"][0]["a"] and "</script><b>" in fact["cap"]
    assert d["entities"][EX + "Evil"]["a"] == ["<i>x</i>", HOSTILE]
    assert d["documents"] == {"<b>doc</b>": HOSTILE}


# ------------------------------------------------------------------------------------------ payloads
def test_node_and_edge_payloads():
    g = small_graph()
    page = to_html(g)
    nodes = embedded(page, "nodes")
    edges = embedded(page, "edges")
    assert [n["id"] for n in nodes] == sorted(g.nodes)
    by_id = {n["id"]: n for n in nodes}
    openai = by_id[EX + "OpenAI"]
    assert openai["label"] == "OpenAI"
    assert openai["color"] == TYPE_STYLE["Company"]["color"]
    assert openai["shape"] == TYPE_STYLE["Company"]["shape"] == "square"
    assert openai["title"] == ("OpenAI\nType: Company\nAliases: Open AI\nWikidata: Q21708200\n"
                               "2 neighbours \u00b7 click for its facts")
    assert by_id[EX + "GPT-4"]["title"].startswith("GPT-4\nType: AIModel\nAliases: GPT4, gpt-4\n1 neighbour")
    # Size by neighbours: the hub is bigger than a leaf; every node has its own font and a position.
    assert openai["size"] == pytest.approx(7 + 4.5 * 2 ** 0.5, abs=0.05)
    assert by_id[EX + "GPT-4"]["size"] == pytest.approx(11.5)
    assert all(n["font"]["size"] >= 14 and isinstance(n["x"], int) and isinstance(n["y"], int) for n in nodes)
    assert not any(n["hidden"] for n in nodes)
    works = next(e for e in edges if e["label"] == "worksFor")
    assert (works["from"], works["to"], works["arrows"]) == (EX + "Sam_Altman", EX + "OpenAI", "to")
    assert works["title"] == "Sam Altman worksFor OpenAI\nconfidence 0.90\ndoc: a\n\u201cSam Altman leads OpenAI.\u201d"
    assert works["color"]["color"] == V.PREDICATE_COLOURS["worksFor"] and works["width"] == 2.8
    d = data(page)
    assert d["entities"][EX + "OpenAI"] == {"n": "OpenAI", "t": "Company", "a": ["Open AI"], "w": "Q21708200", "deg": 2}
    assert [(f["p"], f["c"], f["ev"]) for f in d["facts"]] == [
        ("developed", 0.8, [{"d": "b", "t": "OpenAI released GPT-4.", "c": 0.8}]),
        ("worksFor", 0.9, [{"d": "a", "t": "Sam Altman leads OpenAI.", "c": 0.9}])]
    assert [e["id"] for e in edges] == [0, 1]  # edge id = index of its fact
    assert d["counts"] == {"nodes": 3, "edges": 2, "isolated": 0}
    assert d["edgeLabels"] is True  # few edges: every relation label is drawn


def test_type_styles_are_distinct_and_sized_by_the_node():
    colours = [s["color"] for s in TYPE_STYLE.values()]
    assert len(set(colours)) == len(colours)
    assert {"Person", "Company", "ResearchLab", "University", "Investor", "AIModel",
            "Product", "Award", "Organization", "Place"} <= TYPE_STYLE.keys()
    # Shapes whose size vis-network takes from the node, not from the label (box, ellipse...).
    assert {s["shape"] for s in TYPE_STYLE.values()} <= {"dot", "square", "diamond", "triangle", "triangleDown",
                                                          "hexagon", "star"}


def test_one_edge_per_fact_with_every_sentence_best_first():
    g = small_graph()
    a, b = EX + "Sam_Altman", EX + "OpenAI"
    g.add_edge(a, b, predicate="worksFor", sentence="weak", doc="c", confidence=0.4)
    g.add_edge(a, b, predicate="worksFor", sentence="strong", doc="d", confidence=0.99)
    g.add_edge(a, b, predicate="founded", sentence="Altman co-founded OpenAI.", doc="e", confidence=0.7)
    page = to_html(g)
    edges = embedded(page, "edges")
    pair = [e for e in edges if (e["from"], e["to"]) == (a, b)]
    assert sorted(e["label"] for e in pair) == ["founded", "worksFor"]
    works = next(e for e in pair if e["label"] == "worksFor")
    assert "confidence 0.99 (best of 3 sentences)" in works["title"] and "strong" in works["title"]
    fact = data(page)["facts"][works["id"]]
    assert [(e["t"], e["c"]) for e in fact["ev"]] == [("strong", 0.99), ("Sam Altman leads OpenAI.", 0.9), ("weak", 0.4)]
    assert fact["c"] == 0.99
    # Two relations between one pair are curved apart so they do not lie on each other.
    assert sorted(e["smooth"]["roundness"] for e in pair) == [0.12, 0.28]


def test_legend_filters_list_types_relations_and_documents():
    page = to_html(star_graph(8, 2))
    types = re.search(r'<fieldset id="type-filter">(.*?)</fieldset>', page, re.S).group(1)
    assert re.findall(r'value="(\w+)" checked', types) == ["AIModel", "Company", "Person", "Product", "ResearchLab"]
    assert "Product <span class=\"count\">(4)</span>" in types  # 2 spokes + 2 isolated
    relations = re.search(r'<fieldset id="relation-filter">(.*?)</fieldset>', page, re.S).group(1)
    assert re.findall(r'value="(\w+)" checked', relations) == ["developed", "leads", "worksFor"]
    assert V.PREDICATE_COLOURS["developed"] in relations
    assert re.findall(r'<option value="(\w*)"', page) == ["", "d0", "d1", "d2", "d9"]
    assert "all documents (4)" in page
    assert "Show 2 entities without relations" in page
    assert "13 entities \u00b7 9 relations" in page


def test_deal_and_role_attributes_are_shown():
    g = nx.MultiDiGraph()
    for name, etype in (("Meta", "Company"), ("WhatsApp", "Company"), ("Scale AI", "Company"),
                        ("Mike Schroepfer", "Person"), ("Perplexity", "Company"), ("Yann LeCun", "Person")):
        g.add_node(EX + name, label=name, type=etype, aliases=[], wikidata=None)
    g.add_edge(EX + "Meta", EX + "WhatsApp", predicate="acquired", sentence="Meta bought WhatsApp for $19b in 2014.",
               doc="a", confidence=0.8, price_usd=19e9, date="2014", status="completed")
    g.add_edge(EX + "Meta", EX + "WhatsApp", predicate="acquired", sentence="Meta owns WhatsApp.", doc="b",
               confidence=0.9)
    g.add_edge(EX + "Meta", EX + "Scale AI", predicate="investedIn", sentence="Meta led a $14.3B Series B.", doc="a",
               confidence=0.7, amount_usd=14.3e9, currency="EUR", round="Series B", lead=True, stake="minority")
    g.add_edge(EX + "Mike Schroepfer", EX + "Meta", predicate="worksFor", sentence="Former CTO Mike Schroepfer.",
               doc="a", confidence=0.75, role="CTO", former=True)
    g.add_edge(EX + "Meta", EX + "Perplexity", predicate="acquired", sentence="Meta is in talks to buy Perplexity.",
               doc="c", confidence=0.6, status="talks")
    g.add_edge(EX + "Yann LeCun", EX + "Meta", predicate="worksFor", sentence="LeCun, who ran FAIR.", doc="a",
               confidence=0.6, former=True)
    g.add_edge(EX + "Yann LeCun", EX + "Meta", predicate="worksFor", sentence="LeCun works at Meta.", doc="b",
               confidence=0.7)
    page = to_html(g)
    edges = {(e["from"].removeprefix(EX), e["label"]): e for e in embedded(page, "edges")}
    facts = data(page)["facts"]
    deal = edges[("Meta", "acquired \u00b7 $19B \u00b7 2014")]
    assert "dashes" not in deal
    assert facts[deal["id"]]["cap"] == "$19B \u00b7 completed \u00b7 2014"
    # The best sentence has no price; the price comes from the sentence that states it.
    assert [e.get("a") for e in facts[deal["id"]]["ev"]] == [None, "$19B \u00b7 completed \u00b7 2014"]
    invest = edges[("Meta", "investedIn \u00b7 $14.3B \u00b7 Series B \u00b7 lead \u00b7 minority stake")]
    assert facts[invest["id"]]["cap"] == "$14.3B \u00b7 reported in EUR \u00b7 Series B \u00b7 lead investor \u00b7 minority stake"
    former = edges[("Mike Schroepfer", "worksFor \u00b7 former CTO")]
    assert former["dashes"] == [6, 5] and facts[former["id"]]["former"] is True
    talks = edges[("Meta", "acquired \u00b7 talks")]
    assert talks["dashes"] == [2, 5]
    # Former only when every sentence says so.
    lecun = edges[("Yann LeCun", "worksFor")]
    assert "dashes" not in lecun and facts[lecun["id"]]["former"] is False
    assert "dashed: former role (1)" in page and "dotted: deal not completed (1)" in page
    assert V._money(2.5e6) == "$2.5M" and V._money(1e9) == "$1B" and V._money(950) == "$950"


def test_add_fact_details_reads_statements_and_events_optionally():
    """Qualifiers on the statement and its event node reach the edges, whatever their names."""
    g = new_graph()
    meta, scale, acme = ENT.meta, ENT.scale_ai, ENT.acme
    for node, label, cls in ((meta, "Meta", KG.Company), (scale, "Scale AI", KG.Company), (acme, "Acme", KG.Company)):
        g.add((node, RDF.type, cls))
        g.add((node, KG.mentions, Literal(1)))
        from rdflib import RDFS
        g.add((node, RDFS.label, Literal(label)))
    doc = DOC["d1"]
    from rdflib.namespace import DCTERMS, PROV
    g.add((doc, KG.contentHash, Literal("abc")))
    g.add((doc, DCTERMS.title, Literal("Deals of the week")))
    for st, s, p, o, extra, event in (
            (STMT.one, meta, KG.investedIn, scale, {KG.round: Literal("Series F"), KG.lead: Literal(True)},
             {KG.amountUSD: Literal("14300000000.0", datatype=XSD.decimal), KG.currency: Literal("USD"),
              KG.investor: meta, KG.target: scale}),
            (STMT.two, meta, KG.acquired, acme, {KG.former: Literal(True)}, None)):
        g.add((s, p, o))
        g.add((st, RDF.type, RDF.Statement))
        g.add((st, RDF.subject, s))
        g.add((st, RDF.predicate, p))
        g.add((st, RDF.object, o))
        g.add((st, PROV.wasDerivedFrom, doc))
        g.add((st, KG.sentence, Literal("Some sentence.")))
        g.add((st, KG.confidence, Literal("0.8", datatype=XSD.decimal)))
        g.add((st, KG.date, Literal("2025", datatype=XSD.gYear)))
        for k, v in extra.items():
            g.add((st, k, v))
        if event:
            ev = EVENT.e1
            g.add((st, KG.event, ev))
            g.add((ev, RDF.type, KG.Investment))
            g.add((ev, KG.status, Literal("completed")))
            for k, v in event.items():
                g.add((ev, k, v))
    G = add_fact_details(to_networkx(g), g)
    details = {d["predicate"]: {k: v for k, v in d.items() if k not in ("predicate", "sentence", "doc", "confidence")}
               for *_, d in G.edges(data=True)}
    assert details == {
        "investedIn": {"date": "2025", "round": "Series F", "lead": True, "amount_usd": 14300000000.0,
                       "currency": "USD", "status": "completed"},
        "acquired": {"date": "2025", "former": True},
    }
    assert G.graph["documents"] == {"d1": "Deals of the week"}
    page = to_html(G)
    captions = sorted(e["label"] for e in embedded(page, "edges"))
    assert captions == ["acquired \u00b7 2025 \u00b7 former", "investedIn \u00b7 $14.3B \u00b7 Series F \u00b7 lead \u00b7 2025"]
    # A projection without the RDF details (or a graph without events) renders too.
    assert to_html(to_networkx(g)).count("investedIn") >= 1


# ------------------------------------------------------------------------------------------ layout
def test_layout_is_deterministic_and_written_into_the_page():
    g1 = star_graph()
    g2 = nx.MultiDiGraph()
    g2.add_nodes_from(reversed(list(g1.nodes(data=True))))
    g2.add_edges_from(reversed(list(g1.edges(data=True))))
    assert to_html(g1) == to_html(g1) == to_html(g2)
    pos, fonts = layout(g1)
    nodes = {n["id"]: n for n in embedded(to_html(g1), "nodes")}
    assert {n: (nodes[n]["x"], nodes[n]["y"]) for n in nodes} == pos
    opts = embedded_options(to_html(g1))
    assert opts["physics"]["enabled"] is False and opts["layout"]["improvedLayout"] is False
    assert embedded_options(to_html(g1, physics=True))["physics"]["enabled"] is True
    assert 'id="physics" type="checkbox">' in to_html(g1) and 'id="physics" type="checkbox" checked>' in to_html(g1, physics=True)


def test_no_two_labels_overlap_and_isolated_entities_sit_aside():
    g = star_graph(40, 12)
    page = to_html(g)
    nodes = {n["id"]: n for n in embedded(page, "nodes")}
    assert overlaps(boxes_of(page)) == []
    isolated = {n for n in nodes if n.startswith(EX + "iso")}
    assert {n for n, r in nodes.items() if r["hidden"]} == isolated
    right_of_rest = max(r["x"] for n, r in nodes.items() if n not in isolated)
    assert all(nodes[n]["x"] > right_of_rest for n in isolated)
    assert data(page)["counts"]["isolated"] == 12 and "Show 12 entities without relations" in page
    # Spokes are spread around the hub, not piled up: the picture is about as wide as the canvas asks.
    xs = [r["x"] for n, r in nodes.items() if n not in isolated]
    ys = [r["y"] for n, r in nodes.items() if n not in isolated]
    assert 0.5 < (max(xs) - min(xs)) / (max(ys) - min(ys)) < 3


def test_layout_of_a_dense_random_graph_has_no_overlap():
    rng = np.random.default_rng(3)
    g = nx.MultiDiGraph()
    for i in range(150):
        g.add_node(f"n{i:03d}", label=f"Entity with a long name {i}" if i % 7 == 0 else f"E{i}", type="Person")
    for _ in range(300):
        a, b = rng.integers(0, 150, 2)
        if a != b:
            g.add_edge(f"n{a:03d}", f"n{b:03d}", predicate="knows", confidence=0.9)
    page = to_html(g)
    assert overlaps(boxes_of(page)) == []
    assert any("\n" in n["label"] for n in embedded(page, "nodes"))  # long names on two lines


def test_ego_layout_rings_around_the_centre():
    g = star_graph(20, 0)
    page = V.ego_html(g, EX + "hub")
    nodes = {n["id"]: n for n in embedded(page, "nodes")}
    hub = nodes[EX + "hub"]
    assert hub["borderWidth"] == 4 and hub["color"]["border"] == "#d62728"
    assert EX + "x" not in nodes  # not within one hop
    dist = [((r["x"] - hub["x"]) ** 2 + (r["y"] - hub["y"]) ** 2) ** 0.5 for n, r in nodes.items() if n != EX + "hub"]
    assert min(dist) > 100 and max(dist) / min(dist) < 3
    assert overlaps(boxes_of(page)) == []
    assert data(page)["pinned"] == [EX + "hub"]


def test_path_layout_left_to_right_with_room_for_labels():
    g = small_graph()
    page = to_html(g, levels={EX + "Sam_Altman": 0, EX + "OpenAI": 1, EX + "GPT-4": 2},
                   highlight_nodes=list(g.nodes), highlight_edges=[(EX + "Sam_Altman", EX + "OpenAI")])
    nodes = {n["id"]: n for n in embedded(page, "nodes")}
    xs = [nodes[EX + n]["x"] for n in ("Sam_Altman", "OpenAI", "GPT-4")]
    assert xs == sorted(xs)
    assert len({nodes[n]["y"] for n in nodes}) == 1
    boxes = boxes_of(page)
    gap = boxes[EX + "OpenAI"][0] - boxes[EX + "Sam_Altman"][1]
    assert gap > V.text_width("worksFor", 12)  # the relation label fits between the two names
    edges = embedded(page, "edges")
    assert [e["width"] for e in edges if e["from"] == EX + "Sam_Altman"] == [4]


def test_empty_graph_renders():
    page = to_html(nx.MultiDiGraph())
    assert embedded(page, "nodes") == []
    assert embedded(page, "edges") == []
    assert "new vis.Network(" in page
    assert "0 entities" in page


def test_nodes_created_by_add_edge_alone_still_render():
    g = nx.MultiDiGraph()
    g.add_edge(EX + "a", EX + "b", predicate="partOf", confidence=1.0)
    nodes = embedded(to_html(g), "nodes")
    assert [n["label"] for n in nodes] == [EX + "a", EX + "b"]
    assert all("Type: Other" in n["title"] for n in nodes)


def test_big_graph_layout_is_fast_and_gives_an_overview_list():
    import time

    rng = np.random.default_rng(5)
    g = nx.MultiDiGraph()
    for i in range(1200):
        g.add_node(f"e{i:04d}", label=f"Entity {i}", type="Company")
    for i in range(1, 1200):  # preferential attachment: a few hubs
        j = int(rng.integers(0, i)) if rng.random() < 0.5 else int(rng.integers(0, max(1, i // 20)))
        g.add_edge(f"e{i:04d}", f"e{j:04d}", predicate="partOf", confidence=0.8)
    started = time.perf_counter()
    page = to_html(g)
    assert time.perf_counter() - started < 20  # ~1.5 s on the development machine
    d = data(page)
    assert len(d["hubs"]) == 150 and d["hubs"][0] == "e0000"
    assert embedded_options(page)["interaction"]["hideEdgesOnZoom"] is True
    assert overlaps(boxes_of(page)) == []


# ------------------------------------------------------------------------------------------ files
def test_render_html_writes_atomically(tmp_path):
    out = tmp_path / "sub" / "graph.html"
    result = render_html(small_graph(), out, title="T")
    assert result == out
    assert out.read_bytes().decode("utf-8") == to_html(small_graph(), title="T")
    # Overwrite in place; no temporary files are left behind.
    render_html(small_graph(), str(out), title="T2")
    assert "<title>T2</title>" in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.parent.iterdir()) == ["graph.html"]
    assert out.stat().st_mode & 0o777 == 0o644


def test_render_html_leaves_old_file_when_rendering_fails(tmp_path):
    out = tmp_path / "graph.html"
    out.write_text("previous", encoding="utf-8")
    bad = nx.MultiDiGraph()
    bad.add_node(EX + "x", label="x", type="Person", aliases=None, wikidata=None)
    bad.add_edge(EX + "x", EX + "x", predicate="p", confidence="not-a-number")
    with pytest.raises(ValueError):
        render_html(bad, out)
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.html"]


def test_render_html_is_utf8_under_c_locale(tmp_path):
    out = tmp_path / "graph.html"
    script = (
        "import locale, sys, networkx as nx\n"
        "from kg.views import render_html\n"
        "g = nx.MultiDiGraph()\n"
        "g.add_node('e:1', label='Z\\u00fcrich \\u674e\\u5f00\\u590d', type='Place', aliases=['\\u2028'], wikidata=None)\n"
        "render_html(g, sys.argv[1], title='caf\\u00e9')\n"
        "print(locale.getpreferredencoding(False))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON"))}
    env.update(LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", script, str(out)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    # The child really ran with an ASCII default encoding, so an implicit
    # encoding anywhere in render_html would have raised.
    assert proc.stdout.strip().lower() in {"ansi_x3.4-1968", "ascii", "us-ascii"}
    page = out.read_bytes().decode("utf-8")
    assert "Z\u00fcrich \u674e\u5f00\u590d" in page
    assert "<title>caf\u00e9</title>" in page


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_embedded_data_is_valid_javascript_that_round_trips_hostile_text(tmp_path):
    """Evaluate the page's data statements in Node: the escaped JSON is valid JavaScript and the
    browser receives the exact original strings."""
    g = small_graph()
    g.add_edge(EX + "OpenAI", EX + "Sam_Altman", predicate="employs", sentence=HOSTILE, doc="x", confidence=0.5)
    lines = [line for line in app_script(to_html(g)).splitlines()
             if line.startswith(("var nodes =", "var edges =", "var techkgData ="))]
    assert len(lines) == 3
    stub = "var vis = {DataSet: function (items) { this.items = items; }};\n"
    report = "\nconsole.log(JSON.stringify({nodes: nodes.items, edges: edges.items, data: techkgData}));\n"
    js = tmp_path / "data.js"
    js.write_text(stub + "\n".join(lines) + report, encoding="utf-8")
    proc = subprocess.run(["node", str(js)], capture_output=True, text=True, encoding="utf-8", check=True)
    result = json.loads(proc.stdout)
    employs = next(e for e in result["edges"] if e["label"] == "employs")
    assert HOSTILE in employs["title"]
    assert result["data"]["facts"][employs["id"]]["ev"][0]["t"] == HOSTILE
