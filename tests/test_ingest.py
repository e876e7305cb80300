"""Tests for kg.ingest: decoding, markup stripping, link offsets, errors."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import ingest
from kg.ingest import (
    Document,
    IngestError,
    collect_files,
    load_documents,
    read_document,
    text_to_document,
)

CORPUS = Path(__file__).parent.parent / "corpus"
SUBSTACK = CORPUS / "000_c4c6127d73d65f6c.txt"


def assert_links_consistent(doc: Document) -> None:
    for link in doc.links:
        assert 0 <= link.start < link.end <= len(doc.text)
        assert doc.text[link.start:link.end] == link.text


def reason(exc_info: pytest.ExceptionInfo[IngestError]) -> str:
    return str(exc_info.value)


# ---------------------------------------------------------------- corpus


@pytest.fixture(scope="module")
def substack() -> Document:
    return read_document(SUBSTACK)


def test_corpus_mojibake_is_repaired(substack: Document) -> None:
    assert "Ben Thompson\u2019s" in substack.text
    assert "Google\u2019s Tensorflow" in substack.text
    assert "â€" not in substack.text
    assert "ðŸ" not in substack.text


def test_corpus_markdown_footnote_and_links_become_plain_text(substack: Document) -> None:
    assert (
        "Facebook AI Research (FAIR), now Meta AI, was started in 2013 led by "
        "Turing Award winner Yann LeCun" in substack.text
    )
    assert "](" not in substack.text
    assert "#footnote" not in substack.text


def test_corpus_link_offsets(substack: Document) -> None:
    lecun = [link for link in substack.links if link.text == "Yann LeCun"]
    assert len(lecun) == 1
    link = lecun[0]
    assert link.href == "https://en.wikipedia.org/wiki/Yann_LeCun"
    assert substack.text[link.start:link.end] == "Yann LeCun"
    assert_links_consistent(substack)
    assert not any(link.href.startswith("#") for link in substack.links)


def test_corpus_images_dropped(substack: Document) -> None:
    assert "substackcdn" not in substack.text
    assert "Twitter avatar" not in substack.text
    assert "meme about metaverse" not in substack.text
    assert all("substackcdn" not in link.href for link in substack.links)


def test_corpus_metadata(substack: Document) -> None:
    assert substack.id == "000_c4c6127d73d65f6c"
    assert substack.path == str(SUBSTACK)
    assert substack.title == "Metas-failures-at-ai"
    assert substack.text.startswith("Metas-failures-at-ai\n\nWhere is Zuck?\n\n")
    assert substack.sha256 == hashlib.sha256(SUBSTACK.read_bytes()).hexdigest()


def test_whole_corpus_loads_deterministically() -> None:
    docs, errors = load_documents([CORPUS])
    assert errors == []
    assert [d.id for d in docs] == sorted(p.stem for p in CORPUS.glob("*.txt"))
    again, _ = load_documents([CORPUS])
    assert docs == again
    for doc in docs:
        assert doc.text and doc.text == doc.text.strip()
        assert "\r" not in doc.text and "\x00" not in doc.text
        assert_links_consistent(doc)


# ---------------------------------------------------------------- markdown


def test_markdown_headings_become_paragraphs() -> None:
    doc = text_to_document("d", "# Title\nIntro line\n## Section\nBody text.", "markdown")
    assert doc.text == "Title\n\nIntro line\n\nSection\n\nBody text."
    assert doc.title == "Title"


def test_markdown_images_dropped_links_kept() -> None:
    src = "See ![alt words](http://img/x.png) the **[Docs](http://d.example/a)** and `code` *here*."
    doc = text_to_document("d", src, "markdown")
    assert doc.text == "See  the Docs and code here."
    (link,) = doc.links
    assert (link.text, link.href) == ("Docs", "http://d.example/a")
    assert doc.text[link.start:link.end] == "Docs"


def test_markdown_link_offsets_survive_whitespace_normalisation() -> None:
    src = "Para one   \n\n\n\n\n- item [A](http://a)  \n- item [B](http://b)\n\n> quote [C](http://c)\n\n---\n\nend"
    doc = text_to_document("d", src, "markdown")
    assert "\n\n\n" not in doc.text
    assert [line for line in doc.text.split("\n") if line != line.rstrip()] == []
    assert [link.text for link in doc.links] == ["A", "B", "C"]
    assert_links_consistent(doc)


def test_markdown_footnote_reference_dropped() -> None:
    doc = text_to_document("d", "Founded in 2013[7](#footnote-7) by [Ann](http://ann).", "markdown")
    assert doc.text == "Founded in 2013 by Ann."
    assert [link.text for link in doc.links] == ["Ann"]
    # a non-numeric in-page link is ordinary content
    doc = text_to_document("d", "Read [the intro](#intro).", "markdown")
    assert doc.text == "Read the intro."
    assert doc.links[0].href == "#intro"


def test_markdown_inline_and_block_html_stripped() -> None:
    src = "Text with <span class='x'>inline</span> html.\n\n<div>\n<script>alert(1)</script>\n</div>\n\nAfter."
    doc = text_to_document("d", src, "markdown")
    assert doc.text == "Text with inline html.\n\nAfter."


def test_markdown_html_block_links_and_code_kept() -> None:
    src = "<p>See <a href='http://x'>X</a></p>\n\n```\ncode  line\n```\n\nAfter [Y](http://y)"
    doc = text_to_document("d", src, "markdown")
    assert doc.text == "See X\n\ncode  line\n\nAfter Y"
    assert [(link.text, link.href) for link in doc.links] == [("X", "http://x"), ("Y", "http://y")]
    assert_links_consistent(doc)


def test_markdown_unsafe_link_is_not_a_link() -> None:
    doc = text_to_document("d", "[click](javascript:alert(1)) ok", "markdown")
    assert doc.links == ()


def test_txt_with_markdown_is_rendered_plain_txt_is_not(tmp_path: Path) -> None:
    md = tmp_path / "a.txt"
    md.write_text("Intro [link](http://x.example) here.\n", encoding="utf-8")
    assert read_document(md).text == "Intro link here."
    plain = tmp_path / "b.txt"
    plain.write_text("* star *bullet* kept\n_under_ too\n", encoding="utf-8")
    assert read_document(plain).text == "* star *bullet* kept\n_under_ too"


# ---------------------------------------------------------------- HTML


HTML = b"""<!DOCTYPE html>
<html><head><title>  The &amp; Title </title>
<style>body { color: red }</style><script>var x = "<p>no</p>";</script>
</head><body>
<!-- a comment -->
<h1>Heading</h1><p>Caf&eacute; &lt;tag&gt; &#8217;quoted&#x2019; by
   <a href="https://ex.example/p?a=1&amp;b=2">Jane   Doe</a>.</p>
