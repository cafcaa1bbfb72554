"""`briefgen quotes update` on a copy of the UK–Japan summary whose sources changed after it was written."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefgen.anchoring import Grade, anchor_quote
from briefgen.check import check_summary
from briefgen.cli import app
from briefgen.loading import load_summary, load_summary_with_locations
from briefgen.requoting import current_wording, requote, shorten_pair

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = Path("briefs/uk-japan-2026.yaml")
NEWS = "seeds/000_b445cf68cb3455ec.txt"
BLOG = "seeds/001_4569ab1ebb46e3de.txt"
PAPER = "seeds/002_3d02146b808ff639.txt"
# A sentence of the academic paper that one claim quotes and the edited paper no longer holds.
REMOVED = (
    "France, Canada, and Finland have similarly pursued direct diplomacy with Beijing, "
    "reflecting a broader European and G7-level anxiety over U.S. reliability."
)


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the summary and its sources, as the working folder."""
    for name in ("briefs", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for other in (tmp_path / "briefs").glob("*.yaml"):  # one summary: its output is compared whole
        if other.name != SUMMARY.name:
            other.unlink()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit_seed(project: Path, seed: str, old: str, new: str) -> None:
    """Change a source's text the way a corrected article would change."""
    path = project / seed
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def quotes_containing(project: Path, fragment: str) -> list[tuple[str, str, tuple[int, int]]]:
    """Return (field, quote, line:col) of every quote in the summary that contains ``fragment``."""
    summary, locations = load_summary_with_locations(project / SUMMARY)
    found = []
    for i, claim in enumerate(summary.claims):
        for j, evidence in enumerate(claim.evidence):
            if fragment in evidence.quote:
                path = ("claims", i, "evidence", j, "quote")
                found.append((f"claims[{i}].evidence[{j}].quote", evidence.quote, locations.of(path)))
    for i, dispute in enumerate(summary.disputes):
        for j, position in enumerate(dispute.positions):
            if fragment in position.quote:
                path = ("disputes", i, "positions", j, "quote")
                found.append((f"disputes[{i}].positions[{j}].quote", position.quote, locations.of(path)))
    return found


def rewritten(yaml_bytes: bytes, changes: list[tuple[str, str]]) -> bytes:
    """Return the summary's bytes with each double-quoted quote replaced, and nothing else."""
    for old, new in changes:
        before, after = f'"{old}"'.encode(), f'"{new}"'.encode()
        assert yaml_bytes.count(before) == 1, old
        yaml_bytes = yaml_bytes.replace(before, after)
    return yaml_bytes


@pytest.mark.parametrize(
    ("seed", "old", "new", "grade"),
    [
        (BLOG, "identified as essential elements", "identified as central elements", Grade.FUZZY),
        # One sentence quoted by two claims and two dispute positions: all rewritten in one pass.
        (NEWS, "held a meeting", "had a meeting", Grade.FUZZY),
        # Typography and case only: the quote is rewritten to read as the source does.
        (
            NEWS,
            "Prime Minister's Official Residence",
            "Prime Minister’s official residence",
            Grade.NORMALISED,
        ),
    ],
    ids=["word-changed", "claim-and-dispute", "typography-and-case"],
)
def test_update_rewrites_only_the_changed_quotes(
    project: Path, seed: str, old: str, new: str, grade: Grade
) -> None:
    affected = quotes_containing(project, old)
    assert len(affected) == {"held a meeting": 4}.get(old, 1)
    before = (project / SUMMARY).read_bytes()
    edit_seed(project, seed, old, new)
    quotes = {quote for _, quote, _ in affected}
    assert {c.anchor.grade for c in check_summary(SUMMARY).checks if c.quote in quotes} == {grade}

    result = CliRunner().invoke(app, ["quotes", "update", str(SUMMARY)])

    assert result.exit_code == 0, result.output
    shown = [shorten_pair(q, q.replace(old, new)) for _, q, _ in affected]
    expected = [
        f'{SUMMARY}:{line}:{col}: {field}: "{a}" → "{b}"'
        for (field, _, (line, col)), (a, b) in zip(affected, shown, strict=True)
    ]
    noun = "quote" if len(affected) == 1 else "quotes"
    assert result.stdout.splitlines() == [*expected, f"{SUMMARY}: {len(affected)} {noun} rewritten"]
    assert result.stderr == ""
    changes = [(q, q.replace(old, new)) for _, q, _ in affected]
    assert (project / SUMMARY).read_bytes() == rewritten(before, changes)  # comments and all else kept
    source = (project / seed).read_text(encoding="utf-8")
    assert all(new_quote in source for _, new_quote in changes)
    report = check_summary(SUMMARY)
    assert report.problems == []
    assert {c.anchor.grade for c in report.checks} == {Grade.EXACT}


def test_a_removed_sentence_is_reported_and_left(project: Path) -> None:
    edit_seed(project, PAPER, REMOVED, "")
    edit_seed(project, BLOG, "identified as essential elements", "identified as central elements")
    [(field, _, (line, col))] = quotes_containing(project, REMOVED)
    [(changed_field, changed, _)] = quotes_containing(project, "identified as essential elements")
    before = (project / SUMMARY).read_bytes()

    result = CliRunner().invoke(app, ["quotes", "update", str(SUMMARY)])

    assert result.exit_code == 1
    [error] = result.stderr.splitlines()
    assert error.startswith(
        f"error: {SUMMARY}:{line}:{col}: {field}: quote not found in source 'strategic-realignment', "
        "so not rewritten; closest passage (score "
    )
    assert f"{changed_field}: " in result.stdout
    assert result.stdout.splitlines()[-1] == f"{SUMMARY}: 1 quote rewritten; 1 not found, left for an analyst"
    changes = [(changed, changed.replace("essential", "central"))]
    assert (project / SUMMARY).read_bytes() == rewritten(before, changes)
    assert [p.field for p in check_summary(SUMMARY).errors] == [field]


def test_dry_run_writes_nothing(project: Path) -> None:
    edit_seed(project, BLOG, "identified as essential elements", "identified as central elements")
    path = project / SUMMARY
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns

    result = CliRunner().invoke(app, ["quotes", "update", "--dry-run", str(SUMMARY)])

    assert result.exit_code == 0, result.output
    assert "→" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        f"{SUMMARY}: 1 quote would be rewritten (dry run: nothing written)"
    )
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, stamp)
    assert sorted(p.name for p in path.parent.iterdir()) == ["uk-japan-2026.yaml"]


