"""Issue 6: bad input, faults and hostile text -- clear errors, nothing lost.

Documents that cannot be used are reported (file name and reason) and skipped while the rest of
the corpus builds; user mistakes print one "Error:" line and exit non-zero; interrupted or failing
builds leave the previous graph.ttl/graph.html whole; text from documents never becomes markup in
the HTML views nor SPARQL text; IRIs are valid, stable and collision-free; output is byte-identical
whatever the file order or the number of workers. Property-based tests are in test_properties.py.

Runtime with test_properties.py: about 60 s on the 2-core development machine (55 s of CPU), most of it
in the few builds that need the spaCy model (in-process builds reuse the model kg.build caches per
process) and in the concurrent runs of the real `kg` script.
"""
from __future__ import annotations

import errno
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import spacy
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg import ingest
from kg.extract import MAX_SENTENCE_TOKENS, cap_sentences
from kg.graph import DOC, ENT, KG, build_graph, doc_iri, serialize
from kg.ingest import IngestError, load_documents, read_document, text_to_document
from kg.query import KGError, find_entity, load_graph, local_name, to_networkx
from kg.resolve import Entity, Resolved, resolve
from kg.views import _vis_bundle, to_html

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
MINI_GRAPH = Path(__file__).resolve().parent / "data" / "mini_graph.ttl"
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))

GOOD_TEXT = "Sundar Pichai is the CEO of Google. Google developed TensorFlow.\n"


def rng_words(n_chars: int, seed: int = 6) -> str:
    """A run-on "sentence" of n_chars characters: words and names, no punctuation at all."""
    vocab = ("Google Meta acquired DeepMind and Yann LeCun leads FAIR while Microsoft invested in OpenAI "
             "which developed GPT with data from the web the company said that its engineers").split()
    rnd = random.Random(seed)
    words, size = [], 0
    while size < n_chars:
        words.append(rnd.choice(vocab))
        size += len(words[-1]) + 1
    return " ".join(words)[:n_chars]


def reason_of(path) -> str:
    with pytest.raises(IngestError) as exc:
        read_document(path)
    return str(exc.value)


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


