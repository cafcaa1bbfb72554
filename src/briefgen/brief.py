"""The view-model: a format-free paper that the HTML, PDF and Word renderers all draw from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: renderers load the model anyway, tools reading reports need not
    from briefgen.model import Audience, Length, Marking


class BlockKind(StrEnum):
    """How a block of items is laid out."""

    PARAGRAPH = "paragraph"  # items run on as prose, one paragraph each
    BULLETS = "bullets"  # a bulleted list, one item a bullet
    NUMBERED = "numbered"  # a numbered list
    TABLE = "table"  # `table` holds header and rows
    QA = "qa"  # each item's label is a question, its text the answer
    BOX = "box"  # a shaded summary box holding bulleted items
    NOTE = "note"  # a small italic line (e.g. "Sources at annex")
    FIELDS = "fields"  # labelled lines, one an item: a submission's From, To, Date…


class CitationStyle(StrEnum):
    """How a paper cites its sources."""

    NONE = "none"  # minister: no inline citations, a sources annex instead
    FOOTNOTES = "footnotes"  # officials, parliament: numbered footnotes
    LINKS = "links"  # public, industry: short source names in text, a sources list at the end


@dataclass(frozen=True)
class Citation:
    """A footnote or source link attached to an item."""

    number: int  # footnote number in the paper, 1-based, in reading order
    source_id: str
    label: str  # short source name, for links: "Strategic Realignment (academic paper)"
    reference: str  # full reference: "Unknown publisher, 'Title', 1 February 2026"
    quote: str  # the verbatim quote; empty when the footnote repeats a reference
    url: str | None = None

    @property
    def footnote_text(self) -> str:
        """Return the footnote as printed: reference, then the quote if any."""
        if self.quote:
            return f"{self.reference}: \u201c{self.quote}\u201d"
        return f"{self.reference}."


@dataclass(frozen=True)
class Item:
    """A piece of text in a block, usually one claim; `claim_id` is None for layout text."""

    text: str
    claim_id: str | None = None
    label: str | None = None  # a bold lead-in: "Assessment (likely):" or the question of a Q&A pair
    citations: tuple[Citation, ...] = ()
    disputed: str | None = None  # "Sources differ: …", printed after the text


@dataclass(frozen=True)
class Table:
    """A table with one header row; cells are items so they can carry citations."""

    header: tuple[str, ...]
    rows: tuple[tuple[Item, ...], ...]
    widths: tuple[int, ...] = ()  # relative column widths, in percent
    # The first cell of each row names the row (a timeline's date, a glossary's term): a row header
    # in HTML and in the PDF's tags, so each cell is read with the header of its row and column.
    row_header: bool = False


@dataclass(frozen=True)
class Block:
    """A run of items laid out one way."""

    kind: BlockKind
    items: tuple[Item, ...] = ()
    table: Table | None = None
    title: str | None = None  # heading of a box


@dataclass(frozen=True)
class Section:
    """A headed part of a paper; `level` 1–3 maps to h2–h4 / Heading 1–3."""

    key: str
    heading: str
    level: int
    blocks: tuple[Block, ...]
    number: str | None = None  # "1", "2", … in numbered papers
    page_break_before: bool = False


@dataclass(frozen=True)
class Dropped:
    """A claim the selection left out, and why."""

    claim_id: str
    priority: int
    reason: str


@dataclass(frozen=True)
class Brief:
    """One paper: a summary's edition, chosen, ordered and cited, ready to render."""

    summary_id: str
    edition: str  # "<length>-<audience>"
    length: Length
    audience: Audience
    title: str
    subtitle: str
    as_of: str  # "Information correct as of 22 November 2026"
    as_of_date: date | None  # the same date, for file metadata; None only in hand-made briefs
    marking: Marking | None  # None for public papers
    author: str
    subject: str
    keywords: tuple[str, ...]
    language: str
    cover: bool  # a cover page (full papers)
    contents: bool  # a contents list after the cover
    numbered: bool  # number level-1 section headings
    citation_style: CitationStyle
    cover_lines: tuple[str, ...]  # extra lines on the cover: owner, version, "Impartial briefing"
    sections: tuple[Section, ...]
    included: tuple[str, ...]  # claim ids in reading order
    dropped: tuple[Dropped, ...] = ()
    shortened: tuple[str, ...] = ()  # claims given in their short form to save space
    short_form: tuple[str, ...] = ()  # every claim shown in its short form, whatever the reason
    layout_files: tuple[str, ...] = ()  # layouts used, relative to templates/
    notice: str | None = None  # printed under the title of every paper: "DRAFT", or that it is fictional

    @property
    def name(self) -> str:
        """Return the file stem for this paper's outputs."""
        return f"{self.length}-{self.audience}"

    def footnotes(self) -> list[Citation]:
        """Return every citation in reading order."""
        found: list[Citation] = []
        for section in self.sections:
            for block in section.blocks:
                for item in block_items(block):
                    found.extend(item.citations)
        return found


def block_items(block: Block) -> list[Item]:
    """Return a block's items, table cells row by row."""
    items = list(block.items)
    if block.table is not None:
        for row in block.table.rows:
            items.extend(row)
    return items


def items_of(brief: Brief) -> list[Item]:
    """Return every item in a paper, in reading order (table cells row by row)."""
    return [item for section in brief.sections for block in section.blocks for item in block_items(block)]