<noscript>enable js</noscript><template><p>tmpl</p></template>
<ul><li>one</li><li>two<br>three</li></ul>
</body></html>"""


def test_html_extraction(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(HTML)
    doc = read_document(path)
    assert doc.title == "The & Title"
    assert doc.text == "Heading\n\nCaf\u00e9 <tag> \u2019quoted\u2019 by Jane Doe.\n\none\n\ntwo\nthree"
    for junk in ("color", "var x", "comment", "enable js", "tmpl", "no</p>"):
        assert junk not in doc.text
    (link,) = doc.links
    assert link.href == "https://ex.example/p?a=1&b=2"
    assert link.text == "Jane Doe" == doc.text[link.start:link.end]


def test_html_escaped_markup_stays_text() -> None:
    doc = text_to_document("d", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "html")
    assert doc.text == "<script>alert(1)</script>"


def test_html_without_title_uses_first_line() -> None:
    doc = text_to_document("d", "<head><meta charset=utf-8><p>First para</p><p>Second</p>", "html")
    assert doc.title == "First para"
    assert doc.text == "First para\n\nSecond"


def test_html_unknown_marked_section_does_not_crash() -> None:
    # html.parser raises AssertionError on "<![i" by itself
    doc = text_to_document("d", "<p>a<![i](u)> b <![CDATA[c]]> d</p>", "html")
    assert doc.text == "a b d"


def test_html_sniffed_in_txt_file() -> None:
    doc = text_to_document("d", "<!doctype html><title>T</title><p>Body</p>", path="x.txt")
    assert (doc.title, doc.text) == ("T", "Body")


# ---------------------------------------------------------------- decoding


def test_latin1_bytes_decode() -> None:
    assert text_to_document("d", b"Caf\xe9 au lait").text == "Café au lait"


def test_cp1252_quotes_decode() -> None:
    assert text_to_document("d", b"It\x92s \x93fine\x94").text == "It\u2019s \u201cfine\u201d"


def test_utf8_bom_stripped() -> None:
    assert text_to_document("d", "\ufeffHello".encode("utf-8")).text == "Hello"


def test_line_endings_normalised() -> None:
    doc = text_to_document("d", b"one\r\ntwo\rthree\nfour")
    assert doc.text == "one\ntwo\nthree\nfour"


def test_control_characters_removed() -> None:
    doc = text_to_document("d", b"Hello\x00 wor\x07ld\x1b\tok and some more words")
    assert doc.text == "Hello world\tok and some more words"


def test_title_truncated() -> None:
    doc = text_to_document("d", "x" * 500)
    assert doc.title == "x" * 200


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        text_to_document("d", "x", kind="pdf")


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \n\t\r\n  ", "\ufeff".encode("utf-8"), b"![only an image](http://x/y.png)"],
    ids=["empty", "whitespace", "bom-only", "image-only"],
)
def test_empty_documents(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "e.md"
    path.write_bytes(raw)
    with pytest.raises(IngestError) as exc:
        read_document(path)
    assert reason(exc) == "empty document"


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        random.Random(0).randbytes(4096),
        b"ab\x00\x00\x00\x00cd\x00\x00",
    ],
    ids=["png", "pdf", "random", "nuls"],
)
def test_binary_files_rejected(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "b.txt"
    path.write_bytes(raw)
    with pytest.raises(IngestError) as exc:
        read_document(path)
    assert reason(exc) == "binary file, not text"


def test_utf16_with_bom_is_text_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_bytes("text".encode("utf-16"))  # a byte-order mark, then UTF-16 (issue 15)
    assert read_document(path).text == "text"


def test_missing_file() -> None:
    with pytest.raises(IngestError) as exc:
        read_document("/nonexistent/x.txt")
    assert reason(exc) == "no such file or directory: /nonexistent/x.txt"
    with pytest.raises(IngestError) as exc:
        collect_files(["/nonexistent/dir"])
    assert reason(exc) == "no such file or directory: /nonexistent/dir"


def test_permission_denied(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def deny(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ingest, "open", deny, raising=False)
    with pytest.raises(IngestError) as exc:
        read_document(tmp_path / "secret.txt")
    assert reason(exc) == "cannot read: permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_permission_denied_real_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("hidden")
    path.chmod(0)
    try:
        with pytest.raises(IngestError) as exc:
            read_document(path)
        assert reason(exc) == "cannot read: permission denied"
    finally:
        path.chmod(0o600)


def test_directory_is_not_a_document(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as exc:
        read_document(tmp_path)
    assert reason(exc) == "cannot read: is a directory"


def test_file_too_large(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.txt"
    path.write_text("x" * 11)
    with pytest.raises(IngestError) as exc:
        read_document(path)
    assert reason(exc).startswith("file too large")
    path.write_text("x" * 10)
    assert read_document(path).text == "x" * 10


def test_load_documents_reports_and_continues(tmp_path: Path) -> None:
    (tmp_path / "b_good.txt").write_text("Good text.")
    (tmp_path / "a_good.md").write_text("# Hi\n\nThere.")
    (tmp_path / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "empty.html").write_bytes(b"")
    other = tmp_path / "other"
    other.mkdir()
    (other / "b_good.txt").write_text("Same id, different folder.")
    docs, errors = load_documents([tmp_path, tmp_path / "missing.txt"])
    assert [d.id for d in docs] == ["a_good", "b_good"]
    assert docs[1].text == "Good text."
    assert sorted(errors) == sorted(
        [
            (str(tmp_path / "bad.txt"), "binary file, not text"),
            (str(tmp_path / "empty.html"), "empty document"),
            (
                str(other / "b_good.txt"),
                f"duplicate document id 'b_good' (already read from {tmp_path / 'b_good.txt'})",
            ),
            (str(tmp_path / "missing.txt"), f"no such file or directory: {tmp_path / 'missing.txt'}"),
        ]
    )


# ---------------------------------------------------------------- collect_files


def test_collect_files_sorted_recursive_skips_hidden(tmp_path: Path) -> None:
    for rel in ["b.txt", "a.md", "sub/c.html", "sub/deeper/d.htm", "z.markdown",
                "notes.csv", ".hidden.txt", ".git/e.txt", "sub/.cache/f.txt", "UP.TXT"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    found = collect_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "UP.TXT", "a.md", "b.txt", "sub/c.html", "sub/deeper/d.htm", "z.markdown",
    ]
    assert collect_files([tmp_path]) == found


def test_collect_files_keeps_explicit_files_and_dedupes(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    found = collect_files([tmp_path / "data.csv", tmp_path, str(tmp_path / "a.txt")])
    assert found == [tmp_path / "data.csv", tmp_path / "a.txt"]


def test_collect_files_survives_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("x")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    assert collect_files([tmp_path]) == [tmp_path / "sub" / "a.txt"]


# ---------------------------------------------------------------- properties


def _check(raw: bytes | str, kind: str) -> None:
    try:
        doc = text_to_document("p", raw, kind)
    except IngestError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert doc.text
    assert "\x00" not in doc.text and "\r" not in doc.text
    assert len(doc.title) <= 200
    assert_links_consistent(doc)


KIND = st.sampled_from(["auto", "text", "markdown", "html"])
MARKUP = st.lists(
    st.sampled_from(
        list("ab [](#)!<>/=\"'&;\n\r\t *_`-17é\x00")
        + ["<a href=x>", "</a>", "<p>", "<pre>", "<script>", "<title>", "<head>", "<br/>",
           "&amp;", "&#0;", "](http://u)", "[7](#f)", "![i](u)", "# ", "    ", "â€™", "<!--", "<![", "<![CDATA["]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.text(), KIND)
def test_property_arbitrary_text(raw: str, kind: str) -> None:
    _check(raw, kind)


@settings(max_examples=200, deadline=None)
@given(st.binary(), KIND)
def test_property_arbitrary_bytes(raw: bytes, kind: str) -> None:
    _check(raw, kind)


@settings(max_examples=200, deadline=None)
@given(MARKUP, KIND)
def test_property_markup_like_text(raw: str, kind: str) -> None:
    _check(raw, kind)
