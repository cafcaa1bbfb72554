"""Compare two editions of a Word paper and write the new one with the changes as tracked changes."""

from __future__ import annotations

import copy
import difflib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from briefgen.build import Paper

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
DOCUMENT = "word/document.xml"
FOOTNOTES = "word/footnotes.xml"
NUMBERING = "word/numbering.xml"
# One character stands for a footnote reference in a paragraph's text, so that the diff keeps it
# in place and pairs the old and new references it finds equal.
NOTE = "\ufffc"
# A reworded sentence or paragraph shares at least this share of its words with its old wording;
# below it the old one is shown deleted and the new one inserted.
REWORDED = 0.5

# Run content and how many characters each stands for in the paragraph's text; fields (fldChar,
# instrText) stand for none and are never marked, so that a field never straddles a change.
_WIDTH = {"tab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-", "softHyphen": ""}


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass
class _Marks:
    """Make w:ins and w:del elements, each with its own id, the author and the date."""

    author: str
    date: str
    next_id: int = 90000  # above the ids python-docx gives bookmarks, comments and notes

    def make(self, tag: str) -> etree._Element:
        mark = etree.Element(_w(tag))
        mark.set(_w("id"), str(self.next_id))
        mark.set(_w("author"), self.author)
        mark.set(_w("date"), self.date)
        self.next_id += 1
        return mark


def _run_text(run: etree._Element) -> str:
    """Return what one atomic run (one content element) prints."""
    for child in run:
        tag = etree.QName(child).localname
        if tag in ("t", "delText"):
            return child.text or ""
        if tag == "footnoteReference":
            return NOTE
        if tag in _WIDTH:
            return _WIDTH[tag]
    return ""


def _atomize(paragraph: etree._Element) -> None:
    """Split every run of a paragraph so that each holds one content element after its rPr."""
    for run in list(paragraph.iter(_w("r"))):
        props = run.find(_w("rPr"))
        content = [c for c in run if c.tag != _w("rPr")]
        if len(content) <= 1:
            continue
        for child in content[1:]:
            piece = etree.Element(_w("r"))
            if props is not None:
                piece.append(copy.deepcopy(props))
            piece.append(child)
            run.addnext(piece)
            run = piece


def _runs(paragraph: etree._Element) -> list[tuple[etree._Element, int, int]]:
    """Return each atomic run of a paragraph with the character range it prints."""
    spans = []
    at = 0
    for run in paragraph.iter(_w("r")):
        width = len(_run_text(run))
        spans.append((run, at, at + width))
        at += width
    return spans


def paragraph_text(paragraph: etree._Element) -> str:
    """Return what a paragraph prints, a footnote reference as one placeholder character."""
    return "".join(_run_text(r) for r in paragraph.iter(_w("r")) if not _deleted(r))


def _deleted(run: etree._Element) -> bool:
    parent = run.getparent()
    return parent is not None and parent.tag == _w("del")


def _split(run: etree._Element, offset: int) -> etree._Element:
    """Split a text run at `offset`; return the second half, placed after the first."""
    text = run.find(_w("t"))
    assert text is not None and text.text
    second = copy.deepcopy(run)
    second_text = second.find(_w("t"))
    assert second_text is not None
    second_text.text = text.text[offset:]
    text.text = text.text[:offset]
    for node in (text, second_text):
        node.set(XML_SPACE, "preserve")
    run.addnext(second)
    return second


def _cut(paragraph: etree._Element, points: set[int]) -> list[tuple[etree._Element, int, int]]:
    """Split a paragraph's runs so that every point falls between two runs; return the runs."""
    for run, start, end in _runs(paragraph):
        inner = sorted(p - start for p in points if start < p < end)
        for offset in reversed(inner):
            _split(run, offset)
    return _runs(paragraph)


# --- diffing text -------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    """Split text into sentences and the spaces between them, losing no character."""
    pieces = []
    start = 0
    # The space after a full stop (or a closing quote or footnote reference after it) ends a sentence.
    for match in re.finditer(r"(?:(?<=[.!?…])|(?<=[.!?…][”’\"')\]\ufffc]))\s+", text):
        pieces.extend([text[start : match.start()], match.group()])
        start = match.end()
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def _words(text: str) -> list[str]:
    """Split text into words, spaces and footnote references, losing no character."""
    return re.findall(r"\ufffc|[^\s\ufffc]+|\s+", text)


