"""Render a techkg graph as one self-contained, offline, interactive HTML page.

What a page holds:

* A layout computed here, in Python (networkx's Fruchterman-Reingold with a fixed seed per
  connected component, rings around the centre of an ego view, columns for a path view), then
  spread so that no two node labels overlap, and written into the page: the same graph gives
  the same picture on every load.  Physics is off (a toggle turns it on).
* Node size by number of neighbours, label size by importance; entities without relations are
  hidden behind a toggle (their count shown) and, when shown, sit in a block beside the rest.
  Edge colour and dashes say which relation it is and whether it is a past role or an unfinished
  deal; relation labels (with price or amount and year for deals) show on hover and selection,
  or always when there are few edges.
* A side panel: search by name or alias, filters by entity type, relation, confidence and
  document, and the facts of the selected entity (or the selected edge) with every evidence
  sentence, its confidence and its document.

pyvis collects nothing here any more; its 0.3.2 template is not used either: even with
``cdn_resources="in_line"`` it links Bootstrap from a CDN and a relative ``../node_modules/vis``
script.  The vis-network 9.1.2 bundle shipped inside the pyvis package is inlined into the page,
which makes no network request at all.

Names and sentences come from untrusted documents.  Everything derived from the graph reaches the
page HTML-escaped (the static panel) or as JSON made safe for a ``<script>`` block; the page's own
script writes it into the document with ``textContent`` only, and vis-network 9 shows a string
``title`` (tooltip) with ``innerText``.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Iterable, Mapping

import networkx as nx
import numpy as np

__all__ = ["TYPE_STYLE", "PREDICATE_COLOURS", "render_html", "to_html", "layout", "text_width", "full_view",
           "full_view_html", "render_view", "ego_html", "render_ego", "render_paths", "iframe"]

#: Colour and vis-network shape per entity type.  Colours are pairwise distinct and none is the
#: highlight red; every shape draws its label below the node, so node size means something
#: (vis-network's box and ellipse grow with their label instead).
TYPE_STYLE: dict[str, dict] = {
    "Person": {"color": "#4e79a7", "shape": "dot"},
    "Company": {"color": "#f28e2b", "shape": "square"},
    "ResearchLab": {"color": "#59a14f", "shape": "diamond"},
    "University": {"color": "#76b7b2", "shape": "triangle"},
    "Investor": {"color": "#edc948", "shape": "triangleDown"},
    "AIModel": {"color": "#b07aa1", "shape": "hexagon"},
    "Product": {"color": "#ff9da7", "shape": "star"},
    "Award": {"color": "#9c755f", "shape": "star"},
    "Organization": {"color": "#8c8c8c", "shape": "square"},
    "Place": {"color": "#17becf", "shape": "triangleDown"},
}
# Nodes created implicitly by ``add_edge`` carry no ``type``; they still render.
_DEFAULT_TYPE = "Other"
_DEFAULT_STYLE = {"color": "#c7c7c7", "shape": "dot"}

#: Edge colour per relation (others get a colour from _EDGE_PALETTE in name order).
PREDICATE_COLOURS: dict[str, str] = {
    "worksFor": "#8a8a8a",
    "leads": "#3b6ea5",
    "ceoOf": "#1c3f73",
    "founded": "#7b4fa3",
    "developed": "#3c8d47",
    "acquired": "#b5651d",
    "investedIn": "#a88a00",
    "parentOrganization": "#2a7f88",
    "basedOn": "#a0569a",
    "awardReceived": "#8b5e3c",
    "ownedBy": "#6b6b2f",
}
_EDGE_PALETTE = ("#5a7d9a", "#9a6b5a", "#6b9a5a", "#8a5a9a", "#5a9a8f", "#9a8f5a", "#7a7a7a", "#5a5a9a")

# Group (community) colours: distinct from one another and from the highlight red.
_GROUP_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
)
_NO_GROUP = "(no group)"

_HIGHLIGHT = "#d62728"
_HIGHLIGHT_WIDTH = 4
# Above this many nodes panning and zooming hide edges and physics (when switched on) uses Barnes-Hut.
_LARGE_GRAPH = 500
# A connected component larger than this is laid out community by community (Fruchterman-Reingold
# is quadratic: 0.2 s at 300 nodes, 11 s at 2,000).
_DIRECT_LAYOUT = 400
_SEED = 42
# Relation labels are drawn on every edge when a view has at most this many edges.
_EDGE_LABELS_ALWAYS = 12

# Fonts and sizes, in canvas pixels (the initial zoom is at most 1, so on screen they are at most this).
_FONT_FACE = "Arial, 'Liberation Sans', Helvetica, sans-serif"
_FONT = 14
_EDGE_FONT = 12
# Labels smaller than this on screen are too small to read: when the zoom that fits a view makes
# the base labels smaller, the page shows an overview instead (see "level of detail" in _APP),
# with the best-connected entities' labels this big...
_DRAW_THRESHOLD = 10
_LEGIBLE = 12
# vis-network skips labels smaller than this on screen (and fades them just above it): the page
# sets labels it wants hidden below it, so no label is ever drawn faded.
_HIDE_BELOW = 6
_HIDDEN_FONT = 6
# At most this many labels are enlarged for the overview of a big graph.
_HUBS = 150
# The canvas the layout plans for: a 1280x800 browser window less the 320-pixel panel and the browser's
# own bars (Chromium's take 143 pixels: a 960x657 viewport); a bigger one only zooms in.
_CANVAS = (960.0, 657.0)
# vis-network's fit() leaves this margin around the bounding box.
_FIT_MARGIN = 1.1
# Empty space kept around every node-and-label box (each side), and between components.
_PAD = 4.0
_GAP = 60.0

# Legend glyphs approximating each vis-network shape.
_GLYPH = {
    "dot": "\u25cf",
    "square": "\u25a0",
    "diamond": "\u25c6",
    "triangle": "\u25b2",
    "triangleDown": "\u25bc",
    "hexagon": "\u2b22",
    "star": "\u2605",
}

# Advance widths of Arial / Liberation Sans / Helvetica (the same metrics), per 1000 units of font
# size, for printable ASCII; other characters are estimated below.  vis-network measures labels
# with the canvas, so the layout needs the width a label will really take.
_ARIAL = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
     556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
     500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
     556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
     278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584)))
# Safety factor on estimated widths (a fallback font, rounding, the bold of a selected label).
_WIDTH_SLACK = 1.08

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

_CSS = """
html, body { margin: 0; height: 100%; font-family: system-ui, -apple-system, 'Segoe UI', Arial, sans-serif;
  font-size: 13px; color: #222; }
body { display: flex; overflow: hidden; --panel: 320px; }
@media (max-width: 1000px) { body { --panel: 260px; } }
@media (max-width: 640px) { body { --panel: 200px; } }
#panel { flex: 0 0 auto; box-sizing: border-box; width: var(--panel); height: 100vh; overflow: auto;
  padding: 8px 10px 16px; background: #fafafa; border-right: 1px solid #ddd; }
body.collapsed #panel { display: none; }
#panel-toggle { position: absolute; z-index: 5; top: 6px; left: calc(var(--panel) + 6px); font-size: 13px;
  padding: 1px 6px; }
body.collapsed #panel-toggle { left: 6px; }
#mynetwork { flex: 1 1 auto; min-width: 0; height: 100vh; }
#panel h1 { margin: 0 0 2px; font-size: 16px; overflow-wrap: anywhere; padding-right: 2em; }
#panel h2 { margin: 4px 0; font-size: 14px; overflow-wrap: anywhere; }
#panel h3 { margin: 10px 0 4px; font-size: 13px; }
#panel p { margin: 0 0 6px; color: #555; }
#panel fieldset { border: 0; border-top: 1px solid #e3e3e3; margin: 8px 0 0; padding: 6px 0 0; }
#panel legend { font-weight: 600; padding: 0 4px 0 0; }
#panel ul { margin: 0; padding: 0; list-style: none; }
#panel li { margin: 1px 0; }
#panel label { cursor: pointer; }
.glyph { display: inline-block; width: 1.3em; text-align: center; }
.line { display: inline-block; width: 1.6em; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 4px; }
.line.dashed { border-top-style: dashed; }
.count { color: #777; }
#search { width: 100%; box-sizing: border-box; padding: 5px 6px; font-size: 14px; }
#search-results button, .link { background: none; border: 0; padding: 1px 0; font: inherit; color: #1a5fb4;
  cursor: pointer; text-align: left; }
#search-results button:hover, .link:hover { text-decoration: underline; }
#search-results .hint, .muted { color: #777; }
#details { margin-top: 8px; padding: 6px 8px; background: #fff; border: 1px solid #ddd; border-radius: 4px; }
#details .fact { margin: 8px 0 4px; padding-top: 6px; border-top: 1px solid #eee; }
#details .attrs { color: #7a4a00; }
#details .rel { font-weight: 600; color: #333; }
#details blockquote { margin: 3px 0 2px 0; padding: 2px 0 2px 8px; border-left: 3px solid #ccc; color: #222; }
#details blockquote mark { background: #fff2a8; }
#details .src { color: #666; font-size: 12px; margin: 0 0 4px 11px; }
#details .hidden-fact { opacity: 0.55; }
#count { margin-top: 8px; font-weight: 600; color: #333; }
.row { margin: 4px 0; }
#min-confidence { width: 150px; vertical-align: middle; }
#doc-filter { width: 100%; }
div.vis-tooltip { max-width: 40em; white-space: pre-wrap; }
"""

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$vis_css</style>
<style>$css</style>
<script>$vis_js</script>
</head>
<body>
<aside id="panel">
<h1>$title</h1>
<p id="summary">$summary</p>
<input id="search" type="search" placeholder="Search a name or alias" autocomplete="off" spellcheck="false"
 aria-label="Search entities by name or alias">
<ul id="search-results"></ul>
<div id="details" hidden></div>
<p id="count"></p>
<fieldset id="type-filter"><legend>Entity types</legend>
<ul>
$types</ul>
</fieldset>
$groups<fieldset id="relation-filter"><legend>Relations</legend>
<ul>
$relations</ul>
</fieldset>
<fieldset><legend>Evidence</legend>
<div class="row"><label for="min-confidence">Confidence \u2265 </label><input id="min-confidence" type="range"
 min="0" max="1" step="0.05" value="0"> <output id="min-confidence-value" for="min-confidence">0.00</output></div>
<div class="row"><label for="doc-filter">Document </label><select id="doc-filter">
<option value="">all documents ($doc_count)</option>
$documents</select></div>
</fieldset>
<fieldset><legend>View</legend>
<div class="row"><label><input id="show-isolated" type="checkbox"$isolated_disabled> Show $isolated_text</label></div>
<div class="row"><label><input id="edge-labels" type="checkbox"$edge_labels_checked> Relation labels on every edge</label></div>
<div class="row"><label><input id="physics" type="checkbox"$physics_checked> Physics (let the layout move)</label></div>
<div class="row"><button id="fit" type="button">Fit to window</button> <button id="reset" type="button">Reset layout</button></div>
</fieldset>
</aside>
<button id="panel-toggle" type="button" title="Hide or show the panel">\u2630</button>
<div id="mynetwork"></div>
<script id="techkg-app">
var container = document.getElementById("mynetwork");
var nodes = new vis.DataSet($nodes);
var edges = new vis.DataSet($edges);
var techkgData = $data;
var network = new vis.Network(container, {nodes: nodes, edges: edges}, $options);
$app</script>
</body>
</html>
"""
)

