"""Read a PDF's pages as lines with their height on the page and type size, for layout checks.

Also reads a text entry of its document information, which pypdf types as any PDF object.

Works on the PDFs WeasyPrint writes and on those LibreOffice makes of the Word files: an A4 page
with 20 mm top and bottom margins, body text of 12pt and up, footnotes of 10pt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

BODY_TOP = 842 - 56.7  # points from the foot of the page: the top margin is 20 mm
BODY_BOTTOM = 56.7
NOTE_SIZE = 11.0  # footnotes are 10pt, body text at least 12pt


@dataclass(frozen=True)
class Line:
    """One line of text on a page."""

    page: int  # 1-based
    y: float  # baseline, points up from the foot of the page
    size: float  # the largest type size on the line, in points
    text: str

    @property
    def in_header(self) -> bool:
        return self.y > BODY_TOP

    @property
    def in_footer(self) -> bool:
        return self.y < BODY_BOTTOM - 12  # footnote lines may sit a little into the margin


def page_lines(path: Path) -> list[list[Line]]:
    """Return each page's lines, top to bottom."""
    pages = []
    for number, page in enumerate(PdfReader(path).pages, start=1):
        chunks: list[tuple[float, float, str]] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip():
                y = tm[5] * cm[3] + tm[4] * cm[1] + cm[5]
                scale = abs(tm[3] * cm[3]) or 1.0
                chunks.append((y, size * scale, text.strip()))  # noqa: B023 - one page at a time

        page.extract_text(visitor_text=visit)
        rows: dict[float, list[tuple[float, str]]] = {}
        for y, size, text in chunks:
            key = next((k for k in rows if abs(k - y) < 2.5), y)  # superscripts sit a little higher
            rows.setdefault(key, []).append((size, text))
        pages.append(
            [
                Line(number, y, max(s for s, _ in rows[y]), " ".join(t for _, t in rows[y]))
                for y in sorted(rows, reverse=True)
            ]
        )
    return pages


def body_and_notes(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """Split a page's lines between the body and the footnotes at its foot (header and footer left out)."""
    inside = [line for line in lines if not line.in_header and not line.in_footer]
    notes: list[Line] = []
    while inside and inside[-1].size < NOTE_SIZE:
        notes.insert(0, inside.pop())
    return inside, notes


def notes_share(lines: list[Line]) -> float:
    """Return the share of the page's text area the footnotes take."""
    _, notes = body_and_notes(lines)
    if not notes:
        return 0.0
    top = notes[0].y + notes[0].size
    return (top - BODY_BOTTOM) / (BODY_TOP - BODY_BOTTOM)


def info_text(reader: PdfReader, key: str) -> str:
    """Return a text entry of a PDF's document information: "/Title", "/Classification", …"""
    info = reader.metadata
    assert info is not None, "the PDF has no document information"
    value = info[key]
    assert isinstance(value, str), f"{key} is not text: {value!r}"  # a TextStringObject is a str
    return value
