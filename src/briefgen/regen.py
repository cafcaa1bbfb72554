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
from typing import TYPE_CHECKING

from briefgen import __version__
from briefgen.errors import LockError, OutputError, PathError
from briefgen.manifest import Manifest, stale_reasons, summary_key, sweep_temporaries
from briefgen.paths import kind_of, read_file
from briefgen.reviewing import regen_review
from briefgen.writing import describe

if TYPE_CHECKING:
    from briefgen.pool import Renderer

LOCK_NAME = ".briefgen.lock"
# loading.MAX_BYTES, not imported: loading imports pydantic, which a regen with nothing to do never needs.
_SUMMARY_LIMIT = 2 * 1024 * 1024


class Outcome(IntEnum):
    """Exit codes a scheduler can act on (README, 'Scheduled regeneration')."""

    NOTHING_TO_DO = 0
    ERROR = 1
    REBUILT = 3
    NEEDS_ANALYST = 4
    REVIEW_NEEDS_ANALYST = 5  # a changed source contradicts a claim or quotes a speaker differently
    BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later


REVIEW_NEEDS_ANALYST = Outcome.REVIEW_NEEDS_ANALYST


@dataclass
class RegenReport:
    """What a regen run did, as lines for a person and a code for a scheduler."""

    rebuilt: list[str] = field(default_factory=list)
    needs_analyst: dict[str, list[str]] = field(default_factory=dict)  # paper → claim ids
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    review_needs_analyst: dict[str, list[str]] = field(default_factory=dict)  # summary id → source ids
    review_notes: dict[str, str] = field(default_factory=dict)  # summary id → change-note section

    def review_note(self, summary_id: str) -> str:
        """Return the change-note section naming a review that needs an analyst, or ""."""
        note = self.review_notes.get(summary_id, "")
        return f"\n{note}" if note else ""

    @property
    def outcome(self) -> Outcome:
        """Return the exit code: the worst thing that happened wins."""
        if self.errors:
            return Outcome.ERROR
        if self.needs_analyst:
            return Outcome.NEEDS_ANALYST
        if self.review_needs_analyst:
            return Outcome.REVIEW_NEEDS_ANALYST
        if self.rebuilt:
            return Outcome.REBUILT
        return Outcome.NOTHING_TO_DO


@contextlib.contextmanager
def output_lock(out: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on an output folder; wait up to `wait` seconds for another run."""
    if out.exists() and not out.is_dir():
        kind = kind_of(out.stat().st_mode)
        raise OutputError(f"cannot use {out} as the output folder: it is {kind}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot lock the output folder {out}: {describe(exc)}") from None
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


def read_summary_id(path: Path) -> str | None:
    """Return the `id` a summary file declares, reading no further than it; None if it cannot tell.

    Cheap (no validation, no pydantic): loading the summary reports whatever else is wrong.
    """
    import yaml

    try:
        text = read_file(path, limit=_SUMMARY_LIMIT).decode("utf-8")
    except (OSError, ValueError, PathError):  # UnicodeDecodeError is a ValueError
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth, at_key, is_id = 0, True, False
    try:
        # Events, not yaml.load: stop at the id, and never build (or recurse into) the rest.
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent | yaml.CollectionStartEvent):
                if depth == 1:  # a key or a value of the top-level mapping
                    if is_id:
                        return event.value if isinstance(event, yaml.ScalarEvent) else None
                    is_id = at_key and isinstance(event, yaml.ScalarEvent) and event.value == "id"
                    at_key = not at_key
                if isinstance(event, yaml.CollectionStartEvent):
                    if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                        return None
                    depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                if depth == 0:
                    return None
    except yaml.YAMLError:
        return None
    return None


def duplicate_ids(summaries: list[Path], manifest: Manifest) -> list[str]:
    """Say which summaries declare an id another summary already uses (their papers would collide).

    Checks the summaries named against each other, then against the other summaries of their
    project that the manifest has papers for.
    """
    problems: list[str] = []
    first: dict[str, Path] = {}
    ids: dict[Path, str] = {}
    for path in summaries:
        summary_id = read_summary_id(path)
        if summary_id is None:
            continue
        ids[path] = summary_id
        owner = first.setdefault(summary_id, path)
        if owner.resolve() != path.resolve():
            problems.append(f"{path}: summary id '{summary_id}' is already used by {owner}")
    named = {summary_key(p) for p in summaries}
    for path, summary_id in ids.items():
        if first[summary_id] != path:
            continue
        root = path.resolve().parent.parent
        for key, record in sorted(manifest.summaries.items()):
            if key in named or record.id != summary_id or Path(key).is_absolute():
                continue
            if read_summary_id(root / key) == summary_id:  # still there, still using the id
                problems.append(f"{path}: summary id '{summary_id}' is already used by {key}")
    return problems


def find_stale(summary: Path, out: Path, manifest: Manifest, templates: Path) -> dict[str, list[str]] | None:
    """Return stale papers of a summary with reasons, or None if it was never built here."""
    record = manifest.summaries.get(summary_key(summary))
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
    allow_warnings: bool = False,
    pool: Renderer | None = None,
) -> RegenReport:
    """Rebuild exactly the papers whose inputs changed or whose outputs are missing."""
    from briefgen.render import templates_dir  # light: no renderer is imported

    templates = templates or templates_dir()
    report = RegenReport()
    with output_lock(out, wait=wait):
        manifest = Manifest.load(out, repair=True)
        report.lines.extend(manifest.notes)
        for root in {s.resolve().parent.parent for s in summaries}:
            manifest.adopt(root)
        # Two summaries with one id would overwrite each other's papers: refuse before writing.
        problems = duplicate_ids(summaries, manifest)
        if problems:
            report.errors.extend(problems)
            report.lines.extend(f"error: {p}" for p in problems)
            return report
        for folder in out.iterdir():
            sweep_temporaries(folder)
        manifest.save()  # keys adopted from an older manifest, if any
        for summary in summaries:
            # Before the staleness check, which moves the recorded source fingerprints on.
            regen_review(summary, manifest, out=out, report=report)
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
                allow_warnings=allow_warnings,
                pool=pool,
            )
            manifest.save()
    return report
