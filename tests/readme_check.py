#!/usr/bin/env python3
"""README check: run every command of README.md's "Tour of the commands" and compare the output.

    python tests/readme_check.py            # check; prints a diff per drifted block, exits 1 on drift
    python tests/readme_check.py --update   # rewrite the Tour's output blocks from real output

tests/test_readme.py runs the check, so the README cannot drift from what `kg` prints. When the
extraction changes the corpus graph (counts, facts, offsets), re-sync with `--update` and review
the diff. The commands run in a fresh temporary folder in which `corpus/` and `tests/` point at the
repository's, in README order (so `kg build` comes first and writes `out/`), through `kg.cli.main`
in this process (about 10 s, most of it the build).

Conventions for the ```text blocks of the Tour (the section up to the next "## " heading):
- A line starting with "$ " is a command (it continues over the next lines while a quote is open);
  the lines after it, up to the next command or the end of the block, are its stdout (and its
  stderr when it fails). Blank lines between commands are layout.
- Commands are `kg ...`, optionally piped into `grep PATTERN` or `head -n N`, or `cat FILE`,
  whose output is the file's content: the check writes FILE from it (meta_models.rq).
- A line that is only "…" stands for any number of output lines: the lines before it must match
  the start of the output, the lines after it its end. `--update` keeps as many lines before and
  after it as the block had.
- Numbers that change from run to run are not compared on lines that start with one of
  VARYING_LINES ("time:"), nor on lines starting with a prefix listed in a comment just before the
  block: <!-- readme-check: vary "prefix one", "prefix two" -->.
  <!-- readme-check: skip --> before a block leaves it out of the check.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Tour of the commands"
ELISION = "…"
#: lines whose numbers are never compared: they measure this run, not the graph
VARYING_LINES = ("time:",)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DIRECTIVE = re.compile(r"<!--\s*readme-check:\s*(.*?)\s*-->")


@dataclass
class Step:
    command: str  # as written after "$ ", continuation lines included
    expected: list[str]  # output lines as the README shows them
    actual: list[str] | None = None


@dataclass
class Block:
    start: int  # index of the first line inside the fence, in the README's lines
    end: int  # index of the closing fence
    steps: list[Step] = field(default_factory=list)
    vary: tuple[str, ...] = VARYING_LINES
    skip: bool = False


# ------------------------------------------------------------------------------------------ parsing
def parse(text: str) -> list[Block]:
    """The ```text blocks of the Tour section, split into commands and expected output."""
    lines = text.split("\n")
    try:
        first = lines.index(SECTION)
    except ValueError:
        raise SystemExit(f"README has no '{SECTION}' section") from None
    last = next((i for i in range(first + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    blocks, i = [], first
    while i < last:
        if lines[i].strip() == "```text":
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            block = Block(i + 1, end)
            directive = _directive_before(lines, i)
            if directive == "skip":
                block.skip = True
            elif directive.startswith("vary"):
                block.vary = VARYING_LINES + tuple(re.findall(r'"([^"]+)"', directive))
            block.steps = _steps(lines[i + 1:end])
            blocks.append(block)
            i = end
        i += 1
    return blocks


def _directive_before(lines: list[str], fence: int) -> str:
    j = fence - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    m = _DIRECTIVE.search(lines[j]) if j >= 0 else None
    return m.group(1) if m else ""


def _steps(body: list[str]) -> list[Step]:
    steps: list[Step] = []
    i = 0
    while i < len(body):
        if not body[i].startswith("$ "):
            if body[i].strip() and not steps:
                raise SystemExit(f"README check: output before any command: {body[i]!r}")
            if steps:
                steps[-1].expected.append(body[i])
            i += 1
            continue
        command = body[i][2:]
        while not _complete(command) and i + 1 < len(body):
            i += 1
            command += "\n" + body[i]
        steps.append(Step(command, []))
        i += 1
    for step in steps:
        while step.expected and not step.expected[-1].strip():
            step.expected.pop()
    return steps


def _complete(command: str) -> bool:
    try:
        shlex.split(command, comments=True)
        return True
    except ValueError:  # an open quote: the command goes on
        return False


# ------------------------------------------------------------------------------------------ running
@contextmanager
def _workdir():
    with tempfile.TemporaryDirectory(prefix="readme-check-") as tmp:
        work = Path(tmp)
        for name in ("corpus", "tests"):
            (work / name).symlink_to(ROOT / name, target_is_directory=True)
        old = os.getcwd()
        os.chdir(work)
        try:
            yield work
        finally:
            os.chdir(old)


