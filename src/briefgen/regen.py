"""Rebuild only stale papers, re-anchor quotes against changed sources, and say what changed."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import __version__
from briefgen.errors import LockError
from briefgen.manifest import Manifest, stale_reasons, sweep_temporaries

if TYPE_CHECKING:
    from briefgen.pool import Renderer

LOCK_NAME = ".briefgen.lock"


class Outcome(IntEnum):
    """Exit codes a scheduler can act on (README, 'Scheduled regeneration')."""

    NOTHING_TO_DO = 0
    ERROR = 1
    REBUILT = 3
    NEEDS_ANALYST = 4
    BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later


@dataclass
class RegenReport:
    """What a regen run did, as lines for a person and a code for a scheduler."""

    rebuilt: list[str] = field(default_factory=list)
    needs_analyst: dict[str, list[str]] = field(default_factory=dict)  # paper → claim ids
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        """Return the exit code: the worst thing that happened wins."""
        if self.errors:
            return Outcome.ERROR
        if self.needs_analyst:
            return Outcome.NEEDS_ANALYST
        if self.rebuilt:
            return Outcome.REBUILT
        return Outcome.NOTHING_TO_DO


@contextlib.contextmanager
def output_lock(out: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on an output folder; wait up to `wait` seconds for another run."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise LockError(
                        f"another briefgen run (pid {holder}) is writing {out}; "
                        "try again later or pass --wait SECONDS"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def find_stale(summary: Path, out: Path, manifest: Manifest, templates: Path) -> dict[str, list[str]] | None:
    """Return stale papers of a summary with reasons, or None if it was never built here."""
    record = manifest.summaries.get(str(summary.resolve()))
    if record is None:
        return None
    root = summary.resolve().parent.parent
    folder = out / record.id
    stale: dict[str, list[str]] = {}
    for edition in record.editions:
        paper = record.papers.get(edition)
        if paper is None:
            stale[edition] = ["never built"]
            continue
        reasons = stale_reasons(paper, out_dir=folder, root=root, templates=templates, version=__version__)
        if reasons:
            stale[edition] = reasons
    return stale


def regen(
    summaries: list[Path],
    *,
    out: Path,
    templates: Path | None = None,
    wait: float = 0.0,
    pool: Renderer | None = None,
) -> RegenReport:
    """Rebuild exactly the papers whose inputs changed or whose outputs are missing."""
    from briefgen.render import templates_dir  # light: no renderer is imported

    templates = templates or templates_dir()
    report = RegenReport()
    with output_lock(out, wait=wait):
        for folder in out.iterdir():
            sweep_temporaries(folder)
        manifest = Manifest.load(out)
        for summary in summaries:
            stale = find_stale(summary, out, manifest, templates)
            if stale == {}:
                if manifest.save():  # only fingerprints moved on
                    report.lines.append(f"{summary}: a source changed, but no quote a paper relies on did")
                report.lines.append(f"{summary}: up to date")
                continue
            # Only now pay for loading, anchoring and rendering.
            from briefgen.run import rebuild

            rebuild(
                summary,
                out=out,
                manifest=manifest,
                stale=stale,
                templates=templates,
                report=report,
                pool=pool,
            )
            manifest.save()
    return report


def change_note(
    edition: str, before: dict[str, Any], after: dict[str, Any], anchors: dict[str, list[str]]
) -> str:
    """Write the Markdown change note of a rebuilt paper: claims added, removed, reworded, evidence."""
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    reworded = [c for c in after if c in before and after[c]["text"] != before[c]["text"]]
    evidence = {c: notes for c, notes in anchors.items() if notes}
    lines = [f"# Changes to {edition}", ""]
    if not (added or removed or reworded or evidence):
        lines.append("No change in claims or evidence; the paper was rebuilt because an input changed.")
    for title, ids in (("Claims added", added), ("Claims removed", removed), ("Claims reworded", reworded)):
        if ids:
            lines += [f"## {title}", ""]
            for claim_id in ids:
                text = (after.get(claim_id) or before.get(claim_id) or {}).get("text", "")
                lines.append(f"- `{claim_id}`: {text}")
            lines.append("")
    if evidence:
        lines += ["## Evidence changed or lost", ""]
        for claim_id, notes in sorted(evidence.items()):
            for note in notes:
                lines.append(f"- `{claim_id}`: {note}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