# The page's own script.  Data reaches the document through textContent and DOM nodes only.
_APP = r"""
window.techkgTimings = {drawn: null, interactive: null};
var techkg = (function () {
  "use strict";
  var D = techkgData, info = D.entities, facts = D.facts;
  var $ = function (id) { return document.getElementById(id); };
  var state = {types: {}, relations: {}, minConfidence: 0, doc: "", showIsolated: false,
               edgeLabels: D.edgeLabels, pinned: {}, selectedEdges: 0};
  D.pinned.forEach(function (id) { state.pinned[id] = true; });
  var visibleNodes = {}, visibleEdges = {};
  // What the page starts with (isolated entities hidden), so the first apply() changes nothing.
  nodes.forEach(function (n) { visibleNodes[n.id] = !n.hidden; });
  edges.forEach(function (e) { visibleEdges[e.id] = !e.hidden; });
  var byNode = {};  // entity id -> indices of its facts
  facts.forEach(function (f, i) {
    (byNode[f.s] = byNode[f.s] || []).push(i);
    if (f.o !== f.s) (byNode[f.o] = byNode[f.o] || []).push(i);
  });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function name(id) { return info[id] ? info[id].n : id; }
  function fmt(c) { return Number(c).toFixed(2); }

  // ------------------------------------------------------------------ filters
  function factVisible(i) {
    var f = facts[i];
    if (state.relations[f.p] === false) return false;
    if (state.types[info[f.s].t] === false || state.types[info[f.o].t] === false) return false;
    for (var k = 0; k < f.ev.length; k++) {
      var e = f.ev[k];
      if (e.c >= state.minConfidence - 1e-9 && (state.doc === "" || e.d === state.doc)) return true;
    }
    return false;
  }
  function apply() {
    var linked = {}, nodeUpdates = [], edgeUpdates = [], nn = 0, ne = 0;
    for (var i = 0; i < facts.length; i++) {
      var on = factVisible(i);
      if (on) { linked[facts[i].s] = true; linked[facts[i].o] = true; ne++; }
      if (visibleEdges[i] !== on) { edgeUpdates.push({id: i, hidden: !on}); visibleEdges[i] = on; }
    }
    for (var id in info) {
      var show = state.types[info[id].t] !== false &&
        (linked[id] === true || state.pinned[id] === true || state.showIsolated);
      if (show) nn++;
      if (visibleNodes[id] !== show) { nodeUpdates.push({id: id, hidden: !show}); visibleNodes[id] = show; }
    }
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    if (edgeUpdates.length) edges.update(edgeUpdates);
    $("count").textContent = "Showing " + nn + " of " + D.counts.nodes + " entities \u00b7 " +
      ne + " of " + facts.length + " relations";
    return {nodes: nn, edges: ne};
  }
  function counts() {
    var nn = 0, ne = 0, id;
    for (id in visibleNodes) if (visibleNodes[id]) nn++;
    for (id in visibleEdges) if (visibleEdges[id]) ne++;
    return {nodes: nn, edges: ne};
  }
  // ------------------------------------------------------------------ level of detail
  // When the zoom that fits the view makes ordinary labels smaller than D.drawAt pixels on
  // screen (too small to read), the best-connected entities get labels D.legible pixels high,
  // each only if it overlaps no label already enlarged, and every other label is made too small
  // for vis-network to draw.  Zooming in past that point brings the base sizes back (the layout
  // made sure those never overlap).
  var baseFont = {}, lod = {fonts: {}, overview: false};
  nodes.forEach(function (n) { baseFont[n.id] = n.font && n.font.size ? n.font.size : D.font; });
  var measure = document.createElement("canvas").getContext("2d");
  function labelWidth(label, size) {
    measure.font = size + "px " + D.fontFace;
    return Math.max.apply(null, String(label).split("\n").map(function (l) { return measure.measureText(l).width; }));
  }
  function planOverview(scale) {
    var fonts = {}, placed = [];
    if (D.font * scale >= D.drawAt) return fonts;
    D.hubs.forEach(function (id) {
      var node = network.body.nodes[id];
      if (!visibleNodes[id] || !node) return;
      var label = node.options.label || "", lines = String(label).split("\n").length;
      for (var px = D.legible; px >= D.drawAt; px--) {
        var f = px / scale, w = labelWidth(label, f), gap = 3 / scale;
        var top = node.y + node.options.size + f / 2 + 4;
        var b = {l: node.x - w / 2 - gap, r: node.x + w / 2 + gap, t: top - gap, b: top + lines * f + gap};
        var clear = placed.every(function (o) { return b.r <= o.l || o.r <= b.l || b.b <= o.t || o.b <= b.t; });
        if (clear) { placed.push(b); fonts[id] = Math.ceil(f * 10) / 10; return; }
      }
    });
    for (var id in baseFont) if (!(id in fonts)) fonts[id] = D.hiddenFont;
    return fonts;
  }
  function setOverview(on) {
    if (on === lod.overview) return;
    lod.overview = on;
    var updates = [];
    for (var id in lod.fonts) updates.push({id: id, font: {size: on ? lod.fonts[id] : baseFont[id]}});
    if (updates.length) nodes.update(updates);
  }
  function levelOfDetail() {
    setOverview(false);
    var scale = network.getScale();
    lod.fonts = planOverview(scale);
    setOverview(D.font * scale < D.drawAt);
  }
  function syncDetail() { setOverview(D.font * network.getScale() < D.drawAt); }
  network.on("zoom", syncDetail);

  function visibleIds() { return Object.keys(visibleNodes).filter(function (id) { return visibleNodes[id]; }); }
  function fit() {
    var ids = visibleIds();
    if (ids.length) network.fit({nodes: ids, maxZoomLevel: D.maxZoom, animation: false});
    levelOfDetail();
  }

  // ------------------------------------------------------------------ details
  function names(id) { return [info[id].n].concat(info[id].a || []); }
  function sentence(text, emphasise) {
    // The sentence as text nodes, with the names of the fact's two entities marked.
    var q = el("blockquote"), lower = text.toLowerCase(), pos = 0;
    var words = emphasise.filter(function (w) { return w && w.length > 1; })
      .sort(function (a, b) { return b.length - a.length; });
    while (pos < text.length) {
      var best = -1, len = 0;
      words.forEach(function (w) {
        var at = lower.indexOf(w.toLowerCase(), pos);
        if (at >= 0 && (best < 0 || at < best || (at === best && w.length > len))) { best = at; len = w.length; }
      });
      if (best < 0) { q.appendChild(document.createTextNode(text.slice(pos))); break; }
      if (best > pos) q.appendChild(document.createTextNode(text.slice(pos, best)));
      q.appendChild(el("mark", text.slice(best, best + len)));
      pos = best + len;
    }
    return q;
  }
  function docName(d) {
    var t = D.documents[d];
    return t ? d + " (" + (t.length > 50 ? t.slice(0, 49) + "\u2026" : t) + ")" : d;
  }
  function evidenceList(f, box, limit) {
    var shown = limit ? f.ev.slice(0, limit) : f.ev, words = names(f.s).concat(names(f.o));
    shown.forEach(function (e) {
      box.appendChild(sentence(e.t || "(no sentence)", words));
      var source = "confidence " + fmt(e.c) + " \u00b7 " + docName(e.d);
      if (e.a) source += " \u00b7 " + e.a;
      box.appendChild(el("div", source, "src"));
    });
    if (limit && f.ev.length > limit) {
      var more = el("button", "\u2026 " + (f.ev.length - limit) + " more sentence" +
        (f.ev.length - limit === 1 ? "" : "s"), "link");
      more.addEventListener("click", function () { more.remove(); evidenceList({ev: f.ev.slice(limit), s: f.s, o: f.o}, box, 0); });
      box.appendChild(more);
    }
  }
  function entityLink(id) {
    var b = el("button", name(id), "link");
    b.addEventListener("click", function () { selectEntity(id); });
    return b;
  }
  function factHeader(i, asLink) {
    var f = facts[i], h = el(asLink ? "div" : "h2");
    h.appendChild(entityLink(f.s));
    h.appendChild(document.createTextNode(" "));
    var rel = el(asLink ? "button" : "span", f.p + (f.former ? " (former)" : ""), asLink ? "link rel" : "rel");
    if (asLink) {
      rel.title = "Show every sentence for this fact";
      rel.addEventListener("click", function () { selectFact(i); });
    }
    h.appendChild(rel);
    h.appendChild(document.createTextNode(" "));
    h.appendChild(entityLink(f.o));
    return h;
  }
  function clearDetails() { var d = $("details"); d.hidden = true; d.textContent = ""; return d; }
  function showEntity(id) {
    var d = clearDetails(), x = info[id];
    d.hidden = false;
    d.appendChild(el("h2", x.n));
    var line = x.t + " \u00b7 " + x.deg + " neighbour" + (x.deg === 1 ? "" : "s");
    if (x.w) line += " \u00b7 Wikidata " + x.w;
    d.appendChild(el("p", line));
    if (x.a && x.a.length) d.appendChild(el("p", "Also: " + x.a.join(", ")));
    if (!visibleNodes[id]) d.appendChild(el("p", "Hidden by the current filters.", "muted"));
    var mine = (byNode[id] || []).slice().sort(function (a, b) {
      var fa = facts[a], fb = facts[b], oa = fa.s === id ? 0 : 1, ob = fb.s === id ? 0 : 1;
      var na = name(oa ? fa.s : fa.o).toLowerCase(), nb = name(ob ? fb.s : fb.o).toLowerCase();
      return oa - ob || (fa.p < fb.p ? -1 : fa.p > fb.p ? 1 : 0) || (na < nb ? -1 : na > nb ? 1 : 0) || a - b;
    });
    d.appendChild(el("h3", mine.length ? "Facts (" + mine.length + ")" : "No facts: mentioned only"));
    mine.forEach(function (i) {
      var f = facts[i], box = el("div", null, "fact" + (visibleEdges[i] ? "" : " hidden-fact"));
      box.dataset.fact = i;
      box.appendChild(factHeader(i, true));
      if (f.cap) box.appendChild(el("div", f.cap, "attrs"));
      evidenceList(f, box, 2);
      d.appendChild(box);
    });
  }
  function showFact(i) {
    var d = clearDetails(), f = facts[i];
    d.hidden = false;
    d.appendChild(factHeader(i, false));
    if (f.cap) d.appendChild(el("p", f.cap, "attrs"));
    d.appendChild(el("p", "best confidence " + fmt(f.c) + " \u00b7 " + f.ev.length + " evidence sentence" +
      (f.ev.length === 1 ? "" : "s")));
    var box = el("div", null, "fact");
    box.dataset.fact = i;
    evidenceList(f, box, 0);
    d.appendChild(box);
  }
  function selectEntity(id) {
    if (!info[id]) return;
    if (!visibleNodes[id]) { state.pinned[id] = true; apply(); }
    network.selectNodes([id]);
    state.selectedEdges = network.getSelectedEdges().length;
    network.focus(id, {scale: Math.max(network.getScale(), 0.9), animation: false});
    syncDetail();
    showEntity(id);
  }
  function selectFact(i) {
    network.selectEdges([i]);
    state.selectedEdges = 1;
    showFact(i);
  }

  // ------------------------------------------------------------------ search
  function fold(s) { return String(s).toLowerCase().replace(/\s+/g, " ").trim(); }
  function search(query) {
    var q = fold(query), hits = [];
    if (!q) return hits;
    for (var id in info) {
      var x = info[id], label = fold(x.n), score = -1, via = null;
      if (label === q) score = 0; else if (label.indexOf(q) === 0) score = 1;
      (x.a || []).forEach(function (a) {
        var fa = fold(a), s = fa === q ? 2 : fa.indexOf(q) === 0 ? 3 : fa.indexOf(q) >= 0 ? 5 : -1;
        if (s >= 0 && (score < 0 || s < score)) { score = s; via = a; }
      });
      if (score < 0 && label.indexOf(q) >= 0) score = 4;
      if (score >= 0) hits.push({id: id, score: score, via: via});
    }
    hits.sort(function (a, b) {
      return a.score - b.score || info[b.id].deg - info[a.id].deg ||
        (info[a.id].n < info[b.id].n ? -1 : info[a.id].n > info[b.id].n ? 1 : 0);
    });
    return hits;
  }
  function showResults() {
    var list = $("search-results"), hits = search($("search").value);
    list.textContent = "";
    hits.slice(0, 12).forEach(function (h) {
      var li = el("li"), b = el("button", info[h.id].n);
      b.dataset.id = h.id;
      b.addEventListener("click", function () { selectEntity(h.id); });
      li.appendChild(b);
      li.appendChild(el("span", " " + info[h.id].t + (h.via ? " \u00b7 also \u201c" + h.via + "\u201d" : ""), "hint"));
      list.appendChild(li);
    });
    if ($("search").value.trim() && !hits.length) list.appendChild(el("li", "No entity of that name.", "hint"));
    else if (hits.length > 12) list.appendChild(el("li", (hits.length - 12) + " more\u2026", "hint"));
  }

  // ------------------------------------------------------------------ wiring
  $("search").addEventListener("input", showResults);
  $("search").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var hits = search($("search").value); if (hits.length) selectEntity(hits[0].id); }
  });
  Array.prototype.forEach.call(document.querySelectorAll("#type-filter input"), function (box) {
    box.addEventListener("change", function () { state.types[box.value] = box.checked; apply(); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("#relation-filter input"), function (box) {
    box.addEventListener("change", function () { state.relations[box.value] = box.checked; apply(); });
  });
  $("min-confidence").addEventListener("input", function () {
    state.minConfidence = Number($("min-confidence").value);
    $("min-confidence-value").textContent = fmt(state.minConfidence);
    apply();
  });
  $("doc-filter").addEventListener("change", function () { state.doc = $("doc-filter").value; apply(); });
  $("show-isolated").addEventListener("change", function () {
    state.showIsolated = $("show-isolated").checked; apply(); fit();
  });
  $("edge-labels").addEventListener("change", function () {
    state.edgeLabels = $("edge-labels").checked;
    network.setOptions({edges: {font: {size: state.edgeLabels ? D.edgeFont : 0}}});
  });
  $("physics").addEventListener("change", function () { network.setOptions({physics: {enabled: $("physics").checked}}); });
  $("fit").addEventListener("click", fit);
  $("reset").addEventListener("click", function () {
    $("physics").checked = false;
    network.setOptions({physics: {enabled: false}});
    nodes.forEach(function (n) { network.moveNode(n.id, n.x, n.y); });
    fit();
  });
  $("panel-toggle").addEventListener("click", function () {
    document.body.classList.toggle("collapsed");
    network.redraw();
  });
  network.setOptions({edges: {chosen: {edge: true, label: function (values, id, selected, hovering) {
    if (hovering || (selected && state.selectedEdges <= D.edgeLabelsOnSelect)) values.size = D.edgeFont;
  }}}});
  network.on("click", function (p) {
    state.selectedEdges = p.edges.length;
    if (p.nodes.length) showEntity(p.nodes[0]);
    else if (p.edges.length) showFact(p.edges[0]);
    else clearDetails();
  });
  network.once("afterDrawing", function () { window.techkgTimings.drawn = performance.now(); });

  apply();
  fit();
  window.setTimeout(function () { window.techkgTimings.interactive = performance.now(); }, 0);
  return {state: state, apply: apply, counts: counts, fit: fit, search: search, selectEntity: selectEntity,
          selectFact: selectFact, visibleIds: visibleIds, lod: lod};
})();
"""


