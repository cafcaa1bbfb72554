"""Build rules on edited copies of the summary: security, markings, fitting, quality gates, atomic writes."""

from __future__ import annotations

import http.server
import io
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from pypdf import PdfReader
from typer.testing import CliRunner

from briefgen.cli import app
from briefgen.errors import FitError, MarkingError
from briefgen.model import Audience, Format, Length
from briefgen.run import build_papers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the project's summary and seeds; templates stay where they are."""
    for name in ("briefs", "seeds"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def summary_of(project: Path) -> Path:
    return project / "briefs" / "uk-japan-2026.yaml"


def edit(project: Path, change: Any) -> None:
    """Load the copy's summary as data, let `change` edit it, write it back."""
    path = summary_of(project)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def claim(data: dict[str, Any], claim_id: str) -> dict[str, Any]:
    return next(c for c in data["claims"] if c["id"] == claim_id)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    _Recorder.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_yaml_values_pointing_at_files_or_urls_get_nothing_into_the_output(
    project: Path, server: str
) -> None:
    def hostile(data: dict[str, Any]) -> None:
        c = claim(data, "meeting-tokyo")
        c["full"] = f'They met. <img src="file:///etc/passwd"> <link rel="stylesheet" href="{server}/x.css">'
        c["short"] = c["full"]
        data["sources"][0]["url"] = f"{server}/source"

    edit(project, hostile)
    results = build_papers(
        summary_of(project),
        out=project / "out",
        length=Length.SHORT,
        audience=Audience.OFFICIALS,
        formats=[Format.PDF, Format.DOCX, Format.HTML],
    )
    assert not results.failures, results.failures
    folder = project / "out" / "uk-japan-2026"
    pdf = (folder / "short-officials.pdf").read_bytes()
    assert b"root:x:0:0" not in pdf
    text = " ".join(p.extract_text() for p in PdfReader(folder / "short-officials.pdf").pages)
    assert '<img src="file:///etc/passwd">' in text.replace("\n", " ")  # shown as text, never fetched
    html = (folder / "short-officials.html").read_text(encoding="utf-8")
    assert "&lt;img" in html and "<img" not in html
    assert _Recorder.hits == []


def test_a_template_pointing_at_files_or_urls_fails_and_fetches_nothing(
    project: Path, server: str, monkeypatch: pytest.MonkeyPatch, weasyprint_logs: list[str]
) -> None:
    templates = project / "templates"
    shutil.copytree(ROOT / "templates", templates)
    paper = templates / "html" / "paper.html.j2"
    paper.write_text(
        paper.read_text().replace(
            "<main>", f'<main><img src="file:///etc/passwd"><img src="{server}/pixel.png">', 1
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("BRIEFGEN_TEMPLATES", str(templates))
    results = build_papers(
        summary_of(project),
        out=project / "out",
        length=Length.SHORT,
        audience=Audience.OFFICIALS,
        templates=templates,
    )
    assert "short-officials" in results.failures
    assert "file:///etc/passwd" in results.failures["short-officials"]
    assert any("file:///etc/passwd" in message for message in weasyprint_logs)
    assert not (project / "out" / "uk-japan-2026" / "short-officials.pdf").exists()
    assert _Recorder.hits == []


@pytest.mark.parametrize("audience", ["public", "parliament"])
def test_a_sensitive_claim_in_a_public_paper_fails_the_build(project: Path, audience: str) -> None:
    def leak(data: dict[str, Any]) -> None:
        c = claim(data, "pillars-agreed")
        c["sensitivity"] = "OFFICIAL-SENSITIVE"

    edit(project, leak)
    results = build_papers(
        summary_of(project), out=project / "out", length=Length.ONE_PAGE, audience=Audience(audience)
    )
    assert "pillars-agreed" in results.failures[f"one-page-{audience}"]
    with pytest.raises(MarkingError):
        from briefgen.build import Builder, verify_inputs
        from briefgen.model import Edition

        Builder(verify_inputs(summary_of(project))).build(
            Edition(name=f"one-page-{audience}", length=Length.ONE_PAGE, audience=Audience(audience))
        )


def test_priority_1_content_that_cannot_fit_one_page_fails_naming_the_claims(project: Path) -> None:
    def everything_is_a_must(data: dict[str, Any]) -> None:
        for c in data["claims"]:
            if "minister" in c["audiences"] and c["kind"] in ("fact", "assessment", "line-to-take"):
                c["priority"] = 1

    edit(project, everything_is_a_must)
    from briefgen.build import Builder, verify_inputs
    from briefgen.model import Edition

    builder = Builder(verify_inputs(summary_of(project)), allow_warnings=True)
    names = r"[a-z0-9-]+(, [a-z0-9-]+)+"
    with pytest.raises(FitError, match=rf"one-page-minister: .*priority-1 claims.*: {names}"):
        builder.build(Edition(name="one-page-minister", length=Length.ONE_PAGE, audience=Audience.MINISTER))


def test_one_page_fit_drops_lowest_priority_first_and_reports_it(project: Path) -> None:
    results = build_papers(
        summary_of(project), out=project / "out", length=Length.ONE_PAGE, audience=Audience.OFFICIALS
    )
    paper = results.papers[0]
    fitted = [d for d in paper.report["claims_dropped"] if d["why"] == "dropped to fit the page"]
    assert fitted, "the officials' fact sheet is too long uncut: the fit must drop something"
    assert all(d["priority"] > 1 for d in fitted)
    kept = paper.report["claims_included"]
    assert {"meeting-tokyo", "pillars-agreed", "legal-form", "two-plus-two"} <= set(kept)
    assert len(PdfReader(project / "out" / "uk-japan-2026" / "one-page-officials.pdf").pages) == 1


def test_a_paper_over_a_quality_limit_fails_unless_allowed(project: Path) -> None:
    def ramble(data: dict[str, Any]) -> None:
        c = claim(data, "pillars-agreed")
        c["plain"] = " ".join(["they agreed to work together on many things"] * 6) + "."

    edit(project, ramble)
    runner = CliRunner()
    args = [
        "build",
        str(summary_of(project)),
        "--length",
        "full",
        "--audience",
        "public",
        "--out",
        str(project / "out"),
    ]
    failed = runner.invoke(app, args)
    assert failed.exit_code == 1
    assert "over the public limit of 25" in failed.stderr + failed.stdout
    assert not (project / "out" / "uk-japan-2026" / "full-public.pdf").exists()
    allowed = runner.invoke(app, [*args, "--allow-warnings"])
    assert allowed.exit_code == 0, allowed.output
    assert (project / "out" / "uk-japan-2026" / "full-public.pdf").exists()


def test_a_failed_build_keeps_the_last_good_paper(project: Path) -> None:
    out = project / "out"
    first = build_papers(summary_of(project), out=out, length=Length.ONE_PAGE, audience=Audience.PUBLIC)
    assert not first.failures
    pdf = out / "uk-japan-2026" / "one-page-public.pdf"
    before = pdf.read_bytes()

    def leak(data: dict[str, Any]) -> None:
        claim(data, "meeting-tokyo")["sensitivity"] = "OFFICIAL-SENSITIVE"

    edit(project, leak)
    second = build_papers(summary_of(project), out=out, length=Length.ONE_PAGE, audience=Audience.PUBLIC)
    assert second.failures
    assert pdf.read_bytes() == before
    assert not list((out / "uk-japan-2026").glob(".*.tmp"))


def test_docx_alone_reuses_the_fit_and_never_imports_weasyprint(project: Path) -> None:
    out = project / "out"
    assert not build_papers(
        summary_of(project), out=out, length=Length.ONE_PAGE, audience=Audience.OFFICIALS
    ).failures
    report_before = (out / "uk-japan-2026" / "one-page-officials.report.json").read_text()
    # The officials' fact sheet is cut to fit: the Word file must carry the same cut.
    assert any(d["why"] == "dropped to fit the page" for d in json.loads(report_before)["claims_dropped"])
    probe = (
        "import sys; from pathlib import Path; from briefgen.run import build_papers; "
        "from briefgen.model import Audience, Format, Length; "
        f"r = build_papers(Path({str(summary_of(project))!r}), out=Path({str(out)!r}), "
        "length=Length.ONE_PAGE, "
        "audience=Audience.OFFICIALS, formats=[Format.DOCX]); "
        "print(bool(r.failures), 'weasyprint' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"], result.stderr
    before = json.loads(report_before)["claims_included"]
    after = json.loads((out / "uk-japan-2026" / "one-page-officials.report.json").read_text())[
        "claims_included"
    ]
    assert after == before


def test_docs_example_is_a_valid_summary(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "summary-format.md").read_text(encoding="utf-8")
    complete = text.split("## A small complete example", 1)[1]
    example = complete.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "briefs").mkdir()
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    path = tmp_path / "briefs" / "example.yaml"
    path.write_text(example, encoding="utf-8")
    from briefgen.check import check_summary

    report = check_summary(path)
    assert report.errors == [], [str(p) for p in report.errors]
    assert len(report.checks) == 5


def test_a_repeat_build_reuses_the_fit_and_gives_the_same_bytes(project: Path) -> None:
    out = project / "out"
    folder = out / "uk-japan-2026"
    first = build_papers(summary_of(project), out=out, length=Length.ONE_PAGE, audience=Audience.PARLIAMENT)
    assert not first.failures and first.papers[0].report["fit_rounds"] >= 1
    before = {n: (folder / n).read_bytes() for n in ("one-page-parliament.pdf", "one-page-parliament.docx")}
    # The second build knows the fit: one layout to check it, and the Word file written in a child.
    second = build_papers(summary_of(project), out=out, length=Length.ONE_PAGE, audience=Audience.PARLIAMENT)
    assert not second.failures and second.papers[0].report["fit_rounds"] == 0
    assert {n: (folder / n).read_bytes() for n in before} == before


def test_a_known_fit_that_no_longer_fits_is_fitted_again(project: Path) -> None:
    out = project / "out"
    assert not build_papers(
        summary_of(project), out=out, length=Length.ONE_PAGE, audience=Audience.MINISTER
    ).failures
    # Same claims, longer layout: the recorded cuts would overflow, so the build must fit afresh.
    from briefgen.build import Builder, verify_inputs
    from briefgen.model import Edition
    from briefgen.selection import Trims

    builder = Builder(verify_inputs(summary_of(project)))
    edition = Edition(name="one-page-officials", length=Length.ONE_PAGE, audience=Audience.OFFICIALS)
    paper = builder.build(edition, trims=Trims())  # "no cuts" is a known fit that overflows
    assert paper.report["fit_rounds"] >= 1 and paper.report["pages"] == 1
    assert len(PdfReader(io.BytesIO(paper.files["one-page-officials.pdf"])).pages) == 1
