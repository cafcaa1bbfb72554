"""The .odt papers: LibreOffice's conversion of the Word file, reopened and checked part by part."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from project import EDITION, make_project, run
from project import SUMMARY as MINI_SUMMARY
from pypdf import PdfReader

from briefgen.errors import ConversionError
from briefgen.model import Format
from briefgen.render import odt
from briefgen.run import Results, build_papers

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "briefs" / "uk-japan-2026.yaml"
ONE_PAGERS = ("one-page-minister", "one-page-public")
EDITIONS = (*ONE_PAGERS, "full-officials")
EPOCH = "1767225600"  # 2026-01-01

NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
}
W = f"{{{NS['w']}}}"


# Converting costs about 2 s a paper, so the module builds three representative papers once (a
# marked one-pager, an unmarked one-pager, the full officials' paper with its footnotes and
# contents) rather than asking the session-wide `built` fixture for all thirty.
@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Results]]:
    """Build three papers as Word and OpenDocument, once for the module."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    out = tmp_path_factory.mktemp("odt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        results = build_papers(SUMMARY, out=out, names=EDITIONS, formats=[Format.DOCX, Format.ODT])
    assert not results.failures, results.failures
    yield out, results


def _folder(papers: tuple[Path, Results]) -> Path:
    return papers[0] / "uk-japan-2026"


def _part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(name))


def _flat(text: str) -> str:
    """Text with all white space removed: ODF spells spaces and tabs as elements."""
    return "".join(text.split())


def _marking(papers: tuple[Path, Results], edition: str) -> str | None:
    marking = next(p.report["marking"] for p in papers[1].papers if p.brief.name == edition)
    assert marking is None or isinstance(marking, str)
    return marking


@pytest.mark.parametrize("edition", EDITIONS)
def test_odt_is_a_complete_odf_package(papers: tuple[Path, Results], edition: str) -> None:
    path = _folder(papers) / f"{edition}.odt"
    with zipfile.ZipFile(path) as package:
        first = package.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert package.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        members = set(package.namelist()) - {"mimetype", "META-INF/manifest.xml"}
    manifest = _part(path, "META-INF/manifest.xml")
    listed = {e.get(f"{{{NS['manifest']}}}full-path") for e in manifest} - {"/"}
    assert listed == members


def test_footnotes_are_notes_matching_the_word_file(papers: tuple[Path, Results]) -> None:
    folder = _folder(papers)
    with zipfile.ZipFile(folder / "full-officials.docx") as word:
        notes = etree.fromstring(word.read("word/footnotes.xml"))
        body = etree.fromstring(word.read("word/document.xml"))
    texts = {n.get(f"{W}id"): "".join(n.itertext()) for n in notes.iter(f"{W}footnote")}
    in_word = [_flat(texts[r.get(f"{W}id")]) for r in body.iter(f"{W}footnoteReference")]
    content = _part(folder / "full-officials.odt", "content.xml")
    in_odt = [
        _flat("".join(n.find("text:note-body", NS).itertext()))
        for n in content.iterfind(".//text:note", NS)
        if n.get(f"{{{NS['text']}}}note-class") == "footnote"
    ]
    assert len(in_word) > 20
    assert in_odt == in_word


def _headings(content: etree._Element) -> list[tuple[int, str]]:
    return [
        (int(h.get(f"{{{NS['text']}}}outline-level")), "".join(h.itertext()))
        for h in content.iterfind(".//text:h", NS)
    ]


@pytest.mark.parametrize("edition", EDITIONS)
def test_headings_are_outline_headings_as_in_the_word_file(
    papers: tuple[Path, Results], edition: str
) -> None:
    folder = _folder(papers)
    with zipfile.ZipFile(folder / f"{edition}.docx") as word:
        body = etree.fromstring(word.read("word/document.xml"))
    in_word = []
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        level = re.fullmatch(r"Heading(\d)", style.get(f"{W}val") if style is not None else "")
        if level:
            in_word.append((int(level.group(1)), "".join(t.text or "" for t in p.iter(f"{W}t"))))
    headings = _headings(_part(folder / f"{edition}.odt", "content.xml"))
    assert len(headings) >= 5
    assert headings == in_word
    assert {level for level, _ in headings} <= {1, 2, 3}


