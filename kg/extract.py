"""Per-document extraction: a pure function from a cleaned Document to plain records.

Running spaCy is the expensive part; everything after it works on the JSON-ready dicts this
module returns, so extraction can be batched (`nlp.pipe`), cached per document, or run elsewhere.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np
from spacy.attrs import IS_ALPHA, IS_QUOTE, IS_SPACE, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from .ingest import Document
from .nlp.lexicon import GRAPH_TYPES, string_ids


#: Longest run of tokens without sentence-final punctuation or a line break that is left to the
#: parser as one sentence. Longer runs (a 100,000-character "sentence") get a preset sentence start
#: every MAX_SENTENCE_TOKENS tokens, so the per-sentence tree walks of the relation patterns stay
#: linear in the document length instead of quadratic in the run (issue 6).
MAX_SENTENCE_TOKENS = 200
_SENTENCE_ENDS = {".", "!", "?", "…", "。", "！", "？"}
_CLOSERS = {")", "]", "}"}


def prepare(nlp: Language, document: Document) -> Doc:
    """A tokenised Doc carrying the document's link targets for the pipeline's entity typing."""
    doc = nlp.make_doc(document.text)
    doc.user_data["text"] = document.text  # == doc.text, which spaCy rebuilds on every access
    doc.user_data["links"] = tuple((link.start, link.end, link.href) for link in document.links)
    layout = _layout(doc)
    mark_paragraph_starts(doc, layout)
    cap_sentences(doc, layout=layout)
    return doc


class _Layout(NamedTuple):
    """Integer columns of a Doc that the layout rules read (one `Doc.to_array` call)."""
    orth: np.ndarray
    space: np.ndarray     # bool: a whitespace token
    quote: np.ndarray     # bool
    newlines: np.ndarray  # line breaks inside each whitespace token
    ends: np.ndarray      # bool: sentence-final punctuation
    glued: np.ndarray     # bool: directly followed by a word, no space between ("compliant.NET")


def _layout(doc: Doc) -> _Layout:
    orth, space, quote, alpha, spaced = doc.to_array([ORTH, IS_SPACE, IS_QUOTE, IS_ALPHA, SPACY]).reshape(-1, 5).T
    space = space.astype(bool)
    newlines = np.zeros(len(doc), dtype=np.int64)
    for i in np.flatnonzero(space):  # whitespace tokens are few: only they are read as text
        newlines[i] = doc[int(i)].text.count("\n")
    glued = np.zeros(len(doc), dtype=bool)
    glued[:-1] = (spaced[:-1] == 0) & (alpha[1:] == 1)
    return _Layout(orth, space, quote.astype(bool), newlines, np.isin(orth, string_ids(doc, _SENTENCE_ENDS)), glued)


def mark_paragraph_starts(doc: Doc, layout: _Layout | None = None) -> int:
    """Preset sentence starts from the layout: a sentence starts after every blank line, and
    nowhere except after sentence-final punctuation (or a closing quote or bracket after it) or a
    line break; a full stop glued to the next word ("the.NET Foundation") ends no sentence. A
    title line ("Nexus Q" above "Nexus Q is a media player ...") is then not glued to the next
    sentence, and the small parser's stray splits ("CBBC | (short for Children's BBC) is ...")
    are ruled out. Returns the number of paragraph starts.

    Works on integer columns (`Doc.to_array`/`Doc.from_array`): setting `Token.is_sent_start` one
    token at a time re-scans the document on every call, which made this the costliest step of
    our own code."""
    n = len(doc)
    if n == 0:
        return 0
    orth, space, quote, newlines, ends, glued = layout or _layout(doc)
    # a closing quote or bracket keeps the state of the token before it; so do plain spaces
    transparent = (space & (newlines == 0)) | quote | np.isin(orth, string_ids(doc, _CLOSERS))
    decisive = (newlines > 0) | ends | ~(transparent | space)
    # True: a sentence may start after this token; a full stop glued to the next word ("the.NET
    # Foundation", "Microsoft.NET") ends no sentence
    value = (newlines > 0) | (ends & ~glued)
    last = np.maximum.accumulate(np.where(decisive, np.arange(n), -1))
    before = np.concatenate(([-1], last[:-1]))
    may_start = np.where(before >= 0, value[np.maximum(before, 0)], True)
    starts = np.zeros(n, dtype=np.int64)
    starts[~space & ~may_start & (np.arange(n) > 0)] = -1
    after_blank = np.flatnonzero(newlines[:-1] >= 2) + 1
    starts[after_blank] = 1
    starts[0] = 1
    doc.from_array([SENT_START], starts.reshape(-1, 1).astype(np.uint64))
    return int(len(after_blank))


def cap_sentences(doc: Doc, limit: int = MAX_SENTENCE_TOKENS, layout: _Layout | None = None) -> int:
    """Preset a sentence start in every run of more than ``limit`` tokens with no sentence end,
    preferring the token after the run's last comma, semicolon or colon; the parser keeps preset
    starts. Ordinary text never has such runs and is left alone (checked on integer columns
    first). Returns the number of splits."""
    if len(doc) <= limit:
        return 0
    layout = layout or _layout(doc)
    breaks = layout.ends | (layout.newlines > 0)
    last = np.maximum.accumulate(np.where(breaks, np.arange(len(doc)), -1))
    if (np.arange(len(doc)) - last).max() <= limit:
        return 0
    run_start, soft, splits = 0, None, 0
    for tok in doc:
        if tok.text in _SENTENCE_ENDS or (tok.is_space and "\n" in tok.text):
            run_start, soft = tok.i + 1, None
            continue
        if tok.text in (",", ";", ":") and tok.i + 1 < len(doc):
            soft = tok.i + 1
        if tok.i - run_start >= limit:
            cut = soft if soft is not None and soft > run_start + limit // 2 else tok.i
            doc[cut].is_sent_start = True
            run_start, soft, splits = cut, None, splits + 1
    return splits


def extract_documents(nlp: Language, documents: Iterable[Document], batch_size: int = 16,
                      n_process: int = 1) -> Iterator[dict]:
    """Run the pipeline over documents in batches and yield one record per document, in order.

    A document the pipeline or the record builder fails on yields a failure record instead
    ({"doc", "path", "error"}), so one bad document is reported and skipped while the rest build:
    a failing batch is retried one document at a time to find it."""
    documents = list(documents)
    for start in range(0, len(documents), batch_size):
        batch = documents[start:start + batch_size]
        try:
            docs = list(nlp.pipe((prepare(nlp, d) for d in batch), batch_size=batch_size, n_process=n_process))
            records = [doc_record(doc, d) for doc, d in zip(docs, batch)]
        except Exception:  # noqa: BLE001 - any failure is retried per document below
            records = [_extract_one(nlp, d) for d in batch]
        yield from records


def _extract_one(nlp: Language, document: Document) -> dict:
    try:
        return doc_record(nlp(prepare(nlp, document)), document)
    except Exception as exc:  # noqa: BLE001 - reported as a skipped document, never a crash
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return {"doc": document.id, "path": document.path, "error": message[:300]}


def doc_record(doc: Doc, document: Document) -> dict:
    """Entities (per-document clusters) and facts of one processed Doc, as plain data."""
    clusters = {}
    for key, c in sorted(doc._.kg_clusters.items()):
        if c.type not in GRAPH_TYPES:
            continue
        label = c.label
        clusters[key] = {
            "label": label, "type": c.type, "kb": c.kb, "wikidata": c.wikidata,
            "aliases": sorted(n for n in c.names if n != label),
            "mentions": sum(c.names.values()),
        }
    best: dict[tuple, dict] = {}
    for f in doc._.kg_facts:
        if f.subject not in clusters or f.object not in clusters:
            continue
        raw = f.sent.text
        start = f.sent.start_char + (len(raw) - len(raw.lstrip()))
        sentence = raw.strip()
        rec = {"subject": f.subject, "predicate": f.predicate, "object": f.object,
               "sentence": sentence, "start": start, "end": start + len(sentence),
               "confidence": round(f.confidence, 3), "pattern": f.pattern,
               **{k: v for k, v in f.attrs.items() if not k.startswith("_")}}  # "_x": the rules' own notes
        key = (f.subject, f.predicate, f.object, f.sent.start_char)
        old = best.get(key)
        if old is None or rec["confidence"] > old["confidence"]:
            if old:
                rec = {**old, **rec}
            best[key] = rec
        else:
            best[key] = {**rec, **old}
    facts = [best[k] for k in sorted(best, key=lambda k: (k[3], k[0], k[1], k[2]))]
    return {"doc": document.id, "title": document.title, "path": document.path,
            "sha256": document.sha256, "words": len(document.text.split()),
            "entities": clusters, "facts": facts}
