"""HTML and PDF rendering: escaping, structure, page furniture, metadata, tags, fonts, fetch safety."""

from __future__ import annotations

import dataclasses
import importlib
import io
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject, DictionaryObject, StreamObject

sys.path.insert(0, str(Path(__file__).parent))

from pages import info_text
from sample import sample_brief

from briefgen.brief import Block, BlockKind, Brief, Citation, CitationStyle, Item, Section
from briefgen.errors import BuildError
from briefgen.render import assets_dir
from briefgen.render.html import Media, render_html

A4 = (595.28, 841.89)
QUOTE_1 = "held a meeting lasting approximately 20 minutes"
HEADINGS = ("1 Summary", "2 Context", "2.1 Key provisions", "3 Questions")


# ---- helpers ----------------------------------------------------------------------------------


def _pdf(brief: Brief) -> bytes:
    from briefgen.render.pdf import write_pdf

    return write_pdf(render_html(brief))


def _reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def _with_item_text(brief: Brief, text: str) -> Brief:
    """Return the brief with the first paragraph item of the Context section replaced."""
    sections = list(brief.sections)
    context = sections[1]
    first = context.blocks[0]
    items = (dataclasses.replace(first.items[0], text=text), *first.items[1:])
    blocks = (dataclasses.replace(first, items=items), *context.blocks[1:])
    sections[1] = dataclasses.replace(context, blocks=blocks)
    return dataclasses.replace(brief, sections=tuple(sections))


def _add_section(brief: Brief, section: Section) -> Brief:
    return dataclasses.replace(brief, sections=(*brief.sections, section))


