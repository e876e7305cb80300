"""Per-document extraction: a pure function from a cleaned Document to plain records.

Running spaCy is the expensive part; everything after it works on the JSON-ready dicts this
module returns, so extraction can be batched (`nlp.pipe`), cached per document, or run elsewhere.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from .ingest import Document
from .nlp.lexicon import GRAPH_TYPES


def prepare(nlp: Language, document: Document) -> Doc:
    """A tokenised Doc carrying the document's link targets for the pipeline's entity typing."""
    doc = nlp.make_doc(document.text)
    doc.user_data["links"] = tuple((link.start, link.end, link.href) for link in document.links)
    return doc


def extract_documents(nlp: Language, documents: Iterable[Document], batch_size: int = 16,
                      n_process: int = 1) -> Iterator[dict]:
    """Run the pipeline over documents in batches and yield one record per document."""
    documents = list(documents)
    docs = (prepare(nlp, d) for d in documents)
    for document, doc in zip(documents, nlp.pipe(docs, batch_size=batch_size, n_process=n_process)):
        yield doc_record(doc, document)


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
        rec = {"subject": f.subject, "predicate": f.predicate, "object": f.object,
               "sentence": f.sent.text.strip(), "start": f.sent.start_char, "end": f.sent.end_char,
               "confidence": round(f.confidence, 3), "pattern": f.pattern, **f.attrs}
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