# ================================================================================== public API
def to_html(
    graph: nx.MultiDiGraph,
    *,
    title: str = "techkg",
    highlight_nodes: Iterable[str] = (),
    highlight_edges: Iterable[tuple[str, str]] = (),
    hierarchical: bool = False,
    physics: bool = False,
    note: str = "",
    groups: Mapping[str, str] | None = None,
    levels: Mapping[str, int] | None = None,
    center: str | None = None,
) -> str:
    """Return the page for *graph*; the same graph always gives the same string.

    ``highlight_nodes`` are entity IRIs and ``highlight_edges`` are ``(subject, object)`` IRI
    pairs (every predicate between them is marked); ids not in the graph are ignored so a query
    result can be passed as is.  Highlighted nodes stay visible whatever the filters.
    ``note`` is a line of text under the summary (e.g. what a filter left out).  ``groups`` maps
    entity IRIs to a group name (e.g. a community): nodes are then coloured by group instead of
    type (shapes still show the type) and the panel lists the groups.  ``levels`` (or
    ``hierarchical``) lays the nodes out in columns left to right by level (a path's hops);
    ``center`` lays them out in rings around that node (an ego network).  ``physics`` starts the
    page with physics on (off by default: the layout computed here stays put).
    """
    marked_nodes = {n for n in highlight_nodes if n in graph}
    marked_edges = set(highlight_edges)
    facts = _facts(graph)
    neighbours = _neighbours(graph, facts)
    ids = sorted(graph.nodes)
    attrs = {n: graph.nodes[n] for n in ids}
    names = {n: str(attrs[n].get("label") or n) for n in ids}
    types = {n: str(attrs[n].get("type") or _DEFAULT_TYPE) for n in ids}
    degree = {n: len(neighbours[n]) for n in ids}
    isolated = {n for n in ids if degree[n] == 0 and n not in marked_nodes and n != center}

    sizes = {n: _node_size(degree[n], n in marked_nodes) for n in ids}
    fonts = {n: _label_font(degree[n], n in marked_nodes) for n in ids}
    if levels is None and hierarchical:
        levels = _bfs_levels(graph, neighbours)
    positions, fonts = layout(graph, sizes=sizes, fonts=fonts, levels=levels,
                              center=center if center in graph else None, neighbours=neighbours,
                              isolated=isolated, names=names, edge_captions=[f["cap_short"] for f in facts])

    group_colour = _group_colours(groups, graph) if groups is not None else {}
    node_records = []
    for n in ids:
        style = TYPE_STYLE.get(types[n], _DEFAULT_STYLE)
        color: str | dict = group_colour[groups.get(n, _NO_GROUP)] if groups is not None else style["color"]
        border_width = 1
        if n in marked_nodes:
            border_width = _HIGHLIGHT_WIDTH
            color = {"background": color, "border": _HIGHLIGHT,
                     "highlight": {"background": color, "border": _HIGHLIGHT}}
        x, y = positions[n]
        record: dict[str, Any] = {
            "id": n, "label": _wrap(names[n]), "shape": style["shape"], "color": color, "size": sizes[n],
            "borderWidth": border_width, "title": _node_tooltip(names[n], types[n], attrs[n], degree[n]),
            "x": x, "y": y, "hidden": n in isolated,
        }
        # Every node gets its own font object: vis-network 9.1.2 lets one node's font options
        # leak into every node that has none.
        record["font"] = {"size": fonts[n]}
        if levels is not None and n in levels:
            record["level"] = int(levels[n])
        node_records.append(record)

    edge_records, fact_data = [], []
    pair_count = Counter(frozenset((f["s"], f["o"])) for f in facts)
    pair_rank: Counter = Counter()
    for i, f in enumerate(facts):
        u, v, p = f["s"], f["o"], f["p"]
        pair = frozenset((u, v))
        rank = pair_rank[pair]
        pair_rank[pair] += 1
        colour = _predicate_colour(p)
        record = {"id": i, "from": u, "to": v, "label": f["cap_short"], "arrows": "to",
                  "title": _edge_tooltip(names[u], names[v], f),
                  "width": round(1 + 2 * f["c"], 2),
                  "color": {"color": colour, "highlight": colour, "hover": colour, "opacity": 0.85}}
        if f["former"] or f["unfinished"]:
            record["dashes"] = [6, 5] if f["former"] else [2, 5]
        if pair_count[pair] > 1:
            record["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": round(0.12 + 0.16 * rank, 2)}
        if (u, v) in marked_edges:
            record["width"] = _HIGHLIGHT_WIDTH
            record["color"] = {"color": _HIGHLIGHT, "highlight": _HIGHLIGHT, "hover": _HIGHLIGHT}
        edge_records.append(record)
        fact_data.append({"s": u, "o": v, "p": p, "c": f["c"], "cap": f["cap"], "former": f["former"],
                          "ev": f["ev"]})

    documents = dict(graph.graph.get("documents") or {})
    doc_facts: Counter[str] = Counter()
    for f in facts:
        for d in {e["d"] for e in f["ev"]}:
            doc_facts[d] += 1
    data = {
        "entities": {n: {"n": names[n], "t": types[n], "a": list(attrs[n].get("aliases") or []),
                         "w": attrs[n].get("wikidata") or None, "deg": degree[n]} for n in ids},
        "facts": fact_data,
        "documents": {d: str(documents[d]) for d in sorted(doc_facts) if d in documents},
        "pinned": sorted(marked_nodes | ({center} if center in graph else set())),
        "counts": {"nodes": len(ids), "edges": len(facts), "isolated": len(isolated)},
        "edgeLabels": len(facts) <= _EDGE_LABELS_ALWAYS,
        "edgeLabelsOnSelect": 8,
        "edgeFont": _EDGE_FONT,
        "maxZoom": 2.0 if len(ids) <= 6 else 1.2,
        # Level of detail: the page enlarges these labels (best connected first) when the view is
        # too big for the others to be legible, and hides the rest until the user zooms in.
        "hubs": [n for n in sorted(ids, key=lambda n: (-degree[n], names[n].casefold(), n))
                 if degree[n] > 0][:_HUBS],
        "font": _FONT, "fontFace": _FONT_FACE, "drawAt": _DRAW_THRESHOLD, "legible": _LEGIBLE,
        "hiddenFont": _HIDDEN_FONT,
    }
    n_nodes, n_edges = len(ids), len(facts)
    summary = (f"{n_nodes} entit{'y' if n_nodes == 1 else 'ies'} \u00b7 "
               f"{n_edges} relation{'' if n_edges == 1 else 's'}")
    if note:
        summary += f"\n{note}"
    vis_js, vis_css = _vis_bundle()
    n_iso = len(isolated)
    return _PAGE.substitute(
        title=_text(title),
        summary=_text(summary).replace("\n", "<br>"),
        css=_CSS,
        vis_css=vis_css,
        vis_js=vis_js,
        types=_type_filter(Counter(types.values())),
        groups=_group_legend(Counter(groups.get(n, _NO_GROUP) for n in ids), group_colour) if groups is not None else "",
        relations=_relation_filter(Counter(f["p"] for f in facts), facts),
        doc_count=len(doc_facts),
        documents=_document_options(doc_facts, documents),
        isolated_text=_text(f"{n_iso} entit{'y' if n_iso == 1 else 'ies'} without relations"),
        isolated_disabled="" if n_iso else " disabled",
        edge_labels_checked=" checked" if data["edgeLabels"] else "",
        physics_checked=" checked" if physics else "",
        nodes=_script_json(node_records),
        edges=_script_json(edge_records),
        data=_script_json(data),
        options=_script_json(_options(n_nodes, physics=physics, edge_labels=data["edgeLabels"])),
        app=_APP,
    )


