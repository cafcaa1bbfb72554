"""A small project in a temporary folder (a summary, its seeds, the templates), run as cron would."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import warm

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = "briefs/mini.yaml"
#: The one paper the small project names: short, so no page fitting search, and quick to build.
EDITION = "short-officials"


def make_project(folder: Path) -> Path:
    """Copy the minimal summary (naming one short edition), the seeds it cites and the templates."""
    (folder / "briefs").mkdir(parents=True)
    (folder / "seeds").mkdir()
    for name in ("000_b445cf68cb3455ec.txt", "001_4569ab1ebb46e3de.txt"):
        shutil.copy(ROOT / "seeds" / name, folder / "seeds" / name)
    shutil.copytree(ROOT / "templates", folder / "templates")
    text = (ROOT / "tests" / "data" / "good_minimal.yaml").read_text(encoding="utf-8")
    # A note for readers on the one dispute, which `check` asks of a dispute that bears on claims.
    text = text.replace(
        "    resolution: Treat the name as unconfirmed.\n",
        "    resolution: Treat the name as unconfirmed.\n    note: One report spells the name two ways.\n",
    )
    head, _, _ = text.partition("editions:")
    editions = f"editions:\n  - name: {EDITION}\n    length: short\n    audience: officials\n"
    (folder / SUMMARY).write_text(head + editions, encoding="utf-8")
    return folder


def environment(project: Path) -> dict[str, str]:
    """Return the environment of a run in the project: its own templates, this checkout's code."""
    env = {**os.environ, "BRIEFGEN_TEMPLATES": str(project / "templates"), "PYTHONPATH": str(ROOT / "src")}
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(name, None)  # a proxy would send 127.0.0.1 requests elsewhere
    return env


def run(project: Path, *args: str, timeout: float = 600, umask: int = -1) -> subprocess.CompletedProcess[str]:
    """Run this checkout's briefgen in the project, as cron would (in a warm fork: tests/warm.py)."""
    return warm.run(args, cwd=project, env=environment(project), timeout=timeout, umask=umask)


def papers(project: Path) -> dict[str, bytes]:
    """Return every file under out/<id>/, by name (temporary files included, so none go unseen)."""
    folder = project / "out" / "uk-japan-minimal"
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def free_port() -> int:
    """Return a port nothing listens on now, for a server a test starts on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
