"""Theme papers (`--theme`) and parallel renders (`--jobs`): same files as one at a time."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import yaml
from project import run
from pypdf import PdfReader

from briefgen.build import verify_inputs
from briefgen.errors import BuildError
from briefgen.model import Role
from briefgen.pool import pack_error, unpack_error
from briefgen.themes import NARROWED_ROLES, narrow_inputs, narrow_to_theme

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "briefs" / "uk-japan-2026.yaml"


def test_a_theme_keeps_its_claims_the_framing_claims_and_their_disputes() -> None:
    summary = verify_inputs(SUMMARY).summary
    narrowed = narrow_to_theme(summary, "minerals")
    themes = {c.theme for c in narrowed.claims}
    assert themes == {"minerals", None}
    assert {c.id for c in narrowed.claims if c.theme == "minerals"} == {
        c.id for c in summary.claims if c.theme == "minerals"
    }
    assert all(c.role in NARROWED_ROLES for c in narrowed.claims if c.theme is None)
    assert not any(c.role is Role.AGREED and c.theme is None for c in narrowed.claims)
    kept = {c.id for c in narrowed.claims}
    assert "minerals-scope" in {d.id for d in narrowed.disputes}  # a dispute on minerals claims
    assert all(d.claims and set(d.claims) <= kept for d in narrowed.disputes)
    assert "print-date" not in {d.id for d in narrowed.disputes}  # concerns no claim
    assert narrowed.sources == summary.sources and narrowed.glossary == summary.glossary
    # The theme's own claims keep their priority; framing claims rank one lower, priority 1 aside.
    before = {c.id: c.priority for c in summary.claims}
    for claim in narrowed.claims:
        expected = before[claim.id] if claim.theme or before[claim.id] == 1 else min(before[claim.id] + 1, 3)
        assert claim.priority == expected, claim.id
    assert any(claim.priority != before[claim.id] for claim in narrowed.claims)


def test_narrowed_inputs_point_every_quote_check_at_its_claim() -> None:
    inputs = verify_inputs(SUMMARY)
    narrowed = narrow_inputs(inputs, "cyber")
    for check in narrowed.checks:
        if check.where.startswith("claims["):
            index = int(check.where[len("claims[") :].split("]")[0])
            assert narrowed.summary.claims[index].id == check.claim_id


def test_an_unknown_theme_names_the_known_ones() -> None:
    with pytest.raises(BuildError, match=r"unknown theme 'mineral'; known: defence, collective-security"):
        narrow_to_theme(verify_inputs(SUMMARY).summary, "mineral")


def test_errors_cross_the_process_boundary_whole() -> None:
    from briefgen.errors import EvidenceError, FitError, MarkingError, SummaryError

    problem = SummaryError.single("briefs/x.yaml", 3, 5, "claims[0].short", "too long")
    for error in (
        problem,
        EvidenceError("lost", ["a", "b"]),
        FitError("too big", ("c",)),
        MarkingError("sensitive"),
        ValueError("a bug"),
    ):
        back = unpack_error(pack_error(error))
        assert str(back) == str(error) or "a bug" in str(back)
        if not isinstance(error, ValueError):
            assert type(back) is type(error)
    back = unpack_error(pack_error(problem))
    assert isinstance(back, SummaryError) and back.problems == problem.problems


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose summary names three one-page editions."""
    folder = tmp_path_factory.mktemp("jobs")
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    path = folder / "briefs" / "uk-japan-2026.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    wanted = {"one-page-minister", "one-page-officials", "one-page-public"}
    data["editions"] = [e for e in data["editions"] if e["name"] in wanted]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (folder / "briefs" / "meridian-treaty-2025.yaml").unlink()
    return folder


