"""Incremental, idempotent and parallel builds (issue 5): OUT/cache/ records, --workers, --engine dask.

One full extraction of the corpus (the conftest's session build) is reused as the seed cache where
possible; spaCy's pipeline is loaded once per test process (kg.build keeps it), so the extra builds
here cost seconds.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import kg.build
from kg.build import build_corpus, chunk_documents
from kg.cache import RecordCache, cache_name, content_digest
from kg.ingest import load_documents

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

HTML_DOC = """<html><head><title>Lab news</title></head><body>
<p>Dario Amodei leads <a href="https://en.wikipedia.org/wiki/Anthropic">Anthropic</a>, which developed Claude.</p>
</body></html>"""


def _no_nlp(*args, **kwargs):
    raise AssertionError("spaCy ran although every document was cached")


@pytest.fixture(scope="module")
def seeded(corpus_build, tmp_path_factory) -> Path:
    """A copy of the conftest's build folder (graph + cache of the 5 corpus documents)."""
    out = tmp_path_factory.mktemp("seeded") / "out"
    shutil.copytree(corpus_build.out, out)
    assert len(list((out / "cache").glob("*.json"))) == 5
    return out


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def test_rerun_does_no_nlp_and_leaves_graph_identical(seeded, corpus_build, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(seeded, out)
    before = (out / "graph.ttl").read_bytes()
    mtime = (out / "graph.ttl").stat().st_mtime_ns
    monkeypatch.setattr(kg.build, "worker_pipeline", _no_nlp)
    monkeypatch.setattr("kg.nlp.load_pipeline", _no_nlp)
    s = build_corpus([CORPUS], out)
    assert (s.processed, s.reused, s.dropped) == (0, 5, 0)
    assert "extract" not in s.timings
    assert (out / "graph.ttl").read_bytes() == before == corpus_build.graph.read_bytes()
    assert (out / "graph.ttl").stat().st_mtime_ns == mtime  # not even rewritten
    assert s.unchanged == [out / "graph.ttl", out / "graph.html"] and s.written == []
    first = float(corpus_build.stdout.split("time: ")[1].split(" s")[0])
    assert s.seconds < max(0.15 * first, 0.05), (s.seconds, first, s.timings)


def test_cli_summary_says_processed_and_reused(seeded, tmp_path, run_kg, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(seeded, out)
    monkeypatch.setattr(kg.build, "worker_pipeline", _no_nlp)
    res = run_kg("build", CORPUS, "-o", out)
    lines = res.stdout.splitlines()
    assert lines[0] == "documents: 5 built, 0 skipped"
    assert "cache: 0 processed, 5 reused" in lines
    assert f"unchanged {out / 'graph.ttl'}" in lines


def test_changed_added_and_removed_documents(seeded, corpus_copy, tmp_path):
    """Only new and changed documents go through spaCy; a vanished one is dropped; the result is
    byte-identical to a clean build of the same folder."""
    out = tmp_path / "out"
    shutil.copytree(seeded, out)
    files = sorted(corpus_copy.glob("*.txt"))
    files[0].unlink()  # removed
    changed = files[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nSatya Nadella is the CEO of Microsoft.\n",
                       encoding="utf-8")
    (corpus_copy / "zz_new.html").write_text(HTML_DOC, encoding="utf-8")  # added, with a link
    s = build_corpus([corpus_copy], out, html=False)
    assert (s.processed, s.reused, s.dropped) == (2, 3, 1)
    names = sorted(p.name for p in (out / "cache").glob("*.json"))
    assert names == sorted(cache_name(p.stem) for p in corpus_copy.iterdir())
    clean = tmp_path / "clean"
    c = build_corpus([corpus_copy], clean, html=False, use_cache=False)
    assert c.processed == 5 and not (clean / "cache").exists()
    assert (out / "graph.ttl").read_bytes() == (clean / "graph.ttl").read_bytes()
    ttl = (out / "graph.ttl").read_text(encoding="utf-8")
    assert "Satya Nadella" in ttl and "zz_new" in ttl and files[0].stem not in ttl


def test_stale_or_broken_records_are_recomputed(seeded, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(seeded, out)
    docs, _ = load_documents([CORPUS])
    broken = out / "cache" / cache_name(docs[2].id)
    broken.write_text("{not json", encoding="utf-8")
    seen = []
    real = kg.build.extract

    def spy(documents, *a, **kw):
        seen.extend(d.id for d in documents)
        return real(documents, *a, **kw)

    monkeypatch.setattr(kg.build, "extract", spy)
    s = build_corpus([CORPUS], out, html=False)
    assert seen == [docs[2].id] and (s.processed, s.reused) == (1, 4)
    assert json.loads(broken.read_text(encoding="utf-8"))["record"]["doc"] == docs[2].id

    # a different pipeline (model, patterns, KB, code) invalidates every record
    seen.clear()
    monkeypatch.setattr(kg.build, "pipeline_fingerprint", lambda model, scorer=None: "another pipeline")
    monkeypatch.setattr(kg.build, "worker_pipeline", _no_nlp)
    with pytest.raises(AssertionError, match="spaCy ran"):
        build_corpus([CORPUS], out, html=False)
    assert len(seen) == 5


def test_cache_key_follows_content(tmp_path):
    docs, _ = load_documents([CORPUS])
    cache = RecordCache(tmp_path, "fp")
    cache.put(docs[0], {"doc": docs[0].id, "words": 1, "entities": {}, "facts": []})
    assert cache.get(docs[0])["doc"] == docs[0].id
    from dataclasses import replace

    assert cache.get(replace(docs[0], text=docs[0].text + " more")) is None
    assert RecordCache(tmp_path, "other").get(docs[0]) is None
    assert content_digest(docs[0]) != content_digest(replace(docs[0], links=()) if docs[0].links else
                                                     replace(docs[0], text=docs[0].text[:-1]))
    assert cache_name("a/b c") != cache_name("a_b_c") and "/" not in cache_name("../x")
    assert RecordCache(tmp_path, "fp").prune([]) == 1 and not list(tmp_path.glob("*.json"))


def test_chunks_keep_order_and_cover_everything():
    docs, _ = load_documents([CORPUS])
    chunks = chunk_documents(docs, workers=2)
    assert len(chunks) > 1 and [d for c in chunks for d in c] == docs


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    for p in sorted(CORPUS.iterdir())[:3]:
        shutil.copy(p, folder)
    (folder / "zz_links.html").write_text(HTML_DOC, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def mixed_reference(mixed_corpus, tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("ref")
    build_corpus([mixed_corpus], out, html=False, use_cache=False)
    return (out / "graph.ttl").read_bytes()


def test_workers_give_the_same_graph(mixed_corpus, mixed_reference, tmp_path):
    """A process pool (records, not Docs, cross the process boundary; links reach the workers)."""
    s = build_corpus([mixed_corpus], tmp_path, html=False, workers=2, use_cache=False)
    assert s.processed == 4
    assert (tmp_path / "graph.ttl").read_bytes() == mixed_reference
    assert b"zz_links" in mixed_reference


def test_dask_engine_gives_the_same_graph(mixed_corpus, mixed_reference, tmp_path):
    pytest.importorskip("dask.bag")
    s = build_corpus([mixed_corpus], tmp_path / "sync", html=False, engine="dask", scheduler="sync")
    assert s.processed == 4 and s.engine == "dask"
    assert (tmp_path / "sync" / "graph.ttl").read_bytes() == mixed_reference


def test_dask_engine_on_a_cluster(mixed_corpus, mixed_reference, tmp_path, run_kg):
    """Through a scheduler address, as for a real cluster (an in-process LocalCluster here)."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        res = run_kg("build", mixed_corpus, "-o", tmp_path, "--no-html", "--engine", "dask",
                     "--scheduler", cluster.scheduler_address, "--workers", "2")
    assert "cache: 4 processed, 0 reused (dask engine, 2 workers)" in res.stdout.splitlines()
    assert (tmp_path / "graph.ttl").read_bytes() == mixed_reference
