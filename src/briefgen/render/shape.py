"""Decide what the PDF and Word renderers draw alike: paragraphs, footnotes, column widths, page breaks.

Both renderers take these decisions from here, so a paper reads and breaks the same in either
format. Everything is derived from the view-model alone.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from briefgen.brief import Block, Brief, Citation, CitationStyle, Item, Table, block_items
from briefgen.render.measure import longest_unbreakable, text_width

# A paragraph block runs its items on as prose; a long block is split at item boundaries into
# paragraphs of about this many words at most, so prose reads as paragraphs, not one wall.
PARAGRAPH_WORDS = 130

# A4 less 18 mm margins each side: the text width of both the PDF and the Word file.
TEXT_WIDTH_PT = (210 - 2 * 18) * 72 / 25.4

# Tables: the type size and the horizontal room a cell takes besides its text (padding and rules)
# in both renderers (print.css `td`, and the Table Text style and cell margins of reference.docx).
TABLE_FONT_PT = 12.0
CELL_PADDING_PT = 10.0
# A line of wrapped text rarely fills its column: words do not fit exactly.
_WRAP_FILL = 0.9
_WIDTH_STEPS = 200
_CELL_LINES_WEIGHT = 0.1

# A forced page break (a layout's `page_break_before`) is kept only before a part that fills a
# page (about 380 words on A4): a short annex follows on where the text before it ends, rather
# than leave most of a page blank for it, or take most of a page of its own.
LONG_PART_WORDS = 380


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0


def item_words(item: Item) -> int:
    """Return the words an item prints in the body: label, text and any dispute note."""
    return _words(item.label) + _words(item.text) + _words(item.disputed)


# -- paragraphs ---------------------------------------------------------------------------------


def paragraphs(items: Sequence[Item]) -> list[tuple[Item, ...]]:
    """Group a paragraph block's items into paragraphs: one, or several of even length when long."""
    if not items:
        return []
    sizes = [max(item_words(item), 1) for item in items]
    count = min(len(items), math.ceil(sum(sizes) / PARAGRAPH_WORDS))
    if count <= 1:
        return [tuple(items)]
    cuts = _even_cuts(sizes, count)
    bounds = [0, *cuts, len(items)]
    return [tuple(items[a:b]) for a, b in itertools.pairwise(bounds)]