def _ratio(old: list[str], new: list[str]) -> float:
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio()


Edit = tuple[str, int, int, int, int]  # tag, old start, old end, new start, new end (characters)


def _token_edits(old: list[str], new: list[str], at_old: int, at_new: int) -> Iterator[Edit]:
    """Diff two token lists; yield the edits in character offsets."""
    old_at = [at_old]
    for token in old:
        old_at.append(old_at[-1] + len(token))
    new_at = [at_new]
    for token in new:
        new_at.append(new_at[-1] + len(token))
    codes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    merged: list[tuple[str, int, int, int, int]] = []
    for k, (tag, i1, i2, j1, j2) in enumerate(codes):
        # A lone space kept between two changes reads as one change: "up to" → "at most".
        between = 0 < k < len(codes) - 1 and tag == "equal" and not "".join(old[i1:i2]).strip()
        if merged and merged[-1][0] != "equal" and (tag != "equal" or between):
            _, a1, _, b1, _ = merged.pop()
            merged.append(("replace", a1, i2, b1, j2))
        else:
            merged.append((tag, i1, i2, j1, j2))
    for kind, a1, a2, b1, b2 in merged:
        yield kind, old_at[a1], old_at[a2], new_at[b1], new_at[b2]


def _pair(old: list[str], new: list[str], score: float = REWORDED) -> Iterator[tuple[int | None, int | None]]:
    """Pair the items of two lists in order where they are alike; the rest stand alone."""
    i = j = 0
    while i < len(old) or j < len(new):
        if i < len(old) and j < len(new) and _ratio(_words(old[i]), _words(new[j])) >= score:
            yield i, j
            i, j = i + 1, j + 1
            continue
        later = next(
            (
                k
                for k in range(j + 1, len(new))
                if i < len(old) and _ratio(_words(old[i]), _words(new[k])) >= score
            ),
            None,
        )
        if later is not None:
            yield None, j
            j += 1
        elif i < len(old):
            yield i, None
            i += 1
        else:
            yield None, j
            j += 1


def text_edits(old: str, new: str) -> list[Edit]:
    """Diff two paragraphs' texts by sentence, and reworded sentences by word, in character offsets."""
    old_s, new_s = _sentences(old), _sentences(new)
    old_at = [0]
    for s in old_s:
        old_at.append(old_at[-1] + len(s))
    new_at = [0]
    for s in new_s:
        new_at.append(new_at[-1] + len(s))
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, old_s, new_s, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            edits.append(("equal", old_at[i1], old_at[i2], new_at[j1], new_at[j2]))
            continue
        for a, b in _pair(old_s[i1:i2], new_s[j1:j2]):
            if a is not None and b is not None:
                ia, ja = i1 + a, j1 + b
                edits.extend(_token_edits(_words(old_s[ia]), _words(new_s[ja]), old_at[ia], new_at[ja]))
            elif a is not None:
                ia = i1 + a
                edits.append(("delete", old_at[ia], old_at[ia + 1], _end_new(edits), _end_new(edits)))
            elif b is not None:
                ja = j1 + b
                edits.append(("insert", _end_old(edits), _end_old(edits), new_at[ja], new_at[ja + 1]))
    return [e for e in edits if e[1] != e[2] or e[3] != e[4]]


def _end_old(edits: list[Edit]) -> int:
    return edits[-1][2] if edits else 0


def _end_new(edits: list[Edit]) -> int:
    return edits[-1][4] if edits else 0


# --- marking a document -------------------------------------------------------------------


@dataclass
class _Notes:
    """The footnotes of both editions, and the pairs of old and new notes the body diff found."""

    old: dict[str, etree._Element]
    new: dict[str, etree._Element]
    new_root: etree._Element | None
    pairs: list[tuple[str, str]] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # old id → id of its deleted copy

    def copy_deleted(self, old_id: str, marks: _Marks) -> str:
        """Copy an old footnote into the new edition, all of it deleted; return its new id."""
        if old_id in self.moved or self.new_root is None or old_id not in self.old:
            return self.moved.get(old_id, old_id)
        note = copy.deepcopy(self.old[old_id])
        ids = [int(i) for i in self.new_root.xpath("//w:footnote/@w:id", namespaces={"w": W})]
        new_id = str(max([0, *ids]) + 1)
        note.set(_w("id"), new_id)
        for paragraph in note.iter(_w("p")):
            _mark_whole(paragraph, "del", marks)
        self.new_root.append(note)
        self.moved[old_id] = new_id
        return new_id


