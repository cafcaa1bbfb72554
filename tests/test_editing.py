"""Editing YAML scalars in place: only the edited span changes, whatever its style, and it reads back."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from briefgen.editing import double_quoted, edit_yaml_file, replace_scalars, scalar_spans
from briefgen.errors import EditError

DOCUMENT = """\
# A comment at the top.
id: demo   # a trailing comment
plain: two words
single: 'it''s quoted'
double: "a \\"double\\" one"
folded: >-
  folded over
  two lines

literal: |
  kept
  as lines
multi: plain over
  two lines
flow: [first, {source: a, quote: "in a flow mapping"}]
items:
  - source: b
    quote: last   # the end
"""


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        (("plain",), "plain: two words\n", 'plain: "NEW"\n'),
        (("single",), "single: 'it''s quoted'\n", 'single: "NEW"\n'),
        (("double",), 'double: "a \\"double\\" one"\n', 'double: "NEW"\n'),
        # A block scalar goes whole, indicator line included; the blank line after it stays.
        (("folded",), "folded: >-\n  folded over\n  two lines\n\n", 'folded: "NEW"\n\n'),
        (("literal",), "literal: |\n  kept\n  as lines\n", 'literal: "NEW"\n'),
        (("multi",), "multi: plain over\n  two lines\n", 'multi: "NEW"\n'),
        (("flow", 0), "flow: [first,", 'flow: ["NEW",'),
        (("flow", 1, "quote"), 'quote: "in a flow mapping"}]', 'quote: "NEW"}]'),
        (("items", 0, "quote"), "quote: last   # the end\n", 'quote: "NEW"   # the end\n'),
    ],
    ids=["plain", "single", "double", "folded", "literal", "multi-line", "flow-seq", "flow-map", "last"],
)
def test_replace_changes_only_the_scalar(path: tuple[str | int, ...], before: str, after: str) -> None:
    assert DOCUMENT.count(before) == 1
    assert replace_scalars(DOCUMENT, {path: "NEW"}) == DOCUMENT.replace(before, after)


def test_several_edits_in_one_pass() -> None:
    edits: dict[tuple[str | int, ...], str] = {
        ("id",): "x",
        ("folded",): "one line now",
        ("flow", 1, "quote"): 'a "quote"',
        ("items", 0, "quote"): "end",
    }
    new = replace_scalars(DOCUMENT, edits)
    data = yaml.safe_load(new)
    assert data["id"] == "x"
    assert data["folded"] == "one line now"
    assert data["flow"][1] == {"source": "a", "quote": 'a "quote"'}
    assert data["items"][0]["quote"] == "end"
    assert data["literal"] == "kept\nas lines\n"
    assert new.count("#") == DOCUMENT.count("#")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quote: |+\n  kept\n\nnext: 1\n", 'quote: "NEW"\n\nnext: 1\n'),
        ("quote: >2-\n    indented\nnext: 1\n", 'quote: "NEW"\nnext: 1\n'),
        ("quote: >-   # why\n  text\nnext: 1\n", 'quote: "NEW"   # why\nnext: 1\n'),
        ("quote: |\n  at the end, no line break", 'quote: "NEW"'),
        ("quote: !!str tagged\n", 'quote: "NEW"\n'),
        ("quote:\nnext: 1\n", 'quote: "NEW"\nnext: 1\n'),
        ("- - nested\n  - NEW?\n", '- - "NEW"\n  - NEW?\n'),
    ],
    ids=["keep", "indentation-indicator", "header-comment", "end-of-file", "tag", "empty", "nested-list"],
)
def test_replace_edge_cases(text: str, expected: str) -> None:
    path: tuple[str | int, ...] = (0, 0) if text.startswith("-") else ("quote",)
    assert replace_scalars(text, {path: "NEW"}) == expected


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('say "yes"', '"say \\"yes\\""'),
        ("C:\\path\\", '"C:\\\\path\\\\"'),
        ("two\nlines\ttab", '"two\\nlines\\ttab"'),
        ("bell\x07 nel\x85 ls\u2028 bom\ufeff", '"bell\\x07 nel\\x85 ls\\u2028 bom\\ufeff"'),
        ("UK–Japan ‘quoted’ 日本 😀", '"UK–Japan ‘quoted’ 日本 😀"'),
        ("# not a comment: {x}, [y] & *z", '"# not a comment: {x}, [y] & *z"'),
    ],
)
def test_double_quoted_escapes(value: str, written: str) -> None:
    assert double_quoted(value) == written
    assert yaml.safe_load(f"k: {written}\n") == {"k": value}
    assert replace_scalars("k: old\n", {("k",): value}) == f"k: {written}\n"


@given(st.text())
def test_double_quoted_reads_back_as_any_text(value: str) -> None:
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):
        assert yaml.load(double_quoted(value), Loader=loader) == value
    assert "\n" not in double_quoted(value)


def test_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    text = "# note\r\nquote: >-\r\n  folded\r\n  text\r\n\r\nother: 'x'  # keep\r\nlast: plain\r\n"
    path = tmp_path / "crlf.yaml"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    edit_yaml_file(path, {("quote",): "new", ("last",): "é"})
    expected = '# note\r\nquote: "new"\r\n\r\nother: \'x\'  # keep\r\nlast: "é"\r\n'
    assert path.read_bytes() == codecs.BOM_UTF8 + expected.encode("utf-8")


def test_positions_count_characters_not_bytes() -> None:
    text = 'a: "日本 — 😀"\nb: after\n'
    assert replace_scalars(text, {("b",): "B"}) == 'a: "日本 — 😀"\nb: "B"\n'
    span = scalar_spans(text)[("a",)][0]
    assert text[span.start : span.end] == '"日本 — 😀"'


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("a: 1\n", ("b",), "b: no text value at this path"),
        ("a: {b: 1}\n", ("a",), "a: no text value at this path"),
        ("a: [1]\n", ("a", 1), "a[1]: no text value at this path"),
        ("a: 1\na: 2\n", ("a",), "a: the key is written 2 times"),
        ("a: [1\n", ("a",), "the YAML cannot be parsed: line 2, column 1: did not find expected ',' or ']'"),
        ("a: 1\n---\na: 2\n", ("a",), "the YAML holds more than one document; only one can be edited"),
    ],
)
def test_refusals_name_the_path(text: str, path: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(EditError) as caught:
        replace_scalars(text, {path: "x"})
    assert str(caught.value) == message


def test_nothing_is_written_when_a_check_or_a_path_fails(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\nb: 2\n", encoding="utf-8")

    def refuse(text: str) -> None:
        assert text == 'a: "x"\nb: 2\n'
        raise EditError("refused")

    with pytest.raises(EditError, match="refused"):
        edit_yaml_file(path, {("a",): "x"}, check=refuse)
    with pytest.raises(EditError, match=r"s\.yaml: c: no text value"):
        edit_yaml_file(path, {("a",): "x", ("c",): "y"})
    assert edit_yaml_file(path, {("a",): "x"}, write=False) == 'a: "x"\nb: 2\n'
    assert path.read_text(encoding="utf-8") == "a: 1\nb: 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]  # no temporary file left behind


def test_mode_and_symbolic_link_are_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("a: 1\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    edit_yaml_file(link, {("a",): "2"})
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == 'a: "2"\n'
    assert real.stat().st_mode & 0o777 == 0o640
