"""Build every length × audience of every summary in briefs/ and check the real PDF and Word files."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree
from pages import NOTE_SIZE, body_and_notes, page_lines, pdf_text, read_pdf
from pypdf import PdfReader
from pypdf.generic import Destination
from word_styles import style_name

from briefgen.anchoring import read_sources
from briefgen.brief import Brief, items_of
from briefgen.loading import load_summary
from briefgen.model import Audience, Length, Summary
from briefgen.run import Results, build_papers

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "briefs" / "uk-japan-2026.yaml"
SUMMARIES = sorted((ROOT / "briefs").glob("*.yaml"))
EDITIONS = [f"{length.value}-{audience.value}" for length in Length for audience in Audience]
MARKINGS = ("OFFICIAL-SENSITIVE", "OFFICIAL")


def _brief(results: Results, edition: str) -> Brief:
    return next(p.brief for p in results.papers if p.brief.edition == edition)


def _summary_of(results: Results) -> Summary:
    """Return the summary a build was made from."""
    wanted = results.papers[0].brief.summary_id
    return next(s for s in (load_summary(p) for p in SUMMARIES) if s.id == wanted)


def _pdf(folder: Path, edition: str) -> PdfReader:
    return PdfReader(folder / f"{edition}.pdf")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _docx_text(path: Path) -> str:
    """Return the body text of a .docx as Word would read it: paragraphs, table cells included, in order."""
    body = docx.Document(str(path)).element.body
    paragraphs = ("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))
    return _flat(" ".join(paragraphs))


def _pdf_body_text(path: Path) -> str:
    """Return a PDF's body text in reading order: no running heads and feet, footnotes or calls.

    Sentences run on within a paragraph, so one may start on one page and end on the next: the
    page furniture and footnotes between must not come between its words.
    """
    lines = [
        line.text
        for page in page_lines(path)
        for line in body_and_notes(page)[0]
        if line.size >= NOTE_SIZE  # footnote calls are set small
    ]
    # A line broken after the hyphen of "cross-regional" joins up without a space.
    return _flat(re.sub(r"(?<=[^\W\d])-\n", "-", "\n".join(lines)))


def _outline(entries: Sequence[object]) -> list[str]:
    """Flatten a PDF outline into its titles."""
    titles: list[str] = []
    for entry in entries:
        if isinstance(entry, list):
            titles.extend(_outline(entry))
        else:
            assert isinstance(entry, Destination), entry
            titles.append(str(entry.title))
    return titles


def test_every_edition_builds_in_both_formats(built: tuple[Path, Results]) -> None:
    folder, results = built
    assert sorted(p.brief.edition for p in results.papers) == sorted(EDITIONS)
    for edition in EDITIONS:
        for suffix in ("pdf", "docx", "report.json"):
            assert (folder / f"{edition}.{suffix}").stat().st_size > 1000 or suffix == "report.json"


@pytest.mark.parametrize("audience", [a.value for a in Audience])
def test_one_page_pdf_has_exactly_one_a4_page(built: tuple[Path, Results], audience: str) -> None:
    folder, _ = built
    reader = _pdf(folder, f"one-page-{audience}")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


@pytest.mark.parametrize("audience", [a.value for a in Audience])
def test_short_and_full_page_counts(built: tuple[Path, Results], audience: str) -> None:
    folder, results = built
    assert 2 <= len(_pdf(folder, f"short-{audience}").pages) <= 4
    pages = len(_pdf(folder, f"full-{audience}").pages)
    # Six pages or more: cover, contents and at least four of text, when there is that much to say.
    # A summary with less is not padded out with nearly blank pages before its annexes.
    words = next(p.report["words"] for p in results.papers if p.brief.edition == f"full-{audience}")
    assert pages >= (6 if words >= 1500 else 4), (pages, words)


@pytest.mark.parametrize("edition", EDITIONS)
def test_marking_on_every_page_top_and_bottom(built: tuple[Path, Results], edition: str) -> None:
    folder, results = built
    brief = _brief(results, edition)
    reader = _pdf(folder, edition)
    if brief.marking is None:
        assert edition.endswith(("public", "parliament"))  # unmarked unless the summary says otherwise
        assert "OFFICIAL" not in pdf_text(folder / f"{edition}.pdf")
        return
    assert brief.marking in MARKINGS
    for number, page in enumerate(read_pdf(folder / f"{edition}.pdf"), 1):
        found = [run.text_y for run in page.runs if run.text == brief.marking]
        assert found, f"page {number} has no marking"
        assert max(found) > 780 and min(found) < 60, f"page {number}: marking not top and bottom: {found}"
        # Once at the top and once at the foot: the body does not print it again (page 1 had it twice).
        assert len(found) == 2, f"page {number}: the marking is printed {len(found)} times: {found}"
    info = reader.metadata
    assert info is not None
    assert brief.marking in (info.get("/Keywords") or "")
    assert info.get("/Classification") == brief.marking
    # In Word the header part carries it (the footer too), and the body does not repeat it.
    document = docx.Document(str(folder / f"{edition}.docx"))
    for section in document.sections:
        assert section.header.paragraphs[0].text == brief.marking
        assert brief.marking in section.footer.paragraphs[0].text
    assert brief.marking not in [p.text for p in document.paragraphs]
    assert not _docx_text(folder / f"{edition}.docx").startswith(brief.marking)


@pytest.mark.parametrize("edition", EDITIONS)
def test_pdf_and_docx_carry_the_same_claims_in_the_same_order(
    built: tuple[Path, Results], edition: str
) -> None:
    folder, results = built
    brief = _brief(results, edition)
    pdf_text = _pdf_body_text(folder / f"{edition}.pdf")
    docx_text = _docx_text(folder / f"{edition}.docx")
    pdf_at = docx_at = 0
    checked = 0
    for item in items_of(brief):
        if not item.claim_id or not item.text:
            continue
        probe = " ".join(item.text.split()[:6])
        # The PDF's text is read line by line across the page, so a table cell's wrapped lines
        # come with the other columns' lines between them: allow a gap between the probe's words.
        in_pdf = re.compile(r"\W(?:.{0,80}?\W)??".join(re.escape(w) for w in probe.split()))
        pdf_match = in_pdf.search(pdf_text, pdf_at)
        docx_found = docx_text.find(probe, docx_at)
        assert pdf_match, f"{item.claim_id} missing from the PDF, or out of order: {probe!r}"
        assert docx_found >= 0, f"{item.claim_id} missing from the .docx, or out of order: {probe!r}"
        pdf_at, docx_at = pdf_match.end(), docx_found + len(probe)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("edition", [e for e in EDITIONS if e.split("-")[-1] in ("officials", "parliament")])
def test_footnotes_are_real_word_footnotes(built: tuple[Path, Results], edition: str) -> None:
    folder, results = built
    brief = _brief(results, edition)
    citations = brief.footnotes()
    # One footnote per sentence (item), naming each of its sources once.
    cited = [item for item in items_of(brief) if item.citations]
    with zipfile.ZipFile(folder / f"{edition}.docx") as archive:
        names = archive.namelist()
        body = archive.read("word/document.xml").decode()
        notes = archive.read("word/footnotes.xml").decode() if "word/footnotes.xml" in names else ""
    if edition.startswith("one-page"):
        assert brief.citation_style.value == "links"
        return
    assert citations and cited
    assert len(cited) < len(citations)  # sentences citing several sources get one note, not several
    assert body.count("<w:footnoteReference ") == len(cited)
    assert notes.count("<w:footnote ") == len(cited) + 2  # plus separator and continuation
    assert escape(citations[0].quote[:30]) in notes
    text = _flat(pdf_text(folder / f"{edition}.pdf"))
    assert " ".join(citations[0].quote.split()[:6]) in text


def test_minister_papers_have_no_footnotes(built: tuple[Path, Results]) -> None:
    folder, results = built
    for length in Length:
        edition = f"{length.value}-minister"
        assert _brief(results, edition).footnotes() == []
        with zipfile.ZipFile(folder / f"{edition}.docx") as archive:
            assert "<w:footnoteReference " not in archive.read("word/document.xml").decode()


def test_full_paper_has_cover_contents_disputes_and_annexes(built: tuple[Path, Results]) -> None:
    folder, results = built
    reader = _pdf(folder, "full-officials")
    titles = _outline(reader.outline)
    for heading in (
        "Executive summary",
        "Where sources differ",
        "Annex A: Timeline",
        "Annex B: Glossary",
        "Annex C: Sources",
        "Annex D: Evidence table",
    ):
        assert any(heading in t for t in titles), (heading, titles)
    # A line broken after the dash of "Australia–United Kingdom" joins up without a space.
    pages = read_pdf(folder / "full-officials.pdf")
    text = _flat(re.sub(r"(?<=[^\W\d][-–])\n", "", " ".join(p.text for p in pages)))
    assert "Contents" in pages[1].text
    summary = _summary_of(results)
    for position in summary.disputes[0].positions:  # both sides of a dispute, quoted
        assert " ".join(position.quote.split()[:4]) in text, position.quote
    spelt = [g for g in summary.glossary if g.term.isupper() and g.term in text]
    assert spelt
    for entry in spelt:  # each acronym spelt out once, at its first use
        assert f"{entry.expansion.lower()} ({entry.term.lower()})" in text.lower(), entry.term
    document = docx.Document(str(folder / "full-officials.docx"))
    styles = [style_name(p) for p in document.paragraphs if style_name(p).startswith("Heading")]
    assert styles[0] == "Heading 1" and "Heading 2" in styles
    xml = document.element.xml
    assert 'TOC \\o "1-3"' in xml
    # The contents carry page numbers as written, so Word need not update fields (and ask) to show them.
    toc = [p.text for p in document.paragraphs if style_name(p).startswith("toc")]
    assert toc and all(re.search(r"\t\d+$", entry) for entry in toc), toc
    assert "updateFields" not in document.settings.element.xml


def test_public_paper_is_unmarked_and_has_no_sensitive_claim(built: tuple[Path, Results]) -> None:
    _, results = built
    summary = _summary_of(results)
    sensitive = {c.id for c in summary.claims if c.sensitivity.value == "OFFICIAL-SENSITIVE"}
    assert sensitive
    for length in Length:
        for audience in ("public", "parliament"):
            brief = _brief(results, f"{length.value}-{audience}")
            assert not sensitive & set(brief.included)
    assert _brief(results, "full-officials").marking == "OFFICIAL-SENSITIVE"


@pytest.mark.parametrize("edition", EDITIONS)
def test_report_describes_the_paper(built: tuple[Path, Results], edition: str) -> None:
    import json

    folder, results = built
    report = json.loads((folder / f"{edition}.report.json").read_text())
    assert report["pages"] == len(_pdf(folder, edition).pages)
    assert report["claims_included"] == list(_brief(results, edition).included)
    assert all(d["why"] for d in report["claims_dropped"])
    assert report["readability"]["failures"] == []
    assert report["readability"]["flesch_kincaid_grade"] <= report["readability"]["grade_limit"]
    assert set(report["anchor_grades"]) <= {"exact", "normalised"}
    assert sum(report["anchor_grades"].values()) == report["quotes"] > 0
    if edition.startswith("one-page"):
        assert report["words"] <= 400
        assert 3 <= (report["readability"]["key_points"] or 3) <= 5


def test_one_page_word_files_are_one_page_in_libreoffice(word_layout: Path) -> None:
    for audience in Audience:
        pages = len(PdfReader(word_layout / f"one-page-{audience.value}.pdf").pages)
        assert pages == 1, f"one-page-{audience.value}.docx opens as {pages} pages in LibreOffice"


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_papers(SUMMARY, out=tmp_path / "a", length=Length.ONE_PAGE, audience=Audience.MINISTER)
    second = build_papers(SUMMARY, out=tmp_path / "b", length=Length.ONE_PAGE, audience=Audience.MINISTER)
    assert not first.failures and not second.failures
    for name in ("one-page-minister.pdf", "one-page-minister.docx"):
        a = (tmp_path / "a" / "uk-japan-2026" / name).read_bytes()
        b = (tmp_path / "b" / "uk-japan-2026" / name).read_bytes()
        assert a == b, name


def test_html_output_is_standalone(built: tuple[Path, Results]) -> None:
    folder, _ = built
    html = (folder / "short-parliament.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'lang="en-GB"' in html
    assert "<style>" in html and 'rel="stylesheet"' not in html
    word = docx.Document(io.BytesIO((folder / "short-parliament.docx").read_bytes()))
    assert word.core_properties.title


@pytest.mark.parametrize("edition", EDITIONS)
def test_headings_are_in_order_and_at_most_three_levels_deep(
    built: tuple[Path, Results], edition: str
) -> None:
    folder, _ = built
    html = (folder / f"{edition}.html").read_text(encoding="utf-8")
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and max(levels) <= 3
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    styles = {style_name(p) for p in docx.Document(str(folder / f"{edition}.docx")).paragraphs}
    assert not {"Heading 3", "Heading 4"} & styles


_QUOTATION = re.compile(r"\u201c([^\u201c\u201d]{8,})\u201d")


def _fold(text: str) -> str:
    """Flatten white space and typographic apostrophes, as text read off a page may differ in both."""
    return _flat(text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00ad", ""))


def _word_text(path: Path) -> str:
    """Return a .docx's body and footnotes as text, a paragraph a line."""
    texts = []
    with zipfile.ZipFile(path) as archive:
        for name in ("word/document.xml", "word/footnotes.xml"):
            if name not in archive.namelist():
                continue
            root = etree.fromstring(archive.read(name))
            for paragraph in root.iter(qn("w:p")):
                texts.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    return "\n".join(texts)


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_printed_quotation_is_in_a_current_source(built: tuple[Path, Results], edition: str) -> None:
    # Every quotation a paper prints (footnotes, evidence tables, dispute notes, the text itself)
    # must be its source's exact current words: read them off the real PDF and Word files.
    folder, results = built
    summary = _summary_of(results)
    root = next(p for p in SUMMARIES if load_summary(p).id == summary.id).parent.parent
    # White space is dropped altogether: a PDF line may break after a hyphen or a dash.
    sources = " ".join(_fold(t) for t in read_sources(summary, root).values()).replace(" ", "")
    checked = 0
    printed = (
        ("pdf", pdf_text(folder / f"{edition}.pdf", "\n")),
        ("docx", _word_text(folder / f"{edition}.docx")),
    )
    for fmt, text in printed:
        for quotation in _QUOTATION.findall(_flat(text)):
            piece = _fold(quotation).rstrip(".,;:")
            assert piece.replace(" ", "") in sources, (
                f"{edition}.{fmt} prints a quotation no source holds: \u201c{piece}\u201d"
            )
            checked += 1
    if edition in ("short-officials", "short-parliament", "full-officials", "full-parliament"):
        assert checked, f"{edition} prints no quotation"
