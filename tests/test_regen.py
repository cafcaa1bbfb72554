"""Scheduled regeneration, end to end, in a temporary copy of the project."""

from __future__ import annotations

import http.server
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import warm
import yaml
from project import environment, run
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = ["one-page-minister", "one-page-industry", "short-industry", "short-public"]
EXTRA_SENTENCE = "Small firms can bid for GCAP sensor work through a new joint portal opened in March."
EXTRA_QUOTE = "bid for GCAP sensor work through a new joint portal"


def _write_summary(project: Path, data: dict[str, object]) -> None:
    (project / "briefs" / "uk-japan-2026.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def make_project(folder: Path) -> Path:
    """Copy the project naming four editions, with a fourth source cited only by industry papers."""
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    for other in (folder / "briefs").glob("*.yaml"):  # one summary: these tests count its papers
        if other.name != "uk-japan-2026.yaml":
            other.unlink()
    (folder / "seeds" / "extra.txt").write_text(
        f"Industry bulletin.\n{EXTRA_SENTENCE}\nOther news follows.\n", encoding="utf-8"
    )
    data = yaml.safe_load((folder / "briefs" / "uk-japan-2026.yaml").read_text(encoding="utf-8"))
    data["editions"] = [e for e in data["editions"] if e["name"] in EDITIONS]
    data["sources"].append(
        {
            "id": "industry-bulletin",
            "label": "Industry Bulletin",
            "file": "seeds/extra.txt",
            "title": "Industry bulletin",
            "kind": "news",
            "reliability": "A test source.",
        }
    )
    data["claims"].append(
        {
            "id": "sme-portal",
            "role": "engagement",
            "kind": "fact",
            "priority": 2,
            "audiences": ["industry"],
            "short": "Small firms can bid for sensor work through a joint portal.",
            "full": "Small firms can bid for sensor work through a new joint portal.",
            "evidence": [{"source": "industry-bulletin", "quote": EXTRA_QUOTE}],
        }
    )
    _write_summary(folder, data)
    return folder


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """This test's own copy of the project, not built."""
    return make_project(tmp_path)


def outputs(project: Path) -> dict[str, bytes]:
    """Return every paper file under out/, by name."""
    folder = project / "out" / "uk-japan-2026"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".pdf", ".docx")}


