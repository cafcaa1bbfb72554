"""Shared fixtures, and a guard: any WeasyPrint warning fails its test (as in WeasyPrint's own suite).

A test that provokes warnings on purpose asks for the `weasyprint_logs` fixture, which collects
them for it to check instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pages
import pytest

from briefgen.cli import JOBS_ENV
from briefgen.model import Format
from briefgen.render import HARMLESS_WEASYPRINT_MESSAGES
from briefgen.run import Results, build_papers


class _Collector(logging.Handler):
    """Keep the WARNING and worse messages WeasyPrint logs, the known harmless ones aside."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not any(harmless in message for harmless in HARMLESS_WEASYPRINT_MESSAGES):
            self.messages.append(message)


@pytest.fixture(autouse=True)
def _weasyprint_collector(request: pytest.FixtureRequest) -> Iterator[_Collector]:
    collector = _Collector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
    if collector.messages and "weasyprint_logs" not in request.fixturenames:
        pytest.fail("WeasyPrint warned: " + "; ".join(collector.messages), pytrace=False)


@pytest.fixture
def weasyprint_logs(_weasyprint_collector: _Collector) -> list[str]:
    """Return the WeasyPrint warnings a test provokes on purpose, so they do not fail it."""
    return _weasyprint_collector.messages


# The suite already runs a process per core: a command's own pool of render processes on top would
# only fight it for the cores. The tests of the pool ask for one with --jobs.
os.environ[JOBS_ENV] = "1"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Start one pytest-xdist worker more than there are cores (`-n auto`, as `make test` runs).

    A fifth of the suite's time is spent waiting (on local servers, Redis, LibreOffice, deadlines
    that must pass, another worker's build): a worker more keeps the cores busy meanwhile. On two
    cores the suite took 3 min 0 s with two workers and 2 min 35 s with three.
    """
    return len(os.sched_getaffinity(0)) + 1


ROOT = Path(__file__).resolve().parents[1]
SUMMARIES = sorted((ROOT / "briefs").glob("*.yaml"))


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the run's temporary folder that every pytest-xdist worker sees (each has its own below)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _first_one(folder: Path, *, wait: bool = True) -> Iterator[bool | None]:
    """Hold `folder`'s lock; yield True if no worker has made it yet (then mark it made on success).

    Without `wait`, yield None at once if another worker holds the lock.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    done = folder.with_name(folder.name + ".done")
    with folder.with_name(folder.name + ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        yield not done.exists()
        done.touch()


@pytest.fixture(scope="session", autouse=True)
def _pdf_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep what pypdf reads of a PDF for the whole run, for every worker (`pages.read_pdf`)."""
    pages.CACHE = _shared_folder(tmp_path_factory) / "pdf-text"
    pages.CACHE.mkdir(exist_ok=True)


def _build_all(summary: Path, shared: Path) -> Results:
    """Build every paper of a summary into the shared folder; keep the results for other workers."""
    out = shared / f"built-{summary.stem}"
    results = build_papers(summary, out=out, formats=[Format.PDF, Format.DOCX, Format.HTML])
    assert not results.failures, results.failures
    (out / "results.pickle").write_bytes(pickle.dumps(results))
    return results


def _built(summary: Path, shared: Path) -> Results:
    """Return the results of a summary another worker built."""
    results: Results = pickle.loads((shared / f"built-{summary.stem}" / "results.pickle").read_bytes())
    return results


@pytest.fixture(scope="session", params=SUMMARIES, ids=[p.stem for p in SUMMARIES])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Results]]:
    """Build all fifteen papers of a summary once, in PDF, Word and HTML, with the quality gates on.

    Once for the whole run: under pytest-xdist the first worker to need a summary builds it, under
    a lock in the folder all workers share, and the others read what it built. A worker that would
    wait for one builds the others meanwhile, so two workers build two summaries at once.
    """
    summary: Path = request.param
    shared = _shared_folder(tmp_path_factory)
    out = shared / f"built-{summary.stem}"
    with _first_one(out, wait=False) as first:
        results = _build_all(summary, shared) if first else None
    if first is None:
        # Another worker is building it: build those no worker has started meanwhile, then wait.
        for other in SUMMARIES:
            with _first_one(shared / f"built-{other.stem}", wait=False) as free:
                if free:
                    _build_all(other, shared)
        with _first_one(out) as first:
            results = _build_all(summary, shared) if first else None
    if results is None:
        results = _built(summary, shared)
    yield out / results.papers[0].brief.summary_id, results


@pytest.fixture(scope="session")
def word_layout(built: tuple[Path, Results], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder holding each built Word paper as LibreOffice lays it out: <edition>.pdf.

    One LibreOffice run for all fifteen, once for the whole run (as `built`), in a profile of its
    own so that no other LibreOffice can collide with it.
    """
    if shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed")
    folder, results = built
    word = _shared_folder(tmp_path_factory) / f"word-{folder.name}"
    with _first_one(word) as first:
        if first:
            subprocess.run(
                [
                    "libreoffice",
                    f"-env:UserInstallation=file://{word}-profile",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(word),
                    *(str(folder / f"{p.brief.edition}.docx") for p in results.papers),
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
    return word
