"""Selection is a pure function: summary × layout → Brief. Checked without rendering anything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefgen.brief import Brief, Citation, CitationStyle, items_of
from briefgen.layouts import Layout, load_layout
from briefgen.loading import load_summary
from briefgen.model import Audience, Length, Marking, Summary
from briefgen.selection import Evidence, Trims, select_content

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"


@pytest.fixture(scope="module")
def summary() -> Summary:
    return load_summary(ROOT / "briefs" / "uk-japan-2026.yaml")


def layout(name: str) -> Layout:
    return load_layout(TEMPLATES, name)


def select(
    summary: Summary, name: str, *, evidence: Evidence | None = None, trims: Trims | None = None
) -> Brief:
    return select_content(summary, layout(name), load=layout, evidence=evidence, trims=trims)


def test_selection_is_pure_and_repeatable(summary: Summary) -> None:
    assert select(summary, "full-officials") == select(summary, "full-officials")


@pytest.mark.parametrize("length", [v.value for v in Length])
@pytest.mark.parametrize("audience", [v.value for v in Audience])
def test_every_priority_1_claim_of_an_audience_appears(summary: Summary, length: str, audience: str) -> None:
    brief = select(summary, f"{length}-{audience}")
    must = {c.id for c in summary.claims if c.priority == 1 and Audience(audience) in c.audiences}
    assert must <= set(brief.included)
    assert all(Audience(audience) in summary.claim(c).audiences for c in brief.included)
    dropped = {d.claim_id for d in brief.dropped}
    assert not dropped & set(brief.included)
    assert all(d.reason for d in brief.dropped)


def test_each_glossary_term_is_spelt_out_at_its_first_use_only(summary: Summary) -> None:
    brief = select(summary, "full-officials")
    text = " ".join(i.text for i in items_of(brief) if i.claim_id)
    for entry in summary.glossary:
        if entry.term.lower() in entry.expansion.lower():
            continue
        uses = [m.start() for m in re.finditer(r"(?<![\w+])" + re.escape(entry.term) + r"(?![\w+])", text)]
        if not uses:
            continue
        spelt = text.find(f"{entry.expansion} ({entry.term})")
        plain = text.lower().find(entry.expansion.lower())
        assert 0 <= min(x for x in (spelt, plain) if x >= 0) <= uses[0], entry.term
        assert text.count(f"{entry.expansion} ({entry.term})") <= 1, entry.term


def test_marking_is_the_highest_of_the_selected_claims(summary: Summary) -> None:
    officials = select(summary, "full-officials")
    sensitive = {c.id for c in summary.claims if c.sensitivity is Marking.OFFICIAL_SENSITIVE}
    assert sensitive & set(officials.included)
    assert officials.marking == "OFFICIAL-SENSITIVE"
    one_page = select(summary, "one-page-officials")
    assert not sensitive & set(one_page.included)
    assert one_page.marking == "OFFICIAL"
    assert select(summary, "one-page-public").marking is None


def test_citation_styles_follow_the_audience(summary: Summary) -> None:
    assert select(summary, "full-minister").citation_style is CitationStyle.NONE
    assert select(summary, "full-minister").footnotes() == []
    parliament = select(summary, "full-parliament")
    assert parliament.citation_style is CitationStyle.FOOTNOTES
    notes = parliament.footnotes()
    assert [c.number for c in notes] == list(range(1, len(notes) + 1))
    first: dict[str, Citation] = {}
    for c in notes:
        first.setdefault(c.source_id, c)
    assert all("\u2018" in c.reference for c in first.values())  # full reference at first use


def test_disputed_claims_say_so(summary: Summary) -> None:
    brief = select(summary, "full-parliament")
    shown = set(brief.included)
    notes = [i.disputed for i in items_of(brief) if i.disputed]
    for dispute in summary.disputes:
        if dispute.note and not dispute.compatible and shown & set(dispute.claims):
            assert sum(dispute.note in n for n in notes) == 1, dispute.id  # once, at its first claim
    headings = [s.heading for s in brief.sections]
    assert "Where sources differ" in headings
    assert all((d.question in headings) != d.compatible for d in summary.disputes)


def test_trims_shorten_then_drop_without_refilling(summary: Summary) -> None:
    full = select(summary, "one-page-officials")
    victim = next(c for c in full.included if summary.claim(c).priority > 1)
    cut = select(
        summary, "one-page-officials", trims=Trims(drop=frozenset({victim}), only=frozenset(full.included))
    )
    assert victim not in cut.included
    assert set(cut.included) == set(full.included) - {victim}
    assert any(d.claim_id == victim and d.reason == "dropped to fit the page" for d in cut.dropped)


def test_claims_that_lost_their_evidence_are_left_out_and_listed(summary: Summary) -> None:
    lost = next(
        c.id for c in summary.claims if c.priority > 1 and Audience.OFFICIALS in c.audiences and c.evidence
    )
    brief = select(summary, "full-officials", evidence=Evidence(lost=frozenset({lost})))
    assert lost not in brief.included
    assert any(d.claim_id == lost and "evidence" in d.reason for d in brief.dropped)


def test_spread_sections_cover_every_area(summary: Summary) -> None:
    brief = select(summary, "one-page-industry")
    section = next(s for s in brief.sections if s.key == "opportunities")
    themes = {summary.claim(i.claim_id).theme for b in section.blocks for i in b.items if i.claim_id}
    assert len(themes - {None}) >= 3  # three of the agreement's areas, not three claims on one


def _expanded(summary: Summary, text: str) -> str:
    from briefgen.brief import Block, BlockKind, Item, Section
    from briefgen.selection import expand_acronyms

    section = Section(
        key="s", heading="S", level=1, blocks=(Block(kind=BlockKind.PARAGRAPH, items=(Item(text=text),)),)
    )
    return expand_acronyms([section], summary)[0].blocks[0].items[0].text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Reported: "2 January 2026 (United States (US) order)". Brackets are left alone.
        ("Printed as 2 January 2026 (US order).", "Printed as 2 January 2026 (US order)."),
        # Reported: "ministers' meeting (2+2) meeting".
        ("They will hold a 2+2 meeting in 2026.", "meeting (2+2) in 2026."),
        # Reported: a cited title rewritten, "‘United Kingdom (UK)-Japan Tokyo Summit…’".
        (
            "The \u2018UK-Japan Tokyo Summit\u2019 article says so.",
            "The \u2018UK-Japan Tokyo Summit\u2019 article",
        ),
        # Quotations are the source's words.
        ("It said \u201cthe UK will act\u201d.", "It said \u201cthe UK will act\u201d."),
    ],
)
def test_acronyms_are_never_spelt_out_inside_titles_quotes_or_brackets(
    summary: Summary, text: str, expected: str
) -> None:
    assert expected in _expanded(summary, text)


def test_a_later_free_use_is_spelt_out_after_a_protected_one(summary: Summary) -> None:
    text = _expanded(summary, "It said \u201cthe UK will act\u201d. The UK did.")
    assert "The United Kingdom (UK) did." in text


def test_a_dispute_note_says_what_differs_once_and_never_for_a_compatible_dispute(summary: Summary) -> None:
    brief = select(summary, "short-officials")
    notes = [i.disputed for i in items_of(brief) if i.disputed]
    assert notes and len(notes) == len(set(notes))
    assert not any("Sources differ on this point" in n for n in notes)
    compatible = [d for d in summary.disputes if d.compatible]
    assert compatible
    for item in items_of(brief):
        if item.claim_id and all(d.compatible for d in summary.disputes_of(item.claim_id)):
            assert item.disputed is None


def test_public_papers_print_plain_notes_or_nothing(summary: Summary) -> None:
    brief = select(summary, "full-public")
    plain = {d.plain_note for d in summary.disputes if d.plain_note}
    for item in items_of(brief):
        assert item.disputed is None or item.disputed in plain
