"""Regen's change notes and output lines, quotes after a source change, moved projects, duplicate ids.

End to end, as cron runs it, in temporary copies of the project: the papers are built once per
module and each test gets its own copy of the built project.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from project import run
from pypdf import PdfReader
from test_regen import ROOT, rebuilt_papers

from briefgen.brief import Brief, CitationStyle
from briefgen.changes import MAX_LISTED, QuoteChange, QuoteEvent, change_note, rebuilt_line
from briefgen.locking import read_summary_id
from briefgen.manifest import PaperRecord, fit_key
from briefgen.model import Audience, Length, Summary
from briefgen.selection import Evidence

SUMMARY = "briefs/uk-japan-2026.yaml"
# Papers that print quotes: the minister's sources annex, officials' footnotes; and one in plain English.
EDITIONS = ["short-minister", "short-officials", "short-public"]
TOKYO = "seeds/000_b445cf68cb3455ec.txt"
PARTNERSHIP = "seeds/001_4569ab1ebb46e3de.txt"
OLD_WORDING = "This marks Starmer's first visit to Japan"
NEW_WORDING = "This marks Starmer's first trip to Japan"
REMOVED = (
    ", exchanging information on the nature of cyber threats"
    " and synchronizing actions against malicious actors"
)
# Selection prints the source's current passage for a reworded quote, and never a missing quote,
# once main's Evidence.passages lands; until then only the change notes can be checked.
HAS_PASSAGES = "passages" in {f.name for f in dataclasses.fields(Evidence)}


def _load(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / SUMMARY).read_text(encoding="utf-8"))
    return data


def _save(project: Path, data: dict[str, Any], name: str = SUMMARY) -> None:
    (project / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _stamps(project: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (project / "out").rglob("*") if p.name != ".briefgen.lock"}


def _manifest(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    return data


def _papers(project: Path) -> dict[str, Any]:
    papers: dict[str, Any] = _manifest(project)["summaries"][SUMMARY]["papers"]
    return papers


def _note(project: Path, edition: str) -> str:
    return (project / "out" / "uk-japan-2026" / f"{edition}.changes.md").read_text(encoding="utf-8")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _pdf_text(path: Path) -> str:
    return _flat(" ".join(page.extract_text() for page in PdfReader(path).pages))


def _docx_text(path: Path) -> str:
    """Return every paragraph of a .docx, the body's and the footnotes'."""
    document = docx.Document(str(path))
    roots = [document.element.body]
    roots += [parse_xml(p.blob) for p in document.part.package.parts if p.partname.endswith("/footnotes.xml")]
    paragraphs = (
        "".join(t.text or "" for t in p.iter(qn("w:t"))) for root in roots for p in root.iter(qn("w:p"))
    )
    return _flat(" ".join(paragraphs))


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project naming three editions, built once."""
    project = tmp_path_factory.mktemp("prebuilt")
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, project / name)
    for other in (project / "briefs").glob("*.yaml"):  # one summary: these tests count its papers
        if other.name != SUMMARY.split("/")[-1]:
            other.unlink()
    data = _load(project)
    data["editions"] = [e for e in data["editions"] if e["name"] in EDITIONS]
    _save(project, data)
    result = run(project, "build")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.fixture()
def built(prebuilt: Path, tmp_path: Path) -> Iterator[Path]:
    """This test's own copy of the built project (the manifest is keyed relative to the project)."""
    project = tmp_path / "project"
    shutil.copytree(prebuilt, project)
    yield project


# -- 1. regen --allow-warnings -------------------------------------------------------------------


def test_regen_allow_warnings_rebuilds_a_paper_over_a_quality_limit_and_records_it(built: Path) -> None:
    data = _load(built)
    claim = next(c for c in data["claims"] if c["id"] == "meeting-tokyo")
    claim["plain"] += " Both countries should gain from it."
    _save(built, data)
    failed = run(built, "regen")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "error: short-public: 'should' appears 1 times" in failed.stderr
    assert "short-public" not in rebuilt_papers(failed)

    result = run(built, "regen", "--allow-warnings")
    assert result.returncode == 3, result.stdout + result.stderr
    assert rebuilt_papers(result) == ["short-public"]
    options = json.loads(_papers(built)["short-public"]["inputs"]["options"])
    assert options == {"allow_warnings": True}
    assert run(built, "regen").returncode == 0