def _even_cuts(sizes: list[int], count: int) -> list[int]:
    """Return the `count - 1` cut points that split `sizes` into runs whose largest sum is least."""
    n = len(sizes)
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    # best[k][i]: the least largest run splitting the first i items into k runs; cut[k][i] its last cut.
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0
    for k in range(1, count + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                cost = max(best[k - 1][j], prefix[i] - prefix[j])
                if cost < best[k][i]:
                    best[k][i], cut[k][i] = cost, j
    cuts, i = [], n
    for k in range(count, 1, -1):
        i = cut[k][i]
        cuts.append(i)
    return sorted(cuts)


# -- footnotes ----------------------------------------------------------------------------------


def footnote_text(citations: Sequence[Citation]) -> str:
    """Return one footnote for all of an item's citations: each source once, each with its quotes.

    "Publisher, ‘Title’, date: “quote”; Label: “quote” and “quote”." The reference is the one
    the selection gave the source's first citation here: in full at its first use in the paper,
    its short label after.
    """
    sources: dict[str, tuple[str, list[str]]] = {}
    for citation in citations:
        reference, quotes = sources.setdefault(citation.source_id, (citation.reference, []))
        quote = " ".join(citation.quote.split())
        if quote and quote not in quotes:
            quotes.append(quote)
    parts = []
    for reference, quotes in sources.values():
        quoted = " and ".join(f"\u201c{q}\u201d" for q in quotes)
        parts.append(f"{reference}: {quoted}" if quoted else reference)
    text = "; ".join(parts)
    # End on a full stop, unless the text already ends a sentence (inside the closing quote too).
    if not text.rstrip("\u201d\u2019'\"").endswith((".", "?", "!")):
        text += "."
    return text


def footnoted(brief: Brief) -> bool:
    """Return whether the paper's citations print as footnotes."""
    return brief.citation_style is CitationStyle.FOOTNOTES


def footnotes(brief: Brief) -> list[tuple[Item, str]]:
    """Return the paper's footnotes in reading order: one per item that cites anything."""
    if not footnoted(brief):
        return []
    return [
        (item, footnote_text(item.citations))
        for section in brief.sections
        for block in section.blocks
        for item in block_items(block)
        if item.citations
    ]


# -- tables -------------------------------------------------------------------------------------


def cell_text(item: Item, style: CitationStyle) -> str:
    """Return the text a table cell prints, for measuring: label, text, note and any source names."""
    parts = [item.label or "", item.text, item.disputed or ""]
    if style is CitationStyle.LINKS and item.citations:
        parts.append("(" + "; ".join(c.label for c in item.citations) + ")")
    elif style is CitationStyle.FOOTNOTES and item.citations:
        parts[-1] += "00"  # room for the footnote call
    return " ".join(p for p in parts if p)


def column_widths(table: Table, *, width_pt: float, style: CitationStyle) -> list[float]:
    """Return each column's share of the table width in percent, sized to its content.

    No column is narrower than its longest word (so no renderer breaks a word inside), and the
    rest of the width goes, a little at a time, where it shortens the table most; the layout's
    `widths` decide between columns that gain alike, and share out room no column needs.
    """
    columns = len(table.header) or max((len(row) for row in table.rows), default=1)
    hint = list(table.widths[:columns]) if len(table.widths) >= columns else []
    if not hint or sum(hint) <= 0:
        hint = [1] * columns
    hint_pt = [width_pt * h / sum(hint) for h in hint]
    cells = [[(table.header[c] if c < len(table.header) else "", True) for c in range(columns)]]
    cells += [
        [(cell_text(row[c], style) if c < len(row) else "", False) for c in range(columns)]
        for row in table.rows
    ]
    # Each cell's width set on one line; each column's narrowest width and the widest it can use.
    lengths = [[text_width(text, TABLE_FONT_PT, bold=bold) for text, bold in row] for row in cells]
    least = [
        max(longest_unbreakable(text, TABLE_FONT_PT, bold=bold) for text, bold in column)
        + CELL_PADDING_PT
        + 1.0
        for column in zip(*cells, strict=True)
    ]
    most = [max(column) / _WRAP_FILL + CELL_PADDING_PT for column in zip(*lengths, strict=True)]
    widths = list(least)
    if sum(widths) >= width_pt:  # too many columns to keep every word whole: shrink evenly
        return _percent([w * width_pt / sum(widths) for w in widths], width_pt)

    def height(candidate: list[float]) -> float:
        # Rows as tall as their tallest cell; then, a little, every cell's own lines, so that room
        # which cannot shorten a row still saves a short cell ("Not stated") from wrapping.
        room = [_WRAP_FILL * (w - CELL_PADDING_PT) for w in candidate]
        lines = [[max(1.0, length / r) for length, r in zip(row, room, strict=True)] for row in lengths]
        return sum(max(row) for row in lines) + _CELL_LINES_WEIGHT * sum(sum(row) for row in lines)

    step = width_pt / _WIDTH_STEPS
    spare = width_pt - sum(widths)
    while spare > 1e-6:
        grow = min(step, spare)
        current = height(widths)
        chosen, best = -1, (0.0, 0.0)
        for c in range(columns):
            if widths[c] >= most[c]:
                continue
            trial = widths.copy()
            trial[c] += grow
            # The most height saved; between equal savings, the column furthest below its layout width.
            key = (round(current - height(trial), 9), hint_pt[c] - widths[c])
            if key[0] > 0 and (chosen < 0 or key > best):
                chosen, best = c, key
        if chosen < 0:
            break  # no column gains: share what is left by the layout's widths
        widths[chosen] += grow
        spare -= grow
    if spare > 1e-6:
        widths = _share_by_hint(widths, hint_pt, spare)
    return _percent(widths, width_pt)


def _share_by_hint(widths: list[float], hint_pt: list[float], spare: float) -> list[float]:
    """Give `spare` points to the columns furthest below their layout width, then by that width."""
    widths = widths.copy()
    short = {c: hint_pt[c] - widths[c] for c in range(len(widths)) if hint_pt[c] > widths[c]}
    total_short = sum(short.values())
    if total_short > 0:
        used = min(spare, total_short)
        for c, gap in short.items():
            widths[c] += used * gap / total_short
        spare -= used
    if spare > 1e-6:
        total_hint = sum(hint_pt)
        widths = [w + spare * h / total_hint for w, h in zip(widths, hint_pt, strict=True)]
    return widths


def _percent(widths: list[float], width_pt: float) -> list[float]:
    """Return widths as percentages of `width_pt` to one decimal place, summing to 100."""
    shares = [round(100 * w / width_pt, 1) for w in widths]
    shares[-1] = round(100 - sum(shares[:-1]), 1)
    return shares


# -- page breaks --------------------------------------------------------------------------------


def _block_words(block: Block) -> int:
    return sum(item_words(item) for item in block_items(block)) + (
        sum(_words(h) for h in block.table.header) if block.table else 0
    )


def page_breaks(brief: Brief) -> frozenset[str]:
    """Return the keys of sections that start a new page: the layout's breaks before a long part.

    A part is the section and its subsections (the sections after it of a deeper level, such as
    an embedded paper under "Annex A"); a part of fewer than LONG_PART_WORDS runs on.
    """
    sections = brief.sections
    kept = set()
    for index, section in enumerate(sections):
        if not section.page_break_before:
            continue
        words = 0
        for later in sections[index:]:
            if later is not section and later.level <= section.level:
                break
            words += _words(later.heading) + sum(_block_words(b) for b in later.blocks)
        if words >= LONG_PART_WORDS:
            kept.add(section.key)
    return frozenset(kept)
