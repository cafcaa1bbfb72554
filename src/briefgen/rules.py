"""Run every rule a build enforces, without laying out a page, and locate each breach at its claim.

`check` calls this so that a summary that checks clean builds: selection (priority-1 claims with
no place, sensitive claims for the public) and the quality gates (sentence length once glossary
terms are spelt out, "should", reading grade, key points) are run for every edition. Only fitting
a page needs WeasyPrint; that stays in `build`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from briefgen.brief import Brief, Item, block_items
from briefgen.build import Builder, Inputs
from briefgen.errors import BriefgenError, FitError, Problem
from briefgen.loading import Locations
from briefgen.model import Audience, Claim, Edition, Kind, Length, Marking, Reliability, Summary
from briefgen.quality import (
    KEY_POINT_SECTIONS,
    LIMITS,
    UNSCORED,
    assess_quality,
    count_words,
    has_should,
    sentences_of,
)
from briefgen.selection import Trims, newest_source

#: The reading grade is a paper's, not a claim's: name this many of its hardest claims.
HARDEST_SHOWN = 3


@dataclass(frozen=True)
class _Printed:
    """One claim's text as a paper prints it, with the summary field it came from."""

    claim: Claim
    field: str
    text: str


def _field_of(claim: Claim, text: str, audience: Audience) -> str:
    """Tell which of a claim's forms a printed text is: the one sharing most words with it.

    The paper's text may differ from every form, as the glossary spells terms out.
    """
    printed = set(text.lower().split())
    fields = ("plain", "short", "full") if audience is Audience.PUBLIC else ("short", "full")

    def overlap(field: str) -> float:
        value = getattr(claim, field) or ""
        words = set(value.lower().split())
        return len(words & printed) / max(1, len(words | printed))

    return max(fields, key=overlap)


def _printed(brief: Brief, summary: Summary, audience: Audience) -> Iterator[_Printed]:
    """Yield each claim text a paper prints, outside reference sections."""
    for section in brief.sections:
        if section.key.startswith(UNSCORED) or section.key.startswith("dispute-"):
            continue
        for block in section.blocks:
            for item in block_items(block):
                yield from _of_item(item, summary, audience)


def _of_item(item: Item, summary: Summary, audience: Audience) -> Iterator[_Printed]:
    if not item.claim_id:
        return
    claim = summary.claim(item.claim_id)
    for piece in (item.label, item.text):
        if piece and not piece.endswith(":"):  # "Assessment (likely):" is the paper's, not the claim's
            yield _Printed(claim, _field_of(claim, piece, audience), piece)


class _Locator:
    """Turn a claim or an edition into the `file:line:col: field` of a problem."""

    def __init__(self, summary: Summary, locations: Locations, name: str) -> None:
        self.summary = summary
        self.locations = locations
        self.name = name
        self.index = {c.id: i for i, c in enumerate(summary.claims)}
        self.editions = {e.name: i for i, e in enumerate(summary.editions)}

    def claim(self, claim_id: str, field: str, message: str) -> Problem:
        path = ("claims", self.index[claim_id], field)
        line, col = self.locations.of(path)
        return Problem(self.name, line, col, f"claims[{self.index[claim_id]}].{field}", message)

    def edition(self, edition: Edition, message: str) -> Problem:
        if edition.name in self.editions:
            i = self.editions[edition.name]
            line, col = self.locations.of(("editions", i))
            return Problem(self.name, line, col, f"editions[{i}]", message)
        line, col = self.locations.of(("id",))
        return Problem(self.name, line, col, "id", message)


def _sensitive_for_everyone(summary: Summary, where: _Locator) -> list[Problem]:
    found = []
    for claim in summary.claims:
        public = [a.value for a in claim.audiences if a in (Audience.PUBLIC, Audience.PARLIAMENT)]
        if claim.sensitivity is Marking.OFFICIAL_SENSITIVE and public:
            found.append(
                where.claim(
                    claim.id,
                    "audiences",
                    f"'{claim.id}' is OFFICIAL-SENSITIVE but addressed to {' and '.join(public)}; "
                    "public and Parliament papers carry no sensitive claim",
                )
            )
    return found


