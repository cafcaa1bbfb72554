"""What both renderers draw alike: prose paragraphs, one footnote per item, column widths, page breaks."""

from __future__ import annotations

import dataclasses

import pytest

from briefgen.brief import Block, BlockKind, Brief, Citation, CitationStyle, Item, Section, Table
from briefgen.model import Audience, Length
from briefgen.render import shape
from briefgen.render.measure import longest_unbreakable, text_width

CITE = Citation(
    number=1,
    source_id="tokyo-summit",
    label="Tokyo Summit",
    reference="Publisher unknown, \u2018UK-Japan Tokyo Summit\u2019, 01/02/2026",
    quote="held a meeting lasting approximately 20 minutes",
)


def _items(*sizes: int) -> tuple[Item, ...]:
    return tuple(Item(text=" ".join(["word"] * n), claim_id=f"c{i}") for i, n in enumerate(sizes))


def test_a_short_block_is_one_paragraph() -> None:
    items = _items(20, 30, 25)
    assert shape.paragraphs(items) == [items]
    assert shape.paragraphs(()) == []


def test_a_long_block_splits_evenly_at_item_boundaries() -> None:
    items = _items(*([40] * 10))  # 400 words: four paragraphs of 100 or so
    groups = shape.paragraphs(items)
    assert len(groups) == 4
    assert [item for group in groups for item in group] == list(items)  # order kept, nothing lost
    sizes = [sum(shape.item_words(i) for i in group) for group in groups]
    assert max(sizes) <= shape.PARAGRAPH_WORDS and max(sizes) - min(sizes) <= 40


def test_labels_count_towards_a_paragraph() -> None:
    item = Item(text="It will.", label="Assessment (likely):")
    assert shape.item_words(item) == 4


def test_footnote_names_each_source_once_with_its_quotes() -> None:
    second = dataclasses.replace(CITE, number=2, reference="Tokyo Summit", quote="a  second\nquote")
    same = dataclasses.replace(CITE, number=3, reference="Tokyo Summit")  # the same quote again
    other = dataclasses.replace(CITE, number=4, source_id="new-level", reference="New Level", quote="")
    assert shape.footnote_text((CITE, second, same, other)) == (
        "Publisher unknown, \u2018UK-Japan Tokyo Summit\u2019, 01/02/2026: "
        "\u201cheld a meeting lasting approximately 20 minutes\u201d and \u201ca second quote\u201d; "
        "New Level."
    )


@pytest.mark.parametrize(
    ("quote", "ending"),
    [("ends a sentence.", "sentence.\u201d"), ("asks?", "asks?\u201d"), ("runs on", "runs on\u201d.")],
)
def test_footnote_ends_with_one_full_stop(quote: str, ending: str) -> None:
    assert shape.footnote_text((dataclasses.replace(CITE, quote=quote),)).endswith(ending)


def _provisions() -> Table:
    """The officials' key provisions: a long commitment, a short status, a long-ish lead, a date."""
    rows = (
        (
            "The UK and Japan committed to share information on cyber threats and to act together against "
            "malicious cyber actors. Sources differ on this point (New Level; Strategic Realignment).",
            "No \u2013 political commitment",
            "National Cyber Security Centre (NCSC) and Foreign, Commonwealth and Development Office (FCDO)",
            "Ongoing",
        ),
        (
            "The leaders named cyber defence and resilience, including protecting vital infrastructure, "
            "as key parts of the partnership.",
            "No \u2013 political commitment",
            "Government Communications Headquarters (GCHQ) / NCSC",
            "Not stated",
        ),
    )
    return Table(
        header=("Commitment", "Binding?", "Lead", "Timeline"),
        rows=tuple(tuple(Item(text=cell) for cell in row) for row in rows),
        widths=(46, 18, 18, 18),
    )


def test_columns_are_sized_to_their_content() -> None:
    table = _provisions()
    shares = shape.column_widths(table, width_pt=shape.TEXT_WIDTH_PT, style=CitationStyle.FOOTNOTES)
    assert abs(sum(shares) - 100) < 0.05
    widths = [shape.TEXT_WIDTH_PT * share / 100 for share in shares]
    cells = [table.header, *[[item.text for item in row] for row in table.rows]]
    for column, width in enumerate(widths):
        # No word is broken inside: the column holds its longest word, with the cell's padding.
        longest = max(
            longest_unbreakable(row[column], shape.TABLE_FONT_PT, bold=index == 0)  # the header is bold
            for index, row in enumerate(cells)
        )
        assert width - shape.CELL_PADDING_PT >= longest, (column, width, longest)
    commitment, _, lead, timeline = widths
    assert commitment > lead > timeline

    # The lead column no longer runs to seven lines beside a four-line commitment: the two are
    # about as tall, whatever the type size.
    def lines(text: str, width: float) -> float:
        return text_width(text, shape.TABLE_FONT_PT) / (0.9 * (width - shape.CELL_PADDING_PT))

    assert lines(cells[1][2], lead) <= lines(cells[1][0], commitment) + 1


def test_room_no_column_needs_is_shared_by_the_layout_widths() -> None:
    table = Table(
        header=("Term", "Meaning"), rows=((Item(text="2+2"), Item(text="Ministers meet")),), widths=(25, 75)
    )
    assert shape.column_widths(table, width_pt=shape.TEXT_WIDTH_PT, style=CitationStyle.NONE) == [25.0, 75.0]


def _brief(*sections: Section) -> Brief:
    return Brief(
        summary_id="s",
        edition="full-officials",
        length=Length.FULL,
        audience=Audience.OFFICIALS,
        title="T",
        subtitle="",
        as_of="",
        as_of_date=None,
        marking=None,
        author="",
        subject="",
        keywords=(),
        language="en-GB",
        cover=False,
        contents=False,
        numbered=False,
        citation_style=CitationStyle.FOOTNOTES,
        cover_lines=(),
        sections=sections,
        included=(),
    )


def _section(key: str, words: int, *, level: int = 1, page_break_before: bool = False) -> Section:
    block = Block(kind=BlockKind.PARAGRAPH, items=_items(words) if words else ())
    return Section(key=key, heading=key, level=level, blocks=(block,), page_break_before=page_break_before)


def test_page_breaks_only_before_parts_that_fill_a_page() -> None:
    brief = _brief(
        _section("body", 600),
        _section("annex-a", 150, page_break_before=True),  # a short annex runs on
        _section("annex-b", 0, page_break_before=True),  # a heading over a long embedded paper
        _section("annex-b-1", 300, level=2),
        _section("annex-b-2", 300, level=2),
        _section("annex-c", 500, page_break_before=True),
    )
    assert shape.page_breaks(brief) == {"annex-b", "annex-c"}
