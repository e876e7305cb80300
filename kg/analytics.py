"""Graph analytics on the networkx projection of a techkg graph (`kg.query.to_networkx`).

Used by the views (`kg view`, `kg show`, `kg path`, `kg build`'s graph.html) and by
notebooks/explore.ipynb.  Every function takes the projection, a ``MultiDiGraph`` whose nodes
are entity IRIs (attributes ``label``, ``type``, ``aliases``, ``wikidata``) and whose edges are
one per (fact, evidence) with ``predicate``, ``confidence``, ``sentence`` and ``doc``.

Direction in the projection is a naming convention of the vocabulary ("Meta acquired
Instagram", "FAIR parentOrganization Meta"), so paths, ego networks, centrality and
communities are computed on the *undirected* structure.  Following DESIGN.md §3 that is an
undirected *view* (``to_undirected(as_view=True)``), never a copy of the whole graph; only
centrality and communities work on a small collapsed graph with one weighted edge per
connected pair, which those algorithms need anyway.

All results are deterministic: ties are broken by label and IRI, Louvain gets a fixed seed.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

__all__ = [
    "DEFAULT_PATH_LIMIT", "DEFAULT_SEED", "DEFAULT_TOP", "KNOWN_TYPES", "ORGANIZATION_TYPES",
    "undirected", "collapse", "degree_centrality", "pagerank", "central_entities", "top_entities",
    "communities", "community_labels", "ego_network", "shortest_paths", "path_edges", "describe_path",
    "paths_subgraph", "typed_neighbours", "expand_types", "filter_graph", "add_fact_details", "sparql_df",
]

#: `kg view` and `kg build` keep this many entities (the most central by PageRank) when a graph
#: has more; a few hundred nodes stay readable and lay out in well under a second in a browser.
DEFAULT_TOP = 300
#: `kg path` shows at most this many shortest paths.
DEFAULT_PATH_LIMIT = 10
#: Seed for Louvain, so the same graph always gives the same communities.
DEFAULT_SEED = 42

#: ontology/techkg.ttl: kg:Organization and its subclasses; asking for "Organization" means all.
ORGANIZATION_TYPES = ("Organization", "Company", "ResearchLab", "University", "Investor")
#: Every entity type of the vocabulary (ontology/techkg.ttl), for checking what a user asks for.
KNOWN_TYPES = ORGANIZATION_TYPES + ("Person", "AIModel", "Product", "Award", "Place")


# ------------------------------------------------------------------------------------------ structure
def undirected(G: nx.MultiDiGraph):
    """A read-only undirected view of *G* (no copy; DESIGN.md §3)."""
    return G.to_undirected(as_view=True) if G.is_directed() else G


def collapse(G: nx.MultiDiGraph, *, directed: bool = False) -> nx.Graph:
    """One edge per connected pair, ``weight`` = number of distinct predicates between them.

    Repeated evidence for one fact counts once: a fact stated in five sentences is still one
    relation.  Self-loops are dropped.  With ``directed=True`` the pair keeps its direction.
    """
    H: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    H.add_nodes_from(sorted(G.nodes))
    facts: set[tuple[str, str, str]] = set()
    for u, v, data in G.edges(data=True):
        if u != v:
            facts.add((u, v, data.get("predicate") or "relatedTo"))
    for u, v, _ in sorted(facts):
        a, b = (u, v) if directed or u <= v else (v, u)
        if H.has_edge(a, b):
            H[a][b]["weight"] += 1
        else:
            H.add_edge(a, b, weight=1)
    return H


def expand_types(types: Iterable[str] | None) -> set[str] | None:
    """Type names as the user wrote them (any case, comma lists allowed) -> the set to keep.

    "Organization" also selects its subclasses; ``None`` or nothing given means every type.
    """
    if not types:
        return None
    known = {t.casefold(): t for t in KNOWN_TYPES}
    out: set[str] = set()
    for item in types:
        for name in str(item).split(","):
            name = name.strip()
            if not name:
                continue
            canonical = known.get(name.casefold(), name)
            out.update(ORGANIZATION_TYPES if canonical == "Organization" else (canonical,))
    return out or None


# ------------------------------------------------------------------------------------------ centrality
def degree_centrality(G: nx.MultiDiGraph) -> dict[str, float]:
    """Distinct neighbours / (n - 1), on the undirected structure."""
    return nx.degree_centrality(collapse(G)) if len(G) > 1 else {n: 0.0 for n in G}


def pagerank(G: nx.MultiDiGraph, *, alpha: float = 0.85, directed: bool = False,
             tol: float = 1.0e-10, max_iter: int = 500) -> dict[str, float]:
    """PageRank by power iteration on the collapsed graph (weights = distinct predicates).

    networkx's ``pagerank`` needs scipy, which techkg does not otherwise use; this is the same
    algorithm (uniform teleport, dangling mass spread uniformly), pure Python, fast enough for
    tens of thousands of nodes.  Undirected by default: see the module docstring.
    Scores sum to 1.
    """
    H = collapse(G, directed=directed)
    n = H.number_of_nodes()
    if n == 0:
        return {}
    nodes = list(H.nodes)
    out_weight = {u: sum(d["weight"] for d in H[u].values()) for u in nodes}
    dangling = [u for u in nodes if out_weight[u] == 0]
    x = dict.fromkeys(nodes, 1.0 / n)
    for _ in range(max_iter):
        last = x
        x = dict.fromkeys(nodes, 0.0)
        base = (1.0 - alpha) / n + alpha * sum(last[u] for u in dangling) / n
        for u in nodes:
            if out_weight[u]:
                share = alpha * last[u] / out_weight[u]
                for v, d in H[u].items():
                    x[v] += share * d["weight"]
        for u in nodes:
            x[u] += base
        if sum(abs(x[u] - last[u]) for u in nodes) < n * tol:
            break
    total = sum(x.values())
    return {u: x[u] / total for u in nodes}


def _rank_key(G: nx.MultiDiGraph, scores: Mapping[str, float], degree: Mapping[str, float]):
    return lambda node: (-round(scores.get(node, 0.0), 12), -degree.get(node, 0.0),
                         str(G.nodes[node].get("label") or node).casefold(), node)


def top_entities(G: nx.MultiDiGraph, n: int | None) -> list[str]:
    """The *n* most central entities by PageRank (ties: degree, label, IRI); all when n is None."""
    scores = pagerank(G)
    degree = degree_centrality(G)
    ranked = sorted(G.nodes, key=_rank_key(G, scores, degree))
    return ranked if n is None else ranked[: max(n, 0)]


def central_entities(G: nx.MultiDiGraph, n: int | None = 10) -> list[dict[str, Any]]:
    """Rows ``{id, label, type, degree, pagerank}`` for the *n* most central entities."""
    scores = pagerank(G)
    degree = degree_centrality(G)
    simple = collapse(G)
    ranked = sorted(G.nodes, key=_rank_key(G, scores, degree))
    if n is not None:
        ranked = ranked[: max(n, 0)]
    return [{"id": node, "label": G.nodes[node].get("label") or node, "type": G.nodes[node].get("type"),
             "neighbours": simple.degree(node), "degree": round(degree.get(node, 0.0), 4),
             "pagerank": round(scores.get(node, 0.0), 4)} for node in ranked]


# ------------------------------------------------------------------------------------------ communities
def communities(G: nx.MultiDiGraph, *, method: str = "louvain", seed: int = DEFAULT_SEED,
                resolution: float = 1.0, min_size: int = 1) -> list[set[str]]:
    """Communities of the undirected, collapsed graph, largest first (ties: smallest label).

    ``method`` is "louvain" (``nx.community.louvain_communities`` with a fixed seed) or
    "greedy" (``greedy_modularity_communities``, deterministic by construction).  Isolated
    entities are communities of one; ``min_size`` drops the smaller ones.
    """
    H = collapse(G)
    if H.number_of_nodes() == 0:
        return []
    if method == "louvain":
        found = nx.community.louvain_communities(H, weight="weight", resolution=resolution, seed=seed)
    elif method == "greedy":
        found = nx.community.greedy_modularity_communities(H, weight="weight", resolution=resolution)
    else:
        raise ValueError(f"unknown community method {method!r} (louvain or greedy)")

    def label(node: str) -> str:
        return str(G.nodes[node].get("label") or node).casefold()

    kept = [set(c) for c in found if len(c) >= min_size]
    return sorted(kept, key=lambda c: (-len(c), min(label(x) for x in c)))


def community_labels(G: nx.MultiDiGraph, groups: Iterable[Iterable[str]], *, top: int = 3) -> dict[str, str]:
    """node -> a readable community name ("1: Meta, FAIR, Yann LeCun"), named by its most central members."""
    scores = pagerank(G)
    names: dict[str, str] = {}
    for i, group in enumerate(groups, start=1):
        members = sorted(group, key=lambda x: (-scores.get(x, 0.0), str(G.nodes[x].get("label") or x)))
        name = f"{i}: " + ", ".join(str(G.nodes[x].get("label") or x) for x in members[:top])
        if len(members) > top:
            name += ", \u2026"
        for node in group:
            names[node] = name
    return names


# ------------------------------------------------------------------------------------------ neighbourhoods
def ego_network(G: nx.MultiDiGraph, node: str, depth: int = 1):
    """The subgraph (a view) of entities within *depth* hops of *node*, edges in either direction."""
    if node not in G:
        raise nx.NodeNotFound(f"{node} is not in the graph")
    reach = nx.single_source_shortest_path_length(undirected(G), node, cutoff=depth)
    return G.subgraph(reach)


def typed_neighbours(G: nx.MultiDiGraph, node: str, types: Iterable[str] | None = None,
                     predicates: Iterable[str] | None = None, direction: str = "both") -> list[dict[str, Any]]:
    """Direct neighbours of *node*, one row per (neighbour, predicate, direction).

    ``types`` keeps neighbours of those entity types ("Organization" includes its subclasses),
    ``predicates`` keeps those relation names, ``direction`` is "out" (node is the subject),
    "in" (node is the object) or "both".  Rows carry the best confidence and how many evidence
    sentences support the fact; sorted by direction, predicate, label.
    """
    if direction not in ("out", "in", "both"):
        raise ValueError("direction must be 'out', 'in' or 'both'")
    wanted_types = expand_types(types)
    wanted_preds = set(predicates) if predicates else None
    edges = []
    if direction in ("out", "both"):
        edges += [("out", v, d) for _, v, d in G.out_edges(node, data=True)]
    if direction in ("in", "both"):
        edges += [("in", u, d) for u, _, d in G.in_edges(node, data=True)]
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for way, other, data in edges:
        attrs = G.nodes[other]
        pred = data.get("predicate") or "relatedTo"
        if wanted_types is not None and attrs.get("type") not in wanted_types:
            continue
        if wanted_preds is not None and pred not in wanted_preds:
            continue
        row = rows.setdefault((way, pred, other), {
            "direction": way, "predicate": pred, "id": other, "label": attrs.get("label") or other,
            "type": attrs.get("type"), "confidence": 0.0, "evidence": 0})
        row["confidence"] = max(row["confidence"], float(data.get("confidence") or 0.0))
        row["evidence"] += 1
    return sorted(rows.values(), key=lambda r: (r["direction"] != "out", r["predicate"],
                                                str(r["label"]).casefold(), r["id"]))


# ------------------------------------------------------------------------------------------ paths
def shortest_paths(G: nx.MultiDiGraph, source: str, target: str,
                   limit: int | None = DEFAULT_PATH_LIMIT) -> list[list[str]]:
    """All shortest paths between two entities (edges in either direction), at most *limit*.

    Paths are sorted by their labels so the choice is stable.  Raises ``nx.NetworkXNoPath``
    when the two are not connected and ``nx.NodeNotFound`` for an unknown node.
    """
    for node in (source, target):
        if node not in G:
            raise nx.NodeNotFound(f"{node} is not in the graph")
    found = nx.all_shortest_paths(undirected(G), source, target)
    # Gather a bounded number first (the count of shortest paths can explode), then order.
    paths = list(itertools.islice(found, None if limit is None else max(limit, 0) * 10))

    def key(path: list[str]) -> tuple:
        return tuple(str(G.nodes[n].get("label") or n).casefold() for n in path), tuple(path)

    paths.sort(key=key)
    return paths if limit is None else paths[:limit]


def _step(G: nx.MultiDiGraph, u: str, v: str) -> tuple[str, str, list[str]]:
    """(subject, object, predicates) for one hop of a path, in the graph's own direction."""
    forward = G.get_edge_data(u, v) or {}
    backward = G.get_edge_data(v, u) or {}

    def ranked(edges: dict) -> list[str]:
        best: dict[str, float] = {}
        for d in edges.values():
            p = d.get("predicate") or "relatedTo"
            best[p] = max(best.get(p, 0.0), float(d.get("confidence") or 0.0))
        return sorted(best, key=lambda p: (-best[p], p))

    if forward:
        return u, v, ranked(forward)
    return v, u, ranked(backward)