# -- 2. change notes -----------------------------------------------------------------------------


def test_the_note_reports_short_and_plain_rewording_and_what_else_the_paper_shows(built: Path) -> None:
    papers = _papers(built)
    short = next(c for c, e in papers["short-officials"]["claims"].items() if e["printed"] == ["short"])
    plain = next(c for c, e in papers["short-public"]["claims"].items() if e["printed"] == ["plain"])
    used = sorted(papers["short-public"]["shown"]["glossary"])[0]
    data = _load(built)
    claims = {c["id"]: c for c in data["claims"]}
    claims[short]["short"] = claims[short]["short"].rstrip(".") + ", officials say."
    claims[plain]["plain"] = claims[plain]["plain"].rstrip(".") + ", it says."
    data["subject"]["as_of"] = "2026-12-01"
    data["subject"]["status"] = "A leaders' joint statement, now followed by a work plan."
    next(g for g in data["glossary"] if g["term"] == used)["expansion"] += " (as named in 2026)"
    deleted = next(c for c in papers["short-officials"]["claims"] if claims[c]["priority"] > 1)
    data["claims"] = [c for c in data["claims"] if c["id"] != deleted]
    for dispute in data["disputes"]:
        dispute["claims"] = [c for c in dispute["claims"] if c != deleted]
    _save(built, data)
    result = run(built, "regen")
    assert result.returncode == 3, result.stdout + result.stderr

    officials = _note(built, "short-officials")
    section = officials.split("## Claims reworded: short form")[1].split("##")[0]
    assert f"- `{short}`:" in section and ", officials say.\u201d" in section
    assert "## Claims reworded: full text" not in officials
    assert "## Claims removed: deleted from the summary" in officials and f"`{deleted}`" in officials
    assert re.search(r"- as of: \u201c[0-9-]+\u201d \u2192 \u201c2026-12-01\u201d", officials)
    assert "- status:" in officials

    public = _note(built, "short-public")
    section = public.split("## Claims reworded: plain English")[1].split("##")[0]
    assert f"- `{plain}`:" in section and ", it says.\u201d" in section
    assert f"## Glossary\n\n- `{used}`: changed" in public


def test_a_claim_no_longer_for_this_audience_is_not_called_deleted(built: Path) -> None:
    papers = _papers(built)
    data = _load(built)
    claim = next(
        c
        for c in data["claims"]
        if c["id"] in papers["short-officials"]["claims"] and c["priority"] > 1 and len(c["audiences"]) > 1
    )
    claim["audiences"] = [a for a in claim["audiences"] if a != "officials"]
    _save(built, data)
    assert run(built, "regen").returncode == 3
    note = _note(built, "short-officials")
    removed = note.split("## Claims removed: no longer in this paper")[1].split("##")[0]
    assert f"- `{claim['id']}`: no longer written for officials readers" in removed
    assert "deleted from the summary" not in note


def _record(claims: dict[str, Any], shown: dict[str, Any]) -> PaperRecord:
    return PaperRecord(
        edition="short-officials",
        length="short",
        audience="officials",
        formats=["pdf"],
        inputs={},
        outputs={},
        claims=claims,
        shown=shown,
    )


def _summary_without_claims() -> Summary:
    """Return a Summary with no claims and no other field set: change_note reads only its claims.

    No valid summary is without claims, so it is built unvalidated. Its fields go in as a mapping:
    the pydantic plugin types model_construct as if it validated, with every required field named.
    """
    fields: dict[str, Any] = {"claims": []}
    return Summary.model_construct(**fields)


