"""The review: a source set against every claim, and against the other sources (check --disputes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefgen.anchoring import read_sources
from briefgen.intake import add_source
from briefgen.loading import load_summary
from briefgen.mentions import find_mentions, same_person
from briefgen.review import FindingKind, find_disputes, review_source
from briefgen.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "review"
MERIDIAN = "meridian-treaty-2025.yaml"
UK_JAPAN = "uk-japan-2026.yaml"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the summaries and seeds."""
    for name in ("briefs", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def test_new_report_is_reviewed_as_exactly_what_it_says(project: Path) -> None:
    """Two confirmations, a number and a name contradicted, one speech requoted, one fact added."""
    summary_path = project / "briefs" / MERIDIAN
    added = add_source(
        summary_path,
        str(DATA / "sarn-observer-report.txt"),
        given={"reliability": "Invented for the tests."},
    )
    assert added.summary is not None
    review = review_source(added.summary, added.texts, added.source_id)
    found = {(f.kind.value, f.claim_id) for f in review.findings}
    assert found == {
        ("confirms", "rotation"),
        ("confirms", "entry-into-force"),
        ("contradicts", "troop-ceiling"),
        ("contradicts", "carridan-view"),
        ("requoted", "minister-speech"),
        ("adds", None),
    }
    number, name = review.of_kind(FindingKind.CONTRADICTS)
    assert (number.what, number.ours, number.theirs) == (
        "number",
        "3,000 Carridanian personnel",
        "5,000 personnel",
    )
    assert "5,000 personnel in Vasterra at any time" in number.passage
    assert "No more than 3,000 Carridanian personnel" in number.ours_passage
    assert (name.what, name.ours, name.theirs, name.variant) == (
        "name",
        "Kasimir Aldrecht",
        "Piotr Halden",
        False,
    )
    (requote,) = review.of_kind(FindingKind.REQUOTED)
    assert requote.theirs == "Today our two countries stop talking about partnership and start to live it."
    assert requote.ours_source == "press-release"
    (adds,) = review.of_kind(FindingKind.ADDS)
    assert "dredging of the approach channel" in adds.passage
    assert review.needs_analyst
    command = review.of_kind(FindingKind.CONFIRMS)[0].command()
    assert command is not None and command.startswith("briefgen evidence add ")


def test_review_writes_markdown_and_json(project: Path) -> None:
    from briefgen.review import read_review, write_review

    summary = load_summary(project / "briefs" / MERIDIAN)
    texts = read_sources(summary, project)
    review = review_source(summary, texts, "meridian-courier")
    written = write_review(review, project / "out")
    assert [p.name for p in written] == ["review-meridian-courier.md", "review-meridian-courier.json"]
    data = read_review(project / "out", summary.id, "meridian-courier")
    assert data is not None and data["source"] == "meridian-courier" and data["seen"]
    assert written[0].read_text(encoding="utf-8").startswith("# Review of source `meridian-courier`")


def _strip_disputes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index("\ndisputes:\n")
    end = text.index("\nglossary:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def test_check_disputes_finds_the_prime_ministers_name(project: Path) -> None:
    path = project / "briefs" / UK_JAPAN
    summary = load_summary(path)
    texts = read_sources(summary, project)
    assert [f for r in find_disputes(summary, texts) for f in r.findings] == []  # all recorded
    _strip_disputes(path)
    summary = load_summary(path)
    findings = [f for r in find_disputes(summary, texts) for f in r.findings]
    assert [(f.source_id, f.what, f.claim_id, f.ours) for f in findings] == [
        ("tokyo-summit", "name", "meeting-tokyo", "Sanae Takaichi")
    ]
    assert findings[0].theirs == "Chizuru Takeshita (also spelt Takashita)"
    assert not findings[0].variant  # two people, one office: not a spelling variant


def test_check_disputes_on_meridian_without_its_disputes(project: Path) -> None:
    """Every recorded disagreement on a number, date, name or quotation is found, and nothing else."""
    path = project / "briefs" / MERIDIAN
    _strip_disputes(path)
    summary = load_summary(path)
    texts = read_sources(summary, project)
    findings = {(f.source_id, f.what, f.theirs) for r in find_disputes(summary, texts) for f in r.findings}
    contradictions = {f for f in findings if f[1] != "quotation"}
    assert contradictions == {
        ("meridian-courier", "number", "25 years"),
        ("meridian-courier", "number", "3,500 Carridanian troops"),
        ("meridian-courier", "name", "Helena Morvane"),
        ("meridian-courier", "date", "10 September"),
        ("halvard-standard", "number", "4,500 Carridanian troops"),
        ("halvard-standard", "date", "2 September"),
        ("halvard-standard", "date", "4 March"),
    }
    assert len(findings - contradictions) >= 3  # the speech, as the newspapers give it


def test_spelling_variants_are_one_person() -> None:
    assert same_person("Helena Morvaine", "Helena Morvane") == "variant"
    assert same_person("Chizuru Takeshita", "Takashita") == "variant"
    assert same_person("Sanae Takaichi", "Chizuru Takeshita") == ""
    assert same_person("Kasimir Aldrecht", "Aldrecht") == "same"


def test_mentions_keep_what_was_written() -> None:
    found = find_mentions("Up to 3,500 Carridanian troops may stay for the next 25 years from 4 March.")
    assert [(q.text, q.unit, q.kind) for q in found.quantities] == [
        ("3,500 Carridanian troops", "people", "maximum"),
        ("25 years", "time", "duration"),
    ]
    (date,) = found.dates
    assert (date.year, date.month, date.day) == (None, 3, 4)
    people = find_mentions(
        "Japanese Prime Minister Sanae Takaichi met Defence Minister Helena Morvane."
    ).people
    assert [(p.name, p.role, p.qualifier) for p in people] == [
        ("Sanae Takaichi", "prime minister", "japan"),
        ("Helena Morvane", "minister of defence", ""),
    ]
    money = find_mentions("Carridan will spend 1.4 billion crowns over ten years.").quantities
    assert [(q.value, q.unit) for q in money] == [(1.4e9, "money:crown"), (3652.5, "time")]


def test_sentences_keep_their_offsets() -> None:
    text = "HEADLINE HERE\nKESTREL POINT - The Dr. said no. It rained.\n- A list item, with words.\n"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "HEADLINE HERE",
        "The Dr. said no.",
        "It rained.",
        "A list item, with words.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert sentences[0].heading and not sentences[1].heading


def test_a_title_and_a_place_given_differently(project: Path) -> None:
    report = project / "bulletin.txt"
    report.write_text(
        "Ministry bulletin\n"
        "Foreign Minister Helena Morvaine opened the ceremony on the quayside.\n"
        "The two governments exchanged instruments of ratification at Port Meridian on 12 September 2025.\n",
        encoding="utf-8",
    )
    added = add_source(
        project / "briefs" / MERIDIAN,
        str(report),
        given={"title": "Bulletin", "kind": "official", "reliability": "Invented."},
    )
    assert added.summary is not None
    review = review_source(added.summary, added.texts, added.source_id)
    found = [(f.what, f.claim_id, f.ours, f.theirs) for f in review.of_kind(FindingKind.CONTRADICTS)]
    assert found == [
        ("title", "minister-speech", "minister of defence", "minister of foreign"),
        ("place", "exchange-of-instruments", "Halvard", "Port Meridian"),
    ]
