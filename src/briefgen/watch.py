"""Watch a summary, its sources and the templates; regenerate when any of them changes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from briefgen.regen import RegenReport, regen

# Polling the modification times of a few hundred files costs well under a millisecond a round and
# needs no platform-specific notifier; one second is quick enough for a person editing a summary.
POLL_SECONDS = 1.0


def watched_files(summaries: list[Path], templates: Path) -> Iterator[Path]:
    """List the files whose change may make a paper stale: summaries, seeds and templates."""
    for summary in summaries:
        yield summary
        seeds = summary.resolve().parent.parent / "seeds"
        if seeds.is_dir():
            yield from (p for p in seeds.rglob("*") if p.is_file())
    yield from (p for p in templates.rglob("*") if p.is_file())


def snapshot(files: Iterator[Path]) -> dict[Path, tuple[int, int]]:
    """Return each file's modification time and size."""
    found = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def watch(
    summaries: list[Path],
    *,
    out: Path,
    templates: Path,
    emit: Callable[[str], None],
    rounds: int | None = None,
    poll: float = POLL_SECONDS,
) -> None:
    """Regenerate now, then again after every change; `rounds` bounds the loop (for tests)."""
    before: dict[Path, tuple[int, int]] = {}
    done = 0
    while rounds is None or done < rounds:
        now = snapshot(watched_files(summaries, templates))
        if now != before:
            report: RegenReport = regen(summaries, out=out, templates=templates, wait=60.0)
            stamp = time.strftime("%H:%M:%S")
            if report.rebuilt or report.needs_analyst or report.errors:
                for line in report.lines:
                    if not line.endswith("up to date"):
                        emit(f"{stamp} {line}")
            before = snapshot(watched_files(summaries, templates))
        done += 1
        if rounds is None or done < rounds:
            time.sleep(poll)
