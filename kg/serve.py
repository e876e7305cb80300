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

Hardening (issue 15): a query is checked before any worker sees it (kg.sparql_guard: no SERVICE
federation, so the endpoint never makes a request to another host; at most 32 nested brackets; a
LIMIT a machine integer holds). At most ``workers + queue`` queries are admitted at a time (the rest
get 503 with Retry-After at once), and the server has threads to spare beyond those, so ``/health``
answers at once under any flood. A worker whose memory grows more than ``max_query_memory`` MB
above its loaded graph is killed like a timed-out one. Requests whose Host header names another
host are refused (DNS rebinding), and no CORS header is sent unless ``--cors ORIGIN`` allows one.
"""
from __future__ import annotations

import json
import multiprocessing as mp
from queue import Empty, Queue
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_WORKERS = 2
#: queries that may wait for a free worker; more are answered 503 at once
DEFAULT_QUEUE = 8
#: memory (MB) a query may add to its worker's resident size before the worker is killed
DEFAULT_QUERY_MEMORY_MB = 1024
#: server threads kept free of queries, for /health and for answering "busy" at once
SPARE_THREADS = 2
#: how often (s) a running query's worker memory is checked
WATCH_INTERVAL = 0.05
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
def _worker_main(conn, graph_path: str, store_kind: str, allow_service: bool = False) -> None:
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
            res = store.query(text, limit=max_rows, allow_service=allow_service)
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
        except MemoryError:
            conn.send(("error", 503, "query stopped: out of memory"))
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


def process_rss(pid: int) -> int | None:
    """Resident memory of a process in bytes (Linux /proc, else psutil when installed; None if unknown)."""
    import os

    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:  # noqa: BLE001 - no psutil, or the process is gone
        return None


class _Worker:
    def __init__(self, ctx, graph_path, store_kind, allow_service=False):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, graph_path, store_kind, allow_service),
                                daemon=True)
        self.proc.start()
        child.close()
        self.baseline: int | None = None  # resident bytes once the graph is loaded

    def wait_ready(self, timeout: float | None = None):
        if not self.conn.poll(timeout):
            raise TimeoutError("worker did not start")
        msg = self.conn.recv()
        if msg[0] == "ready":
            self.baseline = process_rss(self.proc.pid)
        return msg

    def rss(self) -> int | None:
        return process_rss(self.proc.pid)

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(5)
        finally:
            self.conn.close()


class QueryPool:
    """Worker processes holding the graph; a query past its timeout or memory ceiling costs its
    worker. At most ``workers + queue`` queries are admitted at once; the rest are refused at once."""

    def __init__(self, graph_path: str | Path, store: str = "auto", workers: int = DEFAULT_WORKERS,
                 timeout: float = DEFAULT_TIMEOUT, max_rows: int | None = DEFAULT_MAX_ROWS, *,
                 queue: int = DEFAULT_QUEUE, max_query_memory: float | None = DEFAULT_QUERY_MEMORY_MB,
                 allow_service: bool = False):
        from .query import KGError
        from .store import choose_store

        path = Path(graph_path)
        if not path.is_file():
            raise KGError(f"graph file not found: {path} (run `kg build` first, or pass -g)" if not path.exists()
                          else f"graph path is not a file: {path}")
        self.graph_path = str(graph_path)
        self.store_kind = choose_store(graph_path, store)
        self.timeout, self.max_rows = timeout, max_rows
        self.workers, self.queue = max(1, workers), max(0, queue)
        self.allow_service = allow_service
        self.max_query_bytes = int(max_query_memory * 2**20) if max_query_memory else None
        self._slots = threading.BoundedSemaphore(self.workers + self.queue)
        self._count_lock = threading.Lock()
        self.admitted = 0  # queries running or waiting for a worker
        self.refused = 0  # queries answered "busy"
        self._ctx = mp.get_context("spawn")  # workers never inherit the server's threads or sockets
        self._idle: Queue[_Worker] = Queue()
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
        w = _Worker(self._ctx, self.graph_path, self.store_kind, self.allow_service)
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

    def status(self) -> dict:
        """What /health reports: workers, idle ones, admitted queries, capacity."""
        with self._lock:
            alive = len(self._all)
        return {"status": "ok", "workers": alive, "idle_workers": self._idle.qsize(), "queries": self.admitted,
                "capacity": self.workers + self.queue, "refused": self.refused, "triples": self.triples,
                "store": self.store_kind}

    def run(self, text: str, accept: str | None, fmt: str | None) -> tuple[int, str, bytes, dict]:
        """(status, content type, body, extra headers) for one query."""
        if not self._slots.acquire(blocking=False):
            with self._count_lock:
                self.refused += 1
            return (503, "text/plain",
                    f"server busy: {self.workers + self.queue} queries are running or waiting; "
                    f"try again later\n".encode(), {"Retry-After": "1"})
        with self._count_lock:
            self.admitted += 1
        try:
            return self._run(text, accept, fmt)
        finally:
            with self._count_lock:
                self.admitted -= 1
            self._slots.release()

    def _run(self, text: str, accept: str | None, fmt: str | None) -> tuple[int, str, bytes, dict]:
        deadline = time.monotonic() + self.timeout
        try:
            w = self._idle.get(timeout=self.timeout)
        except Empty:
            return 503, "text/plain", b"server busy: no query worker became free in time\n", {}
        try:
            w.conn.send((text, accept, fmt, self.max_rows))
            stopped = self._watch(w, deadline)
            if stopped:
                self._replace(w)
                w = None
                return 503, "text/plain", stopped.encode(), {}
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

    def _watch(self, w: _Worker, deadline: float) -> str | None:
        """Wait for the worker's answer; the reason to stop it (timeout, memory) or None."""
        limit = (w.baseline or 0) + self.max_query_bytes if self.max_query_bytes and w.baseline else None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"query timed out after {self.timeout:g} s (the query was stopped)\n"
            if w.conn.poll(min(left, WATCH_INTERVAL) if limit else left):
                return None
            if limit:
                rss = w.rss()
                if rss is not None and rss > limit:
                    return (f"query stopped: it needed more than {self.max_query_bytes // 2**20} MB of memory "
                            f"(--max-query-memory)\n")

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


