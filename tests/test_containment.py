"""Paths stay inside their folder, special files are refused without blocking, sources have a size limit."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from project import SUMMARY, make_project, papers, run

from briefgen.anchoring import MAX_SOURCE_BYTES
from briefgen.errors import PathError
from briefgen.paths import inside, read_file

CANARY = "CANARY-7f3e9a secret text outside the project"
SEED = "seeds/000_b445cf68cb3455ec.txt"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project, holding a file that must never be read or written."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{CANARY}\n", encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """Return the run's one error line, after checking it has no traceback and no canary."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "CANARY" not in output, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors, output
    return errors[0]


# --- inside() and read_file() ------------------------------------------------------------------


def test_inside_resolves_links_within_the_folder(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("a")
    (tmp_path / "seeds" / "b.txt").symlink_to("a.txt")
    assert inside(tmp_path, "seeds/b.txt") == (tmp_path / "seeds" / "a.txt").resolve()
    assert inside(tmp_path, "seeds/new/c.txt") == tmp_path.resolve() / "seeds" / "new" / "c.txt"


@pytest.mark.parametrize("name", ["seeds/evil.txt", "seeds/linked/secret.txt", "../outside/secret.txt"])
def test_inside_refuses_a_path_that_leads_out(tmp_path: Path, outside: Path, name: str) -> None:
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "evil.txt").symlink_to(outside / "secret.txt")
    (root / "seeds" / "linked").symlink_to(outside)
    with pytest.raises(PathError) as caught:
        inside(root, name)
    assert str(caught.value).startswith(f"{name}: leads outside {root.resolve()} (to {outside.resolve()}")


def test_inside_refuses_a_nul_byte(tmp_path: Path) -> None:
    with pytest.raises(PathError, match=r"cannot be resolved: embedded null byte"):
        inside(tmp_path, "seeds/a\0.txt")


