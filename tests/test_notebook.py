"""notebooks/explore.ipynb runs top to bottom (nbclient, a real ipykernel), offline, on the corpus graph."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def test_committed_notebook_has_no_outputs():
    """Outputs would embed three views (~2 MB) and go stale; the test below makes them fresh."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.fixture(scope="module")
def executed(corpus_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    mp = pytest.MonkeyPatch()
    # The kernel inherits this process's environment: point the notebook at the session's build.
    mp.setenv("KG_GRAPH", str(corpus_build.graph))
    mp.setenv("KG_OUT", str(out))
    try:
        client = NotebookClient(nb, timeout=120, startup_timeout=60, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    finally:
        mp.undo()
    return nb, out


def outputs(nb, kind: str) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if kind == "stream" and o.output_type == "stream":
                parts.append(o.text)
            elif kind in o.get("data", {}):
                parts.append(o.data[kind])
    return "\n".join(parts)


def test_notebook_runs_and_answers(executed):
    nb, out = executed
    text = outputs(nb, "stream")
    assert re.search(r"^Yann LeCun -\S+-> FAIR -developed-> PyTorch$", text, re.M), text
    assert "- Meta is the most central entity (PageRank 0.15, 13 neighbours)." in text.splitlines()
    # Meta's deals at the default threshold: the Instagram acquisition ("bought for $1b in 2012"),
    # the CEO's investment in Scale AI ("He then invested $14.3 billion") and Meta's stake it
    # "would take" (not done)
    assert "1 acquisition and 2 investments by Meta or its leaders" in text.splitlines()
    assert "- Meta acquired Instagram: $1b in 2012 (doc 000_c4c6127d73d65f6c)" in text.splitlines()
    assert "- Mark Zuckerberg invested in Scale AI: $14.3b (doc 003_c485ab5086bd713f)" in text.splitlines()
    # the funding table of the bundled corpus (Elliot Schrage, "an investor in Scale", too); one deal in flight
    assert "3 investment events, 2 completed" in text.splitlines()
    assert "1 deal in flight (1 talks)" in text.splitlines()
    # Yann LeCun moved (Meta, FAIR, New York University); the CEO list sentence adds two wrong movers
    assert "No person has facts with two or more organisations in this graph." not in text.splitlines()
    assert "- 6 communities of two or more; the largest: 1: Meta, Mark Zuckerberg, Ahmad Al-Dahle, \u2026" in text.splitlines()
    tables = outputs(nb, "text/html")
    for expected in ("Mark Zuckerberg", "ceoOf", "Elliot Schrage", "Scale AI", "LLaMA", "communities",
                     "$14,300,000,000"):
        assert expected in tables, expected
    data_tables = "\n".join(o.data["text/html"] for c in nb.cells for o in c.get("outputs", [])
                            if "<table" in o.get("data", {}).get("text/html", "")
                            and "<iframe" not in o.data["text/html"])
    assert "Instagram" in data_tables and "Perplexity AI" not in data_tables
    assert "Meta, New York University, FAIR" in data_tables
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]


def test_notebook_views_are_inline_and_offline(executed):
    nb, out = executed
    frames = [o.data["text/html"] for c in nb.cells for o in c.get("outputs", [])
              if "<iframe" in o.get("data", {}).get("text/html", "")]
    assert len(frames) >= 3
    for frame in frames:
        assert 'sandbox="allow-scripts"' in frame and "vis-network" in frame
        assert not re.search(r"(src|href)=&quot;https?:", frame)
    path_page = (out / "path_lecun_pytorch.html").read_text(encoding="utf-8")
    assert all(name in path_page for name in ("Yann LeCun", "FAIR", "PyTorch"))
    assert (out / "communities.html").is_file()
