"""Papers as their readers see them: the PDF, and the Word file as LibreOffice lays it out, page by page.

Checks what an editor looks for on the page: no heading alone at the foot of a page, the marking
once at the top of page 1 (and once at the foot), footnotes that leave room for the text, and a
Word contents list whose page numbers show and match where the headings fall.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from pages import Line, body_and_notes, info_text, notes_share, page_lines, read_pdf
from pypdf import PdfReader
from word_styles import style_name

from briefgen.brief import Brief
from briefgen.run import Results

ROOT = Path(__file__).resolve().parents[1]
SUMMARIES = sorted((ROOT / "briefs").glob("*.yaml"))
# Every length, each citation style, tables, boxes, covers, contents and annexes.
EDITIONS = [
    "one-page-minister",
    "one-page-officials",
    "short-minister",
    "short-officials",
    "short-parliament",
    "full-officials",
    "full-parliament",
    "full-industry",
]
# Footnotes may take up to this share of a page's text area. Papers for officials and Parliament
# quote every source a sentence rests on; more than this and the notes swamp the text.
MOST_NOTES = 0.55

pytestmark = pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed")


@pytest.fixture
def papers(built: tuple[Path, Results], word_layout: Path) -> tuple[Path, dict[str, Brief], Path]:
    """Return the built papers' folder, their briefs, and the folder of their Word files laid out as PDF."""
    folder, results = built
    return folder, {paper.brief.edition: paper.brief for paper in results.papers}, word_layout


Papers = tuple[Path, dict[str, Brief], Path]


def _renderings(folder: Path, word: Path, edition: str) -> list[tuple[str, Path]]:
    return [("pdf", folder / f"{edition}.pdf"), ("docx", word / f"{edition}.pdf")]


def _headings(brief: Brief) -> set[str]:
    return {f"{s.number} {s.heading}" if s.number else s.heading for s in brief.sections if s.heading}


def _is_heading(line: Line, headings: set[str]) -> bool:
    # A long heading wraps: its last line ends it.
    return any(line.text == h or (len(line.text) > 15 and h.endswith(line.text)) for h in headings)


def _after_contents(pages: list[list[Line]]) -> list[list[Line]]:
    """Return the pages after the cover and contents (all pages if there is no contents list)."""
    for index, lines in enumerate(pages):
        if any(line.text == "Contents" for line in lines):
            return pages[index + 1 :]
    return pages


# Known faults, named so that every other case stays guarded (see the closing note):
# LibreOffice keeps a heading with its next paragraph's first line only when that paragraph is short.
KNOWN_WORD_ORPHANS = {"short-minister": ("meridian-treaty-2025",)}
# Contents page numbers come from the PDF layout; in the fictional summary's officials paper 24 of 31
# headings fall on the page listed in Word (cause not yet found: later headings run a page late).
# With 10pt footnotes (issue 11) the UK-Japan paper drifts too, 17 of 31 exact, all within a page:
# WeasyPrint keeps a footnote whole and moves its calling line on, leaving a gap above the notes,
# where Word splits a long note across pages, so Word's pages run ahead of the PDF's.
KNOWN_CONTENTS_DRIFT = ("meridian-treaty-2025", "uk-japan-2026")


def briefs_summary(folder: Path) -> str:
    """Return the summary id of a folder of built papers."""
    return folder.name


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_heading_is_the_last_line_of_a_page(papers: Papers, edition: str) -> None:
    folder, briefs, word = papers
    headings = _headings(briefs[edition])
    for fmt, path in _renderings(folder, word, edition):
        for lines in _after_contents(page_lines(path)):
            body, _ = body_and_notes(lines)
            if body and _is_heading(body[-1], headings):
                message = f"{edition}.{fmt} page {body[-1].page}: heading {body[-1].text!r} is the last line"
                if fmt == "docx" and briefs[edition].summary_id in KNOWN_WORD_ORPHANS.get(edition, ()):
                    pytest.xfail(f"known: LibreOffice parts a heading from a long paragraph: {message}")
                raise AssertionError(message)