def _text_positions(page: Any) -> list[tuple[str, float]]:
    """Return (text, y) for each run of text drawn on a page."""
    runs: list[tuple[str, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            runs.append((text.strip(), float(cm[5]) + float(tm[5]) * float(cm[3])))

    page.extract_text(visitor_text=visit)
    return runs


def _outline_titles(outline: list[Any]) -> list[str]:
    titles: list[str] = []
    for entry in outline:
        if isinstance(entry, list):
            titles.extend(_outline_titles(entry))
        else:
            titles.append(str(entry.title))
    return titles


def _struct_tags(node: Any, found: set[str]) -> set[str]:
    """Collect the structure types (/H2, /TH, /L, …) below a structure element."""
    node = node.get_object()
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            found.add(str(node["/S"]))
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object()
            for kid in kids if isinstance(kids, list) else [kids]:
                if hasattr(kid, "get_object") and isinstance(kid.get_object(), DictionaryObject):
                    _struct_tags(kid, found)
    return found


@pytest.fixture(scope="module")
def footnoted_pdf() -> bytes:
    return _pdf(sample_brief())


@pytest.fixture(scope="module")
def cover_pdf() -> bytes:
    return _pdf(sample_brief(cover=True))


@pytest.fixture
def closed_port() -> Iterator[tuple[socket.socket, int]]:
    """A listening socket nobody should connect to: any fetch of it would show up as a connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    try:
        yield server, server.getsockname()[1]
    finally:
        server.close()


def _assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        server.accept()


# ---- HTML -------------------------------------------------------------------------------------


@pytest.mark.parametrize("media", ["print", "screen"])
def test_item_text_is_escaped(media: Media) -> None:
    brief = _with_item_text(sample_brief(), "<script>alert('x')</script> & <b>bold</b>")
    html = render_html(brief, media=media)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in html


def test_print_html_structure() -> None:
    html = render_html(sample_brief())
    assert '<html lang="en-GB">' in html
    assert "<title>UK–Japan defence and security partnership</title>" in html
    assert '<meta name="author" content="Policy Analysis Unit">' in html
    assert '<meta name="description" content="The January 2026 UK–Japan defence' in html
    assert '<meta name="keywords" content="OFFICIAL, UK, Japan, defence">' in html
    assert '<meta name="generator" content="briefgen">' in html
    assert '<link rel="stylesheet" href="css/print.css">' in html
    # The marking is for the running head and foot, not printed again at the top of the body.
    tag, body = html.split("<body", 1)[1].split(">", 1)
    assert 'data-marking="OFFICIAL"' in tag
    assert 'class="marking"' not in body
    assert body.lstrip().startswith('<header class="title-block">')
    assert '<h1 class="title">' in html
    assert '<h2 id="sec-summary">1 Summary</h2>' in html
    assert '<h3 id="sec-provisions">2.1 Key provisions</h3>' in html
    assert html.count('<th scope="col">') == 3
    widths = [float(w) for w in re.findall(r'<col style="width: ([\d.]+)%">', html)]
    assert len(widths) == 3 and abs(sum(widths) - 100) < 0.2
    assert '<aside class="box">' in html and '<p class="box-title">Key points</p>' in html
    assert '<p class="q">What was agreed?</p>' in html
    assert '<p class="note">Sources at annex.</p>' in html
    assert '<strong class="label">Assessment (likely):</strong> The partnership' in html
    # A paragraph block is one paragraph: its items run on, each in its own claim span.
    assert re.search(
        r'<p><span class="claim" id="claim-pm-name"[^>]*>Japan&#39;s Prime Minister is Sanae Takaichi\. '
        r'<span class="disputed">Sources differ[^<]*</span></span> '
        r'<span class="claim" id="claim-cyber-judgement"',
        html,
    )
    # The footnote call is joined to the last word by a word joiner: no line starts with it.
    assert 'deepen defence ties.&#x2060;<span class="footnote">Unknown publisher' in html
    assert "<ul>" in html and "<ol>" in html


def test_repeated_claim_gets_one_id() -> None:
    again = Section(
        key="again",
        heading="Again",
        level=1,
        blocks=(Block(kind=BlockKind.BULLETS, items=(Item(text="Repeat.", claim_id="pm-name"),)),),
    )
    html = render_html(_add_section(sample_brief(), again))
    assert html.count('data-claim="pm-name"') == 2
    assert html.count('id="claim-pm-name"') == 1
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_page_break_before_marks_a_long_section_only() -> None:
    brief = sample_brief()
    long_text = " ".join(["word"] * 400)
    long = Section(
        key="annex-long",
        heading="Annex A: Long",
        level=1,
        blocks=(Block(kind=BlockKind.PARAGRAPH, items=(Item(text=long_text),)),),
        page_break_before=True,
    )
    short = Section(
        key="annex-short",
        heading="Annex B: Short",
        level=1,
        blocks=(Block(kind=BlockKind.PARAGRAPH, items=(Item(text="A few words."),)),),
        page_break_before=True,
    )
    html = render_html(_add_section(_add_section(brief, long), short))
    assert '<section class="section level-1 page-break">\n<h2 id="sec-annex-long">' in html
    # A short annex runs on rather than leave most of a page blank.
    assert '<section class="section level-1">\n<h2 id="sec-annex-short">' in html


def test_public_paper_has_no_marking() -> None:
    for media in ("print", "screen"):
        html = render_html(dataclasses.replace(sample_brief(), marking=None), media=media)
        assert 'class="marking"' not in html and "data-marking" not in html
        assert "Classification" not in html


def test_screen_html_prints_the_marking_first() -> None:
    body = render_html(sample_brief(), media="screen").split("<body", 1)[1].split(">", 1)[1]
    assert body.lstrip().startswith('<p class="marking">OFFICIAL</p>')


def test_one_footnote_per_item_names_each_source_once() -> None:
    cite = sample_brief().sections[0].blocks[0].items[0].citations[0]
    again = dataclasses.replace(cite, number=2, reference="Tokyo Summit", quote="a second quote")
    other = dataclasses.replace(cite, number=3, source_id="other", reference="Other, 'Paper', 2026", quote="")
    extra = Section(
        key="cited",
        heading="Cited",
        level=1,
        blocks=(
            Block(kind=BlockKind.PARAGRAPH, items=(Item(text="Fact.", citations=(cite, again, other)),)),
        ),
    )
    html = render_html(_add_section(sample_brief(), extra))
    notes = re.findall(r'<span class="footnote">([^<]*)</span>', html)
    assert len(notes) == 3  # two box items and this one
    assert notes[-1] == (
        "Unknown publisher, &#39;UK-Japan Tokyo Summit&#39;, 1 February 2026: "
        "\u201cheld a meeting lasting approximately 20 minutes\u201d and \u201ca second quote\u201d; "
        "Other, &#39;Paper&#39;, 2026."
    )
    screen = render_html(_add_section(sample_brief(), extra), media="screen")
    assert screen.count('<sup class="fn-ref">') == 3 and '<li id="fn-3" value="3">' in screen


def test_links_style() -> None:
    brief = sample_brief(citation_style=CitationStyle.LINKS)
    cite = Citation(1, "s", "Gov.uk news", "ref", "q", url="https://www.gov.uk/x?a=1&b=2")
    bad = Citation(2, "t", "Evil", "ref", "q", url="javascript:alert(1)")
    plain = Citation(3, "u", "Paper source", "ref", "q")
    extra = Section(
        key="links",
        heading="Links",
        level=1,
        blocks=(Block(kind=BlockKind.PARAGRAPH, items=(Item(text="Fact.", citations=(cite, bad, plain)),)),),
    )
    html = render_html(_add_section(brief, extra))
    assert 'Fact. (<a href="https://www.gov.uk/x?a=1&amp;b=2">Gov.uk news</a>; Evil; Paper source)' in html
    assert "javascript:" not in html
    assert 'class="footnote"' not in html
    assert "defence ties. (Tokyo Summit (news))" in html


def test_no_citations_style() -> None:
    html = render_html(sample_brief(citation_style=CitationStyle.NONE))
    assert "Unknown publisher" not in html and "Tokyo Summit" not in html


def test_screen_html_is_standalone_with_endnotes() -> None:
    html = render_html(sample_brief(cover=True), media="screen")
    assert "css/print.css" not in html and "<link" not in html
    assert "max-width: 46em" in html
    assert 'class="footnote"' not in html
    assert '<sup class="fn-ref"><a href="#fn-1" id="fnref-1">1</a></sup>' in html
    assert '<li id="fn-2" value="2">Unknown publisher' in html
    assert '<a href="#sec-provisions">2.1 Key provisions</a>' in html


def test_templates_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from briefgen.render import templates_dir

    monkeypatch.setenv("BRIEFGEN_TEMPLATES", str(tmp_path))
    assert templates_dir() == tmp_path.resolve()
    assert assets_dir() == (tmp_path / "assets").resolve()


# ---- PDF: pages, furniture, text ----------------------------------------------------------------


def test_pages_are_a4_with_marking_top_and_bottom(footnoted_pdf: bytes) -> None:
    reader = _reader(footnoted_pdf)
    assert len(reader.pages) >= 1
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1
        runs = _text_positions(page)
        markings = [y for text, y in runs if text == "OFFICIAL"]
        assert any(y > height - 57 for y in markings), f"page {number}: no marking in the top margin"
        assert any(y < 57 for y in markings), f"page {number}: no marking in the bottom margin"
        assert len(markings) == 2, f"page {number}: the marking is printed {len(markings)} times"
        assert f"Page {number} of {len(reader.pages)}" in page.extract_text()


def test_footnotes_print_at_page_foot(footnoted_pdf: bytes) -> None:
    text = " ".join(" ".join(page.extract_text() for page in _reader(footnoted_pdf).pages).split())
    assert QUOTE_1 in text
    assert "1. Unknown publisher, 'UK-Japan Tokyo Summit'" in text
    assert "Strategic Realignment in the Indo-Pacific" in text


def test_no_footnotes_when_style_is_none() -> None:
    text = "\n".join(
        p.extract_text() for p in _reader(_pdf(sample_brief(citation_style=CitationStyle.NONE))).pages
    )
    assert "UK–Japan defence and security partnership" in text
    assert QUOTE_1 not in text and "Unknown publisher" not in text


def test_public_pdf_has_page_numbers_but_no_marking() -> None:
    reader = _reader(_pdf(dataclasses.replace(sample_brief(), marking=None, keywords=("UK", "Japan"))))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "OFFICIAL" not in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "/Classification" not in (reader.metadata or {})


def test_cover_and_contents(cover_pdf: bytes) -> None:
    reader = _reader(cover_pdf)
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) == 3
    assert "UK–Japan defence and security\npartnership" in pages[0] and "Version 1.0" in pages[0]
    assert "Page 1 of" not in pages[0]  # no page number on the cover
    assert "OFFICIAL" in pages[0]
    assert "Contents" in pages[1]
    assert re.search(r"2\.1 Key provisions[ .]*3", pages[1])
    assert "Page 3 of 3" in pages[2] and "1 Summary" in pages[2]


def test_table_header_row(footnoted_pdf: bytes) -> None:
    text = _reader(footnoted_pdf).pages[0].extract_text()
    assert re.search(r"Commitment\s*UK lead\s*Timeline", text)


# ---- PDF: metadata, tags, outline, fonts ------------------------------------------------------


def test_metadata(footnoted_pdf: bytes) -> None:
    reader = _reader(footnoted_pdf)
    assert info_text(reader, "/Title") == "UK–Japan defence and security partnership"
    assert info_text(reader, "/Author") == "Policy Analysis Unit"
    assert info_text(reader, "/Subject") == "The January 2026 UK–Japan defence and security partnership"
    assert info_text(reader, "/Keywords") == "OFFICIAL, UK, Japan, defence"
    assert info_text(reader, "/Creator") == "briefgen"
    assert info_text(reader, "/Classification") == "OFFICIAL"
    root = reader.trailer["/Root"]
    assert isinstance(root, DictionaryObject)
    lang = root["/Lang"]
    assert isinstance(lang, str) and lang == "en-GB"
    xmp = root["/Metadata"].get_object()
    assert isinstance(xmp, StreamObject)
    assert b'pdfuaid:part="1"' in xmp.get_data()


def test_pdf_is_tagged(footnoted_pdf: bytes) -> None:
    root = _reader(footnoted_pdf).trailer["/Root"]
    assert isinstance(root, DictionaryObject)
    mark_info = root["/MarkInfo"]
    assert isinstance(mark_info, DictionaryObject)
    marked = mark_info["/Marked"]
    assert isinstance(marked, BooleanObject) and marked.value is True
    tags = _struct_tags(root["/StructTreeRoot"], set())
    assert {"/H1", "/H2", "/H3", "/P", "/L", "/LI", "/Table", "/TH", "/TD"} <= tags


def test_outline_has_section_headings(cover_pdf: bytes) -> None:
    titles = _outline_titles(_reader(cover_pdf).outline)
    assert titles[0] == "UK–Japan defence and security partnership"
    for heading in HEADINGS:
        assert heading in titles


def test_fonts_are_embedded(footnoted_pdf: bytes) -> None:
    reader = _reader(footnoted_pdf)
    seen: set[str] = set()
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        fonts = resources["/Font"]
        assert isinstance(fonts, DictionaryObject)
        for ref in fonts.values():
            font = ref.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for d in descendants:
                descriptor = d["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
                seen.add(str(font["/BaseFont"]).split("+", 1)[-1])
    assert {"Liberation-Sans", "Liberation-Sans-Bold"} <= seen
    # Nothing a reader must read is italic (GOV.UK accessible documents), so no italic is used.
    assert not any("Italic" in name for name in seen), seen


# ---- PDF: reproducibility ----------------------------------------------------------------------


def test_byte_identical_in_process(footnoted_pdf: bytes) -> None:
    assert _pdf(sample_brief()) == footnoted_pdf


def test_byte_identical_across_processes(footnoted_pdf: bytes) -> None:
    script = (
        "import sys; sys.path.insert(0, 'tests');"
        "from sample import sample_brief; from briefgen.render.html import render_html;"
        "from briefgen.render.pdf import write_pdf;"
        "sys.stdout.buffer.write(write_pdf(render_html(sample_brief())))"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, check=True)
    assert out.stdout == footnoted_pdf


def test_source_date_epoch_dates_the_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    first = _pdf(sample_brief())
    assert info_text(_reader(first), "/CreationDate").startswith("D:20260101000000")
    assert _pdf(sample_brief()) == first


def test_undated_without_source_date_epoch(footnoted_pdf: bytes) -> None:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        pytest.skip("SOURCE_DATE_EPOCH is set")
    meta = _reader(footnoted_pdf).metadata
    assert meta is not None and "/CreationDate" not in meta


# ---- Fetch safety and WeasyPrint problems -----------------------------------------------------


def test_fetcher_allows_assets_and_data_only(tmp_path: Path) -> None:
    from briefgen.render.pdf import AssetFetcher, FetchRefusedError

    fetcher = AssetFetcher()
    css = fetcher.fetch((assets_dir() / "css" / "print.css").as_uri())
    assert css.content_type == "text/css" and b"@font-face" in css.read()
    font = fetcher.fetch((assets_dir() / "fonts" / "LiberationSans-Regular.ttf").as_uri())
    assert len(font.read()) > 100_000
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"

    escape = assets_dir().as_uri() + "/css/../../../pyproject.toml"
    outside_link = tmp_path / "assets"
    outside_link.mkdir()
    (outside_link / "passwd").symlink_to("/etc/passwd")
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.com/font.ttf",
        "ftp://example.com/x",
        escape,
        "file://otherhost" + str(assets_dir() / "css" / "print.css"),
        assets_dir().as_uri() + "/css/missing.css",
    ):
        with pytest.raises(FetchRefusedError):
            fetcher.fetch(url)
    with pytest.raises(FetchRefusedError):
        AssetFetcher(root=outside_link).fetch((outside_link / "passwd").as_uri())
    assert len(fetcher.refused) == 7


HOSTILE = """<!DOCTYPE html><html lang="en-GB"><head><title>x</title>
<link rel="stylesheet" href="css/print.css">
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="attachment" href="file:///etc/passwd">
<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
</head><body><p>Hello</p>
<img src="file:///etc/passwd" alt="x"><img src="http://127.0.0.1:{port}/x.png" alt="y">
<img src="../../pyproject.toml" alt="z"></body></html>"""


def test_hostile_html_fails_the_build_and_fetches_nothing(
    closed_port: tuple[socket.socket, int], weasyprint_logs: list[str]
) -> None:
    from briefgen.render.pdf import write_pdf

    server, port = closed_port
    with pytest.raises(BuildError) as caught:
        write_pdf(HOSTILE.format(port=port))
    assert "file:///etc/passwd" in str(caught.value)
    assert any("file:///etc/passwd" in message for message in weasyprint_logs)
    _assert_no_connection(server)


def test_hostile_html_leaks_nothing_into_the_pdf(
    closed_port: tuple[socket.socket, int], weasyprint_logs: list[str]
) -> None:
    """Render past the refusals (as WeasyPrint alone would) and check what reached the PDF."""
    from briefgen.render.pdf import AssetFetcher  # imports WeasyPrint quietly: before the line below

    weasyprint = importlib.import_module("weasyprint")

    server, port = closed_port
    fetcher = AssetFetcher()
    html = weasyprint.HTML(
        string=HOSTILE.format(port=port), base_url=assets_dir().as_uri() + "/", url_fetcher=fetcher
    )
    data = html.write_pdf(uncompressed_pdf=True, attachments=["file:///etc/passwd"])
    assert b"root:x:0:0" not in data
    assert b"/EmbeddedFiles" not in data
    assert all(url.startswith(assets_dir().as_uri()) for url in fetcher.fetched)
    assert "file:///etc/passwd" in fetcher.refused
    assert f"http://127.0.0.1:{port}/x.png" in fetcher.refused
    assert len(weasyprint_logs) == len(fetcher.refused)
    _assert_no_connection(server)


def test_weasyprint_warning_fails_the_build(weasyprint_logs: list[str]) -> None:
    from briefgen.render.pdf import render_document

    html = render_html(sample_brief()).replace("</head>", "<style>p { colour: red; }</style></head>")
    with pytest.raises(BuildError, match="colour"):
        render_document(html)
    assert weasyprint_logs == ["Ignored `colour: red` at 1:5, unknown property."]


def test_page_count() -> None:
    from briefgen.render.pdf import page_count

    assert page_count(render_html(sample_brief())) == 1
    assert page_count(render_html(sample_brief(cover=True))) == 3


def test_write_pdf_to_path(tmp_path: Path) -> None:
    from briefgen.render.pdf import render_document, write_pdf

    target = tmp_path / "paper.pdf"
    data = write_pdf(render_document(render_html(sample_brief())), target)
    assert target.read_bytes() == data and data.startswith(b"%PDF-1.7")


def test_weasyprint_not_imported_by_html_renderer() -> None:
    code = "import briefgen.render.html, sys; print('weasyprint' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
