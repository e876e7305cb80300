"""Graph stores for reading a built graph: rdflib's in-memory store or Oxigraph (pyoxigraph).

Both answer the same SPARQL with the same rows (terms come back as rdflib terms either way); what
differs is speed and memory. At about 1M triples rdflib's memory store loads in tens of seconds
and over a gigabyte and answers joins in seconds; Oxigraph loads in a few seconds and a fraction of
that memory and answers in milliseconds (benchmarks/sparql_store.py, README "Performance"). So
``auto`` picks Oxigraph for graphs above AUTO_OXIGRAPH_TRIPLES (estimated from the file size) and
rdflib below, where loading is instant either way and rdflib's Graph API is what the rest of techkg
(views, validation, export) uses.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .query import PREFIXES, KGError

STORES = ("auto", "memory", "oxigraph")
#: graphs estimated above this many triples open in Oxigraph under ``--store auto``
AUTO_OXIGRAPH_TRIPLES = 200_000
#: techkg's Turtle averages 40-46 bytes per triple (41 for the bundled corpus, 46 for the 1M-triple
#: benchmark graph); the estimate only has to be roughly right around the threshold
TURTLE_BYTES_PER_TRIPLE = 45
_NS = {k: str(v) for k, v in PREFIXES.items()}


def estimate_triples(path: str | Path) -> int:
    try:
        return Path(path).stat().st_size // TURTLE_BYTES_PER_TRIPLE
    except OSError:
        return 0


def choose_store(path: str | Path, store: str = "auto") -> str:
    """"memory" or "oxigraph" for a graph file and a --store value."""
    if store not in STORES:
        raise KGError(f"unknown store {store!r} (one of: {', '.join(STORES)})")
    if store != "auto":
        return store
    return "oxigraph" if estimate_triples(path) > AUTO_OXIGRAPH_TRIPLES else "memory"


@dataclass
class QueryResult:
    """A SPARQL result shaped like rdflib's Result: ``type``, ``vars``, rows of rdflib terms (None
    where unbound), ``askAnswer`` for ASK and ``graph`` for CONSTRUCT/DESCRIBE."""

    type: str
    vars: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    askAnswer: bool | None = None  # noqa: N815 (rdflib's name)
    graph: Graph | None = None
    truncated: bool = False

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _read_only_error(text: str, exc: Exception) -> KGError:
    """The message for a query Oxigraph would not parse, worded as kg.query.run_sparql words it."""
    from .sparql_guard import looks_like_update

    if looks_like_update(text):
        return KGError("only SELECT, ASK, CONSTRUCT and DESCRIBE queries are allowed (the graph is read-only)")
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return KGError(f"malformed SPARQL query: {msg[:200]}")


class Store:
    """A loaded graph that answers SPARQL. ``kind`` is "memory" or "oxigraph"."""

    kind = ""

    def __len__(self) -> int:
        raise NotImplementedError

    def query(self, text: str, bindings: dict | None = None, limit: int | None = None,
              deadline: float | None = None, *, allow_service: bool = False) -> QueryResult:
        """Run a read-only query. ``limit`` caps the rows kept (``truncated`` says if more came);
        ``deadline`` (time.monotonic()) stops collecting rows once passed (raises QueryTimeout).
        Queries are checked first (kg.sparql_guard): federation (SERVICE) is refused unless
        ``allow_service``, and so is nesting deeper than MAX_DEPTH. CONSTRUCT/DESCRIBE graphs come
        back with techkg's prefixes bound (kg:, ent:, ...)."""
        raise NotImplementedError

    def rdflib_graph(self) -> Graph:
        """An rdflib Graph over the same triples (for code written against rdflib's API)."""
        raise NotImplementedError

    def reader(self):
        """What kg.query's row builders (fact_rows, entity_rows) read fastest: an rdflib Graph, or
        for Oxigraph a view answering value/objects/subjects from per-predicate scans."""
        return self.rdflib_graph()


class QueryTimeout(KGError):
    """The query ran past its deadline."""


def _collect(rows_iter, limit, deadline, convert) -> tuple[list[tuple], bool]:
    import time

    rows: list[tuple] = []
    for row in rows_iter:
        if limit is not None and len(rows) >= limit:
            return rows, True
        rows.append(convert(row))
        if deadline is not None and len(rows) % 256 == 0 and time.monotonic() > deadline:
            raise QueryTimeout("query timed out")
    return rows, False


