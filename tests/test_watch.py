"""`briefgen watch`: it watches what the manifest says each paper was built from, and loses no edit."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from project import EDITION, SUMMARY, make_project, run

from briefgen import build as build_module
from briefgen import watch as watch_module
from briefgen.errors import LockError
from briefgen.regen import RegenReport
from briefgen.watch import watch, watched_files

CITED = "seeds/000_b445cf68cb3455ec.txt"


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("watch") / "project")
    result = run(project, "build", SUMMARY, "--format", "docx")
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture
def built(built_once: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(built_once, project)
    return project


def test_the_watched_files_are_the_summary_and_the_inputs_the_manifest_records(built: Path) -> None:
    (built / "seeds" / "notes.txt").write_text("not cited by any claim")
    manifest = json.loads((built / "out" / "manifest.json").read_text())
    inputs = manifest["summaries"][SUMMARY]["papers"][EDITION]["inputs"]
    recorded = {f"seeds/{k.rsplit('/', 1)[1]}" for k in inputs if k.startswith("source:")}
    recorded |= {f"templates/{k.partition(':')[2]}" for k in inputs if k.startswith("template:")}
    assert recorded >= {CITED, f"templates/layouts/{EDITION}.yaml", "templates/reference.docx"}

    files = watched_files([built / SUMMARY], out=built / "out", templates=built / "templates")
    assert files[0] == built / SUMMARY
    assert {str(p.relative_to(built.resolve())) for p in files[1:]} == recorded


def test_a_summary_never_built_is_watched_alone(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    files = watched_files([project / SUMMARY], out=project / "out", templates=project / "templates")
    assert files == [project / SUMMARY]


def _watch_in_thread(
    project: Path, lines: list[str], rounds: int | None, *, stop: threading.Event | None = None
) -> threading.Thread:
    thread = threading.Thread(
        target=watch,
        args=([project / SUMMARY],),
        kwargs={
            "out": project / "out",
            "templates": project / "templates",
            "emit": lines.append,
            "rounds": rounds,
            "poll": 0.2,
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    return thread


def test_a_file_saved_while_a_rebuild_runs_is_rebuilt_after_it(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edit that triggers a rebuild is followed by a second edit while the rebuild runs."""
    rebuilding = threading.Event()
    carry_on = threading.Event()
    real = build_module.verify_inputs

    def slow_verify(*args: Any, **kwargs: Any) -> Any:
        inputs = real(*args, **kwargs)  # the rebuild has read the summary: now hold it there
        rebuilding.set()
        carry_on.wait(timeout=60)
        return inputs

    # regen's rebuild imports it from briefgen.build when it runs, so it finds this one there.
    monkeypatch.setattr(build_module, "verify_inputs", slow_verify)
    summary = built / SUMMARY
    lines: list[str] = []
    stop = threading.Event()
    thread = _watch_in_thread(built, lines, rounds=None, stop=stop)
    time.sleep(0.5)
    summary.write_text(summary.read_text().replace("within the year.", "within the year. (first)", 1))
    assert rebuilding.wait(timeout=30)
    # Saved while the rebuild runs (it has read the summary already): this edit must not be lost.
    summary.write_text(summary.read_text().replace("(first)", "(second)", 1))
    rebuilding.clear()
    carry_on.set()
    assert rebuilding.wait(timeout=30), f"the second save was never rebuilt: {lines}"
    deadline = time.monotonic() + 60
    while len([line for line in lines if " rebuilt " in f" {line}"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # five more rounds, to see that nothing is rebuilt a third time
    stop.set()
    thread.join(timeout=120)
    assert not thread.is_alive()
    report = (built / "out" / "uk-japan-minimal" / f"{EDITION}.changes.md").read_text()
    assert "(second)" in report, report
    assert len([line for line in lines if " rebuilt " in f" {line}"]) == 2, lines


def test_a_failed_round_is_reported_and_watching_goes_on(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def busy_then_fine(summaries: list[Path], **kwargs: Any) -> RegenReport:
        calls.append(1)
        if len(calls) == 1:
            raise LockError("another briefgen run (pid 1) is writing out")
        return RegenReport()

    monkeypatch.setattr(watch_module, "regen", busy_then_fine)
    lines: list[str] = []
    watch(
        [built / SUMMARY],
        out=built / "out",
        templates=built / "templates",
        emit=lines.append,
        rounds=3,
        poll=0,
    )
    assert len(calls) == 2  # the round that failed is tried again
    assert [line.split(" ", 1)[1] for line in lines] == ["error: another briefgen run (pid 1) is writing out"]


def test_a_seed_that_breaks_is_one_error_line_and_watching_goes_on(built: Path) -> None:
    lines: list[str] = []
    stop = threading.Event()
    thread = _watch_in_thread(built, lines, rounds=None, stop=stop)
    time.sleep(0.5)
    (built / CITED).write_bytes(b"\xff\xfe not UTF-8\n")
    deadline = time.monotonic() + 60
    while not any("error:" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # five more rounds, in which the same error must not be printed again
    stop.set()
    thread.join(timeout=120)
    assert not thread.is_alive()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1, lines
    assert errors[0].endswith("is not UTF-8 (bad byte at offset 0)")
