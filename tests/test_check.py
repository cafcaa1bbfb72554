"""`briefgen check` on the UK–Japan summary and on summaries whose quotes drift from their sources."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefgen.anchoring import Grade
from briefgen.check import check_summary
from briefgen.cli import app
from briefgen.loading import load_summary
from briefgen.model import Audience, Kind

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "briefs" / "uk-japan-2026.yaml"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


def test_uk_japan_summary_checks_clean() -> None:
    report = check_summary(SUMMARY)
    assert report.errors == []
    assert report.problems == []  # no fuzzy quotes either
    summary = report.summary
    facts = [c for c in summary.claims if c.kind is Kind.FACT]
    assert len(summary.claims) >= 50
    assert len(facts) >= 40
    grades = {(c.claim_id, c.where): c.anchor.grade for c in report.checks}
    for claim_index, claim in enumerate(summary.claims):
        for j, _ in enumerate(claim.evidence):
            grade = grades[(claim.id, f"claims[{claim_index}].evidence[{j}]")]
            assert grade in (Grade.EXACT, Grade.NORMALISED), (claim.id, grade)


def test_summary_covers_every_audience_and_kind() -> None:
    summary = load_summary(SUMMARY)
    for audience in Audience:
        mine = [c for c in summary.claims if audience in c.audiences]
        kinds = {c.kind for c in mine}
        assert Kind.FACT in kinds
        assert sum(1 for c in mine if c.priority == 1) >= 1, audience
    minister = {c.kind for c in summary.claims if Audience.MINISTER in c.audiences}
    assert {Kind.RECOMMENDATION, Kind.LINE_TO_TAKE, Kind.ASSESSMENT} <= minister
    assert any(c.kind is Kind.QUESTION and Audience.PARLIAMENT in c.audiences for c in summary.claims)
    public = [c for c in summary.claims if Audience.PUBLIC in c.audiences]
    assert all(c.plain for c in public)
    assert not [c.id for c in public if c.sensitivity.value != "OFFICIAL"]


def test_disputes_include_the_prime_ministers_name() -> None:
    summary = load_summary(SUMMARY)
    pm = next(d for d in summary.disputes if d.id == "pm-name")
    quotes = " ".join(p.quote for p in pm.positions)
    assert "Takeshita" in quotes and "Takaichi" in quotes
    assert len({p.source for p in pm.positions}) >= 2
    assert len(summary.disputes) >= 5
    assert all(d.resolution and d.rationale for d in summary.disputes)


def test_sources_describe_the_seeds_and_their_flaws() -> None:
    summary = load_summary(SUMMARY)
    assert len(summary.sources) == 3
    dated = next(s for s in summary.sources if s.date_printed == "01/02/2026")
    assert dated.date_note and "ambiguous" in dated.date_note
    notes = " ".join(n for s in summary.sources for n in s.quality_notes).lower()
    for flaw in ("co, operation", "japanese", "forthcoming"):
        assert flaw in notes, flaw
    for source in summary.sources:
        assert (ROOT / source.file).is_file()
        if SHARED_SEEDS.is_dir():
            assert (ROOT / source.file).read_bytes() == (SHARED_SEEDS / Path(source.file).name).read_bytes()


def test_glossary_covers_every_acronym_in_the_claims() -> None:
    summary = load_summary(SUMMARY)
    terms = {g.term for g in summary.glossary}
    used: set[str] = set()
    for claim in summary.claims:
        for text in (claim.short, claim.full, claim.plain or "", claim.lead or ""):
            used.update(re.findall(r"\b[A-Z]{2,}s?\b", text))
    allowed = {"OFFICIAL"}
    missing = {u.rstrip("s") for u in used} - terms - allowed
    assert not missing, missing


def test_timeline_is_dated_and_cites_known_sources() -> None:
    summary = load_summary(SUMMARY)
    assert len(summary.timeline) >= 6
    known = {s.id for s in summary.sources}
    assert all(set(t.sources) <= known for t in summary.timeline)


def _project_copy(tmp_path: Path) -> Path:
    for name in ("briefs", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path / "briefs" / SUMMARY.name


def test_a_missing_quote_is_an_error_naming_the_closest_passage(tmp_path: Path) -> None:
    summary = _project_copy(tmp_path)
    text = summary.read_text(encoding="utf-8")
    quote = "held a meeting lasting approximately 20 minutes"
    assert quote in text
    summary.write_text(
        text.replace(quote, "held a meeting lasting roughly two hours and more", 1), encoding="utf-8"
    )
    report = check_summary(summary, display="briefs/uk-japan-2026.yaml")
    errors = [str(p) for p in report.errors]
    assert len(errors) == 1
    assert re.match(
        r"briefs/uk-japan-2026\.yaml:\d+:\d+: claims\[\d+\]\.evidence\[\d+\]\.quote: quote not found in "
        r"source 'tokyo-summit'; closest passage \(score \d+\): “.*held a meeting lasting.*”",
        errors[0],
    ), errors[0]
    line = int(errors[0].split(":")[1])
    assert "held a meeting lasting roughly" in summary.read_text(encoding="utf-8").splitlines()[line - 1]


def test_a_quote_one_word_off_is_an_error_at_its_line(tmp_path: Path) -> None:
    # Reported: "forces" for "troops" passed check with a warning, and papers printed the wrong word.
    summary = _project_copy(tmp_path)
    text = summary.read_text(encoding="utf-8")
    quote = "held a meeting lasting approximately 20 minutes"
    summary.write_text(text.replace(quote, "held a meeting lasting roughly 20 minutes", 1), encoding="utf-8")
    line = next(i for i, row in enumerate(summary.read_text().splitlines(), 1) if "lasting roughly" in row)
    report = check_summary(summary)
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.line == line and error.field.endswith(".quote")
    assert "quote differs from source 'tokyo-summit'" in error.message
    # The passage the source has, in whole words: it starts and ends on a word, never mid-word.
    shown = error.message.split("\u201c", 1)[1].split("\u201d", 1)[0]
    assert "lasting approximately 20 minutes" in shown
    source = (tmp_path / "seeds" / "000_b445cf68cb3455ec.txt").read_text(encoding="utf-8")
    assert " ".join(shown.split()) in " ".join(source.split())
    words = set(" ".join(source.split()).split())
    assert shown.split()[0] in words and shown.split()[-1] in words


def test_words_pasted_into_a_long_quote_are_an_error(tmp_path: Path) -> None:
    summary = _project_copy(tmp_path)
    text = summary.read_text(encoding="utf-8")
    quote = (
        "On 31 January 2026, British Prime Minister Keir Starmer concluded a diplomatic tour of East Asia "
        "with a high-stakes visit to Tokyo"
    )
    assert quote in text
    summary.write_text(text.replace(quote, quote + " and the Zanzibar penguins", 1), encoding="utf-8")
    report = check_summary(summary)
    assert [e.field for e in report.errors] == ["claims[0].evidence[0].quote"]
    assert "the source reads" in report.errors[0].message


def test_cli_check_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(SUMMARY), "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["ok"] is True
    assert data["quotes_by_grade"]["missing"] == 0
    assert data["claims_by_kind"]["fact"] >= 40
    assert "pm-name" in data["disputes"]
    bad = runner.invoke(app, ["check", str(ROOT / "tests" / "data" / "unknown_source.yaml")])
    assert bad.exit_code == 1
    assert "unknown source 'reuters'" in bad.stderr
    assert "Traceback" not in bad.output


@pytest.mark.parametrize(
    "content", [b"", b"\x00\xff\xfe binary", b"- a list\n- at the top\n", b"schema: 1\n\tid: x\n"]
)
def test_cli_never_shows_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert re.search(r"^error: .*bad\.yaml:\d+:\d+: .+: .+$", result.stderr, re.M), result.stderr
