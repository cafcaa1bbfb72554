"""Generate templates/reference.docx: python-docx's default template restyled to match the PDF.

Run `python tools/make_reference_docx.py` after changing a style here; the output is deterministic,
so an unchanged script gives an unchanged file. Users may instead restyle reference.docx in Word:
the renderer only needs the style names used below.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from briefgen.render.ooxml import (  # noqa: E402  (needs the path above)
    footnotes_root,
    normalise_zip,
)

OUTPUT = ROOT / "templates" / "reference.docx"
FIXED_DATE = datetime(2026, 1, 1)
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# A4 with 18 mm side margins leaves 174 mm of text width: 9866 twips.
TEXT_WIDTH = 9866
# Word sets Japanese and other CJK text in the East Asian font, Arial having no kanji. Name the PDF's
# CJK fallback, which LibreOffice finds through fontconfig; Word substitutes a font where it lacks it.
FONT = '<w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:eastAsia="Noto Sans CJK JP" w:cs="Arial"/>'
BLACK = '<w:color w:val="000000"/>'
# Header and footer: marking on the centre tab, page numbers on the right tab.
TABS = (
    f'<w:tabs><w:tab w:val="center" w:pos="{TEXT_WIDTH // 2}"/>'
    f'<w:tab w:val="right" w:pos="{TEXT_WIDTH}"/></w:tabs>'
)

# Type sizes in points: the body (GOV.UK's minimum for accessible documents) and footnotes.
BODY_PT = 12
FOOTNOTE_PT = 10

TOC_TAB = f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'


def size(points: float) -> str:
    """Return run size elements for `points` (Word counts half-points)."""
    half = round(points * 2)
    return f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>'


# styleId: (type, name, basedOn, next, pPr inner xml, rPr inner xml); basedOn and next name a
# style by its styleId, never by its name (a name there links to no style).
STYLES: dict[str, tuple[str, str, str | None, str | None, str, str]] = {
    # GOV.UK accessible documents: body text at least 12pt, and no italic. Every style a reader
    # must read is 12pt or more; only Footnote Text is smaller (print.css gives the reason).
    "Normal": ("paragraph", "Normal", None, None, '<w:jc w:val="left"/>', FONT + BLACK + size(BODY_PT)),
    "Title": (
        "paragraph",
        "Title",
        "Normal",
        "Normal",
        '<w:keepNext/><w:spacing w:before="0" w:after="80" w:line="240" w:lineRule="auto"/>',
        "<w:b/><w:bCs/>" + size(18),
    ),
    "Subtitle": (
        "paragraph",
        "Subtitle",
        "Normal",
        "Normal",
        '<w:keepNext/><w:spacing w:after="80" w:line="240" w:lineRule="auto"/>',
        size(13),
    ),
    "Heading1": (
        "paragraph",
        "heading 1",
        "Normal",
        "Normal",
        '<w:keepNext/><w:keepLines/><w:spacing w:before="200" w:after="60" w:line="240" w:lineRule="auto"/>'
        '<w:outlineLvl w:val="0"/>',
        "<w:b/><w:bCs/>" + size(14),
    ),
    "Heading2": (
        "paragraph",
        "heading 2",
        "Normal",
        "Normal",
        '<w:keepNext/><w:keepLines/><w:spacing w:before="160" w:after="40" w:line="240" w:lineRule="auto"/>'
        '<w:outlineLvl w:val="1"/>',
        "<w:b/><w:bCs/>" + size(13),
    ),
    "Heading3": (
        "paragraph",
        "heading 3",
        "Normal",
        "Normal",
        '<w:keepNext/><w:keepLines/><w:spacing w:before="120" w:after="40" w:line="240" w:lineRule="auto"/>'
        '<w:outlineLvl w:val="2"/>',
        "<w:b/><w:bCs/>" + size(BODY_PT),
    ),
    "ListBullet": (
        "paragraph",
        "List Bullet",
        "Normal",
        None,
        '<w:numPr><w:numId w:val="1"/></w:numPr><w:spacing w:after="40"/>'
        '<w:ind w:left="357" w:hanging="357"/>',
        "",
    ),
    "ListNumber": (
        "paragraph",
        "List Number",
        "Normal",
        None,
        '<w:numPr><w:numId w:val="5"/></w:numPr><w:spacing w:after="40"/>'
        '<w:ind w:left="357" w:hanging="357"/>',
        "",
    ),
    "FootnoteText": (
        "paragraph",
        "footnote text",
        "Normal",
        None,
        '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="227" w:hanging="227"/>',
        size(FOOTNOTE_PT),
    ),
    "FootnoteReference": (
        "character",
        "footnote reference",
        None,
        None,
        "",
        '<w:vertAlign w:val="superscript"/>',
    ),
    "Hyperlink": ("character", "Hyperlink", None, None, "", '<w:color w:val="1D4F91"/><w:u w:val="single"/>'),
    "Marking": (
        "paragraph",
        "Marking",
        "Normal",
        "Normal",
        '<w:spacing w:after="120"/><w:jc w:val="center"/>',
        "<w:b/><w:bCs/><w:caps/>" + size(BODY_PT),
    ),
    # A notice ("DRAFT", or that the paper is fictional): bold in a ruled box, as print.css has it.
    "Notice": (
        "paragraph",
        "Notice",
        "Normal",
        "Normal",
        '<w:keepNext/><w:pBdr><w:top w:val="single" w:sz="12" w:space="3" w:color="000000"/>'
        '<w:left w:val="single" w:sz="12" w:space="4" w:color="000000"/>'
        '<w:bottom w:val="single" w:sz="12" w:space="3" w:color="000000"/>'
        '<w:right w:val="single" w:sz="12" w:space="4" w:color="000000"/></w:pBdr>'
        '<w:spacing w:before="80" w:after="120"/><w:ind w:left="90" w:right="90"/>',
        "<w:b/><w:bCs/>",
    ),
    # The left indent matches the bullet level used for box items so Word draws one box, not several.
    "Box": (
        "paragraph",
        "Box",
        "Normal",
        "Box",
        '<w:keepLines/><w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="404040"/></w:pBdr>'
        '<w:shd w:val="clear" w:color="auto" w:fill="F0F0F0"/><w:spacing w:before="0" w:after="60"/>'
        '<w:ind w:left="499" w:right="142" w:hanging="357"/>',
        "",
    ),
    # A note the reader must read: roman at body size, set apart by a light rule above, as print.css.
    "Note": (
        "paragraph",
        "Note",
        "Normal",
        "Normal",
        '<w:pBdr><w:top w:val="single" w:sz="4" w:space="3" w:color="666666"/></w:pBdr>'
        '<w:spacing w:before="120"/>',
        size(BODY_PT),
    ),
    "TOCHeading": (
        "paragraph",
        "TOC Heading",
        "Heading1",
        "Normal",
        '<w:outlineLvl w:val="9"/>',
        "",
    ),
    # Contents entries end in their page number on a dotted right tab, as the PDF's do.
    "TOC1": ("paragraph", "toc 1", "Normal", "Normal", TOC_TAB + '<w:spacing w:after="80"/>', size(BODY_PT)),
    "TOC2": (
        "paragraph",
        "toc 2",
        "Normal",
        "Normal",
        TOC_TAB + '<w:spacing w:after="80"/><w:ind w:left="284"/>',
        size(BODY_PT),
    ),
    "TOC3": (
        "paragraph",
        "toc 3",
        "Normal",
        "Normal",
        TOC_TAB + '<w:spacing w:after="80"/><w:ind w:left="567"/>',
        size(BODY_PT),
    ),
    # Table cells: 12pt on a 14.4pt line, as print.css sets `table`.
    "TableText": (
        "paragraph",
        "Table Text",
        "Normal",
        None,
        '<w:spacing w:before="0" w:after="0" w:line="288" w:lineRule="exact"/>',
        size(BODY_PT),
    ),
    # The cover, at print.css's distances: the title block 50 mm down under a 2.25pt rule, the
    # details 85 mm below it under a 0.75pt rule.
    "CoverTitle": (
        "paragraph",
        "Cover Title",
        "Normal",
        "CoverSubtitle",
        '<w:keepNext/><w:pBdr><w:top w:val="single" w:sz="18" w:space="10" w:color="000000"/></w:pBdr>'
        '<w:spacing w:before="2835" w:after="200" w:line="240" w:lineRule="auto"/>',
        "<w:b/><w:bCs/>" + size(24),
    ),
    "CoverSubtitle": (
        "paragraph",
        "Cover Subtitle",
        "Normal",
        "Normal",
        '<w:keepNext/><w:spacing w:before="0" w:after="320" w:line="240" w:lineRule="auto"/>',
        size(15),
    ),
    "CoverDetails": (
        "paragraph",
        "Cover Details",
        "Normal",
        "CoverLine",
        '<w:pBdr><w:top w:val="single" w:sz="6" w:space="6" w:color="000000"/></w:pBdr>'
        '<w:spacing w:before="4820" w:after="80" w:line="240" w:lineRule="auto"/>',
        size(BODY_PT),
    ),
    "CoverLine": (
        "paragraph",
        "Cover Line",
        "Normal",
        "CoverLine",
        '<w:spacing w:before="0" w:after="80" w:line="240" w:lineRule="auto"/>',
        size(BODY_PT),
    ),
    "Header": (
        "paragraph",
        "header",
        "Normal",
        None,
        TABS + '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>',
        size(BODY_PT),
    ),
    "Footer": (
        "paragraph",
        "footer",
        "Normal",
        None,
        TABS + '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>',
        size(BODY_PT),
    ),
}

# Linked character styles of the restyled paragraph styles: dropped so they cannot reintroduce
# the template's theme fonts and colours.
DROP_STYLES = {
    "Heading1Char",
    "Heading2Char",
    "Heading3Char",
    "TitleChar",
    "SubtitleChar",
    "HeaderChar",
    "FooterChar",
}
KEEP_TABLE_STYLES = {"TableNormal", "TableGrid"}
# Styles of briefgen's own, not Word built-ins.
CUSTOM_STYLES = {"Marking", "Notice", "Box", "Note", "TableText"} | {
    "CoverTitle",
    "CoverSubtitle",
    "CoverDetails",
    "CoverLine",
}


def style_xml(style_id: str) -> str:
    """Return the `<w:style>` element for `style_id` from STYLES."""
    kind, name, based_on, next_style, ppr, rpr = STYLES[style_id]
    for linked in (based_on, next_style):
        if linked is not None and linked not in STYLES:
            raise ValueError(f"style {style_id!r} links to {linked!r}, which is not a styleId in STYLES")
    custom = style_id in CUSTOM_STYLES
    parts = [
        f'<w:style {nsdecls("w")} w:type="{kind}" w:styleId="{style_id}"'
        + (' w:default="1"' if style_id == "Normal" else "")
        + (' w:customStyle="1"' if custom else "")
        + ">",
        f'<w:name w:val="{name}"/>',
    ]
    if based_on:
        parts.append(f'<w:basedOn w:val="{based_on}"/>')
    if next_style:
        parts.append(f'<w:next w:val="{next_style}"/>')
    parts.append('<w:uiPriority w:val="9"/><w:qFormat/>' if name.startswith("heading") else "<w:qFormat/>")
    if ppr:
        parts.append(f"<w:pPr>{ppr}</w:pPr>")
    if rpr:
        parts.append(f"<w:rPr>{rpr}</w:rPr>")
    parts.append("</w:style>")
    return "".join(parts)


def restyle(styles: object) -> None:
    """Apply STYLES and the document defaults to the styles part root `styles`."""
    root = styles  # CT_Styles
    defaults = root.find(qn("w:docDefaults"))  # type: ignore[attr-defined]
    root.remove(defaults)  # type: ignore[attr-defined]
    root.insert(  # type: ignore[attr-defined]
        0,
        parse_xml(
            f"<w:docDefaults {nsdecls('w')}><w:rPrDefault><w:rPr>{FONT}{size(BODY_PT)}"
            '<w:lang w:val="en-GB" w:eastAsia="en-GB" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
            '<w:pPrDefault><w:pPr><w:spacing w:after="80" w:line="300" w:lineRule="exact"/></w:pPr>'
            "</w:pPrDefault></w:docDefaults>"
        ),
    )
    for style in list(root.findall(qn("w:style"))):  # type: ignore[attr-defined]
        style_id = style.get(qn("w:styleId"))
        is_table = style.get(qn("w:type")) == "table"
        if style_id in DROP_STYLES or style_id in STYLES or (is_table and style_id not in KEEP_TABLE_STYLES):
            root.remove(style)  # type: ignore[attr-defined]
            continue
        # Theme fonts and colours would override Arial and black; let the defaults show through.
        for rfonts in style.iter(qn("w:rFonts")):
            rfonts.getparent().remove(rfonts)
        for color in style.iter(qn("w:color")):
            color.getparent().remove(color)
        for link in style.findall(qn("w:link")):
            style.remove(link)
        if style_id == "TableGrid":
            # A little air above and below cell text (Table Grid has none), and the PDF's 4pt at
            # the sides rather than 5.4pt, so columns sized in `render/shape.py` fit alike.
            for margin in style.iter(qn("w:top"), qn("w:bottom"), qn("w:left"), qn("w:right")):
                if margin.getparent().tag == qn("w:tblCellMar"):
                    vertical = margin.tag in (qn("w:top"), qn("w:bottom"))
                    margin.set(qn("w:w"), "40" if vertical else "80")
    for style_id in STYLES:
        root.append(parse_xml(style_xml(style_id)))  # type: ignore[attr-defined]


def renumber(numbering: object) -> None:
    """Make the List Bullet (num 1) and List Number (num 5) levels match the styles' indents."""
    root = numbering
    for abstract in root.findall(qn("w:abstractNum")):  # type: ignore[attr-defined]
        lvl = abstract.find(qn("w:lvl"))
        pstyle = lvl.find(qn("w:pStyle"))
        if pstyle is None or pstyle.get(qn("w:val")) not in ("ListBullet", "ListNumber"):
            continue
        ppr = lvl.find(qn("w:pPr"))
        lvl.remove(ppr)
        lvl.append(
            parse_xml(
                # No explicit tab stop: the hanging indent is the tab, wherever a style puts it.
                f'<w:pPr {nsdecls("w")}><w:ind w:left="357" w:hanging="357"/></w:pPr>'
            )
        )
        if pstyle.get(qn("w:val")) == "ListBullet":
            # A plain bullet in the body font: Symbol's private-use bullet is missing from many fonts.
            lvl.find(qn("w:lvlText")).set(qn("w:val"), "\u2022")
            rpr = lvl.find(qn("w:rPr"))
            if rpr is not None:
                lvl.remove(rpr)
            lvl.append(
                parse_xml(
                    f"<w:rPr {nsdecls('w')}>"
                    '<w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:hint="default"/></w:rPr>'
                )
            )