def _officials_brief(length: Length, included: tuple[str, ...] = ()) -> Brief:
    """Return an officials' paper with nothing in it but the claims it names: change_note reads no more."""
    return Brief(
        summary_id="s",
        edition=f"{length.value}-officials",
        length=length,
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
        sections=(),
        included=included,
    )


def test_a_note_against_an_old_record_says_what_it_cannot_know_and_does_not_crash() -> None:
    brief = _officials_brief(Length.SHORT, included=("a",))
    summary = _summary_without_claims()
    old = _record({"a": {"text": "Old full.", "priority": 2, "evidence": []}}, {})
    new_entry: dict[str, object] = {
        "text": "New full.",
        "short": "Short.",
        "plain": None,
        "priority": 2,
        "evidence": [],
    }
    new = _record({"a": {**new_entry, "printed": ["text"]}}, {"timeline": {"2026-01-31#1": "x"}})
    note = change_note("s/short-officials", old, new, brief, summary, [])
    assert (
        "## Claims reworded: full text\n\n- `a`: \u201cOld full.\u201d \u2192 \u201cNew full.\u201d" in note
    )
    assert "did not record short and plain-English forms" in note
    assert "did not record the subject, disputes, timeline or glossary" in note
    assert "## Timeline" not in note  # not known before: not a change


def test_timeline_entries_and_disputes_are_compared_by_fingerprint() -> None:
    brief = _officials_brief(Length.FULL)
    shown = {"subject": {"title": "T"}, "glossary": {}}
    old = _record({}, {**shown, "disputes": {"d1": "1", "d2": "2"}, "timeline": {"2026-01-31#1": "a"}})
    new = _record(
        {},
        {**shown, "disputes": {"d1": "1b"}, "timeline": {"2026-01-31#1": "a", "2026-01-31#2": "b"}},
    )
    note = change_note("s/full-officials", old, new, brief, _summary_without_claims(), [])
    assert "## Where sources differ\n\n- `d1`: changed\n- `d2`: no longer shown" in note
    assert "## Timeline\n\n- entry of 2026-01-31 (2): added" in note


# -- 3 and 4. quotes after a source change, and the run's output ---------------------------------


