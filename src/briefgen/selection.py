"""Choose, order and cite a summary's claims for one edition: summary × layout → Brief (pure)."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from briefgen.anchoring import Grade
from briefgen.brief import (
    Block,
    BlockKind,
    Brief,
    Citation,
    CitationStyle,
    Dropped,
    Item,
    Section,
    Table,
    block_items,
)
from briefgen.errors import BuildError, FitError, MarkingError
from briefgen.layouts import Content, Form, Layout, Quotes, SectionLayout
from briefgen.model import Audience, Claim, Kind, Marking, Role, Source, Summary

SUBMISSION_PARTS = frozenset(
    {Content.SUBMISSION, Content.TIMING, Content.OPTIONS, Content.LEGAL, Content.FINANCIAL}
)
#: Audiences that may read internal notes: source reliability, quality and handling notes.
INTERNAL_AUDIENCES = frozenset({Audience.MINISTER, Audience.OFFICIALS})
# Section levels 1–2 print as h2–h3 under the title's h1: headings never go deeper than three levels.
MAX_LEVEL = 2


@dataclass(frozen=True)
class Trims:
    """What the page fitter asks selection to leave out or shorten."""

    shorten: frozenset[str] = frozenset()
    drop: frozenset[str] = frozenset()
    # The claims of the uncut paper: a dropped claim's place is not refilled by one left out before.
    only: frozenset[str] | None = None


@dataclass(frozen=True)
class Evidence:
    """What selection needs to know of the anchoring: grades, and claims that lost their evidence."""

    grades: Mapping[tuple[str, int], Grade] = field(default_factory=dict)  # (claim id, index) → grade
    lost: frozenset[str] = frozenset()  # claims none of whose quotes was found
    # (claim id or "dispute:<id>", index) → the source's own words where the quote was found: a paper
    # prints these, never the summary's copy, so a printed quote is always the source's text.
    passages: Mapping[tuple[str, int], str] = field(default_factory=dict)

    def passage(self, owner: str, index: int, quote: str) -> str:
        """Return the words to print for a quote: the source's passage, else the quote itself."""
        return self.passages.get((owner, index), quote)


def words(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())


def source_label(source: Source) -> str:
    """Return a short name for a source: its label, else its title up to the first colon."""
    if source.label:
        return source.label
    head = source.title.split(":")[0].strip()
    parts = head.split()
    return " ".join(parts[:7]) + ("…" if len(parts) > 7 else "")


def source_reference(source: Source) -> str:
    """Return the full reference to a source: publisher, title, date as printed."""
    publisher = source.publisher if source.publisher.lower() != "unknown" else "Publisher unknown"
    when = source.date_printed or (source.date.strftime("%-d %B %Y") if source.date else "undated")
    return f"{publisher}, \u2018{source.title}\u2019, {when}"


def _compact_reference(source: Source) -> str:
    """Return a one-line reference for a one-page paper: title up to the colon, publisher, date."""
    title = source.title.split(":")[0].strip()
    publisher = f"{source.publisher}, " if source.publisher.lower() != "unknown" else ""
    when = source.date_printed or (source.date.strftime("%-d %B %Y") if source.date else "undated")
    return f"{publisher}\u2018{title}\u2019, {when} ({source.kind.value})"


def marking_of(summary: Summary, claims: list[Claim]) -> Marking:
    """Return the highest marking among the subject's default and the selected claims."""
    levels = [summary.subject.classification, *(c.sensitivity for c in claims)]
    return max(levels, key=lambda m: m.rank)


