"""Nothing belongs to one agreement: themes, roles, layout overrides, migration, and check ⇒ build."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from briefgen.check import check_summary
from briefgen.cli import app
from briefgen.errors import BriefgenError
from briefgen.loading import load_summary
from briefgen.model import Audience, Edition, Format, Length
from briefgen.selection import Trims

ROOT = Path(__file__).resolve().parents[1]
SUMMARIES = sorted((ROOT / "briefs").glob("*.yaml"))
DATA = ROOT / "tests" / "data"


def _project(tmp_path: Path, summary: Path = SUMMARIES[0]) -> Path:
    (tmp_path / "briefs").mkdir()
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    target = tmp_path / "briefs" / summary.name
    shutil.copy(summary, target)
    return target


def _agreement_words(summary_path: Path) -> set[str]:
    summary = load_summary(summary_path)
    s = summary.subject
    words = {*s.parties, s.place, s.short_title, *(x.name for x in s.signatories)}
    # A heading of one word ("Defence") is any agreement's; a longer one names this agreement's.
    headings = {t.heading for t in summary.themes} | {t.plain for t in summary.themes if t.plain}
    words |= {h for h in headings if len(h.split()) > 1}
    return {w for w in words if len(w) > 3}


@pytest.mark.parametrize("summary", SUMMARIES, ids=[p.stem for p in SUMMARIES])
def test_no_agreement_specific_word_in_code_or_templates(summary: Path) -> None:
    words = _agreement_words(summary)
    assert words
    found = []
    for folder in (ROOT / "src", ROOT / "templates"):
        for path in folder.rglob("*"):
            if path.suffix not in (".py", ".yaml", ".j2", ".css", ".md", ".html"):
                continue
            text = path.read_text(encoding="utf-8")
            for word in words:
                if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text, re.IGNORECASE):
                    found.append(f"{path.relative_to(ROOT)}: {word}")
    assert found == []


def test_schema_1_is_refused_in_one_line_and_migrate_rewrites_it_in_place(tmp_path: Path) -> None:
    path = tmp_path / "briefs" / "old.yaml"
    path.parent.mkdir()
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    original = (DATA / "schema_1_retired.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["check", str(path)])
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: {path}:2:1: schema: schema 1 is retired: "
        "run `briefgen migrate FILE` to rewrite it as schema 2"
    ]
    migrated = runner.invoke(app, ["migrate", str(path)])
    assert migrated.exit_code == 0, migrated.output
    assert "topic defence → role agreed, theme defence" in migrated.stdout
    summary = load_summary(path)
    assert summary.schema_ == 2
    assert {t.id for t in summary.themes} == {c.theme for c in summary.claims if c.theme}
    # Every line but the schema, the topics and the new themes block is kept as it was.
    kept = [line for line in original.splitlines() if "topic:" not in line and line != "schema: 1"]
    new = path.read_text(encoding="utf-8").splitlines()
    assert all(line in new for line in kept)
    assert not any("topic:" in line for line in new)


def test_a_layout_override_changes_text_and_omits_a_section(tmp_path: Path) -> None:
    from briefgen.build import Builder, verify_inputs

    path = _project(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["layouts"] = {
        "full-officials": {
            "subtitle": "Paper for the review",
            "sections": {
                "purpose": {"text": "This paper is about what {parties} agreed on {date}."},
                "open-questions": {"omit": True},
            },
        }
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    builder = Builder(verify_inputs(path))
    brief = builder.select(Edition(name="full-officials", length=Length.FULL, audience=Audience.OFFICIALS))
    assert brief.subtitle == "Paper for the review"
    purpose = next(s for s in brief.sections if s.key == "purpose")
    parties = load_summary(path).subject.parties
    expected = f"This paper is about what {parties[0]} and {parties[1]}"
    assert purpose.blocks[0].items[0].text.startswith(expected)
    assert not any(s.key == "open-questions" for s in brief.sections)
    data["layouts"]["full-officials"]["sections"]["no-such-section"] = {"words": 3}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = check_summary(path)
    assert any("no section 'no-such-section' in layout full-officials" in p.message for p in report.errors)


@pytest.mark.parametrize("summary", SUMMARIES, ids=[p.stem for p in SUMMARIES])
def test_full_papers_have_a_chapter_per_theme(summary: Path) -> None:
    from briefgen.build import Builder, verify_inputs

    loaded = load_summary(summary)
    builder = Builder(verify_inputs(summary))
    brief = builder.select(Edition(name="full-officials", length=Length.FULL, audience=Audience.OFFICIALS))
    headings = [s.heading for s in brief.sections]
    themed = {c.theme for c in loaded.claims if c.theme and c.role.value == "agreed"}
    for theme in loaded.themes:
        if theme.id in themed:
            assert theme.heading in headings


def test_a_notice_is_printed_on_every_paper(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from briefgen.run import build_papers

    path = _project(tmp_path, ROOT / "briefs" / "uk-japan-2026.yaml")  # a summary with no notice yet
    text = path.read_text(encoding="utf-8")
    notice = "DRAFT: not for circulation."
    path.write_text(text.replace("  as_of:", f'  notice: "{notice}"\n  as_of:', 1), encoding="utf-8")
    results = build_papers(
        path, out=tmp_path / "out", length=Length.ONE_PAGE, audience=Audience.PUBLIC, formats=[Format.PDF]
    )
    assert not results.failures
    pdf = PdfReader(tmp_path / "out" / results.papers[0].brief.summary_id / "one-page-public.pdf")
    assert notice in " ".join(pdf.pages[0].extract_text().split())


# -- check passing means build passing -------------------------------------------------------


def _mutate(data: dict[str, object], rng: random.Random) -> str:
    """Make one plausible analyst's edit to a summary's claims; return what it did."""
    claims = data["claims"]
    assert isinstance(claims, list)
    claim = rng.choice(claims)
    roles = ["overview", "agreed", "legal", "context", "drivers", "implications", "reaction", "risks"]
    kind = rng.randrange(6)
    if kind == 0:
        claim["role"] = rng.choice(roles)
        return f"{claim['id']}: role {claim['role']}"
    if kind == 1:
        claim["priority"] = 1
        return f"{claim['id']}: priority 1"
    if kind == 2:
        claim["audiences"] = sorted({*claim["audiences"], rng.choice(["public", "parliament", "industry"])})
        return f"{claim['id']}: audiences {claim['audiences']}"
    if kind == 3:
        padding = " ".join(["It was widely reported at the time"] * rng.randint(1, 6))
        claim["full"] = f"{claim['full']} {padding}."
        return f"{claim['id']}: longer full text"
    if kind == 4:
        claim["sensitivity"] = "OFFICIAL-SENSITIVE"
        return f"{claim['id']}: sensitive"
    victim = claims.pop(rng.randrange(len(claims)))
    disputes = data.get("disputes") or []
    assert isinstance(disputes, list)
    for dispute in disputes:
        dispute["claims"] = [c for c in dispute.get("claims", []) if c != victim["id"]]
    return f"{victim['id']}: removed"


@pytest.mark.parametrize("seed", range(8))
def test_a_summary_that_checks_clean_builds(tmp_path: Path, seed: int) -> None:
    from briefgen.build import Builder, verify_inputs

    rng = random.Random(seed)
    path = _project(tmp_path, SUMMARIES[seed % len(SUMMARIES)])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edits = [_mutate(data, rng)]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = check_summary(path)
    if report.errors:
        pytest.skip(f"check refused {edits}: {report.errors[0]}")
    builder = Builder(verify_inputs(path))
    summary = builder.inputs.summary
    # Laying out every paper costs seconds: build the ones the edits can break, fitted for real.
    editions = [e for e in summary.editions if e.length is not Length.FULL]
    for edition in rng.sample(editions, 3):
        try:
            builder.build(edition.model_copy(update={"formats": [Format.PDF]}))
        except BriefgenError as exc:
            pytest.fail(f"check passed but {edition.name} failed after {edits}: {exc}")
    # And the rule-level gates hold for every edition, cut or not.
    for edition in summary.editions:
        builder.select(edition, Trims(shorten=frozenset(c.id for c in summary.claims)))
