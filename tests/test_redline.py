"""Redlines: a Word paper marked against its previous edition, checked in python-docx and LibreOffice."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from docx import Document
from lxml import etree
from openxml_audit import OpenXmlValidator, ValidationSeverity
from project import run

from briefgen.redline import W, paragraph_text, text_edits

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = "briefs/meridian-treaty-2025.yaml"
PAPER = "out/meridian-treaty-2025/short-officials"
SYSTEM_PYTHON = "/usr/bin/python3"  # LibreOffice's UNO bindings (Debian: python3-uno) live there


def _summary(project: Path, *, edited: bool) -> None:
    """Write the summary naming one Word paper; `edited` rewords, adds, cuts and requotes."""
    data = yaml.safe_load((ROOT / SUMMARY).read_text(encoding="utf-8"))
    data["editions"] = [
        {"name": "short-officials", "length": "short", "audience": "officials", "formats": ["docx"]}
    ]
    if edited:
        claims = {c["id"]: c for c in data["claims"]}
        claims["troop-ceiling"]["short"] = (
            "Carridan may have up to 3,000 personnel in Vasterra, or 4,500 for at most 60 days"
            " during notified exercises."
        )
        claims["infrastructure-fund"]["short"] += " The fund is reviewed every five years."
        claims["sofa-jurisdiction"]["evidence"][0]["quote"] = (
            "shall have the primary right to exercise jurisdiction for offences arising out of any act or"
            " omission done in the performance of official duty."
        )
        data["claims"] = [c for c in data["claims"] if c["id"] != "risk-reopening"]
    (project / SUMMARY).write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


@dataclass
class Editions:
    project: Path
    old: Path
    new: Path
    redline: Path


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> Editions:
    """Build a paper, edit its summary, regen: the old, new and redline Word files."""
    project = tmp_path_factory.mktemp("project")
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, project / name)
    for other in (project / "briefs").glob("*.yaml"):
        other.unlink()
    _summary(project, edited=False)
    result = run(project, "build")
    assert result.returncode == 0, result.stderr
    old = project / "old.docx"
    shutil.copy(project / f"{PAPER}.docx", old)
    assert not (project / f"{PAPER}.redline.docx").exists()  # a first build has nothing to compare
    _summary(project, edited=True)
    result = run(project, "regen")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "short-officials.redline.docx" in result.stdout
    return Editions(project, old, project / f"{PAPER}.docx", project / f"{PAPER}.redline.docx")


def test_regen_redline_passes_openxml_audit(editions: Editions) -> None:
    result = OpenXmlValidator(max_errors=0).validate(editions.redline)
    assert [str(e) for e in result.errors if e.severity is ValidationSeverity.ERROR] == []


def _changes(data: bytes, part: str) -> list[tuple[str, str, str, str]]:
    """Return each w:ins and w:del of a part: kind, author, date, the text it holds."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read(part))
    found = []
    for mark in root.xpath("//w:ins[not(parent::w:rPr)]|//w:del[not(parent::w:rPr)]", namespaces={"w": W}):
        text = "".join(mark.xpath(".//w:t/text()|.//w:delText/text()", namespaces={"w": W}))
        found.append(
            (etree.QName(mark).localname, mark.get(f"{{{W}}}author"), mark.get(f"{{{W}}}date"), text)
        )
    return found


def test_regen_writes_a_redline_that_python_docx_opens(editions: Editions) -> None:
    data = editions.redline.read_bytes()
    document = Document(io.BytesIO(data))
    new = Document(str(editions.new))
    assert len(document.tables) == len(new.tables)
    assert [p.text for p in document.paragraphs[:5]] == [p.text for p in new.paragraphs[:5]]
    body = _changes(data, "word/document.xml")
    assert body and {(kind, author) for kind, author, _, _ in body} == {
        ("ins", "briefgen"),
        ("del", "briefgen"),
    }
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", date or "") for _, _, date, _ in body)