def build() -> bytes:
    """Return the bytes of the reference document."""
    doc = Document()
    package = doc.part.package
    # Word 2010 reads stylesWithEffects.xml in preference to styles.xml; drop it with the
    # template's preview picture and bibliography store.
    for r_id, rel in list(doc.part.rels.items()):
        if rel.reltype in (STYLES_WITH_EFFECTS, RT.CUSTOM_XML):
            del doc.part.rels[r_id]
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[r_id]
    for part in package.iter_parts():
        if part.partname == "/word/theme/theme1.xml":
            part._blob = part.blob.replace(b'typeface="Calibri"', b'typeface="Arial"').replace(
                b'typeface="Cambria"', b'typeface="Arial"'
            )

    restyle(doc.styles.element)
    renumber(doc.part.numbering_part.element)

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(18)
    section.header_distance = section.footer_distance = Mm(8)

    settings = doc.settings.element
    for tag in ("w:savePreviewPicture", "w:rsids", "w:proofState"):
        for found in settings.findall(qn(tag)):
            settings.remove(found)
    settings.find(qn("w:themeFontLang")).set(qn("w:val"), "en-GB")

    footnotes_root(doc.part)  # an empty footnotes part: its separators, ready for the renderer

    props = doc.core_properties
    props.author = props.last_modified_by = "briefgen"
    props.comments = "Reference styles for briefgen Word output"
    props.title = "briefgen reference document"
    props.language = "en-GB"
    props.created = props.modified = FIXED_DATE
    props.revision = 1

    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue(), when=FIXED_DATE)


def main() -> None:
    """Write templates/reference.docx."""
    data = build()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_bytes(data)
    sys.stdout.write(f"wrote {OUTPUT.relative_to(ROOT)} ({len(data)} bytes)\n")


if __name__ == "__main__":
    main()
