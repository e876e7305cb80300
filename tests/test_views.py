"""Tests for kg.views: offline, injection-safe, deterministic HTML rendering."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from kg.views import TYPE_STYLE, render_html, to_html

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


def embedded(page: str, name: str):
    """The JSON literal handed to ``new vis.DataSet`` for ``nodes``/``edges``."""
    match = re.search(rf"^var {name} = new vis\.DataSet\((.*)\);$", page, re.M)
    assert match, f"no {name} DataSet in page"
    return json.loads(match.group(1))


def embedded_options(page: str) -> dict:
    match = re.search(r"^var network = new vis\.Network\(container, \{nodes: nodes, edges: edges\}, (.*)\);$", page, re.M)
    assert match
    return json.loads(match.group(1))


def app_script(page: str) -> str:
    match = re.search(r'<script id="techkg-app">(.*?)</script>', page, re.S)
    assert match
    return match.group(1)


def test_page_is_offline_and_inlines_vis_network():
    page = to_html(small_graph())
    assert re.search(r"<script[^>]+src=", page, re.I) is None
    assert re.search(r"<link[^>]+href=", page, re.I) is None
    assert "node_modules" not in page and "bootstrap" not in page.lower()
    assert "@version 9.1.2" in page  # the vis-network bundle banner
    assert ".vis-network" in page  # its stylesheet
    assert '<meta charset="utf-8">' in page
    assert '<div id="mynetwork"></div>' in page


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


def test_node_and_edge_payloads():
    g = small_graph()
    page = to_html(g)
    nodes = embedded(page, "nodes")
    edges = embedded(page, "edges")
    assert len(nodes) == g.number_of_nodes()
    assert [n["id"] for n in nodes] == sorted(g.nodes)
    by_id = {n["id"]: n for n in nodes}
    openai = by_id[EX + "OpenAI"]
    assert openai["label"] == "OpenAI"
    assert openai["color"] == TYPE_STYLE["Company"]["color"]
    assert openai["shape"] == TYPE_STYLE["Company"]["shape"]
    assert openai["title"] == "OpenAI\nType: Company\nAliases: Open AI\nWikidata: Q21708200"
    assert by_id[EX + "GPT-4"]["title"] == "GPT-4\nType: AIModel\nAliases: GPT4, gpt-4"
    assert by_id[EX + "Sam_Altman"]["title"] == "Sam Altman\nType: Person\nWikidata: Q7407093"
    assert openai["size"] == pytest.approx(10 + 4 * 2**0.5, abs=0.01)  # degree 2
    assert by_id[EX + "GPT-4"]["size"] == pytest.approx(14)  # degree 1
    works = next(e for e in edges if e["label"] == "worksFor")
    assert (works["from"], works["to"], works["arrows"]) == (EX + "Sam_Altman", EX + "OpenAI", "to")
    assert works["title"] == "Sam Altman worksFor OpenAI\nconfidence 0.90\ndoc: a\n\u201cSam Altman leads OpenAI.\u201d"


def test_type_styles_are_distinct():
    colours = [s["color"] for s in TYPE_STYLE.values()]
    assert len(set(colours)) == len(colours)
    assert {"Person", "Company", "ResearchLab", "University", "Investor", "AIModel",
            "Product", "Award", "Organization", "Place"} <= TYPE_STYLE.keys()


def test_duplicate_edges_keep_highest_confidence_evidence():
    g = small_graph()
    a, b = EX + "Sam_Altman", EX + "OpenAI"
    g.add_edge(a, b, predicate="worksFor", sentence="weak", doc="c", confidence=0.4)
    g.add_edge(a, b, predicate="worksFor", sentence="strong", doc="d", confidence=0.99)
    g.add_edge(a, b, predicate="founded", sentence="Altman co-founded OpenAI.", doc="e", confidence=0.7)
    edges = embedded(to_html(g), "edges")
    pair = [e for e in edges if (e["from"], e["to"]) == (a, b)]
    assert sorted(e["label"] for e in pair) == ["founded", "worksFor"]
    works = next(e for e in pair if e["label"] == "worksFor")
    assert "confidence 0.99" in works["title"] and "strong" in works["title"]
    # The second edge of a pair is curved apart so the labels do not overlap.
    assert sum("smooth" in e for e in pair) == 1


def test_hostile_sentence_never_appears_raw():
    g = small_graph()
    g.add_edge(EX + "OpenAI", EX + "Sam_Altman", predicate="employs", sentence=HOSTILE, doc="<b>doc</b>", confidence=0.5)
    page = to_html(g)
    assert "</script><script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>doc" not in page
    assert "\u2028" not in page
    # The data still round-trips exactly: the tooltip shows the text as written.
    edge = next(e for e in embedded(page, "edges") if e["label"] == "employs")
    assert edge["title"].endswith("\u201c" + HOSTILE + "\u201d")
    # Only our own two script blocks exist: the bundle and the app.
    assert page.count("</script>") == 2
    assert re.findall(r"<script\b[^>]*>", without_vendor(page)) == ['<script id="techkg-app">']


def test_labels_and_title_are_escaped():
    g = small_graph()
    g.add_node(EX + "Evil", label="<b>Evil</b> Corp", type="<b>Weird</b>", aliases=["<i>x</i>"], wikidata=None)
    page = to_html(g, title="Report <b>bold</b> & co")
    assert "<b>" not in without_vendor(page)  # vis-network's own label-markup parser mentions <b>
    assert "<title>Report &lt;b&gt;bold&lt;/b&gt; &amp; co</title>" in page
    assert "<h1>Report &lt;b&gt;bold&lt;/b&gt; &amp; co</h1>" in page
    assert "&lt;b&gt;Weird&lt;/b&gt; (1)</li>" in page
    node = next(n for n in embedded(page, "nodes") if n["id"] == EX + "Evil")
    assert node["label"] == "<b>Evil</b> Corp"  # shown as canvas text / innerText, not markup
    assert node["color"] and node["shape"]


def test_legend_lists_types_present_with_style():
    page = to_html(small_graph())
    legend = re.search(r'<div id="legend">(.*?)</div>', page, re.S).group(1)
    items = re.findall(r"<li>.*?</li>", legend)
    assert [re.search(r"</span>(\w+)", i).group(1) for i in items] == ["AIModel", "Company", "Person"]
    assert TYPE_STYLE["Company"]["color"] in legend
    assert "3 entities \u00b7 2 relations" in page


def test_highlight_marks_given_nodes_and_edges():
    g = small_graph()
    a, b = EX + "Sam_Altman", EX + "OpenAI"
    page = to_html(g, highlight_nodes=[a, EX + "not-in-graph"], highlight_edges=[(a, b)])
    nodes = {n["id"]: n for n in embedded(page, "nodes")}
    plain = {n["id"]: n for n in embedded(to_html(g), "nodes")}
    assert nodes[a]["borderWidth"] == 4
    assert nodes[a]["color"]["border"] == "#d62728"
    assert nodes[a]["size"] > plain[a]["size"]
    assert nodes[b]["borderWidth"] == 1
    assert nodes[b] == plain[b]
    edges = embedded(page, "edges")
    marked = [e for e in edges if e.get("width") == 4]
    assert [(e["from"], e["to"]) for e in marked] == [(a, b)]
    assert marked[0]["color"]["color"] == "#d62728"


def test_output_is_deterministic_regardless_of_insertion_order():
    g1 = small_graph()
    g2 = nx.MultiDiGraph()
    g2.add_nodes_from(reversed(list(g1.nodes(data=True))))
    g2.add_edges_from(reversed(list(g1.edges(data=True))))
    assert to_html(g1) == to_html(g1)
    assert to_html(g1) == to_html(g2)


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


def test_layout_options():
    small = embedded_options(to_html(small_graph()))
    assert small["physics"]["enabled"] is True
    assert small["physics"]["stabilization"]["iterations"] == 200
    assert small["layout"]["improvedLayout"] is True

    big = nx.MultiDiGraph()
    big.add_nodes_from((f"{EX}n{i}", {"label": f"n{i}", "type": "Person"}) for i in range(501))
    opts = embedded_options(to_html(big))
    assert opts["physics"]["solver"] == "barnesHut"
    assert opts["layout"]["improvedLayout"] is False

    tree = embedded_options(to_html(small_graph(), hierarchical=True))
    assert tree["layout"]["hierarchical"] == {"enabled": True, "direction": "LR", "sortMethod": "directed"}
    assert tree["physics"]["enabled"] is False

    assert embedded_options(to_html(small_graph(), physics=False))["physics"]["enabled"] is False
    page = to_html(small_graph())
    assert 'network.once("stabilizationIterationsDone"' in page
    assert "network.setOptions({physics: false})" in page


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
def test_app_script_runs_and_round_trips_hostile_text(tmp_path):
    """Execute the generated app script against a stub ``vis`` in Node.

    This proves the escaped JSON is valid JavaScript, that the globals exist,
    and that the browser receives the exact original strings.
    """
    g = small_graph()
    g.add_edge(EX + "OpenAI", EX + "Sam_Altman", predicate="employs", sentence=HOSTILE, doc="x", confidence=0.5)
    stub = """
var window = globalThis, captured = {};
var document = {getElementById: function (id) { return {id: id}; }};
var vis = {
  DataSet: function (items) { this.items = items; this.length = items.length; },
  Network: function (container, data, options) {
    captured.container = container.id; captured.options = options;
    this.body = {data: data};
    this.once = function (event) { captured.once = event; };
  }
};
"""
    report = """
console.log(JSON.stringify({container: captured.container, once: captured.once,
  options: captured.options, drawn: network.body.data.nodes.length,
  nodes: nodes.items, edges: edges.items}));
"""
    js = tmp_path / "app.js"
    js.write_text(stub + app_script(to_html(g)) + report, encoding="utf-8")
    proc = subprocess.run(["node", str(js)], capture_output=True, text=True, encoding="utf-8", check=True)
    result = json.loads(proc.stdout)
    assert result["container"] == "mynetwork"
    assert result["once"] == "stabilizationIterationsDone"
    assert result["drawn"] == g.number_of_nodes()
    employs = next(e for e in result["edges"] if e["label"] == "employs")
    assert HOSTILE in employs["title"]