def path_edges(G: nx.MultiDiGraph, paths: Iterable[list[str]]) -> set[tuple[str, str]]:
    """The (subject, object) pairs the paths walk along, in the graph's direction (for highlighting)."""
    pairs = set()
    for path in paths:
        for u, v in zip(path, path[1:]):
            s, o, _ = _step(G, u, v)
            pairs.add((s, o))
    return pairs


def describe_path(G: nx.MultiDiGraph, path: list[str]) -> str:
    """ "Yann LeCun -leads|founded-> FAIR -developed-> PyTorch"; arrows point subject -> object,
    so a hop walked against the relation reads "<-developed-"; predicates best-confidence first."""
    label = lambda n: str(G.nodes[n].get("label") or n)  # noqa: E731
    parts = [label(path[0])]
    for u, v in zip(path, path[1:]):
        s, _, preds = _step(G, u, v)
        rel = "|".join(preds)
        parts.append(f" -{rel}-> {label(v)}" if s == u else f" <-{rel}- {label(v)}")
    return "".join(parts)


def paths_subgraph(G: nx.MultiDiGraph, paths: Iterable[list[str]]):
    """The subgraph (a view) holding every node of the given paths."""
    return G.subgraph({n for p in paths for n in p})


# ------------------------------------------------------------------------------------------ filtering
def filter_graph(G: nx.MultiDiGraph, *, types: Iterable[str] | None = None, min_confidence: float = 0.0,
                 top: int | None = DEFAULT_TOP):
    """The part of *G* a full view shows (a view of *G*, not a copy).

    ``types``: keep entities of these types ("Organization" includes its subclasses).
    ``min_confidence``: drop facts below it; entities stay (they exist whatever the facts).
    ``top``: when more entities remain, keep the *top* most central by PageRank (computed on
    what the other filters left); ``None`` or 0 keeps all.
    """
    wanted = expand_types(types)
    keep_node = (lambda n: True) if wanted is None else (lambda n: G.nodes[n].get("type") in wanted)

    def keep_edge(u, v, k):
        return float(G[u][v][k].get("confidence") or 0.0) >= min_confidence

    view = nx.subgraph_view(G, filter_node=keep_node, filter_edge=keep_edge if min_confidence > 0 else
                            (lambda u, v, k: True))
    if top and view.number_of_nodes() > top:
        view = view.subgraph(top_entities(view, top))
    return view