def kg(argv: list[str]) -> tuple[int, str, str]:
    """`kg ARGV` through kg.cli.main in this process: (exit status, stdout, stderr)."""
    from click.testing import CliRunner

    from kg.cli import main

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+ always keeps them apart
        runner = CliRunner()
    code = 0
    with runner.isolation() as streams:
        try:
            main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def run_step(step: Step, work: Path) -> list[str]:
    stages = [shlex.split(part, comments=True) for part in _split_pipes(step.command)]
    head, filters = stages[0], stages[1:]
    if head[:1] == ["cat"] and len(head) == 2 and not filters:
        # the README shows the file: write it so later commands can use it
        (work / head[1]).write_text("\n".join(step.expected) + "\n", encoding="utf-8")
        return list(step.expected)
    if head[:1] != ["kg"]:
        raise SystemExit(f"README check: cannot run {step.command!r} (only kg, cat, | grep, | head)")
    code, out, err = kg(head[1:])
    lines = out.rstrip("\n").split("\n") if out.strip() else []
    if code != 0:
        lines += err.rstrip("\n").split("\n")
    for f in filters:
        if f[:1] == ["grep"] and len(f) == 2:
            lines = [line for line in lines if re.search(f[1], line)]
        elif f[:1] == ["head"] and len(f) == 3 and f[1] == "-n":
            lines = lines[: int(f[2])]
        else:
            raise SystemExit(f"README check: unsupported filter {' '.join(f)!r}")
    return lines


def _split_pipes(command: str) -> list[str]:
    """The command split at | outside quotes."""
    parts, current, quote = [], "", None
    for ch in command:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "|":
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def run_all(blocks: list[Block]) -> None:
    with _workdir() as work:
        for block in blocks:
            for step in block.steps:
                step.actual = run_step(step, work)


# ------------------------------------------------------------------------------------------ comparing
def _norm(line: str, vary: tuple[str, ...]) -> str:
    line = line.rstrip()
    if line.strip().startswith(vary):
        return _NUMBER.sub("#", line)
    return line


def matches(expected: list[str], actual: list[str], vary: tuple[str, ...] = VARYING_LINES) -> bool:
    """Whether the output matches the README's lines ("…" lines stand for any lines)."""
    exp = [_norm(e, vary) for e in expected]
    act = [_norm(a, vary) for a in actual]
    parts, current = [], []
    for e in exp:
        if e.strip() == ELISION:
            parts.append(current)
            current = []
        else:
            current.append(e)
    parts.append(current)
    if len(parts) == 1:
        return exp == act
    head, *middle, tail = parts
    if act[: len(head)] != head or (tail and act[len(act) - len(tail):] != tail):
        return False
    pos, stop = len(head), len(act) - len(tail)
    if stop < pos:
        return False
    for part in middle:
        for k in range(pos, stop - len(part) + 1):
            if act[k: k + len(part)] == part:
                pos = k + len(part)
                break
        else:
            return False
    return True


def regenerate(expected: list[str], actual: list[str]) -> list[str]:
    """The README lines for new output: as many lines around the first "…" as the block had."""
    cut = next((i for i, e in enumerate(expected) if e.strip() == ELISION), None)
    if cut is None:
        return list(actual)
    keep_head, keep_tail = cut, len(expected) - cut - 1
    if keep_head + keep_tail >= len(actual):
        return list(actual)
    marker = expected[cut]
    return actual[:keep_head] + [marker] + (actual[len(actual) - keep_tail:] if keep_tail else [])


def drifted(blocks: list[Block]) -> list[tuple[Step, Block]]:
    return [(s, b) for b in blocks if not b.skip for s in b.steps if not matches(s.expected, s.actual, b.vary)]


def render(step: Step, lines: list[str]) -> list[str]:
    return ["$ " + step.command.split("\n")[0], *step.command.split("\n")[1:], *lines]


def update(text: str, blocks: list[Block]) -> str:
    lines = text.split("\n")
    for block in sorted(blocks, key=lambda b: b.start, reverse=True):
        if block.skip:
            continue
        body: list[str] = []
        for i, step in enumerate(block.steps):
            if i:
                body.append("")
            same = matches(step.expected, step.actual, block.vary)
            body += render(step, step.expected if same else regenerate(step.expected, step.actual))
        lines[block.start:block.end] = body
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="rewrite the drifted output blocks in README.md")
    ap.add_argument("--readme", default=str(README))
    a = ap.parse_args(argv)
    path = Path(a.readme)
    text = path.read_text(encoding="utf-8")
    blocks = parse(text)
    run_all([b for b in blocks if not b.skip])
    bad = drifted(blocks)
    if a.update:
        if bad:
            path.write_text(update(text, blocks), encoding="utf-8")
        print(f"README: {len(bad)} of {sum(len(b.steps) for b in blocks)} command outputs updated")
        return 0
    for step, _ in bad:
        import difflib

        print(f"$ {step.command.splitlines()[0]}")
        print("\n".join(difflib.unified_diff(step.expected, regenerate(step.expected, step.actual), "README",
                                             "actual", lineterm="")))
    print(f"README: {len(bad)} of {sum(len(b.steps) for b in blocks)} command outputs drifted"
          + (" (python tests/readme_check.py --update rewrites them)" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
