"""Every paper of every summary, read off the real PDF and Word files, keeps the editor's rules."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from docx.oxml.ns import qn
from lxml import etree
from pages import pdf_text

from briefgen.loading import load_summary
from briefgen.model import Audience, Length, Likelihood, Role, Summary
from briefgen.run import Results

ROOT = Path(__file__).resolve().parents[1]
SUMMARIES = sorted((ROOT / "briefs").glob("*.yaml"))
EDITIONS = [f"{length.value}-{audience.value}" for length in Length for audience in Audience]
INTERNAL = ("minister", "officials")

TOOL_WORDS = re.compile(
    r"not applicable|in this summary|the summary holds|sources differ on this point|\bbriefgen\b"
    r"|\bsee [a-z0-9]+(?:-[a-z0-9]+)+\b",
    re.IGNORECASE,
)
YARDSTICK = re.compile(r"\((?:" + "|".join(re.escape(x.value) for x in Likelihood) + r")\)", re.IGNORECASE)


def _summary(results: Results) -> Summary:
    wanted = results.papers[0].brief.summary_id
    return next(s for s in (load_summary(p) for p in SUMMARIES) if s.id == wanted)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _word_paragraphs(path: Path, part: str = "word/document.xml", *, prose: bool = False) -> list[str]:
    """Return a Word part's paragraphs as text; `prose` leaves out headings, contents and table cells."""
    with zipfile.ZipFile(path) as archive:
        if part not in archive.namelist():
            return []
        root = etree.fromstring(archive.read(part))
    found = []
    for p in root.iter(qn("w:p")):
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        name = style.get(qn("w:val"), "") if style is not None else ""
        if prose and name.lower().startswith(("heading", "toc", "title")):
            continue
        if prose and any(True for _ in p.iterancestors(qn("w:tc"))):
            continue  # an evidence table restates its statements beside their quotes, by design
        found.append("".join(t.text or "" for t in p.iter(qn("w:t"))))
    return found


def _texts(folder: Path, edition: str) -> dict[str, str]:
    pdf = pdf_text(folder / f"{edition}.pdf")
    word = _word_paragraphs(folder / f"{edition}.docx") + _word_paragraphs(
        folder / f"{edition}.docx", "word/footnotes.xml"
    )
    return {"pdf": _flat(pdf), "docx": _flat(" ".join(word))}


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_tool_words_ids_or_bare_dispute_notes(built: tuple[Path, Results], edition: str) -> None:
    folder, results = built
    summary = _summary(results)
    # An id the analyst also writes as English ("troop-ceiling points") is a word, not an id.
    prose = " ".join(
        [t for c in summary.claims for t in (c.full, c.short, c.plain or "")]
        + [t for d in summary.disputes for t in (d.resolution, d.rationale, d.note or "")]
        + [t for s in summary.sources for t in (s.reliability, s.title, *s.quality_notes)]
    ).lower()
    ids = [c.id for c in summary.claims if "-" in c.id and c.id not in prose and len(c.id) > 6]
    for fmt, text in _texts(folder, edition).items():
        assert not TOOL_WORDS.findall(text), f"{edition}.{fmt}: {TOOL_WORDS.findall(text)}"
        leaked = [i for i in ids if re.search(r"(?<![\w-])" + re.escape(i) + r"(?![\w-])", text)]
        assert not leaked, f"{edition}.{fmt} prints claim ids: {leaked}"
        for grade in ("exact", "normalised", "fuzzy"):
            assert f" {grade} " not in f" {text.lower()} ".replace(f"“{grade}", ""), (edition, fmt, grade)


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_sentence_is_said_twice(built: tuple[Path, Results], edition: str) -> None:
    folder, _ = built
    body = _word_paragraphs(folder / f"{edition}.docx", prose=True)
    sentences = [
        s.strip()
        for paragraph in body
        for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\u201c[^\u201d]*\u201d", "“…”", paragraph))
        if len(s.split()) >= 8 and s.rstrip().endswith((".", "!", "?"))  # headings recur in the contents
    ]
    repeated = [s for s, n in Counter(sentences).items() if n > 1]
    assert repeated == [], f"{edition} repeats: {repeated}"


@pytest.mark.parametrize("edition", [e for e in EDITIONS if not e.endswith(INTERNAL)])
def test_outside_government_no_yardstick_and_no_internal_note(
    built: tuple[Path, Results], edition: str
) -> None:
    folder, results = built
    summary = _summary(results)
    internal = [s.reliability for s in summary.sources] + [
        n for s in summary.sources for n in s.quality_notes
    ]
    handling = [c.full for c in summary.claims if c.role is Role.HANDLING]
    for fmt, text in _texts(folder, edition).items():
        assert not YARDSTICK.findall(text), f"{edition}.{fmt}: {YARDSTICK.findall(text)}"
        for note in internal + handling:
            probe = _flat(note)[:60]
            assert probe not in text, f"{edition}.{fmt} prints an internal note: {probe}"


def test_a_dispute_note_is_printed_at_most_once_a_paper(built: tuple[Path, Results]) -> None:
    folder, results = built
    summary = _summary(results)
    notes = [d.note for d in summary.disputes if d.note]
    assert notes, "a summary with disputes needs notes for readers"
    for edition in EDITIONS:
        texts = _texts(folder, edition)
        for note in notes:
            for fmt, text in texts.items():
                assert text.count(_flat(note)[:50]) <= 1, f"{edition}.{fmt} prints a dispute note twice"


@pytest.mark.parametrize("edition", EDITIONS)
def test_papers_say_how_current_they_are(built: tuple[Path, Results], edition: str) -> None:
    folder, results = built
    summary = _summary(results)
    newest = max(s.date for s in summary.sources if s.date)
    for fmt, text in _texts(folder, edition).items():
        assert "Information correct as of" in text, (edition, fmt)
        if newest != summary.subject.as_of:
            assert f"based on sources up to {newest.day} {newest.strftime('%B %Y')}" in text, (edition, fmt)