class _Selector:
    """Walk a layout's sections, choosing claims; keeps the running state of one paper."""

    def __init__(
        self,
        summary: Summary,
        layout: Layout,
        evidence: Evidence,
        trims: Trims,
        load: Callable[[str], Layout] | None,
    ) -> None:
        self.summary = summary
        self.load = load
        self.layout = layout
        self.audience = layout.audience
        self.evidence = evidence
        self.trims = trims
        self.style = layout.citations
        self.order = {c.id: i for i, c in enumerate(summary.claims)}
        self.used: set[str] = set()
        self.included: list[str] = []
        self.reasons: dict[str, str] = {}
        self.shortened: list[str] = []
        self.short_form: set[str] = set()
        self.shown: dict[str, set[str]] = {}  # claim id → texts already printed
        self.footnote = 0
        self.cited_sources: list[str] = []
        self.noted: set[str] = set()  # disputes whose note this paper has printed

    # -- claims ---------------------------------------------------------------------------

    def eligible(self, claim: Claim) -> bool:
        """Tell whether a claim may appear in this paper at all."""
        if claim.role is Role.HANDLING and self.audience not in INTERNAL_AUDIENCES:
            return False  # handling notes are internal, whoever the summary addresses them to
        return self.audience in claim.audiences and claim.id not in self.evidence.lost

    def candidates(self, spec: SectionLayout, theme: str | None = None) -> list[Claim]:
        found = [
            c
            for c in self.summary.claims
            if self.eligible(c)
            and (not spec.kinds or c.kind in spec.kinds)
            and (not spec.roles or c.role in spec.roles)
            and (theme is None or c.theme == theme)
            and not (spec.ours and c.judgement_of is not None)
            and c.id not in self.used
            and (self.trims.only is None or c.id in self.trims.only)
        ]
        found.sort(key=lambda c: (c.priority, self.order[c.id]))
        if spec.spread:
            # Priority-1 claims first, then round-robin over themes, so every area is covered.
            seen: dict[str | None, int] = {}
            rank = {}
            for claim in found:
                rank[claim.id] = seen.get(claim.theme, 0)
                seen[claim.theme] = rank[claim.id] + 1
            found.sort(key=lambda c: (c.priority > 1, rank[c.id], c.priority, self.order[c.id]))
        return found

    def text(self, claim: Claim, form: Form) -> str:
        shorten = form is Form.SHORT or claim.id in self.trims.shorten
        if self.audience is Audience.PUBLIC and claim.plain:
            # The public always gets plain English, unless the short form is shorter still.
            if shorten and words(claim.short) < words(claim.plain):
                return claim.short
            return claim.plain
        return claim.short if shorten else claim.full

    def choose(self, spec: SectionLayout, theme: str | None = None) -> list[tuple[Claim, str]]:
        """Pick a section's claims by priority within its item and word budgets; keep file order."""
        form = spec.form or self.layout.form
        chosen: list[tuple[Claim, str]] = []
        total = 0
        for claim in self.candidates(spec, theme):
            if claim.id in self.trims.drop:
                self.reasons[claim.id] = "dropped to fit the page"
                continue
            if spec.max_items is not None and len(chosen) >= spec.max_items:
                self.reasons.setdefault(
                    claim.id, f"section '{spec.key}' holds at most {spec.max_items} items"
                )
                continue
            text = self.text(claim, form)
            if claim.id in self.shown and (spec.reuse or text in self.shown[claim.id]):
                continue  # a summary never repeats a summary, and the body never repeats a line verbatim
            cut = claim.id in self.trims.shorten
            if spec.words is not None and total + words(text) > spec.words and text != claim.short:
                text, cut = self.text(claim, Form.SHORT), True
            if spec.words is not None and total + words(text) > spec.words and claim.priority > 1:
                self.reasons.setdefault(
                    claim.id, f"over the {spec.words}-word budget of section '{spec.key}'"
                )
                continue
            if cut and claim.id not in self.shortened:
                self.shortened.append(claim.id)
            chosen.append((claim, text))
            if text == claim.short:
                self.short_form.add(claim.id)
            total += words(text)
        chosen.sort(key=lambda pair: self.order[pair[0].id])
        for claim, text in chosen:
            self.shown.setdefault(claim.id, set()).add(text)
            if not spec.reuse:
                self.used.add(claim.id)
            if claim.id not in self.included:
                self.included.append(claim.id)
        return chosen

    # -- citations ------------------------------------------------------------------------

    def cite(self, source_id: str, quote: str, *, with_quote: bool = True) -> Citation | None:
        if self.style is CitationStyle.NONE:
            return None
        source = self.summary.source(source_id)
        first = source_id not in self.cited_sources
        if first:
            self.cited_sources.append(source_id)
        self.footnote += 1
        reference = source_reference(source) if first else source_label(source)
        return Citation(
            number=self.footnote,
            source_id=source_id,
            label=source_label(source),
            reference=reference,
            quote=quote if self.style is CitationStyle.FOOTNOTES and with_quote else "",
            url=source.url,
        )

    def citations(self, claim: Claim) -> tuple[Citation, ...]:
        found: list[Citation] = []
        for index, ev in enumerate(claim.evidence):
            if self.evidence.grades.get((claim.id, index)) is Grade.MISSING:
                continue
            if self.style is CitationStyle.LINKS and any(c.source_id == ev.source for c in found):
                continue  # a source named once per item is enough
            if self.style is CitationStyle.LINKS and found and self.layout.quotes is Quotes.FIRST:
                break  # short papers name the first source only; the evidence annex has the rest
            with_quote = self.layout.quotes is Quotes.ALL or not found
            quote = self.evidence.passage(claim.id, index, ev.quote)
            citation = self.cite(ev.source, quote, with_quote=with_quote)
            if citation is not None:
                found.append(citation)
        return tuple(found)

    def disputed_note(self, claim: Claim) -> str | None:
        """Return the one sentence that says what the sources disagree on, once per paper.

        Only disputes that bear on the claim and are not resolved as compatible print anything;
        the public gets the plain note, or nothing.
        """
        notes = []
        for dispute in self.summary.disputes_of(claim.id):
            if dispute.compatible or dispute.id in self.noted:
                continue
            note = dispute.plain_note if self.audience is Audience.PUBLIC else dispute.note
            if note:
                self.noted.add(dispute.id)
                notes.append(note)
        return " ".join(notes) or None

    def label_of(self, claim: Claim) -> str | None:
        """Return an assessment's label: ours carry the yardstick, in minister and officials papers only."""
        if claim.kind is not Kind.ASSESSMENT or claim.judgement_of is not None:
            return None  # a source's judgement is attributed in its own words
        yardstick = self.audience in (Audience.MINISTER, Audience.OFFICIALS) and claim.likelihood
        return "Assessment" + (f" ({claim.likelihood.value})" if yardstick and claim.likelihood else "") + ":"

    def item(self, claim: Claim, text: str, *, label: str | None = None) -> Item:
        if label is None:
            label = self.label_of(claim)
        return Item(
            text=text,
            claim_id=claim.id,
            label=label,
            citations=self.citations(claim),
            disputed=self.disputed_note(claim),
        )

    # -- sections -------------------------------------------------------------------------

    def claim_blocks(self, spec: SectionLayout, theme: str | None = None) -> tuple[Block, ...]:
        chosen = self.choose(spec, theme)
        if not chosen:
            return ()
        if spec.block is BlockKind.TABLE:
            rows = tuple(
                tuple(self.cell(claim, text, column.field) for column in spec.columns)
                for claim, text in chosen
            )
            table = Table(
                header=tuple(c.header for c in spec.columns),
                rows=rows,
                widths=tuple(c.width for c in spec.columns),
            )
            return (Block(kind=BlockKind.TABLE, table=table),)
        if spec.block is BlockKind.QA:
            items = tuple(self.item(claim, self.answer(claim), label=claim.short) for claim, _ in chosen)
            return (Block(kind=BlockKind.QA, items=items),)
        items = tuple(self.item(claim, text) for claim, text in chosen)
        return (Block(kind=spec.block, items=items, title=spec.title),)

    def answer(self, claim: Claim) -> str:
        """Return a question's answer: plain for the public; nothing where it only restates the question."""
        answer = claim.plain if self.audience is Audience.PUBLIC and claim.plain else claim.full
        return "" if _same_words(answer, claim.short) else answer

    def cell(self, claim: Claim, text: str, name: str) -> Item:
        if name == "text":
            return self.item(claim, text, label="")
        value = getattr(claim, name, None)
        if value is None:
            return Item(text="Not stated")
        return Item(text=str(getattr(value, "value", value)))

    def dispute_sections(self, spec: SectionLayout, level: int) -> list[Section]:
        disputes = [d for d in self.summary.disputes if not d.compatible]
        if not disputes:
            return []  # sources that agree once read together are not a disagreement
        intro = Item(
            text="The sources disagree on the points below. Each side is quoted; "
            "the resolution says which reading this paper follows and why."
        )
        sections = [self.section(spec, level, (Block(kind=BlockKind.PARAGRAPH, items=(intro,)),))]
        for dispute in disputes:
            items = []
            for j, position in enumerate(dispute.positions):
                source = self.summary.source(position.source)
                quote = self.evidence.passage(f"dispute:{dispute.id}", j, position.quote)
                citation = self.cite(position.source, quote)
                items.append(
                    Item(
                        text=f"{position.says} (\u201c{quote}\u201d)",
                        label=f"{source_label(source)}:",
                        citations=(citation,) if citation else (),
                    )
                )
            resolution = Item(text=f"{dispute.resolution} {dispute.rationale}", label="Resolution:")
            sections.append(
                Section(
                    key=f"dispute-{dispute.id}",
                    heading=dispute.question,
                    level=min(level + 1, MAX_LEVEL),
                    blocks=(
                        Block(kind=BlockKind.BULLETS, items=tuple(items)),
                        Block(kind=BlockKind.PARAGRAPH, items=(resolution,)),
                    ),
                )
            )
        return sections

    def references(self, spec: SectionLayout) -> tuple[Block, ...]:
        detailed = self.layout.length.value != "one-page"
        items = []
        for source in self.summary.sources:
            text = source_reference(source) if detailed else _compact_reference(source)
            if detailed and self.audience in INTERNAL_AUDIENCES:
                # How far to trust a source is an internal note: ministers and officials only.
                text += f". {source.kind.value.capitalize()}. {source.reliability}"
                if source.date_note:
                    text += f" Date: {source.date_note}"
            elif detailed:
                text += f". {source.kind.value.capitalize()}."
            items.append(Item(text=text, label=f"{source_label(source)}:" if not detailed else None))
        return (Block(kind=spec.block, items=tuple(items)),)

    def glossary(self, spec: SectionLayout, body: str) -> tuple[Block, ...]:
        used = [g for g in self.summary.glossary if _term_pattern(g.term).search(body)]
        if spec.max_items is not None:
            used = used[: spec.max_items]
        if not used:
            return ()
        rows = tuple(
            (Item(text=g.term), Item(text=_meaning(g.term, g.expansion, g.definition)))
            for g in sorted(used, key=lambda g: g.term.lower())
        )
        return (
            Block(
                kind=BlockKind.TABLE,
                table=Table(header=("Term", "Meaning"), rows=rows, widths=(22, 78), row_header=True),
            ),
        )

    def timeline(self) -> tuple[Block, ...]:
        rows = tuple(
            (Item(text=t.date_text or t.date.strftime("%-d %B %Y")), Item(text=t.event))
            for t in sorted(self.summary.timeline, key=lambda t: t.date)
        )
        return (
            Block(
                kind=BlockKind.TABLE,
                table=Table(header=("Date", "Event"), rows=rows, widths=(24, 76), row_header=True),
            ),
        )

    def evidence_rows(self) -> tuple[Block, ...]:
        """Return the evidence annex a reader can follow: statement → source → quote.

        Claim ids and anchor grades are for the report, never the paper.
        """
        rows = []
        for claim_id in self.included:
            claim = self.summary.claim(claim_id)
            statement = self.text(claim, Form.SHORT)
            for index, ev in enumerate(claim.evidence):
                if self.evidence.grades.get((claim.id, index)) is Grade.MISSING:
                    continue  # a quote its source no longer holds is never printed
                quote = self.evidence.passage(claim.id, index, ev.quote)
                rows.append(
                    (
                        Item(text=statement),
                        Item(text=source_label(self.summary.source(ev.source))),
                        Item(text=f"\u201c{quote}\u201d"),
                    )
                )
                statement = ""  # the statement is printed once, beside its first quote
        header = ("Statement", "Source", "Quote")
        return (
            Block(kind=BlockKind.TABLE, table=Table(header=header, rows=tuple(rows), widths=(36, 16, 48))),
        )

    def section(self, spec: SectionLayout, level: int, blocks: tuple[Block, ...]) -> Section:
        return Section(
            key=spec.key,
            heading=spec.heading or "",
            level=level,
            blocks=blocks,
            page_break_before=spec.page_break_before,
        )

    def sections(self, level_shift: int = 0) -> list[Section]:
        """Build every section of the layout; annex-type content is built after the body."""
        built: list[Section] = []
        deferred: list[tuple[int, SectionLayout, int]] = []
        for spec in self.layout.sections:
            level = min(spec.level + level_shift, MAX_LEVEL)
            if spec.content is Content.CLAIMS:
                built.append(self.section(spec, level, self.claim_blocks(spec)))
            elif spec.content is Content.THEMES:
                built.extend(self.theme_sections(spec, level))
            elif spec.content is Content.FIXED:
                text = (
                    fill_fields(spec.text, self.summary, where=f"section '{spec.key}'") if spec.text else ""
                )
                fixed = (Block(kind=spec.block, items=(Item(text=text),)),) if text else ()
                built.append(self.section(spec, level, fixed))
            elif spec.content is Content.DISPUTES:
                built.extend(self.dispute_sections(spec, level))
            elif spec.content is Content.EMBED:
                built.append(self.section(spec, level, ()))
                built.extend(self.embed(spec))
            elif spec.content in SUBMISSION_PARTS:
                built.append(self.section(spec, level, self.submission_blocks(spec)))
            else:
                deferred.append((len(built), spec, level))
                built.append(self.section(spec, level, ()))
        # References, glossary and evidence annexes depend on what the body cited and used.
        body = " ".join(i.text for s in built for b in s.blocks for i in block_items(b))
        for index, spec, level in deferred:
            blocks: tuple[Block, ...]
            if spec.content is Content.REFERENCES:
                blocks = self.references(spec)
            elif spec.content is Content.GLOSSARY:
                blocks = self.glossary(spec, body)
            elif spec.content is Content.TIMELINE:
                blocks = self.timeline()
            else:
                blocks = self.evidence_rows()
            built[index] = self.section(spec, level, blocks)
        return built

    def theme_sections(self, spec: SectionLayout, level: int) -> list[Section]:
        """Build one subsection per theme the summary declares (then one for unthemed claims)."""
        sections: list[Section] = []
        sub = level
        if spec.heading:
            sections.append(self.section(spec, level, ()))
            sub = min(level + 1, MAX_LEVEL)
        themes: list[tuple[str | None, str]] = [
            (t.id, (t.plain or t.heading) if self.audience is Audience.PUBLIC else t.heading)
            for t in self.summary.themes
        ]
        themes.append((None, "Other provisions"))
        for theme_id, heading in themes:
            # Claims with no theme are picked last, from what the themed subsections left.
            blocks = self.claim_blocks(spec, theme_id) if theme_id is not None else self.claim_blocks(spec)
            if _empty(blocks):
                continue  # a theme this paper has nothing on gets no chapter
            key = f"{spec.key}-{theme_id or 'other'}"
            sections.append(Section(key=key, heading=heading, level=sub, blocks=blocks))
        return sections

    def submission_blocks(self, spec: SectionLayout) -> tuple[Block, ...]:
        """Build a submission's own parts: header block, timing, options, legal and financial notes."""
        sub = self.summary.submission
        s = self.summary.subject
        if spec.content is Content.TIMING:
            if sub and sub.timing:
                return (Block(kind=BlockKind.PARAGRAPH, items=(Item(text=sub.timing),)),)
            return self.claim_blocks(spec)  # the nearest milestone, from the claims
        if sub is None:
            return ()
        if spec.content is Content.SUBMISSION:
            when = sub.date or s.as_of
            rows = [
                ("From", sub.sender),
                ("To", sub.recipient),
                ("Date", f"{when.day} {when.strftime('%B %Y')}"),
                ("Clearance", sub.clearance or ""),
                ("Copy", "; ".join(sub.copy_to)),
                ("Contact", s.contact or ""),
            ]
            items = tuple(Item(text=value, label=f"{name}:") for name, value in rows if value)
            return (Block(kind=BlockKind.FIELDS, items=items),)
        if spec.content is Content.OPTIONS:
            table_rows = tuple(
                (Item(text=o.option), Item(text=" ".join(o.pros)), Item(text=" ".join(o.cons)))
                for o in sub.options
            )
            if not table_rows:
                return ()
            table = Table(header=("Option", "For", "Against"), rows=table_rows, widths=(34, 33, 33))
            return (Block(kind=BlockKind.TABLE, table=table),)
        text = sub.legal if spec.content is Content.LEGAL else sub.financial
        return (Block(kind=BlockKind.PARAGRAPH, items=(Item(text=text),)),) if text else ()

    def embed(self, spec: SectionLayout) -> list[Section]:
        if spec.embed is None or self.load is None:
            raise BuildError(f"section '{spec.key}' embeds a layout, but none can be loaded here")
        # The annex keeps this paper's audience and citation style: a minister gets no footnotes.
        inner_layout = self.load(spec.embed).model_copy(
            update={"audience": self.audience, "citations": self.style}
        )
        inner = _Selector(self.summary, inner_layout, self.evidence, self.trims, self.load)
        inner.footnote = self.footnote
        # One paper: a claim the covering note has made is not made again in the annex.
        inner.used = self.used
        inner.shown = self.shown
        inner.noted = self.noted
        sections = inner.sections(level_shift=1)
        self.footnote = inner.footnote
        for claim_id in inner.included:
            if claim_id not in self.included:
                self.included.append(claim_id)
        for claim_id, reason in inner.reasons.items():
            self.reasons.setdefault(claim_id, reason)
        # Ids must stay unique: the annex's sections get their own keys.
        return [replace(s, key=f"{s.key}-annex") for s in sections if not s.key.startswith("annex-")]


