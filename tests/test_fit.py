"""The one-page fitter: no blank page is laid out or counted, and the fit keeps the key-point rule."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from briefgen.build import Builder, _next_trim, verify_inputs
from briefgen.model import Audience, Edition, Format, Length
from briefgen.selection import Trims

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "briefs" / "uk-japan-2026.yaml"
# What a page holds when it has no body: the marking top and bottom, and the page number.
FURNITURE = re.compile(r"OFFICIAL(?:-SENSITIVE)?|Page \d+ of \d+|\s")


def _edition(audience: Audience) -> Edition:
    return Edition(
        name=f"one-page-{audience.value}", length=Length.ONE_PAGE, audience=audience, formats=[Format.PDF]
    )


@pytest.mark.parametrize("audience", [Audience.OFFICIALS, Audience.PARLIAMENT])
def test_no_layout_the_fitter_tries_has_a_page_without_body_text(audience: Audience) -> None:
    """Every cut the fitter may try, up to the first that fits, lays out to pages that all hold text."""
    from briefgen.render.html import render_html
    from briefgen.render.pdf import render_document, write_pdf

    inputs = verify_inputs(SUMMARY)
    builder = Builder(inputs)
    edition = _edition(audience)
    first = builder.select(edition, Trims())
    brief, cuts = first, Trims()
    for _ in range(12):
        reader = PdfReader(io.BytesIO(write_pdf(render_document(render_html(brief)))))
        for number, page in enumerate(reader.pages, 1):
            body = FURNITURE.sub("", page.extract_text())
            assert body, f"{edition.name}, cut {sorted(cuts.drop | cuts.shorten)}: page {number} is blank"
        if len(reader.pages) == 1:
            break
        nxt = _next_trim(brief, inputs.summary, cuts)
        assert nxt is not None
        cuts = replace(nxt, only=frozenset(first.included))
        brief = builder.select(edition, cuts)


@pytest.fixture()
def longer_title(tmp_path: Path) -> Path:
    """A copy of the summary whose title runs to three lines, pushing the body of a one-pager down.

    Before the fix, the one-page paper for Parliament then fitted its page only with two key
    points: the fitter counted a blank second page and thinned the key points first.
    """
    for name in ("briefs", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name)
    path = tmp_path / "briefs" / "uk-japan-2026.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["subject"]["title"] += (
        " and beyond the Indo-Pacific region in 2026 and after: what the two countries agreed together"
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_one_page_paper_keeps_three_key_points_and_room_for_word(longer_title: Path) -> None:
    paper = Builder(verify_inputs(longer_title)).build(_edition(Audience.PARLIAMENT))
    report = paper.report
    assert report["pages"] == 1
    assert len(PdfReader(io.BytesIO(paper.files["one-page-parliament.pdf"])).pages) == 1
    assert 3 <= report["readability"]["key_points"] <= 5
    assert not report["readability"]["failures"]
    # Other sections were thinned instead, so the foot keeps its room for Word.
    assert not any("free at the foot" in w for w in report["readability"]["warnings"])
    assert any("fit" in d["why"] and d["claim"].startswith("q-parl-") for d in report["claims_dropped"])