def test_an_unchanged_summary_is_left_alone(project: Path) -> None:
    path = project / SUMMARY
    stamp = path.stat().st_mtime_ns
    # A line break inside a quoted passage changes nothing a quote can show.
    edit_seed(project, BLOG, "identified as essential elements", "identified as\nessential elements")

    result = CliRunner().invoke(app, ["quotes", "update"])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{SUMMARY}: 0 quotes rewritten\n"
    assert path.stat().st_mtime_ns == stamp


def test_crlf_and_bom_summary(project: Path) -> None:
    path = project / SUMMARY
    lf = path.read_bytes()
    path.write_bytes(codecs.BOM_UTF8 + lf.replace(b"\n", b"\r\n"))
    edit_seed(project, BLOG, "identified as essential elements", "identified as central elements")
    [(_, quote, _)] = quotes_containing(project, "identified as essential elements")

    report = requote(path)

    assert [(c.old, c.new) for c in report.changes] == [(quote, quote.replace("essential", "central"))]
    assert report.written and report.clean
    expected = rewritten(lf, [(quote, quote.replace("essential", "central"))])
    assert path.read_bytes() == codecs.BOM_UTF8 + expected.replace(b"\n", b"\r\n")
    assert load_summary(path).claims  # still loads


def test_a_passage_cut_mid_word_is_widened_to_whole_words() -> None:
    text = "Yesterday the two countries agreed to cooperation on cyber matters."
    anchor = anchor_quote("the two countries agreed to cooperate", text)
    assert anchor.grade is Grade.FUZZY
    assert anchor.exact == "the two countries agreed to cooperati"  # what the alignment found
    assert current_wording(anchor, text) == "the two countries agreed to cooperation"