def _meaning(term: str, expansion: str, definition: str | None) -> str:
    """Return a glossary entry's meaning: the expansion (unless it is the term itself) and definition."""
    if expansion.lower() == term.lower():
        return definition or expansion
    return expansion + (f": {definition}" if definition else "")


def _in_sentence(expansion: str, text: str, at: int) -> str:
    """Lower-case a sentence-case expansion ("Foreign and defence ministers' meeting") mid-sentence.

    An expansion with another capitalised word is a name ("Joint Standing Committee") and keeps
    its capitals.
    """
    words_after = expansion.split()[1:]
    sentence_start = not text[:at].strip() or text[:at].rstrip().endswith((".", "?", "!", ":"))
    if sentence_start or any(w[:1].isupper() for w in words_after):
        return expansion
    return expansion[:1].lower() + expansion[1:]


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w+])" + re.escape(term) + r"(?![\w+])")


_PROTECTED = re.compile(r"\u201c[^\u201d]*\u201d|\u2018[^\u2019]*\u2019(?!\w)|\([^()]*\)|\"[^\"]*\"")


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Return the spans no acronym is spelt out in: quotations, cited titles, brackets."""
    return [m.span() for m in _PROTECTED.finditer(text)]


def expand_acronyms(sections: list[Section], summary: Summary) -> list[Section]:
    """Spell out each glossary term at its first use in the body, as 'Expansion (TERM)'."""
    seen: set[str] = set()
    terms = sorted(summary.glossary, key=lambda g: -len(g.term))

    def expand(text: str) -> str:
        for entry in terms:
            if entry.term in seen:
                continue
            if entry.expansion.lower() in text.lower() and _term_pattern(entry.term).search(text):
                seen.add(entry.term)  # the text spells it out itself
                continue
            protected = _protected_spans(text)
            match = next(
                (
                    m
                    for m in _term_pattern(entry.term).finditer(text)
                    if not any(a <= m.start() < b for a, b in protected)
                ),
                None,
            )
            if match is None:
                continue  # only inside a quotation, a title or brackets: spell it out at a later use
            seen.add(entry.term)
            # Nothing to spell out where the text already does, or where the term is its own name.
            if entry.expansion.lower() in text.lower() or entry.term.lower() in entry.expansion.lower():
                continue
            end = match.end()
            last = entry.expansion.split()[-1].lower()
            following = re.match(r"\s+(\w+)", text[end:])
            if following and following.group(1).lower() == last:
                end += following.end()  # "2+2 meeting" → "ministers' meeting (2+2)", not "… (2+2) meeting"
            text = (
                text[: match.start()]
                + f"{_in_sentence(entry.expansion, text, match.start())} ({entry.term})"
                + text[end:]
            )
        return text

    def item(it: Item) -> Item:
        return Item(
            text=expand(it.text),
            claim_id=it.claim_id,
            label=it.label,
            citations=it.citations,
            disputed=it.disputed,
        )

    out = []
    for section in sections:
        blocks = []
        for block in section.blocks:
            table = block.table
            if table is not None:
                table = Table(
                    header=table.header,
                    rows=tuple(tuple(item(c) for c in row) for row in table.rows),
                    widths=table.widths,
                    row_header=table.row_header,
                )
            blocks.append(
                Block(
                    kind=block.kind, items=tuple(item(i) for i in block.items), table=table, title=block.title
                )
            )
        out.append(
            Section(
                key=section.key,
                heading=section.heading,
                level=section.level,
                blocks=tuple(blocks),
                number=section.number,
                page_break_before=section.page_break_before,
            )
        )
    return out


def number_sections(sections: list[Section], layout: Layout) -> list[Section]:
    """Number level-1 and level-2 headings '1', '1.1' where the layout is numbered."""
    if not layout.numbered:
        return sections
    unnumbered = {s.key for s in layout.sections if not s.numbered}
    out = []
    major = minor = 0
    for section in sections:
        number = None
        if section.key not in unnumbered and section.heading and not section.key.startswith("dispute-"):
            if section.level == 1:
                major += 1
                minor = 0
                number = str(major)
            elif section.level == 2 and major:
                minor += 1
                number = f"{major}.{minor}"
        out.append(
            Section(
                key=section.key,
                heading=section.heading,
                level=section.level,
                blocks=section.blocks,
                number=number,
                page_break_before=section.page_break_before,
            )
        )
    return out


def select_content(
    summary: Summary,
    layout: Layout,
    *,
    evidence: Evidence | None = None,
    trims: Trims | None = None,
    load: Callable[[str], Layout] | None = None,
    layout_files: tuple[str, ...] = (),
) -> Brief:
    """Choose, order and cite the claims of one paper; raise if a rule of DESIGN §6 would break."""
    selector = _Selector(summary, layout, evidence or Evidence(), trims or Trims(), load)
    sections = drop_empty(selector.sections())
    sections = number_sections(expand_acronyms(sections, summary), layout)
    included = [summary.claim(i) for i in selector.included]

    audience = layout.audience
    if audience in (Audience.PUBLIC, Audience.PARLIAMENT):
        sensitive = [c.id for c in included if c.sensitivity is Marking.OFFICIAL_SENSITIVE]
        if sensitive:
            raise MarkingError(
                f"{layout.length.value}-{audience.value}: sensitive claims would appear in a "
                f"{audience.value} paper: {', '.join(sensitive)}"
            )
    missing_p1 = [
        c.id
        for c in summary.claims
        if c.priority == 1
        and audience in c.audiences
        and c.id not in selector.included
        and c.id not in selector.evidence.lost
    ]
    if missing_p1:
        raise FitError(
            f"{layout.length.value}-{audience.value}: priority-1 claims have no place in the layout: "
            f"{', '.join(missing_p1)}",
            tuple(missing_p1),
        )

    leaked = tool_words(sections, summary, extra=(layout.subtitle, *layout.cover_lines))
    if leaked:
        raise BuildError(
            f"{layout.length.value}-{audience.value}: "
            "the paper would print words of the tool, not the reader's: "
            + "; ".join(f"\u201c{w}\u201d" for w in dict.fromkeys(leaked))
        )
    marking = marking_of(summary, included) if layout.marked else None
    dropped = tuple(
        Dropped(claim_id=c.id, priority=c.priority, reason=selector.reasons.get(c.id, _no_section(c)))
        for c in summary.claims
        if audience in c.audiences and c.id not in selector.included
    )
    lost = tuple(
        Dropped(
            claim_id=c, priority=summary.claim(c).priority, reason="its evidence was not found in the source"
        )
        for c in sorted(selector.evidence.lost)
        if audience in summary.claim(c).audiences
    )
    s = summary.subject
    as_of = as_of_line(summary)
    fields = subject_fields(summary)
    cover_lines = tuple(
        fill_fields(line, summary, where="cover_lines")
        for line in layout.cover_lines
        # A line about a field the summary leaves empty ("Contact: ") is left out.
        if all(fields.get(name or "", "x") for _, name, _, _ in string.Formatter().parse(line))
    )
    return Brief(
        summary_id=summary.id,
        edition=f"{layout.length.value}-{audience.value}",
        length=layout.length,
        audience=audience,
        title=s.title,
        subtitle=layout.subtitle,
        as_of=as_of,
        as_of_date=s.as_of,
        notice=s.notice,
        marking=marking,
        author=s.owner or s.department or "",
        subject=f"{s.short_title}: {layout.subtitle.lower()}",
        keywords=tuple(
            k for k in (marking, *s.parties, s.legal_form.value, layout.length.value, audience.value) if k
        ),
        language="en-GB",
        cover=layout.cover,
        contents=layout.contents,
        numbered=layout.numbered,
        citation_style=layout.citations,
        cover_lines=cover_lines,
        sections=tuple(sections),
        included=tuple(selector.included),
        dropped=dropped + lost,
        shortened=tuple(dict.fromkeys(selector.shortened)),
        short_form=tuple(sorted(selector.short_form)),
        layout_files=layout_files,
    )


#: What belongs to the tool, never to a paper: placeholders, talk of the summary, pointers to ids.
_TOOL_WORDS = re.compile(
    r"\bnot applicable\b|\bin this summary\b|\bthe summary (?:holds|says|records)\b|\bbriefgen\b"
    r"|\bsee [a-z0-9]+(?:-[a-z0-9]+)+\b|\banchor(?:ed)? grade\b",
    re.IGNORECASE,
)
_GRADES = frozenset(g.value for g in Grade)


def tool_words(sections: list[Section], summary: Summary, *, extra: tuple[str, ...] = ()) -> list[str]:
    """Return every piece of a paper's text that belongs to the tool: ids, grades, placeholders.

    `extra` is the layout's own text (subtitle, cover lines); title and cover come from the summary.
    """
    # An id the analyst also writes as English ("dual-track") is a word; any other id is the tool's.
    prose = " ".join(
        [t for c in summary.claims for t in (c.full, c.short, c.plain or "")]
        + [t for d in summary.disputes for t in (d.resolution, d.rationale, d.note or "")]
        + [t for s in summary.sources for t in (s.reliability, s.title, *s.quality_notes)]
    ).lower()
    names = [c.id for c in summary.claims if "-" in c.id and c.id not in prose]
    ids = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])") if names else None
    texts = list(extra)
    for section in sections:
        texts.append(section.heading)
        for block in section.blocks:
            if block.table is not None:
                texts.extend(block.table.header)
            texts.append(block.title or "")
            for item in block_items(block):
                texts.extend([item.text, item.label or "", item.disputed or ""])
                texts.extend(f"{c.reference} {c.quote}" for c in item.citations)
    found: list[str] = []
    for text in texts:
        found.extend(m.group() for m in _TOOL_WORDS.finditer(text))
        if ids is not None:
            found.extend(m.group() for m in ids.finditer(text))
        if text.strip().lower() in _GRADES:
            found.append(text.strip())
    return found


def _same_words(a: str, b: str) -> bool:
    """Tell whether two texts say the same words, whatever the punctuation and case."""
    return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())


def _empty(blocks: tuple[Block, ...]) -> bool:
    """Tell whether a section's blocks say nothing."""
    return not any(block_items(b) for b in blocks)