def render_html(
    graph: nx.MultiDiGraph,
    path: str | Path,
    *,
    title: str = "techkg",
    highlight_nodes: Iterable[str] = (),
    highlight_edges: Iterable[tuple[str, str]] = (),
    hierarchical: bool = False,
    physics: bool = False,
    note: str = "",
    groups: Mapping[str, str] | None = None,
    levels: Mapping[str, int] | None = None,
    center: str | None = None,
) -> Path:
    """Write the page to *path* and return it (arguments as for :func:`to_html`).

    The file is written as UTF-8 whatever the locale, via a temporary file in
    the same folder and ``os.replace``, so a browser or a concurrent run never
    sees a half-written page.
    """
    page = to_html(graph, title=title, highlight_nodes=highlight_nodes, highlight_edges=highlight_edges,
                   hierarchical=hierarchical, physics=physics, note=note, groups=groups, levels=levels,
                   center=center)
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


def ego_html(graph: nx.MultiDiGraph, node: str, *, depth: int = 1) -> str:
    """The page of :func:`render_ego` (for a notebook: ``iframe(ego_html(G, meta))``)."""
    from .analytics import ego_network

    sub = ego_network(graph, node, depth)
    label = graph.nodes[node].get("label") or node
    return to_html(sub, title=f"techkg: {label}", highlight_nodes=[node], center=node,
                   note=f"within {depth} hop{'s' if depth != 1 else ''} of {label}")


def render_ego(graph: nx.MultiDiGraph, node: str, path: str | Path, *, depth: int = 1) -> Path:
    """The neighbourhood of *node* within *depth* hops (``kg show``): rings around it, the centre highlighted."""
    from .graph import write_atomic

    return write_atomic(path, ego_html(graph, node, depth=depth).encode("utf-8"))


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
                       highlight_edges=path_edges(graph, paths), note=note,
                       levels={n: i for p in paths for i, n in enumerate(p)})


def iframe(page: str, *, height: int = 640) -> str:
    """*page* as an ``<iframe srcdoc>``: shows a view inline in a notebook, offline.

    ``IPython.display.HTML(iframe(to_html(G)))``.  The page is attribute-escaped
    whole and sandboxed (scripts run, but in an opaque origin that cannot reach
    the notebook), so a view stays isolated from the notebook around it.
    """
    return (f'<div class="techkg-view"><iframe sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #ddd" '
            f'srcdoc="{_text(page)}"></iframe></div>')


# ================================================================================== facts
_MONEY_KEYS = ("price_usd", "amount_usd")
# Attributes in the order they are shown; others follow by name.
_ATTR_ORDER = ("price_usd", "amount_usd", "currency", "round", "lead", "stake", "status", "date", "role", "former")
_EVIDENCE_KEYS = frozenset({"predicate", "sentence", "doc", "confidence", "start", "end", "subject", "object"})


def _facts(graph: nx.MultiDiGraph) -> list[dict]:
    """One record per (subject, object, predicate) with every piece of evidence, best first.

    Extraction repeats a fact once per supporting sentence; the view draws one edge per fact and
    lists the sentences.  Evidence is ordered by confidence, then document and sentence, so the
    result never depends on insertion order.  Attributes (price, date, role, former, status...)
    of the fact are taken, per attribute, from the best evidence that has it; a fact is "former"
    only when every piece of evidence says so.
    """
    grouped: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for u, v, data in graph.edges(data=True):
        grouped[(u, v, str(data.get("predicate") or "relatedTo"))].append(data)
    out = []
    for (u, v, p) in sorted(grouped):
        evidence = []
        for data in grouped[(u, v, p)]:
            confidence = float(data.get("confidence", 0.0) or 0.0)
            if math.isnan(confidence):
                raise ValueError(f"confidence of {u} {p} {v} is not a number")
            extra = {k: data[k] for k in data if k not in _EVIDENCE_KEYS and data[k] is not None and data[k] != ""}
            evidence.append({"d": str(data.get("doc") or ""), "t": str(data.get("sentence") or ""),
                             "c": round(confidence, 4), "_attrs": extra})
        evidence.sort(key=lambda e: (-e["c"], e["d"], e["t"], json.dumps(e["_attrs"], sort_keys=True, default=str)))
        attrs: dict[str, Any] = {}
        for e in evidence:
            for k, value in e["_attrs"].items():
                if k != "former":
                    attrs.setdefault(k, value)
        former = all(_truthy(e["_attrs"].get("former")) for e in evidence)
        status = str(attrs.get("status") or attrs.get("deal_status") or "").strip().lower()
        for e in evidence:
            e["a"] = _describe(e.pop("_attrs"))
            if not e["a"]:
                del e["a"]
        fact_attrs = dict(attrs, former=former)
        out.append({"s": u, "o": v, "p": p, "c": evidence[0]["c"], "ev": evidence, "former": former,
                    "unfinished": bool(status) and status != "completed",
                    "cap": _describe(fact_attrs),
                    "cap_short": _caption(p, fact_attrs)})
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _money(value: Any, currency: Any = None) -> str:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    for div, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= div:
            text = f"${amount / div:.3g}{unit}"
            break
    else:
        text = f"${amount:.3g}"
    return text


def _attr_parts(attrs: Mapping[str, Any], *, short: bool) -> list[str]:
    parts = []
    keys = [k for k in _ATTR_ORDER if k in attrs] + sorted(k for k in attrs if k not in _ATTR_ORDER)
    for k in keys:
        value = attrs[k]
        if value is None or value == "" or k == "former":
            continue
        if k in _MONEY_KEYS:
            parts.append(_money(value))
        elif k == "currency":
            if str(value).upper() != "USD" and not short:
                parts.append(f"reported in {value}")
        elif k == "lead":
            if _truthy(value):
                parts.append("lead investor" if not short else "lead")
        elif k == "stake":
            parts.append(f"{value} stake")
        elif k in ("status", "deal_status"):
            if str(value).lower() != "completed" or not short:
                parts.append(str(value))
        elif k == "date":
            parts.append(str(value))
        elif k == "role":
            role = str(value) if not short else _short(str(value), 24)
            parts.append(("former " if _truthy(attrs.get("former")) else "") + role)
        elif k == "round":
            parts.append(str(value))
        elif not short:
            parts.append(f"{k.replace('_', ' ')}: {value}")
    if _truthy(attrs.get("former")) and "role" not in attrs:
        parts.append("former")
    return parts


def _describe(attrs: Mapping[str, Any]) -> str:
    """'$19B · 2014', 'former CTO', '$14.3B · Series B · lead investor': the attributes, for people."""
    return " \u00b7 ".join(_attr_parts(attrs, short=False))


