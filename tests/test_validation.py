"""Every paper through independent validators: PDF/UA-1 (page-validation), OOXML (openxml-audit).

The papers are the session's `built` ones (tests/conftest.py): nothing is built again here. Beside
the validators' verdicts, the PDF's tags are read back with pypdf: the running header and footer
are pagination artifacts, no tagged content is left outside the structure tree, and the timeline
is a Table whose cells are read with their date and column.
"""

from __future__ import annotations

import functools
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import page
import pages
import pytest
from openxml_audit import OpenXmlValidator, ValidationSeverity
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from briefgen.redline import redline_docx
from briefgen.run import Results

# page-validation rules a paper may fail because WeasyPrint cannot do better yet, by rule id, each
# with the README section that says so. Empty: every PDF passes every PDF/UA-1 rule. A rule that
# newly fails is never added here to make this test pass.
KNOWN_PDF_FAILURES: dict[str, str] = {}


def _files(built: tuple[Path, Results], suffix: str) -> list[Path]:
    folder, results = built
    files = sorted(folder.glob(f"*{suffix}"))
    assert len(files) == len(results.papers) == 15
    return files


def test_every_pdf_passes_pdf_ua_1(built: tuple[Path, Results]) -> None:
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for path in _files(built, ".pdf"):
        report = page.validate_pdf(path, profile=page.ValidationProfile.PDF_UA_1)
        assert report.profile is page.ValidationProfile.PDF_UA_1
        assert report.rules.total >= 100, f"{path.name}: only {report.rules.total} rules ran"
        for failure in report.failures:
            failures[failure.rule_id] += 1
            examples.setdefault(failure.rule_id, f"{path.name}: {failure.message}")
    unexpected = {rule: count for rule, count in failures.items() if rule not in KNOWN_PDF_FAILURES}
    assert not unexpected, "\n".join(
        f"{rule} ×{count}, e.g. {examples[rule]}" for rule, count in unexpected.items()
    )


def _audit(path: Path) -> list[str]:
    """Return openxml-audit's errors for one file, as lines.

    A fresh validator per file: openxml-audit 0.8 caches what it reads of a package's parts by
    `id()` of the package object, so one validator reused over many files can match a new package
    to a dead one's footnote ids and report footnotes missing that are there.
    """
    result = OpenXmlValidator(max_errors=0).validate(path)
    return [f"{path.name}: {e}" for e in result.errors if e.severity is ValidationSeverity.ERROR]


def test_every_docx_passes_openxml_audit(built: tuple[Path, Results]) -> None:
    errors = [line for path in _files(built, ".docx") for line in _audit(path)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("old", "new"),
    [("short-officials", "full-officials"), ("one-page-parliament", "short-parliament")],
)
def test_a_redline_passes_openxml_audit(
    built: tuple[Path, Results], tmp_path: Path, old: str, new: str
) -> None:
    # Two editions far apart: paragraphs, footnotes and restarted numbered lists deleted and added.
    folder, _ = built
    redline = tmp_path / f"{new}.redline.docx"
    redline.write_bytes(
        redline_docx((folder / f"{old}.docx").read_bytes(), (folder / f"{new}.docx").read_bytes())
    )
    assert _audit(redline) == []


# ---- reading the tags back ------------------------------------------------------------------


@dataclass
class _Tree:
    """A PDF's structure tree: its elements by object number, and the text each holds."""

    reader: PdfReader
    pages: list[pages.PdfPage]
    page_of: dict[int, int]  # page object number → 0-based page index

    @property
    def document(self) -> DictionaryObject:
        catalog = self.reader.trailer["/Root"]
        assert isinstance(catalog, DictionaryObject)
        root = catalog["/StructTreeRoot"]
        assert isinstance(root, DictionaryObject)
        kids = root["/K"]
        document = (kids[0] if isinstance(kids, list) else kids).get_object()
        assert isinstance(document, DictionaryObject)
        return document

    def kids(self, element: DictionaryObject) -> list[Any]:
        kids = element.get("/K")
        if kids is None:
            return []
        kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
        return [
            k.get_object() if isinstance(k, IndirectObject) else k
            for k in (kids if isinstance(kids, list) else [kids])
        ]

    def elements(self, element: DictionaryObject | None = None) -> list[DictionaryObject]:
        """Return the structure elements under `element` (the whole tree by default), in order."""
        found = []
        for kid in self.kids(element if element is not None else self.document):
            if isinstance(kid, DictionaryObject) and "/S" in kid:
                found.append(kid)
                found.extend(self.elements(kid))
        return found

    def text(self, element: DictionaryObject) -> str:
        page = self.page_of.get(element.raw_get("/Pg").idnum) if "/Pg" in element else None
        parts = []
        for kid in self.kids(element):
            if isinstance(kid, int) and page is not None:
                parts.append(self.pages[page].tagged.get(kid, ""))
            elif isinstance(kid, DictionaryObject) and "/S" in kid:
                parts.append(self.text(kid))
        return "".join(parts)

    def reached_mcids(self) -> dict[int, set[int]]:
        """Return, page by page, the MCIDs the structure tree reaches."""
        reached: dict[int, set[int]] = {}
        for element in [self.document, *self.elements()]:
            page = self.page_of.get(element.raw_get("/Pg").idnum) if "/Pg" in element else None
            for kid in self.kids(element):
                if isinstance(kid, int) and page is not None:
                    reached.setdefault(page, set()).add(kid)
        return reached


