"""Golden files: the one-page minister's brief as reviewable text, HTML and a Word structure dump.

A change to the summary, a layout or a renderer shows up here as a readable diff. Refresh the
files after reviewing the change with `make golden`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from briefgen.model import Audience, Format, Length
from briefgen.run import build_papers

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BRIEFGEN_UPDATE_GOLDEN") == "1"


def normalised_html(html: str) -> str:
    """Drop the stylesheet and put each block element on a line of its own."""
    html = re.sub(r"<style>.*?</style>", "<style>…</style>", html, flags=re.S)
    html = re.sub(r"\s+", " ", html)
    html = re.sub(
        r"\s*(<(?:/?(?:section|h\d|p|ul|ol|li|table|thead|tbody|tr|aside|main|header|nav|body|html|head)\b[^>]*)>)",
        r"\n\1",
        html,
    )
    return html.strip() + "\n"


def docx_structure(path: Path) -> str:
    """List the body of a .docx as 'style: text' lines, table rows as cells joined by ' | '."""
    document = docx.Document(str(path))
    styles = {s.style_id: s.name for s in document.styles}
    lines = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            style = child.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            name = styles.get(style.get(qn("w:val")), "?") if style is not None else "Normal"
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            lines.append(f"{name}: {text}")
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in cell.iter(qn("w:t"))) for cell in row.iter(qn("w:tc"))]
                lines.append("row: " + " | ".join(cells))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden")
    results = build_papers(
        ROOT / "briefs" / "uk-japan-2026.yaml",
        out=out,
        length=Length.ONE_PAGE,
        audience=Audience.MINISTER,
        formats=[Format.HTML, Format.DOCX],
    )
    assert not results.failures
    return out / "uk-japan-2026"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        (
            "one-page-minister.html.txt",
            lambda folder: normalised_html((folder / "one-page-minister.html").read_text()),
        ),
        ("one-page-minister.docx.txt", lambda folder: docx_structure(folder / "one-page-minister.docx")),
    ],
)
def test_golden(built: Path, name: str, make: Callable[[Path], str]) -> None:
    actual = make(built)
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run `make golden`"
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{name} changed; review the diff, then run `make golden`"
    )
