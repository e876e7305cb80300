"""README check (issue 15, item 18): every command of README's "Tour of the commands" is run on the
bundled corpus and its output compared with the README's block (tests/readme_check.py; lines that
are only "…" stand for elided output, the numbers on "time:" lines are not compared). After a
change in the extraction, `python tests/readme_check.py --update` re-syncs the README.
About 6 s: one build of the corpus (in this process, so the spaCy model may already be loaded).
"""
from __future__ import annotations

import difflib

import readme_check as rc


def test_every_tour_command_prints_what_the_readme_shows():
    text = rc.README.read_text(encoding="utf-8")
    blocks = rc.parse(text)
    commands = [s.command.split()[1] if s.command.startswith("kg ") else s.command.split()[0]
                for b in blocks for s in b.steps]
    # the Tour shows each command a new user tries first
    assert {"build", "facts", "entities", "show", "path", "eval", "query", "cat"} <= set(commands)
    rc.run_all(blocks)
    bad = rc.drifted(blocks)
    report = "\n".join(
        f"$ {step.command.splitlines()[0]}\n"
        + "\n".join(difflib.unified_diff(step.expected, rc.regenerate(step.expected, step.actual),
                                         "README", "actual", lineterm=""))
        for step, _ in bad)
    assert not bad, f"README drifted (python tests/readme_check.py --update rewrites it):\n{report}"


def test_elision_and_varying_numbers():
    out = ["documents: 5 built", "a", "b", "c", "time: 3.2 s, 1700 words/s", "(9 rows)"]
    assert rc.matches(["documents: 5 built", "…", "time: 9.9 s, 12 words/s", "(9 rows)"], out)
    assert rc.matches(["documents: 5 built", "a", "…", "(9 rows)"], out)
    assert rc.matches(["documents: 5 built", "…", "b", "…", "(9 rows)"], out)
    assert not rc.matches(["documents: 6 built", "…", "(9 rows)"], out)  # counts are compared
    assert not rc.matches(["documents: 5 built", "…", "(8 rows)"], out)
    assert not rc.matches(["documents: 5 built", "a", "b", "c", "time: 3.2 s, 1700 words/s"], out)
    assert rc.regenerate(["documents: 4 built", "x", "…", "(8 rows)"], out) == \
        ["documents: 5 built", "a", "…", "(9 rows)"]


def test_parse_commands_over_several_lines_and_directives():
    text = "\n".join([
        "## Tour of the commands", "", "<!-- readme-check: vary \"cache:\" -->", "```text",
        "$ kg query 'SELECT ?x WHERE {", "  ?x ?p ?o", "}'", "x", "-", "(0 rows)", "", "$ cat q.rq", "ASK {}",
        "```", "", "<!-- readme-check: skip -->", "```text", "$ kg serve", "```", "## Next", "```text", "$ kg x",
        "```"])
    first, second = rc.parse(text)
    assert [s.command for s in first.steps] == ["kg query 'SELECT ?x WHERE {\n  ?x ?p ?o\n}'", "cat q.rq"]
    assert first.steps[0].expected == ["x", "-", "(0 rows)"] and first.vary == ("time:", "cache:")
    assert second.skip and not first.skip
