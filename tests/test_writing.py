"""One atomic writer for every file briefgen writes, with the mode any new file would get."""

from __future__ import annotations

import ast
import errno
import os
import stat
from pathlib import Path

import pytest
from project import make_project, papers, run

from briefgen.errors import OutputError
from briefgen.writing import write_atomic

SRC = Path(__file__).resolve().parents[1] / "src" / "briefgen"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "a" / "paper.pdf", b"data")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a" / "paper.pdf") == 0o666 & ~umask
    assert (tmp_path / "a" / "paper.pdf").read_bytes() == b"data"


def test_a_given_mode_is_kept(tmp_path: Path) -> None:
    write_atomic(tmp_path / "x.yaml", b"x", mode=0o640)
    assert _mode(tmp_path / "x.yaml") == 0o640


def test_a_failed_write_says_why_in_one_line_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "paper.pdf").write_bytes(b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as caught:
        write_atomic(tmp_path / "paper.pdf", b"new")
    assert str(caught.value) == f"cannot write {tmp_path / 'paper.pdf'}: no space left on device"
    assert [p.name for p in tmp_path.iterdir()] == ["paper.pdf"]
    assert (tmp_path / "paper.pdf").read_bytes() == b"old"


def test_a_file_where_the_folder_should_be_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(OutputError, match=r"cannot write .*out/x/paper.pdf: (not a directory|file exists)"):
        write_atomic(tmp_path / "out" / "x" / "paper.pdf", b"x")


def test_papers_reports_and_the_manifest_follow_the_umask(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = run(project, "build", "--format", "docx", "--format", "html", umask=0o002)
    assert result.returncode == 0, result.stderr
    assert papers(project)
    for name in papers(project):
        assert _mode(project / "out" / "uk-japan-minimal" / name) == 0o664, name
    assert _mode(project / "out" / "manifest.json") == 0o664


def _writes_in(path: Path) -> list[str]:
    """Name the calls in a module that write or rename files other than through writing.py."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        # Path.replace and Path.rename take one argument; str.replace takes two.
        renames = name in ("replace", "rename") and len(node.args) == 1
        if name in ("mkstemp", "write_bytes", "write_text", "NamedTemporaryFile") or renames:
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {name}")
        called_on_os = isinstance(node.func.value, ast.Name) and node.func.value.id == "os"
        if called_on_os and name in ("replace", "rename"):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: os.{name}")
    return found


# Calls that move a file without writing one: a damaged manifest is renamed aside, under a new name.
# The manifest set aside; an RQ worker's private staging folder of inputs, renamed whole into place.
ALLOWED = {
    ("manifest.py", "rename"),
    ("remote.py", "write_bytes"),
    ("remote.py", "write_text"),
    ("remote.py", "rename"),
    # LibreOffice's input and profile, in a private temporary folder that is deleted after it.
    ("render/odt.py", "write_bytes"),
}


def test_every_file_is_written_by_the_one_atomic_writer() -> None:
    found = [w for p in sorted(SRC.rglob("*.py")) if p.name != "writing.py" for w in _writes_in(p)]
    found = [w for w in found if (w.split(":")[0], w.rsplit(" ", 1)[1]) not in ALLOWED]
    assert found == []
