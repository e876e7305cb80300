"""Per-document extraction records kept between builds (OUT/cache/), so a build only runs spaCy on
new or changed documents.

One JSON file per document, named after its id, holding the record `kg.extract.doc_record` made
and the key it was made under: the document's content digest plus the pipeline fingerprint (model
name and version, the pattern files, the knowledge base, the extraction code and techkg's
version). A record whose key differs from the current one is stale and is recomputed; a file whose
document is no longer part of the input is deleted. Files are written atomically (temporary file,
then rename), so an interrupted build leaves every file either old or new, never partial.

Nothing here imports spaCy: deciding that every document is cached must not cost a model load.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .graph import write_atomic
from .ingest import Document

CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")


def _hash_files(paths: list[Path], h) -> None:
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(b"\0")
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"<missing>")
        h.update(b"\0")


def model_version(model: str) -> str:
    """The installed version of a spaCy pipeline package (or a pipeline folder's meta.json),
    found without loading it; raises LookupError when the model is not installed."""
    from importlib import metadata

    for name in (model, model.replace("_", "-")):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    meta = Path(model) / "meta.json"
    if meta.is_file():
        h = hashlib.sha256()
        _hash_files([meta, Path(model) / "config.cfg"], h)
        try:
            version = json.loads(meta.read_text(encoding="utf-8")).get("version", "")
        except (OSError, ValueError):
            version = ""
        return f"{version}+{h.hexdigest()[:12]}"
    raise LookupError(model)


def pipeline_fingerprint(model: str, scorer: str | None = None) -> str:
    """Everything besides the text that an extraction record depends on, as one digest.

    The source of the extraction stage is part of it (not only techkg's version), so an edited
    pattern, lexicon or component never reuses records made by the old code; so is the scorer's
    model file (the packaged one, or ``scorer``), so a retrained model re-scores every document."""
    from . import __version__
    from .nlp.kb import DEFAULT_KB

    h = hashlib.sha256()
    h.update(f"cache{CACHE_FORMAT}\0techkg {__version__}\0model {model} {model_version(model)}\0".encode())
    _hash_files(list((_PACKAGE / "nlp" / "patterns").glob("*.json")) + [Path(DEFAULT_KB)], h)
    h.update(b"scorer\0")
    h.update(Path(scorer).read_bytes() if scorer else (_PACKAGE / "nlp" / "models" / "scorer.json").read_bytes())
    _hash_files(list((_PACKAGE / "nlp").glob("*.py")) + [_PACKAGE / "extract.py", _PACKAGE / "ingest.py"], h)
    return h.hexdigest()


def content_digest(document: Document) -> str:
    """Digest of what extraction reads from a document: its id, cleaned text, links and source hash."""
    h = hashlib.sha256()
    h.update(json.dumps([document.id, document.sha256, [[l.start, l.end, l.href] for l in document.links]],
                        ensure_ascii=False).encode("utf-8"))
    h.update(b"\0")
    h.update(document.text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def cache_name(doc_id: str) -> str:
    """A file name for a document id: the id itself when it is a plain name, else a slug plus hash."""
    if _SAFE_ID.fullmatch(doc_id) and not doc_id.endswith(".tmp"):
        return f"{doc_id}.json"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id).strip("._-")[:80] or "doc"
    return f"{slug}~{hashlib.sha1(doc_id.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.json"


class RecordCache:
    """OUT/cache/: get, put and prune per-document extraction records."""

    def __init__(self, folder: str | Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint

    def key(self, document: Document) -> dict:
        return {"format": CACHE_FORMAT, "doc": document.id, "content": content_digest(document),
                "pipeline": self.fingerprint}

    def get(self, document: Document) -> dict | None:
        """The cached record of a document, or None when missing, stale or unreadable. The
        document's title, path and source hash are refreshed (a moved file keeps its record)."""
        path = self.folder / cache_name(document.id)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != self.key(document):
            return None
        record = entry.get("record")
        if not isinstance(record, dict):
            return None
        record.update(doc=document.id, title=document.title, path=document.path, sha256=document.sha256)
        return record

    def put(self, document: Document, record: dict) -> Path:
        data = json.dumps({"key": self.key(document), "record": record}, ensure_ascii=False,
                          sort_keys=True, separators=(",", ":")).encode("utf-8")
        # no fsync: a record lost in a crash is only recomputed, and syncing thousands of
        # small files would cost more than the build saves
        return write_atomic(self.folder / cache_name(document.id), data, sync=False)

    def prune(self, keep_ids) -> int:
        """Delete the records of documents not in ``keep_ids`` (and leftover temporary files)."""
        keep = {cache_name(i) for i in keep_ids}
        removed = 0
        if not self.folder.is_dir():
            return 0
        for p in self.folder.iterdir():
            stale_tmp = p.name.startswith(".") and p.name.endswith(".tmp")
            if (p.suffix == ".json" and p.name not in keep) or stale_tmp:
                try:
                    p.unlink()
                    removed += not stale_tmp
                except OSError:
                    pass
        return removed
