"""Word output: reopen the .docx with python-docx and read its XML parts."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from briefgen.brief import Block, BlockKind, Brief, Citation, CitationStyle, Item, Section
from briefgen.errors import BuildError
from briefgen.render.docx import write_docx
from briefgen.render.ooxml import bookmark_name

sys.path.insert(0, str(Path(__file__).parent))
from sample import sample_brief
from word_styles import style_name

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def parts(data: bytes) -> dict[str, str]:
    """Return every XML member of a .docx as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name).decode() for name in z.namelist() if name.endswith((".xml", ".rels"))}


def with_urls(brief: Brief, url: str = "https://example.org/{}?a=1&b=2") -> Brief:
    """Return `brief` citing by links, with `url` (formatted with the source id) on every citation."""

    def item(it: Item) -> Item:
        cites = tuple(dataclasses.replace(c, url=url.format(c.source_id)) for c in it.citations)
        return dataclasses.replace(it, citations=cites)

    sections = tuple(
        dataclasses.replace(
            s, blocks=tuple(dataclasses.replace(b, items=tuple(map(item, b.items))) for b in s.blocks)
        )
        for s in brief.sections
    )
    return dataclasses.replace(brief, sections=sections, citation_style=CitationStyle.LINKS)


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dates below come from the brief's as-of date unless a test pins SOURCE_DATE_EPOCH itself.
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture(scope="module")
def sample_docx() -> bytes:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        return write_docx(sample_brief())


def test_headings_use_builtin_styles_in_order(sample_docx: bytes) -> None:
    doc = Document(io.BytesIO(sample_docx))
    headings = [(style_name(p), p.text) for p in doc.paragraphs if style_name(p).startswith("Heading")]
    assert headings == [
        ("Heading 1", "1 Summary"),
        ("Heading 1", "2 Context"),
        ("Heading 2", "2.1 Key provisions"),
        ("Heading 1", "3 Questions"),
    ]
    assert style_name(doc.paragraphs[0]) == "Title"


def test_marking_in_every_header_and_footer_not_again_in_the_body(sample_docx: bytes) -> None:
    doc = Document(io.BytesIO(sample_docx))
    # The header shows it on page 1: a body line as well would print it twice there.
    assert all(p.text != "OFFICIAL" and style_name(p) != "Marking" for p in doc.paragraphs)
    for section in doc.sections:
        assert not section.header.is_linked_to_previous
        assert section.header.paragraphs[0].text == "OFFICIAL"
        assert "OFFICIAL" in section.footer.paragraphs[0].text
        assert section.header.paragraphs[0].runs[0].bold


def test_footer_has_page_and_numpages_fields(sample_docx: bytes) -> None:
    footers = [xml for name, xml in parts(sample_docx).items() if name.startswith("word/footer")]
    assert footers
    for xml in footers:
        instructions = [t.strip() for t in re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", xml)]
        assert instructions == ["PAGE", "NUMPAGES"]
        assert xml.count('w:fldCharType="begin"') == 2


def test_footnotes_hold_each_quote_and_are_referenced(sample_docx: bytes) -> None:
    xml = parts(sample_docx)
    footnotes = xml["word/footnotes.xml"]
    brief = sample_brief()
    for citation in brief.footnotes():
        assert citation.quote in footnotes
    assert 'w:type="separator" w:id="-1"' in footnotes
    assert 'w:type="continuationSeparator" w:id="0"' in footnotes
    body = xml["word/document.xml"]
    refs = re.findall(
        r'<w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="(\d+)"/>', body
    )
    assert refs == [str(n) for n in range(1, len(brief.footnotes()) + 1)]
    assert "footnotes.xml" in xml["word/_rels/document.xml.rels"]
    assert "<w:footnotePr>" in xml["word/settings.xml"]


def _cited_paragraph(*citations: Citation, text: str = "Fact one.") -> Brief:
    """Return the sample brief with one more section: a paragraph block of two items, the first cited."""
    block = Block(
        kind=BlockKind.PARAGRAPH,
        items=(
            Item(text=text, claim_id="fact-one", citations=citations),
            Item(text="Fact two.", claim_id="fact-two"),
        ),
    )
    section = Section(key="cited", heading="Cited", level=1, blocks=(block,))
    brief = sample_brief()
    return dataclasses.replace(brief, sections=(*brief.sections, section))


def test_one_footnote_per_item_names_each_source_once() -> None:
    cite = sample_brief().sections[0].blocks[0].items[0].citations[0]
    again = dataclasses.replace(cite, number=3, reference="Tokyo Summit", quote="a second quote")
    other = dataclasses.replace(cite, number=4, source_id="other", reference="Other, 'Paper', 2026", quote="")
    data = write_docx(_cited_paragraph(cite, again, other))
    notes = Document(io.BytesIO(data)).part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
    )
    assert isinstance(notes, XmlPart)  # typed as any Part; the footnotes are an XML one
    texts = [
        "".join(t.text or "" for t in note.iter(f"{W}t")).strip()
        for note in notes.element.findall(f"{W}footnote")
        if note.get(f"{W}type") is None
    ]
    assert len(texts) == 3  # the two box items, then this item's one note
    assert texts[-1] == (
        "Unknown publisher, 'UK-Japan Tokyo Summit', 1 February 2026: "
        "\u201cheld a meeting lasting approximately 20 minutes\u201d and \u201ca second quote\u201d; "
        "Other, 'Paper', 2026."
    )