def _sentence_problems(brief: Brief, summary: Summary, edition: Edition, where: _Locator) -> list[Problem]:
    """Report each printed sentence over the audience's limit, and 'should' where it is banned."""
    found = []
    limit = LIMITS[edition.audience.value][1]
    for printed in _printed(brief, summary, edition.audience):
        for sentence in sentences_of(printed.text):
            count = count_words(sentence)
            if count > limit:
                found.append(
                    where.claim(
                        printed.claim.id,
                        printed.field,
                        f"in {edition.name}, a sentence of {count} words (glossary terms spelt out) "
                        f"is over the {edition.audience.value} limit of {limit}: \u201c{sentence}\u201d",
                    )
                )
        if edition.audience in (Audience.PUBLIC, Audience.PARLIAMENT) and has_should(printed.text):
            found.append(
                where.claim(
                    printed.claim.id,
                    printed.field,
                    f"in {edition.name}, 'should' outside a quotation: "
                    f"{edition.audience.value} papers do not advise",
                )
            )
    return found


def _paper_problems(brief: Brief, summary: Summary, edition: Edition, where: _Locator) -> list[Problem]:
    """Report the paper-wide gates: reading grade and key points."""
    found = []
    quality = assess_quality(brief, summary)
    if quality.grade > quality.limit_grade:
        hardest = sorted(
            {p.claim.id: p for p in _printed(brief, summary, edition.audience)}.values(),
            key=lambda p: -assess_text_grade(p.text, summary),
        )[:HARDEST_SHOWN]
        found.append(
            where.edition(
                edition,
                f"{edition.name}: reading grade {quality.grade:.1f} is over the "
                f"{edition.audience.value} limit of {quality.limit_grade:g}; the hardest claims: "
                + ", ".join(p.claim.id for p in hardest),
            )
        )
    if brief.length is Length.ONE_PAGE:
        key_points = [
            i.claim_id
            for s in brief.sections
            if s.key in KEY_POINT_SECTIONS
            for b in s.blocks
            for i in b.items
            if i.claim_id
        ]
        if key_points and not 3 <= len(key_points) <= 5:
            found.append(
                where.edition(
                    edition,
                    f"{edition.name}: {len(key_points)} key points; a one-page paper has 3 to 5 "
                    "(give more claims of the key points' kinds and roles to this audience)",
                )
            )
    return found


def assess_text_grade(text: str, summary: Summary) -> float:
    """Return the reading grade of one text, as the paper's grade is computed."""
    from briefgen.quality import grade_of

    return grade_of(sentences_of(text), summary)


#: An as-of date this long after the newest source needs a note saying why nothing newer is cited.
STALE_AFTER_DAYS = 30
#: Words that attribute a statement to its source in the sentence itself.
_ATTRIBUTION = re.compile(
    r"\b(report|article|source|paper|account|analysis|commentary|release)s?\b"
    r"|\baccording to\b|\b(says|said|writes|claims|argues|expects|judges|suggests|notes)\b",
    re.IGNORECASE,
)


def _currency(summary: Summary, locations: Locations, name: str) -> list[Problem]:
    """Warn when 'as of' is much later than the newest source and no note says why."""
    newest = newest_source(summary)
    if newest is None or summary.subject.currency_note:
        return []
    gap = (summary.subject.as_of - newest).days
    if gap <= STALE_AFTER_DAYS:
        return []
    line, col = locations.of(("subject", "as_of"))
    return [
        Problem(
            name,
            line,
            col,
            "subject.as_of",
            f"papers will say 'correct as of {summary.subject.as_of}', {gap} days after the newest source "
            f"({newest}); say what that date means in subject.currency_note, "
            "or set as_of to the newest source",
            severity="warning",
        )
    ]


