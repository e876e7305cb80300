"""Render a techkg graph as one self-contained, offline, interactive HTML page.

pyvis collects the node and edge records, but its 0.3.2 template is not used:
even with ``cdn_resources="in_line"`` it still links Bootstrap from a CDN and a
relative ``../node_modules/vis`` script, so the page would break (or leak
requests) when opened from ``file://``.  Instead the vis-network 9.1.2 bundle
shipped inside the pyvis package is inlined into a small template here, and the
page makes no network request at all.

Evidence sentences come from untrusted documents, so everything derived from
the graph reaches the page either HTML-escaped (title, legend) or as JSON made
safe for a ``<script>`` block.  Tooltips are plain strings: vis-network 9
shows a string ``title`` with ``innerText`` (``Popup.setText``), never as HTML.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Iterable

import networkx as nx
from pyvis.network import Network

__all__ = ["TYPE_STYLE", "render_html", "to_html"]

#: Colour and vis-network shape per entity type; colours are pairwise distinct
#: and none is the highlight red, so a highlighted border always stands out.
TYPE_STYLE: dict[str, dict] = {
    "Person": {"color": "#4e79a7", "shape": "dot"},
    "Company": {"color": "#f28e2b", "shape": "box"},
    "ResearchLab": {"color": "#59a14f", "shape": "diamond"},
    "University": {"color": "#76b7b2", "shape": "triangle"},
    "Investor": {"color": "#edc948", "shape": "square"},
    "AIModel": {"color": "#b07aa1", "shape": "hexagon"},
    "Product": {"color": "#ff9da7", "shape": "ellipse"},
    "Award": {"color": "#9c755f", "shape": "star"},
    "Organization": {"color": "#8c8c8c", "shape": "database"},
    "Place": {"color": "#17becf", "shape": "triangleDown"},
}
# Nodes created implicitly by ``add_edge`` carry no ``type``; they still render.
_DEFAULT_TYPE = "Other"
_DEFAULT_STYLE = {"color": "#c7c7c7", "shape": "dot"}

_HIGHLIGHT = "#d62728"
_HIGHLIGHT_WIDTH = 4
# Above this many nodes vis-network's improvedLayout (Kamada-Kawai on
# clusters) takes far longer than the physics it is meant to save.
_LARGE_GRAPH = 500

# Legend glyphs approximating each vis-network shape.
_GLYPH = {
    "dot": "\u25cf",
    "box": "\u25ac",
    "diamond": "\u25c6",
    "triangle": "\u25b2",
    "square": "\u25a0",
    "hexagon": "\u2b22",
    "ellipse": "\u2b2c",
    "star": "\u2605",
    "database": "\u26c1",
    "triangleDown": "\u25bc",
}

# Characters that could end a <script> block or start an HTML construct, plus
# the two line terminators that older JavaScript engines reject in strings.
# JSON only ever contains them inside strings, where \u escapes are equivalent.
_SCRIPT_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$vis_css</style>
<style>
html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; }
#mynetwork { width: 100%; height: 100vh; }
#legend { position: absolute; top: 8px; left: 8px; z-index: 5;
  max-height: calc(100vh - 40px); overflow: auto; padding: 6px 10px;
  background: rgba(255, 255, 255, 0.92); border: 1px solid #ddd;
  border-radius: 4px; font-size: 13px; }
#legend h1 { margin: 0 0 2px; font-size: 16px; }
#legend p { margin: 0 0 6px; color: #555; }
#legend ul { margin: 0; padding: 0; list-style: none; }
#legend .glyph { display: inline-block; width: 1.4em; text-align: center; }
div.vis-tooltip { max-width: 40em; white-space: pre-wrap; }
</style>
<script>$vis_js</script>
</head>
<body>
<div id="legend">
<h1>$title</h1>
<p>$summary</p>
<ul>
$legend</ul>
</div>
<div id="mynetwork"></div>
<script id="techkg-app">
var container = document.getElementById("mynetwork");
var nodes = new vis.DataSet($nodes);
var edges = new vis.DataSet($edges);
var network = new vis.Network(container, {nodes: nodes, edges: edges}, $options);
network.once("stabilizationIterationsDone", function () {
  network.setOptions({physics: false});
});
</script>
</body>
</html>
"""
)