def _caption(predicate: str, attrs: Mapping[str, Any]) -> str:
    """The edge label: the relation, and for deals the money and year, for roles past or present."""
    parts = _attr_parts({k: v for k, v in attrs.items() if k in _ATTR_ORDER and k != "currency"}, short=True)
    return " \u00b7 ".join([predicate] + parts)


def _neighbours(graph: nx.MultiDiGraph, facts: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for f in facts:
        if f["s"] != f["o"]:
            out[f["s"]].add(f["o"])
            out[f["o"]].add(f["s"])
    return out


def _bfs_levels(graph, neighbours) -> dict[str, int]:
    levels: dict[str, int] = {}
    for start in sorted(graph.nodes):
        if start in levels:
            continue
        levels[start] = 0
        frontier = [start]
        while frontier:
            nxt = []
            for n in frontier:
                for m in sorted(neighbours[n]):
                    if m not in levels:
                        levels[m] = levels[n] + 1
                        nxt.append(m)
            frontier = nxt
    return levels


# ================================================================================== styles
def _node_size(degree: int, marked: bool) -> float:
    size = 7.0 + 4.5 * math.sqrt(degree) if degree else 6.0
    size = min(size, 36.0)
    if marked:
        size = min(size * 1.25, 40.0)
    return round(size, 1)


def _label_font(degree: int, marked: bool) -> int:
    font = _FONT + min(6.0, 1.2 * math.sqrt(max(degree - 2, 0)))
    if marked:
        font += 2
    return int(round(font))


def _predicate_colour(predicate: str) -> str:
    if predicate in PREDICATE_COLOURS:
        return PREDICATE_COLOURS[predicate]
    return _EDGE_PALETTE[sum(predicate.encode("utf-8")) % len(_EDGE_PALETTE)]


def _wrap(label: str, width: int = 22) -> str:
    """Long labels on two lines, broken at the space nearest the middle."""
    if len(label) <= width or " " not in label:
        return label
    middle = len(label) / 2
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: (abs(i - middle), i))
    return label[:cut] + "\n" + label[cut + 1:]


def _text(text: str) -> str:
    """Text for HTML: escaped, and the Unicode line and paragraph separators as references."""
    return html.escape(text, quote=True).replace("\u2028", "&#8232;").replace("\u2029", "&#8233;")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _node_tooltip(label: str, etype: str, attrs: dict, degree: int) -> str:
    lines = [label, f"Type: {etype}"]
    if attrs.get("aliases"):
        lines.append("Aliases: " + ", ".join(attrs["aliases"]))
    if attrs.get("wikidata"):
        lines.append(f"Wikidata: {attrs['wikidata']}")
    lines.append(f"{degree} neighbour{'' if degree == 1 else 's'} \u00b7 click for its facts")
    return "\n".join(lines)


def _edge_tooltip(subject: str, obj: str, fact: dict) -> str:
    best = fact["ev"][0]
    lines = [f"{subject} {fact['p']} {obj}"]
    if fact["cap"]:
        lines.append(fact["cap"])
    n = len(fact["ev"])
    lines.append(f"confidence {fact['c']:.2f}" + (f" (best of {n} sentences)" if n > 1 else ""))
    if best["d"]:
        lines.append(f"doc: {best['d']}")
    if best["t"]:
        lines.append(f"\u201c{best['t']}\u201d")
    if n > 1:
        lines.append("click for every sentence")
    return "\n".join(lines)


def _document_options(doc_facts: Counter[str], titles: Mapping[str, str]) -> str:
    items = []
    for d in sorted(doc_facts):
        text = d + (" \u00b7 " + str(titles[d]) if d in titles else "")
        items.append(f'<option value="{_text(d)}" title="{_text(text)}">'
                     f"{_text(_short(text, 60))} ({doc_facts[d]})</option>\n")
    return "".join(items)


def _glyph(shape: str, colour: str) -> str:
    return f'<span class="glyph" style="color:{colour}">{_GLYPH.get(shape, _GLYPH["dot"])}</span>'


def _type_filter(type_counts: Counter[str]) -> str:
    """Checkbox per type present (the legend too); only escaped text comes from the graph."""
    items = []
    for etype in sorted(type_counts):
        style = TYPE_STYLE.get(etype, _DEFAULT_STYLE)
        items.append(f'<li><label><input type="checkbox" value="{_text(etype)}" checked>'
                     f'{_glyph(style["shape"], style["color"])}{_text(etype)} '
                     f'<span class="count">({type_counts[etype]})</span></label></li>\n')
    return "".join(items)


def _relation_filter(counts: Counter[str], facts: list[dict]) -> str:
    items = []
    former = sum(1 for f in facts if f["former"])
    unfinished = sum(1 for f in facts if f["unfinished"])
    for p in sorted(counts):
        items.append(f'<li><label><input type="checkbox" value="{_text(p)}" checked>'
                     f'<span class="line" style="border-color:{_predicate_colour(p)}"></span>{_text(p)} '
                     f'<span class="count">({counts[p]})</span></label></li>\n')
    if former:
        items.append(f'<li class="muted"><span class="line dashed" style="border-color:#8a8a8a"></span>'
                     f'dashed: former role ({former})</li>\n')
    if unfinished:
        items.append(f'<li class="muted"><span class="line dashed" style="border-color:#b5651d"></span>'
                     f'dotted: deal not completed ({unfinished})</li>\n')
    if not counts:
        items.append('<li class="muted">none</li>\n')
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
        items.append(f'<li><span class="glyph" style="color:{colours[group]}">\u25cf</span>'
                     f"{_text(group)} ({group_counts[group]})</li>\n")
    items.append("<li>shape: entity type</li>\n")
    return f'<fieldset id="groups"><legend>Colour: groups</legend>\n<ul>\n{"".join(items)}</ul>\n</fieldset>\n'


def _options(node_count: int, *, physics: bool, edge_labels: bool) -> dict:
    """vis-network options: positions come from the page, so no layout or stabilisation runs."""
    large = node_count > _LARGE_GRAPH
    font = {"face": _FONT_FACE, "color": "#1d1d1d", "strokeWidth": 3, "strokeColor": "#ffffff"}
    options: dict[str, Any] = {
        "autoResize": True,
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 200, "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        "nodes": {"borderWidth": 1, "font": dict(font, size=_FONT),
                  "scaling": {"label": {"drawThreshold": _HIDE_BELOW, "maxVisible": 30}}},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
                  "font": dict(font, size=_EDGE_FONT if edge_labels else 0, align="middle", color="#333333",
                               background="rgba(255,255,255,0.85)", strokeWidth=0),
                  "selectionWidth": 1.5, "hoverWidth": 1},
        "physics": {"enabled": physics, "solver": "barnesHut", "stabilization": {"enabled": False},
                    "barnesHut": {"gravitationalConstant": -4000, "springLength": 140, "springConstant": 0.02,
                                  "avoidOverlap": 0.2, "damping": 0.3, "theta": 0.8 if large else 0.5}},
    }
    return options


def _script_json(value: Any) -> str:
    """JSON that is also safe to place verbatim inside an HTML <script> block."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_SAFE)


@lru_cache(maxsize=2)
def _vis_bundle(template_dir: str | None = None) -> tuple[str, str]:
    """The vis-network JS and CSS shipped with pyvis (in *template_dir*, by default pyvis's
    templates folder), read once per process."""
    if template_dir is None:
        import pyvis

        template_dir = str(Path(pyvis.__file__).resolve().parent / "templates")
    lib = Path(template_dir) / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    # An end tag inside the bundle would cut the inline block short; pyvis
    # upgrades could change the bundle, so fail loudly rather than render junk.
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError(f"vis-network bundle in {lib} cannot be inlined safely")
    return js, css


# ================================================================================== layout
def text_width(text: str, font: float) -> float:
    """Estimated width in pixels of one line of *text* drawn at *font* px in Arial."""
    units = 0.0
    for ch in text:
        w = _ARIAL.get(ch)
        if w is None:
            w = 1000 if ord(ch) >= 0x2E80 else 600  # CJK and the like are full width
        units += w
    return units / 1000.0 * font * _WIDTH_SLACK


def _label_box(label: str, font: float) -> tuple[float, float]:
    lines = label.split("\n")
    return max(text_width(line, font) for line in lines), len(lines) * font * 1.0


def layout(graph: nx.MultiDiGraph, *, sizes: Mapping[str, float] | None = None,
           fonts: Mapping[str, int] | None = None, levels: Mapping[str, int] | None = None,
           center: str | None = None, neighbours: Mapping[str, set] | None = None,
           isolated: Iterable[str] | None = None, names: Mapping[str, str] | None = None,
           edge_captions: Iterable[str] = ()) -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """Positions (canvas pixels) for every node of *graph*, and the label font of each.

    Deterministic: nodes are taken in sorted order and every random start has a fixed seed.
    * ``levels``: columns left to right by level, each column sorted by name (a path view).
    * ``center``: rings around that node, one per hop (neighbours grouped by relation, those
      linked to one another side by side).
    * otherwise each connected component by Fruchterman-Reingold (seed 42), community by
      community when it is big; components packed in rows, largest first; entities without
      relations in a block to the right.
    Then nodes are moved, hubs first, to the nearest spot where their node-and-label box overlaps
    no other (a greedy placement on an 8-pixel grid), so no two labels overlap at any zoom.
    (When a graph is too big for its labels to be legible at the zoom that fits it, the page
    itself enlarges the labels of the best-connected entities that fit without overlap, and
    hides the others until the user zooms in.)
    """
    ids = sorted(graph.nodes)
    if not ids:
        return {}, {}
    if neighbours is None:
        neighbours = _neighbours(graph, _facts(graph))
    degree = {n: len(neighbours[n]) for n in ids}
    sizes = dict(sizes) if sizes is not None else {n: _node_size(degree[n], False) for n in ids}
    fonts = dict(fonts) if fonts is not None else {n: _label_font(degree[n], False) for n in ids}
    names = dict(names) if names is not None else {n: str(graph.nodes[n].get("label") or n) for n in ids}
    isolated = set(isolated) if isolated is not None else {n for n in ids if degree[n] == 0 and n != center}
    index = {n: i for i, n in enumerate(ids)}

    def boxes(font_of: Mapping[str, float]) -> np.ndarray:
        """Per node: left, right, top, bottom of node plus label, relative to its position."""
        out = np.zeros((len(ids), 4))
        for i, n in enumerate(ids):
            w, h = _label_box(_wrap(names[n]), font_of[n])
            r = sizes[n] + 1.0
            half = max(r, w / 2)
            # vis-network puts an outside label's box at y + size + font/2 + 4 (Label.calculateLabelSize).
            out[i] = (-half - _PAD, half + _PAD, -r - _PAD, sizes[n] + font_of[n] / 2 + 4 + h + _PAD)
        return out

    box = boxes(fonts)
    pos = np.zeros((len(ids), 2))
    main = [n for n in ids if n not in isolated]
    # Who keeps its place when two boxes want the same spot: the centre, then by neighbours.
    order = sorted(ids, key=lambda n: (n != center, -degree[n], names[n].casefold(), n))
    rank = np.zeros(len(ids), dtype=int)
    for r, n in enumerate(order):
        rank[index[n]] = r
    if levels is not None:
        _columns(main, levels, names, box, index, pos, list(edge_captions))
    elif center is not None:
        _rings(main, center, neighbours, graph, names, box, index, pos)
    else:
        _components(main, neighbours, box, index, pos, rank)
    main_idx = np.array([index[n] for n in main], dtype=int)
    if len(main_idx):
        _place(pos, box, main_idx, rank)
        if center is not None:
            _untangle(pos, box, main_idx, rank, _links(main, neighbours, index))

    if isolated:
        _aside(sorted(isolated, key=lambda n: (str(graph.nodes[n].get("type") or ""), names[n].casefold(), n)),
               box, index, pos, main_idx)
    # Whole pixels: vis-network keeps a node's position as an integer (it would truncate).
    out = {n: (int(round(float(pos[index[n], 0]))), int(round(float(pos[index[n], 1])))) for n in ids}
    return out, fonts


def _compact(pos: np.ndarray, box: np.ndarray, idx: np.ndarray, rank: np.ndarray) -> None:
    """Shrink a component about its hub and place it again while that makes it smaller (by 3%
    or more, up to eight times): force layouts leave room to spare at the rim, and a hub's ring
    stretches every edge of its component, which would cost zoom (label size) at fit."""
    def area(xy: np.ndarray) -> float:
        return float(np.ptp(xy[:, 0] + 0.0) + 200) * float(np.ptp(xy[:, 1]) + 100)

    if len(idx) > _DIRECT_LAYOUT:
        return
    hub = idx[int(np.argmin(rank[idx]))]
    for _ in range(8):
        trial = pos.copy()
        trial[idx] = pos[hub] + (pos[idx] - pos[hub]) * 0.85
        _place(trial, box, idx, rank)
        if area(trial[idx]) > 0.97 * area(pos[idx]):
            return
        pos[idx] = trial[idx]


def _fit_scale(pos: np.ndarray, box: np.ndarray) -> float:
    """The zoom vis-network's fit() will choose on the planned canvas (capped at 1)."""
    left = (pos[:, 0] + box[:, 0]).min()
    right = (pos[:, 0] + box[:, 1]).max()
    top = (pos[:, 1] + box[:, 2]).min()
    bottom = (pos[:, 1] + box[:, 3]).max()
    width, height = max(right - left, 1.0) * _FIT_MARGIN, max(bottom - top, 1.0) * _FIT_MARGIN
    return min(1.0, _CANVAS[0] / width, _CANVAS[1] / height)


