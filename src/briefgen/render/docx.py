"""Render a Brief to Word: python-docx on a reference .docx, with real footnotes, fields and bookmarks."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

from briefgen.brief import Block, BlockKind, Brief, CitationStyle, Item, Section, Table
from briefgen.errors import BuildError
from briefgen.paths import inside
from briefgen.render import ooxml, shape
from briefgen.render.ooxml import element

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.text.paragraph import Paragraph

__all__ = ["default_reference", "write_docx"]

EMU_PER_TWIP = 635
# Only web and mail links become hyperlinks: a file: or javascript: URL in a summary stays plain text.
_LINK_SCHEMES = re.compile(r"(?i)(https?://|mailto:)")
_TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'
_CORE_TEXT_MAX = 255  # python-docx (and the OPC core schema in practice) caps text properties


def default_reference() -> Path:
    """Return templates/reference.docx, honouring $BRIEFGEN_TEMPLATES."""
    from briefgen.render import templates_dir

    # Resolved and kept inside the templates folder, as every template is: a link out is refused.
    return inside(templates_dir(), "reference.docx")


def write_docx(
    brief: Brief, *, reference: Path | None = None, page_of_heading: Mapping[str, int] | None = None
) -> bytes:
    """Return the .docx bytes of `brief`, styled by `reference` (default templates/reference.docx).

    A paper with a contents list prints each heading's page number, as the PDF of the same paper
    places it: `page_of_heading` maps section keys to pages (`pdf.heading_pages`). Without it,
    the paper is laid out as PDF here to find them (a layout just made for the PDF is reused).
    """
    path = reference or default_reference()
    try:
        doc = Document(str(path))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise BuildError(f"{path}: cannot use as the Word reference document: {exc}") from exc
    when = fixed_time(brief)
    if brief.contents and page_of_heading is None:
        from briefgen.render.html import render_html
        from briefgen.render.pdf import heading_pages

        page_of_heading = heading_pages(render_html(brief))
    _Writer(doc, brief, page_of_heading or {}).write()
    _set_properties(doc, brief, when)
    buffer = io.BytesIO()
    doc.save(buffer)
    return ooxml.normalise_zip(buffer.getvalue(), when=when)


def fixed_time(brief: Brief) -> datetime:
    """Return the document's timestamp: $SOURCE_DATE_EPOCH if set, else the brief's as-of date, never now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None)
    if brief.as_of_date is not None:
        return datetime(brief.as_of_date.year, brief.as_of_date.month, brief.as_of_date.day)
    return datetime(1980, 1, 1)


def _clip(text: str) -> str:
    return ooxml.xml_text(text)[:_CORE_TEXT_MAX]


def _set_properties(doc: DocumentObject, brief: Brief, when: datetime) -> None:
    props = doc.core_properties
    keywords = list(brief.keywords)
    if brief.marking and brief.marking not in keywords:
        keywords.insert(0, brief.marking)
    props.title = _clip(brief.title)
    props.subject = _clip(brief.subject)
    props.author = props.last_modified_by = _clip(brief.author)
    props.keywords = _clip(", ".join(keywords))
    props.language = brief.language
    props.category = brief.marking or "PUBLIC"
    props.comments = _clip(f"{brief.subtitle}. {brief.as_of}.")
    props.content_status = brief.marking or ""
    props.identifier = _clip(f"{brief.summary_id}/{brief.edition}")
    props.created = props.modified = props.last_printed = when
    props.revision = 1
    package = doc.part.package
    ooxml.drop_thumbnail(package)
    ooxml.set_custom_properties(package, {"Classification": brief.marking or "UNMARKED"})


