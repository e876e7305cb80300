"""Stage 1: files -> cleaned :class:`Document` objects.

Every later stage stores character offsets into ``Document.text``, so this
module is the single place where bytes become text: decoding, mojibake repair,
markup removal and whitespace normalisation all happen here, and link offsets
are computed against the final text.  Input is treated as inert data; nothing
in it is ever evaluated.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from bisect import bisect_right
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

import ftfy
from markdown_it import MarkdownIt

__all__ = [
    "Document",
    "IngestError",
    "Link",
    "MAX_DOCUMENT_CHARS",
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "collect_files",
    "load_documents",
    "read_document",
    "text_to_document",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Longest document text (characters) a build accepts by default; spaCy's own ``max_length``.
#: Extraction runs at roughly 15-20k characters a second on one core, so this is about a minute
#: per document; a 20 MB text would take about twenty (``kg build --max-chars`` raises it).
MAX_DOCUMENT_CHARS = 1_000_000
# Markup is mostly tags and scripts: an HTML file may be this many times the text limit before
# it is rejected unread; the limit itself then applies to the extracted text.
_MARKUP_FACTOR = 10
KINDS = ("auto", "text", "markdown", "html")
TITLE_MAX = 200

_SNIFF_BYTES = 8192
_MAX_NUL_SHARE = 0.10
_MAX_NONTEXT_SHARE = 0.30
# Signatures of formats that are never text, even if they happen to decode.
_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",
    b"\x28\xb5\x2f\xfd",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
)
# In a non-UTF-8 file, high bytes are as suspicious as controls: legacy
# Western text is overwhelmingly ASCII, random or binary data is not.
_LEGACY_NONTEXT_BYTES = bytes([*range(0x09), 0x0B, *range(0x0E, 0x20), *range(0x7F, 0x100)])
_NONTEXT_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\f\u2028\u2029]")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

_MARKDOWN_HINT = re.compile(r"\[[^\]\n]+\]\([^)\s]+\)|^#{1,6} ", re.MULTILINE)
_HTML_HINT = re.compile(r"\s*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)
_SUFFIX_KIND = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}

# Trailing blanks before a newline or the end, and runs of 3+ newlines.
_WHITESPACE_FIXES = re.compile(r"[ \t]+(?=\n)|[ \t]+\Z|\n(?:[ \t]*\n){2,}")
_FOOTNOTE_REF = re.compile(r"\[?\d+\]?")
# Substack embeds wrap several paragraphs in ``[ ... ](url)``; CommonMark
# cannot parse that as a link, so the brackets survive as junk paragraphs.
_LINK_RESIDUE = re.compile(r"\[|\]\([^\s)]*\)\[?")
_UNSAFE_HREF = re.compile(r"\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)

_MD = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Link:
    """A hyperlink whose anchor text is ``Document.text[start:end]``."""

    start: int
    end: int
    text: str
    href: str


@dataclass(frozen=True)
class Document:
    """Cleaned text of one input file; fact offsets refer to ``text``."""

    id: str
    path: str
    title: str
    text: str
    links: tuple[Link, ...]
    sha256: str
    #: what reading had to repair or leave out, for the build summary ("not valid UTF-8: ...")
    notes: tuple[str, ...] = ()


class IngestError(Exception):
    """A document that cannot be read; str(e) is a one-line reason."""


# --------------------------------------------------------------------------
# Files


def collect_files(paths: Iterable[str | Path], *, follow_links: bool = False,
                  problems: list[tuple[str, str]] | None = None) -> list[Path]:
    """Expand folders into their supported files, in a reproducible order.

    Explicit files are kept whatever their suffix (the user asked for them);
    folders are walked without following symlinks so loops cannot recurse,
    and hidden entries are skipped.  Argument order is kept, each folder's
    files are sorted, and duplicates are dropped.

    A symlink inside a folder that leads to a file outside it is not read
    (``/etc/passwd`` must not end up in a graph because someone linked it
    into a corpus) unless ``follow_links``, which also descends into linked
    folders (each real folder once, so loops end).  Such links, and
    subfolders that cannot be listed, are appended to ``problems`` as
    (path, reason) when a list is given.
    """
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(_walk(path, follow_links, problems)))
        elif path.exists():
            found.append(path)
        else:
            raise IngestError(f"no such file or directory: {given}")
    return list(dict.fromkeys(found))


#: reason prefix of a folder that could not be listed (the build then exits non-zero)
UNREADABLE_FOLDER = "cannot read folder"


def _walk(folder: Path, follow_links: bool = False,
          problems: list[tuple[str, str]] | None = None) -> Iterable[Path]:
    top = os.path.realpath(folder)
    seen: set[str] = set()

    def unreadable(exc: OSError) -> None:
        if problems is not None:
            reason = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc)).lower()
            problems.append((str(exc.filename or folder), f"{UNREADABLE_FOLDER}: {reason}"))

    for root, dirs, files in os.walk(folder, followlinks=follow_links, onerror=unreadable):
        if follow_links:
            real = os.path.realpath(root)
            if real in seen:  # a link back to a folder already read
                dirs[:] = []
                continue
            seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith(".") or not name.lower().endswith(SUPPORTED_SUFFIXES):
                continue
            path = Path(root, name)
            if not follow_links and os.path.islink(path) and not _inside(os.path.realpath(path), top):
                if problems is not None:
                    problems.append((str(path), f"symbolic link to a file outside {folder} "
                                                f"(pass --follow-links to read it)"))
                continue
            yield path


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def read_document(path: str | Path, max_chars: int | None = MAX_DOCUMENT_CHARS) -> Document:
    """Read one file; every failure becomes an :class:`IngestError`."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        mode = None  # open() below reports the problem
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # a named pipe would block the build forever, a device never ends
        raise IngestError("cannot read: not a regular file")
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise IngestError(f"no such file or directory: {path}") from None
    except PermissionError:
        raise IngestError("cannot read: permission denied") from None
    except IsADirectoryError:
        raise IngestError("cannot read: is a directory") from None
    except OSError as exc:
        raise IngestError(f"cannot read: {(exc.strerror or str(exc)).lower()}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise IngestError(f"file too large: {max(size, len(raw)):,} bytes (limit {MAX_FILE_BYTES:,})")
    return text_to_document(_printable(Path(path).stem), raw, "auto", _printable(str(path)), max_chars=max_chars)


def _printable(name: str) -> str:
    """A file name as valid text: bytes that are not UTF-8 (kept by Python as lone surrogates)
    become U+FFFD, so ids and paths can be written to Turtle, JSON and HTML."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no file system produced
        return name.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def load_documents(
    paths: Iterable[str | Path], max_chars: int | None = MAX_DOCUMENT_CHARS, *, follow_links: bool = False,
    failed: list[tuple[str, str]] | None = None,
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Load everything readable and report the rest, so one bad file never
    stops a corpus build.  Documents are sorted by id; a second file with an
    id already taken is reported, because ids key provenance downstream.

    ``failed`` (a list) also receives the inputs that could not be read at
    all: a path that does not exist, a folder that cannot be listed. They are
    in the returned errors too; `kg build` exits non-zero for them."""
    errors: list[tuple[str, str]] = []
    files: list[Path] = []
    for given in paths:
        problems: list[tuple[str, str]] = []
        try:
            files.extend(collect_files([given], follow_links=follow_links, problems=problems))
        except IngestError as exc:
            errors.append((str(given), str(exc)))
            if failed is not None:
                failed.append((str(given), str(exc)))
        errors.extend(problems)
        if failed is not None:
            failed.extend(p for p in problems if p[1].startswith(UNREADABLE_FOLDER))
    by_id: dict[str, Document] = {}
    # by path, not argument order: which of two same-named files wins must not depend on the order
    for file in sorted(dict.fromkeys(files), key=str):
        try:
            doc = read_document(file, max_chars)
        except IngestError as exc:
            errors.append((str(file), str(exc)))
            continue
        if doc.id in by_id:
            errors.append((doc.path, f"duplicate document id {doc.id!r} (already read from {by_id[doc.id].path})"))
            continue
        by_id[doc.id] = doc
    return [by_id[key] for key in sorted(by_id)], errors


# --------------------------------------------------------------------------
# Text


def text_to_document(
    doc_id: str, raw: bytes | str, kind: str = "auto", path: str = "", max_chars: int | None = MAX_DOCUMENT_CHARS
) -> Document:
    """Turn raw content into a Document; ``kind="auto"`` decides from the
    path suffix, then from the content itself.  A text longer than
    ``max_chars`` characters (None or 0: no limit) is refused before the
    costly repair and markup passes, so a huge file is skipped in a moment."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    notes: list[str] = []
    if isinstance(raw, str):
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
        _reject_binary_text(raw)
        text = raw
    else:
        digest = hashlib.sha256(raw).hexdigest()
        text = _decode(raw, notes)
    if max_chars:
        markup = kind == "html" or (kind == "auto" and (_SUFFIX_KIND.get(Path(path).suffix.lower()) == "html"
                                                       or _HTML_HINT.match(text[:_SNIFF_BYTES])))
        _check_size(len(text), max_chars * (_MARKUP_FACTOR if markup else 1), max_chars)
    text = _clean(text)
    if not text.strip():
        raise IngestError("empty document")
    if kind == "auto":
        kind = _guess_kind(text, path)
    title = ""
    if kind == "html":
        text, spans, title = _html_to_text(text)
    elif kind == "markdown":
        text, spans = _markdown_to_text(text)
    else:
        text, spans = _normalise(text, [])
    if not text:
        raise IngestError("empty document")
    text, spans, dropped = _drop_unpunctuated_runs(text, spans)
    if dropped:
        chars, runs = sum(dropped), len(dropped)
        if not text:
            raise IngestError(f"no sentences: {chars:,} characters without sentence punctuation")
        notes.append(f"left out {chars:,} characters without sentence punctuation "
                     f"({runs} run{'s' if runs > 1 else ''} over {MAX_UNPUNCTUATED_RUN:,} characters)")
    if max_chars:
        _check_size(len(text), max_chars, max_chars)
    links = tuple(Link(s, e, text[s:e], href) for s, e, href in spans)
    return Document(doc_id, path, (title or _first_line(text))[:TITLE_MAX], text, links, digest, tuple(notes))


#: A stretch of text this long with no sentence punctuation and no line break is not prose (a
#: dump of words, a minified blob, an unpunctuated transcript): spaCy cannot find sentences in it,
#: and the extractor made a junk fact every ~900 characters of such a run and merged lower-case
#: words into real entities' aliases. Real sentences stay far below it (1,000 characters is ~170
#: words); such runs are left out of the text, and the build says so.
MAX_UNPUNCTUATED_RUN = 2_000
_UNPUNCTUATED_RUN = re.compile(r"[^.!?;:\n\u2026\u3002\uff01\uff1f\uff1b]{%d,}" % (MAX_UNPUNCTUATED_RUN + 1))


def _drop_unpunctuated_runs(text: str, spans: list[Span]) -> tuple[str, list[Span], list[int]]:
    """The text without runs longer than MAX_UNPUNCTUATED_RUN (each becomes a paragraph break),
    link spans moved along (links inside a run go with it), and the lengths of the runs left out."""
    runs = [m.span() for m in _UNPUNCTUATED_RUN.finditer(text)]
    if not runs:
        return text, spans, []
    pieces, done = [], 0
    for start, end in runs:
        pieces.append(text[done:start])
        pieces.append("\n\n")
        done = end
    pieces.append(text[done:])
    moved: list[Span] = []
    for s, e, href in spans:
        if any(s < end and e > start for start, end in runs):
            continue
        shift = sum(2 - (end - start) for start, end in runs if end <= s)
        moved.append((s + shift, e + shift, href))
    out, moved = _normalise("".join(pieces), moved)
    return out, moved, [end - start for start, end in runs]


def _check_size(chars: int, allowed: int, limit: int) -> None:
    if chars > allowed:
        raise IngestError(f"document too large: {chars:,} characters (limit {limit:,}; raise it with --max-chars)")


# Byte-order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"), (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
         (b"\xff\xfe", "utf-16-le", "UTF-16"), (b"\xfe\xff", "utf-16-be", "UTF-16"))


def _decode(raw: bytes, notes: list[str] | None = None) -> str:
    """A byte-order mark's encoding (UTF-16/32) when there is one, else UTF-8, else the legacy
    Windows encoding most stray files use; every fallback is added to ``notes``."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom):]
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                text = body.decode(codec, "replace")
                if notes is not None:
                    notes.append(f"invalid {name} sequences replaced")
            _reject_binary_text(text)
            return text
    if raw.startswith(_MAGIC):
        raise IngestError("binary file, not text")
    sample = raw[:_SNIFF_BYTES]
    if sample.count(0) > _MAX_NUL_SHARE * len(sample):
        raise IngestError("binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if len(sample.translate(None, _LEGACY_NONTEXT_BYTES)) < (1 - _MAX_NONTEXT_SHARE) * len(sample):
            raise IngestError("binary file, not text") from None
        bad = exc.start
        try:
            text, codec = raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            text, codec = raw.decode("latin-1"), "Latin-1"
        if notes is not None:
            notes.append(f"not valid UTF-8 (byte {bad:,}), read as {codec}")
        return text
    _reject_binary_text(text)
    return text


def _reject_binary_text(text: str) -> None:
    sample = text[:_SNIFF_BYTES]
    if sample.count("\x00") > _MAX_NUL_SHARE * len(sample) or len(
        _NONTEXT_CHARS.findall(sample)
    ) > _MAX_NONTEXT_SHARE * len(sample):
        raise IngestError("binary file, not text")


def _clean(text: str) -> str:
    """Repair mojibake (some sources are double-encoded UTF-8), unify line
    breaks and drop control characters.  Curly quotes are kept, and entities
    are left to the markup parsers so ``&lt;`` can never turn into a tag."""
    text = ftfy.fix_text(text, uncurl_quotes=False, unescape_html=False)
    return _CONTROL_CHARS.sub("", _LINE_BREAKS.sub("\n", text))


def _guess_kind(text: str, path: str) -> str:
    kind = _SUFFIX_KIND.get(Path(path).suffix.lower())
    if kind:
        return kind
    if _HTML_HINT.match(text):
        return "html"
    return "markdown" if _MARKDOWN_HINT.search(text) else "text"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _is_footnote_ref(anchor: str, href: str) -> bool:
    """In-page numeric references like ``[7](#footnote-7)`` are citation
    markers, not content; keeping them would glue digits onto words."""
    return href.startswith("#") and bool(_FOOTNOTE_REF.fullmatch(anchor.strip()))


Span = tuple[int, int, str]


class _Builder:
    """Accumulates output text and link spans; supports undoing a suffix so a
    link or paragraph can be dropped after its text has been seen."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.spans: list[Span] = []

    def write(self, chunk: str, spans: Iterable[Span] = ()) -> None:
        self.spans.extend((s + self.size, e + self.size, href) for s, e, href in spans)
        self.parts.append(chunk)
        self.size += len(chunk)

    def last_char(self) -> str:
        return next((part[-1] for part in reversed(self.parts) if part), "")

    def mark(self) -> tuple[int, int]:
        return len(self.parts), self.size

    def since(self, mark: tuple[int, int]) -> str:
        return "".join(self.parts[mark[0]:])

    def truncate(self, mark: tuple[int, int]) -> None:
        del self.parts[mark[0]:]
        self.size = mark[1]
        self.spans = [span for span in self.spans if span[0] < self.size]

    def link(self, mark: tuple[int, int], href: str) -> None:
        if _is_footnote_ref(self.since(mark), href):
            self.truncate(mark)
        elif not _UNSAFE_HREF.match(href):
            self.spans.append((mark[1], self.size, href.strip()))

    def result(self) -> tuple[str, list[Span]]:
        return _normalise("".join(self.parts), self.spans)


def _normalise(text: str, spans: list[Span]) -> tuple[str, list[Span]]:
    """Strip trailing blanks, cap blank lines at one, trim the ends, and
    move link spans along so they still cover the same anchor text."""
    edits: list[tuple[int, int, int, int]] = []  # old start, old end, new start, new length
    pieces: list[str] = []
    done = shift = 0
    for match in _WHITESPACE_FIXES.finditer(text):
        new = "\n\n" if "\n" in match.group() else ""
        pieces.append(text[done:match.start()])
        edits.append((match.start(), match.end(), match.start() + shift, len(new)))
        pieces.append(new)
        shift += len(new) - (match.end() - match.start())
        done = match.end()
    pieces.append(text[done:])
    fixed = "".join(pieces)
    out = fixed.strip()
    lead = len(fixed) - len(fixed.lstrip())
    starts = [edit[0] for edit in edits]

    def move(offset: int) -> int:
        i = bisect_right(starts, offset) - 1
        if i < 0:
            new = offset
        else:
            old_start, old_end, new_start, new_len = edits[i]
            if offset < old_end:
                new = new_start + min(offset - old_start, new_len)
            else:
                new = offset + new_start + new_len - old_end
        return min(max(new - lead, 0), len(out))

    moved: list[Span] = []
    for start, end, href in spans:
        start, end = move(start), move(end)
        while start < end and out[start].isspace():
            start += 1
        while end > start and out[end - 1].isspace():
            end -= 1
        if start < end:
            moved.append((start, end, href))
    return out, moved


# --------------------------------------------------------------------------
# Markdown


_BLOCK_ENDS = {"paragraph_close", "heading_close", "list_item_close", "blockquote_close"}


def _markdown_to_text(source: str) -> tuple[str, list[Span]]:
    """Render the CommonMark token stream as plain text: markup and images
    vanish, anchor text stays and becomes a Link."""
    out = _Builder()
    for token in _MD.parse(source):
        if token.type == "inline":
            start = out.mark()
            _render_inline(token.children or [], out)
            if _LINK_RESIDUE.fullmatch(out.since(start).strip()):
                out.truncate(start)
        elif token.type in ("fence", "code_block"):
            out.write(token.content + "\n\n")
        elif token.type == "html_block":
            text, spans, _ = _html_to_text(token.content)
            out.write(text + "\n\n", spans)
        elif token.type == "hr":
            out.write("\n")
        elif token.type in _BLOCK_ENDS:
            out.write("\n\n")
    return out.result()


def _render_inline(children: list, out: _Builder) -> None:
    open_links: list[tuple[tuple[int, int], str]] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.write(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.write("\n")
        elif child.type == "link_open":
            open_links.append((out.mark(), str(child.attrGet("href") or "")))
        elif child.type == "link_close" and open_links:
            out.link(*open_links.pop())
        # images (with their alt text), raw inline HTML and emphasis markers
        # contribute no text.


# --------------------------------------------------------------------------
# HTML

_SKIP_TAGS = {"script", "style", "noscript", "template"}
_HEAD_TAGS = {"title", "meta", "link", "base", "script", "style", "noscript", "template"}
_LINE_TAGS = {"br", "tr", "dt", "dd"}
_PARAGRAPH_TAGS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dl", "nav",
    "main", "aside", "figure", "figcaption", "address", "hr", "form", "fieldset",
}
_CELL_TAGS = {"td", "th"}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class _HTMLText(HTMLParser):
    """Collects visible text, links and the <title> from an HTML stream."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Builder()
        self.title: list[str] = []
        self.skip = 0
        self.pre = 0
        self.in_head = False
        self.in_title = False
        self.anchors: list[tuple[tuple[int, int], str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.in_head and tag not in _HEAD_TAGS:
            self.in_head = False  # browsers close <head> implicitly here too
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "head":
            self.in_head = True
        elif tag == "title":
            self.in_title = True
        elif tag == "a":
            self.anchors.append((self.out.mark(), dict(attrs).get("href")))
        elif tag == "pre":
            self.pre += 1
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(self.skip - 1, 0)
        elif tag == "head":
            self.in_head = False
        elif tag == "title":
            self.in_title = False
        elif tag == "a" and self.anchors:
            self._close_anchor()
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        if tag != "br":
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.in_title:
            self.title.append(data)
        elif not self.in_head:
            if not self.pre:
                data = _HTML_SPACE.sub(" ", data)
                if self.out.last_char() in ("", " ", "\n"):
                    data = data.lstrip(" ")
            self.out.write(data)

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """The stdlib raises AssertionError on ``<![foo``; browsers treat it
        as a bogus comment, and so do we."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return self.parse_bogus_comment(i, report)

    def close(self) -> None:
        super().close()
        while self.anchors:
            self._close_anchor()

    def _close_anchor(self) -> None:
        mark, href = self.anchors.pop()
        if href is not None:
            self.out.link(mark, href)

    def _break(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self.out.write("\n\n")
        elif tag in _LINE_TAGS:
            self.out.write("\n")
        elif tag in _CELL_TAGS:
            self.out.write(" ")


def _html_to_text(source: str) -> tuple[str, list[Span], str]:
    """Return (text, link spans, title) using only the standard library
    parser, which never runs scripts or fetches anything."""
    parser = _HTMLText()
    parser.feed(source)
    parser.close()
    text, spans = parser.out.result()
    return text, spans, _HTML_SPACE.sub(" ", "".join(parser.title)).strip()