def to_html(
    graph: nx.MultiDiGraph,
    *,
    title: str = "techkg",
    highlight_nodes: Iterable[str] = (),
    highlight_edges: Iterable[tuple[str, str]] = (),
    hierarchical: bool = False,
    physics: bool = True,
) -> str:
    """Return the page for *graph*; the same graph always gives the same string.

    ``highlight_nodes`` are entity IRIs and ``highlight_edges`` are
    ``(subject, object)`` IRI pairs (every predicate between them is marked);
    ids not in the graph are ignored so a query result can be passed as is.
    """
    marked_nodes = set(highlight_nodes)
    marked_edges = set(highlight_edges)
    edges = _dedupe_edges(graph)
    degree: Counter[str] = Counter()
    for u, v, _ in edges:
        degree[u] += 1
        degree[v] += 1

    net = Network(directed=True, cdn_resources="in_line", height="100vh", width="100%")
    labels: dict[str, str] = {}
    type_counts: Counter[str] = Counter()
    for iri, attrs in sorted(graph.nodes(data=True), key=lambda item: item[0]):
        label = attrs.get("label") or iri
        etype = attrs.get("type") or _DEFAULT_TYPE
        style = TYPE_STYLE.get(etype, _DEFAULT_STYLE)
        labels[iri] = label
        type_counts[etype] += 1
        size = round(10 + 4 * math.sqrt(degree[iri]), 2)
        color: str | dict = style["color"]
        border_width = 1
        if iri in marked_nodes:
            size = round(size * 1.5, 2)
            border_width = _HIGHLIGHT_WIDTH
            color = {
                "background": style["color"],
                "border": _HIGHLIGHT,
                "highlight": {"background": style["color"], "border": _HIGHLIGHT},
            }
        net.add_node(
            iri,
            label=label,
            shape=style["shape"],
            color=color,
            size=size,
            borderWidth=border_width,
            title=_node_tooltip(label, etype, attrs),
        )

    # Parallel edges get growing curvature so their labels do not overlap.
    parallel: Counter[tuple[str, str]] = Counter()
    for (u, v, predicate), data in edges.items():
        confidence = float(data.get("confidence", 0.0))
        extra = {}
        rank = parallel[(u, v)]
        parallel[(u, v)] += 1
        if rank:
            extra["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": round(0.1 + 0.2 * rank, 2)}
        if (u, v) in marked_edges:
            extra["width"] = _HIGHLIGHT_WIDTH
            extra["color"] = {"color": _HIGHLIGHT, "highlight": _HIGHLIGHT, "hover": _HIGHLIGHT}
        net.add_edge(
            u,
            v,
            label=predicate,
            arrows="to",
            title=_edge_tooltip(labels[u], predicate, labels[v], confidence, data),
            **extra,
        )

    vis_js, vis_css = _vis_bundle(net.template_dir)
    return _PAGE.substitute(
        title=html.escape(title),
        summary=html.escape(f"{len(net.nodes)} entities \u00b7 {len(net.edges)} relations"),
        legend=_legend(type_counts),
        vis_css=vis_css,
        vis_js=vis_js,
        nodes=_script_json(net.nodes),
        edges=_script_json(net.edges),
        options=_script_json(_options(len(net.nodes), hierarchical=hierarchical, physics=physics)),
    )


