"""The suite's warm forks (tests/warm.py) behave as a fresh `python -m briefgen` does."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import warm
from project import EDITION, SUMMARY, environment, make_project

from briefgen.locking import output_lock


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("warm"))


def _fresh(project: Path, *args: str, umask: int = -1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "briefgen", *args],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        timeout=120,
        umask=umask,
    )


def _same(text: str) -> str:
    """Leave out what differs between any two runs: the seconds a paper took."""
    return re.sub(r"\d+\.\d+ s\b", "N s", text)


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "briefs/absent.yaml"],
        ["build", "--no-such-option"],
        ["build", SUMMARY, "--edition", "absent"],
        ["build", SUMMARY, "--format", "pdf", "--out", "out-{}"],
        ["regen", SUMMARY, "--out", "out-{}"],
        ["--debug", "build", SUMMARY, "--out", SUMMARY],
    ],
    ids=["check", "missing", "usage", "edition", "build", "regen", "debug"],
)
def test_a_fork_prints_and_exits_as_a_fresh_interpreter(project: Path, args: list[str]) -> None:
    fresh = _fresh(project, *(a.format("fresh") for a in args))
    forked = warm.run([a.format("forked") for a in args], cwd=project, env=environment(project))
    assert forked.returncode == fresh.returncode
    assert _same(forked.stdout) == _same(fresh.stdout).replace("out-fresh", "out-forked")
    assert _same(forked.stderr) == _same(fresh.stderr).replace("out-fresh", "out-forked")
    if "out-{}" in args:
        for name in (f"{EDITION}.pdf", "manifest.json"):
            found = [p.relative_to(project / "out-forked") for p in (project / "out-forked").rglob(name)]
            assert found and found == [
                p.relative_to(project / "out-fresh") for p in (project / "out-fresh").rglob(name)
            ]


def test_a_fork_follows_its_umask_and_environment(project: Path) -> None:
    forked = warm.run(
        ["build", SUMMARY, "--out", "out-umask"], cwd=project, env=environment(project), umask=0o027
    )
    assert forked.returncode == 0, forked.stderr
    paper = next((project / "out-umask").rglob(f"{EDITION}.pdf"))
    assert paper.stat().st_mode & 0o777 == 0o640
    # The environment is the one given, not this process's: templates named there are used.
    env = {**environment(project), "BRIEFGEN_TEMPLATES": str(project / "absent-templates")}
    missing = warm.run(["build", SUMMARY, "--out", "out-env"], cwd=project, env=env)
    assert missing.returncode == 1 and "absent-templates" in missing.stderr


def test_a_fork_holds_no_descriptor_of_this_process(project: Path) -> None:
    out = project / "out-lock"
    with output_lock(out):
        waiting = warm.start(
            ["regen", SUMMARY, "--out", "out-lock", "--wait", "20"], cwd=project, env=environment(project)
        )
        time.sleep(0.5)
    # Had the fork kept this process's descriptor of the lock, it would wait on itself and give up.
    assert waiting.wait(60) in (0, 3), waiting.communicate()


def test_a_fork_can_be_killed_and_timed_out(project: Path) -> None:
    child = warm.start(
        ["watch", SUMMARY, "--out", "out-watch", "--poll", "0.2"], cwd=project, env=environment(project)
    )
    with pytest.raises(subprocess.TimeoutExpired):
        child.wait(0.5)
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        warm.run(
            ["watch", SUMMARY, "--out", "out-watch", "--poll", "0.2"],
            cwd=project,
            env=environment(project),
            timeout=0.5,
        )
    assert time.monotonic() - started < 10


def test_a_fork_leaves_nothing_in_its_temporary_folder(project: Path, tmp_path: Path) -> None:
    # A fresh interpreter removes WeasyPrint's font folder as it exits; a fork never exits that way.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**environment(project), "TMPDIR": str(temporary)}
    built = warm.run(["build", SUMMARY, "--format", "pdf", "--out", "out-tmp"], cwd=project, env=env)
    assert built.returncode == 0, built.stderr
    assert list(temporary.iterdir()) == []