def rebuilt_papers(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Return the papers a regen run says it rebuilt."""
    return sorted(
        line.split("/")[1].split(":")[0] for line in result.stdout.splitlines() if line.startswith("rebuilt")
    )


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with its four papers built, once for this module."""
    project = make_project(tmp_path_factory.mktemp("regen") / "project")
    result = run(project, "build")
    assert result.returncode == 0, result.stderr
    assert len(outputs(project)) == 2 * len(EDITIONS)
    return project


@pytest.fixture()
def built(built_once: Path, tmp_path: Path) -> Path:
    """This test's own copy of the built project (the manifest is keyed relative to the project)."""
    project = tmp_path / "project"
    shutil.copytree(built_once, project)
    return project


def test_regen_after_build_has_nothing_to_do_and_imports_no_weasyprint(built: Path) -> None:
    def stamps() -> dict[Path, int]:
        return {
            p: p.stat().st_mtime_ns
            for p in (built / "out").rglob("*")
            if p.is_file() and p.name != ".briefgen.lock"
        }

    before = stamps()
    result = run(built, "regen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout
    assert stamps() == before
    probe = (
        "import sys; from briefgen.regen import regen; from pathlib import Path; "
        "r = regen([Path('briefs/uk-japan-2026.yaml')], out=Path('out'), templates=Path('templates')); "
        "print(r.outcome.value, 'weasyprint' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=built,
        env=environment(built),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["0", "False", "False"]


def test_a_changed_quote_rebuilds_only_the_papers_citing_that_seed(built: Path) -> None:
    manifest = json.loads((built / "out" / "manifest.json").read_text())
    papers = next(iter(manifest["summaries"].values()))["papers"]
    citing = sorted(
        n
        for n, rec in papers.items()
        if any(k.startswith("source:industry-bulletin:") for k in rec["inputs"])
    )
    assert citing and set(citing) < set(EDITIONS)  # some papers cite it, not all
    before = outputs(built)
    seed = built / "seeds" / "extra.txt"
    seed.write_text(seed.read_text().replace("sensor work", "sensors work"), encoding="utf-8")

    result = run(built, "regen")
    assert result.returncode == 3, result.stdout + result.stderr
    assert rebuilt_papers(result) == citing
    after = outputs(built)
    for name, data in before.items():
        if name.rsplit(".", 1)[0] not in citing:
            assert after[name] == data, f"{name} was rewritten although it does not cite the seed"
    note = (built / "out" / "uk-japan-2026" / f"{citing[0]}.changes.md").read_text()
    assert "## Quotes to confirm" in note and "`sme-portal` ('industry-bulletin')" in note
    assert "sensors work" in note
    assert "evidence changed: sme-portal (quote changed in 'industry-bulletin')" in result.stdout
    assert run(built, "regen").returncode == 0  # and now it is current again


def test_a_quote_gone_from_its_source_drops_the_claim_and_says_so(built: Path) -> None:
    seed = built / "seeds" / "extra.txt"
    seed.write_text("Industry bulletin.\nOther news follows.\n", encoding="utf-8")
    result = run(built, "regen")
    assert result.returncode == 3, result.stdout + result.stderr
    paper = rebuilt_papers(result)[0]
    report = json.loads((built / "out" / "uk-japan-2026" / f"{paper}.report.json").read_text())
    assert "sme-portal" not in report["claims_included"]
    assert any(d["claim"] == "sme-portal" and "evidence" in d["why"] for d in report["claims_dropped"])
    note = (built / "out" / "uk-japan-2026" / f"{paper}.changes.md").read_text()
    assert "## Claims removed: no longer in this paper\n\n- `sme-portal`: its evidence was not found" in note
    assert "## Evidence lost\n\n- `sme-portal` ('industry-bulletin')" in note
    assert "evidence changed: sme-portal (quote gone from 'industry-bulletin': dropped)" in result.stdout


def test_a_priority_1_claim_losing_its_evidence_keeps_the_last_good_paper(built: Path) -> None:
    data = yaml.safe_load((built / "briefs" / "uk-japan-2026.yaml").read_text(encoding="utf-8"))
    claim = next(c for c in data["claims"] if c["id"] == "sme-portal")
    claim["priority"] = 1
    _write_summary(built, data)
    assert run(built, "build").returncode == 0
    before = outputs(built)
    (built / "seeds" / "extra.txt").write_text("Industry bulletin.\n", encoding="utf-8")
    result = run(built, "regen")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "needs analyst" in result.stdout and "sme-portal" in result.stdout
    assert outputs(built)["one-page-industry.pdf"] == before["one-page-industry.pdf"]


def test_editing_a_layout_rebuilds_only_the_papers_using_it(built: Path) -> None:
    layout = built / "templates" / "layouts" / "short-public.yaml"
    layout.write_text(layout.read_text() + "# reviewed\n", encoding="utf-8")
    result = run(built, "regen")
    assert result.returncode == 3
    assert rebuilt_papers(result) == ["short-public"]


def test_a_killed_build_leaves_every_previous_paper_intact(built: Path) -> None:
    before = outputs(built)
    codes = []
    for after_seconds in (0.2, 0.5, 0.8, 1.1):  # while it loads, lays out, writes
        with warm.start(
            ["build", "--format", "pdf", "--format", "docx"], cwd=built, env=environment(built)
        ) as process:
            time.sleep(after_seconds)
            process.send_signal(signal.SIGKILL)
            codes.append(process.wait())
        after = outputs(built)
        assert set(after) == set(before)
        for name, data in after.items():
            # Each file is the old paper or a complete new one, never a torn write.
            assert data == before[name] or (
                name.endswith(".pdf") and len(PdfReader(built / "out" / "uk-japan-2026" / name).pages) >= 1
            )
    assert -signal.SIGKILL in codes, codes  # at least one build was killed before it ended
    result = run(built, "regen")
    assert result.returncode in (0, 3), result.stderr
    assert not list((built / "out" / "uk-japan-2026").glob(".*.tmp"))


def test_two_concurrent_regens_do_not_corrupt_anything(built: Path) -> None:
    layout = built / "templates" / "layouts" / "one-page-minister.yaml"
    layout.write_text(layout.read_text() + "# reviewed\n", encoding="utf-8")
    procs = [warm.start(["regen", "--wait", "120"], cwd=built, env=environment(built)) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.wait() for p in procs)
    assert codes == [0, 3], results  # one rebuilt, the other found nothing left to do
    json.loads((built / "out" / "manifest.json").read_text())
    assert run(built, "regen").returncode == 0
    for name in outputs(built):
        if name.endswith(".pdf"):
            assert len(PdfReader(built / "out" / "uk-japan-2026" / name).pages) >= 1


def test_a_second_run_without_wait_exits_busy(built: Path) -> None:
    from briefgen.locking import output_lock

    with output_lock(built / "out"):
        result = run(built, "regen")
    assert result.returncode == 75
    assert "another briefgen run" in result.stderr


class _Page(http.server.BaseHTTPRequestHandler):
    body = b"<html><body><nav>Menu</nav><article><p>First text.</p></article></body></html>"

    def do_GET(self) -> None:
        etag = f'"{hash(self.body)}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/statement"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_url_source_changed_between_two_refreshes_is_rebuilt(project: Path, server: str) -> None:
    data = yaml.safe_load((project / "briefs" / "uk-japan-2026.yaml").read_text(encoding="utf-8"))
    bulletin = next(s for s in data["sources"] if s["id"] == "industry-bulletin")
    bulletin["url"] = server
    bulletin["file"] = "seeds/bulletin.txt"
    _Page.body = (
        f"<html><body><nav>Menu</nav><article><p>{EXTRA_SENTENCE}</p></article></body></html>".encode()
    )
    _write_summary(project, data)
    first = run(project, "sources", "refresh")
    assert first.returncode == 0, first.stderr
    assert (project / "seeds" / "bulletin.txt").read_text().strip() == EXTRA_SENTENCE
    assert run(project, "build").returncode == 0
    assert run(project, "sources", "refresh").stdout.startswith("not-modified")
    assert run(project, "regen").returncode == 0

    _Page.body = _Page.body.replace(b"sensor work", b"sensors work")
    second = run(project, "sources", "refresh")
    assert second.stdout.startswith("updated"), second.stdout + second.stderr
    result = run(project, "regen")
    assert result.returncode == 3
    assert rebuilt_papers(result) and all("industry" in p for p in rebuilt_papers(result))


def test_an_edit_away_from_every_quote_rebuilds_nothing(built: Path) -> None:
    before = outputs(built)
    seed = built / "seeds" / "extra.txt"
    seed.write_text(
        seed.read_text().replace("Other news follows.", "Other news follows today."), encoding="utf-8"
    )
    result = run(built, "regen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no quote a paper relies on did" in result.stdout
    assert outputs(built) == before
    again = run(built, "regen")
    assert again.returncode == 0 and "no quote" not in again.stdout


def test_watch_rebuilds_on_change_with_one_line_per_paper(built: Path) -> None:
    from briefgen.watch import watch

    lines: list[str] = []
    summary = built / "briefs" / "uk-japan-2026.yaml"
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=([summary],),
        kwargs={
            "out": built / "out",
            "templates": built / "templates",
            "emit": lines.append,
            "poll": 0.1,
            "stop": stop,
        },
    )
    thread.start()
    time.sleep(0.5)
    layout = built / "templates" / "layouts" / "one-page-industry.yaml"
    layout.write_text(layout.read_text() + "# reviewed\n", encoding="utf-8")
    deadline = time.monotonic() + 60
    while not any(" rebuilt " in f" {line}" for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # ten more rounds, to see that nothing is rebuilt twice
    stop.set()
    thread.join(timeout=120)
    assert not thread.is_alive()
    rebuilt = [line for line in lines if " rebuilt " in f" {line}"]
    assert len(rebuilt) == 1, lines
    assert "one-page-industry" in rebuilt[0] and "layouts/one-page-industry.yaml" in rebuilt[0]


def test_a_docx_only_rebuild_leaves_the_pdf_watched(built: Path) -> None:
    summary = built / "briefs" / "uk-japan-2026.yaml"
    data = yaml.safe_load(summary.read_text(encoding="utf-8"))
    next(c for c in data["claims"] if c["id"] == "sme-portal")["full"] = (
        "Small firms can now bid for sensor work."
    )
    _write_summary(built, data)
    only_docx = run(built, "build", "--length", "one-page", "--audience", "industry", "--format", "docx")
    assert only_docx.returncode == 0, only_docx.stderr
    result = run(built, "regen")
    assert result.returncode == 3
    # Every paper is rebuilt (the summary changed), the industry one-pager too: its PDF was stale.
    assert "one-page-industry" in rebuilt_papers(result)
    assert run(built, "regen").returncode == 0
