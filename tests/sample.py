"""A hand-made Brief covering every block kind, for renderer tests that need no summary."""

from __future__ import annotations

from datetime import date

from briefgen.brief import Block, BlockKind, Brief, Citation, CitationStyle, Item, Section, Table
from briefgen.model import Audience, Length, Marking


def sample_brief(*, citation_style: CitationStyle = CitationStyle.FOOTNOTES, cover: bool = False) -> Brief:
    """Return a small paper using every block kind, two footnotes and a disputed item."""
    cite1 = Citation(
        number=1,
        source_id="tokyo-summit",
        label="Tokyo Summit (news)",
        reference="Unknown publisher, 'UK-Japan Tokyo Summit', 1 February 2026",
        quote="held a meeting lasting approximately 20 minutes",
    )
    cite2 = Citation(
        number=2,
        source_id="strategic-realignment",
        label="Strategic Realignment (academic paper)",
        reference="Unknown publisher, 'Strategic Realignment in the Indo-Pacific', undated",
        quote="with plans for a 2+2 ministerial dialogue involving foreign and defence ministers",
    )
    return Brief(
        summary_id="sample",
        edition="short-officials",
        length=Length.SHORT,
        audience=Audience.OFFICIALS,
        title="UK–Japan defence and security partnership",
        subtitle="Policy brief for officials",
        as_of="Information correct as of 22 November 2026",
        as_of_date=date(2026, 11, 22),
        marking=Marking.OFFICIAL,
        author="Policy Analysis Unit",
        subject="The January 2026 UK–Japan defence and security partnership",
        keywords=("OFFICIAL", "UK", "Japan", "defence"),
        language="en-GB",
        cover=cover,
        contents=cover,
        numbered=True,
        citation_style=citation_style,
        cover_lines=("Owner: Policy Analysis Unit", "Version 1.0"),
        sections=(
            Section(
                key="summary",
                heading="Summary",
                level=1,
                number="1",
                blocks=(
                    Block(
                        kind=BlockKind.BOX,
                        title="Key points",
                        items=(
                            Item(
                                text="The UK and Japan agreed on 31 January 2026 to deepen defence ties.",
                                claim_id="agreed-date",
                                citations=(cite1,),
                            ),
                            Item(
                                text="Foreign and defence ministers will meet in a 2+2 format in 2026.",
                                claim_id="two-plus-two",
                                citations=(cite2,),
                            ),
                        ),
                    ),
                ),
            ),
            Section(
                key="context",
                heading="Context",
                level=1,
                number="2",
                blocks=(
                    Block(
                        kind=BlockKind.PARAGRAPH,
                        items=(
                            Item(
                                text="Japan's Prime Minister is Sanae Takaichi.",
                                claim_id="pm-name",
                                disputed="Sources differ: one source names Chizuru Takeshita.",
                            ),
                            Item(
                                text="The partnership is likely to deepen cooperation on cyber defence.",
                                claim_id="cyber-judgement",
                                label="Assessment (likely):",
                            ),
                        ),
                    ),
                    Block(
                        kind=BlockKind.BULLETS,
                        items=(Item(text="First bullet."), Item(text="Second bullet.")),
                    ),
                    Block(kind=BlockKind.NUMBERED, items=(Item(text="Step one."), Item(text="Step two."))),
                ),
            ),
            Section(
                key="provisions",
                heading="Key provisions",
                level=2,
                number="2.1",
                blocks=(
                    Block(
                        kind=BlockKind.TABLE,
                        table=Table(
                            header=("Commitment", "UK lead", "Timeline"),
                            rows=(
                                (
                                    Item(text="Hold a 2+2 meeting", claim_id="two-plus-two-row"),
                                    Item(text="FCDO and MOD"),
                                    Item(text="2026"),
                                ),
                                (
                                    Item(text="Cyber cooperation", claim_id="cyber-row"),
                                    Item(text="NCSC"),
                                    Item(text="Ongoing"),
                                ),
                            ),
                            widths=(50, 25, 25),
                        ),
                    ),
                ),
            ),
            Section(
                key="questions",
                heading="Questions",
                level=1,
                number="3",
                blocks=(
                    Block(
                        kind=BlockKind.QA,
                        items=(
                            Item(
                                label="What was agreed?",
                                text="Closer defence and security cooperation.",
                                claim_id="qa-1",
                            ),
                        ),
                    ),
                    Block(kind=BlockKind.NOTE, items=(Item(text="Sources at annex."),)),
                ),
            ),
        ),
        included=(
            "agreed-date",
            "two-plus-two",
            "pm-name",
            "cyber-judgement",
            "two-plus-two-row",
            "cyber-row",
            "qa-1",
        ),
    )