def render_html(
    graph: nx.MultiDiGraph,
    path: str | Path,
    *,
    title: str = "techkg",
    highlight_nodes: Iterable[str] = (),
    highlight_edges: Iterable[tuple[str, str]] = (),
    hierarchical: bool = False,
    physics: bool = True,
) -> Path:
    """Write the page to *path* and return it.

    The file is written as UTF-8 whatever the locale, via a temporary file in
    the same folder and ``os.replace``, so a browser or a concurrent run never
    sees a half-written page.
    """
    page = to_html(
        graph,
        title=title,
        highlight_nodes=highlight_nodes,
        highlight_edges=highlight_edges,
        hierarchical=hierarchical,
        physics=physics,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as tmp:
            tmp.write(page)
            tmp.flush()
            os.fsync(tmp.fileno())
        # mkstemp creates 0600; a generated report should be readable like any file.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return target


def _dedupe_edges(graph: nx.MultiDiGraph) -> dict[tuple[str, str, str], dict]:
    """One edge per (subject, object, predicate), keeping the best evidence.

    Extraction repeats a fact once per supporting sentence; drawing every copy
    would stack identical arrows.  Ties on confidence are broken by doc and
    sentence so the kept evidence never depends on insertion order.
    """

    def evidence_rank(edge: tuple) -> tuple:
        u, v, data = edge
        return (
            u,
            v,
            _predicate(data),
            -float(data.get("confidence", 0.0)),
            str(data.get("doc") or ""),
            str(data.get("sentence") or ""),
        )

    best: dict[tuple[str, str, str], dict] = {}
    for u, v, data in sorted(graph.edges(data=True), key=evidence_rank):
        best.setdefault((u, v, _predicate(data)), data)
    return best


def _predicate(data: dict) -> str:
    return data.get("predicate") or "relatedTo"


def _node_tooltip(label: str, etype: str, attrs: dict) -> str:
    lines = [label, f"Type: {etype}"]
    if attrs.get("aliases"):
        lines.append("Aliases: " + ", ".join(attrs["aliases"]))
    if attrs.get("wikidata"):
        lines.append(f"Wikidata: {attrs['wikidata']}")
    return "\n".join(lines)


def _edge_tooltip(subject: str, predicate: str, obj: str, confidence: float, data: dict) -> str:
    lines = [f"{subject} {predicate} {obj}", f"confidence {confidence:.2f}"]
    if data.get("doc"):
        lines.append(f"doc: {data['doc']}")
    if data.get("sentence"):
        lines.append(f"\u201c{data['sentence']}\u201d")
    return "\n".join(lines)


def _legend(type_counts: Counter[str]) -> str:
    """HTML list of the types present; only escaped text comes from the graph."""
    items = []
    for etype in sorted(type_counts):
        style = TYPE_STYLE.get(etype, _DEFAULT_STYLE)
        items.append(
            f'<li><span class="glyph" style="color:{style["color"]}">{_GLYPH[style["shape"]]}</span>'
            f"{html.escape(etype)} ({type_counts[etype]})</li>\n"
        )
    return "".join(items)


def _options(node_count: int, *, hierarchical: bool, physics: bool) -> dict:
    """vis-network options; physics is bounded so big graphs become usable fast."""
    options: dict[str, Any] = {
        "interaction": {"hover": True, "tooltipDelay": 150},
        "edges": {
            "font": {"size": 10, "align": "middle"},
            "smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.1},
        },
    }
    if hierarchical:
        options["layout"] = {
            "hierarchical": {"enabled": True, "direction": "LR", "sortMethod": "directed"}
        }
        options["physics"] = {"enabled": False}
        return options
    large = node_count > _LARGE_GRAPH
    options["layout"] = {"improvedLayout": not large}
    options["physics"] = {
        "enabled": physics,
        "solver": "barnesHut" if large else "forceAtlas2Based",
        "stabilization": {"enabled": True, "iterations": 200},
    }
    return options


def _script_json(value: Any) -> str:
    """JSON that is also safe to place verbatim inside an HTML <script> block."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.translate(_SCRIPT_SAFE)


@lru_cache(maxsize=1)
def _vis_bundle(template_dir: str) -> tuple[str, str]:
    """The vis-network JS and CSS shipped with pyvis, read once per process."""
    lib = Path(template_dir) / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    # An end tag inside the bundle would cut the inline block short; pyvis
    # upgrades could change the bundle, so fail loudly rather than render junk.
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError(f"vis-network bundle in {lib} cannot be inlined safely")
    return js, css