def make_app(pool: QueryPool, *, hosts: "HostCheck | None" = None, cors: tuple[str, ...] | list[str] = (),
             allow_service: bool = False):
    """The WSGI application: /sparql for queries, /health for probes, everything else 404.

    ``hosts``: the Host header must name the server (None: any); ``cors``: origins allowed to read
    answers from a browser ("*" for any; none by default, so web pages cannot read the endpoint)."""
    from .sparql_guard import QueryRefused, check_query

    cors = tuple(cors)

    def app(environ, start_response):
        origin = environ.get("HTTP_ORIGIN")
        allow_origin = ("*" if "*" in cors else origin) if origin and ("*" in cors or origin in cors) else None

        def reply(status: int, ctype: str, body: bytes, headers: dict | None = None):
            hdrs = [("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") or "json" in ctype
                                               or "xml" in ctype else "")),
                    ("Content-Length", str(len(body))), ("Vary", "Accept, Origin"),
                    ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]
            if allow_origin:
                hdrs.append(("Access-Control-Allow-Origin", allow_origin))
            if status == 405:
                hdrs.append(("Allow", "GET, POST, OPTIONS"))
            hdrs += list((headers or {}).items())
            start_response(f"{status} {_REASONS.get(status, '')}", hdrs)
            return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

        if hosts is not None and not hosts.allows(environ.get("HTTP_HOST")):
            # a browser page on another site can point its own host name at 127.0.0.1 (DNS rebinding)
            return reply(403, "text/plain", f"Host header not allowed: {hosts.describe()}\n".encode())
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.rstrip("/") == "/health":
            if method not in ("GET", "HEAD"):
                return reply(405, "text/plain", b"use GET\n")
            return reply(200, "application/json", json.dumps(pool.status()).encode())
        if path.rstrip("/") != "/sparql":
            if path in ("", "/"):
                return reply(200, "text/plain", USAGE)
            return reply(404, "text/plain", b"not found: the endpoint is /sparql\n")
        if method == "OPTIONS":
            extra = {"Allow": "GET, POST, OPTIONS"}
            if allow_origin:
                extra.update({"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                              "Access-Control-Allow-Headers": "Content-Type, Accept"})
            return reply(200, "text/plain", b"", extra)
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
        try:  # refused here, before a worker (and its store) sees the query
            check_query(text, allow_service=allow_service)
        except QueryRefused as exc:
            return reply(400, "text/plain", f"{exc}\n".encode())
        fmt = (params.get("format") or params.get("output") or [None])[0]
        status, mime, body, headers = pool.run(text, environ.get("HTTP_ACCEPT"), fmt)
        return reply(status, mime, body, headers)

    return app


class HostCheck:
    """Which Host headers name this server: the bound address, loopback names when bound to
    loopback, any IP literal when bound to all interfaces, and names added with --allow-host.
    Host names are what DNS rebinding uses (evil.example resolving to 127.0.0.1), so a name is
    only accepted when it was given."""

    def __init__(self, bound: str, port: int, extra: tuple[str, ...] | list[str] = ()):
        import ipaddress

        self.port = port
        self.any_ip = bound.strip("[]") in ("0.0.0.0", "::", "")
        self.names = {n.strip().strip("[]").lower().rstrip(".") for n in extra if n.strip()}
        b = bound.strip("[]").lower()
        if not self.any_ip:
            self.names.add(b)
        if self.any_ip or is_loopback(b):
            self.names |= {"localhost", "127.0.0.1", "::1"}
        try:  # one spelling of an address: ::0001 is ::1
            self.names |= {str(ipaddress.ip_address(n)) for n in list(self.names) if _is_ip(n)}
        except ValueError:
            pass

    def allows(self, header: str | None) -> bool:
        if header is None or not header.strip():
            return True  # HTTP/1.0 without Host: no browser sends that
        h = header.strip().lower()
        if h.startswith("["):
            end = h.find("]")
            if end < 0:
                return False
            name, rest = h[1:end], h[end + 1:]
            if rest and not rest.startswith(":"):
                return False
            port = rest[1:] if rest else ""
        else:
            if h.count(":") > 1:
                return False
            name, _, port = h.partition(":")
        if port and port != str(self.port):
            return False
        name = name.rstrip(".")
        if _is_ip(name):
            import ipaddress

            name = str(ipaddress.ip_address(name))
            return self.any_ip or name in self.names
        return name in self.names

    def describe(self) -> str:
        names = sorted(self.names) + (["any IP address"] if self.any_ip else [])
        return f"this endpoint answers to {', '.join(names)} on port {self.port} (--allow-host NAME adds a name)"


def _is_ip(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


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
                  max_rows: int | None = DEFAULT_MAX_ROWS, threads: int = 8, queue: int = DEFAULT_QUEUE,
                  max_query_memory: float | None = DEFAULT_QUERY_MEMORY_MB, cors: tuple[str, ...] = (),
                  allow_hosts: tuple[str, ...] = (), allow_service: bool = False):
    """(waitress server, QueryPool). ``server.run()`` serves until interrupted; ``port=0`` picks a
    free port (``server.effective_port``). Call ``pool.close()`` afterwards.

    The server gets ``workers + queue + SPARE_THREADS`` threads (at least ``threads``): admitted
    queries can hold at most ``workers + queue`` of them, so /health always finds one free."""
    import logging

    import waitress

    # waitress warns "Task queue depth is N" for every request that waits for a thread: under a
    # flood that is thousands of lines a second on the terminal, about a state /health reports
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    pool = QueryPool(graph_path, store=store, workers=workers, timeout=timeout, max_rows=max_rows,
                     queue=queue, max_query_memory=max_query_memory, allow_service=allow_service)
    try:
        holder: dict = {}

        def app(environ, start_response):
            return holder["app"](environ, start_response)

        server = waitress.create_server(app, host=host, port=port,
                                        threads=max(threads, pool.workers + pool.queue + SPARE_THREADS),
                                        ident="techkg", clear_untrusted_proxy_headers=True,
                                        max_request_body_size=MAX_BODY_BYTES, connection_limit=200)
        holder["app"] = make_app(pool, hosts=HostCheck(host, server.effective_port, allow_hosts), cors=cors,
                                 allow_service=allow_service)
    except BaseException:
        pool.close()
        raise
    return server, pool
