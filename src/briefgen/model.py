"""Typed objects for a summary: subject, sources, claims, disputes, glossary, timeline, editions."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

SCHEMA_VERSION = 2
MAX_QUOTE_CHARS = 400
MAX_SHORT_WORDS = 30

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Kind(StrEnum):
    """What sort of statement a claim is."""

    FACT = "fact"
    ASSESSMENT = "assessment"
    RECOMMENDATION = "recommendation"
    LINE_TO_TAKE = "line-to-take"
    QUESTION = "question"


LOWEST_PRIORITY = 3  # claims run from priority 1 (never cut) to 3 (cut first)


class Audience(StrEnum):
    """Who a paper is written for."""

    MINISTER = "minister"
    OFFICIALS = "officials"
    PARLIAMENT = "parliament"
    PUBLIC = "public"
    INDUSTRY = "industry"


class Length(StrEnum):
    """How long a paper is."""

    ONE_PAGE = "one-page"
    SHORT = "short"
    FULL = "full"


class Format(StrEnum):
    """An output file format."""

    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    ODT = "odt"  # converted from the paper's .docx by LibreOffice (render/odt.py)


class Marking(StrEnum):
    """Protective markings briefgen may print; SECRET and above are refused."""

    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"

    @property
    def rank(self) -> int:
        """Order markings so the highest of a set can be taken."""
        return 0 if self is Marking.OFFICIAL else 1


class SourceKind(StrEnum):
    """What kind of document a source is."""

    OFFICIAL = "official"
    NEWS = "news"
    ANALYSIS = "analysis"
    ACADEMIC = "academic"


class Reliability(StrEnum):
    """How far a source can be trusted on its own; a weak source's lone facts are attributed."""

    STRONG = "strong"  # an official text or a named, established publisher
    MODERATE = "moderate"
    WEAK = "weak"  # unattributed, garbled or speculative: what it alone says is attributed in the text


class LegalForm(StrEnum):
    """The legal form of an agreement."""

    TREATY = "treaty"
    MOU = "mou"
    JOINT_STATEMENT = "joint-statement"
    DECLARATION = "declaration"
    AGREEMENT = "agreement"
    OTHER = "other"


class Likelihood(StrEnum):
    """The UK probability yardstick, for assessments."""

    REMOTE = "remote chance"
    HIGHLY_UNLIKELY = "highly unlikely"
    UNLIKELY = "unlikely"
    REALISTIC = "realistic possibility"
    LIKELY = "likely"
    HIGHLY_LIKELY = "highly likely"
    ALMOST_CERTAIN = "almost certain"


class Role(StrEnum):
    """The part a claim plays in a paper; layouts choose claims by role, whatever the agreement."""

    OVERVIEW = "overview"  # who, when, where, what in one breath
    AGREED = "agreed"  # what the agreement provides (chapters come from the claim's theme)
    LEGAL = "legal"  # legal form, status, ratification, scrutiny
    CONTEXT = "context"  # background: the parties, the region, what came before
    DRIVERS = "drivers"  # why now
    IMPLICATIONS = "implications"  # what it means
    REACTION = "reaction"  # what others said
    RISKS = "risks"
    NEXT_STEPS = "next-steps"  # milestones and implementation
    HANDLING = "handling"  # lines, press and parliamentary handling
    ENGAGEMENT = "engagement"  # what industry and stakeholders can do


#: Schema 1 topics that were roles; every other schema 1 topic becomes a theme of role `agreed`.
LEGACY_TOPIC_ROLES = {
    "overview": Role.OVERVIEW,
    "legal": Role.LEGAL,
    "context": Role.CONTEXT,
    "drivers": Role.DRIVERS,
    "implications": Role.IMPLICATIONS,
    "reaction": Role.REACTION,
    "risks": Role.RISKS,
    "next-steps": Role.NEXT_STEPS,
    "handling": Role.HANDLING,
    "industry": Role.ENGAGEMENT,
}


def _cap_quote(value: str) -> str:
    # Quotes become footnotes, and a footnote taller than the page cannot be split.
    if len(value) > MAX_QUOTE_CHARS:
        raise ValueError(f"quote is {len(value)} characters; the limit is {MAX_QUOTE_CHARS}")
    return value