def _spring(nodes: list[str], neighbours: Mapping[str, set], box: np.ndarray, index: Mapping[str, int],
            hubs: bool = True) -> np.ndarray:
    """Fruchterman-Reingold (fixed seed) for one small connected set, scaled to canvas pixels.

    ``hubs``: scale up until the busiest node has room around it for its neighbours' labels
    (off inside a big component, where that would spread every community over the canvas)."""
    n = len(nodes)
    if n == 1:
        return np.zeros((1, 2))
    widths = np.array([box[index[m], 1] - box[index[m], 0] for m in nodes])
    if n == 2:
        gap = widths.sum() / 2 + 50
        return np.array([[-gap / 2, 0.0], [gap / 2, 0.0]])
    H = nx.Graph()
    H.add_nodes_from(nodes)
    member = set(nodes)
    H.add_edges_from(sorted((a, b) for a in nodes for b in neighbours[a] if b in member and a < b))
    raw = nx.spring_layout(H, seed=_SEED, iterations=100 if n <= 150 else 50, method="force")
    xy = np.array([raw[m] for m in nodes], dtype=float)
    at = {m: i for i, m in enumerate(nodes)}
    ends = np.array([(at[a], at[b]) for a, b in H.edges], dtype=int).reshape(-1, 2)
    lengths = np.sqrt(((xy[ends[:, 0]] - xy[ends[:, 1]]) ** 2).sum(axis=1))
    median = float(np.median(lengths)) if len(lengths) else 1.0
    target = max(110.0, 0.9 * float(np.median(widths))) / max(median, 1e-6)
    # A hub needs room around it for its neighbours' labels: a ring whose circumference holds
    # most of their widths.  The scale that gives the most demanding hub that room (within
    # reason) is the scale of the whole component.
    incident: dict[int, list[int]] = defaultdict(list)
    for e, (a, b) in enumerate(ends):
        incident[int(a)].append(e)
        incident[int(b)].append(e)
    for m, edges_of in incident.items():
        if len(edges_of) < 4 or not hubs:
            continue
        others = [int(ends[e, 1] if ends[e, 0] == m else ends[e, 0]) for e in edges_of]
        ring = 0.75 * float(widths[others].sum()) / (2 * math.pi)
        have = float(np.median(lengths[edges_of]))
        target = max(target, min(ring / max(have, 1e-6), 3.0 * target))
    if not hubs:  # inside a big component: as tight as the labels allow, about half the area ink
        area = float(((box[[index[m] for m in nodes], 1] - box[[index[m] for m in nodes], 0]) *
                      (box[[index[m] for m in nodes], 3] - box[[index[m] for m in nodes], 2])).sum())
        span = float(np.ptp(xy, axis=0).prod())
        target = math.sqrt(2.0 * area / 1.25 / max(span, 1e-9))
    xy *= target
    xy[:, 0] *= 1.25  # labels are wide: give them room across
    return xy


def _components(main: list[str], neighbours, box, index, pos, rank) -> None:
    """Each connected component laid out on its own, then packed in rows (largest first)."""
    member = set(main)
    seen: set[str] = set()
    comps: list[list[str]] = []
    for n in main:
        if n in seen:
            continue
        comp, stack = [], [n]
        seen.add(n)
        while stack:
            m = stack.pop()
            comp.append(m)
            for k in neighbours[m]:
                if k in member and k not in seen:
                    seen.add(k)
                    stack.append(k)
        comps.append(sorted(comp))
    comps.sort(key=lambda c: (-len(c), c[0]))
    placed = []
    for comp in comps:
        xy = _spring(comp, neighbours, box, index) if len(comp) <= _DIRECT_LAYOUT else \
            _by_community(comp, neighbours, box, index)
        idx = np.array([index[m] for m in comp], dtype=int)
        pos[idx] = xy
        if len(comp) > 2:
            _place(pos, box, idx, rank)
            _compact(pos, box, idx, rank)
            _untangle(pos, box, idx, rank, _links(comp, neighbours, index))
        placed.append(idx)
    _pack(placed, pos, box)


def _by_community(comp: list[str], neighbours, box, index) -> np.ndarray:
    """A big component: Louvain communities (seed 42) each laid out alone, then placed where a
    layout of the community graph puts them, spread until their discs do not overlap."""
    H = nx.Graph()
    H.add_nodes_from(comp)
    member = set(comp)
    H.add_edges_from(sorted((a, b) for a in comp for b in neighbours[a] if b in member and a < b))
    groups = [sorted(g) for g in nx.community.louvain_communities(H, seed=_SEED)]
    groups.sort(key=lambda g: (-len(g), g[0]))
    local = {}
    radius = []
    for gi, g in enumerate(groups):
        xy = _spring(g, neighbours, box, index, hubs=False) if len(g) <= _DIRECT_LAYOUT else \
            _grid(len(g), box, [index[m] for m in g])
        xy -= xy.mean(axis=0)
        local[gi] = xy
        # The disc that holds most of it: outliers may reach into a neighbour, placement sorts them out.
        radius.append(1.15 * float(np.sqrt((xy ** 2).sum(axis=1).mean())) + 40.0)
    of = {m: gi for gi, g in enumerate(groups) for m in g}
    C = nx.Graph()
    C.add_nodes_from(range(len(groups)))
    weights: Counter = Counter()
    for a, b in H.edges:
        ga, gb = of[a], of[b]
        if ga != gb:
            weights[(min(ga, gb), max(ga, gb))] += 1
    C.add_weighted_edges_from((a, b, w) for (a, b), w in sorted(weights.items()))
    raw = nx.spring_layout(C, seed=_SEED, iterations=100, method="force", weight="weight")
    centres = np.array([raw[g] for g in range(len(groups))], dtype=float)
    r = np.array(radius)
    if len(groups) > 1:  # start with neighbouring discs about touching, then push apart
        d = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)) + np.eye(len(groups)) * 1e9
        centres *= 2 * float(np.median(r)) / max(float(np.median(d.min(axis=1))), 1e-6)
    for _ in range(300):  # push overlapping discs apart
        d = centres[:, None, :] - centres[None, :, :]
        dist = np.sqrt((d ** 2).sum(axis=2)) + np.eye(len(groups))
        need = r[:, None] + r[None, :]
        over = np.clip(need - dist, 0, None)
        np.fill_diagonal(over, 0)
        if not over.any():
            break
        push = (d / dist[:, :, None]) * (over / 2)[:, :, None]
        centres += push.sum(axis=1) * 1.05
    out = np.zeros((len(comp), 2))
    at = {m: i for i, m in enumerate(comp)}
    for gi, g in enumerate(groups):
        for j, m in enumerate(g):
            out[at[m]] = centres[gi] + local[gi][j]
    return out