# ------------------------------------------------------------------------------------------ fact details
# Statement/event properties that are structure, not attributes of the fact.
_STRUCTURAL = frozenset({"type", "subject", "predicate", "object", "wasDerivedFrom", "sentence", "start", "end",
                         "confidence", "event", "acquirer", "investor", "target"})


def _snake(name: str) -> str:
    """priceUSD -> price_usd, amountUSD -> amount_usd, dealStatus -> deal_status, former -> former."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name).lower()


def add_fact_details(G: nx.MultiDiGraph, g) -> nx.MultiDiGraph:
    """Copy the qualifiers of each fact from the RDF graph *g* onto the edges of its projection *G*.

    ``kg.query.to_networkx`` keeps sentence, document and confidence; the views also show what a
    statement or its event node says about the fact: ``price_usd``, ``amount_usd``, ``date``,
    ``role``, ``former``, and whatever else the extraction writes there (``status``, ``lead``,
    ``round``, ``currency``, ``stake``...: every literal-valued property, its local name in
    snake_case).  Attributes already on an edge win.  Every read is optional, so a graph without
    events or qualifiers is fine.  Document titles go to ``G.graph["documents"]`` (id -> title).
    Edges are found by the statement IRI in their key (``predicate|statement``); other edges are
    left alone.  Modifies and returns *G*.
    """
    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS

    from .graph import KG
    from .query import local_name, py

    def literals(node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p, o in sorted(g.predicate_objects(node)):
            name = local_name(p)
            if not isinstance(o, Literal) or name in _STRUCTURAL:
                continue
            key = _snake(name)
            value = py(o)
            if key == "date" or not isinstance(value, (str, int, float, bool)):
                value = str(o)
            out.setdefault(key, value)
        return out

    for u, v, key, data in G.edges(keys=True, data=True):
        if not isinstance(key, str) or "|" not in key:
            continue
        st = URIRef(key.split("|", 1)[1])
        found = literals(st)
        event = g.value(st, KG.event)
        if event is not None:
            for k, value in literals(event).items():
                found.setdefault(k, value)
        for k, value in found.items():
            data.setdefault(k, value)
    titles = {}
    for doc in g.subjects(URIRef(str(KG) + "contentHash"), None):
        title = g.value(doc, DCTERMS.title)
        if title is not None:
            titles[local_name(doc)] = str(title)
    if titles:
        G.graph.setdefault("documents", {}).update(dict(sorted(titles.items())))
    return G


# ------------------------------------------------------------------------------------------ SPARQL
def sparql_df(graph, query: str | Path, bindings: Mapping[str, Any] | None = None):
    """Run a SPARQL SELECT and return a pandas DataFrame (one column per projected variable).

    *graph* is an rdflib Graph or the path of a Turtle file; *query* is SPARQL text or the
    path of a ``.rq`` file (e.g. ``queries/meta_deals.rq``).  *bindings* pre-binds variables
    (``{"s": ent_iri}``) through rdflib's ``initBindings``, never by pasting text into the
    query: rdflib terms pass as they are, ``str`` values that start with http(s):// become
    IRIs, other values literals.  Cells hold plain Python values (str, int, float, bool);
    unbound cells are None.
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is in the notebook and test extras
        raise ImportError("sparql_df needs pandas: pip install 'techkg[notebook]'") from exc
    from rdflib import Graph, Literal, URIRef, Variable
    from rdflib.term import Node

    from .query import KGError, load_graph, py, run_sparql

    g = graph if isinstance(graph, Graph) else load_graph(graph)
    text = str(query)
    if isinstance(query, Path) or (text.endswith(".rq") and "\n" not in text):
        path = Path(query)
        if not path.is_file():
            raise KGError(f"query file not found: {path}")
        text = path.read_text(encoding="utf-8")

    def term(value):
        if isinstance(value, Node):
            return value
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return URIRef(value)
        return Literal(value)

    init = {Variable(str(k).lstrip("?$")): term(v) for k, v in (bindings or {}).items()}
    result = run_sparql(g, text, init)
    if result.type != "SELECT":
        raise KGError(f"sparql_df needs a SELECT query, not {result.type}")
    cols = [str(v) for v in result.vars]
    return pd.DataFrame([[py(row[i]) for i in range(len(cols))] for row in result], columns=cols)
