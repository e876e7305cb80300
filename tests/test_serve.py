"""`kg serve`: the SPARQL 1.1 Protocol endpoint, queried over plain HTTP on a loopback port (issue 5)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.serve import create_server, negotiate

MAX_ROWS = 40
TIMEOUT = 4.0
LABELS = "SELECT ?e ?l WHERE { ?e rdfs:label ?l } ORDER BY ?l"
# a four-way cross product of the whole graph: far more than TIMEOUT seconds in any engine
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def endpoint(corpus_build):
    server, pool = create_server(corpus_build.graph, "127.0.0.1", 0, store="oxigraph", workers=2,
                                 timeout=TIMEOUT, max_rows=MAX_ROWS, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/sparql"
    server.close()
    pool.close()


def request(url, *, query=None, method="GET", data=None, headers=None, params=None):
    params = dict(params or {})
    if query is not None and method == "GET":
        params["query"] = query
    if params:
        url = url + "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def form(query=None, **fields):
    if query is not None:
        fields["query"] = query
    return urllib.parse.urlencode(fields).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_get_returns_sparql_json(endpoint):
    status, headers, body = request(endpoint, query="SELECT ?l WHERE { ?e rdfs:label ?l } ORDER BY ?l LIMIT 5")
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json")
    data = json.loads(body)
    assert data["head"]["vars"] == ["l"]
    labels = [b["l"]["value"] for b in data["results"]["bindings"]]
    assert len(labels) == 5 and labels == sorted(labels)
    assert data["results"]["bindings"][0]["l"]["type"] == "literal"
    assert "X-KG-Truncated" not in headers


def test_post_form_and_direct_body(endpoint):
    # the corpus's one deal amount: "He then invested $14.3 billion in the startup Scale AI"
    q = "SELECT ?amount WHERE { ?ev a kg:Investment ; kg:amountUSD ?amount } ORDER BY ?amount"
    a = request(endpoint, method="POST", data=form(q), headers=FORM)
    b = request(endpoint, method="POST", data=q.encode(), headers={"Content-Type": "application/sparql-query"})
    assert a[0] == b[0] == 200 and a[2] == b[2]
    rows = json.loads(a[2])["results"]["bindings"]
    assert len(rows) == 1 and rows[0]["amount"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert float(rows[0]["amount"]["value"]) == 14.3e9


@pytest.mark.parametrize("accept,ctype", [
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("application/json", "application/sparql-results+json"),
    ("text/html;q=0.9, text/csv;q=0.5, application/sparql-results+json;q=0.8", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
])
def test_content_negotiation(endpoint, accept, ctype):
    q = 'SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER(?l IN ("Meta", "Instagram")) } ORDER BY ?l'
    status, headers, body = request(endpoint, query=q, headers={"Accept": accept})
    assert status == 200 and headers["Content-Type"].split(";")[0] == ctype
    text = body.decode("utf-8")
    if ctype == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["e", "l"] and [r[1] for r in rows[1:]] == ["Instagram", "Meta"]
        assert rows[1][0].startswith("https://w3id.org/techkg/entity/")
    elif ctype == "text/tab-separated-values":
        lines = text.splitlines()
        assert lines[0] == "?e\t?l" and lines[1].startswith("<https://w3id.org/techkg/entity/")
        assert lines[1].endswith('\t"Instagram"')
    elif ctype.endswith("xml"):
        import xml.etree.ElementTree as ET

        ns = "{http://www.w3.org/2005/sparql-results#}"
        root = ET.fromstring(body)
        assert [lit.text for lit in root.iter(ns + "literal")] == ["Instagram", "Meta"]
    else:
        assert [b["l"]["value"] for b in json.loads(body)["results"]["bindings"]] == ["Instagram", "Meta"]


def test_format_parameter_ask_and_construct(endpoint):
    status, headers, body = request(endpoint, params={"query": "ASK { ?e rdfs:label \"Meta\" }", "format": "json"})
    assert status == 200 and json.loads(body) == {"head": {}, "boolean": True}
    q = "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:Person ; rdfs:label ?l }"
    status, headers, body = request(endpoint, query=q, headers={"Accept": "application/n-triples"})
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
    assert body.count(b"\n") > 5 and b"<http://www.w3.org/2000/01/rdf-schema#label>" in body
    status, headers, body = request(endpoint, query=q)
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    status, _, _ = request(endpoint, query=LABELS, headers={"Accept": "image/png"})
    assert status == 406


@pytest.mark.parametrize("how", ["form", "body", "query", "get"])
def test_updates_are_rejected(endpoint, how):
    update = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    if how == "form":
        res = request(endpoint, method="POST", data=form(update=update), headers=FORM)
    elif how == "body":
        res = request(endpoint, method="POST", data=update.encode(),
                      headers={"Content-Type": "application/sparql-update"})
    elif how == "query":
        res = request(endpoint, method="POST", data=form(update), headers=FORM)
    else:
        res = request(endpoint, params={"update": update})
    assert res[0] == 403, res
    assert b"read-only" in res[2]
    status, _, body = request(endpoint, query="ASK { <urn:x> <urn:y> <urn:z> }")
    assert json.loads(body)["boolean"] is False


def test_bad_requests(endpoint):
    assert request(endpoint, query="SELECT ?x WHERE { ?x")[0] == 400
    assert request(endpoint)[0] == 400  # no query
    assert request(endpoint.replace("/sparql", "/other"), query=LABELS)[0] == 404
    assert request(endpoint, method="PUT", data=b"x")[0] == 405
    assert request(endpoint, method="POST", data=b"x", headers={"Content-Type": "application/json"})[0] == 415


def test_result_cap(endpoint):
    status, headers, body = request(endpoint, query=LABELS)
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    assert headers["X-KG-Truncated"] == "true" and headers["X-KG-Max-Rows"] == str(MAX_ROWS)


def test_timeout_stops_the_query_and_the_endpoint_recovers(endpoint):
    started = time.monotonic()
    status, _, body = request(endpoint, query=SLOW)
    took = time.monotonic() - started
    assert status == 503 and b"timed out" in body
    assert TIMEOUT - 0.5 < took < TIMEOUT + 10
    # the stopped query's worker was replaced; queries keep working (the other worker answers
    # at once, the replacement joins once it has loaded the graph)
    for _ in range(3):
        status, _, body = request(endpoint, query="ASK { ?e rdfs:label \"Meta\" }")
        assert status == 200 and json.loads(body)["boolean"] is True


def test_negotiate_unit():
    assert negotiate(None, None, False) == "application/sparql-results+json"
    assert negotiate("text/*", None, False) == "text/csv"
    assert negotiate("text/*", None, True) == "text/turtle"
    assert negotiate("text/csv;q=0, application/xml", None, False) == "application/sparql-results+xml"
    assert negotiate(None, "tsv", False) == "text/tab-separated-values"
    assert negotiate(None, "png", False) is None


def test_kg_serve_command(corpus_build, kg_command):
    """The real command on a free port; loopback by default; stops on SIGTERM/SIGINT."""
    proc = subprocess.Popen(kg_command + ["serve", "-g", str(corpus_build.graph), "--port", "0", "--workers", "1",
                                          "--store", "memory"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line and "memory store" in line, (line, proc.stderr.read() if proc.poll() else "")
        url = line.rsplit(" at ", 1)[1].strip()
        status, _, body = request(url, query="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                  headers={"Accept": "text/csv"})
        assert status == 200 and body.decode().splitlines()[0] == "n" and int(body.decode().splitlines()[1]) > 500
        workers = _children(proc.pid)  # the query process (None: this kernel does not list children)
        assert workers is None or workers
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    workers = workers or []
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "query workers outlived `kg serve`"


def _children(pid: int) -> list[int] | None:
    from pathlib import Path

    files = list(Path(f"/proc/{pid}/task").glob("*/children"))
    if not files:
        return None
    return [int(x) for f in files for x in f.read_text().split()]


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] not in ("Z", "X")
    except OSError:
        return False