@dataclass
class _Numbering:
    """The list instances (`w:num`) of both editions, for the old paragraphs copied in as deleted.

    A deleted paragraph keeps its list when the new edition defines its numId the same way;
    otherwise (a list restarted only in the old edition) the old definition is copied in under a
    fresh numId, so that no paragraph names a list the new edition lacks.
    """

    old: dict[str, etree._Element]
    new_root: etree._Element | None
    moved: dict[str, str] = field(default_factory=dict)  # old numId → numId in the new edition

    def copy_deleted(self, paragraph: etree._Element) -> None:
        """Point each numId in an old paragraph at a list the new edition defines alike."""
        for num_id in paragraph.iter(_w("numId")):
            old_id = num_id.get(_w("val"), "")
            if old_id in self.old and self.new_root is not None:
                num_id.set(_w("val"), self._new_id(old_id, self.new_root))

    def _new_id(self, old_id: str, root: etree._Element) -> str:
        if old_id in self.moved:
            return self.moved[old_id]
        new = {n.get(_w("numId"), ""): n for n in root.iter(_w("num"))}
        definition = etree.tostring(self.old[old_id], method="c14n")
        if old_id in new and etree.tostring(new[old_id], method="c14n") == definition:
            self.moved[old_id] = old_id
            return old_id
        fresh = copy.deepcopy(self.old[old_id])
        new_id = str(max([0, *(int(i) for i in new if i.isdigit())]) + 1)
        fresh.set(_w("numId"), new_id)
        # w:num elements follow the w:abstractNum ones and precede w:numIdMacAtCleanup.
        cleanup = root.find(_w("numIdMacAtCleanup"))
        if cleanup is not None:
            cleanup.addprevious(fresh)
        else:
            root.append(fresh)
        self.moved[old_id] = new_id
        return new_id


def _to_deleted(run: etree._Element) -> None:
    for child in run:
        if child.tag == _w("t"):
            child.tag = _w("delText")
        elif child.tag == _w("instrText"):
            child.tag = _w("delInstrText")


def _mark_paragraph_mark(paragraph: etree._Element, kind: str, marks: _Marks) -> None:
    props = paragraph.find(_w("pPr"))
    if props is None:
        props = etree.Element(_w("pPr"))
        paragraph.insert(0, props)
    run_props = props.find(_w("rPr"))
    if run_props is None:
        run_props = etree.SubElement(props, _w("rPr"))
    run_props.append(marks.make(kind))


def _wrap(runs: list[etree._Element], kind: str, marks: _Marks) -> None:
    """Wrap runs that are siblings in turn in w:ins or w:del, one mark per unbroken group."""
    group: list[etree._Element] = []
    for run in [*runs, None]:
        if run is not None and group and run.getprevious() is group[-1]:
            group.append(run)
            continue
        if group:
            mark = marks.make(kind)
            group[0].addprevious(mark)
            for member in group:
                if kind == "del":
                    _to_deleted(member)
                mark.append(member)
        group = [run] if run is not None else []


def _mark_whole(paragraph: etree._Element, kind: str, marks: _Marks) -> None:
    """Mark a whole paragraph inserted or deleted: its runs and its paragraph mark."""
    _atomize(paragraph)
    for bookmark in paragraph.xpath(".//w:bookmarkStart|.//w:bookmarkEnd", namespaces={"w": W}):
        if kind == "del":  # a copy of an old paragraph: its bookmarks would clash with the new ones
            bookmark.getparent().remove(bookmark)
    runs = [run for run, start, end in _runs(paragraph) if end > start]
    if kind == "del":
        for run, start, end in _runs(paragraph):
            if start == end and run.getparent() is not None:  # a field's code or mark: drop
                run.getparent().remove(run)
    _wrap(runs, kind, marks)
    _mark_paragraph_mark(paragraph, kind, marks)


def _note_id(run: etree._Element) -> str | None:
    ref = run.find(_w("footnoteReference"))
    return ref.get(_w("id")) if ref is not None else None


