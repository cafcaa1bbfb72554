"""A wheel built from this checkout installs a briefgen that builds a paper, away from the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ("000_b445cf68cb3455ec.txt", "001_4569ab1ebb46e3de.txt")


def _env() -> dict[str, str]:
    """The environment of a user's shell: nothing pointing back at this checkout."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BRIEFGEN_TEMPLATES", "VIRTUAL_ENV")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel pip builds from this checkout (its build back end comes from pip's cache or index)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    # Built from a copy, so that nothing (build/, *.egg-info) is left in the checkout.
    ignore = shutil.ignore_patterns(".venv", ".git", "out", "build", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, source, symlinks=True, ignore=ignore)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", folder, source, cwd=folder)
    [built] = folder.glob("briefgen-*.whl")
    return built


def test_the_wheel_carries_the_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        str(p.relative_to(ROOT)).replace("templates/", "briefgen/templates/", 1)
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    }
    assert wanted <= names
    assert "briefgen/templates/reference.docx" in names
    assert "briefgen/templates/assets/fonts/LiberationSans-Regular.ttf" in names


def _project(folder: Path) -> Path:
    """A summary and its seeds in a folder of their own, far from the checkout."""
    (folder / "briefs").mkdir(parents=True)
    (folder / "seeds").mkdir()
    for name in SEEDS:
        shutil.copy(ROOT / "seeds" / name, folder / "seeds" / name)
    text = (ROOT / "tests" / "data" / "good_minimal.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("editions:")
    editions = "editions:\n  - name: short-officials\n    length: short\n    audience: officials\n"
    (folder / "briefs" / "mini.yaml").write_text(head + editions, encoding="utf-8")
    return folder


def _builds_a_paper(venv: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "elsewhere")
    where = _run(
        venv / "bin" / "python",
        "-c",
        "import briefgen, briefgen.render as r; print(briefgen.__file__); print(r.templates_dir())",
        cwd=project,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # the wheel's copy, not the checkout
    result = _run(venv / "bin" / "briefgen", "build", "briefs/mini.yaml", cwd=project)
    assert "short-officials.pdf, short-officials.docx" in result.stdout
    from pypdf import PdfReader

    assert len(PdfReader(project / "out" / "uk-japan-minimal" / "short-officials.pdf").pages) >= 1
    assert (project / "out" / "uk-japan-minimal" / "short-officials.docx").stat().st_size > 0


def test_an_installed_wheel_builds_a_paper(wheel: Path, tmp_path: Path) -> None:
    """The wheel alone, its dependencies lent by the interpreter running the tests: quick, and offline."""
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    site = Path(
        subprocess.check_output(
            [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        )
        .decode()
        .strip()
    )
    _run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "-q",
        "--target",
        site,
        wheel,
        cwd=tmp_path,
    )
    # Only the dependencies: a path added by a .pth file is searched after the venv's own packages,
    # and its own .pth files (this checkout's editable install) are not read.
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    script = venv / "bin" / "briefgen"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nfrom briefgen.cli import app\napp()\n")
    script.chmod(0o755)
    _builds_a_paper(venv, tmp_path)


@pytest.mark.network
def test_a_wheel_installed_with_its_dependencies_builds_a_paper(wheel: Path, tmp_path: Path) -> None:
    """As a user would: pip installs the wheel and what it depends on (from pip's cache where it can).

    This interpreter's pip installs into the new environment (`pip --python`): the same resolver
    and installer, without first installing pip itself there, which took longer than the install.
    """
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    install = subprocess.run(
        # --no-compile: bytecode for a hundred dependencies is time this test does not need to spend.
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin" / "python",
            "install",
            "-q",
            "--no-compile",
            wheel,
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if install.returncode != 0 and "No matching distribution" in install.stderr:
        pytest.skip(f"no package index reachable: {install.stderr.strip().splitlines()[-1]}")
    assert install.returncode == 0, install.stderr
    _builds_a_paper(venv, tmp_path)
