"""The review workflow on the command line: sources add, evidence add, regen, check --disputes, draft."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefgen.cli import app
from briefgen.loading import load_summary

ROOT = Path(__file__).resolve().parents[1]
REPORT = Path(__file__).parent / "data" / "review" / "sarn-observer-report.txt"
MERIDIAN = Path("briefs/meridian-treaty-2025.yaml")
UK_JAPAN = Path("briefs/uk-japan-2026.yaml")


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project, as the working folder."""
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFGEN_TEMPLATES", str(tmp_path / "templates"))
    return tmp_path


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_sources_add_writes_the_entry_in_place_and_reviews(project: Path) -> None:
    before = MERIDIAN.read_text(encoding="utf-8")
    code, out = invoke(
        "sources", "add", str(REPORT), "--summary", str(MERIDIAN), "--no-input", "--reliability", "Invented."
    )
    assert code == 0, out
    assert "title: 'Kestrel Point prepares for its first Carridanian rotation' (guessed" in out
    assert "added source 'sarn-strait-observer' (seeds/sarn-observer-report.txt)" in out
    assert "contradicts (number): troop-ceiling" in out and "contradicts (name): carridan-view" in out
    after = MERIDIAN.read_text(encoding="utf-8")
    start = after.index("  - id: sarn-strait-observer\n")
    end = after.index("\n\n", start) + 1
    assert after[:start] + after[end:] == before  # only the new entry was written
    assert (project / "seeds" / "sarn-observer-report.txt").read_bytes() == REPORT.read_bytes()
    review = json.loads(
        (project / "out" / "meridian-treaty-2025" / "review-sarn-strait-observer.json").read_text()
    )
    assert review["counts"] == {"confirms": 2, "contradicts": 2, "requoted": 1, "adds": 1}
    assert (project / "out" / "meridian-treaty-2025" / "review-sarn-strait-observer.md").exists()
    code, out = invoke("check", str(MERIDIAN))
    assert code == 0, out


def test_sources_add_asks_for_what_it_cannot_find(project: Path) -> None:
    untitled = project / "untitled.txt"
    untitled.write_text("the treaty was ratified, officials said, after a long debate in the assembly.\n")
    code, out = invoke("sources", "add", str(untitled), "--summary", str(MERIDIAN), "--no-input")
    assert code == 1
    assert "error: the source's title was not found in its text; pass --title" in out
    code, out = invoke(
        "sources", "add", str(untitled), "--summary", str(MERIDIAN), "--no-input",
        "--title", "Assembly notes", "--kind", "news", "--id", "assembly-notes",
    )  # fmt: skip
    assert code == 0, out
    entry = next(s for s in load_summary(MERIDIAN).sources if s.id == "assembly-notes")
    assert (entry.title, entry.kind.value, entry.publisher) == ("Assembly notes", "news", "unknown")


PAGE = """<!doctype html><html><head><title>Row | Gazette</title>
<meta property="og:title" content="Treaty row deepens in Port Meridian">
<meta property="og:site_name" content="The Port Meridian Gazette">
<meta name="author" content="Jo Smith">
<meta property="article:published_time" content="2025-10-14T09:00:00Z">
</head><body><nav>Home</nav><article><h1>Treaty row deepens in Port Meridian</h1>
<p>Officials said the treaty allows up to 3,000 Carridanian personnel in Vasterra at any time.</p>
</article><footer>Copyright</footer></body></html>"""