def drop_empty(sections: list[Section]) -> list[Section]:
    """Leave out sections with nothing to say: a heading stays only over subsections that do."""
    kept: list[Section] = []
    for section in reversed(sections):
        has_children = bool(kept) and kept[-1].level > section.level
        if _empty(section.blocks) and not has_children:
            continue
        kept.append(section)
    return kept[::-1]


def _no_section(claim: Claim) -> str:
    return f"no section of this layout takes a {claim.kind.value} in the role '{claim.role.value}'"


def _day(date: dt.date) -> str:
    return f"{date.day} {date.strftime('%B %Y')}"


def newest_source(summary: Summary) -> dt.date | None:
    """Return the date of the newest dated source."""
    return max((s.date for s in summary.sources if s.date), default=None)


def as_of_line(summary: Summary) -> str:
    """Say how current a paper is: the check date beside the newest source it rests on."""
    line = f"Information correct as of {_day(summary.subject.as_of)}"
    newest = newest_source(summary)
    if newest is not None and newest != summary.subject.as_of:
        line += f"; based on sources up to {_day(newest)}"
    if summary.subject.currency_note:
        line += f". {summary.subject.currency_note.rstrip('.')}."
    return line


def subject_fields(summary: Summary) -> dict[str, str]:
    """Return the subject's fields a layout's fixed text may name, as `{parties}`, `{owner}`…"""
    s = summary.subject
    parties = s.parties
    joined = parties[0] if len(parties) == 1 else ", ".join(parties[:-1]) + " and " + parties[-1]
    return {
        "title": s.title,
        "short_title": s.short_title,
        "parties": joined,
        "date": f"{s.date.day} {s.date.strftime('%B %Y')}",
        "month_year": s.date.strftime("%B %Y"),
        "place": s.place,
        "owner": s.owner or s.department or "",
        "department": s.department or s.owner or "",
        "contact": s.contact or s.owner or s.department or "",
        "contact_or_owner": ", ".join(x for x in (s.owner or s.department, s.contact) if x) or "us",
        "version": s.version,
    }


def fill_fields(text: str, summary: Summary, *, where: str) -> str:
    """Put the subject's fields into a layout's text; an unknown `{name}` is a build error."""
    fields = subject_fields(summary)
    try:
        return text.format_map(fields)
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise BuildError(
            f"{where}: the text names {exc}; a layout's text may name only {', '.join(sorted(fields))}"
        ) from None
