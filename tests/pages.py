"""Read a PDF's pages as text, text runs and lines with their height and type size, for checks.

Also reads a text entry of its document information, which pypdf types as any PDF object.

pypdf takes about 0.06 s a page, and many tests read the same thirty papers: `read_pdf` reads a
PDF once per run, keeping what it found in memory and, when `CACHE` is set (conftest sets it to
a folder every pytest-xdist worker shares), on disk under the hash of the PDF's bytes, read by
one worker while the others that want it wait.

Works on the PDFs WeasyPrint writes and on those LibreOffice makes of the Word files: an A4 page
with 20 mm top and bottom margins, body text of 12pt and up, footnotes of 10pt.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader

CACHE: Path | None = None
_READ: dict[str, list[PdfPage]] = {}

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
    x: float  # where the line starts, points from the left edge of the page

    @property
    def in_header(self) -> bool:
        return self.y > BODY_TOP

    @property
    def in_footer(self) -> bool:
        return self.y < BODY_BOTTOM - 12  # footnote lines may sit a little into the margin


@dataclass(frozen=True)
class Run:
    """One piece of text as the PDF draws it."""

    text: str  # white space at the ends stripped
    x: float  # where the run starts, points from the left edge of the page
    y: float  # baseline, points up from the foot of the page
    text_y: float  # the text matrix's own y, before the page's transformation
    size: float  # type size on the page, in points
    font: str  # the font's /BaseFont, "" if none


@dataclass(frozen=True)
class PdfPage:
    """One page as pypdf reads it: its text, the runs that draw it, and what its tags mark."""

    text: str  # pypdf's extract_text()
    runs: tuple[Run, ...]
    tagged: dict[int, str]  # the text of each marked-content sequence with an MCID, by MCID
    artifacts: tuple[str, ...]  # text marked as an artifact (running header and footer)
    untracked: tuple[str, ...]  # text in no marked-content sequence


def read_pdf(source: Path | bytes) -> list[PdfPage]:
    """Return each page's text and runs; a PDF with the same bytes is read only once a run."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    key = hashlib.sha256(data).hexdigest()
    if key in _READ:
        return _READ[key]
    if CACHE is None:
        pages = _read_pages(data)
    else:
        saved = CACHE / f"{key}.pickle"
        # One worker reads a PDF while any other that wants it waits, then loads what it found.
        with (CACHE / f"{key}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if saved.exists():
                pages = pickle.loads(saved.read_bytes())
            else:
                pages = _read_pages(data)
                temp = saved.with_name(f"{saved.name}.{os.getpid()}.tmp")
                temp.write_bytes(pickle.dumps(pages))
                temp.replace(saved)
    _READ[key] = pages
    return pages


def _read_pages(data: bytes) -> list[PdfPage]:
    return [_read_page(page) for page in PdfReader(io.BytesIO(data)).pages]


def _read_page(page: PageObject) -> PdfPage:
    runs: list[Run] = []
    tagged: dict[int, str] = {}
    artifacts: list[str] = []
    untracked: list[str] = []
    marked: list[tuple[str, int | None]] = []  # the marked-content sequences open, outermost first

    def before(operator: bytes, operands: list[Any], cm: Any, tm: Any) -> None:
        if operator in (b"BDC", b"BMC"):
            properties = operands[1] if operator == b"BDC" and len(operands) > 1 else {}
            mcid = properties.get("/MCID") if isinstance(properties, dict) else None
            marked.append((str(operands[0]), None if mcid is None else int(mcid)))
        elif operator == b"EMC":
            marked.pop()

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        # pypdf hands over a line's text when it ends (ET, a move), inside the sequence drawing it.
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[5] * cm[3] + tm[4] * cm[1] + cm[5]
        scale = abs(tm[3] * cm[3]) or 1.0
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        runs.append(Run(text.strip(), x, y, tm[5], size * scale, name))
        if any(tag == "/Artifact" for tag, _ in marked):
            artifacts.append(text)
        elif mcids := [mcid for _, mcid in marked if mcid is not None]:
            tagged[mcids[-1]] = tagged.get(mcids[-1], "") + text
        else:
            untracked.append(text)

    text = page.extract_text(visitor_operand_before=before, visitor_text=visit)
    return PdfPage(text, tuple(runs), tagged, tuple(artifacts), tuple(untracked))


def pdf_text(source: Path | bytes, sep: str = " ") -> str:
    """Return a PDF's text, its pages joined by `sep`."""
    return sep.join(page.text for page in read_pdf(source))


def page_lines(path: Path) -> list[list[Line]]:
    """Return each page's lines, top to bottom."""
    pages = []
    for number, page in enumerate(read_pdf(path), start=1):
        rows: dict[float, list[Run]] = {}
        for run in page.runs:
            key = next((k for k in rows if abs(k - run.y) < 2.5), run.y)  # superscripts sit a little higher
            rows.setdefault(key, []).append(run)
        pages.append(
            [
                Line(
                    number,
                    y,
                    max(r.size for r in rows[y]),
                    " ".join(r.text for r in rows[y]),
                    min(r.x for r in rows[y]),
                )
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
