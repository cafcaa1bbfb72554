"""Regen end to end: --allow-warnings, a moved project, an older manifest, duplicate summary ids.

As cron runs it, in temporary copies of the project: the papers are built once per
module and each test gets its own copy of the built project.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_regen import ROOT, rebuilt_papers, run

from briefgen.manifest import PaperRecord, fit_key
from briefgen.regen import read_summary_id

SUMMARY = "briefs/uk-japan-2026.yaml"
# Papers that print quotes: the minister's sources annex, officials' footnotes; and one in plain English.
EDITIONS = ["short-minister", "short-officials", "short-public"]


def _load(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / SUMMARY).read_text(encoding="utf-8"))
    return data


def _save(project: Path, data: dict[str, Any], name: str = SUMMARY) -> None:
    (project / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _stamps(project: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (project / "out").rglob("*") if p.name != ".briefgen.lock"}


def _manifest(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    return data


def _papers(project: Path) -> dict[str, Any]:
    papers: dict[str, Any] = _manifest(project)["summaries"][SUMMARY]["papers"]
    return papers


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project naming three editions, built once."""
    project = tmp_path_factory.mktemp("prebuilt")
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, project / name)
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