def _attributed(text: str, claim: Claim, summary: Summary) -> bool:
    names = {summary.source(e.source).label or "" for e in claim.evidence} | {
        summary.source(e.source).publisher for e in claim.evidence
    }
    if claim.judgement_of:
        source = summary.source(claim.judgement_of)
        names |= {source.label or "", source.publisher, source.author or ""}
    names = {n for n in names if n and n.lower() != "unknown"}
    return bool(_ATTRIBUTION.search(text)) or any(n.lower() in text.lower() for n in names)


def _attribution(summary: Summary, where: _Locator) -> list[Problem]:
    """Report lone facts from a weak source, and sources' judgements, that the text does not attribute."""
    found = []
    for claim in summary.claims:
        sources = {e.source for e in claim.evidence}
        lone_weak = (
            claim.kind is Kind.FACT
            and len(sources) == 1
            and summary.source(next(iter(sources))).grade is Reliability.WEAK
        )
        if not (lone_weak or claim.judgement_of):
            continue
        whose = claim.judgement_of or next(iter(sources))
        why = "is a judgement of" if claim.judgement_of else "is stated only by"
        for field in ("full", "short", "plain"):
            text = getattr(claim, field)
            if text and not _attributed(text, claim, summary):
                found.append(
                    where.claim(
                        claim.id,
                        field,
                        f"'{claim.id}' {why} '{whose}'"
                        + (", a weak source" if lone_weak else "")
                        + ": say so in the sentence "
                        "(\u201cOne report says\u2026\u201d, \u201cAccording to\u2026\u201d)",
                    )
                )
    return found


def _dispute_notes(summary: Summary, locations: Locations, name: str) -> list[Problem]:
    """Report disputes that bear on claims but give readers no sentence on what differs."""
    found = []
    for i, dispute in enumerate(summary.disputes):
        if dispute.claims and not dispute.compatible and not dispute.note:
            line, col = locations.of(("disputes", i))
            found.append(
                Problem(
                    name,
                    line,
                    col,
                    f"disputes[{i}]",
                    f"'{dispute.id}' bears on claims but has no `note` saying what differs and what the "
                    "papers rely on (or `compatible: true` if the sources agree once read together)",
                )
            )
    return found


def rule_problems(inputs: Inputs, locations: Locations, name: str, *, templates: Path) -> list[Problem]:
    """Return a problem for every rule a build would enforce on any of the summary's editions."""
    summary = inputs.summary
    where = _Locator(summary, locations, name)
    problems = _sensitive_for_everyone(summary, where)
    problems += _dispute_notes(summary, locations, name)
    problems += _currency(summary, locations, name)
    problems += _attribution(summary, where)
    builder = Builder(inputs, templates=templates)
    editions = list(summary.editions) or [
        Edition(name=f"{length.value}-{audience.value}", length=length, audience=audience)
        for length in Length
        for audience in Audience
    ]
    for edition in editions:
        try:
            whole = builder.select(edition)
            # Fitting may give any claim its short form: check the paper both ways.
            cut = builder.select(edition, Trims(shorten=frozenset(c.id for c in summary.claims)))
        except FitError as exc:
            for claim_id in exc.claims:
                claim = summary.claim(claim_id)
                problems.append(
                    where.claim(
                        claim_id,
                        "role",
                        f"priority-1 claim has no place in {edition.name}: no section of its layout "
                        f"takes a {claim.kind.value} in the role '{claim.role.value}'",
                    )
                )
            continue
        except BriefgenError as exc:
            problems.append(where.edition(edition, str(exc)))
            continue
        for brief in (whole, cut):
            problems.extend(_sentence_problems(brief, summary, edition, where))
            problems.extend(_paper_problems(brief, summary, edition, where))
    return sorted(set(problems))