def _mark_changes(old: etree._Element, new: etree._Element, marks: _Marks, notes: _Notes | None) -> None:
    """Mark in `new` (in place) what changed since `old`, a copy of the paragraph it replaces."""
    _atomize(old)
    _atomize(new)
    old_text, new_text = paragraph_text(old), paragraph_text(new)
    edits = (
        text_edits(old_text, new_text)
        if old_text != new_text
        else [("equal", 0, len(old_text), 0, len(new_text))]
    )
    points = {p for e in edits for p in (e[3], e[4])}
    new_runs = _cut(new, points)
    old_runs = _cut(old, {p for e in edits for p in (e[1], e[2])})
    for tag, i1, i2, j1, j2 in edits:
        if tag == "equal" and notes is not None:
            olds = [_note_id(r) for r, s, _ in old_runs if i1 <= s < i2 and _note_id(r)]
            news = [_note_id(r) for r, s, _ in new_runs if j1 <= s < j2 and _note_id(r)]
            notes.pairs.extend((a, b) for a, b in zip(olds, news, strict=False) if a and b)
    tail: etree._Element | None = None
    for tag, i1, i2, j1, j2 in edits:
        if tag == "equal":
            continue
        inserted = [r for r, s, e in new_runs if j1 <= s and e <= j2 and e > s]
        if notes is not None:
            notes.inserted.extend(n for n in (_note_id(r) for r in inserted) if n)
        _wrap(inserted, "ins", marks)
        gone = [copy.deepcopy(r) for r, s, e in old_runs if i1 <= s and e <= i2 and e > s]
        if not gone:
            continue
        for run in gone:
            ref = run.find(_w("footnoteReference"))
            if ref is not None and notes is not None:
                ref.set(_w("id"), notes.copy_deleted(ref.get(_w("id"), ""), marks))
        deletion = marks.make("del")
        for run in gone:
            _to_deleted(run)
            deletion.append(run)
        # Before the first run the new text has at this point (an insertion there comes after).
        anchor = next((r for r, s, e in new_runs if s >= j1 and e > s), None)
        if anchor is not None:
            if anchor.getparent() is not None and anchor.getparent().tag == _w("ins"):
                anchor = anchor.getparent()
            anchor.addprevious(deletion)
        elif tail is not None:  # after what an earlier change put at the end, in order
            tail.addnext(deletion)
        else:
            last = new_runs[-1][0] if new_runs else None
            if last is not None:
                target = last.getparent() if last.getparent().tag == _w("ins") else last
                target.addnext(deletion)
            else:
                new.append(deletion)
        if anchor is None:
            tail = deletion


def _paragraphs(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(_w("p")))


def _mark_sequence(
    old_paragraphs: list[etree._Element],
    new_paragraphs: list[etree._Element],
    marks: _Marks,
    notes: _Notes | None,
    numbering: _Numbering | None = None,
) -> None:
    """Align two lists of paragraphs by their text and mark the changes into the new ones."""
    old_texts = [paragraph_text(p) for p in old_paragraphs]
    new_texts = [paragraph_text(p) for p in new_paragraphs]
    matcher = difflib.SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if notes is not None and NOTE in new_texts[j]:
                    _mark_changes(copy.deepcopy(old_paragraphs[i]), new_paragraphs[j], marks, notes)
            continue
        pending: list[etree._Element] = []  # deleted copies waiting for the next new paragraph
        for a, b in _pair(old_texts[i1:i2], new_texts[j1:j2]):
            if a is not None and b is None:
                gone = copy.deepcopy(old_paragraphs[i1 + a])
                if notes is not None:
                    for ref in gone.iter(_w("footnoteReference")):
                        ref.set(_w("id"), notes.copy_deleted(ref.get(_w("id"), ""), marks))
                if numbering is not None:
                    numbering.copy_deleted(gone)
                _mark_whole(gone, "del", marks)
                pending.append(gone)
                continue
            target = new_paragraphs[j1 + b] if b is not None else None
            assert target is not None
            for gone in pending:
                target.addprevious(gone)
            pending = []
            if a is None:
                if notes is not None:
                    notes.inserted.extend(r.get(_w("id"), "") for r in target.iter(_w("footnoteReference")))
                _mark_whole(target, "ins", marks)
            else:
                _mark_changes(copy.deepcopy(old_paragraphs[i1 + a]), target, marks, notes)
        if pending:
            following = new_paragraphs[j2] if j2 < len(new_paragraphs) else None
            if following is not None:
                for gone in pending:
                    following.addprevious(gone)
            else:
                place = new_paragraphs[j2 - 1] if j2 > 0 else None
                for gone in reversed(pending):
                    if place is not None:
                        place.addnext(gone)