def test_paragraph_block_is_one_paragraph_with_the_call_against_its_last_word() -> None:
    cite = sample_brief().sections[0].blocks[0].items[0].citations[0]
    data = write_docx(_cited_paragraph(cite, text="Fact one. "))
    doc = Document(io.BytesIO(data))
    assert [p.text for p in doc.paragraphs if p.text.startswith("Fact")] == ["Fact one. Fact two."]
    body = parts(data)["word/document.xml"]
    # No space between the text and its footnote reference: a line cannot break before the call.
    assert re.search(r"<w:t>Fact one\.</w:t></w:r><w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\"/>", body)
    # Each claim keeps its bookmark inside the shared paragraph.
    assert 'w:name="c_fact_one"' in body and 'w:name="c_fact_two"' in body


def test_table_columns_are_sized_to_their_content(sample_docx: bytes) -> None:
    from briefgen.render import shape

    doc = Document(io.BytesIO(sample_docx))
    table = doc.tables[0]
    grid = [int(col.get(f"{W}w")) for col in table._tbl.tblGrid.findall(f"{W}gridCol")]
    brief_table = sample_brief().sections[2].blocks[0].table
    assert brief_table is not None
    shares = shape.column_widths(brief_table, width_pt=9866 / 20, style=CitationStyle.FOOTNOTES)
    assert grid == [int(9866 * share / 100) for share in shares]
    assert grid[0] > grid[1] and grid[0] > grid[2]  # the long column gets the room
    header = table.rows[0].cells[0].paragraphs[0]
    assert header.paragraph_format.keep_with_next
    assert {style_name(p) for row in table.rows for cell in row.cells for p in cell.paragraphs} == {
        "Table Text"
    }


def test_citation_style_none_leaves_only_separators() -> None:
    data = write_docx(sample_brief(citation_style=CitationStyle.NONE))
    xml = parts(data)
    ids = re.findall(r'<w:footnote [^>]*w:id="(-?\d+)"', xml["word/footnotes.xml"])
    assert sorted(ids) == ["-1", "0"]
    assert "footnoteReference" not in xml["word/document.xml"]


def test_links_style_makes_external_hyperlinks() -> None:
    data = write_docx(with_urls(sample_brief()))
    xml = parts(data)
    rels = xml["word/_rels/document.xml.rels"]
    assert rels.count(HYPERLINK_REL) == 2
    assert 'Target="https://example.org/tokyo-summit?a=1&amp;b=2" TargetMode="External"' in rels
    doc = Document(io.BytesIO(data))
    links = [link for p in doc.paragraphs for link in p.hyperlinks]
    assert [link.text for link in links] == ["Tokyo Summit (news)", "Strategic Realignment (academic paper)"]
    assert "footnoteReference" not in xml["word/document.xml"]


def test_links_style_refuses_unsafe_schemes() -> None:
    brief = with_urls(sample_brief(), url="file:///etc/passwd#{}")
    data = write_docx(brief)
    assert HYPERLINK_REL not in parts(data)["word/_rels/document.xml.rels"]
    assert "/etc/passwd" not in parts(data)["word/_rels/document.xml.rels"]


def test_links_style_without_url_is_plain_text() -> None:
    doc = Document(io.BytesIO(write_docx(sample_brief(citation_style=CitationStyle.LINKS))))
    texts = [p.text for p in doc.paragraphs]
    assert "The UK and Japan agreed on 31 January 2026 to deepen defence ties. (Tokyo Summit (news))" in texts
    assert not any(p.hyperlinks for p in doc.paragraphs)


def test_bullets_use_list_bullet_with_numbering_from_style(sample_docx: bytes) -> None:
    doc = Document(io.BytesIO(sample_docx))
    bullets = [p for p in doc.paragraphs if style_name(p) == "List Bullet"]
    assert [p.text for p in bullets] == ["First bullet.", "Second bullet."]
    style = bullets[0].style
    assert style is not None
    num_id = style.element.find(f"{W}pPr/{W}numPr/{W}numId")
    assert num_id is not None
    numbering = doc.part.numbering_part.element
    num = numbering.num_having_numId(int(num_id.get(f"{W}val")))
    abstract = numbering.find(f"{W}abstractNum[@{W}abstractNumId='{num.abstractNumId.val}']")
    assert abstract.find(f"{W}lvl/{W}numFmt").get(f"{W}val") == "bullet"
    numbered = [p.text for p in doc.paragraphs if style_name(p) == "List Number"]
    assert numbered == ["Step one.", "Step two."]