def _grid(n: int, box: np.ndarray, idx: list[int]) -> np.ndarray:
    w = float((box[idx, 1] - box[idx, 0]).max())
    h = float((box[idx, 3] - box[idx, 2]).max())
    cols = max(1, int(math.ceil(math.sqrt(n * h / w * 1.3))))
    return np.array([[(k % cols) * w, (k // cols) * h] for k in range(n)], dtype=float)


def _pack(placed: list[np.ndarray], pos: np.ndarray, box: np.ndarray) -> None:
    """Shelf packing of components (largest first), shaped to fill the planned canvas."""
    if not placed:
        return
    rects = []
    for idx in placed:
        left = (pos[idx, 0] + box[idx, 0]).min()
        right = (pos[idx, 0] + box[idx, 1]).max()
        top = (pos[idx, 1] + box[idx, 2]).min()
        bottom = (pos[idx, 1] + box[idx, 3]).max()
        rects.append((left, right, top, bottom))

    def shelves(items: list[tuple], row_width: float) -> tuple[list[tuple[float, float]], float, float]:
        """Top-left corners of *items* packed in rows of at most *row_width*; total width, height."""
        corners, x, y, row_height, width = [], 0.0, 0.0, 0.0, 0.0
        for left, right, top, bottom in items:
            w, h = right - left, bottom - top
            if x > 0 and x + w > row_width:
                x, y, row_height = 0.0, y + row_height + _GAP, 0.0
            corners.append((x, y))
            width = max(width, x + w)
            x += w + _GAP
            row_height = max(row_height, h)
        return corners, width, y + row_height

    def zoom(width: float, height: float) -> float:
        return min(_CANVAS[0] / (width * _FIT_MARGIN), _CANVAS[1] / (height * _FIT_MARGIN))

    def row_widths(items: list[tuple]) -> list[float]:
        widths = [r - l for l, r, _, _ in items]
        found = sorted({sum(widths[:k]) + _GAP * (k - 1) for k in range(1, len(widths) + 1)} | {max(widths)})
        return found if len(found) <= 40 else [found[round(i * (len(found) - 1) / 39)] for i in range(40)]

    # Rows under one another, at every row width where the packing changes; or the largest
    # component on the left and the others in rows beside it.  The arrangement that lets the
    # picture fill the canvas best wins (ties: the first).
    options = []
    for w in row_widths(rects):
        corners, width, height = shelves(rects, w)
        options.append((zoom(width, height), corners))
    if len(rects) > 1:
        first_w, first_h = rects[0][1] - rects[0][0], rects[0][3] - rects[0][2]
        for w in row_widths(rects[1:]):
            corners, width, height = shelves(rects[1:], w)
            shifted = [(0.0, 0.0)] + [(first_w + _GAP + x, y) for x, y in corners]
            options.append((zoom(first_w + _GAP + width, max(first_h, height)), shifted))
    best = max(range(len(options)), key=lambda k: (options[k][0], -k))
    for idx, (left, _, top, _), (x, y) in zip(placed, rects, options[best][1]):
        pos[idx, 0] += x - left
        pos[idx, 1] += y - top


def _aside(isolated: list[str], box, index, pos, main_idx) -> None:
    """Entities without relations: a grid to the right of the rest, by type and name."""
    idx = np.array([index[n] for n in isolated], dtype=int)
    w = float((box[idx, 1] - box[idx, 0]).max())
    h = float((box[idx, 3] - box[idx, 2]).max())
    if len(main_idx):
        left = (pos[main_idx, 0] + box[main_idx, 1]).max() + 2 * _GAP
        top = (pos[main_idx, 1] + box[main_idx, 2]).min()
        height = (pos[main_idx, 1] + box[main_idx, 3]).max() - top
    else:
        left, top, height = 0.0, 0.0, math.sqrt(len(idx)) * h
    rows = max(1, int(height // h))
    for k, i in enumerate(idx):
        col, row = divmod(k, rows)
        pos[i, 0] = left + col * w - box[i, 0]
        pos[i, 1] = top + row * h - box[i, 2]


def _columns(main, levels, names, box, index, pos, captions) -> None:
    """Left to right by level (a path view); each column sorted by name, centred vertically."""
    columns: dict[int, list[str]] = defaultdict(list)
    last = max((int(levels[n]) for n in main if n in levels), default=0)
    for n in main:
        columns[int(levels[n]) if n in levels else last + 1].append(n)
    caption = max((text_width(c, _EDGE_FONT) for c in captions), default=0.0)
    x = 0.0
    prev_half = None
    for level in sorted(columns):
        col = sorted(columns[level], key=lambda n: (names[n].casefold(), n))
        half = max((box[index[n], 1] for n in col), default=0.0)
        if prev_half is not None:
            x += prev_half + half + max(80.0, caption + 70.0)
        pitch = max(box[index[n], 3] - box[index[n], 2] for n in col) + 20.0
        for k, n in enumerate(col):  # node centres on one line through the middle
            pos[index[n]] = (x, (k - (len(col) - 1) / 2) * pitch)
        prev_half = half


def _rings(main, center, neighbours, graph, names, box, index, pos) -> None:
    """An ego network: the centre, then one ring per hop.  Around the centre, neighbours linked
    to one another sit side by side, the others grouped by relation; further out, each entity
    near the neighbour it hangs from."""
    hop = {center: 0}
    frontier = [center]
    member = set(main)
    while frontier:
        nxt = []
        for n in frontier:
            for m in sorted(neighbours[n]):
                if m in member and m not in hop:
                    hop[m] = hop[n] + 1
                    nxt.append(m)
        frontier = nxt
    for n in main:
        hop.setdefault(n, max(hop.values()) + 1)

    def relation(n: str) -> str:
        preds = sorted({str(d.get("predicate") or "") for d in (graph.get_edge_data(n, center) or {}).values()}
                       | {str(d.get("predicate") or "") for d in (graph.get_edge_data(center, n) or {}).values()})
        return preds[0] if preds else "~"

    angle: dict[str, float] = {center: 0.0}
    pos[index[center]] = (0.0, 0.0)
    radius = 0.0
    for ring in range(1, max(hop.values()) + 1):
        members = [n for n in main if hop[n] == ring]
        if ring == 1:
            members.sort(key=lambda n: (relation(n), names[n].casefold(), n))
            members = _ring_order(members, neighbours, relation, names)
        else:
            def parent_angle(n: str) -> float:
                parents = [angle[m] for m in neighbours[n] if hop.get(m) == ring - 1 and m in angle]
                return min(parents) if parents else 0.0
            members.sort(key=lambda n: (parent_angle(n), names[n].casefold(), n))
        if not members:
            continue
        widths = [box[index[n], 1] - box[index[n], 0] for n in members]
        heights = [box[index[n], 3] - box[index[n], 2] for n in members]
        # Room around the ellipse (x radius 1.6 times the y radius) for every box, side by side.
        needed = sum(widths) * 0.7 + sum(heights) * 0.5
        inner = box[index[center], 1] * 1.2 if ring == 1 else 0.0
        radius = max(radius + 170.0, inner + 120.0, needed / (2 * math.pi * 1.3))
        for k, n in enumerate(members):
            a = -math.pi / 2 + 2 * math.pi * (k + 0.5) / len(members)
            angle[n] = a
            pos[index[n]] = (1.6 * radius * math.cos(a), radius * math.sin(a))


_CELL = 8.0
_RANKS: dict[int, np.ndarray] = {}


def _nearest_first(radius: int) -> np.ndarray:
    """(2r+1, 2r+1) array: the search order of each offset from the centre, nearest first
    (ties in a fixed order); offsets beyond *radius* never come first."""
    if radius not in _RANKS:
        r = np.arange(-radius, radius + 1)
        dx, dy = np.meshgrid(r, r)
        d2 = (dx * dx + dy * dy).ravel()
        order = np.lexsort((dx.ravel(), dy.ravel(), d2))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        rank[d2 > radius * radius] = np.iinfo(np.int64).max
        _RANKS[radius] = rank.reshape(2 * radius + 1, 2 * radius + 1)
    return _RANKS[radius]


def _free_spots(occupied: np.ndarray, cx: int, cy: int, w: int, h: int, radius: int,
                limit: int = 1) -> list[tuple[int, int]]:
    """Up to *limit* free w x h spots (top-left cells) nearest to (cx, cy) within *radius*.

    One summed-area table over the window around the wanted spot gives the number of occupied
    cells under every candidate position at once."""
    x0, y0 = cx - radius, cy - radius
    if x0 < 0 or y0 < 0:
        return []
    window = occupied[y0:y0 + 2 * radius + h, x0:x0 + 2 * radius + w]
    n = 2 * radius + 1
    if window.shape != (n - 1 + h, n - 1 + w):
        return []
    table = np.zeros((window.shape[0] + 1, window.shape[1] + 1), dtype=np.int32)
    np.cumsum(np.cumsum(window, axis=0, dtype=np.int32), axis=1, out=table[1:, 1:])
    under = table[h:h + n, w:w + n] - table[:n, w:w + n] - table[h:h + n, :n] + table[:n, :n]
    never = np.iinfo(np.int64).max
    rank = np.where(under == 0, _nearest_first(radius), never).ravel()
    if limit == 1:
        best = [int(rank.argmin())]
    else:
        k = min(limit, rank.size)
        best = np.argpartition(rank, k - 1)[:k]
        best = best[np.argsort(rank[best], kind="stable")].tolist()
    out = []
    for b in best:
        if rank[b] == never:
            break
        dy, dx = divmod(int(b), n)
        out.append((x0 + dx, y0 + dy))
    return out


def _free_spot(occupied: np.ndarray, cx: int, cy: int, w: int, h: int, radius: int) -> tuple[int, int] | None:
    found = _free_spots(occupied, cx, cy, w, h, radius)
    return found[0] if found else None


def _crossed(segments: np.ndarray, left, right, top, bottom) -> np.ndarray:
    """Which segments (rows x0, y0, x1, y1) pass through the box (a slab test, vectorised)."""
    x0, y0, x1, y1 = segments.T
    dx, dy = x1 - x0, y1 - y0
    lo, hi = np.zeros(len(segments)), np.ones(len(segments))
    inside = np.ones(len(segments), dtype=bool)
    for d, start, a, b in ((dx, x0, left, right), (dy, y0, top, bottom)):
        flat = np.abs(d) < 1e-12
        inside &= ~flat | ((start > a) & (start < b))
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (a - start) / d, (b - start) / d
        lo = np.where(flat, lo, np.maximum(lo, np.minimum(t1, t2)))
        hi = np.where(flat, hi, np.minimum(hi, np.maximum(t1, t2)))
    return inside & (lo < hi)


def _links(nodes: list[str], neighbours, index) -> list[tuple[int, int]]:
    """The connected pairs among *nodes*, as sorted pairs of indices."""
    member = set(nodes)
    return sorted({(min(index[a], index[b]), max(index[a], index[b]))
                   for a in nodes for b in neighbours[a] if b in member and a != b})


def _untangle(pos: np.ndarray, box: np.ndarray, idx: np.ndarray, rank: np.ndarray,
              links: list[tuple[int, int]], tries: int = 120, budget: int = 2500) -> None:
    """Move nodes off edges.  A node that an edge runs through, or whose own edge runs through
    another node, reads as a connection that is not there: such a node goes to the nearest free
    spot where that does not happen, preferring spots where no edge crosses its label either.
    Leaves move first; hubs keep their place.  For graphs of up to 300 nodes (it tests every edge),
    and at most *budget* candidate spots in all, so a dense graph costs no more than a sparse one."""
    if len(idx) < 3 or not links or len(idx) > 300:
        return
    member = {int(i): k for k, i in enumerate(idx)}
    ends = np.array([(member[a], member[b]) for a, b in links], dtype=int)
    incident: dict[int, list[int]] = defaultdict(list)
    for e, (a, b) in enumerate(ends):
        incident[int(a)].append(e)
        incident[int(b)].append(e)
    xy = pos[idx].copy()
    full = box[idx]
    with_label = full + np.array([_PAD, -_PAD, _PAD, -_PAD])  # the drawn content, no spacing
    radius = -full[:, 2] - _PAD
    shape_only = np.stack([-radius, radius, -radius, radius], axis=1)

    def bad(k: int, at: np.ndarray, b: np.ndarray) -> bool:
        others = np.ones(len(ends), dtype=bool)
        others[incident[k]] = False
        if _crossed(np.hstack([xy[ends[others, 0]], xy[ends[others, 1]]]),
                    at[0] + b[k, 0], at[0] + b[k, 1], at[1] + b[k, 2], at[1] + b[k, 3]).any():
            return True
        lefts, rights = xy[:, 0] + b[:, 0], xy[:, 0] + b[:, 1]
        tops, bottoms = xy[:, 1] + b[:, 2], xy[:, 1] + b[:, 3]
        for e in incident[k]:
            other = int(ends[e, 1] if ends[e, 0] == k else ends[e, 0])
            mine = np.tile([at[0], at[1], xy[other, 0], xy[other, 1]], (len(idx), 1))
            hit = _crossed(mine, lefts, rights, tops, bottoms)
            hit[[k, other]] = False
            if hit.any():
                return True
        return False

    # An occupancy grid of every box, as _place builds it, so moves never create an overlap.
    margin = 64 * _CELL
    ox = float((xy[:, 0] + full[:, 0]).min()) - margin
    oy = float((xy[:, 1] + full[:, 2]).min()) - margin
    width = int((float((xy[:, 0] + full[:, 1]).max()) - ox + margin) / _CELL) + 1
    height = int((float((xy[:, 1] + full[:, 3]).max()) - oy + margin) / _CELL) + 1
    occupied = np.zeros((height, width), dtype=np.int16)

    def cells(k: int, at: np.ndarray) -> tuple[slice, slice]:
        x_a = int(math.floor((at[0] + full[k, 0] - ox) / _CELL))
        y_a = int(math.floor((at[1] + full[k, 2] - oy) / _CELL))
        x_b = int(math.ceil((at[0] + full[k, 1] - ox) / _CELL))
        y_b = int(math.ceil((at[1] + full[k, 3] - oy) / _CELL))
        return slice(max(y_a, 0), y_b), slice(max(x_a, 0), x_b)

    for k in range(len(idx)):
        occupied[cells(k, xy[k])] += 1
    for k in sorted(range(len(idx)), key=lambda k: (-rank[idx[k]], idx[k])):
        if budget <= 0:
            break
        if not bad(k, xy[k], with_label):
            continue
        loose_bad = bad(k, xy[k], shape_only)
        occupied[cells(k, xy[k])] -= 1
        w = int(math.ceil((full[k, 1] - full[k, 0]) / _CELL))
        h = int(math.ceil((full[k, 3] - full[k, 2]) / _CELL))
        cx = int(round((xy[k, 0] + full[k, 0] - ox) / _CELL))
        cy = int(round((xy[k, 1] + full[k, 2] - oy) / _CELL))
        fallback = None
        for x, y in _free_spots(occupied > 0, cx, cy, w, h, 40, min(tries, max(budget, 1))):
            budget -= 1
            at = np.array([ox + x * _CELL - full[k, 0], oy + y * _CELL - full[k, 2]])
            if not bad(k, at, with_label):
                xy[k] = at
                break
            if loose_bad and fallback is None and not bad(k, at, shape_only):
                fallback = at
        else:
            if fallback is not None:
                xy[k] = fallback
        occupied[cells(k, xy[k])] += 1
    pos[idx] = xy


def _place(pos: np.ndarray, box: np.ndarray, idx: np.ndarray, rank: np.ndarray) -> None:
    """Move the nodes *idx* so that no two node-and-label boxes overlap (in place, deterministic).

    Greedy placement on a fine grid: nodes are taken by *rank* (hubs first), each put at the free
    spot nearest to where the layout wants it.  The first nodes stay where they are; the others
    move only as far as they must, so the picture keeps its shape, and the result never has an
    overlap (nothing is left to iteration or chance).
    """
    if len(idx) < 2:
        return
    left = pos[idx, 0] + box[idx, 0]
    top = pos[idx, 1] + box[idx, 2]
    wide = np.ceil((box[idx, 1] - box[idx, 0]) / _CELL).astype(int)
    high = np.ceil((box[idx, 3] - box[idx, 2]) / _CELL).astype(int)
    radii = (32, 128, 512)
    far = radii[-1]
    margin = (far + int(wide.max()) + int(high.max()) + 2) * _CELL
    ox, oy = float(left.min()) - margin, float(top.min()) - margin
    width = int((float((pos[idx, 0] + box[idx, 1]).max()) - ox + margin) / _CELL) + 1
    height = int((float((pos[idx, 1] + box[idx, 3]).max()) - oy + margin) / _CELL) + 1
    occupied = np.zeros((height, width), dtype=bool)
    for k in sorted(range(len(idx)), key=lambda k: (rank[idx[k]], idx[k])):
        i, w, h = idx[k], int(wide[k]), int(high[k])
        # Where the layout wants it, if free: exactly there (marking every cell the box touches).
        x_a, y_a = int(math.floor((left[k] - ox) / _CELL)), int(math.floor((top[k] - oy) / _CELL))
        x_b = int(math.ceil((left[k] + box[i, 1] - box[i, 0] - ox) / _CELL))
        y_b = int(math.ceil((top[k] + box[i, 3] - box[i, 2] - oy) / _CELL))
        if not occupied[y_a:y_b, x_a:x_b].any():
            occupied[y_a:y_b, x_a:x_b] = True
            continue
        cx = int(round((left[k] - ox) / _CELL))
        cy = int(round((top[k] - oy) / _CELL))
        spot = None
        for radius in radii:
            spot = _free_spot(occupied, cx, cy, w, h, radius)
            if spot is not None:
                break
        if spot is None:  # crowded all around: below everything placed so far
            rows = np.flatnonzero(occupied.any(axis=1))
            y = int(rows.max()) + 2 if len(rows) else 0
            if y + h + far + 1 > height:
                grow = y + h + far + 1 - height
                occupied = np.vstack([occupied, np.zeros((grow, width), dtype=bool)])
                height += grow
            spot = (cx, y)
        x, y = spot
        occupied[y:y + h, x:x + w] = True
        pos[i, 0] = ox + x * _CELL - box[i, 0]
        pos[i, 1] = oy + y * _CELL - box[i, 2]


def _ring_order(members: list[str], neighbours, relation, names) -> list[str]:
    """The order around the first ring: neighbours grouped by their relation to the centre, except
    that neighbours linked to one another form a block, laid out along a line (the main axis of a
    small force layout of the block), so their edges run between adjacent nodes."""
    member = set(members)
    seen: set[str] = set()
    blocks: list[list[str]] = []
    for n in members:  # already sorted by relation, name
        if n in seen:
            continue
        block, stack = [], [n]
        seen.add(n)
        while stack:
            m = stack.pop()
            block.append(m)
            for k in sorted(neighbours[m]):
                if k in member and k not in seen:
                    seen.add(k)
                    stack.append(k)
        block.sort(key=lambda m: (relation(m), names[m].casefold(), m))
        if len(block) > 2:
            H = nx.Graph()
            H.add_nodes_from(block)
            H.add_edges_from((a, b) for a in block for b in sorted(neighbours[a]) if b in set(block) and a < b)
            raw = nx.spring_layout(H, seed=_SEED, iterations=100, method="force")
            xy = np.array([raw[m] for m in block])
            xy -= xy.mean(axis=0)
            axis = np.linalg.svd(xy, full_matrices=False)[2][0]
            if axis[np.argmax(np.abs(axis))] < 0:
                axis = -axis
            along = xy @ axis
            block = [m for _, m in sorted(zip(np.round(along, 9).tolist(), block))]
        blocks.append(block)
    blocks.sort(key=lambda b: (min(relation(m) for m in b), -len(b), min(names[m].casefold() for m in b)))
    return [m for b in blocks for m in b]


def _overlapping(xy: np.ndarray, b: np.ndarray):
    """Pairs (a, b) of overlapping boxes with their overlap along x and y."""
    left = xy[:, 0] + b[:, 0]
    right = xy[:, 0] + b[:, 1]
    top = xy[:, 1] + b[:, 2]
    bottom = xy[:, 1] + b[:, 3]
    n = len(xy)
    order = np.lexsort((np.arange(n), left))
    ls, rs = left[order], right[order]
    ends = np.searchsorted(ls, rs, side="left")
    counts = np.maximum(ends - np.arange(n) - 1, 0)
    total = int(counts.sum())
    if total == 0:
        return (np.zeros(0, dtype=int),) * 2 + (np.zeros(0),) * 2
    first = np.repeat(np.arange(n), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    a = order[first]
    c = order[first + 1 + offset]
    ox = np.minimum(right[a], right[c]) - np.maximum(left[a], left[c])
    oy = np.minimum(bottom[a], bottom[c]) - np.maximum(top[a], top[c])
    hit = (ox > 1e-9) & (oy > 1e-9)
    return a[hit], c[hit], ox[hit], oy[hit]
