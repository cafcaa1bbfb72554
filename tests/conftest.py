"""Fixtures shared across test modules: every summary's papers, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from briefgen.model import Format
from briefgen.run import Results, build_papers

ROOT = Path(__file__).resolve().parents[1]
SUMMARIES = sorted((ROOT / "briefs").glob("*.yaml"))


@pytest.fixture(scope="session", params=SUMMARIES, ids=[p.stem for p in SUMMARIES])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Results]]:
    """Build all fifteen papers of a summary once, in PDF, Word and HTML, with the quality gates on."""
    out = tmp_path_factory.mktemp("out")
    summary: Path = request.param
    results = build_papers(summary, out=out, formats=[Format.PDF, Format.DOCX, Format.HTML])
    assert not results.failures, results.failures
    yield out / results.papers[0].brief.summary_id, results
