"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint at /sparql (a WSGI app served by waitress).

    GET  /sparql?query=...                                   (URL-encoded query)
    POST /sparql  Content-Type: application/x-www-form-urlencoded   query=...
    POST /sparql  Content-Type: application/sparql-query            (the query as the body)

Results by content negotiation (Accept, or a ``format`` parameter): SELECT and ASK as SPARQL JSON
(the default), XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default) or N-Triples. Updates
(an ``update`` parameter, application/sparql-update, or INSERT/DELETE/... as a query) get 403.

Queries run in worker processes that hold the loaded graph, so the per-query timeout is real:
a query still running at its deadline is answered with 503 and its worker process is killed and
replaced (an engine cannot be interrupted from Python otherwise, and a runaway join would keep a
core busy forever). Results are capped at ``max_rows`` rows or triples; a capped result says so in
the ``X-KG-Truncated: true`` header. The server listens on the loopback interface by default.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import queue
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_WORKERS = 2
MAX_BODY_BYTES = 1 << 20  # a SPARQL query, not an upload

JSON, XML, CSV, TSV = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                       "text/tab-separated-values")
TURTLE, NTRIPLES = "text/turtle", "application/n-triples"
RESULT_TYPES = {JSON: JSON, "application/json": JSON, XML: XML, "application/xml": XML, "text/xml": XML,
                CSV: CSV, TSV: TSV}
GRAPH_TYPES = {TURTLE: TURTLE, "application/x-turtle": TURTLE, NTRIPLES: NTRIPLES, "text/plain": NTRIPLES}
FORMAT_PARAM = {"json": JSON, "xml": XML, "csv": CSV, "tsv": TSV, "turtle": TURTLE, "ttl": TURTLE,
                "nt": NTRIPLES, "ntriples": NTRIPLES, "n-triples": NTRIPLES}


# ------------------------------------------------------------------------------------------ results
def _term_json(t) -> dict:
    from rdflib import BNode, Literal

    if isinstance(t, Literal):
        d = {"type": "literal", "value": str(t)}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype:
            d["datatype"] = str(t.datatype)
        return d
    if isinstance(t, BNode):
        return {"type": "bnode", "value": str(t)}
    return {"type": "uri", "value": str(t)}


def _term_nt(t) -> str:
    return "" if t is None else t.n3()


def _csv_cell(t) -> str:
    s = "" if t is None else str(t)
    if any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def _xml_escape(s: str) -> str:
    from xml.sax.saxutils import escape

    return escape(s, {'"': "&quot;"})