class _Writer:
    """Walk a Brief once, appending paragraphs, tables and footnotes to a cleared reference document."""

    def __init__(self, doc: DocumentObject, brief: Brief, page_of_heading: Mapping[str, int]) -> None:
        self.doc = doc
        self.brief = brief
        self.page_of_heading = page_of_heading
        self.page_breaks = shape.page_breaks(brief)
        self.part = doc.part
        # Keyed case-insensitively: Word names some built-ins in lower case ("footnote text", "toc 1").
        self.styles = {str(style.name).lower(): (str(style.name), style.style_id) for style in doc.styles}
        self.bookmarks: set[str] = set()
        self.next_bookmark_id = 1
        self.next_footnote_id = 1
        self.break_next = False
        self.footnotes: BaseOxmlElement | None = None
        section = doc.sections[0]
        width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
        self.text_width = int(width) // EMU_PER_TWIP or 9866

    # -- document -------------------------------------------------------------------------------

    def write(self) -> None:
        """Render the whole brief into the document."""
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        # Real footnotes need the part even when the paper cites nothing: it holds Word's separators.
        self.footnotes = ooxml.footnotes_root(self.part)
        # Fields carry their results (the contents' page numbers too): nothing to update on opening,
        # so Word never asks, even if the reference document asked it to.
        ooxml.clear_update_fields(self.part)
        brief = self.brief
        # The marking is in every page's header and footer, and a document property: the body does
        # not print it again (page 1 would show it twice).
        if brief.cover:
            self.cover()
        else:
            self.para(brief.title, "Title")
            if brief.subtitle:
                self.para(brief.subtitle, "Subtitle")
            self.para(brief.as_of, "Normal")
            if brief.notice:
                self.para(brief.notice, "Notice" if self.style("Notice") else "Box")
        for section in brief.sections:
            self.section(section)
        self.headers_and_footers()
        lang = self.doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if lang is not None:
            found = lang.find(qn("w:lang"))
            if found is None:
                found = element("w:lang")
                lang.append(found)
            found.set(qn("w:val"), brief.language)

    def cover(self) -> None:
        """Write the cover as the PDF draws it: title block under a heavy rule, details under a light one."""
        brief = self.brief
        title = self.para(brief.title, "Cover Title")
        if self.style("Cover Title") is None:  # a reference without the cover styles: place it anyway
            title.paragraph_format.space_before = Pt(140)
        if brief.subtitle:
            self.para(brief.subtitle, "Cover Subtitle")
        self.para(brief.as_of, "Normal")
        if brief.notice:
            self.para(brief.notice, "Notice" if self.style("Notice") else "Box")
        for index, line in enumerate(brief.cover_lines):
            p = self.para(line, "Cover Details" if index == 0 else "Cover Line")
            if index < len(brief.cover_lines) - 1:
                p.paragraph_format.keep_with_next = True
        self.break_next = True
        if brief.contents:
            self.contents()
            self.break_next = True

    def contents(self) -> None:
        """Write a table of contents whose entries carry their page numbers, as a TOC field's result.

        The entries are the field's cached result, with the pages the PDF gives each heading, so
        Word and LibreOffice show them as they are, without asking to update fields on opening;
        updating the field in Word renumbers them to Word's own pages.
        """
        self.para("Contents", "TOC Heading")
        entries = _contents_entries(self.brief)
        if not entries:
            p = self.para(None, "TOC 1")
            for r in ooxml.field_begin(_TOC_INSTRUCTION):
                p._p.append(r)
            p._p.append(ooxml.field_end())
            return
        for index, section in enumerate(entries):
            p = self.para(None, f"TOC {min(section.level, 3)}")
            ooxml.set_tabs(p._p, [("right", self.text_width, "dot")])
            if index == 0:
                for r in ooxml.field_begin(_TOC_INSTRUCTION):
                    p._p.append(r)
            page = self.page_of_heading.get(section.key)
            p._p.append(ooxml.toc_entry(_heading_text(section), _toc_name(index), page))
            if index == len(entries) - 1:
                p._p.append(ooxml.field_end())

    def headers_and_footers(self) -> None:
        """Put the marking at the top and bottom of every page and "Page N of M" in the footer.

        A cover has its own first-page header and footer: the marking, but no page number.
        """
        marking = self.brief.marking
        cover = self.brief.cover
        for section in self.doc.sections:
            section.different_first_page_header_footer = cover
            pairs = [(section.header, section.footer, True)]
            if cover:
                pairs.append((section.first_page_header, section.first_page_footer, False))
            for header, footer, numbered in pairs:
                header.is_linked_to_previous = False
                footer.is_linked_to_previous = False
                for container in (header, footer):
                    for child in list(container._element):
                        container._element.remove(child)
                hp = header.add_paragraph(style=self.style("Header"))
                if marking:
                    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    hp._p.append(ooxml.run(marking, bold=True))
                fp = footer.add_paragraph(style=self.style("Footer"))
                # One line: marking on the centre tab, page numbers on the right tab.
                fp._p.append(ooxml.tab_run())
                if marking:
                    fp._p.append(ooxml.run(marking, bold=True))
                if not numbered:
                    continue
                fp._p.append(ooxml.tab_run())
                fp._p.append(ooxml.run("Page "))
                for r in ooxml.field("PAGE", "1"):
                    fp._p.append(r)
                fp._p.append(ooxml.run(" of "))
                for r in ooxml.field("NUMPAGES", "1"):
                    fp._p.append(r)

    # -- sections and blocks --------------------------------------------------------------------

    def section(self, section: Section) -> None:
        if not section.heading:  # a standfirst or a note: no empty heading for a screen reader to announce
            for block in section.blocks:
                self.block(block)
            return
        level = min(max(section.level, 1), 3)
        p = self.para(None, f"Heading {level}")
        # Kept with what follows even if a reference document's heading styles forget to.
        p.paragraph_format.keep_with_next = True
        if section.key in self.page_breaks:
            p.paragraph_format.page_break_before = True
        if self.brief.contents:
            index = _contents_entries(self.brief).index(section)
            start, end = ooxml.bookmark(self.new_bookmark_id(), _toc_name(index))
            p._p.append(start)
            p._p.append(ooxml.run(_heading_text(section)))
            p._p.append(end)
        else:
            p._p.append(ooxml.run(_heading_text(section)))
        for block in section.blocks:
            self.block(block)

    def block(self, block: Block) -> None:
        kind = block.kind
        if kind is BlockKind.TABLE and block.table is not None:
            self.table(block.table)
        elif kind is BlockKind.BULLETS:
            for item in block.items:
                self.item(self.para(None, "List Bullet"), item)
        elif kind is BlockKind.NUMBERED:
            num_id = self.restarted_number_list()
            for item in block.items:
                p = self.para(None, "List Number")
                if num_id is not None:
                    ooxml.set_num(p._p, num_id)
                self.item(p, item)
        elif kind is BlockKind.QA:
            for item in block.items:
                question = self.para(None, "Normal")
                question.paragraph_format.keep_with_next = True
                start, end = self.claim_bookmark(item)
                if start is not None:
                    question._p.append(start)
                question._p.append(ooxml.run(item.label or "", bold=True))
                self.item(self.para(None, "Normal"), item, label=False, bookmark_end=end)
        elif kind is BlockKind.BOX:
            if block.title:
                title = self.para(None, "Box")
                title.paragraph_format.keep_with_next = True
                title._p.append(ooxml.run(block.title, bold=True))
            bullet = self.style_numbering("List Bullet")
            indent = ooxml.style_indent(self.doc.styles.element, self.style_id("Box"))
            for item in block.items:
                p = self.para(None, "Box")
                if bullet is not None:
                    ooxml.set_num(p._p, bullet)
                    # The bullet level's indent would override the style's, splitting the box in two.
                    if indent is not None:
                        p.paragraph_format.left_indent = Twips(indent[0])
                        p.paragraph_format.first_line_indent = Twips(-indent[1])
                self.item(p, item)
        elif kind is BlockKind.NOTE:
            for item in block.items:
                self.item(self.para(None, "Note"), item)
        elif kind is BlockKind.FIELDS:
            for item in block.items:
                self.item(self.para(None, "Normal"), item)
        else:  # PARAGRAPH, and any kind a newer view-model adds: plain prose loses nothing
            # Prose: the items run on as one paragraph (a long block as a few), as in the PDF.
            for group in shape.paragraphs(block.items):
                p = self.para(None, "Normal")
                for index, item in enumerate(group):
                    if index:
                        p._p.append(ooxml.run(" "))
                    self.item(p, item)

    def table(self, table: Table) -> None:
        columns = len(table.header) or max((len(row) for row in table.rows), default=1)
        grid = self.column_widths(table, columns)
        t = self.doc.add_table(rows=1 + len(table.rows), cols=columns)
        grid_style = self.style("Table Grid")
        if grid_style:
            t.style = self.doc.styles[grid_style]
        t.autofit = False
        tbl_pr = t._tbl.tblPr
        for old in tbl_pr.findall(qn("w:tblW")):
            tbl_pr.remove(old)
        ooxml.insert_before(
            tbl_pr,
            element("w:tblW", w=str(sum(grid)), type="dxa"),
            ("jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"),
        )
        for col, width in zip(t._tbl.tblGrid.gridCol_lst, grid, strict=True):
            col.w = Twips(width)
        cell_style = self.style("Table Text")
        header_row = t.rows[0]
        tr_pr = header_row._tr.get_or_add_trPr()
        tr_pr.append(element("w:cantSplit"))
        tr_pr.append(element("w:tblHeader"))
        for index, cell in enumerate(header_row.cells):
            cell.width = Twips(grid[index])
            p = cell.paragraphs[0]
            p.style = cell_style
            # The header row keeps with the first row, as the heading above keeps with the table.
            p.paragraph_format.keep_with_next = True
            p._p.append(ooxml.run(table.header[index] if index < len(table.header) else "", bold=True))
            tc_pr = cell._tc.get_or_add_tcPr()
            tc_pr.append(element("w:shd", val="clear", color="auto", fill="D9D9D9"))
        for row, items in zip(t.rows[1:], table.rows, strict=True):
            row._tr.get_or_add_trPr().append(element("w:cantSplit"))
            for index, cell in enumerate(row.cells):
                cell.width = Twips(grid[index])
                cell.paragraphs[0].style = cell_style
                if index < len(items):
                    self.item(cell.paragraphs[0], items[index])
        if self.break_next:
            self.break_next = False
            t.rows[0].cells[0].paragraphs[0].paragraph_format.page_break_before = True

    def column_widths(self, table: Table, columns: int) -> list[int]:
        """Return each column's width in twips, sized to its content as the PDF's are (`shape`)."""
        style = self.brief.citation_style
        shares = shape.column_widths(table, width_pt=self.text_width / 20, style=style)[:columns]
        shares += [0.0] * (columns - len(shares))
        return [int(self.text_width * share / 100) for share in shares]

    # -- items ----------------------------------------------------------------------------------

    def item(
        self, p: Paragraph, item: Item, *, label: bool = True, bookmark_end: BaseOxmlElement | None = None
    ) -> None:
        """Append an item's runs to `p`: bookmark, bold label, text, disputed note, citations.

        The order is the HTML renderer's, so PDF and Word read the same.
        """
        end = bookmark_end
        if bookmark_end is None:
            start, end = self.claim_bookmark(item)
            if start is not None:
                p._p.append(start)
        if label and item.label:
            p._p.append(ooxml.run(item.label + " ", bold=True))
        called = self.brief.citation_style is CitationStyle.FOOTNOTES and bool(item.citations)
        # Before a footnote call the text ends on its last word: a trailing space would let the
        # call start a line of its own.
        p._p.append(ooxml.run(item.text.rstrip() if called and not item.disputed else item.text))
        if item.disputed:
            # Roman, as in the PDF: a note the reader must read is never italic (GOV.UK).
            p._p.append(ooxml.run(" " + (item.disputed.rstrip() if called else item.disputed)))
        style = self.brief.citation_style
        if style is CitationStyle.FOOTNOTES and self.footnotes is not None and item.citations:
            # One footnote for the item, naming each source once. Its call follows the last word
            # with no space between, so no line can break before it.
            ref_style = self.style_id("Footnote Reference")
            footnote_id = self.next_footnote_id
            self.next_footnote_id += 1
            ooxml.add_footnote(
                self.footnotes,
                footnote_id,
                shape.footnote_text(item.citations),
                para_style=self.style_id("Footnote Text"),
                ref_style=ref_style,
            )
            p._p.append(ooxml.footnote_reference(footnote_id, ref_style))
        elif style is CitationStyle.LINKS and item.citations:
            p._p.append(ooxml.run(" ("))
            for index, citation in enumerate(item.citations):
                if index:
                    p._p.append(ooxml.run("; "))
                if citation.url and _LINK_SCHEMES.match(citation.url):
                    r_id = self.part.relate_to(citation.url, RT.HYPERLINK, is_external=True)
                    link = ooxml.hyperlink(text=citation.label, style=self.style_id("Hyperlink"), r_id=r_id)
                    p._p.append(link)
                else:
                    p._p.append(ooxml.run(citation.label))
            p._p.append(ooxml.run(")"))
        if end is not None:
            p._p.append(end)

    def claim_bookmark(self, item: Item) -> tuple[BaseOxmlElement | None, BaseOxmlElement | None]:
        """Return the bookmark markers for a claim item, or (None, None) for layout text."""
        if item.claim_id is None:
            return None, None
        return ooxml.bookmark(self.new_bookmark_id(), ooxml.bookmark_name(item.claim_id, self.bookmarks))

    # -- helpers --------------------------------------------------------------------------------

    def para(self, text: str | None, style: str) -> Paragraph:
        """Append a paragraph in `style` (when the reference has it), taking any pending page break."""
        p = self.doc.add_paragraph(style=self.style(style))
        if text:
            p._p.append(ooxml.run(text))
        if self.break_next:
            self.break_next = False
            p.paragraph_format.page_break_before = True
        return p

    def style(self, name: str) -> str | None:
        """Return the reference's name for style `name`, or None (the default style) if it lacks it."""
        found = self.styles.get(name.lower())
        return found[0] if found else None

    def style_id(self, name: str) -> str | None:
        """Return the id of style `name` for raw XML (`w:pStyle`, `w:rStyle`), or None if missing."""
        found = self.styles.get(name.lower())
        return found[1] if found else None

    def new_bookmark_id(self) -> int:
        self.next_bookmark_id += 1
        return self.next_bookmark_id - 1

    def style_numbering(self, name: str) -> int | None:
        """Return the numbering instance (numId) that paragraph style `name` applies, if any."""
        return ooxml.style_num_id(self.doc.styles.element, self.style_id(name))

    def restarted_number_list(self) -> int | None:
        """Return a new numbering instance of List Number that starts again at 1."""
        num_id = self.style_numbering("List Number")
        return None if num_id is None else ooxml.restart_numbering(self.part.numbering_part.element, num_id)


def _contents_entries(brief: Brief) -> list[Section]:
    """Return the sections the contents list names: headed, levels 1 to 3."""
    return [s for s in brief.sections if 1 <= s.level <= 3 and s.heading]


def _heading_text(section: Section) -> str:
    return f"{section.number} {section.heading}" if section.number else section.heading


def _toc_name(index: int) -> str:
    # Word's own naming for heading targets of a table of contents; hidden because of the underscore.
    return f"_Toc{100000001 + index:09d}"