# ================================================================================ documents (ingest)
def test_empty_and_blank_files_are_skipped_with_reason(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n\t \r\n")
    (tmp_path / "only-markup.html").write_text("<html><head><title>t</title></head><body><script>x()</script></body></html>")
    for name in ("empty.txt", "blank.md", "only-markup.html"):
        assert reason_of(tmp_path / name) == "empty document"


@pytest.mark.parametrize("name, data", [
    ("report.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 20),
    ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
    ("noise.txt", random.Random(6).randbytes(4096)),
    ("nul-heavy.html", b"a\x00" * 2000),
])
def test_binary_files_are_skipped(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    assert reason_of(tmp_path / name) == "binary file, not text"


def test_latin1_and_invalid_utf8_are_decoded_not_skipped(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Société Générale's chief in Besançon: Renée Müller.".encode("latin-1"))
    doc = read_document(latin1)
    assert doc.text == "Société Générale's chief in Besançon: Renée Müller."
    cp1252 = tmp_path / "cp1252.txt"
    cp1252.write_bytes(b"Meta\x92s \x93Llama\x94 \x96 a model \x85")  # Windows quotes, dash, ellipsis
    assert read_document(cp1252).text == "Meta\u2019s \u201cLlama\u201d \u2013 a model \u2026"
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(b"Caf\xc3\xa9 owner Ren\xe9e L\xf3pez joined Google.")  # UTF-8 and Latin-1 in one file
    text = read_document(mixed).text
    assert "joined Google." in text and "\ufffd" not in text and "L\u00f3pez" in text


def test_mixed_line_endings_become_newlines(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"Line one.\r\nLine two.\rLine three.\nLine four.\r\n\r\n\r\nLine five.")
    text = read_document(path).text
    assert "\r" not in text
    assert text == "Line one.\nLine two.\nLine three.\nLine four.\n\nLine five."


def test_nul_and_control_characters_are_removed(tmp_path):
    path = tmp_path / "control.txt"
    path.write_bytes(b"Tim\x00 Cook is the CEO\x07 of Apple.\x1b[0m\x0cNext\x7f page\x08.")
    text = read_document(path).text
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text)
    assert text.startswith("Tim Cook is the CEO of Apple.") and text.endswith("Next page.")


def test_20mb_text_is_skipped_quickly_with_a_clear_reason(tmp_path):
    # Measured: refused in ~0.06 s. Without the limit, ingest alone takes ~12 s (ftfy) and
    # extraction would run about twenty minutes (~17k characters/s), so the default is
    # spaCy's own max_length of 1,000,000 characters; `kg build --max-chars` changes it.
    path = tmp_path / "huge.txt"
    block = (CORPUS_FILES[1].read_text(encoding="utf-8") + "\n\n")
    path.write_text((block * (20_000_000 // len(block) + 1))[:20_000_000], encoding="utf-8")
    started = time.perf_counter()
    reason = reason_of(path)
    elapsed = time.perf_counter() - started
    assert reason == "document too large: 20,000,000 characters (limit 1,000,000; raise it with --max-chars)"
    assert elapsed < 5, f"refusing a 20 MB file took {elapsed:.1f} s"


def test_max_chars_is_configurable_and_html_counts_text_not_markup():
    text = "Google developed TensorFlow. " * 40  # 1160 characters
    with pytest.raises(IngestError, match=r"document too large: 1,160 characters \(limit 1,000;"):
        text_to_document("t", text, "text", "t.txt", max_chars=1000)
    assert text_to_document("t", text, "text", "t.txt", max_chars=None).text == text.strip()
    assert text_to_document("t", text, "text", "t.txt", max_chars=0).text == text.strip()
    # 5,000 characters of HTML holding 300 characters of text: judged by the text
    page = "<html><head><style>" + "p{}" * 1500 + "</style></head><body><p>" + "Meta bought Oculus. " * 15 + "</p></body></html>"
    assert len(text_to_document("p", page, "auto", "p.html", max_chars=1000).text) < 1000
    with pytest.raises(IngestError, match="document too large"):
        text_to_document("p", page, "auto", "p.html", max_chars=200)


def test_build_max_chars_option(run_kg, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "short.txt").write_text(GOOD_TEXT)
    (src / "long.txt").write_text(GOOD_TEXT * 3)
    res = run_kg("build", src, "-o", tmp_path / "out", "--no-html", "--max-chars", "100")
    assert res.stdout.splitlines()[0] == "documents: 1 built, 1 skipped"
    assert f"skipped {src / 'long.txt'}: document too large: 195 characters (limit 100; raise it with --max-chars)" in res.stderr


def test_unreadable_file_is_skipped(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text(GOOD_TEXT)
    (tmp_path / "fine.txt").write_text(GOOD_TEXT)
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: make open() fail the way it does for other users
        real_open = open

        def deny(file, *args, **kwargs):
            if Path(file) == path:
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(ingest, "open", deny, raising=False)
    try:
        docs, errors = load_documents([tmp_path])
    finally:
        path.chmod(0o644)
    assert [d.id for d in docs] == ["fine"]
    assert errors == [(str(path), "cannot read: permission denied")]


def test_symlink_loops_and_special_files_are_skipped(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(GOOD_TEXT)
    os.symlink(tmp_path, tmp_path / "sub" / "loop")  # a folder loop: never followed
    os.symlink("self.txt", tmp_path / "self.txt")  # a link to itself
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would block the build forever
    started = time.perf_counter()
    docs, errors = load_documents([tmp_path])
    assert time.perf_counter() - started < 5
    assert [d.id for d in docs] == ["a"]
    assert dict(errors) == {str(tmp_path / "pipe.txt"): "cannot read: not a regular file",
                            str(tmp_path / "self.txt"): "cannot read: too many levels of symbolic links"}


def test_html_scripts_styles_and_comments_are_not_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Chips &amp; AI</title><style>body{color:red}</style>"
        "<script>var s = '</p>Evil Corp acquired Google.';</script></head><body>"
        "<!-- Mark Zuckerberg founded Hooli. --><p>Jensen Huang is the CEO of Nvidia.</p>"
        "<noscript>Enable JavaScript</noscript><script src='x.js'></script>"
        "<p>See <a href=\"javascript:alert(1)\">this</a> and <a href=\"https://nvidia.com\">Nvidia</a>.</p>"
        "</body></html>", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "Chips & AI"
    assert doc.text == "Jensen Huang is the CEO of Nvidia.\n\nSee this and Nvidia."
    assert [link.href for link in doc.links] == ["https://nvidia.com"]  # the javascript: URL is dropped


def test_markdown_with_broken_links(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(
        "# Notes\n\nSee [the paper]( and [empty]() and [js](javascript:alert(1)) and "
        "[ok](https://example.com/a) and [ref][missing] and ![img](nowhere.png) and [unclosed](http://x.y\n\n"
        "Satya Nadella is the CEO of Microsoft.\n", encoding="utf-8")
    doc = read_document(path)
    assert "Satya Nadella is the CEO of Microsoft." in doc.text
    # markdown-it refuses javascript: links, so that one stays literal (inert) text, never a Link
    assert all(not link.href.lower().startswith("javascript:") for link in doc.links)
    assert "https://example.com/a" in [link.href for link in doc.links]
    for link in doc.links:
        assert doc.text[link.start:link.end] == link.text


@pytest.mark.parametrize("name, text", [
    ("german.txt", "Die Siemens AG hat ihren Sitz in München. Vorstandsvorsitzender ist Roland Busch."),
    ("chinese.md", "百度是一家中国互联网公司。李彦宏是百度的首席执行官。"),
    ("russian.txt", "«Яндекс» — российская компания. Её генеральный директор — Артём Савиновский."),
    ("arabic.html", "<p dir=rtl>شركة أرامكو السعودية هي أكبر شركة نفط في العالم.</p>"),
])
def test_non_english_text_is_kept(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert doc.text == re.sub(r"<[^>]+>", "", text)


def test_10000_tiny_files_are_read_fast(tmp_path):
    # Reading 10,000 files takes ~1.5 s here; extracting them all would take ~50 s (about 4 ms
    # of spaCy per document, not a per-file cost of ours), so the build test below uses 1,000.
    for i in range(10_000):
        (tmp_path / f"t{i:05d}.txt").write_text(f"Note {i}: Google hired engineer {i}.\n")
    started = time.perf_counter()
    docs, errors = load_documents([tmp_path])
    elapsed = time.perf_counter() - started
    assert errors == [] and len(docs) == 10_000
    assert elapsed < 30, f"reading 10,000 tiny files took {elapsed:.1f} s"


def test_tiny_files_build(run_kg, tmp_path):
    # 300 tiny files, ~2 s in-process. Measured with `kg build`: 10,000 tiny files 53 s and 2,000
    # 15 s, nearly all of it spaCy (~4 ms per document); reading them is the test above.
    src = tmp_path / "tiny"
    src.mkdir()
    for i in range(300):
        (src / f"t{i:04d}.txt").write_text(f"Note {i}: Sundar Pichai is the CEO of Google.\n")
    started = time.perf_counter()
    res = run_kg("build", src, "-o", tmp_path / "out", "--no-html")
    elapsed = time.perf_counter() - started
    assert res.stdout.splitlines()[0] == "documents: 300 built, 0 skipped"
    g = load_graph(tmp_path / "out" / "graph.ttl")
    assert len(set(g.subjects(RDF.type, KG.Document))) == 300
    assert elapsed < 60, f"building 300 tiny files took {elapsed:.1f} s"


# ================================================================================ long "sentences"
def test_cap_sentences_splits_only_runs_without_sentence_ends():
    nlp = spacy.blank("en")
    ordinary = nlp.make_doc(CORPUS_FILES[0].read_text(encoding="utf-8"))
    assert cap_sentences(ordinary) == 0  # real text is never touched
    run = nlp.make_doc(rng_words(100_000))
    splits = cap_sentences(run)
    assert splits >= len(run) // (MAX_SENTENCE_TOKENS + 1)
    starts = [t.i for t in run if t.is_sent_start] + [len(run)]
    assert max(b - a for a, b in zip(starts, starts[1:])) <= MAX_SENTENCE_TOKENS + 1
    # a comma late in the run is preferred as the cut
    commas = nlp.make_doc(", ".join(["alpha beta gamma delta"] * 200))
    cap_sentences(commas)
    assert all(commas[t.i - 1].text == "," for t in commas if t.is_sent_start and t.i > 0)


# ================================================================================ a messy corpus, end to end
@pytest.fixture(scope="module")
def messy_build(kg_command, tmp_path_factory):
    """`kg build` (the real console script) over a folder of every kind of bad input plus a few
    good documents, including a 20 MB text and a 100,000-character sentence."""
    tmp = tmp_path_factory.mktemp("messy")
    src = tmp / "corpus"
    (src / "sub").mkdir(parents=True)
    files = {
        "good.txt": GOOD_TEXT.encode(),
        "empty.txt": b"",
        "report.txt": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "image.md": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        "noise.txt": random.Random(1).randbytes(8192),
        "latin1.txt": "Renée Müller works for Siemens in München. Roland Busch is the CEO of Siemens.".encode("latin-1"),
        "crlf.txt": b"Satya Nadella is the CEO of Microsoft.\r\nMicrosoft invested in OpenAI.\rOpenAI developed ChatGPT.\n",
        "control.txt": b"Tim\x00 Cook is the CEO\x07 of Apple.\x1b[0m Apple acquired Beats in 2014.",
        "page.html": (b"<html><head><style>p{}</style><script>Evil Corp acquired Hooli.</script></head><body>"
                      b"<!-- Gavin Belson founded Hooli. --><p>Jensen Huang is the CEO of Nvidia.</p></body></html>"),
        "broken.md": b"[dead]( and [js](javascript:alert(1)) and [ok](https://example.com)\n\nElon Musk founded xAI.\n",
        "german.txt": "Roland Busch ist Vorstandsvorsitzender der Siemens AG in München.".encode(),
        "chinese.md": "李彦宏是百度的首席执行官。".encode(),
        "sub/long.txt": rng_words(100_000).encode(),
    }
    for name, data in files.items():
        (src / name).write_bytes(data)
    block = CORPUS_FILES[1].read_bytes() + b"\n\n"
    (src / "huge.txt").write_bytes((block * (20_000_000 // len(block) + 1))[:20_000_000])
    os.symlink(src, src / "sub" / "loop")
    os.symlink("self.txt", src / "self.txt")
    os.mkfifo(src / "pipe.txt")
    out = tmp / "out"
    started = time.perf_counter()
    proc = subprocess.run(kg_command + ["build", str(src), "-o", str(out)], capture_output=True, text=True,
                          timeout=300, cwd=tmp)
    return src, out, proc, time.perf_counter() - started


def test_messy_corpus_builds_and_reports_each_skipped_file(messy_build):
    src, out, proc, seconds = messy_build
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    skipped, notes = {}, {}
    for line in proc.stderr.splitlines():
        m = re.fullmatch(r"(skipped|note) (.+?): (.+)", line)
        assert m, f"unexpected stderr line: {line!r}"
        (skipped if m.group(1) == "skipped" else notes)[Path(m.group(2)).name] = m.group(3)
    assert skipped == {
        "empty.txt": "empty document",
        "report.txt": "binary file, not text",
        "image.md": "binary file, not text",
        "noise.txt": "binary file, not text",
        "huge.txt": "document too large: 19,772,862 characters (limit 1,000,000; raise it with --max-chars)",
        "self.txt": "cannot read: too many levels of symbolic links",
        "pipe.txt": "cannot read: not a regular file",
        # a 100,000-character line with no punctuation is not prose (issue 15): left out, with a reason
        "long.txt": "no sentences: 100,000 characters without sentence punctuation",
    }
    assert notes == {"latin1.txt": "not valid UTF-8 (byte 3), read as Windows-1252"}
    assert proc.stdout.splitlines()[:2] == ["documents: 8 built, 8 skipped",
                                            "repaired: 1 document (not UTF-8, read as Windows-1252: 1)"]
    g = load_graph(out / "graph.ttl")
    built = {str(x) for x in g.objects(None, DCTERMS.identifier)}
    assert built == {"good", "latin1", "crlf", "control", "page", "broken", "german", "chinese"}
    assert "Nvidia" in {str(x) for x in g.objects(None, RDFS.label)}
    ttl = (out / "graph.ttl").read_text(encoding="utf-8")
    assert "Hooli" not in ttl and "Evil Corp" not in ttl  # script and comment text never becomes data
    assert "\r" not in ttl and "\x00" not in ttl and "\x07" not in ttl
    page = (out / "graph.html").read_text(encoding="utf-8")
    assert "Jensen Huang" in page


def test_messy_corpus_time_with_100k_character_sentence(messy_build):
    # Measured: the whole build ~12 s (interpreter and model ~3 s, the 100,000-character run-on
    # sentence ~5 s). Before the fix that sentence alone took 19 s, quadratic in the run length
    # (doc.ents rebuilt per relation match; unbounded "+" alias patterns; tree walks over one
    # 20,000-token "sentence"), and ~80 s for a run made only of names.
    src, out, proc, seconds = messy_build
    assert proc.returncode == 0
    assert seconds < 120, f"messy build took {seconds:.1f} s"
    rows = [line for line in proc.stdout.splitlines() if line.startswith("time:")]
    assert rows, proc.stdout


def test_facts_from_messy_documents_point_into_the_cleaned_text(messy_build, run_kg):
    src, out, proc, _ = messy_build
    import json

    rows = [json.loads(line) for line in run_kg("facts", "-g", out / "graph.ttl", "--format", "jsonl").stdout.splitlines()]
    assert {r["doc"] for r in rows} >= {"good", "crlf"}
    texts = {}
    for r in rows:
        if r["doc"] not in texts:
            name = next(p for p in src.rglob(r["doc"] + ".*") if p.is_file() and not p.is_symlink())
            texts[r["doc"]] = read_document(name).text
        assert texts[r["doc"]][r["start"]:r["end"]].strip() == r["sentence"]


# ================================================================================ user mistakes
@pytest.fixture(scope="module")
def mistakes(kg_command, tmp_path_factory, hostile_graph):
    """Every mistake through the real `kg` script, concurrently (each start-up is about 1 s); the
    weird_* runs are not mistakes but names with quotes, braces and newlines (see below)."""
    tmp = tmp_path_factory.mktemp("mistakes")
    (tmp / "not-rdf.ttl").write_text("<<< this is { not turtle\n", encoding="utf-8")
    (tmp / "pdf.ttl").write_bytes(b"%PDF-1.4\n\x00\x01\x02\xff")
    (tmp / "afile").write_text("a regular file, used as a folder below\n")
    (tmp / "docs").mkdir()
    (tmp / "docs" / "a.txt").write_text(GOOD_TEXT)
    g, t = str(MINI_GRAPH), str(tmp)
    cases = {
        "malformed_sparql": ["query", "SELECT ?s WHERE { ?s ?p ", "-g", g],
        "update_insert": ["query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "-g", g],
        "update_drop": ["query", "DROP ALL", "-g", g],
        "missing_graph": ["entities", "-g", f"{t}/nothing-here.ttl"],
        "graph_not_rdf": ["facts", "-g", f"{t}/not-rdf.ttl"],
        "graph_binary": ["query", "SELECT * WHERE { ?s ?p ?o }", "-g", f"{t}/pdf.ttl"],
        "unknown_show": ["show", "Nobody Atall", "-g", g, "-o", f"{t}/s.html"],
        "unknown_path": ["path", "Yann LeCun", "Nobody Atall", "-g", g, "-o", f"{t}/p.html"],
        "no_connection": ["path", "Yann LeCun", "Google", "-g", g, "-o", f"{t}/p.html"],
        "build_out_under_file": ["build", f"{t}/docs", "-o", f"{t}/afile/sub"],
        "show_out_under_file": ["show", "Meta", "-g", g, "-o", f"{t}/afile/sub/show.html"],
        "export_out_under_file": ["export", "-g", g, "-o", f"{t}/afile/sub/graph.nt"],
        "unknown_format_facts": ["facts", "-g", g, "--format", "xml"],
        "unknown_format_query": ["query", "SELECT * WHERE { ?s ?p ?o }", "-g", g, "--format", "yaml"],
        "unknown_format_entities": ["entities", "-g", g, "--format", "pdf"],
        "weird_show": ["show", WEIRD_NAMES[0], "-g", str(hostile_graph), "-o", f"{t}/weird-s.html"],
        "weird_path": ["path", WEIRD_NAMES[2], WEIRD_NAMES[0], "-g", str(hostile_graph), "-o", f"{t}/weird-p.html"],
        "injection_path": ["path", INJECTIONS[2], "Loner Inc", "-g", str(hostile_graph), "-o", f"{t}/i.html"],
    }

    def run(args):
        return subprocess.run(kg_command + args, capture_output=True, text=True, timeout=120, cwd=tmp)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(cases, pool.map(run, cases.values())))


MISTAKE_CASES = ["malformed_sparql", "update_insert", "update_drop", "missing_graph", "graph_not_rdf",
                 "graph_binary", "unknown_show", "unknown_path", "no_connection", "build_out_under_file",
                 "show_out_under_file", "export_out_under_file",
                 "unknown_format_facts", "unknown_format_query", "unknown_format_entities"]


@pytest.mark.parametrize("case", MISTAKE_CASES)
def test_mistake_is_one_error_line(mistakes, case):
    proc = mistakes[case]
    no_traceback(proc)
    assert proc.returncode != 0
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr


def test_mistake_messages_and_exit_codes(mistakes):
    msg = {case: proc.stderr.strip() for case, proc in mistakes.items()}
    code = {case: proc.returncode for case, proc in mistakes.items()}
    assert msg["malformed_sparql"].startswith("Error: malformed SPARQL query:")
    assert "read-only" in msg["update_insert"] and "read-only" in msg["update_drop"]
    assert "graph file not found" in msg["missing_graph"] and "nothing-here.ttl" in msg["missing_graph"]
    assert "not a readable RDF graph" in msg["graph_not_rdf"] and "not-rdf.ttl" in msg["graph_not_rdf"]
    assert "not a readable RDF graph" in msg["graph_binary"]
    assert msg["unknown_show"].startswith("Error: unknown entity: 'Nobody Atall'")
    assert msg["unknown_path"].startswith("Error: unknown entity: 'Nobody Atall'")
    assert msg["no_connection"] == "Error: no connection between Yann LeCun and Google"
    assert msg["build_out_under_file"].startswith("Error: output folder not writable:")
    for case in ("show_out_under_file", "export_out_under_file"):
        assert "not a directory" in msg[case].lower() and "afile" in msg[case], msg[case]
    for case in ("unknown_format_facts", "unknown_format_query", "unknown_format_entities"):
        assert msg[case].startswith("Error: Invalid value for '--format'"), msg[case]
        assert code[case] == 2  # click's usage-error status
    assert {code[c] for c in MISTAKE_CASES if not c.startswith("unknown_format")} == {1}
    assert code["injection_path"] == 1 and msg["injection_path"].startswith("Error: unknown entity:")
    assert mistakes["no_connection"].stdout == ""


# ================================================================================ faults
def _small_corpus(folder: Path, files: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def _pair(out: Path) -> tuple[bytes, bytes]:
    return (out / "graph.ttl").read_bytes(), (out / "graph.html").read_bytes()


def _assert_whole(out: Path) -> None:
    g = Graph()
    g.parse(out / "graph.ttl", format="turtle")
    assert len(g) > 0
    page = (out / "graph.html").read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>")


@pytest.fixture()
def previous_build(run_kg, tmp_path):
    """An output folder holding a good graph of a two-document corpus."""
    out = tmp_path / "out"
    run_kg("build", _small_corpus(tmp_path / "a", CORPUS_FILES[3:5]), "-o", out)
    return out, _pair(out)


@pytest.mark.parametrize("failing_call", [1, 2])
def test_disk_full_keeps_previous_graph(previous_build, tmp_path, monkeypatch, capsys, failing_call):
    """ENOSPC while writing graph.ttl (call 1) or graph.html (call 2): neither file changes."""
    from kg import graph as kg_graph
    from kg.cli import main

    out, before = previous_build
    new_corpus = _small_corpus(tmp_path / "b", CORPUS_FILES[2:3])
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(kg_graph.os, "fsync", fsync)
    with pytest.raises(SystemExit) as exc:
        main(["build", str(new_corpus), "-o", str(out)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"Error: cannot write to {out}: No space left on device; the previous graph files are unchanged"]
    assert _pair(out) == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    _assert_whole(out)

    monkeypatch.setattr(kg_graph.os, "fsync", real_fsync)  # the disk has room again
    with pytest.raises(SystemExit) as exc:
        main(["build", str(new_corpus), "-o", str(out)])
    assert exc.value.code == 0
    assert _pair(out)[0] != before[0] and _pair(out)[1] != before[1]
    _assert_whole(out)
    assert {str(x) for x in load_graph(out / "graph.ttl").objects(None, DCTERMS.identifier)} == {CORPUS_FILES[2].stem}


@pytest.mark.parametrize("failing_target", ["graph.ttl", "graph.html"])
def test_failed_rename_keeps_previous_graph(previous_build, tmp_path, monkeypatch, run_kg, failing_target):
    """A rename that fails after graph.ttl was already replaced puts the old graph.ttl back."""
    from kg import graph as kg_graph

    out, before = previous_build
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == failing_target:
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(kg_graph.os, "replace", replace)
    res = run_kg("build", _small_corpus(tmp_path / "b", CORPUS_FILES[2:3]), "-o", out, ok=False)
    assert res.exit_code == 1 and isinstance(res.exception, KGError)
    assert "Input/output error" in str(res.exception)
    assert _pair(out) == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_sigkill_midway_keeps_previous_graph_and_next_build_recovers(previous_build, tmp_path, kg_command, run_kg):
    out, before = previous_build
    big = tmp_path / "big"
    big.mkdir()
    for f in CORPUS_FILES:  # five documents, extracted in one spaCy batch of a few seconds
        shutil.copy(f, big / f"copy_{f.name}")
    proc = subprocess.Popen(kg_command + ["build", str(big), "-o", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    cache = out / "cache"
    deadline = time.monotonic() + 120
    # kill as soon as the build has started writing (its first per-document record), else after 120 s
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith("copy") for p in cache.glob("*.json")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the build finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _pair(out) == before
    _assert_whole(out)

    res = run_kg("build", big, "-o", out)  # the next build recovers, reusing what was cached
    assert res.stdout.splitlines()[0] == "documents: 5 built, 0 skipped"
    _assert_whole(out)
    assert len(set(load_graph(out / "graph.ttl").objects(None, DCTERMS.identifier))) == 5


KILL_AFTER_FIRST_RENAME = """
import os, signal, sys
real_replace = os.replace
def replace(src, dst, *args, **kwargs):
    real_replace(src, dst, *args, **kwargs)
    if str(dst).endswith("graph.ttl"):
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from kg.cli import main
sys.argv = ["kg", "build", *sys.argv[1:]]
main()
"""


def test_sigkill_between_the_two_renames(previous_build, tmp_path, run_kg):
    """The one window left (documented in README "Errors"): killed right after graph.ttl was
    replaced, graph.html is still the previous one. Both are whole; the next build pairs them."""
    out, before = previous_build
    new_corpus = _small_corpus(tmp_path / "b", CORPUS_FILES[2:3])
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_RENAME, str(new_corpus), "-o", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    ttl, page = _pair(out)
    assert ttl != before[0] and page == before[1]
    _assert_whole(out)
    res = run_kg("build", new_corpus, "-o", out)
    assert f"wrote {out / 'graph.html'}" in res.stdout
    fresh = tmp_path / "fresh"
    run_kg("build", new_corpus, "-o", fresh)
    assert _pair(out) == _pair(fresh)


# ================================================================================ security: HTML
XSS_SCRIPT = "<script>alert('xss-1')</script>"
XSS_IMG = "<img src=x onerror=alert('xss-2')>"
XSS_JS_URL = "javascript:alert('xss-3')"
XSS_CLOSE = "</script><script>alert('xss-4')</script>"
PAYLOADS = (XSS_SCRIPT, XSS_IMG, XSS_CLOSE, "<svg onload=alert(5)>")


def hostile_resolved() -> Resolved:
    """Entity names, aliases, sentences and document ids that are all attacks."""
    r = Resolved()
    ents = [
        Entity("evil_corp", f"Evil{XSS_SCRIPT}Corp", "Company", [XSS_IMG, 'Evil "Quoted" {Corp} \\ back'], None, ["d1"], 3),
        Entity("js_product", XSS_JS_URL, "Product", ["<svg onload=alert(5)>"], None, ["d1"], 1),
        Entity("closer", f"Mallory {XSS_CLOSE}", "Person", ["Line\nBreak Person"], None, ["d1"], 2),
        Entity("weird_name", 'Acme "Quoted" {Braces} \\Back\\slash', "Company", ['x" } UNION { ?s ?p ?o } #'], None, ["d1"], 1),
        Entity("loner", "Loner Inc", "Company", [], None, ["d1"], 1),
    ]
    r.entities = {e.id: e for e in ents}
    doc_id = f"d1{XSS_SCRIPT}"
    for e in ents:
        e.docs = [doc_id]
    r.documents = [{"doc": doc_id, "title": XSS_CLOSE, "path": f"/tmp/{doc_id}.txt", "sha256": "0" * 64, "words": 9}]
    sentence = f'Mallory said "{XSS_CLOSE}{XSS_IMG}" then <a href="{XSS_JS_URL}">click</a>.'
    r.facts = [
        {"subject": "closer", "predicate": "worksFor", "object": "evil_corp", "doc": doc_id, "sentence": sentence,
         "start": 0, "end": len(sentence), "confidence": 0.9},
        {"subject": "evil_corp", "predicate": "developed", "object": "js_product", "doc": doc_id,
         "sentence": f"{XSS_SCRIPT} shipped.", "start": 5, "end": 30, "confidence": 0.8},
        {"subject": "weird_name", "predicate": "acquired", "object": "evil_corp", "doc": doc_id,
         "sentence": "Acme bought it\n\\ with } braces {.", "start": 40, "end": 60, "confidence": 0.7, "price_usd": 1e9},
    ]
    return r


@pytest.fixture(scope="module")
def hostile_graph(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "graph.ttl"
    path.write_bytes(serialize(build_graph(hostile_resolved())))
    return path


def assert_inert(page: str) -> None:
    """No payload survives as markup: the only script blocks are the page's own two, nothing
    opens an <img>/<svg>, and no attribute holds a javascript: URL."""
    js, css = _vis_bundle(_pyvis_templates())
    body = page.replace(js, "").replace(css, "")
    assert body.count("<script") == 2 and body.lower().count("</script") == 2, "extra script block"
    for payload in PAYLOADS:
        assert payload not in body
    assert "<img" not in body.lower() and "<svg" not in body.lower()
    assert not re.search(r"(?:href|src|action)\s*=\s*[\"']?\s*javascript:", body, re.I)
    assert "\u2028" not in body and "\u2029" not in body


def _pyvis_templates() -> str:
    from pyvis.network import Network

    return Network().template_dir


def test_full_view_of_hostile_graph_is_inert(hostile_graph):
    page = to_html(to_networkx(load_graph(hostile_graph)), title="techkg: full graph")
    assert_inert(page)
    assert "\\u003cscript\\u003ealert('xss-1')" in page  # the text is there, as inert JSON text


def test_show_and_path_views_of_hostile_graph_are_inert(hostile_graph, run_kg, tmp_path):
    res = run_kg("show", f"Evil{XSS_SCRIPT}Corp", "-g", hostile_graph, "-o", tmp_path / "show.html", "--depth", "2")
    page = (tmp_path / "show.html").read_text(encoding="utf-8")
    assert_inert(page)
    assert "<title>techkg: Evil&lt;script&gt;alert(&#x27;xss-1&#x27;)&lt;/script&gt;Corp</title>" in page
    run_kg("path", f"Mallory {XSS_CLOSE}", XSS_JS_URL, "-g", hostile_graph, "-o", tmp_path / "path.html")
    assert_inert((tmp_path / "path.html").read_text(encoding="utf-8"))
    assert "Mallory" in res.stdout or "Evil" in res.stdout


def test_built_graph_with_payloads_in_documents_is_inert(run_kg, tmp_path):
    src = tmp_path / "xss"
    src.mkdir()
    (src / "attack.txt").write_text(
        f"Sundar Pichai is the CEO of Google. {XSS_SCRIPT} Google acquired DeepMind {XSS_IMG} in 2014.\n"
        f"Satya Nadella {XSS_CLOSE} is the CEO of Microsoft. Microsoft developed Copilot <b onmouseover=x>.\n",
        encoding="utf-8")
    (src / "links.md").write_text(f"[Meta]({XSS_JS_URL}) acquired [Instagram](https://instagram.com).\n", encoding="utf-8")
    out = tmp_path / "out"
    run_kg("build", src, "-o", out)
    ttl = (out / "graph.ttl").read_text(encoding="utf-8")
    assert "xss-1" in ttl  # the evidence sentence keeps the text ...
    assert_inert((out / "graph.html").read_text(encoding="utf-8"))  # ... which the view renders inert
    run_kg("show", "Google", "-g", out / "graph.ttl", "-o", tmp_path / "g.html")
    assert_inert((tmp_path / "g.html").read_text(encoding="utf-8"))
    run_kg("path", "Sundar Pichai", "DeepMind", "-g", out / "graph.ttl", "-o", tmp_path / "p.html")
    assert_inert((tmp_path / "p.html").read_text(encoding="utf-8"))


# ================================================================================ security: SPARQL
WEIRD_NAMES = ['Acme "Quoted" {Braces} \\Back\\slash', 'Evil "Quoted" {Corp} \\ back', "Line\nBreak Person",
               'x" } UNION { ?s ?p ?o } #']
INJECTIONS = ['" } ?s ?p ?o { "', "') || true || ('", "\\\" . } DELETE WHERE { ?s ?p ?o } #", "*", "?s",
              "<https://w3id.org/techkg/entity/loner>", "}\n{", "Loner Inc\" ; rdfs:label ?x . #"]


def test_weird_names_are_found_and_injections_are_unknown(hostile_graph, monkeypatch):
    g = load_graph(hostile_graph)
    seen: list[str] = []
    real_query = Graph.query

    def spy(self, query_object, *args, **kwargs):
        seen.append(str(query_object))
        return real_query(self, query_object, *args, **kwargs)

    monkeypatch.setattr(Graph, "query", spy)
    assert find_entity(g, WEIRD_NAMES[0]) == ENT["weird_name"]
    assert find_entity(g, WEIRD_NAMES[1]) == ENT["evil_corp"]
    assert find_entity(g, "Line  Break\tperson") == ENT["closer"]  # the same name, other whitespace
    assert find_entity(g, WEIRD_NAMES[3]) == ENT["weird_name"]  # an alias that looks like SPARQL
    for name in INJECTIONS:
        with pytest.raises(KGError, match="unknown entity"):
            find_entity(g, name)
    assert not any(name in q for q in seen for name in WEIRD_NAMES + INJECTIONS)


def test_weird_names_through_the_real_script(mistakes):
    show, path = mistakes["weird_show"], mistakes["weird_path"]
    assert show.returncode == 0 and show.stdout.startswith(WEIRD_NAMES[0] + " (Company)"), show.stderr
    assert path.returncode == 0 and "acquired" in path.stdout, path.stderr
    for proc in (show, path, mistakes["injection_path"]):
        no_traceback(proc)


# ================================================================================ IRIs
def record(doc: str, *ents: tuple[str, str, str | None]) -> dict:
    """An extraction record with entities (key, label, type[, kb]) and no facts."""
    entities = {}
    for key, label, etype, *kb in ents:
        entities[key] = {"label": label, "type": etype, "kb": kb[0] if kb else None, "wikidata": None,
                         "aliases": [], "mentions": 1}
    return {"doc": doc, "title": doc, "path": f"{doc}.txt", "sha256": "0" * 64, "words": 1,
            "entities": entities, "facts": []}


def test_iris_are_collision_free():
    from hashlib import sha1

    long = "Very Long Organisation Name That Goes On And On Past Sixty Characters"
    hashed = "foo_" + sha1("Org:foo".encode()).hexdigest()[:6]  # what "Foo" the company gets
    recs = [
        record("a", ("1", "C", "Product"), ("2", "C++", "Product"), ("3", "C#", "Product"), ("4", "Apple Music", "Product")),
        record("b", ("1", "foo", "Product"), ("2", "Foo", "Company"), ("3", long + " Alpha", "Company"),
               ("4", long + " Beta", "Company")),
        record("c", ("1", "百度", "Company"), ("2", "阿里巴巴", "Company"), ("3", "Яндекс", "Company"),
               ("4", hashed.replace("_", " "), "Product")),
    ]
    res = resolve(recs)
    labels = {e.label: e.id for e in res.entities.values()}
    assert len(labels) == 12 and len(set(labels.values())) == 12, labels
    assert labels["foo"] == "foo" and labels["Foo"] == hashed and labels[hashed.replace("_", " ")] != hashed
    for slug in labels.values():
        assert re.fullmatch(r"[a-z0-9_]{1,80}", slug), slug
        URIRef(ENT[slug]).n3()  # raises for an invalid IRI


def test_iris_are_stable_across_builds_and_inputs():
    recs = [record("a", ("1", "Meta", "Product"), ("2", "Sundar Pichai", "Person")),
            record("b", ("1", "Meta", "Company", "meta"), ("2", "Pichai", "Person"))]
    first = resolve(recs)
    again = resolve(list(reversed(recs)))
    assert {e.id: e.label for e in first.entities.values()} == {e.id: e.label for e in again.entities.values()}
    # the knowledge-base entity always keeps its plain IRI, whatever else shares the slug
    assert first.entities["meta"].type == "Company"
    alone = resolve([recs[1]])
    assert alone.entities["meta"].label == first.entities["meta"].label
    # an entity keeps its IRI when unrelated documents are added
    more = resolve(recs + [record("c", ("1", "OpenAI", "Company"), ("2", "Sam Altman", "Person"))])
    assert {k: v.label for k, v in first.entities.items()}.items() <= {k: v.label for k, v in more.entities.items()}.items()


def test_document_iris_for_any_file_name():
    for stem in ["000_c4c6127d73d65f6c", 'my notes (draft) "v2" <x> #1 100%', "résumé 百度", "a/b\\c", " "]:
        iri = doc_iri(stem)
        assert iri.n3()  # valid
        assert local_name(iri) == stem
    assert doc_iri("000_c4c6127d73d65f6c") == DOC["000_c4c6127d73d65f6c"]  # plain ids unchanged


def test_odd_file_names_build(run_kg, tmp_path):
    src = tmp_path / "odd"
    src.mkdir()
    (src / 'my notes (draft) "v2" <x> #1 100%.txt').write_text(GOOD_TEXT, encoding="utf-8")
    (src / "résumé 百度.md").write_text("Satya Nadella is the CEO of Microsoft.\n", encoding="utf-8")
    with open(os.fsencode(src) + b"/bad\xff\xfename.txt", "w", encoding="utf-8") as fh:  # not UTF-8
        fh.write("Tim Cook is the CEO of Apple.\n")
    out = tmp_path / "out"
    run_kg("build", src, "-o", out)
    g = load_graph(out / "graph.ttl")
    ids = {str(x) for x in g.objects(None, DCTERMS.identifier)}
    assert ids == {'my notes (draft) "v2" <x> #1 100%', "résumé 百度", "bad\ufffd\ufffdname"}
    docs = {r for r in run_kg("facts", "-g", out / "graph.ttl", "--format", "csv").stdout.splitlines()}
    assert any("résumé 百度" in line for line in docs)


# ================================================================================ determinism
def test_same_bytes_whatever_the_file_order(corpus_build, run_kg, tmp_path):
    rev = tmp_path / "reversed"
    rev.mkdir()
    for f in reversed(CORPUS_FILES):  # created (and so listed, on most file systems) in reverse order
        shutil.copy(f, rev / f.name)
        time.sleep(0.01)
    run_kg("build", rev, "-o", tmp_path / "o1", "--no-html")
    assert (tmp_path / "o1" / "graph.ttl").read_bytes() == corpus_build.graph.read_bytes()
    shuffled = [str(rev / f.name) for f in CORPUS_FILES]
    random.Random(3).shuffle(shuffled)
    assert shuffled != sorted(shuffled)
    run_kg("build", *shuffled, "-o", tmp_path / "o2", "--no-html")
    assert (tmp_path / "o2" / "graph.ttl").read_bytes() == corpus_build.graph.read_bytes()


def test_same_bytes_whatever_the_workers(run_kg, kg_command, tmp_path):
    src = _small_corpus(tmp_path / "src", CORPUS_FILES[2:5])
    run_kg("build", src, "-o", tmp_path / "w1", "--workers", "1")
    proc = subprocess.run(kg_command + ["build", str(src), "-o", str(tmp_path / "w2"), "--workers", "2"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2 workers" in proc.stdout  # the pool really ran
    assert (tmp_path / "w2" / "graph.ttl").read_bytes() == (tmp_path / "w1" / "graph.ttl").read_bytes()
    assert (tmp_path / "w2" / "graph.html").read_bytes() == (tmp_path / "w1" / "graph.html").read_bytes()


def test_a_document_the_pipeline_fails_on_is_skipped_and_the_rest_builds(tmp_path, monkeypatch):
    """A crash inside a pipeline component on one document is reported; the others still build."""
    from kg.build import build_corpus
    from kg.nlp.mentions import MentionResolver

    original = MentionResolver.__call__

    def exploding(self, doc):
        if "EXPLODE" in doc.text:
            raise RuntimeError("boom on purpose")
        return original(self, doc)

    monkeypatch.setattr(MentionResolver, "__call__", exploding)
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Microsoft acquired GitHub in 2018.", encoding="utf-8")
    (corpus / "bad.txt").write_text("EXPLODE. Google acquired YouTube in 2006.", encoding="utf-8")
    warnings = []
    summary = build_corpus([corpus], tmp_path / "out", html=False, use_cache=False, warn=warnings.append)
    assert summary.documents == 1
    assert [(Path(p).name, r) for p, r in summary.skipped] == [
        ("bad.txt", "extraction failed (RuntimeError: boom on purpose)")]
    assert warnings == [f"skipped {corpus / 'bad.txt'}: extraction failed (RuntimeError: boom on purpose)"]
    g = load_graph(tmp_path / "out" / "graph.ttl")
    labels = {str(o) for o in g.objects(None, RDFS.label)}
    assert "GitHub" in labels and "YouTube" not in labels
    with pytest.raises(KGError, match="no document could be extracted"):
        build_corpus([corpus / "bad.txt"], tmp_path / "out2", html=False, use_cache=False)