def _in_thread(call: Any) -> Any:
    """Run a call that must not block; fail the test if it does."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), "the call blocked"
    return outcome[0]


def test_read_file_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    error = _in_thread(lambda: read_file(tmp_path / "pipe", limit=100, shown="seeds/pipe"))
    assert isinstance(error, PathError)
    assert str(error) == "seeds/pipe: is a FIFO (named pipe), not a regular file"


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device"), ("/", "a folder")])
def test_read_file_refuses_devices_and_folders(path: str, kind: str) -> None:
    with pytest.raises(PathError, match=f"is {kind}, not a regular file"):
        read_file(Path(path), limit=100)


def test_read_file_refuses_a_file_over_its_limit(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(PathError, match=r"big: is 101 bytes; the limit is 100"):
        read_file(tmp_path / "big", limit=100)
    assert read_file(tmp_path / "big", limit=101) == b"x" * 101


# --- symbolic links leaving the project ---------------------------------------------------------


@pytest.mark.parametrize("quoted", [True, False], ids=["holds-the-quotes", "other-text"])
def test_a_seed_linked_outside_the_project_is_refused_by_check_and_build(
    project: Path, outside: Path, quoted: bool
) -> None:
    # Holding the quotes, the file was graded exact and printed; otherwise check printed its text.
    text = (project / SEED).read_text(encoding="utf-8") if quoted else ""
    (outside / "secret.txt").write_text(f"{text}\n{CANARY}\n", encoding="utf-8")
    (project / SEED).unlink()
    (project / SEED).symlink_to(outside / "secret.txt")
    for command in ("check", "build"):
        result = run(project, command, SUMMARY)
        assert result.returncode == 1
        line = _one_line_error(result)
        assert f"source 'tokyo-summit': {SEED}: leads outside {project.resolve()}" in line
    assert papers(project) == {}


def test_a_template_linked_outside_its_folder_is_never_included(project: Path, outside: Path) -> None:
    html = project / "templates" / "html"
    (html / "evil.html.j2").symlink_to(outside / "secret.txt")
    (html / "linked").symlink_to(outside)
    for name in ("evil.html.j2", "linked/secret.txt"):
        paper = (project / "templates" / "html" / "paper.html.j2").read_text(encoding="utf-8")
        original = paper
        paper = paper.replace("<body", f'{{% include "{name}" %}}<body', 1)
        (html / "paper.html.j2").write_text(paper, encoding="utf-8")
        result = run(project, "build", SUMMARY, "--format", "pdf", "--format", "html")
        (html / "paper.html.j2").write_text(original, encoding="utf-8")
        assert result.returncode == 1
        assert f"{name}: leads outside {html.resolve()}" in _one_line_error(result)
        assert papers(project) == {}


def test_a_summary_linked_into_briefs_from_outside_is_refused(project: Path, outside: Path) -> None:
    # Found by the default briefs/*.yaml, it would be built against its own folder's seeds.
    (outside / "briefs").mkdir()
    (outside / "briefs" / "other.yaml").write_text(f"id: other\ntitle: {CANARY}\n", encoding="utf-8")
    (project / "briefs" / "other.yaml").symlink_to(outside / "briefs" / "other.yaml")
    for command in ("check", "build", "regen"):
        result = run(project, command)
        assert result.returncode == 1, result.stdout + result.stderr
        line = _one_line_error(result)
        assert f"briefs/other.yaml: leads outside {project.resolve()}" in line
    assert papers(project) == {}


def test_a_reference_document_linked_outside_the_templates_is_refused(project: Path, outside: Path) -> None:
    templates = project / "templates"
    (outside / "reference.docx").write_bytes((templates / "reference.docx").read_bytes())
    (templates / "reference.docx").unlink()
    (templates / "reference.docx").symlink_to(outside / "reference.docx")
    result = run(project, "build", SUMMARY, "--format", "docx")
    assert result.returncode == 1
    assert f"reference.docx: leads outside {templates.resolve()}" in _one_line_error(result)
    assert papers(project) == {}


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"The two ministers met in Tokyo and agreed to deepen cooperation.\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def page() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/page"
    httpd.shutdown()
    httpd.server_close()


def _with_url_source(project: Path, url: str, file: str) -> None:
    summary = project / SUMMARY
    text = summary.read_text(encoding="utf-8")
    source = (
        f"  - id: statement\n    file: {file}\n    url: {url}\n    title: Statement\n"
        "    kind: official\n    reliability: A test page.\n"
    )
    summary.write_text(text.replace("themes:\n", source + "themes:\n", 1), encoding="utf-8")


@pytest.mark.parametrize("linked", ["seeds/snapshots", "seeds/snapshots/statement", "seeds/web"])
def test_refresh_never_writes_through_a_linked_folder(
    project: Path, outside: Path, page: str, linked: str
) -> None:
    (project / linked).parent.mkdir(parents=True, exist_ok=True)
    (project / linked).symlink_to(outside)
    _with_url_source(project, page, "seeds/web/statement.txt")
    result = run(project, "sources", "refresh", SUMMARY)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "leads outside" in result.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text(encoding="utf-8") == f"{CANARY}\n"


def test_a_hostile_manifest_cannot_make_regen_read_outside(project: Path, outside: Path) -> None:
    assert run(project, "build", SUMMARY, "--format", "docx").returncode == 0
    os.mkfifo(outside / "pipe")  # opening it would block: regen must not even try
    manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    [record] = manifest["summaries"].values()
    for paper in record["papers"].values():
        paper["inputs"]["source:tokyo-summit:../outside/pipe"] = "0" * 64
        paper["inputs"]["template:../../outside/pipe"] = "0" * 64
    (project / "out" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run(project, "regen", SUMMARY, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# --- special files and big sources --------------------------------------------------------------


def test_a_fifo_as_a_source_or_summary_is_refused_at_once(project: Path) -> None:
    assert run(project, "build", SUMMARY, "--format", "docx").returncode == 0
    before = papers(project)
    (project / SEED).unlink()
    os.mkfifo(project / SEED)
    for command in (["check", SUMMARY], ["build", SUMMARY], ["regen", SUMMARY]):
        result = run(project, *command, timeout=30)
        assert result.returncode == 1, result.stderr
        assert f"{SEED}: is a FIFO (named pipe), not a regular file" in _one_line_error(result)
    os.mkfifo(project / "briefs" / "pipe.yaml")
    result = run(project, "check", "briefs/pipe.yaml", timeout=30)
    assert result.returncode == 1
    assert _one_line_error(result) == (
        "error: briefs/pipe.yaml:1:1: (document): the file is a FIFO (named pipe), not a regular file"
    )
    result = run(project, "regen", "briefs/pipe.yaml", SUMMARY, timeout=30)
    assert result.returncode == 1  # and it let go of the lock:
    assert run(project, "regen", SUMMARY, timeout=30).returncode == 1
    assert papers(project) == before


def test_a_source_over_the_size_limit_is_refused_at_once(project: Path) -> None:
    with (project / SEED).open("r+b") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    started = time.monotonic()
    result = run(project, "check", SUMMARY)
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert _one_line_error(result) == (
        f"error: source 'tokyo-summit': {SEED}: is {200 * 1024 * 1024:,} bytes; "
        f"the limit is {MAX_SOURCE_BYTES:,}"
    )
