"""Shared fixtures: the bundled corpus built once per test session, and ways to run the `kg` CLI.

Everything here uses the project's own files (corpus/, tests/data/); nothing outside the
repository is read.
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def make_runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout (click 8.2+ always does; 8.1 needs asking)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def invoke(*args: str) -> CliResult:
    """Run `kg ARGS` in-process; exceptions are kept (not raised) like click's runner does."""
    result = make_runner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return CliResult(result.exit_code, result.stdout, result.stderr, exc)


@pytest.fixture(scope="session")
def run_kg():
    """`run_kg("facts", "-g", path)` -> CliResult; fails the test on an unexpected exception."""

    def run(*args: str, ok: bool = True) -> CliResult:
        res = invoke(*args)
        if ok and (res.exit_code != 0 or res.exception is not None):
            raise AssertionError(f"kg {' '.join(map(str, args))} failed ({res.exit_code}): "
                                 f"{res.exception!r}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")
        return res

    return run


@pytest.fixture(scope="session")
def kg_command() -> list[str]:
    """The installed `kg` console script (the real entry point), as an argv prefix."""
    script = Path(sys.executable).with_name("kg")
    if script.is_file():
        return [str(script)]
    found = shutil.which("kg")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from kg.cli import main; sys.argv[0] = 'kg'; main()"]


@dataclass
class Build:
    out: Path
    graph: Path
    html: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory) -> Build:
    """`kg build corpus/ -o TMP` once per session (about 5 s)."""
    out = tmp_path_factory.mktemp("build")
    res = invoke("build", CORPUS, "-o", out)
    if res.exit_code != 0 or res.exception is not None:
        raise AssertionError(f"kg build failed ({res.exit_code}): {res.exception!r}\n{res.stdout}\n{res.stderr}")
    return Build(out, out / "graph.ttl", out / "graph.html", res.stdout, res.stderr)


@pytest.fixture(scope="session")
def corpus_facts(corpus_build) -> list[dict]:
    res = invoke("facts", "-g", corpus_build.graph, "--format", "jsonl")
    assert res.exit_code == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def corpus_entities(corpus_build) -> list[dict]:
    res = invoke("entities", "-g", corpus_build.graph, "--format", "jsonl")
    assert res.exit_code == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