def test_full_paper_has_contents_whose_entries_lead_to_its_headings(papers: tuple[Path, Results]) -> None:
    content = _part(_folder(papers) / "full-officials.odt", "content.xml")
    tocs = content.findall(".//text:table-of-content", NS)
    assert len(tocs) == 1
    entries = tocs[0].findall("text:index-body/text:p", NS)
    assert len(entries) >= 10
    headings = {text for _, text in _headings(content)}
    bookmarks = {
        b.get(f"{{{NS['text']}}}name")
        for tag in ("bookmark", "bookmark-start")
        for b in content.iterfind(f".//text:{tag}", NS)
    }
    for entry in entries:
        link = entry.find("text:a", NS)
        assert link is not None
        for tab in link.iterfind(".//text:tab", NS):
            tab.text = "\t"  # heading, tab, page number
        title, _, page = "".join(link.itertext()).partition("\t")
        assert title in headings
        assert page.isdigit()
        target = link.get(f"{{{NS['xlink']}}}href").removeprefix("#")
        assert target in bookmarks  # the entry is a working link
    for edition in ONE_PAGERS:
        assert (
            _part(_folder(papers) / f"{edition}.odt", "content.xml").find(".//text:table-of-content", NS)
            is None
        )


@pytest.mark.parametrize("edition", EDITIONS)
def test_marking_is_a_document_property_and_on_every_page(papers: tuple[Path, Results], edition: str) -> None:
    path = _folder(papers) / f"{edition}.odt"
    marking = _marking(papers, edition)
    meta = _part(path, "meta.xml")
    found = [
        e.text
        for e in meta.iterfind(".//meta:user-defined", NS)
        if e.get(f"{{{NS['meta']}}}name") == "Classification"
    ]
    assert found == [marking or "UNMARKED"]
    styles = _part(path, "styles.xml")
    edges = [
        "".join(e.itertext())
        for page in styles.iterfind(".//style:master-page", NS)
        for tag in ("header", "footer", "header-first", "footer-first")
        for e in page.iterfind(f"style:{tag}", NS)
    ]
    if marking:
        assert edges and all(marking in text for text in edges), edges
    else:
        assert not any("OFFICIAL" in text for text in edges), edges


def test_libreoffice_lays_out_one_pagers_on_one_page_and_marks_every_page(
    papers: tuple[Path, Results], tmp_path: Path
) -> None:
    folder = _folder(papers)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(folder / f"{edition}.odt") for edition in EDITIONS),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    for edition in ONE_PAGERS:
        pages = len(PdfReader(tmp_path / f"{edition}.pdf").pages)
        assert pages == 1, f"{edition}.odt opens as {pages} pages in LibreOffice"
    full = PdfReader(tmp_path / "full-officials.pdf").pages
    assert len(full) >= 6
    marking = _marking(papers, "full-officials")
    assert marking and all(page.extract_text().count(marking) >= 2 for page in full)  # top and bottom


@pytest.mark.parametrize("edition", EDITIONS)
def test_openxml_audit_finds_nothing_wrong(papers: tuple[Path, Results], edition: str) -> None:
    from openxml_audit import FileFormat, OdfValidator

    path = _folder(papers) / f"{edition}.odt"
    # What `openxml-audit FILE` runs (package, schema and semantic rules), then the OASIS ODF 1.3
    # Relax NG schema itself, as `--odf-level schema-core` does.
    checks = [
        OdfValidator(file_format=FileFormat.ODF_1_3),
        OdfValidator(
            file_format=FileFormat.ODF_1_3,
            semantic_validation=False,
            relaxng_validation=True,
            require_schema_routes=False,
        ),
    ]
    for validator in checks:
        result = validator.validate(path)
        assert [e.description for e in result.errors] == []


