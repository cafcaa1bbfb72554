"""The one-page fitter: no blank page is laid out or counted, and the fit keeps the key-point rule."""

from __future__ import annotations

import functools
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from briefgen.build import Builder, _next_trim, verify_inputs
from briefgen.model import Audience, Edition, Format, Length
from briefgen.run import Results
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


@pytest.mark.parametrize("size", [1, 2, 3, 7, 30, 64])
def test_the_search_finds_the_first_fit_in_few_layouts_whatever_the_guess(size: int) -> None:
    from briefgen.build import _first

    low, high = 1, size
    budget = 2 * (size.bit_length() + 1) + 1
    for answer in [*range(low, high + 1), None]:
        target = answer or high
        guesses: dict[str, Callable[[int], int]] = {
            "exact": functools.partial(max, target),
            "low": lambda k: k,
            "high": lambda k: high,
            "short by two": functools.partial(max, target - 2),
            "far": lambda k: (k * 7919) % (size + 3),
        }
        for name, guess in guesses.items():
            asked: list[int] = []

            def ok(k: int, a: int | None = answer, asked: list[int] = asked) -> bool:
                assert low <= k <= high, k
                asked.append(k)
                return a is not None and k >= a

            assert _first(ok, low, high, guess) == answer, (name, answer)
            assert len(set(asked)) <= budget, (name, answer, asked)


def test_the_fitter_never_lays_out_a_one_pager_over_its_words(monkeypatch: pytest.MonkeyPatch) -> None:
    import briefgen.render.html
    from briefgen.build import ONE_PAGE_WORDS, body_words

    builder = Builder(verify_inputs(SUMMARY))
    edition = _edition(Audience.OFFICIALS)
    assert body_words(builder.select(edition, Trims())) > ONE_PAGE_WORDS  # uncut, it has too many
    laid_out: list[int] = []
    real = briefgen.render.html.render_html

    def recording(brief: Any) -> str:
        laid_out.append(body_words(brief))
        return str(real(brief))

    monkeypatch.setattr(briefgen.render.html, "render_html", recording)
    layouts = builder.fit(edition, {})[1]
    assert laid_out and max(laid_out) <= ONE_PAGE_WORDS, laid_out
    assert layouts == len(laid_out)


def test_the_fitter_lays_out_few_cuts(built: tuple[Path, Results]) -> None:
    _, results = built
    fitted = [p.report for p in results.papers if p.brief.length is not Length.FULL]
    assert len(fitted) == 10
    # Bisecting every cut made 82 layouts for the twenty papers of both summaries; the guess, 50.
    assert sum(r["fit_rounds"] for r in fitted) <= 3 * len(fitted), [r["fit_rounds"] for r in fitted]