def _num_id(paragraph: Paragraph) -> int:
    """Return the numbering instance a paragraph's own properties name."""
    p_pr = paragraph._p.pPr
    assert p_pr is not None
    # python-docx types numPr as the ZeroOrOne descriptor that declares it, not the element it returns.
    num_pr: Any = p_pr.numPr
    val: int = num_pr.numId.val
    return val


def test_each_numbered_list_restarts_at_one() -> None:
    steps = Block(kind=BlockKind.NUMBERED, items=(Item(text="One."), Item(text="Two.")))
    section = Section(key="x", heading="Steps", level=1, blocks=(steps, steps))
    data = write_docx(dataclasses.replace(sample_brief(), sections=(section,), included=()))
    doc = Document(io.BytesIO(data))
    numbered = [p for p in doc.paragraphs if style_name(p) == "List Number"]
    num_ids = [_num_id(p) for p in numbered]
    assert num_ids[0] == num_ids[1] != num_ids[2] == num_ids[3]
    numbering = parts(data)["word/numbering.xml"]
    for num_id in set(num_ids):
        assert re.search(rf'<w:num w:numId="{num_id}">.*?<w:startOverride w:val="1"/>', numbering)


def test_table_header_row_repeats_and_is_bold(sample_docx: bytes) -> None:
    doc = Document(io.BytesIO(sample_docx))
    (table,) = doc.tables
    header = table.rows[0]
    tr_pr = header._tr.trPr
    assert tr_pr is not None
    assert tr_pr.find(qn("w:tblHeader")) is not None
    assert [c.text for c in header.cells] == ["Commitment", "UK lead", "Timeline"]
    assert all(run.bold for c in header.cells for run in c.paragraphs[0].runs)
    widths = [c.width for c in header.cells]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    assert table.rows[1].cells[0].text == "Hold a 2+2 meeting"


def test_core_and_custom_properties(sample_docx: bytes) -> None:
    doc = Document(io.BytesIO(sample_docx))
    props = doc.core_properties
    assert props.title == "UK–Japan defence and security partnership"
    assert props.author == "Policy Analysis Unit"
    assert props.language == "en-GB"
    assert props.category == "OFFICIAL"
    assert "OFFICIAL" in props.keywords
    assert props.revision == 1
    assert props.created.year == 2026 and props.created.month == 11 and props.created.day == 22
    xml = parts(sample_docx)
    custom = xml["docProps/custom.xml"]
    assert 'name="Classification"><vt:lpwstr>OFFICIAL</vt:lpwstr>' in custom
    assert 'PartName="/docProps/custom.xml"' in xml["[Content_Types].xml"]
    assert "custom-properties" in xml["_rels/.rels"]
    assert '<w:lang w:val="en-GB"' in xml["word/styles.xml"]
    with zipfile.ZipFile(io.BytesIO(sample_docx)) as z:
        assert not [n for n in z.namelist() if "thumbnail" in n]


def test_public_paper_is_unmarked() -> None:
    brief = dataclasses.replace(sample_brief(), marking=None, keywords=("UK", "Japan"))
    data = write_docx(brief)
    doc = Document(io.BytesIO(data))
    assert style_name(doc.paragraphs[0]) == "Title"
    assert doc.core_properties.category == "PUBLIC"
    assert "<vt:lpwstr>UNMARKED</vt:lpwstr>" in parts(data)["docProps/custom.xml"]
    assert "OFFICIAL" not in doc.sections[0].header.paragraphs[0].text


def test_bookmark_per_claim(sample_docx: bytes) -> None:
    body = parts(sample_docx)["word/document.xml"]
    names = re.findall(r'<w:bookmarkStart w:id="\d+" w:name="([^"]+)"/>', body)
    expected = [bookmark_name(claim_id, set()) for claim_id in sample_brief().included]
    assert names == expected
    assert len(set(re.findall(r'<w:bookmarkStart w:id="(\d+)"', body))) == len(names)
    assert body.count("<w:bookmarkEnd ") == len(names)


def test_bookmark_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    long_id = "a-very-long-claim-identifier-that-goes-on-and-on"
    first, second = bookmark_name(long_id, taken), bookmark_name(long_id, taken)
    assert first != second
    for name in (first, second, bookmark_name("9.x/ü", taken)):
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", name), name