@pytest.fixture(scope="module")
def reworded_and_removed(
    prebuilt: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A built copy after one seed sentence is reworded slightly and another clause removed, regenerated.

    Made once for the tests that read it: none of them changes it.
    """
    project = tmp_path_factory.mktemp("reworded") / "project"
    shutil.copytree(prebuilt, project)
    _edit(project / TOKYO, OLD_WORDING, NEW_WORDING)
    _edit(project / PARTNERSHIP, REMOVED, "")
    return project, run(project, "regen")


def test_the_note_lists_quotes_to_confirm_and_evidence_lost(
    reworded_and_removed: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, result = reworded_and_removed
    assert result.returncode == 3, result.stdout + result.stderr
    for edition in ("short-minister", "short-officials"):
        note = _note(project, edition)
        confirm = note.split("## Quotes to confirm")[1].split("##")[0]
        since = " since taking office in July 2024"
        assert (
            f"- `first-japan-visit` ('tokyo-summit'): \u201c{OLD_WORDING}{since}\u201d "
            f"\u2192 \u201c{NEW_WORDING}{since}\u201d (match 9" in confirm
        )
        lost = note.split("## Evidence lost")[1].split("##")[0]
        assert (
            f"- `cyber-threat-sharing` ('partnership-new-level'): \u201c{REMOVED[2:]}\u201d is no longer in "
            "the source; the claim stands on its other evidence" in lost
        )


def test_the_run_names_each_claim_whose_evidence_changed_in_whole_lines(
    reworded_and_removed: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = reworded_and_removed
    lines = [line for line in result.stdout.splitlines() if line.startswith("rebuilt")]
    assert {"short-minister", "short-officials"} <= set(rebuilt_papers(result))
    for line in lines:
        if "short-public" in line:
            continue  # it cites neither quote
        assert "first-japan-visit (quote changed in 'tokyo-summit')" in line
        assert (
            "cyber-threat-sharing (quote gone from 'partnership-new-level': kept on its other evidence)"
            in line
        )


@pytest.mark.xfail(
    not HAS_PASSAGES, reason="selection prints the source's passage once main's lands", strict=True
)
def test_a_rebuilt_paper_prints_no_quote_its_source_no_longer_holds(
    reworded_and_removed: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    project, result = reworded_and_removed
    assert result.returncode == 3, result.stdout + result.stderr
    folder = project / "out" / "uk-japan-2026"
    texts = {}
    for edition in ("short-minister", "short-officials"):
        texts[f"{edition}.pdf"] = _pdf_text(folder / f"{edition}.pdf")
        texts[f"{edition}.docx"] = _docx_text(folder / f"{edition}.docx")
    assert any(NEW_WORDING in text for text in texts.values())  # the new wording is printed somewhere
    for name, text in texts.items():
        assert OLD_WORDING not in text, name
        assert "exchanging information on the nature of cyber threats" not in text, name


def test_a_priority_1_claim_that_lost_all_evidence_still_needs_an_analyst(built: Path) -> None:
    data = _load(built)
    claim = next(c for c in data["claims"] if c["id"] == "cyber-threat-sharing")
    claim["priority"] = 1
    claim["evidence"] = claim["evidence"][:1]  # only the clause about to be removed
    _save(built, data)
    assert run(built, "build").returncode == 0
    before = (built / "out" / "uk-japan-2026" / "short-officials.pdf").read_bytes()
    _edit(built / PARTNERSHIP, REMOVED, "")
    result = run(built, "regen")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "needs analyst: uk-japan-2026/short-officials: kept the last good paper" in result.stdout
    assert (built / "out" / "uk-japan-2026" / "short-officials.pdf").read_bytes() == before


def test_a_long_run_line_lists_whole_items_never_a_cut_word() -> None:
    reasons = [f"template changed: html/part-{n}.html.j2" for n in range(MAX_LISTED + 3)]
    quotes = [
        QuoteChange(f"claim-{n}", "tokyo-summit", QuoteEvent.REWORDED, "q", "q", "r", 90.0) for n in range(9)
    ]
    line = rebuilt_line(
        "s/short-officials: short-officials.pdf (3 pages, 900 words, 1.00 s)", reasons, quotes
    )
    assert "; and 3 more; evidence changed: " in line
    assert line.endswith(
        f"claim-{MAX_LISTED - 1} (quote changed in 'tokyo-summit'), and 3 more in the change note"
    )


# -- 5. the manifest is keyed relative to the project --------------------------------------------


def test_a_moved_project_rebuilds_nothing(built: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "project"
    moved.parent.mkdir()
    built.rename(moved)
    before = _stamps(moved)
    result = run(moved, "regen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not rebuilt_papers(result)
    assert _stamps(moved) == before
    assert list(_manifest(moved)["summaries"]) == [SUMMARY]


def test_an_old_manifest_keyed_by_absolute_path_is_adopted_without_rebuilding(built: Path) -> None:
    path = built / "out" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    absolute = str((built / SUMMARY).resolve())
    entry = data["summaries"].pop(SUMMARY)
    for paper in entry["papers"].values():
        paper["inputs"][f"summary:{absolute}"] = paper["inputs"].pop(f"summary:{SUMMARY}")
        for claim in paper["claims"].values():  # and what an older briefgen did not record
            for key in ("short", "plain", "printed"):
                claim.pop(key, None)
        paper.pop("shown")
    data["summaries"][absolute] = entry
    data["version"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    papers = [p for p in (built / "out" / "uk-japan-2026").iterdir() if p.suffix in (".pdf", ".docx")]
    before = {p: p.stat().st_mtime_ns for p in papers}

    result = run(built, "regen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p: p.stat().st_mtime_ns for p in papers} == before
    manifest = _manifest(built)
    assert manifest["version"] == 2 and list(manifest["summaries"]) == [SUMMARY]
    for paper in manifest["summaries"][SUMMARY]["papers"].values():
        assert f"summary:{SUMMARY}" in paper["inputs"]

    data = _load(built)  # and a later rebuild writes its note from the old record
    next(c for c in data["claims"] if c["id"] == "meeting-tokyo")["full"] += " They met for twenty minutes."
    _save(built, data)
    assert run(built, "regen").returncode == 3
    assert "did not record short and plain-English forms" in _note(built, "short-officials")


def test_adopting_an_old_key_keeps_a_one_page_fit() -> None:
    from briefgen.manifest import Manifest, SummaryRecord

    root = Path("/srv/briefgen")
    inputs = {"summary:/srv/briefgen/briefs/a.yaml": "1", "template:layouts/x.yaml": "2", "options": "{}"}
    paper = PaperRecord(
        edition="one-page-minister",
        length="one-page",
        audience="minister",
        formats=["pdf"],
        inputs=dict(inputs),
        outputs={},
        trims={"key": [fit_key(inputs)]},
    )
    manifest = Manifest(out=Path("out"))
    manifest.summaries["/srv/briefgen/briefs/a.yaml"] = SummaryRecord(
        path="/srv/briefgen/briefs/a.yaml", id="a", editions=["one-page-minister"], papers={"x": paper}
    )
    manifest.summaries["/elsewhere/briefs/b.yaml"] = SummaryRecord(
        path="/elsewhere/briefs/b.yaml", id="b", editions=[]
    )
    assert manifest.adopt(root)
    assert sorted(manifest.summaries) == ["/elsewhere/briefs/b.yaml", "briefs/a.yaml"]
    adopted = manifest.summaries["briefs/a.yaml"].papers["x"]
    assert "summary:briefs/a.yaml" in adopted.inputs
    assert adopted.trims["key"] == [fit_key(adopted.inputs)]


# -- 6. duplicate summary ids --------------------------------------------------------------------


def test_two_summaries_with_one_id_fail_regen_and_build_before_writing(built: Path) -> None:
    shutil.copy(built / SUMMARY, built / "briefs" / "zz-copy.yaml")
    before = _stamps(built)
    result = run(built, "regen")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "error: briefs/zz-copy.yaml: summary id 'uk-japan-2026' is already used by briefs/uk-japan-2026.yaml"
    ]
    built_copy = run(built, "build", "briefs/zz-copy.yaml")
    assert built_copy.returncode == 1
    assert built_copy.stderr.splitlines() == [
        "error: briefs/zz-copy.yaml: summary id 'uk-japan-2026' is already used by briefs/uk-japan-2026.yaml"
    ]
    assert _stamps(built) == before  # nothing written


def test_watch_reports_a_duplicate_id_and_writes_nothing(built: Path) -> None:
    from briefgen.watch import watch

    copy = built / "briefs" / "a-copy.yaml"
    shutil.copy(built / SUMMARY, copy)
    before = _stamps(built)
    lines: list[str] = []
    summaries = [copy, built / SUMMARY]
    watch(summaries, out=built / "out", templates=built / "templates", emit=lines.append, rounds=1, poll=0)
    assert [line.split(" ", 1)[1] for line in lines] == [
        f"error: {built / SUMMARY}: summary id 'uk-japan-2026' is already used by {copy}"
    ]
    assert _stamps(built) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schema: 1\nid: uk-japan-2026\nsubject: {}\n", "uk-japan-2026"),
        ("schema: 1\nsubject:\n  id: inner\n  title: x\nid: 'quoted-id'  # comment\n", "quoted-id"),
        ("{schema: 1, id: flow-id}\n", "flow-id"),
        ("schema: 1\nsubject: {}\n", None),
        ("- id: not-a-mapping\n", None),
        ("id: [1, 2]\n", None),
        ("id: : :\n", None),
    ],
)
def test_reading_a_summary_id_without_loading_it(tmp_path: Path, text: str, expected: str | None) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert read_summary_id(path) == expected