@functools.cache
def _tree(path: Path) -> _Tree:
    """Read a PDF's tags, and its text as the run's other tests read it (`pages.read_pdf`, once a run)."""
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    page_of = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages) if p.indirect_reference}
    return _Tree(reader, pages.read_pdf(path), page_of)


def test_running_header_and_footer_are_artifacts_not_content(built: tuple[Path, Results]) -> None:
    folder, results = built
    for paper in results.papers:
        tree = _tree(folder / f"{paper.brief.name}.pdf")
        count = len(tree.pages)
        reached = tree.reached_mcids()
        for index, drawn in enumerate(tree.pages):
            where = f"{paper.brief.name}.pdf page {index + 1}"
            artifacts = "".join(drawn.artifacts)
            tagged = " ".join(drawn.tagged.values())
            if not (paper.brief.cover and index == 0):  # a cover has no page number
                assert f"Page {index + 1} of {count}" in artifacts, where
            assert not re.search(r"Page \d+ of \d+", tagged), where
            if paper.brief.marking:
                assert artifacts.count(paper.brief.marking) == 2, where  # above and below the page
            # Every piece of text is either an artifact or tagged content the structure tree reaches.
            assert drawn.untracked == (), where
            assert set(drawn.tagged) <= reached.get(index, set()), where


def test_each_table_is_one_table_element_with_one_header_row(built: tuple[Path, Results]) -> None:
    # WeasyPrint tags a table once per page it runs over, repeating its header row; briefgen joins
    # the fragments (render/table_tags.py) and makes the repeated header rows artifacts.
    folder, results = built
    joined = 0
    for paper in results.papers:
        tree = _tree(folder / f"{paper.brief.name}.pdf")
        tables = [e for e in tree.elements() if e.get("/S") == "/Table"]
        expected = [
            block.table for s in paper.brief.sections for block in s.blocks if block.table is not None
        ]
        assert len(tables) == len(expected), paper.brief.name
        for table, source in zip(tables, expected, strict=True):
            rows = _table_rows(tree, table)
            assert [re.sub(r"\s", "", tree.text(cell)) for cell in rows[0]] == [
                re.sub(r"\s", "", header) for header in source.header
            ], paper.brief.name
            assert len(rows) == 1 + len(source.rows), paper.brief.name  # one header row, every body row
            pages = {row.raw_get("/Pg").idnum for row in tree.elements(table) if row.get("/S") == "/TR"}
            joined += len(pages) > 1
    assert joined  # some table runs over a page break in each summary's papers


def _role(element: DictionaryObject) -> str:
    """Return a structure element's type ("/TH"), as text."""
    return str(element["/S"])


def _table_rows(tree: _Tree, table: DictionaryObject) -> list[list[DictionaryObject]]:
    return [
        [
            cell
            for cell in tree.kids(row)
            if isinstance(cell, DictionaryObject) and cell.get("/S") in ("/TH", "/TD")
        ]
        for row in tree.elements(table)
        if row.get("/S") == "/TR"
    ]


def test_timeline_is_a_table_read_by_date_and_column(built: tuple[Path, Results]) -> None:
    folder, results = built
    checked = 0
    for paper in results.papers:
        timelines = [
            block.table
            for section in paper.brief.sections
            for block in section.blocks
            if block.table is not None and block.table.header == ("Date", "Event")
        ]
        if not timelines:
            continue
        tree = _tree(folder / f"{paper.brief.name}.pdf")
        fragments = [
            rows
            for table in tree.elements()
            if table.get("/S") == "/Table"
            and (rows := _table_rows(tree, table))
            and [tree.text(cell).strip() for cell in rows[0]] == ["Date", "Event"]
        ]
        assert len(fragments) == 1, (
            f"{paper.brief.name}.pdf: {len(fragments)} Tables with Date and Event headers"
        )
        dates = []
        for rows in fragments:
            date_header, event_header = rows[0]
            assert _role(date_header) == _role(event_header) == "/TH"
            for date, event in rows[1:]:
                assert (_role(date), _role(event)) == ("/TH", "/TD")
                # The event is read with its date (row header) and "Event" (column header).
                attributes = event["/A"]
                assert isinstance(attributes, DictionaryObject)
                assert list(attributes["/Headers"]) == [date["/ID"], event_header["/ID"]]  # type: ignore[call-overload]
                dates.append(tree.text(date))
        # pypdf joins the lines of a wrapped cell without a space: compare without white space.
        assert [re.sub(r"\s", "", d) for d in dates] == [
            re.sub(r"\s", "", row[0].text) for row in timelines[0].rows
        ], paper.brief.name
        checked += 1
    assert checked >= 2  # the officials' and parliament's full papers hold the timeline annex