class Strict(BaseModel):
    """Base for every summary object: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Signatory(Strict):
    """A person who made or signed the agreement."""

    name: Text
    role: Text
    country: Text


class Subject(Strict):
    """The agreement a summary is about."""

    title: Text
    short_title: Text
    parties: list[Text] = Field(min_length=2)
    signatories: list[Signatory] = Field(default_factory=list)
    date: dt.date
    place: Text
    legal_form: LegalForm
    status: Text
    as_of: dt.date
    classification: Marking = Marking.OFFICIAL
    owner: str | None = None  # the team that keeps the summary, named on covers and in metadata
    department: str | None = None
    contact: str | None = None  # where readers ask for more, or for another format
    version: Text = "1.0"
    notice: str | None = None  # printed on every paper: "DRAFT", or that the subject is fictional
    # Why `as_of` is later than the newest source ("No later reporting changes the picture").
    currency_note: str | None = None


class Theme(Strict):
    """One of the agreement's own provisions or pillars: chapters and industry areas come from these."""

    id: Id
    heading: Text
    plain: str | None = None  # the heading in plain English, for the public


class Source(Strict):
    """A document the summary quotes: a local file under seeds/, optionally fetched from a URL."""

    id: Id
    file: Text
    url: str | None = None
    title: Text
    label: str | None = None  # a short name for citations in text: "Daily Record"
    publisher: Text = "unknown"
    author: str | None = None
    date_printed: str | None = None
    date: dt.date | None = None
    date_note: str | None = None
    kind: SourceKind
    reliability: Text
    grade: Reliability = Reliability.MODERATE
    quality_notes: list[Text] = Field(default_factory=list)

    @field_validator("file")
    @classmethod
    def _relative_file(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/") or "://" in value:
            raise ValueError(f"must be a relative path inside the project, not {value!r}")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http or https URL, not {value!r}")
        return value


class Evidence(Strict):
    """A verbatim quote from a named source that supports a claim."""

    source: Id
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8)]

    _cap = field_validator("quote")(staticmethod(lambda value: _cap_quote(value)))


class Claim(Strict):
    """One statement with its evidence: the unit of content."""

    id: Id
    role: Role
    theme: Id | None = None
    kind: Kind
    priority: Annotated[int, Field(ge=1, le=LOWEST_PRIORITY)] = 2
    audiences: list[Audience] = Field(min_length=1)
    sensitivity: Marking = Marking.OFFICIAL
    short: Text
    full: Text
    plain: str | None = None
    likelihood: Likelihood | None = None
    lead: str | None = None
    timeline: str | None = None
    binding: str | None = None
    impact: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    # Whose judgement an assessment is: ours (None), or a named source's (its id). Only our own
    # assessments carry the probability yardstick.
    judgement_of: Id | None = None

    @field_validator("short")
    @classmethod
    def _short_is_short(cls, value: str) -> str:
        words = len(value.split())
        if words > MAX_SHORT_WORDS:
            raise ValueError(f"short form has {words} words; the limit is {MAX_SHORT_WORDS}")
        return value

    @field_validator("audiences")
    @classmethod
    def _unique_audiences(cls, value: list[Audience]) -> list[Audience]:
        if len(set(value)) != len(value):
            raise ValueError("an audience is listed twice")
        return value

    @model_validator(mode="after")
    def _fact_has_evidence(self) -> Claim:
        if self.kind is Kind.FACT and not self.evidence:
            raise ValueError("a fact needs at least one piece of evidence")
        if self.likelihood is not None and self.kind is not Kind.ASSESSMENT:
            raise ValueError("only an assessment may carry a likelihood")
        if self.judgement_of is not None and self.likelihood is not None:
            raise ValueError("a source's judgement carries no likelihood: the yardstick is for our own")
        return self

    def text_for(self, audience: Audience) -> str:
        """Return the full form, or the plain-English form for the public."""
        if audience is Audience.PUBLIC and self.plain:
            return self.plain
        return self.full


class Position(Strict):
    """One source's side of a dispute."""

    source: Id
    says: Text
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]

    _cap = field_validator("quote")(staticmethod(lambda value: _cap_quote(value)))


