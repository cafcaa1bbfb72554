"""Hostile text in a summary or a source: never raw to a terminal, never into a paper, never off the page."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

import pytest
from project import SUMMARY, make_project, run
from sample import sample_brief

from briefgen.brief import Item
from briefgen.errors import printable
from briefgen.render.html import render_html

DATA = Path(__file__).parent / "data"
SEED = "seeds/000_b445cf68cb3455ec.txt"
WORD = "x" * 5000


def test_printable_escapes_every_control_character() -> None:
    text = "a\x1b[31mb\nc\td\x00e\x85f\u2028g\x7f"
    assert printable(text) == "a\\x1b[31mb\\nc\\td\\x00e\\x85f\\u2028g\\x7f"


def test_check_reports_an_escape_sequence_without_sending_it(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / SUMMARY).write_bytes((DATA / "escape_sequence.yaml").read_bytes())
    result = run(project, "check", SUMMARY)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: {SUMMARY}:46:11: claims[0].full: control character U+001B is not allowed in text"
    ]


def test_a_control_character_in_a_source_is_an_error_at_its_line_and_column(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    seed = project / SEED
    lines = seed.read_text(encoding="utf-8").split("\n")
    lines[2] = "abcd\x1b[2J" + lines[2]
    seed.write_text("\n".join(lines), encoding="utf-8")
    for command in ("check", "build"):
        result = run(project, command, SUMMARY)
        assert result.returncode == 1
        assert "\x1b" not in result.stdout + result.stderr
        assert result.stderr.splitlines() == [
            f"error: source 'tokyo-summit': {SEED}:3:5: control character U+001B is not allowed in a source"
        ]


def test_check_warns_about_a_word_too_long_for_a_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    summary = project / SUMMARY
    summary.write_text(summary.read_text().replace("within the year.", f"within the year {WORD}.", 1))
    result = run(project, "check", SUMMARY)
    assert result.returncode == 0, result.stderr  # a warning, not an error: the paper still builds
    assert result.stderr.splitlines() == [
        f"warning: {SUMMARY}:45:5: claims[0].short: a word of 5,001 characters ('xxxxxxxxxxxxxxxxxxxx…') "
        "is longer than 40: the paper will break it wherever the line runs out; break it where it reads well"
    ]


def _with_long_words(value: Any) -> Any:
    """Return a brief with a 5,000-character word at the start of every item, tables' included."""
    if isinstance(value, tuple):
        return tuple(_with_long_words(v) for v in value)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes = {f.name: _with_long_words(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, Item):
        changes["text"] = f"{WORD} {value.text}"
    return dataclasses.replace(value, **changes)


def _right_edge(box: Any) -> float:
    edge = box.position_x + box.margin_width() if hasattr(box, "margin_width") else 0.0
    return max([edge, *(_right_edge(child) for child in getattr(box, "children", ()))])


@pytest.mark.parametrize("cover", [False, True])
def test_a_5000_character_word_stays_on_the_page(cover: bool) -> None:
    from briefgen.render.pdf import render_document

    document = render_document(render_html(_with_long_words(sample_brief(cover=cover))))
    for page in document.pages:
        assert _right_edge(page._page_box) <= page.width + 0.5
    boxes = importlib.import_module("weasyprint.formatting_structure.boxes")
    assert boxes  # the boxes walked above are WeasyPrint's laid-out boxes


def test_ordinary_words_and_addresses_are_left_whole() -> None:
    brief = sample_brief()
    long_address = "https://example.org/" + "a" * 60
    html = render_html(_with_long_words(brief))
    assert "x" * 10 + "\u200b" + "x" * 10 in html
    assert "x" * 11 not in html
    assert "\u200b" not in render_html(brief)
    from briefgen.render.html import _breakable

    assert _breakable(f"see {long_address} now") == f"see {long_address} now"