def test_current_wording_collapses_white_space() -> None:
    text = "Officials said the pact was  signed\nafter talks."
    anchor = anchor_quote("the pact was agreed after talks", text)
    assert anchor.grade is Grade.FUZZY
    assert current_wording(anchor, text) == "the pact was signed after talks"


def test_long_quotes_are_shown_around_the_change() -> None:
    old = (
        "On 31 January 2026, British Prime Minister Keir Starmer concluded a diplomatic tour of East Asia "
        "with a high-stakes visit to Tokyo, culminating in a joint declaration."
    )
    new = old.replace("high-stakes", "brief")
    assert shorten_pair(old, new) == (
        "…diplomatic tour of East Asia with a high-stakes visit to Tokyo, culminating in…",
        "…diplomatic tour of East Asia with a brief visit to Tokyo, culminating in…",
    )
    assert shorten_pair("short", "shirt") == ("short", "shirt")


STYLES = """\
# A tiny summary whose quotes are written in other YAML styles.
schema: 2
id: styles
subject:
  title: UK–Japan defence and security partnership
  short_title: UK–Japan partnership
  parties: [United Kingdom, Japan]
  date: 2026-01-31
  place: Tokyo
  legal_form: joint-statement
  status: agreed
  as_of: 2026-02-01
  classification: OFFICIAL
sources:
  - id: note
    file: seeds/note.txt
    title: A note
    kind: news
    reliability: A test source.
claims:
  - id: ministers
    role: agreed
    kind: fact
    priority: 1
    audiences: [minister]
    short: Foreign and defence ministers will meet within the year.
    full: The leaders agreed that foreign and defence ministers will meet within the year.
    evidence:
      - source: note
        quote: >-   # wrapped by hand
          The two leaders agreed to hold a meeting
          of foreign and defence ministers within the year.

      - {source: note, quote: 'Cyber defence is a ''weak point'''}
      - source: note
        quote: |
          Officials met in London on Monday
editions:
  - name: minister-one-page
    length: one-page
    audience: minister
"""
NOTE = (
    "The two leaders agreed to hold a meeting of foreign and defence ministers this year.\n"
    "Experts said cyber defence is a 'weak point’, officials\nmet in Londonderry on Monday.\n"
)


def test_quotes_in_other_yaml_styles_become_one_line(tmp_path: Path) -> None:
    (tmp_path / "briefs").mkdir()
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "note.txt").write_text(NOTE, encoding="utf-8")
    path = tmp_path / "briefs" / "styles.yaml"
    path.write_text(STYLES, encoding="utf-8")

    report = requote(path)

    assert [(c.field, c.grade, c.new) for c in report.changes] == [
        (
            "claims[0].evidence[0].quote",
            Grade.FUZZY,
            "The two leaders agreed to hold a meeting of foreign and defence ministers this year.",
        ),
        ("claims[0].evidence[1].quote", Grade.NORMALISED, "cyber defence is a 'weak point’"),
        ("claims[0].evidence[2].quote", Grade.FUZZY, "officials met in Londonderry on Monday"),
    ]
    assert path.read_text(encoding="utf-8") == STYLES.replace(
        ">-   # wrapped by hand\n"
        "          The two leaders agreed to hold a meeting\n"
        "          of foreign and defence ministers within the year.\n",
        '"The two leaders agreed to hold a meeting of foreign and defence ministers this year."'
        "   # wrapped by hand\n",
    ).replace(
        "quote: 'Cyber defence is a ''weak point'''}", 'quote: "cyber defence is a \'weak point’"}'
    ).replace(
        "quote: |\n          Officials met in London on Monday\n",
        'quote: "officials met in Londonderry on Monday"\n',
    )
    assert [p for p in check_summary(path).problems if p.field.endswith(".quote")] == []