def test_output_is_byte_identical(sample_docx: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert write_docx(sample_brief()) == sample_docx
    with zipfile.ZipFile(io.BytesIO(sample_docx)) as z:
        names = z.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {info.date_time for info in z.infolist()} == {(2026, 11, 22, 0, 0, 0)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    pinned = write_docx(sample_brief())
    assert pinned == write_docx(sample_brief())
    assert Document(io.BytesIO(pinned)).core_properties.modified.year == 2026
    with zipfile.ZipFile(io.BytesIO(pinned)) as z:
        assert {info.date_time for info in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}


def test_markup_in_text_is_literal() -> None:
    nasty = "<script>alert('x')</script> & <w:t>\x0b"
    section = Section(
        key="x",
        heading="A & B <i>",
        level=1,
        blocks=(Block(kind=BlockKind.PARAGRAPH, items=(Item(text=nasty),)),),
    )
    brief = dataclasses.replace(sample_brief(), title="Q&A <b>", sections=(section,), included=())
    data = write_docx(brief)
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert "<script>alert('x')</script> & <w:t>" in texts
    assert "Q&A <b>" in texts and "A & B <i>" in texts
    assert "&lt;script&gt;" in parts(data)["word/document.xml"]


def test_cover_and_contents() -> None:
    data = write_docx(sample_brief(cover=True))
    doc = Document(io.BytesIO(data))
    body = parts(data)["word/document.xml"]
    assert 'TOC \\o "1-3" \\h \\z \\u' in body
    # The TOC field's result lists each heading with the page the PDF puts it on, so it reads
    # right as opened; and Word is not told to update fields, which would make it ask each time.
    toc = [p.text for p in doc.paragraphs if style_name(p).startswith("toc")]
    assert toc == ["1 Summary\t3", "2 Context\t3", "2.1 Key provisions\t3", "3 Questions\t3"]
    assert body.count("PAGEREF _Toc") == 4
    assert "updateFields" not in parts(data)["word/settings.xml"]
    assert 'w:dirty="true"' not in body
    contents = next(p for p in doc.paragraphs if p.text == "Contents")
    assert contents.paragraph_format.page_break_before
    first_heading = next(p for p in doc.paragraphs if style_name(p) == "Heading 1")
    assert first_heading.paragraph_format.page_break_before
    cover = doc.sections[0]
    assert cover.different_first_page_header_footer  # the cover: marking, no page number
    assert cover.first_page_header.paragraphs[0].text == "OFFICIAL"
    assert "Page" not in cover.first_page_footer.paragraphs[0].text
    assert [style_name(p) for p in doc.paragraphs[:2]] == ["Cover Title", "Cover Subtitle"]


def test_contents_pages_can_be_given() -> None:
    data = write_docx(sample_brief(cover=True), page_of_heading={"summary": 3, "context": 4})
    toc = [p.text for p in Document(io.BytesIO(data)).paragraphs if style_name(p).startswith("toc")]
    # A heading without a known page is listed without one, never with a wrong one.
    assert toc == ["1 Summary\t3", "2 Context\t4", "2.1 Key provisions", "3 Questions"]


def test_custom_reference_without_footnotes_part(tmp_path: Path) -> None:
    reference = tmp_path / "plain.docx"
    Document().save(str(reference))  # python-docx's own template: no footnotes part, no Marking style
    data = write_docx(sample_brief(), reference=reference)
    xml = parts(data)
    assert "held a meeting lasting approximately 20 minutes" in xml["word/footnotes.xml"]
    assert Document(io.BytesIO(data)).sections[0].header.paragraphs[0].text == "OFFICIAL"


def test_bad_reference_is_a_build_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.docx"
    bogus.write_text("not a zip")
    with pytest.raises(BuildError, match=r"bogus\.docx: cannot use as the Word reference document"):
        write_docx(sample_brief(), reference=bogus)
    with pytest.raises(BuildError, match=r"missing\.docx"):
        write_docx(sample_brief(), reference=tmp_path / "missing.docx")


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_marking_on_every_page_and_footnotes(tmp_path: Path) -> None:
    from pypdf import PdfReader

    source = tmp_path / "sample.docx"
    source.write_bytes(write_docx(sample_brief(cover=True)))
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    reader = PdfReader(tmp_path / "sample.pdf")
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL") == 2, f"page {number}: {text[:200]}"
        # Numbered from the cover, which shows no number of its own.
        assert (f"Page {number} of {len(pages)}" in text) == (number > 1), f"page {number}: {text[:200]}"
    # LibreOffice shows the contents with the page numbers written into the TOC field's result.
    assert re.search(r"2\.1 Key provisions[ .…]*3", pages[1]), pages[1]
    everything = " ".join(pages)
    assert "held a meeting lasting approximately 20 minutes" in everything
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (210, 297)
