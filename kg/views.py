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

import html
import json
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Iterable, Mapping

import networkx as nx
from pyvis.network import Network

__all__ = ["TYPE_STYLE", "render_html", "to_html", "full_view", "full_view_html", "render_view", "render_ego",
           "render_paths", "iframe"]

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

# Group (community) colours: distinct from one another and from the highlight red.
_GROUP_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
)
_NO_GROUP = "(no group)"

_HIGHLIGHT = "#d62728"
_HIGHLIGHT_WIDTH = 4
# Above this many nodes vis-network's improvedLayout (Kamada-Kawai on
# clusters) takes far longer than the physics it is meant to save.
_LARGE_GRAPH = 500
# Stabilisation budget in node-iterations.  Measured in headless Chromium on a
# 2-core machine (benchmarks/view_size.py): barnesHut (theta 0.8) costs ~20 ms
# per iteration at 2,000 nodes plus ~0.7 s to parse and draw, so 2,000 nodes
# get 35 iterations and are interactive in about 1.5-2 s.  Large graphs start
# from a community layout computed here, so few iterations already look settled.
_PHYSICS_BUDGET = 70_000
_MIN_ITERATIONS = 20
_MAX_ITERATIONS = 200
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))

# Legend glyphs approximating each vis-network shape.
_GLYPH = {
    "dot": "\u25cf",
    "box": "\u25ac",
    "diamond": "\u25c6",
    "triangle": "\u25b2",
    "square": "\u25a0",
    "hexagon": "\u2b22",
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
body { display: flex; }
#mynetwork { flex: 1 1 auto; min-width: 0; height: 100vh; }
#legend { flex: 0 0 auto; box-sizing: border-box; max-width: 18em; height: 100vh;
  overflow: auto; padding: 8px 10px; background: #fafafa;
  border-right: 1px solid #ddd; font-size: 13px; }
#legend h1 { margin: 0 0 2px; font-size: 16px; overflow-wrap: anywhere; }
#legend p { margin: 0 0 6px; color: #555; }
#legend ul { margin: 0; padding: 0; list-style: none; }
#legend li { margin: 1px 0; }
#legend .glyph { display: inline-block; width: 1.4em; text-align: center; }
#legend .swatch { display: inline-block; width: 1em; height: 0.6em; border-radius: 50%; }
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
// Timings (ms since navigation) for tests and benchmarks/view_size.py.
window.techkgTimings = {drawn: null, stabilized: null};
network.once("afterDrawing", function () {
  window.techkgTimings.drawn = performance.now();
});
network.once("stabilizationIterationsDone", function () {
  window.techkgTimings.stabilized = performance.now();
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
    note: str = "",
    groups: Mapping[str, str] | None = None,
    levels: Mapping[str, int] | None = None,
) -> str:
    """Return the page for *graph*; the same graph always gives the same string.

    ``highlight_nodes`` are entity IRIs and ``highlight_edges`` are
    ``(subject, object)`` IRI pairs (every predicate between them is marked);
    ids not in the graph are ignored so a query result can be passed as is.
    ``note`` is a line of text under the summary (e.g. what a filter left out).
    ``groups`` maps entity IRIs to a group name (e.g. a community): nodes are
    then coloured by group instead of type (shapes still show the type) and the
    legend lists the groups.  ``levels`` fixes each node's column in the
    hierarchical layout (e.g. its distance from a path's start).
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
    group_counts: Counter[str] = Counter()
    group_colour = _group_colours(groups, graph) if groups is not None else {}
    large = graph.number_of_nodes() > _LARGE_GRAPH and not hierarchical
    seeds = _seed_positions(graph) if large and physics else {}
    for iri, attrs in sorted(graph.nodes(data=True), key=lambda item: item[0]):
        label = attrs.get("label") or iri
        etype = attrs.get("type") or _DEFAULT_TYPE
        style = TYPE_STYLE.get(etype, _DEFAULT_STYLE)
        if groups is not None:
            group = groups.get(iri, _NO_GROUP)
            group_counts[group] += 1
            style = {"shape": style["shape"], "color": group_colour[group]}
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
        extra_node: dict[str, Any] = {}
        if levels is not None and iri in levels:
            extra_node["level"] = int(levels[iri])
        if iri in seeds:
            extra_node["x"], extra_node["y"] = seeds[iri]
        net.add_node(
            iri,
            label=label,
            shape=style["shape"],
            color=color,
            size=size,
            borderWidth=border_width,
            title=_node_tooltip(label, etype, attrs),
            **extra_node,
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
    n_nodes, n_edges = len(net.nodes), len(net.edges)
    summary = (f"{n_nodes} entit{'y' if n_nodes == 1 else 'ies'} \u00b7 "
               f"{n_edges} relation{'' if n_edges == 1 else 's'}")
    if note:
        summary += f"\n{note}"
    return _PAGE.substitute(
        title=html.escape(title),
        summary=html.escape(summary).replace("\n", "<br>"),
        legend=_group_legend(group_counts, group_colour) if groups is not None else _legend(type_counts),
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
    note: str = "",
    groups: Mapping[str, str] | None = None,
    levels: Mapping[str, int] | None = None,
) -> Path:
    """Write the page to *path* and return it (arguments as for :func:`to_html`).

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
        note=note,
        groups=groups,
        levels=levels,
    )
    from .graph import write_atomic

    return write_atomic(path, page.encode("utf-8"))


def full_view(
    graph: nx.MultiDiGraph,
    *,
    types: Iterable[str] | None = None,
    min_confidence: float = 0.0,
    top: int | None = None,
):
    """What the full view draws: *graph* filtered (a view), and a note saying how.

    ``top`` defaults to :data:`kg.analytics.DEFAULT_TOP`: a larger graph keeps its most
    central entities by PageRank and the note says so; ``top=0`` keeps everything.
    """
    from .analytics import DEFAULT_TOP, expand_types, filter_graph

    top = DEFAULT_TOP if top is None else top
    shown = filter_graph(graph, types=types, min_confidence=min_confidence, top=top or None)
    notes = []
    wanted = expand_types(types)
    if wanted:
        notes.append("types: " + ", ".join(sorted(wanted)))
    if min_confidence > 0:
        notes.append(f"facts with confidence \u2265 {min_confidence:g}")
    total = graph.number_of_nodes() if not wanted else sum(1 for _, t in graph.nodes(data="type") if t in wanted)
    if shown.number_of_nodes() < total:
        notes.append(f"the {shown.number_of_nodes()} most central of {total} entities (PageRank; --top 0 for all)")
    return shown, "; ".join(notes)


def full_view_html(graph: nx.MultiDiGraph, *, title: str = "techkg: full graph", **filters) -> str:
    """The page of :func:`full_view` (what ``kg build`` writes as graph.html)."""
    shown, note = full_view(graph, **filters)
    return to_html(shown, title=title, note=note)


def render_view(graph: nx.MultiDiGraph, path: str | Path, *, title: str = "techkg: full graph",
                **filters) -> tuple[Path, int]:
    """Write the full view (``kg view``); returns (file, entities drawn).  Filters as :func:`full_view`."""
    shown, note = full_view(graph, **filters)
    return render_html(shown, path, title=title, note=note), shown.number_of_nodes()


def render_ego(graph: nx.MultiDiGraph, node: str, path: str | Path, *, depth: int = 1) -> Path:
    """The neighbourhood of *node* within *depth* hops (``kg show``), the centre highlighted."""
    from .analytics import ego_network

    sub = ego_network(graph, node, depth)
    label = graph.nodes[node].get("label") or node
    return render_html(sub, path, title=f"techkg: {label}", highlight_nodes=[node],
                       note=f"within {depth} hop{'s' if depth != 1 else ''} of {label}")


def render_paths(graph: nx.MultiDiGraph, paths: list[list[str]], path: str | Path, *, title: str | None = None) -> Path:
    """Shortest paths (``kg path``): their nodes, every path edge highlighted, laid out left to right."""
    from .analytics import path_edges, paths_subgraph

    if not paths:
        raise ValueError("no paths to draw")
    first = paths[0]
    label = lambda n: graph.nodes[n].get("label") or n  # noqa: E731
    title = title or f"techkg: {label(first[0])} to {label(first[-1])}"
    hops = len(first) - 1
    note = f"{len(paths)} shortest path{'s' if len(paths) != 1 else ''} of {hops} hop{'s' if hops != 1 else ''}"
    return render_html(paths_subgraph(graph, paths), path, title=title,
                       highlight_nodes={n for p in paths for n in p},
                       highlight_edges=path_edges(graph, paths), hierarchical=True, note=note,
                       levels={n: i for p in paths for i, n in enumerate(p)})


def iframe(page: str, *, height: int = 520) -> str:
    """*page* as an ``<iframe srcdoc>``: shows a view inline in a notebook, offline.

    ``IPython.display.HTML(iframe(to_html(G)))``.  The page is attribute-escaped
    whole and sandboxed (scripts run, but in an opaque origin that cannot reach
    the notebook), so a view stays isolated from the notebook around it.
    """
    return (f'<div class="techkg-view"><iframe sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #ddd" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe></div>')


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
        if style["shape"] == "ellipse":  # no ellipse glyph in common fonts: draw it
            glyph = f'<span class="glyph"><span class="swatch" style="background:{style["color"]}"></span></span>'
        else:
            glyph = f'<span class="glyph" style="color:{style["color"]}">{_GLYPH[style["shape"]]}</span>'
        items.append(f"<li>{glyph}{html.escape(etype)} ({type_counts[etype]})</li>\n")
    return "".join(items)


def _group_colours(groups: Mapping[str, str], graph: nx.MultiDiGraph) -> dict[str, str]:
    """A palette colour per group, largest group first; past the palette, grey."""
    sizes = Counter(groups.get(n, _NO_GROUP) for n in graph.nodes)
    ordered = sorted((g for g in sizes if g != _NO_GROUP), key=lambda g: (-sizes[g], g))
    colours = {g: _GROUP_PALETTE[i] if i < len(_GROUP_PALETTE) else _DEFAULT_STYLE["color"]
               for i, g in enumerate(ordered)}
    colours[_NO_GROUP] = _DEFAULT_STYLE["color"]
    return colours


def _group_legend(group_counts: Counter[str], colours: Mapping[str, str]) -> str:
    items = []
    for group in sorted(group_counts, key=lambda g: (g == _NO_GROUP, -group_counts[g], g)):
        items.append(
            f'<li><span class="glyph" style="color:{colours[group]}">\u25cf</span>'
            f"{html.escape(group)} ({group_counts[group]})</li>\n"
        )
    items.append("<li>shape: entity type</li>\n")
    return "".join(items)


def _seed_positions(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Start positions for a large graph: communities side by side, hubs at their centres.

    Communities (Louvain, fixed seed) sit on a sunflower spiral, each taking room in
    proportion to its size, and their members on a smaller spiral around its centre,
    the most central first.  Physics then only has to relax this, not untangle a
    random cloud, so the capped stabilisation still gives a readable picture.
    """
    from .analytics import communities, pagerank

    rank = pagerank(graph)
    seeds: dict[str, tuple[float, float]] = {}
    placed = 0
    for j, group in enumerate(communities(graph)):
        radius = 60.0 * math.sqrt(placed + len(group) / 2)
        cx, cy = radius * math.cos(j * _GOLDEN_ANGLE), radius * math.sin(j * _GOLDEN_ANGLE)
        placed += len(group)
        for m, node in enumerate(sorted(group, key=lambda n: (-rank.get(n, 0.0), n))):
            r = 40.0 * math.sqrt(m + 0.5)
            seeds[node] = (round(cx + r * math.cos(m * _GOLDEN_ANGLE), 1),
                           round(cy + r * math.sin(m * _GOLDEN_ANGLE), 1))
    return seeds


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
    iterations = _MAX_ITERATIONS
    if large:
        iterations = max(_MIN_ITERATIONS, min(_MAX_ITERATIONS, _PHYSICS_BUDGET // node_count))
    options["physics"] = {
        "enabled": physics,
        "solver": "barnesHut" if large else "forceAtlas2Based",
        "stabilization": {"enabled": True, "iterations": iterations},
    }
    if large:
        # Panning and zooming redraw only the nodes (~110 ms a frame with 4,000 edges at 2,000 nodes).
        options["interaction"].update({"hideEdgesOnDrag": True, "hideEdgesOnZoom": True})
        # A coarser Barnes-Hut approximation (default 0.5): about a third less time per
        # iteration at 2,000 nodes, no visible difference from a seeded start.
        options["physics"]["barnesHut"] = {"theta": 0.8}
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
