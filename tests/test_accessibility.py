"""GOV.UK accessible-document rules on the real PDF and Word files: 12pt body text, no italic notes.

Body text (paragraphs, list items, table cells, boxes, Q&A, notes, running head and foot) is at
least 12pt; footnotes, the house's one exception, at least 10pt, and footnote calls are set small.
A note the reader must read (a dispute note, a fixed note such as "Sources at annex") is never
italic. Checked on the sample paper, which has every block kind, and on every built paper.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx.oxml.ns import qn
from lxml import etree
from pages import read_pdf
from sample import sample_brief

from briefgen.brief import BlockKind, Brief, CitationStyle, block_items, items_of
from briefgen.model import Audience, Length
from briefgen.render import shape
from briefgen.run import Results

BODY_PT = 12.0
FOOTNOTE_PT = 10.0
EDITIONS = [f"{length.value}-{audience.value}" for length in Length for audience in Audience]
_ROUNDING = 0.05  # sizes read from a PDF come out of a text matrix: allow for rounding


# ---- what a reader must read ------------------------------------------------------------------


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def footnote_texts(brief: Brief) -> str:
    """Return every footnote of a footnoted paper, run together (empty for other citation styles)."""
    if brief.citation_style is not CitationStyle.FOOTNOTES:
        return ""
    return _flat(" ".join(shape.footnote_text(i.citations) for i in items_of(brief) if i.citations))


def must_read_notes(brief: Brief) -> list[str]:
    """Return the notes a reader must read: every dispute note and every item of a note block."""
    notes = [i.disputed for i in items_of(brief) if i.disputed]
    notes += [
        i.text
        for s in brief.sections
        for b in s.blocks
        if b.kind is BlockKind.NOTE
        for i in block_items(b)
        if i.text
    ]
    return [_flat(n) for n in notes]


def _is_call(text: str) -> bool:
    """A footnote call or marker: a number, perhaps with its full stop."""
    return bool(re.fullmatch(r"\d+\.?", text.strip()))


# ---- PDF --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PdfRun:
    page: int
    text: str
    size: float
    font: str


def pdf_runs(data: bytes) -> list[PdfRun]:
    """Return every text run of a PDF with its type size (in points on the page) and font name."""
    return [
        PdfRun(number, run.text, run.size, run.font)
        for number, page in enumerate(read_pdf(data), start=1)
        for run in page.runs
    ]


def pdf_problems(data: bytes, brief: Brief) -> list[str]:
    """Return each run under its size, and each italic run holding a note a reader must read."""
    notes_text = footnote_texts(brief)
    must_read = must_read_notes(brief)
    found = []
    for run in pdf_runs(data):
        if run.size < BODY_PT - _ROUNDING and not _is_call(run.text):
            in_footnote = bool(notes_text) and _flat(run.text) in notes_text
            if not in_footnote:
                found.append(f"page {run.page}: {run.size:.1f}pt body text: {run.text!r}")
            elif run.size < FOOTNOTE_PT - _ROUNDING:
                found.append(f"page {run.page}: {run.size:.1f}pt footnote: {run.text!r}")
        if re.search(r"Italic|Oblique", run.font) and any(
            _flat(run.text) in note or note in _flat(run.text) for note in must_read
        ):
            found.append(f"page {run.page}: a note in italic ({run.font}): {run.text!r}")
    return found


# ---- Word -------------------------------------------------------------------------------------


class WordStyles:
    """Resolve a run's type size and italic from its own properties, its styles and the defaults."""

    def __init__(self, styles_xml: bytes) -> None:
        root = etree.fromstring(styles_xml)
        self.styles = {s.get(qn("w:styleId")): s for s in root.iter(qn("w:style"))}
        self.default_paragraph = next(
            (
                s.get(qn("w:styleId"))
                for s in self.styles.values()
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
        defaults = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        self.defaults = defaults

    def chain(self, style_id: str | None) -> Iterator[etree._Element]:
        """Yield the run properties of a style and those it is based on, nearest first."""
        seen = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            style = self.styles[style_id]
            rpr = style.find(qn("w:rPr"))
            if rpr is not None:
                yield rpr
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None

    def layers(self, run: etree._Element, paragraph_style: str | None) -> list[etree._Element]:
        """Return the run's property layers, nearest first: direct, character style, paragraph, defaults."""
        rpr = run.find(qn("w:rPr"))
        layers = [rpr] if rpr is not None else []
        rstyle = rpr.find(qn("w:rStyle")) if rpr is not None else None
        if rstyle is not None:
            layers += list(self.chain(rstyle.get(qn("w:val"))))
        layers += list(self.chain(paragraph_style or self.default_paragraph))
        if self.defaults is not None:
            layers.append(self.defaults)
        return layers

    def size(self, run: etree._Element, paragraph_style: str | None) -> float:
        for layer in self.layers(run, paragraph_style):
            sz = layer.find(qn("w:sz"))
            if sz is not None:
                return int(sz.get(qn("w:val"))) / 2
        return 10.0  # Word's own default when nothing sets a size

    def italic(self, run: etree._Element, paragraph_style: str | None) -> bool:
        for layer in self.layers(run, paragraph_style):
            i = layer.find(qn("w:i"))
            if i is not None:
                return i.get(qn("w:val"), "true") not in ("0", "false", "off")
        return False

    def superscript(self, run: etree._Element, paragraph_style: str | None) -> bool:
        for layer in self.layers(run, paragraph_style):
            v = layer.find(qn("w:vertAlign"))
            if v is not None:
                return bool(v.get(qn("w:val")) == "superscript")
        return False


def _paragraph_runs(root: etree._Element) -> Iterator[tuple[str | None, etree._Element, str]]:
    """Yield (paragraph style id, run, run text) for each run with text under `root`."""
    for p in root.iter(qn("w:p")):
        pstyle = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        style_id = pstyle.get(qn("w:val")) if pstyle is not None else None
        for r in p.iter(qn("w:r")):
            text = "".join(t.text or "" for t in r.iter(qn("w:t")))
            if text.strip():
                yield style_id, r, text


def docx_problems(data: bytes, brief: Brief) -> list[str]:
    """Return each style or run under its size, and each italic run holding a note a reader must read."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = WordStyles(z.read("word/styles.xml"))
        parts = {
            name: etree.fromstring(z.read(name))
            for name in z.namelist()
            if re.fullmatch(r"word/(document|header\d*|footer\d*|footnotes)\.xml", name)
        }
    # The styles themselves: every paragraph style the body, head and foot use is 12pt or more.
    used = {
        style_id or styles.default_paragraph
        for name, root in parts.items()
        if name != "word/footnotes.xml"
        for style_id, _, _ in _paragraph_runs(root)
    }
    for style_id in sorted(s for s in used if s):
        size = next(
            (int(sz.get(qn("w:val"))) / 2 for r in styles.chain(style_id) for sz in r.iter(qn("w:sz"))), None
        )
        if size is None and styles.defaults is not None:
            sz = styles.defaults.find(qn("w:sz"))
            size = int(sz.get(qn("w:val"))) / 2 if sz is not None else None
        if size is None or size < BODY_PT:
            found.append(f"style {style_id}: {size}pt")
    must_read = must_read_notes(brief)
    for name, root in parts.items():
        floor = FOOTNOTE_PT if name == "word/footnotes.xml" else BODY_PT
        for style_id, run, text in _paragraph_runs(root):
            if styles.superscript(run, style_id) and _is_call(text):
                continue  # a footnote call: Word sets it small
            size = styles.size(run, style_id)
            if size < floor:
                found.append(f"{name}: {size:g}pt run: {text!r}")
            if name == "word/document.xml" and styles.italic(run, style_id):
                flat = _flat(text)
                if any(flat and (flat in note or note in flat) for note in must_read):
                    found.append(f"{name}: a note in italic: {text!r}")
    return found


# ---- the sample paper: every block kind, footnotes or links, with and without a cover ---------


def _sample_with_cited_dispute(style: CitationStyle, cover: bool) -> Brief:
    """Return the sample paper with its disputed item cited, so a dispute note also carries a call."""
    brief = sample_brief(citation_style=style, cover=cover)
    cite = next(i.citations[0] for i in items_of(brief) if i.citations)

    def item(it: Any) -> Any:
        return dataclasses.replace(it, citations=(cite,)) if it.disputed else it

    sections = tuple(
        dataclasses.replace(
            s, blocks=tuple(dataclasses.replace(b, items=tuple(map(item, b.items))) for b in s.blocks)
        )
        for s in brief.sections
    )
    return dataclasses.replace(brief, sections=sections)


SAMPLES = [
    pytest.param(CitationStyle.FOOTNOTES, True, id="footnotes-cover"),
    pytest.param(CitationStyle.LINKS, False, id="links"),
]


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.mark.parametrize(("style", "cover"), SAMPLES)
def test_sample_pdf_body_text_is_12pt_and_notes_are_roman(style: CitationStyle, cover: bool) -> None:
    from briefgen.render.html import render_html
    from briefgen.render.pdf import write_pdf

    brief = _sample_with_cited_dispute(style, cover)
    assert must_read_notes(brief)  # the sample has a dispute note and a note block to check
    data = write_pdf(render_html(brief))
    sizes = {round(r.size, 1) for r in pdf_runs(data)}
    assert BODY_PT in sizes
    assert pdf_problems(data, brief) == []


@pytest.mark.parametrize(("style", "cover"), SAMPLES)
def test_sample_docx_body_text_is_12pt_and_notes_are_roman(style: CitationStyle, cover: bool) -> None:
    from briefgen.render.docx import write_docx

    brief = _sample_with_cited_dispute(style, cover)
    assert docx_problems(write_docx(brief), brief) == []


def test_the_checks_catch_small_and_italic_text() -> None:
    """The checks themselves: an 11pt run and an italic dispute note are both reported."""
    from briefgen.render.docx import write_docx

    brief = _sample_with_cited_dispute(CitationStyle.LINKS, False)
    data = write_docx(brief)
    note = next(i.disputed for i in items_of(brief) if i.disputed)
    assert note
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {name: z.read(name) for name in z.namelist()}
    xml = files["word/document.xml"].decode()
    # Make the dispute note's run italic and shrink the first run of the body to 11pt.
    at = xml.index(note)
    run_start = xml.rindex("<w:r>", 0, at) if "<w:r>" in xml[:at] else xml.rindex("<w:r ", 0, at)
    tag_end = xml.index(">", run_start) + 1
    xml = xml[:tag_end] + '<w:rPr><w:i/><w:sz w:val="22"/></w:rPr>' + xml[tag_end:]
    files["word/document.xml"] = xml.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    problems = docx_problems(buffer.getvalue(), brief)
    assert any("11pt run" in p for p in problems), problems
    assert any("a note in italic" in p for p in problems), problems


# ---- every built paper ------------------------------------------------------------------------


def _brief_of(results: Results, edition: str) -> Brief:
    return next(p.brief for p in results.papers if p.brief.edition == edition)


@pytest.mark.parametrize("edition", EDITIONS)
def test_built_papers_body_text_is_12pt_and_notes_are_roman(
    built: tuple[Path, Results], edition: str
) -> None:
    folder, results = built
    brief = _brief_of(results, edition)
    assert pdf_problems((folder / f"{edition}.pdf").read_bytes(), brief) == []
    assert docx_problems((folder / f"{edition}.docx").read_bytes(), brief) == []