@pytest.mark.parametrize("edition", EDITIONS)
def test_marking_once_at_the_top_of_page_one(papers: Papers, edition: str) -> None:
    folder, briefs, word = papers
    marking = briefs[edition].marking
    if marking is None:  # Parliament and public papers are unmarked unless the summary says otherwise
        assert edition.endswith(("parliament", "public"))
        return
    for fmt, path in _renderings(folder, word, edition):
        first = page_lines(path)[0]
        where = [
            "top" if line.in_header else "foot" if line.in_footer else "body"
            for line in first
            for word in line.text.split()
            if word == marking
        ]
        assert where == ["top", "foot"], f"{edition}.{fmt}: the marking on page 1 at {where}"
    assert info_text(PdfReader(folder / f"{edition}.pdf"), "/Classification") == marking


@pytest.mark.parametrize("edition", EDITIONS)
def test_footnotes_leave_room_for_the_text(papers: Papers, edition: str) -> None:
    folder, _, word = papers
    for fmt, path in _renderings(folder, word, edition):
        for number, lines in enumerate(page_lines(path), start=1):
            share = notes_share(lines)
            assert share <= MOST_NOTES, f"{edition}.{fmt} page {number}: footnotes fill {share:.0%}"


def test_word_contents_show_the_pages_the_headings_are_on(papers: Papers) -> None:
    folder, _, word = papers
    document = docx.Document(str(folder / "full-officials.docx"))
    entries = []
    for paragraph in document.paragraphs:
        if style_name(paragraph).startswith("toc"):
            text, _, number = paragraph.text.partition("\t")
            assert number.isdigit(), f"contents entry without a page number: {paragraph.text!r}"
            entries.append((text, int(number)))
    assert len(entries) > 10
    settings = document.settings.element
    assert settings.find(qn("w:updateFields")) is None  # Word opens it without asking to update
    pages = page_lines(word / "full-officials.pdf")
    contents = next(lines for lines in pages if any(line.text == "Contents" for line in lines))
    shown = " ".join(line.text for line in contents)
    where: dict[str, int] = {}
    for lines in _after_contents(pages):
        for line in lines:
            where.setdefault(line.text, line.page)
    exact = 0
    for text, page in entries:
        # LibreOffice shows the number Word would: the one written into the field's result.
        assert re.search(rf"{re.escape(text[:40])}.*?[ .…]{page}\b", shown), (text, page)
        # The numbers come from the PDF; Word's own pages differ by a page at most.
        if text in where:
            assert abs(where[text] - page) <= 1, (text, page, where[text])
            exact += where[text] == page
    if exact < 0.8 * len(entries) and briefs_summary(folder) in KNOWN_CONTENTS_DRIFT:
        pytest.xfail(f"known: {exact} of {len(entries)} contents pages exact in Word")
    assert exact >= 0.8 * len(entries)


LEFT_MARGIN = 18 / 25.4 * 72  # points: the page's side margins are 18 mm


def test_no_footnote_call_starts_a_line_and_no_word_is_left_alone_on_one(built: tuple[Path, Results]) -> None:
    folder, results = built
    for paper in results.papers:
        name = f"{paper.brief.edition}.pdf"
        for number, page in enumerate(read_pdf(folder / name), start=1):
            body = [r for r in page.runs if 56.7 < r.y < 842 - 56.7]
            for call in (r for r in body if r.text.isdigit() and r.size < 9):
                # A call is raised a little above its line: anything left of it within 6 pt is its line.
                before = [r for r in body if abs(r.y - call.y) < 6 and r.x < call.x - 0.5]
                assert before, f"{name} page {number}: footnote call {call.text} starts a line"
        for number, page_of_lines in enumerate(page_lines(folder / name), start=1):
            lines = [line for line in page_of_lines if abs(line.x - LEFT_MARGIN) < 1.5]
            for above, line, below in zip(lines, lines[1:], lines[2:], strict=False):
                running = all(11.5 <= each.size < 13 for each in (above, line, below))
                pitch = 12 < above.y - line.y < 18 and 12 < line.y - below.y < 18
                if running and pitch and len(line.text.split()) <= 2 and below.text[:1].islower():
                    assert line.text.endswith((".", ":", "?", "!")), (
                        f"{name} page {number}: '{line.text}' alone on a line in the middle of a paragraph"
                    )