def test_build_theme_names_the_file_and_titles_the_paper(project: Path) -> None:
    result = run(
        project, "build", "briefs/uk-japan-2026.yaml", "--length", "one-page", "--audience", "minister",
        "--theme", "minerals", "--out", "out-theme", "--format", "pdf",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pdf = project / "out-theme" / "uk-japan-2026" / "one-page-minister-minerals.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    assert reader.metadata is not None
    assert str(reader.metadata.title).endswith(": Critical minerals and economic security")
    report = json.loads(pdf.with_suffix("").with_suffix(".report.json").read_text(encoding="utf-8"))
    assert report["edition"] == "one-page-minister-minerals"
    # A paper on minerals keeps the minerals claims before the framing ones.
    assert {"minerals-urgent", "minerals-diversify", "ltt-minerals"} <= set(report["claims_included"])
    assert not {"gcap-dev", "cyber-threat-sharing"} & set(report["claims_included"])
    bad = run(project, "build", "briefs/uk-japan-2026.yaml", "--length", "one-page", "--theme", "nope")
    assert bad.returncode == 1 and "unknown theme 'nope'" in bad.stderr


def _files(out: Path) -> dict[str, bytes]:
    """Every output file, report timings left out (they differ between any two runs)."""
    files = {}
    for path in sorted((out / "uk-japan-2026").iterdir()):
        data = path.read_bytes()
        if path.name.endswith(".report.json"):
            report = json.loads(data)
            report.pop("timings_s")
            data = json.dumps(report, sort_keys=True).encode()
        files[path.name] = data
    return files


def test_jobs_2_writes_the_same_files_as_jobs_1(project: Path) -> None:
    one = run(project, "build", "briefs/uk-japan-2026.yaml", "--out", "j1", "-j", "1")
    two = run(project, "build", "briefs/uk-japan-2026.yaml", "--out", "j2", "-j", "2")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert [line.split(" (")[0] for line in one.stdout.splitlines()] == [
        line.split(" (")[0].replace("j2", "j1") for line in two.stdout.splitlines()
    ]
    assert _files(project / "j1") == _files(project / "j2")
    assert len(_files(project / "j1")) == 3 * 3

    # The summary changes: regen in parallel rebuilds the same papers into the same bytes.
    path = project / "briefs" / "uk-japan-2026.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "# reviewed\n", encoding="utf-8")
    try:
        regen_one = run(project, "regen", "briefs/uk-japan-2026.yaml", "--out", "j1", "--jobs", "1")
        regen_two = run(project, "regen", "briefs/uk-japan-2026.yaml", "--out", "j2", "--jobs", "2")
    finally:
        path.write_text(text, encoding="utf-8")
    assert regen_one.returncode == regen_two.returncode == 3, regen_one.stdout + regen_two.stderr
    rebuilt = regen_one.stdout.count("rebuilt ")
    assert rebuilt > 0 and regen_two.stdout.count("rebuilt ") == rebuilt
    assert _files(project / "j1") == _files(project / "j2")


def test_a_render_past_its_deadline_is_stopped_and_its_worker_replaced() -> None:
    from briefgen.model import Audience, Edition, Length
    from briefgen.pool import DeadlineError, PoolFullError, RenderJob, WarmPool

    edition = Edition(name="full-officials", length=Length.FULL, audience=Audience.OFFICIALS)
    job = RenderJob(summary=SUMMARY, edition=edition, templates=ROOT / "templates")
    with WarmPool(1, queue_size=1, deadline=0.05, templates=ROOT / "templates") as pool:
        pool.start()
        first = pool.pids()
        future = pool.submit(job)
        while pool.busy == 0 and not future.done():
            time.sleep(0.001)  # the worker has taken it: the queue is empty again
        waiting = pool.submit(job)
        with pytest.raises(PoolFullError, match=r"all 1 render workers are busy and 1 papers are waiting"):
            pool.submit(job)
        waiting.cancel()
        with pytest.raises(DeadlineError, match=r"took longer than 0\.05 s"):
            future.result(timeout=120)
        deadline = time.monotonic() + 120
        while pool.pids() in ([], first):
            assert time.monotonic() < deadline, "no worker replaced the one stopped"
            time.sleep(0.05)


def test_briefgen_jobs_sets_the_default_of_jobs_and_jobs_overrides_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import briefgen.pool
    from briefgen.cli import JOBS_ENV, app

    started: list[int] = []

    class Pool:
        """Stands in for WarmPool: records its size, and renders nothing."""

        def __init__(self, jobs: int, **_: object) -> None:
            started.append(jobs)

        def close(self) -> None:
            pass

    monkeypatch.setattr(briefgen.pool, "WarmPool", Pool)
    monkeypatch.chdir(project)
    runner = CliRunner()
    check = ["build", "briefs/uk-japan-2026.yaml", "--edition", "nope"]  # fails before rendering
    runner.invoke(app, check, env={JOBS_ENV: "3"})
    runner.invoke(app, [*check, "--jobs", "2"], env={JOBS_ENV: "3"})
    runner.invoke(app, check, env={JOBS_ENV: "1"})
    assert started == [3, 2]  # one job renders here, with no pool
    bad = runner.invoke(app, check, env={JOBS_ENV: "0"})
    assert bad.exit_code == 2 and JOBS_ENV in bad.output