def serialize_result(res, mime: str) -> bytes:
    """A QueryResult (kg.store) in one of the SPARQL result formats (or an RDF syntax for graphs)."""
    if res.type in ("CONSTRUCT", "DESCRIBE"):
        fmt = "nt" if mime == NTRIPLES else "turtle"
        return res.graph.serialize(format=fmt, encoding="utf-8")
    if mime == JSON:
        if res.type == "ASK":
            return json.dumps({"head": {}, "boolean": bool(res.askAnswer)}).encode()
        bindings = [{v: _term_json(t) for v, t in zip(res.vars, row) if t is not None} for row in res.rows]
        return json.dumps({"head": {"vars": res.vars}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if mime == XML:
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        out += [f'<variable name="{_xml_escape(v)}"/>' for v in res.vars]
        out.append("</head>")
        if res.type == "ASK":
            out.append(f"<boolean>{'true' if res.askAnswer else 'false'}</boolean>")
        else:
            from rdflib import BNode, Literal

            out.append("<results>")
            for row in res.rows:
                out.append("<result>")
                for v, t in zip(res.vars, row):
                    if t is None:
                        continue
                    if isinstance(t, Literal):
                        attr = (f' xml:lang="{_xml_escape(t.language)}"' if t.language else
                                f' datatype="{_xml_escape(str(t.datatype))}"' if t.datatype else "")
                        inner = f"<literal{attr}>{_xml_escape(str(t))}</literal>"
                    elif isinstance(t, BNode):
                        inner = f"<bnode>{_xml_escape(str(t))}</bnode>"
                    else:
                        inner = f"<uri>{_xml_escape(str(t))}</uri>"
                    out.append(f'<binding name="{_xml_escape(v)}">{inner}</binding>')
                out.append("</result>")
            out.append("</results>")
        out.append("</sparql>\n")
        return "\n".join(out).encode("utf-8")
    if res.type == "ASK":
        return b"true\n" if res.askAnswer else b"false\n"
    if mime == CSV:  # SPARQL 1.1 CSV: plain values, CRLF line ends
        lines = [",".join(res.vars)] + [",".join(_csv_cell(t) for t in row) for row in res.rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    # TSV: variables with "?", terms in N-Triples/Turtle syntax
    lines = ["\t".join("?" + v for v in res.vars)] + ["\t".join(_term_nt(t) for t in row) for row in res.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def negotiate(accept: str | None, fmt: str | None, graph_result: bool) -> str | None:
    """The response type for an Accept header (q-values honoured) or a ``format`` parameter;
    None when nothing acceptable can be produced."""
    table = GRAPH_TYPES if graph_result else RESULT_TYPES
    default = TURTLE if graph_result else JSON
    if fmt:
        mime = FORMAT_PARAM.get(fmt.lower(), fmt.lower())
        return table.get(mime)
    if not accept:
        return default
    ranges = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        mime, q = fields[0].lower(), 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if mime and q > 0:
            ranges.append((-q, i, mime))
    for _, _, mime in sorted(ranges):
        if mime in table:
            return table[mime]
        if mime in ("*/*", "application/*"):
            return default
        if mime == "text/*":
            return TURTLE if graph_result else CSV
    return None


# ------------------------------------------------------------------------------------------ workers
def _worker_main(conn, graph_path: str, store_kind: str) -> None:
    """A query worker: load the graph once, then answer (query, mime, max_rows) messages."""
    from .query import KGError
    from .store import open_store

    try:
        store = open_store(graph_path, store_kind)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", store.kind, len(store)))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        text, accept, fmt, max_rows = msg
        try:
            res = store.query(text, limit=max_rows)
            mime = negotiate(accept, fmt, res.type in ("CONSTRUCT", "DESCRIBE"))
            if mime is None:
                conn.send(("error", 406, "none of the accepted types can represent this result "
                                         "(SELECT/ASK: JSON, XML, CSV, TSV; CONSTRUCT/DESCRIBE: Turtle, N-Triples)"))
                continue
            if res.type in ("CONSTRUCT", "DESCRIBE") and max_rows is not None and len(res.graph) > max_rows:
                res = _cap_graph(res, max_rows)
            conn.send(("ok", mime, serialize_result(res, mime), res.truncated))
        except KGError as exc:
            status = 403 if "read-only" in str(exc) else 400
            conn.send(("error", status, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad query must not kill the worker
            conn.send(("error", 500, f"query failed: {type(exc).__name__}: {str(exc)[:200]}"))


def _cap_graph(res, max_rows):
    from .graph import new_graph

    g = new_graph()
    for i, t in enumerate(sorted(res.graph)):
        if i >= max_rows:
            break
        g.add(t)
    res.graph, res.truncated = g, True
    return res


class _Worker:
    def __init__(self, ctx, graph_path, store_kind):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, graph_path, store_kind), daemon=True)
        self.proc.start()
        child.close()

    def wait_ready(self, timeout: float | None = None):
        if not self.conn.poll(timeout):
            raise TimeoutError("worker did not start")
        return self.conn.recv()

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(5)
        finally:
            self.conn.close()


class QueryPool:
    """Worker processes holding the graph; a query past its timeout costs its worker."""

    def __init__(self, graph_path: str | Path, store: str = "auto", workers: int = DEFAULT_WORKERS,
                 timeout: float = DEFAULT_TIMEOUT, max_rows: int | None = DEFAULT_MAX_ROWS):
        from .query import KGError
        from .store import choose_store

        path = Path(graph_path)
        if not path.is_file():
            raise KGError(f"graph file not found: {path} (run `kg build` first, or pass -g)" if not path.exists()
                          else f"graph path is not a file: {path}")
        self.graph_path = str(graph_path)
        self.store_kind = choose_store(graph_path, store)
        self.timeout, self.max_rows = timeout, max_rows
        self._ctx = mp.get_context("spawn")  # workers never inherit the server's threads or sockets
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False
        self.triples = 0
        started = [self._spawn() for _ in range(max(1, workers))]
        for w in started:
            msg = w.wait_ready()
            if msg[0] != "ready":
                self.close()
                raise KGError(msg[1])
            self.triples = msg[2]
            self._idle.put(w)

    def _spawn(self) -> _Worker:
        w = _Worker(self._ctx, self.graph_path, self.store_kind)
        with self._lock:
            self._all.add(w)
        return w

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._lock:
            self._all.discard(dead)
            if self._closed:
                return

        def start():
            w = self._spawn()
            try:
                if w.wait_ready()[0] == "ready" and not self._closed:
                    self._idle.put(w)
                    return
            except (TimeoutError, EOFError, OSError):
                pass
            w.kill()
        threading.Thread(target=start, daemon=True).start()

    def run(self, text: str, accept: str | None, fmt: str | None) -> tuple[int, str, bytes, dict]:
        """(status, content type, body, extra headers) for one query."""
        deadline = time.monotonic() + self.timeout
        try:
            w = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return 503, "text/plain", b"server busy: no query worker became free in time\n", {}
        try:
            w.conn.send((text, accept, fmt, self.max_rows))
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(w)
                w = None
                return (503, "text/plain",
                        f"query timed out after {self.timeout:g} s (the query was stopped)\n".encode(), {})
            msg = w.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            w = None
            return 500, "text/plain", b"query worker failed\n", {}
        finally:
            if w is not None:
                self._idle.put(w)
        if msg[0] == "ok":
            _, mime, body, truncated = msg
            headers = {"X-KG-Truncated": "true", "X-KG-Max-Rows": str(self.max_rows)} if truncated else {}
            return 200, mime, body, headers
        _, status, message = msg
        return status, "text/plain", (message + "\n").encode("utf-8"), {}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            try:
                w.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            w.kill()


# ------------------------------------------------------------------------------------------ WSGI app
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            406: "Not Acceptable", 413: "Payload Too Large", 415: "Unsupported Media Type",
            500: "Internal Server Error", 503: "Service Unavailable"}
USAGE = (b"techkg SPARQL endpoint (read-only).\n"
         b"GET /sparql?query=... or POST a query (form field 'query', or Content-Type: application/sparql-query).\n"
         b"Results: application/sparql-results+json (default), +xml, text/csv, text/tab-separated-values.\n")


def make_app(pool: QueryPool):
    """The WSGI application: /sparql for queries, everything else 404."""

    def app(environ, start_response):
        def reply(status: int, ctype: str, body: bytes, headers: dict | None = None):
            hdrs = [("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") or "json" in ctype
                                               or "xml" in ctype else "")),
                    ("Content-Length", str(len(body))), ("Vary", "Accept"),
                    ("Access-Control-Allow-Origin", "*")]
            if status == 405:
                hdrs.append(("Allow", "GET, POST, OPTIONS"))
            hdrs += list((headers or {}).items())
            start_response(f"{status} {_REASONS.get(status, '')}", hdrs)
            return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.rstrip("/") != "/sparql":
            if path in ("", "/"):
                return reply(200, "text/plain", USAGE)
            return reply(404, "text/plain", b"not found: the endpoint is /sparql\n")
        if method == "OPTIONS":
            return reply(200, "text/plain", b"", {"Allow": "GET, POST, OPTIONS",
                                                  "Access-Control-Allow-Headers": "Content-Type, Accept"})
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        text = None
        if method in ("GET", "HEAD"):
            text = (params.get("query") or [None])[0]
            if params.get("update"):
                return reply(403, "text/plain", b"updates are not allowed: this endpoint is read-only\n")
        elif method == "POST":
            ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY_BYTES:
                return reply(413, "text/plain", b"request body too large\n")
            body = environ["wsgi.input"].read(length) if length else b""
            if ctype == "application/sparql-update":
                return reply(403, "text/plain", b"updates are not allowed: this endpoint is read-only\n")
            if ctype == "application/sparql-query":
                text = body.decode("utf-8", "replace")
            elif ctype in ("application/x-www-form-urlencoded", ""):
                form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                if form.get("update"):
                    return reply(403, "text/plain", b"updates are not allowed: this endpoint is read-only\n")
                params.update(form)
                text = (form.get("query") or params.get("query") or [None])[0]
            else:
                return reply(415, "text/plain",
                             b"POST a form (application/x-www-form-urlencoded) or application/sparql-query\n")
        else:
            return reply(405, "text/plain", b"use GET or POST\n")
        if not text or not text.strip():
            return reply(400, "text/plain", b"missing 'query' parameter\n" + USAGE)
        fmt = (params.get("format") or params.get("output") or [None])[0]
        status, mime, body, headers = pool.run(text, environ.get("HTTP_ACCEPT"), fmt)
        return reply(status, mime, body, headers)

    return app


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_server(graph_path: str | Path, host: str = "127.0.0.1", port: int = 7878, *, store: str = "auto",
                  workers: int = DEFAULT_WORKERS, timeout: float = DEFAULT_TIMEOUT,
                  max_rows: int | None = DEFAULT_MAX_ROWS, threads: int = 8):
    """(waitress server, QueryPool). ``server.run()`` serves until interrupted; ``port=0`` picks a
    free port (``server.effective_port``). Call ``pool.close()`` afterwards."""
    import waitress

    pool = QueryPool(graph_path, store=store, workers=workers, timeout=timeout, max_rows=max_rows)
    try:
        server = waitress.create_server(make_app(pool), host=host, port=port, threads=max(threads, workers),
                                        ident="techkg", clear_untrusted_proxy_headers=True,
                                        max_request_body_size=MAX_BODY_BYTES)
    except BaseException:
        pool.close()
        raise
    return server, pool