def test_odt_alone_is_byte_identical_and_needs_no_word_file_on_disk(
    papers: tuple[Path, Results], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    results = build_papers(SUMMARY, out=tmp_path, names=["one-page-minister"], formats=[Format.ODT])
    assert not results.failures, results.failures
    folder = tmp_path / "uk-japan-2026"
    assert sorted(p.name for p in folder.iterdir()) == [
        "one-page-minister.odt",
        "one-page-minister.report.json",
    ]
    again = (folder / "one-page-minister.odt").read_bytes()
    assert again == (_folder(papers) / "one-page-minister.odt").read_bytes()
    report = results.papers[0].report
    assert report["formats"] == ["odt"] and report["timings_s"]["odt"] > 0
    with zipfile.ZipFile(io.BytesIO(again)) as package:
        assert {i.date_time for i in package.infolist()} == {(2026, 1, 1, 0, 0, 0)}


def _fake_soffice(tmp_path: Path, script: str) -> Path:
    program = tmp_path / "soffice"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def _copy_of(papers: tuple[Path, Results], tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(papers[0], out)
    return out


def test_a_failed_conversion_keeps_the_last_good_odt(
    papers: tuple[Path, Results], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy_of(papers, tmp_path)
    target = out / "uk-japan-2026" / "one-page-minister.odt"
    before = target.read_bytes()
    monkeypatch.setenv(
        odt.SOFFICE_ENV,
        str(_fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2; exit 1')),
    )
    results = build_papers(SUMMARY, out=out, names=["one-page-minister"], formats=[Format.DOCX, Format.ODT])
    assert results.failures == {
        "one-page-minister": "one-page-minister: LibreOffice could not convert the Word file to .odt "
        "(exit 1: Error: source file could not be loaded)"
    }
    assert target.read_bytes() == before
    assert not list(target.parent.glob(".*.tmp"))


def test_a_conversion_past_its_deadline_is_stopped_with_its_children(
    papers: tuple[Path, Results], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy_of(papers, tmp_path)
    target = out / "uk-japan-2026" / "one-page-minister.odt"
    before = target.read_bytes()
    child = tmp_path / "child.pid"
    monkeypatch.setenv(odt.SOFFICE_ENV, str(_fake_soffice(tmp_path, f"sleep 60 & echo $! > {child}; wait")))
    monkeypatch.setattr(odt, "DEADLINE_S", 1.0)
    started = time.monotonic()
    results = build_papers(SUMMARY, out=out, names=["one-page-minister"], formats=[Format.ODT])
    assert time.monotonic() - started < 30
    assert results.failures == {
        "one-page-minister": "one-page-minister: LibreOffice did not convert the Word file to .odt within 1 s"
    }
    assert target.read_bytes() == before
    pid = int(child.read_text())
    try:  # gone, or a zombie waiting for a parent that does not reap (PID 1 in some containers)
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z")


def test_without_libreoffice_the_build_stops_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = str(tmp_path / "no-soffice")
    monkeypatch.setenv(odt.SOFFICE_ENV, missing)
    with pytest.raises(ConversionError) as caught:
        build_papers(SUMMARY, out=tmp_path / "out", names=["one-page-minister"], formats=[Format.ODT])
    assert str(caught.value) == (
        f"--format odt needs LibreOffice to convert the Word file, and BRIEFGEN_SOFFICE={missing!r} is "
        "not a program; install LibreOffice Writer or set BRIEFGEN_SOFFICE"
    )
    assert not (tmp_path / "out").exists()  # refused before anything was built or written
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "briefgen",
            "build",
            str(SUMMARY),
            "--length",
            "one-page",
            "--audience",
            "minister",
            "--format",
            "odt",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert run.returncode == 1
    assert (run.stdout + run.stderr).strip() == f"error: {caught.value}"


def test_regen_builds_an_edition_that_names_odt_and_watches_the_word_template(tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    project = make_project(tmp_path / "project")
    summary = project / MINI_SUMMARY
    summary.write_text(summary.read_text(encoding="utf-8") + "    formats: [pdf, odt]\n", encoding="utf-8")
    first = run(project, "regen")
    assert first.returncode == 3, first.stdout + first.stderr
    folder = project / "out" / "uk-japan-minimal"
    assert {p.suffix for p in folder.iterdir()} >= {".pdf", ".odt"}
    assert not (folder / f"{EDITION}.docx").exists()
    manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    record = next(iter(manifest["summaries"].values()))["papers"][EDITION]
    assert "template:reference.docx" in record["inputs"]  # the .odt is made from the .docx
    assert f"{EDITION}.odt" in record["outputs"]
    assert run(project, "regen").returncode == 0  # current: nothing to do