class MemoryStore(Store):
    kind = "memory"

    def __init__(self, graph: Graph):
        self.graph = graph

    @classmethod
    def load(cls, path: str | Path) -> "MemoryStore":
        from .query import load_graph

        return cls(load_graph(path))

    def __len__(self) -> int:
        return len(self.graph)

    def query(self, text, bindings=None, limit=None, deadline=None, *, allow_service=False) -> QueryResult:
        from .query import run_sparql

        res = run_sparql(self.graph, text, bindings, allow_service=allow_service)
        if res.type == "ASK":
            return QueryResult("ASK", askAnswer=bool(res.askAnswer))
        if res.type in ("CONSTRUCT", "DESCRIBE"):
            try:
                return QueryResult(res.type, graph=with_prefixes(res.graph))
            except RecursionError:
                raise KGError("query too complex: it nests or chains more than the SPARQL engine can follow") from None
            except Exception as exc:  # evaluation is lazy
                raise KGError(f"query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc
        try:
            rows, truncated = _collect(res, limit, deadline, tuple)
        except KGError:
            raise
        except Exception as exc:  # evaluation is lazy: errors surface while iterating
            raise KGError(f"query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc
        return QueryResult("SELECT", vars=[str(v) for v in res.vars], rows=rows, truncated=truncated)

    def rdflib_graph(self) -> Graph:
        return self.graph


class OxigraphStore(Store):
    kind = "oxigraph"

    def __init__(self, store):
        self.store = store

    @classmethod
    def load(cls, path: str | Path) -> "OxigraphStore":
        import pyoxigraph as ox

        path = Path(path)
        if not path.exists():
            raise KGError(f"graph file not found: {path} (run `kg build` first, or pass -g)")
        if path.is_dir():
            raise KGError(f"graph path is a directory, not a file: {path}")
        fmt = {".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
               ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
               }.get(path.suffix.lower(), ox.RdfFormat.TURTLE)
        store = ox.Store()
        try:
            # the file's own IRI as base, as rdflib's parser does
            store.bulk_load(path=str(path), format=fmt, base_iri=path.resolve().as_uri())
        except (SyntaxError, ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise KGError(f"not a readable RDF graph: {path}: {first[:200]}") from exc
        return cls(store)

    def __len__(self) -> int:
        return len(self.store)

    def query(self, text, bindings=None, limit=None, deadline=None, *, allow_service=False) -> QueryResult:
        from .sparql_guard import QueryRefused, check_query

        try:
            check_query(text, allow_service=allow_service)
        except QueryRefused as exc:
            raise KGError(str(exc)) from None
        if bindings:
            text = with_values(text, bindings)
        # Oxigraph's parser and evaluator recurse per nesting level and per chained OPTIONAL,
        # MINUS or BIND; on the main thread's 8 MB stack a few thousand overflowed it and killed
        # the process. A thread with a large stack (address space, not memory, until used) holds
        # any query a 1 MB request can carry that the guard lets through.
        return _on_big_stack(self._query, text, limit, deadline)

    def _query(self, text, limit, deadline) -> QueryResult:
        import pyoxigraph as ox

        try:
            res = self.store.query(text, prefixes=_NS, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise _read_only_error(text, exc) from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise KGError(f"query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc
        try:
            if isinstance(res, ox.QueryBoolean):
                return QueryResult("ASK", askAnswer=bool(res))
            if isinstance(res, ox.QueryTriples):
                from .graph import new_graph

                g = new_graph()
                for t in res:
                    g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
                    if deadline is not None and len(g) % 256 == 0 and time.monotonic() > deadline:
                        raise QueryTimeout("query timed out")
                kind = "DESCRIBE" if re.search(r"\bDESCRIBE\b", text, re.IGNORECASE) else "CONSTRUCT"
                return QueryResult(kind, graph=g)
            names = [v.value for v in res.variables]
            n = len(names)
            rows, truncated = _collect(res, limit, deadline,
                                       lambda sol: tuple(from_ox(sol[i]) for i in range(n)))
        except KGError:
            raise
        except (OSError, ValueError, RuntimeError, SyntaxError) as exc:
            raise KGError(f"query failed: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from exc
        return QueryResult("SELECT", vars=names, rows=rows, truncated=truncated)

    def rdflib_graph(self) -> Graph:
        """An rdflib Graph backed by this Oxigraph store (oxrdflib): rdflib's API, Oxigraph's indexes."""
        from oxrdflib import OxigraphStore as _OxRdflib
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        return Graph(store=_OxRdflib(store=self.store), identifier=DATASET_DEFAULT_GRAPH_ID)

    def reader(self) -> "IndexedView":
        return IndexedView(self.store, self.rdflib_graph())


class IndexedView:
    """The read-only calls of rdflib's Graph API that kg.query's row builders make — value(s, p),
    objects(s, p), subjects(p[, o]) — answered from dicts filled by one Oxigraph scan per
    predicate. Through oxrdflib each such call is a separate store lookup plus term conversion
    (fact_rows over 1M triples: ~26 s); scanning the dozen predicates involved once is several
    times faster. Anything else is passed to the oxrdflib Graph."""

    def __init__(self, store, graph: Graph):
        self._store, self._graph = store, graph
        self._fwd: dict = {}
        self._terms: dict = {}

    def _term(self, t):
        key = (type(t), t.value, getattr(t, "language", None), getattr(getattr(t, "datatype", None), "value", None))
        term = self._terms.get(key)
        if term is None:
            term = self._terms[key] = from_ox(t)
        return term

    def _index(self, predicate) -> dict:
        idx = self._fwd.get(predicate)
        if idx is None:
            import pyoxigraph as ox

            idx = {}
            term = self._term
            for q in self._store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, None):
                idx.setdefault(term(q.subject), []).append(term(q.object))
            self._fwd[predicate] = idx
        return idx

    def value(self, subject=None, predicate=None, object=None, default=None, any=True):  # noqa: A002
        if subject is None or predicate is None or object is not None:
            return self._graph.value(subject, predicate, object, default, any)
        vals = self._index(predicate).get(subject)
        return vals[0] if vals else default

    def objects(self, subject=None, predicate=None, unique=False):
        if subject is None or predicate is None:
            yield from self._graph.objects(subject, predicate, unique)
            return
        yield from self._index(predicate).get(subject, ())

    def subjects(self, predicate=None, object=None, unique=False):  # noqa: A002
        if predicate is None:
            yield from self._graph.subjects(predicate, object, unique)
            return
        for s, objs in self._index(predicate).items():
            if object is None or object in objs:
                yield s

    def __getattr__(self, name):
        return getattr(self._graph, name)


#: stack of the thread an Oxigraph query runs in (virtual address space; pages are only used as
#: the recursion reaches them)
QUERY_STACK_BYTES = 512 << 20


def _on_big_stack(fn, *args):
    """fn(*args) in a thread with a QUERY_STACK_BYTES stack; its result, or its exception."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            out["error"] = exc

    with _STACK_LOCK:  # threading.stack_size is process-wide: set it only around this start
        old = threading.stack_size(QUERY_STACK_BYTES)
        try:
            t = threading.Thread(target=run, name="kg-query", daemon=True)
            t.start()
        finally:
            threading.stack_size(old)
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


_STACK_LOCK = threading.Lock()


def with_prefixes(graph: Graph) -> Graph:
    """The graph with techkg's prefixes bound, so Turtle reads kg:leads and ent:meta, not ns1:."""
    from .graph import new_graph

    g = new_graph()
    for t in graph:
        g.add(t)
    return g


def open_store(path: str | Path, store: str = "auto") -> Store:
    """Load a graph file into the chosen store ("auto": Oxigraph for large graphs)."""
    kind = choose_store(path, store)
    return OxigraphStore.load(path) if kind == "oxigraph" else MemoryStore.load(path)


# ------------------------------------------------------------------------------------------ terms
def with_values(text: str, bindings: dict) -> str:
    """The query with a trailing VALUES clause pre-binding variables, as rdflib's initBindings does
    (Oxigraph's substitutions only bind projected variables). Values are written by rdflib's N3
    serialisation of the terms, never pasted from user text."""
    names, terms = [], []
    for k, v in bindings.items():
        name = str(k).lstrip("?$")
        if not re.fullmatch(r"\w+", name):
            raise KGError(f"not a variable name: {k!r}")
        names.append(f"?{name}")
        terms.append((v if isinstance(v, (URIRef, BNode, Literal)) else Literal(v)).n3())
    return f"{text}\nVALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


_XSD_DECIMAL = str(XSD.decimal)
_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def from_ox(term):
    """A pyoxigraph term as the rdflib term rdflib's own parser would have made."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        value = term.value
        if dt == _XSD_DECIMAL and "." not in value:
            # Oxigraph keeps a decimal's value, not its text ("1.0" reads back as "1"); the graph
            # is written with decimals always in the "1.0" form rdflib's parser keeps as it is.
            value += ".0"
        return Literal(value, datatype=URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(str(term))  # RDF-star triple terms: not produced by techkg