class Dispute(Strict):
    """A point on which sources disagree, with the analyst's resolution."""

    id: Id
    question: Text
    claims: list[Id] = Field(default_factory=list)
    positions: list[Position] = Field(min_length=2)
    resolution: Text
    rationale: Text
    # The sources agree once read together (one gives a detail the others omit): no note is printed.
    compatible: bool = False
    note: str | None = None  # one sentence for readers: what differs and what the paper relies on
    plain_note: str | None = None  # the same in plain words for the public; none: the public sees nothing


class GlossaryEntry(Strict):
    """An acronym or term with its expansion."""

    term: Text
    expansion: Text
    definition: str | None = None


class TimelineEntry(Strict):
    """A dated event."""

    date: dt.date
    date_text: str | None = None
    event: Text
    sources: list[Id] = Field(default_factory=list)


class Option(Strict):
    """A course the minister could take, with what speaks for and against it."""

    option: Text
    pros: list[Text] = Field(default_factory=list)
    cons: list[Text] = Field(default_factory=list)


class Submission(Strict):
    """What a ministerial submission needs beyond the claims: who it is from, to, when, and the asks."""

    sender: Text  # "From": the official or team
    recipient: Text  # "To": the minister, by office
    date: dt.date | None = None  # the submission's date; default: the summary's as-of date
    clearance: str | None = None  # who has cleared it ("Legal Adviser; Finance")
    copy_to: list[Text] = Field(default_factory=list)
    timing: str | None = None  # "Routine", or the deadline and why
    options: list[Option] = Field(default_factory=list)
    legal: str | None = None
    financial: str | None = None


class SectionOverride(Strict):
    """A summary's change to one section of a layout."""

    heading: str | None = None
    text: str | None = None  # a fixed section's text
    words: Annotated[int, Field(ge=0)] | None = None
    max_items: Annotated[int, Field(ge=0)] | None = None
    omit: bool = False  # leave the section out of this summary's papers


class LayoutOverride(Strict):
    """A summary's changes to one layout: its subtitle and some of its sections, by key."""

    subtitle: str | None = None
    marked: bool | None = None  # print the marking on a paper whose layout has none (or not)
    sections: dict[str, SectionOverride] = Field(default_factory=dict)


class Edition(Strict):
    """A paper to build: a length for an audience in some formats."""

    name: Id
    length: Length
    audience: Audience
    formats: list[Format] = Field(default_factory=lambda: [Format.PDF, Format.DOCX])


class Summary(Strict):
    """A whole summary file."""

    schema_: Annotated[int, Field(alias="schema")]
    id: Id
    # A first draft (`briefgen draft`): `check` runs on it, `build` and `regen` refuse it until an
    # analyst has edited it and removed the flag. Absent in every summary written by hand.
    draft: bool = False
    subject: Subject
    sources: list[Source] = Field(min_length=1)
    themes: list[Theme] = Field(default_factory=list)
    claims: list[Claim] = Field(min_length=1)
    disputes: list[Dispute] = Field(default_factory=list)
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    editions: list[Edition] = Field(default_factory=list)
    layouts: dict[str, LayoutOverride] = Field(default_factory=dict)  # by layout name: "full-officials"
    submission: Submission | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value == 1:
            raise ValueError("schema 1 is retired: run `briefgen migrate FILE` to rewrite it as schema 2")
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema {value}; this briefgen reads schema {SCHEMA_VERSION}")
        return value

    @field_validator("layouts")
    @classmethod
    def _known_layouts(cls, value: dict[str, LayoutOverride]) -> dict[str, LayoutOverride]:
        names = [f"{length.value}-{audience.value}" for length in Length for audience in Audience]
        for name in value:
            if name not in names:
                raise ValueError(
                    f"unknown layout {name!r}; a layout is named <length>-<audience>, as 'full-officials'"
                )
        return value

    def source(self, source_id: str) -> Source:
        """Return the source with this id."""
        return next(s for s in self.sources if s.id == source_id)

    def claim(self, claim_id: str) -> Claim:
        """Return the claim with this id."""
        return next(c for c in self.claims if c.id == claim_id)

    def theme(self, theme_id: str) -> Theme:
        """Return the theme with this id."""
        return next(t for t in self.themes if t.id == theme_id)

    def disputes_of(self, claim_id: str) -> list[Dispute]:
        """Return the disputes that concern a claim."""
        return [d for d in self.disputes if claim_id in d.claims]
