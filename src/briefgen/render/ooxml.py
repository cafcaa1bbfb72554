"""Build the WordprocessingML pieces python-docx lacks: fields, bookmarks, links, footnotes, properties."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part, PartFactory, XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

if TYPE_CHECKING:
    from docx.oxml.text.paragraph import CT_P
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.package import Package
    from docx.parts.document import DocumentPart

# python-docx has no class for these parts; loading them as XmlPart (instead of an opaque blob)
# lets a reference document that already has them be edited in place.
PartFactory.part_type_for.setdefault(CT.WML_FOOTNOTES, XmlPart)
PartFactory.part_type_for.setdefault(CT.OFC_CUSTOM_PROPERTIES, XmlPart)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# The format id every Office application uses for user-defined document properties.
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

# Characters XML 1.0 cannot hold; lxml refuses them, so they are dropped from text.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_BOOKMARK_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_BOOKMARK_MAX = 40  # Word's limit on bookmark names

# Children of <w:pPr> that follow <w:tabs>, in schema order.
_AFTER_TABS = (
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
)
# Children of <w:settings> that must follow <w:footnotePr>, in schema order.
_AFTER_FOOTNOTE_PR = ("endnotePr", "compat", "docVars", "rsids")


def escape(text: str) -> str:
    """Return `text` escaped for an XML attribute or element (xml.sax.saxutils pulls in urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def xml_text(text: str) -> str:
    """Return `text` without the control characters XML 1.0 forbids."""
    return _XML_INVALID.sub("", text)


def element(tag: str, text: str | None = None, **attrs: str) -> BaseOxmlElement:
    """Return a new `w:`-style element with `w:`-qualified attributes (`attrs` keys without prefix)."""
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(key if ":" in key else f"w:{key}"), value)
    if text is not None:
        el.text = xml_text(text)
        if text != text.strip():
            el.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return el


def run(text: str, *, bold: bool = False, italic: bool = False, style: str | None = None) -> BaseOxmlElement:
    """Return a `<w:r>` holding `text` with optional direct bold/italic and character style id."""
    r = element("w:r")
    if bold or italic or style:
        rpr = element("w:rPr")
        if style:
            rpr.append(element("w:rStyle", val=style))
        if bold:
            rpr.append(element("w:b"))
        if italic:
            rpr.append(element("w:i"))
        r.append(rpr)
    r.append(element("w:t", text))
    return r


def field(instruction: str, result: str, *, bold: bool = False) -> list[BaseOxmlElement]:
    """Return the runs of a complex field (`PAGE`, `NUMPAGES`, …) showing `result` until updated."""
    runs = [
        _wrap_run(element("w:fldChar", fldCharType="begin"), bold),
        _wrap_run(element("w:instrText", f" {instruction} "), bold),
        _wrap_run(element("w:fldChar", fldCharType="separate"), bold),
        run(result, bold=bold),
        _wrap_run(element("w:fldChar", fldCharType="end"), bold),
    ]
    return runs


def field_begin(instruction: str) -> list[BaseOxmlElement]:
    """Return the runs opening a field whose result spans paragraphs (a table of contents).

    The field is not marked dirty: its result is written in full and is shown as it stands.
    """
    return [
        _wrap_run(element("w:fldChar", fldCharType="begin"), False),
        _wrap_run(element("w:instrText", f" {instruction} "), False),
        _wrap_run(element("w:fldChar", fldCharType="separate"), False),
    ]


def field_end() -> BaseOxmlElement:
    """Return the run closing a field opened by `field_begin`."""
    return _wrap_run(element("w:fldChar", fldCharType="end"), False)


def _wrap_run(child: BaseOxmlElement, bold: bool) -> BaseOxmlElement:
    r = element("w:r")
    if bold:
        rpr = element("w:rPr")
        rpr.append(element("w:b"))
        r.append(rpr)
    r.append(child)
    return r


