"""Watch each summary and the inputs the manifest records for its papers; regenerate when one changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from briefgen.errors import BriefgenError, PathError
from briefgen.manifest import Manifest, summary_key
from briefgen.paths import inside
from briefgen.regen import RegenReport, regen

# Polling the modification times of a few hundred files costs well under a millisecond a round and
# needs no platform-specific notifier; one second is quick enough for a person editing a summary.
POLL_SECONDS = 1.0

Snapshot = dict[Path, tuple[int, int, int]]


def watched_files(summaries: list[Path], *, out: Path, templates: Path) -> list[Path]:
    """List the files whose change may make a paper stale: each summary, and its papers' recorded inputs.

    The inputs are those the manifest says each paper was built from (the sources its claims cite,
    the layouts and templates it used), not a guess: a seed no claim cites changes no paper, and a
    source kept outside seeds/ is watched too. A summary never built is watched alone; once built,
    its inputs join. A path the manifest names outside the project or templates is not watched.
    """
    files = dict.fromkeys(summaries)
    manifest = Manifest.load(out)  # only read: no lock is held, so nothing is repaired here
    for summary in summaries:
        record = manifest.summaries.get(summary_key(summary))
        if record is None:
            continue
        root = summary.resolve().parent.parent
        for paper in record.papers.values():
            for key in paper.inputs:
                kind, _, rest = key.partition(":")
                try:
                    if kind == "source":
                        files[inside(root, rest.partition(":")[2])] = None
                    elif kind == "template":
                        files[inside(templates, rest)] = None
                except PathError:
                    continue
    return list(files)


def snapshot(files: Iterable[Path]) -> Snapshot:
    """Return each file's modification time, size and inode (an editor may save by renaming)."""
    found = {}
    for path in files:
        try:
            stat = path.stat()
        except (OSError, ValueError):
            continue
        found[path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return found


def watch(
    summaries: list[Path],
    *,
    out: Path,
    templates: Path,
    emit: Callable[[str], None],
    rounds: int | None = None,
    poll: float = POLL_SECONDS,
    stop: threading.Event | None = None,
) -> None:
    """Regenerate now, then again after every change, until `stop` is set or after `rounds` rounds.

    Each round compares the files with how they were just before the last regen began, not after
    it ended: a file saved while a rebuild runs is rebuilt in the next round. A round that fails
    (another run holds the lock, out/ cannot be written) prints one error line and is tried again.
    """
    before: Snapshot = {}
    last_error = ""
    done = 0
    stop = stop or threading.Event()  # never set: watch until the process is stopped
    while (rounds is None or done < rounds) and not stop.is_set():
        now = snapshot(watched_files(summaries, out=out, templates=templates))
        if now != before:
            try:
                report: RegenReport = regen(summaries, out=out, templates=templates, wait=60.0)
            except BriefgenError as exc:
                if str(exc) != last_error:  # once, not every round it goes on failing
                    emit(f"{time.strftime('%H:%M:%S')} error: {exc}")
                last_error = str(exc)
            else:
                before, last_error = now, ""
                stamp = time.strftime("%H:%M:%S")
                if report.rebuilt or report.needs_analyst or report.errors:
                    for line in report.lines:
                        if not line.endswith("up to date"):
                            emit(f"{stamp} {line}")
        done += 1
        if rounds is None or done < rounds:
            stop.wait(poll)