def test_changes_are_marked_by_sentence_and_word_not_by_paragraph(editions: Editions) -> None:
    body = [(kind, text) for kind, _, _, text in _changes(editions.redline.read_bytes(), "word/document.xml")]
    assert ("del", "up to") in body and ("ins", "at most") in body  # a reworded sentence, by word
    assert ("ins", "The fund is reviewed every five years.") in body  # an inserted sentence
    assert any(
        kind == "del" and text.startswith("The loosely drafted extraordinary review") for kind, text in body
    )
    assert not any("personnel in Vasterra" in text for _, text in body)  # unchanged words stay unmarked
    notes = [
        (kind, text) for kind, _, _, text in _changes(editions.redline.read_bytes(), "word/footnotes.xml")
    ]
    assert any(
        kind == "del" and text.startswith("A certificate issued") for kind, text in notes
    )  # reworded note
    assert any(
        kind == "del" and "loosely drafted safety valve" in text for kind, text in notes
    )  # removed note


def test_text_edits_keep_unchanged_sentences_whole() -> None:
    old = "First sentence stays. Second one goes up to here."
    new = "First sentence stays. Second one goes at most here. A third is new."
    changed = [(t, old[i1:i2], new[j1:j2]) for t, i1, i2, j1, j2 in text_edits(old, new) if t != "equal"]
    assert changed == [
        ("replace", "up to", "at most"),
        ("insert", "", " "),
        ("insert", "", "A third is new."),
    ]


def _texts(path: Path) -> list[str]:
    """Return the non-empty paragraphs of the body, then of the footnotes, as printed."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        found = []
        for part in ("word/document.xml", "word/footnotes.xml"):
            if part in names:
                root = etree.fromstring(archive.read(part))
                found += [
                    t
                    for p in root.iter(f"{{{W}}}p")
                    if (t := paragraph_text(p).replace("\ufffc", "").strip())
                ]
    return found


def _has_uno() -> bool:
    if not shutil.which("soffice") or not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_uno(), reason="needs LibreOffice and python3-uno")
def test_libreoffice_accepting_gives_the_new_edition_and_rejecting_the_old(
    editions: Editions, tmp_path: Path
) -> None:
    jobs = [
        {"in": str(editions.redline), "action": "accept", "out": str(tmp_path / "accepted.docx")},
        {"in": str(editions.redline), "action": "reject", "out": str(tmp_path / "rejected.docx")},
        {"in": str(editions.new), "action": "none", "out": str(tmp_path / "new.docx")},
        {"in": str(editions.old), "action": "none", "out": str(tmp_path / "old.docx")},
    ]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    script = Path(__file__).with_name("lo_changes.py")
    result = subprocess.run(
        [SYSTEM_PYTHON, str(script), str(tmp_path / "jobs.json")], capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout.strip().splitlines()[-1])
    assert listed[0]["changes"] >= 8 and listed[0]["authors"] == ["briefgen"]  # LibreOffice lists them
    assert listed[2]["changes"] == 0
    # Each edition is also saved through LibreOffice, so both sides of a comparison went the same way.
    assert _texts(tmp_path / "accepted.docx") == _texts(tmp_path / "new.docx")
    assert _texts(tmp_path / "rejected.docx") == _texts(tmp_path / "old.docx")


def test_build_redline_against_makes_one_on_demand(editions: Editions) -> None:
    args = ["build", SUMMARY, "--length", "short", "--audience", "officials", "--format", "docx"]
    result = run(editions.project, *args, "--out", "again", "--redline-against", str(editions.old))
    assert result.returncode == 0, result.stderr
    made = editions.project / "again" / "meridian-treaty-2025" / "short-officials.redline.docx"
    body = [(kind, text) for kind, _, _, text in _changes(made.read_bytes(), "word/document.xml")]
    assert ("ins", "at most") in body
    args = ["build", SUMMARY, "--length", "short", "--out", "again", "--redline-against", str(editions.old)]
    result = run(editions.project, *args)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: --redline-against {editions.old}: compares one paper, and 5 were chosen;"
        " choose one with --length and --audience or --edition\n"
    )