@pytest.fixture()
def site() -> Iterator[str]:
    """A local web server with one article page."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/row"
    finally:
        server.shutdown()
        server.server_close()


def test_sources_add_url_reads_the_page_metadata_and_stores_a_snapshot(project: Path, site: str) -> None:
    code, out = invoke("sources", "add", site, "--summary", str(MERIDIAN), "--no-input", "--kind", "news")
    assert code == 0, out
    source = next(s for s in load_summary(MERIDIAN).sources if s.url == site)
    assert (source.id, source.title, source.publisher, source.author) == (
        "port-meridian-gazette",
        "Treaty row deepens in Port Meridian",
        "The Port Meridian Gazette",
        "Jo Smith",
    )
    assert str(source.date) == "2025-10-14" and source.file == "seeds/port-meridian-gazette.txt"
    text = (project / source.file).read_text(encoding="utf-8")
    assert "3,000 Carridanian personnel" in text and "Copyright" not in text
    state = json.loads((project / "seeds/snapshots/port-meridian-gazette/state.json").read_text())
    assert state["etag"] == '"v1"' and state["url"] == site
    assert "confirms: troop-ceiling" in out
    code, out = invoke("sources", "refresh", str(MERIDIAN))
    assert code == 0 and "port-meridian-gazette: unchanged" in out


def test_evidence_add_verifies_the_quote_and_writes_it_in_place(project: Path) -> None:
    invoke(
        "sources", "add", str(REPORT), "--summary", str(MERIDIAN), "--no-input", "--reliability", "Invented."
    )
    passage = "no Carridanian unit may remain in Vasterra for more than nine months continuously"
    before = MERIDIAN.read_text(encoding="utf-8")
    code, out = invoke(
        "evidence", "add", "rotation", "sarn-strait-observer", passage, "--summary", str(MERIDIAN)
    )
    assert code == 0, out
    assert re.match(r"briefs/meridian-treaty-2025.yaml:\d+: added evidence", out)
    after = MERIDIAN.read_text(encoding="utf-8")
    added = f'      - source: sarn-strait-observer\n        quote: "{passage}"\n'
    assert added in after and after.replace(added, "", 1) == before
    rotation = next(c for c in load_summary(MERIDIAN).claims if c.id == "rotation")
    assert rotation.evidence[-1].quote == passage
    code, out = invoke(
        "evidence", "add", "rotation", "sarn-strait-observer", passage, "--summary", str(MERIDIAN)
    )
    assert code == 1 and "already quotes this passage" in out
    code, out = invoke(
        "evidence", "add", "rotation", "sarn-strait-observer", "no unit may stay for ten months", "--summary",
        str(MERIDIAN),
    )  # fmt: skip
    assert code == 1 and "is not in source 'sarn-strait-observer'" in out
    # Typography and case are the source's: a normalised match is written in the source's words.
    shouted = "UNDER THE TREATY, no Carridanian unit"
    code, out = invoke(
        "evidence", "add", "rotation", "sarn-strait-observer", shouted, "--summary", str(MERIDIAN)
    )
    assert code == 0 and "(the source's own wording copied)" in out
    assert '"Under the treaty, no Carridanian unit"' in MERIDIAN.read_text(encoding="utf-8")
    code, out = invoke("check", str(MERIDIAN))
    assert code == 0, out


def _strip_disputes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text[: text.index("\ndisputes:\n")] + text[text.index("\nglossary:\n") :], encoding="utf-8"
    )


def test_check_disputes_lists_the_unrecorded_prime_ministers_name(project: Path) -> None:
    code, out = invoke("check", str(UK_JAPAN), "--disputes")
    assert code == 0, out
    assert "0 disagreements among sources not recorded as disputes" in out
    _strip_disputes(UK_JAPAN)
    code, out = invoke("check", str(UK_JAPAN), "--disputes")
    assert code == 1
    assert (
        "dispute not recorded: meeting-tokyo (name): 'tokyo-summit' says \u201cChizuru Takeshita (also spelt "
        "Takashita)\u201d; the summary says \u201cSanae Takaichi\u201d"
    ) in out


def test_regen_reviews_a_changed_source_and_exits_5(project: Path) -> None:
    text = MERIDIAN.read_text(encoding="utf-8")
    start = text.index("\neditions:\n")
    MERIDIAN.write_text(
        text[:start]
        + "\neditions:\n  - {name: short-officials, length: short, audience: officials, formats: [docx]}\n"
    )
    code, out = invoke("build", str(MERIDIAN))
    assert code == 0, out
    code, out = invoke("regen", str(MERIDIAN))
    assert code == 0, out
    seed = project / "seeds" / "meridian-press-release.txt"
    body = seed.read_text(encoding="utf-8")
    # A quoted sentence reworded (the paper is rebuilt) and a new sentence with another ceiling.
    body = body.replace(
        "The Treaty was signed at Port Meridian on 14 March 2025.",
        "The Treaty was signed at Port Meridian on 14 March 2025, by the two foreign ministers.",
    )
    body += "\nThe Treaty allows Carridan to keep up to 6,000 personnel in Vasterra at any time.\n"
    seed.write_text(body, encoding="utf-8")
    code, out = invoke("regen", str(MERIDIAN))
    assert code == 5, out
    assert "needs analyst (review)" in out and "source 'press-release' changed" in out
    review = json.loads((project / "out/meridian-treaty-2025/review-press-release.json").read_text())
    assert [f["claim"] for f in review["findings"] if f["kind"] == "contradicts"] == ["troop-ceiling"]
    note = (project / "out/meridian-treaty-2025/short-officials.changes.md").read_text(encoding="utf-8")
    assert "## Needs an analyst: review of changed source 'press-release'" in note
    assert "`troop-ceiling` contradicted (number)" in note
    code, out = invoke("regen", str(MERIDIAN))
    assert code == 0, out  # reviewed once per change


def test_draft_from_the_uk_japan_seeds_checks_clean_and_builds_once_cleared(project: Path) -> None:
    seeds = sorted(str(p.relative_to(project)) for p in (project / "seeds").glob("0*.txt"))
    code, out = invoke("draft", *seeds, "--id", "tokyo-draft")
    assert code == 0, out
    path = project / "briefs" / "tokyo-draft.yaml"
    summary = load_summary(path)
    assert summary.draft and summary.subject.notice and summary.subject.notice.startswith("DRAFT")
    assert summary.subject.parties == ["UK", "Japan"]
    texts = {s.id: (project / s.file).read_text(encoding="utf-8") for s in summary.sources}
    for claim in summary.claims:  # extractive: every claim is a sentence of a source, quoted
        assert claim.full == claim.short == claim.evidence[0].quote
        assert claim.full in texts[claim.evidence[0].source]
    names = [(p.source, p.says) for d in summary.disputes for p in d.positions]
    assert ("tokyo-summit", "Chizuru Takeshita") in [
        (s.split("-")[0] + "-summit", says) for s, says in names
    ] or any(says == "Chizuru Takeshita" for _, says in names)
    assert any(says == "Sanae Takaichi" for _, says in names)
    code, out = invoke("check", str(path))
    assert code == 0, out
    assert "draft: a draft: `build` refuses it" in out
    code, out = invoke("build", str(path), "--format", "docx")
    assert code == 1 and "the summary is a draft (draft: true)" in out
    path.write_text(path.read_text(encoding="utf-8").replace("\ndraft: true\n", "\n"), encoding="utf-8")
    code, out = invoke("build", str(path), "--format", "docx")
    assert code == 0, out
    assert (project / "out" / "tokyo-draft" / "short-officials.docx").exists()
