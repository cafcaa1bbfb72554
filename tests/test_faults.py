"""Faults give one `error:` line and an exit code, never a traceback: a damaged manifest, a read-only or
full out/, a bad output folder, a seed that changes kind between build and regen, a template that
breaks the sandbox."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project import EDITION, SUMMARY, environment, make_project, papers, run

SEED = "seeds/000_b445cf68cb3455ec.txt"
DAMAGED = re.compile(
    r"warning: out/manifest\.json is damaged \((?P<why>[^)]*)\); set it aside as "
    r"out/manifest\.json\.damaged-\d{8}T\d{6}Z and rebuilt every paper"
)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with its paper built (PDF, Word): each test copies it, so only one build is paid for."""
    project = make_project(tmp_path_factory.mktemp("built") / "project")
    result = run(project, "build", SUMMARY)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture
def built(built_once: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(built_once, project, symlinks=True)
    return project


def _clean(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Return a run's stderr lines, having checked that it printed no traceback."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.stderr.splitlines()


def _errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in _clean(result) if line.startswith("error: ")]


# --- a damaged manifest --------------------------------------------------------------------------

DAMAGE = {
    "random-bytes": (bytes(range(256)) * 4, "not UTF-8 JSON"),
    "not-json": (b'{"version": 2, "summaries": {', "not UTF-8 JSON"),
    "a-list": (b"[1, 2, 3]\n", "expected an object with 'version' and 'summaries', not a list"),
    "no-id": (
        b'{"version": 2, "summaries": {"briefs/mini.yaml": {"papers": {}}}}',
        "summaries['briefs/mini.yaml'].id: missing",
    ),
    "paper-of-wrong-shape": (
        b'{"version": 2, "summaries": {"briefs/mini.yaml": {"id": "x", "editions": [], "papers": {"a": 1}}}}',
        "summaries['briefs/mini.yaml'].papers['a']: expected an object, not a number",
    ),
    "inputs-not-text": (
        b'{"version": 2, "summaries": {"briefs/mini.yaml": {"id": "x", "editions": [], "papers": {"a": '
        b'{"edition": "a", "length": "short", "audience": "officials", "formats": ["pdf"], '
        b'"inputs": {"version": 3}, "outputs": {}}}}}}',
        "summaries['briefs/mini.yaml'].papers['a'].inputs['version']: expected text, not a number",
    ),
}


@pytest.mark.parametrize("command", ["build", "regen"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_manifest_is_set_aside_and_every_paper_rebuilt(
    built: Path, command: str, damage: str
) -> None:
    data, why = DAMAGE[damage]
    (built / "out" / "manifest.json").write_bytes(data)
    result = run(built, command, SUMMARY)
    assert result.returncode == (0 if command == "build" else 3), result.stderr
    warnings = [line for line in _clean(result) if line.startswith("warning: ")]
    assert len(warnings) == 1, result.stderr
    match = DAMAGED.fullmatch(warnings[0])
    assert match is not None, warnings[0]
    assert match.group("why") == why
    [aside] = (built / "out").glob("manifest.json.damaged-*")
    assert aside.read_bytes() == data
    manifest = json.loads((built / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["summaries"]["briefs/mini.yaml"]["papers"]) == [EDITION]
    again = run(built, "regen", SUMMARY)
    assert again.returncode == 0, again.stderr
    assert not _clean(again)


def test_temporary_files_a_failed_save_left_in_out_are_swept(built: Path) -> None:
    for name in (".manifest.k2j3.tmp", ".manifest.json.0a1b2c3d.tmp"):  # briefgen 0.1 made the first
        (built / "out" / name).write_text("{")
    assert run(built, "regen", SUMMARY).returncode == 0
    assert not list((built / "out").glob(".*.tmp"))


# --- out/ that cannot be written ---------------------------------------------------------------


def _isolated(built: Path, mount: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run briefgen in its own mount namespace with out/ mounted as `mount` says; skip if not allowed."""
    shell = f'{mount} && exec "$0" -m briefgen "$@"'
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", shell, sys.executable, *args],
        cwd=built,
        env=environment(built),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode == 126 or "unshare failed" in result.stderr or "mount:" in result.stderr:
        pytest.skip(f"cannot make a mount namespace here: {result.stderr.strip()}")
    return result


READ_ONLY = "mount --bind out out && mount -o remount,bind,ro out"


@pytest.mark.parametrize("command", ["build", "regen"])
def test_a_read_only_out_is_one_error_line(built: Path, command: str) -> None:
    before = papers(built)
    (built / SUMMARY).write_text((built / SUMMARY).read_text() + "\n# edited\n")  # regen has work to do
    result = _isolated(built, READ_ONLY, command, SUMMARY)
    assert result.returncode == 1
    assert _errors(result) == ["error: cannot lock the output folder out: read-only file system"]
    assert papers(built) == before


def test_a_full_out_is_one_error_line_and_leaves_no_temporary_file(built: Path) -> None:
    (built / "out").rename(built / "old")
    (built / "out").mkdir()
    result = _isolated(built, "mount -t tmpfs -o size=24k tmpfs out", "build", SUMMARY)
    assert result.returncode == 1
    [error] = _errors(result)
    written = r"error: cannot write out/uk-japan-minimal/\S+: no space left on device"
    assert re.fullmatch(written, error), error


def test_out_naming_a_file_is_one_error_line(built: Path) -> None:
    for command in ("build", "regen"):
        result = run(built, command, SUMMARY, "--out", "out/manifest.json")
        assert result.returncode == 1
        assert _errors(result) == [
            "error: cannot use out/manifest.json as the output folder: it is a regular file"
        ]


# --- seeds that change between build and regen -------------------------------------------------


def test_a_seed_that_became_a_folder_is_one_error_line_and_the_paper_is_kept(built: Path) -> None:
    before = papers(built)
    (built / SEED).unlink()
    (built / SEED).mkdir()
    result = run(built, "regen", SUMMARY)
    assert result.returncode == 1
    assert _errors(result) == [
        f"error: {SUMMARY}: source 'tokyo-summit': {SEED}: is a folder, not a regular file"
    ]
    assert papers(built) == before


def test_a_seed_that_is_no_longer_utf8_is_one_error_line_and_the_paper_is_kept(built: Path) -> None:
    before = papers(built)
    (built / SEED).write_bytes((built / SEED).read_bytes() + b"\xff\xfe caf\xe9\n")
    result = run(built, "regen", SUMMARY)
    assert result.returncode == 1
    [error] = _errors(result)
    assert error.startswith(f"error: {SUMMARY}: source 'tokyo-summit': ")
    assert error.endswith(" is not UTF-8 (bad byte at offset 10500)")
    assert papers(built) == before


# --- hostile templates and summaries ----------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    ["{{ brief.__class__.__mro__ }}", "{{ ''.__class__.__base__.__subclasses__() }}", "{{ brief._fields }}"],
)
def test_a_template_that_breaks_the_sandbox_is_one_error_line(built: Path, expression: str) -> None:
    template = built / "templates" / "html" / "paper.html.j2"
    template.write_text(template.read_text().replace("<body", f"{expression}<body", 1))
    result = run(built, "build", SUMMARY, "--format", "html")
    assert result.returncode == 1
    [error] = _errors(result)
    assert error.startswith(f"error: {EDITION}: templates/html/paper.html.j2:"), error
    assert "SecurityError" in error or "UndefinedError" in error


def test_a_nul_byte_in_a_source_file_name_is_one_error_line(built: Path) -> None:
    summary = built / SUMMARY
    summary.write_text(summary.read_text().replace(f"file: {SEED}", f'file: "{SEED}\\0"', 1))
    for command in ("check", "build", "regen"):
        result = run(built, command, SUMMARY)
        assert result.returncode == 1
        assert _errors(result) == [
            f"error: {SUMMARY}:20:11: sources[0].file: control character U+0000 is not allowed in text"
        ], command


def test_debug_shows_the_traceback(built: Path) -> None:
    result = run(built, "--debug", "build", SUMMARY, "--out", "out/manifest.json")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "OutputError" in result.stderr