def _read(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _notes_by_id(root: etree._Element | None) -> dict[str, etree._Element]:
    if root is None:
        return {}
    return {n.get(_w("id"), ""): n for n in root.iter(_w("footnote"))}


def _renumber_notes(body: etree._Element, notes: etree._Element) -> None:
    """Number the footnotes in the order of their references and store them in that order.

    LibreOffice pairs footnotes with references by their order in footnotes.xml, not by id, so the
    deleted notes copied in at the end must be moved to where they are referenced.
    """
    by_id = _notes_by_id(notes)
    referenced = [ref for ref in body.iter(_w("footnoteReference")) if ref.get(_w("id")) in by_id]
    ordered = [by_id[ref.get(_w("id"), "")] for ref in referenced]
    keep = [n for n in notes.iter(_w("footnote")) if n not in ordered]  # the separators
    first = max([0, *(int(n.get(_w("id"), "0")) for n in keep)]) + 1
    for note in ordered + keep:
        notes.remove(note)
    for note in keep:
        notes.append(note)
    for number, (ref, note) in enumerate(zip(referenced, ordered, strict=True), start=first):
        ref.set(_w("id"), str(number))
        note.set(_w("id"), str(number))
        notes.append(note)


def redline_docx(old: bytes, new: bytes, *, author: str = "briefgen", when: datetime | None = None) -> bytes:
    """Return the new .docx with what changed since the old one marked as tracked changes."""
    date = (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    marks = _Marks(author=author, date=date.strftime("%Y-%m-%dT%H:%M:%SZ"))
    old_parts, new_parts = _read(old), _read(new)
    old_doc, new_doc = _parse(old_parts[DOCUMENT]), _parse(new_parts[DOCUMENT])
    old_fn = _parse(old_parts[FOOTNOTES]) if FOOTNOTES in old_parts else None
    new_fn = _parse(new_parts[FOOTNOTES]) if FOOTNOTES in new_parts else None
    notes = _Notes(old=_notes_by_id(old_fn), new=_notes_by_id(new_fn), new_root=new_fn)
    old_num = _parse(old_parts[NUMBERING]) if NUMBERING in old_parts else None
    new_num = _parse(new_parts[NUMBERING]) if NUMBERING in new_parts else None
    old_lists = {} if old_num is None else {n.get(_w("numId"), ""): n for n in old_num.iter(_w("num"))}
    numbering = _Numbering(old=old_lists, new_root=new_num)
    old_body, new_body = old_doc.find(_w("body")), new_doc.find(_w("body"))
    assert old_body is not None and new_body is not None
    _mark_sequence(_paragraphs(old_body), _paragraphs(new_body), marks, notes, numbering)
    for old_id, new_id in notes.pairs:
        if old_id in notes.old and new_id in notes.new:
            _mark_sequence(_paragraphs(notes.old[old_id]), _paragraphs(notes.new[new_id]), marks, None)
    for new_id in notes.inserted:
        if new_id in notes.new:
            for paragraph in _paragraphs(notes.new[new_id]):
                _mark_whole(paragraph, "ins", marks)
    if new_fn is not None:
        _renumber_notes(new_body, new_fn)
    parts = dict(new_parts)
    parts[DOCUMENT] = etree.tostring(new_doc, xml_declaration=True, encoding="UTF-8", standalone=True)
    if new_fn is not None:
        parts[FOOTNOTES] = etree.tostring(new_fn, xml_declaration=True, encoding="UTF-8", standalone=True)
    if new_num is not None and numbering.moved:
        parts[NUMBERING] = etree.tostring(new_num, xml_declaration=True, encoding="UTF-8", standalone=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(new)) as original:
        order = original.infolist()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in order:
            archive.writestr(info, parts[info.filename], compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


__all__ = ["paragraph_text", "redline_docx", "text_edits"]


def add_redline(paper: Paper, previous: Path) -> None:
    """Add `<name>.redline.docx` to a paper's files: its Word file marked against `previous`."""
    name = f"{paper.edition.name}.docx"
    if name not in paper.files or not previous.is_file():
        return
    paper.files[f"{paper.edition.name}.redline.docx"] = redline_docx(previous.read_bytes(), paper.files[name])