def toc_entry(text: str, anchor: str, page: int | None) -> BaseOxmlElement:
    """Return a contents entry linked to bookmark `anchor`: text, tab, and a PAGEREF showing `page`.

    This is what Word itself writes in a TOC field's result; without a page, text alone.
    """
    link = element("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    link.append(run(text))
    if page is not None:
        link.append(tab_run())
        for r in field(f"PAGEREF {anchor} \\h", str(page)):
            link.append(r)
    return link


def set_tabs(p: CT_P, stops: Iterable[tuple[str, int, str]]) -> None:
    """Give paragraph `p` tab stops of (alignment, position in twips, leader)."""
    ppr = p.get_or_add_pPr()
    for old in ppr.findall(qn("w:tabs")):
        ppr.remove(old)
    tabs = element("w:tabs")
    for align, position, leader in stops:
        tabs.append(element("w:tab", val=align, leader=leader, pos=str(position)))
    insert_before(ppr, tabs, _AFTER_TABS)


def tab_run() -> BaseOxmlElement:
    """Return a run holding one tab."""
    r = element("w:r")
    r.append(element("w:tab"))
    return r


def bookmark(bookmark_id: int, name: str) -> tuple[BaseOxmlElement, BaseOxmlElement]:
    """Return the start and end markers of bookmark `name`."""
    return (
        element("w:bookmarkStart", id=str(bookmark_id), name=name),
        element("w:bookmarkEnd", id=str(bookmark_id)),
    )


def bookmark_name(claim_id: str, taken: set[str]) -> str:
    """Return a Word-valid bookmark name for `claim_id` not in `taken`, and add it to `taken`."""
    base = ("c_" + _BOOKMARK_UNSAFE.sub("_", claim_id))[:_BOOKMARK_MAX]
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f"_{n}"
        name = base[: _BOOKMARK_MAX - len(suffix)] + suffix
    taken.add(name)
    return name


def hyperlink(
    *, text: str, style: str | None, r_id: str | None = None, anchor: str | None = None
) -> BaseOxmlElement:
    """Return a `<w:hyperlink>` to an external relationship `r_id` or an internal bookmark `anchor`."""
    link = element("w:hyperlink")
    if r_id is not None:
        link.set(qn("r:id"), r_id)
    if anchor is not None:
        link.set(qn("w:anchor"), anchor)
        link.set(qn("w:history"), "1")
    link.append(run(text, style=style))
    return link


def footnote_reference(footnote_id: int, style: str | None) -> BaseOxmlElement:
    """Return the body run that calls footnote `footnote_id`."""
    r = element("w:r")
    if style:
        rpr = element("w:rPr")
        rpr.append(element("w:rStyle", val=style))
        r.append(rpr)
    r.append(element("w:footnoteReference", id=str(footnote_id)))
    return r


def _style_child(styles: BaseOxmlElement, style_id: str | None, path: str) -> BaseOxmlElement | None:
    if style_id is None:
        return None
    steps = "/".join(qn(f"w:{step}") for step in path.split("/"))
    found: BaseOxmlElement | None = styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']/{steps}")
    return found


def style_num_id(styles: BaseOxmlElement, style_id: str | None) -> int | None:
    """Return the numId that style `style_id` applies through its `w:numPr`, if any."""
    num = _style_child(styles, style_id, "pPr/numPr/numId")
    value = None if num is None else num.get(qn("w:val"))
    return int(value) if value and value.isdigit() else None


def style_indent(styles: BaseOxmlElement, style_id: str | None) -> tuple[int, int] | None:
    """Return the (left, hanging) indent in twips that style `style_id` sets, if any."""
    ind = _style_child(styles, style_id, "pPr/ind")
    if ind is None:
        return None
    left = ind.get(qn("w:left")) or ind.get(qn("w:start")) or "0"
    hanging = ind.get(qn("w:hanging")) or "0"
    return (int(left), int(hanging)) if left.isdigit() and hanging.isdigit() else None


def restart_numbering(numbering: BaseOxmlElement, num_id: int) -> int:
    """Add a list instance sharing `num_id`'s definition but counting from 1 again; return its numId."""
    nums = numbering.findall(qn("w:num"))
    abstract = "0"
    for num in nums:
        found = num.find(qn("w:abstractNumId"))
        if num.get(qn("w:numId")) == str(num_id) and found is not None:
            abstract = found.get(qn("w:val")) or "0"
    new_id = max((int(n.get(qn("w:numId")) or 0) for n in nums), default=0) + 1
    fresh = element("w:num", numId=str(new_id))
    fresh.append(element("w:abstractNumId", val=abstract))
    override = element("w:lvlOverride", ilvl="0")
    override.append(element("w:startOverride", val="1"))
    fresh.append(override)
    insert_before(numbering, fresh, ("numIdMacAtCleanup",))
    return new_id


def set_num(p: CT_P, num_id: int) -> None:
    """Number paragraph `p` at level 0 of list instance `num_id`."""
    num_pr = p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def _separator_footnote(kind: str, footnote_id: int) -> str:
    return (
        f'<w:footnote w:type="{kind}" w:id="{footnote_id}"><w:p><w:pPr>'
        '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f"<w:r><w:{kind}/></w:r></w:p></w:footnote>"
    )


def empty_footnotes_xml() -> bytes:
    """Return a footnotes part holding only the separator (-1) and continuation (0) footnotes."""
    return (
        f'<w:footnotes xmlns:w="{W_NS}" xmlns:r="{R_NS}">'
        + _separator_footnote("separator", -1)
        + _separator_footnote("continuationSeparator", 0)
        + "</w:footnotes>"
    ).encode()


def footnotes_root(document_part: DocumentPart) -> BaseOxmlElement:
    """Return the root of the document's footnotes part (added if missing), emptied of real footnotes."""
    try:
        part = document_part.part_related_by(RT.FOOTNOTES)
    except KeyError:
        part = XmlPart(
            PackURI("/word/footnotes.xml"),
            CT.WML_FOOTNOTES,
            parse_xml(empty_footnotes_xml()),
            document_part.package,
        )
        document_part.relate_to(part, RT.FOOTNOTES)
    if not isinstance(part, XmlPart):  # registered above, so only if another library overrode it
        raise TypeError(f"footnotes part loaded as {type(part).__name__}, not XmlPart")
    root: BaseOxmlElement = part.element
    for note in root.findall(qn("w:footnote")):
        if note.get(qn("w:type")) in (None, "normal"):
            root.remove(note)
    if root.find(qn("w:footnote")) is None:
        for note in parse_xml(empty_footnotes_xml()).findall(qn("w:footnote")):
            root.append(note)
    settings = document_part.settings.element
    if settings.find(qn("w:footnotePr")) is None:
        pr = element("w:footnotePr")
        for note in root.findall(qn("w:footnote")):
            if note.get(qn("w:type")) in ("separator", "continuationSeparator"):
                pr.append(element("w:footnote", id=note.get(qn("w:id")) or "0"))
        insert_before(settings, pr, _AFTER_FOOTNOTE_PR)
    return root


def add_footnote(
    root: BaseOxmlElement, footnote_id: int, text: str, *, para_style: str | None, ref_style: str | None
) -> None:
    """Append footnote `footnote_id` reading `text` to the footnotes part `root`."""
    note = element("w:footnote", id=str(footnote_id))
    p = element("w:p")
    if para_style:
        ppr = element("w:pPr")
        ppr.append(element("w:pStyle", val=para_style))
        p.append(ppr)
    ref = element("w:r")
    if ref_style:
        rpr = element("w:rPr")
        rpr.append(element("w:rStyle", val=ref_style))
        ref.append(rpr)
    ref.append(element("w:footnoteRef"))
    p.append(ref)
    p.append(run(" " + text))
    note.append(p)
    root.append(note)


def insert_before(parent: BaseOxmlElement, child: BaseOxmlElement, successors: Iterable[str]) -> None:
    """Insert `child` into `parent` before the first of `successors` (local `w:` names), else at the end."""
    names = {qn(f"w:{name}") for name in successors}
    for index, existing in enumerate(parent):
        if existing.tag in names:
            parent.insert(index, child)
            return
    parent.append(child)


def clear_update_fields(document_part: DocumentPart) -> None:
    """Stop Word refreshing every field on opening, which makes it ask the reader each time."""
    settings = document_part.settings.element
    for existing in settings.findall(qn("w:updateFields")):
        settings.remove(existing)


def custom_properties_xml(properties: dict[str, str]) -> bytes:
    """Return a docProps/custom.xml holding `properties` as text values."""
    body = "".join(
        f'<property fmtid="{CUSTOM_FMTID}" pid="{pid}" name="{escape(xml_text(name))}">'
        f"<vt:lpwstr>{escape(xml_text(value))}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(sorted(properties.items()), start=2)
    )
    return f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{body}</Properties>'.encode()


def set_custom_properties(package: Package, properties: dict[str, str]) -> None:
    """Replace the package's custom document properties (docProps/custom.xml) with `properties`."""
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RT.CUSTOM_PROPERTIES:
            del package.rels[r_id]
    part = Part(
        PackURI("/docProps/custom.xml"), CT.OFC_CUSTOM_PROPERTIES, custom_properties_xml(properties), package
    )
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


def drop_thumbnail(package: Package) -> None:
    """Remove the preview picture: it would show the template, not this paper."""
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[r_id]


def normalise_zip(data: bytes, *, when: datetime) -> bytes:
    """Rewrite a zip with fixed timestamps, member order and compression so equal input gives equal bytes."""
    stamp = max(when, datetime(1980, 1, 1))
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}

    # [Content_Types].xml first and the package rels next, as Office writes them; then by name.
    def order(name: str) -> tuple[int, str]:
        return ({"[Content_Types].xml": 0, "_rels/.rels": 1}.get(name, 2), name)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(members, key=order):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, members[name], compresslevel=6)
    return out.getvalue()
